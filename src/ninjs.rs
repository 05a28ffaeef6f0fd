//! Rendering a classified article as an IPTC ninjs 3.0 document.
//!
//! ninjs 3.0 closes its root object (`unevaluatedProperties: false`), so wirefeed's
//! additions cannot be a top-level property without breaking validation. They travel
//! as one extension object, serialised as JSON, in a `descriptions` entry with role
//! [`EXTENSION_ROLE`] and content type [`EXTENSION_CONTENT_TYPE`]. `docs/ninjs.md`
//! documents both the mapping and the extension schema.

use serde::Serialize;
use serde_json::{json, Value};

use crate::model::{ClassifiedArticle, EntityKind, Figure, TopicDecision};

/// `descriptions[].role` of the extension object.
pub const EXTENSION_ROLE: &str = "wirefeed:extension";
/// `descriptions[].contentType` of the extension object.
pub const EXTENSION_CONTENT_TYPE: &str = "application/vnd.wirefeed.extension+json";
/// Version of the extension object's schema.
pub const EXTENSION_VERSION: u32 = 1;

/// URI of an article.
pub fn article_uri(id: &str) -> String {
    format!("urn:wirefeed:article:{id}")
}

/// URI of a wirefeed topic.
pub fn topic_uri(id: &str) -> String {
    format!("urn:wirefeed:topic:{id}")
}

/// Everything wirefeed adds beyond ninjs.
#[derive(Debug, Serialize)]
pub struct Extension<'a> {
    pub version: u32,
    pub engine: &'a str,
    pub article_id: &'a str,
    pub source_id: &'a str,
    pub story_index: u32,
    pub story_count: u32,
    pub format: &'a str,
    pub encoding: &'a str,
    pub truncated: bool,
    pub language_confidence: f64,
    /// `true` when the source gave a local time without a zone and `firstCreated`
    /// therefore carries it as UTC.
    pub timezone_assumed: bool,
    pub published_as_stated: Option<&'a str>,
    pub topics: Vec<&'a str>,
    pub figures: &'a [Figure],
    pub decisions: &'a [TopicDecision],
    pub entities: Vec<Value>,
    pub removed_lines: usize,
}

/// ISO 8601 date-time with a zone, as ninjs requires; a zone-less local time is
/// taken as UTC (and flagged in the extension).
fn with_zone(ts: &str) -> (String, bool) {
    let has_zone = ts.ends_with('Z')
        || ts
            .rfind('T')
            .is_some_and(|t| ts[t..].contains('+') || ts[t..].contains('-'));
    if has_zone {
        (ts.to_string(), false)
    } else if ts.len() == 10 {
        (format!("{ts}T00:00:00Z"), true)
    } else {
        (format!("{ts}Z"), true)
    }
}

