//! The engine: its public API, and the dispatch of each segment to the concerns (subflows,
//! connections, handshakes, joins, fastcloses, addresses, faults, mappings) that the sibling
//! modules hold.

use super::carriers::Carriers;
use super::compact::HashMap;
use super::connections::{ConnId, Connections};
use super::finding::{Finding, Frame, Nanos};
use super::handshake::SynAttempt;
use super::passed::Passed;
use super::subflows::{Endpoint, Kind, SubflowId, SubflowTable, DIR_FIN, THIRD_ACK_SEEN};
use crate::{mptcp_options_lenient, Context, MptcpOption, Segment, TcpFlags, TcpSegment};
use arrayvec::ArrayVec;
use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::net::IpAddr;
use std::vec::Vec;

/// One TCP segment as the engine needs it.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// Frame number, increasing through the capture.
    pub frame: Frame,
    /// Capture time.
    pub time: Nanos,
    /// IP source.
    pub src: IpAddr,
    /// IP destination.
    pub dst: IpAddr,
    /// The TCP stream number, when the caller has one (Wireshark's `tcp.stream`); otherwise
    /// subflows are told apart by their addresses and ports.
    pub stream: Option<u32>,
    /// The TCP segment: header (with options) and the captured payload.
    pub tcp: &'a [u8],
}

/// Analysis settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Subtype of FAULT_ANNOUNCE (`None`: off).
    pub fault_announce_subtype: Option<u8>,
    /// Verify keys, HMACs and DSS checksums.
    pub verify_crypto: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            fault_announce_subtype: Context::UNKNOWN_SEGMENT.fault_announce_subtype,
            verify_crypto: true,
        }
    }
}

/// What the engine knows about one frame.
#[derive(Debug, Clone)]
pub struct FrameReport<'e> {
    /// Index of the MPTCP connection the frame's subflow belongs to (0-based, in order of
    /// appearance), if any.
    pub connection: Option<u32>,
    /// The frame's findings.
    pub findings: Cow<'e, [Finding]>,
}

/// Whether a frame has findings, without them: what [`Engine::process_decoded_outcome`]
/// returns, for a caller that shows findings only where someone looks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameOutcome {
    /// As [`FrameReport::connection`].
    pub connection: Option<u32>,
    /// The frame has findings other than checks that passed.
    pub findings: bool,
    /// Checks passed in the frame (a DSS checksum, a join or ADD_ADDR HMAC), which
    /// [`Engine::findings`] gives as findings too ([`Finding::is_passed_check`]).
    pub passed_checks: bool,
}

/// Room for the MPTCP options of one segment: an options area of at most 40 bytes holds at
/// most 13 (3 bytes each at least).
const MAX_OPTIONS: usize = 16;

/// The analysis engine. Feed it every TCP segment with [`process`](Self::process).
pub struct Engine {
    pub(super) config: Config,
    pub(super) connections: Connections,
    pub(super) subflows: SubflowTable,
    /// Destinations whose MP_CAPABLE SYNs are not answered (yet).
    pub(super) syn_attempts: HashMap<(IpAddr, Endpoint), SynAttempt>,
    pub(super) syn_limit_reported: bool,
    /// Findings per frame; only frames that have some. Nothing else is kept per frame, so
    /// memory grows with subflows and findings, not with packets.
    pub(super) records: HashMap<Frame, Vec<Finding>>,
    /// Checks that passed, in frame order: one for every mapping of a connection with
    /// checksums, two for every join. A byte or two each rather than a record of findings.
    pub(super) passed: Passed,
    /// The earlier frames of mappings that span segments, to show their checksum's verdict.
    pub(super) carriers: Carriers,
    /// The last frame analysed: frames come in capture order, and one seen again is not
    /// analysed again.
    last_frame: Frame,
    /// (subflow, finding frame, index) of FAULT_ANNOUNCE targets to bring up to date.
    pub(super) fault_targets: Vec<(SubflowId, Frame, usize)>,
    finished: bool,
    /// Tests only: every segment takes the general path (the steady path is checked against it).
    #[cfg(test)]
    pub(super) general_only: bool,
    /// Tests only: the segments the steady path took.
    #[cfg(test)]
    pub(super) steady_taken: usize,
}

