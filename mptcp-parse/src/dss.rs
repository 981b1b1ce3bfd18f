//! DSS (subtype 0x2): Data ACK and data sequence mapping.

use crate::error::{Error, LengthSet, Warning, Warnings};
use crate::seq::DataSeq;
use crate::wire::{field_u16, field_u32, field_u64, field_u8, EmitError, Header, Writer};

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
        len += if flags_byte & flags::ACK_64 != 0 { 8 } else { 4 };
    }
    if flags_byte & flags::MAPPING != 0 {
        len += if flags_byte & flags::DSN_64 != 0 { 8 } else { 4 } + 4 + 2;
    }
    len
}

/// [`expected_len`] of every value of the four flags that choose the layout (A a M m).
const EXPECTED_LEN: [u8; 16] = {
    let mut table = [0; 16];
    let mut f = 0;
    while f < 16 {
        table[f] = expected_len(f as u8);
        f += 1;
    }
    table
};

fn variant_name(flags_byte: u8) -> &'static str {
    // The option name in errors says which flags chose the layout.
    const NAMES: [&str; 16] = [
        "DSS (no flags)", "DSS (flags A)", "DSS (flags a)", "DSS (flags A a)",
        "DSS (flags M)", "DSS (flags A M)", "DSS (flags a M)", "DSS (flags A a M)",
        "DSS (flags m)", "DSS (flags A m)", "DSS (flags a m)", "DSS (flags A a m)",
        "DSS (flags M m)", "DSS (flags A M m)", "DSS (flags a M m)", "DSS (flags A a M m)",
    ];
    NAMES[(flags_byte & 0x0f) as usize]
}

/// Every length a DSS option can have, whatever its flags.
const ANY_DSS_LENGTH: LengthSet = LengthSet::of(&[4, 8, 12, 14, 16, 18, 20, 22, 24, 26, 28]);

/// The error for a length byte that does not fit the flags (built only when it is needed).
#[cold]
#[inline(never)]
fn invalid_length(flags_byte: u8, found: u8) -> Error {
    let expected = EXPECTED_LEN[(flags_byte & 0x0f) as usize];
    let valid = if flags_byte & flags::MAPPING != 0 {
        LengthSet::of(&[expected, expected + 2])
    } else {
        LengthSet::of(&[expected])
    };
    Error::InvalidLength { option: variant_name(flags_byte), expected: valid, found }
}

/// The error for a length byte below 4: no room for the flags byte, no DSS is that short.
#[cold]
#[inline(never)]
fn too_short(found: u8) -> Error {
    Error::InvalidLength { option: "DSS", expected: ANY_DSS_LENGTH, found }
}

#[inline(always)]
pub(crate) fn parse(header: Header, body: &[u8]) -> Result<Dss, Error> {
    if header.length < 4 {
        return Err(too_short(header.length));
    }
    let (i, f) = field_u8(body, "DSS flags")?;
    // One copy of the decoder per layout (flags A a M m): each checks the length against a
    // constant and reads its fields at fixed offsets, without testing the flags again.
    macro_rules! by_layout {
        ($($layout:literal)*) => {
            match f & 0x0f {
                $($layout => parse_layout::<$layout>(header, f, i),)*
                _ => parse_layout::<15>(header, f, i),
            }
        };
    }
    by_layout!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14)
}

/// Decodes the fields after the flags byte `f`, whose low four bits are `LAYOUT`.
#[inline(always)]
fn parse_layout<const LAYOUT: u8>(header: Header, f: u8, i: &[u8]) -> Result<Dss, Error> {
    let length = header.length;
    let expected = expected_len(LAYOUT);
    let has_mapping = LAYOUT & flags::MAPPING != 0;
    // Length alone is ambiguous (18, 20, 22, 24): the flags decide, then the length may add
    // the 2-byte checksum to a mapping. Linux checks exactly this.
    if !(length == expected || (has_mapping && length == expected + 2)) {
        return Err(invalid_length(f, length));
    }

    let (i, data_ack) = if LAYOUT & flags::DATA_ACK == 0 {
        (i, None)
    } else if LAYOUT & flags::ACK_64 != 0 {
        let (i, v) = field_u64(i, "Data ACK")?;
        (i, Some(DataSeq::U64(v)))
    } else {
        let (i, v) = field_u32(i, "Data ACK")?;
        (i, Some(DataSeq::U32(v)))
    };
    let mapping = if has_mapping {
        let (i, dsn) = if LAYOUT & flags::DSN_64 != 0 {
            let (i, v) = field_u64(i, "data sequence number")?;
            (i, DataSeq::U64(v))
        } else {
            let (i, v) = field_u32(i, "data sequence number")?;
            (i, DataSeq::U32(v))
        };
        let (i, ssn) = field_u32(i, "subflow sequence number")?;
        let (i, data_len) = field_u16(i, "data-level length")?;
        let checksum = if length > expected { Some(field_u16(i, "checksum")?.1) } else { None };
        Some(Mapping { dsn, ssn, data_len, checksum })
    } else {
        None
    };
    // `a` without `A` and `m` without `M` are flags no field accounts for.
    let mut unused = flags::RESERVED;
    if LAYOUT & flags::DATA_ACK == 0 {
        unused |= flags::ACK_64;
    }
    if !has_mapping {
        unused |= flags::DSN_64;
    }
    Ok(Dss { data_ack, mapping, data_fin: f & flags::DATA_FIN != 0, unused_flags: f & unused, reserved: header.nibble })
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
        4 + self.data_ack.map_or(0, DataSeq::wire_len) + self.mapping.as_ref().map_or(0, Mapping::wire_len)
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
            out.push(Warning::ReservedBits { field: "DSS subtype byte", bits: self.reserved });
        }
        if self.unused_flags & flags::RESERVED != 0 {
            out.push(Warning::ReservedBits { field: "DSS flags", bits: self.unused_flags & flags::RESERVED });
        }
    }
}
