//! ProcessPoolExecutor behaviours (CPython's test_process_pool and test_init, ported)
//! and the crash matrix: every way a worker can die mid-task fails exactly that task.
#![cfg(target_os = "linux")]

mod processes;

use std::collections::HashSet;
use std::time::Duration;

use concurrent_futures::{
    as_completed, wait, Error, ExitCause, Future, MapOptions, ProcessPoolExecutor, ReturnWhen,
    ThreadPoolExecutor,
};
use processes::{assert_gone, assert_reaped, with_deadline, PATIENCE};
use serde::{Deserialize, Serialize};

concurrent_futures::init_before_main!();

fn square(n: u64) -> u64 {
    n * n
}

fn my_pid(_: ()) -> u32 {
    std::process::id()
}

fn exit_with(code: i32) -> u32 {
    std::process::exit(code)
}

fn abort(_: ()) -> u32 {
    std::process::abort()
}

/// Sends `signal` to the worker itself (through kill(1), to stay in safe Rust) and
/// waits for it to land.
fn signal_self(signal: String) -> u32 {
    let pid = std::process::id().to_string();
    let _ = std::process::Command::new("kill")
        .args([format!("-{signal}"), pid])
        .status();
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

fn panics(message: String) -> u32 {
    panic!("{message}")
}

fn sleep_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

/// Waits (up to `PATIENCE`) until the file `release` exists, then makes the worker
/// exit with code 3.
fn exit_when_released(release: String) -> u32 {
    let deadline = std::time::Instant::now() + PATIENCE;
    while !std::path::Path::new(&release).exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    std::process::exit(3)
}

fn result(fut: &Future<u32>) -> Result<u32, Error> {
    fut.result_timeout(PATIENCE).copied()
}

#[test]
fn submit_and_map_give_results_in_order() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(2).unwrap();
        assert_eq!(pool.max_workers(), 2);
        let fut = pool.submit(square, 12).unwrap();
        assert_eq!(fut.result_timeout(PATIENCE), Ok(&144));
        let squares: Vec<u64> = pool
            .map(square, 0..20)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(squares, (0..20).map(|n| n * n).collect::<Vec<_>>());
        let closure = pool
            .submit(|s: String| s.to_uppercase(), "br".to_string())
            .unwrap();
        assert_eq!(closure.result_timeout(PATIENCE).unwrap(), "BR");
        let pids = pool.worker_pids();
        assert!(!pids.is_empty() && pids.len() <= 2, "{pids:?}");
        assert!(
            !pids.contains(&std::process::id()),
            "tasks ran in the parent"
        );
        drop(pool);
        assert_reaped(&pids);
    });
}

#[test]
fn chunked_map_keeps_order_and_per_item_errors() {
    fn odd_panics(n: u32) -> u32 {
        if n % 2 == 1 {
            panic!("odd {n}");
        }
        n
    }
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(2).unwrap();
        let options = MapOptions::new().chunksize(7);
        let results: Vec<_> = pool.map_with(odd_panics, 0..50, options).unwrap().collect();
        assert_eq!(results.len(), 50);
        for (n, result) in results.into_iter().enumerate() {
            if n % 2 == 1 {
                assert_eq!(
                    result,
                    Err(Error::Panicked {
                        message: format!("odd {n}")
                    })
                );
            } else {
                assert_eq!(result, Ok(n as u32));
            }
        }
        let total: u64 = pool
            .map_with(square, 0..10_000, MapOptions::new().chunksize(1000))
            .unwrap()
            .map(Result::unwrap)
            .sum();
        assert_eq!(total, (0..10_000u64).map(|n| n * n).sum());
    });
}

#[test]
fn map_with_a_buffersize_runs_over_an_endless_input() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(2).unwrap();
        let options = MapOptions::new().buffersize(4).chunksize(3);
        let first: Vec<u64> = pool
            .map_with(square, 0.., options)
            .unwrap()
            .take(25)
            .map(Result::unwrap)
            .collect();
        assert_eq!(first, (0..25).map(|n| n * n).collect::<Vec<_>>());
    });
}

