//! The crate's one error type.
//!
//! Python spreads these over `CancelledError`, `TimeoutError`, `BrokenExecutor`,
//! `RuntimeError`, `ValueError`, `InvalidStateError` and whatever exception the task
//! raised. Here they are the variants of one enum, so that a `Future<T>` of any `T`
//! carries the same error type and `?` works everywhere.

use std::fmt;
use std::sync::Arc;

/// Everything that can go wrong with a task, a future or an executor.
///
/// `Error` is `Clone` because a future's failure can be observed any number of times,
/// from any number of handles (`result()` hands out a fresh copy each time).
///
/// ```
/// use concurrent_futures::{Error, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
/// let fut = pool.submit(|| -> u32 { panic!("bad input") }).unwrap();
/// match fut.result() {
///     Err(Error::Panicked { message }) => assert_eq!(message, "bad input"),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The future was cancelled before it started (Python's `CancelledError`).
    #[error("the future was cancelled")]
    Cancelled,

    /// The wait ran out of time (Python's `TimeoutError`). The task itself goes on.
    #[error("timed out waiting for the future")]
    Timeout,

    /// The task panicked; `message` is the panic payload when it was a string.
    #[error("the task panicked: {message}")]
    Panicked {
        /// The panic message (`"<non-string panic payload>"` when it was not a string).
        message: String,
    },

    /// `submit` or `map` was called after `shutdown` (Python's `RuntimeError`).
    #[error("cannot schedule new futures after shutdown")]
    Shutdown,

    /// An argument was out of range, e.g. `max_workers = 0` (Python's `ValueError`).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// The executor cannot run tasks any more, e.g. because an initializer failed
    /// (Python's `BrokenThreadPool` / `BrokenProcessPool`).
    #[error("the executor is broken: {reason}")]
    BrokenExecutor {
        /// Why the executor broke, in words a user can act on.
        reason: String,
    },

    /// The worker process running this task died (only this task is affected).
    #[error("the worker process (pid {pid}) died while running this task: {cause}")]
    WorkerDied {
        /// The worker's process id.
        pid: u32,
        /// How it ended: its exit code or the signal that killed it.
        cause: ExitCause,
    },

    /// The task ran longer than the executor's per-task time limit and was stopped.
    ///
    /// Distinct from [`Error::Timeout`], which only means a *wait* ran out of time.
    #[error("the task exceeded its time limit of {limit:?} and its worker was stopped")]
    TaskTimeLimit {
        /// The limit that was exceeded.
        limit: std::time::Duration,
    },

    /// The task returned an error: a task submitted with `submit_fallible` returned
    /// `Err` (Python's "the task raised an exception").
    #[error("the task failed: {0}")]
    Failed(TaskError),

    /// The task's argument or result could not be sent between processes.
    #[error("could not transfer the task's data between processes: {0}")]
    Serialization(String),

    /// A future was completed twice, or a method was called in a state that forbids it
    /// (Python's `InvalidStateError`).
    #[error("invalid state: {0}")]
    InvalidState(String),
}

/// The error a fallible task returned, as carried by [`Error::Failed`].
///
/// It keeps the original error value when the task ran in this process (get it back
/// with [`downcast_ref`](TaskError::downcast_ref)), and its message when the task ran
/// in a worker process. Two `TaskError`s are equal when their messages are.
///
/// ```
/// use concurrent_futures::{Error, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::new();
/// let fut = pool.submit_fallible(|| "forty-two".parse::<u32>()).unwrap();
/// match fut.result() {
///     Err(Error::Failed(error)) => {
///         assert_eq!(error.message(), "invalid digit found in string");
///         assert!(error.downcast_ref::<std::num::ParseIntError>().is_some());
///     }
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Clone)]
pub struct TaskError {
    message: String,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl TaskError {
    /// Wraps the error a task returned.
    pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> TaskError {
        let error: Arc<dyn std::error::Error + Send + Sync> = Arc::from(error.into());
        TaskError {
            message: error.to_string(),
            source: Some(error),
        }
    }

    /// An error known only by its message (it came from another process).
    pub fn from_message(message: impl Into<String>) -> TaskError {
        TaskError {
            message: message.into(),
            source: None,
        }
    }

    /// The error's message (its `Display`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The original error, if it is an `E` and the task ran in this process.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.source.as_deref()?.downcast_ref::<E>()
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TaskError").field(&self.message).finish()
    }
}

impl PartialEq for TaskError {
    fn eq(&self, other: &TaskError) -> bool {
        self.message == other.message
    }
}

impl Eq for TaskError {}

