//! Cleaning one story: named steps over a [`Draft`], each small enough to read at once.
//!
//! 1. [`TextRules::line_rules`]: date lines, agency-only lines, read-more markers, URL
//!    lines and the data rules (`data/boilerplate/*.toml`), line by line.
//! 2. [`TextRules::choose_headline`] (in `headline.rs`): the headline among the lines
//!    before the body, and the page clutter above it.
//! 3. [`TextRules::drop_repeats`]: repeats of the headline, and later copies of a line
//!    (the first copy stays in place).
//! 4. [`TextRules::drop_trailing_headlines`]: a related-articles list ending the story,
//!    never the last paragraph when it reads as cut-off prose.
//! 5. [`TextRules::finish`]: the [`Story`] with credits, dateline, publisher, date.

use crate::engine::formats::Extracted;
use crate::engine::normalize::{fold, fold_with_map};
use crate::model::{Credit, Removed};

use super::patterns::{key, key_of_folded, Effect, Kind, Pattern, Position};
use super::{agencies, removed, shape, Segment, Story, TextRules};

/// What happened to one line of a story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum State {
    Keep,
    Headline,
    Removed(String),
}

/// Rule names of the code mechanisms (recorded in `Removed.rule`).
pub(super) const DATE_LINE: &str = "date_line";
pub(super) const CREDIT_LINE: &str = "credit_line";
pub(super) const URL_LINE: &str = "url_line";
pub(super) const REPEATED_HEADLINE: &str = "repeated_headline";
pub(super) const DUPLICATE_LINE: &str = "duplicate_line";
pub(super) const TRAILING_HEADLINES: &str = "trailing_headlines";

/// The working state of one story while the steps run.
pub(super) struct Draft {
    /// The story's lines; a line is edited in place when a piece of it is cut.
    pub text: Vec<String>,
    /// What happened to each line.
    pub state: Vec<State>,
    /// Pieces cut from lines that stay (glued markers, stamps, site suffixes), by line.
    pub partial: Vec<(usize, Removed)>,
    /// Lines a `not_headline` rule matched (captions, bylines): body, never headline.
    pub not_headline: Vec<bool>,
    /// Date stated by a date line or stamp.
    pub published: Option<String>,
    /// Publisher named by a source line.
    pub publisher: Option<String>,
    /// Agency credits found in source lines, by line.
    pub publisher_credit: Vec<(usize, Credit)>,
    /// The chosen headline.
    pub headline: Option<String>,
}

impl Draft {
    fn new(seg: &Segment) -> Draft {
        let text: Vec<String> = seg.lines.iter().map(|s| s.to_string()).collect();
        let n = text.len();
        Draft {
            text,
            state: vec![State::Keep; n],
            partial: Vec::new(),
            not_headline: vec![false; n],
            published: None,
            publisher: None,
            publisher_credit: Vec::new(),
            headline: None,
        }
    }

    /// Indices of the kept, non-empty lines.
    pub fn kept(&self) -> Vec<usize> {
        (0..self.text.len())
            .filter(|&i| self.state[i] == State::Keep && !self.text[i].is_empty())
            .collect()
    }

    pub fn remove(&mut self, i: usize, rule: &str) {
        self.state[i] = State::Removed(rule.to_string());
    }

    /// Replace line `i` by `kept` after cutting `piece` off it, recording the piece
    /// under `rule`.
    pub fn cut(&mut self, i: usize, rule: &str, kept: String, piece: &str) {
        self.partial.push((i, removed(rule, piece)));
        self.text[i] = kept;
    }
}

impl TextRules {
    /// Clean one story.
    pub(super) fn story(&self, seg: Segment, ex: &Extracted, first: bool) -> Story {
        let mut d = Draft::new(&seg);
        self.line_rules(&mut d);
        if first && ex.headline.is_some() {
            d.headline = ex.headline.clone();
        } else if !ex.structured {
            self.choose_headline(&mut d);
        }
        self.drop_repeats(&mut d);
        self.drop_trailing_headlines(&mut d);
        // A date stated in the text is the publish date when nothing better is there.
        let mut story = self.finish(d, seg.truncated, ex);
        if story.published.is_none() {
            story.published = self.dates.stated(&seg.lines, ex.language.as_deref());
        }
        story
    }

