//! End-to-end tests of the flag downloader examples: each test starts the built
//! `flags_server` example on a free port and runs the built client examples against it,
//! each in its own temporary directory (they write `downloaded/`).
//!
//! `cargo test` builds the examples first (into `target/<profile>/examples/`). Nothing
//! here sleeps to synchronise: the server's port and log lines arrive over channels,
//! and every wait has a generous deadline. Child processes are killed on drop.

#[allow(dead_code)]
#[path = "../examples/flags_common/codes.rs"]
mod codes;
#[allow(dead_code)]
#[path = "../examples/flags_common/gif.rs"]
mod gif;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// How long any single wait may take before the test fails (a loaded 2-core machine).
const DEADLINE: Duration = Duration::from_secs(120);

/// The built example `name`, beside this test binary: target/<profile>/examples/name.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo test` (which builds the examples) or `cargo build --examples`",
        path.display()
    );
    path
}

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "cf-flags-{label}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a temp dir");
        TempDir(path)
    }

    fn downloaded(&self, cc: &str) -> Vec<u8> {
        let path = self.0.join("downloaded").join(format!("{cc}.gif"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn downloaded_count(&self) -> usize {
        std::fs::read_dir(self.0.join("downloaded")).map_or(0, |dir| dir.count())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `flags_server`, killed on drop.
struct FlagServer {
    child: Child,
    port: u16,
    /// Every later line the server prints on stdout (`BR delay: 0.5s`, ...).
    lines: Receiver<String>,
}

impl FlagServer {
    fn start(args: &[&str]) -> FlagServer {
        let mut child = Command::new(example("flags_server"))
            .args(["--port", "0", "--quiet"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start flags_server");
        let stdout = child.stdout.take().expect("piped stdout");
        let (port_tx, port_rx) = mpsc::channel();
        let (line_tx, lines) = mpsc::channel();
        // Reads until the server dies, so that it never blocks on a full pipe.
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("Serving HTTP on ") {
                    let port = rest.split_whitespace().nth(2).and_then(|p| p.parse().ok());
                    let _ = port_tx.send(port);
                } else {
                    let _ = line_tx.send(line);
                }
            }
        });
        let mut server = FlagServer {
            child,
            port: 0,
            lines,
        };
        server.port = match port_rx.recv_timeout(DEADLINE) {
            Ok(Some(port)) => port,
            other => panic!("flags_server did not say its port: {other:?}"),
        };
        server
    }

    fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/flags", self.port)
    }

    /// Waits for the next stdout line that satisfies `wanted`.
    fn wait_for_line(&self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if wanted(&line) => return line,
                Ok(_) => {}
                Err(error) => panic!("no such line from flags_server: {error}"),
            }
        }
    }
}

impl Drop for FlagServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a finished client printed.
struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Run {
    fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    fn assert_no_panic(&self) {
        assert!(
            !self.stderr.contains("panicked"),
            "a panic message on stderr:\n{}",
            self.stderr
        );
    }
}

/// A child process with its output collected by threads, killed on drop.
struct Client {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
}

impl Client {
    fn spawn(name: &str, args: &[&str], dir: &TempDir) -> Client {
        let mut child = Command::new(example(name))
            .args(args)
            .current_dir(&dir.0)
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let stdout = collect(child.stdout.take().expect("piped"));
        let stderr = collect(child.stderr.take().expect("piped"));
        Client {
            child,
            stdout,
            stderr,
        }
    }

    /// Waits (with a deadline) for the client to exit.
    fn finish(mut self) -> Run {
        let deadline = Instant::now() + DEADLINE;
        let stdout = self
            .stdout
            .recv_timeout(DEADLINE)
            .expect("the client closed its stdout in time");
        let stderr = self
            .stderr
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the client closed its stderr in time");
        let status = self.child.wait().expect("wait for the client");
        Run {
            status,
            stdout,
            stderr,
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Reads a pipe to its end on a thread; the text arrives on the channel.
fn collect(mut pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        let _ = tx.send(text);
    });
    rx
}

fn run(name: &str, args: &[&str], dir: &TempDir) -> Run {
    Client::spawn(name, args, dir).finish()
}

fn pop20_sorted() -> Vec<&'static str> {
    let mut codes = codes::POP20_CC.to_vec();
    codes.sort();
    codes
}

