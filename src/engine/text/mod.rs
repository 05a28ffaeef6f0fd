//! Text rules for scraped and wire text: boilerplate removal, story splitting and the
//! metadata a text states about itself (dateline, date, publisher, agency credits).
//!
//! The patterns (site names, comment prompts, related-news headers, source lines,
//! read-more markers) are data, loaded from `data/boilerplate/*.toml` ([`patterns`]);
//! agency names come from `data/agencies/*.toml` ([`agencies`]). The mechanisms that
//! are not a fixed string — duplicated captions, a headline repeated below the
//! caption, a trailing run of related headlines — are code with thresholds from the
//! `[settings]` table.
//!
//! Per input: **split** (unstructured input only): a read-more marker ("… المزيد",
//! "Read more", "Читать далее") followed by a headline-like line ends a teaser
//! (`truncated = true`) and starts a new story. A marker at the very end also marks the
//! story truncated; a marker followed by a body paragraph is just removed.
//!
//! Per story, the named steps in `story.rs` (each removal listed with its rule):
//! 1. **Line rules**: `strip` rules cut stamps glued to a line ("date 2024-01 …"),
//!    date-only lines (`date_line`, sets `published`), agency-only lines
//!    (`credit_line`, "أ ب", "AFP, EFE"), URL lines (`url_line`), then the data rules
//!    in file order; `position = "head"` rules only fire before the first kept line,
//!    `effect = "not_headline"` rules mark captions and bylines, which stay.
//! 2. **Headline** (`headline.rs`): chosen among the lines above the body by shape
//!    ([`shape`]: stamps, tickers, menus, file names, short labels and kickers are
//!    page furniture), by repetition (the page repeats its headline) and by topic
//!    (a site name shares no words with the body). A subtitle/deck line under the
//!    headline is kept as the first body paragraph: it is real text and carries terms
//!    the tagger wants. A text that starts with a body paragraph has no headline.
//! 3. **Repeats**: lines equal to the headline (`repeated_headline`) and later copies
//!    of a kept line (`duplicate_line`, the doubled captions); the first copy stays.
//! 4. **Trailing headlines**: a run of `trailing_run_min`+ headline-like lines at the
//!    end of the story is a related-articles list (`trailing_headlines`) — unless the
//!    last line reads as a cut-off paragraph, or a line continues a wrapped sentence.
//! 5. **Metadata**: dateline from the first body paragraph, credits from kept lines in
//!    order (container metadata first), publisher/published with the container's
//!    values winning over what the text states.

pub mod agencies;
pub mod dateline;
pub mod dates;
mod headline;
pub mod patterns;
pub mod shape;
mod story;

use crate::data::DataFile;
use crate::engine::chars::CharClass;
use crate::engine::formats::Extracted;
use crate::engine::language::Languages;
use crate::engine::normalize::fold_with_map;
use crate::error::DataError;
use crate::model::{Credit, Removed};

use agencies::Agencies;
use patterns::{key_of_folded, Kind, Pattern, Patterns, Rule};
use shape::{ends_sentence, last_meaningful};
use story::State;

/// One story found in an input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Story {
    pub headline: Option<String>,
    pub paragraphs: Vec<String>,
    pub truncated: bool,
    pub dateline: Option<String>,
    pub published: Option<String>,
    pub publisher: Option<String>,
    pub credits: Vec<Credit>,
    pub removed: Vec<Removed>,
}

/// Compiled boilerplate patterns and agency names.
#[derive(Debug, Default)]
pub struct TextRules {
    patterns: Patterns,
    agencies: Agencies,
    dates: dates::Dates,
    datelines: dateline::Datelines,
}

/// Lines of one story before cleaning.
struct Segment<'a> {
    lines: Vec<&'a str>,
    truncated: bool,
}

