//! Decoding errors and warnings.
//!
//! An [`Error`] means the option cannot be decoded as its subtype says it should be. A
//! [`Warning`] is attached to a value that did decode: reserved bits set, an unassigned code,
//! an option on a segment where receivers ignore it. Analysis tools want both; strict users
//! can treat warnings as they like.

use core::fmt;

/// Why an MPTCP option could not be decoded.
///
/// New kinds of error may be added (new options, new checks): match with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The bytes end before `field` is complete: `needed` more bytes were required.
    ///
    /// This is what a capture cut by its snapshot length produces: the option's length byte
    /// promises more than the buffer holds.
    Truncated {
        /// The first field that does not fit.
        field: &'static str,
        /// How many bytes are missing to complete that field.
        needed: usize,
    },
    /// The option's length byte does not fit its subtype (and flags, version).
    InvalidLength {
        /// The option, with its variant where the flags select one (`"DSS (flags A M)"`).
        option: &'static str,
        /// The lengths that would have been valid.
        expected: LengthSet,
        /// The length byte found.
        found: u8,
    },
    /// MP_CAPABLE with a version this crate does not know (other than 0 and 1).
    ///
    /// Only the strict entry points return it; the lenient ones keep the bytes
    /// ([`CapableForm::Opaque`](crate::CapableForm::Opaque)) with a
    /// [`Warning::UnknownVersion`].
    UnsupportedVersion {
        /// The version nibble found.
        version: u8,
    },
    /// Flags that contradict each other (FAULT_ANNOUNCE: V, "IPv6", without A, "address present").
    InvalidFlags {
        /// The option.
        option: &'static str,
        /// What is wrong, in words.
        reason: &'static str,
    },
    /// A TCP option of another kind was given to an MPTCP decoder.
    NotMptcp {
        /// The TCP option kind found (MPTCP is 30).
        kind: u8,
    },
    /// A TCP option whose length byte is below 2 or runs past the end of the options area.
    BadTcpOptionLength {
        /// The TCP option kind.
        kind: u8,
        /// Its length byte.
        length: u8,
        /// Bytes left in the options area, from the kind byte on.
        available: usize,
    },
    /// An error raised by a nom combinator that no MPTCP rule names (should not happen).
    Nom(nom::error::ErrorKind),
}

