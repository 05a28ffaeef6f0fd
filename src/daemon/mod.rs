//! The daemon (`wirefeed run`): the async shell around the pure engine.
//!
//! ```text
//! inbox ─watcher─▶ intake ─▶ clean ─▶ tag ─▶ classify ─▶ outputs
//!                  (read, hash, pre-check; reject bad files)
//! ```
//!
//! Two transports run the same stage functions ([`stage`]):
//! - **embedded** (no NATS URL): bounded in-process queues; outputs are files in the
//!   outbox; a file is marked processed only after all its outputs are written.
//! - **JetStream**: each stage is a durable pull consumer; results are published with
//!   `Nats-Msg-Id = <id>:<stage>` and the input is acked only after the publish ack.

pub mod config;
pub mod embedded;
pub mod events;
pub mod files;
pub mod http;
pub mod inbox;
pub mod jetstream;
pub mod memory;
pub mod pipeline;
pub mod reload;
pub mod stage;
pub mod stories;
pub mod story_kv;
pub mod watcher;
pub mod workers;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use tokio::sync::watch;

pub use config::Config;

/// The pipeline stages that transform messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Clean,
    Tag,
    Classify,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Clean, Stage::Tag, Stage::Classify];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Clean => "clean",
            Stage::Tag => "tag",
            Stage::Classify => "classify",
        }
    }
}

/// Liveness/readiness flags, read by `/readyz`.
#[derive(Debug, Default)]
pub struct Health {
    /// Inputs now held in a transient retry, by stage (with the latest error): while
    /// any is, the daemon is degraded and `/readyz` says so.
    pub degraded: std::sync::Mutex<std::collections::BTreeMap<&'static str, (usize, String)>>,
    /// Connected to NATS (always true in embedded mode).
    pub nats_connected: AtomicBool,
    /// Streams created/updated.
    pub streams_ready: AtomicBool,
    /// The watcher is running (or this role runs none).
    pub watcher_running: Arc<AtomicBool>,
    /// Stage workers started.
    pub stages_running: AtomicBool,
    /// Why the latest reload was refused (the running rules stay), until one succeeds.
    pub reload_failure: std::sync::Mutex<Option<String>>,
}

impl Health {
    pub fn ready(&self) -> bool {
        self.nats_connected.load(Ordering::SeqCst)
            && self.streams_ready.load(Ordering::SeqCst)
            && self.watcher_running.load(Ordering::SeqCst)
            && self.stages_running.load(Ordering::SeqCst)
            && !self.is_degraded()
    }

    /// Whether some input is held in a transient retry.
    pub fn is_degraded(&self) -> bool {
        self.degraded
            .lock()
            .map(|d| d.values().any(|(n, _)| *n > 0))
            .unwrap_or(false)
    }

    /// Mark `stage` degraded by `error` until the returned guard drops.
    pub fn degrade(&self, stage: &'static str, error: &stage::Transient) -> Degraded<'_> {
        if let Ok(mut d) = self.degraded.lock() {
            let e = d.entry(stage).or_insert((0, String::new()));
            e.0 += 1;
            e.1 = format!("{}: {error}", error.error_type);
        }
        Degraded {
            health: self,
            stage,
        }
    }

    pub fn set_reload_failure(&self, why: Option<String>) {
        if let Ok(mut r) = self.reload_failure.lock() {
            *r = why;
        }
    }

    /// Lines that `/readyz` shows whether or not the daemon is ready (a refused
    /// reload: the daemon works, on the rules it had).
    pub fn notes(&self) -> String {
        match self.reload_failure.lock().ok().and_then(|r| r.clone()) {
            Some(why) => format!("note: {}\n", inbox::escape_name(why.as_bytes())),
            None => String::new(),
        }
    }

    /// The `/readyz` body: what is not ready, and why.
    pub fn detail(&self) -> String {
        let mut out = self.notes();
        for (flag, ok) in [
            ("nats_connected", self.nats_connected.load(Ordering::SeqCst)),
            ("streams_ready", self.streams_ready.load(Ordering::SeqCst)),
            (
                "watcher_running",
                self.watcher_running.load(Ordering::SeqCst),
            ),
            ("stages_running", self.stages_running.load(Ordering::SeqCst)),
        ] {
            if !ok {
                out.push_str(&format!("not ready: {flag}\n"));
            }
        }
        if let Ok(d) = self.degraded.lock() {
            for (stage, (n, why)) in d.iter().filter(|(_, (n, _))| *n > 0) {
                out.push_str(&format!(
                    "degraded: {stage}: {n} input(s) in transient retry; last error {}\n",
                    inbox::escape_name(why.as_bytes())
                ));
            }
        }
        out
    }
}

/// A stage's input held in a transient retry; dropping it ends the degraded state.
pub struct Degraded<'a> {
    health: &'a Health,
    stage: &'static str,
}

