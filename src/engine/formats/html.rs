//! HTML pages and fragments → headline, paragraphs and page metadata.
//!
//! Uses the html5gum tokenizer (which decodes character references) rather than a
//! tree builder: article extraction only needs "is this text inside something we
//! drop" and "does this tag break the paragraph", both answerable from the token
//! stream with a counter, so malformed markup can never make us recurse or fail.

use html5gum::{DefaultEmitter, StartTag, Token, Tokenizer};

use super::xml::{is_block, is_skipped};
use super::{iso_date, Extracted, ParagraphBuilder};
use crate::engine::normalize;
use crate::model::Format;

/// Does text that does not start with `<` still carry HTML markup? A couple of
/// paragraph-level tags are enough; a stray `<` in prose is not.
pub(super) fn looks_like_html(s: &str) -> bool {
    let head = match s.char_indices().nth(65_536) {
        Some((i, _)) => &s[..i],
        None => s,
    };
    let lower = head.to_ascii_lowercase();
    [
        "</p>", "<br>", "<br/>", "<br />", "</div>", "</li>", "</h1>", "</h2>",
    ]
    .iter()
    .map(|t| lower.matches(t).count())
    .sum::<usize>()
        >= 2
}

/// Meta values found while tokenizing.
#[derive(Default)]
struct Meta {
    og_title: Option<String>,
    title: String,
    h1: Option<String>,
    published: Option<String>,
    site_name: Option<String>,
    language: Option<String>,
}

/// Extract an HTML document or fragment. Never fails: an empty result is the
/// caller's to judge.
pub(super) fn extract(s: &str) -> Extracted {
    let mut emitter = DefaultEmitter::default();
    // Treat script/style/title/textarea content as raw text, as a browser would,
    // so a `<` inside a script cannot open phantom tags.
    emitter.naively_switch_states(true);
    let tokenizer = Tokenizer::new_with_emitter(s, emitter);

    let mut meta = Meta::default();
    let mut b = ParagraphBuilder::default();
    // Name and nesting depth of the dropped element we are inside, if any.
    let mut skip: Option<(String, usize)> = None;
    let mut in_title = false;
    let mut in_ld_json = false;
    let mut ld_json = String::new();
    let mut h1: Option<String> = None;

    for token in tokenizer {
        let token = match token {
            Ok(t) => t,
            Err(never) => match never {},
        };
        match token {
            Token::StartTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                if let Some((skipped, depth)) = &mut skip {
                    if *skipped == name && !tag.self_closing {
                        *depth += 1;
                    }
                    continue;
                }
                match name.as_str() {
                    "html" => {
                        meta.language = attr(&tag, "lang").or_else(|| attr(&tag, "xml:lang"));
                    }
                    "meta" => read_meta(&tag, &mut meta),
                    "title" if !tag.self_closing => in_title = true,
                    "script"
                        if attr(&tag, "type").is_some_and(|t| t.contains("ld+json"))
                            && !tag.self_closing =>
                    {
                        in_ld_json = true;
                    }
                    "br" => b.line_break(),
                    "td" | "th" => b.push(' '),
                    "h1" if meta.h1.is_none() => {
                        b.paragraph_break();
                        h1 = Some(String::new());
                    }
                    // Void or self-closed elements have no content to skip.
                    _ if is_skipped(&name)
                        && name != "head"
                        && !tag.self_closing
                        && !is_void(&name) =>
                    {
                        skip = Some((name, 1));
                    }
                    _ if is_block(&name) => b.paragraph_break(),
                    _ => {}
                }
            }
            Token::EndTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                if let Some((skipped, depth)) = &mut skip {
                    if *skipped == name {
                        *depth -= 1;
                        if *depth == 0 {
                            skip = None;
                        }
                    }
                    continue;
                }
                match name.as_str() {
                    "title" => in_title = false,
                    "script" => in_ld_json = false,
                    "h1" => {
                        if let Some(text) = h1.take() {
                            meta.h1 = Some(normalize::display(&text));
                        }
                        b.paragraph_break();
                    }
                    "td" | "th" => b.push(' '),
                    _ if is_block(&name) => b.paragraph_break(),
                    _ => {}
                }
            }
            Token::String(text) => {
                let text = String::from_utf8_lossy(&text);
                if in_ld_json {
                    ld_json.push_str(&text);
                } else if in_title {
                    meta.title.push_str(&text);
                } else if skip.is_none() {
                    if let Some(h) = &mut h1 {
                        h.push_str(&text);
                    }
                    b.push_str(&text);
                }
            }
            Token::Comment(_) | Token::Doctype(_) | Token::Error(_) => {}
        }
    }
    let mut paragraphs = b.finish();

    if meta.published.is_none() && !ld_json.is_empty() {
        meta.published = ld_json_date(&ld_json);
    }
    let title = normalize::display(&meta.title);
    let headline = meta
        .og_title
        .filter(|t| !t.is_empty())
        .or(meta.h1.filter(|t| !t.is_empty()))
        .or(Some(title).filter(|t| !t.is_empty()));
    // The page usually repeats its headline as the first block.
    if paragraphs
        .first()
        .is_some_and(|p| Some(p) == headline.as_ref())
    {
        paragraphs.remove(0);
        if paragraphs.first().is_some_and(String::is_empty) {
            paragraphs.remove(0);
        }
    }
    Extracted {
        format: Format::Html,
        headline,
        paragraphs,
        published: meta.published,
        publisher: meta.site_name,
        language: meta.language,
        ..Default::default()
    }
}

fn attr(tag: &StartTag, name: &str) -> Option<String> {
    tag.attributes
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
}

fn read_meta(tag: &StartTag, meta: &mut Meta) {
    let Some(content) = attr(tag, "content") else {
        return;
    };
    let content = normalize::display(&content);
    for key in ["property", "name", "itemprop"] {
        let Some(k) = attr(tag, key) else { continue };
        match k.to_ascii_lowercase().as_str() {
            "og:title" => {
                meta.og_title.get_or_insert(content.clone());
            }
            "og:site_name" => {
                meta.site_name.get_or_insert(content.clone());
            }
            "article:published_time"
            | "datepublished"
            | "pubdate"
            | "publishdate"
            | "dc.date.issued"
                if meta.published.is_none() =>
            {
                meta.published = iso_date(&content);
            }
            _ => {}
        }
    }
}

/// `datePublished` from JSON-LD (`<script type="application/ld+json">`).
fn ld_json_date(json: &str) -> Option<String> {
    fn find(v: &serde_json::Value, depth: usize) -> Option<String> {
        match v {
            serde_json::Value::Object(m) => m
                .get("datePublished")
                .and_then(|d| d.as_str())
                .and_then(iso_date)
                .or_else(|| {
                    (depth < 4)
                        .then(|| m.values().find_map(|v| find(v, depth + 1)))
                        .flatten()
                }),
            serde_json::Value::Array(a) if depth < 4 => a.iter().find_map(|v| find(v, depth + 1)),
            _ => None,
        }
    }
    find(&serde_json::from_str(json).ok()?, 0)
}

fn is_void(name: &str) -> bool {
    matches!(
        name,
        "img" | "meta" | "link" | "input" | "br" | "hr" | "source" | "area" | "base" | "embed"
    )
}
