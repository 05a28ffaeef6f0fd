//! `wirefeed run` against a real nats-server: exact outputs, crash and broker-restart
//! safety, slow writers, floods, pre-existing files, bad inputs, split roles.
//!
//! Each test starts its own nats-server (random port, temp store) and daemon(s); all
//! child processes are killed on drop. Skipped (with a message) only when nats-server
//! is missing and `CI` is unset.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::time::{Duration, Instant};

use common::*;

const OUT: &str = "WIREFEED_OUT";
const DLQ: &str = "WIREFEED_DLQ";

/// Wait for every expected output, then compare the full multiset, check the DLQ is
/// empty, the inbox is empty and processed/ holds every file.
fn assert_complete(
    url: &str,
    dirs: &Dirs,
    files: &[(String, Vec<u8>)],
    want: &Multiset,
    timeout: Duration,
) {
    wait_stream_count(
        url,
        OUT,
        total(want) as u64,
        timeout,
        Duration::from_millis(1500),
    );
    let got = outputs_multiset(&read_stream(url, OUT), "wire");
    assert_same("output stream", &got, want);
    assert_eq!(stream_count(url, DLQ), 0, "dead letters for good files");
    wait_until("inbox to be empty", Duration::from_secs(30), || {
        file_names(&dirs.inbox).is_empty()
    });
    let processed: BTreeSet<String> = file_names(&dirs.processed).into_iter().collect();
    let names: BTreeSet<String> = files.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(
        processed.len(),
        file_names(&dirs.processed).len(),
        "duplicate names in processed/"
    );
    assert_eq!(
        processed, names,
        "processed/ must hold exactly the input files"
    );
}

macro_rules! nats_or_skip {
    () => {
        match NatsServer::start() {
            Some(n) => n,
            None => return,
        }
    };
}

#[test]
fn five_hundred_files_exact_outputs() {
    let t0 = Instant::now();
    let nats = nats_or_skip!();
    let dirs = Dirs::new();
    let files = articles(1, 0, 500);
    let want = expected_outputs(&files);
    let mix = topic_mix(&want);
    assert!(
        mix.len() >= 3,
        "generator should hit both topics and unclassified: {mix:?}"
    );
    let mut d = Daemon::start(&dirs, DaemonOpts::new(Some(nats.url())));
    d.wait_ready(Duration::from_secs(30));
    drop_files(&dirs.inbox, &files);
    assert_complete(&nats.url(), &dirs, &files, &want, Duration::from_secs(120));
    // the contract headers on every output
    for m in read_stream(&nats.url(), OUT).iter().take(50) {
        let lang = m.header("Wirefeed-Language").expect("language header");
        assert!(["ar", "en", "ru"].contains(&lang), "language {lang}");
        let topics = m.header("Wirefeed-Topics").expect("topics header");
        let topic = m.subject.strip_prefix("wire.out.").unwrap();
        if topic == "unclassified" {
            assert_eq!(topics, "");
        } else {
            assert!(topics.split(',').any(|t| t == topic), "{topics} vs {topic}");
        }
        let doc: serde_json::Value = serde_json::from_slice(&m.payload).expect("ninjs json");
        assert!(doc.is_object());
    }
    d.assert_running();
    eprintln!(
        "500 files, {} outputs, mix {mix:?}: {:?}",
        total(&want),
        t0.elapsed()
    );
}

