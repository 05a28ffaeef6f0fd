//! One pipeline behind a transport seam.
//!
//! ```text
//!            ┌──────────── pipeline (this file) ────────────┐
//! inbox ─▶ intake ─▶ worker(clean) ─▶ worker(tag) ─▶ worker(classify)
//!            │            │ permits, timer, redelivery limit,
//!            │            │ permanent → DeadLetter + term
//!            │            │ transient → retry in place (in_progress), never counted
//!            └────────────┴──── Transport / Delivery (the seam) ────┘
//!                 embedded.rs (queues + outbox files) · jetstream.rs (durable
//!                 consumers) · memory.rs (in-process, for tests with paused time)
//! ```
//!
//! A [`Transport`] stores what a stage produced ([`Transport::forward`]: the next
//! stage's messages, or the final documents) and dead letters; a [`Delivery`] is one
//! input of a stage with its counted attempt, and is settled exactly once: `ack`
//! after its outputs are durable, `term` after its dead letter is, or `retry_after`
//! when shutdown interrupts a transient retry (it is then redone, never dropped).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::json;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tracing::Instrument;

use std::path::PathBuf;

use tokio::sync::mpsc;

use super::config::{Config, InboxConfig};
use super::stage::{self, Failure, StageError, Transient};
use super::stories::{Brief, Stories};
use super::watcher::{self, Claims};
use super::{inbox, Health, Stage};
use crate::engine::stories::{annotate, Alert, Observation, Story, StorySettings};
use crate::engine::Engine;
use crate::metrics as m;

/// One message a stage produced: for the next stage, or (classify) a final document.
#[derive(Debug, Clone, Default)]
pub struct Emit {
    /// The article id (message ids and output names derive from it).
    pub id: String,
    pub payload: Bytes,
    pub source_id: String,
    pub language: String,
    /// Final documents only: the output targets (topic ids or `unclassified`).
    pub targets: Vec<String>,
    /// Final documents only: the matched topics, comma-separated.
    pub topics: String,
    /// Final documents only: the current row of every story the article is in
    /// (stored with the document, in the same forward, before the ack).
    pub stories: Vec<Story>,
    /// Final documents only: the breaking alerts the article raised (stored once).
    pub alerts: Vec<Alert>,
}

/// A raw file handed to the pipeline by the intake.
#[derive(Debug, Clone)]
pub struct RawInput {
    /// BLAKE3 of the bytes.
    pub hash: String,
    pub bytes: Bytes,
    /// The file name, escaped (never raw bytes in a header or a log line).
    pub name: String,
    pub ready_at: u64,
    /// The claimed inbox file, when the input is one.
    pub file: Option<FileRef>,
}

/// A claimed inbox file: moved to processed/ once done, rejected/ when it never can be.
#[derive(Debug, Clone)]
pub struct FileRef {
    pub path: PathBuf,
    pub claims: Claims,
    pub inbox: InboxConfig,
}

/// What a dead letter keeps of its input.
#[derive(Debug, Clone)]
pub enum Kept {
    /// The input message itself.
    Payload(Bytes),
    /// The input is a file kept in this folder (rejected/).
    File(String),
}

/// The one dead-letter record every transport stores.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub stage: &'static str,
    /// The article id, or the file's hash for a rejected file.
    pub id: String,
    pub error_type: &'static str,
    pub reason: String,
    /// The escaped file name, when known.
    pub path: Option<String>,
    pub kept: Kept,
}

