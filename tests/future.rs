//! `Future<T>`: CPython's test_future.py, plus the executor-implementer side
//! (`set_running_or_notify_cancel`, `set_result`, `set_exception`) and identity.

mod fixtures;

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use concurrent_futures::{Error, Future, FutureState, ThreadPoolExecutor};
use fixtures::*;
use parking_lot::Mutex;

fn panicked(message: &str) -> Error {
    Error::Panicked {
        message: message.into(),
    }
}

/// `<Future at 0x[0-9a-f]+ {rest}`, as CPython's test_repr checks with a regex.
fn assert_repr(fut_debug: &str, rest: &str) {
    let hex = fut_debug
        .strip_prefix("<Future at 0x")
        .unwrap_or_else(|| panic!("{fut_debug:?} does not start like Python's repr"));
    let digits = hex.chars().take_while(|c| c.is_ascii_hexdigit()).count();
    assert!(digits > 0, "{fut_debug:?} has no address");
    assert_eq!(&hex[digits..], rest, "in {fut_debug:?}");
}

// ---------------------------------------------------------------- the state machine

#[test]
fn a_new_future_is_pending() {
    let f: Future<u64> = Future::new();
    assert_eq!(f.state(), FutureState::Pending);
    assert!(!f.done() && !f.running() && !f.cancelled());
    let d: Future<u64> = Future::default();
    assert_eq!(d.state(), FutureState::Pending);
}

#[test]
fn cancel_is_true_while_pending_and_when_already_cancelled() {
    let f: Future<u64> = pending();
    assert!(f.cancel());
    assert_eq!(f.state(), FutureState::Cancelled);
    assert!(f.cancelled() && f.done() && !f.running());
    // Cancelling again still says "it is cancelled", and changes nothing.
    assert!(f.cancel());
    assert_eq!(f.state(), FutureState::Cancelled);
    assert_eq!(f.result(), Err(Error::Cancelled));
    assert_eq!(f.exception(), Err(Error::Cancelled));
}

#[test]
fn cancel_is_false_once_running_or_finished() {
    let r: Future<u64> = running();
    assert!(!r.cancel());
    assert_eq!(r.state(), FutureState::Running);
    assert!(r.running() && !r.done() && !r.cancelled());

    let ok = succeeded(5_u64);
    assert!(!ok.cancel());
    assert_eq!(ok.state(), FutureState::Finished);
    assert_eq!(ok.result(), Ok(&5));

    let err: Future<u64> = failed();
    assert!(!err.cancel());
    assert_eq!(err.state(), FutureState::Finished);
    assert!(!err.cancelled());
}

#[test]
fn done_running_cancelled_for_every_state() {
    // CPython's test_done, test_running and test_cancelled in one table.
    let table: Vec<(Future<u64>, bool, bool, bool)> = vec![
        // future, done, running, cancelled
        (pending(), false, false, false),
        (running(), false, true, false),
        (cancelled(), true, false, true),
        (failed(), true, false, false),
        (succeeded(42), true, false, false),
    ];
    for (f, done, is_running, is_cancelled) in table {
        assert_eq!(f.done(), done, "{f:?}");
        assert_eq!(f.running(), is_running, "{f:?}");
        assert_eq!(f.cancelled(), is_cancelled, "{f:?}");
    }
}

#[test]
fn result_with_a_zero_timeout_for_every_state() {
    // CPython's test_result_with_timeout (timeout=0).
    let zero = Duration::ZERO;
    assert_eq!(pending::<u64>().result_timeout(zero), Err(Error::Timeout));
    assert_eq!(running::<u64>().result_timeout(zero), Err(Error::Timeout));
    assert_eq!(
        cancelled::<u64>().result_timeout(zero),
        Err(Error::Cancelled)
    );
    assert_eq!(
        failed::<u64>().result_timeout(zero),
        Err(panicked("OSError"))
    );
    assert_eq!(succeeded(42_u64).result_timeout(zero), Ok(&42));
}

