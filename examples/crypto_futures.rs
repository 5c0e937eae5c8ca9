//! The book's `arcfour_futures.py` and `sha_futures.py` (Fluent Python 1st ed.,
//! ch. 17, "Experimenting with Executor.map... CPU-bound work") in one program:
//! 12 CPU-bound jobs on a `ProcessPoolExecutor`, results printed with `as_completed`.
//!
//! - `--algo arcfour` (the default): 12 jobs of 384 KB down to 149 KB of random data,
//!   each encrypted and decrypted with the book's RC4-compatible `arcfour` (20
//!   key-mixing loops) and checked; prints `384.0 KB` and so on as jobs finish.
//! - `--algo sha`: 12 jobs of 1 MiB of random data through SHA-256 (the `sha2` crate
//!   stands in for `hashlib`); prints each hex digest.
//!
//! Then `2 workers, elapsed time: 0.05s`, timed like the book's: from before the
//! executor starts until after it has shut down. `argv[1]` is the number of workers
//! (default: the number of CPUs). `--table` runs the jobs with 1 to 4 workers and
//! prints the shape of the book's Table 17-1: workers, time, speed-up factor.
//!
//! What Rust changes: the speed, by two to three orders of magnitude (the book's 11 s
//! arcfour run takes tens of milliseconds), so with so little work per job the table
//! mostly shows what starting worker processes costs. The tasks are plain `fn`s whose
//! arguments and results cross the process boundary through serde;
//! `concurrent_futures::init()` is the first line of `main` because the workers run
//! this same executable. The cipher and hash live in `crypto_common`, where
//! `tests/crypto_vectors.rs` checks them against the RC4 test vectors.
//!
//! ```text
//! cargo run --release --example crypto_futures -- --algo arcfour 2
//! cargo run --release --example crypto_futures -- --algo sha --table
//! ```

mod crypto_common;

use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use concurrent_futures::{as_completed, Error, ProcessPoolExecutor};

use crypto_common::{arcfour_sizes, arcfour_test, sha, JOBS, KEY, SHA_SIZE};

/// Runs 12 arcfour or SHA-256 jobs on a ProcessPoolExecutor.
#[derive(Parser, Debug)]
struct Cli {
    /// How many worker processes (default: the number of CPUs).
    workers: Option<NonZeroUsize>,
    /// Which benchmark to run.
    #[arg(long, value_enum, default_value_t = Algo::Arcfour)]
    algo: Algo,
    /// Run with 1, 2, 3 and 4 workers and print a table of times and speed-ups.
    #[arg(long, conflicts_with = "workers")]
    table: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Algo {
    /// RC4 with 20 key-mixing loops, encrypt + decrypt + check.
    Arcfour,
    /// SHA-256 of 1 MiB.
    Sha,
}

/// Runs the 12 jobs; prints a line per job unless `quiet`. Returns the actual number
/// of workers and the elapsed time.
fn run(algo: Algo, workers: Option<usize>, quiet: bool) -> Result<(usize, Duration), Error> {
    let t0 = Instant::now();
    let executor = match workers {
        Some(workers) => ProcessPoolExecutor::with_max_workers(workers)?,
        None => ProcessPoolExecutor::new(),
    };
    let actual_workers = executor.max_workers();
    match algo {
        Algo::Arcfour => {
            let to_do = arcfour_sizes()
                .into_iter()
                .map(|size| executor.submit(arcfour_test, (size, KEY.to_vec())))
                .collect::<Result<Vec<_>, Error>>()?;
            for future in as_completed(&to_do) {
                let size = *future.result()?;
                if !quiet {
                    println!("{:.1} KB", size as f64 / 1024.0);
                }
            }
        }
        Algo::Sha => {
            let to_do = (0..JOBS)
                .map(|_| executor.submit(sha, SHA_SIZE))
                .collect::<Result<Vec<_>, Error>>()?;
            for future in as_completed(&to_do) {
                let digest = future.result()?;
                if !quiet {
                    println!("{digest}");
                }
            }
        }
    }
    drop(executor); // the end of Python's `with` block: shut down, wait for the workers
    Ok((actual_workers, t0.elapsed()))
}

fn main() -> Result<(), Error> {
    concurrent_futures::init(); // in a worker process, this serves tasks and exits
    let cli = Cli::parse();
    if cli.table {
        println!("Workers  Run time  Speed-up");
        let mut first = None;
        for workers in 1..=4 {
            let (workers, elapsed) = run(cli.algo, Some(workers), true)?;
            let base = *first.get_or_insert(elapsed);
            let speed_up = base.as_secs_f64() / elapsed.as_secs_f64();
            println!(
                "{workers:7}  {:7.3}s  {speed_up:7.2}x",
                elapsed.as_secs_f64()
            );
        }
    } else {
        let (workers, elapsed) = run(cli.algo, cli.workers.map(NonZeroUsize::get), false)?;
        println!(
            "{workers} workers, elapsed time: {:.2}s",
            elapsed.as_secs_f64()
        );
    }
    Ok(())
}
