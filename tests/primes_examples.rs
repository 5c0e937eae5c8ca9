//! Runs the prime checkers and spinners (the built example binaries) and checks their
//! output: the header, one well-formed line per number with the right `P` labels, the
//! footer's shape, no processes left behind; the spinners' frames and last line.
//!
//! Trial division is as fast in a debug build as in a release one (it is all `u64`
//! division), so the book's numbers take about a second sequentially; the other runs
//! use `--quick`, 20 smaller numbers of the same kinds.
#![cfg(unix)]

mod common;

use common::{group_alive, run_example, Run};

/// The book's numbers and whether each is prime: the oracle, written out by hand.
const BOOK: [(u64, bool); 20] = [
    (2, true),
    (142702110479723, true),
    (299593572317531, true),
    (3333333333333301, true),
    (3333333333333333, false),
    (3333335652092209, false), // 57735301²
    (4444444444444423, true),
    (4444444444444444, false),
    (4444444488888889, false), // 66666667²
    (5555553133149889, false), // 74535583²
    (5555555555555503, true),
    (5555555555555555, false),
    (6666666666666666, false),
    (6666666666666719, true),
    (6666667141414921, false), // 81649661²
    (7777777536340681, false), // 88191709²
    (7777777777777753, true),
    (7777777777777777, false),
    (9999999999999917, true),
    (9999999999999999, false),
];

/// The `--quick` numbers.
const QUICK: [(u64, bool); 20] = [
    (2, true),
    (14270210959, true),
    (29959357229, true),
    (333333333323, true),
    (333333333333, false),
    (333331867801, false), // 577349²
    (444444444443, true),
    (444444444444, false),
    (444420889201, false), // 666649²
    (555536187649, false), // 745343²
    (555555555551, true),
    (555555555555, false),
    (666666666666, false),
    (666666666619, true),
    (666621627961, false), // 816469²
    (777777594889, false), // 881917²
    (777777777773, true),
    (777777777777, false),
    (999999999989, true),
    (999999999999, false),
];

/// Parses `{n:16}  {P or space} {elapsed:9.6}s` strictly.
fn parse_line(line: &str) -> (u64, bool) {
    assert_eq!(line.len(), 30, "not a result line: {line:?}");
    let n = line[..16]
        .trim_start()
        .parse()
        .expect("n, right-aligned in 16");
    assert_eq!(&line[16..18], "  ", "{line:?}");
    let prime = match &line[18..19] {
        "P" => true,
        " " => false,
        other => panic!("label {other:?} in {line:?}"),
    };
    assert_eq!(&line[19..20], " ", "{line:?}");
    check_seconds(&line[20..], 9, 6);
    (n, prime)
}

/// Checks that `text` is a time like `{:width.decimals}s`.
fn check_seconds(text: &str, width: usize, decimals: usize) {
    let number = text.strip_suffix('s').expect("ends with s");
    assert!(number.len() >= width, "{text:?} narrower than {width}");
    let (_, fraction) = number
        .trim_start()
        .split_once('.')
        .expect("a decimal point");
    assert_eq!(fraction.len(), decimals, "{text:?}");
    let seconds: f64 = number.trim_start().parse().expect("seconds");
    assert!(seconds >= 0.0);
}

/// Checks the 20 result lines, in list order if `ordered`, in any order otherwise.
fn check_results(lines: &[&str], expected: &[(u64, bool); 20], ordered: bool) {
    assert_eq!(lines.len(), 20, "{lines:#?}");
    let mut results: Vec<(u64, bool)> = lines.iter().map(|line| parse_line(line)).collect();
    let mut expected = expected.to_vec();
    if !ordered {
        results.sort_unstable();
        expected.sort_unstable();
    }
    assert_eq!(results, expected);
}

/// Checks a parallel checker's run: header, 20 results, `20 checks in 0.52s`.
fn check_parallel_run(run: &Run, header: &str, expected: &[(u64, bool); 20]) {
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
