//! The book's `spinner_async_experiment.py` (Fluent Python 2nd ed., 19-7): what
//! happens when a coroutine blocks. `slow()` calls the blocking `std::thread::sleep`
//! (Python's `time.sleep(3)`) instead of awaiting `tokio::time::sleep`: the event loop's
//! one thread is stuck in it for 3 s, so the spinner task never gets to run. You see
//! the spinner object, nothing for 3 seconds, then `Answer: 42`; no frame at all.
//!
//! As the book explains: never block in a coroutine. The cures are to await an async
//! sleep (`spinner_async`), or to hand the blocking call to a pool and await its
//! future (`spinner_prime_async --mode process`).
//!
//! What Rust changes: the same as in `spinner_async`. The runtime is the
//! current-thread one on purpose: a multi-thread runtime would run the spinner on
//! another thread and hide the mistake, which is still a mistake there (it takes a
//! runtime thread away from every other task).
//!
//! ```text
//! cargo run --example spinner_async_experiment
//! ```

mod spinner_common;

use std::time::Duration;

use clap::Parser;

use spinner_common::spin_async::supervise_with_spinner_task;

/// A blocking sleep inside a coroutine keeps the spinner task from ever running.
#[derive(Parser, Debug)]
struct Cli {}

async fn slow() -> u32 {
    std::thread::sleep(Duration::from_secs(3)); // <- blocks the event loop
    42
}

async fn supervisor() -> u32 {
    supervise_with_spinner_task(slow()).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    Cli::parse();
    let result = supervisor().await;
    println!("Answer: {result}");
}
