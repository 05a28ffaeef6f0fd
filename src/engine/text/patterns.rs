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
//! kind = "exact"            # exact | prefix | regex | block | read_more
//! position = "any"          # any | head (only before the story's first kept line)
//! patterns = ["Post a Comment", "Leave a comment"]
//! max_chars = 120           # prefix/regex: only lines up to this many chars
//! max_lines = 1             # block: at most this many lines after the header
//! ```
//!
//! Exact, prefix, block and read-more patterns are compared on the *key* of a line:
//! its matching form ([`fold`]) with leading and trailing punctuation trimmed, so
//! "… المزيد", "Read more »" and "أخبار:" match "المزيد", "read more", "أخبار".
//! Regexes run on the folded, trimmed line (lower case, bare alef, ASCII digits);
//! a named group `publisher` names the publisher ("المصدر : الجزيرة").

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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleToml {
    name: Spanned<String>,
    kind: Kind,
    #[serde(default)]
    position: Position,
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
    folded
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_string()
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
            let parsed: FileToml = match toml::from_str(&file.text) {
                Ok(p) => p,
                Err(e) => {
                    errors.push(DataError::from_toml(&file.name, &file.text, &e));
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
                let mut patterns = Vec::new();
                for p in &rule.patterns {
                    let line = line_of(&file.text, p.span().start);
                    let src = p.get_ref();
                    if rule.kind == Kind::Regex {
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
    fn max_lines_only_for_blocks() {
        let text = "[[rule]]\nname = \"x\"\nkind = \"exact\"\nmax_lines = 2\npatterns = [\"a\"]\n";
        let errs = Patterns::from_files(&file(text)).unwrap_err();
        assert_eq!(errs[0].line, 2);
    }
}