#[test]
fn kill_9_ten_times_during_five_thousand_files() {
    let t0 = Instant::now();
    let nats = nats_or_skip!();
    let dirs = Dirs::new();
    let files = articles(2, 0, 5000);
    let want = expected_outputs(&files);
    let mut d = Daemon::start(&dirs, DaemonOpts::new(Some(nats.url())));
    d.wait_ready(Duration::from_secs(30));
    drop_files(&dirs.inbox, &files);
    // ten random moments spread over the run: at random output counts, plus jitter
    let mut r = Rng::new(0x5EED_0002);
    let n = total(&want) as u64;
    let mut marks: Vec<u64> = (0..10).map(|_| r.next() % (n * 95 / 100)).collect();
    marks.sort();
    for (i, mark) in marks.into_iter().enumerate() {
        wait_until(
            &format!("{mark} outputs before kill #{}", i + 1),
            Duration::from_secs(300),
            || stream_count(&nats.url(), OUT) >= mark,
        );
        std::thread::sleep(Duration::from_millis(r.next() % 400));
        d.assert_running();
        let done = stream_count(&nats.url(), OUT);
        d.kill9();
        eprintln!(
            "kill -9 #{} at {done}/{n} outputs ({:?})",
            i + 1,
            t0.elapsed()
        );
        d.restart();
    }
    d.wait_ready(Duration::from_secs(30));
    assert_complete(&nats.url(), &dirs, &files, &want, Duration::from_secs(400));
    d.assert_running();
    eprintln!(
        "5000 files with 10 kill -9, {} outputs: {:?}",
        total(&want),
        t0.elapsed()
    );
}

#[test]
fn nats_server_restarted_twice_mid_run() {
    let t0 = Instant::now();
    let mut nats = nats_or_skip!();
    let dirs = Dirs::new();
    let files = articles(3, 0, 1500);
    let want = expected_outputs(&files);
    let mut d = Daemon::start(&dirs, DaemonOpts::new(Some(nats.url())));
    d.wait_ready(Duration::from_secs(30));
    drop_files(&dirs.inbox, &files[..750]);
    for round in 0..2 {
        let target = (total(&want) as u64) * (round + 1) / 5;
        wait_until("some progress", Duration::from_secs(120), || {
            stream_count(&nats.url(), OUT) >= target
        });
        nats.stop();
        if round == 0 {
            // files keep arriving while the broker is away
            drop_files(&dirs.inbox, &files[750..]);
        }
        std::thread::sleep(Duration::from_secs(2));
        d.assert_running();
        nats.restart();
    }
    assert_complete(&nats.url(), &dirs, &files, &want, Duration::from_secs(240));
    d.wait_ready(Duration::from_secs(30));
    eprintln!("1500 files with 2 nats restarts: {:?}", t0.elapsed());
}

#[test]
fn slow_writer_file_is_processed_once_complete() {
    let nats = nats_or_skip!();
    let dirs = Dirs::new();
    let mut d = Daemon::start(&dirs, DaemonOpts::new(Some(nats.url())));
    d.wait_ready(Duration::from_secs(30));
    // 8 chunks, 250 ms apart (longer than the 200 ms quiet period), file kept open
    let chunks: Vec<String> = (0..8)
        .map(|i| {
            format!(
                "Protesters clashed with police in Almaty, and dozens were detained in Kazakhstan. Chunk sentence number {i} of the slow report.\n\n"
            )
        })
        .collect();
    let last = "Chunk sentence number 7 of the slow report.";
    let path = dirs.inbox.join("slow-writer.txt");
    {
        let mut f = std::fs::File::create(&path).expect("create");
        for c in &chunks {
            f.write_all(c.as_bytes()).expect("write chunk");
            f.flush().unwrap();
            std::thread::sleep(Duration::from_millis(250));
        }
    }
    let full: String = chunks.concat();
    let want = expected_outputs(&[("slow-writer.txt".into(), full.clone().into_bytes())]);
    assert_complete(
        &nats.url(),
        &dirs,
        &[("slow-writer.txt".into(), full.into_bytes())],
        &want,
        Duration::from_secs(30),
    );
    let msgs = read_stream(&nats.url(), OUT);
    assert!(
        msgs.iter()
            .all(|m| String::from_utf8_lossy(&m.payload).contains(last)),
        "output must hold the last chunk"
    );
    // nothing from a partial read: only one raw file went in
    assert_eq!(stream_count(&nats.url(), DLQ), 0);
}

