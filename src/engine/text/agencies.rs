//! Agency credits: the agencies data file (`data/agencies/*.toml`) and the finder that
//! spots "(أ.ف.ب)", "/ТАСС/", "KYIV (AP) —", "وكالة «سبوتنيك»" and loose mentions of
//! unambiguous agency names in a paragraph.
//!
//! File format:
//!
//! ```toml
//! [[agency]]
//! id = "afp"
//! name = "AFP"
//! aliases = ["AFP", "فرانس برس"]   # recognised anywhere in the text
//! credit_only = ["أ ف ب"]           # only in credit positions (own line, parentheses,
//!                                   # /slashes/, dateline, after "agency")
//! ```
//!
//! Short or ambiguous aliases ("AP", "أ ب", "Спутник" = satellite, "MENA") belong in
//! `credit_only`, so ordinary words never become credits.
//!
//! The words around credits are language data too, in a `[credit_words]` table of any
//! agencies file:
//!
//! ```toml
//! [credit_words]
//! introducers = ["news agency", "وكالة", "агентство", "به گزارش"]  # "agency X"
//! tails = ["photo", "фото"]                                          # "(AP Photo)"
//! ```

use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use crate::data::DataFile;
use crate::engine::chars::CharClass;
use crate::engine::hash::Map;
use crate::engine::language::{Languages, Script};
use crate::engine::normalize::fold_with_map;
use crate::error::DataError;
use crate::model::Credit;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    #[serde(default)]
    agency: Vec<AgencyToml>,
    #[serde(default)]
    credit_words: CreditWordsToml,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreditWordsToml {
    #[serde(default)]
    introducers: Vec<Spanned<String>>,
    #[serde(default)]
    tails: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgencyToml {
    id: Spanned<String>,
    name: String,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    #[serde(default)]
    credit_only: Vec<Spanned<String>>,
}

#[derive(Debug, Clone)]
struct Agency {
    id: String,
    name: String,
}

/// Compiled agency names.
#[derive(Debug, Clone, Default)]
pub struct Agencies {
    agencies: Vec<Agency>,
    /// Credit form of every alias (loose and credit-only) → (agency index, loose?).
    by_form: Map<String, (usize, bool)>,
    /// Credit forms of all aliases, longest first (for prefix checks after "agency").
    forms_by_len: Vec<String>,
    /// Automaton over the loose aliases.
    loose: Option<AhoCorasick>,
    loose_ids: Vec<usize>,
    /// Words that introduce an agency name: "news agency X", "وكالة «X»", "агентство X".
    introducer: Option<Regex>,
    /// Words that may follow an agency inside a credit group ("AP Photo"), credit form.
    tails: Vec<String>,
    /// What may be glued to an alias, from the language models.
    affixes: AliasAffixes,
}

/// What the language models allow around an agency alias that is glued to a word:
/// one-letter proclitics of the alias's script (Arabic و ف ب ل ك: "لرويترز"), and a
/// short case ending in a script whose languages all decline names (Cyrillic:
/// "Интерфакса"; Latin is shared with languages that do not, so an ending there
/// cannot be told from another word).
#[derive(Debug, Clone, Default)]
struct AliasAffixes {
    proclitics: Vec<(Script, char)>,
    declining: Vec<Script>,
}

/// Most letters of a case ending after an alias ("Рейтерс", "Интерфакса").
const MAX_ALIAS_ENDING: usize = 2;

impl AliasAffixes {
    fn new(languages: &Languages) -> AliasAffixes {
        let mut proclitics = Vec::new();
        let mut scripts: Vec<(Script, bool)> = Vec::new();
        for m in languages.iter() {
            for p in &m.prefixes {
                let mut cs = p.chars();
                if let (Some(c), None) = (cs.next(), cs.next()) {
                    if !proclitics.contains(&(m.script, c)) {
                        proclitics.push((m.script, c));
                    }
                }
            }
            match scripts.iter_mut().find(|(sc, _)| *sc == m.script) {
                Some((_, all)) => *all &= m.inflects(),
                None => scripts.push((m.script, m.inflects())),
            }
        }
        let declining = scripts
            .into_iter()
            .filter_map(|(sc, all)| all.then_some(sc))
            .collect();
        AliasAffixes {
            proclitics,
            declining,
        }
    }

    fn is_proclitic(&self, script: Option<Script>, c: char) -> bool {
        script.is_some_and(|sc| self.proclitics.contains(&(sc, c)))
    }

    fn declines(&self, script: Option<Script>) -> bool {
        script.is_some_and(|sc| self.declining.contains(&sc))
    }
}

/// Text in credit form plus, per char, the char index in the display text it came from.
pub struct CreditForm {
    pub text: String,
    map: Vec<usize>,
}

/// Credit form: folded, with `.`, `-`, `_` and space runs collapsed to one space, so
/// "أ.ف.ب", "أ. ف. ب" and "أ ف ب" compare equal, and "France-Presse" = "france presse".
pub fn credit_form(display: &str) -> CreditForm {
    let (folded, fmap) = fold_with_map(display);
    let mut text = String::with_capacity(folded.len());
    let mut map = Vec::with_capacity(fmap.len());
    let mut last_space = true;
    for (c, &i) in folded.chars().zip(fmap.iter()) {
        let c = if matches!(c, '.' | '-' | '_' | '‐' | '–') || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' {
            if last_space {
                continue;
            }
            last_space = true;
        } else {
            last_space = false;
        }
        text.push(c);
        map.push(i);
    }
    while text.ends_with(' ') {
        text.pop();
        map.pop();
    }
    CreditForm { text, map }
}

