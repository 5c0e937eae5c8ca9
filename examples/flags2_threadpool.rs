//! The book's `flags2_threadpool.py`: `flags2_sequential` with up to 1000 concurrent
//! downloads (30 by default), using `submit`, `as_completed` and the `to_do_map` idiom,
//! a `HashMap` from each future to its country code.
//!
//! ```text
//! $ cargo run --release --example flags2_threadpool -- -s DELAY a b c
//! DELAY site: http://localhost:8001/flags
//! Searching for 78 flags: from AA to CZ
//! 30 concurrent connections will be used.
//! --------------------
//!  25 flags downloaded.
//!  53 not found.
//! Elapsed time: 8.46s
//! ```
//!
//! The progress bar (stderr) advances as futures complete; `-v` prints a line per code
//! instead. With `-s DELAY` some requests take longer than the 3.1 s timeout and count
//! as errors, as in the book. Ctrl-C cancels the downloads that have not started,
//! counts those in flight as they end (at most the 3.1 s timeout) and prints the report.
//!
//! What changes from the Python: Ctrl-C cancels a future that `as_completed` watches
//! alongside the downloads (futures from anywhere, of any result type, mix: each is
//! watched as an `AnyFuture`), so the loop wakes up at once;
//! Python raises `KeyboardInterrupt` in the loop. Queued downloads are then cancelled
//! (`shutdown(false, true)`), where Python's `with` block would still run them all
//! after its `break`, uncounted.

mod flags_common;

use std::collections::HashMap;
use std::process::ExitCode;

use concurrent_futures::{as_completed, AnyFuture, Future, ThreadPoolExecutor};
use flags_common::flags2::{
    self, ctrl_c_future, download_one, progress_bar, Counter, DownloadStatus,
};
use flags_common::http::FlagError;

const DEFAULT_CONCUR_REQ: usize = 30;
const MAX_CONCUR_REQ: usize = 1000;

/// What each download task returns.
type Outcome = Result<DownloadStatus, FlagError>;

fn download_many(
    cc_list: &[String],
    base_url: &str,
    verbose: bool,
    concur_req: usize,
) -> Result<Counter, concurrent_futures::Error> {
    let interrupt = ctrl_c_future();
    let mut counter = Counter::default();
    let executor = ThreadPoolExecutor::with_max_workers(concur_req)?;
    let mut to_do_map: HashMap<Future<Outcome>, String> = HashMap::new();
    let mut sorted = cc_list.to_vec();
    sorted.sort();
    for cc in sorted {
        let (task_cc, base_url) = (cc.clone(), base_url.to_string());
        let future = executor.submit(move || download_one(&task_cc, &base_url, verbose))?;
        to_do_map.insert(future, cc);
    }
    let bar = progress_bar(cc_list.len(), verbose);
    let mut remaining = to_do_map.len();
    // The downloads and the interrupt have different result types: watch them all as
    // `AnyFuture`s. The interrupt completes only on Ctrl-C, so the loop counts the
    // downloads and stops when they are all done.
    let watched: Vec<AnyFuture> = (to_do_map.keys().map(Future::erase_type))
        .chain([interrupt.erase_type()])
        .collect();
    for done in as_completed(&watched) {
        if done == interrupt {
            // Cancel the downloads not yet started; those in flight still get counted.
            executor.shutdown(false, true);
            bar.abandon();
            continue;
        }
        remaining -= 1;
        let future = done
            .downcast::<Outcome>()
            .expect("every other future is a download");
        if !future.cancelled() {
            let outcome = match future.result() {
                Ok(outcome) => outcome.clone(),
                // The task could not finish (it panicked): count it as an error too.
                Err(error) => Err(FlagError::Request(error.to_string())),
            };
            let cc = &to_do_map[&future];
            counter.record(cc, outcome, verbose);
            bar.inc(1);
        }
        if remaining == 0 {
            break;
        }
    }
    if !bar.is_finished() {
        bar.finish();
    }
    Ok(counter)
}

fn main() -> ExitCode {
    flags2::main(download_many, DEFAULT_CONCUR_REQ, MAX_CONCUR_REQ)
}
