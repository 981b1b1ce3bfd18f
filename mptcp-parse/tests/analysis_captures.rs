//! The analysis engine over real and crafted captures: exact findings on exact frames. Each
//! test checks the repository's own captures (`tests/captures/`), then the shared ones
//! (`kernel/...`, `crafted/...`, `public/...` in `../shared/captures`) when they are present.
#![cfg(feature = "analysis")]

mod support;

use mptcp_parse::analysis::{
    AddAddrVerdict, Config, Engine, FaultTarget, Finding, FrameOutcome, HandshakeStep, Packet,
};
use mptcp_parse::crypto::LegacyAddAddrHmac;
use mptcp_parse::{mptcp_options_lenient, Context, FaultCause, MptcpOption, RstReason, TcpSegment};
use std::path::Path;

/// Runs the engine over a capture (one pass, then `finish`); returns every (frame, finding).
fn analyse(path: &Path) -> Vec<(u32, Finding)> {
    let mut engine = Engine::new(Config::default());
    let frames = support::read_frames(path);
    for p in frames.iter().flatten() {
        let packet = Packet {
            frame: p.frame as u32,
            time: (p.time * 1e9) as i64,
            src: p.src,
            dst: p.dst,
            stream: None,
            tcp: &p.tcp,
        };
        engine.process(&packet);
    }
    engine.finish();
    let mut out = Vec::new();
    for p in frames.iter().flatten() {
        for f in engine.findings(p.frame as u32).iter() {
            out.push((p.frame as u32, f.clone()));
        }
    }
    out
}

fn capture(name: &str) -> std::path::PathBuf {
    support::capture(name)
}

/// The findings of `name` other than the routine successes (valid checksums, HMACs and keys),
/// which are counted by `clean_captures_verify_everything`.
fn notable(name: &str) -> Vec<(u32, Finding)> {
    analyse(&capture(name))
        .into_iter()
        .filter(|(_, f)| !support::is_routine(f))
        .collect()
}

fn reason(code: u8) -> Finding {
    Finding::RstReasonGiven {
        reason: RstReason(code),
        transient: false,
    }
}

#[test]
fn clean_captures_raise_no_alarm() {
    // Captures of healthy connections: no security, checksum, fallback or stripping finding.
    let own = [
        "join_addaddr_datafin.pcap",
        "addaddr_port.pcap",
        "mp_prio_backup.pcap",
        "dss_checksum.pcap",
        "server_initiated_join.pcap",
        "tfo_mp_capable.pcap",
    ];
    for name in support::names(
        "clean_captures_raise_no_alarm",
        &own,
        &[
            "kernel/01_v4_join_addaddr_datafin.pcap",
            "kernel/02_v4_addaddr_port.pcap",
            "kernel/05_v4_mp_prio_backup.pcap",
            "kernel/09_v4_dss_checksum.pcap",
            "kernel/19_v4_server_initiated_join.pcap",
            "kernel/20_v4_bulk_fullmesh.pcap",
            "kernel/21_v4_tfo_mp_capable.pcap",
            "public/mptcp-v1.pcap",
            "public/mptcp-aa-echo.pcap",
            "public/mptcp-dss-oobr.pcap",
        ],
    ) {
        assert_eq!(notable(name), [], "{name}");
    }
}

