//! The language models: one data file per language (`data/languages/<code>.toml`) that
//! every matcher reads — script, word delimiting, clitics, inflection, identification
//! evidence. Adding a language is adding its file (and names/terms in that language);
//! no matcher keeps a list of its own.
//!
//! # Data
//!
//! ```toml
//! code = "ar"               # ISO 639-1 (2–3 lowercase letters); must match the file name
//! name = "Arabic"
//! script = "Arabic"         # Latin | Cyrillic | Arabic | Han | Greek | Hebrew | Other
//! space_delimited = true    # false (zh): every character is a token, no word edges
//!
//! [clitics]
//! prefixes = ["و", "ال"]    # glued before the first word of a name or term
//! conjunctions = ["و"]     # the prefixes that coordinate ("و…" = "and …")
//! prefix_rewrites = [["لل", "ال"]]  # a clitic after which the text continues with …
//! article = "ال"            # the article, when it is a clitic: dropped from terms
//! suffixes = []             # glued after the last word of a name
//!
//! [inflection]
//! nominative_endings = ["а"]  # stripped from a listed name to get its stem
//! endings = ["у", "ой"]       # case endings a stem may take
//! min_stem = 3                # shorter stems never inflect
//!
//! [identify]
//! letters = "ыэъ"           # letters that set this language apart within its script
//! latin_letters = ""        # the same, for a second (Latin) alphabet of the language
//! words = ["и", "в"]        # frequent function words
//! ```
//!
//! Strings are folded like the text before use (see `normalize`).

use crate::engine::chars::CharClass;
use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::data::DataFile;
use crate::engine::normalize::fold;
use crate::error::DataError;

/// The writing system of a language, for identification and tokenisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum Script {
    Latin,
    Cyrillic,
    Arabic,
    Han,
    Greek,
    Hebrew,
    Other,
}

impl Script {
    /// The script of one character, if it is a letter of a script we know.
    pub fn of(c: char) -> Option<Script> {
        Some(match c {
            'a'..='z' | 'A'..='Z' => Script::Latin,
            _ if c.is_ascii() => return None,
            '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' => Script::Latin,
            '\u{0370}'..='\u{03FF}' => Script::Greek,
            '\u{0400}'..='\u{052F}' => Script::Cyrillic,
            '\u{0590}'..='\u{05FF}' => Script::Hebrew,
            '\u{0600}'..='\u{06FF}'
            | '\u{0750}'..='\u{077F}'
            | '\u{FB50}'..='\u{FDFF}'
            | '\u{FE70}'..='\u{FEFF}' => Script::Arabic,
            c if is_han(c) => Script::Han,
            _ => return None,
        })
    }
}

impl Script {
    /// The regex class of the script's letters.
    pub fn regex_class(self) -> &'static str {
        match self {
            Script::Latin => r"\p{Latin}",
            Script::Cyrillic => r"\p{Cyrillic}",
            Script::Arabic => r"\p{Arabic}",
            Script::Han => r"\p{Han}",
            Script::Greek => r"\p{Greek}",
            Script::Hebrew => r"\p{Hebrew}",
            Script::Other => r"\p{L}",
        }
    }

    /// Does the script write capital letters (a place name stands out by case)?
    pub fn has_case(self) -> bool {
        matches!(self, Script::Latin | Script::Cyrillic | Script::Greek)
    }
}

/// CJK ideographs (and the CJK punctuation-free letter ranges Chinese text uses).
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2A6DF}' | '\u{3005}' | '\u{3007}')
}

/// One language, compiled.
#[derive(Debug, Clone)]
pub struct LanguageModel {
    pub code: String,
    pub name: String,
    pub script: Script,
    pub space_delimited: bool,
    /// Folded clitic prefixes.
    pub prefixes: Vec<String>,
    /// The prefixes that coordinate ("و…" = "and …"), folded; each is in `prefixes`.
    pub conjunctions: Vec<String>,
    /// The definite article when it is a clitic (Arabic ال): a term written with it
    /// also matches under any clitic stack.
    pub article: Option<String>,
    /// (clitic, replacement): the text after the clitic is also tried with the replacement.
    pub prefix_rewrites: Vec<(String, String)>,
    pub suffixes: Vec<String>,
    /// Longest first.
    pub nominative_endings: Vec<String>,
    pub endings: Vec<String>,
    pub min_stem: usize,
    /// Distinctive letters, lower case.
    pub letters: Vec<char>,
    pub latin_letters: Vec<char>,
    /// Function words, lower case.
    pub words: Vec<String>,
}

