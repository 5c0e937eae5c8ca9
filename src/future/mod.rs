//! [`Future<T>`]: the result of a task that may not have finished yet.
//!
//! A future is a shared cell with a small state machine, exactly Python's:
//!
//! ```text
//!   Pending ──set_running_or_notify_cancel──▶ Running ──set_result / set_exception──▶ Finished
//!      │                                                                                ▲
//!      ├──────────────────────────────set_result / set_exception────────────────────────┘
//!      └──cancel──▶ Cancelled
//! ```
//!
//! The state is one atomic word. Every transition into a done state, and every
//! registration of a listener, happens under one lock (`Inner::shared`); a worker
//! starting the task (Pending → Running) is a lock-free compare-and-swap that the
//! other transitions out of Pending also go through. So the races between `cancel`, a
//! worker starting the task, the task completing and `add_done_callback` all reduce to
//! "exactly one compare-and-swap wins" and "whoever takes the lock first wins"; see
//! `docs/architecture.md` ("Why the races are safe") and the loom models.
//!
//! The outcome lives in a [`OnceLock`] beside the lock: written once, under the lock,
//! before the state says Finished, then only read. That is what lets
//! [`Future::result`] hand out `&T` without cloning and without holding any lock.

mod any;
mod awaiting;
mod blocking;
mod completion;
#[cfg(all(test, concurrent_futures_loom))]
mod loom_tests;
mod repr;
mod state;
mod task;
mod wakers;

pub use any::{AnyFuture, Erased};
pub use awaiting::{AwaitOwned, AwaitRef};
pub use state::FutureState;
pub(crate) use task::FutureTask;

use std::hash::{Hash, Hasher};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::task::Waker;
use std::time::{Duration, Instant};

use smallvec::SmallVec;

use crate::sync::{AtomicU8, Mutex, MutexGuard};
use crate::wait::waiter::Waiter;
use crate::Error;
use wakers::Wakers;

/// A way for a thread waiting in [`Future::result`] to fetch the result itself, so
/// that it arrives sooner, instead of sleeping until another thread delivers it.
///
/// A process pool's future gets one when its task is sent to a worker: the reader of
/// that worker's result pipe, which the waiting thread then reads itself while a short
/// task's result is due (see `process_pool::parent::results`). That takes the worker's
/// supervisor thread off the round trip: two parties (the waiter and the worker)
/// instead of three on a two-core machine.
pub(crate) trait Fetcher: Send + Sync {
    /// Works for a short while, awake, until `done()` says `true`, nothing more can be
    /// done here, or `deadline` passes. Never runs done-callbacks.
    fn fetch(&self, done: &dyn Fn() -> bool, deadline: Option<Instant>);
}

/// A callback registered with [`Future::add_done_callback`].
type Callback<T> = Box<dyn FnOnce(&Future<T>) + Send + 'static>;

/// The handle to the eventual result of a task (Python's `concurrent.futures.Future`).
///
/// Executors hand these out from `submit`; you query them ([`done`](Future::done),
/// [`state`](Future::state)), wait for them ([`result`](Future::result),
/// [`result_timeout`](Future::result_timeout), [`crate::as_completed`], [`crate::wait`]),
/// await them from async code (`(&fut).await`, see [`AwaitRef`]), cancel them
/// ([`cancel`](Future::cancel)) or ask to be called back
/// ([`add_done_callback`](Future::add_done_callback)).
///
/// A `Future` is a cheap, clonable *handle*: clones refer to the same task, compare equal
/// and hash alike (identity, like Python objects), so a `HashMap<Future<T>, V>` maps each
/// task to data about it, the book's `to_do_map` idiom. Its `Debug` output mimics
/// Python's repr: `<Future at 0x55d0c2a0 state=finished returned u64>`.
/// [`erase_type`](Future::erase_type) gives an [`AnyFuture`], the same future with its
/// result type forgotten, so that futures of different types can be waited on together.
///
/// ```
/// use concurrent_futures::{FutureState, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
/// let fut = pool.submit(|| 6 * 7).unwrap();
/// assert_eq!(fut.result(), Ok(&42));       // blocks until the task is done
/// assert!(fut.done());
/// assert_eq!(fut.state(), FutureState::Finished);
/// assert!(!fut.cancel());                  // too late: it already ran
/// assert!(format!("{fut:?}").ends_with("state=finished returned i32>"));
/// ```
pub struct Future<T> {
    /// The shared state, behind a trait object for two reasons. An [`AnyFuture`] is a
    /// `Future<Erased>` whose state is a view of a typed future's (see `any.rs`), so
    /// every operation dispatches through [`SharedState`]. And clippy's
    /// `mutable_key_type` looks through `Arc` into the fields of a concrete type and
    /// would flag every `HashMap<Future<T>, _>` (the book's idiom) for the locks inside,
    /// although hashing only uses the address; it cannot look into a `dyn`. The one
    /// indirect call per access costs about a nanosecond.
    inner: Arc<dyn SharedState<T>>,
}