impl DeadLetter {
    /// The record as JSON: `stage`, `id`, `error_type`, `reason`, `path`, and the kept
    /// input as `payload` (JSON messages), `payload_text`, `payload_hex` or `kept_in`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = json!({"stage": self.stage, "id": self.id, "error_type": self.error_type, "reason": self.reason});
        let o = v.as_object_mut().expect("object");
        if let Some(p) = &self.path {
            o.insert("path".into(), json!(p));
        }
        match &self.kept {
            Kept::File(dir) => {
                o.insert("kept_in".into(), json!(dir));
            }
            Kept::Payload(bytes) => {
                if let Ok(j) = serde_json::from_slice::<serde_json::Value>(bytes) {
                    o.insert("payload".into(), j);
                } else if let Ok(t) = std::str::from_utf8(bytes) {
                    o.insert("payload_text".into(), json!(t));
                } else {
                    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                    o.insert("payload_hex".into(), json!(hex));
                }
            }
        }
        v
    }

    /// The payload a dead letter of this record kept, decoded back to bytes.
    pub fn kept_bytes(record: &serde_json::Value) -> Option<Vec<u8>> {
        if let Some(p) = record.get("payload") {
            return serde_json::to_vec(p).ok();
        }
        if let Some(t) = record.get("payload_text").and_then(|t| t.as_str()) {
            return Some(t.as_bytes().to_vec());
        }
        let hex = record.get("payload_hex")?.as_str()?;
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect()
    }
}

/// One input of a stage, settled exactly once.
pub trait Delivery: Send + Sync + 'static {
    fn payload(&self) -> &[u8];
    /// 1 for the first attempt; deliveries that ended in a transient failure do not count.
    fn attempt(&self) -> i64;
    /// The article id (or file hash) for logs and dead letters.
    fn id(&self) -> String;
    /// When the file was ready (ms since the epoch; 0 unknown), for the latency metric.
    fn ready_at(&self) -> u64;
    /// The escaped file name, when known.
    fn path(&self) -> Option<String>;
    /// Still working (a transient retry): keep the claim.
    fn in_progress(&self) -> impl Future<Output = ()> + Send;
    /// The outputs are durable: the input is done.
    fn ack(self) -> impl Future<Output = ()> + Send;
    /// Give it back to be redone after `delay` (not counted as an attempt).
    fn retry_after(self, delay: Duration) -> impl Future<Output = ()> + Send;
    /// Its dead letter is durable: the input is finished, never to be redone.
    fn term(self, record: &DeadLetter) -> impl Future<Output = ()> + Send;
}

/// Where stage inputs come from and where outputs and dead letters go.
pub trait Transport: Send + Sync + 'static {
    type Delivery: Delivery;
    /// Run the clean function at intake and reject a file that fails it there, where
    /// the file is (a broker transport: nothing unprocessable enters the stream).
    const PRECHECK_AT_INTAKE: bool;
    /// The inbox file is done once submitted (a durable broker holds it); otherwise
    /// the transport finishes it when its last output is written.
    const FINISH_ON_SUBMIT: bool;
    /// Up to `max` (≥ 1) inputs of `stage`, waiting for at least one; empty when the
    /// stage's input has ended (shutdown, or the upstream stage finished).
    fn next_batch(
        &self,
        stage: Stage,
        max: usize,
    ) -> impl Future<Output = Vec<Self::Delivery>> + Send;
    /// Hand a raw file to the clean stage, durably.
    fn submit(&self, raw: &RawInput) -> impl Future<Output = Result<(), Transient>> + Send;
    /// Whether the intake stores the clean stage's outputs itself, in place of the raw
    /// file ([`Transport::submit_cleaned`]): a transport that pre-checks at intake, in
    /// a process that also runs the clean stage. The pre-check *is* the clean stage
    /// then, so each file is cleaned once (not once to check it, once to clean it).
    fn cleans_at_intake(&self) -> bool {
        false
    }
    /// Store the clean stage's outputs for `raw` durably, as the clean stage's
    /// [`Transport::forward`] would (same ids, so a redone file is stored once).
    fn submit_cleaned(
        &self,
        raw: &RawInput,
        _out: &[Emit],
    ) -> impl Future<Output = Result<(), Failure>> + Send {
        async move { self.submit(raw).await.map_err(Failure::Transient) }
    }
    /// Store what `stage` produced from `input` durably (idempotent: a retry or a
    /// redelivery stores the same outputs under the same ids).
    fn forward(
        &self,
        stage: Stage,
        input: &Self::Delivery,
        out: &[Emit],
    ) -> impl Future<Output = Result<(), Failure>> + Send;
    /// Store a dead letter durably.
    fn dead_letter(
        &self,
        record: &DeadLetter,
    ) -> impl Future<Output = Result<(), Transient>> + Send;
    /// Every worker of `stage` has ended (its downstream input may now end).
    fn stage_finished(&self, _stage: Stage) {}
    /// The intake has ended (the clean stage's input may now end).
    fn intake_finished(&self) {}
}

