//! `map` for every executor: results in input order, as a lazy iterator.
//!
//! An executor turns the input into *units* (one item for threads, a chunk of items for
//! processes), each with a future whose value is the unit's results. [`Map`] waits for
//! the units in order and hands the results out one by one. Python's behaviours, and
//! its later fixes, are kept:
//! - every item is submitted when `map` is called, unless a `buffersize` bounds how many
//!   units are in flight (CPython 3.14), which makes infinite inputs work;
//! - a failed item yields `Err` and the iteration goes on (CPython gh-108518);
//! - the timeout counts from the call to `map`; when it runs out the iterator yields
//!   `Err(Error::Timeout)`, cancels what has not started and ends;
//! - dropping the iterator cancels the units that have not started, once it has been
//!   advanced: like Python's generator, whose `finally` only runs if it started, an
//!   iterator that was never advanced cancels nothing, so `pool.map(f, items)?;` run
//!   for its side effects does run every item (CPython's test for issue 11777).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::{Error, Future};

/// Options for `map_with` on either executor (Python's `timeout`, `chunksize` and
/// `buffersize` arguments).
///
/// ```
/// use std::time::Duration;
/// use concurrent_futures::{MapOptions, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
/// // An endless input in bounded memory: at most 4 items in flight at a time.
/// let squares = pool
///     .map_with(|n: u64| n * n, 0.., MapOptions::new().buffersize(4))
///     .unwrap();
/// let first: Vec<u64> = squares.take(5).map(Result::unwrap).collect();
/// assert_eq!(first, [0, 1, 4, 9, 16]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct MapOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) buffersize: Option<usize>,
    pub(crate) chunksize: Option<usize>,
}

impl MapOptions {
    /// No timeout, everything submitted at once, one item per task.
    pub fn new() -> MapOptions {
        MapOptions::default()
    }

    /// Give up waiting `timeout` after the call to `map_with`: the iterator then yields
    /// `Err(Error::Timeout)` and ends.
    pub fn timeout(mut self, timeout: Duration) -> MapOptions {
        self.timeout = Some(timeout);
        self
    }

    /// Keep at most `buffersize` tasks (or chunks) in flight, pulling more input only
    /// as results are consumed. Must be at least 1.
    pub fn buffersize(mut self, buffersize: usize) -> MapOptions {
        self.buffersize = Some(buffersize);
        self
    }

    /// Send `chunksize` items per task to a process pool (fewer, larger messages).
    /// Must be at least 1. The thread pool accepts and ignores it, as Python's does.
    pub fn chunksize(mut self, chunksize: usize) -> MapOptions {
        self.chunksize = Some(chunksize);
        self
    }

