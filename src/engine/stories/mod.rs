//! Stories: republished copies (duplicates) and reports of the same event (clusters).
//!
//! Pure and deterministic like the rest of the engine: no clock (the caller passes the
//! arrival time), no IO (the state is a plain serialisable struct that a
//! [store](crate::daemon) persists), no randomness (the sketch hash is fixed). The same
//! articles in the same order always give the same duplicates, clusters and ids.
//!
//! * **Duplicates**: a MinHash [`sketch::Sketch`] of the body's word shingles. A copy is
//!   recognised whatever its boilerplate, site-name suffix (the headline is not
//!   sketched), line breaks or a trimmed or added paragraph; it carries
//!   `duplicate_of`, the first article of its group, and joins that article's clusters;
//!   a copy that states no time takes the copied article's.
//! * **Clusters**: per matched topic, an article joins the cluster of the best-matching
//!   member within the window when they share at least `min_shared` *key* entities
//!   (gazetteer ids, so languages meet) outside the topic's background, with a shared
//!   weight of at least `min_shared_weight` (two places alone are not an event) and a
//!   weighted overlap of at least `threshold`, both have a time (stated, or the arrival
//!   time in the daemon) and the times are within the window, and no
//!   figure of the same kind differs by more than `figure_ratio`. Otherwise it starts a
//!   cluster. Every decision says what it matched on, with the score.

pub mod shared;
pub mod sketch;
pub mod time;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::error::DataError;
use crate::model::{ClassifiedArticle, EntityKind, FigureCategory};
use sketch::Sketch;

/// The shipped settings (`data/stories.toml`).
pub const BUILTIN_SETTINGS: &str = include_str!("../../../data/stories.toml");

/// Duplicate detection settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DuplicateSettings {
    pub shingle_words: usize,
    pub min_shingles: usize,
    pub jaccard: f64,
    pub containment: f64,
    pub containment_jaccard: f64,
}

impl Default for DuplicateSettings {
    fn default() -> Self {
        DuplicateSettings {
            shingle_words: 3,
            min_shingles: 8,
            jaccard: 0.5,
            containment: 0.85,
            containment_jaccard: 0.2,
        }
    }
}

/// Weight of each entity kind in the overlap score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KindWeights {
    pub person: f64,
    pub organisation: f64,
    pub place: f64,
}

impl Default for KindWeights {
    fn default() -> Self {
        KindWeights {
            person: 1.0,
            organisation: 0.8,
            place: 0.6,
        }
    }
}

impl KindWeights {
    fn of(&self, k: EntityKind) -> f64 {
        match k {
            EntityKind::Person => self.person,
            EntityKind::Organisation => self.organisation,
            EntityKind::Place => self.place,
        }
    }
}

/// Event cluster settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterSettings {
    pub key_min_body: u32,
    pub min_shared: usize,
    pub min_shared_weight: f64,
    pub threshold: f64,
    pub figure_ratio: f64,
    /// Members a story keeps to compare new articles with: the latest ones (an
    /// older member still counts in the story's totals). Bounds a story's size in
    /// memory, in the log and in every shared-store write.
    pub max_members: usize,
    pub weights: KindWeights,
    /// Topic id (or `*`) → entity ids that are never evidence.
    pub background: BTreeMap<String, Vec<String>>,
}

impl Default for ClusterSettings {
    fn default() -> Self {
        ClusterSettings {
            key_min_body: 2,
            min_shared: 2,
            min_shared_weight: 1.4,
            threshold: 0.5,
            figure_ratio: 5.0,
            max_members: 64,
            weights: KindWeights::default(),
            background: BTreeMap::new(),
        }
    }
}

/// Breaking-alert thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertSettings {
    pub articles: u32,
    pub sources: u32,
    pub within_minutes: u64,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            articles: 5,
            sources: 3,
            within_minutes: 60,
        }
    }
}

/// All story settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorySettings {
    pub window_hours: u64,
    pub duplicates: DuplicateSettings,
    pub clusters: ClusterSettings,
    pub alerts: AlertSettings,
}

impl Default for StorySettings {
    fn default() -> Self {
        StorySettings {
            window_hours: 72,
            duplicates: DuplicateSettings::default(),
            clusters: ClusterSettings::default(),
            alerts: AlertSettings::default(),
        }
    }
}

impl StorySettings {
    /// The shipped settings.
    pub fn builtin() -> StorySettings {
        StorySettings::parse("data/stories.toml", BUILTIN_SETTINGS).expect("shipped settings parse")
    }

    /// Settings from a TOML file's text; errors at file:line:column.
    pub fn parse(name: &str, text: &str) -> Result<StorySettings, DataError> {
        let file = crate::data::DataFile {
            name: name.to_string(),
            text: text.to_string(),
        };
        let settings: StorySettings = file.parse()?;
        // A story holding fewer members than an alert counts could never alert.
        let (held, needed) = (settings.clusters.max_members, settings.alerts.articles);
        if held == 0 || held < needed as usize {
            // the line that sets it (the cap if the file sets it, else the count)
            let key_at = |key: &str| {
                let mut offset = 0;
                for line in text.split_inclusive('\n') {
                    let t = line.trim_start();
                    if t.strip_prefix(key)
                        .is_some_and(|r| r.trim_start().starts_with('='))
                    {
                        return Some(offset + line.len() - t.len());
                    }
                    offset += line.len();
                }
                None
            };
            let at = key_at("max_members")
                .or_else(|| key_at("articles"))
                .unwrap_or(0);
            return Err(DataError::at(
                &file,
                at,
                format!(
                    "clusters.max_members = {held} must be at least 1 and at least alerts.articles = {needed} (a story holding fewer members could never alert)"
                ),
            ));
        }
        Ok(settings)
    }

