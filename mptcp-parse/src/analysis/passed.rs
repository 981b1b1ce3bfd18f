//! The checks that passed: one for every verified mapping of a connection with DSS checksums,
//! two for every join. They are most of what the analysis concludes on such a connection, so
//! they are kept apart from the findings, a byte or two each.

use super::compact::push_grown;
use super::finding::{AddAddrVerdict, Finding, Frame, HandshakeStep};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::vec::Vec;

/// A check that passed (see [`Engine::findings`](super::Engine::findings) for the findings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verified {
    /// The DSS checksum of the mapping in that frame.
    DssChecksum(Frame),
    JoinHmac(HandshakeStep),
    AddAddrHmac,
    /// The MP_FASTCLOSE key matches the receiver's.
    FastcloseKey,
}

impl Verified {
    /// The finding of a check passed in `frame`.
    pub(super) fn finding(self, frame: Frame) -> Finding {
        match self {
            Verified::DssChecksum(mapping_frame) => Finding::DssChecksum {
                valid: true,
                mapping_frame,
                completed_in: frame,
                followed_by: None,
            },
            Verified::JoinHmac(step) => Finding::JoinHmac { step, valid: true },
            Verified::AddAddrHmac => Finding::AddAddrHmac {
                verdict: AddAddrVerdict::Valid,
            },
            Verified::FastcloseKey => Finding::FastcloseKey { valid: true },
        }
    }
}

/// The checks that passed, in frame order, a byte or two each: per check, a LEB128 number
/// `(frame - previous check's frame) << 3 | tag` (tag 0: DSS checksum of a mapping in the same
/// frame; 1: of a mapping `back` frames before, `back` following as another LEB128 number;
/// 2 and 3: join HMAC of the SYN/ACK and of the ACK; 4: ADD_ADDR HMAC). Every [`PASSED_BLOCK`]
/// checks, a block starts: its byte offset and the frame of the check before it, for a
/// binary search and then at most a block to decode. Frames are mostly looked up in order
/// (the frame just analysed, a second pass): where the last look-up stopped is kept, and the
/// next one starts there when it can; the frames of the checks either side of it are kept
/// too, so that a frame between them (most frames) is answered without decoding.
#[derive(Default)]
pub(super) struct Passed {
    bytes: Vec<u8>,
    /// (frame of the check before the block, 0 for the first; offset of the block in `bytes`).
    blocks: Vec<(Frame, u32)>,
    len: usize,
    last: Frame,
    /// Where the last look-up stopped: `offset << 32 | frame of the check before it` (0 for
    /// none). Atomic so that look-ups take `&self` and the engine stays `Sync`; one value, so a
    /// look-up always sees an offset with its own frame.
    cursor: AtomicU64,
    /// `after << 32 | before`: no check is in a frame strictly between the two (0: none
    /// known). Whatever look-up stored it, it stays true until the next push, which clears it.
    gap: AtomicU64,
}

const PASSED_BLOCK: usize = 32;

impl Passed {
    /// How many checks were recorded.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Records a check passed in `frame` (frames in order).
    pub(super) fn push(&mut self, frame: Frame, verified: Verified) {
        // Offsets are 32-bit: past 4 GiB of checks (billions of them), no more are kept.
        if self.bytes.len() > u32::MAX as usize - 20 {
            return;
        }
        if self.len % PASSED_BLOCK == 0 {
            push_grown(&mut self.blocks, (self.last, self.bytes.len() as u32));
        }
        let (tag, back) = match verified {
            Verified::DssChecksum(mapping) if mapping == frame => (0, None),
            Verified::DssChecksum(mapping) => (1, Some(frame.wrapping_sub(mapping))),
            Verified::JoinHmac(HandshakeStep::SynAck) => (2, None),
            Verified::JoinHmac(HandshakeStep::Ack) => (3, None),
            Verified::AddAddrHmac => (4, None),
            Verified::FastcloseKey => (5, None),
        };
        if self.bytes.len() + 16 > self.bytes.capacity() {
            self.bytes.reserve_exact((self.bytes.len() / 2).max(64));
        }
        put_leb128(&mut self.bytes, u64::from(frame - self.last) << 3 | tag);
        if let Some(back) = back {
            put_leb128(&mut self.bytes, u64::from(back));
        }
        self.len += 1;
        self.last = frame;
        // The last gap may have ended at "no check after": no longer true.
        *self.gap.get_mut() = 0;
    }

