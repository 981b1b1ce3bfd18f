//! The TCP options area: real areas, several MPTCP options, EOL, and malformed options that
//! must not hide the next one.

use crate::catalogue::*;
use crate::helpers::*;
use mptcp_parse::capable::CapableFlags;
use mptcp_parse::{
    mptcp_options_lenient, raw_options, tcp_options, CapableForm, Context, DataSeq, Error,
    LengthSet, MpCapable, MpPrio, MptcpOption, RawOption, TcpOption, Warning,
};

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
