//! The worker process's side: handshake, initializer, then one task at a time.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use super::entry::layout_fingerprint;
use super::protocol::{
    encode_frame, FrameDecoder, Initializer, Outcome, ToParent, ToWorker, PROTOCOL_VERSION,
};
use crate::Error;

/// Exit code of a worker that could not talk to its pool.
const EXIT_PROTOCOL: i32 = 70;

/// How long an idle worker stays awake for its next task before it sleeps: a pool of
/// short tasks sends the next one within microseconds, and finding it awake spares
/// the pool a wake-up of this process, the largest part of a round trip (see
/// [`crate::spin`]). An idle worker costs at most this much CPU per task.
const AWAKE_FOR_NEXT_TASK: Duration = Duration::from_micros(50);

/// Serves the pool named by `spec` ("<task fd>:<result fd>") and exits.
pub(crate) fn serve(spec: &str) -> ! {
    let Some((input, output)) = open_pipes(spec) else {
        eprintln!(
            "concurrent_futures: this process was started as a pool worker, but the pipes \
             named in its environment ({spec:?}) are not open; exiting"
        );
        exit(EXIT_PROTOCOL)
    };
    // A task's panic is caught and sent to the pool, which hands it to the task's
    // future as `Error::Panicked`: printing it here too (with a backtrace, from a
    // "main" thread the user never wrote) would only be noise, as Python's workers
    // print nothing either. A task may still install its own hook.
    std::panic::set_hook(Box::new(|_| {}));
    stop_whole_group_when_orphaned();
    let code = match Connection::new(input, output).serve() {
        Ok(()) => 0,
        Err(why) => {
            eprintln!(
                "concurrent_futures: worker {} stops: {why}",
                std::process::id()
            );
            EXIT_PROTOCOL
        }
    };
    exit(code)
}

/// The pool's process may die without a word (SIGKILL): the kernel then sends this
/// worker SIGTERM (its parent-death signal, set at spawn). Then the worker takes its
/// whole process group down, the processes its task started included, so that nothing
/// is left orphaned. A SIGTERM from the pool itself (time limit, `terminate_workers`)
/// just ends the worker as usual; the pool cleans the group up.
///
/// SIGTERM is blocked in every thread (threads started later inherit the mask; std's
/// `Command` resets it in programs it starts) and taken by one waiting thread.
fn stop_whole_group_when_orphaned() {
    // SAFETY: getppid has no preconditions.
    let parent = unsafe { libc::getppid() };
    // The parent-death signal comes when the *thread* that started this worker ends;
    // while the rest of the dying process is still exiting, getppid() still names it.
    // A pidfd on the parent says for sure, a moment later, whether it is gone.
    let parent_pidfd = super::os::pidfd_open(parent as u32);
    // SAFETY: plain data, initialised by sigemptyset/sigaddset; the mask change is for
    // this thread (and the threads it starts).
    let sigterm = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    };
    let watcher = std::thread::Builder::new()
        .name("concurrent-futures-sigterm".into())
        .stack_size(64 * 1024)
        .spawn(move || {
            let mut signal = 0;
            // SAFETY: waits for the blocked SIGTERM; `sigterm` and `signal` are live.
            unsafe { libc::sigwait(&sigterm, &mut signal) };
            let orphaned = |grace| {
                // SAFETY: getppid has no preconditions.
                let reparented = unsafe { libc::getppid() } != parent;
                reparented
                    || parent_pidfd.as_ref().is_some_and(|pidfd| {
                        super::os::poll_readable(
                            [Some(std::os::fd::AsRawFd::as_raw_fd(pidfd))],
                            Some(grace),
                        )
                        .is_ok_and(|[exited]| exited)
                    })
            };
            let is_orphaned = orphaned(std::time::Duration::from_millis(200));
            // SAFETY: kill, signal, pthread_sigmask and raise take plain values and
            // pointers to live locals.
            unsafe {
                if is_orphaned {
                    // Orphaned: the pool is gone. Kill the group, this worker included.
                    libc::kill(0, libc::SIGKILL);
                }
                // Die of the SIGTERM as if it had not been intercepted.
                libc::signal(libc::SIGTERM, libc::SIG_DFL);
                libc::pthread_sigmask(libc::SIG_UNBLOCK, &sigterm, std::ptr::null_mut());
                libc::raise(libc::SIGTERM);
            }
        });
    if watcher.is_err() {
        // No watcher: let SIGTERM act directly again (the orphan case is then covered
        // only by the worker's own death).
        // SAFETY: as above.
        unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &sigterm, std::ptr::null_mut()) };
    }
}

fn exit(code: i32) -> ! {
    let _ = std::io::stdout().flush();
    std::process::exit(code)
}

/// Takes ownership of the two inherited pipe ends, after checking they are open.
fn open_pipes(spec: &str) -> Option<(File, File)> {
    let (input, output) = spec.split_once(':')?;
    let fds: [RawFd; 2] = [input.parse().ok()?, output.parse().ok()?];
    if fds[0] == fds[1] {
        return None;
    }
    for fd in fds {
        // SAFETY: F_GETFD only reads the descriptor's flags; it fails on a closed fd.
        if fd < 3 || unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
            return None;
        }
        // Close-on-exec from now on: programs a task runs must not hold our pipes
        // (they would keep the pool from seeing this worker die).
        // SAFETY: F_SETFD only sets the descriptor's flags.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    // SAFETY: the pool spawned this process with these two descriptors open for it
    // alone (checked open just above), and the environment variable that names them
    // was removed by `init`, so nothing else in this process claims them.
    Some(unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) })
}

