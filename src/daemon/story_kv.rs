//! The story window shared by any number of workers on any machine: a JetStream KV
//! bucket updated with compare-and-set on revisions (issue #12).
//!
//! # Keys
//!
//! | key | value | written by |
//! |---|---|---|
//! | `a.<article>` | [`ArticleRecord`]: sketch, duplicate match, one decision per topic, `done` | the observing worker (created *pending* first, `done` last); decisions merged by whoever applies a commit |
//! | `b.<band hex>` | article ids sharing that LSH band (at most [`BAND_CAP`]) | the observing worker |
//! | `c.<topic>` | [`Commit`]: the topic's latest decision, with the full new story | CAS from the revision read: the topic's serialisation point |
//! | `s.<story>` | [`StoredStory`]: the story row and its creation number | the commit's appliers, only forward in `version` |
//! | `e.<topic>.<entity>` | story ids whose members have that key entity (at most [`INDEX_CAP`]) | the commit's appliers |
//!
//! Key parts outside `[-_a-zA-Z0-9]` are replaced by `=` + 32 hex of their BLAKE3.
//!
//! # Observing one article
//!
//! 1. `a.<id>` done: its stored tag, the stories re-read — a repeat changes nothing.
//! 2. `a.<id>` missing: decide its duplicate match on the sketches of the articles in
//!    its band lists ([`shared::decide_duplicate`]), create `a.<id>` *pending* with
//!    it (CAS on "absent", so two deliveries of one article agree on one match), add
//!    it to its band lists.
//! 3. Per topic (decided ones too): read `c.<topic>` at revision R and *apply* it (roll
//!    a commit a crashed worker left half-written forward); stop if it is this
//!    article's own, or if `a.<id>` holds the topic's decision. Read the topic's stories that share a key entity with the article
//!    (`e.` lists → `s.` rows), and the copied article's story (a copy joins it
//!    whatever its entities), and decide on them with the engine
//!    ([`shared::decide_topic`]). CAS `c.<topic>` from R to the new commit — a
//!    conflict means another worker changed the topic meanwhile: count it, re-read,
//!    redecide. Then apply it: entity index, the decision into `a.<id>`, the story
//!    row last (only if its stored version is older).
//! 4. Mark `a.<id>` done.
//!
//! Every story-changing decision of a topic is thus serialised by `c.<topic>`, and a
//! commit is applied before the next one in its topic is made, so each decision sees
//! the topic's stories exactly as the in-memory engine would after the earlier ones:
//! concurrent updates of one story never lose a member, and two workers starting the
//! same event end in one story (the second CAS fails and the redecision joins it).
//! Topics do not wait for each other. A kill -9 between any two writes leaves either
//! no commit (the article is decided again on redelivery) or a commit that the next
//! reader of `c.<topic>` — the redelivered article or any other — applies; the
//! article's decision reaches `a.<id>` before its topic moves on, so a redelivery
//! finds it and never counts the article twice.
//!
//! # Limits
//!
//! * Duplicate matching is not serialised: two copies observed at the very same time
//!   by two workers may both start a group (each sees no earlier copy).
//! * The clock is per topic: a topic's `now` is the latest arrival committed in it.
//! * Entries live for the story window (bucket `max_age`), so a story that received
//!   nothing for the window expires from the bucket as it does from the engine.
//! * A story's value holds its members and must stay under the server's max payload
//!   (1 MB by default: some thousands of members within one window).

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use async_nats::jetstream::kv::{self, Operation, UpdateErrorKind};
use futures::future::try_join_all;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::daemon::stage::Transient;
use crate::engine::stories::shared::{self, SketchRecord};
use crate::engine::stories::sketch::Sketch;
use crate::engine::stories::{
    event_time, ClusterDecision, DuplicateMatch, Observation, Story, StorySettings, StoryTag,
    StoryUpdate,
};

