//! JetStream transport: the watcher publishes files to `<prefix>.raw` (in a process
//! that also runs the clean stage, the intake cleans the file and publishes its
//! `<prefix>.clean` messages instead: each file is cleaned once); each stage is a
//! durable pull consumer that runs its stage function, publishes the result with
//! `Nats-Msg-Id = <id>:<stage>`, awaits the publish ack and only then acks its input.
//!
//! Failure handling: a transient failure (the broker is away) naks with a backoff; a
//! permanent one publishes a dead letter on `<prefix>.dlq.<stage>` and terms the
//! message. Redeliveries are bounded by `nats.max_deliver`, counted by wirefeed itself
//! (the consumer allows unlimited deliveries) so that even a message that crashes
//! the process ends in the dead-letter subject instead of looping or sticking.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use async_nats::jetstream::{self, consumer::pull, context::Publish, stream, AckKind, Context};
use async_nats::HeaderMap;
use bytes::Bytes;
use futures::StreamExt;
use serde_json::json;
use tokio::sync::watch;

use super::config::{Config, NatsConfig};
use super::pipeline::{DeadLetter, Delivery, Emit, Kept, Pipeline, RawInput, Transport};
use super::stage::{Failure, StageError, Transient};
use super::{Health, Stage};
use crate::engine::content_hash;
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
    pub const STORY_VERSION: &str = "Wirefeed-Story-Version";
}

/// Subject and stream names derived from the configured prefixes.
#[derive(Debug, Clone)]
pub struct Names {
    pub prefix: String,
    pub pipeline: String,
    pub out: String,
    pub dlq: String,
    /// The stories table: the latest row per story subject.
    pub stories: String,
    /// Breaking alerts, one message per story.
    pub alerts: String,
}

