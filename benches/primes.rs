//! The prime checkers' figures: `primes_sequential` against `primes_threads`,
//! `primes_procs` and `primes_proc_pool` with 1 and 2 workers, release builds, in one
//! run. Not a timed test: it measures and prints a table (Markdown), nothing fails.
//!
//! ```text
//! cargo bench --bench primes                          # 5 rounds
//! PRIMES_BENCH_ROUNDS=9 cargo bench --bench primes
//! ```
//!
//! It builds the examples in release mode itself (`cargo build --release --example
//! ...`), then runs every configuration once per round, the configurations taking
//! turns so that a burst of load elsewhere hits them all alike. For each it reports
//! the median wall time of a whole run (process start to exit, pool start-up
//! included), the best one, the median of the time the program itself prints in its
//! footer, and the speed-up of the median wall time over `primes_sequential`'s. The
//! load average before and after is printed too: the figures only mean something on
//! a quiet machine. `primes_proc_pool` is skipped while its example is not there.
//!
//! Then the book's Figure 19-2: the wall time of `primes_threads`, `primes_procs` and
//! `primes_proc_pool` with 1 to 2 × CPUs workers, beside `primes_sequential`'s, drawn
//! into docs/figures/primes_workers.svg.

mod support;

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// (label, example, arguments)
const CONFIGS: [(&str, &str, &[&str]); 7] = [
    ("sequential", "primes_sequential", &[]),
    ("threads, 1 worker", "primes_threads", &["1"]),
    ("threads, 2 workers", "primes_threads", &["2"]),
    ("procs, 1 worker", "primes_procs", &["1"]),
    ("procs, 2 workers", "primes_procs", &["2"]),
    ("proc_pool, 1 worker", "primes_proc_pool", &["1"]),
    ("proc_pool, 2 workers", "primes_proc_pool", &["2"]),
];

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Runs one example; returns the wall time and the time its footer reports.
fn run_once(binary: &Path, args: &[&str]) -> (f64, f64) {
    let t0 = Instant::now();
    let output = Command::new(binary)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
    let wall = t0.elapsed().as_secs_f64();
    assert!(output.status.success(), "{} failed", binary.display());
    let stdout = String::from_utf8_lossy(&output.stdout);
    // "Total time: 0.95s" or "20 checks in 0.52s"
    let footer = stdout
        .lines()
        .last()
        .and_then(|line| line.split_whitespace().last())
        .and_then(|time| time.strip_suffix('s'))
        .and_then(|time| time.parse().ok())
        .unwrap_or_else(|| panic!("no time in the footer of:\n{stdout}"));
    (wall, footer)
}

fn main() {
    if !env::args().any(|arg| arg == "--bench") {
        // `cargo test --benches` runs this too: measuring is `cargo bench`'s job.
        println!("run the prime checkers' benchmark with `cargo bench --bench primes`");
        return;
    }
    let rounds: usize = env::var("PRIMES_BENCH_ROUNDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(5)
        .max(1);
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let present = |example: &str| {
        manifest_dir
            .join("examples")
            .join(format!("{example}.rs"))
            .exists()
    };
    let configs: Vec<_> = CONFIGS
        .iter()
        .filter(|(_, example, _)| present(example))
        .collect();
    if !present("primes_proc_pool") {
        eprintln!("skipping primes_proc_pool: examples/primes_proc_pool.rs is not there yet");
    }

    let mut examples: Vec<&str> = configs.iter().map(|(_, example, _)| *example).collect();
    examples.dedup();
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(manifest_dir)
        .args(["build", "--release", "--quiet"]);
    for example in &examples {
        build.args(["--example", example]);
    }
    assert!(
        build.status().expect("run cargo build").success(),
        "cargo build failed"
    );
    let examples_dir: PathBuf = env::current_exe()
        .expect("the bench's path")
        .parent() // target/release/deps
        .and_then(Path::parent) // target/release
        .expect("target/release/deps/<bench>")
        .join("examples");

    println!("load average before: {}", load_average());
    let mut walls = vec![Vec::new(); configs.len()];
    let mut footers = vec![Vec::new(); configs.len()];
    for round in 1..=rounds {
        eprintln!("round {round}/{rounds}");
        for (i, (_, example, args)) in configs.iter().enumerate() {
            let binary = examples_dir.join(format!("{example}{}", env::consts::EXE_SUFFIX));
            let (wall, footer) = run_once(&binary, args);
            walls[i].push(wall);
            footers[i].push(footer);
        }
    }
    println!("load average after:  {}", load_average());
    println!(
        "{rounds} rounds, {} CPUs\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    println!("| program | median wall time | best | median footer time | speed-up |");
    println!("|---|---:|---:|---:|---:|");
    let sequential = median(&mut walls[0].clone());
    for (i, (label, _, _)) in configs.iter().enumerate() {
        let best = walls[i].iter().copied().fold(f64::INFINITY, f64::min);
        let wall = median(&mut walls[i]);
        let footer = median(&mut footers[i]);
        println!(
            "| {label} | {:.3}s | {:.3}s | {footer:.2}s | {:.2}x |",
            wall,
            best,
            sequential / wall
        );
    }
    draw_workers_figure(&examples_dir, rounds, sequential);
}

/// The parallel checkers swept over the number of workers (the book's Figure 19-2).
const SWEPT: [(&str, &str); 3] = [
    ("primes_threads", "threads"),
    ("primes_procs", "processes (hand-made)"),
    ("primes_proc_pool", "ProcessPoolExecutor"),
];

fn draw_workers_figure(examples_dir: &Path, rounds: usize, sequential: f64) {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers: Vec<usize> = (1..=2 * cpus).collect();
    let mut series = Vec::new();
    for (example, label) in SWEPT {
        let binary = examples_dir.join(format!("{example}{}", env::consts::EXE_SUFFIX));
        if !binary.exists() {
            continue;
        }
        let points = workers
            .iter()
            .map(|&n| {
                let arg = n.to_string();
                let mut walls: Vec<f64> =
                    (0..rounds).map(|_| run_once(&binary, &[&arg]).0).collect();
                (n as f64, median(&mut walls))
            })
            .collect::<Vec<_>>();
        println!("{label}: {points:.3?}");
        series.push((label, points));
    }
    let flat = workers.iter().map(|&n| (n as f64, sequential)).collect();
    series.push(("sequential", flat));
    support::plot::line_chart(
        "primes_workers.svg",
        &format!("20 prime checks, wall time by workers ({cpus} CPUs, lower is better)"),
        ("workers", "seconds"),
        &series,
    );
}
