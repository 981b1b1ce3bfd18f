//! The bytes every MPTCP option shares (kind, length, subtype) and the field readers and
//! writer the option modules use.

use crate::error::{Error, LengthSet};
use core::fmt;
use nom::bytes::complete::take;
use nom::combinator::{map_opt, verify};
use nom::number::complete::be_u8;
use nom::{IResult, Parser};

/// TCP option kind of every MPTCP option.
pub const MPTCP_KIND: u8 = 30;

pub(crate) type PResult<'a, O> = IResult<&'a [u8], O, Error>;

/// Kind, length and the subtype byte, common to all MPTCP options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// The option's length byte (kind and length included).
    pub length: u8,
    /// The subtype (high nibble of byte 2).
    pub subtype: u8,
    /// The four subtype-specific bits (low nibble of byte 2).
    pub nibble: u8,
}

/// An MPTCP option split into its header and body.
pub(crate) struct Framed<'a> {
    pub header: Header,
    /// Bytes after the subtype byte, up to the option's length or the end of the input.
    pub body: &'a [u8],
    /// Input after this option (empty when the option was cut).
    pub rest: &'a [u8],
}

/// Splits off one MPTCP option (starting at its kind byte), bounded by its length byte so that
/// a bad option never eats the next one.
// Inlined into the DSS fast path of each entry point: called, the decode bench decodes a
// third fewer options per second (93 against 149 M/s).
#[inline(always)]
pub(crate) fn frame(input: &[u8]) -> Result<Framed<'_>, Error> {
    let (_, &[_, length, byte2]) =
        verify(array::<3>(), |h: &[u8; 3]| h[0] == MPTCP_KIND && h[1] >= 3)
            .parse(input)
            .map_err(|_: nom::Err<Error>| frame_error(input))?;
    // The option is the length byte's bytes, or what the input holds of them: a cut option
    // still decodes far enough for its field readers to name the field that is cut.
    let (rest, option) = take::<_, _, Error>((length as usize).min(input.len())).parse(input)?;
    Ok(Framed {
        header: Header {
            length,
            subtype: byte2 >> 4,
            nibble: byte2 & 0x0f,
        },
        body: option.get(3..).unwrap_or_default(),
        rest,
    })
}

/// Why `input` does not start with the three bytes every MPTCP option has.
fn frame_error(input: &[u8]) -> Error {
    let header = |i| {
        let (i, kind) = u8_field("kind").parse(i)?;
        if kind != MPTCP_KIND {
            return Err(nom::Err::Error(Error::NotMptcp { kind }));
        }
        let (i, length) = u8_field("length").parse(i)?;
        if length < 3 {
            return Err(nom::Err::Error(Error::InvalidLength {
                option: "MPTCP option",
                expected: LengthSet::range(3, 40),
                found: length,
            }));
        }
        u8_field("subtype").parse(i)
    };
    match header(input) {
        Err(e) => e.into(),
        // Not reached: the three bytes are there and valid.
        Ok(_) => Error::Nom(nom::error::ErrorKind::Verify),
    }
}

/// Checks the length byte against the lengths valid for this option and flags.
pub(crate) fn expect_length(
    option: &'static str,
    expected: LengthSet,
    found: u8,
) -> Result<(), Error> {
    if expected.contains(found) {
        Ok(())
    } else {
        Err(Error::InvalidLength {
            option,
            expected,
            found,
        })
    }
}

/// `parser` as the reader of the `size`-byte field `field`: whatever stops it (only a short
/// input can) becomes [`Error::Truncated`], naming the field and the bytes missing.
pub(crate) fn field<'a, O>(
    field: &'static str,
    size: usize,
    mut parser: impl Parser<&'a [u8], Output = O, Error = Error>,
) -> impl Parser<&'a [u8], Output = O, Error = Error> {
    move |input: &'a [u8]| match parser.parse(input) {
        Ok(done) => Ok(done),
        Err(_) => Err(nom::Err::Error(Error::Truncated {
            field,
            needed: size.saturating_sub(input.len()),
        })),
    }
}

/// One byte, the field `name`.
pub(crate) fn u8_field<'a>(
    name: &'static str,
) -> impl Parser<&'a [u8], Output = u8, Error = Error> {
    field(name, 1, be_u8)
}

/// `N` bytes as an array reference (zero copy).
fn array<'a, const N: usize>() -> impl Parser<&'a [u8], Output = &'a [u8; N], Error = Error> {
    map_opt(take(N), |b: &'a [u8]| b.first_chunk::<N>())
}

// The wider numbers are read as arrays, then swapped: one bounds check and one load, where
// nom's `be_u16` to `be_u64` shift the bytes in one at a time (the decode bench spends 2.5
// times as many instructions with them).

/// A big-endian 16-bit field.
pub(crate) fn u16_field<'a>(
    name: &'static str,
) -> impl Parser<&'a [u8], Output = u16, Error = Error> {
    field(name, 2, array().map(|a| u16::from_be_bytes(*a)))
}

/// A big-endian 32-bit field.
pub(crate) fn u32_field<'a>(
    name: &'static str,
) -> impl Parser<&'a [u8], Output = u32, Error = Error> {
    field(name, 4, array().map(|a| u32::from_be_bytes(*a)))
}

/// A big-endian 64-bit field.
pub(crate) fn u64_field<'a>(
    name: &'static str,
) -> impl Parser<&'a [u8], Output = u64, Error = Error> {
    field(name, 8, array().map(|a| u64::from_be_bytes(*a)))
}