    /// Checks the values, as Python's `map` does before submitting anything.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.buffersize == Some(0) {
            return Err(Error::InvalidArgument(
                "buffersize must be at least 1".into(),
            ));
        }
        if self.chunksize == Some(0) {
            return Err(Error::InvalidArgument(
                "chunksize must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// The results of one unit, handed out one at a time, each item's own `Result` (one
/// item of a process pool's chunk can fail alone). The `Mutex` lets `Map` move the
/// results out through the `&` that `Future::result` gives, without a `Clone` bound.
pub(crate) type Batch<R> = Mutex<std::vec::IntoIter<Result<R, Error>>>;

/// One submitted unit of a map: a future for `items` consecutive results.
pub(crate) struct Unit<R> {
    pub(crate) future: Future<Batch<R>>,
    pub(crate) items: usize,
}

/// Submits the next unit of input; `None` when the input is exhausted.
pub(crate) type Feed<'a, R> = Box<dyn FnMut() -> Option<Result<Unit<R>, Error>> + Send + 'a>;

/// The iterator `map` returns: `Result<R, Error>` per input item, in input order.
///
/// Dropping it after the first `next()` cancels the tasks that have not started yet;
/// dropping it unused leaves every submitted task to run, as Python does.
pub struct Map<'a, R> {
    units: VecDeque<Unit<R>>,
    /// The unit whose results are being handed out, and how many are left in it.
    draining: Option<(Unit<R>, usize)>,
    /// More input to submit, while a `buffersize` holds it back.
    feed: Option<Feed<'a, R>>,
    /// Why the feed stopped early, to be yielded after the units already submitted.
    feed_error: Option<Error>,
    deadline: Option<Instant>,
    ended: bool,
    /// Whether `next` was ever called: only then does dropping cancel (see above).
    advanced: bool,
}

impl<'a, R> Map<'a, R> {
    /// Submits the first units (all of them without a buffersize) and returns the
    /// iterator. A failure to submit cancels what was submitted and is returned.
    pub(crate) fn start(
        options: &MapOptions,
        started: Instant,
        mut feed: Feed<'a, R>,
    ) -> Result<Map<'a, R>, Error> {
        let deadline = options.timeout.and_then(|t| started.checked_add(t));
        let mut units = VecDeque::new();
        let limit = options.buffersize.unwrap_or(usize::MAX);
        while units.len() < limit {
            match feed() {
                None => break,
                Some(Ok(unit)) => units.push_back(unit),
                Some(Err(error)) => {
                    for unit in &units {
                        unit.future.cancel();
                    }
                    return Err(error);
                }
            }
        }
        let feed = if options.buffersize.is_some() {
            Some(feed)
        } else {
            None
        };
        Ok(Map {
            units,
            draining: None,
            feed,
            feed_error: None,
            deadline,
            ended: false,
            advanced: false,
        })
    }

    /// Submits one more unit if a buffersize holds input back.
    fn refill(&mut self) {
        let Some(feed) = self.feed.as_mut() else {
            return;
        };
        match feed() {
            Some(Ok(unit)) => self.units.push_back(unit),
            None => self.feed = None,
            Some(Err(error)) => {
                // Reported after the units before it; no more input is taken, since
                // the executor would refuse it too (it was shut down or broke).
                self.feed_error = Some(error);
                self.feed = None;
            }
        }
    }

    fn cancel_all(&mut self) {
        for unit in &self.units {
            unit.future.cancel();
        }
        self.units.clear();
        self.feed = None;
    }
}

impl<R> Iterator for Map<'_, R> {
    type Item = Result<R, Error>;

    fn next(&mut self) -> Option<Result<R, Error>> {
        self.advanced = true;
        if self.ended {
            return None;
        }
        if self.draining.is_none() {
            self.refill();
            let Some(unit) = self.units.pop_front() else {
                self.ended = true;
                return self.feed_error.take().map(Err);
            };
            let items = unit.items;
            self.draining = Some((unit, items));
        }
        let (unit, left) = self.draining.as_mut().expect("set above");
        let outcome = match self.deadline {
            None => unit.future.result(),
            Some(deadline) => unit
                .future
                .result_timeout(deadline.saturating_duration_since(Instant::now())),
        };
        let item = match outcome {
            Ok(batch) => match batch.lock().next() {
                Some(item) => item,
                None => Err(Error::InvalidState(
                    "a map task returned too few results".into(),
                )),
            },
            Err(Error::Timeout) => {
                self.ended = true;
                unit.future.cancel();
                self.draining = None;
                self.cancel_all();
                return Some(Err(Error::Timeout));
            }
            Err(error) => Err(error),
        };
        *left -= 1;
        if *left == 0 {
            self.draining = None;
        }
        Some(item)
    }
}

impl<R> Drop for Map<'_, R> {
    fn drop(&mut self) {
        if self.advanced {
            self.cancel_all();
        }
    }
}

impl<R> std::fmt::Debug for Map<'_, R> {
    /// Like Python's `<generator object result_iterator at 0x…>`, plus what is in flight.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "<map iterator at {:p}: {} pending",
            self,
            self.units.len()
        )?;
        if self.feed.is_some() {
            f.write_str(", more input to come")?;
        }
        f.write_str(">")
    }
}
