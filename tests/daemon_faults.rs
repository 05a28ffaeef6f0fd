//! Faults of the host and the broker are transient: the input stays claimed, is
//! retried with backoff, `/readyz` reports degraded and
//! `wirefeed_transient_failures_total` counts it; once the fault is fixed every input
//! is output exactly once — nothing lost, nothing dead-lettered, nothing twice.
//!
//! Each test ends with an exact count against real parts: a full tmpfs (mounted by
//! the test; it runs as root), a folder the (unprivileged) daemon cannot write, a
//! nats-server whose JetStream store is full.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;

const NOBODY: u32 = 65534;

fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn metric_sum(page: &str, name: &str, has: &str) -> f64 {
    page.lines()
        .filter(|l| l.starts_with(name) && l.contains(has))
        .filter_map(|l| l.rsplit_once(' ').and_then(|(_, v)| v.parse::<f64>().ok()))
        .sum()
}

/// A tmpfs of `size` mounted on `dir`, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Tmpfs {
        let st = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0777"),
                "tmpfs",
            ])
            .arg(dir)
            .status()
            .expect("running mount");
        assert!(
            st.success(),
            "mount -t tmpfs on {} failed (the fault tests run as root)",
            dir.display()
        );
        Tmpfs(dir.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fill the filesystem of `dir` with one file; returns its path.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while f.write_all(&chunk).is_ok() {}
    let mut small = vec![0u8; 512];
    while !small.is_empty() {
        if f.write_all(&small).is_err() {
            small.truncate(small.len() / 2);
        }
    }
    let _ = f.sync_all();
    path
}

fn readyz(d: &Daemon) -> Option<(u16, String)> {
    http_get(d.metrics_port, "/readyz")
}

/// The outbox holds exactly `want`, no dead letters, no stray files; the inbox is
/// empty and processed/ holds every input.
fn assert_exact_outbox(dirs: &Dirs, files: &[(String, Vec<u8>)], want: &Multiset) {
    let (got, stray) = outbox_multiset(&dirs.outbox);
    assert_same("outbox", &got, want);
    assert!(stray.is_empty(), "stray entries in the outbox: {stray:?}");
    let dlq = dirs.outbox.join("_dlq");
    let dead = std::fs::read_dir(&dlq)
        .map(|rd| rd.flatten().count())
        .unwrap_or(0);
    assert_eq!(dead, 0, "dead letters for good files");
    assert!(file_names(&dirs.inbox).is_empty(), "inbox not empty");
    let processed: BTreeSet<String> = file_names(&dirs.processed).into_iter().collect();
    let names: BTreeSet<String> = files.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(processed, names, "processed/ holds exactly the inputs");
}

