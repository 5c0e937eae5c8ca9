//! The executor's side of a future: Python's `set_running_or_notify_cancel`,
//! `set_result` and `set_exception`, and the user's `cancel`.
//!
//! Every transition into a done state takes the state lock, writes the outcome (a
//! cancelled future has none: its state says it), flips the state,
//! takes the callbacks and waiters out, and only then, with the lock released, wakes
//! blocked `result()` callers, tells the waiters and runs the callbacks. Nothing foreign
//! (a callback, another future's lock) is ever called with the lock held, so there is no
//! lock order to get wrong.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::{Callback, Future, FutureState, Listeners, Shared};
use crate::sync::MutexGuard;
use crate::Error;

impl<T> Future<T> {
    /// Cancels the future if it has not started yet (Python's `cancel()`).
    ///
    /// Returns `true` if the future is now cancelled (also when it already was), and
    /// `false` if it is running or finished: a running task is never interrupted.
    /// Cancelling wakes everything waiting on the future and runs its callbacks.
    ///
    /// ```
    /// use concurrent_futures::{Error, Future};
    ///
    /// let fut: Future<u32> = Future::new();
    /// assert!(fut.cancel());
    /// assert!(fut.cancelled() && fut.done());
    /// assert_eq!(fut.result(), Err(Error::Cancelled));
    /// ```
    pub fn cancel(&self) -> bool {
        self.inner.cancel(self)
    }

    /// [`cancel`](Future::cancel) on the typed cell.
    pub(super) fn cancel_typed(&self) -> bool {
        let shared = self.inner().shared.lock();
        // A compare-and-swap, not a store: a worker may start the task right now,
        // without the lock (see `set_running_typed`). Exactly one of them wins.
        match self
            .inner()
            .try_transition(FutureState::Pending, FutureState::Cancelled)
        {
            Ok(()) => {
                // A cancelled future's outcome is its state: nothing to write.
                self.finish_locked(shared, false);
                true
            }
            Err(FutureState::Cancelled) => true,
            Err(_) => false,
        }
    }

    /// Marks the future as running, unless it was cancelled (for executors).
    ///
    /// An executor calls this just before it runs the task: `Ok(true)` means go ahead
    /// (the future can no longer be cancelled), `Ok(false)` means the future was
    /// cancelled and the task must be skipped. Calling it on a future that is already
    /// running or finished is a bug in the executor: `Err(Error::InvalidState(..))`.
    pub fn set_running_or_notify_cancel(&self) -> Result<bool, Error> {
        self.inner.set_running_or_notify_cancel(self)
    }

    /// [`set_running_or_notify_cancel`](Future::set_running_or_notify_cancel) on the
    /// typed cell.
    ///
    /// The one transition that takes no lock: Pending → Running is a compare-and-swap
    /// on the state word. Nobody is told about it (only done states are announced),
    /// and the rival transitions out of Pending (`cancel`, and `complete` of a pending
    /// future) run under the lock but change the state with a compare-and-swap or
    /// after it, so exactly one transition out of Pending wins (docs/architecture.md,
    /// "Why the races are safe").
    pub(super) fn set_running_typed(&self) -> Result<bool, Error> {
        match self
            .inner()
            .try_transition(FutureState::Pending, FutureState::Running)
        {
            Ok(()) => Ok(true),
            Err(FutureState::Cancelled) => Ok(false),
            Err(_) => Err(Error::InvalidState(format!(
                "{self:?} cannot be started again"
            ))),
        }
    }

    /// Completes the future with the task's value (for executors).
    ///
    /// Wakes every waiter and runs the callbacks. Completing a future that is already
    /// finished or cancelled is refused with `Err(Error::InvalidState(..))` and changes
    /// nothing (Python's `InvalidStateError`).
    ///
    /// ```
    /// use concurrent_futures::{Error, Future};
    ///
    /// let fut = Future::new();
    /// fut.set_result("first").unwrap();
    /// assert!(matches!(fut.set_result("second"), Err(Error::InvalidState(_))));
    /// assert_eq!(fut.result(), Ok(&"first"));
    /// ```
    pub fn set_result(&self, value: T) -> Result<(), Error> {
        self.complete(Ok(value))
    }

    /// Completes the future with an error (for executors): the task failed.
    ///
    /// The same rules as [`set_result`](Future::set_result). Use
    /// [`cancel`](Future::cancel), not `set_exception(Error::Cancelled)`, to cancel.
    pub fn set_exception(&self, error: Error) -> Result<(), Error> {
        self.complete(Err(error))
    }

    /// Sets the final outcome, or refuses if there already is one.
    pub(crate) fn complete(&self, outcome: Result<T, Error>) -> Result<(), Error> {
        let Some(inner) = self.inner.typed() else {
            return Err(Error::InvalidState(format!(
                "{self:?} is an AnyFuture view: complete the typed future it came from"
            )));
        };
        let shared = inner.shared.lock();
        if inner.state_now().is_done() {
            drop(shared);
            return Err(Error::InvalidState(format!("{self:?} is already done")));
        }
        self.finish_with(shared, outcome);
        Ok(())
    }

    /// Like [`complete`](Future::complete), for a thread that must not run user
    /// callbacks (a thread fetching in `result()`, see [`super::Fetcher`]): if callbacks
    /// are registered, nothing changes and the outcome is given back, for a thread
    /// that may run them. A future already done ignores the outcome, as `complete`
    /// refuses it.
    pub(crate) fn complete_without_callbacks(
        &self,
        outcome: Result<T, Error>,
    ) -> Result<(), Result<T, Error>> {
        let shared = self.inner().shared.lock();
        if self.inner().state_now().is_done() {
            return Ok(());
        }
        if shared.listeners.has_callbacks() {
            return Err(outcome);
        }
        self.finish_with(shared, outcome);
        Ok(())
    }

    /// Finishes a future that is not done (checked under the held lock) with
    /// `outcome`: written first, then published by the state's change to Finished.
    fn finish_with(&self, shared: MutexGuard<'_, Shared<T>>, outcome: Result<T, Error>) {
        let failed = outcome.is_err();
        if self.inner().outcome.set(outcome.map_err(Box::new)).is_err() {
            unreachable!("the outcome is only set under the lock, in a non-done state");
        }
        self.inner().finish_state(&shared);
        self.finish_locked(shared, failed);
    }

    /// The one place a future that just became done tells its listeners: takes them
    /// out under the held lock, releases it, then wakes and calls them.
    fn finish_locked(&self, mut shared: MutexGuard<'_, Shared<T>>, failed: bool) {
        let listeners = std::mem::replace(&mut shared.listeners, Listeners::Nobody);
        drop(shared);

        match listeners {
            Listeners::Nobody => {}
            Listeners::OneWaiter(waiter, key) => waiter.notify(key as usize, failed),
            Listeners::Lists(lists) => {
                lists.wakers.wake_all();
                for (waiter, key) in lists.waiters {
                    waiter.notify(key, failed);
                }
                for callback in lists.callbacks {
                    self.run_callback(callback);
                }
            }
        }
    }

    /// Runs one done-callback, containing its panic (Python logs and carries on).
    pub(super) fn run_callback(&self, callback: Callback<T>) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| callback(self))) {
            let error = Error::from_panic(payload);
            eprintln!("concurrent_futures: exception calling callback for {self:?}: {error}");
        }
    }
}
