//! Which pool the calling thread works for: a thread-pool worker, a process pool's
//! connection thread, or a thread reading a process pool's pipe for the moment. A
//! pool that is shut down, or dropped, from such a thread must not wait for the
//! thread itself (it would wait forever); both pools ask here.
//!
//! A pool is named by the address of its shared state, which no other pool can have
//! while it lives.

use std::cell::Cell;

thread_local! {
    /// The pool this thread works for, 0 for none.
    static POOL: Cell<usize> = const { Cell::new(0) };
}

/// `true` if the calling thread works for the pool at `pool`.
pub(crate) fn works_for(pool: usize) -> bool {
    POOL.with(Cell::get) == pool
}

/// Marks the calling thread as working for `pool` until the guard drops, which puts
/// back what was there (a thread may help another pool for a moment).
pub(crate) fn work_for(pool: usize) -> WorkingFor {
    WorkingFor {
        was: POOL.with(|current| current.replace(pool)),
    }
}

/// See [`work_for`].
#[must_use = "the mark lasts as long as the guard"]
pub(crate) struct WorkingFor {
    was: usize,
}

impl Drop for WorkingFor {
    fn drop(&mut self) {
        POOL.with(|current| current.set(self.was));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_lasts_as_long_as_its_guard_and_nests() {
        assert!(!works_for(1));
        let outer = work_for(1);
        assert!(works_for(1));
        {
            let _inner = work_for(2);
            assert!(works_for(2) && !works_for(1));
        }
        assert!(works_for(1));
        drop(outer);
        assert!(!works_for(1));
    }
}
