//! Receipt dates: the `submit date:` and `done date:` values of the receipt
//! text.
//!
//! v3.4 Appendix B gives `YYMMDDhhmm` (10 digits). SMSCs also send
//! `YYMMDDhhmmss` (12) and `YYYYMMDDhhmmss` (14). Two-digit years are read
//! as 20YY. The time is the SMSC's local time: the text carries no time
//! zone, so simgate keeps the fields as they are and never turns them into
//! an instant.

use std::fmt;

use super::error::DateError;

/// A calendar date and time from a receipt, validated: month 1-12, day
/// within the month (leap years counted), hour 0-23, minute and second
/// 0-59. `second` is 0 when the SMSC sent the 10-digit form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReceiptDate {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
}

/// The digit layouts a receipt date comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateLayout {
    /// `YYMMDDhhmm`, v3.4 Appendix B.
    Minutes,
    /// `YYMMDDhhmmss`.
    Seconds,
    /// `YYYYMMDDhhmmss`.
    FullYear,
}

impl DateLayout {
    /// Number of digits in this layout.
    pub const fn digits(self) -> usize {
        match self {
            DateLayout::Minutes => 10,
            DateLayout::Seconds => 12,
            DateLayout::FullYear => 14,
        }
    }
}

impl ReceiptDate {
    /// A validated date.
    pub fn new(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Result<Self, DateError> {
        let out_of_range =
            |component, value: u8| DateError::OutOfRange { component, value: u16::from(value) };
        if !(1..=12).contains(&month) {
            return Err(out_of_range("month", month));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(out_of_range("day", day));
        }
        if hour > 23 {
            return Err(out_of_range("hour", hour));
        }
        if minute > 59 {
            return Err(out_of_range("minute", minute));
        }
        if second > 59 {
            return Err(out_of_range("second", second));
        }
        Ok(ReceiptDate { year, month, day, hour, minute, second })
    }

    /// Parses a date in any of the three layouts, chosen by length.
    pub fn parse(value: &str) -> Result<Self, DateError> {
        let digits = value.as_bytes();
        let layout = match digits.len() {
            10 => DateLayout::Minutes,
            12 => DateLayout::Seconds,
            14 => DateLayout::FullYear,
            len => return Err(DateError::BadLength { len }),
        };
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(DateError::NotDigits);
        }
        let mut pairs =
            digits.chunks_exact(2).map(|pair| pair.iter().fold(0u8, |acc, d| acc * 10 + (d - b'0')));
        let mut next = || pairs.next().unwrap_or(0);
        let year = match layout {
            DateLayout::FullYear => u16::from(next()) * 100 + u16::from(next()),
            DateLayout::Minutes | DateLayout::Seconds => 2000 + u16::from(next()),
        };
        let (month, day, hour, minute) = (next(), next(), next(), next());
        let second = if layout == DateLayout::Minutes { 0 } else { next() };
        ReceiptDate::new(year, month, day, hour, minute, second)
    }

    /// Writes the date in `layout`, or `None` when the layout cannot hold
    /// it: the two-digit layouts need a year in 2000-2099, the minute
    /// layout needs `second == 0`, and no layout holds a year above 9999.
    pub fn format(&self, layout: DateLayout) -> Option<String> {
        let two_digit_year = (2000..=2099).contains(&self.year);
        let year = match layout {
            DateLayout::FullYear if self.year <= 9999 => format!("{:04}", self.year),
            DateLayout::Minutes if two_digit_year && self.second == 0 => format!("{:02}", self.year - 2000),
            DateLayout::Seconds if two_digit_year => format!("{:02}", self.year - 2000),
            _ => return None,
        };
        let mut out = format!("{year}{:02}{:02}{:02}{:02}", self.month, self.day, self.hour, self.minute);
        if layout != DateLayout::Minutes {
            out.push_str(&format!("{:02}", self.second));
        }
        Some(out)
    }

