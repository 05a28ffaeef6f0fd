//! The daemon's story seam: where the classify stage sends each article's
//! [`Observation`] and gets back what to emit with its document ([`StoryUpdate`]: the
//! story tag, the current rows of its stories, the alerts it raised), and the
//! in-memory table `/brief` shows ([`Brief`]).
//!
//! ```text
//! classify ─▶ Observation (on the stage workers) ─▶ Stories::observe ─▶ StoryUpdate
//!                                                     ├── Off
//!                                                     ├── Local: StoryState + LogStore (written before apply, group-fsynced before output)
//!                                                     └── (Shared: the JetStream KV store, src/daemon/story_kv.rs)
//! StoryUpdate ─▶ annotate(doc) + Emit{stories, alerts} ─▶ Transport::forward (one durable step) ─▶ ack
//!             └▶ Brief::record (after the forward)
//! ```
//!
//! Nothing lost, nothing twice: the observation is durable before the state changes
//! and before any output; a redelivered article (a crash before its ack) is not
//! counted again, and gets the same tag, its stories as they are now and its alerts
//! again, so outputs a crash lost are written again (idempotent: files overwritten,
//! messages deduplicated by id).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use serde_json::{json, Value};

use super::config::Config;
use super::stage::Transient;
use super::story_kv::KvStories;
use crate::engine::stories::{Observation, Story, StorySettings, StoryState, StoryUpdate};
use crate::metrics as m;
use crate::story_store::{self, LogStore};

/// Where the story state lives.
pub enum Stories {
    /// Stories are off (`stories.enabled = false`): documents are not annotated.
    Off,
    /// One process's state, in a local fsynced log (the embedded default).
    Local(LocalStories),
    /// The window shared by every classify worker: the JetStream KV bucket
    /// (src/daemon/story_kv.rs), opened once the broker is reached.
    Shared(Box<SharedStories>),
}

/// The shared story window: the bucket named in the config, opened on the JetStream
/// context [`Stories::attach`] gives (at start, after the streams), or on the first
/// article if it could not be opened then (a transient failure: retried).
pub struct SharedStories {
    settings: Arc<StorySettings>,
    bucket: String,
    replicas: usize,
    js: std::sync::OnceLock<async_nats::jetstream::Context>,
    kv: tokio::sync::OnceCell<KvStories>,
}

impl SharedStories {
    async fn store(&self) -> Result<&KvStories, Transient> {
        let js = self.js.get().ok_or_else(|| Transient {
            error_type: "broker",
            op: "opening the story bucket",
            detail: "not connected to JetStream yet".into(),
        })?;
        self.kv
            .get_or_try_init(|| async {
                let kv =
                    KvStories::open(js, &self.bucket, self.replicas, self.settings.clone()).await?;
                tracing::info!(bucket = %self.bucket, "shared story window open");
                Ok::<_, anyhow::Error>(kv)
            })
            .await
            .map_err(|e| Transient::from_anyhow("opening the story bucket", &e))
    }
}

/// The state and its log, behind one lock: an observation is recorded and applied
/// under it, so the log's order is the order the state saw. Opened at start, or — when
/// the folder cannot be written yet (permissions, a full disk) — on the first article,
/// retried as a transient failure: the daemon runs, reports degraded, and loses nothing.
pub struct LocalStories {
    settings: Arc<StorySettings>,
    place: Place,
    inner: Arc<Mutex<Option<Open>>>,
}

/// Where a local state lives.
#[derive(Debug, Clone)]
enum Place {
    /// This log (configured, or the embedded default).
    Fixed(std::path::PathBuf),
    /// The first free `state-<n>.log` in this folder (JetStream without a configured state).
    Slots(std::path::PathBuf),
}

/// An opened state: replayed, its log appended to, its lock held.
struct Open {
    state: StoryState,
    log: LogStore,
    /// An exclusive lock on `<state>.lock`, held while the process runs: two processes
    /// appending to one log would corrupt each other's state.
    _lock: std::fs::File,
}

