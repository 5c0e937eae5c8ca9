//! The test server for the flag downloaders: the book's three servers in one program.
//!
//! ```text
//! $ cargo run --release --example flags_server                      # LOCAL
//! $ cargo run --release --example flags_server -- --port 8001 --delay 0.5..5.0   # DELAY
//! $ cargo run --release --example flags_server -- --port 8002 --error-rate 0.25  # ERROR
//! Serving HTTP on 127.0.0.1 port 8001 (http://127.0.0.1:8001/) ...
//! BR delay: 2.3s
//! ```
//!
//! It serves `/flags/xx/xx.gif` for the 194 country codes that have a flag, 404 for
//! anything else. The images are made up (see `flags_common/gif.rs`): valid GIFs of
//! 1 to 36 KB, the same bytes on every run. `--dir PATH` serves the files under PATH
//! instead, e.g. the book's `flags.zip` unpacked; `--export PATH` writes the built-in
//! flags to `PATH/flags/xx/xx.gif` for any static file server (`python3 -m http.server`).
//!
//! Like the book's `slow_server.py`, every GET first waits a random time from the
//! `--delay` range (printing `BR delay: 2.3s`), then with probability `--error-rate`
//! answers `418 I'm a Teapot` before even looking for the file. Each request is served
//! on its own thread (Python's `ThreadingHTTPServer`), so concurrent clients are served
//! concurrently and their delays overlap. `--port 0` picks a free port; the
//! `Serving HTTP on ...` line says which. Requests are logged on stderr like
//! `http.server` does, plus the exact delay (`--quiet` to silence); `--seed N` makes the
//! delays and errors repeatable: the n-th request gets the same delay on every run.
//!
//! Known limit: tiny_http 0.12 hands new connections to a small thread pool whose idle
//! count can go stale in a burst, so on a freshly started server a burst of more than
//! about 4 new connections can leave some queued until earlier ones end (20 parallel
//! requests to a 1 s DELAY server take 2 s the first time, 1 s once the pool has grown;
//! its spare threads linger 5 s).
//!
//! What changes from the Python: one program with flags instead of `http.server` plus
//! `slow_server.py`; it binds 127.0.0.1 unless `--bind` says otherwise; HTTP is
//! tiny_http's, except the 418 response, written by hand because tiny_http's reason
//! phrase for 418 is "Unknown" and the clients print the phrase.

mod flags_common;

use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use clap::Parser;
use tiny_http::{Header, Method, Request, Response, Server};

use flags_common::codes::{has_flag, COUNTRY_CODES};
use flags_common::gif::flag_gif;
use flags_common::say;

#[derive(Debug, Parser)]
#[command(
    about = "The test server for the flag downloaders (the book's http.server and \
                   slow_server.py)."
)]
struct Args {
    /// Port to listen on; 0 picks a free port
    #[arg(short, long, default_value_t = 8000)]
    port: u16,
    /// Address to listen on
    #[arg(short, long, value_name = "ADDRESS", default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Delay each GET by a random time in this range, in seconds (e.g. 0.5..5.0, or 1.5)
    #[arg(long, value_name = "MIN..MAX", value_parser = parse_delay)]
    delay: Option<Delay>,
    /// Answer this fraction of GETs with "418 I'm a Teapot" (e.g. 0.25)
    #[arg(short, long, value_name = "PROBABILITY", default_value_t = 0.0,
          value_parser = parse_probability)]
    error_rate: f64,
    /// Serve the files under this directory instead of the built-in flags
    #[arg(short, long, value_name = "PATH")]
    dir: Option<PathBuf>,
    /// Write the built-in flags to PATH/flags/xx/xx.gif and exit
    #[arg(long, value_name = "PATH")]
    export: Option<PathBuf>,
    /// Seed the random delays and errors, for repeatable runs
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Do not log each request on stderr
    #[arg(short, long)]
    quiet: bool,
}

/// A range of delays, in seconds.
#[derive(Debug, Clone, Copy)]
struct Delay {
    min: f64,
    max: f64,
}

impl fmt::Display for Delay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{} s", self.min, self.max)
    }
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && (0.0..=3600.0).contains(&seconds) => Ok(seconds),
        _ => Err(format!(
            "`{text}` is not a number of seconds from 0 to 3600"
        )),
    }
}

