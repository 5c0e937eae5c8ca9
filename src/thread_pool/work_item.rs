//! What travels through the thread pool's queue: a task and the future it completes,
//! one allocation ([`FutureTask`]).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::future::FutureTask;
use crate::Error;

/// A queued task, type-erased so that one queue carries tasks of every result type.
pub(crate) trait WorkItem: Send + Sync {
    /// Runs the task unless its future was cancelled, and completes the future.
    fn run(self: Arc<Self>);
    /// Cancels the future (shutdown with `cancel_futures`).
    fn cancel(self: Arc<Self>);
    /// Fails the future without running the task (the pool broke).
    fn fail(self: Arc<Self>, error: Error);
}

pub(crate) type Job = Arc<dyn WorkItem>;

/// The task returns its outcome: `submit` wraps a plain task in `Ok`, `submit_fallible`
/// turns the task's own `Err` into `Error::Failed`.
impl<F, T> WorkItem for FutureTask<F, T>
where
    F: FnOnce() -> Result<T, Error> + Send + 'static,
    T: Send + Sync + 'static,
{
    fn run(self: Arc<Self>) {
        // Only the queue's consumer takes the task, once.
        let Some(task) = self.take_task() else { return };
        let future = self.into_future();
        // `Ok(false)`: cancelled while queued (the task is dropped here). `Err`: cannot
        // happen, only this job starts this future.
        if future.set_running_or_notify_cancel() != Ok(true) {
            return;
        }
        let outcome =
            catch_unwind(AssertUnwindSafe(task)).unwrap_or_else(|p| Err(Error::from_panic(p)));
        // Only this job completes this future, and it was running: cannot fail.
        let _ = future.complete(outcome);
    }

    fn cancel(self: Arc<Self>) {
        drop(self.take_task());
        self.into_future().cancel();
    }

    fn fail(self: Arc<Self>, error: Error) {
        drop(self.take_task());
        // Refused only if the user cancelled it meanwhile, which is just as final.
        let _ = self.into_future().set_exception(error);
    }
}
