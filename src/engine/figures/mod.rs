//! Reported figures: counts of killed, injured, arrested and displaced people stated
//! in an article, in any language that has a lexicon in `data/figures/`.
//!
//! Per sentence: fold → tokenise → match lexicon phrases (triggers, who-words,
//! number words, vague quantities, qualifiers) → assemble quantities → pair each
//! quantity with the nearest category trigger in the same clause → attach who.
//! A number with no trigger close by is never reported: that alone rules out most
//! years, prices and "70 aircraft"; explicit checks handle dates, ages, units,
//! percentages, times and phone numbers that do sit next to a trigger.

mod lexicon;
mod scan;

use std::collections::HashSet;

use crate::data::DataFile;
use crate::engine::normalize::fold_with_map;
use crate::error::DataError;
use crate::model::{Figure, FigureCategory, FigureWho, Qualifier, Quantity};

use lexicon::{flag, Lexicon, Script, Sense};
use scan::{Kind, Token};

/// Most non-filler words allowed between a quantity and its trigger.
const MAX_TRIGGER_GAP: usize = 3;
/// Extra distance for crossing a coordination ("… killed 5 and injured 10").
const CONJ_PENALTY: usize = 2;
/// Most non-filler words between a figure and its own who-word.
const MAX_WHO_GAP: usize = 2;
/// Most non-filler words between a group of coordinated figures and a shared who.
const MAX_GROUP_WHO_GAP: usize = 3;
/// Most items (light or not) any pairing or who scan looks across: keeps the work
/// per quantity constant however long a sentence or a run of fillers is.
const MAX_SCAN_ITEMS: usize = 12;

/// Compiled figure lexicons, one per language.
#[derive(Debug, Default)]
pub struct FigureRules {
    lexicons: Vec<Lexicon>,
    /// Union of all lexicons' abbreviations: segmentation runs before we know which
    /// lexicon a sentence needs.
    abbreviations: HashSet<String>,
}

/// One matched unit of a sentence: a lexicon phrase, an unknown word, a number, a
/// clause break or a symbol. `start..end` are folded char indices in the sentence.
#[derive(Debug, Clone)]
struct Item<'a> {
    kind: ItemKind<'a>,
    start: usize,
    end: usize,
    /// Start of the text proper, after a stripped proclitic.
    text_start: usize,
    /// Coordinated with what precedes it ("و…", "and").
    conj: bool,
}

#[derive(Debug, Clone)]
enum ItemKind<'a> {
    Word(Option<&'a Sense>),
    Number(&'a scan::Num),
    Clause,
    Symbol(char),
}

impl Item<'_> {
    fn sense(&self) -> Option<&Sense> {
        match self.kind {
            ItemKind::Word(s) => s,
            _ => None,
        }
    }
    fn has(&self, f: u16) -> bool {
        self.sense().is_some_and(|s| s.has(f))
    }
    /// Doesn't count as distance between a number and its trigger or who.
    fn is_light(&self) -> bool {
        self.sense().is_some_and(|s| {
            s.has(flag::FILLER | flag::PERSON | flag::CONJ)
                || s.who.is_some()
                || s.qualifier_after.is_some()
        })
    }
}

/// A quantity found in a sentence: items `first..last` (inclusive).
#[derive(Debug, Clone)]
struct Quant {
    first: usize,
    last: usize,
    /// First item of the number proper (after a leading qualifier).
    num_first: usize,
    value: Option<u64>,
    vague: Option<usize>,
    qualifier: Qualifier,
}

