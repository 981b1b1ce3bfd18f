//! The engine's own tests: its paths agree, and its state stays small.

use super::connections::Connection;
use super::engine::{Config, Engine, Packet};
use super::finding::Finding;
use super::subflows::Subflow;
use std::mem::size_of;

/// The integration tests' capture reader (it names this crate `mptcp_parse`).
#[path = "../../tests/support/mod.rs"]
mod capture_support;

use capture_support as support;

/// The steady path reports what the general path does: over every shared and generated
/// capture, with and without the crypto checks, the same connection and findings for each
/// frame as it is analysed, and the same findings for each frame at the end.
#[test]
fn steady_path_reports_what_the_general_path_does() {
    let mut files = support::captures_in("kernel");
    files.extend(support::captures_in("public"));
    files.extend(support::captures_in("crafted"));
    let generated = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/captures");
    files.extend(
        std::fs::read_dir(generated)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "pcap")),
    );
    let (mut steady, mut segments) = (0, 0);
    for path in &files {
        let frames = support::read_frames(path);
        for verify_crypto in [true, false] {
            let run = |general_only: bool| {
                let mut engine = Engine::new(Config {
                    verify_crypto,
                    ..Config::default()
                });
                engine.general_only = general_only;
                let mut seen = Vec::new();
                for p in frames.iter().flatten() {
                    let time = (p.time * 1e9) as i64;
                    let packet = Packet {
                        frame: p.frame as u32,
                        time,
                        src: p.src,
                        dst: p.dst,
                        stream: None,
                        tcp: &p.tcp,
                    };
                    let report = engine.process(&packet);
                    seen.push((p.frame, report.connection, report.findings.into_owned()));
                }
                engine.finish();
                let at_end: Vec<Vec<Finding>> = frames
                    .iter()
                    .flatten()
                    .map(|p| engine.findings(p.frame as u32).into_owned())
                    .collect();
                (seen, at_end, engine.steady_taken)
            };
            let (general, with_steady) = (run(true), run(false));
            assert_eq!(general.2, 0);
            assert_eq!(
                (&with_steady.0, &with_steady.1),
                (&general.0, &general.1),
                "{} (verify_crypto {verify_crypto})",
                path.display()
            );
            steady += with_steady.2;
            segments += general.0.len();
        }
    }
    // Most segments of these captures are data and acknowledgements on established subflows.
    assert!(
        steady * 2 > segments,
        "the steady path took {steady} of {segments} segments"
    );
}

/// What every subflow and connection costs, whatever happens on it: rare state (fastclose,
/// announcements, checksum failures, a mapping being checked) is boxed or in sparse lists.
#[test]
fn per_subflow_and_per_connection_state_stays_small() {
    assert!(
        size_of::<Subflow>() <= 112,
        "Subflow is {} bytes",
        size_of::<Subflow>()
    );
    assert!(
        size_of::<Connection>() <= 104,
        "Connection is {} bytes",
        size_of::<Connection>()
    );
}
