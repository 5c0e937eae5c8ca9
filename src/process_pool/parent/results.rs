//! Reading a worker's result pipe, shared by its supervisor thread and the threads
//! waiting for its tasks' futures.
//!
//! Whoever holds the read lock reads the pipe (it never blocks: the pipe is
//! non-blocking) and reports every whole message under the lock. So by the time the
//! supervisor sees the worker's end (under the same lock), every message the worker
//! sent has been accounted for, and the pool never blames or resends a task that
//! finished. Done-callbacks never run in a fetching thread: what it may not do is left
//! in [`ReadState::deferred`] for the supervisor, woken by the doorbell.

use std::fs::File;
use std::io::{PipeReader, Read, Write};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};

use super::reap::WorkerProcess;
use super::{pool_mark, PoolEvents, ReadBy};
use crate::future::Fetcher;
use crate::process_pool::event::{Stop, TaskId, WorkerId};
use crate::process_pool::sys;
use crate::process_pool::wire::protocol::{FrameDecoder, ToParent};

/// How long a reader stays awake for the worker's next message before it sleeps,
/// while the worker runs short tasks: a short task's result then costs no wake-up (see
/// [`crate::spin`]). After a task that ran longer than this, nobody waits awake.
pub(crate) const AWAKE_FOR_RESULT: Duration = Duration::from_micros(50);

/// How many reads one turn at the pipe may make, so that a worker writing fast cannot
/// keep the lock held.
const READS_PER_TURN: usize = 4;

/// What a turn at the pipe found.
#[derive(Debug)]
pub(crate) enum Event {
    Message(ToParent),
    /// The worker closed its pipe or exited, and everything it wrote has been read.
    Closed,
    Timeout,
    Garbled(String),
}

/// A worker's result pipe and what has been read from it.
pub(crate) struct ResultReader<E: PoolEvents> {
    events: Arc<E>,
    worker: WorkerId,
    process: Arc<WorkerProcess>,
    /// Non-blocking; read only under `state`'s lock (polled without it).
    pipe: PipeReader,
    /// An eventfd in the supervisor's `poll`: written to wake it. Owned here, not by
    /// the supervisor, because a fetching thread may ring it as the supervisor ends.
    doorbell: File,
    /// No task time limit: a waiting thread may fetch (with one, the supervisor must
    /// see every `Started`, to arm the limit, so it reads everything itself).
    may_fetch: bool,
    /// How many threads are fetching right now.
    fetchers: AtomicUsize,
    /// The worker's last task was short: its next message is likely microseconds
    /// away, so waiting for it awake pays.
    result_due_soon: AtomicBool,
    state: Mutex<ReadState<E::Deferred>>,
}

pub(crate) struct ReadState<D> {
    decoder: FrameDecoder,
    /// The worker closed its pipe or exited, and everything it wrote has been read.
    pub(crate) closed: bool,
    /// The worker sent a frame that did not decode: nothing it says is trusted any
    /// more; what it writes is discarded until it is gone.
    poisoned: bool,
    /// The pool sent it SIGKILL.
    pub(crate) killed: bool,
    /// The task it said it started, and when.
    pub(crate) running: Option<(TaskId, Instant)>,
    /// What fetching threads left for the supervisor.
    pub(crate) deferred: Vec<D>,
}

