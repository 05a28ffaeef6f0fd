//! Step 2 of cleaning a story: the headline, chosen among the lines at the top of the
//! page, before the body starts — not blindly the first line, since scraped pages
//! open with menus, site names, section labels, dates, tickers and captions.
//!
//! Each line of the *head* (the kept lines up to the first body paragraph, at most
//! `head_max_lines`) is one of [`Head`]. Among the candidates, the headline is the
//! first one the page repeats elsewhere (title, breadcrumb and image alt text repeat
//! it), else the first one; a bullet item only when no plain line is a candidate.
//! Above the chosen headline, clutter, labels and other headline-like lines are page
//! chrome and removed (each listed with its rule); prose above it (a caption) stays.
//! The headline loses a leading bullet, a glued date stamp and a site-name suffix,
//! each cut piece listed too.

use std::cell::OnceCell;

use crate::engine::hash::Set;
use crate::engine::normalize::fold;

use super::shape;
use super::story::{Draft, State};
use super::TextRules;

/// Rule names recorded for what this step removes.
const DATE_STAMP: &str = "date_stamp";
const TICKER: &str = "ticker";
const MENU: &str = "menu";
const FILE_NAME: &str = "file_name";
const SECTION_LABEL: &str = "section_label";
const ABOVE_HEADLINE: &str = "above_headline";
const SITE_SUFFIX: &str = "site_suffix";
const BULLET: &str = "bullet";

/// What a line at the top of a page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    /// Page furniture by its shape: removed wherever it is in the head.
    Clutter(&'static str),
    /// Too short to be a headline (a site name, a section, "Latest news").
    Label,
    /// Could be the headline; `bullet` when it is a list item ("• Headline").
    Candidate { bullet: bool },
    /// A caption or byline a `not_headline` rule matched: stays, never the headline.
    Marked,
    /// A sentence: a caption, or the first body paragraph.
    Prose,
}

/// One line of the head.
#[derive(Debug, Clone, Copy)]
struct HeadLine {
    /// Index in the story's lines.
    line: usize,
    kind: Head,
}

impl TextRules {
    /// Step 2: choose the headline and clear the page clutter above it.
    pub(super) fn choose_headline(&self, d: &mut Draft) {
        let skeletons = Skeletons::default();
        let head = self.head(d, &skeletons);
        let pick = self.pick(d, &head, &skeletons);
        // Without a headline, labels at the very top still go; other lines stay.
        let end = pick.unwrap_or(head.len());
        for (n, h) in head.iter().enumerate() {
            match h.kind {
                Head::Clutter(rule) => self.remove_clutter(d, h.line, rule),
                Head::Label if n < end && !prose_before(&head, n) => {
                    d.remove(h.line, SECTION_LABEL)
                }
                Head::Candidate { .. } if pick.is_some_and(|p| n < p) => {
                    d.remove(h.line, ABOVE_HEADLINE)
                }
                _ => {}
            }
        }
        if let Some(n) = pick {
            let i = head[n].line;
            d.state[i] = State::Headline;
            d.headline = Some(self.clean_headline(d, i));
        }
    }

    /// The head of the page: kept lines up to the first body paragraph, classified.
    fn head(&self, d: &Draft, skeletons: &Skeletons) -> Vec<HeadLine> {
        let st = &self.patterns.settings;
        let kept = d.kept();
        let mut head: Vec<HeadLine> = Vec::new();
        for (n, &i) in kept.iter().take(st.head_max_lines).enumerate() {
            let next = kept.get(n + 1).map(|&j| d.text[j].as_str());
            let kind = self.classify(d, i, d.text.get(i + 1).map(String::as_str));
            if kind == Head::Prose && self.starts_body(&d.text[i], next) {
                break;
            }
            head.push(HeadLine { line: i, kind });
        }
        // A short line right above a longer candidate is a section label or kicker
        // ("World", "War in Ukraine"), unless the page repeats it.
        for n in 0..head.len() {
            let Head::Candidate { .. } = head[n].kind else {
                continue;
            };
            let words = shape::word_count(&d.text[head[n].line]);
            let next = head[n + 1..]
                .iter()
                .find(|h| !matches!(h.kind, Head::Clutter(_) | Head::Marked));
            let longer_follows = next.is_some_and(|h| {
                matches!(h.kind, Head::Candidate { .. })
                    && shape::word_count(&d.text[h.line]) > words
            });
            if words <= st.label_max_words
                && longer_follows
                && !repeated(d, head[n].line, skeletons)
            {
                head[n].kind = Head::Label;
            }
        }
        head
    }

