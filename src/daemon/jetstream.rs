//! JetStream transport: the watcher publishes files to `<prefix>.raw`; each stage is a
//! durable pull consumer that runs its stage function, publishes the result with
//! `Nats-Msg-Id = <id>:<stage>`, awaits the publish ack and only then acks its input.
//!
//! Failure handling: a transient failure (the broker is away) naks with a backoff; a
//! permanent one publishes a dead letter on `<prefix>.dlq.<stage>` and terms the
//! message. Redeliveries are bounded by `nats.max_deliver`, counted by wirefeed itself
//! (the consumer allows unlimited deliveries) so that even a message that crashes
//! the process ends in the dead-letter subject instead of looping or sticking.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use async_nats::jetstream::{self, consumer::pull, context::Publish, stream, AckKind, Context};
use async_nats::HeaderMap;
use bytes::Bytes;
use futures::StreamExt;
use serde_json::json;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;

use super::config::{Config, NatsConfig};
use super::embedded::StageTimer;
use super::stage::{self, StageError};
use super::watcher::{self, Claims};
use super::{files, inbox, Health, Stage};
use crate::engine::{content_hash, Engine};
use crate::metrics as m;

/// Header names of the message contract (see docs/nats.md).
pub mod headers {
    pub const ARTICLE_ID: &str = "Wirefeed-Article-Id";
    pub const SOURCE_ID: &str = "Wirefeed-Source-Id";
    pub const SOURCE_PATH: &str = "Wirefeed-Source-Path";
    pub const READY_AT: &str = "Wirefeed-Ready-At";
    pub const LANGUAGE: &str = "Wirefeed-Language";
    pub const TOPICS: &str = "Wirefeed-Topics";
    pub const ERROR_TYPE: &str = "Wirefeed-Error-Type";
    pub const ORIGINAL_ID: &str = "Wirefeed-Original-Id";
}

/// Subject and stream names derived from the configured prefixes.
#[derive(Debug, Clone)]
pub struct Names {
    pub prefix: String,
    pub pipeline: String,
    pub out: String,
    pub dlq: String,
}

impl Names {
    pub fn new(cfg: &NatsConfig) -> Names {
        Names {
            prefix: cfg.subject_prefix.clone(),
            pipeline: format!("{}_PIPELINE", cfg.stream_prefix),
            out: format!("{}_OUT", cfg.stream_prefix),
            dlq: format!("{}_DLQ", cfg.stream_prefix),
        }
    }
    pub fn raw(&self) -> String {
        format!("{}.raw", self.prefix)
    }
    /// The subject a stage consumes.
    pub fn input(&self, stage: Stage) -> String {
        match stage {
            Stage::Clean => format!("{}.raw", self.prefix),
            Stage::Tag => format!("{}.clean", self.prefix),
            Stage::Classify => format!("{}.tagged", self.prefix),
        }
    }
    pub fn output(&self, topic: &str) -> String {
        format!("{}.out.{topic}", self.prefix)
    }
    pub fn dead_letter(&self, stage: &str) -> String {
        format!("{}.dlq.{stage}", self.prefix)
    }
    pub fn durable(&self, stage: Stage) -> String {
        format!("wirefeed-{}", stage.as_str())
    }
}