#[test]
fn clean_captures_verify_everything() {
    let count = |name: &str, pred: fn(&Finding) -> bool| {
        analyse(&capture(name))
            .iter()
            .filter(|(_, f)| pred(f))
            .count()
    };
    // Verdicts shown on a frame before the one that completed the mapping.
    let earlier = |name: &str| {
        let found = analyse(&capture(name));
        found.iter().filter(|(frame, f)| matches!(f, Finding::DssChecksum { completed_in, .. } if completed_in != frame)).count()
    };
    // dss_checksum.pcap: 16 mappings of 1500 bytes (the MP_CAPABLE with data, 7 more writes
    // of the client's and 8 echoes), each over a segment of 1420 bytes and one of 80 that
    // both carry it, and 5 DATA_FIN mappings (length 1, no payload), all valid; one join.
    // 21 verdicts where the mappings complete, 16 on the 1420-byte segments before.
    assert_eq!(
        count("dss_checksum.pcap", |f| matches!(
            f,
            Finding::DssChecksum { valid: true, .. }
        )),
        37
    );
    assert_eq!(earlier("dss_checksum.pcap"), 16);
    assert_eq!(
        count("dss_checksum.pcap", |f| matches!(
            f,
            Finding::DssChecksum { valid: false, .. }
        )),
        0
    );
    assert_eq!(
        count("dss_checksum.pcap", |f| matches!(
            f,
            Finding::JoinHmac { valid: true, .. }
        )),
        2
    );
    // Two joins and one announcement.
    assert_eq!(
        count("join_addaddr_datafin.pcap", |f| matches!(
            f,
            Finding::JoinHmac { valid: true, .. }
        )),
        4
    );
    assert_eq!(
        count("join_addaddr_datafin.pcap", |f| matches!(
            f,
            Finding::AddAddrHmac {
                verdict: AddAddrVerdict::Valid
            }
        )),
        1
    );
    if support::shared_for("clean_captures_verify_everything").is_none() {
        return;
    }
    // 43 distinct DSS mappings (each repeated on the two segments it spans) and two
    // MP_CAPABLE+data mappings, all valid. One segment is lost before the capture point: its
    // mapping is verified once the retransmission fills the gap, never reported bad.
    // The 45 verdicts where the mappings complete, and 40 more: one on each segment of over
    // 1000 bytes, the first of the two a mapping spans.
    assert_eq!(
        count("kernel/09_v4_dss_checksum.pcap", |f| matches!(
            f,
            Finding::DssChecksum { valid: true, .. }
        )),
        85
    );
    assert_eq!(earlier("kernel/09_v4_dss_checksum.pcap"), 40);
    assert_eq!(
        count("kernel/09_v4_dss_checksum.pcap", |f| matches!(
            f,
            Finding::DssChecksum { valid: false, .. }
        )),
        0
    );
    assert_eq!(
        count("kernel/09_v4_dss_checksum.pcap", |f| matches!(
            f,
            Finding::JoinHmac { valid: true, .. }
        )),
        2
    );
    // Two joins and one announcement.
    assert_eq!(
        count("kernel/01_v4_join_addaddr_datafin.pcap", |f| matches!(
            f,
            Finding::JoinHmac { valid: true, .. }
        )),
        4
    );
    assert_eq!(
        count("kernel/01_v4_join_addaddr_datafin.pcap", |f| matches!(
            f,
            Finding::AddAddrHmac {
                verdict: AddAddrVerdict::Valid
            }
        )),
        1
    );
}

#[test]
fn remove_addr_names_the_subflows_it_takes_down() {
    // The server removes ID 1 (10.0.3.1, which the join of stream 1 went to), the client ID 2
    // (10.0.1.2, which the join of stream 2 came from).
    assert_eq!(
        notable("remove_addr.pcap"),
        [
            (42, Finding::AddressRemoved { streams: vec![1] }),
            (81, Finding::AddressRemoved { streams: vec![2] })
        ]
    );
    // IPv6: the server removes fd00:3::1, the address of stream 1's join.
    assert_eq!(
        notable("v6_endpoint_del.pcap"),
        [(41, Finding::AddressRemoved { streams: vec![1] })]
    );
    if support::shared_for("remove_addr_names_the_subflows_it_takes_down").is_none() {
        return;
    }
    assert_eq!(
        notable("kernel/04_v4_remove_addr.pcap"),
        [
            (60, Finding::AddressRemoved { streams: vec![2] }),
            // ID 5 was announced for 10.0.4.1 without a port; no subflow used it.
            (106, Finding::AddressRemoved { streams: vec![] }),
            // ID 6 is 10.0.3.1 port 10300: the subflow to that port, whatever its join said.
            (
                149,
                Finding::AddressRemoved {
                    streams: vec![1, 3]
                }
            ),
        ]
    );
    assert_eq!(
        notable("kernel/22_v6_endpoint_del_midtransfer.pcap"),
        [
            (605, reason(0)),
            (739, Finding::AddressRemoved { streams: vec![2] }),
            (870, reason(0))
        ]
    );
    assert_eq!(
        notable("public/mptcp-v0.pcap"),
        [(210, Finding::AddressRemoved { streams: vec![0] })]
    );
}

