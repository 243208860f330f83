//! Process metrics read from `/proc/self` at scrape time: CPU seconds,
//! resident and virtual memory, open and maximum file descriptors, threads
//! and start time, under the conventional `process_*` names.
//!
//! `/proc` reports CPU time in clock ticks of `USER_HZ`, which Linux fixes at
//! 100 for user space on every architecture, so no libc call is needed. On a
//! system without `/proc` the collector exports nothing.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

/// Clock ticks per second in `/proc/<pid>/stat` (Linux `USER_HZ`).
const USER_HZ: f64 = 100.0;

/// Collects process metrics on every scrape.
#[derive(Debug, Default)]
pub struct ProcessCollector;

/// One reading of `/proc/self`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessSnapshot {
    /// User plus system CPU time, in seconds.
    pub cpu_seconds: f64,
    /// Resident set size, in bytes.
    pub resident_bytes: i64,
    /// Virtual memory size, in bytes.
    pub virtual_bytes: i64,
    /// Threads in the process.
    pub threads: i64,
    /// Open file descriptors.
    pub open_fds: i64,
    /// Soft limit on file descriptors.
    pub max_fds: i64,
    /// Start time, seconds since the Unix epoch.
    pub start_time_seconds: f64,
}

impl ProcessSnapshot {
    /// Reads the current process; `None` where `/proc` is missing.
    pub fn read() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
        let boot = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let open_fds = std::fs::read_dir("/proc/self/fd").map(|d| d.count() as i64).unwrap_or(0);
        let mut snapshot = Self::parse(&stat, &status, &limits, &boot)?;
        snapshot.open_fds = open_fds;
        Some(snapshot)
    }

    /// Parses the texts of `/proc/self/stat`, `/proc/self/status`,
    /// `/proc/self/limits` and `/proc/stat` (open fds are counted apart).
    pub fn parse(stat: &str, status: &str, limits: &str, boot: &str) -> Option<Self> {
        // The command name in field 2 may contain spaces and parentheses;
        // the fields after the last ')' are fixed (proc(5)).
        let after_comm = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = after_comm.split_whitespace().collect();
        // after_comm starts at field 3 (state), so field N is index N - 3.
        let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<f64>().ok());
        let utime = field(14)?;
        let stime = field(15)?;
        let threads = field(20)? as i64;
        let start_ticks = field(22)?;
        let kib = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<i64>().ok())
                .map(|v| v * 1024)
                .unwrap_or(0)
        };
        let max_fds = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .and_then(|l| l.split_whitespace().nth(3))
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        let boot_time = boot
            .lines()
            .find_map(|l| l.strip_prefix("btime "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0);
        Some(Self {
            cpu_seconds: (utime + stime) / USER_HZ,
            resident_bytes: kib("VmRSS:"),
            virtual_bytes: kib("VmSize:"),
            threads,
            open_fds: 0,
            max_fds,
            start_time_seconds: boot_time + start_ticks / USER_HZ,
        })
    }
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(s) = ProcessSnapshot::read() else {
            return Ok(());
        };
        let cpu = ConstCounter::new(s.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds",
            None,
            cpu.metric_type(),
        )?)?;
        let gauges: [(&str, &str, i64); 5] = [
            ("process_resident_memory_bytes", "Resident memory size in bytes", s.resident_bytes),
            ("process_virtual_memory_bytes", "Virtual memory size in bytes", s.virtual_bytes),
            ("process_open_fds", "Number of open file descriptors", s.open_fds),
            ("process_max_fds", "Maximum number of open file descriptors", s.max_fds),
            ("process_threads", "Number of OS threads in the process", s.threads),
        ];
        for (name, help, value) in gauges {
            let g = ConstGauge::new(value);
            g.encode(encoder.encode_descriptor(name, help, None, g.metric_type())?)?;
        }
        let start = ConstGauge::new(s.start_time_seconds);
        start.encode(encoder.encode_descriptor(
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds",
            None,
            start.metric_type(),
        )?)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_texts_with_awkward_command_name() {
        // Fields 3..=22 after a command name holding spaces and ')'.
        let stat = "4242 (sim gate) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 12345 1000 200 18446744073709551615";
        let status = "Name:\tsimgate\nVmSize:\t  204800 kB\nVmRSS:\t   10240 kB\n";
        let limits = "Limit                     Soft Limit           Hard Limit           Units\nMax open files            65536                1048576              files\n";
        let boot = "cpu  1 2 3\nbtime 1700000000\n";
        let s = ProcessSnapshot::parse(stat, status, limits, boot).unwrap();
        assert_eq!(s.cpu_seconds, 3.0);
        assert_eq!(s.threads, 7);
        assert_eq!(s.resident_bytes, 10240 * 1024);
        assert_eq!(s.virtual_bytes, 204800 * 1024);
        assert_eq!(s.max_fds, 65536);
        assert_eq!(s.start_time_seconds, 1_700_000_000.0 + 123.45);
    }

    #[test]
    fn reads_this_process() {
        let s = ProcessSnapshot::read().expect("/proc is mounted on Linux");
        assert!(s.resident_bytes > 0);
        assert!(s.open_fds >= 3);
        assert!(s.threads >= 1);
    }

    #[test]
    fn truncated_stat_is_none_not_panic() {
        assert!(ProcessSnapshot::parse("12 (x", "", "", "").is_none());
        assert!(ProcessSnapshot::parse("12 (x) S 1 2", "", "", "").is_none());
        assert!(ProcessSnapshot::parse("", "", "", "").is_none());
    }
}
