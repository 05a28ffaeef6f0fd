//! Daemon configuration: `wirefeed.toml`, every key overridable by an environment
//! variable `WIREFEED_<SECTION>_<KEY>` (top-level keys: `WIREFEED_<KEY>`), the main
//! ones by flags. Unknown keys are errors with line numbers.

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

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
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
    pub password: Option<String>,
    /// Token authentication.
    pub token: Option<String>,
    /// NKey seed (SU…) for NKey authentication.
    pub nkey: Option<String>,
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
    /// Concurrent messages in the clean stage.
    pub clean_concurrency: usize,
    /// Concurrent messages in the tag stage.
    pub tag_concurrency: usize,
    /// Concurrent messages in the classify stage.
    pub classify_concurrency: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Address of the /metrics, /healthz and /readyz listener; empty disables it.
    pub listen: String,
    /// Seconds between backlog (consumer pending) refreshes.
    pub backlog_interval_secs: u64,
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
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        StagesConfig {
            clean_concurrency: cores,
            tag_concurrency: cores,
            classify_concurrency: cores,
        }
    }
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            listen: "0.0.0.0:9464".into(),
            backlog_interval_secs: 5,
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
            .map_err(|e| anyhow::anyhow!("environment override: {}", e.message()))?;
        config.validate()?;
        Ok(config)
    }

    /// Semantic checks the types cannot express.
    pub fn validate(&self) -> Result<()> {
        if self.inbox.quiet_period_ms == 0 {
            bail!("inbox.quiet_period_ms must be > 0");
        }
        if self.inbox.publish_window == 0 || self.inbox.event_queue == 0 {
            bail!("inbox.publish_window and inbox.event_queue must be > 0");
        }
        if self.stages.clean_concurrency == 0
            || self.stages.tag_concurrency == 0
            || self.stages.classify_concurrency == 0
        {
            bail!("stages.*_concurrency must be > 0");
        }
        if self.embedded.queue_capacity == 0 {
            bail!("embedded.queue_capacity must be > 0");
        }
        if !(1..=5).contains(&self.nats.replicas) {
            bail!("nats.replicas must be between 1 and 5");
        }
        if self.nats.max_deliver < 1 {
            bail!("nats.max_deliver must be >= 1");
        }
        if self.nats.subject_prefix.is_empty() || self.nats.subject_prefix.contains([' ', '*', '>'])
        {
            bail!("nats.subject_prefix must be a plain subject token");
        }
        if self.nats.password.is_some() != self.nats.user.is_some() {
            bail!("nats.user and nats.password go together");
        }
        if self.nats.tls_cert_file.is_some() != self.nats.tls_key_file.is_some() {
            bail!("nats.tls_cert_file and nats.tls_key_file go together");
        }
        if self.role != Role::All && self.nats.url.is_empty() {
            bail!(
                "role {:?} needs nats.url (roles other than `all` only make sense against NATS)",
                self.role
            );
        }
        Ok(())
    }

    pub fn quiet_period(&self) -> Duration {
        Duration::from_millis(self.inbox.quiet_period_ms)
    }

    /// Embedded mode: no NATS URL configured.
    pub fn embedded_mode(&self) -> bool {
        self.nats.url.trim().is_empty()
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
            eprintln!("warning: environment variable {name} is not a wirefeed setting; ignored (see `wirefeed config --default`)");
            continue;
        };
        let value = match default {
            Some(toml::Value::Integer(_)) => toml::Value::Integer(
                raw.trim()
                    .parse()
                    .with_context(|| format!("{name}={raw:?}: expected an integer"))?,
            ),
            Some(toml::Value::Float(_)) => toml::Value::Float(
                raw.trim()
                    .parse()
                    .with_context(|| format!("{name}={raw:?}: expected a number"))?,
            ),
            Some(toml::Value::Boolean(_)) => toml::Value::Boolean(match raw.trim() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => bail!("{name}={raw:?}: expected true or false"),
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
        // concurrency defaults depend on the machine; the file states them explicitly
        let d = Config {
            stages: c.stages.clone(),
            ..Config::default()
        };
        assert_eq!(c, d);
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
        assert_eq!(c.nats.token.as_deref(), Some("s3cret"));
        assert_eq!(c.inbox.processed_dir, PathBuf::from("/spool/done"));
        let bad = vec![("WIREFEED_NATS_REPLICAS".to_string(), "three".to_string())];
        assert!(Config::load(None, &bad).is_err());
    }

    #[test]
    fn roles_need_nats() {
        let env = vec![("WIREFEED_ROLE".to_string(), "tag".to_string())];
        assert!(Config::load(None, &env).is_err());
    }
}
