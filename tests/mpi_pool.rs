//! `MpiPoolExecutor`, in its three ways of running: world mode (`mpirun -n 3`: two
//! worker ranks), spawn mode under `mpirun -n 1` and as a singleton (no mpirun), both
//! spawning two worker ranks. The behaviours are those of mpi4py's `test_futures.py`,
//! plus crash isolation, which mpi4py lacks.
//!
//! Each `#[test]` here launches this very test binary under MPI (every launch under a
//! time limit) and runs the `#[ignore]`d `body_*` tests in it: there, on rank 0, they
//! use the pool; on the other ranks `init_before_main!` serves tasks.
//!
//! Needs Open MPI's `mpirun` (`apt-get install openmpi-bin libopenmpi-dev`).
#![cfg(all(feature = "mpi", target_os = "linux"))]

mod example_runs;
mod processes;

use std::collections::HashSet;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use concurrent_futures::{
    as_completed, as_completed_timeout, wait, Error, Executor, Future, MapOptions, MpiPoolExecutor,
    ReturnWhen, ThreadPoolExecutor,
};
use serde::{Deserialize, Serialize};

use example_runs::primes::parse_line;
use example_runs::{example_path, run_command, run_example, Run};

concurrent_futures::init_before_main!();

/// Which launch the bodies run in (set by the launching test).
const MODE: &str = "CONCURRENT_FUTURES_TEST_MPI_MODE";

/// The pool the bodies use: the world's ranks, or two spawned ones.
fn pool() -> MpiPoolExecutor {
    pool_builder().build().expect("the MPI pool starts")
}

fn pool_builder() -> concurrent_futures::MpiPoolBuilder {
    let builder = MpiPoolExecutor::builder();
    match std::env::var(MODE).as_deref() {
        Ok("world") => builder,
        _ => builder.max_workers(2),
    }
}

// ---------------------------------------------------------------- launching

#[derive(Debug, Clone, Copy)]
enum Launch {
    World,
    SpawnUnderMpirun,
    Singleton,
}

/// The launches take turns: each checks that it leaves no process of this binary
/// behind, which another launch running meanwhile would spoil.
static TURN: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

/// Runs the bodies matching `filter` in this binary, launched as `launch`.
fn launch(launch: Launch, filter: &str) -> Run {
    let exe = std::env::current_exe().expect("the test binary's path");
    let (mut command, mode) = match launch {
        Launch::World => (mpirun(3), "world"),
        Launch::SpawnUnderMpirun => (mpirun(1), "spawn"),
        Launch::Singleton => (Command::new(&exe), "singleton"),
    };
    if !matches!(launch, Launch::Singleton) {
        command.arg(&exe);
    }
    command
        .args([filter, "--ignored", "--test-threads=1", "--nocapture"])
        .env(MODE, mode);
    mpi_environment(&mut command);
    run_command(&mut command, &format!("{filter} ({mode})"))
}

fn mpirun(ranks: usize) -> Command {
    let mut command = Command::new("mpirun");
    command.args(["-n", &ranks.to_string()]);
    command
}

/// What Open MPI needs here: running as root (CI), more ranks than cores, and the
/// transports of one machine.
fn mpi_environment(command: &mut Command) {
    for (name, value) in [
        ("OMPI_ALLOW_RUN_AS_ROOT", "1"),
        ("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"),
        ("OMPI_MCA_rmaps_base_oversubscribe", "1"),
        ("OMPI_MCA_btl", "self,vader,tcp"),
    ] {
        if std::env::var_os(name).is_none() {
            command.env(name, value);
        }
    }
}

/// Asserts that the launch succeeded and that every body it ran passed.
fn assert_passed(run: &Run, bodies: usize) {
    assert!(run.status.success(), "the launch failed: {run:#?}");
    let summary = format!("test result: ok. {bodies} passed");
    assert!(
        run.stdout.contains(&summary),
        "expected {summary:?}: {run:#?}"
    );
}

