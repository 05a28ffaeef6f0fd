//! The inbox watcher: decides when a file is complete and hands it on, once.
//!
//! `notify` events are hints. The source of truth is a full scan at start-up, after an
//! event-queue overflow, and periodically. A file is complete when its writer is done:
//!
//! - **renamed into place** (written under a hidden or temporary name, then renamed):
//!   taken at once;
//! - **closed after writing**: taken once its size and mtime have been still for the
//!   quiet period *and no process holds it open for write*. The close event alone is
//!   not enough — an appending writer (`echo >> file` per paragraph) closes after
//!   every paragraph — and stillness alone is not either: before taking a file, the
//!   watcher looks through `/proc/<pid>/fd` for a process that has it open for
//!   writing, so a writer that stalls with the file open is waited for, however long.
//!
//! A writer the daemon cannot see in `/proc` (another PID namespace, such as another
//! container sharing the volume) is covered by inotify alone: a file seen opened for
//! write waits for its close event, or — if that is lost (queue overflow) — for
//! [`writer_grace`] of stillness. Writers that close and later reopen a file after a
//! pause longer than the quiet period are not distinguishable from finished ones:
//! write under a temporary name and rename (docs/deploy.md, "Writing into the inbox").
//!
//! Hidden and temporary names are ignored until renamed. A path handed on is
//! "claimed" until the intake releases it, so it is never handed on twice at once.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use notify::event::{AccessKind, AccessMode, CreateKind, EventKind, ModifyKind, RenameMode};
use notify::{RecursiveMode, Watcher as _};
use tokio::sync::{mpsc, watch};

use super::config::{Config, InboxConfig};
use super::files;
use super::inbox::{self, shown, Refusal};

/// Names the watcher never takes: hidden files and temporary names.
pub fn is_ignored_name(name: &str) -> bool {
    inbox::is_ignored_name(OsStr::new(name))
}

/// The shortest time between two takes of ready files when files renamed into place
/// bring the next take forward (each take re-stats candidates and may read `/proc`).
pub const MIN_TAKE_GAP: Duration = Duration::from_millis(10);

/// Reads of a file that fail (other than "it vanished") before it is refused as
/// unreadable; the reads are one rescan apart.
pub const READ_ATTEMPTS: u32 = 3;
/// Attempts to move a file out of the inbox (processed/, rejected/) before the
/// daemon gives up on it loudly; the attempts back off from 1 s to 30 s.
pub const MOVE_ATTEMPTS: u32 = 5;

/// A move out of the inbox that is still owed.
#[derive(Debug, Clone)]
enum Settle {
    Finish {
        hash: String,
    },
    Reject {
        hash: String,
        kind: String,
        reason: String,
    },
    Refuse(Refusal),
}

#[derive(Debug)]
struct Stuck {
    settle: Settle,
    attempts: u32,
    next_at: Instant,
    last_error: String,
}

#[derive(Debug, Default)]
struct ClaimsInner {
    /// claimed path → (what to open, read limit)
    held: HashMap<PathBuf, (PathBuf, usize)>,
    /// claimed paths whose move out of the inbox failed and is retried
    stuck: HashMap<PathBuf, Stuck>,
    /// paths the daemon gave up on: stay claimed (never handed on again) until restart
    abandoned: HashSet<PathBuf>,
    /// failed reads per path (reset by a good read)
    read_failures: HashMap<PathBuf, (u32, String)>,
    inbox: Option<InboxConfig>,
}

/// Paths handed on and not yet released by the intake; also the bounded retries of
/// reads and moves, so that a file that cannot leave the inbox is never handed on
/// (and published) again.
#[derive(Debug, Clone, Default)]
pub struct Claims(Arc<Mutex<ClaimsInner>>);