    /// The checks passed in `frame`.
    pub(super) fn of(&self, frame: Frame) -> PassedIn<'_> {
        let none = PassedIn {
            bytes: &[],
            at: 0,
            previous: 0,
            frame,
            cursor: None,
        };
        if frame > self.last || frame == 0 {
            return none;
        }
        // Looked up in order (the frame just analysed, a second pass), most frames have no
        // check: when `frame` is in the gap where the last look-up stopped, there is none,
        // without the search.
        let gap = self.gap.load(Relaxed);
        if ((gap >> 32) as u32) < frame && frame < gap as u32 {
            return none;
        }
        let cursor = self.cursor.load(Relaxed);
        let (cursor_at, cursor_previous) = ((cursor >> 32) as u32, cursor as u32);
        // The last block whose previous check is before `frame`: the checks of `frame` start
        // there or later (every check before it is before `frame`).
        let b = self
            .blocks
            .partition_point(|(previous, _)| *previous < frame);
        let Some(&(mut previous, mut at)) = b.checked_sub(1).and_then(|b| self.blocks.get(b))
        else {
            return none;
        };
        // Where the last look-up stopped, when later in that block and before `frame`.
        if cursor_previous < frame && cursor_at > at {
            (at, previous) = (cursor_at, cursor_previous);
        }
        PassedIn {
            bytes: &self.bytes,
            at: at as usize,
            previous,
            frame,
            cursor: Some((&self.cursor, &self.gap)),
        }
    }
}

fn put_leb128(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_leb128(bytes: &[u8], at: &mut usize) -> u64 {
    // Most are one byte.
    if let Some(&b) = bytes.get(*at).filter(|b| **b < 0x80) {
        *at += 1;
        return u64::from(b);
    }
    let mut v = 0u64;
    let mut shift = 0;
    while let Some(&b) = bytes.get(*at) {
        *at += 1;
        v |= u64::from(b & 0x7f) << shift.min(63);
        shift += 7;
        if b < 0x80 {
            break;
        }
    }
    v
}

/// The checks passed in one frame, decoded from [`Passed`].
pub(super) struct PassedIn<'p> {
    bytes: &'p [u8],
    /// Offset of the next check, and the frame of the check before it.
    at: usize,
    previous: Frame,
    frame: Frame,
    /// Where to leave the offset of the first check after `frame`, and the gap it ends
    /// ([`Passed`]'s `cursor` and `gap`; `None`: done).
    cursor: Option<(&'p AtomicU64, &'p AtomicU64)>,
}

