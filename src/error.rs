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
#[error("{file}:{line}:{column}: {message}")]
pub struct DataError {
    /// File name (or path) of the data file.
    pub file: String,
    /// 1-based line of the problem (0 when unknown).
    pub line: usize,
    /// 1-based column (in characters) of the problem (0 when unknown).
    pub column: usize,
    pub message: String,
}

impl DataError {
    pub fn new(file: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        DataError {
            file: file.into(),
            line,
            column: usize::from(line > 0),
            message: message.into(),
        }
    }

    /// An error at a byte offset of a data file's text: line and column computed from it.
    pub fn at(file: &crate::data::DataFile, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_column(&file.text, offset);
        DataError {
            file: file.name.clone(),
            line,
            column,
            message: message.into(),
        }
    }

    /// Build from a `toml` parse or type error, at the line and column of its span.
    pub fn from_toml(file: &str, text: &str, err: &toml::de::Error) -> Self {
        let (line, column) = err.span().map_or((0, 0), |s| line_column(text, s.start));
        DataError {
            file: file.to_string(),
            line,
            column,
            message: err.message().to_string(),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..offset].chars().count() + 1)
}
