//! FAULT_ANNOUNCE: the subflow whose address IDs it names, resolved in the capture, and that
//! subflow's last frame and RST, brought up to date at the end of the capture.

use super::connections::ConnId;
use super::engine::{Current, Engine};
use super::finding::{FaultTarget, Finding};
use super::subflows::SubflowId;
use crate::FaultAnnounce;

impl Engine {
    /// A FAULT_ANNOUNCE from `host` of connection `c`.
    pub(super) fn on_fault_announce(
        &mut self,
        c: ConnId,
        host: usize,
        f: &FaultAnnounce<'_>,
        cur: &mut Current,
    ) {
        let target = self.resolve_fault(c, host, f.src_addr_id, f.dst_addr_id);
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

    /// The subflow of connection `c` whose ends carry these address IDs.
    fn resolve_fault(
        &self,
        c: ConnId,
        host: usize,
        src_id: u8,
        dst_id: u8,
    ) -> Option<(SubflowId, FaultTarget)> {
        let conn = &self.connections[c];
        let found = conn.subflows.iter().copied().find(|&t| {
            let sf = &self.subflows[t as usize];
            sf.end_uses(
                &self.subflows.addresses,
                sf.end_of_host(host),
                src_id,
                conn.hosts[host].bound(src_id),
            ) && sf.end_uses(
                &self.subflows.addresses,
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
                src: sf.end(&self.subflows.addresses, eh).0,
                dst: sf.end(&self.subflows.addresses, ep).0,
                last_frame: sf.last_frame,
                rst_frame: sf.first_rst.get(),
            },
        ))
    }

    /// Brings the last frames and RSTs of the faulty subflows up to date: at the end of the
    /// capture.
    pub(super) fn finish_faults(&mut self) {
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
}
