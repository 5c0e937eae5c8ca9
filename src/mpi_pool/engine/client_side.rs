//! What the engine does on the client: requests from the executors' threads (open,
//! submit, shutdown), spawning worker ranks, handing out tasks, leaving, and breaking
//! the executors of a spawned group that lost a rank.

use std::sync::Arc;

use crossbeam_channel::Sender;
use mpi::topology::{Communicator, SimpleCommunicator};

use super::{encode, Engine, Group, Placement, Request, HELLO_TIMEOUT, SPAWNED_ARG};
use crate::mpi_pool::client::{ClientPool, PoolShared};
use crate::mpi_pool::comms::Comm;
use crate::mpi_pool::wire::{PoolId, Settings, ToRank};
use crate::Error;

impl Engine {
    pub(super) fn handle(&mut self, request: Request) {
        match request {
            Request::Open {
                placement,
                settings,
                shared,
                reply,
            } => {
                let _ = reply.send(self.open(placement, settings, shared));
            }
            Request::Submit { pool, task } => match self.pools.get_mut(&pool) {
                Some(client) => client.submit(task, &mut self.deferred),
                None => self
                    .deferred
                    .push(Box::new(move || task.future.fail(Error::Shutdown))),
            },
            Request::Shutdown { pool, cancel, done } => self.shutdown(pool, cancel, done),
            Request::Exit { .. } => unreachable!("handled by the loop"),
        }
    }

    /// A new executor: its group of worker ranks (the world's, or new ones), and an
    /// `Open` to each of them.
    pub(super) fn open(
        &mut self,
        placement: Placement,
        settings: Settings,
        shared: Arc<PoolShared>,
    ) -> Result<(PoolId, usize), Error> {
        let group = match placement {
            Placement::World => self.world_group.ok_or_else(|| Error::BrokenExecutor {
                reason: "this process is not rank 0 of an mpirun job".into(),
            })?,
            Placement::Spawn(ranks) => self.spawn(ranks)?,
        };
        let ranks = self.groups[group].ranks.clone();
        if ranks.is_empty() {
            return Err(Error::InvalidArgument(
                "an MpiPoolExecutor needs at least one worker rank: run with mpirun -n 2 \
                 or more, or give it max_workers"
                    .into(),
            ));
        }
        self.next_pool += 1;
        let id = self.next_pool;
        let open = encode(&ToRank::Open {
            pool: id,
            settings: settings.clone(),
        });
        for &rank in &ranks {
            self.outbox.push((group, rank, open.clone()));
        }
        self.await_hellos(group)?;
        let hosts = &self.groups[group].hosts;
        let ranks_with_hosts = ranks
            .iter()
            .map(|rank| {
                (
                    *rank,
                    hosts.get(rank).cloned().unwrap_or_else(|| "?".into()),
                )
            })
            .collect();
        let count = ranks.len();
        let client = ClientPool::new(id, group, ranks_with_hosts, settings, shared);
        self.pools.insert(id, client);
        Ok((id, count))
    }

    /// Starts `ranks` new worker ranks of this program: a new group.
    pub(super) fn spawn(&mut self, ranks: usize) -> Result<usize, Error> {
        use mpi::collective::Root;
        let program = std::env::current_exe().map_err(|e| Error::BrokenExecutor {
            reason: format!("cannot find this program's executable to spawn it: {e}"),
        })?;
        let mut command = std::process::Command::new(program);
        command.arg(SPAWNED_ARG);
        let self_comm = SimpleCommunicator::self_comm();
        let count = i32::try_from(ranks)
            .map_err(|_| Error::InvalidArgument(format!("cannot spawn {ranks} worker ranks")))?;
        let inter = self_comm
            .process_at_rank(0)
            .spawn(&command, count)
            .map_err(|e| Error::BrokenExecutor {
                reason: format!("MPI_Comm_spawn of {ranks} worker ranks failed: {e:?}"),
            })?;
        self.groups.push(Group::new(Comm::Inter(inter)));
        Ok(self.groups.len() - 1)
    }

    pub(super) fn shutdown(&mut self, pool: PoolId, cancel: bool, done: Sender<()>) {
        let Some(client) = self.pools.get_mut(&pool) else {
            // Finished already; told after what its completions left.
            self.deferred.push(Box::new(move || {
                let _ = done.send(());
            }));
            return;
        };
        // Only what was not sent is cancelled: a task sent to a rank is running, as
        // far as its future knows, and runs.
        client.shutdown(cancel, done, &mut self.deferred);
    }

    pub(super) fn collect_tasks(&mut self) {
        let mut finished = Vec::new();
        for client in self.pools.values_mut() {
            for (rank, tasks) in client.dispatch() {
                let message = encode(&ToRank::Tasks {
                    pool: client.id,
                    tasks,
                });
                self.outbox.push((client.group, rank, message));
            }
            if client.finished(&mut self.deferred) {
                finished.push(client.id);
            }
        }
        for pool in finished {
            let client = self.pools.remove(&pool).expect("listed above");
            let close = encode(&ToRank::Close { pool });
            for rank in client.ranks() {
                self.outbox.push((client.group, rank, close.clone()));
            }
        }
    }

    /// Waits until every rank of `group` said hello (its host, and for a spawned rank
    /// its pid, which the client watches: see `lost.rs`).
    fn await_hellos(&mut self, group: usize) -> Result<(), Error> {
        let deadline = std::time::Instant::now() + HELLO_TIMEOUT;
        while self.groups[group].hosts.len() < self.groups[group].ranks.len() {
            if std::time::Instant::now() > deadline {
                return Err(Error::BrokenExecutor {
                    reason: format!(
                        "the worker ranks did not say hello within {HELLO_TIMEOUT:?}: do \
                         they call concurrent_futures::init() first in main?"
                    ),
                });
            }
            if !self.receive() {
                std::thread::yield_now();
            }
        }
        Ok(())
    }

    /// The client is leaving: every worker rank it started or shares the world with
    /// is told to exit.
    pub(super) fn leave(&mut self) {
        if self.is_worker() {
            return;
        }
        self.look_for_lost_ranks();
        for (index, group) in self.groups.iter_mut().enumerate() {
            group.tell_to_exit(&mut self.outbox, index);
        }
        self.pools.clear();
        self.flush();
        self.wait_for_goodbyes();
    }

    /// Breaks the executors of spawned groups that lost a rank (see `lost.rs`).
    pub(super) fn look_for_lost_ranks(&mut self) {
        for (group, rank, pid) in self.rank_watch.lost() {
            self.groups[group].lost = true;
            self.rank_watch.forget(group);
            let reason = format!(
                "worker rank {rank} (pid {pid}, host {}) died, and Open MPI ended the job \
                 of the ranks spawned with it",
                self.host
            );
            for client in self.pools.values_mut().filter(|c| c.group == group) {
                client.lose_everything(&reason, &mut self.deferred);
            }
        }
    }
}
