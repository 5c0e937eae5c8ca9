//! The book's `flags2_common.py`, plus the `download_one` that `flags2_threadpool.py`
//! imports from `flags2_sequential.py` (one example cannot import from another here).

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::{CommandFactory, FromArgMatches, Parser};
use concurrent_futures::Future;
use indicatif::{ProgressBar, ProgressStyle};

use super::codes::{every_code, COUNTRY_CODES, POP20_CC};
use super::http::{
    get_flag, make_dest_dir, save_flag, server_options, server_url, FlagError, DEFAULT_SERVER,
    NO_SERVER_HINT,
};

/// The flags2 clients wait at most this long for each flag (the book's `timeout=3.1`).
pub const TIMEOUT: Duration = Duration::from_millis(3100);

/// The book's `DownloadStatus` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DownloadStatus {
    /// Downloaded and saved.
    Ok,
    /// The server said 404.
    NotFound,
    /// Anything else went wrong.
    Error,
}

/// The book's `Counter[DownloadStatus]`, plus a note of connection failures for the hint.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counter {
    /// `counter[DownloadStatus.OK]`
    pub ok: usize,
    /// `counter[DownloadStatus.NOT_FOUND]`
    pub not_found: usize,
    /// `counter[DownloadStatus.ERROR]`
    pub error: usize,
    /// How many of the errors were failures to connect.
    pub connect_errors: usize,
}

impl Counter {
    /// `counter[status] += 1`
    pub fn add(&mut self, status: DownloadStatus) {
        match status {
            DownloadStatus::Ok => self.ok += 1,
            DownloadStatus::NotFound => self.not_found += 1,
            DownloadStatus::Error => self.error += 1,
        }
    }

    /// The body of the book's `for` loops after the `try`: counts the outcome of one
    /// download and, in verbose mode, prints `BR error: HTTP error 418 - I'm a Teapot`.
    pub fn record(&mut self, cc: &str, outcome: Result<DownloadStatus, FlagError>, verbose: bool) {
        match outcome {
            Ok(status) => self.add(status),
            Err(error) => {
                self.add(DownloadStatus::Error);
                if matches!(error, FlagError::Connect(_)) {
                    self.connect_errors += 1;
                }
                if verbose {
                    say!("{cc} error: {error}");
                }
            }
        }
    }
}

/// The book's `flags2_sequential.download_one`: a 404 is a status (`NotFound`), any
/// other failure an `Err` for the caller to count. Prints `BR OK` or
/// `ZZ not found: <url>` in verbose mode.
pub fn download_one(cc: &str, base_url: &str, verbose: bool) -> Result<DownloadStatus, FlagError> {
    let (status, msg) = match get_flag(base_url, cc, TIMEOUT) {
        Ok(image) => {
            save_flag(&image, &format!("{cc}.gif"))?;
            (DownloadStatus::Ok, "OK".to_string())
        }
        Err(error) => not_found(error)?,
    };
    if verbose {
        say!("{cc} {msg}");
    }
    Ok(status)
}

/// What `download_one` makes of a failed GET: a 404 is a status, with the message
/// `not found: <url>`; anything else stays an error for the caller to count.
pub fn not_found(error: FlagError) -> Result<(DownloadStatus, String), FlagError> {
    match error {
        FlagError::Http {
            status: 404, url, ..
        } => Ok((DownloadStatus::NotFound, format!("not found: {url}"))),
        error => Err(error),
    }
}