/// Connect with the configured auth and TLS; retry the initial connect and reconnect
/// forever, reporting the connection state to metrics and readiness.
pub async fn connect(cfg: &NatsConfig, health: Arc<Health>) -> Result<async_nats::Client> {
    let was_connected = Arc::new(AtomicBool::new(false));
    let mut opts = async_nats::ConnectOptions::new()
        .name("wirefeed")
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connection_timeout(Duration::from_secs(5))
        .event_callback(move |event| {
            let health = health.clone();
            let was_connected = was_connected.clone();
            async move {
                match event {
                    async_nats::Event::Connected => {
                        if was_connected.swap(true, Ordering::SeqCst) {
                            metrics::counter!(m::NATS_RECONNECTS).increment(1);
                        }
                        health.nats_connected.store(true, Ordering::SeqCst);
                        metrics::gauge!(m::NATS_CONNECTED).set(1.0);
                        tracing::info!("nats connected");
                    }
                    async_nats::Event::Disconnected => {
                        health.nats_connected.store(false, Ordering::SeqCst);
                        metrics::gauge!(m::NATS_CONNECTED).set(0.0);
                        tracing::warn!("nats disconnected; reconnecting");
                    }
                    other => tracing::info!(event = %other, "nats event"),
                }
            }
        });
    if let (Some(u), Some(p)) = (&cfg.user, &cfg.password) {
        opts = opts.user_and_password(u.clone(), p.expose().to_string());
    }
    if let Some(t) = &cfg.token {
        opts = opts.token(t.expose().to_string());
    }
    if let Some(seed) = &cfg.nkey {
        opts = opts.nkey(seed.expose().to_string());
    }
    if let Some(creds) = &cfg.creds_file {
        opts = opts
            .credentials_file(creds)
            .await
            .with_context(|| format!("reading creds file {}", creds.display()))?;
    }
    if cfg.tls_required {
        opts = opts.require_tls(true);
    }
    if let Some(ca) = &cfg.tls_ca_file {
        opts = opts.add_root_certificates(ca.clone());
    }
    if let (Some(cert), Some(key)) = (&cfg.tls_cert_file, &cfg.tls_key_file) {
        opts = opts.add_client_certificate(cert.clone(), key.clone());
    }
    let urls: Vec<&str> = cfg
        .url
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let client = opts
        .connect(urls.as_slice())
        .await
        .context("connecting to nats")?;
    Ok(client)
}

/// Create or update the three streams (idempotent; safe from many processes at once).
pub async fn ensure_streams(js: &Context, cfg: &NatsConfig, names: &Names) -> Result<()> {
    let dup = Duration::from_secs(cfg.duplicate_window_secs);
    let max_age = Duration::from_secs(cfg.output_max_age_secs);
    let configs = [
        stream::Config {
            name: names.pipeline.clone(),
            subjects: vec![
                names.raw(),
                format!("{}.clean", names.prefix),
                format!("{}.tagged", names.prefix),
            ],
            retention: stream::RetentionPolicy::WorkQueue,
            storage: stream::StorageType::File,
            num_replicas: cfg.replicas,
            duplicate_window: dup,
            ..Default::default()
        },
        stream::Config {
            name: names.out.clone(),
            subjects: vec![format!("{}.out.>", names.prefix)],
            retention: stream::RetentionPolicy::Limits,
            storage: stream::StorageType::File,
            num_replicas: cfg.replicas,
            duplicate_window: dup,
            max_age,
            ..Default::default()
        },
        stream::Config {
            name: names.dlq.clone(),
            subjects: vec![format!("{}.dlq.>", names.prefix)],
            retention: stream::RetentionPolicy::Limits,
            storage: stream::StorageType::File,
            num_replicas: cfg.replicas,
            duplicate_window: dup,
            max_age,
            ..Default::default()
        },
    ];
    for config in configs {
        let name = config.name.clone();
        match js.get_stream(&name).await {
            Ok(_) => {
                js.update_stream(config)
                    .await
                    .with_context(|| format!("updating stream {name}"))?;
            }
            Err(_) => {
                if let Err(e) = js.create_stream(config.clone()).await {
                    // another process may have created it meanwhile
                    js.update_stream(config)
                        .await
                        .with_context(|| format!("creating stream {name}: {e}"))?;
                }
            }
        }
    }
    Ok(())
}

/// Publish and await the ack, retrying transient failures with backoff (counted,
/// `/readyz` degraded) until it succeeds or `shutdown` fires (then `false`).
async fn publish_until_acked(
    js: &Context,
    health: &Health,
    subject: String,
    publish: Publish,
    shutdown: &watch::Receiver<bool>,
) -> bool {
    let out = [Out { subject, publish }];
    stage::retry_transient("watcher", health, shutdown, |_| publish_all(js, &out))
        .await
        .is_some()
}

fn header_value(h: Option<&HeaderMap>, name: &str) -> Option<String> {
    h.and_then(|h| h.get(name)).map(|v| v.as_str().to_string())
}

