//! MP_TCPRST (subtype 0x8): why a subflow was reset.

use crate::error::{Error, LengthSet, ReservedField, Warning, Warnings};
use crate::wire::{expect_length, u8_field, EmitError, Header, Writer};
use core::fmt;
use nom::Parser;

/// An MP_TCPRST reason code (IANA registry of RFC 8684 section 7.4); unassigned codes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RstReason(pub u8);

impl RstReason {
    /// 0x00 Unspecified error.
    pub const UNSPECIFIED: RstReason = RstReason(0);
    /// 0x01 MPTCP-specific error.
    pub const MPTCP_SPECIFIC: RstReason = RstReason(1);
    /// 0x02 Lack of resources.
    pub const LACK_OF_RESOURCES: RstReason = RstReason(2);
    /// 0x03 Administratively prohibited.
    pub const ADMINISTRATIVELY_PROHIBITED: RstReason = RstReason(3);
    /// 0x04 Too much outstanding data.
    pub const TOO_MUCH_OUTSTANDING_DATA: RstReason = RstReason(4);
    /// 0x05 Unacceptable performance.
    pub const UNACCEPTABLE_PERFORMANCE: RstReason = RstReason(5);
    /// 0x06 Middlebox interference.
    pub const MIDDLEBOX_INTERFERENCE: RstReason = RstReason(6);

    /// The registered names, indexed by code.
    pub const NAMES: [&'static str; 7] = [
        "Unspecified error",
        "MPTCP-specific error",
        "Lack of resources",
        "Administratively prohibited",
        "Too much outstanding data",
        "Unacceptable performance",
        "Middlebox interference",
    ];

    /// The registered name, or `None` for an unassigned code.
    pub fn name(self) -> Option<&'static str> {
        Self::NAMES.get(self.0 as usize).copied()
    }

    /// Whether IANA assigned this code.
    pub fn is_assigned(self) -> bool {
        self.name().is_some()
    }
}

impl fmt::Display for RstReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unassigned (0x{:02x})", self.0),
        }
    }
}

/// MP_TCPRST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MpTcpRst {
    /// The U, V, W bits (0x8, 0x4, 0x2 of the nibble; reserved, must be 0).
    pub reserved: u8,
    /// T: the error is transient; the subflow may be re-established.
    pub transient: bool,
    /// Why the subflow was reset.
    pub reason: RstReason,
}

/// Decodes MP_TCPRST.
pub(crate) fn parse(header: Header, body: &[u8]) -> Result<MpTcpRst, Error> {
    expect_length("MP_TCPRST", LengthSet::of(&[4]), header.length)?;
    let (_, reason) = u8_field("reason").map(RstReason).parse(body)?;
    Ok(MpTcpRst {
        reserved: header.nibble & 0x0e,
        transient: header.nibble & 1 != 0,
        reason,
    })
}

impl MpTcpRst {
    /// Bytes [`emit`](Self::emit) writes.
    pub fn buffer_len(&self) -> usize {
        4
    }

    /// Writes the whole option; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let mut w = Writer::start(buf, 4, 8, self.reserved | u8::from(self.transient))?;
        w.u8(self.reason.0);
        Ok(w.done())
    }

    pub(crate) fn add_warnings(&self, rst: Option<bool>, out: &mut Warnings) {
        if self.reserved != 0 {
            out.push(Warning::ReservedBits {
                field: ReservedField::MpTcpRstFlags,
                bits: self.reserved,
            });
        }
        if !self.reason.is_assigned() {
            out.push(Warning::UnassignedRstReason {
                reason: self.reason.0,
            });
        }
        if rst == Some(false) {
            out.push(Warning::TcpRstWithoutRst);
        }
    }
}
