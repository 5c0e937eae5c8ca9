//! `shutdown(wait, cancel_futures)` and dropping the pool (Python's `with` block):
//! CPython's test_shutdown.py for the thread pool.

mod fixtures;

use std::sync::Arc;

use concurrent_futures::{Error, Future, FutureState, ThreadPoolExecutor};
use crossbeam_channel::Sender;
use fixtures::*;

/// A task that says it started, then waits for `gate`, then returns `value`.
fn gated<T: Send + 'static>(
    gate: &Gate,
    started: &Sender<()>,
    value: T,
) -> impl FnOnce() -> T + Send + 'static {
    let (handle, started) = (gate.handle(), started.clone());
    move || {
        let _ = started.send(());
        handle.pass();
        value
    }
}

/// Sends a message when the thread it was created in ends (thread-local destructor).
struct ExitSignal(Sender<()>);
impl Drop for ExitSignal {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}
thread_local! {
    static EXIT: std::cell::RefCell<Option<ExitSignal>> = const { std::cell::RefCell::new(None) };
}

/// A pool whose workers each send a message on `exits` when their thread ends.
fn pool_reporting_exits(max_workers: usize, exits: &Sender<()>) -> ThreadPoolExecutor {
    let exits = exits.clone();
    ThreadPoolExecutor::builder()
        .max_workers(max_workers)
        .initializer(move || EXIT.with(|e| *e.borrow_mut() = Some(ExitSignal(exits.clone()))))
        .build()
        .unwrap()
}

#[test]
fn submit_after_shutdown_is_refused() {
    // CPython's test_run_after_shutdown (RuntimeError there).
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    pool.shutdown(true, false);
    let refused = pool.submit(|| 2_u64.pow(5));
    assert!(matches!(refused, Err(Error::Shutdown)));
    assert_eq!(
        Error::Shutdown.to_string(),
        "cannot schedule new futures after shutdown"
    );
    assert!(matches!(pool.map(|n: u8| n, 0..2), Err(Error::Shutdown)));

    let other = ThreadPoolExecutor::with_max_workers(2).unwrap();
    other.shutdown(false, false);
    assert!(matches!(other.submit(|| ()), Err(Error::Shutdown)));
}

#[test]
fn shutdown_with_wait_returns_after_running_tasks_finish() {
    let pool = ThreadPoolExecutor::with_max_workers(3).unwrap();
    let gate = Arc::new(Gate::new());
    let (started_tx, started) = crossbeam_channel::unbounded();
    let futures: Vec<Future<u64>> = (0..3)
        .map(|i| pool.submit(gated(&gate, &started_tx, i)).unwrap())
        .collect();
    // The gate opens from another thread once all three run; shutdown must wait.
    let opener = {
        let gate = Arc::clone(&gate);
        std::thread::spawn(move || {
            recv_n(&started, 3);
            gate.open();
        })
    };
    pool.shutdown(true, false);
    // No waiting here: shutdown(wait=true) already did it.
    for (i, f) in futures.iter().enumerate() {
        assert_eq!(f.result_timeout(std::time::Duration::ZERO), Ok(&(i as u64)));
    }
    opener.join().unwrap();
}

#[test]
fn shutdown_with_wait_runs_the_queued_tasks_too() {
    // CPython's test_hang_issue12364: 50 tasks, shutdown, every result is there.
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let gate = Arc::new(Gate::new());
    let (started_tx, started) = crossbeam_channel::unbounded();
    let futures: Vec<Future<u64>> = (0..50)
        .map(|i| pool.submit(gated(&gate, &started_tx, i)).unwrap())
        .collect();
    let opener = {
        let gate = Arc::clone(&gate);
        std::thread::spawn(move || {
            recv_n(&started, 2);
            gate.open();
        })
    };
    pool.shutdown(true, false);
    for (i, f) in futures.iter().enumerate() {
        assert_eq!(f.result_timeout(std::time::Duration::ZERO), Ok(&(i as u64)));
    }
    opener.join().unwrap();
}

