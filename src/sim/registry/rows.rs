//! SIM set files: the CSV that `simgate sims import` reads, one key set of
//! one SIM per row, every field validated.
//!
//! Header (any order, names exact): `iccid,msisdn,imsi,tar,kvn,kic,kid`
//! and optionally `applet_version` and `algorithm`. `imsi`, `kic`,
//! `applet_version` and `algorithm` may be empty; lines starting with `#`
//! are comments. A SIM with several key sets takes one row per KVN.
//!
//! `algorithm` is the key set's, for both keys (ETSI TS 102 225 5.1.2,
//! 5.1.3): `aes` (AES-CBC and AES-CMAC, keys of 16, 24 or 32 octets, the
//! default when the column is absent or empty), `des-cbc` (8 octets),
//! `3des-2key` (16) or `3des-3key` (24), the DES ones ciphering in that
//! mode and checksumming with its CBC-MAC ([`KeyAlgorithm`]).
//!
//! Rejected rows are reported as `line N: column: reason`; a reason never
//! repeats key material (nor the text of a bad algorithm name, which may be
//! a key in the wrong column).

use crate::sim::keys::key_octets_from_hex;
use crate::sim::{Iccid, KeyAlgorithm, KeyError, KeySetError, Kvn, RegistryKeys, Tar};
use std::fmt;
use std::io::Read;

/// Columns every file has.
pub const REQUIRED_COLUMNS: [&str; 7] = ["iccid", "msisdn", "imsi", "tar", "kvn", "kic", "kid"];
/// Columns a file may have.
pub const OPTIONAL_COLUMNS: [&str; 2] = ["applet_version", "algorithm"];
/// Longest applet version kept.
pub const MAX_APPLET_VERSION: usize = 32;

/// An MSISDN: the SIM's phone number, E.164 (ITU-T E.164 6.1: at most 15
/// digits, the country code not starting with 0), stored without `+`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Msisdn(String);

impl Msisdn {
    /// Validates `text` (digits, an optional leading `+`).
    pub fn new(text: &str) -> Result<Self, &'static str> {
        let digits = text.strip_prefix('+').unwrap_or(text);
        if !(3..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be an E.164 number: 3 to 15 digits, optional leading +");
        }
        if digits.starts_with('0') {
            return Err("E.164 numbers start with the country code, never 0");
        }
        Ok(Self(digits.to_owned()))
    }

    /// The digits, without `+`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An IMSI: 6 to 15 digits (ITU-T E.212: MCC, MNC, MSIN).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Imsi(String);

impl Imsi {
    /// Validates `digits`.
    pub fn new(digits: &str) -> Result<Self, &'static str> {
        if !(6..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be 6 to 15 digits (E.212)");
        }
        Ok(Self(digits.to_owned()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One validated row: a SIM and one of its key sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimImport {
    /// The SIM.
    pub iccid: Iccid,
    /// Its phone number, for OTA wake-up.
    pub msisdn: Msisdn,
    /// Its IMSI, when known.
    pub imsi: Option<Imsi>,
    /// The applet's TAR.
    pub tar: Tar,
    /// The key set of this row, with its algorithm.
    pub keys: RegistryKeys,
    /// The applet version installed on the card, when known.
    pub applet_version: Option<String>,
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Line in the file (1 is the header).
    pub line: u64,
    /// The column at fault, or `row` when the row as a whole is.
    pub column: &'static str,
    /// What is wrong; never contains key material.
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.column, self.reason)
    }
}

/// Why a file cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum SimFileError {
    /// The header misses a required column.
    #[error("header has no column {0:?} (needs {cols})", cols = REQUIRED_COLUMNS.join(","))]
    MissingColumn(&'static str),
    /// The header names a column simgate does not know (a typo would
    /// otherwise drop data silently).
    #[error("header has unknown column {0:?}")]
    UnknownColumn(String),
    /// A column is named twice.
    #[error("header names column {0:?} twice")]
    DuplicateColumn(String),
    /// The header line is unreadable.
    #[error("cannot read the header: {0}")]
    Header(String),
}

/// Reads SIM rows from CSV, validating each.
pub struct SimFile<R: Read> {
    reader: csv::Reader<R>,
    /// Index of each known column in the records.
    index: [Option<usize>; 9],
    record: csv::StringRecord,
    /// Line of the row [`SimFile::next_row`] returned last.
    line: u64,
}

impl<R: Read> fmt::Debug for SimFile<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimFile").field("index", &self.index).finish_non_exhaustive()
    }
}