    /// Step 1: the line rules, in order, on every line.
    fn line_rules(&self, d: &mut Draft) {
        let mut seen_content = false;
        for i in 0..d.text.len() {
            if d.text[i].is_empty() || d.state[i] != State::Keep {
                continue;
            }
            self.strip_rules(d, i);
            if d.text[i].is_empty() {
                continue;
            }
            // The matching form of the line, shared by the checks below (none of them
            // changes the line before the data rules run).
            let folded = fold(&d.text[i]);
            if let Some(iso) = self.dates.date_line_folded(&d.text[i], &folded, None) {
                d.remove(i, DATE_LINE);
                d.published.get_or_insert(iso);
                continue;
            }
            if self.credit_line(&d.text[i]).is_some() {
                d.remove(i, CREDIT_LINE);
                continue;
            }
            if shape::is_url_line(&d.text[i]) {
                d.remove(i, URL_LINE);
                continue;
            }
            if let Some((rule, glued)) = self.read_more_folded(&d.text[i], &folded) {
                match glued {
                    None => d.remove(i, &rule.name),
                    Some(kept) => {
                        let cut: String = d.text[i].chars().skip(kept.chars().count()).collect();
                        d.cut(i, &rule.name, kept, &cut);
                    }
                }
                seen_content |= d.state[i] == State::Keep;
                continue;
            }
            let matched = self.data_rules(d, i, seen_content, &folded);
            if !matched && d.state[i] == State::Keep {
                seen_content = true;
            }
        }
    }

