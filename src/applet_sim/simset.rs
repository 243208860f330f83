//! The SIM set a swarm runs with: [`generate`] makes one (Luhn-valid
//! ICCIDs, ITU-T E.118; fresh AES-128 KIc and KID per SIM; key version 1),
//! [`write_csv`] writes it in the format `simgate sims import` reads
//! (header `iccid,msisdn,imsi,tar,kvn,kic,kid,applet_version`, keys as hex),
//! and [`parse_csv`] reads such a file back for `simgate applet-sim run`.
//!
//! Keys come from the operating system's generator (`ring::rand`), or,
//! when a seed is given, from a seeded generator so test runs are
//! reproducible. Seeded keys are predictable: they are for tests only,
//! never for a SIM that leaves the lab.

use crate::sim::ids::{Iccid, Kvn, Tar};
use crate::sim::keys::{AesKey, KeySet};
use std::io::Write;

/// The header `simgate sims import` reads, exactly.
pub const CSV_HEADER: &str = "iccid,msisdn,imsi,tar,kvn,kic,kid,applet_version";
/// The columns a file must have (any order).
const REQUIRED: [&str; 7] = ["iccid", "msisdn", "imsi", "tar", "kvn", "kic", "kid"];
/// The default ICCID prefix: 89 (telecom), 882 (international network
/// code range), then the issuer part of a test set.
pub const DEFAULT_ICCID_PREFIX: &str = "8988200";
/// The default first MSISDN (Swedish mobile range, as in examples).
pub const DEFAULT_MSISDN_START: &str = "46700000001";
/// The default TAR of the generated applets.
pub const DEFAULT_TAR: Tar = Tar([0xB0, 0x00, 0x10]);
/// IMSIs use the test network MCC 001, MNC 01 (ITU-T E.212).
const IMSI_PREFIX: &str = "00101";
/// The most SIMs one set holds (generated or read).
pub const MAX_SIMS: usize = 1_000_000;
/// The largest SIM set file read.
pub const MAX_FILE_LEN: u64 = 256 * 1024 * 1024;

