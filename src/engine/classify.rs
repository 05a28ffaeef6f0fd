//! Topic classification: weighted term groups from `topics/*.toml`, with required
//! co-occurrence, exclusions and a threshold. Every decision carries its explanation.
//!
//! A topic file (see `docs/topics.md`):
//!
//! ```toml
//! id = "ukraine_war"
//! label = "Ukraine war"
//! media_topics = ["http://cv.iptc.org/newscodes/mediatopic/20000062"]
//! threshold = 8.0
//! headline_weight = 3.0     # one headline hit counts as this many body hits
//! lead_weight = 2.0         # hits in the first paragraph count this much
//! body_cap = 6              # a term's body hits saturate here
//!
//! [[require]]               # every [[require]] must hold
//! groups = ["anchor"]       # hits in any of these groups …
//! min_sentences = 2         # … in the headline or in at least this many sentences
//! min_share = 0.1           # … and in at least this share of all sentences
//!
//! [[exclude]]               # any [[exclude]] that holds vetoes the topic
//! group = "sport"
//! min_hits = 2
//! # unless_group = "war"    # … unless this group has unless_min_hits hits,
//! # unless_more = true      # … or at least as many hits as `group`
//!
//! [groups.anchor]
//! weight = 1.0
//! # near = "other"         # count only within near_window sentences of a hit of group other
//! terms.en = ["ukraine", "kyiv"]
//! terms.ar = ["أوكرانيا"]
//! ```
//!
//! Scoring: score = Σ groups weight × Σ terms (headline_weight × headline hits +
//! min(body hits, body_cap) + (lead_weight − 1) × min(lead hits, body_cap)).
//! Negative weights are counter-evidence; weight 0 makes a helper group for `near`,
//! `[[require]]` and `[[exclude]]`. A story without a headline lets its first sentence
//! play the headline's part for `near` and `[[require]]` (not for the weights).

use crate::engine::chars::CharClass;
use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use toml::Spanned;

use crate::data::DataFile;
use crate::engine::entities::Gazetteer;
use crate::engine::language::Languages;
use crate::engine::terms::{Occurrence, TermSet};
use crate::error::DataError;
use crate::model::{TaggedArticle, TermHit, TopicDecision};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicFile {
    id: Spanned<String>,
    label: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    media_topics: Vec<Spanned<String>>,
    threshold: Spanned<f64>,
    #[serde(default)]
    headline_weight: Option<Spanned<f64>>,
    #[serde(default)]
    lead_weight: Option<Spanned<f64>>,
    #[serde(default)]
    body_cap: Option<Spanned<u32>>,
    #[serde(default)]
    require: Vec<Spanned<RequireFile>>,
    #[serde(default)]
    exclude: Vec<Spanned<ExcludeFile>>,
    #[serde(default)]
    groups: BTreeMap<Spanned<String>, Spanned<GroupFile>>,
}

