//! DSS mappings: the payload each covers (payload that none covers is a finding), and their
//! DSS checksums, verified as the payload arrives across segments; MP_FAIL and infinite
//! mappings that follow a checksum failure.

use super::connections::ConnId;
use super::engine::{Current, Engine};
use super::finding::{Finding, Frame};
use super::passed::Verified;
use super::subflows::{
    SubflowId, DIR_CHECKSUM_PRESENCE_REPORTED, DIR_FALLBACK, OPTIONS_MISSING_REPORTED,
};
use crate::crypto::{self, DssChecksum, Version};
use crate::{CapableForm, Mapping, MpFail, MptcpOption, TcpFlags, TcpSegment};

/// A mapping whose DSS checksum is being verified as its payload arrives.
#[derive(Clone, Copy)]
pub(super) struct MappingCheck {
    pub(super) frame: Frame,
    pub(super) dsn: u64,
    pub(super) ssn: u32,
    pub(super) data_len: u16,
    pub(super) checksum: u16,
    /// Next and end relative subflow sequence numbers of the bytes to feed.
    pub(super) next: u32,
    pub(super) end: u32,
    pub(super) sum: DssChecksum,
    /// The last frame whose DSS carried this mapping.
    pub(super) seen_in: Frame,
    /// Its earlier frames that did not complete it, in [`Carriers`](super::carriers::Carriers)
    /// (0: none).
    pub(super) carriers: u32,
}

impl MappingCheck {
    /// The check of a mapping seen in `frame`, its bytes from relative subflow sequence number
    /// `start` on.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
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
    pub(super) fn is_of(&self, dsn: u64, ssn: u32, data_len: u16) -> bool {
        self.dsn == dsn && self.ssn == ssn && self.data_len == data_len
    }

    /// The check once fed the payload at relative subflow sequence number `rel`; `None` at a
    /// gap (bytes not captured, or reordered): the mapping cannot be verified.
    pub(super) fn fed(&self, rel: u32, payload: &[u8]) -> Option<MappingCheck> {
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

    pub(super) fn complete(&self) -> bool {
        self.next == self.end
    }
}

/// Whether the mapping `coverage` (relative SSN, length) covers the `len` payload bytes at
/// relative subflow sequence number `rel`.
pub(super) fn covers(coverage: Option<(u32, u32)>, rel: u32, len: u32) -> bool {
    coverage.is_some_and(|(ssn, mlen)| {
        let from = rel.wrapping_sub(ssn);
        from < mlen && from.wrapping_add(len) <= mlen
    })
}

impl Engine {
    pub(super) fn on_mapping(
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
            crate::DataSeq::U32(_) => match self.connections.sender_idsn(c, host) {
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
    pub(super) fn on_payload(
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

    /// Links earlier checksum failures of the connection to this MP_FAIL or infinite mapping.
    pub(super) fn mark_bad_mappings_followed(&mut self, c: ConnId, cur: &mut Current) {
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

    /// MP_FAIL on subflow `s` of connection `c`.
    pub(super) fn on_fail(&mut self, c: ConnId, s: SubflowId, f: &MpFail, cur: &mut Current) {
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
}
