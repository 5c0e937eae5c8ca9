//! The orphan watch: if the pool's process dies without a word (SIGKILL), the kernel
//! sends this worker SIGTERM (its parent-death signal, set at spawn). Then the worker
//! takes its whole process group down, the processes its task started included, so
//! that nothing is left orphaned. A SIGTERM from the pool itself (time limit,
//! `terminate_workers`) just ends the worker as usual; the pool cleans the group up.

use std::os::fd::AsFd;
use std::time::Duration;

use crate::process_pool::sys::{self, SigtermBlocked};

/// How long the watch gives a dying parent to be seen as gone (see [`watch`]).
const PARENT_EXIT_GRACE: Duration = Duration::from_millis(200);

/// Starts the watch. SIGTERM is blocked in every thread (threads started later inherit
/// the mask; std's `Command` resets it in programs it starts) and taken by one waiting
/// thread.
pub(crate) fn watch() {
    let Some(parent) = sys::parent_pid() else {
        return;
    };
    // The parent-death signal comes when the *thread* that started this worker ends;
    // while the rest of the dying process is still exiting, getppid() still names it.
    // A pidfd on the parent says for sure, a moment later, whether it is gone.
    let parent_pidfd = sys::pidfd_open(parent);
    let sigterm = SigtermBlocked::block();
    let watcher = std::thread::Builder::new()
        .name("concurrent-futures-sigterm".into())
        .stack_size(64 * 1024);
    let started = watcher.spawn(move || {
        sigterm.wait();
        let orphaned = sys::parent_pid() != Some(parent)
            || parent_pidfd.as_ref().is_some_and(|pidfd| {
                sys::poll_readable([Some(pidfd.as_fd())], Some(PARENT_EXIT_GRACE))
                    .is_ok_and(|[exited]| exited)
            });
        if orphaned {
            // The pool is gone. Kill the group, this worker included.
            sys::kill_own_group();
        }
        sigterm.die_of_it()
    });
    if started.is_err() {
        // No watcher: let SIGTERM act directly again (the orphan case is then covered
        // only by the worker's own death).
        sigterm.unblock();
    }
}
