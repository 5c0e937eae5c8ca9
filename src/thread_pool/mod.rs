//! [`ThreadPoolExecutor`]: run closures on a pool of threads.
//!
//! The shape is CPython's `thread.py`: one unbounded queue of work items, worker
//! threads started lazily (one per `submit` while no worker is idle, up to
//! `max_workers`), an idle count standing in for Python's idle semaphore, and a
//! shutdown that closes the queue so that workers drain it and exit.

mod builder;
mod core;
mod queue;
mod sleep;
pub(crate) mod work_item;
mod worker;

pub use builder::ThreadPoolBuilder;

use std::sync::Arc;
use std::time::Instant;

use crate::map::{Batch, Map, MapOptions, Unit};
use crate::{Error, Future, TaskError};
use core::PoolCore;

/// A task run once at the start of each worker thread.
pub(crate) type Initializer = Arc<dyn Fn() + Send + Sync + 'static>;

/// A pool of threads that runs submitted closures (Python's `ThreadPoolExecutor`).
///
/// Dropping the pool is Python's `with` block ending: it waits for every submitted task
/// to finish (`shutdown(true, false)`).
///
/// ```
/// use concurrent_futures::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::with_max_workers(3).unwrap();
/// let fut = pool.submit(|| 6 * 7).unwrap();
/// assert_eq!(fut.result(), Ok(&42));
///
/// let tens: Vec<u64> = pool.map(|n: u64| n * 10, 0..5).unwrap().map(Result::unwrap).collect();
/// assert_eq!(tens, [0, 10, 20, 30, 40]);
/// ```
pub struct ThreadPoolExecutor {
    core: Arc<PoolCore>,
}

impl ThreadPoolExecutor {
    /// A pool of `min(32, cpus + 4)` workers, Python's default for I/O-bound work.
    pub fn new() -> ThreadPoolExecutor {
        ThreadPoolExecutor::builder()
            .build()
            .expect("the default worker count is valid")
    }

    /// A pool of at most `max_workers` threads; `Error::InvalidArgument` if it is 0.
    pub fn with_max_workers(max_workers: usize) -> Result<ThreadPoolExecutor, Error> {
        ThreadPoolExecutor::builder()
            .max_workers(max_workers)
            .build()
    }

    /// A builder for the other options: thread names, initializer, stack size.
    pub fn builder() -> ThreadPoolBuilder {
        ThreadPoolBuilder::new()
    }

    pub(crate) fn default_max_workers() -> usize {
        (num_cpus::get() + 4).min(32)
    }

    fn from_parts(
        max_workers: usize,
        thread_name_prefix: Option<String>,
        initializer: Option<Initializer>,
        stack_size: Option<usize>,
    ) -> ThreadPoolExecutor {
        ThreadPoolExecutor {
            core: PoolCore::new(max_workers, thread_name_prefix, initializer, stack_size),
        }
    }

    /// The most threads this pool runs at once.
    pub fn max_workers(&self) -> usize {
        self.core.max_workers()
    }

    /// Schedules `task` and returns the future of its result.
    ///
    /// `Err(Error::Shutdown)` after [`shutdown`](Self::shutdown), and
    /// `Err(Error::BrokenExecutor { .. })` once an initializer has failed. A task that
    /// panics fails its own future with `Error::Panicked`; the worker thread lives on.
    pub fn submit<F, T>(&self, task: F) -> Result<Future<T>, Error>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + Sync + 'static,
    {
        self.core.submit(move || Ok(task()))
    }

    /// Like [`submit`](Self::submit), for a task that returns a `Result`: its `Err`
    /// fails the future with `Error::Failed`, as an exception raised by a task fails a
    /// Python future, and its `Ok` value is the result.
    ///
    /// ```
    /// use concurrent_futures::{Error, ThreadPoolExecutor};
    ///
    /// let pool = ThreadPoolExecutor::new();
    /// let ok = pool.submit_fallible(|| "42".parse::<u32>()).unwrap();
    /// assert_eq!(ok.result(), Ok(&42));
    /// let bad = pool.submit_fallible(|| "BR".parse::<u32>()).unwrap();
    /// assert!(matches!(bad.result(), Err(Error::Failed(_))));
    /// assert!(format!("{bad:?}").ends_with("state=finished raised Failed>"));
    /// ```
    pub fn submit_fallible<F, T, E>(&self, task: F) -> Result<Future<T>, Error>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        T: Send + Sync + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    {
        self.core
            .submit(move || task().map_err(|e| Error::Failed(TaskError::new(e))))
    }

    /// Calls `func` on every item, on the pool; results come in input order.
    ///
    /// Every item is submitted before this returns (see [`map_with`](Self::map_with)
    /// for a bounded number in flight and a timeout). Each item yields its own
    /// `Result`: a failed item does not end the iteration.
    pub fn map<'a, F, A, R, I>(&self, func: F, items: I) -> Result<Map<'a, R>, Error>
    where
        F: Fn(A) -> R + Send + Sync + 'static,
        A: Send + 'static,
        R: Send + 'static,
        I: IntoIterator<Item = A>,
        I::IntoIter: Send + 'a,
    {
        self.map_with(func, items, MapOptions::new())
    }

    /// [`map`](Self::map) with options: a timeout counted from this call, and a
    /// `buffersize` that bounds how many items are in flight, so that an endless
    /// input runs in bounded memory.
    pub fn map_with<'a, F, A, R, I>(
        &self,
        func: F,
        items: I,
        options: MapOptions,
    ) -> Result<Map<'a, R>, Error>
    where
        F: Fn(A) -> R + Send + Sync + 'static,
        A: Send + 'static,
        R: Send + 'static,
        I: IntoIterator<Item = A>,
        I::IntoIter: Send + 'a,
    {
        let started = Instant::now();
        options.validate()?;
        let func = Arc::new(func);
        let core = Arc::clone(&self.core);
        let mut items = items.into_iter();
        let feed = Box::new(move || {
            let item = items.next()?;
            let func = Arc::clone(&func);
            let submitted = core.submit(move || -> Result<Batch<R>, Error> {
                Ok(parking_lot::Mutex::new(vec![Ok(func(item))].into_iter()))
            });
            Some(submitted.map(|future| Unit { future, items: 1 }))
        });
        Map::start(&options, started, feed)
    }

    /// Stops the pool from taking new tasks (Python's `shutdown(wait, cancel_futures)`).
    ///
    /// With `cancel_futures`, queued tasks that have not started are cancelled. With
    /// `wait`, returns only when every task that was not cancelled has finished and
    /// the worker threads have exited. Calling it again is harmless.
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        self.core.shutdown(wait, cancel_futures);
    }
}

impl Default for ThreadPoolExecutor {
    fn default() -> Self {
        ThreadPoolExecutor::new()
    }
}

impl Drop for ThreadPoolExecutor {
    /// Python's `with` block ending: `shutdown(true, false)`.
    fn drop(&mut self) {
        self.core.shutdown(true, false);
    }
}

impl std::fmt::Debug for ThreadPoolExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.core.fmt(f)
    }
}
