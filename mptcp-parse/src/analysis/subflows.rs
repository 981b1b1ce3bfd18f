//! The subflow table: every TCP subflow seen, found by its stream number or by its addresses
//! and ports, with the addresses interned (a subflow holds 4-byte numbers for them).

use super::compact::{push_grown, Hasher, Index, OptFrame};
use super::connections::{ConnId, CLIENT, SERVER};
use super::engine::Packet;
use super::finding::Frame;
use super::joins::JoinState;
use super::mappings::MappingCheck;
use crate::TcpSegment;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::ops;
use std::vec::Vec;

/// An address and a port.
pub(super) type Endpoint = (IpAddr, u16);

/// A subflow's index in the [`SubflowTable`].
pub(super) type SubflowId = usize;

/// What the handshake says a subflow is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Unknown,
    Initial,
    Join,
}

/// One direction of a subflow (whether `isn` and `coverage` are known is in the subflow's
/// direction flags).
#[derive(Clone, Copy, Default)]
pub(super) struct Direction {
    pub(super) isn: u32,
    /// The last mapping: (relative SSN, length).
    pub(super) coverage: (u32, u32),
}

/// `Subflow::dir_flags` bits, one set per direction.
pub(super) const DIR_ISN: u8 = 1;
pub(super) const DIR_COVERAGE: u8 = 2;
/// Plain TCP from now on: DSS is no longer expected.
pub(super) const DIR_FALLBACK: u8 = 4;
pub(super) const DIR_FIN: u8 = 8;
pub(super) const DIR_CHECKSUM_PRESENCE_REPORTED: u8 = 16;

/// `Subflow::flags` bits.
pub(super) const CAPABLE_SYN_ACK: u16 = 1;
pub(super) const THIRD_ACK_SEEN: u16 = 2;
pub(super) const OPTIONS_MISSING_REPORTED: u16 = 4;
/// End 1 is the connection's client host (else end 0).
pub(super) const CLIENT_END_1: u16 = 8;
/// Its MP_CAPABLE SYN was answered (and forgotten in the SYN-drop table).
pub(super) const SYN_ANSWERED: u16 = 16;
/// `join` holds an MP_JOIN handshake.
pub(super) const JOIN: u16 = 32;
pub(super) const JOIN_ANSWERED: u16 = 64;
pub(super) const JOIN_LISTENER_NONCE: u16 = 128;

/// No connection: `Subflow::connection`.
const NO_CONNECTION: u32 = u32::MAX;
/// No subflow: an empty slot of `SubflowTable::stream_slots`.
const NO_SUBFLOW: u32 = u32::MAX;
/// How far beyond the stream slots a new stream number may be and still get a slot (those
/// between are left empty); further numbers go to the table.
const STREAM_SLOTS_AHEAD: usize = 1024;

/// 112 bytes: addresses are numbers into the table's address list, frames 4 bytes, flags bits.
pub(super) struct Subflow {
    /// A mapping whose checksum is being verified, per direction. Boxed: only subflows with
    /// DSS checksums have one, and not always.
    pub(super) checks: [Option<Box<MappingCheck>>; 2],
    pub(super) join: JoinState,
    pub(super) dirs: [Direction; 2],
    pub(super) stream: u32,
    pub(super) connection: u32,
    /// The two ends: end 0 sent the SYN (or the first segment seen). Addresses are indices
    /// into `SubflowTable::addresses`.
    pub(super) addresses: [u32; 2],
    pub(super) ports: [u16; 2],
    pub(super) first_frame: Frame,
    pub(super) last_frame: Frame,
    pub(super) capable_syn: OptFrame,
    pub(super) first_rst: OptFrame,
    pub(super) last_rst: OptFrame,
    pub(super) closed_at: OptFrame,
    pub(super) address_ids: [Option<u8>; 2],
    pub(super) dir_flags: [u8; 2],
    pub(super) flags: u16,
    pub(super) kind: Kind,
}

