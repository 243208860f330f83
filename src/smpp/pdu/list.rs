//! Repeated wire items (TLVs, submit_multi destinations, unsuccess_sme
//! entries) held without allocation when decoded.
//!
//! A decoded list keeps the validated octets it came from and parses items
//! again on iteration; a list built by the application holds a `Vec`.
//! Both compare equal when they yield the same items, and a decoded list
//! re-encodes to exactly the octets it was read from.

use bytes::BufMut;
use nom::IResult;

use super::error::PduError;
use super::stage::Stage;

/// One repeated item: parsed from the front of a slice, sized, written.
pub trait WireItem<'a>: Copy {
    /// Read one item from the front of `input`.
    fn parse(input: &'a [u8]) -> IResult<&'a [u8], Self, PduError>;
    /// Octets this item takes on the wire.
    fn wire_len(&self) -> usize;
    /// Write this item.
    fn write<B: BufMut>(&self, buf: &mut Stage<'_, B>);
}

#[derive(Clone)]
enum Repr<'a, T> {
    /// Validated octets from a frame and the number of items in them.
    Wire { octets: &'a [u8], count: usize },
    /// Items supplied by the application.
    Items(Vec<T>),
}

/// A list of wire items; see the module doc.
#[derive(Clone)]
pub struct WireList<'a, T> {
    repr: Repr<'a, T>,
}

impl<'a, T: WireItem<'a>> WireList<'a, T> {
    /// The empty list (no allocation).
    pub const fn new() -> Self {
        WireList { repr: Repr::Wire { octets: &[], count: 0 } }
    }

    /// A list of the given items, in order.
    pub fn from_items(items: Vec<T>) -> Self {
        WireList { repr: Repr::Items(items) }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Wire { count, .. } => *count,
            Repr::Items(items) => items.len(),
        }
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The items, in wire order.
    pub fn iter(&self) -> Iter<'_, 'a, T> {
        match &self.repr {
            Repr::Wire { octets, .. } => Iter::Wire(octets),
            Repr::Items(items) => Iter::Items(items.iter()),
        }
    }

    /// Octets the list takes on the wire.
    pub fn wire_len(&self) -> usize {
        match &self.repr {
            Repr::Wire { octets, .. } => octets.len(),
            Repr::Items(items) => items.iter().map(T::wire_len).sum(),
        }
    }

    /// Write every item.
    pub fn write<B: BufMut>(&self, buf: &mut B) {
        match &self.repr {
            Repr::Wire { octets, .. } => buf.put_slice(octets),
            Repr::Items(_) => {
                let mut stage = [0u8; 128];
                let mut staged = Stage::new(&mut stage, buf);
                self.write_staged(&mut staged);
                staged.finish();
            }
        }
    }

    /// Write every item through `buf` (a decoded list in one piece).
    #[inline]
    pub(crate) fn write_staged<B: BufMut>(&self, buf: &mut Stage<'_, B>) {
        match &self.repr {
            Repr::Wire { octets, .. } => buf.put_slice(octets),
            Repr::Items(items) => items.iter().for_each(|item| item.write(buf)),
        }
    }

    /// The items, when the list was built by the application.
    pub(crate) fn items(&self) -> Option<&[T]> {
        match &self.repr {
            Repr::Wire { .. } => None,
            Repr::Items(items) => Some(items),
        }
    }

    /// The validated octets, when the list was decoded from a frame.
    pub(crate) fn wire_octets(&self) -> Option<&'a [u8]> {
        match &self.repr {
            Repr::Wire { octets, .. } => Some(octets),
            Repr::Items(_) => None,
        }
    }

    /// Read exactly `count` items from the front of `input`.
    pub(crate) fn parse_counted(input: &'a [u8], count: usize) -> IResult<&'a [u8], Self, PduError> {
        let mut rest = input;
        for _ in 0..count {
            rest = T::parse(rest)?.0;
        }
        let octets = input.get(..input.len().saturating_sub(rest.len())).unwrap_or_default();
        Ok((rest, WireList { repr: Repr::Wire { octets, count } }))
    }

    /// Read items until `input` is used up.
    pub(crate) fn parse_all(input: &'a [u8]) -> Result<Self, PduError> {
        let mut rest = input;
        let mut count = 0;
        while !rest.is_empty() {
            rest = T::parse(rest).map_err(flatten)?.0;
            count += 1;
        }
        Ok(WireList { repr: Repr::Wire { octets: input, count } })
    }
}

/// The error inside a nom error (complete parsers never ask for more).
pub(crate) fn flatten(e: nom::Err<PduError>) -> PduError {
    match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => e,
        nom::Err::Incomplete(_) => PduError::TruncatedBody,
    }
}

impl<'a, T: WireItem<'a>> Default for WireList<'a, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a, T: WireItem<'a>> From<Vec<T>> for WireList<'a, T> {
    fn from(items: Vec<T>) -> Self {
        Self::from_items(items)
    }
}

impl<'a, T: WireItem<'a> + PartialEq> PartialEq for WireList<'a, T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<'a, T: WireItem<'a> + Eq> Eq for WireList<'a, T> {}

impl<'a, T: WireItem<'a> + std::fmt::Debug> std::fmt::Debug for WireList<'a, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Iterator over a [`WireList`].
#[derive(Debug)]
pub enum Iter<'l, 'a, T> {
    /// Parsing validated octets.
    Wire(&'a [u8]),
    /// Walking application items.
    Items(std::slice::Iter<'l, T>),
}

impl<'a, T: WireItem<'a>> Iterator for Iter<'_, 'a, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        match self {
            Iter::Wire(octets) => {
                if octets.is_empty() {
                    return None;
                }
                // The octets were validated when the list was decoded, so
                // this cannot fail; if it somehow did, stop rather than panic.
                match T::parse(octets) {
                    Ok((rest, item)) => {
                        *octets = rest;
                        Some(item)
                    }
                    Err(_) => {
                        *octets = &[];
                        None
                    }
                }
            }
            Iter::Items(items) => items.next().copied(),
        }
    }
}
