//! The wire protocol between the pool (parent) and one worker process.
//!
//! Each worker has its own pair of anonymous pipes, inherited at spawn: one carries
//! [`ToWorker`] messages, the other [`ToParent`] messages. Nothing is shared between
//! workers, so a worker dying mid-write can garble only its own pipe, which dies with it.
//!
//! A frame is a 4-byte little-endian length, then that many bytes of a postcard-encoded
//! message. Lengths are checked against [`MAX_FRAME`] before anything is allocated, and
//! a frame that does not decode is an error value: the peer is treated as broken, never
//! trusted.
//!
//! ```text
//! parent                                   worker
//!   |  (spawn: env names the two pipe fds)    |
//!   |  <──────────── Hello { pid, layout } ── |
//!   |  ── Welcome { key, initializer, .. } ─> |
//!   |  <──────────────── Ready | InitFailed ── |
//!   |  ── Task { id, entry, arg } ──────────> |
//!   |  <─────────────────── Started { id } ── |   (before the argument is decoded)
//!   |  <───────── Finished { id, outcome } ── |
//!   |  ...                                     |
//!   |  (parent closes its pipe: EOF) ───────> |   exits 0
//! ```

use std::io::{self, Read};

use serde::{Deserialize, Serialize};

use super::entry::Entry;
use super::outcome::Outcome;

/// The environment variable that tells a process it is a worker, and names its two
/// pipes' descriptors: "<task fd>:<result fd>".
pub(crate) const WORKER_ENV: &str = "__CONCURRENT_FUTURES_WORKER";

/// The argument a worker is started with. Inside a test binary that lacks
/// `init_before_main!`, libtest reads it as a filter that matches no test, so the
/// process exits at once instead of running the test suite again (which would start
/// pools, which would start workers...).
pub(crate) const WORKER_ARG: &str = "__concurrent_futures_worker_process__";

/// How much one read of a pipe takes at most.
pub(crate) const READ_SIZE: usize = 64 * 1024;

/// Version of this protocol; a worker built from another version is refused.
pub(crate) const PROTOCOL_VERSION: u32 = 1;

/// The largest frame either side accepts: 1 GiB. Larger arguments or results are
/// refused with `Error::Serialization` before they are sent.
pub(crate) const MAX_FRAME: usize = 1 << 30;

/// Messages from the pool to a worker.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub(crate) enum ToWorker {
    /// Answer to `Hello`: how to check entry points, and what to do before serving.
    Welcome {
        /// Keys the tags of every [`Entry`] this pool sends (see `wire/entry.rs`).
        key: u64,
        /// Runs once before the first task; a panic is reported as `InitFailed`.
        initializer: Option<Initializer>,
    },
    /// Run `entry` on the postcard-encoded `arg`.
    Task { id: u64, entry: Entry, arg: Vec<u8> },
}

/// What a worker runs once before its first task.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) enum Initializer {
    /// A plain `fn()`.
    Plain(Entry),
    /// A function of one argument (Python's `initargs`): a task trampoline, run on the
    /// postcard-encoded argument; what it returns is `()`.
    WithArg { entry: Entry, arg: Vec<u8> },
}

/// Messages from a worker to the pool.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub(crate) enum ToParent {
    /// First message: who the worker is and whether it is the same build.
    Hello { pid: u32, version: u32, layout: u64 },
    /// The initializer ran (or there was none); tasks may come.
    Ready,
    /// The initializer panicked; the worker exits after sending this.
    InitFailed { message: String },
    /// The worker has taken task `id` and is about to decode its argument and run it.
    Started { id: u64 },
    /// Task `id` ended.
    Finished { id: u64, outcome: Outcome },
}

