//! Embedded transport: the stages in one process over bounded queues; outputs are
//! files `<outbox>/<topic>/<article-id>.json` (fsync, then rename). A file is marked
//! processed only after every output of every story in it is written, so a crash at
//! any moment leaves the file in the inbox and the next start redoes it; output names
//! are the article ids, so redoing overwrites identically — nothing lost, nothing twice.
//!
//! Only the adapter lives here; the worker loops, intake and failure handling are the
//! shared [`super::pipeline`].

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as SyncMutex};
use std::time::Duration;

use anyhow::Result;
use bytes::Bytes;
use tokio::sync::{mpsc, watch, Mutex};

use super::config::Config;
use super::pipeline::{self, DeadLetter, Delivery, Emit, FileRef, Pipeline, RawInput, Transport};
use super::stage::{Failure, Transient};
use super::{files, inbox, Health, Stage};

/// One input file in flight; the last story to finish marks the file processed.
struct Ticket {
    file: Option<FileRef>,
    hash: String,
    ready_at: u64,
    remaining: AtomicUsize,
}

impl Ticket {
    async fn story_done(&self) {
        if self.remaining.fetch_sub(1, Ordering::SeqCst) == 1 {
            if let Some(f) = &self.file {
                // moves it to processed/; a failed move is retried there, never redone
                f.claims
                    .finish_off_executor(&f.inbox, &f.path, &self.hash)
                    .await;
            }
        }
    }
}

/// One stage input in a queue.
pub struct Item {
    stage: Stage,
    ticket: Arc<Ticket>,
    id: String,
    payload: Bytes,
}

impl Delivery for Item {
    fn payload(&self) -> &[u8] {
        &self.payload
    }
    fn attempt(&self) -> i64 {
        1
    }
    fn id(&self) -> String {
        self.id.clone()
    }
    fn ready_at(&self) -> u64 {
        self.ticket.ready_at
    }
    fn path(&self) -> Option<String> {
        self.ticket.file.as_ref().map(|f| inbox::shown(&f.path))
    }
    async fn in_progress(&self) {}
    async fn ack(self) {
        // clean: releases the file's own count (its stories were added on forward);
        // tag: the story goes on with the next stage; classify: the story is written
        if self.stage != Stage::Tag {
            self.ticket.story_done().await;
        }
    }
    async fn retry_after(self, _delay: Duration) {
        // only at shutdown: the file stays claimed in the inbox, redone at next start
    }
    async fn term(self, record: &DeadLetter) {
        match (self.stage, &self.ticket.file) {
            (Stage::Clean, Some(f)) => {
                pipeline::reject_file(&f.claims, &f.inbox, &f.path, &self.ticket.hash, record)
            }
            _ => self.ticket.story_done().await,
        }
    }
}

type Queue = (
    SyncMutex<Option<mpsc::Sender<Item>>>,
    Mutex<mpsc::Receiver<Item>>,
);

/// Bounded queues into each stage; outputs and dead letters are files in the outbox.
pub struct Embedded {
    outbox: PathBuf,
    queues: [Queue; 3],
    /// Story rows are written one at a time, each only over an older version, so two
    /// articles of one story finishing together cannot leave the older row on disk.
    story_writes: Arc<SyncMutex<()>>,
}

fn index(stage: Stage) -> usize {
    match stage {
        Stage::Clean => 0,
        Stage::Tag => 1,
        Stage::Classify => 2,
    }
}

impl Embedded {
    pub fn new(outbox: PathBuf, capacity: usize) -> Embedded {
        let queue = || {
            let (tx, rx) = mpsc::channel(capacity.max(1));
            (SyncMutex::new(Some(tx)), Mutex::new(rx))
        };
        Embedded {
            outbox,
            queues: [queue(), queue(), queue()],
            story_writes: Arc::new(SyncMutex::new(())),
        }
    }

