//! Instrumentation as typed events: each event is a struct whose `emit()` writes the
//! tracing event and the metric from the same fields, so a log line and its counter
//! can never disagree on a label.

use crate::metrics as m;

use super::stage::Transient;

/// An attempt failed for a reason outside the input; it will be retried.
pub struct TransientFailure<'a> {
    pub stage: &'static str,
    pub error: &'a Transient,
    /// 1 for the first failure of this input, then 2, 3, …
    pub attempt: u32,
}

impl TransientFailure<'_> {
    pub fn emit(&self) {
        // the first failure and then every power of two: a long outage is a few lines
        if self.attempt.is_power_of_two() {
            tracing::warn!(
                stage = self.stage,
                error_type = self.error.error_type,
                attempt = self.attempt,
                error = %self.error,
                "transient failure; retrying with backoff (the input stays claimed)"
            );
        }
        metrics::counter!(m::TRANSIENT_FAILURES, "stage" => self.stage, "error_type" => self.error.error_type)
            .increment(1);
    }
}

/// An input that can never succeed was stored as a dead letter (its payload or file
/// kept). Emitted once the record is stored.
pub struct DeadLettered<'a> {
    pub record: &'a super::pipeline::DeadLetter,
}

impl DeadLettered<'_> {
    pub fn emit(&self) {
        let r = self.record;
        tracing::warn!(
            stage = r.stage,
            article_id = %r.id,
            path = r.path.as_deref().unwrap_or(""),
            error_type = r.error_type,
            reason = %r.reason,
            "dead-lettered"
        );
        metrics::counter!(m::DEAD_LETTERS, "stage" => r.stage, "error_type" => r.error_type)
            .increment(1);
    }
}

/// A file moved to `rejected/` with its reason.
pub struct FileRejected<'a> {
    pub path: &'a std::path::Path,
    pub error_type: &'static str,
    pub reason: &'a str,
}

impl FileRejected<'_> {
    pub fn emit(&self) {
        tracing::warn!(
            path = %super::inbox::shown(self.path),
            error_type = self.error_type,
            reason = %self.reason,
            "file rejected"
        );
        metrics::counter!(m::FILES_REJECTED, "error_type" => self.error_type).increment(1);
    }
}

/// Topics and data were reloaded and the new engine is running.
pub struct ReloadSucceeded {
    pub generation: u64,
    pub topics: usize,
    pub took: std::time::Duration,
}

impl ReloadSucceeded {
    pub fn emit(&self) {
        tracing::info!(
            generation = self.generation,
            topics = self.topics,
            took_ms = self.took.as_millis() as u64,
            "reloaded topics and data; new articles use them"
        );
        metrics::counter!(m::RELOADS, "result" => "ok").increment(1);
        metrics::gauge!(m::RELOAD_FAILING).set(0.0);
        metrics::gauge!(m::DATA_GENERATION).set(self.generation as f64);
    }
}

/// A reload was refused (a data file did not load): the running rules stay.
pub struct ReloadFailed<'a> {
    /// The generation still running.
    pub generation: u64,
    /// Each error with its file:line:column.
    pub errors: &'a [String],
}

impl ReloadFailed<'_> {
    pub fn emit(&self) {
        for e in self.errors {
            tracing::error!(error = %e, "reload: data file error");
        }
        tracing::error!(
            errors = self.errors.len(),
            generation = self.generation,
            "reload refused; the running topics and data stay in use"
        );
        metrics::counter!(m::RELOADS, "result" => "failed").increment(1);
        metrics::gauge!(m::RELOAD_FAILING).set(1.0);
    }
}

/// The span every log line about one article in one stage runs in (`path`: the
/// already escaped file name, when known).
pub fn article_span(stage: &'static str, article_id: &str, path: Option<&str>) -> tracing::Span {
    tracing::info_span!("article", stage, article_id, path = path.unwrap_or(""))
}
