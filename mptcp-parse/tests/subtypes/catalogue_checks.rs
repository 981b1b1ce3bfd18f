//! Checks over the whole catalogue of valid forms, and truncations spelled out.

use crate::catalogue::*;
use crate::helpers::*;
use mptcp_parse::{parse_mptcp_option, parse_mptcp_option_lenient, tcp_options, Error};

#[test]
fn every_valid_form_decodes_writes_back_and_has_no_warning() {
    for form in all_valid_forms() {
        let option = decode_in(&form.bytes, &form.ctx);
        assert!(
            warnings(&option, &form.ctx).is_empty(),
            "{}: {:?}",
            form.name,
            warnings(&option, &form.ctx)
        );
        // Whatever follows the option is returned untouched.
        let mut longer = form.bytes.clone();
        longer.extend([1, 1, 0]);
        let (rest, again) = parse_mptcp_option(&longer, &form.ctx).unwrap();
        assert_eq!(rest, [1, 1, 0], "{}", form.name);
        assert_eq!(again, option, "{}", form.name);
    }
}

#[test]
fn every_truncation_point_of_every_valid_form_names_the_cut_field() {
    for form in all_valid_forms() {
        for k in 0..form.bytes.len() {
            let cut = &form.bytes[..k];
            let expected = form.truncation_at(k);
            let got = error_in(cut, &form.ctx);
            assert_eq!(got, expected, "{} cut at {k}", form.name);
            assert!(matches!(got, Error::Truncated { needed, .. } if needed > 0));
            // The lenient decoder gives the same error and nothing after it.
            let (rest, decoded) = parse_mptcp_option_lenient(cut, &form.ctx);
            assert_eq!(
                decoded.option,
                Err(expected),
                "{} cut at {k} (lenient)",
                form.name
            );
            assert!(decoded.warnings.is_empty() && rest.is_empty());
            // At the end of an options area: one error, then the walk ends.
            if k >= 2 {
                let items: Vec<_> = tcp_options(cut, form.ctx).collect();
                assert_eq!(
                    items,
                    [Err(expected)],
                    "{} cut at {k} (options area)",
                    form.name
                );
            }
        }
    }
}

#[test]
fn truncation_errors_count_the_missing_bytes_of_the_cut_field() {
    // A few, spelled out: (what, option bytes, bytes kept, the error).
    let v1_data = capable_v1(24);
    let join_ack = join_ack(0x10, 0);
    let (dss, _) = dss_form(F_A | F_AA | F_M | F_MM, true);
    let (aa, _) = add_addr_form(0, true, true, true);
    let fault = fault_form(9, 0xc, 2);
    let cases: [(&str, &[u8], usize, Error); 20] = [
        ("MP_CAPABLE", &v1_data, 3, truncated("flags", 1)),
        ("MP_CAPABLE", &v1_data, 9, truncated("sender key", 3)),
        ("MP_CAPABLE", &v1_data, 12, truncated("receiver key", 8)),
        (
            "MP_CAPABLE",
            &v1_data,
            21,
            truncated("data-level length", 1),
        ),
        ("MP_CAPABLE", &v1_data, 23, truncated("checksum", 1)),
        ("MP_JOIN SYN", &JOIN_SYN, 5, truncated("receiver token", 3)),
        (
            "MP_JOIN SYN/ACK",
            &JOIN_SYN_ACK,
            13,
            truncated("sender random number", 3),
        ),
        ("MP_JOIN ACK", &join_ack, 10, truncated("HMAC", 14)),
        ("DSS", &dss.bytes, 5, truncated("Data ACK", 7)),
        ("DSS", &dss.bytes, 12, truncated("data sequence number", 8)),
        ("DSS", &dss.bytes, 27, truncated("checksum", 1)),
        ("ADD_ADDR", &aa.bytes, 6, truncated("IPv6 address", 14)),
        ("ADD_ADDR", &aa.bytes, 21, truncated("port", 1)),
        ("ADD_ADDR", &aa.bytes, 22, truncated("truncated HMAC", 8)),
        (
            "REMOVE_ADDR",
            &[30, 8, 0x40, 1, 2],
            5,
            truncated("address ID list", 3),
        ),
        ("MP_PRIO", &[30, 4, 0x50], 3, truncated("address ID", 1)),
        ("MP_FAIL", &MP_FAIL, 4, truncated("data sequence number", 8)),
        ("unknown", &[30, 9, 0xa0, 1], 4, truncated("option body", 5)),
        (
            "FAULT_ANNOUNCE",
            &fault.bytes,
            7,
            truncated("middlebox IPv6 address", 15),
        ),
        ("FAULT_ANNOUNCE", &fault.bytes, 23, truncated("padding", 1)),
    ];
    for (name, bytes, kept, expected) in cases {
        assert_eq!(error(&bytes[..kept]), expected, "{name} cut at {kept}");
    }
}
