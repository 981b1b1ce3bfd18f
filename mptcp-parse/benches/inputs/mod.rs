//! The inputs of the decode benchmark, shared with `examples/decode_profile.rs` so that both
//! measure the same bytes: every option of two kernel captures with many DSS options.
#![allow(dead_code)]

use mptcp_parse::{raw_options, Context, TcpSegment, MPTCP_KIND};
use std::ops::Range;

#[path = "../../tests/support/mod.rs"]
mod support;

const CAPTURES: [&str; 2] = [
    "20_v4_bulk_fullmesh.pcap",
    "22_v6_endpoint_del_midtransfer.pcap",
];

/// Every MPTCP option, back to back in one buffer.
pub struct Options {
    pub bytes: Vec<u8>,
    pub ranges: Vec<Range<usize>>,
}

/// Every options area with the context of its segment.
pub struct Areas {
    pub bytes: Vec<u8>,
    pub areas: Vec<(Range<usize>, Context)>,
    pub tcp_options: u64,
    pub mptcp_options: u64,
}

/// The TCP segments of the benchmark captures (header and captured payload).
pub fn segments() -> Vec<Vec<u8>> {
    let dir = support::captures_dir().join("kernel");
    let mut out = Vec::new();
    for name in CAPTURES {
        for packet in support::read_frames(&dir.join(name)).into_iter().flatten() {
            out.push(packet.tcp);
        }
    }
    out
}

pub fn collect(segments: &[Vec<u8>]) -> (Options, Areas) {
    let mut options = Options {
        bytes: Vec::new(),
        ranges: Vec::new(),
    };
    let mut areas = Areas {
        bytes: Vec::new(),
        areas: Vec::new(),
        tcp_options: 0,
        mptcp_options: 0,
    };
    for tcp in segments {
        let Ok(seg) = TcpSegment::parse(tcp) else {
            continue;
        };
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
pub fn payloads(segments: &[Vec<u8>], count: usize) -> Vec<Vec<u8>> {
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
