//! Unit tests on invented sentences (never corpus text).

use super::*;
use crate::data::DataSet;

fn rules() -> FigureRules {
    FigureRules::from_files(&DataSet::builtin().figures).expect("builtin figures data loads")
}

#[test]
fn smoke() {
    let r = rules();
    let f = r.extract(
        "At least 12 people were killed and 40 injured in 2022.",
        "en",
    );
    assert_eq!(f.len(), 2, "{f:#?}");
}
