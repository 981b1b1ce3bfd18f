//! Every MPTCP option subtype, one at a time: the valid wire forms decode to the exact values
//! (bytes written by hand, big-endian, offsets from the Kind byte), every truncation point and
//! every wrong length byte gives the error that names the field, reserved bits and misplaced
//! forms give warnings, and the TCP options area walks past what it cannot decode.

use mptcp_parse::capable::CapableFlags;
use mptcp_parse::nom;
use mptcp_parse::{
    mptcp_options_lenient, parse_mptcp_option, parse_mptcp_option_lenient, raw_options, subtype,
    tcp_options, AddAddr, AddAddrVersion, CapableForm, Context, DataSeq, Dss, Error, FaultAnnounce,
    FaultCause, HandshakeForm, JoinForm, LengthSet, Mapping, MpCapable, MpFail, MpFastclose,
    MpJoin, MpPrio, MpTcpRst, MptcpOption, Opaque, RawOption, RemoveAddr, ReservedField, RstReason,
    Segment, SegmentKind, TcpFlags, TcpOption, TcpSegment, UnusableSubtype, Warning,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

// ---------------------------------------------------------------------------------------------
// Values from the spec's verified vectors (shared/spec/mptcp-wire.md).

/// mptcp-v1.pcap: the listener's key, sent in the SYN/ACK (frame 2).
const V1_KEY_B: u64 = 0x29a6c86981ad933c;
/// mptcp-v1.pcap: the client's key (frame 5).
const V1_KEY_A: u64 = 0x1fdb5df328bc3def;
/// mptcp-v0.pcap: the client's and the server's keys.
const V0_KEY_A: u64 = 0x9c9eabd1e46a33b2;
const V0_KEY_B: u64 = 0x967d2770b6960552;
/// mptcp-v0.pcap frame 10: HMAC-A of the MP_JOIN third ACK.
const JOIN_ACK_HMAC: [u8; 20] = [
    0xcb, 0x7b, 0x87, 0xf5, 0xe5, 0xf0, 0x50, 0x2f, 0x43, 0xb5, 0x35, 0xfb, 0x70, 0xef, 0x66, 0x07,
    0xdf, 0x2e, 0x6c, 0x7a,
];
const IPV6_DOC: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
];

// ---------------------------------------------------------------------------------------------
// Helpers.

fn any_ctx() -> Context {
    Context::default()
}

fn segment(syn: bool, ack: bool, rst: bool, payload: bool) -> Segment {
    Segment {
        syn,
        ack,
        rst,
        payload,
    }
}

const SYN: Segment = Segment {
    syn: true,
    ack: false,
    rst: false,
    payload: false,
};
const SYN_ACK: Segment = Segment {
    syn: true,
    ack: true,
    rst: false,
    payload: false,
};
const ACK: Segment = Segment {
    syn: false,
    ack: true,
    rst: false,
    payload: false,
};
const ACK_DATA: Segment = Segment {
    syn: false,
    ack: true,
    rst: false,
    payload: true,
};
const RST: Segment = Segment {
    syn: false,
    ack: false,
    rst: true,
    payload: false,
};
const ACK_RST: Segment = Segment {
    syn: false,
    ack: true,
    rst: true,
    payload: false,
};

/// Decodes a whole option strictly, checks that nothing is left over, that it writes back to
/// the same bytes and that the lenient decoder agrees.
fn decode_in<'a>(bytes: &'a [u8], ctx: &Context) -> MptcpOption<'a> {
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

fn decode(bytes: &[u8]) -> MptcpOption<'_> {
    decode_in(bytes, &any_ctx())
}

/// The error the strict decoder returns for `bytes`.
fn error_in(bytes: &[u8], ctx: &Context) -> Error {
    match parse_mptcp_option(bytes, ctx) {
        Err(nom::Err::Error(e)) => e,
        other => panic!("{bytes:02x?}: expected an error, got {other:?}"),
    }
}

fn error(bytes: &[u8]) -> Error {
    error_in(bytes, &any_ctx())
}

fn warnings(option: &MptcpOption<'_>, ctx: &Context) -> Vec<Warning> {
    option.warnings(ctx).iter().copied().collect()
}

/// A reserved-bits warning, its field named as messages print it.
fn reserved(field: &str, bits: u8) -> Warning {
    let field = *ReservedField::ALL
        .iter()
        .find(|f| f.name() == field)
        .unwrap_or_else(|| panic!("no field {field:?}"));
    Warning::ReservedBits { field, bits }
}

