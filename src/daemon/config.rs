//! Daemon configuration: `wirefeed.toml`, every key overridable by an environment
//! variable `WIREFEED_<SECTION>_<KEY>` (top-level keys: `WIREFEED_<KEY>`), the main
//! ones by flags. Unknown keys are errors with line numbers.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

/// Which part of the pipeline this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Watcher and all stages in one process.
    All,
    /// Only the inbox watcher (publishes files to `<prefix>.raw`).
    Watcher,
    /// Only the clean stage.
    Clean,
    /// Only the tag stage.
    Tag,
    /// Only the classify stage (publishes outputs).
    Classify,
}

impl Role {
    pub fn runs_watcher(self) -> bool {
        matches!(self, Role::All | Role::Watcher)
    }
    pub fn runs(self, stage: crate::daemon::Stage) -> bool {
        use crate::daemon::Stage;
        matches!(
            (self, stage),
            (Role::All, _)
                | (Role::Clean, Stage::Clean)
                | (Role::Tag, Stage::Tag)
                | (Role::Classify, Stage::Classify)
        )
    }
}

/// What happens to a file once it is safely in the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnSuccess {
    /// Move it to `processed_dir`.
    Move,
    /// Delete it.
    Delete,
}

/// A JetStream KV bucket name: `[A-Za-z0-9_-]{1,64}`.
fn valid_bucket(b: &str) -> bool {
    !b.is_empty()
        && b.len() <= 64
        && b.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// A secret (password, token, NKey seed): its `Debug`, `Display` and serialised forms
/// are `<redacted>`, so it cannot reach a log line or `wirefeed config --check`.
/// [`Secret::expose`] is the one way to the value, for the connection itself.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str("<redacted>")
    }
}

