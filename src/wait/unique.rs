//! Collapsing duplicate futures (Python's `set(fs)`), cheaply.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use crate::Future;

/// The futures in first-seen order, each once.
pub(super) fn unique_futures<'a, T: 'a>(
    futures: impl IntoIterator<Item = &'a Future<T>>,
) -> Vec<Future<T>> {
    let futures = futures.into_iter();
    let mut seen: HashSet<usize, BuildHasherDefault<AddressHasher>> =
        HashSet::with_capacity_and_hasher(futures.size_hint().0, Default::default());
    let mut unique = Vec::with_capacity(futures.size_hint().0);
    for future in futures {
        if seen.insert(future.address()) {
            unique.push(future.clone());
        }
    }
    unique
}

/// Like [`unique_futures`], with the futures done now first (each part in first-seen
/// order), and how many those are. Looked at in the same pass as the duplicate
/// check, while each future's cell is in the cache anyway.
pub(super) fn unique_futures_done_first<'a, T: 'a>(
    futures: impl IntoIterator<Item = &'a Future<T>>,
) -> (Vec<Future<T>>, usize) {
    let futures = futures.into_iter();
    let mut seen: HashSet<usize, BuildHasherDefault<AddressHasher>> =
        HashSet::with_capacity_and_hasher(futures.size_hint().0, Default::default());
    let mut done = Vec::with_capacity(futures.size_hint().0);
    let mut pending = Vec::new();
    for future in futures {
        if seen.insert(future.address()) {
            if future.done() {
                done.push(future.clone());
            } else {
                pending.push(future.clone());
            }
        }
    }
    let done_count = done.len();
    done.append(&mut pending);
    (done, done_count)
}

/// Futures hash as their address, which is already unique: one multiply spreads the
/// bits, and 100,000 futures dedupe in well under a millisecond (SipHash would be
/// several times slower on the `as_completed` hot path).
#[derive(Default)]
pub(super) struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, address: usize) {
        self.0 = (address as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(26);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_ones_come_first_each_part_in_order() {
        let (a, b, c): (Future<u8>, Future<u8>, Future<u8>) =
            (Future::new(), Future::new(), Future::new());
        c.set_result(1).unwrap();
        a.set_result(2).unwrap();
        let (unique, done) = unique_futures_done_first([&b, &a, &c, &a, &b]);
        assert_eq!(unique, vec![a, c, b]);
        assert_eq!(done, 2);
    }

    #[test]
    fn duplicates_collapse_in_first_seen_order() {
        let a: Future<u8> = Future::new();
        let b: Future<u8> = Future::new();
        let unique = unique_futures([&a, &b, &a, &b.clone(), &a]);
        assert_eq!(unique, vec![a, b]);
    }
}
