//! Python's `concurrent.futures` for Rust.
//!
//! Run tasks on a pool of threads ([`ThreadPoolExecutor`]), of worker processes
//! ([`ProcessPoolExecutor`]) or, with the `mpi` feature, of the ranks of an MPI job
//! (`MpiPoolExecutor`, on Open MPI: docs/scale-out.md), all behind one [`Executor`]
//! trait; get a [`Future`] for each, and wait for them one at a time
//! ([`Future::result`]), as they complete ([`as_completed`]) or by a rule ([`wait`]), or
//! await them from async code on any runtime (see [Async](#async)).
//! The names and the behaviour are Python's; errors are values of one type, [`Error`].
//!
//! # Threads
//!
//! ```
//! use concurrent_futures::{as_completed, ThreadPoolExecutor};
//!
//! # fn main() -> Result<(), concurrent_futures::Error> {
//! let pool = ThreadPoolExecutor::with_max_workers(3)?;
//!
//! // submit: one task, one future.
//! let fut = pool.submit(|| 6 * 7)?;
//! assert_eq!(fut.result()?, &42);
//!
//! // map: results in input order, each an Ok or an Err of its own.
//! let tens: Vec<u64> = pool.map(|n: u64| n * 10, 0..5)?.collect::<Result<_, _>>()?;
//! assert_eq!(tens, [0, 10, 20, 30, 40]);
//!
//! // as_completed: futures in the order they finish.
//! let futures: Vec<_> = (1..=3).map(|n| pool.submit(move || n * n)).collect::<Result<_, _>>()?;
//! let total: i32 = as_completed(&futures).map(|f| *f.result().unwrap()).sum();
//! assert_eq!(total, 14);
//! # Ok(())
//! # }
//! // Dropping the pool waits for its tasks: Python's `with` block.
//! ```
//!
//! # Processes
//!
//! A [`ProcessPoolExecutor`] runs a plain `fn` (or a closure that captures nothing) on
//! an argument that serde can serialize, in worker processes that are this same program
//! started again. So [`init`] must be the first line of `main`: in a worker it serves
//! tasks and never returns. (In integration tests, where libtest owns `main`, write
//! [`init_before_main!()`](init_before_main) once in the file instead.)
//!
//! ```
//! use concurrent_futures::{Error, ProcessPoolExecutor};
//!
//! fn collatz_steps(mut n: u64) -> u32 {
//!     let mut steps = 0;
//!     while n != 1 {
//!         n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
//!         steps += 1;
//!     }
//!     steps
//! }
//!
//! fn crash(code: i32) -> u32 {
//!     std::process::exit(code)
//! }
//!
//! fn main() -> Result<(), Error> {
//!     concurrent_futures::init();
//!     let pool = ProcessPoolExecutor::with_max_workers(2)?;
//!     assert_eq!(pool.submit(collatz_steps, 27)?.result()?, &111);
//!
//!     // A worker that dies costs only the task it was running.
//!     let doomed = pool.submit(crash, 3)?;
//!     assert!(matches!(doomed.result(), Err(Error::WorkerDied { .. })));
//!     assert_eq!(pool.submit(collatz_steps, 97)?.result()?, &118);
//!     Ok(())
//! }
//! ```
//!
//! # Futures
//!
//! A [`Future`] is a handle: clone it freely; clones compare equal and hash alike, so a
//! `HashMap<Future<T>, V>` maps tasks to what you know about them (the book's
//! `to_do_map`). Ask it [`done`](Future::done), [`running`](Future::running),
//! [`cancelled`](Future::cancelled) or its [`state`](Future::state) without blocking;
//! [`cancel`](Future::cancel) it while it waits in the queue; wait for its
//! [`result`](Future::result) (or [`result_timeout`](Future::result_timeout)); or have
//! a callback run when it is done ([`add_done_callback`](Future::add_done_callback)).
//! Executors of your own complete futures with
//! [`set_running_or_notify_cancel`](Future::set_running_or_notify_cancel),
//! [`set_result`](Future::set_result) and [`set_exception`](Future::set_exception).
//!
//! # Async
//!
//! Every [`Future`] can be awaited, on any runtime (tokio, smol,
//! `futures::executor::block_on`): Python's `asyncio.wrap_future`, built in. The crate
//! depends on no runtime. `(&fut).await` gives `Result<&T, Error>`, like
//! [`result`](Future::result); `fut.await` on an owned handle gives `Result<T, Error>`
//! (`T: Clone`) and can be spawned. No thread waits: the task's completion wakes the
//! awaiting task. Dropping an await (a `select!`, a runtime timeout) only stops waiting;
//! cancelling stays explicit, [`Future::cancel`]. [`as_completed_async`] (a `Stream`)
//! and [`wait_async`] are the async [`as_completed`] and [`wait`]; for a deadline, use
//! the runtime's own timeout.
//!
//! So a tokio program hands blocking or CPU-heavy work to a pool and awaits it, Python's
//! `loop.run_in_executor`: threads for blocking calls, processes for CPU work that must
//! not stall the event loop, or crash it:
//!
//! ```
//! use concurrent_futures::{Error, ProcessPoolExecutor, ThreadPoolExecutor};
//!
//! fn sum_of_squares(n: u64) -> u64 {
//!     (1..=n).map(|i| i * i).sum()
//! }
//!
//! fn main() -> Result<(), Error> {
//!     concurrent_futures::init();
//!     let threads = ThreadPoolExecutor::with_max_workers(2)?;
//!     let processes = ProcessPoolExecutor::with_max_workers(2)?;
//!     let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
//!     runtime.block_on(async {
//!         let read = threads.submit(|| std::fs::read_to_string("Cargo.toml").is_ok())?;
//!         let squares = processes.submit(sum_of_squares, 1_000)?;
//!         assert!(read.await?);                    // owned: Result<bool, Error>
//!         assert_eq!((&squares).await?, &333_833_500); // in place: Result<&u64, Error>
//!         Ok(())
//!     })
//! }
//! ```
//!
//! Futures of different result types wait together as [`AnyFuture`]s
//! ([`Future::erase_type`]), in [`wait`], [`as_completed`] and their async forms.
//!
//! # Errors
//!
//! Every failure is an [`Error`]: a task that panicked ([`Error::Panicked`], with its
//! message), a wait that timed out ([`Error::Timeout`]), a cancelled future
//! ([`Error::Cancelled`]), a pool that is shut down ([`Error::Shutdown`]) or broken
//! ([`Error::BrokenExecutor`]), a worker process that died ([`Error::WorkerDied`]).
//!
//! `docs/from-python.md` in the repository maps every Python name to its counterpart;
//! `docs/architecture.md` and `docs/process-pool.md` explain how it works inside.
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]
// The process pool's examples must show `fn main` with `init()` as its first line.
#![allow(clippy::needless_doctest_main)]

mod admission;
mod error;
mod executor;
mod future;
mod init;
mod map;
#[cfg(feature = "mpi")]
mod mpi_pool;
mod pool_thread;
// The process pool re-executes /proc/self/exe and uses prctl and pidfds: Linux only.
#[cfg(target_os = "linux")]
mod process_pool;
mod spin;
mod sync;
mod thread_pool;
mod wait;
mod wake;

pub use error::{Error, ExitCause, TaskError};
pub use executor::Executor;
pub use future::{AnyFuture, AwaitOwned, AwaitRef, Erased, Future, FutureState};
#[cfg(target_os = "linux")]
pub use init::init;
pub use map::{Map, MapOptions};
#[cfg(feature = "mpi")]
pub use mpi_pool::{MpiPoolBuilder, MpiPoolExecutor, MAX_WORKERS_ENV};
pub use process_pool::{ProcessPoolBuilder, ProcessPoolExecutor};
pub use thread_pool::{ThreadPoolBuilder, ThreadPoolExecutor};
pub use wait::{
    as_completed, as_completed_async, as_completed_timeout, wait, wait_async, AsCompleted,
    AsCompletedStream, AsCompletedTimeout, DoneAndNotDone, ReturnWhen, WaitAsync,
};
