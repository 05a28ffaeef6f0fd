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

/// Append-only JSON-lines log of observations, fsynced per record.
pub struct LogStore {
    path: PathBuf,
    file: Option<File>,
    window_secs: i64,
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
        })
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
        if self.file.is_none() {
            self.file = Some(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)?,
            );
        }
        let f = self.file.as_mut().expect("opened above");
        let mut line = serde_json::to_vec(ob)?;
        line.push(b'\n');
        f.write_all(&line)?;
        f.sync_data()
    }
}
