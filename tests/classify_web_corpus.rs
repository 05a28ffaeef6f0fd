//! Topic classifier quality on the multilingual web corpus (`../shared/corpus/web`,
//! 14 languages): precision/recall floors for kazakhstan_unrest per language.
//!
//! Measured with `wirefeed eval ../shared/corpus/web/labels.csv`: precision 1.000 in
//! every language; recall 1.000 in ar en es fa it kk pl ru tr uk zh, 0.917 in de and fr
//! (one article each that names Kazakhstan in a single sentence), 0.987 overall. The
//! floors sit a little under that: one more lost article in a language of a dozen
//! positives still passes, two fail and have to be looked at with `eval -v`.

use std::path::Path;

use wirefeed::cli::eval::{evaluate, read_labels, Cell};
use wirefeed::engine::Engine;

const LANGS: [&str; 13] = [
    "ar", "de", "en", "es", "fa", "fr", "it", "kk", "pl", "ru", "tr", "uk", "zh",
];

fn check_floor(what: &str, c: Cell, precision: f64, recall: f64) {
    assert!(
        c.precision() >= precision && c.recall() >= recall,
        "{what}: precision {:.3} (floor {precision}), recall {:.3} (floor {recall}); {c:?}",
        c.precision(),
        c.recall()
    );
}

#[test]
fn web_corpus_kazakhstan_unrest_floors_per_language() {
    let labels = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/web/labels.csv");
    if !labels.exists() {
        if std::env::var_os("CI").is_some() {
            panic!("../shared/corpus/web/labels.csv not found; CI must run the corpus check");
        }
        println!("skipped: ../shared not found");
        return;
    }
    let rows = read_labels(&labels).expect("web labels.csv parses");
    let report = evaluate(&Engine::builtin().expect("built-in data compiles"), &rows);
    assert!(
        report.failed_inputs.is_empty(),
        "inputs failed: {:?}",
        report.failed_inputs
    );
    check_floor(
        "kazakhstan_unrest all",
        report.topic_total("kazakhstan_unrest"),
        0.97,
        0.97,
    );
    for lang in LANGS {
        let c = report
            .cells
            .get(&("kazakhstan_unrest".to_string(), lang.to_string()))
            .copied()
            .unwrap_or_default();
        assert!(
            c.tp > 0,
            "kazakhstan_unrest {lang}: no positive found; {c:?}"
        );
        check_floor(&format!("kazakhstan_unrest {lang}"), c, 0.9, 0.9);
    }
}
