//! DSS: every flag combination, hand-written forms from captures, reserved bits.

use crate::catalogue::*;
use crate::helpers::*;
use mptcp_parse::{DataSeq, Dss, Mapping, MptcpOption};

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

fn dss(
    data_ack: Option<DataSeq>,
    mapping: Option<Mapping>,
    data_fin: bool,
) -> MptcpOption<'static> {
    MptcpOption::Dss(Dss {
        data_ack,
        mapping,
        data_fin,
        unused_flags: 0,
        reserved: 0,
    })
}

#[test]
fn dss_hand_written_forms() {
    let fclose_mapping = Mapping {
        dsn: DataSeq::U32(2976985014),
        ssn: 1,
        data_len: 1,
        checksum: Some(0x9e91),
    };
    let v1_mapping = Mapping {
        dsn: DataSeq::U64(11713449205243392242),
        ssn: 1,
        data_len: 8192,
        checksum: None,
    };
    let infinite = Mapping {
        dsn: DataSeq::U32(12345),
        ssn: 0x1000,
        data_len: 0,
        checksum: Some(0),
    };
    let fin_only = Mapping {
        dsn: DataSeq::U32(0x2000),
        ssn: 0,
        data_len: 1,
        checksum: None,
    };
    let (regular, regular_value) = dss_form(F_M, false);
    // (what, bytes, value, whether its mapping is infinite)
    let cases: [(&str, &[u8], MptcpOption<'_>, Option<bool>); 6] = [
        // mptcp-v1.pcap: 4-octet Data ACK only.
        (
            "Data ACK",
            &[30, 8, 0x20, 0x01, 0x8e, 0xd3, 0x4f, 0x4e],
            dss(Some(DataSeq::U32(0x8ed34f4e)), None, false),
            None,
        ),
        // mptcp-fclose.pcap frame 6: Data ACK and mapping, with checksum (v0 negotiated it).
        (
            "Data ACK and mapping with checksum",
            &[
                30, 20, 0x20, 0x05, 0x00, 0x00, 0x00, 0x01, 0xb1, 0x71, 0x2f, 0xb6, 0x00, 0x00,
                0x00, 0x01, 0x00, 0x01, 0x9e, 0x91,
            ],
            dss(Some(DataSeq::U32(1)), Some(fclose_mapping), false),
            Some(false),
        ),
        // 64-bit Data ACK and DSN (mptcp-v1.pcap's values), no checksum.
        (
            "64-bit Data ACK and DSN",
            &[
                30, 26, 0x20, 0x0f, 0xc8, 0x07, 0x2f, 0xb9, 0x0e, 0xda, 0xb0, 0x4e, 0xa2, 0x8e,
                0x87, 0xfd, 0xdd, 0x1d, 0x30, 0xf2, 0x00, 0x00, 0x00, 0x01, 0x20, 0x00,
            ],
            dss(
                Some(DataSeq::U64(14413541604287230030)),
                Some(v1_mapping),
                false,
            ),
            Some(false),
        ),
        // M, 32-bit DSN, SSN 0x1000, data-level length 0, checksum 0: the infinite mapping.
        (
            "infinite mapping",
            &[
                30, 16, 0x20, 0x04, 0x00, 0x00, 0x30, 0x39, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,
                0x00, 0x00,
            ],
            dss(None, Some(infinite), false),
            Some(true),
        ),
        // A, M, F: Data ACK, DSN, SSN 0, length 1: "dss fin ... subseq 0 len 1".
        (
            "DATA_FIN only",
            &[
                30, 18, 0x20, 0x15, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x01,
            ],
            dss(Some(DataSeq::U32(0x1000)), Some(fin_only), true),
            Some(false),
        ),
        // A regular mapping is not infinite.
        (
            "regular mapping",
            &regular.bytes,
            MptcpOption::Dss(regular_value),
            Some(false),
        ),
    ];
    for (name, bytes, value, infinite) in cases {
        let option = decode(bytes);
        assert_eq!(option, value, "{name}");
        assert!(warnings(&option, &any_ctx()).is_empty(), "{name}");
        let MptcpOption::Dss(dss) = option else {
            panic!()
        };
        assert_eq!(dss.mapping.map(|m| m.is_infinite()), infinite, "{name}");
    }
}

#[test]
fn dss_reserved_bits_and_unused_flags() {
    let mut cases = Vec::new();
    for bit in [0x20, 0x40, 0x80] {
        let bytes = vec![30, 8, 0x20, 0x01 | bit, 0, 0, 0, 9];
        let MptcpOption::Dss(dss) = decode(&bytes) else {
            panic!()
        };
        assert_eq!(dss.unused_flags, bit);
        assert_eq!(dss.flags(), 0x01 | bit);
        cases.push((bytes, vec![reserved("DSS flags", bit)]));
    }
    for nibble in [0x1, 0x2, 0x4, 0x8] {
        let bytes = vec![30, 8, 0x20 | nibble, 0x01, 0, 0, 0, 9];
        let MptcpOption::Dss(dss) = decode(&bytes) else {
            panic!()
        };
        assert_eq!(dss.reserved, nibble);
        cases.push((bytes, vec![reserved("DSS subtype byte", nibble)]));
    }
    // Both at once, in field order.
    cases.push((
        vec![30, 4, 0x2f, 0xe0],
        vec![
            reserved("DSS subtype byte", 0xf),
            reserved("DSS flags", 0xe0),
        ],
    ));
    // a without A and m without M are kept (receivers ignore them), without a warning.
    let bytes = [30, 4, 0x20, 0x0a];
    let MptcpOption::Dss(dss) = decode(&bytes) else {
        panic!()
    };
    assert_eq!(
        (dss.data_ack, dss.mapping, dss.unused_flags),
        (None, None, F_AA | F_MM)
    );
    cases.push((bytes.to_vec(), vec![]));
    let table: Vec<_> = cases
        .iter()
        .map(|(bytes, w)| ("DSS", &bytes[..], any_ctx(), w.clone()))
        .collect();
    assert_warnings(&table);
}
