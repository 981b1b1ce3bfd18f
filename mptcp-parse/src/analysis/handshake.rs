//! The MP_CAPABLE handshake, its absence where it was expected (options stripped, SYNs
//! dropped), and the start of the MP_JOIN handshake.

use super::compact::OptFrame;
use super::connections::{CLIENT, SERVER};
use super::engine::{Current, Engine};
use super::finding::{Finding, Frame, HandshakeStep, JoinRefusal};
use super::subflows::{
    Kind, SubflowId, CAPABLE_SYN_ACK, JOIN_ANSWERED, SYN_ANSWERED, THIRD_ACK_SEEN,
};
use crate::crypto;
use crate::{JoinForm, MptcpOption, Segment};

/// Where MP_CAPABLE SYNs went unanswered so far, for the SYN-drop finding. An answer removes
/// it.
pub(super) struct SynAttempt {
    pub(super) first: Frame,
    pub(super) count: u32,
}

/// How many destinations with MP_CAPABLE SYNs awaiting an answer are tracked at once (for
/// the SYN-drop finding); past it, a SYN flood is not followed further.
pub const MAX_SYN_ATTEMPTS: usize = 65_536;

impl Engine {
    /// MP_CAPABLE and MP_JOIN handshakes, and their absence where they were expected.
    /// `isn_before`: the direction's ISN before this segment (a SYN sets it).
    pub(super) fn handshake(
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
            (
                sf.end(&engine.subflows.addresses, 0).0,
                sf.end(&engine.subflows.addresses, 1),
            )
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
                        self.connections.register_tokens(c);
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
                    self.connections.register_tokens(c);
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
}
