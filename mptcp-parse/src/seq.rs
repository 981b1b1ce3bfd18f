//! Data sequence numbers, which travel as 32 or 64 bits.

use core::fmt;

/// A data sequence number or Data ACK as sent: 4 or 8 octets on the wire.
///
/// A 32-bit value is the low half of the 64-bit number; [`expand`](Self::expand) recovers the
/// full value next to a known one, as receivers do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataSeq {
    /// Sent as 4 octets.
    U32(u32),
    /// Sent as 8 octets.
    U64(u64),
}

impl DataSeq {
    /// The value as sent, widened to 64 bits without guessing the high half.
    pub const fn raw(self) -> u64 {
        match self {
            DataSeq::U32(v) => v as u64,
            DataSeq::U64(v) => v,
        }
    }

    /// Whether it travels as 8 octets.
    pub const fn is_64bit(self) -> bool {
        matches!(self, DataSeq::U64(_))
    }

    /// Octets on the wire.
    pub const fn wire_len(self) -> usize {
        match self {
            DataSeq::U32(_) => 4,
            DataSeq::U64(_) => 8,
        }
    }

    /// The full 64-bit number: a 32-bit value is placed in the 2^32 window nearest to
    /// `reference` (the last full number seen in that direction).
    pub const fn expand(self, reference: u64) -> u64 {
        match self {
            DataSeq::U64(v) => v,
            DataSeq::U32(low) => {
                let candidate = (reference & !0xffff_ffff) | low as u64;
                // Signed distance in the 32-bit space, as TCP compares sequence numbers.
                let delta = low.wrapping_sub(reference as u32) as i32;
                let expected = reference.wrapping_add(delta as i64 as u64);
                if expected & 0xffff_ffff == candidate & 0xffff_ffff {
                    expected
                } else {
                    candidate
                }
            }
        }
    }
}

impl fmt::Display for DataSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.raw())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_keeps_64bit_values() {
        assert_eq!(DataSeq::U64(7).expand(1 << 40), 7);
    }

    #[test]
    fn expand_places_low_bits_next_to_the_reference() {
        let reference = 0x0000_0005_ffff_fff0;
        // Just after the reference, across the 2^32 boundary.
        assert_eq!(DataSeq::U32(0x10).expand(reference), 0x0000_0006_0000_0010);
        // Just before it.
        assert_eq!(
            DataSeq::U32(0xffff_ff00).expand(reference),
            0x0000_0005_ffff_ff00
        );
        // Before, across the boundary backwards.
        assert_eq!(
            DataSeq::U32(0xffff_fff0).expand(0x0000_0006_0000_0010),
            0x0000_0005_ffff_fff0
        );
    }
}