#[test]
fn ten_thousand_files_at_once_overflow_the_event_queue() {
    let t0 = Instant::now();
    let nats = nats_or_skip!();
    let dirs = Dirs::new();
    let files = articles(5, 0, 10_000);
    let want = expected_outputs(&files);
    let mut d = Daemon::start(
        &dirs,
        DaemonOpts::new(Some(nats.url())).env("WIREFEED_INBOX_EVENT_QUEUE", "64"),
    );
    d.wait_ready(Duration::from_secs(30));
    // written straight into the inbox as fast as possible (create, write, close)
    write_files(&dirs.inbox, &files);
    assert_complete(&nats.url(), &dirs, &files, &want, Duration::from_secs(480));
    d.assert_running();
    eprintln!("10000 files at once: {:?}", t0.elapsed());
}

#[test]
fn files_present_before_start_are_processed() {
    let nats = nats_or_skip!();
    let dirs = Dirs::new();
    let files = articles(6, 0, 100);
    let want = expected_outputs(&files);
    write_files(&dirs.inbox, &files);
    let mut d = Daemon::start(&dirs, DaemonOpts::new(Some(nats.url())));
    assert_complete(&nats.url(), &dirs, &files, &want, Duration::from_secs(60));
    d.assert_running();
}

fn billion_laughs() -> Vec<u8> {
    let mut s = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    s.push_str("<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n");
    for i in 2..10 {
        let p = i - 1;
        s.push_str(&format!(
            "<!ENTITY lol{i} \"&lol{p};&lol{p};&lol{p};&lol{p};&lol{p};&lol{p};&lol{p};&lol{p};&lol{p};&lol{p};\">\n"
        ));
    }
    s.push_str("]>\n<nitf><body><body.content><p>&lol9;</p></body.content></body></nitf>\n");
    s.into_bytes()
}

