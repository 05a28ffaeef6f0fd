//! `wirefeed run` without NATS (embedded mode): the same no-loss guarantees, with the
//! outputs as files `outbox/<topic>/<article-id>.json`.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::*;

/// Wait until the outbox holds every expected output, then check it exactly: every
/// expected `<topic>/<id>.json`, nothing else besides `_dlq` (which must be empty of
/// dead letters), inbox empty, processed/ holds every file.
fn assert_outbox_complete(
    dirs: &Dirs,
    files: &[(String, Vec<u8>)],
    want: &Multiset,
    timeout: Duration,
) {
    let n = total(want);
    wait_until(&format!("{n} outputs in the outbox"), timeout, || {
        outbox_count(&dirs.outbox) >= n && file_names(&dirs.inbox).is_empty()
    });
    std::thread::sleep(Duration::from_millis(500));
    let (got, stray) = outbox_multiset(&dirs.outbox);
    assert_same("outbox", &got, want);
    assert!(
        stray.is_empty(),
        "unexpected entries in the outbox: {stray:?}"
    );
    assert!(
        !dirs.outbox.join("_dlq").exists() || walk(&dirs.outbox.join("_dlq")).is_empty(),
        "dead letters for good files: {:?}",
        walk(&dirs.outbox.join("_dlq"))
    );
    assert!(file_names(&dirs.inbox).is_empty(), "inbox not empty");
    let processed: BTreeSet<String> = file_names(&dirs.processed).into_iter().collect();
    let names: BTreeSet<String> = files.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(
        processed, names,
        "processed/ must hold exactly the input files"
    );
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.path().is_dir() {
                out.extend(walk(&e.path()));
            } else {
                out.push(e.path().display().to_string());
            }
        }
    }
    out
}

#[test]
fn embedded_five_hundred_files_exact_outbox() {
    let t0 = Instant::now();
    let dirs = Dirs::new();
    let files = articles(11, 0, 500);
    let want = expected_outputs(&files);
    let mut d = Daemon::start(&dirs, DaemonOpts::new(None));
    d.wait_ready(Duration::from_secs(30));
    drop_files(&dirs.inbox, &files);
    assert_outbox_complete(&dirs, &files, &want, Duration::from_secs(120));
    // each output is the ninjs document of its article
    let (got, _) = outbox_multiset(&dirs.outbox);
    for (topic, id) in got.keys().take(20) {
        let p = dirs.outbox.join(topic).join(format!("{id}.json"));
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&p).unwrap()).expect("ninjs json");
        assert!(doc.is_object(), "{}", p.display());
    }
    d.assert_running();
    eprintln!("embedded 500 files: {:?}", t0.elapsed());
}

#[test]
fn embedded_kill_9_loop_then_complete() {
    let t0 = Instant::now();
    let dirs = Dirs::new();
    let files = articles(12, 0, 5000);
    let want = expected_outputs(&files);
    let mut d = Daemon::start(&dirs, DaemonOpts::new(None));
    d.wait_ready(Duration::from_secs(30));
    drop_files(&dirs.inbox, &files);
    // ten random moments spread over the run: at random output counts, plus jitter
    let mut r = Rng::new(0x5EED_0012);
    let n = total(&want);
    let mut marks: Vec<usize> = (0..10).map(|_| r.below(n * 95 / 100)).collect();
    marks.sort();
    for (i, mark) in marks.into_iter().enumerate() {
        wait_until(
            &format!("{mark} outputs before kill #{}", i + 1),
            Duration::from_secs(300),
            || outbox_count(&dirs.outbox) >= mark,
        );
        std::thread::sleep(Duration::from_millis(r.next() % 400));
        d.assert_running();
        d.kill9();
        eprintln!(
            "kill -9 #{} at {}/{n} outputs, {} files left ({:?})",
            i + 1,
            outbox_count(&dirs.outbox),
            file_names(&dirs.inbox).len(),
            t0.elapsed()
        );
        d.restart();
    }
    d.wait_ready(Duration::from_secs(30));
    assert_outbox_complete(&dirs, &files, &want, Duration::from_secs(300));
    d.assert_running();
    eprintln!("embedded 5000 files with 10 kill -9: {:?}", t0.elapsed());
}

#[test]
fn embedded_sigterm_drains_and_exits_zero() {
    let dirs = Dirs::new();
    let files = articles(13, 0, 300);
    let want = expected_outputs(&files);
    let mut d = Daemon::start(&dirs, DaemonOpts::new(None));
    d.wait_ready(Duration::from_secs(30));
    drop_files(&dirs.inbox, &files);
    // stop mid-run
    wait_until("some outputs", Duration::from_secs(60), || {
        outbox_count(&dirs.outbox) > 20
    });
    let st = d.terminate(Duration::from_secs(20));
    assert!(st.success(), "exit status after SIGTERM: {st}");
    // every file taken before the stop is finished: its outputs are all written and
    // it is in processed/; nothing is half done
    let (got, stray) = outbox_multiset(&dirs.outbox);
    assert!(
        stray.is_empty(),
        "stray outbox entries after drain: {stray:?}"
    );
    let done: BTreeSet<String> = file_names(&dirs.processed).into_iter().collect();
    let done_files: Vec<(String, Vec<u8>)> = files
        .iter()
        .filter(|(n, _)| done.contains(n))
        .cloned()
        .collect();
    assert_same(
        "outputs of the processed files",
        &got,
        &expected_outputs(&done_files),
    );
    // a restart finishes the rest
    d.restart();
    assert_outbox_complete(&dirs, &files, &want, Duration::from_secs(120));
}
