//! Shared by the integration tests: the local stack's addresses, a running
//! `simgate` process, and a minimal HTTP/1.1 client on loopback.
#![allow(dead_code, clippy::unwrap_used)]

pub mod broker;
pub mod tool;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The addresses `scripts/stack.sh start` wrote. Tests that use the stack
/// fail, never skip, when it is not running.
pub fn stack_env() -> HashMap<String, String> {
    let path = std::env::var("SIMGATE_STACK_ENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".stack/stack.env"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("local stack not running ({}: {e}); start it with scripts/stack.sh start", path.display())
    });
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// One value of the stack env file.
pub fn stack(key: &str) -> String {
    stack_env().remove(key).unwrap_or_else(|| panic!("{key} missing from the stack env file"))
}

/// Environment that turns every backend off, for tests of the process alone.
pub fn no_backends() -> Vec<(String, String)> {
    ["REDIS", "MONGO", "KAFKA"]
        .iter()
        .map(|b| (format!("SIMGATE__{b}__ENABLED"), "false".to_owned()))
        .collect()
}

/// A `simgate` child process whose stderr (JSON logs) is collected.
pub struct Gateway {
    pub child: Child,
    pub http: SocketAddr,
    logs: mpsc::Receiver<String>,
    pub log_lines: Vec<String>,
}

pub fn simgate() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_simgate"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::var("HOME").unwrap_or_default());
    cmd
}

impl Gateway {
    /// Starts `simgate serve` on an ephemeral loopback port with `env`
    /// and waits until its HTTP listener is bound.
    pub fn start(env: &[(String, String)]) -> Gateway {
        let mut cmd = simgate();
        cmd.arg("serve")
            .env("SIMGATE__HTTP__LISTEN", "127.0.0.1:0")
            .env("SIMGATE__LOG__FORMAT", "json")
            .env("SIMGATE__LOG__LEVEL", "info")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn simgate");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut gw = Gateway { child, http: "0.0.0.0:0".parse().unwrap(), logs: rx, log_lines: Vec::new() };
        gw.http = gw.logged_addr("http listener bound", "local_addr");
        gw
    }

    /// The address the applet listener bound (the gateway logs it at
    /// start), so tests can ask for port 0 instead of probing for a free one.
    pub fn applet_addr(&mut self) -> SocketAddr {
        self.logged_addr("applet listener started", "addr")
    }

    /// The address in `field` of the first JSON log line containing
    /// `needle`, waiting up to 20 s for it.
    fn logged_addr(&mut self, needle: &str, field: &str) -> SocketAddr {
        let line = self.wait_log(needle, Duration::from_secs(20));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        v[field].as_str().unwrap_or_else(|| panic!("no {field} in {line}")).parse().unwrap()
    }

    /// Waits for a log line containing `needle` and returns it.
    pub fn wait_log(&mut self, needle: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        if let Some(l) = self.log_lines.iter().find(|l| l.contains(needle)) {
            return l.clone();
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.logs.recv_timeout(left) {
                Ok(line) => {
                    self.log_lines.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no log line with {needle:?} within {within:?}; got:\n{}",
                    self.log_lines.join("\n")
                ),
            }
        }
    }

    /// GET on this gateway.
    pub fn get(&self, path: &str) -> std::io::Result<HttpResponse> {
        http_get(self.http, path)
    }

