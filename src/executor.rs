//! [`Executor`]: what every pool does, so that one generic function runs its tasks on
//! threads, processes or a cluster (Python's `Executor` base class).

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Error, Future, Map, MapOptions};

/// The calls every pool takes: [`ThreadPoolExecutor`](crate::ThreadPoolExecutor),
/// [`ProcessPoolExecutor`](crate::ProcessPoolExecutor) and, with the `mpi` feature,
/// `MpiPoolExecutor` (Python's `concurrent.futures.Executor`, and mpi4py's promise
/// that its pool is a drop-in for the process pool).
///
/// A task is a function of one argument, as a process or a cluster can run it: a `fn`
/// item or a closure that captures nothing, whose argument and result travel with serde.
/// On a thread pool the same call runs it in a thread, without serializing anything.
///
/// Each pool keeps its own, natural methods: on a `ThreadPoolExecutor`,
/// `pool.submit(closure)` is still the inherent one-closure form. The trait's
/// methods are what generic code calls.
///
/// ```
/// use concurrent_futures::{Error, Executor, ProcessPoolExecutor, ThreadPoolExecutor};
///
/// fn is_prime(n: u64) -> bool {
///     n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
/// }
///
/// /// Runs wherever `pool` runs its tasks.
/// fn count_primes<E: Executor>(pool: &E, limit: u64) -> Result<usize, Error> {
///     let mut count = 0;
///     for prime in pool.map(is_prime, 0..limit)? {
///         count += usize::from(prime?);
///     }
///     Ok(count)
/// }
///
/// fn main() {
///     concurrent_futures::init();
///     let threads = ThreadPoolExecutor::with_max_workers(2).unwrap();
///     let processes = ProcessPoolExecutor::with_max_workers(2).unwrap();
///     assert_eq!(count_primes(&threads, 100), Ok(25));
///     assert_eq!(count_primes(&processes, 100), Ok(25));
///     let answer = Executor::submit(&processes, |n: u64| n * 2, 21).unwrap();
///     assert_eq!(answer.result(), Ok(&42));
/// }
/// ```
pub trait Executor {
    /// Schedules `function(arg)` and returns its future. `Err(Error::Shutdown)` after
    /// shutdown, `Err(Error::BrokenExecutor { .. })` once the pool broke.
    fn submit<F, A, R>(&self, function: F, arg: A) -> Result<Future<R>, Error>
    where
        F: Fn(A) -> R + Copy + Send + Sync + 'static,
        A: Serialize + DeserializeOwned + Send + 'static,
        R: Serialize + DeserializeOwned + Send + Sync + 'static;

    /// Calls `function` on every item; results in input order, one `Result` each.
    fn map<'a, F, A, R, I>(&self, function: F, items: I) -> Result<Map<'a, R>, Error>
    where
        F: Fn(A) -> R + Copy + Send + Sync + 'static,
        A: Serialize + DeserializeOwned + Send + 'static,
        R: Serialize + DeserializeOwned + Send + Sync + 'static,
        I: IntoIterator<Item = A>,
        I::IntoIter: Send + 'a,
    {
        self.map_with(function, items, MapOptions::new())
    }

    /// [`map`](Executor::map) with options: chunks, a bound on what is in flight, a
    /// timeout.
    fn map_with<'a, F, A, R, I>(
        &self,
        function: F,
        items: I,
        options: MapOptions,
    ) -> Result<Map<'a, R>, Error>
    where
        F: Fn(A) -> R + Copy + Send + Sync + 'static,
        A: Serialize + DeserializeOwned + Send + 'static,
        R: Serialize + DeserializeOwned + Send + Sync + 'static,
        I: IntoIterator<Item = A>,
        I::IntoIter: Send + 'a;

    /// Python's `shutdown(wait, cancel_futures)`.
    fn shutdown(&self, wait: bool, cancel_futures: bool);

    /// The most tasks the pool runs at once.
    fn max_workers(&self) -> usize;
}

impl Executor for crate::ThreadPoolExecutor {
    fn submit<F, A, R>(&self, function: F, arg: A) -> Result<Future<R>, Error>
    where
        F: Fn(A) -> R + Copy + Send + Sync + 'static,
        A: Serialize + DeserializeOwned + Send + 'static,
        R: Serialize + DeserializeOwned + Send + Sync + 'static,
    {
        crate::ThreadPoolExecutor::submit(self, move || function(arg))
    }

    fn map_with<'a, F, A, R, I>(
        &self,
        function: F,
        items: I,
        options: MapOptions,
    ) -> Result<Map<'a, R>, Error>
    where
        F: Fn(A) -> R + Copy + Send + Sync + 'static,
        A: Serialize + DeserializeOwned + Send + 'static,
        R: Serialize + DeserializeOwned + Send + Sync + 'static,
        I: IntoIterator<Item = A>,
        I::IntoIter: Send + 'a,
    {
        crate::ThreadPoolExecutor::map_with(self, function, items, options)
    }

    fn shutdown(&self, wait: bool, cancel_futures: bool) {
        crate::ThreadPoolExecutor::shutdown(self, wait, cancel_futures)
    }

    fn max_workers(&self) -> usize {
        crate::ThreadPoolExecutor::max_workers(self)
    }
}

/// Implements [`Executor`] for a pool whose inherent `submit(f, arg)`, `map_with`,
/// `shutdown` and `max_workers` already have the trait's shapes (the process pool, the
/// MPI pool): each trait method calls its namesake.
macro_rules! executor_by_inherent_methods {
    ($pool:ty) => {
        impl $crate::Executor for $pool {
            fn submit<F, A, R>(
                &self,
                function: F,
                arg: A,
            ) -> Result<$crate::Future<R>, $crate::Error>
            where
                F: Fn(A) -> R + Copy + Send + Sync + 'static,
                A: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
                R: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
            {
                <$pool>::submit(self, function, arg)
            }

            fn map_with<'a, F, A, R, I>(
                &self,
                function: F,
                items: I,
                options: $crate::MapOptions,
            ) -> Result<$crate::Map<'a, R>, $crate::Error>
            where
                F: Fn(A) -> R + Copy + Send + Sync + 'static,
                A: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
                R: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
                I: IntoIterator<Item = A>,
                I::IntoIter: Send + 'a,
            {
                <$pool>::map_with(self, function, items, options)
            }

            fn shutdown(&self, wait: bool, cancel_futures: bool) {
                <$pool>::shutdown(self, wait, cancel_futures)
            }

            fn max_workers(&self) -> usize {
                <$pool>::max_workers(self)
            }
        }
    };
}

executor_by_inherent_methods!(crate::ProcessPoolExecutor);
#[cfg(feature = "mpi")]
executor_by_inherent_methods!(crate::MpiPoolExecutor);
