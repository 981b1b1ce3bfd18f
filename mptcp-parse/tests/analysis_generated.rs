//! The analysis engine over the repository's own captures (`tests/captures/`, made by
//! `gen_kernel.sh` and `gen_crafted.py` there): exact findings on exact frames, for what the
//! shared captures lack.
#![cfg(feature = "analysis")]

mod support;

use mptcp_parse::analysis::{
    AddAddrVerdict, Config, Engine, Finding, HandshakeStep, JoinRefusal, Packet,
};
use mptcp_parse::RstReason;

/// The captures these tests read: a missing one is a failure, never a skip.
const CAPTURES: [&str; 8] = [
    "syn_drop_fallback.pcap",
    "add_addr_echo_lost.pcap",
    "add_addr_echo_lost_cliside.pcap",
    "join_unknown_token.pcap",
    "join_closed_port.pcap",
    "forged_fastclose_key.pcap",
    "v0_connection.pcap",
    "fastclose_unanswered.pcap",
];

fn packet(p: &support::Packet) -> Packet<'_> {
    Packet {
        frame: p.frame as u32,
        time: (p.time * 1e9) as i64,
        src: p.src,
        dst: p.dst,
        stream: None,
        tcp: &p.tcp,
    }
}

/// Runs the engine over a capture in one pass. With `finish`, adds what the end of the capture
/// tells (as a second pass shows it); without, each frame's findings are those `process`
/// returned for it, as a one-pass run shows them. Returns every (frame, finding).
fn run(name: &str, finish: bool) -> Vec<(u32, Finding)> {
    let mut engine = Engine::new(Config::default());
    let frames = support::read_frames(&support::own(name));
    let mut out = Vec::new();
    for p in frames.iter().flatten() {
        let report = engine.process(&packet(p));
        if !finish {
            out.extend(report.findings.iter().map(|f| (p.frame as u32, f.clone())));
        }
    }
    if finish {
        engine.finish();
        for p in frames.iter().flatten() {
            out.extend(
                engine
                    .findings(p.frame as u32)
                    .iter()
                    .map(|f| (p.frame as u32, f.clone())),
            );
        }
    }
    out
}

fn analyse(name: &str) -> Vec<(u32, Finding)> {
    run(name, true)
}

/// The findings other than the routine successes (valid checksums, HMACs and keys).
fn notable(name: &str) -> Vec<(u32, Finding)> {
    analyse(name)
        .into_iter()
        .filter(|(_, f)| !support::is_routine(f))
        .collect()
}

fn count(found: &[(u32, Finding)], pred: fn(&Finding) -> bool) -> usize {
    found.iter().filter(|(_, f)| pred(f)).count()
}

/// Asserts `got` is within a microsecond of `expected` nanoseconds (pcap times are in
/// microseconds, read through an f64).
fn near(got: i64, expected: i64) {
    assert!(
        (got - expected).abs() < 1_000,
        "{got} ns, expected {expected} ns"
    );
}

#[test]
fn every_generated_capture_is_there_and_small() {
    for name in CAPTURES {
        assert!(support::own(name).is_file());
    }
    // All of tests/captures, those the capture tests share with ../shared's too. The reader
    // of these tests does not unwrap IPv4 in IPv4 (encap_ipip.pcap; the plugin's tests do).
    for path in support::own_captures() {
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size < 50_000, "{}: {size} bytes", path.display());
        if !path.ends_with("encap_ipip.pcap") {
            assert!(
                support::read_frames(&path).iter().flatten().count() > 0,
                "{}: no TCP segment",
                path.display()
            );
        }
    }
}

// ---------------------------------------------------------------- syn_drop_fallback (kernel)
// Frames 1-3: the client's SYN with MP_CAPABLE and its two retransmissions, dropped by the
// router; frame 4: the same SYN (same ISN) without MP_CAPABLE; 5: the server's plain SYN/ACK;
// then plain TCP data and FINs.

#[test]
fn syn_drop_fallback_is_found_on_the_plain_syn() {
    let dropped = Finding::SynDropped {
        attempts: 3,
        first_syn: 1,
    };
    // It needs only the past: the one-pass run shows it.
    assert!(run("syn_drop_fallback.pcap", false).contains(&(4, dropped.clone())));
    let found = notable("syn_drop_fallback.pcap");
    assert_eq!(
        found
            .iter()
            .filter(|(frame, _)| *frame <= 4)
            .cloned()
            .collect::<Vec<_>>(),
        [(4, dropped)]
    );
    // The plain TCP that follows is not taken for stripped MPTCP data.
    assert!(!found.iter().any(|(_, f)| *f == Finding::OptionsMissing));
}