/// Why a SIM set could not be made or read. Never carries key material.
#[derive(Debug, thiserror::Error)]
pub enum SimSetError {
    /// A generation parameter is out of range.
    #[error("{0}")]
    Parameter(String),
    /// The operating system's random generator failed.
    #[error("random generator failed")]
    Random,
    /// The file has no header or lacks a required column.
    #[error("header: {0}")]
    Header(String),
    /// A row is invalid (the value itself is not repeated: it may be a key).
    #[error("line {line}: {column}: {reason}")]
    Row {
        /// 1-based line number.
        line: usize,
        /// The column.
        column: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// More than [`MAX_SIMS`] rows, or a file above [`MAX_FILE_LEN`].
    #[error("SIM set too large (at most {MAX_SIMS} SIMs, {MAX_FILE_LEN} octets)")]
    TooLarge,
    /// Reading or writing the file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// One SIM of a set and the key set its applet uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimRecord {
    /// The SIM.
    pub iccid: Iccid,
    /// Its number, E.164 digits without `+`.
    pub msisdn: String,
    /// Its IMSI (may be empty in a file read).
    pub imsi: String,
    /// The applet's TAR.
    pub tar: Tar,
    /// The key set (KIc present in generated sets).
    pub keys: KeySet,
}

impl SimRecord {
    /// What a gateway's SIM registry holds for this SIM before its first
    /// session: its TAR, its key set, no counter accepted yet.
    pub fn credentials(&self) -> crate::sim::session::SimCredentials {
        crate::sim::session::SimCredentials {
            tar: self.tar,
            key_sets: vec![self.keys.clone()],
            last_counter: crate::sim::secured::Counter::ZERO,
        }
    }
}

/// What [`generate`] makes.
#[derive(Debug, Clone)]
pub struct GenerateConfig {
    /// How many SIMs (1 to [`MAX_SIMS`]).
    pub count: usize,
    /// Seeded, reproducible keys (tests only); `None`: the OS generator.
    pub seed: Option<u64>,
    /// The ICCID's leading digits: `89`, then up to 15 more.
    pub iccid_prefix: String,
    /// The first MSISDN; the others follow by one.
    pub msisdn_start: String,
    /// The TAR of every applet.
    pub tar: Tar,
}

impl GenerateConfig {
    /// `count` SIMs with the default prefixes and TAR, OS-random keys.
    pub fn new(count: usize) -> Self {
        Self {
            count,
            seed: None,
            iccid_prefix: DEFAULT_ICCID_PREFIX.to_owned(),
            msisdn_start: DEFAULT_MSISDN_START.to_owned(),
            tar: DEFAULT_TAR,
        }
    }
}

/// Where key octets come from.
enum KeySource {
    System(ring::rand::SystemRandom),
    Seeded(fastrand::Rng),
}

impl KeySource {
    fn key(&mut self) -> Result<AesKey, SimSetError> {
        let mut octets = zeroize::Zeroizing::new([0u8; 16]);
        match self {
            KeySource::System(rng) => {
                ring::rand::SecureRandom::fill(rng, octets.as_mut()).map_err(|_| SimSetError::Random)?
            }
            KeySource::Seeded(rng) => rng.fill(octets.as_mut()),
        }
        AesKey::new(octets.as_ref()).map_err(|_| SimSetError::Random)
    }
}

/// Makes a SIM set.
pub fn generate(config: &GenerateConfig) -> Result<Vec<SimRecord>, SimSetError> {
    let bad = |s: &str| Err(SimSetError::Parameter(s.to_owned()));
    if !(1..=MAX_SIMS).contains(&config.count) {
        return bad("count must be 1 to 1000000");
    }
    let prefix = &config.iccid_prefix;
    if !prefix.starts_with("89") || prefix.len() > 17 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return bad("iccid prefix must be 2 to 17 digits starting with 89 (E.118)");
    }
    // 18 digits of body, then the check digit: a 19-digit ICCID.
    let serial_digits = 18 - prefix.len();
    if serial_digits < 7 && config.count as u64 >= 10u64.pow(serial_digits as u32) {
        return bad("iccid prefix leaves too few digits for that many SIMs");
    }
    let start = &config.msisdn_start;
    if !(3..=15).contains(&start.len())
        || start.starts_with('0')
        || !start.bytes().all(|b| b.is_ascii_digit())
    {
        return bad("msisdn start must be an E.164 number: 3 to 15 digits, not starting with 0");
    }
    let first: u64 = start.parse().map_err(|_| SimSetError::Parameter("msisdn start".to_owned()))?;
    let last = first + config.count as u64 - 1;
    if last.to_string().len() != start.len() {
        return bad("msisdn start leaves too few numbers for that many SIMs");
    }
    let mut keys = match config.seed {
        Some(seed) => KeySource::Seeded(fastrand::Rng::with_seed(seed)),
        None => KeySource::System(ring::rand::SystemRandom::new()),
    };
    let kvn = Kvn::new(1).map_err(|_| SimSetError::Random)?;
    let mut sims = Vec::with_capacity(config.count);
    for n in 1..=config.count as u64 {
        let body = format!("{prefix}{n:0serial_digits$}");
        let check = Iccid::check_digit(&body).ok_or(SimSetError::Random)?;
        let iccid = Iccid::new(&format!("{body}{check}"))
            .map_err(|e| SimSetError::Parameter(format!("generated ICCID refused: {e}")))?;
        let keys = KeySet { kvn, kic: Some(keys.key()?), kid: keys.key()? };
        sims.push(SimRecord {
            iccid,
            msisdn: (first + n - 1).to_string(),
            imsi: format!("{IMSI_PREFIX}{n:010}"),
            tar: config.tar,
            keys,
        });
    }
    Ok(sims)
}

/// Writes `sims` in the import format (applet version `1`).
pub fn write_csv(sims: &[SimRecord], mut out: impl Write) -> std::io::Result<()> {
    writeln!(out, "{CSV_HEADER}")?;
    for sim in sims {
        let kic = sim.keys.kic.as_ref().map(|k| hex(k.expose())).unwrap_or_default();
        let kid = zeroize::Zeroizing::new(hex(sim.keys.kid.expose()));
        let kic = zeroize::Zeroizing::new(kic);
        writeln!(
            out,
            "{},{},{},{},{},{},{},1",
            sim.iccid,
            sim.msisdn,
            sim.imsi,
            sim.tar,
            sim.keys.kvn.get(),
            kic.as_str(),
            kid.as_str()
        )?;
    }
    out.flush()
}

fn hex(octets: &[u8]) -> String {
    octets.iter().map(|o| format!("{o:02x}")).collect()
}

