//! The pool's handle on one worker, as the scheduler hands it around: the task pipe to
//! write frames to (and close), the process to stop, and the fetcher a waiting thread
//! may read the worker's results through.

use std::io::PipeWriter;
use std::sync::Arc;

use parking_lot::Mutex;

use super::reap::WorkerProcess;
use crate::future::Fetcher;
use crate::process_pool::event::Stop;
use crate::process_pool::sys;

pub(crate) struct WorkerHandle {
    process: Arc<WorkerProcess>,
    /// The parent's end of the task pipe; `None` once closed. Writes to it never block
    /// for long: the scheduler sends a busy worker at most half of what the pipe holds.
    tasks: Mutex<Option<PipeWriter>>,
    fetcher: Arc<dyn Fetcher>,
}

impl WorkerHandle {
    pub(super) fn new(
        process: Arc<WorkerProcess>,
        tasks: PipeWriter,
        fetcher: Arc<dyn Fetcher>,
    ) -> WorkerHandle {
        WorkerHandle {
            process,
            tasks: Mutex::new(Some(tasks)),
            fetcher,
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Writes `frame` to the worker. An error means the worker is dying (or its pipe
    /// was closed): its supervisor will see the death and the task is sent elsewhere.
    pub(crate) fn write(&self, frame: &[u8]) -> std::io::Result<()> {
        match self.tasks.lock().as_mut() {
            Some(pipe) => sys::write_all_without_sigpipe(pipe, frame),
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        }
    }

    /// Closes the task pipe: the worker finishes what it was sent, sees the end of
    /// file and exits.
    pub(crate) fn close(&self) {
        self.tasks.lock().take();
    }

    pub(crate) fn stop(&self, stop: Stop) {
        self.process.stop(stop);
    }

    pub(crate) fn fetcher(&self) -> &Arc<dyn Fetcher> {
        &self.fetcher
    }
}
