//! The synchronisation types of a future's cell: parking_lot's mutex and std's
//! atomics, or, under `--cfg concurrent_futures_loom`, loom's, so that loom can model
//! check the state machine (`loom_tests.rs`; docs/architecture.md says how to run it).

#[cfg(not(concurrent_futures_loom))]
pub(super) use parking_lot::{Mutex, MutexGuard};
#[cfg(not(concurrent_futures_loom))]
pub(super) use std::sync::atomic::AtomicU8;

#[cfg(concurrent_futures_loom)]
pub(super) use loom::sync::atomic::AtomicU8;
#[cfg(concurrent_futures_loom)]
pub(super) use loom::sync::MutexGuard;

/// loom's mutex with parking_lot's `lock()`: no poisoning (a future's critical
/// sections run no user code, so they cannot panic midway).
#[cfg(concurrent_futures_loom)]
pub(super) struct Mutex<T>(loom::sync::Mutex<T>);

#[cfg(concurrent_futures_loom)]
impl<T> Mutex<T> {
    pub(super) fn new(value: T) -> Mutex<T> {
        Mutex(loom::sync::Mutex::new(value))
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, T> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
