//! The pool's bookkeeping: which tasks wait, which worker runs what, and what happens
//! when a worker finishes, dies or cannot start.
//!
//! Everything here runs under one lock (`Scheduler::state`), briefly: decisions only.
//! The slow or foreign work a decision calls for (writing a frame to a pipe, starting a
//! process, completing a future, which runs user callbacks) is returned as [`Actions`]
//! and carried out after the lock is released.

use std::collections::{HashMap, VecDeque};
use std::process::ExitStatus;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex, MutexGuard};

use super::completion::Completion;
use super::connection;
use super::protocol::Outcome;
use crate::future::Helper;
use crate::{Error, ExitCause};

/// A task that runs shorter than this is "short": for it, the pipe's round trip costs
/// more than the work.
const SHORT_TASK: Duration = Duration::from_micros(200);

/// How many tasks in a row must have been short before tasks are pipelined.
const SHORT_STREAK: usize = 8;

/// How many tasks a busy worker may be sent ahead of time, when every worker is busy
/// and no more may start. Only after a streak of short tasks: then the round trip would
/// dominate, and queueing 16 deep hides it. One long task ends the streak, because a
/// task queued behind a long one could have gone to a worker that frees up first (it
/// cannot be taken back out of a pipe), and balance matters more than latency there.
/// Mixed workloads (the prime checker: instant composites among long primes) therefore
/// run unpipelined.
fn pipeline_depth(short_streak: usize) -> usize {
    if short_streak >= SHORT_STREAK {
        16
    } else {
        1
    }
}

/// The most bytes of frames a busy worker may have waiting in its pipe (and at most
/// half of what its pipe holds). A busy worker does not read, and a write into a full
/// pipe would block the thread that submits (or a connection thread, which could then
/// deadlock with its own worker); staying under half keeps every write to a busy
/// worker immediate. Larger frames wait for an idle worker, which reads at once.
const PIPELINED_BYTES: usize = 32 * 1024;

/// How many times a task that was sent but never started may be the suspect of its
/// worker's death (see `worker_died`) and be sent again, before it fails: a frame
/// that kills any worker that reads it (say, an argument too big for its memory)
/// must not be resent forever.
const MAX_RESENDS: u32 = 3;

/// Fixed settings of one pool.
pub(crate) struct Config {
    pub(crate) max_workers: usize,
    pub(crate) initializer: Option<super::protocol::Initializer>,
    pub(crate) max_tasks_per_child: Option<usize>,
    pub(crate) task_time_limit: Option<Duration>,
    /// Keys the tags of the entry points this pool sends.
    pub(crate) key: u64,
}

pub(crate) struct Scheduler {
    pub(crate) config: Config,
    state: Mutex<State>,
    /// Signalled whenever a task ends or a worker comes or goes (for `shutdown`).
    changed: Condvar,
}

/// A task and its frame, as long as it is not finished.
struct Task {
    id: u64,
    frame: Arc<[u8]>,
    completion: Box<dyn Completion>,
    /// How many times it was sent again after its worker died (its future already
    /// says "running" once this is above 0).
    resends: u32,
    /// How many of those deaths it was the suspect of (see `worker_died`).
    suspected: u32,
}

/// The parent's end of a worker's task pipe; `None` once closed.
pub(crate) type TaskPipe = Arc<Mutex<Option<std::io::PipeWriter>>>;

struct Worker {
    pid: u32,
    pipe: TaskPipe,
    /// Its connection's link, given to the futures of the tasks it is sent.
    helper: Arc<dyn Helper>,
    /// Tasks sent to it and not finished, in the order sent.
    assigned: Vec<u64>,
    /// The size of their frames: see [`PIPELINED_BYTES`].
    assigned_bytes: usize,
    /// How many bytes may be pipelined to it: `PIPELINED_BYTES` or half its pipe.
    pipeline_bytes: usize,
    /// Tasks it may still be sent before it must retire (`max_tasks_per_child`).
    budget: Option<usize>,
    /// Its pipe is being closed: it gets no more tasks and will exit.
    closing: bool,
    /// It exited and is about to be reaped: its pid must not be signalled any more
    /// (once reaped, the number may belong to another process).
    reaping: bool,
}

