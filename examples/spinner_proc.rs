//! The book's `spinner_proc.py` (Fluent Python 2nd ed., "Concurrency Models in
//! Python"): the spinner runs in a child *process* while the main process waits 3 s
//! for `slow()`, then the spinner line is cleared and `Answer: 42` printed.
//!
//! What Rust changes:
//! - `multiprocessing.Process(target=spin)` becomes this same executable started again
//!   (`std::env::current_exe()`) with `SPINNER_PROC_MESSAGE=thinking!` in its
//!   environment, which sends it to `spin_in_child` instead of `supervisor`.
//! - `multiprocessing.Event` becomes a pipe to the child's stdin: one byte is
//!   `spinner.start()`, closing the pipe is `done.set()` (see `spinner_common`).
//! - The spinner object is the `Debug` of the `std::process::Child` and its pid
//!   (Python prints `<Process name='Process-1' parent=14868 initial>`).
//!   `spinner.join()` is `Child::wait`.
//!
//! ```text
//! cargo run --example spinner_proc
//! ```

mod spinner_common;

use std::env;
use std::io;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use clap::Parser;

use spinner_common::{spin_in_child, supervise_with_spinner_process, SPINNER_ENV};

/// Animates a spinner in a child process while the main process waits for slow().
#[derive(Parser, Debug)]
struct Cli {}

fn slow() -> u32 {
    thread::sleep(Duration::from_secs(3));
    42
}

fn supervisor() -> io::Result<u32> {
    supervise_with_spinner_process(slow)
}

fn main() -> io::Result<ExitCode> {
    if let Some(msg) = env::var_os(SPINNER_ENV) {
        spin_in_child(&msg.to_string_lossy())?;
        return Ok(ExitCode::SUCCESS);
    }
    Cli::parse();
    let result = supervisor()?;
    println!("Answer: {result}");
    Ok(ExitCode::SUCCESS)
}
