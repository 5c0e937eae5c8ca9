//! The async HTTP side of `flags_asyncio` and `flags2_asyncio`: the book's `httpx`
//! `AsyncClient` calls, on reqwest (plain HTTP, no TLS: the test server is local).
//! Errors are the same [`FlagError`] values as the blocking clients', so the reports
//! read the same.

use std::error::Error as _;
use std::time::Duration;

use super::http::FlagError;

/// One client for every request, like the book's `async with httpx.AsyncClient()`:
/// its connection pool is shared by all the downloads.
pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// The book's async `get_flag`: GET `{base_url}/{cc}/{cc}.gif` (lower case), following
/// redirects, giving up after `timeout`; the image bytes, or why not.
pub async fn get_flag(
    client: &reqwest::Client,
    base_url: &str,
    cc: &str,
    timeout: Duration,
) -> Result<Vec<u8>, FlagError> {
    let url = format!("{base_url}/{cc}/{cc}.gif").to_lowercase();
    let response = client
        .get(&url)
        .timeout(timeout)
        .send()
        .await
        .map_err(|error| request_error(&url, &error))?;
    let status = response.status();
    if !status.is_success() {
        return Err(FlagError::Http {
            status: status.as_u16(),
            reason: reason_phrase(&response),
            url: response.url().to_string(),
        });
    }
    let body = response.bytes().await;
    let image = body.map_err(|error| request_error(&url, &error))?;
    Ok(image.to_vec())
}

/// The reason phrase the server sent (`I'm a Teapot`), which hyper keeps only when it
/// is not the standard one; else the standard one.
fn reason_phrase(response: &reqwest::Response) -> String {
    match response.extensions().get::<hyper::ext::ReasonPhrase>() {
        Some(sent) => String::from_utf8_lossy(sent.as_bytes()).into_owned(),
        None => response
            .status()
            .canonical_reason()
            .unwrap_or("")
            .to_string(),
    }
}

/// `http://…/br/br.gif: client error (Connect): tcp connect error: Connection refused`:
/// the URL, then each cause below reqwest's own "error sending request" (which only
/// repeats the URL), so that the root cause, what a user can act on, is in the message.
fn request_error(url: &str, error: &reqwest::Error) -> FlagError {
    let mut message = url.to_string();
    let mut cause = error.source();
    if cause.is_none() {
        message.push_str(&format!(": {error}"));
    }
    while let Some(reason) = cause {
        message.push_str(&format!(": {reason}"));
        cause = reason.source();
    }
    if error.is_connect() {
        FlagError::Connect(message)
    } else {
        FlagError::Request(message)
    }
}