/// `N` bytes as an array reference (zero copy), the field `name`.
pub(crate) fn array_field<'a, const N: usize>(
    name: &'static str,
) -> impl Parser<&'a [u8], Output = &'a [u8; N], Error = Error> {
    field(name, N, array())
}

/// `len` bytes as they are (zero copy).
pub(crate) fn bytes_field<'a>(
    name: &'static str,
    len: usize,
) -> impl Parser<&'a [u8], Output = &'a [u8], Error = Error> {
    field(name, len, take(len))
}

// Plain readers for the DSS fast path, which runs on nearly every segment: through nom
// parsers (`cond`, closures) the same reads are not always inlined into the layout functions,
// and the decode bench decodes less than half as many options per second (62 against 150 M/s).
macro_rules! field_reader {
    ($name:ident, $ty:ty) => {
        /// Reads one named big-endian field; a short input reports the field and the bytes missing.
        pub(crate) fn $name<'a>(input: &'a [u8], field: &'static str) -> PResult<'a, $ty> {
            // One bounds check and one (byte-swapped) load, rather than nom's byte-by-byte
            // `be_u*`; the result is still a nom `IResult` with this crate's error.
            match input.split_first_chunk::<{ core::mem::size_of::<$ty>() }>() {
                Some((bytes, rest)) => Ok((rest, <$ty>::from_be_bytes(*bytes))),
                None => Err(truncated(field, core::mem::size_of::<$ty>(), input.len())),
            }
        }
    };
}

/// The error of a field reader that found `available` of the `size` bytes it needs.
fn truncated(field: &'static str, size: usize, available: usize) -> nom::Err<Error> {
    nom::Err::Error(Error::Truncated {
        field,
        needed: size - available,
    })
}

field_reader!(field_u16, u16);
field_reader!(field_u32, u32);
field_reader!(field_u64, u64);

/// Why `emit` wrote nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmitError {
    /// The buffer given to `emit` is shorter than the option.
    BufferTooSmall {
        /// Bytes the option needs.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// The option is longer than its one-byte length field can say (255).
    TooLong {
        /// Its length.
        length: usize,
    },
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmitError::BufferTooSmall { needed, available } => {
                write!(
                    f,
                    "buffer of {available} byte(s) is too small for {needed} byte(s)"
                )
            }
            EmitError::TooLong { length } => {
                write!(f, "option of {length} bytes does not fit a length byte")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for EmitError {}

/// Writes an option front to back; created only once the buffer is known to be long enough.
pub(crate) struct Writer<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl<'b> Writer<'b> {
    /// Starts an MPTCP option of `length` bytes: writes kind, length and the subtype byte.
    pub fn start(
        buf: &'b mut [u8],
        length: usize,
        subtype: u8,
        nibble: u8,
    ) -> Result<Writer<'b>, EmitError> {
        let Ok(length_byte) = u8::try_from(length) else {
            return Err(EmitError::TooLong { length });
        };
        if buf.len() < length {
            return Err(EmitError::BufferTooSmall {
                needed: length,
                available: buf.len(),
            });
        }
        let mut w = Writer {
            buf: &mut buf[..length],
            pos: 0,
        };
        w.u8(MPTCP_KIND);
        w.u8(length_byte);
        w.u8((subtype << 4) | (nibble & 0x0f));
        Ok(w)
    }

    pub fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }
    pub fn u16(&mut self, v: u16) {
        self.bytes(&v.to_be_bytes());
    }
    pub fn u32(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.bytes(&v.to_be_bytes());
    }
    pub fn bytes(&mut self, v: &[u8]) {
        self.buf[self.pos..self.pos + v.len()].copy_from_slice(v);
        self.pos += v.len();
    }

    /// Ends the option; returns the number of bytes written.
    pub fn done(self) -> usize {
        debug_assert_eq!(self.pos, self.buf.len(), "buffer_len and emit disagree");
        self.pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_bounds_the_body_by_the_length_byte() {
        let f = frame(&[30, 4, 0x81, 0x81, 1, 1, 8, 10]).unwrap();
        assert_eq!(
            f.header,
            Header {
                length: 4,
                subtype: 8,
                nibble: 1
            }
        );
        assert_eq!(f.body, &[0x81]);
        assert_eq!(f.rest, &[1, 1, 8, 10]);
    }

    #[test]
    fn frame_reports_each_missing_header_byte() {
        assert_eq!(
            frame(&[]).err(),
            Some(Error::Truncated {
                field: "kind",
                needed: 1
            })
        );
        assert_eq!(
            frame(&[30]).err(),
            Some(Error::Truncated {
                field: "length",
                needed: 1
            })
        );
        assert_eq!(
            frame(&[30, 4]).err(),
            Some(Error::Truncated {
                field: "subtype",
                needed: 1
            })
        );
        assert!(matches!(
            frame(&[30, 2, 0]),
            Err(Error::InvalidLength { found: 2, .. })
        ));
        assert_eq!(frame(&[8, 10]).err(), Some(Error::NotMptcp { kind: 8 }));
    }

    #[test]
    fn field_reader_names_the_field_and_the_shortfall() {
        let e = u64_field("sender key").parse(&[1, 2, 3]).unwrap_err();
        assert_eq!(
            e,
            nom::Err::Error(Error::Truncated {
                field: "sender key",
                needed: 5
            })
        );
    }
}
