//! The book's `procs.py` (Fluent Python 2nd ed., "The Multicore Prime Checker"): a
//! homegrown process pool, built from the standard library only. It is the "before"
//! picture: everything `ProcessPoolExecutor` hides is out in the open here.
//!
//! The program re-executes itself (`std::env::current_exe()`) as N worker processes.
//! The parent puts the 20 numbers on a jobs queue, then one poison pill (`0`) per
//! worker; each worker takes numbers until it gets a pill, puts a result on the
//! results queue for each, and finally a result with `n == 0` to say it is finished.
//! The parent prints results in completion order until every worker is finished, then
//! `20 checks in 0.52s`. `argv[1]` is the number of workers (default: the number of
//! CPUs); `--quick` checks smaller numbers.
//!
//! What Rust changes:
//! - There is no `fork` + pickled target function: a worker is the same executable,
//!   started again with an environment variable (`PRIMES_PROCS_WORKER`) that sends it
//!   to `worker()` instead of `main`'s normal path.
//! - The queues. Python's `SimpleQueue` is a pipe plus a lock shared by the processes.
//!   Each queue here is a Unix datagram socket pair (`std::os::unix::net`), passed to
//!   the workers as their stdin (jobs) and stdout (results). A datagram socket keeps
//!   message boundaries: each message reaches exactly one reader, whole, so several
//!   workers can take jobs from one queue without a lock, and a worker that is free
//!   takes the next job (a pipe per worker would fix who does what in advance).
//!   Messages are text: `"n"` for a job, `"n prime nanoseconds"` for a result.
//! - Everything that can go wrong is left to you: a worker that dies without sending
//!   its `0` leaves the parent waiting forever. `ProcessPoolExecutor` reports that as
//!   `Error::WorkerDied` instead.
//!
//! ```text
//! cargo run --release --example primes_procs      # one worker per CPU
//! cargo run --release --example primes_procs 1    # as slow as sequential
//! ```

#[cfg(unix)]
mod primes_common;

#[cfg(unix)]
fn main() -> std::io::Result<()> {
    if std::env::var_os(procs::WORKER_ENV).is_some() {
        return procs::worker();
    }
    procs::main()
}

#[cfg(not(unix))]
fn main() {
    eprintln!("primes_procs uses Unix datagram sockets as its queues: it runs on Unix only");
    std::process::exit(1);
}

#[cfg(unix)]
mod procs {
    use std::env;
    use std::io::{self, ErrorKind};
    use std::num::NonZeroUsize;
    use std::os::fd::{AsFd, OwnedFd};
    use std::os::unix::net::UnixDatagram;
    use std::os::unix::process::parent_id;
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use clap::Parser;

    use crate::primes_common::{check, cpu_count, Inputs, PrimeResult};

    /// Set in a worker's environment: run `worker()` instead of the main program.
    pub const WORKER_ENV: &str = "PRIMES_PROCS_WORKER";

    /// Checks 20 numbers for primality with N worker processes and two queues.
    #[derive(Parser, Debug)]
    struct Cli {
        /// How many worker processes (default: the number of CPUs).
        workers: Option<NonZeroUsize>,
        #[command(flatten)]
        inputs: Inputs,
    }

    /// A queue shared by processes: one end of a datagram socket pair, either end
    /// shared by any number of processes.
    type Queue = UnixDatagram;

    /// The worker process: takes numbers from stdin (the jobs queue) until a `0`,
    /// puts a result for each on stdout (the results queue), then a `0` result.
    ///
    /// If the parent has gone, the queues say so with a connection error: the worker
    /// then just ends, as Python's would.
    pub fn worker() -> io::Result<()> {
        match serve() {
            Err(e) if is_disconnect(&e) => Ok(()),
            other => other,
        }
    }

    fn is_disconnect(e: &io::Error) -> bool {
        matches!(
            e.kind(),
            ErrorKind::ConnectionRefused
                | ErrorKind::ConnectionReset
                | ErrorKind::NotConnected
                | ErrorKind::BrokenPipe
        )
    }

