//! One thread per worker process, in the pool's process: it starts the worker, does the
//! handshake, then turns everything the worker says, and its death, into scheduler
//! events.
//!
//! The thread sleeps in `poll` on three descriptors: the worker's result pipe, a pidfd
//! that becomes readable when the worker exits, and an eventfd (the doorbell). (While
//! the worker runs short tasks, the thread first waits awake a moment for the next
//! message: see [`crate::spin`].) Death is an event, not something polled for on a
//! timer; the timeouts are the handshake's, the per-task time limit's, and the look
//! every `HELPED_TICK` while a waiting thread reads the pipe.
//!
//! That waiting thread: a thread in `Future::result` for a short task reads the pipe
//! itself ([`Link`], the `Helper` of the future), so that a round trip involves two
//! parties, not three. Reading, by either, happens under the link's `reader` lock;
//! done-callbacks stay on this thread (handed over through the doorbell). See
//! docs/process-pool.md §7.

use std::fs::File;
use std::io::{PipeReader, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{Child, ExitStatus};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::completion::Handoff;
use super::entry::layout_fingerprint;
use super::os::{self, pidfd_open, signal_group};
use super::protocol::{encode_frame, FrameDecoder, ToParent, ToWorker, PROTOCOL_VERSION};
use super::scheduler::{exit_cause, Actions, Scheduler, TaskPipe};
use super::spawn::{spawn_worker, Spawned};
use crate::future::Helper;

/// Starting a process can fail for a moment (EAGAIN: too many processes, ENOMEM): try
/// a few times, waiting longer each time, before the pool gives up on workers for good.
/// Failures of the worker itself (an initializer that panics) are not retried.
fn spawn_with_backoff() -> std::io::Result<Spawned> {
    const DELAYS_MS: [u64; 3] = [50, 250, 1000];
    let mut attempt = 0;
    loop {
        match spawn_worker() {
            Err(e) if attempt < DELAYS_MS.len() && is_transient(&e) => {
                std::thread::sleep(Duration::from_millis(DELAYS_MS[attempt]));
                attempt += 1;
            }
            other => return other,
        }
    }
}

fn is_transient(error: &std::io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(libc::EAGAIN | libc::ENOMEM | libc::EMFILE | libc::ENFILE)
    )
}

/// How long a new worker may take to say hello (a debug build of a large program on a
/// loaded machine can take a while to exec).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// After SIGTERM (time limit), how long before SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(1);

/// How long the thread stays awake for the worker's next message before it sleeps in
/// `poll`, while the worker runs short tasks: a short task's result then costs no
/// wake-up of this thread (see [`crate::spin`]). After a task that ran longer than
/// this, the thread sleeps at once.
const AWAKE_FOR_RESULT: Duration = Duration::from_micros(50);

/// While threads waiting for its futures read a worker's pipe themselves, how often
/// the connection thread looks whether they still do. A message that arrives just as
/// the last helper leaves satisfied is delivered at most this late (`poll` counts in
/// milliseconds). A helper that leaves without its result rings the doorbell instead.
const HELPED_TICK: Duration = Duration::from_millis(1);

/// After the worker closed its pipe, how long it may take to exit before SIGKILL.
const EXIT_GRACE: Duration = Duration::from_secs(5);

/// `true` on the connection threads of `scheduler`'s pool, where done-callbacks run,
/// and in a thread helping there (where a result's `Deserialize` may run): the only
/// threads that can finish the pool's tasks, which therefore must not wait for them.
pub(crate) fn is_connection_thread_of(scheduler: &Scheduler) -> bool {
    crate::pool_thread::works_for(scheduler as *const Scheduler as usize)
}

/// Tells the scheduler this thread is done, however `run` ends (unwinding included).
struct EndGuard(Arc<Scheduler>);

impl Drop for EndGuard {
    fn drop(&mut self) {
        self.0.connection_thread_ended();
    }
}