#[test]
fn bad_inputs_are_dead_lettered_and_rejected() {
    let nats = nats_or_skip!();
    let dirs = Dirs::new();
    let max = 20_000usize;
    let mut oversize = b"Protests in Kazakhstan\n\n".to_vec();
    while oversize.len() <= max {
        oversize.extend_from_slice(b"Protesters clashed with police in Almaty on Wednesday.\n\n");
    }
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    png.extend((0..200u32).map(|i| (i * 7 % 256) as u8));
    let bad: Vec<(String, Vec<u8>)> = vec![
        ("empty.txt".into(), Vec::new()),
        ("image.png".into(), png),
        ("laughs.xml".into(), billion_laughs()),
        (
            "malformed.xml".into(),
            b"<?xml version=\"1.0\"?>\n<nitf><head><title>Broken</title></head><body><body.content><p>Unclosed paragraph about Kazakhstan".to_vec(),
        ),
        (
            "xxe.xml".into(),
            b"<?xml version=\"1.0\"?>\n<!DOCTYPE nitf [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<nitf><head><title>Leak</title></head><body><body.content><p>&xxe;</p></body.content></body></nitf>\n".to_vec(),
        ),
        ("oversize.txt".into(), oversize),
    ];
    // the error type each must get, computed in-process
    let limited = wirefeed::engine::Engine::builtin()
        .unwrap()
        .with_max_input_bytes(max);
    let mut want_kind = std::collections::BTreeMap::new();
    for (name, bytes) in &bad {
        let err = limited
            .clean(bytes)
            .map(|a| a.len())
            .expect_err(&format!("{name} must be rejected by the engine"));
        want_kind.insert(name.clone(), err.kind().to_string());
    }
    let good = articles(7, 0, 20);
    let want = expected_outputs(&good);
    let mut d = Daemon::start(
        &dirs,
        DaemonOpts::new(Some(nats.url())).env("WIREFEED_INBOX_MAX_FILE_BYTES", &max.to_string()),
    );
    d.wait_ready(Duration::from_secs(30));
    drop_files(&dirs.inbox, &bad);
    drop_files(&dirs.inbox, &good);
    wait_stream_count(
        &nats.url(),
        DLQ,
        bad.len() as u64,
        Duration::from_secs(60),
        Duration::from_millis(500),
    );
    wait_stream_count(
        &nats.url(),
        OUT,
        total(&want) as u64,
        Duration::from_secs(60),
        Duration::from_millis(500),
    );
    let got = outputs_multiset(&read_stream(&nats.url(), OUT), "wire");
    assert_same("good files next to bad ones", &got, &want);
    let dlq = read_stream(&nats.url(), DLQ);
    let mut seen = BTreeSet::new();
    for m in &dlq {
        assert_eq!(m.subject, "wire.dlq.clean");
        let body: serde_json::Value = serde_json::from_slice(&m.payload).expect("dlq json");
        let name = body["path"].as_str().expect("dlq path").to_string();
        let kind = body["error_type"].as_str().expect("error_type");
        assert_eq!(
            Some(kind),
            want_kind.get(&name).map(String::as_str),
            "{name}"
        );
        assert_eq!(m.header("Wirefeed-Error-Type"), Some(kind));
        assert!(
            !body["reason"].as_str().unwrap_or("").is_empty(),
            "{name}: reason"
        );
        seen.insert(name.clone());
        // the file in rejected/ with its sidecar
        wait_until(
            &format!("{name} in rejected/"),
            Duration::from_secs(10),
            || dirs.rejected.join(&name).is_file(),
        );
        let sidecar = std::fs::read_to_string(dirs.rejected.join(format!("{name}.reason")))
            .unwrap_or_else(|e| panic!("{name}.reason: {e}"));
        assert!(
            sidecar.contains(&format!("error_type: {kind}")),
            "{name}: {sidecar}"
        );
    }
    assert_eq!(
        seen.len(),
        bad.len(),
        "one dead letter per bad file: {seen:?}"
    );
    let xxe = dlq
        .iter()
        .map(|m| String::from_utf8_lossy(&m.payload).to_string())
        .collect::<String>();
    assert!(!xxe.contains("root:"), "XXE must not leak local files");
    wait_until("inbox empty", Duration::from_secs(10), || {
        file_names(&dirs.inbox).is_empty()
    });
    let processed: BTreeSet<String> = file_names(&dirs.processed).into_iter().collect();
    let names: BTreeSet<String> = good.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(processed, names);
    // still healthy, and still processing
    assert_eq!(http_get(d.metrics_port, "/readyz").map(|x| x.0), Some(200));
    let more = articles(7, 1000, 10);
    let mut want2 = want.clone();
    for (k, v) in expected_outputs(&more) {
        *want2.entry(k).or_default() += v;
    }
    drop_files(&dirs.inbox, &more);
    wait_stream_count(
        &nats.url(),
        OUT,
        total(&want2) as u64,
        Duration::from_secs(60),
        Duration::from_millis(500),
    );
    let got = outputs_multiset(&read_stream(&nats.url(), OUT), "wire");
    assert_same("good files after bad ones", &got, &want2);
    d.assert_running();
}

