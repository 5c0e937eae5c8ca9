//! The cipher and hash behind the `crypto_futures` example, checked without a process
//! pool: the RC4 test vectors of the book's `arcfour_test.py` (from the IETF draft
//! "A Stream Cipher Encryption Algorithm 'Arcfour'"), plus a few more.

#[path = "../examples/crypto_common/mod.rs"]
mod crypto_common;

use crypto_common::{arcfour, arcfour_sizes, arcfour_test, sha, sha256_hex, KEY, LOOPS};

/// Checks `arcfour(key, plain, loops=1)` both ways, as `arcfour_test.py` does.
fn check_vector(name: &str, key: &[u8], plain: &[u8], cipher: &[u8]) {
    assert_eq!(arcfour(key, plain, 1), cipher, "{name}: encryption");
    assert_eq!(arcfour(key, cipher, 1), plain, "{name}: decryption");
}

#[test]
fn cryptlib_vector() {
    check_vector(
        "CRYPTLIB",
        &[0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF],
        &[0x00; 8],
        &[0x74, 0x94, 0xC2, 0xE7, 0x10, 0x4B, 0x08, 0x79],
    );
}

#[test]
fn commerce_vector() {
    check_vector(
        "COMMERCE",
        &[0x61, 0x8a, 0x63, 0xd2, 0xfb],
        &[0xdc, 0xee, 0x4c, 0xf9, 0x2c],
        &[0xf1, 0x38, 0x29, 0xc9, 0xde],
    );
}

#[test]
fn well_known_text_vectors() {
    check_vector(
        "Key",
        b"Key",
        b"Plaintext",
        &[0xbb, 0xf3, 0x16, 0xe8, 0xd9, 0x40, 0xaf, 0x0a, 0xd3],
    );
    check_vector("Wiki", b"Wiki", b"pedia", &[0x10, 0x21, 0xbf, 0x04, 0x20]);
    check_vector(
        "Secret",
        b"Secret",
        b"Attack at dawn",
        &[
            0x45, 0xa0, 0x1f, 0x64, 0x5f, 0xc3, 0x5b, 0x38, 0x35, 0x52, 0x54, 0x4b, 0x9b, 0xf5,
        ],
    );
}

#[test]
fn twenty_loops_round_trip_and_differ_from_plain_rc4() {
    let clear = b"1234567890".repeat(1000);
    let cipher = arcfour(KEY, &clear, LOOPS);
    assert_ne!(cipher, clear);
    assert_ne!(
        cipher,
        arcfour(KEY, &clear, 1),
        "the extra loops must change the key stream"
    );
    assert_eq!(arcfour(KEY, &cipher, LOOPS), clear);
    assert_eq!(arcfour_test((5000, KEY.to_vec())), 5000);
}

#[test]
fn job_sizes_are_the_books() {
    assert_eq!(
        arcfour_sizes(),
        [
            393216, 371370, 349525, 327680, 305834, 283989, 262144, 240299, 218454, 196608, 174763,
            152918
        ]
    );
}

#[test]
fn sha256_is_the_standard_one() {
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let digest = sha(1000);
    assert_eq!(digest.len(), 64);
    assert!(digest.bytes().all(|b| b.is_ascii_hexdigit()));
}