/// Why a frame could not be read.
#[derive(Debug, PartialEq)]
pub(crate) enum FrameError {
    /// The announced length is over [`MAX_FRAME`].
    TooLong(usize),
    /// The bytes are not a message of the expected type.
    Garbled(String),
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::TooLong(len) => {
                write!(f, "a frame of {len} bytes is over the limit of {MAX_FRAME}")
            }
            FrameError::Garbled(why) => write!(f, "a frame did not decode: {why}"),
        }
    }
}

/// Appends one framed message to `out`.
pub(crate) fn encode_frame<M: Serialize>(message: &M, out: &mut Vec<u8>) -> Result<(), String> {
    let body = postcard::to_allocvec(message).map_err(|e| e.to_string())?;
    if body.len() > MAX_FRAME {
        return Err(format!(
            "a message of {} bytes is over the limit of {MAX_FRAME}",
            body.len()
        ));
    }
    out.reserve(4 + body.len());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(())
}

/// Splits a byte stream into messages; bytes may arrive in any pieces.
///
/// `buffer[start..end]` holds the bytes received and not yet decoded; the rest of
/// `buffer` is already-initialised room to `read` into, so that a read costs no
/// zeroing (a 64 KiB `memset` per read was a measurable part of a round trip).
#[derive(Default)]
pub(crate) struct FrameDecoder {
    buffer: Vec<u8>,
    /// Where the next unread frame starts in `buffer`.
    start: usize,
    /// Where the received bytes end in `buffer`.
    end: usize,
}

/// A buffer grown this large for one big frame is given back once it is empty.
const KEPT_CAPACITY: usize = 1 << 20;

impl FrameDecoder {
    pub(crate) fn new() -> FrameDecoder {
        FrameDecoder::default()
    }

    /// Adds bytes (the tests feed bytes in odd pieces through this).
    #[cfg(test)]
    pub(crate) fn extend(&mut self, bytes: &[u8]) {
        let spare = self.spare(bytes.len());
        spare[..bytes.len()].copy_from_slice(bytes);
        self.commit(bytes.len());
    }

    /// A buffer to `read` into directly, of at least `min` bytes; pass the count read
    /// to [`commit`](FrameDecoder::commit).
    pub(crate) fn spare(&mut self, min: usize) -> &mut [u8] {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if self.buffer.len() > KEPT_CAPACITY {
                self.buffer = Vec::new();
            }
        } else if self.start > 0 && self.buffer.len() - self.end < min {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buffer.len() - self.end < min {
            // Zeroed once, when the buffer grows; reused without zeroing after that.
            self.buffer.resize(self.end + min, 0);
        }
        &mut self.buffer[self.end..]
    }

    /// After reading `read` bytes into [`spare`](FrameDecoder::spare)'s buffer.
    pub(crate) fn commit(&mut self, read: usize) {
        self.end = (self.end + read).min(self.buffer.len());
    }

    /// The next complete message, `Ok(None)` if more bytes are needed.
    pub(crate) fn next_message<M: for<'de> Deserialize<'de>>(
        &mut self,
    ) -> Result<Option<M>, FrameError> {
        let available = &self.buffer[self.start..self.end];
        if available.len() < 4 {
            return Ok(None);
        }
        let len = u32::from_le_bytes(available[..4].try_into().expect("4 bytes")) as usize;
        if len > MAX_FRAME {
            return Err(FrameError::TooLong(len));
        }
        if available.len() < 4 + len {
            return Ok(None);
        }
        let message = postcard::from_bytes(&available[4..4 + len])
            .map_err(|e| FrameError::Garbled(e.to_string()))?;
        self.start += 4 + len;
        if self.start == self.end {
            // Everything read is decoded: start over at the front, and give back a
            // buffer that grew for one big frame (not kept while its task runs).
            self.start = 0;
            self.end = 0;
            if self.buffer.len() > KEPT_CAPACITY {
                self.buffer = Vec::new();
            }
        }
        Ok(Some(message))
    }

    /// `true` if bytes of an incomplete frame are waiting.
    pub(crate) fn has_partial_frame(&self) -> bool {
        self.start < self.end
    }

