//! One thread per worker process, in the pool's process: it starts the worker, does the
//! handshake, then turns everything the worker says, and its death, into pool events,
//! and enforces the task time limit.
//!
//! The thread sleeps in `poll` on three descriptors: the worker's result pipe, a pidfd
//! that becomes readable when the worker exits, and an eventfd (the doorbell). (While
//! the worker runs short tasks, the thread first waits awake a moment for the next
//! message: see [`crate::spin`].) Death is an event, not something polled for on a
//! timer; the timeouts are the handshake's, the time limit's, and the look every
//! [`FETCHED_TICK`] while a waiting thread reads the pipe.

use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::handle::WorkerHandle;
use super::handshake::handshake;
use super::reap::{exit_cause, WorkerProcess};
use super::results::{ReadState, ResultReader, AWAKE_FOR_RESULT};
use super::spawn::spawn_with_retries;
use super::{pool_mark, PoolEvents, ReadBy};
use crate::future::Fetcher;
use crate::process_pool::event::{Stop, TaskId, WorkerExit, WorkerId};

/// After SIGTERM (time limit), how long before SIGKILL.
pub(crate) const TERM_GRACE: Duration = Duration::from_secs(1);

/// While threads waiting for its futures read a worker's pipe themselves, how often
/// the supervisor looks whether they still do. A message that arrives just as the
/// last fetcher leaves satisfied is delivered at most this late. A fetcher that leaves
/// without its result rings the doorbell instead.
const FETCHED_TICK: Duration = Duration::from_millis(1);

/// The body of worker `worker`'s supervisor thread: start, serve, reap, report.
pub(crate) fn supervise<E: PoolEvents>(events: Arc<E>, worker: WorkerId) {
    let _mark = crate::pool_thread::work_for(pool_mark(&*events));
    let _end = EndGuard(&*events);
    let Some(mut started) = start(&events, worker) else {
        return;
    };
    let mut time_limit = TimeLimit::new(events.settings().task_time_limit);
    watch(&started, &events, worker, &mut time_limit);
    started.handle.close();
    let status = started.process.reap(&mut started.child);
    let (running, killed) = {
        let state = started.results.lock();
        (state.running, state.killed)
    };
    let exit = WorkerExit {
        pid: started.process.pid(),
        cause: exit_cause(status),
        running: running.map(|(id, _)| id),
        time_limited: time_limit.fired,
        killed_by_pool: killed || time_limit.kill_at.is_some(),
    };
    events.exited(worker, exit);
}

/// Tells the pool this thread is done, however it ends (unwinding included).
struct EndGuard<'a, E: PoolEvents>(&'a E);

impl<E: PoolEvents> Drop for EndGuard<'_, E> {
    fn drop(&mut self) {
        self.0.supervisor_ended();
    }
}

/// A worker past its handshake.
struct Started<E: PoolEvents> {
    child: Child,
    process: Arc<WorkerProcess>,
    handle: Arc<WorkerHandle>,
    results: Arc<ResultReader<E>>,
}

/// Spawns the worker and runs the handshake; `None` (reported to the pool) if either
/// fails.
fn start<E: PoolEvents>(events: &Arc<E>, worker: WorkerId) -> Option<Started<E>> {
    let spawned = match spawn_with_retries() {
        Ok(spawned) => spawned,
        Err(e) => {
            events.failed_to_start(worker, format!("could not start a worker process: {e}"));
            return None;
        }
    };
    let mut child = spawned.child;
    let process = Arc::new(WorkerProcess::new(child.id()));
    let results = Arc::new(ResultReader::new(
        Arc::clone(events),
        worker,
        Arc::clone(&process),
        spawned.from_worker,
        spawned.doorbell,
    ));
    let fetcher: Arc<dyn Fetcher> = results.clone();
    let handle = Arc::new(WorkerHandle::new(
        Arc::clone(&process),
        spawned.to_worker,
        fetcher,
    ));
    events.spawned(worker, &handle);
    if let Err(why) = handshake(&results, &handle, events.settings()) {
        handle.close();
        let status = process.reap(&mut child);
        let pid = process.pid();
        let reason = format!("{why} (worker process {pid} {})", exit_cause(status));
        events.failed_to_start(worker, reason);
        return None;
    }
    events.ready(worker, spawned.task_pipe_capacity);
    Some(Started {
        child,
        process,
        handle,
        results,
    })
}

