//! Stories in `wirefeed run` (issue #12): the real daemon binary, embedded and on a
//! real nats-server, fed the fixtures of `tests/stories/` (the same story
//! republished three times, one event in ar/en/ru, two same-day stories), compared
//! with `wirefeed process --cluster` over the same files in the same order.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::Value;
use wirefeed::engine::stories::StorySettings;

/// The fixtures in the order they are dropped (the first of a group names its story).
const ORDER: [&str; 8] = [
    "event_ar.json",
    "dup_original.json",
    "sameday_court.json",
    "dup_copy_site.txt",
    "event_en.json",
    "sameday_memorial.json",
    "dup_copy_added.html",
    "event_ru.json",
];

/// Breaking at 3 articles from 3 sources within 3 hours: the ar/en/ru event crosses
/// it on its third article (14:00–16:20, three publishers); nothing else does.
const SETTINGS: &str = "[alerts]\narticles = 3\nsources = 3\nwithin_minutes = 180\n";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/stories")
        .join(name)
}

fn fixture_file(name: &str) -> (String, Vec<u8>) {
    (name.to_string(), std::fs::read(fixture(name)).unwrap())
}

/// The article id of a one-story fixture.
fn article_id(name: &str) -> String {
    format!(
        "{}-0",
        wirefeed::engine::content_hash(&std::fs::read(fixture(name)).unwrap())
    )
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `dir/<topic>/<id>.json` → story id → row.
fn story_rows(dir: &Path) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for t in rd.flatten().filter(|e| e.path().is_dir()) {
        for f in std::fs::read_dir(t.path()).unwrap().flatten() {
            let name = f.file_name().to_string_lossy().to_string();
            if let Some(id) = name
                .strip_suffix(".json")
                .filter(|_| !name.starts_with('.'))
            {
                let row = read_json(&f.path());
                assert_eq!(row["topic"], t.file_name().to_string_lossy().as_ref());
                out.insert(id.to_string(), row);
            }
        }
    }
    out
}

/// `wirefeed process --cluster` over `names` in order: the reference rows.
fn batch_rows(names: &[&str], settings: &Path) -> BTreeMap<String, Value> {
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_wirefeed"))
        .env_remove("WIREFEED_DATA")
        .args(["process", "--cluster", "-j", "1", "--stories-config"])
        .arg(settings)
        .arg("--stories-out")
        .arg(out.path())
        .args(names.iter().map(|n| fixture(n)))
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    story_rows(out.path())
}

/// The fields of a row that do not depend on the clock (an undated copy's time is
/// its arrival in the daemon, none in a batch).
fn counts(row: &Value) -> Value {
    serde_json::json!({
        "topic": row["topic"], "headline": row["headline"], "articles": row["articles"],
        "duplicates": row["duplicates"], "sources": row["sources"],
        "languages": row["languages"], "article_ids": row["article_ids"],
        "alerted": row["alerted"], "version": row["version"],
    })
}

fn settings_file(dir: &Path) -> PathBuf {
    let p = dir.join("stories.toml");
    std::fs::write(&p, SETTINGS).unwrap();
    p
}

/// The extension object of a ninjs document.
fn extension(doc: &Value) -> Value {
    let d = doc["descriptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["role"] == wirefeed::ninjs::EXTENSION_ROLE)
        .expect("extension object");
    serde_json::from_str(d["value"].as_str().unwrap()).unwrap()
}

/// Drop the fixtures one at a time, each once the one before is done (processed/).
fn drop_in_order(dirs: &Dirs, names: &[&str]) {
    for (i, n) in names.iter().enumerate() {
        drop_files(&dirs.inbox, &[fixture_file(n)]);
        wait_until(&format!("{n} processed"), Duration::from_secs(60), || {
            file_names(&dirs.processed).len() > i && file_names(&dirs.inbox).is_empty()
        });
    }
}

fn brief_json(d: &Daemon) -> Value {
    let (code, body) = http_get(d.metrics_port, "/brief.json").expect("/brief.json answers");
    assert_eq!(code, 200);
    serde_json::from_str(&body).expect("brief json")
}

/// story id → article count, as `/brief.json` lists them.
fn brief_counts(b: &Value) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for t in b["topics"].as_array().unwrap() {
        for s in t["stories"].as_array().unwrap() {
            out.insert(
                s["id"].as_str().unwrap().to_string(),
                s["articles"].as_u64().unwrap(),
            );
        }
    }
    out
}

