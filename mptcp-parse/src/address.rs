//! ADD_ADDR (subtype 0x3) and REMOVE_ADDR (subtype 0x4): address announcements.

use crate::error::{Error, LengthSet, ReservedField, Warning, Warnings};
use crate::wire::{
    array_field, bytes_field, expect_length, u16_field, u64_field, u8_field, EmitError, Header,
    Writer,
};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use nom::combinator::cond;
use nom::Parser;

/// Which ADD_ADDR format: told apart by the subtype byte's low nibble (4 or 6 is v0's IPVer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddAddrVersion {
    /// RFC 6824: the nibble is the IP version; no echo, no HMAC.
    V0,
    /// RFC 8684.
    V1 {
        /// E: this is the echo of the peer's announcement (no HMAC).
        echo: bool,
        /// Bits 1 to 3 of the nibble (reserved).
        reserved: u8,
    },
}

/// ADD_ADDR: the sender can also be reached at `address` (and `port`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddAddr {
    /// Format. In v1, `reserved` values 4 and 6 with `echo` unset make the nibble v0's IPVer:
    /// such a value is emitted as it is but decodes as v0 (the wire cannot tell them apart).
    pub version: AddAddrVersion,
    /// Address ID the sender binds to this address.
    pub address_id: u8,
    /// The announced address.
    pub address: IpAddr,
    /// The announced port; absent means the port of the subflow it is sent on.
    pub port: Option<u16>,
    /// Rightmost 64 bits of HMAC-SHA256 (v1 announcements, not echoes).
    pub truncated_hmac: Option<u64>,
}

impl AddAddr {
    /// Whether this is an echo (v1 E flag).
    pub fn is_echo(&self) -> bool {
        matches!(self.version, AddAddrVersion::V1 { echo: true, .. })
    }

    /// Bytes [`emit`](Self::emit) writes.
    pub fn buffer_len(&self) -> usize {
        let addr = if self.address.is_ipv4() { 4 } else { 16 };
        4 + addr
            + if self.port.is_some() { 2 } else { 0 }
            + if self.truncated_hmac.is_some() { 8 } else { 0 }
    }

    /// Writes the whole option; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let nibble = match self.version {
            AddAddrVersion::V0 if self.address.is_ipv4() => 4,
            AddAddrVersion::V0 => 6,
            AddAddrVersion::V1 { echo, reserved } => reserved | u8::from(echo),
        };
        let mut w = Writer::start(buf, self.buffer_len(), 3, nibble)?;
        w.u8(self.address_id);
        match self.address {
            IpAddr::V4(a) => w.bytes(&a.octets()),
            IpAddr::V6(a) => w.bytes(&a.octets()),
        }
        if let Some(p) = self.port {
            w.u16(p);
        }
        if let Some(h) = self.truncated_hmac {
            w.u64(h);
        }
        Ok(w.done())
    }

    pub(crate) fn add_warnings(&self, out: &mut Warnings) {
        if let AddAddrVersion::V1 { reserved, .. } = self.version {
            if reserved != 0 {
                out.push(Warning::ReservedBits {
                    field: ReservedField::AddAddrFlags,
                    bits: reserved,
                });
            }
        }
    }
}

const V0_V4: LengthSet = LengthSet::of(&[8, 10]);
const V0_V6: LengthSet = LengthSet::of(&[20, 22]);
const V1_ECHO: LengthSet = LengthSet::of(&[8, 10, 20, 22]);
const V1_HMAC: LengthSet = LengthSet::of(&[16, 18, 28, 30]);

/// Decodes ADD_ADDR: the nibble chooses the format, the length the address family, port and
/// HMAC.
pub(crate) fn parse_add_addr(header: Header, body: &[u8]) -> Result<AddAddr, Error> {
    let length = header.length;
    let (version, ipv4, has_hmac) = match header.nibble {
        4 => {
            expect_length("ADD_ADDR v0 (IPv4)", V0_V4, length)?;
            (AddAddrVersion::V0, true, false)
        }
        6 => {
            expect_length("ADD_ADDR v0 (IPv6)", V0_V6, length)?;
            (AddAddrVersion::V0, false, false)
        }
        nibble => {
            let echo = nibble & 1 != 0;
            if echo {
                expect_length("ADD_ADDR echo", V1_ECHO, length)?;
            } else {
                expect_length("ADD_ADDR (with HMAC)", V1_HMAC, length)?;
            }
            let ipv4 = matches!(length, 8 | 10 | 16 | 18);
            (
                AddAddrVersion::V1 {
                    echo,
                    reserved: nibble & 0x0e,
                },
                ipv4,
                !echo,
            )
        }
    };
    let has_port = matches!(length, 10 | 18 | 22 | 30);
    let (_, (address_id, address, port, truncated_hmac)) = (
        u8_field("address ID"),
        address(ipv4),
        cond(has_port, u16_field("port")),
        cond(has_hmac, u64_field("truncated HMAC")),
    )
        .parse(body)?;
    Ok(AddAddr {
        version,
        address_id,
        address,
        port,
        truncated_hmac,
    })
}

/// An IPv4 or IPv6 address.
fn address<'a>(ipv4: bool) -> impl Parser<&'a [u8], Output = IpAddr, Error = Error> {
    move |i: &'a [u8]| {
        if ipv4 {
            array_field::<4>("IPv4 address")
                .map(|a| IpAddr::V4(Ipv4Addr::from(*a)))
                .parse(i)
        } else {
            array_field::<16>("IPv6 address")
                .map(|a| IpAddr::V6(Ipv6Addr::from(*a)))
                .parse(i)
        }
    }
}

/// REMOVE_ADDR: the sender withdraws the addresses with these IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RemoveAddr<'a> {
    /// Low nibble of the subtype byte (reserved).
    pub reserved: u8,
    /// The address IDs, one byte each (at least one).
    pub address_ids: &'a [u8],
}

impl RemoveAddr<'_> {
    /// Bytes [`emit`](Self::emit) writes.
    pub fn buffer_len(&self) -> usize {
        3 + self.address_ids.len()
    }

    /// Writes the whole option; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let mut w = Writer::start(buf, self.buffer_len(), 4, self.reserved)?;
        w.bytes(self.address_ids);
        Ok(w.done())
    }

    pub(crate) fn add_warnings(&self, out: &mut Warnings) {
        if self.reserved != 0 {
            out.push(Warning::ReservedBits {
                field: ReservedField::RemoveAddrSubtypeByte,
                bits: self.reserved,
            });
        }
    }
}

/// Decodes REMOVE_ADDR: every byte after the subtype byte is an address ID.
pub(crate) fn parse_remove_addr(header: Header, body: &[u8]) -> Result<RemoveAddr<'_>, Error> {
    expect_length("REMOVE_ADDR", LengthSet::range(4, 40), header.length)?;
    let (_, address_ids) =
        bytes_field("address ID list", header.length as usize - 3).parse(body)?;
    Ok(RemoveAddr {
        reserved: header.nibble,
        address_ids,
    })
}
