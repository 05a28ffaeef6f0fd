//! `wirefeed eval LABELS --headlines FILE`: headline accuracy, overall and per language.
//!
//! The headlines file is a CSV `id,headline` with a header; `id` is a `path` of the
//! labels CSV (relative to the labels CSV's folder, e.g. `ar/ar_kz_01.txt`). An empty
//! `headline` means the text starts with body text and the right answer is *no*
//! headline. The predicted headline is the first story's headline.
//!
//! Comparison: both sides are put in display form ([`normalize::display`]: NFC,
//! invisible characters removed, whitespace runs collapsed to one space, trimmed) and
//! must then be equal exactly (case and punctuation count). Each row is one of:
//! `right` (equal, or both empty), `wrong` (both present, different), `missed` (gold
//! has a headline, none predicted) or `spurious` (gold is empty, one predicted).
//! Rows whose id is not in the labels CSV are ignored; labelled files with no
//! headline row are not scored.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;

use super::eval::{split_csv, Row};
use crate::engine::{normalize, Engine};

/// How one predicted headline compares with the gold one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Right,
    Wrong,
    Missed,
    Spurious,
}

/// Counts for one language (or all).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub right: u32,
    pub wrong: u32,
    pub missed: u32,
    pub spurious: u32,
}

impl Tally {
    fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Right => self.right += 1,
            Outcome::Wrong => self.wrong += 1,
            Outcome::Missed => self.missed += 1,
            Outcome::Spurious => self.spurious += 1,
        }
    }
    pub fn total(&self) -> u32 {
        self.right + self.wrong + self.missed + self.spurious
    }
    pub fn accuracy(&self) -> f64 {
        if self.total() == 0 {
            1.0
        } else {
            self.right as f64 / self.total() as f64
        }
    }
}

/// One scored document.
#[derive(Debug, Clone)]
pub struct Scored {
    pub id: String,
    pub lang: String,
    pub outcome: Outcome,
    pub gold: String,
    pub predicted: String,
}

/// Headline scores per language, plus every scored row.
#[derive(Debug, Default)]
pub struct HeadlineReport {
    pub by_lang: BTreeMap<String, Tally>,
    pub rows: Vec<Scored>,
    pub failed_inputs: Vec<String>,
}

impl HeadlineReport {
    pub fn total(&self) -> Tally {
        let mut t = Tally::default();
        for v in self.by_lang.values() {
            t.right += v.right;
            t.wrong += v.wrong;
            t.missed += v.missed;
            t.spurious += v.spurious;
        }
        t
    }
}

/// The comparison form of a headline (see the module docs).
pub fn comparable(s: &str) -> String {
    normalize::display(s)
}

/// Compare a predicted headline with the gold one.
pub fn compare(gold: &str, predicted: Option<&str>) -> Outcome {
    let gold = comparable(gold);
    let predicted = predicted.map(comparable).unwrap_or_default();
    match (gold.is_empty(), predicted.is_empty()) {
        (true, true) => Outcome::Right,
        (true, false) => Outcome::Spurious,
        (false, true) => Outcome::Missed,
        (false, false) if gold == predicted => Outcome::Right,
        (false, false) => Outcome::Wrong,
    }
}

/// Read the `id,headline` CSV into id → gold headline.
pub fn read_headlines(path: &Path) -> Result<HashMap<String, String>> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = HashMap::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let mut fields = split_csv(line);
        if fields.len() < 2 {
            bail!("{}:{}: expected id,headline", path.display(), n + 1);
        }
        let headline = fields.swap_remove(1);
        out.insert(fields.swap_remove(0), headline);
    }
    Ok(out)
}

/// Score the first story's headline of every labelled file that has a gold row.
pub fn evaluate(
    engine: &Engine,
    labels_csv: &Path,
    rows: &[Row],
    gold: &HashMap<String, String>,
) -> HeadlineReport {
    let base = labels_csv.parent().unwrap_or(Path::new("."));
    let scored: Vec<_> = rows
        .par_iter()
        .filter_map(|row| {
            let id = row
                .path
                .strip_prefix(base)
                .unwrap_or(&row.path)
                .to_string_lossy()
                .replace('\\', "/");
            let g = gold.get(&id)?;
            let predicted = fs::read(&row.path)
                .map_err(|e| e.to_string())
                .and_then(|b| engine.clean(&b).map_err(|e| e.to_string()))
                .map(|arts| arts.into_iter().next().and_then(|a| a.headline));
            Some((id, row.lang.clone(), g.clone(), predicted))
        })
        .collect();
    let mut report = HeadlineReport::default();
    for (id, lang, gold, predicted) in scored {
        let predicted = match predicted {
            Ok(p) => p,
            Err(e) => {
                report.failed_inputs.push(format!("{id}: {e}"));
                None
            }
        };
        let outcome = compare(&gold, predicted.as_deref());
        report.by_lang.entry(lang.clone()).or_default().add(outcome);
        report.rows.push(Scored {
            id,
            lang,
            outcome,
            gold: comparable(&gold),
            predicted: predicted.as_deref().map(comparable).unwrap_or_default(),
        });
    }
    report
        .rows
        .sort_by(|a, b| (a.outcome, &a.id).cmp(&(b.outcome, &b.id)));
    report
}

/// Print the table (and with `verbose`, every row that is not right).
pub fn print(report: &HeadlineReport, verbose: bool) {
    println!();
    println!(
        "{:<9} {:<5} {:>5} {:>5} {:>6} {:>8} {:>5} {:>8}",
        "headlines", "lang", "right", "wrong", "missed", "spurious", "total", "accuracy"
    );
    let line = |lang: &str, t: &Tally| {
        println!(
            "{:<9} {:<5} {:>5} {:>5} {:>6} {:>8} {:>5} {:>8.3}",
            "headline",
            lang,
            t.right,
            t.wrong,
            t.missed,
            t.spurious,
            t.total(),
            t.accuracy()
        );
    };
    for (lang, t) in &report.by_lang {
        line(lang, t);
    }
    line("all", &report.total());
    if verbose {
        for r in report.rows.iter().filter(|r| r.outcome != Outcome::Right) {
            println!(
                "{:?} {} — gold {:?} got {:?}",
                r.outcome, r.id, r.gold, r.predicted
            );
        }
    }
    for f in &report.failed_inputs {
        eprintln!("error: {f}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_normalises_whitespace_and_nfc_only() {
        assert_eq!(
            compare("A  title\u{200B} ", Some(" A title")),
            Outcome::Right
        );
        // "é" precomposed vs "e" + combining acute.
        assert_eq!(
            compare("Caf\u{e9} news", Some("Cafe\u{301} news")),
            Outcome::Right
        );
        assert_eq!(compare("A title", Some("a title")), Outcome::Wrong);
        assert_eq!(compare("A title", Some("A title | Site")), Outcome::Wrong);
    }

    #[test]
    fn empty_gold_means_no_headline() {
        assert_eq!(compare("", None), Outcome::Right);
        assert_eq!(compare(" ", Some("")), Outcome::Right);
        assert_eq!(compare("", Some("Menu")), Outcome::Spurious);
        assert_eq!(compare("A title", None), Outcome::Missed);
    }
}