    /// The shortest layout that holds this date without loss, preferring
    /// the Appendix B form.
    pub fn natural_layout(&self) -> DateLayout {
        if !(2000..=2099).contains(&self.year) {
            DateLayout::FullYear
        } else if self.second == 0 {
            DateLayout::Minutes
        } else {
            DateLayout::Seconds
        }
    }

    /// Full year, e.g. 2024 (two-digit years are read as 20YY).
    pub const fn year(&self) -> u16 {
        self.year
    }
    /// Month, 1-12.
    pub const fn month(&self) -> u8 {
        self.month
    }
    /// Day of the month, 1-31.
    pub const fn day(&self) -> u8 {
        self.day
    }
    /// Hour, 0-23.
    pub const fn hour(&self) -> u8 {
        self.hour
    }
    /// Minute, 0-59.
    pub const fn minute(&self) -> u8 {
        self.minute
    }
    /// Second, 0-59; 0 when the SMSC sent minutes only.
    pub const fn second(&self) -> u8 {
        self.second
    }
}

impl fmt::Display for ReceiptDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Days in `month` (1-12) of `year`, Gregorian leap years.
const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> ReceiptDate {
        ReceiptDate::new(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn parses_the_three_layouts() {
        assert_eq!(ReceiptDate::parse("2403151230").unwrap(), date(2024, 3, 15, 12, 30, 0));
        assert_eq!(ReceiptDate::parse("240315123059").unwrap(), date(2024, 3, 15, 12, 30, 59));
        assert_eq!(ReceiptDate::parse("20240315123059").unwrap(), date(2024, 3, 15, 12, 30, 59));
        assert_eq!(ReceiptDate::parse("19991231235959").unwrap(), date(1999, 12, 31, 23, 59, 59));
    }

    #[test]
    fn rejects_bad_dates() {
        let table: [(&str, DateError); 12] = [
            ("", DateError::BadLength { len: 0 }),
            ("240315123", DateError::BadLength { len: 9 }),
            ("24031512305", DateError::BadLength { len: 11 }),
            ("2024031512305", DateError::BadLength { len: 13 }),
            ("240315123a", DateError::NotDigits),
            ("24-3151230", DateError::NotDigits),
            ("2413151230", DateError::OutOfRange { component: "month", value: 13 }),
            ("2400151230", DateError::OutOfRange { component: "month", value: 0 }),
            ("2302291230", DateError::OutOfRange { component: "day", value: 29 }),
            ("2404311230", DateError::OutOfRange { component: "day", value: 31 }),
            ("2403152430", DateError::OutOfRange { component: "hour", value: 24 }),
            ("240315123060", DateError::OutOfRange { component: "second", value: 60 }),
        ];
        for (text, err) in table {
            assert_eq!(ReceiptDate::parse(text), Err(err), "{text:?}");
        }
        assert!(ReceiptDate::parse("2403151260").is_err());
        assert!(ReceiptDate::parse("2403000000").is_err());
    }

    #[test]
    fn leap_days() {
        assert!(ReceiptDate::parse("2402291200").is_ok());
        assert!(ReceiptDate::parse("21000229120000").is_err());
        assert!(ReceiptDate::parse("20000229120000").is_ok());
    }

    #[test]
    fn formats_each_layout() {
        let d = date(2024, 3, 5, 7, 9, 0);
        assert_eq!(d.format(DateLayout::Minutes).as_deref(), Some("2403050709"));
        assert_eq!(d.format(DateLayout::Seconds).as_deref(), Some("240305070900"));
        assert_eq!(d.format(DateLayout::FullYear).as_deref(), Some("20240305070900"));
        assert_eq!(d.natural_layout(), DateLayout::Minutes);
        let with_seconds = date(2024, 3, 5, 7, 9, 1);
        assert_eq!(with_seconds.format(DateLayout::Minutes), None);
        assert_eq!(with_seconds.natural_layout(), DateLayout::Seconds);
        let old = date(1999, 1, 1, 0, 0, 0);
        assert_eq!(old.format(DateLayout::Seconds), None);
        assert_eq!(old.natural_layout(), DateLayout::FullYear);
        assert_eq!(old.to_string(), "1999-01-01 00:00:00");
    }
}