/// Embedded, outbox on a full tmpfs: the inputs stay in the inbox while the writes
/// fail (readiness degraded, failures counted as `disk_full`), then every one is
/// written once the space is freed.
#[test]
fn embedded_outbox_on_full_tmpfs_loses_nothing() {
    let dirs = Dirs::new();
    let _mnt = Tmpfs::mount(&dirs.outbox, "4m");
    let filler = fill(&dirs.outbox);
    let files = articles(401, 0, 240);
    let want = expected_outputs(&files);
    let mut d = Daemon::start(&dirs, DaemonOpts::new(None));
    // not ready until the first transient failure is seen is fine; wait for start
    wait_until("daemon listening", Duration::from_secs(30), || {
        readyz(&d).is_some()
    });
    drop_files(&dirs.inbox, &files);
    wait_until(
        "transient disk_full failures",
        Duration::from_secs(30),
        || {
            metric_sum(
                &d.metrics(),
                "wirefeed_transient_failures_total",
                "error_type=\"disk_full\"",
            ) > 0.0
        },
    );
    std::thread::sleep(Duration::from_secs(3));
    let (code, body) = readyz(&d).expect("readyz answers");
    assert_eq!(code, 503, "readyz while the outbox is full: {body}");
    assert!(body.contains("degraded: classify"), "{body}");
    assert!(body.contains("disk_full"), "{body}");
    // nothing left the inbox: no input is marked processed without its outputs
    let (got, _) = outbox_multiset(&dirs.outbox);
    let done: usize = got.values().sum();
    let left = file_names(&dirs.inbox).len();
    let processed = file_names(&dirs.processed).len();
    assert!(
        left > 0,
        "inputs must wait in the inbox while the outbox is full"
    );
    eprintln!("while full: {done} outputs, {left} inputs waiting, {processed} processed");
    std::fs::remove_file(&filler).unwrap();
    wait_until(
        "every output after the space is freed",
        Duration::from_secs(90),
        || outbox_count(&dirs.outbox) >= total(&want) && file_names(&dirs.inbox).is_empty(),
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_exact_outbox(&dirs, &files, &want);
    wait_until("ready again", Duration::from_secs(10), || {
        readyz(&d).is_some_and(|(c, _)| c == 200)
    });
    let m = d.metrics();
    assert_eq!(metric_sum(&m, "wirefeed_dead_letters_total", ""), 0.0);
    assert_eq!(metric_sum(&m, "wirefeed_files_rejected_total", ""), 0.0);
    eprintln!(
        "full tmpfs: {} inputs, {} outputs, 0 dead letters, {} transient failures",
        files.len(),
        total(&want),
        metric_sum(&m, "wirefeed_transient_failures_total", "")
    );
    d.assert_running();
}

/// Embedded, outbox not writable by the (unprivileged) daemon, then fixed.
#[test]
fn embedded_unwritable_outbox_then_fixed_loses_nothing() {
    let dirs = Dirs::new();
    for p in [
        dirs.inbox.parent().unwrap(),
        &dirs.inbox,
        &dirs.processed,
        &dirs.rejected,
    ] {
        chmod(p, 0o777);
    }
    chmod(&dirs.outbox, 0o555);
    let files = articles(402, 0, 120);
    let want = expected_outputs(&files);
    let mut opts = DaemonOpts::new(None);
    opts.uid = Some(NOBODY);
    let mut d = Daemon::start(&dirs, opts);
    wait_until("daemon listening", Duration::from_secs(30), || {
        readyz(&d).is_some()
    });
    drop_files(&dirs.inbox, &files);
    wait_until(
        "transient permission failures",
        Duration::from_secs(30),
        || {
            metric_sum(
                &d.metrics(),
                "wirefeed_transient_failures_total",
                "error_type=\"permission\"",
            ) > 0.0
        },
    );
    std::thread::sleep(Duration::from_secs(3));
    let (code, body) = readyz(&d).expect("readyz answers");
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("permission"), "{body}");
    assert_eq!(
        file_names(&dirs.inbox).len(),
        files.len(),
        "all inputs wait"
    );
    assert!(file_names(&dirs.processed).is_empty());
    chmod(&dirs.outbox, 0o777);
    wait_until(
        "every output after the fix",
        Duration::from_secs(90),
        || outbox_count(&dirs.outbox) >= total(&want) && file_names(&dirs.inbox).is_empty(),
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_exact_outbox(&dirs, &files, &want);
    let m = d.metrics();
    assert_eq!(metric_sum(&m, "wirefeed_dead_letters_total", ""), 0.0);
    eprintln!(
        "unwritable outbox: {} inputs, {} outputs, 0 dead letters, {} transient failures",
        files.len(),
        total(&want),
        metric_sum(&m, "wirefeed_transient_failures_total", "")
    );
    d.assert_running();
}

/// JetStream with the broker's store full (a tiny `max_file_store`), then grown by a
/// config reload: 800 articles in, 800 out, no dead letters — a full store is not a
/// delivery and never reaches `max_deliver`.
#[test]
fn jetstream_store_full_then_grown_loses_nothing() {
    let Some(mut nats) = NatsServer::start_with_jetstream("max_file_store: 1MB") else {
        return;
    };
    let url = nats.url();
    let dirs = Dirs::new();
    let files = articles(403, 0, 800);
    let want = expected_outputs(&files);
    let opts = DaemonOpts::new(Some(url.clone())).env("WIREFEED_NATS_MAX_DELIVER", "3");
    let mut d = Daemon::start(&dirs, opts);
    d.wait_ready(Duration::from_secs(30));
    drop_files(&dirs.inbox, &files);
    wait_until("broker_full failures", Duration::from_secs(60), || {
        metric_sum(
            &d.metrics(),
            "wirefeed_transient_failures_total",
            "error_type=\"broker_full\"",
        ) > 0.0
    });
    // full for longer than max_deliver × ack_wait (3 × 2 s)
    std::thread::sleep(Duration::from_secs(12));
    let (code, body) = readyz(&d).expect("readyz answers");
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("broker_full"), "{body}");
    nats.reload_jetstream("max_file_store: 1GB");
    wait_stream_count(
        &url,
        "WIREFEED_OUT",
        total(&want) as u64,
        Duration::from_secs(180),
        Duration::from_millis(1500),
    );
    let got = outputs_multiset(&read_stream(&url, "WIREFEED_OUT"), "wire");
    assert_same("output stream", &got, &want);
    assert_eq!(stream_count(&url, "WIREFEED_DLQ"), 0, "dead letters");
    wait_until("inbox empty", Duration::from_secs(30), || {
        file_names(&dirs.inbox).is_empty()
    });
    assert_eq!(file_names(&dirs.processed).len(), files.len());
    let m = d.metrics();
    eprintln!(
        "store full: {} articles in, {} outputs out, {} dead letters, {} transient failures",
        files.len(),
        total(&want),
        stream_count(&url, "WIREFEED_DLQ"),
        metric_sum(&m, "wirefeed_transient_failures_total", "")
    );
    d.assert_running();
}
