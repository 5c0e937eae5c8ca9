//! The pool's decisions, as a state machine: which task goes to which worker, when to
//! start a worker, what a worker's death costs, when to retire one, shutdown, broken.
//!
//! Events come in as method calls; what they call for comes out as [`Action`]s, which
//! the driver (`pool.rs`) carries out after it released the lock it keeps this under.
//! Nothing here starts a thread, makes a system call or touches a pipe: a task is an
//! opaque [`Payload`] and a worker an opaque handle `W`, so the rules are tested with
//! plain values (the tests at the end).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use smallvec::SmallVec;

use super::event::{Stop, TaskId, WorkerExit, WorkerId};
use crate::admission::Admission;
use crate::Error;

/// A task that runs shorter than this is "short": for it, the pipe's round trip costs
/// more than the work.
pub(crate) const SHORT_TASK: Duration = Duration::from_micros(200);

/// How many tasks in a row must have been short before tasks are pipelined.
const SHORT_STREAK: usize = 8;

/// How many tasks a busy worker may be sent ahead of time, once tasks are pipelined
/// (see [`pipeline_depth`]).
const PIPELINE_DEPTH: usize = 16;

/// The most bytes of frames a busy worker may have waiting in its pipe (and at most
/// half of what its pipe holds). A busy worker does not read, and a write into a full
/// pipe would block the thread that submits (or a supervisor thread, which could then
/// deadlock with its own worker); staying under half keeps every write to a busy
/// worker immediate. Larger frames wait for an idle worker, which reads at once.
pub(crate) const PIPELINED_BYTES: usize = 32 * 1024;

/// How many times a task that was sent but never started may be the suspect of its
/// worker's death (see [`Scheduler::worker_exited`]) and be sent again, before it
/// fails: a frame that kills any worker that reads it (say, an argument too big for
/// its memory) must not be resent forever.
pub(crate) const MAX_RESENDS: u32 = 3;

/// How many tasks a busy worker may be sent ahead of time, when every worker is busy
/// and no more may start: [`PIPELINE_DEPTH`] after [`SHORT_STREAK`] short tasks in a
/// row, otherwise none. After short tasks the round trip would dominate, and queueing
/// deep hides it. One long task ends the streak, because a task queued behind a long
/// one could have gone to a worker that frees up first (it cannot be taken back out of
/// a pipe), and balance matters more than latency there. Mixed workloads (the prime
/// checker: instant composites among long primes) therefore run unpipelined.
fn pipeline_depth(short_streak: usize) -> usize {
    if short_streak >= SHORT_STREAK {
        PIPELINE_DEPTH
    } else {
        1
    }
}

/// What the scheduler needs of a task: whether it may still run, and its frame.
pub(crate) trait Payload<W> {
    /// What is written to a worker to run the task.
    type Frame;
    /// Marks the task's future running; `false` if it was cancelled (then it is
    /// dropped, not sent).
    fn claim(&self) -> bool;
    /// The task goes to `worker` (its future may fetch from there): its frame.
    fn assign(&self, worker: &W) -> Self::Frame;
    /// The size of its frame in bytes.
    fn frame_len(&self) -> usize;
}

/// What a decision calls for, carried out by the driver without the scheduler's lock.
pub(crate) enum Action<P: Payload<W>, W> {
    /// Write a task's frame to a worker's task pipe.
    Write(W, P::Frame),
    /// Close a worker's task pipe: it finishes what it has and exits.
    Close(W),
    /// Signal a worker's process group.
    Stop(W, Stop),
    /// Start a worker (its supervisor reports back as it goes).
    Spawn(WorkerId),
    /// Fail a task's future.
    Fail(P, Error),
    /// Cancel a task's future.
    Cancel(P),
}

impl<P: Payload<W>, W> Action<P, W> {
    /// `true` for what may run user code or start threads (failing and cancelling
    /// futures run their callbacks): what a thread fetching in `result()` leaves to the
    /// supervisor thread.
    pub(crate) fn is_foreign(&self) -> bool {
        matches!(
            self,
            Action::Spawn(_) | Action::Fail(..) | Action::Cancel(_)
        )
    }
}

/// The actions of one event; most events have at most two.
pub(crate) type Actions<P, W> = SmallVec<[Action<P, W>; 2]>;

/// The settings the rules depend on.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub(crate) max_workers: usize,
    pub(crate) max_tasks_per_child: Option<usize>,
    pub(crate) task_time_limit: Option<Duration>,
}

/// A task the pool has not finished with.
struct TaskRecord<P> {
    id: TaskId,
    payload: P,
    frame_len: usize,
    /// How many times it was sent again after its worker died (its future already
    /// says "running" once this is above 0).
    resends: u32,
    /// How many of those deaths it was the suspect of.
    suspected: u32,
}