impl Stories {
    /// From the `[stories]` config: the settings file read (an error is fatal), the
    /// state log opened and replayed if it can be now (else on the first article).
    pub fn open(cfg: &Config) -> Result<Stories> {
        if !cfg.stories.enabled || !cfg.role.runs(super::Stage::Classify) {
            return Ok(Stories::Off);
        }
        let settings = match &cfg.stories.settings {
            None => StorySettings::builtin(),
            Some(f) => {
                let text = std::fs::read_to_string(f)
                    .with_context(|| format!("reading stories.settings {}", f.display()))?;
                StorySettings::parse(&f.display().to_string(), &text)?
            }
        };
        use super::config::StoryStoreKind;
        let shared = match cfg.stories.store {
            StoryStoreKind::Kv if cfg.embedded_mode() => anyhow::bail!(
                "stories.store = kv (WIREFEED_STORIES_STORE) needs nats.url (WIREFEED_NATS_URL): the shared story window is a JetStream KV bucket"
            ),
            StoryStoreKind::Kv => true,
            StoryStoreKind::Local => false,
            // the local log: the shared bucket is opt-in until its cost per article is
            // bounded (docs/stories.md, "Where the window lives")
            StoryStoreKind::Auto => false,
        };
        if shared {
            return Ok(Stories::Shared(Box::new(SharedStories {
                settings: Arc::new(settings),
                bucket: cfg.stories.bucket.clone(),
                replicas: cfg.nats.replicas,
                js: Default::default(),
                kv: Default::default(),
            })));
        }
        let place = if cfg.stories.state.is_some() || cfg.embedded_mode() {
            Place::Fixed(cfg.stories.state_path(&cfg.embedded.outbox_dir))
        } else {
            // JetStream with store = local and no state configured: one state per
            // process. Classify processes sharing a spool folder each take the first
            // free slot (a restarted process finds its slot free again).
            Place::Slots(cfg.embedded.outbox_dir.join("stories"))
        };
        Ok(Stories::Local(LocalStories::new(place, settings)))
    }

    /// The settings observations are made with (`None`: stories are off).
    pub fn settings(&self) -> Option<&Arc<StorySettings>> {
        match self {
            Stories::Off => None,
            Stories::Local(l) => Some(&l.settings),
            Stories::Shared(s) => Some(&s.settings),
        }
    }

    /// Give a shared window its JetStream context, and open its bucket now if it can
    /// be (else the first article opens it).
    pub async fn attach(&self, js: &async_nats::jetstream::Context) {
        if let Stories::Shared(s) = self {
            let _ = s.js.set(js.clone());
            if let Err(e) = s.store().await {
                tracing::warn!(bucket = %s.bucket, error = %e.detail, "story bucket not available yet; retried with the first article");
            }
        }
    }

    /// Whether the window is shared between processes (its table then comes from the
    /// stories stream, not from this process's updates alone).
    pub fn is_shared(&self) -> bool {
        matches!(self, Stories::Shared(_))
    }

    /// Observe one article durably and say what to emit for it. Transient: the state
    /// could not be opened or recorded (permissions, disk full, …); nothing changed, retry.
    pub async fn observe(&self, ob: Observation) -> Result<StoryUpdate, Transient> {
        match self {
            Stories::Off => Ok(StoryUpdate::default()),
            Stories::Local(l) => l.observe(ob).await,
            Stories::Shared(s) => {
                let (update, first) = s.store().await?.observe_first(&ob).await?;
                if first {
                    count(&update);
                }
                Ok(update)
            }
        }
    }

    /// Every story the state holds now (to fill `/brief` at start; a shared window's
    /// table is read from the stories stream instead).
    pub fn current(&self) -> Vec<Story> {
        match self {
            Stories::Off | Stories::Shared(_) => Vec::new(),
            Stories::Local(l) => {
                let g = l.inner.lock().expect("story state lock");
                g.as_ref()
                    .map(|o| o.state.stories().cloned().collect())
                    .unwrap_or_default()
            }
        }
    }
}

/// Story state slots a JetStream process may take in a shared spool folder.
const MAX_SLOTS: usize = 64;