/// Everything a [`Future`] handle does with its shared state. Implemented by the typed
/// cell [`Inner`] and by the type-erased view `any::View`. Operations that may run
/// callbacks get the handle (`me`), since callbacks are called with it.
trait SharedState<T>: Send + Sync {
    /// The typed cell, for the executor's side; `None` for an erased view.
    fn typed(&self) -> Option<&Inner<T>>;
    /// The address of the typed cell: a future's identity, shared by its views.
    fn address(&self) -> usize;
    fn state(&self) -> FutureState;
    fn outcome(&self) -> Option<Result<&T, Error>>;
    fn wait_done(&self, timeout: Option<Duration>) -> bool;
    fn cancel(&self, me: &Future<T>) -> bool;
    fn set_running_or_notify_cancel(&self, me: &Future<T>) -> Result<bool, Error>;
    fn add_done_callback(&self, me: &Future<T>, callback: Callback<T>);
    fn add_waiter(&self, waiter: &Arc<Waiter>, key: usize) -> bool;
    fn remove_waiter(&self, waiter: &Arc<Waiter>);
    fn raised(&self) -> bool;
    /// Whether an await stays awake a moment before leaving its waker.
    fn await_awake(&self) -> bool;
    fn register_waker(&self, slot: &mut Option<usize>, waker: &Waker) -> bool;
    fn remove_waker(&self, slot: usize);
    fn erase_type(&self, me: &Future<T>) -> AnyFuture;
    /// The typed handle behind an erased view, as `&Future<U>` in a `dyn Any`.
    fn typed_handle(&self) -> Option<&dyn std::any::Any>;
    fn fmt_debug(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result;
}

struct Inner<T> {
    /// The listeners; every transition takes this lock.
    shared: Mutex<Shared<T>>,
    /// The state (a `FutureState`), read without a lock, so that `done()` and friends
    /// never block. Changed into a done state only under `shared`'s lock; Pending →
    /// Running is a lock-free compare-and-swap (see `completion.rs`).
    state: AtomicU8,
    /// `Ok(value)` or the task's error; set exactly once, under `shared`'s lock, before
    /// the state says Finished (a cancelled future has none). The error is boxed to
    /// keep futures small: a future is allocated per task, and most succeed.
    outcome: OnceLock<Result<T, Box<Error>>>,
    /// How a waiter stays awake a moment before sleeping, for a result about to come.
    wait_awake: WaitAwake,
}

/// Who waits awake, briefly, before sleeping (see [`crate::spin`]), by who completes
/// the future.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WaitAwake {
    /// A process pool's future: `result()` fetches from the worker's pipe instead (see
    /// [`Fetcher`]), and an await sleeps at once: awake, it would take the CPU from the
    /// supervisor thread that completes the future (28 µs a round trip instead of 8 µs
    /// on two cores, `benches/async_await.rs`).
    Never,
    /// A future made with [`Future::new`]: `result()` waits awake a moment; an await
    /// sleeps at once, since nothing says that the result is near.
    InResult,
    /// A thread pool's future: `result()` waits awake a moment, and so does an await,
    /// by yielding to its runtime (see `awaiting.rs`): a short task's result comes
    /// sooner than a sleeping thread could be woken.
    InResultAndAwait,
    /// An MPI pool's future: `result()` waits awake for a cluster's round trip
    /// ([`crate::spin::CLUSTER_WAIT_AWAKE_LIMIT`]); an await sleeps at once.
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    InResultLong,
}

