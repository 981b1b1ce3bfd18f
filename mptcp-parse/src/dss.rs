//! DSS (subtype 0x2): Data ACK and data sequence mapping.

use crate::error::{Error, LengthSet, ReservedField, Warning, Warnings};
use crate::option::{Decoded, MptcpOption};
use crate::seq::DataSeq;
use crate::wire::{
    field_u16, field_u32, field_u64, u16_field, u32_field, u64_field, u8_field, EmitError, Header,
    PResult, Writer,
};
use nom::combinator::cond;
use nom::Parser;

/// DSS flag bits (byte 3).
pub mod flags {
    /// F: DATA_FIN.
    pub const DATA_FIN: u8 = 0x10;
    /// m: the DSN is 8 octets.
    pub const DSN_64: u8 = 0x08;
    /// M: a mapping (DSN, SSN, length, checksum) is present.
    pub const MAPPING: u8 = 0x04;
    /// a: the Data ACK is 8 octets.
    pub const ACK_64: u8 = 0x02;
    /// A: a Data ACK is present.
    pub const DATA_ACK: u8 = 0x01;
    /// The three high bits, reserved.
    pub const RESERVED: u8 = 0xe0;
}

/// A data sequence mapping: `data_len` bytes from subflow sequence `ssn` carry data from `dsn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mapping {
    /// Data sequence number of the first mapped byte.
    pub dsn: DataSeq,
    /// Subflow sequence number, relative to the subflow's initial sequence number (first byte = 1).
    pub ssn: u32,
    /// Data-level length; 0 is the infinite mapping (fallback).
    pub data_len: u16,
    /// DSS checksum, present when the handshake negotiated checksums.
    pub checksum: Option<u16>,
}

impl Mapping {
    /// Data-level length 0: the infinite mapping that announces fallback to TCP.
    pub const fn is_infinite(&self) -> bool {
        self.data_len == 0
    }

    const fn wire_len(&self) -> usize {
        self.dsn.wire_len() + 4 + 2 + if self.checksum.is_some() { 2 } else { 0 }
    }
}

/// DSS: any of Data ACK, mapping and DATA_FIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dss {
    /// Data ACK (flag A; 8 octets with flag a).
    pub data_ack: Option<DataSeq>,
    /// Mapping (flag M; DSN of 8 octets with flag m).
    pub mapping: Option<Mapping>,
    /// F: DATA_FIN; the mapping's last data byte (or its only DSN, length 1, SSN 0) ends the data.
    pub data_fin: bool,
    /// Flag bits no field above accounts for: the three reserved bits, and `a` or `m` when
    /// their A or M is absent (receivers ignore both).
    pub unused_flags: u8,
    /// Low nibble of the subtype byte (reserved).
    pub reserved: u8,
}

/// DSS option length for `flags`, without the checksum.
pub const fn expected_len(flags_byte: u8) -> u8 {
    let mut len = 4;
    if flags_byte & flags::DATA_ACK != 0 {
        len += if flags_byte & flags::ACK_64 != 0 {
            8
        } else {
            4
        };
    }
    if flags_byte & flags::MAPPING != 0 {
        len += if flags_byte & flags::DSN_64 != 0 {
            8
        } else {
            4
        } + 4
            + 2;
    }
    len
}

/// [`expected_len`] of each value of the four flags that choose the fields (A a M m).
const LENGTHS: [u8; 16] = {
    let mut lengths = [0; 16];
    let mut f = 0;
    while f < 16 {
        lengths[f] = expected_len(f as u8);
        f += 1;
    }
    lengths
};

fn variant_name(flags_byte: u8) -> &'static str {
    // The option name in errors says which flags chose the layout.
    const NAMES: [&str; 16] = [
        "DSS (no flags)",
        "DSS (flags A)",
        "DSS (flags a)",
        "DSS (flags A a)",
        "DSS (flags M)",
        "DSS (flags A M)",
        "DSS (flags a M)",
        "DSS (flags A a M)",
        "DSS (flags m)",
        "DSS (flags A m)",
        "DSS (flags a m)",
        "DSS (flags A a m)",
        "DSS (flags M m)",
        "DSS (flags A M m)",
        "DSS (flags a M m)",
        "DSS (flags A a M m)",
    ];
    NAMES[(flags_byte & 0x0f) as usize]
}