pub(crate) fn run(scheduler: Arc<Scheduler>, worker_id: u64) {
    let _working = crate::pool_thread::work_for(Arc::as_ptr(&scheduler) as usize);
    let _end = EndGuard(Arc::clone(&scheduler));
    let Spawned {
        mut child,
        to_worker,
        from_worker,
        task_pipe_capacity,
    } = match spawn_with_backoff() {
        Ok(spawned) => spawned,
        Err(e) => {
            let reason = format!("could not start a worker process: {e}");
            scheduler.report_start_failure(worker_id, reason);
            return;
        }
    };
    let pid = child.id();
    scheduler.worker_spawned(worker_id, pid);
    let pipe: TaskPipe = Arc::new(Mutex::new(Some(to_worker)));
    let watch = Watch {
        pid,
        pidfd: pidfd_open(pid),
    };
    let set_up = os::eventfd()
        .and_then(|doorbell| os::set_nonblocking(&from_worker).map(|()| File::from(doorbell)));
    let link = match set_up {
        Ok(doorbell) => Arc::new(Link::new(
            Arc::clone(&scheduler),
            worker_id,
            pid,
            from_worker,
            doorbell,
        )),
        Err(e) => {
            signal_group(pid, libc::SIGKILL);
            pipe.lock().take();
            let status = watch.finish(&mut child, || scheduler.worker_reaping(worker_id));
            let reason = format!(
                "could not set up the connection to a worker process: {e} (worker process \
                 {pid} {})",
                exit_cause(status)
            );
            scheduler.report_start_failure(worker_id, reason);
            return;
        }
    };

    if let Err(why) = handshake(&link, &watch, &pipe, &scheduler) {
        pipe.lock().take();
        let status = watch.finish(&mut child, || scheduler.worker_reaping(worker_id));
        let reason = format!("{why} (worker process {pid} {})", exit_cause(status));
        scheduler.report_start_failure(worker_id, reason);
        return;
    }
    let helper: Arc<dyn Helper> = link.clone();
    scheduler.worker_ready(
        worker_id,
        pid,
        Arc::clone(&pipe),
        helper,
        task_pipe_capacity,
    );

    let limit = scheduler.config.task_time_limit;
    // The task whose time limit fired (not whichever runs when the worker dies).
    let mut time_limited: Option<u64> = None;
    let mut kill_at: Option<Instant> = None;
    loop {
        let (running, killed) = {
            let reader = link.reader.lock();
            (reader.running, reader.killed)
        };
        let deadline = if killed {
            None
        } else if let Some(kill_at) = kill_at {
            Some(kill_at)
        } else {
            running
                .zip(limit)
                .map(|((_, started), limit)| started + limit)
        };
        let mut timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let mut exited = false;
        if timeout != Some(Duration::ZERO) {
            // While a waiting thread reads the pipe itself, this thread stays out of
            // its way: it does not watch the pipe (every message would wake it, for
            // nothing), and looks again every `HELPED_TICK` to take over when the
            // helping stops.
            if !link.is_helped() && link.expect_soon.load(Ordering::Relaxed) {
                // Stay awake for a short task's result, unless a thread waiting for
                // it starts reading it itself.
                crate::spin::spin_until(AWAKE_FOR_RESULT, || {
                    link.is_helped() || os::has_input(&link.from_worker)
                });
            }
            let watch_pipe = !link.is_helped();
            if !watch_pipe {
                timeout = Some(timeout.map_or(HELPED_TICK, |t| t.min(HELPED_TICK)));
            }
            match watch.wait(&link, watch_pipe, timeout) {
                Ok(has_exited) => exited = has_exited,
                Err(e) => {
                    // Cannot watch it any more: stop it, and wait for its end.
                    eprintln!(
                        "concurrent_futures: cannot watch worker {pid} any more (poll \
                         failed: {e}); stopping it"
                    );
                    signal_group(pid, libc::SIGKILL);
                    let mut reader = link.reader.lock();
                    reader.killed = true;
                    reader.poisoned = true;
                    exited = true;
                }
            }
        }
        let mut reader = link.reader.lock();
        let handoffs = std::mem::take(&mut reader.handoff);
        let mut actions = Actions::default();
        let drained = link.pump(&mut reader, &mut actions);
        if exited && drained {
            // Dead, and nothing left in the pipe.
            reader.closed = true;
        }
        let now = Instant::now();
        if !reader.closed && !reader.killed {
            if let Some(kill_at) = kill_at {
                if now >= kill_at {
                    signal_group(pid, libc::SIGKILL);
                    reader.killed = true;
                }
            } else if let (Some((id, started)), Some(limit)) = (reader.running, limit) {
                if now >= started + limit {
                    time_limited = Some(id);
                    scheduler.retire_worker(worker_id);
                    signal_group(pid, libc::SIGTERM);
                    kill_at = Some(now + TERM_GRACE);
                }
            }
        }
        let closed = reader.closed;
        drop(reader);
        for handoff in handoffs {
            handoff();
        }
        scheduler.carry_out(actions);
        if closed {
            break;
        }
    }
    pipe.lock().take();
    let status = watch.finish(&mut child, || scheduler.worker_reaping(worker_id));
    let (running, killed) = {
        let reader = link.reader.lock();
        (reader.running, reader.killed)
    };
    let killed_by_pool = killed || kill_at.is_some();
    scheduler.worker_died(
        worker_id,
        status,
        running.map(|(id, _)| id),
        time_limited,
        killed_by_pool,
    );
}

