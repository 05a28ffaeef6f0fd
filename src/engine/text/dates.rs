//! Dates stated by the text itself, in every language that has a `data/dates/<lang>.toml`
//! file: whole date lines ("Published: Saturday, March 5, 2022 2:30 PM GMT",
//! "5 января 2022 г., 14:05 мск", "2022年1月5日", "۱۵ دی ۱۴۰۰"), date stamps leading a line
//! ("date 2022-01-03 …"), and the publish-date fallback [`Dates::stated`].
//!
//! Month, weekday and time words are language facts, so they are data. One file per
//! language; every key is optional except `lang`:
//!
//! ```toml
//! lang = "es"
//! numeric_order = "dmy"            # 05/01/2022 reads day/month ("mdy", "ymd")
//! months = [["enero", "ene"], …]   # exactly 12 lists, January first; all case forms
//! solar_hijri_months = [[…], …]    # 12 lists, Farvardin first (Persian, Dari)
//! weekdays = ["lunes", …]
//! prefixes = ["publicado el", …]   # words that may introduce a date ("Published:")
//! day_suffixes = ["º"]             # after the day number: "1st", "1er", "1º"
//! connectors = ["de", "del"]       # between day, month and year: "5 de enero de 2022"
//! year_suffixes = []               # after the year: "г.", "року", "r.", "жылғы"
//! time_words = ["a las"]           # between date and time
//! hour_suffixes = []               # after the time: "Uhr"
//! am = [] / pm = []                # "a.m." / "p.m." forms
//! zones = [["gmt", "Z"]]           # zone words and their offset
//! ymd_markers = ["年", "月", "日"]   # a number-marker layout: 2022年1月5日
//! [dateline]
//! dispatch = ["电"]                 # words ending a CJK dateline: 北京1月5日电
//! not_places = ["وقال"]             # words that start sentences, never datelines
//! ```
//!
//! All words of all files are folded like the text ([`fold`]) and merged into one
//! matcher: the clean stage runs before language identification, and a month name
//! means the same month in every language that spells it so (a spelling shared by
//! two months is a data error). Only the numeric order of `05/01/2022` needs the
//! language; without a hint it is day-first, and a first number above 12 decides.
//!
//! Solar Hijri dates are converted to the Gregorian date: the Persian year starts on
//! the March equinox day, and the leap years follow the 33-year arithmetic with the
//! break years of Borkowski's algorithm (as in the widely used jalaali calendars),
//! valid for Solar Hijri years -61..3177. Lunar Hijri dates are not converted (they
//! are left alone: `شوال 1440` is not read as a date).

use crate::engine::chars::CharClass;
use crate::engine::hash::{Map, Set};
use std::collections::{HashMap, HashSet};

use regex::Regex;
use regex_automata::nfa::thompson::backtrack::BoundedBacktracker;
use serde::Deserialize;
use toml::Spanned;

use crate::data::DataFile;
use crate::engine::normalize::{display, fold, fold_with_map};
use crate::error::DataError;

type Word = Spanned<String>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    lang: Word,
    #[serde(default)]
    numeric_order: Option<Word>,
    #[serde(default)]
    months: Option<Spanned<Vec<Vec<Word>>>>,
    #[serde(default)]
    solar_hijri_months: Option<Spanned<Vec<Vec<Word>>>>,
    #[serde(default)]
    weekdays: Vec<Word>,
    #[serde(default)]
    prefixes: Vec<Word>,
    #[serde(default)]
    day_suffixes: Vec<Word>,
    #[serde(default)]
    connectors: Vec<Word>,
    #[serde(default)]
    year_suffixes: Vec<Word>,
    #[serde(default)]
    time_words: Vec<Word>,
    #[serde(default)]
    hour_suffixes: Vec<Word>,
    #[serde(default)]
    am: Vec<Word>,
    #[serde(default)]
    pm: Vec<Word>,
    #[serde(default)]
    zones: Vec<Spanned<(String, String)>>,
    #[serde(default)]
    ymd_markers: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    dateline: DatelineToml,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DatelineToml {
    #[serde(default)]
    dispatch: Vec<Word>,
    #[serde(default)]
    not_places: Vec<Word>,
}

/// The calendar a month name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Calendar {
    Gregorian,
    SolarHijri,
}

/// How a language writes an all-numeric date with `/` or `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Dmy,
    Mdy,
    Ymd,
}

