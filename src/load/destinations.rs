//! Destination numbers for generated traffic: a range of E.164 numbers
//! (`46700000000..46700009999`, both ends included) or a CSV whose first
//! column holds them, taken in turn.

use crate::load::LoadError;
use std::path::Path;

/// Most numbers read from a CSV (bounded memory).
pub const MAX_CSV_NUMBERS: usize = 1_000_000;

/// Where destination numbers come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destinations {
    /// Every number from `first` to `last`, both included; `width` digits.
    Range {
        /// First number.
        first: u64,
        /// Last number.
        last: u64,
        /// Digits, leading zeros kept.
        width: usize,
    },
    /// Numbers read from a file.
    List(Vec<String>),
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit())
}

impl Destinations {
    /// Parses `FIRST..LAST` (digits, same width, FIRST <= LAST).
    pub fn parse_range(text: &str) -> Result<Self, LoadError> {
        let bad = |why: &str| LoadError::Usage(format!("--destinations {text:?}: {why}"));
        let (a, b) = text.split_once("..").ok_or_else(|| bad("expected FIRST..LAST"))?;
        let (a, b) = (a.trim_start_matches('+'), b.trim_start_matches('+'));
        if !digits(a) || !digits(b) || a.len() != b.len() {
            return Err(bad("both ends must be numbers of the same number of digits (at most 20)"));
        }
        let first: u64 = a.parse().map_err(|_| bad("number too large"))?;
        let last: u64 = b.parse().map_err(|_| bad("number too large"))?;
        if first > last {
            return Err(bad("FIRST is above LAST"));
        }
        Ok(Self::Range { first, last, width: a.len() })
    }

    /// Reads numbers from the first column of a CSV; a first line that is
    /// not a number is taken as a header and skipped.
    pub fn read_csv(path: &Path) -> Result<Self, LoadError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| LoadError::Read { path: path.to_owned(), source })?;
        let mut list = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let cell = line.split(',').next().unwrap_or("").trim().trim_matches('"');
            let cell = cell.trim_start_matches('+');
            if cell.is_empty() {
                continue;
            }
            if !digits(cell) {
                if i == 0 {
                    continue;
                }
                return Err(LoadError::Format {
                    path: path.to_owned(),
                    line: i + 1,
                    problem: format!("{cell:?} is not a phone number (1 to 20 digits)"),
                });
            }
            if list.len() == MAX_CSV_NUMBERS {
                return Err(LoadError::Format {
                    path: path.to_owned(),
                    line: i + 1,
                    problem: format!("more than {MAX_CSV_NUMBERS} numbers"),
                });
            }
            list.push(cell.to_owned());
        }
        if list.is_empty() {
            return Err(LoadError::Format { path: path.to_owned(), line: 0, problem: "no numbers".into() });
        }
        Ok(Self::List(list))
    }

    /// How many distinct numbers there are.
    pub fn len(&self) -> u64 {
        match self {
            Self::Range { first, last, .. } => last - first + 1,
            Self::List(l) => l.len() as u64,
        }
    }

    /// Never true: both forms hold at least one number.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `index`-th number, wrapping around.
    pub fn get(&self, index: u64) -> String {
        match self {
            Self::Range { first, width, .. } => {
                format!("{:0width$}", first + index % self.len(), width = *width)
            }
            Self::List(l) => {
                let i = usize::try_from(index % self.len()).unwrap_or(0);
                l.get(i).cloned().unwrap_or_default()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn range_wraps_and_keeps_width() {
        let d = Destinations::parse_range("0046700..0046702").unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(d.get(0), "0046700");
        assert_eq!(d.get(2), "0046702");
        assert_eq!(d.get(3), "0046700");
    }

    #[test]
    fn bad_ranges_are_refused() {
        for bad in ["4670", "5..4", "46..4600", "a..b", "..1"] {
            assert!(Destinations::parse_range(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn csv_skips_a_header_and_refuses_junk() {
        let dir = std::env::temp_dir().join(format!("simgate-dest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.csv");
        std::fs::write(&good, "msisdn,name\n+46700000001,a\n46700000002\n").unwrap();
        let d = Destinations::read_csv(&good).unwrap();
        assert_eq!(d.get(1), "46700000002");
        let bad = dir.join("bad.csv");
        std::fs::write(&bad, "46700000001\nxyz\n").unwrap();
        let err = Destinations::read_csv(&bad).unwrap_err().to_string();
        assert!(err.contains("bad.csv:2"), "{err}");
    }
}
