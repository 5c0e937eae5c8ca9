//! Thread pool figures, side by side in one run with rayon and the `threadpool` crate,
//! 2 workers each, and, for awaiting from async code, with tokio's `spawn_blocking`:
//! - throughput: 100,000 no-op tasks submitted, then collected (ours with
//!   `as_completed`, the others through a channel), in tasks per second;
//! - round trip: submit one task and wait for its result, median in microseconds;
//! - the same two from a tokio runtime: our futures awaited, against
//!   `spawn_blocking`'s handles awaited (2 blocking threads).
//!
//! Every figure is the median over `BENCH_ROUNDS` rounds (default 7); in each round
//! every pool takes its turn, in an order that rotates and reverses from round to
//! round, so that outside load, the position in the round and the pool that ran just
//! before hit them alike. The charts go to
//! docs/figures/thread_pool_throughput.svg and thread_pool_round_trip.svg.
//! (Instructions per task, under callgrind, and heap bytes per queued task are
//! `benches/thread_pool_cost.rs`'s.)
//!
//! ```text
//! cargo bench --bench thread_pool
//! BENCH_ROUNDS=15 cargo bench --bench thread_pool
//! ```

mod support;

use std::time::{Duration, Instant};

use concurrent_futures::{as_completed, ThreadPoolExecutor};
use support::{latencies, load_average, median, offload, plot, rounds};

const TASKS: usize = 100_000;
const WORKERS: usize = 2;
/// Round trips per round; a round's figure is their median.
const ROUND_TRIPS: usize = 2_000;

/// One pool under test: how it runs the throughput and the round-trip loads.
trait Contender {
    fn name(&self) -> &'static str;
    fn throughput(&self) -> Duration;
    fn round_trip(&self) -> f64;
}

struct Ours(ThreadPoolExecutor);
/// Our futures, awaited from a current-thread tokio runtime.
struct OursAwaited(ThreadPoolExecutor, tokio::runtime::Runtime);
/// `spawn_blocking` from a current-thread tokio runtime with 2 blocking threads.
struct SpawnBlocking(tokio::runtime::Runtime);

impl Contender for Ours {
    fn name(&self) -> &'static str {
        "concurrent-futures ThreadPoolExecutor (as_completed)"
    }

    fn throughput(&self) -> Duration {
        let start = Instant::now();
        let futures: Vec<_> = (0..TASKS)
            .map(|i| self.0.submit(move || i).unwrap())
            .collect();
        let mut count = 0;
        for fut in as_completed(&futures) {
            std::hint::black_box(fut.result().unwrap());
            count += 1;
        }
        assert_eq!(count, TASKS);
        start.elapsed()
    }

    fn round_trip(&self) -> f64 {
        median(latencies(ROUND_TRIPS, || {
            let fut = self.0.submit(|| 1_u64).unwrap();
            std::hint::black_box(fut.result().unwrap());
        }))
    }
}

/// How a peer pool takes a job: rayon's `spawn`, threadpool's `execute`.
trait Spawn {
    fn spawn_job<F: FnOnce() + Send + 'static>(&self, job: F);
}

impl Spawn for rayon::ThreadPool {
    fn spawn_job<F: FnOnce() + Send + 'static>(&self, job: F) {
        self.spawn(job);
    }
}

impl Spawn for threadpool::ThreadPool {
    fn spawn_job<F: FnOnce() + Send + 'static>(&self, job: F) {
        self.execute(job);
    }
}

/// A peer pool, whose tasks send their results down a channel.
struct Peer<P> {
    name: &'static str,
    pool: P,
}

impl<P: Spawn> Contender for Peer<P> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn throughput(&self) -> Duration {
        let start = Instant::now();
        let (sender, results) = crossbeam_channel::unbounded();
        for i in 0..TASKS {
            let sender = sender.clone();
            self.pool.spawn_job(move || sender.send(i).unwrap());
        }
        drop(sender);
        assert_eq!(results.iter().count(), TASKS);
        start.elapsed()
    }

    fn round_trip(&self) -> f64 {
        median(latencies(ROUND_TRIPS, || {
            let (sender, receiver) = crossbeam_channel::bounded(1);
            self.pool.spawn_job(move || sender.send(1_u64).unwrap());
            std::hint::black_box(receiver.recv().unwrap());
        }))
    }
}

impl Contender for OursAwaited {
    fn name(&self) -> &'static str {
        "tokio: ThreadPoolExecutor futures awaited"
    }

    fn throughput(&self) -> Duration {
        self.1.block_on(offload::ours_throughput(&self.0, TASKS))
    }

    fn round_trip(&self) -> f64 {
        self.1
            .block_on(offload::ours_round_trip(&self.0, ROUND_TRIPS))
    }
}

