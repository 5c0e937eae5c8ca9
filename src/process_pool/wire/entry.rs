//! Sending "which function to run" to a worker process.
//!
//! A worker is the same executable as the pool, re-executed, so every function sits at
//! the same offset from any other function in both processes; only the base address
//! differs (ASLR). A task's function is therefore sent as an [`Entry`]: the offset of a
//! monomorphised trampoline (`call_one::<F, A, R>` or `call_chunk::<F, A, R>`, in
//! `wire/trampoline.rs`) from an
//! anchor static of this crate, plus a tag.
//!
//! Turning a number back into a function pointer, and conjuring a zero-sized
//! function value, are the `unsafe` steps of the function transport. What makes it safe:
//! - the worker checks that it is the same build before anything else
//!   ([`layout_fingerprint`] in the `Hello`), so offsets mean the same thing;
//! - an offset is only acted on if its tag, a keyed hash of `(kind, offset)` under a
//!   random key the pool sent at the handshake, checks out. Garbage or corrupted frames
//!   fail the check (2^-64 odds) and become an error, never a jump;
//! - the frames come over an anonymous pipe that only the parent process holds the
//!   write end of: there is no socket or file through which another process could
//!   send one, and a process that could write to the pipe could as well ptrace us.
//!
//! The functions themselves are zero-sized (fn items and closures that capture
//! nothing), so "sending the function" sends no data: the worker conjures the value.

#![allow(unsafe_code)]

use std::hash::{DefaultHasher, Hash, Hasher};

use serde::{Deserialize, Serialize};

use super::outcome::TaskFn;
use crate::process_pool::sys;

/// A function pointer in transit: its offset from [`anchor`] and its tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry {
    kind: EntryKind,
    offset: i64,
    tag: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
enum EntryKind {
    /// `fn(&[u8]) -> Outcome`: one task, or one chunk of a `map`.
    Task,
    /// `fn()`: the pool's initializer.
    Initializer,
}

/// The reference point for offsets. A static, not a function: statics have exactly one
/// address in a program, while the optimiser may give a small function several copies
/// (one per codegen unit), which would make offsets disagree between call sites.
static ANCHOR: u8 = 0;

fn anchor() -> usize {
    &ANCHOR as *const u8 as usize
}

/// Identifies this build: the executable file's identity (device, inode, size, mtime).
/// Two processes agree only if they run the same file, so offsets mean the same in
/// both. (Workers exec `/proc/self/exe`, so on Linux this holds by construction; the
/// check guards the fallback to `current_exe()` and any future change.)
pub(crate) fn layout_fingerprint() -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut hasher = DefaultHasher::new();
    if let Ok(meta) = std::fs::metadata("/proc/self/exe") {
        (
            meta.dev(),
            meta.ino(),
            meta.size(),
            meta.mtime(),
            meta.mtime_nsec(),
        )
            .hash(&mut hasher);
    }
    hasher.finish()
}

fn tag(key: u64, kind: EntryKind, offset: i64) -> u64 {
    let mut hasher = DefaultHasher::new();
    (key, kind, offset, "concurrent-futures entry").hash(&mut hasher);
    hasher.finish()
}

fn offset_of(address: usize) -> i64 {
    (address as i64).wrapping_sub(anchor() as i64)
}

/// Offsets from [`ANCHOR`] mean the same in the worker only for code in the same
/// loaded object as `ANCHOR`: a shared library is loaded at its own random base. So a
/// function from another object (a Rust `dylib` or plugin) is refused.
fn offset_in_this_object(address: usize) -> Result<i64, String> {
    match (sys::object_base(address), sys::object_base(anchor())) {
        (Some(function), Some(this)) if function != this => Err(
            "the task's function lives in a shared library, not in the program: a worker \
             process could not find it at the same place"
                .into(),
        ),
        _ => Ok(offset_of(address)),
    }
}

impl Entry {
    /// The entry for a task trampoline, tagged under `key`.
    pub(crate) fn task(function: TaskFn, key: u64) -> Result<Entry, String> {
        Entry::new(EntryKind::Task, function as usize, key)
    }

    /// The entry for an initializer.
    pub(crate) fn initializer(function: fn(), key: u64) -> Result<Entry, String> {
        Entry::new(EntryKind::Initializer, function as usize, key)
    }

