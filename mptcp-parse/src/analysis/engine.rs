//! The engine: connection and subflow state, fed one segment at a time.

use super::finding::{AddAddrVerdict, FaultTarget, Finding, Frame, HandshakeStep, JoinRefusal, Nanos};
use crate::crypto::{self, AddAddrHmacCheck, DssChecksum, Version};
use crate::{
    mptcp_options_lenient, AddAddr, CapableForm, Context, JoinForm, Mapping, MptcpOption, Segment, TcpSegment,
};

/// Tables keyed by what the capture says (streams, ports, tokens, frames). foldhash is several
/// times faster than SipHash on such small keys and is still seeded at random, so a capture
/// cannot be made to collide in them.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
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
        Config { fault_announce_subtype: Context::UNKNOWN_SEGMENT.fault_announce_subtype, verify_crypto: true }
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

type Endpoint = (IpAddr, u16);

type ConnId = usize;
type SubflowId = usize;

/// The two hosts of a connection: the one that sent the initial SYN, and its peer.
const CLIENT: usize = 0;
const SERVER: usize = 1;

/// A list that is usually empty: 8 bytes until something is pushed. Per-host and
/// per-connection lists (announcements, checksum failures) are empty on almost every
/// connection, and connections are what a flood multiplies.
// A Vec alone is 24 bytes even when empty; boxed, it is 8 until used.
#[allow(clippy::box_collection)]
struct Sparse<T>(Option<Box<Vec<T>>>);

impl<T> Default for Sparse<T> {
    fn default() -> Sparse<T> {
        Sparse(None)
    }
}

impl<T> Sparse<T> {
    fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.as_deref().map_or_else(Default::default, |v| v.iter())
    }
    fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        match self.0.as_deref_mut() {
            Some(v) => v.iter_mut(),
            None => Default::default(),
        }
    }
    fn push(&mut self, value: T) {
        self.0.get_or_insert_with(Default::default).push(value);
    }
    fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        if let Some(v) = self.0.as_deref_mut() {
            v.retain(keep);
        }
    }
    fn len(&self) -> usize {
        self.0.as_deref().map_or(0, Vec::len)
    }
    fn remove(&mut self, index: usize) -> T {
        self.0.as_deref_mut().expect("index within len()").remove(index)
    }
    /// Empties the list, handing out what it held.
    fn take_all(&mut self) -> std::vec::IntoIter<T> {
        self.0.take().map(|v| *v).unwrap_or_default().into_iter()
    }
}

#[derive(Default)]
struct Fastclose {
    first: Option<(Frame, Nanos)>,
    /// MP_FASTCLOSEs sent on ACKs (option A).
    on_ack: u32,
    last_on_ack: Frame,
    /// The subflow that carried them: the final RST belongs there.
    subflow: Option<SubflowId>,
    answered: bool,
    final_rst: bool,
    /// Where the "initiated" finding is, to add the answer to it.
    initiated_at: Option<(Frame, usize)>,
    /// First RST + MP_FASTCLOSE without prior option A: option R.
    option_r: Option<Frame>,
}

struct Announcement {
    id: u8,
    address: IpAddr,
    port: Option<u16>,
    frame: Frame,
    echo_seen: bool,
}

impl Host {
    /// The address and port this host bound to `id` with ADD_ADDR.
    fn bound(&self, id: u8) -> Option<(IpAddr, Option<u16>)> {
        self.addresses.iter().find(|(i, ..)| *i == id).map(|(_, a, p)| (*a, *p))
    }
}

#[derive(Default)]
struct Host {
    key: Option<u64>,
    checksum_flag: Option<bool>,
    /// Only hosts that sent MP_FASTCLOSE have one.
    fastclose: Option<Box<Fastclose>>,
    last_rst: Option<Frame>,
    /// Address ID -> address and port (ADD_ADDR; IDs of joins are kept on the subflows).
    addresses: Sparse<(u8, IpAddr, Option<u16>)>,
    announcements: Sparse<Announcement>,
}

struct Connection {
    index: u32,
    version: Option<Version>,
    hosts: [Host; 2],
    subflows: Vec<SubflowId>,
    /// DSS checksum failures: (finding frame, finding index, DSN of the mapping, its length).
    bad_mappings: Sparse<(Frame, usize, u64, u32)>,
    tokens_registered: bool,
}

