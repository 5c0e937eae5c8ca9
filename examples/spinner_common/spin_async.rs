//! The spinner as a coroutine, shared by `spinner_async`, `spinner_async_experiment`
//! and `spinner_prime_async`: the book's `async def spin(msg)` and `supervisor()`.

use std::future::Future;
use std::io::{self, Write};
use std::time::Duration;

/// The book's `async def spin(msg)`: a frame every 0.1 s, for as long as the task
/// lives. Python breaks out of the loop on `CancelledError` to blank the line; a tokio
/// task that is aborted is dropped at its `.await` instead, so the blanking lives in a
/// guard's `Drop` (and only a spinner that ever ran has a line to blank).
pub async fn spin(msg: &str) {
    let mut line = BlankOnDrop(String::new());
    for char in r"\|/-".chars().cycle() {
        line.0 = format!("\r{char} {msg}");
        print!("{}", line.0);
        io::stdout().flush().expect("stdout");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Blanks out the status line it holds, then puts the cursor back at its start.
struct BlankOnDrop(String);

impl Drop for BlankOnDrop {
    fn drop(&mut self) {
        let blanks = " ".repeat(self.0.len());
        print!("\r{blanks}\r");
        let _ = io::stdout().flush();
    }
}

/// The book's async `supervisor()`: starts the spinner task, prints it, awaits `work`,
/// then cancels the spinner (`spinner.cancel()`) and waits until it is gone, so that
/// its line is blanked before the caller prints the answer.
pub async fn supervise_with_spinner_task<T>(work: impl Future<Output = T>) -> T {
    let spinner = tokio::spawn(spin("thinking!"));
    println!("spinner object: {spinner:?}");
    let result = work.await;
    spinner.abort();
    let _cancelled = spinner.await; // Err(JoinError::Cancelled), as intended
    result
}