    fn window_secs(&self) -> i64 {
        self.window_hours as i64 * 3600
    }

    fn is_background(&self, topic: &str, id: &str) -> bool {
        [topic, "*"].iter().any(|t| {
            self.clusters
                .background
                .get(*t)
                .is_some_and(|l| l.iter().any(|e| e == id))
        })
    }
}

/// Why an article is (or is not) a copy of an earlier one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateMatch {
    /// The first article of the group.
    pub duplicate_of: String,
    /// The article whose sketch matched (the group's first or another copy).
    pub matched: String,
    pub jaccard: f64,
    pub containment: f64,
}

/// One topic's cluster decision for an article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterDecision {
    pub topic: String,
    /// Cluster id (`<topic>-<12 hex>`), stable: derived from the first article's id.
    pub id: String,
    /// `new` (started the cluster), `duplicate` (a copy of a member), `entities`.
    pub via: String,
    /// The member that matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// Weighted entity overlap with that member (0–1).
    pub score: f64,
    /// Key entities shared with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared: Vec<String>,
    /// The article's key entities (outside the topic's background).
    pub keys: Vec<String>,
    /// Hours between the two stated times, when both are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours_apart: Option<f64>,
    /// Figures compared (`killed 160~164`), when both report the same kind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub figures: Vec<String>,
    /// The best candidates turned down, with the reason (at most three).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<String>,
}

/// What the story state said about one article: the extension object's additions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoryTag {
    pub article_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<DuplicateMatch>,
    pub clusters: Vec<ClusterDecision>,
}

impl StoryTag {
    /// `duplicate_of`, when the article is a copy.
    pub fn duplicate_of(&self) -> Option<&str> {
        self.duplicate.as_ref().map(|d| d.duplicate_of.as_str())
    }
}

/// A breaking alert: published once per story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub topic: String,
    pub story: String,
    /// The article whose arrival raised it.
    #[serde(default)]
    pub article: String,
    pub headline: Option<String>,
    pub articles: u32,
    pub sources: u32,
    pub within_minutes: u64,
}

/// The largest figure of one kind reported in a story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryFigure {
    pub value: u64,
    pub text: String,
    pub article: String,
}

/// What the state remembers of one article of a cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub article: String,
    pub keys: Vec<(String, EntityKind)>,
    pub figures: BTreeMap<String, u64>,
    pub time: Option<i64>,
    pub source: Option<String>,
    #[serde(default)]
    pub duplicate: bool,
}

/// One story (event cluster): the current row of the stories table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Story {
    pub id: String,
    pub topic: String,
    pub headline: Option<String>,
    pub headline_language: Option<String>,
    pub articles: u32,
    pub duplicates: u32,
    pub sources: BTreeSet<String>,
    pub languages: BTreeSet<String>,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    pub figures: BTreeMap<String, StoryFigure>,
    /// The latest `max_members` members: what new articles are compared with.
    pub members: Vec<Member>,
    pub alerted: bool,
    /// The alert this story raised (so a redelivered article raises it again to
    /// outputs a crash may have lost; the outputs deduplicate it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<Alert>,
    /// Latest arrival time of a member (expiry).
    #[serde(default)]
    pub last_arrival: Option<i64>,
    /// Number of changes (1 when created).
    pub version: u64,
}

impl Story {
    /// The JSON row of the stories table (`outbox/stories/<topic>/<id>.json`).
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "topic": self.topic,
            "headline": self.headline,
            "headline_language": self.headline_language,
            "articles": self.articles,
            "duplicates": self.duplicates,
            "sources": self.sources,
            "languages": self.languages,
            "first_seen": self.first_seen.map(time::format_iso),
            "last_seen": self.last_seen.map(time::format_iso),
            "figures": self.figures,
            // the latest `max_members`: a row's size does not grow with its story
            "article_ids": self.members.iter().map(|m| &m.article).collect::<Vec<_>>(),
            "alerted": self.alerted,
            "version": self.version,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SketchEntry {
    article: String,
    group: String,
    sketch: Sketch,
    time: Option<i64>,
    /// The article's event time (stated, else its copy's, else its arrival): what a
    /// copy of it takes when it states none.
    #[serde(default)]
    event: Option<i64>,
    /// Cluster ids of the article, per topic.
    clusters: Vec<(String, String)>,
}

/// An entity of an observed article: id, kind, mention counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservedEntity {
    pub id: String,
    pub kind: EntityKind,
    pub headline: u32,
    pub body: u32,
}

/// What the story state needs of one article: small, serialisable, and enough to
/// replay the state exactly (the durable log stores these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub article_id: String,
    /// Stated time, else the arrival time (Unix seconds): what clusters compare.
    pub time: Option<i64>,
    /// Arrival time (the daemon's clock): what drives expiry. `None` in a batch, which
    /// has no clock and so forgets nothing.
    #[serde(default)]
    pub arrival: Option<i64>,
    pub headline: Option<String>,
    pub language: String,
    pub source: Option<String>,
    pub topics: Vec<String>,
    pub entities: Vec<ObservedEntity>,
    /// Largest stated figure per kind: value and text.
    pub figures: BTreeMap<String, (u64, String)>,
    pub sketch: Option<Sketch>,
}

