//! The analysis engine on synthetic segments, for every finding the shared captures do not
//! show, and for the cases where a finding must not fire. Options are built with the crate's
//! own encoder.
#![cfg(feature = "analysis")]

use mptcp_parse::analysis::{
    AddAddrVerdict, Config, Engine, Finding, HandshakeStep, JoinRefusal, Packet,
};
use mptcp_parse::crypto::{self, Version};
use mptcp_parse::*;
use std::net::{IpAddr, Ipv4Addr};

const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;
const SYN_ACK: u8 = SYN | ACK;

const KEY_A: u64 = 0x1111_2222_3333_4444;
const KEY_B: u64 = 0x5555_6666_7777_8888;

#[derive(Clone, Copy)]
struct End {
    ip: IpAddr,
    port: u16,
}

fn end(last: u8, port: u16) -> End {
    End {
        ip: IpAddr::V4(Ipv4Addr::new(10, 0, last, 1)),
        port,
    }
}

/// A TCP segment with the given MPTCP options (NOP-padded to a 4-byte boundary).
fn segment(
    src: End,
    dst: End,
    flags: u8,
    seq: u32,
    ack: u32,
    options: &[MptcpOption],
    payload: &[u8],
) -> Vec<u8> {
    let mut opts = Vec::new();
    for o in options {
        let mut buf = [0u8; 40];
        let n = o.emit(&mut buf).unwrap();
        opts.extend_from_slice(&buf[..n]);
    }
    while opts.len() % 4 != 0 {
        opts.push(1);
    }
    let mut s = Vec::new();
    s.extend_from_slice(&src.port.to_be_bytes());
    s.extend_from_slice(&dst.port.to_be_bytes());
    s.extend_from_slice(&seq.to_be_bytes());
    s.extend_from_slice(&ack.to_be_bytes());
    s.push((((20 + opts.len()) / 4) as u8) << 4);
    s.push(flags);
    s.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
    s.extend_from_slice(&opts);
    s.extend_from_slice(payload);
    s
}

/// Feeds segments to an engine, numbering frames from 1, 10 ms apart.
struct Sim {
    engine: Engine,
    frame: u32,
    /// The connection `process` reported for each frame.
    connections: Vec<Option<u32>>,
}

impl Sim {
    fn new() -> Sim {
        Sim {
            engine: Engine::new(Config::default()),
            frame: 0,
            connections: Vec::new(),
        }
    }

    fn send(
        &mut self,
        src: End,
        dst: End,
        flags: u8,
        seq: u32,
        options: &[MptcpOption],
        payload: &[u8],
    ) -> (u32, Vec<Finding>) {
        self.frame += 1;
        let tcp = segment(src, dst, flags, seq, 0, options, payload);
        let packet = Packet {
            frame: self.frame,
            time: i64::from(self.frame) * 10_000_000,
            src: src.ip,
            dst: dst.ip,
            stream: None,
            tcp: &tcp,
        };
        let report = self.engine.process(&packet);
        self.connections.push(report.connection);
        (self.frame, report.findings.to_vec())
    }

    fn findings(&self, frame: u32) -> Vec<Finding> {
        self.engine.findings(frame).to_vec()
    }

    fn all(&self) -> Vec<(u32, Finding)> {
        (1..=self.frame)
            .flat_map(|f| self.findings(f).into_iter().map(move |x| (f, x)))
            .collect()
    }
}

fn capable(flags: u8, form: CapableForm<'static>) -> MptcpOption<'static> {
    MptcpOption::MpCapable(MpCapable {
        version: 1,
        flags: CapableFlags(flags),
        form,
    })
}

fn dss(data_ack: Option<u64>, mapping: Option<Mapping>) -> MptcpOption<'static> {
    MptcpOption::Dss(Dss {
        data_ack: data_ack.map(DataSeq::U64),
        mapping,
        data_fin: false,
        unused_flags: 0,
        reserved: 0,
    })
}

fn fastclose(key: u64) -> MptcpOption<'static> {
    MptcpOption::MpFastclose(MpFastclose {
        reserved: 0,
        receiver_key: key,
    })
}

/// An MPTCP v1 handshake between `a` (ISN 1000) and `b` (ISN 5000); checksums when `csum`.
fn connect(sim: &mut Sim, a: End, b: End, csum: bool) {
    let flags = if csum { 0x81 } else { 0x01 };
    sim.send(a, b, SYN, 1000, &[capable(flags, CapableForm::Bare)], b"");
    sim.send(
        b,
        a,
        SYN_ACK,
        5000,
        &[capable(flags, CapableForm::SenderKey { key: KEY_B })],
        b"",
    );
    sim.send(
        a,
        b,
        ACK,
        1001,
        &[capable(
            flags,
            CapableForm::BothKeys {
                sender_key: KEY_A,
                receiver_key: KEY_B,
            },
        )],
        b"",
    );
}