impl FigureRules {
    /// Parse and compile every figures data file; reports all bad files and entries.
    pub fn from_files(files: &[DataFile]) -> Result<FigureRules, Vec<DataError>> {
        let mut errors = Vec::new();
        let mut lexicons = Vec::new();
        for f in files {
            match Lexicon::from_file(f) {
                Ok(l) => lexicons.push(l),
                Err(e) => errors.extend(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let abbreviations = lexicons
            .iter()
            .flat_map(|l| l.abbreviations.iter().cloned())
            .collect();
        Ok(FigureRules {
            lexicons,
            abbreviations,
        })
    }

    /// All figures in `body_text`, sorted by sentence then category. `lang` is a hint:
    /// a sentence is matched with the lexicons of its script, preferring `lang`'s.
    pub fn extract(&self, body_text: &str, lang: &str) -> Vec<Figure> {
        if self.lexicons.is_empty() {
            return Vec::new();
        }
        let chars: Vec<char> = body_text.chars().collect();
        let mut out = Vec::new();
        for (s, e) in scan::sentences(&chars, &self.abbreviations) {
            let sentence = &chars[s..e];
            let Some(script) = dominant_script(sentence) else {
                continue;
            };
            let candidates: Vec<&Lexicon> = self
                .lexicons
                .iter()
                .filter(|l| l.script == script)
                .collect();
            let preferred: Vec<&Lexicon> = candidates
                .iter()
                .copied()
                .filter(|l| l.language == lang)
                .collect();
            let chosen = if preferred.is_empty() {
                candidates
            } else {
                preferred
            };
            if chosen.is_empty() {
                continue;
            }
            let text: String = sentence.iter().collect();
            let (folded, map) = fold_with_map(&text);
            let fchars: Vec<char> = folded.chars().collect();
            let tokens = scan::tokenize(&fchars);
            if !tokens.iter().any(|t| matches!(t.kind, Kind::Number(_))) && !has_letters(&tokens) {
                continue;
            }
            for lex in chosen {
                for f in sentence_figures(lex, &tokens) {
                    let orig = |fi: usize| map.get(fi).copied().unwrap_or(sentence.len());
                    let qs = orig(f.text_start);
                    let qe = f
                        .text_end
                        .checked_sub(1)
                        .and_then(|i| map.get(i))
                        .map_or(qs, |&i| i + 1);
                    out.push(Figure {
                        category: f.category,
                        quantity: Quantity {
                            text: sentence[qs.min(qe)..qe].iter().collect(),
                            value: f.value,
                            qualifier: f.qualifier,
                            vague: f.vague.map(|v| lex.vague_labels[v].clone()),
                        },
                        who: f.who,
                        span: (s, e),
                        sentence: text.clone(),
                    });
                }
            }
        }
        out.sort_by_key(|f| (f.span.0, category_rank(f.category)));
        let mut seen = HashSet::new();
        out.retain(|f| {
            seen.insert((
                f.span,
                f.category,
                f.quantity.value,
                f.quantity.vague.clone(),
            ))
        });
        out
    }
}

fn has_letters(tokens: &[Token]) -> bool {
    tokens.iter().any(|t| matches!(t.kind, Kind::Word(_)))
}

fn category_rank(c: FigureCategory) -> u8 {
    match c {
        FigureCategory::Killed => 0,
        FigureCategory::Injured => 1,
        FigureCategory::Arrested => 2,
        FigureCategory::Displaced => 3,
    }
}

/// The script most letters of the sentence are written in.
fn dominant_script(s: &[char]) -> Option<Script> {
    let (mut ar, mut la, mut cy) = (0usize, 0usize, 0usize);
    for &c in s {
        match c {
            '\u{0600}'..='\u{06FF}'
            | '\u{0750}'..='\u{077F}'
            | '\u{08A0}'..='\u{08FF}'
            | '\u{FB50}'..='\u{FDFF}'
            | '\u{FE70}'..='\u{FEFF}' => ar += 1,
            '\u{0400}'..='\u{04FF}' => cy += 1,
            c if c.is_alphabetic() && (c as u32) < 0x0250 => la += 1,
            _ => {}
        }
    }
    let max = ar.max(la).max(cy);
    if max == 0 {
        None
    } else if max == ar {
        Some(Script::Arabic)
    } else if max == cy {
        Some(Script::Cyrillic)
    } else {
        Some(Script::Latin)
    }
}

/// A figure in folded-sentence coordinates.
struct RawFigure {
    category: FigureCategory,
    value: Option<u64>,
    vague: Option<usize>,
    qualifier: Qualifier,
    who: Option<FigureWho>,
    text_start: usize,
    text_end: usize,
}

/// Match the lexicon over the tokens: longest phrase at each word, left to right.
fn items<'a>(lex: &'a Lexicon, tokens: &'a [Token]) -> Vec<Item<'a>> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let item = match &t.kind {
            Kind::Word(_) => {
                // the run of adjacent word tokens a phrase may span
                let words: Vec<&str> = tokens[i..]
                    .iter()
                    .map_while(|t| match &t.kind {
                        Kind::Word(w) => Some(w.as_str()),
                        _ => None,
                    })
                    .take(6)
                    .collect();
                match lex.match_at(&words) {
                    Some(m) => {
                        let last = &tokens[i + m.tokens - 1];
                        let it = Item {
                            kind: ItemKind::Word(Some(m.sense)),
                            start: t.start,
                            end: last.end,
                            text_start: t.start + m.prefix_chars,
                            conj: m.conj || m.sense.has(flag::CONJ),
                        };
                        i += m.tokens;
                        out.push(it);
                        continue;
                    }
                    None => ItemKind::Word(None),
                }
            }
            Kind::Number(n) => ItemKind::Number(n),
            Kind::Clause => ItemKind::Clause,
            Kind::Symbol(c) => ItemKind::Symbol(*c),
        };
        out.push(Item {
            kind: item,
            start: t.start,
            end: t.end,
            text_start: t.start,
            conj: false,
        });
        i += 1;
    }
    out
}

/// Build the quantities of a sentence from its items.
fn quantities(items: &[Item]) -> Vec<Quant> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let Some(q) = quantity_at(items, i) else {
            i += 1;
            continue;
        };
        i = q.last + 1;
        if is_count(items, &q) {
            out.push(q);
        }
    }
    out
}

