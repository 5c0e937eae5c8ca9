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
use std::io::{self, Write};
use std::process::{Command, ExitCode, Stdio};
use std::thread;
use std::time::Duration;

use clap::Parser;

use spinner_common::{spin_in_child, SPINNER_ENV};

/// Animates a spinner in a child process while the main process waits for slow().
#[derive(Parser, Debug)]
struct Cli {}

fn slow() -> u32 {
    thread::sleep(Duration::from_secs(3));
    42
}

fn supervisor() -> io::Result<u32> {
    let mut spinner = Command::new(env::current_exe()?)
        .env(SPINNER_ENV, "thinking!")
        .stdin(Stdio::piped())
        .spawn()?;
    println!("spinner object: {spinner:?}, pid {}", spinner.id());
    let mut done = spinner.stdin.take().expect("the spinner's stdin is piped");
    done.write_all(b"s")?; // spinner.start()
    let result = slow();
    drop(done); // done.set()
    let status = spinner.wait()?; // spinner.join()
    if !status.success() {
        return Err(io::Error::other(format!("the spinner failed: {status}")));
    }
    Ok(result)
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
