//! A process pool's initializer that takes an argument (Python's `initargs`): it runs
//! in every worker with the argument sent over, a panic in it breaks the pool, and an
//! argument that cannot be encoded is refused by `build`.
#![cfg(target_os = "linux")]

mod processes;

use std::sync::atomic::{AtomicU64, Ordering};

use concurrent_futures::{Error, ProcessPoolExecutor};
use processes::{with_deadline, PATIENCE};
use serde::{Serialize, Serializer};

concurrent_futures::init_before_main!();

/// Set by the initializer, in each worker process.
static SCALE: AtomicU64 = AtomicU64::new(1);

fn set_scale(scale: u64) {
    SCALE.store(scale, Ordering::SeqCst);
}

fn scaled(n: u64) -> u64 {
    n * SCALE.load(Ordering::SeqCst)
}

fn refuse_scale(scale: u64) {
    panic!("no scale {scale} for you");
}

#[test]
fn the_initializer_gets_its_argument_in_every_worker() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::builder()
            .max_workers(2)
            .initializer_with(set_scale, 7)
            .build()
            .unwrap();
        let results: Vec<u64> = pool
            .map(scaled, 1..=20_u64)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(results, (1..=20).map(|n| n * 7).collect::<Vec<_>>());
        assert_eq!(
            SCALE.load(Ordering::SeqCst),
            1,
            "it ran in the workers, not here"
        );
    });
}

#[test]
fn a_panicking_initializer_with_an_argument_breaks_the_pool() {
    with_deadline(|| {
        let pool = ProcessPoolExecutor::builder()
            .max_workers(1)
            .initializer_with(refuse_scale, 3)
            .build()
            .unwrap();
        let future = pool.submit(scaled, 2).unwrap();
        match future.result_timeout(PATIENCE) {
            Err(Error::BrokenExecutor { reason }) => {
                assert!(reason.contains("no scale 3 for you"), "{reason}")
            }
            other => panic!("expected BrokenExecutor, got {other:?}"),
        }
    });
}

/// Serializes to an error, whatever it is asked.
#[derive(serde::Deserialize)]
struct Unencodable;

impl Serialize for Unencodable {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("this value cannot be encoded"))
    }
}

fn takes_unencodable(_: Unencodable) {}

#[test]
fn an_argument_that_cannot_be_encoded_is_refused_by_build() {
    let built = ProcessPoolExecutor::builder()
        .initializer_with(takes_unencodable, Unencodable)
        .build();
    match built {
        Err(Error::Serialization(message)) => {
            assert!(message.contains("initializer's argument"), "{message}")
        }
        other => panic!("expected Error::Serialization, got {:?}", other.err()),
    }
}
