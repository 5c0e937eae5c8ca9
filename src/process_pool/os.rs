//! The few Linux calls the process pool needs that std does not wrap: a pidfd to watch a
//! worker's death as an event, `poll` over it and the result pipe, and signals to a
//! worker's whole process group.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// A file descriptor that becomes readable when process `pid` exits (Linux 5.3+);
/// `None` where the kernel has no `pidfd_open`, in which case the pipe's EOF is the
/// only death signal.
pub(crate) fn pidfd_open(pid: u32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1; it touches
    // no memory of ours.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return None;
    }
    // SAFETY: the kernel just returned this fd to us; nothing else owns it.
    Some(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Which of the watched descriptors are ready.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Ready {
    pub(crate) pipe: bool,
    pub(crate) exited: bool,
}

/// Waits until `pipe` has data (or EOF) or `pidfd` says the process exited, or
/// `timeout` passes (`None`: no limit).
pub(crate) fn poll_worker(
    pipe: &impl AsRawFd,
    pidfd: Option<&OwnedFd>,
    timeout: Option<Duration>,
) -> io::Result<Ready> {
    let mut fds = [
        libc::pollfd {
            fd: pipe.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: pidfd.map_or(-1, |fd| fd.as_raw_fd()),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    let timeout_ms = match timeout {
        None => -1,
        // Round up, so that a deadline is never woken for early and spun on.
        Some(t) => t.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int,
    };
    loop {
        // SAFETY: `fds` is a valid array of two pollfd for the duration of the call;
        // a negative fd is ignored by poll, as documented.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
        if n >= 0 {
            let hit = |revents: libc::c_short| {
                revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0
            };
            return Ok(Ready {
                pipe: hit(fds[0].revents),
                exited: hit(fds[1].revents),
            });
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Sends `signal` to every process in the group led by `pid` (the worker and any
/// processes its task started). Errors (the group is gone) are of no interest.
pub(crate) fn signal_group(pid: u32, signal: libc::c_int) {
    // SAFETY: kill takes plain integers; a negative pid addresses a process group.
    unsafe {
        libc::kill(-(pid as libc::pid_t), signal);
    }
}

/// Sends `signal` to process `pid` only.
pub(crate) fn signal_process(pid: u32, signal: libc::c_int) {
    // SAFETY: kill takes plain integers.
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}