/// A quantity whose number starts at item `i`, with its qualifiers.
fn quantity_at(items: &[Item], i: usize) -> Option<Quant> {
    let (value, vague, mut last) = match &items[i].kind {
        ItemKind::Number(n) => {
            let int = n.int?;
            let mut v = int as f64 + n.frac;
            let mut last = i;
            if let Some(scale) = items.get(i + 1).and_then(Item::sense).and_then(|s| s.scale) {
                v *= scale as f64;
                last = i + 1;
                // "2 тысячи 635": the remainder after the scale word
                if let Some(ItemKind::Number(rest)) = items.get(i + 2).map(|it| &it.kind) {
                    if let Some(r) = rest.int.filter(|&r| !rest.has_frac && r < scale) {
                        v += r as f64;
                        last = i + 2;
                    }
                }
            } else if n.has_frac {
                // "2.5" alone is a measurement, not a head count
                return None;
            }
            if v > u64::MAX as f64 / 2.0 {
                return None;
            }
            (Some(v.round() as u64), None, last)
        }
        ItemKind::Word(Some(s)) if s.number.is_some() || s.scale.is_some() || s.vague.is_some() => {
            // a vague word alone ("dozens", "آلاف", "тысячи"); a scale word it is
            // only after a number
            let after_qualifier = i
                .checked_sub(1)
                .and_then(|p| items[p].sense())
                .is_some_and(|p| p.qualifier_before.is_some());
            if s.vague.is_some() && s.number.is_none() && !(after_qualifier && s.scale.is_some()) {
                // "more than a thousand" / "более тысячи" is a number, not "thousands"
                (None, s.vague, i)
            } else {
                let (v, last) = compose_words(items, i);
                (Some(v), None, last)
            }
        }
        _ => return None,
    };
    // "one" as a word is mostly a pronoun ("one of", "the largest one"): only a count
    // next to a person, who or trigger word ("one person", "شخص واحد", "один погибший")
    if value == Some(1) && matches!(items[i].kind, ItemKind::Word(_)) {
        let counts = |it: Option<&Item>| {
            it.and_then(Item::sense)
                .is_some_and(|s| s.has(flag::PERSON) || s.who.is_some() || s.trigger.is_some())
        };
        let qualified = i
            .checked_sub(1)
            .and_then(|p| items[p].sense())
            .is_some_and(|s| s.qualifier_before.is_some());
        if !qualified
            && !counts(items.get(last + 1))
            && !counts(i.checked_sub(1).map(|p| &items[p]))
        {
            return None;
        }
    }
    // "0 killed" reports no casualties: nothing to extract
    if value == Some(0) {
        return None;
    }
    let mut first = i;
    let mut qualifier = Qualifier::Exact;
    if let Some(q) = i
        .checked_sub(1)
        .and_then(|p| items[p].sense())
        .and_then(|s| s.qualifier_before)
    {
        qualifier = q;
        first = i - 1;
    }
    // second end of a range ("between 200 and 300", "от 5 до 15"): at most
    if qualifier == Qualifier::Exact
        && i >= 2
        && items[i - 1].has(flag::RANGE)
        && matches!(items[i - 2].kind, ItemKind::Number(_))
    {
        qualifier = Qualifier::Max;
    }
    // trailing qualifier, possibly after the counted noun ("18 فردا على الأقل")
    let mut k = last + 1;
    let mut skipped = 0;
    while let Some(it) = items.get(k) {
        if let Some(q) = it.sense().and_then(|s| s.qualifier_after) {
            if qualifier == Qualifier::Exact {
                qualifier = q;
            }
            if skipped == 0 {
                last = k;
            }
            break;
        }
        let noun = it.has(flag::FILLER | flag::PERSON)
            || it
                .sense()
                .is_some_and(|s| s.trigger.is_some() || s.who.is_some());
        if skipped >= 1 || !noun {
            break;
        }
        skipped += 1;
        k += 1;
    }
    Some(Quant {
        first,
        last,
        num_first: i,
        value,
        vague,
        qualifier,
    })
}

