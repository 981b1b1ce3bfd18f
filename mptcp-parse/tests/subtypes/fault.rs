//! FAULT_ANNOUNCE (draft-kang) at the default, a configured, the private-use or no subtype.

use crate::helpers::*;
use mptcp_parse::{
    parse_mptcp_option, subtype, Context, Error, FaultAnnounce, FaultCause, MpPrio, MptcpOption,
    Opaque, UnusableSubtype, Warning,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn at(subtype: Option<u8>) -> Context {
    Context::default()
        .with_fault_announce_subtype(subtype)
        .unwrap()
}

#[test]
fn fault_announce_at_the_default_subtype() {
    assert_eq!(Context::DEFAULT_FAULT_ANNOUNCE_SUBTYPE, 9);
    let fault = |cause, dst_addr_id, src_addr_id, middlebox, transient, padding| FaultAnnounce {
        subtype: 9,
        cause,
        dst_addr_id,
        src_addr_id,
        middlebox,
        transient,
        reserved: false,
        padding,
    };
    let v4 = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    let ipv6 = cat(&[&[30, 24, 0x9e, 0x0c, 4, 5], &IPV6_DOC, &[0, 0]]);
    // (what, bytes, value, flags)
    let cases: [(&str, &[u8], FaultAnnounce<'_>, u8); 5] = [
        // 6 bytes: network unreachable, dest ID 2, src ID 1.
        (
            "6 bytes",
            &[30, 6, 0x90, 0x0a, 0x02, 0x01],
            fault(FaultCause::NETWORK_UNREACHABLE, 2, 1, None, false, &[]),
            0x0,
        ),
        // Padded to two words, as the draft draws it, transient.
        (
            "padded, transient",
            &[30, 8, 0x92, 0x0e, 0x00, 0x03, 0x00, 0x00],
            fault(FaultCause::TTL_ZERO, 0, 3, None, true, &[0, 0]),
            0x2,
        ),
        (
            "IPv4 middlebox",
            &[30, 10, 0x98, 0x06, 1, 0, 10, 0, 0, 1],
            fault(FaultCause(6), 1, 0, v4, false, &[]),
            0x8,
        ),
        (
            "IPv4 middlebox padded to 12",
            &[30, 12, 0x9a, 0x0b, 1, 0, 10, 0, 0, 1, 0, 0],
            fault(FaultCause(0x0b), 1, 0, v4, true, &[0, 0]),
            0xa,
        ),
        // IPv6 middlebox, 24 bytes.
        (
            "IPv6 middlebox",
            &ipv6,
            fault(
                FaultCause::ROUTING_FAILED,
                4,
                5,
                Some(IpAddr::V6(Ipv6Addr::from(IPV6_DOC))),
                true,
                &[0, 0],
            ),
            0xe,
        ),
    ];
    for (name, bytes, value, flags) in cases {
        let option = decode(bytes);
        assert_eq!(option, MptcpOption::FaultAnnounce(value), "{name}");
        assert_eq!(value.flags(), flags, "{name}");
        assert_eq!(option.name(), "FAULT_ANNOUNCE");
        assert_eq!(option.subtype(), 9);
        assert!(warnings(&option, &any_ctx()).is_empty(), "{name}");
    }
}

#[test]
fn fault_announce_at_a_configured_subtype() {
    let at_12 = at(Some(12));
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
    let off = at(Some(0));
    assert_eq!(off.fault_announce_subtype, None);
    assert_eq!(at(None).fault_announce_subtype, None);
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
        MptcpOption::MpPrio(MpPrio { .. })
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
    let expected = Error::InvalidFlags {
        option: "FAULT_ANNOUNCE",
        reason: "V (IPv6) set without A (address present)",
    };
    let mut cases = Vec::new();
    for t_r in 0..4u8 {
        for len in [6u8, 8, 10, 22, 24] {
            let mut bytes = vec![30, len, 0x94 | t_r];
            bytes.resize(len as usize, 0);
            cases.push(bytes);
        }
    }
    let table: Vec<_> = cases
        .iter()
        .map(|bytes| ("V without A", &bytes[..], expected))
        .collect();
    assert_eq!(table.len(), 20);
    assert_errors(&table);
}

#[test]
fn fault_announce_reserved_bit_and_padding() {
    let bytes = [30, 6, 0x91, 0x0a, 2, 1];
    let MptcpOption::FaultAnnounce(f) = decode(&bytes) else {
        panic!()
    };
    assert!(f.reserved);
    assert_eq!(f.flags(), 0x1);
    assert_warnings(&[
        (
            "reserved bit",
            &bytes,
            any_ctx(),
            vec![reserved("FAULT_ANNOUNCE flags", 0x1)],
        ),
        (
            "padding",
            &[30, 8, 0x90, 0x0a, 2, 1, 0x00, 0x7f],
            any_ctx(),
            vec![Warning::NonZeroPadding],
        ),
        (
            "both",
            &[30, 11, 0x99, 0x0a, 2, 1, 10, 0, 0, 1, 0xff],
            any_ctx(),
            vec![
                reserved("FAULT_ANNOUNCE flags", 0x1),
                Warning::NonZeroPadding,
            ],
        ),
    ]);
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
