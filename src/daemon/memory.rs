//! An in-memory transport: the stages over unbounded queues, outputs and dead letters
//! kept in memory. For stage and conformance tests without a nats-server, with
//! tokio's paused time; faults are injected with [`Memory::fail_next`].

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;

use super::pipeline::{DeadLetter, Delivery, Emit, RawInput, Transport};
use super::stage::{Failure, Transient};
use super::Stage;

/// One stage input held in memory.
pub struct MemDelivery {
    id: String,
    payload: Bytes,
    attempt: i64,
    ready_at: u64,
    stage: Stage,
    settled: std::sync::Arc<Settled>,
}

/// How the deliveries of a [`Memory`] ended.
#[derive(Default, Debug)]
pub struct Settled {
    pub acked: AtomicUsize,
    pub termed: AtomicUsize,
    pub retried: AtomicUsize,
}

/// A final output: (target, article id, document).
pub type Output = (String, String, Bytes);

#[derive(Default)]
pub struct Memory {
    queues: [Mutex<VecDeque<MemDelivery>>; 3],
    notify: Notify,
    closed: AtomicBool,
    /// The next this many stores of stage results and dead letters fail transiently.
    failures: AtomicUsize,
    pub outputs: Mutex<Vec<Output>>,
    /// The stories table: story id → its latest row (`Story::summary`).
    pub stories: Mutex<std::collections::BTreeMap<String, serde_json::Value>>,
    /// Alerts, once per story.
    pub alerts: Mutex<Vec<serde_json::Value>>,
    pub dead_letters: Mutex<Vec<serde_json::Value>>,
    pub settled: std::sync::Arc<Settled>,
}

fn index(stage: Stage) -> usize {
    match stage {
        Stage::Clean => 0,
        Stage::Tag => 1,
        Stage::Classify => 2,
    }
}

impl Memory {
    /// Make the next `n` stores fail as `disk_full`.
    pub fn fail_next(&self, n: usize) {
        self.failures.store(n, Ordering::SeqCst);
    }
    /// Stop: `next_batch` returns empty once the queues are empty.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }
    /// Put a message straight into `stage`'s input (e.g. a message no stage writes).
    pub fn inject(&self, stage: Stage, id: &str, payload: &[u8]) {
        self.push(stage, id.to_string(), Bytes::copy_from_slice(payload), 0);
    }
    fn push(&self, stage: Stage, id: String, payload: Bytes, ready_at: u64) {
        let d = MemDelivery {
            id,
            payload,
            attempt: 1,
            ready_at,
            stage,
            settled: self.settled.clone(),
        };
        self.queues[index(stage)]
            .lock()
            .expect("queue lock")
            .push_back(d);
        self.notify.notify_waiters();
    }
    fn injected_failure(&self, op: &'static str) -> Result<(), Transient> {
        let take = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        match take {
            Ok(_) => Err(Transient {
                error_type: "disk_full",
                op,
                detail: "injected failure".into(),
            }),
            Err(_) => Ok(()),
        }
    }
    /// Inputs waiting or in flight in no queue: true when every queue is empty.
    pub fn idle(&self) -> bool {
        self.queues
            .iter()
            .all(|q| q.lock().expect("queue lock").is_empty())
    }
}

impl Delivery for MemDelivery {
    fn payload(&self) -> &[u8] {
        &self.payload
    }
    fn attempt(&self) -> i64 {
        self.attempt
    }
    fn id(&self) -> String {
        self.id.clone()
    }
    fn ready_at(&self) -> u64 {
        self.ready_at
    }
    fn path(&self) -> Option<String> {
        None
    }
    async fn in_progress(&self) {}
    async fn ack(self) {
        self.settled.acked.fetch_add(1, Ordering::SeqCst);
    }
    async fn retry_after(self, _delay: Duration) {
        let _ = self.stage;
        self.settled.retried.fetch_add(1, Ordering::SeqCst);
    }
    async fn term(self, _record: &DeadLetter) {
        self.settled.termed.fetch_add(1, Ordering::SeqCst);
    }
}

impl Transport for Memory {
    type Delivery = MemDelivery;
    const PRECHECK_AT_INTAKE: bool = false;
    const FINISH_ON_SUBMIT: bool = true;

    async fn next_batch(&self, stage: Stage, max: usize) -> Vec<MemDelivery> {
        loop {
            let notified = self.notify.notified();
            {
                let mut q = self.queues[index(stage)].lock().expect("queue lock");
                if !q.is_empty() {
                    let n = q.len().min(max);
                    return q.drain(..n).collect();
                }
            }
            if self.closed.load(Ordering::SeqCst) {
                return Vec::new();
            }
            notified.await;
        }
    }

    async fn submit(&self, raw: &RawInput) -> Result<(), Transient> {
        self.push(
            Stage::Clean,
            raw.hash.clone(),
            raw.bytes.clone(),
            raw.ready_at,
        );
        Ok(())
    }

    async fn forward(
        &self,
        stage: Stage,
        input: &MemDelivery,
        out: &[Emit],
    ) -> Result<(), Failure> {
        self.injected_failure("storing outputs")?;
        for e in out {
            match stage {
                Stage::Clean => {
                    self.push(Stage::Tag, e.id.clone(), e.payload.clone(), input.ready_at)
                }
                Stage::Tag => self.push(
                    Stage::Classify,
                    e.id.clone(),
                    e.payload.clone(),
                    input.ready_at,
                ),
                Stage::Classify => {
                    let mut o = self.outputs.lock().expect("outputs lock");
                    for t in &e.targets {
                        // idempotent like the other transports: one output per (target, id)
                        if !o.iter().any(|(a, b, _)| a == t && b == &e.id) {
                            o.push((t.clone(), e.id.clone(), e.payload.clone()));
                        }
                    }
                    let mut table = self.stories.lock().expect("stories lock");
                    for s in &e.stories {
                        let newer = table
                            .get(&s.id)
                            .and_then(|r| r["version"].as_u64())
                            .is_none_or(|v| v < s.version);
                        if newer {
                            table.insert(s.id.clone(), s.summary());
                        }
                    }
                    let mut alerts = self.alerts.lock().expect("alerts lock");
                    for a in &e.alerts {
                        if !alerts.iter().any(|x| x["story"] == a.story.as_str()) {
                            alerts.push(super::stories::alert_json(a));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    async fn dead_letter(&self, record: &DeadLetter) -> Result<(), Transient> {
        self.injected_failure("storing a dead letter")?;
        self.dead_letters
            .lock()
            .expect("dlq lock")
            .push(record.to_json());
        Ok(())
    }
}
