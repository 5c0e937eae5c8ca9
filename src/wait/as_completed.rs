//! Iterating over futures in the order they complete.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::Stream;

use super::unique::unique_futures_done_first;
use super::waiter::Waiter;
use crate::{Error, Future};

/// Yields each future once, as it completes (Python's `as_completed` without a timeout).
///
/// Futures already done come first, in input order; then each one as it finishes or
/// is cancelled.
/// Duplicates in the input collapse. Works on futures from any mix of executors.
///
/// ```
/// use concurrent_futures::{as_completed, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::with_max_workers(3).unwrap();
/// let futures: Vec<_> = (1..=3_u64).map(|n| pool.submit(move || n * 10).unwrap()).collect();
/// let mut total = 0;
/// for fut in as_completed(&futures) {
///     total += fut.result().unwrap();
/// }
/// assert_eq!(total, 60);
/// ```
pub fn as_completed<'a, T, I>(futures: I) -> AsCompleted<T>
where
    T: 'a,
    I: IntoIterator<Item = &'a Future<T>>,
{
    AsCompleted::new(unique_futures_done_first(futures), None)
}

/// Like [`as_completed`], but stops with `Err(Error::Timeout)` when `timeout` (counted
/// from this call) runs out before every future is done.
///
/// After the `Err(Error::Timeout)` item the iteration ends; the futures not yielded
/// keep running.
///
/// ```
/// use std::time::Duration;
/// use concurrent_futures::{as_completed_timeout, Error, Future};
///
/// let never_done: Future<u8> = Future::new();
/// let mut it = as_completed_timeout([&never_done], Duration::from_millis(10));
/// assert_eq!(it.next().map(|r| r.err()), Some(Some(Error::Timeout)));
/// assert!(it.next().is_none());
/// ```
pub fn as_completed_timeout<'a, T, I>(futures: I, timeout: Duration) -> AsCompletedTimeout<T>
where
    T: 'a,
    I: IntoIterator<Item = &'a Future<T>>,
{
    // An unrepresentable deadline is as good as no deadline.
    let deadline = Instant::now().checked_add(timeout);
    AsCompletedTimeout {
        inner: AsCompleted::new(unique_futures_done_first(futures), deadline),
    }
}

/// The async [`as_completed`]: a [`Stream`] that yields each future once, as it
/// completes (Python's `asyncio.as_completed`, on futures from any pool).
///
/// Futures already done come first; duplicates collapse; dropping the stream
/// unregisters it. No thread and no polling: each completion wakes the task. There is
/// no timeout parameter: wrap the stream's `next()` in your runtime's timeout.
///
/// ```
/// use concurrent_futures::{as_completed_async, ThreadPoolExecutor};
/// use futures::StreamExt;
///
/// let pool = ThreadPoolExecutor::with_max_workers(3).unwrap();
/// let futures: Vec<_> = (1..=3_u64).map(|n| pool.submit(move || n * 10).unwrap()).collect();
/// let total = futures::executor::block_on(async {
///     let mut total = 0;
///     let mut stream = as_completed_async(&futures);
///     while let Some(fut) = stream.next().await {
///         total += (&fut).await.unwrap();
///     }
///     total
/// });
/// assert_eq!(total, 60);
/// ```
///
/// With tokio, a deadline for the whole loop is the runtime's own:
///
/// ```
/// # use concurrent_futures::{as_completed_async, Future};
/// # use futures::StreamExt;
/// # use std::time::Duration;
/// # let futures: Vec<Future<u8>> = vec![Future::new()];
/// # let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// # runtime.block_on(async {
/// let mut stream = as_completed_async(&futures);
/// let within = tokio::time::timeout(Duration::from_millis(10), async {
///     while let Some(fut) = stream.next().await { /* ... */ }
/// });
/// assert!(within.await.is_err(), "the future nobody completes timed out");
/// # });
/// ```
pub fn as_completed_async<'a, T, I>(futures: I) -> AsCompletedStream<T>
where
    T: 'a,
    I: IntoIterator<Item = &'a Future<T>>,
{
    AsCompletedStream {
        inner: AsCompleted::new(unique_futures_done_first(futures), None),
    }
}

/// The iterator [`as_completed`] returns; yields `Future<T>`.
///
/// Dropping it early unregisters it from the futures it was still watching.
pub struct AsCompleted<T> {
    /// The futures by key; a yielded one is taken out, so that the iterator does not
    /// keep it (and its result) alive until the iteration ends (CPython issue 14406).
    futures: Vec<Option<Future<T>>>,
    /// How many futures (by key, in order) have been looked at once; the first look
    /// yields a done future at once. The first `done_first` were done at the call
    /// (`unique_futures_done_first` put them there), so their look is free.
    looked_at: usize,
    done_first: usize,
    /// Keys of futures not done when looked at, before the waiter is registered.
    unwatched: Vec<usize>,
    /// Keys of futures known to be done and not yet yielded, from `watch` and the
    /// waiter.
    ready: VecDeque<usize>,
    /// How many futures have not been yielded yet.
    remaining: usize,
    /// Registered (once every future was looked at) with those still not done.
    waiter: Arc<Waiter>,
    watching: bool,
    /// Scratch space for draining the waiter without allocating each time.
    arrived: Vec<usize>,
    deadline: Option<Instant>,
    timed_out: bool,
}

