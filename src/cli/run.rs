//! `wirefeed run`, `wirefeed config` and `wirefeed healthcheck`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;

use super::DataArgs;
use crate::daemon::config::{Config, LogFormat, Role, DEFAULT_TOML};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Configuration file (see `wirefeed config --default`).
    #[arg(long, short = 'c', value_name = "FILE", env = "WIREFEED_CONFIG")]
    pub config: Option<PathBuf>,
    /// Part of the pipeline this process runs (overrides `role`).
    #[arg(long, value_enum)]
    pub role: Option<Role>,
    /// NATS URL(s); without one, wirefeed runs embedded (overrides `nats.url`).
    #[arg(long, value_name = "URL")]
    pub nats_url: Option<String>,
    /// Inbox folder (overrides `inbox.dir`).
    #[arg(long, value_name = "DIR")]
    pub inbox: Option<PathBuf>,
    /// Outbox folder in embedded mode (overrides `embedded.outbox_dir`).
    #[arg(long, value_name = "DIR")]
    pub outbox: Option<PathBuf>,
    /// Metrics/health listener address, "" to disable (overrides `metrics.listen`).
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// Log format (overrides `log_format`).
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Print the commented default configuration.
    #[arg(long, conflicts_with = "check")]
    pub default: bool,
    /// Check a configuration file (and WIREFEED_* overrides); print the effective config.
    #[arg(long, value_name = "FILE")]
    pub check: Option<PathBuf>,
}

fn env_vars() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("WIREFEED_"))
        .collect()
}

pub fn config(args: &ConfigArgs) -> Result<ExitCode> {
    if let Some(path) = &args.check {
        let c = Config::load(Some(path), &env_vars())?;
        // secrets (password, token, nkey, a password in the URL) are redacted
        print!("{}", c.to_redacted_toml()?);
        return Ok(ExitCode::SUCCESS);
    }
    print!("{DEFAULT_TOML}");
    Ok(ExitCode::SUCCESS)
}

pub fn healthcheck(url: &str) -> Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let ok = rt
        .block_on(crate::daemon::http::check(url))
        .unwrap_or(false);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// stderr for logs, never failing: a log line that cannot be written (stderr is a
/// closed pipe, a full disk) is dropped. The default writer reports the failure with
/// `eprintln!`, which panics on the same broken pipe and ends the daemon with 101.
struct LossyStderr;

impl std::io::Write for LossyStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = std::io::stderr().write_all(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}

/// Raise the soft limit of open files to the hard limit (the default soft limit,
/// often 1024, is what a flood of connections or files runs into first).
fn raise_file_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on a stack value
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,async_nats=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| LossyStderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.with_target(false).init(),
    }
}

pub fn run(args: &RunArgs) -> Result<ExitCode> {
    let mut config = Config::load(args.config.as_deref(), &env_vars())?;
    if let Some(r) = args.role {
        config.role = r;
    }
    if let Some(u) = &args.nats_url {
        config.nats.url = u.clone();
    }
    if let Some(d) = &args.inbox {
        config.inbox.dir = d.clone();
    }
    if let Some(d) = &args.outbox {
        config.embedded.outbox_dir = d.clone();
    }
    if let Some(l) = &args.metrics_listen {
        config.metrics.listen = l.clone();
    }
    if let Some(f) = args.log_format {
        config.log_format = f;
    }
    config.validate()?;
    init_logging(config.log_format);
    let mut data = args.data.clone();
    if data.data.is_none() {
        data.data = config.data_dir.clone();
    }
    let max_file_bytes = config.inbox.max_file_bytes;
    let engine = Arc::new(data.engine()?.with_max_input_bytes(max_file_bytes));
    // SIGHUP rebuilds the engine from the same folders (built-in data + overlays)
    let loader: crate::daemon::reload::Loader = Box::new(move || {
        let set = data.data_set().map_err(|e| vec![format!("{e:#}")])?;
        crate::engine::Engine::from_data(&set)
            .map(|e| e.with_max_input_bytes(max_file_bytes))
            .map_err(|errors| errors.iter().map(ToString::to_string).collect())
    });
    let engines = crate::daemon::reload::Engines::reloadable(engine, loader);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    raise_file_limit();
    rt.block_on(async move {
        let (tx, rx) = crate::daemon::shutdown_channel();
        crate::daemon::spawn_signal_handler(tx);
        crate::daemon::run(config, engines, rx).await
    })?;
    // in-flight blocking tasks past the drain deadline must not hold the exit
    rt.shutdown_timeout(crate::daemon::pipeline::RUNTIME_LIMIT);
    Ok(ExitCode::SUCCESS)
}
