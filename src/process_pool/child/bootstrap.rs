//! Becoming a process-pool worker: the first step of [`init`](crate::init), and
//! [`init_before_main!`](crate::init_before_main).
//!
//! A worker process is the program itself, re-executed with an environment variable
//! naming two inherited pipes. `init()` looks for that variable: in the pool's own
//! process it is absent and `init()` returns at once; in a worker it is there, and
//! `init()` serves tasks until the pool closes the pipe, then exits the process. That
//! is why `init()` must come first in `main`: nothing of the user's program may run in
//! a worker before it.

use std::sync::atomic::{AtomicBool, Ordering};

use super::serve;
use crate::process_pool::wire::protocol::WORKER_ENV;

/// Set once this process has become a worker (so nested pools may start workers).
static SERVING: AtomicBool = AtomicBool::new(false);

/// Serves as a process-pool worker if this process was started as one, and then exits;
/// returns at once otherwise. The first thing [`init`](crate::init) does.
pub(crate) fn serve_if_worker() {
    let Ok(spec) = std::env::var(WORKER_ENV) else {
        return;
    };
    // Grandchildren (programs a task starts) must not mistake themselves for workers.
    // Removing it is safe here: `init` runs first in `main` (or before it), before the
    // program has started other threads that could read the environment.
    std::env::remove_var(WORKER_ENV);
    if SERVING.swap(true, Ordering::SeqCst) {
        return;
    }
    serve::serve(&spec)
}

/// `true` if this process was started as a worker but has not called
/// [`init`](crate::init): then
/// it must not start workers of its own (that would recurse without end).
pub(crate) fn is_unserved_worker() -> bool {
    !SERVING.load(Ordering::SeqCst) && std::env::var_os(WORKER_ENV).is_some()
}

/// Calls [`init`] before `main` starts, for programs whose `main` is not yours:
/// integration tests, benches and examples run by libtest.
///
/// Write it once, at the top level of the test file (any module will do):
///
/// ```ignore
/// concurrent_futures::init_before_main!();
///
/// #[test]
/// fn squares_in_a_process() {
///     let pool = concurrent_futures::ProcessPoolExecutor::with_max_workers(1).unwrap();
///     assert_eq!(pool.submit(|n: u64| n * n, 12).unwrap().result(), Ok(&144));
/// }
/// ```
///
/// It registers a constructor in the ELF `.init_array` section of the test binary, the
/// mechanism C and C++ use for static constructors: the C runtime calls it before
/// libtest's `main`, so a worker process starts serving before the test harness runs.
/// Linux only, like the process pool.
#[macro_export]
macro_rules! init_before_main {
    () => {
        #[used]
        #[cfg_attr(target_os = "linux", link_section = ".init_array")]
        static __CONCURRENT_FUTURES_INIT_BEFORE_MAIN: extern "C" fn() = {
            extern "C" fn init_before_main() {
                $crate::init();
            }
            init_before_main
        };
    };
}
