//! A thread blocked in `result()`: it leaves a waker that unparks it among the
//! future's wakers, the same slab the async awaits use, and parks. So a future needs
//! no condition variable of its own (a word less in every future), and completion
//! wakes blocked threads and awaiting tasks alike.
//!
//! No wake-up is lost: the waker is stored under the future's lock after checking the
//! state there, and completion takes the wakers under that lock. `Thread::unpark`
//! before `park` makes `park` return at once, and a spurious return re-checks.

use std::sync::Arc;
use std::task::{Wake, Waker};
use std::thread::{self, Thread};
use std::time::Instant;

use super::{SharedState, TypedCell};

/// Wakes a parked thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    /// This thread's unparking waker, made once per thread.
    static UNPARK: Waker = Waker::from(Arc::new(Unpark(thread::current())));
}

/// Parks until `cell`'s future is done or `deadline` passes; `true` if done.
pub(super) fn park_until_done<T, C>(cell: &C, deadline: Option<Instant>) -> bool
where
    T: Send + Sync + 'static,
    C: TypedCell<T>,
{
    // `try_with`: in a thread-local's destructor, this one may be gone already; a
    // fresh waker does the same job there.
    match UNPARK.try_with(|waker| park_with(cell, deadline, waker)) {
        Ok(done) => done,
        Err(_) => {
            let waker = Waker::from(Arc::new(Unpark(thread::current())));
            park_with(cell, deadline, &waker)
        }
    }
}

/// The parking loop, with this thread's unparking `waker`.
fn park_with<T, C>(cell: &C, deadline: Option<Instant>, waker: &Waker) -> bool
where
    T: Send + Sync + 'static,
    C: TypedCell<T>,
{
    let mut slot = None;
    loop {
        if !cell.register_waker(&mut slot, waker) {
            return true; // done: completion took (and woke) the waker, if stored
        }
        match deadline {
            None => thread::park(),
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    if let Some(index) = slot {
                        cell.remove_waker(index);
                    }
                    return cell.state().is_done();
                }
                thread::park_timeout(deadline - now);
            }
        }
    }
}
