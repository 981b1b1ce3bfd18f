//! MP_FAIL (subtype 0x6) and MP_FASTCLOSE (subtype 0x7): the two 12-byte options that carry
//! one 64-bit value after 12 reserved bits.

use crate::error::{Error, LengthSet, ReservedField, Warning, Warnings};
use crate::wire::{expect_length, u64_field, u8_field, EmitError, Header, Writer};
use nom::Parser;

/// MP_FAIL: the mapping starting at `dsn` failed its checksum; the sender falls back to TCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MpFail {
    /// The 12 reserved bits (subtype nibble, then byte 3).
    pub reserved: u16,
    /// Data sequence number of the failed mapping (always 64 bits).
    pub dsn: u64,
}

/// MP_FASTCLOSE: close the whole connection now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MpFastclose {
    /// The 12 reserved bits (subtype nibble, then byte 3).
    pub reserved: u16,
    /// The *receiver's* key: proves the sender took part in the handshake.
    pub receiver_key: u64,
}

/// The body of MP_FAIL and MP_FASTCLOSE: the reserved byte 3, then the 64-bit `value`; the
/// 12 reserved bits are returned as one number, the nibble above byte 3.
fn parse_reserved_u64(
    name: &'static str,
    header: Header,
    body: &[u8],
    value: &'static str,
) -> Result<(u16, u64), Error> {
    expect_length(name, LengthSet::of(&[12]), header.length)?;
    let (_, (byte3, v)) = (u8_field("reserved"), u64_field(value)).parse(body)?;
    Ok((u16::from(header.nibble) << 8 | u16::from(byte3), v))
}

fn emit_reserved_u64(
    buf: &mut [u8],
    subtype: u8,
    reserved: u16,
    value: u64,
) -> Result<usize, EmitError> {
    let mut w = Writer::start(buf, 12, subtype, (reserved >> 8) as u8 & 0x0f)?;
    w.u8(reserved as u8);
    w.u64(value);
    Ok(w.done())
}

/// Decodes MP_FAIL.
pub(crate) fn parse_fail(header: Header, body: &[u8]) -> Result<MpFail, Error> {
    let (reserved, dsn) = parse_reserved_u64("MP_FAIL", header, body, "data sequence number")?;
    Ok(MpFail { reserved, dsn })
}

/// Decodes MP_FASTCLOSE.
pub(crate) fn parse_fastclose(header: Header, body: &[u8]) -> Result<MpFastclose, Error> {
    let (reserved, receiver_key) =
        parse_reserved_u64("MP_FASTCLOSE", header, body, "receiver key")?;
    Ok(MpFastclose {
        reserved,
        receiver_key,
    })
}

impl MpFail {
    /// Bytes [`emit`](Self::emit) writes.
    pub fn buffer_len(&self) -> usize {
        12
    }
    /// Writes the whole option; returns its length. Only the low 12 bits of `reserved` are sent.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        emit_reserved_u64(buf, 6, self.reserved, self.dsn)
    }
    pub(crate) fn add_warnings(&self, out: &mut Warnings) {
        reserved_warnings(
            [
                ReservedField::MpFailSubtypeByte,
                ReservedField::MpFailReservedByte,
            ],
            self.reserved,
            out,
        );
    }
}

impl MpFastclose {
    /// Bytes [`emit`](Self::emit) writes.
    pub fn buffer_len(&self) -> usize {
        12
    }
    /// Writes the whole option; returns its length. Only the low 12 bits of `reserved` are sent.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        emit_reserved_u64(buf, 7, self.reserved, self.receiver_key)
    }
    pub(crate) fn add_warnings(&self, out: &mut Warnings) {
        reserved_warnings(
            [
                ReservedField::MpFastcloseSubtypeByte,
                ReservedField::MpFastcloseReservedByte,
            ],
            self.reserved,
            out,
        );
    }
}

/// One warning per byte that holds set reserved bits: the subtype byte's nibble, byte 3.
fn reserved_warnings(fields: [ReservedField; 2], reserved: u16, out: &mut Warnings) {
    let (nibble, byte3) = ((reserved >> 8) as u8 & 0x0f, reserved as u8);
    if nibble != 0 {
        out.push(Warning::ReservedBits {
            field: fields[0],
            bits: nibble,
        });
    }
    if byte3 != 0 {
        out.push(Warning::ReservedBits {
            field: fields[1],
            bits: byte3,
        });
    }
}
