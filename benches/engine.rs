//! Engine throughput: `Engine::process` over the seeds and over a mixed sample of the
//! development corpus, and each stage (clean, tag, classify) on its own.
//!
//! The corpus sample is fixed (every 8th row of `labels.csv` plus every row that is
//! not plain text, so the XML/JSON/HTML formats are all in), so figures are
//! comparable between runs. `engine/corpus_all` runs `Engine::process` over every
//! labelled document of the shared corpus (`labels.csv` and `web/labels.csv`) and
//! reports articles per second: the per-article engine cost of issues 8 and 11.
//! Without `../shared` only the seeds are measured (and a message says so).
//!
//! Run: `cargo bench --bench engine`. Figures are recorded in BENCHMARKS.md.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use wirefeed::engine::Engine;

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read_all(paths: &[PathBuf]) -> Vec<Vec<u8>> {
    paths
        .iter()
        .map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

fn seeds() -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(manifest().join("seeds"))
        .expect("seeds/")
        .map(|e| e.expect("dir entry").path())
        .collect();
    paths.sort();
    read_all(&paths)
}

/// First field of a CSV line, honouring quotes (some corpus paths contain commas).
fn first_field(line: &str) -> (String, &str) {
    if let Some(rest) = line.strip_prefix('"') {
        let end = rest.find("\",").expect("closing quote");
        (rest[..end].replace("\"\"", "\""), &rest[end + 2..])
    } else {
        let (a, b) = line.split_once(',').expect("csv line");
        (a.to_string(), b)
    }
}

/// The fixed corpus sample, or `None` without `../shared`.
fn corpus_sample() -> Option<Vec<Vec<u8>>> {
    let corpus = manifest().join("../shared/corpus");
    let labels = std::fs::read_to_string(corpus.join("labels.csv")).ok()?;
    let mut paths = Vec::new();
    for (i, line) in labels.lines().skip(1).enumerate() {
        let (path, rest) = first_field(line);
        // rest = lang,labels,format,origin
        let format = rest.split(',').nth(2).unwrap_or("text");
        if i % 8 == 0 || format != "text" {
            paths.push(corpus.join(path));
        }
    }
    Some(read_all(&paths))
}

/// Every labelled document of the corpus (`labels.csv`, `web/labels.csv`), or `None`
/// without `../shared`.
fn corpus_all() -> Option<Vec<Vec<u8>>> {
    let corpus = manifest().join("../shared/corpus");
    let mut paths = Vec::new();
    for dir in [corpus.clone(), corpus.join("web")] {
        let labels = std::fs::read_to_string(dir.join("labels.csv")).ok()?;
        for line in labels.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            paths.push(dir.join(first_field(line).0));
        }
    }
    Some(read_all(&paths))
}

/// `Engine::process` over a whole set per iteration, as articles per second.
fn bench_articles(c: &mut Criterion, engine: &Engine, name: &str, inputs: &[Vec<u8>]) {
    let articles: usize = inputs
        .iter()
        .filter_map(|i| engine.process(i).ok())
        .map(|a| a.len())
        .sum();
    let mut g = c.benchmark_group(format!("engine/{name}"));
    // One pass is over a second of CPU: fewer, longer samples.
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(articles as u64));
    g.bench_function("process", |b| {
        b.iter(|| {
            for input in inputs {
                black_box(engine.process(black_box(input)).ok());
            }
        })
    });
    g.finish();
    eprintln!(
        "engine/{name}: {} inputs, {} bytes, {articles} articles (throughput = articles/s)",
        inputs.len(),
        total(inputs),
    );
}

fn total(inputs: &[Vec<u8>]) -> u64 {
    inputs.iter().map(|b| b.len() as u64).sum()
}

fn bench_set(c: &mut Criterion, engine: &Engine, name: &str, inputs: &[Vec<u8>]) {
    let bytes = total(inputs);
    let mut g = c.benchmark_group(format!("engine/{name}"));
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("process", |b| {
        b.iter(|| {
            for input in inputs {
                black_box(engine.process(black_box(input)).ok());
            }
        })
    });
    g.bench_function("clean", |b| {
        b.iter(|| {
            for input in inputs {
                black_box(engine.clean(black_box(input)).ok());
            }
        })
    });
    // Tag and classify take their input by value: the clones are made in the
    // (unmeasured) setup so only the stage itself is timed.
    let cleaned: Vec<_> = inputs
        .iter()
        .filter_map(|i| engine.clean(i).ok())
        .flatten()
        .collect();
    g.bench_function("tag", |b| {
        b.iter_batched(
            || cleaned.clone(),
            |articles| {
                for a in articles {
                    black_box(engine.tag(a));
                }
            },
            BatchSize::LargeInput,
        )
    });
    let tagged: Vec<_> = cleaned.iter().cloned().map(|a| engine.tag(a)).collect();
    g.bench_function("classify", |b| {
        b.iter_batched(
            || tagged.clone(),
            |articles| {
                for t in articles {
                    black_box(engine.classify(t));
                }
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
    eprintln!(
        "engine/{name}: {} inputs, {} bytes, {} articles",
        inputs.len(),
        bytes,
        cleaned.len()
    );
}

fn engine_benches(c: &mut Criterion) {
    let engine = Engine::builtin().expect("built-in data loads");
    bench_set(c, &engine, "seeds", &seeds());
    match corpus_sample() {
        Some(sample) => bench_set(c, &engine, "corpus_sample", &sample),
        None => eprintln!("../shared/corpus not found: measuring the seeds only"),
    }
    match corpus_all() {
        Some(all) => bench_articles(c, &engine, "corpus_all", &all),
        None => eprintln!("../shared/corpus not found: skipping engine/corpus_all"),
    }
}

criterion_group! {
    name = benches;
    // Short runs: the machine has 2 cores shared with builds; these settings keep
    // the whole bench under a few minutes while giving stable medians.
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6));
    targets = engine_benches
}
criterion_main!(benches);