/// Most story ids kept per `e.<topic>.<entity>` list (the oldest go first).
pub const INDEX_CAP: usize = 256;
/// Most article ids kept per `b.<band>` list (the oldest go first): the engine's.
pub use crate::engine::stories::BAND_CAP;
/// Conflicts one observe accepts before it gives up with a transient error (the
/// input is retried later).
pub const MAX_CONFLICTS: u64 = 10_000;

/// `a.<article>`: what the window keeps of an observed article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleRecord {
    /// Every topic decided and the record final.
    pub done: bool,
    /// The revision the record was created at (recording order of copies).
    #[serde(default)]
    pub first_revision: Option<u64>,
    pub topics: Vec<String>,
    pub arrival: Option<i64>,
    pub duplicate: Option<DuplicateMatch>,
    /// The copied article's sketch record when the match was decided (pins the match
    /// for the topic decisions should that article expire meanwhile).
    pub original: Option<SketchRecord>,
    pub group: String,
    pub sketch: Option<Sketch>,
    /// Event time (what a copy of it takes when it states none; see
    /// [`event_time`]).
    #[serde(default)]
    pub event: Option<i64>,
    /// One decision per decided topic.
    pub decisions: Vec<ClusterDecision>,
}

impl ArticleRecord {
    fn decided(&self, topic: &str) -> bool {
        self.decisions.iter().any(|d| d.topic == topic)
    }

    fn sketch_record(&self, article: &str, revision: u64) -> Option<(u64, SketchRecord)> {
        let sketch = self.sketch.clone()?;
        Some((
            self.first_revision.unwrap_or(revision),
            SketchRecord {
                article: article.to_string(),
                group: self.group.clone(),
                sketch,
                time: self.arrival,
                event: self.event,
                clusters: self
                    .decisions
                    .iter()
                    .map(|d| (d.topic.clone(), d.id.clone()))
                    .collect(),
            },
        ))
    }
}

/// `s.<story>`: a story row and the order it was created in within its topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredStory {
    pub created: u64,
    pub story: Story,
}

/// `c.<topic>`: the topic's latest story-changing decision, complete enough for any
/// worker to apply it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commit {
    /// Number of commits in the topic so far.
    pub seq: u64,
    /// The latest arrival committed in the topic.
    pub now: Option<i64>,
    pub article: String,
    pub decision: ClusterDecision,
    /// Creation number of the story (its `seq` when it was started).
    pub created: u64,
    pub story: Story,
    /// The article's key entities (the index entries to add the story to).
    pub keys: Vec<String>,
}

/// A value read from the bucket and the revision to compare-and-set against (0 when
/// the key is absent).
struct Slot<T> {
    value: Option<T>,
    revision: u64,
}