/// Take the exclusive lock `<state>.lock` (its folder created); `None`: another
/// process holds it. The kernel releases it when the process dies, kill -9 included.
fn lock(state: &Path) -> Result<Option<std::fs::File>> {
    if let Some(dir) = state.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let lock_path = state.with_extension("lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("opening {}", lock_path.display()))?;
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor owned here; it touches no memory
    let taken = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    Ok(taken.then_some(file))
}

/// Lock, open and replay the state at `place`.
fn open_place(place: &Place, settings: &StorySettings) -> Result<Open> {
    let (path, lock) = match place {
        Place::Fixed(path) => {
            let lock = lock(path)?.with_context(|| {
                format!(
                    "the story state {} is in use by another wirefeed process; give each process its own stories.state (WIREFEED_STORIES_STATE)",
                    path.display()
                )
            })?;
            (path.clone(), lock)
        }
        Place::Slots(dir) => {
            let mut found = None;
            for slot in 1..=MAX_SLOTS {
                let path = dir.join(format!("state-{slot}.log"));
                if let Some(lock) = lock(&path)? {
                    found = Some((path, lock));
                    break;
                }
            }
            found.with_context(|| {
                format!(
                    "all {MAX_SLOTS} story state slots in {} are in use; set stories.state (WIREFEED_STORIES_STATE)",
                    dir.display()
                )
            })?
        }
    };
    let mut log = LogStore::open(&path, settings)
        .with_context(|| format!("opening the story state {}", path.display()))?;
    let (state, n) = story_store::restore(&mut log, settings)
        .with_context(|| format!("reading the story state {}", path.display()))?;
    tracing::info!(path = %path.display(), observations = n, stories = state.stories().count(), "story state restored");
    Ok(Open {
        state,
        log,
        _lock: lock,
    })
}

impl LocalStories {
    /// The state at `path` (its lock `<path>.lock`), opened now if it can be.
    pub fn at(path: &Path, settings: StorySettings) -> LocalStories {
        LocalStories::new(Place::Fixed(path.to_path_buf()), settings)
    }

    fn new(place: Place, settings: StorySettings) -> LocalStories {
        let open = match open_place(&place, &settings) {
            Ok(o) => Some(o),
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "story state not available yet; retried with the first article");
                None
            }
        };
        LocalStories {
            settings: Arc::new(settings),
            place,
            inner: Arc::new(Mutex::new(open)),
        }
    }

    async fn observe(&self, ob: Observation) -> Result<StoryUpdate, Transient> {
        let (inner, settings, place) = (
            self.inner.clone(),
            self.settings.clone(),
            self.place.clone(),
        );
        let done = tokio::task::spawn_blocking(move || {
            let (update, first, syncer, seq) = {
                let mut g = inner.lock().expect("story state lock");
                if g.is_none() {
                    let open = open_place(&place, &settings)
                        .map_err(|e| Transient::from_anyhow("opening the story state", &e))?;
                    *g = Some(open);
                }
                let Open { state, log, .. } = g.as_mut().expect("opened above");
                let first = !state.has_seen(&ob.article_id);
                // written before the state changes; on disk before any output (below)
                let seq = if first {
                    log.append(&ob)
                        .map_err(|e| Transient::io("recording a story observation", &e))?
                } else {
                    // a repeat: whatever its record and the records it saw, synced too
                    log.syncer().written()
                };
                (state.update(&settings, &ob), first, log.syncer(), seq)
            };
            // Outside the state lock: one fsync for every record written meanwhile.
            // The update was decided on records up to `seq`, all covered by this sync.
            if let Err(e) = syncer.sync_to(seq) {
                // After a failed fsync the page cache is not to be trusted: reopen and
                // replay the log, so a record that did not reach the disk is not held
                // as seen, and its article is recorded again on the retry.
                let mut g = inner.lock().expect("story state lock");
                if g.as_ref()
                    .is_some_and(|o| Arc::ptr_eq(&o.log.syncer(), &syncer))
                {
                    *g = None;
                }
                return Err(Transient::io("syncing the story state", &e));
            }
            Ok::<_, Transient>((update, first))
        })
        .await
        .map_err(|e| Transient {
            error_type: "io",
            op: "recording a story observation",
            detail: e.to_string(),
        })?;
        let (update, first) = done?;
        if first {
            count(&update);
        }
        Ok(update)
    }
}

/// Count what an article's first observation changed (never a repeat's).
pub fn count(u: &StoryUpdate) {
    if u.tag.duplicate.is_some() {
        metrics::counter!(m::STORY_DUPLICATES).increment(1);
    }
    for s in &u.stories {
        let name = if s.version == 1 {
            m::STORIES_CREATED
        } else {
            m::STORIES_UPDATED
        };
        metrics::counter!(name, "topic" => s.topic.clone()).increment(1);
    }
    for a in &u.alerts {
        metrics::counter!(m::STORY_ALERTS, "topic" => a.topic.clone()).increment(1);
    }
}

/// The JSON of an alert (the embedded file and the JetStream message).
pub fn alert_json(a: &crate::engine::stories::Alert) -> Value {
    serde_json::to_value(a).expect("alert serialises")
}

/// How far back `/brief` looks.
pub const BRIEF_HORIZON_SECS: i64 = 24 * 3600;
/// Stories listed per topic on `/brief` (the largest and most recent).
pub const BRIEF_PER_TOPIC: usize = 50;

struct Row {
    version: u64,
    /// When the story last grew (arrival, else stated time), for recency and expiry.
    last: i64,
    articles: u32,
    summary: Value,
}

