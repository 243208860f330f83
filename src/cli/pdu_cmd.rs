//! `simgate pdu decode` and `simgate pdu encode`: operator tools that show
//! any SMPP PDU as JSON and turn that JSON back into the PDU's octets,
//! using the JSON view of [`crate::smpp::json`].
//!
//! Both read from their argument or, without one, from standard input;
//! a bad PDU or object is reported on standard error with its line and
//! the remaining input is still processed; the exit status is then 1.

use std::io::{BufRead, Read, Write};
use std::process::ExitCode;

use clap::Subcommand;

use crate::smpp::json::{frame_to_json, json_to_frame, parse_hex, to_hex};
use crate::smpp::pdu::{CommandId, DecodeError, Reply};

/// Longest input line `decode` reads: a 70 KiB PDU (the default
/// `frame::DEFAULT_MAX_PDU_LEN`) as hex with a separator after every octet.
const MAX_HEX_LINE: usize = 3 * 70 * 1024 + 64;

/// Most JSON `encode` reads from standard input.
const MAX_JSON_INPUT: u64 = 16 * 1024 * 1024;

/// What to do with PDUs.
#[derive(Debug, Subcommand)]
pub enum PduCommand {
    /// Print PDUs given as hex as JSON, one object per line.
    Decode {
        /// One PDU as hex (`0x`, spaces and colons allowed; several
        /// arguments are joined). Without it, one PDU per line on standard
        /// input; blank lines and lines starting with `#` are skipped.
        hex: Vec<String>,
        /// Indent the JSON over several lines.
        #[arg(long)]
        pretty: bool,
    },
    /// Print the hex of PDUs given as JSON in the shape `decode` prints,
    /// one PDU per line.
    Encode {
        /// One JSON object. Without it, JSON objects on standard input
        /// (one per line, or indented).
        json: Option<String>,
    },
}

/// Runs a `pdu` subcommand.
pub(super) fn run(command: PduCommand) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let ok = match command {
        PduCommand::Decode { hex, pretty } if !hex.is_empty() => {
            decode_one(&hex.join(" "), pretty, None, &mut out)
        }
        PduCommand::Decode { pretty, .. } => decode_lines(std::io::stdin().lock(), pretty, &mut out),
        PduCommand::Encode { json: Some(json) } => encode_all(&json, &mut out),
        PduCommand::Encode { json: None } => {
            let mut input = String::new();
            match std::io::stdin().take(MAX_JSON_INPUT + 1).read_to_string(&mut input) {
                Ok(n) if n as u64 > MAX_JSON_INPUT => {
                    eprintln!("simgate: more than {MAX_JSON_INPUT} octets of JSON on standard input");
                    false
                }
                Ok(_) => encode_all(&input, &mut out),
                Err(e) => {
                    eprintln!("simgate: cannot read standard input: {e}");
                    false
                }
            }
        }
    };
    let flushed = out.flush().map_err(|e| eprintln!("simgate: cannot write: {e}")).is_ok();
    if ok && flushed { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// Decodes one PDU and prints its JSON; reports a failure (with the line
/// number when reading standard input) and returns whether it worked.
fn decode_one(hex: &str, pretty: bool, line: Option<usize>, out: &mut impl Write) -> bool {
    let at = line.map(|n| format!("line {n}: ")).unwrap_or_default();
    let frame = match parse_hex(hex) {
        Ok(frame) => frame,
        Err(e) => {
            eprintln!("simgate: {at}bad hex: {e}");
            return false;
        }
    };
    let json = match frame_to_json(&frame) {
        Ok(json) => json,
        Err(e) => {
            eprintln!("simgate: {at}{}", describe(&e));
            return false;
        }
    };
    let printed = if pretty { serde_json::to_string_pretty(&json) } else { serde_json::to_string(&json) };
    match printed.map_err(std::io::Error::from).and_then(|s| writeln!(out, "{s}")) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("simgate: cannot write: {e}");
            false
        }
    }
}

/// The codec's error and the answer an SMSC would give (v3.4 4.3,
/// 5.1.3).
fn describe(e: &DecodeError) -> String {
    let answer = match (e.reply(), e.command().and_then(CommandId::response)) {
        (Reply::GenericNack, _) => "generic_nack".to_owned(),
        (Reply::Response, Some(resp)) => resp.name().to_owned(),
        (Reply::Response, None) => "no response (this PDU has none)".to_owned(),
    };
    let command = e.command().map(|c| format!("{c}: ")).unwrap_or_default();
    format!("{command}{e}; an SMSC would answer {} in {answer}", e.command_status())
}

/// Decodes every PDU line of `input`.
fn decode_lines(mut input: impl BufRead, pretty: bool, out: &mut impl Write) -> bool {
    let mut ok = true;
    let mut seen = 0usize;
    let mut buf = Vec::new();
    for number in 1usize.. {
        buf.clear();
        let read = (&mut input).take(MAX_HEX_LINE as u64 + 1).read_until(b'\n', &mut buf);
        match read {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("simgate: line {number}: cannot read standard input: {e}");
                return false;
            }
        }
        if buf.len() > MAX_HEX_LINE && buf.last() != Some(&b'\n') {
            eprintln!("simgate: line {number}: longer than {MAX_HEX_LINE} characters");
            ok = false;
            if !skip_line(&mut input) {
                return false;
            }
            continue;
        }
        let Ok(line) = std::str::from_utf8(&buf) else {
            eprintln!("simgate: line {number}: not UTF-8 text");
            ok = false;
            continue;
        };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        seen += 1;
        ok &= decode_one(line, pretty, Some(number), out);
    }
    if seen == 0 {
        eprintln!("simgate: no PDU on standard input");
        return false;
    }
    ok
}

/// Reads to the end of an over-long line; false when reading fails.
fn skip_line(input: &mut impl BufRead) -> bool {
    loop {
        let (done, used) = match input.fill_buf() {
            Ok([]) => return true,
            Ok(chunk) => match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (true, i + 1),
                None => (false, chunk.len()),
            },
            Err(e) => {
                eprintln!("simgate: cannot read standard input: {e}");
                return false;
            }
        };
        input.consume(used);
        if done {
            return true;
        }
    }
}

/// Encodes every JSON value in `text` and prints its hex.
fn encode_all(text: &str, out: &mut impl Write) -> bool {
    let mut ok = true;
    let mut seen = 0usize;
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    loop {
        let start = stream.byte_offset();
        let value = match stream.next() {
            None => break,
            Some(Ok(value)) => value,
            Some(Err(e)) => {
                eprintln!("simgate: not JSON: {e}");
                return false;
            }
        };
        seen += 1;
        // The line where this object starts (after any whitespace).
        let skipped = text.get(start..).map_or(0, |rest| rest.len() - rest.trim_start().len());
        let line = 1 + text.get(..start + skipped).map_or(0, |head| head.matches('\n').count());
        match json_to_frame(&value) {
            Ok(frame) => {
                if let Err(e) = writeln!(out, "{}", to_hex(&frame)) {
                    eprintln!("simgate: cannot write: {e}");
                    return false;
                }
            }
            Err(e) => {
                eprintln!("simgate: object {seen} (line {line}): {e}");
                ok = false;
            }
        }
    }
    if seen == 0 {
        eprintln!("simgate: no JSON object given");
        return false;
    }
    ok
}