/// Fetches a URL from the server (the bytes a client should have saved).
fn fetch(url: &str) -> Result<Vec<u8>, u16> {
    match ureq::get(url).timeout(DEADLINE).call() {
        Ok(response) => {
            let mut body = Vec::new();
            response
                .into_reader()
                .read_to_end(&mut body)
                .expect("read the body");
            Ok(body)
        }
        Err(ureq::Error::Status(status, _)) => Err(status),
        Err(error) => panic!("{url}: {error}"),
    }
}

/// Every POP20 flag in `dir` is byte-identical to what the server serves.
fn assert_pop20_identical(dir: &TempDir, server: &FlagServer) {
    for cc in pop20_sorted() {
        let lower = cc.to_lowercase();
        let served = fetch(&format!("{}/{lower}/{lower}.gif", server.base_url())).unwrap();
        assert_eq!(
            dir.downloaded(cc),
            served,
            "{cc}.gif differs from the server's"
        );
        assert_eq!(
            served,
            gif::flag_gif(cc),
            "{cc}: the server's bytes changed"
        );
    }
}

// ------------------------------------------------------------------------ the images

#[test]
fn every_built_in_flag_is_a_valid_gif_of_flag_size() {
    for cc in codes::COUNTRY_CODES {
        let bytes = gif::flag_gif(cc);
        assert!(
            (gif::MIN_SIZE..=gif::MAX_SIZE).contains(&bytes.len()),
            "{cc}: {} bytes",
            bytes.len()
        );
        assert_eq!(bytes, gif::flag_gif(cc), "{cc}: not deterministic");
        // An independent decoder (the `gif` crate) reads back exactly the pixels drawn.
        let mut options = ::gif::DecodeOptions::new();
        options.set_color_output(::gif::ColorOutput::Indexed);
        let mut decoder = options.read_info(&bytes[..]).expect("a GIF header");
        let image = gif::flag_image(cc);
        assert_eq!(
            (decoder.width(), decoder.height()),
            (image.width, image.height)
        );
        let frame = decoder
            .read_next_frame()
            .unwrap_or_else(|e| panic!("{cc}: {e}"))
            .expect("one frame");
        assert_eq!(
            frame.buffer.as_ref(),
            image.pixels.as_slice(),
            "{cc}: pixels"
        );
        assert!(decoder.read_next_frame().expect("a clean end").is_none());
    }
    assert_ne!(gif::flag_gif("BR"), gif::flag_gif("AR"));
}

// ------------------------------------------------------------------------ the server

#[test]
fn server_serves_the_built_in_flags_and_404_otherwise() {
    let server = FlagServer::start(&[]);
    let base = server.base_url();
    assert_eq!(fetch(&format!("{base}/br/br.gif")), Ok(gif::flag_gif("BR")));
    assert_eq!(fetch(&format!("{base}/zw/zw.gif")), Ok(gif::flag_gif("ZW")));
    for missing in [
        "zz/zz.gif",
        "BR/BR.gif",
        "br/cn.gif",
        "br/",
        "br/br.gif.bak",
    ] {
        assert_eq!(fetch(&format!("{base}/{missing}")), Err(404), "{missing}");
    }
    let root = format!("http://127.0.0.1:{}/", server.port);
    assert_eq!(fetch(&root), Err(404));
}

#[test]
fn server_prints_each_delay_like_slow_server() {
    let server = FlagServer::start(&["--delay", "0.01..0.02"]);
    assert!(fetch(&format!("{}/br/br.gif", server.base_url())).is_ok());
    let line = server.wait_for_line(|line| line.contains("delay:"));
    assert!(
        line == "BR delay: 0.01s" || line == "BR delay: 0.02s",
        "{line}"
    );
}

#[test]
fn exported_flags_served_from_a_directory_are_the_same() {
    let files = TempDir::new("export");
    let export = run(
        "flags_server",
        &["--export", files.0.to_str().unwrap()],
        &files,
    );
    assert!(export.status.success(), "{}", export.stderr);
    let on_disk = std::fs::read(files.0.join("flags/br/br.gif")).unwrap();
    assert_eq!(on_disk, gif::flag_gif("BR"));

    let server = FlagServer::start(&["--dir", files.0.to_str().unwrap()]);
    let dir = TempDir::new("from-dir");
    let run = run(
        "flags2_threadpool",
        &["-a", "--base-url", &server.base_url()],
        &dir,
    );
    assert!(run.status.success());
    assert!(
        run.lines().contains(&"194 flags downloaded."),
        "{}",
        run.stdout
    );
    assert_eq!(dir.downloaded("ZW"), gif::flag_gif("ZW"));
}