/// `nats://user:password@host:4222,…` with every password (and a lone token) in the
/// user-info part replaced by `<redacted>`.
pub fn redact_url(urls: &str) -> String {
    urls.split(',')
        .map(|u| {
            let (scheme, rest) = match u.find("://") {
                Some(i) => (&u[..i + 3], &u[i + 3..]),
                None => ("", u),
            };
            let host_start = rest.find(['/', '?']).unwrap_or(rest.len());
            match rest[..host_start].rfind('@') {
                Some(at) => {
                    let user = match rest[..at].split_once(':') {
                        Some((user, _)) => format!("{user}:<redacted>"),
                        None => "<redacted>".to_string(),
                    };
                    format!("{scheme}{user}{}", &rest[at..])
                }
                None => u.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Which transport the daemon runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// No NATS: in-process queues, outputs in the outbox.
    Embedded,
    /// NATS JetStream at these URLs.
    JetStream { urls: Vec<String> },
}

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Which part of the pipeline this process runs: all, watcher, clean, tag, classify.
    pub role: Role,
    /// Log format: text or json.
    pub log_format: LogFormat,
    /// Extra data folder (topics/, gazetteer/, …) layered over the built-in data.
    pub data_dir: Option<PathBuf>,
    pub inbox: InboxConfig,
    pub nats: NatsConfig,
    pub embedded: EmbeddedConfig,
    pub stages: StagesConfig,
    pub metrics: MetricsConfig,
    pub shutdown: ShutdownConfig,
    pub stories: StoriesConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InboxConfig {
    /// Folder watched for new articles.
    pub dir: PathBuf,
    /// Where files go after their content is safely in the pipeline.
    pub processed_dir: PathBuf,
    /// Where files that can never be processed go, each with a `.reason` sidecar.
    pub rejected_dir: PathBuf,
    /// `move` to processed_dir, or `delete`.
    pub on_success: OnSuccess,
    /// A file is complete when its size and mtime have not changed for this long (ms).
    pub quiet_period_ms: u64,
    /// Full rescan of the inbox every this many seconds (events are only hints).
    pub rescan_interval_secs: u64,
    /// Files larger than this are rejected (bytes). Keep below the NATS max_payload.
    pub max_file_bytes: usize,
    /// Files read and published concurrently (bounded in-flight publishes).
    pub publish_window: usize,
    /// Capacity of the file-event queue; when it overflows the watcher rescans.
    pub event_queue: usize,
    /// Follow symbolic links in the inbox (only to regular files inside the inbox);
    /// off: links are refused and moved to rejected/.
    pub follow_symlinks: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NatsConfig {
    /// NATS server URL(s), comma-separated. Empty: embedded mode (no NATS).
    pub url: String,
    /// Subject prefix: <prefix>.raw, .clean, .tagged, .out.<topic>, .dlq.<stage>.
    pub subject_prefix: String,
    /// Stream name prefix: <prefix>_PIPELINE, <prefix>_OUT, <prefix>_DLQ.
    pub stream_prefix: String,
    /// Stream replicas (1 on a single server, 3 on a cluster).
    pub replicas: usize,
    /// How long outputs and dead letters are kept (seconds).
    pub output_max_age_secs: u64,
    /// JetStream duplicate window (seconds): the same message id is stored once within it.
    pub duplicate_window_secs: u64,
    /// Deliveries before a message is dead-lettered.
    pub max_deliver: i64,
    /// Seconds before an unacked message is redelivered.
    pub ack_wait_secs: u64,
    /// Outstanding unacked messages per stage consumer (bounds memory).
    pub max_ack_pending: i64,
    /// User name (with password).
    pub user: Option<String>,
    pub password: Option<Secret>,
    /// Token authentication.
    pub token: Option<Secret>,
    /// NKey seed (SU…) for NKey authentication.
    pub nkey: Option<Secret>,
    /// Credentials file (JWT + NKey).
    pub creds_file: Option<PathBuf>,
    /// Require TLS.
    pub tls_required: bool,
    /// Custom CA certificate (PEM).
    pub tls_ca_file: Option<PathBuf>,
    /// Client certificate and key (PEM) for mutual TLS.
    pub tls_cert_file: Option<PathBuf>,
    pub tls_key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmbeddedConfig {
    /// Outputs go to <outbox_dir>/<topic>/<article-id>.json.
    pub outbox_dir: PathBuf,
    /// Capacity of each in-process queue between stages.
    pub queue_capacity: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StagesConfig {
    /// Messages in flight in the clean stage (pulled, being processed, or being
    /// stored): the CPU work itself is bounded by the worker pool (one thread per
    /// core), so more in flight than cores overlaps the broker's round trips with it.
    pub clean_concurrency: usize,
    /// Messages in flight in the tag stage.
    pub tag_concurrency: usize,
    /// Messages in flight in the classify stage.
    pub classify_concurrency: usize,
}

/// Default messages in flight per stage, per core (see [`StagesConfig`]): measured on
/// 2 cores (`wirefeed-bench --backlog 3000 --rate 0`, JetStream), 2 in flight per stage
/// gave 620 articles/s, 16 gave 766/s and 64 gave 773/s.
pub const IN_FLIGHT_PER_CORE: usize = 8;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Address of the /metrics, /healthz and /readyz listener; empty disables it.
    pub listen: String,
    /// Seconds between backlog (consumer pending) refreshes.
    pub backlog_interval_secs: u64,
    /// Connections the listener serves at once; more are closed at once.
    pub max_connections: usize,
}

/// Stories (duplicates, event clusters, breaking alerts; docs/stories.md) in the
/// classify stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoriesConfig {
    /// Group articles into stories, write the stories table and alerts, serve `/brief`.
    pub enabled: bool,
    /// Story settings file (TOML, the keys of `data/stories.toml`); unset: the shipped one.
    pub settings: Option<PathBuf>,
    /// The durable story state (an fsynced observation log, replayed at start, locked
    /// by one process); unset: `<embedded.outbox_dir>/stories/state.log` (JetStream:
    /// the first free `state-<n>.log` there, one per classify process, when `store`
    /// is `local`).
    pub state: Option<PathBuf>,
    /// Where the story window lives: `auto` (now the local log: one window per classify
    /// process), `local`, or `kv` (the JetStream KV bucket, one window shared by every
    /// classify worker; opt-in, see docs/stories.md for its cost).
    pub store: StoryStoreKind,
    /// The JetStream KV bucket of the shared story window (`store` `kv` or `auto`).
    pub bucket: String,
}

/// Where the story window lives (`stories.store`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoryStoreKind {
    /// The KV bucket on JetStream, the local log embedded.
    Auto,
    /// The local fsynced log: one window per classify process.
    Local,
    /// The JetStream KV bucket, shared by every classify worker.
    Kv,
}

impl Default for StoriesConfig {
    fn default() -> Self {
        StoriesConfig {
            enabled: true,
            settings: None,
            state: None,
            store: StoryStoreKind::Auto,
            bucket: "wirefeed_stories".to_string(),
        }
    }
}

impl StoriesConfig {
    /// Where the story state lives: `state`, else under the outbox folder.
    pub fn state_path(&self, outbox: &Path) -> PathBuf {
        self.state
            .clone()
            .unwrap_or_else(|| outbox.join("stories").join("state.log"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShutdownConfig {
    /// On SIGINT/SIGTERM, in-flight work gets this long to finish (seconds).
    pub drain_timeout_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            role: Role::All,
            log_format: LogFormat::Text,
            data_dir: None,
            inbox: InboxConfig::default(),
            nats: NatsConfig::default(),
            embedded: EmbeddedConfig::default(),
            stages: StagesConfig::default(),
            metrics: MetricsConfig::default(),
            shutdown: ShutdownConfig::default(),
            stories: StoriesConfig::default(),
        }
    }
}

impl Default for InboxConfig {
    fn default() -> Self {
        InboxConfig {
            dir: "inbox".into(),
            processed_dir: "processed".into(),
            rejected_dir: "rejected".into(),
            on_success: OnSuccess::Move,
            quiet_period_ms: 1000,
            rescan_interval_secs: 30,
            max_file_bytes: 900 * 1024,
            publish_window: 256,
            event_queue: 4096,
            follow_symlinks: false,
        }
    }
}

impl Default for NatsConfig {
    fn default() -> Self {
        NatsConfig {
            url: String::new(),
            subject_prefix: "wire".into(),
            stream_prefix: "WIREFEED".into(),
            replicas: 1,
            output_max_age_secs: 7 * 24 * 3600,
            duplicate_window_secs: 3600,
            max_deliver: 5,
            ack_wait_secs: 30,
            max_ack_pending: 1024,
            user: None,
            password: None,
            token: None,
            nkey: None,
            creds_file: None,
            tls_required: false,
            tls_ca_file: None,
            tls_cert_file: None,
            tls_key_file: None,
        }
    }
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        EmbeddedConfig {
            outbox_dir: "outbox".into(),
            queue_capacity: 256,
        }
    }
}

impl Default for StagesConfig {
    fn default() -> Self {
        let in_flight = super::workers::cores() * IN_FLIGHT_PER_CORE;
        StagesConfig {
            clean_concurrency: in_flight,
            tag_concurrency: in_flight,
            classify_concurrency: in_flight,
        }
    }
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            listen: "127.0.0.1:9464".into(),
            backlog_interval_secs: 5,
            max_connections: 64,
        }
    }
}

impl Default for ShutdownConfig {
    fn default() -> Self {
        ShutdownConfig {
            drain_timeout_secs: 10,
        }
    }
}

/// The commented default configuration (`wirefeed config --default`).
pub const DEFAULT_TOML: &str = include_str!("default.toml");

impl Config {
    /// Parse a config file's text; unknown keys and type errors carry line numbers.
    pub fn from_toml(name: &str, text: &str) -> Result<Config> {
        toml::from_str::<Config>(text).map_err(|e| {
            let err = crate::error::DataError::from_toml(name, text, &e);
            anyhow::anyhow!("{err}")
        })
    }

    /// Load: the file (if any), then `WIREFEED_*` environment overrides, then validate.
    pub fn load(path: Option<&Path>, env: &[(String, String)]) -> Result<Config> {
        let (name, text) = match path {
            Some(p) => (
                p.display().to_string(),
                std::fs::read_to_string(p)
                    .with_context(|| format!("reading config {}", p.display()))?,
            ),
            None => ("<defaults>".to_string(), String::new()),
        };
        let mut value: toml::Table = toml::from_str(&text).map_err(|e| {
            let err = crate::error::DataError::from_toml(&name, &text, &e);
            anyhow::anyhow!("{err}")
        })?;
        apply_env(&mut value, env)?;
        let merged = toml::to_string(&value)?;
        // Deserialize the file text first for precise line numbers, then the merged form.
        Config::from_toml(&name, &text)?;
        let config: Config = toml::from_str(&merged)
            .map_err(|e| anyhow::anyhow!("environment override (WIREFEED_*): {e}"))?;
        config.validate()?;
        Ok(config)
    }

    /// Semantic checks the types cannot express: every bound, naming the key and its
    /// environment variable. All problems are reported at once.
    pub fn validate(&self) -> Result<()> {
        const DAY: u64 = 24 * 3600;
        let mut p = Problems::default();
        let (i, n, st) = (&self.inbox, &self.nats, &self.stages);
        p.bound("inbox.quiet_period_ms", i.quiet_period_ms, 1, 3_600_000);
        p.bound("inbox.rescan_interval_secs", i.rescan_interval_secs, 1, DAY);
        // the engine holds a file and its text in memory; JetStream's payload
        // ceiling is 64 MiB
        p.bound("inbox.max_file_bytes", i.max_file_bytes, 1, 64 << 20);
        p.bound("inbox.publish_window", i.publish_window, 1, 65_536);
        p.bound("inbox.event_queue", i.event_queue, 1, 1 << 20);
        p.bound("stages.clean_concurrency", st.clean_concurrency, 1, 1024);
        p.bound("stages.tag_concurrency", st.tag_concurrency, 1, 1024);
        p.bound(
            "stages.classify_concurrency",
            st.classify_concurrency,
            1,
            1024,
        );
        p.bound(
            "embedded.queue_capacity",
            self.embedded.queue_capacity,
            1,
            65_536,
        );
        p.bound("nats.replicas", n.replicas, 1, 5);
        p.bound("nats.max_deliver", n.max_deliver, 1, 1000);
        p.bound("nats.ack_wait_secs", n.ack_wait_secs, 1, DAY);
        p.bound("nats.max_ack_pending", n.max_ack_pending, 1, 1_000_000);
        p.bound(
            "nats.duplicate_window_secs",
            n.duplicate_window_secs,
            1,
            30 * DAY,
        );
        p.bound(
            "nats.output_max_age_secs",
            n.output_max_age_secs,
            1,
            3650 * DAY,
        );
        p.check(n.duplicate_window_secs <= n.output_max_age_secs, || {
            format!(
                "nats.duplicate_window_secs ({}) must not exceed nats.output_max_age_secs ({}), got {} > {}",
                env_name("nats.duplicate_window_secs"),
                env_name("nats.output_max_age_secs"),
                n.duplicate_window_secs,
                n.output_max_age_secs
            )
        });
        p.bound(
            "metrics.backlog_interval_secs",
            self.metrics.backlog_interval_secs,
            1,
            DAY,
        );
        p.bound(
            "metrics.max_connections",
            self.metrics.max_connections,
            1,
            10_000,
        );
        p.bound(
            "shutdown.drain_timeout_secs",
            self.shutdown.drain_timeout_secs,
            0,
            3600,
        );
        p.check(valid_bucket(&self.stories.bucket), || {
            format!(
                "stories.bucket ({}) must be a KV bucket name of letters, digits, '-' and '_' (at most 64), got {:?}",
                env_name("stories.bucket"),
                self.stories.bucket
            )
        });
        p.check(valid_subject_prefix(&n.subject_prefix), || {
            format!(
                "nats.subject_prefix ({}) must be a NATS subject without spaces, wildcards or empty tokens, got {:?}",
                env_name("nats.subject_prefix"),
                n.subject_prefix
            )
        });
        p.check(valid_stream_prefix(&n.stream_prefix), || {
            format!(
                "nats.stream_prefix ({}) must be a stream name of at most 32 characters without spaces, '.', '*', '>', '/' or '\\', got {:?}",
                env_name("nats.stream_prefix"),
                n.stream_prefix
            )
        });
        p.check(n.password.is_some() == n.user.is_some(), || {
            "nats.user and nats.password go together (WIREFEED_NATS_USER, WIREFEED_NATS_PASSWORD)"
                .to_string()
        });
        p.check(n.tls_cert_file.is_some() == n.tls_key_file.is_some(), || {
            "nats.tls_cert_file and nats.tls_key_file go together (WIREFEED_NATS_TLS_CERT_FILE, WIREFEED_NATS_TLS_KEY_FILE)".to_string()
        });
        p.check(self.role == Role::All || !self.nats.url.trim().is_empty(), || {
            format!(
                "role {:?} needs nats.url (WIREFEED_NATS_URL): roles other than `all` only make sense against NATS",
                self.role
            )
        });
        if let Transport::JetStream { urls } = self.transport() {
            for u in urls {
                let scheme_ok = !u.contains("://")
                    || ["nats://", "tls://", "ws://", "wss://"]
                        .iter()
                        .any(|s| u.starts_with(s));
                p.check(scheme_ok, || {
                    format!(
                        "nats.url (WIREFEED_NATS_URL): unsupported scheme in {}",
                        redact_url(&u)
                    )
                });
            }
        }
        if p.0.is_empty() {
            Ok(())
        } else {
            bail!("invalid configuration:\n  {}", p.0.join("\n  "))
        }
    }

    pub fn quiet_period(&self) -> Duration {
        Duration::from_millis(self.inbox.quiet_period_ms)
    }

    /// The transport, from `nats.url`.
    pub fn transport(&self) -> Transport {
        let urls: Vec<String> = self
            .nats
            .url
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if urls.is_empty() {
            Transport::Embedded
        } else {
            Transport::JetStream { urls }
        }
    }

    /// The durations of the configuration, typed.
    pub fn durations(&self) -> Durations {
        Durations {
            quiet_period: self.quiet_period(),
            rescan_interval: Duration::from_secs(self.inbox.rescan_interval_secs),
            ack_wait: Duration::from_secs(self.nats.ack_wait_secs),
            duplicate_window: Duration::from_secs(self.nats.duplicate_window_secs),
            output_max_age: Duration::from_secs(self.nats.output_max_age_secs),
            backlog_interval: Duration::from_secs(self.metrics.backlog_interval_secs),
            drain_timeout: Duration::from_secs(self.shutdown.drain_timeout_secs),
        }
    }

    /// The configuration as `wirefeed config --check` prints it: secrets redacted,
    /// also the password in a NATS URL.
    pub fn to_redacted_toml(&self) -> Result<String> {
        let mut c = self.clone();
        c.nats.url = redact_url(&c.nats.url);
        Ok(toml::to_string(&c)?)
    }

    /// Embedded mode: no NATS URL configured.
    pub fn embedded_mode(&self) -> bool {
        self.nats.url.trim().is_empty()
    }
}

/// Every duration of the configuration, as a `Duration` (all within the bounds
/// [`Config::validate`] checks, so arithmetic on them cannot overflow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Durations {
    pub quiet_period: Duration,
    pub rescan_interval: Duration,
    pub ack_wait: Duration,
    pub duplicate_window: Duration,
    pub output_max_age: Duration,
    pub backlog_interval: Duration,
    pub drain_timeout: Duration,
}

/// The environment variable that overrides config key `key` (`inbox.dir` →
/// `WIREFEED_INBOX_DIR`).
pub fn env_name(key: &str) -> String {
    format!("WIREFEED_{}", key.replace('.', "_").to_ascii_uppercase())
}

/// Collects every out-of-bounds value, each naming its key and variable.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn bound<T: PartialOrd + std::fmt::Display + Copy>(&mut self, key: &str, v: T, lo: T, hi: T) {
        if v < lo || v > hi {
            self.0.push(format!(
                "{key} ({}) must be between {lo} and {hi}, got {v}",
                env_name(key)
            ));
        }
    }
    fn check(&mut self, ok: bool, msg: impl FnOnce() -> String) {
        if !ok {
            self.0.push(msg());
        }
    }
}

