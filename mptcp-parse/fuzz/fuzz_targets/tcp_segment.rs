//! A TCP segment of arbitrary bytes: split it, then decode its options in its own context.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mptcp_parse::{mptcp_options_lenient, TcpOption, TcpSegment};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let seg = match TcpSegment::parse(data) {
        Ok(seg) => seg,
        Err(e) => {
            let _ = format!("{e}");
            return;
        }
    };
    let header_len = (data[12] >> 4) as usize * 4;
    assert_eq!(seg.options.len(), header_len - 20);
    assert_eq!(seg.options.len() + seg.payload.len() + 20, data.len());
    assert_eq!(seg.flags, mptcp_parse::TcpFlags(data[13]));
    assert_eq!(seg.segment().payload, !seg.payload.is_empty());

    let ctx = seg.context();
    for option in seg.options() {
        if let Ok(TcpOption::Mptcp(o)) = option {
            common::exercise(&o, &ctx);
        }
    }
    for d in mptcp_options_lenient(seg.options, ctx) {
        common::check_decoded(&d, &ctx);
    }
});
