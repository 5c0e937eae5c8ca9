//! The book's `flags2_asyncio.py` (Fluent Python 2nd ed., ch. 20; 1st ed., 17-11):
//! `flags2_threadpool`'s command line, reports and exit codes, with the downloads as
//! coroutines on one thread. A semaphore caps the requests in flight at `-m` (30 by
//! default, as `flags2_threadpool`'s; the book's is 5), and each image is saved on a
//! thread pool, awaited: the book's
//! `await asyncio.to_thread(save_flag, ...)`.
//!
//! ```text
//! $ cargo run --release --example flags2_asyncio -- -s DELAY a b c
//! DELAY site: http://localhost:8001/flags
//! Searching for 78 flags: from AA to CZ
//! 30 concurrent connections will be used.
//! --------------------
//!  23 flags downloaded.
//!  48 not found.
//!   7 errors.
//! Elapsed time: 3.13s
//! ```
//!
//! What Rust changes:
//! - `asyncio.run` is a single-threaded tokio runtime, `httpx.AsyncClient` a
//!   `reqwest::Client`, `asyncio.Semaphore` tokio's `Semaphore`, and
//!   `asyncio.as_completed` over coroutines is a `FuturesUnordered` stream.
//! - `asyncio.to_thread(save_flag, ...)` is `ThreadPoolExecutor::submit(...)` and an
//!   `.await` on the `Future` it returns: the event loop goes on while a thread writes.
//! - Ctrl-C cancels a `Future` that the loop awaits beside the downloads (the same
//!   `ctrl_c_future` as the other flags2 clients), where Python raises
//!   `KeyboardInterrupt`. The loop stops, the requests in flight are dropped, and the
//!   report counts what had finished.
//! - Errors are values: `download_one` returns the status or the error, and the loop
//!   counts it; a 404 is a status (`not found`), as in the book.

mod flags_common;

use std::future::IntoFuture;
use std::pin::pin;
use std::process::ExitCode;

use concurrent_futures::ThreadPoolExecutor;
use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Semaphore;

use flags_common::flags2::{
    self, ctrl_c_future, not_found, progress_bar, Counter, DownloadStatus, TIMEOUT,
};
use flags_common::http::{save_flag, FlagError};
use flags_common::{event_loop, http_async, say};

/// The book's is 5; this port uses `flags2_threadpool`'s 30, so that the two styles
/// compare like for like when run with the same arguments.
const DEFAULT_CONCUR_REQ: usize = 30;
const MAX_CONCUR_REQ: usize = 1000;

/// What one download needs besides its code: the book's `client`, `base_url`,
/// `semaphore` and `verbose` arguments, plus the thread pool that saves the files.
struct Downloads<'a> {
    client: reqwest::Client,
    base_url: &'a str,
    semaphore: Semaphore,
    saver: ThreadPoolExecutor,
    verbose: bool,
}

impl Downloads<'_> {
    /// The book's async `download_one`: at most `-m` GETs at once (the semaphore),
    /// then the save on a thread, awaited.
    async fn download_one(&self, cc: &str) -> Result<DownloadStatus, FlagError> {
        let fetched = {
            let _permit = self.semaphore.acquire().await.expect("never closed");
            http_async::get_flag(&self.client, self.base_url, cc, TIMEOUT).await
        };
        let (status, msg) = match fetched {
            Ok(image) => {
                let filename = format!("{cc}.gif");
                let saving = self.saver.submit(move || save_flag(&image, &filename));
                let saved = saving.map_err(|error| FlagError::Save(error.to_string()))?;
                saved
                    .await
                    .map_err(|error| FlagError::Save(error.to_string()))??;
                (DownloadStatus::Ok, "OK".to_string())
            }
            Err(error) => not_found(error)?,
        };
        if self.verbose {
            say!("{cc} {msg}");
        }
        Ok(status)
    }
}

async fn supervisor(
    cc_list: &[String],
    base_url: &str,
    verbose: bool,
    concur_req: usize,
) -> Result<Counter, concurrent_futures::Error> {
    let interrupt = ctrl_c_future();
    let downloads = Downloads {
        client: http_async::client(),
        base_url,
        semaphore: Semaphore::new(concur_req),
        saver: ThreadPoolExecutor::builder()
            .thread_name_prefix("save_flag")
            .build()?,
        verbose,
    };
    let mut sorted = cc_list.to_vec();
    sorted.sort();
    let downloads = &downloads;
    let mut to_do: FuturesUnordered<_> = (sorted.iter())
        .map(|cc| async move { (cc, downloads.download_one(cc).await) })
        .collect();
    let bar = progress_bar(cc_list.len(), verbose);
    let mut counter = Counter::default();
    let mut interrupted = pin!((&interrupt).into_future());
    loop {
        tokio::select! {
            biased;
            _ = &mut interrupted => {
                bar.abandon();
                break;
            }
            next = to_do.next() => match next {
                Some((cc, outcome)) => {
                    counter.record(cc, outcome, verbose);
                    bar.inc(1);
                }
                None => break,
            },
        }
    }
    if !bar.is_finished() {
        bar.finish();
    }
    Ok(counter)
}

fn download_many(
    cc_list: &[String],
    base_url: &str,
    verbose: bool,
    concur_req: usize,
) -> Result<Counter, concurrent_futures::Error> {
    event_loop::run(supervisor(cc_list, base_url, verbose, concur_req))?
}

fn main() -> ExitCode {
    flags2::main(download_many, DEFAULT_CONCUR_REQ, MAX_CONCUR_REQ)
}
