//! Text rules for scraped and wire text: boilerplate removal, story splitting and the
//! metadata a text states about itself (dateline, date, publisher, agency credits).

use crate::data::DataFile;
use crate::engine::formats::Extracted;
use crate::error::DataError;
use crate::model::{Credit, Removed};

/// One story found in an input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Story {
    pub headline: Option<String>,
    pub paragraphs: Vec<String>,
    pub truncated: bool,
    pub dateline: Option<String>,
    pub published: Option<String>,
    pub publisher: Option<String>,
    pub credits: Vec<Credit>,
    pub removed: Vec<Removed>,
}

/// Compiled boilerplate patterns and agency names.
#[derive(Debug, Default)]
pub struct TextRules {}

impl TextRules {
    /// STUB (being replaced).
    pub fn from_files(
        _boilerplate: &[DataFile],
        _agencies: &[DataFile],
    ) -> Result<TextRules, Vec<DataError>> {
        Ok(TextRules {})
    }

    /// STUB: one story, first non-empty line as headline.
    pub fn segment(&self, ex: &Extracted) -> Vec<Story> {
        let mut lines = ex.paragraphs.iter().filter(|p| !p.is_empty()).cloned();
        let headline = ex.headline.clone().or_else(|| lines.next());
        vec![Story {
            headline,
            paragraphs: lines.collect(),
            ..Default::default()
        }]
    }
}
