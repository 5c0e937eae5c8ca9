//! The MPI calls: communicators, sending and receiving byte messages. Only the engine
//! thread (`engine.rs`) uses this module, since MPI is initialized `Funneled` by it.

use mpi::point_to_point::{Destination, MatchedReceiveVec, Source};
use mpi::topology::{Communicator, InterCommunicator, Process, SimpleCommunicator};
use mpi::Rank;

/// A communicator the engine talks through.
pub(crate) enum Comm {
    /// `MPI_COMM_WORLD` (world mode: rank 0 and its worker ranks).
    World(SimpleCommunicator),
    /// An intercommunicator: to ranks this process spawned, or to the parent that
    /// spawned it.
    Inter(InterCommunicator),
}

impl Comm {
    fn process(&self, rank: Rank) -> Process<'_> {
        match self {
            Comm::World(comm) => comm.process_at_rank(rank),
            Comm::Inter(comm) => comm.process_at_rank(rank),
        }
    }

    /// The next message that has arrived, from any rank, and who sent it.
    pub(crate) fn try_receive(&self) -> Option<(Rank, Vec<u8>)> {
        let probed = match self {
            Comm::World(comm) => comm.any_process().immediate_matched_probe(),
            Comm::Inter(comm) => comm.any_process().immediate_matched_probe(),
        }?;
        let (bytes, status) = probed.matched_receive_vec::<u8>();
        Some((status.source_rank(), bytes))
    }

    /// Sends `bytes` to `rank`, calling `meanwhile` while the send is not complete: a
    /// large message waits for the receiver to take it, and two ranks sending each
    /// other large messages must go on receiving meanwhile, or neither would finish.
    /// `meanwhile` returns `false` if the receiver died: see [`receiver_died`].
    pub(crate) fn send(&self, rank: Rank, bytes: &[u8], mut meanwhile: impl FnMut() -> bool) {
        let process = self.process(rank);
        mpi::request::scope(|scope| {
            let mut request = process.immediate_send(scope, bytes);
            loop {
                match request.test() {
                    Ok(_) => return,
                    Err(pending) => request = pending,
                }
                if !meanwhile() {
                    receiver_died(rank);
                }
            }
        });
    }

    /// How many worker ranks are on the other side: the world's other ranks, or the
    /// remote group.
    pub(crate) fn worker_ranks(&self) -> Vec<Rank> {
        match self {
            Comm::World(comm) => (1..comm.size()).collect(),
            Comm::Inter(comm) => (0..comm.remote_size()).collect(),
        }
    }
}

/// A rank died with a message to it on its way. MPI cannot take a posted message back
/// (nor can rsmpi drop its request), so nothing can go on talking MPI here: the process
/// ends, as `mpirun` ends a job that lost a rank.
fn receiver_died(rank: Rank) -> ! {
    eprintln!(
        "concurrent_futures: worker rank {rank} died while a message to it was on its way; \
         MPI cannot take the message back, so this process ends"
    );
    std::process::exit(1)
}