impl Subflow {
    pub(super) fn has(&self, flag: u16) -> bool {
        self.flags & flag != 0
    }
    pub(super) fn set(&mut self, flag: u16, on: bool) {
        if on {
            self.flags |= flag;
        } else {
            self.flags &= !flag;
        }
    }
    pub(super) fn dir_has(&self, end: usize, flag: u8) -> bool {
        self.dir_flags[end] & flag != 0
    }
    pub(super) fn dir_set(&mut self, end: usize, flag: u8) {
        self.dir_flags[end] |= flag;
    }
    pub(super) fn isn(&self, end: usize) -> Option<u32> {
        self.dir_has(end, DIR_ISN).then_some(self.dirs[end].isn)
    }
    pub(super) fn set_isn(&mut self, end: usize, isn: u32) {
        self.dirs[end].isn = isn;
        self.dir_set(end, DIR_ISN);
    }
    pub(super) fn coverage(&self, end: usize) -> Option<(u32, u32)> {
        self.dir_has(end, DIR_COVERAGE)
            .then_some(self.dirs[end].coverage)
    }
    pub(super) fn set_coverage(&mut self, end: usize, coverage: (u32, u32)) {
        self.dirs[end].coverage = coverage;
        self.dir_set(end, DIR_COVERAGE);
    }
    pub(super) fn connection(&self) -> Option<ConnId> {
        (self.connection != NO_CONNECTION).then_some(self.connection as ConnId)
    }
    pub(super) fn set_connection(&mut self, c: Option<ConnId>) {
        self.connection = c.map_or(NO_CONNECTION, |c| c as u32);
    }
    pub(super) fn join(&self) -> Option<&JoinState> {
        self.has(JOIN).then_some(&self.join)
    }
    pub(super) fn join_answered(&self) -> bool {
        self.has(JOIN_ANSWERED)
    }
    pub(super) fn listener_nonce(&self) -> Option<u32> {
        self.has(JOIN_LISTENER_NONCE)
            .then_some(self.join.listener_nonce)
    }
    /// Address and port of end `e`.
    pub(super) fn end(&self, addresses: &[IpAddr], e: usize) -> Endpoint {
        (addresses[self.addresses[e] as usize], self.ports[e])
    }
    /// Its key in `SubflowTable::by_tuple`.
    pub(super) fn tuple_key(&self, addresses: &[IpAddr]) -> (Endpoint, Endpoint) {
        tuple_key(self.end(addresses, 0), self.end(addresses, 1))
    }
    /// Whether `endpoint` is end `e` (the port first: it tells most apart).
    pub(super) fn is_end(&self, addresses: &[IpAddr], e: usize, endpoint: Endpoint) -> bool {
        self.ports[e] == endpoint.1 && addresses[self.addresses[e] as usize] == endpoint.0
    }
    pub(super) fn client_end(&self) -> usize {
        usize::from(self.has(CLIENT_END_1))
    }
    pub(super) fn set_client_end(&mut self, e: usize) {
        self.set(CLIENT_END_1, e == 1);
    }
    pub(super) fn host_of_end(&self, end: usize) -> usize {
        if end == self.client_end() {
            CLIENT
        } else {
            SERVER
        }
    }
    pub(super) fn end_of_host(&self, host: usize) -> usize {
        if host == CLIENT {
            self.client_end()
        } else {
            1 - self.client_end()
        }
    }
    /// The subflow is plain TCP from now on: DSS is no longer expected.
    pub(super) fn fall_back(&mut self) {
        self.dir_set(0, DIR_FALLBACK);
        self.dir_set(1, DIR_FALLBACK);
    }

