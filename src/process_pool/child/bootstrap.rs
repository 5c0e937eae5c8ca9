//! Becoming a process-pool worker: the first step of [`init`](crate::init).
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
