//! Values, decoding helpers and the wire-form layout used by every table.

use mptcp_parse::nom;
use mptcp_parse::{
    parse_mptcp_option, parse_mptcp_option_lenient, Context, Error, HandshakeForm, MptcpOption,
    ReservedField, Segment, SegmentKind, Warning,
};

// ---------------------------------------------------------------------------------------------
// Values from the spec's verified vectors (shared/spec/mptcp-wire.md).

/// mptcp-v1.pcap: the listener's key, sent in the SYN/ACK (frame 2).
pub const V1_KEY_B: u64 = 0x29a6c86981ad933c;
/// mptcp-v1.pcap: the client's key (frame 5).
pub const V1_KEY_A: u64 = 0x1fdb5df328bc3def;
/// mptcp-v0.pcap: the client's and the server's keys.
pub const V0_KEY_A: u64 = 0x9c9eabd1e46a33b2;
pub const V0_KEY_B: u64 = 0x967d2770b6960552;
/// mptcp-v0.pcap frame 10: HMAC-A of the MP_JOIN third ACK.
pub const JOIN_ACK_HMAC: [u8; 20] = [
    0xcb, 0x7b, 0x87, 0xf5, 0xe5, 0xf0, 0x50, 0x2f, 0x43, 0xb5, 0x35, 0xfb, 0x70, 0xef, 0x66, 0x07,
    0xdf, 0x2e, 0x6c, 0x7a,
];
pub const IPV6_DOC: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
];

// ---------------------------------------------------------------------------------------------
// Helpers.

pub fn any_ctx() -> Context {
    Context::default()
}

pub fn segment(syn: bool, ack: bool, rst: bool, payload: bool) -> Segment {
    Segment {
        syn,
        ack,
        rst,
        payload,
    }
}

pub const SYN: Segment = Segment {
    syn: true,
    ack: false,
    rst: false,
    payload: false,
};
pub const SYN_ACK: Segment = Segment {
    syn: true,
    ack: true,
    rst: false,
    payload: false,
};
pub const ACK: Segment = Segment {
    syn: false,
    ack: true,
    rst: false,
    payload: false,
};
pub const ACK_DATA: Segment = Segment {
    syn: false,
    ack: true,
    rst: false,
    payload: true,
};
pub const RST: Segment = Segment {
    syn: false,
    ack: false,
    rst: true,
    payload: false,
};
pub const ACK_RST: Segment = Segment {
    syn: false,
    ack: true,
    rst: true,
    payload: false,
};

/// Decodes a whole option strictly, checks that nothing is left over, that it writes back to
/// the same bytes and that the lenient decoder agrees.
pub fn decode_in<'a>(bytes: &'a [u8], ctx: &Context) -> MptcpOption<'a> {
    let (rest, option) = parse_mptcp_option(bytes, ctx)
        .unwrap_or_else(|e| panic!("{bytes:02x?} does not decode: {e:?}"));
    assert!(
        rest.is_empty(),
        "{bytes:02x?}: {} byte(s) left over",
        rest.len()
    );
    assert_eq!(option.buffer_len(), bytes.len(), "{option:?}");
    let mut buf = [0u8; 64];
    let n = option.emit(&mut buf).unwrap();
    assert_eq!(
        &buf[..n],
        bytes,
        "{option:?} does not write back to its bytes"
    );
    let (lrest, decoded) = parse_mptcp_option_lenient(bytes, ctx);
    assert!(lrest.is_empty());
    assert_eq!(decoded.option, Ok(option));
    assert_eq!(decoded.warnings, option.warnings(ctx));
    option
}

pub fn decode(bytes: &[u8]) -> MptcpOption<'_> {
    decode_in(bytes, &any_ctx())
}

/// The error the strict decoder returns for `bytes`.
pub fn error_in(bytes: &[u8], ctx: &Context) -> Error {
    match parse_mptcp_option(bytes, ctx) {
        Err(nom::Err::Error(e)) => e,
        other => panic!("{bytes:02x?}: expected an error, got {other:?}"),
    }
}

