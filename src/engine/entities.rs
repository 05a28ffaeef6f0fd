//! Multilingual gazetteer: finds people, places and organisations in an article and
//! counts their mentions in the headline and the body.
//!
//! # Data (`data/gazetteer/*.toml`)
//!
//! ```toml
//! [language.ar]                       # matching rules of one language (any file)
//! prefixes = ["و", "ب", "ال", "وال"]  # clitics that may precede the first token
//! prefix_rewrites = [["لل", "ال"]]    # clitic whose text continues with the 2nd string
//! suffixes = []                       # endings allowed after the last token
//! [language.ru]
//! nominative_endings = ["ий", "а", "я", "ь", "й"]  # stripped from listed names → stem
//! endings = ["а", "у", "ом", "е"]                  # case endings allowed after a stem
//! min_stem = 3                                     # shorter stems never inflect
//!
//! [[entity]]
//! id = "tokayev"                  # stable id, [a-z0-9_]+
//! kind = "person"                 # person | place | organisation
//! name = "Kassym-Jomart Tokayev"  # canonical display name
//! uri = "…"                       # optional, default urn:wirefeed:entity:<id>
//! [entity.names]                  # per language, folded and matched case-insensitively
//! ru = ["Касым-Жомарт Токаев", "Токаев"]
//! [entity.exact]                  # per language, matched case-sensitively on the display
//! en = ["US"]                     # text, token by token, with no clitics or endings
//! ```
//!
//! A language code used under `names`/`exact` must have a `[language.xx]` table
//! (which may be empty) in some gazetteer file; that is how typos such as `ur` for `ru`
//! are caught.
//!
//! # Matching
//!
//! Text is split into tokens (runs of letters and digits). Names are token sequences.
//! Every text token is looked up in one hash map: as it is, with a clitic prefix
//! removed (first token of a name only), with an allowed suffix removed (last token
//! only), or as stem + case ending (any token). The candidate tokens then walk a trie of
//! names; at each position the longest name wins (ties: fewest clitics/endings, then
//! data order), and scanning resumes after it. Tokens of one name must be separated
//! only by spaces, hyphens or apostrophes (or the dot of an initial such as "U.S."), so
//! a name never spans a sentence, a quote or a paragraph break. The work per token is
//! a handful of hash lookups whatever the size of the gazetteer.

use crate::engine::chars::CharClass;
use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use toml::Spanned;

use crate::data::DataFile;
use crate::engine::hash::Map;
use crate::engine::language::{is_han, LanguageModel, Languages};
use crate::engine::normalize::fold;
use crate::error::DataError;
use crate::model::{CleanArticle, EntityKind, EntityMention};

/// `[[entity]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntityDoc {
    id: Spanned<String>,
    kind: EntityKind,
    name: String,
    #[serde(default)]
    uri: Option<String>,
    #[serde(default)]
    names: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    #[serde(default)]
    exact: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    /// Ids of the entities this one belongs to (a city, region, official or body of a
    /// country → that country); topics name sets of entities through it.
    #[serde(default)]
    within: Vec<Spanned<String>>,
}

/// One gazetteer file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    entity: Vec<EntityDoc>,
}

#[derive(Debug)]
struct Entity {
    id: String,
    kind: EntityKind,
    name: String,
    uri: String,
    /// Indexes of the entities it is directly within.
    within: Vec<u32>,
}

#[derive(Debug)]
struct Language {
    nominative_endings: Vec<String>,
    min_stem: usize,
    inflects: bool,
}

/// A folded name token: its trie key and the languages that list it.
#[derive(Debug, Clone, Copy)]
struct FoldedTok {
    id: u32,
    langs: u64,
}

/// A clitic prefix: which languages allow it and what the text continues with.
#[derive(Debug, Default)]
struct Prefix {
    langs: u64,
    /// Strings to put back in place of the prefix ("لل" → "ال"), with their languages.
    rewrites: Vec<(String, u64)>,
}

/// How a text token matched a name token.
const PLAIN: u8 = 0;
/// A clitic prefix was removed: only valid on the first token of a name.
const CLITIC: u8 = 1;
/// A suffix was removed: only valid on the last token of a name.
const SUFFIX: u8 = 2;
/// A case ending replaced the nominative ending.
const INFLECT: u8 = 4;

/// Compiled gazetteer.
#[derive(Debug, Default)]
pub struct Gazetteer {
    entities: Vec<Entity>,
    languages: Vec<Language>,
    /// Folded token form → token.
    folded: Map<Box<str>, FoldedTok>,
    /// Case-sensitive display token → token id.
    exact: Map<Box<str>, u32>,
    /// Stem of an inflecting name token → (token id, language index).
    stems: Map<Box<str>, Vec<(u32, usize)>>,
    /// Case ending → languages using it.
    endings: Map<Box<str>, u64>,
    max_ending_chars: usize,
    prefixes: Map<Box<str>, Prefix>,
    max_prefix_chars: usize,
    /// Suffix → languages allowing it.
    suffixes: Map<Box<str>, u64>,
    max_suffix_chars: usize,
    /// Trie edges: (node, token id) → node. Node 0 is the root.
    edges: Map<(u32, u32), u32>,
    /// Entity index named by the path to each node, if any.
    terminal: Vec<Option<u32>>,
    next_tok: u32,
}

