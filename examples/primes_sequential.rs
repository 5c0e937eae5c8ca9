//! The book's `sequential.py` (Fluent Python 2nd ed., "The Multicore Prime Checker"):
//! checks the 20 numbers one after the other, the baseline for the parallel versions.
//!
//! Each line is `{n:16}  {P or space} {elapsed:9.6}s`, in list order, then the total
//! time. The numbers, `is_prime` and the line format come from `primes_common`, which
//! every prime checker shares (the book's `primes.py`).
//!
//! What Rust changes: only the speed. The same trial division that takes CPython about
//! 15 s takes a release build about a second, so run it with `--release`:
//!
//! ```text
//! cargo run --release --example primes_sequential
//! cargo run --example primes_sequential -- --quick   # smaller numbers, any build
//! ```

mod primes_common;

use std::time::Instant;

use clap::Parser;

use primes_common::{check, Inputs};

/// Checks 20 numbers for primality, one after the other.
#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    inputs: Inputs,
}

fn main() {
    let cli = Cli::parse();
    let numbers = cli.inputs.numbers();
    println!("Checking {} numbers sequentially:", numbers.len());
    let t0 = Instant::now();
    for &n in numbers {
        println!("{}", check(n).line());
    }
    println!("Total time: {:.2}s", t0.elapsed().as_secs_f64());
}