/// Value of a run of number words starting at `i` ("two hundred and fifty thousand",
/// "خمسة وعشرون", "три тысячи"). Returns the value and the last item used.
fn compose_words(items: &[Item], i: usize) -> (u64, usize) {
    let (mut total, mut current): (u64, u64) = (0, 0);
    let mut last = i;
    let mut k = i;
    while let Some(s) = items.get(k).and_then(Item::sense) {
        if k > i
            && items[k].has(flag::CONJ)
            && items[k]
                .sense()
                .is_some_and(|s| s.number.is_none() && s.scale.is_none())
        {
            // a standalone "and" continues the run only before another number word
            let next_is_num = items
                .get(k + 1)
                .and_then(Item::sense)
                .is_some_and(|n| n.number.is_some());
            if next_is_num {
                k += 1;
                continue;
            }
            break;
        }
        if let Some(n) = s.number {
            current = current.saturating_add(n);
        } else if let Some(sc) = s.scale {
            if sc < 1000 {
                current = current.max(1).saturating_mul(sc);
            } else {
                total = total.saturating_add(current.max(1).saturating_mul(sc));
                current = 0;
            }
        } else {
            break;
        }
        last = k;
        k += 1;
    }
    (total.saturating_add(current), last)
}

/// Rule out numbers that are not head counts: dates, ages, units, money, times,
/// percentages, ordinals ("5th"), phone numbers and bare years.
fn is_count(items: &[Item], q: &Quant) -> bool {
    let num = &items[q.num_first];
    let before = q.first.checked_sub(1).map(|p| &items[p]);
    let after = items.get(q.last + 1);
    let glued = |a: &Item, b: &Item| a.end == b.start;
    let is_num = |it: Option<&Item>| it.is_some_and(|it| matches!(it.kind, ItemKind::Number(_)));
    if let Some(b) = before {
        if b.has(flag::MONTH | flag::AGE) {
            return false;
        }
        // a unit word before digits labels them: "الدقيقة 30", "عام 2014" (word
        // numbers after a unit are counts again: "к этому часу трое раненых")
        if b.has(flag::UNIT) && matches!(num.kind, ItemKind::Number(_)) {
            return false;
        }
        // "الدقيقة الـ 26", "العام الـ 2014": a unit word, a detached article, the number
        let before2 = q.first.checked_sub(2).map(|p| &items[p]);
        let article = matches!(b.kind, ItemKind::Word(None)) && b.end - b.start <= 2;
        if article && before2.is_some_and(|b2| b2.has(flag::UNIT | flag::YEAR_BEFORE)) {
            return false;
        }
        if matches!(b.kind, ItemKind::Symbol(_)) && glued(b, &items[q.first]) {
            return false;
        }
        if matches!(
            b.kind,
            ItemKind::Symbol('$' | '€' | '£' | '₽' | '+' | '#' | '№')
        ) {
            return false;
        }
    }
    // the item right after the number itself (before any trailing qualifier)
    let next = items.get(q.num_first + 1);
    if let Some(a) = next {
        if let ItemKind::Number(_) = num.kind {
            // "5th", "10km", "12-year-old", "11:47", "6/1": glued to the number
            let is_scale = a.sense().is_some_and(|s| s.scale.is_some());
            let word_or_symbol = matches!(a.kind, ItemKind::Word(_) | ItemKind::Symbol(_));
            if glued(num, a) && word_or_symbol && !is_scale {
                return false;
            }
        }
        if a.has(flag::MONTH | flag::UNIT) {
            return false;
        }
        if matches!(a.kind, ItemKind::Symbol('%' | '٪' | '$' | '€' | '£' | '₽')) {
            return false;
        }
    }
    if let Some(a) = after {
        if a.has(flag::MONTH | flag::UNIT) || matches!(a.kind, ItemKind::Symbol('%' | '٪')) {
            return false;
        }
        // first end of a range ("between 57 and 71 months"): the second end, which
        // carries the unit, speaks for both
        if a.has(flag::RANGE) && is_num(items.get(q.last + 2)) {
            return false;
        }
    }
    // an age shortly after ("في الأربعين من العمر", "40 years of age")
    if items[q.last + 1..]
        .iter()
        .take(2)
        .any(|it| it.has(flag::AGE))
    {
        return false;
    }
    // runs of numbers are phone numbers, ids or scores, not head counts
    if is_num(before) || is_num(next) {
        return false;
    }
    if let ItemKind::Number(n) = num.kind {
        if n.leading_zero {
            return false;
        }
        let year_like = n.plain && n.digits == 4 && (1800..=2100).contains(&n.int.unwrap_or(0));
        if year_like && before.is_some_and(|b| b.has(flag::YEAR_BEFORE)) {
            return false;
        }
        // a bare four-digit number in the year range is a year unless something
        // says it counts people ("more than 2000 people", "2000 killed")
        if n.plain
            && n.digits == 4
            && (1800..=2100).contains(&n.int.unwrap_or(0))
            && q.qualifier == Qualifier::Exact
        {
            let counts = next
                .and_then(Item::sense)
                .is_some_and(|s| s.has(flag::PERSON) || s.who.is_some() || s.trigger.is_some());
            if !counts {
                return false;
            }
        }
    }
    true
}

