//! How idle workers sleep, and when a `submit` wakes one.
//!
//! A worker that finds the queue empty does not sleep inside the queue (where every
//! `send` would wake it, a system call in the submitting thread per task: a stream of
//! short tasks is emptied faster than one thread fills it, so the workers would sleep
//! and be woken once per task, which measured three times the cost of a submit). It
//! sleeps here instead, and a `submit` wakes it only when it must: when no other
//! worker is awake and looking for work (`searching`) and some worker is asleep.
//! Workers busy with a task are neither; they look at the queue when they finish.
//!
//! No job is left with every worker asleep. A submit sends its job, then (after a
//! SeqCst fence) reads `searching` and `sleepers`. A worker on its way to sleep first
//! counts itself a sleeper and stops counting as a searcher, then (after a SeqCst
//! fence) looks at the queue once more. In the fences' total order, either the
//! submit's comes first, and that last look sees the job; or the worker's comes
//! first, and the submit sees it asleep (or another worker searching, which looks at
//! the queue after the same kind of fence) and wakes one. A woken worker is moved
//! from `sleepers` to `searching` by its waker, under the lock, so that the next
//! submits do not wake a second one for nothing.
//!
//! Which means a burst of submits wakes one worker. So, as in tokio's scheduler, a
//! worker that stops looking because it found a job wakes the next one when jobs are
//! left, nobody else is looking and somebody sleeps: a burst wakes the workers one
//! after the other, as many as there are jobs for. (Without this, tasks queued
//! together ran one after the other on one worker, and two that wait for each other
//! never finished.) `tests` below model check this with
//! loom (see `crate::sync`); docs/architecture.md tells the story.

use std::sync::atomic::Ordering::SeqCst;

use crate::sync::{fence, AtomicUsize, Backoff, Condvar, Mutex};

/// Where workers take jobs from: the pool's queue (`queue.rs`), or in the model
/// check, a stand-in that loom can see into.
pub(super) trait JobQueue {
    type Job;
    /// A job if one is queued; `Err(true)` once the queue is closed and empty.
    fn try_take(&self) -> Result<Self::Job, bool>;
    /// `true` if no job is queued now.
    fn is_empty(&self) -> bool;
}

#[derive(Default)]
pub(super) struct Sleep {
    /// Workers awake without a job, about to look at the queue.
    searching: AtomicUsize,
    /// Workers asleep (or about to be), not yet woken.
    sleepers: AtomicUsize,
    state: Mutex<SleepState>,
    wakeup: Condvar,
}

#[derive(Default)]
struct SleepState {
    /// Wake-ups given and not yet taken by a sleeper.
    wakes: usize,
    /// Set by shutdown: nobody sleeps any more; the workers drain the queue and exit.
    closing: bool,
}

impl Sleep {
    /// The next job for a worker, or `None` once the queue is closed and empty.
    pub(super) fn next_job<Q: JobQueue>(&self, queue: &Q) -> Option<Q::Job> {
        // Straight from one job to the next while there are any: no counting.
        match queue.try_take() {
            Ok(job) => return Some(job),
            Err(true) => return None,
            Err(false) => {}
        }
        self.searching.fetch_add(1, SeqCst);
        fence(SeqCst);
        loop {
            // Awake for a moment (a few spins, then a few yields: crossbeam's
            // `Backoff`, what its channel does before sleeping): the next job of a
            // stream of short ones, or of a round trip, comes sooner than a sleeping
            // thread could be woken, and a searching worker spares the submitter a
            // wake-up. Any longer, and it takes the CPU from the submitting thread.
            let backoff = Backoff::new();
            loop {
                if let Some(found) = self.look(queue, &self.searching) {
                    self.stopped_looking(queue);
                    return found;
                }
                if backoff.is_completed() {
                    break;
                }
                backoff.snooze();
            }
            let state = self.state.lock();
            self.sleepers.fetch_add(1, SeqCst);
            self.searching.fetch_sub(1, SeqCst);
            fence(SeqCst);
            if let Some(found) = self.look(queue, &self.sleepers) {
                drop(state);
                self.stopped_looking(queue);
                return found;
            }
            self.sleep(state);
        }
    }

    /// One look at the queue by a worker counted in `counter`: if it finds a job (or
    /// the end), it leaves `counter` and returns what it found.
    fn look<Q: JobQueue>(&self, queue: &Q, counter: &AtomicUsize) -> Option<Option<Q::Job>> {
        let found = match queue.try_take() {
            Ok(job) => Some(job),
            Err(true) => None,
            Err(false) => return None,
        };
        counter.fetch_sub(1, SeqCst);
        Some(found)
    }

    /// Sleeps until woken (the waker moved this worker to `searching`) or closing
    /// (then it moves itself).
    fn sleep(&self, mut state: crate::sync::MutexGuard<'_, SleepState>) {
        while state.wakes == 0 && !state.closing {
            state = self.wakeup.wait(state);
        }
        if state.wakes > 0 {
            state.wakes -= 1;
        } else {
            self.sleepers.fetch_sub(1, SeqCst);
            self.searching.fetch_add(1, SeqCst);
        }
    }