#[test]
fn option_r_fastclose_resets_every_subflow() {
    // Three subflows, each reset with MP_FASTCLOSE and MP_TCPRST; two through the firewall.
    assert_eq!(
        notable("fastclose_linger0.pcap"),
        [(33, reason(0)), (34, reason(0)), (35, reason(0))]
    );
    for name in [
        "fastclose_statefulfw.pcap",
        "fastclose_statefulfw_srvside.pcap",
    ] {
        assert_eq!(notable(name), [(21, reason(0)), (22, reason(0))], "{name}");
    }
    let keys = analyse(&capture("fastclose_linger0.pcap"));
    assert_eq!(
        keys.iter()
            .filter(|(_, f)| *f == Finding::FastcloseKey { valid: true })
            .count(),
        3
    );
    if support::shared_for("option_r_fastclose_resets_every_subflow").is_none() {
        return;
    }
    assert_eq!(
        notable("kernel/06_v4_fastclose_client_linger0.pcap"),
        [(45, reason(0)), (46, reason(0)), (47, reason(0))]
    );
    for name in [
        "kernel/17_v4_fastclose_statefulfw_rst_lost.pcap",
        "kernel/17_v4_fastclose_statefulfw_rst_lost_srvside.pcap",
    ] {
        assert_eq!(notable(name), [(24, reason(0)), (25, reason(0))], "{name}");
    }
    let keys = analyse(&capture("kernel/06_v4_fastclose_client_linger0.pcap"));
    assert_eq!(
        keys.iter()
            .filter(|(_, f)| *f == Finding::FastcloseKey { valid: true })
            .count(),
        3
    );
}

#[test]
fn option_a_fastclose_seen_from_the_initiator() {
    // A's view: B's RST never arrives; A retransmits, then sends RST + MP_FASTCLOSE. Both
    // captures have the same frames.
    let test = "option_a_fastclose_seen_from_the_initiator";
    for name in support::names(
        test,
        &["fastclose_option_a_Aside.pcap"],
        &["crafted/c01_fastclose_ack_rst_lost_Aside.pcap"],
    ) {
        let found = notable(name);
        let ms = 1_000_000;
        assert_eq!(
            found,
            [
                (
                    16,
                    Finding::FastcloseInitiated {
                        answered_in: None,
                        answer_delay: None
                    }
                ),
                (17, reason(0)),
                (
                    18,
                    Finding::FastcloseRetransmitted {
                        number: 1,
                        first: 16,
                        since_first: found[2].1.since_first()
                    }
                ),
                (
                    19,
                    Finding::FastcloseRetransmitted {
                        number: 2,
                        first: 16,
                        since_first: found[3].1.since_first()
                    }
                ),
                (
                    20,
                    Finding::FastcloseRetransmitted {
                        number: 3,
                        first: 16,
                        since_first: found[4].1.since_first()
                    }
                ),
                (
                    21,
                    Finding::FastcloseRetransmitted {
                        number: 4,
                        first: 16,
                        since_first: found[5].1.since_first()
                    }
                ),
                (
                    22,
                    Finding::FastcloseFinalRst {
                        with_fastclose: true,
                        first: 16
                    }
                ),
                (22, reason(0)),
            ]
        );
        // Retransmissions at +0.2, +0.6, +1.4, +3.0 s from the first (pcap times are in microseconds).
        for (i, expected) in [200, 600, 1400, 3000].into_iter().enumerate() {
            assert!(
                (found[2 + i].1.since_first() - expected * ms).abs() < ms,
                "{name}: {:?}",
                found[2 + i]
            );
        }
    }
}

