//! The `tcp.stream` of a segment in the first pass, without finding TCP's conversation again.
//!
//! Wireshark's TCP dissector keeps a segment's stream number in its conversation data, and
//! finding the conversation again costs about a thousand instructions a segment, as much as
//! all the rest of the plugin. TCP gives an address and port pair a new stream only at a SYN (a
//! port reused: a SYN, or a SYN/ACK, with another sequence number), so [`Streams`] keeps the
//! stream of the pairs met lately: every SYN looks its stream up and files it, and both
//! directions of a pair share one entry. Frames seen again (the second pass, a click in the
//! GUI) come in any order and are not looked up here.
//!
//! Which streams are plain TCP so far is the engine's to say (`Engine::is_plain_tcp`).

use std::ffi::c_int;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::ffi;

/// One end of a segment: its address (an IPv4 one in the first 4 bytes, zeros after), and its
/// port and family as `port << 8 | 4` (IPv4) or `16` (IPv6); `port_family` 0 in an empty slot.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct End {
    addr: u128,
    port_family: u32,
}

impl End {
    /// The end at Wireshark's `addr` and `port`; `None` unless an IPv4 or IPv6 address.
    ///
    /// # Safety
    /// `addr` is null or points to an `address` whose `data` holds `len` bytes.
    pub(crate) unsafe fn of(addr: *const ffi::address, port: u32) -> Option<End> {
        // SAFETY: the caller's promise.
        let addr = unsafe { addr.as_ref() }?;
        let len = match (addr.type_, addr.len) {
            (t, 4) if t == ffi::AT_IPv4 as c_int => 4,
            (t, 16) if t == ffi::AT_IPv6 as c_int => 16,
            _ => return None,
        };
        if addr.data.is_null() {
            return None;
        }
        let mut bytes = [0u8; 16];
        // SAFETY: `data` holds `len` bytes (the caller's promise), at most 16.
        unsafe { std::ptr::copy_nonoverlapping(addr.data.cast::<u8>(), bytes.as_mut_ptr(), len) };
        Some(End {
            addr: u128::from_ne_bytes(bytes),
            port_family: port << 8 | len as u32,
        })
    }

    /// Whether both ends are of one family.
    pub(crate) fn same_family(&self, other: &End) -> bool {
        self.port_family & 0xff == other.port_family & 0xff
    }

    /// The end's address.
    pub(crate) fn ip(&self) -> IpAddr {
        let bytes = self.addr.to_ne_bytes();
        if self.port_family & 0xff == 4 {
            IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))
        } else {
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
    }

    fn hash(&self) -> u32 {
        let v = self.addr as u64 ^ (self.addr >> 64) as u64 ^ u64::from(self.port_family);
        ((v ^ (v >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as u32
    }
}

/// Entries of the table: a power of two.
const SLOTS: usize = 1024;

/// A pair's ends, in the order they were filed, and its stream.
#[derive(Clone, Copy, Default)]
struct Slot {
    a: End,
    b: End,
    stream: u32,
}

/// The stream of the address and port pairs met lately, a slot each (the last pair filed in
/// it): 44 KB, allocated at the first pair filed.
pub(crate) struct Streams {
    slots: Vec<Slot>,
}

impl Streams {
    /// No pair filed.
    pub(crate) const fn new() -> Streams {
        Streams { slots: Vec::new() }
    }

    /// The stream of a first-pass segment from `src` to `dst` (`syn`: its SYN flag): the one
    /// filed for the pair, or at a SYN or a pair not in its slot what `lookup` says (TCP's
    /// conversation), filed.
    pub(crate) fn stream(
        &mut self,
        src: &End,
        dst: &End,
        syn: bool,
        lookup: impl FnOnce() -> Option<u32>,
    ) -> Option<u32> {
        // The same slot both ways.
        let index = (src
            .hash()
            .wrapping_add(dst.hash())
            .wrapping_mul(0x85eb_ca77)
            >> 20) as usize
            & (SLOTS - 1);
        if let Some(slot) = self.slots.get(index) {
            if !syn && ((slot.a == *src && slot.b == *dst) || (slot.a == *dst && slot.b == *src)) {
                return Some(slot.stream);
            }
        }
        let stream = lookup()?;
        if self.slots.is_empty() {
            self.slots = vec![Slot::default(); SLOTS];
        }
        if let Some(slot) = self.slots.get_mut(index) {
            *slot = Slot {
                a: *src,
                b: *dst,
                stream,
            };
        }
        Some(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(last: u8, port: u32) -> End {
        let address = [10, 0, 0, last];
        let addr = ffi::address {
            type_: ffi::AT_IPv4 as c_int,
            len: 4,
            data: address.as_ptr().cast(),
            ..Default::default()
        };
        // SAFETY: `addr` points to 4 bytes.
        unsafe { End::of(&addr, port) }.unwrap()
    }

    #[test]
    fn a_pair_is_looked_up_once_both_ways_and_again_at_a_syn() {
        let (a, b) = (end(1, 40000), end(2, 443));
        let mut streams = Streams::new();
        let lookups = std::cell::Cell::new(0);
        let mut stream = |src, dst, syn, s| {
            streams.stream(src, dst, syn, || {
                lookups.set(lookups.get() + 1);
                Some(s)
            })
        };
        assert_eq!(stream(&a, &b, true, 7), Some(7));
        assert_eq!(stream(&b, &a, false, 99), Some(7));
        assert_eq!(stream(&a, &b, false, 99), Some(7));
        // A SYN on the same pair: a port reused, a new stream.
        assert_eq!(stream(&a, &b, true, 8), Some(8));
        assert_eq!(stream(&b, &a, false, 99), Some(8));
        assert_eq!(lookups.get(), 2);
        assert_eq!(a.ip(), IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    }

    #[test]
    fn a_pair_without_a_stream_is_not_filed() {
        let (a, b) = (end(1, 1), end(2, 2));
        let mut streams = Streams::new();
        assert_eq!(streams.stream(&a, &b, false, || None), None);
        assert_eq!(streams.stream(&a, &b, false, || Some(3)), Some(3));
    }
}
