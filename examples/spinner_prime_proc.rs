//! `spinner_proc` with real CPU work (Fluent Python 2nd ed., "Concurrency Models in
//! Python", the `is_prime` experiment): the spinner runs in a child process while the
//! main process checks `is_prime(5_000_111_000_222_021)`, then prints
//! `5,000,111,000,222,021 is prime`.
//!
//! With processes the spinner never competes with the check, in Python or in Rust.
//! What Rust changes is the same as in `spinner_proc` (a re-executed child, a pipe for
//! the `Event`), and the speed: the check takes well under a second instead of
//! CPython's ~3 s, so you may see only a frame or two. `--number` checks another
//! number.
//!
//! ```text
//! cargo run --example spinner_prime_proc
//! ```

mod primes_common;
mod spinner_common;

use std::env;
use std::io;
use std::process::ExitCode;

use clap::Parser;

use primes_common::{is_prime, with_commas};
use spinner_common::{spin_in_child, supervise_with_spinner_process, SPINNER_ENV};

/// Animates a spinner in a child process while the main process checks a big prime.
#[derive(Parser, Debug)]
struct Cli {
    /// The number to check.
    #[arg(long, default_value_t = 5_000_111_000_222_021)]
    number: u64,
}

fn supervisor(n: u64) -> io::Result<bool> {
    supervise_with_spinner_process(|| is_prime(n))
}

fn main() -> io::Result<ExitCode> {
    if let Some(msg) = env::var_os(SPINNER_ENV) {
        spin_in_child(&msg.to_string_lossy())?;
        return Ok(ExitCode::SUCCESS);
    }
    let n = Cli::parse().number;
    let result = supervisor(n)?;
    let msg = if result { "is" } else { "is not" };
    println!("{} {msg} prime", with_commas(n));
    Ok(ExitCode::SUCCESS)
}
