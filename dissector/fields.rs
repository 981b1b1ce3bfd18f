//! Everything the plugin registers with Wireshark: the protocol, its header fields (display
//! filter names, see `spec/fields.md`), subtrees, expert items and preferences.
//!
//! Field and expert ids live in atomics whose addresses Wireshark writes at registration;
//! the tables that Wireshark keeps pointers to (`hf_register_info`, `ei_register_info`,
//! value_strings) are allocated once and never freed.

use std::cell::UnsafeCell;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::ops::RangeInclusive;
use std::ptr;
use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicU32, Ordering::Relaxed};

use mptcp_parse::{subtype, FaultCause, RstReason};

use crate::ffi;

/// Protocol id of MPTCPX (-1 before registration).
pub(crate) static PROTO: AtomicI32 = AtomicI32::new(-1);

/// The protocol's registered `header_field_info` (null before registration).
static PROTO_INFO: AtomicPtr<ffi::header_field_info> = AtomicPtr::new(ptr::null_mut());

/// Whether a filter, column or field output names the protocol or one of its fields (priming a
/// field marks its protocol too).
pub(crate) fn protocol_referenced() -> bool {
    referenced(PROTO_INFO.load(Relaxed))
}

/// Whether Wireshark marked `info` as referenced. Read on every item rather than asked through
/// proto_field_is_referenced: a packet asks for dozens of fields, and this is one load each.
fn referenced(info: *const ffi::header_field_info) -> bool {
    // SAFETY: null, or a header_field_info Wireshark keeps for the life of the process (ours are
    // in the leaked `hf_register_info` table); ref_type is only written by the dissecting thread.
    !info.is_null() && unsafe { (*info).ref_type } != ffi::HF_REF_TYPE_NONE
}

/// Which value_string a field is displayed with.
#[derive(Clone, Copy)]
enum Strings {
    None,
    /// Subtype names, FAULT_ANNOUNCE at the configured subtype.
    Subtypes,
    FaultCauses,
    RstReasons,
    /// An `ft_framenum_type`, for FT_FRAMENUM fields.
    Framenum(ffi::ft_framenum_type),
}

struct FieldDef {
    abbrev: &'static CStr,
    name: &'static CStr,
    ftype: ffi::ftenum,
    display: u32,
    strings: Strings,
    mask: u64,
    blurb: &'static CStr,
}

/// `display` of an FT_BOOLEAN with a bitmask: the width of the byte it lives in.
const BITS8: u32 = 8;

macro_rules! fields {
    ($( $id:ident = $abbrev:literal, $name:literal, $ftype:ident, $display:expr, $strings:expr, $mask:expr, $blurb:literal; )*) => {
        /// The plugin's header fields.
        #[allow(dead_code)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(usize)]
        pub(crate) enum Hf { $($id,)* }

        const FIELD_DEFS: &[FieldDef] = &[ $( FieldDef {
            abbrev: $abbrev, name: $name, ftype: ffi::$ftype, display: $display,
            strings: $strings, mask: $mask, blurb: $blurb,
        }, )* ];
    };
}

use ffi::{BASE_DEC, BASE_HEX, BASE_NONE};
use Strings::{FaultCauses, Framenum, RstReasons, Subtypes};
const NO: Strings = Strings::None;

