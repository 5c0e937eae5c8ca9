//! The synchronisation types that the model-checked code uses (a future's cell, the
//! thread pool's sleep): parking_lot's and std's, or, under
//! `--cfg concurrent_futures_loom`, loom's, so that loom can explore every
//! interleaving (docs/architecture.md, "Why the races are safe", says how to run it).

#[cfg(not(concurrent_futures_loom))]
mod chosen {
    pub(crate) use crossbeam_utils::Backoff;
    pub(crate) use parking_lot::{Mutex, MutexGuard};
    pub(crate) use std::sync::atomic::{fence, AtomicU8, AtomicUsize};

    /// parking_lot's condition variable, with a by-value `wait` (loom's shape).
    #[derive(Default)]
    pub(crate) struct Condvar(parking_lot::Condvar);

    impl Condvar {
        pub(crate) fn wait<'a, T>(&self, mut guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0.wait(&mut guard);
            guard
        }

        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }
}

#[cfg(concurrent_futures_loom)]
mod chosen {
    pub(crate) use loom::sync::atomic::{fence, AtomicU8, AtomicUsize};
    pub(crate) use loom::sync::MutexGuard;

    /// No spinning in a model: loom explores the orders a spin would wait through.
    pub(crate) struct Backoff;

    impl Backoff {
        pub(crate) fn new() -> Backoff {
            Backoff
        }

        pub(crate) fn snooze(&self) {}

        pub(crate) fn is_completed(&self) -> bool {
            true
        }
    }

    /// loom's mutex with parking_lot's `lock()`: no poisoning (the critical sections
    /// that use it run no user code, so they cannot panic midway).
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Mutex<T> {
            Mutex(loom::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        }
    }

    impl<T: Default> Default for Mutex<T> {
        fn default() -> Mutex<T> {
            Mutex::new(T::default())
        }
    }

    #[derive(Default)]
    pub(crate) struct Condvar(loom::sync::Condvar);

    impl Condvar {
        pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0
                .wait(guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        }

        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }
}

pub(crate) use chosen::*;
