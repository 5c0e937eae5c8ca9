//! Configuring a [`ProcessPoolExecutor`].

use std::time::Duration;

use super::ProcessPoolExecutor;
use crate::Error;

/// Builds a [`ProcessPoolExecutor`] (Python's `max_workers`, `initializer` and
/// `max_tasks_per_child`, plus a per-task time limit).
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
    initializer: Option<fn()>,
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
        self.initializer = Some(initializer);
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
        let max_workers = match self.max_workers {
            Some(0) => {
                return Err(Error::InvalidArgument(
                    "max_workers must be greater than 0".into(),
                ))
            }
            Some(n) => n,
            None => num_cpus::get().max(1),
        };
        if self.max_tasks_per_child == Some(0) {
            return Err(Error::InvalidArgument(
                "max_tasks_per_child must be at least 1".into(),
            ));
        }
        if self.task_time_limit == Some(Duration::ZERO) {
            return Err(Error::InvalidArgument(
                "task_time_limit must be more than zero".into(),
            ));
        }
        ProcessPoolExecutor::from_parts(
            max_workers,
            self.initializer,
            self.max_tasks_per_child,
            self.task_time_limit,
        )
    }
}
