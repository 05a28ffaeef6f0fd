//! Format detection and body extraction: plain text, HTML, ninjs, NITF, NewsML.
//!
//! The format is sniffed from the content only (file names lie: wire fixtures have
//! no extension or `.txt` for XML). Every extractor returns display-normalised
//! paragraphs, so the text rules downstream never see markup.

mod html;
mod newsml;
mod ninjs;
mod nitf;
mod text;
mod xml;

use crate::engine::chars::CharClass;
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::normalize;
use crate::error::EngineError;
use crate::model::Format;

/// What a container format gives us before the text rules run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    pub format: Format,
    /// Headline from the container (NITF `hl1`, ninjs `headlines`), if any.
    pub headline: Option<String>,
    /// Display-normalised lines/paragraphs; empty strings mark paragraph breaks.
    /// Structured formats give one paragraph per block element, separated by one
    /// empty string, so every format has the same "paragraph, blank, paragraph" shape.
    pub paragraphs: Vec<String>,
    pub dateline: Option<String>,
    /// ISO 8601 date-time from metadata.
    pub published: Option<String>,
    pub publisher: Option<String>,
    /// Raw credit strings from metadata ("AFP", "Reuters").
    pub credits: Vec<String>,
    /// Language declared by the container.
    pub language: Option<String>,
    /// The container's own structure already says where stories start and end,
    /// so the text rules must not split it further.
    pub structured: bool,
}

/// Detect the format from the content and extract headline, body and metadata.
pub fn extract(text: &str) -> Result<Extracted, EngineError> {
    let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    if let Some(kind) = bare_json(trimmed) {
        return Err(EngineError::Malformed {
            format: "json",
            detail: format!("a bare JSON {kind}, not an article"),
        });
    }
    let mut ex = match trimmed.as_bytes().first() {
        Some(b'{') | Some(b'[') if looks_like_json(trimmed) => ninjs::extract(trimmed)?,
        Some(b'<') => extract_markup(trimmed)?,
        _ if html::looks_like_html(trimmed) => html::extract(trimmed),
        _ => text::extract(text),
    };
    finish(&mut ex);
    // no letter or digit anywhere (`[[[[`, a row of dashes): no text to speak of
    let wordless = |s: &str| !s.chars().any(CharClass::is_alnum);
    if ex.headline.as_deref().is_none_or(wordless) && ex.paragraphs.iter().all(|p| wordless(p)) {
        return Err(match ex.format {
            Format::Ninjs => EngineError::NoTextBody { format: "ninjs" },
            Format::Nitf => EngineError::NoTextBody { format: "nitf" },
            Format::Newsml => EngineError::NoTextBody { format: "newsml" },
            Format::Html | Format::Text => EngineError::Empty,
        });
    }
    Ok(ex)
}

/// A whole input that is one JSON value other than an object or a list holding one
/// (`null`, `true`, `42`, `"text"`, `[1, 2]`): its kind, for the rejection.
fn bare_json(s: &str) -> Option<&'static str> {
    let first = *s.as_bytes().first()?;
    if !matches!(first, b'n' | b't' | b'f' | b'-' | b'0'..=b'9' | b'"' | b'[') {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(s).ok()?;
    match v {
        serde_json::Value::Null => Some("null"),
        serde_json::Value::Bool(_) => Some("boolean"),
        serde_json::Value::Number(_) => Some("number"),
        serde_json::Value::String(_) => Some("string"),
        serde_json::Value::Array(a) if !a.iter().any(|x| x.is_object()) => Some("array"),
        _ => None,
    }
}

/// `{"…` / `{}` / `[{…`: JSON rather than prose that opens with a brace
/// ("{Breaking} …" stays text).
fn looks_like_json(s: &str) -> bool {
    let mut chars = s.chars().filter(|c| !c.is_whitespace());
    matches!(
        (chars.next(), chars.next()),
        (Some('{'), Some('"' | '}')) | (Some('['), Some('{' | ']' | '"'))
    )
}

/// Input starting with `<`: XML news formats by root element, else HTML.
fn extract_markup(s: &str) -> Result<Extracted, EngineError> {
    // Checked before any parser runs so that billion-laughs and XXE inputs are
    // rejected in one linear scan. Inside well-formed markup a literal `<!ENTITY`
    // can only be a declaration (content would have to escape the `<`).
    if s.contains("<!ENTITY") {
        return Err(EngineError::EntityDeclaration);
    }
    let root = xml::sniff_root(s);
    let is_xml_decl = s.starts_with("<?xml");
    match root.as_deref() {
        Some("nitf") => nitf::extract(&xml::parse(s, "nitf")?),
        Some(
            "newsMessage" | "newsItem" | "packageItem" | "conceptItem" | "knowledgeItem"
            | "planningItem" | "NewsML",
        ) => newsml::extract(&xml::parse(s, "newsml")?),
        Some(r) if r.eq_ignore_ascii_case("html") => Ok(html::extract(s)),
        Some(_) if is_xml_decl => {
            // Some other XML vocabulary: keep its text, but it is no news container.
            let root = xml::parse(s, "xml")?;
            let mut paragraphs = Vec::new();
            xml::block_paragraphs(&root, &mut paragraphs);
            Ok(Extracted {
                format: Format::Text,
                paragraphs,
                language: root.attr("xml:lang").map(str::to_string),
                ..Default::default()
            })
        }
        _ => Ok(html::extract(s)),
    }
}

