//! The stage functions both transports run: thin wrappers over the pure engine that
//! decode and encode the messages passed between stages — and the split between
//! failures that are the input's fault ([`StageError`], permanent: dead-lettered) and
//! failures of the host or the broker ([`Transient`]: retried in place with backoff,
//! never counted as a delivery, never dead-lettered; see [`retry_transient`]).

use std::future::Future;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

use crate::engine::Engine;
use crate::error::EngineError;
use crate::model::{ClassifiedArticle, CleanArticle, TaggedArticle};

/// Why a stage could not process a message. Every variant is permanent: the same
/// input would fail the same way, so it is dead-lettered, never retried. (A failure
/// of the disk, the folder permissions or the broker is a [`Transient`], not this.)
#[derive(Debug, Clone, thiserror::Error)]
pub enum StageError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The message between stages is not what the previous stage writes.
    #[error("undecodable {stage} message: {detail}")]
    Decode { stage: &'static str, detail: String },
    /// The stage function panicked (a bug); the message is dead-lettered, not looped.
    #[error("stage panicked: {0}")]
    Panic(String),
    /// A message this stage produced is larger than the broker accepts (its
    /// `max_payload`); the same input would produce it again.
    #[error("{stage} message of {size} bytes exceeds the broker's max_payload of {limit} bytes")]
    TooLargeForBroker {
        stage: &'static str,
        size: usize,
        limit: usize,
    },
}

/// What one attempt at a stage came to when it did not succeed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Failure {
    /// The input can never succeed: dead-letter it.
    #[error(transparent)]
    Permanent(#[from] StageError),
    /// The host or the broker failed: retry, the input stays claimed.
    #[error(transparent)]
    Transient(#[from] Transient),
}

impl StageError {
    /// Bounded `error_type` label.
    pub fn kind(&self) -> &'static str {
        match self {
            StageError::Engine(e) => e.kind(),
            StageError::Decode { .. } => "decode",
            StageError::Panic(_) => "panic",
            StageError::TooLargeForBroker { .. } => "too_large",
        }
    }
}

/// A failure that says nothing about the input: the disk is full, a folder is not
/// writable, file handles ran out, the broker is away, full or slow. The same input
/// will succeed once the host is fixed, so it is retried with backoff and the input
/// stays claimed (in the inbox, or unacked on the broker) until its outputs are
/// durable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{op}: {detail}")]
pub struct Transient {
    /// Bounded `error_type` label, one of [`Transient::KINDS`].
    pub error_type: &'static str,
    /// What was being done ("writing output", "publishing").
    pub op: &'static str,
    pub detail: String,
}

impl Transient {
    /// Every label [`Transient::error_type`] can hold.
    pub const KINDS: &'static [&'static str] = &[
        "disk_full",
        "permission",
        "cross_device",
        "file_handles",
        "io",
        "broker_unavailable",
        "broker_full",
        "timeout",
    ];

    /// Classify an I/O error by its errno.
    pub fn io(op: &'static str, e: &std::io::Error) -> Transient {
        let error_type = match e.raw_os_error() {
            Some(libc::ENOSPC) | Some(libc::EDQUOT) => "disk_full",
            Some(libc::EACCES) | Some(libc::EPERM) | Some(libc::EROFS) => "permission",
            Some(libc::EXDEV) => "cross_device",
            Some(libc::EMFILE) | Some(libc::ENFILE) => "file_handles",
            Some(libc::ETIMEDOUT) => "timeout",
            _ if e.kind() == std::io::ErrorKind::TimedOut => "timeout",
            _ => "io",
        };
        Transient {
            error_type,
            op,
            detail: e.to_string(),
        }
    }

    /// Classify an error chain holding an I/O error (else `io`).
    pub fn from_anyhow(op: &'static str, e: &anyhow::Error) -> Transient {
        let mut t = e
            .chain()
            .find_map(|c| c.downcast_ref::<std::io::Error>())
            .map(|io| Transient::io(op, io))
            .unwrap_or(Transient {
                error_type: "io",
                op,
                detail: String::new(),
            });
        t.detail = format!("{e:#}");
        t
    }

    /// Classify a broker error by what the server said.
    pub fn broker(op: &'static str, e: &dyn std::fmt::Display) -> Transient {
        let detail = e.to_string();
        let low = detail.to_ascii_lowercase();
        let error_type = if low.contains("insufficient")
            || low.contains("maximum bytes")
            || low.contains("maximum messages")
            || low.contains("storage")
            || low.contains("resources")
        {
            "broker_full"
        } else if low.contains("timed out") || low.contains("timeout") {
            "timeout"
        } else {
            "broker_unavailable"
        };
        Transient {
            error_type,
            op,
            detail,
        }
    }
}

