//! MP_JOIN (subtype 0x1): a new subflow joins an existing connection.

use crate::error::{
    Error, HandshakeForm, LengthSet, ReservedField, SegmentKind, Warning, Warnings,
};
use crate::wire::{
    array_field, expect_length, u32_field, u64_field, u8_field, EmitError, Header, Writer,
};
use crate::Segment;
use nom::Parser;

/// The three forms of MP_JOIN, one per handshake step, told apart by length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JoinForm<'a> {
    /// SYN (length 12).
    Syn {
        /// Address ID of the joining host's address.
        address_id: u8,
        /// Token of the receiver's key: names the connection to join.
        receiver_token: u32,
        /// The sender's random number R_A.
        sender_nonce: u32,
    },
    /// SYN/ACK (length 16).
    SynAck {
        /// Address ID of the listener's address.
        address_id: u8,
        /// Leftmost 64 bits of HMAC-B (key B‖A, message R_B‖R_A).
        truncated_hmac: u64,
        /// The sender's random number R_B.
        sender_nonce: u32,
    },
    /// Third ACK (length 24).
    Ack {
        /// Reserved byte 3.
        reserved: u8,
        /// HMAC-A: full HMAC-SHA1 (v0) or leftmost 160 bits of HMAC-SHA256 (v1).
        hmac: &'a [u8; 20],
    },
}

/// MP_JOIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MpJoin<'a> {
    /// B: the sender wants this subflow as a backup (SYN and SYN/ACK only; the ACK form has
    /// no B flag, keep it `false` there: its bit is part of `reserved`).
    pub backup: bool,
    /// Bits 1 to 3 of the subtype byte (reserved); in the ACK form, bit 0 as well.
    pub reserved: u8,
    /// The form, by handshake step.
    pub form: JoinForm<'a>,
}

const LENGTHS: LengthSet = LengthSet::of(&[12, 16, 24]);

/// Decodes MP_JOIN: the length chooses the form.
pub(crate) fn parse(header: Header, body: &[u8]) -> Result<MpJoin<'_>, Error> {
    expect_length("MP_JOIN", LENGTHS, header.length)?;
    let (_, form) = match header.length {
        12 => (
            u8_field("address ID"),
            u32_field("receiver token"),
            u32_field("sender random number"),
        )
            .map(|(address_id, receiver_token, sender_nonce)| JoinForm::Syn {
                address_id,
                receiver_token,
                sender_nonce,
            })
            .parse(body)?,
        16 => (
            u8_field("address ID"),
            u64_field("truncated HMAC"),
            u32_field("sender random number"),
        )
            .map(
                |(address_id, truncated_hmac, sender_nonce)| JoinForm::SynAck {
                    address_id,
                    truncated_hmac,
                    sender_nonce,
                },
            )
            .parse(body)?,
        _ => (u8_field("reserved"), array_field::<20>("HMAC"))
            .map(|(reserved, hmac)| JoinForm::Ack { reserved, hmac })
            .parse(body)?,
    };
    // The ACK form has no B flag: its bit is reserved too.
    Ok(match form {
        JoinForm::Ack { .. } => MpJoin {
            backup: false,
            reserved: header.nibble,
            form,
        },
        _ => MpJoin {
            backup: header.nibble & 1 != 0,
            reserved: header.nibble & 0x0e,
            form,
        },
    })
}

impl MpJoin<'_> {
    /// Bytes [`emit`](Self::emit) writes.
    pub fn buffer_len(&self) -> usize {
        match self.form {
            JoinForm::Syn { .. } => 12,
            JoinForm::SynAck { .. } => 16,
            JoinForm::Ack { .. } => 24,
        }
    }

    /// Writes the whole option; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let nibble = self.reserved | u8::from(self.backup);
        let mut w = Writer::start(buf, self.buffer_len(), 1, nibble)?;
        match self.form {
            JoinForm::Syn {
                address_id,
                receiver_token,
                sender_nonce,
            } => {
                w.u8(address_id);
                w.u32(receiver_token);
                w.u32(sender_nonce);
            }
            JoinForm::SynAck {
                address_id,
                truncated_hmac,
                sender_nonce,
            } => {
                w.u8(address_id);
                w.u64(truncated_hmac);
                w.u32(sender_nonce);
            }
            JoinForm::Ack { reserved, hmac } => {
                w.u8(reserved);
                w.bytes(hmac);
            }
        }
        Ok(w.done())
    }

    /// The address ID (SYN and SYN/ACK forms).
    pub fn address_id(&self) -> Option<u8> {
        match self.form {
            JoinForm::Syn { address_id, .. } | JoinForm::SynAck { address_id, .. } => {
                Some(address_id)
            }
            JoinForm::Ack { .. } => None,
        }
    }

    pub(crate) fn add_warnings(&self, segment: Option<Segment>, out: &mut Warnings) {
        if self.reserved != 0 {
            out.push(Warning::ReservedBits {
                field: ReservedField::MpJoinSubtypeByte,
                bits: self.reserved,
            });
        }
        if let JoinForm::Ack { reserved, .. } = self.form {
            if reserved != 0 {
                out.push(Warning::ReservedBits {
                    field: ReservedField::MpJoinAckReservedByte,
                    bits: reserved,
                });
            }
        }
        let Some(s) = segment else { return };
        let (fits, option, expected) = match self.form {
            JoinForm::Syn { .. } => (s.is_syn(), HandshakeForm::JoinSyn, SegmentKind::Syn),
            JoinForm::SynAck { .. } => (
                s.is_syn_ack(),
                HandshakeForm::JoinSynAck,
                SegmentKind::SynAck,
            ),
            JoinForm::Ack { .. } => (s.ack && !s.syn, HandshakeForm::JoinAck, SegmentKind::Ack),
        };
        if !fits {
            out.push(Warning::UnexpectedSegment { option, expected });
        }
    }
}
