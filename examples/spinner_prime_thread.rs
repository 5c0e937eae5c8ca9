//! The book's `spinner_prime_thread.py` (Fluent Python 2nd ed., "Concurrency Models in
//! Python"): `spinner_thread` with real CPU work, `is_prime(5_000_111_000_222_021)`,
//! instead of a 3 s sleep; prints `5,000,111,000,222,021 is prime`.
//!
//! In the book this is the GIL experiment: the spinner thread keeps spinning, because
//! CPython switches threads every few milliseconds, but it steals time from the
//! computing thread. In Rust both threads run in parallel on separate cores, and the
//! check takes well under a second in any build instead of CPython's ~3 s, so you may
//! see only one or two spinner frames. `--number` checks another number, e.g.
//! `--number 9999999999999917`.
//!
//! ```text
//! cargo run --example spinner_prime_thread
//! ```

mod primes_common;
mod spinner_common;

use clap::Parser;

use primes_common::{is_prime, with_commas};
use spinner_common::supervise_with_spinner_thread;

/// Animates a spinner in a thread while the main thread checks a big prime.
#[derive(Parser, Debug)]
struct Cli {
    /// The number to check.
    #[arg(long, default_value_t = 5_000_111_000_222_021)]
    number: u64,
}

fn supervisor(n: u64) -> bool {
    supervise_with_spinner_thread(|| is_prime(n))
}

fn main() {
    let n = Cli::parse().number;
    let result = supervisor(n);
    let msg = if result { "is" } else { "is not" };
    println!("{} {msg} prime", with_commas(n));
}
