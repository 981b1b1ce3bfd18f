//! What a decoder needs to know beyond the option's bytes.

/// The TCP segment an option was found on.
///
/// MP_CAPABLE and MP_JOIN change form with the handshake step, and MP_TCPRST only means
/// something on a RST; the segment lets the decoder name the form and warn when it does not fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Segment {
    /// SYN flag.
    pub syn: bool,
    /// ACK flag.
    pub ack: bool,
    /// RST flag.
    pub rst: bool,
    /// The segment carries payload.
    pub payload: bool,
}

impl Segment {
    /// From the TCP flags byte (byte 13 of the header) and the payload length.
    pub const fn from_tcp_flags(flags: u8, payload_len: usize) -> Segment {
        Segment {
            syn: flags & 0x02 != 0,
            ack: flags & 0x10 != 0,
            rst: flags & 0x04 != 0,
            payload: payload_len > 0,
        }
    }

    /// A SYN without ACK.
    pub const fn is_syn(&self) -> bool {
        self.syn && !self.ack
    }

    /// A SYN with ACK.
    pub const fn is_syn_ack(&self) -> bool {
        self.syn && self.ack
    }
}

/// Settings and segment facts that decoding depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    /// The segment, when known. `None` decodes by length alone and skips the checks that
    /// need the segment.
    pub segment: Option<Segment>,
    /// Subtype at which FAULT_ANNOUNCE (draft-kang) is decoded; `None` turns it off.
    ///
    /// No subtype was ever assigned to it. Only unassigned values (9 to 14) take effect: an
    /// assigned subtype always decodes as itself. Default 9, as in the Wireshark plugin.
    pub fault_announce_subtype: Option<u8>,
}

impl Context {
    /// The default FAULT_ANNOUNCE subtype: 9, the first unassigned value.
    pub const DEFAULT_FAULT_ANNOUNCE_SUBTYPE: u8 = 9;

    /// Context for an option found on `segment`, FAULT_ANNOUNCE at its default subtype.
    pub const fn on(segment: Segment) -> Context {
        Context { segment: Some(segment), ..Context::UNKNOWN_SEGMENT }
    }

    /// No segment information, FAULT_ANNOUNCE at its default subtype.
    pub const UNKNOWN_SEGMENT: Context = Context {
        segment: None,
        fault_announce_subtype: Some(Context::DEFAULT_FAULT_ANNOUNCE_SUBTYPE),
    };

    /// This context with FAULT_ANNOUNCE at `subtype` (`None` or 0 turns it off).
    pub const fn with_fault_announce_subtype(mut self, subtype: Option<u8>) -> Context {
        self.fault_announce_subtype = match subtype {
            Some(0) => None,
            other => other,
        };
        self
    }

    /// Whether `subtype` is where FAULT_ANNOUNCE is decoded in this context: the configured
    /// subtype, when it is one of the unassigned values 9 to 14.
    #[inline]
    pub fn is_fault_announce(&self, subtype: u8) -> bool {
        matches!(self.fault_announce_subtype, Some(s) if s == subtype && (9..=14).contains(&s))
    }
}

impl Default for Context {
    fn default() -> Context {
        Context::UNKNOWN_SEGMENT
    }
}