#[test]
fn syn_drop_fallback_raises_nothing_else() {
    assert_eq!(
        notable("syn_drop_fallback.pcap"),
        [(
            4,
            Finding::SynDropped {
                attempts: 3,
                first_syn: 1
            }
        )]
    );
}

// ---------------------------------------------------------------- add_addr_echo_lost (kernel)
// The server announces 10.0.3.1 (ID 1) at frame 4 and, getting no echo, again about 0.2, 0.6 and
// 1.4 s later (its timer backs off up to add_addr_timeout, 1 s); the router drops the client's
// echoes.

#[test]
fn add_addr_not_echoed_seen_from_the_server() {
    // The echoes never reach the server's side.
    let repeated = |previous| Finding::AddAddrRepeated {
        previous,
        echo_seen: false,
    };
    assert_eq!(
        notable("add_addr_echo_lost.pcap"),
        [(12, repeated(4)), (13, repeated(12)), (14, repeated(13))]
    );
    let found = analyse("add_addr_echo_lost.pcap");
    assert_eq!(
        count(&found, |f| matches!(
            f,
            Finding::AddAddrHmac {
                verdict: AddAddrVerdict::Valid
            }
        )),
        4
    );
    assert_eq!(
        run("add_addr_echo_lost.pcap", false),
        found,
        "nothing here needs the future"
    );
}

#[test]
fn add_addr_echo_lost_seen_from_the_client() {
    // The client's side, before the drop: each announcement was echoed (frames 5, 14, 16, 18).
    let repeated = |previous| Finding::AddAddrRepeated {
        previous,
        echo_seen: true,
    };
    assert_eq!(
        notable("add_addr_echo_lost_cliside.pcap"),
        [(13, repeated(4)), (15, repeated(13)), (17, repeated(15))]
    );
    let found = analyse("add_addr_echo_lost_cliside.pcap");
    assert_eq!(
        count(&found, |f| matches!(
            f,
            Finding::AddAddrHmac {
                verdict: AddAddrVerdict::Valid
            }
        )),
        4
    );
}

// ---------------------------------------------------------------- join_unknown_token (kernel)
// Frames 1-10 and 13-19: a real MPTCP connection; 11: an MP_JOIN SYN with token 0x0badc0de,
// injected by a raw socket; 12: the listener's RST, with MP_TCPRST "MPTCP-specific error".

#[test]
fn join_with_an_unknown_token_is_reset_with_a_reason() {
    assert_eq!(
        notable("join_unknown_token.pcap"),
        [
            (11, Finding::JoinUnknownToken { token: 0x0bad_c0de }),
            // The RST gives a reason: not a bare refusal.
            (
                12,
                Finding::RstReasonGiven {
                    reason: RstReason::MPTCP_SPECIFIC,
                    transient: false
                }
            ),
        ]
    );
    assert_eq!(
        run("join_unknown_token.pcap", false),
        analyse("join_unknown_token.pcap")
    );
}

// ---------------------------------------------------------------- join_closed_port (kernel)
// The server announces 10.0.3.1 (frame 4) but listens on 10.0.2.1 only: the client's MP_JOIN
// SYN to 10.0.3.1:5000 (frame 6) is answered by a plain RST (frame 7). The connection goes on.

#[test]
fn join_to_a_closed_port_is_refused_by_rst() {
    assert_eq!(
        notable("join_closed_port.pcap"),
        [(
            7,
            Finding::JoinRefused {
                how: JoinRefusal::Rst,
                syn: 6
            }
        )]
    );
    let found = analyse("join_closed_port.pcap");
    assert_eq!(
        count(&found, |f| matches!(
            f,
            Finding::AddAddrHmac {
                verdict: AddAddrVerdict::Valid
            }
        )),
        1
    );
    // The token was the connection's.
    assert_eq!(
        count(&found, |f| matches!(f, Finding::JoinUnknownToken { .. })),
        0
    );
}

// ---------------------------------------------------------------- forged_fastclose_key (kernel)
// Frame 13: an ACK with MP_FASTCLOSE carrying key 0x0123456789abcdef, injected by a raw socket
// in sequence on the client's subflow. The server ignores it: data flows both ways after it,
// and the connection ends with DATA_FIN and FINs.

#[test]
fn forged_fastclose_key_is_flagged() {
    let forged = Finding::FastcloseKey { valid: false };
    assert!(run("forged_fastclose_key.pcap", false).contains(&(13, forged.clone())));
    let found = notable("forged_fastclose_key.pcap");
    assert_eq!(
        found.iter().filter(|(_, f)| *f == forged).count(),
        1,
        "{found:?}"
    );
    assert!(found.iter().all(|(frame, _)| *frame == 13), "{found:?}");
}