/// Backoff between transient retries: 100 ms doubling to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_millis(100);
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Run `attempt` until it succeeds, retrying [`Transient`] failures with backoff.
/// While it fails the daemon reports degraded on `/readyz` (by `stage`) and each
/// failure counts in `wirefeed_transient_failures_total{stage,error_type}`. Once
/// `shutdown` has fired, a failed attempt gives up (`None`): the input stays claimed
/// and is redone by the next start (or another consumer) — never dropped.
pub async fn retry_transient<T, F, Fut>(
    stage: &'static str,
    health: &super::Health,
    shutdown: &watch::Receiver<bool>,
    mut attempt: F,
) -> Option<T>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Transient>>,
{
    let mut delay = FIRST_BACKOFF;
    let mut degraded: Option<super::Degraded<'_>> = None;
    let mut n: u32 = 0;
    loop {
        match attempt(n).await {
            Ok(v) => {
                if n > 0 {
                    tracing::info!(
                        stage,
                        attempts = n + 1,
                        "recovered from a transient failure"
                    );
                }
                return Some(v);
            }
            Err(t) => {
                n += 1;
                super::events::TransientFailure {
                    stage,
                    error: &t,
                    attempt: n,
                }
                .emit();
                match &mut degraded {
                    Some(d) => d.update(&t),
                    None => degraded = Some(health.degrade(stage, &t)),
                }
                if *shutdown.borrow() {
                    tracing::warn!(stage, error_type = t.error_type, "shutting down during a transient failure; the input stays claimed for the next start");
                    return None;
                }
                let mut sd = shutdown.clone();
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = sd.wait_for(|s| *s) => {}
                }
                delay = (delay * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Clean: raw bytes → one article per story.
pub fn clean(engine: &Engine, bytes: &[u8]) -> Result<Vec<CleanArticle>, StageError> {
    Ok(engine.clean(bytes)?)
}

/// The clean article as a message between stages: its text once. The matching forms
/// (`headline_match`, `body_match`) are a pure function of the display text, so they
/// are left out and recomputed by [`decode_clean`]; a message is then about the size
/// of the text, not twice it, and an article near the inbox limit still fits the
/// broker's `max_payload`.
pub fn encode_clean(a: &CleanArticle) -> Vec<u8> {
    let mut wire = a.clone();
    wire.headline_match = String::new();
    wire.body_match = String::new();
    serde_json::to_vec(&wire).expect("clean article serialises")
}

/// Restore what [`encode_clean`] left out (as `Engine::clean` computes it).
fn restore(a: &mut CleanArticle) {
    if a.headline_match.is_empty() {
        if let Some(h) = a.headline.as_deref() {
            a.headline_match = crate::engine::normalize::fold(h);
        }
    }
    if a.body_match.is_empty() && !a.paragraphs.is_empty() {
        a.body_match = crate::engine::normalize::fold(&a.body_text());
    }
}

/// A clean article from its message.
pub fn decode_clean(payload: &[u8]) -> Result<CleanArticle, StageError> {
    let mut a: CleanArticle = serde_json::from_slice(payload).map_err(|e| StageError::Decode {
        stage: "clean",
        detail: e.to_string(),
    })?;
    restore(&mut a);
    Ok(a)
}

/// The tagged article as a message between stages: its text once (see [`encode_clean`]).
pub fn encode_tagged(t: &TaggedArticle) -> Vec<u8> {
    let mut wire = t.clone();
    wire.article.headline_match = String::new();
    wire.article.body_match = String::new();
    serde_json::to_vec(&wire).expect("tagged article serialises")
}

/// A tagged article from its message.
pub fn decode_tagged(payload: &[u8]) -> Result<TaggedArticle, StageError> {
    let mut t: TaggedArticle = serde_json::from_slice(payload).map_err(|e| StageError::Decode {
        stage: "tag",
        detail: e.to_string(),
    })?;
    restore(&mut t.article);
    Ok(t)
}

/// Tag: a clean article (message) → tagged article.
pub fn tag(engine: &Engine, payload: &[u8]) -> Result<TaggedArticle, StageError> {
    Ok(engine.tag(decode_clean(payload)?))
}

/// Classify: a tagged article (message) → classified article and its ninjs document.
pub fn classify(engine: &Engine, payload: &[u8]) -> Result<(ClassifiedArticle, Value), StageError> {
    let c = engine.classify(decode_tagged(payload)?);
    let doc = crate::ninjs::to_ninjs(&c, crate::cli::VERSION);
    Ok((c, doc))
}

/// The output targets of an article: its topic ids, or `unclassified`.
pub fn output_targets(c: &ClassifiedArticle) -> Vec<String> {
    let topics = c.topics();
    if topics.is_empty() {
        vec!["unclassified".to_string()]
    } else {
        topics.into_iter().map(str::to_string).collect()
    }
}

/// Count a published article by topic and language.
pub fn record_published(c: &ClassifiedArticle) {
    for t in output_targets(c) {
        metrics::counter!(crate::metrics::ARTICLES_BY_TOPIC, "topic" => t).increment(1);
    }
    let lang = crate::metrics::language_label(&c.tagged.language.code);
    metrics::counter!(crate::metrics::ARTICLES_BY_LANGUAGE, "language" => lang).increment(1);
}

/// Run a stage function on the stage workers ([`super::workers`]) so the async
/// executor stays free; a panic becomes a typed, permanent error instead of killing
/// the worker.
pub async fn off_executor<T, F>(f: F) -> Result<T, StageError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StageError> + Send + 'static,
{
    super::workers::Workers::shared().run(f).await
}

/// [`off_executor`] for the intake's pre-check (at most half the workers' slots).
pub async fn off_executor_intake<T, F>(f: F) -> Result<T, StageError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StageError> + Send + 'static,
{
    super::workers::Workers::shared().run_intake(f).await
}

/// Milliseconds since the Unix epoch (the `ready_at` stamp carried with a file).
pub fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Record the end-to-end latency of an output published now for a file ready at `ready_at_ms`.
pub fn record_latency(ready_at_ms: u64) {
    if ready_at_ms > 0 {
        let secs = now_millis().saturating_sub(ready_at_ms) as f64 / 1000.0;
        metrics::histogram!(crate::metrics::END_TO_END).record(secs);
    }
}
