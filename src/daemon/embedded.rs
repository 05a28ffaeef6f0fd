//! Embedded transport: the stages in one process over bounded queues; outputs are
//! files `<outbox>/<topic>/<article-id>.json` (fsync, then rename). A file is marked
//! processed only after every output of every story in it is written, so a crash at
//! any moment leaves the file in the inbox and the next start redoes it; output names
//! are the article ids, so redoing overwrites identically — nothing lost, nothing twice.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::json;
use tokio::sync::{mpsc, watch, Mutex};
use tokio::task::JoinSet;

use super::config::{Config, InboxConfig};
use super::stage;
use super::watcher::{self, Claims};
use super::{files, inbox, Health, Stage};
use crate::engine::{content_hash, Engine};
use crate::metrics as m;

/// One inbox file in flight; the last story to finish marks the file processed.
struct Ticket {
    path: PathBuf,
    hash: String,
    ready_at: u64,
    remaining: AtomicUsize,
    claims: Claims,
    inbox: InboxConfig,
}

impl Ticket {
    fn story_done(&self) {
        if self.remaining.fetch_sub(1, Ordering::SeqCst) == 1 {
            // moves it to processed/; a failed move is retried there, never redone
            self.claims.finish(&self.inbox, &self.path, &self.hash);
        }
    }
}

struct RawItem {
    ticket: Arc<Ticket>,
    bytes: Vec<u8>,
}

struct CleanItem {
    ticket: Arc<Ticket>,
    article: Vec<u8>,
}

type Shared<T> = Arc<Mutex<mpsc::Receiver<T>>>;

/// Per-message stage metrics: received and in-flight on start, duration on drop.
pub struct StageTimer {
    stage: &'static str,
    start: Instant,
}

impl StageTimer {
    pub fn start(stage: &'static str, redelivered: bool) -> StageTimer {
        metrics::counter!(m::STAGE_RECEIVED, "stage" => stage).increment(1);
        if redelivered {
            metrics::counter!(m::STAGE_REDELIVERED, "stage" => stage).increment(1);
        }
        metrics::gauge!(m::STAGE_IN_FLIGHT, "stage" => stage).increment(1.0);
        StageTimer {
            stage,
            start: Instant::now(),
        }
    }
    pub fn processed(&self) {
        metrics::counter!(m::STAGE_PROCESSED, "stage" => self.stage).increment(1);
    }
    pub fn failed(&self, error_type: &'static str) {
        metrics::counter!(m::STAGE_FAILED, "stage" => self.stage, "error_type" => error_type)
            .increment(1);
    }
}

impl Drop for StageTimer {
    fn drop(&mut self) {
        metrics::gauge!(m::STAGE_IN_FLIGHT, "stage" => self.stage).decrement(1.0);
        metrics::histogram!(m::STAGE_DURATION, "stage" => self.stage)
            .record(self.start.elapsed().as_secs_f64());
    }
}

async fn next<T>(rx: &Shared<T>) -> Option<T> {
    rx.lock().await.recv().await
}

/// The payload a dead letter keeps: the message itself when it is JSON (the stage
/// messages are), else its bytes as text or hex.
pub fn kept_payload(payload: &[u8]) -> serde_json::Value {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(payload) {
        return json!({ "payload": v });
    }
    match std::str::from_utf8(payload) {
        Ok(text) => json!({ "payload_text": text }),
        Err(_) => {
            let hex: String = payload.iter().map(|b| format!("{b:02x}")).collect();
            json!({ "payload_hex": hex })
        }
    }
}

/// Write a dead letter `<outbox>/_dlq/<stage>/<id>.json` durably, retrying transient
/// failures (the outbox full or unwritable): `false` only when shutdown interrupts
/// the retry, and then the input must stay where it is.
#[allow(clippy::too_many_arguments)]
async fn dead_letter(
    config: &Config,
    health: &Health,
    shutdown: &watch::Receiver<bool>,
    stage: &'static str,
    id: &str,
    error_type: &str,
    reason: &str,
    path: &Path,
    kept: serde_json::Value,
) -> bool {
    let mut record = json!({"stage": stage, "id": id, "error_type": error_type, "reason": reason, "path": inbox::shown(path)});
    if let (Some(r), Some(k)) = (record.as_object_mut(), kept.as_object()) {
        for (a, b) in k {
            r.insert(a.clone(), b.clone());
        }
    }
    let file = config
        .embedded
        .outbox_dir
        .join("_dlq")
        .join(stage)
        .join(format!("{id}.json"));
    let text = record.to_string().into_bytes();
    let stored = stage::retry_transient(stage, health, shutdown, |_| {
        let (file, text) = (file.clone(), text.clone());
        async move { write_blocking(file, text, "writing a dead letter").await }
    })
    .await;
    if stored.is_some() {
        metrics::counter!(m::DEAD_LETTERS, "stage" => stage, "reason" => error_type.to_string())
            .increment(1);
    }
    stored.is_some()
}

