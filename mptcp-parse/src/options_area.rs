//! The TCP options area: every option of a TCP header, MPTCP ones decoded.

use crate::dss;
use crate::error::{Error, LengthSet};
#[cfg(doc)]
use crate::option::parse_mptcp_option_lenient;
use crate::option::{lenient_other, parse_mptcp_option, subtype, Decoded, MptcpOption};
use crate::wire::{bytes_field, field, frame, u8_field, MPTCP_KIND};
use crate::{Context, Segment, TcpFlags};
use nom::bits::{bits, complete::take as take_bits};
use nom::bytes::complete::take;
use nom::number::complete::{be_u16, be_u32, be_u8};
use nom::Parser;

/// TCP option kind: End of Option List.
pub const KIND_EOL: u8 = 0;
/// TCP option kind: No-Operation.
pub const KIND_NOP: u8 = 1;

/// One TCP option as it is on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawOption<'a> {
    /// The kind byte.
    pub kind: u8,
    /// The whole option, kind (and length, when it has one) included.
    pub bytes: &'a [u8],
}

/// Iterator over the raw options of a TCP options area; see [`raw_options`].
#[derive(Debug, Clone)]
pub struct RawOptions<'a> {
    rest: &'a [u8],
}

/// Walks the options area option by option: EOL (then stops), NOP, and every other kind
/// bounded by its length byte. A length byte below 2 or past the end yields one error and ends.
pub fn raw_options(area: &[u8]) -> RawOptions<'_> {
    RawOptions { rest: area }
}

impl<'a> Iterator for RawOptions<'a> {
    type Item = Result<RawOption<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let input = self.rest;
        let (after_kind, kind) = be_u8::<_, Error>(input).ok()?;
        if kind == KIND_EOL || kind == KIND_NOP {
            // Bytes after EOL are padding, not options.
            self.rest = if kind == KIND_EOL { &[] } else { after_kind };
            return Some(Ok(RawOption {
                kind,
                bytes: &input[..1],
            }));
        }
        self.rest = &[];
        let length = match u8_field("TCP option length").parse(after_kind) {
            Ok((_, length)) => length,
            Err(e) => return Some(Err(e.into())),
        };
        // The option, bounded by its length byte.
        match take::<_, _, Error>(length).parse(input) {
            Ok((rest, bytes)) if length >= 2 => {
                self.rest = rest;
                Some(Ok(RawOption { kind, bytes }))
            }
            // An MPTCP option cut by the end of the captured header is still worth decoding:
            // the MPTCP decoder names the field that is cut.
            _ if kind == MPTCP_KIND && length >= 3 => Some(Ok(RawOption { kind, bytes: input })),
            _ => Some(Err(Error::BadTcpOptionLength {
                kind,
                length,
                available: input.len(),
            })),
        }
    }
}

/// A TCP option, MPTCP ones decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpOption<'a> {
    /// Kind 0: End of Option List.
    EndOfList,
    /// Kind 1: No-Operation.
    Nop,
    /// Kind 30.
    Mptcp(MptcpOption<'a>),
    /// Any other kind, with the bytes after its length byte.
    Other {
        /// The kind.
        kind: u8,
        /// The option's data (after kind and length).
        data: &'a [u8],
    },
}

/// Iterator over a TCP options area with MPTCP options decoded strictly; see [`tcp_options`].
#[derive(Debug, Clone)]
pub struct TcpOptions<'a> {
    raw: RawOptions<'a>,
    ctx: Context,
}

/// Every option of a TCP options area. An MPTCP option that does not decode yields its error
/// and iteration goes on with the next option.
///
/// ```
/// use mptcp_parse::{tcp_options, Context, TcpOption, MptcpOption};
/// // nop, nop, timestamps, DSS with a 4-octet Data ACK
/// let area = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 30, 8, 0x20, 0x01, 0, 0, 0, 9];
/// let kinds: Vec<_> = tcp_options(&area, Context::default()).map(|o| o.unwrap()).collect();
/// assert_eq!(kinds.len(), 4);
/// assert!(matches!(kinds[3], TcpOption::Mptcp(MptcpOption::Dss(_))));
/// ```
pub fn tcp_options(area: &[u8], ctx: Context) -> TcpOptions<'_> {
    TcpOptions {
        raw: raw_options(area),
        ctx,
    }
}

impl<'a> Iterator for TcpOptions<'a> {
    type Item = Result<TcpOption<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let raw = match self.raw.next()? {
            Ok(raw) => raw,
            Err(e) => return Some(Err(e)),
        };
        Some(match raw.kind {
            KIND_EOL => Ok(TcpOption::EndOfList),
            KIND_NOP => Ok(TcpOption::Nop),
            MPTCP_KIND => parse_mptcp_option(raw.bytes, &self.ctx)
                .map(|(_, o)| TcpOption::Mptcp(o))
                .map_err(Error::from),
            kind => Ok(TcpOption::Other {
                kind,
                data: &raw.bytes[2..],
            }),
        })
    }
}

/// Every MPTCP option of an options area, decoded leniently (see
/// [`parse_mptcp_option_lenient`]); other kinds are skipped. A broken TCP option length
/// yields one error and ends the walk.
pub fn mptcp_options_lenient(area: &[u8], ctx: Context) -> impl Iterator<Item = Decoded<'_>> {
    MptcpOptionsLenient {
        raw: raw_options(area),
        ctx,
    }
}

