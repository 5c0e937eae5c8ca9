//! The book's `spinner_thread.py` (Fluent Python 2nd ed., "Concurrency Models in
//! Python"): a thread animates a `\|/-` spinner while the main thread waits 3 s for
//! `slow()`, then the spinner line is cleared and `Answer: 42` printed.
//!
//! What Rust changes:
//! - `Thread(target=spin)` creates a thread and `start()` runs it; `thread::spawn`
//!   does both. To print the spinner object before the spinner writes anything, as
//!   the book does, the supervisor holds the stdout lock while spawning and printing.
//!   The object is the `Debug` of the `std::thread::Thread` handle (Python prints
//!   `<Thread(Thread-1, initial)>`).
//! - The `Event` is a channel: dropping its sender is `done.set()` (see
//!   `spinner_common`), and `spinner.join()` returns the thread's result (a panic in
//!   the spinner would show up here as an `Err`).
//!
//! ```text
//! cargo run --example spinner_thread
//! ```

mod spinner_common;

use std::thread;
use std::time::Duration;

use clap::Parser;

use spinner_common::supervise_with_spinner_thread;

/// Animates a spinner in a thread while the main thread waits for slow().
#[derive(Parser, Debug)]
struct Cli {}

fn slow() -> u32 {
    thread::sleep(Duration::from_secs(3));
    42
}

fn supervisor() -> u32 {
    supervise_with_spinner_thread(slow)
}

fn main() {
    Cli::parse();
    let result = supervisor();
    println!("Answer: {result}");
}