fields! {
    // ---- Every option ----
    Length = c"mptcpx.length", c"Length", FT_UINT8, BASE_DEC, NO, 0,
        c"Option length in bytes, kind and length bytes included";
    Subtype = c"mptcpx.subtype", c"Subtype", FT_UINT8, BASE_DEC, Subtypes, 0xf0,
        c"MPTCP option subtype, including FAULT_ANNOUNCE at its configured value";
    LengthValid = c"mptcpx.length_valid", c"Length valid", FT_BOOLEAN, BASE_NONE, NO, 0,
        c"The option's length fits its subtype and flags";
    Reserved = c"mptcpx.reserved", c"Reserved", FT_UINT16, BASE_HEX, NO, 0,
        c"Bits the option's format reserves (must be zero)";
    OpaqueBits = c"mptcpx.opaque.bits", c"Subtype-specific bits", FT_UINT8, BASE_HEX, NO, 0x0f,
        c"Low nibble of the subtype byte of an option whose body is not interpreted";
    OpaqueData = c"mptcpx.opaque.data", c"Data", FT_BYTES, BASE_NONE, NO, 0,
        c"Body of an MP_EXPERIMENTAL option or of an unassigned subtype, as sent";

    // ---- MP_CAPABLE ----
    CapVersion = c"mptcpx.capable.version", c"Version", FT_UINT8, BASE_DEC, NO, 0x0f,
        c"MP_CAPABLE version: 0 (RFC 6824) or 1 (RFC 8684)";
    CapFlags = c"mptcpx.capable.flags", c"Flags", FT_UINT8, BASE_HEX, NO, 0,
        c"MP_CAPABLE flags byte";
    CapFlagChecksum = c"mptcpx.capable.flags.checksum", c"A: checksum required", FT_BOOLEAN, BITS8, NO, 0x80,
        c"The sender requires DSS checksums";
    CapFlagExtensibility = c"mptcpx.capable.flags.extensibility", c"B: extensibility", FT_BOOLEAN, BITS8, NO, 0x40,
        c"Extensibility bit (must be 0)";
    CapFlagDenyJoinId0 = c"mptcpx.capable.flags.deny_join_id0", c"C: no subflows to this address", FT_BOOLEAN, BITS8, NO, 0x20,
        c"v1: the sender accepts no new subflows to the source address and port of this subflow";
    CapFlagUnassigned = c"mptcpx.capable.flags.unassigned", c"D-G: unassigned", FT_UINT8, BASE_HEX, NO, 0x1e,
        c"Unassigned flag bits";
    CapFlagHmac = c"mptcpx.capable.flags.hmac", c"H: HMAC-SHA256 (v1) / HMAC-SHA1 (v0)", FT_BOOLEAN, BITS8, NO, 0x01,
        c"The HMAC algorithm of the version is offered";
    CapSenderKey = c"mptcpx.capable.sender_key", c"Sender's key", FT_UINT64, BASE_HEX, NO, 0,
        c"64-bit key of the host sending this option";
    CapReceiverKey = c"mptcpx.capable.receiver_key", c"Receiver's key", FT_UINT64, BASE_HEX, NO, 0,
        c"64-bit key of the other host (third ACK and first data)";
    CapDataLen = c"mptcpx.capable.data_len", c"Data-level length", FT_UINT16, BASE_DEC, NO, 0,
        c"Length of the implicit mapping of the first data (DSN = IDSN + 1, SSN 1)";
    CapChecksum = c"mptcpx.capable.checksum", c"Checksum", FT_UINT16, BASE_HEX, NO, 0,
        c"DSS checksum of the implicit mapping";
    CapData = c"mptcpx.capable.data", c"Data", FT_BYTES, BASE_NONE, NO, 0,
        c"Body of an MP_CAPABLE of an unknown version, as sent";

    // ---- MP_JOIN ----
    JoinBackup = c"mptcpx.join.backup", c"B: backup", FT_BOOLEAN, BITS8, NO, 0x01,
        c"The sender wants this subflow used as a backup";
    JoinAddrId = c"mptcpx.join.addr_id", c"Address ID", FT_UINT8, BASE_DEC, NO, 0,
        c"Address ID of the sender's address of this subflow";
    JoinToken = c"mptcpx.join.token", c"Receiver's token", FT_UINT32, BASE_HEX, NO, 0,
        c"Token of the connection being joined (from the receiver's key)";
    JoinNonce = c"mptcpx.join.nonce", c"Sender's random number", FT_UINT32, BASE_HEX, NO, 0,
        c"Random number of the sender, input of the HMACs";
    JoinTruncatedHmac = c"mptcpx.join.truncated_hmac", c"Truncated HMAC", FT_UINT64, BASE_HEX, NO, 0,
        c"Leftmost 64 bits of the listener's HMAC (SYN/ACK)";
    JoinHmac = c"mptcpx.join.hmac", c"HMAC", FT_BYTES, BASE_NONE, NO, 0,
        c"160 bits of the initiator's HMAC (third ACK)";
    JoinHmacValid = c"mptcpx.join.hmac_valid", c"HMAC valid", FT_BOOLEAN, BASE_NONE, NO, 0,
        c"The MP_JOIN HMAC matches the keys and random numbers of the handshakes";

    // ---- DSS ----
    DssFlags = c"mptcpx.dss.flags", c"Flags", FT_UINT8, BASE_HEX, NO, 0,
        c"DSS flags byte";
    DssFlagReserved = c"mptcpx.dss.flags.reserved", c"Reserved", FT_UINT8, BASE_HEX, NO, 0xe0,
        c"Reserved flag bits";
    DssFlagDataFin = c"mptcpx.dss.flags.data_fin", c"F: DATA_FIN", FT_BOOLEAN, BITS8, NO, 0x10,
        c"The mapping ends the data stream";
    DssFlagDsn8 = c"mptcpx.dss.flags.dsn_8", c"m: DSN is 8 octets", FT_BOOLEAN, BITS8, NO, 0x08,
        c"The data sequence number is sent as 8 octets";
    DssFlagMapping = c"mptcpx.dss.flags.mapping", c"M: mapping present", FT_BOOLEAN, BITS8, NO, 0x04,
        c"DSN, subflow sequence number, data-level length (and checksum) are present";
    DssFlagAck8 = c"mptcpx.dss.flags.ack_8", c"a: Data ACK is 8 octets", FT_BOOLEAN, BITS8, NO, 0x02,
        c"The Data ACK is sent as 8 octets";
    DssFlagAck = c"mptcpx.dss.flags.ack", c"A: Data ACK present", FT_BOOLEAN, BITS8, NO, 0x01,
        c"A Data ACK is present";
    DssAck = c"mptcpx.dss.ack", c"Data ACK", FT_UINT64, BASE_DEC, NO, 0,
        c"Data ACK as sent (4 or 8 octets)";
    DssDsn = c"mptcpx.dss.dsn", c"Data sequence number", FT_UINT64, BASE_DEC, NO, 0,
        c"Data sequence number of the first mapped byte, as sent (4 or 8 octets)";
    DssSsn = c"mptcpx.dss.ssn", c"Subflow sequence number", FT_UINT32, BASE_DEC, NO, 0,
        c"Subflow sequence number of the first mapped byte, relative to the subflow's ISN";
    DssDataLen = c"mptcpx.dss.data_len", c"Data-level length", FT_UINT16, BASE_DEC, NO, 0,
        c"Length of the mapping; 0 is the infinite mapping (fallback to TCP)";
    DssChecksum = c"mptcpx.dss.checksum", c"Checksum", FT_UINT16, BASE_HEX, NO, 0,
        c"DSS checksum over the pseudo-header and the mapped payload";
    DssInfiniteMapping = c"mptcpx.dss.infinite_mapping", c"Infinite mapping", FT_BOOLEAN, BASE_NONE, NO, 0,
        c"Data-level length 0: the sender falls back to TCP";
    DssChecksumValid = c"mptcpx.dss.checksum_valid", c"Checksum valid", FT_BOOLEAN, BASE_NONE, NO, 0,
        c"The DSS checksum matches the payload";

    // ---- ADD_ADDR ----
    AddAddrEcho = c"mptcpx.add_addr.echo", c"E: echo", FT_BOOLEAN, BITS8, NO, 0x01,
        c"v1: this is the echo of the peer's announcement";
    AddAddrIpVer = c"mptcpx.add_addr.ipver", c"IP version", FT_UINT8, BASE_DEC, NO, 0x0f,
        c"v0 (RFC 6824): IP version of the announced address";
    AddAddrId = c"mptcpx.add_addr.addr_id", c"Address ID", FT_UINT8, BASE_DEC, NO, 0,
        c"Address ID the sender binds to the announced address";
    AddAddrIpv4 = c"mptcpx.add_addr.ipv4", c"Address", FT_IPv4, BASE_NONE, NO, 0,
        c"Announced IPv4 address";
    AddAddrIpv6 = c"mptcpx.add_addr.ipv6", c"Address", FT_IPv6, BASE_NONE, NO, 0,
        c"Announced IPv6 address";
    AddAddrPort = c"mptcpx.add_addr.port", c"Port", FT_UINT16, BASE_DEC, NO, 0,
        c"Announced port (absent: the port of this subflow)";
    AddAddrHmac = c"mptcpx.add_addr.hmac", c"Truncated HMAC", FT_UINT64, BASE_HEX, NO, 0,
        c"Rightmost 64 bits of HMAC-SHA256 over address ID, address and port";
    AddAddrHmacValid = c"mptcpx.add_addr.hmac_valid", c"HMAC valid", FT_BOOLEAN, BASE_NONE, NO, 0,
        c"The ADD_ADDR HMAC matches the keys of the handshake";

    // ---- REMOVE_ADDR, MP_PRIO, MP_FAIL, MP_FASTCLOSE ----
    RemoveAddrId = c"mptcpx.remove_addr.addr_id", c"Address ID", FT_UINT8, BASE_DEC, NO, 0,
        c"Address ID withdrawn";
    PrioBackup = c"mptcpx.prio.backup", c"B: backup", FT_BOOLEAN, BITS8, NO, 0x01,
        c"The sender wants the subflow used as a backup";
    PrioAddrId = c"mptcpx.prio.addr_id", c"Address ID", FT_UINT8, BASE_DEC, NO, 0,
        c"v0: the address whose subflows change priority";
    FailDsn = c"mptcpx.fail.dsn", c"Data sequence number", FT_UINT64, BASE_DEC, NO, 0,
        c"DSN of the mapping whose checksum failed";
    FastcloseKey = c"mptcpx.fastclose.key", c"Receiver's key", FT_UINT64, BASE_HEX, NO, 0,
        c"Key of the receiver of MP_FASTCLOSE, as sent";

    // ---- MP_TCPRST ----
    RstFlags = c"mptcpx.rst.flags", c"Flags", FT_UINT8, BASE_HEX, NO, 0x0f,
        c"MP_TCPRST flags U V W T";
    RstTransient = c"mptcpx.rst.transient", c"T: transient", FT_BOOLEAN, BITS8, NO, 0x01,
        c"The error is transient: the subflow may be re-established";
    RstReason = c"mptcpx.rst.reason", c"Reason", FT_UINT8, BASE_HEX, RstReasons, 0,
        c"Why the subflow was reset (RFC 8684 section 3.6)";

    // ---- FAULT_ANNOUNCE ----
    FaultFlags = c"mptcpx.fault.flags", c"Flags", FT_UINT8, BASE_HEX, NO, 0x0f,
        c"FAULT_ANNOUNCE flags A V T r";
    FaultFlagAddress = c"mptcpx.fault.flags.address", c"A: middlebox address present", FT_BOOLEAN, BITS8, NO, 0x08,
        c"A middlebox address follows the address IDs";
    FaultFlagIpv6 = c"mptcpx.fault.flags.ipv6", c"V: IPv6 address", FT_BOOLEAN, BITS8, NO, 0x04,
        c"The middlebox address is IPv6 (else IPv4)";
    FaultTransient = c"mptcpx.fault.transient", c"T: transient", FT_BOOLEAN, BITS8, NO, 0x02,
        c"The fault is transient";
    FaultFlagReserved = c"mptcpx.fault.flags.reserved", c"r: reserved", FT_BOOLEAN, BITS8, NO, 0x01,
        c"Reserved flag (must be 0)";
    FaultCause = c"mptcpx.fault.cause", c"Cause", FT_UINT8, BASE_HEX, FaultCauses, 0,
        c"Why the subflow failed";
    FaultDstAddrId = c"mptcpx.fault.dst_addr_id", c"Destination address ID", FT_UINT8, BASE_DEC, NO, 0,
        c"Address ID of the faulty subflow's end at the receiver of this option";
    FaultSrcAddrId = c"mptcpx.fault.src_addr_id", c"Source address ID", FT_UINT8, BASE_DEC, NO, 0,
        c"Address ID of the faulty subflow's end at the sender of this option";
    FaultMiddleboxIpv4 = c"mptcpx.fault.middlebox.ipv4", c"Middlebox address", FT_IPv4, BASE_NONE, NO, 0,
        c"IPv4 address of the faulty middlebox (flag A)";
    FaultMiddleboxIpv6 = c"mptcpx.fault.middlebox.ipv6", c"Middlebox address", FT_IPv6, BASE_NONE, NO, 0,
        c"IPv6 address of the faulty middlebox (flags A and V)";
    FaultPadding = c"mptcpx.fault.padding", c"Padding", FT_BYTES, BASE_NONE, NO, 0,
        c"Bytes after the fields (should be zero)";

    // ---- Analysis (generated) ----
    Connection = c"mptcpx.connection", c"MPTCP connection", FT_UINT32, BASE_DEC, NO, 0,
        c"Index of the MPTCP connection this frame belongs to";
    FastcloseFirst = c"mptcpx.fastclose.first", c"First MP_FASTCLOSE in", FT_FRAMENUM, BASE_NONE, Framenum(ffi::FT_FRAMENUM_NONE), 0,
        c"First MP_FASTCLOSE of this host on this connection";
    FastcloseRetransmission = c"mptcpx.fastclose.retransmission", c"MP_FASTCLOSE retransmission", FT_UINT32, BASE_DEC, NO, 0,
        c"n for the n-th repeat of MP_FASTCLOSE (0 on the first)";
    FastcloseAnsweredIn = c"mptcpx.fastclose.answered_in", c"Answered by RST in", FT_FRAMENUM, BASE_NONE, Framenum(ffi::FT_FRAMENUM_RESPONSE), 0,
        c"The peer's RST that answered the MP_FASTCLOSE";
    FastcloseAnswerDelay = c"mptcpx.fastclose.answer_delay", c"Time to the answering RST", FT_RELATIVE_TIME, BASE_NONE, NO, 0,
        c"Time from the first MP_FASTCLOSE to the peer's RST";
    FastcloseKeyValid = c"mptcpx.fastclose.key_valid", c"Key valid", FT_BOOLEAN, BASE_NONE, NO, 0,
        c"The key equals the receiver's key from the handshake (absent when unknown)";
    FaultStream = c"mptcpx.fault.stream", c"Faulty subflow's stream", FT_UINT32, BASE_DEC, NO, 0,
        c"tcp.stream of the subflow that FAULT_ANNOUNCE names";
    FaultSrc6 = c"mptcpx.fault.src", c"Faulty subflow's source", FT_IPv6, BASE_NONE, NO, 0,
        c"Address of the faulty subflow's end at the sender of FAULT_ANNOUNCE";
    FaultSrc = c"mptcpx.fault.src", c"Faulty subflow's source", FT_IPv4, BASE_NONE, NO, 0,
        c"Address of the faulty subflow's end at the sender of FAULT_ANNOUNCE";
    FaultDst6 = c"mptcpx.fault.dst", c"Faulty subflow's destination", FT_IPv6, BASE_NONE, NO, 0,
        c"Address of the faulty subflow's end at the receiver of FAULT_ANNOUNCE";
    FaultDst = c"mptcpx.fault.dst", c"Faulty subflow's destination", FT_IPv4, BASE_NONE, NO, 0,
        c"Address of the faulty subflow's end at the receiver of FAULT_ANNOUNCE";
    FastcloseSinceFirst = c"mptcpx.fastclose.since_first", c"Time since the first MP_FASTCLOSE", FT_RELATIVE_TIME, BASE_NONE, NO, 0,
        c"Time from the host's first MP_FASTCLOSE to this repeat";
    FastclosePeerRst = c"mptcpx.fastclose.peer_rst", c"Peer's RST in", FT_FRAMENUM, BASE_NONE, Framenum(ffi::FT_FRAMENUM_NONE), 0,
        c"The peer's RST that passed the capture point before this MP_FASTCLOSE";
    FastcloseNotResetStream = c"mptcpx.fastclose.not_reset_stream", c"Subflow not reset", FT_UINT32, BASE_DEC, NO, 0,
        c"tcp.stream of a subflow of the fastclosed connection that got no RST in the capture";
    FaultLastFrame = c"mptcpx.fault.last_frame", c"Faulty subflow's last frame", FT_FRAMENUM, BASE_NONE, Framenum(ffi::FT_FRAMENUM_NONE), 0,
        c"Last frame of the faulty subflow in the capture";
    FaultRstFrame = c"mptcpx.fault.rst_frame", c"Faulty subflow's RST", FT_FRAMENUM, BASE_NONE, Framenum(ffi::FT_FRAMENUM_NONE), 0,
        c"The RST that closed the faulty subflow";
    RemoveAddrStream = c"mptcpx.remove_addr.stream", c"Subflow taken down", FT_UINT32, BASE_DEC, NO, 0,
        c"tcp.stream of a subflow that uses a removed address";
    DssMappingFrame = c"mptcpx.dss.mapping_frame", c"Mapping in", FT_FRAMENUM, BASE_NONE, Framenum(ffi::FT_FRAMENUM_NONE), 0,
        c"Frame that carried the mapping whose checksum this frame completes";
    DssCompletedIn = c"mptcpx.dss.completed_in", c"Mapping completed in", FT_FRAMENUM, BASE_NONE, Framenum(ffi::FT_FRAMENUM_NONE), 0,
        c"Frame whose payload completed the mapping this frame carries, where its checksum was verified";
    DssFollowedBy = c"mptcpx.dss.followed_by", c"Followed by MP_FAIL or fallback in", FT_FRAMENUM, BASE_NONE, Framenum(ffi::FT_FRAMENUM_NONE), 0,
        c"Later MP_FAIL or infinite mapping on the connection";
    FailMappingFrame = c"mptcpx.fail.mapping_frame", c"Failed mapping in", FT_FRAMENUM, BASE_NONE, Framenum(ffi::FT_FRAMENUM_NONE), 0,
        c"Frame of the mapping whose checksum failed, when the capture saw it";
    FallbackOfferedIn = c"mptcpx.fallback.offered_in", c"MP_CAPABLE offered in", FT_FRAMENUM, BASE_NONE, Framenum(ffi::FT_FRAMENUM_REQUEST), 0,
        c"The SYN that carried MP_CAPABLE";
    FallbackMptcpSyns = c"mptcpx.fallback.mptcp_syns", c"SYNs with MP_CAPABLE", FT_UINT32, BASE_DEC, NO, 0,
        c"How many SYNs with MP_CAPABLE went unanswered before this one";
    JoinSyn = c"mptcpx.join.syn", c"MP_JOIN SYN in", FT_FRAMENUM, BASE_NONE, Framenum(ffi::FT_FRAMENUM_REQUEST), 0,
        c"The MP_JOIN SYN this frame answers";
    AddAddrPrevious = c"mptcpx.add_addr.previous", c"Previous announcement in", FT_FRAMENUM, BASE_NONE, Framenum(ffi::FT_FRAMENUM_NONE), 0,
        c"The previous ADD_ADDR of the same ID and address";
}