#[test]
fn exception_with_a_zero_timeout_for_every_state() {
    // CPython's test_exception_with_timeout.
    let zero = Duration::ZERO;
    assert_eq!(
        pending::<u64>().exception_timeout(zero),
        Err(Error::Timeout)
    );
    assert_eq!(
        running::<u64>().exception_timeout(zero),
        Err(Error::Timeout)
    );
    assert_eq!(
        cancelled::<u64>().exception_timeout(zero),
        Err(Error::Cancelled)
    );
    assert_eq!(
        failed::<u64>().exception_timeout(zero),
        Ok(Some(panicked("OSError")))
    );
    assert_eq!(succeeded(42_u64).exception_timeout(zero), Ok(None));
    assert_eq!(succeeded(42_u64).exception(), Ok(None));
}

#[test]
fn result_can_be_read_any_number_of_times_from_any_handle() {
    let f = succeeded(String::from("value"));
    let g = f.clone();
    let first: *const String = f.result().unwrap();
    for _ in 0..3 {
        assert!(std::ptr::eq(f.result().unwrap(), first));
        assert!(std::ptr::eq(g.result().unwrap(), first));
        assert_eq!(g.result_timeout(Duration::ZERO).unwrap(), "value");
    }
    let e: Future<String> = failed();
    for _ in 0..3 {
        assert_eq!(e.result(), Err(panicked("OSError")));
        assert_eq!(e.exception(), Ok(Some(panicked("OSError"))));
    }
}

#[test]
fn concurrent_readers_all_see_the_same_outcome() {
    // CPython's test_get_snapshot, concurrent part.
    let f = succeeded(100_u64);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..1000 {
                    assert!(f.done() && !f.cancelled());
                    assert_eq!(f.result(), Ok(&100));
                    assert_eq!(f.exception(), Ok(None));
                }
            });
        }
    });
}

#[test]
fn a_blocked_result_call_is_woken_by_set_result() {
    // CPython's test_result_with_success, without its sleep: the helper thread says it
    // is about to wait, and the test completes the future after hearing that.
    let f: Future<u64> = Future::new();
    let (tx, rx) = crossbeam_channel::unbounded();
    let waiter = {
        let f = f.clone();
        std::thread::spawn(move || {
            tx.send(()).unwrap();
            f.result_timeout(LONG).copied()
        })
    };
    recv(&rx);
    f.set_result(42).unwrap();
    assert_eq!(waiter.join().unwrap(), Ok(42));
}

#[test]
fn a_blocked_result_call_is_woken_by_cancel() {
    // CPython's test_result_with_cancel.
    let f: Future<u64> = Future::new();
    let (tx, rx) = crossbeam_channel::unbounded();
    let waiter = {
        let f = f.clone();
        std::thread::spawn(move || {
            tx.send(()).unwrap();
            f.result_timeout(LONG).copied()
        })
    };
    recv(&rx);
    assert!(f.cancel());
    assert_eq!(waiter.join().unwrap(), Err(Error::Cancelled));
}

#[test]
fn a_blocked_exception_call_is_woken_by_set_exception() {
    // CPython's test_exception_with_success.
    let f: Future<u64> = Future::new();
    let (tx, rx) = crossbeam_channel::unbounded();
    let waiter = {
        let f = f.clone();
        std::thread::spawn(move || {
            tx.send(()).unwrap();
            f.exception_timeout(LONG)
        })
    };
    recv(&rx);
    f.set_exception(panicked("OSError")).unwrap();
    assert_eq!(waiter.join().unwrap(), Ok(Some(panicked("OSError"))));
}

