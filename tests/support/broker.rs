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
    /// Starts it and waits (up to 30 s) until it lists topics.
    pub fn start() -> Self {
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
        let broker = Self { child, addr: format!("127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !broker.tansu(&["topic", "list", "--broker", &url]) {
            assert!(Instant::now() < deadline, "private tansu not ready within 30s");
            std::thread::sleep(Duration::from_millis(100));
        }
        broker
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
