//! [`MpiPoolExecutor`]: the process pool's calls, on the ranks of an MPI job (feature
//! `mpi`; mpi4py.futures' `MPIPoolExecutor` for Rust).
//!
//! The layout, from the user's call to the other ranks:
//! - `mod.rs` (this file): the public API; a task becomes an entry, its encoded
//!   argument and a type-erased future, as in the process pool.
//! - `engine.rs`: the one thread per process that makes every MPI call, and its loop.
//! - `client.rs`: an executor's state on the client: what is pending, what each rank
//!   runs, where the next task goes.
//! - `serve.rs`: a worker rank's side: a local `ProcessPoolExecutor` per executor.
//! - `comms.rs`: communicators, sends and receives.
//! - `wire.rs`: the messages between ranks.
//! - `bootstrap.rs`: which part [`init`](crate::init) makes this process play.
//!
//! See `docs/scale-out.md` for running it on a cluster and what each failure does.

mod bootstrap;
mod client;
mod comms;
mod engine;
mod lost;
mod serve;
mod wire;

pub(crate) use bootstrap::serve_if_rank;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::map::{Map, MapOptions};
use crate::process_pool::task_future::{chunk_feed, decode_one, TaskFuture, TypedTaskFuture};
use crate::process_pool::wire::entry::{assert_transportable, Entry};
use crate::process_pool::wire::outcome::TaskFn;
use crate::process_pool::wire::trampoline::{call_chunk, call_fallible, call_one};
use crate::process_pool::{random_key, ProcessPoolBuilder};
use crate::{Error, Future};
use client::{PoolShared, RemoteTask};
use engine::{EngineHandle, Placement, Request, Role};
use wire::{build_fingerprint, PoolId, Settings};

/// The environment variable that sets how many worker ranks a spawn-mode
/// [`MpiPoolExecutor::new`] starts (mpi4py's `MPI4PY_FUTURES_MAX_WORKERS`).
pub const MAX_WORKERS_ENV: &str = "CONCURRENT_FUTURES_MPI_MAX_WORKERS";

/// A pool of MPI worker ranks that runs functions on serializable arguments, with the
/// calls of [`ProcessPoolExecutor`](crate::ProcessPoolExecutor) (mpi4py's
/// `MPIPoolExecutor`).
///
/// Two ways to get worker ranks, as in mpi4py:
/// - **World mode:** `mpirun -n N ./app`. [`init`](crate::init), the first line of
///   `main`, makes ranks 1 to N-1 serve (they never return into `main`); on rank 0,
///   [`MpiPoolExecutor::new`] uses them.
/// - **Spawn mode:** run alone (or `mpirun -n 1`): [`MpiPoolExecutor::new`] starts
///   [`MAX_WORKERS_ENV`] worker ranks of this same program with `MPI_Comm_spawn`
///   (else the MPI universe size minus one, else 1), and
///   [`with_max_workers(n)`](MpiPoolExecutor::with_max_workers) starts n.
///
/// A worker rank never runs a task in its own process: it runs it in a local,
/// crash-isolated [`ProcessPoolExecutor`](crate::ProcessPoolExecutor) of
/// [`local_workers`](MpiPoolBuilder::local_workers) processes. A task that crashes its
/// process fails only its own future, with `Error::WorkerDied` naming the rank, the
/// host and the pid; the rank goes on.
///
/// Its futures are the crate's [`Future`]: they mix with thread- and process-pool
/// futures in [`as_completed`](crate::as_completed) and [`wait`](crate::wait), and can
/// be awaited. Dropping the pool is `shutdown(true, false)`.
///
/// ```no_run
/// use concurrent_futures::MpiPoolExecutor;
///
/// fn is_prime(n: u64) -> bool {
///     n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
/// }
///
/// fn main() {
///     concurrent_futures::init(); // under mpirun, ranks 1.. serve from here
///     let pool = MpiPoolExecutor::new().unwrap();
///     let fut = pool.submit(is_prime, 7919).unwrap();
///     assert_eq!(fut.result(), Ok(&true));
///     for prime in pool.map(is_prime, [2, 4, 5]).unwrap() {
///         println!("{}", prime.unwrap());
///     }
/// }
/// ```
pub struct MpiPoolExecutor {
    submitter: Submitter,
    ranks: usize,
    local_workers: usize,
}