/// A date found in a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatedDate {
    /// ISO 8601: `2022-01-05`, `2022-01-05T14:05:00`, `…+03:00` / `…Z` when stated.
    pub iso: String,
    /// Byte range of the date (with its prefix and time) in the line as given.
    pub start: usize,
    pub end: usize,
}

/// Compiled date words of all languages.
#[derive(Debug, Clone, Default)]
pub struct Dates {
    months: Map<String, (Calendar, u32)>,
    zones: HashMap<String, String>,
    am: HashSet<String>,
    pm: HashSet<String>,
    orders: HashMap<String, Order>,
    /// A whole line that is a date.
    line: Option<CaptureRe>,
    /// A date that ends a line ("World Wednesday 20/March/2019 10:57 AM").
    trailing: Option<CaptureRe>,
    /// A date starting the text (prefix allowed), for stamps.
    leading: Option<CaptureRe>,
    /// `line`, `trailing` and `leading` without their word-boundary assertions: they
    /// match whatever those match (and a little more), and the lazy DFA runs them on
    /// any text, where a Unicode `\b` sends the originals to the much slower PikeVM.
    /// A line they reject is not tried with the capturing originals.
    line_test: Option<Regex>,
    trailing_test: Option<Regex>,
    leading_test: Option<Regex>,
    /// Folded month alternation (regex source), for datelines.
    month_alt: String,
    dispatch: Vec<String>,
    not_places: Set<String>,
}

/// Heap for the visited set of one backtracking search of a date regex: the
/// backtracker takes texts up to this many bits divided by the NFA's states (a few
/// hundred bytes for the date regexes, more than any date line or head line).
const BACKTRACK_BYTES: usize = 2 << 20;

/// A capturing date regex. The date regexes hold every language's date words, so
/// their NFAs are large, and the regex crate's per-thread cache for each held PikeVM
/// slot tables of ~9.5 MB twice over (most of the engine's peak memory). Captures run
/// on a bounded backtracker instead: the same leftmost-first matches and groups, with
/// memory for one search only (NFA states × text length bits). A text too long for it
/// goes to the regex crate as before.
#[derive(Debug, Clone)]
struct CaptureRe {
    backtrack: Option<BoundedBacktracker>,
    regex: Regex,
}

impl CaptureRe {
    fn new(src: &str) -> Option<CaptureRe> {
        let regex = Regex::new(src).ok()?;
        let backtrack = BoundedBacktracker::builder()
            .configure(BoundedBacktracker::config().visited_capacity(BACKTRACK_BYTES))
            .build(src)
            .ok();
        Some(CaptureRe { backtrack, regex })
    }

    fn captures<'h>(&self, hay: &'h str) -> Option<Groups<'h>> {
        if let Some(bt) = self
            .backtrack
            .as_ref()
            .filter(|bt| hay.len() <= bt.max_haystack_len())
        {
            let mut cache = bt.create_cache();
            let mut caps = bt.create_captures();
            if bt.try_captures(&mut cache, hay, &mut caps).is_ok() {
                return caps.is_match().then_some(Groups::Backtrack { hay, caps });
            }
        }
        self.regex.captures(hay).map(Groups::Regex)
    }
}

/// The groups of a date match, from either engine.
enum Groups<'h> {
    Backtrack {
        hay: &'h str,
        caps: regex_automata::util::captures::Captures,
    },
    Regex(regex::Captures<'h>),
}

/// One matched group: its text and byte range in the searched text.
#[derive(Debug, Clone, Copy)]
struct Piece<'h> {
    text: &'h str,
    start: usize,
    end: usize,
}

impl<'h> Piece<'h> {
    fn as_str(&self) -> &'h str {
        self.text
    }

    fn start(&self) -> usize {
        self.start
    }

    fn end(&self) -> usize {
        self.end
    }
}

impl<'h> Groups<'h> {
    fn name(&self, name: &str) -> Option<Piece<'h>> {
        match self {
            Groups::Backtrack { hay, caps } => caps.get_group_by_name(name).map(|s| Piece {
                text: &hay[s.start..s.end],
                start: s.start,
                end: s.end,
            }),
            Groups::Regex(c) => c.name(name).map(|m| Piece {
                text: m.as_str(),
                start: m.start(),
                end: m.end(),
            }),
        }
    }

    /// The whole match.
    fn whole(&self) -> Option<Piece<'h>> {
        match self {
            Groups::Backtrack { hay, caps } => caps.get_group(0).map(|s| Piece {
                text: &hay[s.start..s.end],
                start: s.start,
                end: s.end,
            }),
            Groups::Regex(c) => c.get(0).map(|m| Piece {
                text: m.as_str(),
                start: m.start(),
                end: m.end(),
            }),
        }
    }
}