impl Hf {
    /// The registered id (-1 before registration: Wireshark then ignores the item).
    pub(crate) fn id(self) -> c_int {
        HF_IDS[self as usize].load(Relaxed)
    }

    /// Whether a filter, column or field output names the field: only then does Wireshark keep
    /// its items in a tree that is not shown.
    pub(crate) fn referenced(self) -> bool {
        referenced(HF_INFO[self as usize].load(Relaxed))
    }

    /// Whether a filter, column or field output names one of the fields `fields` (in the order
    /// declared above).
    pub(crate) fn any_referenced(fields: &RangeInclusive<Hf>) -> bool {
        HF_INFO[*fields.start() as usize..=*fields.end() as usize]
            .iter()
            .any(|info| referenced(info.load(Relaxed)))
    }

    /// The field's bitmask (0 when it has none).
    pub(crate) fn mask(self) -> u64 {
        FIELD_DEFS[self as usize].mask
    }
}

/// The fields of each kind of option, declared together above: an option's subtree shows those
/// of every option and those of its kind (see `dissect::quiet_option_fields`).
pub(crate) mod option_fields {
    use super::Hf;
    use std::ops::RangeInclusive;

    pub(crate) const EVERY: RangeInclusive<Hf> = Hf::Length..=Hf::OpaqueData;
    pub(crate) const CAPABLE: RangeInclusive<Hf> = Hf::CapVersion..=Hf::CapData;
    pub(crate) const JOIN: RangeInclusive<Hf> = Hf::JoinBackup..=Hf::JoinHmacValid;
    pub(crate) const DSS: RangeInclusive<Hf> = Hf::DssFlags..=Hf::DssChecksumValid;
    pub(crate) const ADD_ADDR: RangeInclusive<Hf> = Hf::AddAddrEcho..=Hf::AddAddrHmacValid;
    pub(crate) const REMOVE_ADDR_PRIO: RangeInclusive<Hf> = Hf::RemoveAddrId..=Hf::PrioAddrId;
}

