//! The earlier frames of a DSS mapping: each carried the mapping's DSS option, checksum
//! included, but its payload did not complete the mapping, so the checksum's verdict comes
//! with a later frame. Kept so that those frames show the verdict too, once it is known.

use super::finding::Frame;
use std::vec::Vec;

/// A verdict not known yet: the entry links to the mapping's carrier before it.
const PENDING: u32 = 0;
/// A verdict known: the flag, the verdict and how many frames later it came.
const RESOLVED: u32 = 1 << 31;
const VALID: u32 = 1 << 30;
const DELTA: u32 = VALID - 1;

/// The carriers, in frame order: 8 bytes each, for the frames of mappings that span segments.
#[derive(Debug, Default)]
pub(super) struct Carriers {
    /// (carrier frame, state): while pending, `PENDING` and the index + 1 of the mapping's
    /// carrier before it (0 for none) in the low 31 bits; once resolved, `RESOLVED`, `VALID`
    /// when the checksum matched, and the frames from the carrier to the one that completed
    /// the mapping.
    entries: Vec<(Frame, u32)>,
}

/// The verdict of a mapping's checksum, as one of its earlier frames shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Verdict {
    /// Whether the checksum matched the payload.
    pub valid: bool,
    /// The frame whose payload completed the mapping.
    pub completed_in: Frame,
}

impl Carriers {
    /// Records that `frame` carried the DSS of a mapping not yet complete; `last` is what this
    /// returned for the mapping's carrier before (0 for none). Returns what to keep for the
    /// mapping.
    pub fn push(&mut self, frame: Frame, last: u32) -> u32 {
        // Frames come in order; a frame seen twice (the same mapping on two options) once.
        if let Some(at) = last.checked_sub(1) {
            if self.entries.get(at as usize).is_some_and(|e| e.0 == frame) {
                return last;
            }
        }
        if self.entries.len() >= (RESOLVED - 1) as usize {
            return last;
        }
        self.entries.push((frame, PENDING | last));
        self.entries.len() as u32
    }

    /// The mapping whose last carrier `last` names was completed in `frame`: gives every one
    /// of its carriers the verdict.
    pub fn resolve(&mut self, last: u32, valid: bool, frame: Frame) {
        let mut next = last;
        while let Some(at) = next.checked_sub(1) {
            let Some(entry) = self.entries.get_mut(at as usize) else {
                return;
            };
            if entry.1 & RESOLVED != 0 {
                return;
            }
            next = entry.1;
            // Past 2^30 frames from the carrier, the verdict stays unknown there.
            let delta = frame.wrapping_sub(entry.0);
            entry.1 = if delta <= DELTA {
                RESOLVED | if valid { VALID } else { 0 } | delta
            } else {
                RESOLVED
            };
        }
    }

    /// The verdicts that `frame` shows as an earlier frame of a mapping.
    pub fn of(&self, frame: Frame) -> impl Iterator<Item = Verdict> + '_ {
        let start = self.entries.partition_point(|e| e.0 < frame);
        self.entries[start..]
            .iter()
            .take_while(move |e| e.0 == frame)
            .filter_map(|&(carrier, state)| {
                let delta = state & DELTA;
                (state & RESOLVED != 0 && delta != 0).then(|| Verdict {
                    valid: state & VALID != 0,
                    completed_in: carrier.wrapping_add(delta),
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_carrier_of_a_mapping_gets_its_verdict() {
        let mut c = Carriers::default();
        // Mapping A carried by 3 and 5, mapping B by 4, interleaved; C by 6, never completed.
        let a = c.push(3, 0);
        let b = c.push(4, 0);
        let a = c.push(5, a);
        let _c = c.push(6, 0);
        assert_eq!(
            c.of(3).count(),
            0,
            "not known before the end of the mapping"
        );
        c.resolve(a, true, 7);
        c.resolve(b, false, 8);
        assert_eq!(
            c.of(3).collect::<Vec<_>>(),
            [Verdict {
                valid: true,
                completed_in: 7
            }]
        );
        assert_eq!(
            c.of(5).collect::<Vec<_>>(),
            [Verdict {
                valid: true,
                completed_in: 7
            }]
        );
        assert_eq!(
            c.of(4).collect::<Vec<_>>(),
            [Verdict {
                valid: false,
                completed_in: 8
            }]
        );
        assert_eq!(c.of(6).count(), 0);
        assert_eq!(c.of(7).count(), 0);
    }

    #[test]
    fn a_frame_pushed_twice_for_one_mapping_is_kept_once() {
        let mut c = Carriers::default();
        let a = c.push(3, 0);
        assert_eq!(c.push(3, a), a);
        c.resolve(a, true, 4);
        assert_eq!(c.of(3).count(), 1);
    }
}