/// One durable write on the blocking pool; every failure is transient (the input
/// is not at fault when the outbox cannot be written).
async fn write_blocking(
    file: PathBuf,
    bytes: Vec<u8>,
    op: &'static str,
) -> Result<(), stage::Transient> {
    match tokio::task::spawn_blocking(move || files::write_durably(&file, &bytes)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(stage::Transient::from_anyhow(op, &e)),
        Err(e) => Err(stage::Transient {
            error_type: "io",
            op,
            detail: e.to_string(),
        }),
    }
}

/// Read a claimed file and hand it to the clean stage (or reject it if oversize).
async fn intake(ctx: &Ctx, claims: Claims, path: PathBuf, tx: &mpsc::Sender<RawItem>) {
    let config = &ctx.config;
    let Some(bytes) = claims.read(&path).await else {
        return;
    };
    let timer = StageTimer::start("watcher", false);
    let hash = content_hash(&bytes);
    let ticket = Arc::new(Ticket {
        path: path.clone(),
        hash: hash.clone(),
        ready_at: stage::now_millis(),
        remaining: AtomicUsize::new(1),
        claims: claims.clone(),
        inbox: config.inbox.clone(),
    });
    if bytes.len() > config.inbox.max_file_bytes {
        let err = crate::error::EngineError::TooLarge {
            size: bytes.len(),
            limit: config.inbox.max_file_bytes,
        };
        timer.failed(err.kind());
        reject(ctx, &ticket, err.kind(), &err.to_string()).await;
        return;
    }
    timer.processed();
    metrics::counter!(m::FILES_PUBLISHED).increment(1);
    let _ = tx.send(RawItem { ticket, bytes }).await;
}

/// What every worker shares.
struct Ctx {
    config: Arc<Config>,
    health: Arc<Health>,
    shutdown: watch::Receiver<bool>,
}

/// A file that can never be processed: its dead letter (a reference to the file kept
/// in rejected/), then the move there with its `.reason` sidecar.
async fn reject(ctx: &Ctx, ticket: &Ticket, error_type: &'static str, reason: &str) {
    let config = &ctx.config;
    tracing::warn!(path = %inbox::shown(&ticket.path), error_type, reason, "file rejected");
    let kept = json!({"kept_in": inbox::shown(&config.inbox.rejected_dir)});
    if !dead_letter(
        config,
        &ctx.health,
        &ctx.shutdown,
        "clean",
        &ticket.hash,
        error_type,
        reason,
        &ticket.path,
        kept,
    )
    .await
    {
        return; // shutting down: the file stays in the inbox
    }
    metrics::counter!(m::FILES_REJECTED, "reason" => error_type).increment(1);
    ticket.claims.reject(
        &config.inbox,
        &ticket.path,
        &ticket.hash,
        error_type,
        reason,
    );
}

