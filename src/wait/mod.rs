//! Waiting on many futures at once: [`wait`], [`as_completed`] and
//! [`as_completed_timeout`].
//!
//! Both work on futures from any mix of executors (they only talk to the futures), and
//! both register one shared [`waiter::Waiter`] with every future instead of polling.

mod as_completed;
mod unique;
pub(crate) mod waiter;

pub use as_completed::{as_completed, as_completed_timeout, AsCompleted, AsCompletedTimeout};

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::Future;
use unique::unique_futures;
use waiter::Waiter;

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
    let futures = unique_futures(futures);
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));

    let wake_on_failure = return_when == ReturnWhen::FirstException;
    // Register first, count afterwards: a future that finishes in between is told to
    // the waiter, so it is never missed.
    let waiter = Arc::new(Waiter::new(usize::MAX, wake_on_failure));
    let mut already_done = 0;
    let mut already_failed = false;
    let mut watched = Vec::with_capacity(futures.len());
    for (key, future) in futures.iter().enumerate() {
        if !future.done() && future.add_waiter(&waiter, key) {
            watched.push(key);
        } else {
            already_done += 1;
            already_failed |= future.raised();
        }
    }

    let satisfied_already = match return_when {
        ReturnWhen::FirstCompleted => already_done > 0 || watched.is_empty(),
        ReturnWhen::FirstException => already_failed || watched.is_empty(),
        ReturnWhen::AllCompleted => watched.is_empty(),
    };
    if !satisfied_already {
        let wake_at = match return_when {
            ReturnWhen::FirstCompleted => 1,
            ReturnWhen::FirstException | ReturnWhen::AllCompleted => watched.len(),
        };
        waiter.set_wake_at(wake_at);
        waiter.wait(deadline);
    }
    for &key in &watched {
        futures[key].remove_waiter(&waiter);
    }

    let (done, not_done) = futures.into_iter().partition(|f| f.done());
    DoneAndNotDone { done, not_done }
}