fn join_syn(id: u8, token: u32, nonce: u32) -> MptcpOption<'static> {
    MptcpOption::MpJoin(MpJoin {
        backup: false,
        reserved: 0,
        form: JoinForm::Syn {
            address_id: id,
            receiver_token: token,
            sender_nonce: nonce,
        },
    })
}

const R_A: u32 = 0xaaaa_0001;
const R_B: u32 = 0xbbbb_0002;

/// The join below: `a2` (key A, R_A) joins `b` (key B, R_B).
fn join_handshake() -> crypto::JoinHandshake {
    crypto::JoinHandshake {
        joiner: crypto::JoinHost::new(crypto::Key(KEY_A), crypto::Nonce(R_A)),
        listener: crypto::JoinHost::new(crypto::Key(KEY_B), crypto::Nonce(R_B)),
    }
}

/// A join from `a2` to `b`, with HMACs computed from the keys (the SYN/ACK's forged when asked).
fn join(sim: &mut Sim, a2: End, b: End, forge_synack: bool) -> [u32; 3] {
    let token_b = crypto::key_derived(Version::V1, crypto::Key(KEY_B)).token;
    let (f1, _) = sim.send(a2, b, SYN, 7000, &[join_syn(2, token_b, R_A)], b"");
    let mut hmac_b = join_handshake().syn_ack_hmac(Version::V1).leftmost_64();
    if forge_synack {
        hmac_b ^= 1;
    }
    let synack = MptcpOption::MpJoin(MpJoin {
        backup: false,
        reserved: 0,
        form: JoinForm::SynAck {
            address_id: 0,
            truncated_hmac: hmac_b,
            sender_nonce: R_B,
        },
    });
    let (f2, _) = sim.send(b, a2, SYN_ACK, 9000, &[synack], b"");
    let hmac_a = join_handshake().ack_hmac(Version::V1).leftmost_160();
    let ack = MptcpOption::MpJoin(MpJoin {
        backup: false,
        reserved: 0,
        form: JoinForm::Ack {
            reserved: 0,
            hmac: &hmac_a,
        },
    });
    let (f3, _) = sim.send(a2, b, ACK, 7001, &[ack], b"");
    [f1, f2, f3]
}

#[test]
fn valid_join_verifies_both_hmacs_and_nothing_else() {
    let (a, a2, b) = (end(1, 40000), end(2, 40001), end(3, 80));
    let mut sim = Sim::new();
    connect(&mut sim, a, b, false);
    let [_, synack, ack] = join(&mut sim, a2, b, false);
    assert_eq!(
        sim.findings(synack),
        [Finding::JoinHmac {
            step: HandshakeStep::SynAck,
            valid: true
        }]
    );
    assert_eq!(
        sim.findings(ack),
        [Finding::JoinHmac {
            step: HandshakeStep::Ack,
            valid: true
        }]
    );
    assert_eq!(sim.all().len(), 2);
    // The join belongs to the connection.
    assert_eq!(sim.connections[synack as usize - 1], Some(0));
    assert_eq!(sim.engine.connection_count(), 1);
}

#[test]
fn forged_join_hmac_is_reported() {
    let (a, a2, b) = (end(1, 40000), end(2, 40001), end(3, 80));
    let mut sim = Sim::new();
    connect(&mut sim, a, b, false);
    let [_, synack, _] = join(&mut sim, a2, b, true);
    assert_eq!(
        sim.findings(synack),
        [Finding::JoinHmac {
            step: HandshakeStep::SynAck,
            valid: false
        }]
    );
}

#[test]
fn join_with_unknown_token_is_noted_once() {
    let (a2, b) = (end(2, 40001), end(3, 80));
    let mut sim = Sim::new();
    let (f, found) = sim.send(a2, b, SYN, 7000, &[join_syn(2, 0xdead_beef, R_A)], b"");
    assert_eq!(found, [Finding::JoinUnknownToken { token: 0xdead_beef }]);
    // Its retransmission is not noted again.
    let (_, again) = sim.send(a2, b, SYN, 7000, &[join_syn(2, 0xdead_beef, R_A)], b"");
    assert_eq!(again, []);
    assert_eq!(f, 1);
}