impl CreditForm {
    /// Display text for the credit-form byte range `[start, end)`.
    pub fn display_slice(&self, display: &str, start: usize, end: usize) -> String {
        let cs = char_index(&self.text, start);
        let ce = char_index(&self.text, end);
        if ce == 0 || cs >= ce || ce > self.map.len() {
            return String::new();
        }
        let ds = self.map[cs];
        let de = self.map[ce - 1] + 1;
        display
            .chars()
            .skip(ds)
            .take(de.saturating_sub(ds))
            .collect()
    }
}

/// Number of chars in `s[..byte]` (byte clamped to a char boundary at or below it).
fn char_index(s: &str, byte: usize) -> usize {
    s.char_indices().take_while(|&(i, _)| i < byte).count()
}

/// Does an alias occurrence at `[start, end)` in `text` stand as a word? An alias may
/// carry one proclitic of its script ("لرويترز") and, in a declining script, a case
/// ending of up to [`MAX_ALIAS_ENDING`] letters ("Интерфакса", "Рейтерс")
/// ([`AliasAffixes`]). Chinese has no word boundaries: a Han alias stands anywhere
/// ("据新华社报道").
fn word_bounded(affixes: &AliasAffixes, text: &str, start: usize, end: usize) -> bool {
    let is_han = |c: char| Script::of(c) == Some(Script::Han);
    if text[start..end].chars().all(is_han) {
        return true;
    }
    let before: Vec<char> = text[..start].chars().rev().take(2).collect();
    let first = text[start..].chars().next().and_then(Script::of);
    let left_ok = match before.first() {
        None => true,
        Some(&c) if !c.is_alnum() => true,
        Some(&c) => affixes.is_proclitic(first, c) && before.get(1).is_none_or(|&p| !p.is_alnum()),
    };
    if !left_ok {
        return false;
    }
    let run: Vec<char> = text[end..]
        .chars()
        .take_while(|c| c.is_alnum())
        .take(MAX_ALIAS_ENDING + 1)
        .collect();
    if run.is_empty() {
        return true;
    }
    let last = text[..end].chars().next_back().and_then(Script::of);
    affixes.declines(last)
        && run.len() <= MAX_ALIAS_ENDING
        && run.iter().all(|&c| Script::of(c) == last)
}

/// A dateline place of one to three words, a dash, a credit group, a dash.
static DASH_DATELINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[\p{L}\p{M}]+(?: [\p{L}\p{M}]+){0,2}\s*[-–—]\s*(?P<ag>[^-–—]{1,40}?)\s*[-–—]")
        .unwrap()
});
/// "(…)" groups and "/…/" groups: classic credit positions.
static BRACKETS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\(([^()]{1,80})\)|/([^/\s][^/]{0,38})/").unwrap());
/// Separators inside a credit group: "(أ ف ب، رويترز)", "(AFP/Reuters)".
static GROUP_SEP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[/,،;+|]| و | and | и ").unwrap());