pub fn error(bytes: &[u8]) -> Error {
    error_in(bytes, &any_ctx())
}

pub fn warnings(option: &MptcpOption<'_>, ctx: &Context) -> Vec<Warning> {
    option.warnings(ctx).iter().copied().collect()
}

/// A reserved-bits warning, its field named as messages print it.
pub fn reserved(field: &str, bits: u8) -> Warning {
    let field = *ReservedField::ALL
        .iter()
        .find(|f| f.name() == field)
        .unwrap_or_else(|| panic!("no field {field:?}"));
    Warning::ReservedBits { field, bits }
}

/// A wrong-segment warning, named as messages print it.
pub fn unexpected(option: &str, expected: &str) -> Warning {
    let option = *HandshakeForm::ALL
        .iter()
        .find(|f| f.name() == option)
        .unwrap_or_else(|| panic!("no form {option:?}"));
    let expected = *SegmentKind::ALL
        .iter()
        .find(|s| s.name() == expected)
        .unwrap_or_else(|| panic!("no segment {expected:?}"));
    Warning::UnexpectedSegment { option, expected }
}

/// A valid wire form with its field layout: each field's name and size, from byte 3 on.
pub struct Form {
    pub name: String,
    pub bytes: Vec<u8>,
    pub fields: Vec<(&'static str, usize)>,
    pub ctx: Context,
}

impl Form {
    pub fn new(name: impl Into<String>, bytes: Vec<u8>, fields: &[(&'static str, usize)]) -> Form {
        let form = Form {
            name: name.into(),
            bytes,
            fields: fields.to_vec(),
            ctx: any_ctx(),
        };
        let laid_out = 3 + form.fields.iter().map(|f| f.1).sum::<usize>();
        assert_eq!(
            laid_out,
            form.bytes.len(),
            "{}: layout and bytes disagree",
            form.name
        );
        assert_eq!(
            form.bytes[1] as usize,
            form.bytes.len(),
            "{}: length byte",
            form.name
        );
        form
    }

    pub fn with_ctx(mut self, ctx: Context) -> Form {
        self.ctx = ctx;
        self
    }

    /// The error a cut after `k` bytes must give: the field the cut falls in, and how many of
    /// its bytes are missing.
    pub fn truncation_at(&self, k: usize) -> Error {
        match k {
            0 => {
                return Error::Truncated {
                    field: "kind",
                    needed: 1,
                }
            }
            1 => {
                return Error::Truncated {
                    field: "length",
                    needed: 1,
                }
            }
            2 => {
                return Error::Truncated {
                    field: "subtype",
                    needed: 1,
                }
            }
            _ => {}
        }
        let mut offset = 3;
        for &(field, size) in &self.fields {
            if k < offset + size {
                return Error::Truncated {
                    field,
                    needed: offset + size - k,
                };
            }
            offset += size;
        }
        panic!("{}: no field at offset {k}", self.name)
    }
}

/// Every byte of `parts`, in order.
pub fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Each case's bytes decode (strictly, with nothing left over, writing back to themselves and
/// agreeing with the lenient decoder: see [`decode_in`]) to its value.
pub fn assert_values(cases: &[(&str, &[u8], MptcpOption<'_>)]) {
    for (name, bytes, value) in cases {
        assert_eq!(decode(bytes), *value, "{name}");
    }
}

/// Each case's bytes decode, and have exactly its warnings in its context.
pub fn assert_warnings(cases: &[(&str, &[u8], Context, Vec<Warning>)]) {
    for (name, bytes, ctx, expected) in cases {
        let option = decode(bytes);
        assert_eq!(warnings(&option, ctx), *expected, "{name}");
    }
}

/// Each case's bytes give exactly its error from the strict decoder.
pub fn assert_errors(cases: &[(&str, &[u8], Error)]) {
    for (name, bytes, expected) in cases {
        assert_eq!(error(bytes), *expected, "{name}");
    }
}

/// `Error::Truncated` in tables.
pub const fn truncated(field: &'static str, needed: usize) -> Error {
    Error::Truncated { field, needed }
}