fn parse_delay(text: &str) -> Result<Delay, String> {
    let (min, max) = match text.split_once("..") {
        Some((min, max)) => (parse_seconds(min)?, parse_seconds(max)?),
        None => {
            let fixed = parse_seconds(text)?;
            (fixed, fixed)
        }
    };
    if min > max {
        return Err(format!("MIN must not exceed MAX in `{text}`"));
    }
    Ok(Delay { min, max })
}

fn parse_probability(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("`{text}` is not a probability from 0 to 1")),
    }
}

/// What the request threads share.
struct State {
    delay: Option<Delay>,
    error_rate: f64,
    dir: Option<PathBuf>,
    quiet: bool,
    rng: Mutex<fastrand::Rng>,
    /// The built-in flags, generated on first request.
    flags: Mutex<HashMap<String, Arc<Vec<u8>>>>,
}

impl State {
    /// A random number in 0..1 (the rng is shared so that `--seed` repeats a run).
    fn random(&self) -> f64 {
        self.rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .f64()
    }

    /// The body and content type for `path`, or `None` for a 404.
    fn lookup(&self, path: &str) -> Option<(Arc<Vec<u8>>, &'static str)> {
        match &self.dir {
            Some(root) => from_dir(root, path),
            None => self.builtin(path).map(|gif| (gif, "image/gif")),
        }
    }

    /// `/flags/br/br.gif` and the like, for the 194 codes with a flag.
    fn builtin(&self, path: &str) -> Option<Arc<Vec<u8>>> {
        let (dir, file) = path.strip_prefix("/flags/")?.split_once('/')?;
        let cc = dir.to_ascii_uppercase();
        let valid = dir.len() == 2
            && dir.bytes().all(|b| b.is_ascii_lowercase())
            && file.strip_suffix(".gif") == Some(dir)
            && has_flag(&cc);
        if !valid {
            return None;
        }
        let mut flags = self.flags.lock().unwrap_or_else(PoisonError::into_inner);
        let gif = flags
            .entry(cc)
            .or_insert_with_key(|cc| Arc::new(flag_gif(cc)));
        Some(Arc::clone(gif))
    }
}

/// A file under `root`, refusing paths that climb out of it.
fn from_dir(root: &Path, path: &str) -> Option<(Arc<Vec<u8>>, &'static str)> {
    let mut full = root.to_path_buf();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if segment == "." || segment == ".." || segment.contains('\\') {
            return None;
        }
        full.push(segment);
    }
    if full.is_dir() {
        full.push("index.html");
    }
    let body = std::fs::read(&full).ok()?;
    let content_type = match full.extension().and_then(|e| e.to_str()) {
        Some("gif") => "image/gif",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("html" | "htm") => "text/html",
        Some("txt") => "text/plain",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    Some((Arc::new(body), content_type))
}

/// `slow_server.py`'s `self.path[-6:-4].upper()`: the country code in `/flags/br/br.gif`.
fn cc_of(path: &str) -> String {
    let chars: Vec<char> = path.chars().collect();
    let end = chars.len().saturating_sub(4);
    let start = chars.len().saturating_sub(6).min(end);
    chars[start..end].iter().collect::<String>().to_uppercase()
}

/// Python's `f'{delay:0.2}'`: two significant digits.
fn two_digits(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{seconds:.1}")
    } else {
        format!("{seconds:.2}")
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name, value).expect("a valid header")
}

/// Serves one request, on its own thread.
fn handle(request: Request, state: &State) {
    let path = request
        .url()
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_string();
    let log_line = format!(
        "\"{} {} HTTP/{}\"",
        request.method(),
        request.url(),
        request.http_version()
    );
    let client = request
        .remote_addr()
        .map_or("-".to_string(), |a| a.ip().to_string());
    let mut delayed = String::new();
    let status = match request.method() {
        Method::Get => {
            if let Some(delay) = state.delay {
                let seconds = delay.min + (delay.max - delay.min) * state.random();
                say!("{} delay: {}s", cc_of(&path), two_digits(seconds));
                delayed = format!(" (delayed {seconds:.3}s)");
                std::thread::sleep(Duration::from_secs_f64(seconds));
            }
            if state.error_rate > 0.0 && state.random() < state.error_rate {
                if teapot(request).is_err() {
                    say!("{} *** BrokenPipeError: client closed", cc_of(&path));
                }
                418
            } else {
                serve(request, &path, state)
            }
        }
        Method::Head => serve(request, &path, state),
        _ => {
            let response = Response::from_string("Unsupported method\n").with_status_code(501);
            let _ = request.respond(response);
            501
        }
    };
    if !state.quiet {
        let now = chrono::Local::now().format("%d/%b/%Y %H:%M:%S");
        eprintln!("{client} - - [{now}] {log_line} {status} -{delayed}");
    }
}

