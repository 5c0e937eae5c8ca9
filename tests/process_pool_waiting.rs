//! A thread waiting in `result()` for a short task reads its worker's pipe itself (the
//! supervisor thread is then off the round trip). What that must not change: done-
//! callbacks still run on the supervisor thread, and results that no waiting thread
//! reads are still delivered once the fetching stops.
#![cfg(target_os = "linux")]

mod processes;

use std::collections::HashSet;
use std::sync::mpsc;
use std::thread::ThreadId;

use concurrent_futures::{as_completed, Future, ProcessPoolExecutor};
use processes::{with_deadline, PATIENCE};

concurrent_futures::init_before_main!();

fn square(n: u64) -> u64 {
    n * n
}

/// One thread submits and adds a done-callback; another waits in `result()`, and so
/// reads the worker's pipe. Whatever it reads, the callbacks must not run on it: user
/// code in a callback could need a lock that the waiting thread holds.
#[test]
fn callbacks_never_run_in_a_thread_waiting_for_a_result() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
        let (to_waiter, futures) = mpsc::channel::<(u64, Future<u64>)>();
        let waiter = std::thread::spawn(move || {
            for (n, fut) in futures {
                assert_eq!(fut.result_timeout(PATIENCE), Ok(&(n * n)));
            }
            std::thread::current().id()
        });
        let (ran_on, callback_threads) = mpsc::channel::<ThreadId>();
        for n in 0..300_u64 {
            let fut = pool.submit(square, n).unwrap();
            let ran_on = ran_on.clone();
            fut.add_done_callback(move |_| ran_on.send(std::thread::current().id()).unwrap());
            to_waiter.send((n, fut)).unwrap();
        }
        drop(to_waiter);
        let waiter = waiter.join().unwrap();
        drop(pool);
        drop(ran_on);
        let threads: HashSet<ThreadId> = callback_threads.iter().collect();
        assert!(!threads.is_empty());
        assert!(
            !threads.contains(&waiter),
            "a callback ran in the thread waiting in result()"
        );
    });
}

/// While one thread does round trips (and reads the worker's pipe), another collects
/// thousands of tasks with `as_completed`, nobody waiting on them in `result()`.
/// Once the round trips stop, the supervisor thread must take the pipe back, or the
/// rest never arrives.
#[test]
fn results_nobody_waits_for_arrive_after_the_fetching_stops() {
    with_deadline(|| {
        let pool = std::sync::Arc::new(ProcessPoolExecutor::with_max_workers(1).unwrap());
        let background: Vec<Future<u64>> = (0..5_000)
            .map(|n| pool.submit(square, n).unwrap())
            .collect();
        let round_trips = {
            let pool = std::sync::Arc::clone(&pool);
            std::thread::spawn(move || {
                for n in 0..500_u64 {
                    let fut = pool.submit(square, n).unwrap();
                    assert_eq!(fut.result_timeout(PATIENCE), Ok(&(n * n)));
                }
            })
        };
        round_trips.join().unwrap();
        let mut sum = 0;
        for fut in as_completed(&background) {
            sum += fut.result().unwrap();
        }
        assert_eq!(sum, (0..5_000_u64).map(|n| n * n).sum::<u64>());
    });
}