// ------------------------------------------------------------------------ simple clients

fn check_simple_client(name: &str) {
    let server = FlagServer::start(&[]);
    let dir = TempDir::new(name);
    let run = run(name, &["--base-url", &server.base_url()], &dir);
    run.assert_no_panic();
    assert!(run.status.success(), "{name}: {}", run.stderr);
    let lines = run.lines();
    let mut printed: Vec<&str> = lines[0].split_whitespace().collect();
    if name == "flags" {
        assert_eq!(printed, pop20_sorted(), "sequential: in order");
    }
    printed.sort();
    assert_eq!(printed, pop20_sorted());
    assert!(lines[1].starts_with("20 downloads in "), "{}", run.stdout);
    assert!(lines[1].ends_with('s'));
    assert_eq!(dir.downloaded_count(), 20);
    assert_pop20_identical(&dir, &server);
}

#[test]
fn flags_downloads_pop20_in_order() {
    check_simple_client("flags");
}

#[test]
fn flags_threadpool_downloads_pop20() {
    check_simple_client("flags_threadpool");
}

#[test]
fn flags_asyncio_downloads_pop20() {
    check_simple_client("flags_asyncio");
}

#[test]
fn flags_processpool_downloads_pop20() {
    check_simple_client("flags_processpool");
}

#[test]
fn flags_threadpool_futures_shows_the_futures() {
    let server = FlagServer::start(&[]);
    let dir = TempDir::new("futures");
    let run = run(
        "flags_threadpool_futures",
        &["--base-url", &server.base_url()],
        &dir,
    );
    run.assert_no_panic();
    assert!(run.status.success(), "{}", run.stderr);
    let lines = run.lines();
    for (line, cc) in lines.iter().zip(["BR", "CN", "ID", "IN", "US"]) {
        let prefix = format!("Scheduled for {cc}: <Future at 0x");
        assert!(line.starts_with(&prefix), "{line}");
        assert!(
            line.ends_with(" state=pending>") || line.ends_with(" state=running>"),
            "{line}"
        );
    }
    let results: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.contains("state=finished returned String> result: \""))
        .collect();
    assert_eq!(results.len(), 5, "{}", run.stdout);
    assert!(lines.last().unwrap().starts_with("5 downloads in "));
    assert_eq!(dir.downloaded_count(), 5);
    assert_eq!(dir.downloaded("ID"), gif::flag_gif("ID"));
}

// ------------------------------------------------------------------------ flags2 clients

/// The three flags2 clients: same command line, messages, reports and exit codes.
const FLAGS2_CLIENTS: [&str; 3] = ["flags2_sequential", "flags2_threadpool", "flags2_asyncio"];

fn check_flags2_pop20(name: &str, connections: &str) {
    let server = FlagServer::start(&[]);
    let dir = TempDir::new(name);
    let base = server.base_url();
    let run = run(name, &["--base-url", &base], &dir);
    run.assert_no_panic();
    assert!(run.status.success(), "{}", run.stderr);
    let lines = run.lines();
    assert_eq!(lines.len(), 6, "{}", run.stdout);
    assert_eq!(lines[0], format!("LOCAL site: {base}"));
    assert_eq!(lines[1], "Searching for 20 flags: from BD to VN");
    assert_eq!(lines[2], connections);
    assert_eq!(lines[3], "--------------------");
    assert_eq!(lines[4], " 20 flags downloaded.");
    assert!(lines[5].starts_with("Elapsed time: ") && lines[5].ends_with('s'));
    assert_pop20_identical(&dir, &server);
}

#[test]
fn flags2_sequential_downloads_pop20() {
    check_flags2_pop20("flags2_sequential", "1 connection will be used.");
}

#[test]
fn flags2_threadpool_downloads_pop20() {
    check_flags2_pop20(
        "flags2_threadpool",
        "20 concurrent connections will be used.",
    );
}

#[test]
fn flags2_asyncio_downloads_pop20() {
    check_flags2_pop20("flags2_asyncio", "20 concurrent connections will be used.");
}

fn check_every(name: &str) {
    let server = FlagServer::start(&[]);
    let dir = TempDir::new(name);
    let run = run(name, &["-e", "--base-url", &server.base_url()], &dir);
    run.assert_no_panic();
    let lines = run.lines();
    assert_eq!(lines[1], "Searching for 676 flags: from AA to ZZ");
    assert!(lines.contains(&"194 flags downloaded."), "{}", run.stdout);
    assert!(lines.contains(&"482 not found."), "{}", run.stdout);
    assert!(!run.stdout.contains("error"), "{}", run.stdout);
    assert_eq!(dir.downloaded_count(), 194);
}