    fn sender(&self, stage: Stage) -> Result<mpsc::Sender<Item>, Transient> {
        self.queues[index(stage)]
            .0
            .lock()
            .expect("queue lock")
            .clone()
            .ok_or(Transient {
                error_type: "io",
                op: "queueing",
                detail: format!("the {} queue is closed", stage.as_str()),
            })
    }

    /// Put a message straight into `stage`'s input, belonging to no inbox file (for
    /// tests: a message no stage writes).
    pub async fn inject(&self, stage: Stage, id: &str, payload: &[u8]) {
        let ticket = Arc::new(Ticket {
            file: None,
            hash: id.to_string(),
            ready_at: 0,
            remaining: AtomicUsize::new(1),
        });
        let item = Item {
            stage,
            ticket,
            id: id.to_string(),
            payload: Bytes::copy_from_slice(payload),
        };
        let _ = self.send(stage, item).await;
    }

    fn close(&self, stage: Stage) {
        self.queues[index(stage)]
            .0
            .lock()
            .expect("queue lock")
            .take();
    }

    async fn send(&self, stage: Stage, item: Item) -> Result<(), Transient> {
        self.sender(stage)?.send(item).await.map_err(|_| Transient {
            error_type: "io",
            op: "queueing",
            detail: "queue closed".into(),
        })
    }
}

/// One durable write on the blocking pool; every failure is transient (the input
/// is not at fault when the outbox cannot be written).
impl Embedded {
    /// `<outbox>/<table>/<topic>/<id>.json`: a story row or an alert.
    fn story_file(&self, table: &str, topic: &str, id: &str) -> PathBuf {
        self.outbox
            .join(table)
            .join(topic)
            .join(format!("{id}.json"))
    }

    /// The story rows `stories/<topic>/<id>.json` (each over an older version only) and
    /// the alerts `alerts/<topic>/<story-id>.json` (once) of one document.
    async fn write_stories(&self, e: &Emit) -> Result<(), Transient> {
        let op = "writing a story";
        let rows: Vec<(PathBuf, u64, Vec<u8>)> = e
            .stories
            .iter()
            .map(|s| {
                let file = self.story_file("stories", &s.topic, &s.id);
                let text = serde_json::to_vec_pretty(&s.summary()).expect("story serialises");
                (file, s.version, text)
            })
            .collect();
        let alerts: Vec<(PathBuf, Vec<u8>)> = e
            .alerts
            .iter()
            .map(|a| {
                let file = self.story_file("alerts", &a.topic, &a.story);
                let text = serde_json::to_vec_pretty(&super::stories::alert_json(a))
                    .expect("alert serialises");
                (file, text)
            })
            .collect();
        let lock = self.story_writes.clone();
        let done = tokio::task::spawn_blocking(move || -> Result<()> {
            let _one_at_a_time = lock.lock().expect("story write lock");
            for (file, version, text) in rows {
                if stored_version(&file).is_some_and(|v| v >= version) {
                    continue;
                }
                files::write_durably(&file, &text)?;
            }
            for (file, text) in alerts {
                if !file.exists() {
                    files::write_durably(&file, &text)?;
                }
            }
            Ok(())
        })
        .await;
        match done {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Transient::from_anyhow(op, &e)),
            Err(e) => Err(Transient {
                error_type: "io",
                op,
                detail: e.to_string(),
            }),
        }
    }
}

/// The version of the story row in `file`, if one is there.
fn stored_version(file: &std::path::Path) -> Option<u64> {
    let bytes = std::fs::read(file).ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()?
        .get("version")?
        .as_u64()
}

async fn write_blocking(file: PathBuf, bytes: Bytes, op: &'static str) -> Result<(), Transient> {
    match tokio::task::spawn_blocking(move || files::write_durably(&file, &bytes)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Transient::from_anyhow(op, &e)),
        Err(e) => Err(Transient {
            error_type: "io",
            op,
            detail: e.to_string(),
        }),
    }
}

