//! `wait` with `ReturnWhen::{FirstCompleted, FirstException, AllCompleted}`: CPython's
//! test_wait.py, plus futures from several pools and futures completed by hand.
//!
//! One difference from Python, by design: `cancel()` tells waiters at once (Python
//! waits for the executor's `set_running_or_notify_cancel`), so a cancelled future is
//! always "done" here, where CPython's tests put a `CANCELLED_FUTURE` in `not_done`.

mod fixtures;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use concurrent_futures::{wait, DoneAndNotDone, Future, ReturnWhen, ThreadPoolExecutor};
use fixtures::*;

fn set<T>(futures: &[&Future<T>]) -> HashSet<Future<T>> {
    futures.iter().map(|&f| f.clone()).collect()
}

/// A pool task that blocks on `gate`, then returns `value`.
fn gated(pool: &ThreadPoolExecutor, gate: &Gate, value: u64) -> Future<u64> {
    let handle = gate.handle();
    pool.submit(move || {
        handle.pass();
        value
    })
    .unwrap()
}

#[test]
fn duplicates_collapse_issue_20369() {
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let future = pool.submit(|| 2_u64).unwrap();
    let DoneAndNotDone { done, not_done } =
        wait([&future, &future], None, ReturnWhen::AllCompleted);
    assert_eq!(done, set(&[&future]));
    assert!(not_done.is_empty());
}

#[test]
fn first_completed() {
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let gate = Gate::new();
    let future1 = pool.submit(|| 21 * 2_u64).unwrap();
    let future2 = gated(&pool, &gate, 0);
    let DoneAndNotDone { done, not_done } =
        wait([&future1, &future2], Some(LONG), ReturnWhen::FirstCompleted);
    assert_eq!(done, set(&[&future1]));
    assert_eq!(not_done, set(&[&future2]));
    gate.open();
    future2.result_timeout(LONG).unwrap();
}

#[test]
fn first_completed_counts_a_cancelled_future() {
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let gate = Gate::new();
    let c = cancelled();
    let blocked = gated(&pool, &gate, 0);
    let DoneAndNotDone { done, not_done } =
        wait([&c, &blocked], Some(LONG), ReturnWhen::FirstCompleted);
    assert_eq!(done, set(&[&c]));
    assert_eq!(not_done, set(&[&blocked]));
}

#[test]
fn first_completed_some_already_completed() {
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let gate = Gate::new();
    let future1 = gated(&pool, &gate, 0);
    let (c, s) = (cancelled(), succeeded(42));
    let DoneAndNotDone { done, not_done } =
        wait([&c, &s, &future1], Some(LONG), ReturnWhen::FirstCompleted);
    assert_eq!(done, set(&[&c, &s]));
    assert_eq!(not_done, set(&[&future1]));
    gate.open();
    future1.result_timeout(LONG).unwrap();
}

#[test]
fn first_completed_wakes_for_a_future_completed_later() {
    let a: Future<u64> = Future::new();
    let b: Future<u64> = Future::new();
    let (tx, rx) = crossbeam_channel::unbounded();
    let waiter = {
        let (a, b) = (a.clone(), b.clone());
        std::thread::spawn(move || {
            tx.send(()).unwrap();
            wait([&a, &b], Some(LONG), ReturnWhen::FirstCompleted)
        })
    };
    recv(&rx);
    b.set_result(2).unwrap();
    let DoneAndNotDone { done, not_done } = waiter.join().unwrap();
    assert_eq!(done, set(&[&b]));
    assert_eq!(not_done, set(&[&a]));
}

#[test]
fn first_exception() {
    // future2 fails only after future1 has finished; future3 never finishes in time.
    let pool = ThreadPoolExecutor::with_max_workers(3).unwrap();
    let gate = Gate::new();
    let future1 = pool.submit(|| 2 * 21_u64).unwrap();
    let f1 = future1.clone();
    let future2 = pool
        .submit(move || -> u64 {
            f1.result_timeout(LONG).unwrap();
            panic!("this is an exception")
        })
        .unwrap();
    let future3 = gated(&pool, &gate, 3);
    let DoneAndNotDone { done, not_done } = wait(
        [&future1, &future2, &future3],
        Some(LONG),
        ReturnWhen::FirstException,
    );
    assert_eq!(done, set(&[&future1, &future2]));
    assert_eq!(not_done, set(&[&future3]));
    gate.open();
    future3.result_timeout(LONG).unwrap();
}

#[test]
fn first_exception_some_already_complete() {
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let gate = Gate::new();
    let future1 = pool
        .submit(|| {
            let zero = std::hint::black_box(0_u64);
            21 / zero
        })
        .unwrap();
    let future2 = gated(&pool, &gate, 0);
    let (s, c) = (succeeded(42), cancelled());
    let DoneAndNotDone { done, not_done } = wait(
        [&s, &c, &future1, &future2],
        Some(LONG),
        ReturnWhen::FirstException,
    );
    assert_eq!(done, set(&[&s, &c, &future1]));
    assert_eq!(not_done, set(&[&future2]));
    gate.open();
    future2.result_timeout(LONG).unwrap();
}

#[test]
fn first_exception_one_already_failed() {
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let gate = Gate::new();
    let future1 = gated(&pool, &gate, 0);
    let e = failed();
    let DoneAndNotDone { done, not_done } =
        wait([&e, &future1], Some(LONG), ReturnWhen::FirstException);
    assert_eq!(done, set(&[&e]));
    assert_eq!(not_done, set(&[&future1]));
    gate.open();
    future1.result_timeout(LONG).unwrap();
}