fn dead_letter_publish(
    id: &str,
    stage: &str,
    error_type: &str,
    reason: &str,
    extra: serde_json::Value,
) -> Publish {
    let mut body = json!({"stage": stage, "id": id, "error_type": error_type, "reason": reason});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    Publish::build()
        .payload(Bytes::from(body.to_string()))
        .message_id(format!("{id}:dlq:{stage}"))
        .header(headers::ERROR_TYPE, error_type)
        .header(headers::ORIGINAL_ID, id)
}

/// One message a stage wants published.
struct Out {
    subject: String,
    publish: Publish,
}

/// What a stage run produced, for metrics after the publishes are acked.
enum Done {
    Forwarded,
    Classify(Box<crate::model::ClassifiedArticle>),
}

/// Run one stage function on one input message and build the messages to publish.
fn stage_outputs(
    engine: &Engine,
    names: &Names,
    stage: Stage,
    payload: &[u8],
    ready_at: &str,
) -> Result<(Vec<Out>, Done), StageError> {
    match stage {
        Stage::Clean => {
            let articles = stage::clean(engine, payload)?;
            let outs = articles
                .iter()
                .map(|a| Out {
                    subject: format!("{}.clean", names.prefix),
                    publish: Publish::build()
                        .payload(Bytes::from(
                            serde_json::to_vec(a).expect("clean article serialises"),
                        ))
                        .message_id(format!("{}:clean", a.id))
                        .header(headers::ARTICLE_ID, a.id.as_str())
                        .header(headers::SOURCE_ID, a.source_id.as_str())
                        .header(headers::READY_AT, ready_at),
                })
                .collect();
            Ok((outs, Done::Forwarded))
        }
        Stage::Tag => {
            let t = stage::tag(engine, payload)?;
            let out = Out {
                subject: format!("{}.tagged", names.prefix),
                publish: Publish::build()
                    .payload(Bytes::from(
                        serde_json::to_vec(&t).expect("tagged article serialises"),
                    ))
                    .message_id(format!("{}:tag", t.article.id))
                    .header(headers::ARTICLE_ID, t.article.id.as_str())
                    .header(headers::LANGUAGE, t.language.code.as_str())
                    .header(headers::READY_AT, ready_at),
            };
            Ok((vec![out], Done::Forwarded))
        }
        Stage::Classify => {
            let (c, doc) = stage::classify(engine, payload)?;
            let body = Bytes::from(serde_json::to_vec(&doc).expect("ninjs serialises"));
            let targets = stage::output_targets(&c);
            let topics = c.topics().join(",");
            let id = c.tagged.article.id.clone();
            let outs = targets
                .iter()
                .map(|t| Out {
                    subject: names.output(t),
                    publish: Publish::build()
                        .payload(body.clone())
                        .message_id(format!("{id}:classify:{t}"))
                        .header(headers::ARTICLE_ID, id.as_str())
                        .header(headers::LANGUAGE, c.tagged.language.code.as_str())
                        .header(headers::TOPICS, topics.as_str())
                        .header(headers::READY_AT, ready_at),
                })
                .collect();
            Ok((outs, Done::Classify(Box::new(c))))
        }
    }
}

/// Per stage: the messages this process is working on (by stream sequence), and how
/// many deliveries of each were caused by a transient retry of ours rather than by a
/// failed attempt. A redelivery that arrives while the first delivery is still being
/// retried is not an attempt: it is skipped and not counted toward `max_deliver`.
#[derive(Default)]
struct Attempts {
    inner: std::sync::Mutex<std::collections::HashMap<u64, (bool, i64)>>,
}

impl Attempts {
    /// Start `seq`: `None` when it is already in flight here (the delivery is skipped),
    /// else the deliveries that did not count.
    fn begin(&self, seq: u64) -> Option<i64> {
        let mut m = self.inner.lock().expect("attempts lock");
        let e = m.entry(seq).or_insert((false, 0));
        if e.0 {
            e.1 += 1;
            return None;
        }
        e.0 = true;
        Some(e.1)
    }
    /// `seq` is no longer in flight; `settled`: acked or termed (forgotten).
    fn end(&self, seq: u64, settled: bool) {
        let mut m = self.inner.lock().expect("attempts lock");
        if settled {
            m.remove(&seq);
        } else if let Some(e) = m.get_mut(&seq) {
            e.0 = false;
            e.1 += 1; // this delivery ended transiently: its redelivery is not an attempt
        }
    }
}

