//! Turning a worker's answer into a completed future, without knowing its type.
//!
//! The pool's scheduler keeps tasks of every result type in one queue, as
//! `Box<dyn Completion>`; each knows how to decode its own result.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::entry::ItemError;
use super::protocol::Outcome;
use crate::future::Helper;
use crate::map::Batch;
use crate::{Error, Future, TaskError};

/// What a thread that must not run user callbacks leaves for the connection thread.
pub(crate) type Handoff = Box<dyn FnOnce() + Send>;

pub(crate) trait Completion: Send {
    /// Marks the future running; `false` if it was cancelled (then skip the task).
    fn start(&self) -> bool;
    /// The task was sent to a worker: waiting for its future can help `helper`.
    fn assigned(&self, helper: &Arc<dyn Helper>);
    /// Decodes the worker's answer and completes the future.
    fn finish(self: Box<Self>, outcome: Outcome);
    /// Like `finish`, in a thread that must not run done-callbacks (one helping in
    /// `result()`): if the future has callbacks, what is left to do is returned, for
    /// the connection thread.
    fn finish_here(self: Box<Self>, outcome: Outcome) -> Option<Handoff>;
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

    fn assigned(&self, helper: &Arc<dyn Helper>) {
        self.future.set_helper(Arc::clone(helper));
    }

    fn finish(self: Box<Self>, outcome: Outcome) {
        let result = self.decode(outcome);
        let _ = self.future.complete(result);
    }

    fn finish_here(self: Box<Self>, outcome: Outcome) -> Option<Handoff> {
        if self.future.has_callbacks() {
            return Some(Box::new(move || self.finish(outcome)));
        }
        let result = self.decode(outcome);
        // A callback added while the result was decoded: still not run here.
        let result = self.future.complete_without_callbacks(result).err()?;
        let future = self.future;
        Some(Box::new(move || {
            let _ = future.complete(result);
        }))
    }

    fn fail(self: Box<Self>, error: Error) {
        let _ = self.future.set_exception(error);
    }

    fn cancel(self: Box<Self>) {
        self.future.cancel();
    }
}

impl<T> Remote<T> {
    fn decode(&self, outcome: Outcome) -> Result<T, Error> {
        match outcome {
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
        }
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
