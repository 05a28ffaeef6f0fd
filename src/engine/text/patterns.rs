//! Boilerplate patterns loaded from `data/boilerplate/*.toml`: the line rules (exact
//! lines, prefixes, regexes, block headers, read-more markers) and the thresholds the
//! code mechanisms (duplicates, trailing headline runs, headline detection) use.
//!
//! File format:
//!
//! ```toml
//! [settings]                # optional; later files override earlier ones
//! headline_max_chars = 150
//!
//! [[rule]]
//! name = "comment_prompt"   # recorded in `Removed.rule`
//! kind = "exact"            # exact | prefix | regex | block | read_more | strip
//! position = "any"          # any | head (only before the story's first kept line)
//! effect = "remove"         # remove | not_headline (the line stays in the body but
//!                           # can never be the headline: captions, bylines)
//! patterns = ["Post a Comment", "Leave a comment"]
//! max_chars = 120           # prefix/regex/strip: only lines up to this many chars
//! max_lines = 1             # block: at most this many lines after the header
//! ```
//!
//! `strip` rules are regexes whose match at the start or the end of a line is cut
//! off and recorded, the rest of the line staying (a scraper's "date 2024-01 " stamp).
//!
//! Exact, prefix, block and read-more patterns are compared on the *key* of a line:
//! its matching form ([`fold`]) with leading and trailing punctuation trimmed, so
//! "… المزيد", "Read more »" and "أخبار:" match "المزيد", "read more", "أخبار".
//! Regexes run on the folded, trimmed line (lower case, bare alef, ASCII digits);
//! a named group `publisher` names the publisher ("المصدر : الجزيرة").

use crate::engine::chars::CharClass;
use serde::Deserialize;
use toml::Spanned;

use crate::data::DataFile;
use crate::engine::normalize::fold;
use crate::error::DataError;

/// Thresholds for the code mechanisms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Longest line (chars) that can be a headline or a related-headline line.
    pub headline_max_chars: usize,
    /// Fewest words in a headline ("Bbabo NET"-like one-word lines are not).
    pub headline_min_words: usize,
    /// Longest line (chars) a block (related news, tags) swallows after its header.
    pub block_line_max_chars: usize,
    /// Fewest headline-like lines at the end of a story that count as a related list.
    pub trailing_run_min: usize,
    /// Most lines in such a run; a longer run is a list belonging to the article.
    pub trailing_run_max: usize,
    /// Fewest words in each line of such a run.
    pub trailing_min_words: usize,
    /// Fewest words for a line to be dropped as a repeat of an earlier line
    /// (separators like "* * *" legitimately repeat).
    pub duplicate_min_words: usize,
    /// Most non-empty lines looked at for a headline before the body starts.
    pub head_max_lines: usize,
    /// Width (chars, CJK counting two) from which a line that ends like a sentence is
    /// a body paragraph and ends the head of the page.
    pub body_min_chars: usize,
    /// A line of at most this many words directly followed by a longer headline-like
    /// line is a section label or kicker, not the headline.
    pub label_max_words: usize,
    /// Most words in a site-name suffix (" | Site", " – site.com").
    pub site_suffix_max_words: usize,
    /// The last line of a story is body (a cut-off paragraph), never part of a trailing
    /// related-headlines run, when it has more words than this (or reads as prose).
    pub trailing_last_max_words: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            headline_max_chars: 150,
            headline_min_words: 2,
            block_line_max_chars: 160,
            trailing_run_min: 2,
            trailing_run_max: 12,
            trailing_min_words: 3,
            duplicate_min_words: 3,
            head_max_lines: 30,
            body_min_chars: 200,
            label_max_words: 3,
            site_suffix_max_words: 6,
            trailing_last_max_words: 14,
        }
    }
}

/// How a rule matches a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The line's key equals the pattern.
    Exact,
    /// The line's key starts with the pattern followed by a word boundary.
    Prefix,
    /// The regex matches the folded line.
    Regex,
    /// A block header: the header line plus the short lines after it.
    Block,
    /// A truncation marker ("… المزيد", "Read more"): ends a teaser.
    ReadMore,
    /// A regex whose match at the start or end of a line is cut off.
    Strip,
}

/// What a matching rule does to its line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The line is removed (and listed with the rule).
    #[default]
    Remove,
    /// The line stays in the body but is never taken as the headline.
    NotHeadline,
}

