//! Whether a pool takes new tasks: the gate at the top of every `submit`, the same for
//! both pools, and the `max_workers` setting both check the same way.

use crate::Error;

/// A pool's state as `submit` sees it. Broken wins over shut down: a pool that broke
/// and was then shut down still says why it broke.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Takes tasks.
    #[default]
    Open,
    /// `shutdown` was called (Python's `RuntimeError: cannot schedule new futures after
    /// shutdown`).
    ShutDown,
    /// An initializer failed or a worker could not start (Python's `BrokenExecutor`).
    Broken { reason: String },
}

impl Admission {
    /// `Ok` if a task may be submitted now; otherwise the error `submit` returns.
    pub(crate) fn check(&self) -> Result<(), Error> {
        match self {
            Admission::Open => Ok(()),
            Admission::ShutDown => Err(Error::Shutdown),
            Admission::Broken { reason } => Err(Error::BrokenExecutor {
                reason: reason.clone(),
            }),
        }
    }

    /// Stops taking tasks, unless the pool is broken already.
    pub(crate) fn shut_down(&mut self) {
        if *self == Admission::Open {
            *self = Admission::ShutDown;
        }
    }

    /// Marks the pool broken; the first reason stays. `true` if it was not broken
    /// before.
    pub(crate) fn break_with(&mut self, reason: &str) -> bool {
        if self.is_broken() {
            return false;
        }
        *self = Admission::Broken {
            reason: reason.to_string(),
        };
        true
    }

    pub(crate) fn is_open(&self) -> bool {
        *self == Admission::Open
    }

    pub(crate) fn is_broken(&self) -> bool {
        matches!(self, Admission::Broken { .. })
    }

    /// The word `Debug` shows for it.
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Admission::Open => "running",
            Admission::ShutDown => "shut down",
            Admission::Broken { .. } => "broken",
        }
    }
}

/// The `max_workers` a builder was given, checked (at least 1), or `default`.
pub(crate) fn max_workers(requested: Option<usize>, default: usize) -> Result<usize, Error> {
    match requested {
        Some(0) => Err(Error::InvalidArgument(
            "max_workers must be greater than 0".into(),
        )),
        Some(n) => Ok(n),
        None => Ok(default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_wins_over_shut_down_and_keeps_its_first_reason() {
        let mut admission = Admission::Open;
        assert_eq!(admission.check(), Ok(()));
        assert!(admission.break_with("first"));
        admission.shut_down();
        assert!(!admission.break_with("second"));
        assert_eq!(
            admission.check(),
            Err(Error::BrokenExecutor {
                reason: "first".into()
            })
        );
    }

    #[test]
    fn a_shut_down_pool_refuses_with_shutdown() {
        let mut admission = Admission::Open;
        admission.shut_down();
        assert_eq!(admission.check(), Err(Error::Shutdown));
        assert!(!admission.is_open());
    }

    #[test]
    fn zero_workers_is_refused() {
        assert!(matches!(
            max_workers(Some(0), 4),
            Err(Error::InvalidArgument(_))
        ));
        assert_eq!(max_workers(None, 4), Ok(4));
        assert_eq!(max_workers(Some(2), 4), Ok(2));
    }
}