const N_FIELDS: usize = FIELD_DEFS.len();
#[allow(clippy::declare_interior_mutable_const)]
const UNREGISTERED: AtomicI32 = AtomicI32::new(-1);
static HF_IDS: [AtomicI32; N_FIELDS] = [UNREGISTERED; N_FIELDS];
#[allow(clippy::declare_interior_mutable_const)]
const NO_INFO: AtomicPtr<ffi::header_field_info> = AtomicPtr::new(ptr::null_mut());
static HF_INFO: [AtomicPtr<ffi::header_field_info>; N_FIELDS] = [NO_INFO; N_FIELDS];

/// Subtrees.
#[derive(Clone, Copy, Debug)]
#[repr(usize)]
pub(crate) enum Ett {
    Option,
    CapableFlags,
    DssFlags,
    RstFlags,
    FaultFlags,
    Analysis,
}
const N_ETT: usize = 6;
static ETT_IDS: [AtomicI32; N_ETT] = [UNREGISTERED; N_ETT];

impl Ett {
    pub(crate) fn id(self) -> c_int {
        ETT_IDS[self as usize].load(Relaxed)
    }
}

// ---- Expert items ----------------------------------------------------------------------

struct ExpertDef {
    abbrev: &'static CStr,
    group: u32,
    severity: u32,
    summary: &'static CStr,
}

