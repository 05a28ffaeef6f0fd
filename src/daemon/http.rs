//! A minimal HTTP/1.1 responder for `/metrics`, `/healthz`, `/readyz`, and the live
//! stories page `/brief` with its data `/brief.json` (docs/stories.md).
//!
//! A few fixed GET endpoints do not justify a web framework; this reads the request
//! up to the end of its headers, answers, and closes the connection. It is bounded:
//! at most `metrics.max_connections` connections are served at once (more are
//! accepted and closed at once, so they cannot hold file handles), each has
//! [`HEADER_TIMEOUT`] to send its request and [`CONNECTION_TIMEOUT`] in all, and a
//! failing `accept` (file handles exhausted) backs off instead of spinning. It binds
//! to loopback unless `metrics.listen` says otherwise.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use super::stories::Brief;
use super::Health;

/// The `/brief` page: static HTML with inline JS that polls `/brief.json` every 2 s
/// and builds the page with `textContent` only (headlines are untrusted).
pub const BRIEF_HTML: &str = include_str!("brief.html");

/// `/brief`'s policy: its own inline script and style, requests to this listener only.
const BRIEF_CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Time a client has to send its request headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// Time one connection may take in all (request and response).
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(15);

/// Bind `listen` and serve in the background, at most `max_connections` at once.
pub async fn serve(
    listen: &str,
    max_connections: usize,
    handle: PrometheusHandle,
    health: Arc<Health>,
    brief: Arc<Brief>,
) -> Result<()> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding metrics listener {listen}"))?;
    tracing::info!(addr = %listener.local_addr()?, max_connections, "metrics, /healthz, /readyz and /brief listening");
    let permits = Arc::new(Semaphore::new(max_connections.max(1)));
    tokio::spawn(async move {
        let mut refused: u64 = 0;
        loop {
            let sock = match listener.accept().await {
                Ok((sock, _)) => sock,
                Err(e) => {
                    // EMFILE/ENFILE and friends: retrying at once would spin
                    tracing::warn!(error = %e, "metrics listener accept failed; backing off");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                refused += 1;
                if refused.is_power_of_two() {
                    tracing::warn!(
                        refused,
                        max_connections,
                        "metrics listener at its connection limit; closing new connections"
                    );
                }
                drop(sock);
                continue;
            };
            let handle = handle.clone();
            let health = health.clone();
            let brief = brief.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(
                    CONNECTION_TIMEOUT,
                    answer(sock, &handle, &health, &brief),
                )
                .await;
                drop(permit);
            });
        }
    });
    Ok(())
}

async fn answer(mut sock: TcpStream, handle: &PrometheusHandle, health: &Health, brief: &Brief) {
    // A request may arrive in several TCP segments: read up to the blank line that
    // ends the headers (bounded in size and time). Closing with unread bytes would
    // make the kernel reset the connection.
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let read_headers = async {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    if tokio::time::timeout(HEADER_TIMEOUT, read_headers)
        .await
        .is_err()
    {
        return;
    }
    let req = String::from_utf8_lossy(&buf);
    let path = req.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    let mut extra = "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n".to_string();
    let (status, ctype, body) = match path {
        "/metrics" => ("200 OK", "text/plain; version=0.0.4", handle.render()),
        "/brief" => {
            extra.push_str(&format!(
                "Content-Security-Policy: {BRIEF_CSP}\r\nReferrer-Policy: no-referrer\r\n"
            ));
            ("200 OK", "text/html; charset=utf-8", BRIEF_HTML.to_string())
        }
        "/brief.json" => (
            "200 OK",
            "application/json",
            brief.to_json(super::stories::now_secs()).to_string(),
        ),
        "/healthz" => ("200 OK", "text/plain", "ok\n".to_string()),
        "/readyz" if health.ready() => {
            ("200 OK", "text/plain", format!("ready\n{}", health.notes()))
        }
        "/readyz" => ("503 Service Unavailable", "text/plain", health.detail()),
        _ => ("404 Not Found", "text/plain", "not found\n".to_string()),
    };
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = sock.write_all(resp.as_bytes()).await;
    let _ = sock.shutdown().await;
}

/// `wirefeed healthcheck URL`: exit 0 when URL answers 200 (for container health
/// checks in images without curl).
pub async fn check(url: &str) -> Result<bool> {
    let rest = url.strip_prefix("http://").context("only http:// URLs")?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut sock =
        tokio::time::timeout(Duration::from_secs(3), tokio::net::TcpStream::connect(host))
            .await??;
    sock.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await?;
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(3), sock.read_to_end(&mut buf)).await??;
    Ok(buf.starts_with(b"HTTP/1.1 200") || buf.starts_with(b"HTTP/1.0 200"))
}