#[derive(Default)]
struct State {
    pending: VecDeque<Task>,
    sent: HashMap<u64, Task>,
    workers: HashMap<u64, Worker>,
    /// Workers spawned whose handshake has not finished...
    starting: usize,
    /// ...and the pids of those whose process exists already (to stop them too).
    starting_pids: HashMap<u64, u32>,
    next_task: u64,
    next_worker: u64,
    shutdown: bool,
    terminating: bool,
    broken: Option<String>,
    /// Connection threads started, to be joined.
    threads: Vec<JoinHandle<()>>,
    /// Connection threads decided on and not yet at their very end: what `join_all`
    /// waits for (a handle may reach `threads` only after its thread is done).
    live_threads: usize,
    /// How many tasks in a row were short, for [`pipeline_depth`].
    short_streak: usize,
}

/// Work decided under the lock, done after it.
#[must_use]
#[derive(Default)]
pub(crate) struct Actions {
    writes: Vec<(TaskPipe, Arc<[u8]>)>,
    spawns: Vec<u64>,
    close: Vec<TaskPipe>,
    fail: Vec<(Box<dyn Completion>, Error)>,
    cancel: Vec<Box<dyn Completion>>,
    finish: Vec<(Box<dyn Completion>, Outcome)>,
}

impl Actions {
    /// Adds `other`'s work to this.
    pub(crate) fn merge(&mut self, other: Actions) {
        self.writes.extend(other.writes);
        self.spawns.extend(other.spawns);
        self.close.extend(other.close);
        self.fail.extend(other.fail);
        self.cancel.extend(other.cancel);
        self.finish.extend(other.finish);
    }

    /// Takes out the finished tasks' completions, for a thread that completes them
    /// itself (see `connection::Link::help`).
    pub(crate) fn take_finished(&mut self) -> Vec<(Box<dyn Completion>, Outcome)> {
        std::mem::take(&mut self.finish)
    }

    /// Takes out what may run user callbacks or start threads (failing, cancelling,
    /// starting workers), leaving only writes and closes.
    pub(crate) fn take_foreign(&mut self) -> Actions {
        Actions {
            spawns: std::mem::take(&mut self.spawns),
            fail: std::mem::take(&mut self.fail),
            cancel: std::mem::take(&mut self.cancel),
            finish: std::mem::take(&mut self.finish),
            ..Actions::default()
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.writes.is_empty()
            && self.spawns.is_empty()
            && self.close.is_empty()
            && self.fail.is_empty()
            && self.cancel.is_empty()
            && self.finish.is_empty()
    }
}

impl Scheduler {
    pub(crate) fn new(config: Config) -> Arc<Scheduler> {
        Arc::new(Scheduler {
            config,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        })
    }

    /// A fresh task id, for building the task's frame.
    pub(crate) fn next_task_id(&self) -> u64 {
        let mut state = self.state.lock();
        state.next_task += 1;
        state.next_task
    }

    /// Queues a task. `Err` if the pool is shut down or broken.
    pub(crate) fn submit(
        self: &Arc<Self>,
        id: u64,
        frame: Vec<u8>,
        completion: Box<dyn Completion>,
    ) -> Result<(), Error> {
        let mut state = self.state.lock();
        if let Some(reason) = &state.broken {
            return Err(Error::BrokenExecutor {
                reason: reason.clone(),
            });
        }
        if state.shutdown {
            return Err(Error::Shutdown);
        }
        state.pending.push_back(Task {
            id,
            frame: frame.into(),
            completion,
            resends: 0,
            suspected: 0,
        });
        self.settle(state, Actions::default());
        Ok(())
    }

