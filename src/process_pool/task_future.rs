//! A task's future with its result type erased, and how a worker's outcome becomes
//! its result.
//!
//! The pool keeps tasks of every result type in one queue, as `Box<dyn TaskFuture>`;
//! each knows how to decode its own result.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::wire::outcome::Outcome;
use super::wire::trampoline::ItemError;
use crate::future::Fetcher;
use crate::map::{Batch, Feed, Unit};
use crate::{Error, Future, TaskError};

/// The future of a task in the pool, whatever its result type.
pub(crate) trait TaskFuture: Send {
    /// Marks the future running; `false` if it was cancelled (then skip the task).
    fn start(&self) -> bool;
    /// The task was sent to a worker: a thread waiting for its future may fetch the
    /// result through `fetcher`.
    fn sent_to(&self, fetcher: &Arc<dyn Fetcher>);
    /// Decodes the worker's answer and completes the future.
    fn finish(self: Box<Self>, outcome: Outcome);
    /// Like `finish`, in a thread that must not run done-callbacks (one fetching in
    /// `result()`): if the future has callbacks, it is given back with its result,
    /// for the supervisor thread to finish.
    fn finish_here(self: Box<Self>, outcome: Outcome) -> Option<Unfinished>;
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

/// A future whose result decoding was left to the supervisor thread, with the
/// outcome it is to be completed with.
pub(crate) struct Unfinished(Box<dyn FnOnce() + Send>);

impl Unfinished {
    pub(crate) fn finish(self) {
        (self.0)()
    }
}

/// A task's future and how to decode its result: `decode_one` for a `submit`,
/// `decode_chunk` for a chunk of a `map`.
pub(crate) struct TypedTaskFuture<T> {
    pub(crate) future: Future<T>,
    pub(crate) decode: fn(&[u8]) -> Result<T, Error>,
}

impl<T: Send + Sync + 'static> TaskFuture for TypedTaskFuture<T> {
    fn start(&self) -> bool {
        self.future.set_running_or_notify_cancel() == Ok(true)
    }

    fn sent_to(&self, fetcher: &Arc<dyn Fetcher>) {
        self.future.set_fetcher(Arc::clone(fetcher));
    }

    fn finish(self: Box<Self>, outcome: Outcome) {
        let result = self.decode(outcome);
        let _ = self.future.complete(result);
    }

    fn finish_here(self: Box<Self>, outcome: Outcome) -> Option<Unfinished> {
        if self.future.has_callbacks() {
            return Some(Unfinished(Box::new(move || self.finish(outcome))));
        }
        let result = self.decode(outcome);
        // A callback added while the result was decoded: still not run here.
        let result = self.future.complete_without_callbacks(result).err()?;
        let future = self.future;
        Some(Unfinished(Box::new(move || {
            let _ = future.complete(result);
        })))
    }

    fn fail(self: Box<Self>, error: Error) {
        let _ = self.future.set_exception(error);
    }

    fn cancel(self: Box<Self>) {
        self.future.cancel();
    }
}

impl<T> TypedTaskFuture<T> {
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

/// A `map`'s feed over `items`: each chunk of `chunksize` items goes to `send` with the
/// task future that decodes its results into a future made by `new_future` (a process
/// pool's or an MPI pool's kind).
pub(crate) fn chunk_feed<'a, A, R, I, S>(
    items: I,
    chunksize: usize,
    new_future: fn() -> Future<Batch<R>>,
    mut send: S,
) -> Feed<'a, R>
where
    I: Iterator<Item = A> + Send + 'a,
    R: DeserializeOwned + Send + Sync + 'static,
    S: FnMut(&[A], Box<dyn TaskFuture>) -> Result<(), Error> + Send + 'a,
{
    let mut items = items;
    Box::new(move || {
        let chunk: Vec<A> = items.by_ref().take(chunksize).collect();
        if chunk.is_empty() {
            return None;
        }
        let future = new_future();
        let task_future = Box::new(TypedTaskFuture {
            future: future.clone(),
            decode: decode_chunk::<R>,
        });
        let unit = Unit {
            future,
            items: chunk.len(),
        };
        Some(send(&chunk, task_future).map(|()| unit))
    })
}
