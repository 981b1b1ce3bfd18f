//! MP_JOIN: its three forms, reserved bits, and the segments each belongs on.

use crate::catalogue::*;
use crate::helpers::*;
use mptcp_parse::{Context, JoinForm, MpJoin, MptcpOption, Warning};

fn join(backup: bool, reserved: u8, form: JoinForm<'_>) -> MptcpOption<'_> {
    MptcpOption::MpJoin(MpJoin {
        backup,
        reserved,
        form,
    })
}

#[test]
fn mp_join_forms_decode_to_their_values() {
    let syn = JoinForm::Syn {
        address_id: 2,
        receiver_token: 0xe47f0142,
        sender_nonce: 0x1b665a18,
    };
    let syn_ack = JoinForm::SynAck {
        address_id: 0,
        truncated_hmac: 0x5ab680c7884af03d,
        sender_nonce: 0x33abe9d5,
    };
    let mut no_backup = JOIN_SYN;
    no_backup[2] = 0x10;
    let mut backup = JOIN_SYN_ACK;
    backup[2] = 0x11;
    let ack_bytes = join_ack(0x10, 0);
    let ack = JoinForm::Ack {
        reserved: 0,
        hmac: &JOIN_ACK_HMAC,
    };
    // (form, bytes, value, address ID)
    let cases: [(&str, &[u8], MptcpOption<'_>, Option<u8>); 5] = [
        ("SYN, backup", &JOIN_SYN, join(true, 0, syn), Some(2)),
        ("SYN", &no_backup, join(false, 0, syn), Some(2)),
        ("SYN/ACK", &JOIN_SYN_ACK, join(false, 0, syn_ack), Some(0)),
        ("SYN/ACK, backup", &backup, join(true, 0, syn_ack), Some(0)),
        ("ACK", &ack_bytes, join(false, 0, ack), None),
    ];
    assert_values(&cases.map(|(name, bytes, value, _)| (name, bytes, value)));
    for (name, _, value, address_id) in cases {
        let MptcpOption::MpJoin(j) = value else {
            panic!()
        };
        assert_eq!(j.address_id(), address_id, "{name}");
    }
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
    let mut cases: Vec<(String, Vec<u8>, Vec<Warning>)> = Vec::new();
    for bit in [0x2, 0x4, 0x8] {
        let mut syn = JOIN_SYN;
        syn[2] = 0x10 | bit | 1;
        let MptcpOption::MpJoin(j) = decode(&syn) else {
            panic!()
        };
        assert!(j.backup);
        assert_eq!(j.reserved, bit);
        let mut syn_ack = JOIN_SYN_ACK;
        syn_ack[2] = 0x10 | bit;
        let w = vec![reserved("MP_JOIN subtype byte", bit)];
        cases.push((format!("SYN {bit:#x}"), syn.to_vec(), w.clone()));
        cases.push((format!("SYN/ACK {bit:#x}"), syn_ack.to_vec(), w));
    }
    // The ACK form's reserved byte 3; bits in both places are two warnings, each naming its
    // byte.
    cases.push((
        "ACK byte 3".into(),
        join_ack(0x10, 0x40),
        vec![reserved("MP_JOIN ACK reserved byte", 0x40)],
    ));
    cases.push((
        "ACK both".into(),
        join_ack(0x11, 0x01),
        vec![
            reserved("MP_JOIN subtype byte", 0x1),
            reserved("MP_JOIN ACK reserved byte", 0x1),
        ],
    ));
    let table: Vec<_> = cases
        .iter()
        .map(|(name, bytes, w)| (name.as_str(), &bytes[..], any_ctx(), w.clone()))
        .collect();
    assert_warnings(&table);
    let bytes = join_ack(0x10, 0x40);
    assert!(matches!(
        decode(&bytes),
        MptcpOption::MpJoin(MpJoin {
            form: JoinForm::Ack { reserved: 0x40, .. },
            ..
        })
    ));
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