impl<R: Read> SimFile<R> {
    /// Reads and checks the header.
    pub fn new(input: R) -> Result<Self, SimFileError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .comment(Some(b'#'))
            .from_reader(input);
        let headers = reader.headers().map_err(|e| SimFileError::Header(csv_reason(&e)))?.clone();
        let mut index = [None; 9];
        for (i, name) in headers.iter().enumerate() {
            let slot = REQUIRED_COLUMNS
                .iter()
                .chain(&OPTIONAL_COLUMNS)
                .position(|c| *c == name)
                .ok_or_else(|| SimFileError::UnknownColumn(name.chars().take(32).collect()))?;
            if index[slot].replace(i).is_some() {
                return Err(SimFileError::DuplicateColumn(name.to_owned()));
            }
        }
        if let Some(missing) = REQUIRED_COLUMNS.iter().zip(&index).find(|(_, i)| i.is_none()) {
            return Err(SimFileError::MissingColumn(missing.0));
        }
        Ok(Self { reader, index, record: csv::StringRecord::new(), line: 1 })
    }

    /// The next row, validated; `None` at the end of the file.
    pub fn next_row(&mut self) -> Option<Result<SimImport, RowError>> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                self.line = self.record.position().map_or(self.line + 1, csv::Position::line);
                Some(self.validate(self.line))
            }
            Err(e) => {
                self.line = e.position().map_or(self.line + 1, csv::Position::line);
                Some(Err(RowError { line: self.line, column: "row", reason: csv_reason(&e) }))
            }
        }
    }

    /// The line of the row returned last (1 before any).
    pub fn line(&self) -> u64 {
        self.line
    }

    fn field(&self, column: usize) -> &str {
        self.index[column].and_then(|i| self.record.get(i)).unwrap_or("")
    }

    fn validate(&self, line: u64) -> Result<SimImport, RowError> {
        let bad = |column: &'static str, reason: String| RowError { line, column, reason };
        let headers = self.index.iter().flatten().count();
        if self.record.len() != headers {
            return Err(bad("row", format!("has {} fields, the header {headers}", self.record.len())));
        }
        let iccid = Iccid::new(self.field(0)).map_err(|e| bad("iccid", e.to_string()))?;
        let msisdn = Msisdn::new(self.field(1)).map_err(|e| bad("msisdn", e.to_owned()))?;
        let imsi = match self.field(2) {
            "" => None,
            text => Some(Imsi::new(text).map_err(|e| bad("imsi", e.to_owned()))?),
        };
        let tar = parse_tar(self.field(3)).map_err(|e| bad("tar", e.to_owned()))?;
        let kvn = self
            .field(4)
            .parse::<u8>()
            .map_err(|_| "must be a number 1 to 15".to_owned())
            .and_then(|v| Kvn::new(v).map_err(|e| e.to_string()))
            .map_err(|e| bad("kvn", e))?;
        let algorithm = match self.field(8) {
            "" => KeyAlgorithm::Aes,
            text => KeyAlgorithm::from_name(text).ok_or_else(|| bad("algorithm", unknown_algorithm()))?,
        };
        let key = |column: &'static str, text: &str| {
            let octets = key_octets_from_hex(text).map_err(|e| bad(column, e.to_string()))?;
            algorithm.check_key_len(octets.len()).map_err(|e| bad(column, e.to_string()))?;
            Ok::<_, RowError>(octets)
        };
        let kic = match self.field(5) {
            "" => None,
            text => Some(key("kic", text)?),
        };
        let kid = match self.field(6) {
            "" => return Err(bad("kid", "is required (the checksum key)".to_owned())),
            text => key("kid", text)?,
        };
        let keys =
            RegistryKeys::new(algorithm, kvn, kic.as_deref().map(Vec::as_slice), &kid).map_err(|e| {
                let (column, e): (&'static str, KeyError) = match e {
                    KeySetError::Kic(e) => ("kic", e),
                    KeySetError::Kid(e) => ("kid", e),
                };
                bad(column, e.to_string())
            })?;
        let applet_version = match self.field(7) {
            "" => None,
            v if v.len() <= MAX_APPLET_VERSION && v.bytes().all(|b| b.is_ascii_graphic()) => {
                Some(v.to_owned())
            }
            _ => {
                return Err(bad(
                    "applet_version",
                    format!("at most {MAX_APPLET_VERSION} printable characters, no spaces"),
                ));
            }
        };
        Ok(SimImport { iccid, msisdn, imsi, tar, keys, applet_version })
    }
}