macro_rules! experts {
    ($( $id:ident = $abbrev:literal, $severity:ident, $group:ident, $summary:literal; )*) => {
        /// The plugin's expert items.
        #[allow(dead_code)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(usize)]
        pub(crate) enum Ei { $($id,)* }

        const EXPERT_DEFS: &[ExpertDef] = &[ $( ExpertDef {
            abbrev: $abbrev, group: ffi::$group, severity: ffi::$severity, summary: $summary,
        }, )* ];
    };
}

experts! {
    FastcloseInitiated = c"mptcpx.fastclose.initiated", PI_NOTE, PI_SEQUENCE,
        c"MP_FASTCLOSE initiated (option A)";
    FastcloseRetransmitted = c"mptcpx.fastclose.retransmitted", PI_NOTE, PI_SEQUENCE,
        c"MP_FASTCLOSE retransmitted";
    FastcloseAfterPeerRst = c"mptcpx.fastclose.after_peer_rst", PI_WARN, PI_SEQUENCE,
        c"MP_FASTCLOSE sent again after the peer's RST: that RST was lost on the path";
    FastcloseUnanswered = c"mptcpx.fastclose.unanswered", PI_WARN, PI_SEQUENCE,
        c"MP_FASTCLOSE unanswered and no final RST";
    FastcloseFinalRst = c"mptcpx.fastclose.final_rst", PI_CHAT, PI_SEQUENCE,
        c"Final RST after MP_FASTCLOSE, carrying MP_FASTCLOSE";
    FastcloseFinalRstPlain = c"mptcpx.fastclose.final_rst_plain", PI_NOTE, PI_SEQUENCE,
        c"Final RST after MP_FASTCLOSE, without MP_FASTCLOSE";
    FastcloseKeyMismatch = c"mptcpx.fastclose.key_mismatch", PI_ERROR, PI_SECURITY,
        c"MP_FASTCLOSE key is not the receiver's key: forged or corrupted";
    FastcloseSubflowNotReset = c"mptcpx.fastclose.subflow_not_reset", PI_WARN, PI_SEQUENCE,
        c"A subflow of the fastclosed connection got no RST";
    FaultAnnounced = c"mptcpx.fault.announced", PI_WARN, PI_PROTOCOL,
        c"Subflow fault announced";
    FaultUnresolved = c"mptcpx.fault.unresolved", PI_NOTE, PI_PROTOCOL,
        c"Faulty subflow not resolved: its address IDs are not bound in the capture";
    RstReasonGiven = c"mptcpx.rst.reason_given", PI_NOTE, PI_SEQUENCE,
        c"Subflow reset with a reason";
    AddAddrNotEchoed = c"mptcpx.add_addr.not_echoed", PI_NOTE, PI_SEQUENCE,
        c"ADD_ADDR announced again";
    FallbackCapableStripped = c"mptcpx.fallback.capable_stripped", PI_WARN, PI_PROTOCOL,
        c"MPTCP not negotiated: MP_CAPABLE removed by the peer or a middlebox";
    FallbackSynDropped = c"mptcpx.fallback.syn_dropped", PI_WARN, PI_PROTOCOL,
        c"MPTCP SYNs dropped on the path: the host fell back to TCP";
    FallbackOptionsMissing = c"mptcpx.fallback.options_missing", PI_WARN, PI_PROTOCOL,
        c"MPTCP options missing: stripped by a middlebox?";
    JoinRefused = c"mptcpx.join.refused", PI_NOTE, PI_SEQUENCE,
        c"MP_JOIN refused or stripped";
    DssChecksumBad = c"mptcpx.dss.checksum_bad", PI_ERROR, PI_CHECKSUM,
        c"DSS checksum does not match the payload";
    FailReported = c"mptcpx.fail.reported", PI_WARN, PI_PROTOCOL,
        c"MP_FAIL: a mapping failed its checksum";
    JoinHmacBad = c"mptcpx.join.hmac_bad", PI_ERROR, PI_SECURITY,
        c"MP_JOIN HMAC does not match";
    AddAddrHmacBad = c"mptcpx.add_addr.hmac_bad", PI_ERROR, PI_SECURITY,
        c"ADD_ADDR HMAC does not match";
    AddAddrHmacLegacy = c"mptcpx.add_addr.hmac_legacy", PI_NOTE, PI_PROTOCOL,
        c"ADD_ADDR HMAC in the legacy (leftmost 64 bits) form";
    JoinUnknownToken = c"mptcpx.join.unknown_token", PI_NOTE, PI_PROTOCOL,
        c"MP_JOIN token matches no connection in the capture";
    Malformed = c"mptcpx.malformed", PI_ERROR, PI_MALFORMED,
        c"Malformed MPTCP option";
    NotCaptured = c"mptcpx.not_captured", PI_NOTE, PI_UNDECODED,
        c"MPTCP option cut by the capture's snapshot length";
    ReservedSet = c"mptcpx.reserved_set", PI_WARN, PI_PROTOCOL,
        c"Reserved bits set";
    CapableUnknownVersion = c"mptcpx.capable.unknown_version", PI_NOTE, PI_PROTOCOL,
        c"MP_CAPABLE version other than 0 and 1";
    RstUnassignedReason = c"mptcpx.rst.unassigned_reason", PI_WARN, PI_PROTOCOL,
        c"MP_TCPRST reason not assigned";
    RstWithoutRstFlag = c"mptcpx.rst.without_rst_flag", PI_WARN, PI_PROTOCOL,
        c"MP_TCPRST on a segment without RST (ignored by receivers)";
    UnexpectedSegment = c"mptcpx.unexpected_segment", PI_NOTE, PI_PROTOCOL,
        c"Option form does not fit the segment it is on";
    FaultPaddingNonzero = c"mptcpx.fault.padding_nonzero", PI_NOTE, PI_PROTOCOL,
        c"FAULT_ANNOUNCE padding is not zero";
    PluginError = c"mptcpx.plugin_error", PI_ERROR, PI_MALFORMED,
        c"MPTCPX could not show all of its items";
    FastcloseMisuse = c"mptcpx.fastclose.misuse", PI_WARN, PI_MALFORMED,
        c"MP_FASTCLOSE on a SYN or without ACK";
    DssChecksumPresence = c"mptcpx.dss.checksum_presence", PI_WARN, PI_PROTOCOL,
        c"DSS checksum presence does not match the handshake";
    RemoveAddrTakesDown = c"mptcpx.remove_addr.takes_down", PI_CHAT, PI_SEQUENCE,
        c"REMOVE_ADDR takes subflows down";
    AnalysisLimit = c"mptcpx.analysis.limit", PI_NOTE, PI_PROTOCOL,
        c"Analysis state limit reached: some findings may be missing";
}