#[test]
fn option_a_fastclose_seen_between_the_firewalls() {
    // B's RSTs pass the capture point and are lost after it: every retransmission is a warning.
    // Both captures have the same frames; B answers 150 us after the MP_FASTCLOSE.
    let test = "option_a_fastclose_seen_between_the_firewalls";
    for name in support::names(
        test,
        &["fastclose_option_a_Bside.pcap"],
        &["crafted/c01_fastclose_ack_rst_lost_Bside.pcap"],
    ) {
        let found = notable(name);
        let initiated = &found[0];
        assert_eq!(initiated.0, 16);
        let Finding::FastcloseInitiated {
            answered_in: Some(18),
            answer_delay: Some(delay),
        } = initiated.1
        else {
            panic!("{initiated:?}")
        };
        assert!((delay - 150_000).abs() < 1_000, "{delay}");
        let after_peer_rst: Vec<(u32, u32)> = found
            .iter()
            .filter_map(|(frame, f)| match f {
                Finding::FastcloseAfterPeerRst { peer_rst } => Some((*frame, *peer_rst)),
                _ => None,
            })
            .collect();
        assert_eq!(after_peer_rst, [(19, 18), (21, 20), (23, 22), (25, 24)]);
        assert!(found.contains(&(
            27,
            Finding::FastcloseFinalRst {
                with_fastclose: true,
                first: 16
            }
        )));
        assert!(!found
            .iter()
            .any(|(_, f)| matches!(f, Finding::FastcloseUnanswered { .. })));
    }
}

#[test]
fn v0_option_a_fastclose_is_answered() {
    // v0_connection.pcap (crafted, RFC 6824): ACK + MP_FASTCLOSE (16), the peer's RST (18).
    let found = notable("v0_connection.pcap");
    assert!(
        matches!(
            found[..],
            [(
                16,
                Finding::FastcloseInitiated {
                    answered_in: Some(18),
                    answer_delay: Some(_)
                }
            )]
        ),
        "{found:?}"
    );
    if support::shared_for("v0_option_a_fastclose_is_answered").is_none() {
        return;
    }
    let found = notable("public/mptcp-fclose.pcap");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(matches!(
        found[0],
        (
            10,
            Finding::FastcloseInitiated {
                answered_in: Some(11),
                answer_delay: Some(_)
            }
        )
    ));
}

#[test]
fn fault_announce_resolves_to_the_faulty_subflow() {
    let target = |src: [u8; 4], dst: [u8; 4]| {
        Some(FaultTarget {
            stream: 1,
            src: src.into(),
            dst: dst.into(),
            last_frame: 20,
            rst_frame: Some(20),
        })
    };
    let fault = |cause: u8, src_addr_id, dst_addr_id, t| Finding::FaultAnnounced {
        cause: FaultCause(cause),
        transient: false,
        src_addr_id,
        dst_addr_id,
        target: t,
    };
    // The same frames in both captures; the faulty subflow is A's 10.0.4.1 (ID 2) to B's
    // 10.0.2.1 (ID 0) in the repository's, 10.0.2.1 to 10.0.3.1 in the shared one.
    let mut cases = vec![("fault_announce.pcap", [10, 0, 4, 1], [10, 0, 2, 1])];
    if support::shared_for("fault_announce_resolves_to_the_faulty_subflow").is_some() {
        cases.push((
            "crafted/c03_fault_announce_subtype9.pcap",
            [10, 0, 2, 1],
            [10, 0, 3, 1],
        ));
    }
    for (name, a_addr, b_addr) in cases {
        let a = target(a_addr, b_addr);
        let b = target(b_addr, a_addr);
        assert_eq!(
            notable(name),
            [
                (12, fault(0x0a, 2, 0, a.clone())),
                (13, fault(0x0b, 2, 0, a.clone())),
                (14, fault(0x0c, 2, 0, a.clone())),
                (15, fault(0x0d, 2, 0, a.clone())),
                (16, fault(0x0e, 2, 0, a)),
                // The one from B names the same subflow from its side.
                (17, fault(0x0b, 0, 2, b)),
                (
                    20,
                    Finding::RstReasonGiven {
                        reason: RstReason::UNACCEPTABLE_PERFORMANCE,
                        transient: false
                    }
                ),
            ],
            "{name}"
        );
    }
}

