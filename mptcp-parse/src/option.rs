//! One MPTCP option of any subtype: dispatch on the subtype, strict and lenient entry points.

use crate::address::{self, AddAddr, RemoveAddr};
use crate::capable::{self, MpCapable};
use crate::dss::{self, Dss};
use crate::error::{Error, Warnings};
use crate::fail::{self, MpFail, MpFastclose};
use crate::fault::{self, FaultAnnounce};
use crate::join::{self, MpJoin};
use crate::prio::{self, MpPrio};
use crate::tcprst::{self, MpTcpRst};
use crate::wire::{frame, EmitError, Header, PResult, Writer};
use crate::Context;

/// MPTCP option subtypes assigned by IANA (RFC 8684 section 7.2).
pub mod subtype {
    /// Multipath Capable.
    pub const MP_CAPABLE: u8 = 0x0;
    /// Join Connection.
    pub const MP_JOIN: u8 = 0x1;
    /// Data Sequence Signal.
    pub const DSS: u8 = 0x2;
    /// Add Address.
    pub const ADD_ADDR: u8 = 0x3;
    /// Remove Address.
    pub const REMOVE_ADDR: u8 = 0x4;
    /// Change Subflow Priority.
    pub const MP_PRIO: u8 = 0x5;
    /// Fallback.
    pub const MP_FAIL: u8 = 0x6;
    /// Fast Close.
    pub const MP_FASTCLOSE: u8 = 0x7;
    /// Subflow Reset.
    pub const MP_TCPRST: u8 = 0x8;
    /// Reserved for Private Use.
    pub const MP_EXPERIMENTAL: u8 = 0xf;

    /// The symbol of an assigned subtype (`"DSS"`), `None` for 9 to 14.
    pub const fn name(subtype: u8) -> Option<&'static str> {
        match subtype {
            MP_CAPABLE => Some("MP_CAPABLE"),
            MP_JOIN => Some("MP_JOIN"),
            DSS => Some("DSS"),
            ADD_ADDR => Some("ADD_ADDR"),
            REMOVE_ADDR => Some("REMOVE_ADDR"),
            MP_PRIO => Some("MP_PRIO"),
            MP_FAIL => Some("MP_FAIL"),
            MP_FASTCLOSE => Some("MP_FASTCLOSE"),
            MP_TCPRST => Some("MP_TCPRST"),
            MP_EXPERIMENTAL => Some("MP_EXPERIMENTAL"),
            _ => None,
        }
    }
}

/// An option whose body this crate does not interpret: MP_EXPERIMENTAL, or an unassigned subtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Opaque<'a> {
    /// The subtype.
    pub subtype: u8,
    /// The low nibble of the subtype byte.
    pub nibble: u8,
    /// The bytes after the subtype byte.
    pub body: &'a [u8],
}

impl Opaque<'_> {
    /// Bytes [`emit`](Self::emit) writes.
    pub fn buffer_len(&self) -> usize {
        3 + self.body.len()
    }

    /// Writes the whole option; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let mut w = Writer::start(buf, self.buffer_len(), self.subtype, self.nibble)?;
        w.bytes(self.body);
        Ok(w.done())
    }
}

fn parse_opaque(header: Header, body: &[u8]) -> Result<Opaque<'_>, Error> {
    let wanted = header.length as usize - 3;
    if body.len() < wanted {
        return Err(Error::Truncated {
            field: "option body",
            needed: wanted - body.len(),
        });
    }
    Ok(Opaque {
        subtype: header.subtype,
        nibble: header.nibble,
        body,
    })
}