impl Observation {
    pub fn of(settings: &StorySettings, c: &ClassifiedArticle, arrival: Option<i64>) -> Self {
        let a = &c.tagged.article;
        let mut figures: BTreeMap<String, (u64, String)> = BTreeMap::new();
        for f in &c.tagged.figures {
            if let Some(v) = f.quantity.value {
                let k = category_name(f.category).to_string();
                if figures.get(&k).is_none_or(|(old, _)| v > *old) {
                    figures.insert(k, (v, f.quantity.text.clone()));
                }
            }
        }
        let d = &settings.duplicates;
        Observation {
            article_id: a.id.clone(),
            time: a.published.as_deref().and_then(time::parse_iso).or(arrival),
            arrival,
            headline: a.headline.clone(),
            language: c.tagged.language.code.clone(),
            source: source_of(c),
            topics: c.topics().into_iter().map(str::to_string).collect(),
            entities: c
                .tagged
                .entities
                .iter()
                .map(|e| ObservedEntity {
                    id: e.id.clone(),
                    kind: e.kind,
                    headline: e.headline_count,
                    body: e.body_count,
                })
                .collect(),
            figures,
            sketch: Sketch::of(&a.body_match, d.shingle_words, d.min_shingles),
        }
    }
}

/// Everything the story window holds. Plain data: serialise it to persist it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoryState {
    /// The latest arrival time seen, which drives expiry (stated times do not: a
    /// late article about an old event must not wipe the window).
    pub now: Option<i64>,
    stories: BTreeMap<String, Story>,
    /// Creation order of the stories (ties between equal scores go to the oldest).
    order: Vec<String>,
    sketches: Vec<SketchEntry>,
    /// Articles in the window, with their time and tag (replays are not counted twice).
    seen: BTreeMap<String, (Option<i64>, StoryTag)>,
    #[serde(skip)]
    bands: HashMap<u64, Vec<usize>>,
    /// Stories by (topic, key entity): the only stories an article can join.
    #[serde(skip)]
    keys: KeyIndex,
    /// The earliest time an entry held may expire at, when known.
    #[serde(skip)]
    floor: Floor,
}

/// Positions in [`StoryState::order`] of the stories with a member keyed by an entity,
/// per topic, each list in creation order. Derived data: rebuilt after an expiry or an
/// [`StoryState::upsert`], extended as members join; so [`StoryState::best_cluster`]
/// compares an article with the members of the stories sharing one of its keys only,
/// not with every member of its topic.
#[derive(Debug, Clone, Default)]
struct KeyIndex {
    built: bool,
    by_key: HashMap<(String, String), Vec<usize>>,
    /// Story id → its position in creation order.
    pos: HashMap<String, usize>,
}

impl PartialEq for KeyIndex {
    /// Derived from the state it indexes: never part of what a state is.
    fn eq(&self, _: &KeyIndex) -> bool {
        true
    }
}

impl KeyIndex {
    fn add(&mut self, topic: &str, keys: &[(String, EntityKind)], pos: usize) {
        for (k, _) in keys {
            let list = self
                .by_key
                .entry((topic.to_string(), k.clone()))
                .or_default();
            if list.last() != Some(&pos) {
                list.push(pos);
            }
        }
    }
}

/// The smallest arrival time among the sketches, articles and stories held (what
/// [`StoryState::expire`] compares with), so a window with nothing old enough to go
/// is not scanned on every article.
#[derive(Debug, Clone, Copy, Default)]
struct Floor(Option<i64>);

impl PartialEq for Floor {
    /// A cache of the state: never part of what a state is.
    fn eq(&self, _: &Floor) -> bool {
        true
    }
}

impl Floor {
    fn lower(&mut self, t: Option<i64>) {
        if let (Some(f), Some(t)) = (&mut self.0, t) {
            *f = (*f).min(t);
        }
    }
}

/// The result of observing one article.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    pub tag: StoryTag,
    /// Ids of the stories that changed (created or grown).
    pub changed: Vec<String>,
    pub alerts: Vec<Alert>,
}

/// What a daemon emits for one observed article: the tag for its document, the
/// current row of every story it is in, and the alerts its arrival raised. For an
/// article already observed (a redelivery after a crash) it is the same tag, the
/// stories as they are now and the same alerts again, so outputs a crash lost are
/// written again (they are idempotent: files overwritten, messages deduplicated by id).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoryUpdate {
    pub tag: StoryTag,
    pub stories: Vec<Story>,
    pub alerts: Vec<Alert>,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn category_name(c: FigureCategory) -> &'static str {
    match c {
        FigureCategory::Killed => "killed",
        FigureCategory::Injured => "injured",
        FigureCategory::Arrested => "arrested",
        FigureCategory::Displaced => "displaced",
    }
}

/// The source an article is counted under: its publisher, else its first agency credit.
pub fn source_of(c: &ClassifiedArticle) -> Option<String> {
    let a = &c.tagged.article;
    a.publisher
        .clone()
        .or_else(|| a.credits.first().map(|cr| cr.name.clone()))
}

impl StoryState {
    pub fn new() -> StoryState {
        StoryState::default()
    }

    /// The stories, in creation order.
    pub fn stories(&self) -> impl Iterator<Item = &Story> {
        self.order.iter().filter_map(|id| self.stories.get(id))
    }

    pub fn story(&self, id: &str) -> Option<&Story> {
        self.stories.get(id)
    }

    /// Put a story in (from a shared store); replaces the one with its id.
    pub fn upsert(&mut self, story: Story) {
        if !self.stories.contains_key(&story.id) {
            self.order.push(story.id.clone());
        }
        self.stories.insert(story.id.clone(), story);
        self.keys.built = false;
        self.floor = Floor(None);
    }

