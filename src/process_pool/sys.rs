//! Every system call of the process pool, on both sides of the pipe: through `rustix`
//! where it has a safe API, through `libc` where it has none.
//!
//! `libc` remains for what rustix does not wrap outside its `runtime` module (whose
//! functions are for implementing a libc, not for use beside one): a thread's signal
//! mask and pending set (`pthread_sigmask`, `sigpending`, `sigtimedwait`, `sigwait`),
//! the disposition of a signal (`sigaction`, `signal`), `raise`, and the dynamic
//! loader's `dladdr`, and `atexit`. This module and the function transport (`wire/entry.rs`) are the
//! only places in the crate allowed `unsafe`.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use rustix::event::{PollFd, PollFlags};
use rustix::process::{Pid, Signal};
use smallvec::SmallVec;

use super::event::Stop;

fn signal_of(stop: Stop) -> Signal {
    match stop {
        Stop::Term => Signal::TERM,
        Stop::Kill => Signal::KILL,
    }
}

/// A file descriptor that becomes readable when process `pid` exits (Linux 5.3+);
/// `None` where the kernel has no `pidfd_open`, in which case the pipe's end of file
/// is the only sign of death.
pub(crate) fn pidfd_open(pid: u32) -> Option<OwnedFd> {
    let pid = Pid::from_raw(pid as i32)?;
    rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).ok()
}