/// One decoded MPTCP option.
///
/// Values borrow from the input where they are byte strings (HMACs, address ID lists, opaque
/// bodies); numbers are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MptcpOption<'a> {
    /// Subtype 0x0.
    MpCapable(MpCapable<'a>),
    /// Subtype 0x1.
    MpJoin(MpJoin<'a>),
    /// Subtype 0x2.
    Dss(Dss),
    /// Subtype 0x3.
    AddAddr(AddAddr),
    /// Subtype 0x4.
    RemoveAddr(RemoveAddr<'a>),
    /// Subtype 0x5.
    MpPrio(MpPrio),
    /// Subtype 0x6.
    MpFail(MpFail),
    /// Subtype 0x7.
    MpFastclose(MpFastclose),
    /// Subtype 0x8.
    MpTcpRst(MpTcpRst),
    /// Subtype 0xf, private use: the body as it is.
    MpExperimental(Opaque<'a>),
    /// FAULT_ANNOUNCE, at the subtype the [`Context`] names.
    FaultAnnounce(FaultAnnounce<'a>),
    /// Any other subtype (9 to 14), with its raw bytes.
    Unknown(Opaque<'a>),
}

/// Decodes the option's body by subtype, leniently (the strict entry point has its own copy
/// of this dispatch, which builds its `IResult` in each arm).
fn decode<'a>(header: Header, body: &'a [u8], ctx: &Context) -> Result<MptcpOption<'a>, Error> {
    Ok(match header.subtype {
        subtype::MP_CAPABLE => MptcpOption::MpCapable(capable::parse(header, body, true)?),
        subtype::MP_JOIN => MptcpOption::MpJoin(join::parse(header, body)?),
        subtype::DSS => MptcpOption::Dss(dss::parse(header, body)?),
        subtype::ADD_ADDR => MptcpOption::AddAddr(address::parse_add_addr(header, body)?),
        subtype::REMOVE_ADDR => MptcpOption::RemoveAddr(address::parse_remove_addr(header, body)?),
        subtype::MP_PRIO => MptcpOption::MpPrio(prio::parse(header, body)?),
        subtype::MP_FAIL => MptcpOption::MpFail(fail::parse_fail(header, body)?),
        subtype::MP_FASTCLOSE => MptcpOption::MpFastclose(fail::parse_fastclose(header, body)?),
        subtype::MP_TCPRST => MptcpOption::MpTcpRst(tcprst::parse(header, body)?),
        // Before MP_EXPERIMENTAL: at 15, FAULT_ANNOUNCE is the user's explicit choice.
        s if ctx.is_fault_announce(s) => MptcpOption::FaultAnnounce(fault::parse(header, body)?),
        subtype::MP_EXPERIMENTAL => MptcpOption::MpExperimental(parse_opaque(header, body)?),
        _ => MptcpOption::Unknown(parse_opaque(header, body)?),
    })
}

/// Decodes one MPTCP option, starting at its kind byte (30); returns the input after it.
///
/// Strict: an MP_CAPABLE version other than 0 and 1 is an error. Reserved bits and other
/// oddities do not fail the decode: ask [`MptcpOption::warnings`].
///
/// ```
/// use mptcp_parse::{parse_mptcp_option, Context, MptcpOption};
/// // DSS with a 4-octet Data ACK, from a real capture.
/// let bytes = [30, 8, 0x20, 0x01, 0x8e, 0xd3, 0x4f, 0x4e];
/// let (rest, option) = parse_mptcp_option(&bytes, &Context::default()).unwrap();
/// assert!(rest.is_empty());
/// let MptcpOption::Dss(dss) = option else { panic!() };
/// assert_eq!(dss.data_ack.unwrap().raw(), 0x8ed34f4e);
/// ```
pub fn parse_mptcp_option<'a>(input: &'a [u8], ctx: &Context) -> PResult<'a, MptcpOption<'a>> {
    match frame(input) {
        // DSS, on nearly every segment of a connection, is decoded here; the subtypes a
        // connection sends a few times are in a function of their own, so that they cost DSS
        // nothing.
        Ok(framed) if framed.header.subtype == subtype::DSS => {
            dss::decode(framed.header, framed.body, framed.rest, &dss::STRICT)
        }
        _ => parse_other(input, ctx),
    }
}

/// The strict decode of every subtype but DSS, and of what is not an MPTCP option. It frames
/// the option again rather than take the frame: that costs the rare subtypes a few
/// instructions, and keeps DSS's frame in registers.
#[inline(never)]
fn parse_other<'a>(input: &'a [u8], ctx: &Context) -> PResult<'a, MptcpOption<'a>> {
    let framed = frame(input).map_err(nom::Err::Error)?;
    let (header, body, rest) = (framed.header, framed.body, framed.rest);
    // Each arm builds the final result itself, so that the decoded value is written once, in
    // place, rather than rewrapped through one `Result` per layer.
    macro_rules! arm {
        ($variant:ident, $parsed:expr) => {
            match $parsed {
                Ok(o) => Ok((rest, MptcpOption::$variant(o))),
                Err(e) => Err(nom::Err::Error(e)),
            }
        };
    }
    match header.subtype {
        subtype::MP_CAPABLE => arm!(MpCapable, capable::parse(header, body, false)),
        subtype::MP_JOIN => arm!(MpJoin, join::parse(header, body)),
        subtype::DSS => arm!(Dss, dss::parse(header, body)),
        subtype::ADD_ADDR => arm!(AddAddr, address::parse_add_addr(header, body)),
        subtype::REMOVE_ADDR => arm!(RemoveAddr, address::parse_remove_addr(header, body)),
        subtype::MP_PRIO => arm!(MpPrio, prio::parse(header, body)),
        subtype::MP_FAIL => arm!(MpFail, fail::parse_fail(header, body)),
        subtype::MP_FASTCLOSE => arm!(MpFastclose, fail::parse_fastclose(header, body)),
        subtype::MP_TCPRST => arm!(MpTcpRst, tcprst::parse(header, body)),
        s if ctx.is_fault_announce(s) => arm!(FaultAnnounce, fault::parse(header, body)),
        subtype::MP_EXPERIMENTAL => arm!(MpExperimental, parse_opaque(header, body)),
        _ => arm!(Unknown, parse_opaque(header, body)),
    }
}

/// What the lenient decoder made of one option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// The option, or why it could not be decoded.
    pub option: Result<MptcpOption<'a>, Error>,
    /// Warnings about the option (empty on error).
    pub warnings: Warnings,
}

