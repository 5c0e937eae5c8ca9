//! How a task ended, as the worker reports it, and the signature of the code that
//! runs a task in the worker (a trampoline) and produces that report.

use serde::{Deserialize, Serialize};

/// How a task ended, from the worker's side.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub(crate) enum Outcome {
    /// The postcard-encoded result.
    Returned(Vec<u8>),
    /// The task panicked with this message.
    Panicked(String),
    /// A fallible task returned `Err`; this is the error's message.
    Failed(String),
    /// The argument could not be decoded or the result encoded.
    Serialization(String),
    /// The entry point's tag did not check out: the frame was not made by this pool.
    Refused(String),
}

/// A trampoline: decodes the argument, runs the user's function, encodes the result
/// (see `wire/trampoline.rs`).
pub(crate) type TaskFn = fn(&[u8]) -> Outcome;