/// Per-message stage metrics: received and in-flight on start, duration on drop.
pub struct StageTimer {
    stage: &'static str,
    start: Instant,
}

impl StageTimer {
    pub fn start(stage: &'static str, redelivered: bool) -> StageTimer {
        StageTimer::since(stage, redelivered, Instant::now())
    }
    /// A message received now whose work began at `start` (its duration counts from then).
    pub fn since(stage: &'static str, redelivered: bool, start: Instant) -> StageTimer {
        metrics::counter!(m::STAGE_RECEIVED, "stage" => stage).increment(1);
        if redelivered {
            metrics::counter!(m::STAGE_REDELIVERED, "stage" => stage).increment(1);
        }
        metrics::gauge!(m::STAGE_IN_FLIGHT, "stage" => stage).increment(1.0);
        StageTimer { stage, start }
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

/// What the stage workers share.
pub struct Pipeline<T: Transport> {
    pub transport: Arc<T>,
    /// The running engine; fetched once per message (a reload swaps it).
    pub engine: Arc<super::reload::Engines>,
    pub health: Arc<Health>,
    pub shutdown: watch::Receiver<bool>,
    /// Attempts before a message is dead-lettered as `redelivery_limit`.
    pub max_deliver: i64,
    /// Where the classify stage observes each article's story (or `Off`).
    pub stories: Arc<Stories>,
    /// The `/brief` table, fed with every story row once it is stored.
    pub brief: Arc<Brief>,
}

impl<T: Transport> Clone for Pipeline<T> {
    fn clone(&self) -> Self {
        Pipeline {
            transport: self.transport.clone(),
            engine: self.engine.clone(),
            health: self.health.clone(),
            shutdown: self.shutdown.clone(),
            max_deliver: self.max_deliver,
            stories: self.stories.clone(),
            brief: self.brief.clone(),
        }
    }
}

/// What a stage function produced.
enum Produced {
    Forward(Vec<Emit>),
    /// The classify stage's document (serialised once its story tag is added).
    Final(Box<Final>),
}

struct Final {
    emit: Emit,
    doc: serde_json::Value,
    classified: crate::model::ClassifiedArticle,
    /// The article's story observation, when stories are on.
    observation: Option<Observation>,
}

/// Run one stage function (pure, on the stage workers); `stories`: the settings to
/// make the classify stage's story observation with (its sketch is CPU work too).
fn run_stage(
    engine: &Engine,
    stage: Stage,
    payload: &[u8],
    stories: Option<&StorySettings>,
) -> Result<Produced, StageError> {
    match stage {
        Stage::Clean => Ok(Produced::Forward(clean_emits(&stage::clean(
            engine, payload,
        )?))),
        Stage::Tag => {
            let t = stage::tag(engine, payload)?;
            Ok(Produced::Forward(vec![Emit {
                id: t.article.id.clone(),
                payload: Bytes::from(stage::encode_tagged(&t)),
                source_id: t.article.source_id.clone(),
                language: t.language.code.clone(),
                ..Emit::default()
            }]))
        }
        Stage::Classify => {
            let (c, doc) = stage::classify(engine, payload)?;
            let emit = Emit {
                id: c.tagged.article.id.clone(),
                source_id: c.tagged.article.source_id.clone(),
                language: c.tagged.language.code.clone(),
                targets: stage::output_targets(&c),
                topics: c.topics().join(","),
                ..Emit::default()
            };
            // arrival: the daemon's clock (the shell's, passed in; the engine has none)
            let observation =
                stories.map(|st| Observation::of(st, &c, Some(super::stories::now_secs())));
            Ok(Produced::Final(Box::new(Final {
                emit,
                doc,
                classified: c,
                observation,
            })))
        }
    }
}

/// The clean stage's messages for the tag stage, one per story.
fn clean_emits(articles: &[crate::model::CleanArticle]) -> Vec<Emit> {
    articles
        .iter()
        .map(|a| Emit {
            id: a.id.clone(),
            payload: Bytes::from(stage::encode_clean(a)),
            source_id: a.source_id.clone(),
            ..Emit::default()
        })
        .collect()
}

impl<T: Transport> Pipeline<T> {
    /// Store a dead letter, retrying transient failures; `false`: shutdown interrupted.
    pub async fn store_dead_letter(&self, d: Option<&T::Delivery>, record: &DeadLetter) -> bool {
        let stored =
            stage::retry_transient(record.stage, &self.health, &self.shutdown, |n| async move {
                if n > 0 {
                    if let Some(d) = d {
                        d.in_progress().await;
                    }
                }
                self.transport.dead_letter(record).await
            })
            .await;
        if stored.is_some() {
            super::events::DeadLettered { record }.emit();
        }
        stored.is_some()
    }

    /// The classify stage's document made final: its story observed (durably, retried
    /// while the state cannot be recorded), the story tag added to it, the story rows
    /// and alerts attached. `None`: shutdown interrupted a transient retry.
    async fn finish_document(
        &self,
        d: &T::Delivery,
        f: Final,
    ) -> Option<(Emit, crate::model::ClassifiedArticle)> {
        let Final {
            mut emit,
            mut doc,
            classified,
            observation,
        } = f;
        if let Some(ob) = observation {
            let update = stage::retry_transient("classify", &self.health, &self.shutdown, |n| {
                let ob = ob.clone();
                async move {
                    if n > 0 {
                        d.in_progress().await;
                    }
                    self.stories.observe(ob).await
                }
            })
            .await?;
            annotate(&mut doc, &update.tag);
            emit.stories = update.stories;
            emit.alerts = update.alerts;
        }
        emit.payload = Bytes::from(serde_json::to_vec(&doc).expect("ninjs serialises"));
        Some((emit, classified))
    }

    async fn dead_letter_and_term(&self, d: T::Delivery, record: DeadLetter) {
        if self.store_dead_letter(Some(&d), &record).await {
            d.term(&record).await;
        } else {
            d.retry_after(Duration::from_secs(1)).await;
        }
    }

    /// Handle one delivery end to end.
    pub async fn handle(&self, stage: Stage, d: T::Delivery) {
        let name = stage.as_str();
        let attempt = d.attempt();
        let timer = StageTimer::start(name, attempt > 1);
        let permanent = |error_type: &'static str, reason: String| DeadLetter {
            stage: name,
            id: d.id(),
            error_type,
            reason,
            path: d.path(),
            kept: Kept::Payload(Bytes::copy_from_slice(d.payload())),
        };
        // Bounded redelivery: past the limit the message is dead-lettered unprocessed,
        // so even input that kills the process cannot loop forever.
        let result = if attempt > self.max_deliver {
            Err(StageError::Decode {
                stage: "redelivery_limit",
                detail: String::new(),
            })
        } else {
            let (e, payload) = (self.engine.current(), Bytes::copy_from_slice(d.payload()));
            let settings = self.stories.settings().cloned();
            stage::off_executor(move || run_stage(&e, stage, &payload, settings.as_deref())).await
        };
        let (outs, classified) = match result {
            Ok(Produced::Forward(o)) => (o, None),
            Ok(Produced::Final(f)) => match self.finish_document(&d, *f).await {
                Some((emit, c)) => (vec![emit], Some(c)),
                None => {
                    // shutting down while the story state cannot be recorded: redone later
                    timer.failed("publish");
                    d.retry_after(Duration::from_secs(1)).await;
                    return;
                }
            },
            Err(err) => {
                let (kind, reason) = if attempt > self.max_deliver {
                    let r = format!(
                        "delivered {attempt} times without success (limit {})",
                        self.max_deliver
                    );
                    ("redelivery_limit", r)
                } else {
                    (err.kind(), err.to_string())
                };
                timer.failed(kind);
                let record = permanent(kind, reason);
                self.dead_letter_and_term(d, record).await;
                return;
            }
        };
        let stored = stage::retry_transient(name, &self.health, &self.shutdown, |n| {
            let (d, outs) = (&d, &outs);
            async move {
                if n > 0 {
                    d.in_progress().await;
                }
                match self.transport.forward(stage, d, outs).await {
                    Ok(()) => Ok(Ok(())),
                    Err(Failure::Permanent(e)) => Ok(Err(e)),
                    Err(Failure::Transient(t)) => Err(t),
                }
            }
        })
        .await;
        match stored {
            None => {
                // shutting down while storing fails: redone later, not counted
                timer.failed("publish");
                d.retry_after(Duration::from_secs(1)).await;
                return;
            }
            Some(Err(err)) => {
                timer.failed(err.kind());
                let record = permanent(err.kind(), err.to_string());
                self.dead_letter_and_term(d, record).await;
                return;
            }
            Some(Ok(())) => {}
        }
        let now = super::stories::now_secs();
        for e in &outs {
            for s in &e.stories {
                self.brief.record(s, now);
            }
        }
        let ready_at = d.ready_at();
        d.ack().await;
        timer.processed();
        if let Some(c) = classified {
            stage::record_published(&c);
            stage::record_latency(ready_at);
        }
    }

    /// One stage's worker loop: at most `concurrency` inputs at once, each pulled only
    /// when a worker is free (a prefetched input that a crash loses would count as a
    /// delivery). Ends when the stage's input ends; returns after its tasks finish.
    pub async fn run_stage(self, stage: Stage, concurrency: usize) {
        let permits = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut tasks = JoinSet::new();
        loop {
            let Ok(first) = permits.clone().acquire_owned().await else {
                break;
            };
            let mut held = vec![first];
            while let Ok(p) = permits.clone().try_acquire_owned() {
                held.push(p);
            }
            let batch = self.transport.next_batch(stage, held.len()).await;
            if batch.is_empty() {
                break;
            }
            for d in batch {
                let Some(permit) = held.pop() else { break };
                let p = self.clone();
                let span =
                    super::events::article_span(stage.as_str(), &d.id(), d.path().as_deref());
                tasks.spawn(
                    async move {
                        p.handle(stage, d).await;
                        drop(permit);
                    }
                    .instrument(span),
                );
            }
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
        self.transport.stage_finished(stage);
    }

    /// The intake of one file read from the inbox: the size limit, the pre-check
    /// (when the transport asks for it), then the submit — of the clean stage's
    /// outputs when the transport [cleans at intake](Transport::cleans_at_intake),
    /// else of the raw file. `Ok(None)`: submitted; `Ok(Some(record))`: rejected, its
    /// dead letter (naming `kept_in`) stored — the caller moves the file to rejected/;
    /// `Err(())`: shutdown interrupted a transient retry (leave the file where it is).
    pub async fn intake(
        &self,
        raw: &RawInput,
        limit: usize,
        kept_in: &str,
    ) -> Result<Option<DeadLetter>, ()> {
        let timer = StageTimer::start("watcher", false);
        let began = Instant::now();
        let verdict = if raw.bytes.len() > limit {
            Err(StageError::Engine(crate::error::EngineError::TooLarge {
                size: raw.bytes.len(),
                limit,
            }))
        } else if T::PRECHECK_AT_INTAKE {
            let (e, b) = (self.engine.current(), raw.bytes.clone());
            let keep = self.transport.cleans_at_intake();
            stage::off_executor_intake(move || {
                let articles = stage::clean(&e, &b)?;
                Ok(keep.then(|| clean_emits(&articles)))
            })
            .await
        } else {
            Ok(None)
        };
        let reject = |err: &StageError| DeadLetter {
            stage: "clean",
            id: raw.hash.clone(),
            error_type: err.kind(),
            reason: err.to_string(),
            path: Some(raw.name.clone()),
            kept: Kept::File(kept_in.to_string()),
        };
        let cleaned = match verdict {
            Ok(cleaned) => cleaned,
            Err(err) => {
                timer.failed(err.kind());
                let record = reject(&err);
                if !self.store_dead_letter(None, &record).await {
                    return Err(());
                }
                return Ok(Some(record));
            }
        };
        let stored = match &cleaned {
            None => stage::retry_transient("watcher", &self.health, &self.shutdown, |_| async {
                self.transport.submit(raw).await.map(|()| Ok(()))
            })
            .await
            .map(|r| (r, None)),
            Some(outs) => {
                // the clean stage's work, done here: counted as the clean stage's
                let clean = StageTimer::since("clean", false, began);
                stage::retry_transient("watcher", &self.health, &self.shutdown, |_| async {
                    match self.transport.submit_cleaned(raw, outs).await {
                        Ok(()) => Ok(Ok(())),
                        Err(Failure::Permanent(e)) => Ok(Err(e)),
                        Err(Failure::Transient(t)) => Err(t),
                    }
                })
                .await
                .map(|r| (r, Some(clean)))
            }
        };
        match stored {
            Some((Ok(()), clean)) => {
                if let Some(clean) = clean {
                    clean.processed();
                }
                timer.processed();
                metrics::counter!(m::FILES_PUBLISHED).increment(1);
                Ok(None)
            }
            Some((Err(err), clean)) => {
                // e.g. a clean message larger than the broker accepts: the same file
                // makes the same message, so the file is rejected
                if let Some(clean) = clean {
                    clean.failed(err.kind());
                }
                timer.failed(err.kind());
                let record = reject(&err);
                if !self.store_dead_letter(None, &record).await {
                    return Err(());
                }
                Ok(Some(record))
            }
            None => Err(()),
        }
    }

    /// Read one claimed file and take it through [`Pipeline::intake`]; then finish,
    /// reject or release the claim.
    async fn intake_file(&self, cfg: &Config, claims: &Claims, path: PathBuf) {
        let Some(bytes) = claims.read(&path).await else {
            return;
        };
        let hash = crate::engine::content_hash(&bytes);
        let file = FileRef {
            path: path.clone(),
            claims: claims.clone(),
            inbox: cfg.inbox.clone(),
        };
        let raw = RawInput {
            hash: hash.clone(),
            bytes: Bytes::from(bytes),
            name: inbox::shown_name(&path),
            ready_at: stage::now_millis(),
            file: Some(file),
        };
        let kept_in = inbox::shown(&cfg.inbox.rejected_dir);
        let span = super::events::article_span("watcher", &hash, Some(&raw.name));
        async {
            match self.intake(&raw, cfg.inbox.max_file_bytes, &kept_in).await {
                Ok(None) => {
                    if T::FINISH_ON_SUBMIT {
                        // a failed move is retried by the claims, never resubmitted
                        claims.finish_off_executor(&cfg.inbox, &path, &hash).await;
                    }
                }
                Ok(Some(record)) => reject_file(claims, &cfg.inbox, &path, &hash, &record),
                Err(()) => claims.release(&path),
            }
        }
        .instrument(span)
        .await
    }

    /// The watcher and the intake: every complete inbox file, `window` at a time.
    /// Ends when the watcher ends (shutdown) and the last file is submitted.
    pub async fn run_intake(self, cfg: Arc<Config>, window: usize) {
        files_cleanup(&cfg);
        let claims = Claims::default();
        let (tx, mut rx) = mpsc::channel::<PathBuf>(window.max(1));
        let watcher = tokio::spawn({
            let (cfg, claims, shutdown, running) = (
                watcher::WatchConfig::from_config(&cfg),
                claims.clone(),
                self.shutdown.clone(),
                self.health.watcher_running.clone(),
            );
            async move {
                if let Err(e) = watcher::run(cfg, claims, tx, shutdown, running).await {
                    tracing::error!(error = %e, "watcher failed");
                }
            }
        });
        let permits = Arc::new(Semaphore::new(window.max(1)));
        let mut inflight = JoinSet::new();
        while let Some(path) = rx.recv().await {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let (p, cfg, claims) = (self.clone(), cfg.clone(), claims.clone());
            inflight.spawn(async move {
                p.intake_file(&cfg, &claims, path).await;
                drop(permit);
            });
            while inflight.try_join_next().is_some() {}
        }
        while inflight.join_next().await.is_some() {}
        let _ = watcher.await;
        self.transport.intake_finished();
    }

    /// Run the daemon's part of the pipeline until shutdown, then drain within the
    /// configured deadline: the stages this role runs, and the intake if it runs one.
    pub async fn run(self, cfg: Arc<Config>, intake_window: usize) {
        let mut tasks = JoinSet::new();
        for stage in Stage::ALL {
            if cfg.role.runs(stage) {
                let concurrency = match stage {
                    Stage::Clean => cfg.stages.clean_concurrency,
                    Stage::Tag => cfg.stages.tag_concurrency,
                    Stage::Classify => cfg.stages.classify_concurrency,
                };
                tasks.spawn(self.clone().run_stage(stage, concurrency));
            } else {
                self.transport.stage_finished(stage);
            }
        }
        self.health
            .stages_running
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if cfg.role.runs_watcher() {
            tasks.spawn(self.clone().run_intake(cfg.clone(), intake_window));
        } else {
            self.transport.intake_finished();
        }
        let mut wait = self.shutdown.clone();
        let _ = wait.wait_for(|s| *s).await;
        tracing::info!("draining in-flight work");
        // The whole exit fits in the drain limit: what follows the drain (the final
        // broker flush, the runtime's shutdown) has `EXIT_RESERVE` of it.
        let deadline = Duration::from_secs(cfg.shutdown.drain_timeout_secs)
            .saturating_sub(EXIT_RESERVE)
            .max(Duration::from_millis(100));
        let drained = tokio::time::timeout(deadline, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        match drained {
            Ok(()) => tracing::info!("drained; exiting"),
            Err(_) => tracing::warn!(
                "drain deadline passed; unfinished inputs stay claimed (inbox, or unacked) for the next start"
            ),
        }
    }
}

/// Of the drain limit, the time kept for what follows the drain: the final broker
/// flush (`FLUSH_LIMIT`) and the runtime's shutdown of blocking tasks (`RUNTIME_LIMIT`).
pub const EXIT_RESERVE: Duration = Duration::from_millis(750);
/// The final flush of the broker connection at exit (the broker may be unreachable).
pub const FLUSH_LIMIT: Duration = Duration::from_millis(400);
/// The runtime's wait for blocking tasks still running at exit.
pub const RUNTIME_LIMIT: Duration = Duration::from_millis(250);

/// Temp files a crash left in rejected/ (see `files::remove_stale_temps`).
fn files_cleanup(cfg: &Config) {
    let n = super::files::remove_stale_temps(&cfg.inbox.rejected_dir);
    if n > 0 {
        tracing::info!(
            removed = n,
            "removed temp files left by an interrupted write in rejected/"
        );
    }
}

/// Move a file that can never be processed to rejected/ with its reason (counted).
pub fn reject_file(
    claims: &Claims,
    cfg: &InboxConfig,
    path: &std::path::Path,
    hash: &str,
    record: &DeadLetter,
) {
    super::events::FileRejected {
        path,
        error_type: record.error_type,
        reason: &record.reason,
    }
    .emit();
    claims.reject(cfg, path, hash, record.error_type, &record.reason);
}