#[test]
fn forged_fastclose_raises_no_other_alarm() {
    // Whether a forged MP_FASTCLOSE is also noted as "initiated" is left open; no warning must
    // follow from it.
    let found: Vec<_> = notable("forged_fastclose_key.pcap")
        .into_iter()
        .filter(|(_, f)| !matches!(f, Finding::FastcloseInitiated { .. }))
        .collect();
    assert_eq!(found, [(13, Finding::FastcloseKey { valid: false })]);
}

// ---------------------------------------------------------------- v0_connection (crafted)
// RFC 6824: MP_CAPABLE v0 with checksums (frames 1-3); DSS with a 32-bit DSN (4) and a 64-bit
// DSN (5) on the first subflow; MP_JOIN from 10.0.4.1 (7-10); a 64-bit DSN on it (11); a
// 2000-byte 32-bit mapping over two segments (13, 14); ACK + MP_FASTCLOSE on the first subflow
// (16), RST on the second (17), the server's RST (18), 5.1 ms later.

#[test]
fn v0_connection_verifies_everything() {
    let found = analyse("v0_connection.pcap");
    let delay = match found
        .iter()
        .find(|(_, f)| matches!(f, Finding::FastcloseInitiated { .. }))
    {
        Some((
            16,
            Finding::FastcloseInitiated {
                answer_delay: Some(d),
                ..
            },
        )) => *d,
        other => panic!("{other:?}"),
    };
    near(delay, 5_100_000);
    let ok = |at, completed_in| Finding::DssChecksum {
        valid: true,
        mapping_frame: at,
        completed_in,
        followed_by: None,
    };
    assert_eq!(
        found,
        [
            (4, ok(4, 4)),
            (5, ok(5, 5)),
            (
                8,
                Finding::JoinHmac {
                    step: HandshakeStep::SynAck,
                    valid: true
                }
            ),
            (
                9,
                Finding::JoinHmac {
                    step: HandshakeStep::Ack,
                    valid: true
                }
            ),
            (11, ok(11, 11)),
            // The mapping of frame 13, complete with the payload of frame 14: both show it.
            (13, ok(13, 14)),
            (14, ok(13, 14)),
            (
                16,
                Finding::FastcloseInitiated {
                    answered_in: Some(18),
                    answer_delay: Some(delay)
                }
            ),
            (16, Finding::FastcloseKey { valid: true }),
        ]
    );
    // One pass: the same, except what later frames tell: the verdict on 13, the answer.
    let one_pass = run("v0_connection.pcap", false);
    let without_13: Vec<_> = found.iter().filter(|(f, _)| *f != 13).cloned().collect();
    assert_eq!(one_pass[..6], without_13[..6]);
    assert_eq!(
        one_pass[6],
        (
            16,
            Finding::FastcloseInitiated {
                answered_in: None,
                answer_delay: None
            }
        )
    );
    assert_eq!(one_pass[7], without_13[7]);
}

// ---------------------------------------------------------------- fastclose_unanswered (crafted)
// RFC 8684 v1: ACK + MP_FASTCLOSE at frame 7, retransmitted at +0.2, +0.6 and +1.4 s (8-10);
// no RST from the peer, no final RST.

#[test]
fn fastclose_unanswered_after_three_retransmissions() {
    let found = notable("fastclose_unanswered.pcap");
    let since: Vec<i64> = found
        .iter()
        .filter_map(|(_, f)| match f {
            Finding::FastcloseRetransmitted { since_first, .. } => Some(*since_first),
            _ => None,
        })
        .collect();
    assert_eq!(since.len(), 3, "{found:?}");
    for (got, expected) in since.iter().zip([200_000_000, 600_000_000, 1_400_000_000]) {
        near(*got, expected);
    }
    let again = |number, i: usize| Finding::FastcloseRetransmitted {
        number,
        first: 7,
        since_first: since[i],
    };
    assert_eq!(
        found,
        [
            (
                7,
                Finding::FastcloseInitiated {
                    answered_in: None,
                    answer_delay: None
                }
            ),
            (8, again(1, 0)),
            (9, again(2, 1)),
            (10, again(3, 2)),
            (10, Finding::FastcloseUnanswered { retransmissions: 3 }),
        ]
    );
    // Every MP_FASTCLOSE carries the receiver's key.
    assert_eq!(
        count(&analyse("fastclose_unanswered.pcap"), |f| *f
            == Finding::FastcloseKey { valid: true }),
        4
    );
    // Before the end of the capture nothing says it is unanswered.
    let one_pass = run("fastclose_unanswered.pcap", false);
    assert!(
        !one_pass
            .iter()
            .any(|(_, f)| matches!(f, Finding::FastcloseUnanswered { .. })),
        "{one_pass:?}"
    );
    assert_eq!(one_pass.len(), 8);
}
