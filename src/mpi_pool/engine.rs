//! The engine: the one thread per process that makes every MPI call (MPI is
//! initialized `Funneled`, by this thread). On the client it keeps every executor's
//! state (`client.rs`); on a worker rank, the sessions (`serve.rs`). Other threads talk
//! to it through one channel of [`Request`]s.
//!
//! **Waiting.** Open MPI's blocking receive spins a CPU, and no MPI call waits on a
//! channel, so the engine polls MPI, in three gears. After anything happened it stays
//! awake for [`AWAKE`], checking MPI and its channel and yielding the CPU in between:
//! a round trip of short tasks never waits for a nap. Then, while results or tasks may
//! still arrive from other ranks, it naps on its channel (so a local request still
//! wakes it at once), from [`FIRST_NAP`] doubling up to [`LONGEST_NAP`] (a worker rank
//! with no task: [`LONGEST_IDLE_NAP`]). A client with
//! nothing out on any rank sleeps on its channel alone: an idle client costs nothing.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use mpi::environment::Universe;
use mpi::topology::{Communicator, SimpleCommunicator};

mod client_side;
mod worker_side;

use super::client::{ClientPool, Deferred, PoolShared, RemoteTask};
use super::comms::Comm;
use super::lost::{host_name, RankWatch};
use super::serve::Sessions;
use super::wire::{build_fingerprint, PoolId, Settings, ToClient, ToRank};
use crate::Error;

/// How long the engine stays awake after something happened (measured: at 200 µs the
/// chunked map of `benches/mpi_pool.rs` ran at 12.6 M items/s, at 1 ms 20.2 M).
const AWAKE: Duration = Duration::from_millis(1);

/// The first nap after [`AWAKE`]...
const FIRST_NAP: Duration = Duration::from_micros(50);

/// ...doubling up to this while something is expected: how late, at most, a result
/// (or a task) is seen after a long silence.
const LONGEST_NAP: Duration = Duration::from_millis(1);

/// ...or up to this on a worker rank with no task: how late, at most, an idle rank sees
/// its next task, and what keeps it near idle (a look at MPI a hundred times a second
/// instead of a thousand: 4% of a core measured at `LONGEST_NAP`).
const LONGEST_IDLE_NAP: Duration = Duration::from_millis(10);

/// How long a new executor waits for its worker ranks to say hello (a rank spawned on
/// a loaded machine takes a while to start).
const HELLO_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a worker rank waits on a local task before it looks at MPI again.
const LOCAL_WAIT: Duration = Duration::from_micros(50);

/// The argument a spawned worker rank is started with (see `bootstrap.rs`).
pub(crate) const SPAWNED_ARG: &str = "__concurrent_futures_mpi_worker_rank__";

/// What other threads ask of the engine.
pub(crate) enum Request {
    /// Start serving a new executor; the reply says on how many worker ranks.
    Open {
        placement: Placement,
        settings: Settings,
        shared: Arc<PoolShared>,
        reply: Sender<Result<(PoolId, usize), Error>>,
    },
    Submit {
        pool: PoolId,
        task: RemoteTask,
    },
    Shutdown {
        pool: PoolId,
        cancel: bool,
        done: Sender<()>,
    },
    /// The process is leaving: the client tells its worker ranks to exit; MPI is
    /// finalized; `done` hears when it is.
    Exit {
        done: Sender<()>,
    },
}

/// Which worker ranks a new executor uses.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Placement {
    /// World mode: the other ranks of `MPI_COMM_WORLD`.
    World,
    /// Spawn mode: this many new ranks, started with `MPI_Comm_spawn`.
    Spawn(usize),
}

/// What this process is in the MPI job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Rank 0 of `mpirun -n N` with N > 1: its executors use the other ranks.
    WorldClient,
    /// Ranks 1..N-1 of `mpirun -n N`: they serve rank 0.
    WorldWorker,
    /// Started alone, or by `mpirun -n 1`: its executors spawn their ranks.
    Singleton,
    /// Started by an executor's `MPI_Comm_spawn`: it serves its parent.
    SpawnedWorker,
}

/// The running engine of this process.
pub(crate) struct EngineHandle {
    pub(crate) role: Role,
    pub(crate) requests: Sender<Request>,
    /// The world's size (1 for a singleton), and the universe size if MPI knows one.
    pub(crate) world_size: usize,
    pub(crate) universe_size: Option<usize>,
}

static ENGINE: OnceLock<Result<EngineHandle, String>> = OnceLock::new();

/// The engine, started on first use as `role` says.
pub(crate) fn engine(role: impl FnOnce() -> Role) -> Result<&'static EngineHandle, Error> {
    ENGINE
        .get_or_init(|| start(role()))
        .as_ref()
        .map_err(|reason| Error::BrokenExecutor {
            reason: reason.clone(),
        })
}

