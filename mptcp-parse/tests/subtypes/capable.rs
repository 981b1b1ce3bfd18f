//! MP_CAPABLE: its forms, flags A to H, unknown versions, and the segments it belongs on.

use crate::catalogue::*;
use crate::helpers::*;
use mptcp_parse::capable::CapableFlags;
use mptcp_parse::{
    parse_mptcp_option_lenient, subtype, CapableForm, Context, Error, MpCapable, MptcpOption,
    Segment, Warning,
};

fn capable(version: u8, flags: u8, form: CapableForm<'_>) -> MpCapable<'_> {
    MpCapable {
        version,
        flags: CapableFlags(flags),
        form,
    }
}

/// (form, bytes, value, sender key, receiver key, step)
type CapableCase<'a> = (
    &'a str,
    &'a [u8],
    MpCapable<'a>,
    Option<u64>,
    Option<u64>,
    &'a str,
);

#[test]
fn mp_capable_forms_decode_to_their_values() {
    let v1_both = CapableForm::BothKeys {
        sender_key: V1_KEY_A,
        receiver_key: V1_KEY_B,
    };
    let data = |checksum| CapableForm::BothKeysData {
        sender_key: V1_KEY_A,
        receiver_key: V1_KEY_B,
        data_len: 100,
        checksum,
    };
    let cases: [CapableCase<'_>; 7] = [
        (
            "v1 SYN",
            &[30, 4, 0x01, 0x81],
            capable(1, 0x81, CapableForm::Bare),
            None,
            None,
            "SYN",
        ),
        // tcpdump mptcp-v1.pcap frame 2: the SYN/ACK carries the listener's key.
        (
            "v1 SYN/ACK",
            &[
                30, 12, 0x01, 0x01, 0x29, 0xa6, 0xc8, 0x69, 0x81, 0xad, 0x93, 0x3c,
            ],
            capable(1, 0x01, CapableForm::SenderKey { key: V1_KEY_B }),
            Some(0x29a6c86981ad933c),
            None,
            "SYN/ACK",
        ),
        (
            "v1 ACK",
            &[
                30, 20, 0x01, 0x81, 0x1f, 0xdb, 0x5d, 0xf3, 0x28, 0xbc, 0x3d, 0xef, 0x29, 0xa6,
                0xc8, 0x69, 0x81, 0xad, 0x93, 0x3c,
            ],
            capable(1, 0x81, v1_both),
            Some(V1_KEY_A),
            Some(V1_KEY_B),
            "ACK",
        ),
        (
            "v1 ACK with data",
            &capable_v1(22),
            capable(1, 0x81, data(None)),
            Some(V1_KEY_A),
            Some(V1_KEY_B),
            "ACK with data",
        ),
        (
            "v1 ACK with data and checksum",
            &capable_v1(24),
            capable(1, 0x81, data(Some(0x9e91))),
            Some(V1_KEY_A),
            Some(V1_KEY_B),
            "ACK with data",
        ),
        (
            "v0 SYN",
            &capable_v0(12),
            capable(0, 0x81, CapableForm::SenderKey { key: V0_KEY_A }),
            Some(V0_KEY_A),
            None,
            "SYN or SYN/ACK",
        ),
        (
            "v0 ACK",
            &[
                30, 20, 0x00, 0x81, 0x9c, 0x9e, 0xab, 0xd1, 0xe4, 0x6a, 0x33, 0xb2, 0x96, 0x7d,
                0x27, 0x70, 0xb6, 0x96, 0x05, 0x52,
            ],
            capable(
                0,
                0x81,
                CapableForm::BothKeys {
                    sender_key: V0_KEY_A,
                    receiver_key: V0_KEY_B,
                },
            ),
            Some(V0_KEY_A),
            Some(V0_KEY_B),
            "ACK",
        ),
    ];
    for (name, bytes, value, sender, receiver, step) in cases {
        let option = decode(bytes);
        assert_eq!(option, MptcpOption::MpCapable(value), "{name}");
        assert_eq!(
            (value.sender_key(), value.receiver_key()),
            (sender, receiver),
            "{name}"
        );
        assert_eq!(value.step(), step, "{name}");
        assert_eq!(option.name(), "MP_CAPABLE");
        assert_eq!(option.subtype(), subtype::MP_CAPABLE);
    }
    assert_eq!(capable_v1(20), cases[2].1);
    let csum = cases[4].2;
    assert_eq!(csum.version, 1);
    assert!(csum.flags.checksum_required() && csum.flags.hmac());
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
    let mut cases = Vec::new();
    for (bit, reserved_v1, reserved_v0) in bits {
        let flags = CapableFlags(bit);
        assert_eq!(flags.checksum_required(), bit == 0x80);
        assert_eq!(flags.extensibility(), bit == 0x40);
        assert_eq!(flags.deny_join_id0(), bit == 0x20);
        assert_eq!(flags.hmac(), bit == 0x01);
        let warned = |yes: bool| -> Vec<Warning> {
            yes.then(|| reserved("MP_CAPABLE flags", bit))
                .into_iter()
                .collect()
        };
        let mut v0 = capable_v0(12);
        v0[3] = bit;
        cases.push((
            format!("v1 flag {bit:#04x}"),
            vec![30, 4, 0x01, bit],
            warned(reserved_v1),
        ));
        cases.push((format!("v0 flag {bit:#04x}"), v0, warned(reserved_v0)));
    }
    // All at once: the offending bits together.
    let mut v0 = capable_v0(20);
    v0[3] = 0xff;
    cases.push((
        "v1 all flags".into(),
        vec![30, 4, 0x01, 0xff],
        vec![reserved("MP_CAPABLE flags", 0x5e)],
    ));
    cases.push((
        "v0 all flags".into(),
        v0,
        vec![reserved("MP_CAPABLE flags", 0x7e)],
    ));
    let cases: Vec<_> = cases
        .iter()
        .map(|(name, bytes, w)| (name.as_str(), &bytes[..], any_ctx(), w.clone()))
        .collect();
    assert_warnings(&cases);
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
        let expected = capable(version, 0x81, CapableForm::Opaque(&bytes[4..]));
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

#[test]
fn mp_capable_forms_on_the_wrong_segment() {
    // (bytes, form, the segment it belongs on, the segments where it is clean)
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
    assert_warnings(&[(
        "B on an ACK",
        &[30, 4, 0x01, 0x41],
        Context::on(ACK),
        vec![
            reserved("MP_CAPABLE flags", 0x40),
            unexpected("MP_CAPABLE without key", "a SYN"),
        ],
    )]);
}
