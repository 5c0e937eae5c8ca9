//! The book's `flags_processpool.py`: `flags_threadpool` with the one-line switch from
//! threads to processes (`ProcessPoolExecutor`).
//!
//! ```text
//! $ cargo run --release --example flags_processpool
//! BD BR CN ... (in the order they land, printed by the worker processes)
//! 20 downloads in 0.07s
//! ```
//!
//! Downloading is I/O-bound, so processes bring nothing over threads here (the book's
//! point: the switch is one line, and for this job it is not worth it); they would for
//! CPU-bound work.
//!
//! What changes from the Python: the task is a plain `fn` whose argument and result
//! travel between processes (serde), so the base URL goes along with each code as a
//! tuple instead of living in a global, and the download's error comes back as a
//! `FlagError` value. `concurrent_futures::init()` must be the first line of `main`: in
//! a worker process it serves tasks and exits. The pool has `cpus` workers, Python's
//! default.

mod flags_common;

use std::process::ExitCode;

use concurrent_futures::ProcessPoolExecutor;
use flags_common::flags1::{self, Tally};
use flags_common::http::FlagError;

/// Runs in a worker process: no captures, serializable argument and result.
fn download_one((cc, base_url): (String, String)) -> Result<String, FlagError> {
    flags1::download_one(&cc, &base_url)
}

fn download_many(
    mut cc_list: Vec<String>,
    base_url: &str,
) -> Result<Tally, concurrent_futures::Error> {
    cc_list.sort();
    let executor = ProcessPoolExecutor::new();
    let jobs: Vec<(String, String)> = cc_list
        .iter()
        .map(|cc| (cc.clone(), base_url.to_string()))
        .collect();
    let res = executor.map(download_one, jobs)?;
    let mut tally = Tally::default();
    for (cc, result) in cc_list.iter().zip(res) {
        tally.record_task(cc, result);
    }
    Ok(tally)
}

fn main() -> ExitCode {
    concurrent_futures::init();
    flags1::main(download_many)
}