    fn ensure_keys(&mut self) {
        if self.keys.built {
            return;
        }
        let mut index = KeyIndex {
            built: true,
            ..KeyIndex::default()
        };
        for (pos, id) in self.order.iter().enumerate() {
            index.pos.insert(id.clone(), pos);
            if let Some(s) = self.stories.get(id) {
                for m in &s.members {
                    index.add(&s.topic, &m.keys, pos);
                }
            }
        }
        self.keys = index;
    }

    /// Number of duplicate sketches held.
    pub fn sketch_count(&self) -> usize {
        self.sketches.len()
    }

    fn rebuild_bands(&mut self) {
        self.bands.clear();
        for (i, e) in self.sketches.iter().enumerate() {
            for k in e.sketch.band_keys() {
                push_capped(self.bands.entry(k).or_default(), i);
            }
        }
    }

    /// Forget stories and sketches older than the window before `now`.
    pub fn expire(&mut self, settings: &StorySettings) {
        let Some(now) = self.now else { return };
        let limit = now - settings.window_secs();
        if self.floor.0.is_some_and(|f| f >= limit) {
            return; // nothing held is old enough to go
        }
        let before = self.sketches.len();
        self.sketches.retain(|e| e.time.is_none_or(|t| t >= limit));
        if self.sketches.len() != before || self.bands.is_empty() {
            self.rebuild_bands();
        }
        self.seen.retain(|_, (t, _)| t.is_none_or(|t| t >= limit));
        let stories = &mut self.stories;
        stories.retain(|_, s| s.last_arrival.is_none_or(|t| t >= limit));
        let held = self.order.len();
        self.order.retain(|id| stories.contains_key(id));
        if self.order.len() != held {
            self.keys.built = false;
        }
        let times = (self.sketches.iter().filter_map(|e| e.time))
            .chain(self.seen.values().filter_map(|(t, _)| *t))
            .chain(self.stories.values().filter_map(|s| s.last_arrival));
        self.floor = Floor(Some(times.min().unwrap_or(i64::MAX)));
    }

    /// Observe one classified article. `arrival` (Unix seconds) stands in for the
    /// article's time when it states none; `None` in a batch with no clock.
    pub fn observe(
        &mut self,
        settings: &StorySettings,
        c: &ClassifiedArticle,
        arrival: Option<i64>,
    ) -> Observed {
        self.apply(settings, &Observation::of(settings, c, arrival))
    }

    /// Whether the window already holds this article (a replay or a redelivery).
    pub fn has_seen(&self, article_id: &str) -> bool {
        self.seen.contains_key(article_id)
    }

    /// Apply one observation and gather what a daemon emits for it ([`StoryUpdate`]),
    /// the same on a repeat.
    pub fn update(&mut self, settings: &StorySettings, ob: &Observation) -> StoryUpdate {
        let observed = self.apply(settings, ob);
        let stories: Vec<Story> = observed
            .tag
            .clusters
            .iter()
            .filter_map(|c| self.stories.get(&c.id).cloned())
            .collect();
        let alerts = stories
            .iter()
            .filter_map(|s| s.alert.clone())
            .filter(|a| a.article == ob.article_id)
            .collect();
        StoryUpdate {
            tag: observed.tag,
            stories,
            alerts,
        }
    }

