//! The crypto functions against real traffic: every MP_JOIN HMAC, ADD_ADDR HMAC and DSS
//! checksum in the repository's kernel captures (`tests/captures/`), and in the shared ones
//! when `../shared/captures` is present, is recomputed from the keys and payload the capture
//! holds.
//!
//! A small tracker gathers keys (MP_CAPABLE), join randoms, subflow ISNs and payload bytes;
//! DSS checksums are checked on mappings that span several segments.

mod support;

use mptcp_parse::crypto::{
    self, AddAddrHmacCheck, AddAddrKeys, JoinHandshake, JoinHost, Key, LegacyAddAddrHmac, Nonce,
    Version,
};
use mptcp_parse::{CapableForm, DataSeq, JoinForm, MptcpOption, TcpFlags, TcpOption, TcpSegment};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

type Endpoint = (IpAddr, u16);

#[derive(Clone, Copy)]
struct Connection {
    version: Version,
    client_key: u64,
    server_key: u64,
}

/// A subflow, by its unordered pair of endpoints.
#[derive(Default)]
struct Subflow {
    connection: Option<usize>,
    /// The end that sent the SYN, and its key once known.
    syn_sender: Option<Endpoint>,
    syn_sender_key: Option<u64>,
    peer_key: Option<u64>,
    join_token: Option<u32>,
    nonce_syn_sender: Option<u32>,
    nonce_listener: Option<u32>,
    join_synack: Option<(usize, u64)>,
    join_ack: Option<(usize, [u8; 20])>,
}

type Handshake = (Version, Option<u64>, Option<u64>);

#[derive(Default)]
struct Direction {
    isn: Option<u32>,
    /// Payload bytes by relative subflow sequence number.
    payload: BTreeMap<u32, Vec<u8>>,
    /// (frame, 64-bit DSN, relative SSN, data-level length, checksum, DATA_FIN)
    mappings: Vec<(usize, u64, u32, u16, u16, bool)>,
}

#[derive(Default, Debug, PartialEq)]
struct Results {
    join_hmacs_valid: usize,
    add_addr_valid: usize,
    add_addr_legacy: Vec<(usize, LegacyAddAddrHmac)>,
    /// Frames whose DSS checksum did not match.
    checksum_bad: Vec<usize>,
    checksum_valid: usize,
}

fn pair(a: Endpoint, b: Endpoint) -> (Endpoint, Endpoint) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

