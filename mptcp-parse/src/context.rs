//! What a decoder needs to know beyond the option's bytes.

use crate::option::subtype;
use core::fmt;

/// The flags byte of a TCP header (byte 13), with its bits named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// No more data from the sender.
    pub const FIN: TcpFlags = TcpFlags(0x01);
    /// Synchronise sequence numbers.
    pub const SYN: TcpFlags = TcpFlags(0x02);
    /// Reset the connection.
    pub const RST: TcpFlags = TcpFlags(0x04);
    /// Push.
    pub const PSH: TcpFlags = TcpFlags(0x08);
    /// The acknowledgment number is valid.
    pub const ACK: TcpFlags = TcpFlags(0x10);
    /// The urgent pointer is valid.
    pub const URG: TcpFlags = TcpFlags(0x20);
    /// ECN echo.
    pub const ECE: TcpFlags = TcpFlags(0x40);
    /// Congestion window reduced.
    pub const CWR: TcpFlags = TcpFlags(0x80);

    /// All the bits of `other` are set.
    pub const fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Some bit of `other` is set.
    pub const fn intersects(self, other: TcpFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// The bits of both.
    pub const fn union(self, other: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | other.0)
    }

    /// A SYN without ACK: the first segment of a handshake.
    pub const fn is_syn_only(self) -> bool {
        self.0 & (TcpFlags::SYN.0 | TcpFlags::ACK.0) == TcpFlags::SYN.0
    }
}

impl core::ops::BitOr for TcpFlags {
    type Output = TcpFlags;
    fn bitor(self, other: TcpFlags) -> TcpFlags {
        self.union(other)
    }
}

/// The TCP segment an option was found on.
///
/// MP_CAPABLE and MP_JOIN change form with the handshake step, and MP_TCPRST only means
/// something on a RST; the segment lets the decoder name the form and warn when it does not fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Segment {
    /// SYN flag.
    pub syn: bool,
    /// ACK flag.
    pub ack: bool,
    /// RST flag.
    pub rst: bool,
    /// The segment carries payload.
    pub payload: bool,
}

impl Segment {
    /// From the TCP flags byte (byte 13 of the header) and the payload length.
    pub const fn from_tcp_flags(flags: u8, payload_len: usize) -> Segment {
        Segment {
            syn: TcpFlags(flags).contains(TcpFlags::SYN),
            ack: TcpFlags(flags).contains(TcpFlags::ACK),
            rst: TcpFlags(flags).contains(TcpFlags::RST),
            payload: payload_len > 0,
        }
    }

    /// A SYN without ACK.
    pub const fn is_syn(&self) -> bool {
        self.syn && !self.ack
    }

    /// A SYN with ACK.
    pub const fn is_syn_ack(&self) -> bool {
        self.syn && self.ack
    }
}

/// Settings and segment facts that decoding depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    /// The segment, when known. `None` decodes by length alone and skips the checks that
    /// need the segment.
    pub segment: Option<Segment>,
    /// Subtype at which FAULT_ANNOUNCE (draft-kang) is decoded; `None` turns it off.
    ///
    /// No subtype was ever assigned to it. It takes effect at an unassigned subtype (9 to 14)
    /// or at the private-use one (15, otherwise MP_EXPERIMENTAL), the user's choice winning over
    /// MP_EXPERIMENTAL; a subtype that RFC 8684 assigns (0 to 8) always decodes as itself, and
    /// [`with_fault_announce_subtype`](Self::with_fault_announce_subtype) refuses it. Default
    /// 9, as in the Wireshark plugin.
    pub fault_announce_subtype: Option<u8>,
}

/// A subtype at which FAULT_ANNOUNCE cannot be decoded: one that RFC 8684 assigns (0 to 8), or
/// a value that does not fit the 4-bit subtype field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnusableSubtype(pub u8);

impl fmt::Display for UnusableSubtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match subtype::name(self.0) {
            Some(name) if self.0 < subtype::MP_EXPERIMENTAL => write!(
                f,
                "subtype {} is {name}, assigned by RFC 8684: FAULT_ANNOUNCE goes at 9 to 15",
                self.0
            ),
            _ => write!(
                f,
                "{} is not an MPTCP subtype (4 bits): FAULT_ANNOUNCE goes at 9 to 15",
                self.0
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for UnusableSubtype {}

impl Context {
    /// The default FAULT_ANNOUNCE subtype: 9, the first unassigned value.
    pub const DEFAULT_FAULT_ANNOUNCE_SUBTYPE: u8 = 9;

    /// The subtypes FAULT_ANNOUNCE can be decoded at: the unassigned ones and private use.
    pub const FAULT_ANNOUNCE_SUBTYPES: core::ops::RangeInclusive<u8> = 9..=subtype::MP_EXPERIMENTAL;

    /// Context for an option found on `segment`, FAULT_ANNOUNCE at its default subtype.
    pub const fn on(segment: Segment) -> Context {
        Context {
            segment: Some(segment),
            ..Context::UNKNOWN_SEGMENT
        }
    }

    /// No segment information, FAULT_ANNOUNCE at its default subtype.
    pub const UNKNOWN_SEGMENT: Context = Context {
        segment: None,
        fault_announce_subtype: Some(Context::DEFAULT_FAULT_ANNOUNCE_SUBTYPE),
    };

    /// This context with FAULT_ANNOUNCE at `subtype`, 9 to 15 (`None` or 0 turns it off); an
    /// assigned subtype (1 to 8) or a value over 15 is refused.
    ///
    /// ```
    /// use mptcp_parse::{Context, UnusableSubtype};
    /// let private = Context::default().with_fault_announce_subtype(Some(15)).unwrap();
    /// assert!(private.is_fault_announce(15));
    /// assert_eq!(Context::default().with_fault_announce_subtype(Some(2)), Err(UnusableSubtype(2)));
    /// ```
    pub fn with_fault_announce_subtype(
        mut self,
        subtype: Option<u8>,
    ) -> Result<Context, UnusableSubtype> {
        self.fault_announce_subtype = match subtype {
            None | Some(0) => None,
            Some(s) if Context::FAULT_ANNOUNCE_SUBTYPES.contains(&s) => Some(s),
            Some(s) => return Err(UnusableSubtype(s)),
        };
        Ok(self)
    }

    /// Whether `subtype` is where FAULT_ANNOUNCE is decoded in this context: the configured
    /// subtype, when it is one of 9 to 15.
    #[inline]
    pub fn is_fault_announce(&self, subtype: u8) -> bool {
        matches!(self.fault_announce_subtype, Some(s) if s == subtype && Context::FAULT_ANNOUNCE_SUBTYPES.contains(&s))
    }

    /// The name of `subtype` in this context: `"FAULT_ANNOUNCE"` where it is decoded, the
    /// symbol of an assigned subtype, `None` for an unassigned one.
    pub fn subtype_name(&self, subtype: u8) -> Option<&'static str> {
        if self.is_fault_announce(subtype) {
            Some("FAULT_ANNOUNCE")
        } else {
            subtype::name(subtype)
        }
    }
}

impl Default for Context {
    fn default() -> Context {
        Context::UNKNOWN_SEGMENT
    }
}
