//! FAULT_ANNOUNCE (draft-kang-tcpm-fault-management-in-mptcp-session): a host reports, on a
//! healthy subflow, that another subflow of the connection failed.
//!
//! No subtype was ever assigned: [`Context::fault_announce_subtype`](crate::Context) says
//! where to decode it. The layout, including the A/V/T flags the draft asks for without a
//! layout, is the project's profile of the draft:
//!
//! ```text
//! | Kind=30 | Length | Subtype | A V T r | Cause | DestAddrID | SrcAddrID | [middlebox 4/16] | [padding]
//! ```

use crate::error::{Error, LengthSet, ReservedField, Warning, Warnings};
use crate::wire::{array_field, bytes_field, expect_length, u8_field, EmitError, Header, Writer};
use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use nom::combinator::cond;
use nom::Parser;

/// Flag bits in the subtype byte's low nibble.
pub mod flags {
    /// A: a middlebox address follows the address IDs.
    pub const ADDRESS: u8 = 0x8;
    /// V: that address is IPv6 (else IPv4).
    pub const IPV6: u8 = 0x4;
    /// T: the fault is transient.
    pub const TRANSIENT: u8 = 0x2;
    /// r: reserved.
    pub const RESERVED: u8 = 0x1;
}

/// A FAULT_ANNOUNCE cause code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FaultCause(pub u8);

impl FaultCause {
    /// 0x0A Network unreachable.
    pub const NETWORK_UNREACHABLE: FaultCause = FaultCause(0x0a);
    /// 0x0B Host unreachable.
    pub const HOST_UNREACHABLE: FaultCause = FaultCause(0x0b);
    /// 0x0C Routing failed.
    pub const ROUTING_FAILED: FaultCause = FaultCause(0x0c);
    /// 0x0D Server suppression.
    pub const SERVER_SUPPRESSION: FaultCause = FaultCause(0x0d);
    /// 0x0E TTL equals zero (IP loop suspected).
    pub const TTL_ZERO: FaultCause = FaultCause(0x0e);

    /// The cause's name; 0x00 to 0x06 are the MP_TCPRST reasons, 0x07 to 0x09 reserved for
    /// them, `None` past 0x0E.
    pub fn name(self) -> Option<&'static str> {
        match self.0 {
            0x00..=0x06 => crate::RstReason(self.0).name(),
            0x07..=0x09 => Some("reserved (RST reason range)"),
            0x0a => Some("Network unreachable"),
            0x0b => Some("Host unreachable"),
            0x0c => Some("Routing failed"),
            0x0d => Some("Server suppression"),
            0x0e => Some("TTL equals zero (IP loop suspected)"),
            _ => None,
        }
    }
}

impl fmt::Display for FaultCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown cause (0x{:02x})", self.0),
        }
    }
}

/// FAULT_ANNOUNCE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaultAnnounce<'a> {
    /// The subtype it was found at (configured; 9 by default).
    pub subtype: u8,
    /// Why the subflow failed.
    pub cause: FaultCause,
    /// Address ID of the faulty subflow's end at the receiver of this option.
    pub dst_addr_id: u8,
    /// Address ID of the faulty subflow's end at the sender of this option.
    pub src_addr_id: u8,
    /// The faulty middlebox's address (flag A; IPv6 with flag V).
    pub middlebox: Option<IpAddr>,
    /// T: the fault is transient.
    pub transient: bool,
    /// r: the reserved flag bit.
    pub reserved: bool,
    /// Bytes after the fields (the draft pads to 32-bit words); should be zero. At most 2
    /// bytes: longer padding gives a length no decoder accepts.
    pub padding: &'a [u8],
}

const NO_ADDR: LengthSet = LengthSet::range(6, 8);
const V4_ADDR: LengthSet = LengthSet::range(10, 12);
const V6_ADDR: LengthSet = LengthSet::range(22, 24);