#[test]
fn shutdown_without_wait_returns_at_once_and_the_work_still_gets_done() {
    // CPython's test_shutdown_no_wait and test_hang_gh83386.
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let gate = Gate::new();
    let (started_tx, started) = crossbeam_channel::unbounded();
    let first = pool.submit(gated(&gate, &started_tx, 0_u64)).unwrap();
    let queued: Vec<_> = (1..6_u64)
        .map(|i| pool.submit(move || i).unwrap())
        .collect();
    recv(&started);
    pool.shutdown(false, false);
    // Had it waited, the blocked task would be done by now.
    assert_eq!(first.state(), FutureState::Running);
    assert!(matches!(pool.submit(|| 0), Err(Error::Shutdown)));
    gate.open();
    assert_eq!(first.result_timeout(LONG), Ok(&0));
    for (i, f) in queued.iter().enumerate() {
        assert_eq!(f.result_timeout(LONG), Ok(&(i as u64 + 1)), "not cancelled");
    }
}

#[test]
fn shutdown_with_cancel_futures_cancels_what_has_not_started() {
    // CPython's test_cancel_futures, made exact: the one worker is held in the first
    // task, so all 49 others are still queued when shutdown cancels them.
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let gate = Gate::new();
    let (started_tx, started) = crossbeam_channel::unbounded();
    let first = pool.submit(gated(&gate, &started_tx, 0_u64)).unwrap();
    let queued: Vec<_> = (1..50_u64)
        .map(|i| pool.submit(move || i).unwrap())
        .collect();
    recv(&started);
    pool.shutdown(false, true);
    for f in &queued {
        assert!(f.cancelled(), "{f:?}");
        assert_eq!(f.result(), Err(Error::Cancelled));
    }
    // The running task is not interrupted.
    assert_eq!(first.state(), FutureState::Running);
    gate.open();
    assert_eq!(first.result_timeout(LONG), Ok(&0));
    assert_eq!(first.exception(), Ok(None));
}

#[test]
fn shutdown_with_wait_and_cancel_futures_waits_only_for_the_running_task() {
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let gate = Arc::new(Gate::new());
    let (started_tx, started) = crossbeam_channel::unbounded();
    let first = pool.submit(gated(&gate, &started_tx, 0_u64)).unwrap();
    let ran = Counter::new();
    let queued: Vec<_> = (1..10_u64)
        .map(|i| {
            let ran = ran.clone();
            pool.submit(move || {
                ran.bump();
                i
            })
            .unwrap()
        })
        .collect();
    recv(&started);
    // Open the gate only once shutdown has cancelled the queue: the last queued
    // future's callback tells us.
    let gate_for_callback = Arc::clone(&gate);
    queued
        .last()
        .unwrap()
        .add_done_callback(move |_: &Future<u64>| gate_for_callback.open());
    pool.shutdown(true, true);
    assert_eq!(first.result_timeout(std::time::Duration::ZERO), Ok(&0));
    assert!(queued.iter().all(Future::cancelled));
    assert_eq!(ran.get(), 0);
}

#[test]
fn a_cancelled_task_does_not_hang_shutdown() {
    // CPython's test_hang_gh94440.
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    pool.submit(|| 0).unwrap().result_timeout(LONG).unwrap();
    let _ = pool.submit(|| 0).unwrap().cancel();
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        pool.shutdown(true, false);
        tx.send(()).unwrap();
    });
    recv(&rx);
}

#[test]
fn shutdown_with_wait_ends_the_worker_threads() {
    // CPython's test_threads_terminate: after shutdown(wait=True) every thread exited.
    let (exits_tx, exits) = crossbeam_channel::unbounded();
    let pool = pool_reporting_exits(3, &exits_tx);
    let gate = Gate::new();
    let (started_tx, started) = crossbeam_channel::unbounded();
    for _ in 0..3 {
        pool.submit(gated(&gate, &started_tx, ())).unwrap();
    }
    recv_n(&started, 3);
    gate.open();
    pool.shutdown(true, false);
    // Joined: the thread-local destructors already ran, nothing to wait for.
    assert_eq!(exits.try_iter().count(), 3);
}

#[test]
fn shutdown_without_wait_still_ends_the_worker_threads() {
    let (exits_tx, exits) = crossbeam_channel::unbounded();
    let pool = pool_reporting_exits(5, &exits_tx);
    let results = pool.map(|n: i64| n.abs(), -5..5).unwrap();
    pool.shutdown(false, false);
    let results: Vec<i64> = results.map(Result::unwrap).collect();
    assert_eq!(results, [5, 4, 3, 2, 1, 0, 1, 2, 3, 4]);
    drop(pool);
    // Each worker exits on its own; the channel closes once every worker's signal
    // (and the pool's initializer) is gone.
    drop(exits_tx);
    let deadline = std::time::Instant::now() + LONG;
    let mut exited = 0;
    loop {
        match exits.recv_deadline(deadline) {
            Ok(()) => exited += 1,
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                panic!("worker threads did not exit after shutdown(wait=false)")
            }
        }
    }
    assert!(exited >= 1);
}

