//! NewsML-G2 (`newsMessage`/`newsItem`) and NewsML 1.x (`<NewsML>`) text items.

use super::xml::{block_paragraphs, Element};
use super::{append_part, html, iso_date, nitf, plain_paragraphs, Extracted};
use crate::engine::chars::CharClass;
use crate::error::EngineError;
use crate::model::Format;

const NO_TEXT: EngineError = EngineError::NoTextBody { format: "newsml" };

/// Extract the first text item of a parsed NewsML document.
pub(super) fn extract(root: &Element) -> Result<Extracted, EngineError> {
    if root.name == "NewsML" {
        return extract_v1(root);
    }
    let mut items = Vec::new();
    if root.name == "newsItem" {
        items.push(root);
    } else {
        root.find_all("newsItem", &mut items);
    }
    // A message may carry several items (and pictures next to the story); the first
    // one with text is the story. A text item whose body is empty (a correction
    // notice, a headline-only flash) still gives its headline.
    let texts: Vec<Extracted> = items
        .into_iter()
        .filter(|i| is_text_item(i))
        .map(extract_g2_item)
        .collect();
    let headline_only = texts.iter().position(|ex| ex.headline.is_some());
    match texts
        .iter()
        .position(|ex| !ex.paragraphs.is_empty())
        .or(headline_only)
    {
        Some(i) => Ok(texts.into_iter().nth(i).unwrap_or_default()),
        None => Err(NO_TEXT),
    }
}

fn is_text_item(item: &Element) -> bool {
    match item
        .path(&["itemMeta", "itemClass"])
        .and_then(|c| c.attr("qcode"))
    {
        // ninat:text, icls:text; picture/video/graphic/composite carry no story text.
        Some(q) => q.rsplit(':').next().is_some_and(|k| k == "text"),
        None => true,
    }
}

fn extract_g2_item(item: &Element) -> Extracted {
    let mut ex = Extracted {
        format: Format::Newsml,
        structured: true,
        ..Default::default()
    };
    let meta = item.child("itemMeta");
    let content_meta = item.child("contentMeta");

    if let Some(cm) = content_meta {
        ex.headline = main_headline(cm);
        ex.dateline = cm
            .child("dateline")
            .and_then(Element::non_empty_text)
            // Some feeds put a timestamp there; it is no place.
            .filter(|d| !d.starts_with(|c: char| c.is_ascii_digit()))
            .or_else(|| {
                cm.child("located").and_then(|l| {
                    l.child("name")
                        .and_then(Element::non_empty_text)
                        .or_else(|| l.attr("literal").map(str::to_string))
                })
            });
        for c in cm.elements().filter(|e| e.name == "creditline") {
            ex.credits.extend(c.non_empty_text());
        }
        for s in cm.elements().filter(|e| e.name == "infoSource") {
            ex.credits.extend(party_name(s));
        }
        ex.language = cm
            .child("language")
            .and_then(|l| l.attr("tag"))
            .map(str::to_string);
    }
    if let Some(p) = meta.and_then(|m| m.child("provider")).and_then(party_name) {
        ex.publisher = Some(p.clone());
        ex.credits.push(p);
    }
    ex.published = [
        content_meta.and_then(|c| c.child("contentCreated")),
        meta.and_then(|m| m.child("firstCreated")),
        meta.and_then(|m| m.child("versionCreated")),
    ]
    .into_iter()
    .flatten()
    .find_map(|e| iso_date(&e.text()));
    if ex.language.is_none() {
        ex.language = item.attr("xml:lang").map(str::to_string);
    }

    let mut paragraphs = Vec::new();
    if let Some(set) = item.child("contentSet") {
        for part in set.elements() {
            match part.name.as_str() {
                "inlineXML" => inline_xml(part, &mut ex, &mut paragraphs),
                "inlineData" => {
                    let data = part.text_raw();
                    let kind = part.attr("contenttype").unwrap_or("text/plain");
                    let part = if kind.contains("html") {
                        html::extract(&data).paragraphs
                    } else {
                        plain_paragraphs(&data)
                    };
                    append_part(&mut paragraphs, part);
                }
                _ => {}
            }
            if !paragraphs.is_empty() {
                // Alternative renditions repeat the same story; one is enough.
                break;
            }
        }
    }
    ex.paragraphs = paragraphs;
    ex
}