/// Every length a DSS option can have, whatever its flags.
const ANY_DSS_LENGTH: LengthSet = LengthSet::of(&[4, 8, 12, 14, 16, 18, 20, 22, 24, 26, 28]);

/// The error for a length byte that does not fit the flags (built only when it is needed).
fn invalid_length(flags_byte: u8, found: u8) -> Error {
    let expected = LENGTHS[(flags_byte & 0x0f) as usize];
    let valid = if flags_byte & flags::MAPPING != 0 {
        LengthSet::of(&[expected, expected + 2])
    } else {
        LengthSet::of(&[expected])
    };
    Error::InvalidLength {
        option: variant_name(flags_byte),
        expected: valid,
        found,
    }
}

/// Decodes a DSS option: the flags choose the fields, the length may add the checksum. The
/// reference decoder, which the fast path below ([`decode`]) calls for its errors.
pub(crate) fn parse(header: Header, body: &[u8]) -> Result<Dss, Error> {
    if header.length < 4 {
        // No room for the flags byte: no DSS is that short.
        return Err(Error::InvalidLength {
            option: "DSS",
            expected: ANY_DSS_LENGTH,
            found: header.length,
        });
    }
    let (i, f) = u8_field("DSS flags").parse(body)?;
    let (has_ack, has_mapping) = (f & flags::DATA_ACK != 0, f & flags::MAPPING != 0);
    // Length alone is ambiguous (18, 20, 22, 24): the flags decide, then the length may add
    // the 2-byte checksum to a mapping. Linux checks exactly this.
    let expected = LENGTHS[usize::from(f & 0x0f)];
    let checksum = match header.length {
        l if l == expected => false,
        l if has_mapping && l == expected + 2 => true,
        l => return Err(invalid_length(f, l)),
    };
    let (_, (data_ack, mapping)) = (
        cond(has_ack, data_seq(f & flags::ACK_64 != 0, "Data ACK")),
        cond(has_mapping, self::mapping(f & flags::DSN_64 != 0, checksum)),
    )
        .parse(i)?;
    // `a` counts only with `A`, `m` only with `M` (each is the bit above): without them they
    // are flags no field accounts for, like the reserved bits.
    let used = flags::DATA_FIN
        | flags::DATA_ACK
        | flags::MAPPING
        | (f & (flags::DATA_ACK | flags::MAPPING)) << 1;
    Ok(Dss {
        data_ack,
        mapping,
        data_fin: f & flags::DATA_FIN != 0,
        unused_flags: f & !used,
        reserved: header.nibble,
    })
}

/// A Data ACK or data sequence number: 8 octets when `wide`, else 4.
fn data_seq<'a>(
    wide: bool,
    name: &'static str,
) -> impl Parser<&'a [u8], Output = DataSeq, Error = Error> {
    move |i: &'a [u8]| {
        if wide {
            u64_field(name).map(DataSeq::U64).parse(i)
        } else {
            u32_field(name).map(DataSeq::U32).parse(i)
        }
    }
}

/// A mapping: DSN (8 octets when `wide_dsn`), subflow sequence number, data-level length, and
/// the checksum when the length has room for it.
fn mapping<'a>(
    wide_dsn: bool,
    checksum: bool,
) -> impl Parser<&'a [u8], Output = Mapping, Error = Error> {
    (
        data_seq(wide_dsn, "data sequence number"),
        u32_field("subflow sequence number"),
        u16_field("data-level length"),
        cond(checksum, u16_field("checksum")),
    )
        .map(|(dsn, ssn, data_len, checksum)| Mapping {
            dsn,
            ssn,
            data_len,
            checksum,
        })
}

