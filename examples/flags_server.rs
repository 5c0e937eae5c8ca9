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
//! answers `418 I'm a Teapot` before even looking for the file. Like Python's
//! `ThreadingHTTPServer`, every connection is served concurrently from the first request
//! on: each connection and each request is a tokio task, and the delay is a
//! `tokio::time::sleep`, so the delays of concurrent requests overlap however many there
//! are (20 parallel requests to a 1 s DELAY server take 1 s, on a fresh server too).
//! `--port 0` picks a free port; the `Serving HTTP on ...` line says which. Requests are
//! logged on stderr like `http.server` does, plus the exact delay (`--quiet` to silence);
//! `--seed N` makes the delays and errors repeatable: the n-th request gets the same
//! delay on every run. When a client hangs up before its answer is ready, the server
//! prints `BR *** BrokenPipeError: client closed` as `slow_server.py` does, and still logs
//! the request.
//!
//! What changes from the Python: one program with flags instead of `http.server` plus
//! `slow_server.py`; it binds 127.0.0.1 unless `--bind` says otherwise; HTTP is hyper's
//! (HTTP/1.1, keep-alive), with Python's reason phrase `I'm a Teapot` for the 418 (the
//! `http` crate says `I'm a teapot`).

mod flags_common;

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use clap::Parser;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::ext::ReasonPhrase;
use hyper::header::{HeaderValue, CONNECTION, CONTENT_TYPE, SERVER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

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

/// What the request tasks share.
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

type Body = Full<Bytes>;

/// A response with `body`, its length and `content_type`.
fn response(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    let content_type = HeaderValue::from_str(content_type).expect("a valid content type");
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    response
}

/// What the log line needs to know of a request.
struct Served {
    response: Response<Body>,
    status: u16,
    delayed: String,
}

/// Serves one request: hyper runs it as its own task, so the delays of concurrent
/// requests overlap whatever their connection.
async fn handle(request: Request<Incoming>, client: IpAddr, state: Arc<State>) -> Response<Body> {
    let uri = request.uri().to_string();
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    let log_line = format!("\"{method} {uri} {:?}\"", request.version());
    // The work runs as a task of its own, so that it ends, and logs, even if the client
    // closes the connection (hyper then drops this future) while it waits.
    let (sender, receiver) = oneshot::channel();
    let cc = cc_of(&path);
    tokio::spawn(async move {
        let served = serve(&method, &path, &state).await;
        if !state.quiet {
            let now = chrono::Local::now().format("%d/%b/%Y %H:%M:%S");
            eprintln!(
                "{client} - - [{now}] {log_line} {} -{}",
                served.status, served.delayed
            );
        }
        if sender.send(served.response).is_err() {
            say!("{cc} *** BrokenPipeError: client closed");
        }
    });
    match receiver.await {
        Ok(response) => response,
        // The task panicked: a 500, as `http.server` would send.
        Err(_) => response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            "Internal server error\n",
        ),
    }
}

async fn serve(method: &Method, path: &str, state: &Arc<State>) -> Served {
    let mut delayed = String::new();
    let response = match *method {
        Method::GET => {
            if let Some(delay) = state.delay {
                let seconds = delay.min + (delay.max - delay.min) * state.random();
                say!("{} delay: {}s", cc_of(path), two_digits(seconds));
                delayed = format!(" (delayed {seconds:.3}s)");
                tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
            }
            if state.error_rate > 0.0 && state.random() < state.error_rate {
                teapot()
            } else {
                file(path, state).await
            }
        }
        // hyper sends the headers of a response to HEAD, without the body.
        Method::HEAD => file(path, state).await,
        _ => response(
            StatusCode::NOT_IMPLEMENTED,
            "text/plain; charset=UTF-8",
            "Unsupported method\n",
        ),
    };
    Served {
        status: response.status().as_u16(),
        response,
        delayed,
    }
}

/// The file at `path`, or a 404.
async fn file(path: &str, state: &Arc<State>) -> Response<Body> {
    // Reading a file or drawing a flag blocks: off the async worker threads.
    let (state, owned) = (Arc::clone(state), path.to_string());
    let found = tokio::task::spawn_blocking(move || state.lookup(&owned))
        .await
        .ok()
        .flatten();
    match found {
        Some((body, content_type)) => {
            let body = Bytes::from_owner(ArcBytes(body));
            response(StatusCode::OK, content_type, body)
        }
        None => response(StatusCode::NOT_FOUND, "text/plain", "File not found\n"),
    }
}

/// A shared flag as the bytes of a response body, without a copy.
struct ArcBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

/// `send_error(HTTPStatus.IM_A_TEAPOT, "I'm a Teapot")`: the phrase is Python's, not the
/// `I'm a teapot` of the `http` crate, and the connection closes as in `http.server`.
fn teapot() -> Response<Body> {
    let body = "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">\
                <title>Error response</title></head>\n<body>\n<h1>Error response</h1>\n\
                <p>Error code: 418</p>\n<p>Message: I'm a Teapot.</p>\n</body>\n</html>\n";
    let mut response = response(StatusCode::IM_A_TEAPOT, "text/html;charset=utf-8", body);
    response
        .extensions_mut()
        .insert(ReasonPhrase::from_static(b"I'm a Teapot"));
    let headers = response.headers_mut();
    headers.insert(SERVER, HeaderValue::from_static("flags_server"));
    headers.insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Serves every connection as a task of its own, from the first one on.
async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new());
    let http = Arc::new(http);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors, say: wait rather than spin.
                eprintln!("error: cannot accept a connection: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (state, http) = (Arc::clone(&state), Arc::clone(&http));
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(handle(request, peer.ip(), state).await) }
            });
            // A client that resets its connection is not the server's problem.
            let _ = http.serve_connection(TokioIo::new(stream), service).await;
        });
    }
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
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match runtime.block_on(TcpListener::bind((args.bind, args.port))) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "error: cannot listen on {}:{}: {error}",
                args.bind, args.port
            );
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(error) => {
            eprintln!("error: no local address: {error}");
            return ExitCode::FAILURE;
        }
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
    runtime.block_on(accept_loop(listener, state));
    ExitCode::SUCCESS
}