/// Where in a story a rule may fire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    #[default]
    Any,
    /// Only before the first kept line of the story (site names, nav words).
    Head,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    settings: Option<SettingsToml>,
    #[serde(default)]
    rule: Vec<RuleToml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsToml {
    headline_max_chars: Option<usize>,
    headline_min_words: Option<usize>,
    block_line_max_chars: Option<usize>,
    trailing_run_min: Option<usize>,
    trailing_run_max: Option<usize>,
    trailing_min_words: Option<usize>,
    duplicate_min_words: Option<usize>,
    head_max_lines: Option<usize>,
    body_min_chars: Option<usize>,
    label_max_words: Option<usize>,
    site_suffix_max_words: Option<usize>,
    trailing_last_max_words: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleToml {
    name: Spanned<String>,
    kind: Kind,
    #[serde(default)]
    position: Position,
    #[serde(default)]
    effect: Effect,
    patterns: Vec<Spanned<String>>,
    max_chars: Option<usize>,
    max_lines: Option<usize>,
}

/// One compiled pattern of a rule.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// Key form of an exact/prefix/block/read-more pattern.
    Key(String),
    Regex(regex::Regex),
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub kind: Kind,
    pub position: Position,
    pub effect: Effect,
    pub patterns: Vec<Pattern>,
    pub max_chars: Option<usize>,
    pub max_lines: Option<usize>,
}

/// All boilerplate rules, in file order then rule order.
#[derive(Debug, Clone, Default)]
pub struct Patterns {
    pub settings: Settings,
    pub rules: Vec<Rule>,
}

/// The key of a line: folded, leading/trailing punctuation and spaces trimmed.
pub fn key(s: &str) -> String {
    key_of_folded(&fold(s))
}

/// [`key`] for text that is already folded.
pub fn key_of_folded(folded: &str) -> String {
    folded.trim_matches(|c: char| !c.is_alnum()).to_string()
}

fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    // `offset` comes from the TOML parser and is a char boundary; guard anyway.
    let end = (0..=end)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    text[..end].matches('\n').count() + 1
}