fn handshake(
    link: &Link,
    watch: &Watch,
    pipe: &TaskPipe,
    scheduler: &Scheduler,
) -> Result<(), String> {
    let deadline = Instant::now() + HANDSHAKE_TIMEOUT;
    match watch.next_handshake_event(link, Some(deadline)) {
        Event::Message(ToParent::Hello {
            version, layout, ..
        }) => {
            if version != PROTOCOL_VERSION || layout != layout_fingerprint() {
                signal_group(watch.pid, libc::SIGKILL);
                return Err("the worker process is a different build of the program".into());
            }
        }
        Event::Closed => {
            return Err(
                "the worker process exited before its handshake: the program must \
                        call concurrent_futures::init() as the first line of main (in tests \
                        and benches: concurrent_futures::init_before_main!() in the file)"
                    .into(),
            )
        }
        Event::Timeout => {
            signal_group(watch.pid, libc::SIGKILL);
            return Err(format!(
                "the worker process did not answer within {HANDSHAKE_TIMEOUT:?}: does the \
                 program call concurrent_futures::init() as the first line of main?"
            ));
        }
        other => {
            signal_group(watch.pid, libc::SIGKILL);
            return Err(format!(
                "the worker process's handshake was garbled: {other:?}"
            ));
        }
    }
    let mut welcome = Vec::new();
    let config = &scheduler.config;
    encode_frame(
        &ToWorker::Welcome {
            key: config.key,
            initializer: config.initializer.clone(),
        },
        &mut welcome,
    )?;
    if let Some(pipe) = pipe.lock().as_mut() {
        os::write_all_without_sigpipe(pipe, &welcome)
            .map_err(|e| format!("could not write to the worker: {e}"))?;
    }
    match watch.next_handshake_event(link, None) {
        Event::Message(ToParent::Ready) => Ok(()),
        Event::Message(ToParent::InitFailed { message }) => Err(format!(
            "the initializer panicked in a worker process: {message}"
        )),
        Event::Closed => Err("the worker process died while running the initializer".into()),
        other => {
            signal_group(watch.pid, libc::SIGKILL);
            Err(format!(
                "the worker process's handshake was garbled: {other:?}"
            ))
        }
    }
}

#[derive(Debug)]
enum Event {
    Message(ToParent),
    /// The worker closed its pipe or exited, and everything it wrote has been read.
    Closed,
    Timeout,
    Garbled(String),
}