/// The table `/brief` shows: the latest row of every story this process emitted (and
/// the stories restored at start), forgotten 24 hours after they last grew.
#[derive(Default)]
pub struct Brief {
    rows: Mutex<HashMap<String, Row>>,
}

impl Brief {
    /// Keep `story`'s row if it is newer than the one held.
    pub fn record(&self, story: &Story, now: i64) {
        let last = story.last_arrival.or(story.last_seen).unwrap_or(now);
        self.record_row(story.summary(), last, now);
    }

    /// Keep a story row (the JSON of [`Story::summary`], as the stories stream holds
    /// it) that last grew at `last`, if it is newer than the one held.
    pub fn record_row(&self, mut summary: Value, last: i64, now: i64) {
        let (Some(id), Some(version)) = (
            summary["id"].as_str().map(str::to_string),
            summary["version"].as_u64(),
        ) else {
            return;
        };
        let articles = summary["articles"].as_u64().unwrap_or(0) as u32;
        let mut rows = self.rows.lock().expect("brief lock");
        if rows.get(&id).is_some_and(|r| r.version >= version) {
            return;
        }
        if let Some(o) = summary.as_object_mut() {
            // the row without its member list (bounded page size)
            o.remove("article_ids");
            o.remove("article_ids_truncated");
            o.remove("figures");
        }
        rows.insert(
            id,
            Row {
                version,
                last,
                articles,
                summary,
            },
        );
        if rows.len() % 1024 == 0 {
            rows.retain(|_, r| r.last >= now - BRIEF_HORIZON_SECS);
        }
    }

    /// `/brief.json`: per topic, the stories of the last 24 hours, the largest and
    /// most recent first.
    pub fn to_json(&self, now: i64) -> Value {
        let mut rows = self.rows.lock().expect("brief lock");
        rows.retain(|_, r| r.last >= now - BRIEF_HORIZON_SECS);
        let mut by_topic: std::collections::BTreeMap<&str, Vec<&Row>> = Default::default();
        for r in rows.values() {
            let topic = r.summary["topic"].as_str().unwrap_or("");
            by_topic.entry(topic).or_default().push(r);
        }
        let topics: Vec<Value> = by_topic
            .into_iter()
            .map(|(topic, mut list)| {
                list.sort_by(|a, b| {
                    (b.articles, b.last)
                        .cmp(&(a.articles, a.last))
                        .then_with(|| a.summary["id"].as_str().cmp(&b.summary["id"].as_str()))
                });
                let total = list.len();
                let stories: Vec<&Value> = list
                    .into_iter()
                    .take(BRIEF_PER_TOPIC)
                    .map(|r| &r.summary)
                    .collect();
                json!({"topic": topic, "total": total, "stories": stories})
            })
            .collect();
        json!({
            "generated_at": crate::engine::stories::time::format_iso(now),
            "horizon_hours": BRIEF_HORIZON_SECS / 3600,
            "topics": topics,
        })
    }
}

/// Seconds since the Unix epoch (the arrival clock of observations).
pub fn now_secs() -> i64 {
    (super::stage::now_millis() / 1000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn story(id: &str, topic: &str, articles: u32, version: u64, last: i64) -> Story {
        Story {
            id: id.into(),
            topic: topic.into(),
            headline: Some(format!("<b>{id}</b>")),
            headline_language: Some("en".into()),
            articles,
            duplicates: 0,
            sources: Default::default(),
            languages: Default::default(),
            first_seen: Some(last),
            last_seen: Some(last),
            figures: Default::default(),
            members: Vec::new(),
            alerted: false,
            alert: None,
            last_arrival: Some(last),
            version,
        }
    }

    #[test]
    fn brief_keeps_the_newest_row_ranks_by_size_then_recency_and_forgets_old_stories() {
        let b = Brief::default();
        let now = 100_000;
        b.record(&story("a", "t", 3, 3, now - 10), now);
        b.record(&story("a", "t", 2, 2, now - 20), now); // older version: ignored
        b.record(&story("b", "t", 3, 3, now - 5), now);
        b.record(&story("c", "t", 5, 5, now - 3600), now);
        b.record(&story("old", "t", 9, 9, now - BRIEF_HORIZON_SECS - 1), now);
        b.record(&story("d", "u", 1, 1, now), now);
        let j = b.to_json(now);
        let t = &j["topics"][0];
        assert_eq!(t["topic"], "t");
        let ids: Vec<&str> = t["stories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["c", "b", "a"]);
        assert_eq!(t["stories"][2]["articles"], 3);
        assert_eq!(j["topics"][1]["topic"], "u");
    }
}