    /// Whether the end `e` uses the address the host bound to `id`: by the ID the handshake
    /// gave that end, or by the address (and port, when announced) of an ADD_ADDR.
    pub(super) fn end_uses(
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
    pub(super) fn is_plain(&self) -> bool {
        self.kind == Kind::Unknown && self.connection().is_none()
    }

    /// Whether payload from `end` must come with a mapping: MPTCP established, not fallen
    /// back, and payload without one not reported yet (once is enough).
    pub(super) fn expects_mappings(&self, end: usize) -> bool {
        self.established_mptcp()
            && !self.dir_has(end, DIR_FALLBACK)
            && !self.has(OPTIONS_MISSING_REPORTED)
    }

    pub(super) fn established_mptcp(&self) -> bool {
        match self.kind {
            Kind::Initial => self.has(CAPABLE_SYN_ACK),
            Kind::Join => {
                self.join().is_some() && self.join_answered() && self.listener_nonce().is_some()
            }
            Kind::Unknown => self.connection().is_some(),
        }
    }
}

/// The key of a subflow told by its addresses and ports: the lower end first.
pub(super) fn tuple_key(a: Endpoint, b: Endpoint) -> (Endpoint, Endpoint) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// The subflows, in order of appearance, and the tables that find them.
pub(super) struct SubflowTable {
    hasher: Hasher,
    list: Vec<Subflow>,
    /// Subflows given a stream number, by it. Wireshark numbers TCP streams 0, 1, 2... as it
    /// meets them, so a slot per number finds a subflow with one load (`NO_SUBFLOW` where
    /// none); a number far beyond the slots (a caller numbering otherwise) goes to `by_stream`.
    stream_slots: Vec<u32>,
    by_stream: Index,
    /// Subflows given none, by their addresses and ports (the last one of each).
    by_tuple: Index,
    /// Every address of a subflow, once; `by_address` finds them.
    pub(super) addresses: Vec<IpAddr>,
    by_address: Index,
}

impl ops::Index<SubflowId> for SubflowTable {
    type Output = Subflow;
    fn index(&self, s: SubflowId) -> &Subflow {
        &self.list[s]
    }
}

impl ops::IndexMut<SubflowId> for SubflowTable {
    fn index_mut(&mut self, s: SubflowId) -> &mut Subflow {
        &mut self.list[s]
    }
}

impl SubflowTable {
    /// An empty table.
    pub(super) fn new() -> SubflowTable {
        SubflowTable {
            hasher: Hasher::default(),
            list: Vec::new(),
            stream_slots: Vec::new(),
            by_stream: Index::new(),
            by_tuple: Index::new(),
            addresses: Vec::new(),
            by_address: Index::new(),
        }
    }

    /// Number of subflows.
    pub(super) fn len(&self) -> usize {
        self.list.len()
    }

    /// The subflow given `stream`.
    pub(super) fn of_stream(&self, stream: u32) -> Option<SubflowId> {
        match self.stream_slots.get(stream as usize) {
            Some(&s) if s != NO_SUBFLOW => Some(s as SubflowId),
            // A number filed before the slots reached it is still in `by_stream`.
            _ if self.by_stream.is_empty() => None,
            _ => self.of_sparse_stream(stream),
        }
    }

    /// [`of_stream`](Self::of_stream) beyond the slots.
    fn of_sparse_stream(&self, stream: u32) -> Option<SubflowId> {
        let subflows = &self.list;
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
        } else if slot < 2 * self.list.len() + STREAM_SLOTS_AHEAD {
            if slot > self.stream_slots.len() {
                self.stream_slots.resize(slot, NO_SUBFLOW);
            }
            push_grown(&mut self.stream_slots, id as u32);
        } else {
            let (hasher, subflows) = (&self.hasher, &self.list);
            self.by_stream
                .insert_unique(hasher.hash_one(stream), id as u32, |&s| {
                    hasher.hash_one(subflows[s as usize].stream)
                });
        }
    }

    pub(super) fn find_or_add(
        &mut self,
        packet: &Packet<'_>,
        seg: &TcpSegment<'_>,
        src: Endpoint,
        dst: Endpoint,
    ) -> SubflowId {
        let fresh_syn = seg.flags.is_syn_only();
        let (subflows, addresses) = (&self.list, &self.addresses);
        let found = match packet.stream {
            Some(stream) => self.of_stream(stream),
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
            None => self.add(packet, src, dst),
        }
    }

    /// A subflow first seen in `packet`.
    fn add(&mut self, packet: &Packet<'_>, src: Endpoint, dst: Endpoint) -> SubflowId {
        let id = self.list.len();
        let stream = packet.stream.unwrap_or(id as u32);
        let addresses = [self.address_number(src.0), self.address_number(dst.0)];
        push_grown(
            &mut self.list,
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
        let (hasher, subflows, addresses) = (&self.hasher, &self.list, &self.addresses);
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
}
