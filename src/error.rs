//! Typed reasons why an input cannot become an article.
//!
//! Every variant maps to a small fixed `error_type` label ([`EngineError::kind`]) used in
//! metrics, dead-letter messages and `.reason` sidecars.

use thiserror::Error;

/// Why the engine rejected an input. These are permanent: retrying the same bytes
/// gives the same error, so the daemon dead-letters them instead of retrying.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EngineError {
    /// The input is empty or holds only whitespace/markup.
    #[error("empty input: no article text found")]
    Empty,
    /// The input exceeds the configured size limit.
    #[error("input too large: {size} bytes (limit {limit})")]
    TooLarge { size: usize, limit: usize },
    /// The bytes are not text in any supported encoding (binary data).
    #[error("not text: {0}")]
    Binary(String),
    /// The content looks like a known container format but is malformed.
    #[error("malformed {format}: {detail}")]
    Malformed {
        format: &'static str,
        detail: String,
    },
    /// The XML declares entities (a DTD); expansion is never performed.
    #[error("xml declares entities (DTD); refusing to expand them")]
    EntityDeclaration,
    /// A structured item carries no text body (a picture, a package, a link list).
    #[error("no text body in {format} item")]
    NoTextBody { format: &'static str },
}

impl EngineError {
    /// Stable, bounded label for metrics and dead-letter records.
    pub fn kind(&self) -> &'static str {
        match self {
            EngineError::Empty => "empty",
            EngineError::TooLarge { .. } => "too_large",
            EngineError::Binary(_) => "binary",
            EngineError::Malformed { .. } => "malformed",
            EngineError::EntityDeclaration => "entity_declaration",
            EngineError::NoTextBody { .. } => "no_text_body",
        }
    }

    /// Every label [`EngineError::kind`] can return (for pre-registering metrics).
    pub const KINDS: &'static [&'static str] = &[
        "empty",
        "too_large",
        "binary",
        "malformed",
        "entity_declaration",
        "no_text_body",
    ];
}

/// A data file (topic, gazetteer, boilerplate pattern) that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file}:{line}: {message}")]
pub struct DataError {
    /// File name (or path) of the data file.
    pub file: String,
    /// 1-based line of the problem (0 when unknown).
    pub line: usize,
    pub message: String,
}

impl DataError {
    pub fn new(file: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        DataError {
            file: file.into(),
            line,
            message: message.into(),
        }
    }

    /// Build from a `toml` parse error, turning its byte span into a line number.
    pub fn from_toml(file: &str, text: &str, err: &toml::de::Error) -> Self {
        let line = err
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(0);
        DataError::new(file, line, err.message().to_string())
    }
}
