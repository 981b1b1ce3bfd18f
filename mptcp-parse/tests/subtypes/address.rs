//! ADD_ADDR and REMOVE_ADDR.

use crate::catalogue::*;
use crate::helpers::*;
use mptcp_parse::{AddAddr, AddAddrVersion, MptcpOption, RemoveAddr, Warning};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[test]
fn add_addr_every_variant_decodes() {
    let forms = all_add_addr_forms();
    assert_eq!(forms.len(), 12);
    for (form, expected) in forms {
        let option = decode(&form.bytes);
        assert_eq!(option, MptcpOption::AddAddr(expected), "{}", form.name);
    }
}

#[test]
fn add_addr_hand_written_forms() {
    const V1: AddAddrVersion = AddAddrVersion::V1 {
        echo: false,
        reserved: 0,
    };
    const ECHO: AddAddrVersion = AddAddrVersion::V1 {
        echo: true,
        reserved: 0,
    };
    let add_addr = |version, address_id, address, port, truncated_hmac| AddAddr {
        version,
        address_id,
        address,
        port,
        truncated_hmac,
    };
    let v4 = |a, b, c, d| IpAddr::V4(Ipv4Addr::new(a, b, c, d));
    let echo6 = cat(&[&[30, 22, 0x31, 9], &IPV6_DOC, &[0x1f, 0x90]]);
    let v0_6 = cat(&[&[30, 20, 0x36, 3], &IPV6_DOC]);
    // (what, bytes, value, is an echo)
    let cases: [(&str, &[u8], AddAddr, bool); 5] = [
        // mptcp-aa-v1.pcap frame 13: v1 announcement, ID 1, 192.168.136.225, no port, HMAC.
        (
            "announcement",
            &[
                30, 16, 0x30, 0x01, 192, 168, 136, 225, 0x66, 0x99, 0x28, 0x74, 0x43, 0x66, 0x71,
                0x6c,
            ],
            add_addr(
                V1,
                1,
                v4(192, 168, 136, 225),
                None,
                Some(0x669928744366716c),
            ),
            false,
        ),
        // Its echo: no HMAC.
        (
            "echo",
            &[30, 8, 0x31, 0x01, 192, 168, 136, 225],
            add_addr(ECHO, 1, v4(192, 168, 136, 225), None, None),
            true,
        ),
        // Echo of an IPv6 address with port.
        (
            "IPv6 echo with port",
            &echo6,
            add_addr(ECHO, 9, "2001:db8::1".parse().unwrap(), Some(8080), None),
            true,
        ),
        // v0, IPv4 with port: nibble 4 is IPVer.
        (
            "v0 IPv4 with port",
            &[30, 10, 0x34, 0x02, 10, 0, 0, 2, 0x00, 0x50],
            add_addr(AddAddrVersion::V0, 2, v4(10, 0, 0, 2), Some(80), None),
            false,
        ),
        // v0, IPv6 without port.
        (
            "v0 IPv6",
            &v0_6,
            add_addr(
                AddAddrVersion::V0,
                3,
                IpAddr::V6(Ipv6Addr::from(IPV6_DOC)),
                None,
                None,
            ),
            false,
        ),
    ];
    for (name, bytes, value, echo) in cases {
        assert_eq!(decode(bytes), MptcpOption::AddAddr(value), "{name}");
        assert_eq!(value.is_echo(), echo, "{name}");
    }
}

#[test]
fn add_addr_reserved_bits() {
    let mut cases: Vec<(Vec<u8>, Vec<Warning>)> = Vec::new();
    for nibble in [0x2, 0x8, 0xa, 0xc, 0xe] {
        // Announcement: the nibble's bits 1 to 3 are reserved (4 and 6 alone mean v0).
        let mut bytes = vec![30, 16, 0x30 | nibble, 1, 192, 168, 1, 1];
        bytes.extend([0; 8]);
        cases.push((bytes, vec![reserved("ADD_ADDR flags", nibble)]));
    }
    for nibble in [0x3, 0x5, 0x7, 0x9, 0xf] {
        let bytes = vec![30, 8, 0x30 | nibble, 1, 192, 168, 1, 1];
        let MptcpOption::AddAddr(aa) = decode(&bytes) else {
            panic!()
        };
        assert!(aa.is_echo());
        cases.push((bytes, vec![reserved("ADD_ADDR flags", nibble & 0x0e)]));
    }
    // v0 has no reserved bits.
    cases.push((vec![30, 8, 0x34, 1, 192, 168, 1, 1], vec![]));
    let table: Vec<_> = cases
        .iter()
        .map(|(bytes, w)| ("ADD_ADDR", &bytes[..], any_ctx(), w.clone()))
        .collect();
    assert_warnings(&table);
}

#[test]
fn remove_addr_one_to_many_ids() {
    for n in 1..=37u8 {
        let ids: Vec<u8> = (0..n).map(|i| i.wrapping_mul(7)).collect();
        let bytes = cat(&[&[30, 3 + n, 0x40], &ids]);
        let option = decode(&bytes);
        assert_eq!(
            option,
            MptcpOption::RemoveAddr(RemoveAddr {
                reserved: 0,
                address_ids: &ids
            })
        );
        assert!(warnings(&option, &any_ctx()).is_empty());
    }
    let bytes = [30, 4, 0x45, 8];
    assert_values(&[(
        "REMOVE_ADDR reserved",
        &bytes,
        MptcpOption::RemoveAddr(RemoveAddr {
            reserved: 5,
            address_ids: &[8],
        }),
    )]);
    assert_warnings(&[(
        "REMOVE_ADDR reserved",
        &bytes,
        any_ctx(),
        vec![reserved("REMOVE_ADDR subtype byte", 5)],
    )]);
}
