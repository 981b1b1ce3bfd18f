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
    mptcp_options_lenient, parse_mptcp_option, parse_mptcp_option_lenient, tcp_options, Context,
};
use std::hint::black_box;

mod inputs;

use inputs::{collect, payloads, segments};

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
    assert!(
        !options.ranges.is_empty(),
        "no MPTCP options in the benchmark captures"
    );

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