/// A `tqdm`-like bar on stderr (hidden in verbose mode, and when stderr is not a
/// terminal).
pub fn progress_bar(len: usize, verbose: bool) -> ProgressBar {
    if verbose {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(
        "{percent:>3}%|{wide_bar}| {pos}/{len} [{elapsed_precise}<{eta_precise}, {per_sec}]",
    )
    .expect("the template is valid")
    .progress_chars("█▉▊▋▌▍▎▏ ");
    ProgressBar::new(len as u64).with_style(style)
}

/// A future that Ctrl-C cancels: the Rust stand-in for Python's `KeyboardInterrupt`.
///
/// Check it with `done()` between downloads, put it among the futures that
/// `as_completed` watches (through [`Future::erase_type`], whatever their type), or
/// await it beside the downloads: it completes the moment Ctrl-C is pressed, so the
/// loop wakes up at once. A second Ctrl-C exits immediately (status 130).
pub fn ctrl_c_future() -> Future<()> {
    let interrupt = Future::new();
    let handle = interrupt.clone();
    let presses = AtomicUsize::new(0);
    let installed = ctrlc::set_handler(move || {
        if presses.fetch_add(1, Ordering::SeqCst) == 0 {
            eprintln!(
                "\nInterrupted: finishing the downloads in progress (Ctrl-C again to quit now)"
            );
            handle.cancel();
        } else {
            std::process::exit(130);
        }
    });
    if let Err(error) = installed {
        eprintln!("warning: Ctrl-C will not stop the downloads cleanly: {error}");
    }
    interrupt
}

/// The flags2 command line: the book's `process_args`, plus `--base-url`.
#[derive(Debug, Parser)]
#[command(about = "Download flags for country codes. Default: top 20 countries by population.")]
struct Args {
    /// country code or 1st letter (eg. B for BA...BZ)
    #[arg(value_name = "CC")]
    cc: Vec<String>,
    /// get all available flags (AD to ZW)
    #[arg(short, long)]
    all: bool,
    /// get flags for every possible code (AA...ZZ)
    #[arg(short, long)]
    every: bool,
    /// limit to N first codes
    #[arg(short, long, value_name = "N", allow_negative_numbers = true)]
    limit: Option<i64>,
    /// maximum concurrent requests (the default is set per program)
    #[arg(
        short,
        long = "max_req",
        value_name = "CONCURRENT",
        allow_negative_numbers = true
    )]
    max_req: Option<i64>,
    /// Server to hit (the labels are listed at run time)
    #[arg(short, long, value_name = "LABEL", default_value = DEFAULT_SERVER)]
    server: String,
    /// output detailed progress info
    #[arg(short, long)]
    verbose: bool,
    /// use this URL instead of the server label's (e.g. http://127.0.0.1:8000/flags)
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
}

/// What `process_args` hands `main`.
struct Settings {
    cc_list: Vec<String>,
    server_label: String,
    base_url: String,
    verbose: bool,
    max_req: usize,
}

/// The book's `expand_cc_args`: sorted, deduplicated, at most `limit` codes.
fn expand_cc_args(
    every_cc: bool,
    all_cc: bool,
    cc_args: &[String],
    limit: usize,
) -> Result<Vec<String>, String> {
    let mut codes = BTreeSet::new();
    if every_cc {
        codes.extend(every_code());
    } else if all_cc {
        codes.extend(COUNTRY_CODES.map(String::from));
    } else {
        for cc in cc_args.iter().map(|cc| cc.to_uppercase()) {
            let letters = cc.chars().all(|c| c.is_ascii_uppercase());
            match cc.len() {
                1 if letters => codes.extend(('A'..='Z').map(|c| format!("{cc}{c}"))),
                2 if letters => {
                    codes.insert(cc);
                }
                _ => {
                    return Err(
                        "*** Usage error: each CC argument must be A to Z or AA to ZZ.".into(),
                    )
                }
            }
        }
    }
    Ok(codes.into_iter().take(limit).collect())
}