#[test]
fn first_exception_with_no_failure_waits_for_all() {
    // A cancellation is not an exception, and neither is a result: with nothing
    // failing, FirstException is AllCompleted.
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let gate = Arc::new(Gate::new());
    let (started_tx, started) = crossbeam_channel::unbounded();
    let handle = gate.handle();
    let quick = pool.submit(|| 1_u64).unwrap();
    let slow = pool
        .submit(move || {
            started_tx.send(()).unwrap();
            handle.pass();
            2_u64
        })
        .unwrap();
    let c = cancelled();
    let opener = {
        let (gate, quick) = (Arc::clone(&gate), quick.clone());
        std::thread::spawn(move || {
            recv(&started);
            quick.result_timeout(LONG).unwrap();
            gate.open();
        })
    };
    let DoneAndNotDone { done, not_done } =
        wait([&c, &quick, &slow], Some(LONG), ReturnWhen::FirstException);
    assert_eq!(done, set(&[&c, &quick, &slow]));
    assert!(not_done.is_empty());
    opener.join().unwrap();
}

#[test]
fn a_panicked_task_counts_as_an_exception() {
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let gate = Gate::new();
    let blocked = gated(&pool, &gate, 0);
    let panics = pool.submit(|| -> u64 { panic!("boom") }).unwrap();
    let DoneAndNotDone { done, not_done } =
        wait([&blocked, &panics], Some(LONG), ReturnWhen::FirstException);
    assert_eq!(done, set(&[&panics]));
    assert_eq!(not_done, set(&[&blocked]));
}

#[test]
fn all_completed() {
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let future1 = pool
        .submit(|| {
            let zero = std::hint::black_box(0_u64);
            2 / zero
        })
        .unwrap();
    let future2 = pool.submit(|| 2 * 21_u64).unwrap();
    let (s, c, e) = (succeeded(42), cancelled(), failed());
    let all = [&s, &c, &e, &future1, &future2];
    let DoneAndNotDone { done, not_done } = wait(all, None, ReturnWhen::AllCompleted);
    assert_eq!(done, set(&all));
    assert!(not_done.is_empty());
    assert_eq!(ReturnWhen::default(), ReturnWhen::AllCompleted);
}

#[test]
fn a_timeout_returns_the_partial_split_without_an_error() {
    // CPython's test_timeout.
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let gate = Gate::new();
    let future = gated(&pool, &gate, 0);
    let (c, e, s) = (cancelled(), failed(), succeeded(42));
    for return_when in [
        ReturnWhen::AllCompleted,
        ReturnWhen::FirstException,
        ReturnWhen::FirstCompleted,
    ] {
        let DoneAndNotDone { done, not_done } = wait(
            [&c, &e, &s, &future],
            Some(Duration::from_millis(50)),
            return_when,
        );
        assert_eq!(done, set(&[&c, &e, &s]), "{return_when:?}");
        assert_eq!(not_done, set(&[&future]), "{return_when:?}");
    }
    // Nothing done at all, zero timeout.
    let DoneAndNotDone { done, not_done } =
        wait([&future], Some(Duration::ZERO), ReturnWhen::FirstCompleted);
    assert!(done.is_empty());
    assert_eq!(not_done, set(&[&future]));
    gate.open();
    future.result_timeout(LONG).unwrap();
}

#[test]
fn pending_calls_race_issue_14406() {
    // 100 tasks released together, waited on all at once.
    let pool = ThreadPoolExecutor::with_max_workers(4).unwrap();
    let gate = Gate::new();
    let fs: HashSet<Future<u64>> = (0..100).map(|i| gated(&pool, &gate, i)).collect();
    gate.open();
    let DoneAndNotDone { done, not_done } = wait(&fs, Some(LONG), ReturnWhen::AllCompleted);
    assert_eq!(done.len(), 100);
    assert!(not_done.is_empty());
}

#[test]
fn waiting_on_nothing_returns_at_once() {
    let none: Vec<Future<u8>> = Vec::new();
    for return_when in [
        ReturnWhen::AllCompleted,
        ReturnWhen::FirstException,
        ReturnWhen::FirstCompleted,
    ] {
        let DoneAndNotDone { done, not_done } = wait(&none, None, return_when);
        assert!(done.is_empty() && not_done.is_empty());
    }
}

#[test]
fn futures_from_two_pools_and_by_hand_mix() {
    let a = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let b = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let gate = Gate::new();
    let from_a = gated(&a, &gate, 1);
    let from_b = b.submit(|| 2_u64).unwrap();
    let by_hand: Future<u64> = Future::new();
    let all = [&from_a, &from_b, &by_hand];
    let DoneAndNotDone { done, not_done } = wait(all, Some(LONG), ReturnWhen::FirstCompleted);
    assert_eq!(done, set(&[&from_b]));
    assert_eq!(not_done, set(&[&from_a, &by_hand]));

    let completer = {
        let by_hand = by_hand.clone();
        std::thread::spawn(move || by_hand.set_result(3).unwrap())
    };
    gate.open();
    let DoneAndNotDone { done, not_done } = wait(all, Some(LONG), ReturnWhen::AllCompleted);
    assert_eq!(done, set(&all));
    assert!(not_done.is_empty());
    completer.join().unwrap();
}

#[test]
fn wait_over_hash_map_keys() {
    use std::collections::HashMap;
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let to_do_map: HashMap<Future<u64>, u64> = (0..5)
        .map(|i| (pool.submit(move || i * i).unwrap(), i))
        .collect();
    let DoneAndNotDone { done, not_done } =
        wait(to_do_map.keys(), Some(LONG), ReturnWhen::AllCompleted);
    assert!(not_done.is_empty());
    for f in &done {
        let i = to_do_map[f];
        assert_eq!(f.result(), Ok(&(i * i)));
    }
}
