//! The book's `flags.py` (Fluent Python 2nd ed., ch. 20; 1st ed., ch. 17): download the
//! flags of the 20 most populous countries, one after the other.
//!
//! ```text
//! $ cargo run --release --example flags_server &        # the LOCAL server, port 8000
//! $ cargo run --release --example flags
//! BD BR CD CN DE EG ET FR ID IN IR JP MX NG PH PK RU TR US VN
//! 20 downloads in 0.05s
//! ```
//!
//! Against the DELAY server (`flags_server --port 8001 --delay 0.5..5.0`, then
//! `flags --server DELAY`) it takes the *sum* of the 20 delays; compare with
//! `flags_threadpool`, which takes about the longest one.
//!
//! What changes from the Python: `--server LABEL` / `--base-url URL` pick the server
//! (the book's script hard-codes the remote site, which this project cannot rely on),
//! and a failed download is reported on stderr with its code, then the next one is
//! tried, where Python stops at the first exception with a traceback. The exit status
//! is 1 if any download failed.

mod flags_common;

use std::process::ExitCode;

use flags_common::flags1::{self, show_progress, Tally, TIMEOUT};
use flags_common::http::{get_flag, save_flag, FlagError};

/// Downloads, saves and prints one flag after another.
fn download_many(
    mut cc_list: Vec<String>,
    base_url: &str,
) -> Result<Tally, concurrent_futures::Error> {
    cc_list.sort();
    let mut tally = Tally::default();
    for cc in &cc_list {
        let outcome = get_flag(base_url, cc, TIMEOUT).and_then(|image| {
            save_flag(&image, &format!("{cc}.gif"))?;
            show_progress(cc);
            Ok::<(), FlagError>(())
        });
        tally.record(cc, outcome);
    }
    Ok(tally)
}

fn main() -> ExitCode {
    flags1::main(download_many)
}