fn analyse(path: &Path) -> Results {
    let mut results = Results::default();
    let mut connections: Vec<Connection> = Vec::new();
    let mut tokens: HashMap<u32, (usize, bool)> = HashMap::new(); // token -> (connection, is the server's key)
    let mut subflows: HashMap<(Endpoint, Endpoint), Subflow> = HashMap::new();
    let mut directions: HashMap<(Endpoint, Endpoint), Direction> = HashMap::new();
    // Initial subflow -> (version, SYN sender's key, listener's key) while the handshake runs.
    let mut handshakes: HashMap<(Endpoint, Endpoint), Handshake> = HashMap::new();
    let mut add_addrs = Vec::new();

    for packet in support::read_frames(path).into_iter().flatten() {
        let seg = TcpSegment::parse(&packet.tcp).unwrap();
        let (src, dst) = ((packet.src, seg.src_port), (packet.dst, seg.dst_port));
        let key = pair(src, dst);
        let sf = subflows.entry(key).or_default();
        let dir = directions.entry((src, dst)).or_default();
        let syn = seg.flags.contains(TcpFlags::SYN);
        if syn {
            dir.isn = Some(seg.seq);
            if !seg.flags.contains(TcpFlags::ACK) {
                sf.syn_sender = Some(src);
            }
        }
        if let (Some(isn), false) = (dir.isn, seg.payload.is_empty()) {
            dir.payload
                .insert(seg.seq.wrapping_sub(isn), seg.payload.to_vec());
        }
        let from_syn_sender = sf.syn_sender == Some(src);
        for option in seg.options() {
            let Ok(TcpOption::Mptcp(option)) = option else {
                continue;
            };
            match option {
                MptcpOption::MpCapable(c) => {
                    let v = Version::from_nibble(c.version).unwrap();
                    let entry = handshakes.entry(key).or_insert((v, None, None));
                    match c.form {
                        CapableForm::SenderKey { key: k } if from_syn_sender => entry.1 = Some(k),
                        CapableForm::SenderKey { key: k } => entry.2 = Some(k),
                        CapableForm::BothKeys {
                            sender_key,
                            receiver_key,
                        }
                        | CapableForm::BothKeysData {
                            sender_key,
                            receiver_key,
                            ..
                        } => {
                            entry.1 = Some(sender_key);
                            entry.2 = Some(receiver_key);
                        }
                        _ => {}
                    }
                    if let (Some(client_key), Some(server_key), None) =
                        (entry.1, entry.2, sf.connection)
                    {
                        let index = connections.len();
                        connections.push(Connection {
                            version: v,
                            client_key,
                            server_key,
                        });
                        tokens.insert(
                            crypto::key_derived(v, Key(client_key)).token,
                            (index, false),
                        );
                        tokens.insert(crypto::key_derived(v, Key(server_key)).token, (index, true));
                        sf.connection = Some(index);
                        sf.syn_sender_key = Some(client_key);
                        sf.peer_key = Some(server_key);
                    }
                    if let CapableForm::BothKeysData {
                        sender_key,
                        data_len,
                        checksum: Some(csum),
                        ..
                    } = c.form
                    {
                        // Implicit mapping of the first data: DSN = IDSN + 1, SSN 1.
                        let idsn = crypto::key_derived(v, Key(sender_key)).idsn;
                        dir.mappings.push((
                            packet.frame,
                            idsn.wrapping_add(1),
                            1,
                            data_len,
                            csum,
                            false,
                        ));
                    }
                }
                MptcpOption::MpJoin(j) => match j.form {
                    JoinForm::Syn {
                        receiver_token,
                        sender_nonce,
                        ..
                    } => {
                        sf.join_token = Some(receiver_token);
                        sf.nonce_syn_sender = Some(sender_nonce);
                        if let Some(&(index, token_is_server)) = tokens.get(&receiver_token) {
                            let c = connections[index];
                            let (listener, joiner) = if token_is_server {
                                (c.server_key, c.client_key)
                            } else {
                                (c.client_key, c.server_key)
                            };
                            sf.connection = Some(index);
                            sf.syn_sender_key = Some(joiner);
                            sf.peer_key = Some(listener);
                        }
                    }
                    JoinForm::SynAck {
                        truncated_hmac,
                        sender_nonce,
                        ..
                    } => {
                        sf.nonce_listener = Some(sender_nonce);
                        sf.join_synack = Some((packet.frame, truncated_hmac));
                    }
                    JoinForm::Ack { hmac, .. } => sf.join_ack = Some((packet.frame, *hmac)),
                },
                MptcpOption::AddAddr(a) => {
                    if let Some(h) = a.truncated_hmac {
                        add_addrs.push((packet.frame, key, from_syn_sender, a, h));
                    }
                }
                MptcpOption::Dss(d) => {
                    if let (Some(m), Some(csum)) = (d.mapping, d.mapping.and_then(|m| m.checksum)) {
                        if m.is_infinite() {
                            continue;
                        }
                        let dsn = match m.dsn {
                            DataSeq::U64(v) => v,
                            DataSeq::U32(_) => {
                                // Expand next to the sender's IDSN.
                                let c = connections[sf
                                    .connection
                                    .expect("32-bit DSN without a known connection")];
                                let sender = if from_syn_sender {
                                    sf.syn_sender_key
                                } else {
                                    sf.peer_key
                                }
                                .unwrap();
                                m.dsn
                                    .expand(crypto::key_derived(c.version, Key(sender)).idsn)
                            }
                        };
                        dir.mappings
                            .push((packet.frame, dsn, m.ssn, m.data_len, csum, d.data_fin));
                    }
                }
                _ => {}
            }
        }
        // Join HMACs, once the randoms of both ends are known.
        if let (Some(index), Some(joiner), Some(listener), Some(r_a), Some(r_b)) = (
            sf.connection,
            sf.syn_sender_key,
            sf.peer_key,
            sf.nonce_syn_sender,
            sf.nonce_listener,
        ) {
            let v = connections[index].version;
            let join = JoinHandshake {
                joiner: JoinHost::new(Key(joiner), Nonce(r_a)),
                listener: JoinHost::new(Key(listener), Nonce(r_b)),
            };
            if let Some((frame, truncated)) = sf.join_synack.take() {
                assert!(
                    join.verify_syn_ack(v, truncated),
                    "{} frame {frame}: SYN/ACK HMAC",
                    path.display()
                );
                results.join_hmacs_valid += 1;
            }
            if let Some((frame, hmac)) = sf.join_ack.take() {
                assert!(
                    join.verify_ack(v, &hmac),
                    "{} frame {frame}: ACK HMAC",
                    path.display()
                );
                results.join_hmacs_valid += 1;
            }
        }
    }

    for (frame, key, from_syn_sender, a, h) in add_addrs {
        let sf = &subflows[&key];
        let (Some(k1), Some(k2)) = (sf.syn_sender_key, sf.peer_key) else {
            continue;
        };
        let (sender, receiver) = if from_syn_sender { (k1, k2) } else { (k2, k1) };
        let keys = AddAddrKeys {
            sender: Key(sender),
            receiver: Key(receiver),
        };
        match keys.verify(a.address_id, a.address, a.port, h) {
            AddAddrHmacCheck::Valid => results.add_addr_valid += 1,
            AddAddrHmacCheck::Legacy(form) => results.add_addr_legacy.push((frame, form)),
            AddAddrHmacCheck::Invalid { expected } => panic!(
                "{} frame {frame}: ADD_ADDR HMAC 0x{h:x}, expected 0x{expected:x}",
                path.display()
            ),
        }
    }

    for dir in directions.values() {
        for &(frame, dsn, ssn, len, csum, data_fin) in &dir.mappings {
            // DATA_FIN takes one DSN and no byte.
            let bytes = usize::from(len) - usize::from(data_fin);
            let mut checksum = crypto::DssChecksum::new(dsn, ssn, len);
            let mut next = ssn;
            let end = ssn.wrapping_add(bytes as u32);
            while next != end {
                // The stored segment that holds `next`.
                let Some((&start, data)) = dir.payload.range(..=next).next_back() else {
                    break;
                };
                let offset = next.wrapping_sub(start) as usize;
                if offset >= data.len() {
                    break;
                }
                let take = (data.len() - offset).min(end.wrapping_sub(next) as usize);
                checksum.update(&data[offset..offset + take]);
                next = next.wrapping_add(take as u32);
            }
            assert_eq!(
                checksum.fed(),
                bytes,
                "{} frame {frame}: mapping payload not all captured",
                path.display()
            );
            if checksum.verify(csum) {
                results.checksum_valid += 1;
            } else {
                results.checksum_bad.push(frame);
            }
        }
    }
    results.checksum_bad.sort();
    results
}

