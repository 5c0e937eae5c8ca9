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

/// Waits until one of `fds` is readable (data, end of file, an error to report; for
/// a pidfd: its process exited) or `timeout` passes (`None`: no limit). `None`
/// entries are not watched and never ready.
pub(crate) fn poll_readable<const N: usize>(
    fds: [Option<RawFd>; N],
    timeout: Option<Duration>,
) -> io::Result<[bool; N]> {
    let mut pollfds = fds.map(|fd| libc::pollfd {
        fd: fd.unwrap_or(-1),
        events: libc::POLLIN,
        revents: 0,
    });
    let timeout_ms = match timeout {
        None => -1,
        // Round up, so that a deadline is never woken for early and spun on.
        Some(t) => t.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int,
    };
    loop {
        // SAFETY: `pollfds` is a valid array of N pollfd for the duration of the call;
        // a negative fd is ignored by poll, as documented.
        let n = unsafe { libc::poll(pollfds.as_mut_ptr(), N as libc::nfds_t, timeout_ms) };
        if n >= 0 {
            return Ok(
                pollfds.map(|fd| fd.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0)
            );
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// A new non-blocking eventfd (a counter one thread writes to wake another's `poll`).
pub(crate) fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: eventfd takes an initial value and flags and returns a new fd or -1.
    let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this fd to us; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Makes reads of `fd` (and writes) return `WouldBlock` instead of waiting.
pub(crate) fn set_nonblocking(fd: &impl AsRawFd) -> io::Result<()> {
    let fd = fd.as_raw_fd();
    // SAFETY: fcntl with F_GETFL/F_SETFL reads and sets the flags of an fd we own;
    // it touches no memory of ours.
    let result = unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 {
            flags
        } else {
            libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK)
        }
    };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `true` if reading `pipe` would not block now (data, end of file or an error to
/// report): a check for [`crate::spin::spin_until`].
pub(crate) fn has_input(pipe: &impl AsRawFd) -> bool {
    poll_readable([Some(pipe.as_raw_fd())], Some(Duration::ZERO)).map_or(true, |[ready]| ready)
}

/// Sends `signal` to every process in the group led by `pid` (the worker and any
/// processes its task started). Errors (the group is gone) are of no interest.
pub(crate) fn signal_group(pid: u32, signal: libc::c_int) {
    // SAFETY: kill takes plain integers; a negative pid addresses a process group.
    unsafe {
        libc::kill(-(pid as libc::pid_t), signal);
    }
}

/// `write_all` to a worker's pipe without risking SIGPIPE: if the worker died, the
/// write fails with `EPIPE`, and the kernel also sends SIGPIPE, whose default action
/// kills the whole pool's process. Rust programs ignore SIGPIPE by default, but not
/// every program does (`| head`-friendly CLIs restore the default). So SIGPIPE is
/// blocked in this thread for the write, and one it caused is taken off the queue.
///
/// Blocking and unblocking cost three system calls, a tenth of a round trip; so when
/// SIGPIPE is ignored (every Rust program's default) the write goes straight
/// through. A program that switches SIGPIPE back to its default action *during* this
/// one write, while the worker dies, could still be killed by it: that is the price
/// of the shortcut, and such a program asked for SIGPIPE's default action.
pub(crate) fn write_all_without_sigpipe(
    pipe: &mut impl std::io::Write,
    bytes: &[u8],
) -> io::Result<()> {
    if sigpipe_is_ignored() {
        return pipe.write_all(bytes);
    }
    // SAFETY: sigset_t is plain data; sigemptyset/sigaddset initialise it.
    let mut sigpipe: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above; `previous` is written by pthread_sigmask.
    let mut previous: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: all pointers are to live sigset_t values of this frame; these calls only
    // change this thread's signal mask and pending set.
    let was_pending = unsafe {
        libc::sigemptyset(&mut sigpipe);
        libc::sigaddset(&mut sigpipe, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &sigpipe, &mut previous);
        let mut pending: libc::sigset_t = std::mem::zeroed();
        libc::sigpending(&mut pending);
        libc::sigismember(&pending, libc::SIGPIPE) == 1
    };
    let result = pipe.write_all(bytes);
    if !was_pending && result.as_ref().err().and_then(io::Error::raw_os_error) == Some(libc::EPIPE)
    {
        let no_wait = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: takes the SIGPIPE this write raised, if queued; pointers as above.
        unsafe {
            libc::sigtimedwait(&sigpipe, std::ptr::null_mut(), &no_wait);
        }
    }
    // SAFETY: restores the mask saved above.
    unsafe {
        libc::pthread_sigmask(libc::SIG_SETMASK, &previous, std::ptr::null_mut());
    }
    result
}

fn sigpipe_is_ignored() -> bool {
    // SAFETY: sigaction with a null new action only reads the current one into
    // `current`, a live, zeroed (valid) sigaction.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut current) == 0
            && current.sa_sigaction == libc::SIG_IGN
    }
}

/// Blocks until process `pid` (our child) has exited, leaving it a zombie (not reaped),
/// so that its pid and process-group id stay reserved until it is reaped.
pub(crate) fn wait_for_exit_unreaped(pid: u32) {
    loop {
        // SAFETY: siginfo_t is plain data, written by waitid.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a live siginfo_t; waitid with WNOWAIT only reports.
        let result = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if result == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return;
        }
    }
}

/// How many bytes `pipe` buffers (64 KiB normally; as little as one page when the user
/// has used up `pipe-user-pages-soft`), so that the pool never queues more than fits.
pub(crate) fn pipe_capacity(pipe: &impl AsRawFd) -> usize {
    // SAFETY: F_GETPIPE_SZ only reads the pipe's size.
    let size = unsafe { libc::fcntl(pipe.as_raw_fd(), libc::F_GETPIPE_SZ) };
    usize::try_from(size).unwrap_or(4096).max(4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SIGPIPE tests take turns: one of them changes the process-wide disposition.
    static SIGPIPE_TESTS: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

    /// With SIGPIPE at its default action (kill the process), writing to a pipe whose
    /// reader is gone must only return EPIPE: this test process survives to assert it.
    #[test]
    fn a_write_to_a_dead_worker_does_not_kill_the_pool() {
        let _turn = SIGPIPE_TESTS.lock();
        let (reader, mut writer) = io::pipe().unwrap();
        drop(reader);
        // SAFETY: swaps the SIGPIPE disposition for this test and restores it below;
        // no other test in this binary writes to a broken pipe meanwhile (the other
        // one that does waits for its turn).
        let previous = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
        let result = write_all_without_sigpipe(&mut writer, b"task");
        // SAFETY: restores what was there.
        unsafe { libc::signal(libc::SIGPIPE, previous) };
        assert_eq!(result.unwrap_err().raw_os_error(), Some(libc::EPIPE));
    }

    /// The shortcut: with SIGPIPE ignored (Rust's default), the write goes straight
    /// through and still only returns EPIPE.
    #[test]
    fn with_sigpipe_ignored_a_write_to_a_dead_worker_is_an_error() {
        let _turn = SIGPIPE_TESTS.lock();
        assert!(sigpipe_is_ignored(), "Rust's runtime ignores SIGPIPE");
        let (reader, mut writer) = io::pipe().unwrap();
        drop(reader);
        let result = write_all_without_sigpipe(&mut writer, b"task");
        assert_eq!(result.unwrap_err().raw_os_error(), Some(libc::EPIPE));
    }

    #[test]
    fn pipes_report_their_capacity() {
        let (_reader, writer) = io::pipe().unwrap();
        assert!(pipe_capacity(&writer) >= 4096);
    }
}
