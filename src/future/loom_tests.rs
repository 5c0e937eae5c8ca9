//! Model checks of the future's state machine with loom: every interleaving of the
//! racing transitions, not just the ones a stress test happens to hit. Run with
//!
//! ```text
//! RUSTFLAGS="--cfg concurrent_futures_loom" cargo test --release --lib loom
//! ```
//!
//! (docs/architecture.md, "Why the races are safe", has the argument these check.)

use std::future::{Future as _, IntoFuture};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use loom::thread;

use crate::{Error, Future, FutureState};

/// A worker starting the task (lock-free) against a user cancelling it: exactly one
/// wins, and the state says which.
#[test]
fn start_and_cancel_exactly_one_wins() {
    loom::model(|| {
        let fut: Future<u8> = Future::new();
        let worker = {
            let fut = fut.clone();
            thread::spawn(move || fut.set_running_or_notify_cancel())
        };
        let cancelled = fut.cancel();
        let started = worker.join().unwrap();
        assert_ne!(started == Ok(true), cancelled, "exactly one wins");
        let expected = if cancelled {
            FutureState::Cancelled
        } else {
            FutureState::Running
        };
        assert_eq!(fut.state(), expected);
        if cancelled {
            assert_eq!(started, Ok(false));
            assert_eq!(fut.result(), Err(Error::Cancelled));
        }
    });
}

/// A user completing a pending future (`set_result`) against a worker starting it:
/// the result is kept either way, and a late start is refused.
#[test]
fn completing_a_pending_future_races_its_start() {
    loom::model(|| {
        let fut: Future<u8> = Future::new();
        let worker = {
            let fut = fut.clone();
            thread::spawn(move || fut.set_running_or_notify_cancel())
        };
        fut.set_result(7).unwrap();
        let started = worker.join().unwrap();
        assert!(matches!(started, Ok(true) | Err(Error::InvalidState(_))));
        assert_eq!(fut.state(), FutureState::Finished);
        assert_eq!(fut.result(), Ok(&7));
    });
}

struct CountingWake(AtomicUsize);

impl Wake for CountingWake {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A worker running and completing the task against, on the user's side, a
/// callback being added and an await's first poll: the callback runs exactly once,
/// and an await that saw Pending is woken exactly once.
#[test]
fn completion_against_callbacks_and_awaits_loses_nobody() {
    loom::model(|| {
        let fut: Future<u8> = Future::new();
        let calls = Arc::new(AtomicUsize::new(0));
        let worker = {
            let fut = fut.clone();
            thread::spawn(move || {
                if fut.set_running_or_notify_cancel() == Ok(true) {
                    fut.set_result(1).unwrap();
                }
            })
        };
        let counted = Arc::clone(&calls);
        fut.add_done_callback(move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
        });
        let wake = Arc::new(CountingWake(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&wake));
        let mut awaiting = pin!((&fut).into_future());
        let first = awaiting.as_mut().poll(&mut Context::from_waker(&waker));
        worker.join().unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "the callback ran once");
        match first {
            Poll::Ready(result) => assert_eq!(result, Ok(&1)),
            Poll::Pending => assert_eq!(wake.0.load(Ordering::SeqCst), 1, "woken once"),
        }
    });
}

/// Cancelling against the worker's start and completion: the outcome is the
/// cancellation or the value, never both, never a change after the fact.
#[test]
fn cancel_against_start_and_completion() {
    loom::model(|| {
        let fut: Future<u8> = Future::new();
        let worker = {
            let fut = fut.clone();
            thread::spawn(move || {
                if fut.set_running_or_notify_cancel() == Ok(true) {
                    fut.set_result(5).unwrap();
                    true
                } else {
                    false
                }
            })
        };
        let cancelled = fut.cancel();
        let ran = worker.join().unwrap();
        assert_ne!(cancelled, ran);
        let expected = if ran { Ok(&5) } else { Err(Error::Cancelled) };
        assert_eq!(fut.result(), expected);
    });
}
