//! The serve loop: handshake, initializer, then one task at a time until the pool
//! closes the task pipe.

use std::fs::File;
use std::io::Write;
use std::os::fd::RawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use super::orphan;
use crate::error::panic_message;
use crate::process_pool::sys;
use crate::process_pool::wire::entry::layout_fingerprint;
use crate::process_pool::wire::outcome::Outcome;
use crate::process_pool::wire::protocol::{
    encode_frame, FrameDecoder, Initializer, ToParent, ToWorker, PROTOCOL_VERSION,
};

/// Exit code of a worker that could not talk to its pool.
const EXIT_PROTOCOL: i32 = 70;

/// How long an idle worker stays awake for its next task before it sleeps: a pool of
/// short tasks sends the next one within microseconds, and finding it awake spares
/// the pool a wake-up of this process, the largest part of a round trip (see
/// [`crate::spin`]). An idle worker costs at most this much CPU per task.
const AWAKE_FOR_NEXT_TASK: Duration = Duration::from_micros(50);

/// Serves the pool named by `spec` ("<task fd>:<result fd>") and exits.
pub(crate) fn serve(spec: &str) -> ! {
    let Some((input, output)) = open_pipes(spec) else {
        eprintln!(
            "concurrent_futures: this process was started as a pool worker, but the pipes \
             named in its environment ({spec:?}) are not open; exiting"
        );
        exit(EXIT_PROTOCOL)
    };
    // A task's panic is caught and sent to the pool, which hands it to the task's
    // future as `Error::Panicked`: printing it here too (with a backtrace, from a
    // "main" thread the user never wrote) would only be noise, as Python's workers
    // print nothing either. A task may still install its own hook.
    std::panic::set_hook(Box::new(|_| {}));
    orphan::watch();
    let code = match Session::new(input, output).serve() {
        Ok(()) => 0,
        Err(why) => {
            eprintln!(
                "concurrent_futures: worker {} stops: {why}",
                std::process::id()
            );
            EXIT_PROTOCOL
        }
    };
    exit(code)
}

fn exit(code: i32) -> ! {
    let _ = std::io::stdout().flush();
    std::process::exit(code)
}

/// Takes ownership of the two inherited pipe ends, after checking they are open.
fn open_pipes(spec: &str) -> Option<(File, File)> {
    let (input, output) = spec.split_once(':')?;
    let (input, output): (RawFd, RawFd) = (input.parse().ok()?, output.parse().ok()?);
    if input == output {
        return None;
    }
    let input = sys::take_inherited_fd(input)?;
    let output = sys::take_inherited_fd(output)?;
    Some((File::from(input), File::from(output)))
}

/// The worker's end of its two pipes, for the whole of its life.
struct Session {
    input: File,
    output: File,
    decoder: FrameDecoder,
    /// Frames waiting to be written in one go.
    outbox: Vec<u8>,
    key: u64,
}

impl Session {
    fn new(input: File, output: File) -> Session {
        Session {
            input,
            output,
            decoder: FrameDecoder::new(),
            outbox: Vec::new(),
            key: 0,
        }
    }

    fn serve(mut self) -> Result<(), String> {
        self.send(&ToParent::Hello {
            pid: std::process::id(),
            version: PROTOCOL_VERSION,
            layout: layout_fingerprint(),
        })?;
        self.flush()?;
        let Some(ToWorker::Welcome { key, initializer }) = self.receive()? else {
            return Err("the pool did not answer the handshake".into());
        };
        self.key = key;
        if let Some(initializer) = initializer {
            if let Err(message) = run_initializer(&initializer, key)? {
                self.send(&ToParent::InitFailed { message })?;
                self.flush()?;
                return Ok(());
            }
        }
        self.send(&ToParent::Ready)?;
        self.flush()?;

        // One task at a time. When the next task is already here, the `Finished` of
        // one and the `Started` of the next leave in one write (one wake-up for the
        // pool's supervisor thread instead of two).
        let mut next = self.receive()?;
        while let Some(message) = next {
            let ToWorker::Task { id, entry, arg } = message else {
                return Err("the pool sent a second handshake".into());
            };
            self.send(&ToParent::Started { id })?;
            self.flush()?;
            let outcome = match entry.resolve_task(self.key) {
                Ok(task) => catch_unwind(AssertUnwindSafe(|| task(&arg)))
                    .unwrap_or_else(|_| Outcome::Panicked("the task's trampoline panicked".into())),
                Err(why) => Outcome::Refused(why),
            };
            drop(arg);
            if let Err(why) = self.send(&ToParent::Finished { id, outcome }) {
                // Too large to send (over MAX_FRAME): the task fails, not the worker.
                let outcome = Outcome::Serialization(format!("the result is too large: {why}"));
                self.send(&ToParent::Finished { id, outcome })?;
            }
            next = match self.decoder.next_message::<ToWorker>() {
                Ok(Some(buffered)) => Some(buffered),
                Ok(None) => {
                    self.flush()?;
                    self.receive()?
                }
                Err(e) => {
                    // The finished task's result still reaches the pool.
                    self.flush()?;
                    return Err(e.to_string());
                }
            };
        }
        self.flush()?;
        Ok(())
    }

    fn send(&mut self, message: &ToParent) -> Result<(), String> {
        encode_frame(message, &mut self.outbox)
    }

    fn flush(&mut self) -> Result<(), String> {
        let result = self.output.write_all(&self.outbox);
        self.outbox.clear();
        result.map_err(|e| format!("could not write to the pool: {e}"))
    }

    /// The next message, or `None` when the pool closed the pipe (time to exit).
    fn receive(&mut self) -> Result<Option<ToWorker>, String> {
        loop {
            match self.decoder.next_message::<ToWorker>() {
                Ok(Some(message)) => return Ok(Some(message)),
                Ok(None) => {}
                Err(e) => return Err(e.to_string()),
            }
            crate::spin::spin_until(AWAKE_FOR_NEXT_TASK, || sys::has_input(&self.input));
            let read = self
                .decoder
                .read_from(&self.input)
                .map_err(|e| format!("could not read from the pool: {e}"))?;
            if read == 0 {
                if self.decoder.has_partial_frame() {
                    return Err("the pool closed the pipe in the middle of a frame".into());
                }
                return Ok(None);
            }
        }
    }
}

/// Runs the pool's initializer: `Ok(Err(message))` if it failed (it panicked, or its
/// argument could not be decoded), `Err` if its entry point was not this pool's.
fn run_initializer(initializer: &Initializer, key: u64) -> Result<Result<(), String>, String> {
    match initializer {
        Initializer::Plain(entry) => {
            let function = entry.resolve_initializer(key)?;
            Ok(catch_unwind(function).map_err(panic_message))
        }
        Initializer::WithArg { entry, arg } => {
            let trampoline = entry.resolve_task(key)?;
            Ok(match trampoline(arg) {
                Outcome::Returned(_) => Ok(()),
                Outcome::Panicked(message)
                | Outcome::Failed(message)
                | Outcome::Serialization(message) => Err(message),
                Outcome::Refused(message) => return Err(message),
            })
        }
    }
}