impl<E: PoolEvents> ResultReader<E> {
    pub(super) fn new(
        events: Arc<E>,
        worker: WorkerId,
        process: Arc<WorkerProcess>,
        pipe: PipeReader,
        doorbell: File,
    ) -> ResultReader<E> {
        let may_fetch = events.settings().task_time_limit.is_none();
        ResultReader {
            events,
            worker,
            process,
            pipe,
            doorbell,
            may_fetch,
            fetchers: AtomicUsize::new(0),
            result_due_soon: AtomicBool::new(true),
            state: Mutex::new(ReadState {
                decoder: FrameDecoder::new(),
                closed: false,
                poisoned: false,
                killed: false,
                running: None,
                deferred: Vec::new(),
            }),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, ReadState<E::Deferred>> {
        self.state.lock()
    }

    pub(super) fn is_fetched(&self) -> bool {
        self.fetchers.load(Ordering::Relaxed) > 0
    }

    pub(super) fn result_due_soon(&self) -> bool {
        self.result_due_soon.load(Ordering::Relaxed)
    }

    pub(super) fn has_input(&self) -> bool {
        sys::has_input(&self.pipe)
    }

    /// Reports every whole message the worker has written, reading without blocking (a
    /// few reads at most); what is left to do goes to `deferred`. `true` if the pipe
    /// is drained: a read would block, or the worker's end was reached.
    pub(super) fn pump(
        &self,
        state: &mut ReadState<E::Deferred>,
        reader: ReadBy,
        deferred: &mut Vec<E::Deferred>,
    ) -> bool {
        let mut reads = 0;
        loop {
            while let Some(event) = state.next_event() {
                self.report(state, event, reader, deferred);
            }
            if state.closed {
                return true;
            }
            if reads == READS_PER_TURN {
                return false;
            }
            reads += 1;
            if !state.fill(&self.pipe) {
                return true;
            }
        }
    }

    fn report(
        &self,
        state: &mut ReadState<E::Deferred>,
        event: Event,
        reader: ReadBy,
        deferred: &mut Vec<E::Deferred>,
    ) {
        match event {
            Event::Message(ToParent::Started { id }) => state.running = Some((id, Instant::now())),
            Event::Message(ToParent::Finished { id, outcome }) => {
                let run_time = state
                    .running
                    .take()
                    .map_or(Duration::ZERO, |(_, since)| since.elapsed());
                self.result_due_soon
                    .store(run_time < AWAKE_FOR_RESULT, Ordering::Relaxed);
                let left = self
                    .events
                    .task_finished(self.worker, id, outcome, run_time, reader);
                deferred.extend(left);
            }
            Event::Message(other) => self.kill(state, format_args!("sent {other:?} out of turn")),
            Event::Garbled(why) => self.kill(state, format_args!("sent a bad frame ({why})")),
            Event::Closed | Event::Timeout => {}
        }
    }

    /// Stops a worker that misbehaved, saying why on stderr.
    pub(super) fn kill(&self, state: &mut ReadState<E::Deferred>, what: std::fmt::Arguments<'_>) {
        // `writeln!`, not `eprintln!`, which panics if stderr is gone: this may run in
        // a user's thread (fetching), under the read lock.
        let _ = writeln!(
            std::io::stderr(),
            "concurrent_futures: worker {} {what}; stopping it",
            self.process.pid()
        );
        if !state.killed {
            self.process.stop(Stop::Kill);
            state.killed = true;
        }
    }

    /// The supervisor cannot watch the worker any more (`poll` failed): it is killed,
    /// and nothing it says is trusted until it is gone.
    pub(super) fn abandon(&self, why: std::io::Error) {
        let mut state = self.state.lock();
        self.kill(
            &mut state,
            format_args!("cannot be watched any more (poll failed: {why})"),
        );
        state.poisoned = true;
    }

    /// Sleeps until the pipe has data (if `watch_pipe`), the worker exits (`Ok(true)`),
    /// the doorbell rings, or `timeout` passes.
    pub(super) fn wait(
        &self,
        watch_pipe: bool,
        timeout: Option<Duration>,
    ) -> std::io::Result<bool> {
        let [_, exited, rang] = sys::poll_readable(
            [
                watch_pipe.then(|| self.pipe.as_fd()),
                self.process.exit_fd(),
                Some(self.doorbell.as_fd()),
            ],
            timeout,
        )?;
        if rang {
            // Non-blocking: reading an eventfd takes its whole count at once.
            let _ = (&self.doorbell).read(&mut [0; 8]);
        }
        Ok(exited)
    }

    /// During the handshake (no fetcher exists yet): the next message, the worker's
    /// end, or `Timeout` at `deadline`.
    pub(super) fn next_handshake_event(&self, deadline: Option<Instant>) -> Event {
        let mut exited = false;
        loop {
            {
                let mut state = self.state.lock();
                if let Some(event) = state.next_event() {
                    return event;
                }
                if state.closed {
                    return Event::Closed;
                }
                if state.fill(&self.pipe) || state.closed {
                    continue;
                }
                if exited {
                    // Dead, and nothing left in the pipe.
                    state.closed = true;
                    return Event::Closed;
                }
            }
            let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if timeout == Some(Duration::ZERO) {
                return Event::Timeout;
            }
            match self.wait(true, timeout) {
                Ok(has_exited) => exited = has_exited,
                Err(e) => {
                    self.process.stop(Stop::Kill);
                    self.state.lock().closed = true;
                    return Event::Garbled(format!("poll failed: {e}"));
                }
            }
        }
    }

    /// Wakes the supervisor (something was left for it). An error means the counter is
    /// full: the supervisor is woken anyway.
    fn ring(&self) {
        let _ = (&self.doorbell).write(&1_u64.to_ne_bytes());
    }

    /// One turn of a fetching thread at the pipe.
    fn fetch_turn(&self) -> Turn {
        // Held: the supervisor (or another fetcher) is reading right now, and delivers.
        // (Never waited for: a `Deserialize` running under the lock may itself wait
        // for a future of this worker.)
        let Some(mut state) = self.state.try_lock() else {
            std::thread::yield_now();
            return Turn::Busy;
        };
        if state.closed || state.poisoned || state.killed {
            return Turn::Stop;
        }
        let mut left = Vec::new();
        self.pump(&mut state, ReadBy::Fetcher, &mut left);
        let ring = !left.is_empty();
        state.deferred.extend(left);
        drop(state);
        if ring {
            self.ring();
        }
        Turn::Read
    }
}

/// What one turn of a fetching thread did.
enum Turn {
    /// It read and reported what the worker wrote.
    Read,
    /// Someone else holds the read lock (and delivers what it reads).
    Busy,
    /// The worker's end, a bad frame or a kill: the supervisor handles those.
    Stop,
}

impl<E: PoolEvents> Fetcher for ResultReader<E> {
    /// Reads the worker's pipe in the waiting thread while a short task's result is
    /// due: the worker and the waiting thread then talk directly, and the supervisor
    /// stays asleep. Gives up after [`AWAKE_FOR_RESULT`] without news, and on anything
    /// unusual (the worker's end, a bad frame), which the supervisor handles.
    fn fetch(&self, done: &dyn Fn() -> bool, deadline: Option<Instant>) {
        if !self.may_fetch || !self.result_due_soon() {
            return;
        }
        let fetching = Fetching::start(self);
        let mut awake_since = Instant::now();
        loop {
            let now = Instant::now();
            let mut limit = AWAKE_FOR_RESULT.saturating_sub(now - awake_since);
            if let Some(deadline) = deadline {
                limit = limit.min(deadline.saturating_duration_since(now));
            }
            if limit.is_zero() {
                break;
            }
            let ready = crate::spin::spin_until(limit, || done() || self.has_input());
            if !ready || done() {
                break;
            }
            match self.fetch_turn() {
                // News: awake for another while.
                Turn::Read => awake_since = Instant::now(),
                Turn::Busy => {}
                Turn::Stop => break,
            }
        }
        drop(fetching);
        if !done() {
            // Going to sleep on the future: the supervisor must watch the pipe now,
            // not at its next look (up to `FETCHED_TICK` away).
            self.ring();
        }
    }
}

/// Counts a thread as fetching for as long as it lives (unwinding included: a reader
/// left counted as fetched would never have its pipe watched again), and marks the
/// thread as one of the pool's own meanwhile: a `Deserialize` run here that drops the
/// pool must not wait for this very thread.
struct Fetching<'a, E: PoolEvents> {
    reader: &'a ResultReader<E>,
    _mark: crate::pool_thread::WorkingFor,
}

impl<'a, E: PoolEvents> Fetching<'a, E> {
    fn start(reader: &'a ResultReader<E>) -> Fetching<'a, E> {
        reader.fetchers.fetch_add(1, Ordering::Relaxed);
        Fetching {
            reader,
            _mark: crate::pool_thread::fetch_for(pool_mark(&*reader.events)),
        }
    }
}

impl<E: PoolEvents> Drop for Fetching<'_, E> {
    fn drop(&mut self) {
        // `_mark` puts back the thread's mark after this, as fields drop last.
        self.reader.fetchers.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<D> ReadState<D> {
    /// The next whole message, or the worker's end; `None` if more must be read.
    fn next_event(&mut self) -> Option<Event> {
        if self.poisoned {
            self.decoder = FrameDecoder::new();
            return None;
        }
        match self.decoder.next_message::<ToParent>() {
            Ok(Some(message)) => Some(Event::Message(message)),
            Ok(None) => None,
            Err(e) => {
                self.poisoned = true;
                Some(Event::Garbled(e.to_string()))
            }
        }
    }

    /// One read of the pipe, without blocking; `false` if there was nothing to read
    /// (the pipe is empty, or its end was reached: then `closed` is set).
    fn fill(&mut self, pipe: &PipeReader) -> bool {
        match self.decoder.read_from(pipe) {
            Ok(0) => {
                self.closed = true;
                false
            }
            Ok(_) => true,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
            // Any other error: nothing more can be read from it.
            Err(_) => {
                self.closed = true;
                false
            }
        }
    }
}