#[test]
fn flags2_sequential_every_code() {
    check_every("flags2_sequential");
}

#[test]
fn flags2_threadpool_every_code() {
    check_every("flags2_threadpool");
}

#[test]
fn flags2_asyncio_every_code() {
    check_every("flags2_asyncio");
}

#[test]
fn flags2_verbose_lines() {
    let server = FlagServer::start(&[]);
    let dir = TempDir::new("verbose");
    let base = server.base_url();
    for name in FLAGS2_CLIENTS {
        let run = run(name, &["-v", "br", "ZZ", "--base-url", &base], &dir);
        let lines = run.lines();
        assert_eq!(lines[1], "Searching for 2 flags: BR, ZZ");
        assert!(lines.contains(&"BR OK"), "{}", run.stdout);
        let not_found = format!("ZZ not found: {base}/zz/zz.gif");
        assert!(lines.contains(&not_found.as_str()), "{}", run.stdout);
        assert!(lines.contains(&"  1 flag downloaded."), "{}", run.stdout);
        assert!(lines.contains(&"  1 not found."), "{}", run.stdout);
    }
}

#[test]
fn flags2_letters_and_limit() {
    let server = FlagServer::start(&[]);
    let dir = TempDir::new("limit");
    let args = [
        "-l",
        "3",
        "-m",
        "5000",
        "b",
        "--base-url",
        &server.base_url(),
    ];
    let run = run("flags2_threadpool", &args, &dir);
    let lines = run.lines();
    assert_eq!(lines[1], "Searching for 3 flags: BA, BB, BC");
    assert_eq!(lines[2], "3 concurrent connections will be used.");
    assert!(lines.contains(&"  2 flags downloaded."), "{}", run.stdout);
    assert!(lines.contains(&"  1 not found."), "{}", run.stdout);
}

#[test]
fn error_rate_one_gives_all_errors() {
    let server = FlagServer::start(&["--error-rate", "1"]);
    let dir = TempDir::new("teapot");
    let base = server.base_url();
    for name in ["flags2_threadpool", "flags2_asyncio"] {
        let run = run(name, &["-v", "--base-url", &base], &dir);
        run.assert_no_panic();
        let lines = run.lines();
        assert!(lines.contains(&" 20 errors."), "{name}: {}", run.stdout);
        assert!(lines.contains(&"  0 flags downloaded."), "{}", run.stdout);
        for cc in pop20_sorted() {
            let line = format!("{cc} error: HTTP error 418 - I'm a Teapot");
            assert!(
                lines.contains(&line.as_str()),
                "{name}: {line}\n{}",
                run.stdout
            );
        }
    }
    let sequential = self::run("flags2_sequential", &["--base-url", &base], &dir);
    assert!(
        sequential.lines().contains(&" 20 errors."),
        "{}",
        sequential.stdout
    );

    for name in ["flags", "flags_asyncio"] {
        let simple = self::run(name, &["--base-url", &base], &dir);
        assert_eq!(simple.status.code(), Some(1));
        assert!(simple
            .stderr
            .contains("BR error: HTTP error 418 - I'm a Teapot"));
        assert!(simple.stdout.contains("0 downloads in "));
    }
    assert_eq!(dir.downloaded_count(), 0);
}

// ------------------------------------------------------------------------ failures

#[test]
fn usage_errors_exit_2() {
    let dir = TempDir::new("usage");
    let cases: [(&[&str], &str); 5] = [
        (
            &["-m", "0"],
            "*** Usage error: --max_req CONCURRENT must be >= 1",
        ),
        (
            &["--max_req", "-3"],
            "*** Usage error: --max_req CONCURRENT must be >= 1",
        ),
        (&["-l", "0"], "*** Usage error: --limit N must be >= 1"),
        (
            &["-s", "nowhere"],
            "*** Usage error: --server LABEL must be one of DELAY, ERROR, LOCAL, REMOTE",
        ),
        (
            &["BR", "1"],
            "*** Usage error: each CC argument must be A to Z or AA to ZZ.",
        ),
    ];
    for name in FLAGS2_CLIENTS {
        for (args, message) in cases {
            let run = run(name, args, &dir);
            assert_eq!(run.status.code(), Some(2), "{name} {args:?}");
            let lines = run.lines();
            assert_eq!(lines[0], message, "{name} {args:?}");
            assert!(lines[1].starts_with("Usage: "), "{}", run.stdout);
        }
        let malformed = run(name, &["-m", "many"], &dir);
        assert_eq!(malformed.status.code(), Some(2));
    }
    let simple = run("flags", &["--server", "nowhere"], &dir);
    assert_eq!(simple.status.code(), Some(2));
    let server = run("flags_server", &["--delay", "5..1"], &dir);
    assert_eq!(server.status.code(), Some(2));
    assert_eq!(dir.downloaded_count(), 0);
}