/// Waits until one of `fds` is readable (data, end of file, an error to report; for a
/// pidfd: its process exited) or `timeout` passes (`None`: no limit). `None` entries
/// are not watched and never ready.
pub(crate) fn poll_readable<const N: usize>(
    fds: [Option<BorrowedFd<'_>>; N],
    timeout: Option<Duration>,
) -> io::Result<[bool; N]> {
    // At most N descriptors: on the stack for every N the pool uses.
    let watched: SmallVec<[usize; 4]> = (0..N).filter(|&i| fds[i].is_some()).collect();
    let mut pollfds: SmallVec<[PollFd<'_>; 4]> = watched
        .iter()
        .filter_map(|&i| fds[i].map(|fd| PollFd::from_borrowed_fd(fd, PollFlags::IN)))
        .collect();
    let timeout = timeout.map(|t| rustix::event::Timespec {
        tv_sec: t.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: t.subsec_nanos().into(),
    });
    loop {
        match rustix::event::poll(&mut pollfds, timeout.as_ref()) {
            Ok(_) => break,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let mut ready = [false; N];
    let any = PollFlags::IN | PollFlags::HUP | PollFlags::ERR;
    for (pollfd, &i) in pollfds.iter().zip(&watched) {
        ready[i] = pollfd.revents().intersects(any);
    }
    Ok(ready)
}

/// `true` if reading `pipe` would not block now (data, end of file or an error to
/// report): a check for [`crate::spin::spin_until`].
pub(crate) fn has_input(pipe: &impl AsFd) -> bool {
    poll_readable([Some(pipe.as_fd())], Some(Duration::ZERO)).map_or(true, |[ready]| ready)
}

/// A new non-blocking eventfd (a counter one thread writes to wake another's `poll`).
pub(crate) fn eventfd() -> io::Result<OwnedFd> {
    use rustix::event::EventfdFlags;
    Ok(rustix::event::eventfd(
        0,
        EventfdFlags::NONBLOCK | EventfdFlags::CLOEXEC,
    )?)
}

/// Makes reads of `fd` (and writes) return `WouldBlock` instead of waiting.
pub(crate) fn set_nonblocking(fd: &impl AsFd) -> io::Result<()> {
    let flags = rustix::fs::fcntl_getfl(fd)?;
    rustix::fs::fcntl_setfl(fd, flags | rustix::fs::OFlags::NONBLOCK)?;
    Ok(())
}

/// How many bytes `pipe` buffers (64 KiB normally; as little as one page when the user
/// has used up `pipe-user-pages-soft`), so that the pool never queues more than fits.
pub(crate) fn pipe_capacity(pipe: &impl AsFd) -> usize {
    rustix::pipe::fcntl_getpipe_size(pipe)
        .unwrap_or(4096)
        .max(4096)
}

/// Sends `stop` to every process in the group led by `pid` (the worker and any
/// processes its task started). Errors (the group is gone) are of no interest.
pub(crate) fn signal_group(pid: u32, stop: Stop) {
    if let Some(pid) = Pid::from_raw(pid as i32) {
        let _ = rustix::process::kill_process_group(pid, signal_of(stop));
    }
}

/// Blocks until process `pid` (our child) has exited, leaving it a zombie (not reaped),
/// so that its pid and process-group id stay reserved until it is reaped.
pub(crate) fn wait_for_exit_unreaped(pid: u32) {
    use rustix::process::{WaitId, WaitIdOptions};
    let Some(pid) = Pid::from_raw(pid as i32) else {
        return;
    };
    let options = WaitIdOptions::EXITED | WaitIdOptions::NOWAIT;
    while let Err(rustix::io::Errno::INTR) = rustix::process::waitid(WaitId::Pid(pid), options) {}
}

/// This process's parent, `None` once it is gone and nobody adopted us (pid 0).
pub(crate) fn parent_pid() -> Option<u32> {
    rustix::process::getppid().map(|pid| pid.as_raw_nonzero().get() as u32)
}

/// Sets up `command` to start a worker: it gets SIGTERM when the pool's spawning
/// thread ends (its parent-death signal), and keeps exactly the two descriptors
/// `child_fds` open across the exec.
pub(crate) fn prepare_worker(command: &mut Command, child_fds: [RawFd; 2]) {
    let parent = Pid::from_raw(std::process::id() as i32);
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed: it makes three kinds of raw system calls
    // (prctl, getppid, fcntl) through rustix, allocates nothing (its errors are plain
    // numbers) and takes no lock.
    unsafe {
        command.pre_exec(move || {
            // SIGTERM, not SIGKILL: the worker catches it to kill its whole process
            // group, grandchildren included (`child/orphan.rs`).
            rustix::process::set_parent_process_death_signal(Some(Signal::TERM))?;
            // The parent may have died before the line above took effect.
            if rustix::process::getppid() != parent {
                return Err(io::Error::from_raw_os_error(
                    rustix::io::Errno::SRCH.raw_os_error(),
                ));
            }
            // Our pipes are close-on-exec in the parent; the worker's two ends must
            // survive this exec (and only these two).
            for fd in child_fds {
                // SAFETY: `fd` is open in the child: it was inherited from the parent,
                // which keeps it open until the spawn returns.
                let fd = BorrowedFd::borrow_raw(fd);
                rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::empty())?;
            }
            Ok(())
        });
    }
}

/// Takes ownership of a descriptor this process inherited, if it is open (and not one
/// of the standard three), making it close-on-exec so that programs a task runs do not
/// hold it too.
///
/// Call it once per descriptor, and only for one that nothing else in the process
/// uses: the worker's two pipes, named by the environment variable that `init` removes.
pub(crate) fn take_inherited_fd(fd: RawFd) -> Option<OwnedFd> {
    if fd < 3 {
        return None;
    }
    // SAFETY: F_GETFD only reads the descriptor's flags, and fails on a closed one; the
    // borrow ends with the call.
    let flags = rustix::io::fcntl_getfd(unsafe { BorrowedFd::borrow_raw(fd) }).ok()?;
    // SAFETY: the descriptor is open (just checked) and, by this function's contract,
    // claimed by nothing else in this process.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    rustix::io::fcntl_setfd(&owned, flags | rustix::io::FdFlags::CLOEXEC).ok()?;
    Some(owned)
}

/// Kills every process in this process's group, this one included.
pub(crate) fn kill_own_group() {
    let _ = rustix::process::kill_current_process_group(Signal::KILL);
}

/// SIGTERM, blocked in the calling thread (and the threads it starts from now on) so
/// that one thread can take it with [`SigtermBlocked::wait`].
#[derive(Clone, Copy)]
pub(crate) struct SigtermBlocked(libc::sigset_t);

// SAFETY: a sigset_t is plain data (a bit mask), with no tie to the thread that made it.
unsafe impl Send for SigtermBlocked {}

impl SigtermBlocked {
    pub(crate) fn block() -> SigtermBlocked {
        // SAFETY: plain data, initialised by sigemptyset and sigaddset before use; the
        // mask change is for this thread (and the threads it starts).
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGTERM);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            SigtermBlocked(set)
        }
    }

    /// Waits until a SIGTERM is pending, and takes it.
    pub(crate) fn wait(&self) {
        let mut signal = 0;
        // SAFETY: `self.0` is an initialised set and `signal` a live local.
        unsafe { libc::sigwait(&self.0, &mut signal) };
    }

    /// Lets SIGTERM act on the calling thread again.
    pub(crate) fn unblock(&self) {
        // SAFETY: as in `block`.
        unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &self.0, std::ptr::null_mut()) };
    }

    /// Dies of SIGTERM, as if it had never been intercepted.
    pub(crate) fn die_of_it(&self) -> ! {
        // SAFETY: signal and raise take plain values; the mask change is as in `block`.
        unsafe {
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &self.0, std::ptr::null_mut());
            libc::raise(libc::SIGTERM);
        }
        // Only reached if SIGTERM did not end the process (it always does with the
        // default action; this keeps the type honest).
        std::process::exit(128 + libc::SIGTERM)
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
    // SAFETY: sigset_t is plain data; sigemptyset/sigaddset initialise it, and
    // pthread_sigmask writes `previous`. These calls only change this thread's signal
    // mask and look at its pending set.
    let (sigpipe, previous, was_pending) = unsafe {
        let mut sigpipe: libc::sigset_t = std::mem::zeroed();
        let mut previous: libc::sigset_t = std::mem::zeroed();
        let mut pending: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut sigpipe);
        libc::sigaddset(&mut sigpipe, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &sigpipe, &mut previous);
        libc::sigpending(&mut pending);
        (
            sigpipe,
            previous,
            libc::sigismember(&pending, libc::SIGPIPE) == 1,
        )
    };
    let result = pipe.write_all(bytes);
    let broke = result.as_ref().err().and_then(io::Error::raw_os_error) == Some(libc::EPIPE);
    let no_wait = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: takes the SIGPIPE this write raised, if queued, then restores the mask
    // saved above; all pointers are to live locals.
    unsafe {
        if broke && !was_pending {
            libc::sigtimedwait(&sigpipe, std::ptr::null_mut(), &no_wait);
        }
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

/// Runs `handler` when the process exits normally (`exit`, or returning from `main`).
#[cfg_attr(not(feature = "mpi"), allow(dead_code))]
pub(crate) fn at_exit(handler: extern "C" fn()) {
    // SAFETY: atexit only stores the pointer; the handler is a plain `extern "C" fn`
    // without arguments, valid for the whole life of the program.
    unsafe { libc::atexit(handler) };
}

/// The base address of the loaded object (the executable, or a shared library) that
/// contains `address`, if the dynamic loader knows it.
pub(crate) fn object_base(address: usize) -> Option<usize> {
    // SAFETY: Dl_info is plain data that dladdr fills in; dladdr only looks `address`
    // up in the loader's tables (it does not dereference it).
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        if libc::dladdr(address as *const libc::c_void, &mut info) == 0 {
            return None;
        }
        Some(info.dli_fbase as usize)
    }
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

    #[test]
    fn poll_reports_only_the_ready_descriptors() {
        let (reader, mut writer) = io::pipe().unwrap();
        let (idle, _idle_writer) = io::pipe().unwrap();
        std::io::Write::write_all(&mut writer, b"x").unwrap();
        let ready = poll_readable(
            [Some(idle.as_fd()), None, Some(reader.as_fd())],
            Some(Duration::ZERO),
        )
        .unwrap();
        assert_eq!(ready, [false, false, true]);
    }

    #[test]
    fn a_closed_or_standard_descriptor_is_not_taken() {
        assert!(take_inherited_fd(0).is_none());
        assert!(take_inherited_fd(1_000_000).is_none());
    }
}
