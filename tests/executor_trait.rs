//! One generic function, run on a thread pool and on a process pool through the
//! `Executor` trait (Python's `Executor` base class).

use concurrent_futures::{as_completed, Error, Executor, Future, MapOptions};
use concurrent_futures::{ProcessPoolExecutor, ThreadPoolExecutor};

concurrent_futures::init_before_main!();

fn check(n: u64) -> (u64, bool) {
    (
        n,
        n >= 2
            && (2..)
                .take_while(|d| d * d <= n)
                .all(|d| !n.is_multiple_of(d)),
    )
}

fn checks<E: Executor>(pool: &E, ns: Vec<u64>) -> Result<Vec<(u64, bool)>, Error> {
    pool.map(check, ns)?.collect()
}

fn submitted<E: Executor>(pool: &E) -> Vec<u64> {
    let futures: Vec<Future<u64>> = (1..=5)
        .map(|n| pool.submit(|n: u64| n * n, n).unwrap())
        .collect();
    let mut squares: Vec<u64> = as_completed(&futures)
        .map(|f| *f.result().unwrap())
        .collect();
    squares.sort_unstable();
    squares
}

fn chunked_sum<E: Executor>(pool: &E) -> u64 {
    let options = MapOptions::new().chunksize(7);
    pool.map_with(|n: u64| n + 1, 0..100, options)
        .unwrap()
        .map(Result::unwrap)
        .sum()
}

fn refuses_after_shutdown<E: Executor>(pool: &E) -> bool {
    pool.shutdown(true, false);
    pool.submit(|n: u64| n, 1).err() == Some(Error::Shutdown)
}

const PRIMES: [(u64, bool); 4] = [(2, true), (4, false), (7919, true), (7921, false)];

#[test]
fn the_same_generic_code_runs_on_threads_and_on_processes() {
    let threads = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let processes = ProcessPoolExecutor::with_max_workers(2).unwrap();
    let ns: Vec<u64> = PRIMES.iter().map(|&(n, _)| n).collect();
    assert_eq!(checks(&threads, ns.clone()).unwrap(), PRIMES);
    assert_eq!(checks(&processes, ns).unwrap(), PRIMES);
    assert_eq!(submitted(&threads), [1, 4, 9, 16, 25]);
    assert_eq!(submitted(&processes), [1, 4, 9, 16, 25]);
    assert_eq!(chunked_sum(&threads), 5050);
    assert_eq!(chunked_sum(&processes), 5050);
    assert_eq!(Executor::max_workers(&threads), 2);
    assert_eq!(Executor::max_workers(&processes), 2);
    assert!(refuses_after_shutdown(&threads));
    assert!(refuses_after_shutdown(&processes));
}

#[test]
fn the_inherent_calls_still_read_naturally() {
    // With the trait in scope, a thread pool still takes a closure of no argument.
    let threads = ThreadPoolExecutor::with_max_workers(1).unwrap();
    let offset = 40;
    assert_eq!(
        threads.submit(move || offset + 2).unwrap().result(),
        Ok(&42)
    );
    let processes = ProcessPoolExecutor::with_max_workers(1).unwrap();
    assert_eq!(
        processes.submit(|n: u64| n + 2, 40).unwrap().result(),
        Ok(&42)
    );
}