/// What submits tasks: shared by the executor and its `map`s (which must not shut the
/// pool down when they drop, as the executor does).
#[derive(Clone)]
struct Submitter {
    engine: &'static EngineHandle,
    pool: PoolId,
    key: u64,
    shared: Arc<PoolShared>,
    next_task: Arc<AtomicU64>,
}

impl MpiPoolExecutor {
    /// World mode under `mpirun -n N` (N > 1): the other ranks. Otherwise spawn mode:
    /// [`MAX_WORKERS_ENV`] ranks, else the universe size minus one, else 1.
    pub fn new() -> Result<MpiPoolExecutor, Error> {
        MpiPoolExecutor::builder().build()
    }

    /// Spawn mode: starts `max_workers` worker ranks of this program;
    /// `Error::InvalidArgument` if it is 0.
    pub fn with_max_workers(max_workers: usize) -> Result<MpiPoolExecutor, Error> {
        MpiPoolExecutor::builder().max_workers(max_workers).build()
    }

    /// A builder for the other options: local workers per rank, initializer, tasks per
    /// child, time limit.
    pub fn builder() -> MpiPoolBuilder {
        MpiPoolBuilder::default()
    }

    /// How many worker ranks the pool uses (mpi4py's `max_workers`).
    pub fn max_workers(&self) -> usize {
        self.ranks
    }

    /// How many worker processes each rank runs tasks in.
    pub fn local_workers(&self) -> usize {
        self.local_workers
    }

    /// Schedules `function(arg)` on a worker rank and returns its future; the call
    /// shape and rules of [`ProcessPoolExecutor::submit`](crate::ProcessPoolExecutor::submit).
    pub fn submit<F, A, R>(&self, function: F, arg: A) -> Result<Future<R>, Error>
    where
        F: Fn(A) -> R + Copy + 'static,
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned + Send + Sync + 'static,
    {
        const { assert_transportable::<F>() };
        let _ = function; // zero-sized: the worker conjures it
        self.submitter.submit_one::<A, R>(call_one::<F, A, R>, &arg)
    }

    /// Like [`submit`](Self::submit), for a function that returns a `Result`: its `Err`
    /// fails the future with `Error::Failed`, carrying the error's message.
    pub fn submit_fallible<F, A, R, E>(&self, function: F, arg: A) -> Result<Future<R>, Error>
    where
        F: Fn(A) -> Result<R, E> + Copy + 'static,
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned + Send + Sync + 'static,
        E: std::fmt::Display,
    {
        const { assert_transportable::<F>() };
        let _ = function;
        self.submitter
            .submit_one::<A, R>(call_fallible::<F, A, R, E>, &arg)
    }

    /// Calls `function` on every item on the worker ranks; results in input order.
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

    /// [`map`](Self::map) with options: `chunksize` items per message, a `buffersize`
    /// bound on chunks in flight, and a timeout counted from this call.
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
        const { assert_transportable::<F>() };
        let _ = function;
        let started = Instant::now();
        options.validate()?;
        let chunksize = options.chunksize.unwrap_or(1);
        let entry = self.submitter.entry(call_chunk::<F, A, R>)?;
        let submitter = self.submitter.clone();
        let feed = chunk_feed(
            items.into_iter(),
            chunksize,
            Future::new_cluster,
            move |chunk, task_future| submitter.send(entry, &chunk, task_future),
        );
        Map::start(&options, started, feed)
    }

    /// Stops taking tasks (Python's `shutdown(wait, cancel_futures)`): with
    /// `cancel_futures`, tasks not sent to a rank yet are cancelled; with `wait`,
    /// returns when every other task has finished. From a done-callback of one of the
    /// pool's futures it does not wait (the tasks it would wait for are completed on
    /// that callback's thread): it returns at once, and the tasks still finish.
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        let wait = wait && !crate::pool_thread::works_for(engine::completion_mark());
        let (done, finished) = crossbeam_channel::bounded(1);
        let request = Request::Shutdown {
            pool: self.submitter.pool,
            cancel: cancel_futures,
            done,
        };
        // Under the admission lock, so that every submit let through is queued before
        // the shutdown (the channel keeps their order).
        let sent = {
            let mut admission = self.submitter.shared.admission.lock();
            admission.shut_down();
            self.submitter.engine.requests.send(request).is_ok()
        };
        if sent && wait {
            let _ = finished.recv();
        }
    }
}