    /// Polls `path` until `pred` holds, for up to `within`.
    pub fn wait_for(
        &self,
        path: &str,
        within: Duration,
        pred: impl Fn(&HttpResponse) -> bool,
    ) -> HttpResponse {
        let deadline = Instant::now() + within;
        let mut last = None;
        while Instant::now() < deadline {
            if let Ok(resp) = self.get(path) {
                if pred(&resp) {
                    return resp;
                }
                last = Some(resp);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{path} never satisfied the condition within {within:?}; last: {last:?}");
    }

    /// Sends a signal by name (`TERM`, `INT`).
    pub fn signal(&self, name: &str) {
        let ok =
            Command::new("kill").arg(format!("-{name}")).arg(self.child.id().to_string()).status().unwrap();
        assert!(ok.success(), "kill -{name} failed");
    }

    /// Waits for the process to exit, for up to `within`.
    pub fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                self.log_lines.extend(self.logs.try_iter());
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A parsed HTTP response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A one-shot `GET` with `Connection: close`.
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<HttpResponse> {
    http_get_with(addr, path, &[])
}

/// A one-shot `GET` with extra request headers.
pub fn http_get_with(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> std::io::Result<HttpResponse> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n")?;
    read_response(&mut stream)
}

/// A one-shot request with a body (`POST`, `PUT`), `Connection: close`.
pub fn http_send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<HttpResponse> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    read_response(&mut stream)
}

/// The sum of every sample of metric `name` in Prometheus text, over all
/// label sets: `metric_sum(text, "simgate_smpp_bind_up")` is the binds up.
pub fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum()
}

/// Reads a whole `Connection: close` response.
fn read_response(stream: &mut TcpStream) -> std::io::Result<HttpResponse> {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no header end in {text:?}")))?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok(HttpResponse { status, headers, body: body.to_owned() })
}

impl Gateway {
    /// Moves the log lines that arrived so far into `log_lines`.
    pub fn drain_logs(&mut self) {
        self.log_lines.extend(self.logs.try_iter());
    }

    /// The last `n` log lines, for a failure message.
    pub fn last_logs(&mut self, n: usize) -> String {
        self.drain_logs();
        let from = self.log_lines.len().saturating_sub(n);
        self.log_lines[from..].join("\n")
    }
}

/// The sum of the samples of metric `name` whose label set contains
/// `label` (e.g. `outcome="unmatched"`).
pub fn metric_sum_where(text: &str, name: &str, label: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with('{'))
        .filter(|l| l.split_once('}').is_some_and(|(labels, _)| labels.contains(label)))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum()
}

/// An HTTP/1.1 connection kept alive across requests (bodies framed by
/// Content-Length); reconnects once when the server closed it.
pub struct HttpConn {
    addr: SocketAddr,
    stream: Option<BufReader<TcpStream>>,
}

impl HttpConn {
    /// A connection to `addr`, opened on first use.
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr, stream: None }
    }

    /// Sends one request and reads its response; on a kept connection the
    /// server had closed (end of file, broken pipe), tries once more on a
    /// fresh one.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> std::io::Result<HttpResponse> {
        let reused = self.stream.is_some();
        match self.try_send(method, path, headers, body) {
            Ok(r) => Ok(r),
            // Only a connection the server had closed while idle: a request
            // that timed out may have been served, and must not go twice.
            Err(e)
                if reused
                    && matches!(
                        e.kind(),
                        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::BrokenPipe
                    ) =>
            {
                self.stream = None;
                self.try_send(method, path, headers, body)
            }
            Err(e) => Err(e),
        }
    }

    fn try_send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> std::io::Result<HttpResponse> {
        if self.stream.is_none() {
            let stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2))?;
            stream.set_read_timeout(Some(Duration::from_secs(15)))?;
            stream.set_nodelay(true)?;
            self.stream = Some(BufReader::new(stream));
        }
        let reader = self.stream.as_mut().ok_or_else(|| std::io::Error::other("no connection"))?;
        let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{extra}Content-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        let result = reader.get_mut().write_all(request.as_bytes()).and_then(|()| read_framed(reader));
        match result {
            Ok((resp, close)) => {
                if close {
                    self.stream = None;
                }
                Ok(resp)
            }
            Err(e) => {
                self.stream = None;
                Err(e)
            }
        }
    }
}

/// Reads one Content-Length framed response; `true` when the server said
/// it closes the connection.
fn read_framed(reader: &mut BufReader<TcpStream>) -> std::io::Result<(HttpResponse, bool)> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed"));
    }
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "headers cut short"));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let resp = HttpResponse { status, headers, body: String::new() };
    let len: usize = resp.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let close = resp.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    Ok((HttpResponse { body: String::from_utf8_lossy(&body).into_owned(), ..resp }, close))
}

/// Polls `pred` every 100 ms until it holds; panics naming `what` when it
/// does not within `within`.
pub fn wait_until(within: Duration, what: &str, mut pred: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if pred() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} within {within:?}");
}
