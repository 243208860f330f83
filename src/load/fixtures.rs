//! PDU fixtures to replay, in the format of `proto-fixtures/`: hex text,
//! either one PDU per file (the whole file, whitespace ignored) or one PDU
//! per line. Blank lines and lines starting with `#` are skipped. Each PDU
//! must decode, and its command_length must be the length of its line.
//!
//! A file named on the command line that is not in this format is refused
//! with its name and line. In a directory, files ending in `.hex` or
//! `.pdu` are read (sorted by name) and other files are ignored, so a
//! fixture directory may hold its README.

use crate::load::LoadError;
use crate::smpp::json::parse_hex;
use crate::smpp::pdu::{CommandId, decode};
use std::path::{Path, PathBuf};

/// Largest fixture file read.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Most PDUs kept from all files.
pub const MAX_FIXTURES: usize = 100_000;

/// One PDU to replay.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// `file` or `file:line`, for messages.
    pub origin: String,
    /// The PDU as read (sequence number rewritten when sent).
    pub octets: Vec<u8>,
    /// Its command.
    pub command: CommandId,
}

/// The fixtures kept and how many were left out by the filter.
#[derive(Debug, Clone, Default)]
pub struct FixtureSet {
    /// Kept, in file and line order.
    pub fixtures: Vec<Fixture>,
    /// Well-formed PDUs the caller's filter left out (responses, binds...).
    pub skipped: usize,
}

fn format_error(path: &Path, line: usize, problem: impl Into<String>) -> LoadError {
    LoadError::Format { path: path.to_owned(), line, problem: problem.into() }
}

const KNOWN: &str = "expected hex, one PDU per file or one per line";

/// Reads every fixture under `paths` and keeps those whose command `keep`
/// accepts.
pub fn load(paths: &[PathBuf], keep: impl Fn(CommandId) -> bool) -> Result<FixtureSet, LoadError> {
    let mut set = FixtureSet::default();
    for path in paths {
        let meta =
            std::fs::metadata(path).map_err(|source| LoadError::Read { path: path.clone(), source })?;
        if meta.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|source| LoadError::Read { path: path.clone(), source })?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("hex" | "pdu"))
                })
                .collect();
            files.sort();
            for file in files {
                read_file(&file, &keep, &mut set)?;
            }
        } else {
            read_file(path, &keep, &mut set)?;
        }
    }
    Ok(set)
}

fn read_file(path: &Path, keep: &impl Fn(CommandId) -> bool, set: &mut FixtureSet) -> Result<(), LoadError> {
    let meta = std::fs::metadata(path).map_err(|source| LoadError::Read { path: path.to_owned(), source })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format_error(path, 0, format!("larger than {MAX_FILE_BYTES} octets")));
    }
    let raw = std::fs::read(path).map_err(|source| LoadError::Read { path: path.to_owned(), source })?;
    let text = String::from_utf8(raw).map_err(|_| format_error(path, 0, format!("not text; {KNOWN}")))?;
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if lines.is_empty() {
        return Err(format_error(path, 0, format!("no PDU; {KNOWN}")));
    }
    let mut pdus: Vec<(usize, Vec<u8>)> = Vec::with_capacity(lines.len());
    for (line, l) in &lines {
        let octets =
            parse_hex(l).map_err(|e| format_error(path, *line, format!("not hex ({e}); {KNOWN}")))?;
        pdus.push((*line, octets));
    }
    // One PDU written over several lines: the first line's command_length
    // covers them all.
    if pdus.len() > 1 && declared(&pdus[0].1).is_some_and(|n| n > pdus[0].1.len()) {
        let all: Vec<u8> = pdus.iter().flat_map(|(_, o)| o.iter().copied()).collect();
        pdus = vec![(pdus[0].0, all)];
    }
    let one_per_file = pdus.len() == 1;
    for (line, octets) in pdus {
        let at = if one_per_file { 0 } else { line };
        let origin = if at == 0 { path.display().to_string() } else { format!("{}:{line}", path.display()) };
        let Some(len) = declared(&octets) else {
            return Err(format_error(path, line, "shorter than the 16-octet SMPP header"));
        };
        if len != octets.len() {
            return Err(format_error(
                path,
                line,
                format!("command_length says {len} octets, the line holds {}; {KNOWN}", octets.len()),
            ));
        }
        let command = decode(&octets)
            .map_err(|e| format_error(path, line, format!("not a valid SMPP PDU: {e}")))?
            .command_id();
        if !keep(command) {
            set.skipped += 1;
            continue;
        }
        if set.fixtures.len() == MAX_FIXTURES {
            return Err(format_error(path, line, format!("more than {MAX_FIXTURES} PDUs")));
        }
        set.fixtures.push(Fixture { origin, octets, command });
    }
    Ok(())
}

fn declared(octets: &[u8]) -> Option<usize> {
    let len = octets.first_chunk::<4>().map(|b| u32::from_be_bytes(*b) as usize)?;
    (octets.len() >= 16).then_some(len)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const ENQUIRE: &str = "0000001000000015000000000000000a";
    const SUBMIT: &str = "0000004500000004000000000000000700050053494d474154450001013434373730303930303132330000000000000100010011596f757220636f64652069732034373131";

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("simgate-fixtures-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn reads_files_lines_and_directories() {
        let d = dir("ok");
        std::fs::write(d.join("a.hex"), format!("{SUBMIT}\n")).unwrap();
        std::fs::write(d.join("b.hex"), format!("# two\n{SUBMIT}\n\n{ENQUIRE}\n{SUBMIT}\n")).unwrap();
        std::fs::write(d.join("README.md"), "not a fixture").unwrap();
        let set = load(std::slice::from_ref(&d), |c| c == CommandId::SubmitSm).unwrap();
        assert_eq!(set.fixtures.len(), 3);
        assert_eq!(set.skipped, 1);
        assert!(set.fixtures[1].origin.ends_with("b.hex:2"), "{}", set.fixtures[1].origin);
    }

    #[test]
    fn refuses_unknown_formats_naming_file_and_line() {
        let d = dir("bad");
        let f = d.join("x.hex");
        std::fs::write(&f, format!("{SUBMIT}\nhello world\n")).unwrap();
        let err = load(std::slice::from_ref(&f), |_| true).unwrap_err().to_string();
        assert!(err.contains("x.hex:2") && err.contains("not hex"), "{err}");
        std::fs::write(&f, format!("{SUBMIT}00\n")).unwrap();
        let err = load(std::slice::from_ref(&f), |_| true).unwrap_err().to_string();
        assert!(err.contains("command_length says 69"), "{err}");
        std::fs::write(&f, [0xff, 0xfe, 0x00]).unwrap();
        let err = load(&[f], |_| true).unwrap_err().to_string();
        assert!(err.contains("not text"), "{err}");
    }
}