impl Claims {
    fn inner(&self) -> std::sync::MutexGuard<'_, ClaimsInner> {
        self.0.lock().expect("claims lock")
    }
    fn claim(&self, p: &Path, source: PathBuf, limit: usize) -> bool {
        let mut i = self.inner();
        if i.held.contains_key(p) {
            return false;
        }
        i.held.insert(p.to_path_buf(), (source, limit));
        true
    }
    fn is_claimed(&self, p: &Path) -> bool {
        let i = self.inner();
        i.held.contains_key(p) || i.abandoned.contains(p)
    }
    fn read_failures(&self, p: &Path) -> Option<(u32, String)> {
        self.inner().read_failures.get(p).cloned()
    }
    /// The intake is done with `p` (moved, deleted, rejected, or vanished).
    pub fn release(&self, p: &Path) {
        let mut i = self.inner();
        i.held.remove(p);
        i.stuck.remove(p);
    }
    /// Read a claimed file: not following links, at most its limit + 1 bytes. A file
    /// that vanished (or was swapped for something that is not a regular file) is
    /// released and skipped; one that cannot be read is released and counted, and
    /// refused as unreadable after [`READ_ATTEMPTS`].
    pub async fn read(&self, p: &Path) -> Option<Vec<u8>> {
        let (source, limit) = self
            .inner()
            .held
            .get(p)
            .cloned()
            .unwrap_or_else(|| (p.to_path_buf(), usize::MAX - 1));
        let read = tokio::task::spawn_blocking(move || inbox::read_limited(&source, limit)).await;
        let read = match read {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e.to_string())),
        };
        match read {
            Ok(inbox::ReadOutcome::Bytes(b)) => {
                self.inner().read_failures.remove(p);
                Some(b)
            }
            Ok(inbox::ReadOutcome::TooLarge { size, prefix }) => {
                // the intake sees more than the limit and rejects it as too_large
                tracing::warn!(path = %shown(p), size, limit, "file exceeds inbox.max_file_bytes; only its first limit + 1 bytes were read");
                Some(prefix)
            }
            Ok(inbox::ReadOutcome::NotRegular) => {
                tracing::warn!(path = %shown(p), "entry changed type before it was read; vetting it again");
                self.release(p);
                None
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(path = %shown(p), "file vanished before it was read");
                self.release(p);
                None
            }
            Err(e) => {
                let n = {
                    let mut i = self.inner();
                    let f = i
                        .read_failures
                        .entry(p.to_path_buf())
                        .or_insert((0, String::new()));
                    f.0 += 1;
                    f.1 = e.to_string();
                    f.0
                };
                tracing::warn!(path = %shown(p), error = %e, attempt = n, of = READ_ATTEMPTS, "file could not be read; will retry");
                self.release(p);
                None
            }
        }
    }
    pub fn len(&self) -> usize {
        self.inner().held.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The content of claimed `p` is safely in the pipeline: move it to processed/
    /// (or delete it) and release it; if that fails, keep it claimed and retry the
    /// move (never the publish) a bounded number of times.
    pub fn finish(&self, cfg: &InboxConfig, p: &Path, hash: &str) {
        let settle = Settle::Finish {
            hash: hash.to_string(),
        };
        self.settle(cfg, p, settle);
    }

    /// [`Claims::finish`] on tokio's blocking pool: the move and its folder fsync are
    /// disk waits that otherwise stall an async worker thread (a fifth of the async
    /// threads' time with a JetStream backlog, in `perf`). If the task cannot run (the
    /// runtime is ending), the file stays claimed in the inbox and the next start redoes it.
    pub async fn finish_off_executor(&self, cfg: &InboxConfig, p: &Path, hash: &str) {
        let (claims, cfg, path, hash) =
            (self.clone(), cfg.clone(), p.to_path_buf(), hash.to_string());
        if let Err(e) = tokio::task::spawn_blocking(move || claims.finish(&cfg, &path, &hash)).await
        {
            tracing::warn!(path = %shown(p), error = %e, "moving the file out of the inbox did not run; it is redone at the next start");
        }
    }

    /// Claimed `p` can never be processed: move it to rejected/ with its reason and
    /// release it; a failed move is retried like [`Claims::finish`].
    pub fn reject(&self, cfg: &InboxConfig, p: &Path, hash: &str, kind: &str, reason: &str) {
        let settle = Settle::Reject {
            hash: hash.to_string(),
            kind: kind.to_string(),
            reason: reason.to_string(),
        };
        self.settle(cfg, p, settle);
    }

    /// Refuse an entry that is not read (claims it if it is not yet).
    fn refuse(&self, p: &Path, why: Refusal) {
        let Some(cfg) = self.inner().inbox.clone() else {
            tracing::error!(path = %shown(p), reason = %why, "cannot refuse: watcher not configured");
            self.release(p);
            return;
        };
        self.inner()
            .held
            .entry(p.to_path_buf())
            .or_insert_with(|| (p.to_path_buf(), 0));
        self.settle(&cfg, p, Settle::Refuse(why));
    }

    fn attempt(cfg: &InboxConfig, p: &Path, settle: &Settle) -> anyhow::Result<()> {
        match settle {
            Settle::Finish { hash } => files::finish(cfg, p, hash),
            Settle::Reject { hash, kind, reason } => {
                files::reject(cfg, p, hash, kind, reason).map(|_| ())
            }
            Settle::Refuse(why) => inbox::refuse(cfg, p, why).map(|_| ()),
        }
    }

    fn settle(&self, cfg: &InboxConfig, p: &Path, settle: Settle) {
        match Self::attempt(cfg, p, &settle) {
            Ok(()) => self.release(p),
            Err(e) => {
                let error = format!("{e:#}");
                tracing::error!(path = %shown(p), error = %error, attempt = 1, of = MOVE_ATTEMPTS, "could not move the file out of the inbox; retrying (it is not processed again)");
                let mut i = self.inner();
                if i.inbox.is_none() {
                    i.inbox = Some(cfg.clone());
                }
                i.stuck.insert(
                    p.to_path_buf(),
                    Stuck {
                        settle,
                        attempts: 1,
                        next_at: Instant::now() + Duration::from_secs(1),
                        last_error: error,
                    },
                );
            }
        }
    }

    /// Retry the moves that are due; give up loudly after [`MOVE_ATTEMPTS`].
    fn retry_stuck(&self, now: Instant) {
        let (cfg, due): (Option<InboxConfig>, Vec<(PathBuf, Settle)>) = {
            let i = self.inner();
            let due = i
                .stuck
                .iter()
                .filter(|(_, s)| s.next_at <= now)
                .map(|(p, s)| (p.clone(), s.settle.clone()))
                .collect();
            (i.inbox.clone(), due)
        };
        let Some(cfg) = cfg else { return };
        for (p, settle) in due {
            match Self::attempt(&cfg, &p, &settle) {
                Ok(()) => {
                    tracing::info!(path = %shown(&p), "file moved out of the inbox after a retry");
                    self.release(&p);
                }
                Err(e) => {
                    let error = format!("{e:#}");
                    let mut i = self.inner();
                    let Some(s) = i.stuck.get_mut(&p) else {
                        continue;
                    };
                    s.attempts += 1;
                    s.last_error = error.clone();
                    if s.attempts >= MOVE_ATTEMPTS {
                        let kind = match &s.settle {
                            Settle::Finish { .. } => "finish",
                            Settle::Reject { .. } | Settle::Refuse(_) => "reject",
                        };
                        i.stuck.remove(&p);
                        i.abandoned.insert(p.clone());
                        drop(i);
                        metrics::counter!(crate::metrics::FILES_STUCK, "error_type" => kind)
                            .increment(1);
                        tracing::error!(path = %shown(&p), error = %error, attempts = MOVE_ATTEMPTS, "GAVE UP moving the file out of the inbox: it stays there, is not processed again by this process, and needs an operator (fix the folder, then restart)");
                    } else {
                        let backoff = Duration::from_secs(1 << s.attempts.min(5))
                            .min(Duration::from_secs(30));
                        s.next_at = now + backoff;
                        tracing::warn!(path = %shown(&p), error = %error, attempt = s.attempts, of = MOVE_ATTEMPTS, "could not move the file out of the inbox; retrying");
                    }
                }
            }
        }
    }
}

