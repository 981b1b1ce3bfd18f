//! MP_PRIO, MP_FAIL, MP_FASTCLOSE, MP_TCPRST, MP_EXPERIMENTAL, unassigned subtypes, names.

use crate::catalogue::*;
use crate::helpers::*;
use mptcp_parse::{
    subtype, Context, MpFail, MpFastclose, MpPrio, MpTcpRst, MptcpOption, Opaque, RstReason,
    Warning,
};

#[test]
fn mp_prio_lengths_3_and_4() {
    let prio = |backup, address_id| {
        MptcpOption::MpPrio(MpPrio {
            backup,
            reserved: 0,
            address_id,
        })
    };
    assert_values(&[
        ("v1 backup", &[30, 3, 0x51], prio(true, None)),
        ("v1", &[30, 3, 0x50], prio(false, None)),
        ("v0 backup", &[30, 4, 0x51, 0x03], prio(true, Some(3))),
    ]);
    let cases: Vec<_> = [0x2, 0x4, 0x8]
        .map(|bit| ([30, 3, 0x50 | bit], bit))
        .to_vec();
    let table: Vec<_> = cases
        .iter()
        .map(|(bytes, bit)| {
            let w = vec![reserved("MP_PRIO flags", *bit)];
            ("MP_PRIO", &bytes[..], any_ctx(), w)
        })
        .collect();
    assert_warnings(&table);
}

#[test]
fn mp_fail_and_fastclose() {
    const DSN: u64 = 0x67429f7a2c4f13b6;
    let fail = |reserved| MptcpOption::MpFail(MpFail { reserved, dsn: DSN });
    let fastclose = |reserved| {
        MptcpOption::MpFastclose(MpFastclose {
            reserved,
            // Carries the receiver's key (mptcp-v0.pcap key B).
            receiver_key: V0_KEY_B,
        })
    };
    // The 12 reserved bits: nibble then byte 3.
    let with = |bytes: [u8; 12], b2, b3| {
        let mut b = bytes;
        (b[2], b[3]) = (b2, b3);
        b
    };
    let fail_nibble = with(MP_FAIL, 0x6a, 0x00);
    let fail_byte = with(MP_FAIL, 0x60, 0x81);
    let fc_both = with(MP_FASTCLOSE, 0x71, 0x02);
    let fc_nibble = with(MP_FASTCLOSE, 0x78, 0x00);
    // (what, bytes, value, warnings)
    let cases: [(&str, &[u8], MptcpOption<'_>, Vec<Warning>); 6] = [
        ("MP_FAIL", &MP_FAIL, fail(0), vec![]),
        ("MP_FASTCLOSE", &MP_FASTCLOSE, fastclose(0), vec![]),
        (
            "MP_FAIL nibble",
            &fail_nibble,
            fail(0xa00),
            vec![reserved("MP_FAIL subtype byte", 0x0a)],
        ),
        (
            "MP_FAIL byte 3",
            &fail_byte,
            fail(0x081),
            vec![reserved("MP_FAIL reserved byte", 0x81)],
        ),
        (
            "MP_FASTCLOSE both",
            &fc_both,
            fastclose(0x102),
            vec![
                reserved("MP_FASTCLOSE subtype byte", 0x01),
                reserved("MP_FASTCLOSE reserved byte", 0x02),
            ],
        ),
        (
            "MP_FASTCLOSE nibble",
            &fc_nibble,
            fastclose(0x800),
            vec![reserved("MP_FASTCLOSE subtype byte", 0x08)],
        ),
    ];
    assert_values(
        &cases
            .clone()
            .map(|(name, bytes, value, _)| (name, bytes, value)),
    );
    assert_warnings(&cases.map(|(name, bytes, _, w)| (name, bytes, any_ctx(), w)));
}

#[test]
fn mp_tcprst_flags_and_reasons() {
    let rst = |reserved, transient, reason| {
        MptcpOption::MpTcpRst(MpTcpRst {
            reserved,
            transient,
            reason,
        })
    };
    let mut values = vec![
        (
            vec![30, 4, 0x81, 0x06],
            rst(0, true, RstReason::MIDDLEBOX_INTERFERENCE),
        ),
        (
            vec![30, 4, 0x80, 0x02],
            rst(0, false, RstReason::LACK_OF_RESOURCES),
        ),
    ];
    let mut warned = Vec::new();
    // U, V, W are reserved.
    for bit in [0x8, 0x4, 0x2] {
        let bytes = vec![30, 4, 0x80 | bit | 1, 0x01];
        values.push((bytes.clone(), rst(bit, true, RstReason::MPTCP_SPECIFIC)));
        warned.push((bytes, vec![reserved("MP_TCPRST flags (U V W)", bit)]));
    }
    // Every assigned reason is clean; the others warn.
    for code in 0..=255u8 {
        let w = if code <= 6 {
            vec![]
        } else {
            vec![Warning::UnassignedRstReason { reason: code }]
        };
        warned.push((vec![30, 4, 0x80, code], w));
    }
    let table: Vec<_> = values
        .iter()
        .map(|(bytes, value)| ("MP_TCPRST", &bytes[..], *value))
        .collect();
    assert_values(&table);
    let table: Vec<_> = warned
        .iter()
        .map(|(bytes, w)| ("MP_TCPRST", &bytes[..], Context::on(RST), w.clone()))
        .collect();
    assert_warnings(&table);
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
    let clean: &[u8] = &[30, 4, 0x80, 0x00];
    assert_warnings(&[
        (
            "on an ACK",
            clean,
            Context::on(ACK),
            vec![Warning::TcpRstWithoutRst],
        ),
        ("on a RST", clean, Context::on(RST), vec![]),
        ("without a segment", clean, Context::default(), vec![]),
        // All three at once, in order.
        (
            "all three",
            &[30, 4, 0x8e, 0x42],
            Context::on(ACK),
            vec![
                reserved("MP_TCPRST flags (U V W)", 0xe),
                Warning::UnassignedRstReason { reason: 0x42 },
                Warning::TcpRstWithoutRst,
            ],
        ),
    ]);
}

#[test]
fn mp_experimental_is_kept_as_bytes() {
    let experimental = |nibble, body| {
        MptcpOption::MpExperimental(Opaque {
            subtype: 15,
            nibble,
            body,
        })
    };
    let bytes = [30, 7, 0xf5, 1, 2, 3, 4];
    assert_values(&[
        ("with a body", &bytes, experimental(5, &[1, 2, 3, 4])),
        ("empty", &[30, 3, 0xf0], experimental(0, &[])),
    ]);
    let option = decode(&bytes);
    assert_eq!(option.name(), "MP_EXPERIMENTAL");
    assert_eq!(option.subtype(), subtype::MP_EXPERIMENTAL);
    assert!(warnings(&option, &Context::on(SYN)).is_empty());
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
    for at in [None, Some(0), Some(11)] {
        let ctx = Context::default().with_fault_announce_subtype(at).unwrap();
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
    let decoded: [(&[u8], &str); 4] = [
        (&JOIN_SYN, "MP_JOIN"),
        (&[30, 4, 0x20, 0], "DSS"),
        (&[30, 4, 0x80, 0], "MP_TCPRST"),
        (&MP_FASTCLOSE, "MP_FASTCLOSE"),
    ];
    for (bytes, name) in decoded {
        assert_eq!(decode(bytes).name(), name);
    }
}
