//! A thread pool's future allocated together with the task that completes it, so that
//! a `submit` makes one allocation instead of two (a task box and a future cell): the
//! allocator was the largest cost per task (docs/architecture.md, "Performance").
//!
//! The cell is the future's shared state (it is a [`TypedCell`]) and, in the pool's
//! queue, the job. The task is taken out exactly once, by whoever runs, cancels or
//! fails the job, so it is dropped (its captures freed) when the job leaves the
//! queue, as a separate box would be, even while handles keep the future alive. Its
//! inline bytes stay in the allocation as long as a handle does: a closure that
//! captures a large value by value makes every such future that much larger (box the
//! value to avoid it).

use std::sync::Arc;

use crossbeam_utils::atomic::AtomicCell;

use super::{Future, Inner, TypedCell, WaitAwake};

/// A future and the task that will complete it, in one allocation.
pub(crate) struct FutureTask<F, T> {
    cell: Inner<T>,
    /// Taken once by the queue's consumer. An `AtomicCell` needs no lock word of its
    /// own (it borrows one of a few global ones for a moment), which keeps a queued
    /// task 8 bytes smaller than a `Mutex<Option<F>>` would.
    task: AtomicCell<Option<F>>,
}

impl<F: Send, T: Send + Sync> TypedCell<T> for FutureTask<F, T> {
    fn cell(&self) -> &Inner<T> {
        &self.cell
    }
}

impl<F, T> FutureTask<F, T>
where
    F: Send + 'static,
    T: Send + Sync + 'static,
{
    /// The future of `task`, and the job for the queue, sharing one allocation.
    /// Awaiting and `result()` wait awake a moment: a thread pool's tasks are often
    /// short (see `WaitAwake`).
    pub(crate) fn new(task: F) -> (Future<T>, Arc<FutureTask<F, T>>) {
        let job = Arc::new(FutureTask {
            cell: Inner::new(WaitAwake::InResultAndAwait),
            task: AtomicCell::new(Some(task)),
        });
        let future = Future {
            inner: Arc::clone(&job) as _,
        };
        (future, job)
    }

    /// The task, the first time; `None` after.
    pub(crate) fn take_task(&self) -> Option<F> {
        self.task.take()
    }

    /// The job's handle to its future.
    pub(crate) fn into_future(self: Arc<Self>) -> Future<T> {
        Future { inner: self }
    }
}