impl Agencies {
    /// Compile the agencies files; `languages` say what may be glued to an alias.
    pub fn from_files(
        files: &[DataFile],
        languages: &Languages,
    ) -> Result<Agencies, Vec<DataError>> {
        let mut out = Agencies {
            affixes: AliasAffixes::new(languages),
            ..Agencies::default()
        };
        let mut errors = Vec::new();
        let mut seen_ids: HashMap<String, String> = HashMap::new();
        let mut introducers: Vec<String> = Vec::new();
        for file in files {
            let parsed: FileToml = match file.parse() {
                Ok(p) => p,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let line_of = |off: usize| {
                file.text
                    .get(..off.min(file.text.len()))
                    .map_or(0, |t| t.matches('\n').count() + 1)
            };
            let words = [
                (&parsed.credit_words.introducers, "introducers"),
                (&parsed.credit_words.tails, "tails"),
            ];
            for (list, key) in words {
                for w in list {
                    let form = credit_form(w.get_ref()).text;
                    if form.is_empty() {
                        let line = line_of(w.span().start);
                        errors.push(DataError::new(
                            &file.name,
                            line,
                            format!("credit_words.{key}: empty word"),
                        ));
                    } else if key == "tails" {
                        out.tails.push(form);
                    } else {
                        introducers.push(form);
                    }
                }
            }
            for a in parsed.agency {
                let id = a.id.get_ref().trim().to_string();
                let line = line_of(a.id.span().start);
                if id.is_empty() {
                    errors.push(DataError::new(&file.name, line, "agency id is empty"));
                    continue;
                }
                if let Some(prev) = seen_ids.insert(id.clone(), file.name.clone()) {
                    errors.push(DataError::new(
                        &file.name,
                        line,
                        format!("agency `{id}` already defined in {prev}"),
                    ));
                    continue;
                }
                let idx = out.agencies.len();
                out.agencies.push(Agency {
                    id: id.clone(),
                    name: a.name.clone(),
                });
                let lists = [(&a.aliases, true), (&a.credit_only, false)];
                for (list, loose) in lists {
                    for alias in list {
                        let form = credit_form(alias.get_ref()).text;
                        let line = line_of(alias.span().start);
                        if form.is_empty() {
                            errors.push(DataError::new(
                                &file.name,
                                line,
                                format!("agency `{id}`: empty alias"),
                            ));
                            continue;
                        }
                        match out.by_form.get(&form) {
                            Some(&(other, _)) if other != idx => errors.push(DataError::new(
                                &file.name,
                                line,
                                format!(
                                    "agency `{id}`: alias {:?} already belongs to `{}`",
                                    alias.get_ref(),
                                    out.agencies[other].id
                                ),
                            )),
                            Some(&(_, was_loose)) => {
                                out.by_form.insert(form, (idx, was_loose || loose));
                            }
                            None => {
                                out.by_form.insert(form, (idx, loose));
                            }
                        }
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut loose: Vec<(&String, usize)> = out
            .by_form
            .iter()
            .filter(|(_, &(_, l))| l)
            .map(|(f, &(i, _))| (f, i))
            .collect();
        loose.sort();
        out.loose_ids = loose.iter().map(|&(_, i)| i).collect();
        if !loose.is_empty() {
            out.loose = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(loose.iter().map(|(f, _)| f.as_str()))
                .ok();
        }
        introducers.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        introducers.dedup();
        if !introducers.is_empty() {
            let alt: Vec<String> = introducers.iter().map(|w| regex::escape(w)).collect();
            out.introducer = Regex::new(&format!(r#"(?:{})\s*[«"“'‘]?\s*"#, alt.join("|"))).ok();
        }
        let mut forms: Vec<String> = out.by_form.keys().cloned().collect();
        forms.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        out.forms_by_len = forms;
        Ok(out)
    }

    fn credit(&self, idx: usize, literal: &str) -> Credit {
        let a = &self.agencies[idx];
        Credit {
            id: a.id.clone(),
            name: a.name.clone(),
            literal: literal.trim().to_string(),
        }
    }

    /// The agency a whole string names (a credit line, a metadata credit, a group in
    /// parentheses), allowing a trailing "Photo"/"فيديو".
    pub fn lookup(&self, s: &str) -> Option<Credit> {
        let form = credit_form(s.trim_matches(|c: char| !c.is_alnum()));
        self.lookup_form(&form.text).map(|i| self.credit(i, s))
    }

    fn lookup_form(&self, form: &str) -> Option<usize> {
        if let Some(&(i, _)) = self.by_form.get(form) {
            return Some(i);
        }
        let (head, tail) = form.rsplit_once(' ')?;
        if self.tails.iter().any(|t| t == tail) {
            return self.by_form.get(head).map(|&(i, _)| i);
        }
        None
    }

    /// Byte length of the longest alias that `form` (a credit form, see [`credit_form`])
    /// starts with: "新华社北京" → the length of "新华社".
    pub fn leading_alias_len(&self, form: &str) -> Option<usize> {
        self.forms_by_len
            .iter()
            .find(|f| form.starts_with(f.as_str()))
            .map(String::len)
    }

    /// The credits of one paragraph, in order of first position, one per agency.
    pub fn find(&self, display: &str) -> Vec<Credit> {
        let form = credit_form(display);
        let text = form.text.as_str();
        let mut hits: Vec<(usize, usize, String)> = Vec::new();
        // Credit position: a dash-delimited group after a short dateline place at the
        // start ("بيروت-أ. ف. ب- …", "تهران - ایرنا - …"). In credit form dashes are
        // spaces, so the display text is read.
        if let Some(c) = DASH_DATELINE.captures(display) {
            if let Some(m) = c.name("ag") {
                for part in m.as_str().split(['،', ',', '/']) {
                    if let Some(i) = self.lookup_form(&credit_form(part.trim()).text) {
                        let f = credit_form(display);
                        let pf = credit_form(part.trim()).text;
                        let pos = f.text.find(&pf).unwrap_or(0);
                        hits.push((pos, i, part.trim().to_string()));
                    }
                }
            }
        }
        // Credit positions: parentheses and slashes, split on separators.
        for cap in BRACKETS.captures_iter(text) {
            let Some(m) = cap.get(1).or_else(|| cap.get(2)) else {
                continue;
            };
            let mut start = m.start();
            let inner = m.as_str();
            let mut push_part = |s: usize, e: usize| {
                let part = &text[s..e];
                let lead = part.len() - part.trim_start().len();
                let trimmed = part.trim();
                if let Some(i) = self.lookup_form(trimmed) {
                    let (ps, pe) = (s + lead, s + lead + trimmed.len());
                    hits.push((ps, i, form.display_slice(display, ps, pe)));
                }
            };
            for sep in GROUP_SEP.find_iter(inner) {
                push_part(start, m.start() + sep.start());
                start = m.start() + sep.end();
            }
            push_part(start, m.end());
        }
        // "agency X": the longest alias the following text starts with.
        for m in self.introducer.iter().flat_map(|re| re.find_iter(text)) {
            // "agency" inside a longer word ("subagency") does not count.
            let prev = text[..m.start()].chars().next_back();
            if prev.is_some_and(|c| c.is_alnum() && !"وفبلك".contains(c)) {
                continue;
            }
            let rest = &text[m.end()..];
            if let Some(f) = self.forms_by_len.iter().find(|f| {
                rest.starts_with(f.as_str())
                    && word_bounded(&self.affixes, text, m.end(), m.end() + f.len())
            }) {
                let i = self.by_form[f].0;
                hits.push((
                    m.end(),
                    i,
                    form.display_slice(display, m.end(), m.end() + f.len()),
                ));
            }
        }
        // Loose mentions of unambiguous names.
        if let Some(ac) = &self.loose {
            for m in ac.find_iter(text) {
                if word_bounded(&self.affixes, text, m.start(), m.end()) {
                    let i = self.loose_ids[m.pattern().as_usize()];
                    // Include a case ending in the literal ("Интерфакса").
                    let end = m.end()
                        + text[m.end()..]
                            .chars()
                            .take_while(|&c| self.affixes.declines(Script::of(c)))
                            .map(char::len_utf8)
                            .sum::<usize>();
                    hits.push((m.start(), i, form.display_slice(display, m.start(), end)));
                }
            }
        }
        hits.sort_by_key(|h| h.0);
        let mut out = Vec::new();
        merge(
            &mut out,
            hits.into_iter().map(|(_, i, lit)| self.credit(i, &lit)),
        );
        out
    }
}

/// Append credits not yet present (dedupe by id, first appearance wins).
pub fn merge(into: &mut Vec<Credit>, new: impl IntoIterator<Item = Credit>) {
    for c in new {
        if !into.iter().any(|x| x.id == c.id) {
            into.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agencies() -> Agencies {
        let text = r#"
[[agency]]
id = "afp"
name = "AFP"
aliases = ["AFP", "Agence France-Presse", "فرانس برس", "АФП"]
credit_only = ["أ ف ب", "أ.ف.ب"]

[[agency]]
id = "ap"
name = "AP"
aliases = ["Associated Press"]
credit_only = ["AP", "أ ب"]

[[agency]]
id = "tass"
name = "TASS"
aliases = ["TASS", "ТАСС"]

[[agency]]
id = "interfax"
name = "Interfax"
aliases = ["Interfax", "Интерфакс"]

[[agency]]
id = "sputnik"
name = "Sputnik"
aliases = ["سبوتنيك"]
credit_only = ["Sputnik", "Спутник"]

[credit_words]
introducers = ["news agency", "agency", "وكالة", "агентство"]
tails = ["photo", "фото"]
"#;
        Agencies::from_files(
            &[DataFile {
                name: "agencies/t.toml".into(),
                text: text.into(),
            }],
            &languages(),
        )
        .unwrap()
    }

    fn languages() -> Languages {
        Languages::from_files(&crate::data::DataSet::builtin().languages).unwrap()
    }

    fn ids(v: &[Credit]) -> Vec<&str> {
        v.iter().map(|c| c.id.as_str()).collect()
    }

    #[test]
    fn short_aliases_only_in_credit_positions() {
        let a = agencies();
        assert!(a
            .find("The AP style guide was cited by a reader.")
            .is_empty());
        let found = a.find("KYIV, Ukraine (AP) — Shelling hit the market.");
        assert_eq!(ids(&found), ["ap"]);
        assert_eq!(found[0].literal, "AP");
        assert_eq!(ids(&a.find("A burned car (AP Photo/Jane Roe)")), ["ap"]);
        assert_eq!(ids(&a.find("جنود في الشارع (أ.ف.ب)")), ["afp"]);
        assert_eq!(a.find("جنود في الشارع (أ.ف.ب)")[0].literal, "أ.ف.ب");
    }

    #[test]
    fn russian_slashes_and_case_endings() {
        let a = agencies();
        let found = a.find("МОСКВА, 5 января. /ТАСС/. Совещание прошло по данным Интерфакса.");
        assert_eq!(ids(&found), ["tass", "interfax"]);
        assert_eq!(found[1].literal, "Интерфакса");
        assert!(a.find("Запущен новый спутник связи.").is_empty());
        assert_eq!(
            ids(&a.find("Об этом сообщило агентство «Спутник Казахстан».")),
            ["sputnik"]
        );
    }

    #[test]
    fn arabic_clitics_and_groups() {
        let a = agencies();
        assert_eq!(
            ids(&a.find("وقال مسؤول لفرانس برس إن الوضع هادئ.")),
            ["afp"]
        );
        assert_eq!(
            ids(&a.find("صورة للمظاهرات (أ ف ب، Associated Press)")),
            ["afp", "ap"]
        );
        assert!(a.find("قال الأب إن ابنه بخير").is_empty());
    }

    #[test]
    fn dash_dateline_credits_and_chinese_names() {
        let a = agencies();
        assert_eq!(
            ids(&a.find("بيروت-أ. ف. ب- افتتحت البلدية الجسر.")),
            ["afp"]
        );
        assert_eq!(
            ids(&a.find("دمشق – أ ف ب، Associated Press - وصل الوفد.")),
            ["afp", "ap"]
        );
        assert!(a
            .find("أعلنت الحكومة اليوم خطة - أ ب - جديدة للطرق.")
            .is_empty());
    }

    #[test]
    fn lookup_whole_strings() {
        let a = agencies();
        assert_eq!(a.lookup("أ ب").map(|c| c.id), Some("ap".into()));
        assert_eq!(
            a.lookup("Agence France-Presse").map(|c| c.id),
            Some("afp".into())
        );
        assert_eq!(a.lookup("Staff reporter"), None);
    }

    #[test]
    fn conflicting_alias_is_an_error_with_line() {
        let text = "[[agency]]\nid = \"a\"\nname = \"A\"\naliases = [\"X\"]\n\n[[agency]]\nid = \"b\"\nname = \"B\"\naliases = [\"x\"]\n";
        let errs = Agencies::from_files(
            &[DataFile {
                name: "agencies/t.toml".into(),
                text: text.into(),
            }],
            &languages(),
        )
        .unwrap_err();
        assert_eq!(errs[0].line, 9, "{:?}", errs[0]);
    }

    #[test]
    fn display_slice_never_panics() {
        let f = credit_form("أَ.فَ.بَ x");
        for s in 0..=f.text.len() + 2 {
            for e in 0..=f.text.len() + 2 {
                let _ = f.display_slice("أَ.فَ.بَ x", s, e);
            }
        }
    }
}
