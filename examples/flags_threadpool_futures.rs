//! The book's `flags_threadpool_futures.py`: `submit` and `as_completed` instead of
//! `map`, on the first 5 codes with 3 workers, printing the futures to show their states.
//!
//! ```text
//! $ cargo run --release --example flags_threadpool_futures
//! Scheduled for BR: <Future at 0x5581d3c0f2a0 state=running>
//! Scheduled for CN: <Future at 0x5581d3c0f3e0 state=running>
//! Scheduled for ID: <Future at 0x5581d3c0f520 state=running>
//! Scheduled for IN: <Future at 0x5581d3c0f660 state=pending>
//! Scheduled for US: <Future at 0x5581d3c0f7a0 state=pending>
//! CN <Future at 0x5581d3c0f3e0 state=finished returned String> result: "CN"
//! BR <Future at 0x5581d3c0f2a0 state=finished returned String> result: "BR"
//! ...
//! 5 downloads in 0.01s
//! ```
//!
//! With 3 workers, the first three futures may already be running when printed and the
//! last two wait in the queue (`pending`); the pool starts its threads lazily, so
//! a future scheduled before its thread got going shows `pending` too.
//!
//! What changes from the Python: the task returns `Result<String, FlagError>` and is
//! submitted with `submit_fallible`, so its `Err` fails the future as a Python
//! exception does (`result()` gives `Err(Error::Failed(..))`, holding the `FlagError`)
//! and a success shows as `returned String`.

mod flags_common;

use std::process::ExitCode;

use concurrent_futures::{as_completed, Error, ThreadPoolExecutor};
use flags_common::flags1::{self, download_one, Tally};
use flags_common::http::FlagError;
use flags_common::say;

fn download_many(cc_list: Vec<String>, base_url: &str) -> Result<Tally, concurrent_futures::Error> {
    let mut cc_list: Vec<String> = cc_list.into_iter().take(5).collect();
    cc_list.sort();
    let executor = ThreadPoolExecutor::with_max_workers(3)?;
    let mut to_do = Vec::new();
    let mut codes = Vec::new();
    // The schedule prints as one block, as in the book: a download that finishes
    // meanwhile (a local server answers in microseconds) waits to print its code.
    // Rust's stdout lock is reentrant, so `say!` here still prints.
    let schedule = std::io::stdout().lock();
    for cc in cc_list {
        let base_url = base_url.to_string();
        let task_cc = cc.clone();
        let future = executor.submit_fallible(move || download_one(&task_cc, &base_url))?;
        say!("Scheduled for {cc}: {future:?}");
        to_do.push(future);
        codes.push(cc);
    }
    drop(schedule);

    let mut tally = Tally::default();
    for future in as_completed(&to_do) {
        match future.result() {
            Ok(res) => {
                say!("{future:?} result: {res:?}");
                tally.downloaded += 1;
            }
            Err(error) => {
                let index = to_do.iter().position(|f| *f == future);
                let cc = index.map_or("??", |i| codes[i].as_str());
                let failed = match &error {
                    Error::Failed(failed) => failed.downcast_ref::<FlagError>().cloned(),
                    _ => None,
                };
                match failed {
                    Some(flag_error) => tally.record(cc, Err(flag_error)),
                    None => tally.fail(cc, &error, false),
                }
            }
        }
    }
    Ok(tally)
}

fn main() -> ExitCode {
    flags1::main(download_many)
}
