//! A tour of `ProcessPoolExecutor`: submit, a chunked `map`, and what happens when a
//! task panics or its worker process dies outright. In Python one dead worker breaks
//! the whole pool (`BrokenProcessPool`); here only the task it was running fails, and a
//! new worker takes over.
//!
//! ```text
//! cargo run --example process_pool_tour
//! ```

use std::time::Instant;

use concurrent_futures::{as_completed, Error, Future, MapOptions, ProcessPoolExecutor};

fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    if n < 4 {
        return true;
    }
    if n.is_multiple_of(2) {
        return false;
    }
    let root = n.isqrt();
    (3..=root).step_by(2).all(|d| !n.is_multiple_of(d))
}

/// A task that fails the Rust way: it panics. The panic is caught in the worker, whose
/// process lives on.
fn parse_code(code: String) -> u32 {
    code.parse()
        .unwrap_or_else(|_| panic!("{code:?} is not a number"))
}

/// A task that takes its whole process down, as a crash in native code would.
fn crash(code: i32) -> u32 {
    std::process::exit(code)
}

fn worker_pid(_: ()) -> u32 {
    std::process::id()
}

fn main() -> Result<(), Error> {
    concurrent_futures::init(); // in a worker process, this serves tasks and exits

    let pool = ProcessPoolExecutor::with_max_workers(2)?;
    println!("{pool:?}");

    println!("\n1. submit: one function call in a worker process");
    let fut = pool.submit(is_prime, 5_000_111_000_222_021)?;
    println!(
        "   is_prime(5000111000222021) = {:?}  from {fut:?}",
        fut.result()?
    );

    println!("\n2. map with chunks: 100,000 numbers, 5,000 per message");
    let start = Instant::now();
    let options = MapOptions::new().chunksize(5_000);
    let primes = pool
        .map_with(is_prime, 0..100_000, options)?
        .filter(|r| *r == Ok(true))
        .count();
    println!(
        "   {primes} primes below 100,000, in {:.3}s",
        start.elapsed().as_secs_f64()
    );

    println!("\n3. a panicking task fails alone; its worker is reused");
    let before = *pool.submit(worker_pid, ())?.result()?;
    let bad = pool.submit(parse_code, "BR".to_string())?;
    let good = pool.submit(parse_code, "42".to_string())?;
    println!("   parse_code(\"BR\") -> {:?}", bad.result());
    println!("   parse_code(\"42\") -> {:?}", good.result());
    let after = *pool.submit(worker_pid, ())?.result()?;
    println!("   worker pids before and after: {before}, {after}");

    println!("\n4. a worker process dies mid-task: only that task fails");
    let mut futures: Vec<Future<u32>> = Vec::new();
    futures.push(pool.submit(crash, 3)?);
    futures.extend(
        (0..4)
            .map(|n| pool.submit(parse_code, n.to_string()))
            .collect::<Result<Vec<_>, _>>()?,
    );
    for fut in as_completed(&futures) {
        match fut.result() {
            Ok(n) => println!("   ok: {n}"),
            Err(error) => println!("   failed: {error}"),
        }
    }
    println!(
        "   the pool goes on: is_prime(7919) = {:?}",
        pool.submit(is_prime, 7919)?.result()?
    );
    println!("\n{pool:?}");
    Ok(())
}