/// What the watcher knows about a file that is not yet handed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub size: u64,
    pub mtime: Option<SystemTime>,
    /// When (size, mtime) were last seen to change.
    pub changed_at: Instant,
    /// A rename-into-place event was seen since the last change.
    pub complete_hint: bool,
    /// A create or write event was seen and no close-after-write since.
    pub open_for_write: bool,
}

/// A file the watcher saw opened for write, whose close event never came (lost in a
/// queue overflow, or a writer it cannot see in `/proc`), is taken only after this
/// many quiet periods of stillness…
pub const WRITER_GRACE_FACTOR: u32 = 10;
/// …and never before this long.
pub const WRITER_GRACE_MIN: Duration = Duration::from_secs(60);

/// How long a file open for write (per inotify) must be still before it is taken
/// without its close event.
pub fn writer_grace(quiet: Duration) -> Duration {
    quiet
        .saturating_mul(WRITER_GRACE_FACTOR)
        .max(WRITER_GRACE_MIN)
}

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

    /// A rename-into-place event for `path`: the writer finished under another name.
    pub fn hint_complete(&mut self, path: &Path) {
        if let Some(c) = self.candidates.get_mut(path) {
            c.complete_hint = true;
            c.open_for_write = false;
        }
    }

    /// A close-after-write event for `path`: that writer is done, but an appending
    /// writer may open it again (`echo >>` per paragraph), so the file still needs
    /// its quiet period.
    pub fn hint_closed(&mut self, path: &Path) {
        if let Some(c) = self.candidates.get_mut(path) {
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

    fn is_ready(c: &Candidate, now: Instant, quiet: Duration) -> bool {
        let still = now.duration_since(c.changed_at);
        c.complete_hint || (!c.open_for_write && still >= quiet) || still >= writer_grace(quiet)
    }

    /// Candidates that would be ready now if no process holds them open for write
    /// (to look those up in `/proc` only when needed).
    pub fn ready_paths(&self, now: Instant, quiet: Duration) -> Vec<PathBuf> {
        self.candidates
            .iter()
            .filter(|(_, c)| Self::is_ready(c, now, quiet))
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// Candidates that are complete now, in path order (removed from the state): a
    /// rename into place, or still for the quiet period and not open for write (or
    /// still for the writer grace). A file `held_open` by a visible writer is never
    /// ready, however long it is still.
    pub fn take_ready(
        &mut self,
        now: Instant,
        quiet: Duration,
        held_open: impl Fn(&Path) -> bool,
    ) -> Vec<PathBuf> {
        let mut ready: Vec<PathBuf> = self
            .candidates
            .iter()
            .filter(|(p, c)| Self::is_ready(c, now, quiet) && !held_open(p))
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
    /// processed/ and rejected/, for refusals and retried moves.
    pub inbox: InboxConfig,
    pub follow_symlinks: bool,
    pub max_file_bytes: usize,
    /// The daemon's own folders (processed/, rejected/, outbox/) when they are inside
    /// the inbox: never taken, never refused.
    pub own_dirs: Vec<PathBuf>,
}

impl WatchConfig {
    pub fn from_config(c: &Config) -> WatchConfig {
        let d = c.durations();
        WatchConfig {
            dir: c.inbox.dir.clone(),
            quiet: d.quiet_period,
            rescan_every: d.rescan_interval.max(Duration::from_secs(1)),
            event_queue: c.inbox.event_queue,
            inbox: c.inbox.clone(),
            follow_symlinks: c.inbox.follow_symlinks,
            max_file_bytes: c.inbox.max_file_bytes,
            own_dirs: vec![
                c.inbox.processed_dir.clone(),
                c.inbox.rejected_dir.clone(),
                c.embedded.outbox_dir.clone(),
            ],
        }
    }
}

/// An absolute, symlink-free form of `p`, also when it does not exist yet.
fn resolve(p: &Path) -> PathBuf {
    if let Ok(c) = std::fs::canonicalize(p) {
        return c;
    }
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    match (abs.parent(), abs.file_name()) {
        (Some(parent), Some(name)) => std::fs::canonicalize(parent)
            .map(|c| c.join(name))
            .unwrap_or(abs),
        _ => abs,
    }
}

/// (size, mtime) of an entry of any type, not following links.
fn stat(path: &Path) -> Option<(u64, Option<SystemTime>)> {
    stat_typed(path).map(|(size, mtime, _)| (size, mtime))
}

/// (size, mtime, is a regular file), not following links.
fn stat_typed(path: &Path) -> Option<(u64, Option<SystemTime>, bool)> {
    let md = std::fs::symlink_metadata(path).ok()?;
    Some((md.len(), md.modified().ok(), md.file_type().is_file()))
}

struct Filter {
    /// The inbox (canonical): only its direct entries are taken — events about the
    /// inbox folder itself are not about an entry.
    dir: PathBuf,
    own_dirs: Vec<PathBuf>,
}

impl Filter {
    fn takeable(&self, path: &Path) -> bool {
        path.parent() == Some(self.dir.as_path())
            && path.file_name().is_some_and(|n| !inbox::is_ignored_name(n))
            && !self.own_dirs.iter().any(|d| d == path)
    }
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
    claims.inner().inbox = Some(cfg.inbox.clone());
    for (key, target) in [
        ("inbox.processed_dir", &cfg.inbox.processed_dir),
        ("inbox.rejected_dir", &cfg.inbox.rejected_dir),
    ] {
        if key == "inbox.processed_dir" && cfg.inbox.on_success != super::config::OnSuccess::Move {
            continue;
        }
        if files::crosses_filesystems(&dir, target) == Some(true) {
            tracing::info!(
                dir = %shown(target),
                "{key} is on another filesystem than the inbox: files are copied there (fsync) and then removed from the inbox"
            );
        }
    }
    let filter = Filter {
        dir: dir.clone(),
        own_dirs: cfg.own_dirs.iter().map(|d| resolve(d)).collect(),
    };
    let policy = inbox::Policy {
        inbox: dir.clone(),
        follow_symlinks: cfg.follow_symlinks,
    };
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
    tracing::info!(dir = %shown(&dir), "watcher started");

    let mut state = State::default();
    let tick_every = (cfg.quiet / 4).clamp(Duration::from_millis(20), Duration::from_millis(250));
    let mut tick = tokio::time::interval(tick_every);
    let mut last_scan = Instant::now();
    let mut last_tick = Instant::now();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            Some(ev) = ev_rx.recv() => {
                let now = Instant::now();
                let renamed_in = matches!(
                    ev.kind,
                    EventKind::Modify(ModifyKind::Name(RenameMode::To))
                        | EventKind::Modify(ModifyKind::Name(RenameMode::Both))
                );
                let closed = matches!(
                    ev.kind,
                    EventKind::Access(AccessKind::Close(AccessMode::Write))
                );
                let writing = matches!(
                    ev.kind,
                    EventKind::Create(CreateKind::File) | EventKind::Modify(ModifyKind::Data(_))
                );
                let mut complete_now = false;
                for (i, path) in ev.paths.iter().enumerate() {
                    // for a Both rename, the first path is the old name
                    if matches!(ev.kind, EventKind::Modify(ModifyKind::Name(RenameMode::Both))) && i == 0 {
                        state.forget(path);
                        continue;
                    }
                    if !filter.takeable(path) || claims.is_claimed(path) {
                        continue;
                    }
                    match stat_typed(path) {
                        Some((size, mtime, regular)) => {
                            state.observe(path, size, mtime, now);
                            // only a regular file has a writer to wait for: other
                            // entries are refused after the quiet period
                            if renamed_in {
                                state.hint_complete(path);
                                complete_now = true;
                            } else if regular && closed {
                                state.hint_closed(path);
                            } else if regular && writing {
                                state.hint_writing(path);
                            }
                        }
                        None => state.forget(path),
                    }
                }
                if complete_now {
                    // a file renamed into place is complete: take it at the next
                    // tick brought forward (at most one every MIN_TAKE_GAP), not up to
                    // a whole tick period later (250 ms with the default quiet period)
                    let at = (last_tick + MIN_TAKE_GAP).max(now);
                    tick.reset_at(tokio::time::Instant::from_std(at));
                }
            }
            _ = tick.tick() => {
                let now = Instant::now();
                last_tick = now;
                if overflow.swap(false, Ordering::SeqCst) || now.duration_since(last_scan) >= cfg.rescan_every {
                    last_scan = now;
                    scan(&dir, &filter, &claims, &mut state, now);
                }
                claims.retry_stuck(now);
                // re-stat candidates: a change restarts their quiet period
                let paths: Vec<PathBuf> = state.candidates.keys().cloned().collect();
                for p in paths {
                    match stat(&p) {
                        Some((size, mtime)) => state.observe(&p, size, mtime, now),
                        None => state.forget(&p),
                    }
                }
                // a file some process holds open for write is never taken
                let ready = state.ready_paths(now, cfg.quiet);
                let held = writers_holding(&ready);
                for path in state.take_ready(now, cfg.quiet, |p| held.contains(p)) {
                    let vetted = match inbox::vet(&policy, &path) {
                        Ok(Some(v)) => v,
                        Ok(None) => continue,
                        Err(why) => {
                            claims.refuse(&path, why);
                            continue;
                        }
                    };
                    if let Some((n, error)) = claims.read_failures(&path) {
                        if n >= READ_ATTEMPTS {
                            claims.refuse(&path, Refusal::Unreadable { attempts: n, error });
                            claims.inner().read_failures.remove(&path);
                            continue;
                        }
                    }
                    if !claims.claim(&path, vetted.source, cfg.max_file_bytes) {
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

/// The paths of `ready` that some process holds open for write (`/proc`).
fn writers_holding(ready: &[PathBuf]) -> HashSet<PathBuf> {
    if ready.is_empty() {
        return HashSet::new();
    }
    let ids: HashMap<(u64, u64), &PathBuf> = ready
        .iter()
        .filter_map(|p| inbox::identity(p).map(|id| (id, p)))
        .collect();
    let wanted: HashSet<(u64, u64)> = ids.keys().copied().collect();
    let names: HashSet<std::ffi::OsString> = ready
        .iter()
        .filter_map(|p| p.file_name().map(OsStr::to_os_string))
        .collect();
    match inbox::open_for_write(&wanted, &names) {
        Some(found) => found
            .iter()
            .filter_map(|id| ids.get(id).map(|p| (*p).clone()))
            .collect(),
        None => HashSet::new(),
    }
}

fn scan(dir: &Path, filter: &Filter, claims: &Claims, state: &mut State, now: Instant) {
    let Ok(read) = std::fs::read_dir(dir) else {
        tracing::warn!(dir = %shown(dir), "inbox scan failed");
        return;
    };
    let mut seen = HashSet::new();
    for entry in read.flatten() {
        let path = entry.path();
        if !filter.takeable(&path) || claims.is_claimed(&path) {
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
        let none = |_: &Path| false;
        let t0 = Instant::now();
        let q = Duration::from_millis(100);
        let mut s = State::default();
        let a = Path::new("/in/a");
        s.observe(a, 10, None, t0);
        assert!(s
            .take_ready(t0 + Duration::from_millis(50), q, none)
            .is_empty());
        // growth restarts the quiet period
        s.observe(a, 20, None, t0 + Duration::from_millis(90));
        assert!(s
            .take_ready(t0 + Duration::from_millis(150), q, none)
            .is_empty());
        assert_eq!(
            s.take_ready(t0 + Duration::from_millis(200), q, none),
            vec![a.to_path_buf()]
        );
        // a rename into place makes it ready at once, until it changes again
        let b = Path::new("/in/b");
        s.observe(b, 5, None, t0);
        s.hint_complete(b);
        s.observe(b, 6, None, t0);
        assert!(s.take_ready(t0, q, none).is_empty());
        s.hint_complete(b);
        assert_eq!(s.take_ready(t0, q, none), vec![b.to_path_buf()]);
        // a close-after-write still waits for the quiet period (appending writers)
        let e = Path::new("/in/e");
        s.observe(e, 5, None, t0);
        s.hint_writing(e);
        s.hint_closed(e);
        assert!(s.take_ready(t0 + q / 2, q, none).is_empty());
        assert_eq!(s.take_ready(t0 + q, q, none), vec![e.to_path_buf()]);
        // a file open for write waits past the quiet period for its close…
        let c = Path::new("/in/c");
        s.observe(c, 5, None, t0);
        s.hint_writing(c);
        assert!(s.take_ready(t0 + q * 2, q, none).is_empty());
        s.hint_closed(c);
        assert_eq!(s.take_ready(t0 + q * 2, q, none), vec![c.to_path_buf()]);
        // …or for the writer grace when the close event is lost
        s.observe(c, 5, None, t0);
        s.hint_writing(c);
        let grace = writer_grace(q);
        assert!(s.take_ready(t0 + grace - q, q, none).is_empty());
        assert_eq!(s.take_ready(t0 + grace, q, none), vec![c.to_path_buf()]);
        // a visible writer holds a file back, however long it is still
        let d = Path::new("/in/d");
        s.observe(d, 5, None, t0);
        assert!(s.take_ready(t0 + grace * 3, q, |p| p == d).is_empty());
        assert_eq!(s.take_ready(t0 + grace * 3, q, none), vec![d.to_path_buf()]);
    }
}
