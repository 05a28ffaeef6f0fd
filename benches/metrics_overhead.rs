//! Metrics overhead: the daemon's per-message metric calls around the engine, with a
//! real Prometheus recorder installed versus no recorder (the `metrics` no-op).
//!
//! `cargo bench --bench metrics_overhead` — the two `engine+metrics/*` lines differ
//! only in whether the recorder exists; BENCHMARKS.md records the ratio.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use metrics_exporter_prometheus::PrometheusBuilder;
use wirefeed::daemon::pipeline::StageTimer;
use wirefeed::daemon::stage;
use wirefeed::engine::Engine;

fn inputs() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("seeds folder")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read(p).expect("seed"))
        .collect()
}

/// What one file costs in the daemon's stage code: the three stage functions with
/// the same metric calls the transports make around each message.
fn pipeline(engine: &Engine, files: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for bytes in files {
        let t = StageTimer::start("clean", false);
        let articles = stage::clean(engine, bytes).expect("seed cleans");
        t.processed();
        drop(t);
        for a in articles {
            let t = StageTimer::start("tag", false);
            let tagged = engine.tag(a);
            t.processed();
            drop(t);
            let t = StageTimer::start("classify", false);
            let c = engine.classify(tagged);
            stage::record_published(&c);
            stage::record_latency(stage::now_millis());
            t.processed();
            n += c.decisions.len();
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let engine = Engine::builtin().expect("builtin data");
    let files = inputs();
    let bytes: u64 = files.iter().map(|f| f.len() as u64).sum();
    let mut group = c.benchmark_group("engine+metrics");
    group.throughput(Throughput::Bytes(bytes));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("recorder_off", |b| {
        b.iter(|| black_box(pipeline(&engine, &files)))
    });
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full(wirefeed::metrics::STAGE_DURATION.into()),
            wirefeed::metrics::STAGE_BUCKETS,
        )
        .expect("buckets")
        .build_recorder();
    metrics::with_local_recorder(&recorder, || {
        group.bench_function("recorder_on", |b| {
            b.iter(|| black_box(pipeline(&engine, &files)))
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
