//! The inbox watcher: decides when a file is complete and hands it on, once.
//!
//! `notify` events are hints. The source of truth is a full scan at start-up, after an
//! event-queue overflow, and periodically. A file is ready on close-after-write or
//! rename-into-place, or when its size and mtime have been stable for the quiet
//! period. Hidden and temporary names are ignored until renamed. A path handed on is
//! "claimed" until the intake releases it, so it is never handed on twice at once.
//!
//! A file seen being created or written (and not yet closed) is "open for write": a
//! writer that pauses longer than the quiet period must not have its half-written
//! file taken. Such a file waits for its close-after-write event, or — if that event
//! is lost (queue overflow, hard links) — for [`WRITER_GRACE_FACTOR`] quiet periods
//! of stillness. A writer that dies still produces the close event (the kernel closes
//! its descriptors).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use notify::event::{AccessKind, AccessMode, CreateKind, EventKind, ModifyKind, RenameMode};
use notify::{RecursiveMode, Watcher as _};
use tokio::sync::{mpsc, watch};

/// Names the watcher never takes: hidden files and temporary names.
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with(".tmp")
        || name.ends_with(".part")
        || name.ends_with('~')
        || name.ends_with(".reason")
}

/// Paths handed on and not yet released by the intake.
#[derive(Debug, Clone, Default)]
pub struct Claims(Arc<Mutex<HashSet<PathBuf>>>);

impl Claims {
    fn claim(&self, p: &Path) -> bool {
        self.0.lock().expect("claims lock").insert(p.to_path_buf())
    }
    fn is_claimed(&self, p: &Path) -> bool {
        self.0.lock().expect("claims lock").contains(p)
    }
    /// The intake is done with `p` (moved, deleted, rejected, or vanished).
    pub fn release(&self, p: &Path) {
        self.0.lock().expect("claims lock").remove(p);
    }
    /// Read a claimed file; a file that vanished meanwhile is released and skipped.
    pub async fn read(&self, p: &Path) -> Option<Vec<u8>> {
        match tokio::fs::read(p).await {
            Ok(b) => Some(b),
            Err(e) => {
                tracing::warn!(path = %p.display(), error = %e, "file vanished before it was read");
                self.release(p);
                None
            }
        }
    }
    pub fn len(&self) -> usize {
        self.0.lock().expect("claims lock").len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the watcher knows about a file that is not yet handed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub size: u64,
    pub mtime: Option<SystemTime>,
    /// When (size, mtime) were last seen to change.
    pub changed_at: Instant,
    /// A close-after-write or rename-into-place event was seen since the last change.
    pub complete_hint: bool,
    /// A create or write event was seen and no close-after-write since.
    pub open_for_write: bool,
}

/// A file open for write is taken without its close event only after this many
/// quiet periods of stillness.
pub const WRITER_GRACE_FACTOR: u32 = 10;

/// The watcher's decision state, separate from IO so it can be model-tested.
#[derive(Debug, Default)]
pub struct State {
    pub candidates: HashMap<PathBuf, Candidate>,
}

impl State {
    /// Record an observation of `path` with its current (size, mtime).
    pub fn observe(&mut self, path: &Path, size: u64, mtime: Option<SystemTime>, now: Instant) {
        match self.candidates.get_mut(path) {
            Some(c) if c.size == size && c.mtime == mtime => {}
            Some(c) => {
                c.size = size;
                c.mtime = mtime;
                c.changed_at = now;
                c.complete_hint = false;
            }
            None => {
                self.candidates.insert(
                    path.to_path_buf(),
                    Candidate {
                        size,
                        mtime,
                        changed_at: now,
                        complete_hint: false,
                        open_for_write: false,
                    },
                );
            }
        }
    }

    /// A close-after-write / rename-into-place event for `path`.
    pub fn hint_complete(&mut self, path: &Path) {
        if let Some(c) = self.candidates.get_mut(path) {
            c.complete_hint = true;
            c.open_for_write = false;
        }
    }

