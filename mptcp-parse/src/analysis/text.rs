//! What a finding says: its stable name, its text, and the few words it adds to a packet
//! list's summary line. The Wireshark plugin shows exactly these; a standalone analyser can
//! print them.

use super::finding::{AddAddrVerdict, Finding, HandshakeStep, JoinRefusal, Nanos};
use std::borrow::Cow;
use std::fmt;

/// A time difference as the texts give it: seconds, to the microsecond.
struct Seconds(Nanos);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6} s", self.0 as f64 / 1e9)
    }
}

/// Stream numbers, separated by commas.
struct Streams<'a>(&'a [u32]);

impl fmt::Display for Streams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

impl HandshakeStep {
    /// The join's HMAC at this step, as the texts name it.
    fn join_hmac(self) -> &'static str {
        match self {
            HandshakeStep::SynAck => "SYN/ACK truncated HMAC",
            HandshakeStep::Ack => "third ACK HMAC",
        }
    }
}

impl Finding {
    /// The finding's stable name: the display filter name of the Wireshark plugin's expert
    /// item for it (`mptcpx.fastclose.unanswered`). A few findings have two, told apart by
    /// their fields (a final RST with or without MP_FASTCLOSE, an ADD_ADDR HMAC in the legacy
    /// form or wrong). A check that passed has no expert item: its name is that of the field
    /// that shows it (`mptcpx.dss.checksum_valid`).
    pub fn name(&self) -> &'static str {
        match self {
            Finding::FastcloseInitiated { .. } => "mptcpx.fastclose.initiated",
            Finding::FastcloseRetransmitted { .. } => "mptcpx.fastclose.retransmitted",
            Finding::FastcloseAfterPeerRst { .. } => "mptcpx.fastclose.after_peer_rst",
            Finding::FastcloseUnanswered { .. } => "mptcpx.fastclose.unanswered",
            Finding::FastcloseFinalRst {
                with_fastclose: true,
                ..
            } => "mptcpx.fastclose.final_rst",
            Finding::FastcloseFinalRst {
                with_fastclose: false,
                ..
            } => "mptcpx.fastclose.final_rst_plain",
            Finding::FastcloseKey { valid: true } => "mptcpx.fastclose.key_valid",
            Finding::FastcloseKey { valid: false } => "mptcpx.fastclose.key_mismatch",
            Finding::FastcloseSubflowsNotReset { .. } => "mptcpx.fastclose.subflow_not_reset",
            Finding::FastcloseMisuse => "mptcpx.fastclose.misuse",
            Finding::FaultAnnounced { .. } => "mptcpx.fault.announced",
            Finding::RstReasonGiven { .. } => "mptcpx.rst.reason_given",
            Finding::AddressRemoved { .. } => "mptcpx.remove_addr.takes_down",
            Finding::AddAddrRepeated { .. } => "mptcpx.add_addr.not_echoed",
            Finding::CapableStripped { .. } => "mptcpx.fallback.capable_stripped",
            Finding::SynDropped { .. } => "mptcpx.fallback.syn_dropped",
            Finding::OptionsMissing => "mptcpx.fallback.options_missing",
            Finding::JoinRefused { .. } => "mptcpx.join.refused",
            Finding::DssChecksum { valid: true, .. } => "mptcpx.dss.checksum_valid",
            Finding::DssChecksum { valid: false, .. } => "mptcpx.dss.checksum_bad",
            Finding::ChecksumPresence { .. } => "mptcpx.dss.checksum_presence",
            Finding::FailReported { .. } => "mptcpx.fail.reported",
            Finding::JoinHmac { valid: true, .. } => "mptcpx.join.hmac_valid",
            Finding::JoinHmac { valid: false, .. } => "mptcpx.join.hmac_bad",
            Finding::AddAddrHmac { verdict } => match verdict {
                AddAddrVerdict::Valid => "mptcpx.add_addr.hmac_valid",
                AddAddrVerdict::Legacy(_) => "mptcpx.add_addr.hmac_legacy",
                AddAddrVerdict::Invalid => "mptcpx.add_addr.hmac_bad",
            },
            Finding::JoinUnknownToken { .. } => "mptcpx.join.unknown_token",
            Finding::StateLimit { .. } => "mptcpx.analysis.limit",
        }
    }

    /// The few words the finding adds to a packet's summary line (Wireshark's Info column),
    /// for the findings that stand out in a packet list; `None` for the others.
    pub fn tag(&self) -> Option<Cow<'static, str>> {
        let tag = match self {
            Finding::FastcloseRetransmitted { number, .. } => {
                return Some(Cow::Owned(format!(
                    "[MP_FASTCLOSE retransmission {number}]"
                )))
            }
            Finding::FastcloseAfterPeerRst { .. } => "[MP_FASTCLOSE after the peer's RST]",
            Finding::FastcloseUnanswered { .. } => "[MP_FASTCLOSE unanswered]",
            Finding::FastcloseKey { valid: false } => "[MP_FASTCLOSE key mismatch]",
            Finding::CapableStripped { .. } => "[MP_CAPABLE stripped]",
            Finding::SynDropped { .. } => "[MPTCP SYNs dropped]",
            Finding::OptionsMissing => "[MPTCP options missing]",
            Finding::DssChecksum { valid: false, .. } => "[DSS checksum bad]",
            Finding::JoinHmac { valid: false, .. } => "[MP_JOIN HMAC bad]",
            Finding::AddAddrHmac {
                verdict: AddAddrVerdict::Invalid,
            } => "[ADD_ADDR HMAC bad]",
            _ => return None,
        };
        Some(Cow::Borrowed(tag))
    }
}

