//! Configuring a [`ProcessPoolExecutor`].

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::wire::entry::{self, Entry};
use super::wire::outcome::TaskFn;
use super::wire::protocol::Initializer;
use super::wire::trampoline::call_one;
use super::ProcessPoolExecutor;
use crate::Error;

/// The initializer as the builder holds it, before the pool makes its entry points.
#[derive(Debug, Clone)]
pub(crate) enum InitializerSpec {
    Plain(fn()),
    /// A one-argument initializer's trampoline and its encoded argument (or why the
    /// argument could not be encoded, reported by `build`).
    WithArg(TaskFn, Result<Vec<u8>, String>),
}

impl InitializerSpec {
    /// The initializer as it is sent to workers: its entry point tagged under `key`.
    pub(crate) fn tagged(self, key: u64) -> Result<Initializer, String> {
        Ok(match self {
            InitializerSpec::Plain(function) => {
                Initializer::Plain(Entry::initializer(function, key)?)
            }
            InitializerSpec::WithArg(trampoline, arg) => Initializer::WithArg {
                entry: Entry::task(trampoline, key)?,
                arg: arg.unwrap_or_default(), // `build` refused an unencodable one
            },
        })
    }
}

/// The options of a [`ProcessPoolBuilder`], checked.
#[cfg_attr(not(feature = "mpi"), allow(dead_code))]
pub(crate) struct CheckedOptions {
    pub(crate) max_workers: usize,
    pub(crate) initializer: Option<InitializerSpec>,
    pub(crate) max_tasks_per_child: Option<usize>,
    pub(crate) task_time_limit: Option<Duration>,
}

/// Builds a [`ProcessPoolExecutor`] (Python's `max_workers`, `initializer` and
/// `initargs`, and `max_tasks_per_child`, plus a per-task time limit).
///
/// ```
/// use std::time::Duration;
/// use concurrent_futures::ProcessPoolExecutor;
///
/// fn warm_up() { /* e.g. load a table once per worker */ }
///
/// fn main() {
///     concurrent_futures::init();
///     let pool = ProcessPoolExecutor::builder()
///         .max_workers(2)
///         .initializer(warm_up)
///         .max_tasks_per_child(100)
///         .task_time_limit(Duration::from_secs(60))
///         .build()
///         .unwrap();
///     assert_eq!(pool.max_workers(), 2);
/// }
/// ```
#[derive(Default, Debug, Clone)]
#[must_use = "call .build() to get the pool"]
pub struct ProcessPoolBuilder {
    max_workers: Option<usize>,
    initializer: Option<InitializerSpec>,
    max_tasks_per_child: Option<usize>,
    task_time_limit: Option<Duration>,
}

impl ProcessPoolBuilder {
    /// The defaults: one worker per CPU, no initializer, workers live forever, no
    /// time limit.
    pub fn new() -> ProcessPoolBuilder {
        ProcessPoolBuilder::default()
    }

    /// The most worker processes the pool runs at once (at least 1).
    pub fn max_workers(mut self, max_workers: usize) -> ProcessPoolBuilder {
        self.max_workers = Some(max_workers);
        self
    }

    /// Runs `initializer` once in each worker process before its first task. If it
    /// panics, the pool is broken: its futures fail with `Error::BrokenExecutor` and no
    /// worker is started again.
    pub fn initializer(mut self, initializer: fn()) -> ProcessPoolBuilder {
        self.initializer = Some(InitializerSpec::Plain(initializer));
        self
    }

    /// Like [`initializer`](Self::initializer), for an initializer that takes an
    /// argument (Python's `initargs`): `initializer(arg)` runs once in each worker
    /// process. As for tasks, `initializer` is a plain `fn` (or a closure that
    /// captures nothing) and `arg` travels with serde; an `arg` that cannot be
    /// encoded makes `build` fail with `Error::Serialization`.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use concurrent_futures::ProcessPoolExecutor;
    ///
    /// static SCALE: AtomicU64 = AtomicU64::new(1);
    ///
    /// fn set_scale(scale: u64) {
    ///     SCALE.store(scale, Ordering::Relaxed);
    /// }
    ///
    /// fn scaled(n: u64) -> u64 {
    ///     n * SCALE.load(Ordering::Relaxed)
    /// }
    ///
    /// fn main() {
    ///     concurrent_futures::init();
    ///     let pool = ProcessPoolExecutor::builder()
    ///         .max_workers(1)
    ///         .initializer_with(set_scale, 10)
    ///         .build()
    ///         .unwrap();
    ///     assert_eq!(pool.submit(scaled, 4).unwrap().result(), Ok(&40));
    /// }
    /// ```
    pub fn initializer_with<F, A>(mut self, initializer: F, arg: A) -> ProcessPoolBuilder
    where
        F: Fn(A) + Copy + Send + Sync + 'static,
        A: Serialize + DeserializeOwned + 'static,
    {
        const { entry::assert_transportable::<F>() };
        let _ = initializer; // zero-sized: the worker conjures it
        let encoded = postcard::to_allocvec(&arg)
            .map_err(|e| format!("could not encode the initializer's argument: {e}"));
        self.initializer = Some(InitializerSpec::WithArg(call_one::<F, A, ()>, encoded));
        self
    }

    /// The initializer, as the pool keeps it (an MPI worker rank passes on the one its
    /// client sent).
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    pub(crate) fn initializer_spec(mut self, spec: InitializerSpec) -> ProcessPoolBuilder {
        self.initializer = Some(spec);
        self
    }

    /// Replaces each worker process with a fresh one after it has run this many tasks
    /// (at least 1), e.g. to bound memory that leaks.
    pub fn max_tasks_per_child(mut self, tasks: usize) -> ProcessPoolBuilder {
        self.max_tasks_per_child = Some(tasks);
        self
    }

    /// Stops a task that runs longer than `limit`: its worker (with anything the task
    /// started) gets SIGTERM, then SIGKILL a second later, the future fails with
    /// `Error::TaskTimeLimit`, and a new worker takes over.
    pub fn task_time_limit(mut self, limit: Duration) -> ProcessPoolBuilder {
        self.task_time_limit = Some(limit);
        self
    }

    /// The pool, or `Error::InvalidArgument` for a 0 count.
    pub fn build(self) -> Result<ProcessPoolExecutor, Error> {
        let options = self.checked()?;
        ProcessPoolExecutor::from_parts(
            options.max_workers,
            options.initializer,
            options.max_tasks_per_child,
            options.task_time_limit,
        )
    }

    /// The options, checked: `Err` for a 0 count, a zero time limit or an initializer
    /// argument that does not encode.
    pub(crate) fn checked(self) -> Result<CheckedOptions, Error> {
        let max_workers = crate::admission::max_workers(self.max_workers, num_cpus::get().max(1))?;
        if self.max_tasks_per_child == Some(0) {
            return Err(Error::InvalidArgument(
                "max_tasks_per_child must be at least 1".into(),
            ));
        }
        if let Some(InitializerSpec::WithArg(_, Err(message))) = &self.initializer {
            return Err(Error::Serialization(message.clone()));
        }
        if self.task_time_limit == Some(Duration::ZERO) {
            return Err(Error::InvalidArgument(
                "task_time_limit must be more than zero".into(),
            ));
        }
        Ok(CheckedOptions {
            max_workers,
            initializer: self.initializer,
            max_tasks_per_child: self.max_tasks_per_child,
            task_time_limit: self.task_time_limit,
        })
    }
}