    /// A create / write event for `path`: a writer has it open.
    pub fn hint_writing(&mut self, path: &Path) {
        if let Some(c) = self.candidates.get_mut(path) {
            c.open_for_write = true;
            c.complete_hint = false;
        }
    }

    /// The file is gone.
    pub fn forget(&mut self, path: &Path) {
        self.candidates.remove(path);
    }

    /// Candidates that are complete now, in path order (removed from the state).
    pub fn take_ready(&mut self, now: Instant, quiet: Duration) -> Vec<PathBuf> {
        let mut ready: Vec<PathBuf> = self
            .candidates
            .iter()
            .filter(|(_, c)| {
                let still = now.duration_since(c.changed_at);
                c.complete_hint
                    || (!c.open_for_write && still >= quiet)
                    || still >= quiet * WRITER_GRACE_FACTOR
            })
            .map(|(p, _)| p.clone())
            .collect();
        ready.sort();
        for p in &ready {
            self.candidates.remove(p);
        }
        ready
    }
}

/// Watcher settings.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub dir: PathBuf,
    pub quiet: Duration,
    pub rescan_every: Duration,
    pub event_queue: usize,
}

fn stat(path: &Path) -> Option<(u64, Option<SystemTime>)> {
    let md = std::fs::metadata(path).ok()?;
    if !md.is_file() {
        return None;
    }
    Some((md.len(), md.modified().ok()))
}

fn takeable(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| !is_ignored_name(n))
}

/// Run until shutdown: hand complete files to `tx`.
pub async fn run(
    cfg: WatchConfig,
    claims: Claims,
    tx: mpsc::Sender<PathBuf>,
    mut shutdown: watch::Receiver<bool>,
    running: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&cfg.dir)?;
    let dir = std::fs::canonicalize(&cfg.dir)?;
    let overflow = Arc::new(AtomicBool::new(true)); // start with a full scan
    let (ev_tx, mut ev_rx) = mpsc::channel::<notify::Event>(cfg.event_queue);
    let flag = overflow.clone();
    let mut watcher =
        notify::recommended_watcher(move |res: notify::Result<notify::Event>| match res {
            Ok(ev) => {
                if ev.need_rescan() || ev_tx.try_send(ev).is_err() {
                    flag.store(true, Ordering::SeqCst);
                }
            }
            Err(_) => flag.store(true, Ordering::SeqCst),
        })?;
    watcher.watch(&dir, RecursiveMode::NonRecursive)?;
    running.store(true, Ordering::SeqCst);
    tracing::info!(dir = %dir.display(), "watcher started");

    let mut state = State::default();
    let tick_every = (cfg.quiet / 4).clamp(Duration::from_millis(20), Duration::from_millis(250));
    let mut tick = tokio::time::interval(tick_every);
    let mut last_scan = Instant::now();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            Some(ev) = ev_rx.recv() => {
                let now = Instant::now();
                let complete = matches!(
                    ev.kind,
                    EventKind::Access(AccessKind::Close(AccessMode::Write))
                        | EventKind::Modify(ModifyKind::Name(RenameMode::To))
                        | EventKind::Modify(ModifyKind::Name(RenameMode::Both))
                );
                let writing = matches!(
                    ev.kind,
                    EventKind::Create(CreateKind::File) | EventKind::Modify(ModifyKind::Data(_))
                );
                for (i, path) in ev.paths.iter().enumerate() {
                    // for a Both rename, the first path is the old name
                    if matches!(ev.kind, EventKind::Modify(ModifyKind::Name(RenameMode::Both))) && i == 0 {
                        state.forget(path);
                        continue;
                    }
                    if !takeable(path) || claims.is_claimed(path) {
                        continue;
                    }
                    match stat(path) {
                        Some((size, mtime)) => {
                            state.observe(path, size, mtime, now);
                            if complete {
                                state.hint_complete(path);
                            } else if writing {
                                state.hint_writing(path);
                            }
                        }
                        None => state.forget(path),
                    }
                }
            }
            _ = tick.tick() => {
                let now = Instant::now();
                if overflow.swap(false, Ordering::SeqCst) || now.duration_since(last_scan) >= cfg.rescan_every {
                    last_scan = now;
                    scan(&dir, &claims, &mut state, now);
                }
                // re-stat candidates: a change restarts their quiet period
                let paths: Vec<PathBuf> = state.candidates.keys().cloned().collect();
                for p in paths {
                    match stat(&p) {
                        Some((size, mtime)) => state.observe(&p, size, mtime, now),
                        None => state.forget(&p),
                    }
                }
                for path in state.take_ready(now, cfg.quiet) {
                    if !claims.claim(&path) {
                        continue;
                    }
                    metrics::counter!(crate::metrics::FILES_DETECTED).increment(1);
                    tokio::select! {
                        r = tx.send(path) => if r.is_err() { return Ok(()) },
                        _ = shutdown.changed() => { return Ok(()) }
                    }
                }
                metrics::gauge!(crate::metrics::STAGE_BACKLOG, "stage" => "watcher")
                    .set((state.candidates.len() + claims.len()) as f64);
            }
        }
    }
    running.store(false, Ordering::SeqCst);
    drop(watcher);
    Ok(())
}

