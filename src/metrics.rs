//! Every metric wirefeed exports, named once. Nothing else in the code spells a
//! metric name.
//!
//! Conventions (Prometheus): the `wirefeed_` prefix, `_total` on counters, base units
//! (`_seconds`, `_bytes`), and label values from small fixed sets: `stage` ∈
//! [`STAGES`], `error_type` ∈ [`crate::error::EngineError::KINDS`] + transport kinds,
//! `topic` ∈ topic ids + `unclassified`, `language` ∈ [`LANGUAGES`] + `other`.

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, Unit};

pub const FILES_DETECTED: &str = "wirefeed_files_detected_total";
pub const FILES_PUBLISHED: &str = "wirefeed_files_published_total";
pub const FILES_REJECTED: &str = "wirefeed_files_rejected_total";
pub const FILES_STUCK: &str = "wirefeed_files_stuck_total";
pub const STAGE_RECEIVED: &str = "wirefeed_stage_messages_received_total";
pub const STAGE_PROCESSED: &str = "wirefeed_stage_messages_processed_total";
pub const STAGE_FAILED: &str = "wirefeed_stage_messages_failed_total";
pub const STAGE_REDELIVERED: &str = "wirefeed_stage_messages_redelivered_total";
pub const STAGE_IN_FLIGHT: &str = "wirefeed_stage_in_flight";
pub const STAGE_DURATION: &str = "wirefeed_stage_processing_seconds";
pub const STAGE_BACKLOG: &str = "wirefeed_stage_backlog_messages";
pub const END_TO_END: &str = "wirefeed_end_to_end_latency_seconds";
pub const ARTICLES_BY_TOPIC: &str = "wirefeed_articles_total";
pub const ARTICLES_BY_LANGUAGE: &str = "wirefeed_articles_by_language_total";
pub const TRANSIENT_FAILURES: &str = "wirefeed_transient_failures_total";
pub const DEAD_LETTERS: &str = "wirefeed_dead_letters_total";
pub const NATS_CONNECTED: &str = "wirefeed_nats_connected";
pub const NATS_RECONNECTS: &str = "wirefeed_nats_reconnects_total";
pub const BUILD_INFO: &str = "wirefeed_build_info";
pub const RELOADS: &str = "wirefeed_data_reloads_total";
pub const RELOAD_FAILING: &str = "wirefeed_data_reload_failing";
pub const DATA_GENERATION: &str = "wirefeed_data_generation";
pub const STORY_ALERTS: &str = "wirefeed_story_alerts_total";
pub const STORIES_CREATED: &str = "wirefeed_stories_created_total";
pub const STORIES_UPDATED: &str = "wirefeed_stories_updated_total";
pub const STORY_DUPLICATES: &str = "wirefeed_story_duplicates_total";

/// Pipeline stage label values.
pub const STAGES: [&str; 4] = ["watcher", "clean", "tag", "classify"];

/// Language label values; anything else is reported as `other`.
pub const LANGUAGES: [&str; 16] = [
    "ar", "en", "ru", "uk", "kk", "de", "fr", "es", "it", "pt", "tr", "fa", "zh", "pl", "und",
    "other",
];

/// `result` label values of [`RELOADS`].
pub const RELOAD_RESULTS: [&str; 2] = ["ok", "failed"];

/// `error_type` label values beyond [`crate::error::EngineError::KINDS`]:
/// undecodable stage messages, stage panics, failed publishes, the redelivery limit,
/// unreadable files.
pub const TRANSPORT_ERRORS: [&str; 5] = ["decode", "panic", "publish", "redelivery_limit", "read"];

/// Every `error_type` label value.
pub fn error_types() -> impl Iterator<Item = &'static str> {
    crate::error::EngineError::KINDS
        .iter()
        .copied()
        .chain(TRANSPORT_ERRORS)
}

/// Buckets for per-stage processing time (seconds): 100 µs … 10 s.
pub const STAGE_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Buckets for end-to-end latency (seconds): 1 ms … 5 min.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    120.0, 300.0,
];

/// Bounded language label.
pub fn language_label(code: &str) -> &'static str {
    LANGUAGES
        .iter()
        .find(|l| **l == code)
        .copied()
        .unwrap_or("other")
}

