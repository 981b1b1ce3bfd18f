//! Connections and their two hosts: keys, checksum flags, the tokens that joins name.

use super::addresses::Announcement;
use super::compact::{push_grown, HashMap, OptFrame, Sparse};
use super::engine::Engine;
use super::fastclose::Fastclose;
use super::finding::Frame;
use super::subflows::SubflowId;
use crate::crypto::{self, Version};
use std::net::IpAddr;
use std::ops;
use std::vec::Vec;

/// A connection's index in [`Connections`].
pub(super) type ConnId = usize;

/// The two hosts of a connection: the one that sent the initial SYN, and its peer.
pub(super) const CLIENT: usize = 0;
/// The host that answered the initial SYN.
pub(super) const SERVER: usize = 1;

#[derive(Default)]
pub(super) struct Host {
    pub(super) key: u64,
    /// Only hosts that sent MP_FASTCLOSE have one.
    pub(super) fastclose: Option<Box<Fastclose>>,
    /// One per address ID announced (IDs of joins are kept on the subflows).
    pub(super) announcements: Sparse<Announcement>,
    pub(super) last_rst: OptFrame,
    pub(super) has_key: bool,
    pub(super) checksum_flag: Option<bool>,
}

impl Host {
    pub(super) fn key(&self) -> Option<u64> {
        self.has_key.then_some(self.key)
    }
    pub(super) fn set_key(&mut self, key: Option<u64>) {
        self.has_key = key.is_some();
        self.key = key.unwrap_or(0);
    }
    /// The address and port this host bound to `id` with ADD_ADDR.
    pub(super) fn bound(&self, id: u8) -> Option<(IpAddr, Option<u16>)> {
        self.announcements
            .iter()
            .find(|n| n.id == id && n.bound)
            .map(|n| (n.address, n.port))
    }
}

pub(super) struct Connection {
    pub(super) hosts: [Host; 2],
    /// Its subflows, in order of joining.
    pub(super) subflows: Vec<u32>,
    /// DSS checksum failures: (finding frame, finding index, DSN of the mapping, its length).
    pub(super) bad_mappings: Sparse<(Frame, usize, u64, u32)>,
    pub(super) version: Option<Version>,
    pub(super) tokens_registered: bool,
}

impl Connection {
    pub(super) fn checksums_negotiated(&self) -> Option<bool> {
        match (
            self.hosts[CLIENT].checksum_flag,
            self.hosts[SERVER].checksum_flag,
        ) {
            (Some(a), Some(b)) => Some(a || b),
            _ => None,
        }
    }
}

/// The connections, in order of appearance, and their tokens.
#[derive(Default)]
pub(super) struct Connections {
    list: Vec<Connection>,
    /// Token -> connection and host (`connection << 1 | host`).
    tokens: HashMap<u32, u32>,
}

impl ops::Index<ConnId> for Connections {
    type Output = Connection;
    fn index(&self, c: ConnId) -> &Connection {
        &self.list[c]
    }
}

impl ops::IndexMut<ConnId> for Connections {
    fn index_mut(&mut self, c: ConnId) -> &mut Connection {
        &mut self.list[c]
    }
}

impl Connections {
    /// Number of connections.
    pub(super) fn len(&self) -> usize {
        self.list.len()
    }

    /// A new connection, of subflow `s` alone so far.
    fn add(&mut self, s: SubflowId) -> ConnId {
        let c = self.list.len();
        push_grown(
            &mut self.list,
            Connection {
                hosts: [Host::default(), Host::default()],
                subflows: vec![s as u32],
                bad_mappings: Sparse::default(),
                version: None,
                tokens_registered: false,
            },
        );
        c
    }

    /// The connection and host (`CLIENT` or `SERVER`) whose token `token` is.
    pub(super) fn by_token(&self, token: u32) -> Option<(ConnId, usize)> {
        let entry = *self.tokens.get(&token)?;
        Some(((entry >> 1) as ConnId, (entry & 1) as usize))
    }

    /// Files the tokens of connection `c` once both keys are known.
    pub(super) fn register_tokens(&mut self, c: ConnId) {
        let conn = &mut self.list[c];
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

    /// The initial data sequence number of `host` of connection `c`, when its key is known.
    pub(super) fn sender_idsn(&self, c: ConnId, host: usize) -> Option<u64> {
        let conn = &self.list[c];
        Some(crypto::key_derived(conn.version?, crypto::Key(conn.hosts[host].key()?)).idsn)
    }
}

impl Engine {
    /// A connection for a subflow that has none yet: once per connection.
    fn new_connection(&mut self, s: SubflowId) -> ConnId {
        let c = self.connections.add(s);
        self.subflows[s].set_connection(Some(c));
        c
    }

    /// The subflow's connection; a subflow seen without its handshake gets one of its own,
    /// with unknown keys, so that connection-level findings still work.
    pub(super) fn connection_of(&mut self, s: SubflowId) -> ConnId {
        match self.subflows[s].connection() {
            Some(c) => c,
            None => self.new_connection(s),
        }
    }
}
