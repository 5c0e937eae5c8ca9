//! The per-task cost of each thread pool, for `valgrind --tool=callgrind`, whose
//! instruction counts do not move with machine noise. Runs `TASKS` no-op tasks on one
//! pool, as `benches/thread_pool.rs` does (submit them all, then collect them), and
//! nothing else; `scripts/thread_pool_cost.sh` runs it under callgrind for each pool
//! with 0 and with `TASKS` tasks and prints the difference per task.
//!
//! `memory` instead measures the heap bytes per queued, not yet started, no-op task:
//! both workers of each pool are held busy while `QUEUED` tasks are submitted, and a
//! counting allocator reports the growth of the live heap.
//!
//! ```text
//! cargo bench --bench thread_pool_cost --no-run
//! valgrind --tool=callgrind target/release/deps/thread_pool_cost-* ours 100000
//! target/release/deps/thread_pool_cost-* memory
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::{Arc, Barrier};

use concurrent_futures::{as_completed, ThreadPoolExecutor};

/// The system allocator, counting the bytes live.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is passed on to `System` unchanged; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System.alloc` with this layout (above).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

const QUEUED: usize = 1_000_000;

const WORKERS: usize = 2;

fn ours(tasks: usize) {
    let pool = ThreadPoolExecutor::with_max_workers(WORKERS).unwrap();
    let futures: Vec<_> = (0..tasks)
        .map(|i| pool.submit(move || i).unwrap())
        .collect();
    let mut collected = 0;
    for fut in as_completed(&futures) {
        std::hint::black_box(fut.result().unwrap());
        collected += 1;
    }
    assert_eq!(collected, tasks);
}

fn rayon(tasks: usize) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(WORKERS)
        .build()
        .unwrap();
    let (sender, results) = crossbeam_channel::unbounded();
    for i in 0..tasks {
        let sender = sender.clone();
        pool.spawn(move || sender.send(i).unwrap());
    }
    drop(sender);
    assert_eq!(results.iter().count(), tasks);
}

fn threadpool(tasks: usize) {
    let pool = threadpool::ThreadPool::new(WORKERS);
    let (sender, results) = crossbeam_channel::unbounded();
    for i in 0..tasks {
        let sender = sender.clone();
        pool.execute(move || sender.send(i).unwrap());
    }
    drop(sender);
    assert_eq!(results.iter().count(), tasks);
}

/// Heap bytes per queued task: `queue(n)` queues n no-op tasks behind busy workers
/// and returns what the caller keeps; then `release` lets the workers go, and
/// `drain` waits until every task ran.
fn bytes_per_queued<Q>(
    queue: impl FnOnce(usize) -> Q,
    release: &Barrier,
    drain: impl FnOnce(Q),
) -> f64 {
    let before = LIVE.load(Ordering::SeqCst);
    let queued = queue(QUEUED);
    let grown = LIVE.load(Ordering::SeqCst) - before;
    release.wait();
    drain(queued);
    grown as f64 / QUEUED as f64
}

fn memory() {
    let gate = Arc::new(Barrier::new(WORKERS + 1));
    let ours = ThreadPoolExecutor::with_max_workers(WORKERS).unwrap();
    let rayon = rayon::ThreadPoolBuilder::new()
        .num_threads(WORKERS)
        .build()
        .unwrap();
    let threadpool = threadpool::ThreadPool::new(WORKERS);
    let block = || {
        let gate = Arc::clone(&gate);
        move || {
            gate.wait();
        }
    };
    for _ in 0..WORKERS {
        ours.submit(block()).unwrap();
    }
    let ours_bytes = bytes_per_queued(
        |n| -> Vec<_> { (0..n).map(|i| ours.submit(move || i).unwrap()).collect() },
        &gate,
        |futures| assert_eq!(as_completed(&futures).count(), QUEUED),
    );
    for _ in 0..WORKERS {
        rayon.spawn(block());
    }
    let (sender, results) = crossbeam_channel::unbounded();
    let rayon_bytes = bytes_per_queued(
        |n| {
            for i in 0..n {
                let sender = sender.clone();
                rayon.spawn(move || sender.send(i).unwrap());
            }
        },
        &gate,
        |()| assert_eq!(results.iter().take(QUEUED).count(), QUEUED),
    );
    for _ in 0..WORKERS {
        threadpool.execute(block());
    }
    let threadpool_bytes = bytes_per_queued(
        |n| {
            for i in 0..n {
                let sender = sender.clone();
                threadpool.execute(move || sender.send(i).unwrap());
            }
        },
        &gate,
        |()| assert_eq!(results.iter().take(QUEUED).count(), QUEUED),
    );
    println!("| pool | heap bytes per queued no-op task ({QUEUED} queued) |");
    println!("|---|---:|");
    println!("| concurrent-futures (its Future kept, as submit returns it) | {ours_bytes:.1} |");
    println!("| rayon spawn + channel | {rayon_bytes:.1} |");
    println!("| threadpool + channel | {threadpool_bytes:.1} |");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("memory") {
        return memory();
    }
    // `cargo bench` runs every bench binary with `--bench`: do nothing then.
    let (Some(pool), Some(tasks)) = (args.get(1), args.get(2).and_then(|t| t.parse().ok())) else {
        eprintln!("usage: thread_pool_cost ours|rayon|threadpool TASKS (for callgrind)");
        return;
    };
    match pool.as_str() {
        "ours" => ours(tasks),
        "rayon" => rayon(tasks),
        "threadpool" => threadpool(tasks),
        other => eprintln!("unknown pool {other}"),
    }
}
