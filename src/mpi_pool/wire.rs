//! The messages between the client (the rank that owns `MpiPoolExecutor`s) and its
//! worker ranks, each a postcard-encoded MPI message of bytes. Tasks and results travel
//! in batches: what piled up while a message was on its way goes in the next one.
//!
//! ```text
//! client                                         worker rank
//!   |  <───────────────────── Hello { host, pid } ──  at start
//!   |  ── Open { pool, settings } ─────────────────>  starts a local process pool
//!   |  ── Tasks { pool, [Task { id, entry, arg }] } >  runs them there
//!   |  <──────────── Results { pool, [(id, ..)] } ──  as they finish
//!   |  ── Close { pool } ──────────────────────────>  shuts the local pool down
//!   |  ── Exit ────────────────────────────────────>  leaves:
//!   |  <──────────────────────────────── Goodbye ──  then disconnects, exits
//! ```

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::process_pool::wire::entry::Entry;
use crate::process_pool::wire::outcome::Outcome;
use crate::process_pool::wire::protocol::Initializer;
use crate::{Error, ExitCause};

/// An executor on the client, numbered by the client.
pub(crate) type PoolId = u64;

/// A task of one executor, numbered by it.
pub(crate) type TaskId = u64;

/// Messages from the client to a worker rank.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum ToRank {
    /// Start serving executor `pool`.
    Open { pool: PoolId, settings: Settings },
    /// Run these tasks of `pool`.
    Tasks { pool: PoolId, tasks: Vec<Task> },
    /// No more tasks for `pool`: the rank's local pool shuts down once idle.
    Close { pool: PoolId },
    /// Stop serving anything, finalize MPI and exit.
    Exit,
}

/// Messages from a worker rank to the client.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum ToClient {
    /// The rank is up: where it runs.
    Hello { host: String, pid: u32 },
    /// Tasks of `pool` that ended.
    Results {
        pool: PoolId,
        results: Vec<(TaskId, TaskResult)>,
    },
    /// The answer to `Exit`: the rank's last message before it disconnects.
    Goodbye,
}

/// What a worker rank needs to serve one executor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Settings {
    /// Keys the tags of the entry points the client sends.
    pub(crate) key: u64,
    /// The client's build (see `layout::build_fingerprint`): entries are offsets into
    /// the program, valid only between processes that run the same build.
    pub(crate) build: u64,
    pub(crate) initializer: Option<Initializer>,
    /// Worker processes of the rank's local pool.
    pub(crate) local_workers: usize,
    pub(crate) max_tasks_per_child: Option<usize>,
    pub(crate) task_time_limit: Option<Duration>,
}

/// One task: `entry` on the postcard bytes `arg`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Task {
    pub(crate) id: TaskId,
    pub(crate) entry: Entry,
    pub(crate) arg: Vec<u8>,
}

/// How a task ended on a worker rank.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum TaskResult {
    /// It ran: what the worker process reported.
    Ran(Outcome),
    /// It did not end on its own.
    Lost(LostTask),
}

/// Why a task did not end on its own; each becomes its [`Error`] on the client.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum LostTask {
    /// The worker process running it died.
    WorkerDied {
        pid: u32,
        exit: WireExit,
    },
    TimeLimit {
        limit: Duration,
    },
    /// The rank's local pool broke (its initializer failed), or the rank refused the
    /// executor (a different build).
    Broken {
        reason: String,
    },
    Cancelled,
    /// Anything else the local pool reported.
    Other {
        message: String,
    },
}

/// [`ExitCause`], as it crosses ranks.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) enum WireExit {
    Exited(i32),
    Signaled(i32),
}

impl TaskResult {
    /// What the rank's local pool said of a task.
    pub(crate) fn from_local(result: Result<&Vec<u8>, Error>) -> TaskResult {
        let error = match result {
            Ok(bytes) => return TaskResult::Ran(Outcome::Returned(bytes.clone())),
            Err(error) => error,
        };
        let outcome = match error {
            Error::Panicked { message } => Outcome::Panicked(message),
            Error::Failed(error) => Outcome::Failed(error.message().to_string()),
            Error::Serialization(why) => Outcome::Serialization(why),
            other => return TaskResult::Lost(LostTask::from_error(other)),
        };
        TaskResult::Ran(outcome)
    }
}

impl LostTask {
    fn from_error(error: Error) -> LostTask {
        match error {
            Error::WorkerDied { pid, cause } => LostTask::WorkerDied {
                pid,
                exit: WireExit::from(cause),
            },
            Error::TaskTimeLimit { limit } => LostTask::TimeLimit { limit },
            Error::BrokenExecutor { reason } => LostTask::Broken { reason },
            Error::Cancelled => LostTask::Cancelled,
            other => LostTask::Other {
                message: other.to_string(),
            },
        }
    }

    /// The error of the task's future on the client; `rank` and `host` say where the
    /// worker process was.
    pub(crate) fn into_error(self, rank: i32, host: &str) -> Error {
        match self {
            LostTask::WorkerDied { pid, exit } => Error::WorkerDied {
                pid,
                cause: ExitCause::on_rank(rank, host, exit.into()),
            },
            LostTask::TimeLimit { limit } => Error::TaskTimeLimit { limit },
            LostTask::Broken { reason } => Error::BrokenExecutor {
                reason: format!("worker rank {rank} on {host}: {reason}"),
            },
            LostTask::Cancelled => Error::Cancelled,
            LostTask::Other { message } => Error::BrokenExecutor {
                reason: format!("worker rank {rank} on {host}: {message}"),
            },
        }
    }
}

impl From<ExitCause> for WireExit {
    fn from(cause: ExitCause) -> WireExit {
        match cause {
            ExitCause::Signaled(signal) => WireExit::Signaled(signal),
            ExitCause::Exited(code) => WireExit::Exited(code),
            ExitCause::OnRank { cause, .. } => WireExit::from(*cause),
        }
    }
}

impl From<WireExit> for ExitCause {
    fn from(exit: WireExit) -> ExitCause {
        match exit {
            WireExit::Exited(code) => ExitCause::Exited(code),
            WireExit::Signaled(signal) => ExitCause::Signaled(signal),
        }
    }
}

/// Identifies this build across machines: a hash of the executable file's bytes. The
/// process pool's layout check uses the file's identity (inode, mtime), which differs
/// between nodes that each have a copy; a copy has the same bytes.
pub(crate) fn build_fingerprint() -> u64 {
    static BUILD: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *BUILD.get_or_init(|| {
        use std::hash::Hasher;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        match std::fs::read("/proc/self/exe") {
            Ok(bytes) => hasher.write(&bytes),
            Err(_) => hasher.write_u32(0),
        }
        hasher.finish()
    })
}