#[test]
fn join_refused_by_plain_rst_or_stripped_synack() {
    let (a, a2, b) = (end(1, 40000), end(2, 40001), end(3, 80));
    let token_b = crypto::key_derived(Version::V1, crypto::Key(KEY_B)).token;

    let mut sim = Sim::new();
    connect(&mut sim, a, b, false);
    let (syn, _) = sim.send(a2, b, SYN, 7000, &[join_syn(2, token_b, R_A)], b"");
    let (_, found) = sim.send(b, a2, RST | ACK, 0, &[], b"");
    assert_eq!(
        found,
        [Finding::JoinRefused {
            how: JoinRefusal::Rst,
            syn
        }]
    );

    let mut sim = Sim::new();
    connect(&mut sim, a, b, false);
    let (syn, _) = sim.send(a2, b, SYN, 7000, &[join_syn(2, token_b, R_A)], b"");
    let (_, found) = sim.send(b, a2, SYN_ACK, 9000, &[], b"");
    assert_eq!(
        found,
        [Finding::JoinRefused {
            how: JoinRefusal::SynAckWithoutJoin,
            syn
        }]
    );

    // A RST that says why is a reason, not a refusal without one.
    let mut sim = Sim::new();
    connect(&mut sim, a, b, false);
    sim.send(a2, b, SYN, 7000, &[join_syn(2, token_b, R_A)], b"");
    let tcprst = MptcpOption::MpTcpRst(MpTcpRst {
        reserved: 0,
        transient: false,
        reason: RstReason::ADMINISTRATIVELY_PROHIBITED,
    });
    let (_, found) = sim.send(b, a2, RST, 0, &[tcprst], b"");
    assert_eq!(
        found,
        [Finding::RstReasonGiven {
            reason: RstReason::ADMINISTRATIVELY_PROHIBITED,
            transient: false
        }]
    );
}

#[test]
fn mptcp_syns_dropped_then_plain_syn() {
    let (a, b) = (end(1, 40000), end(3, 80));
    let mut sim = Sim::new();
    for _ in 0..3 {
        sim.send(a, b, SYN, 1000, &[capable(0x01, CapableForm::Bare)], b"");
    }
    let (_, found) = sim.send(a, b, SYN, 1000, &[], b"");
    assert_eq!(
        found,
        [Finding::SynDropped {
            attempts: 3,
            first_syn: 1
        }]
    );
}

#[test]
fn answered_or_single_mptcp_syn_is_not_a_drop() {
    let (a, b) = (end(1, 40000), end(3, 80));
    // One MP_CAPABLE SYN, then a plain one: no retransmission, no conclusion.
    let mut sim = Sim::new();
    sim.send(a, b, SYN, 1000, &[capable(0x01, CapableForm::Bare)], b"");
    assert_eq!(sim.send(a, b, SYN, 1000, &[], b"").1, []);
    // An answered MP_CAPABLE connection, then a later plain connection to the same port.
    let mut sim = Sim::new();
    sim.send(a, b, SYN, 1000, &[capable(0x01, CapableForm::Bare)], b"");
    sim.send(a, b, SYN, 1000, &[capable(0x01, CapableForm::Bare)], b"");
    sim.send(
        b,
        a,
        SYN_ACK,
        5000,
        &[capable(0x01, CapableForm::SenderKey { key: KEY_B })],
        b"",
    );
    assert_eq!(sim.send(end(1, 40002), b, SYN, 3000, &[], b"").1, []);
}

#[test]
fn answered_mptcp_syn_retransmitted_is_not_a_drop_but_a_new_one_is() {
    // The engine forgets a destination once its SYN is answered; the subflow remembers.
    let (a, b) = (end(1, 40000), end(3, 80));
    let mut sim = Sim::new();
    sim.send(a, b, SYN, 1000, &[capable(0x01, CapableForm::Bare)], b"");
    sim.send(
        b,
        a,
        SYN_ACK,
        5000,
        &[capable(0x01, CapableForm::SenderKey { key: KEY_B })],
        b"",
    );
    // The same SYN again (its answer lost after the capture point), then a plain retry.
    sim.send(a, b, SYN, 1000, &[capable(0x01, CapableForm::Bare)], b"");
    sim.send(a, b, SYN, 1000, &[capable(0x01, CapableForm::Bare)], b"");
    assert_eq!(sim.send(a, b, SYN, 1000, &[], b"").1, []);
    // A new attempt on the same ports after an answered one counts from its own first SYN.
    let mut sim = Sim::new();
    sim.send(a, b, SYN, 1000, &[capable(0x01, CapableForm::Bare)], b"");
    sim.send(
        b,
        a,
        SYN_ACK,
        5000,
        &[capable(0x01, CapableForm::SenderKey { key: KEY_B })],
        b"",
    );
    let (first, _) = sim.send(a, b, SYN, 3000, &[capable(0x01, CapableForm::Bare)], b"");
    sim.send(a, b, SYN, 3000, &[capable(0x01, CapableForm::Bare)], b"");
    assert_eq!(
        sim.send(a, b, SYN, 3000, &[], b"").1,
        [Finding::SynDropped {
            attempts: 2,
            first_syn: first
        }]
    );
}