#[test]
fn bad_options_and_worker_counts_are_errors() {
    assert!(matches!(
        ProcessPoolExecutor::with_max_workers(0),
        Err(Error::InvalidArgument(_))
    ));
    let zero_tasks = ProcessPoolExecutor::builder()
        .max_tasks_per_child(0)
        .build();
    assert!(matches!(zero_tasks, Err(Error::InvalidArgument(_))));
    let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
    let chunk0 = pool.map_with(square, 0..3, MapOptions::new().chunksize(0));
    assert!(matches!(chunk0, Err(Error::InvalidArgument(_))));
    assert!(
        pool.worker_pids().is_empty(),
        "no worker starts before a task"
    );
}

#[test]
fn a_panicking_task_fails_alone_and_the_worker_is_reused() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
        let before = result(&pool.submit(my_pid, ()).unwrap()).unwrap();
        let failed = pool.submit(panics, "bad input".to_string()).unwrap();
        assert_eq!(
            failed.result_timeout(PATIENCE).copied(),
            Err(Error::Panicked {
                message: "bad input".into()
            })
        );
        let after = result(&pool.submit(my_pid, ()).unwrap()).unwrap();
        assert_eq!(before, after, "a panic must not cost the worker");
    });
}

/// Each way to die, mid-task: only that task fails, naming the pid and the cause; the
/// pool replaces the worker and goes on.
#[test]
fn every_kind_of_worker_death_fails_exactly_its_task() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(2).unwrap();
        let mut all_pids = HashSet::new();
        let cases: Vec<(Future<u32>, ExitCause)> = vec![
            (pool.submit(exit_with, 0).unwrap(), ExitCause::Exited(0)),
            (pool.submit(exit_with, 3).unwrap(), ExitCause::Exited(3)),
            (
                pool.submit(abort, ()).unwrap(),
                ExitCause::Signaled(libc::SIGABRT),
            ),
            (
                pool.submit(signal_self, "KILL".into()).unwrap(),
                ExitCause::Signaled(libc::SIGKILL),
            ),
            (
                pool.submit(signal_self, "SEGV".into()).unwrap(),
                ExitCause::Signaled(libc::SIGSEGV),
            ),
        ];
        let survivors: Vec<Future<u64>> =
            (0..20).map(|n| pool.submit(square, n).unwrap()).collect();
        for (fut, expected) in &cases {
            match fut.result_timeout(PATIENCE) {
                Err(Error::WorkerDied { pid, cause }) => {
                    assert_eq!(cause, *expected);
                    assert!(pid > 0);
                    all_pids.insert(pid);
                    let message = Error::WorkerDied { pid, cause }.to_string();
                    assert!(message.contains(&pid.to_string()), "{message}");
                }
                other => panic!("expected WorkerDied({expected:?}), got {other:?}"),
            }
        }
        assert_eq!(
            all_pids.len(),
            cases.len(),
            "each death was a different worker"
        );
        for (n, fut) in survivors.iter().enumerate() {
            assert_eq!(fut.result_timeout(PATIENCE), Ok(&(n as u64 * n as u64)));
        }
        all_pids.extend(pool.worker_pids());
        drop(pool);
        let pids: Vec<u32> = all_pids.into_iter().collect();
        assert_reaped(&pids);
    });
}

#[test]
fn an_idle_workers_death_is_repaired_silently() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
        let pid = result(&pool.submit(my_pid, ()).unwrap()).unwrap();
        let status = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status();
        assert!(status.unwrap().success());
        // Whatever the timing, the next task runs (on a new worker, or the old one's
        // death is noticed first and it is replaced).
        for _ in 0..5 {
            let next = result(&pool.submit(my_pid, ()).unwrap());
            if let Ok(new_pid) = next {
                assert_ne!(new_pid, pid);
            } else {
                panic!("a task failed after an idle worker died: {next:?}");
            }
        }
    });
}

