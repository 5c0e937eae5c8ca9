//! The state a thread pool shares with its workers and with its `map` iterators.

use crate::admission::Admission;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use parking_lot::{Condvar, Mutex};

use super::queue::Queue;
use super::sleep::Sleep;
use super::work_item::Job;
use super::worker::{self, WorkerPool};
use super::Initializer;
use crate::future::FutureTask;
use crate::{Error, Future};

/// Numbers pools without a name prefix, as Python's `ThreadPoolExecutor-<n>`.
static POOL_COUNTER: AtomicUsize = AtomicUsize::new(0);

pub(super) struct PoolCore {
    max_workers: usize,
    thread_name_prefix: String,
    initializer: Option<Initializer>,
    stack_size: Option<usize>,
    /// The jobs, pushed by `submit` (under the control lock, while open), taken by
    /// the workers (and by `shutdown`, to cancel them).
    queue: Queue<Job>,
    /// Where idle workers sleep, and who wakes them (`sleep.rs`).
    sleep: Sleep,
    /// Python's `_idle_semaphore`: how many finished tasks have not been matched by a
    /// `submit` yet, i.e. roughly how many workers are idle. A submit that can take one
    /// starts no thread.
    idle: AtomicUsize,
    /// Set once `max_workers` threads run: from then on nobody needs the idle count,
    /// and leaving it alone saves a cache line bouncing between every thread.
    all_started: AtomicBool,
    control: Mutex<Control>,
    /// Signalled when a `shutdown(wait=true)` has joined the threads it took.
    joined: Condvar,
}

/// Everything `submit` and `shutdown` must see change atomically (Python's
/// `_shutdown_lock`).
struct Control {
    /// Shut down (the queue is closed, and the workers drain it and exit) or broken
    /// (an initializer failed): no more submits.
    admission: Admission,
    threads: Vec<JoinHandle<()>>,
    started: usize,
    /// How many `shutdown(wait=true)` calls are joining threads right now. A second
    /// caller finds the handles taken and must wait for the first to finish, since
    /// Python's `shutdown(wait=True)` returns only once the work is done in every call.
    joining: usize,
}

impl PoolCore {
    pub(super) fn new(
        max_workers: usize,
        thread_name_prefix: Option<String>,
        initializer: Option<Initializer>,
        stack_size: Option<usize>,
    ) -> Arc<PoolCore> {
        let thread_name_prefix = thread_name_prefix.unwrap_or_else(|| {
            format!(
                "ThreadPoolExecutor-{}",
                POOL_COUNTER.fetch_add(1, Ordering::Relaxed)
            )
        });
        Arc::new(PoolCore {
            max_workers,
            thread_name_prefix,
            initializer,
            stack_size,
            queue: Queue::new(),
            sleep: Sleep::default(),
            idle: AtomicUsize::new(0),
            all_started: AtomicBool::new(false),
            control: Mutex::new(Control {
                admission: Admission::Open,
                threads: Vec::new(),
                started: 0,
                joining: 0,
            }),
            joined: Condvar::new(),
        })
    }

    pub(super) fn max_workers(&self) -> usize {
        self.max_workers
    }

    /// Queues `func`, whose `Err` fails the future (see `WorkItem for Task`).
    pub(super) fn submit<F, T>(self: &Arc<Self>, func: F) -> Result<Future<T>, Error>
    where
        F: FnOnce() -> Result<T, Error> + Send + 'static,
        T: Send + Sync + 'static,
    {
        let mut control = self.control.lock();
        control.admission.check()?;
        if !self.all_started.load(Ordering::Relaxed) {
            self.adjust_thread_count(&mut control)?;
        }
        let (future, job) = FutureTask::new(func);
        let job: Job = job;
        self.queue.push(job);
        drop(control);
        self.sleep.job_queued();
        Ok(future)
    }

