//! The settings layer against the real binary: absurd values are refused at start
//! with the key and variable named (no panic, no OOM), secrets never reach
//! `config --check` or the log, and permanent JetStream set-up errors end the start
//! with a clear message instead of a retry loop.

#[allow(unused_imports)]
mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn wirefeed(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wirefeed"));
    cmd.args(args).stdin(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("WIREFEED_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("run wirefeed");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn absurd_values_fail_at_start_naming_key_and_variable() {
    let dirs = Dirs::new();
    let inbox = dirs.inbox.to_str().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        (
            "WIREFEED_INBOX_PUBLISH_WINDOW",
            "18446744073709551615",
            "inbox.publish_window",
        ),
        (
            "WIREFEED_INBOX_EVENT_QUEUE",
            "9223372036854775807",
            "inbox.event_queue",
        ),
        (
            "WIREFEED_EMBEDDED_QUEUE_CAPACITY",
            "0",
            "embedded.queue_capacity",
        ),
        (
            "WIREFEED_STAGES_CLEAN_CONCURRENCY",
            "100000000",
            "stages.clean_concurrency",
        ),
        (
            "WIREFEED_INBOX_QUIET_PERIOD_MS",
            "9223372036854775807",
            "inbox.quiet_period_ms",
        ),
        (
            "WIREFEED_INBOX_MAX_FILE_BYTES",
            "1099511627776",
            "inbox.max_file_bytes",
        ),
        (
            "WIREFEED_SHUTDOWN_DRAIN_TIMEOUT_SECS",
            "9223372036854775807",
            "shutdown.drain_timeout_secs",
        ),
        ("WIREFEED_NATS_ACK_WAIT_SECS", "0", "nats.ack_wait_secs"),
        (
            "WIREFEED_METRICS_MAX_CONNECTIONS",
            "0",
            "metrics.max_connections",
        ),
        (
            "WIREFEED_NATS_STREAM_PREFIX",
            "BAD.NAME",
            "nats.stream_prefix",
        ),
        (
            "WIREFEED_NATS_SUBJECT_PREFIX",
            "wire..x",
            "nats.subject_prefix",
        ),
    ];
    for (var, value, key) in cases {
        let t0 = Instant::now();
        let (code, _, err) = wirefeed(
            &["run", "--inbox", inbox, "--metrics-listen", ""],
            &[(var, value)],
        );
        assert_eq!(code, Some(2), "{var}={value}: exit {code:?}\n{err}");
        assert!(
            err.contains(key),
            "{var}={value}: error names {key}:\n{err}"
        );
        assert!(
            err.contains(var),
            "{var}={value}: error names {var}:\n{err}"
        );
        assert!(!err.contains("panicked"), "{var}={value}: panic\n{err}");
        assert!(t0.elapsed() < Duration::from_secs(10));
    }
    // a negative value for an unsigned key is a type error, also named
    let (code, _, err) = wirefeed(
        &["run", "--inbox", inbox, "--metrics-listen", ""],
        &[("WIREFEED_INBOX_PUBLISH_WINDOW", "-1")],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("publish_window"), "{err}");
}

#[test]
fn config_check_redacts_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("w.toml");
    std::fs::write(
        &file,
        "[nats]\nurl = \"nats://alice:pa55-in-url@127.0.0.1:4222,nats://tok3n-in-url@10.0.0.2:4222\"\nuser = \"alice\"\npassword = \"pa55-in-file\"\n",
    )
    .unwrap();
    let (code, out, err) = wirefeed(
        &["config", "--check", file.to_str().unwrap()],
        &[
            ("WIREFEED_NATS_TOKEN", "tok3n-in-env"),
            ("WIREFEED_NATS_NKEY", "SUAFAKESEED"),
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    for secret in [
        "pa55-in-url",
        "tok3n-in-url",
        "pa55-in-file",
        "tok3n-in-env",
        "SUAFAKESEED",
    ] {
        assert!(!out.contains(secret), "{secret} printed:\n{out}");
        assert!(!err.contains(secret), "{secret} printed:\n{err}");
    }
    assert!(out.contains("alice:<redacted>@127.0.0.1:4222"), "{out}");
    assert!(out.contains("password = \"<redacted>\""), "{out}");
}

/// Replicas 3 on a single server: a clear start-up failure, not a retry loop; the
/// password in the URL does not reach the log either.
#[test]
fn jetstream_permanent_setup_errors_fail_at_start() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let dirs = Dirs::new();
    let url = format!("nats://someone:hunter2-secret@127.0.0.1:{}", nats.port);
    let t0 = Instant::now();
    let (code, _, err) = wirefeed(
        &[
            "run",
            "--inbox",
            dirs.inbox.to_str().unwrap(),
            "--metrics-listen",
            "",
            "--nats-url",
            &url,
        ],
        &[("WIREFEED_NATS_REPLICAS", "3")],
    );
    let took = t0.elapsed();
    assert_eq!(code, Some(2), "exit code {code:?}\n{err}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(err.contains("nats.replicas"), "{err}");
    assert!(err.contains("WIREFEED_NATS_REPLICAS"), "{err}");
    assert!(
        !err.contains("hunter2-secret"),
        "password in the log:\n{err}"
    );
}
