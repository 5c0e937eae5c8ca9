//! The book's `flags_threadpool.py`: the 20 downloads of `flags`, run concurrently with
//! `ThreadPoolExecutor::map`. Only `download_many` changes.
//!
//! ```text
//! $ cargo run --release --example flags_threadpool -- --server DELAY
//! CN IN US ID ... (in the order they land)
//! 20 downloads in 4.93s
//! ```
//!
//! Against the DELAY server this takes about the longest single delay instead of the
//! sum of all 20: the threads spend their time waiting on the network, not computing.
//!
//! What changes from the Python: the pool has `min(20, codes)` workers, as in the
//! book's 1st edition (`MAX_WORKERS = 20`). The 2nd edition's `ThreadPoolExecutor()`
//! default, `min(32, cpus + 4)`, would give only 6 threads on a 2-core machine, and
//! I/O-bound downloads are not limited by cores. `map` yields a `Result` per code; a
//! failed download is reported with its code and the others still count, where
//! Python's `list(res)` re-raises the first exception.

mod flags_common;

use std::process::ExitCode;

use concurrent_futures::ThreadPoolExecutor;
use flags_common::flags1::{self, download_one, Tally};

/// The 1st edition's cap on the number of threads.
const MAX_WORKERS: usize = 20;

fn download_many(
    mut cc_list: Vec<String>,
    base_url: &str,
) -> Result<Tally, concurrent_futures::Error> {
    cc_list.sort();
    let workers = MAX_WORKERS.min(cc_list.len()).max(1);
    let executor = ThreadPoolExecutor::with_max_workers(workers)?;
    let base_url = base_url.to_string();
    let res = executor.map(
        move |cc: String| download_one(&cc, &base_url),
        cc_list.clone(),
    )?;
    let mut tally = Tally::default();
    for (cc, result) in cc_list.iter().zip(res) {
        tally.record_task(cc, result);
    }
    Ok(tally)
}

fn main() -> ExitCode {
    flags1::main(download_many)
}
