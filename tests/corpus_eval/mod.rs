//! What the corpus-quality tests share: the labelled report of a `../shared` label
//! file (skipped without `../shared`, a failure under CI) and the floor check.

use std::path::{Path, PathBuf};

use wirefeed::cli::eval::{evaluate, read_labels, Cell, Report};
use wirefeed::engine::Engine;

/// `evaluate` over `../shared/<rel>` with `engine`; `None` (skipped, said so) when
/// `../shared` is missing outside CI. Every input must have been read.
pub fn report(rel: &str, engine: &Engine) -> Option<Report> {
    let labels = shared(rel)?;
    let rows = read_labels(&labels).expect("labels parse");
    let report = evaluate(engine, &rows);
    assert!(
        report.failed_inputs.is_empty(),
        "inputs failed: {:?}",
        report.failed_inputs
    );
    Some(report)
}

/// `../shared/<rel>`, or `None` (skipped, said so) when `../shared` is missing
/// outside CI; under CI a missing file fails.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel);
    if !path.exists() {
        if std::env::var_os("CI").is_some() {
            panic!("../shared/{rel} not found; CI must run the corpus check");
        }
        println!("skipped: ../shared not found");
        return None;
    }
    Some(path)
}

/// One topic × language cell of a report (empty when absent).
pub fn cell(report: &Report, topic: &str, lang: &str) -> Cell {
    report
        .cells
        .get(&(topic.to_string(), lang.to_string()))
        .copied()
        .unwrap_or_default()
}

pub fn check_floor(what: &str, c: Cell, precision: f64, recall: f64) {
    assert!(
        c.precision() >= precision && c.recall() >= recall,
        "{what}: precision {:.3} (floor {precision}), recall {:.3} (floor {recall}); {c:?}",
        c.precision(),
        c.recall()
    );
}
