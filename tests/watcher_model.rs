//! A model test of the watcher's pure state machine (`watcher::State`).
//!
//! A simulated inbox receives random create / write / close / rename-into-place /
//! delete / watcher-restart / time-advance steps. A driver mirrors what
//! `watcher::run` does with `notify` events and ticks (observe + hints on events;
//! re-stat, take_ready on ticks; a fresh state and full scan on restart). A file that
//! is handed on is claimed and moved away, as the intake does.
//!
//! Writers come in two kinds: visible ones (the watcher finds them in `/proc`, the
//! `held_open` oracle) and invisible ones (another PID namespace: only inotify events
//! tell). Appending writers open, write and close once per paragraph (`echo >>`).
//!
//! Properties:
//! - a file is never handed on unless it was renamed into place after its last change
//!   or unchanged for the quiet period — a close event alone is not enough;
//! - never while a visible writer holds it open, however long it stalls;
//! - while an invisible writer the watcher saw open still has it open, not before the
//!   writer grace;
//! - once every writer closes and time passes, every file still in the inbox is handed
//!   on, and each file version exactly once.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use proptest::prelude::*;
use wirefeed::daemon::watcher::{writer_grace, State};

const QUIET: Duration = Duration::from_millis(100);
const TICK: Duration = Duration::from_millis(25);

#[derive(Debug, Clone)]
enum Op {
    /// create (open for write) a file under its final name; visible in /proc or not
    Create(u8, bool),
    /// `echo >> file`: open (creating it if absent), write one paragraph, close
    Append(u8),
    /// append to an open file
    Write(u8),
    /// close an open file
    Close(u8),
    /// write a file under a temp name and rename it into place
    RenameIn(u8),
    Delete(u8),
    /// the watcher restarts (state lost, full scan)
    Restart,
    /// time passes, in ticks
    Wait(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..6, any::<bool>()).prop_map(|(n, v)| Op::Create(n, v)),
        3 => (0u8..6).prop_map(Op::Append),
        5 => (0u8..6).prop_map(Op::Write),
        3 => (0u8..6).prop_map(Op::Close),
        2 => (0u8..6).prop_map(Op::RenameIn),
        1 => (0u8..6).prop_map(Op::Delete),
        1 => Just(Op::Restart),
        5 => (1u8..12).prop_map(Op::Wait),
    ]
}

#[derive(Debug, Clone)]
struct File {
    size: u64,
    /// mtime, as a counter of writes
    mtime: u64,
    open: bool,
    /// a version id: changes when the file is re-created
    version: u64,
    last_change: Instant,
    /// closed or renamed in after its last change
    complete: bool,
    /// opened while the current watcher was running (it saw the create/write events)
    seen_open: bool,
    /// the open writer is visible in /proc
    visible: bool,
}

struct Sim {
    now: Instant,
    files: BTreeMap<u8, File>,
    state: State,
    next_version: u64,
    /// versions handed on, with counts
    handed: BTreeMap<u64, usize>,
}

fn path(n: u8) -> PathBuf {
    PathBuf::from(format!("/inbox/f{n}"))
}

fn mtime(m: u64) -> Option<SystemTime> {
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(m))
}

impl Sim {
    fn new() -> Sim {
        Sim {
            now: Instant::now(),
            files: BTreeMap::new(),
            state: State::default(),
            next_version: 0,
            handed: BTreeMap::new(),
        }
    }