/// The engine if it was started.
pub(crate) fn running() -> Option<&'static EngineHandle> {
    ENGINE.get().and_then(|engine| engine.as_ref().ok())
}

fn start(role: Role) -> Result<EngineHandle, String> {
    let (requests, receiver) = crossbeam_channel::unbounded();
    let (ready, started) = crossbeam_channel::bounded(1);
    std::thread::Builder::new()
        .name("concurrent-futures-mpi".into())
        .spawn(move || run(role, receiver, ready))
        .map_err(|e| format!("could not start the MPI thread: {e}"))?;
    let (world_size, universe_size) = started
        .recv()
        .map_err(|_| "the MPI thread ended while starting MPI".to_string())??;
    if matches!(role, Role::WorldClient | Role::Singleton) {
        crate::process_pool::sys::at_exit(leave_at_exit);
    }
    Ok(EngineHandle {
        role,
        requests,
        world_size,
        universe_size,
    })
}

/// Run by the C runtime as the client process exits: worker ranks are told to exit and
/// MPI is finalized, as `mpirun` expects of every rank.
extern "C" fn leave_at_exit() {
    leave();
}

/// Runs a worker rank's engine on this thread until the client says `Exit`, then exits
/// the process.
pub(crate) fn serve_here(role: Role) -> ! {
    // Nothing sends to a worker rank's engine but MPI: its channel stays empty.
    let (_requests, receiver) = crossbeam_channel::unbounded();
    let (ready, started) = crossbeam_channel::bounded(1);
    run(role, receiver, ready);
    let code = match started.try_recv() {
        Ok(Ok(_)) => 0,
        _ => {
            eprintln!("concurrent_futures: this worker rank could not start MPI");
            1
        }
    };
    std::process::exit(code)
}

/// Tells the engine to leave, and waits until it has (not on the engine thread itself,
/// which exits the process only when a rank died under a message: see `comms.rs`).
pub(crate) fn leave() {
    let Some(engine) = running() else {
        return;
    };
    if crate::pool_thread::works_for(engine_mark()) {
        return;
    }
    let (done, left) = crossbeam_channel::bounded(1);
    if engine.requests.send(Request::Exit { done }).is_ok() {
        let _ = left.recv();
    }
}

type Started = Result<(usize, Option<usize>), String>;

/// The engine thread: initializes MPI, serves requests and messages until told to
/// leave, finalizes MPI.
fn run(role: Role, requests: Receiver<Request>, ready: Sender<Started>) {
    let _mark = crate::pool_thread::work_for(engine_mark());
    let Some((universe, _threading)) = mpi::initialize_with_threading(mpi::Threading::Funneled)
    else {
        let _ = ready.send(Err("MPI was initialized already, by other code".into()));
        return;
    };
    let world = universe.world();
    let _ = ready.send(Ok((world.size() as usize, universe.size())));
    let mut engine = Engine::new(role, &universe, world);
    let done = engine.serve(&requests);
    engine.release();
    drop(universe); // MPI_Finalize
    if let Some(done) = done {
        let _ = done.send(());
    }
}

/// A group of worker ranks the client sends to: the world's other ranks, or ranks it
/// spawned.
struct Group {
    /// `None` once disconnected: a spawned group whose executor finished.
    comm: Option<Comm>,
    /// Its worker ranks.
    ranks: Vec<i32>,
    /// Each rank's host, once it said hello.
    hosts: HashMap<i32, String>,
    /// A spawned rank of it died: nothing is sent to it any more (see `lost.rs`).
    lost: bool,
    /// Told to exit; the ranks that said goodbye since.
    leaving: Option<HashSet<i32>>,
}

struct Engine {
    role: Role,
    /// Client: the groups of worker ranks. Worker: one group, the client (rank 0).
    groups: Vec<Group>,
    world_group: Option<usize>,
    pools: HashMap<PoolId, ClientPool>,
    next_pool: PoolId,
    sessions: Sessions,
    /// Results of local tasks, to be sent to the client, per executor.
    outgoing_results: HashMap<PoolId, Vec<(u64, super::wire::TaskResult)>>,
    /// Messages to send: group, rank, bytes.
    outbox: Vec<(usize, i32, Vec<u8>)>,
    deferred: Vec<Deferred>,
    completions: Sender<Deferred>,
    build: u64,
    host: String,
    rank_watch: RankWatch,
    /// (Worker) the client said `Exit`.
    left: bool,
    awake_since: Instant,
    nap: Duration,
}

