//! Thread pool figures, side by side in one run with rayon and the `threadpool` crate,
//! 2 workers each:
//! - throughput: 100,000 no-op tasks submitted, then collected (ours with
//!   `as_completed`, the others through a channel), in tasks per second;
//! - round trip: submit one task and wait for its result, median in microseconds.
//!
//! ```text
//! cargo bench --bench thread_pool
//! BENCH_ROUNDS=15 cargo bench --bench thread_pool
//! ```

mod support;

use std::time::{Duration, Instant};

use concurrent_futures::{as_completed, ThreadPoolExecutor};
use support::{latencies, load_average, median, rounds};

const TASKS: usize = 100_000;
const WORKERS: usize = 2;
const ROUND_TRIPS: usize = 20_000;

fn ours_throughput(pool: &ThreadPoolExecutor) -> Duration {
    let start = Instant::now();
    let futures: Vec<_> = (0..TASKS)
        .map(|i| pool.submit(move || i).unwrap())
        .collect();
    let mut count = 0;
    for fut in as_completed(&futures) {
        std::hint::black_box(fut.result().unwrap());
        count += 1;
    }
    assert_eq!(count, TASKS);
    start.elapsed()
}

fn rayon_throughput(pool: &rayon::ThreadPool) -> Duration {
    let start = Instant::now();
    let (sender, results) = crossbeam_channel::unbounded();
    for i in 0..TASKS {
        let sender = sender.clone();
        pool.spawn(move || sender.send(i).unwrap());
    }
    drop(sender);
    assert_eq!(results.iter().count(), TASKS);
    start.elapsed()
}

fn threadpool_throughput(pool: &threadpool::ThreadPool) -> Duration {
    let start = Instant::now();
    let (sender, results) = crossbeam_channel::unbounded();
    for i in 0..TASKS {
        let sender = sender.clone();
        pool.execute(move || sender.send(i).unwrap());
    }
    drop(sender);
    assert_eq!(results.iter().count(), TASKS);
    start.elapsed()
}

fn per_second(duration: Duration) -> f64 {
    TASKS as f64 / duration.as_secs_f64()
}

fn micros(seconds: f64) -> f64 {
    seconds * 1e6
}

fn main() {
    let ours = ThreadPoolExecutor::with_max_workers(WORKERS).unwrap();
    let rayon = rayon::ThreadPoolBuilder::new()
        .num_threads(WORKERS)
        .build()
        .unwrap();
    let threadpool = threadpool::ThreadPool::new(WORKERS);

    println!(
        "thread pools, {WORKERS} workers each, median of {} rounds",
        rounds()
    );
    println!("load average before: {}", load_average());
    // Warm up: start every thread, fault in the allocator's pages.
    ours_throughput(&ours);
    rayon_throughput(&rayon);
    threadpool_throughput(&threadpool);

    // Rounds alternate between the pools so that outside load hits them alike.
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds() {
        a.push(ours_throughput(&ours).as_secs_f64());
        b.push(rayon_throughput(&rayon).as_secs_f64());
        c.push(threadpool_throughput(&threadpool).as_secs_f64());
    }
    let ours_rate = per_second(Duration::from_secs_f64(median(a)));
    let rayon_rate = per_second(Duration::from_secs_f64(median(b)));
    let threadpool_rate = per_second(Duration::from_secs_f64(median(c)));

    let ours_rt = median(latencies(ROUND_TRIPS, || {
        let fut = ours.submit(|| 1_u64).unwrap();
        std::hint::black_box(fut.result().unwrap());
    }));
    let rayon_rt = median(latencies(ROUND_TRIPS, || {
        let (sender, receiver) = crossbeam_channel::bounded(1);
        rayon.spawn(move || sender.send(1_u64).unwrap());
        std::hint::black_box(receiver.recv().unwrap());
    }));
    let threadpool_rt = median(latencies(ROUND_TRIPS, || {
        let (sender, receiver) = crossbeam_channel::bounded(1);
        threadpool.execute(move || sender.send(1_u64).unwrap());
        std::hint::black_box(receiver.recv().unwrap());
    }));

    println!();
    println!("| pool | {TASKS} no-op tasks: tasks/s | vs rayon | round trip median |");
    println!("|---|---:|---:|---:|");
    for (name, rate, rt) in [
        (
            "concurrent-futures ThreadPoolExecutor (as_completed)",
            ours_rate,
            ours_rt,
        ),
        ("rayon ThreadPool::spawn + channel", rayon_rate, rayon_rt),
        ("threadpool + channel", threadpool_rate, threadpool_rt),
    ] {
        println!(
            "| {name} | {:.2} M | {:.2}x | {:.1} µs |",
            rate / 1e6,
            rate / rayon_rate,
            micros(rt)
        );
    }
    println!();
    println!("load average after: {}", load_average());
}