/// The display prefix of `display` before folded char index `folded_char`.
fn display_prefix(display: &str, map: &[usize], folded_char: usize) -> String {
    let cut = map
        .get(folded_char)
        .copied()
        .unwrap_or(display.chars().count());
    display.chars().take(cut).collect()
}

/// If `display` ends with `marker` (a key) glued after some text, the text before it
/// (trimmed) — only when that text satisfies `before_ok`.
fn strip_glued_suffix(
    display: &str,
    marker: &str,
    before_ok: impl Fn(&str) -> bool,
) -> Option<String> {
    // Cheap rejection first: this runs for every line and marker, so compare the
    // marker with the folded tail (what `strip_suffix` below needs) before folding
    // the whole line.
    let mut tail = display
        .chars()
        .rev()
        .filter_map(crate::engine::normalize::fold_char)
        .skip_while(|c| !c.is_alnum());
    if !marker.chars().rev().all(|m| tail.next() == Some(m)) {
        return None;
    }
    let (folded, map) = fold_with_map(display);
    let body = folded.trim_end_matches(|c: char| !c.is_alnum());
    let head = body.strip_suffix(marker)?;
    // The marker must be a whole word.
    if !head.ends_with(|c: char| !c.is_alnum()) {
        return None;
    }
    let folded_head = head.trim_end();
    if folded_head.is_empty() || !before_ok(folded_head) {
        return None;
    }
    let kept = display_prefix(display, &map, head.chars().count());
    let kept = kept.trim_end().to_string();
    (!kept.is_empty()).then_some(kept)
}

impl TextRules {
    /// Compile the boilerplate, agency and date data files (agency aliases read the
    /// language models' clitics and inflection); reports every bad file.
    pub fn from_files(
        boilerplate: &[DataFile],
        agencies: &[DataFile],
        dates: &[DataFile],
        languages: &Languages,
    ) -> Result<TextRules, Vec<DataError>> {
        let patterns = Patterns::from_files(boilerplate);
        let agencies = Agencies::from_files(agencies, languages);
        let dates = dates::Dates::from_files(dates);
        match (patterns, agencies, dates) {
            (Ok(patterns), Ok(agencies), Ok(dates)) => Ok(TextRules {
                datelines: dateline::Datelines::new(&dates, &agencies, languages),
                patterns,
                agencies,
                dates,
            }),
            (p, a, d) => Err(p
                .err()
                .into_iter()
                .flatten()
                .chain(a.err().into_iter().flatten())
                .chain(d.err().into_iter().flatten())
                .collect()),
        }
    }

    /// Split an extracted input into stories and clean each one.
    pub fn segment(&self, ex: &Extracted) -> Vec<Story> {
        let lines: Vec<&str> = ex.paragraphs.iter().map(String::as_str).collect();
        let segments = if ex.structured {
            vec![Segment {
                lines,
                truncated: false,
            }]
        } else {
            self.split(lines)
        };
        segments
            .into_iter()
            .enumerate()
            .map(|(i, seg)| self.story(seg, ex, i == 0))
            .collect()
    }

    /// Is the line headline-like: short (CJK counting double), enough words, no
    /// sentence-final punctuation, not a date or time stamp?
    fn headline_like(&self, s: &str) -> bool {
        let st = &self.patterns.settings;
        let n = shape::width(s);
        n > 0
            && n <= st.headline_max_chars
            && shape::word_count(s) >= st.headline_min_words
            && !ends_sentence(s)
            && self.dates.date_line(s).is_none()
            && !shape::is_stamp(s)
    }