/// Processes still running this test binary, other than this one.
fn leftovers() -> Vec<u32> {
    let exe = std::env::current_exe().expect("the test binary's path");
    let me = std::process::id();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|p| p == exe))
        .filter(|&pid| processes::process_state(pid) != Some('Z'))
        .collect()
}

/// How many `body_` tests there are (each launch runs them all).
const BODIES: usize = 20;

#[test]
fn in_world_mode_every_behaviour_holds() {
    let _turn = TURN.lock();
    assert_passed(&launch(Launch::World, "body_"), BODIES);
    assert!(leftovers().is_empty(), "left running: {:?}", leftovers());
}

#[test]
fn in_spawn_mode_under_mpirun_every_behaviour_holds() {
    let _turn = TURN.lock();
    assert_passed(&launch(Launch::SpawnUnderMpirun, "body_"), BODIES);
    assert!(leftovers().is_empty(), "left running: {:?}", leftovers());
}

#[test]
fn as_a_singleton_every_behaviour_holds() {
    let _turn = TURN.lock();
    assert_passed(&launch(Launch::Singleton, "body_"), BODIES);
    assert!(leftovers().is_empty(), "left running: {:?}", leftovers());
}

/// A lost rank is MPI's business: under mpirun, Open MPI ends the whole job. What the
/// user must see is that: an error exit, no hang, nothing left running.
#[test]
fn a_killed_rank_ends_a_world_job_without_a_hang() {
    let _turn = TURN.lock();
    let run = launch(Launch::World, "killing_a_rank");
    assert!(!run.status.success(), "the job went on: {run:#?}");
    assert!(!run.stdout.contains("after the kill"), "{run:#?}");
    assert_nothing_left();
}

/// Spawn mode under `mpirun -n 1`: the spawned ranks belong to mpirun's job, which
/// Open MPI ends as in world mode, unless the client saw the rank die first and broke
/// its executor (it watches the ranks it spawned on its host). Either way, nothing
/// hangs and nothing is left.
#[test]
fn a_killed_spawned_rank_ends_an_mpirun_job_without_a_hang() {
    let _turn = TURN.lock();
    let run = launch(Launch::SpawnUnderMpirun, "killing_a_rank");
    let job_ended = !run.status.success() && !run.stdout.contains("after the kill");
    let pool_broke = run.stdout.contains("after the kill: 0 ok, 20 broken");
    assert!(job_ended || pool_broke, "{run:#?}");
    assert_nothing_left();
}

/// A singleton's spawned ranks are a job of their own, which Open MPI ends; the client
/// sees its executor break, goes on, and exits cleanly. (If the rank died with a message
/// to it on its way, which MPI cannot take back, the client process ends instead, and
/// says why.)
#[test]
fn a_killed_spawned_rank_breaks_its_executor_without_a_hang() {
    let _turn = TURN.lock();
    let run = launch(Launch::Singleton, "killing_a_rank");
    let broke = run.status.success() && run.stdout.contains("after the kill: 0 ok, 20 broken");
    let ended = !run.status.success() && run.stderr.contains("MPI cannot take the message back");
    assert!(broke || ended, "{run:#?}");
    assert_nothing_left();
}

/// A singleton client that dies: Open MPI's daemon ends its spawned ranks, and their
/// local worker processes follow them (their parent-death signal).
#[test]
fn a_killed_singleton_client_leaves_nothing_running() {
    let _turn = TURN.lock();
    let run = launch(Launch::Singleton, "killing_the_client");
    assert!(!run.status.success(), "{run:#?}");
    assert_nothing_left();
}

fn assert_nothing_left() {
    let deadline = std::time::Instant::now() + processes::PATIENCE;
    while !leftovers().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(leftovers().is_empty(), "left running: {:?}", leftovers());
}

/// The numbers and verdicts of a prime checker's run, in the order printed, after
/// checking its header and its last line.
fn prime_results(run: &Run) -> Vec<(u64, bool)> {
    let lines = run.lines();
    assert_eq!(
        lines[0], "Checking 20 numbers with 2 processes:",
        "{run:#?}"
    );
    let total = lines.last().expect("a last line");
    assert!(total.starts_with("Total time: "), "{run:#?}");
    lines[1..lines.len() - 1]
        .iter()
        .map(|line| parse_line(line))
        .collect()
}