const N_EXPERTS: usize = EXPERT_DEFS.len();

/// Storage for the `expert_field`s Wireshark fills in at registration.
struct ExpertFields([UnsafeCell<ffi::expert_field>; N_EXPERTS]);
// SAFETY: written by Wireshark during registration only, read afterwards; Wireshark
// registers and dissects on one thread.
unsafe impl Sync for ExpertFields {}

// Zeroed here (a const must not depend on the release's EI_INIT), set to EI_INIT by the
// shim before registration.
#[allow(clippy::declare_interior_mutable_const)]
// SAFETY: expert_field is two C ints; all-zero is a valid value.
const EI_UNSET: UnsafeCell<ffi::expert_field> = UnsafeCell::new(unsafe { std::mem::zeroed() });
static EXPERT_FIELDS: ExpertFields = ExpertFields([EI_UNSET; N_EXPERTS]);

impl Ei {
    /// Pointer to the registered `expert_field`, as the expert API wants it.
    pub(crate) fn as_ptr(self) -> *mut ffi::expert_field {
        EXPERT_FIELDS.0[self as usize].get()
    }
}

// ---- value_strings ----------------------------------------------------------------------

/// A NUL-terminated value_string array that Wireshark may keep a pointer to.
struct ValueStrings(UnsafeCell<Vec<ffi::value_string>>);
// SAFETY: see ExpertFields.
unsafe impl Sync for ValueStrings {}

