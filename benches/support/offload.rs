//! Awaiting offloaded work from a tokio runtime: our `ThreadPoolExecutor`'s futures
//! against tokio's own `spawn_blocking`, shared by the `thread_pool` and `async_await`
//! benches so that both measure the same thing.

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use concurrent_futures::ThreadPoolExecutor;

use super::median;

/// The median of `iterations` timed awaits of `one()`.
pub async fn median_latency<F: IntoFuture>(iterations: usize, mut one: impl FnMut() -> F) -> f64 {
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        std::hint::black_box(one().await);
        samples.push(start.elapsed().as_secs_f64());
    }
    median(samples)
}

/// Submits `tasks` no-op tasks, then awaits them all.
pub async fn ours_throughput(pool: &ThreadPoolExecutor, tasks: usize) -> Duration {
    let start = Instant::now();
    let futures: Vec<_> = (0..tasks as u64)
        .map(|i| pool.submit(move || i).unwrap())
        .collect();
    let mut sum = 0;
    for fut in &futures {
        sum += fut.await.unwrap();
    }
    assert_eq!(sum, (tasks as u64 - 1) * tasks as u64 / 2);
    start.elapsed()
}

/// The same with `spawn_blocking` (the runtime's blocking pool is the peer).
pub async fn spawn_blocking_throughput(tasks: usize) -> Duration {
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks as u64)
        .map(|i| tokio::task::spawn_blocking(move || i))
        .collect();
    let mut sum = 0;
    for handle in handles {
        sum += handle.await.unwrap();
    }
    assert_eq!(sum, (tasks as u64 - 1) * tasks as u64 / 2);
    start.elapsed()
}

/// Round trip: submit one no-op task and await it.
pub async fn ours_round_trip(pool: &ThreadPoolExecutor, iterations: usize) -> f64 {
    median_latency(iterations, || pool.submit(|| 1_u64).unwrap()).await
}

pub async fn spawn_blocking_round_trip(iterations: usize) -> f64 {
    median_latency(iterations, || tokio::task::spawn_blocking(|| 1_u64)).await
}

/// A current-thread runtime whose blocking pool has `threads` threads.
pub fn runtime(threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .max_blocking_threads(threads)
        .build()
        .expect("a tokio runtime")
}