impl Submitter {
    fn entry(&self, trampoline: TaskFn) -> Result<Entry, Error> {
        Entry::task(trampoline, self.key).map_err(Error::InvalidArgument)
    }

    fn submit_one<A: Serialize, R>(&self, trampoline: TaskFn, arg: &A) -> Result<Future<R>, Error>
    where
        R: DeserializeOwned + Send + Sync + 'static,
    {
        let entry = self.entry(trampoline)?;
        let future = Future::new_cluster();
        let task_future = Box::new(TypedTaskFuture {
            future: future.clone(),
            decode: decode_one::<R>,
        });
        self.send(entry, arg, task_future)?;
        Ok(future)
    }

    /// Encodes a task and hands it to the engine; an encoding failure fails the task's
    /// future, not the call.
    fn send<A: Serialize>(
        &self,
        entry: Entry,
        arg: &A,
        future: Box<dyn TaskFuture>,
    ) -> Result<(), Error> {
        self.shared.admission.lock().check()?;
        let arg = match postcard::to_allocvec(arg) {
            Ok(arg) => arg,
            Err(e) => {
                future.fail(Error::Serialization(format!(
                    "could not encode the argument: {e}"
                )));
                return Ok(());
            }
        };
        let task = RemoteTask {
            id: self.next_task.fetch_add(1, Ordering::Relaxed),
            entry,
            arg,
            future,
        };
        let request = Request::Submit {
            pool: self.pool,
            task,
        };
        // Checked again and sent under the admission lock, so that every submit let
        // through is queued before a shutdown (the channel keeps their order).
        let admission = self.shared.admission.lock();
        admission.check()?;
        let sent = self.engine.requests.send(request);
        drop(admission);
        sent.map_err(|_| Error::BrokenExecutor {
            reason: "the MPI thread of this process is gone (MPI was finalized)".into(),
        })
    }
}

impl Drop for MpiPoolExecutor {
    /// Python's `with` block ending: `shutdown(true, false)`.
    fn drop(&mut self) {
        self.shutdown(true, false);
    }
}

impl std::fmt::Debug for MpiPoolExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MpiPoolExecutor")
            .field("max_workers", &self.ranks)
            .field("local_workers", &self.local_workers)
            .field("state", &self.submitter.shared.admission.lock().describe())
            .finish()
    }
}

/// Builds an [`MpiPoolExecutor`]: worker ranks, local workers per rank, and the
/// process pool's options for the local pools (initializer, tasks per child, time
/// limit).
#[derive(Debug, Clone)]
#[must_use = "call .build() to get the pool"]
pub struct MpiPoolBuilder {
    max_workers: Option<usize>,
    local_workers: usize,
    local: ProcessPoolBuilder,
}

impl Default for MpiPoolBuilder {
    fn default() -> Self {
        MpiPoolBuilder {
            max_workers: None,
            local_workers: 1,
            local: ProcessPoolBuilder::new(),
        }
    }
}

impl MpiPoolBuilder {
    /// Spawn mode with this many worker ranks (at least 1).
    pub fn max_workers(mut self, ranks: usize) -> MpiPoolBuilder {
        self.max_workers = Some(ranks);
        self
    }

    /// How many worker processes each rank runs tasks in (default 1, as mpi4py runs
    /// one task per rank; with one rank per node, the node's cores).
    pub fn local_workers(mut self, workers: usize) -> MpiPoolBuilder {
        self.local_workers = workers;
        self
    }

