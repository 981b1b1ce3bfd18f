//! A TCP options area of arbitrary bytes, after one byte that sets the context: strict
//! (`tcp_options`) and lenient (`mptcp_options_lenient`) walks must agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mptcp_parse::{mptcp_options_lenient, raw_options, tcp_options, MptcpOption, TcpOption};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&ctx_byte, area)) = data.split_first() else {
        return;
    };
    let ctx = common::context(ctx_byte);

    let mut covered = 0usize;
    let mut raw_count = 0usize;
    for raw in raw_options(area) {
        raw_count += 1;
        match raw {
            Ok(raw) => {
                assert!(!raw.bytes.is_empty() && raw.bytes[0] == raw.kind);
                covered += raw.bytes.len();
            }
            Err(e) => {
                let _ = format!("{e}");
            }
        }
    }
    assert!(covered <= area.len());

    let mut strict = Vec::new();
    for item in tcp_options(area, ctx) {
        match item {
            Ok(TcpOption::Mptcp(o)) => {
                common::exercise(&o, &ctx);
                strict.push(Some(o));
            }
            Ok(TcpOption::Other { kind, data }) => {
                assert!(kind > 1 && kind != mptcp_parse::MPTCP_KIND);
                assert!(data.len() + 2 <= area.len());
            }
            Ok(TcpOption::EndOfList | TcpOption::Nop) => {}
            Err(e) => {
                let _ = format!("{e}");
                strict.push(None);
            }
        }
    }
    assert_eq!(tcp_options(area, ctx).count(), raw_count);

    // The lenient walk sees the same MPTCP options (and the same broken lengths); where the
    // strict decoder succeeds, the lenient one finds the same value.
    let lenient: Vec<_> = mptcp_options_lenient(area, ctx).collect();
    for d in &lenient {
        common::check_decoded(d, &ctx);
    }
    let mptcp_or_errors = raw_options(area)
        .filter(|r| {
            r.as_ref()
                .map_or(true, |r| r.kind == mptcp_parse::MPTCP_KIND)
        })
        .count();
    assert_eq!(lenient.len(), mptcp_or_errors);
    let strict_mptcp: Vec<Option<MptcpOption<'_>>> = strict;
    assert_eq!(strict_mptcp.len(), lenient.len());
    for (s, l) in strict_mptcp.iter().zip(&lenient) {
        if let Some(s) = s {
            assert_eq!(l.option.as_ref(), Ok(s));
        }
    }
});
