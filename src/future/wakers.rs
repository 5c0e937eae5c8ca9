//! The wakers of the async tasks awaiting one future: a small slab, so that adding,
//! replacing and removing one is O(1) whatever the number of awaits.
//!
//! Each await ([`super::AwaitRef`], [`super::AwaitOwned`]) remembers the index of its
//! slot. The slab lives in the future's `Listeners`, allocated only once somebody
//! listens, so a future nobody awaits pays nothing for it.

use std::task::Waker;

#[derive(Default)]
pub(super) struct Wakers {
    slots: Vec<Option<Waker>>,
    /// Indexes of empty slots, reused before the vector grows.
    free: Vec<usize>,
}

impl Wakers {
    /// Stores `waker` for the await that owns `slot`: in its slot if it has one (the
    /// old waker is kept if it would wake the same task, as the `Future` contract
    /// allows), else in a new slot whose index goes into `slot`. Gives back the waker
    /// it replaced, for the caller to drop once the future's lock is released (a
    /// waker's drop is the runtime's code).
    #[must_use = "drop the replaced waker after releasing the lock"]
    pub(super) fn register(&mut self, slot: &mut Option<usize>, waker: &Waker) -> Option<Waker> {
        match *slot {
            Some(index) => match &mut self.slots[index] {
                Some(stored) if stored.will_wake(waker) => None,
                stored => stored.replace(waker.clone()),
            },
            None => {
                let index = match self.free.pop() {
                    Some(index) => {
                        self.slots[index] = Some(waker.clone());
                        index
                    }
                    None => {
                        self.slots.push(Some(waker.clone()));
                        self.slots.len() - 1
                    }
                };
                *slot = Some(index);
                None
            }
        }
    }

    /// Takes the waker in `index` out (its await was dropped before the future was
    /// done), for the caller to drop once the lock is released.
    #[must_use = "drop the waker after releasing the lock"]
    pub(super) fn remove(&mut self, index: usize) -> Option<Waker> {
        let taken = self.slots.get_mut(index)?.take();
        if taken.is_some() {
            self.free.push(index);
        }
        taken
    }

    /// Wakes every awaiting task; called once, after the future became done and its
    /// lock was released. A waker is the runtime's code, or a user's: one that panics
    /// must not keep the others from being woken, nor unwind the completing thread (a
    /// pool's worker), so each wake is contained.
    pub(super) fn wake_all(self) {
        for waker in self.slots.into_iter().flatten() {
            crate::wake::wake_contained(waker);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots.iter().flatten().count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct CountingWake(AtomicUsize);

    impl Wake for CountingWake {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting_waker() -> (Arc<CountingWake>, Waker) {
        let wake = Arc::new(CountingWake(AtomicUsize::new(0)));
        (Arc::clone(&wake), Waker::from(wake))
    }

    #[test]
    fn slots_are_reused_and_the_same_waker_is_not_cloned_again() {
        let (count, waker) = counting_waker();
        let mut wakers = Wakers::default();
        let (mut a, mut b) = (None, None);
        let _ = wakers.register(&mut a, &waker);
        let _ = wakers.register(&mut b, &waker);
        assert_eq!((a, b), (Some(0), Some(1)));
        assert!(wakers.register(&mut a, &waker).is_none());
        // `count` itself, `waker`, and one clone per slot.
        assert_eq!(
            Arc::strong_count(&count),
            4,
            "re-polling with the same waker keeps it"
        );
        drop(wakers.remove(0));
        assert_eq!(Arc::strong_count(&count), 3, "a removed waker is dropped");
        let mut c = None;
        let _ = wakers.register(&mut c, &waker);
        assert_eq!(c, Some(0), "the free slot is reused");
        assert_eq!(wakers.len(), 2);
        wakers.wake_all();
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
        assert_eq!(Arc::strong_count(&count), 2, "woken wakers are consumed");
    }

    #[test]
    fn another_waker_replaces_the_old_one() {
        let (first, first_waker) = counting_waker();
        let (second, second_waker) = counting_waker();
        let mut wakers = Wakers::default();
        let mut slot = None;
        let _ = wakers.register(&mut slot, &first_waker);
        drop(wakers.register(&mut slot, &second_waker));
        assert_eq!(Arc::strong_count(&first), 2, "the old waker was dropped");
        wakers.wake_all();
        assert_eq!(first.0.load(Ordering::SeqCst), 0);
        assert_eq!(second.0.load(Ordering::SeqCst), 1);
    }
}
