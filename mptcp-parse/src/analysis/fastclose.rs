//! MP_FASTCLOSE and RST correlation: option A fastcloses, their repeats and the RST that
//! answers them, option R, the final RST, keys that are not the receiver's, and fastcloses
//! never answered.

use super::connections::{ConnId, CLIENT, SERVER};
use super::engine::{Current, Engine};
use super::finding::{Finding, Frame, JoinRefusal, Nanos};
use super::passed::Verified;
use super::subflows::{SubflowId, JOIN_ANSWERED};
use crate::{MpFastclose, MptcpOption, Segment};
use std::vec::Vec;

/// A host's MP_FASTCLOSEs.
#[derive(Default)]
pub(super) struct Fastclose {
    pub(super) first: Option<(Frame, Nanos)>,
    /// MP_FASTCLOSEs sent on ACKs (option A).
    pub(super) on_ack: u32,
    pub(super) last_on_ack: Frame,
    /// The subflow that carried them: the final RST belongs there.
    pub(super) subflow: Option<SubflowId>,
    pub(super) answered: bool,
    pub(super) final_rst: bool,
    /// Where the "initiated" finding is, to add the answer to it.
    pub(super) initiated_at: Option<(Frame, usize)>,
    /// First RST + MP_FASTCLOSE without prior option A: option R.
    pub(super) option_r: Option<Frame>,
}

impl Engine {
    pub(super) fn on_rst(
        &mut self,
        s: SubflowId,
        end: usize,
        options: &[MptcpOption<'_>],
        cur: &mut Current,
    ) {
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

    /// An MP_FASTCLOSE from `host` of connection `c`, on subflow `s`.
    pub(super) fn on_fastclose(
        &mut self,
        c: ConnId,
        s: SubflowId,
        host: usize,
        segment: Segment,
        f: &MpFastclose,
        cur: &mut Current,
    ) {
        let peer = 1 - host;
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

    /// The fastcloses never answered, and the subflows an option-R fastclose did not reset: at
    /// the end of the capture.
    pub(super) fn finish_fastcloses(&mut self) {
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
    }
}