    /// Sends pending tasks to workers that can take them, and starts workers if more
    /// are needed and allowed.
    fn dispatch(&self, state: &mut State, actions: &mut Actions) {
        // Idle workers first, then new workers, then (at the limit) pipelining.
        while let Some(worker_id) = pick_worker(state, |w| w.assigned.is_empty()) {
            if !self.assign_next(state, worker_id, actions) {
                break;
            }
        }
        let running = state.workers.values().filter(|w| !w.closing).count();
        let room = self
            .config
            .max_workers
            .saturating_sub(running + state.starting);
        let wanted = state.pending.len().saturating_sub(state.starting);
        if !state.terminating {
            for _ in 0..room.min(wanted) {
                state.starting += 1;
                state.live_threads += 1;
                state.next_worker += 1;
                actions.spawns.push(state.next_worker);
            }
        }
        let depth = pipeline_depth(state.short_streak);
        if room == 0 && depth > 1 {
            let next_len = |state: &State| state.pending.front().map_or(0, |t| t.frame.len());
            while let Some(worker_id) = pick_worker(state, |w| {
                w.assigned.len() < depth && w.assigned_bytes + next_len(state) <= w.pipeline_bytes
            }) {
                if !self.assign_next(state, worker_id, actions) {
                    break;
                }
            }
        }
    }

    /// After any change: hand out work, retire idle workers, wake `shutdown`, then
    /// release the lock and carry the decisions out.
    fn settle(self: &Arc<Self>, state: MutexGuard<'_, State>, actions: Actions) {
        let actions = self.settle_later(state, actions);
        self.carry_out(actions);
    }

    /// `settle`, leaving the decisions to the caller to carry out.
    fn settle_later(&self, mut state: MutexGuard<'_, State>, mut actions: Actions) -> Actions {
        self.dispatch(&mut state, &mut actions);
        self.close_idle_workers(&mut state, &mut actions);
        self.changed.notify_all();
        actions
    }

    /// Sends the next pending task that was not cancelled to `worker_id`; `false` if
    /// none is left.
    fn assign_next(&self, state: &mut State, worker_id: u64, actions: &mut Actions) -> bool {
        while let Some(task) = state.pending.pop_front() {
            // A resent task is already running; a fresh one may have been cancelled.
            if task.resends == 0 && !task.completion.start() {
                continue;
            }
            let worker = state
                .workers
                .get_mut(&worker_id)
                .expect("picked from the map");
            worker.assigned.push(task.id);
            task.completion.assigned(&worker.helper);
            worker.assigned_bytes += task.frame.len();
            if let Some(budget) = worker.budget.as_mut() {
                *budget -= 1;
            }
            actions
                .writes
                .push((Arc::clone(&worker.pipe), Arc::clone(&task.frame)));
            state.sent.insert(task.id, task);
            return true;
        }
        false
    }

    /// Runs what a decision called for. Never called with the lock held.
    pub(crate) fn carry_out(self: &Arc<Self>, actions: Actions) {
        for (pipe, frame) in actions.writes {
            // A failed write means the worker is dying; its connection thread will
            // see the death and send the task elsewhere.
            if let Some(pipe) = pipe.lock().as_mut() {
                let _ = super::os::write_all_without_sigpipe(pipe, &frame);
            }
        }
        for pipe in actions.close {
            pipe.lock().take();
        }
        for worker_id in actions.spawns {
            let scheduler = Arc::clone(self);
            let started = std::thread::Builder::new()
                .name(format!("concurrent-futures-worker-{worker_id}"))
                .spawn(move || connection::run(scheduler, worker_id));
            match started {
                Ok(handle) => {
                    // Join the threads of workers that are gone while adding this one,
                    // so that a long-lived pool replacing workers does not pile up
                    // finished threads (their stacks stay mapped until joined).
                    let finished: Vec<_> = {
                        let mut state = self.state.lock();
                        state.threads.push(handle);
                        let (done, live) = std::mem::take(&mut state.threads)
                            .into_iter()
                            .partition(|t| t.is_finished());
                        state.threads = live;
                        done
                    };
                    for thread in finished {
                        let _ = thread.join();
                    }
                }
                Err(e) => {
                    self.connection_thread_ended();
                    let actions = self.worker_failed_to_start(
                        worker_id,
                        format!("could not start a thread to watch a new worker: {e}"),
                    );
                    self.carry_out(actions);
                }
            }
        }
        for (completion, error) in actions.fail {
            completion.fail(error);
        }
        for completion in actions.cancel {
            completion.cancel();
        }
        for (completion, outcome) in actions.finish {
            // Decoding (caught there) and callbacks (caught by the future) are the
            // only user code here: this thread survives both.
            completion.finish(outcome);
        }
    }

