//! Wrong length bytes: for each subtype (and the flags that pick its variant), every length
//! byte either decodes or is `InvalidLength` naming the variant and the lengths it allows.

use crate::catalogue::{DSS_LENGTHS, DSS_NAMES};
use crate::helpers::*;
use mptcp_parse::nom;
use mptcp_parse::{parse_mptcp_option, parse_mptcp_option_lenient, Context, Error, LengthSet};

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
fn all_lengths() -> Vec<u8> {
    (3..=40).chain([41, 44, 63, 64, 200, 255]).collect()
}

fn lengths_from_4() -> Vec<u8> {
    (4..=40).chain([41, 44, 63, 64, 200, 255]).collect()
}

/// One row: the option's name in the error, the bytes after the length byte (subtype byte and,
/// where they pick the variant, flags), the valid lengths, the lengths tried, the context.
type LengthCase = (&'static str, Vec<u8>, Vec<u8>, Vec<u8>, Context);

fn length_cases() -> Vec<LengthCase> {
    let row = |option, head: &[u8], valid: &[u8], lengths: Vec<u8>| {
        (option, head.to_vec(), valid.to_vec(), lengths, any_ctx())
    };
    let mut cases = Vec::new();
    // MP_CAPABLE, whatever the flags; length 3 puts the flags byte past the option's end.
    for flags in [0x00, 0x01, 0x81, 0xff] {
        let v1: &[u8] = &[4, 12, 20, 22, 24];
        cases.push(row("MP_CAPABLE v1", &[0x01, flags], v1, lengths_from_4()));
        cases.push(row(
            "MP_CAPABLE v0",
            &[0x00, flags],
            &[12, 20],
            lengths_from_4(),
        ));
    }
    cases.push(row(
        "MP_CAPABLE v1",
        &[0x01, 0x81],
        &[4, 12, 20, 22, 24],
        vec![3],
    ));
    cases.push(row("MP_CAPABLE v0", &[0x00, 0x81], &[12, 20], vec![3]));
    for byte2 in [0x10, 0x11, 0x1f] {
        cases.push(row("MP_JOIN", &[byte2], &[12, 16, 24], all_lengths()));
    }
    // DSS: every flag combination; the reserved flag bits change nothing.
    for f in 0..32u8 {
        for byte2 in [0x20, 0x2f] {
            let (option, valid) = (
                DSS_NAMES[(f & 0x0f) as usize],
                DSS_LENGTHS[(f & 0x0f) as usize],
            );
            cases.push(row(option, &[byte2, f], valid, lengths_from_4()));
            cases.push(row(option, &[byte2, f | 0xe0], valid, lengths_from_4()));
        }
    }
    cases.push(row("ADD_ADDR v0 (IPv4)", &[0x34], &[8, 10], all_lengths()));
    cases.push(row("ADD_ADDR v0 (IPv6)", &[0x36], &[20, 22], all_lengths()));
    for nibble in [0x0, 0x2, 0x8, 0xa, 0xc, 0xe] {
        let valid: &[u8] = &[16, 18, 28, 30];
        cases.push(row(
            "ADD_ADDR (with HMAC)",
            &[0x30 | nibble],
            valid,
            all_lengths(),
        ));
    }
    for nibble in [0x1, 0x3, 0x5, 0x7, 0x9, 0xf] {
        let valid: &[u8] = &[8, 10, 20, 22];
        cases.push(row("ADD_ADDR echo", &[0x30 | nibble], valid, all_lengths()));
    }
    let remove: Vec<u8> = (4..=40).collect();
    cases.push(row("REMOVE_ADDR", &[0x40], &remove, all_lengths()));
    cases.push(row("MP_PRIO", &[0x51], &[3, 4], all_lengths()));
    cases.push(row("MP_FAIL", &[0x60], &[12], all_lengths()));
    cases.push(row("MP_FASTCLOSE", &[0x70], &[12], all_lengths()));
    cases.push(row("MP_TCPRST", &[0x81], &[4], all_lengths()));
    // FAULT_ANNOUNCE, per flags (T and R change nothing), also at another subtype.
    let at_13 = Context::default()
        .with_fault_announce_subtype(Some(13))
        .unwrap();
    for t_r in [0x0, 0x1, 0x2, 0x3] {
        cases.push(row(
            "FAULT_ANNOUNCE",
            &[0x90 | t_r],
            &[6, 7, 8],
            all_lengths(),
        ));
        let v4: &[u8] = &[10, 11, 12];
        cases.push(row(
            "FAULT_ANNOUNCE (IPv4 middlebox)",
            &[0x98 | t_r],
            v4,
            all_lengths(),
        ));
        let v6: &[u8] = &[22, 23, 24];
        cases.push(row(
            "FAULT_ANNOUNCE (IPv6 middlebox)",
            &[0x9c | t_r],
            v6,
            all_lengths(),
        ));
        let mut at = row(
            "FAULT_ANNOUNCE (IPv4 middlebox)",
            &[0xd8 | t_r],
            v4,
            all_lengths(),
        );
        at.4 = at_13;
        cases.push(at);
    }
    // Opaque subtypes take any length from 3; with FAULT_ANNOUNCE off, subtype 9 is one.
    let every: Vec<u8> = (3..=40).collect();
    for byte2 in [0xf0, 0xf7, 0xa0, 0xb3, 0xe1] {
        cases.push(row("unused", &[byte2], &every, every.clone()));
    }
    let off = Context::default()
        .with_fault_announce_subtype(None)
        .unwrap();
    let mut nine = row("unused", &[0x9c], &every, every.clone());
    nine.4 = off;
    cases.push(nine);
    cases
}

#[test]
fn every_length_byte_of_every_subtype() {
    let cases = length_cases();
    assert_eq!(cases.len(), 8 + 2 + 3 + 128 + 2 + 12 + 5 + 16 + 6);
    for (option, head, valid, lengths, ctx) in cases {
        check_lengths(option, &head, &valid, lengths, &ctx);
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
    assert_errors(&[
        (
            "timestamps",
            &[8, 10, 0, 0, 0, 1, 0, 0, 0, 2],
            Error::NotMptcp { kind: 8 },
        ),
        ("NOP", &[1], Error::NotMptcp { kind: 1 }),
    ]);
}