/// The iterator of [`mptcp_options_lenient`].
struct MptcpOptionsLenient<'a> {
    raw: RawOptions<'a>,
    ctx: Context,
}

impl<'a> Iterator for MptcpOptionsLenient<'a> {
    type Item = Decoded<'a>;

    fn next(&mut self) -> Option<Decoded<'a>> {
        loop {
            return match self.raw.next()? {
                Ok(raw) if raw.kind == MPTCP_KIND => match frame(raw.bytes) {
                    // DSS, as `parse_mptcp_option_lenient` decodes it, built in the `Some`.
                    Ok(f) if f.header.subtype == subtype::DSS => {
                        dss::decode(f.header, f.body, f.rest, &dss::ITEMS)
                    }
                    _ => Some(lenient_other(raw.bytes, &self.ctx).1),
                },
                Ok(_) => continue,
                Err(e) => Some(Decoded {
                    option: Err(e),
                    warnings: Default::default(),
                }),
            };
        }
    }
}

/// The parts of a TCP segment the MPTCP decoders need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// The flags (CWR ECE URG ACK PSH RST SYN FIN).
    pub flags: TcpFlags,
    /// The options area.
    pub options: &'a [u8],
    /// The payload (what the buffer holds after the header).
    pub payload: &'a [u8],
}

impl<'a> TcpSegment<'a> {
    /// Splits a TCP segment (header, then payload) into header fields, options and payload.
    pub fn parse(segment: &'a [u8]) -> Result<TcpSegment<'a>, Error> {
        let (_, (src_port, dst_port, seq, ack, data_offset, flags)) = field(
            "TCP header",
            20,
            (
                be_u16,
                be_u16,
                be_u32,
                be_u32,
                // Data offset (4 bits, in 32-bit words), then 4 reserved bits.
                bits::<_, u8, Error, Error, _>(
                    (take_bits(4usize), take_bits::<_, u8, _, _>(4usize)).map(|(offset, _)| offset),
                ),
                be_u8.map(TcpFlags),
                // Window, checksum and urgent pointer end the fixed header.
                take(6usize),
            )
                .map(|(src, dst, seq, ack, offset, flags, _)| (src, dst, seq, ack, offset, flags)),
        )
        .parse(segment)?;
        let header_len = data_offset as usize * 4;
        if header_len < 20 {
            return Err(Error::InvalidLength {
                option: "TCP header (data offset)",
                expected: LengthSet::of(&[20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60]),
                found: header_len as u8,
            });
        }
        let (payload, options) = bytes_field("TCP options", header_len - 20)
            .parse(segment.get(20..).unwrap_or_default())?;
        Ok(TcpSegment {
            src_port,
            dst_port,
            seq,
            ack,
            flags,
            options,
            payload,
        })
    }

    /// The segment facts MPTCP decoding uses.
    pub fn segment(&self) -> Segment {
        Segment::from_tcp_flags(self.flags.0, self.payload.len())
    }

    /// A context for this segment's options, FAULT_ANNOUNCE at the default subtype.
    pub fn context(&self) -> Context {
        Context::on(self.segment())
    }

    /// The segment's options, MPTCP ones decoded strictly.
    pub fn options(&self) -> TcpOptions<'a> {
        tcp_options(self.options, self.context())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eol_ends_the_walk() {
        let kinds: Vec<u8> = raw_options(&[1, 0, 30, 4])
            .map(|o| o.unwrap().kind)
            .collect();
        assert_eq!(kinds, [1, 0]);
    }

    #[test]
    fn bad_length_yields_one_error_and_stops() {
        let items: Vec<_> = raw_options(&[1, 8, 1, 1]).collect();
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[1],
            Err(Error::BadTcpOptionLength {
                kind: 8,
                length: 1,
                available: 3
            })
        );
        let items: Vec<_> = raw_options(&[8, 10, 1]).collect();
        assert_eq!(
            items,
            [Err(Error::BadTcpOptionLength {
                kind: 8,
                length: 10,
                available: 3
            })]
        );
    }

    #[test]
    fn bad_mptcp_option_does_not_stop_the_walk() {
        // MP_TCPRST with length 5 (invalid), then a NOP.
        let items: Vec<_> = tcp_options(&[30, 5, 0x80, 0, 0, 1], Context::default()).collect();
        assert!(matches!(
            items[0],
            Err(Error::InvalidLength { found: 5, .. })
        ));
        assert_eq!(items[1], Ok(TcpOption::Nop));
    }

    #[test]
    fn cut_mptcp_option_names_the_missing_field() {
        // MP_FASTCLOSE whose key is cut after 3 bytes.
        let items: Vec<_> = tcp_options(&[30, 12, 0x70, 0, 1, 2, 3], Context::default()).collect();
        assert_eq!(
            items,
            [Err(Error::Truncated {
                field: "receiver key",
                needed: 5
            })]
        );
    }

    #[test]
    fn segment_splits_header_options_payload() {
        let mut seg = [0u8; 28];
        seg[12] = 6 << 4; // 24-byte header
        seg[13] = 0x12; // SYN, ACK
        seg[20..24].copy_from_slice(&[30, 4, 0x01, 0x01]);
        let s = TcpSegment::parse(&seg).unwrap();
        assert_eq!(s.options, &[30, 4, 0x01, 0x01]);
        assert_eq!(s.payload.len(), 4);
        assert!(s.segment().is_syn_ack());
        assert!(TcpSegment::parse(&seg[..22]).is_err());
    }
}