/// Decodes FAULT_ANNOUNCE: the flags choose the middlebox address, the length the padding.
pub(crate) fn parse(header: Header, body: &[u8]) -> Result<FaultAnnounce<'_>, Error> {
    let nibble = header.nibble;
    let (has_addr, ipv6) = (nibble & flags::ADDRESS != 0, nibble & flags::IPV6 != 0);
    let (option, valid) = match (has_addr, ipv6) {
        (false, true) => {
            return Err(Error::InvalidFlags {
                option: "FAULT_ANNOUNCE",
                reason: "V (IPv6) set without A (address present)",
            })
        }
        (false, false) => ("FAULT_ANNOUNCE", NO_ADDR),
        (true, false) => ("FAULT_ANNOUNCE (IPv4 middlebox)", V4_ADDR),
        (true, true) => ("FAULT_ANNOUNCE (IPv6 middlebox)", V6_ADDR),
    };
    // Too short is malformed; longer than the padding allows is too.
    expect_length(option, valid, header.length)?;
    let address_len = match (has_addr, ipv6) {
        (false, _) => 0,
        (true, false) => 4,
        (true, true) => 16,
    };
    let (_, (cause, dst_addr_id, src_addr_id, middlebox, padding)) = (
        u8_field("cause").map(FaultCause),
        u8_field("destination address ID"),
        u8_field("source address ID"),
        cond(has_addr, middlebox(ipv6)),
        // What the length leaves after the fields is padding.
        bytes_field("padding", header.length as usize - 6 - address_len),
    )
        .parse(body)?;
    Ok(FaultAnnounce {
        subtype: header.subtype,
        cause,
        dst_addr_id,
        src_addr_id,
        middlebox,
        transient: nibble & flags::TRANSIENT != 0,
        reserved: nibble & flags::RESERVED != 0,
        padding,
    })
}

/// The middlebox address: IPv6 with flag V, else IPv4.
fn middlebox<'a>(ipv6: bool) -> impl Parser<&'a [u8], Output = IpAddr, Error = Error> {
    move |i: &'a [u8]| {
        if ipv6 {
            array_field::<16>("middlebox IPv6 address")
                .map(|a| IpAddr::V6(Ipv6Addr::from(*a)))
                .parse(i)
        } else {
            array_field::<4>("middlebox IPv4 address")
                .map(|a| IpAddr::V4(Ipv4Addr::from(*a)))
                .parse(i)
        }
    }
}

impl FaultAnnounce<'_> {
    /// The nibble as sent: A, V, T, r.
    pub fn flags(&self) -> u8 {
        let mut n = 0;
        match self.middlebox {
            Some(IpAddr::V4(_)) => n |= flags::ADDRESS,
            Some(IpAddr::V6(_)) => n |= flags::ADDRESS | flags::IPV6,
            None => {}
        }
        if self.transient {
            n |= flags::TRANSIENT;
        }
        if self.reserved {
            n |= flags::RESERVED;
        }
        n
    }

    /// Bytes [`emit`](Self::emit) writes.
    pub fn buffer_len(&self) -> usize {
        6 + self
            .middlebox
            .map_or(0, |a| if a.is_ipv4() { 4 } else { 16 })
            + self.padding.len()
    }

    /// Writes the whole option; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let mut w = Writer::start(buf, self.buffer_len(), self.subtype, self.flags())?;
        w.u8(self.cause.0);
        w.u8(self.dst_addr_id);
        w.u8(self.src_addr_id);
        match self.middlebox {
            Some(IpAddr::V4(a)) => w.bytes(&a.octets()),
            Some(IpAddr::V6(a)) => w.bytes(&a.octets()),
            None => {}
        }
        w.bytes(self.padding);
        Ok(w.done())
    }

    pub(crate) fn add_warnings(&self, out: &mut Warnings) {
        if self.reserved {
            out.push(Warning::ReservedBits {
                field: ReservedField::FaultAnnounceFlags,
                bits: flags::RESERVED,
            });
        }
        if self.padding.iter().any(|b| *b != 0) {
            out.push(Warning::NonZeroPadding);
        }
    }
}