/// Reading a worker's result pipe, shared by its connection thread and the threads
/// waiting for its tasks' futures (see [`Helper`]).
///
/// Whoever holds `reader` reads the pipe (it never blocks: the pipe is non-blocking)
/// and handles every whole message under the lock: the scheduler's bookkeeping for a
/// finished task, and, in a helping thread, completing its future. So by the time the
/// connection thread sees the worker's end (under the same lock), every message the
/// worker sent has been accounted for, and `worker_died` never blames or resends a
/// task that finished. Done-callbacks never run in a helping thread: a future with
/// callbacks is handed to the connection thread (`Reader::handoff`, and the doorbell
/// to wake it).
pub(crate) struct Link {
    scheduler: Arc<Scheduler>,
    worker_id: u64,
    pid: u32,
    /// Non-blocking; read only under `reader`'s lock (polled without it).
    from_worker: PipeReader,
    /// An eventfd in the connection thread's `poll`: written to wake it. Owned here,
    /// not by the thread, because a helping thread may ring it as the thread ends.
    doorbell: File,
    /// No task time limit: a waiting thread may help (with one, the connection thread
    /// must see every `Started`, to arm the limit, so it reads everything itself).
    may_help: bool,
    /// How many threads are helping right now.
    helpers: AtomicUsize,
    /// The worker's last task was short: its next message is likely microseconds
    /// away, so waiting for it awake pays.
    expect_soon: AtomicBool,
    reader: Mutex<Reader>,
}

struct Reader {
    decoder: FrameDecoder,
    /// The worker closed its pipe or exited, and everything it wrote has been read.
    closed: bool,
    /// The worker sent a frame that did not decode: nothing it says is trusted any
    /// more; what it writes is discarded until it is gone.
    poisoned: bool,
    /// The pool sent it SIGKILL.
    killed: bool,
    /// The task it said it started, and when.
    running: Option<(u64, Instant)>,
    /// Completions with callbacks (and other foreign work) a helping thread left for
    /// the connection thread.
    handoff: Vec<Handoff>,
}

/// How many reads of [`READ_SIZE`] one turn at the pipe may make, so that a worker
/// writing fast cannot keep the lock held.
const READS_PER_TURN: usize = 4;
const READ_SIZE: usize = 64 * 1024;

impl Link {
    fn new(
        scheduler: Arc<Scheduler>,
        worker_id: u64,
        pid: u32,
        from_worker: PipeReader,
        doorbell: File,
    ) -> Link {
        let may_help = scheduler.config.task_time_limit.is_none();
        Link {
            scheduler,
            worker_id,
            pid,
            from_worker,
            doorbell,
            may_help,
            helpers: AtomicUsize::new(0),
            expect_soon: AtomicBool::new(true),
            reader: Mutex::new(Reader {
                decoder: FrameDecoder::new(),
                closed: false,
                poisoned: false,
                killed: false,
                running: None,
                handoff: Vec::new(),
            }),
        }
    }

    fn is_helped(&self) -> bool {
        self.helpers.load(Ordering::Relaxed) > 0
    }

    /// Handles every whole message the worker has written, reading without blocking
    /// (a few reads at most). `true` if the pipe is drained: a read would block, or
    /// the worker's end was reached.
    fn pump(&self, reader: &mut Reader, actions: &mut Actions) -> bool {
        let mut reads = 0;
        loop {
            while let Some(event) = reader.next_event() {
                self.handle(reader, event, actions);
            }
            if reader.closed {
                return true;
            }
            if reads == READS_PER_TURN {
                return false;
            }
            reads += 1;
            if !reader.fill(&self.from_worker) {
                return true;
            }
        }
    }

    fn handle(&self, reader: &mut Reader, event: Event, actions: &mut Actions) {
        match event {
            Event::Message(ToParent::Started { id }) => reader.running = Some((id, Instant::now())),
            Event::Message(ToParent::Finished { id, outcome }) => {
                let run_time = reader
                    .running
                    .take()
                    .map_or(Duration::ZERO, |(_, since)| since.elapsed());
                self.expect_soon
                    .store(run_time < AWAKE_FOR_RESULT, Ordering::Relaxed);
                actions.merge(
                    self.scheduler
                        .task_finished(self.worker_id, id, outcome, run_time),
                );
            }
            Event::Message(other) => self.kill(reader, format_args!("sent {other:?} out of turn")),
            Event::Garbled(why) => self.kill(reader, format_args!("sent a bad frame ({why})")),
            Event::Closed | Event::Timeout => {}
        }
    }