impl Error {
    /// The name of the field this error is about, for user interfaces that point at a field.
    pub fn field(&self) -> &'static str {
        match self {
            Error::Truncated { field, .. } => field,
            Error::InvalidLength { .. } => "length",
            Error::UnsupportedVersion { .. } => "version",
            Error::InvalidFlags { .. } => "flags",
            Error::NotMptcp { .. } => "kind",
            Error::BadTcpOptionLength { .. } => "length",
            Error::Nom(_) => "option",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated { field, needed } => {
                write!(f, "truncated: {field} needs {needed} more byte(s)")
            }
            Error::InvalidLength { option, expected, found } => {
                write!(f, "{option}: length {found} is not valid (expected {expected})")
            }
            Error::UnsupportedVersion { version } => {
                write!(f, "MP_CAPABLE version {version} is not supported (0 and 1 are)")
            }
            Error::InvalidFlags { option, reason } => write!(f, "{option}: {reason}"),
            Error::NotMptcp { kind } => write!(f, "TCP option kind {kind} is not MPTCP (30)"),
            Error::BadTcpOptionLength { kind, length, available } => write!(
                f,
                "TCP option kind {kind}: length {length} is not valid ({available} byte(s) left in the options area)"
            ),
            Error::Nom(kind) => write!(f, "parse error ({kind:?})"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

impl From<nom::Err<Error>> for Error {
    fn from(e: nom::Err<Error>) -> Error {
        match e {
            nom::Err::Error(e) | nom::Err::Failure(e) => e,
            nom::Err::Incomplete(_) => Error::Nom(nom::error::ErrorKind::Eof),
        }
    }
}

impl<I> nom::error::ParseError<I> for Error {
    fn from_error_kind(_input: I, kind: nom::error::ErrorKind) -> Self {
        Error::Nom(kind)
    }

    fn append(_input: I, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

// `nom::bits` parsers report their errors in this type too: converting one is the identity.
impl nom::ErrorConvert<Error> for Error {
    fn convert(self) -> Error {
        self
    }
}

/// A set of option lengths (all MPTCP lengths are below 64), printed as "4, 12 or 20".
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct LengthSet(u64);

impl LengthSet {
    /// The set holding exactly `lengths` (values of 64 and above are ignored).
    pub const fn of(lengths: &[u8]) -> LengthSet {
        let mut bits = 0u64;
        let mut i = 0;
        while i < lengths.len() {
            if lengths[i] < 64 {
                bits |= 1 << lengths[i];
            }
            i += 1;
        }
        LengthSet(bits)
    }

    /// Every length from `low` to `high`, both included.
    pub const fn range(low: u8, high: u8) -> LengthSet {
        let mut bits = 0u64;
        let mut l = low;
        while l <= high && l < 64 {
            bits |= 1 << l;
            l += 1;
        }
        LengthSet(bits)
    }

    /// Both sets.
    pub const fn union(self, other: LengthSet) -> LengthSet {
        LengthSet(self.0 | other.0)
    }

    /// Whether `length` is in the set.
    pub const fn contains(self, length: u8) -> bool {
        length < 64 && self.0 & (1 << length) != 0
    }

    /// The smallest length in the set, if any.
    pub const fn min(self) -> Option<u8> {
        if self.0 == 0 {
            None
        } else {
            Some(self.0.trailing_zeros() as u8)
        }
    }

    /// The lengths in increasing order.
    pub fn iter(self) -> impl Iterator<Item = u8> {
        (0u8..64).filter(move |l| self.contains(*l))
    }
}

impl fmt::Debug for LengthSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for LengthSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.count_ones() as usize;
        // Long runs ("6 to 40") read better than a list.
        if count > 4 {
            let low = self.min().unwrap_or(0);
            let high = 63 - self.0.leading_zeros() as u8;
            if LengthSet::range(low, high) == *self {
                return write!(f, "{low} to {high}");
            }
        }
        for (i, l) in self.iter().enumerate() {
            match i {
                0 => write!(f, "{l}")?,
                _ if i + 1 == count => write!(f, " or {l}")?,
                _ => write!(f, ", {l}")?,
            }
        }
        Ok(())
    }
}

/// Declares a `Copy` enum of names: one byte where a `&'static str` takes sixteen, so that
/// a [`Warning`] is three bytes and a [`Warnings`] list thirteen.
macro_rules! names {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $(#[doc = concat!("\"", $text, "\"")] $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The name as messages print it.
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.name())
            }
        }
    };
}

names! {
    /// A field with reserved bits, as [`Warning::ReservedBits`] names it.
    ReservedField {
        MpCapableFlags => "MP_CAPABLE flags",
        MpJoinSubtypeByte => "MP_JOIN subtype byte",
        MpJoinAckReservedByte => "MP_JOIN ACK reserved byte",
        DssSubtypeByte => "DSS subtype byte",
        DssFlags => "DSS flags",
        AddAddrFlags => "ADD_ADDR flags",
        RemoveAddrSubtypeByte => "REMOVE_ADDR subtype byte",
        MpPrioFlags => "MP_PRIO flags",
        MpFailSubtypeByte => "MP_FAIL subtype byte",
        MpFailReservedByte => "MP_FAIL reserved byte",
        MpFastcloseSubtypeByte => "MP_FASTCLOSE subtype byte",
        MpFastcloseReservedByte => "MP_FASTCLOSE reserved byte",
        MpTcpRstFlags => "MP_TCPRST flags (U V W)",
        FaultAnnounceFlags => "FAULT_ANNOUNCE flags",
    }
}

names! {
    /// A form of MP_CAPABLE or MP_JOIN that belongs to one step of the handshake, as
    /// [`Warning::UnexpectedSegment`] names it.
    HandshakeForm {
        CapableWithoutKey => "MP_CAPABLE without key",
        CapableSenderKey => "MP_CAPABLE with the sender's key",
        CapableBothKeys => "MP_CAPABLE with both keys",
        CapableWithData => "MP_CAPABLE with data-level length",
        JoinSyn => "MP_JOIN SYN form",
        JoinSynAck => "MP_JOIN SYN/ACK form",
        JoinAck => "MP_JOIN ACK form",
    }
}

names! {
    /// The segment a [`HandshakeForm`] belongs on.
    SegmentKind {
        Syn => "a SYN",
        SynOrSynAck => "a SYN or SYN/ACK",
        SynAck => "a SYN/ACK",
        Ack => "an ACK",
        AckWithPayload => "an ACK with payload",
    }
}