/// Describe every metric and set `build_info`. Call once after installing a recorder.
pub fn describe(version: &str) {
    describe_counter!(
        FILES_DETECTED,
        Unit::Count,
        "Files the watcher found complete in the inbox"
    );
    describe_counter!(
        FILES_PUBLISHED,
        Unit::Count,
        "Files published into the pipeline (acked by the broker or queued in embedded mode)"
    );
    describe_counter!(
        FILES_STUCK,
        Unit::Count,
        "Files the daemon gave up moving out of the inbox after bounded retries, by error_type (finish, reject)"
    );
    describe_counter!(
        FILES_REJECTED,
        Unit::Count,
        "Files moved to rejected/, by error_type"
    );
    describe_counter!(STAGE_RECEIVED, Unit::Count, "Messages a stage received");
    describe_counter!(
        STAGE_PROCESSED,
        Unit::Count,
        "Messages a stage processed and acked"
    );
    describe_counter!(
        STAGE_FAILED,
        Unit::Count,
        "Messages a stage failed, by error_type"
    );
    describe_counter!(
        STAGE_REDELIVERED,
        Unit::Count,
        "Messages a stage received again (redeliveries)"
    );
    describe_gauge!(
        STAGE_IN_FLIGHT,
        Unit::Count,
        "Messages a stage is working on now"
    );
    describe_histogram!(
        STAGE_DURATION,
        Unit::Seconds,
        "Time a stage spends on one message"
    );
    describe_gauge!(
        STAGE_BACKLOG,
        Unit::Count,
        "Messages waiting for a stage (JetStream consumer pending)"
    );
    describe_histogram!(
        END_TO_END,
        Unit::Seconds,
        "Time from file ready to output published"
    );
    describe_counter!(
        ARTICLES_BY_TOPIC,
        Unit::Count,
        "Articles published, by topic (unclassified for none)"
    );
    describe_counter!(
        ARTICLES_BY_LANGUAGE,
        Unit::Count,
        "Articles published, by language"
    );
    describe_counter!(
        DEAD_LETTERS,
        Unit::Count,
        "Dead-letter messages, by stage and error_type"
    );
    describe_gauge!(
        NATS_CONNECTED,
        Unit::Count,
        "1 when connected to NATS, else 0"
    );
    describe_counter!(NATS_RECONNECTS, Unit::Count, "NATS reconnections");
    describe_counter!(
        TRANSIENT_FAILURES,
        Unit::Count,
        "Attempts that failed for a reason outside the input (disk, permissions, broker), by stage and error_type; retried, never dead-lettered"
    );
    describe_counter!(
        RELOADS,
        Unit::Count,
        "Reloads of topics and data (SIGHUP), by result (ok, failed: the running rules were kept)"
    );
    describe_gauge!(
        RELOAD_FAILING,
        Unit::Count,
        "1 while the latest reload failed (the daemon runs the rules loaded before it), else 0"
    );
    describe_gauge!(
        DATA_GENERATION,
        Unit::Count,
        "Which loaded set of topics and data the daemon runs: 1 at start, +1 per successful reload"
    );
    describe_counter!(
        STORY_ALERTS,
        Unit::Count,
        "Breaking-story alerts raised (once per story), by topic"
    );
    describe_counter!(
        STORIES_CREATED,
        Unit::Count,
        "Stories (event clusters) started, by topic"
    );
    describe_counter!(
        STORIES_UPDATED,
        Unit::Count,
        "Articles that joined an existing story, by topic"
    );
    describe_counter!(
        STORY_DUPLICATES,
        Unit::Count,
        "Articles recognised as republished copies of an earlier article"
    );
    describe_gauge!(BUILD_INFO, Unit::Count, "Build information; always 1");
    gauge!(BUILD_INFO, "version" => version.to_string()).set(1.0);
}

/// Create every fixed-label series at zero so dashboards and alerts see them before
/// the first event (a rate over a missing series is no data, not zero).
pub fn register_zero(topics: &[String]) {
    counter!(FILES_DETECTED).absolute(0);
    counter!(FILES_PUBLISHED).absolute(0);
    counter!(NATS_RECONNECTS).absolute(0);
    for result in RELOAD_RESULTS {
        counter!(RELOADS, "result" => result).absolute(0);
    }
    gauge!(RELOAD_FAILING).set(0.0);
    counter!(STORY_DUPLICATES).absolute(0);
    // the watcher's give-up counter: "finish" (processed/) and "reject" (rejected/)
    for kind in ["finish", "reject"] {
        counter!(FILES_STUCK, "error_type" => kind).absolute(0);
    }
    for stage in STAGES {
        counter!(STAGE_RECEIVED, "stage" => stage).absolute(0);
        counter!(STAGE_PROCESSED, "stage" => stage).absolute(0);
        counter!(STAGE_REDELIVERED, "stage" => stage).absolute(0);
        gauge!(STAGE_IN_FLIGHT, "stage" => stage).set(0.0);
    }
    // failure series exist at zero too, so error ratios and dead-letter rates are 0,
    // not "no data", on a healthy system
    for kind in error_types() {
        counter!(FILES_REJECTED, "error_type" => kind).absolute(0);
        for stage in STAGES {
            counter!(STAGE_FAILED, "stage" => stage, "error_type" => kind).absolute(0);
            counter!(DEAD_LETTERS, "stage" => stage, "error_type" => kind).absolute(0);
        }
    }
    for kind in crate::daemon::stage::Transient::KINDS {
        for stage in STAGES {
            counter!(TRANSIENT_FAILURES, "stage" => stage, "error_type" => *kind).absolute(0);
        }
    }
    for lang in LANGUAGES {
        counter!(ARTICLES_BY_LANGUAGE, "language" => lang).absolute(0);
    }
    register_topics(topics);
}

/// Create the per-topic series of `topics` (at start, and for topics a reload adds);
/// a series that exists already keeps its count.
pub fn register_topics(topics: &[String]) {
    for t in topics.iter().map(String::as_str).chain(["unclassified"]) {
        counter!(ARTICLES_BY_TOPIC, "topic" => t.to_string()).increment(0);
    }
    // stories exist per matched topic only (never `unclassified`)
    for t in topics {
        for name in [STORY_ALERTS, STORIES_CREATED, STORIES_UPDATED] {
            counter!(name, "topic" => t.clone()).increment(0);
        }
    }
}
