//! The book's `spinner_async.py` (Fluent Python 2nd ed., "Concurrency Models in
//! Python", 19-4 and 19-5): the spinner is a task on the event loop; `supervisor`
//! awaits `slow()` (a 3 s `sleep`, awaited), then cancels the spinner and prints
//! `Answer: 42`.
//!
//! What Rust changes:
//! - `asyncio.run(supervisor())` is a single-threaded tokio runtime, and
//!   `asyncio.create_task` is `tokio::spawn`; the task object printed is its
//!   `JoinHandle` (Python prints `<Task pending name='Task-2' coro=<spin() ...>>`).
//! - `spinner.cancel()` is `abort()`. Python's `spin` catches `CancelledError` to blank
//!   its line; an aborted tokio task is dropped where it waits, so the blanking is a
//!   guard's `Drop` (see `spinner_common::spin_async`), and the supervisor awaits the
//!   aborted handle so that the line is clean before the answer is printed.
//!
//! ```text
//! cargo run --example spinner_async
//! ```

mod spinner_common;

use std::time::Duration;

use clap::Parser;

use spinner_common::spin_async::supervise_with_spinner_task;

/// Animates a spinner task while the supervisor awaits slow().
#[derive(Parser, Debug)]
struct Cli {}

async fn slow() -> u32 {
    tokio::time::sleep(Duration::from_secs(3)).await;
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