struct Shared<T> {
    /// Who to tell when the future is done.
    listeners: Listeners<T>,
}

/// Who listens to a future. Most futures have nobody, or one `as_completed` / `wait`
/// watching them: those two cases take no allocation. Anything more (callbacks, a
/// fetcher, wakers, a second waiter) moves into a boxed [`ListenerLists`].
enum Listeners<T> {
    Nobody,
    /// The waiter and the key it knows this future by. A `u32` key costs no space
    /// (the variant fits beside the pointer); a larger one goes to the lists.
    OneWaiter(Arc<Waiter>, u32),
    Lists(Box<ListenerLists<T>>),
}

struct ListenerLists<T> {
    callbacks: Vec<Callback<T>>,
    /// Who can bring this future's result closer while a thread waits for it: the
    /// link to the process-pool worker its task was sent to (see [`Fetcher`]).
    fetcher: Option<Arc<dyn Fetcher>>,
    /// `as_completed` / `wait` calls watching this future, each with the key it
    /// knows this future by.
    waiters: SmallVec<[(Arc<Waiter>, usize); 1]>,
    /// The async tasks awaiting this future (see `awaiting.rs`), and the threads
    /// blocked in `result()`, each with a waker that unparks it (`blocking.rs`).
    wakers: Wakers,
}

impl<T> Listeners<T> {
    /// The lists, made (and the lone waiter moved into them) if needed.
    fn lists(&mut self) -> &mut ListenerLists<T> {
        if !matches!(self, Listeners::Lists(_)) {
            let mut lists = Box::new(ListenerLists {
                callbacks: Vec::new(),
                fetcher: None,
                waiters: SmallVec::new(),
                wakers: Wakers::default(),
            });
            if let Listeners::OneWaiter(waiter, key) = std::mem::replace(self, Listeners::Nobody) {
                lists.waiters.push((waiter, key as usize));
            }
            *self = Listeners::Lists(lists);
        }
        match self {
            Listeners::Lists(lists) => lists,
            _ => unreachable!("made just above"),
        }
    }

    /// The lists, if there are any.
    fn existing_lists(&mut self) -> Option<&mut ListenerLists<T>> {
        match self {
            Listeners::Lists(lists) => Some(lists),
            _ => None,
        }
    }

    fn add_waiter(&mut self, waiter: &Arc<Waiter>, key: usize) {
        match (&self, u32::try_from(key)) {
            (Listeners::Nobody, Ok(small)) => {
                *self = Listeners::OneWaiter(Arc::clone(waiter), small);
            }
            _ => self.lists().waiters.push((Arc::clone(waiter), key)),
        }
    }

    fn remove_waiter(&mut self, waiter: &Arc<Waiter>) {
        match self {
            Listeners::OneWaiter(lone, _) if Arc::ptr_eq(lone, waiter) => {
                *self = Listeners::Nobody;
            }
            Listeners::Lists(lists) => lists.waiters.retain(|(w, _)| !Arc::ptr_eq(w, waiter)),
            _ => {}
        }
    }

    fn has_callbacks(&self) -> bool {
        matches!(self, Listeners::Lists(lists) if !lists.callbacks.is_empty())
    }
}

