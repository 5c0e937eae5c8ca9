//! The handshake with a new worker: it says who it is (`Hello`), the pool answers with
//! its key and initializer (`Welcome`), the worker says it is ready (or that its
//! initializer failed). Any other answer, or none in time, and the worker is refused.

use std::time::{Duration, Instant};

use super::handle::WorkerHandle;
use super::results::{Event, ResultReader};
use super::{PoolEvents, WorkerSettings};
use crate::process_pool::event::Stop;
use crate::process_pool::wire::entry::layout_fingerprint;
use crate::process_pool::wire::protocol::{encode_frame, ToParent, ToWorker, PROTOCOL_VERSION};

/// How long a new worker may take to say hello (a debug build of a large program on a
/// loaded machine can take a while to exec).
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs the handshake; `Err` says why the worker was refused (it has been stopped
/// if it was still running).
pub(super) fn handshake<E: PoolEvents>(
    results: &ResultReader<E>,
    worker: &WorkerHandle,
    settings: &WorkerSettings,
) -> Result<(), String> {
    let refused = |why: String| {
        worker.stop(Stop::Kill);
        Err(why)
    };
    let deadline = Instant::now() + HANDSHAKE_TIMEOUT;
    match results.next_handshake_event(Some(deadline)) {
        Event::Message(ToParent::Hello {
            version, layout, ..
        }) if version == PROTOCOL_VERSION && layout == layout_fingerprint() => {}
        Event::Message(ToParent::Hello { .. }) => {
            return refused("the worker process is a different build of the program".into())
        }
        Event::Closed => {
            return Err(
                "the worker process exited before its handshake: the program must call \
                 concurrent_futures::init() as the first line of main (in tests and \
                 benches: concurrent_futures::init_before_main!() in the file)"
                    .into(),
            )
        }
        Event::Timeout => {
            return refused(format!(
                "the worker process did not answer within {HANDSHAKE_TIMEOUT:?}: does the \
                 program call concurrent_futures::init() as the first line of main?"
            ))
        }
        other => {
            return refused(format!(
                "the worker process's handshake was garbled: {other:?}"
            ))
        }
    }
    let mut welcome = Vec::new();
    let message = ToWorker::Welcome {
        key: settings.key,
        initializer: settings.initializer.clone(),
    };
    encode_frame(&message, &mut welcome)?;
    worker
        .write(&welcome)
        .map_err(|e| format!("could not write to the worker: {e}"))?;
    match results.next_handshake_event(None) {
        Event::Message(ToParent::Ready) => Ok(()),
        Event::Message(ToParent::InitFailed { message }) => Err(format!(
            "the initializer panicked in a worker process: {message}"
        )),
        Event::Closed => Err("the worker process died while running the initializer".into()),
        other => refused(format!(
            "the worker process's handshake was garbled: {other:?}"
        )),
    }
}
