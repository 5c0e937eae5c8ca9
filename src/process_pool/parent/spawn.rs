//! Starting a worker process: the executable re-executed, its two pipes, its guards,
//! and retrying when the system is short of processes or memory for a moment.
//!
//! Every worker is started from one long-lived "spawner" thread. That matters because
//! Linux's parent-death signal (`PR_SET_PDEATHSIG`), which kills the worker if the pool's
//! process dies (even by SIGKILL), fires when the *thread* that forked the worker ends.
//! Forking from a thread that lives as long as the process makes it fire only when the
//! process dies. EOF on the task pipe is the second line of defence.

use std::fs::File;
use std::io::{self, PipeReader, PipeWriter};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use crate::process_pool::sys;
use crate::process_pool::wire::protocol::{WORKER_ARG, WORKER_ENV};

/// The parent's ends of a new worker's pipes.
pub(super) struct Spawned {
    pub(super) child: Child,
    pub(super) to_worker: PipeWriter,
    /// Non-blocking.
    pub(super) from_worker: PipeReader,
    /// An eventfd, to wake the worker's supervisor.
    pub(super) doorbell: File,
    /// How many bytes the task pipe holds before a write blocks.
    pub(super) task_pipe_capacity: usize,
}

struct SpawnRequest {
    command: Command,
    reply: Sender<io::Result<Child>>,
}

fn spawner() -> &'static Sender<SpawnRequest> {
    static SPAWNER: OnceLock<Sender<SpawnRequest>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (sender, requests) = crossbeam_channel::unbounded();
        std::thread::Builder::new()
            .name("concurrent-futures-spawner".into())
            .spawn(move || serve_spawns(requests))
            .expect("could not start the process pool's spawner thread");
        sender
    })
}

fn serve_spawns(requests: Receiver<SpawnRequest>) {
    // The sender lives in a static, so this loop runs as long as the process.
    while let Ok(SpawnRequest { mut command, reply }) = requests.recv() {
        let _ = reply.send(command.spawn());
    }
}

/// Starting a process can fail for a moment (EAGAIN: too many processes, ENOMEM):
/// how long to wait before each new try, before the pool gives up on workers for
/// good. Failures of the worker itself (an initializer that panics) are not retried.
const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_millis(50),
    Duration::from_millis(250),
    Duration::from_millis(1000),
];

/// [`spawn_worker`], tried again after [`RETRY_DELAYS`] while it fails for a passing
/// reason.
pub(super) fn spawn_with_retries() -> io::Result<Spawned> {
    let mut delays = RETRY_DELAYS.iter();
    loop {
        match spawn_worker() {
            Err(e) if is_transient(&e) => match delays.next() {
                Some(&delay) => std::thread::sleep(delay),
                None => return Err(e),
            },
            other => return other,
        }
    }
}

fn is_transient(error: &io::Error) -> bool {
    use rustix::io::Errno;
    let passing = [Errno::AGAIN, Errno::NOMEM, Errno::MFILE, Errno::NFILE];
    let code = error.raw_os_error();
    passing
        .iter()
        .any(|errno| code == Some(errno.raw_os_error()))
}

/// Starts a worker: this very executable, with the worker's pipe ends inherited.
/// Everything that can fail in the parent is set up before the process exists.
fn spawn_worker() -> io::Result<Spawned> {
    let (task_reader, to_worker) = io::pipe()?;
    let (from_worker, result_writer) = io::pipe()?;
    sys::set_nonblocking(&from_worker)?;
    let doorbell = File::from(sys::eventfd()?);
    let child_fds = [task_reader.as_raw_fd(), result_writer.as_raw_fd()];

    let mut command = Command::new(executable());
    command
        .arg(WORKER_ARG)
        .env(WORKER_ENV, format!("{}:{}", child_fds[0], child_fds[1]))
        .stdin(Stdio::null())
        // Its own process group, so that its task's children die with it.
        .process_group(0);
    sys::prepare_worker(&mut command, child_fds);

    let (reply, answer) = crossbeam_channel::bounded(1);
    spawner()
        .send(SpawnRequest { command, reply })
        .map_err(|_| io::Error::other("the spawner thread is gone"))?;
    let child = answer
        .recv()
        .map_err(|_| io::Error::other("the spawner thread is gone"))??;
    // The worker's ends are closed here, in the parent, when they drop: from now on
    // the worker holds the only copies, so its death shows as end of file.
    drop((task_reader, result_writer));
    let task_pipe_capacity = sys::pipe_capacity(&to_worker);
    Ok(Spawned {
        child,
        to_worker,
        from_worker,
        doorbell,
        task_pipe_capacity,
    })
}

/// The running executable. On Linux `/proc/self/exe` names the very file this process
/// was started from even if it was replaced on disk since (a rebuild), so a worker can
/// never be a different program.
fn executable() -> std::path::PathBuf {
    let proc_self = std::path::PathBuf::from("/proc/self/exe");
    if proc_self.exists() {
        proc_self
    } else {
        std::env::current_exe().unwrap_or(proc_self)
    }
}