/// Folded word as matched: display form (invisibles dropped), folded, spaces single.
fn norm(s: &str) -> String {
    fold(&display(s))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Regex alternation, longest first; spaces match any whitespace run. Empty when no words.
fn alternation<'a>(words: impl Iterator<Item = &'a String>) -> String {
    let mut v: Vec<&String> = words.filter(|w| !w.is_empty()).collect();
    v.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
    v.dedup();
    v.iter()
        .map(|w| regex::escape(w).replace(' ', r"\s+"))
        .collect::<Vec<_>>()
        .join("|")
}

/// A regex source without its `\b` assertions (escaped backslashes kept): it matches
/// every text the original matches, since dropping an assertion only widens a regex.
fn without_word_boundaries(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut chars = src.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') => {}
            Some(n) => {
                out.push(c);
                out.push(n);
            }
            None => out.push(c),
        }
    }
    out
}

/// Whether a widened test regex (see [`without_word_boundaries`]) allows a match;
/// without one, every text may match.
fn may_match(test: &Option<Regex>, text: &str) -> bool {
    test.as_ref().is_none_or(|t| t.is_match(text))
}

/// `(?:alt)` + `rest`, or nothing when the alternation is empty.
fn opt_group(alt: &str, rest: &str) -> String {
    if alt.is_empty() {
        String::new()
    } else {
        format!("(?:(?:{alt}){rest})?")
    }
}

/// The regex source of a group that must match one of `alt`, or a never-matching one.
fn group(alt: &str) -> String {
    if alt.is_empty() {
        r"[^\s\S]".to_string()
    } else {
        format!("(?:{alt})")
    }
}

struct Loader<'f> {
    file: &'f DataFile,
    errors: &'f mut Vec<DataError>,
}

impl Loader<'_> {
    fn line(&self, off: usize) -> usize {
        let t = &self.file.text;
        t[..off.min(t.len())].matches('\n').count() + 1
    }

    fn err(&mut self, off: usize, msg: impl Into<String>) {
        let line = self.line(off);
        self.errors
            .push(DataError::new(&self.file.name, line, msg.into()));
    }

    /// Folded words of a list; empty entries are errors.
    fn words(&mut self, list: &[Word], what: &str) -> Vec<String> {
        let mut out = Vec::new();
        for w in list {
            let n = norm(w.get_ref());
            if n.is_empty() {
                self.err(w.span().start, format!("{what}: empty word"));
            } else {
                out.push(n);
            }
        }
        out
    }
}

/// Words shared by all files.
#[derive(Default)]
struct Vocab {
    weekdays: Vec<String>,
    prefixes: Vec<String>,
    day_suffixes: Vec<String>,
    connectors: Vec<String>,
    year_suffixes: Vec<String>,
    time_words: Vec<String>,
    hour_suffixes: Vec<String>,
    markers: [Vec<String>; 3],
}