    /// Called by every connection thread as the last thing it does.
    pub(crate) fn connection_thread_ended(&self) {
        let mut state = self.state.lock();
        state.live_threads -= 1;
        self.changed.notify_all();
    }

    /// A worker's process exists (its handshake follows). If the pool is being
    /// stopped meanwhile, it is stopped at once.
    pub(crate) fn worker_spawned(&self, worker_id: u64, pid: u32) {
        let mut state = self.state.lock();
        state.starting_pids.insert(worker_id, pid);
        if state.terminating {
            super::os::signal_group(pid, libc::SIGKILL);
        }
    }

    /// A worker finished its handshake: it can take tasks.
    pub(crate) fn worker_ready(
        self: &Arc<Self>,
        worker_id: u64,
        pid: u32,
        pipe: TaskPipe,
        helper: Arc<dyn Helper>,
        pipe_capacity: usize,
    ) {
        let mut state = self.state.lock();
        state.starting -= 1;
        state.starting_pids.remove(&worker_id);
        let closing = state.broken.is_some() || state.terminating;
        let mut actions = Actions::default();
        if closing {
            // Too late: the pool broke or is being stopped while this one started.
            actions.close.push(Arc::clone(&pipe));
        }
        let budget = self.config.max_tasks_per_child;
        state.workers.insert(
            worker_id,
            Worker {
                pid,
                pipe,
                helper,
                assigned: Vec::new(),
                assigned_bytes: 0,
                pipeline_bytes: PIPELINED_BYTES.min(pipe_capacity / 2),
                budget,
                closing,
                reaping: false,
            },
        );
        self.settle(state, actions);
    }

    /// A worker could not be started or failed its handshake: the pool is broken
    /// (Python's `BrokenProcessPool`), and no worker is started again.
    pub(crate) fn worker_failed_to_start(
        self: &Arc<Self>,
        worker_id: u64,
        reason: String,
    ) -> Actions {
        let mut state = self.state.lock();
        state.starting -= 1;
        state.starting_pids.remove(&worker_id);
        // A worker stopped by terminate_workers() while starting is no failure.
        let actions = if state.terminating {
            Actions::default()
        } else {
            self.break_pool(&mut state, reason)
        };
        self.changed.notify_all();
        actions
    }

    pub(crate) fn report_start_failure(self: &Arc<Self>, worker_id: u64, reason: String) {
        let actions = self.worker_failed_to_start(worker_id, reason);
        self.carry_out(actions);
    }

    fn break_pool(&self, state: &mut State, reason: String) -> Actions {
        let mut actions = Actions::default();
        if state.broken.is_none() {
            state.broken = Some(reason.clone());
        }
        let error = Error::BrokenExecutor { reason };
        for task in state
            .pending
            .drain(..)
            .chain(state.sent.drain().map(|(_, task)| task))
        {
            actions.fail.push((task.completion, error.clone()));
        }
        for worker in state.workers.values_mut() {
            // Their tasks were just failed: stop them, as Python terminates the
            // workers of a broken pool, so that no "failed" task goes on running.
            if !worker.assigned.is_empty() && !worker.reaping {
                super::os::signal_group(worker.pid, libc::SIGTERM);
            }
            worker.assigned.clear();
            worker.assigned_bytes = 0;
            worker.closing = true;
            actions.close.push(Arc::clone(&worker.pipe));
        }
        actions
    }

