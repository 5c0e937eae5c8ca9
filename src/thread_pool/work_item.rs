//! What travels through the thread pool's queue: a task and the future it completes.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::{Error, Future};

/// A queued task, type-erased so that one queue carries tasks of every result type.
pub(crate) trait WorkItem: Send {
    /// Runs the task unless its future was cancelled, and completes the future.
    fn run(self: Box<Self>);
    /// Cancels the future (shutdown with `cancel_futures`).
    fn cancel(self: Box<Self>);
    /// Fails the future without running the task (the pool broke).
    fn fail(self: Box<Self>, error: Error);
}

pub(crate) type Job = Box<dyn WorkItem>;

pub(crate) struct Task<F, T> {
    pub(crate) future: Future<T>,
    pub(crate) func: F,
}

/// `func` returns the task's outcome: `submit` wraps a plain task in `Ok`,
/// `submit_fallible` turns the task's own `Err` into `Error::Failed`.
impl<F, T> WorkItem for Task<F, T>
where
    F: FnOnce() -> Result<T, Error> + Send,
    T: Send + Sync,
{
    fn run(self: Box<Self>) {
        let Task { future, func } = *self;
        // `Ok(false)`: cancelled while queued. `Err`: cannot happen, only this item
        // starts this future.
        if future.set_running_or_notify_cancel() != Ok(true) {
            return;
        }
        let outcome =
            catch_unwind(AssertUnwindSafe(func)).unwrap_or_else(|p| Err(Error::from_panic(p)));
        // Only this item completes this future, and it was running: cannot fail.
        let _ = future.complete(outcome);
    }

    fn cancel(self: Box<Self>) {
        self.future.cancel();
    }

    fn fail(self: Box<Self>, error: Error) {
        // Refused only if the user cancelled it meanwhile, which is just as final.
        let _ = self.future.set_exception(error);
    }
}