/// Reports what the worker says until it is gone and its pipe drained.
fn watch<E: PoolEvents>(
    started: &Started<E>,
    events: &Arc<E>,
    worker: WorkerId,
    time_limit: &mut TimeLimit,
) {
    let results = &started.results;
    loop {
        let timeout = {
            let state = results.lock();
            time_limit.deadline(&state)
        }
        .map(|deadline| deadline.saturating_duration_since(Instant::now()));
        let exited = timeout != Some(Duration::ZERO) && wait_for_news(results, timeout);
        let mut state = results.lock();
        let mut deferred = std::mem::take(&mut state.deferred);
        let drained = results.pump(&mut state, ReadBy::Supervisor, &mut deferred);
        if exited && drained {
            // Dead, and nothing left in the pipe.
            state.closed = true;
        }
        if !state.closed && !state.killed {
            time_limit.enforce(&mut state, &started.process, || events.retiring(worker));
        }
        let closed = state.closed;
        drop(state);
        for left in deferred {
            events.run_deferred(left);
        }
        if closed {
            return;
        }
    }
}

/// Sleeps until there is news: a message (unless a waiting thread reads the pipe
/// itself), the worker's exit (`true`), the doorbell, or `timeout`.
fn wait_for_news<E: PoolEvents>(results: &ResultReader<E>, timeout: Option<Duration>) -> bool {
    // While a waiting thread reads the pipe itself, this thread stays out of its way:
    // it does not watch the pipe (every message would wake it, for nothing), and looks
    // again every `FETCHED_TICK` to take over when the fetching stops.
    if !results.is_fetched() && results.result_due_soon() {
        // Stay awake for a short task's result, unless a waiting thread starts
        // reading it itself.
        crate::spin::spin_until(AWAKE_FOR_RESULT, || {
            results.is_fetched() || results.has_input()
        });
    }
    let watch_pipe = !results.is_fetched();
    let timeout = if watch_pipe {
        timeout
    } else {
        Some(timeout.map_or(FETCHED_TICK, |t| t.min(FETCHED_TICK)))
    };
    match results.wait(watch_pipe, timeout) {
        Ok(exited) => exited,
        Err(e) => {
            // Cannot watch it any more: stop it, and wait for its end.
            results.abandon(e);
            true
        }
    }
}

/// The per-task time limit: SIGTERM when the running task is over it, SIGKILL
/// [`TERM_GRACE`] later.
struct TimeLimit {
    limit: Option<Duration>,
    /// The task whose limit fired (not whichever runs when the worker dies).
    fired: Option<TaskId>,
    kill_at: Option<Instant>,
}

impl TimeLimit {
    fn new(limit: Option<Duration>) -> TimeLimit {
        TimeLimit {
            limit,
            fired: None,
            kill_at: None,
        }
    }

    /// When the supervisor must act next, if at all.
    fn deadline<D>(&self, state: &ReadState<D>) -> Option<Instant> {
        if state.killed {
            return None;
        }
        self.kill_at.or_else(|| {
            let (_, started) = state.running?;
            Some(started + self.limit?)
        })
    }

    /// Sends the signal that is due, if one is; `retire` tells the pool when the limit
    /// fires.
    fn enforce<D>(
        &mut self,
        state: &mut ReadState<D>,
        process: &WorkerProcess,
        retire: impl FnOnce(),
    ) {
        let now = Instant::now();
        if let Some(kill_at) = self.kill_at {
            if now >= kill_at {
                process.stop(Stop::Kill);
                state.killed = true;
            }
            return;
        }
        let (Some((id, started)), Some(limit)) = (state.running, self.limit) else {
            return;
        };
        if now >= started + limit {
            self.fired = Some(id);
            retire();
            process.stop(Stop::Term);
            self.kill_at = Some(now + TERM_GRACE);
        }
    }
}