/// Sends the file at `path`, or a 404. Returns the status.
fn serve(request: Request, path: &str, state: &State) -> u16 {
    let (response, status) = match state.lookup(path) {
        Some((body, content_type)) => (
            Response::from_data(body.as_slice()).with_header(header("Content-Type", content_type)),
            200,
        ),
        None => (
            Response::from_data(&b"File not found\n"[..])
                .with_status_code(404)
                .with_header(header("Content-Type", "text/plain")),
            404,
        ),
    };
    if request.respond(response).is_err() {
        say!("{} *** BrokenPipeError: client closed", cc_of(path));
    }
    status
}

/// `send_error(HTTPStatus.IM_A_TEAPOT, "I'm a Teapot")`, written by hand for the phrase.
fn teapot(request: Request) -> std::io::Result<()> {
    let body = "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">\
                <title>Error response</title></head>\n<body>\n<h1>Error response</h1>\n\
                <p>Error code: 418</p>\n<p>Message: I'm a Teapot.</p>\n</body>\n</html>\n";
    let mut writer = request.into_writer();
    write!(
        writer,
        "HTTP/1.1 418 I'm a Teapot\r\nServer: flags_server\r\nConnection: close\r\n\
         Content-Type: text/html;charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    writer.flush()
}

/// `--export PATH`: the built-in flags as files.
fn export(root: &Path) -> std::io::Result<()> {
    for cc in COUNTRY_CODES {
        let lower = cc.to_lowercase();
        let dir = root.join("flags").join(&lower);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("{lower}.gif")), flag_gif(cc))?;
    }
    say!(
        "Wrote {} flags to {}",
        COUNTRY_CODES.len(),
        root.join("flags").display()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(root) = &args.export {
        return match export(root) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: cannot export to {}: {error}", root.display());
                ExitCode::FAILURE
            }
        };
    }
    let server = match Server::http((args.bind, args.port)) {
        Ok(server) => server,
        Err(error) => {
            eprintln!(
                "error: cannot listen on {}:{}: {error}",
                args.bind, args.port
            );
            return ExitCode::FAILURE;
        }
    };
    let Some(addr) = server.server_addr().to_ip() else {
        eprintln!("error: not listening on an IP address");
        return ExitCode::FAILURE;
    };
    let (host, port) = (addr.ip(), addr.port());
    say!("Serving HTTP on {host} port {port} (http://{host}:{port}/) ...");
    let what = match &args.dir {
        Some(dir) => format!("the files under {}", dir.display()),
        None => format!("{} flags at /flags/xx/xx.gif", COUNTRY_CODES.len()),
    };
    let delay = args
        .delay
        .map_or("no delay".to_string(), |d| format!("delay {d}"));
    say!("{what}; {delay}; error rate {}", args.error_rate);

    if let Err(error) = ctrlc::set_handler(|| {
        say!("\nKeyboard interrupt received, exiting.");
        std::process::exit(0);
    }) {
        eprintln!("warning: cannot handle Ctrl-C: {error}");
    }

    let state = Arc::new(State {
        delay: args.delay,
        error_rate: args.error_rate,
        dir: args.dir,
        quiet: args.quiet,
        rng: Mutex::new(
            args.seed
                .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed),
        ),
        flags: Mutex::new(HashMap::new()),
    });
    for request in server.incoming_requests() {
        let state = Arc::clone(&state);
        // A thread per request, like Python's ThreadingHTTPServer.
        let spawned = std::thread::Builder::new()
            .name("request".into())
            .spawn(move || handle(request, &state));
        if let Err(error) = spawned {
            eprintln!("error: cannot start a thread for a request: {error}");
        }
    }
    ExitCode::SUCCESS
}