fn leak_cstr(s: &str) -> *const c_char {
    // Names come from the parser crate and never hold NUL; fall back to a placeholder.
    CString::new(s).unwrap_or_else(|_| c"?".into()).into_raw()
}

fn value_strings(entries: impl IntoIterator<Item = (u32, String)>) -> &'static [ffi::value_string] {
    let mut v: Vec<ffi::value_string> = entries
        .into_iter()
        .map(|(value, name)| ffi::value_string {
            value,
            strptr: leak_cstr(&name),
        })
        .collect();
    v.push(ffi::value_string {
        value: 0,
        strptr: ptr::null(),
    });
    Vec::leak(v)
}

/// Subtype names: 16 entries (0 to 15) plus the terminator. The entry of the configured
/// FAULT_ANNOUNCE subtype is rewritten when the preference changes.
static SUBTYPE_VALS: ValueStrings = ValueStrings(UnsafeCell::new(Vec::new()));
/// FAULT_ANNOUNCE subtype the names were built for (0: off; u32::MAX: not built yet).
static SUBTYPE_VALS_FOR: AtomicU32 = AtomicU32::new(u32::MAX);

const FAULT_ANNOUNCE_NAME: &CStr = c"FAULT_ANNOUNCE";
const UNASSIGNED_NAME: &CStr = c"Unassigned";
const EXPERIMENTAL_NAME: &CStr = c"MP_EXPERIMENTAL";

fn subtype_name(s: u8) -> *const c_char {
    match subtype::name(s) {
        Some(name) => leak_cstr(name),
        None => UNASSIGNED_NAME.as_ptr(),
    }
}

/// Makes the subtype names follow the FAULT_ANNOUNCE preference. Called at registration and
/// before each option is displayed (cheap when nothing changed).
pub(crate) fn sync_subtype_names(fault_announce_subtype: u32) {
    // A plain load: this runs for every option, and the preference rarely changes.
    if SUBTYPE_VALS_FOR.load(Relaxed) != fault_announce_subtype {
        rename_subtypes(fault_announce_subtype);
    }
}

fn rename_subtypes(fault_announce_subtype: u32) {
    SUBTYPE_VALS_FOR.store(fault_announce_subtype, Relaxed);
    // SAFETY: single-threaded (see ExpertFields); the Vec is built once with 17 entries and
    // never reallocated afterwards, so the pointer Wireshark holds stays valid.
    let vals = unsafe { &mut *SUBTYPE_VALS.0.get() };
    if vals.is_empty() {
        vals.reserve_exact(17);
        for s in 0..16u8 {
            vals.push(ffi::value_string {
                value: u32::from(s),
                strptr: subtype_name(s),
            });
        }
        vals.push(ffi::value_string {
            value: 0,
            strptr: ptr::null(),
        });
    }
    for entry in vals.iter_mut().take(16) {
        let s = entry.value as u8;
        // 9 to 15 can hold FAULT_ANNOUNCE; 15 is MP_EXPERIMENTAL otherwise.
        if s >= 9 {
            entry.strptr = if entry.value == fault_announce_subtype {
                FAULT_ANNOUNCE_NAME.as_ptr()
            } else if s == subtype::MP_EXPERIMENTAL {
                EXPERIMENTAL_NAME.as_ptr()
            } else {
                UNASSIGNED_NAME.as_ptr()
            };
        }
    }
}

fn strings_ptr(strings: Strings) -> *const c_void {
    match strings {
        Strings::None => ptr::null(),
        Strings::Subtypes => {
            // SAFETY: built by sync_subtype_names before registration; never reallocated.
            unsafe { (*SUBTYPE_VALS.0.get()).as_ptr().cast() }
        }
        Strings::FaultCauses => {
            let names = (0u8..=0x0e)
                .filter_map(|c| FaultCause(c).name().map(|n| (u32::from(c), n.to_string())));
            value_strings(names).as_ptr().cast()
        }
        Strings::RstReasons => {
            let names = (0u8..=255)
                .filter_map(|r| RstReason(r).name().map(|n| (u32::from(r), n.to_string())));
            value_strings(names).as_ptr().cast()
        }
        // FRAMENUM_TYPE(x): the enum value in the pointer.
        Strings::Framenum(kind) => kind as usize as *const c_void,
    }
}