/// A port on which nothing listens (taken from the OS, then released).
fn dead_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/flags")
}

#[test]
fn no_server_gives_a_clear_error_per_code() {
    let dir = TempDir::new("no-server");
    let base = dead_base_url();
    for name in FLAGS2_CLIENTS {
        let run = run(name, &["-v", "BR", "CN", "--base-url", &base], &dir);
        run.assert_no_panic();
        assert!(run.status.success());
        let lines = run.lines();
        assert!(lines.contains(&"  2 errors."), "{}", run.stdout);
        for cc in ["BR", "CN"] {
            let prefix = format!("{cc} error: {base}/{}", cc.to_lowercase());
            let line = lines.iter().find(|l| l.starts_with(&prefix));
            let line = line.unwrap_or_else(|| panic!("no {prefix}:\n{}", run.stdout));
            assert!(line.contains("Connection refused"), "{line}");
        }
        assert!(run.stderr.contains("is the flags server running?"));
    }
    for name in [
        "flags",
        "flags_threadpool",
        "flags_threadpool_futures",
        "flags_asyncio",
    ] {
        let run = run(name, &["--base-url", &base], &dir);
        run.assert_no_panic();
        assert_eq!(run.status.code(), Some(1), "{name}");
        assert!(run.stderr.contains("BR error: "), "{name}: {}", run.stderr);
        assert!(run.stderr.contains("Connection refused"), "{}", run.stderr);
        assert!(run.stdout.contains("0 downloads in "), "{}", run.stdout);
    }
}

/// Runs `client` on five codes with `-m 2` against a server whose every answer takes
/// 5 s (longer than the 3.1 s timeout), presses Ctrl-C once both requests in flight
/// reached the server, and checks what every flags2 client must do then: a clean
/// report, exit status 0, the interruption said on stderr.
fn interrupt_with_two_requests_in_flight(client: &str) -> Run {
    let server = FlagServer::start(&["--delay", "5"]);
    let dir = TempDir::new(&format!("ctrl-c-{client}"));
    let args = ["-m", "2", "BR", "CN", "ID", "IN", "US"];
    let client = Client::spawn(
        client,
        &[&args[..], &["--base-url", &server.base_url()]].concat(),
        &dir,
    );
    // Both requests reached the server, so the downloads (and the handler) are set
    // up and both are running: interrupted earlier, a loaded machine could still have
    // the second one queued, and it would be cancelled instead of failing.
    for _ in 0..2 {
        server.wait_for_line(|line| line.contains("delay:"));
    }
    let interrupted = Command::new("kill")
        .args(["-INT", &client.child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(interrupted.success());
    let run = client.finish();
    run.assert_no_panic();
    assert!(run.status.success(), "{}", run.stderr);
    let lines = run.lines();
    assert!(lines.contains(&"--------------------"), "{}", run.stdout);
    assert!(lines.contains(&"  0 flags downloaded."), "{}", run.stdout);
    assert!(lines.last().unwrap().starts_with("Elapsed time: "));
    assert!(run.stderr.contains("Interrupted"), "{}", run.stderr);
    run
}

/// The two downloads in flight end as errors (at the timeout); the three queued are
/// cancelled.
#[test]
fn ctrl_c_stops_flags2_threadpool_and_still_reports() {
    let run = interrupt_with_two_requests_in_flight("flags2_threadpool");
    assert!(run.lines().contains(&"  2 errors."), "{}", run.stdout);
}

/// Ctrl-C completes the interrupt future that flags2_asyncio awaits beside the
/// downloads: the loop stops at once and the requests in flight are dropped, not left
/// to time out and be counted.
#[test]
fn ctrl_c_stops_flags2_asyncio_and_still_reports() {
    let run = interrupt_with_two_requests_in_flight("flags2_asyncio");
    assert!(!run.stdout.contains("error"), "{}", run.stdout);
}