/// Body of an `inlineXML`: embedded NITF or XHTML (or any XML, as blocks).
fn inline_xml(part: &Element, ex: &mut Extracted, paragraphs: &mut Vec<String>) {
    if ex.language.is_none() {
        ex.language = part.attr("xml:lang").map(str::to_string);
    }
    for doc in part.elements() {
        match doc.name.as_str() {
            "nitf" => {
                let mut inner = Extracted::default();
                nitf::fill(doc, &mut inner);
                append_part(paragraphs, inner.paragraphs);
                ex.headline = ex.headline.take().or(inner.headline);
                ex.dateline = ex.dateline.take().or(inner.dateline);
                ex.published = ex.published.take().or(inner.published);
                ex.language = ex.language.take().or(inner.language);
                ex.credits.extend(inner.credits);
            }
            "html" => {
                if ex.language.is_none() {
                    ex.language = doc
                        .attr("xml:lang")
                        .or(doc.attr("lang"))
                        .map(str::to_string);
                }
                let body = doc.child("body").unwrap_or(doc);
                block_paragraphs(body, paragraphs);
            }
            _ => block_paragraphs(doc, paragraphs),
        }
    }
}

/// The main headline: one without a role, or with a `main` role, else the first.
fn main_headline(content_meta: &Element) -> Option<String> {
    let heads: Vec<&Element> = content_meta
        .elements()
        .filter(|e| e.name == "headline")
        .collect();
    heads
        .iter()
        .find(|h| h.attr("role").is_none_or(|r| r.ends_with("main")))
        .or(heads.first())
        .and_then(|h| h.non_empty_text())
}

/// Name of a G2 party (`provider`, `infoSource`): `name` child, `literal`, or qcode code.
fn party_name(e: &Element) -> Option<String> {
    e.child("name")
        .and_then(Element::non_empty_text)
        .or_else(|| e.attr("literal").map(str::to_string))
        .or_else(|| {
            e.attr("qcode")
                .and_then(|q| q.rsplit(':').next())
                .filter(|code| code.chars().any(CharClass::is_alpha))
                .map(str::to_string)
        })
}

/// NewsML 1.x: `NewsLines` metadata and `DataContent` of text content items.
fn extract_v1(root: &Element) -> Result<Extracted, EngineError> {
    let mut ex = Extracted {
        format: Format::Newsml,
        structured: true,
        ..Default::default()
    };
    let item = root.find("NewsItem").unwrap_or(root);
    ex.language = item.attr("xml:lang").map(str::to_string).or_else(|| {
        item.find("Language")
            .and_then(|l| l.attr("FormalName"))
            .map(str::to_string)
    });
    if let Some(lines) = item.find("NewsLines") {
        ex.headline = lines.child("HeadLine").and_then(Element::non_empty_text);
        ex.dateline = lines.child("DateLine").and_then(Element::non_empty_text);
        for c in lines.elements().filter(|e| e.name == "CreditLine") {
            ex.credits.extend(c.non_empty_text());
        }
    }
    if let Some(party) = item
        .find("Provider")
        .and_then(|p| p.child("Party"))
        .and_then(|p| p.attr("FormalName"))
    {
        ex.publisher = Some(party.to_string());
        ex.credits.push(party.to_string());
    }
    ex.published = item
        .find("FirstCreated")
        .or_else(|| item.find("ThisRevisionCreated"))
        .and_then(|e| iso_date(&e.text()))
        .or_else(|| {
            root.path(&["NewsEnvelope", "DateAndTime"])
                .and_then(|e| iso_date(&e.text()))
        });

    let mut contents = Vec::new();
    item.find_all("ContentItem", &mut contents);
    let mut paragraphs = Vec::new();
    for c in contents {
        let is_text = c
            .child("MediaType")
            .and_then(|m| m.attr("FormalName"))
            .is_none_or(|m| m.eq_ignore_ascii_case("text"));
        let Some(data) = c.child("DataContent").filter(|_| is_text) else {
            continue;
        };
        if data.elements().next().is_none() {
            append_part(&mut paragraphs, plain_paragraphs(&data.text_raw()));
        }
        for doc in data.elements() {
            if doc.name == "nitf" {
                let mut inner = Extracted::default();
                nitf::fill(doc, &mut inner);
                append_part(&mut paragraphs, inner.paragraphs);
                ex.headline = ex.headline.take().or(inner.headline);
            } else {
                block_paragraphs(doc, &mut paragraphs);
            }
        }
    }
    if paragraphs.is_empty() {
        return Err(NO_TEXT);
    }
    ex.paragraphs = paragraphs;
    Ok(ex)
}