/// Decodes one MPTCP option for analysis: never fails as a whole.
///
/// Unlike [`parse_mptcp_option`], an unknown MP_CAPABLE version is kept as opaque bytes with a
/// warning, warnings are computed against the context's segment, and the input after the
/// option is returned even when the option itself is malformed, so the next option can still
/// be read (empty when the option's length cannot be trusted).
pub fn parse_mptcp_option_lenient<'a>(input: &'a [u8], ctx: &Context) -> (&'a [u8], Decoded<'a>) {
    match frame(input) {
        // As in the strict decoder, DSS is decoded here, the other subtypes in a function of
        // their own.
        Ok(framed) if framed.header.subtype == subtype::DSS => {
            dss::decode(framed.header, framed.body, framed.rest, &dss::LENIENT)
        }
        _ => lenient_other(input, ctx),
    }
}

/// The lenient decode of every subtype but DSS, and of what is not an MPTCP option.
#[inline(never)]
pub(crate) fn lenient_other<'a>(input: &'a [u8], ctx: &Context) -> (&'a [u8], Decoded<'a>) {
    match frame(input) {
        Err(e) => (
            &[],
            Decoded {
                option: Err(e),
                warnings: Warnings::new(),
            },
        ),
        Ok(framed) => {
            let option = decode(framed.header, framed.body, ctx);
            let warnings = match &option {
                Ok(o) => o.warnings(ctx),
                Err(_) => Warnings::new(),
            };
            (framed.rest, Decoded { option, warnings })
        }
    }
}