/// Verifies every capture of a current kernel: no bad DSS checksum but on the frame of the
/// altered capture (`altered`: its file name and frame), no legacy ADD_ADDR HMAC. Returns the
/// join HMACs, ADD_ADDR HMACs and DSS checksums that verified.
fn verify_kernel_captures(
    paths: impl IntoIterator<Item = PathBuf>,
    altered: (&str, usize),
) -> (usize, usize, usize) {
    let (mut joins, mut add_addrs, mut checksums) = (0, 0, 0);
    for path in paths {
        let r = analyse(&path);
        let name = path.file_name().unwrap().to_str().unwrap();
        let expected_bad: &[usize] = if name == altered.0 { &[altered.1] } else { &[] };
        assert_eq!(
            r.checksum_bad, expected_bad,
            "{name}: frames with a bad DSS checksum"
        );
        assert!(
            r.add_addr_legacy.is_empty(),
            "{name}: legacy ADD_ADDR HMAC from a current kernel"
        );
        joins += r.join_hmacs_valid;
        add_addrs += r.add_addr_valid;
        checksums += r.checksum_valid;
    }
    println!("verified: {joins} join HMACs, {add_addrs} ADD_ADDR HMACs, {checksums} DSS checksums");
    (joins, add_addrs, checksums)
}

