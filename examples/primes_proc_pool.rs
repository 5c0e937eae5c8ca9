//! The book's `proc_pool.py` (Fluent Python 2nd ed., "Launching Processes with
//! concurrent.futures"): the prime checker on a `ProcessPoolExecutor`. Compare it with
//! `primes_procs`, which does the same by hand: the queues, the poison pills, the end
//! markers and the worker processes are all inside the executor now.
//!
//! The numbers are sorted in descending order and handed to `map`, which yields the
//! results in that order (so a slow number holds back the lines after it, though the
//! work goes on in parallel); then `Total time: 0.53s`. `argv[1]` is the number of
//! worker processes (default: the number of CPUs); `--quick` checks smaller numbers.
//!
//! What Rust changes:
//! - `concurrent_futures::init()` must be the first line of `main`: the executor starts
//!   its workers by running this same executable again, and in a worker `init()`
//!   serves tasks and exits instead of returning. (Python's `if __name__ ==
//!   '__main__':` guard plays that part for the `spawn` start method.)
//! - The task is a plain `fn(u64) -> PrimeResult`: its argument and result cross the
//!   process boundary through serde, as Python pickles them.
//! - `with executor:` is the executor's scope: dropping it shuts it down and waits for
//!   the workers.
//!
//! ```text
//! cargo run --release --example primes_proc_pool       # one worker per CPU
//! cargo run --release --example primes_proc_pool 1
//! ```

mod primes_common;

use std::num::NonZeroUsize;
use std::time::Instant;

use clap::Parser;
use concurrent_futures::{Error, ProcessPoolExecutor};

use primes_common::{check, Inputs};

/// Checks 20 numbers for primality on a ProcessPoolExecutor.
#[derive(Parser, Debug)]
struct Cli {
    /// How many worker processes (default: the number of CPUs).
    workers: Option<NonZeroUsize>,
    #[command(flatten)]
    inputs: Inputs,
}

fn main() -> Result<(), Error> {
    concurrent_futures::init(); // in a worker process, this serves tasks and exits
    let cli = Cli::parse();
    let executor = match cli.workers {
        Some(workers) => ProcessPoolExecutor::with_max_workers(workers.get())?,
        None => ProcessPoolExecutor::new(),
    };
    let actual_workers = executor.max_workers();
    let mut numbers = cli.inputs.numbers().to_vec();

    println!(
        "Checking {} numbers with {actual_workers} processes:",
        numbers.len()
    );
    let t0 = Instant::now();
    numbers.sort_unstable_by(|a, b| b.cmp(a));
    for result in executor.map(check, numbers)? {
        println!("{}", result?.line());
    }
    drop(executor); // the end of Python's `with executor:` block
    println!("Total time: {:.2}s", t0.elapsed().as_secs_f64());
    Ok(())
}
