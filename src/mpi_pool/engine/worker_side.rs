//! What the engine does on a worker rank: the client's messages, the local results to
//! send back, and the hello that says where the rank runs.

use super::{encode, Engine};
use crate::mpi_pool::wire::{ToClient, ToRank};

impl Engine {
    pub(super) fn for_worker(&mut self, message: ToRank) {
        match message {
            ToRank::Open { pool, settings } => self.sessions.open(pool, settings, self.build),
            ToRank::Tasks { pool, tasks } => {
                let ended = self.sessions.run(pool, tasks);
                if !ended.is_empty() {
                    self.outgoing_results.entry(pool).or_default().extend(ended);
                }
            }
            ToRank::Close { pool } => self.sessions.close(pool),
            ToRank::Exit => {
                self.sessions.leave();
                self.outbox.push((0, 0, encode(&ToClient::Goodbye)));
                self.flush();
                self.left = true;
            }
        }
    }

    /// (Worker) takes in the local tasks that ended; `true` if there was one.
    pub(super) fn collect_local(&mut self) -> bool {
        let collected = self.sessions.collect();
        let any = !collected.is_empty();
        for (pool, results) in collected {
            self.outgoing_results
                .entry(pool)
                .or_default()
                .extend(results);
        }
        any
    }

    pub(super) fn collect_results(&mut self) {
        for (pool, results) in self.outgoing_results.drain() {
            self.outbox
                .push((0, 0, encode(&ToClient::Results { pool, results })));
        }
    }

    pub(super) fn say_hello(&mut self) {
        let hello = ToClient::Hello {
            host: self.host.clone(),
            pid: std::process::id(),
        };
        self.outbox.push((0, 0, encode(&hello)));
        self.flush();
    }
}