#[test]
fn unanswered_fastclose_shows_at_the_end() {
    let (a, b) = (end(1, 40000), end(3, 80));
    let mut sim = Sim::new();
    connect(&mut sim, a, b, false);
    let (first, found) = sim.send(a, b, ACK, 1001, &[fastclose(KEY_B)], b"");
    // The valid key is a check that passed: after the findings.
    assert_eq!(
        found,
        [
            Finding::FastcloseInitiated {
                answered_in: None,
                answer_delay: None
            },
            Finding::FastcloseKey { valid: true }
        ]
    );
    assert!(found[1].is_passed_check() && !found[0].is_passed_check());
    let outcome = sim.engine.frame_outcome(first);
    assert!(outcome.findings && outcome.passed_checks, "{outcome:?}");
    sim.send(a, b, ACK, 1001, &[fastclose(KEY_B)], b"");
    let (last, _) = sim.send(a, b, ACK, 1001, &[fastclose(KEY_B)], b"");
    // One pass: nothing says it stays unanswered yet.
    assert!(!sim
        .findings(last)
        .iter()
        .any(|f| matches!(f, Finding::FastcloseUnanswered { .. })));
    sim.engine.finish();
    assert!(sim
        .findings(last)
        .contains(&Finding::FastcloseUnanswered { retransmissions: 2 }));
    assert_eq!(first, 4);
    // finish is idempotent.
    sim.engine.finish();
    assert_eq!(
        sim.findings(last)
            .iter()
            .filter(|f| matches!(f, Finding::FastcloseUnanswered { .. }))
            .count(),
        1
    );
}

#[test]
fn answered_fastclose_links_forward() {
    let (a, b) = (end(1, 40000), end(3, 80));
    let mut sim = Sim::new();
    connect(&mut sim, a, b, false);
    let (first, _) = sim.send(a, b, ACK, 1001, &[fastclose(KEY_B)], b"");
    let (rst, _) = sim.send(b, a, RST, 5001, &[], b"");
    sim.engine.finish();
    assert_eq!(
        sim.findings(first)[0],
        Finding::FastcloseInitiated {
            answered_in: Some(rst),
            answer_delay: Some(10_000_000)
        }
    );
    assert!(!sim
        .all()
        .iter()
        .any(|(_, f)| matches!(f, Finding::FastcloseUnanswered { .. })));
}

#[test]
fn forged_fastclose_key_is_an_error_and_unknown_key_is_silent() {
    let (a, b) = (end(1, 40000), end(3, 80));
    let mut sim = Sim::new();
    connect(&mut sim, a, b, false);
    let (_, found) = sim.send(b, a, RST | ACK, 5001, &[fastclose(0x0bad)], b"");
    assert_eq!(found, [Finding::FastcloseKey { valid: false }]);

    // Mid-connection: no handshake, so no verdict at all.
    let mut sim = Sim::new();
    let (_, found) = sim.send(b, a, RST | ACK, 5001, &[fastclose(0x0bad)], b"");
    assert_eq!(found, []);
}

#[test]
fn fastclose_without_ack_is_misuse() {
    let (a, b) = (end(1, 40000), end(3, 80));
    let mut sim = Sim::new();
    connect(&mut sim, a, b, false);
    let (_, found) = sim.send(a, b, RST, 1001, &[fastclose(KEY_B)], b"");
    assert!(found.contains(&Finding::FastcloseMisuse), "{found:?}");
    let (_, found) = sim.send(a, b, SYN, 1001, &[fastclose(KEY_B)], b"");
    assert!(found.contains(&Finding::FastcloseMisuse), "{found:?}");
}

