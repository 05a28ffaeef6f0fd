//! `wirefeed eval --figures FILE`: reported figures against gold annotations.
//!
//! The annotation CSV has the columns `id,category,number,kind,who,evidence`; `id` is a
//! document path relative to the labels CSV's folder (the same form as the labels'
//! `path` column). Figures are scored as the set of distinct `(id, category, number)`:
//! a statement repeated in a document counts once, and `kind`, `who` and `evidence`
//! are not scored.
//!
//! The engine reports a vague quantity ("dozens", "آلاف") as a label with no value;
//! the scorer gives each label the number the annotation convention uses for it
//! ([`vague_value`]): dozens = 24, hundreds = 200, thousands = 2000, tens of
//! thousands = 20000, hundreds of thousands = 200000, millions = 2000000.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;

use super::eval::{split_csv, Row};
use crate::engine::Engine;
use crate::model::FigureCategory;

/// One scored figure: document id, category, number.
pub type Key = (String, String, u64);

/// The number the annotations give a vague quantity label; `None` for a label the
/// convention does not know (such a figure cannot match and counts as a false positive).
pub fn vague_value(label: &str) -> Option<u64> {
    Some(match label {
        "dozens" | "scores" => 24,
        "hundreds" => 200,
        "thousands" => 2_000,
        "tens_of_thousands" => 20_000,
        "hundreds_of_thousands" => 200_000,
        "millions" => 2_000_000,
        _ => return None,
    })
}

pub fn category_name(c: FigureCategory) -> &'static str {
    match c {
        FigureCategory::Killed => "killed",
        FigureCategory::Injured => "injured",
        FigureCategory::Arrested => "arrested",
        FigureCategory::Displaced => "displaced",
    }
}

/// Read the gold figures: the set of distinct (id, category, number).
pub fn read_gold(path: &Path) -> Result<BTreeSet<Key>> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = BTreeSet::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let f = split_csv(line);
        if f.len() < 3 {
            bail!(
                "{}:{}: expected id,category,number,…",
                path.display(),
                n + 1
            );
        }
        let number: u64 = f[2].trim().parse().with_context(|| {
            format!(
                "{}:{}: number {:?} is not an integer",
                path.display(),
                n + 1,
                f[2]
            )
        })?;
        out.insert((f[0].clone(), f[1].clone(), number));
    }
    Ok(out)
}

