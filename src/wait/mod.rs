//! Waiting on many futures at once: [`wait`], [`as_completed`] and
//! [`as_completed_timeout`], and their async forms [`wait_async`] and
//! [`as_completed_async`].
//!
//! All work on futures from any mix of executors (they only talk to the futures), and
//! all register one shared [`waiter::Waiter`] with every future instead of polling.
//! Futures of different result types mix through [`crate::AnyFuture`].

mod as_completed;
mod unique;
pub(crate) mod waiter;
mod watch;

pub use as_completed::{
    as_completed, as_completed_async, as_completed_timeout, AsCompleted, AsCompletedStream,
    AsCompletedTimeout,
};

use std::collections::HashSet;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::Future;
use watch::Watch;

/// When [`wait`] should return (Python's `FIRST_COMPLETED`, `FIRST_EXCEPTION`,
/// `ALL_COMPLETED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReturnWhen {
    /// As soon as any future finishes or is cancelled.
    FirstCompleted,
    /// As soon as any future fails (an error other than cancellation, a panic
    /// included), or when all are done if none fails.
    FirstException,
    /// When every future is done (the default, as in Python).
    #[default]
    AllCompleted,
}

/// What [`wait`] returns: the futures that were done, and the rest.
#[derive(Debug)]
pub struct DoneAndNotDone<T> {
    /// Finished or cancelled futures.
    pub done: HashSet<Future<T>>,
    /// Futures still pending or running when `wait` returned.
    pub not_done: HashSet<Future<T>>,
}

/// Waits until the futures meet `return_when`, or `timeout` passes (Python's
/// `concurrent.futures.wait`).
///
/// `futures` is anything that iterates over `&Future<T>`: a `Vec`, a slice, a
/// `HashMap`'s `keys()`. Duplicates collapse. A timeout is not an error: `wait` just
/// returns the split as it stands (check `not_done`). `None` waits without limit.
///
/// ```
/// use std::time::Duration;
/// use concurrent_futures::{wait, DoneAndNotDone, ReturnWhen, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
/// let futures: Vec<_> = (0..4).map(|i| pool.submit(move || i * i).unwrap()).collect();
/// let DoneAndNotDone { done, not_done } =
///     wait(&futures, Some(Duration::from_secs(60)), ReturnWhen::AllCompleted);
/// assert_eq!((done.len(), not_done.len()), (4, 0));
/// ```
pub fn wait<'a, T, I>(
    futures: I,
    timeout: Option<Duration>,
    return_when: ReturnWhen,
) -> DoneAndNotDone<T>
where
    T: 'a,
    I: IntoIterator<Item = &'a Future<T>>,
{
    let watch = Watch::register(futures, return_when);
    if !watch.satisfied_already {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        watch.waiter.wait(deadline);
    }
    watch.finish()
}

/// The async [`wait`]: resolves once the futures meet `return_when` (Python's
/// `asyncio.wait` over executor futures).
///
/// No thread and no polling: the completions wake the task. There is no timeout
/// parameter; use the runtime's own (with tokio, `tokio::time::timeout`), and on a
/// timeout look at the futures themselves. Dropping the returned future unregisters
/// it from every future.
///
/// ```
/// use concurrent_futures::{wait_async, DoneAndNotDone, Future, ReturnWhen, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
/// let quick = pool.submit(|| 1).unwrap();
/// let never: Future<i32> = Future::new();
/// let DoneAndNotDone { done, not_done } = futures::executor::block_on(wait_async(
///     [&quick, &never],
///     ReturnWhen::FirstCompleted,
/// ));
/// assert!(done.contains(&quick) && not_done.contains(&never));
/// ```
pub fn wait_async<'a, T, I>(futures: I, return_when: ReturnWhen) -> WaitAsync<T>
where
    T: 'a,
    I: IntoIterator<Item = &'a Future<T>>,
{
    WaitAsync {
        watch: Some(Watch::register(futures, return_when)),
    }
}

/// The future [`wait_async`] returns; resolves to a [`DoneAndNotDone`].
///
/// Like most futures it must not be polled again once it has resolved (it panics).
#[must_use = "a wait does nothing unless awaited"]
pub struct WaitAsync<T> {
    /// Taken when the wait resolves.
    watch: Option<Watch<T>>,
}

impl<T> std::future::Future for WaitAsync<T> {
    type Output = DoneAndNotDone<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<DoneAndNotDone<T>> {
        let this = self.get_mut();
        let watch = this
            .watch
            .as_ref()
            .expect("a WaitAsync is not polled after it resolved");
        if !watch.satisfied_already && watch.waiter.poll_wait(cx).is_pending() {
            return Poll::Pending;
        }
        let watch = this.watch.take().expect("checked above");
        Poll::Ready(watch.finish())
    }
}