#[test]
fn primes_mpi_prints_what_primes_proc_pool_prints() {
    let _turn = TURN.lock();
    let local = prime_results(&run_example("primes_proc_pool", &["2", "--quick"]));
    let mut world = mpirun(3);
    world.arg(example_path("primes_mpi")).arg("--quick");
    mpi_environment(&mut world);
    let world = prime_results(&run_command(&mut world, "primes_mpi under mpirun -n 3"));
    assert_eq!(world, local);
    let mut spawned = Command::new(example_path("primes_mpi"));
    spawned.args(["2", "--quick"]);
    mpi_environment(&mut spawned);
    let spawned = prime_results(&run_command(&mut spawned, "primes_mpi 2 (spawn mode)"));
    assert_eq!(spawned, local);
}

// ---------------------------------------------------------------- tasks

fn square(n: u64) -> u64 {
    n * n
}

fn parse(text: String) -> Result<u32, std::num::ParseIntError> {
    text.parse()
}

/// The worker rank's pid: the parent of the local worker process that runs this.
fn rank_pid(_: ()) -> u32 {
    std::os::unix::process::parent_id()
}

fn sleep_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

fn fail_on(n: u64) -> u64 {
    assert!(n != 3, "three is bad");
    n
}

fn abort_on(n: u64) -> u64 {
    if n == 3 {
        std::process::abort();
    }
    n
}

static SCALE: AtomicU64 = AtomicU64::new(1);

fn set_scale(scale: u64) {
    SCALE.store(scale, Ordering::Relaxed);
}

fn scaled(n: u64) -> u64 {
    n * SCALE.load(Ordering::Relaxed)
}

fn broken_initializer() {
    panic!("no tables to load");
}

/// A value whose `Serialize` fails, and one whose `Deserialize` fails.
#[derive(Debug, Clone, PartialEq)]
struct Unsendable;

impl Serialize for Unsendable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("Unsendable cannot be sent"))
    }
}

impl<'de> Deserialize<'de> for Unsendable {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom("Unsendable cannot be received"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct Unreadable(u8);

impl<'de> Deserialize<'de> for Unreadable {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom("Unreadable cannot be received"))
    }
}

fn make_unreadable(n: u8) -> Unreadable {
    Unreadable(n)
}

fn make_unsendable(_: u8) -> Unsendable {
    Unsendable
}

fn take_unsendable(_: Unsendable) -> u8 {
    0
}