#[test]
fn fault_announce_off_is_not_analysed() {
    for name in support::names(
        "fault_announce_off_is_not_analysed",
        &["fault_announce.pcap"],
        &["crafted/c03_fault_announce_subtype9.pcap"],
    ) {
        let mut engine = Engine::new(Config {
            fault_announce_subtype: None,
            verify_crypto: true,
        });
        for p in support::read_frames(&capture(name)).iter().flatten() {
            let packet = Packet {
                frame: p.frame as u32,
                time: 0,
                src: p.src,
                dst: p.dst,
                stream: None,
                tcp: &p.tcp,
            };
            assert!(
                !engine
                    .process(&packet)
                    .findings
                    .iter()
                    .any(|f| matches!(f, Finding::FaultAnnounced { .. })),
                "{name}"
            );
        }
    }
}

#[test]
fn middlebox_stripping_and_fallback() {
    let stripped = |step, at| Finding::CapableStripped {
        step,
        offered_in: at,
    };
    // The router strips MP_CAPABLE from the SYN: the client sees a plain SYN/ACK, the server
    // plain TCP only.
    assert_eq!(
        notable("fallback_syn_stripped.pcap"),
        [(2, stripped(HandshakeStep::SynAck, 1))]
    );
    assert_eq!(notable("fallback_syn_stripped_srvside.pcap"), []);
    // From the SYN/ACK: the server sees its offer go unanswered in the third ACK.
    assert_eq!(
        notable("fallback_synack_stripped.pcap"),
        [(2, stripped(HandshakeStep::SynAck, 1))]
    );
    assert_eq!(
        notable("fallback_synack_stripped_srvside.pcap"),
        [(3, stripped(HandshakeStep::Ack, 1))]
    );
    // From the client's first data (4): the server gets it without options (4 there), and its
    // own data, fallen back, reaches the client without a DSS (6).
    assert_eq!(
        notable("capable_data_stripped.pcap"),
        [(6, Finding::OptionsMissing)]
    );
    assert_eq!(
        notable("capable_data_stripped_srvside.pcap"),
        [(4, Finding::OptionsMissing)]
    );
    // The DSS of a later client segment ("line 3", 14 at the server); the server's answer
    // without a DSS (15 at the client).
    assert_eq!(
        notable("midstream_dss_stripped.pcap"),
        [(15, Finding::OptionsMissing)]
    );
    assert_eq!(
        notable("midstream_dss_stripped_srvside.pcap"),
        [(14, Finding::OptionsMissing)]
    );
    if support::shared_for("middlebox_stripping_and_fallback").is_none() {
        return;
    }
    assert_eq!(
        notable("kernel/12_v4_fallback_syn_optstrip.pcap"),
        [(2, stripped(HandshakeStep::SynAck, 1))]
    );
    assert_eq!(
        notable("kernel/12_v4_fallback_syn_optstrip_srvside.pcap"),
        []
    );
    assert_eq!(
        notable("kernel/13_v4_fallback_synack_optstrip.pcap"),
        [(2, stripped(HandshakeStep::SynAck, 1))]
    );
    assert_eq!(
        notable("kernel/13_v4_fallback_synack_optstrip_srvside.pcap"),
        [(3, stripped(HandshakeStep::Ack, 1))]
    );
    assert_eq!(
        notable("kernel/14_v4_midstream_optstrip.pcap"),
        [(6, Finding::OptionsMissing)]
    );
    assert_eq!(
        notable("kernel/14_v4_midstream_optstrip_srvside.pcap"),
        [(4, Finding::OptionsMissing)]
    );
    assert_eq!(
        notable("kernel/23_v4_midstream_optstrip_one_segment.pcap"),
        [(24, Finding::OptionsMissing)]
    );
    assert_eq!(
        notable("kernel/23_v4_midstream_optstrip_one_segment_srvside.pcap"),
        [(23, Finding::OptionsMissing)]
    );
}

