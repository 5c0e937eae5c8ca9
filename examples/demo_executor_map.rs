//! The book's `demo_executor_map.py` (Fluent Python, "Concurrent Executors"): what
//! `map` does on a pool of three threads.
//!
//! Five tasks sleep 0..5 seconds. Three start at once; each later one starts as a
//! thread frees up. The results still come back in input order: `result 0` waits only
//! for `loiter(0)`, but `result 4` has to wait for `loiter(4)`, which started last.
//!
//! Run it with `cargo run --example demo_executor_map` (about 5 seconds).

use std::thread::sleep;
use std::time::Duration;

use concurrent_futures::ThreadPoolExecutor;

/// Prints its arguments after a `[HH:MM:SS]` timestamp, like the book's `display`.
macro_rules! display {
    ($($arg:tt)*) => {
        println!("{} {}", chrono::Local::now().format("[%H:%M:%S]"), format!($($arg)*))
    };
}

fn loiter(n: u64) -> u64 {
    let indent = "\t".repeat(n as usize);
    display!("{indent}loiter({n}): doing nothing for {n}s...");
    sleep(Duration::from_secs(n));
    display!("{indent}loiter({n}): done.");
    n * 10
}

fn main() -> Result<(), concurrent_futures::Error> {
    display!("Script starting.");
    let executor = ThreadPoolExecutor::with_max_workers(3)?;
    let results = executor.map(loiter, 0..5)?;
    display!("results: {results:?}");
    display!("Waiting for individual results:");
    for (i, result) in results.enumerate() {
        display!("result {i}: {}", result?);
    }
    Ok(())
}