/// What the finding means, in a sentence: the text of the Wireshark plugin's expert item.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::FastcloseInitiated {
                answered_in: Some(rst),
                answer_delay: Some(delay),
            } => write!(
                f,
                "MP_FASTCLOSE initiated (option A), answered by the peer's RST in frame {rst} after {}",
                Seconds(*delay)
            ),
            Finding::FastcloseInitiated { .. } => f.write_str("MP_FASTCLOSE initiated (option A)"),
            Finding::FastcloseRetransmitted {
                number,
                first,
                since_first,
            } => write!(
                f,
                "MP_FASTCLOSE retransmission {number} (first in frame {first}, {} earlier)",
                Seconds(*since_first)
            ),
            Finding::FastcloseAfterPeerRst { peer_rst } => write!(
                f,
                "MP_FASTCLOSE sent again after the peer's RST in frame {peer_rst}: that RST was lost between the capture point and this host; stateful middleboxes on that path may keep stale state"
            ),
            Finding::FastcloseUnanswered { retransmissions } => write!(
                f,
                "MP_FASTCLOSE unanswered after {retransmissions} retransmission(s) and no final RST; middleboxes may keep this connection's state until they time out"
            ),
            Finding::FastcloseFinalRst {
                with_fastclose: true,
                ..
            } => f.write_str(
                "Final RST after MP_FASTCLOSE, carrying MP_FASTCLOSE (as RFC 8684 recommends)",
            ),
            Finding::FastcloseFinalRst {
                with_fastclose: false,
                ..
            } => f.write_str(
                "Final RST after MP_FASTCLOSE without MP_FASTCLOSE: middleboxes that look for the option may keep their state",
            ),
            Finding::FastcloseKey { valid: true } => {
                f.write_str("MP_FASTCLOSE key is the receiver's key from the handshake")
            }
            Finding::FastcloseKey { valid: false } => f.write_str(
                "MP_FASTCLOSE key is not the receiver's key from the handshake: forged or corrupted (a middlebox cannot know the key)",
            ),
            Finding::FastcloseSubflowsNotReset { streams } => write!(
                f,
                "Subflow(s) of the fastclosed connection got no RST in the capture: tcp.stream {}",
                Streams(streams)
            ),
            Finding::FastcloseMisuse => {
                f.write_str("MP_FASTCLOSE on a SYN or on a segment without ACK")
            }
            Finding::FaultAnnounced {
                cause,
                transient,
                src_addr_id,
                dst_addr_id,
                target,
            } => {
                let kind = if *transient { " (transient)" } else { "" };
                match target {
                    Some(t) => write!(
                        f,
                        "Subflow fault announced: {cause}{kind} on tcp.stream {} ({} -> {})",
                        t.stream, t.src, t.dst
                    ),
                    None => write!(
                        f,
                        "Subflow fault announced: {cause}{kind}; address IDs {src_addr_id} (sender) and {dst_addr_id} (receiver) are not bound in the capture"
                    ),
                }
            }
            Finding::RstReasonGiven { reason, transient } => {
                let kind = if *transient { ", transient" } else { "" };
                write!(f, "Subflow reset: {reason}{kind}")
            }
            Finding::AddressRemoved { streams } if streams.is_empty() => {
                f.write_str("REMOVE_ADDR takes down no subflow of the capture")
            }
            Finding::AddressRemoved { streams } => {
                write!(f, "REMOVE_ADDR takes down tcp.stream {}", Streams(streams))
            }
            Finding::AddAddrRepeated {
                previous,
                echo_seen: true,
            } => write!(
                f,
                "ADD_ADDR sent again (previous in frame {previous}) although its echo passed: the echo was lost between the capture point and the announcing host"
            ),
            Finding::AddAddrRepeated {
                previous,
                echo_seen: false,
            } => write!(
                f,
                "ADD_ADDR sent again (previous in frame {previous}), not echoed: the ADD_ADDR or its echo is dropped on the path"
            ),
            Finding::CapableStripped { step, .. } => f.write_str(match step {
                HandshakeStep::SynAck => "MPTCP not negotiated: the SYN/ACK lacks MP_CAPABLE; the peer or a middlebox removed it (fallback to TCP)",
                HandshakeStep::Ack => "MPTCP not negotiated: the third ACK lacks MP_CAPABLE; a middlebox removed it (fallback to TCP)",
            }),
            Finding::SynDropped { attempts, .. } => write!(
                f,
                "{attempts} SYN(s) with MP_CAPABLE unanswered, now a SYN without it: MPTCP SYNs dropped on the path; the host fell back to TCP"
            ),
            Finding::OptionsMissing => f.write_str(
                "Data on an MPTCP subflow with no DSS mapping: options stripped by a middlebox? (fallback to TCP)",
            ),
            Finding::JoinRefused { how, .. } => f.write_str(match how {
                JoinRefusal::Rst => "MP_JOIN SYN answered by a RST without MP_TCPRST: join refused (middlebox or policy)",
                JoinRefusal::SynAckWithoutJoin => "MP_JOIN SYN answered by a SYN/ACK without MP_JOIN: join refused or the option stripped",
            }),
            Finding::DssChecksum { valid: true, .. } => {
                f.write_str("DSS checksum matches the payload")
            }
            Finding::DssChecksum {
                valid: false,
                followed_by,
                ..
            } => {
                f.write_str("DSS checksum does not match the payload: payload changed in transit (middlebox data substitution)")?;
                match followed_by {
                    Some(then) => write!(f, "; MP_FAIL or fallback follows in frame {then}"),
                    None => Ok(()),
                }
            }
            Finding::ChecksumPresence { present: true } => f.write_str(
                "DSS checksum present although the handshake did not negotiate checksums",
            ),
            Finding::ChecksumPresence { present: false } => {
                f.write_str("DSS checksum missing although the handshake negotiated checksums")
            }
            Finding::FailReported { dsn, mapping_frame } => {
                write!(f, "MP_FAIL: the mapping at DSN {dsn} failed its checksum")?;
                if let Some(frame) = mapping_frame {
                    write!(f, " (failed mapping in frame {frame})")?;
                }
                f.write_str("; the subflow falls back to TCP")
            }
            Finding::JoinHmac { step, valid: true } => {
                write!(f, "MP_JOIN {} matches the keys and random numbers", step.join_hmac())
            }
            Finding::JoinHmac { step, valid: false } => write!(
                f,
                "MP_JOIN {} does not match the keys and random numbers: forged or altered join",
                step.join_hmac()
            ),
            Finding::AddAddrHmac { verdict } => match verdict {
                AddAddrVerdict::Valid => {
                    f.write_str("ADD_ADDR HMAC matches the keys (RFC 8684 form)")
                }
                AddAddrVerdict::Legacy(form) => write!(
                    f,
                    "ADD_ADDR HMAC matches the legacy pre-RFC form ({form:?}) that early Linux sent; RFC 8684 stacks reject it"
                ),
                AddAddrVerdict::Invalid => f.write_str(
                    "ADD_ADDR HMAC does not match the keys: forged or altered announcement",
                ),
            },
            Finding::JoinUnknownToken { token } => write!(
                f,
                "MP_JOIN token 0x{token:08x} matches no connection in the capture (handshake not captured, or a stray or forged join)"
            ),
            Finding::StateLimit { what, limit } => write!(
                f,
                "The analysis keeps at most {limit} {what}; past that (a flood?) they are not tracked, and findings that depend on them may be missing"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::finding::FaultTarget;
    use super::*;
    use crate::crypto::LegacyAddAddrHmac;
    use crate::{FaultCause, RstReason};
    use std::collections::HashMap;
    use std::mem::discriminant;
    use std::net::{IpAddr, Ipv4Addr};
    use std::string::{String, ToString};
    use std::vec;
    use std::vec::Vec;

    /// Every finding, in every form that has a name or a text of its own.
    fn every_finding() -> Vec<Finding> {
        let target = FaultTarget {
            stream: 4,
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            last_frame: 90,
            rst_frame: Some(91),
        };
        let mut all = vec![
            Finding::FastcloseInitiated {
                answered_in: Some(12),
                answer_delay: Some(1_500_000),
            },
            Finding::FastcloseInitiated {
                answered_in: None,
                answer_delay: None,
            },
            Finding::FastcloseRetransmitted {
                number: 2,
                first: 10,
                since_first: 2_000_000_000,
            },
            Finding::FastcloseAfterPeerRst { peer_rst: 11 },
            Finding::FastcloseUnanswered { retransmissions: 3 },
            Finding::FastcloseSubflowsNotReset {
                streams: vec![1, 3],
            },
            Finding::FastcloseMisuse,
            Finding::FaultAnnounced {
                cause: FaultCause(1),
                transient: true,
                src_addr_id: 1,
                dst_addr_id: 2,
                target: Some(target),
            },
            Finding::FaultAnnounced {
                cause: FaultCause(1),
                transient: false,
                src_addr_id: 1,
                dst_addr_id: 2,
                target: None,
            },
            Finding::RstReasonGiven {
                reason: RstReason(1),
                transient: true,
            },
            Finding::AddressRemoved { streams: vec![2] },
            Finding::AddressRemoved { streams: vec![] },
            Finding::OptionsMissing,
            Finding::ChecksumPresence { present: true },
            Finding::ChecksumPresence { present: false },
            Finding::FailReported {
                dsn: 7,
                mapping_frame: Some(5),
            },
            Finding::FailReported {
                dsn: 7,
                mapping_frame: None,
            },
            Finding::JoinUnknownToken { token: 0xab },
            Finding::StateLimit {
                what: "unanswered MP_CAPABLE SYNs",
                limit: 65_536,
            },
        ];
        for b in [true, false] {
            all.push(Finding::FastcloseFinalRst {
                with_fastclose: b,
                first: 10,
            });
            all.push(Finding::FastcloseKey { valid: b });
            all.push(Finding::AddAddrRepeated {
                previous: 3,
                echo_seen: b,
            });
            all.push(Finding::DssChecksum {
                valid: b,
                mapping_frame: 3,
                completed_in: 4,
                followed_by: (!b).then_some(9),
            });
        }
        for step in [HandshakeStep::SynAck, HandshakeStep::Ack] {
            all.push(Finding::CapableStripped {
                step,
                offered_in: 1,
            });
            all.push(Finding::JoinHmac { step, valid: true });
            all.push(Finding::JoinHmac { step, valid: false });
        }
        for how in [JoinRefusal::Rst, JoinRefusal::SynAckWithoutJoin] {
            all.push(Finding::JoinRefused { how, syn: 1 });
        }
        for verdict in [
            AddAddrVerdict::Valid,
            AddAddrVerdict::Legacy(LegacyAddAddrHmac::Leftmost64),
            AddAddrVerdict::Invalid,
        ] {
            all.push(Finding::AddAddrHmac { verdict });
        }
        all.push(Finding::SynDropped {
            attempts: 3,
            first_syn: 1,
        });
        all
    }

    #[test]
    fn names_are_filter_names_of_one_finding_each() {
        let mut owner = HashMap::new();
        for finding in every_finding() {
            let name = finding.name();
            assert!(name.starts_with("mptcpx."), "{name}");
            assert!(
                name[7..]
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.'),
                "{name}"
            );
            let first = *owner.entry(name).or_insert(discriminant(&finding));
            assert_eq!(first, discriminant(&finding), "{name} names two findings");
        }
        // Findings with two names have both.
        assert_eq!(owner.len(), 29);
    }

    /// Each name is that of an expert item the plugin registers, or for a check that passed,
    /// that of a field (when the plugin's sources are beside the crate).
    #[test]
    fn names_are_registered_by_the_plugin() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dissector/fields.rs");
        let Ok(fields) = std::fs::read_to_string(&path) else {
            std::println!("skipped: {} not found", path.display());
            return;
        };
        let experts = &fields[fields.find("experts! {").expect("the expert table")..];
        for finding in every_finding() {
            let quoted = std::format!("c\"{}\"", finding.name());
            let registered = if finding.is_passed_check() {
                &fields[..]
            } else {
                experts
            };
            assert!(registered.contains(&quoted), "{quoted} is not registered");
        }
    }

    #[test]
    fn texts_are_the_plugins() {
        let text = |f: Finding| f.to_string();
        assert_eq!(
            text(Finding::FastcloseInitiated {
                answered_in: Some(12),
                answer_delay: Some(1_500_000),
            }),
            "MP_FASTCLOSE initiated (option A), answered by the peer's RST in frame 12 after 0.001500 s"
        );
        assert_eq!(
            text(Finding::FastcloseSubflowsNotReset {
                streams: vec![1, 3, 8]
            }),
            "Subflow(s) of the fastclosed connection got no RST in the capture: tcp.stream 1, 3, 8"
        );
        assert_eq!(
            text(Finding::DssChecksum {
                valid: false,
                mapping_frame: 3,
                completed_in: 3,
                followed_by: Some(9),
            }),
            "DSS checksum does not match the payload: payload changed in transit (middlebox data substitution); MP_FAIL or fallback follows in frame 9"
        );
        assert_eq!(
            text(Finding::FailReported {
                dsn: 7,
                mapping_frame: Some(5)
            }),
            "MP_FAIL: the mapping at DSN 7 failed its checksum (failed mapping in frame 5); the subflow falls back to TCP"
        );
        assert_eq!(
            text(Finding::JoinUnknownToken { token: 0xab }),
            "MP_JOIN token 0x000000ab matches no connection in the capture (handshake not captured, or a stray or forged join)"
        );
        assert_eq!(
            Finding::FastcloseRetransmitted {
                number: 2,
                first: 10,
                since_first: 1
            }
            .tag()
            .as_deref(),
            Some("[MP_FASTCLOSE retransmission 2]")
        );
        assert_eq!(Finding::FastcloseMisuse.tag(), None);
        let texts: Vec<String> = every_finding().iter().map(ToString::to_string).collect();
        assert!(texts.iter().all(|t| !t.is_empty() && !t.ends_with('.')));
    }
}