#[test]
fn option_r_fastclose_names_the_subflow_left_open() {
    let (a, a2, b) = (end(1, 40000), end(2, 40001), end(3, 80));
    let mut sim = Sim::new();
    connect(&mut sim, a, b, false);
    join(&mut sim, a2, b, false);
    let (at, _) = sim.send(a, b, RST | ACK, 1001, &[fastclose(KEY_B)], b"");
    sim.engine.finish();
    // Subflow 1 (the join) got no RST.
    assert!(
        sim.findings(at)
            .contains(&Finding::FastcloseSubflowsNotReset { streams: vec![1] }),
        "{:?}",
        sim.findings(at)
    );

    // Both reset: nothing to say.
    let mut sim = Sim::new();
    connect(&mut sim, a, b, false);
    join(&mut sim, a2, b, false);
    sim.send(a, b, RST | ACK, 1001, &[fastclose(KEY_B)], b"");
    sim.send(a2, b, RST | ACK, 7001, &[fastclose(KEY_B)], b"");
    sim.engine.finish();
    assert!(!sim
        .all()
        .iter()
        .any(|(_, f)| matches!(f, Finding::FastcloseSubflowsNotReset { .. })));
}

fn add_addr(id: u8, last: u8, echo: bool, hmac: Option<u64>) -> MptcpOption<'static> {
    MptcpOption::AddAddr(AddAddr {
        version: AddAddrVersion::V1 { echo, reserved: 0 },
        address_id: id,
        address: IpAddr::V4(Ipv4Addr::new(10, 0, last, 1)),
        port: None,
        truncated_hmac: hmac,
    })
}

#[test]
fn add_addr_repeated_with_and_without_echo() {
    let (a, b) = (end(1, 40000), end(3, 80));
    let address = IpAddr::V4(Ipv4Addr::new(10, 0, 4, 1));
    let hmac = crypto::AddAddrKeys {
        sender: crypto::Key(KEY_B),
        receiver: crypto::Key(KEY_A),
    }
    .hmac(5, address, None);
    let h = u64::from_be_bytes(hmac.as_bytes()[24..32].try_into().unwrap());
    let mut sim = Sim::new();
    connect(&mut sim, a, b, false);
    let (first, found) = sim.send(b, a, ACK, 5001, &[add_addr(5, 4, false, Some(h))], b"");
    assert_eq!(
        found,
        [Finding::AddAddrHmac {
            verdict: AddAddrVerdict::Valid
        }]
    );
    let (second, found) = sim.send(b, a, ACK, 5001, &[add_addr(5, 4, false, Some(h))], b"");
    // (Checks that passed come after the other findings of a frame.)
    assert_eq!(
        found,
        [
            Finding::AddAddrRepeated {
                previous: first,
                echo_seen: false
            },
            Finding::AddAddrHmac {
                verdict: AddAddrVerdict::Valid
            }
        ]
    );
    sim.send(a, b, ACK, 1001, &[add_addr(5, 4, true, None)], b"");
    let (_, found) = sim.send(b, a, ACK, 5001, &[add_addr(5, 4, false, Some(h))], b"");
    assert_eq!(
        found[0],
        Finding::AddAddrRepeated {
            previous: second,
            echo_seen: true
        }
    );
    // Another ID is another announcement; a wrong HMAC is reported.
    let (_, found) = sim.send(b, a, ACK, 5001, &[add_addr(6, 4, false, Some(h))], b"");
    assert_eq!(
        found,
        [Finding::AddAddrHmac {
            verdict: AddAddrVerdict::Invalid
        }]
    );
}

fn mapping(dsn: u64, ssn: u32, len: u16, checksum: Option<u16>) -> Option<Mapping> {
    Some(Mapping {
        dsn: DataSeq::U64(dsn),
        ssn,
        data_len: len,
        checksum,
    })
}

#[test]
fn checksum_over_a_mapping_spanning_three_segments() {
    let (a, b) = (end(1, 40000), end(3, 80));
    let payload: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let dsn = crypto::key_derived(Version::V1, crypto::Key(KEY_A)).idsn + 1;
    let good = crypto::dss_checksum(dsn, 1, 3000, &payload);
    for (csum, valid) in [(good, true), (good ^ 0x00ff, false)] {
        let mut sim = Sim::new();
        connect(&mut sim, a, b, true);
        let (map_frame, found) = sim.send(
            a,
            b,
            ACK,
            1001,
            &[dss(None, mapping(dsn, 1, 3000, Some(csum)))],
            &payload[..1400],
        );
        assert_eq!(found, []);
        let (_, found) = sim.send(a, b, ACK, 2401, &[dss(None, None)], &payload[1400..2800]);
        assert_eq!(found, []);
        let (last, found) = sim.send(a, b, ACK, 3801, &[dss(None, None)], &payload[2800..]);
        assert_eq!(
            found,
            [Finding::DssChecksum {
                valid,
                mapping_frame: map_frame,
                completed_in: last,
                followed_by: None
            }]
        );
        // The frame that carried the DSS shows the verdict too, once known; the one between,
        // without the DSS, does not.
        assert_eq!(
            sim.findings(map_frame),
            [Finding::DssChecksum {
                valid,
                mapping_frame: map_frame,
                completed_in: last,
                followed_by: None
            }]
        );
        assert_eq!(sim.findings(map_frame + 1), []);
        let outcome = sim.engine.frame_outcome(map_frame);
        assert_eq!((outcome.findings, outcome.passed_checks), (!valid, valid));
    }
}