/// A NATS subject token or dotted prefix: no whitespace, no wildcards, no empty token.
fn valid_subject_prefix(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|t| {
            !t.is_empty()
                && t.chars()
                    .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '*' | '>'))
        })
}

/// A JetStream stream name: no whitespace, `.`, `*`, `>`, path separators; at most
/// 32 characters here (the daemon appends `_PIPELINE`, the server allows 255 but
/// keeps names short in file paths).
fn valid_stream_prefix(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.chars().all(|c| {
            !c.is_whitespace() && !c.is_control() && !matches!(c, '.' | '*' | '>' | '/' | '\\')
        })
}

/// JetStream API error codes that no retry can fix: the configuration has to change.
const PERMANENT_JS_CODES: &[(u64, &str)] = &[
    (10074, "nats.replicas (WIREFEED_NATS_REPLICAS) exceeds what this server or cluster can hold: use 1 on a single server"),
    (10052, "the stream configuration is invalid for this server"),
    (10058, "a stream of that name exists with a different configuration"),
    (10065, "the stream subjects overlap another stream's: pick another nats.subject_prefix (WIREFEED_NATS_SUBJECT_PREFIX)"),
    (10128, "the stream name contains a path separator: fix nats.stream_prefix (WIREFEED_NATS_STREAM_PREFIX)"),
    (10039, "JetStream is not enabled for this account"),
    (10076, "JetStream is not enabled on the server"),
];