/// A worker that finished its handshake, as the rules see it.
struct WorkerState<W> {
    handle: W,
    /// Tasks sent to it and not finished, in the order sent.
    assigned: Vec<TaskId>,
    /// The size of their frames: see [`PIPELINED_BYTES`].
    assigned_bytes: usize,
    /// How many bytes may be pipelined to it: `PIPELINED_BYTES` or half its pipe.
    pipeline_bytes: usize,
    /// Tasks it may still be sent before it must retire (`max_tasks_per_child`).
    budget: Option<usize>,
    /// Its pipe is being closed, or it is being stopped: it gets no more tasks.
    closing: bool,
}

impl<W> WorkerState<W> {
    fn takes_tasks(&self) -> bool {
        !self.closing && self.budget != Some(0)
    }
}

/// See the module's documentation.
pub(crate) struct Scheduler<P, W> {
    limits: Limits,
    admission: Admission,
    /// `terminate_workers` / `kill_workers` was called: no worker starts again.
    terminating: bool,
    pending: VecDeque<TaskRecord<P>>,
    sent: HashMap<TaskId, TaskRecord<P>>,
    workers: HashMap<WorkerId, WorkerState<W>>,
    /// Workers decided on whose handshake has not finished, with their handle once
    /// their process exists (so that they can be stopped too).
    starting: HashMap<WorkerId, Option<W>>,
    next_task: TaskId,
    next_worker: WorkerId,
    /// How many tasks in a row were short, for [`pipeline_depth`].
    short_streak: usize,
}

impl<P: Payload<W>, W: Clone> Scheduler<P, W> {
    pub(crate) fn new(limits: Limits) -> Scheduler<P, W> {
        Scheduler {
            limits,
            admission: Admission::Open,
            terminating: false,
            pending: VecDeque::new(),
            sent: HashMap::new(),
            workers: HashMap::new(),
            starting: HashMap::new(),
            next_task: 0,
            next_worker: 0,
            short_streak: 0,
        }
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }

    /// A fresh task id, for building the task's frame before it is submitted.
    pub(crate) fn next_task_id(&mut self) -> TaskId {
        self.next_task += 1;
        self.next_task
    }

    /// Queues a task; `Err` if the pool is shut down or broken.
    pub(crate) fn submit(&mut self, id: TaskId, payload: P) -> Result<Actions<P, W>, Error> {
        self.admission.check()?;
        let frame_len = payload.frame_len();
        self.pending.push_back(TaskRecord {
            id,
            payload,
            frame_len,
            resends: 0,
            suspected: 0,
        });
        Ok(self.rebalance(Actions::new()))
    }

    /// Worker `worker`'s process exists (its handshake follows). If the pool is being
    /// stopped meanwhile, it is stopped at once.
    pub(crate) fn worker_spawned(&mut self, worker: WorkerId, handle: W) -> Actions<P, W> {
        let mut actions = Actions::new();
        if self.terminating {
            actions.push(Action::Stop(handle.clone(), Stop::Kill));
        }
        self.starting.insert(worker, Some(handle));
        actions
    }

    /// Worker `worker` finished its handshake: it can take tasks.
    pub(crate) fn worker_ready(&mut self, worker: WorkerId, pipe_capacity: usize) -> Actions<P, W> {
        let mut actions = Actions::new();
        let Some(Some(handle)) = self.starting.remove(&worker) else {
            return actions;
        };
        // Too late: the pool broke or is being stopped while this one started.
        let closing = self.admission.is_broken() || self.terminating;
        if closing {
            actions.push(Action::Close(handle.clone()));
        }
        let state = WorkerState {
            handle,
            assigned: Vec::new(),
            assigned_bytes: 0,
            pipeline_bytes: PIPELINED_BYTES.min(pipe_capacity / 2),
            budget: self.limits.max_tasks_per_child,
            closing,
        };
        self.workers.insert(worker, state);
        self.rebalance(actions)
    }

    /// Worker `worker` could not be started or failed its handshake: the pool is
    /// broken (Python's `BrokenProcessPool`), and no worker is started again.
    pub(crate) fn worker_failed_to_start(
        &mut self,
        worker: WorkerId,
        reason: &str,
    ) -> Actions<P, W> {
        self.starting.remove(&worker);
        // A worker stopped by terminate_workers() while starting is no failure.
        if self.terminating {
            return Actions::new();
        }
        self.break_pool(reason)
    }

