//! Engine helpers for a story window shared between workers (the JetStream KV store,
//! `crate::daemon::story_kv`): the records a shared store keeps, and the decisions
//! taken on a *partial* [`StoryState`] built from the few records an article can
//! meet, with the engine's own [`StoryState::apply`], so a shared store decides
//! exactly what the in-memory state decides.
//!
//! An article is decided in two steps, each on its own partial state:
//!
//! 1. [`decide_duplicate`]: the sketches of the articles that share an LSH band with
//!    it (in the order they were first recorded) → its [`DuplicateMatch`], if any;
//! 2. [`decide_topic`], once per matched topic: the topic's stories that share a key
//!    entity with it (in creation order) and the one article it copies, if any → its
//!    [`ClusterDecision`] and the new value of the story it joined or started.
//!
//! Per-topic decisions are independent in the engine (a story belongs to one topic,
//! and candidates are filtered by topic), so deciding the topics one by one, each
//! against the state of that topic only, gives the engine's decisions; the duplicate
//! match is pinned by giving step 2 only the matched article's sketch.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::sketch::Sketch;
use super::{
    ClusterDecision, DuplicateMatch, Observation, SketchEntry, Story, StorySettings, StoryState,
};

/// What a shared store keeps of an article for duplicate detection: the engine's
/// sketch entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SketchRecord {
    pub article: String,
    /// The first article of its duplicate group.
    pub group: String,
    pub sketch: Sketch,
    /// Arrival time (expiry).
    pub time: Option<i64>,
    /// Event time (what a copy of it takes when it states none).
    #[serde(default)]
    pub event: Option<i64>,
    /// Its stories, per topic: `(topic, story id)`.
    pub clusters: Vec<(String, String)>,
}

impl From<SketchRecord> for SketchEntry {
    fn from(r: SketchRecord) -> SketchEntry {
        SketchEntry {
            article: r.article,
            group: r.group,
            sketch: r.sketch,
            time: r.time,
            event: r.event,
            clusters: r.clusters,
        }
    }
}

/// The story window, as a duration (what a shared store's entries live for).
pub fn window(settings: &StorySettings) -> Duration {
    Duration::from_secs(settings.window_secs().max(1) as u64)
}

/// The key entities of an observation in a topic (the ids a story index is keyed by),
/// the engine's rule: named in the headline or `key_min_body` times in the body,
/// outside the topic's background.
pub fn key_entities(settings: &StorySettings, ob: &Observation, topic: &str) -> Vec<String> {
    let cs = &settings.clusters;
    let mut keys: Vec<String> = ob
        .entities
        .iter()
        .filter(|e| e.headline > 0 || e.body >= cs.key_min_body)
        .filter(|e| !settings.is_background(topic, &e.id))
        .map(|e| e.id.clone())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// A state holding only the given copies (in recording order) and stories (in
/// creation order), with the clock at `now`.
fn partial(
    now: Option<i64>,
    copies: impl IntoIterator<Item = SketchRecord>,
    stories: impl IntoIterator<Item = Story>,
) -> StoryState {
    let mut s = StoryState {
        now,
        sketches: copies.into_iter().map(SketchEntry::from).collect(),
        ..StoryState::default()
    };
    for story in stories {
        s.upsert(story);
    }
    s.rebuild_bands();
    s
}

/// The article's duplicate match among `candidates` (the articles sharing a band with
/// it, oldest first), as the engine decides it.
pub fn decide_duplicate(
    settings: &StorySettings,
    now: Option<i64>,
    ob: &Observation,
    candidates: Vec<SketchRecord>,
) -> Option<DuplicateMatch> {
    let mut state = partial(now, candidates, []);
    let alone = Observation {
        topics: Vec::new(),
        ..ob.clone()
    };
    state.apply(settings, &alone).tag.duplicate
}

/// The article's decision in `topic` and the new value of the story it changed, as
/// the engine decides it: `stories` are the topic's stories the article can meet
/// (creation order), `original` the article it copies (its decided
/// [`DuplicateMatch::matched`]), `now` the latest arrival seen.
pub fn decide_topic(
    settings: &StorySettings,
    now: Option<i64>,
    ob: &Observation,
    topic: &str,
    original: Option<SketchRecord>,
    stories: Vec<Story>,
) -> (ClusterDecision, Story) {
    let mut state = partial(now, original, stories);
    let one = Observation {
        topics: vec![topic.to_string()],
        ..ob.clone()
    };
    let mut observed = state.apply(settings, &one);
    let decision = observed
        .tag
        .clusters
        .pop()
        .expect("one topic gives one decision");
    let story = state
        .stories
        .remove(&decision.id)
        .expect("the decided story is in the state");
    (decision, story)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stories::ObservedEntity;
    use crate::model::EntityKind;
    use std::collections::BTreeMap;

    const TEXT: &str = "the river rose overnight and the town council closed the old bridge to all traffic until engineers inspect it";

    fn ob(id: &str, t: i64, topics: &[&str]) -> Observation {
        let st = StorySettings::builtin();
        Observation {
            article_id: id.into(),
            time: Some(t),
            arrival: Some(t),
            headline: Some(format!("headline {id}")),
            language: "en".into(),
            source: Some(format!("site-{id}")),
            topics: topics.iter().map(|s| s.to_string()).collect(),
            entities: ["flood_town", "mayor_x"]
                .iter()
                .map(|e| ObservedEntity {
                    id: e.to_string(),
                    kind: EntityKind::Person,
                    headline: 1,
                    body: 0,
                })
                .collect(),
            figures: BTreeMap::new(),
            sketch: Sketch::of(
                TEXT,
                st.duplicates.shingle_words,
                st.duplicates.min_shingles,
            ),
        }
    }

    /// Deciding topic by topic from partial states gives the full state's update.
    #[test]
    fn partial_decisions_equal_the_full_states() {
        let st = StorySettings::builtin();
        let mut full = StoryState::new();
        let a = ob("a", 0, &["t1", "t2"]);
        let b = ob("b", 60, &["t1", "t2"]);
        let ua = full.update(&st, &a);
        let ub = full.update(&st, &b);

        // a: no candidates at all.
        assert_eq!(decide_duplicate(&st, None, &a, Vec::new()), None);
        let (da1, sa1) = decide_topic(&st, None, &a, "t1", None, Vec::new());
        let (da2, sa2) = decide_topic(&st, None, &a, "t2", None, Vec::new());
        assert_eq!(vec![da1.clone(), da2.clone()], ua.tag.clusters);
        assert_eq!(vec![sa1.clone(), sa2.clone()], ua.stories);

        // b: a's sketch and a's stories.
        let rec = SketchRecord {
            article: "a".into(),
            group: "a".into(),
            sketch: a.sketch.clone().unwrap(),
            time: a.arrival,
            event: a.time,
            clusters: vec![("t1".into(), da1.id.clone()), ("t2".into(), da2.id.clone())],
        };
        let dup = decide_duplicate(&st, a.arrival, &b, vec![rec.clone()]);
        assert_eq!(dup, ub.tag.duplicate);
        let (db1, sb1) = decide_topic(&st, a.arrival, &b, "t1", Some(rec.clone()), vec![sa1]);
        let (db2, sb2) = decide_topic(&st, a.arrival, &b, "t2", Some(rec), vec![sa2]);
        assert_eq!(vec![db1, db2], ub.tag.clusters);
        assert_eq!(vec![sb1.clone(), sb2], ub.stories);
        assert!(sb1.members.iter().any(|m| m.article == "b"));
        assert_eq!(key_entities(&st, &a, "t1"), vec!["flood_town", "mayor_x"]);
    }
}
