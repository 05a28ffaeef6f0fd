//! `wirefeed process`: run the engine over files and folders, in parallel, and write
//! ninjs JSON lines (stdout) or one file per article (`--out`).

use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde_json::json;

use super::{DataArgs, VERSION};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::model::ClassifiedArticle;
use crate::ninjs;

#[derive(Debug, Args)]
pub struct ProcessArgs {
    /// Files or folders (folders are walked recursively; hidden files are skipped).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Write one `<article-id>.json` per article into DIR instead of JSON lines on stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print a human-readable summary per article (headline, metadata, entities,
    /// figures, and why each topic did or did not match) instead of JSON.
    #[arg(long)]
    pub explain: bool,
    /// Pretty-print JSON (with --out).
    #[arg(long)]
    pub pretty: bool,
    /// Print only a digest of the output instead of JSON: the sha256 of every article's
    /// compact JSON line, the lines sorted (so input order and worker count cannot move
    /// it), each ending in a newline; then the article count. Equal digests mean the
    /// engine said exactly the same thing (see BENCHMARKS.md, "Output digest").
    #[arg(long, conflicts_with_all = ["out", "explain"])]
    pub digest: bool,
    /// Append one JSON error record per failed input to FILE
    /// (default: DIR/errors.jsonl with --out, otherwise stderr).
    #[arg(long, value_name = "FILE")]
    pub errors: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Reject inputs larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = crate::engine::DEFAULT_MAX_INPUT_BYTES)]
    pub max_bytes: usize,
    /// Recognise republished copies and cluster reports of the same event across the
    /// batch (in input order); each document's extension object carries
    /// `duplicate_of` and `cluster`, and the stories table is printed on stderr.
    #[arg(long)]
    pub cluster: bool,
    /// With --cluster: write each story as DIR/<topic>/<cluster-id>.json (the layout of
    /// the daemon's outbox/stories/).
    #[arg(long, value_name = "DIR", requires = "cluster")]
    pub stories_out: Option<PathBuf>,
    /// With --cluster: story settings replacing the shipped data/stories.toml.
    #[arg(long, value_name = "FILE", requires = "cluster")]
    pub stories_config: Option<PathBuf>,
    /// With --cluster: keep the story window in this append-only log (fsynced per
    /// article, replayed at start, compacted to the window), so successive runs (or a
    /// run after a kill) continue the same stories.
    #[arg(long, value_name = "FILE", requires = "cluster")]
    pub stories_state: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataArgs,
}

/// Files under the given paths, sorted, hidden names skipped.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
        let mut entries: Vec<_> = fs::read_dir(dir)?.filter_map(|e| e.ok()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            if e.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let p = e.path();
            if p.is_dir() {
                walk(&p, out)?;
            } else if p.is_file() {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out).with_context(|| format!("reading folder {}", p.display()))?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Why one input failed: unreadable, or rejected by the engine.
#[derive(Debug)]
pub enum InputError {
    Read(io::Error),
    Engine(EngineError),
}

impl InputError {
    pub fn kind(&self) -> &'static str {
        match self {
            InputError::Read(_) => "read",
            InputError::Engine(e) => e.kind(),
        }
    }
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputError::Read(e) => write!(f, "cannot read: {e}"),
            InputError::Engine(e) => write!(f, "{e}"),
        }
    }
}

fn process_one(engine: &Engine, path: &Path) -> Result<Vec<ClassifiedArticle>, InputError> {
    let bytes = fs::read(path).map_err(InputError::Read)?;
    engine.process(&bytes).map_err(InputError::Engine)
}

/// Inputs are processed in chunks so output stays in input order and memory stays
/// bounded by the chunk, whatever the number of files.
const CHUNK: usize = 256;

