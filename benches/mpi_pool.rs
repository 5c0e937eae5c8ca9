//! `MpiPoolExecutor` figures (feature `mpi`), for `benches/mpi_compare.sh`, which runs
//! this beside mpi4py.futures on the same Open MPI:
//!
//! ```text
//! mpirun -n 3 <this bench> round-trip|throughput|map   # 2 worker ranks, world mode
//! mpirun -n N <this bench> scaling                     # N-1 worker ranks, CPU-bound tasks
//! mpirun -n 2 <this bench> ping-pong                   # raw MPI between two ranks: the floor
//! ```
//!
//! Each mode prints one line: `<mode> <figure> <unit>`.

mod support;

use std::time::Instant;

use concurrent_futures::{as_completed, Future, MapOptions, MpiPoolExecutor};
use support::{latencies, median};

fn noop(n: u64) -> u64 {
    n
}

/// About a millisecond of arithmetic: the scaling table's task.
fn busy(n: u64) -> u64 {
    let mut x = n;
    for _ in 0..1_000_000 {
        // black_box: the optimiser would fold the whole loop otherwise.
        x = std::hint::black_box(x)
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
    }
    x
}

fn round_trip(pool: &MpiPoolExecutor) {
    for _ in 0..200 {
        pool.submit(noop, 1).unwrap().result().unwrap();
    }
    let times = latencies(2_000, || {
        std::hint::black_box(pool.submit(noop, 1).unwrap().result().unwrap());
    });
    println!("round-trip {:.1} us", median(times) * 1e6);
}

fn submits_per_second<F>(pool: &MpiPoolExecutor, tasks: u64, task: F) -> f64
where
    F: Fn(u64) -> u64 + Copy + 'static,
{
    let start = Instant::now();
    let futures: Vec<Future<u64>> = (0..tasks).map(|n| pool.submit(task, n).unwrap()).collect();
    for fut in as_completed(&futures) {
        std::hint::black_box(fut.result().unwrap());
    }
    tasks as f64 / start.elapsed().as_secs_f64()
}

fn throughput(pool: &MpiPoolExecutor) {
    submits_per_second(pool, 2_000, noop);
    let rates: Vec<f64> = (0..5)
        .map(|_| submits_per_second(pool, 20_000, noop))
        .collect();
    println!("throughput {:.0} tasks/s", median(rates));
}

fn map(pool: &MpiPoolExecutor) {
    let rates: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let options = MapOptions::new().chunksize(1_000);
            let total: u64 = pool
                .map_with(noop, 0..1_000_000, options)
                .unwrap()
                .map(Result::unwrap)
                .sum();
            std::hint::black_box(total);
            1e6 / start.elapsed().as_secs_f64()
        })
        .collect();
    println!("map {:.2} M items/s", median(rates) / 1e6);
}

fn scaling(pool: &MpiPoolExecutor) {
    submits_per_second(pool, 20, busy);
    let rates: Vec<f64> = (0..3)
        .map(|_| submits_per_second(pool, 400, busy))
        .collect();
    println!("scaling {:.0} tasks/s", median(rates));
}

/// Raw MPI: rank 0 and rank 1 bounce 8 bytes; half the median round trip is the
/// one-way latency, the floor under any task's round trip.
fn ping_pong() {
    use mpi::point_to_point::{Destination, Source};
    use mpi::topology::Communicator;
    let universe = mpi::initialize().expect("MPI starts");
    let world = universe.world();
    let peer = world.process_at_rank(1 - world.rank());
    let mut times = Vec::new();
    for round in 0..10_200 {
        let start = Instant::now();
        if world.rank() == 0 {
            peer.send(&[0_u8; 8][..]);
            let _ = peer.receive_vec::<u8>();
        } else {
            let _ = peer.receive_vec::<u8>();
            peer.send(&[0_u8; 8][..]);
        }
        if round >= 200 {
            times.push(start.elapsed().as_secs_f64());
        }
    }
    if world.rank() == 0 {
        println!("ping-pong {:.1} us", median(times) * 1e6);
    }
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    if mode == "ping-pong" {
        return ping_pong();
    }
    concurrent_futures::init(); // ranks 1.. serve from here
    let pool = MpiPoolExecutor::new().expect("run under mpirun -n 3");
    match mode.as_str() {
        "round-trip" => round_trip(&pool),
        "throughput" => throughput(&pool),
        "map" => map(&pool),
        "scaling" => scaling(&pool),
        other => eprintln!("unknown mode {other:?}: see the file's documentation"),
    }
}
