//! Runs the examples built on `ProcessPoolExecutor` (`primes_proc_pool`,
//! `crypto_futures`, `process_pool_tour`) and checks their output.
#![cfg(unix)]

mod example_runs;

use example_runs::primes::{check_results, check_seconds, BOOK, QUICK};
use example_runs::{group_alive, run_example, Run};

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Checks `primes_proc_pool`'s output: header, results in descending order (`map`
/// keeps the submission order), `Total time: 0.53s`.
fn check_proc_pool_run(run: &Run, workers: usize, expected: &[(u64, bool)]) {
    let lines = run.lines();
    assert_eq!(lines.len(), 22, "{}", run.stdout);
    assert_eq!(
        lines[0],
        format!("Checking 20 numbers with {workers} processes:")
    );
    let mut descending = expected.to_vec();
    descending.sort_unstable_by(|a, b| b.cmp(a));
    check_results(&lines[1..21], &descending, true);
    let time = lines[21].strip_prefix("Total time: ").expect("the footer");
    check_seconds(time, 4, 2);
    assert!(!group_alive(run.pgid), "worker processes left behind");
}

#[test]
fn proc_pool_checks_the_books_numbers_with_two_processes() {
    let run = run_example("primes_proc_pool", &["2"]);
    check_proc_pool_run(&run, 2, &BOOK);
}

#[test]
fn proc_pool_quick_with_one_and_default_processes() {
    let run = run_example("primes_proc_pool", &["1", "--quick"]);
    check_proc_pool_run(&run, 1, &QUICK);
    let run = run_example("primes_proc_pool", &["--quick"]);
    check_proc_pool_run(&run, cpus(), &QUICK);
}

/// Checks the `2 workers, elapsed time: 6.45s` footer and returns the 12 job lines.
fn crypto_lines(run: &Run, workers: usize) -> Vec<&str> {
    let lines = run.lines();
    assert_eq!(lines.len(), 13, "{}", run.stdout);
    let prefix = format!("{workers} workers, elapsed time: ");
    let time = lines[12].strip_prefix(&prefix).expect("the footer");
    check_seconds(time, 4, 2);
    assert!(!group_alive(run.pgid), "worker processes left behind");
    lines[..12].to_vec()
}

#[test]
fn crypto_futures_arcfour_reports_every_size() {
    let run = run_example("crypto_futures", &["--algo", "arcfour", "2"]);
    let mut sizes = crypto_lines(&run, 2);
    sizes.sort_unstable(); // as_completed: any order
    let mut expected = [
        "384.0 KB", "362.7 KB", "341.3 KB", "320.0 KB", "298.7 KB", "277.3 KB", "256.0 KB",
        "234.7 KB", "213.3 KB", "192.0 KB", "170.7 KB", "149.3 KB",
    ];
    expected.sort_unstable();
    assert_eq!(sizes, expected);
}

#[test]
fn crypto_futures_sha_prints_twelve_digests() {
    let run = run_example("crypto_futures", &["--algo", "sha"]);
    let mut digests = crypto_lines(&run, cpus());
    for digest in &digests {
        assert_eq!(digest.len(), 64, "{digest:?}");
        assert!(digest
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    }
    digests.sort_unstable();
    digests.dedup();
    assert_eq!(digests.len(), 12, "random data, distinct digests");
}

#[test]
fn crypto_futures_table_has_four_rows() {
    let run = run_example("crypto_futures", &["--algo", "sha", "--table"]);
    let lines = run.lines();
    assert_eq!(lines.len(), 5, "{}", run.stdout);
    assert_eq!(lines[0], "Workers  Run time  Speed-up");
    for (workers, row) in (1..=4).zip(&lines[1..]) {
        let fields: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(fields.len(), 3, "{row:?}");
        assert_eq!(fields[0], workers.to_string());
        check_seconds(fields[1], 5, 3);
        let speed_up = fields[2].strip_suffix('x').expect("a speed-up like 1.00x");
        assert!(speed_up.parse::<f64>().unwrap() > 0.0, "{row:?}");
    }
    assert!(lines[1].ends_with(" 1.00x"), "{:?}", lines[1]);
    assert!(!group_alive(run.pgid), "worker processes left behind");
}

#[test]
fn process_pool_tour_reports_a_panic_and_a_crash_and_goes_on() {
    let run = run_example("process_pool_tour", &[]);
    let out = &run.stdout;
    assert!(out.contains("is_prime(5000111000222021) = true"), "{out}");
    assert!(out.contains("9592 primes below 100,000"), "{out}");
    assert!(
        out.contains(r#"parse_code("BR") -> Err(Panicked { message: "\"BR\" is not a number" })"#),
        "{out}"
    );
    assert!(out.contains(r#"parse_code("42") -> Ok(42)"#), "{out}");
    assert!(
        out.contains("died while running this task: exited with code 3"),
        "{out}"
    );
    assert_eq!(out.matches("   ok: ").count(), 4, "{out}");
    assert!(
        out.contains("the pool goes on: is_prime(7919) = true"),
        "{out}"
    );
    assert!(
        !run.stderr.contains("panicked"),
        "a worker printed its panic: {}",
        run.stderr
    );
    assert!(!group_alive(run.pgid), "worker processes left behind");
}
