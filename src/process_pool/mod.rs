//! [`ProcessPoolExecutor`]: run functions in worker processes, crash-isolated.
//!
//! The layout follows a task from the user's call down to the wire, each layer using
//! only the ones below it:
//! - `mod.rs` (this file), `builder.rs`: the public API; a task becomes a frame and a
//!   type-erased future (`task_future.rs`).
//! - `pool.rs`: the driver. It asks the scheduler what to do and carries it out.
//! - `scheduler.rs`: the rules, pure (events in, actions out), unit-tested without
//!   processes.
//! - `parent/`: the pool's side of one worker: spawn, handshake, reading results,
//!   the supervisor thread, reaping.
//! - `child/`: the worker's side: [`init`](crate::init), the serve loop, the orphan
//!   watch.
//! - `wire/`: frames and messages, and how a function is named in them.
//! - `sys.rs`: every system call.
//!
//! `event.rs` holds the plain words the scheduler and `parent/` share. See
//! `docs/process-pool.md` for the whole story and the crash matrix.

pub(crate) mod builder;
pub(crate) mod child;
mod event;
mod parent;
mod pool;
mod scheduler;
pub(crate) mod sys;
pub(crate) mod task_future;
pub(crate) mod wire;

pub use builder::ProcessPoolBuilder;

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::map::{Map, MapOptions};
use crate::{Error, Future};
use builder::InitializerSpec;
use child::bootstrap;
use event::Stop;
use parent::WorkerSettings;
use pool::Pool;
use scheduler::Limits;
use task_future::{chunk_feed, decode_one, TaskFuture, TypedTaskFuture};
use wire::entry::{self, Entry};
use wire::outcome::TaskFn;
use wire::protocol::{encode_frame, ToWorker};
use wire::trampoline::{call_chunk, call_fallible, call_one};

/// A pool of worker processes that runs functions on serializable arguments (Python's
/// `ProcessPoolExecutor`).
///
/// Workers are this same program, started again; [`init`](crate::init) must be the
/// first line of `main` so that a worker serves tasks instead of running your program.
/// A task is a plain `fn` (or a closure that captures nothing) and one argument; the
/// argument and the result cross the process boundary with serde (postcard).
///
/// Unlike Python's, one crashing worker does not break the pool: the task it was
/// running fails with `Error::WorkerDied`, a new worker takes its place, and every
/// other task goes on.
///
/// Dropping the pool is Python's `with` block ending: `shutdown(true, false)`.
///
/// ```
/// use concurrent_futures::ProcessPoolExecutor;
///
/// fn is_prime(n: u64) -> bool {
///     n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
/// }
///
/// fn main() {
///     concurrent_futures::init();
///     let pool = ProcessPoolExecutor::with_max_workers(2).unwrap();
///     let fut = pool.submit(is_prime, 7919).unwrap();
///     assert_eq!(fut.result(), Ok(&true));
///     let primes: Vec<bool> = pool.map(is_prime, [2, 4, 5]).unwrap().map(Result::unwrap).collect();
///     assert_eq!(primes, [true, false, true]);
/// }
/// ```
pub struct ProcessPoolExecutor {
    pool: Arc<Pool>,
}

impl ProcessPoolExecutor {
    /// A pool of one worker process per CPU.
    pub fn new() -> ProcessPoolExecutor {
        ProcessPoolExecutor::builder()
            .build()
            .expect("the default settings are valid")
    }

    /// A pool of at most `max_workers` processes; `Error::InvalidArgument` if it is 0.
    pub fn with_max_workers(max_workers: usize) -> Result<ProcessPoolExecutor, Error> {
        ProcessPoolExecutor::builder()
            .max_workers(max_workers)
            .build()
    }

    /// A builder for the other options: initializer, tasks per child, time limit.
    pub fn builder() -> ProcessPoolBuilder {
        ProcessPoolBuilder::new()
    }

    fn from_parts(
        max_workers: usize,
        initializer: Option<InitializerSpec>,
        max_tasks_per_child: Option<usize>,
        task_time_limit: Option<Duration>,
    ) -> Result<ProcessPoolExecutor, Error> {
        let key = random_key();
        let initializer = initializer
            .map(|spec| spec.tagged(key))
            .transpose()
            .map_err(Error::InvalidArgument)?;
        let limits = Limits {
            max_workers,
            max_tasks_per_child,
            task_time_limit,
        };
        let settings = WorkerSettings {
            key,
            initializer,
            task_time_limit,
        };
        Ok(ProcessPoolExecutor {
            pool: Pool::new(limits, settings),
        })
    }

    /// The most worker processes this pool runs at once.
    pub fn max_workers(&self) -> usize {
        self.pool.max_workers()
    }

    /// The process ids of the workers running now (for monitoring, and for tests that
    /// kill one on purpose).
    pub fn worker_pids(&self) -> Vec<u32> {
        self.pool.worker_pids()
    }