    fn serve() -> io::Result<()> {
        let jobs = Queue::from(io::stdin().as_fd().try_clone_to_owned()?);
        let results = Queue::from(io::stdout().as_fd().try_clone_to_owned()?);
        while let Some(n) = get_job(&jobs)? {
            let PrimeResult { n, prime, elapsed } = check(n);
            let message = format!("{n} {} {}", u8::from(prime), elapsed.as_nanos());
            results.send(message.as_bytes())?;
        }
        results.send(b"0 0 0")?; // this worker is finished
        Ok(())
    }

    /// The next job, or `None` for the poison pill `0`.
    ///
    /// A blocked `recv` on a datagram socket does not notice that the parent died, so
    /// the wait is done in one-second slices, checking in between whether this process
    /// has been orphaned (adopted by another parent).
    fn get_job(jobs: &Queue) -> io::Result<Option<u64>> {
        let parent = parent_id();
        jobs.set_read_timeout(Some(Duration::from_secs(1)))?;
        let mut buf = [0_u8; 32];
        loop {
            match jobs.recv(&mut buf) {
                Ok(len) => {
                    let n: u64 = parse(&buf[..len])?;
                    return Ok((n != 0).then_some(n));
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if parent_id() != parent {
                        return Ok(None); // orphaned: nobody wants the results any more
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn parse<T: std::str::FromStr>(bytes: &[u8]) -> io::Result<T> {
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| io::Error::new(ErrorKind::InvalidData, "bad message"))
    }

    /// Starts `procs` workers, each with the jobs queue as its stdin and the results
    /// queue as its stdout, then puts the numbers and one poison pill per worker.
    ///
    /// (The book puts the numbers before starting the workers; the workers are started
    /// first here so that the parent never blocks on a full socket buffer with nobody
    /// reading it. Twenty-odd small messages fit anyway.)
    fn start_jobs(
        procs: usize,
        numbers: &[u64],
        jobs: &Queue,
        jobs_for_workers: &Queue,
        results_for_workers: &Queue,
    ) -> io::Result<Vec<Child>> {
        let exe = env::current_exe()?;
        let mut children = Vec::with_capacity(procs);
        for _ in 0..procs {
            let stdin = OwnedFd::from(jobs_for_workers.try_clone()?);
            let stdout = OwnedFd::from(results_for_workers.try_clone()?);
            let child = Command::new(&exe)
                .env(WORKER_ENV, "1")
                .stdin(Stdio::from(stdin))
                .stdout(Stdio::from(stdout))
                .spawn()?;
            children.push(child);
        }
        for n in numbers {
            jobs.send(n.to_string().as_bytes())?;
        }
        for _ in 0..procs {
            jobs.send(b"0")?; // one poison pill per worker
        }
        Ok(children)
    }

    fn report(procs: usize, results: &Queue) -> io::Result<usize> {
        let mut checked = 0;
        let mut procs_done = 0;
        let mut buf = [0_u8; 64];
        while procs_done < procs {
            let len = results.recv(&mut buf)?;
            let fields: Vec<&[u8]> = buf[..len].split(|&b| b == b' ').collect();
            let [n, prime, nanos] = fields[..] else {
                return Err(io::Error::new(ErrorKind::InvalidData, "bad result"));
            };
            let n: u64 = parse(n)?;
            if n == 0 {
                procs_done += 1;
            } else {
                checked += 1;
                let result = PrimeResult {
                    n,
                    prime: parse::<u8>(prime)? == 1,
                    elapsed: Duration::from_nanos(parse(nanos)?),
                };
                println!("{}", result.line());
            }
        }
        Ok(checked)
    }

    pub fn main() -> io::Result<()> {
        let cli = Cli::parse();
        let procs = cli.workers.map_or_else(cpu_count, NonZeroUsize::get);
        let numbers = cli.inputs.numbers();

        println!("Checking {} numbers with {procs} processes:", numbers.len());
        let t0 = Instant::now();
        let (jobs, jobs_for_workers) = Queue::pair()?;
        let (results, results_for_workers) = Queue::pair()?;
        let children = start_jobs(
            procs,
            numbers,
            &jobs,
            &jobs_for_workers,
            &results_for_workers,
        )?;
        let checked = report(procs, &results)?;
        let elapsed = t0.elapsed().as_secs_f64();
        println!("{checked} checks in {elapsed:.2}s");
        for mut child in children {
            child.wait()?; // every worker has sent its 0: this does not wait long
        }
        Ok(())
    }
}