impl Degraded<'_> {
    pub fn update(&mut self, error: &stage::Transient) {
        if let Ok(mut d) = self.health.degraded.lock() {
            if let Some(e) = d.get_mut(self.stage) {
                e.1 = format!("{}: {error}", error.error_type);
            }
        }
    }
}

impl Drop for Degraded<'_> {
    fn drop(&mut self) {
        if let Ok(mut d) = self.health.degraded.lock() {
            if let Some(e) = d.get_mut(self.stage) {
                e.0 = e.0.saturating_sub(1);
            }
        }
    }
}

/// A shutdown trigger that tests and `main` share: send `true` to stop.
pub fn shutdown_channel() -> (watch::Sender<bool>, watch::Receiver<bool>) {
    watch::channel(false)
}

/// Install the Prometheus recorder (once per process) and describe all metrics.
pub fn install_metrics(topics: &[String]) -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(crate::metrics::STAGE_DURATION.into()),
            crate::metrics::STAGE_BUCKETS,
        )
        .ok()?
        .set_buckets_for_metric(
            Matcher::Full(crate::metrics::END_TO_END.into()),
            crate::metrics::LATENCY_BUCKETS,
        )
        .ok()?;
    let handle = builder.install_recorder().ok()?;
    crate::metrics::describe(crate::cli::VERSION);
    crate::metrics::register_zero(topics);
    Some(handle)
}

/// Run the daemon until `shutdown` fires; then drain within the configured deadline.
pub async fn run(
    config: Config,
    engines: Arc<reload::Engines>,
    shutdown: watch::Receiver<bool>,
) -> Result<()> {
    let engine = engines.current();
    let topics = engine.topics().ids();
    let health = Arc::new(Health::default());
    reload::spawn_on_sighup(engines.clone(), health.clone());
    // the story state is replayed before anything is served, so /brief starts full
    let stories = Arc::new(stories::Stories::open(&config)?);
    if config.embedded_mode() && stories.settings().is_some() {
        // outbox/<topic>/ would be the stories table's or the alerts' folder
        if let Some(t) = topics
            .iter()
            .find(|t| ["stories", "alerts"].contains(&t.as_str()))
        {
            anyhow::bail!("topic id {t:?} clashes with the outbox folder of the stories table and alerts; rename the topic or set stories.enabled = false");
        }
    }
    let brief = Arc::new(stories::Brief::default());
    let now = stories::now_secs();
    for s in stories.current() {
        brief.record(&s, now);
    }
    if let Some(handle) = install_metrics(&topics) {
        metrics::gauge!(crate::metrics::DATA_GENERATION).set(engines.generation() as f64);
        let upkeep = handle.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(5));
            loop {
                every.tick().await;
                upkeep.run_upkeep();
            }
        });
        if !config.metrics.listen.is_empty() {
            http::serve(
                &config.metrics.listen,
                config.metrics.max_connections,
                handle,
                health.clone(),
                brief.clone(),
            )
            .await?;
        }
    }
    if !config.role.runs_watcher() {
        health.watcher_running.store(true, Ordering::SeqCst);
    }
    if config.embedded_mode() {
        tracing::info!(inbox = %config.inbox.dir.display(), outbox = %config.embedded.outbox_dir.display(), "starting in embedded mode (no nats.url)");
        health.nats_connected.store(true, Ordering::SeqCst);
        health.streams_ready.store(true, Ordering::SeqCst);
        embedded::run(config, engines, health, shutdown, stories, brief).await
    } else {
        tracing::info!(url = %config::redact_url(&config.nats.url), role = ?config.role, "starting in jetstream mode");
        jetstream::run(config, engines, health, shutdown, stories, brief).await
    }
}

/// Wait for SIGINT or SIGTERM.
async fn next_signal(term: &mut Option<tokio::signal::unix::Signal>) {
    match term {
        Some(t) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                _ = t.recv() => {},
            }
        }
        None => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Wait for SIGINT/SIGTERM; the first triggers a graceful drain, a second exits at once.
pub fn spawn_signal_handler(tx: watch::Sender<bool>) {
    tokio::spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        next_signal(&mut term).await;
        tracing::info!(
            "signal received: stopping intake and draining (a second signal exits at once)"
        );
        let _ = tx.send(true);
        next_signal(&mut term).await;
        tracing::warn!("second signal: exiting now; unacked work will be redelivered");
        std::process::exit(130);
    });
}
