//! The words the scheduler and the parent's side of a worker share: ids, how a worker
//! is stopped, and what its supervisor reports when it is gone. Plain data; neither
//! side imports the other.

use crate::ExitCause;

/// A task, numbered by the pool in the order submitted.
pub(crate) type TaskId = u64;

/// A worker process, numbered by the pool in the order started (not its pid).
pub(crate) type WorkerId = u64;

/// A signal the pool sends to a worker's process group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// SIGTERM: the worker (and its task's processes) may clean up.
    Term,
    /// SIGKILL: cannot be caught or ignored.
    Kill,
}

/// A worker process is gone and reaped: what its supervisor saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WorkerExit {
    pub(crate) pid: u32,
    pub(crate) cause: ExitCause,
    /// The task it had said it started, if any.
    pub(crate) running: Option<TaskId>,
    /// The task whose time limit had it stopped, if any.
    pub(crate) time_limited: Option<TaskId>,
    /// The pool killed it (time limit, a bad frame, a failed watch): the tasks sent
    /// to it and not started are innocent.
    pub(crate) killed_by_pool: bool,
}
