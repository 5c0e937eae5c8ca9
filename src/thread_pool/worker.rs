//! The loop each worker thread runs.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use super::work_item::Job;
use crate::pool_thread;
use crate::Error;

/// What a worker needs of its pool; the pool's core implements it.
pub(super) trait WorkerPool: Send + Sync {
    /// Names the pool for `pool_thread` (its shared state's address).
    fn id(&self) -> usize;
    /// Runs the pool's initializer, if it has one.
    fn initialize(&self);
    /// Marks the pool broken: its initializer failed.
    fn break_pool(&self, reason: String);
    /// The next job, waiting for one; `None` once the pool is shut down and drained.
    fn next_job(&self) -> Option<Job>;
    /// Called after each job: the worker is free for the next.
    fn job_done(&self);
}

pub(super) fn run(pool: Arc<dyn WorkerPool>) {
    let _working = pool_thread::work_for(pool.id());
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| pool.initialize())) {
        let Error::Panicked { message } = Error::from_panic(payload) else {
            unreachable!("from_panic makes Panicked")
        };
        pool.break_pool(format!(
            "a worker thread's initializer panicked ({message}); \
             the thread pool cannot run tasks any more"
        ));
        return;
    }
    // Ends when the pool is shut down (the queue closed) and the queue is empty.
    while let Some(job) = pool.next_job() {
        job.run();
        pool.job_done();
    }
}
