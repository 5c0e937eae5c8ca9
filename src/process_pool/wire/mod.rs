//! What crosses the pipes between the pool and a worker: the frames and messages
//! (`protocol`), how a task ended (`outcome`), and how a function is named in a frame
//! (`entry`, the function transport) and run on the other side (`trampoline`).

pub(crate) mod entry;
pub(crate) mod outcome;
pub(crate) mod protocol;
pub(crate) mod trampoline;
