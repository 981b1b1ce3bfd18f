//! Decoding speed on real traffic.
//!
//! Inputs are the options of every packet of two kernel captures with many DSS options
//! (`20_v4_bulk_fullmesh`, `22_v6_endpoint_del_midtransfer`), read once before measuring:
//!
//! - `parse_mptcp_option`: every MPTCP option, strict decode (throughput: options).
//! - `tcp_options`: every TCP options area, all options walked, MPTCP ones decoded strictly,
//!   each in its segment's context (throughput: TCP options, NOP and timestamps included).
//! - `lenient`: the same areas with `mptcp_options_lenient`, warnings included (throughput:
//!   MPTCP options); and the option list of the first benchmark, one option at a time.
//! - `dss_checksum`: `DssChecksum::update` over 1400-byte payloads (throughput: bytes).
//!
//! `cargo bench -p mptcp-parse --bench decode`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mptcp_parse::crypto::{dss_checksum, DssChecksum};
use mptcp_parse::{
    mptcp_options_lenient, parse_mptcp_option, parse_mptcp_option_lenient, raw_options, tcp_options, Context,
    TcpSegment, MPTCP_KIND,
};
use std::hint::black_box;
use std::ops::Range;

#[path = "../tests/support/mod.rs"]
mod support;

const CAPTURES: [&str; 2] = ["20_v4_bulk_fullmesh.pcap", "22_v6_endpoint_del_midtransfer.pcap"];

/// Every MPTCP option, back to back in one buffer.
struct Options {
    bytes: Vec<u8>,
    ranges: Vec<Range<usize>>,
}

/// Every options area with the context of its segment.
struct Areas {
    bytes: Vec<u8>,
    areas: Vec<(Range<usize>, Context)>,
    tcp_options: u64,
    mptcp_options: u64,
}

/// The TCP segments of the benchmark captures (header and captured payload).
fn segments() -> Vec<Vec<u8>> {
    let dir = support::captures_dir().join("kernel");
    let mut out = Vec::new();
    for name in CAPTURES {
        for packet in support::read_frames(&dir.join(name)).into_iter().flatten() {
            out.push(packet.tcp);
        }
    }
    out
}

fn collect(segments: &[Vec<u8>]) -> (Options, Areas) {
    let mut options = Options { bytes: Vec::new(), ranges: Vec::new() };
    let mut areas = Areas { bytes: Vec::new(), areas: Vec::new(), tcp_options: 0, mptcp_options: 0 };
    for tcp in segments {
        let Ok(seg) = TcpSegment::parse(tcp) else { continue };
        if seg.options.is_empty() {
            continue;
        }
        let start = areas.bytes.len();
        areas.bytes.extend_from_slice(seg.options);
        areas.areas.push((start..areas.bytes.len(), seg.context()));
        for raw in raw_options(seg.options) {
            areas.tcp_options += 1;
            let Ok(raw) = raw else { continue };
            if raw.kind == MPTCP_KIND {
                areas.mptcp_options += 1;
                let start = options.bytes.len();
                options.bytes.extend_from_slice(raw.bytes);
                options.ranges.push(start..options.bytes.len());
            }
        }
    }
    (options, areas)
}

/// 1400-byte payloads: the real ones of the captures where they are that long, else
/// pseudo-random bytes.
fn payloads(segments: &[Vec<u8>], count: usize) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = segments
        .iter()
        .filter_map(|tcp| TcpSegment::parse(tcp).ok())
        .filter(|seg| seg.payload.len() >= 1400)
        .map(|seg| seg.payload[..1400].to_vec())
        .take(count)
        .collect();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while out.len() < count {
        out.push(
            (0..1400)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect(),
        );
    }
    out
}

fn bench(c: &mut Criterion) {
    let segments = segments();
    let (options, areas) = collect(&segments);
    let strict_errors = options
        .ranges
        .iter()
        .filter(|&r| parse_mptcp_option(&options.bytes[r.clone()], &Context::default()).is_err())
        .count();
    eprintln!(
        "decode bench input: {} segments, {} options areas, {} TCP options, {} MPTCP options ({} bytes, {} not strictly decodable)",
        segments.len(),
        areas.areas.len(),
        areas.tcp_options,
        options.ranges.len(),
        options.bytes.len(),
        strict_errors,
    );
    assert!(!options.ranges.is_empty(), "no MPTCP options in the benchmark captures");

    // Results are kept alive with `black_box(&value)`: the value stays where the decoder built
    // it, so the harness adds no copy of it (a by-value `black_box` would move 72 bytes per option).
    let ctx = Context::default();
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(options.ranges.len() as u64));
    g.bench_function("parse_mptcp_option", |b| {
        b.iter(|| {
            let bytes = black_box(&options.bytes[..]);
            for r in &options.ranges {
                black_box(&parse_mptcp_option(&bytes[r.clone()], &ctx));
            }
        })
    });

    g.throughput(Throughput::Elements(areas.tcp_options));
    g.bench_function("tcp_options", |b| {
        b.iter(|| {
            let bytes = black_box(&areas.bytes[..]);
            for (r, ctx) in &areas.areas {
                for option in tcp_options(&bytes[r.clone()], *ctx) {
                    black_box(&option);
                }
            }
        })
    });

    g.throughput(Throughput::Elements(areas.mptcp_options));
    g.bench_function("mptcp_options_lenient", |b| {
        b.iter(|| {
            let bytes = black_box(&areas.bytes[..]);
            for (r, ctx) in &areas.areas {
                for decoded in mptcp_options_lenient(&bytes[r.clone()], *ctx) {
                    black_box(&decoded);
                }
            }
        })
    });

    g.throughput(Throughput::Elements(options.ranges.len() as u64));
    g.bench_function("parse_mptcp_option_lenient", |b| {
        b.iter(|| {
            let bytes = black_box(&options.bytes[..]);
            for r in &options.ranges {
                black_box(&parse_mptcp_option_lenient(&bytes[r.clone()], &ctx));
            }
        })
    });
    g.finish();

    let payloads = payloads(&segments, 64);
    let total: usize = payloads.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group("dss_checksum");
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function("update_1400", |b| {
        b.iter(|| {
            for (i, p) in payloads.iter().enumerate() {
                let mut sum = DssChecksum::new(black_box(i as u64), 1, 1400);
                sum.update(black_box(p));
                black_box(sum.value());
            }
        })
    });
    g.bench_function("update_1400_odd_split", |b| {
        b.iter(|| {
            for (i, p) in payloads.iter().enumerate() {
                let mut sum = DssChecksum::new(black_box(i as u64), 1, 1400);
                sum.update(black_box(&p[..701]));
                sum.update(black_box(&p[701..]));
                black_box(sum.value());
            }
        })
    });
    g.bench_function("dss_checksum_1400", |b| {
        b.iter(|| {
            for (i, p) in payloads.iter().enumerate() {
                black_box(dss_checksum(black_box(i as u64), 1, 1400, black_box(p)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