const DEFAULT_HEADLINE_WEIGHT: f64 = 3.0;
const DEFAULT_LEAD_WEIGHT: f64 = 1.0;
const DEFAULT_BODY_CAP: u32 = 6;
fn one_u32() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequireFile {
    groups: Vec<Spanned<String>>,
    #[serde(default = "one_u32")]
    min_hits: u32,
    #[serde(default = "one_u32")]
    min_sentences: u32,
    #[serde(default)]
    min_share: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExcludeFile {
    group: Spanned<String>,
    #[serde(default = "one_u32")]
    min_hits: u32,
    /// Only veto when the group outweighs this many hits of the named groups.
    #[serde(default)]
    unless_group: Option<Spanned<String>>,
    #[serde(default)]
    unless_min_hits: u32,
    /// Also keep the topic when the named group has at least as many hits as the
    /// excluding group (the other subject does not dominate).
    #[serde(default)]
    unless_more: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupFile {
    weight: Spanned<f64>,
    #[serde(default)]
    near: Option<Spanned<String>>,
    #[serde(default = "one_u32")]
    near_window: u32,
    #[serde(default)]
    terms: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    /// Gazetteer entities that count as terms of the group, in every language.
    #[serde(default)]
    entities: Vec<Spanned<String>>,
    /// Gazetteer entities together with every entity `within` them (a country, its
    /// regions, cities, officials and bodies).
    #[serde(default)]
    entities_within: Vec<Spanned<String>>,
}

/// A compiled topic.
#[derive(Debug, Clone)]
pub struct Topic {
    pub id: String,
    pub label: String,
    pub description: String,
    pub media_topics: Vec<String>,
    pub threshold: f64,
    pub headline_weight: f64,
    pub lead_weight: f64,
    pub body_cap: u32,
    pub groups: Vec<Group>,
    requires: Vec<Require>,
    excludes: Vec<Exclude>,
    /// Data file it came from.
    pub source: String,
    /// Byte offset of the id in that file.
    id_at: usize,
}

/// A weighted term group of a topic.
#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub weight: f64,
    /// Hits count only within `near_window` sentences of a hit of this group
    /// (or anywhere when the headline has one).
    pub near: Option<usize>,
    pub near_window: u32,
    /// (language, term) in file order; entity anchors follow as (`*`, `@<id>`).
    pub terms: Vec<(String, String)>,
    /// Gazetteer entity index of each anchor term, in the order they follow `terms`.
    entity_terms: Vec<u32>,
    /// Byte offset in the topic file of each listed term (for error positions).
    term_spans: Vec<usize>,
}

#[derive(Debug, Clone)]
struct Require {
    groups: Vec<usize>,
    min_hits: u32,
    min_sentences: u32,
    min_share: f64,
}

#[derive(Debug, Clone)]
struct Exclude {
    group: usize,
    min_hits: u32,
    unless: Option<(usize, u32)>,
    unless_more: bool,
}

/// Where each pattern of the shared term set belongs.
#[derive(Debug, Clone, Copy)]
struct Slot {
    topic: usize,
    group: usize,
    term: usize,
}

/// All topics, compiled into one term automaton.
#[derive(Debug, Clone)]
pub struct Topics {
    topics: Vec<Topic>,
    terms: TermSet,
    slots: Vec<Slot>,
    /// Entity id → the slots it anchors (indexes into `slots`, after the term slots).
    entity_slots: BTreeMap<String, Vec<usize>>,
}

fn is_lang_code(s: &str) -> bool {
    (s.len() == 2 || s.len() == 3) && s.chars().all(|c| c.is_ascii_lowercase())
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Topic {
    fn compile(
        file: &DataFile,
        gazetteer: &Gazetteer,
        languages: &Languages,
        errors: &mut Vec<DataError>,
    ) -> Option<Topic> {
        let raw: TopicFile = match file.parse() {
            Ok(raw) => raw,
            Err(e) => {
                errors.push(e);
                return None;
            }
        };
        let before = errors.len();
        let err = |at: usize, msg: String| DataError::at(file, at, msg);
        let id = raw.id.get_ref();
        if !is_id(id) {
            errors.push(err(
                raw.id.span().start,
                format!("topic id {id:?} must be [a-z0-9_]+"),
            ));
        }
        let threshold = *raw.threshold.get_ref();
        if threshold.is_nan() || threshold <= 0.0 {
            errors.push(err(
                raw.threshold.span().start,
                "threshold must be > 0".into(),
            ));
        }
        let value =
            |v: &Option<Spanned<f64>>, default: f64| v.as_ref().map_or(default, |v| *v.get_ref());
        let headline_weight = value(&raw.headline_weight, DEFAULT_HEADLINE_WEIGHT);
        let lead_weight = value(&raw.lead_weight, DEFAULT_LEAD_WEIGHT);
        for (v, key) in [
            (&raw.headline_weight, "headline_weight"),
            (&raw.lead_weight, "lead_weight"),
        ] {
            if let Some(v) = v {
                if v.get_ref().is_nan() || *v.get_ref() < 0.0 {
                    errors.push(err(v.span().start, format!("{key} must be >= 0")));
                }
            }
        }
        let body_cap = raw
            .body_cap
            .as_ref()
            .map_or(DEFAULT_BODY_CAP, |v| *v.get_ref());
        if let Some(v) = raw.body_cap.as_ref().filter(|v| *v.get_ref() == 0) {
            errors.push(err(v.span().start, "body_cap must be >= 1".into()));
        }
        for uri in &raw.media_topics {
            let u = uri.get_ref();
            if !u.starts_with("http://") && !u.starts_with("https://") {
                errors.push(err(
                    uri.span().start,
                    format!("media topic {u:?} is not an http(s) URI"),
                ));
            }
        }
        if raw.groups.is_empty() {
            errors.push(err(0, "a topic needs at least one [groups.<name>]".into()));
        }
        let names: Vec<&str> = raw.groups.keys().map(|k| k.get_ref().as_str()).collect();
        let index = |g: &str| names.iter().position(|n| *n == g);
        let mut groups = Vec::new();
        for (key, g) in &raw.groups {
            let name = key.get_ref();
            let group_at = key.span().start;
            let g = g.get_ref();
            if !g.weight.get_ref().is_finite() {
                errors.push(err(
                    g.weight.span().start,
                    format!("group {name}: weight must be a number"),
                ));
            }
            let mut terms = Vec::new();
            let mut term_spans = Vec::new();
            for (lang_key, list) in &g.terms {
                let lang = lang_key.get_ref();
                if !is_lang_code(lang) {
                    errors.push(err(
                        lang_key.span().start,
                        format!("group {name}: {lang:?} is not an ISO 639 language code"),
                    ));
                } else if languages.get(lang).is_none() {
                    errors.push(err(
                        lang_key.span().start,
                        format!(
                            "group {name}: no language model for {lang:?} (add data/languages/{lang}.toml)"
                        ),
                    ));
                }
                for t in list {
                    terms.push((lang.clone(), t.get_ref().clone()));
                    term_spans.push(t.span().start);
                }
            }
            let mut entity_terms: Vec<u32> = Vec::new();
            let anchors = g
                .entities
                .iter()
                .map(|e| (e, false))
                .chain(g.entities_within.iter().map(|e| (e, true)));
            for (id, with_members) in anchors {
                match gazetteer.entity_index(id.get_ref()) {
                    Some(i) if with_members => entity_terms.extend(gazetteer.with_members(i)),
                    Some(i) => entity_terms.push(i),
                    None => errors.push(err(
                        id.span().start,
                        format!("group {name}: unknown gazetteer entity {:?}", id.get_ref()),
                    )),
                }
            }
            let mut seen = BTreeSet::new();
            entity_terms.retain(|e| seen.insert(*e));
            for &e in &entity_terms {
                terms.push(("*".to_string(), format!("@{}", gazetteer.entity_id(e))));
            }
            if terms.is_empty() {
                errors.push(err(
                    group_at,
                    format!("group {name} has no terms or entities"),
                ));
            }
            let near = match &g.near {
                Some(n) => match index(n.get_ref()) {
                    Some(i) if n.get_ref() != name => Some(i),
                    _ => {
                        errors.push(err(
                            n.span().start,
                            format!(
                                "group {name}: near names unknown or same group {:?}",
                                n.get_ref()
                            ),
                        ));
                        None
                    }
                },
                None => None,
            };
            groups.push(Group {
                name: name.clone(),
                weight: *g.weight.get_ref(),
                near,
                near_window: g.near_window,
                terms,
                entity_terms,
                term_spans,
            });
        }
        let mut requires = Vec::new();
        for r in &raw.require {
            let at = r.span().start;
            let r = r.get_ref();
            let mut ids = Vec::new();
            for g in &r.groups {
                match index(g.get_ref()) {
                    Some(i) => ids.push(i),
                    None => errors.push(err(
                        g.span().start,
                        format!("require names unknown group {:?}", g.get_ref()),
                    )),
                }
            }
            if r.groups.is_empty() {
                errors.push(err(at, "require needs at least one group".into()));
            }
            let min_share = r.min_share.as_ref().map_or(0.0, |m| *m.get_ref());
            if let Some(m) = r
                .min_share
                .as_ref()
                .filter(|_| !(0.0..=1.0).contains(&min_share))
            {
                errors.push(err(
                    m.span().start,
                    "min_share must be between 0 and 1".into(),
                ));
            }
            requires.push(Require {
                groups: ids,
                min_hits: r.min_hits,
                min_sentences: r.min_sentences,
                min_share,
            });
        }
        let mut excludes = Vec::new();
        for x in &raw.exclude {
            let x = x.get_ref();
            let group = index(x.group.get_ref());
            if group.is_none() {
                errors.push(err(
                    x.group.span().start,
                    format!("exclude names unknown group {:?}", x.group.get_ref()),
                ));
            }
            let unless = match &x.unless_group {
                Some(u) => match index(u.get_ref()) {
                    Some(i) => Some((i, x.unless_min_hits.max(1))),
                    None => {
                        errors.push(err(
                            u.span().start,
                            format!("exclude names unknown group {:?}", u.get_ref()),
                        ));
                        None
                    }
                },
                None => None,
            };
            let unless_more = x.unless_more.as_ref().is_some_and(|u| *u.get_ref());
            if let Some(u) = x
                .unless_more
                .as_ref()
                .filter(|_| unless_more && x.unless_group.is_none())
            {
                errors.push(err(
                    u.span().start,
                    "unless_more needs an unless_group to compare with".into(),
                ));
            }
            if let Some(group) = group {
                excludes.push(Exclude {
                    group,
                    min_hits: x.min_hits.max(1),
                    unless,
                    unless_more,
                });
            }
        }
        if errors.len() > before {
            return None;
        }
        Some(Topic {
            id_at: raw.id.span().start,
            id: raw.id.into_inner(),
            label: raw.label,
            description: raw.description,
            media_topics: raw
                .media_topics
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            threshold,
            headline_weight,
            lead_weight,
            body_cap,
            groups,
            requires,
            excludes,
            source: file.name.clone(),
        })
    }
}

/// Per-term counts for one article.
#[derive(Debug, Clone, Default)]
struct Count {
    headline: u32,
    body: u32,
    lead: u32,
    sentences: BTreeSet<usize>,
}

/// One body occurrence, located.
#[derive(Debug, Clone, Copy)]
struct Located {
    slot: Slot,
    sentence: usize,
    lead: bool,
}

/// Byte offsets where sentences end in the folded body: sentence punctuation
/// followed by whitespace, or a line break. A break that would close an empty
/// sentence (the blank line between paragraphs, "?!" runs) is dropped, so that
/// paragraph spacing neither inflates the sentence count behind `min_share` nor
/// pushes neighbouring sentences apart for `near_window`.
fn sentence_breaks(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut out: Vec<usize> = Vec::new();
    let mut last = 0;
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        let next_is_space = bytes.get(end).is_none_or(|b| b.is_ascii_whitespace());
        let brk = match c {
            '\n' => i,
            '.' | '!' | '?' | '؟' | '…' if next_is_space => end,
            _ => continue,
        };
        if text[last..brk].chars().any(|c| c.is_alnum()) {
            out.push(brk);
            last = brk;
        } else if !out.is_empty() {
            // extend the previous sentence over the empty stretch
            *out.last_mut().unwrap() = brk;
            last = brk;
        }
    }
    // a break at the very end closes the last sentence; nothing follows it
    if out
        .last()
        .is_some_and(|&b| !text[b..].chars().any(|c| c.is_alnum()))
    {
        out.pop();
    }
    out
}

impl Topics {
    /// Compile topic files. Reports every problem with file and line.
    pub fn from_files(
        files: &[DataFile],
        gazetteer: &Gazetteer,
        languages: &Languages,
    ) -> Result<Topics, Vec<DataError>> {
        let mut errors = Vec::new();
        let mut topics: Vec<Topic> = Vec::new();
        for file in files {
            if let Some(t) = Topic::compile(file, gazetteer, languages, &mut errors) {
                if let Some(other) = topics.iter().find(|o| o.id == t.id) {
                    errors.push(DataError::at(
                        file,
                        t.id_at,
                        format!("topic id {:?} is already defined in {}", t.id, other.source),
                    ));
                } else {
                    topics.push(t);
                }
            }
        }
        topics.sort_by(|a, b| a.id.cmp(&b.id));
        let mut all_terms = Vec::new();
        let mut slots = Vec::new();
        let mut anchors = Vec::new();
        for (ti, t) in topics.iter().enumerate() {
            for (gi, g) in t.groups.iter().enumerate() {
                let n_terms = g.terms.len() - g.entity_terms.len();
                for (ki, (lang, term)) in g.terms.iter().enumerate() {
                    let slot = Slot {
                        topic: ti,
                        group: gi,
                        term: ki,
                    };
                    if ki < n_terms {
                        all_terms.push((term.clone(), languages.get(lang)));
                        slots.push(slot);
                    } else {
                        let entity = g.entity_terms[ki - n_terms];
                        anchors.push((gazetteer.entity_id(entity).to_string(), slot));
                    }
                }
            }
        }
        let mut entity_slots: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (id, slot) in anchors {
            entity_slots.entry(id).or_default().push(slots.len());
            slots.push(slot);
        }
        let terms = match TermSet::new(&all_terms) {
            Ok(set) => set,
            Err((i, e)) => {
                let slot = slots[i];
                let t = &topics[slot.topic];
                let group = &t.groups[slot.group];
                let at = group.term_spans.get(slot.term).copied().unwrap_or(0);
                match files.iter().find(|f| f.name == t.source) {
                    Some(f) => errors.push(DataError::at(
                        f,
                        at,
                        format!("group {}: {}", group.name, e.0),
                    )),
                    None => errors.push(DataError::new(&t.source, 0, e.0)),
                }
                return Err(errors);
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Topics {
            topics,
            terms,
            slots,
            entity_slots,
        })
    }

    /// Entity mentions of anchored groups as occurrences beside the term occurrences.
    /// A mention and a term found at the same place in the same group count once
    /// (see [`accepted`]): a mention is one character long here, so a term starting at
    /// the same offset covers it.
    fn add_entity_occurrences(
        &self,
        tagged: &TaggedArticle,
        headline: &mut Vec<Occurrence>,
        body: &mut Vec<Occurrence>,
    ) {
        if self.entity_slots.is_empty() {
            return;
        }
        let mut added = false;
        for e in &tagged.entities {
            let Some(slots) = self.entity_slots.get(&e.id) else {
                continue;
            };
            added = true;
            for &slot in slots {
                // Headline positions are not kept: the mentions go after the terms.
                for k in 0..e.headline_count as usize {
                    let at = tagged.article.headline_match.len() + k;
                    headline.push(Occurrence {
                        term: slot,
                        start: at,
                        end: at + 1,
                    });
                }
                for &at in &e.body_offsets {
                    let at = at as usize;
                    body.push(Occurrence {
                        term: slot,
                        start: at,
                        end: at + 1,
                    });
                }
            }
        }
        if added {
            headline.sort_by_key(|o| (o.start, std::cmp::Reverse(o.end)));
            body.sort_by_key(|o| (o.start, std::cmp::Reverse(o.end)));
        }
    }

    /// The compiled topics, by id.
    pub fn list(&self) -> &[Topic] {
        &self.topics
    }

    /// The topic ids, in order.
    pub fn ids(&self) -> Vec<String> {
        self.list().iter().map(|t| t.id.clone()).collect()
    }

    /// Look a topic up by id.
    pub fn get(&self, id: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.id == id)
    }

    /// Decide every topic for an article.
    pub fn classify(&self, tagged: &TaggedArticle) -> Vec<TopicDecision> {
        let a = &tagged.article;
        let headline = self.terms.find(&a.headline_match);
        let mut headline_groups: BTreeSet<(usize, usize)> = BTreeSet::new();
        // counts[topic][group][term]; a group's list stays empty (all zero, which
        // `decide` skips) until one of its terms is hit: most groups never are.
        let mut counts: Vec<Vec<Vec<Count>>> = self
            .topics
            .iter()
            .map(|t| t.groups.iter().map(|_| Vec::new()).collect())
            .collect();
        let mut headline = headline;
        let mut body_occs = self.terms.find(&a.body_match);
        self.add_entity_occurrences(tagged, &mut headline, &mut body_occs);
        let headline: Vec<Slot> = accepted(&headline, &self.slots)
            .map(|o| self.slots[o.term])
            .collect();
        for s in &headline {
            headline_groups.insert((s.topic, s.group));
        }

        let lead_end = a.body_match.find("\n\n").unwrap_or(a.body_match.len());
        let breaks = sentence_breaks(&a.body_match);
        let n_sentences = breaks.len() + 1;
        let body: Vec<Located> = accepted(&body_occs, &self.slots)
            .map(|o| Located {
                slot: self.slots[o.term],
                sentence: breaks.partition_point(|&b| b < o.start),
                lead: o.start < lead_end,
            })
            .collect();
        // Wire items and scraped pages often come without a headline; their first
        // sentence then plays the headline's part for `near` and `[[require]]`
        // (it says what the story is about), though not for `headline_weight`.
        let headline_missing = a.headline_match.trim().is_empty();
        if headline_missing {
            for l in body.iter().filter(|l| l.sentence == 0) {
                headline_groups.insert((l.slot.topic, l.slot.group));
            }
        }
        // Groups found in the headline or the lead paragraph: what the article is about.
        let mut subject_groups = headline_groups.clone();
        for l in body.iter().filter(|l| l.lead) {
            subject_groups.insert((l.slot.topic, l.slot.group));
        }
        // A headline hit of a `near` group counts only when its context group is in
        // the headline or the lead too: "Russia prepares for internet war" is not the
        // Ukraine war because the body mentions Crimea once, further down.
        for s in &headline {
            let group = &self.topics[s.topic].groups[s.group];
            if group
                .near
                .is_none_or(|near| subject_groups.contains(&(s.topic, near)))
            {
                count_at(&mut counts, &self.topics, *s).headline += 1;
            }
        }
        // sentences holding a hit of each (topic, group), for `near`
        let mut group_sentences: BTreeMap<(usize, usize), BTreeSet<usize>> = BTreeMap::new();
        for l in &body {
            group_sentences
                .entry((l.slot.topic, l.slot.group))
                .or_default()
                .insert(l.sentence);
        }
        for l in &body {
            let s = l.slot;
            let group = &self.topics[s.topic].groups[s.group];
            if let Some(near) = group.near {
                // Only the headline makes the whole body context: a lead that names
                // Kyiv as a dateline or in passing does not license every "conflict"
                // further down.
                let ok = headline_groups.contains(&(s.topic, near))
                    || group_sentences.get(&(s.topic, near)).is_some_and(|set| {
                        let w = group.near_window as usize;
                        set.range(l.sentence.saturating_sub(w)..=l.sentence + w)
                            .next()
                            .is_some()
                    });
                if !ok {
                    continue;
                }
            }
            let c = count_at(&mut counts, &self.topics, s);
            c.body += 1;
            c.lead += u32::from(l.lead);
            c.sentences.insert(l.sentence);
        }

        self.topics
            .iter()
            .zip(counts)
            .map(|(topic, counts)| decide(topic, &counts, n_sentences, headline_missing))
            .collect()
    }
}

/// The count of a slot's term, filling its group's list when it is first hit.
fn count_at<'c>(counts: &'c mut [Vec<Vec<Count>>], topics: &[Topic], s: Slot) -> &'c mut Count {
    let list = &mut counts[s.topic][s.group];
    if list.is_empty() {
        list.resize_with(topics[s.topic].groups[s.group].terms.len(), Count::default);
    }
    &mut list[s.term]
}