impl Patterns {
    /// Parse and compile every boilerplate file; reports every bad rule, not only the first.
    pub fn from_files(files: &[DataFile]) -> Result<Patterns, Vec<DataError>> {
        let mut out = Patterns::default();
        let mut errors = Vec::new();
        for file in files {
            let parsed: FileToml = match file.parse() {
                Ok(p) => p,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            if let Some(s) = parsed.settings {
                let d = &mut out.settings;
                d.headline_max_chars = s.headline_max_chars.unwrap_or(d.headline_max_chars);
                d.headline_min_words = s.headline_min_words.unwrap_or(d.headline_min_words);
                d.block_line_max_chars = s.block_line_max_chars.unwrap_or(d.block_line_max_chars);
                d.trailing_run_min = s.trailing_run_min.unwrap_or(d.trailing_run_min);
                d.trailing_run_max = s.trailing_run_max.unwrap_or(d.trailing_run_max);
                d.trailing_min_words = s.trailing_min_words.unwrap_or(d.trailing_min_words);
                d.duplicate_min_words = s.duplicate_min_words.unwrap_or(d.duplicate_min_words);
                d.head_max_lines = s.head_max_lines.unwrap_or(d.head_max_lines);
                d.body_min_chars = s.body_min_chars.unwrap_or(d.body_min_chars);
                d.label_max_words = s.label_max_words.unwrap_or(d.label_max_words);
                d.site_suffix_max_words =
                    s.site_suffix_max_words.unwrap_or(d.site_suffix_max_words);
                d.trailing_last_max_words = s
                    .trailing_last_max_words
                    .unwrap_or(d.trailing_last_max_words);
            }
            for rule in parsed.rule {
                let rule_line = line_of(&file.text, rule.name.span().start);
                let err = |line: usize, msg: String| DataError::new(&file.name, line, msg);
                let name = rule.name.get_ref().trim().to_string();
                if name.is_empty() {
                    errors.push(err(rule_line, "rule name is empty".into()));
                    continue;
                }
                if rule.patterns.is_empty() {
                    errors.push(err(rule_line, format!("rule `{name}` has no patterns")));
                    continue;
                }
                if rule.max_lines.is_some() && rule.kind != Kind::Block {
                    errors.push(err(
                        rule_line,
                        format!("rule `{name}`: max_lines only applies to kind = \"block\""),
                    ));
                    continue;
                }
                if rule.effect == Effect::NotHeadline
                    && !matches!(rule.kind, Kind::Exact | Kind::Prefix | Kind::Regex)
                {
                    errors.push(err(
                        rule_line,
                        format!("rule `{name}`: effect = \"not_headline\" only applies to exact, prefix and regex rules"),
                    ));
                    continue;
                }
                let mut patterns = Vec::new();
                for p in &rule.patterns {
                    let line = line_of(&file.text, p.span().start);
                    let src = p.get_ref();
                    if matches!(rule.kind, Kind::Regex | Kind::Strip) {
                        match regex::RegexBuilder::new(src).size_limit(1 << 20).build() {
                            Ok(re) => patterns.push(Pattern::Regex(re)),
                            Err(e) => errors.push(err(
                                line,
                                format!("rule `{name}`: invalid regex {src:?}: {e}"),
                            )),
                        }
                    } else {
                        let k = key(src);
                        if k.is_empty() {
                            errors.push(err(
                                line,
                                format!("rule `{name}`: pattern {src:?} has no letters or digits"),
                            ));
                        } else {
                            patterns.push(Pattern::Key(k));
                        }
                    }
                }
                out.rules.push(Rule {
                    name,
                    kind: rule.kind,
                    position: rule.position,
                    effect: rule.effect,
                    patterns,
                    max_chars: rule.max_chars,
                    max_lines: rule.max_lines,
                });
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// Rules of one kind, in order.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(move |r| r.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Vec<DataFile> {
        vec![DataFile {
            name: "boilerplate/test.toml".into(),
            text: text.into(),
        }]
    }

    #[test]
    fn key_trims_punctuation_and_folds() {
        assert_eq!(key("... المزيد"), "المزيد");
        assert_eq!(key("Read More »"), "read more");
        assert_eq!(key("(أ.ف.ب)"), "ا.ف.ب");
    }

    #[test]
    fn malformed_toml_reports_line() {
        let text = "[[rule]]\nname = \"x\"\nkind = \"exact\"\npatterns = [\"a\"]\ncolour = 3\n";
        let errs = Patterns::from_files(&file(text)).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].file, "boilerplate/test.toml");
        assert_eq!(errs[0].line, 5, "{:?}", errs[0]);
    }

    #[test]
    fn unknown_kind_reports_line() {
        let text = "# c\n\n[[rule]]\nname = \"x\"\nkind = \"fuzzy\"\npatterns = [\"a\"]\n";
        let errs = Patterns::from_files(&file(text)).unwrap_err();
        assert_eq!(errs[0].line, 5, "{:?}", errs[0]);
    }

    #[test]
    fn bad_regex_reports_pattern_line() {
        let text = "[[rule]]\nname = \"src\"\nkind = \"regex\"\npatterns = [\n  \"^ok$\",\n  \"^(broken\",\n]\n";
        let errs = Patterns::from_files(&file(text)).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].line, 6, "{:?}", errs[0]);
        assert!(errs[0].message.contains("invalid regex"));
    }

    #[test]
    fn settings_override_and_rules_compile() {
        let text = "[settings]\ntrailing_run_min = 3\n\n[[rule]]\nname = \"nav\"\nkind = \"exact\"\nposition = \"head\"\npatterns = [\"Home\"]\n";
        let p = Patterns::from_files(&file(text)).unwrap();
        assert_eq!(p.settings.trailing_run_min, 3);
        assert_eq!(p.settings.headline_max_chars, 150);
        assert_eq!(p.rules[0].position, Position::Head);
        assert!(matches!(&p.rules[0].patterns[0], Pattern::Key(k) if k == "home"));
    }

    #[test]
    fn strip_rules_are_regexes_and_effects_parse() {
        let text = "[[rule]]\nname = \"stamp\"\nkind = \"strip\"\npatterns = ['^date \\d{4}']\n\n[[rule]]\nname = \"caption\"\nkind = \"regex\"\neffect = \"not_headline\"\npatterns = ['photo:']\n";
        let p = Patterns::from_files(&file(text)).unwrap();
        assert!(matches!(&p.rules[0].patterns[0], Pattern::Regex(_)));
        assert_eq!(p.rules[1].effect, Effect::NotHeadline);
        let bad = "[[rule]]\nname = \"x\"\nkind = \"block\"\neffect = \"not_headline\"\npatterns = [\"a\"]\n";
        let errs = Patterns::from_files(&file(bad)).unwrap_err();
        assert_eq!(errs[0].line, 2, "{:?}", errs[0]);
    }

    #[test]
    fn max_lines_only_for_blocks() {
        let text = "[[rule]]\nname = \"x\"\nkind = \"exact\"\nmax_lines = 2\npatterns = [\"a\"]\n";
        let errs = Patterns::from_files(&file(text)).unwrap_err();
        assert_eq!(errs[0].line, 2);
    }
}
