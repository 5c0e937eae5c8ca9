//! Process pool figures, side by side in one run with procspawn's `Pool` (2 workers
//! each, release build):
//! - round trip: submit one no-op task and wait for its result, median in µs;
//! - the round trip of a task that sleeps 100 µs, right after four no-op ones (so the
//!   pool expects a quick answer and gets a late one), median in µs, the sleep
//!   included (`thread::sleep` overshoots by tens of µs);
//! - 20,000 no-op submits collected with `as_completed`, tasks per second;
//! - 1,000,000 queued no-op tasks: tasks per second, and the descriptor count before,
//!   at the peak and after (it must not grow with the queue);
//! - a chunked `map` of 1,000,000 u64 items, items per second.
//!
//! ```text
//! cargo bench --bench process_pool
//! BENCH_ROUNDS=15 cargo bench --bench process_pool
//! ```

mod support;

use std::time::{Duration, Instant};

use concurrent_futures::{as_completed, Future, MapOptions, ProcessPoolExecutor};
use support::{latencies, load_average, median, open_fds, rounds};

const WORKERS: usize = 2;

fn noop(n: u64) -> u64 {
    n
}

fn ours_round_trip(pool: &ProcessPoolExecutor, iterations: usize) -> f64 {
    median(latencies(iterations, || {
        let fut = pool.submit(noop, 1).unwrap();
        std::hint::black_box(fut.result().unwrap());
    }))
}

fn procspawn_round_trip(pool: &procspawn::Pool, iterations: usize) -> f64 {
    median(latencies(iterations, || {
        let handle = pool.spawn(1_u64, |n: u64| n);
        std::hint::black_box(handle.join().unwrap());
    }))
}

/// How long a task that sleeps: see the round trip after short ones.
const SLEEP: Duration = Duration::from_micros(100);

fn sleeps(n: u64) -> u64 {
    std::thread::sleep(SLEEP);
    n
}

fn ours_late_round_trip(pool: &ProcessPoolExecutor, rounds: usize) -> f64 {
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        for _ in 0..4 {
            pool.submit(noop, 1).unwrap().result().unwrap();
        }
        let start = Instant::now();
        std::hint::black_box(pool.submit(sleeps, 1).unwrap().result().unwrap());
        times.push(start.elapsed().as_secs_f64());
    }
    median(times)
}

fn procspawn_late_round_trip(pool: &procspawn::Pool, rounds: usize) -> f64 {
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        for _ in 0..4 {
            pool.spawn(1_u64, |n: u64| n).join().unwrap();
        }
        let start = Instant::now();
        let handle = pool.spawn(1_u64, |n: u64| {
            std::thread::sleep(Duration::from_micros(100));
            n
        });
        std::hint::black_box(handle.join().unwrap());
        times.push(start.elapsed().as_secs_f64());
    }
    median(times)
}

fn ours_throughput(pool: &ProcessPoolExecutor, tasks: u64) -> Duration {
    let start = Instant::now();
    let futures: Vec<Future<u64>> = (0..tasks).map(|n| pool.submit(noop, n).unwrap()).collect();
    let mut count = 0;
    for fut in as_completed(&futures) {
        fut.result().unwrap();
        count += 1;
    }
    assert_eq!(count, tasks);
    start.elapsed()
}

fn procspawn_throughput(pool: &procspawn::Pool, tasks: u64) -> Result<Duration, String> {
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks).map(|n| pool.spawn(n, |n: u64| n)).collect();
    for handle in handles {
        handle.join().map_err(|e| e.to_string())?;
    }
    Ok(start.elapsed())
}

fn rate(count: u64, duration: Duration) -> String {
    let per_second = count as f64 / duration.as_secs_f64();
    if per_second >= 1e6 {
        format!("{:.2} M/s", per_second / 1e6)
    } else {
        format!("{:.1} k/s", per_second / 1e3)
    }
}

fn main() {
    // Each library's worker start-up check; both return at once in the parent.
    procspawn::init();
    concurrent_futures::init();

    println!(
        "process pools, {WORKERS} workers each, median of {} rounds",
        rounds()
    );
    println!("load average before: {}", load_average());

    // Ours first: procspawn leaks descriptors when it fails, which would skew ours.
    let ours = ProcessPoolExecutor::with_max_workers(WORKERS).unwrap();
    ours_round_trip(&ours, 200); // warm up: start the workers
    let ours_rt = ours_round_trip(&ours, 5_000);
    let ours_late = ours_late_round_trip(&ours, 300);

    let tasks = 20_000;
    let ours_20k = Duration::from_secs_f64(median(
        (0..rounds())
            .map(|_| ours_throughput(&ours, tasks).as_secs_f64())
            .collect(),
    ));

    let million = 1_000_000;
    let fds_before = open_fds();
    let start = Instant::now();
    let futures: Vec<Future<u64>> = (0..million)
        .map(|n| ours.submit(noop, n).unwrap())
        .collect();
    let fds_queued = open_fds();
    for fut in as_completed(&futures) {
        fut.result().unwrap();
    }
    let million_time = start.elapsed();
    drop(futures);
    let fds_after = open_fds();

    let items = 1_000_000_u64;
    let chunked = Duration::from_secs_f64(median(
        (0..rounds())
            .map(|_| {
                let start = Instant::now();
                let options = MapOptions::new().chunksize(10_000);
                let sum: u64 = ours
                    .map_with(noop, 0..items, options)
                    .unwrap()
                    .map(Result::unwrap)
                    .sum();
                assert_eq!(sum, items * (items - 1) / 2);
                start.elapsed().as_secs_f64()
            })
            .collect(),
    ));
    drop(ours);

    let theirs = procspawn::Pool::new(WORKERS).unwrap();
    procspawn_round_trip(&theirs, 200);
    let theirs_rt = procspawn_round_trip(&theirs, 2_000);
    let theirs_late = procspawn_late_round_trip(&theirs, 300);
    // procspawn opens descriptors per queued task and panics (EMFILE) long before
    // 20,000; try 20,000 anyway, and 1,000 to have a figure.
    let describe = |count: u64| {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            procspawn_throughput(&theirs, count)
        }));
        match outcome {
            Ok(Ok(d)) => rate(count, d),
            Ok(Err(e)) => format!("failed: {e}"),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| "panicked".into());
                let short: String = message.chars().take(90).collect();
                format!("panicked: {short}")
            }
        }
    };
    let theirs_1k = describe(1_000);
    let theirs_20k = describe(tasks);

    println!();
    println!("| measure | concurrent-futures | procspawn |");
    println!("|---|---:|---:|");
    println!(
        "| submit→result round trip, median | {:.1} µs | {:.1} µs ({:.1}x ours) |",
        ours_rt * 1e6,
        theirs_rt * 1e6,
        theirs_rt / ours_rt
    );
    println!(
        "| round trip of a {SLEEP:?} sleep after 4 no-ops, median | {:.0} µs | {:.0} µs |",
        ours_late * 1e6,
        theirs_late * 1e6,
    );
    println!(
        "| {tasks} no-op submits, as_completed | {} | {theirs_20k}; 1,000 tasks: {theirs_1k} |",
        rate(tasks, ours_20k)
    );
    println!(
        "| {million} queued no-op tasks | {} (open fds: {fds_before} before, {fds_queued} \
         queued, {fds_after} after) | not run |",
        rate(million, million_time)
    );
    println!(
        "| map of {items} u64 items, chunksize 10,000 | {} items | no chunked map |",
        rate(items, chunked)
    );
    println!();
    println!("load average after: {}", load_average());
}