/// The packet being processed, and where its findings go.
pub(super) struct Current {
    pub(super) frame: Frame,
    pub(super) time: Nanos,
    pub(super) findings: Vec<Finding>,
}

impl Current {
    pub(super) fn push(&mut self, finding: Finding) -> usize {
        self.findings.push(finding);
        self.findings.len() - 1
    }
}

impl Engine {
    /// A new engine for one capture.
    pub fn new(config: Config) -> Engine {
        Engine {
            config,
            connections: Connections::default(),
            subflows: SubflowTable::new(),
            syn_attempts: HashMap::default(),
            syn_limit_reported: false,
            records: HashMap::default(),
            passed: Passed::default(),
            carriers: Carriers::default(),
            last_frame: 0,
            fault_targets: Vec::new(),
            finished: false,
            #[cfg(test)]
            general_only: false,
            #[cfg(test)]
            steady_taken: 0,
        }
    }

    /// Number of MPTCP connections seen so far.
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// Number of TCP subflows tracked.
    pub fn subflow_count(&self) -> usize {
        self.subflows.len()
    }

    /// The findings of `frame` (after [`process`](Self::process) saw it; those only the end
    /// of the capture tells after [`finish`](Self::finish)). Checks that passed (a DSS
    /// checksum, a join or ADD_ADDR HMAC) come after the frame's other findings.
    pub fn findings(&self, frame: Frame) -> Cow<'_, [Finding]> {
        let recorded = self.records.get(&frame).map_or(&[][..], |v| &v[..]);
        let mut passed = self.passed.of(frame).peekable();
        let mut carried = self.carriers.of(frame).peekable();
        if passed.peek().is_none() && carried.peek().is_none() {
            return Cow::Borrowed(recorded);
        }
        let mut all = recorded.to_vec();
        all.extend(passed.map(|v| v.finding(frame)));
        all.extend(carried.map(|v| Finding::DssChecksum {
            valid: v.valid,
            mapping_frame: frame,
            completed_in: v.completed_in,
            followed_by: None,
        }));
        Cow::Owned(all)
    }

    /// What [`findings`](Self::findings) has for `frame`, without gathering it (the connection
    /// left out: see [`connection_of_stream`](Self::connection_of_stream)).
    pub fn frame_outcome(&self, frame: Frame) -> FrameOutcome {
        let (mut carried_bad, mut carried_good) = (false, false);
        for verdict in self.carriers.of(frame) {
            carried_bad |= !verdict.valid;
            carried_good |= verdict.valid;
        }
        FrameOutcome {
            connection: None,
            findings: carried_bad || self.records.contains_key(&frame),
            passed_checks: carried_good || self.passed.of(frame).next().is_some(),
        }
    }

    /// Whether the subflow given as `stream` in [`Packet`] is plain TCP so far: no MPTCP
    /// option, handshake or connection on it. Its segments without MPTCP options that neither
    /// open nor reset it (no SYN, no RST) change nothing the engine reports, so a caller that
    /// gives stream numbers may leave them out until the stream has a segment with an MPTCP
    /// option (on a capture without MPTCP, that is every segment but the handshakes).
    pub fn is_plain_tcp(&self, stream: u32) -> bool {
        self.subflows
            .of_stream(stream)
            .is_some_and(|s| self.subflows[s].is_plain())
    }

    /// Index of the MPTCP connection that the subflow given as `stream` in [`Packet`] belongs
    /// to, as far as known now. With [`findings`](Self::findings), this is what a frame seen
    /// again needs: the engine keeps nothing per frame but its findings.
    pub fn connection_of_stream(&self, stream: u32) -> Option<u32> {
        let s = self.subflows.of_stream(stream)?;
        self.subflows[s].connection().map(|c| c as u32)
    }

    /// Analyses one segment; returns its frame's report. Frames must come in capture order;
    /// a frame at or before the last one analysed is not analysed again (its findings are
    /// returned, and its connection when its `stream` is given).
    pub fn process(&mut self, packet: &Packet<'_>) -> FrameReport<'_> {
        self.process_with(packet, None)
    }

    /// As [`process`](Engine::process), for a caller that has already decoded the segment's
    /// MPTCP options (to display them, say): `options` are those of the segment's options that
    /// decoded, in order, each decoded with the segment's [`Context`] and this engine's
    /// FAULT_ANNOUNCE subtype. The engine then does not decode them again.
    pub fn process_decoded(
        &mut self,
        packet: &Packet<'_>,
        options: &[MptcpOption<'_>],
    ) -> FrameReport<'_> {
        self.process_with(packet, Some(options))
    }

    /// As [`process_decoded`](Engine::process_decoded), for a caller that shows a frame's
    /// findings only where someone looks at them: says whether the frame has any, and
    /// [`findings`](Engine::findings) gathers them when wanted. Checks that pass are on most
    /// frames of a connection with DSS checksums, and gathering them takes an allocation.
    pub fn process_decoded_outcome(
        &mut self,
        packet: &Packet<'_>,
        options: &[MptcpOption<'_>],
    ) -> FrameOutcome {
        self.outcome_with(packet, Some(options))
    }

    fn process_with(
        &mut self,
        packet: &Packet<'_>,
        options: Option<&[MptcpOption<'_>]>,
    ) -> FrameReport<'_> {
        let outcome = self.outcome_with(packet, options);
        // Most frames have no finding: no need to look them up.
        let findings = if outcome.findings || outcome.passed_checks {
            self.findings(packet.frame)
        } else {
            Cow::Borrowed(&[][..])
        };
        FrameReport {
            connection: outcome.connection,
            findings,
        }
    }

    fn outcome_with(
        &mut self,
        packet: &Packet<'_>,
        options: Option<&[MptcpOption<'_>]>,
    ) -> FrameOutcome {
        if packet.frame <= self.last_frame {
            let connection = packet.stream.and_then(|s| self.connection_of_stream(s));
            return FrameOutcome {
                connection,
                ..self.frame_outcome(packet.frame)
            };
        }
        self.last_frame = packet.frame;
        let passed_before = self.passed.len();
        let Some((s, findings)) = self.analyse(packet, options) else {
            return FrameOutcome::default();
        };
        FrameOutcome {
            connection: self.subflows[s].connection().map(|c| c as u32),
            findings,
            passed_checks: self.passed.len() > passed_before,
        }
    }

    /// Adds what only the end of the capture tells: fastcloses never answered, subflows an
    /// option-R fastclose did not reset, the last frames of faulty subflows. Idempotent.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.finish_fastcloses();
        self.finish_faults();
    }

    /// Analyses one segment, its MPTCP options decoded already or not; returns its subflow, and
    /// whether the frame has findings.
    fn analyse(
        &mut self,
        packet: &Packet<'_>,
        given: Option<&[MptcpOption<'_>]>,
    ) -> Option<(SubflowId, bool)> {
        let Ok(seg) = TcpSegment::parse(packet.tcp) else {
            return None;
        };
        let src = (packet.src, seg.src_port);
        let dst = (packet.dst, seg.dst_port);
        let s = self.subflows.find_or_add(packet, &seg, src, dst);
        let segment = seg.segment();
        // On the stack, and not initialised beforehand: this runs for every segment.
        let mut decoded: ArrayVec<MptcpOption<'_>, MAX_OPTIONS> = ArrayVec::new();
        let options = match given {
            Some(given) => &given[..given.len().min(MAX_OPTIONS)],
            None => {
                let ctx = Context {
                    segment: Some(segment),
                    fault_announce_subtype: self.config.fault_announce_subtype,
                };
                for option in mptcp_options_lenient(seg.options, ctx).filter_map(|d| d.option.ok())
                {
                    if decoded.try_push(option).is_err() {
                        break;
                    }
                }
                &decoded[..]
            }
        };
        let end = usize::from(!self.subflows[s].is_end(&self.subflows.addresses, 0, src));
        if options.is_empty() && !segment.syn && !segment.rst && self.subflows[s].is_plain() {
            // Plain TCP: a segment without MPTCP options, on a subflow that never had one,
            // that neither opens nor resets it, tells nothing (on every segment of a capture
            // without MPTCP). Only its FIN counts.
            self.subflows[s].last_frame = packet.frame;
            if seg.flags.contains(TcpFlags::FIN) {
                self.on_fin(s, end, packet.frame);
            }
            return Some((s, false));
        }
        if self.steady(s, end, &seg, options, packet.frame) {
            return Some((s, false));
        }
        Some((s, self.analyse_general(packet, s, end, &seg, options)))
    }

    /// Every segment [`steady`](Self::steady) does not take; returns whether the frame has
    /// findings.
    fn analyse_general(
        &mut self,
        packet: &Packet<'_>,
        s: SubflowId,
        end: usize,
        seg: &TcpSegment<'_>,
        options: &[MptcpOption<'_>],
    ) -> bool {
        let segment = seg.segment();
        let mut cur = Current {
            frame: packet.frame,
            time: packet.time,
            findings: Vec::new(),
        };

        let isn_before = {
            let sf = &mut self.subflows[s];
            sf.last_frame = packet.frame;
            let before = sf.isn(end);
            if segment.syn {
                // Subflow sequence numbers count from after the SYN's own data (TFO).
                sf.set_isn(end, seg.seq.wrapping_add(seg.payload.len() as u32));
            }
            before
        };

        // Most segments are data on an established subflow: only the others go through the
        // handshake.
        let sf = &self.subflows[s];
        let in_handshake = segment.syn
            || (sf.kind == Kind::Initial && !sf.has(THIRD_ACK_SEEN))
            || options.iter().any(|o| matches!(o, MptcpOption::MpJoin(_)));
        if in_handshake {
            self.handshake(s, end, segment, options, isn_before, &mut cur);
        }
        if segment.rst {
            self.on_rst(s, end, options, &mut cur);
        }
        if !options.is_empty() {
            let c = self.connection_of(s);
            for option in options {
                self.on_option(c, s, end, segment, option, &mut cur);
            }
        }
        self.on_payload(s, end, seg, options, &mut cur);
        if seg.flags.contains(TcpFlags::FIN) {
            self.on_fin(s, end, packet.frame);
        }
        let any_finding = !cur.findings.is_empty();
        if any_finding {
            self.record(packet.frame, cur.findings);
        }
        any_finding
    }

    /// A FIN from `end`: the subflow is closed once both ends sent one.
    fn on_fin(&mut self, s: SubflowId, end: usize, frame: Frame) {
        let sf = &mut self.subflows[s];
        sf.dir_set(end, DIR_FIN);
        if sf.dir_has(0, DIR_FIN) && sf.dir_has(1, DIR_FIN) && sf.closed_at.is_none() {
            sf.closed_at.set(frame);
        }
    }

    /// Keeps a frame's findings until the file is closed.
    fn record(&mut self, frame: Frame, mut found: Vec<Finding>) {
        // Kept until the file is closed: no spare room.
        found.shrink_to_fit();
        match self.records.entry(frame) {
            Entry::Occupied(mut e) => e.get_mut().extend(found),
            Entry::Vacant(e) => {
                e.insert(found);
            }
        }
    }

    fn on_option(
        &mut self,
        c: ConnId,
        s: SubflowId,
        end: usize,
        segment: Segment,
        option: &MptcpOption<'_>,
        cur: &mut Current,
    ) {
        match option {
            MptcpOption::Dss(d) => {
                if let Some(m) = d.mapping {
                    self.on_mapping(c, s, end, m, d.data_fin, cur);
                }
            }
            _ => self.on_signal(c, s, end, segment, option, cur),
        }
    }

    /// Every option but DSS: rare next to the DSS of every data segment.
    fn on_signal(
        &mut self,
        c: ConnId,
        s: SubflowId,
        end: usize,
        segment: Segment,
        option: &MptcpOption<'_>,
        cur: &mut Current,
    ) {
        let host = self.subflows[s].host_of_end(end);
        match option {
            MptcpOption::MpFastclose(f) => self.on_fastclose(c, s, host, segment, f, cur),
            MptcpOption::MpTcpRst(r) if segment.rst => {
                cur.push(Finding::RstReasonGiven {
                    reason: r.reason,
                    transient: r.transient,
                });
            }
            MptcpOption::AddAddr(a) => self.on_add_addr(c, host, a, cur),
            MptcpOption::RemoveAddr(r) => self.on_remove_addr(c, host, r, cur),
            MptcpOption::MpFail(f) => self.on_fail(c, s, f, cur),
            MptcpOption::FaultAnnounce(f) => self.on_fault_announce(c, host, f, cur),
            _ => {}
        }
    }
}