impl Engine {
    fn new(role: Role, universe: &Universe, world: SimpleCommunicator) -> Engine {
        let mut groups = Vec::new();
        let mut world_group = None;
        match role {
            Role::WorldClient => {
                world_group = Some(0);
                groups.push(Group::new(Comm::World(world)));
            }
            Role::WorldWorker => groups.push(Group::new(Comm::World(world))),
            Role::SpawnedWorker => {
                if let Some(parent) = universe.world().parent() {
                    groups.push(Group::new(Comm::Inter(parent)));
                }
            }
            Role::Singleton => {}
        }
        Engine {
            role,
            groups,
            world_group,
            pools: HashMap::new(),
            next_pool: 0,
            sessions: Sessions::default(),
            outgoing_results: HashMap::new(),
            outbox: Vec::new(),
            deferred: Vec::new(),
            completions: completion_thread(),
            build: build_fingerprint(),
            host: host_name(),
            rank_watch: RankWatch::default(),
            left: false,
            awake_since: Instant::now(),
            nap: FIRST_NAP,
        }
    }

    fn is_worker(&self) -> bool {
        matches!(self.role, Role::WorldWorker | Role::SpawnedWorker)
    }

    /// The loop; returns who to tell once MPI is finalized.
    fn serve(&mut self, requests: &Receiver<Request>) -> Option<Sender<()>> {
        if self.is_worker() {
            self.say_hello();
        }
        let mut next = None;
        loop {
            let mut busy = false;
            while let Some(request) = next.take().or_else(|| requests.try_recv().ok()) {
                busy = true;
                if let Request::Exit { done } = request {
                    self.leave();
                    return Some(done);
                }
                self.handle(request);
            }
            busy |= self.receive();
            if self.is_worker() && self.left {
                return None;
            }
            busy |= self.collect_local();
            busy |= self.flush();
            next = self.rest(requests, busy);
        }
    }
}

impl Engine {
    /// Takes in every message that has arrived; `true` if there was one.
    fn receive(&mut self) -> bool {
        let mut any = false;
        for group in 0..self.groups.len() {
            while let Some((rank, bytes)) = self.groups[group].try_receive() {
                any = true;
                self.message(group, rank, &bytes);
            }
        }
        self.disconnect_departed();
        any
    }

    /// Disconnects the groups told to exit whose every rank said goodbye (which they
    /// do right before disconnecting on their side).
    fn disconnect_departed(&mut self) {
        for group in &mut self.groups {
            let departed = group
                .leaving
                .as_ref()
                .is_some_and(|byes| byes.len() == group.ranks.len());
            if departed && !group.lost {
                group.comm.take(); // MPI_Comm_disconnect
            }
        }
    }

    fn message(&mut self, group: usize, rank: i32, bytes: &[u8]) {
        if self.is_worker() {
            match postcard::from_bytes::<ToRank>(bytes) {
                Ok(message) => self.for_worker(message),
                Err(e) => eprintln!(
                    "concurrent_futures: a message from the client did not decode ({e}); ignored"
                ),
            }
            return;
        }
        match postcard::from_bytes::<ToClient>(bytes) {
            Ok(ToClient::Hello { host, pid }) => {
                if Some(group) != self.world_group && host == self.host {
                    self.rank_watch.watch(group, rank, pid);
                }
                self.groups[group].hosts.insert(rank, host);
            }
            Ok(ToClient::Goodbye) => {
                if let Some(byes) = self.groups[group].leaving.as_mut() {
                    byes.insert(rank);
                }
            }
            Ok(ToClient::Results { pool, results }) => {
                if let Some(client) = self.pools.get_mut(&pool).filter(|c| c.group == group) {
                    client.results(rank, results, &mut self.deferred);
                }
            }
            Err(e) => eprintln!(
                "concurrent_futures: a message from worker rank {rank} did not decode ({e}); ignored"
            ),
        }
    }
}

impl Engine {
    /// Sends what piled up: tasks for ranks with room, results for the client, the
    /// closes of executors that finished; hands callbacks to the completion thread.
    /// `true` if anything went out.
    fn flush(&mut self) -> bool {
        self.collect_tasks();
        self.collect_results();
        for deferred in self.deferred.drain(..) {
            let _ = self.completions.send(deferred);
        }
        if self.outbox.is_empty() {
            return false;
        }
        let mut arrived = Vec::new();
        let (groups, rank_watch) = (&self.groups, &self.rank_watch);
        for (group, rank, bytes) in self.outbox.drain(..) {
            let Some(comm) = groups[group].comm.as_ref().filter(|_| !groups[group].lost) else {
                continue;
            };
            // Nothing is sent to a group with a dead rank: it would never be taken.
            if rank_watch.has_died(group) {
                continue;
            }
            let mut waits = 0_u32;
            comm.send(rank, &bytes, || {
                // Taken in meanwhile, handled after the sends.
                for (from, other) in groups.iter().enumerate() {
                    while let Some((sender, message)) = other.try_receive() {
                        arrived.push((from, sender, message));
                    }
                }
                // A receiver that died never takes its message (see `lost.rs`).
                waits = waits.wrapping_add(1);
                !waits.is_multiple_of(1024) || !rank_watch.has_died(group)
            });
        }
        for (group, rank, message) in arrived {
            self.message(group, rank, &message);
        }
        true
    }