    /// Task `id` ended on worker `worker_id`, after running for `run_time`. The
    /// caller carries out what follows (completing its future among it), so that it
    /// can choose where and when.
    pub(crate) fn task_finished(
        &self,
        worker_id: u64,
        id: u64,
        outcome: Outcome,
        run_time: Duration,
    ) -> Actions {
        let mut state = self.state.lock();
        let mut actions = Actions::default();
        state.short_streak = if run_time < SHORT_TASK {
            state.short_streak + 1
        } else {
            0
        };
        // Only a task this worker was sent counts: an id it made up, or a task failed
        // meanwhile (the pool broke), changes nothing.
        let worker = state.workers.get_mut(&worker_id);
        let position = worker
            .as_ref()
            .and_then(|w| w.assigned.iter().position(|&a| a == id));
        if let (Some(worker), Some(position)) = (worker, position) {
            // `remove`, not `swap_remove`: the order sent matters to `worker_died`.
            worker.assigned.remove(position);
            if let Some(task) = state.sent.remove(&id) {
                let worker = state.workers.get_mut(&worker_id).expect("found above");
                worker.assigned_bytes -= task.frame.len();
                actions.finish.push((task.completion, outcome));
            }
        }
        self.settle_later(state, actions)
    }

    /// Closes the pipes of workers that have nothing to do and never will: out of
    /// budget, or the pool is shut down with nothing pending.
    fn close_idle_workers(&self, state: &mut State, actions: &mut Actions) {
        let done = state.shutdown && state.pending.is_empty();
        for worker in state.workers.values_mut() {
            let retired = worker.budget == Some(0);
            if !worker.closing && worker.assigned.is_empty() && (done || retired) {
                worker.closing = true;
                actions.close.push(Arc::clone(&worker.pipe));
            }
        }
    }

    /// Worker `worker_id` is gone (reaped). `running` is the task it had started, if
    /// any; `time_limited` is the task whose time limit had it stopped, if any.
    pub(crate) fn worker_died(
        self: &Arc<Self>,
        worker_id: u64,
        status: ExitStatus,
        running: Option<u64>,
        time_limited: Option<u64>,
        killed_by_pool: bool,
    ) {
        let mut state = self.state.lock();
        let mut actions = Actions::default();
        let Some(worker) = state.workers.remove(&worker_id) else {
            return;
        };
        let cause = exit_cause(status);
        // Tasks sent but never acknowledged did not run. If the worker died running
        // a task, or the pool itself killed it (time limit, garbage), they are
        // innocent: resent without counting. Otherwise it may have died reading the
        // first of them: that one is the suspect, and counts the resend.
        let suspect = match running {
            Some(_) => None,
            None if killed_by_pool => None,
            None => worker.assigned.first().copied(),
        };
        let mut resend = Vec::new();
        for id in worker.assigned {
            let Some(mut task) = state.sent.remove(&id) else {
                continue;
            };
            if Some(id) == running {
                let error = match self.config.task_time_limit {
                    Some(limit) if time_limited == Some(id) => Error::TaskTimeLimit { limit },
                    _ => Error::WorkerDied {
                        pid: worker.pid,
                        cause,
                    },
                };
                actions.fail.push((task.completion, error));
            } else if state.terminating || (Some(id) == suspect && task.suspected >= MAX_RESENDS) {
                let error = Error::WorkerDied {
                    pid: worker.pid,
                    cause,
                };
                actions.fail.push((task.completion, error));
            } else {
                // Never started: it goes to the next worker, first in line.
                task.resends += 1;
                if Some(id) == suspect {
                    task.suspected += 1;
                }
                resend.push(task);
            }
        }
        resend.sort_by_key(|task| std::cmp::Reverse(task.id));
        for task in resend {
            state.pending.push_front(task);
        }
        self.settle(state, actions);
    }

    /// Python's `shutdown(wait, cancel_futures)`.
    pub(crate) fn shutdown(self: &Arc<Self>, wait: bool, cancel_futures: bool) {
        let mut state = self.state.lock();
        state.shutdown = true;
        let mut actions = Actions::default();
        if cancel_futures {
            // Fresh tasks are cancelled; resent ones already run as far as their
            // futures know, so they stay.
            let (fresh, resent): (Vec<Task>, Vec<Task>) =
                state.pending.drain(..).partition(|task| task.resends == 0);
            state.pending.extend(resent);
            actions
                .cancel
                .extend(fresh.into_iter().map(|task| task.completion));
        }
        self.close_idle_workers(&mut state, &mut actions);
        drop(state);
        self.carry_out(actions);
        if wait {
            self.join_all();
        }
    }

