//! Collapsing duplicate futures (Python's `set(fs)`), cheaply.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::Future;

/// Futures by address: a future's address is what its waiter is told when it is done.
pub(super) type IndexByAddress = HashMap<usize, usize, BuildHasherDefault<AddressHasher>>;

/// The futures in first-seen order, each once, and each one's index by its address.
pub(super) fn unique_futures<'a, T: 'a>(
    futures: impl IntoIterator<Item = &'a Future<T>>,
) -> (Vec<Future<T>>, IndexByAddress) {
    let futures = futures.into_iter();
    let mut index =
        IndexByAddress::with_capacity_and_hasher(futures.size_hint().0, Default::default());
    let mut unique = Vec::with_capacity(futures.size_hint().0);
    for future in futures {
        if let Entry::Vacant(slot) = index.entry(future.address()) {
            slot.insert(unique.len());
            unique.push(future.clone());
        }
    }
    (unique, index)
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
        let (unique, index) = unique_futures([&a, &b, &a, &b.clone(), &a]);
        assert_eq!(unique, vec![a.clone(), b.clone()]);
        assert_eq!((index[&a.address()], index[&b.address()]), (0, 1));
    }
}
