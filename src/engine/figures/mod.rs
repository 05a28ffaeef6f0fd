//! Reported figures: counts of killed, injured, arrested and displaced people stated
//! in an article, in any language that has a lexicon in `data/figures/`.
//!
//! Per sentence: fold → tokenise (Chinese one character per token) → match lexicon
//! phrases (triggers, who-words, number words, vague quantities, qualifiers) →
//! assemble quantities (digit groups, scale words, number words, ranges as their lower
//! bound) → pair each quantity with the nearest category trigger in the same clause →
//! let lists and subsets share a trigger stated once → attach who.
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
/// Most words of an "including …" aside between a number and its trigger that do
/// not count as distance.
const MAX_ASIDE_WORDS: usize = 3;
/// Most non-filler words between a figure and its own who-word.
const MAX_WHO_GAP: usize = 2;
/// Most words of an attribution aside between clause marks ("– według danych ONZ –").
const MAX_ATTRIBUTION_WORDS: usize = 4;
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
    /// A Chinese character: glued to a number it is a word of its own ("3人"), not
    /// a unit suffix like "10km".
    han: bool,
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
    /// A range ("30-70", "between 30 and 70"): `value` is its lower bound.
    range: bool,
}

impl FigureRules {
    /// Parse and compile every figures data file; reports all bad files and entries.
    pub fn from_files(
        files: &[DataFile],
        languages: &crate::engine::language::Languages,
    ) -> Result<FigureRules, Vec<DataError>> {
        let mut errors = Vec::new();
        let mut lexicons = Vec::new();
        for f in files {
            match Lexicon::from_file(f, languages) {
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
    let (mut ar, mut la, mut cy, mut han) = (0usize, 0usize, 0usize, 0usize);
    for &c in s {
        match c {
            c if scan::is_han(c) => han += 1,
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
    let max = ar.max(la).max(cy).max(han);
    if max == 0 {
        None
    } else if max == han {
        Some(Script::Han)
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
                            han: is_han_word(t),
                        };
                        i += m.tokens;
                        out.push(it);
                        continue;
                    }
                    None => ItemKind::Word(None),
                }
            }
            Kind::Number(n) => {
                // "695-ін", "200'den": a case ending glued on is part of the number
                let suffix = number_suffix(lex, tokens, i);
                out.push(Item {
                    kind: ItemKind::Number(n),
                    start: t.start,
                    end: suffix.map_or(t.end, |k| tokens[k].end),
                    text_start: t.start,
                    conj: false,
                    han: false,
                });
                i = suffix.map_or(i + 1, |k| k + 1);
                continue;
            }
            Kind::Clause => ItemKind::Clause,
            Kind::Symbol(c) => ItemKind::Symbol(*c),
        };
        out.push(Item {
            kind: item,
            start: t.start,
            end: t.end,
            text_start: t.start,
            conj: false,
            han: is_han_word(t),
        });
        i += 1;
    }
    out
}

fn is_han_word(t: &Token) -> bool {
    matches!(&t.kind, Kind::Word(w) if w.chars().next().is_some_and(scan::is_han))
}

