//! Python's `concurrent.futures` for Rust.
#![deny(missing_docs)]
// The process pool's examples must show `fn main` with `init()` as its first line.
#![allow(clippy::needless_doctest_main)]

mod error;
mod future;
mod map;
mod process_pool;
mod thread_pool;
mod wait;

pub use error::{Error, ExitCause};
pub use future::{Future, FutureState};
pub use map::{Map, MapOptions};
pub use process_pool::{init, ProcessPoolBuilder, ProcessPoolExecutor};
pub use thread_pool::{ThreadPoolBuilder, ThreadPoolExecutor};
pub use wait::{
    as_completed, as_completed_timeout, wait, AsCompleted, AsCompletedTimeout, DoneAndNotDone,
    ReturnWhen,
};