/// A stream set-up error that retrying cannot fix (replicas beyond the cluster,
/// invalid names, JetStream off): what to change, for a clear start-up failure.
/// `None`: transient (broker away, timeouts) — retry.
pub fn permanent_setup_error(e: &anyhow::Error) -> Option<String> {
    use async_nats::jetstream::context::CreateStreamErrorKind as K;
    for cause in e.chain() {
        if let Some(err) = cause.downcast_ref::<async_nats::jetstream::context::CreateStreamError>()
        {
            if matches!(err.kind(), K::EmptyStreamName | K::InvalidStreamName) {
                return Some(format!(
                    "invalid stream name: fix nats.stream_prefix (WIREFEED_NATS_STREAM_PREFIX): {err}"
                ));
            }
        }
    }
    // the create error may be wrapped in the text of the update that followed it
    let text = format!("{e:#}");
    PERMANENT_JS_CODES.iter().find_map(|(code, what)| {
        text.contains(&format!("error code {code}"))
            .then(|| format!("{what} ({text})"))
    })
}

fn key_name(section: &Option<String>, key: &str) -> String {
    match section {
        Some(s) => format!("{s}.{key}"),
        None => key.to_string(),
    }
}

/// `WIREFEED_*` variables read elsewhere (CLI flags, scripts), not config keys.
const NOT_CONFIG: [&str; 3] = ["WIREFEED_CONFIG", "WIREFEED_DATA", "WIREFEED_BIN"];

