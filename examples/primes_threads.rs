//! The book's `threads.py` (Fluent Python 2nd ed., "The Multicore Prime Checker"):
//! N worker threads take numbers from a jobs queue and put results on a results queue.
//!
//! The plumbing is the book's: the main thread puts the 20 numbers on the jobs queue,
//! then starts each worker and puts one poison pill (`0`) per worker; a worker takes
//! numbers until it gets a pill, then puts a `PrimeResult` with `n == 0` on the results
//! queue to say it is finished. The main thread prints results as they arrive (in
//! completion order) until every worker has said so, then `20 checks in 0.52s`.
//!
//! What Rust changes: **threads scale for CPU-bound work, because there is no GIL.** In
//! CPython this program is *slower* than the sequential one (only one thread runs
//! Python code at a time); here two threads on two cores take about half the time of
//! `primes_sequential`, as fast as the process version `primes_procs`. Compare:
//!
//! ```text
//! cargo run --release --example primes_sequential   # Total time: 0.95s
//! cargo run --release --example primes_threads 2    # 20 checks in 0.50s
//! ```
//!
//! The queues are `std::sync::mpsc` channels. A channel has a single receiver, so the
//! jobs queue that every worker takes from is a `Mutex<Receiver>`, which is what
//! Python's `SimpleQueue` is inside: a pipe and a lock. The workers run in a
//! `thread::scope`, so they are joined before `main` returns.
//!
//! `argv[1]` is the number of threads (default: the number of CPUs); `--quick` checks
//! smaller numbers.

mod primes_common;

use std::num::NonZeroUsize;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;
use std::thread::{self, Scope};
use std::time::{Duration, Instant};

use clap::Parser;

use primes_common::{check, cpu_count, Inputs, PrimeResult};

/// Checks 20 numbers for primality with N threads, a jobs queue and a results queue.
#[derive(Parser, Debug)]
struct Cli {
    /// How many worker threads (default: the number of CPUs).
    workers: Option<NonZeroUsize>,
    #[command(flatten)]
    inputs: Inputs,
}

/// The jobs queue: several workers take from it, so its receiving end is shared
/// behind a lock.
type JobQueue = Mutex<Receiver<u64>>;

fn worker(jobs: &JobQueue, results: &Sender<PrimeResult>) {
    loop {
        // The guard is a temporary: the lock is released as soon as `recv` returns.
        let n = jobs.lock().expect("jobs lock").recv().unwrap_or(0);
        if n == 0 {
            break; // the poison pill
        }
        results.send(check(n)).expect("results queue");
    }
    let end = PrimeResult {
        n: 0,
        prime: false,
        elapsed: Duration::ZERO,
    };
    results.send(end).expect("results queue"); // this worker is finished
}

fn start_jobs<'scope>(
    scope: &'scope Scope<'scope, '_>,
    workers: usize,
    numbers: &[u64],
    jobs: &'scope JobQueue,
    jobs_tx: &Sender<u64>,
    results_tx: &Sender<PrimeResult>,
) {
    for &n in numbers {
        jobs_tx.send(n).expect("jobs queue");
    }
    for _ in 0..workers {
        let results = results_tx.clone();
        scope.spawn(move || worker(jobs, &results));
        jobs_tx.send(0).expect("jobs queue"); // one poison pill per worker
    }
}

fn report(workers: usize, results: &Receiver<PrimeResult>) -> usize {
    let mut checked = 0;
    let mut workers_done = 0;
    while workers_done < workers {
        let result = results.recv().expect("results queue");
        if result.n == 0 {
            workers_done += 1;
        } else {
            checked += 1;
            println!("{}", result.line());
        }
    }
    checked
}

fn main() {
    let cli = Cli::parse();
    let workers = cli.workers.map_or_else(cpu_count, NonZeroUsize::get);
    let numbers = cli.inputs.numbers();

    println!("Checking {} numbers with {workers} threads:", numbers.len());
    let t0 = Instant::now();
    let (jobs_tx, jobs_rx) = channel();
    let jobs: JobQueue = Mutex::new(jobs_rx);
    let (results_tx, results_rx) = channel();
    let checked = thread::scope(|scope| {
        start_jobs(scope, workers, numbers, &jobs, &jobs_tx, &results_tx);
        report(workers, &results_rx)
    });
    let elapsed = t0.elapsed().as_secs_f64();
    println!("{checked} checks in {elapsed:.2}s");
}