/// Distance from item `a` to item `b` (exclusive both, a < b): non-light words, or
/// `None` if a clause break, a number or another trigger lies between. The bool says
/// whether a coordination lies between.
fn gap(items: &[Item], a: usize, b: usize, blocked: &[bool]) -> Option<(usize, bool)> {
    let mut n = 0;
    let mut conj = false;
    for k in a + 1..b {
        let it = &items[k];
        if blocked[k] || matches!(it.kind, ItemKind::Clause | ItemKind::Number(_)) {
            return None;
        }
        if it.sense().is_some_and(|s| s.trigger.is_some()) {
            return None;
        }
        // a standalone "and"/"و" between; a "و…" clitic inside the counted noun
        // phrase ("77 عسكريا وأفراد أسرهم قتلوا") does not separate
        if it.has(flag::CONJ) {
            conj = true;
        }
        if !it.is_light() {
            n += 1;
        }
    }
    Some((n, conj))
}

fn sentence_figures(lex: &Lexicon, tokens: &[Token]) -> Vec<RawFigure> {
    let items = items(lex, tokens);
    let quants = quantities(&items);
    if quants.is_empty() {
        return Vec::new();
    }
    // items covered by a quantity: a trigger is never paired across another number
    let mut in_quant = vec![false; items.len()];
    for q in &quants {
        for b in &mut in_quant[q.first..=q.last] {
            *b = true;
        }
    }
    let triggers: Vec<usize> = (0..items.len())
        .filter(|&k| !in_quant[k] && items[k].sense().is_some_and(|s| s.trigger.is_some()))
        .collect();

    // (quantity, trigger item, extent first, extent last)
    let mut paired: Vec<(&Quant, usize, usize, usize)> = Vec::new();
    for q in &quants {
        let mut best: Option<(usize, bool, usize)> = None; // (cost, is_after, trigger)
                                                           // only triggers within reach (`triggers` is sorted)
        let lo = triggers.partition_point(|&t| t + MAX_SCAN_ITEMS < q.first);
        let hi = triggers.partition_point(|&t| t <= q.last + MAX_SCAN_ITEMS);
        for &t in &triggers[lo..hi] {
            let cand = if t > q.last {
                // trigger after: a coordination between, or on the trigger itself,
                // separates them ("5 قتلى وجرحى")
                gap(&items, q.last, t, &in_quant).map(|(g, c)| (g, c || items[t].conj, true))
            } else if t < q.first {
                // trigger before: a coordination on the quantity separates them
                gap(&items, t, q.first, &in_quant)
                    .map(|(g, c)| (g, c || items[q.first].conj, false))
            } else {
                None
            };
            let Some((g, c, after)) = cand else { continue };
            if g > MAX_TRIGGER_GAP {
                continue;
            }
            let cost = g + if c { CONJ_PENALTY } else { 0 };
            if cost > MAX_TRIGGER_GAP {
                continue;
            }
            let better = match best {
                None => true,
                Some((bc, ba, _)) => cost < bc || (cost == bc && after && !ba),
            };
            if better {
                best = Some((cost, after, t));
            }
        }
        if let Some((_, _, t)) = best {
            paired.push((q, t, q.first.min(t), q.last.max(t)));
        }
    }

    // extents of all figures: a figure's own who-word never lies inside another's
    let mut owned = vec![false; items.len()];
    for &(_, _, a, b) in &paired {
        for o in &mut owned[a..=b] {
            *o = true;
        }
    }
    let who_at = |k: usize| -> Option<FigureWho> {
        let w = items[k].sense()?.who?;
        // next to a reporting word the who-word is the source: "police said"
        let reporting = |j: Option<usize>| {
            j.and_then(|j| items.get(j))
                .is_some_and(|it| it.has(flag::REPORTING))
        };
        if reporting(k.checked_sub(1)) || reporting(Some(k + 1)) {
            return None;
        }
        Some(w)
    };
    // The who-word for items [a, b]: first looking forward from b ("3 soldiers",
    // "18 of the security forces were killed", "arrested 300 protesters"), then, if
    // `back`, backward from a. Backward is only tried when the trigger follows the
    // number: before a "trigger … number" figure a who-word is usually the agent
    // ("police arrested 30", "اعتقلت الشرطة 30"). Stops at clause breaks, at other
    // figures' extents (`own` = ours) and after `max` non-light words.
    let find_who = |a: usize, b: usize, back: bool, max: usize, own: &dyn Fn(usize) -> bool| {
        let scan = |forward: bool| -> Option<FigureWho> {
            let mut dist = 0;
            let mut k = if forward { b + 1 } else { a.checked_sub(1)? };
            let mut steps = 0;
            while let Some(it) = items.get(k) {
                steps += 1;
                if steps > MAX_SCAN_ITEMS {
                    return None;
                }
                if matches!(it.kind, ItemKind::Clause) || (owned[k] && !own(k)) {
                    return None;
                }
                if let Some(w) = who_at(k) {
                    return Some(w);
                }
                // past a trigger or "including" the who-words describe something else
                if it.has(flag::SUBSET) || it.sense().is_some_and(|s| s.trigger.is_some()) {
                    return None;
                }
                if !it.is_light() {
                    dist += 1;
                    if dist > max {
                        return None;
                    }
                }
                k = if forward { k + 1 } else { k.checked_sub(1)? };
            }
            None
        };
        scan(true).or_else(|| if back { scan(false) } else { None })
    };

    // coordinated figures ("16 killed and over 1,600 injured among police") share a
    // who stated once for the group
    let mut order: Vec<usize> = (0..paired.len()).collect();
    order.sort_by_key(|&p| paired[p].2);
    let mut group_of = vec![0usize; paired.len()];
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for &p in &order {
        let (_, _, a, b) = paired[p];
        // overlapping or separated only by light words ("و", "and", "people")
        let joins = groups.last().is_some_and(|&(_, gb)| {
            a <= gb
                || (gb + 1..a)
                    .all(|k| items[k].is_light() && !matches!(items[k].kind, ItemKind::Clause))
        });
        if joins {
            let g = groups.len() - 1;
            groups[g].1 = groups[g].1.max(b);
            group_of[p] = g;
        } else {
            groups.push((a, b));
            group_of[p] = groups.len() - 1;
        }
    }

    let mut out = Vec::new();
    for (p, &(q, t, a, b)) in paired.iter().enumerate() {
        let own = |k: usize| k >= a && k <= b;
        let (ga, gb) = groups[group_of[p]];
        let in_group = |k: usize| k >= ga && k <= gb;
        let who = find_who(q.first, q.last, t > q.last, MAX_WHO_GAP, &own)
            .or_else(|| find_who(ga, gb, false, MAX_GROUP_WHO_GAP, &in_group));
        let category = items[t]
            .sense()
            .and_then(|s| s.trigger)
            .expect("paired with a trigger item");
        out.push(RawFigure {
            category,
            value: q.value,
            vague: q.vague,
            qualifier: q.qualifier,
            who,
            text_start: items[q.first].text_start,
            text_end: items[q.num_first..=q.last]
                .iter()
                .rev()
                .find(|it| ends_quantity_text(it))
                .map_or(items[q.num_first].end, |it| it.end),
        });
    }
    out
}

/// The quantity's text ends at the number, not at a trailing qualifier or noun.
fn ends_quantity_text(it: &Item) -> bool {
    it.sense()
        .is_none_or(|s| s.qualifier_after.is_none() && !s.has(flag::FILLER | flag::PERSON))
}

#[cfg(test)]
mod tests;
