//! Turning a worker's answer into a completed future, without knowing its type.
//!
//! The pool's scheduler keeps tasks of every result type in one queue, as
//! `Box<dyn Completion>`; each knows how to decode its own result.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use super::entry::ItemError;
use super::protocol::Outcome;
use crate::map::Batch;
use crate::{Error, Future};

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
        Outcome::Serialization(why) => Error::Serialization(why),
        Outcome::Refused(why) => Error::Serialization(why),
    }
}

/// The future of one `submit`.
pub(crate) struct Single<R> {
    pub(crate) future: Future<R>,
}

impl<R> Completion for Single<R>
where
    R: DeserializeOwned + Send + Sync + 'static,
{
    fn start(&self) -> bool {
        self.future.set_running_or_notify_cancel() == Ok(true)
    }

    fn finish(self: Box<Self>, outcome: Outcome) {
        let result = match outcome {
            Outcome::Returned(bytes) => postcard::from_bytes::<R>(&bytes)
                .map_err(|e| Error::Serialization(format!("could not decode the result: {e}"))),
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

/// The future of one chunk of a `map`: a result per item.
pub(crate) struct Chunk<R> {
    pub(crate) future: Future<Batch<R>>,
    pub(crate) _results: PhantomData<fn() -> R>,
}

impl<R> Completion for Chunk<R>
where
    R: DeserializeOwned + Send + Sync + 'static,
{
    fn start(&self) -> bool {
        self.future.set_running_or_notify_cancel() == Ok(true)
    }

    fn finish(self: Box<Self>, outcome: Outcome) {
        let result = match outcome {
            Outcome::Returned(bytes) => postcard::from_bytes::<Vec<Result<R, ItemError>>>(&bytes)
                .map(|items| {
                    let items: Vec<Result<R, Error>> = items
                        .into_iter()
                        .map(|item| item.map_err(Error::from))
                        .collect();
                    parking_lot::Mutex::new(items.into_iter())
                })
                .map_err(|e| Error::Serialization(format!("could not decode the results: {e}"))),
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
