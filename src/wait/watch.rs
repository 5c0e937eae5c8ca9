//! What [`wait`](super::wait) and [`wait_async`](super::wait_async) share: registering
//! one waiter with every future not yet done, deciding whether the rule already holds,
//! and the final split into done and not done.

use std::sync::Arc;

use super::unique::unique_futures;
use super::waiter::Waiter;
use super::{DoneAndNotDone, ReturnWhen};
use crate::Future;

/// A `wait` in progress: the futures, and the waiter registered with those not done.
/// Dropping it unregisters the waiter.
pub(super) struct Watch<T> {
    futures: Vec<Future<T>>,
    /// Keys (indexes into `futures`) of the futures the waiter is registered with.
    watched: Vec<usize>,
    pub(super) waiter: Arc<Waiter>,
    /// Whether the rule held at registration, so that there is nothing to wait for.
    pub(super) satisfied_already: bool,
}

impl<T> Watch<T> {
    pub(super) fn register<'a>(
        futures: impl IntoIterator<Item = &'a Future<T>>,
        return_when: ReturnWhen,
    ) -> Watch<T>
    where
        T: 'a,
    {
        let futures = unique_futures(futures);
        let wake_on_failure = return_when == ReturnWhen::FirstException;
        // Register first, count afterwards: a future that finishes in between is told
        // to the waiter, so it is never missed.
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
        waiter.set_wake_at(match return_when {
            ReturnWhen::FirstCompleted => 1,
            ReturnWhen::FirstException | ReturnWhen::AllCompleted => watched.len(),
        });
        Watch {
            futures,
            watched,
            waiter,
            satisfied_already,
        }
    }

    /// Unregisters and splits the futures as they stand now.
    pub(super) fn finish(mut self) -> DoneAndNotDone<T> {
        self.unregister();
        let futures = std::mem::take(&mut self.futures);
        let (done, not_done) = futures.into_iter().partition(|f| f.done());
        DoneAndNotDone { done, not_done }
    }

    fn unregister(&mut self) {
        for key in self.watched.drain(..) {
            self.futures[key].remove_waiter(&self.waiter);
        }
    }
}

impl<T> Drop for Watch<T> {
    fn drop(&mut self) {
        self.unregister();
    }
}
