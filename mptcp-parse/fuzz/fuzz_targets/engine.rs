//! The analysis engine on sequences of segments that meet on a few subflows and connections.
//! Input format and checks: `engine_input.rs`, shared with `mptcp-parse/tests/fuzz_regressions.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "engine_input.rs"]
mod engine_input;

fuzz_target!(|data: &[u8]| {
    engine_input::run(data);
});
