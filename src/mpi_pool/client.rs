//! One `MpiPoolExecutor`, as the engine thread keeps it on the client: the tasks not
//! sent yet, the tasks each worker rank runs, and the rule that decides where the next
//! one goes. Plain state, owned by the engine thread alone: no lock.
//!
//! **Dispatch.** A task goes to the worker rank with the most free room. A rank's room
//! is its local workers, plus pipelining once tasks come back fast: after
//! [`SHORT_STREAK`] results in a row each back within [`SHORT_TASK`] of being sent, a
//! rank may hold [`PIPELINE_PER_WORKER`] tasks per local worker, which hides the
//! network's round trip behind the rank's queue. One slow result ends the streak, so
//! that long tasks are balanced across ranks, not queued behind each other.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::wire::{LostTask, PoolId, Settings, Task, TaskId, TaskResult};
use crate::admission::Admission;
use crate::process_pool::task_future::TaskFuture;
use crate::process_pool::wire::entry::Entry;
use crate::Error;

/// A result back within this long of its task being sent counts toward the streak.
const SHORT_TASK: Duration = Duration::from_millis(2);

/// How many short results in a row turn pipelining on.
const SHORT_STREAK: usize = 8;

/// Tasks a rank may hold per local worker while pipelining.
const PIPELINE_PER_WORKER: usize = 64;

/// What an executor's handle and the engine share: whether it takes tasks.
#[derive(Default)]
pub(crate) struct PoolShared {
    pub(crate) admission: Mutex<Admission>,
}

/// A task on its way: its future, and what the worker rank is sent.
pub(crate) struct RemoteTask {
    pub(crate) id: TaskId,
    pub(crate) entry: Entry,
    pub(crate) arg: Vec<u8>,
    pub(crate) future: Box<dyn TaskFuture>,
}

/// A worker rank as one executor uses it.
struct RankSlot {
    rank: i32,
    host: String,
    /// Tasks sent to it and not ended.
    running: usize,
}

struct Running {
    slot: usize,
    sent_at: Instant,
    future: Box<dyn TaskFuture>,
}

/// Work for the user's code, done by the completion thread (`engine.rs`): failing or
/// cancelling a future runs its callbacks.
pub(crate) type Deferred = Box<dyn FnOnce() + Send>;

pub(crate) struct ClientPool {
    pub(crate) id: PoolId,
    /// The engine's group of worker ranks this executor uses.
    pub(crate) group: usize,
    pub(crate) settings: Settings,
    pub(crate) shared: Arc<PoolShared>,
    slots: Vec<RankSlot>,
    pending: VecDeque<RemoteTask>,
    running: HashMap<TaskId, Running>,
    short_streak: usize,
    /// Its group lost a rank: nothing is sent any more.
    lost: bool,
    /// `shutdown` was called; these wait for the last task to end.
    closing: Option<Vec<crossbeam_channel::Sender<()>>>,
}

impl ClientPool {
    pub(crate) fn new(
        id: PoolId,
        group: usize,
        ranks: Vec<(i32, String)>,
        settings: Settings,
        shared: Arc<PoolShared>,
    ) -> ClientPool {
        let slots = ranks
            .into_iter()
            .map(|(rank, host)| RankSlot {
                rank,
                host,
                running: 0,
            })
            .collect();
        ClientPool {
            id,
            group,
            settings,
            shared,
            slots,
            pending: VecDeque::new(),
            running: HashMap::new(),
            short_streak: 0,
            lost: false,
            closing: None,
        }
    }