#[test]
fn checksum_presence_must_match_the_handshake() {
    let (a, b) = (end(1, 40000), end(3, 80));
    let mut sim = Sim::new();
    connect(&mut sim, a, b, false);
    let (_, found) = sim.send(
        a,
        b,
        ACK,
        1001,
        &[dss(None, mapping(1, 1, 1, Some(0)))],
        b"x",
    );
    assert_eq!(found[0], Finding::ChecksumPresence { present: true });

    let mut sim = Sim::new();
    connect(&mut sim, a, b, true);
    let (_, found) = sim.send(a, b, ACK, 1001, &[dss(None, mapping(1, 1, 1, None))], b"x");
    assert_eq!(found, [Finding::ChecksumPresence { present: false }]);
}

#[test]
fn capture_from_mid_connection_raises_no_false_alarm() {
    // No handshake: no keys, no ISN. Checksums, keys and stripping cannot be judged.
    let (a, b) = (end(1, 40000), end(3, 80));
    let mut sim = Sim::new();
    sim.send(
        a,
        b,
        ACK,
        1_000_000,
        &[dss(Some(5), mapping(99, 1234, 100, Some(0xdead)))],
        &[7; 100],
    );
    sim.send(a, b, ACK, 1_000_100, &[], &[7; 100]);
    sim.send(b, a, ACK | RST, 5, &[fastclose(0x1234)], b"");
    sim.engine.finish();
    assert_eq!(sim.all(), []);
}

#[test]
fn one_direction_only_raises_no_false_alarm() {
    // Only the client's packets of a healthy connection: no SYN/ACK seen, nothing to conclude.
    let (a, b) = (end(1, 40000), end(3, 80));
    let mut sim = Sim::new();
    sim.send(a, b, SYN, 1000, &[capable(0x01, CapableForm::Bare)], b"");
    sim.send(
        a,
        b,
        ACK,
        1001,
        &[capable(
            0x01,
            CapableForm::BothKeys {
                sender_key: KEY_A,
                receiver_key: KEY_B,
            },
        )],
        b"",
    );
    sim.send(
        a,
        b,
        ACK,
        1001,
        &[dss(None, mapping(1, 1, 100, None))],
        &[1; 100],
    );
    sim.send(
        a,
        b,
        ACK,
        1101,
        &[dss(None, mapping(101, 101, 100, None))],
        &[1; 100],
    );
    sim.engine.finish();
    assert_eq!(sim.all(), []);
}

#[test]
fn stripped_dss_on_established_subflow_is_reported_once() {
    let (a, b) = (end(1, 40000), end(3, 80));
    let mut sim = Sim::new();
    connect(&mut sim, a, b, false);
    sim.send(
        a,
        b,
        ACK,
        1001,
        &[dss(None, mapping(1, 1, 100, None))],
        &[1; 100],
    );
    // Next 100 bytes: no mapping covers them.
    let (_, found) = sim.send(a, b, ACK, 1101, &[], &[1; 100]);
    assert_eq!(found, [Finding::OptionsMissing]);
    let (_, found) = sim.send(a, b, ACK, 1201, &[], &[1; 100]);
    assert_eq!(found, []);
}

#[test]
fn a_frame_seen_again_reports_the_same() {
    let (a, b) = (end(1, 40000), end(3, 80));
    let mut sim = Sim::new();
    connect(&mut sim, a, b, false);
    let tcp = segment(a, b, ACK, 1001, 0, &[fastclose(KEY_B)], b"");
    let packet = Packet {
        frame: 4,
        time: 40_000_000,
        src: a.ip,
        dst: b.ip,
        stream: None,
        tcp: &tcp,
    };
    let first = sim.engine.process(&packet).findings.to_vec();
    let again = sim.engine.process(&packet).findings.to_vec();
    assert_eq!(first, again);
    assert_eq!(first.len(), 2);
}

