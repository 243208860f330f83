//! `mt_load`: the MT load loop of `scripts/bench-pipeline.sh`. Posts N
//! messages to `POST /v1/messages` of one or more gateways with bounded
//! concurrency (one keep-alive connection per worker thread), then polls
//! the gateways' `/metrics` until the receipts of all of them are matched
//! (`simgate_inbound_receipts_total{outcome="matched"}`, counted from its
//! value before the run), and prints one line of `key=value` results.
//!
//! ```sh
//! cargo run --release --example mt_load -- --gateway 127.0.0.1:8080 \
//!     --key "$KEY" --count 20000 --concurrency 16 --tag run1
//! ```
//!
//! Exit status 1 when a request was refused or the receipts did not all
//! arrive within `--settle-timeout` seconds.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Args {
    gateways: Vec<SocketAddr>,
    key: String,
    count: usize,
    concurrency: usize,
    tag: String,
    settle_timeout: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        gateways: Vec::new(),
        key: String::new(),
        count: 20_000,
        concurrency: 16,
        tag: "bench".to_owned(),
        settle_timeout: Duration::from_secs(600),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|_| format!("{flag}: not a number: {value}"));
        match flag.as_str() {
            "--gateway" => args.gateways.push(value.parse().map_err(|_| format!("--gateway: {value}"))?),
            "--key" => args.key = value,
            "--count" => args.count = number()?,
            "--concurrency" => args.concurrency = number()?.max(1),
            "--tag" => args.tag = value,
            "--settle-timeout" => args.settle_timeout = Duration::from_secs(number()? as u64),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if args.gateways.is_empty() || args.key.is_empty() {
        return Err("--gateway and --key are required".to_owned());
    }
    Ok(args)
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    addr: SocketAddr,
    reader: Option<BufReader<TcpStream>>,
}

impl Conn {
    fn request(&mut self, method: &str, path: &str, key: &str, body: &str) -> std::io::Result<(u16, String)> {
        let reused = self.reader.is_some();
        match self.try_request(method, path, key, body) {
            // A kept connection the server had closed while idle: once more.
            // Never after a timeout: the request may have been served.
            Err(e)
                if reused
                    && matches!(
                        e.kind(),
                        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::BrokenPipe
                    ) =>
            {
                self.reader = None;
                self.try_request(method, path, key, body)
            }
            Err(e) => {
                self.reader = None;
                Err(e)
            }
            ok => ok,
        }
    }

    fn try_request(
        &mut self,
        method: &str,
        path: &str,
        key: &str,
        body: &str,
    ) -> std::io::Result<(u16, String)> {
        if self.reader.is_none() {
            let s = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2))?;
            s.set_read_timeout(Some(Duration::from_secs(30)))?;
            s.set_nodelay(true)?;
            self.reader = Some(BufReader::new(s));
        }
        let reader = self.reader.as_mut().ok_or_else(|| std::io::Error::other("no connection"))?;
        write!(
            reader.get_mut(),
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        )?;
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let status = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut len = 0usize;
        let mut close = false;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let l = line.trim_end().to_ascii_lowercase();
            if l.is_empty() {
                break;
            }
            if let Some(v) = l.strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
            close |= l == "connection: close";
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        if close {
            self.reader = None;
        }
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

/// The matched receipts a gateway reports.
fn matched(addr: SocketAddr, key: &str) -> f64 {
    let mut conn = Conn { addr, reader: None };
    let Ok((_, text)) = conn.request("GET", "/metrics", key, "") else { return 0.0 };
    text.lines()
        .filter(|l| l.starts_with("simgate_inbound_receipts_total{") && l.contains("outcome=\"matched\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn main() {
    let args = match parse_args() {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("mt_load: {e}");
            std::process::exit(64);
        }
    };
    let before: f64 = args.gateways.iter().map(|g| matched(*g, &args.key)).sum();
    let next = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..args.concurrency)
        .map(|_| {
            let (args, next, refused) = (args.clone(), next.clone(), refused.clone());
            std::thread::spawn(move || {
                let mut conns: Vec<Conn> =
                    args.gateways.iter().map(|g| Conn { addr: *g, reader: None }).collect();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= args.count {
                        break;
                    }
                    let body = format!(
                        r#"{{"destination":"+1555{:07}","source":"SIMGATE","text":"{} message {n}","registered_delivery":true}}"#,
                        n % 10_000_000,
                        args.tag
                    );
                    let which = n % conns.len();
                    let conn = &mut conns[which];
                    if !matches!(conn.request("POST", "/v1/messages", &args.key, &body), Ok((202, _))) {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    let posted = started.elapsed();
    let refused = refused.load(Ordering::Relaxed);
    let want = (args.count - refused) as f64;
    let deadline = Instant::now() + args.settle_timeout;
    let mut done = 0.0;
    while Instant::now() < deadline {
        done = args.gateways.iter().map(|g| matched(*g, &args.key)).sum::<f64>() - before;
        if done >= want {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let settled = started.elapsed();
    println!(
        "count={} refused={refused} matched={done} post_secs={:.3} settled_secs={:.3} rate={:.1}",
        args.count,
        posted.as_secs_f64(),
        settled.as_secs_f64(),
        done / settled.as_secs_f64()
    );
    if refused > 0 || done < want {
        std::process::exit(1);
    }
}
