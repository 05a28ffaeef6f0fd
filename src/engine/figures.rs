//! Reported figures: killed, injured, arrested, displaced — in ar, en, ru.

use crate::data::DataFile;
use crate::error::DataError;
use crate::model::Figure;

/// Compiled figure lexicons.
#[derive(Debug, Default)]
pub struct FigureRules {}

impl FigureRules {
    /// STUB (being replaced).
    pub fn from_files(_files: &[DataFile]) -> Result<FigureRules, Vec<DataError>> {
        Ok(FigureRules {})
    }

    /// STUB: finds nothing.
    pub fn extract(&self, _body_text: &str, _lang: &str) -> Vec<Figure> {
        Vec::new()
    }
}