    /// A worker stopped looking (it found a job, or the end): if jobs are left,
    /// nobody else looks and somebody sleeps, it wakes one.
    fn stopped_looking<Q: JobQueue>(&self, queue: &Q) {
        fence(SeqCst);
        if self.searching.load(SeqCst) == 0 && self.sleepers.load(SeqCst) > 0 && !queue.is_empty() {
            self.wake_one();
        }
    }

    /// Called after a job was queued: wakes a worker if none is looking and one sleeps.
    pub(super) fn job_queued(&self) {
        fence(SeqCst);
        if self.searching.load(SeqCst) == 0 && self.sleepers.load(SeqCst) > 0 {
            self.wake_one();
        }
    }

    /// Moves one sleeper to `searching` and wakes it, if one still sleeps.
    fn wake_one(&self) {
        let mut state = self.state.lock();
        // Re-read under the lock: a waker or a closing shutdown may have come first.
        if self.sleepers.load(SeqCst) > 0 && !state.closing {
            self.sleepers.fetch_sub(1, SeqCst);
            self.searching.fetch_add(1, SeqCst);
            state.wakes += 1;
            self.wakeup.notify_one();
        }
    }

    /// Shutdown, after the queue's sender is gone: wakes every sleeper for good.
    pub(super) fn close(&self) {
        self.state.lock().closing = true;
        self.wakeup.notify_all();
    }
}

#[cfg(all(test, concurrent_futures_loom))]
mod loom_tests {
    use std::collections::VecDeque;
    use std::sync::Arc;

    use loom::thread;

    use super::*;

    /// A queue loom can see into: a loom mutex around a deque, and a closed flag.
    #[derive(Default)]
    struct ModelQueue(Mutex<(VecDeque<u32>, bool)>);

    impl JobQueue for ModelQueue {
        type Job = u32;

        fn try_take(&self) -> Result<u32, bool> {
            let mut queue = self.0.lock();
            queue.0.pop_front().ok_or(queue.1)
        }

        fn is_empty(&self) -> bool {
            self.0.lock().0.is_empty()
        }
    }

    impl ModelQueue {
        fn push(&self, job: u32) {
            self.0.lock().0.push_back(job);
        }

        fn close(&self) {
            self.0.lock().1 = true;
        }
    }

    /// Two workers and a submitter of two jobs: every job runs, in every
    /// interleaving, while the pool is open. A lost wake-up leaves a job queued with
    /// both workers asleep and the submitter waiting for it: every thread blocked,
    /// which loom reports as a deadlock. Then the shutdown ends both workers.
    #[test]
    fn no_job_is_left_while_every_worker_sleeps() {
        loom::model(|| {
            let sleep = Arc::new(Sleep::default());
            let queue = Arc::new(ModelQueue::default());
            let ran = Arc::new((Mutex::new(0_u32), Condvar::default()));
            let workers: Vec<_> = (0..2)
                .map(|_| {
                    let (sleep, queue, ran) = (sleep.clone(), queue.clone(), ran.clone());
                    thread::spawn(move || {
                        while sleep.next_job(&*queue).is_some() {
                            *ran.0.lock() += 1;
                            ran.1.notify_all();
                        }
                    })
                })
                .collect();
            for job in 0..2 {
                queue.push(job);
                sleep.job_queued();
            }
            let mut count = ran.0.lock();
            while *count < 2 {
                count = ran.1.wait(count);
            }
            drop(count);
            queue.close();
            sleep.close();
            for worker in workers {
                worker.join().unwrap();
            }
        });
    }

    /// Two jobs queued together on two sleeping workers, the first waiting until the
    /// second has run: both workers must get one (Python runs such tasks). If only
    /// one worker were woken, it would wait in the first job for ever while the other
    /// sleeps: a deadlock, which loom reports.
    #[test]
    fn jobs_queued_together_wake_enough_workers() {
        loom::model(|| {
            let sleep = Arc::new(Sleep::default());
            let queue = Arc::new(ModelQueue::default());
            let second_ran = Arc::new((Mutex::new(false), Condvar::default()));
            let workers: Vec<_> = (0..2)
                .map(|_| {
                    let (sleep, queue, second_ran) =
                        (sleep.clone(), queue.clone(), second_ran.clone());
                    thread::spawn(move || {
                        while let Some(job) = sleep.next_job(&*queue) {
                            let mut ran = second_ran.0.lock();
                            if job == 0 {
                                while !*ran {
                                    ran = second_ran.1.wait(ran);
                                }
                            } else {
                                *ran = true;
                                second_ran.1.notify_all();
                            }
                        }
                    })
                })
                .collect();
            for job in 0..2 {
                queue.push(job);
                sleep.job_queued();
            }
            let mut ran = second_ran.0.lock();
            while !*ran {
                ran = second_ran.1.wait(ran);
            }
            drop(ran);
            queue.close();
            sleep.close();
            for worker in workers {
                worker.join().unwrap();
            }
        });
    }
}