#[test]
fn result_timeout_leaves_the_task_running() {
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let gate = Gate::new();
    let (started_tx, started) = crossbeam_channel::unbounded();
    let handle = gate.handle();
    let f = pool
        .submit(move || {
            started_tx.send(()).unwrap();
            handle.pass();
            7_u64
        })
        .unwrap();
    recv(&started);
    assert_eq!(
        f.result_timeout(Duration::from_millis(20)),
        Err(Error::Timeout)
    );
    assert_eq!(
        f.exception_timeout(Duration::from_millis(1)),
        Err(Error::Timeout)
    );
    // The timeout did not cancel or disturb the task.
    assert_eq!(f.state(), FutureState::Running);
    assert!(!f.cancel(), "a running task cannot be cancelled");
    gate.open();
    assert_eq!(f.result_timeout(LONG), Ok(&7));
}

// ---------------------------------------------------------------- executor side

#[test]
fn set_running_or_notify_cancel_starts_a_pending_future() {
    let f: Future<u64> = Future::new();
    assert_eq!(f.set_running_or_notify_cancel(), Ok(true));
    assert_eq!(f.state(), FutureState::Running);
    f.set_result(1).unwrap();
    assert_eq!(f.result(), Ok(&1));
}

#[test]
fn set_running_or_notify_cancel_reports_a_cancelled_future() {
    let f: Future<u64> = cancelled();
    assert_eq!(f.set_running_or_notify_cancel(), Ok(false));
    assert_eq!(f.state(), FutureState::Cancelled);
    // Asking again is still just "it was cancelled".
    assert_eq!(f.set_running_or_notify_cancel(), Ok(false));
}

#[test]
fn starting_twice_or_after_finishing_is_an_invalid_state() {
    let r: Future<u64> = running();
    assert!(matches!(
        r.set_running_or_notify_cancel(),
        Err(Error::InvalidState(_))
    ));
    assert_eq!(r.state(), FutureState::Running);
    let done = succeeded(3_u64);
    assert!(matches!(
        done.set_running_or_notify_cancel(),
        Err(Error::InvalidState(_))
    ));
    assert_eq!(done.result(), Ok(&3));
}

#[test]
fn a_pending_future_may_be_finished_without_running() {
    // Executors fail queued work this way (a broken pool).
    let f: Future<u64> = Future::new();
    f.set_exception(Error::BrokenExecutor {
        reason: "gone".into(),
    })
    .unwrap();
    assert_eq!(f.state(), FutureState::Finished);
    assert!(matches!(
        f.exception(),
        Ok(Some(Error::BrokenExecutor { .. }))
    ));
}

#[test]
fn set_result_twice_is_refused_and_keeps_the_first() {
    // CPython's test_multiple_set_result: the error names the future's repr.
    let f: Future<u64> = Future::new();
    f.set_result(1).unwrap();
    match f.set_result(2) {
        Err(Error::InvalidState(message)) => {
            assert!(message.contains("<Future at 0x"), "{message}");
            assert!(
                message.contains("state=finished returned u64>"),
                "{message}"
            );
        }
        other => panic!("expected InvalidState, got {other:?}"),
    }
    assert!(f.done());
    assert_eq!(f.result(), Ok(&1));
}

#[test]
fn set_exception_twice_is_refused_and_keeps_the_first() {
    // CPython's test_multiple_set_exception.
    let f: Future<u64> = Future::new();
    f.set_exception(panicked("ValueError")).unwrap();
    match f.set_exception(panicked("Exception")) {
        Err(Error::InvalidState(message)) => {
            assert!(
                message.contains("state=finished raised Panicked>"),
                "{message}"
            )
        }
        other => panic!("expected InvalidState, got {other:?}"),
    }
    assert!(matches!(f.set_result(3), Err(Error::InvalidState(_))));
    assert_eq!(f.exception(), Ok(Some(panicked("ValueError"))));
}

#[test]
fn completing_a_cancelled_future_is_refused() {
    let f: Future<u64> = cancelled();
    assert!(matches!(f.set_result(1), Err(Error::InvalidState(_))));
    assert!(matches!(
        f.set_exception(panicked("late")),
        Err(Error::InvalidState(_))
    ));
    assert_eq!(f.state(), FutureState::Cancelled);
    assert_eq!(f.result(), Err(Error::Cancelled));
}

