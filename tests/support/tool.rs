//! An operator tool run as an operator runs it: the built `simgate`
//! binary with its arguments, standard input and only the environment
//! given, killed after 30 s; what it printed and how it ended.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one run printed and how it ended.
pub struct ToolRun {
    /// The exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `simgate args...` with `stdin` and the variables `env` only.
pub fn run(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> ToolRun {
    let mut child = Command::new(env!("CARGO_BIN_EXE_simgate"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_owned();
    let writer = std::thread::spawn(move || {
        // The tool may exit before reading everything; that is its business.
        let _ = input.write_all(stdin.as_bytes());
    });
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            pipe.read_to_string(&mut s).unwrap();
            s
        })
    };
    let reader = read_all(Box::new(child.stdout.take().unwrap()));
    let err_reader = read_all(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("simgate {args:?} still running after 30 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    writer.join().unwrap();
    ToolRun { code: status.code(), stdout: reader.join().unwrap(), stderr: err_reader.join().unwrap() }
}
