//! Connection analysis: what a capture's MPTCP traffic means across packets.
//!
//! The [`Engine`] takes one TCP segment at a time, in capture order, and returns that frame's
//! [`Finding`]s: MP_FASTCLOSE and RST correlation, subflow faults, middlebox interference
//! (stripped options, dropped SYNs, altered payload) and authentication checks (HMACs, keys,
//! DSS checksums). It keeps per-frame results so that a frame seen again shows exactly what it
//! showed, and fills in forward links (an answer that came later) as the later frames arrive;
//! [`Engine::finish`] adds what only the end of the capture tells (nothing ever answered).
//!
//! It lives beside the decoder, behind the `analysis` feature, because it is the decoder's
//! first user and shares its types; it needs `std` (hash maps) while the decoder alone does
//! not. It knows nothing of Wireshark: the plugin feeds it, and so can a standalone analyser.
//!
//! Segments without any MPTCP option matter too (a SYN/ACK that lost MP_CAPABLE, data without
//! DSS, a plain RST answering a fastclose): feed every TCP segment.

mod addresses;
mod carriers;
mod compact;
mod connections;
mod engine;
mod fastclose;
mod faults;
mod finding;
mod handshake;
mod joins;
mod mappings;
mod passed;
mod steady;
mod subflows;
#[cfg(test)]
mod tests;
mod text;

pub use engine::{Config, Engine, FrameOutcome, FrameReport, Packet};
pub use finding::{AddAddrVerdict, FaultTarget, Finding, Frame, HandshakeStep, JoinRefusal, Nanos};
pub use handshake::MAX_SYN_ATTEMPTS;