/// The shared story window (see the module docs).
pub struct KvStories {
    kv: kv::Store,
    settings: Arc<StorySettings>,
    conflicts: AtomicU64,
    /// Test hook: the writes left before every write fails (a simulated crash).
    write_budget: Mutex<Option<u64>>,
    /// One lock per topic: this process's articles of one topic take turns at its
    /// commit key instead of racing each other to it (every racer but one would lose
    /// the compare-and-set and decide again). Other processes still race, and lose
    /// nothing by it.
    topic_turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl KvStories {
    /// Open (create if missing) the bucket; entries live for the story window, so old
    /// clusters expire; history 1; file storage; `replicas` copies in a cluster.
    pub async fn open(
        js: &async_nats::jetstream::Context,
        bucket: &str,
        replicas: usize,
        settings: Arc<StorySettings>,
    ) -> anyhow::Result<KvStories> {
        let config = kv::Config {
            bucket: bucket.to_string(),
            description: "wirefeed story window".to_string(),
            history: 1,
            max_age: shared::window(&settings),
            storage: async_nats::jetstream::stream::StorageType::File,
            num_replicas: replicas.max(1),
            ..Default::default()
        };
        let kv = match js.create_key_value(config).await {
            Ok(kv) => kv,
            Err(create) => js.get_key_value(bucket).await.with_context(|| {
                format!("opening the story bucket {bucket} (creating it failed: {create})")
            })?,
        };
        Ok(KvStories {
            kv,
            settings,
            conflicts: AtomicU64::new(0),
            write_budget: Mutex::new(None),
            topic_turns: Mutex::new(HashMap::new()),
        })
    }

    /// Revision conflicts met so far (each one re-read and redecided).
    pub fn conflicts(&self) -> u64 {
        self.conflicts.load(Ordering::Relaxed)
    }

    /// Test hook: after `n` more writes every write fails, as if the process had been
    /// killed there (`None`: no limit).
    #[doc(hidden)]
    pub fn fail_after_writes(&self, n: Option<u64>) {
        *self.write_budget.lock().expect("budget lock") = n;
    }

    /// A story's current row (`None`: unknown or expired).
    pub async fn story(&self, id: &str) -> Result<Option<Story>, Transient> {
        let slot: Slot<StoredStory> = self.read(story_key(id)).await?;
        Ok(slot.value.map(|s| s.story))
    }

    /// Idempotent per article id: observe one article against the shared state and
    /// return exactly what [`StoryState::update`](crate::engine::stories::StoryState::update)
    /// would (tag, current rows of its stories, the alerts it raised — again on a repeat).
    pub async fn observe(&self, ob: &Observation) -> Result<StoryUpdate, Transient> {
        Ok(self.observe_first(ob).await?.0)
    }

    /// [`KvStories::observe`], and whether this call was the one that completed the
    /// article (its first observation: what metrics count), not a repeat.
    pub async fn observe_first(&self, ob: &Observation) -> Result<(StoryUpdate, bool), Transient> {
        let key = article_key(&ob.article_id);
        let mut conflicts = 0u64;
        loop {
            if conflicts > MAX_CONFLICTS {
                return Err(Transient::broker(
                    "observing a story",
                    &"too many revision conflicts",
                ));
            }
            let slot: Slot<ArticleRecord> = self.read(&key).await?;
            // The band lists as `start` read them (saves reading them again).
            let mut band_lists = Vec::new();
            let rec = match slot.value {
                Some(rec) if rec.done => {
                    return Ok((self.result(&ob.article_id, rec).await?, false))
                }
                Some(rec) => rec,
                None => {
                    let rec;
                    (rec, band_lists) = self.start(ob).await?;
                    if self.write(&key, &rec, slot.revision).await?.is_none() {
                        conflicts += 1;
                        self.conflicts.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    rec
                }
            };
            if let Some(sketch) = &rec.sketch {
                let mut known = band_lists.into_iter();
                try_join_all(sketch.band_keys().iter().map(|b| {
                    self.add_to_list(
                        format!("b.{b:016x}"),
                        &ob.article_id,
                        BAND_CAP,
                        known.next(),
                    )
                }))
                .await?;
            }
            // Decided topics too: their commit may be the topic's latest and not yet
            // applied (a crash between the decision and the story row).
            for topic in &rec.topics {
                conflicts += self.commit_topic(ob, &rec, topic).await?;
            }
            let slot: Slot<ArticleRecord> = self.read(&key).await?;
            let Some(mut rec) = slot.value else {
                continue;
            };
            if rec.done {
                return Ok((self.result(&ob.article_id, rec).await?, false));
            }
            if !rec.topics.iter().all(|t| rec.decided(t)) {
                continue;
            }
            let topics = rec.topics.clone();
            rec.decisions
                .sort_by_key(|d| topics.iter().position(|t| *t == d.topic));
            rec.done = true;
            rec.first_revision = rec.first_revision.or(Some(slot.revision));
            if self.write(&key, &rec, slot.revision).await?.is_some() {
                return Ok((self.result(&ob.article_id, rec).await?, true));
            }
            conflicts += 1;
            self.conflicts.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The pending record of a new article: its duplicate match, decided on the
    /// sketches of the articles sharing a band with it; and the band lists read.
    async fn start(
        &self,
        ob: &Observation,
    ) -> Result<(ArticleRecord, Vec<Slot<Vec<String>>>), Transient> {
        let mut rec = ArticleRecord {
            done: false,
            first_revision: None,
            topics: ob.topics.clone(),
            arrival: ob.arrival,
            duplicate: None,
            original: None,
            group: ob.article_id.clone(),
            sketch: ob.sketch.clone(),
            event: ob.time,
            decisions: Vec::new(),
        };
        let Some(sketch) = &ob.sketch else {
            return Ok((rec, Vec::new()));
        };
        let lists: Vec<Slot<Vec<String>>> = try_join_all(
            sketch
                .band_keys()
                .iter()
                .map(|b| self.read(format!("b.{b:016x}"))),
        )
        .await?;
        let ids: BTreeSet<String> = lists
            .iter()
            .filter_map(|s| s.value.as_ref())
            .flatten()
            .filter(|id| **id != ob.article_id)
            .cloned()
            .collect();
        let mut cands: Vec<(u64, SketchRecord)> = try_join_all(ids.iter().map(|id| async move {
            let slot: Slot<ArticleRecord> = self.read(article_key(id)).await?;
            Ok::<_, Transient>(slot.value.and_then(|r| r.sketch_record(id, slot.revision)))
        }))
        .await?
        .into_iter()
        .flatten()
        .collect();
        cands.sort_by_key(|(rev, _)| *rev);
        let now = cands.iter().filter_map(|(_, c)| c.time).max();
        let cands: Vec<SketchRecord> = cands.into_iter().map(|(_, c)| c).collect();
        rec.duplicate = shared::decide_duplicate(&self.settings, now, ob, cands.clone());
        if let Some(d) = &rec.duplicate {
            rec.group = d.duplicate_of.clone();
            rec.original = cands.into_iter().find(|c| c.article == d.matched);
        }
        rec.event = event_time(ob, || rec.original.as_ref().and_then(|o| o.event));
        Ok((rec, lists))
    }

    /// Decide and commit the article in one topic; returns the conflicts met.
    async fn commit_topic(
        &self,
        ob: &Observation,
        rec: &ArticleRecord,
        topic: &str,
    ) -> Result<u64, Transient> {
        let head_key = format!("c.{}", part(topic));
        let turn = self
            .topic_turns
            .lock()
            .expect("topic turns lock")
            .entry(topic.to_string())
            .or_default()
            .clone();
        let _turn = turn.lock().await;
        let mut conflicts = 0;
        loop {
            if conflicts > MAX_CONFLICTS {
                return Err(Transient::broker(
                    "committing a story",
                    &"too many revision conflicts",
                ));
            }
            let head: Slot<Commit> = self.read(&head_key).await?;
            if let Some(c) = &head.value {
                self.apply(topic, c).await?;
                if c.article == ob.article_id {
                    return Ok(conflicts);
                }
            }
            // Decided meanwhile by another delivery of this article (its commit was
            // applied before the topic moved on).
            // Three independent reads at once: this article's record, the entity
            // index of its key entities, the article it copies.
            let keys = shared::key_entities(&self.settings, ob, topic);
            let copied = async {
                match &rec.duplicate {
                    Some(d) => {
                        let slot: Slot<ArticleRecord> = self.read(article_key(&d.matched)).await?;
                        Ok::<_, Transient>(
                            slot.value
                                .and_then(|r| r.sketch_record(&d.matched, slot.revision))
                                .map(|(_, s)| s)
                                .or_else(|| rec.original.clone()),
                        )
                    }
                    None => Ok(None),
                }
            };
            let (mine, lists, original) = futures::try_join!(
                self.read::<ArticleRecord>(article_key(&ob.article_id)),
                try_join_all(keys.iter().map(|k| self.read::<Vec<String>>(format!(
                    "e.{}.{}",
                    part(topic),
                    part(k)
                ))),),
                copied,
            )?;
            if mine.value.as_ref().is_some_and(|r| r.decided(topic)) {
                return Ok(conflicts);
            }
            // The stories sharing a key entity, and the copied article's story in this
            // topic (a copy joins it whatever its entities).
            let ids: BTreeSet<String> = lists
                .into_iter()
                .filter_map(|s| s.value)
                .flatten()
                .chain(original.iter().flat_map(|o| {
                    o.clusters
                        .iter()
                        .filter(|(t, _)| t == topic)
                        .map(|(_, id)| id.clone())
                }))
                .collect();
            let mut stories: Vec<StoredStory> =
                try_join_all(ids.iter().map(|id| self.read::<StoredStory>(story_key(id))))
                    .await?
                    .into_iter()
                    .filter_map(|s| s.value)
                    .filter(|s| s.story.topic == topic)
                    .collect();
            stories.sort_by(|a, b| a.created.cmp(&b.created).then(a.story.id.cmp(&b.story.id)));
            let prev = head.value.as_ref();
            let seq = prev.map_or(0, |c| c.seq) + 1;
            let now = prev.and_then(|c| c.now);
            let created_of =
                |id: &str| stories.iter().find(|s| s.story.id == id).map(|s| s.created);
            let (decision, story) = shared::decide_topic(
                &self.settings,
                now,
                ob,
                topic,
                original,
                stories.iter().map(|s| s.story.clone()).collect(),
            );
            let commit = Commit {
                seq,
                now: match (now, ob.arrival) {
                    (Some(n), Some(a)) => Some(n.max(a)),
                    (n, a) => n.or(a),
                },
                article: ob.article_id.clone(),
                created: created_of(&story.id).unwrap_or(seq),
                decision,
                story,
                keys,
            };
            if self
                .write(&head_key, &commit, head.revision)
                .await?
                .is_some()
            {
                self.apply(topic, &commit).await?;
                return Ok(conflicts);
            }
            conflicts += 1;
            self.conflicts.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Make a commit's writes (idempotent; a no-op once its story row is written,
    /// which is the last of them).
    async fn apply(&self, topic: &str, c: &Commit) -> Result<(), Transient> {
        let skey = story_key(&c.story.id);
        let slot: Slot<StoredStory> = self.read(&skey).await?;
        if slot
            .value
            .as_ref()
            .is_some_and(|s| s.story.version >= c.story.version)
        {
            return Ok(());
        }
        try_join_all(c.keys.iter().map(|k| {
            self.add_to_list(
                format!("e.{}.{}", part(topic), part(k)),
                &c.story.id,
                INDEX_CAP,
                None,
            )
        }))
        .await?;
        self.merge_decision(&c.article, &c.decision).await?;
        let row = StoredStory {
            created: c.created,
            story: c.story.clone(),
        };
        let mut slot = slot;
        loop {
            if slot
                .value
                .as_ref()
                .is_some_and(|s| s.story.version >= c.story.version)
            {
                return Ok(());
            }
            if self.write(&skey, &row, slot.revision).await?.is_some() {
                return Ok(());
            }
            slot = self.read(&skey).await?;
        }
    }

    /// Put a topic decision into its article's record (unless it is there, or the
    /// record expired).
    async fn merge_decision(&self, article: &str, d: &ClusterDecision) -> Result<(), Transient> {
        let key = article_key(article);
        loop {
            let slot: Slot<ArticleRecord> = self.read(&key).await?;
            let Some(mut rec) = slot.value else {
                return Ok(());
            };
            if rec.done || rec.decided(&d.topic) {
                return Ok(());
            }
            rec.decisions.push(d.clone());
            rec.first_revision = rec.first_revision.or(Some(slot.revision));
            if self.write(&key, &rec, slot.revision).await?.is_some() {
                return Ok(());
            }
        }
    }

    /// Add `id` to the bounded list at `key` (the oldest dropped past `cap`), starting
    /// from `known` when the list was just read.
    async fn add_to_list(
        &self,
        key: String,
        id: &str,
        cap: usize,
        mut known: Option<Slot<Vec<String>>>,
    ) -> Result<(), Transient> {
        loop {
            let slot: Slot<Vec<String>> = match known.take() {
                Some(s) => s,
                None => self.read(&key).await?,
            };
            let mut list = slot.value.unwrap_or_default();
            if list.iter().any(|x| x == id) {
                return Ok(());
            }
            list.push(id.to_string());
            if list.len() > cap {
                list.drain(..list.len() - cap);
            }
            if self.write(&key, &list, slot.revision).await?.is_some() {
                return Ok(());
            }
        }
    }

    /// What the engine's `update` returns for a decided article: its tag, its stories
    /// as they are now, the alerts it raised.
    async fn result(&self, article: &str, rec: ArticleRecord) -> Result<StoryUpdate, Transient> {
        let tag = StoryTag {
            article_id: article.to_string(),
            duplicate: rec.duplicate,
            clusters: rec.decisions,
        };
        let stories: Vec<Story> = try_join_all(
            tag.clusters
                .iter()
                .map(|c| self.read::<StoredStory>(story_key(&c.id))),
        )
        .await?
        .into_iter()
        .filter_map(|s| s.value.map(|s| s.story))
        .collect();
        let alerts = stories
            .iter()
            .filter_map(|s| s.alert.clone())
            .filter(|a| a.article == article)
            .collect();
        Ok(StoryUpdate {
            tag,
            stories,
            alerts,
        })
    }

    async fn read<T: DeserializeOwned>(
        &self,
        key: impl Into<String>,
    ) -> Result<Slot<T>, Transient> {
        let key = key.into();
        let entry = self
            .kv
            .entry(key.as_str())
            .await
            .map_err(|e| Transient::broker("reading story state", &e))?;
        Ok(match entry {
            None => Slot {
                value: None,
                revision: 0,
            },
            Some(e) if e.operation != Operation::Put => Slot {
                value: None,
                revision: e.revision,
            },
            Some(e) => Slot {
                value: Some(serde_json::from_slice(&e.value).map_err(|err| Transient {
                    error_type: "io",
                    op: "decoding story state",
                    detail: format!("{key}: {err}"),
                })?),
                revision: e.revision,
            },
        })
    }

    /// Compare-and-set `key` from `revision` (0: absent); `None` on a conflict.
    async fn write<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        revision: u64,
    ) -> Result<Option<u64>, Transient> {
        {
            let mut budget = self.write_budget.lock().expect("budget lock");
            match budget.as_mut() {
                Some(0) => {
                    return Err(Transient {
                        error_type: "broker_unavailable",
                        op: "writing story state",
                        detail: "simulated crash (test hook)".into(),
                    })
                }
                Some(n) => *n -= 1,
                None => {}
            }
        }
        let bytes = serde_json::to_vec(value).expect("story records serialise");
        match self.kv.update(key, bytes.into(), revision).await {
            Ok(rev) => Ok(Some(rev)),
            Err(e) if e.kind() == UpdateErrorKind::WrongLastRevision => Ok(None),
            Err(e) => Err(Transient::broker("writing story state", &e)),
        }
    }
}

fn article_key(id: &str) -> String {
    format!("a.{}", part(id))
}

fn story_key(id: &str) -> String {
    format!("s.{}", part(id))
}

/// A key part: itself when made of `[-_a-zA-Z0-9]`, else `=` + 32 hex of its BLAKE3.
fn part(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if plain {
        s.to_string()
    } else {
        format!("={}", &blake3::hash(s.as_bytes()).to_hex()[..32])
    }
}

#[cfg(test)]
mod tests {
    use super::part;

    #[test]
    fn key_parts_are_plain_or_hashed() {
        assert_eq!(part("ukraine_war"), "ukraine_war");
        assert_eq!(part("ab12-0"), "ab12-0");
        let odd = part("a.b c");
        assert!(odd.starts_with('=') && odd.len() == 33, "{odd}");
        assert_ne!(part("a.b"), part("a,b"));
        assert!(part("").starts_with('='));
    }
}
