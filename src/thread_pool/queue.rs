//! The pool's queue of jobs: crossbeam's `Injector` (the queue rayon injects its
//! outside jobs into) and a closed flag. The workers' sleep and wake-ups are
//! `sleep.rs`'s, so the queue needs none of its own: a push is one atomic reservation
//! of a slot, where a channel's send also checks for sleeping receivers to wake.

use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_deque::{Injector, Steal};

use super::sleep::JobQueue;

pub(super) struct Queue<J> {
    jobs: Injector<J>,
    /// Set by shutdown, under the pool's control lock, after which nothing is pushed
    /// (pushes happen under that lock too, while the pool is open).
    closed: AtomicBool,
}

impl<J> Queue<J> {
    pub(super) fn new() -> Queue<J> {
        Queue {
            jobs: Injector::new(),
            closed: AtomicBool::new(false),
        }
    }

    pub(super) fn push(&self, job: J) {
        self.jobs.push(job);
    }

    /// No more pushes: once empty, the queue tells the workers to exit.
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// The next job, if any is queued now.
    pub(super) fn pop(&self) -> Option<J> {
        loop {
            match self.jobs.steal() {
                Steal::Success(job) => return Some(job),
                Steal::Empty => return None,
                Steal::Retry => {}
            }
        }
    }

    pub(super) fn len(&self) -> usize {
        self.jobs.len()
    }
}

impl<J> JobQueue for Queue<J> {
    type Job = J;

    fn try_take(&self) -> Result<J, bool> {
        if let Some(job) = self.pop() {
            return Ok(job);
        }
        if !self.closed.load(Ordering::Acquire) {
            return Err(false);
        }
        // Closed: every push came before the close, so a last look finds any left.
        self.pop().ok_or(true)
    }

    fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }
}
