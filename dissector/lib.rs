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
//! At handoff the plugin takes Wireshark's handle for TCP option kind 30 and registers its
//! own dissector for that kind in the `tcp.option` table. For every MPTCP option it calls
//! the built-in dissector first (so Wireshark's own tree, analysis and expert items stay as
//! they were), then adds its subtree under the same TCP options tree. Within the segment the
//! analysis wrapper (below) is dissecting, the option is kept until TCP is done, then decoded
//! once, for its subtree and for the analysis; elsewhere (the analysis off, a tunnel's inner
//! segment) it is decoded and shown at once.
//!
//! ## The FFI seam
//! - `build.rs` derives everything version-dependent from the installed Wireshark: bindings
//!   (bindgen), the version the plugin announces, cfg flags for API differences.
//! - Wireshark throws exceptions with `longjmp`. No Rust frame may be crossed by one, so the
//!   C shim (`shim.c`) wraps every call that can throw in TRY/CATCH, including the call into
//!   the built-in dissector; when that one throws, our subtree is still added and the shim
//!   re-raises the exception afterwards, from C, as Wireshark would have seen it.
//! - Every function Wireshark calls into Rust catches panics: a panic becomes the expert
//!   item `mptcpx.plugin_error` and never crosses `extern "C"`.
//! - Only the captured bytes of an option are read; the decoder never sees past them.
//!
//! ## The analysis
//! A wrapper around Wireshark's TCP dissector (in `ip.proto`) feeds every TCP segment, once TCP
//! has dissected it, to the connection analysis of `mptcp-parse`
//! (MP_FASTCLOSE/RST correlation, fault resolution, middlebox findings, HMAC and checksum
//! verification) and shows each frame's findings; see `analysis.rs`.

mod analysis;
mod dissect;
mod ffi;
mod fields;
#[cfg(feature = "fault-injection")]
mod inject;
mod tree;

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
        // SAFETY: called once by Wireshark after every protocol registered; the callback
        // has the signature shim.h declares.
        let found = unsafe { ffi::mptcpx_shim_handoff(proto, Some(dissect::on_option)) };
        match found {
            1 => {}
            0 => eprintln!("mptcpx: Wireshark's MPTCP option dissector was not found; showing only the MPTCPX subtree"),
            _ => eprintln!("mptcpx: the \"tcp.option\" dissector table does not exist; the plugin is inactive"),
        }
        // SAFETY: called once at handoff; the callbacks have the signatures shim.h declares.
        let analysis = unsafe {
            ffi::mptcpx_shim_register_analysis(Some(analysis::on_segment), Some(analysis::on_init), Some(analysis::on_cleanup))
        };
        if analysis != 0 {
            eprintln!("mptcpx: Wireshark's TCP dissector was not found in \"ip.proto\"; only options are decoded");
        }
    });
}

/// Runs `f`, turning a panic into a message on stderr: no panic may unwind into Wireshark.
fn guarded(what: &str, f: impl FnOnce() + std::panic::UnwindSafe) {
    if catch_unwind(f).is_err() {
        eprintln!("mptcpx: internal error during {what}; the plugin may be inactive");
    }
}
