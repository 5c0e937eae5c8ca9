//! Waiting awake, briefly, for something that is about to happen.
//!
//! Putting a thread to sleep and waking it through the kernel costs several
//! microseconds, more on a virtual machine, where waking an idle virtual CPU is a trip
//! through the hypervisor: a pipe ping-pong between two processes takes 10 µs on the
//! project's 2-core VM when both sleep between messages, 2 µs when both stay awake.
//! That is more than a short task takes. So a process-pool worker waiting for its next
//! task, a supervisor thread waiting for a short task's result, and a thread waiting
//! on a thread pool's future check for a short while before they sleep, yielding the
//! CPU between checks so that a thread with real work (often the very one they wait
//! for, on a small machine) gets it. docs/process-pool.md §10 has the figures.

use std::time::{Duration, Instant};

/// How long a thread waiting in a thread pool's `result()`, or an await of a thread
/// pool's future, stays awake before it sleeps: about what a short task's round trip
/// takes when both ends are awake, less than waking a sleeping thread costs here.
pub(crate) const WAIT_AWAKE_LIMIT: Duration = Duration::from_micros(20);

/// How long a thread waiting in an MPI pool's `result()` stays awake before it sleeps:
/// about what a no-op task's round trip through a worker rank and its local process
/// takes on one machine (`benches/mpi_pool.rs`).
#[cfg_attr(not(feature = "mpi"), allow(dead_code))]
pub(crate) const CLUSTER_WAIT_AWAKE_LIMIT: Duration = Duration::from_micros(100);

/// Checks `ready` until it says `true` (then returns `true`) or `limit` has passed
/// (then `false`), yielding the CPU between checks. (Busy `pause`s before the
/// yields measured worse for the process pool, 1 to 2 µs a round trip, and no
/// better for the thread pool: on two cores shared by three waiting threads, a
/// pausing thread holds up the one it waits for.)
pub(crate) fn spin_until(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    if ready() {
        return true;
    }
    let start = Instant::now();
    while start.elapsed() < limit {
        std::thread::yield_now();
        if ready() {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_as_soon_as_ready() {
        let mut checks = 0;
        assert!(spin_until(Duration::from_secs(60), || {
            checks += 1;
            checks == 10
        }));
        assert_eq!(checks, 10);
    }

    #[test]
    fn gives_up_after_the_limit() {
        let start = Instant::now();
        assert!(!spin_until(Duration::from_micros(50), || false));
        assert!(start.elapsed() >= Duration::from_micros(50));
    }
}