/// What a stage worker's messages share.
struct Worker {
    js: Context,
    engine: Arc<Engine>,
    names: Arc<Names>,
    stage: Stage,
    max_deliver: i64,
    health: Arc<Health>,
    shutdown: watch::Receiver<bool>,
    attempts: Attempts,
}

/// Publish every message and await every ack (pipelined). Any failure is transient.
async fn publish_all(js: &Context, outs: &[Out]) -> Result<(), stage::Transient> {
    let mut pending = Vec::with_capacity(outs.len());
    for o in outs {
        match js.send_publish(o.subject.clone(), o.publish.clone()).await {
            Ok(ack) => pending.push(ack),
            Err(e) => return Err(stage::Transient::broker("publishing", &e)),
        }
    }
    let mut failed = None;
    for ack in pending {
        if let Err(e) = ack.await {
            failed.get_or_insert(stage::Transient::broker("publishing", &e));
        }
    }
    failed.map_or(Ok(()), Err)
}

/// Publish `outs` until acked; while retrying, tell the broker the input is still in
/// progress so its ack wait does not run out (no redelivery, no delivery counted).
async fn publish_holding(w: &Worker, msg: &jetstream::Message, outs: &[Out]) -> bool {
    stage::retry_transient(w.stage.as_str(), &w.health, &w.shutdown, |n| async move {
        if n > 0 {
            let _ = msg.ack_with(AckKind::Progress).await;
        }
        publish_all(&w.js, outs).await
    })
    .await
    .is_some()
}

/// Handle one delivered message end to end.
async fn handle(w: Arc<Worker>, msg: jetstream::Message) {
    let stage = w.stage;
    let (delivered, seq) = msg
        .info()
        .map(|i| (i.delivered, i.stream_sequence))
        .unwrap_or((1, 0));
    let Some(not_counted) = w.attempts.begin(seq) else {
        // a redelivery of a message this process is still retrying: not an attempt
        return;
    };
    let attempt = delivered - not_counted;
    let timer = StageTimer::start(stage.as_str(), attempt > 1);
    let hdrs = msg.headers.as_ref();
    let ready_at = header_value(hdrs, headers::READY_AT).unwrap_or_default();
    let msg_id = header_value(hdrs, "Nats-Msg-Id")
        .or_else(|| header_value(hdrs, headers::ARTICLE_ID))
        .unwrap_or_else(|| content_hash(&msg.payload));
    let id = msg_id.split(':').next().unwrap_or(&msg_id).to_string();

    // Bounded redelivery: past the limit the message is dead-lettered unprocessed,
    // so even input that kills the process cannot loop forever. Only attempts count:
    // deliveries that ended in a transient failure do not.
    if attempt > w.max_deliver {
        timer.failed("redelivery_limit");
        let reason = format!(
            "delivered {attempt} times without success (limit {})",
            w.max_deliver
        );
        let settled = dead_letter_and_term(&w, &id, "redelivery_limit", &reason, &msg).await;
        w.attempts.end(seq, settled);
        return;
    }

    let payload = msg.payload.clone();
    let (e, n, ra) = (w.engine.clone(), w.names.clone(), ready_at.clone());
    let result = stage::off_executor(move || stage_outputs(&e, &n, stage, &payload, &ra)).await;
    match result {
        Ok((outs, done)) => {
            if !publish_holding(&w, &msg, &outs).await {
                // shutting down while the broker fails: redelivered later, not counted here
                timer.failed("publish");
                let _ = msg
                    .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                    .await;
                w.attempts.end(seq, false);
                return;
            }
            if let Err(e) = msg.ack().await {
                // the outputs are stored; a redelivery republishes them under the same ids
                tracing::warn!(stage = stage.as_str(), article_id = %id, error = %e, "ack failed");
            }
            w.attempts.end(seq, true);
            timer.processed();
            if let Done::Classify(c) = done {
                stage::record_published(&c);
                stage::record_latency(ready_at.parse().unwrap_or(0));
            }
        }
        Err(err) => {
            timer.failed(err.kind());
            let reason = err.to_string();
            let settled = dead_letter_and_term(&w, &id, err.kind(), &reason, &msg).await;
            w.attempts.end(seq, settled);
        }
    }
}

