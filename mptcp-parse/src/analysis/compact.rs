//! Compact storage for state kept per subflow and per connection, which is what a capture
//! with many connections multiplies: 4-byte optional frames, lists that grow by half, lists
//! that take 8 bytes while empty, and the hash tables the engine uses.

use super::finding::Frame;
use std::vec::Vec;

/// Tables keyed by what the capture says (streams, ports, tokens, frames). foldhash is several
/// times faster than SipHash on such small keys and is still seeded at random, so a capture
/// cannot be made to collide in them.
pub(super) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// Tables of 4-byte indices into a list whose entries hold their own keys (subflows by stream
/// or address and port pair, addresses), hashed with the engine's [`Hasher`]: the key is not
/// stored twice.
pub(super) type Index = hashbrown::HashTable<u32>;
pub(super) type Hasher = foldhash::fast::RandomState;

/// A frame number or none, in 4 bytes: the engine analyses no frame 0 (see
/// [`Engine::process`](super::Engine::process)), so 0 says none.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct OptFrame(Frame);

impl OptFrame {
    pub(super) const NONE: OptFrame = OptFrame(0);
    pub(super) fn get(self) -> Option<Frame> {
        (self.0 != 0).then_some(self.0)
    }
    pub(super) fn is_none(self) -> bool {
        self.0 == 0
    }
    pub(super) fn set(&mut self, frame: Frame) {
        self.0 = frame;
    }
    pub(super) fn get_or_insert(&mut self, frame: Frame) -> Frame {
        if self.0 == 0 {
            self.0 = frame;
        }
        self.0
    }
}

/// Pushes onto a list that only grows (subflows, connections, addresses), by half its length
/// at a time rather than doubling: on average a fifth of it is spare room instead of a third,
/// for a few more copies (still amortised O(1) a push).
pub(super) fn push_grown<T>(list: &mut Vec<T>, value: T) {
    push_grown_from(list, value, 4);
}

/// [`push_grown`], growing by at least `least` entries.
pub(super) fn push_grown_from<T>(list: &mut Vec<T>, value: T, least: usize) {
    if list.len() == list.capacity() {
        list.reserve_exact((list.len() / 2).max(least));
    }
    list.push(value);
}

/// A list that is usually empty: 8 bytes until something is pushed. Per-host and
/// per-connection lists (announcements, checksum failures) are empty on almost every
/// connection, and connections are what a flood multiplies. When used, it holds one or two
/// entries mostly: it grows by half its length, from one.
// A Vec alone is 24 bytes even when empty; boxed, it is 8 until used.
#[allow(clippy::box_collection)]
pub(super) struct Sparse<T>(Option<Box<Vec<T>>>);

impl<T> Default for Sparse<T> {
    fn default() -> Sparse<T> {
        Sparse(None)
    }
}

impl<T> Sparse<T> {
    pub(super) fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0
            .as_deref()
            .map_or_else(Default::default, |v| v.iter())
    }
    pub(super) fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        match self.0.as_deref_mut() {
            Some(v) => v.iter_mut(),
            None => Default::default(),
        }
    }
    pub(super) fn push(&mut self, value: T) {
        push_grown_from(self.0.get_or_insert_with(Default::default), value, 1);
    }
    pub(super) fn len(&self) -> usize {
        self.0.as_deref().map_or(0, Vec::len)
    }
    pub(super) fn remove(&mut self, index: usize) -> T {
        self.0
            .as_deref_mut()
            .expect("index within len()")
            .remove(index)
    }
    /// Empties the list, handing out what it held.
    pub(super) fn take_all(&mut self) -> std::vec::IntoIter<T> {
        self.0.take().map(|v| *v).unwrap_or_default().into_iter()
    }
}
