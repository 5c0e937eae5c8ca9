//! Configuring a [`ThreadPoolExecutor`] beyond its worker count.

use std::sync::Arc;

use super::{Initializer, ThreadPoolExecutor};
use crate::Error;

/// Builds a [`ThreadPoolExecutor`] (Python's keyword arguments `max_workers`,
/// `thread_name_prefix` and `initializer`).
///
/// ```
/// use concurrent_futures::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::builder()
///     .max_workers(3)
///     .thread_name_prefix("flags")
///     .initializer(|| println!("worker ready"))
///     .build()
///     .unwrap();
/// assert_eq!(pool.max_workers(), 3);
/// let name = pool.submit(|| std::thread::current().name().unwrap().to_string()).unwrap();
/// assert_eq!(name.result().unwrap(), "flags_0");
/// ```
#[derive(Default)]
#[must_use = "call .build() to get the pool"]
pub struct ThreadPoolBuilder {
    max_workers: Option<usize>,
    thread_name_prefix: Option<String>,
    initializer: Option<Initializer>,
    stack_size: Option<usize>,
}

impl ThreadPoolBuilder {
    /// The defaults: `min(32, cpus + 4)` workers, Python's thread names, no initializer.
    pub fn new() -> ThreadPoolBuilder {
        ThreadPoolBuilder::default()
    }

    /// The most threads the pool will start (at least 1; 0 makes `build` fail).
    pub fn max_workers(mut self, max_workers: usize) -> ThreadPoolBuilder {
        self.max_workers = Some(max_workers);
        self
    }

    /// Names the worker threads `<prefix>_0`, `<prefix>_1`, ... (default
    /// `ThreadPoolExecutor-<pool number>_<i>`, as in Python).
    pub fn thread_name_prefix(mut self, prefix: impl Into<String>) -> ThreadPoolBuilder {
        self.thread_name_prefix = Some(prefix.into());
        self
    }

    /// Runs `initializer` once at the start of each worker thread. If it panics, the
    /// pool is broken: queued and later tasks fail with `Error::BrokenExecutor`.
    pub fn initializer<F>(mut self, initializer: F) -> ThreadPoolBuilder
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.initializer = Some(Arc::new(initializer));
        self
    }

    /// The stack size of each worker thread, in bytes (default: Rust's default).
    pub fn stack_size(mut self, bytes: usize) -> ThreadPoolBuilder {
        self.stack_size = Some(bytes);
        self
    }

    /// The pool, or `Error::InvalidArgument` if `max_workers` is 0.
    pub fn build(self) -> Result<ThreadPoolExecutor, Error> {
        let max_workers = crate::admission::max_workers(
            self.max_workers,
            ThreadPoolExecutor::default_max_workers(),
        )?;
        Ok(ThreadPoolExecutor::from_parts(
            max_workers,
            self.thread_name_prefix,
            self.initializer,
            self.stack_size,
        ))
    }
}
