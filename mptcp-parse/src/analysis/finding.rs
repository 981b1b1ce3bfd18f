//! What the analysis concludes about a frame.

use crate::crypto::LegacyAddAddrHmac;
use crate::{FaultCause, RstReason};
use std::net::IpAddr;
use std::vec::Vec;

/// A frame number (1-based, as Wireshark counts).
pub type Frame = u32;

/// Time in nanoseconds (since any fixed origin: only differences are used).
pub type Nanos = i64;

/// Which handshake step lacked the option it should have carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeStep {
    /// The SYN/ACK answering a SYN that carried it.
    SynAck,
    /// The third ACK after a SYN/ACK that carried it.
    Ack,
}

/// How a join was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JoinRefusal {
    /// A RST without MP_TCPRST answered the MP_JOIN SYN.
    Rst,
    /// A SYN/ACK without MP_JOIN answered it.
    SynAckWithoutJoin,
}

/// The subflow a FAULT_ANNOUNCE names, once resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultTarget {
    /// Its `tcp.stream` (or the engine's subflow number when no stream was given).
    pub stream: u32,
    /// Address of the end that sent the FAULT_ANNOUNCE.
    pub src: IpAddr,
    /// Address of the other end.
    pub dst: IpAddr,
    /// The subflow's last frame in the capture (so far, in one pass).
    pub last_frame: Frame,
    /// The RST that closed it, when there is one.
    pub rst_frame: Option<Frame>,
}

/// Verdict on an ADD_ADDR HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddAddrVerdict {
    /// RFC 8684 form, correct.
    Valid,
    /// Correct in a pre-RFC form.
    Legacy(LegacyAddAddrHmac),
    /// Wrong.
    Invalid,
}

/// One conclusion about a frame. Forward links (`answered_in`, `last_frame`...) are filled in
/// when the later frame is seen; in Wireshark they show from the second pass on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Finding {
    /// 1: first MP_FASTCLOSE on an ACK from this host (option A).
    FastcloseInitiated {
        /// The peer's RST that answered it.
        answered_in: Option<Frame>,
        /// Time from this frame to that RST.
        answer_delay: Option<Nanos>,
    },
    /// 2: a repeat before any answer.
    FastcloseRetransmitted {
        /// n for the n-th repeat.
        number: u32,
        /// The first MP_FASTCLOSE.
        first: Frame,
        /// Time since the first.
        since_first: Nanos,
    },
    /// 3: sent again although the peer's RST already passed the capture point.
    FastcloseAfterPeerRst {
        /// That RST.
        peer_rst: Frame,
    },
    /// 4: the host's last MP_FASTCLOSE, never answered, and no final RST from it.
    FastcloseUnanswered {
        /// Repeats after the first.
        retransmissions: u32,
    },
    /// 5: a RST from the fastclosing host after its MP_FASTCLOSEs on ACKs.
    FastcloseFinalRst {
        /// Whether the RST carries MP_FASTCLOSE, as RFC 8684 recommends.
        with_fastclose: bool,
        /// The first MP_FASTCLOSE.
        first: Frame,
    },
    /// 6: the key compared with the receiver's key from the handshake.
    FastcloseKey {
        /// Whether it matches.
        valid: bool,
    },
    /// 7: option R; subflows of the connection that got no RST in the capture.
    FastcloseSubflowsNotReset {
        /// Their streams.
        streams: Vec<u32>,
    },
    /// 8: MP_FASTCLOSE on a segment without ACK, or on a SYN.
    FastcloseMisuse,
    /// 9: FAULT_ANNOUNCE, resolved or not.
    FaultAnnounced {
        /// The cause.
        cause: FaultCause,
        /// The T flag.
        transient: bool,
        /// Source (sender side) and destination address IDs.
        src_addr_id: u8,
        /// Destination (receiver side) address ID.
        dst_addr_id: u8,
        /// The subflow, when the capture binds both IDs.
        target: Option<FaultTarget>,
    },
    /// 10: MP_TCPRST on a RST.
    RstReasonGiven {
        /// Reason.
        reason: RstReason,
        /// T flag.
        transient: bool,
    },
    /// 11: REMOVE_ADDR and the subflows it takes down.
    AddressRemoved {
        /// Their streams.
        streams: Vec<u32>,
    },
    /// 12: ADD_ADDR for the same ID and address again.
    AddAddrRepeated {
        /// The previous announcement.
        previous: Frame,
        /// Whether the peer's echo passed the capture point in between.
        echo_seen: bool,
    },
    /// 13: MP_CAPABLE missing from a handshake step.
    CapableStripped {
        /// Which step.
        step: HandshakeStep,
        /// The frame that carried it before.
        offered_in: Frame,
    },
    /// 14: MPTCP SYNs dropped; the host retried without MP_CAPABLE.
    SynDropped {
        /// How many SYNs with MP_CAPABLE were sent.
        attempts: u32,
        /// The first of them.
        first_syn: Frame,
    },
    /// 15: payload on an MPTCP subflow with no mapping for it.
    OptionsMissing,
    /// 16: an MP_JOIN SYN refused or its answer stripped.
    JoinRefused {
        /// How.
        how: JoinRefusal,
        /// The MP_JOIN SYN.
        syn: Frame,
    },
    /// 17: DSS checksum verified.
    DssChecksum {
        /// Whether it matches the payload.
        valid: bool,
        /// The frame that carried the mapping (this one, unless the mapping spans segments).
        mapping_frame: Frame,
        /// The frame whose payload completed the mapping, where the checksum was verified:
        /// this one, or a later one on an earlier frame of a mapping that spans segments
        /// (known once that frame is seen: from the second pass on in Wireshark).
        completed_in: Frame,
        /// A later MP_FAIL or infinite mapping on the connection.
        followed_by: Option<Frame>,
    },
    /// 22 (connection part): a DSS checksum present although not negotiated, or missing.
    ChecksumPresence {
        /// Whether the checksum was present.
        present: bool,
    },
    /// 18: MP_FAIL.
    FailReported {
        /// The DSN it names.
        dsn: u64,
        /// The frame of the failed mapping, when known.
        mapping_frame: Option<Frame>,
    },
    /// 19: MP_JOIN HMAC verified.
    JoinHmac {
        /// SYN/ACK (truncated) or third ACK.
        step: HandshakeStep,
        /// Whether it matches.
        valid: bool,
    },
    /// 20: ADD_ADDR HMAC verified.
    AddAddrHmac {
        /// The verdict.
        verdict: AddAddrVerdict,
    },
    /// 21: MP_JOIN token of no connection in the capture.
    JoinUnknownToken {
        /// The token.
        token: u32,
    },
    /// The analysis stopped tracking something because the capture holds more of it than the
    /// engine keeps (a flood): findings that depend on it may be missing from here on.
    StateLimit {
        /// What.
        what: &'static str,
        /// How many are kept.
        limit: u32,
    },
}

impl Finding {
    /// Whether this is a check that passed: a DSS checksum that matches the payload, a join
    /// HMAC that matches, an ADD_ADDR HMAC in its RFC 8684 form, an MP_FASTCLOSE key that is
    /// the receiver's. Nothing is wrong there.
    pub fn is_passed_check(&self) -> bool {
        matches!(
            self,
            Finding::DssChecksum { valid: true, .. }
                | Finding::JoinHmac { valid: true, .. }
                | Finding::AddAddrHmac {
                    verdict: AddAddrVerdict::Valid
                }
                | Finding::FastcloseKey { valid: true }
        )
    }
}
