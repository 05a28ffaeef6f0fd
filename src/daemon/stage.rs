//! The stage functions both transports run: thin wrappers over the pure engine that
//! decode and encode the messages passed between stages.

use serde_json::Value;

use crate::engine::Engine;
use crate::error::EngineError;
use crate::model::{ClassifiedArticle, CleanArticle, TaggedArticle};

/// Why a stage could not process a message. Every variant is permanent: the same
/// input would fail the same way, so it is dead-lettered, never retried.
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
}

impl StageError {
    /// Bounded `error_type` label.
    pub fn kind(&self) -> &'static str {
        match self {
            StageError::Engine(e) => e.kind(),
            StageError::Decode { .. } => "decode",
            StageError::Panic(_) => "panic",
        }
    }
}

/// Clean: raw bytes → one article per story.
pub fn clean(engine: &Engine, bytes: &[u8]) -> Result<Vec<CleanArticle>, StageError> {
    Ok(engine.clean(bytes)?)
}

/// Tag: a clean article (JSON) → tagged article.
pub fn tag(engine: &Engine, payload: &[u8]) -> Result<TaggedArticle, StageError> {
    let article: CleanArticle =
        serde_json::from_slice(payload).map_err(|e| StageError::Decode {
            stage: "clean",
            detail: e.to_string(),
        })?;
    Ok(engine.tag(article))
}

/// Classify: a tagged article (JSON) → classified article and its ninjs document.
pub fn classify(engine: &Engine, payload: &[u8]) -> Result<(ClassifiedArticle, Value), StageError> {
    let tagged: TaggedArticle =
        serde_json::from_slice(payload).map_err(|e| StageError::Decode {
            stage: "tag",
            detail: e.to_string(),
        })?;
    let c = engine.classify(tagged);
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

/// Run a stage function on the blocking pool so the async executor stays free;
/// a panic becomes a typed, permanent error instead of killing the worker.
pub async fn off_executor<T, F>(f: F) -> Result<T, StageError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StageError> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => Err(StageError::Panic(e.to_string())),
    }
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
