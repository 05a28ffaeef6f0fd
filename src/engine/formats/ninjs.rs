//! IPTC ninjs JSON: 1.x/2.x (`headline`, `body_text`, `body_html`, lowercase keys)
//! and 3.x (`headlines[]`, `bodies[]`, camelCase keys).

use serde_json::{Map, Value};

use super::{html, iso_date, plain_paragraphs, Extracted};
use crate::error::EngineError;
use crate::model::Format;

/// Keys that mark a JSON object as a ninjs item (any version).
const NINJS_KEYS: &[&str] = &[
    "uri",
    "guid",
    "headline",
    "headlines",
    "body_text",
    "body_html",
    "body_xhtml",
    "bodies",
    "type",
    "versioncreated",
    "versionCreated",
    "firstcreated",
    "firstCreated",
];

/// Item types that are not stories.
const MEDIA_TYPES: &[&str] = &["picture", "video", "audio", "graphic", "composite", "event"];

fn malformed(detail: impl Into<String>) -> EngineError {
    EngineError::Malformed {
        format: "ninjs",
        detail: detail.into(),
    }
}

pub(super) fn extract(s: &str) -> Result<Extracted, EngineError> {
    let value: Value = serde_json::from_str(s).map_err(|e| malformed(e.to_string()))?;
    let Value::Object(item) = value else {
        return Err(malformed("expected a JSON object"));
    };
    if !NINJS_KEYS.iter().any(|k| item.contains_key(*k)) {
        return Err(malformed("no ninjs keys (uri, headline, body…)"));
    }
    let mut ex = Extracted {
        format: Format::Ninjs,
        structured: true,
        ..Default::default()
    };
    ex.headline = headline(&item);
    ex.language = str_of(&item, &["language"]);
    ex.dateline = match item.get("located") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => str_of(o, &["name"]),
        Some(Value::Array(a)) => a.iter().find_map(|l| match l {
            Value::Object(o) => str_of(o, &["name"]),
            Value::String(s) => Some(s.clone()),
            _ => None,
        }),
        _ => None,
    };
    ex.published = [
        "firstcreated",
        "firstCreated",
        "versioncreated",
        "versionCreated",
    ]
    .iter()
    .find_map(|k| item.get(*k).and_then(Value::as_str).and_then(iso_date));
    for key in ["infosources", "infoSources"] {
        if let Some(Value::Array(sources)) = item.get(key) {
            for s in sources {
                if let Value::Object(o) = s {
                    if let Some(name) = str_of(o, &["name"]) {
                        let is_publisher = str_of(o, &["role"])
                            .is_some_and(|r| r.to_ascii_lowercase().contains("publisher"));
                        if is_publisher && ex.publisher.is_none() {
                            ex.publisher = Some(name.clone());
                        }
                        ex.credits.push(name);
                    }
                }
            }
        }
    }
    ex.credits
        .extend(str_of(&item, &["copyrightholder", "copyrightHolder"]));

    let is_media = str_of(&item, &["type"]).is_some_and(|t| MEDIA_TYPES.contains(&t.as_str()));
    ex.paragraphs = body(&item);
    if ex.paragraphs.iter().all(String::is_empty) {
        if is_media {
            return Err(EngineError::NoTextBody { format: "ninjs" });
        }
        // A text item without a body: its description is the best text it has.
        ex.paragraphs = description(&item);
    }
    if ex.paragraphs.is_empty() && ex.headline.is_none() {
        return Err(EngineError::NoTextBody { format: "ninjs" });
    }
    Ok(ex)
}

/// First string value among `keys`.
fn str_of(o: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str))
        .map(str::to_string)
        .filter(|s| !s.trim().is_empty())
}

fn headline(item: &Map<String, Value>) -> Option<String> {
    if let Some(h) = str_of(item, &["headline"]) {
        return Some(h);
    }
    let Some(Value::Array(heads)) = item.get("headlines") else {
        return None;
    };
    let heads: Vec<&Map<String, Value>> = heads.iter().filter_map(Value::as_object).collect();
    // The main headline has no role or the role "main"/"default".
    heads
        .iter()
        .find(|h| str_of(h, &["role"]).is_none_or(|r| matches!(r.as_str(), "main" | "default")))
        .or(heads.first())
        .and_then(|h| str_of(h, &["value"]))
}

/// Body paragraphs: HTML bodies through the HTML extractor (their markup says
/// where paragraphs are), plain text bodies line by line.
fn body(item: &Map<String, Value>) -> Vec<String> {
    for key in ["body_html", "body_xhtml"] {
        if let Some(h) = str_of(item, &[key]) {
            let p = html::extract(&h).paragraphs;
            if !p.is_empty() {
                return p;
            }
        }
    }
    if let Some(t) = str_of(item, &["body_text"]) {
        return plain_paragraphs(&t);
    }
    let Some(Value::Array(bodies)) = item.get("bodies") else {
        return Vec::new();
    };
    let bodies: Vec<&Map<String, Value>> = bodies.iter().filter_map(Value::as_object).collect();
    let content_type = |b: &Map<String, Value>| {
        str_of(b, &["contentType", "contenttype"])
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let html_body = bodies.iter().find(|b| content_type(b).contains("html"));
    if let Some(v) = html_body.and_then(|b| str_of(b, &["value"])) {
        let p = html::extract(&v).paragraphs;
        if !p.is_empty() {
            return p;
        }
    }
    bodies
        .iter()
        .filter(|b| !content_type(b).contains("html"))
        .find_map(|b| str_of(b, &["value"]))
        .map(|t| plain_paragraphs(&t))
        .unwrap_or_default()
}

/// Description (`description_text`/`description_html` in 2.x, `descriptions[]` in 3.x).
fn description(item: &Map<String, Value>) -> Vec<String> {
    if let Some(t) = str_of(item, &["description_text"]) {
        return plain_paragraphs(&t);
    }
    if let Some(h) = str_of(item, &["description_html"]) {
        return html::extract(&h).paragraphs;
    }
    let Some(Value::Array(descriptions)) = item.get("descriptions") else {
        return Vec::new();
    };
    descriptions
        .iter()
        .filter_map(Value::as_object)
        .find_map(|d| {
            let value = str_of(d, &["value"])?;
            let kind = str_of(d, &["contentType", "contenttype"]).unwrap_or_default();
            Some(if kind.contains("html") {
                html::extract(&value).paragraphs
            } else {
                plain_paragraphs(&value)
            })
        })
        .unwrap_or_default()
}
