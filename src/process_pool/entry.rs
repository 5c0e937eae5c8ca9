//! Sending "which function to run" to a worker process.
//!
//! A worker is the same executable as the pool, re-executed, so every function sits at
//! the same offset from any other function in both processes; only the base address
//! differs (ASLR). A task's function is therefore sent as an [`Entry`]: the offset of a
//! monomorphised trampoline (`call_one::<F, A, R>` or `call_chunk::<F, A, R>`) from an
//! anchor static of this crate, plus a tag.
//!
//! Turning a number back into a function pointer is the one `unsafe` step of the
//! process pool. What makes it safe:
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

use std::hash::{DefaultHasher, Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::protocol::Outcome;
use crate::Error;

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

/// A trampoline: decodes the argument, runs the user's function, encodes the result.
pub(crate) type TaskFn = fn(&[u8]) -> Outcome;

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

/// The base address of the loaded object (the executable, or a shared library) that
/// contains `address`, if the dynamic loader knows it.
fn object_base(address: usize) -> Option<usize> {
    // SAFETY: Dl_info is plain data that dladdr fills in; dladdr only looks `address`
    // up in the loader's tables (it does not dereference it).
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        if libc::dladdr(address as *const libc::c_void, &mut info) == 0 {
            return None;
        }
        Some(info.dli_fbase as usize)
    }
}

/// Offsets from [`ANCHOR`] mean the same in the worker only for code in the same
/// loaded object as `ANCHOR`: a shared library is loaded at its own random base. So a
/// function from another object (a Rust `dylib` or plugin) is refused.
fn offset_in_this_object(address: usize) -> Result<i64, String> {
    match (object_base(address), object_base(anchor())) {
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
        let offset = offset_in_this_object(function as usize)?;
        let kind = EntryKind::Task;
        Ok(Entry {
            kind,
            offset,
            tag: tag(key, kind, offset),
        })
    }

    /// The entry for an initializer.
    pub(crate) fn initializer(function: fn(), key: u64) -> Result<Entry, String> {
        let offset = offset_in_this_object(function as usize)?;
        let kind = EntryKind::Initializer;
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
fn conjure<F: Copy>() -> F {
    const { assert_transportable::<F>() };
    // SAFETY: `F` is zero-sized (asserted at compile time above), so it has no bytes
    // that could be invalid, and it is `Copy`, so making one more value of it is what
    // copying the caller's value would do. fn items and non-capturing closures are
    // the only such callables on stable Rust.
    unsafe { std::mem::zeroed() }
}

/// A per-item failure inside a chunk, sent back in place of that item's result.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum ItemError {
    Panicked(String),
    Serialization(String),
}

impl From<ItemError> for Error {
    fn from(error: ItemError) -> Error {
        match error {
            ItemError::Panicked(message) => Error::Panicked { message },
            ItemError::Serialization(why) => Error::Serialization(why),
        }
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match Error::from_panic(payload) {
        Error::Panicked { message } => message,
        other => other.to_string(),
    }
}

/// Runs one task: `arg` is a postcard `A`; the result a postcard `R`.
pub(crate) fn call_one<F, A, R>(arg: &[u8]) -> Outcome
where
    F: Fn(A) -> R + Copy,
    A: DeserializeOwned,
    R: Serialize,
{
    let arg: A = match postcard::from_bytes(arg) {
        Ok(arg) => arg,
        Err(e) => return Outcome::Serialization(format!("could not decode the argument: {e}")),
    };
    let function = conjure::<F>();
    match catch_unwind(AssertUnwindSafe(|| function(arg))) {
        Ok(result) => match postcard::to_allocvec(&result) {
            Ok(bytes) => Outcome::Returned(bytes),
            Err(e) => Outcome::Serialization(format!("could not encode the result: {e}")),
        },
        Err(payload) => Outcome::Panicked(panic_message(payload)),
    }
}

/// Runs one fallible task: like [`call_one`], but the function's `Err` is sent back as
/// its message (the error value itself cannot cross the process boundary).
pub(crate) fn call_fallible<F, A, R, E>(arg: &[u8]) -> Outcome
where
    F: Fn(A) -> Result<R, E> + Copy,
    A: DeserializeOwned,
    R: Serialize,
    E: std::fmt::Display,
{
    let arg: A = match postcard::from_bytes(arg) {
        Ok(arg) => arg,
        Err(e) => return Outcome::Serialization(format!("could not decode the argument: {e}")),
    };
    let function = conjure::<F>();
    match catch_unwind(AssertUnwindSafe(|| function(arg))) {
        Ok(Ok(result)) => match postcard::to_allocvec(&result) {
            Ok(bytes) => Outcome::Returned(bytes),
            Err(e) => Outcome::Serialization(format!("could not encode the result: {e}")),
        },
        Ok(Err(error)) => Outcome::Failed(error.to_string()),
        Err(payload) => Outcome::Panicked(panic_message(payload)),
    }
}

/// Runs one chunk of a `map`: `arg` is a postcard `Vec<A>`; the result a postcard
/// `Vec<Result<R, ItemError>>`, so that one item's panic costs only that item.
pub(crate) fn call_chunk<F, A, R>(arg: &[u8]) -> Outcome
where
    F: Fn(A) -> R + Copy,
    A: DeserializeOwned,
    R: Serialize,
{
    let items: Vec<A> = match postcard::from_bytes(arg) {
        Ok(items) => items,
        Err(e) => return Outcome::Serialization(format!("could not decode the arguments: {e}")),
    };
    let function = conjure::<F>();
    let results: Vec<Result<R, ItemError>> = items
        .into_iter()
        .map(|item| {
            catch_unwind(AssertUnwindSafe(|| function(item)))
                .map_err(|payload| ItemError::Panicked(panic_message(payload)))
        })
        .collect();
    if let Ok(bytes) = postcard::to_allocvec(&results) {
        return Outcome::Returned(bytes);
    }
    // Some item's result does not encode: fail just those items, keep the others.
    let results: Vec<Result<R, ItemError>> = results
        .into_iter()
        .map(|result| match result {
            Ok(value) => match postcard::to_allocvec(&value) {
                Ok(_) => Ok(value),
                Err(e) => Err(ItemError::Serialization(format!(
                    "could not encode the result: {e}"
                ))),
            },
            Err(error) => Err(error),
        })
        .collect();
    match postcard::to_allocvec(&results) {
        Ok(bytes) => Outcome::Returned(bytes),
        Err(e) => Outcome::Serialization(format!("could not encode the chunk's results: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn double(n: u64) -> u64 {
        n * 2
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

    fn call_one_item() -> TaskFn {
        fn typed<F: Fn(u64) -> u64 + Copy>(_: F) -> TaskFn {
            call_one::<F, u64, u64>
        }
        typed(double)
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

    #[test]
    fn bad_arguments_and_panics_are_outcomes() {
        let entry = call_one_item();
        assert!(matches!(entry(&[0xff; 11]), Outcome::Serialization(_)));
        fn boom(_: u8) -> u8 {
            panic!("boom")
        }
        fn typed<F: Fn(u8) -> u8 + Copy>(_: F) -> TaskFn {
            call_one::<F, u8, u8>
        }
        let outcome = typed(boom)(&postcard::to_allocvec(&1_u8).unwrap());
        assert_eq!(outcome, Outcome::Panicked("boom".into()));
    }
}
