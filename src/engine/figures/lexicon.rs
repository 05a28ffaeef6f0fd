//! Per-language figure lexicons: the TOML schema of `data/figures/*.toml` and its
//! compiled, match-ready form.
//!
//! Every phrase is folded with [`crate::engine::normalize::fold`] at load time so the
//! matcher only ever compares folded tokens. A token ending in `*` is a stem (prefix
//! match), which keeps inflected languages (Arabic, Russian) to a handful of entries.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;
use toml::Spanned;

use crate::data::DataFile;
use crate::engine::hash::Map;
use crate::engine::language::Languages;
use crate::engine::normalize::fold;
use crate::error::DataError;
use crate::model::{FigureCategory, FigureWho, Qualifier};

/// Writing system of a lexicon (the language model's): the extractor picks lexicons
/// per sentence by the script it is written in, because the article's language code
/// may be `und` or wrong.
pub(super) use crate::engine::language::Script;

// ---------------------------------------------------------------- TOML schema

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    /// The language: its model (`data/languages/<code>.toml`) gives the script, the
    /// proclitics stripped before lookup (Arabic و ب ل ف ك ال …) and which of them
    /// coordinate ("و…" = "and …": a number is not paired with a trigger across one).
    language: Spanned<String>,
    #[serde(default)]
    triggers: Triggers,
    #[serde(default)]
    who: Who,
    #[serde(default)]
    numbers: BTreeMap<String, Spanned<u64>>,
    #[serde(default)]
    scales: BTreeMap<String, Spanned<u64>>,
    #[serde(default)]
    vague: BTreeMap<String, Vec<Spanned<String>>>,
    #[serde(default)]
    qualifiers: Qualifiers,
    #[serde(default)]
    qualifiers_after: Qualifiers,
    #[serde(default)]
    words: Words,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Triggers {
    #[serde(default)]
    killed: Vec<Spanned<String>>,
    #[serde(default)]
    injured: Vec<Spanned<String>>,
    #[serde(default)]
    arrested: Vec<Spanned<String>>,
    #[serde(default)]
    displaced: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Who {
    #[serde(default)]
    protesters: Vec<Spanned<String>>,
    #[serde(default)]
    police: Vec<Spanned<String>>,
    #[serde(default)]
    civilians: Vec<Spanned<String>>,
    #[serde(default)]
    soldiers: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Qualifiers {
    #[serde(default)]
    min: Vec<Spanned<String>>,
    #[serde(default)]
    max: Vec<Spanned<String>>,
    #[serde(default)]
    approx: Vec<Spanned<String>>,
    #[serde(default)]
    exact: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Words {
    /// Words that may sit between a number and its trigger without counting as
    /// distance ("people", "were", "من", "человек").
    #[serde(default)]
    fillers: Vec<Spanned<String>>,
    /// Nouns for the people counted ("people", "شخص", "человек"): light like fillers,
    /// and proof that a year-like number is a count ("2000 people").
    #[serde(default)]
    persons: Vec<Spanned<String>>,
    /// Standalone coordinators ("and", "и").
    #[serde(default)]
    conjunctions: Vec<Spanned<String>>,
    /// Non-person nouns: a number right before one is not a head count ("70 aircraft").
    #[serde(default)]
    units: Vec<Spanned<String>>,
    /// Words announcing an age ("aged 18").
    #[serde(default)]
    age: Vec<Spanned<String>>,
    /// Month names: a number next to one is a date.
    #[serde(default)]
    months: Vec<Spanned<String>>,
    /// Reporting verbs/phrases: a who-word next to one is the source, not the victims.
    #[serde(default)]
    reporting: Vec<Spanned<String>>,
    /// Words before a year ("in 2014", "عام 2014", "в 2014"): a year-like number
    /// after one is a year even next to a trigger.
    #[serde(default)]
    year_before: Vec<Spanned<String>>,
    /// Words joining the two ends of a range ("between 200 and 300", "от 5 до 15").
    #[serde(default)]
    range: Vec<Spanned<String>>,
    /// Words introducing a subset ("including", "من بينهم"): a who-word after one
    /// describes part of the figure, not all of it.
    #[serde(default)]
    subset: Vec<Spanned<String>>,
    /// Abbreviations whose trailing '.' does not end a sentence ("mr", "тыс").
    #[serde(default)]
    abbreviations: Vec<Spanned<String>>,
    /// Words opening a range whose ends are joined by a plain conjunction
    /// ("between 30 and 70", "zwischen 30 und 70"); see `range` for "30 to 70".
    #[serde(default)]
    between: Vec<Spanned<String>>,
    /// Case endings written after a number with a hyphen or apostrophe ("695-ін",
    /// "200'den"): part of the number, not a word of their own.
    #[serde(default)]
    number_suffixes: Vec<Spanned<String>>,
}

// ---------------------------------------------------------------- compiled form

/// Flags a phrase can carry in addition to its typed senses.
pub(super) mod flag {
    pub const FILLER: u16 = 1;
    pub const CONJ: u16 = 2;
    pub const UNIT: u16 = 4;
    pub const AGE: u16 = 8;
    pub const MONTH: u16 = 16;
    pub const REPORTING: u16 = 32;
    pub const PERSON: u16 = 64;
    pub const YEAR_BEFORE: u16 = 128;
    pub const RANGE: u16 = 256;
    pub const SUBSET: u16 = 512;
    pub const BETWEEN: u16 = 1024;
    pub const SUFFIX: u16 = 2048;
}

/// Everything one phrase means. A phrase may carry several senses ("тысячи" is both a
/// scale, "3 тысячи", and a vague quantity on its own).
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Sense {
    pub trigger: Option<FigureCategory>,
    pub who: Option<FigureWho>,
    pub number: Option<u64>,
    pub scale: Option<u64>,
    /// Index into [`Lexicon::vague_labels`].
    pub vague: Option<usize>,
    pub qualifier_before: Option<Qualifier>,
    pub qualifier_after: Option<Qualifier>,
    pub flags: u16,
}

impl Sense {
    pub fn has(&self, f: u16) -> bool {
        self.flags & f != 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Pat {
    Exact(String),
    Stem(String),
}

impl Pat {
    fn matches(&self, word: &str) -> bool {
        match self {
            Pat::Exact(s) => s == word,
            Pat::Stem(s) => word.starts_with(s.as_str()),
        }
    }
}

#[derive(Debug)]
struct Phrase {
    /// Tokens after the first (the first is the index key).
    rest: Vec<Pat>,
    sense: Sense,
}

/// A lexicon match starting at one word token.
#[derive(Debug, Clone, Copy)]
pub(super) struct Match<'a> {
    /// Word tokens consumed.
    pub tokens: usize,
    /// Chars of the first token that were a stripped proclitic.
    pub prefix_chars: usize,
    /// The stripped proclitic was a conjunction ("و").
    pub conj: bool,
    pub sense: &'a Sense,
}

/// One language's compiled lexicon.
#[derive(Debug)]
pub(super) struct Lexicon {
    pub language: String,
    pub script: Script,
    /// (prefix, is_conjunction), longest first.
    prefixes: Vec<(String, usize, bool)>,
    exact: Map<String, Vec<usize>>,
    stems: Map<String, Vec<usize>>,
    phrases: Vec<Phrase>,
    pub vague_labels: Vec<String>,
    pub abbreviations: HashSet<String>,
}

/// Shortest stem accepted: shorter prefixes would match half the vocabulary.
const MIN_STEM_CHARS: usize = 3;
/// Shortest stem for a phrase's later tokens, which only match after the first.
const MIN_LATER_STEM_CHARS: usize = 2;
/// A proclitic is only stripped if more than this much of the word remains (exactly
/// this much after a conjunction).
const MIN_REMAINDER_CHARS: usize = 2;

/// Split a folded phrase the way the tokenizer splits text: at spaces, hyphens and
/// apostrophes ("forces de l'ordre", "п'ятеро"), and between Chinese characters.
fn phrase_tokens(folded: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for part in folded.split(|c: char| c.is_whitespace() || c == '-' || is_apostrophe(c)) {
        let mut rest = part;
        while let Some((i, c)) = rest.char_indices().find(|&(_, c)| super::scan::is_han(c)) {
            if i > 0 {
                out.push(&rest[..i]);
            }
            let end = i + c.len_utf8();
            // a stem marker stays with its character ("死*")
            let end = if rest[end..].starts_with('*') {
                end + 1
            } else {
                end
            };
            out.push(&rest[i..end]);
            rest = &rest[end..];
        }
        if !rest.is_empty() {
            out.push(rest);
        }
    }
    out
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | '`')
}

fn line_of(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].matches('\n').count() + 1
}

/// Collects phrases and their senses while checking for contradictions.
struct Builder<'a> {
    file: &'a str,
    text: &'a str,
    errors: Vec<DataError>,
    /// Pattern key → (phrase index, line of first definition).
    by_pattern: HashMap<Vec<Pat>, usize>,
    phrases: Vec<(Vec<Pat>, Sense)>,
}

impl Builder<'_> {
    fn err(&mut self, span: std::ops::Range<usize>, msg: String) {
        self.errors.push(DataError::new(
            self.file,
            line_of(self.text, span.start),
            msg,
        ));
    }

    fn parse_pattern(&mut self, entry: &Spanned<String>) -> Option<Vec<Pat>> {
        let raw = entry.get_ref();
        let folded = fold(raw);
        let mut pats = Vec::new();
        for (n, tok) in phrase_tokens(&folded).into_iter().enumerate() {
            // the first token anchors the phrase; a later one may be a shorter stem
            // ("жарақат ал*": "ал-ды", "ал-ған")
            let min_stem = if n == 0 {
                MIN_STEM_CHARS
            } else {
                MIN_LATER_STEM_CHARS
            };
            let (body, stem) = match tok.strip_suffix('*') {
                Some(b) => (b, true),
                None => (tok, false),
            };
            if body.is_empty() || !body.chars().all(char::is_alphanumeric) {
                self.err(
                    entry.span(),
                    format!("invalid phrase {raw:?}: tokens must be letters or digits, '*' only at a token's end"),
                );
                return None;
            }
            if stem {
                if body.chars().count() < min_stem {
                    self.err(
                        entry.span(),
                        format!("stem {raw:?} too short: at least {min_stem} letters before '*'"),
                    );
                    return None;
                }
                pats.push(Pat::Stem(body.to_string()));
            } else {
                pats.push(Pat::Exact(body.to_string()));
            }
        }
        if pats.is_empty() {
            self.err(entry.span(), format!("empty phrase {raw:?}"));
            return None;
        }
        Some(pats)
    }

    /// Add `entry` with one more sense, merged into an existing identical pattern.
    fn add(&mut self, entry: &Spanned<String>, apply: impl Fn(&mut Sense) -> Result<(), String>) {
        let Some(pats) = self.parse_pattern(entry) else {
            return;
        };
        let idx = match self.by_pattern.get(&pats) {
            Some(&i) => i,
            None => {
                self.phrases.push((pats.clone(), Sense::default()));
                self.by_pattern.insert(pats, self.phrases.len() - 1);
                self.phrases.len() - 1
            }
        };
        if let Err(msg) = apply(&mut self.phrases[idx].1) {
            self.err(entry.span(), format!("{:?}: {msg}", entry.get_ref()));
        }
    }
}