    /// Waits for something to do, as the module's documentation says; a request that
    /// came meanwhile is returned.
    fn rest(&mut self, requests: &Receiver<Request>, busy: bool) -> Option<Request> {
        if busy {
            self.awake_since = Instant::now();
            self.nap = FIRST_NAP;
            return None;
        }
        let expecting = self.is_worker()
            || self.pools.values().any(ClientPool::expects_results)
            || self.sessions.expects_results()
            || self.groups.iter().any(Group::saying_goodbye);
        if !expecting {
            return requests.recv().ok();
        }
        if self.sessions.expects_results() {
            // Local tasks run: wait for the oldest (its result is the likeliest news)
            // for as long as a result is worth waiting awake for, then look at MPI.
            self.sessions.wait_for_oldest(LOCAL_WAIT);
            return None;
        }
        if self.awake_since.elapsed() < AWAKE {
            std::thread::yield_now();
            return None;
        }
        self.look_for_lost_ranks();
        let nap = self.nap;
        let longest = if self.is_worker() && !self.sessions.expects_results() {
            LONGEST_IDLE_NAP
        } else {
            LONGEST_NAP
        };
        self.nap = (nap * 2).min(longest);
        // A timeout (or, never, a disconnection) just ends the nap.
        requests.recv_timeout(nap).ok()
    }
}

impl Engine {
    /// Ends the engine: a group that lost a rank is not disconnected (which would wait
    /// for the dead rank), the others are.
    fn release(self) {
        for group in self.groups {
            if group.lost {
                std::mem::forget(group.comm);
            }
        }
    }

    /// (Client) Waits until every group told to exit has said goodbye, or lost a rank,
    /// receiving meanwhile (a rank may be sending results as it is told), then
    /// disconnects them.
    fn wait_for_goodbyes(&mut self) {
        while self.groups.iter().any(Group::saying_goodbye) {
            if !self.receive() {
                self.look_for_lost_ranks();
                std::thread::yield_now();
            }
        }
    }
}

impl Group {
    fn new(comm: Comm) -> Group {
        Group {
            ranks: comm.worker_ranks(),
            comm: Some(comm),
            hosts: HashMap::new(),
            lost: false,
            leaving: None,
        }
    }

    fn try_receive(&self) -> Option<(i32, Vec<u8>)> {
        self.comm.as_ref()?.try_receive()
    }

    /// Told to exit and not gone yet: its goodbyes are awaited.
    fn saying_goodbye(&self) -> bool {
        self.comm.is_some() && !self.lost && self.leaving.is_some() && !self.departed()
    }

    fn departed(&self) -> bool {
        self.leaving
            .as_ref()
            .is_some_and(|byes| byes.len() == self.ranks.len())
    }

    /// Tells every rank to exit; their goodbyes are counted from now on.
    fn tell_to_exit(&mut self, outbox: &mut Vec<(usize, i32, Vec<u8>)>, index: usize) {
        if self.lost || self.comm.is_none() || self.leaving.is_some() {
            return;
        }
        let exit = encode(&ToRank::Exit);
        outbox.extend(self.ranks.iter().map(|&rank| (index, rank, exit.clone())));
        self.leaving = Some(HashSet::new());
    }
}

/// The name of the engine thread in `crate::pool_thread`.
fn engine_mark() -> usize {
    static MARK: u8 = 0;
    &MARK as *const u8 as usize
}

/// The name of the completion thread in `crate::pool_thread`: a `shutdown(wait=true)`
/// called there (by a callback) cannot wait, since what it would wait for is queued
/// behind it on this very thread.
pub(crate) fn completion_mark() -> usize {
    &ENGINE as *const _ as usize
}

/// Postcard bytes of one of our messages (whose types always encode).
fn encode<M: serde::Serialize>(message: &M) -> Vec<u8> {
    postcard::to_allocvec(message).expect("every message type of the MPI pool encodes")
}

/// The thread that runs what may call user code (futures' callbacks), so that the
/// engine never waits for it.
fn completion_thread() -> Sender<Deferred> {
    let (sender, deferred) = crossbeam_channel::unbounded::<Deferred>();
    std::thread::Builder::new()
        .name("concurrent-futures-mpi-callbacks".into())
        .spawn(move || {
            let _mark = crate::pool_thread::work_for(completion_mark());
            for work in deferred {
                // A panicking callback is caught by the future; this thread survives.
                work();
            }
        })
        .expect("could not start a thread of the MPI pool");
    sender
}
