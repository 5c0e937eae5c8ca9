//! The book's quiz (Fluent Python 2nd ed., "Concurrency Models in Python"): the async
//! spinner with real CPU work, `is_prime(5_000_111_000_222_021)`, on one event loop.
//! Prints `5,000,111,000,222,021 is prime`. Three ways, chosen with `--mode`:
//!
//! - `nap` (the default, the book's `spinner_prime_async_nap.py`): `is_prime` is an
//!   async fn that yields to the loop every 50,000 iterations, the book's
//!   `await asyncio.sleep(0)`, so the spinner gets a turn between slices of the loop.
//! - `broken` (`spinner_prime_async_broken.py`): the plain `is_prime` called inside the
//!   coroutine. It never yields, so the spinner never runs: the quiz's answer.
//! - `process`, the Rust answer: the check runs in a `ProcessPoolExecutor` worker and
//!   the coroutine awaits its `Future`, so the loop is free the whole time and the
//!   check runs at full speed on another core (crash-isolated, too: a worker that
//!   dies fails this future, not the program).
//!
//! What Rust changes: the same as in `spinner_async`; and the check takes about a
//! second in any build instead of CPython's ~3 s, so you may see only a few frames.
//! `--number` checks another number.
//!
//! ```text
//! cargo run --example spinner_prime_async -- --mode process
//! ```

mod primes_common;
mod spinner_common;

use clap::{Parser, ValueEnum};
use concurrent_futures::{Error, ProcessPoolExecutor};

use primes_common::{is_prime, isqrt, with_commas};
use spinner_common::spin_async::supervise_with_spinner_task;

/// Iterations of the odd-divisor loop between two naps.
const ITERATIONS_PER_NAP: u64 = 50_000;

/// How the coroutine checks the number.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Mode {
    /// An async is_prime that yields every 50,000 iterations
    Nap,
    /// The blocking is_prime inside the coroutine: the spinner never runs
    Broken,
    /// Awaits is_prime running in a ProcessPoolExecutor worker
    Process,
}

/// Animates a spinner task while a coroutine checks a big prime.
#[derive(Parser, Debug)]
struct Cli {
    /// The number to check.
    #[arg(long, default_value_t = 5_000_111_000_222_021)]
    number: u64,
    /// How the check shares the event loop with the spinner.
    #[arg(long, value_enum, default_value_t = Mode::Nap)]
    mode: Mode,
}

/// The book's `spinner_prime_async_nap.is_prime`: `is_prime` with a nap every
/// `ITERATIONS_PER_NAP` iterations.
async fn is_prime_with_naps(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    if n == 2 {
        return true;
    }
    if n.is_multiple_of(2) {
        return false;
    }
    let root = isqrt(n);
    let mut i = 3;
    while i <= root {
        if n.is_multiple_of(i) {
            return false;
        }
        // i runs over the odd numbers: i % 100_000 == 1 every 50,000 of them.
        if i % (2 * ITERATIONS_PER_NAP) == 1 {
            tokio::task::yield_now().await; // asyncio.sleep(0)
        }
        i += 2;
    }
    true
}

async fn check(n: u64, mode: Mode) -> Result<bool, Error> {
    match mode {
        Mode::Nap => Ok(is_prime_with_naps(n).await),
        Mode::Broken => Ok(is_prime(n)),
        Mode::Process => {
            let pool = ProcessPoolExecutor::with_max_workers(1)?;
            pool.submit(is_prime, n)?.await
        }
    }
}

fn main() -> Result<(), Error> {
    concurrent_futures::init(); // in a worker process: serves the check and exits
    let cli = Cli::parse();
    // `asyncio.run(supervisor(...))`, started after `init()` so that a worker process
    // never builds a runtime.
    let event_loop = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|error| Error::BrokenExecutor {
            reason: format!("cannot start the event loop: {error}"),
        })?;
    let prime = event_loop.block_on(supervise_with_spinner_task(check(cli.number, cli.mode)))?;
    let msg = if prime { "is" } else { "is not" };
    println!("{} {msg} prime", with_commas(cli.number));
    Ok(())
}
