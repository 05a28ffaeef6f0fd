//! Term matching on the folded text: word sequences with optional stem (`*`)
//! and, for Arabic-script terms, the clitic prefixes Arabic attaches to words.
//!
//! All terms of all topics go into one Aho-Corasick automaton, so matching an article
//! is one pass over its text whatever the number of topics. Candidates are then
//! checked for word boundaries: a term must start at a word start (after an allowed
//! Arabic clitic such as و ب ل ف ك ال) and end at a word end unless it is a stem.

use aho_corasick::{AhoCorasick, MatchKind};

use crate::engine::normalize;

/// A term as compiled: its folded pattern and how its edges are checked.
#[derive(Debug, Clone)]
pub struct Term {
    /// The term as written in the data file.
    pub text: String,
    /// `true` when written with a trailing `*`: matches any word continuation.
    pub stem: bool,
    /// Arabic-script term: clitic prefixes are allowed before it.
    pub arabic: bool,
}

/// One accepted occurrence of a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    /// Index of the term in the set.
    pub term: usize,
    /// Byte range in the searched text (including any clitic prefix).
    pub start: usize,
    pub end: usize,
}

/// A compiled set of terms.
#[derive(Debug, Clone)]
pub struct TermSet {
    terms: Vec<Term>,
    automaton: Option<AhoCorasick>,
}

/// Arabic proclitics, as they may stack before a word: conjunction (و ف), then
/// preposition (ب ل ك), then the article (ال); ل + ال contracts to لل.
fn is_arabic_clitic_prefix(prefix: &str) -> bool {
    let mut rest = prefix;
    if let Some(r) = rest.strip_prefix(['و', 'ف']) {
        rest = r;
    }
    if let Some(r) = rest.strip_prefix("لل") {
        return r.is_empty();
    }
    if let Some(r) = rest.strip_prefix(['ب', 'ل', 'ك']) {
        rest = r;
    }
    if let Some(r) = rest.strip_prefix("ال") {
        rest = r;
    }
    rest.is_empty()
}

fn is_arabic(c: char) -> bool {
    ('\u{0600}'..='\u{06FF}').contains(&c) || ('\u{0750}'..='\u{077F}').contains(&c)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Why a term string cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermError(pub String);

impl TermSet {
    /// Compile terms. Each term is folded with [`normalize::fold`]; a trailing `*`
    /// makes it a stem; a leading Arabic article ال is dropped (it is one of the
    /// allowed prefixes anyway, and dropping it lets لل-contractions match).
    pub fn new<S: AsRef<str>>(terms: &[S]) -> Result<TermSet, (usize, TermError)> {
        let mut compiled = Vec::with_capacity(terms.len());
        let mut patterns = Vec::with_capacity(terms.len());
        for (i, raw) in terms.iter().enumerate() {
            let raw = raw.as_ref();
            let trimmed = raw.trim();
            let (body, stem) = match trimmed.strip_suffix('*') {
                Some(b) => (b.trim_end(), true),
                None => (trimmed, false),
            };
            let mut folded = normalize::fold(&normalize::display(body));
            if folded.is_empty() || folded.contains('*') {
                return Err((i, TermError(format!("invalid term {raw:?}"))));
            }
            let arabic = folded.chars().next().is_some_and(is_arabic);
            if arabic {
                if let Some(rest) = folded.strip_prefix("ال") {
                    if rest.chars().count() >= 2 {
                        folded = rest.to_string();
                    }
                }
            }
            if stem && folded.chars().count() < 3 {
                return Err((
                    i,
                    TermError(format!("stem {raw:?} is shorter than 3 letters")),
                ));
            }
            compiled.push(Term {
                text: raw.to_string(),
                stem,
                arabic,
            });
            patterns.push(folded);
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(&patterns)
                    .map_err(|e| (0, TermError(e.to_string())))?,
            )
        };
        Ok(TermSet {
            terms: compiled,
            automaton,
        })
    }

    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// Every accepted occurrence in `text` (already folded), in order of start.
    /// Overlapping occurrences of different terms are all returned; callers decide.
    pub fn find(&self, text: &str) -> Vec<Occurrence> {
        let Some(ac) = &self.automaton else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for m in ac.find_overlapping_iter(text) {
            let term = &self.terms[m.pattern().as_usize()];
            // right edge
            if !term.stem {
                if let Some(next) = text[m.end()..].chars().next() {
                    if is_word_char(next) {
                        continue;
                    }
                }
            }
            // left edge: the start of the word holding the match
            let word_start = text[..m.start()]
                .char_indices()
                .rev()
                .find(|(_, c)| !is_word_char(*c))
                .map(|(i, c)| i + c.len_utf8())
                .unwrap_or(0);
            let prefix = &text[word_start..m.start()];
            if !(prefix.is_empty() || term.arabic && is_arabic_clitic_prefix(prefix)) {
                continue;
            }
            // a stem's occurrence runs to the end of its word
            let end = if term.stem {
                text[m.end()..]
                    .char_indices()
                    .find(|(_, c)| !is_word_char(*c))
                    .map(|(i, _)| m.end() + i)
                    .unwrap_or(text.len())
            } else {
                m.end()
            };
            out.push(Occurrence {
                term: m.pattern().as_usize(),
                start: word_start,
                end,
            });
        }
        out.sort_by_key(|o| (o.start, std::cmp::Reverse(o.end)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(terms: &[&str], text: &str) -> Vec<String> {
        let set = TermSet::new(terms).unwrap();
        let folded = normalize::fold(&normalize::display(text));
        set.find(&folded)
            .iter()
            .map(|o| folded[o.start..o.end].to_string())
            .collect()
    }

    #[test]
    fn arabic_clitics_are_allowed() {
        assert_eq!(
            hits(&["كييف"], "وفي كييف وبكييف ولكييف"),
            vec!["كييف", "وبكييف", "ولكييف"]
        );
        assert_eq!(
            hits(&["الكرملين"], "للكرملين والكرملين"),
            vec!["للكرملين", "والكرملين"]
        );
    }

    #[test]
    fn arabic_non_words_are_rejected() {
        assert!(hits(&["كييف"], "تكييف الهواء وفريق كييفو").is_empty());
        assert!(hits(&["القرم"], "الحمى القرمزية").is_empty());
    }

    #[test]
    fn stems_and_boundaries() {
        assert_eq!(
            hits(&["протест*"], "Протестующие вышли"),
            vec!["протестующие"]
        );
        assert!(hits(&["war"], "warsaw").is_empty());
        assert_eq!(hits(&["war"], "the war's end"), vec!["war"]);
        assert_eq!(hits(&["kyiv"], "Kyiv, Ukraine"), vec!["kyiv"]);
        // non-Arabic terms get no clitic allowance
        assert!(hits(&["kyiv"], "xkyiv").is_empty());
    }

    #[test]
    fn multiword_terms() {
        assert_eq!(
            hits(&["security forces"], "Security  forces fired"),
            vec!["security forces"]
        );
    }

    #[test]
    fn short_stems_are_errors() {
        assert!(TermSet::new(&["ab*"]).is_err());
        assert!(TermSet::new(&["   "]).is_err());
    }
}