#[test]
fn own_kernel_captures_all_verify_but_the_altered_payload() {
    let own = support::OWN_KERNEL.iter().map(|name| support::own(name));
    let (joins, add_addrs, checksums) = verify_kernel_captures(own, ("mp_fail_srvside.pcap", 14));
    // 14 joins (2 HMACs each: join_addaddr_datafin, remove_addr and fastclose_linger0 have 2,
    // fastclose_statefulfw 1 in each view, addaddr_port, mp_prio_backup, join_rejected_limits,
    // dss_checksum, server_initiated_join, v6_endpoint_del 1); 15 announcements (4 in each
    // view of add_addr_echo_lost, 1 in each of 7 others). DSS checksums, each mapping counted
    // on every segment that carries it: dss_checksum 37 (16 mappings of 1500 bytes on two
    // segments each, 5 DATA_FINs); mp_fail 8 at the client (its lines 0-3, the server's
    // echoes of 0-2 and of the altered line 3, which the server checksums as it got it) and 7
    // at the server (the altered line 3 is the bad one).
    assert_eq!(joins, 28, "join HMACs verified");
    assert_eq!(add_addrs, 15, "ADD_ADDR HMACs verified");
    assert_eq!(checksums, 52, "DSS checksums verified");
}

#[test]
fn kernel_captures_all_verify_but_the_altered_payload() {
    if support::shared_for("kernel_captures_all_verify_but_the_altered_payload").is_none() {
        return;
    }
    let altered = ("10_v4_mp_fail_single_subflow_srvside.pcap", 20);
    let (joins, add_addrs, checksums) =
        verify_kernel_captures(support::captures_in("kernel"), altered);
    // Every join (2 HMACs each), announcement and checksummed mapping of the inventory in
    // captures/README.md; the infinite mappings carry no checksum to verify.
    assert_eq!(joins, 42, "join HMACs verified");
    assert_eq!(add_addrs, 12, "ADD_ADDR HMACs verified");
    assert_eq!(checksums, 109, "DSS checksums verified");
}

#[test]
fn public_v0_joins_and_checksums_verify() {
    // The crafted RFC 6824 connection: one join (2 HMAC-SHA1s), 4 checksummed mappings (one
    // over two segments).
    let r = analyse(&support::own("v0_connection.pcap"));
    assert_eq!(
        (r.join_hmacs_valid, r.checksum_valid, &r.checksum_bad[..]),
        (2, 4, &[][..]),
        "{r:?}"
    );
    let r = analyse(&support::own("encap_plain.pcap"));
    assert_eq!(
        (r.checksum_valid, &r.checksum_bad[..]),
        (2, &[][..]),
        "{r:?}"
    );
    if support::shared_for("public_v0_joins_and_checksums_verify").is_none() {
        return;
    }
    let r = analyse(&support::captures_dir().join("public/mptcp-v0.pcap"));
    assert!(r.join_hmacs_valid >= 2, "{r:?}");
    assert!(r.checksum_bad.is_empty() && r.checksum_valid > 50, "{r:?}");
    let r = analyse(&support::captures_dir().join("public/mptcp-fclose.pcap"));
    assert!(r.checksum_bad.is_empty() && r.checksum_valid >= 2, "{r:?}");
}

#[test]
fn early_linux_add_addr_hmac_is_the_legacy_leftmost_form() {
    // tcpdump's capture of early Linux: nothing the repository's scripts make.
    if support::skip_without_shared("early_linux_add_addr_hmac_is_the_legacy_leftmost_form") {
        return;
    }
    let r = analyse(&support::captures_dir().join("public/mptcp-aa-v1.pcap"));
    assert_eq!(r.add_addr_legacy, [(13, LegacyAddAddrHmac::Leftmost64)]);
    assert_eq!(r.add_addr_valid, 0);
}