#[test]
fn a_task_over_the_time_limit_is_stopped_and_its_worker_replaced() {
    with_deadline(|| {
        let limit = Duration::from_millis(300);
        let pool = ProcessPoolExecutor::builder()
            .max_workers(1)
            .task_time_limit(limit)
            .build()
            .unwrap();
        let stuck = pool.submit(sleep_ms, 600_000).unwrap();
        let next = pool.submit(square, 9).unwrap();
        assert_eq!(
            stuck.result_timeout(PATIENCE),
            Err(Error::TaskTimeLimit { limit })
        );
        assert_ne!(Error::TaskTimeLimit { limit }, Error::Timeout);
        assert_eq!(next.result_timeout(PATIENCE), Ok(&81));
    });
}

fn set_ready() {
    std::env::set_var("CF_TEST_INITIALIZED", "yes");
}

fn initialized(_: ()) -> bool {
    std::env::var("CF_TEST_INITIALIZED").as_deref() == Ok("yes")
}

fn failing_initializer() {
    panic!("no database here");
}

#[test]
fn the_initializer_runs_in_each_worker_before_tasks() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::builder()
            .max_workers(2)
            .initializer(set_ready)
            .build()
            .unwrap();
        let futures: Vec<_> = (0..6)
            .map(|_| pool.submit(initialized, ()).unwrap())
            .collect();
        for fut in &futures {
            assert_eq!(fut.result_timeout(PATIENCE), Ok(&true));
        }
        assert!(
            !initialized(()),
            "the initializer must not run in the parent"
        );
    });
}

#[test]
fn a_failing_initializer_breaks_the_pool_without_respawning() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::builder()
            .max_workers(2)
            .initializer(failing_initializer)
            .build()
            .unwrap();
        let futures: Vec<_> = (0..4).map(|n| pool.submit(square, n).unwrap()).collect();
        for fut in &futures {
            match fut.result_timeout(PATIENCE) {
                Err(Error::BrokenExecutor { reason }) => {
                    assert!(reason.contains("no database here"), "{reason}")
                }
                other => panic!("expected BrokenExecutor, got {other:?}"),
            }
        }
        assert!(matches!(
            pool.submit(square, 1),
            Err(Error::BrokenExecutor { .. })
        ));
        assert!(pool.worker_pids().is_empty(), "no worker is respawned");
    });
}

#[test]
fn max_tasks_per_child_replaces_workers() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::builder()
            .max_workers(1)
            .max_tasks_per_child(2)
            .build()
            .unwrap();
        let pids: Vec<u32> = (0..6)
            .map(|_| result(&pool.submit(my_pid, ()).unwrap()).unwrap())
            .collect();
        assert_eq!(pids[0], pids[1]);
        assert_eq!(pids[2], pids[3]);
        assert_eq!(pids[4], pids[5]);
        let distinct: HashSet<_> = pids.iter().collect();
        assert_eq!(distinct.len(), 3, "{pids:?}");
        drop(pool);
        assert_reaped(&pids);
    });
}

#[test]
fn shutdown_refuses_new_tasks_and_cancels_queued_ones() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
        let running = pool.submit(sleep_ms, 300).unwrap();
        let queued: Vec<_> = (0..20)
            .map(|_| pool.submit(sleep_ms, 10).unwrap())
            .collect();
        // Only tasks that have not started are cancelled: let the first one start.
        while !running.running() {
            assert!(!running.done(), "{running:?}");
            std::thread::yield_now();
        }
        pool.shutdown(true, true);
        assert!(matches!(pool.submit(square, 2), Err(Error::Shutdown)));
        assert_eq!(running.result_timeout(PATIENCE), Ok(&300));
        let cancelled = queued.iter().filter(|f| f.cancelled()).count();
        assert!(
            cancelled >= 18,
            "only {cancelled} of 20 queued tasks were cancelled"
        );
        for fut in &queued {
            assert!(fut.done());
        }
        assert!(pool.worker_pids().is_empty());
    });
}

#[test]
fn dropping_the_pool_waits_for_every_task() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(2).unwrap();
        let futures: Vec<_> = (0..10)
            .map(|n| pool.submit(sleep_ms, 20 + n).unwrap())
            .collect();
        drop(pool);
        for (n, fut) in futures.iter().enumerate() {
            assert!(fut.done());
            assert_eq!(fut.result(), Ok(&(20 + n as u64)));
        }
    });
}

