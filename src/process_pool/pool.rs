//! The driver: the one place where the scheduler's decisions become effects.
//!
//! Every event (a submit, a worker's report, a shutdown) takes the pool's lock, asks the
//! [`Scheduler`] what to do, releases the lock, and carries the [`Action`]s out:
//! writing frames, closing pipes, signalling workers, starting supervisor threads,
//! failing and cancelling futures. Nothing slow or foreign (a callback) runs under the
//! lock.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use super::event::{Stop, TaskId, WorkerExit, WorkerId};
use super::parent::{pool_mark, supervise, PoolEvents, ReadBy, WorkerHandle, WorkerSettings};
use super::scheduler::{Action, Actions, Limits, Payload, Scheduler};
use super::task_future::{TaskFuture, Unfinished};
use super::wire::outcome::Outcome;
use crate::Error;

/// A task as the pool queues it: its encoded frame and its future.
pub(crate) struct QueuedTask {
    frame: Arc<[u8]>,
    future: Box<dyn TaskFuture>,
}

impl Payload<Arc<WorkerHandle>> for QueuedTask {
    type Frame = Arc<[u8]>;

    fn claim(&self) -> bool {
        self.future.start()
    }

    fn assign(&self, worker: &Arc<WorkerHandle>) -> Arc<[u8]> {
        self.future.sent_to(worker.fetcher());
        Arc::clone(&self.frame)
    }

    fn frame_len(&self) -> usize {
        self.frame.len()
    }
}

type PoolActions = Actions<QueuedTask, Arc<WorkerHandle>>;

/// What a finished task leaves for the supervisor thread (see
/// [`PoolEvents::Deferred`]).
pub(crate) struct Deferred {
    /// Its future, to be completed with the outcome (read by the supervisor).
    finish: Option<(Box<dyn TaskFuture>, Outcome)>,
    /// Its future with callbacks, decoded by a fetching thread, to be completed.
    unfinished: Option<Unfinished>,
    /// What the scheduler decided that may run user code or start threads.
    foreign: PoolActions,
}

/// The pool's shared state: what a `ProcessPoolExecutor`, its maps and its supervisor
/// threads hold.
pub(crate) struct Pool {
    settings: WorkerSettings,
    state: Mutex<PoolState>,
    /// Signalled on every change, for `shutdown(wait=true)`.
    changed: Condvar,
}

struct PoolState {
    scheduler: Scheduler<QueuedTask, Arc<WorkerHandle>>,
    /// Supervisor threads started and not yet at their very end.
    live_supervisors: usize,
    /// Their handles, to be joined.
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    pub(crate) fn new(limits: Limits, settings: WorkerSettings) -> Arc<Pool> {
        Arc::new(Pool {
            settings,
            state: Mutex::new(PoolState {
                scheduler: Scheduler::new(limits),
                live_supervisors: 0,
                threads: Vec::new(),
            }),
            changed: Condvar::new(),
        })
    }

    pub(crate) fn key(&self) -> u64 {
        self.settings.key
    }

    pub(crate) fn max_workers(&self) -> usize {
        self.state.lock().scheduler.limits().max_workers
    }

    /// A fresh task id, for building the task's frame.
    pub(crate) fn next_task_id(&self) -> TaskId {
        self.state.lock().scheduler.next_task_id()
    }

    /// Queues a task whose frame is built; `Err` if the pool is shut down or broken.
    pub(crate) fn submit(
        self: &Arc<Self>,
        id: TaskId,
        frame: Vec<u8>,
        future: Box<dyn TaskFuture>,
    ) -> Result<(), Error> {
        let task = QueuedTask {
            frame: frame.into(),
            future,
        };
        let actions = self.decide(|scheduler| scheduler.submit(id, task))?;
        self.apply(actions);
        Ok(())
    }

    /// Python's `shutdown(wait, cancel_futures)`.
    pub(crate) fn shutdown(self: &Arc<Self>, wait: bool, cancel_futures: bool) {
        let actions = self.decide(|scheduler| scheduler.shutdown(cancel_futures));
        self.apply(actions);
        if wait {
            self.join_all();
        }
    }

    /// Python 3.14's `terminate_workers` / `kill_workers`.
    pub(crate) fn terminate(self: &Arc<Self>, stop: Stop) {
        let actions = self.decide(|scheduler| scheduler.terminate(stop));
        self.apply(actions);
        self.join_all();
    }

    pub(crate) fn worker_pids(&self) -> Vec<u32> {
        let state = self.state.lock();
        let mut pids: Vec<u32> = state.scheduler.workers().map(|w| w.pid()).collect();
        pids.sort_unstable();
        pids
    }

    pub(crate) fn describe(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.lock();
        let (workers, pending, running, status) = state.scheduler.summary();
        f.debug_struct("ProcessPoolExecutor")
            .field("max_workers", &state.scheduler.limits().max_workers)
            .field("workers", &workers)
            .field("pending", &pending)
            .field("running", &running)
            .field("state", &status)
            .finish()
    }

    /// Runs `decision` on the scheduler under the lock, and wakes `join_all`.
    fn decide<R>(
        &self,
        decision: impl FnOnce(&mut Scheduler<QueuedTask, Arc<WorkerHandle>>) -> R,
    ) -> R {
        let mut state = self.state.lock();
        let result = decision(&mut state.scheduler);
        drop(state);
        self.changed.notify_all();
        result
    }

