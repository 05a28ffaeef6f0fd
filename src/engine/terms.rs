//! Term matching on the folded text: word sequences with optional stem (`*`) and the
//! clitic prefixes of the term's language (Arabic و ف ب ل ك ال, …), as its language
//! model (`data/languages/<code>.toml`) lists them.
//!
//! All terms of all topics go into one Aho-Corasick automaton, so matching an article
//! is one pass over its text whatever the number of topics. Candidates are then
//! checked for word edges: a term must start at a word start (after an allowed clitic)
//! and end at a word end unless it is a stem. Terms of languages that are not
//! space-delimited (Chinese) have no word edges to check.

use crate::engine::chars::CharClass;
use aho_corasick::{AhoCorasick, MatchKind};

use crate::engine::language::LanguageModel;
use crate::engine::normalize;

/// A term as compiled: its folded pattern and how its edges are checked.
#[derive(Debug, Clone)]
pub struct Term {
    /// The term as written in the data file.
    pub text: String,
    /// `true` when written with a trailing `*`: matches any word continuation.
    pub stem: bool,
    /// Index into the set's clitic lists, when the language has clitics.
    clitics: Option<usize>,
    /// `false` for languages that are not space-delimited: no edge checks.
    edges: bool,
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
    /// Each language's clitic prefixes (folded), as referenced by `Term::clitics`.
    clitics: Vec<Vec<String>>,
    automaton: Option<AhoCorasick>,
}

fn is_word_char(c: char) -> bool {
    c.is_alnum()
}

/// Why a term string cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermError(pub String);

impl TermSet {
    /// Compile terms, each with its language model (none: no clitics, word edges).
    /// Each term is folded with [`normalize::fold`]; a trailing `*` makes it a stem; a
    /// leading article of the language (Arabic ال) is dropped, since the article is
    /// one of the allowed clitics anyway and dropping it lets لل-contractions match.
    pub fn new<S: AsRef<str>>(
        terms: &[(S, Option<&LanguageModel>)],
    ) -> Result<TermSet, (usize, TermError)> {
        let mut compiled = Vec::with_capacity(terms.len());
        let mut patterns = Vec::with_capacity(terms.len());
        let mut clitics: Vec<(String, Vec<String>)> = Vec::new();
        for (i, (raw, lang)) in terms.iter().enumerate() {
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
            if let Some(article) = lang.and_then(|l| l.article.as_deref()) {
                if let Some(rest) = folded.strip_prefix(article) {
                    if rest.chars().count() >= 2 {
                        folded = rest.to_string();
                    }
                }
            }
            let edges = lang.is_none_or(|l| l.space_delimited);
            if stem && edges && folded.chars().count() < 3 {
                return Err((
                    i,
                    TermError(format!("stem {raw:?} is shorter than 3 letters")),
                ));
            }
            let clitic_list = match lang {
                Some(l) if !l.prefixes.is_empty() || !l.prefix_rewrites.is_empty() => {
                    Some(match clitics.iter().position(|(c, _)| *c == l.code) {
                        Some(k) => k,
                        None => {
                            let mut list = l.prefixes.clone();
                            list.extend(l.prefix_rewrites.iter().map(|(p, _)| p.clone()));
                            clitics.push((l.code.clone(), list));
                            clitics.len() - 1
                        }
                    })
                }
                _ => None,
            };
            compiled.push(Term {
                text: raw.to_string(),
                stem,
                clitics: clitic_list,
                edges,
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
            clitics: clitics.into_iter().map(|(_, l)| l).collect(),
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
            if !term.edges {
                out.push(Occurrence {
                    term: m.pattern().as_usize(),
                    start: m.start(),
                    end: m.end(),
                });
                continue;
            }
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
            let clitic_ok = || {
                term.clitics
                    .is_some_and(|k| self.clitics[k].iter().any(|c| c == prefix))
            };
            if !(prefix.is_empty() || clitic_ok()) {
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

    fn languages() -> crate::engine::language::Languages {
        let set = crate::data::DataSet::builtin();
        crate::engine::language::Languages::from_files(&set.languages).unwrap()
    }

    /// Terms of the language the script suggests (Arabic, Han), else English.
    fn set(terms: &[&str]) -> Result<TermSet, (usize, TermError)> {
        let langs = languages();
        let list: Vec<(&str, Option<&LanguageModel>)> = terms
            .iter()
            .map(|t| {
                let code = match t.chars().next() {
                    Some(c) if ('\u{0600}'..='\u{06FF}').contains(&c) => "ar",
                    Some(c) if crate::engine::language::is_han(c) => "zh",
                    _ => "en",
                };
                (*t, langs.get(code))
            })
            .collect();
        // the models outlive the set's construction only; TermSet copies what it needs
        TermSet::new(&list)
    }

    fn hits(terms: &[&str], text: &str) -> Vec<String> {
        let set = set(terms).unwrap();
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
        assert!(set(&["ab*"]).is_err());
        assert!(set(&["   "]).is_err());
    }

    #[test]
    fn chinese_terms_need_no_word_edges() {
        assert_eq!(hits(&["抗议"], "数千人抗议燃料涨价"), vec!["抗议"]);
        assert_eq!(hits(&["乌克兰"], "俄罗斯入侵乌克兰以来"), vec!["乌克兰"]);
    }
}
