//! What crashes must not leave behind: zombies, open file descriptors, live workers.
//!
//! These tests count this process's children and descriptors, so they take turns
//! (`with_deadline` holds a lock) and live in their own test binary, away from other
//! pools.
#![cfg(target_os = "linux")]

mod processes;

use std::time::Duration;

use concurrent_futures::{Error, ExitCause, Future, ProcessPoolExecutor};
use processes::{children, open_fds, with_deadline, PATIENCE};

concurrent_futures::init_before_main!();

fn maybe_crash(n: u32) -> u32 {
    if n % 100 == 37 {
        std::process::exit(1);
    }
    n
}

/// SIGABRT's number on Linux.
const SIGABRT: i32 = 6;

fn abort_one_in_four(n: u32) -> u32 {
    if n % 4 == 1 {
        std::process::abort();
    }
    n
}

/// The baseline after the process pool's one-time machinery (the spawner thread) exists.
fn warmed_up_baseline() -> usize {
    let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
    pool.submit(maybe_crash, 1)
        .unwrap()
        .result_timeout(PATIENCE)
        .unwrap();
    drop(pool);
    assert_eq!(children(), Vec::<u32>::new());
    open_fds()
}

/// Checks that task `n` returned `n`, or, if `crashes(n)`, failed with `WorkerDied`
/// of `cause`; returns how many failed.
fn count_crashes(
    futures: &[Future<u32>],
    crashes: impl Fn(u32) -> bool,
    cause: ExitCause,
) -> usize {
    let mut died = 0;
    for (n, fut) in (0..).zip(futures) {
        match fut.result_timeout(PATIENCE) {
            Ok(&value) => assert_eq!(value, n),
            Err(Error::WorkerDied { cause: got, .. }) if got == cause => {
                assert!(crashes(n), "task {n} failed but did not crash");
                died += 1;
            }
            Err(other) => panic!("task {n}: {other:?}"),
        }
    }
    died
}

#[test]
fn one_percent_of_two_thousand_tasks_kill_their_worker_and_only_they_fail() {
    with_deadline(|| {
        let fds_before = warmed_up_baseline();
        let pool = ProcessPoolExecutor::with_max_workers(2).unwrap();
        let futures: Vec<Future<u32>> = (0..2000)
            .map(|n| pool.submit(maybe_crash, n).unwrap())
            .collect();
        let died = count_crashes(&futures, |n| n % 100 == 37, ExitCause::Exited(1));
        assert_eq!(died, 20);
        drop(pool);
        assert_eq!(children(), Vec::<u32>::new(), "a worker or zombie is left");
        assert_eq!(open_fds(), fds_before, "file descriptors leaked");
    });
}

/// Crashes this frequent keep tasks queued behind dying workers all the time (short
/// tasks are pipelined): those are resent, never blamed, so still exactly the
/// aborting tasks fail.
#[test]
fn a_quarter_of_the_tasks_abort_their_worker_and_only_they_fail() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(2).unwrap();
        let futures: Vec<Future<u32>> = (0..2000)
            .map(|n| pool.submit(abort_one_in_four, n).unwrap())
            .collect();
        let died = count_crashes(&futures, |n| n % 4 == 1, ExitCause::Signaled(SIGABRT));
        assert_eq!(died, 500);
    });
}

#[test]
fn shutdown_while_workers_crash_finishes_every_future() {
    with_deadline(|| {
        let fds_before = warmed_up_baseline();
        let pool = ProcessPoolExecutor::with_max_workers(2).unwrap();
        let futures: Vec<Future<u32>> = (0..300)
            .map(|n| pool.submit(maybe_crash, n).unwrap())
            .collect();
        pool.shutdown(true, false);
        for (n, fut) in futures.iter().enumerate() {
            assert!(fut.done(), "task {n} is not done after shutdown(wait)");
            match fut.result() {
                Ok(&value) => assert_eq!(value, n as u32),
                Err(Error::WorkerDied { .. }) => assert_eq!(n % 100, 37),
                Err(other) => panic!("task {n}: {other:?}"),
            }
        }
        assert_eq!(children(), Vec::<u32>::new());
        drop(pool);
        assert_eq!(open_fds(), fds_before);
    });
}

#[test]
fn thousands_of_tasks_do_not_grow_the_descriptor_count() {
    with_deadline(|| {
        let fds_before = warmed_up_baseline();
        let pool = ProcessPoolExecutor::builder()
            .max_workers(2)
            .max_tasks_per_child(500)
            .build()
            .unwrap();
        for round in 0..5 {
            let futures: Vec<Future<u32>> = (0..1000)
                .map(|n| pool.submit(maybe_crash, n * 100 + 1).unwrap())
                .collect();
            for fut in &futures {
                fut.result_timeout(PATIENCE).unwrap();
            }
            // A worker holds 3 descriptors (two pipes, a pidfd), 5 while starting; while
            // workers retire (max_tasks_per_child) leaving and new ones overlap. A leak
            // of even one per task would pass this bound by hundreds after 1000 tasks.
            let fds = open_fds();
            assert!(
                fds <= fds_before + 32,
                "round {round}: {fds} fds, {fds_before} before"
            );
        }
        drop(pool);
        assert_eq!(open_fds(), fds_before);
        assert_eq!(children(), Vec::<u32>::new());
    });
}

/// Workers and supervisor threads wait awake for a moment after a short task (for
/// speed), then sleep: an idle pool burns no CPU. Were the waiting unbounded, the
/// three would use most of a core each over the second measured.
#[test]
fn an_idle_pool_sleeps_after_a_burst_of_short_tasks() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(2).unwrap();
        let futures: Vec<_> = (0..2_000)
            .map(|n| pool.submit(maybe_crash, n * 100 + 1).unwrap())
            .collect();
        for fut in &futures {
            fut.result().unwrap();
        }
        // Short tasks one at a time: the pool's most awake state.
        for n in 0..200 {
            assert_eq!(
                pool.submit(maybe_crash, n * 100 + 1).unwrap().result(),
                Ok(&(n * 100 + 1))
            );
        }
        let mut watched: Vec<String> = pool
            .worker_pids()
            .iter()
            .map(|pid| format!("/proc/{pid}"))
            .collect();
        watched.extend(processes::threads_named("concurrent-futu"));
        assert!(
            watched.len() >= 3,
            "workers and supervisor threads: {watched:?}"
        );
        let before: u64 = watched.iter().map(|dir| processes::cpu_ticks(dir)).sum();
        std::thread::sleep(Duration::from_secs(1));
        let after: u64 = watched.iter().map(|dir| processes::cpu_ticks(dir)).sum();
        // Clock ticks are 10 ms; a second of sleep may still see a tick or two of
        // bookkeeping, never the ~100 a single spinning thread would add.
        assert!(
            after - before <= 10,
            "an idle pool used {} ticks of CPU in one second ({watched:?})",
            after - before
        );
    });
}
