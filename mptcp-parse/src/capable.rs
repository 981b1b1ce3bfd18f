//! MP_CAPABLE (subtype 0x0): the handshake that starts an MPTCP connection.

use crate::error::{
    Error, HandshakeForm, LengthSet, ReservedField, SegmentKind, Warning, Warnings,
};
use crate::wire::{
    bytes_field, expect_length, u16_field, u64_field, u8_field, EmitError, Header, Writer,
};
use crate::Segment;
use nom::combinator::{cond, rest};
use nom::Parser;

/// The MP_CAPABLE flags byte (byte 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct CapableFlags(pub u8);

impl CapableFlags {
    /// A: DSS checksums required.
    pub const CHECKSUM_REQUIRED: u8 = 0x80;
    /// B: extensibility; must be 0.
    pub const EXTENSIBILITY: u8 = 0x40;
    /// C (v1): do not open subflows to this source address and port.
    pub const DENY_JOIN_ID0: u8 = 0x20;
    /// D to G (v1): unassigned.
    pub const UNASSIGNED_V1: u8 = 0x1e;
    /// C to G (v0): crypto algorithm bits no algorithm was assigned to.
    pub const UNASSIGNED_V0: u8 = 0x3e;
    /// H: HMAC-SHA256 (v1) or HMAC-SHA1 (v0).
    pub const HMAC: u8 = 0x01;

    /// A: the sender requires DSS checksums.
    pub const fn checksum_required(self) -> bool {
        self.0 & Self::CHECKSUM_REQUIRED != 0
    }
    /// B: extensibility (must be 0; Linux rejects the handshake otherwise).
    pub const fn extensibility(self) -> bool {
        self.0 & Self::EXTENSIBILITY != 0
    }
    /// C (v1 only): the sender accepts no new subflows to the address it sent this from.
    pub const fn deny_join_id0(self) -> bool {
        self.0 & Self::DENY_JOIN_ID0 != 0
    }
    /// H: the HMAC algorithm (SHA-256 in v1, SHA-1 in v0) is offered.
    pub const fn hmac(self) -> bool {
        self.0 & Self::HMAC != 0
    }

    /// Bits set that the given version leaves unassigned or requires to be zero.
    pub const fn reserved(self, version: u8) -> u8 {
        let unassigned = if version == 0 {
            Self::UNASSIGNED_V0
        } else {
            Self::UNASSIGNED_V1
        };
        self.0 & (unassigned | Self::EXTENSIBILITY)
    }
}

/// The variable part of MP_CAPABLE, chosen by the option's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CapableForm<'a> {
    /// v1 SYN: flags only (length 4).
    Bare,
    /// The sender's key (length 12): v1 SYN/ACK, v0 SYN and SYN/ACK.
    SenderKey {
        /// The sender's 64-bit key.
        key: u64,
    },
    /// Both keys (length 20): the third ACK of the handshake.
    BothKeys {
        /// Key of the host sending this option (the one that sent the SYN).
        sender_key: u64,
        /// Key of the other host.
        receiver_key: u64,
    },
    /// v1: both keys with the first data (length 22, or 24 with a DSS checksum).
    ///
    /// The mapping is implicit: DSN = IDSN(sender) + 1, subflow sequence 1.
    BothKeysData {
        /// Key of the host sending this option.
        sender_key: u64,
        /// Key of the other host.
        receiver_key: u64,
        /// Data-level length of the implicit mapping.
        data_len: u16,
        /// DSS checksum of that mapping, when checksums were negotiated.
        checksum: Option<u16>,
    },
    /// A version this crate does not know: the bytes after the flags, as they are.
    Opaque(&'a [u8]),
}

/// MP_CAPABLE, versions 0 (RFC 6824) and 1 (RFC 8684).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MpCapable<'a> {
    /// Version nibble: 0 or 1 (others decode only leniently, as [`CapableForm::Opaque`]).
    pub version: u8,
    /// Flags byte.
    pub flags: CapableFlags,
    /// Keys and data, by length.
    pub form: CapableForm<'a>,
}

const V0_LENGTHS: LengthSet = LengthSet::of(&[12, 20]);
const V1_LENGTHS: LengthSet = LengthSet::of(&[4, 12, 20, 22, 24]);

/// Decodes MP_CAPABLE; `lenient` keeps a version other than 0 and 1 as opaque bytes.
pub(crate) fn parse(header: Header, body: &[u8], lenient: bool) -> Result<MpCapable<'_>, Error> {
    let version = header.nibble;
    // The length is checked before any field is read: a short length byte is an invalid
    // length, not a truncation.
    let known = match version {
        0 => expect_length("MP_CAPABLE v0", V0_LENGTHS, header.length).map(|()| true),
        1 => expect_length("MP_CAPABLE v1", V1_LENGTHS, header.length).map(|()| true),
        // Like any opaque body: room for the flags byte is all that is required.
        _ if lenient && header.length >= 4 => Ok(false),
        _ if lenient => Err(Error::InvalidLength {
            option: "MP_CAPABLE (unknown version)",
            expected: LengthSet::range(4, 40),
            found: header.length,
        }),
        _ => Err(Error::UnsupportedVersion { version }),
    }?;
    let (_, (flags, form)) = if known {
        (u8_field("flags").map(CapableFlags), keys(header.length)).parse(body)?
    } else {
        let (_, body) = bytes_field("option body", header.length as usize - 3).parse(body)?;
        (
            u8_field("flags").map(CapableFlags),
            rest.map(CapableForm::Opaque),
        )
            .parse(body)?
    };
    Ok(MpCapable {
        version,
        flags,
        form,
    })
}

