//! One conformance suite for every transport behind the pipeline seam
//! (`daemon::pipeline::Transport`): the same cases run against the in-memory
//! transport (tokio paused time, no nats-server), the embedded transport (outbox
//! files) and JetStream (a real nats-server on a random port).
//!
//! Cases, each ending with an exact count:
//! - every input is output exactly once, nothing dead-lettered;
//! - input that can never succeed (an empty file; a message no stage writes) is
//!   dead-lettered once, with its payload kept, and the good inputs still pass;
//! - a store that fails transiently (outbox not a folder, broker stream full) is
//!   retried in place and never counted as a delivery: with `max_deliver = 1`, every
//!   input still arrives once and nothing is dead-lettered;
//! - with stories on, each story's current row and each alert are stored with the
//!   documents: the fixtures of `tests/stories/` give their four stories (a
//!   republished story, one event in ar/en/ru, two same-day stories) and one alert.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use wirefeed::daemon::config::Config;
use wirefeed::daemon::pipeline::{DeadLetter, Pipeline, RawInput, Transport};
use wirefeed::daemon::{embedded, jetstream, memory, Health, Stage};

/// What a case needs from a transport besides the seam itself.
trait Harness {
    type T: Transport;
    fn transport(&self) -> Arc<Self::T>;
    fn outputs(&self) -> Multiset;
    fn dead_letters(&self) -> Vec<serde_json::Value>;
    async fn inject(&self, stage: Stage, id: &str, payload: &[u8]);
    async fn break_store(&self);
    async fn fix_store(&self);
    /// The stories table: story id → its latest stored row.
    fn stories(&self) -> std::collections::BTreeMap<String, serde_json::Value>;
    /// The stored alerts.
    fn alerts(&self) -> Vec<serde_json::Value>;
}

fn builtin() -> Arc<wirefeed::daemon::reload::Engines> {
    wirefeed::daemon::reload::Engines::fixed(Arc::new(
        wirefeed::engine::Engine::builtin().expect("builtin engine"),
    ))
}

fn start<H: Harness>(h: &H, max_deliver: i64) -> Pipeline<H::T> {
    start_with(h, max_deliver, wirefeed::daemon::stories::Stories::Off)
}

fn start_with<H: Harness>(
    h: &H,
    max_deliver: i64,
    stories: wirefeed::daemon::stories::Stories,
) -> Pipeline<H::T> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    std::mem::forget(tx); // never shut down: the test ends with the runtime
    let p = Pipeline {
        transport: h.transport(),
        engine: builtin(),
        health: Arc::new(Health::default()),
        shutdown: rx,
        max_deliver,
        stories: Arc::new(stories),
        brief: Default::default(),
    };
    for stage in Stage::ALL {
        tokio::spawn(p.clone().run_stage(stage, 2));
    }
    p
}

async fn submit<T: Transport>(p: &Pipeline<T>, files: &[(String, Vec<u8>)]) -> usize {
    let mut rejected = 0;
    for (name, bytes) in files {
        let raw = RawInput {
            hash: wirefeed::engine::content_hash(bytes),
            bytes: Bytes::from(bytes.clone()),
            name: name.clone(),
            ready_at: 0,
            file: None,
        };
        if p.intake(&raw, 1 << 20, "rejected")
            .await
            .expect("intake")
            .is_some()
        {
            rejected += 1;
        }
    }
    rejected
}