#[test]
fn checksum_failure_then_mp_fail_seen_from_both_sides() {
    // The server's side saw the altered payload; both sides then send MP_FAIL and fall back,
    // so the DSS-less data after it is not flagged. mp_fail.pcap: the router changed the first
    // byte of "line 3" (14); the server's MP_FAIL names that mapping's DSN (15), the client's
    // the server's next DSN (16).
    assert_eq!(
        notable("mp_fail_srvside.pcap"),
        [
            (
                14,
                Finding::DssChecksum {
                    valid: false,
                    mapping_frame: 14,
                    completed_in: 14,
                    followed_by: Some(15)
                }
            ),
            (
                15,
                Finding::FailReported {
                    dsn: 16579212000161600857,
                    mapping_frame: Some(14)
                }
            ),
            (
                16,
                Finding::FailReported {
                    dsn: 14667975112926920509,
                    mapping_frame: None
                }
            ),
        ]
    );
    assert_eq!(
        notable("mp_fail.pcap"),
        [
            (
                15,
                Finding::FailReported {
                    dsn: 16579212000161600857,
                    mapping_frame: None
                }
            ),
            (
                16,
                Finding::FailReported {
                    dsn: 14667975112926920509,
                    mapping_frame: None
                }
            ),
        ]
    );
    if support::shared_for("checksum_failure_then_mp_fail_seen_from_both_sides").is_none() {
        return;
    }
    assert_eq!(
        notable("kernel/10_v4_mp_fail_single_subflow_srvside.pcap"),
        [
            (
                20,
                Finding::DssChecksum {
                    valid: false,
                    mapping_frame: 20,
                    completed_in: 20,
                    followed_by: Some(21)
                }
            ),
            (
                21,
                Finding::FailReported {
                    dsn: 3015125805800501758,
                    mapping_frame: Some(20)
                }
            ),
            (
                22,
                Finding::FailReported {
                    dsn: 5395233888783600349,
                    mapping_frame: None
                }
            ),
        ]
    );
    // The client's side: the payload was intact when it passed; only the MP_FAILs.
    assert_eq!(
        notable("kernel/10_v4_mp_fail_single_subflow.pcap"),
        [
            (
                21,
                Finding::FailReported {
                    dsn: 3015125805800501758,
                    mapping_frame: None
                }
            ),
            (
                22,
                Finding::FailReported {
                    dsn: 5395233888783600349,
                    mapping_frame: None
                }
            ),
        ]
    );
}

#[test]
fn join_refused_by_limits_gives_its_reason() {
    // The server resets the join after its handshake with reason 3; the client answers 0.
    assert_eq!(
        notable("join_rejected_limits.pcap"),
        [(11, reason(3)), (12, reason(0))]
    );
    if support::shared_for("join_refused_by_limits_gives_its_reason").is_none() {
        return;
    }
    assert_eq!(
        notable("kernel/08_v4_join_rejected_limits.pcap"),
        [(9, reason(3)), (10, reason(0))]
    );
}

#[test]
fn legacy_add_addr_hmac_and_rst_reasons_from_public_captures() {
    // tcpdump's captures of early Linux: nothing the repository's scripts make.
    if support::skip_without_shared("legacy_add_addr_hmac_and_rst_reasons_from_public_captures") {
        return;
    }
    assert_eq!(
        notable("public/mptcp-aa-v1.pcap"),
        [(
            13,
            Finding::AddAddrHmac {
                verdict: AddAddrVerdict::Legacy(LegacyAddAddrHmac::Leftmost64)
            }
        )]
    );
    assert_eq!(
        notable("public/mptcp-tcprst.pcap"),
        [
            (1, reason(0)),
            (
                2,
                Finding::RstReasonGiven {
                    reason: RstReason::MPTCP_SPECIFIC,
                    transient: true
                }
            )
        ]
    );
}

