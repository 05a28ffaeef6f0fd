//! Where the story window lives between runs: a small trait, and the embedded
//! default, an append-only log with fsync.
//!
//! The log holds [`Observation`]s, not stories: the story state is a deterministic
//! function of the observations in order, so replaying the log at start rebuilds
//! exactly the state the process had (clusters, duplicates, ids, versions, alerts
//! already raised). Each observation is written and fsynced *before* the article's
//! outputs, so a kill -9 loses at most an article whose outputs were never written,
//! and that article is observed again when its input is retried. A torn last line (a
//! kill during the write) is dropped. At open the log is compacted to the
//! observations whose arrival is within the window (bounded size), by writing a new file, fsyncing it
//! and renaming it over the old one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::engine::stories::{Observation, StorySettings, StoryState};

/// A durable home for the story window.
pub trait StoryStore {
    /// The observations to replay at start, oldest first.
    fn load(&mut self) -> io::Result<Vec<Observation>>;
    /// Record one observation durably (returns once it is on disk).
    fn record(&mut self, ob: &Observation) -> io::Result<()>;
}

/// Replay a store into a fresh state.
pub fn restore(
    store: &mut dyn StoryStore,
    settings: &StorySettings,
) -> io::Result<(StoryState, usize)> {
    let mut state = StoryState::new();
    let obs = store.load()?;
    for ob in &obs {
        state.apply(settings, ob);
    }
    Ok((state, obs.len()))
}

/// Append-only JSON-lines log of observations. [`StoryStore::record`] fsyncs each
/// record; a daemon with several workers instead [`LogStore::append`]s under its state
/// lock and waits on the shared [`Syncer`] outside it, so one fsync covers every record
/// written while the previous one ran (group commit).
pub struct LogStore {
    path: PathBuf,
    file: Option<File>,
    window_secs: i64,
    syncer: Arc<Syncer>,
    /// The last append failed part-way: the next one starts on a fresh line, so a
    /// torn fragment never swallows a good record.
    torn: bool,
}

/// Makes the log's appended records durable, one fsync for all the records waiting.
#[derive(Debug, Default)]
pub struct Syncer {
    /// Records appended so far (the sequence number of the last one).
    written: AtomicU64,
    /// Records known to be on disk, and the file to sync (set at the first append).
    synced: Mutex<(u64, Option<File>)>,
}

impl Syncer {
    /// The sequence number of the last record appended.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }

    /// Return once record `seq` (and every one before it) is on disk. A caller that
    /// finds an fsync under way waits for it, and needs none of its own if that one
    /// covered its record.
    pub fn sync_to(&self, seq: u64) -> io::Result<()> {
        let mut g = self.synced.lock().expect("log sync lock");
        if g.0 >= seq {
            return Ok(());
        }
        // everything appended before this point is covered by this fsync
        let target = self.written();
        if let Some(f) = &g.1 {
            f.sync_data()?;
        }
        g.0 = g.0.max(target);
        Ok(())
    }
}

impl LogStore {
    /// The log at `path` (created if missing; its folder too).
    pub fn open(path: &Path, settings: &StorySettings) -> io::Result<LogStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        Ok(LogStore {
            path: path.to_path_buf(),
            file: None,
            window_secs: settings.window_hours as i64 * 3600,
            syncer: Arc::new(Syncer::default()),
            torn: false,
        })
    }

    /// The syncer of this log's appends.
    pub fn syncer(&self) -> Arc<Syncer> {
        self.syncer.clone()
    }

    /// Write one observation at the end of the log, not yet synced: its sequence
    /// number, for [`Syncer::sync_to`].
    pub fn append(&mut self, ob: &Observation) -> io::Result<u64> {
        if self.file.is_none() {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            self.syncer.synced.lock().expect("log sync lock").1 = Some(f.try_clone()?);
            self.file = Some(f);
        }
        let f = self.file.as_mut().expect("opened above");
        let mut line = Vec::with_capacity(1024);
        if self.torn {
            line.push(b'\n');
        }
        serde_json::to_writer(&mut line, ob)?;
        line.push(b'\n');
        self.torn = true;
        f.write_all(&line)?;
        self.torn = false;
        Ok(self.syncer.written.fetch_add(1, Ordering::SeqCst) + 1)
    }

    fn read_all(&self) -> io::Result<Vec<Observation>> {
        let f = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for line in BufReader::new(f).split(b'\n') {
            let line = line?;
            // A line that does not parse is the torn tail of a killed write.
            if let Ok(ob) = serde_json::from_slice::<Observation>(&line) {
                out.push(ob);
            }
        }
        Ok(out)
    }
}

impl StoryStore for LogStore {
    fn load(&mut self) -> io::Result<Vec<Observation>> {
        let all = self.read_all()?;
        let now = all.iter().filter_map(|o| o.arrival).max();
        let keep: Vec<Observation> = all
            .into_iter()
            .filter(|o| match (now, o.arrival) {
                (Some(n), Some(t)) => t >= n - self.window_secs,
                _ => true,
            })
            .collect();
        // Compact: the kept observations, in a new file renamed over the old one.
        let tmp = self.path.with_extension("compact");
        {
            let mut f = File::create(&tmp)?;
            for ob in &keep {
                serde_json::to_writer(&mut f, ob)?;
                f.write_all(b"\n")?;
            }
            f.sync_all()?;
        }
        fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        Ok(keep)
    }

    fn record(&mut self, ob: &Observation) -> io::Result<()> {
        let seq = self.append(ob)?;
        self.syncer.sync_to(seq)
    }
}