#[test]
fn terminate_and_kill_workers_stop_running_tasks() {
    with_deadline(|| {
        for (stop, signal) in [(true, libc::SIGTERM), (false, libc::SIGKILL)] {
            let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
            let started = pool.submit(my_pid, ()).unwrap();
            let pid = result(&started).unwrap();
            let long = pool.submit(sleep_ms, 600_000).unwrap();
            let queued = pool.submit(square, 3).unwrap();
            // Wait until the long task runs, so that the stop hits it mid-task.
            while !long.running() {
                assert!(!long.done());
                std::thread::yield_now();
            }
            if stop {
                pool.terminate_workers();
            } else {
                pool.kill_workers();
            }
            assert_eq!(
                long.result_timeout(PATIENCE),
                Err(Error::WorkerDied {
                    pid,
                    cause: ExitCause::Signaled(signal)
                })
            );
            assert!(queued.done());
            assert!(matches!(pool.submit(square, 1), Err(Error::Shutdown)));
            assert_reaped(&[pid]);
        }
    });
}

#[derive(Debug)]
struct Unencodable;

impl Serialize for Unencodable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("this type refuses to be encoded"))
    }
}

impl<'de> Deserialize<'de> for Unencodable {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom("this type refuses to be decoded"))
    }
}

fn make_unencodable(_: u8) -> Unencodable {
    Unencodable
}

fn takes_unencodable(_: Unencodable) -> u8 {
    1
}

#[test]
fn serialization_failures_fail_one_future_and_leave_the_pool_intact() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
        let bad_arg = pool.submit(takes_unencodable, Unencodable).unwrap();
        assert!(matches!(
            bad_arg.result_timeout(PATIENCE),
            Err(Error::Serialization(_))
        ));
        let bad_result = pool.submit(make_unencodable, 1).unwrap();
        match bad_result.result_timeout(PATIENCE) {
            Err(Error::Serialization(why)) => assert!(why.contains("result"), "{why}"),
            other => panic!("expected a serialization error, got {other:?}"),
        }
        assert_eq!(
            pool.submit(square, 4).unwrap().result_timeout(PATIENCE),
            Ok(&16)
        );
    });
}

fn echo_bytes(bytes: Vec<u8>) -> Vec<u8> {
    bytes.into_iter().rev().collect()
}

#[test]
fn eight_mebibyte_arguments_and_results_cross() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(2).unwrap();
        let big: Vec<u8> = (0..8 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
        let expected: Vec<u8> = big.iter().rev().copied().collect();
        let futures: Vec<_> = (0..3)
            .map(|_| pool.submit(echo_bytes, big.clone()).unwrap())
            .collect();
        for fut in &futures {
            assert!(fut.result_timeout(PATIENCE).unwrap() == &expected);
        }
    });
}

#[test]
fn process_and_thread_futures_mix_in_as_completed_and_wait() {
    with_deadline(|| {
        let processes = ProcessPoolExecutor::with_max_workers(2).unwrap();
        let threads = ThreadPoolExecutor::with_max_workers(2).unwrap();
        let mut futures: Vec<Future<u64>> = (0..5)
            .map(|n| processes.submit(square, n).unwrap())
            .collect();
        futures.extend((5..10).map(|n| threads.submit(move || n * n).unwrap()));
        let mut seen: Vec<u64> = as_completed(&futures)
            .map(|f| *f.result().unwrap())
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..10).map(|n| n * n).collect::<Vec<_>>());
        let split = wait(&futures, Some(PATIENCE), ReturnWhen::AllCompleted);
        assert_eq!((split.done.len(), split.not_done.len()), (10, 0));
    });
}

