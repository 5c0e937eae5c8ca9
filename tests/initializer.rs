//! Worker initializers: CPython's test_init.py for the thread pool.

mod fixtures;

use std::cell::Cell;

use concurrent_futures::{Error, FutureState, MapOptions, ThreadPoolExecutor};
use fixtures::*;

thread_local! {
    static INITIALIZED: Cell<&'static str> = const { Cell::new("uninitialized") };
}

fn init_status() -> &'static str {
    INITIALIZED.with(Cell::get)
}

#[test]
fn the_initializer_runs_once_in_each_worker_before_its_tasks() {
    // CPython's InitializerMixin.test_initializer, with both workers forced to start
    // (every task blocks until all have started).
    let runs = Counter::new();
    let bump = runs.clone();
    let pool = ThreadPoolExecutor::builder()
        .max_workers(2)
        .initializer(move || {
            bump.bump();
            INITIALIZED.with(|s| s.set("initialized"));
        })
        .build()
        .unwrap();
    let gate = Gate::new();
    let (names_tx, names) = crossbeam_channel::unbounded();
    let futures: Vec<_> = (0..6)
        .map(|_| {
            let handle = gate.handle();
            let names_tx = names_tx.clone();
            pool.submit(move || {
                names_tx.send(thread_name()).unwrap();
                handle.pass();
                init_status()
            })
            .unwrap()
        })
        .collect();
    let mut two = recv_n(&names, 2);
    two.sort();
    two.dedup();
    assert_eq!(two.len(), 2, "both workers run tasks");
    gate.open();
    for f in &futures {
        assert_eq!(f.result_timeout(LONG), Ok(&"initialized"));
    }
    drop(pool);
    assert_eq!(runs.get(), 2, "once per worker thread, not per task");
    // The test thread itself was never initialized.
    assert_eq!(init_status(), "uninitialized");
}

/// A pool whose initializer panics once the test opens `gate`; with one worker.
fn failing_pool(gate: &Gate) -> ThreadPoolExecutor {
    let handle = gate.handle();
    ThreadPoolExecutor::builder()
        .max_workers(1)
        .initializer(move || {
            handle.pass();
            panic!("error in initializer");
        })
        .build()
        .unwrap()
}

#[test]
fn a_panicking_initializer_breaks_the_pool() {
    // CPython's FailingInitializerMixin.test_initializer.
    let gate = Gate::new();
    let pool = failing_pool(&gate);
    // The thread starts on the first submit and blocks in its initializer, so these
    // are all queued when it fails.
    let futures: Vec<_> = (0..5).map(|i| pool.submit(move || i).unwrap()).collect();
    assert!(futures.iter().all(|f| f.state() == FutureState::Pending));
    gate.open();
    for f in &futures {
        match f.result_timeout(LONG) {
            Err(Error::BrokenExecutor { reason }) => {
                assert!(reason.contains("error in initializer"), "{reason}")
            }
            other => panic!("expected BrokenExecutor, got {other:?}"),
        }
    }
    // The pool was marked broken before any future was failed, so from here on
    // submit is guaranteed to refuse.
    assert!(matches!(
        pool.submit(|| 0),
        Err(Error::BrokenExecutor { .. })
    ));
    assert!(matches!(
        pool.map(|n: u8| n, 0..3),
        Err(Error::BrokenExecutor { .. })
    ));
    assert!(matches!(
        pool.map_with(|n: u8| n, 0.., MapOptions::new().buffersize(2)),
        Err(Error::BrokenExecutor { .. })
    ));
    assert!(format!("{pool:?}").contains("broken"));
    // Shutting down a broken pool neither hangs nor panics.
    pool.shutdown(true, true);
    drop(pool);
}

#[test]
fn a_map_over_a_breaking_pool_yields_broken_executor() {
    let gate = Gate::new();
    let pool = failing_pool(&gate);
    let results = pool.map(|n: u64| n, 0..4).unwrap();
    gate.open();
    let results: Vec<_> = results.collect();
    assert_eq!(results.len(), 4);
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(Error::BrokenExecutor { .. }))),
        "{results:?}"
    );
}

#[test]
fn an_initializer_that_succeeds_does_not_break_anything() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(2)
        .initializer(|| {})
        .build()
        .unwrap();
    let tens: Vec<u64> = pool
        .map(|n: u64| n * 10, 0..5)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(tens, [0, 10, 20, 30, 40]);
}
