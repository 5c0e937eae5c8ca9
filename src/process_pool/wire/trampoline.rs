//! The trampolines: monomorphised functions, one per (function, argument, result)
//! type, that run in the worker. Each decodes the argument, runs the user's function
//! (conjured from its zero-sized type), catches its panic and encodes what it returned.
//! The pool sends a trampoline's [`Entry`](super::entry::Entry), never the user's
//! function itself.

use std::panic::{catch_unwind, AssertUnwindSafe};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::entry::conjure;
use super::outcome::Outcome;
use crate::error::panic_message;
use crate::Error;

/// A per-item failure inside a chunk, sent back in place of that item's result.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum ItemError {
    Panicked(String),
    Serialization(String),
}

impl From<ItemError> for Error {
    fn from(error: ItemError) -> Error {
        match error {
            ItemError::Panicked(message) => Error::Panicked { message },
            ItemError::Serialization(why) => Error::Serialization(why),
        }
    }
}

/// Runs one task: `arg` is a postcard `A`; the result a postcard `R`.
pub(crate) fn call_one<F, A, R>(arg: &[u8]) -> Outcome
where
    F: Fn(A) -> R + Copy,
    A: DeserializeOwned,
    R: Serialize,
{
    run_decoded(arg, |arg: A| Ok(conjure::<F>()(arg)))
}

/// Runs one fallible task: like [`call_one`], but the function's `Err` is sent back as
/// its message (the error value itself cannot cross the process boundary).
pub(crate) fn call_fallible<F, A, R, E>(arg: &[u8]) -> Outcome
where
    F: Fn(A) -> Result<R, E> + Copy,
    A: DeserializeOwned,
    R: Serialize,
    E: std::fmt::Display,
{
    run_decoded(arg, |arg: A| conjure::<F>()(arg).map_err(|e| e.to_string()))
}

/// Decodes `arg`, runs `task` on it with its panic caught, and encodes its result; an
/// `Err` from `task` is the message of an error it returned.
fn run_decoded<A, R>(arg: &[u8], task: impl FnOnce(A) -> Result<R, String>) -> Outcome
where
    A: DeserializeOwned,
    R: Serialize,
{
    let arg: A = match postcard::from_bytes(arg) {
        Ok(arg) => arg,
        Err(e) => return Outcome::Serialization(format!("could not decode the argument: {e}")),
    };
    match catch_unwind(AssertUnwindSafe(|| task(arg))) {
        Ok(Ok(result)) => match postcard::to_allocvec(&result) {
            Ok(bytes) => Outcome::Returned(bytes),
            Err(e) => Outcome::Serialization(format!("could not encode the result: {e}")),
        },
        Ok(Err(message)) => Outcome::Failed(message),
        Err(payload) => Outcome::Panicked(panic_message(payload)),
    }
}

/// Runs one chunk of a `map`: `arg` is a postcard `Vec<A>`; the result a postcard
/// `Vec<Result<R, ItemError>>`, so that one item's panic costs only that item.
pub(crate) fn call_chunk<F, A, R>(arg: &[u8]) -> Outcome
where
    F: Fn(A) -> R + Copy,
    A: DeserializeOwned,
    R: Serialize,
{
    let items: Vec<A> = match postcard::from_bytes(arg) {
        Ok(items) => items,
        Err(e) => return Outcome::Serialization(format!("could not decode the arguments: {e}")),
    };
    let function = conjure::<F>();
    let results: Vec<Result<R, ItemError>> = items
        .into_iter()
        .map(|item| {
            catch_unwind(AssertUnwindSafe(|| function(item)))
                .map_err(|payload| ItemError::Panicked(panic_message(payload)))
        })
        .collect();
    if let Ok(bytes) = postcard::to_allocvec(&results) {
        return Outcome::Returned(bytes);
    }
    // Some item's result does not encode: fail just those items, keep the others.
    let results: Vec<Result<R, ItemError>> = results
        .into_iter()
        .map(|result| match result {
            Ok(value) => match postcard::to_allocvec(&value) {
                Ok(_) => Ok(value),
                Err(e) => Err(ItemError::Serialization(format!(
                    "could not encode the result: {e}"
                ))),
            },
            Err(error) => Err(error),
        })
        .collect();
    match postcard::to_allocvec(&results) {
        Ok(bytes) => Outcome::Returned(bytes),
        Err(e) => Outcome::Serialization(format!("could not encode the chunk's results: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process_pool::wire::outcome::TaskFn;

    fn typed<F: Fn(u8) -> u8 + Copy>(_: F) -> TaskFn {
        call_one::<F, u8, u8>
    }

    #[test]
    fn bad_arguments_and_panics_are_outcomes() {
        fn same(n: u64) -> u64 {
            n
        }
        fn typed_u64<F: Fn(u64) -> u64 + Copy>(_: F) -> TaskFn {
            call_one::<F, u64, u64>
        }
        // Eleven continuation bytes: no u64 varint is that long.
        let garbage = typed_u64(same)(&[0xff; 11]);
        assert!(matches!(garbage, Outcome::Serialization(_)));
        fn boom(_: u8) -> u8 {
            panic!("boom")
        }
        let outcome = typed(boom)(&postcard::to_allocvec(&1_u8).unwrap());
        assert_eq!(outcome, Outcome::Panicked("boom".into()));
    }

    #[test]
    fn a_fallible_task_reports_its_error_message() {
        fn parse(text: String) -> Result<u8, std::num::ParseIntError> {
            text.parse()
        }
        fn typed<F: Fn(String) -> Result<u8, std::num::ParseIntError> + Copy>(_: F) -> TaskFn {
            call_fallible::<F, String, u8, std::num::ParseIntError>
        }
        let bad = typed(parse)(&postcard::to_allocvec("x").unwrap());
        assert_eq!(bad, Outcome::Failed("invalid digit found in string".into()));
        let good = typed(parse)(&postcard::to_allocvec("7").unwrap());
        assert_eq!(good, Outcome::Returned(vec![7]));
    }
}