/// The reason for an algorithm name simgate does not know.
fn unknown_algorithm() -> String {
    let names: Vec<&str> = KeyAlgorithm::ALL.iter().map(|a| a.name()).collect();
    format!("unknown algorithm; one of {} (empty: aes)", names.join(", "))
}

/// A TAR as 6 hex digits.
fn parse_tar(text: &str) -> Result<Tar, &'static str> {
    const SHAPE: &str = "must be 6 hex digits (3 octets)";
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SHAPE);
    }
    let value = u32::from_str_radix(text, 16).map_err(|_| SHAPE)?;
    let [_, a, b, c] = value.to_be_bytes();
    Ok(Tar([a, b, c]))
}

/// The csv crate's error without the record's content (which could hold
/// keys): its kind and position only.
fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_owned(),
        csv::ErrorKind::Io(io) => format!("read error: {}", io.kind()),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("has {len} fields, the header {expected_len}")
        }
        _ => "not valid CSV".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const KID: &str = "00112233445566778899aabbccddeeff";
    const KIC: &str = "ffeeddccbbaa99887766554433221100";

    fn iccid(n: u8) -> String {
        let body = format!("8988200000000000{n:02}");
        format!("{body}{}", Iccid::check_digit(&body).unwrap())
    }

    fn rows(text: &str) -> Vec<Result<SimImport, RowError>> {
        let mut file = SimFile::new(text.as_bytes()).unwrap();
        std::iter::from_fn(|| file.next_row()).collect()
    }

    #[test]
    fn good_rows_parse() {
        let text = format!(
            "iccid,msisdn,imsi,tar,kvn,kic,kid,applet_version\n\
             {},+447700900001,234150000000001,B00010,1,{KIC},{KID},1.2.0\n\
             \"{}\", 447700900002 ,,b00010,15,,{KID},\n",
            iccid(1),
            iccid(2)
        );
        let got = rows(&text);
        let first = got[0].as_ref().unwrap();
        assert_eq!(first.msisdn.as_str(), "447700900001");
        assert_eq!(first.tar, Tar([0xB0, 0x00, 0x10]));
        assert_eq!(first.keys.kvn().get(), 1);
        assert_eq!(first.keys.kic_octets().map(<[u8]>::len), Some(16));
        assert_eq!(first.keys.algorithm(), KeyAlgorithm::Aes, "no algorithm column: aes");
        assert_eq!(first.applet_version.as_deref(), Some("1.2.0"));
        let second = got[1].as_ref().unwrap();
        assert_eq!((second.imsi.clone(), second.keys.has_kic(), second.keys.kvn().get()), (None, false, 15));
    }

    #[test]
    fn the_algorithm_column_sets_the_key_set_and_defaults_to_aes() {
        let des8 = "0123456789abcdef";
        let text = format!(
            "iccid,msisdn,imsi,tar,kvn,kic,kid,algorithm\n\
             {},447700900001,,B00010,1,{KIC},{KID},3des-2key\n\
             {},447700900002,,B00010,2,,{des8},DES-CBC\n\
             {},447700900003,,B00010,3,{KIC}{des8},{KID}{des8},3des-3key\n\
             {},447700900004,,B00010,4,{KIC},{KID},\n",
            iccid(1),
            iccid(2),
            iccid(3),
            iccid(4)
        );
        let got: Vec<_> = rows(&text).into_iter().map(Result::unwrap).collect();
        let algorithms: Vec<_> = got.iter().map(|r| r.keys.algorithm()).collect();
        assert_eq!(
            algorithms,
            [
                KeyAlgorithm::TripleDes2Key,
                KeyAlgorithm::DesCbc,
                KeyAlgorithm::TripleDes3Key,
                KeyAlgorithm::Aes
            ]
        );
        assert_eq!(got[0].keys.aes(), None);
        assert_eq!(got[0].keys.kid_octets().len(), 16);
        assert_eq!(got[1].keys.kid_octets().len(), 8);
        assert!(!got[1].keys.has_kic());
        assert_eq!(got[2].keys.kic_octets().map(<[u8]>::len), Some(24));
        assert!(got[3].keys.aes().is_some(), "empty algorithm: aes");
    }

    #[test]
    fn a_bad_algorithm_or_a_key_of_the_wrong_length_for_it_is_a_rejected_row() {
        let des8 = "0123456789abcdef";
        let lines = [
            (format!("{{}},447700900001,,B00010,1,{KIC},{KID},3des"), "algorithm", "unknown algorithm"),
            (format!("{{}},447700900001,,B00010,1,{KIC},{KID},{KID}"), "algorithm", "unknown algorithm"),
            (
                format!("{{}},447700900001,,B00010,1,{KIC},{des8},3des-2key"),
                "kid",
                "3des-2key needs a key of 16",
            ),
            (format!("{{}},447700900001,,B00010,1,{KIC},{des8},des-cbc"), "kic", "des-cbc needs a key of 8"),
            (format!("{{}},447700900001,,B00010,1,,{KID},3des-3key"), "kid", "3des-3key needs a key of 24"),
            (format!("{{}},447700900001,,B00010,1,,{des8},aes"), "kid", "aes needs a key of 16, 24 or 32"),
        ];
        let text = format!(
            "iccid,msisdn,imsi,tar,kvn,kic,kid,algorithm\n{}\n",
            lines.iter().map(|(l, ..)| l.replacen("{}", &iccid(1), 1)).collect::<Vec<_>>().join("\n")
        );
        let got = rows(&text);
        assert_eq!(got.len(), lines.len());
        for (n, ((_, column, reason), result)) in lines.iter().zip(&got).enumerate() {
            let shown = result.as_ref().unwrap_err().to_string();
            assert!(shown.starts_with(&format!("line {}: {column}: {reason}", n + 2)), "{shown}");
            for secret in [KID, KIC, des8, "00112233", "01234567"] {
                assert!(!shown.contains(secret), "key material in {shown}");
            }
        }
    }

    #[test]
    fn each_bad_field_is_reported_with_line_and_column_without_key_material() {
        let good = |col: usize, value: &str| {
            let mut f = vec![iccid(1), "447700900001".to_owned(), String::new(), "B00010".to_owned()];
            f.extend(["1".to_owned(), KIC.to_owned(), KID.to_owned()]);
            f[col] = value.to_owned();
            f.join(",")
        };
        let secret_ish = "00112233445566778899aabbccddeeff00";
        let cases = [
            (good(0, "8988"), "iccid"),
            (good(1, "0447700900001"), "msisdn"),
            (good(1, "44-77"), "msisdn"),
            (good(2, "12345"), "imsi"),
            (good(3, "B0001"), "tar"),
            (good(4, "16"), "kvn"),
            (good(4, "x"), "kvn"),
            (good(5, secret_ish), "kic"),
            (good(6, ""), "kid"),
            (good(6, "zz112233445566778899aabbccddeeff"), "kid"),
            (format!("{},1", good(0, &iccid(1))), "row"),
        ];
        let text = format!(
            "iccid,msisdn,imsi,tar,kvn,kic,kid\n{}\n",
            cases.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>().join("\n")
        );
        let got = rows(&text);
        assert_eq!(got.len(), cases.len());
        for (n, ((_, column), result)) in cases.iter().zip(&got).enumerate() {
            let err = result.as_ref().unwrap_err();
            assert_eq!((err.line, err.column), (n as u64 + 2, *column), "{err}");
            let shown = err.to_string();
            assert!(shown.starts_with(&format!("line {}: {column}: ", n + 2)), "{shown}");
            assert!(!shown.contains("00112233"), "key material in {shown}");
        }
    }

    #[test]
    fn header_problems_stop_the_file() {
        let missing = SimFile::new("iccid,msisdn,imsi,tar,kvn,kic\n".as_bytes()).unwrap_err();
        assert!(matches!(missing, SimFileError::MissingColumn("kid")), "{missing}");
        let unknown = SimFile::new("iccid,msisdn,imsi,tar,kvn,kic,kid,ki\n".as_bytes()).unwrap_err();
        assert!(matches!(unknown, SimFileError::UnknownColumn(ref c) if c == "ki"), "{unknown}");
        let twice = SimFile::new("iccid,iccid,msisdn,imsi,tar,kvn,kic,kid\n".as_bytes()).unwrap_err();
        assert!(matches!(twice, SimFileError::DuplicateColumn(_)), "{twice}");
    }
}
