//! Multilingual gazetteer: people, places and organisations with mention counts.

use crate::data::DataFile;
use crate::error::DataError;
use crate::model::{CleanArticle, EntityMention};

/// Compiled gazetteer.
#[derive(Debug, Default)]
pub struct Gazetteer {}

impl Gazetteer {
    /// STUB (being replaced).
    pub fn from_files(_files: &[DataFile]) -> Result<Gazetteer, Vec<DataError>> {
        Ok(Gazetteer {})
    }

    /// STUB: finds nothing. Matches run on `article.headline_match` / `article.body_match`
    /// (folded forms); case-sensitive names may look at the display form.
    pub fn find(&self, _article: &CleanArticle) -> Vec<EntityMention> {
        Vec::new()
    }
}