    /// The agencies of a line that is only agency names ("أ ب", "AFP, EFE"), if it is one.
    fn credit_line(&self, line: &str) -> Option<Vec<Credit>> {
        if line.chars().count() > 60 {
            return None;
        }
        if let Some(c) = self.agencies.lookup(line) {
            return Some(vec![c]);
        }
        let parts: Vec<&str> = line
            .split([',', '،', '/', '&', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let credits: Vec<Credit> = parts
            .iter()
            .filter_map(|p| self.agencies.lookup(p))
            .collect();
        (parts.len() >= 2 && credits.len() == parts.len()).then_some(credits)
    }

    /// `strip` rules: cut a matching piece off the start or end of line `i`. A date in
    /// the piece becomes the story's date when none is known.
    fn strip_rules(&self, d: &mut Draft, i: usize) {
        // The folded line, computed once and again only after a cut changed the line;
        // the map back to display chars only when a pattern matched.
        let mut folded_line: Option<String> = None;
        for rule in self.patterns.of_kind(Kind::Strip) {
            if rule
                .max_chars
                .is_some_and(|m| d.text[i].chars().count() > m)
            {
                continue;
            }
            for p in &rule.patterns {
                let Pattern::Regex(re) = p else { continue };
                let folded = folded_line.get_or_insert_with(|| fold(&d.text[i]));
                let Some(m) = re.find(folded) else { continue };
                let at_start = folded[..m.start()].trim().is_empty();
                let at_end = folded[m.end()..].trim().is_empty();
                if !(at_start || at_end) || m.start() == m.end() {
                    continue;
                }
                // `fold` and `fold_with_map` give the same text.
                let (_, map) = fold_with_map(&d.text[i]);
                let display: Vec<char> = d.text[i].chars().collect();
                let to_display = |folded_byte: usize| {
                    let c = folded[..folded_byte].chars().count();
                    map.get(c).copied().unwrap_or(display.len())
                };
                let (a, b) = (to_display(m.start()), to_display(m.end()));
                let piece: String = display[a..b.max(a)].iter().collect();
                let kept: String = if at_start {
                    display[b..].iter().collect()
                } else {
                    display[..a].iter().collect()
                };
                let iso = self.dates.date_line(&piece).or_else(|| {
                    piece
                        .split_once(char::is_whitespace)
                        .and_then(|(_, rest)| self.dates.date_line(rest))
                });
                if let Some(iso) = iso {
                    d.published.get_or_insert(iso);
                }
                d.cut(i, &rule.name, kept.trim().to_string(), &piece);
                folded_line = None;
            }
        }
    }

    /// The data rules on line `i`; true when one removed or marked the line.
    fn data_rules(&self, d: &mut Draft, i: usize, seen_content: bool, folded: &str) -> bool {
        let k = key_of_folded(folded);
        for rule in &self.patterns.rules {
            if rule.position == Position::Head && seen_content {
                continue;
            }
            if rule.kind == Kind::Block {
                if let Some(members) =
                    self.block_at(&mut d.text, &d.state, &mut d.partial, i, rule, &k, folded)
                {
                    for j in members {
                        d.remove(j, &rule.name);
                    }
                    return !d.text[i].is_empty() && d.state[i] != State::Keep;
                }
                continue;
            }
            if let Some(found) = self.rule_matches(rule, &d.text[i], folded, &k) {
                if rule.effect == Effect::NotHeadline {
                    d.not_headline[i] = true;
                    continue;
                }
                if let Some(p) = found {
                    if let Some(c) = self.agencies.lookup(&p) {
                        d.publisher_credit.push((i, c));
                    }
                    d.publisher.get_or_insert(p);
                }
                d.remove(i, &rule.name);
                return true;
            }
        }
        false
    }

    /// Step 3: lines equal to the headline, and later copies of an earlier kept line.
    /// The first copy of a repeated line (a quote, a caption) stays where it is.
    fn drop_repeats(&self, d: &mut Draft) {
        let headline_key = d.headline.as_deref().map(key).unwrap_or_default();
        let mut seen: Vec<String> = Vec::new();
        for i in d.kept() {
            let k = key(&d.text[i]);
            if !headline_key.is_empty() && k == headline_key {
                d.remove(i, REPEATED_HEADLINE);
            } else if seen.contains(&k)
                && d.text[i].split_whitespace().count()
                    >= self.patterns.settings.duplicate_min_words
            {
                d.remove(i, DUPLICATE_LINE);
            } else {
                seen.push(k);
            }
        }
    }

    /// Does the last paragraph read as prose (a cut-off paragraph), not as a headline?
    /// A comma is enough: keeping one related headline costs less than losing a
    /// sentence.
    fn prose_like(&self, s: &str) -> bool {
        let words = shape::word_count(s);
        shape::has_inner_sentence_end(s)
            || shape::inner_commas(s) >= 1
            || words > self.patterns.settings.trailing_last_max_words
    }

    /// Step 4: a trailing run of related headlines. Longer runs are lists that belong
    /// to the article (a festival line-up), so they stay; a last paragraph that reads
    /// as prose (or is a caption or byline) is body, so nothing before it is a trailing
    /// list; a line followed by a line that starts in lower case is a hard-wrapped
    /// sentence, not a headline.
    fn drop_trailing_headlines(&self, d: &mut Draft) {
        let k = d.kept();
        let Some(&last) = k.last() else { return };
        if self.prose_like(&d.text[last]) || d.not_headline[last] {
            return;
        }
        let mut run = 0;
        for &i in k.iter().rev() {
            // The next line with no paragraph break between continues a sentence.
            let continued = d
                .text
                .get(i + 1)
                .is_some_and(|next| shape::starts_lowercase(next));
            // Captions and bylines are the article's, not another article's headline.
            if continued || d.not_headline[i] || !self.related_headline_like(&d.text[i]) {
                break;
            }
            run += 1;
        }
        let st = &self.patterns.settings;
        if run >= st.trailing_run_min && run <= st.trailing_run_max && run < k.len() {
            for &i in &k[k.len() - run..] {
                d.remove(i, TRAILING_HEADLINES);
            }
        }
    }

    /// Step 5: the story: removed lines in order, credits in order (container
    /// metadata first), dateline, and the container's values winning over the text's.
    fn finish(&self, d: Draft, truncated: bool, ex: &Extracted) -> Story {
        let mut pieces: Vec<(usize, Removed)> = d.partial.clone();
        for (i, s) in d.state.iter().enumerate() {
            if let State::Removed(rule) = s {
                pieces.push((i, removed(rule, &d.text[i])));
            }
        }
        pieces.sort_by_key(|p| p.0);

        let mut credits: Vec<Credit> = Vec::new();
        agencies::merge(
            &mut credits,
            ex.credits.iter().filter_map(|c| self.agencies.lookup(c)),
        );
        for i in 0..d.text.len() {
            match &d.state[i] {
                State::Keep | State::Headline if !d.text[i].is_empty() => {
                    agencies::merge(&mut credits, self.agencies.find(&d.text[i]));
                }
                State::Removed(r) if r == CREDIT_LINE => {
                    agencies::merge(
                        &mut credits,
                        self.credit_line(&d.text[i]).unwrap_or_default(),
                    );
                }
                _ => {}
            }
            agencies::merge(
                &mut credits,
                d.publisher_credit
                    .iter()
                    .filter(|p| p.0 == i)
                    .map(|p| p.1.clone()),
            );
        }

        let paragraphs: Vec<String> = d.kept().into_iter().map(|i| d.text[i].clone()).collect();
        // The first three paragraphs, headline-like or not: Chinese lead paragraphs
        // have no spaces and can look like headlines.
        let dateline = ex.dateline.clone().or_else(|| {
            paragraphs
                .iter()
                .take(3)
                .find_map(|p| self.datelines.find(p))
        });
        Story {
            headline: d.headline,
            paragraphs,
            truncated,
            dateline,
            published: ex.published.clone().or(d.published),
            publisher: ex.publisher.clone().or(d.publisher),
            credits,
            removed: pieces.into_iter().map(|p| p.1).collect(),
        }
    }
}