trait SinceFirst {
    fn since_first(&self) -> i64;
}

impl SinceFirst for Finding {
    fn since_first(&self) -> i64 {
        match self {
            Finding::FastcloseRetransmitted { since_first, .. } => *since_first,
            _ => -1,
        }
    }
}

#[test]
fn options_decoded_by_the_caller_give_the_same_reports() {
    // The Wireshark plugin decodes each option once, to display it, and hands the engine the
    // result: every frame of every capture must come out as when the engine decodes, and so
    // must the outcome the plugin asks for instead of the findings.
    let mut compared = 0;
    let all = support::all_captures("options_decoded_by_the_caller_give_the_same_reports");
    let own = support::own_captures().len();
    {
        for path in &all {
            let (mut own, mut given, mut outcomes) = (
                Engine::new(Config::default()),
                Engine::new(Config::default()),
                Engine::new(Config::default()),
            );
            let frames = support::read_frames(path);
            for p in frames.iter().flatten() {
                let packet = Packet {
                    frame: p.frame as u32,
                    time: (p.time * 1e9) as i64,
                    src: p.src,
                    dst: p.dst,
                    stream: None,
                    tcp: &p.tcp,
                };
                let options: Vec<MptcpOption<'_>> = match TcpSegment::parse(&p.tcp) {
                    Ok(seg) => {
                        let ctx = Context::on(seg.segment())
                            .with_fault_announce_subtype(Config::default().fault_announce_subtype)
                            .unwrap();
                        mptcp_options_lenient(seg.options, ctx)
                            .filter_map(|d| d.option.ok())
                            .collect()
                    }
                    Err(_) => Vec::new(),
                };
                let a = own.process(&packet);
                let (connection, findings) = (a.connection, a.findings.into_owned());
                let b = given.process_decoded(&packet, &options);
                assert_eq!(
                    (connection, &findings[..]),
                    (b.connection, &b.findings[..]),
                    "{} frame {}",
                    path.display(),
                    p.frame
                );
                let outcome = outcomes.process_decoded_outcome(&packet, &options);
                let gathered = outcomes.findings(packet.frame);
                assert_eq!(gathered, findings, "{} frame {}", path.display(), p.frame);
                assert_eq!(
                    outcome,
                    outcome_of(connection, &gathered),
                    "{} frame {}",
                    path.display(),
                    p.frame
                );
                compared += 1;
            }
            own.finish();
            given.finish();
            outcomes.finish();
            for p in frames.iter().flatten() {
                let findings = own.findings(p.frame as u32);
                assert_eq!(
                    findings,
                    given.findings(p.frame as u32),
                    "{} frame {} after finish",
                    path.display(),
                    p.frame
                );
                // A frame seen again: what the end of the capture added counts too.
                let packet = Packet {
                    frame: p.frame as u32,
                    time: 0,
                    src: p.src,
                    dst: p.dst,
                    stream: None,
                    tcp: &p.tcp,
                };
                let (seen, want) = (
                    outcomes.process_decoded_outcome(&packet, &[]),
                    outcome_of(None, &findings),
                );
                assert_eq!(
                    (seen.findings, seen.passed_checks),
                    (want.findings, want.passed_checks),
                    "{} frame {} seen again",
                    path.display(),
                    p.frame
                );
            }
        }
    }
    // The repository's captures hold 1380 TCP segments, the shared ones 3662 more.
    let least = if all.len() > own { 4000 } else { 1300 };
    assert!(compared > least, "only {compared} segments compared");
}

/// What `process_decoded_outcome` must say of a frame with these findings.
fn outcome_of(connection: Option<u32>, findings: &[Finding]) -> FrameOutcome {
    FrameOutcome {
        connection,
        findings: findings.iter().any(|f| !f.is_passed_check()),
        passed_checks: findings.iter().any(Finding::is_passed_check),
    }
}