impl Connection {
    fn checksums_negotiated(&self) -> Option<bool> {
        match (self.hosts[CLIENT].checksum_flag, self.hosts[SERVER].checksum_flag) {
            (Some(a), Some(b)) => Some(a || b),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Unknown,
    Initial,
    Join,
}

struct JoinState {
    token: u32,
    syn_frame: Frame,
    joiner_nonce: u32,
    listener_nonce: Option<u32>,
    answered: bool,
}

/// A mapping whose DSS checksum is being verified as its payload arrives.
struct MappingCheck {
    frame: Frame,
    dsn: u64,
    ssn: u32,
    data_len: u16,
    checksum: u16,
    /// Next and end relative subflow sequence numbers of the bytes to feed.
    next: u32,
    end: u32,
    sum: DssChecksum,
}

#[derive(Default)]
struct Direction {
    isn: Option<u32>,
    /// The last mapping: (relative SSN, length).
    coverage: Option<(u32, u32)>,
    /// Boxed: only subflows with DSS checksums have one, and not always.
    check: Option<Box<MappingCheck>>,
    fallback: bool,
    fin: bool,
    checksum_presence_reported: bool,
}

struct Subflow {
    stream: u32,
    connection: Option<ConnId>,
    /// ends[0] sent the SYN (or the first segment seen).
    ends: [Endpoint; 2],
    /// Which of `ends` is the connection's client host.
    client_end: usize,
    kind: Kind,
    capable_syn: Option<Frame>,
    capable_syn_ack: bool,
    third_ack_seen: bool,
    join: Option<JoinState>,
    address_ids: [Option<u8>; 2],
    dirs: [Direction; 2],
    options_missing_reported: bool,
    first_frame: Frame,
    last_frame: Frame,
    first_rst: Option<Frame>,
    last_rst: Option<Frame>,
    closed_at: Option<Frame>,
}

impl Subflow {
    fn host_of_end(&self, end: usize) -> usize {
        if end == self.client_end { CLIENT } else { SERVER }
    }
    fn end_of_host(&self, host: usize) -> usize {
        if host == CLIENT { self.client_end } else { 1 - self.client_end }
    }
    /// The subflow is plain TCP from now on: DSS is no longer expected.
    fn fall_back(&mut self) {
        self.dirs[0].fallback = true;
        self.dirs[1].fallback = true;
    }

    /// Whether the end `e` uses the address the host bound to `id`: by the ID the handshake
    /// gave that end, or by the address (and port, when announced) of an ADD_ADDR.
    fn end_uses(&self, e: usize, id: u8, bound: Option<(IpAddr, Option<u16>)>) -> bool {
        if self.address_ids[e] == Some(id) {
            return true;
        }
        bound.is_some_and(|(address, port)| {
            self.ends[e].0 == address
                && match port {
                    Some(p) => self.ends[e].1 == p,
                    // Without a port the address alone may be shared by several IDs.
                    None => self.address_ids[e].is_none(),
                }
        })
    }

    fn established_mptcp(&self) -> bool {
        match self.kind {
            Kind::Initial => self.capable_syn_ack,
            Kind::Join => self.join.as_ref().is_some_and(|j| j.answered) && self.join.as_ref().is_some_and(|j| j.listener_nonce.is_some()),
            Kind::Unknown => self.connection.is_some(),
        }
    }
}

/// Where an MP_CAPABLE SYN went unanswered, for the SYN-drop finding.
struct SynAttempt {
    first: Frame,
    isn: u32,
    count: u32,
    answered: bool,
}

/// How many destinations with MP_CAPABLE SYNs awaiting an answer are tracked at once (for
/// the SYN-drop finding); past it, a SYN flood is not followed further.
pub const MAX_SYN_ATTEMPTS: usize = 65_536;

/// Room for the MPTCP options of one segment: an options area of at most 40 bytes holds at
/// most 13 (3 bytes each at least).
const MAX_OPTIONS: usize = 16;

/// The analysis engine. Feed it every TCP segment with [`process`](Self::process).
pub struct Engine {
    config: Config,
    connections: Vec<Connection>,
    tokens: HashMap<u32, (ConnId, usize)>,
    subflows: Vec<Subflow>,
    by_stream: HashMap<u32, SubflowId>,
    by_tuple: HashMap<(Endpoint, Endpoint), SubflowId>,
    syn_attempts: HashMap<(IpAddr, Endpoint), SynAttempt>,
    /// How many of `syn_attempts` were answered (and so may be forgotten).
    syn_attempts_answered: usize,
    syn_limit_reported: bool,
    /// Findings per frame; only frames that have some. Nothing else is kept per frame, so
    /// memory grows with subflows and findings, not with packets.
    records: HashMap<Frame, Vec<Finding>>,
    /// Checks that passed, in frame order: one for every mapping of a connection with
    /// checksums, two for every join. 12 bytes each rather than a record of findings.
    verified: Vec<(Frame, Verified)>,
    /// The last frame analysed: frames come in capture order, and one seen again is not
    /// analysed again.
    last_frame: Frame,
    /// (subflow, finding frame, index) of FAULT_ANNOUNCE targets to bring up to date.
    fault_targets: Vec<(SubflowId, Frame, usize)>,
    finished: bool,
}

/// A check that passed, kept in a few bytes (see [`Engine::findings`] for the findings).
#[derive(Clone, Copy)]
enum Verified {
    /// The DSS checksum of the mapping in that frame.
    DssChecksum(Frame),
    JoinHmac(HandshakeStep),
    AddAddrHmac,
}

impl Verified {
    fn finding(self) -> Finding {
        match self {
            Verified::DssChecksum(mapping_frame) => Finding::DssChecksum { valid: true, mapping_frame, followed_by: None },
            Verified::JoinHmac(step) => Finding::JoinHmac { step, valid: true },
            Verified::AddAddrHmac => Finding::AddAddrHmac { verdict: AddAddrVerdict::Valid },
        }
    }
}

/// The packet being processed, and where its findings go.
struct Current {
    frame: Frame,
    time: Nanos,
    findings: Vec<Finding>,
}

impl Current {
    fn push(&mut self, finding: Finding) -> usize {
        self.findings.push(finding);
        self.findings.len() - 1
    }
}

impl Engine {
    /// A new engine for one capture.
    pub fn new(config: Config) -> Engine {
        Engine {
            config,
            connections: Vec::new(),
            tokens: HashMap::default(),
            subflows: Vec::new(),
            by_stream: HashMap::default(),
            by_tuple: HashMap::default(),
            syn_attempts: HashMap::default(),
            syn_attempts_answered: 0,
            syn_limit_reported: false,
            records: HashMap::default(),
            verified: Vec::new(),
            last_frame: 0,
            fault_targets: Vec::new(),
            finished: false,
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
        let first = self.verified.partition_point(|(f, _)| *f < frame);
        let verified = self.verified[first..].iter().take_while(|(f, _)| *f == frame);
        if self.verified.get(first).is_none_or(|(f, _)| *f != frame) {
            return Cow::Borrowed(recorded);
        }
        let mut all = recorded.to_vec();
        all.extend(verified.map(|(_, v)| v.finding()));
        Cow::Owned(all)
    }

    /// Index of the MPTCP connection that the subflow given as `stream` in [`Packet`] belongs
    /// to, as far as known now. With [`findings`](Self::findings), this is what a frame seen
    /// again needs: the engine keeps nothing per frame but its findings.
    pub fn connection_of_stream(&self, stream: u32) -> Option<u32> {
        let s = *self.by_stream.get(&stream)?;
        self.subflows[s].connection.map(|c| self.connections[c].index)
    }

    /// Analyses one segment; returns its frame's report. Frames must come in capture order;
    /// a frame at or before the last one analysed is not analysed again (its findings are
    /// returned, and its connection when its `stream` is given).
    pub fn process(&mut self, packet: &Packet<'_>) -> FrameReport<'_> {
        if packet.frame <= self.last_frame {
            let connection = packet.stream.and_then(|s| self.connection_of_stream(s));
            return FrameReport { connection, findings: self.findings(packet.frame) };
        }
        self.last_frame = packet.frame;
        let verified_before = self.verified.len();
        let Some((s, any_finding)) = self.analyse(packet) else { return FrameReport { connection: None, findings: Cow::Borrowed(&[]) } };
        let connection = self.subflows[s].connection.map(|c| self.connections[c].index);
        // Most frames have no finding: no need to look them up.
        let findings = if any_finding || self.verified.len() > verified_before { self.findings(packet.frame) } else { Cow::Borrowed(&[][..]) };
        FrameReport { connection, findings }
    }

    /// Adds what only the end of the capture tells: fastcloses never answered, subflows an
    /// option-R fastclose did not reset, the last frames of faulty subflows. Idempotent.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        for c in 0..self.connections.len() {
            for host in [CLIENT, SERVER] {
                let Some(fc) = self.connections[c].hosts[host].fastclose.as_deref() else { continue };
                if fc.on_ack > 0 && !fc.answered && !fc.final_rst {
                    let (frame, retransmissions) = (fc.last_on_ack, fc.on_ack - 1);
                    self.records.entry(frame).or_default().push(Finding::FastcloseUnanswered { retransmissions });
                }
                if let Some(at) = fc.option_r {
                    let streams: Vec<u32> = self.connections[c]
                        .subflows
                        .iter()
                        .map(|s| &self.subflows[*s])
                        .filter(|s| s.first_frame <= at && s.closed_at.is_none_or(|closed| closed >= at))
                        .filter(|s| s.last_rst.is_none_or(|rst| rst < at))
                        .map(|s| s.stream)
                        .collect();
                    if !streams.is_empty() {
                        self.records.entry(at).or_default().push(Finding::FastcloseSubflowsNotReset { streams });
                    }
                }
            }
        }
        for i in 0..self.fault_targets.len() {
            let (s, frame, index) = self.fault_targets[i];
            let (last, rst) = (self.subflows[s].last_frame, self.subflows[s].first_rst);
            if let Some(Finding::FaultAnnounced { target: Some(t), .. }) =
                self.records.get_mut(&frame).and_then(|v| v.get_mut(index))
            {
                t.last_frame = last;
                t.rst_frame = rst;
            }
        }
    }

    fn subflow_for(&mut self, packet: &Packet<'_>, seg: &TcpSegment<'_>, src: Endpoint, dst: Endpoint) -> SubflowId {
        let fresh_syn = seg.flags & 0x12 == 0x02;
        let found = match packet.stream {
            Some(stream) => self.by_stream.get(&stream).copied(),
            None => {
                let key = if src <= dst { (src, dst) } else { (dst, src) };
                // A new SYN on a closed subflow's ports starts a new subflow.
                self.by_tuple.get(&key).copied().filter(|s| {
                    let sf = &self.subflows[*s];
                    !(fresh_syn && sf.closed_at.is_some() && sf.dirs[0].isn != Some(seg.seq))
                })
            }
        };
        if let Some(s) = found {
            return s;
        }
        let id = self.subflows.len();
        let stream = packet.stream.unwrap_or(id as u32);
        self.subflows.push(Subflow {
            stream,
            connection: None,
            ends: [src, dst],
            client_end: 0,
            kind: Kind::Unknown,
            capable_syn: None,
            capable_syn_ack: false,
            third_ack_seen: false,
            join: None,
            address_ids: [None, None],
            dirs: [Direction::default(), Direction::default()],
            options_missing_reported: false,
            first_frame: packet.frame,
            last_frame: packet.frame,
            first_rst: None,
            last_rst: None,
            closed_at: None,
        });
        match packet.stream {
            Some(stream) => {
                self.by_stream.insert(stream, id);
            }
            None => {
                let key = if src <= dst { (src, dst) } else { (dst, src) };
                self.by_tuple.insert(key, id);
            }
        }
        id
    }

    fn new_connection(&mut self, s: SubflowId) -> ConnId {
        let c = self.connections.len();
        self.connections.push(Connection {
            index: c as u32,
            version: None,
            hosts: [Host::default(), Host::default()],
            subflows: vec![s],
            bad_mappings: Sparse::default(),
            tokens_registered: false,
        });
        self.subflows[s].connection = Some(c);
        c
    }

    /// The subflow's connection; a subflow seen without its handshake gets one of its own,
    /// with unknown keys, so that connection-level findings still work.
    fn connection_of(&mut self, s: SubflowId) -> ConnId {
        match self.subflows[s].connection {
            Some(c) => c,
            None => self.new_connection(s),
        }
    }

    fn register_tokens(&mut self, c: ConnId) {
        let conn = &mut self.connections[c];
        if conn.tokens_registered {
            return;
        }
        let (Some(v), Some(client), Some(server)) = (conn.version, conn.hosts[CLIENT].key, conn.hosts[SERVER].key) else {
            return;
        };
        conn.tokens_registered = true;
        self.tokens.insert(crypto::key_derived(v, client).token, (c, CLIENT));
        self.tokens.insert(crypto::key_derived(v, server).token, (c, SERVER));
    }

    /// Analyses one segment; returns its subflow, and whether the frame has findings.
    fn analyse(&mut self, packet: &Packet<'_>) -> Option<(SubflowId, bool)> {
        let Ok(seg) = TcpSegment::parse(packet.tcp) else { return None };
        let src = (packet.src, seg.src_port);
        let dst = (packet.dst, seg.dst_port);
        let s = self.subflow_for(packet, &seg, src, dst);
        let segment = seg.segment();
        let ctx = Context { segment: Some(segment), fault_announce_subtype: self.config.fault_announce_subtype };
        // On the stack, and not initialised beforehand: this runs for every segment.
        let mut decoded: ArrayVec<MptcpOption<'_>, MAX_OPTIONS> = ArrayVec::new();
        for option in mptcp_options_lenient(seg.options, ctx).filter_map(|d| d.option.ok()) {
            if decoded.try_push(option).is_err() {
                break;
            }
        }
        let options = &decoded[..];
        let mut cur = Current { frame: packet.frame, time: packet.time, findings: Vec::new() };

        let end = usize::from(self.subflows[s].ends[0] != src);
        {
            let sf = &mut self.subflows[s];
            sf.last_frame = packet.frame;
            if segment.syn {
                // Subflow sequence numbers count from after the SYN's own data (TFO).
                sf.dirs[end].isn = Some(seg.seq.wrapping_add(seg.payload.len() as u32));
            }
        }

        self.handshake(s, end, &seg, segment, options, &mut cur);
        if segment.rst {
            self.on_rst(s, end, options, &mut cur);
        }
        if !options.is_empty() {
            let c = self.connection_of(s);
            for option in options {
                self.on_option(c, s, end, segment, option, &mut cur);
            }
        }
        self.on_payload(s, end, &seg, options, &mut cur);
        if seg.flags & 0x01 != 0 {
            let sf = &mut self.subflows[s];
            sf.dirs[end].fin = true;
            if sf.dirs[0].fin && sf.dirs[1].fin && sf.closed_at.is_none() {
                sf.closed_at = Some(packet.frame);
            }
        }
        let any_finding = !cur.findings.is_empty();
        if any_finding {
            // Kept until the file is closed: no spare room.
            let mut found = cur.findings;
            found.shrink_to_fit();
            match self.records.entry(packet.frame) {
                Entry::Occupied(mut e) => e.get_mut().extend(found),
                Entry::Vacant(e) => {
                    e.insert(found);
                }
            }
        }
        Some((s, any_finding))
    }

    /// MP_CAPABLE and MP_JOIN handshakes, and their absence where they were expected.
    fn handshake(&mut self, s: SubflowId, end: usize, seg: &TcpSegment<'_>, segment: Segment, options: &[MptcpOption<'_>], cur: &mut Current) {
        let capable = options.iter().find_map(|o| match o {
            MptcpOption::MpCapable(c) => Some(*c),
            _ => None,
        });
        let join = options.iter().find_map(|o| match o {
            MptcpOption::MpJoin(j) => Some(*j),
            _ => None,
        });
        let dst_key = |sf: &Subflow| (sf.ends[0].0, sf.ends[1]);

        if segment.is_syn() {
            if let Some(mpc) = capable {
                let first = {
                    let sf = &mut self.subflows[s];
                    sf.kind = Kind::Initial;
                    sf.address_ids = [Some(0), Some(0)];
                    *sf.capable_syn.get_or_insert(cur.frame)
                };
                let c = self.connection_of(s);
                let conn = &mut self.connections[c];
                conn.version = crypto::Version::from_nibble(mpc.version);
                conn.hosts[CLIENT].checksum_flag = Some(mpc.flags.checksum_required());
                if let Some(k) = mpc.sender_key() {
                    conn.hosts[CLIENT].key = Some(k);
                }
                let key = dst_key(&self.subflows[s]);
                if !self.syn_attempts.contains_key(&key) && self.syn_attempts.len() >= MAX_SYN_ATTEMPTS {
                    // A flood of MP_CAPABLE SYNs: forget the answered ones when that frees a
                    // quarter of the table (so that the sweep costs O(1) per SYN), else stop
                    // tracking new destinations.
                    if self.syn_attempts_answered >= MAX_SYN_ATTEMPTS / 4 {
                        self.syn_attempts.retain(|_, a| !a.answered);
                        self.syn_attempts_answered = 0;
                    }
                    if self.syn_attempts.len() >= MAX_SYN_ATTEMPTS {
                        if !self.syn_limit_reported {
                            self.syn_limit_reported = true;
                            cur.push(Finding::StateLimit { what: "unanswered MP_CAPABLE SYNs", limit: MAX_SYN_ATTEMPTS as u32 });
                        }
                        return;
                    }
                }
                let attempt = self.syn_attempts.entry(key).or_insert(SynAttempt { first, isn: seg.seq, count: 0, answered: false });
                if attempt.isn != seg.seq && attempt.answered {
                    *attempt = SynAttempt { first: cur.frame, isn: seg.seq, count: 0, answered: false };
                    self.syn_attempts_answered -= 1;
                }
                attempt.count += 1;
            } else if let Some(j) = join {
                self.join_syn(s, j, cur);
            } else {
                // A plain SYN on ports that carried MP_CAPABLE SYNs: the host retries without
                // MPTCP, and this subflow is plain TCP from now on.
                if self.subflows[s].kind == Kind::Initial {
                    self.forget_mptcp_handshake(s);
                }
                // A plain SYN after unanswered MP_CAPABLE SYNs to the same place: SYN-drop fallback.
                let key = dst_key(&self.subflows[s]);
                if let Some(a) = self.syn_attempts.get(&key) {
                    if !a.answered && a.count >= 2 {
                        cur.push(Finding::SynDropped { attempts: a.count, first_syn: a.first });
                    }
                }
                if self.syn_attempts.remove(&key).is_some_and(|a| a.answered) {
                    self.syn_attempts_answered -= 1;
                }
            }
            return;
        }

        if segment.is_syn_ack() {
            let kind = self.subflows[s].kind;
            if kind == Kind::Initial {
                let key = dst_key(&self.subflows[s]);
                if let Some(a) = self.syn_attempts.get_mut(&key) {
                    if !a.answered {
                        a.answered = true;
                        self.syn_attempts_answered += 1;
                    }
                }
                match capable {
                    Some(mpc) => {
                        self.subflows[s].capable_syn_ack = true;
                        let c = self.connection_of(s);
                        let conn = &mut self.connections[c];
                        conn.hosts[SERVER].checksum_flag = Some(mpc.flags.checksum_required());
                        if let Some(k) = mpc.sender_key() {
                            conn.hosts[SERVER].key = Some(k);
                        }
                        if conn.version.is_none() {
                            conn.version = crypto::Version::from_nibble(mpc.version);
                        }
                        self.register_tokens(c);
                    }
                    None => {
                        let offered_in = self.subflows[s].capable_syn.unwrap_or(cur.frame);
                        cur.push(Finding::CapableStripped { step: HandshakeStep::SynAck, offered_in });
                        self.subflows[s].fall_back();
                    }
                }
            } else if kind == Kind::Join {
                match join {
                    Some(j) => self.join_syn_ack(s, j, cur),
                    None => {
                        if let Some(js) = self.subflows[s].join.as_mut() {
                            if !js.answered {
                                js.answered = true;
                                let syn = js.syn_frame;
                                cur.push(Finding::JoinRefused { how: JoinRefusal::SynAckWithoutJoin, syn });
                            }
                        }
                    }
                }
            } else if let Some(mpc) = capable {
                // Capture starts at the SYN/ACK.
                let sf = &mut self.subflows[s];
                sf.kind = Kind::Initial;
                sf.address_ids = [Some(0), Some(0)];
                sf.capable_syn_ack = true;
                sf.client_end = 1 - end;
                let c = self.connection_of(s);
                let conn = &mut self.connections[c];
                conn.version = crypto::Version::from_nibble(mpc.version);
                conn.hosts[SERVER].key = mpc.sender_key();
                conn.hosts[SERVER].checksum_flag = Some(mpc.flags.checksum_required());
            }
            return;
        }

        // The third ACK: from the SYN's sender, first segment after the SYN/ACK.
        let sf = &self.subflows[s];
        if sf.kind == Kind::Initial && sf.capable_syn_ack && !sf.third_ack_seen && end == sf.client_end && segment.ack {
            self.subflows[s].third_ack_seen = true;
            match capable {
                Some(mpc) => {
                    let c = self.connection_of(s);
                    let conn = &mut self.connections[c];
                    if let (Some(sender), Some(receiver)) = (mpc.sender_key(), mpc.receiver_key()) {
                        conn.hosts[CLIENT].key.get_or_insert(sender);
                        conn.hosts[SERVER].key.get_or_insert(receiver);
                    }
                    self.register_tokens(c);
                }
                None if !segment.rst => {
                    let offered_in = self.subflows[s].capable_syn.unwrap_or(cur.frame);
                    cur.push(Finding::CapableStripped { step: HandshakeStep::Ack, offered_in });
                    self.subflows[s].fall_back();
                }
                None => {}
            }
        }
        if let Some(j) = join {
            if let JoinForm::Ack { hmac, .. } = j.form {
                self.join_ack(s, hmac, cur);
            }
        }
    }

    /// The subflow's MP_CAPABLE SYNs went unanswered and it starts again as plain TCP: it no
    /// longer belongs to the connection those SYNs began.
    fn forget_mptcp_handshake(&mut self, s: SubflowId) {
        let sf = &mut self.subflows[s];
        sf.kind = Kind::Unknown;
        sf.capable_syn = None;
        sf.capable_syn_ack = false;
        sf.address_ids = [None, None];
        sf.fall_back();
        if let Some(c) = sf.connection.take() {
            self.connections[c].subflows.retain(|&t| t != s);
        }
    }

    fn join_syn(&mut self, s: SubflowId, join: crate::MpJoin<'_>, cur: &mut Current) {
        let JoinForm::Syn { address_id, receiver_token, sender_nonce } = join.form else { return };
        let retransmission = self.subflows[s].join.as_ref().is_some_and(|j| j.token == receiver_token);
        {
            let sf = &mut self.subflows[s];
            sf.kind = Kind::Join;
            sf.address_ids[0] = Some(address_id);
            sf.join = Some(JoinState { token: receiver_token, syn_frame: cur.frame, joiner_nonce: sender_nonce, listener_nonce: None, answered: false });
        }
        match self.tokens.get(&receiver_token).copied() {
            Some((c, listener)) => {
                let sf = &mut self.subflows[s];
                // ends[0] sent the SYN: it is the client host unless the listener is.
                sf.client_end = if listener == SERVER { 0 } else { 1 };
                if sf.connection != Some(c) {
                    sf.connection = Some(c);
                    self.connections[c].subflows.push(s);
                }
            }
            None if !retransmission => {
                cur.push(Finding::JoinUnknownToken { token: receiver_token });
            }
            None => {}
        }
    }

    fn join_keys(&self, s: SubflowId) -> Option<(Version, u64, u64)> {
        let sf = &self.subflows[s];
        let conn = &self.connections[sf.connection?];
        let joiner = sf.host_of_end(0);
        Some((conn.version?, conn.hosts[joiner].key?, conn.hosts[1 - joiner].key?))
    }

    fn join_syn_ack(&mut self, s: SubflowId, join: crate::MpJoin<'_>, cur: &mut Current) {
        let JoinForm::SynAck { address_id, truncated_hmac, sender_nonce } = join.form else { return };
        let keys = self.join_keys(s);
        let sf = &mut self.subflows[s];
        sf.address_ids[1] = Some(address_id);
        let Some(js) = sf.join.as_mut() else { return };
        js.answered = true;
        js.listener_nonce = Some(sender_nonce);
        let joiner_nonce = js.joiner_nonce;
        if let (true, Some((v, key_a, key_b))) = (self.config.verify_crypto, keys) {
            let valid = crypto::verify_join_syn_ack(v, key_b, key_a, sender_nonce, joiner_nonce, truncated_hmac);
            if valid {
                self.verified.push((cur.frame, Verified::JoinHmac(HandshakeStep::SynAck)));
            } else {
                cur.push(Finding::JoinHmac { step: HandshakeStep::SynAck, valid });
            }
        }
    }

    fn join_ack(&mut self, s: SubflowId, hmac: &[u8; 20], cur: &mut Current) {
        let Some(js) = self.subflows[s].join.as_ref() else { return };
        let (Some(r_b), r_a) = (js.listener_nonce, js.joiner_nonce) else { return };
        if let (true, Some((v, key_a, key_b))) = (self.config.verify_crypto, self.join_keys(s)) {
            let valid = crypto::verify_join_ack(v, key_a, key_b, r_a, r_b, hmac);
            if valid {
                self.verified.push((cur.frame, Verified::JoinHmac(HandshakeStep::Ack)));
            } else {
                cur.push(Finding::JoinHmac { step: HandshakeStep::Ack, valid });
            }
        }
    }

    fn on_rst(&mut self, s: SubflowId, end: usize, options: &[MptcpOption<'_>], cur: &mut Current) {
        let has_tcprst = options.iter().any(|o| matches!(o, MptcpOption::MpTcpRst(_)));
        let has_fastclose = options.iter().any(|o| matches!(o, MptcpOption::MpFastclose(_)));
        let sf = &mut self.subflows[s];
        sf.first_rst.get_or_insert(cur.frame);
        sf.last_rst = Some(cur.frame);
        sf.closed_at.get_or_insert(cur.frame);
        // A RST from the listener answering an MP_JOIN SYN.
        if let Some(js) = sf.join.as_mut() {
            if !js.answered && end == 1 {
                js.answered = true;
                if !has_tcprst {
                    cur.push(Finding::JoinRefused { how: JoinRefusal::Rst, syn: js.syn_frame });
                }
            }
        }
        let Some(c) = sf.connection else { return };
        let host = sf.host_of_end(end);
        let peer = 1 - host;
        let conn = &mut self.connections[c];
        conn.hosts[host].last_rst = Some(cur.frame);
        // The peer's fastclose answered.
        let peer_fastclose = conn.hosts[peer].fastclose.as_deref_mut();
        if let Some(pfc) = peer_fastclose.filter(|f| f.first.is_some() && !f.answered && f.on_ack > 0) {
            let first_time = pfc.first.map_or(cur.time, |(_, t)| t);
            pfc.answered = true;
            if let Some((frame, index)) = pfc.initiated_at {
                let delay = cur.time - first_time;
                let at = if frame == cur.frame { Some(&mut cur.findings) } else { self.records.get_mut(&frame) };
                if let Some(Finding::FastcloseInitiated { answered_in, answer_delay }) = at.and_then(|v| v.get_mut(index)) {
                    *answered_in = Some(cur.frame);
                    *answer_delay = Some(delay);
                }
            }
        }
        // This host's own final RST after its option-A fastcloses.
        let own_fastclose = conn.hosts[host].fastclose.as_deref_mut();
        if let Some(fc) = own_fastclose.filter(|fc| fc.on_ack > 0 && !fc.final_rst && fc.subflow == Some(s)) {
            fc.final_rst = true;
            let first = fc.first.map_or(cur.frame, |(f, _)| f);
            cur.push(Finding::FastcloseFinalRst { with_fastclose: has_fastclose, first });
        }
    }

    fn on_option(&mut self, c: ConnId, s: SubflowId, end: usize, segment: Segment, option: &MptcpOption<'_>, cur: &mut Current) {
        let host = self.subflows[s].host_of_end(end);
        let peer = 1 - host;
        match option {
            MptcpOption::MpFastclose(f) => {
                let conn = &mut self.connections[c];
                let key_valid = conn.hosts[peer].key.map(|key| key == f.receiver_key);
                if let (true, Some(valid)) = (self.config.verify_crypto, key_valid) {
                    cur.push(Finding::FastcloseKey { valid });
                }
                if segment.syn || !segment.ack {
                    cur.push(Finding::FastcloseMisuse);
                }
                // A forged fastclose is ignored by the receiver: it starts no fastclose to follow.
                if key_valid == Some(false) {
                    return;
                }
                let peer_rst = conn.hosts[peer].last_rst;
                let fc = conn.hosts[host].fastclose.get_or_insert_with(Box::default);
                if segment.rst {
                    if fc.on_ack == 0 && fc.option_r.is_none() {
                        fc.option_r = Some(cur.frame);
                        fc.first.get_or_insert((cur.frame, cur.time));
                    }
                } else if segment.ack && !segment.syn {
                    // Several MP_FASTCLOSEs in one segment are one fastclose, not repeats.
                    if fc.on_ack > 0 && fc.last_on_ack == cur.frame {
                        return;
                    }
                    match fc.first {
                        Some((first, first_time)) if fc.on_ack > 0 => {
                            cur.push(Finding::FastcloseRetransmitted { number: fc.on_ack, first, since_first: cur.time - first_time });
                            if let Some(r) = peer_rst.filter(|r| *r > first) {
                                cur.push(Finding::FastcloseAfterPeerRst { peer_rst: r });
                            }
                        }
                        _ => {
                            fc.first = Some((cur.frame, cur.time));
                            let index = cur.push(Finding::FastcloseInitiated { answered_in: None, answer_delay: None });
                            fc.initiated_at = Some((cur.frame, index));
                        }
                    }
                    fc.on_ack += 1;
                    fc.last_on_ack = cur.frame;
                    fc.subflow = Some(s);
                }
            }
            MptcpOption::MpTcpRst(r) if segment.rst => {
                cur.push(Finding::RstReasonGiven { reason: r.reason, transient: r.transient });
            }
            MptcpOption::AddAddr(a) => self.on_add_addr(c, s, host, a, cur),
            MptcpOption::RemoveAddr(r) => {
                let conn = &mut self.connections[c];
                let mut streams = Vec::new();
                for id in r.address_ids {
                    let bound = conn.hosts[host].bound(*id);
                    for &other in &conn.subflows {
                        let sf = &self.subflows[other];
                        // Closed subflows count too: the host may close them before it says why.
                        if sf.end_uses(sf.end_of_host(host), *id, bound) && !streams.contains(&sf.stream) {
                            streams.push(sf.stream);
                        }
                    }
                    conn.hosts[host].addresses.retain(|(i, ..)| i != id);
                }
                cur.push(Finding::AddressRemoved { streams });
            }
            MptcpOption::MpFail(f) => {
                let conn = &mut self.connections[c];
                let failed = conn.bad_mappings.iter().find(|(_, _, dsn, len)| f.dsn.wrapping_sub(*dsn) < u64::from((*len).max(1))).copied();
                let mapping_frame = failed.map(|(frame, ..)| frame);
                cur.push(Finding::FailReported { dsn: f.dsn, mapping_frame });
                self.mark_bad_mappings_followed(c, cur);
                // Both ends leave MPTCP on this subflow (RFC 8684 section 3.7).
                self.subflows[s].fall_back();
            }
            MptcpOption::Dss(d) => {
                if let Some(m) = d.mapping {
                    self.on_mapping(c, s, end, m, d.data_fin, cur);
                }
            }
            MptcpOption::FaultAnnounce(f) => {
                let target = self.resolve_fault(c, s, host, f.src_addr_id, f.dst_addr_id);
                let index = cur.push(Finding::FaultAnnounced {
                    cause: f.cause,
                    transient: f.transient,
                    src_addr_id: f.src_addr_id,
                    dst_addr_id: f.dst_addr_id,
                    target: target.as_ref().map(|(_, t)| t.clone()),
                });
                if let Some((t, _)) = target {
                    self.fault_targets.push((t, cur.frame, index));
                }
            }
            _ => {}
        }
    }

    /// Links earlier checksum failures of the connection to this MP_FAIL or infinite mapping.
    fn mark_bad_mappings_followed(&mut self, c: ConnId, cur: &mut Current) {
        for (frame, index, ..) in self.connections[c].bad_mappings.take_all() {
            let at = if frame == cur.frame { Some(&mut cur.findings) } else { self.records.get_mut(&frame) };
            if let Some(Finding::DssChecksum { followed_by, .. }) = at.and_then(|v| v.get_mut(index)) {
                followed_by.get_or_insert(cur.frame);
            }
        }
    }

    fn on_add_addr(&mut self, c: ConnId, s: SubflowId, host: usize, a: &AddAddr, cur: &mut Current) {
        let peer = 1 - host;
        let conn = &mut self.connections[c];
        if a.is_echo() {
            if let Some(ann) = conn.hosts[peer]
                .announcements
                .iter_mut()
                .find(|n| n.id == a.address_id && n.address == a.address && n.port == a.port)
            {
                ann.echo_seen = true;
            }
            return;
        }
        if let (true, Some(h), Some(own), Some(other)) = (self.config.verify_crypto, a.truncated_hmac, conn.hosts[host].key, conn.hosts[peer].key) {
            let verdict = match crypto::verify_add_addr_hmac(own, other, a.address_id, a.address, a.port, h) {
                AddAddrHmacCheck::Valid => AddAddrVerdict::Valid,
                AddAddrHmacCheck::Legacy(form) => AddAddrVerdict::Legacy(form),
                AddAddrHmacCheck::Invalid { .. } => AddAddrVerdict::Invalid,
            };
            if verdict == AddAddrVerdict::Valid {
                self.verified.push((cur.frame, Verified::AddAddrHmac));
            } else {
                cur.push(Finding::AddAddrHmac { verdict });
            }
        }
        let h = &mut conn.hosts[host];
        // One announcement per address ID (at most 256 a host, whatever a sender floods): an
        // ID announced with another address is a new binding.
        match h.announcements.iter_mut().find(|n| n.id == a.address_id) {
            // The same ADD_ADDR twice in one segment is no repeat.
            Some(previous) if previous.address == a.address && previous.port == a.port && previous.frame != cur.frame => {
                cur.push(Finding::AddAddrRepeated { previous: previous.frame, echo_seen: previous.echo_seen });
                previous.frame = cur.frame;
                previous.echo_seen = false;
            }
            Some(previous) => {
                *previous = Announcement { id: a.address_id, address: a.address, port: a.port, frame: cur.frame, echo_seen: false };
            }
            None => h.announcements.push(Announcement { id: a.address_id, address: a.address, port: a.port, frame: cur.frame, echo_seen: false }),
        }
        h.addresses.retain(|(i, ..)| *i != a.address_id);
        h.addresses.push((a.address_id, a.address, a.port));
        let _ = s;
    }

    /// The subflow of connection `c` whose ends carry these address IDs.
    fn resolve_fault(&self, c: ConnId, _s: SubflowId, host: usize, src_id: u8, dst_id: u8) -> Option<(SubflowId, FaultTarget)> {
        let conn = &self.connections[c];
        let found = conn.subflows.iter().copied().find(|&t| {
            let sf = &self.subflows[t];
            sf.end_uses(sf.end_of_host(host), src_id, conn.hosts[host].bound(src_id))
                && sf.end_uses(sf.end_of_host(1 - host), dst_id, conn.hosts[1 - host].bound(dst_id))
        })?;
        let sf = &self.subflows[found];
        let (eh, ep) = (sf.end_of_host(host), sf.end_of_host(1 - host));
        Some((
            found,
            FaultTarget { stream: sf.stream, src: sf.ends[eh].0, dst: sf.ends[ep].0, last_frame: sf.last_frame, rst_frame: sf.first_rst },
        ))
    }

    fn sender_idsn(&self, c: ConnId, host: usize) -> Option<u64> {
        let conn = &self.connections[c];
        Some(crypto::key_derived(conn.version?, conn.hosts[host].key?).idsn)
    }

    fn on_mapping(&mut self, c: ConnId, s: SubflowId, end: usize, m: Mapping, data_fin: bool, cur: &mut Current) {
        let host = self.subflows[s].host_of_end(end);
        if m.is_infinite() {
            self.subflows[s].fall_back();
            self.subflows[s].dirs[end].check = None;
            self.mark_bad_mappings_followed(c, cur);
            return;
        }
        let negotiated = self.connections[c].checksums_negotiated();
        let dir = &mut self.subflows[s].dirs[end];
        dir.coverage = Some((m.ssn, u32::from(m.data_len)));
        if let Some(negotiated) = negotiated {
            if negotiated != m.checksum.is_some() && !dir.checksum_presence_reported {
                dir.checksum_presence_reported = true;
                cur.push(Finding::ChecksumPresence { present: m.checksum.is_some() });
            }
        }
        let (Some(checksum), true) = (m.checksum, self.config.verify_crypto) else { return };
        let dsn = match m.dsn {
            crate::DataSeq::U64(v) => v,
            crate::DataSeq::U32(_) => match self.sender_idsn(c, host) {
                Some(idsn) => m.dsn.expand(idsn),
                None => return,
            },
        };
        self.start_check(s, end, cur.frame, dsn, m.ssn, m.data_len, checksum, data_fin, m.ssn);
    }

    #[allow(clippy::too_many_arguments)]
    fn start_check(&mut self, s: SubflowId, end: usize, frame: Frame, dsn: u64, ssn: u32, data_len: u16, checksum: u16, data_fin: bool, start: u32) {
        let dir = &mut self.subflows[s].dirs[end];
        if let Some(check) = &dir.check {
            // The same mapping repeated on the segments it spans.
            if check.dsn == dsn && check.ssn == ssn && check.data_len == data_len {
                return;
            }
        }
        // DATA_FIN takes one data sequence number and no byte.
        let bytes = u32::from(data_len) - u32::from(data_fin && data_len > 0);
        dir.check = Some(Box::new(MappingCheck {
            frame,
            dsn,
            ssn,
            data_len,
            checksum,
            next: start,
            end: start.wrapping_add(bytes),
            sum: DssChecksum::new(dsn, ssn, data_len),
        }));
    }

    /// Feeds payload to the mapping being checked, and looks for payload no mapping covers.
    fn on_payload(&mut self, s: SubflowId, end: usize, seg: &TcpSegment<'_>, options: &[MptcpOption<'_>], cur: &mut Current) {
        // MP_CAPABLE with data: implicit mapping (DSN = IDSN + 1, SSN 1).
        if let Some(CapableForm::BothKeysData { sender_key, data_len, checksum, .. }) = options.iter().find_map(|o| match o {
            MptcpOption::MpCapable(c) => Some(c.form),
            _ => None,
        }) {
            let c = self.subflows[s].connection;
            let version = c.and_then(|c| self.connections[c].version).unwrap_or(Version::V1);
            // The mapping covers this segment's data: relative sequence 1, or later when the
            // SYN carried data (TFO). Its pseudo-header SSN is 1 either way.
            if let Some(isn) = self.subflows[s].dirs[end].isn {
                let start = seg.seq.wrapping_sub(isn);
                self.subflows[s].dirs[end].coverage = Some((start, u32::from(data_len)));
                if let (Some(csum), true) = (checksum, self.config.verify_crypto) {
                    let dsn = crypto::key_derived(version, sender_key).idsn.wrapping_add(1);
                    self.start_check(s, end, cur.frame, dsn, 1, data_len, csum, false, start);
                }
            }
        }
        let c = self.subflows[s].connection;
        let established = self.subflows[s].established_mptcp();
        let sf = &mut self.subflows[s];
        let dir = &mut sf.dirs[end];
        let Some(isn) = dir.isn else { return };
        let rel = seg.seq.wrapping_sub(isn);
        let len = seg.payload.len() as u32;

        if let Some(check) = dir.check.as_mut() {
            if check.next == check.end {
                // Mappings without payload (a lone DATA_FIN) complete at once.
            } else if len > 0 {
                let offset = check.next.wrapping_sub(rel);
                if offset < len {
                    let take = (len - offset).min(check.end.wrapping_sub(check.next));
                    check.sum.update(&seg.payload[offset as usize..(offset + take) as usize]);
                    check.next = check.next.wrapping_add(take);
                } else if rel.wrapping_sub(check.next) < 0x8000_0000 {
                    // A gap (bytes not captured, or reordered): the mapping cannot be verified.
                    dir.check = None;
                }
            }
        }
        if let Some(check) = dir.check.take_if(|k| k.next == k.end) {
            let valid = check.sum.verify(check.checksum);
            if valid {
                self.verified.push((cur.frame, Verified::DssChecksum(check.frame)));
            } else {
                let index = cur.push(Finding::DssChecksum { valid, mapping_frame: check.frame, followed_by: None });
                if let Some(c) = c {
                    let conn = &mut self.connections[c];
                    // Bounded: a connection that keeps failing keeps its latest failures.
                    if conn.bad_mappings.len() >= 16 {
                        conn.bad_mappings.remove(0);
                    }
                    conn.bad_mappings.push((cur.frame, index, check.dsn, u32::from(check.data_len)));
                }
            }
        }

        let sf = &mut self.subflows[s];
        let dir = &mut sf.dirs[end];
        if len == 0 || seg.flags & 0x02 != 0 || !established || dir.fallback || sf.options_missing_reported {
            return;
        }
        let covered = dir.coverage.is_some_and(|(ssn, mlen)| {
            let from = rel.wrapping_sub(ssn);
            from < mlen && from.wrapping_add(len) <= mlen
        });
        if !covered {
            sf.options_missing_reported = true;
            dir.fallback = true;
            cur.push(Finding::OptionsMissing);
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    /// What every subflow and connection costs, whatever happens on it: rare state (fastclose,
    /// announcements, checksum failures, a mapping being checked) is boxed or in sparse lists.
    #[test]
    fn per_subflow_and_per_connection_state_stays_small() {
        assert!(size_of::<Subflow>() <= 208, "Subflow is {} bytes", size_of::<Subflow>());
        assert!(size_of::<Connection>() <= 152, "Connection is {} bytes", size_of::<Connection>());
    }
}