/// Wait (real time; under paused time the sleeps are instant) for `cond`.
async fn eventually(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !cond() {
        assert!(t0.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        std::thread::sleep(Duration::from_millis(5));
    }
}

async fn case_exact_outputs<H: Harness>(h: &H) {
    let p = start(h, 5);
    let files = articles(501, 0, 30);
    let want = expected_outputs(&files);
    assert_eq!(submit(&p, &files).await, 0);
    eventually("every output", Duration::from_secs(60), || {
        total(&h.outputs()) >= total(&want)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_same("outputs", &h.outputs(), &want);
    assert_eq!(h.dead_letters().len(), 0, "dead letters for good input");
}

async fn case_permanent_dead_lettered_with_payload<H: Harness>(h: &H) {
    let p = start(h, 5);
    let files = articles(502, 0, 5);
    let want = expected_outputs(&files);
    // a file that can never become an article, and a tag message no stage writes
    let mut all = files.clone();
    all.push(("empty.txt".into(), b"   \n".to_vec()));
    submit(&p, &all).await;
    h.inject(
        Stage::Tag,
        "not-an-article",
        b"{\"not\": \"a clean article\"}",
    )
    .await;
    eventually(
        "outputs and two dead letters",
        Duration::from_secs(60),
        || total(&h.outputs()) >= total(&want) && h.dead_letters().len() >= 2,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_same("outputs", &h.outputs(), &want);
    let dl = h.dead_letters();
    assert_eq!(dl.len(), 2, "{dl:?}");
    let clean = dl
        .iter()
        .find(|d| d["stage"] == "clean")
        .expect("clean dead letter");
    assert_eq!(clean["error_type"], "empty", "{clean}");
    let tag = dl
        .iter()
        .find(|d| d["stage"] == "tag")
        .expect("tag dead letter");
    assert_eq!(tag["error_type"], "decode", "{tag}");
    assert_eq!(
        DeadLetter::kept_bytes(tag).as_deref(),
        Some(&b"{\"not\":\"a clean article\"}"[..]),
        "the dead letter keeps the payload: {tag}"
    );
}

async fn case_transient_not_counted<H: Harness>(h: &H) {
    // one attempt allowed: a transient failure that counted would dead-letter
    let p = start(h, 1);
    let files = articles(503, 0, 10);
    let want = expected_outputs(&files);
    h.break_store().await;
    assert_eq!(submit(&p, &files).await, 0);
    tokio::time::sleep(Duration::from_secs(4)).await;
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        total(&h.outputs()) < total(&want),
        "the store was broken, yet every output arrived"
    );
    assert!(p.health.is_degraded(), "degraded while the store fails");
    h.fix_store().await;
    eventually(
        "every output after the fix",
        Duration::from_secs(90),
        || total(&h.outputs()) >= total(&want),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_same("outputs", &h.outputs(), &want);
    assert_eq!(
        h.dead_letters().len(),
        0,
        "a transient failure was dead-lettered"
    );
    eventually("not degraded", Duration::from_secs(10), || {
        !p.health.is_degraded()
    })
    .await;
}

async fn case_stories_stored_with_documents<H: Harness>(h: &H) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = wirefeed::engine::stories::StorySettings::builtin();
    // breaking at 3 articles from 3 sources within 3 hours: the ar/en/ru event only
    settings.alerts.articles = 3;
    settings.alerts.sources = 3;
    settings.alerts.within_minutes = 180;
    let path = dir.path().join("state.log");
    let local = wirefeed::daemon::stories::LocalStories::at(&path, settings);
    let p = start_with(h, 5, wirefeed::daemon::stories::Stories::Local(local));
    let names = [
        "dup_original.json",
        "dup_copy_site.txt",
        "dup_copy_added.html",
        "event_ar.json",
        "event_en.json",
        "event_ru.json",
        "sameday_court.json",
        "sameday_memorial.json",
    ];
    let files: Vec<(String, Vec<u8>)> = names
        .iter()
        .map(|n| {
            let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/stories")
                .join(n);
            (n.to_string(), std::fs::read(p).unwrap())
        })
        .collect();
    let want = expected_outputs(&files);
    // The original first: which article starts a duplicate group depends on the order
    // (two copies that each copy the original but not each other, seen before it, start
    // two groups; docs/stories.md, "Limits"), and the workers run concurrently.
    assert_eq!(submit(&p, &files[..1]).await, 0);
    let first = total(&expected_outputs(&files[..1]));
    eventually("the original stored", Duration::from_secs(60), || {
        total(&h.outputs()) >= first
    })
    .await;
    assert_eq!(submit(&p, &files[1..]).await, 0);
    let members = |h: &H| -> usize {
        h.stories()
            .values()
            .map(|r| r["articles"].as_u64().unwrap() as usize)
            .sum()
    };
    eventually(
        "every output and story row",
        Duration::from_secs(60),
        || {
            total(&h.outputs()) >= total(&want)
                && members(h) >= names.len()
                && !h.alerts().is_empty()
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_same("outputs", &h.outputs(), &want);
    // the stories, as sets of fixtures (ids depend on which article came first)
    let by_id: std::collections::BTreeMap<String, &str> = files
        .iter()
        .map(|(n, b)| {
            (
                format!("{}-0", wirefeed::engine::content_hash(b)),
                n.as_str(),
            )
        })
        .collect();
    let rows = h.stories();
    let mut groups: Vec<Vec<&str>> = rows
        .values()
        .map(|r| {
            let ids = r["article_ids"].as_array().unwrap();
            assert_eq!(r["articles"].as_u64(), Some(ids.len() as u64), "{r}");
            let mut g: Vec<&str> = ids.iter().map(|a| by_id[a.as_str().unwrap()]).collect();
            g.sort();
            g
        })
        .collect();
    groups.sort();
    assert_eq!(
        groups,
        vec![
            vec![
                "dup_copy_added.html",
                "dup_copy_site.txt",
                "dup_original.json"
            ],
            vec!["event_ar.json", "event_en.json", "event_ru.json"],
            vec!["sameday_court.json"],
            vec!["sameday_memorial.json"],
        ]
    );
    let alerts = h.alerts();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let event = rows
        .values()
        .find(|r| r["languages"].as_array().unwrap().len() == 3)
        .unwrap();
    assert_eq!(alerts[0]["story"], event["id"]);
    assert_eq!(event["alerted"], true);
    assert_eq!(h.dead_letters().len(), 0);
}

// ---------------------------------------------------------------------------------
// memory

struct Mem(Arc<memory::Memory>);

impl Harness for Mem {
    type T = memory::Memory;
    fn transport(&self) -> Arc<memory::Memory> {
        self.0.clone()
    }
    fn outputs(&self) -> Multiset {
        let mut m = Multiset::new();
        for (t, id, _) in self.0.outputs.lock().unwrap().iter() {
            *m.entry((t.clone(), id.clone())).or_default() += 1;
        }
        m
    }
    fn dead_letters(&self) -> Vec<serde_json::Value> {
        self.0.dead_letters.lock().unwrap().clone()
    }
    async fn inject(&self, stage: Stage, id: &str, payload: &[u8]) {
        self.0.inject(stage, id, payload);
    }
    async fn break_store(&self) {
        self.0.fail_next(usize::MAX);
    }
    async fn fix_store(&self) {
        self.0.fail_next(0);
    }
    fn stories(&self) -> std::collections::BTreeMap<String, serde_json::Value> {
        self.0.stories.lock().unwrap().clone()
    }
    fn alerts(&self) -> Vec<serde_json::Value> {
        self.0.alerts.lock().unwrap().clone()
    }
}

#[tokio::test(start_paused = true)]
async fn memory_exact_outputs() {
    case_exact_outputs(&Mem(Default::default())).await;
}

#[tokio::test(start_paused = true)]
async fn memory_permanent_dead_lettered_with_payload() {
    case_permanent_dead_lettered_with_payload(&Mem(Default::default())).await;
}

#[tokio::test(start_paused = true)]
async fn memory_transient_not_counted() {
    case_transient_not_counted(&Mem(Default::default())).await;
}

#[tokio::test(start_paused = true)]
async fn memory_stories_stored_with_documents() {
    case_stories_stored_with_documents(&Mem(Default::default())).await;
}

// ---------------------------------------------------------------------------------
// embedded

struct Emb {
    t: Arc<embedded::Embedded>,
    dir: tempfile::TempDir,
}

impl Emb {
    fn new() -> Emb {
        let dir = tempfile::tempdir().unwrap();
        let t = Arc::new(embedded::Embedded::new(dir.path().join("outbox"), 64));
        Emb { t, dir }
    }
    fn outbox(&self) -> std::path::PathBuf {
        self.dir.path().join("outbox")
    }
}

impl Harness for Emb {
    type T = embedded::Embedded;
    fn transport(&self) -> Arc<embedded::Embedded> {
        self.t.clone()
    }
    fn outputs(&self) -> Multiset {
        outbox_multiset(&self.outbox()).0
    }
    fn dead_letters(&self) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        for stage in ["clean", "tag", "classify"] {
            let dir = self.outbox().join("_dlq").join(stage);
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let text = std::fs::read(e.path()).unwrap();
                out.push(serde_json::from_slice(&text).unwrap());
            }
        }
        out
    }
    async fn inject(&self, stage: Stage, id: &str, payload: &[u8]) {
        self.t.inject(stage, id, payload).await;
    }
    async fn break_store(&self) {
        // a regular file where the outbox should be: every write fails (even as root)
        let _ = std::fs::remove_dir_all(self.outbox());
        std::fs::write(self.outbox(), b"not a folder").unwrap();
    }
    async fn fix_store(&self) {
        std::fs::remove_file(self.outbox()).unwrap();
    }
    fn stories(&self) -> std::collections::BTreeMap<String, serde_json::Value> {
        let mut out = std::collections::BTreeMap::new();
        let dir = self.outbox().join("stories");
        for t in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            for f in std::fs::read_dir(t.path()).into_iter().flatten().flatten() {
                let name = f.file_name().to_string_lossy().to_string();
                if let Some(id) = name
                    .strip_suffix(".json")
                    .filter(|_| !name.starts_with('.'))
                {
                    let row = serde_json::from_slice(&std::fs::read(f.path()).unwrap()).unwrap();
                    out.insert(id.to_string(), row);
                }
            }
        }
        out
    }
    fn alerts(&self) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        let dir = self.outbox().join("alerts");
        for t in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            for f in std::fs::read_dir(t.path()).into_iter().flatten().flatten() {
                if !f.file_name().to_string_lossy().starts_with('.') {
                    out.push(serde_json::from_slice(&std::fs::read(f.path()).unwrap()).unwrap());
                }
            }
        }
        out
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_exact_outputs() {
    case_exact_outputs(&Emb::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_permanent_dead_lettered_with_payload() {
    case_permanent_dead_lettered_with_payload(&Emb::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_transient_not_counted() {
    case_transient_not_counted(&Emb::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_stories_stored_with_documents() {
    case_stories_stored_with_documents(&Emb::new()).await;
}

// ---------------------------------------------------------------------------------
// JetStream (a real nats-server)

struct Js {
    nats: NatsServer,
    t: Arc<jetstream::JetStream>,
    js: async_nats::jetstream::Context,
}

impl Js {
    async fn new() -> Option<Js> {
        // the harness's helpers block on their own runtime: start it off this one
        let nats = std::thread::spawn(NatsServer::start).join().unwrap()?;
        let mut cfg = Config::default();
        cfg.nats.url = nats.url();
        cfg.nats.ack_wait_secs = 2;
        let client = async_nats::connect(nats.url()).await.unwrap();
        let js = async_nats::jetstream::new(client.clone());
        let names = jetstream::Names::new(&cfg.nats);
        jetstream::ensure_streams(&js, &cfg.nats, &names)
            .await
            .unwrap();
        let (tx, rx) = tokio::sync::watch::channel(false);
        std::mem::forget(tx);
        let max_payload = client.server_info().max_payload;
        let t = Arc::new(jetstream::JetStream::new(
            js.clone(),
            Arc::new(cfg),
            max_payload,
            rx,
        ));
        Some(Js { nats, t, js })
    }
    fn stream(&self, name: &str) -> Vec<StoredMsg> {
        let url = self.nats.url();
        std::thread::scope(|s| s.spawn(|| read_stream(&url, name)).join().unwrap())
    }
    async fn out_limit(&self, max_bytes: i64) {
        let mut s = self.js.get_stream("WIREFEED_OUT").await.unwrap();
        let mut c = s.info().await.unwrap().config.clone();
        c.max_bytes = max_bytes;
        c.discard = async_nats::jetstream::stream::DiscardPolicy::New;
        self.js.update_stream(c).await.unwrap();
    }
}

impl Harness for Js {
    type T = jetstream::JetStream;
    fn transport(&self) -> Arc<jetstream::JetStream> {
        self.t.clone()
    }
    fn outputs(&self) -> Multiset {
        outputs_multiset(&self.stream("WIREFEED_OUT"), "wire")
    }
    fn dead_letters(&self) -> Vec<serde_json::Value> {
        self.stream("WIREFEED_DLQ")
            .iter()
            .map(|m| serde_json::from_slice(&m.payload).unwrap())
            .collect()
    }
    async fn inject(&self, _stage: Stage, id: &str, payload: &[u8]) {
        self.js
            .send_publish(
                "wire.clean",
                async_nats::jetstream::context::Publish::build()
                    .payload(Bytes::copy_from_slice(payload))
                    .message_id(format!("{id}:clean")),
            )
            .await
            .unwrap()
            .await
            .unwrap();
    }
    async fn break_store(&self) {
        self.out_limit(1).await;
    }
    async fn fix_store(&self) {
        self.out_limit(-1).await;
    }
    fn stories(&self) -> std::collections::BTreeMap<String, serde_json::Value> {
        let mut out = std::collections::BTreeMap::new();
        for m in self.stream("WIREFEED_STORIES") {
            let row: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
            let id = row["id"].as_str().unwrap().to_string();
            // the stream keeps one message per story subject
            assert!(out.insert(id, row).is_none(), "two rows on {}", m.subject);
        }
        out
    }
    fn alerts(&self) -> Vec<serde_json::Value> {
        self.stream("WIREFEED_ALERTS")
            .iter()
            .map(|m| serde_json::from_slice(&m.payload).unwrap())
            .collect()
    }
}

macro_rules! js_or_skip {
    () => {
        match Js::new().await {
            Some(j) => j,
            None => return,
        }
    };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_exact_outputs() {
    case_exact_outputs(&js_or_skip!()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_permanent_dead_lettered_with_payload() {
    case_permanent_dead_lettered_with_payload(&js_or_skip!()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_transient_not_counted() {
    case_transient_not_counted(&js_or_skip!()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_stories_stored_with_documents() {
    case_stories_stored_with_documents(&js_or_skip!()).await;
}