    /// One `read` of up to [`READ_SIZE`] bytes from `source` into the buffer, retried
    /// if a signal interrupts it: the count read, 0 at the end of the stream.
    pub(crate) fn read_from(&mut self, mut source: impl Read) -> io::Result<usize> {
        let spare = self.spare(READ_SIZE);
        let read = loop {
            match source.read(spare) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        self.commit(read);
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_in_any_pieces() {
        let mut bytes = Vec::new();
        encode_frame(&ToParent::Started { id: 7 }, &mut bytes).unwrap();
        let outcome = Outcome::Returned(vec![1, 2, 3]);
        encode_frame(&ToParent::Finished { id: 7, outcome }, &mut bytes).unwrap();

        let mut decoder = FrameDecoder::new();
        let mut got = Vec::new();
        for byte in &bytes {
            decoder.extend(std::slice::from_ref(byte));
            while let Some(message) = decoder.next_message::<ToParent>().unwrap() {
                got.push(message);
            }
        }
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], ToParent::Started { id: 7 });
        assert!(!decoder.has_partial_frame());
    }

    #[test]
    fn an_oversized_length_is_refused_before_allocating() {
        let mut decoder = FrameDecoder::new();
        decoder.extend(&u32::MAX.to_le_bytes());
        assert_eq!(
            decoder.next_message::<ToParent>(),
            Err(FrameError::TooLong(u32::MAX as usize))
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_crash() {
        let mut decoder = FrameDecoder::new();
        decoder.extend(&[5, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(
            decoder.next_message::<ToParent>(),
            Err(FrameError::Garbled(_))
        ));
    }

    #[test]
    fn reading_into_spare_space_works() {
        let mut bytes = Vec::new();
        encode_frame(&ToParent::Ready, &mut bytes).unwrap();
        let mut decoder = FrameDecoder::new();
        let spare = decoder.spare(64);
        spare[..bytes.len()].copy_from_slice(&bytes);
        decoder.commit(bytes.len());
        assert_eq!(
            decoder.next_message::<ToParent>(),
            Ok(Some(ToParent::Ready))
        );
        assert_eq!(decoder.next_message::<ToParent>(), Ok(None));
    }

    /// The room behind the received bytes is reused read after read: a partial frame
    /// is moved to the front when the room runs short, and never lost or doubled.
    #[test]
    fn reused_room_keeps_partial_frames_whole() {
        let mut stream = Vec::new();
        for id in 0..1_000 {
            encode_frame(&ToParent::Started { id }, &mut stream).unwrap();
        }
        let mut decoder = FrameDecoder::new();
        let mut next_id = 0;
        // Odd read sizes into a small room, so frames straddle reads and compactions.
        for piece in stream.chunks(7) {
            let room = decoder.spare(16);
            assert!(room.len() >= 16);
            room[..piece.len()].copy_from_slice(piece);
            decoder.commit(piece.len());
            while let Some(message) = decoder.next_message::<ToParent>().unwrap() {
                assert_eq!(message, ToParent::Started { id: next_id });
                next_id += 1;
            }
        }
        assert_eq!(next_id, 1_000);
        assert!(!decoder.has_partial_frame());
        assert!(
            decoder.buffer.len() < 64,
            "the room did not grow with the stream"
        );
    }

    #[test]
    fn a_buffer_grown_for_a_big_frame_is_given_back() {
        let mut bytes = Vec::new();
        let outcome = Outcome::Returned(vec![7; 2 * KEPT_CAPACITY]);
        encode_frame(&ToParent::Finished { id: 1, outcome }, &mut bytes).unwrap();
        let mut decoder = FrameDecoder::new();
        decoder.extend(&bytes);
        assert!(matches!(
            decoder.next_message::<ToParent>(),
            Ok(Some(ToParent::Finished { id: 1, .. }))
        ));
        assert!(decoder.buffer.capacity() < KEPT_CAPACITY);
    }
}