/// A wrong-segment warning, named as messages print it.
fn unexpected(option: &str, expected: &str) -> Warning {
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
struct Form {
    name: String,
    bytes: Vec<u8>,
    fields: Vec<(&'static str, usize)>,
    ctx: Context,
}

impl Form {
    fn new(name: impl Into<String>, bytes: Vec<u8>, fields: &[(&'static str, usize)]) -> Form {
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

    fn with_ctx(mut self, ctx: Context) -> Form {
        self.ctx = ctx;
        self
    }

    /// The error a cut after `k` bytes must give: the field the cut falls in, and how many of
    /// its bytes are missing.
    fn truncation_at(&self, k: usize) -> Error {
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
fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

// ---------------------------------------------------------------------------------------------
// The catalogue of valid forms: used for decode, truncation and write-back checks.

const ACK32: u32 = 0x8ed34f4e;
const ACK64: u64 = 14413541604287230030;
const DSN32: u32 = 2976985014;
const DSN64: u64 = 11713449205243392242;
const SSN: u32 = 1;
const DATA_LEN: u16 = 8192;
const CSUM: u16 = 0x9e91;

/// DSS flag bits.
const F_A: u8 = 0x01;
const F_AA: u8 = 0x02; // a
const F_M: u8 = 0x04;
const F_MM: u8 = 0x08; // m
const F_FIN: u8 = 0x10;

/// The DSS table of the spec, by `flags & 0x0f` (m M a A): lengths without and with checksum.
const DSS_LENGTHS: [&[u8]; 16] = [
    &[4],      // -
    &[8],      // A
    &[4],      // a (ignored without A)
    &[12],     // A a
    &[14, 16], // M
    &[18, 20], // A M
    &[14, 16], // a M
    &[22, 24], // A a M
    &[4],      // m (ignored without M)
    &[8],      // A m
    &[4],      // a m
    &[12],     // A a m
    &[18, 20], // M m
    &[22, 24], // A M m
    &[18, 20], // a M m
    &[26, 28], // A a M m
];

const DSS_NAMES: [&str; 16] = [
    "DSS (no flags)",
    "DSS (flags A)",
    "DSS (flags a)",
    "DSS (flags A a)",
    "DSS (flags M)",
    "DSS (flags A M)",
    "DSS (flags a M)",
    "DSS (flags A a M)",
    "DSS (flags m)",
    "DSS (flags A m)",
    "DSS (flags a m)",
    "DSS (flags A a m)",
    "DSS (flags M m)",
    "DSS (flags A M m)",
    "DSS (flags a M m)",
    "DSS (flags A a M m)",
];

/// A DSS with flags `f` (including F) and optionally a checksum: bytes, layout, value.
fn dss_form(f: u8, csum: bool) -> (Form, Dss) {
    let (has_ack, ack64, has_map, dsn64) =
        (f & F_A != 0, f & F_AA != 0, f & F_M != 0, f & F_MM != 0);
    assert!(has_map || !csum);
    let mut body = vec![f];
    let mut fields: Vec<(&'static str, usize)> = vec![("DSS flags", 1)];
    let data_ack = match (has_ack, ack64) {
        (false, _) => None,
        (true, false) => {
            body.extend(ACK32.to_be_bytes());
            fields.push(("Data ACK", 4));
            Some(DataSeq::U32(ACK32))
        }
        (true, true) => {
            body.extend(ACK64.to_be_bytes());
            fields.push(("Data ACK", 8));
            Some(DataSeq::U64(ACK64))
        }
    };
    let mapping = has_map.then(|| {
        let dsn = if dsn64 {
            body.extend(DSN64.to_be_bytes());
            fields.push(("data sequence number", 8));
            DataSeq::U64(DSN64)
        } else {
            body.extend(DSN32.to_be_bytes());
            fields.push(("data sequence number", 4));
            DataSeq::U32(DSN32)
        };
        body.extend(SSN.to_be_bytes());
        body.extend(DATA_LEN.to_be_bytes());
        fields.extend([("subflow sequence number", 4), ("data-level length", 2)]);
        let checksum = csum.then(|| {
            body.extend(CSUM.to_be_bytes());
            fields.push(("checksum", 2));
            CSUM
        });
        Mapping {
            dsn,
            ssn: SSN,
            data_len: DATA_LEN,
            checksum,
        }
    });
    let len = 3 + body.len();
    let valid = DSS_LENGTHS[(f & 0x0f) as usize];
    assert_eq!(
        valid[usize::from(csum)],
        len as u8,
        "the spec's DSS table for flags {f:#04x}"
    );
    let bytes = cat(&[&[30, len as u8, 0x20], &body]);
    let mut unused_flags = 0;
    if !has_ack {
        unused_flags |= f & F_AA;
    }
    if !has_map {
        unused_flags |= f & F_MM;
    }
    let dss = Dss {
        data_ack,
        mapping,
        data_fin: f & F_FIN != 0,
        unused_flags,
        reserved: 0,
    };
    let name = format!(
        "{} F={} csum={csum}",
        DSS_NAMES[(f & 0x0f) as usize],
        f & F_FIN != 0
    );
    (Form::new(name, bytes, &fields), dss)
}

fn all_dss_forms() -> Vec<(Form, Dss)> {
    let mut forms = Vec::new();
    for f in 0..32u8 {
        forms.push(dss_form(f, false));
        if f & F_M != 0 {
            forms.push(dss_form(f, true));
        }
    }
    forms
}

/// ADD_ADDR forms: (nibble, IPv6, port, HMAC) with the expected value.
fn add_addr_form(nibble: u8, ipv6: bool, port: bool, hmac: bool) -> (Form, AddAddr) {
    let mut body = vec![7u8];
    let mut fields: Vec<(&'static str, usize)> = vec![("address ID", 1)];
    let address = if ipv6 {
        body.extend(IPV6_DOC);
        fields.push(("IPv6 address", 16));
        IpAddr::V6(Ipv6Addr::from(IPV6_DOC))
    } else {
        body.extend([192, 168, 136, 225]);
        fields.push(("IPv4 address", 4));
        IpAddr::V4(Ipv4Addr::new(192, 168, 136, 225))
    };
    let port = port.then(|| {
        body.extend(8080u16.to_be_bytes());
        fields.push(("port", 2));
        8080
    });
    let truncated_hmac = hmac.then(|| {
        body.extend(0x669928744366716cu64.to_be_bytes());
        fields.push(("truncated HMAC", 8));
        0x669928744366716c
    });
    let version = match nibble {
        4 | 6 => AddAddrVersion::V0,
        n => AddAddrVersion::V1 {
            echo: n & 1 != 0,
            reserved: n & 0x0e,
        },
    };
    let bytes = cat(&[&[30, 3 + body.len() as u8, 0x30 | nibble], &body]);
    let name = format!("ADD_ADDR nibble {nibble} ipv6={ipv6} port={port:?} hmac={hmac}");
    (
        Form::new(name, bytes, &fields),
        AddAddr {
            version,
            address_id: 7,
            address,
            port,
            truncated_hmac,
        },
    )
}

fn all_add_addr_forms() -> Vec<(Form, AddAddr)> {
    let mut forms = Vec::new();
    for port in [false, true] {
        forms.push(add_addr_form(4, false, port, false));
        forms.push(add_addr_form(6, true, port, false));
        for ipv6 in [false, true] {
            forms.push(add_addr_form(0, ipv6, port, true)); // announcement
            forms.push(add_addr_form(1, ipv6, port, false)); // echo
        }
    }
    forms
}

fn fault_form(subtype: u8, nibble: u8, padding: usize) -> Form {
    let mut bytes = vec![30, 0, (subtype << 4) | nibble, 0x0a, 2, 1];
    let mut fields: Vec<(&'static str, usize)> = vec![
        ("cause", 1),
        ("destination address ID", 1),
        ("source address ID", 1),
    ];
    match nibble & 0x0c {
        0x08 => {
            bytes.extend([10, 0, 0, 1]);
            fields.push(("middlebox IPv4 address", 4));
        }
        0x0c => {
            bytes.extend(IPV6_DOC);
            fields.push(("middlebox IPv6 address", 16));
        }
        _ => {}
    }
    bytes.resize(bytes.len() + padding, 0);
    if padding > 0 {
        fields.push(("padding", padding));
    }
    bytes[1] = bytes.len() as u8;
    Form::new(
        format!("FAULT_ANNOUNCE at {subtype} nibble {nibble:#x} padding {padding}"),
        bytes,
        &fields,
    )
}

/// Every valid form of every subtype.
fn all_valid_forms() -> Vec<Form> {
    let mut forms = vec![
        Form::new(
            "MP_CAPABLE v1 SYN",
            vec![30, 4, 0x01, 0x81],
            &[("flags", 1)],
        ),
        Form::new(
            "MP_CAPABLE v1 SYN/ACK",
            capable_v1(12),
            &[("flags", 1), ("sender key", 8)],
        ),
        Form::new(
            "MP_CAPABLE v1 ACK",
            capable_v1(20),
            &[("flags", 1), ("sender key", 8), ("receiver key", 8)],
        ),
        Form::new(
            "MP_CAPABLE v1 ACK+data",
            capable_v1(22),
            &[
                ("flags", 1),
                ("sender key", 8),
                ("receiver key", 8),
                ("data-level length", 2),
            ],
        ),
        Form::new(
            "MP_CAPABLE v1 ACK+data+csum",
            capable_v1(24),
            &[
                ("flags", 1),
                ("sender key", 8),
                ("receiver key", 8),
                ("data-level length", 2),
                ("checksum", 2),
            ],
        ),
        Form::new(
            "MP_CAPABLE v0 SYN",
            capable_v0(12),
            &[("flags", 1), ("sender key", 8)],
        ),
        Form::new(
            "MP_CAPABLE v0 ACK",
            capable_v0(20),
            &[("flags", 1), ("sender key", 8), ("receiver key", 8)],
        ),
        Form::new(
            "MP_JOIN SYN",
            JOIN_SYN.to_vec(),
            &[
                ("address ID", 1),
                ("receiver token", 4),
                ("sender random number", 4),
            ],
        ),
        Form::new(
            "MP_JOIN SYN/ACK",
            JOIN_SYN_ACK.to_vec(),
            &[
                ("address ID", 1),
                ("truncated HMAC", 8),
                ("sender random number", 4),
            ],
        ),
        Form::new(
            "MP_JOIN ACK",
            join_ack(0x10, 0),
            &[("reserved", 1), ("HMAC", 20)],
        ),
        Form::new("MP_PRIO v1", vec![30, 3, 0x51], &[]),
        Form::new("MP_PRIO v0", vec![30, 4, 0x50, 3], &[("address ID", 1)]),
        Form::new(
            "MP_FAIL",
            MP_FAIL.to_vec(),
            &[("reserved", 1), ("data sequence number", 8)],
        ),
        Form::new(
            "MP_FASTCLOSE",
            MP_FASTCLOSE.to_vec(),
            &[("reserved", 1), ("receiver key", 8)],
        ),
        Form::new("MP_TCPRST", vec![30, 4, 0x81, 0x06], &[("reason", 1)]),
        Form::new("MP_EXPERIMENTAL empty", vec![30, 3, 0xf0], &[]),
        Form::new(
            "MP_EXPERIMENTAL",
            vec![30, 7, 0xf5, 1, 2, 3, 4],
            &[("option body", 4)],
        ),
        Form::new(
            "MP_EXPERIMENTAL 40",
            cat(&[&[30, 40, 0xff], &[0xab; 37]]),
            &[("option body", 37)],
        ),
    ];
    forms.extend(all_dss_forms().into_iter().map(|(f, _)| f));
    forms.extend(all_add_addr_forms().into_iter().map(|(f, _)| f));
    for n in 1..=37u8 {
        let ids: Vec<u8> = (0..n).collect();
        forms.push(Form::new(
            format!("REMOVE_ADDR {n}"),
            cat(&[&[30, 3 + n, 0x40], &ids]),
            &[("address ID list", n as usize)],
        ));
    }
    for s in 10..=14u8 {
        forms.push(Form::new(
            format!("unknown {s}"),
            vec![30, 6, s << 4, 1, 2, 3],
            &[("option body", 3)],
        ));
    }
    for nibble in [0x0, 0x2, 0x8, 0xa, 0xc, 0xe] {
        for padding in 0..=2 {
            forms.push(fault_form(9, nibble, padding));
            let at_12 = Context::default()
                .with_fault_announce_subtype(Some(12))
                .unwrap();
            forms.push(fault_form(12, nibble, padding).with_ctx(at_12));
        }
    }
    forms
}

fn capable_v1(len: u8) -> Vec<u8> {
    let mut b = vec![30, len, 0x01, 0x81];
    if len >= 12 {
        b.extend(if len == 12 { V1_KEY_B } else { V1_KEY_A }.to_be_bytes());
    }
    if len >= 20 {
        b.extend(V1_KEY_B.to_be_bytes());
    }
    if len >= 22 {
        b.extend([0x00, 0x64]);
    }
    if len >= 24 {
        b.extend([0x9e, 0x91]);
    }
    b
}

fn capable_v0(len: u8) -> Vec<u8> {
    let mut b = vec![30, len, 0x00, 0x81];
    b.extend(V0_KEY_A.to_be_bytes());
    if len == 20 {
        b.extend(V0_KEY_B.to_be_bytes());
    }
    b
}

/// mptcp-v0.pcap frame 8: MP_JOIN SYN, backup, address ID 2, token of key B, R_A.
const JOIN_SYN: [u8; 12] = [
    30, 12, 0x11, 0x02, 0xe4, 0x7f, 0x01, 0x42, 0x1b, 0x66, 0x5a, 0x18,
];
/// mptcp-v0.pcap frame 9: MP_JOIN SYN/ACK, address ID 0, truncated HMAC-B, R_B.
const JOIN_SYN_ACK: [u8; 16] = [
    30, 16, 0x10, 0x00, 0x5a, 0xb6, 0x80, 0xc7, 0x88, 0x4a, 0xf0, 0x3d, 0x33, 0xab, 0xe9, 0xd5,
];
const MP_FAIL: [u8; 12] = [
    30, 12, 0x60, 0x00, 0x67, 0x42, 0x9f, 0x7a, 0x2c, 0x4f, 0x13, 0xb6,
];
const MP_FASTCLOSE: [u8; 12] = [
    30, 12, 0x70, 0x00, 0x96, 0x7d, 0x27, 0x70, 0xb6, 0x96, 0x05, 0x52,
];

fn join_ack(byte2: u8, byte3: u8) -> Vec<u8> {
    cat(&[&[30, 24, byte2, byte3], &JOIN_ACK_HMAC])
}

// ---------------------------------------------------------------------------------------------
// Catalogue-wide checks.

#[test]
fn every_valid_form_decodes_writes_back_and_has_no_warning() {
    for form in all_valid_forms() {
        let option = decode_in(&form.bytes, &form.ctx);
        assert!(
            warnings(&option, &form.ctx).is_empty(),
            "{}: {:?}",
            form.name,
            warnings(&option, &form.ctx)
        );
        // Whatever follows the option is returned untouched.
        let mut longer = form.bytes.clone();
        longer.extend([1, 1, 0]);
        let (rest, again) = parse_mptcp_option(&longer, &form.ctx).unwrap();
        assert_eq!(rest, [1, 1, 0], "{}", form.name);
        assert_eq!(again, option, "{}", form.name);
    }
}

#[test]
fn every_truncation_point_of_every_valid_form_names_the_cut_field() {
    for form in all_valid_forms() {
        for k in 0..form.bytes.len() {
            let cut = &form.bytes[..k];
            let expected = form.truncation_at(k);
            let got = error_in(cut, &form.ctx);
            assert_eq!(got, expected, "{} cut at {k}", form.name);
            assert!(matches!(got, Error::Truncated { needed, .. } if needed > 0));
            // The lenient decoder gives the same error and nothing after it.
            let (rest, decoded) = parse_mptcp_option_lenient(cut, &form.ctx);
            assert_eq!(
                decoded.option,
                Err(expected),
                "{} cut at {k} (lenient)",
                form.name
            );
            assert!(decoded.warnings.is_empty() && rest.is_empty());
            // At the end of an options area: one error, then the walk ends.
            if k >= 2 {
                let items: Vec<_> = tcp_options(cut, form.ctx).collect();
                assert_eq!(
                    items,
                    [Err(expected)],
                    "{} cut at {k} (options area)",
                    form.name
                );
            }
        }
    }
}

#[test]
fn truncation_errors_count_the_missing_bytes_of_the_cut_field() {
    // A few, spelled out.
    let v1_data = capable_v1(24);
    assert_eq!(
        error(&v1_data[..3]),
        Error::Truncated {
            field: "flags",
            needed: 1
        }
    );
    assert_eq!(
        error(&v1_data[..9]),
        Error::Truncated {
            field: "sender key",
            needed: 3
        }
    );
    assert_eq!(
        error(&v1_data[..12]),
        Error::Truncated {
            field: "receiver key",
            needed: 8
        }
    );
    assert_eq!(
        error(&v1_data[..21]),
        Error::Truncated {
            field: "data-level length",
            needed: 1
        }
    );
    assert_eq!(
        error(&v1_data[..23]),
        Error::Truncated {
            field: "checksum",
            needed: 1
        }
    );
    assert_eq!(
        error(&JOIN_SYN[..5]),
        Error::Truncated {
            field: "receiver token",
            needed: 3
        }
    );
    assert_eq!(
        error(&JOIN_SYN_ACK[..13]),
        Error::Truncated {
            field: "sender random number",
            needed: 3
        }
    );
    assert_eq!(
        error(&join_ack(0x10, 0)[..10]),
        Error::Truncated {
            field: "HMAC",
            needed: 14
        }
    );
    let (dss, _) = dss_form(F_A | F_AA | F_M | F_MM, true);
    assert_eq!(
        error(&dss.bytes[..5]),
        Error::Truncated {
            field: "Data ACK",
            needed: 7
        }
    );
    assert_eq!(
        error(&dss.bytes[..12]),
        Error::Truncated {
            field: "data sequence number",
            needed: 8
        }
    );
    assert_eq!(
        error(&dss.bytes[..27]),
        Error::Truncated {
            field: "checksum",
            needed: 1
        }
    );
    let (aa, _) = add_addr_form(0, true, true, true);
    assert_eq!(
        error(&aa.bytes[..6]),
        Error::Truncated {
            field: "IPv6 address",
            needed: 14
        }
    );
    assert_eq!(
        error(&aa.bytes[..21]),
        Error::Truncated {
            field: "port",
            needed: 1
        }
    );
    assert_eq!(
        error(&aa.bytes[..22]),
        Error::Truncated {
            field: "truncated HMAC",
            needed: 8
        }
    );
    assert_eq!(
        error(&[30, 8, 0x40, 1, 2]),
        Error::Truncated {
            field: "address ID list",
            needed: 3
        }
    );
    assert_eq!(
        error(&[30, 4, 0x50]),
        Error::Truncated {
            field: "address ID",
            needed: 1
        }
    );
    assert_eq!(
        error(&MP_FAIL[..4]),
        Error::Truncated {
            field: "data sequence number",
            needed: 8
        }
    );
    assert_eq!(
        error(&[30, 9, 0xa0, 1]),
        Error::Truncated {
            field: "option body",
            needed: 5
        }
    );
    let fault = fault_form(9, 0xc, 2);
    assert_eq!(
        error(&fault.bytes[..7]),
        Error::Truncated {
            field: "middlebox IPv6 address",
            needed: 15
        }
    );
    assert_eq!(
        error(&fault.bytes[..23]),
        Error::Truncated {
            field: "padding",
            needed: 1
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Wrong length bytes.

/// For each length byte in `lengths`: valid ones decode, the others are `InvalidLength`
/// naming `option` with `valid` as the expected set. The buffer always holds 64 bytes after the
/// header so that no error can come from missing bytes.
fn check_lengths(
    option: &'static str,
    head: &[u8],
    valid: &[u8],
    lengths: impl IntoIterator<Item = u8>,
    ctx: &Context,
) {
    let expected = LengthSet::of(valid);
    for l in lengths {
        let mut buf = vec![30, l];
        buf.extend(head);
        buf.resize(3 + 64, 0);
        let result = parse_mptcp_option(&buf, ctx);
        if valid.contains(&l) {
            let (rest, decoded) =
                result.unwrap_or_else(|e| panic!("{option}: length {l} must decode: {e:?}"));
            assert_eq!(rest.len(), buf.len() - l as usize, "{option} length {l}");
            assert_eq!(decoded.buffer_len(), l as usize, "{option} length {l}");
        } else {
            assert_eq!(
                result,
                Err(nom::Err::Error(Error::InvalidLength {
                    option,
                    expected,
                    found: l
                })),
                "{option}: length {l}"
            );
        }
    }
}

/// Every length byte from 3 to 40, and a few the options area can never hold.
fn all_lengths() -> impl Iterator<Item = u8> {
    (3..=40).chain([41, 44, 63, 64, 200, 255])
}

fn lengths_from_4() -> impl Iterator<Item = u8> {
    (4..=40).chain([41, 44, 63, 64, 200, 255])
}

#[test]
fn mp_capable_wrong_lengths() {
    for flags in [0x00, 0x01, 0x81, 0xff] {
        check_lengths(
            "MP_CAPABLE v1",
            &[0x01, flags],
            &[4, 12, 20, 22, 24],
            lengths_from_4(),
            &any_ctx(),
        );
        check_lengths(
            "MP_CAPABLE v0",
            &[0x00, flags],
            &[12, 20],
            lengths_from_4(),
            &any_ctx(),
        );
    }
}

#[test]
fn mp_capable_length_3_is_an_invalid_length() {
    // [30, 3, 0x01, 0x81, 0, ...]: the flags byte lies past the option's end.
    check_lengths(
        "MP_CAPABLE v1",
        &[0x01, 0x81],
        &[4, 12, 20, 22, 24],
        [3],
        &any_ctx(),
    );
    check_lengths("MP_CAPABLE v0", &[0x00, 0x81], &[12, 20], [3], &any_ctx());
}

#[test]
fn mp_join_wrong_lengths() {
    for byte2 in [0x10, 0x11, 0x1f] {
        check_lengths(
            "MP_JOIN",
            &[byte2],
            &[12, 16, 24],
            all_lengths(),
            &any_ctx(),
        );
    }
}

#[test]
fn dss_wrong_lengths_for_every_flag_combination() {
    for f in 0..32u8 {
        for byte2 in [0x20, 0x2f] {
            let option = DSS_NAMES[(f & 0x0f) as usize];
            check_lengths(
                option,
                &[byte2, f],
                DSS_LENGTHS[(f & 0x0f) as usize],
                lengths_from_4(),
                &any_ctx(),
            );
            // The reserved flag bits change nothing.
            check_lengths(
                option,
                &[byte2, f | 0xe0],
                DSS_LENGTHS[(f & 0x0f) as usize],
                lengths_from_4(),
                &any_ctx(),
            );
        }
    }
}

#[test]
fn dss_length_3_is_an_invalid_length() {
    // Length 3 leaves no room for the flags byte: no DSS is that short, whatever its flags.
    let bytes = [30, 3, 0x20, 0x01, 0, 0, 0, 0];
    let got = error(&bytes);
    assert!(
        matches!(got, Error::InvalidLength { found: 3, .. }),
        "got {got:?}"
    );
}

#[test]
fn add_addr_wrong_lengths_per_variant() {
    check_lengths(
        "ADD_ADDR v0 (IPv4)",
        &[0x34],
        &[8, 10],
        all_lengths(),
        &any_ctx(),
    );
    check_lengths(
        "ADD_ADDR v0 (IPv6)",
        &[0x36],
        &[20, 22],
        all_lengths(),
        &any_ctx(),
    );
    for nibble in [0x0, 0x2, 0x8, 0xa, 0xc, 0xe] {
        check_lengths(
            "ADD_ADDR (with HMAC)",
            &[0x30 | nibble],
            &[16, 18, 28, 30],
            all_lengths(),
            &any_ctx(),
        );
    }
    for nibble in [0x1, 0x3, 0x5, 0x7, 0x9, 0xf] {
        check_lengths(
            "ADD_ADDR echo",
            &[0x30 | nibble],
            &[8, 10, 20, 22],
            all_lengths(),
            &any_ctx(),
        );
    }
}

#[test]
fn remove_addr_prio_fail_fastclose_tcprst_wrong_lengths() {
    let remove: Vec<u8> = (4..=40).collect();
    check_lengths("REMOVE_ADDR", &[0x40], &remove, all_lengths(), &any_ctx());
    check_lengths("MP_PRIO", &[0x51], &[3, 4], all_lengths(), &any_ctx());
    check_lengths("MP_FAIL", &[0x60], &[12], all_lengths(), &any_ctx());
    check_lengths("MP_FASTCLOSE", &[0x70], &[12], all_lengths(), &any_ctx());
    check_lengths("MP_TCPRST", &[0x81], &[4], all_lengths(), &any_ctx());
}

#[test]
fn fault_announce_wrong_lengths_per_flags() {
    for t_r in [0x0, 0x1, 0x2, 0x3] {
        check_lengths(
            "FAULT_ANNOUNCE",
            &[0x90 | t_r],
            &[6, 7, 8],
            all_lengths(),
            &any_ctx(),
        );
        check_lengths(
            "FAULT_ANNOUNCE (IPv4 middlebox)",
            &[0x98 | t_r],
            &[10, 11, 12],
            all_lengths(),
            &any_ctx(),
        );
        check_lengths(
            "FAULT_ANNOUNCE (IPv6 middlebox)",
            &[0x9c | t_r],
            &[22, 23, 24],
            all_lengths(),
            &any_ctx(),
        );
        let at_13 = Context::default()
            .with_fault_announce_subtype(Some(13))
            .unwrap();
        check_lengths(
            "FAULT_ANNOUNCE (IPv4 middlebox)",
            &[0xd8 | t_r],
            &[10, 11, 12],
            all_lengths(),
            &at_13,
        );
    }
}

#[test]
fn opaque_subtypes_take_any_length_from_3() {
    let every: Vec<u8> = (3..=40).collect();
    for byte2 in [0xf0, 0xf7, 0xa0, 0xb3, 0xe1] {
        check_lengths("unused", &[byte2], &every, 3..=40, &any_ctx());
    }
    // With FAULT_ANNOUNCE off, subtype 9 is one of them.
    let off = Context::default()
        .with_fault_announce_subtype(None)
        .unwrap();
    check_lengths("unused", &[0x9c], &every, 3..=40, &off);
}

#[test]
fn length_byte_below_3_is_invalid_for_every_subtype() {
    for subtype in 0..16u8 {
        for l in 0..3 {
            let bytes = [30, l, subtype << 4, 0, 0, 0, 0, 0];
            let expected = Error::InvalidLength {
                option: "MPTCP option",
                expected: LengthSet::range(3, 40),
                found: l,
            };
            assert_eq!(error(&bytes), expected);
            let (rest, decoded) = parse_mptcp_option_lenient(&bytes, &any_ctx());
            assert_eq!(decoded.option, Err(expected));
            assert!(
                rest.is_empty(),
                "a length below 3 cannot be trusted to find the next option"
            );
        }
    }
}

#[test]
fn other_kinds_are_not_mptcp() {
    assert_eq!(
        error(&[8, 10, 0, 0, 0, 1, 0, 0, 0, 2]),
        Error::NotMptcp { kind: 8 }
    );
    assert_eq!(error(&[1]), Error::NotMptcp { kind: 1 });
}

// ---------------------------------------------------------------------------------------------
// MP_CAPABLE

#[test]
fn mp_capable_v1_forms_decode_to_their_values() {
    let bytes = [30, 4, 0x01, 0x81];
    let syn = decode(&bytes);
    assert_eq!(
        syn,
        MptcpOption::MpCapable(MpCapable {
            version: 1,
            flags: CapableFlags(0x81),
            form: CapableForm::Bare
        })
    );

    // tcpdump mptcp-v1.pcap frame 2: the SYN/ACK carries the listener's key.
    let bytes = [
        30, 12, 0x01, 0x01, 0x29, 0xa6, 0xc8, 0x69, 0x81, 0xad, 0x93, 0x3c,
    ];
    let MptcpOption::MpCapable(syn_ack) = decode(&bytes) else {
        panic!()
    };
    assert_eq!(
        syn_ack,
        MpCapable {
            version: 1,
            flags: CapableFlags(0x01),
            form: CapableForm::SenderKey { key: V1_KEY_B }
        }
    );
    assert_eq!(syn_ack.sender_key(), Some(0x29a6c86981ad933c));
    assert_eq!(syn_ack.receiver_key(), None);
    assert_eq!(syn_ack.step(), "SYN/ACK");

    let bytes = [
        30, 20, 0x01, 0x81, 0x1f, 0xdb, 0x5d, 0xf3, 0x28, 0xbc, 0x3d, 0xef, 0x29, 0xa6, 0xc8, 0x69,
        0x81, 0xad, 0x93, 0x3c,
    ];
    assert_eq!(bytes.to_vec(), capable_v1(20));
    let MptcpOption::MpCapable(ack) = decode(&bytes) else {
        panic!()
    };
    assert_eq!(
        ack.form,
        CapableForm::BothKeys {
            sender_key: V1_KEY_A,
            receiver_key: V1_KEY_B
        }
    );
    assert_eq!(
        (ack.sender_key(), ack.receiver_key()),
        (Some(V1_KEY_A), Some(V1_KEY_B))
    );
    assert_eq!(ack.step(), "ACK");

    let mut bytes22 = bytes.to_vec();
    bytes22[1] = 22;
    bytes22.extend([0x00, 0x64]);
    let MptcpOption::MpCapable(data) = decode(&bytes22) else {
        panic!()
    };
    assert_eq!(
        data.form,
        CapableForm::BothKeysData {
            sender_key: V1_KEY_A,
            receiver_key: V1_KEY_B,
            data_len: 100,
            checksum: None
        }
    );
    assert_eq!(data.step(), "ACK with data");

    let mut bytes24 = bytes22.clone();
    bytes24[1] = 24;
    bytes24.extend([0x9e, 0x91]);
    let MptcpOption::MpCapable(csum) = decode(&bytes24) else {
        panic!()
    };
    assert_eq!(
        csum.form,
        CapableForm::BothKeysData {
            sender_key: V1_KEY_A,
            receiver_key: V1_KEY_B,
            data_len: 100,
            checksum: Some(0x9e91)
        }
    );
    assert_eq!(csum.version, 1);
    assert!(csum.flags.checksum_required() && csum.flags.hmac());
}

#[test]
fn mp_capable_v0_forms_decode_to_their_values() {
    let bytes = capable_v0(12);
    let MptcpOption::MpCapable(syn) = decode(&bytes) else {
        panic!()
    };
    assert_eq!(
        syn,
        MpCapable {
            version: 0,
            flags: CapableFlags(0x81),
            form: CapableForm::SenderKey { key: V0_KEY_A }
        }
    );
    assert_eq!(syn.step(), "SYN or SYN/ACK");
    let ack = decode(&[
        30, 20, 0x00, 0x81, 0x9c, 0x9e, 0xab, 0xd1, 0xe4, 0x6a, 0x33, 0xb2, 0x96, 0x7d, 0x27, 0x70,
        0xb6, 0x96, 0x05, 0x52,
    ]);
    assert_eq!(
        ack,
        MptcpOption::MpCapable(MpCapable {
            version: 0,
            flags: CapableFlags(0x81),
            form: CapableForm::BothKeys {
                sender_key: V0_KEY_A,
                receiver_key: V0_KEY_B
            },
        })
    );
    assert_eq!(ack.name(), "MP_CAPABLE");
    assert_eq!(ack.subtype(), subtype::MP_CAPABLE);
}

#[test]
fn mp_capable_flags_a_to_h() {
    // (bit, reserved in v1, reserved in v0)
    let bits: [(u8, bool, bool); 8] = [
        (0x80, false, false), // A: checksum required
        (0x40, true, true),   // B: extensibility, must be 0
        (0x20, false, true),  // C: v1 "no subflows to this address" (not an error); v0 crypto bit
        (0x10, true, true),   // D
        (0x08, true, true),   // E
        (0x04, true, true),   // F
        (0x02, true, true),   // G
        (0x01, false, false), // H: HMAC algorithm
    ];
    for (bit, reserved_v1, reserved_v0) in bits {
        let flags = CapableFlags(bit);
        assert_eq!(flags.checksum_required(), bit == 0x80);
        assert_eq!(flags.extensibility(), bit == 0x40);
        assert_eq!(flags.deny_join_id0(), bit == 0x20);
        assert_eq!(flags.hmac(), bit == 0x01);

        let bytes = [30, 4, 0x01, bit];
        let v1 = decode(&bytes);
        let expected: Vec<Warning> = if reserved_v1 {
            vec![reserved("MP_CAPABLE flags", bit)]
        } else {
            vec![]
        };
        assert_eq!(warnings(&v1, &any_ctx()), expected, "v1 flag {bit:#04x}");

        let mut v0 = capable_v0(12);
        v0[3] = bit;
        let v0 = decode(&v0);
        let expected: Vec<Warning> = if reserved_v0 {
            vec![reserved("MP_CAPABLE flags", bit)]
        } else {
            vec![]
        };
        assert_eq!(warnings(&v0, &any_ctx()), expected, "v0 flag {bit:#04x}");
    }
    // All at once: the offending bits together.
    assert_eq!(
        warnings(&decode(&[30, 4, 0x01, 0xff]), &any_ctx()),
        [reserved("MP_CAPABLE flags", 0x5e)]
    );
    let mut v0 = capable_v0(20);
    v0[3] = 0xff;
    assert_eq!(
        warnings(&decode(&v0), &any_ctx()),
        [reserved("MP_CAPABLE flags", 0x7e)]
    );
    // C set on a v1 SYN (Linux's deny-join-id0) is clean.
    let MptcpOption::MpCapable(c) = decode(&[30, 4, 0x01, 0xa1]) else {
        panic!()
    };
    assert!(c.flags.deny_join_id0() && c.flags.checksum_required() && c.flags.hmac());
    assert_eq!(c.flags.reserved(1), 0);
    assert_eq!(c.flags.reserved(0), 0x20);
}

#[test]
fn mp_capable_unknown_version_strict_error_lenient_opaque() {
    for version in 2..16u8 {
        let bytes = [30, 8, version, 0x81, 0xde, 0xad, 0xbe, 0xef];
        assert_eq!(error(&bytes), Error::UnsupportedVersion { version });
        let (rest, decoded) = parse_mptcp_option_lenient(&bytes, &Context::on(SYN));
        assert!(rest.is_empty());
        let expected = MpCapable {
            version,
            flags: CapableFlags(0x81),
            form: CapableForm::Opaque(&bytes[4..]),
        };
        assert_eq!(decoded.option, Ok(MptcpOption::MpCapable(expected)));
        assert_eq!(
            decoded.warnings.iter().copied().collect::<Vec<_>>(),
            [Warning::UnknownVersion { version }]
        );
        assert_eq!(expected.step(), "unknown");
        assert_eq!(expected.sender_key(), None);
        // Kept bytes write back as they were.
        let mut buf = [0u8; 8];
        assert_eq!(MptcpOption::MpCapable(expected).emit(&mut buf), Ok(8));
        assert_eq!(buf, bytes);
    }
    // The lenient decoder still hands over the next option.
    let bytes = [30, 5, 0x02, 0x81, 0x00, 30, 4, 0x81, 0x06];
    let (rest, decoded) = parse_mptcp_option_lenient(&bytes, &any_ctx());
    assert!(decoded.option.is_ok());
    assert_eq!(rest, [30, 4, 0x81, 0x06]);
}

#[test]
fn mp_capable_unknown_version_cut_is_truncated_even_leniently() {
    // Length byte 12, only 6 bytes captured: the opaque body is missing 6 bytes. Every other
    // opaque body (MP_EXPERIMENTAL, unknown subtypes) reports Truncated { "option body" }.
    let bytes = [30, 12, 0x02, 0x81, 0xaa, 0xbb];
    let (_, decoded) = parse_mptcp_option_lenient(&bytes, &any_ctx());
    assert!(
        matches!(decoded.option, Err(Error::Truncated { needed: 6, .. })),
        "got {:?}",
        decoded.option
    );
}

// ---------------------------------------------------------------------------------------------
// MP_JOIN

#[test]
fn mp_join_forms_decode_to_their_values() {
    let syn = decode(&JOIN_SYN);
    assert_eq!(
        syn,
        MptcpOption::MpJoin(MpJoin {
            backup: true,
            reserved: 0,
            form: JoinForm::Syn {
                address_id: 2,
                receiver_token: 0xe47f0142,
                sender_nonce: 0x1b665a18
            },
        })
    );
    let MptcpOption::MpJoin(j) = syn else {
        panic!()
    };
    assert_eq!(j.address_id(), Some(2));

    let mut no_backup = JOIN_SYN;
    no_backup[2] = 0x10;
    let MptcpOption::MpJoin(j) = decode(&no_backup) else {
        panic!()
    };
    assert!(!j.backup);

    let syn_ack = decode(&JOIN_SYN_ACK);
    assert_eq!(
        syn_ack,
        MptcpOption::MpJoin(MpJoin {
            backup: false,
            reserved: 0,
            form: JoinForm::SynAck {
                address_id: 0,
                truncated_hmac: 0x5ab680c7884af03d,
                sender_nonce: 0x33abe9d5
            },
        })
    );
    let mut backup = JOIN_SYN_ACK;
    backup[2] = 0x11;
    let MptcpOption::MpJoin(j) = decode(&backup) else {
        panic!()
    };
    assert!(j.backup);
    assert_eq!(j.address_id(), Some(0));

    let ack_bytes = join_ack(0x10, 0);
    let ack = decode(&ack_bytes);
    assert_eq!(
        ack,
        MptcpOption::MpJoin(MpJoin {
            backup: false,
            reserved: 0,
            form: JoinForm::Ack {
                reserved: 0,
                hmac: &JOIN_ACK_HMAC
            }
        })
    );
    let MptcpOption::MpJoin(j) = ack else {
        panic!()
    };
    assert_eq!(j.address_id(), None);
}

#[test]
fn mp_join_ack_has_no_backup_flag() {
    // Bit 0 of the ACK form is reserved, not B.
    let bytes = join_ack(0x11, 0);
    let option = decode(&bytes);
    let MptcpOption::MpJoin(j) = option else {
        panic!()
    };
    assert!(!j.backup);
    assert_eq!(j.reserved, 0x1);
    assert_eq!(
        warnings(&option, &any_ctx()),
        [reserved("MP_JOIN subtype byte", 0x1)]
    );
}

#[test]
fn mp_join_reserved_bits() {
    for bit in [0x2, 0x4, 0x8] {
        let mut syn = JOIN_SYN;
        syn[2] = 0x10 | bit | 1;
        let option = decode(&syn);
        let MptcpOption::MpJoin(j) = option else {
            panic!()
        };
        assert!(j.backup);
        assert_eq!(j.reserved, bit);
        assert_eq!(
            warnings(&option, &any_ctx()),
            [reserved("MP_JOIN subtype byte", bit)]
        );

        let mut syn_ack = JOIN_SYN_ACK;
        syn_ack[2] = 0x10 | bit;
        assert_eq!(
            warnings(&decode(&syn_ack), &any_ctx()),
            [reserved("MP_JOIN subtype byte", bit)]
        );
    }
    // The ACK form's reserved byte 3.
    let bytes = join_ack(0x10, 0x40);
    let option = decode(&bytes);
    assert!(matches!(
        option,
        MptcpOption::MpJoin(MpJoin {
            form: JoinForm::Ack { reserved: 0x40, .. },
            ..
        })
    ));
    assert_eq!(
        warnings(&option, &any_ctx()),
        [reserved("MP_JOIN ACK reserved byte", 0x40)]
    );
    // Bits in both places are two warnings, each naming its byte.
    let both = join_ack(0x11, 0x01);
    let option = decode(&both);
    assert_eq!(
        warnings(&option, &any_ctx()),
        [
            reserved("MP_JOIN subtype byte", 0x1),
            reserved("MP_JOIN ACK reserved byte", 0x1)
        ]
    );
}

#[test]
fn mp_join_forms_on_the_wrong_segment() {
    let syn = decode(&JOIN_SYN);
    let syn_ack = decode(&JOIN_SYN_ACK);
    let ack_bytes = join_ack(0x10, 0);
    let ack = decode(&ack_bytes);
    let cases = [
        (&syn, SYN, None),
        (&syn, SYN_ACK, Some(("MP_JOIN SYN form", "a SYN"))),
        (&syn, ACK, Some(("MP_JOIN SYN form", "a SYN"))),
        (&syn_ack, SYN_ACK, None),
        (&syn_ack, SYN, Some(("MP_JOIN SYN/ACK form", "a SYN/ACK"))),
        (
            &syn_ack,
            ACK_DATA,
            Some(("MP_JOIN SYN/ACK form", "a SYN/ACK")),
        ),
        (&ack, ACK, None),
        (&ack, ACK_DATA, None),
        (&ack, SYN_ACK, Some(("MP_JOIN ACK form", "an ACK"))),
        (&ack, RST, Some(("MP_JOIN ACK form", "an ACK"))),
    ];
    for (option, seg, expected) in cases {
        let expected: Vec<Warning> = expected
            .map(|(option, expected)| unexpected(option, expected))
            .into_iter()
            .collect();
        assert_eq!(
            warnings(option, &Context::on(seg)),
            expected,
            "{option:?} on {seg:?}"
        );
        // Without a segment, no such check.
        assert!(warnings(option, &Context::default()).is_empty());
    }
}

#[test]
fn mp_capable_forms_on_the_wrong_segment() {
    let forms: [(Vec<u8>, &str, &str, &[Segment]); 6] = [
        (capable_v1(4), "MP_CAPABLE without key", "a SYN", &[SYN]),
        (
            capable_v1(12),
            "MP_CAPABLE with the sender's key",
            "a SYN/ACK",
            &[SYN_ACK],
        ),
        (
            capable_v0(12),
            "MP_CAPABLE with the sender's key",
            "a SYN or SYN/ACK",
            &[SYN, SYN_ACK],
        ),
        (
            capable_v1(20),
            "MP_CAPABLE with both keys",
            "an ACK",
            &[ACK, ACK_DATA, ACK_RST],
        ),
        (
            capable_v0(20),
            "MP_CAPABLE with both keys",
            "an ACK",
            &[ACK, ACK_DATA, ACK_RST],
        ),
        (
            capable_v1(22),
            "MP_CAPABLE with data-level length",
            "an ACK with payload",
            &[ACK_DATA],
        ),
    ];
    let all = [SYN, SYN_ACK, ACK, ACK_DATA, RST, ACK_RST];
    for (bytes, name, expected, right) in &forms {
        let option = decode(bytes);
        assert!(warnings(&option, &Context::default()).is_empty());
        for seg in all {
            let got = warnings(&option, &Context::on(seg));
            if right.contains(&seg) {
                assert!(got.is_empty(), "{name} on {seg:?}: {got:?}");
            } else {
                assert_eq!(got, [unexpected(name, expected)], "{name} on {seg:?}");
            }
        }
    }
    // The reserved-bit warning comes first, the segment one after.
    let bytes = [30, 4, 0x01, 0x41];
    let option = decode(&bytes);
    assert_eq!(
        warnings(&option, &Context::on(ACK)),
        [
            reserved("MP_CAPABLE flags", 0x40),
            unexpected("MP_CAPABLE without key", "a SYN")
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// DSS

#[test]
fn dss_every_flag_combination_with_and_without_checksum() {
    let forms = all_dss_forms();
    assert_eq!(forms.len(), 32 + 16);
    for (form, expected) in forms {
        let option = decode(&form.bytes);
        assert_eq!(option, MptcpOption::Dss(expected), "{}", form.name);
        let MptcpOption::Dss(dss) = option else {
            panic!()
        };
        assert_eq!(dss.flags(), form.bytes[3], "{}", form.name);
        assert!(warnings(&option, &any_ctx()).is_empty(), "{}", form.name);
    }
}

#[test]
fn dss_hand_written_forms() {
    // mptcp-v1.pcap: 4-octet Data ACK only.
    let bytes = [30, 8, 0x20, 0x01, 0x8e, 0xd3, 0x4f, 0x4e];
    let ack = decode(&bytes);
    assert_eq!(
        ack,
        MptcpOption::Dss(Dss {
            data_ack: Some(DataSeq::U32(0x8ed34f4e)),
            mapping: None,
            data_fin: false,
            unused_flags: 0,
            reserved: 0
        })
    );
    // mptcp-fclose.pcap frame 6: Data ACK and mapping, with checksum (v0 negotiated it).
    let bytes = [
        30, 20, 0x20, 0x05, 0x00, 0x00, 0x00, 0x01, 0xb1, 0x71, 0x2f, 0xb6, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x01, 0x9e, 0x91,
    ];
    let MptcpOption::Dss(dss) = decode(&bytes) else {
        panic!()
    };
    assert_eq!(dss.data_ack, Some(DataSeq::U32(1)));
    assert_eq!(
        dss.mapping,
        Some(Mapping {
            dsn: DataSeq::U32(2976985014),
            ssn: 1,
            data_len: 1,
            checksum: Some(0x9e91)
        })
    );
    // 64-bit Data ACK and DSN (mptcp-v1.pcap's values), no checksum.
    let bytes = [
        30, 26, 0x20, 0x0f, 0xc8, 0x07, 0x2f, 0xb9, 0x0e, 0xda, 0xb0, 0x4e, 0xa2, 0x8e, 0x87, 0xfd,
        0xdd, 0x1d, 0x30, 0xf2, 0x00, 0x00, 0x00, 0x01, 0x20, 0x00,
    ];
    let MptcpOption::Dss(dss) = decode(&bytes) else {
        panic!()
    };
    assert_eq!(dss.data_ack, Some(DataSeq::U64(14413541604287230030)));
    assert_eq!(dss.mapping.unwrap().dsn, DataSeq::U64(11713449205243392242));
    assert_eq!(dss.mapping.unwrap().data_len, 8192);
    assert_eq!(dss.mapping.unwrap().checksum, None);
}

#[test]
fn dss_infinite_mapping() {
    // M, 32-bit DSN, SSN 0x1000, data-level length 0, checksum 0.
    let bytes = [
        30, 16, 0x20, 0x04, 0x00, 0x00, 0x30, 0x39, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    let MptcpOption::Dss(dss) = decode(&bytes) else {
        panic!()
    };
    let m = dss.mapping.unwrap();
    assert!(m.is_infinite());
    assert_eq!(
        m,
        Mapping {
            dsn: DataSeq::U32(12345),
            ssn: 0x1000,
            data_len: 0,
            checksum: Some(0)
        }
    );
    assert!(!dss.data_fin);
    // A regular mapping is not infinite.
    let (form, _) = dss_form(F_M, false);
    let MptcpOption::Dss(dss) = decode(&form.bytes) else {
        panic!()
    };
    assert!(!dss.mapping.unwrap().is_infinite());
}

#[test]
fn dss_data_fin_only_mapping() {
    // A, M, F: Data ACK, DSN, SSN 0, length 1: "dss fin ... subseq 0 len 1".
    let bytes = [
        30, 18, 0x20, 0x15, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x01,
    ];
    let option = decode(&bytes);
    assert_eq!(
        option,
        MptcpOption::Dss(Dss {
            data_ack: Some(DataSeq::U32(0x1000)),
            mapping: Some(Mapping {
                dsn: DataSeq::U32(0x2000),
                ssn: 0,
                data_len: 1,
                checksum: None
            }),
            data_fin: true,
            unused_flags: 0,
            reserved: 0,
        })
    );
    assert!(warnings(&option, &any_ctx()).is_empty());
}

#[test]
fn dss_reserved_bits_and_unused_flags() {
    for bit in [0x20, 0x40, 0x80] {
        let bytes = [30, 8, 0x20, 0x01 | bit, 0, 0, 0, 9];
        let option = decode(&bytes);
        let MptcpOption::Dss(dss) = option else {
            panic!()
        };
        assert_eq!(dss.unused_flags, bit);
        assert_eq!(dss.flags(), 0x01 | bit);
        assert_eq!(warnings(&option, &any_ctx()), [reserved("DSS flags", bit)]);
    }
    for nibble in [0x1, 0x2, 0x4, 0x8] {
        let bytes = [30, 8, 0x20 | nibble, 0x01, 0, 0, 0, 9];
        let option = decode(&bytes);
        let MptcpOption::Dss(dss) = option else {
            panic!()
        };
        assert_eq!(dss.reserved, nibble);
        assert_eq!(
            warnings(&option, &any_ctx()),
            [reserved("DSS subtype byte", nibble)]
        );
    }
    // Both at once, in field order.
    let bytes = [30, 4, 0x2f, 0xe0];
    let option = decode(&bytes);
    assert_eq!(
        warnings(&option, &any_ctx()),
        [
            reserved("DSS subtype byte", 0xf),
            reserved("DSS flags", 0xe0)
        ]
    );
    // a without A and m without M are kept (receivers ignore them), without a warning.
    let bytes = [30, 4, 0x20, 0x0a];
    let option = decode(&bytes);
    let MptcpOption::Dss(dss) = option else {
        panic!()
    };
    assert_eq!(
        (dss.data_ack, dss.mapping, dss.unused_flags),
        (None, None, F_AA | F_MM)
    );
    assert!(warnings(&option, &any_ctx()).is_empty());
}

// ---------------------------------------------------------------------------------------------
// ADD_ADDR, REMOVE_ADDR

#[test]
fn add_addr_every_variant_decodes() {
    let forms = all_add_addr_forms();
    assert_eq!(forms.len(), 12);
    for (form, expected) in forms {
        let option = decode(&form.bytes);
        assert_eq!(option, MptcpOption::AddAddr(expected), "{}", form.name);
    }
}

#[test]
fn add_addr_hand_written_forms() {
    // mptcp-aa-v1.pcap frame 13: v1 announcement, ID 1, 192.168.136.225, no port, HMAC.
    let bytes = [
        30, 16, 0x30, 0x01, 192, 168, 136, 225, 0x66, 0x99, 0x28, 0x74, 0x43, 0x66, 0x71, 0x6c,
    ];
    let option = decode(&bytes);
    let MptcpOption::AddAddr(aa) = option else {
        panic!()
    };
    assert_eq!(
        aa,
        AddAddr {
            version: AddAddrVersion::V1 {
                echo: false,
                reserved: 0
            },
            address_id: 1,
            address: IpAddr::V4(Ipv4Addr::new(192, 168, 136, 225)),
            port: None,
            truncated_hmac: Some(0x669928744366716c),
        }
    );
    assert!(!aa.is_echo());
    // Its echo: no HMAC.
    let MptcpOption::AddAddr(echo) = decode(&[30, 8, 0x31, 0x01, 192, 168, 136, 225]) else {
        panic!()
    };
    assert!(echo.is_echo());
    assert_eq!(echo.truncated_hmac, None);
    assert_eq!(
        echo.version,
        AddAddrVersion::V1 {
            echo: true,
            reserved: 0
        }
    );
    // Echo of an IPv6 address with port.
    let bytes = cat(&[&[30, 22, 0x31, 9], &IPV6_DOC, &[0x1f, 0x90]]);
    let MptcpOption::AddAddr(echo6) = decode(&bytes) else {
        panic!()
    };
    assert_eq!(echo6.address, IpAddr::V6("2001:db8::1".parse().unwrap()));
    assert_eq!((echo6.port, echo6.truncated_hmac), (Some(8080), None));
    // v0, IPv4 with port: nibble 4 is IPVer.
    let MptcpOption::AddAddr(v0) = decode(&[30, 10, 0x34, 0x02, 10, 0, 0, 2, 0x00, 0x50]) else {
        panic!()
    };
    assert_eq!(v0.version, AddAddrVersion::V0);
    assert_eq!(
        (v0.address_id, v0.address, v0.port),
        (2, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), Some(80))
    );
    assert_eq!(v0.truncated_hmac, None);
    assert!(!v0.is_echo());
    // v0, IPv6 without port.
    let MptcpOption::AddAddr(v0) = decode(&cat(&[&[30, 20, 0x36, 3], &IPV6_DOC])) else {
        panic!()
    };
    assert_eq!(
        (v0.version, v0.address, v0.port),
        (
            AddAddrVersion::V0,
            IpAddr::V6(Ipv6Addr::from(IPV6_DOC)),
            None
        )
    );
}

#[test]
fn add_addr_reserved_bits() {
    for nibble in [0x2, 0x8, 0xa, 0xc, 0xe] {
        // Announcement: the nibble's bits 1 to 3 are reserved (4 and 6 alone mean v0).
        let mut bytes = vec![30, 16, 0x30 | nibble, 1, 192, 168, 1, 1];
        bytes.extend([0; 8]);
        let option = decode(&bytes);
        assert_eq!(
            warnings(&option, &any_ctx()),
            [reserved("ADD_ADDR flags", nibble)]
        );
    }
    for nibble in [0x3, 0x5, 0x7, 0x9, 0xf] {
        let bytes = [30, 8, 0x30 | nibble, 1, 192, 168, 1, 1];
        let option = decode(&bytes);
        let MptcpOption::AddAddr(aa) = option else {
            panic!()
        };
        assert!(aa.is_echo());
        assert_eq!(
            warnings(&option, &any_ctx()),
            [reserved("ADD_ADDR flags", nibble & 0x0e)]
        );
    }
    // v0 has no reserved bits.
    assert!(warnings(&decode(&[30, 8, 0x34, 1, 192, 168, 1, 1]), &any_ctx()).is_empty());
}

#[test]
fn remove_addr_one_to_many_ids() {
    for n in 1..=37u8 {
        let ids: Vec<u8> = (0..n).map(|i| i.wrapping_mul(7)).collect();
        let bytes = cat(&[&[30, 3 + n, 0x40], &ids]);
        let option = decode(&bytes);
        assert_eq!(
            option,
            MptcpOption::RemoveAddr(RemoveAddr {
                reserved: 0,
                address_ids: &ids
            })
        );
        assert!(warnings(&option, &any_ctx()).is_empty());
    }
    let bytes = [30, 4, 0x45, 8];
    let option = decode(&bytes);
    assert_eq!(
        option,
        MptcpOption::RemoveAddr(RemoveAddr {
            reserved: 5,
            address_ids: &[8]
        })
    );
    assert_eq!(
        warnings(&option, &any_ctx()),
        [reserved("REMOVE_ADDR subtype byte", 5)]
    );
}

// ---------------------------------------------------------------------------------------------
// MP_PRIO, MP_FAIL, MP_FASTCLOSE

#[test]
fn mp_prio_lengths_3_and_4() {
    assert_eq!(
        decode(&[30, 3, 0x51]),
        MptcpOption::MpPrio(MpPrio {
            backup: true,
            reserved: 0,
            address_id: None
        })
    );
    assert_eq!(
        decode(&[30, 3, 0x50]),
        MptcpOption::MpPrio(MpPrio {
            backup: false,
            reserved: 0,
            address_id: None
        })
    );
    assert_eq!(
        decode(&[30, 4, 0x51, 0x03]),
        MptcpOption::MpPrio(MpPrio {
            backup: true,
            reserved: 0,
            address_id: Some(3)
        })
    );
    for bit in [0x2, 0x4, 0x8] {
        let bytes = [30, 3, 0x50 | bit];
        let option = decode(&bytes);
        assert_eq!(
            warnings(&option, &any_ctx()),
            [reserved("MP_PRIO flags", bit)]
        );
    }
}

#[test]
fn mp_fail_and_fastclose() {
    assert_eq!(
        decode(&MP_FAIL),
        MptcpOption::MpFail(MpFail {
            reserved: 0,
            dsn: 0x67429f7a2c4f13b6
        })
    );
    // Carries the receiver's key (mptcp-v0.pcap key B).
    assert_eq!(
        decode(&MP_FASTCLOSE),
        MptcpOption::MpFastclose(MpFastclose {
            reserved: 0,
            receiver_key: V0_KEY_B
        })
    );

    // The 12 reserved bits: nibble then byte 3.
    let mut fail = MP_FAIL;
    fail[2] = 0x6a;
    fail[3] = 0x00;
    let option = decode(&fail);
    assert_eq!(
        option,
        MptcpOption::MpFail(MpFail {
            reserved: 0xa00,
            dsn: 0x67429f7a2c4f13b6
        })
    );
    assert_eq!(
        warnings(&option, &any_ctx()),
        [reserved("MP_FAIL subtype byte", 0x0a)]
    );
    fail[2] = 0x60;
    fail[3] = 0x81;
    let option = decode(&fail);
    assert_eq!(
        option,
        MptcpOption::MpFail(MpFail {
            reserved: 0x081,
            dsn: 0x67429f7a2c4f13b6
        })
    );
    assert_eq!(
        warnings(&option, &any_ctx()),
        [reserved("MP_FAIL reserved byte", 0x81)]
    );

    let mut fc = MP_FASTCLOSE;
    fc[2] = 0x71;
    fc[3] = 0x02;
    let option = decode(&fc);
    assert_eq!(
        option,
        MptcpOption::MpFastclose(MpFastclose {
            reserved: 0x102,
            receiver_key: V0_KEY_B
        })
    );
    assert_eq!(
        warnings(&option, &any_ctx()),
        [
            reserved("MP_FASTCLOSE subtype byte", 0x01),
            reserved("MP_FASTCLOSE reserved byte", 0x02)
        ]
    );
    fc[2] = 0x78;
    fc[3] = 0x00;
    assert_eq!(
        warnings(&decode(&fc), &any_ctx()),
        [reserved("MP_FASTCLOSE subtype byte", 0x08)]
    );
}

// ---------------------------------------------------------------------------------------------
// MP_TCPRST

#[test]
fn mp_tcprst_flags_and_reasons() {
    assert_eq!(
        decode(&[30, 4, 0x81, 0x06]),
        MptcpOption::MpTcpRst(MpTcpRst {
            reserved: 0,
            transient: true,
            reason: RstReason::MIDDLEBOX_INTERFERENCE
        })
    );
    assert_eq!(
        decode(&[30, 4, 0x80, 0x02]),
        MptcpOption::MpTcpRst(MpTcpRst {
            reserved: 0,
            transient: false,
            reason: RstReason::LACK_OF_RESOURCES
        })
    );
    // U, V, W are reserved.
    for bit in [0x8, 0x4, 0x2] {
        let bytes = [30, 4, 0x80 | bit | 1, 0x01];
        let option = decode(&bytes);
        assert_eq!(
            option,
            MptcpOption::MpTcpRst(MpTcpRst {
                reserved: bit,
                transient: true,
                reason: RstReason::MPTCP_SPECIFIC
            })
        );
        assert_eq!(
            warnings(&option, &Context::on(RST)),
            [reserved("MP_TCPRST flags (U V W)", bit)]
        );
    }
    // Every assigned reason is clean; the others warn.
    for code in 0..=255u8 {
        let bytes = [30, 4, 0x80, code];
        let option = decode(&bytes);
        let got = warnings(&option, &Context::on(RST));
        if code <= 6 {
            assert!(got.is_empty(), "reason {code}");
        } else {
            assert_eq!(got, [Warning::UnassignedRstReason { reason: code }]);
        }
    }
    let names = [
        (RstReason::UNSPECIFIED, "Unspecified error"),
        (RstReason::MPTCP_SPECIFIC, "MPTCP-specific error"),
        (RstReason::LACK_OF_RESOURCES, "Lack of resources"),
        (
            RstReason::ADMINISTRATIVELY_PROHIBITED,
            "Administratively prohibited",
        ),
        (
            RstReason::TOO_MUCH_OUTSTANDING_DATA,
            "Too much outstanding data",
        ),
        (
            RstReason::UNACCEPTABLE_PERFORMANCE,
            "Unacceptable performance",
        ),
        (RstReason::MIDDLEBOX_INTERFERENCE, "Middlebox interference"),
    ];
    for (reason, name) in names {
        assert_eq!(reason.name(), Some(name));
        assert!(reason.is_assigned());
        assert_eq!(reason.to_string(), name);
    }
    assert_eq!(RstReason(7).name(), None);
    assert!(!RstReason(0xff).is_assigned());
    assert_eq!(RstReason(0x2a).to_string(), "unassigned (0x2a)");
}

#[test]
fn mp_tcprst_without_rst_flag() {
    let bytes = [30, 4, 0x80, 0x00];
    let option = decode(&bytes);
    assert_eq!(
        warnings(&option, &Context::on(ACK)),
        [Warning::TcpRstWithoutRst]
    );
    assert!(warnings(&option, &Context::on(RST)).is_empty());
    assert!(warnings(&option, &Context::default()).is_empty());
    // All three at once, in order.
    let bytes = [30, 4, 0x8e, 0x42];
    let option = decode(&bytes);
    assert_eq!(
        warnings(&option, &Context::on(ACK)),
        [
            reserved("MP_TCPRST flags (U V W)", 0xe),
            Warning::UnassignedRstReason { reason: 0x42 },
            Warning::TcpRstWithoutRst
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// MP_EXPERIMENTAL and unassigned subtypes

#[test]
fn mp_experimental_is_kept_as_bytes() {
    let bytes = [30, 7, 0xf5, 1, 2, 3, 4];
    let option = decode(&bytes);
    assert_eq!(
        option,
        MptcpOption::MpExperimental(Opaque {
            subtype: 15,
            nibble: 5,
            body: &[1, 2, 3, 4]
        })
    );
    assert_eq!(option.name(), "MP_EXPERIMENTAL");
    assert_eq!(option.subtype(), subtype::MP_EXPERIMENTAL);
    assert!(warnings(&option, &Context::on(SYN)).is_empty());
    assert_eq!(
        decode(&[30, 3, 0xf0]),
        MptcpOption::MpExperimental(Opaque {
            subtype: 15,
            nibble: 0,
            body: &[]
        })
    );
}

#[test]
fn unassigned_subtypes_are_unknown_with_raw_bytes() {
    for s in 10..=14u8 {
        let bytes = [30, 6, (s << 4) | 0x3, 0xaa, 0xbb, 0xcc];
        let option = decode(&bytes);
        assert_eq!(
            option,
            MptcpOption::Unknown(Opaque {
                subtype: s,
                nibble: 3,
                body: &[0xaa, 0xbb, 0xcc]
            })
        );
        assert_eq!(option.name(), "unknown");
        assert_eq!(option.subtype(), s);
        assert_eq!(subtype::name(s), None);
        assert!(warnings(&option, &Context::on(ACK)).is_empty());
    }
    // 9 too, when FAULT_ANNOUNCE is elsewhere or off.
    for ctx in [
        Context::default()
            .with_fault_announce_subtype(None)
            .unwrap(),
        Context::default()
            .with_fault_announce_subtype(Some(0))
            .unwrap(),
        Context::default()
            .with_fault_announce_subtype(Some(11))
            .unwrap(),
    ] {
        let bytes = [30, 6, 0x90, 0x0a, 2, 1];
        let option = decode_in(&bytes, &ctx);
        assert_eq!(
            option,
            MptcpOption::Unknown(Opaque {
                subtype: 9,
                nibble: 0,
                body: &[0x0a, 2, 1]
            })
        );
        // V without A is not an error when the subtype is not FAULT_ANNOUNCE.
        let bytes = [30, 6, 0x94, 0x0a, 2, 1];
        assert!(matches!(decode_in(&bytes, &ctx), MptcpOption::Unknown(_)));
    }
}

#[test]
fn subtype_names() {
    let expected = [
        (0x0, "MP_CAPABLE"),
        (0x1, "MP_JOIN"),
        (0x2, "DSS"),
        (0x3, "ADD_ADDR"),
        (0x4, "REMOVE_ADDR"),
        (0x5, "MP_PRIO"),
        (0x6, "MP_FAIL"),
        (0x7, "MP_FASTCLOSE"),
        (0x8, "MP_TCPRST"),
        (0xf, "MP_EXPERIMENTAL"),
    ];
    for (s, name) in expected {
        assert_eq!(subtype::name(s), Some(name));
    }
    for s in 9..=14 {
        assert_eq!(subtype::name(s), None);
    }
    assert_eq!(decode(&JOIN_SYN).name(), "MP_JOIN");
    assert_eq!(decode(&[30, 4, 0x20, 0]).name(), "DSS");
    assert_eq!(decode(&[30, 4, 0x80, 0]).name(), "MP_TCPRST");
    assert_eq!(decode(&MP_FASTCLOSE).name(), "MP_FASTCLOSE");
}

// ---------------------------------------------------------------------------------------------
// FAULT_ANNOUNCE

#[test]
fn fault_announce_at_the_default_subtype() {
    // 6 bytes: network unreachable, dest ID 2, src ID 1.
    let bytes = [30, 6, 0x90, 0x0a, 0x02, 0x01];
    let option = decode(&bytes);
    assert_eq!(
        option,
        MptcpOption::FaultAnnounce(FaultAnnounce {
            subtype: 9,
            cause: FaultCause::NETWORK_UNREACHABLE,
            dst_addr_id: 2,
            src_addr_id: 1,
            middlebox: None,
            transient: false,
            reserved: false,
            padding: &[],
        })
    );
    assert_eq!(option.name(), "FAULT_ANNOUNCE");
    assert_eq!(option.subtype(), 9);
    assert_eq!(Context::DEFAULT_FAULT_ANNOUNCE_SUBTYPE, 9);

    // Padded to two words, as the draft draws it, transient.
    let bytes = [30, 8, 0x92, 0x0e, 0x00, 0x03, 0x00, 0x00];
    let option = decode(&bytes);
    let MptcpOption::FaultAnnounce(f) = option else {
        panic!()
    };
    assert!(f.transient && !f.reserved);
    assert_eq!(
        (f.cause, f.dst_addr_id, f.src_addr_id, f.padding),
        (FaultCause::TTL_ZERO, 0, 3, &[0u8, 0][..])
    );
    assert_eq!(f.flags(), 0x2);

    // IPv4 middlebox.
    let MptcpOption::FaultAnnounce(f) = decode(&[30, 10, 0x98, 0x06, 1, 0, 10, 0, 0, 1]) else {
        panic!()
    };
    assert_eq!(f.middlebox, Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))));
    assert_eq!(f.cause, FaultCause(6));
    assert_eq!(f.flags(), 0x8);
    // IPv4 middlebox padded to 12.
    let MptcpOption::FaultAnnounce(f) = decode(&[30, 12, 0x9a, 0x0b, 1, 0, 10, 0, 0, 1, 0, 0])
    else {
        panic!()
    };
    assert_eq!(
        (f.middlebox.unwrap().is_ipv4(), f.transient, f.padding.len()),
        (true, true, 2)
    );

    // IPv6 middlebox, 24 bytes.
    let bytes = cat(&[&[30, 24, 0x9e, 0x0c, 4, 5], &IPV6_DOC, &[0, 0]]);
    let option = decode(&bytes);
    assert_eq!(
        option,
        MptcpOption::FaultAnnounce(FaultAnnounce {
            subtype: 9,
            cause: FaultCause::ROUTING_FAILED,
            dst_addr_id: 4,
            src_addr_id: 5,
            middlebox: Some(IpAddr::V6(Ipv6Addr::from(IPV6_DOC))),
            transient: true,
            reserved: false,
            padding: &[0, 0],
        })
    );
    assert!(warnings(&option, &any_ctx()).is_empty());
}

#[test]
fn fault_announce_at_a_configured_subtype() {
    let at_12 = Context::default()
        .with_fault_announce_subtype(Some(12))
        .unwrap();
    assert_eq!(at_12.fault_announce_subtype, Some(12));
    let bytes = [30, 6, 0xc0, 0x0d, 0x02, 0x01];
    let MptcpOption::FaultAnnounce(f) = decode_in(&bytes, &at_12) else {
        panic!()
    };
    assert_eq!((f.subtype, f.cause), (12, FaultCause::SERVER_SUPPRESSION));
    // The same bytes in the default context are an unknown subtype.
    assert!(matches!(
        decode(&bytes),
        MptcpOption::Unknown(Opaque { subtype: 12, .. })
    ));
    // And subtype 9 is unknown at 12.
    assert!(matches!(
        decode_in(&[30, 6, 0x90, 0, 0, 0], &at_12),
        MptcpOption::Unknown(_)
    ));
    // Every unassigned subtype can host it, and the private-use one.
    for s in 9..=15u8 {
        let ctx = Context::on(ACK)
            .with_fault_announce_subtype(Some(s))
            .unwrap();
        let bytes = [30, 6, s << 4, 0x0a, 2, 1];
        let option = decode_in(&bytes, &ctx);
        assert!(
            matches!(option, MptcpOption::FaultAnnounce(FaultAnnounce { subtype, .. }) if subtype == s)
        );
        assert_eq!(option.subtype(), s);
    }
}

#[test]
fn fault_announce_off_or_at_an_assigned_subtype() {
    let off = Context::default()
        .with_fault_announce_subtype(Some(0))
        .unwrap();
    assert_eq!(off.fault_announce_subtype, None);
    assert_eq!(
        Context::default()
            .with_fault_announce_subtype(None)
            .unwrap()
            .fault_announce_subtype,
        None
    );
    let bytes = [30, 6, 0x90, 0x0a, 2, 1];
    assert_eq!(
        decode_in(&bytes, &off),
        MptcpOption::Unknown(Opaque {
            subtype: 9,
            nibble: 0,
            body: &[0x0a, 2, 1]
        })
    );
    // An assigned subtype cannot be chosen, and says why.
    for s in 1..=8u8 {
        let refused = Context::default().with_fault_announce_subtype(Some(s));
        assert_eq!(refused, Err(UnusableSubtype(s)));
        let text = refused.unwrap_err().to_string();
        assert!(
            text.contains(subtype::name(s).unwrap()) && text.contains("RFC 8684"),
            "{text}"
        );
    }
    assert!(Context::default()
        .with_fault_announce_subtype(Some(16))
        .unwrap_err()
        .to_string()
        .contains("4 bits"));
    // Set in the field directly, it has no effect: an assigned subtype decodes as itself.
    let at_prio = Context {
        fault_announce_subtype: Some(5),
        ..Context::default()
    };
    assert!(matches!(
        decode_in(&[30, 3, 0x51], &at_prio),
        MptcpOption::MpPrio(_)
    ));
    assert!(matches!(
        decode_in(&bytes, &at_prio),
        MptcpOption::Unknown(_)
    ));
    assert_eq!(at_prio.subtype_name(5), Some("MP_PRIO"));
}

#[test]
fn fault_announce_at_the_private_use_subtype_wins_over_mp_experimental() {
    let bytes = [30, 6, 0xf0, 0x0a, 2, 1];
    assert!(
        matches!(decode(&bytes), MptcpOption::MpExperimental(_)),
        "MP_EXPERIMENTAL by default"
    );
    let at_15 = Context::on(ACK)
        .with_fault_announce_subtype(Some(15))
        .unwrap();
    let option = decode_in(&bytes, &at_15);
    let MptcpOption::FaultAnnounce(f) = option else {
        panic!("{option:?}")
    };
    assert_eq!(
        (f.subtype, f.cause, f.dst_addr_id, f.src_addr_id),
        (15, FaultCause(0x0a), 2, 1)
    );
    assert_eq!(
        (option.name(), at_15.subtype_name(15)),
        ("FAULT_ANNOUNCE", Some("FAULT_ANNOUNCE"))
    );
    assert_eq!(Context::default().subtype_name(15), Some("MP_EXPERIMENTAL"));
    // Strict and lenient decoders agree, and it writes back as it came.
    let (_, strict) = parse_mptcp_option(&bytes, &at_15).unwrap();
    assert_eq!(strict, option);
    let mut out = [0u8; 6];
    assert_eq!(option.emit(&mut out), Ok(6));
    assert_eq!(out, bytes);
}

#[test]
fn fault_announce_v_without_a_is_an_error() {
    for t_r in 0..4u8 {
        for len in [6u8, 8, 10, 22, 24] {
            let mut bytes = vec![30, len, 0x94 | t_r];
            bytes.resize(len as usize, 0);
            assert_eq!(
                error(&bytes),
                Error::InvalidFlags {
                    option: "FAULT_ANNOUNCE",
                    reason: "V (IPv6) set without A (address present)"
                }
            );
        }
    }
}

#[test]
fn fault_announce_reserved_bit_and_padding() {
    let bytes = [30, 6, 0x91, 0x0a, 2, 1];
    let option = decode(&bytes);
    let MptcpOption::FaultAnnounce(f) = option else {
        panic!()
    };
    assert!(f.reserved);
    assert_eq!(f.flags(), 0x1);
    assert_eq!(
        warnings(&option, &any_ctx()),
        [reserved("FAULT_ANNOUNCE flags", 0x1)]
    );

    let bytes = [30, 8, 0x90, 0x0a, 2, 1, 0x00, 0x7f];
    let option = decode(&bytes);
    assert_eq!(warnings(&option, &any_ctx()), [Warning::NonZeroPadding]);
    let bytes = [30, 11, 0x99, 0x0a, 2, 1, 10, 0, 0, 1, 0xff];
    let option = decode(&bytes);
    assert_eq!(
        warnings(&option, &any_ctx()),
        [
            reserved("FAULT_ANNOUNCE flags", 0x1),
            Warning::NonZeroPadding
        ]
    );
}

#[test]
fn fault_causes_and_names() {
    let names = [
        (0x00, "Unspecified error"),
        (0x01, "MPTCP-specific error"),
        (0x02, "Lack of resources"),
        (0x03, "Administratively prohibited"),
        (0x04, "Too much outstanding data"),
        (0x05, "Unacceptable performance"),
        (0x06, "Middlebox interference"),
        (0x07, "reserved (RST reason range)"),
        (0x08, "reserved (RST reason range)"),
        (0x09, "reserved (RST reason range)"),
        (0x0a, "Network unreachable"),
        (0x0b, "Host unreachable"),
        (0x0c, "Routing failed"),
        (0x0d, "Server suppression"),
        (0x0e, "TTL equals zero (IP loop suspected)"),
    ];
    for (code, name) in names {
        assert_eq!(FaultCause(code).name(), Some(name), "cause {code:#04x}");
        assert_eq!(FaultCause(code).to_string(), name);
    }
    for code in 0x0f..=0xff {
        assert_eq!(FaultCause(code).name(), None);
    }
    assert_eq!(FaultCause(0x0f).to_string(), "unknown cause (0x0f)");
    assert_eq!(FaultCause(0xff).to_string(), "unknown cause (0xff)");
    assert_eq!(FaultCause::NETWORK_UNREACHABLE, FaultCause(0x0a));
    assert_eq!(FaultCause::HOST_UNREACHABLE, FaultCause(0x0b));
    // Unknown causes still decode, without warning.
    let bytes = [30, 6, 0x90, 0x99, 2, 1];
    let option = decode(&bytes);
    assert!(matches!(
        option,
        MptcpOption::FaultAnnounce(FaultAnnounce {
            cause: FaultCause(0x99),
            ..
        })
    ));
    assert!(warnings(&option, &any_ctx()).is_empty());
}

// ---------------------------------------------------------------------------------------------
// The TCP options area

/// SYN/ACK options of mptcp-v1.pcap frame 2: MSS, SACK-permitted, timestamps, NOP, window
/// scale, MP_CAPABLE with the listener's key.
const SYN_ACK_AREA: [u8; 32] = [
    2, 4, 5, 180, 4, 2, 8, 10, 195, 56, 56, 147, 27, 175, 39, 161, 1, 3, 3, 8, 30, 12, 0x01, 0x01,
    0x29, 0xa6, 0xc8, 0x69, 0x81, 0xad, 0x93, 0x3c,
];

#[test]
fn options_area_of_a_real_syn_ack() {
    let items: Vec<_> = tcp_options(&SYN_ACK_AREA, Context::on(SYN_ACK))
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        items,
        [
            TcpOption::Other {
                kind: 2,
                data: &[5, 180]
            },
            TcpOption::Other { kind: 4, data: &[] },
            TcpOption::Other {
                kind: 8,
                data: &[195, 56, 56, 147, 27, 175, 39, 161]
            },
            TcpOption::Nop,
            TcpOption::Other {
                kind: 3,
                data: &[8]
            },
            TcpOption::Mptcp(MptcpOption::MpCapable(MpCapable {
                version: 1,
                flags: CapableFlags(0x01),
                form: CapableForm::SenderKey { key: V1_KEY_B },
            })),
        ]
    );
    let raw: Vec<RawOption<'_>> = raw_options(&SYN_ACK_AREA).map(Result::unwrap).collect();
    let kinds: Vec<u8> = raw.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [2, 4, 8, 1, 3, 30]);
    assert_eq!(raw[3].bytes, [1]);
    assert_eq!(raw[5].bytes, &SYN_ACK_AREA[20..]);
    assert_eq!(
        raw.iter().map(|r| r.bytes.len()).sum::<usize>(),
        SYN_ACK_AREA.len()
    );
    let lenient: Vec<_> = mptcp_options_lenient(&SYN_ACK_AREA, Context::on(SYN_ACK)).collect();
    assert_eq!(lenient.len(), 1);
    assert!(lenient[0].option.is_ok() && lenient[0].warnings.is_empty());
}

#[test]
fn options_area_with_add_addr_and_dss() {
    let mut area = vec![1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2];
    area.extend([
        30, 16, 0x30, 0x01, 192, 168, 136, 225, 0x66, 0x99, 0x28, 0x74, 0x43, 0x66, 0x71, 0x6c,
    ]);
    area.extend([30, 8, 0x20, 0x01, 0x8e, 0xd3, 0x4f, 0x4e]);
    assert_eq!(area.len(), 36);
    let items: Vec<_> = tcp_options(&area, Context::on(ACK))
        .map(Result::unwrap)
        .collect();
    assert_eq!(items.len(), 5);
    assert_eq!(items[..2], [TcpOption::Nop, TcpOption::Nop]);
    assert_eq!(
        items[2],
        TcpOption::Other {
            kind: 8,
            data: &[0, 0, 0, 1, 0, 0, 0, 2]
        }
    );
    let TcpOption::Mptcp(MptcpOption::AddAddr(aa)) = items[3] else {
        panic!("{:?}", items[3])
    };
    assert_eq!(aa.truncated_hmac, Some(0x669928744366716c));
    let TcpOption::Mptcp(MptcpOption::Dss(dss)) = items[4] else {
        panic!("{:?}", items[4])
    };
    assert_eq!(dss.data_ack, Some(DataSeq::U32(0x8ed34f4e)));
    let lenient: Vec<_> = mptcp_options_lenient(&area, Context::on(ACK))
        .map(|d| d.option.unwrap().name())
        .collect();
    assert_eq!(lenient, ["ADD_ADDR", "DSS"]);
}

#[test]
fn options_area_on_a_rst_with_fastclose_and_tcprst() {
    let area = cat(&[&MP_FASTCLOSE, &[30, 4, 0x81, 0x06]]);
    let lenient: Vec<_> = mptcp_options_lenient(&area, Context::on(ACK)).collect();
    assert_eq!(lenient.len(), 2);
    assert!(lenient[0].warnings.is_empty());
    // Not on a RST: the lenient walk reports it against the segment.
    assert_eq!(
        lenient[1].warnings.iter().copied().collect::<Vec<_>>(),
        [Warning::TcpRstWithoutRst]
    );
    let on_rst: Vec<_> = mptcp_options_lenient(&area, Context::on(RST)).collect();
    assert!(on_rst
        .iter()
        .all(|d| d.option.is_ok() && d.warnings.is_empty()));
}

#[test]
fn eol_ends_the_area_and_padding_after_it_is_ignored() {
    let area = [30, 4, 0x81, 0x06, 0, 0, 0, 0];
    let items: Vec<_> = tcp_options(&area, any_ctx()).collect();
    assert_eq!(items.len(), 2);
    assert!(matches!(
        items[0],
        Ok(TcpOption::Mptcp(MptcpOption::MpTcpRst(_)))
    ));
    assert_eq!(items[1], Ok(TcpOption::EndOfList));
    // Even what looks like an option after EOL is padding.
    let area = [1, 0, 30, 4, 0x81, 0x06, 0xff, 0xff];
    let items: Vec<_> = tcp_options(&area, any_ctx()).collect();
    assert_eq!(items, [Ok(TcpOption::Nop), Ok(TcpOption::EndOfList)]);
    assert_eq!(mptcp_options_lenient(&area, any_ctx()).count(), 0);
    assert_eq!(raw_options(&area).count(), 2);
    assert_eq!(tcp_options(&[], any_ctx()).count(), 0);
}

#[test]
fn a_malformed_mptcp_option_does_not_hide_the_next_one() {
    // DSS (flags A) with length 9 instead of 8, then MP_TCPRST.
    let area = [30, 9, 0x20, 0x01, 0, 0, 0, 1, 0, 30, 4, 0x81, 0x06];
    let items: Vec<_> = tcp_options(&area, any_ctx()).collect();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0],
        Err(Error::InvalidLength {
            option: "DSS (flags A)",
            expected: LengthSet::of(&[8]),
            found: 9
        })
    );
    assert!(matches!(
        items[1],
        Ok(TcpOption::Mptcp(MptcpOption::MpTcpRst(_)))
    ));

    // MP_CAPABLE of an unknown version: strict error, lenient opaque; the next one decodes.
    let area = [30, 4, 0x03, 0x01, 1, 30, 3, 0x51];
    let items: Vec<_> = tcp_options(&area, any_ctx()).collect();
    assert_eq!(items[0], Err(Error::UnsupportedVersion { version: 3 }));
    assert_eq!(items[1], Ok(TcpOption::Nop));
    assert!(matches!(
        items[2],
        Ok(TcpOption::Mptcp(MptcpOption::MpPrio(_)))
    ));
    let lenient: Vec<_> = mptcp_options_lenient(&area, any_ctx()).collect();
    assert_eq!(lenient.len(), 2);
    assert!(matches!(
        lenient[0].option,
        Ok(MptcpOption::MpCapable(MpCapable {
            form: CapableForm::Opaque(&[]),
            ..
        }))
    ));
    assert_eq!(
        lenient[0].warnings.iter().copied().collect::<Vec<_>>(),
        [Warning::UnknownVersion { version: 3 }]
    );
    assert!(lenient[1].option.is_ok());

    // FAULT_ANNOUNCE with V but no A, then DSS.
    let area = [30, 6, 0x94, 0x0a, 2, 1, 30, 4, 0x20, 0x00];
    let lenient: Vec<_> = mptcp_options_lenient(&area, any_ctx()).collect();
    assert!(matches!(lenient[0].option, Err(Error::InvalidFlags { .. })));
    assert!(matches!(lenient[1].option, Ok(MptcpOption::Dss(_))));

    // An MPTCP option whose length byte is 2 (a valid TCP length, not an MPTCP one).
    let area = [30, 2, 1, 30, 3, 0x50];
    let items: Vec<_> = tcp_options(&area, any_ctx()).collect();
    assert_eq!(
        items,
        [
            Err(Error::InvalidLength {
                option: "MPTCP option",
                expected: LengthSet::range(3, 40),
                found: 2
            }),
            Ok(TcpOption::Nop),
            Ok(TcpOption::Mptcp(MptcpOption::MpPrio(MpPrio {
                backup: false,
                reserved: 0,
                address_id: None
            }))),
        ]
    );
}

#[test]
fn a_broken_tcp_option_length_ends_the_walk_with_one_error() {
    for length in [0u8, 1] {
        let area = [1, 8, length, 0, 0, 30, 4, 0x81, 0x06];
        let items: Vec<_> = tcp_options(&area, any_ctx()).collect();
        assert_eq!(
            items,
            [
                Ok(TcpOption::Nop),
                Err(Error::BadTcpOptionLength {
                    kind: 8,
                    length,
                    available: 8
                })
            ]
        );
        let raw: Vec<_> = raw_options(&area).collect();
        assert_eq!(raw.len(), 2);
        let lenient: Vec<_> = mptcp_options_lenient(&area, any_ctx()).collect();
        assert_eq!(lenient.len(), 1);
        assert_eq!(
            lenient[0].option,
            Err(Error::BadTcpOptionLength {
                kind: 8,
                length,
                available: 8
            })
        );
        // The same for MPTCP's own kind.
        let area = [30, length, 0x81, 0x06];
        let items: Vec<_> = tcp_options(&area, any_ctx()).collect();
        assert_eq!(
            items,
            [Err(Error::BadTcpOptionLength {
                kind: 30,
                length,
                available: 4
            })]
        );
    }
    // Running past the end of the area.
    let area = [1, 2, 8, 5, 180];
    let items: Vec<_> = tcp_options(&area, any_ctx()).collect();
    assert_eq!(
        items,
        [
            Ok(TcpOption::Nop),
            Err(Error::BadTcpOptionLength {
                kind: 2,
                length: 8,
                available: 4
            })
        ]
    );
    // A kind byte with no length byte.
    let items: Vec<_> = tcp_options(&[1, 8], any_ctx()).collect();
    assert_eq!(
        items,
        [
            Ok(TcpOption::Nop),
            Err(Error::Truncated {
                field: "TCP option length",
                needed: 1
            })
        ]
    );
    // An MPTCP option running past the end is decoded as far as it goes.
    let area = [1, 30, 12, 0x70, 0, 1, 2];
    let items: Vec<_> = tcp_options(&area, any_ctx()).collect();
    assert_eq!(
        items,
        [
            Ok(TcpOption::Nop),
            Err(Error::Truncated {
                field: "receiver key",
                needed: 6
            })
        ]
    );
    let raw: Vec<_> = raw_options(&area).collect();
    assert_eq!(
        raw[1],
        Ok(RawOption {
            kind: 30,
            bytes: &area[1..]
        })
    );
}

/// A TCP segment: ports, seq, ack, data offset from the options, flags, window 0, checksum 0,
/// urgent 0, then options and payload.
fn tcp_segment(flags: u8, options: &[u8], payload: &[u8]) -> Vec<u8> {
    assert_eq!(options.len() % 4, 0);
    let offset = (20 + options.len()) / 4;
    let mut seg = vec![
        0xc3,
        0x50,
        0x00,
        0x50,
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        (offset as u8) << 4,
        flags,
        0xff,
        0xff,
        0,
        0,
        0,
        0,
    ];
    seg.extend(options);
    seg.extend(payload);
    seg
}

#[test]
fn tcp_segment_parse_splits_header_options_payload() {
    // NOP NOP timestamps, then DSS with Data ACK and a checksummed mapping of the payload byte.
    let mut options = vec![1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2];
    options.extend([
        30, 20, 0x20, 0x05, 0x00, 0x00, 0x00, 0x01, 0xb1, 0x71, 0x2f, 0xb6, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x01, 0x9e, 0x91,
    ]);
    let bytes = tcp_segment(0x18, &options, b"c");
    let seg = TcpSegment::parse(&bytes).unwrap();
    assert_eq!(
        (seg.src_port, seg.dst_port, seg.seq, seg.ack, seg.flags),
        (
            50000,
            80,
            0x01020304,
            0x05060708,
            TcpFlags::PSH | TcpFlags::ACK
        )
    );
    assert_eq!(seg.options, &options[..]);
    assert_eq!(seg.payload, b"c");
    assert_eq!(seg.segment(), segment(false, true, false, true));
    assert_eq!(seg.context(), Context::on(ACK_DATA));
    let items: Vec<_> = seg.options().map(Result::unwrap).collect();
    assert_eq!(items.len(), 4);
    let TcpOption::Mptcp(MptcpOption::Dss(dss)) = items[3] else {
        panic!()
    };
    assert_eq!(dss.mapping.unwrap().checksum, Some(0x9e91));

    // SYN with MP_CAPABLE: the context says SYN, no warning; on the SYN/ACK it would warn.
    let bytes = tcp_segment(0x02, &[30, 4, 0x01, 0x81], &[]);
    let seg = TcpSegment::parse(&bytes).unwrap();
    assert!(seg.segment().is_syn());
    assert!(seg.payload.is_empty());
    let TcpOption::Mptcp(option) = seg.options().next().unwrap().unwrap() else {
        panic!()
    };
    assert!(warnings(&option, &seg.context()).is_empty());
    let bytes = tcp_segment(0x12, &[30, 4, 0x01, 0x81], &[]);
    let seg = TcpSegment::parse(&bytes).unwrap();
    assert!(seg.segment().is_syn_ack());
    assert_eq!(warnings(&option, &seg.context()).len(), 1);

    // RST flag.
    assert!(Segment::from_tcp_flags(0x14, 0).rst);
    assert_eq!(
        Segment::from_tcp_flags(0x11, 3),
        segment(false, true, false, true)
    );
}

#[test]
fn tcp_segment_parse_errors() {
    let bytes = tcp_segment(0x10, &[1, 1, 1, 1], &[]);
    assert_eq!(
        TcpSegment::parse(&bytes[..19]),
        Err(Error::Truncated {
            field: "TCP header",
            needed: 1
        })
    );
    assert_eq!(
        TcpSegment::parse(&[]),
        Err(Error::Truncated {
            field: "TCP header",
            needed: 20
        })
    );
    assert_eq!(
        TcpSegment::parse(&bytes[..22]),
        Err(Error::Truncated {
            field: "TCP options",
            needed: 2
        })
    );
    let mut bad = bytes.clone();
    bad[12] = 4 << 4;
    assert!(matches!(
        TcpSegment::parse(&bad),
        Err(Error::InvalidLength {
            option: "TCP header (data offset)",
            found: 16,
            ..
        })
    ));
    // Exactly 20 bytes: no options, no payload.
    let seg = TcpSegment::parse(&bytes[..20]);
    assert!(seg.is_err(), "data offset 6 needs 24 bytes");
    let plain = tcp_segment(0x10, &[], &[]);
    let seg = TcpSegment::parse(&plain).unwrap();
    assert!(seg.options.is_empty() && seg.payload.is_empty());
    assert_eq!(seg.options().count(), 0);
}

// ---------------------------------------------------------------------------------------------
// Messages

#[test]
fn error_messages_name_the_field() {
    assert_eq!(
        Error::Truncated {
            field: "sender key",
            needed: 5
        }
        .to_string(),
        "truncated: sender key needs 5 more byte(s)"
    );
    assert_eq!(
        error(&[30, 13, 0x10]).to_string(),
        "MP_JOIN: length 13 is not valid (expected 12, 16 or 24)"
    );
    assert_eq!(
        error(&[30, 5, 0x01, 0x81, 0]).to_string(),
        "MP_CAPABLE v1: length 5 is not valid (expected 4, 12, 20, 22 or 24)"
    );
    assert_eq!(
        error(&[30, 9, 0x20, 0x05, 0, 0, 0, 0, 0]).to_string(),
        "DSS (flags A M): length 9 is not valid (expected 18 or 20)"
    );
    assert_eq!(
        error(&[30, 3, 0x40]).to_string(),
        "REMOVE_ADDR: length 3 is not valid (expected 4 to 40)"
    );
    assert_eq!(
        error(&[30, 9, 0x90, 0, 0, 0, 0, 0, 0]).to_string(),
        "FAULT_ANNOUNCE: length 9 is not valid (expected 6, 7 or 8)"
    );
    assert_eq!(
        error(&[30, 4, 0x02, 0x81]).to_string(),
        "MP_CAPABLE version 2 is not supported (0 and 1 are)"
    );
    assert_eq!(
        error(&[30, 6, 0x94, 0, 0, 0]).to_string(),
        "FAULT_ANNOUNCE: V (IPv6) set without A (address present)"
    );
    assert_eq!(
        error(&[8, 10]).to_string(),
        "TCP option kind 8 is not MPTCP (30)"
    );
    assert_eq!(
        Error::BadTcpOptionLength {
            kind: 2,
            length: 8,
            available: 3
        }
        .to_string(),
        "TCP option kind 2: length 8 is not valid (3 byte(s) left in the options area)"
    );
    assert_eq!(
        error(&MP_FAIL[..6]).to_string(),
        "truncated: data sequence number needs 6 more byte(s)"
    );

    assert_eq!(error(&MP_FAIL[..6]).field(), "data sequence number");
    assert_eq!(error(&[30, 13, 0x10]).field(), "length");
    assert_eq!(error(&[30, 4, 0x02, 0x81]).field(), "version");
    assert_eq!(error(&[30, 6, 0x94, 0, 0, 0]).field(), "flags");
    assert_eq!(error(&[8, 10]).field(), "kind");
}

#[test]
fn warning_messages_name_the_field() {
    let cases = [
        (
            reserved("DSS flags", 0xe0),
            "reserved bits set in DSS flags: 0xe0",
        ),
        (
            reserved("MP_CAPABLE flags", 0x40),
            "reserved bits set in MP_CAPABLE flags: 0x40",
        ),
        (
            Warning::UnknownVersion { version: 2 },
            "MP_CAPABLE version 2 is unknown; body kept as bytes",
        ),
        (
            Warning::UnassignedRstReason { reason: 0x42 },
            "MP_TCPRST reason 0x42 is not assigned",
        ),
        (
            Warning::TcpRstWithoutRst,
            "MP_TCPRST on a segment without RST is ignored by receivers",
        ),
        (
            Warning::NonZeroPadding,
            "FAULT_ANNOUNCE padding is not zero",
        ),
        (
            Warning::UnexpectedSegment {
                option: HandshakeForm::JoinSyn,
                expected: SegmentKind::Syn,
            },
            "MP_JOIN SYN form belongs on a SYN",
        ),
    ];
    for (warning, text) in cases {
        assert_eq!(warning.to_string(), text);
    }
    // As produced by a decode.
    let option = decode(&JOIN_SYN);
    let w = warnings(&option, &Context::on(ACK));
    assert_eq!(w[0].to_string(), "MP_JOIN SYN form belongs on a SYN");
}
