//! What errors and warnings say, and the field an error names.

use crate::catalogue::*;
use crate::helpers::*;
use mptcp_parse::{Context, Error, HandshakeForm, SegmentKind, Warning};

#[test]
fn error_messages_name_the_field() {
    let made = [
        (
            Error::Truncated {
                field: "sender key",
                needed: 5,
            },
            "truncated: sender key needs 5 more byte(s)",
        ),
        (
            Error::BadTcpOptionLength {
                kind: 2,
                length: 8,
                available: 3,
            },
            "TCP option kind 2: length 8 is not valid (3 byte(s) left in the options area)",
        ),
    ];
    for (e, text) in made {
        assert_eq!(e.to_string(), text);
    }
    // (bytes, message, the field the error names where the table says)
    let decoded: [(&[u8], &str, Option<&str>); 9] = [
        (
            &[30, 13, 0x10],
            "MP_JOIN: length 13 is not valid (expected 12, 16 or 24)",
            Some("length"),
        ),
        (
            &[30, 5, 0x01, 0x81, 0],
            "MP_CAPABLE v1: length 5 is not valid (expected 4, 12, 20, 22 or 24)",
            None,
        ),
        (
            &[30, 9, 0x20, 0x05, 0, 0, 0, 0, 0],
            "DSS (flags A M): length 9 is not valid (expected 18 or 20)",
            None,
        ),
        (
            &[30, 3, 0x40],
            "REMOVE_ADDR: length 3 is not valid (expected 4 to 40)",
            None,
        ),
        (
            &[30, 9, 0x90, 0, 0, 0, 0, 0, 0],
            "FAULT_ANNOUNCE: length 9 is not valid (expected 6, 7 or 8)",
            None,
        ),
        (
            &[30, 4, 0x02, 0x81],
            "MP_CAPABLE version 2 is not supported (0 and 1 are)",
            Some("version"),
        ),
        (
            &[30, 6, 0x94, 0, 0, 0],
            "FAULT_ANNOUNCE: V (IPv6) set without A (address present)",
            Some("flags"),
        ),
        (
            &[8, 10],
            "TCP option kind 8 is not MPTCP (30)",
            Some("kind"),
        ),
        (
            &MP_FAIL[..6],
            "truncated: data sequence number needs 6 more byte(s)",
            Some("data sequence number"),
        ),
    ];
    for (bytes, text, field) in decoded {
        let e = error(bytes);
        assert_eq!(e.to_string(), text);
        if let Some(field) = field {
            assert_eq!(e.field(), field, "{text}");
        }
    }
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