pub async fn run(
    config: Config,
    engine: Arc<Engine>,
    health: Arc<Health>,
    shutdown: watch::Receiver<bool>,
) -> Result<()> {
    let config = Arc::new(config);
    // A crash (kill -9, power loss) can leave the temp file of an interrupted durable
    // write; its output is redone from the inbox, so the temp is only litter.
    for dir in [&config.embedded.outbox_dir, &config.inbox.rejected_dir] {
        let n = files::remove_stale_temps(dir);
        if n > 0 {
            tracing::info!(dir = %dir.display(), removed = n, "removed temp files left by an interrupted write");
        }
    }
    let cap = config.embedded.queue_capacity;
    let claims = Claims::default();
    let (path_tx, mut path_rx) = mpsc::channel::<PathBuf>(cap);
    let (raw_tx, raw_rx) = mpsc::channel::<RawItem>(cap);
    let (clean_tx, clean_rx) = mpsc::channel::<CleanItem>(cap);
    let (tag_tx, tag_rx) = mpsc::channel::<CleanItem>(cap);
    let raw_rx: Shared<RawItem> = Arc::new(Mutex::new(raw_rx));
    let clean_rx: Shared<CleanItem> = Arc::new(Mutex::new(clean_rx));
    let tag_rx: Shared<CleanItem> = Arc::new(Mutex::new(tag_rx));

    let ctx = Arc::new(Ctx {
        config: config.clone(),
        health: health.clone(),
        shutdown: shutdown.clone(),
    });
    let mut tasks = JoinSet::new();
    let watch_cfg = watcher::WatchConfig::from_config(&config);
    let watcher_task = tokio::spawn(watcher::run(
        watch_cfg,
        claims.clone(),
        path_tx,
        shutdown.clone(),
        health.watcher_running.clone(),
    ));

    // intake: bounded concurrency of file reads
    {
        let (ctx, claims) = (ctx.clone(), claims.clone());
        tasks.spawn(async move {
            while let Some(path) = path_rx.recv().await {
                intake(&ctx, claims.clone(), path, &raw_tx).await;
            }
        });
    }
    // clean workers
    for _ in 0..config.stages.clean_concurrency {
        let (rx, tx, engine, ctx) = (
            raw_rx.clone(),
            clean_tx.clone(),
            engine.clone(),
            ctx.clone(),
        );
        tasks.spawn(async move {
            while let Some(item) = next(&rx).await {
                let timer = StageTimer::start(Stage::Clean.as_str(), false);
                let bytes = item.bytes;
                let e = engine.clone();
                match stage::off_executor(move || stage::clean(&e, &bytes)).await {
                    Ok(articles) => {
                        timer.processed();
                        // one pending output per story; the file's own "1" is released below
                        item.ticket
                            .remaining
                            .fetch_add(articles.len(), Ordering::SeqCst);
                        for a in articles {
                            let article = serde_json::to_vec(&a).expect("clean article serialises");
                            if tx
                                .send(CleanItem {
                                    ticket: item.ticket.clone(),
                                    article,
                                })
                                .await
                                .is_err()
                            {
                                return;
                            }
                        }
                        item.ticket.story_done();
                    }
                    Err(err) => {
                        timer.failed(err.kind());
                        reject(&ctx, &item.ticket, err.kind(), &err.to_string()).await;
                    }
                }
            }
        });
    }
    drop(clean_tx);
    // tag workers
    for _ in 0..config.stages.tag_concurrency {
        let (rx, tx, engine, ctx) = (
            clean_rx.clone(),
            tag_tx.clone(),
            engine.clone(),
            ctx.clone(),
        );
        tasks.spawn(async move {
            while let Some(item) = next(&rx).await {
                let timer = StageTimer::start(Stage::Tag.as_str(), false);
                let e = engine.clone();
                let payload = item.article;
                let input = payload.clone();
                match stage::off_executor(move || stage::tag(&e, &payload)).await {
                    Ok(tagged) => {
                        timer.processed();
                        let article =
                            serde_json::to_vec(&tagged).expect("tagged article serialises");
                        if tx
                            .send(CleanItem {
                                ticket: item.ticket,
                                article,
                            })
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                    Err(err) => {
                        timer.failed(err.kind());
                        let t = &item.ticket;
                        if dead_letter(
                            &ctx.config,
                            &ctx.health,
                            &ctx.shutdown,
                            "tag",
                            &t.hash,
                            err.kind(),
                            &err.to_string(),
                            &t.path,
                            kept_payload(&input),
                        )
                        .await
                        {
                            t.story_done();
                        }
                    }
                }
            }
        });
    }
    drop(tag_tx);
    // classify workers write the outputs; a failed write (disk full, folder not
    // writable) is transient: retried in place, the file stays claimed in the inbox
    for _ in 0..config.stages.classify_concurrency {
        let (rx, engine, ctx) = (tag_rx.clone(), engine.clone(), ctx.clone());
        tasks.spawn(async move {
            while let Some(item) = next(&rx).await {
                let timer = StageTimer::start(Stage::Classify.as_str(), false);
                let e = engine.clone();
                let payload = item.article;
                let input = payload.clone();
                let result = stage::off_executor(move || {
                    let (c, doc) = stage::classify(&e, &payload)?;
                    let text = serde_json::to_vec(&doc).expect("ninjs serialises");
                    Ok((c, text))
                })
                .await;
                let t = &item.ticket;
                match result {
                    Ok((c, text)) => {
                        let outbox = &ctx.config.embedded.outbox_dir;
                        let files: Vec<PathBuf> = stage::output_targets(&c)
                            .iter()
                            .map(|target| {
                                outbox
                                    .join(target)
                                    .join(format!("{}.json", c.tagged.article.id))
                            })
                            .collect();
                        let written = stage::retry_transient(
                            Stage::Classify.as_str(),
                            &ctx.health,
                            &ctx.shutdown,
                            |_| {
                                let (files, text) = (files.clone(), text.clone());
                                async move {
                                    for f in files {
                                        write_blocking(f, text.clone(), "writing an output")
                                            .await?;
                                    }
                                    Ok(())
                                }
                            },
                        )
                        .await;
                        if written.is_none() {
                            // shutting down with the outbox failing: the file stays in
                            // the inbox and is redone at the next start
                            continue;
                        }
                        timer.processed();
                        stage::record_published(&c);
                        stage::record_latency(t.ready_at);
                        t.story_done();
                    }
                    Err(err) => {
                        timer.failed(err.kind());
                        if dead_letter(
                            &ctx.config,
                            &ctx.health,
                            &ctx.shutdown,
                            "classify",
                            &t.hash,
                            err.kind(),
                            &err.to_string(),
                            &t.path,
                            kept_payload(&input),
                        )
                        .await
                        {
                            t.story_done();
                        }
                    }
                }
            }
        });
    }
    health
        .stages_running
        .store(true, std::sync::atomic::Ordering::SeqCst);

    // Run until shutdown; then the watcher stops, queues drain and workers end.
    let mut shutdown_wait = shutdown.clone();
    let _ = shutdown_wait.wait_for(|s| *s).await;
    let _ = watcher_task.await;
    let deadline = Duration::from_secs(config.shutdown.drain_timeout_secs);
    let drained = tokio::time::timeout(deadline, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    match drained {
        Ok(()) => tracing::info!("drained; exiting"),
        Err(_) => tracing::warn!(
            pending = claims.len(),
            "drain deadline passed; unfinished files stay in the inbox for the next start"
        ),
    }
    Ok(())
}
