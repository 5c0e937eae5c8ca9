//! The loop each worker thread runs.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::core::PoolCore;
use crate::Error;

thread_local! {
    /// The pool this thread works for (its `PoolCore`'s address), 0 for other threads.
    static POOL: Cell<usize> = const { Cell::new(0) };
}

/// `true` if the calling thread is one of `core`'s workers.
pub(super) fn is_worker_of(core: &PoolCore) -> bool {
    POOL.with(Cell::get) == core as *const PoolCore as usize
}

pub(super) fn run(core: Arc<PoolCore>) {
    POOL.with(|pool| pool.set(Arc::as_ptr(&core) as usize));
    if let Some(initializer) = &core.initializer {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| initializer())) {
            let Error::Panicked { message } = Error::from_panic(payload) else {
                unreachable!("from_panic makes Panicked")
            };
            core.break_pool(format!(
                "a worker thread's initializer panicked ({message}); \
                 the thread pool cannot run tasks any more"
            ));
            return;
        }
    }
    // Ends when the pool is shut down (the queue closed) and the queue is empty.
    while let Some(job) = core.sleep.next_job(&core.queue) {
        job.run();
        // Python's `_idle_semaphore.release()`: this worker can take the next submit.
        if !core.all_started.load(Ordering::Relaxed) {
            core.idle.fetch_add(1, Ordering::Release);
        }
    }
}