impl<T: Send + Sync + 'static> Future<T> {
    /// A new future in the `Pending` state, for code that implements an executor.
    ///
    /// Executors complete it through [`set_running_or_notify_cancel`],
    /// [`set_result`] and [`set_exception`]; users normally get futures from `submit`.
    ///
    /// [`set_running_or_notify_cancel`]: Future::set_running_or_notify_cancel
    /// [`set_result`]: Future::set_result
    /// [`set_exception`]: Future::set_exception
    pub fn new() -> Future<T> {
        Future::waiting(WaitAwake::InResult)
    }

    /// A future that a process pool completes: waiting for it does not spin on
    /// `done()`. It fetches from the worker's pipe instead, once its task is sent
    /// (see [`Fetcher`]), and otherwise sleeps at once.
    pub(crate) fn new_remote() -> Future<T> {
        Future::waiting(WaitAwake::Never)
    }

    /// A future that an MPI pool completes: waiting for it stays awake for about a
    /// cluster's round trip.
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    pub(crate) fn new_cluster() -> Future<T> {
        Future::waiting(WaitAwake::InResultLong)
    }

    fn waiting(wait_awake: WaitAwake) -> Future<T> {
        Future {
            inner: Arc::new(Inner::new(wait_awake)),
        }
    }
}

impl<T> Future<T> {
    /// The typed cell, for the executor's side that only pools and `Future::new`'s
    /// owners use. Pools only ever hold the typed futures they created.
    fn inner(&self) -> &Inner<T> {
        self.inner
            .typed()
            .expect("executors complete typed futures, never an AnyFuture view")
    }

    /// The current state. Never blocks.
    pub fn state(&self) -> FutureState {
        self.inner.state()
    }

    /// `true` if the task finished (with a value or an error) or was cancelled.
    /// Never blocks.
    pub fn done(&self) -> bool {
        self.state().is_done()
    }

    /// `true` while a worker is running the task. Never blocks.
    pub fn running(&self) -> bool {
        self.state() == FutureState::Running
    }

    /// `true` if the future was cancelled. Never blocks.
    pub fn cancelled(&self) -> bool {
        self.state() == FutureState::Cancelled
    }

    /// Waits for the task and returns a reference to its value, or its error.
    ///
    /// Can be called any number of times, from any handle. A cancelled future gives
    /// `Err(Error::Cancelled)`, a task that panicked `Err(Error::Panicked { .. })`.
    /// From async code, await the future instead: `(&fut).await` (see [`AwaitRef`]).
    pub fn result(&self) -> Result<&T, Error> {
        self.inner.wait_done(None);
        self.outcome_now().expect("a done future has an outcome")
    }

    /// Like [`result`](Future::result), but gives up after `timeout` with
    /// `Err(Error::Timeout)`. The task is not affected: it goes on running.
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrent_futures::{Error, Future};
    ///
    /// let never_started: Future<u8> = Future::new();
    /// assert_eq!(never_started.result_timeout(Duration::from_millis(1)), Err(Error::Timeout));
    /// ```
    pub fn result_timeout(&self, timeout: Duration) -> Result<&T, Error> {
        if !self.inner.wait_done(Some(timeout)) {
            return Err(Error::Timeout);
        }
        self.outcome_now().expect("a done future has an outcome")
    }

    /// Waits for the task and returns its error, if it failed (Python's `exception()`).
    ///
    /// `Ok(None)` if the task returned a value, `Ok(Some(error))` if it failed, and
    /// `Err(Error::Cancelled)` if the future was cancelled.
    pub fn exception(&self) -> Result<Option<Error>, Error> {
        self.inner.wait_done(None);
        Self::exception_of(self.outcome_now().expect("a done future has an outcome"))
    }

    /// Like [`exception`](Future::exception), but gives up after `timeout` with
    /// `Err(Error::Timeout)`.
    pub fn exception_timeout(&self, timeout: Duration) -> Result<Option<Error>, Error> {
        if !self.inner.wait_done(Some(timeout)) {
            return Err(Error::Timeout);
        }
        Self::exception_of(self.outcome_now().expect("a done future has an outcome"))
    }

