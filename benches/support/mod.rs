//! Measuring helpers shared by the benches (plain bench binaries: they print tables).
#![allow(dead_code)]

pub mod offload;
pub mod plot;

use std::time::{Duration, Instant};

/// How many rounds each measurement takes (`BENCH_ROUNDS`, default 7); the median is
/// reported, so one disturbed round does not move the figure.
pub fn rounds() -> usize {
    std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(7)
}

pub fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[samples.len() / 2]
}

/// Runs `body` `rounds()` times; the median of the durations it returns.
pub fn median_time(mut body: impl FnMut() -> Duration) -> Duration {
    let samples: Vec<f64> = (0..rounds()).map(|_| body().as_secs_f64()).collect();
    Duration::from_secs_f64(median(samples))
}

/// Times `iterations` calls of `one` and returns the per-call durations.
pub fn latencies(iterations: usize, mut one: impl FnMut()) -> Vec<f64> {
    (0..iterations)
        .map(|_| {
            let start = Instant::now();
            one();
            start.elapsed().as_secs_f64()
        })
        .collect()
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// How many file descriptors this process has open.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}
