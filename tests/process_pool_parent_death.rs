//! If the pool's process is killed outright (SIGKILL: no destructor runs), its workers
//! must not live on as orphans, nor the processes their tasks started.
#![cfg(target_os = "linux")]

mod processes;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use concurrent_futures::ProcessPoolExecutor;
use processes::{assert_gone, process_exists, with_deadline};

concurrent_futures::init_before_main!();

/// Starts a grandchild (`sleep`), tells its pid through a file named after this
/// worker, and waits.
fn start_grandchild_and_wait(seconds: u64) -> u64 {
    let mut grandchild = std::process::Command::new("sleep")
        .arg(seconds.to_string())
        .spawn()
        .unwrap();
    let note = std::env::temp_dir().join(format!("cf-grandchild-of-{}", std::process::id()));
    std::fs::write(&note, grandchild.id().to_string()).unwrap();
    let _ = grandchild.wait();
    seconds
}

fn grandchild_of(worker: u32) -> Option<u32> {
    let note = std::env::temp_dir().join(format!("cf-grandchild-of-{worker}"));
    std::fs::read_to_string(note).ok()?.parse().ok()
}

/// Not a test on its own: the process that gets killed. Run by
/// `killing_the_parent_leaves_no_worker` as `<this binary> --ignored --exact ...`.
#[test]
#[ignore = "a helper process for killing_the_parent_leaves_no_worker"]
fn helper_parent_with_busy_workers() {
    let pool = ProcessPoolExecutor::with_max_workers(2).unwrap();
    let futures: Vec<_> = (0..2)
        .map(|_| pool.submit(start_grandchild_and_wait, 600).unwrap())
        .collect();
    for fut in &futures {
        while !fut.running() {
            std::thread::yield_now();
        }
    }
    while pool.worker_pids().len() < 2 {
        std::thread::yield_now();
    }
    let workers = pool.worker_pids();
    let mut grandchildren = Vec::new();
    for &worker in &workers {
        // Written by the task as it starts; nothing to be notified by, so look.
        loop {
            if let Some(pid) = grandchild_of(worker) {
                grandchildren.push(pid.to_string());
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let workers: Vec<String> = workers.iter().map(u32::to_string).collect();
    println!("WORKERS {}", workers.join(" "));
    println!("GRANDCHILDREN {}", grandchildren.join(" "));
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
        let parse =
            |pids: &str| -> Vec<u32> { pids.split(' ').map(|p| p.parse().unwrap()).collect() };
        let (mut workers, mut grandchildren) = (Vec::new(), Vec::new());
        for line in stdout.lines() {
            let line = line.unwrap();
            if let Some(pids) = line.strip_prefix("WORKERS ") {
                workers = parse(pids);
            } else if let Some(pids) = line.strip_prefix("GRANDCHILDREN ") {
                grandchildren = parse(pids);
                break;
            }
        }
        assert_eq!(workers.len(), 2, "the helper did not report its workers");
        assert_eq!(
            grandchildren.len(),
            2,
            "the helper did not report the grandchildren"
        );
        assert!(workers
            .iter()
            .chain(&grandchildren)
            .all(|&pid| process_exists(pid)));
        parent.kill().unwrap();
        parent.wait().unwrap();
        // The parent-death signal kills them; init reaps them. We cannot be told, so
        // look until they are gone (or PATIENCE runs out, which fails).
        assert_gone(&workers);
        // The processes their tasks started die with them.
        assert_gone(&grandchildren);
        for worker in workers {
            let _ = std::fs::remove_file(
                std::env::temp_dir().join(format!("cf-grandchild-of-{worker}")),
            );
        }
    });
}
