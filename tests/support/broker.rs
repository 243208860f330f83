//! A Tansu broker of a test's own on a free loopback port (same binary and
//! storage as scripts/stack.sh), so a test that pauses or kills its broker
//! never touches the stack's shared one. Resumed and killed on drop, also
//! when the test fails.

use super::stack;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The broker process and its address.
pub struct PrivateBroker {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
}

impl PrivateBroker {
    /// Starts it and waits (up to 30 s) until it lists topics. Tansu
    /// cannot advertise a port it was given as 0, so the port is probed
    /// first; another process may take it before Tansu binds, in which
    /// case Tansu exits and the start is retried on a new port.
    pub fn start() -> Self {
        const ATTEMPTS: usize = 5;
        for attempt in 1..=ATTEMPTS {
            if let Some(broker) = Self::try_start() {
                return broker;
            }
            eprintln!("private tansu exited before it was ready (attempt {attempt}); its port was taken");
        }
        panic!("private tansu did not start in {ATTEMPTS} attempts");
    }

    /// One start on a probed port: `None` when Tansu exits before it is ready.
    fn try_start() -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(stack("SIMGATE_STACK_TANSU"))
            .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url])
            .args(["--storage-engine", "memory://tansu/"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut broker = Self { child, addr: format!("127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !broker.tansu(&["topic", "list", "--broker", &url]) {
            if broker.child.try_wait().unwrap().is_some() {
                return None;
            }
            assert!(Instant::now() < deadline, "private tansu not ready within 30s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(broker)
    }

    fn tansu(&self, args: &[&str]) -> bool {
        Command::new(stack("SIMGATE_STACK_TANSU"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Sends `sig` (`STOP`, `CONT`) to the broker process.
    pub fn signal(&self, sig: &str) {
        let ok =
            Command::new("kill").arg(format!("-{sig}")).arg(self.child.id().to_string()).status().unwrap();
        assert!(ok.success(), "kill -{sig}");
    }

    /// The process id, for CPU accounting.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-CONT").arg(self.child.id().to_string()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl PrivateBroker {
    /// Stops the broker process (SIGSTOP) until the returned guard drops.
    pub fn pause(&self) -> Paused<'_> {
        self.signal("STOP");
        Paused(self)
    }
}

/// A paused broker; resumed (SIGCONT) on drop, so a failing test never
/// leaves it stopped.
pub struct Paused<'a>(&'a PrivateBroker);

impl Drop for Paused<'_> {
    fn drop(&mut self) {
        self.0.signal("CONT");
    }
}