#[test]
fn shutdown_twice_is_harmless() {
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let f = pool.submit(|| 1).unwrap();
    pool.shutdown(true, false);
    pool.shutdown(true, false);
    pool.shutdown(false, true);
    assert_eq!(f.result_timeout(std::time::Duration::ZERO), Ok(&1));
}

#[test]
fn shutdown_with_wait_after_one_without_still_waits() {
    let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let gate = Arc::new(Gate::new());
    let (started_tx, started) = crossbeam_channel::unbounded();
    let f = pool.submit(gated(&gate, &started_tx, 5)).unwrap();
    pool.shutdown(false, false);
    let opener = {
        let gate = Arc::clone(&gate);
        std::thread::spawn(move || {
            recv(&started);
            gate.open();
        })
    };
    pool.shutdown(true, false);
    assert_eq!(f.result_timeout(std::time::Duration::ZERO), Ok(&5));
    opener.join().unwrap();
}

#[test]
fn a_second_concurrent_shutdown_with_wait_also_waits() {
    // Python joins the threads in every shutdown(wait=True) call, so a second caller
    // also returns only once the work is done.
    let pool = Arc::new(ThreadPoolExecutor::with_max_workers(1).unwrap());
    let gate = Gate::new();
    let (started_tx, started) = crossbeam_channel::unbounded();
    let f = pool.submit(gated(&gate, &started_tx, 1)).unwrap();
    recv(&started);
    // The first shutdown(wait=true) blocks in a thread of its own...
    let first = {
        let pool = Arc::clone(&pool);
        std::thread::spawn(move || pool.shutdown(true, false))
    };
    // ...and has begun once submit is refused (both happen under the same lock).
    let deadline = std::time::Instant::now() + LONG;
    while pool.submit(|| 0).is_ok() {
        assert!(std::time::Instant::now() < deadline, "shutdown never began");
        std::thread::yield_now();
    }
    // A second one must not return while the task still runs.
    let (done_tx, done) = crossbeam_channel::unbounded();
    let second = {
        let (pool, f) = (Arc::clone(&pool), f.clone());
        std::thread::spawn(move || {
            pool.shutdown(true, false);
            done_tx.send(f.done()).unwrap();
        })
    };
    assert!(
        stays_quiet(&done),
        "the second shutdown(wait=true) did not wait"
    );
    gate.open();
    assert!(recv(&done), "it returned before the task finished");
    first.join().unwrap();
    second.join().unwrap();
}

#[test]
fn dropping_the_pool_waits_for_all_the_work_like_a_with_block() {
    // CPython's test_context_manager_shutdown and test_del_shutdown.
    let gate = Arc::new(Gate::new());
    let (started_tx, started) = crossbeam_channel::unbounded();
    let (futures, results) = {
        let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
        let futures: Vec<Future<u64>> = (0..5)
            .map(|i| pool.submit(gated(&gate, &started_tx, i)).unwrap())
            .collect();
        let results = pool.map(|n: i64| n.abs(), -5..5).unwrap();
        let gate = Arc::clone(&gate);
        std::thread::spawn(move || {
            recv(&started);
            gate.open();
        });
        (futures, results)
        // The pool is dropped here: shutdown(wait=true, cancel_futures=false).
    };
    for (i, f) in futures.iter().enumerate() {
        assert_eq!(f.result_timeout(std::time::Duration::ZERO), Ok(&(i as u64)));
    }
    let results: Vec<i64> = results.map(Result::unwrap).collect();
    assert_eq!(results, [5, 4, 3, 2, 1, 0, 1, 2, 3, 4]);
}