/// What the fast DSS decoder builds: the strict `IResult`; the lenient `(rest, Decoded)`; or the
/// `Some(Decoded)` of the options area's lenient iterator. Each is built in place by the layout
/// function (a tail call from the entry point), rather than copied from one to another.
pub(crate) trait Output<'a> {
    /// The result for a decoded option followed by `rest`.
    fn decoded(rest: &'a [u8], dss: Dss) -> Self;
    /// The result for an option that does not decode.
    fn failed(rest: &'a [u8], error: Error) -> Self;
}

impl<'a> Output<'a> for PResult<'a, MptcpOption<'a>> {
    fn decoded(rest: &'a [u8], dss: Dss) -> Self {
        Ok((rest, MptcpOption::Dss(dss)))
    }
    fn failed(_: &'a [u8], error: Error) -> Self {
        Err(nom::Err::Error(error))
    }
}

impl<'a> Output<'a> for (&'a [u8], Decoded<'a>) {
    fn decoded(rest: &'a [u8], dss: Dss) -> Self {
        let mut warnings = Warnings::new();
        dss.add_warnings(&mut warnings);
        (
            rest,
            Decoded {
                option: Ok(MptcpOption::Dss(dss)),
                warnings,
            },
        )
    }
    fn failed(rest: &'a [u8], error: Error) -> Self {
        (
            rest,
            Decoded {
                option: Err(error),
                warnings: Warnings::new(),
            },
        )
    }
}

impl<'a> Output<'a> for Option<Decoded<'a>> {
    fn decoded(rest: &'a [u8], dss: Dss) -> Self {
        Some(<(&[u8], Decoded<'a>)>::decoded(rest, dss).1)
    }
    fn failed(rest: &'a [u8], error: Error) -> Self {
        Some(<(&[u8], Decoded<'a>)>::failed(rest, error).1)
    }
}

/// One layout's decoder: `bits` holds the flags byte and (bits 8 to 11) the subtype byte's
/// low nibble; `i` the bytes after the flags, `rest` the input after the option.
type LayoutFn<'a, O> = fn(u16, &'a [u8], &'a [u8]) -> O;

/// Decodes a DSS option (its frame already split) into the caller's whole result.
///
/// DSS is on nearly every segment of a connection. The flags and the length byte choose one
/// of 32 functions (layout A a M m, with or without checksum), called through a table: each
/// knows its fields' offsets, checks once that the bytes are there, and writes its result in
/// place. Errors are tail calls to cold functions, so the layout functions are leaves that
/// save no register; and no value is copied from one `Result` into another. [`parse`], the
/// same decode with nom parsers and the layout a variable, behind the one dispatch of all
/// subtypes, decodes 92 M options/s of the decode bench where this one decodes 139 to 150 M.
pub(crate) fn decode<'a, O: Output<'a>>(
    header: Header,
    body: &'a [u8],
    rest: &'a [u8],
    table: &[LayoutFn<'a, O>; 32],
) -> O {
    let Some((&f, i)) = body.split_first().filter(|_| header.length >= 4) else {
        return fail(header, body, rest);
    };
    let layout = (f & 0x0f) as usize;
    let expected = LENGTHS[layout];
    let which = if header.length == expected {
        layout
    } else if f & flags::MAPPING != 0 && header.length == expected + 2 {
        layout + 16
    } else {
        return fail(header, body, rest);
    };
    table[which](u16::from(f) | u16::from(header.nibble) << 8, i, rest)
}

/// The result of [`decode`] for an option it does not decode: the reference decoder's error.
// Cold and out of line, the error paths leave the layout functions leaves that save no
// register: the decode bench decodes 16 % fewer options per second without it.
#[cold]
#[inline(never)]
fn fail<'a, O: Output<'a>>(header: Header, body: &[u8], rest: &'a [u8]) -> O {
    match parse(header, body) {
        Err(e) => O::failed(rest, e),
        // Not reached: `parse` fails where `decode` does.
        Ok(dss) => O::decoded(rest, dss),
    }
}

/// The decoder of one layout (`LAYOUT`: flags A a M m; `CHECKSUM`: with the 2-byte checksum).
fn layout<'a, O: Output<'a>, const LAYOUT: u8, const CHECKSUM: bool>(
    bits: u16,
    i: &'a [u8],
    rest: &'a [u8],
) -> O {
    let (f, nibble) = (bits as u8, (bits >> 8) as u8 & 0x0f);
    let length = expected_len(LAYOUT) + if CHECKSUM { 2 } else { 0 };
    let header = Header {
        length,
        subtype: 2,
        nibble,
    };
    if i.len() < length as usize - 4 {
        return cut(bits, length, i, rest);
    }
    // With the length known and checked, every read below is at a fixed offset within it.
    match read_fields(LAYOUT, header, f, i) {
        Ok(dss) => O::decoded(rest, dss),
        Err(e) => O::failed(rest, e),
    }
}

/// The result of a [`layout`] whose option is cut: the field readers name the field.
// As `fail`.
#[cold]
#[inline(never)]
fn cut<'a, O: Output<'a>>(bits: u16, length: u8, i: &[u8], rest: &'a [u8]) -> O {
    let header = Header {
        length,
        subtype: 2,
        nibble: (bits >> 8) as u8 & 0x0f,
    };
    match read_fields((bits & 0x0f) as u8, header, bits as u8, i) {
        Err(e) => O::failed(rest, e),
        // Not reached: the caller found the fields too short.
        Ok(dss) => O::decoded(rest, dss),
    }
}

/// The table of [`layout`] functions for one output, as `$name::<LAYOUT, CHECKSUM>`.
macro_rules! layouts {
    ($name:ident) => {
        [
            $name::<0, false>,
            $name::<1, false>,
            $name::<2, false>,
            $name::<3, false>,
            $name::<4, false>,
            $name::<5, false>,
            $name::<6, false>,
            $name::<7, false>,
            $name::<8, false>,
            $name::<9, false>,
            $name::<10, false>,
            $name::<11, false>,
            $name::<12, false>,
            $name::<13, false>,
            $name::<14, false>,
            $name::<15, false>,
            // With a checksum: only the layouts with M are reached; the others stand in without.
            $name::<0, false>,
            $name::<1, false>,
            $name::<2, false>,
            $name::<3, false>,
            $name::<4, true>,
            $name::<5, true>,
            $name::<6, true>,
            $name::<7, true>,
            $name::<8, false>,
            $name::<9, false>,
            $name::<10, false>,
            $name::<11, false>,
            $name::<12, true>,
            $name::<13, true>,
            $name::<14, true>,
            $name::<15, true>,
        ]
    };
}

type StrictFn = for<'a> fn(u16, &'a [u8], &'a [u8]) -> PResult<'a, MptcpOption<'a>>;
type LenientFn = for<'a> fn(u16, &'a [u8], &'a [u8]) -> (&'a [u8], Decoded<'a>);
type ItemFn = for<'a> fn(u16, &'a [u8], &'a [u8]) -> Option<Decoded<'a>>;

/// The layout decoders of [`parse_mptcp_option`](crate::parse_mptcp_option).
pub(crate) static STRICT: [StrictFn; 32] = layouts!(strict);

/// The layout decoders of [`parse_mptcp_option_lenient`](crate::parse_mptcp_option_lenient).
pub(crate) static LENIENT: [LenientFn; 32] = layouts!(lenient);

/// The layout decoders of [`mptcp_options_lenient`](crate::mptcp_options_lenient).
pub(crate) static ITEMS: [ItemFn; 32] = layouts!(item);

fn strict<'a, const LAYOUT: u8, const CHECKSUM: bool>(
    bits: u16,
    i: &'a [u8],
    rest: &'a [u8],
) -> PResult<'a, MptcpOption<'a>> {
    layout::<_, LAYOUT, CHECKSUM>(bits, i, rest)
}

fn lenient<'a, const LAYOUT: u8, const CHECKSUM: bool>(
    bits: u16,
    i: &'a [u8],
    rest: &'a [u8],
) -> (&'a [u8], Decoded<'a>) {
    layout::<_, LAYOUT, CHECKSUM>(bits, i, rest)
}

fn item<'a, const LAYOUT: u8, const CHECKSUM: bool>(
    bits: u16,
    i: &'a [u8],
    rest: &'a [u8],
) -> Option<Decoded<'a>> {
    layout::<_, LAYOUT, CHECKSUM>(bits, i, rest)
}

/// Reads the fields `layout` (flags A a M m) calls for, after the flags byte `f`.
fn read_fields(layout: u8, header: Header, f: u8, i: &[u8]) -> Result<Dss, Error> {
    let has_mapping = layout & flags::MAPPING != 0;
    let (i, data_ack) = if layout & flags::DATA_ACK == 0 {
        (i, None)
    } else if layout & flags::ACK_64 != 0 {
        let (i, v) = field_u64(i, "Data ACK")?;
        (i, Some(DataSeq::U64(v)))
    } else {
        let (i, v) = field_u32(i, "Data ACK")?;
        (i, Some(DataSeq::U32(v)))
    };
    let mapping = if has_mapping {
        let (i, dsn) = if layout & flags::DSN_64 != 0 {
            let (i, v) = field_u64(i, "data sequence number")?;
            (i, DataSeq::U64(v))
        } else {
            let (i, v) = field_u32(i, "data sequence number")?;
            (i, DataSeq::U32(v))
        };
        let (i, ssn) = field_u32(i, "subflow sequence number")?;
        let (i, data_len) = field_u16(i, "data-level length")?;
        let checksum = if header.length > expected_len(layout) {
            Some(field_u16(i, "checksum")?.1)
        } else {
            None
        };
        Some(Mapping {
            dsn,
            ssn,
            data_len,
            checksum,
        })
    } else {
        None
    };
    // `a` without `A` and `m` without `M` are flags no field accounts for.
    let mut unused = flags::RESERVED;
    if layout & flags::DATA_ACK == 0 {
        unused |= flags::ACK_64;
    }
    if !has_mapping {
        unused |= flags::DSN_64;
    }
    Ok(Dss {
        data_ack,
        mapping,
        data_fin: f & flags::DATA_FIN != 0,
        unused_flags: f & unused,
        reserved: header.nibble,
    })
}

impl Dss {
    /// The flags byte as sent.
    pub fn flags(&self) -> u8 {
        let mut f = self.unused_flags;
        if self.data_fin {
            f |= flags::DATA_FIN;
        }
        if let Some(ack) = self.data_ack {
            f |= flags::DATA_ACK | if ack.is_64bit() { flags::ACK_64 } else { 0 };
        }
        if let Some(m) = self.mapping {
            f |= flags::MAPPING | if m.dsn.is_64bit() { flags::DSN_64 } else { 0 };
        }
        f
    }

    /// Bytes [`emit`](Self::emit) writes.
    pub fn buffer_len(&self) -> usize {
        4 + self.data_ack.map_or(0, DataSeq::wire_len)
            + self.mapping.as_ref().map_or(0, Mapping::wire_len)
    }

    /// Writes the whole option; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let mut w = Writer::start(buf, self.buffer_len(), 2, self.reserved)?;
        w.u8(self.flags());
        match self.data_ack {
            Some(DataSeq::U32(v)) => w.u32(v),
            Some(DataSeq::U64(v)) => w.u64(v),
            None => {}
        }
        if let Some(m) = self.mapping {
            match m.dsn {
                DataSeq::U32(v) => w.u32(v),
                DataSeq::U64(v) => w.u64(v),
            }
            w.u32(m.ssn);
            w.u16(m.data_len);
            if let Some(c) = m.checksum {
                w.u16(c);
            }
        }
        Ok(w.done())
    }

    pub(crate) fn add_warnings(&self, out: &mut Warnings) {
        if self.reserved != 0 {
            out.push(Warning::ReservedBits {
                field: ReservedField::DssSubtypeByte,
                bits: self.reserved,
            });
        }
        if self.unused_flags & flags::RESERVED != 0 {
            out.push(Warning::ReservedBits {
                field: ReservedField::DssFlags,
                bits: self.unused_flags & flags::RESERVED,
            });
        }
    }
}
