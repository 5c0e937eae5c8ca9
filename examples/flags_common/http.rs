//! The HTTP side shared by every client: servers, `get_flag`, `save_flag`, errors.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The book's `SERVERS`, sorted by label. Labels are matched case-insensitively.
pub const SERVERS: [(&str, &str); 4] = [
    ("DELAY", "http://localhost:8001/flags"),
    ("ERROR", "http://localhost:8002/flags"),
    ("LOCAL", "http://localhost:8000/flags"),
    ("REMOTE", "https://www.fluentpython.com/data/flags"),
];

/// The label used when none is given.
pub const DEFAULT_SERVER: &str = "LOCAL";

/// Where the flags are saved, relative to the current directory.
pub const DEST_DIR: &str = "downloaded";

/// The base URL for a server label (any case), or `None` for an unknown label.
pub fn server_url(label: &str) -> Option<&'static str> {
    SERVERS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(label))
        .map(|&(_, url)| url)
}

/// "DELAY, ERROR, LOCAL, REMOTE", for help and usage messages.
pub fn server_options() -> String {
    SERVERS.map(|(label, _)| label).join(", ")
}

/// Why a flag could not be downloaded or saved.
///
/// A plain value, serializable, so that it can come back from a worker process too.
/// (Python raises `httpx.HTTPStatusError` or `httpx.RequestError`; here they are
/// variants, and the caller matches on them.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlagError {
    /// The server answered with an error status (404 included).
    Http {
        /// The status code, e.g. 418.
        status: u16,
        /// The reason phrase the server sent, e.g. "I'm a Teapot".
        reason: String,
        /// The URL that was asked for.
        url: String,
    },
    /// No connection could be made: nothing listens there, or the name does not resolve.
    Connect(String),
    /// Any other transport problem: a timeout, a connection reset, a bad response.
    Request(String),
    /// The image arrived but could not be written to `downloaded/`.
    Save(String),
}

impl FlagError {
    /// `true` for a 404, which the flags2 clients count as "not found", not an error.
    pub fn is_not_found(&self) -> bool {
        matches!(self, FlagError::Http { status: 404, .. })
    }
}

impl fmt::Display for FlagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // flags2's 'HTTP error {resp.status_code} - {resp.reason_phrase}'
            FlagError::Http { status, reason, .. } => write!(f, "HTTP error {status} - {reason}"),
            FlagError::Connect(message)
            | FlagError::Request(message)
            | FlagError::Save(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for FlagError {}

/// The book's `get_flag`: GET `{base_url}/{cc}/{cc}.gif` (lower case), following
/// redirects, giving up after `timeout`; the image bytes, or why not.
pub fn get_flag(base_url: &str, cc: &str, timeout: Duration) -> Result<Vec<u8>, FlagError> {
    let url = format!("{base_url}/{cc}/{cc}.gif").to_lowercase();
    // A fresh agent per call, like the book's `httpx.get(url, ...)`: one connection each.
    let agent = ureq::AgentBuilder::new().timeout(timeout).build();
    match agent.get(&url).call() {
        Ok(response) => {
            let mut image = Vec::new();
            response
                .into_reader()
                .read_to_end(&mut image)
                .map_err(|error| FlagError::Request(format!("{url}: reading the body: {error}")))?;
            Ok(image)
        }
        Err(ureq::Error::Status(status, response)) => Err(FlagError::Http {
            status,
            reason: response.status_text().to_string(),
            url: response.get_url().to_string(),
        }),
        Err(ureq::Error::Transport(transport)) => {
            let message = transport.to_string();
            Err(match transport.kind() {
                ureq::ErrorKind::ConnectionFailed | ureq::ErrorKind::Dns => {
                    FlagError::Connect(message)
                }
                _ => FlagError::Request(message),
            })
        }
    }
}

/// The book's `save_flag`: writes `downloaded/{filename}`.
pub fn save_flag(image: &[u8], filename: &str) -> Result<(), FlagError> {
    let path = Path::new(DEST_DIR).join(filename);
    std::fs::write(&path, image)
        .map_err(|error| FlagError::Save(format!("cannot write {}: {error}", path.display())))
}

/// Creates `downloaded/` if needed (the book's `DEST_DIR.mkdir(exist_ok=True)`).
pub fn make_dest_dir() -> Result<(), FlagError> {
    std::fs::create_dir_all(DEST_DIR)
        .map_err(|error| FlagError::Save(format!("cannot create {DEST_DIR}/: {error}")))
}

/// Printed once (on stderr) when connections failed: the likely reason, and the fix.
pub const NO_SERVER_HINT: &str = "hint: is the flags server running? Start one with \
     `cargo run --release --example flags_server` (add `-- --port 8001 --delay 0.5..5.0` \
     for DELAY, `-- --port 8002 --error-rate 0.25` for ERROR)";
