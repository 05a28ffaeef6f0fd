//! Hot reload of topics and data (SIGHUP).
//!
//! The daemon holds its engine in [`Engines`]: every stage fetches the current engine
//! when it starts work on a message, so a reload never changes the rules under an
//! article half-way through a stage. A reload builds and checks the new engine beside
//! the running one (on a blocking thread, while articles keep flowing) and swaps it in
//! only if every data file loads and the new engine runs a sample article; otherwise
//! the running rules stay, and the failure is logged, counted and shown on `/readyz`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use super::events::{ReloadFailed, ReloadSucceeded};
use super::Health;
use crate::engine::Engine;

/// Builds a fresh engine from the data folders; `Err` holds every error, each with
/// its file:line:column.
pub type Loader = Box<dyn Fn() -> Result<Engine, Vec<String>> + Send + Sync>;

/// The running engine, swapped whole on a successful reload.
pub struct Engines {
    current: RwLock<Arc<Engine>>,
    generation: AtomicU64,
    loader: Option<Loader>,
    /// One reload at a time.
    reloading: Mutex<()>,
}

/// Why a reload was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub errors: Vec<String>,
}

impl Engines {
    /// An engine that is never reloaded (tests, one-off tools).
    pub fn fixed(engine: Arc<Engine>) -> Arc<Engines> {
        Arc::new(Engines {
            current: RwLock::new(engine),
            generation: AtomicU64::new(1),
            loader: None,
            reloading: Mutex::new(()),
        })
    }

    /// An engine that [`Engines::reload`] rebuilds with `loader`.
    pub fn reloadable(engine: Arc<Engine>, loader: Loader) -> Arc<Engines> {
        Arc::new(Engines {
            current: RwLock::new(engine),
            generation: AtomicU64::new(1),
            loader: Some(loader),
            reloading: Mutex::new(()),
        })
    }

    /// The engine to use for the next piece of work.
    pub fn current(&self) -> Arc<Engine> {
        match self.current.read() {
            Ok(e) => e.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// 1 at start, +1 per successful reload.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Build and check a new engine; swap it in on success. Blocking (it loads and
    /// compiles every data file): call it off the async executor.
    pub fn reload(&self) -> Result<u64, Refused> {
        let _one = self.reloading.lock().unwrap_or_else(|p| p.into_inner());
        let Some(loader) = &self.loader else {
            return Err(Refused {
                errors: vec!["this engine was not loaded from data folders".into()],
            });
        };
        let engine = loader().map_err(|errors| Refused { errors })?;
        smoke_test(&engine).map_err(|e| Refused { errors: vec![e] })?;
        let engine = Arc::new(engine);
        match self.current.write() {
            Ok(mut cur) => *cur = engine,
            Err(poisoned) => *poisoned.into_inner() = engine,
        }
        Ok(self.generation.fetch_add(1, Ordering::SeqCst) + 1)
    }
}

/// The new engine must take a plain article through every stage without panicking.
fn smoke_test(engine: &Engine) -> Result<(), String> {
    const SAMPLE: &str = "Reload check\n\nA short article used to check a freshly loaded engine before it replaces the running one.\n";
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let articles = engine
            .clean(SAMPLE.as_bytes())
            .map_err(|e| format!("the new engine refused a sample article: {e}"))?;
        for a in articles {
            let _ = engine.classify(engine.tag(a));
        }
        Ok(())
    }))
    .unwrap_or_else(|_| Err("the new engine panicked on a sample article".into()))
}

/// Reload once: build off the executor, swap, and report (log, metric, `/readyz`).
pub async fn reload_now(engines: &Arc<Engines>, health: &Health) -> Result<u64, Refused> {
    let started = Instant::now();
    let e = engines.clone();
    let result = tokio::task::spawn_blocking(move || e.reload())
        .await
        .unwrap_or_else(|_| {
            Err(Refused {
                errors: vec!["the reload task panicked".into()],
            })
        });
    match &result {
        Ok(generation) => {
            let engine = engines.current();
            let topics = engine.topics().ids();
            crate::metrics::register_topics(&topics);
            health.set_reload_failure(None);
            ReloadSucceeded {
                generation: *generation,
                topics: topics.len(),
                took: started.elapsed(),
            }
            .emit();
        }
        Err(refused) => {
            let generation = engines.generation();
            let shown: Vec<&str> = refused.errors.iter().take(5).map(String::as_str).collect();
            let more = refused.errors.len().saturating_sub(shown.len());
            let mut why = format!(
                "reload refused ({} error(s)); still running generation {generation}: {}",
                refused.errors.len(),
                shown.join("; ")
            );
            if more > 0 {
                why.push_str(&format!("; … and {more} more"));
            }
            health.set_reload_failure(Some(why));
            ReloadFailed {
                generation,
                errors: &refused.errors,
            }
            .emit();
        }
    }
    result
}

/// Reload on every SIGHUP, one after another, until the process ends.
pub fn spawn_on_sighup(engines: Arc<Engines>, health: Arc<Health>) {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::hangup()) {
        Ok(mut hup) => {
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    tracing::info!("SIGHUP received: reloading topics and data");
                    let _ = reload_now(&engines, &health).await;
                }
            });
        }
        Err(e) => tracing::warn!(error = %e, "cannot handle SIGHUP; hot reload is off"),
    }
}
