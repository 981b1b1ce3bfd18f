//! Fault injection, compiled only with the test feature `fault-injection`: an option's display
//! and the analysis panic on purpose on one frame, so that tests can check that a panic is contained
//! (an `mptcpx.plugin_error` expert item on that frame, every other frame unchanged).
//!
//! `MPTCPX_INJECT_PANIC=<frame number>` in tshark's environment, read once, chooses the frame.

use std::sync::OnceLock;

static FRAME: OnceLock<Option<u32>> = OnceLock::new();

/// The frame `MPTCPX_INJECT_PANIC` names, if any.
fn target() -> Option<u32> {
    *FRAME.get_or_init(|| {
        std::env::var("MPTCPX_INJECT_PANIC")
            .ok()
            .and_then(|v| v.trim().parse().ok())
    })
}

/// Panics when `frame` is the injected frame; `entry` names the entry point in the message.
pub(crate) fn maybe_panic(entry: &str, frame: u32) {
    if target() == Some(frame) {
        panic!("fault injected in the {entry} on frame {frame} (MPTCPX_INJECT_PANIC)");
    }
}