impl LanguageModel {
    /// Whether `prefix` (folded) is one of this language's clitics, or a rewrite clitic.
    pub fn is_clitic(&self, prefix: &str) -> bool {
        self.prefixes.iter().any(|p| p == prefix)
            || self.prefix_rewrites.iter().any(|(p, _)| p == prefix)
    }

    pub fn inflects(&self) -> bool {
        !self.endings.is_empty()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LanguageDoc {
    code: Spanned<String>,
    name: String,
    script: Script,
    #[serde(default = "yes")]
    space_delimited: bool,
    #[serde(default)]
    clitics: CliticsDoc,
    #[serde(default)]
    inflection: InflectionDoc,
    #[serde(default)]
    identify: IdentifyDoc,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CliticsDoc {
    #[serde(default)]
    prefixes: Vec<Spanned<String>>,
    #[serde(default)]
    conjunctions: Vec<Spanned<String>>,
    #[serde(default)]
    prefix_rewrites: Vec<Spanned<(String, String)>>,
    #[serde(default)]
    suffixes: Vec<Spanned<String>>,
    #[serde(default)]
    article: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct InflectionDoc {
    #[serde(default)]
    nominative_endings: Vec<Spanned<String>>,
    #[serde(default)]
    endings: Vec<Spanned<String>>,
    #[serde(default)]
    min_stem: Option<Spanned<usize>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentifyDoc {
    #[serde(default)]
    letters: String,
    #[serde(default)]
    latin_letters: String,
    #[serde(default)]
    words: Vec<Spanned<String>>,
}

/// Every language model, by code.
#[derive(Debug, Clone, Default)]
pub struct Languages {
    list: Vec<LanguageModel>,
    by_code: BTreeMap<String, usize>,
}

/// Fold one affix and check it is a run of letters.
fn affix(file: &DataFile, s: &Spanned<String>, what: &str) -> Result<String, DataError> {
    let f = fold(s.get_ref().trim());
    if f.is_empty() || !f.chars().all(CharClass::is_alnum) {
        return Err(DataError::at(
            file,
            s.span().start,
            format!("bad {what} {:?}: letters only", s.get_ref()),
        ));
    }
    Ok(f)
}

impl Languages {
    /// Compile the language files, reporting every problem with file:line:column.
    pub fn from_files(files: &[DataFile]) -> Result<Languages, Vec<DataError>> {
        let mut errors = Vec::new();
        let mut out = Languages::default();
        for file in files {
            match Self::compile(file) {
                Ok(model) => {
                    if out.by_code.contains_key(&model.code) {
                        errors.push(DataError::new(
                            &file.name,
                            1,
                            format!("language {:?} is defined twice", model.code),
                        ));
                        continue;
                    }
                    if out.list.len() >= 64 {
                        errors.push(DataError::new(&file.name, 1, "more than 64 languages"));
                        continue;
                    }
                    out.by_code.insert(model.code.clone(), out.list.len());
                    out.list.push(model);
                }
                Err(e) => errors.extend(e),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    fn compile(file: &DataFile) -> Result<LanguageModel, Vec<DataError>> {
        let doc: LanguageDoc = file.parse().map_err(|e| vec![e])?;
        let mut errors = Vec::new();
        let code = doc.code.get_ref().clone();
        if !(2..=3).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_lowercase()) {
            errors.push(DataError::at(
                file,
                doc.code.span().start,
                format!("language code {code:?} must be 2–3 lowercase letters"),
            ));
        }
        let stem = std::path::Path::new(&file.name)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("");
        if stem != code {
            errors.push(DataError::at(
                file,
                doc.code.span().start,
                format!("language code {code:?} does not match the file name {stem:?}.toml"),
            ));
        }
        let mut list = |items: &[Spanned<String>], what: &str| -> Vec<String> {
            items
                .iter()
                .filter_map(|s| affix(file, s, what).map_err(|e| errors.push(e)).ok())
                .collect()
        };
        let prefixes = list(&doc.clitics.prefixes, "prefix");
        let conjunctions = list(&doc.clitics.conjunctions, "conjunction");
        let article = doc
            .clitics
            .article
            .as_ref()
            .and_then(|a| list(std::slice::from_ref(a), "article").pop());
        let suffixes = list(&doc.clitics.suffixes, "suffix");
        let mut nominative_endings = list(&doc.inflection.nominative_endings, "nominative ending");
        let endings = list(&doc.inflection.endings, "ending");
        // function words are compared with lower-cased text, not folded text
        let words: Vec<String> = doc
            .identify
            .words
            .iter()
            .map(|w| w.get_ref().trim().to_lowercase())
            .collect();
        let mut prefix_rewrites = Vec::new();
        for r in &doc.clitics.prefix_rewrites {
            let (p, with) = r.get_ref();
            let (p, with) = (fold(p.trim()), fold(with.trim()));
            if p.is_empty() || with.is_empty() {
                errors.push(DataError::at(
                    file,
                    r.span().start,
                    "empty prefix rewrite".to_string(),
                ));
            } else {
                prefix_rewrites.push((p, with));
            }
        }
        for (c, at) in conjunctions.iter().zip(&doc.clitics.conjunctions) {
            if !prefixes.contains(c) {
                errors.push(DataError::at(
                    file,
                    at.span().start,
                    format!("conjunction {c:?} is not one of the clitic prefixes"),
                ));
            }
        }
        nominative_endings.sort_by_key(|e| std::cmp::Reverse(e.chars().count()));
        let min_stem = doc.inflection.min_stem.as_ref().map_or(0, |m| *m.get_ref());
        if !endings.is_empty() && min_stem == 0 {
            let at = doc
                .inflection
                .min_stem
                .as_ref()
                .map_or(doc.inflection.endings[0].span().start, |m| m.span().start);
            errors.push(DataError::at(
                file,
                at,
                "endings need min_stem ≥ 1".to_string(),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(LanguageModel {
            code,
            name: doc.name,
            script: doc.script,
            space_delimited: doc.space_delimited,
            prefixes,
            conjunctions,
            article,
            prefix_rewrites,
            suffixes,
            nominative_endings,
            endings,
            min_stem,
            letters: doc.identify.letters.to_lowercase().chars().collect(),
            latin_letters: doc.identify.latin_letters.to_lowercase().chars().collect(),
            words,
        })
    }

    /// The model of a language code.
    pub fn get(&self, code: &str) -> Option<&LanguageModel> {
        self.by_code.get(code).map(|&i| &self.list[i])
    }

    /// Index of a language code (stable for one compiled set; < 64).
    pub fn index(&self, code: &str) -> Option<usize> {
        self.by_code.get(code).copied()
    }

    pub fn by_index(&self, i: usize) -> &LanguageModel {
        &self.list[i]
    }

    pub fn iter(&self) -> impl Iterator<Item = &LanguageModel> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> DataFile {
        DataFile {
            name: name.into(),
            text: text.into(),
        }
    }

    #[test]
    fn shipped_languages_load() {
        let set = crate::data::DataSet::builtin();
        let langs = Languages::from_files(&set.languages).unwrap();
        for code in [
            "ar", "en", "ru", "uk", "kk", "de", "fr", "es", "it", "pt", "tr", "fa", "zh", "pl",
        ] {
            assert!(langs.get(code).is_some(), "{code} missing");
        }
        assert!(!langs.get("zh").unwrap().space_delimited);
        assert!(langs.get("ar").unwrap().is_clitic("وال"));
    }

    #[test]
    fn errors_have_line_and_column() {
        let text = "code = \"xx\"\nname = \"X\"\nscript = \"Latin\"\n[clitics]\nprefixes = [\"a\", \"-\"]\n";
        let errs = Languages::from_files(&[file("languages/xx.toml", text)]).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!((errs[0].line, errs[0].column), (5, 18), "{}", errs[0]);
        let errs = Languages::from_files(&[file(
            "languages/yy.toml",
            "code = \"xx\"\nname = \"X\"\nscript = \"Latin\"\n",
        )])
        .unwrap_err();
        assert!(errs[0].message.contains("file name"), "{}", errs[0]);
        let errs = Languages::from_files(&[file(
            "languages/xx.toml",
            "code = \"xx\"\nname = \"X\"\nscript = \"Klingon\"\n",
        )])
        .unwrap_err();
        assert_eq!(errs[0].line, 3, "{}", errs[0]);
    }
}