    /// Waits until every task is done and every worker has exited and been reaped.
    ///
    /// From one of this pool's own connection threads (a done-callback that shuts the
    /// pool down or drops it) it cannot wait: the tasks it would wait for can only be
    /// finished by this very thread. It returns at once; the workers still finish
    /// their tasks and exit on their own, since the pool is shut down.
    fn join_all(&self) {
        if connection::is_connection_thread_of(self) {
            return;
        }
        let mut state = self.state.lock();
        while !(state.pending.is_empty()
            && state.sent.is_empty()
            && state.live_threads == 0
            && state.starting == 0)
        {
            self.changed.wait(&mut state);
        }
        let threads = std::mem::take(&mut state.threads);
        drop(state);
        for thread in threads {
            let _ = thread.join();
        }
    }

    /// Python 3.14's `terminate_workers` / `kill_workers`: shut down, cancel what has
    /// not started, and signal every worker (and its process group).
    pub(crate) fn stop_workers(self: &Arc<Self>, signal: libc::c_int) {
        let mut state = self.state.lock();
        state.terminating = true;
        // Signal first, while every worker listed is alive or at least unreaped (its
        // connection thread reaps it only after taking this lock), so that no pid
        // can have been reused.
        let running = state.workers.values().filter(|w| !w.reaping).map(|w| w.pid);
        for pid in running.chain(state.starting_pids.values().copied()) {
            super::os::signal_group(pid, signal);
        }
        // Tasks waiting to be sent again after a crash are "running" for their
        // futures: they cannot be cancelled, and no worker will take them now.
        let reason = "terminate_workers() or kill_workers() stopped the pool before this \
                      task could be sent to a worker again";
        let mut actions = Actions::default();
        let (resent, fresh): (Vec<Task>, Vec<Task>) =
            state.pending.drain(..).partition(|task| task.resends > 0);
        state.pending.extend(fresh);
        for task in resent {
            let error = Error::BrokenExecutor {
                reason: reason.into(),
            };
            actions.fail.push((task.completion, error));
        }
        drop(state);
        self.carry_out(actions);
        self.shutdown(false, true);
        self.join_all();
    }

    /// Worker `worker_id`'s process has exited and is about to be reaped: from now on
    /// its pid is not signalled (a reaped pid can be reused by any process).
    pub(crate) fn worker_reaping(&self, worker_id: u64) {
        let mut state = self.state.lock();
        state.starting_pids.remove(&worker_id);
        if let Some(worker) = state.workers.get_mut(&worker_id) {
            worker.reaping = true;
        }
    }

    /// Stops giving tasks to a worker that is being stopped (its time limit fired).
    pub(crate) fn retire_worker(&self, worker_id: u64) {
        if let Some(worker) = self.state.lock().workers.get_mut(&worker_id) {
            worker.closing = true;
        }
    }

    pub(crate) fn worker_pids(&self) -> Vec<u32> {
        let state = self.state.lock();
        let mut pids: Vec<u32> = state.workers.values().map(|w| w.pid).collect();
        pids.sort_unstable();
        pids
    }

    pub(crate) fn describe(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.lock();
        let status = match (&state.broken, state.shutdown) {
            (Some(_), _) => "broken",
            (None, true) => "shut down",
            (None, false) => "running",
        };
        f.debug_struct("ProcessPoolExecutor")
            .field("max_workers", &self.config.max_workers)
            .field("workers", &state.workers.len())
            .field("pending", &state.pending.len())
            .field("running", &state.sent.len())
            .field("state", &status)
            .finish()
    }
}

/// The worker to give a task to: among open workers that pass `fits`, the least busy.
fn pick_worker(state: &State, fits: impl Fn(&Worker) -> bool) -> Option<u64> {
    if state.pending.is_empty() {
        return None;
    }
    state
        .workers
        .iter()
        .filter(|(_, w)| !w.closing && w.budget != Some(0) && fits(w))
        .min_by_key(|(_, w)| w.assigned.len())
        .map(|(&id, _)| id)
}

pub(crate) fn exit_cause(status: ExitStatus) -> ExitCause {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitCause::Exited(code),
        (None, Some(signal)) => ExitCause::Signaled(signal),
        (None, None) => ExitCause::Exited(-1),
    }
}
