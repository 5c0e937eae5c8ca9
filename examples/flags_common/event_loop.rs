//! The asyncio clients' `asyncio.run(...)`: one event loop on this thread.

use std::future::Future;

/// Runs `main_coroutine` to completion on a single-threaded tokio runtime, like
/// `asyncio.run`: one thread runs every download, switching at each `.await`.
pub fn run<F: Future>(main_coroutine: F) -> Result<F::Output, concurrent_futures::Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| concurrent_futures::Error::BrokenExecutor {
            reason: format!("cannot start the event loop: {error}"),
        })?;
    Ok(runtime.block_on(main_coroutine))
}