/// Something odd about an option that still decoded.
///
/// New warnings may be added as more oddities are checked: match with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// Bits that must be zero are set (receivers ignore them).
    ReservedBits {
        /// The field that holds them.
        field: ReservedField,
        /// The offending bits, in their position within that field.
        bits: u8,
    },
    /// MP_CAPABLE with a version other than 0 and 1 (decoded as opaque bytes).
    UnknownVersion {
        /// The version nibble.
        version: u8,
    },
    /// MP_TCPRST with a reason code IANA has not assigned.
    UnassignedRstReason {
        /// The reason code.
        reason: u8,
    },
    /// MP_TCPRST on a segment without RST: receivers ignore it (RFC 8684 section 3.6).
    TcpRstWithoutRst,
    /// FAULT_ANNOUNCE padding bytes that are not zero.
    NonZeroPadding,
    /// The option's form does not fit the segment it is on (an MP_JOIN SYN form without SYN...).
    UnexpectedSegment {
        /// The option and form.
        option: HandshakeForm,
        /// The segment it belongs on.
        expected: SegmentKind,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::ReservedBits { field, bits } => {
                write!(f, "reserved bits set in {field}: 0x{bits:02x}")
            }
            Warning::UnknownVersion { version } => {
                write!(
                    f,
                    "MP_CAPABLE version {version} is unknown; body kept as bytes"
                )
            }
            Warning::UnassignedRstReason { reason } => {
                write!(f, "MP_TCPRST reason 0x{reason:02x} is not assigned")
            }
            Warning::TcpRstWithoutRst => {
                write!(
                    f,
                    "MP_TCPRST on a segment without RST is ignored by receivers"
                )
            }
            Warning::NonZeroPadding => write!(f, "FAULT_ANNOUNCE padding is not zero"),
            Warning::UnexpectedSegment { option, expected } => {
                write!(f, "{option} belongs on {expected}")
            }
        }
    }
}

/// A short list of warnings (an option never has more than [`Warnings::CAPACITY`]).
///
/// Fixed capacity so that decoding never allocates.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Warnings {
    // Past `len`, the items are `Warning::NonZeroPadding`, unused (and equal in equal lists).
    items: [Warning; Warnings::CAPACITY],
    len: u8,
}

impl Default for Warnings {
    fn default() -> Warnings {
        Warnings::new()
    }
}

impl fmt::Debug for Warnings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Warnings {
    /// The most warnings one option can carry.
    pub const CAPACITY: usize = 4;

    /// An empty list.
    pub const fn new() -> Warnings {
        Warnings {
            items: [Warning::NonZeroPadding; Warnings::CAPACITY],
            len: 0,
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, warning: Warning) {
        // Every option's warnings are listed in `MptcpOption::warnings` and fit by
        // construction; a full list keeps the first ones rather than panic.
        if let Some(slot) = self.items.get_mut(self.len as usize) {
            *slot = warning;
            self.len += 1;
        }
    }

    /// Number of warnings.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The warnings in the order they were found.
    pub fn iter(&self) -> core::slice::Iter<'_, Warning> {
        self.as_slice().iter()
    }

    /// The warnings in the order they were found.
    pub fn as_slice(&self) -> &[Warning] {
        self.items.get(..self.len as usize).unwrap_or_default()
    }
}

impl<'a> IntoIterator for &'a Warnings {
    type Item = &'a Warning;
    type IntoIter = core::slice::Iter<'a, Warning>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;

    #[test]
    fn length_set_prints_like_a_sentence() {
        assert_eq!(LengthSet::of(&[12]).to_string(), "12");
        assert_eq!(LengthSet::of(&[18, 20]).to_string(), "18 or 20");
        assert_eq!(
            LengthSet::of(&[4, 12, 20, 22, 24]).to_string(),
            "4, 12, 20, 22 or 24"
        );
        assert_eq!(LengthSet::range(4, 40).to_string(), "4 to 40");
    }

    #[test]
    fn length_set_membership() {
        let s = LengthSet::of(&[6, 7, 8]).union(LengthSet::range(10, 12));
        assert!(s.contains(6) && s.contains(11) && !s.contains(9) && !s.contains(200));
        assert_eq!(s.min(), Some(6));
    }
}