impl Contender for SpawnBlocking {
    fn name(&self) -> &'static str {
        "tokio: spawn_blocking awaited"
    }

    fn throughput(&self) -> Duration {
        self.0.block_on(offload::spawn_blocking_throughput(TASKS))
    }

    fn round_trip(&self) -> f64 {
        self.0
            .block_on(offload::spawn_blocking_round_trip(ROUND_TRIPS))
    }
}

/// Medians over the rounds: (tasks per second, round trip in seconds) per contender.
fn measure(contenders: &[&dyn Contender]) -> Vec<(f64, f64)> {
    for contender in contenders {
        contender.throughput(); // warm up: start every thread, fault in the heap
    }
    let mut samples = vec![(Vec::new(), Vec::new()); contenders.len()];
    for round in 0..rounds() {
        for turn in 0..contenders.len() {
            // The start rotates, and every other round runs backwards, so that each
            // contender follows a different one from round to round.
            let step = if round % 2 == 0 {
                turn
            } else {
                contenders.len() - 1 - turn
            };
            let i = (round / 2 + step) % contenders.len();
            samples[i].0.push(contenders[i].throughput().as_secs_f64());
            samples[i].1.push(contenders[i].round_trip());
        }
    }
    samples
        .into_iter()
        .map(|(times, trips)| (TASKS as f64 / median(times), median(trips)))
        .collect()
}

fn main() {
    let ours = Ours(ThreadPoolExecutor::with_max_workers(WORKERS).unwrap());
    let rayon = Peer {
        name: "rayon ThreadPool::spawn + channel",
        pool: rayon::ThreadPoolBuilder::new()
            .num_threads(WORKERS)
            .build()
            .unwrap(),
    };
    let threadpool = Peer {
        name: "threadpool + channel",
        pool: threadpool::ThreadPool::new(WORKERS),
    };
    let awaited = OursAwaited(
        ThreadPoolExecutor::with_max_workers(WORKERS).unwrap(),
        offload::runtime(WORKERS),
    );
    let spawn_blocking = SpawnBlocking(offload::runtime(WORKERS));
    let contenders: [&dyn Contender; 5] = [&ours, &rayon, &threadpool, &awaited, &spawn_blocking];

    println!(
        "thread pools, {WORKERS} workers each, median of {} interleaved rounds",
        rounds()
    );
    println!("load average before: {}", load_average());
    let figures = measure(&contenders);
    println!("load average after: {}", load_average());
    println!();
    println!(
        "| pool | {TASKS} no-op tasks: tasks/s | vs rayon | vs threadpool | round trip median |"
    );
    println!("|---|---:|---:|---:|---:|");
    let (rayon_rate, threadpool_rate) = (figures[1].0, figures[2].0);
    for (contender, (rate, trip)) in contenders.iter().zip(&figures) {
        println!(
            "| {} | {:.2} M | {:.2}x | {:.2}x | {:.2} µs |",
            contender.name(),
            rate / 1e6,
            rate / rayon_rate,
            rate / threadpool_rate,
            trip * 1e6
        );
    }
    let ((ours_rate, ours_trip), (rayon_trip, awaited, blocking)) =
        (figures[0], (figures[1].1, figures[3], figures[4]));
    println!();
    println!(
        "ours: throughput {:.2}x rayon, {:.2}x threadpool; round trip {:.2}x rayon's",
        ours_rate / rayon_rate,
        ours_rate / threadpool_rate,
        ours_trip / rayon_trip
    );
    println!(
        "awaited from tokio: throughput {:.2}x spawn_blocking, round trip {:.2}x faster",
        awaited.0 / blocking.0,
        blocking.1 / awaited.1
    );
    let names: Vec<&str> = contenders.iter().map(|c| c.name()).collect();
    let rates: Vec<(&str, f64)> = names
        .iter()
        .zip(&figures)
        .map(|(n, f)| (*n, f.0 / 1e6))
        .collect();
    let trips: Vec<(&str, f64)> = names
        .iter()
        .zip(&figures)
        .map(|(n, f)| (*n, f.1 * 1e6))
        .collect();
    plot::bar_chart(
        "thread_pool_throughput.svg",
        "100,000 no-op tasks, 2 workers each (higher is better)",
        "million tasks per second",
        &rates,
    );
    plot::bar_chart(
        "thread_pool_round_trip.svg",
        "submit -> result round trip, median (lower is better)",
        "microseconds",
        &trips,
    );
}
