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