/// Common post-processing: drop empty metadata, dedupe credits.
fn finish(ex: &mut Extracted) {
    for field in [
        &mut ex.headline,
        &mut ex.dateline,
        &mut ex.published,
        &mut ex.publisher,
        &mut ex.language,
    ] {
        if let Some(v) = field.take() {
            let v = normalize::display(&v);
            if !v.is_empty() {
                *field = Some(v);
            }
        }
    }
    let mut seen = Vec::new();
    for c in ex.credits.drain(..) {
        let c = normalize::display(&c);
        if !c.is_empty() && !seen.contains(&c) {
            seen.push(c);
        }
    }
    ex.credits = seen;
    // Leading/trailing breaks and runs of breaks carry no information.
    let mut out: Vec<String> = Vec::with_capacity(ex.paragraphs.len());
    for p in ex.paragraphs.drain(..) {
        if p.is_empty() && out.last().is_none_or(String::is_empty) {
            continue;
        }
        out.push(p);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    ex.paragraphs = out;
}

/// Non-empty paragraphs separated by one empty string each.
fn separate(paragraphs: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(paragraphs.len() * 2);
    for p in paragraphs.into_iter().filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push(String::new());
        }
        out.push(p);
    }
    out
}

/// Collects text into lines and paragraphs while walking markup.
///
/// Block elements end a paragraph (an empty string follows it in the output); `br`
/// only ends a line. Lines of one paragraph that look hard-wrapped (feeds that put
/// `<br/>` at column 70) are joined back into one line.
#[derive(Default)]
struct ParagraphBuilder {
    out: Vec<String>,
    lines: Vec<String>,
    line: String,
}

impl ParagraphBuilder {
    fn push_str(&mut self, s: &str) {
        self.line.push_str(s);
    }

    fn push(&mut self, c: char) {
        self.line.push(c);
    }

    fn line_break(&mut self) {
        let l = normalize::display(&self.line);
        self.line.clear();
        if !l.is_empty() {
            self.lines.push(l);
        }
    }

    fn paragraph_break(&mut self) {
        self.line_break();
        if self.lines.is_empty() {
            return;
        }
        let lines = std::mem::take(&mut self.lines);
        if !self.out.is_empty() {
            self.out.push(String::new());
        }
        if looks_wrapped(&lines) {
            self.out.push(lines.join(" "));
        } else {
            self.out.extend(lines);
        }
    }

    fn finish(mut self) -> Vec<String> {
        self.paragraph_break();
        self.out
    }
}

/// Lines cut at a fixed width: all but the last run close to the longest one.
fn looks_wrapped(lines: &[String]) -> bool {
    let lens: Vec<usize> = lines.iter().map(|l| l.chars().count()).collect();
    let max = lens.iter().copied().max().unwrap_or(0);
    lines.len() >= 2
        && (30..=100).contains(&max)
        && lens[..lens.len() - 1].iter().all(|&n| n * 10 >= max * 6)
}

/// Append `part` (already in paragraph/blank form) after a paragraph break.
fn append_part(out: &mut Vec<String>, part: Vec<String>) {
    if part.iter().all(String::is_empty) {
        return;
    }
    if !out.is_empty() {
        out.push(String::new());
    }
    out.extend(part);
}

/// Paragraphs from plain text inside a container (ninjs `body_text`, NewsML
/// `inlineData`): every non-empty line is a paragraph.
fn plain_paragraphs(s: &str) -> Vec<String> {
    separate(normalize::display_lines(s))
}

static COMPACT_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?$",
    )
    .expect("valid regex")
});
static ISO_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?$",
    )
    .expect("valid regex")
});

/// Normalise the date forms news containers use (`20151210T191044Z`,
/// `20140829T134951+0000`, `2017-08-24T01:58:40+0000`) to ISO 8601 with an
/// extended offset. Anything else (free text like "Nov 13") gives `None`.
fn iso_date(s: &str) -> Option<String> {
    let s = s.trim();
    let zone = |z: Option<regex::Match>| match z.map(|m| m.as_str()) {
        None => String::new(),
        Some("Z") => "Z".to_string(),
        Some(z) if z.len() == 5 => format!("{}:{}", &z[..3], &z[3..]),
        Some(z) => z.to_string(),
    };
    if let Some(c) = COMPACT_DATE.captures(s) {
        let date = format!("{}-{}-{}", &c[1], &c[2], &c[3]);
        return Some(match (c.get(4), c.get(5)) {
            (Some(h), Some(m)) => format!(
                "{date}T{}:{}:{}{}",
                h.as_str(),
                m.as_str(),
                c.get(6).map_or("00", |s| s.as_str()),
                zone(c.get(7))
            ),
            _ => date,
        });
    }
    if let Some(c) = ISO_DATE.captures(s) {
        return Some(match c.get(2) {
            Some(t) => {
                let t = t.as_str();
                let t = if t.len() == 5 {
                    format!("{t}:00")
                } else {
                    t.to_string()
                };
                format!("{}T{t}{}", &c[1], zone(c.get(3)))
            }
            None => c[1].to_string(),
        });
    }
    None
}

#[cfg(test)]
mod tests;
