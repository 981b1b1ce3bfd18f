//! MP_JOIN handshakes: the token that names the connection, and the HMACs of the SYN/ACK and
//! the third ACK.

use super::connections::SERVER;
use super::engine::{Current, Engine};
use super::finding::{Finding, Frame, HandshakeStep};
use super::passed::Verified;
use super::subflows::{Kind, SubflowId, JOIN, JOIN_ANSWERED, JOIN_LISTENER_NONCE};
use crate::crypto::{self, Version};
use crate::JoinForm;

/// An MP_JOIN handshake (whether there is one, and how far it went, is in the subflow's flags).
#[derive(Clone, Copy, Default)]
pub(super) struct JoinState {
    pub(super) token: u32,
    pub(super) syn_frame: Frame,
    pub(super) joiner_nonce: u32,
    pub(super) listener_nonce: u32,
}

impl Engine {
    pub(super) fn join_syn(&mut self, s: SubflowId, join: crate::MpJoin<'_>, cur: &mut Current) {
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
        match self.connections.by_token(receiver_token) {
            Some((c, listener)) => {
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

    pub(super) fn join_syn_ack(
        &mut self,
        s: SubflowId,
        join: crate::MpJoin<'_>,
        cur: &mut Current,
    ) {
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

    pub(super) fn join_ack(&mut self, s: SubflowId, hmac: &[u8; 20], cur: &mut Current) {
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
}
