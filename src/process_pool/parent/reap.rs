//! A worker's process from its start to its reaping, and the one rule that keeps
//! signals safe: a pid is only signalled while its process is not reaped (once reaped,
//! the number may belong to any other process).

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::process::{Child, ExitStatus};
use std::time::Duration;

use parking_lot::Mutex;

use crate::process_pool::event::Stop;
use crate::process_pool::sys;
use crate::ExitCause;

/// After the worker closed its pipe, how long it may take to exit before SIGKILL.
const EXIT_GRACE: Duration = Duration::from_secs(5);

/// A worker process that the pool started and has not reaped yet.
pub(crate) struct WorkerProcess {
    pid: u32,
    /// Readable once the process exited (Linux 5.3+); `None` on older kernels, where
    /// the pipe's end of file is the only sign of death.
    pidfd: Option<OwnedFd>,
    /// Set, under this lock, just before the process is reaped: signals are sent under
    /// it too, so none can reach a reused pid.
    reaped: Mutex<bool>,
}

impl WorkerProcess {
    pub(crate) fn new(pid: u32) -> WorkerProcess {
        WorkerProcess {
            pid,
            pidfd: sys::pidfd_open(pid),
            reaped: Mutex::new(false),
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// The descriptor that becomes readable when the process exits, if there is one.
    pub(crate) fn exit_fd(&self) -> Option<BorrowedFd<'_>> {
        self.pidfd.as_ref().map(AsFd::as_fd)
    }

    /// Signals the process's whole group (the worker and what its task started),
    /// unless it was reaped already.
    pub(crate) fn stop(&self, stop: Stop) {
        let reaped = self.reaped.lock();
        if !*reaped {
            sys::signal_group(self.pid, stop);
        }
    }

    /// Waits for the worker to exit (killing it if it lingers past [`EXIT_GRACE`]),
    /// kills what is left of its process group, and reaps it, so that no zombie and no
    /// grandchild remains.
    pub(crate) fn reap(&self, child: &mut Child) -> ExitStatus {
        self.wait_for_exit();
        // The worker is a zombie now, which keeps its process-group id from being
        // reused: safe to kill whatever its task left behind in the group.
        self.stop(Stop::Kill);
        *self.reaped.lock() = true;
        loop {
            match child.wait() {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Ok(status) => return status,
                // Someone else reaped it (SIGCHLD set to SIG_IGN reaps automatically):
                // the pid may already be reused, and it is never signalled again.
                Err(_) => return std::os::unix::process::ExitStatusExt::from_raw(libc::SIGKILL),
            }
        }
    }

    /// Returns once the process has exited, without reaping it.
    fn wait_for_exit(&self) {
        let Some(pidfd) = self.exit_fd() else {
            sys::wait_for_exit_unreaped(self.pid);
            return;
        };
        let exited = |timeout| {
            sys::poll_readable([Some(pidfd)], Some(timeout)).map_or(true, |[exited]| exited)
        };
        if !exited(EXIT_GRACE) {
            self.stop(Stop::Kill);
            sys::wait_for_exit_unreaped(self.pid);
        }
    }
}

/// How a reaped process ended, as the pool reports it.
pub(crate) fn exit_cause(status: ExitStatus) -> ExitCause {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitCause::Exited(code),
        (None, Some(signal)) => ExitCause::Signaled(signal),
        (None, None) => ExitCause::Exited(-1),
    }
}
