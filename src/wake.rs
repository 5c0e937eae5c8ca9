//! Waking a waker that is not ours: a runtime's, or a user's.

use std::task::Waker;

/// Wakes `waker`, containing a panic in it (reported on stderr, as a panicking
/// done-callback is): it must not keep other wakers from being woken, nor unwind the
/// thread that completes a future (a pool's worker, a supervisor thread).
pub(crate) fn wake_contained(waker: Waker) {
    let woken = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waker.wake()));
    if woken.is_err() {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"concurrent_futures: a waker panicked when woken; the others were woken\n",
        );
    }
}