    /// Task `id` ended on worker `worker` after running for `run_time`: its payload,
    /// for the driver to complete with the worker's outcome (`None` if the task is not
    /// one this worker was sent: an id it made up, or a task failed meanwhile).
    pub(crate) fn task_finished(
        &mut self,
        worker: WorkerId,
        id: TaskId,
        run_time: Duration,
    ) -> (Option<P>, Actions<P, W>) {
        self.short_streak = if run_time < SHORT_TASK {
            self.short_streak + 1
        } else {
            0
        };
        let finished = self.workers.get_mut(&worker).and_then(|state| {
            let position = state.assigned.iter().position(|&a| a == id)?;
            // `remove`, not `swap_remove`: the order sent matters to `worker_exited`.
            state.assigned.remove(position);
            let task = self.sent.remove(&id)?;
            state.assigned_bytes -= task.frame_len;
            Some(task.payload)
        });
        (finished, self.rebalance(Actions::new()))
    }

    /// Worker `worker`'s time limit fired and its supervisor is stopping it: it gets no
    /// more tasks.
    pub(crate) fn worker_retiring(&mut self, worker: WorkerId) {
        if let Some(state) = self.workers.get_mut(&worker) {
            state.closing = true;
        }
    }

    /// Worker `worker` is gone and reaped: the task it was running fails; the tasks it
    /// was sent and had not started go to the next worker, first in line, except a
    /// suspect that was suspected too often.
    ///
    /// If the worker died running a task, or the pool itself killed it, the tasks not
    /// started are innocent: resent without counting. Otherwise it may have died
    /// reading the first of them: that one is the suspect, and counts the resend.
    pub(crate) fn worker_exited(&mut self, worker: WorkerId, exit: &WorkerExit) -> Actions<P, W> {
        let mut actions = Actions::new();
        self.starting.remove(&worker);
        let Some(state) = self.workers.remove(&worker) else {
            return actions;
        };
        let suspect = match exit.running {
            None if !exit.killed_by_pool => state.assigned.first().copied(),
            _ => None,
        };
        let mut resend = Vec::new();
        for id in state.assigned {
            let Some(mut task) = self.sent.remove(&id) else {
                continue;
            };
            let given_up = Some(id) == suspect && task.suspected >= MAX_RESENDS;
            if Some(id) == exit.running || self.terminating || given_up {
                let error = self.death_error(id, exit);
                actions.push(Action::Fail(task.payload, error));
            } else {
                task.resends += 1;
                task.suspected += u32::from(Some(id) == suspect);
                resend.push(task);
            }
        }
        resend.sort_by_key(|task| std::cmp::Reverse(task.id));
        for task in resend {
            self.pending.push_front(task);
        }
        self.rebalance(actions)
    }

    /// The error of task `id`, which was on a worker that exited.
    fn death_error(&self, id: TaskId, exit: &WorkerExit) -> Error {
        match self.limits.task_time_limit {
            Some(limit) if exit.time_limited == Some(id) => Error::TaskTimeLimit { limit },
            _ => Error::WorkerDied {
                pid: exit.pid,
                cause: exit.cause,
            },
        }
    }

    /// Python's `shutdown(cancel_futures=...)`: no more submits; with `cancel_futures`,
    /// the tasks not sent yet are cancelled (a resent one stays: its future already
    /// says it runs).
    pub(crate) fn shutdown(&mut self, cancel_futures: bool) -> Actions<P, W> {
        self.admission.shut_down();
        let mut actions = Actions::new();
        if cancel_futures {
            let (fresh, resent): (Vec<_>, Vec<_>) =
                self.pending.drain(..).partition(|task| task.resends == 0);
            self.pending.extend(resent);
            actions.extend(fresh.into_iter().map(|task| Action::Cancel(task.payload)));
        }
        self.close_idle_workers(&mut actions);
        actions
    }

    /// Python 3.14's `terminate_workers` / `kill_workers`: shut down, cancel what has
    /// not started, and stop every worker, starting ones included. Tasks waiting to be
    /// sent again after a crash are "running" for their futures: they cannot be
    /// cancelled, and no worker will take them now, so they fail.
    pub(crate) fn terminate(&mut self, stop: Stop) -> Actions<P, W> {
        self.terminating = true;
        let handles = self.workers.values().map(|state| &state.handle);
        let starting = self.starting.values().flatten();
        let mut actions: Actions<P, W> = handles
            .chain(starting)
            .map(|handle| Action::Stop(handle.clone(), stop))
            .collect();
        let reason = "terminate_workers() or kill_workers() stopped the pool before this \
                      task could be sent to a worker again";
        let (resent, fresh): (Vec<_>, Vec<_>) =
            self.pending.drain(..).partition(|task| task.resends > 0);
        self.pending.extend(fresh);
        for task in resent {
            let error = Error::BrokenExecutor {
                reason: reason.into(),
            };
            actions.push(Action::Fail(task.payload, error));
        }
        actions.extend(self.shutdown(true));
        actions
    }

    /// `true` once nothing is left to do: no task waits or runs, no worker is starting.
    /// (Workers still exiting are the driver's to wait for.)
    pub(crate) fn is_idle(&self) -> bool {
        self.pending.is_empty() && self.sent.is_empty() && self.starting.is_empty()
    }

