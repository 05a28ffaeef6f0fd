//! The stage workers: a fixed pool of OS threads, one per core, that runs the
//! engine's CPU-bound stage functions for every stage and the intake.
//!
//! A job is handed over through a bounded queue and its result comes back through a
//! oneshot channel. The async side first takes one of [`Workers::slots`] (each thread
//! running one job and one waiting behind it), so it never has more stage work in
//! flight than the pool can take: callers wait for a slot instead (backpressure), and
//! nothing grows with the backlog.
//!
//! Why not `spawn_blocking` per message: tokio's blocking pool grows a thread per
//! queued task (up to 512), and every engine call running at once holds its own regex
//! caches (the date regexes' slot tables are megabytes each), so under load the
//! daemon's memory grew to a gigabyte; each task also cost a thread wake-up. Here
//! there are N threads, so at most N sets of caches, reused by every job.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use tokio::sync::{oneshot, Semaphore};

use super::stage::StageError;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Jobs accepted per thread: the one it runs and one waiting, so that a thread that
/// finishes finds its next job without waiting for the async side.
pub const SLOTS_PER_THREAD: usize = 2;

#[derive(Default)]
struct Queue {
    jobs: Mutex<VecDeque<Job>>,
    ready: Condvar,
}

/// A fixed pool of stage worker threads (see the module docs).
pub struct Workers {
    queue: Arc<Queue>,
    slots: Arc<Semaphore>,
    /// Of the slots, those the intake may hold (see [`Workers::run_intake`]).
    intake: Semaphore,
    threads: usize,
}

impl Workers {
    /// A pool of `threads` (≥ 1) threads named `wirefeed-work-<i>`.
    pub fn new(threads: usize) -> Workers {
        let threads = threads.max(1);
        let queue = Arc::new(Queue::default());
        for i in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("wirefeed-work-{i}"))
                .spawn(move || work(&queue))
                .expect("starting a stage worker thread");
        }
        Workers {
            queue,
            slots: Arc::new(Semaphore::new(threads * SLOTS_PER_THREAD)),
            intake: Semaphore::new(threads),
            threads,
        }
    }

    /// The process's pool: one thread per available core (the engine is CPU-bound;
    /// more threads than cores only add caches and switches).
    pub fn shared() -> &'static Workers {
        static SHARED: OnceLock<Workers> = OnceLock::new();
        SHARED.get_or_init(|| Workers::new(cores()))
    }

    /// The number of threads.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Run `f` on a worker thread once a slot is free; a panic becomes a typed,
    /// permanent error ([`StageError::Panic`]) instead of ending the thread.
    ///
    /// On a current-thread runtime (the tests with tokio's paused time) the job runs on
    /// tokio's blocking pool instead: tokio holds paused time still while a blocking
    /// task runs, which these threads cannot ask it to do, and a test's timers would
    /// otherwise fire while the stage work is still running.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StageError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, StageError> + Send + 'static,
    {
        use tokio::runtime::{Handle, RuntimeFlavor};
        if Handle::current().runtime_flavor() == RuntimeFlavor::CurrentThread {
            return match tokio::task::spawn_blocking(f).await {
                Ok(r) => r,
                Err(e) => Err(StageError::Panic(e.to_string())),
            };
        }
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("the worker slots are never closed");
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let result = catch_unwind(AssertUnwindSafe(f));
            // the slot is free before the result is read: the next job is queued
            // while this thread takes the one already waiting
            drop(slot);
            let _ = tx.send(result);
        });
        self.queue
            .jobs
            .lock()
            .expect("worker queue lock")
            .push_back(job);
        self.queue.ready.notify_one();
        match rx.await {
            Ok(Ok(r)) => r,
            Ok(Err(panic)) => Err(StageError::Panic(panic_message(panic.as_ref()))),
            Err(_) => Err(StageError::Panic("the stage worker thread ended".into())),
        }
    }
}

impl Workers {
    /// [`Workers::run`] for the intake, which holds at most half the slots: with a
    /// backlog, the intake's many files (its publish window) would otherwise queue for
    /// the slots ahead of the stages and starve them until the inbox is empty.
    pub async fn run_intake<T, F>(&self, f: F) -> Result<T, StageError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, StageError> + Send + 'static,
    {
        let _lane = self
            .intake
            .acquire()
            .await
            .expect("the intake slots are never closed");
        self.run(f).await
    }
}

/// One worker thread: take the oldest job, run it, forever.
fn work(queue: &Queue) {
    loop {
        let job = {
            let mut jobs = queue.jobs.lock().expect("worker queue lock");
            loop {
                if let Some(job) = jobs.pop_front() {
                    break job;
                }
                jobs = queue.ready.wait(jobs).expect("worker queue lock");
            }
        };
        job();
    }
}

/// The available cores (2 when unknown).
pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic without a message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn never_more_jobs_at_once_than_threads_and_results_come_back() {
        let w = Arc::new(Workers::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..40u64 {
            let (w, running, peak) = (w.clone(), running.clone(), peak.clone());
            tasks.spawn(async move {
                w.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(2));
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok(i * 2)
                })
                .await
            });
        }
        let mut sum = 0;
        while let Some(r) = tasks.join_next().await {
            sum += r.unwrap().unwrap();
        }
        assert_eq!(sum, (0..40u64).map(|i| i * 2).sum::<u64>());
        assert!(peak.load(Ordering::SeqCst) <= 2, "more jobs than threads");
        // every slot is free again
        assert_eq!(w.slots.available_permits(), 2 * SLOTS_PER_THREAD);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_panic_is_a_typed_error_and_the_thread_goes_on() {
        let w = Workers::new(1);
        let r: Result<(), StageError> = w.run(|| panic!("boom")).await;
        match r {
            Err(StageError::Panic(m)) => assert_eq!(m, "boom"),
            other => panic!("expected a panic error, got {other:?}"),
        }
        assert_eq!(w.run(|| Ok(7)).await.unwrap(), 7);
    }
}
