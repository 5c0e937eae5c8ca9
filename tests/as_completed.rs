//! `as_completed` and `as_completed_timeout`: CPython's test_as_completed.py, plus
//! completion order, futures from several pools and futures completed by hand.

mod fixtures;

use std::collections::HashSet;
use std::time::Duration;

use concurrent_futures::{as_completed, as_completed_timeout, Error, Future, ThreadPoolExecutor};
use fixtures::*;

#[test]
fn yields_every_future_once_with_no_timeout() {
    // CPython's test_no_timeout.
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let future1 = pool.submit(|| 2 * 21_u64).unwrap();
    let future2 = pool.submit(|| 7 * 6_u64).unwrap();
    let (c, e, s) = (cancelled(), failed(), succeeded(42_u64));
    let all = [c, e, s, future1, future2];
    let yielded: Vec<Future<u64>> = as_completed(&all).collect();
    assert_eq!(yielded.len(), 5);
    let yielded: HashSet<_> = yielded.into_iter().collect();
    assert_eq!(yielded, all.iter().cloned().collect::<HashSet<_>>());
    assert!(all.iter().all(Future::done));
}

#[test]
fn yields_in_completion_order() {
    let pool = ThreadPoolExecutor::with_max_workers(3).unwrap();
    let gates: Vec<Gate> = (0..3).map(|_| Gate::new()).collect();
    let futures: Vec<Future<usize>> = gates
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let handle = g.handle();
            pool.submit(move || {
                handle.pass();
                i
            })
            .unwrap()
        })
        .collect();
    let mut it = as_completed(&futures);
    for i in [2, 0, 1] {
        gates[i].open();
        let next = it.next().expect("a future");
        assert_eq!(next, futures[i]);
        assert_eq!(next.result(), Ok(&i));
    }
    assert!(it.next().is_none());
}

#[test]
fn futures_done_before_the_call_come_first() {
    let gate = Gate::new();
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let handle = gate.handle();
    let later = pool
        .submit(move || {
            handle.pass();
            0_u64
        })
        .unwrap();
    let early = [succeeded(1_u64), failed(), cancelled()];
    let all = [
        later.clone(),
        early[0].clone(),
        early[1].clone(),
        early[2].clone(),
    ];
    let mut it = as_completed(&all);
    let first_three: HashSet<Future<u64>> = it.by_ref().take(3).collect();
    assert_eq!(first_three, early.iter().cloned().collect::<HashSet<_>>());
    gate.open();
    assert_eq!(it.next(), Some(later));
    assert_eq!(it.next(), None);
}