/// Reads a SIM set file: the header (columns in any order, the import's
/// names), rows of unquoted fields, `#` comment lines and blank lines
/// skipped. A SIM listed under several key sets keeps its first row.
pub fn parse_csv(text: &str) -> Result<Vec<SimRecord>, SimSetError> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let (_, header) = lines.next().ok_or_else(|| SimSetError::Header("empty file".to_owned()))?;
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    let mut index = [0usize; 7];
    for (slot, want) in index.iter_mut().zip(REQUIRED) {
        *slot = names
            .iter()
            .position(|n| *n == want)
            .ok_or_else(|| SimSetError::Header(format!("missing column {want}")))?;
    }
    let mut seen = std::collections::HashSet::new();
    let mut sims = Vec::new();
    for (i, line) in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let sim = parse_row(i + 1, &fields, &index)?;
        if seen.insert(sim.iccid.clone()) {
            if sims.len() == MAX_SIMS {
                return Err(SimSetError::TooLarge);
            }
            sims.push(sim);
        }
    }
    Ok(sims)
}

fn parse_row(line: usize, fields: &[&str], index: &[usize; 7]) -> Result<SimRecord, SimSetError> {
    let bad =
        |column: &'static str, reason: &str| SimSetError::Row { line, column, reason: reason.to_owned() };
    let field = |k: usize| fields.get(index[k]).copied().unwrap_or("");
    let iccid = Iccid::new(field(0)).map_err(|e| bad("iccid", &e.to_string()))?;
    let msisdn = field(1).trim_start_matches('+').to_owned();
    if msisdn.is_empty() || !msisdn.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("msisdn", "must be E.164 digits"));
    }
    let tar = parse_tar(field(3)).ok_or_else(|| bad("tar", "must be 6 hex digits (3 octets)"))?;
    let kvn = field(4)
        .parse::<u8>()
        .ok()
        .and_then(|v| Kvn::new(v).ok())
        .ok_or_else(|| bad("kvn", "must be 1 to 15"))?;
    let kic = match field(5) {
        "" => None,
        text => Some(AesKey::from_hex(text).map_err(|e| bad("kic", &e.to_string()))?),
    };
    let kid = AesKey::from_hex(field(6)).map_err(|e| bad("kid", &e.to_string()))?;
    Ok(SimRecord { iccid, msisdn, imsi: field(2).to_owned(), tar, keys: KeySet { kvn, kic, kid } })
}

fn parse_tar(text: &str) -> Option<Tar> {
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let [_, a, b, c] = u32::from_str_radix(text, 16).ok()?.to_be_bytes();
    Some(Tar([a, b, c]))
}

/// Reads and parses a SIM set file, refusing one above [`MAX_FILE_LEN`].
pub fn read_file(path: &std::path::Path) -> Result<Vec<SimRecord>, SimSetError> {
    if std::fs::metadata(path)?.len() > MAX_FILE_LEN {
        return Err(SimSetError::TooLarge);
    }
    parse_csv(&zeroize::Zeroizing::new(std::fs::read_to_string(path)?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parameters_are_checked() {
        let mut c = GenerateConfig::new(0);
        assert!(matches!(generate(&c), Err(SimSetError::Parameter(_))));
        c.count = 11;
        c.iccid_prefix = "89123456789012345".to_owned();
        assert!(matches!(generate(&c), Err(SimSetError::Parameter(_))), "one serial digit, 11 SIMs");
        c.iccid_prefix = "12".to_owned();
        assert!(matches!(generate(&c), Err(SimSetError::Parameter(_))));
        c.iccid_prefix = DEFAULT_ICCID_PREFIX.to_owned();
        c.msisdn_start = "999".to_owned();
        assert!(matches!(generate(&c), Err(SimSetError::Parameter(_))), "999 + 10 needs four digits");
    }

    #[test]
    fn rows_name_the_column_and_never_the_key() {
        let text = format!("{CSV_HEADER}\n8988200000000000014,4670,,B00010,1,zz{},00,1\n", "ab".repeat(15));
        let err = parse_csv(&text).unwrap_err().to_string();
        assert!(err.starts_with("line 2: kic:"), "{err}");
        assert!(!err.contains("abab"), "{err}");
        let err = parse_csv("iccid,msisdn\n").unwrap_err().to_string();
        assert_eq!(err, "header: missing column imsi");
    }
}
