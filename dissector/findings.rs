//! A finding of the analysis as Wireshark shows it: generated fields, an expert item and a tag
//! in the Info column. Only a translation: the names and texts are the findings' own
//! (`Finding::name`, `Display`, `Finding::tag`).

use mptcp_parse::analysis::{AddAddrVerdict, Finding};

use crate::fields::{Ei, Hf};
use crate::tree::{Item, TreeView};

/// Shows one finding: its fields, then its expert item with the finding's own text (its
/// `Display`), and its tag in the Info column. The texts and names are the engine's; this
/// only says which fields and which expert item show them.
pub(crate) fn show_finding(tree: &TreeView, top: Item, frame: u32, finding: &Finding) {
    let g = |item: Item| item.generated();
    // The item the expert item goes on: the finding's main field, or the analysis item.
    let at = match finding {
        Finding::FastcloseInitiated {
            answered_in,
            answer_delay,
        } => {
            g(tree.uint(Hf::FastcloseFirst, 0, 0, frame));
            let item = g(tree.uint(Hf::FastcloseRetransmission, 0, 0, 0));
            if let (Some(rst), Some(delay)) = (answered_in, answer_delay) {
                g(tree.uint(Hf::FastcloseAnsweredIn, 0, 0, *rst));
                g(tree.relative_time(Hf::FastcloseAnswerDelay, *delay));
            }
            item
        }
        Finding::FastcloseRetransmitted {
            number,
            first,
            since_first,
        } => {
            g(tree.uint(Hf::FastcloseFirst, 0, 0, *first));
            let item = g(tree.uint(Hf::FastcloseRetransmission, 0, 0, *number));
            g(tree.relative_time(Hf::FastcloseSinceFirst, *since_first));
            item
        }
        Finding::FastcloseAfterPeerRst { peer_rst } => {
            g(tree.uint(Hf::FastclosePeerRst, 0, 0, *peer_rst))
        }
        Finding::FastcloseFinalRst { first, .. } => g(tree.uint(Hf::FastcloseFirst, 0, 0, *first)),
        Finding::FastcloseKey { valid } => g(tree.boolean(Hf::FastcloseKeyValid, 0, 0, *valid)),
        Finding::FastcloseSubflowsNotReset { streams } => {
            show_streams(tree, top, Hf::FastcloseNotResetStream, streams)
        }
        Finding::FaultAnnounced {
            target: Some(t), ..
        } => {
            let item = g(tree.uint(Hf::FaultStream, 0, 0, t.stream));
            g(tree.address(Hf::FaultSrc, Hf::FaultSrc6, t.src));
            g(tree.address(Hf::FaultDst, Hf::FaultDst6, t.dst));
            g(tree.uint(Hf::FaultLastFrame, 0, 0, t.last_frame));
            if let Some(rst) = t.rst_frame {
                g(tree.uint(Hf::FaultRstFrame, 0, 0, rst));
            }
            item
        }
        Finding::AddressRemoved { streams } => {
            show_streams(tree, top, Hf::RemoveAddrStream, streams)
        }
        Finding::AddAddrRepeated { previous, .. } => {
            g(tree.uint(Hf::AddAddrPrevious, 0, 0, *previous))
        }
        Finding::CapableStripped { offered_in, .. } => {
            g(tree.uint(Hf::FallbackOfferedIn, 0, 0, *offered_in))
        }
        Finding::SynDropped {
            attempts,
            first_syn,
        } => {
            let item = g(tree.uint(Hf::FallbackMptcpSyns, 0, 0, *attempts));
            g(tree.uint(Hf::FallbackOfferedIn, 0, 0, *first_syn));
            item
        }
        Finding::JoinRefused { syn, .. } => g(tree.uint(Hf::JoinSyn, 0, 0, *syn)),
        Finding::DssChecksum {
            valid,
            mapping_frame,
            completed_in,
            followed_by,
        } => {
            let item = g(tree.boolean(Hf::DssChecksumValid, 0, 0, *valid));
            if *mapping_frame != frame {
                g(tree.uint(Hf::DssMappingFrame, 0, 0, *mapping_frame));
            }
            if *completed_in != frame {
                g(tree.uint(Hf::DssCompletedIn, 0, 0, *completed_in));
            }
            if let Some(f) = followed_by {
                g(tree.uint(Hf::DssFollowedBy, 0, 0, *f));
            }
            item
        }
        Finding::FailReported {
            mapping_frame: Some(f),
            ..
        } => g(tree.uint(Hf::FailMappingFrame, 0, 0, *f)),
        Finding::JoinHmac { valid, .. } => g(tree.boolean(Hf::JoinHmacValid, 0, 0, *valid)),
        Finding::AddAddrHmac { verdict } => g(tree.boolean(
            Hf::AddAddrHmacValid,
            0,
            0,
            *verdict == AddAddrVerdict::Valid,
        )),
        _ => top,
    };
    let Some(ei) = expert_of(finding) else { return };
    tree.expert(at, ei, Some(&finding.to_string()));
    if let Some(tag) = finding.tag() {
        tree.info(&tag);
    }
    if let Finding::FaultAnnounced { target: None, .. } = finding {
        tree.expert(top, Ei::FaultUnresolved, None);
    }
}