    /// Apply one observation (the same result whether live or replayed from a log).
    /// An article already in the window is not counted twice: its tag is returned
    /// again with no change.
    pub fn apply(&mut self, settings: &StorySettings, ob: &Observation) -> Observed {
        if let Some(tag) = self.seen.get(&ob.article_id) {
            return Observed {
                tag: tag.1.clone(),
                ..Observed::default()
            };
        }
        if let Some(t) = ob.arrival {
            self.now = Some(self.now.map_or(t, |n| n.max(t)));
        }
        if self.bands.is_empty() && !self.sketches.is_empty() {
            self.rebuild_bands();
        }
        self.expire(settings);
        self.floor.lower(ob.arrival);
        self.ensure_keys();
        let mut out = Observed {
            tag: StoryTag {
                article_id: ob.article_id.clone(),
                ..StoryTag::default()
            },
            ..Observed::default()
        };
        // Duplicates.
        let d = &settings.duplicates;
        let sketch = ob.sketch.clone();
        let mut original: Option<usize> = None;
        if let Some(s) = &sketch {
            let mut cands: Vec<usize> = s
                .band_keys()
                .iter()
                .filter_map(|k| self.bands.get(k))
                .flatten()
                .copied()
                .collect();
            cands.sort_unstable();
            cands.dedup();
            let mut best: Option<(usize, f64, f64)> = None;
            for i in cands {
                let e = &self.sketches[i];
                let j = s.jaccard(&e.sketch);
                let ct = s.containment_at(&e.sketch, j);
                let is_copy = j >= d.jaccard || (ct >= d.containment && j >= d.containment_jaccard);
                if is_copy && best.is_none_or(|(_, bj, _)| j > bj) {
                    best = Some((i, j, ct));
                }
            }
            if let Some((i, j, ct)) = best {
                let e = &self.sketches[i];
                original = Some(i);
                out.tag.duplicate = Some(DuplicateMatch {
                    duplicate_of: e.group.clone(),
                    matched: e.article.clone(),
                    jaccard: round3(j),
                    containment: round3(ct),
                });
            }
        }
        // A copy that states no time of its own (undated in a batch; only its arrival
        // in a daemon) reports its original's event: it takes the time of the article
        // it copies, so a republication neither stretches the story to today nor lets
        // today's undated articles match the story through it.
        let time = event_time(ob, || {
            original.and_then(|i| self.copied_time(&self.sketches[i]))
        });
        // Clusters, per matched topic.
        let source = ob.source.clone();
        let language = ob.language.clone();
        let figures = &ob.figures;
        let cs = &settings.clusters;
        let mut my_clusters = Vec::new();
        for topic in ob.topics.iter().map(String::as_str) {
            let keys: Vec<(String, EntityKind)> = ob
                .entities
                .iter()
                .filter(|e| e.headline > 0 || e.body >= cs.key_min_body)
                .filter(|e| !settings.is_background(topic, &e.id))
                .map(|e| (e.id.clone(), e.kind))
                .collect();
            let member = Member {
                article: ob.article_id.clone(),
                keys: keys.clone(),
                figures: figures.iter().map(|(k, (v, _))| (k.clone(), *v)).collect(),
                time,
                source: source.clone(),
                duplicate: out.tag.duplicate.is_some(),
            };
            let key_names: Vec<String> = keys.iter().map(|(k, _)| k.clone()).collect();
            // A copy joins its original's cluster in this topic.
            let via_dup = original.and_then(|i| {
                let e = &self.sketches[i];
                e.clusters
                    .iter()
                    .find(|(t, _)| t == topic)
                    .map(|(_, id)| (id.clone(), e.article.clone()))
            });
            let decision =
                if let Some((id, m)) = via_dup.filter(|(id, _)| self.stories.contains_key(id)) {
                    ClusterDecision {
                        topic: topic.to_string(),
                        id,
                        via: "duplicate".into(),
                        member: Some(m),
                        score: out.tag.duplicate.as_ref().map_or(0.0, |d| d.jaccard),
                        shared: Vec::new(),
                        keys: key_names,
                        hours_apart: None,
                        figures: Vec::new(),
                        rejected: Vec::new(),
                    }
                } else {
                    self.best_cluster(settings, topic, &member, key_names)
                };
            let id = decision.id.clone();
            let story = self.stories.entry(id.clone()).or_insert_with(|| Story {
                id: id.clone(),
                topic: topic.to_string(),
                headline: None,
                headline_language: None,
                articles: 0,
                duplicates: 0,
                sources: BTreeSet::new(),
                languages: BTreeSet::new(),
                first_seen: None,
                last_seen: None,
                figures: BTreeMap::new(),
                members: Vec::new(),
                alerted: false,
                alert: None,
                last_arrival: None,
                version: 0,
            });
            let pos = if story.version == 0 {
                self.order.push(id.clone());
                self.keys.pos.insert(id.clone(), self.order.len() - 1);
                self.order.len() - 1
            } else {
                // every held story is indexed (ensure_keys above); the scan is a fallback
                self.keys
                    .pos
                    .get(&id)
                    .copied()
                    .unwrap_or_else(|| self.order.iter().position(|o| *o == id).unwrap_or(0))
            };
            story.version += 1;
            story.articles += 1;
            if member.duplicate {
                story.duplicates += 1;
            }
            if story.headline.is_none() {
                story.headline = ob.headline.clone();
                story.headline_language = ob.headline.as_ref().map(|_| language.clone());
            }
            if let Some(s) = &source {
                story.sources.insert(s.clone());
            }
            if language != "und" {
                story.languages.insert(language.clone());
            }
            if let Some(t) = ob.arrival {
                story.last_arrival = Some(story.last_arrival.map_or(t, |l| l.max(t)));
            }
            if let Some(t) = time {
                story.first_seen = Some(story.first_seen.map_or(t, |f| f.min(t)));
                story.last_seen = Some(story.last_seen.map_or(t, |l| l.max(t)));
            }
            for (k, (v, text)) in figures {
                if story.figures.get(k).is_none_or(|f| *v > f.value) {
                    story.figures.insert(
                        k.clone(),
                        StoryFigure {
                            value: *v,
                            text: text.clone(),
                            article: ob.article_id.clone(),
                        },
                    );
                }
            }
            self.keys.add(topic, &member.keys, pos);
            story.members.push(member);
            if let Some(alert) = breaking(settings, story, &ob.article_id) {
                story.alerted = true;
                story.alert = Some(alert.clone());
                out.alerts.push(alert);
            }
            // Only the latest members are compared with new articles.
            let excess = story.members.len().saturating_sub(cs.max_members.max(1));
            story.members.drain(..excess);
            out.changed.push(id.clone());
            my_clusters.push((topic.to_string(), id));
            out.tag.clusters.push(decision);
        }
        if let Some(s) = sketch {
            let group = out
                .tag
                .duplicate
                .as_ref()
                .map_or_else(|| ob.article_id.clone(), |d| d.duplicate_of.clone());
            let i = self.sketches.len();
            for k in s.band_keys() {
                push_capped(self.bands.entry(k).or_default(), i);
            }
            self.sketches.push(SketchEntry {
                article: ob.article_id.clone(),
                group,
                sketch: s,
                time: ob.arrival,
                event: time,
                clusters: my_clusters,
            });
        }
        self.seen
            .insert(ob.article_id.clone(), (ob.arrival, out.tag.clone()));
        out
    }

    /// The event time of the article a sketch entry stands for: recorded with it, else
    /// (a state saved before it was) its member's in the first of its stories held.
    fn copied_time(&self, e: &SketchEntry) -> Option<i64> {
        if e.event.is_some() {
            return e.event;
        }
        e.clusters.iter().find_map(|(_, id)| {
            self.stories
                .get(id)?
                .members
                .iter()
                .find(|m| m.article == e.article)?
                .time
        })
    }