    /// Stops a worker that misbehaved, saying why on stderr. Under the reader's lock,
    /// the worker is not reaped (the connection thread reaps only after it saw
    /// `closed` under this lock), so its pid is still its own.
    fn kill(&self, reader: &mut Reader, what: std::fmt::Arguments<'_>) {
        // `writeln!`, not `eprintln!`, which panics if stderr is gone: this may run in
        // a user's thread (helping), under the reader's lock.
        let _ = writeln!(
            std::io::stderr(),
            "concurrent_futures: worker {} {what}; stopping it",
            self.pid
        );
        if !reader.killed {
            signal_group(self.pid, libc::SIGKILL);
            reader.killed = true;
        }
    }

    /// Wakes the connection thread (something was handed off to it). An error means
    /// the counter is full: the thread is woken anyway.
    fn ring(&self) {
        let _ = (&self.doorbell).write(&1_u64.to_ne_bytes());
    }

    /// Resets the doorbell after it woke the connection thread (non-blocking: reading
    /// an eventfd takes its whole count at once).
    fn silence(&self) {
        let _ = (&self.doorbell).read(&mut [0; 8]);
    }
}

impl Helper for Link {
    /// Reads the worker's pipe in the waiting thread while a short task's result is
    /// due: the worker and the waiting thread then talk directly, and the connection
    /// thread stays asleep. Gives up after [`AWAKE_FOR_RESULT`] without news, and on
    /// anything unusual (the worker's end, a bad frame), which the connection thread
    /// handles.
    fn help(&self, done: &dyn Fn() -> bool, deadline: Option<Instant>) {
        if !self.may_help || !self.expect_soon.load(Ordering::Relaxed) {
            return;
        }
        let _helping = Helping::start(self);
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
            let ready =
                crate::spin::spin_until(limit, || done() || os::has_input(&self.from_worker));
            if !ready || done() {
                break;
            }
            // Held: the connection thread (or another helper) is reading right now,
            // and delivers. (Never waited for: a `Deserialize` running under the lock
            // may itself wait for a future of this worker.)
            let Some(mut reader) = self.reader.try_lock() else {
                std::thread::yield_now();
                continue;
            };
            if reader.closed || reader.poisoned || reader.killed {
                break;
            }
            let mut actions = Actions::default();
            self.pump(&mut reader, &mut actions);
            let finished = actions.take_finished();
            let foreign = actions.take_foreign();
            // What is left are writes of the next tasks (immediate: see
            // `PIPELINED_BYTES`) and closes: first, so that the worker has its next
            // task while results are decoded here.
            self.scheduler.carry_out(actions);
            // Completed under the lock: once the connection thread sees the worker's
            // end, every future of a message read here is complete.
            for (completion, outcome) in finished {
                if let Some(handoff) = completion.finish_here(outcome) {
                    reader.handoff.push(handoff);
                }
            }
            if !foreign.is_empty() {
                let scheduler = Arc::clone(&self.scheduler);
                reader
                    .handoff
                    .push(Box::new(move || scheduler.carry_out(foreign)));
            }
            let ring = !reader.handoff.is_empty();
            drop(reader);
            if ring {
                self.ring();
            }
            awake_since = Instant::now();
        }
        drop(_helping);
        if !done() {
            // Going to sleep on the future: the connection thread must watch the pipe
            // now, not at its next look (up to `HELPED_TICK` away).
            self.ring();
        }
    }
}

/// Counts a thread as helping `link` for as long as it lives (unwinding included: a
/// link left counted as helped would never have its pipe watched again), and marks
/// the thread as one of the pool's connection threads meanwhile: a `Deserialize` run
/// here that drops the pool must not wait for this very thread.
struct Helping<'a> {
    link: &'a Link,
    _working: crate::pool_thread::WorkingFor,
}

