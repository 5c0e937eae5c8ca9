//! The book's `flags2_sequential.py`: the flags2 command line, error handling, progress
//! bar and reports, downloading one flag at a time.
//!
//! ```text
//! $ cargo run --release --example flags2_sequential -- -e
//! LOCAL site: http://localhost:8000/flags
//! Searching for 676 flags: from AA to ZZ
//! 1 connection will be used.
//! 100%|████████████████████████████| 676/676 [00:00:01<00:00:00, 574.5914/s]
//! --------------------
//! 194 flags downloaded.
//! 482 not found.
//! Elapsed time: 1.18s
//! ```
//!
//! `-v` prints a line per code instead of the bar (`BR OK`,
//! `ZZ not found: http://localhost:8000/flags/zz/zz.gif`,
//! `BR error: HTTP error 418 - I'm a Teapot`); `-s DELAY` / `-s ERROR` hit the other
//! test servers; `--help` lists every option. Ctrl-C stops after the download in
//! progress and still prints the report.
//!
//! What changes from the Python: `download_one` lives in the shared `flags_common`
//! module (the book's `flags2_threadpool.py` imports it from this file); errors are
//! `Result`s matched in the loop instead of `except` clauses; Ctrl-C cancels a future
//! that the loop checks, where Python raises `KeyboardInterrupt` inside the request.
//! `--base-url URL` is new: it overrides the label's URL.

mod flags_common;

use std::process::ExitCode;

use flags_common::flags2::{self, ctrl_c_future, download_one, progress_bar, Counter};

const DEFAULT_CONCUR_REQ: usize = 1;
const MAX_CONCUR_REQ: usize = 1;

fn download_many(
    cc_list: &[String],
    base_url: &str,
    verbose: bool,
    _unused_concur_req: usize,
) -> Result<Counter, concurrent_futures::Error> {
    let interrupt = ctrl_c_future();
    let mut counter = Counter::default();
    let mut cc_iter = cc_list.to_vec();
    cc_iter.sort();
    let bar = progress_bar(cc_iter.len(), verbose);
    for cc in &cc_iter {
        if interrupt.done() {
            bar.abandon();
            break;
        }
        let outcome = download_one(cc, base_url, verbose);
        counter.record(cc, outcome, verbose);
        bar.inc(1);
    }
    if !bar.is_finished() {
        bar.finish();
    }
    Ok(counter)
}

fn main() -> ExitCode {
    flags2::main(download_many, DEFAULT_CONCUR_REQ, MAX_CONCUR_REQ)
}