#[test]
fn a_timeout_yields_the_done_futures_then_err_timeout() {
    // CPython's test_future_times_out, for timeouts 0 and 0.1 s.
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let already_completed: HashSet<Future<u64>> =
        [cancelled(), failed(), succeeded(42)].into_iter().collect();
    for timeout in [Duration::ZERO, Duration::from_millis(100)] {
        let gate = Gate::new();
        let handle = gate.handle();
        let future = pool
            .submit(move || {
                handle.pass();
                7_u64
            })
            .unwrap();
        let mut all: Vec<Future<u64>> = already_completed.iter().cloned().collect();
        all.push(future.clone());
        let mut completed = HashSet::new();
        let mut timed_out = 0;
        let mut it = as_completed_timeout(&all, timeout);
        for r in it.by_ref() {
            match r {
                Ok(f) => assert!(completed.insert(f), "yielded twice"),
                Err(Error::Timeout) => timed_out += 1,
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(timed_out, 1);
        assert_eq!(
            completed, already_completed,
            "the blocked future was yielded"
        );
        assert!(it.next().is_none(), "the iterator ends after the timeout");
        // The future not yielded was not disturbed: it goes on and completes.
        assert!(!future.cancelled());
        gate.open();
        assert_eq!(future.result_timeout(LONG), Ok(&7));
    }
}

#[test]
fn as_completed_timeout_without_running_out_of_time_is_all_ok() {
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let futures: Vec<_> = (0..10_u64)
        .map(|i| pool.submit(move || i).unwrap())
        .collect();
    let yielded: Vec<Future<u64>> = as_completed_timeout(&futures, LONG)
        .map(Result::unwrap)
        .collect();
    assert_eq!(yielded.len(), 10);
    let empty: Vec<Future<u64>> = Vec::new();
    assert_eq!(as_completed_timeout(&empty, Duration::ZERO).count(), 0);
    assert_eq!(as_completed(&empty).count(), 0);
}

#[test]
fn duplicate_futures_are_yielded_once() {
    // CPython's test_duplicate_futures (issue 20367), over an arbitrary iterable.
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let gate = Gate::new();
    let handle = gate.handle();
    let future1 = pool
        .submit(move || {
            handle.pass();
            1_u8
        })
        .unwrap();
    let clone = future1.clone();
    gate.open();
    let completed: Vec<_> =
        as_completed(std::iter::repeat_n(&future1, 3).chain(std::iter::once(&clone))).collect();
    assert_eq!(completed, vec![future1]);
}

#[test]
fn futures_completed_by_hand_from_another_thread() {
    // Futures from Future::new(), completed one at a time, each only after the
    // previous one was yielded: the order must be exactly the completion order.
    let futures: Vec<Future<u32>> = (0..5).map(|_| Future::new()).collect();
    let order = [3, 1, 4, 0, 2];
    let (yielded_tx, yielded) = crossbeam_channel::unbounded::<()>();
    let completer = {
        let futures = futures.clone();
        std::thread::spawn(move || {
            for (n, &i) in order.iter().enumerate() {
                if n % 2 == 0 {
                    futures[i].set_result(i as u32).unwrap();
                } else {
                    assert!(futures[i].cancel());
                }
                recv(&yielded);
            }
        })
    };
    let mut got = Vec::new();
    for fut in as_completed(&futures) {
        got.push(futures.iter().position(|f| *f == fut).unwrap());
        yielded_tx.send(()).unwrap();
    }
    completer.join().unwrap();
    assert_eq!(got, order);
}

#[test]
fn futures_from_two_pools_and_by_hand_mix() {
    let a = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let b = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let gate = Gate::new();
    let handle = gate.handle();
    let from_a = a
        .submit(move || {
            handle.pass();
            "a"
        })
        .unwrap();
    let from_b = b.submit(|| "b").unwrap();
    let by_hand: Future<&'static str> = Future::new();
    let all = vec![from_a.clone(), from_b.clone(), by_hand.clone()];
    let mut it = as_completed_timeout(&all, LONG);
    assert_eq!(it.next(), Some(Ok(from_b)));
    by_hand.set_result("hand").unwrap();
    assert_eq!(it.next(), Some(Ok(by_hand)));
    gate.open();
    assert_eq!(it.next(), Some(Ok(from_a)));
    assert_eq!(it.next(), None);
}

#[test]
fn the_book_to_do_map_idiom_with_hash_map_keys() {
    use std::collections::HashMap;
    let pool = ThreadPoolExecutor::with_max_workers(3).unwrap();
    let mut to_do_map: HashMap<Future<usize>, &str> = HashMap::new();
    for cc in ["BR", "CN", "ID", "IN", "US"] {
        to_do_map.insert(pool.submit(move || cc.len()).unwrap(), cc);
    }
    let mut seen: Vec<&str> = Vec::new();
    for fut in as_completed(to_do_map.keys()) {
        assert_eq!(fut.result(), Ok(&2));
        seen.push(to_do_map[&fut]);
    }
    seen.sort();
    assert_eq!(seen, ["BR", "CN", "ID", "IN", "US"]);
}

#[test]
fn many_futures_each_yielded_exactly_once() {
    let pool = ThreadPoolExecutor::with_max_workers(4).unwrap();
    let futures: Vec<_> = (0..2000_u32)
        .map(|i| pool.submit(move || i).unwrap())
        .collect();
    let mut seen = vec![false; futures.len()];
    let it = as_completed(&futures);
    assert_eq!(it.size_hint(), (2000, Some(2000)));
    for fut in it {
        let i = *fut.result().unwrap() as usize;
        assert!(!seen[i], "{i} yielded twice");
        seen[i] = true;
    }
    assert!(seen.iter().all(|&s| s));
}

#[test]
fn an_iterator_dropped_early_lets_go_of_its_futures() {
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let gate = Gate::new();
    let handle = gate.handle();
    let slow = pool
        .submit(move || {
            handle.pass();
            1
        })
        .unwrap();
    let quick = succeeded(2);
    {
        let mut it = as_completed([&slow, &quick]);
        assert_eq!(it.next(), Some(quick.clone()));
    } // dropped while still watching `slow`
    gate.open();
    assert_eq!(slow.result_timeout(LONG), Ok(&1));
    // A fresh call still sees it.
    assert_eq!(as_completed([&slow]).next(), Some(slow.clone()));
}

#[test]
fn a_yielded_future_is_not_kept_alive_by_the_iterator() {
    // CPython's test_free_reference_yielded_future (issue 14406): once yielded, the
    // iterator lets go of a future, so its result is freed when the caller drops it,
    // not when the whole iteration ends.
    struct Signal(crossbeam_channel::Sender<()>);
    impl Drop for Signal {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let (dropped_tx, dropped) = crossbeam_channel::unbounded();
    let quick = pool.submit(move || Signal(dropped_tx)).unwrap();
    let gate = Gate::new();
    let handle = gate.handle();
    let slow = pool
        .submit(move || {
            handle.pass();
            let (tx, _) = crossbeam_channel::unbounded();
            Signal(tx)
        })
        .unwrap();
    let futures = vec![quick, slow];
    let mut it = as_completed(&futures);
    drop(futures);
    let yielded = it.next().expect("the quick one");
    drop(yielded);
    // The slow future is still pending and the iterator still alive, yet the quick
    // one's result is gone (the worker drops its own handle right after completing).
    recv(&dropped);
    gate.open();
    assert!(it.next().is_some());
}
