//! The book's `flags_asyncio.py` (Fluent Python 2nd ed., ch. 20, "three styles"): the
//! 20 downloads of `flags`, all at once, on one thread, with one shared async HTTP
//! client. Only `download_many` changes; the output is the same as `flags`'s.
//!
//! ```text
//! $ cargo run --release --example flags_asyncio -- --server DELAY
//! CN IN US ID ... (in the order they land)
//! 20 downloads in 4.93s
//! ```
//!
//! What Rust changes: `asyncio.run(supervisor(...))` is a single-threaded tokio
//! runtime (`flags_common::event_loop`), `httpx.AsyncClient` is a `reqwest::Client`,
//! and `asyncio.gather` is `futures::future::join_all`: it keeps the input order, so
//! `download_many` can zip the results with the codes. A failed download is reported
//! with its code and the others still count (Python's `gather` raises the first
//! exception). Saving a 1 KB file blocks the loop for microseconds, as in the book;
//! `flags2_asyncio` hands the saving to a thread pool.

mod flags_common;

use std::process::ExitCode;

use flags_common::flags1::{self, show_progress, Tally, TIMEOUT};
use flags_common::http::{save_flag, FlagError};
use flags_common::{event_loop, http_async};

async fn download_one(client: &reqwest::Client, base_url: &str, cc: &str) -> Result<(), FlagError> {
    let image = http_async::get_flag(client, base_url, cc, TIMEOUT).await?;
    save_flag(&image, &format!("{cc}.gif"))?;
    show_progress(cc);
    Ok(())
}

async fn supervisor(cc_list: &[String], base_url: &str) -> Tally {
    let client = http_async::client();
    let to_do = cc_list.iter().map(|cc| download_one(&client, base_url, cc));
    let res = futures::future::join_all(to_do).await;
    let mut tally = Tally::default();
    for (cc, outcome) in cc_list.iter().zip(res) {
        tally.record(cc, outcome);
    }
    tally
}

fn download_many(
    mut cc_list: Vec<String>,
    base_url: &str,
) -> Result<Tally, concurrent_futures::Error> {
    cc_list.sort();
    event_loop::run(supervisor(&cc_list, base_url))
}

fn main() -> ExitCode {
    flags1::main(download_many)
}
