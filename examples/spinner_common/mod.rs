//! The spinner shared by `spinner_thread`, `spinner_proc`, `spinner_prime_thread` and
//! `spinner_prime_proc`: the book's `spin(msg, done)`, and what a spinner *process*
//! needs to run it. The async spinners' coroutine is in [`spin_async`].
//!
//! Python's `done` is an `Event`; `done.wait(.1)` sleeps up to 0.1 s and says whether
//! the event was set. In Rust the event is a channel that nobody ever sends on:
//! `recv_timeout` waits up to 0.1 s, and dropping the sender (the supervisor's
//! `done.set()`) wakes the spinner at once with `Disconnected`.
#![allow(dead_code)] // the thread examples do not use the process half

pub mod spin_async;

use std::io::{self, Read, Write};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::thread;
use std::time::Duration;

/// Set in the environment of a spinner process, with the message to show as value.
pub const SPINNER_ENV: &str = "SPINNER_PROC_MESSAGE";

/// Shows `\|/-` then `msg`, one frame every 0.1 s, until `done` is set; then blanks
/// the line out and puts the cursor back at its start.
pub fn spin(msg: &str, done: &Receiver<()>) {
    let mut status = String::new();
    for char in r"\|/-".chars().cycle() {
        status = format!("\r{char} {msg}");
        print!("{status}");
        io::stdout().flush().expect("stdout");
        match done.recv_timeout(Duration::from_millis(100)) {
            Err(RecvTimeoutError::Timeout) => continue,
            Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    let blanks = " ".repeat(status.len());
    print!("\r{blanks}\r");
    io::stdout().flush().expect("stdout");
}

/// The body of a spinner process (the book's `Process(target=spin, ...)`).
///
/// Its stdin is a pipe from the supervisor and plays two parts. The first byte is
/// `spinner.start()`: `Command::spawn` starts a process at once, so the spinner waits
/// for this byte to let the supervisor print the spinner object first, as the book
/// does. The end of the pipe, when the supervisor closes it, is `done.set()` (it also
/// comes if the supervisor dies, so a spinner is never left spinning).
pub fn spin_in_child(msg: &str) -> io::Result<()> {
    let mut stdin = io::stdin().lock();
    let mut start = [0_u8; 1];
    if stdin.read(&mut start)? == 0 {
        return Ok(()); // closed before start: nothing to do
    }
    drop(stdin);
    // `Receiver::recv_timeout` cannot watch a pipe, so a thread watches it and turns
    // its end into the channel's disconnection.
    let (set_on_drop, done) = channel::<()>();
    thread::spawn(move || {
        let _ = io::copy(&mut io::stdin(), &mut io::sink());
        drop(set_on_drop);
    });
    spin(msg, &done);
    Ok(())
}

/// The book's thread `supervisor()`: starts the spinner thread, prints it, runs `work`
/// in this thread, then sets `done` and joins the spinner.
pub fn supervise_with_spinner_thread<T>(work: impl FnOnce() -> T) -> T {
    let (done, done_rx) = channel::<()>();
    let mut stdout = io::stdout().lock(); // the spinner cannot print before we release it
    let spinner = thread::Builder::new()
        .name("spinner".into())
        .spawn(move || spin("thinking!", &done_rx))
        .expect("spawn the spinner thread");
    writeln!(stdout, "spinner object: {:?}", spinner.thread()).expect("stdout");
    drop(stdout); // the book's spinner.start()
    let result = work();
    drop(done); // done.set()
    spinner.join().expect("the spinner thread panicked");
    result
}

/// The book's process `supervisor()`: starts this program again as the spinner
/// process, prints it, runs `work` here, then sets `done` (closes the spinner's stdin)
/// and waits for the spinner.
pub fn supervise_with_spinner_process<T>(work: impl FnOnce() -> T) -> io::Result<T> {
    let mut spinner = std::process::Command::new(std::env::current_exe()?)
        .env(SPINNER_ENV, "thinking!")
        .stdin(std::process::Stdio::piped())
        .spawn()?;
    println!("spinner object: {spinner:?}, pid {}", spinner.id());
    let mut done = spinner.stdin.take().expect("the spinner's stdin is piped");
    done.write_all(b"s")?; // spinner.start()
    let result = work();
    drop(done); // done.set()
    let status = spinner.wait()?; // spinner.join()
    if !status.success() {
        return Err(io::Error::other(format!("the spinner failed: {status}")));
    }
    Ok(result)
}
