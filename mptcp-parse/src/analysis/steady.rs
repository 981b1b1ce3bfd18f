//! The steady path: most segments of a capture are data or bare acknowledgements on
//! established subflows, and take a short path of their own instead of the general one.

use super::engine::Engine;
use super::finding::Frame;
use super::mappings::{covers, MappingCheck};
use super::passed::Verified;
use super::subflows::{Kind, SubflowId, DIR_CHECKSUM_PRESENCE_REPORTED, THIRD_ACK_SEEN};
use crate::{MptcpOption, TcpFlags, TcpSegment};

impl Engine {
    /// Most segments, in short: data or a bare acknowledgement on an established subflow (no
    /// SYN, RST or FIN, no handshake under way), with no MPTCP option or one DSS whose mapping,
    /// if any, is not infinite and has a 64-bit DSN when its checksum is to be verified. When
    /// [`analyse_general`](Self::analyse_general) would only note the frame, the mapping's
    /// coverage and the checksum verified so far, and find nothing but a checksum that
    /// matches, does that and returns true; otherwise changes nothing and returns false. Its
    /// own code: most segments need none of the general path's.
    pub(super) fn steady(
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
        let (check, verified) = match (started.as_ref().or(sf.checks[end].as_deref()), isn) {
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
            self.steady_taken += 1;
        }
        let sf = &mut self.subflows[s];
        sf.last_frame = frame;
        if let Some(m) = mapping {
            sf.set_coverage(end, (m.ssn, u32::from(m.data_len)));
        }
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
        true
    }
}
