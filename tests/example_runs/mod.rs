//! Runs the examples' binaries and reads their output, for the example tests.
//!
//! `cargo test` builds every example into `target/<profile>/examples/` before it runs
//! the tests; this module finds them next to the test binary (`target/<profile>/deps/`).
//! Each run gets a fresh process group, so that on a time-out or a failed assertion the
//! example *and every process it started* are killed.
#![allow(dead_code)] // each test file uses part of it

pub mod primes;

use std::env;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// Generous: the slowest example needs about 3 s, even in a debug build.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// What an example printed, and how it ended.
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub status: ExitStatus,
    /// The example's process group: empty once the example and its children are gone.
    pub pgid: u32,
}

impl Run {
    /// `stdout`'s lines, panicking (with both outputs) unless the example succeeded.
    pub fn lines(&self) -> Vec<&str> {
        assert!(self.status.success(), "the example failed: {self:#?}");
        self.stdout.lines().collect()
    }
}

/// The path of the built example `name`.
pub fn example_path(name: &str) -> PathBuf {
    let test_exe = env::current_exe().expect("the test binary's path");
    let profile_dir = test_exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test binary>");
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is not built: run `cargo test` (which builds the examples) or \
         `cargo build --examples` first",
        path.display()
    );
    path
}

/// Kills a process group when dropped, unless disarmed: a failing test leaves nothing
/// running behind it.
struct GroupKiller {
    pgid: u32,
    armed: bool,
}

impl Drop for GroupKiller {
    fn drop(&mut self) {
        if self.armed {
            kill_group(self.pgid);
        }
    }
}

fn kill_group(pgid: u32) {
    // `kill(1)` rather than `libc::kill`, which would need `unsafe`.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
}

/// Whether any process is left in the group `pgid`.
pub fn group_alive(pgid: u32) -> bool {
    Command::new("kill")
        .args(["-0", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status()
        .map(|status| status.success())
        .unwrap_or(false)
}

fn read_all(mut source: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = source.read_to_end(&mut bytes);
        let _ = tx.send(String::from_utf8_lossy(&bytes).into_owned());
    });
    rx
}

/// Runs example `name` with `args`, waits for it (and for every process that holds
/// its stdout or stderr) at most [`TIMEOUT`], and returns what it printed.
pub fn run_example(name: &str, args: &[&str]) -> Run {
    run_command(Command::new(example_path(name)).args(args), name)
}

/// [`run_example`] for any command; `name` names it in messages.
pub fn run_command(command: &mut Command, name: &str) -> Run {
    let args: Vec<_> = command
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    let pgid = child.id();
    let mut killer = GroupKiller { pgid, armed: true };
    let stdout = read_all(child.stdout.take().expect("piped stdout"));
    let stderr = read_all(child.stderr.take().expect("piped stderr"));

    let deadline = Instant::now() + TIMEOUT;
    let wait_for = |rx: &Receiver<String>, what: &str| {
        let left = deadline.saturating_duration_since(Instant::now());
        rx.recv_timeout(left).unwrap_or_else(|_| {
            panic!("{name} {args:?}: no end of {what} within {TIMEOUT:?} (killed)")
        })
    };
    let stdout = wait_for(&stdout, "stdout");
    let stderr = wait_for(&stderr, "stderr");
    // Both pipes are closed: the example has exited or is about to.
    let status = child.wait().expect("wait for the example");
    killer.armed = false;
    Run {
        stdout,
        stderr,
        status,
        pgid,
    }
}