    fn exception_of(outcome: Result<&T, Error>) -> Result<Option<Error>, Error> {
        match outcome {
            Ok(_) => Ok(None),
            Err(Error::Cancelled) => Err(Error::Cancelled),
            Err(error) => Ok(Some(error)),
        }
    }

    /// The outcome if the future is done, without waiting.
    fn outcome_now(&self) -> Option<Result<&T, Error>> {
        self.inner.outcome()
    }

    /// Calls `callback` with this future once it is done (finished or cancelled).
    ///
    /// Callbacks run in the order they were added, in the thread that completes the
    /// future (a worker thread), or at once in the calling thread if the future is
    /// already done. A callback that panics is caught and reported on stderr; the
    /// callbacks after it still run and the worker thread is not harmed.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use concurrent_futures::{Future, ThreadPoolExecutor};
    ///
    /// let pool = ThreadPoolExecutor::new();
    /// let (tx, rx) = mpsc::channel();
    /// let fut = pool.submit(|| "BR".to_string()).unwrap();
    /// fut.add_done_callback(move |f: &Future<String>| {
    ///     tx.send(f.result().unwrap().clone()).unwrap();
    /// });
    /// assert_eq!(rx.recv().unwrap(), "BR");
    /// ```
    pub fn add_done_callback<F>(&self, callback: F)
    where
        F: FnOnce(&Future<T>) + Send + 'static,
    {
        self.inner.add_done_callback(self, Box::new(callback));
    }

    /// The same future with its result type forgotten: an [`AnyFuture`], equal to this
    /// handle and hashing alike, so that futures of different result types can go into
    /// one [`wait`](crate::wait) or [`as_completed`](crate::as_completed).
    /// [`AnyFuture::downcast`] gives the typed handle back.
    ///
    /// ```
    /// use concurrent_futures::{as_completed, AnyFuture, Future};
    ///
    /// let count: Future<u64> = Future::new();
    /// let name: Future<String> = Future::new();
    /// count.set_result(42).unwrap();
    /// name.set_result("BR".into()).unwrap();
    /// let both: Vec<AnyFuture> = vec![count.erase_type(), name.erase_type()];
    /// for done in as_completed(&both) {
    ///     if done == count {
    ///         assert_eq!(done.downcast::<u64>().unwrap().result(), Ok(&42));
    ///     }
    /// }
    /// ```
    pub fn erase_type(&self) -> AnyFuture {
        self.inner.erase_type(self)
    }

    /// Gives the future a [`Fetcher`] (its task was sent to a worker), replacing the one
    /// it had (the worker died before the task started, and it was sent again).
    /// Ignored once the future is done.
    pub(crate) fn set_fetcher(&self, fetcher: Arc<dyn Fetcher>) {
        let mut shared = self.inner().shared.lock();
        if !self.inner().state_now().is_done() {
            shared.listeners.lists().fetcher = Some(fetcher);
        }
    }

    /// `true` if done-callbacks are registered (and the future is not done yet).
    pub(crate) fn has_callbacks(&self) -> bool {
        self.inner().shared.lock().listeners.has_callbacks()
    }

    /// Registers `waiter` to be told (with `key`) when this future is done.
    /// Returns `false`, registering nothing, if it is done already.
    pub(crate) fn add_waiter(&self, waiter: &Arc<Waiter>, key: usize) -> bool {
        self.inner.add_waiter(waiter, key)
    }

    /// Forgets `waiter` (a wait that ended before this future was done).
    pub(crate) fn remove_waiter(&self, waiter: &Arc<Waiter>) {
        self.inner.remove_waiter(waiter)
    }

    /// `true` if the future finished with an error other than cancellation: what
    /// `ReturnWhen::FirstException` looks for.
    pub(crate) fn raised(&self) -> bool {
        self.inner.raised()
    }

    /// An address that identifies the shared state (for `Debug`, `Hash`, `Eq`); the
    /// same for a future and its [`AnyFuture`] views.
    pub(crate) fn address(&self) -> usize {
        self.inner.address()
    }
}