    /// Carries out what the scheduler decided. Never called with the lock held.
    fn apply(self: &Arc<Self>, actions: PoolActions) {
        for action in actions {
            match action {
                // A failed write means the worker is dying; its supervisor will see
                // the death and the task is sent elsewhere.
                Action::Write(worker, frame) => drop(worker.write(&frame)),
                Action::Close(worker) => worker.close(),
                Action::Stop(worker, stop) => worker.stop(stop),
                Action::Spawn(worker) => self.start_supervisor(worker),
                Action::Fail(task, error) => task.future.fail(error),
                Action::Cancel(task) => task.future.cancel(),
            }
        }
    }

    /// Starts the thread that starts and watches worker `worker`.
    fn start_supervisor(self: &Arc<Self>, worker: WorkerId) {
        self.state.lock().live_supervisors += 1;
        let events = Arc::clone(self);
        let started = std::thread::Builder::new()
            .name(format!("concurrent-futures-worker-{worker}"))
            .spawn(move || supervise(events, worker));
        match started {
            Ok(thread) => self.keep_thread(thread),
            Err(e) => {
                self.supervisor_ended();
                let reason = format!("could not start a thread to watch a new worker: {e}");
                self.failed_to_start(worker, reason);
            }
        }
    }

    /// Keeps a supervisor thread's handle, and joins the threads of workers that are
    /// gone meanwhile, so that a long-lived pool replacing workers does not pile up
    /// finished threads (their stacks stay mapped until joined).
    fn keep_thread(&self, thread: JoinHandle<()>) {
        let finished: Vec<_> = {
            let mut state = self.state.lock();
            state.threads.push(thread);
            let (done, live) = std::mem::take(&mut state.threads)
                .into_iter()
                .partition(|t| t.is_finished());
            state.threads = live;
            done
        };
        for thread in finished {
            let _ = thread.join();
        }
    }

    /// Waits until every task is done and every worker has exited and been reaped.
    ///
    /// From one of this pool's own supervisor threads (a done-callback that shuts the
    /// pool down or drops it) it cannot wait: the tasks it would wait for can only be
    /// finished by this very thread. It returns at once; the workers still finish
    /// their tasks and exit on their own, since the pool is shut down.
    fn join_all(&self) {
        if crate::pool_thread::works_for(pool_mark(self)) {
            return;
        }
        let mut state = self.state.lock();
        while !(state.scheduler.is_idle() && state.live_supervisors == 0) {
            self.changed.wait(&mut state);
        }
        let threads = std::mem::take(&mut state.threads);
        drop(state);
        for thread in threads {
            let _ = thread.join();
        }
    }
}

impl PoolEvents for Pool {
    type Deferred = Deferred;

    fn settings(&self) -> &WorkerSettings {
        &self.settings
    }

    fn spawned(self: &Arc<Self>, worker: WorkerId, handle: &Arc<WorkerHandle>) {
        let actions = self.decide(|s| s.worker_spawned(worker, Arc::clone(handle)));
        self.apply(actions);
    }

    fn ready(self: &Arc<Self>, worker: WorkerId, pipe_capacity: usize) {
        let actions = self.decide(|s| s.worker_ready(worker, pipe_capacity));
        self.apply(actions);
    }

    fn failed_to_start(self: &Arc<Self>, worker: WorkerId, reason: String) {
        let actions = self.decide(|s| s.worker_failed_to_start(worker, &reason));
        self.apply(actions);
    }

    /// Writes and closes happen at once, under the result pipe's lock (so that the
    /// worker has its next task while this result is decoded); the rest is deferred,
    /// except that a fetching thread completes a future without callbacks itself.
    fn task_finished(
        self: &Arc<Self>,
        worker: WorkerId,
        id: TaskId,
        outcome: Outcome,
        run_time: Duration,
        reader: ReadBy,
    ) -> Option<Deferred> {
        let (task, actions) = self.decide(|s| s.task_finished(worker, id, run_time));
        let (foreign, now): (PoolActions, PoolActions) =
            actions.into_iter().partition(Action::is_foreign);
        self.apply(now);
        let mut deferred = Deferred {
            finish: None,
            unfinished: None,
            foreign,
        };
        match (task, reader) {
            (Some(task), ReadBy::Supervisor) => deferred.finish = Some((task.future, outcome)),
            (Some(task), ReadBy::Fetcher) => deferred.unfinished = task.future.finish_here(outcome),
            (None, _) => {}
        }
        let empty = deferred.finish.is_none()
            && deferred.unfinished.is_none()
            && deferred.foreign.is_empty();
        (!empty).then_some(deferred)
    }

    fn run_deferred(self: &Arc<Self>, deferred: Deferred) {
        // New workers first: a callback below may wait for a task that needs one.
        self.apply(deferred.foreign);
        if let Some((future, outcome)) = deferred.finish {
            // Decoding (caught there) and callbacks (caught by the future) are the
            // only user code here: this thread survives both.
            future.finish(outcome);
        }
        if let Some(unfinished) = deferred.unfinished {
            unfinished.finish();
        }
    }

    fn retiring(self: &Arc<Self>, worker: WorkerId) {
        self.decide(|s| s.worker_retiring(worker));
    }

    fn exited(self: &Arc<Self>, worker: WorkerId, exit: WorkerExit) {
        let actions = self.decide(|s| s.worker_exited(worker, &exit));
        self.apply(actions);
    }

    fn supervisor_ended(&self) {
        self.state.lock().live_supervisors -= 1;
        self.changed.notify_all();
    }
}