    /// The ranks this executor sends to.
    pub(crate) fn ranks(&self) -> impl Iterator<Item = i32> + '_ {
        self.slots.iter().map(|slot| slot.rank)
    }

    /// `true` while tasks are out on worker ranks: results may arrive any moment.
    pub(crate) fn expects_results(&self) -> bool {
        !self.running.is_empty()
    }

    /// Queues a task, or fails it if the executor broke since its handle let it
    /// through. (A shutdown does not refuse it: the handle sent it before the shutdown,
    /// and the channel keeps that order.)
    pub(crate) fn submit(&mut self, task: RemoteTask, deferred: &mut Vec<Deferred>) {
        let broken = {
            let admission = self.shared.admission.lock();
            admission
                .is_broken()
                .then(|| admission.check().err())
                .flatten()
        };
        match broken {
            Some(error) => deferred.push(Box::new(move || task.future.fail(error))),
            None => self.pending.push_back(task),
        }
    }

    /// Hands out pending tasks to ranks with room: for each rank, the tasks to send.
    pub(crate) fn dispatch(&mut self) -> Vec<(i32, Vec<Task>)> {
        if self.lost {
            return Vec::new();
        }
        let room_per_worker = if self.short_streak >= SHORT_STREAK {
            PIPELINE_PER_WORKER
        } else {
            1
        };
        let room = self.settings.local_workers * room_per_worker;
        let mut batches: Vec<(i32, Vec<Task>)> = Vec::new();
        while let Some(slot) = self.roomiest(room) {
            let Some(task) = self.pending.pop_front() else {
                break;
            };
            // Cancelled before it was sent: dropped.
            if !task.future.start() {
                continue;
            }
            self.slots[slot].running += 1;
            let rank = self.slots[slot].rank;
            let sent = Task {
                id: task.id,
                entry: task.entry,
                arg: task.arg,
            };
            let running = Running {
                slot,
                sent_at: Instant::now(),
                future: task.future,
            };
            self.running.insert(task.id, running);
            match batches.iter_mut().find(|(r, _)| *r == rank) {
                Some((_, batch)) => batch.push(sent),
                None => batches.push((rank, vec![sent])),
            }
        }
        batches
    }

    /// The slot with the most room left under `room`, if any has some.
    fn roomiest(&self, room: usize) -> Option<usize> {
        if self.pending.is_empty() {
            return None;
        }
        (0..self.slots.len())
            .filter(|&slot| self.slots[slot].running < room)
            .min_by_key(|&slot| self.slots[slot].running)
    }

    /// Results from worker rank `rank`: completes their futures (those without
    /// callbacks at once, the rest deferred).
    pub(crate) fn results(
        &mut self,
        rank: i32,
        results: Vec<(TaskId, TaskResult)>,
        deferred: &mut Vec<Deferred>,
    ) {
        for (id, result) in results {
            // Only a task this rank was sent counts.
            let sent_here = self
                .running
                .get(&id)
                .is_some_and(|running| self.slots[running.slot].rank == rank);
            let Some(running) = self.running.remove(&id).filter(|_| sent_here) else {
                continue;
            };
            let slot = &mut self.slots[running.slot];
            slot.running -= 1;
            let host = slot.host.clone();
            let quick = running.sent_at.elapsed() < SHORT_TASK;
            self.short_streak = if quick { self.short_streak + 1 } else { 0 };
            match result {
                TaskResult::Ran(outcome) => {
                    if let Some(unfinished) = running.future.finish_here(outcome) {
                        deferred.push(Box::new(move || unfinished.finish()));
                    }
                }
                TaskResult::Lost(lost) => {
                    if let LostTask::Broken { reason } = &lost {
                        let reason = format!("worker rank {rank} on {host}: {reason}");
                        self.break_pool(&reason, deferred);
                    }
                    let error = lost.into_error(rank, &host);
                    deferred.push(Box::new(move || running.future.fail(error)));
                }
            }
        }
    }

    /// A rank could not serve this executor: no more submits, the tasks not sent fail.
    fn break_pool(&mut self, reason: &str, deferred: &mut Vec<Deferred>) {
        self.shared.admission.lock().break_with(reason);
        let error = Error::BrokenExecutor {
            reason: reason.to_string(),
        };
        for task in self.pending.drain(..) {
            let error = error.clone();
            deferred.push(Box::new(move || task.future.fail(error)));
        }
    }

    /// A rank of this executor's group died: the executor is broken, and every task not
    /// ended fails.
    pub(crate) fn lose_everything(&mut self, reason: &str, deferred: &mut Vec<Deferred>) {
        self.lost = true;
        self.break_pool(reason, deferred);
        let error = Error::BrokenExecutor {
            reason: reason.to_string(),
        };
        for (_, running) in self.running.drain() {
            let error = error.clone();
            deferred.push(Box::new(move || running.future.fail(error)));
        }
        for slot in &mut self.slots {
            slot.running = 0;
        }
    }

    /// Python's `shutdown`: with `cancel`, the tasks not sent yet are cancelled; `done`
    /// hears when the last task has ended.
    pub(crate) fn shutdown(
        &mut self,
        cancel: bool,
        done: crossbeam_channel::Sender<()>,
        deferred: &mut Vec<Deferred>,
    ) {
        if cancel {
            for task in self.pending.drain(..) {
                deferred.push(Box::new(move || task.future.cancel()));
            }
        }
        self.closing.get_or_insert_with(Vec::new).push(done);
    }

    /// `true` once shut down with nothing left: the ranks can close their side, and
    /// whoever waits in `shutdown` is told, after the futures' deferred completions
    /// (the completion thread runs them in order).
    pub(crate) fn finished(&mut self, deferred: &mut Vec<Deferred>) -> bool {
        if self.closing.is_none() || !self.pending.is_empty() || !self.running.is_empty() {
            return false;
        }
        for done in self.closing.take().into_iter().flatten() {
            deferred.push(Box::new(move || {
                let _ = done.send(());
            }));
        }
        true
    }
}