impl Transport for Embedded {
    type Delivery = Item;
    const PRECHECK_AT_INTAKE: bool = false;
    const FINISH_ON_SUBMIT: bool = false;

    async fn next_batch(&self, stage: Stage, max: usize) -> Vec<Item> {
        let mut rx = self.queues[index(stage)].1.lock().await;
        let Some(first) = rx.recv().await else {
            return Vec::new();
        };
        let mut out = vec![first];
        while out.len() < max {
            match rx.try_recv() {
                Ok(i) => out.push(i),
                Err(_) => break,
            }
        }
        out
    }

    async fn submit(&self, raw: &RawInput) -> Result<(), Transient> {
        let ticket = Arc::new(Ticket {
            file: raw.file.clone(),
            hash: raw.hash.clone(),
            ready_at: raw.ready_at,
            remaining: AtomicUsize::new(1),
        });
        let item = Item {
            stage: Stage::Clean,
            ticket,
            id: raw.hash.clone(),
            payload: raw.bytes.clone(),
        };
        self.send(Stage::Clean, item).await
    }

    async fn forward(&self, stage: Stage, input: &Item, out: &[Emit]) -> Result<(), Failure> {
        match stage {
            Stage::Clean | Stage::Tag => {
                let next = if stage == Stage::Clean {
                    // one pending output per story; the file's own 1 goes on ack
                    input
                        .ticket
                        .remaining
                        .fetch_add(out.len(), Ordering::SeqCst);
                    Stage::Tag
                } else {
                    Stage::Classify
                };
                for e in out {
                    let item = Item {
                        stage: next,
                        ticket: input.ticket.clone(),
                        id: e.id.clone(),
                        payload: e.payload.clone(),
                    };
                    self.send(next, item).await?;
                }
                Ok(())
            }
            Stage::Classify => {
                for e in out {
                    for target in &e.targets {
                        let file = self.outbox.join(target).join(format!("{}.json", e.id));
                        write_blocking(file, e.payload.clone(), "writing an output").await?;
                    }
                    if !e.stories.is_empty() || !e.alerts.is_empty() {
                        self.write_stories(e).await?;
                    }
                }
                Ok(())
            }
        }
    }

    async fn dead_letter(&self, record: &DeadLetter) -> Result<(), Transient> {
        let file = self
            .outbox
            .join("_dlq")
            .join(record.stage)
            .join(format!("{}.json", record.id));
        let text = Bytes::from(record.to_json().to_string());
        write_blocking(file, text, "writing a dead letter").await
    }

    fn stage_finished(&self, stage: Stage) {
        match stage {
            Stage::Clean => self.close(Stage::Tag),
            Stage::Tag => self.close(Stage::Classify),
            Stage::Classify => {}
        }
    }

    fn intake_finished(&self) {
        self.close(Stage::Clean);
    }
}

pub async fn run(
    config: Config,
    engine: Arc<super::reload::Engines>,
    health: Arc<Health>,
    shutdown: watch::Receiver<bool>,
    stories: Arc<super::stories::Stories>,
    brief: Arc<super::stories::Brief>,
) -> Result<()> {
    // A crash (kill -9, power loss) can leave the temp file of an interrupted durable
    // write; its output is redone from the inbox, so the temp is only litter.
    let n = files::remove_stale_temps(&config.embedded.outbox_dir);
    if n > 0 {
        tracing::info!(
            removed = n,
            "removed temp files left by an interrupted write in the outbox"
        );
    }
    let cfg = Arc::new(config);
    let cap = cfg.embedded.queue_capacity;
    let transport = Arc::new(Embedded::new(cfg.embedded.outbox_dir.clone(), cap));
    let pipeline = Pipeline {
        transport,
        engine,
        health,
        shutdown,
        // in one process a delivery is never repeated: a crash redoes the file
        max_deliver: i64::MAX,
        stories,
        brief,
    };
    pipeline.run(cfg, cap).await;
    Ok(())
}
