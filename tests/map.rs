//! `ThreadPoolExecutor::map` / `map_with`: CPython's executor.py map tests, the thread
//! pool's test_map_submits_without_iteration and test_executor_map_current_future_cancel,
//! gh-108518 (a failed item does not end the iteration) and 3.14's `buffersize`.

mod fixtures;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use concurrent_futures::{Error, MapOptions, ThreadPoolExecutor};
use fixtures::*;
use parking_lot::Mutex;

/// An endless input that counts how many items were pulled from it.
fn counted(pulled: &Arc<AtomicUsize>) -> impl Iterator<Item = u64> + Send + 'static {
    let pulled = Arc::clone(pulled);
    (0_u64..).inspect(move |_| {
        pulled.fetch_add(1, Ordering::SeqCst);
    })
}

#[test]
fn results_come_in_input_order() {
    // CPython's test_map (pow over two ranges -> a closure over pairs).
    let pool = ThreadPoolExecutor::with_max_workers(3).unwrap();
    let got: Vec<u64> = pool
        .map(|(b, e): (u64, u32)| b.pow(e), (0..10).zip(0..10))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let expected: Vec<u64> = (0_u64..10).zip(0_u32..10).map(|(b, e)| b.pow(e)).collect();
    assert_eq!(got, expected);
    // chunksize is accepted and ignored by the thread pool, as in Python.
    let chunked: Vec<u64> = pool
        .map_with(
            |(b, e): (u64, u32)| b.pow(e),
            (0..10).zip(0..10),
            MapOptions::new().chunksize(3),
        )
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(chunked, expected);
}

#[test]
fn results_come_in_input_order_even_when_tasks_finish_in_reverse() {
    let pool = ThreadPoolExecutor::with_max_workers(4).unwrap();
    let gates: Vec<Gate> = (0..4).map(|_| Gate::new()).collect();
    let (finished_tx, finished) = crossbeam_channel::unbounded();
    let items: Vec<_> = gates
        .iter()
        .enumerate()
        .map(|(i, g)| (i, g.handle(), finished_tx.clone()))
        .collect();
    let results = pool
        .map(
            |(i, gate, finished): (usize, GateHandle, crossbeam_channel::Sender<usize>)| {
                gate.pass();
                finished.send(i).unwrap();
                i * 10
            },
            items,
        )
        .unwrap();
    // Let them finish last-first, one at a time.
    for (i, gate) in gates.iter().enumerate().rev() {
        gate.open();
        assert_eq!(recv(&finished), i);
    }
    let got: Vec<usize> = results.map(Result::unwrap).collect();
    assert_eq!(got, [0, 10, 20, 30]);
}

#[test]
fn a_failed_item_yields_its_error_and_the_iteration_goes_on() {
    // CPython's test_map_exception (divmod by zero), and gh-108518: the items after
    // the failed one are still delivered.
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let mut results = pool
        .map(
            |(a, b): (u32, u32)| (a / b, a % b),
            [(1, 2), (1, 3), (1, 0), (1, 5)],
        )
        .unwrap();
    assert_eq!(results.next(), Some(Ok((0, 1))));
    assert_eq!(results.next(), Some(Ok((0, 1))));
    match results.next() {
        Some(Err(Error::Panicked { message })) => {
            assert!(message.contains("divide by zero"), "{message}")
        }
        other => panic!("expected the division by zero, got {other:?}"),
    }
    assert_eq!(results.next(), Some(Ok((0, 1))));
    assert_eq!(results.next(), None);
    assert_eq!(results.next(), None, "stays ended");
}

#[test]
fn every_item_is_submitted_before_map_returns() {
    // Issue 11777: all tasks start without the iterator being touched.
    let pool = ThreadPoolExecutor::with_max_workers(5).unwrap();
    let gate = Gate::new();
    let (started_tx, started) = crossbeam_channel::unbounded();
    let handle = gate.handle();
    let results = pool
        .map(
            move |i: usize| {
                started_tx.send(i).unwrap();
                handle.pass();
                i
            },
            0..5,
        )
        .unwrap();
    let mut seen = recv_n(&started, 5);
    seen.sort();
    assert_eq!(seen, [0, 1, 2, 3, 4]);
    gate.open();
    assert_eq!(results.map(Result::unwrap).sum::<usize>(), 10);
}

#[test]
fn map_submits_without_iteration_and_shutdown_waits_for_it() {
    // CPython's test_map_submits_without_iteration, with the iterator kept.
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let finished = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&finished);
    let results = pool.map(move |n: u32| log.lock().push(n), 0..10).unwrap();
    pool.shutdown(true, false);
    let mut got = finished.lock().clone();
    got.sort();
    assert_eq!(got, (0..10).collect::<Vec<_>>());
    drop(results);
}

