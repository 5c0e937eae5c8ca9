//! The parent's side of one worker process: starting it (`spawn`), the handshake
//! (`handshake`), reading its results (`results`), watching it and its time limit
//! (`supervisor`, one thread per worker), and waiting for its end (`reap`). The pool
//! holds a [`WorkerHandle`] per worker (`handle`).
//!
//! This side knows nothing of the pool's rules: it reports what happens through
//! [`PoolEvents`], which the driver (`pool.rs`) implements.

mod handle;
mod handshake;
mod reap;
mod results;
mod spawn;
mod supervisor;

use std::sync::Arc;
use std::time::Duration;

use super::event::{TaskId, WorkerExit, WorkerId};
use super::wire::outcome::Outcome;
use super::wire::protocol::Initializer;

pub(crate) use handle::WorkerHandle;
pub(crate) use supervisor::supervise;

/// What the parent's side of a worker needs of the pool and tells it.
pub(crate) trait PoolEvents: Send + Sync + 'static {
    /// What is left to do after a task finished (completing its future, work for new
    /// workers) that must not run under the result pipe's lock: the supervisor thread
    /// runs it with [`run_deferred`](PoolEvents::run_deferred).
    type Deferred: Send;

    /// The settings every worker of the pool gets.
    fn settings(&self) -> &WorkerSettings;
    /// Worker `worker`'s process exists; its handshake follows.
    fn spawned(self: &Arc<Self>, worker: WorkerId, handle: &Arc<WorkerHandle>);
    /// Worker `worker` finished its handshake: it can take tasks.
    fn ready(self: &Arc<Self>, worker: WorkerId, pipe_capacity: usize);
    /// Worker `worker` could not be started, or failed its handshake.
    fn failed_to_start(self: &Arc<Self>, worker: WorkerId, reason: String);
    /// Task `id` ended on `worker` after `run_time`, read by `reader`.
    fn task_finished(
        self: &Arc<Self>,
        worker: WorkerId,
        id: TaskId,
        outcome: Outcome,
        run_time: Duration,
        reader: ReadBy,
    ) -> Option<Self::Deferred>;
    /// Runs what [`task_finished`](PoolEvents::task_finished) left.
    fn run_deferred(self: &Arc<Self>, deferred: Self::Deferred);
    /// Worker `worker`'s time limit fired: it is being stopped, and takes no more tasks.
    fn retiring(self: &Arc<Self>, worker: WorkerId);
    /// Worker `worker` is gone and reaped.
    fn exited(self: &Arc<Self>, worker: WorkerId, exit: WorkerExit);
    /// A supervisor thread's very last act.
    fn supervisor_ended(&self);
}

/// Which thread read a result from a worker's pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadBy {
    /// The worker's supervisor thread, which may run user callbacks.
    Supervisor,
    /// A thread waiting in `Future::result`, fetching its result itself: it must not
    /// run done-callbacks (they may block, or run where the user does not expect).
    Fetcher,
}

/// What every worker of a pool is told, or held to.
#[derive(Debug, Clone)]
pub(crate) struct WorkerSettings {
    /// Keys the tags of the entry points the pool sends (see `wire/entry.rs`).
    pub(crate) key: u64,
    pub(crate) initializer: Option<Initializer>,
    pub(crate) task_time_limit: Option<Duration>,
}

/// The name by which a pool's threads are marked in `crate::pool_thread`: the address
/// of its shared state.
pub(crate) fn pool_mark<E>(events: &E) -> usize {
    events as *const E as usize
}
