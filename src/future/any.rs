//! [`AnyFuture`]: a future whose result type is forgotten, so that futures of different
//! types can be waited on together (Python's futures carry no type at all).
//!
//! An `AnyFuture` is a `Future<Erased>` whose shared state is a `View` of the typed
//! future: every operation forwards to it, and the identity (`address`) is the typed
//! future's, so a future and its views are equal and hash alike. Because it is a
//! `Future`, everything that takes futures takes it, with the same signatures:
//! `wait`, `as_completed`, their async forms, `HashMap` keys.

use std::any::Any;
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use super::{Callback, Future, FutureState, Inner, SharedState};
use crate::wait::waiter::Waiter;
use crate::Error;

/// The result type of an [`AnyFuture`]: nothing, since the type was erased.
///
/// `any.result()` and `(&any).await` still say whether the task succeeded
/// (`Ok(&Erased)`) or how it failed; [`AnyFuture::downcast`] gives the typed
/// handle, and with it the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Erased;

/// A handle to a future of any result type: `Future<Erased>`, made by
/// [`Future::erase_type`].
///
/// It does everything a future does that needs no value: state queries, `cancel`,
/// waiting (`result()` gives `Ok(&Erased)` or the error), callbacks, awaiting, and
/// `wait` / `as_completed` beside other `AnyFuture`s. It is equal to the typed future
/// it came from (`any == typed`), so a `HashMap<Future<T>, V>` still finds its entry
/// after [`downcast`](AnyFuture::downcast). Executors cannot drive it:
/// `set_running_or_notify_cancel`, `set_result` and `set_exception` on a view give
/// `Err(Error::InvalidState(..))`.
///
/// ```
/// use concurrent_futures::{wait, AnyFuture, ReturnWhen, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
/// let count = pool.submit(|| 194_u64).unwrap();
/// let label = pool.submit(|| "LOCAL".to_string()).unwrap();
/// let both = [count.erase_type(), label.erase_type()];
/// let split = wait(&both, None, ReturnWhen::AllCompleted);
/// assert!(split.done.contains(&count.erase_type()));
/// let count_again = both[0].downcast::<u64>().unwrap();
/// assert_eq!(count_again, count);
/// assert_eq!(count_again.result(), Ok(&194));
/// ```
pub type AnyFuture = Future<Erased>;

impl Future<Erased> {
    /// The typed handle of this view's future, if its result type is `U`; `None` for
    /// another type (or for a `Future<Erased>` made directly, which is no view).
    pub fn downcast<U: 'static>(&self) -> Option<Future<U>> {
        self.inner
            .typed_handle()?
            .downcast_ref::<Future<U>>()
            .cloned()
    }
}

/// The erased view of a typed future: its operations, without its type.
struct View<U>(Future<U>);

/// An `AnyFuture` for `future`.
pub(super) fn view_of<U: Send + Sync + 'static>(future: &Future<U>) -> AnyFuture {
    Future {
        inner: Arc::new(View(future.clone())),
    }
}

impl<U: Send + Sync + 'static> SharedState<Erased> for View<U> {
    fn typed(&self) -> Option<&Inner<Erased>> {
        None
    }

    fn address(&self) -> usize {
        self.0.address()
    }

    fn state(&self) -> FutureState {
        self.0.state()
    }

    fn outcome(&self) -> Option<Result<&Erased, Error>> {
        self.0.outcome_now().map(|outcome| outcome.map(|_| &Erased))
    }

    fn wait_done(&self, timeout: Option<Duration>) -> bool {
        self.0.inner.wait_done(timeout)
    }

    fn cancel(&self, _me: &AnyFuture) -> bool {
        self.0.cancel()
    }

    fn set_running_or_notify_cancel(&self, me: &AnyFuture) -> Result<bool, Error> {
        Err(Error::InvalidState(format!(
            "{me:?} is an AnyFuture view: start the typed future it came from"
        )))
    }

    fn add_done_callback(&self, _me: &AnyFuture, callback: Callback<Erased>) {
        self.0
            .add_done_callback(move |typed: &Future<U>| callback(&typed.erase_type()));
    }

    fn add_waiter(&self, waiter: &Arc<Waiter>, key: usize) -> bool {
        self.0.add_waiter(waiter, key)
    }

    fn remove_waiter(&self, waiter: &Arc<Waiter>) {
        self.0.remove_waiter(waiter)
    }

    fn raised(&self) -> bool {
        self.0.raised()
    }

    fn await_awake(&self) -> bool {
        self.0.inner.await_awake()
    }

    fn register_waker(&self, slot: &mut Option<usize>, waker: &Waker) -> bool {
        self.0.inner.register_waker(slot, waker)
    }

    fn remove_waker(&self, slot: usize) {
        self.0.inner.remove_waker(slot)
    }

    fn erase_type(&self, me: &AnyFuture) -> AnyFuture {
        me.clone()
    }

    fn typed_handle(&self) -> Option<&dyn Any> {
        Some(&self.0)
    }

    fn fmt_debug(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.inner.fmt_debug(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn a_view_is_its_future() {
        let typed: Future<u64> = Future::new();
        let view = typed.erase_type();
        assert_eq!(view, typed);
        assert_eq!(view, view.erase_type());
        let mut names = HashMap::new();
        names.insert(typed.clone(), "count");
        assert_eq!(names[&view.downcast::<u64>().unwrap()], "count");
        assert!(view.downcast::<String>().is_none());
        assert_eq!(format!("{view:?}"), format!("{typed:?}"));
    }

    #[test]
    fn a_view_follows_its_future_and_cancels_it() {
        let typed: Future<u64> = Future::new();
        let view = typed.erase_type();
        assert!(matches!(
            view.set_result(Erased),
            Err(Error::InvalidState(_))
        ));
        assert!(view.cancel());
        assert!(typed.cancelled());
        assert_eq!(view.result(), Err(Error::Cancelled));

        let failed: Future<String> = Future::new();
        let view = failed.erase_type();
        let (tx, rx) = std::sync::mpsc::channel();
        view.add_done_callback(move |done: &AnyFuture| tx.send(done.raised()).unwrap());
        failed
            .set_exception(Error::Panicked {
                message: "boom".into(),
            })
            .unwrap();
        assert_eq!(rx.recv(), Ok(true));
        assert!(format!("{view:?}").ends_with("raised Panicked>"));
    }
}
