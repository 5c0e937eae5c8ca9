//! Code shared by the flag downloader examples, written once (the book's `flags.py` and
//! `flags2_common.py` play this part for the Python versions).
//!
//! Each example includes it with `mod flags_common;` and uses only the part it needs,
//! hence the `dead_code` allowance below.
//!
//! - [`codes`]: `POP20_CC`, the 194 codes with a flag, AA..ZZ;
//! - [`http`]: the server labels, `get_flag`, `save_flag` and the error type;
//! - [`http_async`]: the async `get_flag` of the asyncio clients;
//! - [`event_loop`]: their `asyncio.run`;
//! - [`flags1`]: the `main` of `flags`, `flags_threadpool`, `flags_threadpool_futures`
//!   and `flags_processpool` (the book's `flags.main`);
//! - [`flags2`]: the command line, reports, `download_one`, progress bar and Ctrl-C
//!   handling of `flags2_sequential`, `flags2_threadpool` and `flags2_asyncio`
//!   (`flags2_common.py`);
//! - [`gif`]: the made-up flag images that `flags_server` serves.
#![allow(dead_code)]

/// `println!` that ignores a closed stdout (as in `flags2_sequential -v | head`)
/// instead of panicking in the middle of the downloads.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
#[allow(unused_imports)] // the server example prints through it, not all do
pub(crate) use say;

pub mod codes;
pub mod event_loop;
pub mod flags1;
pub mod flags2;
pub mod gif;
pub mod http;
pub mod http_async;