#[test]
fn grandchildren_die_with_their_worker() {
    fn start_sleeper_then_die(_: ()) -> u32 {
        let child = std::process::Command::new("sleep")
            .arg("600")
            .spawn()
            .unwrap();
        println!("sleeper {}", child.id());
        // Tell the parent the grandchild's pid through a file: the task cannot return.
        std::fs::write(
            std::env::temp_dir().join(format!("cf-sleeper-{}", std::process::id())),
            child.id().to_string(),
        )
        .unwrap();
        std::process::exit(7)
    }
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
        let fut = pool.submit(start_sleeper_then_die, ()).unwrap();
        let Err(Error::WorkerDied { pid, cause }) = fut.result_timeout(PATIENCE).copied() else {
            panic!("the worker should have died");
        };
        assert_eq!(cause, ExitCause::Exited(7));
        let note = std::env::temp_dir().join(format!("cf-sleeper-{pid}"));
        let sleeper: u32 = std::fs::read_to_string(&note).unwrap().parse().unwrap();
        let _ = std::fs::remove_file(note);
        assert_gone(&[sleeper]);
    });
}

#[test]
fn a_task_cancelled_while_queued_never_runs() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
        let first = pool.submit(sleep_ms, 200).unwrap();
        let queued: Vec<_> = (0..5)
            .map(|_| pool.submit(exit_with, 9))
            .collect::<Result<_, _>>()
            .unwrap();
        let cancelled: Vec<bool> = queued.iter().map(|f| f.cancel()).collect();
        assert_eq!(first.result_timeout(PATIENCE), Ok(&200));
        // A task that would have killed the worker was cancelled in time: none died.
        for (fut, was_cancelled) in queued.iter().zip(cancelled) {
            if was_cancelled {
                assert_eq!(fut.result_timeout(PATIENCE), Err(Error::Cancelled));
            }
        }
    });
}

/// CPython's test_deadlock: a worker that dies (or fails) while decoding the argument
/// or encoding the result. The ack comes before the decoding, so the death is pinned on
/// the right task; failures are errors on that future only.
mod deadlock {
    use super::*;

    /// Exits the process when decoded (in the worker) or when encoded (as a result).
    #[derive(Debug)]
    pub struct ExitsOn {
        decode: bool,
    }

    impl Serialize for ExitsOn {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let in_parent = std::env::var("CF_PARENT_PID") == Ok(std::process::id().to_string());
            if !self.decode && !in_parent {
                std::process::exit(41); // in the worker, encoding the result
            }
            serializer.serialize_bool(self.decode)
        }
    }

    impl<'de> Deserialize<'de> for ExitsOn {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let decode = bool::deserialize(deserializer)?;
            if decode {
                std::process::exit(42); // in the worker, decoding the argument
            }
            Ok(ExitsOn { decode })
        }
    }

    /// Lets `ExitsOn` tell the parent (which must encode and decode it unharmed) from
    /// a worker (which inherits the variable, but has another pid).
    fn mark_parent() {
        std::env::set_var("CF_PARENT_PID", std::process::id().to_string());
    }

    fn take(_: ExitsOn) -> u8 {
        1
    }

    fn give(_: u8) -> ExitsOn {
        ExitsOn { decode: false }
    }

    /// Encodes fine, refuses to decode: fails in the parent, decoding the result.
    #[derive(Debug)]
    pub struct Undecodable;

    impl Serialize for Undecodable {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_u8(7)
        }
    }

    impl<'de> Deserialize<'de> for Undecodable {
        fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
            Err(serde::de::Error::custom("refuses to be decoded"))
        }
    }

    fn undecodable(_: u8) -> Undecodable {
        Undecodable
    }

    #[test]
    fn dying_while_decoding_the_argument_fails_that_task() {
        mark_parent();
        with_deadline(|| {
            let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
            let fut = pool.submit(take, ExitsOn { decode: true }).unwrap();
            match fut.result_timeout(PATIENCE) {
                Err(Error::WorkerDied {
                    cause: ExitCause::Exited(42),
                    ..
                }) => {}
                other => panic!("expected WorkerDied(exit 42), got {other:?}"),
            }
            assert_eq!(
                pool.submit(square, 3).unwrap().result_timeout(PATIENCE),
                Ok(&9)
            );
        });
    }

    #[test]
    fn dying_while_encoding_the_result_fails_that_task() {
        mark_parent();
        with_deadline(|| {
            let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
            let fut = pool.submit(give, 0).unwrap();
            match fut.result_timeout(PATIENCE) {
                Err(Error::WorkerDied {
                    cause: ExitCause::Exited(41),
                    ..
                }) => {}
                other => panic!("expected WorkerDied(exit 41), got {other:?}"),
            }
            assert_eq!(
                pool.submit(square, 4).unwrap().result_timeout(PATIENCE),
                Ok(&16)
            );
        });
    }

    #[test]
    fn a_result_the_parent_cannot_decode_fails_that_task() {
        with_deadline(|| {
            let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
            let fut = pool.submit(undecodable, 0).unwrap();
            match fut.result_timeout(PATIENCE) {
                Err(Error::Serialization(why)) => assert!(why.contains("decode"), "{why}"),
                other => panic!("expected a serialization error, got {other:?}"),
            }
            assert_eq!(
                pool.submit(square, 5).unwrap().result_timeout(PATIENCE),
                Ok(&25)
            );
        });
    }
}

