//! Which pool the calling thread works for: a thread-pool worker, a process pool's
//! supervisor thread, or a thread reading a process pool's pipe for the moment. A
//! pool that is shut down, or dropped, from such a thread must not wait for the
//! thread itself (it would wait forever); both pools ask here.
//!
//! A pool is named by the address of its shared state, which no other pool can have
//! while it lives.

use std::cell::Cell;

thread_local! {
    /// The pool this thread works for, 0 for none.
    static POOL: Cell<usize> = const { Cell::new(0) };
    /// The pool whose results this thread fetches for the moment (reading a worker's
    /// pipe), 0 for none. A mark of its own, so that fetching for one pool does not hide
    /// the pool the thread works for.
    static FETCHING: Cell<usize> = const { Cell::new(0) };
}

/// `true` if the calling thread works for, or fetches for, the pool at `pool`.
pub(crate) fn works_for(pool: usize) -> bool {
    POOL.with(Cell::get) == pool || FETCHING.with(Cell::get) == pool
}

/// Marks the calling thread as working for `pool` until the guard drops.
pub(crate) fn work_for(pool: usize) -> WorkingFor {
    WorkingFor::mark(&POOL, pool)
}

/// Marks the calling thread as fetching for `pool` until the guard drops.
pub(crate) fn fetch_for(pool: usize) -> WorkingFor {
    WorkingFor::mark(&FETCHING, pool)
}

/// See [`work_for`] and [`fetch_for`]: puts back what the mark replaced.
#[must_use = "the mark lasts as long as the guard"]
pub(crate) struct WorkingFor {
    mark: &'static std::thread::LocalKey<Cell<usize>>,
    was: usize,
}

impl WorkingFor {
    fn mark(mark: &'static std::thread::LocalKey<Cell<usize>>, pool: usize) -> WorkingFor {
        WorkingFor {
            mark,
            was: mark.with(|current| current.replace(pool)),
        }
    }
}

impl Drop for WorkingFor {
    fn drop(&mut self) {
        self.mark.with(|current| current.set(self.was));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetching_for_one_pool_keeps_the_mark_of_the_pool_worked_for() {
        let _working = work_for(10);
        {
            let _fetching = fetch_for(20);
            assert!(works_for(10) && works_for(20));
        }
        assert!(works_for(10) && !works_for(20));
    }

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
