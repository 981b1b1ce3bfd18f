//! Whole TCP segments: header, options and payload, and the context they give the options.

use crate::helpers::*;
use mptcp_parse::{Context, Error, MptcpOption, Segment, TcpFlags, TcpOption, TcpSegment};

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