fn byte_count(bytes: Vec<u8>) -> usize {
    bytes.len()
}

/// Tasks sent ahead to a busy worker must never fill its pipe: `submit` would block
/// until the running task ends (here: never).
#[test]
fn submit_never_blocks_behind_a_busy_worker() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
        // Short tasks first, so that the pool pipelines deeply.
        for n in 0..50 {
            assert_eq!(
                pool.submit(square, n).unwrap().result_timeout(PATIENCE),
                Ok(&(n * n))
            );
        }
        let stuck = pool.submit(sleep_ms, 600_000).unwrap();
        while !stuck.running() {
            std::thread::yield_now();
        }
        let big: Vec<_> = (0..8)
            .map(|_| pool.submit(byte_count, vec![7_u8; 1 << 20]).unwrap())
            .collect();
        let small: Vec<_> = (0..40)
            .map(|_| pool.submit(byte_count, vec![1_u8; 6000]).unwrap())
            .collect();
        assert!(
            !stuck.done(),
            "every submit returned while the worker was busy"
        );
        pool.kill_workers();
        assert!(matches!(stuck.result(), Err(Error::WorkerDied { .. })));
        for fut in big.iter().chain(&small) {
            assert!(fut.done());
        }
    });
}

/// A task that writes garbage into its worker's pipes (through /proc/self/fd, which
/// opens any pipe anew): the worker is no longer trusted, it is stopped and replaced,
/// the task fails, and nothing hangs.
fn scribble_on_pipes(_: ()) -> u32 {
    use std::io::Write;
    let garbage = [5, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff];
    for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        let fd: u32 = entry.file_name().to_string_lossy().parse().unwrap_or(0);
        let is_pipe = std::fs::read_link(entry.path())
            .is_ok_and(|target| target.to_string_lossy().starts_with("pipe:"));
        if fd > 2 && is_pipe {
            if let Ok(mut pipe) = std::fs::OpenOptions::new().write(true).open(entry.path()) {
                let _ = pipe.write_all(&garbage);
            }
        }
    }
    std::thread::sleep(Duration::from_secs(600));
    0
}

#[test]
fn a_worker_that_sends_garbage_is_stopped_and_replaced() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
        let fut = pool.submit(scribble_on_pipes, ()).unwrap();
        assert!(matches!(
            fut.result_timeout(PATIENCE),
            Err(Error::WorkerDied { .. })
        ));
        assert_eq!(
            pool.submit(square, 6).unwrap().result_timeout(PATIENCE),
            Ok(&36)
        );
    });
}

#[test]
fn stopping_the_pool_while_workers_start_does_not_hang() {
    with_deadline(|| {
        for stop in [
            ProcessPoolExecutor::kill_workers,
            ProcessPoolExecutor::terminate_workers,
        ] {
            let pool = ProcessPoolExecutor::with_max_workers(2).unwrap();
            let futures: Vec<_> = (0..4).map(|n| pool.submit(square, n).unwrap()).collect();
            stop(&pool);
            for fut in &futures {
                assert!(fut.done(), "{fut:?}");
            }
            assert!(pool.worker_pids().is_empty());
        }
    });
}

