//! Runs the prime checkers and spinners (the built example binaries) and checks their
//! output: the header, one well-formed line per number with the right `P` labels, the
//! footer's shape, no processes left behind; the spinners' frames and last line.
//!
//! Trial division is as fast in a debug build as in a release one (it is all `u64`
//! division), so the book's numbers take about a second sequentially; the other runs
//! use `--quick`, 20 smaller numbers of the same kinds.
#![cfg(unix)]

mod example_runs;

use example_runs::primes::{check_results, check_seconds, BOOK, QUICK};
use example_runs::{group_alive, run_example, Run};

/// Checks a parallel checker's run: header, 20 results, `20 checks in 0.52s`.
fn check_parallel_run(run: &Run, header: &str, expected: &[(u64, bool)]) {
    let lines = run.lines();
    assert_eq!(lines.len(), 22, "{}", run.stdout);
    assert_eq!(lines[0], header);
    check_results(&lines[1..21], expected, false);
    let time = lines[21].strip_prefix("20 checks in ").expect("the footer");
    check_seconds(time, 4, 2);
    assert!(!group_alive(run.pgid), "processes left behind");
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[test]
fn sequential_checks_the_books_numbers_in_order() {
    let run = run_example("primes_sequential", &[]);
    let lines = run.lines();
    assert_eq!(lines.len(), 22, "{}", run.stdout);
    assert_eq!(lines[0], "Checking 20 numbers sequentially:");
    check_results(&lines[1..21], &BOOK, true);
    let time = lines[21].strip_prefix("Total time: ").expect("the footer");
    check_seconds(time, 4, 2);
}

#[test]
fn sequential_quick() {
    let run = run_example("primes_sequential", &["--quick"]);
    let lines = run.lines();
    assert_eq!(lines.len(), 22, "{}", run.stdout);
    assert_eq!(lines[0], "Checking 20 numbers sequentially:");
    check_results(&lines[1..21], &QUICK, true);
    assert!(lines[21].starts_with("Total time: "));
}

#[test]
fn threads_check_the_books_numbers_with_two_threads() {
    let run = run_example("primes_threads", &["2"]);
    check_parallel_run(&run, "Checking 20 numbers with 2 threads:", &BOOK);
}

#[test]
fn threads_quick_with_one_three_and_default_threads() {
    for workers in [1, 3] {
        let arg = workers.to_string();
        let run = run_example("primes_threads", &[&arg, "--quick"]);
        let header = format!("Checking 20 numbers with {workers} threads:");
        check_parallel_run(&run, &header, &QUICK);
    }
    let run = run_example("primes_threads", &["--quick"]);
    let header = format!("Checking 20 numbers with {} threads:", cpus());
    check_parallel_run(&run, &header, &QUICK);
}

#[test]
fn procs_check_the_books_numbers_with_two_processes() {
    let run = run_example("primes_procs", &["2"]);
    check_parallel_run(&run, "Checking 20 numbers with 2 processes:", &BOOK);
}

#[test]
fn procs_quick_with_one_five_and_default_processes() {
    for workers in [1, 5] {
        let arg = workers.to_string();
        let run = run_example("primes_procs", &[&arg, "--quick"]);
        let header = format!("Checking 20 numbers with {workers} processes:");
        check_parallel_run(&run, &header, &QUICK);
    }
    let run = run_example("primes_procs", &["--quick"]);
    let header = format!("Checking 20 numbers with {} processes:", cpus());
    check_parallel_run(&run, &header, &QUICK);
}

#[test]
fn zero_workers_is_a_usage_error() {
    for name in ["primes_threads", "primes_procs"] {
        let run = run_example(name, &["0", "--quick"]);
        assert_eq!(run.status.code(), Some(2), "{run:#?}");
        assert!(run.stderr.contains("invalid value '0'"), "{run:#?}");
        assert!(run.stdout.is_empty(), "{run:#?}");
    }
}

/// Checks a spinner's output: the spinner object first, then frames `\r{c} thinking!`
/// with `c` cycling through `\|/-`, the line blanked out, and `last_line`.
fn check_spinner(run: &Run, object: &str, last_line: &str) {
    assert!(run.status.success(), "{run:#?}");
    let (first, rest) = run.stdout.split_once('\n').expect("a first line");
    assert!(
        first.starts_with(&format!("spinner object: {object}")),
        "{first:?}"
    );
    let status_len = "\r| thinking!".len();
    let clear = format!("\r{}\r", " ".repeat(status_len));
    let (frames, end) = rest.split_once(&clear).expect("the blanked-out line");
    assert_eq!(end, format!("{last_line}\n"));
    let frames: Vec<&str> = frames.split('\r').skip(1).collect();
    assert!(!frames.is_empty(), "no frames: {:?}", run.stdout);
    for (i, frame) in frames.iter().enumerate() {
        let char = ['\\', '|', '/', '-'][i % 4];
        assert_eq!(*frame, format!("{char} thinking!"), "frame {i}");
    }
    assert!(!group_alive(run.pgid), "processes left behind");
}

#[test]
fn spinner_thread_spins_then_answers() {
    let run = run_example("spinner_thread", &[]);
    check_spinner(&run, "Thread {", "Answer: 42");
    // 3 s at 10 frames per second: many frames, even on a busy machine.
    assert!(
        run.stdout.matches("thinking!").count() >= 3,
        "{:?}",
        run.stdout
    );
}

#[test]
fn spinner_proc_spins_then_answers() {
    let run = run_example("spinner_proc", &[]);
    check_spinner(&run, "Child {", "Answer: 42");
    assert!(run.stdout.lines().next().unwrap().contains(", pid "));
    assert!(
        run.stdout.matches("thinking!").count() >= 3,
        "{:?}",
        run.stdout
    );
}

#[test]
fn spinner_prime_thread_checks_the_books_number() {
    let run = run_example("spinner_prime_thread", &[]);
    check_spinner(&run, "Thread {", "5,000,111,000,222,021 is prime");
    let run = run_example("spinner_prime_thread", &["--number", "4444444488888889"]);
    check_spinner(&run, "Thread {", "4,444,444,488,888,889 is not prime");
}

#[test]
fn spinner_prime_proc_checks_the_books_number() {
    let run = run_example("spinner_prime_proc", &[]);
    check_spinner(&run, "Child {", "5,000,111,000,222,021 is prime");
    let run = run_example("spinner_prime_proc", &["--number", "999"]);
    check_spinner(&run, "Child {", "999 is not prime");
}

#[test]
fn spinner_async_spins_then_answers() {
    let run = run_example("spinner_async", &[]);
    check_spinner(&run, "JoinHandle {", "Answer: 42");
    assert!(
        run.stdout.matches("thinking!").count() >= 3,
        "{:?}",
        run.stdout
    );
}

/// A spinner task that never ran: its object, then the answer, and nothing between.
fn check_spinner_never_ran(run: &Run, last_line: &str) {
    assert!(run.status.success(), "{run:#?}");
    let lines = run.lines();
    assert_eq!(lines.len(), 2, "{:?}", run.stdout);
    assert!(
        lines[0].starts_with("spinner object: JoinHandle {"),
        "{lines:?}"
    );
    assert_eq!(lines[1], last_line);
}

#[test]
fn spinner_async_experiment_blocks_the_spinner() {
    let run = run_example("spinner_async_experiment", &[]);
    check_spinner_never_ran(&run, "Answer: 42");
}

#[test]
fn spinner_prime_async_in_its_three_modes() {
    let prime = "5,000,111,000,222,021 is prime";
    let run = run_example("spinner_prime_async", &[]);
    check_spinner(&run, "JoinHandle {", prime);
    let run = run_example("spinner_prime_async", &["--mode", "broken"]);
    check_spinner_never_ran(&run, prime);
    let run = run_example("spinner_prime_async", &["--mode", "process"]);
    check_spinner(&run, "JoinHandle {", prime);
    let run = run_example(
        "spinner_prime_async",
        &["--mode", "process", "--number", "999"],
    );
    check_spinner(&run, "JoinHandle {", "999 is not prime");
}
