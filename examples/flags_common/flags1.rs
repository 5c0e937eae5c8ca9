//! The book's `flags.py` minus its `download_many`: what the simple clients share.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;

use super::codes::POP20_CC;
use super::http::{
    get_flag, make_dest_dir, save_flag, server_url, FlagError, DEFAULT_SERVER, NO_SERVER_HINT,
};

/// The simple clients wait at most this long for each flag (the book's `timeout=6.1`).
pub const TIMEOUT: Duration = Duration::from_millis(6100);

/// The simple clients' command line. The book's `flags*.py` take no arguments and hit
/// the remote site; these default to the local test server (`flags_server`).
#[derive(Debug, Parser)]
#[command(about = "Download the flags of the 20 most populous countries.")]
struct Args {
    /// Server to hit
    #[arg(
        short,
        long,
        value_name = "LABEL",
        default_value = DEFAULT_SERVER,
        ignore_case = true,
        value_parser = ["DELAY", "ERROR", "LOCAL", "REMOTE"],
    )]
    server: String,
    /// Use this base URL instead of the server's (e.g. http://127.0.0.1:8000/flags)
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
}

/// The book's `download_one` for the concurrent clients: fetch, save, print the code.
pub fn download_one(cc: &str, base_url: &str) -> Result<String, FlagError> {
    let image = get_flag(base_url, cc, TIMEOUT)?;
    save_flag(&image, &format!("{cc}.gif"))?;
    show_progress(cc);
    Ok(cc.to_string())
}

/// `print(cc, end=' ', flush=True)`.
pub fn show_progress(cc: &str) {
    // A closed stdout is not worth failing a download for.
    let mut stdout = std::io::stdout();
    let _ = write!(stdout, "{cc} ");
    let _ = stdout.flush();
}

/// How the downloads went: the book counts only successes (it stops at the first
/// exception); these clients go on, report each failure and count them.
#[derive(Debug, Default)]
pub struct Tally {
    /// Flags downloaded and saved.
    pub downloaded: usize,
    /// Flags that failed.
    pub failed: usize,
    /// Whether a connection could not be made (no server?).
    pub connect_failed: bool,
}

impl Tally {
    /// Records the outcome of one download; prints a failure, with its code, on stderr.
    pub fn record(&mut self, cc: &str, outcome: Result<(), FlagError>) {
        match outcome {
            Ok(()) => self.downloaded += 1,
            Err(error) => self.fail(cc, &error, matches!(error, FlagError::Connect(_))),
        }
    }

    /// Records one result of an executor's `map`: the task's own result inside the
    /// executor's (which is `Err` only if the task could not run to the end).
    pub fn record_task(
        &mut self,
        cc: &str,
        result: Result<Result<String, FlagError>, concurrent_futures::Error>,
    ) {
        match result {
            Ok(outcome) => self.record(cc, outcome.map(drop)),
            Err(error) => self.fail(cc, &error, false),
        }
    }

    /// Records a failure and prints it on stderr.
    pub fn fail(&mut self, cc: &str, error: &dyn std::fmt::Display, connect_failed: bool) {
        self.failed += 1;
        self.connect_failed |= connect_failed;
        eprintln!("\n{cc} error: {error}");
    }
}

/// The book's `main(downloader)`: parses the command line, creates `downloaded/`, times
/// `download_many` on the POP20 codes and prints `20 downloads in 1.23s`.
///
/// `download_many` gets the codes and the base URL. Exit status 1 if a download failed.
pub fn main<F>(download_many: F) -> ExitCode
where
    F: FnOnce(Vec<String>, &str) -> Result<Tally, concurrent_futures::Error>,
{
    let args = Args::parse();
    let base_url = match args.base_url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => server_url(&args.server)
            .expect("clap only accepts known labels")
            .to_string(),
    };
    if let Err(error) = make_dest_dir() {
        eprintln!("error: {error}");
        return ExitCode::FAILURE;
    }
    let cc_list = POP20_CC.map(String::from).to_vec();
    let t0 = Instant::now();
    let tally = match download_many(cc_list, &base_url) {
        Ok(tally) => tally,
        Err(error) => {
            eprintln!("\nerror: {error}");
            return ExitCode::FAILURE;
        }
    };
    let elapsed = t0.elapsed().as_secs_f64();
    say!("\n{} downloads in {elapsed:.2}s", tally.downloaded);
    if tally.failed == 0 {
        return ExitCode::SUCCESS;
    }
    eprintln!("{} downloads failed", tally.failed);
    if tally.connect_failed {
        eprintln!("{NO_SERVER_HINT}");
    }
    ExitCode::FAILURE
}