    fn event_observe(&mut self, n: u8) {
        let f = &self.files[&n];
        self.state
            .observe(&path(n), f.size, mtime(f.mtime), self.now);
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match *op {
            Op::Create(n, visible) => {
                if self.files.contains_key(&n) {
                    return Ok(());
                }
                self.next_version += 1;
                self.files.insert(
                    n,
                    File {
                        size: 0,
                        mtime: 0,
                        open: true,
                        version: self.next_version,
                        last_change: self.now,
                        complete: false,
                        seen_open: true,
                        visible,
                    },
                );
                self.event_observe(n);
                self.state.hint_writing(&path(n));
            }
            Op::Append(n) => {
                let now = self.now;
                if self.files.get(&n).is_some_and(|f| f.open) {
                    return Ok(());
                }
                if !self.files.contains_key(&n) {
                    self.next_version += 1;
                    self.files.insert(
                        n,
                        File {
                            size: 0,
                            mtime: 0,
                            open: false,
                            version: self.next_version,
                            last_change: now,
                            complete: false,
                            seen_open: true,
                            visible: false,
                        },
                    );
                }
                let f = self.files.get_mut(&n).unwrap();
                f.size += 10;
                f.mtime += 1;
                f.last_change = now;
                f.complete = false;
                self.event_observe(n);
                self.state.hint_writing(&path(n));
                self.state.hint_closed(&path(n));
            }
            Op::Write(n) => {
                let now = self.now;
                let Some(f) = self.files.get_mut(&n).filter(|f| f.open) else {
                    return Ok(());
                };
                f.size += 10;
                f.mtime += 1;
                f.last_change = now;
                f.complete = false;
                self.event_observe(n);
                self.state.hint_writing(&path(n));
            }
            Op::Close(n) => {
                let Some(f) = self.files.get_mut(&n).filter(|f| f.open) else {
                    return Ok(());
                };
                f.open = false;
                self.event_observe(n);
                self.state.hint_closed(&path(n));
            }
            Op::RenameIn(n) => {
                if self.files.contains_key(&n) {
                    return Ok(());
                }
                self.next_version += 1;
                self.files.insert(
                    n,
                    File {
                        size: 25,
                        mtime: 7,
                        open: false,
                        version: self.next_version,
                        last_change: self.now,
                        complete: true,
                        seen_open: false,
                        visible: false,
                    },
                );
                self.event_observe(n);
                self.state.hint_complete(&path(n));
            }
            Op::Delete(n) => {
                if self.files.remove(&n).is_some() {
                    self.state.forget(&path(n));
                }
            }
            Op::Restart => {
                self.state = State::default();
                for f in self.files.values_mut() {
                    f.seen_open = false;
                }
                let ns: Vec<u8> = self.files.keys().copied().collect();
                for n in ns {
                    self.event_observe(n);
                }
            }
            Op::Wait(ticks) => {
                for _ in 0..ticks {
                    self.now += TICK;
                    self.tick()?;
                }
            }
        }
        Ok(())
    }

    /// What a watcher tick does: re-stat candidates, take the ready ones.
    fn tick(&mut self) -> Result<(), TestCaseError> {
        let paths: Vec<PathBuf> = self.state.candidates.keys().cloned().collect();
        for p in paths {
            let n: u8 = p.to_string_lossy()[8..].parse().unwrap();
            match self.files.get(&n) {
                Some(f) => self.state.observe(&p, f.size, mtime(f.mtime), self.now),
                None => self.state.forget(&p),
            }
        }
        let files = &self.files;
        let held_open = |p: &std::path::Path| {
            let n: u8 = p.to_string_lossy()[8..].parse().unwrap();
            files.get(&n).is_some_and(|f| f.open && f.visible)
        };
        for p in self.state.take_ready(self.now, QUIET, held_open) {
            let n: u8 = p.to_string_lossy()[8..].parse().unwrap();
            let f = self
                .files
                .get(&n)
                .ok_or_else(|| TestCaseError::fail(format!("{p:?} handed on but absent")))?;
            let still = self.now.duration_since(f.last_change);
            prop_assert!(
                f.complete || still >= QUIET,
                "{p:?} handed on after {still:?} stillness, not renamed in"
            );
            prop_assert!(
                !(f.open && f.visible),
                "{p:?} taken while a visible writer holds it open"
            );
            if f.open && f.seen_open {
                prop_assert!(
                    still >= writer_grace(QUIET),
                    "{p:?} taken while its writer is open, after {still:?}"
                );
            }
            *self.handed.entry(f.version).or_default() += 1;
            // the intake moves it to processed/
            self.files.remove(&n);
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn watcher_hands_on_complete_files_exactly_once(ops in prop::collection::vec(op(), 1..80)) {
        let mut sim = Sim::new();
        for o in &ops {
            sim.apply(o)?;
        }
        // every writer closes; time passes
        let open: Vec<u8> = sim.files.iter().filter(|(_, f)| f.open).map(|(n, _)| *n).collect();
        for n in open {
            sim.apply(&Op::Close(n))?;
        }
        let versions: Vec<u64> = sim.files.values().map(|f| f.version).collect();
        let wait = writer_grace(QUIET).as_millis() / TICK.as_millis() + 4;
        for _ in 0..wait {
            sim.now += TICK;
            sim.tick()?;
        }
        prop_assert!(sim.files.is_empty(), "left in the inbox: {:?}", sim.files.keys().collect::<Vec<_>>());
        for v in versions {
            prop_assert_eq!(sim.handed.get(&v).copied(), Some(1), "version {} handed on", v);
        }
        for (v, c) in &sim.handed {
            prop_assert_eq!(*c, 1, "version {} handed on {} times", v, c);
        }
    }
}
