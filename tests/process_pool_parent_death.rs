//! If the pool's process is killed outright (SIGKILL: no destructor runs), its workers
//! must not live on as orphans.
#![cfg(target_os = "linux")]

mod processes;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use concurrent_futures::ProcessPoolExecutor;
use processes::{assert_gone, process_exists, with_deadline};

concurrent_futures::init_before_main!();

fn sleep_long(seconds: u64) -> u64 {
    std::thread::sleep(Duration::from_secs(seconds));
    seconds
}

/// Not a test on its own: the process that gets killed. Run by
/// `killing_the_parent_leaves_no_worker` as `<this binary> --ignored --exact ...`.
#[test]
#[ignore = "a helper process for killing_the_parent_leaves_no_worker"]
fn helper_parent_with_busy_workers() {
    let pool = ProcessPoolExecutor::with_max_workers(2).unwrap();
    let futures: Vec<_> = (0..2)
        .map(|_| pool.submit(sleep_long, 600).unwrap())
        .collect();
    for fut in &futures {
        while !fut.running() {
            std::thread::yield_now();
        }
    }
    while pool.worker_pids().len() < 2 {
        std::thread::yield_now();
    }
    let pids: Vec<String> = pool.worker_pids().iter().map(u32::to_string).collect();
    println!("WORKERS {}", pids.join(" "));
    std::thread::sleep(Duration::from_secs(600));
}

#[test]
fn killing_the_parent_leaves_no_worker() {
    with_deadline(|| {
        let mut parent = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "helper_parent_with_busy_workers",
                "--nocapture",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(parent.stdout.take().unwrap());
        let mut workers = Vec::new();
        for line in stdout.lines() {
            let line = line.unwrap();
            if let Some(pids) = line.strip_prefix("WORKERS ") {
                workers = pids.split(' ').map(|p| p.parse::<u32>().unwrap()).collect();
                break;
            }
        }
        assert_eq!(workers.len(), 2, "the helper did not report its workers");
        assert!(workers.iter().all(|&pid| process_exists(pid)));
        parent.kill().unwrap();
        parent.wait().unwrap();
        // The parent-death signal kills them; init reaps them. We cannot be told, so
        // look until they are gone (or PATIENCE runs out, which fails).
        assert_gone(&workers);
    });
}
