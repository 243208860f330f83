//! `simgate healthcheck`: asks a running instance's `/health` and exits 0
//! when it answers 200. Container images without curl use it as their
//! HEALTHCHECK.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

/// Performs `GET /health` on `addr` with a `timeout` for connect and read.
pub(super) fn run(addr: SocketAddr, timeout: Duration) -> ExitCode {
    match probe(addr, timeout) {
        Ok(200) => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("simgate: {addr}/health answered {status}");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("simgate: {addr}/health: {err}");
            ExitCode::FAILURE
        }
    }
}

fn probe(addr: SocketAddr, timeout: Duration) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(stream, "GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")?;
    // The status line fits in the first read; the body is not needed.
    let mut head = [0u8; 64];
    let n = stream.read(&mut head)?;
    let line = String::from_utf8_lossy(&head[..n]);
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("not an HTTP response"))
}