/// Apply `WIREFEED_<SECTION>_<KEY>` / `WIREFEED_<KEY>` variables to the table, typed
/// after the default configuration's value for that key.
fn apply_env(table: &mut toml::Table, env: &[(String, String)]) -> Result<()> {
    let defaults = toml::Table::try_from(Config::default())?;
    let mut known: Vec<(Option<String>, String, Option<toml::Value>)> = Vec::new();
    for (k, v) in &defaults {
        match v {
            toml::Value::Table(t) => {
                for (k2, v2) in t {
                    known.push((Some(k.clone()), k2.clone(), Some(v2.clone())));
                }
            }
            other => known.push((None, k.clone(), Some(other.clone()))),
        }
    }
    // Keys whose default is None do not serialise; list them explicitly.
    for (section, key) in [
        (None, "data_dir"),
        (Some("nats"), "user"),
        (Some("nats"), "password"),
        (Some("nats"), "token"),
        (Some("nats"), "nkey"),
        (Some("nats"), "creds_file"),
        (Some("nats"), "tls_ca_file"),
        (Some("nats"), "tls_cert_file"),
        (Some("nats"), "tls_key_file"),
        (Some("stories"), "settings"),
        (Some("stories"), "state"),
    ] {
        known.push((section.map(str::to_string), key.to_string(), None));
    }
    for (name, raw) in env {
        let Some(rest) = name.strip_prefix("WIREFEED_") else {
            continue;
        };
        if NOT_CONFIG.contains(&name.as_str()) {
            continue;
        }
        let rest = rest.to_ascii_lowercase();
        // short names for the folders, as the deployment docs spell them
        let rest = match rest.as_str() {
            "processed_dir" => "inbox_processed_dir".to_string(),
            "rejected_dir" => "inbox_rejected_dir".to_string(),
            "outbox_dir" => "embedded_outbox_dir".to_string(),
            _ => rest,
        };
        let Some((section, key, default)) = known.iter().find(|(s, k, _)| match s {
            Some(s) => rest == format!("{s}_{k}"),
            None => rest == *k,
        }) else {
            // not eprintln!: it panics when stderr is a closed pipe
            let _ = writeln!(
                std::io::stderr(),
                "warning: environment variable {name} is not a wirefeed setting; ignored (see `wirefeed config --default`)"
            );
            continue;
        };
        let value = match default {
            Some(toml::Value::Integer(_)) => {
                toml::Value::Integer(raw.trim().parse().with_context(|| {
                    format!(
                        "{name}={raw:?} ({}): expected an integer",
                        key_name(section, key)
                    )
                })?)
            }
            Some(toml::Value::Float(_)) => {
                toml::Value::Float(raw.trim().parse().with_context(|| {
                    format!(
                        "{name}={raw:?} ({}): expected a number",
                        key_name(section, key)
                    )
                })?)
            }
            Some(toml::Value::Boolean(_)) => toml::Value::Boolean(match raw.trim() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => bail!(
                    "{name}={raw:?} ({}): expected true or false",
                    key_name(section, key)
                ),
            }),
            _ => toml::Value::String(raw.clone()),
        };
        let target = match section {
            Some(s) => table
                .entry(s.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
                .with_context(|| format!("config key {s} must be a table"))?,
            None => &mut *table,
        };
        target.insert(key.clone(), value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_toml_parses_to_defaults() {
        let c = Config::from_toml("default.toml", DEFAULT_TOML).unwrap();
        assert_eq!(c, Config::default());
        let in_flight = crate::daemon::workers::cores() * IN_FLIGHT_PER_CORE;
        assert_eq!(c.stages.classify_concurrency, in_flight);
    }

    #[test]
    fn unknown_key_reports_line() {
        let text = "role = \"all\"\n\n[inbox]\ndir = \"x\"\nquiet_ms = 5\n";
        let err = Config::from_toml("w.toml", text).unwrap_err().to_string();
        assert!(err.starts_with("w.toml:5:"), "{err}");
        assert!(err.contains("quiet_ms"), "{err}");
    }

    #[test]
    fn env_overrides_are_typed() {
        let env = vec![
            (
                "WIREFEED_NATS_URL".to_string(),
                "nats://127.0.0.1:4222".to_string(),
            ),
            ("WIREFEED_NATS_REPLICAS".to_string(), "3".to_string()),
            ("WIREFEED_ROLE".to_string(), "clean".to_string()),
            ("WIREFEED_NATS_TOKEN".to_string(), "s3cret".to_string()),
            ("WIREFEED_UNRELATED".to_string(), "x".to_string()),
            (
                "WIREFEED_PROCESSED_DIR".to_string(),
                "/spool/done".to_string(),
            ),
        ];
        let c = Config::load(None, &env).unwrap();
        assert_eq!(c.nats.url, "nats://127.0.0.1:4222");
        assert_eq!(c.nats.replicas, 3);
        assert_eq!(c.role, Role::Clean);
        assert_eq!(c.nats.token.as_ref().map(Secret::expose), Some("s3cret"));
        assert_eq!(c.inbox.processed_dir, PathBuf::from("/spool/done"));
        let stories = vec![
            ("WIREFEED_STORIES_ENABLED".to_string(), "off".to_string()),
            (
                "WIREFEED_STORIES_STATE".to_string(),
                "/var/s.log".to_string(),
            ),
        ];
        let c = Config::load(None, &stories).unwrap();
        assert!(!c.stories.enabled);
        assert_eq!(c.stories.state, Some(PathBuf::from("/var/s.log")));
        assert_eq!(c.stories.store, StoryStoreKind::Auto);
        let kv = vec![
            ("WIREFEED_STORIES_STORE".to_string(), "kv".to_string()),
            ("WIREFEED_STORIES_BUCKET".to_string(), "desk_1".to_string()),
            ("WIREFEED_NATS_URL".to_string(), "nats://n:4222".to_string()),
        ];
        let c = Config::load(None, &kv).unwrap();
        assert_eq!(c.stories.store, StoryStoreKind::Kv);
        assert_eq!(c.stories.bucket, "desk_1");
        let bad = [("WIREFEED_STORIES_BUCKET".to_string(), "a.b".to_string())];
        let e = Config::load(None, &bad).unwrap_err();
        assert!(format!("{e:#}").contains("stories.bucket"), "{e:#}");
        let bad = vec![("WIREFEED_NATS_REPLICAS".to_string(), "three".to_string())];
        assert!(Config::load(None, &bad).is_err());
    }

    #[test]
    fn roles_need_nats() {
        let env = vec![("WIREFEED_ROLE".to_string(), "tag".to_string())];
        assert!(Config::load(None, &env).is_err());
    }
}