    /// Python's `_adjust_thread_count`: reuse an idle worker if there is one, else
    /// start a thread while below `max_workers`.
    fn adjust_thread_count(self: &Arc<Self>, control: &mut Control) -> Result<(), Error> {
        if control.started >= self.max_workers {
            return Ok(());
        }
        let took_idle = self
            .idle
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |idle| {
                idle.checked_sub(1)
            })
            .is_ok();
        if took_idle {
            return Ok(());
        }
        let name = format!("{}_{}", self.thread_name_prefix, control.started);
        let mut builder = thread::Builder::new().name(name);
        if let Some(bytes) = self.stack_size {
            builder = builder.stack_size(bytes);
        }
        let core: Arc<dyn WorkerPool> = Arc::clone(self) as _;
        match builder.spawn(move || worker::run(core)) {
            Ok(handle) => {
                control.started += 1;
                control.threads.push(handle);
                if control.started == self.max_workers {
                    self.all_started.store(true, Ordering::Relaxed);
                }
                Ok(())
            }
            // Other workers will get to the task in time; with none, it would wait
            // forever, so refuse it.
            Err(_) if control.started > 0 => Ok(()),
            Err(error) => Err(Error::BrokenExecutor {
                reason: format!("could not start a worker thread: {error}"),
            }),
        }
    }

    /// Marks the pool broken and fails every queued task (Python's
    /// `_initializer_failed`).
    pub(super) fn break_pool(&self, reason: String) {
        let mut control = self.control.lock();
        control.admission.break_with(&reason);
        drop(control);
        while let Some(job) = self.queue.pop() {
            job.fail(Error::BrokenExecutor {
                reason: reason.clone(),
            });
        }
    }

    pub(super) fn shutdown(&self, wait: bool, cancel_futures: bool) {
        let mut control = self.control.lock();
        control.admission.shut_down();
        self.queue.close();
        // Taken out of the queue under the lock, cancelled after it: cancelling runs
        // the futures' callbacks, which may call back into this pool (submit, Debug).
        let unstarted: Vec<Job> = if cancel_futures {
            std::iter::from_fn(|| self.queue.pop()).collect()
        } else {
            Vec::new()
        };
        drop(control);
        // Sleeping workers wake, drain the queue and exit (it is closed).
        self.sleep.close();
        for job in unstarted {
            job.cancel();
        }
        if !wait {
            return;
        }
        // Join every worker. Whoever takes the handles joins them; a caller that finds
        // them taken waits until the taker is done, so every shutdown(wait=true)
        // returns only once the work is done, as Python's does.
        //
        // A pool shut down (or dropped) by one of its own tasks cannot join the thread
        // it runs on. That worker takes its own handle with the others (so that no
        // other worker shutting down at the same time joins it while it joins them),
        // puts it back when done, for an outside caller to join, and does not wait for
        // concurrent callers, which may be joining it.
        let me = thread::current().id();
        let inside = crate::pool_thread::works_for(self.id());
        let mut control = self.control.lock();
        loop {
            let threads = std::mem::take(&mut control.threads);
            if threads.is_empty() {
                if inside || control.joining == 0 {
                    return;
                }
                self.joined.wait(&mut control);
                continue;
            }
            control.joining += 1;
            drop(control);
            let mut own = None;
            for thread in threads {
                if thread.thread().id() == me {
                    own = Some(thread);
                } else {
                    let _ = thread.join();
                }
            }
            control = self.control.lock();
            control.threads.extend(own);
            control.joining -= 1;
            self.joined.notify_all();
            if inside {
                return;
            }
        }
    }
}

impl WorkerPool for PoolCore {
    fn id(&self) -> usize {
        self as *const PoolCore as usize
    }

    fn initialize(&self) {
        if let Some(initializer) = &self.initializer {
            initializer();
        }
    }

    fn break_pool(&self, reason: String) {
        PoolCore::break_pool(self, reason);
    }

    fn next_job(&self) -> Option<Job> {
        self.sleep.next_job(&self.queue)
    }

    fn job_done(&self) {
        // Python's `_idle_semaphore.release()`: this worker can take the next submit.
        if !self.all_started.load(Ordering::Relaxed) {
            self.idle.fetch_add(1, Ordering::Release);
        }
    }
}

impl std::fmt::Debug for PoolCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let control = self.control.lock();
        let state = control.admission.describe();
        f.debug_struct("ThreadPoolExecutor")
            .field("name", &self.thread_name_prefix)
            .field("max_workers", &self.max_workers)
            .field("threads", &control.started)
            .field("queued", &self.queue.len())
            .field("state", &state)
            .finish()
    }
}
