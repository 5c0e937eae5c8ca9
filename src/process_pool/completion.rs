//! Turning a worker's answer into a completed future, without knowing its type.
//!
//! The pool's scheduler keeps tasks of every result type in one queue, as
//! `Box<dyn Completion>`; each knows how to decode its own result.

use serde::de::DeserializeOwned;

use super::entry::ItemError;
use super::protocol::Outcome;
use crate::map::Batch;
use crate::{Error, Future, TaskError};

pub(crate) trait Completion: Send {
    /// Marks the future running; `false` if it was cancelled (then skip the task).
    fn start(&self) -> bool;
    /// Decodes the worker's answer and completes the future.
    fn finish(self: Box<Self>, outcome: Outcome);
    /// Fails the future.
    fn fail(self: Box<Self>, error: Error);
    /// Cancels the future if it has not started.
    fn cancel(self: Box<Self>);
}

fn outcome_error(outcome: Outcome) -> Error {
    match outcome {
        Outcome::Returned(_) => unreachable!("only called for failures"),
        Outcome::Panicked(message) => Error::Panicked { message },
        Outcome::Failed(message) => Error::Failed(TaskError::from_message(message)),
        Outcome::Serialization(why) => Error::Serialization(why),
        Outcome::Refused(why) => Error::Serialization(why),
    }
}

/// A task's future and how to decode its result: `decode_one` for a `submit`,
/// `decode_chunk` for a chunk of a `map`.
pub(crate) struct Remote<T> {
    pub(crate) future: Future<T>,
    pub(crate) decode: fn(&[u8]) -> Result<T, Error>,
}

impl<T: Send + Sync + 'static> Completion for Remote<T> {
    fn start(&self) -> bool {
        self.future.set_running_or_notify_cancel() == Ok(true)
    }

    fn finish(self: Box<Self>, outcome: Outcome) {
        let result = match outcome {
            // `Deserialize` is user code and may panic: that fails this future only.
            Outcome::Returned(bytes) => {
                let decode = self.decode;
                std::panic::catch_unwind(|| decode(&bytes)).unwrap_or_else(|payload| {
                    let why = Error::from_panic(payload);
                    Err(Error::Serialization(format!(
                        "decoding the result panicked: {why}"
                    )))
                })
            }
            failure => Err(outcome_error(failure)),
        };
        let _ = self.future.complete(result);
    }

    fn fail(self: Box<Self>, error: Error) {
        let _ = self.future.set_exception(error);
    }

    fn cancel(self: Box<Self>) {
        self.future.cancel();
    }
}

/// The result of one `submit`: a postcard `R`.
pub(crate) fn decode_one<R: DeserializeOwned>(bytes: &[u8]) -> Result<R, Error> {
    postcard::from_bytes(bytes)
        .map_err(|e| Error::Serialization(format!("could not decode the result: {e}")))
}

/// The results of one chunk of a `map`: a postcard `Vec<Result<R, ItemError>>`.
pub(crate) fn decode_chunk<R: DeserializeOwned>(bytes: &[u8]) -> Result<Batch<R>, Error> {
    let items: Vec<Result<R, ItemError>> = postcard::from_bytes(bytes)
        .map_err(|e| Error::Serialization(format!("could not decode the results: {e}")))?;
    let items: Vec<Result<R, Error>> = items.into_iter().map(|r| r.map_err(Error::from)).collect();
    Ok(parking_lot::Mutex::new(items.into_iter()))
}