    fn new(kind: EntryKind, address: usize, key: u64) -> Result<Entry, String> {
        let offset = offset_in_this_object(address)?;
        Ok(Entry {
            kind,
            offset,
            tag: tag(key, kind, offset),
        })
    }

    fn check(&self, key: u64, kind: EntryKind) -> Result<usize, String> {
        if self.kind != kind || self.tag != tag(key, kind, self.offset) {
            return Err(
                "the task's entry point failed its check: the frame was not sent \
                        by this pool"
                    .into(),
            );
        }
        Ok((anchor() as i64).wrapping_add(self.offset) as usize)
    }

    /// The trampoline this entry names, if its tag checks out under `key`.
    pub(crate) fn resolve_task(&self, key: u64) -> Result<TaskFn, String> {
        let address = self.check(key, EntryKind::Task)?;
        // SAFETY: `check` proved that this entry was made by `Entry::task` in the pool
        // that sent us `key` (the tag is a keyed hash only that pool can compute, and
        // it reached us over a pipe only that pool can write), from a real `TaskFn`,
        // in a process whose code layout matches ours (checked at the handshake with
        // `layout_fingerprint`). So `address` is that same `TaskFn` in this process.
        Ok(unsafe { std::mem::transmute::<usize, TaskFn>(address) })
    }

    /// The initializer this entry names, if its tag checks out under `key`.
    pub(crate) fn resolve_initializer(&self, key: u64) -> Result<fn(), String> {
        let address = self.check(key, EntryKind::Initializer)?;
        // SAFETY: as in `resolve_task`: the tag proves this entry was made by
        // `Entry::initializer` from a real `fn()` of this same build.
        Ok(unsafe { std::mem::transmute::<usize, fn()>(address) })
    }
}

/// Fails to compile (at monomorphisation) for functions that carry data.
pub(crate) const fn assert_transportable<F>() {
    assert!(
        std::mem::size_of::<F>() == 0,
        "ProcessPoolExecutor runs plain `fn` items or closures that capture nothing: \
         a capturing closure's data cannot be sent to another process (pass it in the \
         argument instead)"
    );
}

/// The value of a zero-sized, `Copy` function type.
pub(crate) fn conjure<F: Copy>() -> F {
    const { assert_transportable::<F>() };
    // SAFETY: `F` is zero-sized (asserted at compile time above), so it has no bytes
    // that could be invalid, and it is `Copy`, so making one more value of it is what
    // copying the caller's value would do. fn items and non-capturing closures are
    // the only such callables on stable Rust.
    unsafe { std::mem::zeroed() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process_pool::wire::outcome::Outcome;
    use crate::process_pool::wire::trampoline::call_one;

    fn double(n: u64) -> u64 {
        n * 2
    }

    fn call_one_item() -> TaskFn {
        fn typed<F: Fn(u64) -> u64 + Copy>(_: F) -> TaskFn {
            call_one::<F, u64, u64>
        }
        typed(double)
    }

    #[test]
    fn an_entry_resolves_to_the_same_function() {
        let key = 0x1234_5678;
        let entry_item = Entry::task(call_one_item(), key).unwrap();
        let resolved = entry_item.resolve_task(key).unwrap();
        let outcome = resolved(&postcard::to_allocvec(&21_u64).unwrap());
        assert_eq!(
            outcome,
            Outcome::Returned(postcard::to_allocvec(&42_u64).unwrap())
        );
    }

    #[test]
    fn functions_from_shared_libraries_are_refused() {
        // `getpid` lives in the C library, loaded at its own random base.
        let in_libc = libc::getpid as *const () as usize;
        assert!(offset_in_this_object(in_libc).is_err());
        assert!(offset_in_this_object(call_one_item() as usize).is_ok());
    }

    #[test]
    fn a_forged_or_corrupted_entry_is_refused() {
        let key = 99;
        let entry = Entry::task(call_one_item(), key).unwrap();
        assert!(entry.resolve_task(key + 1).is_err(), "another pool's key");
        let mut shifted = entry;
        shifted.offset += 16;
        assert!(shifted.resolve_task(key).is_err(), "a moved offset");
        let as_initializer = Entry {
            kind: EntryKind::Initializer,
            ..entry
        };
        assert!(
            as_initializer.resolve_initializer(key).is_err(),
            "another kind"
        );
    }
}