/// A labels row's document id: its path relative to the labels CSV's folder.
fn doc_id(row: &Row, base: &Path) -> String {
    row.path
        .strip_prefix(base)
        .unwrap_or(&row.path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Run the engine over every labelled document and collect its figures as keys.
pub fn predict(engine: &Engine, rows: &[Row], base: &Path) -> (BTreeSet<Key>, Vec<String>) {
    let results: Vec<_> = rows
        .par_iter()
        .map(|row| {
            let id = doc_id(row, base);
            let bytes = fs::read(&row.path).map_err(|e| format!("{id}: {e}"))?;
            let arts = engine.process(&bytes).map_err(|e| format!("{id}: {e}"))?;
            let keys: Vec<Key> = arts
                .iter()
                .flat_map(|a| &a.tagged.figures)
                .filter_map(|f| {
                    let n = f
                        .quantity
                        .value
                        .or_else(|| f.quantity.vague.as_deref().and_then(vague_value))?;
                    Some((id.clone(), category_name(f.category).to_string(), n))
                })
                .collect();
            Ok::<_, String>(keys)
        })
        .collect();
    let mut keys = BTreeSet::new();
    let mut failed = Vec::new();
    for r in results {
        match r {
            Ok(k) => keys.extend(k),
            Err(e) => failed.push(e),
        }
    }
    (keys, failed)
}

/// True/false positives and false negatives of one cell.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub tp: u32,
    pub fp: u32,
    pub fn_: u32,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Scores by category and by language, plus the wrong keys.
#[derive(Debug, Default)]
pub struct FigureReport {
    pub by_category: BTreeMap<String, Counts>,
    pub by_lang: BTreeMap<String, Counts>,
    pub total: Counts,
    /// `FP`/`FN` lines, for `--verbose`.
    pub errors: Vec<String>,
}

/// Compare predicted with gold keys. Only documents in `langs` (id → language) are
/// scored: gold rows for other ids are ignored, as are predictions for them.
pub fn score(
    gold: &BTreeSet<Key>,
    predicted: &BTreeSet<Key>,
    langs: &BTreeMap<String, String>,
) -> FigureReport {
    let mut r = FigureReport::default();
    let mut bump = |key: &Key, f: &dyn Fn(&mut Counts)| {
        let lang = langs.get(&key.0).cloned().unwrap_or_default();
        f(r.by_category.entry(key.1.clone()).or_default());
        f(r.by_lang.entry(lang).or_default());
        f(&mut r.total);
    };
    let mut errors = Vec::new();
    for k in gold.iter().filter(|k| langs.contains_key(&k.0)) {
        if predicted.contains(k) {
            bump(k, &|c| c.tp += 1);
        } else {
            bump(k, &|c| c.fn_ += 1);
            errors.push(format!("FN {} {} {}", k.0, k.1, k.2));
        }
    }
    for k in predicted.iter().filter(|k| !gold.contains(*k)) {
        bump(k, &|c| c.fp += 1);
        errors.push(format!("FP {} {} {}", k.0, k.1, k.2));
    }
    errors.sort();
    r.errors = errors;
    r
}

/// Score the figures the engine reports in the labelled files `rows` (of the labels
/// CSV `labels`) against the annotation CSV `figures`; also the inputs that failed.
pub fn evaluate(
    engine: &Engine,
    rows: &[Row],
    labels: &Path,
    figures: &Path,
) -> Result<(FigureReport, Vec<String>)> {
    let base = labels.parent().unwrap_or(Path::new("."));
    let gold = read_gold(figures)?;
    let langs: BTreeMap<String, String> = rows
        .iter()
        .map(|r| (doc_id(r, base), r.lang.clone()))
        .collect();
    let (predicted, failed) = predict(engine, rows, base);
    Ok((score(&gold, &predicted, &langs), failed))
}

/// Evaluate and print the figure tables.
pub fn run(
    engine: &Engine,
    rows: &[Row],
    labels: &Path,
    figures: &Path,
    verbose: bool,
) -> Result<()> {
    let (report, failed) = evaluate(engine, rows, labels, figures)?;
    println!();
    println!(
        "{:<10} {:<10} {:>5} {:>5} {:>5} {:>9} {:>7} {:>6}",
        "figures", "", "tp", "fp", "fn", "precision", "recall", "f1"
    );
    let line = |kind: &str, name: &str, c: &Counts| {
        println!(
            "{:<10} {:<10} {:>5} {:>5} {:>5} {:>9.3} {:>7.3} {:>6.3}",
            kind,
            name,
            c.tp,
            c.fp,
            c.fn_,
            c.precision(),
            c.recall(),
            c.f1()
        );
    };
    for (cat, c) in &report.by_category {
        line("category", cat, c);
    }
    for (lang, c) in &report.by_lang {
        line("lang", lang, c);
    }
    line("all", "", &report.total);
    if verbose {
        for e in &report.errors {
            println!("{e}");
        }
    }
    for f in &failed {
        eprintln!("error: {f}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, cat: &str, n: u64) -> Key {
        (id.to_string(), cat.to_string(), n)
    }

    #[test]
    fn scores_distinct_keys_per_language_and_category() {
        let gold: BTreeSet<Key> = [
            key("a.txt", "killed", 10),
            key("a.txt", "injured", 24),
            key("b.txt", "arrested", 2000),
            key("unlisted.txt", "killed", 5),
        ]
        .into();
        let pred: BTreeSet<Key> = [
            key("a.txt", "killed", 10),
            key("a.txt", "killed", 11),
            key("b.txt", "arrested", 2000),
        ]
        .into();
        let langs: BTreeMap<String, String> = [
            ("a.txt".to_string(), "en".to_string()),
            ("b.txt".to_string(), "ru".to_string()),
        ]
        .into();
        let r = score(&gold, &pred, &langs);
        assert_eq!(
            r.total,
            Counts {
                tp: 2,
                fp: 1,
                fn_: 1
            }
        );
        assert_eq!(
            r.by_lang["ru"],
            Counts {
                tp: 1,
                fp: 0,
                fn_: 0
            }
        );
        assert_eq!(
            r.by_category["injured"],
            Counts {
                tp: 0,
                fp: 0,
                fn_: 1
            }
        );
        assert!((r.total.f1() - 2.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn vague_labels_take_the_annotation_values() {
        assert_eq!(vague_value("dozens"), Some(24));
        assert_eq!(vague_value("hundreds_of_thousands"), Some(200_000));
        assert_eq!(vague_value("millions"), Some(2_000_000));
        assert_eq!(vague_value("handful"), None);
    }
}