#[test]
fn a_map_result_that_is_never_iterated_does_not_cancel_its_tasks() {
    // CPython's test_map_submits_without_iteration as written: the result of `map` is
    // thrown away unused. Python's generator never started, so it cancels nothing.
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let finished = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&finished);
    let gate = Gate::new();
    let handle = gate.handle();
    let blocker = pool.submit(move || handle.pass()).unwrap();
    drop(pool.map(move |n: u32| log.lock().push(n), 0..10).unwrap());
    gate.open();
    blocker.result_timeout(LONG).unwrap();
    pool.shutdown(true, false);
    let mut got = finished.lock().clone();
    got.sort();
    assert_eq!(got, (0..10).collect::<Vec<_>>());
}

#[test]
fn dropping_a_started_iterator_cancels_the_items_not_yet_started() {
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let gate = Gate::new();
    let (started_tx, started) = crossbeam_channel::unbounded();
    let handle = gate.handle();
    let mut results = pool
        .map(
            move |i: u32| {
                started_tx.send(i).unwrap();
                if i == 1 {
                    handle.pass();
                }
                i
            },
            0..10,
        )
        .unwrap();
    assert_eq!(results.next(), Some(Ok(0)));
    assert_eq!(recv_n(&started, 2), [0, 1]);
    // Item 1 holds the only worker; items 2..10 are queued and get cancelled.
    drop(results);
    gate.open();
    pool.shutdown(true, false);
    let ran: Vec<u32> = started.try_iter().collect();
    assert!(ran.is_empty(), "cancelled items ran: {ran:?}");
}

#[test]
fn a_timeout_yields_err_timeout_then_ends_and_cancels_the_rest() {
    // CPython's test_map_timeout: [0, 0, 6] with timeout=5 gives [None, None] and
    // then TimeoutError. The third item is held by a gate instead of a sleep.
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let gate = Gate::new();
    let handle = gate.handle();
    let called = Instant::now();
    let timeout = Duration::from_millis(500);
    let results: Vec<Result<u32, Error>> = pool
        .map_with(
            move |i: u32| {
                if i == 2 {
                    handle.pass();
                }
                i
            },
            [0, 1, 2, 3],
            MapOptions::new().timeout(timeout),
        )
        .unwrap()
        .collect();
    assert!(called.elapsed() >= timeout, "gave up before the deadline");
    // On a machine too loaded to finish items 0 and 1 within the timeout the Err comes
    // sooner; either way: Oks in order, exactly one Err(Timeout), then the end.
    let (last, before) = results.split_last().unwrap();
    assert_eq!(last, &Err(Error::Timeout), "{results:?}");
    assert!(before.len() <= 2, "{results:?}");
    for (i, r) in before.iter().enumerate() {
        assert_eq!(r, &Ok(i as u32));
    }
    gate.open();
}

#[test]
fn the_timeout_counts_from_the_call_not_from_each_next() {
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let gate = Gate::new();
    let handle = gate.handle();
    let timeout = Duration::from_secs(2);
    let called = Instant::now();
    let mut results = pool
        .map_with(
            move |i: u32| {
                handle.pass();
                i
            },
            [0, 1],
            MapOptions::new().timeout(timeout),
        )
        .unwrap();
    // Let the whole timeout pass before asking (this sleep only lets time go by).
    while called.elapsed() < timeout {
        std::thread::sleep(timeout - called.elapsed());
    }
    let asked = Instant::now();
    assert_eq!(results.next(), Some(Err(Error::Timeout)));
    // Counted from `next`, it would have waited another full timeout.
    assert!(
        asked.elapsed() < timeout,
        "the deadline restarted at next()"
    );
    assert_eq!(results.next(), None);
    gate.open();
}

#[test]
fn a_timeout_cancels_the_current_and_the_remaining_items() {
    // CPython's test_executor_map_current_future_cancel.
    let log = Arc::new(Mutex::new(Vec::new()));
    let stop = Gate::new();
    let log_n_wait = {
        let (log, stop) = (Arc::clone(&log), stop.handle());
        move |ident: &'static str| {
            log.lock().push(format!("{ident} started"));
            stop.pass();
            log.lock().push(format!("{ident} stopped"));
        }
    };
    {
        let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
        let first_fn = log_n_wait.clone();
        let fut = pool.submit(move || first_fn("first")).unwrap();
        let mut gen = pool
            .map_with(
                log_n_wait,
                ["second", "third"],
                MapOptions::new().timeout(Duration::ZERO),
            )
            .unwrap();
        assert_eq!(gen.next(), Some(Err(Error::Timeout)));
        drop(gen);
        stop.open();
        fut.result_timeout(LONG).unwrap();
    }
    assert_eq!(*log.lock(), ["first started", "first stopped"]);
}

#[test]
fn buffersize_gives_the_same_results() {
    // CPython 3.14's test_map_buffersize and test_map_buffersize_on_empty_iterable.
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    for buffersize in [1, 2, 4, 8] {
        let got: Vec<String> = pool
            .map_with(
                |n: u32| n.to_string(),
                0..4,
                MapOptions::new().buffersize(buffersize),
            )
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(got, ["0", "1", "2", "3"], "buffersize {buffersize}");
    }
    let empty: Vec<_> = pool
        .map_with(|n: u32| n, Vec::new(), MapOptions::new().buffersize(2))
        .unwrap()
        .collect();
    assert!(empty.is_empty());
}

