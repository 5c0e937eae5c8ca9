//! What every prime-checking example shares, kept in one place: the book's 20 numbers,
//! its trial-division `is_prime`, the timed `check` and the result line.
//!
//! Fluent Python keeps these in `primes.py` and imports them; here each example says
//! `mod primes_common;`. Every example uses only part of the module, hence the
//! `dead_code` allowance below (an unused item in one example is used by another).
#![allow(dead_code)]

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The book's numbers: 9 primes, 5 squares of large primes (as slow to check as
/// primes) and 6 composites that a small divisor rules out at once.
pub const NUMBERS: [u64; 20] = [
    2,
    142_702_110_479_723,
    299_593_572_317_531,
    3_333_333_333_333_301,
    3_333_333_333_333_333,
    3_333_335_652_092_209,
    4_444_444_444_444_423,
    4_444_444_444_444_444,
    4_444_444_488_888_889,
    5_555_553_133_149_889,
    5_555_555_555_555_503,
    5_555_555_555_555_555,
    6_666_666_666_666_666,
    6_666_666_666_666_719,
    6_666_667_141_414_921,
    7_777_777_536_340_681,
    7_777_777_777_777_753,
    7_777_777_777_777_777,
    9_999_999_999_999_917,
    9_999_999_999_999_999,
];

/// The `--quick` inputs: the same 20 kinds of numbers, four digits shorter (primes at
/// the same places, squares of primes where `NUMBERS` has squares, the same repdigits),
/// so a debug build checks them all in a blink. Only the tests need them.
pub const QUICK_NUMBERS: [u64; 20] = [
    2,
    14_270_210_959,
    29_959_357_229,
    333_333_333_323,
    333_333_333_333,
    333_331_867_801, // 577_349²
    444_444_444_443,
    444_444_444_444,
    444_420_889_201, // 666_649²
    555_536_187_649, // 745_343²
    555_555_555_551,
    555_555_555_555,
    666_666_666_666,
    666_666_666_619,
    666_621_627_961, // 816_469²
    777_777_594_889, // 881_917²
    777_777_777_773,
    777_777_777_777,
    999_999_999_989,
    999_999_999_999,
];

/// The `--quick` flag, shared by the prime checkers' command lines.
#[derive(clap::Args, Debug)]
pub struct Inputs {
    /// Check 20 smaller numbers of the same kinds (12 digits at most) instead of the
    /// book's 16-digit ones: the same output shape in a fraction of the time.
    #[arg(long)]
    pub quick: bool,
}

impl Inputs {
    /// The numbers to check: [`NUMBERS`], or [`QUICK_NUMBERS`] with `--quick`.
    pub fn numbers(&self) -> &'static [u64] {
        if self.quick {
            &QUICK_NUMBERS
        } else {
            &NUMBERS
        }
    }
}

/// The book's `is_prime`: trial division by 2, then by the odd numbers up to √n.
pub fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    if n == 2 {
        return true;
    }
    if n.is_multiple_of(2) {
        return false;
    }
    let root = isqrt(n);
    let mut i = 3;
    while i <= root {
        if n.is_multiple_of(i) {
            return false;
        }
        i += 2;
    }
    true
}

/// ⌊√n⌋, like Python's `math.isqrt` (`u64::isqrt` needs Rust 1.84; the crate
/// supports 1.80).
pub fn isqrt(n: u64) -> u64 {
    let mut root = (n as f64).sqrt() as u64;
    while u128::from(root) * u128::from(root) > u128::from(n) {
        root -= 1;
    }
    while u128::from(root + 1) * u128::from(root + 1) <= u128::from(n) {
        root += 1;
    }
    root
}

/// One checked number: the book's `PrimeResult(n, prime, elapsed)` named tuple.
///
/// Serializable, so that a process pool can send it back to the parent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PrimeResult {
    /// The number checked (0 marks a worker's end in the hand-made pools).
    pub n: u64,
    /// Whether it is prime.
    pub prime: bool,
    /// How long `is_prime(n)` took.
    pub elapsed: Duration,
}

impl PrimeResult {
    /// The result line: `{n:16}  {P or space} {elapsed:9.6}s`.
    pub fn line(&self) -> String {
        let label = if self.prime { 'P' } else { ' ' };
        format!("{:16}  {label} {:9.6}s", self.n, self.elapsed.as_secs_f64())
    }
}

/// Checks `n` and times it (the book's `check`).
pub fn check(n: u64) -> PrimeResult {
    let t0 = Instant::now();
    let prime = is_prime(n);
    PrimeResult {
        n,
        prime,
        elapsed: t0.elapsed(),
    }
}

/// The number of CPUs this process may use (Python's `os.cpu_count()`), at least 1.
pub fn cpu_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `n` with thousands separators, like Python's `f'{n:,}'`.
pub fn with_commas(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
