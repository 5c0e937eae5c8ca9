//! Seeing a spawned worker rank die. Open MPI ends the job of a rank that dies; under
//! `mpirun` that takes the whole job down, client included. A singleton's spawned ranks
//! form a job of their own, though: Open MPI ends that one, and the client would wait
//! forever for their results. So the client watches the spawned ranks on its own host
//! through pidfds, and breaks the executors that used a group that lost a rank.

use std::os::fd::OwnedFd;

use crate::process_pool::sys;

/// Pidfds of spawned worker ranks, by group and rank.
#[derive(Default)]
pub(crate) struct RankWatch {
    watched: Vec<(usize, i32, u32, OwnedFd)>,
}

impl RankWatch {
    /// Watches worker rank `rank` of `group`, process `pid` on this host.
    pub(crate) fn watch(&mut self, group: usize, rank: i32, pid: u32) {
        if let Some(pidfd) = sys::pidfd_open(pid) {
            self.watched.push((group, rank, pid, pidfd));
        }
    }

    /// The ranks that died since the last look: group, rank, pid (each told once).
    pub(crate) fn lost(&mut self) -> Vec<(usize, i32, u32)> {
        let mut lost = Vec::new();
        self.watched.retain(|(group, rank, pid, pidfd)| {
            let alive = !sys::has_input(pidfd);
            if !alive {
                lost.push((*group, *rank, *pid));
            }
            alive
        });
        lost
    }

    /// `true` if a watched rank of `group` has died (without forgetting it: the next
    /// `lost` still tells it).
    pub(crate) fn has_died(&self, group: usize) -> bool {
        self.watched
            .iter()
            .any(|(watched, _, _, pidfd)| *watched == group && sys::has_input(pidfd))
    }

    /// Stops watching `group` (it is gone).
    pub(crate) fn forget(&mut self, group: usize) {
        self.watched.retain(|(watched, ..)| *watched != group);
    }
}

/// This host's name, as worker ranks report theirs.
pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .unwrap_or_else(|_| "unknown host".into())
}
