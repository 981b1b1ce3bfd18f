//! One MPTCP option of any subtype: one dispatch on the subtype, behind the strict and
//! lenient entry points.

use crate::address::{self, AddAddr, RemoveAddr};
use crate::capable::{self, MpCapable};
use crate::dss::{self, Dss};
use crate::error::{Error, Warnings};
use crate::fail::{self, MpFail, MpFastclose};
use crate::fault::{self, FaultAnnounce};
use crate::join::{self, MpJoin};
use crate::prio::{self, MpPrio};
use crate::tcprst::{self, MpTcpRst};
use crate::wire::{bytes_field, frame, EmitError, Framed, Header, PResult, Writer};
use crate::Context;
use nom::Parser;

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
    let (_, body) = bytes_field("option body", header.length as usize - 3).parse(body)?;
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

/// How much of what the wire allows a decoder accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strictness {
    /// [`parse_mptcp_option`]: an MP_CAPABLE version other than 0 and 1 is an error.
    Strict,
    /// [`parse_mptcp_option_lenient`]: such an MP_CAPABLE is kept as opaque bytes.
    Lenient,
}

/// Decodes one MPTCP option, starting at its kind byte: the one dispatch on the subtype that
/// every entry point shares. Returns the input after the option (empty when its length cannot
/// be trusted) with the option or why it does not decode.
pub(crate) fn decode<'a>(
    input: &'a [u8],
    ctx: &Context,
    strictness: Strictness,
) -> (&'a [u8], Result<MptcpOption<'a>, Error>) {
    let Framed { header, body, rest } = match frame(input) {
        Ok(framed) => framed,
        Err(e) => return (&[], Err(e)),
    };
    let lenient = strictness == Strictness::Lenient;
    let option = match header.subtype {
        subtype::MP_CAPABLE => capable::parse(header, body, lenient).map(MptcpOption::MpCapable),
        subtype::MP_JOIN => join::parse(header, body).map(MptcpOption::MpJoin),
        subtype::DSS => dss::parse(header, body).map(MptcpOption::Dss),
        subtype::ADD_ADDR => address::parse_add_addr(header, body).map(MptcpOption::AddAddr),
        subtype::REMOVE_ADDR => {
            address::parse_remove_addr(header, body).map(MptcpOption::RemoveAddr)
        }
        subtype::MP_PRIO => prio::parse(header, body).map(MptcpOption::MpPrio),
        subtype::MP_FAIL => fail::parse_fail(header, body).map(MptcpOption::MpFail),
        subtype::MP_FASTCLOSE => fail::parse_fastclose(header, body).map(MptcpOption::MpFastclose),
        subtype::MP_TCPRST => tcprst::parse(header, body).map(MptcpOption::MpTcpRst),
        // Before MP_EXPERIMENTAL: at 15, FAULT_ANNOUNCE is the user's explicit choice.
        s if ctx.is_fault_announce(s) => fault::parse(header, body).map(MptcpOption::FaultAnnounce),
        subtype::MP_EXPERIMENTAL => parse_opaque(header, body).map(MptcpOption::MpExperimental),
        _ => parse_opaque(header, body).map(MptcpOption::Unknown),
    };
    (rest, option)
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
        // DSS, on nearly every segment of a connection, takes its fast path (the same decode
        // as `decode`'s, built in place); the other subtypes go through the one dispatch.
        Ok(framed) if framed.header.subtype == subtype::DSS => {
            dss::decode(framed.header, framed.body, framed.rest, &dss::STRICT)
        }
        _ => parse_other(input, ctx),
    }
}

/// The strict decode of every subtype but DSS, through the one dispatch.
fn parse_other<'a>(input: &'a [u8], ctx: &Context) -> PResult<'a, MptcpOption<'a>> {
    match decode(input, ctx, Strictness::Strict) {
        (rest, Ok(option)) => Ok((rest, option)),
        (_, Err(e)) => Err(nom::Err::Error(e)),
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

impl<'a> Decoded<'a> {
    /// The decoded option with its warnings against the context's segment.
    pub(crate) fn new(option: Result<MptcpOption<'a>, Error>, ctx: &Context) -> Decoded<'a> {
        let warnings = match &option {
            Ok(o) => o.warnings(ctx),
            Err(_) => Warnings::new(),
        };
        Decoded { option, warnings }
    }
}

/// Decodes one MPTCP option for analysis: never fails as a whole.
///
/// Unlike [`parse_mptcp_option`], an unknown MP_CAPABLE version is kept as opaque bytes with a
/// warning, warnings are computed against the context's segment, and the input after the
/// option is returned even when the option itself is malformed, so the next option can still
/// be read (empty when the option's length cannot be trusted).
pub fn parse_mptcp_option_lenient<'a>(input: &'a [u8], ctx: &Context) -> (&'a [u8], Decoded<'a>) {
    match frame(input) {
        // As in the strict decoder, DSS takes its fast path.
        Ok(framed) if framed.header.subtype == subtype::DSS => {
            dss::decode(framed.header, framed.body, framed.rest, &dss::LENIENT)
        }
        _ => lenient_other(input, ctx),
    }
}

/// The lenient decode of every subtype but DSS, through the one dispatch.
pub(crate) fn lenient_other<'a>(input: &'a [u8], ctx: &Context) -> (&'a [u8], Decoded<'a>) {
    let (rest, option) = decode(input, ctx, Strictness::Lenient);
    (rest, Decoded::new(option, ctx))
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