    /// Could the line be the headline of another article in a trailing related list?
    /// Stricter than [`Self::headline_like`]: list items ("- …", "1. …"), entries with
    /// several dash-separated fields ("Film – Director – Country"), exclamations
    /// ("Glory to the defenders!") and all-capital subheadings are article content.
    fn related_headline_like(&self, s: &str) -> bool {
        let st = &self.patterns.settings;
        let bullet = s.starts_with(['-', '–', '—', '•', '*', '·', '▪', '●'])
            || s.split_once(['.', ')'])
                .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        let fields = [" – ", " - ", " — ", " | ", " / "]
            .iter()
            .map(|sep| s.matches(sep).count())
            .sum::<usize>();
        let letters = || s.chars().filter(|c| c.is_alpha());
        let all_caps = letters().count() > 3
            && letters().all(|c| !c.is_lowercase())
            && letters().any(char::is_uppercase);
        self.headline_like(s)
            && !bullet
            && fields < 2
            && !all_caps
            && last_meaningful(s) != Some('!')
            && shape::word_count(s) >= st.trailing_min_words
    }

    /// The read-more rule a line is (or ends with), and the text left when the marker
    /// is glued to the end of a paragraph ("… أعلنت الحكومة ... المزيد").
    fn read_more<'r>(&'r self, line: &str) -> Option<(&'r Rule, Option<String>)> {
        self.read_more_folded(line, &crate::engine::normalize::fold(line))
    }

    /// [`Self::read_more`] when the caller has the line's matching form already.
    fn read_more_folded<'r>(
        &'r self,
        line: &str,
        folded: &str,
    ) -> Option<(&'r Rule, Option<String>)> {
        let k = key_of_folded(folded);
        for rule in self.patterns.of_kind(Kind::ReadMore) {
            for p in &rule.patterns {
                let Pattern::Key(p) = p else { continue };
                if k == *p {
                    return Some((rule, None));
                }
                let glued = strip_glued_suffix(line, p, |before| {
                    before.ends_with("...") || before.ends_with('…')
                });
                if let Some(kept) = glued {
                    // Drop the ellipsis that introduced the marker, keep the sentence's own stop.
                    let kept = kept.trim_end();
                    let kept = kept
                        .strip_suffix("...")
                        .or_else(|| kept.strip_suffix('…'))
                        .unwrap_or(kept)
                        .trim_end()
                        .to_string();
                    return Some((rule, Some(kept)));
                }
            }
        }
        None
    }

    /// Split at read-more markers followed by a headline-like line.
    fn split<'a>(&self, lines: Vec<&'a str>) -> Vec<Segment<'a>> {
        let mut out = Vec::new();
        let mut start = 0;
        let non_empty_after = |i: usize| (i + 1..lines.len()).find(|&j| !lines[j].is_empty());
        for i in 0..lines.len() {
            if i < start || lines[i].is_empty() || self.read_more(lines[i]).is_none() {
                continue;
            }
            match non_empty_after(i) {
                None => {
                    out.push(Segment {
                        lines: lines[start..].to_vec(),
                        truncated: true,
                    });
                    return out;
                }
                Some(j) if self.headline_like(lines[j]) && non_empty_after(j).is_some() => {
                    out.push(Segment {
                        lines: lines[start..=i].to_vec(),
                        truncated: true,
                    });
                    start = j;
                }
                Some(_) => {}
            }
        }
        out.push(Segment {
            lines: lines[start..].to_vec(),
            truncated: false,
        });
        out
    }

    /// Does a line rule match? Returns the publisher named by a source line, if any.
    fn rule_matches(
        &self,
        rule: &Rule,
        line: &str,
        folded: &str,
        k: &str,
    ) -> Option<Option<String>> {
        let within = |max: Option<usize>| max.is_none_or(|m| line.chars().count() <= m);
        for p in &rule.patterns {
            match (rule.kind, p) {
                (Kind::Exact | Kind::ReadMore, Pattern::Key(p)) if k == p => return Some(None),
                (Kind::Prefix, Pattern::Key(p)) if within(rule.max_chars) => {
                    if let Some(rest) = k.strip_prefix(p.as_str()) {
                        if !rest.starts_with(|c: char| c.is_alnum()) {
                            return Some(None);
                        }
                    }
                }
                (Kind::Regex, Pattern::Regex(re)) if within(rule.max_chars) => {
                    // The match test runs the DFA; captures only on a match.
                    if let Some(c) = re.is_match(folded).then(|| re.captures(folded)).flatten() {
                        let publisher = c.name("publisher").and_then(|m| {
                            let (_, map) = fold_with_map(line);
                            let cs = folded[..m.start()].chars().count();
                            let ce = folded[..m.end()].chars().count();
                            let ds = *map.get(cs)?;
                            let de = map.get(ce.checked_sub(1)?)? + 1;
                            let s: String = line.chars().skip(ds).take(de - ds).collect();
                            let s = s.trim_matches(|c: char| !c.is_alnum()).to_string();
                            (!s.is_empty()).then_some(s)
                        });
                        return Some(publisher);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Block members after a header at `i`: short, non-sentence lines. Consecutive
    /// lines form a list that ends at the next blank line; single lines separated by
    /// blanks continue until a long paragraph.
    fn block_members(
        &self,
        text: &[String],
        state: &[State],
        i: usize,
        max_lines: Option<usize>,
    ) -> Vec<usize> {
        let max_chars = self.patterns.settings.block_line_max_chars;
        let mut taken = Vec::new();
        let mut j = i + 1;
        loop {
            while j < text.len() && text[j].is_empty() {
                j += 1;
            }
            if j >= text.len() {
                break;
            }
            let mut group = 0;
            let mut stop = false;
            while j < text.len() && !text[j].is_empty() {
                if state[j] != State::Keep {
                    j += 1;
                    continue;
                }
                let full = max_lines.is_some_and(|m| taken.len() >= m);
                if full || text[j].chars().count() > max_chars || ends_sentence(&text[j]) {
                    stop = true;
                    break;
                }
                taken.push(j);
                group += 1;
                j += 1;
            }
            if stop || group >= 2 {
                break;
            }
        }
        taken
    }

    /// Apply a block rule at line `i`: the header as a whole line, as an inline
    /// "Header: item" line, or glued to the end of a body paragraph after its final
    /// punctuation. Returns the member lines to remove (the header line included when
    /// it is a whole line), or `None` when the rule does not apply.
    #[allow(clippy::too_many_arguments)]
    fn block_at(
        &self,
        text: &mut [String],
        state: &[State],
        partial: &mut Vec<(usize, Removed)>,
        i: usize,
        rule: &Rule,
        k: &str,
        folded: &str,
    ) -> Option<Vec<usize>> {
        for p in &rule.patterns {
            let Pattern::Key(p) = p else { continue };
            if k == p {
                let mut members = vec![i];
                members.extend(self.block_members(text, state, i, rule.max_lines));
                return Some(members);
            }
            // Inline: "Читайте также: …", "Tags: a, b".
            let lead = folded.trim_start_matches(|c: char| !c.is_alnum());
            if let Some(rest) = lead.strip_prefix(p.as_str()) {
                let short = text[i].chars().count() <= self.patterns.settings.block_line_max_chars;
                if short && rest.trim_start().starts_with([':', '-', '–', '—', '|']) {
                    return Some(vec![i]);
                }
            }
            // Glued: "… آخر جملة. كلمات مفتاحية".
            let glued = strip_glued_suffix(&text[i], p, |before| {
                last_meaningful(before).is_some_and(|c| ".!?؟…".contains(c))
                    || before.ends_with(['»', '"', '”'])
            });
            if let Some(kept) = glued {
                let cut: String = text[i].chars().skip(kept.chars().count()).collect();
                partial.push((i, removed(&rule.name, &cut)));
                text[i] = kept;
                return Some(self.block_members(text, state, i, rule.max_lines));
            }
        }
        None
    }
}

fn removed(rule: &str, text: &str) -> Removed {
    Removed {
        rule: rule.to_string(),
        text: text.trim().to_string(),
    }
}

#[cfg(test)]
mod tests;