/// A token of text: byte range and whether it may continue a name begun before it.
#[derive(Debug, Clone, Copy)]
struct Token {
    start: usize,
    end: usize,
    joins: bool,
}

/// Characters inside a token: letters, digits and the Arabic marks `fold` drops, so that
/// the display and folded forms of a text split into the same tokens.
fn is_token_char(c: char) -> bool {
    c.is_alnum()
        || matches!(c, '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}'
            | '\u{0640}' | '\u{06D6}'..='\u{06ED}')
}

/// Separators that may sit between two tokens of one name.
fn is_joiner(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{00A0}'
            | '\u{202F}'
            | '-'
            | '\u{2010}'
            | '\u{2011}'
            | '\''
            | '\u{2019}'
            | '\u{02BC}'
            // the middle dots of transliterated names in Chinese (弗拉基米尔·普京)
            | '\u{00B7}'
            | '\u{30FB}'
    )
}

fn tokenize(s: &str, out: &mut Vec<Token>) {
    out.clear();
    let mut start: Option<usize> = None;
    let mut gap_ok = false;
    for (i, c) in s.char_indices() {
        // Chinese is not space-delimited: every ideograph is a token, joined to the
        // ideograph before it, so names are character sequences.
        if is_han(c) {
            if let Some(st) = start.take() {
                out.push(Token {
                    start: st,
                    end: i,
                    joins: gap_ok,
                });
                gap_ok = false;
            }
            let prev_han = out
                .last()
                .is_some_and(|t| t.end == i && s[t.start..].starts_with(is_han));
            out.push(Token {
                start: i,
                end: i + c.len_utf8(),
                joins: prev_han || gap_ok,
            });
            gap_ok = false;
            continue;
        }
        if is_token_char(c) {
            if start.is_none() {
                start = Some(i);
            }
            continue;
        }
        if out.last().is_some_and(|t| t.end == i && start.is_none()) {
            // the separator right after an ideograph
            gap_ok = is_joiner(c);
            continue;
        }
        if let Some(st) = start.take() {
            out.push(Token {
                start: st,
                end: i,
                joins: gap_ok,
            });
            // The dot after a one-letter token is an initial ("U.S.") and may join.
            let single = s[st..i].chars().nth(1).is_none();
            gap_ok = is_joiner(c) || (c == '.' && single);
        } else {
            gap_ok = gap_ok && is_joiner(c);
        }
    }
    if let Some(st) = start {
        out.push(Token {
            start: st,
            end: s.len(),
            joins: gap_ok,
        });
    }
    if let Some(first) = out.first_mut() {
        first.joins = false;
    }
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Gazetteer {
    /// Compile the gazetteer from its data files, reporting every problem found.
    pub fn from_files(
        files: &[DataFile],
        languages: &Languages,
    ) -> Result<Gazetteer, Vec<DataError>> {
        let mut errors = Vec::new();
        let mut docs = Vec::new();
        for f in files {
            match f.parse::<FileDoc>() {
                Ok(doc) => docs.push((f, doc)),
                Err(e) => errors.push(e),
            }
        }
        let mut g = Gazetteer {
            terminal: vec![None],
            ..Gazetteer::default()
        };
        let mut lang_index: HashMap<String, usize> = HashMap::new();
        for model in languages.iter() {
            g.add_language(model, &mut lang_index);
        }
        let mut seen_ids: HashMap<String, String> = HashMap::new();
        let mut within_names: Vec<(u32, &DataFile, &[Spanned<String>])> = Vec::new();
        for (f, doc) in &docs {
            for e in &doc.entity {
                let id = e.id.get_ref();
                let at_id = |msg: String| DataError::at(f, e.id.span().start, msg);
                if !valid_id(id) {
                    errors.push(at_id(format!("entity id {id:?} must match [a-z0-9_]+")));
                    continue;
                }
                if let Some(prev) = seen_ids.get(id) {
                    errors.push(at_id(format!(
                        "duplicate entity id {id:?} (first defined in {prev})"
                    )));
                    continue;
                }
                seen_ids.insert(id.clone(), f.name.clone());
                if e.name.trim().is_empty() {
                    errors.push(at_id(format!("entity {id:?} has an empty name")));
                    continue;
                }
                if e.uri.as_deref().is_some_and(|u| u.trim().is_empty()) {
                    errors.push(at_id(format!("entity {id:?} has an empty uri")));
                    continue;
                }
                let index = g.entities.len() as u32;
                g.entities.push(Entity {
                    id: id.clone(),
                    kind: e.kind,
                    name: e.name.clone(),
                    uri: e
                        .uri
                        .clone()
                        .unwrap_or_else(|| format!("urn:wirefeed:entity:{id}")),
                    within: Vec::new(),
                });
                within_names.push((index, f, &e.within));
                let lists = e
                    .names
                    .iter()
                    .map(|l| (l, false))
                    .chain(e.exact.iter().map(|l| (l, true)));
                for ((code, names), exact) in lists {
                    let Some(&lang) = lang_index.get(code.get_ref()) else {
                        errors.push(DataError::at(
                            f,
                            code.span().start,
                            format!("entity {id:?}: unknown language {:?}", code.get_ref()),
                        ));
                        continue;
                    };
                    for name in names {
                        if let Err(msg) = g.add_name(index, lang, name.get_ref(), exact) {
                            errors.push(DataError::at(
                                f,
                                name.span().start,
                                format!("entity {id:?}: {msg}"),
                            ));
                        }
                    }
                }
            }
        }
        let by_id: HashMap<&str, u32> = g
            .entities
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.as_str(), i as u32))
            .collect();
        let mut resolved = Vec::new();
        for (index, f, names) in &within_names {
            let mut list = Vec::new();
            for w in names.iter() {
                match by_id.get(w.get_ref().as_str()) {
                    Some(&i) if i != *index => list.push(i),
                    _ => {
                        errors.push(DataError::at(
                            f,
                            w.span().start,
                            format!(
                                "entity {:?}: within names unknown entity {:?}",
                                g.entities[*index as usize].id,
                                w.get_ref()
                            ),
                        ));
                    }
                }
            }
            resolved.push((*index, list));
        }
        for (index, list) in resolved {
            g.entities[index as usize].within = list;
        }
        if errors.is_empty() {
            Ok(g)
        } else {
            Err(errors)
        }
    }

    /// Index of an entity id.
    pub fn entity_index(&self, id: &str) -> Option<u32> {
        self.entities
            .iter()
            .position(|e| e.id == id)
            .map(|i| i as u32)
    }

    /// Id of an entity index.
    pub fn entity_id(&self, index: u32) -> &str {
        &self.entities[index as usize].id
    }

    /// The entity and every entity within it, directly or through others (a country,
    /// its regions, their cities, its officials…), in index order.
    pub fn with_members(&self, root: u32) -> Vec<u32> {
        let mut out = Vec::new();
        for (i, _) in self.entities.iter().enumerate() {
            let i = i as u32;
            // walk up the `within` links, bounded against cycles
            let mut stack = vec![(i, 0u32)];
            let mut member = false;
            while let Some((e, depth)) = stack.pop() {
                if e == root {
                    member = true;
                    break;
                }
                if depth < 8 {
                    stack.extend(
                        self.entities[e as usize]
                            .within
                            .iter()
                            .map(|&w| (w, depth + 1)),
                    );
                }
            }
            if member {
                out.push(i);
            }
        }
        out
    }

    fn add_language(&mut self, model: &LanguageModel, index: &mut HashMap<String, usize>) {
        let lang = self.languages.len();
        let bit = 1u64 << lang;
        for p in &model.prefixes {
            self.max_prefix_chars = self.max_prefix_chars.max(char_len(p));
            self.prefixes.entry(p.as_str().into()).or_default().langs |= bit;
        }
        for (p, with) in &model.prefix_rewrites {
            self.max_prefix_chars = self.max_prefix_chars.max(char_len(p));
            let entry = self.prefixes.entry(p.as_str().into()).or_default();
            match entry.rewrites.iter_mut().find(|(w, _)| w == with) {
                Some((_, langs)) => *langs |= bit,
                None => entry.rewrites.push((with.clone(), bit)),
            }
        }
        for s in &model.suffixes {
            self.max_suffix_chars = self.max_suffix_chars.max(char_len(s));
            *self.suffixes.entry(s.as_str().into()).or_default() |= bit;
        }
        for e in &model.endings {
            self.max_ending_chars = self.max_ending_chars.max(char_len(e));
            *self.endings.entry(e.as_str().into()).or_default() |= bit;
        }
        self.languages.push(Language {
            nominative_endings: model.nominative_endings.clone(),
            min_stem: model.min_stem,
            inflects: model.inflects(),
        });
        index.insert(model.code.clone(), lang);
    }

    fn fresh_tok(&mut self) -> u32 {
        self.next_tok += 1;
        self.next_tok
    }

    /// Register one name of entity `entity` in language `lang`.
    fn add_name(
        &mut self,
        entity: u32,
        lang: usize,
        name: &str,
        exact: bool,
    ) -> Result<(), String> {
        let text = if exact { name.to_string() } else { fold(name) };
        let mut toks = Vec::new();
        tokenize(&text, &mut toks);
        if toks.is_empty() {
            return Err(format!("name {name:?} has no letters"));
        }
        if let Some(t) = toks.iter().skip(1).find(|t| !t.joins) {
            return Err(format!(
                "name {name:?}: only spaces, hyphens and apostrophes may separate words (at {:?})",
                &text[t.start..t.end]
            ));
        }
        let mut node = 0u32;
        for t in &toks {
            let form = &text[t.start..t.end];
            let id = if exact {
                match self.exact.get(form) {
                    Some(&id) => id,
                    None => {
                        let id = self.fresh_tok();
                        self.exact.insert(form.into(), id);
                        id
                    }
                }
            } else {
                self.folded_tok(form, lang)
            };
            let next = self.terminal.len() as u32;
            node = *self.edges.entry((node, id)).or_insert(next);
            if node == next {
                self.terminal.push(None);
            }
        }
        match self.terminal[node as usize] {
            Some(other) if other != entity => Err(format!(
                "name {name:?} is also a name of {:?}",
                self.entities[other as usize].id
            )),
            _ => {
                self.terminal[node as usize] = Some(entity);
                Ok(())
            }
        }
    }

    /// Token id of a folded name token, recording that `lang` lists it (and its stem,
    /// when the language inflects).
    fn folded_tok(&mut self, form: &str, lang: usize) -> u32 {
        let bit = 1u64 << lang;
        let id = match self.folded.get_mut(form) {
            Some(t) => {
                let first_for_lang = t.langs & bit == 0;
                t.langs |= bit;
                if !first_for_lang {
                    return t.id;
                }
                t.id
            }
            None => {
                let id = self.fresh_tok();
                self.folded
                    .insert(form.into(), FoldedTok { id, langs: bit });
                id
            }
        };
        let l = &self.languages[lang];
        if l.inflects {
            let stem = l
                .nominative_endings
                .iter()
                .find(|e| form.ends_with(e.as_str()))
                .map_or(form, |e| &form[..form.len() - e.len()]);
            if char_len(stem) >= l.min_stem {
                self.stems.entry(stem.into()).or_default().push((id, lang));
            }
        }
        id
    }

    /// Number of entities loaded.
    pub fn len(&self) -> usize {
        self.entities.len()
    }

    /// True when no entity is loaded.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }

    /// Entities mentioned in the article with their headline and body counts, by kind
    /// then id. Matches run on the folded forms (`headline_match`, `body_match`); names
    /// listed as `exact` run on the display forms.
    pub fn find(&self, article: &CleanArticle) -> Vec<EntityMention> {
        // entity → (headline count, body offsets)
        let mut found: Map<u32, (u32, Vec<u32>)> = Map::default();
        let mut scratch = Scratch::default();
        let headline = article.headline.as_deref().unwrap_or("");
        self.count(&article.headline_match, headline, &mut scratch, |e, _| {
            found.entry(e).or_default().0 += 1
        });
        let body = if self.exact.is_empty() {
            String::new()
        } else {
            article.body_text()
        };
        self.count(&article.body_match, &body, &mut scratch, |e, at| {
            found.entry(e).or_default().1.push(at as u32)
        });
        let mut out: Vec<EntityMention> = found
            .into_iter()
            .map(|(e, (h, offsets))| {
                let e = &self.entities[e as usize];
                EntityMention {
                    id: e.id.clone(),
                    kind: e.kind,
                    name: e.name.clone(),
                    uri: e.uri.clone(),
                    headline_count: h,
                    body_count: offsets.len() as u32,
                    body_offsets: offsets,
                }
            })
            .collect();
        out.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.id.cmp(&b.id)));
        out
    }

    /// Run the matcher over one text (folded form plus its display form for exact
    /// names), calling `hit` with the entity index and the byte offset (in `folded`) of
    /// every mention.
    fn count(&self, folded: &str, display: &str, s: &mut Scratch, mut hit: impl FnMut(u32, usize)) {
        tokenize(folded, &mut s.tokens);
        if s.tokens.is_empty() {
            return;
        }
        s.cands.clear();
        s.starts.clear();
        let use_display = !self.exact.is_empty() && {
            tokenize(display, &mut s.display);
            s.display.len() == s.tokens.len()
        };
        // A token's candidates depend on the token alone, and words repeat: each
        // distinct token is looked up once per text.
        s.memo.clear();
        let mut seen: Map<&str, (usize, usize)> = Map::default();
        for (i, t) in s.tokens.iter().enumerate() {
            s.starts.push(s.cands.len());
            let f = &folded[t.start..t.end];
            let (a, b) = *seen.entry(f).or_insert_with(|| {
                let a = s.memo.len();
                self.candidates(f, &mut s.memo, &mut s.buf);
                (a, s.memo.len())
            });
            s.cands.extend_from_slice(&s.memo[a..b]);
            if use_display {
                let d = s.display[i];
                if let Some(&id) = self.exact.get(&display[d.start..d.end]) {
                    s.cands.push((id, PLAIN));
                }
            }
        }
        s.starts.push(s.cands.len());
        let mut i = 0;
        while i < s.tokens.len() {
            let mut best = None;
            self.walk(s, 0, i, 0, 0, &mut best);
            match best {
                Some(Best { len, entity, .. }) => {
                    hit(entity, s.tokens[i].start);
                    i += len;
                }
                None => i += 1,
            }
        }
    }

    /// Every name token the text token `f` (folded) can stand for.
    fn candidates(&self, f: &str, out: &mut Vec<(u32, u8)>, buf: &mut String) {
        self.lookup(f, u64::MAX, PLAIN, out);
        self.with_suffixes(f, u64::MAX, PLAIN, out);
        if self.max_prefix_chars > 0 {
            for (k, (at, _)) in f.char_indices().skip(1).enumerate() {
                if k >= self.max_prefix_chars {
                    break;
                }
                let Some(p) = self.prefixes.get(&f[..at]) else {
                    continue;
                };
                let rest = &f[at..];
                // A name token is never a single letter, so "ب" + one letter is no name.
                if rest.chars().nth(1).is_none() {
                    continue;
                }
                self.lookup(rest, p.langs, CLITIC, out);
                self.with_suffixes(rest, p.langs, CLITIC, out);
                for (with, langs) in &p.rewrites {
                    buf.clear();
                    buf.push_str(with);
                    buf.push_str(rest);
                    self.lookup(buf, *langs, CLITIC, out);
                    self.with_suffixes(buf, *langs, CLITIC, out);
                }
            }
        }
        if self.max_ending_chars > 0 {
            for (k, (at, _)) in f.char_indices().rev().enumerate() {
                if k >= self.max_ending_chars || at == 0 {
                    break;
                }
                let Some(&langs) = self.endings.get(&f[at..]) else {
                    continue;
                };
                let stem = &f[..at];
                let Some(list) = self.stems.get(stem) else {
                    continue;
                };
                let stem_chars = char_len(stem);
                for &(id, lang) in list {
                    if langs & (1 << lang) != 0 && stem_chars >= self.languages[lang].min_stem {
                        out.push((id, INFLECT));
                    }
                }
            }
        }
    }

    fn lookup(&self, form: &str, langs: u64, via: u8, out: &mut Vec<(u32, u8)>) {
        if let Some(t) = self.folded.get(form) {
            if t.langs & langs != 0 {
                out.push((t.id, via));
            }
        }
    }

    fn with_suffixes(&self, form: &str, langs: u64, via: u8, out: &mut Vec<(u32, u8)>) {
        if self.max_suffix_chars == 0 {
            return;
        }
        for (k, (at, _)) in form.char_indices().rev().enumerate() {
            if k >= self.max_suffix_chars || at == 0 {
                break;
            }
            if let Some(&s_langs) = self.suffixes.get(&form[at..]) {
                if form[..at].chars().nth(1).is_some() {
                    self.lookup(&form[..at], langs & s_langs, via | SUFFIX, out);
                }
            }
        }
    }

    /// Depth-first walk of the trie from `node` with text token `start + depth`,
    /// keeping the best complete name seen.
    fn walk(
        &self,
        s: &Scratch,
        node: u32,
        start: usize,
        depth: usize,
        detours: u32,
        best: &mut Option<Best>,
    ) {
        let i = start + depth;
        if i >= s.tokens.len() || (depth > 0 && !s.tokens[i].joins) {
            return;
        }
        for &(tok, via) in &s.cands[s.starts[i]..s.starts[i + 1]] {
            if depth > 0 && via & CLITIC != 0 {
                continue;
            }
            let Some(&next) = self.edges.get(&(node, tok)) else {
                continue;
            };
            let detours = detours + u32::from(via != PLAIN);
            if let Some(entity) = self.terminal[next as usize] {
                let cand = Best {
                    len: depth + 1,
                    detours,
                    entity,
                };
                if best.as_ref().is_none_or(|b| cand.better_than(b)) {
                    *best = Some(cand);
                }
            }
            // A removed suffix ends the name.
            if via & SUFFIX == 0 {
                self.walk(s, next, start, depth + 1, detours, best);
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Best {
    len: usize,
    detours: u32,
    entity: u32,
}

impl Best {
    fn better_than(&self, other: &Best) -> bool {
        (other.len, self.detours, self.entity) < (self.len, other.detours, other.entity)
    }
}

/// Buffers reused across the texts of one article.
#[derive(Debug, Default)]
struct Scratch {
    tokens: Vec<Token>,
    display: Vec<Token>,
    cands: Vec<(u32, u8)>,
    starts: Vec<usize>,
    /// Candidates of each distinct token of the current text, end to end.
    memo: Vec<(u32, u8)>,
    buf: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const LANGS: [(&str, &str); 3] = [
        (
            "ar",
            r#"code = "ar"
name = "Arabic"
script = "Arabic"
[clitics]
prefixes = ["و", "ف", "ب", "ل", "ك", "ال", "وال", "بال", "وب", "لل"]
prefix_rewrites = [["لل", "ال"]]
"#,
        ),
        (
            "ru",
            r#"code = "ru"
name = "Russian"
script = "Cyrillic"
[inflection]
nominative_endings = ["ий", "а", "я", "ь", "й"]
endings = ["а", "у", "е", "ы", "и", "ом", "ой", "ым", "ого", "ому"]
min_stem = 3
"#,
        ),
        (
            "en",
            "code = \"en\"\nname = \"English\"\nscript = \"Latin\"\n",
        ),
    ];

    fn languages(list: &[(&str, &str)]) -> Languages {
        let files: Vec<DataFile> = list
            .iter()
            .map(|(code, text)| file(&format!("languages/{code}.toml"), text))
            .collect();
        Languages::from_files(&files).unwrap()
    }

    /// The gazetteer of `files` over the test languages.
    fn load(files: &[DataFile]) -> Result<Gazetteer, Vec<DataError>> {
        Gazetteer::from_files(files, &languages(&LANGS))
    }

    const ENTITIES: &str = r#"
[[entity]]
id = "kyiv"
kind = "place"
name = "Kyiv"
names.ar = ["كييف"]
names.en = ["Kyiv", "Kiev"]
names.ru = ["Киев"]

[[entity]]
id = "crimea"
kind = "place"
name = "Crimea"
names.ar = ["القرم"]
names.ru = ["Крым"]

[[entity]]
id = "moscow"
kind = "place"
name = "Moscow"
names.ar = ["موسكو"]
names.ru = ["Москва"]

[[entity]]
id = "kremlin"
kind = "organisation"
name = "Kremlin"
names.ar = ["الكرملين"]

[[entity]]
id = "nato"
kind = "organisation"
name = "NATO"
names.ar = ["ناتو", "حلف شمال الأطلسي"]
names.en = ["NATO"]

[[entity]]
id = "tokayev"
kind = "person"
name = "Kassym-Jomart Tokayev"
names.ar = ["قاسم جومارت توكاييف", "توكاييف"]
names.en = ["Kassym-Jomart Tokayev", "Tokayev"]
names.ru = ["Касым-Жомарт Токаев", "Токаев"]

[[entity]]
id = "zelensky"
kind = "person"
name = "Volodymyr Zelensky"
names.ru = ["Зеленский"]

[[entity]]
id = "astana"
kind = "place"
name = "Astana"
names.ar = ["نور سلطان"]
names.en = ["Astana", "Nur-Sultan"]

[[entity]]
id = "nazarbayev"
kind = "person"
name = "Nursultan Nazarbayev"
names.ar = ["نور سلطان نزارباييف"]

[[entity]]
id = "united_nations"
kind = "organisation"
name = "United Nations"
names.en = ["United Nations"]
exact.en = ["UN"]

[[entity]]
id = "unsc"
kind = "organisation"
name = "UN Security Council"
names.en = ["UN Security Council"]

[[entity]]
id = "united_states"
kind = "place"
name = "United States"
exact.en = ["US", "U.S."]
"#;

    fn file(name: &str, text: &str) -> DataFile {
        DataFile {
            name: name.to_string(),
            text: text.to_string(),
        }
    }

    fn gazetteer() -> Gazetteer {
        load(&[file("e.toml", ENTITIES)]).unwrap()
    }

    fn article(headline: &str, body: &str) -> CleanArticle {
        CleanArticle {
            id: "x-0".into(),
            source_id: "x".into(),
            index: 0,
            story_count: 1,
            format: Default::default(),
            encoding: "UTF-8".into(),
            headline: Some(headline.to_string()).filter(|h| !h.is_empty()),
            paragraphs: body.split("\n\n").map(str::to_string).collect(),
            truncated: false,
            dateline: None,
            published: None,
            publisher: None,
            credits: vec![],
            declared_language: None,
            removed: vec![],
            headline_match: fold(headline),
            body_match: fold(body),
        }
    }

    /// (id, headline count, body count) for a body-only text.
    fn found(body: &str) -> Vec<(String, u32)> {
        gazetteer()
            .find(&article("", body))
            .into_iter()
            .map(|m| (m.id, m.body_count))
            .collect()
    }

    fn ids(v: &[(&str, u32)]) -> Vec<(String, u32)> {
        v.iter().map(|(i, n)| (i.to_string(), *n)).collect()
    }

    #[test]
    fn arabic_clitics_on_the_first_word() {
        assert_eq!(
            found("وصل وفد وموسكو بكييف والكرملين قال لتوكاييف وبالكرملين"),
            ids(&[("tokayev", 1), ("kyiv", 1), ("moscow", 1), ("kremlin", 2)])
        );
        // ل + ال written لل; a name listed without ال also matches with it.
        assert_eq!(
            found("للكرملين للناتو والناتو"),
            ids(&[("kremlin", 1), ("nato", 2)])
        );
        // Harakat and hamza forms fold away.
        assert_eq!(found("مُوسْكُو وإلى موسكـــو"), ids(&[("moscow", 2)]));
    }

    #[test]
    fn arabic_words_containing_a_name_do_not_match() {
        // air-conditioning, Chievo, crimson, Ukrainian-style nisba
        assert_eq!(found("جهاز تكييف ولاعب كييفو والقرمزية الكرملينية"), vec![]);
        // A clitic is only allowed on the first word of a name.
        assert_eq!(found("حلف وشمال الأطلسي"), vec![]);
        assert_eq!(
            found("وقال حلف شمال الأطلسي إن القرم"),
            ids(&[("crimea", 1), ("nato", 1)])
        );
    }

    #[test]
    fn russian_case_endings() {
        assert_eq!(
            found("Встреча Токаева и Токаеву в Москве, из Москвы; над Москвой. Касым-Жомарта Токаева."),
            ids(&[("tokayev", 3), ("moscow", 3)])
        );
        assert_eq!(
            found("В Киеве и Киеву, из Крыма; Зеленского и Зеленскому"),
            ids(&[("zelensky", 2), ("crimea", 1), ("kyiv", 2)])
        );
        // Derived adjectives and unknown endings are not the name.
        assert_eq!(found("киевский московская зеленская крымчане"), vec![]);
    }

    #[test]
    fn english_possessive_and_case_sensitive_acronyms() {
        assert_eq!(
            found("Tokayev's aides met NATO's envoy in Kyiv’s centre."),
            ids(&[("tokayev", 1), ("kyiv", 1), ("nato", 1)])
        );
        assert_eq!(
            found("Let us go, un deux trois, said the U.S. envoy to the US."),
            ids(&[("united_states", 2)])
        );
        assert_eq!(found("The UN said"), ids(&[("united_nations", 1)]));
    }

    #[test]
    fn longest_match_wins() {
        assert_eq!(
            found("The UN Security Council and the UN met in Nur-Sultan."),
            ids(&[("astana", 1), ("united_nations", 1), ("unsc", 1)])
        );
        assert_eq!(
            found("الرئيس نور سلطان نزارباييف في نور سلطان"),
            ids(&[("nazarbayev", 1), ("astana", 1)])
        );
    }

    #[test]
    fn names_do_not_span_sentences_or_paragraphs() {
        assert_eq!(
            found("He is Kassym. Jomart Tokayev"),
            ids(&[("tokayev", 1)])
        );
        assert_eq!(found("في نور\n\nسلطان"), vec![]);
    }

    #[test]
    fn headline_and_body_are_counted_apart_and_sorted() {
        let g = gazetteer();
        let m = g.find(&article("بوتين في موسكو", "موسكو وكييف\n\nوقال توكاييف"));
        let got: Vec<_> = m
            .iter()
            .map(|m| (m.kind, m.id.as_str(), m.headline_count, m.body_count))
            .collect();
        assert_eq!(
            got,
            vec![
                (EntityKind::Person, "tokayev", 0, 1),
                (EntityKind::Place, "kyiv", 0, 1),
                (EntityKind::Place, "moscow", 1, 1),
            ]
        );
        assert_eq!(m[0].uri, "urn:wirefeed:entity:tokayev");
        assert_eq!(m[0].name, "Kassym-Jomart Tokayev");
    }

    #[test]
    fn suffixes_are_data_driven_and_end_the_name() {
        let langs = "code = \"ar\"\nname = \"A\"\nscript = \"Arabic\"\n[clitics]\nprefixes = [\"و\"]\nsuffixes = [\"ها\"]\n";
        let ents = "[[entity]]\nid = \"a\"\nkind = \"place\"\nname = \"A\"\nnames.ar = [\"موسكو\", \"نور سلطان\"]\n";
        let g =
            Gazetteer::from_files(&[file("e.toml", ents)], &languages(&[("ar", langs)])).unwrap();
        let m = g.find(&article("", "وموسكوها نورها سلطان نور سلطانها"));
        assert_eq!((m[0].id.as_str(), m[0].body_count), ("a", 2));
    }

    #[test]
    fn malformed_toml_reports_its_line() {
        let bad = "[[entity]]\nid = \"a\"\nkind = \"place\"\nname = A\nnames.en = [\"A\"]\n";
        let err = load(&[file("bad.toml", bad)]).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(
            (err[0].file.as_str(), err[0].line),
            ("bad.toml", 4),
            "{}",
            err[0]
        );
        let unknown_field =
            "[[entity]]\nid = \"a\"\nkind = \"place\"\nname = \"A\"\nnmes.en = [\"A\"]\n";
        let err = load(&[file("u.toml", unknown_field)]).unwrap_err();
        assert_eq!(
            (err[0].file.as_str(), err[0].line),
            ("u.toml", 5),
            "{}",
            err[0]
        );
        let bad_kind = "[[entity]]\nid = \"a\"\nkind = \"city\"\nname = \"A\"\n";
        let err = load(&[file("k.toml", bad_kind)]).unwrap_err();
        assert_eq!(err[0].line, 3, "{}", err[0]);
    }

    #[test]
    fn every_data_error_is_reported_with_file_and_line() {
        let second = "\n[[entity]]\nid = \"kyiv\"\nkind = \"place\"\nname = \"Kyiv again\"\n\n\
            [[entity]]\nid = \"empty\"\nkind = \"place\"\nname = \" \"\n\n\
            [[entity]]\nid = \"lang\"\nkind = \"place\"\nname = \"L\"\nnames.xx = [\"L\"]\n\n\
            [[entity]]\nid = \"Bad-Id\"\nkind = \"place\"\nname = \"B\"\n\n\
            [[entity]]\nid = \"clash\"\nkind = \"place\"\nname = \"C\"\nnames.ru = [\"Киев\"]\n\n\
            [[entity]]\nid = \"blank\"\nkind = \"place\"\nname = \"D\"\nnames.en = [\"--\"]\n";
        let err = load(&[file("e.toml", ENTITIES), file("second.toml", second)]).unwrap_err();
        let got: Vec<_> = err
            .iter()
            .map(|e| (e.file.as_str(), e.line, e.message.as_str()))
            .collect();
        assert_eq!(got.len(), 6, "{got:#?}");
        assert!(got.iter().all(|g| g.0 == "second.toml"));
        assert_eq!(got[0].1, 3);
        assert!(
            got[0].2.contains("duplicate entity id \"kyiv\""),
            "{}",
            got[0].2
        );
        assert!(got[0].2.contains("e.toml"));
        assert_eq!((got[1].1, got[1].2.contains("empty name")), (8, true));
        assert_eq!(
            (got[2].1, got[2].2.contains("unknown language \"xx\"")),
            (16, true)
        );
        assert_eq!((got[3].1, got[3].2.contains("[a-z0-9_]+")), (19, true));
        assert_eq!(
            (got[4].1, got[4].2.contains("also a name of \"kyiv\"")),
            (27, true)
        );
        assert_eq!((got[5].1, got[5].2.contains("no letters")), (33, true));
    }

    #[test]
    fn errors_point_at_the_value_not_at_a_comment_that_quotes_it() {
        // The bad name and the unknown `within` id are quoted in comments first; the
        // errors must point at the values themselves, with their columns.
        let text = "# \"--\" is not a name, \"nowhere\" is not an id\n\
                    [[entity]]\nid = \"a\"\nkind = \"place\"\nname = \"A\"\n\
                    names.en = [\"A\", \"--\"]\nwithin = [\"nowhere\"]\n";
        let err = load(&[file("c.toml", text)]).unwrap_err();
        let got: Vec<_> = err.iter().map(|e| (e.line, e.column)).collect();
        assert_eq!(got, vec![(6, 18), (7, 11)], "{err:#?}");
    }

    #[test]
    fn duplicate_id_in_the_same_file_points_at_the_second() {
        let text = "[[entity]]\nid = \"a\"\nkind = \"place\"\nname = \"A\"\n\
                    [[entity]]\nid = \"a\"\nkind = \"place\"\nname = \"A\"\n";
        let err = load(&[file("d.toml", text)]).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].line, 6);
    }

    #[test]
    fn builtin_data_loads() {
        let data = crate::data::DataSet::builtin();
        let langs = Languages::from_files(&data.languages).unwrap();
        let g = Gazetteer::from_files(&data.gazetteer, &langs).unwrap();
        assert!(g.len() >= 200);
    }

    #[test]
    fn chinese_names_match_inside_running_text() {
        let langs = [
            (
                "zh",
                "code = \"zh\"\nname = \"Chinese\"\nscript = \"Han\"\nspace_delimited = false\n",
            ),
            LANGS[2],
        ];
        let ents = "[[entity]]\nid = \"kz\"\nkind = \"place\"\nname = \"Kazakhstan\"\nnames.zh = [\"哈萨克斯坦\", \"哈薩克\"]\n\n\
                    [[entity]]\nid = \"putin\"\nkind = \"person\"\nname = \"Putin\"\nnames.zh = [\"普京\", \"弗拉基米尔·普京\"]\n";
        let g = Gazetteer::from_files(&[file("e.toml", ents)], &languages(&langs)).unwrap();
        let m = g.find(&article(
            "",
            "哈萨克斯坦总统表示，弗拉基米尔·普京和哈薩克官员会谈",
        ));
        let got: Vec<_> = m.iter().map(|m| (m.id.as_str(), m.body_count)).collect();
        assert_eq!(got, vec![("putin", 1), ("kz", 2)]);
    }

    #[test]
    fn within_sets_are_transitive_and_checked() {
        let ents = "[[entity]]\nid = \"kz\"\nkind = \"place\"\nname = \"K\"\n\n\
                    [[entity]]\nid = \"almaty_region\"\nkind = \"place\"\nname = \"AR\"\nwithin = [\"kz\"]\n\n\
                    [[entity]]\nid = \"almaty\"\nkind = \"place\"\nname = \"A\"\nwithin = [\"almaty_region\"]\n\n\
                    [[entity]]\nid = \"kyiv\"\nkind = \"place\"\nname = \"Ky\"\n";
        let g = load(&[file("e.toml", ents)]).unwrap();
        let kz = g.entity_index("kz").unwrap();
        let members: Vec<&str> = g.with_members(kz).iter().map(|&i| g.entity_id(i)).collect();
        assert_eq!(members, vec!["kz", "almaty_region", "almaty"]);
        let bad =
            "[[entity]]\nid = \"a\"\nkind = \"place\"\nname = \"A\"\nwithin = [\"nowhere\"]\n";
        let err = load(&[file("b.toml", bad)]).unwrap_err();
        assert_eq!(err[0].line, 5, "{}", err[0]);
    }
}
