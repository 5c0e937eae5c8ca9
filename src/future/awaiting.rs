//! Awaiting a [`Future`] from async code, on any runtime: Python's
//! `asyncio.wrap_future`, built in.
//!
//! `(&fut).await` gives `Result<&T, Error>` ([`AwaitRef`]); `fut.await` on an owned
//! handle gives `Result<T, Error>` ([`AwaitOwned`], `T: Clone`), and is `'static`, so
//! it can be spawned. Neither needs a thread: a pending poll stores the task's waker in
//! the future (see `wakers.rs`), and the transition to done wakes it. Registration
//! checks the state under the future's lock, the same lock under which completion
//! takes the wakers out, so a completion racing the first poll is never missed.
//!
//! A thread pool's task is often short, and waking a sleeping runtime thread costs more
//! than such a task (see [`crate::spin`]). So for [`WAIT_AWAKE_LIMIT`] after its first
//! poll, an await of a thread pool's future does not leave its waker yet: it wakes its
//! own task and returns `Pending`, so the runtime runs whatever else is ready and polls
//! it again instead of going to sleep. It never blocks the runtime's thread, and costs
//! one or two extra polls when the task takes longer. Other futures (hand-made, or a
//! process pool's, whose round trip goes through the worker's supervisor thread) leave
//! their waker at once.
//!
//! Dropping an await (a `select!` that took another branch, a runtime timeout) only
//! stops waiting: its waker is removed and the task goes on. Cancelling stays explicit,
//! with [`Future::cancel`]. (asyncio cancels the task when a wrapping future is
//! cancelled; tokio detaches when a `JoinHandle` is dropped. A `Future` here is a
//! handle that others may hold too, so dropping one await must not decide for them.)

use std::future::IntoFuture;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use super::Future;
use crate::spin::WAIT_AWAKE_LIMIT;
use crate::Error;

/// The async wait for a future's result in place: what `(&fut).await` runs.
///
/// Resolves to `Ok(&value)` or the task's error, like [`Future::result`], without
/// blocking the runtime's thread. Dropping it before it resolves stops waiting and
/// leaves nothing behind in the future; the task is not cancelled.
///
/// Awaiting a [`ThreadPoolExecutor`](crate::ThreadPoolExecutor)'s future stays awake
/// for a moment first (about 20 µs): it wakes its own task and returns `Pending`, so
/// that the runtime polls it again instead of sleeping, since a short task's result
/// comes sooner than a sleeping thread can be woken. Then it leaves its waker, and
/// the completion wakes it. Other futures leave their waker at the first poll.
///
/// ```
/// use concurrent_futures::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
/// let fut = pool.submit(|| 6 * 7).unwrap();
/// // Any runtime: tokio, smol, or this minimal one.
/// let answer = futures::executor::block_on(async { *(&fut).await.unwrap() });
/// assert_eq!(answer, 42);
/// ```
#[must_use = "an await does nothing unless polled"]
pub struct AwaitRef<'a, T> {
    future: &'a Future<T>,
    waiting: Waiting,
}

/// The async wait for an owned copy of a future's result: what `fut.await` runs on a
/// `Future<T>` handle (`T: Clone`).
///
/// It owns its handle, so it is `'static` when `T` is: it can be `tokio::spawn`ed or
/// kept in a struct. Otherwise the same as [`AwaitRef`].
///
/// ```
/// use concurrent_futures::{Error, ProcessPoolExecutor};
///
/// fn square(n: u64) -> u64 {
///     n * n
/// }
///
/// fn main() -> Result<(), Error> {
///     concurrent_futures::init();
///     let pool = ProcessPoolExecutor::with_max_workers(1)?;
///     let fut = pool.submit(square, 12)?;
///     // CPU work in a crash-isolated process, awaited without blocking the loop.
///     let squared = futures::executor::block_on(async move { fut.await });
///     assert_eq!(squared, Ok(144));
///     Ok(())
/// }
/// ```
#[must_use = "an await does nothing unless polled"]
pub struct AwaitOwned<T> {
    future: Future<T>,
    waiting: Waiting,
}

/// Where an await is in its wait.
#[derive(Default)]
struct Waiting {
    /// When it was first polled, if it stays awake a moment (a thread pool's future).
    awake_since: Option<Instant>,
    /// Its slot among the future's wakers, once it left one.
    slot: Option<usize>,
}

impl<T> Future<T> {
    /// Ready once the future is done; otherwise stays awake a moment (see the module
    /// doc), then leaves the task's waker.
    fn poll_done(&self, waiting: &mut Waiting, cx: &mut Context<'_>) -> Poll<()> {
        if self.done() {
            return Poll::Ready(());
        }
        if waiting.slot.is_none() && self.inner.await_awake() {
            let since = *waiting.awake_since.get_or_insert_with(Instant::now);
            if since.elapsed() < WAIT_AWAKE_LIMIT {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
        if !self.inner.register_waker(&mut waiting.slot, cx.waker()) {
            return Poll::Ready(()); // done meanwhile: nothing was stored
        }
        Poll::Pending
    }

    /// Removes the waker of a dropped await that never saw the future done.
    fn forget_waker(&self, waiting: &Waiting) {
        if let Some(index) = waiting.slot {
            if !self.done() {
                self.inner.remove_waker(index);
            }
        }
    }
}

impl<'a, T> std::future::Future for AwaitRef<'a, T> {
    type Output = Result<&'a T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let future = this.future;
        future.poll_done(&mut this.waiting, cx).map(|()| {
            this.waiting.slot = None; // done: completion took the wakers
            future.outcome_now().expect("a done future has an outcome")
        })
    }
}

impl<T: Clone> std::future::Future for AwaitOwned<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.future.poll_done(&mut this.waiting, cx).map(|()| {
            this.waiting.slot = None;
            let outcome = this.future.outcome_now();
            outcome.expect("a done future has an outcome").cloned()
        })
    }
}

impl<T> Drop for AwaitRef<'_, T> {
    fn drop(&mut self) {
        self.future.forget_waker(&self.waiting);
    }
}

impl<T> Drop for AwaitOwned<T> {
    fn drop(&mut self) {
        self.future.forget_waker(&self.waiting);
    }
}

impl<'a, T> IntoFuture for &'a Future<T> {
    type Output = Result<&'a T, Error>;
    type IntoFuture = AwaitRef<'a, T>;

    /// `(&fut).await`: the result in place, as [`Future::result`] gives it.
    fn into_future(self) -> AwaitRef<'a, T> {
        AwaitRef {
            future: self,
            waiting: Waiting::default(),
        }
    }
}

impl<T: Clone> IntoFuture for Future<T> {
    type Output = Result<T, Error>;
    type IntoFuture = AwaitOwned<T>;

    /// `fut.await`: an owned copy of the result.
    fn into_future(self) -> AwaitOwned<T> {
        AwaitOwned {
            future: self,
            waiting: Waiting::default(),
        }
    }
}
