//! `wirefeed eval`: topic decisions against a labelled CSV, per topic and language.
//!
//! The CSV has a header and the columns `path,lang,labels,…`; `labels` is `none` or
//! topic ids joined by `|`. Paths are relative to the CSV's folder. A file's predicted
//! topics are the union over its stories.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use rayon::prelude::*;

use super::DataArgs;

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The labels CSV (path,lang,labels,…).
    #[arg(value_name = "LABELS_CSV")]
    pub labels: PathBuf,
    /// List every wrong decision with the file path and the decision's reason.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Also score reported figures against this annotation CSV
    /// (id,category,number,kind,who,evidence); see `eval_figures`.
    #[arg(long, value_name = "FIGURES_CSV")]
    pub figures: Option<PathBuf>,
    /// Also score headlines against this `id,headline` CSV (ids are labels-CSV paths;
    /// an empty headline means "no headline"). See `eval_headlines`.
    #[arg(long, value_name = "FILE")]
    pub headlines: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataArgs,
}

/// Counts for one (topic, language) cell.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub tp: u32,
    pub fp: u32,
    pub fn_: u32,
    pub tn: u32,
}

impl Cell {
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
}

/// One labelled row.
#[derive(Debug, Clone)]
pub struct Row {
    pub path: PathBuf,
    pub lang: String,
    pub labels: BTreeSet<String>,
}

/// Parse the labels CSV (simple CSV: fields may be double-quoted).
pub fn read_labels(path: &std::path::Path) -> Result<Vec<Row>> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let base = path.parent().unwrap_or(std::path::Path::new("."));
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields = split_csv(line);
        if fields.len() < 3 {
            bail!("{}:{}: expected path,lang,labels", path.display(), n + 1);
        }
        let labels = fields[2]
            .split('|')
            .filter(|l| !l.is_empty() && *l != "none")
            .map(str::to_string)
            .collect();
        rows.push(Row {
            path: base.join(&fields[0]),
            lang: fields[1].clone(),
            labels,
        });
    }
    Ok(rows)
}

/// One CSV record; fields may be double-quoted (`""` is a quote inside one).
pub fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Result of an evaluation: cells by (topic, lang), plus the wrong decisions.
#[derive(Debug, Default)]
pub struct Report {
    pub cells: BTreeMap<(String, String), Cell>,
    pub errors: Vec<String>,
    pub failed_inputs: Vec<String>,
}

impl Report {
    /// Totals per topic over all languages.
    pub fn topic_total(&self, topic: &str) -> Cell {
        let mut c = Cell::default();
        for ((t, _), v) in &self.cells {
            if t == topic {
                c.tp += v.tp;
                c.fp += v.fp;
                c.fn_ += v.fn_;
                c.tn += v.tn;
            }
        }
        c
    }
}

/// Evaluate the engine on labelled rows.
pub fn evaluate(engine: &crate::engine::Engine, rows: &[Row]) -> Report {
    let topic_ids: Vec<String> = engine
        .topics()
        .list()
        .iter()
        .map(|t| t.id.clone())
        .collect();
    let results: Vec<_> = rows
        .par_iter()
        .map(|row| {
            let bytes = fs::read(&row.path).map_err(|e| e.to_string())?;
            let arts = engine.process(&bytes).map_err(|e| e.to_string())?;
            let mut predicted = BTreeSet::new();
            let mut reasons = BTreeMap::new();
            for a in &arts {
                for d in &a.decisions {
                    if d.matched {
                        predicted.insert(d.topic.clone());
                    }
                    reasons
                        .entry(d.topic.clone())
                        .or_insert_with(Vec::new)
                        .push(format!("{} ({})", d.reason, d.score));
                }
            }
            Ok::<_, String>((predicted, reasons))
        })
        .collect();
    let mut report = Report::default();
    for (row, result) in rows.iter().zip(results) {
        let (predicted, reasons) = match result {
            Ok(r) => r,
            Err(e) => {
                report
                    .failed_inputs
                    .push(format!("{}: {e}", row.path.display()));
                (BTreeSet::new(), BTreeMap::new())
            }
        };
        for t in &topic_ids {
            let cell = report
                .cells
                .entry((t.clone(), row.lang.clone()))
                .or_default();
            match (row.labels.contains(t), predicted.contains(t)) {
                (true, true) => cell.tp += 1,
                (false, true) => {
                    cell.fp += 1;
                    report.errors.push(format!(
                        "FP {t} {} — {:?}",
                        row.path.display(),
                        reasons.get(t)
                    ));
                }
                (true, false) => {
                    cell.fn_ += 1;
                    report.errors.push(format!(
                        "FN {t} {} — {:?}",
                        row.path.display(),
                        reasons.get(t)
                    ));
                }
                (false, false) => cell.tn += 1,
            }
        }
    }
    report
}

pub fn run(args: &EvalArgs) -> Result<ExitCode> {
    let engine = args.data.engine()?;
    let rows = read_labels(&args.labels)?;
    let report = evaluate(&engine, &rows);
    println!(
        "{:<20} {:<5} {:>5} {:>5} {:>5} {:>6} {:>9} {:>7}",
        "topic", "lang", "tp", "fp", "fn", "tn", "precision", "recall"
    );
    for ((t, lang), c) in &report.cells {
        if c.tp + c.fp + c.fn_ == 0 && c.tn == 0 {
            continue;
        }
        println!(
            "{:<20} {:<5} {:>5} {:>5} {:>5} {:>6} {:>9.3} {:>7.3}",
            t,
            lang,
            c.tp,
            c.fp,
            c.fn_,
            c.tn,
            c.precision(),
            c.recall()
        );
    }
    for t in engine.topics().list() {
        let c = report.topic_total(&t.id);
        println!(
            "{:<20} {:<5} {:>5} {:>5} {:>5} {:>6} {:>9.3} {:>7.3}",
            t.id,
            "all",
            c.tp,
            c.fp,
            c.fn_,
            c.tn,
            c.precision(),
            c.recall()
        );
    }
    if args.verbose {
        for e in &report.errors {
            println!("{e}");
        }
    }
    for f in &report.failed_inputs {
        eprintln!("error: {f}");
    }
    if let Some(figures) = &args.figures {
        super::eval_figures::run(&engine, &rows, &args.labels, figures, args.verbose)?;
    }
    if let Some(path) = &args.headlines {
        let gold = super::eval_headlines::read_headlines(path)?;
        let scored = super::eval_headlines::evaluate(&engine, &args.labels, &rows, &gold);
        super::eval_headlines::print(&scored, args.verbose);
    }
    Ok(ExitCode::SUCCESS)
}
