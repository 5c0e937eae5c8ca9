//! Python's `concurrent.futures` for Rust.
#![deny(missing_docs)]

mod error;
mod future;
mod map;
mod thread_pool;
mod wait;

pub use error::{Error, ExitCause};
pub use future::{Future, FutureState};
pub use map::{Map, MapOptions};
pub use thread_pool::{ThreadPoolBuilder, ThreadPoolExecutor};
pub use wait::{
    as_completed, as_completed_timeout, wait, AsCompleted, AsCompletedTimeout, DoneAndNotDone,
    ReturnWhen,
};