/// The ninjs document for one article.
pub fn to_ninjs(c: &ClassifiedArticle, engine_version: &str) -> Value {
    let t = &c.tagged;
    let a = &t.article;
    let body = a.body_text();
    let mut doc = serde_json::Map::new();
    doc.insert("uri".into(), json!(article_uri(&a.id)));
    doc.insert("type".into(), json!("text"));
    doc.insert(
        "representationType".into(),
        json!(if a.truncated { "partial" } else { "full" }),
    );
    doc.insert("profile".into(), json!("wirefeed-article"));
    doc.insert(
        "standard".into(),
        json!({"name": "ninjs", "version": "3.0", "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_3.0.json#"}),
    );
    let mut timezone_assumed = false;
    if let Some(p) = &a.published {
        let (ts, assumed) = with_zone(p);
        timezone_assumed = assumed;
        doc.insert("firstCreated".into(), json!(ts));
    }
    if t.language.code != "und" {
        doc.insert("language".into(), json!(t.language.code));
    }
    if let Some(h) = &a.headline {
        doc.insert("headlines".into(), json!([{"role": "main", "value": h}]));
    }
    let words = body.split_whitespace().count();
    doc.insert(
        "bodies".into(),
        json!([{
            "role": "main",
            "contentType": "text/plain",
            "value": body,
            "charCount": body.chars().count(),
            "wordCount": words,
        }]),
    );
    if let Some(d) = &a.dateline {
        doc.insert("located".into(), json!(d));
    }
    let mut sources = Vec::new();
    if let Some(p) = &a.publisher {
        sources.push(json!({"name": p, "role": "publisher"}));
    }
    for cr in &a.credits {
        sources.push(json!({"name": cr.name, "role": "agency", "literal": cr.literal}));
    }
    if !sources.is_empty() {
        doc.insert("infoSources".into(), json!(sources));
    }
    for (kind, key) in [
        (EntityKind::Person, "people"),
        (EntityKind::Organisation, "organisations"),
        (EntityKind::Place, "places"),
    ] {
        let list: Vec<Value> = t
            .entities
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| json!({"name": e.name, "uri": e.uri, "literal": e.id, "rel": "mentioned"}))
            .collect();
        if !list.is_empty() {
            doc.insert(key.into(), json!(list));
        }
    }
    let mut subjects = Vec::new();
    for d in c.decisions.iter().filter(|d| d.matched) {
        subjects.push(json!({
            "name": d.label,
            "uri": topic_uri(&d.topic),
            "literal": d.topic,
            "rel": "about",
            "creator": "wirefeed",
            "relevance": d.relevance,
            "confidence": d.confidence,
        }));
    }
    // The IPTC Media Topic URIs of the matched topics, once each.
    let mut medtops: Vec<(&str, &TopicDecision)> = Vec::new();
    for d in c.decisions.iter().filter(|d| d.matched) {
        for uri in &d.media_topics {
            if !medtops.iter().any(|(u, _)| *u == uri) {
                medtops.push((uri, d));
            }
        }
    }
    for (uri, d) in medtops {
        subjects.push(json!({
            "uri": uri,
            "rel": "about",
            "creator": "wirefeed",
            "relevance": d.relevance,
            "confidence": d.confidence,
        }));
    }
    if !subjects.is_empty() {
        doc.insert("subjects".into(), json!(subjects));
    }
    doc.insert(
        "altIds".into(),
        json!([
            {"role": "blake3", "value": a.source_id},
            {"role": "wirefeed-article-id", "value": a.id},
        ]),
    );
    let ext = Extension {
        version: EXTENSION_VERSION,
        engine: engine_version,
        article_id: &a.id,
        source_id: &a.source_id,
        story_index: a.index,
        story_count: a.story_count,
        format: a.format.as_str(),
        encoding: &a.encoding,
        truncated: a.truncated,
        language_confidence: t.language.confidence,
        timezone_assumed,
        published_as_stated: a.published.as_deref(),
        topics: c.topics(),
        figures: &t.figures,
        decisions: &c.decisions,
        entities: t
            .entities
            .iter()
            .map(|e| json!({"id": e.id, "kind": e.kind, "headline": e.headline_count, "body": e.body_count}))
            .collect(),
        removed_lines: a.removed.len(),
    };
    doc.insert(
        "descriptions".into(),
        json!([{
            "role": EXTENSION_ROLE,
            "contentType": EXTENSION_CONTENT_TYPE,
            "value": serde_json::to_string(&ext).expect("extension serialises"),
        }]),
    );
    Value::Object(doc)
}

/// Read the extension object back from a ninjs document produced by [`to_ninjs`].
pub fn extension(doc: &Value) -> Option<Value> {
    doc.get("descriptions")?
        .as_array()?
        .iter()
        .find(|d| d.get("role").and_then(Value::as_str) == Some(EXTENSION_ROLE))
        .and_then(|d| d.get("value")?.as_str())
        .and_then(|s| serde_json::from_str(s).ok())
}