/// Dead-letter a message with its payload, then term it; `false` when shutdown
/// interrupted a failing dead-letter publish (the message is then left unacked).
async fn dead_letter_and_term(
    w: &Worker,
    id: &str,
    error_type: &str,
    reason: &str,
    msg: &jetstream::Message,
) -> bool {
    let stage = w.stage;
    tracing::warn!(stage = stage.as_str(), article_id = %id, error_type, reason, "dead-lettering message");
    let kept = super::embedded::kept_payload(&msg.payload);
    let out = Out {
        subject: w.names.dead_letter(stage.as_str()),
        publish: dead_letter_publish(id, stage.as_str(), error_type, reason, kept),
    };
    if !publish_holding(w, msg, std::slice::from_ref(&out)).await {
        let _ = msg
            .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
            .await;
        return false;
    }
    metrics::counter!(m::DEAD_LETTERS, "stage" => stage.as_str(), "reason" => error_type.to_string()).increment(1);
    let _ = msg.ack_with(AckKind::Term).await;
    true
}

/// A stage's worker loop: a durable pull consumer shared by every process of the role.
async fn stage_worker(
    js: Context,
    engine: Arc<Engine>,
    names: Arc<Names>,
    stage: Stage,
    cfg: Arc<Config>,
    health: Arc<Health>,
    mut shutdown: watch::Receiver<bool>,
) -> JoinSet<()> {
    let worker = Arc::new(Worker {
        js: js.clone(),
        engine: engine.clone(),
        names: names.clone(),
        stage,
        max_deliver: cfg.nats.max_deliver,
        health,
        shutdown: shutdown.clone(),
        attempts: Attempts::default(),
    });
    let concurrency = match stage {
        Stage::Clean => cfg.stages.clean_concurrency,
        Stage::Tag => cfg.stages.tag_concurrency,
        Stage::Classify => cfg.stages.classify_concurrency,
    };
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    'outer: loop {
        if *shutdown.borrow() {
            break;
        }
        let consumer = async {
            let s = js.get_stream(&names.pipeline).await?;
            let c: jetstream::consumer::Consumer<pull::Config> = s
                .get_or_create_consumer(
                    &names.durable(stage),
                    pull::Config {
                        durable_name: Some(names.durable(stage)),
                        filter_subject: names.input(stage),
                        ack_policy: jetstream::consumer::AckPolicy::Explicit,
                        ack_wait: Duration::from_secs(cfg.nats.ack_wait_secs),
                        max_deliver: -1,
                        max_ack_pending: cfg.nats.max_ack_pending,
                        ..Default::default()
                    },
                )
                .await?;
            Ok::<_, async_nats::Error>(c)
        }
        .await;
        let consumer = match consumer {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(stage = stage.as_str(), error = %e, "consumer not available; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = shutdown.changed() => break,
                }
            }
        };
        // Pull only as many messages as there are free workers, so every delivery is
        // a message this process starts at once. (A prefetched message that is still
        // buffered when the process dies counts as a delivery too; a few restarts in a
        // row would then push innocent messages past `max_deliver` and dead-letter
        // them unprocessed.)
        loop {
            let first = tokio::select! {
                p = permits.clone().acquire_owned() => p.expect("semaphore open"),
                _ = shutdown.changed() => break 'outer,
            };
            let mut held = vec![first];
            while let Ok(p) = permits.clone().try_acquire_owned() {
                held.push(p);
            }
            let batch = tokio::select! {
                b = consumer
                    .batch()
                    .max_messages(held.len())
                    .expires(Duration::from_secs(2))
                    .messages() => b,
                _ = shutdown.changed() => break 'outer,
            };
            let mut batch = match batch {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(stage = stage.as_str(), error = %e, "pull request failed; re-subscribing");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(500)) => break,
                        _ = shutdown.changed() => break 'outer,
                    }
                }
            };
            loop {
                let next = tokio::select! {
                    n = batch.next() => n,
                    _ = shutdown.changed() => break 'outer,
                };
                match next {
                    Some(Ok(msg)) => {
                        let Some(permit) = held.pop() else {
                            // more than asked for: leave it for redelivery
                            break;
                        };
                        let w = worker.clone();
                        tasks.spawn(async move {
                            handle(w, msg).await;
                            drop(permit);
                        });
                        // reap finished tasks so the set stays small
                        while tasks.try_join_next().is_some() {}
                    }
                    Some(Err(e)) => {
                        tracing::debug!(stage = stage.as_str(), error = %e, "pull batch ended");
                        // e.g. disconnected: do not spin on a failing pull
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        break;
                    }
                    None => break,
                }
            }
            // unused permits go back with `held`
        }
    }
    tasks
}