/// A done-callback runs on the pool's supervisor thread; if it drops (or shuts down)
/// the pool there, the pool cannot wait for tasks only that thread can finish: it must
/// return, and the tasks still finish.
#[test]
fn a_callback_that_drops_the_pool_does_not_deadlock() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
        let first = pool.submit(sleep_ms, 100).unwrap();
        let second = pool.submit(square, 7).unwrap();
        let (dropped, was_dropped) = std::sync::mpsc::channel();
        first.add_done_callback(move |_| {
            drop(pool);
            dropped.send(()).unwrap();
        });
        was_dropped
            .recv_timeout(PATIENCE)
            .expect("the callback returned");
        assert_eq!(second.result_timeout(PATIENCE), Ok(&49));
    });
}

#[derive(Debug, Serialize)]
struct PanicsWhenDecoded(u8);

impl<'de> Deserialize<'de> for PanicsWhenDecoded {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = u8::deserialize(deserializer)?;
        if value == 13 {
            panic!("13 is not allowed here");
        }
        Ok(PanicsWhenDecoded(value))
    }
}

fn make_13(_: ()) -> PanicsWhenDecoded {
    PanicsWhenDecoded(13)
}

#[test]
fn a_result_whose_decoding_panics_fails_only_its_future() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
        let fut = pool.submit(make_13, ()).unwrap();
        match fut.result_timeout(PATIENCE) {
            Err(Error::Serialization(why)) => assert!(why.contains("13 is not allowed"), "{why}"),
            other => panic!("expected a serialization error, got {other:?}"),
        }
        assert_eq!(
            pool.submit(square, 8).unwrap().result_timeout(PATIENCE),
            Ok(&64)
        );
    });
}

/// Tasks queued on a worker behind one that kills it did not run and are not to blame:
/// they are sent again as often as it takes. Here one worker gets four crashing tasks
/// and an innocent one in a row (pipelined: short tasks came first); the innocent task
/// outlives four workers and succeeds.
#[test]
fn a_task_queued_behind_crashes_is_resent_as_often_as_needed() {
    with_deadline(|| {
        // Pipelining needs the last 8 tasks to have run under 200 µs each; on a loaded
        // machine one may not have, so try again (each try checks the outcomes too).
        for attempt in 0..10 {
            let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
            for n in 0..20 {
                assert_eq!(
                    pool.submit(square, n).unwrap().result_timeout(PATIENCE),
                    Ok(&(n * n))
                );
            }
            let release =
                std::env::temp_dir().join(format!("cf-release-{}-{attempt}", std::process::id()));
            let path = release.display().to_string();
            // The first crash waits for the release, so that all five are queued on
            // the worker before it dies.
            let crashes: Vec<Future<u32>> = (0..4)
                .map(|_| pool.submit(exit_when_released, path.clone()).unwrap())
                .collect();
            let innocent = pool.submit(square, 12).unwrap();
            // Sent to the busy worker already (marked running), or still queued here.
            let pipelined = innocent.running();
            std::fs::write(&release, b"go").unwrap();
            for crash in &crashes {
                assert!(
                    matches!(
                        result(crash),
                        Err(Error::WorkerDied {
                            cause: ExitCause::Exited(3),
                            ..
                        })
                    ),
                    "{:?}",
                    result(crash)
                );
            }
            assert_eq!(innocent.result_timeout(PATIENCE), Ok(&144));
            let _ = std::fs::remove_file(&release);
            if pipelined {
                return;
            }
        }
        panic!("the pool never pipelined: the test could not set its scene up");
    });
}

fn square_in_a_pool_of_its_own(n: u64) -> u64 {
    let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
    let squared = *pool
        .submit(square, n)
        .unwrap()
        .result_timeout(PATIENCE)
        .unwrap();
    squared + 1
}

/// A task may use a process pool of its own: the worker re-executes itself too, and
/// its worker is gone (reaped) when the task returns.
#[test]
fn a_task_can_run_a_process_pool_of_its_own() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::with_max_workers(1).unwrap();
        let fut = pool.submit(square_in_a_pool_of_its_own, 7).unwrap();
        assert_eq!(fut.result_timeout(PATIENCE), Ok(&50));
    });
}
