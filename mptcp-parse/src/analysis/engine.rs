//! The engine: connection and subflow state, fed one segment at a time.

use super::carriers::Carriers;
use super::finding::{
    AddAddrVerdict, FaultTarget, Finding, Frame, HandshakeStep, JoinRefusal, Nanos,
};
use crate::crypto::{self, AddAddrHmacCheck, DssChecksum, Version};
use crate::{
    mptcp_options_lenient, AddAddr, CapableForm, Context, JoinForm, Mapping, MptcpOption, Segment,
    TcpFlags, TcpSegment,
};

/// Tables keyed by what the capture says (streams, ports, tokens, frames). foldhash is several
/// times faster than SipHash on such small keys and is still seeded at random, so a capture
/// cannot be made to collide in them.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// Tables of 4-byte indices into a list whose entries hold their own keys (subflows by stream
/// or address and port pair, addresses), hashed with the engine's [`Hasher`]: the key is not
/// stored twice.
type Index = hashbrown::HashTable<u32>;
type Hasher = foldhash::fast::RandomState;
use arrayvec::ArrayVec;
use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
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

type Endpoint = (IpAddr, u16);

type ConnId = usize;
type SubflowId = usize;

/// The two hosts of a connection: the one that sent the initial SYN, and its peer.
const CLIENT: usize = 0;
const SERVER: usize = 1;

/// A frame number or none, in 4 bytes: the engine analyses no frame 0 (see
/// [`Engine::process`]), so 0 says none.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct OptFrame(Frame);

impl OptFrame {
    const NONE: OptFrame = OptFrame(0);
    fn get(self) -> Option<Frame> {
        (self.0 != 0).then_some(self.0)
    }
    fn is_none(self) -> bool {
        self.0 == 0
    }
    fn set(&mut self, frame: Frame) {
        self.0 = frame;
    }
    fn get_or_insert(&mut self, frame: Frame) -> Frame {
        if self.0 == 0 {
            self.0 = frame;
        }
        self.0
    }
}

/// Pushes onto a list that only grows (subflows, connections, addresses), by half its length
/// at a time rather than doubling: on average a fifth of it is spare room instead of a third,
/// for a few more copies (still amortised O(1) a push).
fn push_grown<T>(list: &mut Vec<T>, value: T) {
    push_grown_from(list, value, 4);
}

/// [`push_grown`], growing by at least `least` entries.
fn push_grown_from<T>(list: &mut Vec<T>, value: T, least: usize) {
    if list.len() == list.capacity() {
        list.reserve_exact((list.len() / 2).max(least));
    }
    list.push(value);
}

