//! # mptcpx: MPTCP extended analysis for Wireshark
//!
//! A Wireshark plugin (a `cdylib` Wireshark loads from its plugin folder) that adds an
//! `mptcpx` subtree under every Multipath TCP option, next to Wireshark's own MPTCP
//! dissector: every field of every subtype (decoded by the `mptcp-parse` crate), the
//! FAULT_ANNOUNCE option of draft-kang at a configurable subtype, and expert items for what
//! is wrong on the wire (bad lengths, reserved bits, unknown versions and reasons) instead of
//! exceptions. The display filter names are a public interface, listed in `spec/fields.md`.
//!
//! ## How it hooks in
//! The plugin's handle takes TCP's place in the `ip.proto` table (with no protocol of its own,
//! so that protocol layers and Decode As stay Wireshark's). It calls Wireshark's TCP
//! dissector, which calls Wireshark's own MPTCP dissector for every kind-30 option as it does
//! without the plugin (so its tree, analysis and expert items stay as they were); then it finds
//! the segment's MPTCP options in its header and decodes each once, for its `mptcpx` subtree
//! and for the analysis. In a tree that keeps its items, the subtree goes under the same TCP
//! options tree, right after the built-in dissector's item for that option.
//!
//! ## The FFI seam
//! - `build.rs` derives everything version-dependent from the installed Wireshark: bindings
//!   (bindgen), the version the plugin announces, cfg flags for API differences.
//! - Wireshark throws exceptions with `longjmp`. No Rust frame may be crossed by one, so the
//!   C shim (`shim.c`) wraps every call that can throw in a catcher, including the call into
//!   TCP; when TCP (or the built-in MPTCP dissector under it) throws, the segment's subtrees
//!   and analysis are still added and the shim re-raises the exception afterwards, from C, as
//!   Wireshark would have seen it. When adding one of the plugin's own items throws (the
//!   tree's limit of items), that item, with what would have gone under it, is left out, and
//!   the expert item `mptcpx.plugin_error` says so once the segment's callback has returned.
//! - Every function Wireshark calls into Rust catches panics: a panic becomes the expert
//!   item `mptcpx.plugin_error` and never crosses `extern "C"`.
//! - Only the captured bytes of an option are read; the decoder never sees past them.
//!
//! ## The analysis
//! The same wrapper feeds every TCP segment, once TCP has dissected it, to the connection
//! analysis of `mptcp-parse`
//! (MP_FASTCLOSE/RST correlation, fault resolution, middlebox findings, HMAC and checksum
//! verification) and shows each frame's findings; see `analysis.rs`.

mod analysis;
mod dissect;
mod ffi;
mod fields;
mod findings;
#[cfg(feature = "fault-injection")]
mod inject;
mod streams;
mod tree;
mod values;

use std::ffi::{c_char, c_int};
use std::panic::catch_unwind;

pub use ffi::{WS_VERSION_MAJOR, WS_VERSION_MINOR};

/// Version of the Wireshark the plugin was built against ("4.0.17").
pub const WIRESHARK_VERSION: &str = env!("MPTCPX_WIRESHARK_VERSION");

const VERSION_Z: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

const fn version_bytes<const N: usize>() -> [c_char; N] {
    let src = VERSION_Z.as_bytes();
    let mut out = [0 as c_char; N];
    let mut i = 0;
    while i < N {
        out[i] = src[i] as c_char;
        i += 1;
    }
    out
}

/// The plugin's version, read by Wireshark's plugin loader (`const char plugin_version[]`).
#[allow(non_upper_case_globals)]
#[no_mangle]
#[used]
pub static plugin_version: [c_char; VERSION_Z.len()] = version_bytes::<{ VERSION_Z.len() }>();

/// Wireshark major version the plugin was built for; Wireshark refuses other versions.
#[allow(non_upper_case_globals)]
#[no_mangle]
#[used]
pub static plugin_want_major: c_int = ffi::WS_VERSION_MAJOR;

/// Wireshark minor version the plugin was built for.
#[allow(non_upper_case_globals)]
#[no_mangle]
#[used]
pub static plugin_want_minor: c_int = ffi::WS_VERSION_MINOR;

/// What the plugin is, read by Wireshark 4.4 and later.
#[cfg(ws_ge_4_4)]
#[no_mangle]
pub extern "C" fn plugin_describe() -> u32 {
    ffi::WS_PLUGIN_DESC_DISSECTOR as u32
}

static PLUGIN: ffi::proto_plugin = ffi::proto_plugin {
    register_protoinfo: Some(register_protoinfo),
    register_handoff: Some(register_handoff),
};

/// Entry point called by Wireshark's plugin loader.
#[no_mangle]
pub extern "C" fn plugin_register() {
    guarded("plugin_register", || {
        // SAFETY: PLUGIN is 'static, as Wireshark keeps the pointer.
        unsafe { ffi::proto_register_plugin(&PLUGIN) }
    });
}

extern "C" fn register_protoinfo() {
    guarded("protocol registration", fields::register);
}

extern "C" fn register_handoff() {
    guarded("handoff", || {
        let proto = fields::PROTO.load(std::sync::atomic::Ordering::Relaxed);
        // SAFETY: called once by Wireshark after every protocol registered.
        let found = unsafe { ffi::mptcpx_shim_handoff(proto) };
        if found != 1 {
            eprintln!("mptcpx: Wireshark's MPTCP option dissector was not found; showing only the MPTCPX subtrees");
        }
        // SAFETY: called once at handoff; the callbacks have the signatures shim.h declares.
        let analysis = unsafe {
            ffi::mptcpx_shim_register_analysis(
                Some(analysis::on_segment),
                Some(analysis::on_caught),
                Some(analysis::on_init),
                Some(analysis::on_cleanup),
            )
        };
        if analysis != 0 {
            eprintln!("mptcpx: Wireshark's TCP dissector was not found in \"ip.proto\"; the plugin is inactive");
        }
    });
}

/// Runs `f`, turning a panic into a message on stderr: no panic may unwind into Wireshark.
fn guarded(what: &str, f: impl FnOnce() + std::panic::UnwindSafe) {
    if catch_unwind(f).is_err() {
        eprintln!("mptcpx: internal error during {what}; the plugin may be inactive");
    }
}