pub fn run(args: &ProcessArgs) -> Result<ExitCode> {
    // The pool first: building the engine already uses it (its data compiles in
    // parallel), and the global pool is fixed by its first use.
    if let Some(n) = args.jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .ok();
    }
    let engine = args.data.engine()?.with_max_input_bytes(args.max_bytes);
    let files = collect_files(&args.paths)?;
    if let Some(dir) = &args.out {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut stories = match args.cluster {
        true => Some(super::stories::Batch::new(
            args.stories_config.as_deref(),
            args.stories_state.as_deref(),
        )?),
        false => None,
    };
    let mut error_sink: Box<dyn Write> = match (&args.errors, &args.out) {
        (Some(f), _) => Box::new(open_append(f)?),
        (None, Some(dir)) => Box::new(open_append(&dir.join("errors.jsonl"))?),
        (None, None) => Box::new(io::stderr()),
    };
    let progress = if io::stderr().is_terminal() && !files.is_empty() {
        let pb = ProgressBar::new(files.len() as u64);
        pb.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} files  {per_sec}  eta {eta}  {msg}")
                .expect("static template"),
        );
        pb
    } else {
        ProgressBar::hidden()
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let (mut ok_files, mut failed, mut articles) = (0usize, 0usize, 0usize);
    let mut digest_lines: Vec<String> = Vec::new();
    for chunk in files.chunks(CHUNK) {
        let results: Vec<_> = chunk
            .par_iter()
            .map(|p| {
                let r = process_one(&engine, p);
                progress.inc(1);
                r
            })
            .collect();
        for (path, result) in chunk.iter().zip(results) {
            match result {
                Ok(list) => {
                    ok_files += 1;
                    articles += list.len();
                    for c in &list {
                        let tag = stories.as_mut().map(|b| b.observe(c, path)).transpose()?;
                        if args.digest {
                            let mut doc = ninjs::to_ninjs(c, VERSION);
                            if let Some(tag) = &tag {
                                crate::engine::stories::annotate(&mut doc, tag);
                            }
                            digest_lines.push(serde_json::to_string(&doc)?);
                        } else {
                            write_article(args, &mut out, path, c, tag.as_ref())?;
                        }
                    }
                }
                Err(e) => {
                    failed += 1;
                    progress.suspend(|| eprintln!("error: {}: {e} [{}]", path.display(), e.kind()));
                    let record = json!({
                        "path": path.display().to_string(),
                        "error_type": e.kind(),
                        "reason": e.to_string(),
                    });
                    writeln!(error_sink, "{record}")?;
                }
            }
        }
        progress.set_message(format!("{articles} articles, {failed} failed"));
    }
    if args.digest {
        writeln!(
            out,
            "{}  {} articles",
            output_digest(digest_lines),
            articles
        )?;
    }
    out.flush()?;
    progress.finish_and_clear();
    eprintln!("{ok_files} file(s) processed, {articles} article(s), {failed} failed");
    if let Some(b) = &stories {
        let mut err = io::stderr().lock();
        b.write_table(&mut err)?;
        if let Some(dir) = &args.stories_out {
            b.write_stories(dir)?;
        }
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// sha256 (hex) over the sorted JSON lines, each followed by `\n`.
pub fn output_digest(mut lines: Vec<String>) -> String {
    use sha2::{Digest, Sha256};
    lines.sort_unstable();
    let mut h = Sha256::new();
    for l in &lines {
        h.update(l.as_bytes());
        h.update(b"\n");
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn open_append(path: &Path) -> Result<fs::File> {
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))
}

fn write_article(
    args: &ProcessArgs,
    out: &mut impl Write,
    path: &Path,
    c: &ClassifiedArticle,
    tag: Option<&crate::engine::stories::StoryTag>,
) -> Result<()> {
    let mut doc = ninjs::to_ninjs(c, VERSION);
    if let Some(tag) = tag {
        crate::engine::stories::annotate(&mut doc, tag);
    }
    if let Some(dir) = &args.out {
        let file = dir.join(format!("{}.json", c.tagged.article.id));
        let text = if args.pretty {
            serde_json::to_string_pretty(&doc)?
        } else {
            serde_json::to_string(&doc)?
        };
        fs::write(&file, text).with_context(|| format!("writing {}", file.display()))?;
    }
    if args.explain {
        write!(out, "{}", explain(path, c))?;
        if let Some(tag) = tag {
            write!(out, "{}", super::stories::explain_tag(tag))?;
        }
    } else if args.out.is_none() {
        serde_json::to_writer(&mut *out, &doc)?;
        writeln!(out)?;
    }
    Ok(())
}

fn clip(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

/// Human-readable summary of one article.
pub fn explain(path: &Path, c: &ClassifiedArticle) -> String {
    use std::fmt::Write as _;
    let t = &c.tagged;
    let a = &t.article;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "== {} [story {}/{}] {}",
        path.display(),
        a.index + 1,
        a.story_count,
        a.id
    );
    let _ = writeln!(
        s,
        "   format {} · encoding {} · language {} ({:.2}){}",
        a.format.as_str(),
        a.encoding,
        t.language.code,
        t.language.confidence,
        if a.truncated {
            " · TRUNCATED (teaser)"
        } else {
            ""
        }
    );
    let _ = writeln!(s, "   headline:  {}", a.headline.as_deref().unwrap_or("—"));
    let field = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let credits: Vec<String> = a
        .credits
        .iter()
        .map(|c| format!("{} («{}»)", c.name, c.literal))
        .collect();
    let _ = writeln!(
        s,
        "   dateline:  {} · published: {} · publisher: {} · credits: {}",
        field(&a.dateline),
        field(&a.published),
        field(&a.publisher),
        if credits.is_empty() {
            "—".into()
        } else {
            credits.join(", ")
        }
    );
    let words = a
        .paragraphs
        .iter()
        .map(|p| p.split_whitespace().count())
        .sum::<usize>();
    let _ = writeln!(
        s,
        "   body:      {} paragraph(s), {} words; {} boilerplate line(s) removed",
        a.paragraphs.len(),
        words,
        a.removed.len()
    );
    for r in &a.removed {
        let _ = writeln!(s, "     - removed [{}] {}", r.rule, clip(&r.text, 70));
    }
    if !t.entities.is_empty() {
        let list: Vec<String> = t
            .entities
            .iter()
            .map(|e| {
                format!(
                    "{} ({:?}, {}+{})",
                    e.name, e.kind, e.headline_count, e.body_count
                )
                .to_lowercase()
            })
            .collect();
        let _ = writeln!(s, "   entities:  {}", list.join(", "));
    }
    for f in &t.figures {
        let who = f
            .who
            .map(|w| format!(" {w:?}").to_lowercase())
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "   figure:    {:?}{} = {} — «{}»",
            f.category,
            who,
            f.quantity.text,
            clip(&f.sentence, 80)
        );
    }
    for d in &c.decisions {
        let _ = writeln!(
            s,
            "   topic {} {}: {} (score {}, threshold {}, relevance {}, confidence {})",
            if d.matched { "✓" } else { "✗" },
            d.topic,
            d.reason,
            d.score,
            d.threshold,
            d.relevance,
            d.confidence
        );
        for h in &d.hits {
            let _ = writeln!(
                s,
                "       {:<10} {:<28} headline {} body {} → {:+}",
                h.group, h.term, h.headline_count, h.body_count, h.contribution
            );
        }
    }
    s
}