    /// Schedules `function(arg)` in a worker process and returns its future.
    ///
    /// `function` is a `fn` item or a closure that captures nothing (anything else is
    /// a compile error: its data could not be sent). `Err(Error::Shutdown)` after
    /// shutdown, `Err(Error::BrokenExecutor { .. })` once the pool broke. An argument
    /// that cannot be serialized gives a future that failed with
    /// `Error::Serialization`; the pool is not affected.
    ///
    /// A closure that captures a variable does not compile (its data would have to
    /// cross to the other process; pass it in the argument instead):
    ///
    /// ```compile_fail
    /// use concurrent_futures::ProcessPoolExecutor;
    ///
    /// fn main() {
    ///     concurrent_futures::init();
    ///     let pool = ProcessPoolExecutor::new();
    ///     let offset = 10_u64;
    ///     let _ = pool.submit(move |n: u64| n + offset, 1);
    /// }
    /// ```
    pub fn submit<F, A, R>(&self, function: F, arg: A) -> Result<Future<R>, Error>
    where
        F: Fn(A) -> R + Copy + 'static,
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned + Send + Sync + 'static,
    {
        const { entry::assert_transportable::<F>() };
        // Zero-sized: the value carries nothing, its type names the code to run.
        let _ = function;
        self.submit_entry(call_one::<F, A, R>, &arg)
    }

    /// Submits one task whose trampoline is `trampoline`.
    fn submit_entry<A, R>(&self, trampoline: TaskFn, arg: &A) -> Result<Future<R>, Error>
    where
        A: Serialize,
        R: DeserializeOwned + Send + Sync + 'static,
    {
        if bootstrap::is_unserved_worker() {
            return Err(not_initialized());
        }
        let future = Future::new_remote();
        let task_future = Box::new(TypedTaskFuture {
            future: future.clone(),
            decode: decode_one::<R>,
        });
        let entry = Entry::task(trampoline, self.pool.key()).map_err(Error::InvalidArgument)?;
        send(&self.pool, entry, arg, task_future)?;
        Ok(future)
    }

    /// Submits `trampoline` on an argument that is already encoded; the future's result
    /// is the encoded result, undecoded. For a pool that relays tasks it received
    /// encoded (an MPI worker rank).
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    pub(crate) fn submit_encoded(
        &self,
        trampoline: TaskFn,
        arg: Vec<u8>,
    ) -> Result<Future<Vec<u8>>, Error> {
        let future = Future::new_remote();
        let task_future = Box::new(TypedTaskFuture {
            future: future.clone(),
            decode: |bytes: &[u8]| Ok(bytes.to_vec()),
        });
        let entry = Entry::task(trampoline, self.pool.key()).map_err(Error::InvalidArgument)?;
        send_encoded(&self.pool, entry, Ok(arg), task_future)?;
        Ok(future)
    }

    /// Like [`submit`](Self::submit), for a function that returns a `Result`: its `Err`
    /// fails the future with `Error::Failed`, carrying the error's message (the value
    /// itself stays in the worker process), and its `Ok` value is the result.
    ///
    /// ```
    /// use concurrent_futures::{Error, ProcessPoolExecutor};
    ///
    /// fn parse(text: String) -> Result<u32, std::num::ParseIntError> {
    ///     text.parse()
    /// }
    ///
    /// fn main() {
    ///     concurrent_futures::init();
    ///     let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
    ///     assert_eq!(pool.submit_fallible(parse, "42".into()).unwrap().result(), Ok(&42));
    ///     let bad = pool.submit_fallible(parse, "BR".into()).unwrap();
    ///     match bad.result() {
    ///         Err(Error::Failed(e)) => assert_eq!(e.message(), "invalid digit found in string"),
    ///         other => panic!("unexpected {other:?}"),
    ///     }
    /// }
    /// ```
    pub fn submit_fallible<F, A, R, E>(&self, function: F, arg: A) -> Result<Future<R>, Error>
    where
        F: Fn(A) -> Result<R, E> + Copy + 'static,
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned + Send + Sync + 'static,
        E: std::fmt::Display,
    {
        const { entry::assert_transportable::<F>() };
        let _ = function;
        self.submit_entry(call_fallible::<F, A, R, E>, &arg)
    }

    /// Calls `function` on every item in worker processes; results in input order.
    ///
    /// Every item is submitted before this returns, one item per message; see
    /// [`map_with`](Self::map_with) for chunks (much faster for small items), a
    /// bounded number in flight, and a timeout. Each item yields its own `Result`.
    pub fn map<'a, F, A, R, I>(&self, function: F, items: I) -> Result<Map<'a, R>, Error>
    where
        F: Fn(A) -> R + Copy + 'static,
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned + Send + Sync + 'static,
        I: IntoIterator<Item = A>,
        I::IntoIter: Send + 'a,
    {
        self.map_with(function, items, MapOptions::new())
    }