/// A cell that holds a future's typed state: [`Inner`] itself, or a thread pool's
/// task allocated together with its future (`task.rs`). Every such cell is a
/// [`SharedState`] through the one implementation below.
trait TypedCell<T>: Send + Sync {
    fn cell(&self) -> &Inner<T>;
}

impl<T: Send + Sync> TypedCell<T> for Inner<T> {
    fn cell(&self) -> &Inner<T> {
        self
    }
}

impl<T: Send + Sync + 'static, C: TypedCell<T>> SharedState<T> for C {
    fn typed(&self) -> Option<&Inner<T>> {
        Some(self.cell())
    }

    fn address(&self) -> usize {
        self.cell() as *const Inner<T> as usize
    }

    fn state(&self) -> FutureState {
        self.cell().state_now()
    }

    fn outcome(&self) -> Option<Result<&T, Error>> {
        // From the state first, never from `outcome` alone: the outcome is written a
        // moment before the state flips, and `result()` must never give what `state()`
        // and `done()` do not say yet. The state is stored (Release) after the outcome,
        // so Finished means readable.
        match self.cell().state_now() {
            FutureState::Cancelled => Some(Err(Error::Cancelled)),
            FutureState::Finished => self.cell().outcome.get().map(|outcome| match outcome {
                Ok(value) => Ok(value),
                Err(error) => Err(Error::clone(error)),
            }),
            FutureState::Pending | FutureState::Running => None,
        }
    }

    /// Blocks until the future is done or `timeout` passes; `true` if it is done.
    fn wait_done(&self, timeout: Option<Duration>) -> bool {
        let cell = self.cell();
        if cell.state_now().is_done() {
            return true;
        }
        // Fixed before the wait awake, which counts against it. A deadline that
        // cannot be represented is as good as no deadline.
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        if cell.spin_until_done(timeout) {
            return true;
        }
        if let Some(fetcher) = cell.fetcher() {
            fetcher.fetch(&|| cell.state_now().is_done(), deadline);
        }
        blocking::park_until_done(self, deadline)
    }

    fn cancel(&self, me: &Future<T>) -> bool {
        me.cancel_typed()
    }

    fn set_running_or_notify_cancel(&self, me: &Future<T>) -> Result<bool, Error> {
        me.set_running_typed()
    }

    fn add_done_callback(&self, me: &Future<T>, callback: Callback<T>) {
        {
            let mut shared = self.cell().shared.lock();
            if !self.cell().state_now().is_done() {
                shared.listeners.lists().callbacks.push(callback);
                return;
            }
        }
        me.run_callback(callback);
    }

    fn add_waiter(&self, waiter: &Arc<Waiter>, key: usize) -> bool {
        let mut shared = self.cell().shared.lock();
        if self.cell().state_now().is_done() {
            return false;
        }
        shared.listeners.add_waiter(waiter, key);
        true
    }

    fn remove_waiter(&self, waiter: &Arc<Waiter>) {
        self.cell().shared.lock().listeners.remove_waiter(waiter);
    }

    fn raised(&self) -> bool {
        self.cell().state_now() == FutureState::Finished
            && matches!(self.cell().outcome.get(), Some(Err(_)))
    }

    fn await_awake(&self) -> bool {
        self.cell().wait_awake == WaitAwake::InResultAndAwait
    }

    fn register_waker(&self, slot: &mut Option<usize>, waker: &Waker) -> bool {
        let mut shared = self.cell().shared.lock();
        if self.cell().state_now().is_done() {
            return false;
        }
        let replaced = shared.listeners.lists().wakers.register(slot, waker);
        drop(shared);
        drop(replaced); // a waker's drop is foreign code: not under the lock
        true
    }

    fn remove_waker(&self, slot: usize) {
        let mut shared = self.cell().shared.lock();
        // Done means the wakers were taken (and woken) already: nothing to remove.
        let removed = shared
            .listeners
            .existing_lists()
            .and_then(|lists| lists.wakers.remove(slot));
        drop(shared);
        drop(removed); // a waker's drop is foreign code: not under the lock
    }

    fn erase_type(&self, me: &Future<T>) -> AnyFuture {
        any::view_of(me)
    }

    fn typed_handle(&self) -> Option<&dyn std::any::Any> {
        None
    }

    fn fmt_debug(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        repr::fmt_future::<T>(
            self.cell().address(),
            self.cell().state(),
            self.cell().outcome.get(),
            f,
        )
    }
}

