//! NITF (News Industry Text Format): headline, body paragraphs and docdata metadata.

use super::xml::{block_paragraphs, Element};
use super::{iso_date, Extracted};
use crate::error::EngineError;
use crate::model::Format;

/// Extract a parsed `<nitf>` document.
pub(super) fn extract(root: &Element) -> Result<Extracted, EngineError> {
    let mut ex = Extracted {
        format: Format::Nitf,
        structured: true,
        ..Default::default()
    };
    fill(root, &mut ex);
    if ex.paragraphs.is_empty() && ex.headline.is_none() {
        return Err(EngineError::NoTextBody { format: "nitf" });
    }
    Ok(ex)
}

/// Fill `ex` from a `<nitf>` element; also used for NITF embedded in NewsML.
/// Fields already set are kept (the outer container's metadata wins).
pub(super) fn fill(nitf: &Element, ex: &mut Extracted) {
    let body = nitf.child("body");
    let body_head = body.and_then(|b| b.child("body.head"));
    if ex.headline.is_none() {
        ex.headline = body_head
            .and_then(|h| h.find("hl1"))
            .and_then(Element::non_empty_text)
            .or_else(|| {
                nitf.path(&["head", "title"])
                    .and_then(Element::non_empty_text)
            });
    }
    let mut paragraphs = Vec::new();
    if let Some(body) = body {
        let mut contents = Vec::new();
        body.find_all("body.content", &mut contents);
        for c in contents {
            block_paragraphs(c, &mut paragraphs);
        }
    }
    if ex.paragraphs.is_empty() {
        ex.paragraphs = paragraphs;
    }

    let dateline = body_head.and_then(|h| h.find("dateline"));
    if ex.dateline.is_none() {
        ex.dateline = dateline.and_then(|d| {
            d.child("location")
                .and_then(Element::non_empty_text)
                .or_else(|| {
                    // The dateline minus its story.date child.
                    let mut place = d.clone();
                    place.children.retain(
                        |n| !matches!(n, super::xml::Node::Element(e) if e.name == "story.date"),
                    );
                    place.non_empty_text()
                })
        });
    }
    if ex.published.is_none() {
        let docdata = nitf.path(&["head", "docdata"]);
        ex.published = dateline
            .and_then(|d| d.find("story.date"))
            .and_then(|s| s.attr("norm").map(str::to_string).or(s.non_empty_text()))
            .and_then(|s| iso_date(&s))
            .or_else(|| {
                ["date.issue", "date.release"].iter().find_map(|n| {
                    docdata
                        .and_then(|d| d.child(n))
                        .and_then(|e| e.attr("norm"))
                        .and_then(iso_date)
                })
            });
    }
    if let Some(h) = body_head {
        for name in ["distributor", "copyrite"] {
            if let Some(t) = h.find(name).and_then(Element::non_empty_text) {
                if name == "distributor" && ex.publisher.is_none() {
                    ex.publisher = Some(t.clone());
                }
                ex.credits.push(t);
            }
        }
    }
    if let Some(holder) = nitf
        .path(&["head", "docdata", "doc.copyright"])
        .and_then(|c| c.attr("holder"))
    {
        ex.credits.push(holder.to_string());
    }
    if ex.language.is_none() {
        ex.language = nitf
            .attr("xml:lang")
            .or_else(|| nitf.child("head").and_then(|h| h.attr("xml:lang")))
            .or_else(|| body.and_then(|b| b.attr("xml:lang")))
            .map(str::to_string);
    }
}