impl Iterator for PassedIn<'_> {
    type Item = Verified;
    fn next(&mut self) -> Option<Verified> {
        let (cursor, gap) = self.cursor?;
        // The frame of the first check after `frame`, if any.
        let mut next = Frame::MAX;
        while self.at < self.bytes.len() {
            let mut at = self.at;
            let head = get_leb128(self.bytes, &mut at);
            let frame = self.previous.wrapping_add((head >> 3) as u32);
            if frame > self.frame {
                next = frame;
                break;
            }
            self.at = at;
            self.previous = frame;
            let verified = match head & 7 {
                0 => Verified::DssChecksum(frame),
                1 => Verified::DssChecksum(
                    frame.wrapping_sub(get_leb128(self.bytes, &mut self.at) as u32),
                ),
                2 => Verified::JoinHmac(HandshakeStep::SynAck),
                3 => Verified::JoinHmac(HandshakeStep::Ack),
                4 => Verified::AddAddrHmac,
                _ => Verified::FastcloseKey,
            };
            if frame == self.frame {
                return Some(verified);
            }
        }
        // At the first check after the frame (or the end): the next look-up may start here,
        // and needs nothing for a frame before that check.
        cursor.store((self.at as u64) << 32 | u64::from(self.previous), Relaxed);
        gap.store(u64::from(self.previous) << 32 | u64::from(next), Relaxed);
        self.cursor = None;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The compact list of checks that passed gives back, for every frame, exactly what was
    /// pushed for it, in order: over block boundaries, with large gaps and back references.
    #[test]
    fn passed_checks_come_back_per_frame() {
        let mut passed = Passed::default();
        let mut pushed: Vec<(Frame, Verified)> = Vec::new();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut frame: Frame = 1;
        for _ in 0..5000 {
            let r = next();
            frame += match r % 10 {
                0 => 0,
                1 => (r >> 8) as u32 % 100_000,
                _ => (r >> 8) as u32 % 20,
            };
            let verified = match (r >> 40) % 7 {
                0 => Verified::JoinHmac(HandshakeStep::SynAck),
                1 => Verified::JoinHmac(HandshakeStep::Ack),
                2 => Verified::AddAddrHmac,
                3 => Verified::DssChecksum(frame),
                4 => Verified::FastcloseKey,
                _ => Verified::DssChecksum(frame - (r >> 48) as u32 % frame.min(3000)),
            };
            passed.push(frame, verified);
            pushed.push((frame, verified));
        }
        assert_eq!(passed.len, pushed.len());
        assert!(
            passed.bytes.len() < 3 * pushed.len(),
            "{} bytes",
            passed.bytes.len()
        );
        let mut frames: Vec<Frame> = pushed.iter().map(|(f, _)| *f).collect();
        frames.dedup();
        let mut lookups: Vec<Frame> = frames
            .iter()
            .flat_map(|&f| [f - 1, f, f + 1])
            .chain([0, frame + 1, Frame::MAX])
            .collect();
        // In order (the cursor), then at random (the blocks), then in order again.
        let in_order = lookups.clone();
        for i in (1..lookups.len()).rev() {
            lookups.swap(i, next() as usize % (i + 1));
        }
        for f in in_order.iter().chain(&lookups).chain(&in_order).copied() {
            let expected: Vec<Verified> = pushed
                .iter()
                .filter(|(g, _)| *g == f)
                .map(|(_, v)| *v)
                .collect();
            assert_eq!(passed.of(f).collect::<Vec<_>>(), expected, "frame {f}");
        }
        assert_eq!(Passed::default().of(1).count(), 0);
    }

    /// The first pass looks frames up as it pushes their checks: a frame asked for before its
    /// checks were pushed (the gap after the last check then reaches past it) still gets them
    /// once they are.
    #[test]
    fn passed_checks_come_back_while_pushed() {
        let mut passed = Passed::default();
        let mut pushed: Vec<(Frame, Verified)> = Vec::new();
        let of = |pushed: &[(Frame, Verified)], f: Frame| -> Vec<Verified> {
            pushed
                .iter()
                .filter(|(g, _)| *g == f)
                .map(|(_, v)| *v)
                .collect()
        };
        for frame in 1..400 {
            // Asked for before anything is pushed for it: nothing yet.
            assert_eq!(passed.of(frame).count(), 0, "frame {frame}");
            for _ in 0..(frame * 7 % 5).saturating_sub(2) {
                passed.push(frame, Verified::DssChecksum(frame));
                pushed.push((frame, Verified::DssChecksum(frame)));
            }
            for f in [frame - 1, frame, frame + 1] {
                assert_eq!(
                    passed.of(f).collect::<Vec<_>>(),
                    of(&pushed, f),
                    "frame {f} after frame {frame}"
                );
            }
        }
        assert!(pushed.len() > 100);
    }
}