// Regression tests named after what real captures found (tests/captures/).

#[test]
fn regression_syn_drop_fallback_synack_is_not_a_stripped_handshake() {
    // syn_drop_fallback.pcap: the SYN/ACK answering the plain retry SYN carries no MP_CAPABLE,
    // rightly: the retry did not ask for MPTCP.
    let (a, b) = (end(1, 40000), end(3, 80));
    let mut sim = Sim::new();
    for _ in 0..3 {
        sim.send(a, b, SYN, 1000, &[capable(0x01, CapableForm::Bare)], b"");
    }
    sim.send(a, b, SYN, 1000, &[], b"");
    assert_eq!(sim.send(b, a, SYN_ACK, 5000, &[], b"").1, []);
    sim.send(a, b, ACK, 1001, &[], b"");
    assert_eq!(sim.send(a, b, ACK, 1001, &[], &[1; 100]).1, []);
    sim.engine.finish();
    assert_eq!(
        sim.all(),
        [(
            4,
            Finding::SynDropped {
                attempts: 3,
                first_syn: 1
            }
        )]
    );
}

#[test]
fn regression_forged_fastclose_is_not_followed_as_a_fastclose() {
    // forged_fastclose_key.pcap: the receiver ignores a fastclose with a wrong key, so it is
    // neither "initiated" nor, at the end, "unanswered".
    let (a, b) = (end(1, 40000), end(3, 80));
    let mut sim = Sim::new();
    connect(&mut sim, a, b, false);
    let (_, found) = sim.send(a, b, ACK, 1001, &[fastclose(0x0bad)], b"");
    assert_eq!(found, [Finding::FastcloseKey { valid: false }]);
    sim.engine.finish();
    assert_eq!(sim.all(), [(4, Finding::FastcloseKey { valid: false })]);
}

#[test]
fn syn_flood_hits_the_tracking_limit_once_and_keeps_going() {
    use mptcp_parse::analysis::MAX_SYN_ATTEMPTS;
    let server = end(3, 80);
    let mut sim = Sim::new();
    let mut limit_frames = Vec::new();
    for i in 0..=MAX_SYN_ATTEMPTS as u32 + 10 {
        let src = End {
            ip: IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)),
            port: 1024 + (i % 60000) as u16,
        };
        let (frame, found) = sim.send(
            src,
            server,
            SYN,
            i,
            &[capable(0x01, CapableForm::Bare)],
            b"",
        );
        if found
            .iter()
            .any(|f| matches!(f, Finding::StateLimit { .. }))
        {
            limit_frames.push(frame);
        }
    }
    assert_eq!(limit_frames, [MAX_SYN_ATTEMPTS as u32 + 1]);
    // Analysis goes on for other traffic.
    let (a, a2, b) = (end(1, 40000), end(2, 40001), end(3, 81));
    connect(&mut sim, a, b, false);
    let [_, synack, _] = join(&mut sim, a2, b, false);
    assert_eq!(
        sim.findings(synack),
        [Finding::JoinHmac {
            step: HandshakeStep::SynAck,
            valid: true
        }]
    );
}

#[test]
fn an_address_id_rebound_to_another_address_is_not_a_repeat() {
    let (a, b) = (end(1, 40000), end(3, 80));
    let repeats = |found: Vec<Finding>| {
        found
            .into_iter()
            .filter(|f| matches!(f, Finding::AddAddrRepeated { .. }))
            .count()
    };
    let mut sim = Sim::new();
    connect(&mut sim, a, b, false);
    sim.send(b, a, ACK, 5001, &[add_addr(5, 4, false, Some(1))], b"");
    assert_eq!(
        repeats(
            sim.send(b, a, ACK, 5001, &[add_addr(5, 6, false, Some(1))], b"")
                .1
        ),
        0
    );
    assert_eq!(
        repeats(
            sim.send(b, a, ACK, 5001, &[add_addr(5, 6, false, Some(1))], b"")
                .1
        ),
        1
    );
}