/// Watcher side: read, pre-check and publish each complete file; move it on ack.
#[allow(clippy::too_many_arguments)]
async fn intake(
    js: Context,
    health: Arc<Health>,
    engine: Arc<Engine>,
    names: Arc<Names>,
    cfg: Arc<Config>,
    claims: Claims,
    path: PathBuf,
    shutdown: watch::Receiver<bool>,
) {
    let Some(bytes) = claims.read(&path).await else {
        return;
    };
    // the watcher is a stage too: received = files read, processed = published
    let timer = StageTimer::start("watcher", false);
    let hash = content_hash(&bytes);
    // escaped: a name reaches headers and message ids only through inbox::escape_name
    let name = inbox::shown_name(&path);
    // Pre-check with the clean function: a file that can never be processed is
    // rejected here, where the file is, with its reason.
    let verdict = if bytes.len() > cfg.inbox.max_file_bytes {
        Err(StageError::Engine(crate::error::EngineError::TooLarge {
            size: bytes.len(),
            limit: cfg.inbox.max_file_bytes,
        }))
    } else {
        let (e, b) = (engine.clone(), bytes.clone());
        stage::off_executor(move || stage::clean(&e, &b).map(|_| ())).await
    };
    if let Err(err) = verdict {
        let (kind, reason) = (err.kind(), err.to_string());
        tracing::warn!(path = %inbox::shown(&path), error_type = kind, reason = %reason, "file rejected");
        timer.failed(kind);
        // the file name is part of the id: two bad files with the same bytes are two
        // dead letters, while a re-rejection after a crash is still stored once
        let publish = dead_letter_publish(&hash, "clean", kind, &reason, json!({"path": name}))
            .message_id(format!("{hash}:dlq:clean:{name}"));
        if publish_until_acked(&js, &health, names.dead_letter("clean"), publish, &shutdown).await {
            metrics::counter!(m::DEAD_LETTERS, "stage" => "clean", "reason" => kind).increment(1);
            metrics::counter!(m::FILES_REJECTED, "reason" => kind).increment(1);
            claims.reject(&cfg.inbox, &path, &hash, kind, &reason);
        } else {
            claims.release(&path);
        }
        return;
    }
    let publish = Publish::build()
        .payload(Bytes::from(bytes))
        .message_id(hash.as_str())
        .header(headers::SOURCE_ID, hash.as_str())
        .header(headers::SOURCE_PATH, name.as_str())
        .header(headers::READY_AT, stage::now_millis().to_string());
    if publish_until_acked(&js, &health, names.raw(), publish, &shutdown).await {
        timer.processed();
        metrics::counter!(m::FILES_PUBLISHED).increment(1);
        // a failed move is retried by the claims, never republished
        claims.finish(&cfg.inbox, &path, &hash);
    } else {
        claims.release(&path);
    }
}

