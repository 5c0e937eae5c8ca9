//! The MPI step of [`init`](crate::init): which part this process plays in an MPI job,
//! read from what the launcher put in its environment (before MPI is initialized).

use super::engine::{self, Role, SPAWNED_ARG};

/// Serves as a worker rank, and exits, if this process is one; starts the client's
/// engine if this is rank 0 of a world job; returns at once otherwise (a singleton
/// starts MPI only when it first makes an `MpiPoolExecutor`).
pub(crate) fn serve_if_rank() {
    let role = launched_as();
    match role {
        Role::WorldWorker | Role::SpawnedWorker => engine::serve_here(role),
        Role::WorldClient => {
            if let Err(error) = engine::engine(|| role) {
                eprintln!("concurrent_futures: could not start MPI on rank 0: {error}");
            }
        }
        Role::Singleton => {}
    }
}

/// The role the launcher gave this process.
pub(crate) fn launched_as() -> Role {
    if std::env::args().nth(1).as_deref() == Some(SPAWNED_ARG) {
        return Role::SpawnedWorker;
    }
    let read = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| std::env::var(name).ok()?.parse::<usize>().ok())
    };
    // Open MPI's names, then those of MPICH's process managers.
    let size = read(&["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"]).unwrap_or(1);
    let rank = read(&["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"]).unwrap_or(0);
    match (size, rank) {
        (0 | 1, _) => Role::Singleton,
        (_, 0) => Role::WorldClient,
        _ => Role::WorldWorker,
    }
}
