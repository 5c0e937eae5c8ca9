//! Helpers for the process-pool tests: deadlines and leftover checks.
#![allow(dead_code)]

use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

/// Generous: a loaded 2-core machine may be slow, but never this slow.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Process-pool tests take turns: each ends by checking that this process has no
/// child left, which only means something if no other test's pool is running.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs `body` on its own thread and fails the test if it takes longer than
/// `PATIENCE` * 2, so that a hang is a failure, not a stuck CI run. Then checks that
/// no child process is left (every worker exited and was reaped).
pub fn with_deadline<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (done, result) = mpsc::channel();
    let runner = std::thread::spawn(move || {
        let _ = done.send(body());
    });
    let value = match result.recv_timeout(PATIENCE * 2) {
        Ok(value) => {
            runner.join().unwrap();
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The body panicked: re-raise its panic here.
            std::panic::resume_unwind(runner.join().unwrap_err())
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the test hung for {:?}", PATIENCE * 2),
    };
    assert_no_child_left();
    value
}

/// Waits (up to `PATIENCE`) until this process has no child: a pool dropped by a
/// done-callback finishes shutting down in the background, with nothing to notify.
pub fn assert_no_child_left() {
    let deadline = Instant::now() + PATIENCE;
    while !children().is_empty() {
        assert!(
            Instant::now() < deadline,
            "child processes left: {:?}",
            children()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `true` while process `pid` exists (a zombie included).
pub fn process_exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// The process's state letter from /proc (`Z` for a zombie), if it exists.
pub fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    after_name.trim_start().chars().next()
}

/// Waits (up to `PATIENCE`) for processes we cannot be notified about, such as a
/// reparented grandchild, to disappear; fails the test if they do not.
pub fn assert_gone(pids: &[u32]) {
    let deadline = Instant::now() + PATIENCE;
    for &pid in pids {
        while process_exists(pid) && process_state(pid) != Some('Z') {
            assert!(Instant::now() < deadline, "process {pid} is still alive");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Asserts that none of `pids` is left: not running, and not a zombie of ours. Call
/// after the pool was dropped (shutdown waits for every worker to be reaped), so no
/// waiting is needed.
pub fn assert_reaped(pids: &[u32]) {
    for &pid in pids {
        if let Some(state) = process_state(pid) {
            // The pid may have been reused by an unrelated process; ours it is not
            // if its parent is not us.
            assert!(
                parent_of(pid) != Some(std::process::id()),
                "worker {pid} is left over (state {state})"
            );
        }
    }
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    after_name.split_whitespace().nth(1)?.parse().ok()
}

/// This process's direct children (from /proc/self/task/*/children).
pub fn children() -> Vec<u32> {
    let mut pids = Vec::new();
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
                pids.extend(
                    list.split_whitespace()
                        .filter_map(|p| p.parse::<u32>().ok()),
                );
            }
        }
    }
    pids.sort_unstable();
    pids.dedup();
    pids
}

/// How many file descriptors this process has open.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// CPU time used so far, in clock ticks (user + system), by the process or thread
/// whose /proc directory is `proc_dir` (e.g. "/proc/1234" or "/proc/self/task/56").
pub fn cpu_ticks(proc_dir: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("{proc_dir}/stat")).unwrap_or_default();
    let Some((_, after_name)) = stat.rsplit_once(')') else {
        return 0;
    };
    // Fields after the name start at field 3 (state); utime and stime are 14 and 15.
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    field(14).unwrap_or(0) + field(15).unwrap_or(0)
}

/// The /proc directories of this process's threads whose name starts with `prefix`.
pub fn threads_named(prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let name = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if name.starts_with(prefix) {
                found.push(task.path().display().to_string());
            }
        }
    }
    found
}
