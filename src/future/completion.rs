//! The executor's side of a future: Python's `set_running_or_notify_cancel`,
//! `set_result` and `set_exception`, and the user's `cancel`.
//!
//! Every transition takes the state lock, writes the outcome (if any), flips the state,
//! takes the callbacks and waiters out, and only then, with the lock released, wakes
//! blocked `result()` callers, tells the waiters and runs the callbacks. Nothing foreign
//! (a callback, another future's lock) is ever called with the lock held, so there is no
//! lock order to get wrong.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;

use super::{Callback, Future, FutureState};
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
        match shared.state {
            FutureState::Running | FutureState::Finished => return false,
            FutureState::Cancelled => return true,
            FutureState::Pending => {}
        }
        self.finish_locked(shared, Err(Error::Cancelled), FutureState::Cancelled);
        true
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
    pub(super) fn set_running_typed(&self) -> Result<bool, Error> {
        let mut shared = self.inner().shared.lock();
        match shared.state {
            FutureState::Pending => {
                shared.state = FutureState::Running;
                self.inner()
                    .state
                    .store(FutureState::Running as u8, Ordering::Release);
                Ok(true)
            }
            FutureState::Cancelled => Ok(false),
            FutureState::Running | FutureState::Finished => {
                drop(shared);
                Err(Error::InvalidState(format!(
                    "{self:?} cannot be started again"
                )))
            }
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
        if shared.state.is_done() {
            drop(shared);
            return Err(Error::InvalidState(format!("{self:?} is already done")));
        }
        self.finish_locked(shared, outcome, FutureState::Finished);
        Ok(())
    }

    /// Like [`complete`](Future::complete), for a thread that must not run user
    /// callbacks (a thread helping in `result()`, see [`super::Helper`]): if callbacks
    /// are registered, nothing changes and the outcome is given back, for a thread
    /// that may run them. A future already done ignores the outcome, as `complete`
    /// refuses it.
    pub(crate) fn complete_without_callbacks(
        &self,
        outcome: Result<T, Error>,
    ) -> Result<(), Result<T, Error>> {
        let shared = self.inner().shared.lock();
        if shared.state.is_done() {
            return Ok(());
        }
        let has_callbacks = shared
            .listeners
            .as_ref()
            .is_some_and(|listeners| !listeners.callbacks.is_empty());
        if has_callbacks {
            return Err(outcome);
        }
        self.finish_locked(shared, outcome, FutureState::Finished);
        Ok(())
    }

    /// The one place a future becomes done. Takes the held lock, releases it before
    /// waking anyone.
    fn finish_locked(
        &self,
        mut shared: parking_lot::MutexGuard<'_, super::Shared<T>>,
        outcome: Result<T, Error>,
        state: FutureState,
    ) {
        let failed = matches!(&outcome, Err(error) if *error != Error::Cancelled);
        if self.inner().outcome.set(outcome.map_err(Box::new)).is_err() {
            unreachable!("the outcome is only set under the lock, in a non-done state");
        }
        shared.state = state;
        self.inner().state.store(state as u8, Ordering::Release);
        let listeners = shared.listeners.take();
        drop(shared);

        self.inner().done_signal.notify_all();
        if let Some(listeners) = listeners {
            listeners.wakers.wake_all();
            for (waiter, key) in listeners.waiters {
                waiter.notify(key, failed);
            }
            for callback in listeners.callbacks {
                self.run_callback(callback);
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