    fn best_cluster(
        &self,
        settings: &StorySettings,
        topic: &str,
        m: &Member,
        keys: Vec<String>,
    ) -> ClusterDecision {
        let cs = &settings.clusters;
        let w = |k: EntityKind| cs.weights.of(k);
        let my_weight: f64 = m.keys.iter().map(|(_, k)| w(*k)).sum();
        let mut best: Option<ClusterDecision> = None;
        let mut rejected: Vec<(f64, String)> = Vec::new();
        let mut cands: Vec<usize> = m
            .keys
            .iter()
            .filter_map(|(k, _)| self.keys.by_key.get(&(topic.to_string(), k.clone())))
            .flatten()
            .copied()
            .collect();
        cands.sort_unstable();
        cands.dedup();
        let candidates = cands
            .into_iter()
            .filter_map(|p| self.stories.get(&self.order[p]))
            .filter(|s| s.topic == topic);
        for story in candidates {
            for other in &story.members {
                let shared: Vec<&(String, EntityKind)> = m
                    .keys
                    .iter()
                    .filter(|(id, _)| other.keys.iter().any(|(o, _)| o == id))
                    .collect();
                if shared.is_empty() {
                    continue;
                }
                let other_weight: f64 = other.keys.iter().map(|(_, k)| w(*k)).sum();
                let shared_weight: f64 = shared.iter().map(|(_, k)| w(*k)).sum();
                let score = round3(shared_weight / my_weight.min(other_weight).max(f64::EPSILON));
                let names: Vec<String> = shared.iter().map(|(id, _)| id.clone()).collect();
                let hours = match (m.time, other.time) {
                    (Some(a), Some(b)) => Some(round3((a - b).abs() as f64 / 3600.0)),
                    _ => None,
                };
                let mut figs = Vec::new();
                let mut figure_clash = None;
                for (k, v) in &m.figures {
                    if let Some(o) = other.figures.get(k) {
                        let (lo, hi) = ((*v).min(*o).max(1) as f64, (*v).max(*o) as f64);
                        figs.push(format!("{k} {o}~{v}"));
                        if hi / lo > cs.figure_ratio {
                            figure_clash = Some(format!("{k} {o} vs {v}"));
                        }
                    }
                }
                let reason = if shared.len() < cs.min_shared {
                    Some(format!("shares only {}", names.join(",")))
                } else if shared_weight < cs.min_shared_weight {
                    Some(format!(
                        "shared weight {} below {} ({})",
                        round3(shared_weight),
                        cs.min_shared_weight,
                        names.join(",")
                    ))
                } else if score < cs.threshold {
                    Some(format!("overlap {score} below {}", cs.threshold))
                } else if m.time.is_none() || other.time.is_none() {
                    Some("no time stated: an event needs a date".to_string())
                } else if hours.is_some_and(|h| h > settings.window_hours as f64) {
                    Some(format!("{} h apart", hours.unwrap_or(0.0)))
                } else {
                    figure_clash.map(|f| format!("figures differ: {f}"))
                };
                if let Some(r) = reason {
                    rejected.push((score, format!("{} ({}): {r}", story.id, other.article)));
                    continue;
                }
                if best.as_ref().is_none_or(|b| score > b.score) {
                    best = Some(ClusterDecision {
                        topic: topic.to_string(),
                        id: story.id.clone(),
                        via: "entities".into(),
                        member: Some(other.article.clone()),
                        score,
                        shared: names,
                        keys: keys.clone(),
                        hours_apart: hours,
                        figures: figs,
                        rejected: Vec::new(),
                    });
                }
            }
        }
        // Stable order: best score first, then the first seen.
        rejected.sort_by(|a, b| b.0.total_cmp(&a.0));
        let rejected: Vec<String> = rejected.into_iter().take(3).map(|(_, r)| r).collect();
        match best {
            Some(mut d) => {
                d.rejected = rejected;
                d
            }
            None => ClusterDecision {
                topic: topic.to_string(),
                id: cluster_id(topic, &m.article),
                via: "new".into(),
                member: None,
                score: 0.0,
                shared: Vec::new(),
                keys,
                hours_apart: None,
                figures: Vec::new(),
                rejected,
            },
        }
    }
}

/// Most articles a band remembers (its latest): a text shared by thousands of
/// articles is still found through its latest copies, and a copy costs at most this
/// many comparisons per band, not one per article in the window.
pub const BAND_CAP: usize = 64;

fn push_capped(list: &mut Vec<usize>, i: usize) {
    list.push(i);
    if list.len() > BAND_CAP {
        list.remove(0);
    }
}

/// An article's event time: the time it states, else (a copy) the event time of the
/// article it copies, else its arrival.
pub fn event_time(ob: &Observation, copied: impl FnOnce() -> Option<i64>) -> Option<i64> {
    let stated = ob.time.is_some() && ob.time != ob.arrival;
    if stated {
        ob.time
    } else {
        copied().or(ob.time)
    }
}

/// The id of a cluster started by `article` in `topic`.
pub fn cluster_id(topic: &str, article: &str) -> String {
    let h = blake3::hash(format!("{topic}\n{article}").as_bytes()).to_hex();
    format!("{topic}-{}", &h[..12])
}

/// The alert a story raises now, if it just crossed the thresholds.
fn breaking(settings: &StorySettings, story: &Story, article: &str) -> Option<Alert> {
    let al = &settings.alerts;
    if story.alerted {
        return None;
    }
    let latest = story.members.iter().filter_map(|m| m.time).max();
    let since = latest.map(|l| l - al.within_minutes as i64 * 60);
    let recent: Vec<&Member> = story
        .members
        .iter()
        .filter(|m| match (since, m.time) {
            (Some(s), Some(t)) => t >= s,
            (Some(_), None) => false,
            (None, _) => true,
        })
        .collect();
    let sources: BTreeSet<&str> = recent.iter().filter_map(|m| m.source.as_deref()).collect();
    (recent.len() as u32 >= al.articles && sources.len() as u32 >= al.sources).then(|| Alert {
        topic: story.topic.clone(),
        story: story.id.clone(),
        article: article.to_string(),
        headline: story.headline.clone(),
        articles: recent.len() as u32,
        sources: sources.len() as u32,
        within_minutes: al.within_minutes,
    })
}