impl<T> Inner<T> {
    /// The state now. Under the lock, whether it is done cannot change.
    fn state_now(&self) -> FutureState {
        FutureState::from_u8(self.state.load(Ordering::Acquire))
    }

    /// Changes a future that is not done into Finished, publishing (Release) the
    /// outcome written before; the guard proves the lock is held. Not done under the
    /// lock means Pending or Running, and only a worker starting the task (Pending →
    /// Running, lock-free) can change that meanwhile: so a compare-and-swap from the
    /// state last seen succeeds at the first or the second try. (A plain store would
    /// be right too, but loom cannot check a store racing a compare-and-swap: its
    /// issue 254.)
    fn finish_state(&self, _locked: &MutexGuard<'_, Shared<T>>) {
        let mut from = self.state_now();
        while let Err(now) = self.try_transition(from, FutureState::Finished) {
            debug_assert!(!now.is_done(), "done only under the lock");
            from = now;
        }
    }

    /// Changes the state from `from` to `to` if it is `from`, atomically; else gives
    /// the state it is in.
    fn try_transition(&self, from: FutureState, to: FutureState) -> Result<(), FutureState> {
        self.state
            .compare_exchange(from as u8, to as u8, Ordering::AcqRel, Ordering::Acquire)
            .map(drop)
            .map_err(FutureState::from_u8)
    }

    /// A pending future's state.
    fn new(wait_awake: WaitAwake) -> Inner<T> {
        Inner {
            shared: Mutex::new(Shared {
                listeners: Listeners::Nobody,
            }),
            state: AtomicU8::new(FutureState::Pending as u8),
            outcome: OnceLock::new(),
            wait_awake,
        }
    }

    /// Waits awake a moment for a result that is about to arrive (a short task on a
    /// pool whose worker is awake) before sleeping: see [`crate::spin`]. Not for a
    /// process pool's futures ([`Future::new_remote`]).
    fn spin_until_done(&self, timeout: Option<Duration>) -> bool {
        let limit = match self.wait_awake {
            WaitAwake::InResultLong => crate::spin::CLUSTER_WAIT_AWAKE_LIMIT,
            _ => crate::spin::WAIT_AWAKE_LIMIT,
        };
        let limit = timeout.map_or(limit, |timeout| timeout.min(limit));
        self.wait_awake != WaitAwake::Never
            && crate::spin::spin_until(limit, || self.state_now().is_done())
    }

    fn fetcher(&self) -> Option<Arc<dyn Fetcher>> {
        let shared = self.shared.lock();
        match &shared.listeners {
            Listeners::Lists(lists) => lists.fetcher.clone(),
            _ => None,
        }
    }
}

impl<T: Send + Sync + 'static> Default for Future<T> {
    fn default() -> Self {
        Future::new()
    }
}

impl<T> Clone for Future<T> {
    /// Another handle to the same future (not a copy of the task).
    fn clone(&self) -> Self {
        Future {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T, U> PartialEq<Future<U>> for Future<T> {
    /// Identity: two handles are equal when they refer to the same future. A future
    /// and its [`AnyFuture`] views are equal too.
    fn eq(&self, other: &Future<U>) -> bool {
        self.address() == other.address()
    }
}

impl<T> Eq for Future<T> {}

impl<T> Hash for Future<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.address().hash(state);
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// One cell is allocated per task: keep it small (see docs/architecture.md).
    #[test]
    fn a_futures_cell_stays_small() {
        let size = std::mem::size_of::<Inner<u64>>();
        assert!(size <= 56, "Inner<u64> grew to {size} bytes");
    }
}