/// Set an `Option` slot, refusing a different earlier value (a phrase cannot be both
/// "killed" and "injured").
fn set<T: PartialEq + Copy + std::fmt::Debug>(slot: &mut Option<T>, v: T) -> Result<(), String> {
    match slot {
        Some(old) if *old != v => Err(format!("listed as both {old:?} and {v:?}")),
        _ => {
            *slot = Some(v);
            Ok(())
        }
    }
}

fn is_label(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

impl Lexicon {
    /// Parse and compile one data file; its language must have a language model.
    pub fn from_file(file: &DataFile, languages: &Languages) -> Result<Lexicon, Vec<DataError>> {
        let doc: FileDoc = file.parse().map_err(|e| vec![e])?;
        let mut b = Builder {
            file: &file.name,
            text: &file.text,
            errors: Vec::new(),
            by_pattern: HashMap::new(),
            phrases: Vec::new(),
        };
        let Some(model) = languages.get(doc.language.get_ref()) else {
            b.err(
                doc.language.span(),
                format!(
                    "language {:?} has no language model (add data/languages/{}.toml)",
                    doc.language.get_ref(),
                    doc.language.get_ref()
                ),
            );
            return Err(b.errors);
        };
        // the language model's clitics, longest first; a prefix starting with a
        // coordinating one ("وب", "فال") coordinates too
        let mut prefixes: Vec<(String, usize, bool)> = model
            .prefixes
            .iter()
            .map(|p| {
                let conj = model.conjunctions.iter().any(|c| p.starts_with(c.as_str()));
                (p.clone(), p.chars().count(), conj)
            })
            .collect();
        prefixes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        prefixes.dedup();

        let t = &doc.triggers;
        for (list, cat) in [
            (&t.killed, FigureCategory::Killed),
            (&t.injured, FigureCategory::Injured),
            (&t.arrested, FigureCategory::Arrested),
            (&t.displaced, FigureCategory::Displaced),
        ] {
            for e in list {
                b.add(e, |s| set(&mut s.trigger, cat));
            }
        }
        let w = &doc.who;
        for (list, who) in [
            (&w.protesters, FigureWho::Protesters),
            (&w.police, FigureWho::Police),
            (&w.civilians, FigureWho::Civilians),
            (&w.soldiers, FigureWho::Soldiers),
        ] {
            for e in list {
                b.add(e, |s| set(&mut s.who, who));
            }
        }
        for (word, value) in &doc.numbers {
            let e = Spanned::new(value.span(), word.clone());
            let v = *value.get_ref();
            b.add(&e, |s| set(&mut s.number, v));
        }
        for (word, value) in &doc.scales {
            let e = Spanned::new(value.span(), word.clone());
            let v = *value.get_ref();
            if v < 10 {
                b.err(value.span(), format!("scale {word:?} must be at least 10"));
                continue;
            }
            b.add(&e, |s| set(&mut s.scale, v));
        }
        let mut vague_labels = Vec::new();
        for (label, list) in &doc.vague {
            if !is_label(label) {
                let span = list.first().map(|e| e.span()).unwrap_or(0..0);
                b.err(
                    span,
                    format!("vague label {label:?} must be lowercase letters and '_'"),
                );
                continue;
            }
            vague_labels.push(label.clone());
            let idx = vague_labels.len() - 1;
            for e in list {
                b.add(e, |s| set(&mut s.vague, idx));
            }
        }
        for (q, after) in [(&doc.qualifiers, false), (&doc.qualifiers_after, true)] {
            for (list, qual) in [
                (&q.min, Qualifier::Min),
                (&q.max, Qualifier::Max),
                (&q.approx, Qualifier::Approx),
                (&q.exact, Qualifier::Exact),
            ] {
                for e in list {
                    if after {
                        b.add(e, |s| set(&mut s.qualifier_after, qual));
                    } else {
                        b.add(e, |s| set(&mut s.qualifier_before, qual));
                    }
                }
            }
        }
        let words = &doc.words;
        for (list, f) in [
            (&words.fillers, flag::FILLER),
            (&words.persons, flag::PERSON),
            (&words.conjunctions, flag::CONJ),
            (&words.units, flag::UNIT),
            (&words.age, flag::AGE),
            (&words.months, flag::MONTH),
            (&words.reporting, flag::REPORTING),
            (&words.year_before, flag::YEAR_BEFORE),
            (&words.range, flag::RANGE),
            (&words.subset, flag::SUBSET),
            (&words.between, flag::BETWEEN),
            (&words.number_suffixes, flag::SUFFIX),
        ] {
            for e in list {
                b.add(e, |s| {
                    s.flags |= f;
                    Ok(())
                });
            }
        }
        let mut abbreviations = HashSet::new();
        for a in &words.abbreviations {
            let f = fold(a.get_ref());
            if f.is_empty() || f.chars().any(|c| !c.is_alphabetic()) {
                b.err(a.span(), format!("invalid abbreviation {:?}", a.get_ref()));
            } else {
                abbreviations.insert(f);
            }
        }

        if !b.errors.is_empty() {
            return Err(b.errors);
        }
        let mut lex = Lexicon {
            language: doc.language.into_inner(),
            script: model.script,
            prefixes,
            exact: Map::default(),
            stems: Map::default(),
            phrases: Vec::new(),
            vague_labels,
            abbreviations,
        };
        for (mut pats, sense) in b.phrases {
            let first = pats.remove(0);
            let id = lex.phrases.len();
            lex.phrases.push(Phrase { rest: pats, sense });
            match first {
                Pat::Exact(s) => lex.exact.entry(s).or_default().push(id),
                Pat::Stem(s) => lex.stems.entry(s).or_default().push(id),
            }
        }
        Ok(lex)
    }

    /// Longest lexicon phrase starting at `words[0]`. `words` are the folded word
    /// tokens from here to the next non-word token.
    ///
    /// Preference: more tokens, then a longer match of the first token (an exact entry
    /// beats a stem), then no stripped proclitic.
    pub fn match_at<'a>(&'a self, words: &[&str]) -> Option<Match<'a>> {
        let first = *words.first()?;
        let mut best: Option<((usize, usize, usize), Match<'a>)> = None;
        let mut forms: Vec<(&str, usize, bool)> = vec![(first, 0, false)];
        for (p, pchars, conj) in &self.prefixes {
            if let Some(rest) = first.strip_prefix(p.as_str()) {
                // two-letter remainders only after "و"/"ف": "وفر" is "and fled",
                // "كفر" is a place name, not "like fled"
                let n = rest.chars().count();
                if n > MIN_REMAINDER_CHARS || (n == MIN_REMAINDER_CHARS && *conj) {
                    forms.push((rest, *pchars, *conj));
                }
            }
        }
        for (form, prefix_chars, conj) in forms {
            // Candidate phrases with how much of the first token they cover; an exact
            // entry (+1) beats a stem spanning the whole word.
            let mut candidates: Vec<(usize, usize)> = Vec::new();
            if let Some(ids) = self.exact.get(form) {
                let len = form.chars().count() * 2 + 1;
                candidates.extend(ids.iter().map(|&id| (id, len)));
            }
            for (n, (i, c)) in form.char_indices().enumerate() {
                if n + 1 < MIN_STEM_CHARS {
                    continue;
                }
                if let Some(ids) = self.stems.get(&form[..i + c.len_utf8()]) {
                    candidates.extend(ids.iter().map(|&id| (id, (n + 1) * 2)));
                }
            }
            for (id, matched_len) in candidates {
                let ph = &self.phrases[id];
                if ph.rest.len() >= words.len()
                    || !ph.rest.iter().zip(&words[1..]).all(|(p, w)| p.matches(w))
                {
                    continue;
                }
                let key = (1 + ph.rest.len(), matched_len, usize::MAX - prefix_chars);
                if best.as_ref().is_none_or(|(k, _)| key > *k) {
                    best = Some((
                        key,
                        Match {
                            tokens: key.0,
                            prefix_chars,
                            conj,
                            sense: &ph.sense,
                        },
                    ));
                }
            }
        }
        best.map(|(_, m)| m)
    }
}