/// The extension object's story fields: `duplicate_of`, `cluster` (the first topic's
/// id), `clusters` (every decision, with its explanation) and `duplicate` (the match).
pub fn extension_fields(tag: &StoryTag) -> serde_json::Value {
    serde_json::json!({
        "duplicate_of": tag.duplicate_of(),
        "duplicate": tag.duplicate,
        "cluster": tag.clusters.first().map(|c| &c.id),
        "clusters": tag.clusters,
    })
}

/// Add the story fields to a ninjs document's extension object (see
/// [`crate::ninjs::extension`]); a document without one is left alone.
pub fn annotate(doc: &mut serde_json::Value, tag: &StoryTag) {
    let Some(descs) = doc.get_mut("descriptions").and_then(|d| d.as_array_mut()) else {
        return;
    };
    for d in descs {
        if d.get("role").and_then(|r| r.as_str()) != Some(crate::ninjs::EXTENSION_ROLE) {
            continue;
        }
        let Some(mut ext) = d
            .get("value")
            .and_then(|v| v.as_str())
            .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        else {
            continue;
        };
        if let (Some(obj), serde_json::Value::Object(add)) =
            (ext.as_object_mut(), extension_fields(tag))
        {
            obj.extend(add);
        }
        d["value"] = serde_json::Value::String(ext.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_settings_parse() {
        let s = StorySettings::builtin();
        assert_eq!(s.window_hours, 72);
        assert!(s.is_background("ukraine_war", "ukraine"));
        assert!(s.is_background("kazakhstan_unrest", "united_nations"));
        assert!(!s.is_background("kazakhstan_unrest", "aktobe"));
        assert!(s.is_background("kazakhstan_unrest", "almaty"));
    }

    #[test]
    fn bad_settings_report_the_line() {
        let e = StorySettings::parse("x.toml", "window_hours = 1\nbogus = 2\n").unwrap_err();
        assert!(e.to_string().contains("x.toml:2"), "{e}");
    }

    #[test]
    fn a_member_cap_below_the_alert_count_is_refused_at_its_line() {
        let text = "# articles, max_members\n[clusters]\nmax_members = 3\n[alerts]\narticles = 5\n";
        let e = StorySettings::parse("x.toml", text).unwrap_err();
        assert!(e.to_string().contains("x.toml:3"), "{e}");
        assert!(e.to_string().contains("max_members = 3"), "{e}");
        let e = StorySettings::parse("y.toml", "[alerts]\narticles = 100\n").unwrap_err();
        assert!(e.to_string().contains("y.toml:2"), "{e}");
        assert!(StorySettings::parse("z.toml", "[clusters]\nmax_members = 5\n").is_ok());
    }

    fn ob(id: &str, text: &str, arrival: Option<i64>) -> Observation {
        let st = StorySettings::builtin();
        Observation {
            article_id: id.into(),
            time: arrival,
            arrival,
            headline: None,
            language: "en".into(),
            source: None,
            topics: vec!["t".into()],
            entities: Vec::new(),
            figures: BTreeMap::new(),
            sketch: Sketch::of(
                text,
                st.duplicates.shingle_words,
                st.duplicates.min_shingles,
            ),
        }
    }

    /// `o` naming two people in its headline and twice in its body.
    fn people(o: Observation) -> Observation {
        Observation {
            entities: ["ada_lovelace", "alan_turing"]
                .iter()
                .map(|e| ObservedEntity {
                    id: e.to_string(),
                    kind: EntityKind::Person,
                    headline: 1,
                    body: 2,
                })
                .collect(),
            ..o
        }
    }

    const TEXT: &str = "the river rose overnight and the town council closed the old bridge to all traffic until engineers inspect it";

    #[test]
    fn copies_expire_with_the_window_by_arrival() {
        let st = StorySettings::builtin();
        let w = st.window_hours as i64 * 3600;
        let mut s = StoryState::new();
        assert!(s
            .apply(&st, &ob("a", TEXT, Some(0)))
            .tag
            .duplicate
            .is_none());
        let b = s.apply(&st, &ob("b", TEXT, Some(w - 1)));
        assert_eq!(b.tag.duplicate_of(), Some("a"));
        assert_eq!(b.tag.clusters[0].via, "duplicate");
        // Nothing arrived for longer than the window: forgotten.
        let c = s.apply(&st, &ob("c", TEXT, Some(2 * w + 1)));
        assert!(c.tag.duplicate.is_none());
        assert_eq!(s.stories().count(), 1);
        // A batch (no clock) forgets nothing.
        let mut s = StoryState::new();
        s.apply(&st, &ob("a", TEXT, None));
        assert_eq!(
            s.apply(&st, &ob("b", TEXT, None)).tag.duplicate_of(),
            Some("a")
        );
    }

    #[test]
    fn a_saved_state_continues_like_the_live_one_and_replays_count_once() {
        let st = StorySettings::builtin();
        let obs: Vec<Observation> = (0..6)
            .map(|i| ob(&format!("a{i}"), if i % 2 == 0 { TEXT } else { "a quite different text about the weather in the hills and the farmers who wait for rain" }, Some(i * 60)))
            .collect();
        let mut live = StoryState::new();
        for o in &obs {
            live.apply(&st, o);
        }
        let mut first = StoryState::new();
        for o in &obs[..3] {
            first.apply(&st, o);
        }
        let mut resumed: StoryState =
            serde_json::from_str(&serde_json::to_string(&first).unwrap()).unwrap();
        for o in &obs {
            resumed.apply(&st, o); // the first three again: not counted twice
        }
        let rows = |s: &StoryState| s.stories().map(Story::summary).collect::<Vec<_>>();
        assert_eq!(rows(&resumed), rows(&live));
    }

    #[test]
    fn a_repeated_article_gives_the_same_update_with_its_alert_again() {
        let mut st = StorySettings::builtin();
        st.alerts.articles = 2;
        st.alerts.sources = 1;
        let mut s = StoryState::new();
        let with_source = |id: &str, t: i64| Observation {
            source: Some(format!("site-{id}")),
            ..ob(id, TEXT, Some(t))
        };
        let first = s.update(&st, &with_source("a", 0));
        assert!(first.alerts.is_empty());
        assert_eq!(first.stories.len(), 1);
        let second = s.update(&st, &with_source("b", 60));
        assert_eq!(second.alerts.len(), 1, "{second:?}");
        assert_eq!(second.alerts[0].article, "b");
        assert_eq!(second.stories[0].articles, 2);
        // Redelivered (a crash before its outputs): same tag, same story, same alert.
        let again = s.update(&st, &with_source("b", 60));
        assert_eq!(again, second);
        // The first article again: its story as it is now, and no alert (not its own).
        let a = s.update(&st, &with_source("a", 0));
        assert!(a.alerts.is_empty());
        assert_eq!(a.stories[0].articles, 2);
    }

    /// Past `BAND_CAP` copies of one text, a new copy still finds the group (through
    /// the latest copies) and names its first article.
    #[test]
    fn a_text_copied_past_the_band_cap_still_names_its_first_article() {
        let st = StorySettings::builtin();
        let mut s = StoryState::new();
        for i in 0..(BAND_CAP as i64 * 2) {
            let o = s.apply(&st, &ob(&format!("c{i}"), TEXT, Some(i * 60)));
            if i > 0 {
                assert_eq!(o.tag.duplicate_of(), Some("c0"), "copy {i}");
            }
        }
        assert!(s.bands.values().all(|l| l.len() <= BAND_CAP));
    }

    /// A story keeps its latest `max_members` members to match with, counts every
    /// article, and a copy of a member it no longer holds still takes that member's
    /// time and joins the story.
    #[test]
    fn a_story_holds_its_latest_members_and_counts_them_all() {
        let mut st = StorySettings::builtin();
        st.clusters.max_members = 4;
        let t0 = 1_000_000;
        let mut s = StoryState::new();
        // the first report states an earlier time than its arrival
        let first = Observation {
            time: Some(t0 - 3600),
            ..ob("a0", TEXT, Some(t0))
        };
        let id = s.apply(&st, &people(first)).tag.clusters[0].id.clone();
        for i in 1..10 {
            let text = format!("report number {i} on the meeting of the two of them in town with its own words and details {i}");
            let o = s.apply(&st, &people(ob(&format!("a{i}"), &text, Some(t0 + i * 60))));
            assert_eq!(o.tag.clusters[0].id, id, "{:?}", o.tag.clusters[0]);
        }
        let story = s.story(&id).unwrap();
        assert_eq!(story.articles, 10);
        let held: Vec<&str> = story.members.iter().map(|m| m.article.as_str()).collect();
        assert_eq!(held, ["a6", "a7", "a8", "a9"]);
        assert_eq!(story.summary()["article_ids"], serde_json::json!(held));
        // an undated copy of the first report, no longer held as a member
        let copy = s.apply(&st, &people(ob("c", TEXT, Some(t0 + 900))));
        assert_eq!(copy.tag.duplicate_of(), Some("a0"));
        assert_eq!(copy.tag.clusters[0].id, id);
        let story = s.story(&id).unwrap();
        assert_eq!(story.members.last().unwrap().time, Some(t0 - 3600));
        assert_eq!((story.articles, story.members.len()), (11, 4));
    }

    #[test]
    fn an_undated_copy_takes_its_originals_time_and_lets_no_later_article_in() {
        let st = StorySettings::builtin();
        let (then, now) = (1_000_000, 1_000_000 + 30 * 24 * 3600);
        let mut s = StoryState::new();
        // the original states its time; it arrives today
        let a = Observation {
            time: Some(then),
            ..ob("a", TEXT, Some(now))
        };
        s.apply(&st, &people(a));
        // a republished copy that states no time (its time is its arrival)
        let b = s.apply(&st, &people(ob("b", TEXT, Some(now + 10))));
        assert_eq!(b.tag.duplicate_of(), Some("a"));
        let story = s.story(&b.tag.clusters[0].id).unwrap();
        assert_eq!(story.members[1].time, Some(then), "{story:?}");
        assert_eq!(story.last_seen, Some(then));
        // today's undated report with the same people is another event
        let other = "a different report on what the two of them said at a meeting in town today about the weather";
        let c = s.apply(&st, &people(ob("c", other, Some(now + 60))));
        assert!(c.tag.duplicate.is_none());
        assert_eq!(c.tag.clusters[0].via, "new", "{:?}", c.tag.clusters[0]);
    }

    #[test]
    fn cluster_ids_are_stable() {
        assert_eq!(cluster_id("t", "a"), cluster_id("t", "a"));
        assert_ne!(cluster_id("t", "a"), cluster_id("t", "b"));
    }
}