#[test]
fn frame_seen_again_is_not_analysed_again_and_finds_its_connection_by_stream() {
    let (a, b) = (end(1, 40000), end(3, 80));
    let mut engine = Engine::new(Config::default());
    let syn = segment(a, b, SYN, 1000, 0, &[capable(0x01, CapableForm::Bare)], b"");
    let synack = segment(
        b,
        a,
        SYN_ACK,
        5000,
        1001,
        &[capable(0x01, CapableForm::SenderKey { key: KEY_B })],
        b"",
    );
    let fastclose_1 = segment(a, b, ACK, 1001, 5001, &[fastclose(KEY_B)], b"");
    let fastclose_2 = segment(a, b, ACK, 1001, 5001, &[fastclose(KEY_B)], b"");
    let frames = [&syn, &synack, &fastclose_1, &fastclose_2];
    let packet = |i: usize| {
        let (src, dst) = if i == 1 { (b.ip, a.ip) } else { (a.ip, b.ip) };
        Packet {
            frame: i as u32 + 1,
            time: i as i64 * 1_000_000,
            src,
            dst,
            stream: Some(7),
            tcp: frames[i],
        }
    };
    let pass = |engine: &mut Engine| -> Vec<(Option<u32>, Vec<Finding>)> {
        (0..frames.len())
            .map(|i| {
                let r = engine.process(&packet(i));
                (r.connection, r.findings.to_vec())
            })
            .collect()
    };
    let first = pass(&mut engine);
    assert!(first.iter().all(|(c, _)| *c == Some(0)), "{first:?}");
    assert!(
        first[3].1.iter().any(|f| matches!(
            f,
            Finding::FastcloseRetransmitted {
                number: 1,
                first: 3,
                ..
            }
        )),
        "{first:?}"
    );
    // The second pass gives the same answers, and no second retransmission is counted.
    let again = pass(&mut engine);
    assert_eq!(first, again);
    assert_eq!(engine.connection_of_stream(7), Some(0));
    assert_eq!(engine.connection_of_stream(8), None);
    assert_eq!(engine.subflow_count(), 1);
}

/// Streams numbered as Wireshark numbers them (0, 1, 2...) are found by their slot, numbers
/// far beyond the slots by a table; a number filed in the table stays found once the slots
/// have grown past it, and no stream gets a second subflow.
#[test]
fn subflows_are_found_by_stream_number_dense_or_not() {
    let mut engine = Engine::new(Config::default());
    let b = end(3, 80);
    let mut frame = 0;
    let mut feed = |engine: &mut Engine, stream: u32| {
        frame += 1;
        let a = end(1, 10_000 + (stream % 50_000) as u16);
        let tcp = segment(a, b, ACK, 1000, 1, &[], b"x");
        engine.process(&Packet {
            frame,
            time: i64::from(frame),
            src: a.ip,
            dst: b.ip,
            stream: Some(stream),
            tcp: &tcp,
        });
    };
    // Far ahead first, then every number up to past the first one, then all of them again.
    let ahead = [5_000, 1_000_000];
    let order: Vec<u32> = ahead
        .into_iter()
        .chain(0..6_000)
        .chain(ahead)
        .chain(0..6_000)
        .collect();
    for &stream in &order {
        feed(&mut engine, stream);
        assert!(engine.subflow_count() <= 6_001, "stream {stream}");
    }
    assert_eq!(engine.subflow_count(), 6_001);
}

/// A plain TCP connection (no MPTCP option on any segment) still closes with its FINs: a
/// caller that gives no stream numbers (the engine then tells subflows apart by addresses and
/// ports) sees a new SYN on the same ports after them start a subflow of its own.
#[test]
fn a_plain_connection_closed_by_fins_leaves_its_ports_to_the_next() {
    const FIN: u8 = 0x01;
    let mut engine = Engine::new(Config::default());
    let (a, b) = (end(1, 40_000), end(2, 80));
    let mut frame = 0;
    let mut feed = |engine: &mut Engine, from_a: bool, flags: u8, seq: u32| {
        frame += 1;
        let (src, dst) = if from_a { (a, b) } else { (b, a) };
        let tcp = segment(src, dst, flags, seq, 1, &[], b"");
        engine.process(&Packet {
            frame,
            time: i64::from(frame),
            src: src.ip,
            dst: dst.ip,
            stream: None,
            tcp: &tcp,
        });
    };
    feed(&mut engine, true, SYN, 1000);
    feed(&mut engine, false, SYN_ACK, 5000);
    feed(&mut engine, true, ACK, 1001);
    feed(&mut engine, true, FIN | ACK, 1001);
    feed(&mut engine, false, FIN | ACK, 5001);
    feed(&mut engine, true, ACK, 1002);
    assert_eq!(engine.subflow_count(), 1);
    // The same ports again, from a new initial sequence number.
    feed(&mut engine, true, SYN, 9000);
    assert_eq!(engine.subflow_count(), 2);
}