pub async fn run(
    config: Config,
    engine: Arc<Engine>,
    health: Arc<Health>,
    shutdown: watch::Receiver<bool>,
) -> Result<()> {
    let cfg = Arc::new(config);
    let names = Arc::new(Names::new(&cfg.nats));
    let client = connect(&cfg.nats, health.clone()).await?;
    let js = jetstream::new(client.clone());
    loop {
        match ensure_streams(&js, &cfg.nats, &names).await {
            Ok(()) => break,
            Err(e) => {
                if let Some(why) = super::config::permanent_setup_error(&e) {
                    anyhow::bail!("cannot set up the JetStream streams: {why}");
                }
                tracing::warn!(error = %format!("{e:#}"), "streams not ready; retrying");
                if *shutdown.borrow() {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
    health.streams_ready.store(true, Ordering::SeqCst);
    tracing::info!(pipeline = %names.pipeline, out = %names.out, dlq = %names.dlq, "streams ready");

    let mut workers = JoinSet::new();
    for stage in Stage::ALL {
        if cfg.role.runs(stage) {
            workers.spawn(stage_worker(
                js.clone(),
                engine.clone(),
                names.clone(),
                stage,
                cfg.clone(),
                health.clone(),
                shutdown.clone(),
            ));
        }
    }
    health.stages_running.store(true, Ordering::SeqCst);

    // backlog: each stage consumer's pending count
    {
        let (js, names, every) = (
            js.clone(),
            names.clone(),
            cfg.metrics.backlog_interval_secs.max(1),
        );
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(every));
            loop {
                tick.tick().await;
                let Ok(s) = js.get_stream(&names.pipeline).await else {
                    continue;
                };
                for stage in Stage::ALL {
                    if let Ok(info) = s.consumer_info(names.durable(stage)).await {
                        metrics::gauge!(m::STAGE_BACKLOG, "stage" => stage.as_str())
                            .set(info.num_pending as f64);
                    }
                }
            }
        });
    }

    let mut intake_tasks = JoinSet::new();
    if cfg.role.runs_watcher() {
        // sidecars whose durable write a crash interrupted (see files::remove_stale_temps)
        files::remove_stale_temps(&cfg.inbox.rejected_dir);
        let claims = Claims::default();
        let (tx, mut rx) = mpsc::channel::<PathBuf>(cfg.inbox.publish_window);
        let watch_cfg = watcher::WatchConfig::from_config(&cfg);
        intake_tasks.spawn({
            let (claims, shutdown, running) = (
                claims.clone(),
                shutdown.clone(),
                health.watcher_running.clone(),
            );
            async move {
                if let Err(e) = watcher::run(watch_cfg, claims, tx, shutdown, running).await {
                    tracing::error!(error = %e, "watcher failed");
                }
            }
        });
        let window = Arc::new(Semaphore::new(cfg.inbox.publish_window));
        let (js, health, engine, names, cfg, shutdown) = (
            js.clone(),
            health.clone(),
            engine.clone(),
            names.clone(),
            cfg.clone(),
            shutdown.clone(),
        );
        intake_tasks.spawn(async move {
            let mut inflight = JoinSet::new();
            while let Some(path) = rx.recv().await {
                let permit = window
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("semaphore open");
                let (js, health, engine, names, cfg, claims, shutdown) = (
                    js.clone(),
                    health.clone(),
                    engine.clone(),
                    names.clone(),
                    cfg.clone(),
                    claims.clone(),
                    shutdown.clone(),
                );
                inflight.spawn(async move {
                    intake(js, health, engine, names, cfg, claims, path, shutdown).await;
                    drop(permit);
                });
                while inflight.try_join_next().is_some() {}
            }
            while inflight.join_next().await.is_some() {}
        });
    }

    let mut wait = shutdown.clone();
    let _ = wait.wait_for(|s| *s).await;
    tracing::info!("draining in-flight work");
    let deadline = Duration::from_secs(cfg.shutdown.drain_timeout_secs);
    let drained = tokio::time::timeout(deadline, async {
        while intake_tasks.join_next().await.is_some() {}
        while let Some(Ok(mut handles)) = workers.join_next().await {
            while handles.join_next().await.is_some() {}
        }
        let _ = client.flush().await;
    })
    .await;
    match drained {
        Ok(()) => tracing::info!("drained; exiting"),
        Err(_) => tracing::warn!("drain deadline passed; unacked messages will be redelivered"),
    }
    Ok(())
}