impl MptcpOption<'_> {
    /// The subtype number (FAULT_ANNOUNCE's is the one it was found at).
    pub fn subtype(&self) -> u8 {
        match self {
            MptcpOption::MpCapable(_) => subtype::MP_CAPABLE,
            MptcpOption::MpJoin(_) => subtype::MP_JOIN,
            MptcpOption::Dss(_) => subtype::DSS,
            MptcpOption::AddAddr(_) => subtype::ADD_ADDR,
            MptcpOption::RemoveAddr(_) => subtype::REMOVE_ADDR,
            MptcpOption::MpPrio(_) => subtype::MP_PRIO,
            MptcpOption::MpFail(_) => subtype::MP_FAIL,
            MptcpOption::MpFastclose(_) => subtype::MP_FASTCLOSE,
            MptcpOption::MpTcpRst(_) => subtype::MP_TCPRST,
            MptcpOption::MpExperimental(o) | MptcpOption::Unknown(o) => o.subtype,
            MptcpOption::FaultAnnounce(f) => f.subtype,
        }
    }

    /// The option's symbol: `"MP_CAPABLE"`, `"FAULT_ANNOUNCE"`, `"unknown"`...
    pub fn name(&self) -> &'static str {
        match self {
            MptcpOption::FaultAnnounce(_) => "FAULT_ANNOUNCE",
            MptcpOption::Unknown(_) => "unknown",
            other => subtype::name(other.subtype()).unwrap_or("unknown"),
        }
    }

    /// Oddities that did not stop the decode: reserved bits, unassigned codes, and with a
    /// known segment, forms that do not fit it.
    pub fn warnings(&self, ctx: &Context) -> Warnings {
        let mut w = Warnings::new();
        let segment = ctx.segment;
        match self {
            MptcpOption::MpCapable(o) => o.add_warnings(segment, &mut w),
            MptcpOption::MpJoin(o) => o.add_warnings(segment, &mut w),
            MptcpOption::Dss(o) => o.add_warnings(&mut w),
            MptcpOption::AddAddr(o) => o.add_warnings(&mut w),
            MptcpOption::RemoveAddr(o) => o.add_warnings(&mut w),
            MptcpOption::MpPrio(o) => o.add_warnings(&mut w),
            MptcpOption::MpFail(o) => o.add_warnings(&mut w),
            MptcpOption::MpFastclose(o) => o.add_warnings(&mut w),
            MptcpOption::MpTcpRst(o) => o.add_warnings(segment.map(|s| s.rst), &mut w),
            MptcpOption::FaultAnnounce(o) => o.add_warnings(&mut w),
            MptcpOption::MpExperimental(_) | MptcpOption::Unknown(_) => {}
        }
        w
    }

    /// Bytes [`emit`](Self::emit) writes (kind and length included).
    pub fn buffer_len(&self) -> usize {
        match self {
            MptcpOption::MpCapable(o) => o.buffer_len(),
            MptcpOption::MpJoin(o) => o.buffer_len(),
            MptcpOption::Dss(o) => o.buffer_len(),
            MptcpOption::AddAddr(o) => o.buffer_len(),
            MptcpOption::RemoveAddr(o) => o.buffer_len(),
            MptcpOption::MpPrio(o) => o.buffer_len(),
            MptcpOption::MpFail(o) => o.buffer_len(),
            MptcpOption::MpFastclose(o) => o.buffer_len(),
            MptcpOption::MpTcpRst(o) => o.buffer_len(),
            MptcpOption::MpExperimental(o) | MptcpOption::Unknown(o) => o.buffer_len(),
            MptcpOption::FaultAnnounce(o) => o.buffer_len(),
        }
    }

    /// Writes the option (kind and length included) to the front of `buf`; returns its length.
    ///
    /// ```
    /// use mptcp_parse::{MptcpOption, MpTcpRst, RstReason};
    /// let rst = MptcpOption::MpTcpRst(MpTcpRst { reserved: 0, transient: true, reason: RstReason(6) });
    /// let mut buf = [0u8; 4];
    /// assert_eq!(rst.emit(&mut buf), Ok(4));
    /// assert_eq!(buf, [30, 4, 0x81, 6]);
    /// ```
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        match self {
            MptcpOption::MpCapable(o) => o.emit(buf),
            MptcpOption::MpJoin(o) => o.emit(buf),
            MptcpOption::Dss(o) => o.emit(buf),
            MptcpOption::AddAddr(o) => o.emit(buf),
            MptcpOption::RemoveAddr(o) => o.emit(buf),
            MptcpOption::MpPrio(o) => o.emit(buf),
            MptcpOption::MpFail(o) => o.emit(buf),
            MptcpOption::MpFastclose(o) => o.emit(buf),
            MptcpOption::MpTcpRst(o) => o.emit(buf),
            MptcpOption::MpExperimental(o) | MptcpOption::Unknown(o) => o.emit(buf),
            MptcpOption::FaultAnnounce(o) => o.emit(buf),
        }
    }
}
