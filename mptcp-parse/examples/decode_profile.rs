//! The loops of `benches/decode.rs`, without criterion, for instruction counts under
//! callgrind (stable on a shared machine, where times are not):
//!
//! ```sh
//! cargo build --release -p mptcp-parse --example decode_profile
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect='decode_profile::run' \
//!     target/release/examples/decode_profile parse_mptcp_option 20
//! ```
//!
//! Instructions per element = "Collected" / (iterations × the element count it prints).
//! Benchmarks: `parse_mptcp_option`, `tcp_options`, `mptcp_options_lenient`,
//! `parse_mptcp_option_lenient`, `update_1400` (elements: payload bytes).

use mptcp_parse::crypto::DssChecksum;
use mptcp_parse::{
    mptcp_options_lenient, parse_mptcp_option, parse_mptcp_option_lenient, tcp_options, Context,
    TcpSegment,
};
use std::hint::black_box;
use std::ops::Range;

#[path = "../benches/inputs/mod.rs"]
mod inputs;

/// The inputs, built by the benchmark's own code.
struct Inputs {
    options: Vec<u8>,
    ranges: Vec<Range<usize>>,
    areas: Vec<u8>,
    area_ranges: Vec<(Range<usize>, Context)>,
    tcp_options: usize,
    payloads: Vec<Vec<u8>>,
}

fn inputs() -> Inputs {
    let segments = inputs::segments();
    let real_payloads = segments
        .iter()
        .filter_map(|t| TcpSegment::parse(t).ok())
        .filter(|s| s.payload.len() >= 1400)
        .count();
    // The benchmark fills up to 64 payloads with pseudo-random bytes; the captures have enough.
    assert!(real_payloads >= 64, "fewer than 64 payloads of 1400 bytes");
    let (options, areas) = inputs::collect(&segments);
    Inputs {
        options: options.bytes,
        ranges: options.ranges,
        areas: areas.bytes,
        area_ranges: areas.areas,
        tcp_options: areas.tcp_options as usize,
        payloads: inputs::payloads(&segments, 64),
    }
}

#[inline(never)]
fn run_parse_mptcp_option(i: &Inputs) {
    let bytes = black_box(&i.options[..]);
    let ctx = Context::default();
    for r in &i.ranges {
        black_box(&parse_mptcp_option(&bytes[r.clone()], &ctx));
    }
}

#[inline(never)]
fn run_tcp_options(i: &Inputs) {
    let bytes = black_box(&i.areas[..]);
    for (r, ctx) in &i.area_ranges {
        for option in tcp_options(&bytes[r.clone()], *ctx) {
            black_box(&option);
        }
    }
}

#[inline(never)]
fn run_mptcp_options_lenient(i: &Inputs) {
    let bytes = black_box(&i.areas[..]);
    for (r, ctx) in &i.area_ranges {
        for decoded in mptcp_options_lenient(&bytes[r.clone()], *ctx) {
            black_box(&decoded);
        }
    }
}

#[inline(never)]
fn run_parse_mptcp_option_lenient(i: &Inputs) {
    let bytes = black_box(&i.options[..]);
    let ctx = Context::default();
    for r in &i.ranges {
        black_box(&parse_mptcp_option_lenient(&bytes[r.clone()], &ctx));
    }
}

#[inline(never)]
fn run_update_1400(i: &Inputs) {
    for (n, p) in i.payloads.iter().enumerate() {
        let mut sum = DssChecksum::new(black_box(n as u64), 1, 1400);
        sum.update(black_box(p));
        black_box(sum.value());
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(which), Some(iterations)) = (
        args.next(),
        args.next().and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: decode_profile BENCHMARK ITERATIONS");
        std::process::exit(2);
    };
    let i = inputs();
    let (run, elements): (fn(&Inputs), usize) = match which.as_str() {
        "parse_mptcp_option" => (run_parse_mptcp_option, i.ranges.len()),
        "tcp_options" => (run_tcp_options, i.tcp_options),
        "mptcp_options_lenient" => (run_mptcp_options_lenient, i.ranges.len()),
        "parse_mptcp_option_lenient" => (run_parse_mptcp_option_lenient, i.ranges.len()),
        "update_1400" => (run_update_1400, i.payloads.iter().map(Vec::len).sum()),
        other => {
            eprintln!("unknown benchmark {other}");
            std::process::exit(2);
        }
    };
    for _ in 0..iterations {
        run(&i);
    }
    println!("{which}: {iterations} iterations of {elements} elements");
}