/// What follows the flags byte: the keys and data-level fields the length calls for.
fn keys<'a>(length: u8) -> impl Parser<&'a [u8], Output = CapableForm<'a>, Error = Error> {
    move |i: &'a [u8]| match length {
        4 => Ok((i, CapableForm::Bare)),
        12 => u64_field("sender key")
            .map(|key| CapableForm::SenderKey { key })
            .parse(i),
        20 => (u64_field("sender key"), u64_field("receiver key"))
            .map(|(sender_key, receiver_key)| CapableForm::BothKeys {
                sender_key,
                receiver_key,
            })
            .parse(i),
        _ => (
            u64_field("sender key"),
            u64_field("receiver key"),
            u16_field("data-level length"),
            cond(length == 24, u16_field("checksum")),
        )
            .map(
                |(sender_key, receiver_key, data_len, checksum)| CapableForm::BothKeysData {
                    sender_key,
                    receiver_key,
                    data_len,
                    checksum,
                },
            )
            .parse(i),
    }
}

impl MpCapable<'_> {
    /// Bytes [`emit`](Self::emit) writes.
    pub fn buffer_len(&self) -> usize {
        match self.form {
            CapableForm::Bare => 4,
            CapableForm::SenderKey { .. } => 12,
            CapableForm::BothKeys { .. } => 20,
            CapableForm::BothKeysData { checksum, .. } => {
                22 + if checksum.is_some() { 2 } else { 0 }
            }
            CapableForm::Opaque(body) => 4 + body.len(),
        }
    }

    /// Writes the whole option (kind and length included); returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let mut w = Writer::start(buf, self.buffer_len(), 0, self.version)?;
        w.u8(self.flags.0);
        match self.form {
            CapableForm::Bare => {}
            CapableForm::SenderKey { key } => w.u64(key),
            CapableForm::BothKeys {
                sender_key,
                receiver_key,
            } => {
                w.u64(sender_key);
                w.u64(receiver_key);
            }
            CapableForm::BothKeysData {
                sender_key,
                receiver_key,
                data_len,
                checksum,
            } => {
                w.u64(sender_key);
                w.u64(receiver_key);
                w.u16(data_len);
                if let Some(c) = checksum {
                    w.u16(c);
                }
            }
            CapableForm::Opaque(body) => w.bytes(body),
        }
        Ok(w.done())
    }

    /// The sender's key, in every form that carries one.
    pub fn sender_key(&self) -> Option<u64> {
        match self.form {
            CapableForm::SenderKey { key } => Some(key),
            CapableForm::BothKeys { sender_key, .. }
            | CapableForm::BothKeysData { sender_key, .. } => Some(sender_key),
            _ => None,
        }
    }

    /// The receiver's key (third ACK and first data only).
    pub fn receiver_key(&self) -> Option<u64> {
        match self.form {
            CapableForm::BothKeys { receiver_key, .. }
            | CapableForm::BothKeysData { receiver_key, .. } => Some(receiver_key),
            _ => None,
        }
    }

    /// The handshake step this form belongs to, in words.
    pub fn step(&self) -> &'static str {
        match self.form {
            CapableForm::Bare => "SYN",
            CapableForm::SenderKey { .. } if self.version == 0 => "SYN or SYN/ACK",
            CapableForm::SenderKey { .. } => "SYN/ACK",
            CapableForm::BothKeys { .. } => "ACK",
            CapableForm::BothKeysData { .. } => "ACK with data",
            CapableForm::Opaque(_) => "unknown",
        }
    }

    pub(crate) fn add_warnings(&self, segment: Option<Segment>, out: &mut Warnings) {
        if let CapableForm::Opaque(_) = self.form {
            out.push(Warning::UnknownVersion {
                version: self.version,
            });
            return;
        }
        let reserved = self.flags.reserved(self.version);
        if reserved != 0 {
            out.push(Warning::ReservedBits {
                field: ReservedField::MpCapableFlags,
                bits: reserved,
            });
        }
        let Some(s) = segment else { return };
        let fits = match self.form {
            CapableForm::Bare => s.is_syn(),
            CapableForm::SenderKey { .. } if self.version == 0 => s.syn,
            CapableForm::SenderKey { .. } => s.is_syn_ack(),
            CapableForm::BothKeys { .. } => s.ack && !s.syn,
            CapableForm::BothKeysData { .. } => s.ack && !s.syn && s.payload,
            CapableForm::Opaque(_) => true,
        };
        if !fits {
            let option = match self.form {
                CapableForm::Bare => HandshakeForm::CapableWithoutKey,
                CapableForm::SenderKey { .. } => HandshakeForm::CapableSenderKey,
                CapableForm::BothKeys { .. } => HandshakeForm::CapableBothKeys,
                _ => HandshakeForm::CapableWithData,
            };
            out.push(Warning::UnexpectedSegment {
                option,
                expected: self.step_segment(),
            });
        }
    }

    fn step_segment(&self) -> SegmentKind {
        match self.form {
            CapableForm::Bare => SegmentKind::Syn,
            CapableForm::SenderKey { .. } if self.version == 0 => SegmentKind::SynOrSynAck,
            CapableForm::SenderKey { .. } => SegmentKind::SynAck,
            CapableForm::BothKeys { .. } => SegmentKind::Ack,
            _ => SegmentKind::AckWithPayload,
        }
    }
}