    /// Runs `initializer` once in each worker process, on every rank; if it panics,
    /// the pool is broken (`Error::BrokenExecutor`).
    pub fn initializer(mut self, initializer: fn()) -> MpiPoolBuilder {
        self.local = self.local.initializer(initializer);
        self
    }

    /// An initializer that takes an argument (Python's `initargs`).
    pub fn initializer_with<F, A>(mut self, initializer: F, arg: A) -> MpiPoolBuilder
    where
        F: Fn(A) + Copy + Send + Sync + 'static,
        A: Serialize + DeserializeOwned + 'static,
    {
        self.local = self.local.initializer_with(initializer, arg);
        self
    }

    /// Replaces each worker process after this many tasks.
    pub fn max_tasks_per_child(mut self, tasks: usize) -> MpiPoolBuilder {
        self.local = self.local.max_tasks_per_child(tasks);
        self
    }

    /// Stops a task that runs longer than `limit` (its worker process is killed; the
    /// future fails with `Error::TaskTimeLimit`; the rank goes on).
    pub fn task_time_limit(mut self, limit: Duration) -> MpiPoolBuilder {
        self.local = self.local.task_time_limit(limit);
        self
    }

    /// The pool: its worker ranks are ready to take tasks.
    pub fn build(self) -> Result<MpiPoolExecutor, Error> {
        let engine = engine::engine(bootstrap::launched_as)?;
        let placement = self.placement(engine)?;
        let local = self.local.max_workers(self.local_workers).checked()?;
        let key = random_key();
        let initializer = local
            .initializer
            .map(|spec| spec.tagged(key))
            .transpose()
            .map_err(Error::InvalidArgument)?;
        let settings = Settings {
            key,
            build: build_fingerprint(),
            initializer,
            local_workers: local.max_workers,
            max_tasks_per_child: local.max_tasks_per_child,
            task_time_limit: local.task_time_limit,
        };
        let shared = Arc::new(PoolShared::default());
        let (reply, opened) = crossbeam_channel::bounded(1);
        let request = Request::Open {
            placement,
            settings,
            shared: Arc::clone(&shared),
            reply,
        };
        let gone = || Error::BrokenExecutor {
            reason: "the MPI thread of this process is gone (MPI was finalized)".into(),
        };
        engine.requests.send(request).map_err(|_| gone())?;
        let (pool, ranks) = opened.recv().map_err(|_| gone())??;
        Ok(MpiPoolExecutor {
            submitter: Submitter {
                engine,
                pool,
                key,
                shared,
                next_task: Arc::new(AtomicU64::new(1)),
            },
            ranks,
            local_workers: local.max_workers,
        })
    }

    fn placement(&self, engine: &EngineHandle) -> Result<Placement, Error> {
        if let Some(ranks) = self.max_workers {
            return Ok(Placement::Spawn(crate::admission::max_workers(
                Some(ranks),
                1,
            )?));
        }
        match engine.role {
            Role::WorldClient => Ok(Placement::World),
            Role::Singleton => Ok(Placement::Spawn(default_spawn_count(engine)?)),
            Role::WorldWorker | Role::SpawnedWorker => Err(Error::BrokenExecutor {
                reason: "a worker rank cannot start an MpiPoolExecutor of its own".into(),
            }),
        }
    }
}

/// [`MAX_WORKERS_ENV`], else the universe size minus this process, else 1.
fn default_spawn_count(engine: &EngineHandle) -> Result<usize, Error> {
    if let Ok(value) = std::env::var(MAX_WORKERS_ENV) {
        let ranks = value.trim().parse::<usize>().map_err(|_| {
            Error::InvalidArgument(format!("{MAX_WORKERS_ENV}={value:?} is not a number"))
        })?;
        return crate::admission::max_workers(Some(ranks), 1);
    }
    let spare = engine
        .universe_size
        .map_or(0, |size| size.saturating_sub(engine.world_size));
    Ok(spare.max(1))
}