impl<T> AsCompleted<T> {
    fn new(
        (futures, done_first): (Vec<Future<T>>, usize),
        deadline: Option<Instant>,
    ) -> AsCompleted<T> {
        AsCompleted {
            remaining: futures.len(),
            futures: futures.into_iter().map(Some).collect(),
            looked_at: 0,
            done_first,
            unwatched: Vec::new(),
            ready: VecDeque::new(),
            waiter: Arc::new(Waiter::new(1, false)),
            watching: false,
            arrived: Vec::new(),
            deadline,
            timed_out: false,
        }
    }

    /// The key of a done future not yet yielded, without waiting, if there is one.
    ///
    /// The futures are first looked at one by one, as the caller asks (`done()` is
    /// one atomic load). Only when each was looked at once is the waiter registered
    /// with those still not done (`watch`): on a busy pool most of them are done by
    /// then, and are spared the lock and the wake-up that registering costs, and the
    /// iterator gathers no list of the done ones first. Three passes at most: O(n).
    fn next_ready_key(&mut self) -> Option<usize> {
        if let Some(key) = self.ready.pop_front() {
            return Some(key);
        }
        while self.looked_at < self.futures.len() {
            let key = self.looked_at;
            self.looked_at += 1;
            if key < self.done_first {
                return Some(key);
            }
            match &self.futures[key] {
                Some(future) if future.done() => return Some(key),
                _ => self.unwatched.push(key),
            }
        }
        if !self.watching {
            self.watch();
        }
        self.ready.pop_front()
    }

    /// Registers the waiter with the futures still not done; those done meanwhile
    /// go to `ready`.
    fn watch(&mut self) {
        self.watching = true;
        let futures = &self.futures;
        let ready = &mut self.ready;
        for key in self.unwatched.drain(..) {
            let future = futures[key].as_ref().expect("not yielded yet");
            if future.done() || !future.add_waiter(&self.waiter, key) {
                ready.push_back(key);
            }
        }
        self.unwatched = Vec::new();
    }

    /// The next completed future, `Ok(None)` at the end, `Err(Timeout)` at the deadline.
    fn next_done(&mut self) -> Result<Option<Future<T>>, Error> {
        if self.remaining == 0 || self.timed_out {
            return Ok(None);
        }
        loop {
            if let Some(key) = self.next_ready_key() {
                return Ok(Some(self.take(key)));
            }
            if !self.waiter.wait(self.deadline) {
                self.timed_out = true;
                return Err(Error::Timeout);
            }
            self.take_arrived();
        }
    }

    /// The async `next_done`, without a deadline.
    fn poll_next_done(&mut self, cx: &mut Context<'_>) -> Poll<Option<Future<T>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        loop {
            if let Some(key) = self.next_ready_key() {
                return Poll::Ready(Some(self.take(key)));
            }
            if self.waiter.poll_wait(cx).is_pending() {
                return Poll::Pending;
            }
            self.take_arrived();
        }
    }

    /// Moves the keys the waiter collected into `ready`.
    fn take_arrived(&mut self) {
        self.waiter.take_finished(&mut self.arrived);
        self.ready.extend(self.arrived.drain(..));
    }

    /// Yields the future with `key`.
    fn take(&mut self, key: usize) -> Future<T> {
        self.remaining -= 1;
        self.futures[key]
            .take()
            .expect("each key arrives once: duplicates were collapsed")
    }
}

impl<T> Iterator for AsCompleted<T> {
    type Item = Future<T>;

    fn next(&mut self) -> Option<Future<T>> {
        self.next_done().unwrap_or(None)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T> Drop for AsCompleted<T> {
    fn drop(&mut self) {
        if self.watching && self.remaining > 0 {
            for future in self.futures.iter().flatten() {
                if !future.done() {
                    future.remove_waiter(&self.waiter);
                }
            }
        }
    }
}

/// The iterator [`as_completed_timeout`] returns; yields `Result<Future<T>, Error>`.
pub struct AsCompletedTimeout<T> {
    inner: AsCompleted<T>,
}

impl<T> Iterator for AsCompletedTimeout<T> {
    type Item = Result<Future<T>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next_done().transpose()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let remaining = self.inner.remaining;
        (0, Some(remaining + 1))
    }
}

/// The stream [`as_completed_async`] returns; yields `Future<T>`.
///
/// Dropping it early unregisters it from the futures it was still watching.
pub struct AsCompletedStream<T> {
    inner: AsCompleted<T>,
}

impl<T> Stream for AsCompletedStream<T> {
    type Item = Future<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Future<T>>> {
        self.get_mut().inner.poll_next_done(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.inner.remaining, Some(self.inner.remaining))
    }
}