/// The token index of a case ending glued to the number at `i` by a hyphen or an
/// apostrophe, if the lexicon lists it as a number suffix.
fn number_suffix(lex: &Lexicon, tokens: &[Token], i: usize) -> Option<usize> {
    let (sep, word) = (tokens.get(i + 1)?, tokens.get(i + 2)?);
    let glued = tokens[i].end == sep.start && sep.end == word.start;
    let Kind::Word(w) = &word.kind else {
        return None;
    };
    if !glued || !matches!(sep.kind, Kind::Symbol('-' | '\'')) {
        return None;
    }
    let m = lex.match_at(&[w.as_str()])?;
    (m.sense.has(flag::SUFFIX) && m.prefix_chars == 0).then_some(i + 2)
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

/// The number proper at item `i`: its value (or vague label) and its last item.
struct NumberAt {
    value: Option<u64>,
    vague: Option<usize>,
    last: usize,
}

/// A number written in digits (with a scale word after it: "2,3 mln", "2万"), a run
/// of number words, or a vague quantity word.
fn number_at(items: &[Item], i: usize) -> Option<NumberAt> {
    match &items[i].kind {
        ItemKind::Number(n) => digits_at(items, i, n),
        ItemKind::Word(Some(s)) if s.number.is_some() || s.scale.is_some() || s.vague.is_some() => {
            // a vague word alone ("dozens", "آلاف", "тысячи"); a scale word it is
            // only after a number
            let after_qualifier = i
                .checked_sub(1)
                .and_then(|p| items[p].sense())
                .is_some_and(|p| p.qualifier_before.is_some());
            if s.vague.is_some() && s.number.is_none() && !(after_qualifier && s.scale.is_some()) {
                // "more than a thousand" / "более тысячи" is a number, not "thousands"
                Some(NumberAt {
                    value: None,
                    vague: s.vague,
                    last: i,
                })
            } else {
                let (v, last) = compose_words(items, i);
                Some(NumberAt {
                    value: Some(v),
                    vague: None,
                    last,
                })
            }
        }
        _ => None,
    }
}

fn digits_at(items: &[Item], i: usize, n: &scan::Num) -> Option<NumberAt> {
    let int = n.int?;
    let mut v = int as f64 + n.frac;
    let mut last = i;
    if let Some(scale) = items.get(i + 1).and_then(Item::sense).and_then(|s| s.scale) {
        v *= scale as f64;
        last = i + 1;
        // "2 тысячи 635", "2 миллион 316 мың": the remainder after the scale word
        if let Some(ItemKind::Number(rest)) = items.get(i + 2).map(|it| &it.kind) {
            if let Some(r) = rest.int.filter(|&r| !rest.has_frac && r < scale) {
                v += r as f64;
                last = i + 2;
                if let Some(small) = items.get(i + 3).and_then(Item::sense).and_then(|s| s.scale) {
                    if small < scale && r * small < scale {
                        v += (r * small - r) as f64;
                        last = i + 3;
                    }
                }
            }
        }
    } else if n.has_frac {
        // "2.5" alone is a measurement, not a head count
        return None;
    }
    if v > u64::MAX as f64 / 2.0 {
        return None;
    }
    Some(NumberAt {
        value: Some(v.round() as u64),
        vague: None,
        last,
    })
}

/// "one" as a word is mostly a pronoun ("one of", "the largest one"): only a count
/// next to a person, who or trigger word ("one person", "شخص واحد", "один погибший")
/// or after a qualifier ("at least one").
fn word_one_counts(items: &[Item], i: usize, last: usize) -> bool {
    let counts = |it: Option<&Item>| {
        it.and_then(Item::sense)
            .is_some_and(|s| s.has(flag::PERSON) || s.who.is_some() || s.trigger.is_some())
    };
    let qualified = i
        .checked_sub(1)
        .and_then(|p| items[p].sense())
        .is_some_and(|s| s.qualifier_before.is_some());
    qualified || counts(items.get(last + 1)) || counts(i.checked_sub(1).map(|p| &items[p]))
}

/// The second end of a range after the number that ends at `last`: "30-70",
/// "30 to 70", "от 5 до 15", or "30 and 70" after "between" (`between`). Returns the
/// last item of the second end. Ranges of years ("2014-2022") are not ranges of people.
fn range_end(items: &[Item], first: &NumberAt, last: usize, between: bool) -> Option<usize> {
    let link = items.get(last + 1)?;
    let joins = match link.kind {
        ItemKind::Symbol('-') => true,
        _ => link.has(flag::RANGE) || (between && link.has(flag::CONJ)),
    };
    if !joins
        || !matches!(
            items.get(last + 2)?.kind,
            ItemKind::Number(_) | ItemKind::Word(Some(_))
        )
    {
        return None;
    }
    let second = number_at(items, last + 2)?;
    let (lo, hi) = (first.value?, second.value?);
    let year = |v: u64| (1800..=2100).contains(&v);
    if lo >= hi || (year(lo) && year(hi)) {
        return None;
    }
    Some(second.last)
}

/// A quantity whose number starts at item `i`, with its qualifiers. A range keeps
/// its lower bound, as a minimum.
fn quantity_at(items: &[Item], i: usize) -> Option<Quant> {
    let number = number_at(items, i)?;
    let mut last = number.last;
    if number.value == Some(1)
        && matches!(items[i].kind, ItemKind::Word(_))
        && !word_one_counts(items, i, last)
    {
        return None;
    }
    // "0 killed" reports no casualties: nothing to extract
    if number.value == Some(0) {
        return None;
    }
    let before = i.checked_sub(1).and_then(|p| items[p].sense());
    let mut first = i;
    let mut qualifier = Qualifier::Exact;
    if let Some(q) = before.and_then(|s| s.qualifier_before) {
        qualifier = q;
        first = i - 1;
    }
    let between = before.is_some_and(|s| s.has(flag::BETWEEN));
    if between && first == i {
        first = i - 1;
    }
    let mut range = false;
    if let Some(end) = range_end(items, &number, last, between) {
        qualifier = Qualifier::Min;
        last = end;
        range = true;
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
        value: number.value,
        vague: number.vague,
        qualifier,
        range,
    })
}