impl std::error::Error for TaskError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// How a worker process ended, as reported in [`Error::WorkerDied`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExitCause {
    /// It called `exit` (or returned from `main`) with this code.
    Exited(i32),
    /// It was killed by this signal number (e.g. 9 for `SIGKILL`, 11 for `SIGSEGV`).
    Signaled(i32),
    /// A worker process of an `MpiPoolExecutor`'s worker rank ended by `cause`: the
    /// rank and its host say where.
    OnRank {
        /// The worker rank (in `MPI_COMM_WORLD`, or in the spawned group).
        rank: i32,
        /// The host it runs on.
        host: &'static str,
        /// How the worker process ended (never `OnRank` itself).
        cause: &'static ExitCause,
    },
}

impl ExitCause {
    /// `cause`, on worker rank `rank` of host `host`. Hosts and causes are interned
    /// (there are few of each), so that `ExitCause` stays `Copy`.
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    pub(crate) fn on_rank(rank: i32, host: &str, cause: ExitCause) -> ExitCause {
        static HOSTS: parking_lot::Mutex<Vec<&'static str>> = parking_lot::Mutex::new(Vec::new());
        static CAUSES: parking_lot::Mutex<Vec<&'static ExitCause>> =
            parking_lot::Mutex::new(Vec::new());
        let host = intern(&HOSTS, host, |host| {
            Box::leak(host.to_owned().into_boxed_str())
        });
        let cause = intern(&CAUSES, &cause, |cause| Box::leak(Box::new(*cause)));
        ExitCause::OnRank { rank, host, cause }
    }
}

/// The one `'static` copy of `value` in `table`, made by `leak` the first time.
fn intern<T: ?Sized + PartialEq>(
    table: &parking_lot::Mutex<Vec<&'static T>>,
    value: &T,
    leak: impl FnOnce(&T) -> &'static T,
) -> &'static T {
    let mut table = table.lock();
    if let Some(&interned) = table.iter().find(|&&interned| interned == value) {
        return interned;
    }
    let interned = leak(value);
    table.push(interned);
    interned
}

impl fmt::Display for ExitCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ExitCause::Exited(code) => write!(f, "exited with code {code}"),
            ExitCause::Signaled(signal) => {
                write!(f, "killed by signal {signal}")?;
                if let Some(name) = signal_name(signal) {
                    write!(f, " ({name})")?;
                }
                Ok(())
            }
            ExitCause::OnRank { rank, host, cause } => {
                write!(f, "{cause}, on worker rank {rank} (host {host})")
            }
        }
    }
}

fn signal_name(signal: i32) -> Option<&'static str> {
    Some(match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => return None,
    })
}

impl Error {
    /// The message of a panic payload, as `std::panic::catch_unwind` returns it.
    pub(crate) fn from_panic(payload: Box<dyn std::any::Any + Send>) -> Error {
        Error::Panicked {
            message: panic_message(payload),
        }
    }

    /// The variant's name, as Python's repr of a failed future names the exception class.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            Error::Cancelled => "Cancelled",
            Error::Timeout => "Timeout",
            Error::Panicked { .. } => "Panicked",
            Error::Shutdown => "Shutdown",
            Error::InvalidArgument(_) => "InvalidArgument",
            Error::BrokenExecutor { .. } => "BrokenExecutor",
            Error::WorkerDied { .. } => "WorkerDied",
            Error::TaskTimeLimit { .. } => "TaskTimeLimit",
            Error::Serialization(_) => "Serialization",
            Error::InvalidState(_) => "InvalidState",
            Error::Failed(_) => "Failed",
        }
    }
}

/// The message a panic was raised with (`panic!("...")` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_payloads_become_messages() {
        let from_str = Error::from_panic(Box::new("static"));
        assert_eq!(
            from_str,
            Error::Panicked {
                message: "static".into()
            }
        );
        let from_string = Error::from_panic(Box::new(String::from("owned")));
        assert_eq!(
            from_string,
            Error::Panicked {
                message: "owned".into()
            }
        );
        let other = Error::from_panic(Box::new(42_u8));
        assert!(matches!(other, Error::Panicked { message } if message.contains("non-string")));
    }

    #[test]
    fn exit_causes_name_the_signal() {
        assert_eq!(
            ExitCause::Signaled(9).to_string(),
            "killed by signal 9 (SIGKILL)"
        );
        assert_eq!(ExitCause::Exited(3).to_string(), "exited with code 3");
        let died = Error::WorkerDied {
            pid: 7,
            cause: ExitCause::Signaled(11),
        };
        assert!(died.to_string().contains("pid 7"));
        assert!(died.to_string().contains("SIGSEGV"));
    }
}
