//! `Debug` for futures, shaped like Python's repr so that the book's output reads the
//! same: `<Future at 0x7f3c1c0 state=finished returned String>`.

use std::fmt;

use super::{Future, FutureState};
use crate::Error;

impl<T> fmt::Debug for Future<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Through the shared state: an `AnyFuture` shows its typed future's repr.
        self.inner.fmt_debug(f)
    }
}

/// Writes the repr of the typed future at `address`.
pub(super) fn fmt_future<T>(
    address: usize,
    state: FutureState,
    outcome: Option<&Result<T, Box<Error>>>,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    write!(f, "<Future at {address:#x} state={}", state.python_name())?;
    if state == FutureState::Finished {
        match outcome {
            Some(Ok(_)) => write!(f, " returned {}", short_type_name::<T>())?,
            Some(Err(error)) => write!(f, " raised {}", error.kind_name())?,
            None => {}
        }
    }
    f.write_str(">")
}

/// `std::any::type_name` without module paths: `alloc::vec::Vec<alloc::string::String>`
/// becomes `Vec<String>`, as a Python programmer would write it.
pub(crate) fn short_type_name<T: ?Sized>() -> String {
    let full = std::any::type_name::<T>();
    let mut short = String::with_capacity(full.len());
    let mut segment_start = 0;
    let bytes = full.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b':' && bytes.get(i + 1) == Some(&b':') {
            // Drop the path segment that ends here, with its `::`.
            short.truncate(segment_start);
            i += 2;
            continue;
        }
        short.push(c as char);
        if !(c.is_ascii_alphanumeric() || c == b'_') {
            segment_start = short.len();
        }
        i += 1;
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_lose_their_paths() {
        assert_eq!(short_type_name::<u64>(), "u64");
        assert_eq!(short_type_name::<String>(), "String");
        assert_eq!(short_type_name::<Vec<String>>(), "Vec<String>");
        assert_eq!(
            short_type_name::<std::collections::HashMap<String, (u8, Vec<u8>)>>(),
            "HashMap<String, (u8, Vec<u8>)>"
        );
    }

    #[test]
    fn debug_looks_like_python_repr() {
        let fut: Future<u64> = Future::new();
        let repr = format!("{fut:?}");
        assert!(repr.starts_with("<Future at 0x"), "{repr}");
        assert!(repr.ends_with(" state=pending>"), "{repr}");

        assert_eq!(fut.set_running_or_notify_cancel(), Ok(true));
        assert!(format!("{fut:?}").ends_with(" state=running>"));

        fut.set_result(7).unwrap();
        assert!(format!("{fut:?}").ends_with(" state=finished returned u64>"));

        let failed: Future<String> = Future::new();
        failed
            .set_exception(Error::Panicked {
                message: "boom".into(),
            })
            .unwrap();
        assert!(format!("{failed:?}").ends_with(" state=finished raised Panicked>"));

        let cancelled: Future<String> = Future::new();
        assert!(cancelled.cancel());
        assert!(format!("{cancelled:?}").ends_with(" state=cancelled>"));
    }
}
