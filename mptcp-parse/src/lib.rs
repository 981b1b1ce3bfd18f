//! # mptcp-parse
//!
//! Decoder and encoder for Multipath TCP options: every subtype of RFC 8684 (MPTCP v1) and
//! RFC 6824 (v0), the proposed FAULT_ANNOUNCE option, and any other subtype as raw bytes;
//! with the crypto to verify what they carry (tokens, MP_JOIN and ADD_ADDR HMACs, DSS
//! checksums).
//!
//! ```
//! use mptcp_parse::{crypto, tcp_options, Context, MptcpOption, TcpOption, Segment};
//!
//! // The options of a SYN/ACK from a real capture (tcpdump's mptcp-v1.pcap, frame 2).
//! let area = [0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0xc3, 0x37, 0xc5, 0x93, 0x1b, 0xaf,
//!             0x9e, 0xa1, 0x01, 0x03, 0x03, 0x08, 0x1e, 0x0c, 0x01, 0x01, 0x29, 0xa6, 0xc8, 0x69,
//!             0x81, 0xad, 0x93, 0x3c];
//! let ctx = Context::on(Segment { syn: true, ack: true, ..Default::default() });
//! for option in tcp_options(&area, ctx) {
//!     if let TcpOption::Mptcp(MptcpOption::MpCapable(mpc)) = option.unwrap() {
//!         let key = mpc.sender_key().unwrap();
//!         let derived = crypto::key_derived(crypto::Version::V1, crypto::Key(key));
//!         assert_eq!(derived.token, 0xa35d6d82); // what MP_JOIN SYNs to this host will carry
//!     }
//! }
//! ```
//!
//! ## Design
//! - One module per option family ([`capable`], [`join`], [`dss`], [`address`], [`prio`],
//!   [`fail`], [`tcprst`], [`fault`]), one for the TCP options area ([`options_area`]), one for
//!   [`crypto`]. Parsing is free functions over `&[u8]`, built with [nom]; values borrow the
//!   input where they are byte strings.
//! - Every value can be written back: `buffer_len()` and `emit(&mut [u8])`, so that
//!   `parse(emit(x)) == x`, and `emit(parse(b)) == b` for every valid wire form (reserved bits
//!   and padding are kept).
//! - Each option is bounded by its length byte: a malformed option never eats the next one.
//!   Errors say which field is cut and by how much, or which lengths the subtype and flags
//!   allow. Reserved bits, unassigned codes and options on the wrong kind of segment are
//!   [`Warning`]s on a successful decode.
//! - [`parse_mptcp_option`] is strict; [`parse_mptcp_option_lenient`] decodes what it can for
//!   analysis tools: it keeps unknown MP_CAPABLE versions as bytes and always says where the
//!   next option starts.
//!
//! ## What it does not do
//! It decodes options, one at a time. Connection state (which key belongs to which token,
//! whether a DSS checksum covers a mapping spread over several segments) is the caller's:
//! the crypto functions take the keys, randoms and payload bytes the caller has gathered.
//! It does not parse IP headers or capture files.
//!
//! `#![no_std]` with the default `std` feature off; no allocation.

#![cfg_attr(not(feature = "std"), no_std)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The unit tests that share the integration tests' helpers name the crate as they do.
#[cfg(all(test, feature = "analysis"))]
extern crate self as mptcp_parse;

pub mod address;
#[cfg(feature = "analysis")]
#[cfg_attr(docsrs, doc(cfg(feature = "analysis")))]
pub mod analysis;
pub mod capable;
mod context;
pub mod crypto;
pub mod dss;
mod error;
pub mod fail;
pub mod fault;
pub mod join;
mod option;
pub mod options_area;
pub mod prio;
mod seq;
pub mod tcprst;
mod wire;

pub use address::{AddAddr, AddAddrVersion, RemoveAddr};
pub use capable::{CapableFlags, CapableForm, MpCapable};
pub use context::{Context, Segment, TcpFlags, UnusableSubtype};
pub use dss::{Dss, Mapping};
pub use error::{Error, HandshakeForm, LengthSet, ReservedField, SegmentKind, Warning, Warnings};
pub use fail::{MpFail, MpFastclose};
pub use fault::{FaultAnnounce, FaultCause};
pub use join::{JoinForm, MpJoin};
pub use option::{
    parse_mptcp_option, parse_mptcp_option_lenient, subtype, Decoded, MptcpOption, Opaque,
};
pub use options_area::{
    mptcp_options_lenient, raw_options, tcp_options, RawOption, TcpOption, TcpSegment,
};
pub use prio::MpPrio;
pub use seq::DataSeq;
pub use tcprst::{MpTcpRst, RstReason};
pub use wire::{EmitError, MPTCP_KIND};

pub use nom;

// The README's examples run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