impl Dates {
    /// Compile the date files; reports every problem with file and line.
    pub fn from_files(files: &[DataFile]) -> Result<Dates, Vec<DataError>> {
        let mut out = Dates::default();
        let mut errors = Vec::new();
        let mut v = Vocab::default();
        let mut month_origin: HashMap<String, String> = HashMap::new();
        let mut langs: HashMap<String, String> = HashMap::new();
        for file in files {
            let parsed: FileToml = match file.parse() {
                Ok(p) => p,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let mut l = Loader {
                file,
                errors: &mut errors,
            };
            let lang = parsed.lang.get_ref().trim().to_string();
            if lang.is_empty() {
                l.err(parsed.lang.span().start, "lang is empty");
                continue;
            }
            if let Some(prev) = langs.insert(lang.clone(), file.name.clone()) {
                l.err(
                    parsed.lang.span().start,
                    format!("lang `{lang}` already defined in {prev}"),
                );
                continue;
            }
            if let Some(o) = &parsed.numeric_order {
                let order = match o.get_ref().as_str() {
                    "dmy" => Some(Order::Dmy),
                    "mdy" => Some(Order::Mdy),
                    "ymd" => Some(Order::Ymd),
                    _ => None,
                };
                match order {
                    Some(order) => {
                        out.orders.insert(lang.clone(), order);
                    }
                    None => l.err(
                        o.span().start,
                        format!(
                            "numeric_order {:?}: expected \"dmy\", \"mdy\" or \"ymd\"",
                            o.get_ref()
                        ),
                    ),
                }
            }
            let calendars = [
                (&parsed.months, Calendar::Gregorian, "months"),
                (
                    &parsed.solar_hijri_months,
                    Calendar::SolarHijri,
                    "solar_hijri_months",
                ),
            ];
            for (list, cal, key) in calendars {
                let Some(list) = list else { continue };
                if list.get_ref().len() != 12 {
                    l.err(
                        list.span().start,
                        format!("{key}: expected 12 lists, found {}", list.get_ref().len()),
                    );
                    continue;
                }
                for (i, forms) in list.get_ref().iter().enumerate() {
                    let month = i as u32 + 1;
                    for w in forms {
                        let n = norm(w.get_ref());
                        let here = format!("{}:{}", file.name, l.line(w.span().start));
                        if n.is_empty() {
                            l.err(w.span().start, format!("{key}: empty month name"));
                            continue;
                        }
                        match out.months.get(&n) {
                            Some(&(c, m)) if c != cal || m != month => l.err(
                                w.span().start,
                                format!(
                                    "month name {:?} already means month {m} ({})",
                                    w.get_ref(),
                                    month_origin[&n]
                                ),
                            ),
                            Some(_) => {}
                            None => {
                                out.months.insert(n.clone(), (cal, month));
                                month_origin.insert(n, here);
                            }
                        }
                    }
                }
            }
            v.weekdays.extend(l.words(&parsed.weekdays, "weekdays"));
            v.prefixes.extend(l.words(&parsed.prefixes, "prefixes"));
            v.day_suffixes
                .extend(l.words(&parsed.day_suffixes, "day_suffixes"));
            v.connectors
                .extend(l.words(&parsed.connectors, "connectors"));
            v.year_suffixes
                .extend(l.words(&parsed.year_suffixes, "year_suffixes"));
            v.time_words
                .extend(l.words(&parsed.time_words, "time_words"));
            v.hour_suffixes
                .extend(l.words(&parsed.hour_suffixes, "hour_suffixes"));
            out.am.extend(l.words(&parsed.am, "am"));
            out.pm.extend(l.words(&parsed.pm, "pm"));
            for z in &parsed.zones {
                let (word, offset) = z.get_ref();
                let valid = offset == "Z"
                    || (offset.len() == 6
                        && offset.starts_with(['+', '-'])
                        && offset.as_bytes()[3] == b':'
                        && offset[1..3].bytes().all(|b| b.is_ascii_digit())
                        && offset[4..].bytes().all(|b| b.is_ascii_digit()));
                if norm(word).is_empty() || !valid {
                    l.err(
                        z.span().start,
                        format!(
                            "zone [{word:?}, {offset:?}]: expected a word and \"Z\" or \"+HH:MM\""
                        ),
                    );
                    continue;
                }
                out.zones.insert(norm(word), offset.clone());
            }
            if let Some(m) = &parsed.ymd_markers {
                if m.get_ref().len() != 3 || m.get_ref().iter().any(|s| norm(s).is_empty()) {
                    l.err(
                        m.span().start,
                        "ymd_markers: expected three non-empty markers (year, month, day)",
                    );
                } else {
                    for (i, s) in m.get_ref().iter().enumerate() {
                        v.markers[i].push(norm(s));
                    }
                }
            }
            out.dispatch
                .extend(l.words(&parsed.dateline.dispatch, "dateline.dispatch"));
            out.not_places
                .extend(l.words(&parsed.dateline.not_places, "dateline.not_places"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        out.compile(&v);
        Ok(out)
    }

    fn compile(&mut self, v: &Vocab) {
        if self.months.is_empty() && v.markers[0].is_empty() {
            return;
        }
        let m = group(&alternation(self.months.keys()));
        self.month_alt = alternation(self.months.keys());
        let w = alternation(v.weekdays.iter());
        let p = alternation(v.prefixes.iter());
        let ds = opt_group(&alternation(v.day_suffixes.iter()), "");
        let c = opt_group(&alternation(v.connectors.iter()), r"\s+");
        let ys = opt_group(&alternation(v.year_suffixes.iter()), r"\b\.?").replacen(
            "(?:(?:",
            r"(?:\s*(?:",
            1,
        );
        let ys_req = group(&alternation(v.year_suffixes.iter()));
        let tw = alternation(v.time_words.iter());
        let hs = opt_group(&alternation(v.hour_suffixes.iter()), r"\b\.?").replacen(
            "(?:(?:",
            r"(?:\s*(?:",
            1,
        );
        let ap = alternation(self.am.iter().chain(self.pm.iter()));
        let zones = alternation(self.zones.keys());
        let [ym, mm, dm] = v.markers.each_ref().map(|l| group(&alternation(l.iter())));

        let date = format!(
            r"(?:(?P<d1>\d{{1,2}}){ds}\.?\s*(?:[-/]\s*)?{c}(?P<m1>{m})\.?(?:\s*/\s*{m})?\s*(?:[-/,،]\s*)?{c}(?P<y1>\d{{4}}){ys}|(?P<m2>{m})\.?\s*(?P<d2>\d{{1,2}}){ds}\s*,?\s*(?P<y2>\d{{4}}){ys}|(?P<y5>\d{{4}})\s*{ys_req}\.?\s+(?P<d5>\d{{1,2}}){ds}\s*(?P<m5>{m})|(?P<y6>\d{{4}})\s+(?P<m6>{m})\.?\s+(?P<d6>\d{{1,2}})|(?P<y7>\d{{4}})\s*{ym}\s*(?P<mo7>\d{{1,2}})\s*{mm}\s*(?P<d7>\d{{1,2}})\s*{dm}|(?P<y3>\d{{4}})[-/.](?P<mo3>\d{{1,2}})[-/.](?P<d3>\d{{1,2}})|(?P<a4>\d{{1,2}})(?P<s4>[./-])(?P<b4>\d{{1,2}})[./-](?P<y4>\d{{4}}))"
        );
        let tw_sep = if tw.is_empty() {
            String::new()
        } else {
            format!("|{tw}")
        };
        // Every part after the date is optional and starts with its own whitespace, so
        // a match never ends in a space.
        let ap_part = if ap.is_empty() {
            String::new()
        } else {
            format!(r"(?:\s*(?P<ap>{ap}))?")
        };
        let zone_part = if zones.is_empty() {
            String::new()
        } else {
            format!(r"(?:\s*(?P<tz>{zones}))?")
        };
        let time = format!(
            r"(?:\s*(?:[,،|t–—-]{tw_sep})?\s*{tw_opt}(?P<h>\d{{1,2}})(?:[:.]|h)(?P<mi>\d{{2}})(?::(?P<s>\d{{2}}))?(?:\.\d+)?{hs}{ap_part}{zone_part}(?:\s*(?P<off>[+-]\d{{2}}:?\d{{2}}|z))?)?",
            tw_opt = opt_group(&tw, r"\s*"),
        );
        let prefix = opt_group(&p, r"\s*[:：]?\s*");
        let weekday = opt_group(&w, r"\.?\s*[,،/]?\s*");
        let trailing_weekday = if w.is_empty() {
            String::new()
        } else {
            format!(r"(?:\s*[,،]?\s*(?:{w}))?")
        };
        let line = format!(r"^{prefix}{weekday}{date}{time}{trailing_weekday}$");
        let leading = format!(r"^(?P<pre>{prefix}){weekday}{date}{time}");
        self.line = CaptureRe::new(&line);
        let trailing = format!(r"(?P<pre>{prefix}){weekday}{date}{time}{trailing_weekday}$");
        self.trailing = CaptureRe::new(&trailing);
        self.leading = CaptureRe::new(&leading);
        let test = |src: &str| Regex::new(&without_word_boundaries(src)).ok();
        self.line_test = test(&line);
        self.trailing_test = test(&trailing);
        self.leading_test = test(&leading);
    }

    /// Folded month names as a regex alternation (empty when no months are loaded).
    pub fn month_alternation(&self) -> &str {
        &self.month_alt
    }

    /// Words ending a CJK dateline ("电").
    pub fn dispatch_words(&self) -> &[String] {
        &self.dispatch
    }

    /// Folded words that start sentences and are never a dateline place.
    pub fn not_places(&self) -> &Set<String> {
        &self.not_places
    }

    /// If `line` is only a date (and time), its ISO 8601 form: `2022-01-08T11:47:00`, or
    /// `2022-01-08` without a time; `Z`/offset appended when the line states one.
    pub fn date_line(&self, line: &str) -> Option<String> {
        self.date_line_in(line, None)
    }

    /// [`Self::date_line`] with the language of the text, which decides the order of
    /// an all-numeric date with `/` or `-` (`05/01/2022`).
    pub fn date_line_in(&self, line: &str, lang: Option<&str>) -> Option<String> {
        self.line.as_ref()?;
        self.date_line_folded(line, &fold(line), lang)
    }

    /// [`Self::date_line_in`] when the caller has `fold(line)` already.
    pub fn date_line_folded(&self, line: &str, folded: &str, lang: Option<&str>) -> Option<String> {
        let re = self.line.as_ref()?;
        // A list bullet before the date ("• شنبه 1 اردیبهشت 1403") is not part of it.
        let folded = folded
            .trim()
            .trim_start_matches(['•', '·', '▪', '●', '*'])
            .trim()
            .trim_end_matches(['.', '،', ','])
            .trim();
        if folded.is_empty() || folded.chars().count() > 80 {
            return None;
        }
        if !may_match(&self.line_test, folded) {
            return None;
        }
        let c = re.captures(folded)?;
        self.iso(&c, line, lang)
    }

    /// A date stamp at the start of `line` ("date 2022-01-03 Representatives …",
    /// "Stand: 24.11.2022 07:05 Uhr …", "7 січня 2022 р.Наскільки …"): its date and
    /// where it ends in `line`, so a caller can cut it off. A date that merely starts
    /// a sentence ("5 января 2022 года в Алматы …") is not a stamp: after the date
    /// there must be a prefix word before it, a separator (`|`, `•`, `-`, `–`, `—`,
    /// `·`) or the end of the line, the next word glued on, or a numeric date.
    pub fn leading(&self, line: &str, lang: Option<&str>) -> Option<StatedDate> {
        let re = self.leading.as_ref()?;
        let (folded, map) = fold_with_map(line);
        let lead = folded.len() - folded.trim_start().len();
        if !may_match(&self.leading_test, &folded[lead..]) {
            return None;
        }
        let c = re.captures(&folded[lead..])?;
        let whole = c.whole()?;
        let end = lead + whole.end();
        let rest = &folded[end..];
        let next = rest.chars().next();
        // The date must end at a word boundary.
        if next.is_some_and(|n| n.is_ascii_digit()) {
            return None;
        }
        let prefixed = c.name("pre").is_some_and(|p| !p.as_str().trim().is_empty());
        let numeric = ["y3", "a4", "y7", "h"].iter().any(|g| c.name(g).is_some());
        let glued = whole
            .as_str()
            .chars()
            .next_back()
            .is_some_and(|l| !l.is_alnum())
            && next.is_some_and(CharClass::is_alpha);
        let after = rest.trim_start();
        let separated = after.is_empty() || after.starts_with(['|', '•', '-', '–', '—', '·']);
        if !(prefixed || numeric || glued || separated) {
            return None;
        }
        let iso = self.iso(&c, line, lang)?;
        let byte_of = |folded_byte: usize| -> usize {
            let ci = folded[..folded_byte].chars().count();
            let di = map.get(ci).copied().unwrap_or(line.chars().count());
            line.char_indices().nth(di).map_or(line.len(), |(b, _)| b)
        };
        Some(StatedDate {
            iso,
            start: byte_of(lead),
            end: byte_of(end),
        })
    }

    /// The publish date a text states near its top, for use when the container says
    /// nothing: within the first `HEAD_LINES` non-empty lines (stopping after the
    /// first long paragraph), a date line, a date stamp leading a line, or a date
    /// standing alone between separators ("World | 20/March/2019 10:57 AM").
    pub fn stated(&self, lines: &[&str], lang: Option<&str>) -> Option<String> {
        const HEAD_LINES: usize = 6;
        const LONG: usize = 200;
        for line in lines
            .iter()
            .filter(|l| !l.trim().is_empty())
            .take(HEAD_LINES)
        {
            if let Some(d) = self.date_line_in(line, lang) {
                return Some(d);
            }
            if let Some(d) = self.leading(line, lang) {
                return Some(d.iso);
            }
            if let Some(d) = self.trailing(line, lang) {
                return Some(d);
            }
            let parts: Vec<&str> = line
                .split(['|', '•', '·'])
                .flat_map(|p| p.split(" - "))
                .flat_map(|p| p.split(" – "))
                .flat_map(|p| p.split(" — "))
                .collect();
            if parts.len() > 1 {
                if let Some(d) = parts.iter().find_map(|p| self.date_line_in(p, lang)) {
                    return Some(d);
                }
            }
            if line.chars().count() > LONG {
                break;
            }
        }
        None
    }

    /// A date ending a head line after a short label ("World Wednesday 20/March/2019
    /// 10:57 AM") or after a prefix word ("… Stand: 24.11.2022 07:05 Uhr").
    fn trailing(&self, line: &str, lang: Option<&str>) -> Option<String> {
        const LABEL_WORDS: usize = 3;
        // A label, a few words and a date: a long line is body text, and running the
        // capturing regex over whole paragraphs dominated the clean stage.
        const MAX_CHARS: usize = 160;
        if line.len() > MAX_CHARS * 4 || line.chars().count() > MAX_CHARS {
            return None;
        }
        let re = self.trailing.as_ref()?;
        let folded = fold(line);
        let folded = folded.trim().trim_end_matches(['.', '،', ',']).trim();
        // Every trailing date has a digit near the end ("… 5 января 2022", "15 de
        // septiembre", "1月5日"); the capturing regex is far slower than this look.
        const TAIL_CHARS: usize = 24;
        let tail_start = folded
            .char_indices()
            .rev()
            .nth(TAIL_CHARS - 1)
            .map_or(0, |(i, _)| i);
        if !folded[tail_start..].bytes().any(|b| b.is_ascii_digit()) {
            return None;
        }
        if !may_match(&self.trailing_test, folded) {
            return None;
        }
        let c = re.captures(folded)?;
        let start = c.whole()?.start();
        let before = &folded[..start];
        if before.chars().next_back().is_some_and(CharClass::is_alnum) {
            return None;
        }
        let prefixed = c.name("pre").is_some_and(|p| !p.as_str().trim().is_empty());
        if !prefixed && before.split_whitespace().count() > LABEL_WORDS {
            return None;
        }
        self.iso(&c, line, lang)
    }

    /// The ISO form of a captured date, or `None` when it is not a real date.
    fn iso(&self, c: &Groups, raw: &str, lang: Option<&str>) -> Option<String> {
        let num = |name: &str| c.name(name).and_then(|m| m.as_str().parse::<u32>().ok());
        let month = |name: &str| -> Option<(Calendar, u32)> {
            let n: String = c
                .name(name)?
                .as_str()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            self.months.get(&n).copied()
        };
        let persian_digits = raw
            .chars()
            .any(|ch| ('\u{06F0}'..='\u{06F9}').contains(&ch));
        // "en-GB", "fa_IR" → the primary language subtag.
        let lang = lang
            .map(|l| l.split(['-', '_']).next().unwrap_or(l).to_ascii_lowercase())
            .or(persian_digits.then(|| "fa".to_string()));
        let lang = lang.as_deref();
        let order = lang.and_then(|l| self.orders.get(l)).copied();
        // Numeric dates in a Solar Hijri year are read as such in Persian only.
        let numeric_cal = if lang == Some("fa") {
            Calendar::SolarHijri
        } else {
            Calendar::Gregorian
        };
        let (cal, year, mo, day) = if let Some(y) = num("y1") {
            let (cal, m) = month("m1")?;
            (cal, y, m, num("d1")?)
        } else if let Some(y) = num("y2") {
            let (cal, m) = month("m2")?;
            (cal, y, m, num("d2")?)
        } else if let Some(y) = num("y5") {
            let (cal, m) = month("m5")?;
            (cal, y, m, num("d5")?)
        } else if let Some(y) = num("y6") {
            let (cal, m) = month("m6")?;
            (cal, y, m, num("d6")?)
        } else if let Some(y) = num("y7") {
            (numeric_cal, y, num("mo7")?, num("d7")?)
        } else if let Some(y) = num("y3") {
            (numeric_cal, y, num("mo3")?, num("d3")?)
        } else {
            let (a, b, y) = (num("a4")?, num("b4")?, num("y4")?);
            let dot = c.name("s4").is_some_and(|s| s.as_str() == ".");
            // Day first unless the language writes month first; a number above 12
            // can only be the day.
            let month_first = !dot && a <= 12 && (b > 12 || order == Some(Order::Mdy));
            let (d, m) = if month_first { (b, a) } else { (a, b) };
            (numeric_cal, y, m, d)
        };
        let (year, month, day) = match cal {
            Calendar::SolarHijri if (1200..=1600).contains(&year) => {
                solar_hijri_to_gregorian(year as i64, mo, day)?
            }
            Calendar::SolarHijri if numeric_cal == Calendar::SolarHijri => {
                // A Gregorian year in numbers on a Persian page: 2022/01/05.
                (year as i64, mo, day)
            }
            Calendar::SolarHijri => return None,
            Calendar::Gregorian => (year as i64, mo, day),
        };
        if !(1800..=2200).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
        {
            return None;
        }
        let mut out = format!("{year:04}-{month:02}-{day:02}");
        if let (Some(mut h), Some(mi)) = (num("h"), num("mi")) {
            let s = num("s").unwrap_or(0);
            if let Some(ap) = c.name("ap").map(|m| norm(m.as_str())) {
                if h == 0 || h > 12 {
                    return None;
                }
                let pm = self.pm.contains(&ap);
                h = match (pm, h) {
                    (false, 12) => 0,
                    (true, 12) => 12,
                    (true, h) => h + 12,
                    (false, h) => h,
                };
            }
            if h > 23 || mi > 59 || s > 59 {
                return None;
            }
            out.push_str(&format!("T{h:02}:{mi:02}:{s:02}"));
            if let Some(off) = c.name("off").map(|m| m.as_str()).filter(|o| *o != "z") {
                let digits: String = off.chars().filter(|c| c.is_ascii_digit()).collect();
                out.push_str(&format!("{}{}:{}", &off[..1], &digits[..2], &digits[2..]));
            } else if c.name("off").is_some() {
                out.push('Z');
            } else if let Some(tz) = c.name("tz") {
                out.push_str(self.zones.get(&norm(tz.as_str()))?);
            }
        }
        Some(out)
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The Gregorian date of a day number from [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

/// Break years of the Solar Hijri leap cycle (Borkowski): between two breaks the
/// leap years follow the 33-year rule.
const SH_BREAKS: [i64; 20] = [
    -61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192, 2262, 2324,
    2394, 2456, 3178,
];

/// Day number of 1 Farvardin of Solar Hijri year `jy`.
fn farvardin_first(jy: i64) -> Option<i64> {
    if jy < SH_BREAKS[0] || jy >= SH_BREAKS[SH_BREAKS.len() - 1] {
        return None;
    }
    let gy = jy + 621;
    // Truncating division, as in the reference algorithm.
    let div = |a: i64, b: i64| a / b;
    let rem = |a: i64, b: i64| a % b;
    let mut leap_j: i64 = -14;
    let mut jp = SH_BREAKS[0];
    let mut jump = 0;
    for &jm in &SH_BREAKS[1..] {
        jump = jm - jp;
        if jy < jm {
            break;
        }
        leap_j += div(jump, 33) * 8 + div(rem(jump, 33), 4);
        jp = jm;
    }
    let n = jy - jp;
    leap_j += div(n, 33) * 8 + div(rem(n, 33) + 3, 4);
    if rem(jump, 33) == 4 && jump - n == 4 {
        leap_j += 1;
    }
    let leap_g = div(gy, 4) - div((div(gy, 100) + 1) * 3, 4) - 150;
    let march = 20 + leap_j - leap_g;
    Some(days_from_civil(gy, 3, 1) + march - 1)
}

/// Convert a Solar Hijri date (year, month 1–12, day) to the Gregorian date.
pub fn solar_hijri_to_gregorian(jy: i64, jm: u32, jd: u32) -> Option<(i64, u32, u32)> {
    if !(1..=12).contains(&jm) || jd == 0 {
        return None;
    }
    let start = farvardin_first(jy)?;
    let year_len = farvardin_first(jy + 1)? - start;
    let month_len = match jm {
        1..=6 => 31,
        7..=11 => 30,
        _ => year_len as u32 - 336,
    };
    if jd > month_len {
        return None;
    }
    let offset = if jm <= 6 {
        (jm as i64 - 1) * 31
    } else {
        186 + (jm as i64 - 7) * 30
    };
    Some(civil_from_days(start + offset + jd as i64 - 1))
}

#[cfg(test)]
mod tests;