struct Connection {
    input: File,
    output: File,
    decoder: FrameDecoder,
    /// Frames waiting to be written in one go.
    outbox: Vec<u8>,
    key: u64,
}

impl Connection {
    fn new(input: File, output: File) -> Connection {
        Connection {
            input,
            output,
            decoder: FrameDecoder::new(),
            outbox: Vec::new(),
            key: 0,
        }
    }

    fn serve(mut self) -> Result<(), String> {
        self.send(&ToParent::Hello {
            pid: std::process::id(),
            version: PROTOCOL_VERSION,
            layout: layout_fingerprint(),
        })?;
        self.flush()?;
        let Some(ToWorker::Welcome { key, initializer }) = self.receive()? else {
            return Err("the pool did not answer the handshake".into());
        };
        self.key = key;
        if let Some(initializer) = initializer {
            if let Err(message) = run_initializer(&initializer, key)? {
                self.send(&ToParent::InitFailed { message })?;
                self.flush()?;
                return Ok(());
            }
        }
        self.send(&ToParent::Ready)?;
        self.flush()?;

        // One task at a time. When the next task is already here, the `Finished` of
        // one and the `Started` of the next leave in one write (one wake-up for the
        // pool's connection thread instead of two).
        let mut next = self.receive()?;
        while let Some(message) = next {
            let ToWorker::Task { id, entry, arg } = message else {
                return Err("the pool sent a second handshake".into());
            };
            self.send(&ToParent::Started { id })?;
            self.flush()?;
            let outcome = match entry.resolve_task(self.key) {
                Ok(task) => catch_unwind(AssertUnwindSafe(|| task(&arg)))
                    .unwrap_or_else(|_| Outcome::Panicked("the task's trampoline panicked".into())),
                Err(why) => Outcome::Refused(why),
            };
            drop(arg);
            if let Err(why) = self.send(&ToParent::Finished { id, outcome }) {
                // Too large to send (over MAX_FRAME): the task fails, not the worker.
                let outcome = Outcome::Serialization(format!("the result is too large: {why}"));
                self.send(&ToParent::Finished { id, outcome })?;
            }
            next = match self.decoder.next_message::<ToWorker>() {
                Ok(Some(buffered)) => Some(buffered),
                Ok(None) => {
                    self.flush()?;
                    self.receive()?
                }
                Err(e) => {
                    // The finished task's result still reaches the pool.
                    self.flush()?;
                    return Err(e.to_string());
                }
            };
        }
        self.flush()?;
        Ok(())
    }

    fn send(&mut self, message: &ToParent) -> Result<(), String> {
        encode_frame(message, &mut self.outbox)
    }

    fn flush(&mut self) -> Result<(), String> {
        let result = self.output.write_all(&self.outbox);
        self.outbox.clear();
        result.map_err(|e| format!("could not write to the pool: {e}"))
    }

    /// The next message, or `None` when the pool closed the pipe (time to exit).
    fn receive(&mut self) -> Result<Option<ToWorker>, String> {
        const READ_SIZE: usize = 64 * 1024;
        loop {
            match self.decoder.next_message::<ToWorker>() {
                Ok(Some(message)) => return Ok(Some(message)),
                Ok(None) => {}
                Err(e) => return Err(e.to_string()),
            }
            crate::spin::spin_until(AWAKE_FOR_NEXT_TASK, || super::os::has_input(&self.input));
            let spare = self.decoder.spare(READ_SIZE);
            let read = loop {
                match self.input.read(spare) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            let read = read.map_err(|e| format!("could not read from the pool: {e}"))?;
            self.decoder.commit(read);
            if read == 0 {
                if self.decoder.has_partial_frame() {
                    return Err("the pool closed the pipe in the middle of a frame".into());
                }
                return Ok(None);
            }
        }
    }
}

/// Runs the pool's initializer: `Ok(Err(message))` if it failed (it panicked, or its
/// argument could not be decoded), `Err` if its entry point was not this pool's.
fn run_initializer(initializer: &Initializer, key: u64) -> Result<Result<(), String>, String> {
    match initializer {
        Initializer::Plain(entry) => {
            let function = entry.resolve_initializer(key)?;
            Ok(
                catch_unwind(function).map_err(|payload| match Error::from_panic(payload) {
                    Error::Panicked { message } => message,
                    other => other.to_string(),
                }),
            )
        }
        Initializer::WithArg { entry, arg } => {
            let trampoline = entry.resolve_task(key)?;
            Ok(match trampoline(arg) {
                Outcome::Returned(_) => Ok(()),
                Outcome::Panicked(message)
                | Outcome::Failed(message)
                | Outcome::Serialization(message) => Err(message),
                Outcome::Refused(message) => return Err(message),
            })
        }
    }
}