    /// The handles of the workers that finished their handshake.
    pub(crate) fn workers(&self) -> impl Iterator<Item = &W> {
        self.workers.values().map(|state| &state.handle)
    }

    /// Counts for `Debug`: workers, tasks waiting, tasks sent, and the state's word.
    pub(crate) fn summary(&self) -> (usize, usize, usize, &'static str) {
        (
            self.workers.len(),
            self.pending.len(),
            self.sent.len(),
            self.admission.describe(),
        )
    }

    /// Marks the pool broken, fails every task, and stops the workers that were
    /// running some (as Python terminates the workers of a broken pool, so that no
    /// "failed" task goes on running).
    fn break_pool(&mut self, reason: &str) -> Actions<P, W> {
        self.admission.break_with(reason);
        let mut actions = Actions::new();
        for state in self.workers.values_mut() {
            // Stopped before their futures fail, so that no callback of a "failed"
            // task can see it still running.
            if !state.assigned.is_empty() {
                actions.push(Action::Stop(state.handle.clone(), Stop::Term));
            }
            state.assigned.clear();
            state.assigned_bytes = 0;
            state.closing = true;
            actions.push(Action::Close(state.handle.clone()));
        }
        let error = Error::BrokenExecutor {
            reason: reason.to_string(),
        };
        let sent = self.sent.drain().map(|(_, task)| task);
        let failed = self.pending.drain(..).chain(sent);
        actions.extend(failed.map(|task| Action::Fail(task.payload, error.clone())));
        actions
    }

    /// After any change: hand out work, start workers, retire idle ones.
    fn rebalance(&mut self, mut actions: Actions<P, W>) -> Actions<P, W> {
        self.dispatch(&mut actions);
        self.close_idle_workers(&mut actions);
        actions
    }

    /// Sends pending tasks to idle workers, then starts workers if more are needed and
    /// allowed, then (at the limit, after short tasks) pipelines to busy ones.
    fn dispatch(&mut self, actions: &mut Actions<P, W>) {
        while let Some(worker) = self.pick_worker(|state, _| state.assigned.is_empty()) {
            if !self.assign_next(worker, actions) {
                break;
            }
        }
        let running = self.workers.values().filter(|s| !s.closing).count();
        let room = self
            .limits
            .max_workers
            .saturating_sub(running + self.starting.len());
        let wanted = self.pending.len().saturating_sub(self.starting.len());
        if !self.terminating {
            for _ in 0..room.min(wanted) {
                self.next_worker += 1;
                self.starting.insert(self.next_worker, None);
                actions.push(Action::Spawn(self.next_worker));
            }
        }
        let depth = pipeline_depth(self.short_streak);
        if room > 0 || depth == 1 {
            return;
        }
        while let Some(worker) = self.pick_worker(|state, next_len| {
            state.assigned.len() < depth && state.assigned_bytes + next_len <= state.pipeline_bytes
        }) {
            if !self.assign_next(worker, actions) {
                break;
            }
        }
    }

    /// The worker to give the next task to: among those that take tasks and pass
    /// `fits` (given the next task's frame size), the least busy.
    fn pick_worker(&self, fits: impl Fn(&WorkerState<W>, usize) -> bool) -> Option<WorkerId> {
        let next_len = self.pending.front()?.frame_len;
        self.workers
            .iter()
            .filter(|(_, state)| state.takes_tasks() && fits(state, next_len))
            .min_by_key(|(_, state)| state.assigned.len())
            .map(|(&id, _)| id)
    }

    /// Sends the next pending task that was not cancelled to `worker`; `false` if none
    /// is left.
    fn assign_next(&mut self, worker: WorkerId, actions: &mut Actions<P, W>) -> bool {
        while let Some(task) = self.pending.pop_front() {
            // A resent task is already running; a fresh one may have been cancelled.
            if task.resends == 0 && !task.payload.claim() {
                continue;
            }
            let state = self.workers.get_mut(&worker).expect("picked from the map");
            state.assigned.push(task.id);
            state.assigned_bytes += task.frame_len;
            if let Some(budget) = state.budget.as_mut() {
                *budget -= 1;
            }
            let frame = task.payload.assign(&state.handle);
            actions.push(Action::Write(state.handle.clone(), frame));
            self.sent.insert(task.id, task);
            return true;
        }
        false
    }

    /// Closes the pipes of workers that have nothing to do and never will: out of
    /// budget, or the pool is shut down with nothing pending.
    fn close_idle_workers(&mut self, actions: &mut Actions<P, W>) {
        let done = !self.admission.is_open() && self.pending.is_empty();
        for state in self.workers.values_mut() {
            let retired = state.budget == Some(0);
            if !state.closing && state.assigned.is_empty() && (done || retired) {
                state.closing = true;
                actions.push(Action::Close(state.handle.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests;
