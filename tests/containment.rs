//! A panic inside the plugin stays inside the plugin: tshark goes on, the frame shows the
//! expert item `mptcpx.plugin_error`, and every other frame is dissected as without it.
//!
//! The plugin is built a second time with the test-only feature `fault-injection` (into
//! `<target>/fault-injection`), which makes both parts of its segment callback, an option's
//! display and the analysis, panic on the frame `MPTCPX_INJECT_PANIC` names. The option's
//! display panics with its subtree half built; the analysis panics after the engine took
//! the frame in, with the engine's lock held, so the frames after it also show that the
//! engine survives a panic.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{env, frame_numbers, frame_query, plugin_library, Env};

/// A capture whose analysis carries state from frame to frame: an option-A fastclose,
/// retransmitted four times (frames 19, 21, 23, 25, numbered by the engine), answered by RSTs
/// (`tests/captures/gen_crafted.py`).
const CAPTURE: &str = "fastclose_option_a_Bside.pcap";
/// Frame 19: DSS + MP_FASTCLOSE, the first retransmission (both entry points panic there).
/// Frame 20: a plain RST answering it, without MPTCP option (only the analysis panics).
const FRAMES: [(u32, bool); 2] = [(19, true), (20, false)];

const FIELDS: &[&str] = &[
    "frame.number",
    "mptcpx.subtype",
    "mptcpx.connection",
    "mptcpx.fastclose.retransmission",
    "mptcpx.fastclose.first",
    "mptcpx.fastclose.answered_in",
    "_ws.expert.message",
];

/// Builds the plugin with `fault-injection` (cargo reuses an earlier build when nothing
/// changed) and returns the library.
fn fault_injection_library() -> &'static Path {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        // The test binary is <target>/release/deps/containment-HASH.
        let exe = std::env::current_exe().expect("test binary path");
        let target = exe.ancestors().nth(3).expect("<target> above release/deps");
        let target_dir = target.join("fault-injection");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new(cargo)
            .current_dir(common::repo())
            .args([
                "build",
                "--release",
                "-p",
                "mptcp-dissector",
                "--features",
                "fault-injection",
                "--target-dir",
            ])
            .arg(&target_dir)
            .output()
            .expect("run cargo");
        assert!(
            out.status.success(),
            "building the plugin with fault-injection failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lib = target_dir.join("release/libmptcpx.so");
        assert!(lib.is_file(), "{} missing after the build", lib.display());
        lib
    })
}

/// A private HOME with the fault-injection build installed.
fn injected() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| Env::install(Some("fault-injection"), fault_injection_library()))
}

fn capture() -> PathBuf {
    common::own_capture(CAPTURE)
}

/// `-T fields` rows of [`FIELDS`], one line per frame; `inject` sets `MPTCPX_INJECT_PANIC`.
fn rows(env: &Env, two_pass: bool, inject: Option<u32>) -> Vec<String> {
    let file = env.readable(&capture());
    let mut args = vec![
        "-r",
        file.to_str().expect("utf-8 path"),
        "-o",
        "mptcpx.verify_crypto:TRUE",
    ];
    if two_pass {
        args.push("-2");
    }
    args.extend_from_slice(&["-T", "fields", "-E", "separator=;", "-E", "occurrence=a"]);
    for f in FIELDS {
        args.extend_from_slice(&["-e", f]);
    }
    let frame = inject.map(|f| f.to_string());
    let vars: Vec<(&str, &str)> = frame
        .iter()
        .map(|f| ("MPTCPX_INJECT_PANIC", f.as_str()))
        .collect();
    let run = env.tshark_with_env(&args, &vars);
    // Exit status 0: the panics did not reach tshark.
    run.ok().lines().map(str::to_string).collect()
}

/// Frames matching `filter`.
fn frames_matching(env: &Env, two_pass: bool, inject: u32, filter: &str) -> Vec<u32> {
    let file = env.readable(&capture());
    let args = frame_query(&file, two_pass, filter);
    let frame = inject.to_string();
    let out = env
        .tshark_with_env(&args, &[("MPTCPX_INJECT_PANIC", &frame)])
        .ok();
    frame_numbers(CAPTURE, &out)
}

fn check_contained(two_pass: bool) {
    let env = injected();
    let baseline = rows(env, two_pass, None);
    assert!(baseline.len() > 20, "{CAPTURE}: {} frames", baseline.len());
    assert!(
        !baseline.iter().any(|r| r.contains("internal error")),
        "no injection without MPTCPX_INJECT_PANIC:\n{}",
        baseline.join("\n")
    );
    for (frame, has_option) in FRAMES {
        let injected_rows = rows(env, two_pass, Some(frame));
        assert_eq!(
            injected_rows.len(),
            baseline.len(),
            "frame {frame}: every frame is still dissected"
        );
        for (i, (with, without)) in injected_rows.iter().zip(&baseline).enumerate() {
            let number = u32::try_from(i + 1).expect("frame number");
            if number == frame {
                assert_ne!(with, without, "frame {frame}: the injected panic shows");
            } else {
                assert_eq!(
                    with, without,
                    "injection in frame {frame} changed frame {number}"
                );
            }
        }

        let row = &injected_rows[usize::try_from(frame - 1).expect("index")];
        let option_error = "MPTCPX internal error: fault injected in the option display";
        let analysis_error =
            "MPTCPX analysis internal error: fault injected in the analysis on frame";
        assert!(row.contains(analysis_error), "frame {frame}: {row}");
        assert_eq!(
            row.contains(option_error),
            has_option,
            "frame {frame}: {row}"
        );

        let filtered = frames_matching(env, two_pass, frame, "mptcpx.plugin_error");
        assert_eq!(
            filtered,
            [frame],
            "-Y mptcpx.plugin_error, injected in frame {frame}"
        );
    }
}

#[test]
fn a_panic_is_contained_in_one_pass() {
    check_contained(false);
}

#[test]
fn a_panic_is_contained_in_two_passes() {
    check_contained(true);
}

#[test]
fn without_the_variable_the_test_build_dissects_as_the_normal_build() {
    for two_pass in [false, true] {
        assert_eq!(
            rows(injected(), two_pass, None),
            rows(env(), two_pass, None),
            "two passes: {two_pass}"
        );
    }
}

#[test]
fn the_normal_build_has_no_injection_code() {
    let needle = b"MPTCPX_INJECT_PANIC";
    let contains = |lib: &Path| {
        let bytes = std::fs::read(lib).unwrap_or_else(|e| panic!("{}: {e}", lib.display()));
        bytes.windows(needle.len()).any(|w| w == needle)
    };
    assert!(
        contains(fault_injection_library()),
        "the test build reads MPTCPX_INJECT_PANIC"
    );
    if cfg!(feature = "fault-injection") {
        eprintln!("built with --features fault-injection: the normal build is not under test");
        return;
    }
    let normal = plugin_library();
    assert!(
        !contains(&normal),
        "{} contains the fault-injection code",
        normal.display()
    );
}
