//! One thread per worker process, in the pool's process: it starts the worker, does the
//! handshake, then turns everything the worker says, and its death, into scheduler
//! events.
//!
//! The thread sleeps in `poll` on two descriptors: the worker's result pipe, and a
//! pidfd that becomes readable when the worker exits. (While the worker runs short
//! tasks, the thread first waits awake a moment for the next message: see
//! [`crate::spin`].) Death is an event, not something polled for on a timer; the only
//! timeouts are the handshake's and the per-task time limit's.

use std::io::{PipeReader, Read};
use std::os::fd::OwnedFd;
use std::process::{Child, ExitStatus};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::entry::layout_fingerprint;
use super::os::{self, pidfd_open, poll_worker, signal_group};
use super::protocol::{encode_frame, FrameDecoder, ToParent, ToWorker, PROTOCOL_VERSION};
use super::scheduler::{exit_cause, Scheduler, TaskPipe};
use super::spawn::{spawn_worker, Spawned};

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

/// After the worker closed its pipe, how long it may take to exit before SIGKILL.
const EXIT_GRACE: Duration = Duration::from_secs(5);

thread_local! {
    /// The pool (its scheduler's address) this thread is a connection thread of.
    static CONNECTION_OF: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// `true` on the connection threads of `scheduler`'s pool, where done-callbacks run.
pub(crate) fn is_connection_thread_of(scheduler: &Scheduler) -> bool {
    CONNECTION_OF.with(|pool| pool.get() == scheduler as *const Scheduler as usize)
}

/// Tells the scheduler this thread is done, however `run` ends (unwinding included).
struct EndGuard(Arc<Scheduler>);

impl Drop for EndGuard {
    fn drop(&mut self) {
        self.0.connection_thread_ended();
    }
}

pub(crate) fn run(scheduler: Arc<Scheduler>, worker_id: u64) {
    CONNECTION_OF.with(|pool| pool.set(Arc::as_ptr(&scheduler) as usize));
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
    let mut watch = Watch {
        pid,
        from_worker,
        pidfd: pidfd_open(pid),
        decoder: FrameDecoder::new(),
        closed: false,
        poisoned: false,
        expect_soon: true,
    };

    if let Err(why) = handshake(&mut watch, &pipe, &scheduler) {
        pipe.lock().take();
        let status = watch.finish(&mut child, || scheduler.worker_reaping(worker_id));
        let reason = format!("{why} (worker process {pid} {})", exit_cause(status));
        scheduler.report_start_failure(worker_id, reason);
        return;
    }
    scheduler.worker_ready(worker_id, pid, Arc::clone(&pipe), task_pipe_capacity);

    let limit = scheduler.config.task_time_limit;
    let mut running: Option<(u64, Instant)> = None;
    // The task whose time limit fired (not whichever runs when the worker dies).
    let mut time_limited: Option<u64> = None;
    let mut kill_at: Option<Instant> = None;
    let mut killed = false;
    loop {
        let deadline = if killed {
            None
        } else if let Some(kill_at) = kill_at {
            Some(kill_at)
        } else {
            running
                .zip(limit)
                .map(|((_, started), limit)| started + limit)
        };
        match watch.next_event(deadline) {
            Event::Message(ToParent::Started { id }) => running = Some((id, Instant::now())),
            Event::Message(ToParent::Finished { id, outcome }) => {
                let run_time = running
                    .take()
                    .map_or(Duration::ZERO, |(_, since)| since.elapsed());
                watch.expect_soon = run_time < AWAKE_FOR_RESULT;
                scheduler.task_finished(worker_id, id, outcome, run_time);
            }
            Event::Message(other) => {
                eprintln!(
                    "concurrent_futures: worker {pid} sent {other:?} out of turn; stopping it"
                );
                signal_group(pid, libc::SIGKILL);
                killed = true;
            }
            Event::Garbled(why) => {
                eprintln!("concurrent_futures: worker {pid} sent a bad frame ({why}); stopping it");
                signal_group(pid, libc::SIGKILL);
                killed = true;
            }
            Event::Timeout if kill_at.is_none() => {
                time_limited = running.map(|(id, _)| id);
                scheduler.retire_worker(worker_id);
                signal_group(pid, libc::SIGTERM);
                kill_at = Some(Instant::now() + TERM_GRACE);
            }
            Event::Timeout => {
                signal_group(pid, libc::SIGKILL);
                killed = true;
            }
            Event::Closed => break,
        }
    }
    pipe.lock().take();
    let status = watch.finish(&mut child, || scheduler.worker_reaping(worker_id));
    let killed_by_pool = killed || kill_at.is_some();
    scheduler.worker_died(
        worker_id,
        status,
        running.map(|(id, _)| id),
        time_limited,
        killed_by_pool,
    );
}

fn handshake(watch: &mut Watch, pipe: &TaskPipe, scheduler: &Scheduler) -> Result<(), String> {
    let deadline = Some(Instant::now() + HANDSHAKE_TIMEOUT);
    match watch.next_event(deadline) {
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
            initializer: config.initializer,
        },
        &mut welcome,
    )?;
    if let Some(pipe) = pipe.lock().as_mut() {
        os::write_all_without_sigpipe(pipe, &welcome)
            .map_err(|e| format!("could not write to the worker: {e}"))?;
    }
    match watch.next_event(None) {
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

/// The parent's view of one worker: its result pipe and its pidfd.
struct Watch {
    pid: u32,
    from_worker: PipeReader,
    pidfd: Option<OwnedFd>,
    decoder: FrameDecoder,
    closed: bool,
    /// The worker sent a frame that did not decode: nothing it says is trusted any
    /// more; what it writes is discarded until it is gone.
    poisoned: bool,
    /// The worker runs short tasks: its next message is likely microseconds away, so
    /// wait for it awake for [`AWAKE_FOR_RESULT`] before sleeping.
    expect_soon: bool,
}

impl Watch {
    fn next_event(&mut self, deadline: Option<Instant>) -> Event {
        const READ_SIZE: usize = 64 * 1024;
        loop {
            if self.poisoned {
                self.decoder = FrameDecoder::new();
            } else {
                match self.decoder.next_message::<ToParent>() {
                    Ok(Some(message)) => return Event::Message(message),
                    Ok(None) => {}
                    Err(e) => {
                        self.poisoned = true;
                        return Event::Garbled(e.to_string());
                    }
                }
            }
            if self.closed {
                return Event::Closed;
            }
            let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if timeout == Some(Duration::ZERO) {
                return Event::Timeout;
            }
            if self.expect_soon && !self.poisoned {
                crate::spin::spin_until(AWAKE_FOR_RESULT, || os::has_input(&self.from_worker));
            }
            let ready = match poll_worker(&self.from_worker, self.pidfd.as_ref(), timeout) {
                Ok(ready) => ready,
                Err(e) => {
                    // Cannot watch it any more: stop it, and wait for its end.
                    signal_group(self.pid, libc::SIGKILL);
                    self.poisoned = true;
                    self.closed = true;
                    return Event::Garbled(format!("poll failed: {e}"));
                }
            };
            if ready.pipe {
                let spare = self.decoder.spare(READ_SIZE);
                let read = loop {
                    match self.from_worker.read(spare) {
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        other => break other,
                    }
                };
                let read = read.unwrap_or(0);
                self.decoder.commit(read);
                if read == 0 {
                    self.closed = true;
                }
            } else if ready.exited {
                // Dead, and nothing left in the pipe (poll would have said so).
                self.closed = true;
            }
        }
    }

    /// Waits for the worker to exit (killing it if it lingers), kills what is left of
    /// its process group, and reaps it, so that no zombie and no grandchild remains.
    fn finish(&mut self, child: &mut Child, before_reaping: impl FnOnce()) -> ExitStatus {
        if let Some(pidfd) = &self.pidfd {
            let exited = |timeout| {
                // A pidfd reads as "readable" once its process has exited.
                poll_worker(pidfd, None::<&OwnedFd>, Some(timeout))
                    .map(|r| r.pipe)
                    .unwrap_or(true)
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