impl Names {
    pub fn new(cfg: &NatsConfig) -> Names {
        Names {
            prefix: cfg.subject_prefix.clone(),
            pipeline: format!("{}_PIPELINE", cfg.stream_prefix),
            out: format!("{}_OUT", cfg.stream_prefix),
            dlq: format!("{}_DLQ", cfg.stream_prefix),
            stories: format!("{}_STORIES", cfg.stream_prefix),
            alerts: format!("{}_ALERTS", cfg.stream_prefix),
        }
    }
    /// `<prefix>.story.<topic>.<cluster-id>`: one subject per story.
    pub fn story(&self, topic: &str, id: &str) -> String {
        format!("{}.story.{topic}.{id}", self.prefix)
    }
    /// `<prefix>.alert.<topic>`.
    pub fn alert(&self, topic: &str) -> String {
        format!("{}.alert.{topic}", self.prefix)
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

/// Create or update the streams (idempotent; safe from many processes at once): the
/// pipeline work queue, outputs, dead letters, the stories table (`max_messages_per_subject
/// = 1`: the stream is the current table) and alerts.
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
        stream::Config {
            name: names.stories.clone(),
            subjects: vec![format!("{}.story.>", names.prefix)],
            retention: stream::RetentionPolicy::Limits,
            storage: stream::StorageType::File,
            num_replicas: cfg.replicas,
            duplicate_window: dup,
            max_messages_per_subject: 1,
            // a story that has not changed for this long leaves the table
            max_age,
            ..Default::default()
        },
        stream::Config {
            name: names.alerts.clone(),
            subjects: vec![format!("{}.alert.>", names.prefix)],
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

fn header_value(h: Option<&HeaderMap>, name: &str) -> Option<String> {
    h.and_then(|h| h.get(name)).map(|v| v.as_str().to_string())
}

/// Per stage: the messages this process is working on (by stream sequence), and how
/// many deliveries of each were caused by a transient retry of ours rather than by a
/// failed attempt. A redelivery that arrives while the first delivery is still being
/// retried is not an attempt: it is skipped and not counted toward `max_deliver`.
#[derive(Default)]
struct Attempts {
    inner: std::sync::Mutex<AttemptState>,
}

#[derive(Default)]
struct AttemptState {
    /// In flight here or ended transiently: (in flight, deliveries that did not count).
    open: HashMap<u64, (bool, i64)>,
    /// Recently settled (acked or termed) sequences, oldest first: a redelivery of one
    /// that was already on its way when it was settled is acked, not redone or counted.
    settled: std::collections::VecDeque<u64>,
    settled_set: std::collections::HashSet<u64>,
}

/// Settled sequences remembered per stage (a few ack waits' worth at full speed).
const SETTLED_MEMORY: usize = 65_536;

/// The longest one pull may take (its own waits are 2 s + the client's 5 s margin).
const PULL_LIMIT: Duration = Duration::from_secs(15);

/// What to do with a delivered message.
#[derive(Debug, PartialEq)]
enum Begin {
    /// Process it; this many earlier deliveries did not count.
    Start(i64),
    /// A redelivery of a message still being worked on here: skip it.
    InFlight,
    /// A late redelivery of a message already settled here: ack it, nothing to redo.
    Settled,
}

impl Attempts {
    fn begin(&self, seq: u64) -> Begin {
        let mut st = self.inner.lock().expect("attempts lock");
        if st.settled_set.contains(&seq) {
            return Begin::Settled;
        }
        let e = st.open.entry(seq).or_insert((false, 0));
        if e.0 {
            e.1 += 1;
            return Begin::InFlight;
        }
        e.0 = true;
        Begin::Start(e.1)
    }
    /// `seq` is no longer in flight; `settled`: acked or termed.
    fn end(&self, seq: u64, settled: bool) {
        let mut st = self.inner.lock().expect("attempts lock");
        if settled {
            st.open.remove(&seq);
            if st.settled_set.insert(seq) {
                st.settled.push_back(seq);
                if st.settled.len() > SETTLED_MEMORY {
                    if let Some(old) = st.settled.pop_front() {
                        st.settled_set.remove(&old);
                    }
                }
            }
        } else if let Some(e) = st.open.get_mut(&seq) {
            e.0 = false;
            e.1 += 1; // this delivery ended transiently: its redelivery is not an attempt
        }
    }
}

/// Bytes of a message's `max_payload` left for its headers (ids, names, timestamps).
pub const HEADER_ROOM: usize = 4 * 1024;

/// The inbox limit a broker with `max_payload` allows: a raw file travels whole in one
/// message, and every message after it carries the text once (about the file's size
/// for UTF-8 input). `configured`: the `inbox.max_file_bytes` setting; `explicit`:
/// set by the operator (then a value the broker cannot carry is an error at start),
/// else the default, lowered to fit.
pub fn inbox_limit(configured: usize, explicit: bool, max_payload: usize) -> Result<usize> {
    let fits = max_payload.saturating_sub(HEADER_ROOM);
    if configured <= fits {
        return Ok(configured);
    }
    if explicit {
        anyhow::bail!(
            "inbox.max_file_bytes = {configured} does not fit the broker's max_payload of {max_payload} bytes \
             (at most {fits}: a file travels in one message, with {HEADER_ROOM} bytes for headers); \
             lower inbox.max_file_bytes (WIREFEED_INBOX_MAX_FILE_BYTES) or raise max_payload on the server"
        );
    }
    tracing::info!(
        max_payload,
        limit = fits,
        "inbox.max_file_bytes lowered to fit the broker's max_payload"
    );
    Ok(fits)
}

/// One stage input from a durable consumer.
pub struct JsDelivery {
    msg: jetstream::Message,
    attempt: i64,
    seq: u64,
    attempts: Arc<Attempts>,
}

impl JsDelivery {
    fn header(&self, name: &str) -> Option<String> {
        header_value(self.msg.headers.as_ref(), name)
    }
}

impl Delivery for JsDelivery {
    fn payload(&self) -> &[u8] {
        &self.msg.payload
    }
    fn attempt(&self) -> i64 {
        self.attempt
    }
    fn id(&self) -> String {
        let msg_id = self
            .header("Nats-Msg-Id")
            .or_else(|| self.header(headers::ARTICLE_ID))
            .unwrap_or_else(|| content_hash(&self.msg.payload));
        msg_id.split(':').next().unwrap_or(&msg_id).to_string()
    }
    fn ready_at(&self) -> u64 {
        self.header(headers::READY_AT)
            .and_then(|r| r.parse().ok())
            .unwrap_or(0)
    }
    fn path(&self) -> Option<String> {
        self.header(headers::SOURCE_PATH)
    }
    async fn in_progress(&self) {
        let _ = self.msg.ack_with(AckKind::Progress).await;
    }
    async fn ack(self) {
        if let Err(e) = self.msg.ack().await {
            // the outputs are stored; a redelivery republishes them under the same ids
            tracing::warn!(error = %e, "ack failed");
        }
        self.attempts.end(self.seq, true);
    }
    async fn retry_after(self, delay: Duration) {
        let _ = self.msg.ack_with(AckKind::Nak(Some(delay))).await;
        self.attempts.end(self.seq, false);
    }
    async fn term(self, _record: &DeadLetter) {
        let _ = self.msg.ack_with(AckKind::Term).await;
        self.attempts.end(self.seq, true);
    }
}

/// The JetStream adapter: durable pull consumers in, publishes with message ids out.
pub struct JetStream {
    js: Context,
    names: Arc<Names>,
    cfg: Arc<Config>,
    shutdown: watch::Receiver<bool>,
    consumers: tokio::sync::Mutex<HashMap<&'static str, PullConsumer>>,
    attempts: [Arc<Attempts>; 3],
    /// The server's max_payload (dead letters are cut to fit it).
    max_payload: usize,
    /// The latest version of each story this process stored (a row already superseded
    /// here is not sent; the stream's own compare-and-set settles the rest).
    story_versions: tokio::sync::Mutex<HashMap<String, u64>>,
}

/// Story versions remembered by [`JetStream::story_versions`] (then forgotten at once:
/// bounded memory; a story's next row is still newer than its stored one).
const STORY_VERSION_MEMORY: usize = 65_536;

type PullConsumer = jetstream::consumer::Consumer<pull::Config>;

impl JetStream {
    pub fn new(
        js: Context,
        cfg: Arc<Config>,
        max_payload: usize,
        shutdown: watch::Receiver<bool>,
    ) -> JetStream {
        JetStream {
            js,
            names: Arc::new(Names::new(&cfg.nats)),
            cfg,
            shutdown,
            consumers: Default::default(),
            attempts: Default::default(),
            max_payload,
            story_versions: Default::default(),
        }
    }

    fn attempts(&self, stage: Stage) -> &Arc<Attempts> {
        &self.attempts[match stage {
            Stage::Clean => 0,
            Stage::Tag => 1,
            Stage::Classify => 2,
        }]
    }

    async fn consumer(&self, stage: Stage) -> Result<PullConsumer, async_nats::Error> {
        let mut cache = self.consumers.lock().await;
        if let Some(c) = cache.get(stage.as_str()) {
            return Ok(c.clone());
        }
        let s = self.js.get_stream(&self.names.pipeline).await?;
        let c: PullConsumer = s
            .get_or_create_consumer(
                &self.names.durable(stage),
                pull::Config {
                    durable_name: Some(self.names.durable(stage)),
                    filter_subject: self.names.input(stage),
                    ack_policy: jetstream::consumer::AckPolicy::Explicit,
                    ack_wait: Duration::from_secs(self.cfg.nats.ack_wait_secs),
                    // wirefeed counts attempts itself (transient failures do not count)
                    max_deliver: -1,
                    max_ack_pending: self.cfg.nats.max_ack_pending,
                    ..Default::default()
                },
            )
            .await?;
        cache.insert(stage.as_str(), c.clone());
        Ok(c)
    }

    async fn pause(&self, d: Duration) {
        let mut sd = self.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = sd.wait_for(|s| *s) => {}
        }
    }

    /// Pull up to `max`: whatever is there at once, else wait (2 s at a time) for one.
    async fn pull(&self, c: &PullConsumer, max: usize) -> Result<Vec<jetstream::Message>, String> {
        let mut got = Vec::new();
        // `expires` also arms the client's own timer (expires + 5 s): without one, a
        // no-wait request that the broker never answers (its consumer leader stopped
        // between request and reply, as when a cluster node goes away) waits forever
        // and the stage stops pulling.
        let mut now = c
            .fetch()
            .max_messages(max)
            .expires(Duration::from_secs(1))
            .messages()
            .await
            .map_err(|e| e.to_string())?;
        while let Some(m) = now.next().await {
            got.push(m.map_err(|e| e.to_string())?);
        }
        if !got.is_empty() {
            return Ok(got);
        }
        let mut sd = self.shutdown.clone();
        let mut wait = c
            .batch()
            .max_messages(1)
            .expires(Duration::from_secs(2))
            .messages()
            .await
            .map_err(|e| e.to_string())?;
        loop {
            tokio::select! {
                m = wait.next() => match m {
                    Some(Ok(m)) => got.push(m),
                    Some(Err(e)) => return if got.is_empty() { Err(e.to_string()) } else { Ok(got) },
                    None => return Ok(got),
                },
                _ = sd.wait_for(|s| *s) => return Ok(got),
            }
        }
    }

    fn publish_for(&self, stage: Stage, e: &Emit) -> Vec<(String, Publish)> {
        let p = |payload: Bytes| Publish::build().payload(payload);
        match stage {
            Stage::Clean => vec![(
                format!("{}.clean", self.names.prefix),
                p(e.payload.clone())
                    .message_id(format!("{}:clean", e.id))
                    .header(headers::ARTICLE_ID, e.id.as_str())
                    .header(headers::SOURCE_ID, e.source_id.as_str()),
            )],
            Stage::Tag => vec![(
                format!("{}.tagged", self.names.prefix),
                p(e.payload.clone())
                    .message_id(format!("{}:tag", e.id))
                    .header(headers::ARTICLE_ID, e.id.as_str())
                    .header(headers::LANGUAGE, e.language.as_str()),
            )],
            Stage::Classify => e
                .targets
                .iter()
                .map(|t| {
                    (
                        self.names.output(t),
                        p(e.payload.clone())
                            .message_id(format!("{}:classify:{t}", e.id))
                            .header(headers::ARTICLE_ID, e.id.as_str())
                            .header(headers::LANGUAGE, e.language.as_str())
                            .header(headers::TOPICS, e.topics.as_str()),
                    )
                })
                .collect(),
        }
    }
    /// Publish what `stage` produced (for a file ready at `ready_at`) and await every ack.
    async fn store(&self, stage: Stage, ready_at: u64, out: &[Emit]) -> Result<(), Failure> {
        // a message the broker would refuse is refused here, permanently: the same
        // input makes the same message (the text is carried once; see stage::encode_clean)
        let limit = self.max_payload.saturating_sub(HEADER_ROOM);
        if let Some(big) = out.iter().find(|e| e.payload.len() > limit) {
            return Err(Failure::Permanent(StageError::TooLargeForBroker {
                stage: stage.as_str(),
                size: big.payload.len(),
                limit,
            }));
        }
        let ready_at = ready_at.to_string();
        let outs = out
            .iter()
            .flat_map(|e| self.publish_for(stage, e))
            .map(|(s, p)| (s, p.header(headers::READY_AT, ready_at.as_str())))
            .collect();
        publish_all(&self.js, outs).await?;
        if out
            .iter()
            .any(|e| !e.stories.is_empty() || !e.alerts.is_empty())
        {
            self.store_stories(out).await?;
        }
        Ok(())
    }

    /// The story rows (`<prefix>.story.<topic>.<id>`, `Nats-Msg-Id` `<id>.v<version>`)
    /// and alerts (`<prefix>.alert.<topic>`, `Nats-Msg-Id` `alert.<story-id>`: stored
    /// once within the duplicate window) of final documents.
    async fn store_stories(&self, out: &[Emit]) -> Result<(), Transient> {
        let mut alerts = Vec::new();
        let mut rows: HashMap<&str, &crate::engine::stories::Story> = HashMap::new();
        for e in out {
            for s in &e.stories {
                if rows
                    .get(s.id.as_str())
                    .is_none_or(|r| r.version < s.version)
                {
                    rows.insert(s.id.as_str(), s);
                }
            }
            for a in &e.alerts {
                let body =
                    serde_json::to_vec(&super::stories::alert_json(a)).expect("alert serialises");
                alerts.push((
                    self.names.alert(&a.topic),
                    Publish::build()
                        .payload(Bytes::from(body))
                        .message_id(format!("alert.{}", a.story))
                        .header(headers::ARTICLE_ID, a.article.as_str())
                        .header(headers::TOPICS, a.topic.as_str()),
                ));
            }
        }
        let rows: Vec<_> = {
            let sent = self.story_versions.lock().await;
            rows.into_values()
                .filter(|s| sent.get(&s.id).is_none_or(|v| *v < s.version))
                .collect()
        };
        futures::future::try_join_all(rows.iter().map(|s| self.store_story_row(s))).await?;
        publish_all(&self.js, alerts).await?;
        let mut sent = self.story_versions.lock().await;
        if sent.len() > STORY_VERSION_MEMORY {
            sent.clear();
        }
        for s in rows {
            let v = sent.entry(s.id.clone()).or_insert(0);
            *v = (*v).max(s.version);
        }
        Ok(())
    }

    /// Put a story's row on its subject unless the stream holds the same or a newer
    /// version: compare-and-set on the subject's last sequence, so rows of one story
    /// written by several workers (a shared window) or finishing out of order never
    /// leave an older row as the current one.
    async fn store_story_row(&self, s: &crate::engine::stories::Story) -> Result<(), Transient> {
        use async_nats::jetstream::context::PublishErrorKind;
        use async_nats::jetstream::stream::LastRawMessageErrorKind;
        let subject = self.names.story(&s.topic, &s.id);
        let stream = self
            .js
            .get_stream_no_info(&self.names.stories)
            .await
            .map_err(|e| Transient::broker("opening the stories stream", &e))?;
        let body = Bytes::from(fit_story_row(
            s.summary(),
            self.max_payload.saturating_sub(HEADER_ROOM),
        ));
        for _ in 0..STORY_ROW_ATTEMPTS {
            let last = match stream.get_last_raw_message_by_subject(&subject).await {
                Ok(m) => Some((m.sequence, stored_version(&m.headers, &m.payload))),
                Err(e) if matches!(e.kind(), LastRawMessageErrorKind::NoMessageFound) => None,
                Err(e) => return Err(Transient::broker("reading a story row", &e)),
            };
            if last.is_some_and(|(_, v)| v >= s.version) {
                return Ok(());
            }
            let publish = Publish::build()
                .payload(body.clone())
                .message_id(format!("{}.v{}", s.id, s.version))
                .header(headers::TOPICS, s.topic.as_str())
                .header(headers::STORY_VERSION, s.version.to_string().as_str())
                .expected_last_subject_sequence(last.map_or(0, |(seq, _)| seq));
            let ack = match self.js.send_publish(subject.clone(), publish).await {
                Ok(ack) => ack.await,
                Err(e) => return Err(Transient::broker("publishing a story row", &e)),
            };
            match ack {
                Ok(_) => return Ok(()),
                // another worker wrote the subject meanwhile: read it again
                Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => continue,
                Err(e) => return Err(Transient::broker("publishing a story row", &e)),
            }
        }
        Err(Transient::broker(
            "publishing a story row",
            &format!("{subject} changed {STORY_ROW_ATTEMPTS} times while it was written"),
        ))
    }
}

/// Keep `/brief` filled from the stories stream: the current row of every story (an
/// ordered consumer from the last message per subject), then each change as it is
/// stored, by any worker. Recreated after an error; the brief keeps the newest rows.
async fn follow_stories(
    js: Context,
    names: Arc<Names>,
    brief: Arc<super::stories::Brief>,
    shutdown: watch::Receiver<bool>,
) {
    let filter = format!("{}.story.>", names.prefix);
    while !*shutdown.borrow() {
        let follow = async {
            let stream = js.get_stream_no_info(&names.stories).await?;
            let consumer = stream
                .create_consumer(pull::OrderedConfig {
                    filter_subject: filter.clone(),
                    deliver_policy: jetstream::consumer::DeliverPolicy::LastPerSubject,
                    ..Default::default()
                })
                .await?;
            let mut messages = consumer.messages().await?;
            while let Some(msg) = messages.next().await {
                let msg = msg?;
                let Ok(row) = serde_json::from_slice::<serde_json::Value>(&msg.payload) else {
                    continue;
                };
                let now = super::stories::now_secs();
                let stored = msg
                    .info()
                    .map(|i| i.published.unix_timestamp())
                    .unwrap_or(now);
                brief.record_row(row, stored, now);
            }
            Ok::<(), async_nats::Error>(())
        };
        let mut stop = shutdown.clone();
        tokio::select! {
            r = follow => if let Err(e) = r {
                tracing::warn!(error = %e, "following the stories stream failed; again in 1 s");
            },
            _ = stop.wait_for(|s| *s) => return,
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Compare-and-set rounds a story row may take before the article is retried.
const STORY_ROW_ATTEMPTS: usize = 16;

/// The story version a stored row holds: its `Wirefeed-Story-Version` header, else the
/// row's `version`.
fn stored_version(headers: &HeaderMap, payload: &[u8]) -> u64 {
    headers
        .get(headers::STORY_VERSION)
        .and_then(|v| v.as_str().parse().ok())
        .or_else(|| {
            serde_json::from_slice::<serde_json::Value>(payload)
                .ok()
                .and_then(|v| v["version"].as_u64())
        })
        .unwrap_or(0)
}

/// A story row that fits `limit` bytes: a story too large for one message (its
/// member list grows with every article) keeps the first members only and says so
/// (`article_ids_truncated`), so it never blocks the classify stage on a publish the
/// broker would refuse forever.
fn fit_story_row(mut row: serde_json::Value, limit: usize) -> Vec<u8> {
    let body = serde_json::to_vec(&row).expect("story serialises");
    if body.len() <= limit {
        return body;
    }
    let total = row["article_ids"].as_array().map_or(0, Vec::len);
    let mut keep = total;
    loop {
        keep /= 2;
        if let Some(ids) = row["article_ids"].as_array_mut() {
            ids.truncate(keep);
        }
        row["article_ids_truncated"] = json!(total - keep);
        let body = serde_json::to_vec(&row).expect("story serialises");
        if body.len() <= limit || keep == 0 {
            return body;
        }
    }
}

/// Publish every message and await every ack (pipelined). Any failure is transient.
async fn publish_all(js: &Context, outs: Vec<(String, Publish)>) -> Result<(), Transient> {
    let mut pending = Vec::with_capacity(outs.len());
    for (subject, publish) in outs {
        match js.send_publish(subject, publish).await {
            Ok(ack) => pending.push(ack),
            Err(e) => return Err(Transient::broker("publishing", &e)),
        }
    }
    let mut failed = None;
    for ack in pending {
        if let Err(e) = ack.await {
            failed.get_or_insert(Transient::broker("publishing", &e));
        }
    }
    failed.map_or(Ok(()), Err)
}

impl Transport for JetStream {
    type Delivery = JsDelivery;
    const PRECHECK_AT_INTAKE: bool = true;
    const FINISH_ON_SUBMIT: bool = true;

    async fn next_batch(&self, stage: Stage, max: usize) -> Vec<JsDelivery> {
        loop {
            if *self.shutdown.borrow() {
                return Vec::new();
            }
            let c = match self.consumer(stage).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(stage = stage.as_str(), error = %e, "consumer not available; retrying");
                    self.pause(Duration::from_secs(1)).await;
                    continue;
                }
            };
            // a bound over the whole pull, whatever the client library's timers do
            let pulled = tokio::time::timeout(PULL_LIMIT, self.pull(&c, max))
                .await
                .unwrap_or_else(|_| {
                    tracing::warn!(stage = stage.as_str(), limit = ?PULL_LIMIT, "a pull got no answer from the broker; pulling again");
                    Err(format!("no answer within {PULL_LIMIT:?}"))
                });
            let msgs = match pulled {
                Ok(m) => m,
                Err(e) => {
                    tracing::debug!(stage = stage.as_str(), error = %e, "pull failed");
                    // e.g. disconnected: do not spin on a failing pull
                    self.pause(Duration::from_millis(500)).await;
                    continue;
                }
            };
            let attempts = self.attempts(stage);
            let mut out: Vec<JsDelivery> = Vec::with_capacity(msgs.len());
            for msg in msgs {
                let (delivered, seq) = msg
                    .info()
                    .map(|i| (i.delivered, i.stream_sequence))
                    .unwrap_or((1, 0));
                match attempts.begin(seq) {
                    Begin::Start(not_counted) => out.push(JsDelivery {
                        msg,
                        attempt: delivered - not_counted,
                        seq,
                        attempts: attempts.clone(),
                    }),
                    // still being retried here: the running delivery settles it
                    Begin::InFlight => {}
                    // sent before it was settled here: its outputs are stored
                    Begin::Settled => {
                        let _ = msg.ack().await;
                    }
                }
            }
            if !out.is_empty() {
                return out;
            }
        }
    }

    async fn submit(&self, raw: &RawInput) -> Result<(), Transient> {
        let publish = Publish::build()
            .payload(raw.bytes.clone())
            .message_id(raw.hash.as_str())
            .header(headers::SOURCE_ID, raw.hash.as_str())
            .header(headers::SOURCE_PATH, raw.name.as_str())
            .header(headers::READY_AT, raw.ready_at.to_string());
        publish_all(&self.js, vec![(self.names.raw(), publish)]).await
    }

    fn cleans_at_intake(&self) -> bool {
        self.cfg.role.runs(Stage::Clean)
    }

    async fn submit_cleaned(&self, raw: &RawInput, out: &[Emit]) -> Result<(), Failure> {
        self.store(Stage::Clean, raw.ready_at, out).await
    }

    async fn forward(&self, stage: Stage, input: &JsDelivery, out: &[Emit]) -> Result<(), Failure> {
        self.store(stage, input.ready_at(), out).await
    }

    async fn dead_letter(&self, record: &DeadLetter) -> Result<(), Transient> {
        let mut body = record.to_json();
        if body.to_string().len() + 1024 > self.max_payload {
            // the kept payload does not fit the broker's limit: keep its head
            if let Some(o) = body.as_object_mut() {
                for k in ["payload", "payload_text", "payload_hex"] {
                    o.remove(k);
                }
                if let Kept::Payload(b) = &record.kept {
                    let head = &b[..b.len().min(self.max_payload / 4)];
                    o.insert(
                        "payload_head_text".into(),
                        json!(String::from_utf8_lossy(head)),
                    );
                    o.insert("payload_truncated".into(), json!(true));
                }
            }
        }
        // the file name is part of a rejection's id: two bad files with the same
        // bytes are two dead letters, while a re-rejection after a crash is stored once
        let msg_id = match &record.path {
            Some(name) if matches!(record.kept, Kept::File(_)) => {
                format!("{}:dlq:{}:{name}", record.id, record.stage)
            }
            _ => format!("{}:dlq:{}", record.id, record.stage),
        };
        let publish = Publish::build()
            .payload(Bytes::from(body.to_string()))
            .message_id(msg_id)
            .header(headers::ERROR_TYPE, record.error_type)
            .header(headers::ORIGINAL_ID, record.id.as_str());
        publish_all(
            &self.js,
            vec![(self.names.dead_letter(record.stage), publish)],
        )
        .await
    }
}

pub async fn run(
    config: Config,
    engine: Arc<super::reload::Engines>,
    health: Arc<Health>,
    shutdown: watch::Receiver<bool>,
    stories: Arc<super::stories::Stories>,
    brief: Arc<super::stories::Brief>,
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
    stories.attach(&js).await;
    if cfg.stories.enabled {
        // every process's /brief shows the whole table, whoever wrote the rows
        tokio::spawn(follow_stories(
            js.clone(),
            names.clone(),
            brief.clone(),
            shutdown.clone(),
        ));
    }

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

    let max_payload = client.server_info().max_payload;
    let explicit = cfg.inbox.max_file_bytes != super::config::InboxConfig::default().max_file_bytes;
    let limit = inbox_limit(cfg.inbox.max_file_bytes, explicit, max_payload)?;
    let cfg = if limit != cfg.inbox.max_file_bytes {
        let mut c = (*cfg).clone();
        c.inbox.max_file_bytes = limit;
        Arc::new(c)
    } else {
        cfg
    };
    let transport = Arc::new(JetStream::new(
        js,
        cfg.clone(),
        max_payload,
        shutdown.clone(),
    ));
    let pipeline = Pipeline {
        transport,
        engine,
        health,
        shutdown,
        max_deliver: cfg.nats.max_deliver,
        stories,
        brief,
    };
    pipeline.run(cfg.clone(), cfg.inbox.publish_window).await;
    let _ = tokio::time::timeout(super::pipeline::FLUSH_LIMIT, client.flush()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_skip_in_flight_and_ack_late_redeliveries_of_settled_messages() {
        let a = Attempts {
            inner: Default::default(),
        };
        assert_eq!(a.begin(7), Begin::Start(0));
        // the ack wait ran out while it was retried here: the redelivery is skipped
        assert_eq!(a.begin(7), Begin::InFlight);
        // it ended transiently: the next delivery does not count the two before it
        a.end(7, false);
        assert_eq!(a.begin(7), Begin::Start(2));
        a.end(7, true);
        // a redelivery that was already on its way when it was acked
        assert_eq!(a.begin(7), Begin::Settled);
        assert_eq!(a.begin(8), Begin::Start(0));
    }

    #[test]
    fn a_story_row_too_large_for_the_broker_keeps_its_first_members() {
        let ids: Vec<String> = (0..10_000).map(|i| format!("{i:064}-0")).collect();
        let row = json!({"id": "t-1", "articles": 10_000, "article_ids": ids});
        let small = fit_story_row(row.clone(), 1 << 20);
        assert_eq!(small, serde_json::to_vec(&row).unwrap());
        let cut: serde_json::Value = serde_json::from_slice(&fit_story_row(row, 100_000)).unwrap();
        let kept = cut["article_ids"].as_array().unwrap().len();
        assert!(kept > 0 && kept < 10_000);
        assert_eq!(cut["article_ids_truncated"], 10_000 - kept);
        assert_eq!(cut["article_ids"][0], format!("{:064}-0", 0));
        assert_eq!(cut["articles"], 10_000);
    }

    #[test]
    fn settled_memory_is_bounded() {
        let a = Attempts {
            inner: Default::default(),
        };
        for seq in 0..(SETTLED_MEMORY as u64 + 10) {
            assert_eq!(a.begin(seq), Begin::Start(0));
            a.end(seq, true);
        }
        let st = a.inner.lock().unwrap();
        assert_eq!(st.settled.len(), SETTLED_MEMORY);
        assert_eq!(st.settled_set.len(), SETTLED_MEMORY);
        assert!(!st.settled_set.contains(&0));
    }
}