// ---------------------------------------------------------------- bodies

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_submit_map_and_fallible_results() {
    let pool = pool();
    assert_eq!(pool.submit(square, 12).unwrap().result(), Ok(&144));
    let squares: Vec<u64> = pool
        .map(square, 0..20)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(squares, (0..20).map(|n| n * n).collect::<Vec<_>>());
    assert_eq!(
        pool.submit_fallible(parse, "42".into()).unwrap().result(),
        Ok(&42)
    );
    match pool.submit_fallible(parse, "BR".into()).unwrap().result() {
        Err(Error::Failed(e)) => assert_eq!(e.message(), "invalid digit found in string"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_tasks_run_on_every_worker_rank() {
    let pool = pool();
    // Long enough that both ranks get one while the other still sleeps.
    let futures: Vec<Future<u32>> = (0..2)
        .map(|_| {
            pool.submit(
                |()| {
                    sleep_ms(300);
                    rank_pid(())
                },
                (),
            )
            .unwrap()
        })
        .collect();
    let ranks: HashSet<u32> = futures.iter().map(|f| *f.result().unwrap()).collect();
    assert_eq!(ranks.len(), 2, "two tasks, two ranks: {ranks:?}");
    assert_eq!(pool.max_workers(), 2);
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_an_initializer_runs_in_every_worker_process() {
    let pool = pool_builder()
        .initializer_with(set_scale, 10)
        .build()
        .unwrap();
    let results: Vec<u64> = pool
        .map(scaled, 1..=4)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(results, [10, 20, 30, 40]);
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_a_failing_initializer_breaks_the_pool() {
    let pool = pool_builder()
        .initializer(broken_initializer)
        .build()
        .unwrap();
    let fut = pool.submit(square, 2).unwrap();
    match fut.result() {
        Err(Error::BrokenExecutor { reason }) => {
            assert!(reason.contains("no tables to load"), "{reason}")
        }
        other => panic!("unexpected {other:?}"),
    }
    let later = (0..50)
        .map(|_| pool.submit(square, 2))
        .find(|submitted| submitted.is_err());
    assert!(matches!(later, Some(Err(Error::BrokenExecutor { .. }))));
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_max_workers_comes_from_the_argument_or_the_environment() {
    if std::env::var(MODE).as_deref() == Ok("world") {
        // World mode: the other ranks of mpirun -n 3.
        assert_eq!(MpiPoolExecutor::new().unwrap().max_workers(), 2);
        return;
    }
    assert_eq!(
        MpiPoolExecutor::with_max_workers(1).unwrap().max_workers(),
        1
    );
    assert!(matches!(
        MpiPoolExecutor::with_max_workers(0),
        Err(Error::InvalidArgument(_))
    ));
    std::env::set_var(concurrent_futures::MAX_WORKERS_ENV, "1");
    let from_env = MpiPoolExecutor::new().map(|pool| pool.max_workers());
    std::env::remove_var(concurrent_futures::MAX_WORKERS_ENV);
    assert_eq!(from_env, Ok(1));
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_shutdown_waits_and_refuses_later_submits() {
    let pool = pool();
    let futures: Vec<Future<u64>> = (0..6).map(|_| pool.submit(sleep_ms, 20).unwrap()).collect();
    pool.shutdown(true, false);
    assert!(futures.iter().all(|f| f.result() == Ok(&20)));
    assert_eq!(pool.submit(square, 1).err(), Some(Error::Shutdown));
    assert!(matches!(pool.map(square, [1]), Err(Error::Shutdown)));
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_shutdown_with_cancel_futures_cancels_what_did_not_start() {
    let pool = pool();
    let futures: Vec<Future<u64>> = (0..40)
        .map(|_| pool.submit(sleep_ms, 50).unwrap())
        .collect();
    pool.shutdown(true, true);
    assert!(futures.iter().all(Future::done));
    let cancelled = futures.iter().filter(|f| f.cancelled()).count();
    let finished = futures.iter().filter(|f| f.result() == Ok(&50)).count();
    assert_eq!(cancelled + finished, 40);
    assert!(
        cancelled > 0,
        "40 tasks of 50 ms on two ranks cannot all have started"
    );
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_dropping_the_pool_waits_for_its_tasks() {
    let futures: Vec<Future<u64>> = {
        let pool = pool();
        (0..4).map(|_| pool.submit(sleep_ms, 30).unwrap()).collect()
    };
    assert!(futures.iter().all(|f| f.done() && f.result() == Ok(&30)));
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_wait_in_its_three_modes_and_with_a_timeout() {
    let pool = pool();
    let quick = pool.submit(sleep_ms, 1).unwrap();
    let slow = pool.submit(sleep_ms, 3_000).unwrap();
    let both = [quick.clone(), slow.clone()];
    let first = wait(&both, None, ReturnWhen::FirstCompleted);
    assert!(first.done.contains(&quick) && first.not_done.contains(&slow));
    let timed = wait(
        &both,
        Some(Duration::from_millis(10)),
        ReturnWhen::AllCompleted,
    );
    assert!(timed.not_done.contains(&slow));
    let failing = pool.submit(fail_on, 3).unwrap();
    let with_failure = [failing.clone(), slow.clone()];
    let exception = wait(&with_failure, None, ReturnWhen::FirstException);
    assert!(exception.done.contains(&failing) && exception.not_done.contains(&slow));
    let all = wait(&both, None, ReturnWhen::AllCompleted);
    assert_eq!(all.done.len(), 2);
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_as_completed_with_timeouts_and_duplicates() {
    let pool = pool();
    let quick = pool.submit(sleep_ms, 1).unwrap();
    let slow = pool.submit(sleep_ms, 2_000).unwrap();
    let twice = [quick.clone(), quick.clone(), slow.clone()];
    let mut seen = Vec::new();
    for got in as_completed_timeout(&twice, Duration::from_millis(500)) {
        match got {
            Ok(fut) => seen.push(fut),
            Err(error) => {
                assert_eq!(error, Error::Timeout);
                break;
            }
        }
    }
    assert_eq!(
        seen,
        std::slice::from_ref(&quick),
        "the duplicate yields once, the slow one times out"
    );
    let all: Vec<Future<u64>> = as_completed(&twice).collect();
    assert_eq!(all.len(), 2);
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_map_with_errors_timeout_chunks_and_buffersize() {
    let pool = pool();
    let results: Vec<Result<u64, Error>> = pool.map(fail_on, 1..=5).unwrap().collect();
    assert!(matches!(&results[2], Err(Error::Panicked { message }) if message == "three is bad"));
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 4);
    let chunked = MapOptions::new().chunksize(7).buffersize(2);
    let total: u64 = pool
        .map_with(square, 0..100, chunked)
        .unwrap()
        .map(Result::unwrap)
        .sum();
    assert_eq!(total, 328_350);
    let hurried = MapOptions::new().timeout(Duration::from_millis(100));
    let timed: Vec<Result<u64, Error>> = pool
        .map_with(sleep_ms, [2_000, 2_000, 2_000], hurried)
        .unwrap()
        .collect();
    assert_eq!(timed.last(), Some(&Err(Error::Timeout)));
    assert!(matches!(
        pool.map_with(square, [1], MapOptions::new().chunksize(0)),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_several_executors_at_once() {
    let first = pool();
    let second = pool();
    let a: Vec<Future<u64>> = (0..10).map(|n| first.submit(square, n).unwrap()).collect();
    let b: Vec<Future<u64>> = (0..10)
        .map(|n| second.submit(square, n + 10).unwrap())
        .collect();
    let sum = |futures: &[Future<u64>]| futures.iter().map(|f| *f.result().unwrap()).sum::<u64>();
    assert_eq!(sum(&a), 285);
    assert_eq!(sum(&b), 2_185);
    drop(first);
    assert_eq!(second.submit(square, 3).unwrap().result(), Ok(&9));
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_data_that_cannot_cross_fails_only_its_future() {
    let pool = pool();
    let argument = pool.submit(take_unsendable, Unsendable).unwrap();
    assert!(matches!(argument.result(), Err(Error::Serialization(_))));
    let result = pool.submit(make_unsendable, 1).unwrap();
    assert!(matches!(result.result(), Err(Error::Serialization(_))));
    let decoding = pool.submit(make_unreadable, 1).unwrap();
    assert!(matches!(decoding.result(), Err(Error::Serialization(_))));
    assert_eq!(pool.submit(square, 5).unwrap().result(), Ok(&25));
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_a_crashing_task_fails_only_its_future_and_says_where() {
    let pool = pool();
    let futures: Vec<Future<u64>> = (1..=6).map(|n| pool.submit(abort_on, n).unwrap()).collect();
    for (n, fut) in (1..=6).zip(&futures) {
        match fut.result() {
            Ok(&got) => assert_eq!(got, n),
            Err(Error::WorkerDied { pid, cause }) => {
                assert_eq!(n, 3);
                let message = Error::WorkerDied { pid, cause }.to_string();
                assert!(message.contains("SIGABRT"), "{message}");
                assert!(message.contains("worker rank"), "{message}");
                assert!(message.contains("host"), "{message}");
            }
            other => panic!("task {n}: unexpected {other:?}"),
        }
    }
    assert_eq!(
        pool.submit(square, 7).unwrap().result(),
        Ok(&49),
        "the rank goes on"
    );
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_a_panicking_task_fails_only_its_future() {
    let pool = pool();
    match pool.submit(fail_on, 3).unwrap().result() {
        Err(Error::Panicked { message }) => assert_eq!(message, "three is bad"),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(pool.submit(fail_on, 4).unwrap().result(), Ok(&4));
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_the_time_limit_works_across_ranks() {
    let limit = Duration::from_millis(300);
    let pool = pool_builder().task_time_limit(limit).build().unwrap();
    let stuck = pool.submit(sleep_ms, 60_000).unwrap();
    assert_eq!(stuck.result().err(), Some(Error::TaskTimeLimit { limit }));
    assert_eq!(pool.submit(square, 6).unwrap().result(), Ok(&36));
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_futures_mix_with_thread_pool_futures_and_can_be_awaited() {
    let pool = pool();
    let threads = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let futures = vec![
        pool.submit(square, 3).unwrap(),
        threads.submit(|| 4 * 4).unwrap(),
    ];
    let mut got: Vec<u64> = as_completed(&futures)
        .map(|f| *f.result().unwrap())
        .collect();
    got.sort_unstable();
    assert_eq!(got, [9, 16]);
    let fut = pool.submit(square, 8).unwrap();
    let awaited = futures::executor::block_on(async move { fut.await });
    assert_eq!(awaited, Ok(64));
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_generic_code_runs_on_the_cluster() {
    fn total<E: Executor>(pool: &E) -> u64 {
        pool.map(square, 1..=10).unwrap().map(Result::unwrap).sum()
    }
    assert_eq!(total(&pool()), 385);
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_an_idle_client_sleeps() {
    let pool = pool();
    let _: Vec<u64> = pool
        .map(square, 0..1_000)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let before = processes::cpu_ticks("/proc/self");
    std::thread::sleep(Duration::from_secs(1));
    let used = processes::cpu_ticks("/proc/self") - before;
    // Clock ticks are 10 ms: an idle client's second costs next to none of them.
    assert!(used <= 10, "the idle client used {used} ticks in a second");
}

#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn body_shutdown_from_a_callback_does_not_hang() {
    let pool = std::sync::Arc::new(pool());
    let (done, finished) = crossbeam_channel::bounded(1);
    let inner = std::sync::Arc::clone(&pool);
    pool.submit(square, 2).unwrap().add_done_callback(move |_| {
        inner.shutdown(true, false);
        let _ = done.send(());
    });
    finished
        .recv_timeout(processes::PATIENCE)
        .expect("the callback's shutdown returned");
}

/// Not a body: launched alone, it kills a worker rank, then counts what its next tasks
/// do (under mpirun, nothing: the job is gone).
#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn killing_a_rank() {
    let pool = pool();
    let rank = *pool.submit(rank_pid, ()).unwrap().result().unwrap();
    let _ = Command::new("kill")
        .args(["-KILL", &rank.to_string()])
        .status();
    // Long tasks: still running on the other rank when the death is seen.
    let outcomes: Vec<Result<u64, Error>> = (0..20)
        .map(|_| {
            pool.submit(sleep_ms, 5_000)
                .and_then(|f| f.result_timeout(processes::PATIENCE).cloned())
        })
        .collect();
    let ok = outcomes.iter().filter(|r| r.is_ok()).count();
    let broken = outcomes
        .iter()
        .filter(|r| matches!(r, Err(Error::BrokenExecutor { .. })))
        .count();
    println!("after the kill: {ok} ok, {broken} broken");
}

/// Not a body: launched alone, it kills its own process while tasks run.
#[test]
#[ignore = "runs under MPI, launched by the tests above"]
fn killing_the_client() {
    let pool = pool();
    let _running: Vec<Future<u64>> = (0..4)
        .map(|_| pool.submit(sleep_ms, 10_000).unwrap())
        .collect();
    let me = std::process::id().to_string();
    let _ = Command::new("kill").args(["-KILL", &me]).status();
    std::thread::sleep(processes::PATIENCE);
}
