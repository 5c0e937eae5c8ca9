//! The loop each worker thread runs.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::core::PoolCore;
use crate::Error;

pub(super) fn run(core: Arc<PoolCore>) {
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
    // Ends when the pool is shut down (every sender gone) and the queue is empty.
    while let Ok(job) = core.queue.recv() {
        job.run();
        // Python's `_idle_semaphore.release()`: this worker can take the next submit.
        if !core.all_started.load(Ordering::Relaxed) {
            core.idle.fetch_add(1, Ordering::Release);
        }
    }
}
