//! Starting a worker process: the executable re-executed, its two pipes, its guards.
//!
//! Every worker is started from one long-lived "spawner" thread. That matters because
//! Linux's parent-death signal (`PR_SET_PDEATHSIG`), which kills the worker if the pool's
//! process dies (even by SIGKILL), fires when the *thread* that forked the worker ends.
//! Forking from a thread that lives as long as the process makes it fire only when the
//! process dies. EOF on the task pipe is the second line of defence.

use std::io::{self, PipeReader, PipeWriter};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use crossbeam_channel::{Receiver, Sender};

/// The environment variable that tells a process it is a worker, and its pipes' fds.
pub(crate) const WORKER_ENV: &str = "__CONCURRENT_FUTURES_WORKER";

/// The argument a worker is started with. Inside a test binary that lacks
/// `init_before_main!`, libtest reads it as a filter that matches no test, so the
/// process exits at once instead of running the test suite again (which would start
/// pools, which would start workers...).
pub(crate) const WORKER_ARG: &str = "__concurrent_futures_worker_process__";

/// The parent's ends of a new worker's pipes.
pub(crate) struct Spawned {
    pub(crate) child: Child,
    pub(crate) to_worker: PipeWriter,
    pub(crate) from_worker: PipeReader,
    /// How many bytes the task pipe holds before a write blocks.
    pub(crate) task_pipe_capacity: usize,
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

/// Starts a worker: this very executable, with the worker's pipe ends inherited.
pub(crate) fn spawn_worker() -> io::Result<Spawned> {
    let (task_reader, to_worker) = io::pipe()?;
    let (from_worker, result_writer) = io::pipe()?;
    let child_fds = [task_reader.as_raw_fd(), result_writer.as_raw_fd()];
    let parent_pid = std::process::id() as libc::pid_t;

    let mut command = Command::new(executable());
    command
        .arg(WORKER_ARG)
        .env(WORKER_ENV, format!("{}:{}", child_fds[0], child_fds[1]))
        .stdin(Stdio::null())
        // Its own process group, so that its task's children die with it.
        .process_group(0);
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed: it calls prctl, getppid, fcntl and _exit,
    // allocates nothing and takes no lock.
    unsafe {
        command.pre_exec(move || {
            // SIGTERM, not SIGKILL: the worker catches it to kill its whole process
            // group, grandchildren included (`worker.rs`).
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before the line above took effect.
            if libc::getppid() != parent_pid {
                libc::_exit(1);
            }
            // Our pipes are close-on-exec in the parent; the worker's two ends must
            // survive this exec (and only these two).
            for fd in child_fds {
                if libc::fcntl(fd, libc::F_SETFD, 0) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }

    let (reply, answer) = crossbeam_channel::bounded(1);
    spawner()
        .send(SpawnRequest { command, reply })
        .map_err(|_| io::Error::other("the spawner thread is gone"))?;
    let child = answer
        .recv()
        .map_err(|_| io::Error::other("the spawner thread is gone"))??;
    // The worker's ends are closed here, in the parent, when they drop: from now on
    // the worker holds the only copies, so its death shows as EOF.
    drop((task_reader, result_writer));
    let task_pipe_capacity = super::os::pipe_capacity(&to_worker);
    Ok(Spawned {
        child,
        to_worker,
        from_worker,
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
