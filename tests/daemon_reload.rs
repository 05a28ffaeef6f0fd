//! Hot reload (issue 9): SIGHUP rebuilds topics and data beside the running engine and
//! swaps it in; a broken file keeps the running rules and says why (log, metric,
//! `/readyz`). Real daemon processes, embedded and on a real nats-server.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;

/// A topic of our own, on a word no built-in topic knows.
const GOOD_TOPIC: &str = r#"# a test topic: reports about quokkas
id = "quokka_watch"
label = "Quokka watch"
threshold = 1.0

[groups.quokka]
weight = 1.0
terms.en = ["quokka*"]
"#;

/// The same file with a typo on line 6 (an unknown key in a group).
const BROKEN_TOPIC: &str = r#"# a test topic: reports about quokkas
id = "quokka_watch"
label = "Quokka watch"
threshold = 1.0
[groups.quokka]
wieght = 1.0
terms.en = ["quokka*"]
"#;

fn article(n: usize) -> (String, Vec<u8>) {
    (
        format!("quokka-{n}.txt"),
        format!(
            "Quokkas seen again on the island, report {n}\n\n\
             Rangers counted more quokkas this spring than in any year before, report {n} says.\n\n\
             The quokka population had fallen after the fires, and visitors were asked to keep their distance.\n"
        )
        .into_bytes(),
    )
}

/// The value of one series in a Prometheus text page (0 when missing).
fn metric(page: &str, series: &str) -> f64 {
    page.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

fn wait_metric(d: &Daemon, series: &str, want: f64) {
    wait_until(
        &format!("{series} = {want}"),
        Duration::from_secs(60),
        || metric(&d.metrics(), series) == want,
    );
}

/// Which topics the article whose text holds `name` came out on.
fn topics_of(d: &Daemon, nats: Option<&str>, name: &str) -> Vec<String> {
    let id_of = |body: &[u8]| -> bool {
        std::str::from_utf8(body)
            .map(|s| s.contains(name))
            .unwrap_or(false)
    };
    let mut out = Vec::new();
    match nats {
        None => {
            // the topic folders (not the stories table and its state, nor alerts)
            let topic_dirs = std::fs::read_dir(&d.outbox)
                .into_iter()
                .flatten()
                .flatten()
                .filter(|t| {
                    !["stories", "alerts"].contains(&t.file_name().to_string_lossy().as_ref())
                });
            for f in topic_dirs.flat_map(|t| list_files(&t.path())) {
                if std::fs::read(&f).is_ok_and(|b| id_of(&b)) {
                    let topic = f
                        .parent()
                        .and_then(Path::file_name)
                        .map(|t| t.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    out.push(topic);
                }
            }
        }
        Some(url) => {
            for m in read_stream(url, "WIREFEED_OUT") {
                if id_of(&m.payload) {
                    out.push(m.subject.rsplit('.').next().unwrap_or("").to_string());
                }
            }
        }
    }
    out.sort();
    out
}

fn wait_out(d: &Daemon, nats: Option<&str>, name: &str) -> Vec<String> {
    let mut got = Vec::new();
    wait_until(
        &format!("{name} published"),
        Duration::from_secs(60),
        || {
            got = topics_of(d, nats, name);
            !got.is_empty()
        },
    );
    got
}

fn reload_cycle(nats: Option<String>) {
    let dirs = Dirs::new();
    let data = tempfile::tempdir().expect("data dir");
    let topics = data.path().join("topics");
    std::fs::create_dir_all(&topics).unwrap();
    let url = nats.clone();
    let opts = DaemonOpts::new(nats).env("WIREFEED_DATA_DIR", &data.path().to_string_lossy());
    let mut d = Daemon::start(&dirs, opts);
    d.wait_ready(Duration::from_secs(30));
    let pid = d.pid().expect("pid");
    assert_eq!(metric(&d.metrics(), "wirefeed_data_generation"), 1.0);

    // 1. before: nobody knows quokkas
    drop_files(&dirs.inbox, &[article(1)]);
    assert_eq!(
        wait_out(&d, url.as_deref(), "island, report 1"),
        ["unclassified"]
    );

    // 2. a new topic file, then SIGHUP: the next article uses it
    std::fs::write(topics.join("quokka_watch.toml"), GOOD_TOPIC).unwrap();
    send_signal(pid, "HUP");
    wait_metric(&d, "wirefeed_data_reloads_total{result=\"ok\"}", 1.0);
    assert_eq!(metric(&d.metrics(), "wirefeed_data_generation"), 2.0);
    assert!(d.log_text().contains("reloaded topics and data"));
    drop_files(&dirs.inbox, &[article(2)]);
    assert_eq!(
        wait_out(&d, url.as_deref(), "island, report 2"),
        ["quokka_watch"]
    );

    // 3. a broken edit, then SIGHUP: refused, with file:line, the old rules stay
    std::fs::write(topics.join("quokka_watch.toml"), BROKEN_TOPIC).unwrap();
    send_signal(pid, "HUP");
    wait_metric(&d, "wirefeed_data_reloads_total{result=\"failed\"}", 1.0);
    let page = d.metrics();
    assert_eq!(metric(&page, "wirefeed_data_reload_failing"), 1.0);
    assert_eq!(metric(&page, "wirefeed_data_generation"), 2.0);
    let (code, body) = http_get(d.metrics_port, "/readyz").expect("/readyz");
    assert_eq!(
        code, 200,
        "the daemon still works on the rules it had: {body}"
    );
    assert!(
        body.contains("reload refused") && body.contains("quokka_watch.toml:6"),
        "/readyz says why, with file:line: {body}"
    );
    let log = d.log_text();
    assert!(
        log.contains("quokka_watch.toml:6") && log.contains("reload refused"),
        "the log says why:\n{}",
        d.log_tail(20)
    );
    drop_files(&dirs.inbox, &[article(3)]);
    assert_eq!(
        wait_out(&d, url.as_deref(), "island, report 3"),
        ["quokka_watch"],
        "after a refused reload the running rules stay"
    );

    // 4. the fix, then SIGHUP: the note goes away
    std::fs::write(topics.join("quokka_watch.toml"), GOOD_TOPIC).unwrap();
    send_signal(pid, "HUP");
    wait_metric(&d, "wirefeed_data_reloads_total{result=\"ok\"}", 2.0);
    assert_eq!(metric(&d.metrics(), "wirefeed_data_reload_failing"), 0.0);
    let (code, body) = http_get(d.metrics_port, "/readyz").expect("/readyz");
    assert_eq!((code, body.as_str()), (200, "ready\n"));

    // every article once, on one subject each; SIGTERM still drains and exits 0
    for n in 1..=3 {
        assert_eq!(
            topics_of(&d, url.as_deref(), &format!("island, report {n}")).len(),
            1
        );
    }
    let st = d.terminate(Duration::from_secs(20));
    assert!(st.success(), "exit status after SIGTERM: {st}");
}

#[test]
fn sighup_reloads_topics_embedded_and_keeps_the_rules_on_a_broken_file() {
    reload_cycle(None);
}

#[test]
fn sighup_reloads_topics_on_jetstream_and_keeps_the_rules_on_a_broken_file() {
    let Some(nats) = NatsServer::start() else {
        return; // nats_server_bin() said why (and panics under CI)
    };
    reload_cycle(Some(nats.url()));
}