/// One field per stream; returns the first of them (`top` when there is none).
fn show_streams(tree: &TreeView, top: Item, hf: Hf, streams: &[u32]) -> Item {
    let mut first = top;
    for (i, s) in streams.iter().enumerate() {
        let item = tree.uint(hf, 0, 0, *s).generated();
        if i == 0 {
            first = item;
        }
    }
    first
}

/// The expert item of a finding, the one named [`Finding::name`]; none for a check that
/// passed (its field says it all) or a REMOVE_ADDR that takes no subflow down.
fn expert_of(finding: &Finding) -> Option<Ei> {
    Some(match finding {
        Finding::FastcloseInitiated { .. } => Ei::FastcloseInitiated,
        Finding::FastcloseRetransmitted { .. } => Ei::FastcloseRetransmitted,
        Finding::FastcloseAfterPeerRst { .. } => Ei::FastcloseAfterPeerRst,
        Finding::FastcloseUnanswered { .. } => Ei::FastcloseUnanswered,
        Finding::FastcloseFinalRst {
            with_fastclose: true,
            ..
        } => Ei::FastcloseFinalRst,
        Finding::FastcloseFinalRst { .. } => Ei::FastcloseFinalRstPlain,
        Finding::FastcloseKey { valid: false } => Ei::FastcloseKeyMismatch,
        Finding::FastcloseSubflowsNotReset { .. } => Ei::FastcloseSubflowNotReset,
        Finding::FastcloseMisuse => Ei::FastcloseMisuse,
        Finding::FaultAnnounced { .. } => Ei::FaultAnnounced,
        Finding::RstReasonGiven { .. } => Ei::RstReasonGiven,
        Finding::AddressRemoved { streams } if !streams.is_empty() => Ei::RemoveAddrTakesDown,
        Finding::AddAddrRepeated { .. } => Ei::AddAddrNotEchoed,
        Finding::CapableStripped { .. } => Ei::FallbackCapableStripped,
        Finding::SynDropped { .. } => Ei::FallbackSynDropped,
        Finding::OptionsMissing => Ei::FallbackOptionsMissing,
        Finding::JoinRefused { .. } => Ei::JoinRefused,
        Finding::DssChecksum { valid: false, .. } => Ei::DssChecksumBad,
        Finding::ChecksumPresence { .. } => Ei::DssChecksumPresence,
        Finding::FailReported { .. } => Ei::FailReported,
        Finding::JoinHmac { valid: false, .. } => Ei::JoinHmacBad,
        Finding::AddAddrHmac {
            verdict: AddAddrVerdict::Legacy(_),
        } => Ei::AddAddrHmacLegacy,
        Finding::AddAddrHmac {
            verdict: AddAddrVerdict::Invalid,
        } => Ei::AddAddrHmacBad,
        Finding::StateLimit { .. } => Ei::AnalysisLimit,
        Finding::JoinUnknownToken { .. } => Ei::JoinUnknownToken,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expert item shown for a finding is the one its name names.
    #[test]
    fn expert_items_are_the_findings_names() {
        use mptcp_parse::analysis::{HandshakeStep, JoinRefusal};
        let fields = include_str!("fields.rs");
        let findings = [
            Finding::FastcloseInitiated {
                answered_in: None,
                answer_delay: None,
            },
            Finding::FastcloseRetransmitted {
                number: 1,
                first: 1,
                since_first: 1,
            },
            Finding::FastcloseAfterPeerRst { peer_rst: 1 },
            Finding::FastcloseUnanswered { retransmissions: 0 },
            Finding::FastcloseFinalRst {
                with_fastclose: true,
                first: 1,
            },
            Finding::FastcloseFinalRst {
                with_fastclose: false,
                first: 1,
            },
            Finding::FastcloseKey { valid: false },
            Finding::FastcloseSubflowsNotReset { streams: vec![1] },
            Finding::FastcloseMisuse,
            Finding::AddressRemoved { streams: vec![1] },
            Finding::AddAddrRepeated {
                previous: 1,
                echo_seen: false,
            },
            Finding::CapableStripped {
                step: HandshakeStep::Ack,
                offered_in: 1,
            },
            Finding::SynDropped {
                attempts: 2,
                first_syn: 1,
            },
            Finding::OptionsMissing,
            Finding::JoinRefused {
                how: JoinRefusal::Rst,
                syn: 1,
            },
            Finding::DssChecksum {
                valid: false,
                mapping_frame: 1,
                completed_in: 1,
                followed_by: None,
            },
            Finding::ChecksumPresence { present: true },
            Finding::FailReported {
                dsn: 1,
                mapping_frame: None,
            },
            Finding::JoinHmac {
                step: HandshakeStep::SynAck,
                valid: false,
            },
            Finding::AddAddrHmac {
                verdict: AddAddrVerdict::Invalid,
            },
            Finding::JoinUnknownToken { token: 1 },
            Finding::StateLimit {
                what: "things",
                limit: 1,
            },
        ];
        for finding in &findings {
            let ei = expert_of(finding).expect("an expert item");
            let line = format!("{ei:?} = c\"{}\"", finding.name());
            assert!(fields.contains(&line), "{line}");
        }
        let passed = Finding::JoinHmac {
            step: HandshakeStep::Ack,
            valid: true,
        };
        assert_eq!(expert_of(&passed), None);
        assert_eq!(
            expert_of(&Finding::AddressRemoved { streams: vec![] }),
            None
        );
    }
}
