//! Format detection and body extraction: plain text, HTML, ninjs, NITF, NewsML.

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

/// Detect the format and extract. STUB: plain text only (being replaced).
pub fn extract(text: &str) -> Result<Extracted, EngineError> {
    let paragraphs = normalize::display_lines(text);
    if paragraphs.iter().all(|p| p.is_empty()) {
        return Err(EngineError::Empty);
    }
    Ok(Extracted {
        format: Format::Text,
        paragraphs,
        ..Default::default()
    })
}
