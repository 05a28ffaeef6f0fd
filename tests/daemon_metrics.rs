//! Exact metric values after a known run against a real nats-server: files, per-stage
//! counts, per-topic and per-language articles, dead letters, histogram counts.
//!
//! The expected numbers are computed in-process by the engine from the same files.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;

/// Parse the Prometheus text format into `series → value` (`name{labels}` as written,
/// labels sorted so lookups do not depend on the exporter's order).
fn parse(text: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let key = match series.split_once('{') {
            Some((name, labels)) => {
                let mut parts: Vec<&str> = labels.trim_end_matches('}').split(',').collect();
                parts.sort();
                format!("{name}{{{}}}", parts.join(","))
            }
            None => series.to_string(),
        };
        out.insert(key, value.parse().unwrap_or(f64::NAN));
    }
    out
}

fn series(name: &str, labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return name.to_string();
    }
    let mut parts: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    parts.sort();
    format!("{name}{{{}}}", parts.join(","))
}

#[test]
fn counters_match_a_known_run_exactly() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let dirs = Dirs::new();
    let good = articles(41, 0, 40);
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    png.extend([7u8; 64]);
    let bad: Vec<(String, Vec<u8>)> = vec![
        ("empty.txt".into(), Vec::new()),
        ("picture.png".into(), png),
        (
            "broken.xml".into(),
            b"<?xml version=\"1.0\"?>\n<nitf><body><body.content><p>Never closed".to_vec(),
        ),
    ];
    let mut want_rejected: BTreeMap<String, u64> = BTreeMap::new();
    for (name, bytes) in &bad {
        let kind = engine().clean(bytes).expect_err(name).kind().to_string();
        *want_rejected.entry(kind).or_default() += 1;
    }

    // expected articles by topic target and by language
    let want_out = expected_outputs(&good);
    let mut by_topic: BTreeMap<String, u64> = BTreeMap::new();
    for ((target, _), n) in &want_out {
        *by_topic.entry(target.clone()).or_default() += *n as u64;
    }
    let mut by_lang: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut articles_n = 0u64;
    for (_, bytes) in &good {
        for a in engine().process(bytes).expect("good file") {
            articles_n += 1;
            *by_lang
                .entry(wirefeed::metrics::language_label(&a.tagged.language.code))
                .or_default() += 1;
        }
    }
    let files_good = good.len() as u64;
    let files_all = files_good + bad.len() as u64;

    // a long ack wait: no message may be redelivered, so every count is exact
    let mut d = Daemon::start(
        &dirs,
        DaemonOpts::new(Some(nats.url())).env("WIREFEED_NATS_ACK_WAIT_SECS", "120"),
    );
    d.wait_ready(Duration::from_secs(30));
    drop_files(&dirs.inbox, &bad);
    drop_files(&dirs.inbox, &good);
    wait_stream_count(
        &nats.url(),
        "WIREFEED_OUT",
        total(&want_out) as u64,
        Duration::from_secs(120),
        Duration::from_millis(300),
    );
    wait_stream_count(
        &nats.url(),
        "WIREFEED_DLQ",
        bad.len() as u64,
        Duration::from_secs(60),
        Duration::from_millis(300),
    );
    // metrics are recorded right after the acks: wait until the last stage has counted all
    let processed_classify = series(
        "wirefeed_stage_messages_processed_total",
        &[("stage", "classify")],
    );
    let mut m = BTreeMap::new();
    wait_until("classify counters", Duration::from_secs(20), || {
        m = parse(&d.metrics());
        m.get(&processed_classify).copied() == Some(articles_n as f64)
            && m.get("wirefeed_files_published_total").copied() == Some(files_good as f64)
    });
    let get = |name: &str, labels: &[(&str, &str)]| -> f64 {
        let key = series(name, labels);
        *m.get(&key)
            .unwrap_or_else(|| panic!("series {key} missing from /metrics"))
    };

    assert_eq!(get("wirefeed_files_detected_total", &[]), files_all as f64);
    assert_eq!(
        get("wirefeed_files_published_total", &[]),
        files_good as f64
    );
    for kind in wirefeed::metrics::error_types() {
        let want = *want_rejected.get(kind).unwrap_or(&0) as f64;
        assert_eq!(
            get("wirefeed_files_rejected_total", &[("error_type", kind)]),
            want,
            "rejected {kind}"
        );
        assert_eq!(
            get(
                "wirefeed_dead_letters_total",
                &[("stage", "clean"), ("error_type", kind)]
            ),
            want,
            "dead letters {kind}"
        );
        assert_eq!(
            get(
                "wirefeed_stage_messages_failed_total",
                &[("stage", "watcher"), ("error_type", kind)]
            ),
            want,
            "watcher failed {kind}"
        );
        for stage in ["clean", "tag", "classify"] {
            assert_eq!(
                get(
                    "wirefeed_stage_messages_failed_total",
                    &[("stage", stage), ("error_type", kind)]
                ),
                0.0,
                "{stage} failed {kind}"
            );
        }
    }
    // per stage: the watcher reads every file; clean sees the good files; tag and
    // classify see one message per article
    let per_stage = [
        ("watcher", files_all, files_good),
        ("clean", files_good, files_good),
        ("tag", articles_n, articles_n),
        ("classify", articles_n, articles_n),
    ];
    for (stage, received, processed) in per_stage {
        assert_eq!(
            get(
                "wirefeed_stage_messages_received_total",
                &[("stage", stage)]
            ),
            received as f64,
            "{stage} received"
        );
        assert_eq!(
            get(
                "wirefeed_stage_messages_processed_total",
                &[("stage", stage)]
            ),
            processed as f64,
            "{stage} processed"
        );
        assert_eq!(
            get(
                "wirefeed_stage_messages_redelivered_total",
                &[("stage", stage)]
            ),
            0.0,
            "{stage} redelivered"
        );
        assert_eq!(
            get("wirefeed_stage_in_flight", &[("stage", stage)]),
            0.0,
            "{stage} in flight"
        );
        // one duration observation per message received
        assert_eq!(
            get(
                "wirefeed_stage_processing_seconds_count",
                &[("stage", stage)]
            ),
            received as f64,
            "{stage} histogram count"
        );
    }
    assert_eq!(
        get("wirefeed_end_to_end_latency_seconds_count", &[]),
        articles_n as f64
    );
    assert_eq!(
        get(
            "wirefeed_end_to_end_latency_seconds_bucket",
            &[("le", "+Inf")]
        ),
        articles_n as f64
    );
    for (topic, n) in &by_topic {
        assert_eq!(
            get("wirefeed_articles_total", &[("topic", topic)]),
            *n as f64,
            "topic {topic}"
        );
    }
    assert!(
        by_topic.len() >= 2,
        "the generated set covers several topics: {by_topic:?}"
    );
    for lang in wirefeed::metrics::LANGUAGES {
        let want = *by_lang.get(lang).unwrap_or(&0) as f64;
        assert_eq!(
            get("wirefeed_articles_by_language_total", &[("language", lang)]),
            want,
            "language {lang}"
        );
    }
    assert_eq!(get("wirefeed_nats_connected", &[]), 1.0);
    assert_eq!(get("wirefeed_nats_reconnects_total", &[]), 0.0);
    assert_eq!(
        get(
            "wirefeed_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    // the backlog gauge is refreshed from JetStream consumer info: drained to zero
    wait_until("backlog drained", Duration::from_secs(10), || {
        let m = parse(&d.metrics());
        ["clean", "tag", "classify"].iter().all(|s| {
            m.get(&series("wirefeed_stage_backlog_messages", &[("stage", s)]))
                .copied()
                == Some(0.0)
        })
    });
    d.assert_running();
}
