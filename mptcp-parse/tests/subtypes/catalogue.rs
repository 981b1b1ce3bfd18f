//! The catalogue of valid forms: used for decode, truncation and write-back checks.

use crate::helpers::*;
use mptcp_parse::{AddAddr, AddAddrVersion, Context, DataSeq, Dss, Mapping};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

// ---------------------------------------------------------------------------------------------
// The catalogue of valid forms: used for decode, truncation and write-back checks.

pub const ACK32: u32 = 0x8ed34f4e;
pub const ACK64: u64 = 14413541604287230030;
pub const DSN32: u32 = 2976985014;
pub const DSN64: u64 = 11713449205243392242;
pub const SSN: u32 = 1;
pub const DATA_LEN: u16 = 8192;
pub const CSUM: u16 = 0x9e91;

/// DSS flag bits.
pub const F_A: u8 = 0x01;
pub const F_AA: u8 = 0x02; // a
pub const F_M: u8 = 0x04;
pub const F_MM: u8 = 0x08; // m
pub const F_FIN: u8 = 0x10;

/// The DSS table of the spec, by `flags & 0x0f` (m M a A): lengths without and with checksum.
pub const DSS_LENGTHS: [&[u8]; 16] = [
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

pub const DSS_NAMES: [&str; 16] = [
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
pub fn dss_form(f: u8, csum: bool) -> (Form, Dss) {
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

pub fn all_dss_forms() -> Vec<(Form, Dss)> {
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
pub fn add_addr_form(nibble: u8, ipv6: bool, port: bool, hmac: bool) -> (Form, AddAddr) {
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

pub fn all_add_addr_forms() -> Vec<(Form, AddAddr)> {
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

pub fn fault_form(subtype: u8, nibble: u8, padding: usize) -> Form {
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
pub fn all_valid_forms() -> Vec<Form> {
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

pub fn capable_v1(len: u8) -> Vec<u8> {
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

pub fn capable_v0(len: u8) -> Vec<u8> {
    let mut b = vec![30, len, 0x00, 0x81];
    b.extend(V0_KEY_A.to_be_bytes());
    if len == 20 {
        b.extend(V0_KEY_B.to_be_bytes());
    }
    b
}

/// mptcp-v0.pcap frame 8: MP_JOIN SYN, backup, address ID 2, token of key B, R_A.
pub const JOIN_SYN: [u8; 12] = [
    30, 12, 0x11, 0x02, 0xe4, 0x7f, 0x01, 0x42, 0x1b, 0x66, 0x5a, 0x18,
];
/// mptcp-v0.pcap frame 9: MP_JOIN SYN/ACK, address ID 0, truncated HMAC-B, R_B.
pub const JOIN_SYN_ACK: [u8; 16] = [
    30, 16, 0x10, 0x00, 0x5a, 0xb6, 0x80, 0xc7, 0x88, 0x4a, 0xf0, 0x3d, 0x33, 0xab, 0xe9, 0xd5,
];
pub const MP_FAIL: [u8; 12] = [
    30, 12, 0x60, 0x00, 0x67, 0x42, 0x9f, 0x7a, 0x2c, 0x4f, 0x13, 0xb6,
];
pub const MP_FASTCLOSE: [u8; 12] = [
    30, 12, 0x70, 0x00, 0x96, 0x7d, 0x27, 0x70, 0xb6, 0x96, 0x05, 0x52,
];

pub fn join_ack(byte2: u8, byte3: u8) -> Vec<u8> {
    cat(&[&[30, 24, byte2, byte3], &JOIN_ACK_HMAC])
}