/// Value of a run of number words starting at `i` ("two hundred and fifty thousand",
/// "خمسة وعشرون", "три тысячи", "三百二十", "两万"). Scales below a thousand
/// multiply the digits just before them and add to the current section; larger
/// scales close the section. Returns the value and the last item used.
fn compose_words(items: &[Item], i: usize) -> (u64, usize) {
    let (mut total, mut section, mut digits): (u64, u64, u64) = (0, 0, 0);
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
            digits = digits.saturating_add(n);
        } else if let Some(sc) = s.scale {
            if sc < 1000 {
                section = section.saturating_add(digits.max(1).saturating_mul(sc));
            } else {
                let head = section.saturating_add(digits).max(1);
                total = total.saturating_add(head.saturating_mul(sc));
                section = 0;
            }
            digits = 0;
        } else {
            break;
        }
        last = k;
        k += 1;
    }
    (total.saturating_add(section).saturating_add(digits), last)
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
        // a month right before the number is a date ("January 5"); with a qualifier
        // between it is not ("in January at least 238")
        if b.has(flag::AGE) || (b.has(flag::MONTH) && q.first == q.num_first) {
            return false;
        }
        // a unit word right before digits labels them: "الدقيقة 30", "عام 2014" (word
        // numbers after a unit are counts again: "к этому часу трое раненых", and so
        // are digits after a qualifier: "in two years about 30,000 people")
        if b.has(flag::UNIT) && matches!(num.kind, ItemKind::Number(_)) && q.first == q.num_first {
            return false;
        }
        // "الدقيقة الـ 26", "العام الـ 2014": a unit word, a detached article, the number
        let before2 = q.first.checked_sub(2).map(|p| &items[p]);
        let article = matches!(b.kind, ItemKind::Word(None)) && b.end - b.start <= 2 && !b.han;
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
    // the item right after the number itself (before any trailing qualifier); in a
    // range that is the link, and the item after the range speaks for both ends
    let next = if q.range {
        None
    } else {
        items.get(q.num_first + 1)
    };
    if let Some(a) = next {
        if let ItemKind::Number(_) = num.kind {
            // "5th", "10km", "12-year-old", "11:47", "6/1": glued to the number
            // (a Chinese character is a word of its own: "3人")
            let is_scale = a.sense().is_some_and(|s| s.scale.is_some());
            let word_or_symbol = matches!(a.kind, ItemKind::Word(_) | ItemKind::Symbol(_));
            if glued(num, a) && word_or_symbol && !is_scale && !a.han {
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
        if year_like && q.qualifier == Qualifier::Exact {
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
    let mut aside = 0;
    for k in a + 1..b {
        let it = &items[k];
        if blocked[k] || matches!(it.kind, ItemKind::Clause | ItemKind::Number(_)) {
            return None;
        }
        if it.sense().is_some_and(|s| s.trigger.is_some()) {
            return None;
        }
        // "5800 people including some foreigners were arrested", written without
        // commas (Persian): the words of a short "including …" aside are not distance
        if it.has(flag::SUBSET) {
            aside = MAX_ASIDE_WORDS + 1;
        }
        if aside > 0 {
            aside -= 1;
            continue;
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

/// A quantity paired with its category trigger; `first..=last` is the figure's
/// extent (quantity and trigger together).
#[derive(Debug, Clone, Copy)]
struct Pairing<'q> {
    quant: &'q Quant,
    trigger: usize,
    first: usize,
    last: usize,
}

/// Step 1 of [`sentence_figures`]: which items are covered by a quantity (a trigger
/// is never paired across another number).
fn quantity_cover(items: &[Item], quants: &[Quant]) -> Vec<bool> {
    let mut in_quant = vec![false; items.len()];
    for q in quants {
        for b in &mut in_quant[q.first..=q.last] {
            *b = true;
        }
    }
    in_quant
}

/// Step 2: pair each quantity with the closest trigger in reach, preferring one after
/// it on a tie; a coordination between costs extra.
fn pair_triggers<'q>(items: &[Item], quants: &'q [Quant], in_quant: &[bool]) -> Vec<Pairing<'q>> {
    let triggers: Vec<usize> = (0..items.len())
        .filter(|&k| !in_quant[k] && items[k].sense().is_some_and(|s| s.trigger.is_some()))
        .collect();
    let mut paired = Vec::new();
    for q in quants {
        let mut best: Option<(usize, bool, usize)> = None; // (cost, is_after, trigger)
                                                           // only triggers within reach (`triggers` is sorted)
        let lo = triggers.partition_point(|&t| t + MAX_SCAN_ITEMS < q.first);
        let hi = triggers.partition_point(|&t| t <= q.last + MAX_SCAN_ITEMS);
        for &t in &triggers[lo..hi] {
            let cand = if t > q.last {
                // trigger after: a coordination between, or on the trigger itself,
                // separates them ("5 قتلى وجرحى")
                gap(items, q.last, t, in_quant).map(|(g, c)| (g, c || items[t].conj, true))
            } else if t < q.first {
                // trigger before: a coordination on the quantity separates them
                gap(items, t, q.first, in_quant).map(|(g, c)| (g, c || items[q.first].conj, false))
            } else {
                None
            };
            let Some((g, c, after)) = cand else { continue };
            let cost = g + if c { CONJ_PENALTY } else { 0 };
            if g > MAX_TRIGGER_GAP || cost > MAX_TRIGGER_GAP {
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
            paired.push(Pairing {
                quant: q,
                trigger: t,
                first: q.first.min(t),
                last: q.last.max(t),
            });
        }
    }
    // a trigger right after its own number ("150 detained") is not also the trigger
    // of a number after it ("150 detained as tens of thousands rally")
    let claimed: Vec<usize> = paired
        .iter()
        .filter(|p| p.trigger > p.quant.last)
        .map(|p| p.trigger)
        .collect();
    paired.retain(|p| !(p.trigger < p.quant.first && claimed.contains(&p.trigger)));
    paired
}

/// Step 2b: quantities without a trigger of their own that share one stated once.
/// A list ("21, 10 and 8 dead") takes the trigger of its last member; a subset with
/// its who ("17 injured, including two children") takes the category of the figure
/// before it. A bare subset number ("… of whom two were found …") stays unpaired.
fn shared_triggers<'q>(items: &[Item], quants: &'q [Quant], paired: &mut Vec<Pairing<'q>>) {
    let pairing_of =
        |paired: &[Pairing], q: &Quant| paired.iter().position(|p| std::ptr::eq(p.quant, q));
    // two quantities in a list: only commas, conjunctions and light words between,
    // at least one comma or conjunction
    let listed = |a: &Quant, b: &Quant| {
        let between = &items[a.last + 1..b.first];
        let is_link = |it: &Item| matches!(it.kind, ItemKind::Clause) || it.has(flag::CONJ);
        between.iter().any(is_link) && between.iter().all(|it| is_link(it) || it.is_light())
    };
    // "21, 10 and 8 dead": right to left, so that a whole chain takes the trigger
    for (i, q) in quants.iter().enumerate().rev() {
        let Some(next) = quants.get(i + 1) else {
            continue;
        };
        if pairing_of(paired, q).is_some() {
            continue;
        }
        let Some(np) = pairing_of(paired, next) else {
            continue;
        };
        if listed(q, next) && paired[np].trigger > next.last {
            let trigger = paired[np].trigger;
            paired.push(Pairing {
                quant: q,
                trigger,
                first: q.first,
                last: q.last,
            });
        }
    }
    // "brought to hospital: 10 adults and five children": left to right
    for (i, q) in quants.iter().enumerate().skip(1) {
        let prev = &quants[i - 1];
        if pairing_of(paired, q).is_some() {
            continue;
        }
        let Some(pp) = pairing_of(paired, prev) else {
            continue;
        };
        if listed(prev, q) && paired[pp].trigger < prev.first {
            let trigger = paired[pp].trigger;
            paired.push(Pairing {
                quant: q,
                trigger,
                first: q.first,
                last: q.last,
            });
        }
    }
    // subsets with their who-word
    for q in quants {
        if pairing_of(paired, q).is_some() {
            continue;
        }
        let subset = q
            .first
            .checked_sub(1)
            .is_some_and(|k| items[k].has(flag::SUBSET));
        let who_after = items
            .get(q.last + 1)
            .and_then(Item::sense)
            .is_some_and(|s| s.who.is_some());
        if !(subset && who_after) {
            continue;
        }
        let whole = paired
            .iter()
            .filter(|p| p.last < q.first)
            .max_by_key(|p| p.last)
            .map(|p| p.trigger);
        if let Some(trigger) = whole {
            paired.push(Pairing {
                quant: q,
                trigger,
                first: q.first,
                last: q.last,
            });
        }
    }
    paired.sort_by_key(|p| p.quant.first);
}

/// Step 3: coordinated figures ("16 killed and over 1,600 injured among police")
/// form a group that shares a who stated once for all of them. Returns each
/// pairing's group extent.
fn coordination_groups(items: &[Item], paired: &[Pairing]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..paired.len()).collect();
    order.sort_by_key(|&p| paired[p].first);
    let mut group_of = vec![0usize; paired.len()];
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for &p in &order {
        let Pairing {
            first: a, last: b, ..
        } = paired[p];
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
    group_of.iter().map(|&g| groups[g]).collect()
}

/// Step 4: finds the who-word of a figure. `owned` marks the extents of all figures:
/// a figure's own who-word never lies inside another's.
struct WhoFinder<'a, 'l> {
    items: &'a [Item<'l>],
    owned: Vec<bool>,
}

impl WhoFinder<'_, '_> {
    fn new<'a, 'l>(items: &'a [Item<'l>], paired: &[Pairing]) -> WhoFinder<'a, 'l> {
        let mut owned = vec![false; items.len()];
        for p in paired {
            for o in &mut owned[p.first..=p.last] {
                *o = true;
            }
        }
        WhoFinder { items, owned }
    }

    /// The who-word at `k`, unless a reporting word beside it makes it the source
    /// ("police said").
    fn who_at(&self, k: usize) -> Option<FigureWho> {
        let w = self.items[k].sense()?.who?;
        let reporting = |j: Option<usize>| {
            j.and_then(|j| self.items.get(j))
                .is_some_and(|it| it.has(flag::REPORTING))
        };
        if reporting(k.checked_sub(1)) || reporting(Some(k + 1)) {
            return None;
        }
        Some(w)
    }

    /// The who-word for items `[a, b]`: first looking forward from b ("3 soldiers",
    /// "18 of the security forces were killed", "arrested 300 protesters"), then, if
    /// `back`, backward from a. Backward is only tried when the trigger follows the
    /// number: before a "trigger … number" figure a who-word is usually the agent
    /// ("police arrested 30", "اعتقلت الشرطة 30"). Stops at clause breaks, at other
    /// figures' extents (`own` = ours) and after `max` non-light words.
    fn find(
        &self,
        a: usize,
        b: usize,
        back: bool,
        max: usize,
        own: &dyn Fn(usize) -> bool,
    ) -> Option<FigureWho> {
        self.scan(a, b, true, max, own).or_else(|| {
            if back {
                self.scan(a, b, false, max, own)
            } else {
                None
            }
        })
    }

    fn scan(
        &self,
        a: usize,
        b: usize,
        forward: bool,
        max: usize,
        own: &dyn Fn(usize) -> bool,
    ) -> Option<FigureWho> {
        let mut dist = 0;
        let mut k = if forward { b + 1 } else { a.checked_sub(1)? };
        let mut steps = 0;
        while let Some(it) = self.items.get(k) {
            steps += 1;
            if steps > MAX_SCAN_ITEMS {
                return None;
            }
            if matches!(it.kind, ItemKind::Clause) || (self.owned[k] && !own(k)) {
                return None;
            }
            if let Some(w) = self.who_at(k) {
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
    }
}

/// Step 0: an attribution set off between two clause marks ("the displaced, according
/// to the UN, number 4.8 million", "opuściło – według danych ONZ – ponad 12,7 mln") is
/// taken out, so the figure and its trigger around it are one clause again. The aside
/// starts with a reporting word and holds no number and no trigger.
fn without_attribution_asides(mut items: Vec<Item<'_>>) -> Vec<Item<'_>> {
    let mut k = 1;
    while k + 1 < items.len() {
        let opens = matches!(items[k - 1].kind, ItemKind::Clause) && items[k].has(flag::REPORTING);
        let close = opens
            .then(|| {
                (k + 1..items.len().min(k + 1 + MAX_ATTRIBUTION_WORDS)).find(|&j| {
                    matches!(items[j].kind, ItemKind::Clause)
                        || matches!(items[j].kind, ItemKind::Number(_))
                        || items[j].sense().is_some_and(|s| s.trigger.is_some())
                })
            })
            .flatten()
            .filter(|&j| matches!(items[j].kind, ItemKind::Clause) && j + 1 < items.len());
        match close {
            Some(j) => {
                items.drain(k - 1..=j);
            }
            None => k += 1,
        }
    }
    items
}

/// Every figure of one sentence, in steps: the items and their quantities,
/// [`pair_triggers`] and [`shared_triggers`], [`coordination_groups`], then who via
/// [`WhoFinder`].
fn sentence_figures(lex: &Lexicon, tokens: &[Token]) -> Vec<RawFigure> {
    let items = without_attribution_asides(items(lex, tokens));
    let quants = quantities(&items);
    if quants.is_empty() {
        return Vec::new();
    }
    let in_quant = quantity_cover(&items, &quants);
    let mut paired = pair_triggers(&items, &quants, &in_quant);
    shared_triggers(&items, &quants, &mut paired);
    let groups = coordination_groups(&items, &paired);
    let who = WhoFinder::new(&items, &paired);
    paired
        .iter()
        .zip(&groups)
        .map(|(p, &(ga, gb))| {
            let q = p.quant;
            let own = |k: usize| k >= p.first && k <= p.last;
            let in_group = |k: usize| k >= ga && k <= gb;
            let found = who
                .find(q.first, q.last, p.trigger > q.last, MAX_WHO_GAP, &own)
                .or_else(|| who.find(ga, gb, false, MAX_GROUP_WHO_GAP, &in_group));
            raw_figure(&items, p, found)
        })
        .collect()
}

fn raw_figure(items: &[Item], p: &Pairing, who: Option<FigureWho>) -> RawFigure {
    let q = p.quant;
    let category = items[p.trigger]
        .sense()
        .and_then(|s| s.trigger)
        .expect("paired with a trigger item");
    RawFigure {
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
    }
}

/// The quantity's text ends at the number, not at a trailing qualifier or noun.
fn ends_quantity_text(it: &Item) -> bool {
    it.sense()
        .is_none_or(|s| s.qualifier_after.is_none() && !s.has(flag::FILLER | flag::PERSON))
}

#[cfg(test)]
mod tests;