    /// What line `i` is, by its shape and the rules that matched it; `next` is the
    /// line right after it (a lower-case start there, with no paragraph break between,
    /// means line `i` is a hard-wrapped sentence, not a headline).
    fn classify(&self, d: &Draft, i: usize, next: Option<&str>) -> Head {
        let line = d.text[i].as_str();
        // Captions and bylines (data rules), and short credit lines ("C.C. with Reuters").
        let credit = shape::word_count(line) <= 4 && !self.agencies.find(line).is_empty();
        if d.not_headline[i] || credit {
            return Head::Marked;
        }
        // "• USD 92.10" is a ticker, "12 марта 2024, 09:15" a stamp.
        if shape::is_ticker(line) && !shape::is_stamp(line) || shape::is_price(line) {
            return Head::Clutter(TICKER);
        }
        if shape::is_stamp(line) {
            return Head::Clutter(DATE_STAMP);
        }
        if shape::is_ticker(line) {
            return Head::Clutter(TICKER);
        }
        if shape::is_menu(line) {
            return Head::Clutter(MENU);
        }
        if shape::has_file_token(line) {
            return Head::Clutter(FILE_NAME);
        }
        let (bullet, body) = match shape::strip_bullet(line) {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let continued = next.is_some_and(shape::starts_lowercase);
        if shape::word_count(body) < self.patterns.settings.headline_min_words {
            Head::Label
        } else if self.headline_like(body) && !continued {
            Head::Candidate { bullet }
        } else {
            Head::Prose
        }
    }

    /// Does a prose line start the body: long, several sentences, or followed by more
    /// prose (a caption above the headline is a single short sentence)?
    fn starts_body(&self, line: &str, next: Option<&str>) -> bool {
        shape::width(line) >= self.patterns.settings.body_min_chars
            || shape::has_inner_sentence_end(line)
            || next.is_none_or(|n| !self.headline_like(n) && shape::word_count(n) >= 3)
    }

    /// The head entry that is the headline, if any: the first candidate the page
    /// repeats, else the first one on the page's topic (sharing words with the body;
    /// a site name or motto shares none), a plain line before a bullet item.
    fn pick(&self, d: &Draft, head: &[HeadLine], skeletons: &Skeletons) -> Option<usize> {
        let kept = d.kept();
        let last_kept = kept.last().copied();
        let in_head: Vec<usize> = head.iter().map(|h| h.line).collect();
        // The body's stems, only once a candidate needs them (many heads have none).
        let body_folded: OnceCell<Vec<String>> = OnceCell::new();
        let body: OnceCell<Set<&str>> = OnceCell::new();
        let body = || {
            body.get_or_init(|| {
                body_folded
                    .get_or_init(|| {
                        kept.iter()
                            .filter(|i| !in_head.contains(i))
                            .map(|&i| fold(&d.text[i]))
                            .collect()
                    })
                    .iter()
                    .flat_map(|f| shape::stems(f))
                    .collect()
            })
        };
        let on_topic = |i: usize| {
            let folded = fold(&d.text[i]);
            let stems = shape::stems(&folded);
            if stems.is_empty() {
                return true;
            }
            let body = body();
            let shared = stems.iter().filter(|s| body.contains(*s)).count();
            body.is_empty() || shared * 4 >= stems.len()
        };
        let rank = |h: &HeadLine| match h.kind {
            // A headline needs text after it.
            _ if Some(h.line) == last_kept => None,
            Head::Candidate { bullet } => {
                Some((!repeated(d, h.line, skeletons), !on_topic(h.line), bullet))
            }
            _ => None,
        };
        head.iter()
            .enumerate()
            .filter_map(|(n, h)| rank(h).map(|r| (r, n)))
            .min()
            .map(|(_, n)| n)
    }

    /// Remove a clutter line; a date stamp dates the story when nothing else did.
    fn remove_clutter(&self, d: &mut Draft, i: usize, rule: &str) {
        if rule == DATE_STAMP {
            let line = shape::strip_bullet(&d.text[i]).unwrap_or(&d.text[i]);
            if let Some(iso) = self.dates.date_line(line) {
                d.published.get_or_insert(iso);
            }
        }
        d.remove(i, rule);
    }

    /// The headline text of line `i`: without a leading bullet, a glued date stamp or
    /// a site-name suffix (each cut piece recorded).
    fn clean_headline(&self, d: &mut Draft, i: usize) -> String {
        let mut text = d.text[i].clone();
        if let Some(rest) = shape::strip_bullet(&text) {
            let cut = text[..text.len() - rest.len()].trim().to_string();
            d.partial.push((i, super::removed(BULLET, &cut)));
            text = rest.to_string();
        }
        let max = self.patterns.settings.site_suffix_max_words;
        if let Some((head, tail)) = shape::split_site_suffix(&text, max) {
            d.partial.push((i, super::removed(SITE_SUFFIX, tail)));
            // the site named after the headline publishes the page
            if let Some(site) = shape::site_name(tail) {
                d.publisher.get_or_insert(site.to_string());
            }
            text = head.to_string();
        }
        if let Some(at) = shape::trailing_stamp(&text) {
            let piece = text[at..].to_string();
            if let Some(iso) = self.dates.date_line(&piece) {
                d.published.get_or_insert(iso);
            }
            d.partial.push((i, super::removed(DATE_STAMP, &piece)));
            text = text[..at].trim_end().to_string();
        }
        text
    }
}

/// Is there a prose or marked line above head entry `n` (then a short line there is
/// part of the text, not page chrome at the top)?
fn prose_before(head: &[HeadLine], n: usize) -> bool {
    head[..n]
        .iter()
        .any(|h| matches!(h.kind, Head::Prose | Head::Marked))
}

/// The skeleton ([`shape::skeleton`] of the folded line) of every line of a draft,
/// computed on first use and shared by all the repeat checks of one headline choice
/// (the lines do not change while the headline is chosen).
#[derive(Default)]
struct Skeletons(std::cell::OnceCell<Vec<String>>);

impl Skeletons {
    fn get(&self, d: &Draft) -> &[String] {
        self.0
            .get_or_init(|| d.text.iter().map(|t| shape::skeleton(&fold(t))).collect())
    }
}

/// Does the page repeat line `i` elsewhere (not on the line right next to it, where a
/// doubled caption sits)? Compared on letters and digits only; a line that starts or
/// ends with it counts ("Kicker Headline", "Headline – Site").
fn repeated(d: &Draft, i: usize, skeletons: &Skeletons) -> bool {
    let line = shape::strip_bullet(&d.text[i]).unwrap_or(&d.text[i]);
    let me = shape::skeleton(&fold(line));
    if me.chars().count() < 8 {
        return false;
    }
    let all = skeletons.get(d);
    let non_empty: Vec<usize> = (0..d.text.len())
        .filter(|&j| !d.text[j].is_empty())
        .collect();
    let pos = non_empty.iter().position(|&j| j == i).unwrap_or(0);
    non_empty.iter().enumerate().any(|(p, &j)| {
        if p.abs_diff(pos) <= 1 {
            return false;
        }
        let other = &all[j];
        *other == me || other.starts_with(&me) || other.ends_with(&me)
    })
}