fn scan(dir: &Path, claims: &Claims, state: &mut State, now: Instant) {
    let Ok(read) = std::fs::read_dir(dir) else {
        tracing::warn!(dir = %dir.display(), "inbox scan failed");
        return;
    };
    let mut seen = HashSet::new();
    for entry in read.flatten() {
        let path = entry.path();
        if !takeable(&path) || claims.is_claimed(&path) {
            continue;
        }
        if let Some((size, mtime)) = stat(&path) {
            seen.insert(path.clone());
            state.observe(&path, size, mtime, now);
        }
    }
    state.candidates.retain(|p, _| seen.contains(p));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_names() {
        for n in [".hidden", "a.tmp", "a.part", "a~", "x.reason"] {
            assert!(is_ignored_name(n), "{n}");
        }
        assert!(!is_ignored_name("article.txt"));
    }

    #[test]
    fn quiet_period_and_hints() {
        let t0 = Instant::now();
        let q = Duration::from_millis(100);
        let mut s = State::default();
        let a = Path::new("/in/a");
        s.observe(a, 10, None, t0);
        assert!(s.take_ready(t0 + Duration::from_millis(50), q).is_empty());
        // growth restarts the quiet period
        s.observe(a, 20, None, t0 + Duration::from_millis(90));
        assert!(s.take_ready(t0 + Duration::from_millis(150), q).is_empty());
        assert_eq!(
            s.take_ready(t0 + Duration::from_millis(200), q),
            vec![a.to_path_buf()]
        );
        // a close-after-write makes it ready at once, until it changes again
        let b = Path::new("/in/b");
        s.observe(b, 5, None, t0);
        s.hint_complete(b);
        s.observe(b, 6, None, t0);
        assert!(s.take_ready(t0, q).is_empty());
        s.hint_complete(b);
        assert_eq!(s.take_ready(t0, q), vec![b.to_path_buf()]);
        // a file open for write waits past the quiet period for its close…
        let c = Path::new("/in/c");
        s.observe(c, 5, None, t0);
        s.hint_writing(c);
        assert!(s.take_ready(t0 + q * 2, q).is_empty());
        s.hint_complete(c);
        assert_eq!(s.take_ready(t0 + q * 2, q), vec![c.to_path_buf()]);
        // …or for the writer grace when the close event is lost
        s.observe(c, 5, None, t0);
        s.hint_writing(c);
        assert!(s
            .take_ready(t0 + q * (WRITER_GRACE_FACTOR - 1), q)
            .is_empty());
        assert_eq!(
            s.take_ready(t0 + q * WRITER_GRACE_FACTOR, q),
            vec![c.to_path_buf()]
        );
    }
}