// ---- Registration -----------------------------------------------------------------------

/// Registers the protocol, fields, subtrees, expert items and preferences.
pub(crate) fn register() {
    // SAFETY: plain registration calls with 'static arguments, on Wireshark's main thread.
    unsafe {
        let proto = ffi::proto_register_protocol(
            c"MPTCP extended analysis".as_ptr(),
            c"MPTCPX".as_ptr(),
            c"mptcpx".as_ptr(),
        );
        PROTO.store(proto, Relaxed);

        sync_subtype_names(ffi::mptcpx_shim_pref_fault_announce_subtype());
        let mut hf: Vec<ffi::hf_register_info> = Vec::with_capacity(N_FIELDS);
        for (def, id) in FIELD_DEFS.iter().zip(HF_IDS.iter()) {
            let mut info = ffi::hf_register_info::default();
            ffi::mptcpx_shim_fill_hf(
                &mut info,
                id.as_ptr(),
                def.name.as_ptr(),
                def.abbrev.as_ptr(),
                def.ftype as c_int,
                def.display as c_int,
                strings_ptr(def.strings),
                def.mask,
                def.blurb.as_ptr(),
            );
            hf.push(info);
        }
        let hf = Vec::leak(hf);
        ffi::proto_register_field_array(proto, hf.as_mut_ptr(), hf.len() as c_int);
        PROTO_INFO.store(ffi::mptcpx_shim_hfinfo(proto).cast_mut(), Relaxed);
        for (info, id) in HF_INFO.iter().zip(HF_IDS.iter()) {
            info.store(
                ffi::mptcpx_shim_hfinfo(id.load(Relaxed)).cast_mut(),
                Relaxed,
            );
        }

        let ett: Vec<*mut c_int> = ETT_IDS.iter().map(AtomicI32::as_ptr).collect();
        let ett = Vec::leak(ett);
        ffi::proto_register_subtree_array(ett.as_ptr().cast(), ett.len() as c_int);

        let mut ei: Vec<ffi::ei_register_info> = Vec::with_capacity(N_EXPERTS);
        for (def, field) in EXPERT_DEFS.iter().zip(EXPERT_FIELDS.0.iter()) {
            ffi::mptcpx_shim_init_ei(field.get());
            let mut info = ffi::ei_register_info::default();
            ffi::mptcpx_shim_fill_ei(
                &mut info,
                field.get(),
                def.abbrev.as_ptr(),
                def.group as c_int,
                def.severity as c_int,
                def.summary.as_ptr(),
            );
            ei.push(info);
        }
        let ei = Vec::leak(ei);
        let module = ffi::expert_register_protocol(proto);
        ffi::expert_register_field_array(module, ei.as_mut_ptr(), ei.len() as c_int);

        ffi::mptcpx_shim_register_prefs(proto);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_field_ranges_hold_their_kinds_fields() {
        use option_fields::*;
        let kinds = [
            (
                EVERY,
                &["length", "subtype", "length_valid", "reserved", "opaque."][..],
            ),
            (CAPABLE, &["capable."][..]),
            (JOIN, &["join."][..]),
            (DSS, &["dss."][..]),
            (ADD_ADDR, &["add_addr."][..]),
            (REMOVE_ADDR_PRIO, &["remove_addr.", "prio."][..]),
        ];
        for (range, prefixes) in kinds {
            let (first, last) = (*range.start() as usize, *range.end() as usize);
            assert!(first <= last, "{range:?}");
            // Every field of the kind is in its range, and nothing else (the analysis adds
            // fields of the same names elsewhere).
            for (i, def) in FIELD_DEFS[..Hf::Connection as usize].iter().enumerate() {
                let name = def
                    .abbrev
                    .to_str()
                    .unwrap()
                    .strip_prefix("mptcpx.")
                    .unwrap();
                let of_kind = prefixes
                    .iter()
                    .any(|p| name == p.trim_end_matches('.') || name.starts_with(p));
                assert_eq!(of_kind, (first..=last).contains(&i), "{name} and {range:?}");
            }
        }
    }

    #[test]
    fn tables_line_up() {
        assert_eq!(FIELD_DEFS[Hf::Subtype as usize].abbrev, c"mptcpx.subtype");
        assert_eq!(
            FIELD_DEFS[Hf::FaultDst6 as usize].abbrev,
            c"mptcpx.fault.dst"
        );
        assert_eq!(
            EXPERT_DEFS[Ei::Malformed as usize].abbrev,
            c"mptcpx.malformed"
        );
        assert_eq!(
            EXPERT_DEFS[Ei::PluginError as usize].abbrev,
            c"mptcpx.plugin_error"
        );
    }

    #[test]
    fn every_name_is_in_the_protocol_namespace() {
        for def in FIELD_DEFS {
            assert!(
                def.abbrev.to_str().unwrap().starts_with("mptcpx."),
                "{:?}",
                def.abbrev
            );
        }
        for def in EXPERT_DEFS {
            assert!(
                def.abbrev.to_str().unwrap().starts_with("mptcpx."),
                "{:?}",
                def.abbrev
            );
        }
    }
}
