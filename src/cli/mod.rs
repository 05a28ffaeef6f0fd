//! Command-line interface: argument parsing and the one-shot commands
//! (`process`, `topics`, `eval`). `main.rs` only calls [`main`].

pub mod eval;
pub mod eval_figures;
pub mod eval_headlines;
pub mod process;
pub mod run;
pub mod stories;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::data::DataSet;
use crate::engine::Engine;

/// Version string reported in outputs and metrics.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Parser)]
#[command(
    name = "wirefeed",
    version,
    about = "Clean, tag and classify news wire articles into IPTC ninjs documents",
    long_about = "wirefeed turns news articles (plain text, HTML, ninjs JSON, NITF or NewsML-G2 XML, \
in UTF-8, UTF-16 or legacy Arabic/Cyrillic encodings) into clean, tagged, topic-classified \
IPTC ninjs 3.0 documents.\n\nOne-shot: `wirefeed process FILES…`. As a daemon: `wirefeed run` \
watches an inbox folder and publishes results to NATS JetStream (or, with no NATS URL, to an \
outbox folder).",
    after_help = "Examples:\n  wirefeed process seeds/ --explain\n  wirefeed process inbox/ --out out/\n  wirefeed topics --check --data my-data/\n  wirefeed run --config wirefeed.toml"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Process files or folders (recursively) and print ninjs documents as JSON lines.
    Process(process::ProcessArgs),
    /// List the topics, or check topic and data files for errors (`--check`).
    Topics(TopicsArgs),
    /// Measure topic decisions against a labelled CSV (path,lang,labels,…).
    Eval(eval::EvalArgs),
    /// Run the daemon: watch the inbox and process files as they arrive.
    ///
    /// With no NATS URL (the default) everything runs in this process and outputs
    /// are written to the outbox folder. With `--nats-url` / `WIREFEED_NATS_URL`,
    /// files go through NATS JetStream and `--role` picks the part this process runs.
    Run(run::RunArgs),
    /// Print the commented default configuration (`wirefeed config --default > wirefeed.toml`),
    /// or check a configuration file.
    Config(run::ConfigArgs),
    /// Exit 0 when URL answers HTTP 200 (container health checks without curl).
    Healthcheck {
        /// e.g. http://127.0.0.1:9464/readyz
        url: String,
    },
}

/// Where data files come from.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Extra data folder layered over the built-in data: DIR/topics/*.toml,
    /// DIR/gazetteer/*.toml, DIR/boilerplate/*.toml, DIR/agencies/*.toml,
    /// DIR/figures/*.toml, DIR/dates/*.toml. A file with a built-in file's name replaces it.
    #[arg(long, value_name = "DIR", env = "WIREFEED_DATA")]
    pub data: Option<PathBuf>,
    /// Extra topic folder (*.toml), layered like --data DIR/topics.
    #[arg(long, value_name = "DIR")]
    pub topics: Option<PathBuf>,
}

impl DataArgs {
    /// The data set: built-in plus the user's folders.
    pub fn data_set(&self) -> Result<DataSet> {
        let mut set = DataSet::builtin();
        if let Some(dir) = &self.data {
            set.overlay_dir(dir)
                .with_context(|| format!("reading data folder {}", dir.display()))?;
        }
        if let Some(dir) = &self.topics {
            set.overlay_category("topics", dir)
                .with_context(|| format!("reading topic folder {}", dir.display()))?;
        }
        Ok(set)
    }

    /// Compile the engine, printing every data error with file and line.
    pub fn engine(&self) -> Result<Engine> {
        let set = self.data_set()?;
        Engine::from_data(&set).map_err(|errors| {
            for e in &errors {
                eprintln!("error: {e}");
            }
            anyhow::anyhow!("{} error(s) in data files", errors.len())
        })
    }
}

#[derive(Debug, Args)]
pub struct TopicsArgs {
    /// Only check the data files; exit non-zero on any error.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub data: DataArgs,
}

fn topics(args: &TopicsArgs) -> Result<ExitCode> {
    let set = args.data.data_set()?;
    match Engine::from_data(&set) {
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            eprintln!("{} error(s)", errors.len());
            Ok(ExitCode::from(1))
        }
        Ok(engine) => {
            if args.check {
                let n: usize = [
                    &set.topics,
                    &set.gazetteer,
                    &set.boilerplate,
                    &set.agencies,
                    &set.figures,
                    &set.dates,
                ]
                .iter()
                .map(|v| v.len())
                .sum();
                println!(
                    "ok: {} topic(s), {} data file(s) checked",
                    engine.topics().list().len(),
                    n
                );
            } else {
                for t in engine.topics().list() {
                    let terms: usize = t.groups.iter().map(|g| g.terms.len()).sum();
                    println!(
                        "{}\t{}\tthreshold {}\t{} groups, {} terms\t{}",
                        t.id,
                        t.label,
                        t.threshold,
                        t.groups.len(),
                        terms,
                        t.source
                    );
                    for uri in &t.media_topics {
                        println!("\t{uri}");
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Entry point used by `main.rs`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Process(args) => process::run(args),
        Command::Topics(args) => topics(args),
        Command::Eval(args) => eval::run(args),
        Command::Run(args) => run::run(args),
        Command::Config(args) => run::config(args),
        Command::Healthcheck { url } => run::healthcheck(url),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // not eprintln!: it panics (exit 101) when stderr is a closed pipe
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::from(2)
        }
    }
}