/// Within one (topic, group), overlapping occurrences count once: the longest wins.
fn accepted<'a>(occs: &'a [Occurrence], slots: &'a [Slot]) -> impl Iterator<Item = &'a Occurrence> {
    let mut last_end: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    occs.iter().filter(move |o| {
        let s = slots[o.term];
        let key = (s.topic, s.group);
        match last_end.get(&key) {
            Some(&end) if o.start < end => false,
            _ => {
                last_end.insert(key, o.end);
                true
            }
        }
    })
}

fn decide(
    topic: &Topic,
    counts: &[Vec<Count>],
    n_sentences: usize,
    headline_missing: bool,
) -> TopicDecision {
    let cap = topic.body_cap;
    let mut score = 0.0;
    let mut hits = Vec::new();
    let n_groups = topic.groups.len();
    let mut group_hits = vec![0u32; n_groups];
    let mut group_headline = vec![0u32; n_groups];
    let mut group_sentences: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n_groups];
    let mut topical_sentences = BTreeSet::new();
    let mut headline_topical = false;
    for (gi, (group, terms)) in topic.groups.iter().zip(counts).enumerate() {
        for ((lang, term), c) in group.terms.iter().zip(terms) {
            if c.headline == 0 && c.body == 0 {
                continue;
            }
            let value = topic.headline_weight * c.headline.min(cap) as f64
                + c.body.min(cap) as f64
                + (topic.lead_weight - 1.0) * c.lead.min(cap) as f64;
            let contribution = group.weight * value;
            score += contribution;
            group_hits[gi] += c.headline + c.body;
            group_headline[gi] += c.headline;
            group_sentences[gi].extend(c.sentences.iter().copied());
            if group.weight > 0.0 {
                topical_sentences.extend(c.sentences.iter().copied());
                headline_topical |= c.headline > 0;
            }
            hits.push(TermHit {
                group: group.name.clone(),
                term: term.clone(),
                language: lang.clone(),
                headline_count: c.headline,
                body_count: c.body,
                contribution: round2(contribution),
            });
        }
    }
    let score = round2(score);

    let mut reason = String::new();
    for r in &topic.requires {
        let hits: u32 = r.groups.iter().map(|&g| group_hits[g]).sum();
        let in_headline = r
            .groups
            .iter()
            .any(|&g| group_headline[g] > 0 || headline_missing && group_sentences[g].contains(&0));
        let sentences: BTreeSet<usize> = r
            .groups
            .iter()
            .flat_map(|&g| group_sentences[g].iter().copied())
            .collect();
        let share = sentences.len() as f64 / n_sentences.max(1) as f64;
        let names: Vec<&str> = r
            .groups
            .iter()
            .map(|&g| topic.groups[g].name.as_str())
            .collect();
        let names = names.join("|");
        if hits < r.min_hits {
            reason = format!("requires {} hit(s) of {names}; found {hits}", r.min_hits);
            break;
        }
        if in_headline {
            continue;
        }
        if (sentences.len() as u32) < r.min_sentences {
            reason = format!(
                "passing mention: {names} in {} sentence(s), not in the headline; requires {}",
                sentences.len(),
                r.min_sentences
            );
            break;
        }
        if share < r.min_share {
            reason = format!(
                "background mention: {names} in {:.0}% of sentences, not in the headline; requires {:.0}%",
                share * 100.0,
                r.min_share * 100.0
            );
            break;
        }
    }
    if reason.is_empty() {
        for x in &topic.excludes {
            let own = group_hits[x.group];
            let vetoed = own >= x.min_hits
                && x.unless.is_none_or(|(g, n)| {
                    let needed = if x.unless_more { n.max(own) } else { n };
                    group_hits[g] < needed
                });
            if vetoed {
                reason = format!(
                    "excluded by group {} ({} hit(s))",
                    topic.groups[x.group].name, group_hits[x.group]
                );
                break;
            }
        }
    }
    if reason.is_empty() && score < topic.threshold {
        reason = format!("score {score} below threshold {}", topic.threshold);
    }
    let matched = reason.is_empty();
    if matched {
        reason = format!("score {score} >= threshold {}", topic.threshold);
    }
    let positive = score.max(0.0);
    let confidence = (100.0 * positive / (positive + topic.threshold)).round() as u8;
    let share = topical_sentences.len() as f64 / n_sentences.max(1) as f64;
    let share = if headline_topical {
        0.5 + share / 2.0
    } else {
        share
    };
    let relevance = (100.0 * share.min(1.0)).round() as u8;
    TopicDecision {
        topic: topic.id.clone(),
        label: topic.label.clone(),
        matched,
        score,
        threshold: topic.threshold,
        confidence,
        relevance,
        media_topics: topic.media_topics.clone(),
        reason,
        hits,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
