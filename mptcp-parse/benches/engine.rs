//! Analysis engine speed on real traffic: packets per second through `Engine::process`.
//!
//! Input: every packet of the shared kernel captures (`../shared/captures/kernel`), or when
//! they are absent of the repository's (`tests/captures`, those of `gen_kernel.sh`), one capture
//! after the other with frame numbers running on, each segment given a stream number the way
//! Wireshark's `tcp.stream` numbers them (by address and port pair, in order of appearance).
//! One iteration is a whole capture: a new engine, every packet, then `finish`.
//!
//! - `engine/kernel_captures`: crypto verification on (tokens, HMACs, DSS checksums);
//! - `engine/kernel_captures_no_crypto`: verification off.
//! - `engine/file`: with `MPTCPX_BENCH_CAPTURE=FILE.pcap`, that capture too (e.g. the large
//!   kernel capture of `tests/perf/gen_bulk.sh`).
//!
//! `cargo bench -p mptcp-parse --features analysis --bench engine`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mptcp_parse::analysis::{Config, Engine, Packet};
use std::collections::HashMap;
use std::hint::black_box;
use std::net::IpAddr;
use std::path::Path;

#[path = "../tests/support/mod.rs"]
mod support;

/// The packets of some captures, ready to feed.
struct Input {
    packets: Vec<support::Packet>,
    streams: Vec<u32>,
}

impl Input {
    fn read(files: &[&Path]) -> Input {
        let mut packets = Vec::new();
        for file in files {
            let base = packets.len();
            packets.extend(
                support::read_frames(file)
                    .into_iter()
                    .flatten()
                    .map(|mut p| {
                        p.frame += base;
                        p
                    }),
            );
        }
        // Frame numbers run on; a frame that is not TCP leaves a gap, as in Wireshark.
        type Endpoint = (IpAddr, u16);
        let mut by_pair: HashMap<(Endpoint, Endpoint), u32> = HashMap::new();
        let streams = packets
            .iter()
            .map(|p| {
                let ports = |at: usize| u16::from_be_bytes([p.tcp[at], p.tcp[at + 1]]);
                let (a, b) = ((p.src, ports(0)), (p.dst, ports(2)));
                let key = if a <= b { (a, b) } else { (b, a) };
                let next = by_pair.len() as u32;
                *by_pair.entry(key).or_insert(next)
            })
            .collect();
        Input { packets, streams }
    }

    fn run(&self, config: Config) -> Engine {
        let mut engine = Engine::new(config);
        for (p, stream) in self.packets.iter().zip(&self.streams) {
            let packet = Packet {
                frame: p.frame as u32,
                time: (p.time * 1e9) as i64,
                src: p.src,
                dst: p.dst,
                stream: Some(*stream),
                tcp: &p.tcp,
            };
            black_box(engine.process(&packet));
        }
        engine.finish();
        engine
    }
}

fn bench(c: &mut Criterion) {
    let files = match support::shared_dir() {
        Some(_) => support::captures_in("kernel"),
        None => {
            eprintln!("../shared/captures is absent: the engine bench reads the repository's kernel captures");
            support::OWN_KERNEL
                .iter()
                .map(|name| support::own(name))
                .collect()
        }
    };
    let kernel = Input::read(&files.iter().map(|f| f.as_path()).collect::<Vec<_>>());
    let engine = kernel.run(Config::default());
    eprintln!(
        "engine bench input: {} captures, {} TCP segments, {} subflows, {} MPTCP connections",
        files.len(),
        kernel.packets.len(),
        engine.subflow_count(),
        engine.connection_count()
    );

    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(kernel.packets.len() as u64));
    group.bench_function("kernel_captures", |b| {
        b.iter_batched(
            || (),
            |()| kernel.run(Config::default()),
            BatchSize::PerIteration,
        )
    });
    let no_crypto = Config {
        verify_crypto: false,
        ..Config::default()
    };
    group.bench_function("kernel_captures_no_crypto", |b| {
        b.iter_batched(|| (), |()| kernel.run(no_crypto), BatchSize::PerIteration)
    });
    group.finish();

    if let Ok(file) = std::env::var("MPTCPX_BENCH_CAPTURE") {
        let input = Input::read(&[Path::new(&file)]);
        let engine = input.run(Config::default());
        eprintln!(
            "engine bench file {file}: {} TCP segments, {} subflows, {} MPTCP connections",
            input.packets.len(),
            engine.subflow_count(),
            engine.connection_count()
        );
        let mut group = c.benchmark_group("engine");
        group.throughput(Throughput::Elements(input.packets.len() as u64));
        group.sample_size(10);
        group.bench_function("file", |b| {
            b.iter_batched(
                || (),
                |()| input.run(Config::default()),
                BatchSize::PerIteration,
            )
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