// ---------------------------------------------------------------- done callbacks

/// Records what callbacks saw.
type Log<T> = Arc<Mutex<Vec<T>>>;

fn recorder<T>() -> (Log<T>, Log<T>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    (Arc::clone(&log), log)
}

#[test]
fn done_callback_with_result() {
    let (log, seen) = recorder();
    let f: Future<u64> = Future::new();
    f.add_done_callback(move |f: &Future<u64>| log.lock().push(f.result().copied()));
    assert!(seen.lock().is_empty(), "ran before the future was done");
    f.set_result(5).unwrap();
    assert_eq!(*seen.lock(), vec![Ok(5)]);
}

#[test]
fn done_callback_with_exception() {
    let (log, seen) = recorder();
    let f: Future<u64> = Future::new();
    f.add_done_callback(move |f: &Future<u64>| log.lock().push(f.exception()));
    f.set_exception(panicked("test")).unwrap();
    assert_eq!(*seen.lock(), vec![Ok(Some(panicked("test")))]);
}

#[test]
fn done_callback_with_cancel() {
    let (log, seen) = recorder();
    let f: Future<u64> = Future::new();
    f.add_done_callback(move |f: &Future<u64>| log.lock().push(f.cancelled()));
    assert!(f.cancel());
    assert_eq!(*seen.lock(), vec![true]);
}

#[test]
fn done_callbacks_on_an_already_done_future_run_at_once_in_the_caller() {
    // CPython's test_done_callback_already_{successful,failed,cancelled}.
    let me = std::thread::current().id();
    for f in [succeeded(5_u64), failed(), cancelled()] {
        let (log, seen) = recorder();
        let expected = (f.result().copied(), f.cancelled());
        f.add_done_callback(move |f: &Future<u64>| {
            log.lock().push((
                std::thread::current().id(),
                f.result().copied(),
                f.cancelled(),
            ))
        });
        assert_eq!(*seen.lock(), vec![(me, expected.0, expected.1)]);
    }
}

#[test]
fn done_callbacks_run_in_order_exactly_once() {
    let (log, seen) = recorder();
    let f: Future<u64> = Future::new();
    for i in 0..5 {
        let log = Arc::clone(&log);
        f.add_done_callback(move |_: &Future<u64>| log.lock().push(i));
    }
    f.set_result(1).unwrap();
    // Neither a refused completion nor a cancel attempt runs them again.
    let _ = f.set_result(2);
    let _ = f.set_exception(panicked("again"));
    assert!(!f.cancel());
    assert_eq!(*seen.lock(), vec![0, 1, 2, 3, 4]);
}

#[test]
fn a_panicking_callback_is_caught_and_later_callbacks_still_run() {
    // CPython's test_done_callback_raises.
    let (log, seen) = recorder();
    let f: Future<u64> = Future::new();
    let first = Arc::clone(&log);
    f.add_done_callback(move |_: &Future<u64>| {
        first.lock().push("raising");
        panic!("doh!");
    });
    f.add_done_callback(move |_: &Future<u64>| log.lock().push("fn"));
    f.set_result(5).unwrap();
    assert_eq!(*seen.lock(), vec!["raising", "fn"]);
    assert_eq!(f.result(), Ok(&5));
}

#[test]
fn a_panicking_callback_on_a_done_future_does_not_reach_the_caller() {
    // CPython's test_done_callback_raises_already_succeeded.
    let f = succeeded(5_u64);
    let (log, seen) = recorder();
    f.add_done_callback(|_: &Future<u64>| panic!("doh!"));
    f.add_done_callback(move |_: &Future<u64>| log.lock().push(()));
    assert_eq!(seen.lock().len(), 1);
}