#[test]
fn split_roles_give_the_same_outputs_as_role_all() {
    let t0 = Instant::now();
    let files = articles(8, 0, 200);
    let want = expected_outputs(&files);
    // --role all
    let all = {
        let nats = nats_or_skip!();
        let dirs = Dirs::new();
        let mut d = Daemon::start(&dirs, DaemonOpts::new(Some(nats.url())));
        d.wait_ready(Duration::from_secs(30));
        drop_files(&dirs.inbox, &files);
        assert_complete(&nats.url(), &dirs, &files, &want, Duration::from_secs(90));
        outputs_multiset(&read_stream(&nats.url(), OUT), "wire")
    };
    // four processes, one role each
    let nats = nats_or_skip!();
    let dirs = Dirs::new();
    let mut procs: Vec<Daemon> = ["watcher", "clean", "tag", "classify"]
        .iter()
        .map(|r| Daemon::start(&dirs, DaemonOpts::new(Some(nats.url())).role(r)))
        .collect();
    for p in &mut procs {
        p.wait_ready(Duration::from_secs(30));
    }
    drop_files(&dirs.inbox, &files);
    assert_complete(&nats.url(), &dirs, &files, &want, Duration::from_secs(90));
    let split = outputs_multiset(&read_stream(&nats.url(), OUT), "wire");
    assert_same("split roles vs --role all", &split, &all);
    for p in &mut procs {
        p.assert_running();
    }
    eprintln!("roles: {:?}", t0.elapsed());
}

/// A 600 KB article passes with the server's default 1 MiB max_payload: the raw file
/// travels once, and every message between stages carries its text once (not the
/// display text and its matching form). The inbox limit is derived from max_payload.
#[test]
fn six_hundred_kb_article_fits_the_default_max_payload() {
    let nats = nats_or_skip!();
    let dirs = Dirs::new();
    // one long English article: a headline, then paragraphs of generated reports
    let parts = articles(77, 0, 20000);
    let mut text = String::from("Officials report on the long review of regional projects\n\n");
    for (_, bytes) in &parts {
        let body = String::from_utf8_lossy(bytes);
        if let Some((_, rest)) = body.split_once("\n\n") {
            if rest.is_ascii() {
                text.push_str(rest.trim());
                text.push_str("\n\n");
            }
        }
        if text.len() > 600 * 1024 {
            break;
        }
    }
    assert!(
        text.len() > 600 * 1024,
        "generator made {} bytes",
        text.len()
    );
    let files = vec![("long.txt".to_string(), text.into_bytes())];
    let want = expected_outputs(&files);
    let mut d = Daemon::start(&dirs, DaemonOpts::new(Some(nats.url())));
    d.wait_ready(Duration::from_secs(30));
    drop_files(&dirs.inbox, &files);
    assert_complete(&nats.url(), &dirs, &files, &want, Duration::from_secs(120));
    assert_eq!(stream_count(&nats.url(), DLQ), 0);
}

/// A frozen broker (SIGSTOP: the connection stays open, nothing answers): /readyz turns
/// degraded, SIGTERM exits within the drain limit + 1 s, and after the broker is back a
/// restart delivers every article exactly once.
#[test]
fn sigterm_with_the_broker_frozen_exits_within_the_drain_limit() {
    let nats = nats_or_skip!();
    let dirs = Dirs::new();
    let files = articles(11, 0, 60);
    let want = expected_outputs(&files);
    let drain = Duration::from_secs(3);
    let opts = DaemonOpts::new(Some(nats.url())).env(
        "WIREFEED_SHUTDOWN_DRAIN_TIMEOUT_SECS",
        &drain.as_secs().to_string(),
    );
    let mut d = Daemon::start(&dirs, opts);
    d.wait_ready(Duration::from_secs(30));
    let broker = nats.pid().expect("nats-server running");
    send_signal(broker, "STOP");
    drop_files(&dirs.inbox, &files);
    wait_until("/readyz degraded", Duration::from_secs(30), || {
        http_get(d.metrics_port, "/readyz").is_some_and(|(c, _)| c == 503)
    });
    let t0 = Instant::now();
    let status = d.terminate(drain + Duration::from_secs(5));
    let took = t0.elapsed();
    send_signal(broker, "CONT");
    assert!(status.success(), "exit status {status}");
    assert!(
        took <= drain + Duration::from_secs(1),
        "SIGTERM with the broker frozen took {took:?} (drain limit {drain:?})"
    );
    d.restart();
    assert_complete(&nats.url(), &dirs, &files, &want, Duration::from_secs(120));
}
