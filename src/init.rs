//! [`init`]: the first line of `main`, which turns the process into a worker when it
//! was started as one.

/// Makes the process pool (and, with the `mpi` feature, the MPI pool) work: call it as
/// the first line of `main`.
///
/// In your program's own process it returns at once (it only reads one environment
/// variable). In a worker process of a [`ProcessPoolExecutor`](crate::ProcessPoolExecutor),
/// which is your program started again, it serves tasks and exits when the pool is done
/// with it: it never returns into your `main`.
///
/// With the `mpi` feature, under `mpirun -n N`, it makes ranks 1 to N-1 serve an
/// `MpiPoolExecutor` on rank 0 (they never return into `main` either), and a worker
/// rank that an `MpiPoolExecutor` spawned serves it.
///
/// ```
/// fn main() {
///     concurrent_futures::init();
///     // ... the rest of the program, which may use ProcessPoolExecutor.
/// }
/// ```
///
/// Where you do not own `main` (integration tests and benches run by libtest), put
/// [`init_before_main!()`](crate::init_before_main) once in the test file instead.
pub fn init() {
    crate::process_pool::child::bootstrap::serve_if_worker();
    #[cfg(feature = "mpi")]
    crate::mpi_pool::serve_if_rank();
}
