//! Inputs the fuzz targets keep under `fuzz/regressions/<target>/`, replayed through the very
//! code the target runs: the `engine` target's decoding and checks are `fuzz/fuzz_targets/
//! engine_input.rs`, included here. Inputs that once crashed are named after what they found;
//! the others are hand-picked seeds that keep the replay path exercised.
#![cfg(feature = "analysis")]

#[path = "../fuzz/fuzz_targets/engine_input.rs"]
mod engine_input;

use std::path::PathBuf;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir: PathBuf = [env!("CARGO_MANIFEST_DIR"), "fuzz", "regressions", target]
        .iter()
        .collect();
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("directory entry").path();
            let name = path
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (name, data)
        })
        .collect();
    files.sort();
    files
}

/// Replays one saved input of the `engine` target (a failed check panics).
fn engine(name: &str) {
    let (_, data) = inputs("engine")
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no input engine/{name}"));
    engine_input::run(&data);
}

/// One ACK carrying several MP_FASTCLOSEs was reported as a fastclose and its retransmission
/// on the same frame (`FastcloseRetransmitted { first }` naming its own frame), and counted as a
/// retransmission by `FastcloseUnanswered`.
#[test]
fn fastclose_twice_in_one_segment() {
    engine("fastclose-twice-in-one-segment");
}

/// The same ADD_ADDR twice in one segment was reported as announced again
/// (`AddAddrRepeated { previous }` naming its own frame).
#[test]
fn add_addr_twice_in_one_segment() {
    engine("add-addr-twice-in-one-segment");
}

/// Every saved input of the `engine` target passes the target's checks.
#[test]
fn engine_every_saved_input() {
    let files = inputs("engine");
    assert!(!files.is_empty(), "fuzz/regressions/engine holds no input");
    for (name, data) in &files {
        let outcome = std::panic::catch_unwind(|| engine_input::run(data));
        assert!(outcome.is_ok(), "fuzz/regressions/engine/{name} fails");
    }
}
