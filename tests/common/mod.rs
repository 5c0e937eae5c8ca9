//! Helpers shared by the integration tests: gates, bounded waits and ready-made futures.
//!
//! Every blocking wait in the tests goes through a timeout of [`LONG`], so that a bug
//! makes a test fail instead of hanging the suite. Tasks are held back with [`Gate`]s
//! (a task blocks until the test opens its gate), never with sleeps.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use concurrent_futures::{Error, Future};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use parking_lot::Mutex;

/// How long any blocking step may take before the test gives up and fails.
pub const LONG: Duration = Duration::from_secs(30);

/// Only for checks that something does *not* happen: a longer wait makes such a check
/// stricter, never flaky.
pub const SHORT: Duration = Duration::from_millis(100);

/// Holds tasks back until the test opens it (all at once, for good).
///
/// Dropping the gate opens it too, so a failing test never leaves a pool blocked.
pub struct Gate {
    opener: Mutex<Option<Sender<()>>>,
    closed: Receiver<()>,
}

impl Gate {
    pub fn new() -> Gate {
        let (opener, closed) = crossbeam_channel::bounded(0);
        Gate {
            opener: Mutex::new(Some(opener)),
            closed,
        }
    }

    /// A handle a task can block on.
    pub fn handle(&self) -> GateHandle {
        GateHandle(self.closed.clone())
    }

    /// Lets every task through, now and later.
    pub fn open(&self) {
        self.opener.lock().take();
    }
}

impl Default for Gate {
    fn default() -> Self {
        Gate::new()
    }
}

/// The task's side of a [`Gate`].
#[derive(Clone)]
pub struct GateHandle(Receiver<()>);

impl GateHandle {
    /// Blocks until the gate is opened; panics (failing the task) after [`LONG`].
    pub fn pass(&self) {
        match self.0.recv_timeout(LONG) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => {}
            Err(RecvTimeoutError::Timeout) => panic!("the test never opened the gate"),
        }
    }
}

/// Receives one message or fails the test after [`LONG`].
pub fn recv<T>(rx: &Receiver<T>) -> T {
    rx.recv_timeout(LONG)
        .expect("no message within the test's time limit")
}

/// Receives `n` messages or fails the test.
pub fn recv_n<T>(rx: &Receiver<T>, n: usize) -> Vec<T> {
    (0..n).map(|_| recv(rx)).collect()
}

/// `true` if nothing arrives for [`SHORT`] (a "nothing happens" check).
pub fn stays_quiet<T>(rx: &Receiver<T>) -> bool {
    matches!(rx.recv_timeout(SHORT), Err(RecvTimeoutError::Timeout))
}

/// The current thread's name (worker threads always have one).
pub fn thread_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("<unnamed>")
        .to_string()
}

/// Counts how many times it was called (e.g. as an initializer: threads started).
#[derive(Clone, Default)]
pub struct Counter(Arc<AtomicUsize>);

impl Counter {
    pub fn new() -> Counter {
        Counter::default()
    }
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

// ------------------------------------------------ Python's ready-made futures (util.py)

/// `PENDING_FUTURE`.
pub fn pending<T: Send + Sync + 'static>() -> Future<T> {
    Future::new()
}

/// `RUNNING_FUTURE`.
pub fn running<T: Send + Sync + 'static>() -> Future<T> {
    let f = Future::new();
    assert_eq!(f.set_running_or_notify_cancel(), Ok(true));
    f
}

/// `CANCELLED_AND_NOTIFIED_FUTURE` (this crate notifies waiters at `cancel()`).
pub fn cancelled<T: Send + Sync + 'static>() -> Future<T> {
    let f = Future::new();
    assert!(f.cancel());
    f
}

/// `EXCEPTION_FUTURE`: finished with an error.
pub fn failed<T: Send + Sync + 'static>() -> Future<T> {
    let f = Future::new();
    f.set_exception(Error::Panicked {
        message: "OSError".into(),
    })
    .unwrap();
    f
}

/// `SUCCESSFUL_FUTURE`: finished with `value`.
pub fn succeeded<T: Send + Sync + 'static>(value: T) -> Future<T> {
    let f = Future::new();
    f.set_result(value).unwrap();
    f
}
