//! Tag quality on real scraped pages (`../shared/corpus/web`, 13 languages): headline
//! accuracy and reported-figure P/R/F1 against the gold annotations read by people
//! (`web/annotations/headlines.csv`, `web/annotations/figures.csv`), issue #10.
//!
//! Measured with `wirefeed eval ../shared/corpus/web/labels.csv --headlines
//! ../shared/corpus/web/annotations/headlines.csv --figures
//! ../shared/corpus/web/annotations/figures.csv` (2026-12-02): headlines 391/403
//! (0.970; lowest language zh 0.897); figures P 0.929 R 0.878 F1 0.903; per language F1
//! ar 0.968, en 0.930, ru 0.909, lowest fa 0.762 (12 gold figures).
//!
//! The floors are the targets, or a little under the level reached where that
//! is above the target: headline accuracy ≥ 0.96 overall and ≥ 0.85 in every language;
//! figures F1 ≥ 0.89 with precision ≥ 0.92 overall, F1 ≥ 0.75 in every language with at
//! least 10 gold figures, and ≥ 0.9 in ar, en and ru.

#[allow(dead_code)] // the topic-report helpers are not used here
mod corpus_eval;

use std::path::PathBuf;

use wirefeed::cli::eval::{read_labels, Row};
use wirefeed::cli::{eval_figures, eval_headlines};
use wirefeed::engine::Engine;

/// The web corpus's labels CSV, its rows, the annotation file `web/annotations/<gold>`
/// and the built-in engine; `None` (skipped) without `../shared` outside CI.
fn web_inputs(gold: &str) -> Option<(PathBuf, Vec<Row>, PathBuf, Engine)> {
    let labels = corpus_eval::shared("corpus/web/labels.csv")?;
    let gold = corpus_eval::shared(&format!("corpus/web/annotations/{gold}"))?;
    let rows = read_labels(&labels).expect("labels parse");
    let engine = Engine::builtin().expect("built-in data compiles");
    Some((labels, rows, gold, engine))
}

#[test]
fn web_pages_headline_accuracy_floors() {
    let Some((labels, rows, gold, engine)) = web_inputs("headlines.csv") else {
        return;
    };
    let gold = eval_headlines::read_headlines(&gold).expect("headlines parse");
    let report = eval_headlines::evaluate(&engine, &labels, &rows, &gold);
    assert!(
        report.failed_inputs.is_empty(),
        "inputs failed: {:?}",
        report.failed_inputs
    );
    let total = report.total();
    assert!(total.total() >= 400, "{} scored pages", total.total());
    assert!(
        total.accuracy() >= 0.96,
        "headline accuracy {:.3} (floor 0.96): {total:?}",
        total.accuracy()
    );
    for (lang, t) in &report.by_lang {
        assert!(
            t.accuracy() >= 0.85,
            "headline accuracy {lang} {:.3} (floor 0.85): {t:?}",
            t.accuracy()
        );
    }
}

#[test]
fn web_pages_reported_figures_floors() {
    let Some((labels, rows, gold, engine)) = web_inputs("figures.csv") else {
        return;
    };
    let (report, failed) =
        eval_figures::evaluate(&engine, &rows, &labels, &gold).expect("figures gold parses");
    assert!(failed.is_empty(), "inputs failed: {failed:?}");
    let t = report.total;
    assert!(t.tp + t.fn_ >= 250, "{} gold figures", t.tp + t.fn_);
    assert!(
        t.f1() >= 0.89 && t.precision() >= 0.92,
        "figures P {:.3} (floor 0.92) F1 {:.3} (floor 0.89): {t:?}",
        t.precision(),
        t.f1()
    );
    for (lang, c) in &report.by_lang {
        let floor = if ["ar", "en", "ru"].contains(&lang.as_str()) {
            0.9
        } else if c.tp + c.fn_ >= 10 {
            0.75
        } else {
            continue;
        };
        assert!(
            c.f1() >= floor,
            "figures F1 {lang} {:.3} (floor {floor}): {c:?}",
            c.f1()
        );
    }
}