impl<'a> Helping<'a> {
    fn start(link: &'a Link) -> Helping<'a> {
        link.helpers.fetch_add(1, Ordering::Relaxed);
        let pool = Arc::as_ptr(&link.scheduler) as usize;
        Helping {
            link,
            _working: crate::pool_thread::help(pool),
        }
    }
}

impl Drop for Helping<'_> {
    fn drop(&mut self) {
        // `_working` puts back the thread's mark after this, as fields drop last.
        self.link.helpers.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Reader {
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
        let spare = self.decoder.spare(READ_SIZE);
        let read = loop {
            match (&*pipe).read(spare) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        match read {
            Ok(0) => {
                self.closed = true;
                false
            }
            Ok(read) => {
                self.decoder.commit(read);
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
            // Any other error: nothing more can be read from it.
            Err(_) => {
                self.closed = true;
                false
            }
        }
    }
}

/// What only the connection thread uses: the worker's pid and pidfd.
struct Watch {
    pid: u32,
    pidfd: Option<OwnedFd>,
}

impl Watch {
    /// Sleeps until the pipe has data (if `watch_pipe`), the worker exits (`Ok(true)`),
    /// the link's doorbell rings, or `timeout` passes.
    fn wait(
        &self,
        link: &Link,
        watch_pipe: bool,
        timeout: Option<Duration>,
    ) -> std::io::Result<bool> {
        let [_, exited, rang] = os::poll_readable(
            [
                watch_pipe.then(|| link.from_worker.as_raw_fd()),
                self.pidfd.as_ref().map(|fd| fd.as_raw_fd()),
                Some(link.doorbell.as_raw_fd()),
            ],
            timeout,
        )?;
        if rang {
            link.silence();
        }
        Ok(exited)
    }

    /// During the handshake (no helper exists yet): the next message, the worker's
    /// end, or `Timeout` at `deadline`.
    fn next_handshake_event(&self, link: &Link, deadline: Option<Instant>) -> Event {
        let mut exited = false;
        loop {
            {
                let mut reader = link.reader.lock();
                if let Some(event) = reader.next_event() {
                    return event;
                }
                if reader.closed {
                    return Event::Closed;
                }
                if reader.fill(&link.from_worker) || reader.closed {
                    continue;
                }
                if exited {
                    // Dead, and nothing left in the pipe.
                    reader.closed = true;
                    return Event::Closed;
                }
            }
            let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if timeout == Some(Duration::ZERO) {
                return Event::Timeout;
            }
            match self.wait(link, true, timeout) {
                Ok(has_exited) => exited = has_exited,
                Err(e) => {
                    signal_group(self.pid, libc::SIGKILL);
                    link.reader.lock().closed = true;
                    return Event::Garbled(format!("poll failed: {e}"));
                }
            }
        }
    }

    /// Waits for the worker to exit (killing it if it lingers), kills what is left of
    /// its process group, and reaps it, so that no zombie and no grandchild remains.
    fn finish(&self, child: &mut Child, before_reaping: impl FnOnce()) -> ExitStatus {
        if let Some(pidfd) = &self.pidfd {
            let exited = |timeout| {
                // A pidfd reads as "readable" once its process has exited.
                os::poll_readable([Some(pidfd.as_raw_fd())], Some(timeout))
                    .map_or(true, |[exited]| exited)
            };
            if !exited(EXIT_GRACE) {
                signal_group(self.pid, libc::SIGKILL);
                exited(Duration::from_secs(3600));
            }
        } else {
            // No pidfd (an old kernel): wait for the exit without reaping.
            os::wait_for_exit_unreaped(self.pid);
        }
        // The worker is a zombie now, which keeps its process-group id from being
        // reused: safe to kill whatever its task left behind in the group.
        signal_group(self.pid, libc::SIGKILL);
        before_reaping();
        loop {
            match child.wait() {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Ok(status) => return status,
                // Someone else reaped it (SIGCHLD set to SIG_IGN reaps automatically):
                // the pid may already be reused, so it is never signalled again.
                Err(_) => return std::os::unix::process::ExitStatusExt::from_raw(libc::SIGKILL),
            }
        }
    }
}