    /// [`map`](Self::map) with options: `chunksize` items per message (one panicking
    /// item fails only itself, a dying worker fails its whole chunk), a `buffersize`
    /// bound on chunks in flight, and a timeout counted from this call.
    ///
    /// ```
    /// use concurrent_futures::{MapOptions, ProcessPoolExecutor};
    ///
    /// fn main() {
    ///     concurrent_futures::init();
    ///     let pool = ProcessPoolExecutor::with_max_workers(2).unwrap();
    ///     let total: u64 = pool
    ///         .map_with(|n: u64| n * n, 1..=1000, MapOptions::new().chunksize(100))
    ///         .unwrap()
    ///         .map(Result::unwrap)
    ///         .sum();
    ///     assert_eq!(total, 333_833_500);
    /// }
    /// ```
    pub fn map_with<'a, F, A, R, I>(
        &self,
        function: F,
        items: I,
        options: MapOptions,
    ) -> Result<Map<'a, R>, Error>
    where
        F: Fn(A) -> R + Copy + 'static,
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned + Send + Sync + 'static,
        I: IntoIterator<Item = A>,
        I::IntoIter: Send + 'a,
    {
        const { entry::assert_transportable::<F>() };
        let _ = function;
        let started = Instant::now();
        options.validate()?;
        if bootstrap::is_unserved_worker() {
            return Err(not_initialized());
        }
        let chunksize = options.chunksize.unwrap_or(1);
        let entry =
            Entry::task(call_chunk::<F, A, R>, self.pool.key()).map_err(Error::InvalidArgument)?;
        // The shared pool, not an executor: dropping an executor shuts the pool down.
        let pool = Arc::clone(&self.pool);
        let feed = chunk_feed(
            items.into_iter(),
            chunksize,
            Future::new_remote,
            move |chunk, task_future| send(&pool, entry, &chunk, task_future),
        );
        Map::start(&options, started, feed)
    }

    /// Stops taking tasks (Python's `shutdown(wait, cancel_futures)`).
    ///
    /// With `cancel_futures`, tasks not yet sent to a worker are cancelled. With `wait`,
    /// returns when every other task has finished and every worker has exited and been
    /// reaped. Without, workers finish the remaining tasks and exit on their own.
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        self.pool.shutdown(wait, cancel_futures);
    }

    /// Python 3.14's `terminate_workers()`: shuts down, cancels the tasks not started,
    /// and sends SIGTERM to every worker (and the processes its task started). Tasks
    /// that were running fail with `Error::WorkerDied`.
    ///
    /// It returns when every worker is reaped, where Python's returns at once: so when
    /// it returns, every future of the pool is done (cancelled, or failed with the
    /// worker's death) and no worker process is left, which the caller can then rely
    /// on; Python's futures are failed later by its management thread.
    pub fn terminate_workers(&self) {
        self.pool.terminate(Stop::Term);
    }

    /// Python 3.14's `kill_workers()`: as [`terminate_workers`](Self::terminate_workers)
    /// with SIGKILL, which cannot be caught or ignored.
    pub fn kill_workers(&self) {
        self.pool.terminate(Stop::Kill);
    }
}

/// Encodes a task and hands it to the pool; an encoding failure fails the task's
/// future, not the call.
fn send<A: Serialize>(
    pool: &Arc<Pool>,
    entry: Entry,
    arg: &A,
    task_future: Box<dyn TaskFuture>,
) -> Result<(), Error> {
    let arg = postcard::to_allocvec(arg).map_err(|e| format!("could not encode the argument: {e}"));
    send_encoded(pool, entry, arg, task_future)
}

/// [`send`], for an argument already encoded (or why it could not be).
fn send_encoded(
    pool: &Arc<Pool>,
    entry: Entry,
    arg: Result<Vec<u8>, String>,
    task_future: Box<dyn TaskFuture>,
) -> Result<(), Error> {
    let id = pool.next_task_id();
    let frame = arg.and_then(|arg| {
        let mut frame = Vec::with_capacity(arg.len() + 32);
        encode_frame(&ToWorker::Task { id, entry, arg }, &mut frame)?;
        Ok(frame)
    });
    match frame {
        Ok(frame) => pool.submit(id, frame, task_future),
        Err(why) => {
            task_future.fail(Error::Serialization(why));
            Ok(())
        }
    }
}

/// The worker-side guard's message: this process is a worker that never called init().
fn not_initialized() -> Error {
    Error::BrokenExecutor {
        reason: "this process was started as a ProcessPoolExecutor worker but did not call \
                 concurrent_futures::init() first thing in main, so it ran the program \
                 instead; it may not start workers of its own"
            .into(),
    }
}

/// A key nobody else can guess, for tagging entry points: std's `RandomState` is seeded
/// from the operating system's random source, per process and per instance.
pub(crate) fn random_key() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.finish()
}

impl Default for ProcessPoolExecutor {
    fn default() -> Self {
        ProcessPoolExecutor::new()
    }
}

impl Drop for ProcessPoolExecutor {
    /// Python's `with` block ending: `shutdown(true, false)`.
    fn drop(&mut self) {
        self.pool.shutdown(true, false);
    }
}

impl std::fmt::Debug for ProcessPoolExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.pool.describe(f)
    }
}