#[test]
fn a_task_may_drop_the_last_handle_to_its_own_pool() {
    // The pool cannot join the thread it is dropped from; it must not deadlock.
    let pool = Arc::new(ThreadPoolExecutor::with_max_workers(2).unwrap());
    let gate = Gate::new();
    let handle = gate.handle();
    let inner = Arc::clone(&pool);
    let f = pool
        .submit(move || {
            handle.pass();
            drop(inner); // the last handle: shutdown(true, false) from a worker
            "survived"
        })
        .unwrap();
    drop(pool);
    gate.open();
    assert_eq!(f.result_timeout(LONG), Ok(&"survived"));
}

#[test]
fn a_task_may_shut_down_its_own_pool() {
    let pool = Arc::new(ThreadPoolExecutor::with_max_workers(2).unwrap());
    let inner = Arc::clone(&pool);
    let f = pool
        .submit(move || {
            inner.shutdown(true, false);
            inner.submit(|| ()).err()
        })
        .unwrap();
    assert_eq!(f.result_timeout(LONG), Ok(&Some(Error::Shutdown)));
}

#[test]
fn after_a_task_shut_down_its_own_pool_a_waiting_shutdown_still_waits_for_it() {
    // The task's own shutdown(wait=true) cannot join its own thread; a later
    // shutdown(wait=true) from outside must still wait for that task to end.
    let pool = Arc::new(ThreadPoolExecutor::with_max_workers(2).unwrap());
    let gate = Arc::new(Gate::new());
    let (shut_tx, shut) = crossbeam_channel::unbounded();
    let (inner, handle) = (Arc::clone(&pool), gate.handle());
    let f = pool
        .submit(move || {
            inner.shutdown(true, false);
            shut_tx.send(()).unwrap();
            handle.pass();
            3
        })
        .unwrap();
    recv(&shut);
    let opener = {
        let gate = Arc::clone(&gate);
        std::thread::spawn(move || {
            std::thread::yield_now();
            gate.open();
        })
    };
    pool.shutdown(true, false);
    assert_eq!(f.result_timeout(std::time::Duration::ZERO), Ok(&3));
    opener.join().unwrap();
}

#[test]
fn callbacks_of_futures_cancelled_by_shutdown_may_call_back_into_the_pool() {
    // cancel_futures runs the cancelled futures' callbacks; a callback that touches
    // the pool (submit, Debug) must not deadlock on the pool's own lock.
    let pool = Arc::new(ThreadPoolExecutor::with_max_workers(1).unwrap());
    let gate = Gate::new();
    let (started_tx, started) = crossbeam_channel::unbounded();
    let first = pool.submit(gated(&gate, &started_tx, 0_u64)).unwrap();
    let queued = pool.submit(|| 1_u64).unwrap();
    let (seen_tx, seen) = crossbeam_channel::unbounded();
    let inner = Arc::clone(&pool);
    queued.add_done_callback(move |f: &Future<u64>| {
        let refused = inner.submit(|| 2_u64).err();
        let _ = seen_tx.send((f.cancelled(), refused, format!("{inner:?}")));
    });
    recv(&started);
    let (done_tx, done) = crossbeam_channel::unbounded();
    let shutter = {
        let pool = Arc::clone(&pool);
        std::thread::spawn(move || {
            pool.shutdown(false, true);
            done_tx.send(()).unwrap();
        })
    };
    let (was_cancelled, refused, debug) = recv(&seen);
    assert!(was_cancelled);
    assert_eq!(refused, Some(Error::Shutdown));
    assert!(debug.contains("shut down"), "{debug}");
    recv(&done);
    shutter.join().unwrap();
    gate.open();
    assert_eq!(first.result_timeout(LONG), Ok(&0));
}

#[test]
fn two_tasks_shutting_down_their_own_pool_at_once_do_not_deadlock() {
    // Each worker's shutdown(wait=true) joins the other threads but never itself;
    // two of them at once must not end up joining each other.
    let pool = Arc::new(ThreadPoolExecutor::with_max_workers(2).unwrap());
    let both_running = Arc::new(std::sync::Barrier::new(2));
    let futures: Vec<Future<u32>> = (0..2)
        .map(|i| {
            let (inner, both_running) = (Arc::clone(&pool), Arc::clone(&both_running));
            pool.submit(move || {
                both_running.wait();
                inner.shutdown(true, false);
                i
            })
            .unwrap()
        })
        .collect();
    for (i, f) in futures.iter().enumerate() {
        assert_eq!(f.result_timeout(LONG), Ok(&(i as u32)));
    }
    // And a shutdown from outside still waits for both and returns.
    pool.shutdown(true, false);
}