#[test]
fn callbacks_of_pool_tasks_run_in_the_worker_and_a_panic_there_spares_it() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(1)
        .thread_name_prefix("cbpool")
        .build()
        .unwrap();
    let gate = Gate::new();
    let handle = gate.handle();
    let f = pool
        .submit(move || {
            handle.pass();
            1_u64
        })
        .unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    f.add_done_callback(|_: &Future<u64>| panic!("callback fails"));
    let tx2 = tx.clone();
    f.add_done_callback(move |f: &Future<u64>| {
        tx2.send((thread_name(), f.result().copied())).unwrap()
    });
    gate.open();
    assert_eq!(recv(&rx), ("cbpool_0".to_string(), Ok(1)));
    // The only worker survived the panicking callback: it runs the next task.
    let next = pool.submit(thread_name).unwrap();
    assert_eq!(next.result_timeout(LONG).unwrap(), "cbpool_0");
}

// ---------------------------------------------------------------- identity and repr

fn hash_of<T: Hash>(value: &T) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

#[test]
fn clones_are_the_same_future_by_identity() {
    let a: Future<u64> = Future::new();
    let b: Future<u64> = Future::new();
    let a2 = a.clone();
    assert_eq!(a, a2);
    assert_ne!(a, b);
    assert_eq!(hash_of(&a), hash_of(&a2));
    // A clone sees what happens to the original: it is a handle, not a copy.
    a.set_result(9).unwrap();
    assert_eq!(a2.result(), Ok(&9));
    assert!(!b.done());
    // Equal values do not make equal futures.
    let c = succeeded(9_u64);
    assert_ne!(a, c);

    let set: HashSet<Future<u64>> = [a.clone(), a2.clone(), b.clone(), c.clone()]
        .into_iter()
        .collect();
    assert_eq!(set.len(), 3);
    let mut to_do_map: HashMap<Future<u64>, &str> = HashMap::new();
    to_do_map.insert(a.clone(), "a");
    to_do_map.insert(b.clone(), "b");
    assert_eq!(to_do_map[&a2], "a");
    assert_eq!(to_do_map.get(&c), None);
}

#[test]
fn futures_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + Clone + Eq + Hash + std::fmt::Debug>() {}
    assert_send_sync::<Future<u64>>();
    assert_send_sync::<Future<String>>();
    assert_send_sync::<Future<Vec<u8>>>();
}

#[test]
fn debug_is_shaped_like_pythons_repr() {
    // CPython's test_repr.
    assert_repr(&format!("{:?}", pending::<u64>()), " state=pending>");
    assert_repr(&format!("{:?}", running::<u64>()), " state=running>");
    assert_repr(&format!("{:?}", cancelled::<u64>()), " state=cancelled>");
    assert_repr(
        &format!("{:?}", failed::<u64>()),
        " state=finished raised Panicked>",
    );
    assert_repr(
        &format!("{:?}", succeeded(42_u64)),
        " state=finished returned u64>",
    );
    assert_repr(
        &format!("{:?}", succeeded(String::new())),
        " state=finished returned String>",
    );
    let broken: Future<u64> = Future::new();
    broken
        .set_exception(Error::BrokenExecutor { reason: "x".into() })
        .unwrap();
    assert_repr(
        &format!("{broken:?}"),
        " state=finished raised BrokenExecutor>",
    );

    // The address identifies the future: clones print the same, others differ.
    let f: Future<u64> = Future::new();
    let g: Future<u64> = Future::new();
    assert_eq!(format!("{f:?}"), format!("{:?}", f.clone()));
    assert_ne!(format!("{f:?}"), format!("{g:?}"));
}

#[test]
fn a_panicked_pool_task_reprs_as_raised_panicked() {
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let f = pool.submit(|| -> u64 { panic!("boom") }).unwrap();
    assert_eq!(f.result_timeout(LONG), Err(panicked("boom")));
    assert_repr(&format!("{f:?}"), " state=finished raised Panicked>");
    let ok = pool.submit(|| 1_u64).unwrap();
    ok.result_timeout(LONG).unwrap();
    assert_repr(&format!("{ok:?}"), " state=finished returned u64>");
}
