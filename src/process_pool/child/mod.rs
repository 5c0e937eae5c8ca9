//! The worker process's side: becoming a worker (`bootstrap`), serving tasks one at a
//! time (`serve`), and taking the whole process group down if the pool's process dies
//! (`orphan`).

pub(crate) mod bootstrap;
mod orphan;
mod serve;
