//! The four states of a future.

/// Where a [`Future`](crate::Future) is in its life (Python's `_state`).
///
/// `Pending → Running → Finished`, or `Pending → Cancelled`. An executor may also go
/// straight from `Pending` to `Finished` (e.g. to fail queued tasks of a broken pool).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FutureState {
    /// Submitted, not started yet; can still be cancelled.
    Pending = 0,
    /// A worker is running the task; it can no longer be cancelled.
    Running = 1,
    /// Cancelled before it started; its result is `Err(Error::Cancelled)`.
    Cancelled = 2,
    /// The task returned a value or failed; the outcome is final.
    Finished = 3,
}

impl FutureState {
    /// `true` for the two final states.
    pub fn is_done(self) -> bool {
        matches!(self, FutureState::Cancelled | FutureState::Finished)
    }

    /// Python's spelling, used by `Debug` for futures: `pending`, `running`, ...
    pub(crate) fn python_name(self) -> &'static str {
        match self {
            FutureState::Pending => "pending",
            FutureState::Running => "running",
            FutureState::Cancelled => "cancelled",
            FutureState::Finished => "finished",
        }
    }

    pub(crate) fn from_u8(raw: u8) -> FutureState {
        match raw {
            0 => FutureState::Pending,
            1 => FutureState::Running,
            2 => FutureState::Cancelled,
            _ => FutureState::Finished,
        }
    }
}