/// A list that is usually empty: 8 bytes until something is pushed. Per-host and
/// per-connection lists (announcements, checksum failures) are empty on almost every
/// connection, and connections are what a flood multiplies. When used, it holds one or two
/// entries mostly: it grows by half its length, from one.
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
        self.0
            .as_deref()
            .map_or_else(Default::default, |v| v.iter())
    }
    fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        match self.0.as_deref_mut() {
            Some(v) => v.iter_mut(),
            None => Default::default(),
        }
    }
    fn push(&mut self, value: T) {
        push_grown_from(self.0.get_or_insert_with(Default::default), value, 1);
    }
    fn len(&self) -> usize {
        self.0.as_deref().map_or(0, Vec::len)
    }
    fn remove(&mut self, index: usize) -> T {
        self.0
            .as_deref_mut()
            .expect("index within len()")
            .remove(index)
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

/// The last ADD_ADDR of an address ID, and whether the ID is still bound to its address (not
/// removed by REMOVE_ADDR since).
struct Announcement {
    frame: Frame,
    port: Option<u16>,
    address: IpAddr,
    id: u8,
    echo_seen: bool,
    bound: bool,
}

#[derive(Default)]
struct Host {
    key: u64,
    /// Only hosts that sent MP_FASTCLOSE have one.
    fastclose: Option<Box<Fastclose>>,
    /// One per address ID announced (IDs of joins are kept on the subflows).
    announcements: Sparse<Announcement>,
    last_rst: OptFrame,
    has_key: bool,
    checksum_flag: Option<bool>,
}

impl Host {
    fn key(&self) -> Option<u64> {
        self.has_key.then_some(self.key)
    }
    fn set_key(&mut self, key: Option<u64>) {
        self.has_key = key.is_some();
        self.key = key.unwrap_or(0);
    }
    /// The address and port this host bound to `id` with ADD_ADDR.
    fn bound(&self, id: u8) -> Option<(IpAddr, Option<u16>)> {
        self.announcements
            .iter()
            .find(|n| n.id == id && n.bound)
            .map(|n| (n.address, n.port))
    }
}

struct Connection {
    hosts: [Host; 2],
    /// Its subflows, in order of joining.
    subflows: Vec<u32>,
    /// DSS checksum failures: (finding frame, finding index, DSN of the mapping, its length).
    bad_mappings: Sparse<(Frame, usize, u64, u32)>,
    version: Option<Version>,
    tokens_registered: bool,
}

impl Connection {
    fn checksums_negotiated(&self) -> Option<bool> {
        match (
            self.hosts[CLIENT].checksum_flag,
            self.hosts[SERVER].checksum_flag,
        ) {
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

/// An MP_JOIN handshake (whether there is one, and how far it went, is in the subflow's flags).
#[derive(Clone, Copy, Default)]
struct JoinState {
    token: u32,
    syn_frame: Frame,
    joiner_nonce: u32,
    listener_nonce: u32,
}

/// A mapping whose DSS checksum is being verified as its payload arrives.
#[derive(Clone, Copy)]
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
    /// The last frame whose DSS carried this mapping.
    seen_in: Frame,
    /// Its earlier frames that did not complete it, in [`Carriers`] (0: none).
    carriers: u32,
}

impl MappingCheck {
    /// The check of a mapping seen in `frame`, its bytes from relative subflow sequence number
    /// `start` on.
    #[allow(clippy::too_many_arguments)]
    fn new(
        frame: Frame,
        dsn: u64,
        ssn: u32,
        data_len: u16,
        checksum: u16,
        data_fin: bool,
        start: u32,
    ) -> MappingCheck {
        // DATA_FIN takes one data sequence number and no byte.
        let bytes = u32::from(data_len) - u32::from(data_fin && data_len > 0);
        let sum = DssChecksum::new(dsn, ssn, data_len);
        MappingCheck {
            frame,
            dsn,
            ssn,
            data_len,
            checksum,
            next: start,
            end: start.wrapping_add(bytes),
            sum,
            seen_in: frame,
            carriers: 0,
        }
    }

    /// Whether this is the check of that mapping (a mapping is repeated on the segments it
    /// spans).
    fn is_of(&self, dsn: u64, ssn: u32, data_len: u16) -> bool {
        self.dsn == dsn && self.ssn == ssn && self.data_len == data_len
    }

    /// The check once fed the payload at relative subflow sequence number `rel`; `None` at a
    /// gap (bytes not captured, or reordered): the mapping cannot be verified.
    fn fed(&self, rel: u32, payload: &[u8]) -> Option<MappingCheck> {
        let mut check = *self;
        let len = payload.len() as u32;
        // Mappings without payload (a lone DATA_FIN) complete at once.
        if check.next != check.end && len > 0 {
            let offset = check.next.wrapping_sub(rel);
            if offset < len {
                let take = (len - offset).min(check.end.wrapping_sub(check.next));
                check
                    .sum
                    .update(&payload[offset as usize..(offset + take) as usize]);
                check.next = check.next.wrapping_add(take);
            } else if rel.wrapping_sub(check.next) < 0x8000_0000 {
                return None;
            }
        }
        Some(check)
    }

    fn complete(&self) -> bool {
        self.next == self.end
    }
}

/// One direction of a subflow (whether `isn` and `coverage` are known is in the subflow's
/// direction flags).
#[derive(Clone, Copy, Default)]
struct Direction {
    isn: u32,
    /// The last mapping: (relative SSN, length).
    coverage: (u32, u32),
}

/// `Subflow::dir_flags` bits, one set per direction.
const DIR_ISN: u8 = 1;
const DIR_COVERAGE: u8 = 2;
/// Plain TCP from now on: DSS is no longer expected.
const DIR_FALLBACK: u8 = 4;
const DIR_FIN: u8 = 8;
const DIR_CHECKSUM_PRESENCE_REPORTED: u8 = 16;

/// `Subflow::flags` bits.
const CAPABLE_SYN_ACK: u16 = 1;
const THIRD_ACK_SEEN: u16 = 2;
const OPTIONS_MISSING_REPORTED: u16 = 4;
/// End 1 is the connection's client host (else end 0).
const CLIENT_END_1: u16 = 8;
/// Its MP_CAPABLE SYN was answered (and forgotten in the SYN-drop table).
const SYN_ANSWERED: u16 = 16;
/// `join` holds an MP_JOIN handshake.
const JOIN: u16 = 32;
const JOIN_ANSWERED: u16 = 64;
const JOIN_LISTENER_NONCE: u16 = 128;

/// No connection: `Subflow::connection`.
const NO_CONNECTION: u32 = u32::MAX;
/// No subflow: an empty slot of `Engine::stream_slots`.
const NO_SUBFLOW: u32 = u32::MAX;
/// How far beyond the stream slots a new stream number may be and still get a slot (those
/// between are left empty); further numbers go to the table.
const STREAM_SLOTS_AHEAD: usize = 1024;

/// 112 bytes: addresses are numbers into the engine's address list, frames 4 bytes, flags bits.
struct Subflow {
    /// A mapping whose checksum is being verified, per direction. Boxed: only subflows with
    /// DSS checksums have one, and not always.
    checks: [Option<Box<MappingCheck>>; 2],
    join: JoinState,
    dirs: [Direction; 2],
    stream: u32,
    connection: u32,
    /// The two ends: end 0 sent the SYN (or the first segment seen). Addresses are indices
    /// into `Engine::addresses`.
    addresses: [u32; 2],
    ports: [u16; 2],
    first_frame: Frame,
    last_frame: Frame,
    capable_syn: OptFrame,
    first_rst: OptFrame,
    last_rst: OptFrame,
    closed_at: OptFrame,
    address_ids: [Option<u8>; 2],
    dir_flags: [u8; 2],
    flags: u16,
    kind: Kind,
}

impl Subflow {
    fn has(&self, flag: u16) -> bool {
        self.flags & flag != 0
    }
    fn set(&mut self, flag: u16, on: bool) {
        if on {
            self.flags |= flag;
        } else {
            self.flags &= !flag;
        }
    }
    fn dir_has(&self, end: usize, flag: u8) -> bool {
        self.dir_flags[end] & flag != 0
    }
    fn dir_set(&mut self, end: usize, flag: u8) {
        self.dir_flags[end] |= flag;
    }
    fn isn(&self, end: usize) -> Option<u32> {
        self.dir_has(end, DIR_ISN).then_some(self.dirs[end].isn)
    }
    fn set_isn(&mut self, end: usize, isn: u32) {
        self.dirs[end].isn = isn;
        self.dir_set(end, DIR_ISN);
    }
    fn coverage(&self, end: usize) -> Option<(u32, u32)> {
        self.dir_has(end, DIR_COVERAGE)
            .then_some(self.dirs[end].coverage)
    }
    fn set_coverage(&mut self, end: usize, coverage: (u32, u32)) {
        self.dirs[end].coverage = coverage;
        self.dir_set(end, DIR_COVERAGE);
    }
    fn connection(&self) -> Option<ConnId> {
        (self.connection != NO_CONNECTION).then_some(self.connection as ConnId)
    }
    fn set_connection(&mut self, c: Option<ConnId>) {
        self.connection = c.map_or(NO_CONNECTION, |c| c as u32);
    }
    fn join(&self) -> Option<&JoinState> {
        self.has(JOIN).then_some(&self.join)
    }
    fn join_answered(&self) -> bool {
        self.has(JOIN_ANSWERED)
    }
    fn listener_nonce(&self) -> Option<u32> {
        self.has(JOIN_LISTENER_NONCE)
            .then_some(self.join.listener_nonce)
    }
    /// Address and port of end `e`.
    fn end(&self, addresses: &[IpAddr], e: usize) -> Endpoint {
        (addresses[self.addresses[e] as usize], self.ports[e])
    }
    /// Its key in `Engine::by_tuple`.
    fn tuple_key(&self, addresses: &[IpAddr]) -> (Endpoint, Endpoint) {
        tuple_key(self.end(addresses, 0), self.end(addresses, 1))
    }
    /// Whether `endpoint` is end `e` (the port first: it tells most apart).
    fn is_end(&self, addresses: &[IpAddr], e: usize, endpoint: Endpoint) -> bool {
        self.ports[e] == endpoint.1 && addresses[self.addresses[e] as usize] == endpoint.0
    }
    fn client_end(&self) -> usize {
        usize::from(self.has(CLIENT_END_1))
    }
    fn set_client_end(&mut self, e: usize) {
        self.set(CLIENT_END_1, e == 1);
    }
    fn host_of_end(&self, end: usize) -> usize {
        if end == self.client_end() {
            CLIENT
        } else {
            SERVER
        }
    }
    fn end_of_host(&self, host: usize) -> usize {
        if host == CLIENT {
            self.client_end()
        } else {
            1 - self.client_end()
        }
    }
    /// The subflow is plain TCP from now on: DSS is no longer expected.
    fn fall_back(&mut self) {
        self.dir_set(0, DIR_FALLBACK);
        self.dir_set(1, DIR_FALLBACK);
    }

    /// Whether the end `e` uses the address the host bound to `id`: by the ID the handshake
    /// gave that end, or by the address (and port, when announced) of an ADD_ADDR.
    fn end_uses(
        &self,
        addresses: &[IpAddr],
        e: usize,
        id: u8,
        bound: Option<(IpAddr, Option<u16>)>,
    ) -> bool {
        if self.address_ids[e] == Some(id) {
            return true;
        }
        let (ip, p) = self.end(addresses, e);
        bound.is_some_and(|(address, port)| {
            ip == address
                && match port {
                    Some(port) => p == port,
                    // Without a port the address alone may be shared by several IDs.
                    None => self.address_ids[e].is_none(),
                }
        })
    }

    /// Plain TCP so far: no MPTCP option, handshake or connection on it.
    fn is_plain(&self) -> bool {
        self.kind == Kind::Unknown && self.connection().is_none()
    }

    /// Whether payload from `end` must come with a mapping: MPTCP established, not fallen
    /// back, and payload without one not reported yet (once is enough).
    #[inline]
    fn expects_mappings(&self, end: usize) -> bool {
        self.established_mptcp()
            && !self.dir_has(end, DIR_FALLBACK)
            && !self.has(OPTIONS_MISSING_REPORTED)
    }

    fn established_mptcp(&self) -> bool {
        match self.kind {
            Kind::Initial => self.has(CAPABLE_SYN_ACK),
            Kind::Join => {
                self.join().is_some() && self.join_answered() && self.listener_nonce().is_some()
            }
            Kind::Unknown => self.connection().is_some(),
        }
    }
}

/// Whether the mapping `coverage` (relative SSN, length) covers the `len` payload bytes at
/// relative subflow sequence number `rel`.
fn covers(coverage: Option<(u32, u32)>, rel: u32, len: u32) -> bool {
    coverage.is_some_and(|(ssn, mlen)| {
        let from = rel.wrapping_sub(ssn);
        from < mlen && from.wrapping_add(len) <= mlen
    })
}

/// The key of a subflow told by its addresses and ports: the lower end first.
fn tuple_key(a: Endpoint, b: Endpoint) -> (Endpoint, Endpoint) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// Where MP_CAPABLE SYNs went unanswered so far, for the SYN-drop finding. An answer removes
/// it.
struct SynAttempt {
    first: Frame,
    count: u32,
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
    hasher: Hasher,
    connections: Vec<Connection>,
    /// Token -> connection and host (`connection << 1 | host`).
    tokens: HashMap<u32, u32>,
    subflows: Vec<Subflow>,
    /// Subflows given a stream number, by it. Wireshark numbers TCP streams 0, 1, 2... as it
    /// meets them, so a slot per number finds a subflow with one load (`NO_SUBFLOW` where
    /// none); a number far beyond the slots (a caller numbering otherwise) goes to `by_stream`.
    stream_slots: Vec<u32>,
    by_stream: Index,
    /// Subflows given none, by their addresses and ports (the last one of each).
    by_tuple: Index,
    /// Every address of a subflow, once; `by_address` finds them.
    addresses: Vec<IpAddr>,
    by_address: Index,
    /// Destinations whose MP_CAPABLE SYNs are not answered (yet).
    syn_attempts: HashMap<(IpAddr, Endpoint), SynAttempt>,
    syn_limit_reported: bool,
    /// Findings per frame; only frames that have some. Nothing else is kept per frame, so
    /// memory grows with subflows and findings, not with packets.
    records: HashMap<Frame, Vec<Finding>>,
    /// Checks that passed, in frame order: one for every mapping of a connection with
    /// checksums, two for every join. A byte or two each rather than a record of findings.
    passed: Passed,
    /// The earlier frames of mappings that span segments, to show their checksum's verdict.
    carriers: Carriers,
    /// The last frame analysed: frames come in capture order, and one seen again is not
    /// analysed again.
    last_frame: Frame,
    /// (subflow, finding frame, index) of FAULT_ANNOUNCE targets to bring up to date.
    fault_targets: Vec<(SubflowId, Frame, usize)>,
    finished: bool,
    /// Tests only: every segment takes the general path (the steady path is checked against it).
    #[cfg(test)]
    general_only: bool,
    /// Tests only: the segments each copy of the steady path took (without checks, with).
    #[cfg(test)]
    steady_taken: [usize; 2],
}

/// A check that passed (see [`Engine::findings`] for the findings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verified {
    /// The DSS checksum of the mapping in that frame.
    DssChecksum(Frame),
    JoinHmac(HandshakeStep),
    AddAddrHmac,
    /// The MP_FASTCLOSE key matches the receiver's.
    FastcloseKey,
}

impl Verified {
    /// The finding of a check passed in `frame`.
    fn finding(self, frame: Frame) -> Finding {
        match self {
            Verified::DssChecksum(mapping_frame) => Finding::DssChecksum {
                valid: true,
                mapping_frame,
                completed_in: frame,
                followed_by: None,
            },
            Verified::JoinHmac(step) => Finding::JoinHmac { step, valid: true },
            Verified::AddAddrHmac => Finding::AddAddrHmac {
                verdict: AddAddrVerdict::Valid,
            },
            Verified::FastcloseKey => Finding::FastcloseKey { valid: true },
        }
    }
}

/// The checks that passed, in frame order, a byte or two each: per check, a LEB128 number
/// `(frame - previous check's frame) << 3 | tag` (tag 0: DSS checksum of a mapping in the same
/// frame; 1: of a mapping `back` frames before, `back` following as another LEB128 number;
/// 2 and 3: join HMAC of the SYN/ACK and of the ACK; 4: ADD_ADDR HMAC). Every [`PASSED_BLOCK`]
/// checks, a block starts: its byte offset and the frame of the check before it, for a
/// binary search and then at most a block to decode. Frames are mostly looked up in order
/// (the frame just analysed, a second pass): where the last look-up stopped is kept, and the
/// next one starts there when it can; the frames of the checks either side of it are kept
/// too, so that a frame between them (most frames) is answered without decoding.
#[derive(Default)]
struct Passed {
    bytes: Vec<u8>,
    /// (frame of the check before the block, 0 for the first; offset of the block in `bytes`).
    blocks: Vec<(Frame, u32)>,
    len: usize,
    last: Frame,
    /// Where the last look-up stopped: `offset << 32 | frame of the check before it` (0 for
    /// none). Atomic so that look-ups take `&self` and the engine stays `Sync`; one value, so a
    /// look-up always sees an offset with its own frame.
    cursor: AtomicU64,
    /// `after << 32 | before`: no check is in a frame strictly between the two (0: none
    /// known). Whatever look-up stored it, it stays true until the next push, which clears it.
    gap: AtomicU64,
}

const PASSED_BLOCK: usize = 32;

impl Passed {
    /// Records a check passed in `frame` (frames in order).
    fn push(&mut self, frame: Frame, verified: Verified) {
        // Offsets are 32-bit: past 4 GiB of checks (billions of them), no more are kept.
        if self.bytes.len() > u32::MAX as usize - 20 {
            return;
        }
        if self.len % PASSED_BLOCK == 0 {
            push_grown(&mut self.blocks, (self.last, self.bytes.len() as u32));
        }
        let (tag, back) = match verified {
            Verified::DssChecksum(mapping) if mapping == frame => (0, None),
            Verified::DssChecksum(mapping) => (1, Some(frame.wrapping_sub(mapping))),
            Verified::JoinHmac(HandshakeStep::SynAck) => (2, None),
            Verified::JoinHmac(HandshakeStep::Ack) => (3, None),
            Verified::AddAddrHmac => (4, None),
            Verified::FastcloseKey => (5, None),
        };
        if self.bytes.len() + 16 > self.bytes.capacity() {
            self.bytes.reserve_exact((self.bytes.len() / 2).max(64));
        }
        put_leb128(&mut self.bytes, u64::from(frame - self.last) << 3 | tag);
        if let Some(back) = back {
            put_leb128(&mut self.bytes, u64::from(back));
        }
        self.len += 1;
        self.last = frame;
        // The last gap may have ended at "no check after": no longer true.
        *self.gap.get_mut() = 0;
    }

    /// The checks passed in `frame`.
    fn of(&self, frame: Frame) -> PassedIn<'_> {
        let none = PassedIn {
            bytes: &[],
            at: 0,
            previous: 0,
            frame,
            cursor: None,
        };
        if frame > self.last || frame == 0 {
            return none;
        }
        // Looked up in order (the frame just analysed, a second pass), most frames have no
        // check: when `frame` is in the gap where the last look-up stopped, there is none,
        // without the search.
        let gap = self.gap.load(Relaxed);
        if ((gap >> 32) as u32) < frame && frame < gap as u32 {
            return none;
        }
        let cursor = self.cursor.load(Relaxed);
        let (cursor_at, cursor_previous) = ((cursor >> 32) as u32, cursor as u32);
        // The last block whose previous check is before `frame`: the checks of `frame` start
        // there or later (every check before it is before `frame`).
        let b = self
            .blocks
            .partition_point(|(previous, _)| *previous < frame);
        let Some(&(mut previous, mut at)) = b.checked_sub(1).and_then(|b| self.blocks.get(b))
        else {
            return none;
        };
        // Where the last look-up stopped, when later in that block and before `frame`.
        if cursor_previous < frame && cursor_at > at {
            (at, previous) = (cursor_at, cursor_previous);
        }
        PassedIn {
            bytes: &self.bytes,
            at: at as usize,
            previous,
            frame,
            cursor: Some((&self.cursor, &self.gap)),
        }
    }
}

fn put_leb128(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_leb128(bytes: &[u8], at: &mut usize) -> u64 {
    // Most are one byte.
    if let Some(&b) = bytes.get(*at).filter(|b| **b < 0x80) {
        *at += 1;
        return u64::from(b);
    }
    let mut v = 0u64;
    let mut shift = 0;
    while let Some(&b) = bytes.get(*at) {
        *at += 1;
        v |= u64::from(b & 0x7f) << shift.min(63);
        shift += 7;
        if b < 0x80 {
            break;
        }
    }
    v
}

/// The checks passed in one frame, decoded from [`Passed`].
struct PassedIn<'p> {
    bytes: &'p [u8],
    /// Offset of the next check, and the frame of the check before it.
    at: usize,
    previous: Frame,
    frame: Frame,
    /// Where to leave the offset of the first check after `frame`, and the gap it ends
    /// ([`Passed`]'s `cursor` and `gap`; `None`: done).
    cursor: Option<(&'p AtomicU64, &'p AtomicU64)>,
}

impl Iterator for PassedIn<'_> {
    type Item = Verified;
    fn next(&mut self) -> Option<Verified> {
        let (cursor, gap) = self.cursor?;
        // The frame of the first check after `frame`, if any.
        let mut next = Frame::MAX;
        while self.at < self.bytes.len() {
            let mut at = self.at;
            let head = get_leb128(self.bytes, &mut at);
            let frame = self.previous.wrapping_add((head >> 3) as u32);
            if frame > self.frame {
                next = frame;
                break;
            }
            self.at = at;
            self.previous = frame;
            let verified = match head & 7 {
                0 => Verified::DssChecksum(frame),
                1 => Verified::DssChecksum(
                    frame.wrapping_sub(get_leb128(self.bytes, &mut self.at) as u32),
                ),
                2 => Verified::JoinHmac(HandshakeStep::SynAck),
                3 => Verified::JoinHmac(HandshakeStep::Ack),
                4 => Verified::AddAddrHmac,
                _ => Verified::FastcloseKey,
            };
            if frame == self.frame {
                return Some(verified);
            }
        }
        // At the first check after the frame (or the end): the next look-up may start here,
        // and needs nothing for a frame before that check.
        cursor.store((self.at as u64) << 32 | u64::from(self.previous), Relaxed);
        gap.store(u64::from(self.previous) << 32 | u64::from(next), Relaxed);
        self.cursor = None;
        None
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
            hasher: Hasher::default(),
            connections: Vec::new(),
            tokens: HashMap::default(),
            subflows: Vec::new(),
            stream_slots: Vec::new(),
            by_stream: Index::new(),
            by_tuple: Index::new(),
            addresses: Vec::new(),
            by_address: Index::new(),
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
            steady_taken: [0; 2],
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
        self.subflow_of_stream(stream)
            .is_some_and(|s| self.subflows[s].is_plain())
    }

    /// Index of the MPTCP connection that the subflow given as `stream` in [`Packet`] belongs
    /// to, as far as known now. With [`findings`](Self::findings), this is what a frame seen
    /// again needs: the engine keeps nothing per frame but its findings.
    pub fn connection_of_stream(&self, stream: u32) -> Option<u32> {
        let s = self.subflow_of_stream(stream)?;
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
    #[inline]
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
    #[inline]
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
        let passed_before = self.passed.len;
        let Some((s, findings)) = self.analyse(packet, options) else {
            return FrameOutcome::default();
        };
        FrameOutcome {
            connection: self.subflows[s].connection().map(|c| c as u32),
            findings,
            passed_checks: self.passed.len > passed_before,
        }
    }

    /// Adds what only the end of the capture tells: fastcloses never answered, subflows an
    /// option-R fastclose did not reset, the last frames of faulty subflows. Idempotent.
    #[inline]
    pub fn finish(&mut self) {
        // A caller that shows frames seen again calls this for each of them: the test in line.
        if !self.finished {
            self.finish_now();
        }
    }

    #[inline(never)]
    fn finish_now(&mut self) {
        self.finished = true;
        for c in 0..self.connections.len() {
            for host in [CLIENT, SERVER] {
                let Some(fc) = self.connections[c].hosts[host].fastclose.as_deref() else {
                    continue;
                };
                if fc.on_ack > 0 && !fc.answered && !fc.final_rst {
                    let (frame, retransmissions) = (fc.last_on_ack, fc.on_ack - 1);
                    self.records
                        .entry(frame)
                        .or_default()
                        .push(Finding::FastcloseUnanswered { retransmissions });
                }
                if let Some(at) = fc.option_r {
                    let streams: Vec<u32> = self.connections[c]
                        .subflows
                        .iter()
                        .map(|s| &self.subflows[*s as usize])
                        .filter(|s| {
                            s.first_frame <= at
                                && s.closed_at.get().is_none_or(|closed| closed >= at)
                        })
                        .filter(|s| s.last_rst.get().is_none_or(|rst| rst < at))
                        .map(|s| s.stream)
                        .collect();
                    if !streams.is_empty() {
                        self.records
                            .entry(at)
                            .or_default()
                            .push(Finding::FastcloseSubflowsNotReset { streams });
                    }
                }
            }
        }
        for i in 0..self.fault_targets.len() {
            let (s, frame, index) = self.fault_targets[i];
            let (last, rst) = (
                self.subflows[s].last_frame,
                self.subflows[s].first_rst.get(),
            );
            if let Some(Finding::FaultAnnounced {
                target: Some(t), ..
            }) = self.records.get_mut(&frame).and_then(|v| v.get_mut(index))
            {
                t.last_frame = last;
                t.rst_frame = rst;
            }
        }
    }

    /// The subflow given `stream`.
    #[inline]
    fn subflow_of_stream(&self, stream: u32) -> Option<SubflowId> {
        match self.stream_slots.get(stream as usize) {
            Some(&s) if s != NO_SUBFLOW => Some(s as SubflowId),
            // A number filed before the slots reached it is still in `by_stream`.
            _ if self.by_stream.is_empty() => None,
            _ => self.subflow_of_sparse_stream(stream),
        }
    }

    /// [`subflow_of_stream`](Self::subflow_of_stream) beyond the slots.
    #[cold]
    #[inline(never)]
    fn subflow_of_sparse_stream(&self, stream: u32) -> Option<SubflowId> {
        let subflows = &self.subflows;
        self.by_stream
            .find(self.hasher.hash_one(stream), |&s| {
                subflows[s as usize].stream == stream
            })
            .map(|&s| s as SubflowId)
    }

    /// Files subflow `id` under `stream`: in its slot when the number is not far beyond the
    /// slots (at most twice as many slots as subflows, and some), else in `by_stream`.
    fn file_stream(&mut self, stream: u32, id: SubflowId) {
        let slot = stream as usize;
        if slot < self.stream_slots.len() {
            self.stream_slots[slot] = id as u32;
        } else if slot < 2 * self.subflows.len() + STREAM_SLOTS_AHEAD {
            if slot > self.stream_slots.len() {
                self.stream_slots.resize(slot, NO_SUBFLOW);
            }
            push_grown(&mut self.stream_slots, id as u32);
        } else {
            let (hasher, subflows) = (&self.hasher, &self.subflows);
            self.by_stream
                .insert_unique(hasher.hash_one(stream), id as u32, |&s| {
                    hasher.hash_one(subflows[s as usize].stream)
                });
        }
    }

    fn subflow_for(
        &mut self,
        packet: &Packet<'_>,
        seg: &TcpSegment<'_>,
        src: Endpoint,
        dst: Endpoint,
    ) -> SubflowId {
        let fresh_syn = seg.flags.is_syn_only();
        let (subflows, addresses) = (&self.subflows, &self.addresses);
        let found = match packet.stream {
            Some(stream) => self.subflow_of_stream(stream),
            None => {
                let key = tuple_key(src, dst);
                let found = self.by_tuple.find(self.hasher.hash_one(key), |&s| {
                    subflows[s as usize].tuple_key(addresses) == key
                });
                // A new SYN on a closed subflow's ports starts a new subflow.
                found.map(|&s| s as SubflowId).filter(|&s| {
                    let sf = &subflows[s];
                    !(fresh_syn && !sf.closed_at.is_none() && sf.isn(0) != Some(seg.seq))
                })
            }
        };
        match found {
            Some(s) => s,
            None => self.new_subflow(packet, src, dst),
        }
    }

    /// A subflow first seen in `packet`.
    #[cold]
    #[inline(never)]
    fn new_subflow(&mut self, packet: &Packet<'_>, src: Endpoint, dst: Endpoint) -> SubflowId {
        let id = self.subflows.len();
        let stream = packet.stream.unwrap_or(id as u32);
        let addresses = [self.address_number(src.0), self.address_number(dst.0)];
        push_grown(
            &mut self.subflows,
            Subflow {
                checks: [None, None],
                join: JoinState::default(),
                dirs: [Direction::default(); 2],
                stream,
                connection: NO_CONNECTION,
                addresses,
                ports: [src.1, dst.1],
                first_frame: packet.frame,
                last_frame: packet.frame,
                capable_syn: OptFrame::NONE,
                first_rst: OptFrame::NONE,
                last_rst: OptFrame::NONE,
                closed_at: OptFrame::NONE,
                address_ids: [None, None],
                dir_flags: [0, 0],
                flags: 0,
                kind: Kind::Unknown,
            },
        );
        let (hasher, subflows, addresses) = (&self.hasher, &self.subflows, &self.addresses);
        match packet.stream {
            Some(stream) => self.file_stream(stream, id),
            None => {
                let rehash = |&s: &u32| hasher.hash_one(subflows[s as usize].tuple_key(addresses));
                let key = tuple_key(src, dst);
                let hash = hasher.hash_one(key);
                let same = |&s: &u32| subflows[s as usize].tuple_key(addresses) == key;
                // The new subflow replaces a closed one of the same ports.
                match self.by_tuple.find_mut(hash, same) {
                    Some(slot) => *slot = id as u32,
                    None => {
                        self.by_tuple.insert_unique(hash, id as u32, rehash);
                    }
                }
            }
        }
        id
    }

    /// The number of `address` in `addresses` (added if new).
    fn address_number(&mut self, address: IpAddr) -> u32 {
        let hash = self.hasher.hash_one(address);
        let addresses = &self.addresses;
        if let Some(&n) = self
            .by_address
            .find(hash, |&n| addresses[n as usize] == address)
        {
            return n;
        }
        let n = self.addresses.len() as u32;
        push_grown(&mut self.addresses, address);
        let (hasher, addresses) = (&self.hasher, &self.addresses);
        self.by_address
            .insert_unique(hash, n, |&n| hasher.hash_one(addresses[n as usize]));
        n
    }

    /// A connection for a subflow that has none yet: once per connection.
    #[cold]
    #[inline(never)]
    fn new_connection(&mut self, s: SubflowId) -> ConnId {
        let c = self.connections.len();
        push_grown(
            &mut self.connections,
            Connection {
                hosts: [Host::default(), Host::default()],
                subflows: vec![s as u32],
                bad_mappings: Sparse::default(),
                version: None,
                tokens_registered: false,
            },
        );
        self.subflows[s].set_connection(Some(c));
        c
    }

    /// The subflow's connection; a subflow seen without its handshake gets one of its own,
    /// with unknown keys, so that connection-level findings still work.
    #[inline]
    fn connection_of(&mut self, s: SubflowId) -> ConnId {
        match self.subflows[s].connection() {
            Some(c) => c,
            None => self.new_connection(s),
        }
    }

    fn register_tokens(&mut self, c: ConnId) {
        let conn = &mut self.connections[c];
        if conn.tokens_registered {
            return;
        }
        let (Some(v), Some(client), Some(server)) = (
            conn.version,
            conn.hosts[CLIENT].key(),
            conn.hosts[SERVER].key(),
        ) else {
            return;
        };
        conn.tokens_registered = true;
        // (More than 2^31 connections would not fit: they would take hundreds of GB first.)
        let Ok(c) = u32::try_from(c << 1) else { return };
        self.tokens.insert(
            crypto::key_derived(v, crypto::Key(client)).token,
            c | CLIENT as u32,
        );
        self.tokens.insert(
            crypto::key_derived(v, crypto::Key(server)).token,
            c | SERVER as u32,
        );
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
        let s = self.subflow_for(packet, &seg, src, dst);
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
        let end = usize::from(!self.subflows[s].is_end(&self.addresses, 0, src));
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
        // Segments with a DSS checksum to verify take a steady path of their own: the checks'
        // code stays out of the lines that the others run through.
        if self.steady::<false>(s, end, &seg, options, packet.frame)
            || self.steady_checked(s, end, &seg, options, packet.frame)
        {
            return Some((s, false));
        }
        Some((s, self.analyse_general(packet, s, end, &seg, options)))
    }

    /// Most segments, in short: data or a bare acknowledgement on an established subflow (no
    /// SYN, RST or FIN, no handshake under way), with no MPTCP option or one DSS whose mapping,
    /// if any, is not infinite and has a 64-bit DSN when its checksum is to be verified. When
    /// [`analyse_general`](Self::analyse_general) would only note the frame, the mapping's
    /// coverage and the checksum verified so far, and find nothing but a checksum that
    /// matches, does that and returns true; otherwise changes nothing and returns false. Its
    /// own code, apart from the general path's: a few cache lines a segment instead of dozens.
    /// `CHECKS` false: also returns false for a direction with a DSS checksum to verify, and
    /// has no code for it.
    #[inline]
    fn steady<const CHECKS: bool>(
        &mut self,
        s: SubflowId,
        end: usize,
        seg: &TcpSegment<'_>,
        options: &[MptcpOption<'_>],
        frame: Frame,
    ) -> bool {
        #[cfg(test)]
        if self.general_only {
            return false;
        }
        let (mapping, data_fin) = match options {
            [] => (None, false),
            [MptcpOption::Dss(d)] => (d.mapping, d.data_fin),
            _ => return false,
        };
        let sf = &self.subflows[s];
        // FIN, SYN, RST; a handshake under way.
        if seg
            .flags
            .intersects(TcpFlags::FIN | TcpFlags::SYN | TcpFlags::RST)
            || (sf.kind == Kind::Initial && !sf.has(THIRD_ACK_SEEN))
            || (!CHECKS && sf.checks[end].is_some())
        {
            return false;
        }
        // The general path gives a subflow with an option a connection.
        if !options.is_empty() && sf.connection().is_none() {
            return false;
        }
        // The mapping being checked in that direction before the payload: the one under way, or
        // the one this segment's mapping starts.
        let mut started = None;
        // This segment's DSS repeats the mapping under way.
        let mut repeated = false;
        let coverage = match mapping {
            None => sf.coverage(end),
            Some(m) => {
                if m.is_infinite() {
                    return false;
                }
                // A checksum present or missing against the handshake is a finding.
                let negotiated = sf
                    .connection()
                    .and_then(|c| self.connections[c].checksums_negotiated());
                if negotiated.is_some_and(|n| n != m.checksum.is_some())
                    && !sf.dir_has(end, DIR_CHECKSUM_PRESENCE_REPORTED)
                {
                    return false;
                }
                if let (Some(checksum), true) = (m.checksum, self.config.verify_crypto) {
                    if !CHECKS {
                        return false;
                    }
                    // A 32-bit DSN is expanded with the keys: the general path's.
                    let crate::DataSeq::U64(dsn) = m.dsn else {
                        return false;
                    };
                    match sf.checks[end].as_deref() {
                        Some(k) if k.is_of(dsn, m.ssn, m.data_len) => repeated = true,
                        _ => {
                            started = Some(MappingCheck::new(
                                frame, dsn, m.ssn, m.data_len, checksum, data_fin, m.ssn,
                            ))
                        }
                    }
                }
                Some((m.ssn, u32::from(m.data_len)))
            }
        };
        let len = seg.payload.len() as u32;
        let isn = sf.isn(end);
        // The check after the payload (no ISN: not fed), and the frame of a mapping it verified.
        let (check, verified) = match (
            started
                .as_ref()
                .or(sf.checks[end].as_deref())
                .filter(|_| CHECKS),
            isn,
        ) {
            (Some(check), Some(isn)) => match check.fed(seg.seq.wrapping_sub(isn), seg.payload) {
                Some(fed) if fed.complete() => {
                    // A checksum that does not match is a finding.
                    if !fed.sum.verify(fed.checksum) {
                        return false;
                    }
                    (None, Some((fed.frame, fed.carriers)))
                }
                fed => (fed, None),
            },
            (check, _) => (check.copied(), None),
        };
        // Payload that no mapping covers is a finding.
        if let (true, Some(isn)) = (len > 0 && sf.expects_mappings(end), isn) {
            if !covers(coverage, seg.seq.wrapping_sub(isn), len) {
                return false;
            }
        }
        #[cfg(test)]
        {
            self.steady_taken[usize::from(CHECKS)] += 1;
        }
        let sf = &mut self.subflows[s];
        sf.last_frame = frame;
        if let Some(m) = mapping {
            sf.set_coverage(end, (m.ssn, u32::from(m.data_len)));
        }
        if CHECKS {
            let mut check = check;
            if let Some(check) = check.as_mut().filter(|_| repeated || started.is_some()) {
                // This frame carried the mapping and did not complete it.
                check.carriers = self.carriers.push(frame, check.carriers);
            }
            match (&mut sf.checks[end], check) {
                (slot, None) => *slot = None,
                // Its allocation kept for the next mapping's check.
                (Some(slot), Some(check)) => **slot = check,
                (slot @ None, Some(check)) => *slot = Some(Box::new(check)),
            }
            if let Some((mapping_frame, carriers)) = verified {
                self.passed
                    .push(frame, Verified::DssChecksum(mapping_frame));
                self.carriers.resolve(carriers, true, frame);
            }
        }
        true
    }

    /// [`steady`](Self::steady) for a direction with a DSS checksum to verify (the mapping under
    /// way fed the payload, a new one started, a complete one verified). Out of line: most
    /// segments have no checksum.
    #[inline(never)]
    fn steady_checked(
        &mut self,
        s: SubflowId,
        end: usize,
        seg: &TcpSegment<'_>,
        options: &[MptcpOption<'_>],
        frame: Frame,
    ) -> bool {
        self.steady::<true>(s, end, seg, options, frame)
    }

    /// Every segment [`steady`](Self::steady) does not take; returns whether the frame has
    /// findings.
    #[inline(never)]
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

        // Most segments are data on an established subflow: the handshake code stays out of
        // their way (and out of the instruction cache).
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
    #[cold]
    #[inline(never)]
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

    /// MP_CAPABLE and MP_JOIN handshakes, and their absence where they were expected.
    /// `isn_before`: the direction's ISN before this segment (a SYN sets it).
    #[cold]
    #[inline(never)]
    fn handshake(
        &mut self,
        s: SubflowId,
        end: usize,
        segment: Segment,
        options: &[MptcpOption<'_>],
        isn_before: Option<u32>,
        cur: &mut Current,
    ) {
        let capable = options.iter().find_map(|o| match o {
            MptcpOption::MpCapable(c) => Some(*c),
            _ => None,
        });
        let join = options.iter().find_map(|o| match o {
            MptcpOption::MpJoin(j) => Some(*j),
            _ => None,
        });
        let dst_key = |engine: &Engine| {
            let sf = &engine.subflows[s];
            (sf.end(&engine.addresses, 0).0, sf.end(&engine.addresses, 1))
        };

        if segment.is_syn() {
            if let Some(mpc) = capable {
                let first = {
                    let sf = &mut self.subflows[s];
                    sf.kind = Kind::Initial;
                    sf.address_ids = [Some(0), Some(0)];
                    sf.capable_syn.get_or_insert(cur.frame)
                };
                let c = self.connection_of(s);
                let conn = &mut self.connections[c];
                conn.version = crypto::Version::from_nibble(mpc.version);
                conn.hosts[CLIENT].checksum_flag = Some(mpc.flags.checksum_required());
                if let Some(k) = mpc.sender_key() {
                    conn.hosts[CLIENT].set_key(Some(k));
                }
                // Answered SYNs are not kept in the table: the subflow remembers. The same SYN
                // again (a retransmission) is no new attempt; another one starts afresh.
                let sf = &mut self.subflows[s];
                let answered_before = sf.has(SYN_ANSWERED);
                if answered_before {
                    if isn_before == sf.isn(end) {
                        return;
                    }
                    sf.set(SYN_ANSWERED, false);
                }
                let first = if answered_before { cur.frame } else { first };
                let key = dst_key(self);
                if self.syn_attempts.len() >= MAX_SYN_ATTEMPTS
                    && !self.syn_attempts.contains_key(&key)
                {
                    // A flood of unanswered MP_CAPABLE SYNs: new destinations are not tracked.
                    if !self.syn_limit_reported {
                        self.syn_limit_reported = true;
                        cur.push(Finding::StateLimit {
                            what: "unanswered MP_CAPABLE SYNs",
                            limit: MAX_SYN_ATTEMPTS as u32,
                        });
                    }
                    return;
                }
                self.syn_attempts
                    .entry(key)
                    .or_insert(SynAttempt { first, count: 0 })
                    .count += 1;
            } else if let Some(j) = join {
                self.join_syn(s, j, cur);
            } else {
                // A plain SYN on ports that carried MP_CAPABLE SYNs: the host retries without
                // MPTCP, and this subflow is plain TCP from now on.
                if self.subflows[s].kind == Kind::Initial {
                    self.forget_mptcp_handshake(s);
                }
                self.subflows[s].set(SYN_ANSWERED, false);
                // A plain SYN after unanswered MP_CAPABLE SYNs to the same place: SYN-drop fallback.
                let key = dst_key(self);
                if let Some(a) = self.syn_attempts.remove(&key) {
                    if a.count >= 2 {
                        cur.push(Finding::SynDropped {
                            attempts: a.count,
                            first_syn: a.first,
                        });
                    }
                }
            }
            return;
        }

        if segment.is_syn_ack() {
            let kind = self.subflows[s].kind;
            if kind == Kind::Initial {
                // Answered: forgotten by the SYN-drop table, remembered by the subflow.
                let key = dst_key(self);
                if self.syn_attempts.remove(&key).is_some() {
                    self.subflows[s].set(SYN_ANSWERED, true);
                }
                match capable {
                    Some(mpc) => {
                        self.subflows[s].set(CAPABLE_SYN_ACK, true);
                        let c = self.connection_of(s);
                        let conn = &mut self.connections[c];
                        conn.hosts[SERVER].checksum_flag = Some(mpc.flags.checksum_required());
                        if let Some(k) = mpc.sender_key() {
                            conn.hosts[SERVER].set_key(Some(k));
                        }
                        if conn.version.is_none() {
                            conn.version = crypto::Version::from_nibble(mpc.version);
                        }
                        self.register_tokens(c);
                    }
                    None => {
                        let offered_in = self.subflows[s].capable_syn.get().unwrap_or(cur.frame);
                        cur.push(Finding::CapableStripped {
                            step: HandshakeStep::SynAck,
                            offered_in,
                        });
                        self.subflows[s].fall_back();
                    }
                }
            } else if kind == Kind::Join {
                match join {
                    Some(j) => self.join_syn_ack(s, j, cur),
                    None => {
                        let sf = &mut self.subflows[s];
                        if let Some(syn) = sf.join().map(|js| js.syn_frame) {
                            if !sf.join_answered() {
                                sf.set(JOIN_ANSWERED, true);
                                cur.push(Finding::JoinRefused {
                                    how: JoinRefusal::SynAckWithoutJoin,
                                    syn,
                                });
                            }
                        }
                    }
                }
            } else if let Some(mpc) = capable {
                // Capture starts at the SYN/ACK.
                let sf = &mut self.subflows[s];
                sf.kind = Kind::Initial;
                sf.address_ids = [Some(0), Some(0)];
                sf.set(CAPABLE_SYN_ACK, true);
                sf.set_client_end(1 - end);
                let c = self.connection_of(s);
                let conn = &mut self.connections[c];
                conn.version = crypto::Version::from_nibble(mpc.version);
                conn.hosts[SERVER].set_key(mpc.sender_key());
                conn.hosts[SERVER].checksum_flag = Some(mpc.flags.checksum_required());
            }
            return;
        }

        // The third ACK: from the SYN's sender, first segment after the SYN/ACK.
        let sf = &self.subflows[s];
        if sf.kind == Kind::Initial
            && sf.has(CAPABLE_SYN_ACK)
            && !sf.has(THIRD_ACK_SEEN)
            && end == sf.client_end()
            && segment.ack
        {
            self.subflows[s].set(THIRD_ACK_SEEN, true);
            match capable {
                Some(mpc) => {
                    let c = self.connection_of(s);
                    let conn = &mut self.connections[c];
                    if let (Some(sender), Some(receiver)) = (mpc.sender_key(), mpc.receiver_key()) {
                        for (host, key) in [(CLIENT, sender), (SERVER, receiver)] {
                            if conn.hosts[host].key().is_none() {
                                conn.hosts[host].set_key(Some(key));
                            }
                        }
                    }
                    self.register_tokens(c);
                }
                None if !segment.rst => {
                    let offered_in = self.subflows[s].capable_syn.get().unwrap_or(cur.frame);
                    cur.push(Finding::CapableStripped {
                        step: HandshakeStep::Ack,
                        offered_in,
                    });
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
        sf.capable_syn = OptFrame::NONE;
        sf.set(CAPABLE_SYN_ACK, false);
        sf.address_ids = [None, None];
        sf.fall_back();
        if let Some(c) = sf.connection() {
            sf.set_connection(None);
            self.connections[c]
                .subflows
                .retain(|&t| t as SubflowId != s);
        }
    }

    fn join_syn(&mut self, s: SubflowId, join: crate::MpJoin<'_>, cur: &mut Current) {
        let JoinForm::Syn {
            address_id,
            receiver_token,
            sender_nonce,
        } = join.form
        else {
            return;
        };
        let retransmission = self.subflows[s]
            .join()
            .is_some_and(|j| j.token == receiver_token);
        {
            let sf = &mut self.subflows[s];
            sf.kind = Kind::Join;
            sf.address_ids[0] = Some(address_id);
            sf.join = JoinState {
                token: receiver_token,
                syn_frame: cur.frame,
                joiner_nonce: sender_nonce,
                listener_nonce: 0,
            };
            sf.set(JOIN, true);
            sf.set(JOIN_ANSWERED | JOIN_LISTENER_NONCE, false);
        }
        match self.tokens.get(&receiver_token).copied() {
            Some(entry) => {
                let (c, listener) = ((entry >> 1) as ConnId, (entry & 1) as usize);
                let sf = &mut self.subflows[s];
                // End 0 sent the SYN: it is the client host unless the listener is.
                sf.set_client_end(if listener == SERVER { 0 } else { 1 });
                if sf.connection() != Some(c) {
                    sf.set_connection(Some(c));
                    self.connections[c].subflows.push(s as u32);
                }
            }
            None if !retransmission => {
                cur.push(Finding::JoinUnknownToken {
                    token: receiver_token,
                });
            }
            None => {}
        }
    }

    fn join_keys(&self, s: SubflowId) -> Option<(Version, u64, u64)> {
        let sf = &self.subflows[s];
        let conn = &self.connections[sf.connection()?];
        let joiner = sf.host_of_end(0);
        Some((
            conn.version?,
            conn.hosts[joiner].key()?,
            conn.hosts[1 - joiner].key()?,
        ))
    }

    fn join_syn_ack(&mut self, s: SubflowId, join: crate::MpJoin<'_>, cur: &mut Current) {
        let JoinForm::SynAck {
            address_id,
            truncated_hmac,
            sender_nonce,
        } = join.form
        else {
            return;
        };
        let keys = self.join_keys(s);
        let sf = &mut self.subflows[s];
        sf.address_ids[1] = Some(address_id);
        if !sf.has(JOIN) {
            return;
        }
        sf.set(JOIN_ANSWERED | JOIN_LISTENER_NONCE, true);
        sf.join.listener_nonce = sender_nonce;
        let joiner_nonce = sf.join.joiner_nonce;
        if let (true, Some((v, key_a, key_b))) = (self.config.verify_crypto, keys) {
            let valid = crypto::JoinHandshake {
                joiner: crypto::JoinHost::new(crypto::Key(key_a), crypto::Nonce(joiner_nonce)),
                listener: crypto::JoinHost::new(crypto::Key(key_b), crypto::Nonce(sender_nonce)),
            }
            .verify_syn_ack(v, truncated_hmac);
            if valid {
                self.passed
                    .push(cur.frame, Verified::JoinHmac(HandshakeStep::SynAck));
            } else {
                cur.push(Finding::JoinHmac {
                    step: HandshakeStep::SynAck,
                    valid,
                });
            }
        }
    }

    fn join_ack(&mut self, s: SubflowId, hmac: &[u8; 20], cur: &mut Current) {
        let sf = &self.subflows[s];
        let Some(js) = sf.join() else { return };
        let (Some(r_b), r_a) = (sf.listener_nonce(), js.joiner_nonce) else {
            return;
        };
        if let (true, Some((v, key_a, key_b))) = (self.config.verify_crypto, self.join_keys(s)) {
            let valid = crypto::JoinHandshake {
                joiner: crypto::JoinHost::new(crypto::Key(key_a), crypto::Nonce(r_a)),
                listener: crypto::JoinHost::new(crypto::Key(key_b), crypto::Nonce(r_b)),
            }
            .verify_ack(v, hmac);
            if valid {
                self.passed
                    .push(cur.frame, Verified::JoinHmac(HandshakeStep::Ack));
            } else {
                cur.push(Finding::JoinHmac {
                    step: HandshakeStep::Ack,
                    valid,
                });
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn on_rst(&mut self, s: SubflowId, end: usize, options: &[MptcpOption<'_>], cur: &mut Current) {
        let has_tcprst = options
            .iter()
            .any(|o| matches!(o, MptcpOption::MpTcpRst(_)));
        let has_fastclose = options
            .iter()
            .any(|o| matches!(o, MptcpOption::MpFastclose(_)));
        let sf = &mut self.subflows[s];
        sf.first_rst.get_or_insert(cur.frame);
        sf.last_rst.set(cur.frame);
        sf.closed_at.get_or_insert(cur.frame);
        // A RST from the listener answering an MP_JOIN SYN.
        if let Some(syn) = sf.join().map(|js| js.syn_frame) {
            if !sf.join_answered() && end == 1 {
                sf.set(JOIN_ANSWERED, true);
                if !has_tcprst {
                    cur.push(Finding::JoinRefused {
                        how: JoinRefusal::Rst,
                        syn,
                    });
                }
            }
        }
        let Some(c) = sf.connection() else { return };
        let host = sf.host_of_end(end);
        let peer = 1 - host;
        let conn = &mut self.connections[c];
        conn.hosts[host].last_rst.set(cur.frame);
        // The peer's fastclose answered.
        let peer_fastclose = conn.hosts[peer].fastclose.as_deref_mut();
        if let Some(pfc) =
            peer_fastclose.filter(|f| f.first.is_some() && !f.answered && f.on_ack > 0)
        {
            let first_time = pfc.first.map_or(cur.time, |(_, t)| t);
            pfc.answered = true;
            if let Some((frame, index)) = pfc.initiated_at {
                let delay = cur.time - first_time;
                let at = if frame == cur.frame {
                    Some(&mut cur.findings)
                } else {
                    self.records.get_mut(&frame)
                };
                if let Some(Finding::FastcloseInitiated {
                    answered_in,
                    answer_delay,
                }) = at.and_then(|v| v.get_mut(index))
                {
                    *answered_in = Some(cur.frame);
                    *answer_delay = Some(delay);
                }
            }
        }
        // This host's own final RST after its option-A fastcloses.
        let own_fastclose = conn.hosts[host].fastclose.as_deref_mut();
        if let Some(fc) =
            own_fastclose.filter(|fc| fc.on_ack > 0 && !fc.final_rst && fc.subflow == Some(s))
        {
            fc.final_rst = true;
            let first = fc.first.map_or(cur.frame, |(f, _)| f);
            cur.push(Finding::FastcloseFinalRst {
                with_fastclose: has_fastclose,
                first,
            });
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
    #[cold]
    #[inline(never)]
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
        let peer = 1 - host;
        match option {
            MptcpOption::MpFastclose(f) => {
                let conn = &mut self.connections[c];
                let key_valid = conn.hosts[peer].key().map(|key| key == f.receiver_key);
                match (self.config.verify_crypto, key_valid) {
                    (true, Some(true)) => self.passed.push(cur.frame, Verified::FastcloseKey),
                    (true, Some(false)) => {
                        cur.push(Finding::FastcloseKey { valid: false });
                    }
                    _ => {}
                }
                if segment.syn || !segment.ack {
                    cur.push(Finding::FastcloseMisuse);
                }
                // A forged fastclose is ignored by the receiver: it starts no fastclose to follow.
                if key_valid == Some(false) {
                    return;
                }
                let peer_rst = conn.hosts[peer].last_rst.get();
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
                            cur.push(Finding::FastcloseRetransmitted {
                                number: fc.on_ack,
                                first,
                                since_first: cur.time - first_time,
                            });
                            if let Some(r) = peer_rst.filter(|r| *r > first) {
                                cur.push(Finding::FastcloseAfterPeerRst { peer_rst: r });
                            }
                        }
                        _ => {
                            fc.first = Some((cur.frame, cur.time));
                            let index = cur.push(Finding::FastcloseInitiated {
                                answered_in: None,
                                answer_delay: None,
                            });
                            fc.initiated_at = Some((cur.frame, index));
                        }
                    }
                    fc.on_ack += 1;
                    fc.last_on_ack = cur.frame;
                    fc.subflow = Some(s);
                }
            }
            MptcpOption::MpTcpRst(r) if segment.rst => {
                cur.push(Finding::RstReasonGiven {
                    reason: r.reason,
                    transient: r.transient,
                });
            }
            MptcpOption::AddAddr(a) => self.on_add_addr(c, s, host, a, cur),
            MptcpOption::RemoveAddr(r) => {
                let conn = &mut self.connections[c];
                let mut streams = Vec::new();
                for id in r.address_ids {
                    let bound = conn.hosts[host].bound(*id);
                    for &other in &conn.subflows {
                        let sf = &self.subflows[other as usize];
                        // Closed subflows count too: the host may close them before it says why.
                        if sf.end_uses(&self.addresses, sf.end_of_host(host), *id, bound)
                            && !streams.contains(&sf.stream)
                        {
                            streams.push(sf.stream);
                        }
                    }
                    for n in conn.hosts[host]
                        .announcements
                        .iter_mut()
                        .filter(|n| n.id == *id)
                    {
                        n.bound = false;
                    }
                }
                cur.push(Finding::AddressRemoved { streams });
            }
            MptcpOption::MpFail(f) => {
                let conn = &mut self.connections[c];
                let failed = conn
                    .bad_mappings
                    .iter()
                    .find(|(_, _, dsn, len)| f.dsn.wrapping_sub(*dsn) < u64::from((*len).max(1)))
                    .copied();
                let mapping_frame = failed.map(|(frame, ..)| frame);
                cur.push(Finding::FailReported {
                    dsn: f.dsn,
                    mapping_frame,
                });
                self.mark_bad_mappings_followed(c, cur);
                // Both ends leave MPTCP on this subflow (RFC 8684 section 3.7).
                self.subflows[s].fall_back();
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
            let at = if frame == cur.frame {
                Some(&mut cur.findings)
            } else {
                self.records.get_mut(&frame)
            };
            if let Some(Finding::DssChecksum { followed_by, .. }) =
                at.and_then(|v| v.get_mut(index))
            {
                followed_by.get_or_insert(cur.frame);
            }
        }
    }

    fn on_add_addr(
        &mut self,
        c: ConnId,
        s: SubflowId,
        host: usize,
        a: &AddAddr,
        cur: &mut Current,
    ) {
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
        if let (true, Some(h), Some(own), Some(other)) = (
            self.config.verify_crypto,
            a.truncated_hmac,
            conn.hosts[host].key(),
            conn.hosts[peer].key(),
        ) {
            let keys = crypto::AddAddrKeys {
                sender: crypto::Key(own),
                receiver: crypto::Key(other),
            };
            let verdict = match keys.verify(a.address_id, a.address, a.port, h) {
                AddAddrHmacCheck::Valid => AddAddrVerdict::Valid,
                AddAddrHmacCheck::Legacy(form) => AddAddrVerdict::Legacy(form),
                AddAddrHmacCheck::Invalid { .. } => AddAddrVerdict::Invalid,
            };
            if verdict == AddAddrVerdict::Valid {
                self.passed.push(cur.frame, Verified::AddAddrHmac);
            } else {
                cur.push(Finding::AddAddrHmac { verdict });
            }
        }
        let h = &mut conn.hosts[host];
        // One announcement per address ID (at most 256 a host, whatever a sender floods): an
        // ID announced with another address is a new binding.
        let announced = Announcement {
            id: a.address_id,
            address: a.address,
            port: a.port,
            frame: cur.frame,
            echo_seen: false,
            bound: true,
        };
        match h.announcements.iter_mut().find(|n| n.id == a.address_id) {
            // The same ADD_ADDR twice in one segment is no repeat.
            Some(previous)
                if previous.address == a.address
                    && previous.port == a.port
                    && previous.frame != cur.frame =>
            {
                cur.push(Finding::AddAddrRepeated {
                    previous: previous.frame,
                    echo_seen: previous.echo_seen,
                });
                *previous = announced;
            }
            Some(previous) => *previous = announced,
            None => h.announcements.push(announced),
        }
        let _ = s;
    }

    /// The subflow of connection `c` whose ends carry these address IDs.
    fn resolve_fault(
        &self,
        c: ConnId,
        _s: SubflowId,
        host: usize,
        src_id: u8,
        dst_id: u8,
    ) -> Option<(SubflowId, FaultTarget)> {
        let conn = &self.connections[c];
        let found = conn.subflows.iter().copied().find(|&t| {
            let sf = &self.subflows[t as usize];
            sf.end_uses(
                &self.addresses,
                sf.end_of_host(host),
                src_id,
                conn.hosts[host].bound(src_id),
            ) && sf.end_uses(
                &self.addresses,
                sf.end_of_host(1 - host),
                dst_id,
                conn.hosts[1 - host].bound(dst_id),
            )
        })? as SubflowId;
        let sf = &self.subflows[found];
        let (eh, ep) = (sf.end_of_host(host), sf.end_of_host(1 - host));
        Some((
            found,
            FaultTarget {
                stream: sf.stream,
                src: sf.end(&self.addresses, eh).0,
                dst: sf.end(&self.addresses, ep).0,
                last_frame: sf.last_frame,
                rst_frame: sf.first_rst.get(),
            },
        ))
    }

    fn sender_idsn(&self, c: ConnId, host: usize) -> Option<u64> {
        let conn = &self.connections[c];
        Some(crypto::key_derived(conn.version?, crypto::Key(conn.hosts[host].key()?)).idsn)
    }

    fn on_mapping(
        &mut self,
        c: ConnId,
        s: SubflowId,
        end: usize,
        m: Mapping,
        data_fin: bool,
        cur: &mut Current,
    ) {
        let host = self.subflows[s].host_of_end(end);
        if m.is_infinite() {
            self.subflows[s].fall_back();
            self.subflows[s].checks[end] = None;
            self.mark_bad_mappings_followed(c, cur);
            return;
        }
        let negotiated = self.connections[c].checksums_negotiated();
        let sf = &mut self.subflows[s];
        sf.set_coverage(end, (m.ssn, u32::from(m.data_len)));
        if let Some(negotiated) = negotiated {
            if negotiated != m.checksum.is_some()
                && !sf.dir_has(end, DIR_CHECKSUM_PRESENCE_REPORTED)
            {
                sf.dir_set(end, DIR_CHECKSUM_PRESENCE_REPORTED);
                cur.push(Finding::ChecksumPresence {
                    present: m.checksum.is_some(),
                });
            }
        }
        let (Some(checksum), true) = (m.checksum, self.config.verify_crypto) else {
            return;
        };
        let dsn = match m.dsn {
            crate::DataSeq::U64(v) => v,
            crate::DataSeq::U32(_) => match self.sender_idsn(c, host) {
                Some(idsn) => m.dsn.expand(idsn),
                None => return,
            },
        };
        self.start_check(
            s, end, cur.frame, dsn, m.ssn, m.data_len, checksum, data_fin, m.ssn,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn start_check(
        &mut self,
        s: SubflowId,
        end: usize,
        frame: Frame,
        dsn: u64,
        ssn: u32,
        data_len: u16,
        checksum: u16,
        data_fin: bool,
        start: u32,
    ) {
        let slot = &mut self.subflows[s].checks[end];
        match slot.as_deref_mut() {
            Some(check) if check.is_of(dsn, ssn, data_len) => check.seen_in = frame,
            _ => {
                *slot = Some(Box::new(MappingCheck::new(
                    frame, dsn, ssn, data_len, checksum, data_fin, start,
                )))
            }
        }
    }

    /// The implicit mapping of an MP_CAPABLE with data (DSN = IDSN + 1, SSN 1).
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn capable_data(
        &mut self,
        s: SubflowId,
        end: usize,
        seg: &TcpSegment<'_>,
        cur: &Current,
        sender_key: u64,
        data_len: u16,
        checksum: Option<u16>,
    ) {
        let c = self.subflows[s].connection();
        let version = c
            .and_then(|c| self.connections[c].version)
            .unwrap_or(Version::V1);
        // The mapping covers this segment's data: relative sequence 1, or later when the
        // SYN carried data (TFO). Its pseudo-header SSN is 1 either way.
        if let Some(isn) = self.subflows[s].isn(end) {
            let start = seg.seq.wrapping_sub(isn);
            self.subflows[s].set_coverage(end, (start, u32::from(data_len)));
            if let (Some(csum), true) = (checksum, self.config.verify_crypto) {
                let dsn = crypto::key_derived(version, crypto::Key(sender_key))
                    .idsn
                    .wrapping_add(1);
                self.start_check(s, end, cur.frame, dsn, 1, data_len, csum, false, start);
            }
        }
    }

    /// A mapping whose DSS checksum did not verify.
    #[cold]
    #[inline(never)]
    fn checksum_failed(&mut self, c: Option<ConnId>, check: &MappingCheck, cur: &mut Current) {
        let index = cur.push(Finding::DssChecksum {
            valid: false,
            mapping_frame: check.frame,
            completed_in: cur.frame,
            followed_by: None,
        });
        if let Some(c) = c {
            let conn = &mut self.connections[c];
            // Bounded: a connection that keeps failing keeps its latest failures.
            if conn.bad_mappings.len() >= 16 {
                conn.bad_mappings.remove(0);
            }
            conn.bad_mappings
                .push((cur.frame, index, check.dsn, u32::from(check.data_len)));
        }
    }

    /// Feeds payload to the mapping being checked, and looks for payload no mapping covers.
    fn on_payload(
        &mut self,
        s: SubflowId,
        end: usize,
        seg: &TcpSegment<'_>,
        options: &[MptcpOption<'_>],
        cur: &mut Current,
    ) {
        // MP_CAPABLE with data: implicit mapping (DSN = IDSN + 1, SSN 1).
        if let Some(CapableForm::BothKeysData {
            sender_key,
            data_len,
            checksum,
            ..
        }) = options.iter().find_map(|o| match o {
            MptcpOption::MpCapable(c) => Some(c.form),
            _ => None,
        }) {
            self.capable_data(s, end, seg, cur, sender_key, data_len, checksum);
        }
        let c = self.subflows[s].connection();
        let sf = &mut self.subflows[s];
        let Some(isn) = sf.isn(end) else { return };
        let rel = seg.seq.wrapping_sub(isn);
        let len = seg.payload.len() as u32;

        let slot = &mut sf.checks[end];
        if let Some(check) = slot.as_mut() {
            match check.fed(rel, seg.payload) {
                Some(fed) => **check = fed,
                None => *slot = None,
            }
        }
        if let Some(check) = slot.take_if(|k| k.complete()) {
            let valid = check.sum.verify(check.checksum);
            self.carriers.resolve(check.carriers, valid, cur.frame);
            if valid {
                self.passed
                    .push(cur.frame, Verified::DssChecksum(check.frame));
            } else {
                self.checksum_failed(c, &check, cur);
            }
        } else if let Some(check) = slot.as_deref_mut().filter(|k| k.seen_in == cur.frame) {
            // This frame carried the mapping and did not complete it.
            check.carriers = self.carriers.push(cur.frame, check.carriers);
        }

        let sf = &mut self.subflows[s];
        if len == 0 || seg.flags.contains(TcpFlags::SYN) || !sf.expects_mappings(end) {
            return;
        }
        if !covers(sf.coverage(end), rel, len) {
            sf.set(OPTIONS_MISSING_REPORTED, true);
            sf.dir_set(end, DIR_FALLBACK);
            cur.push(Finding::OptionsMissing);
        }
    }
}

/// The integration tests' capture reader (it names this crate `mptcp_parse`).
#[cfg(test)]
#[path = "../../tests/support/mod.rs"]
mod capture_support;

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    use super::capture_support as support;

    /// The steady path reports what the general path does: over every shared and generated
    /// capture, with and without the crypto checks, the same connection and findings for each
    /// frame as it is analysed, and the same findings for each frame at the end.
    #[test]
    fn steady_path_reports_what_the_general_path_does() {
        let mut files = support::captures_in("kernel");
        files.extend(support::captures_in("public"));
        files.extend(support::captures_in("crafted"));
        let generated = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/captures");
        files.extend(
            std::fs::read_dir(generated)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "pcap")),
        );
        let (mut steady, mut checked, mut segments) = (0, 0, 0);
        for path in &files {
            let frames = support::read_frames(path);
            for verify_crypto in [true, false] {
                let run = |general_only: bool| {
                    let mut engine = Engine::new(Config {
                        verify_crypto,
                        ..Config::default()
                    });
                    engine.general_only = general_only;
                    let mut seen = Vec::new();
                    for p in frames.iter().flatten() {
                        let time = (p.time * 1e9) as i64;
                        let packet = Packet {
                            frame: p.frame as u32,
                            time,
                            src: p.src,
                            dst: p.dst,
                            stream: None,
                            tcp: &p.tcp,
                        };
                        let report = engine.process(&packet);
                        seen.push((p.frame, report.connection, report.findings.into_owned()));
                    }
                    engine.finish();
                    let at_end: Vec<Vec<Finding>> = frames
                        .iter()
                        .flatten()
                        .map(|p| engine.findings(p.frame as u32).into_owned())
                        .collect();
                    (seen, at_end, engine.steady_taken)
                };
                let (general, with_steady) = (run(true), run(false));
                assert_eq!(general.2, [0, 0]);
                assert_eq!(
                    (&with_steady.0, &with_steady.1),
                    (&general.0, &general.1),
                    "{} (verify_crypto {verify_crypto})",
                    path.display()
                );
                steady += with_steady.2[0] + with_steady.2[1];
                checked += with_steady.2[1];
                segments += general.0.len();
            }
        }
        // Most segments of these captures are data and acknowledgements on established subflows.
        assert!(
            steady * 2 > segments,
            "the steady path took {steady} of {segments} segments"
        );
        // Segments with a DSS checksum to verify reach the copy with checks.
        assert!(checked > 0, "the steady path with checks took no segment");
    }

    /// What every subflow and connection costs, whatever happens on it: rare state (fastclose,
    /// announcements, checksum failures, a mapping being checked) is boxed or in sparse lists.
    #[test]
    fn per_subflow_and_per_connection_state_stays_small() {
        assert!(
            size_of::<Subflow>() <= 112,
            "Subflow is {} bytes",
            size_of::<Subflow>()
        );
        assert!(
            size_of::<Connection>() <= 104,
            "Connection is {} bytes",
            size_of::<Connection>()
        );
    }

    /// The compact list of checks that passed gives back, for every frame, exactly what was
    /// pushed for it, in order: over block boundaries, with large gaps and back references.
    #[test]
    fn passed_checks_come_back_per_frame() {
        let mut passed = Passed::default();
        let mut pushed: Vec<(Frame, Verified)> = Vec::new();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut frame: Frame = 1;
        for _ in 0..5000 {
            let r = next();
            frame += match r % 10 {
                0 => 0,
                1 => (r >> 8) as u32 % 100_000,
                _ => (r >> 8) as u32 % 20,
            };
            let verified = match (r >> 40) % 7 {
                0 => Verified::JoinHmac(HandshakeStep::SynAck),
                1 => Verified::JoinHmac(HandshakeStep::Ack),
                2 => Verified::AddAddrHmac,
                3 => Verified::DssChecksum(frame),
                4 => Verified::FastcloseKey,
                _ => Verified::DssChecksum(frame - (r >> 48) as u32 % frame.min(3000)),
            };
            passed.push(frame, verified);
            pushed.push((frame, verified));
        }
        assert_eq!(passed.len, pushed.len());
        assert!(
            passed.bytes.len() < 3 * pushed.len(),
            "{} bytes",
            passed.bytes.len()
        );
        let mut frames: Vec<Frame> = pushed.iter().map(|(f, _)| *f).collect();
        frames.dedup();
        let mut lookups: Vec<Frame> = frames
            .iter()
            .flat_map(|&f| [f - 1, f, f + 1])
            .chain([0, frame + 1, Frame::MAX])
            .collect();
        // In order (the cursor), then at random (the blocks), then in order again.
        let in_order = lookups.clone();
        for i in (1..lookups.len()).rev() {
            lookups.swap(i, next() as usize % (i + 1));
        }
        for f in in_order.iter().chain(&lookups).chain(&in_order).copied() {
            let expected: Vec<Verified> = pushed
                .iter()
                .filter(|(g, _)| *g == f)
                .map(|(_, v)| *v)
                .collect();
            assert_eq!(passed.of(f).collect::<Vec<_>>(), expected, "frame {f}");
        }
        assert_eq!(Passed::default().of(1).count(), 0);
    }

    /// The first pass looks frames up as it pushes their checks: a frame asked for before its
    /// checks were pushed (the gap after the last check then reaches past it) still gets them
    /// once they are.
    #[test]
    fn passed_checks_come_back_while_pushed() {
        let mut passed = Passed::default();
        let mut pushed: Vec<(Frame, Verified)> = Vec::new();
        let of = |pushed: &[(Frame, Verified)], f: Frame| -> Vec<Verified> {
            pushed
                .iter()
                .filter(|(g, _)| *g == f)
                .map(|(_, v)| *v)
                .collect()
        };
        for frame in 1..400 {
            // Asked for before anything is pushed for it: nothing yet.
            assert_eq!(passed.of(frame).count(), 0, "frame {frame}");
            for _ in 0..(frame * 7 % 5).saturating_sub(2) {
                passed.push(frame, Verified::DssChecksum(frame));
                pushed.push((frame, Verified::DssChecksum(frame)));
            }
            for f in [frame - 1, frame, frame + 1] {
                assert_eq!(
                    passed.of(f).collect::<Vec<_>>(),
                    of(&pushed, f),
                    "frame {f} after frame {frame}"
                );
            }
        }
        assert!(pushed.len() > 100);
    }
}
