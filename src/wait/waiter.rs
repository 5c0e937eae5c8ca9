//! The one wake-up object shared by all the futures a `wait` or `as_completed` watches.
//!
//! Instead of a thread or a poll per future (CPython gh-64496), each watched future
//! holds an `Arc<Waiter>` and the key it is known by; when it becomes done it pushes
//! its key here. The watching thread sleeps on one condition variable (an async
//! watcher leaves its task's waker instead) and is woken only when its rule is met (enough futures done, or one failed), so a wait over n
//! futures costs O(n) in total, not O(n) per wake-up.

use std::task::{Context, Poll, Waker};
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

pub(crate) struct Waiter {
    state: Mutex<WaiterState>,
    wakeup: Condvar,
}

struct WaiterState {
    /// Keys of the futures that became done since the last `take_finished`.
    finished: Vec<usize>,
    /// How many keys ever arrived.
    finished_total: usize,
    /// Whether one of them finished with an error (not a cancellation).
    any_failed: bool,
    /// The watcher wants waking once `finished_total` reaches this...
    wake_at: usize,
    /// ...or as soon as a future fails, if this is set.
    wake_on_failure: bool,
    /// The async watcher's task, woken (once) when the rule comes to hold.
    waker: Option<Waker>,
}

impl WaiterState {
    fn satisfied(&self) -> bool {
        self.finished_total >= self.wake_at || (self.wake_on_failure && self.any_failed)
    }
}

impl Waiter {
    /// A waiter whose watcher wants waking after `wake_at` futures are done, or at the
    /// first failure if `wake_on_failure`.
    pub(crate) fn new(wake_at: usize, wake_on_failure: bool) -> Waiter {
        Waiter {
            state: Mutex::new(WaiterState {
                finished: Vec::new(),
                finished_total: 0,
                any_failed: false,
                wake_at,
                wake_on_failure,
                waker: None,
            }),
            wakeup: Condvar::new(),
        }
    }

    /// Changes the wake rule's threshold (before the watcher starts waiting).
    pub(crate) fn set_wake_at(&self, wake_at: usize) {
        self.state.lock().wake_at = wake_at;
    }

    /// Called by a future (with no lock of its own held) when it becomes done.
    pub(crate) fn notify(&self, key: usize, failed: bool) {
        let mut state = self.state.lock();
        let was_satisfied = state.satisfied();
        state.finished.push(key);
        state.finished_total += 1;
        state.any_failed |= failed;
        let wake = !was_satisfied && state.satisfied();
        let waker = if wake { state.waker.take() } else { None };
        drop(state);
        if wake {
            self.wakeup.notify_one();
        }
        if let Some(waker) = waker {
            crate::wake::wake_contained(waker);
        }
    }

    /// The async `wait`: ready if the wake rule holds, else leaves the task's waker
    /// (replacing an older one) to be woken when it does. Checked and stored under
    /// the lock `notify` takes, so no wake-up is lost.
    pub(crate) fn poll_wait(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state.lock();
        if state.satisfied() {
            return Poll::Ready(());
        }
        let replaced = match &mut state.waker {
            Some(stored) if stored.will_wake(cx.waker()) => None,
            stored => stored.replace(cx.waker().clone()),
        };
        drop(state);
        drop(replaced); // a waker's drop is foreign code: not under the lock
        Poll::Pending
    }

    /// Blocks until the wake rule holds or `deadline` passes; `true` if it holds.
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> bool {
        let mut state = self.state.lock();
        while !state.satisfied() {
            match deadline {
                None => self.wakeup.wait(&mut state),
                Some(deadline) => {
                    if self.wakeup.wait_until(&mut state, deadline).timed_out() {
                        return state.satisfied();
                    }
                }
            }
        }
        true
    }

    /// Moves the keys that arrived since the last call into `into`, and raises the
    /// wake threshold so that the next `wait` sleeps until at least one more arrives.
    pub(crate) fn take_finished(&self, into: &mut Vec<usize>) {
        let mut state = self.state.lock();
        into.append(&mut state.finished);
        state.wake_at = state.finished_total + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn wakes_only_when_the_rule_holds() {
        let waiter = Arc::new(Waiter::new(2, false));
        waiter.notify(7, false);
        let soon = Instant::now() + Duration::from_millis(10);
        assert!(!waiter.wait(Some(soon)), "one of two is not enough");
        let notifier = {
            let waiter = Arc::clone(&waiter);
            std::thread::spawn(move || waiter.notify(9, false))
        };
        assert!(waiter.wait(None));
        notifier.join().unwrap();
        let mut keys = Vec::new();
        waiter.take_finished(&mut keys);
        assert_eq!(keys, vec![7, 9]);
    }

    #[test]
    fn a_failure_wakes_when_asked_to() {
        let waiter = Waiter::new(10, true);
        waiter.notify(1, true);
        assert!(waiter.wait(Some(Instant::now())));
    }
}
