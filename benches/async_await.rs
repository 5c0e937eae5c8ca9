//! Awaiting figures, side by side in one run: a tokio program that offloads blocking
//! work awaits our `ThreadPoolExecutor`'s futures, or uses tokio's own
//! `spawn_blocking`; 2 threads each, the awaiting task on a current-thread runtime:
//! - round trip: submit one no-op task and await its result, median in µs;
//! - throughput: 100,000 no-op tasks submitted, then all awaited, tasks per second.
//!
//! Then the process pool (2 workers): its round trip awaited, beside the same round
//! trip through a blocking `result()`.
//!
//! ```text
//! cargo bench --bench async_await
//! BENCH_ROUNDS=15 cargo bench --bench async_await
//! ```

mod support;

use std::time::Instant;

use concurrent_futures::{ProcessPoolExecutor, ThreadPoolExecutor};
use support::offload::{
    median_latency, ours_round_trip, ours_throughput, spawn_blocking_round_trip,
    spawn_blocking_throughput,
};
use support::{load_average, median, rounds};

concurrent_futures::init_before_main!();

const TASKS: usize = 100_000;
const WORKERS: usize = 2;
/// Round trips per round; the figure is the median over the rounds of each round's
/// median.
const ROUND_TRIPS: usize = 2_000;

fn noop(n: u64) -> u64 {
    n
}

fn per_second(seconds: f64) -> f64 {
    TASKS as f64 / seconds
}

fn thread_pool_figures(runtime: &tokio::runtime::Runtime) {
    let pool = ThreadPoolExecutor::with_max_workers(WORKERS).unwrap();
    runtime.block_on(async {
        // Warm up: start every thread of both pools.
        ours_throughput(&pool, TASKS).await;
        spawn_blocking_throughput(TASKS).await;
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for _ in 0..rounds() {
            ours.push(ours_throughput(&pool, TASKS).await.as_secs_f64());
            theirs.push(spawn_blocking_throughput(TASKS).await.as_secs_f64());
        }
        let (ours_rate, theirs_rate) = (per_second(median(ours)), per_second(median(theirs)));
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for _ in 0..rounds() {
            ours.push(ours_round_trip(&pool, ROUND_TRIPS).await);
            theirs.push(spawn_blocking_round_trip(ROUND_TRIPS).await);
        }
        let (ours_rt, theirs_rt) = (median(ours), median(theirs));
        println!();
        println!("| awaited from tokio | {TASKS} no-op tasks: tasks/s | round trip median |");
        println!("|---|---:|---:|");
        println!(
            "| ThreadPoolExecutor futures, awaited | {ours_rate:.0} | {:.2} µs |",
            ours_rt * 1e6
        );
        println!(
            "| tokio::task::spawn_blocking | {theirs_rate:.0} | {:.2} µs |",
            theirs_rt * 1e6
        );
        println!(
            "ours vs spawn_blocking: throughput {:.2}x, round trip {:.2}x faster",
            ours_rate / theirs_rate,
            theirs_rt / ours_rt
        );
    });
}

fn process_pool_figures(runtime: &tokio::runtime::Runtime) {
    let pool = ProcessPoolExecutor::with_max_workers(WORKERS).unwrap();
    let blocking = || {
        let mut samples = Vec::with_capacity(ROUND_TRIPS);
        for _ in 0..ROUND_TRIPS {
            let start = Instant::now();
            std::hint::black_box(pool.submit(noop, 1).unwrap().result().unwrap());
            samples.push(start.elapsed().as_secs_f64());
        }
        median(samples)
    };
    blocking(); // warm up
    let (mut awaited, mut blocked) = (Vec::new(), Vec::new());
    for _ in 0..rounds() {
        let submit = || pool.submit(noop, 1).unwrap();
        awaited.push(runtime.block_on(median_latency(ROUND_TRIPS, submit)));
        blocked.push(blocking());
    }
    let (awaited, blocking) = (median(awaited), median(blocked));
    println!();
    println!("| ProcessPoolExecutor, {WORKERS} workers | round trip median |");
    println!("|---|---:|");
    println!("| `result()` | {:.2} µs |", blocking * 1e6);
    println!(
        "| `.await` (tokio, current thread) | {:.2} µs |",
        awaited * 1e6
    );
}

fn main() {
    let runtime = support::offload::runtime(WORKERS);
    println!(
        "awaiting from tokio, {WORKERS} threads each, median of {} rounds",
        rounds()
    );
    println!("load average before: {}", load_average());
    thread_pool_figures(&runtime);
    process_pool_figures(&runtime);
}
