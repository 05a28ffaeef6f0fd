//! Multilingual gazetteer: people, places and organisations with mention counts.

use crate::data::DataFile;
use crate::error::DataError;
use crate::model::EntityMention;

/// Compiled gazetteer.
#[derive(Debug, Default)]
pub struct Gazetteer {}

impl Gazetteer {
    /// STUB (being replaced).
    pub fn from_files(_files: &[DataFile]) -> Result<Gazetteer, Vec<DataError>> {
        Ok(Gazetteer {})
    }

    /// STUB: finds nothing.
    pub fn find(&self, _headline_match: &str, _body_match: &str) -> Vec<EntityMention> {
        Vec::new()
    }
}