#[test]
fn buffersize_must_be_at_least_one() {
    // CPython's test_map_buffersize_validation (ValueError for 0).
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let ran = Counter::new();
    let bump = ran.clone();
    assert!(matches!(
        pool.map_with(
            move |_: u8| bump.bump(),
            0..3,
            MapOptions::new().buffersize(0)
        ),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        pool.map_with(|n: u8| n, 0..3, MapOptions::new().chunksize(0)),
        Err(Error::InvalidArgument(_))
    ));
    pool.shutdown(true, false);
    assert_eq!(
        ran.get(),
        0,
        "nothing is submitted when the options are invalid"
    );
}

#[test]
fn buffersize_makes_an_infinite_input_work() {
    // CPython's test_map_buffersize_on_infinite_iterable.
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let pulled = Arc::new(AtomicUsize::new(0));
    let mut res = pool
        .map_with(
            |n: u64| n.to_string(),
            counted(&pulled),
            MapOptions::new().buffersize(2),
        )
        .unwrap();
    assert_eq!(res.next(), Some(Ok("0".to_string())));
    assert_eq!(res.next(), Some(Ok("1".to_string())));
    assert_eq!(res.next(), Some(Ok("2".to_string())));
    for k in 3..200 {
        assert_eq!(res.next(), Some(Ok(k.to_string())));
        // Bounded: never more than `buffersize` items beyond those consumed.
        assert!(pulled.load(Ordering::SeqCst) <= k + 1 + 2);
    }
}

#[test]
fn buffersize_pulls_only_buffersize_items_until_results_are_consumed() {
    // CPython's test_map_buffersize_when_buffer_is_full.
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let pulled = Arc::new(AtomicUsize::new(0));
    let results = pool
        .map_with(
            |n: u64| n,
            counted(&pulled),
            MapOptions::new().buffersize(2),
        )
        .unwrap();
    pool.shutdown(true, false); // wait for the submitted tasks to complete
    assert_eq!(pulled.load(Ordering::SeqCst), 2);
    drop(results);
}

#[test]
fn buffersize_bounds_the_tasks_in_flight() {
    // Eight idle-able workers, but only three items may be submitted at a time.
    let pool = ThreadPoolExecutor::with_max_workers(8).unwrap();
    let gate = Gate::new();
    let (started_tx, started) = crossbeam_channel::unbounded();
    let handle = gate.handle();
    let results = pool
        .map_with(
            move |n: u64| {
                started_tx.send(n).unwrap();
                handle.pass();
                n
            },
            0..300,
            MapOptions::new().buffersize(3),
        )
        .unwrap();
    let mut first = recv_n(&started, 3);
    first.sort();
    assert_eq!(first, [0, 1, 2]);
    assert!(stays_quiet(&started), "a fourth item started");
    gate.open();
    let got: Vec<u64> = results.map(Result::unwrap).collect();
    assert_eq!(got, (0..300).collect::<Vec<_>>());
}

#[test]
fn dropping_a_buffered_map_stops_pulling_input() {
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let pulled = Arc::new(AtomicUsize::new(0));
    let mut results = pool
        .map_with(
            |n: u64| n,
            counted(&pulled),
            MapOptions::new().buffersize(4),
        )
        .unwrap();
    assert_eq!(results.next(), Some(Ok(0)));
    drop(results);
    let after_drop = pulled.load(Ordering::SeqCst);
    pool.shutdown(true, false);
    assert_eq!(pulled.load(Ordering::SeqCst), after_drop);
    assert!(after_drop <= 1 + 4 + 1);
}

#[test]
fn map_on_a_shut_down_pool_is_refused() {
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    pool.shutdown(false, false);
    assert!(matches!(pool.map(|n: u8| n, 0..1), Err(Error::Shutdown)));
    assert!(matches!(
        pool.map_with(|n: u8| n, 0.., MapOptions::new().buffersize(1)),
        Err(Error::Shutdown)
    ));
}

#[test]
fn a_buffered_map_outliving_its_pools_shutdown_reports_it_at_the_end() {
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let mut results = pool
        .map_with(|n: u64| n, 0..10, MapOptions::new().buffersize(2))
        .unwrap();
    assert_eq!(results.next(), Some(Ok(0)));
    pool.shutdown(true, false);
    let rest: Vec<_> = results.collect();
    // What was already submitted is delivered, then the refusal, then the end.
    let (last, delivered) = rest.split_last().unwrap();
    assert_eq!(last, &Err(Error::Shutdown));
    for (i, r) in delivered.iter().enumerate() {
        assert_eq!(r, &Ok(i as u64 + 1));
    }
}

#[test]
fn map_shutdown_race_issue12456() {
    // CPython's test_shutdown_race_issue12456: map more items than workers, then
    // shut down at once; nothing hangs.
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let results = pool.map(|n: u32| n.to_string(), vec![2; 3]).unwrap();
    pool.shutdown(true, false);
    let got: Vec<String> = results.map(Result::unwrap).collect();
    assert_eq!(got, ["2", "2", "2"]);
}
