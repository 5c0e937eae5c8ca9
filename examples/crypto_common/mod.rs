//! The work of `crypto_futures` (Fluent Python 1st ed., ch. 17, "Experimenting with
//! Executor.map... CPU-bound work"): the book's `arcfour.py` and the jobs of
//! `arcfour_futures.py` and `sha_futures.py`, kept apart from the example so that
//! `tests/crypto_vectors.rs` can check them against the RC4 test vectors.
#![allow(dead_code)] // the tests use part of it, the example another part

use sha2::{Digest, Sha256};

/// How many jobs each benchmark submits.
pub const JOBS: usize = 12;
/// The middle arcfour job size: 256 KiB (the book's `SIZE = 2**18`).
pub const ARCFOUR_SIZE: usize = 1 << 18;
/// The size of each SHA-256 job: 1 MiB (the book's `SIZE = 2**20`).
pub const SHA_SIZE: usize = 1 << 20;
/// The book's key.
pub const KEY: &[u8] = b"'Twas brillig, and the slithy toves\nDid gyre";
/// Key-mixing loops: 20, as CipherSaber-2 recommends (plain RC4 does 1).
pub const LOOPS: usize = 20;

/// An RC4-compatible cipher, the book's `arcfour(key, in_bytes, loops=20)`: encrypts
/// and decrypts (the same operation). `loops = 1` is standard RC4.
///
/// As in the book, the key is repeated to fill the 256-byte key box; a key longer than
/// 256 bytes is cut to 256 (Python would raise `IndexError`).
pub fn arcfour(key: &[u8], in_bytes: &[u8], loops: usize) -> Vec<u8> {
    // the key box: the key, repeated until full
    let mut kbox = [0_u8; 256];
    if !key.is_empty() {
        for (i, slot) in kbox.iter_mut().enumerate() {
            *slot = key[i % key.len()];
        }
    }

    // [1] initialize the S-box
    let mut sbox = [0_u8; 256];
    for (i, slot) in sbox.iter_mut().enumerate() {
        *slot = i as u8;
    }

    // repeat the S-box mixing loop, as recommended in CipherSaber-2
    let mut j: u8 = 0;
    for _ in 0..loops {
        for i in 0..256 {
            j = j.wrapping_add(sbox[i]).wrapping_add(kbox[i]);
            sbox.swap(i, usize::from(j));
        }
    }

    // the main loop
    let mut i: u8 = 0;
    let mut j: u8 = 0;
    in_bytes
        .iter()
        .map(|&car| {
            i = i.wrapping_add(1);
            // [2] shuffle the S-box
            j = j.wrapping_add(sbox[usize::from(i)]);
            sbox.swap(usize::from(i), usize::from(j));
            // [3] compute t
            let t = sbox[usize::from(i)].wrapping_add(sbox[usize::from(j)]);
            car ^ sbox[usize::from(t)]
        })
        .collect()
}

/// The 12 arcfour job sizes, largest first: `SIZE + int(SIZE / JOBS * (i - JOBS/2))`
/// for `i` from 12 down to 1, i.e. 393216, 371370, ... 152918 bytes.
pub fn arcfour_sizes() -> Vec<usize> {
    (1..=JOBS)
        .rev()
        .map(|i| {
            let offset = ARCFOUR_SIZE as f64 / JOBS as f64 * (i as f64 - JOBS as f64 / 2.0);
            // Python's int() truncates towards zero, as `as` does
            (ARCFOUR_SIZE as i64 + offset as i64) as usize
        })
        .collect()
}

/// One arcfour job (the book's `arcfour_test(size, key)`): encrypts `size` random
/// bytes, decrypts them and checks the round trip; returns `size`.
///
/// Panics if the round trip fails (Python's `assert`); in a pool, that panic comes back
/// as the job's error.
pub fn arcfour_test((size, key): (usize, Vec<u8>)) -> usize {
    let in_text = random_bytes(size);
    let cypher_text = arcfour(&key, &in_text, LOOPS);
    let out_text = arcfour(&key, &cypher_text, LOOPS);
    assert!(in_text == out_text, "Failed arcfour_test");
    size
}

/// One SHA-256 job (the book's `sha(size)`): the hex digest of `size` random bytes.
pub fn sha(size: usize) -> String {
    sha256_hex(&random_bytes(size))
}

/// The SHA-256 digest of `data`, as lowercase hex (Python's `hexdigest()`).
pub fn sha256_hex(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

fn random_bytes(size: usize) -> Vec<u8> {
    let mut data = vec![0_u8; size];
    fastrand::fill(&mut data);
    data
}
