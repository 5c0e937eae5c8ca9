//! The book's `proc_pool.py` on a cluster: the prime checker of `primes_proc_pool`, on
//! an `MpiPoolExecutor` (what mpi4py.futures' `MPIPoolExecutor` does for the Python
//! version). The output is the same as `primes_proc_pool`'s.
//!
//! World mode: `mpirun -n 3` starts three copies; `concurrent_futures::init()`, the
//! first line of `main`, makes ranks 1 and 2 serve tasks, and rank 0 runs the program
//! with them as its workers. Run alone, the pool spawns its worker ranks itself
//! (`argv[1]` of them, default 2).
//!
//! What Rust changes, beyond `primes_proc_pool`'s notes:
//! - Each worker rank runs its tasks in a local, crash-isolated process pool
//!   (`--local-workers`, default 1), so a task that crashes costs one task, not the
//!   job.
//!
//! ```text
//! cargo build --release --features mpi --example primes_mpi
//! mpirun -n 3 target/release/examples/primes_mpi           # world mode: 2 worker ranks
//! target/release/examples/primes_mpi 2                     # spawn mode: 2 worker ranks
//! ```

mod primes_common;

use std::num::NonZeroUsize;
use std::time::Instant;

use clap::Parser;
use concurrent_futures::{Error, MpiPoolExecutor};

use primes_common::{check, Inputs};

/// Checks 20 numbers for primality on an MpiPoolExecutor.
#[derive(Parser, Debug)]
struct Cli {
    /// How many worker ranks to spawn (world mode under mpirun: the other ranks).
    workers: Option<NonZeroUsize>,
    /// Worker processes per rank.
    #[arg(long, default_value_t = NonZeroUsize::MIN)]
    local_workers: NonZeroUsize,
    #[command(flatten)]
    inputs: Inputs,
}

fn main() -> Result<(), Error> {
    concurrent_futures::init(); // on a worker rank (or worker process): serves, exits
    let cli = Cli::parse();
    let mut builder = MpiPoolExecutor::builder().local_workers(cli.local_workers.get());
    if let Some(workers) = cli.workers {
        builder = builder.max_workers(workers.get());
    }
    let executor = builder.build()?;
    let actual_workers = executor.max_workers() * executor.local_workers();
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
