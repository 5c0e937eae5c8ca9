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

/// Calls [`init`] before `main` starts, for programs whose `main` is not yours:
/// integration tests, benches and examples run by libtest.
///
/// Write it once, at the top level of the test file (any module will do):
///
/// ```ignore
/// concurrent_futures::init_before_main!();
///
/// #[test]
/// fn squares_in_a_process() {
///     let pool = concurrent_futures::ProcessPoolExecutor::with_max_workers(1).unwrap();
///     assert_eq!(pool.submit(|n: u64| n * n, 12).unwrap().result(), Ok(&144));
/// }
/// ```
///
/// It registers a constructor in the ELF `.init_array` section of the test binary, the
/// mechanism C and C++ use for static constructors: the C runtime calls it before
/// libtest's `main`, so a worker process starts serving before the test harness runs.
/// Linux only, like the process pool.
#[macro_export]
macro_rules! init_before_main {
    () => {
        #[used]
        #[cfg_attr(target_os = "linux", link_section = ".init_array")]
        static __CONCURRENT_FUTURES_INIT_BEFORE_MAIN: extern "C" fn() = {
            extern "C" fn init_before_main() {
                $crate::init();
            }
            init_before_main
        };
    };
}
