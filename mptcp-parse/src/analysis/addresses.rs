//! Address announcements: ADD_ADDR, its echo, repeats and HMAC, and REMOVE_ADDR with the
//! subflows it takes down.

use super::connections::ConnId;
use super::engine::{Current, Engine};
use super::finding::{AddAddrVerdict, Finding, Frame};
use super::passed::Verified;
use crate::crypto::{self, AddAddrHmacCheck};
use crate::{AddAddr, RemoveAddr};
use std::net::IpAddr;
use std::vec::Vec;

/// The last ADD_ADDR of an address ID, and whether the ID is still bound to its address (not
/// removed by REMOVE_ADDR since).
pub(super) struct Announcement {
    pub(super) frame: Frame,
    pub(super) port: Option<u16>,
    pub(super) address: IpAddr,
    pub(super) id: u8,
    pub(super) echo_seen: bool,
    pub(super) bound: bool,
}

impl Engine {
    pub(super) fn on_add_addr(&mut self, c: ConnId, host: usize, a: &AddAddr, cur: &mut Current) {
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
    }

    /// REMOVE_ADDR from `host` of connection `c`.
    pub(super) fn on_remove_addr(
        &mut self,
        c: ConnId,
        host: usize,
        r: &RemoveAddr<'_>,
        cur: &mut Current,
    ) {
        let conn = &mut self.connections[c];
        let mut streams = Vec::new();
        for id in r.address_ids {
            let bound = conn.hosts[host].bound(*id);
            for &other in &conn.subflows {
                let sf = &self.subflows[other as usize];
                // Closed subflows count too: the host may close them before it says why.
                if sf.end_uses(&self.subflows.addresses, sf.end_of_host(host), *id, bound)
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
}