/// The book's `process_args`: a usage error prints the message and the usage line on
/// stdout and gives `Err(ExitCode::from(2))`, as `sys.exit(2)` does.
fn process_args(default_concur_req: usize) -> Result<Settings, ExitCode> {
    let mut command = Args::command()
        .mut_arg("max_req", |arg| {
            arg.help(format!(
                "maximum concurrent requests (default={default_concur_req})"
            ))
        })
        .mut_arg("server", |arg| {
            arg.help(format!(
                "Server to hit; one of {} (default={DEFAULT_SERVER})",
                server_options()
            ))
        });
    let usage = command.render_usage().to_string();
    let matches = command.get_matches_mut(); // --help, or a malformed value: exit 0 / 2
    let args = Args::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    let usage_error = |message: &str| {
        say!("{message}");
        say!("{usage}");
        ExitCode::from(2) // command line usage error
    };
    let max_req = args.max_req.unwrap_or(default_concur_req as i64);
    if max_req < 1 {
        return Err(usage_error(
            "*** Usage error: --max_req CONCURRENT must be >= 1",
        ));
    }
    let limit = args.limit.unwrap_or(i64::MAX);
    if limit < 1 {
        return Err(usage_error("*** Usage error: --limit N must be >= 1"));
    }
    let server_label = args.server.to_uppercase();
    let Some(server) = server_url(&server_label) else {
        return Err(usage_error(&format!(
            "*** Usage error: --server LABEL must be one of {}",
            server_options()
        )));
    };
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut cc_list = expand_cc_args(args.every, args.all, &args.cc, limit)
        .map_err(|message| usage_error(&message))?;
    if cc_list.is_empty() {
        let mut pop20 = POP20_CC.map(String::from).to_vec();
        pop20.sort();
        cc_list = pop20.into_iter().take(limit).collect();
    }
    let base_url = match args.base_url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => server.to_string(),
    };
    Ok(Settings {
        cc_list,
        server_label,
        base_url,
        verbose: args.verbose,
        max_req: usize::try_from(max_req).unwrap_or(usize::MAX),
    })
}

/// The book's `initial_report`.
fn initial_report(cc_list: &[String], actual_req: usize, server_label: &str, base_url: &str) {
    let cc_msg = if cc_list.len() <= 10 {
        cc_list.join(", ")
    } else {
        format!("from {} to {}", cc_list[0], cc_list[cc_list.len() - 1])
    };
    say!("{server_label} site: {base_url}");
    let plural = if cc_list.len() != 1 { "s" } else { "" };
    say!("Searching for {} flag{plural}: {cc_msg}", cc_list.len());
    if actual_req == 1 {
        say!("1 connection will be used.");
    } else {
        say!("{actual_req} concurrent connections will be used.");
    }
}

/// The book's `final_report`.
fn final_report(counter: &Counter, start_time: Instant) {
    let elapsed = start_time.elapsed().as_secs_f64();
    say!("{}", "-".repeat(20));
    let plural = if counter.ok != 1 { "s" } else { "" };
    say!("{:3} flag{plural} downloaded.", counter.ok);
    if counter.not_found > 0 {
        say!("{:3} not found.", counter.not_found);
    }
    if counter.error > 0 {
        let plural = if counter.error != 1 { "s" } else { "" };
        say!("{:3} error{plural}.", counter.error);
    }
    say!("Elapsed time: {elapsed:.2}s");
}

/// A flags2 `download_many(cc_list, base_url, verbose, concur_req)`.
pub type DownloadMany =
    fn(&[String], &str, bool, usize) -> Result<Counter, concurrent_futures::Error>;

/// The book's `flags2_common.main`.
pub fn main(
    download_many: DownloadMany,
    default_concur_req: usize,
    max_concur_req: usize,
) -> ExitCode {
    let settings = match process_args(default_concur_req) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let actual_req = settings
        .max_req
        .min(max_concur_req)
        .min(settings.cc_list.len());
    initial_report(
        &settings.cc_list,
        actual_req,
        &settings.server_label,
        &settings.base_url,
    );
    if let Err(error) = make_dest_dir() {
        eprintln!("error: {error}");
        return ExitCode::FAILURE;
    }
    let t0 = Instant::now();
    let counter = match download_many(
        &settings.cc_list,
        &settings.base_url,
        settings.verbose,
        actual_req,
    ) {
        Ok(counter) => counter,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    final_report(&counter, t0);
    if counter.connect_errors > 0 {
        eprintln!("{NO_SERVER_HINT}");
    }
    ExitCode::SUCCESS
}