/// The story the ar/en/ru event forms (the Arabic report came first).
fn event_story(rows: &BTreeMap<String, Value>) -> (&String, &Value) {
    let ar = article_id("event_ar.json");
    rows.iter()
        .find(|(_, r)| r["article_ids"][0] == ar.as_str())
        .expect("the event story")
}

/// An embedded daemon with the test's story settings, fed the fixtures in order.
fn embedded_with_fixtures() -> (Dirs, PathBuf, Daemon) {
    let dirs = Dirs::new();
    let settings = settings_file(dirs.logs.as_path());
    let opts = DaemonOpts::new(None).env("WIREFEED_STORIES_SETTINGS", settings.to_str().unwrap());
    let mut d = Daemon::start(&dirs, opts);
    d.wait_ready(Duration::from_secs(30));
    drop_in_order(&dirs, &ORDER);
    (dirs, settings, d)
}

#[test]
fn embedded_stories_match_process_cluster_with_tagged_documents_and_one_alert() {
    let (dirs, settings, mut d) = embedded_with_fixtures();

    // The stories table: the rows the batch gives for the same files in the same order.
    let want = batch_rows(&ORDER, &settings);
    let got = story_rows(&dirs.outbox.join("stories"));
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "the same story ids"
    );
    for (id, w) in &want {
        assert_eq!(counts(&got[id]), counts(w), "story {id}");
    }
    let (event_id, event) = event_story(&got);
    assert_eq!(event["articles"], 3);
    assert_eq!(event["languages"], serde_json::json!(["ar", "en", "ru"]));
    assert_eq!(event["first_seen"], "2026-04-04T14:00:00Z");
    assert_eq!(event["last_seen"], "2026-04-04T16:20:00Z");
    assert_eq!(event["alerted"], true);
    let original = article_id("dup_original.json");
    let dup = got
        .values()
        .find(|r| r["article_ids"][0] == original.as_str())
        .expect("the republished story");
    assert_eq!(
        (dup["articles"].as_u64(), dup["duplicates"].as_u64()),
        (Some(3), Some(2))
    );

    // The documents carry the story fields.
    let topic = event["topic"].as_str().unwrap();
    for (name, dup_of) in [
        ("dup_copy_site.txt", Some(original.as_str())),
        ("dup_copy_added.html", Some(original.as_str())),
        ("event_ru.json", None),
    ] {
        let doc = read_json(
            &dirs
                .outbox
                .join(topic)
                .join(format!("{}.json", article_id(name))),
        );
        let ext = extension(&doc);
        assert_eq!(ext["duplicate_of"].as_str(), dup_of, "{name}: {ext}");
        assert!(ext["cluster"].is_string(), "{name}: {ext}");
        assert!(ext["clusters"][0]["via"].is_string(), "{name}: {ext}");
    }
    let ru = extension(&read_json(
        &dirs
            .outbox
            .join(topic)
            .join(format!("{}.json", article_id("event_ru.json"))),
    ));
    assert_eq!(ru["cluster"], event_id.as_str());

    // One alert, for the event story, raised by its third article.
    let alerts = walk_files(&dirs.outbox.join("alerts"));
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = read_json(&alerts[0]);
    assert_eq!(alert["story"], event_id.as_str());
    assert_eq!(alert["article"], article_id("event_ru.json").as_str());
    assert_eq!(alert["sources"], 3);
    assert!(d.metrics().contains(&format!(
        "wirefeed_story_alerts_total{{topic=\"{topic}\"}} 1"
    )));

    // /brief.json lists every story with its count.
    let b = brief_json(&d);
    let listed = brief_counts(&b);
    let table: BTreeMap<String, u64> = got
        .iter()
        .map(|(id, r)| (id.clone(), r["articles"].as_u64().unwrap()))
        .collect();
    assert_eq!(listed, table);
    d.assert_running();
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.path().is_dir() {
                out.extend(walk_files(&e.path()));
            } else if !e.file_name().to_string_lossy().starts_with('.') {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn embedded_kill_9_mid_stream_loses_no_story_state_and_counts_no_article_twice() {
    let (dirs, _settings, mut d) = embedded_with_fixtures();
    let before = story_rows(&dirs.outbox.join("stories"));
    // Then a stream of generated articles, killed twice mid-stream.
    let files = articles(21, 0, 600);
    let mut want = expected_outputs(&files);
    for n in ORDER {
        want.extend(expected_outputs(&[fixture_file(n)]));
    }
    drop_files(&dirs.inbox, &files);
    let n = total(&want);
    for mark in [n / 3, 2 * n / 3] {
        wait_until(&format!("{mark} outputs"), Duration::from_secs(300), || {
            outbox_count(&dirs.outbox) >= mark
        });
        d.kill9();
        d.restart();
    }
    d.wait_ready(Duration::from_secs(30));
    wait_until("every output", Duration::from_secs(300), || {
        outbox_count(&dirs.outbox) >= n && file_names(&dirs.inbox).is_empty()
    });
    std::thread::sleep(Duration::from_millis(500));
    let (outs, stray) = outbox_multiset(&dirs.outbox);
    assert_same("outbox", &outs, &want);
    assert!(stray.is_empty(), "{stray:?}");

    // Every article of a topic is in exactly one of its stories, once: each document
    // names its story per topic, and each story counts exactly the documents naming
    // it (a row lists only its latest `max_members` articles, all among them).
    let rows = story_rows(&dirs.outbox.join("stories"));
    let mut members: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut named: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (topic, article) in outs.keys().filter(|(t, _)| t != "unclassified") {
        let doc = read_json(&dirs.outbox.join(topic).join(format!("{article}.json")));
        let ext = extension(&doc);
        let decided: Vec<&Value> = ext["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["topic"] == topic.as_str())
            .collect();
        assert_eq!(decided.len(), 1, "{topic}/{article}: {ext}");
        let story = decided[0]["id"].as_str().unwrap().to_string();
        assert!(rows.contains_key(&story), "{topic}/{article} names {story}");
        assert!(named.entry(story).or_default().insert(article.clone()));
        *members.entry((topic.clone(), article.clone())).or_default() += 1;
    }
    let cap = StorySettings::builtin().clusters.max_members;
    for (id, r) in &rows {
        let docs = named.get(id).map_or(0, BTreeSet::len);
        assert_eq!(r["articles"].as_u64(), Some(docs as u64), "story {id}");
        let ids: Vec<&str> = r["article_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), docs.min(cap), "story {id}");
        let unique: BTreeSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "story {id} lists an article twice");
        assert!(
            ids.iter().all(|a| named[id].contains(*a)),
            "story {id} lists an article that does not name it"
        );
    }
    let topical: Multiset = want
        .iter()
        .filter(|((t, _), _)| t != "unclassified")
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    assert_same("story members", &members, &topical);
    // The fixtures' stories are as they were before the kills (and as the batch says).
    for (id, r) in &before {
        assert_eq!(counts(&rows[id]), counts(r), "story {id} after kill -9");
    }
    // The state log holds each article once.
    let log = std::fs::read_to_string(dirs.outbox.join("stories/state.log")).unwrap();
    let mut seen = BTreeSet::new();
    for line in log.lines() {
        let ob: Value = serde_json::from_str(line).expect("log line");
        let a = ob["article_id"].as_str().unwrap().to_string();
        assert!(seen.insert(a.clone()), "{a} recorded twice");
    }
    let articles: BTreeSet<&String> = want.keys().map(|(_, a)| a).collect();
    assert_eq!(seen.len(), articles.len());
    // One alert, written before the kills, still one.
    assert_eq!(walk_files(&dirs.outbox.join("alerts")).len(), 1);
    // /brief after the restarts: restored from the state.
    let b = brief_json(&d);
    let (event_id, _) = event_story(&before);
    assert_eq!(brief_counts(&b).get(event_id), Some(&3));
}

#[test]
fn jetstream_stories_stream_holds_one_current_row_per_story_and_the_alert_once() {
    jetstream_stories(Store::Default);
}

#[test]
fn jetstream_shared_kv_window_gives_the_same_table() {
    jetstream_stories(Store::SharedKv);
}

#[test]
fn jetstream_with_a_local_story_state_gives_the_same_table() {
    jetstream_stories(Store::LocalLog);
}

#[test]
fn two_jetstream_daemons_share_one_story_window() {
    jetstream_stories(Store::TwoDaemons);
}

#[derive(Clone, Copy, PartialEq)]
enum Store {
    /// The default: a local log per process (a free slot under the spool folder).
    Default,
    /// `stories.store = kv`: the JetStream KV bucket.
    SharedKv,
    /// `stories.state` set: one process's fsynced log.
    LocalLog,
    /// Two daemons on one broker sharing the KV bucket, the fixtures dropped into each
    /// in turn: one window.
    TwoDaemons,
}

/// Drop the fixtures in order (into the daemons in turn), then read the stories and
/// alerts streams: one message per story, equal to `process --cluster`'s table, the
/// alert once, and `/brief` on every daemon showing the event with its 3 articles.
fn jetstream_stories(store: Store) {
    let Some(nats) = NatsServer::start() else {
        eprintln!("skipped: nats-server not found");
        return;
    };
    let url = nats.url();
    let all_dirs: Vec<Dirs> = (0..if store == Store::TwoDaemons { 2 } else { 1 })
        .map(|_| Dirs::new())
        .collect();
    let settings = settings_file(all_dirs[0].logs.as_path());
    let mut daemons: Vec<Daemon> = all_dirs
        .iter()
        .map(|dirs| {
            let mut opts = DaemonOpts::new(Some(url.clone()))
                .env("WIREFEED_STORIES_SETTINGS", settings.to_str().unwrap());
            if matches!(store, Store::SharedKv | Store::TwoDaemons) {
                opts = opts.env("WIREFEED_STORIES_STORE", "kv");
            }
            if store == Store::LocalLog {
                opts = opts.env(
                    "WIREFEED_STORIES_STATE",
                    dirs.logs.join("state.log").to_str().unwrap(),
                );
            }
            Daemon::start(dirs, opts)
        })
        .collect();
    for d in &mut daemons {
        d.wait_ready(Duration::from_secs(30));
    }
    let mut outputs = 0;
    for (i, n) in ORDER.iter().enumerate() {
        outputs += total(&expected_outputs(&[fixture_file(n)]));
        drop_files(&all_dirs[i % all_dirs.len()].inbox, &[fixture_file(n)]);
        let want = outputs as u64;
        wait_until(&format!("{n} published"), Duration::from_secs(60), || {
            stream_count(&url, "WIREFEED_OUT") >= want
        });
    }
    let want = batch_rows(&ORDER, &settings);
    wait_stream_count(
        &url,
        "WIREFEED_STORIES",
        want.len() as u64,
        Duration::from_secs(30),
        Duration::from_secs(1),
    );
    let msgs = read_stream(&url, "WIREFEED_STORIES");
    let mut by_subject: BTreeMap<String, Value> = BTreeMap::new();
    for m in &msgs {
        let row: Value = serde_json::from_slice(&m.payload).unwrap();
        let id = row["id"].as_str().unwrap().to_string();
        assert_eq!(
            m.subject,
            format!("wire.story.{}.{id}", row["topic"].as_str().unwrap())
        );
        assert_eq!(
            m.header("Nats-Msg-Id"),
            Some(format!("{id}.v{}", row["version"]).as_str())
        );
        assert!(
            by_subject.insert(id, row).is_none(),
            "two messages for {}",
            m.subject
        );
    }
    assert_eq!(
        by_subject.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (id, w) in &want {
        assert_eq!(counts(&by_subject[id]), counts(w), "story {id}");
    }
    wait_stream_count(
        &url,
        "WIREFEED_ALERTS",
        1,
        Duration::from_secs(10),
        Duration::from_secs(1),
    );
    let alerts = read_stream(&url, "WIREFEED_ALERTS");
    let (event_id, event) = event_story(&by_subject);
    assert_eq!(
        alerts[0].subject,
        format!("wire.alert.{}", event["topic"].as_str().unwrap())
    );
    assert_eq!(
        alerts[0].header("Nats-Msg-Id"),
        Some(format!("alert.{event_id}").as_str())
    );
    assert_eq!(alerts.len(), 1, "one alert");
    for d in &mut daemons {
        wait_until("the event on /brief", Duration::from_secs(10), || {
            brief_counts(&brief_json(d)).get(event_id) == Some(&3)
        });
        // the whole table, whichever daemon wrote each row
        assert_eq!(
            brief_counts(&brief_json(d)).len(),
            want.len(),
            "{}",
            brief_json(d)
        );
        d.assert_running();
    }
}
