//! Runs the real tshark with the plugin that cargo just built.
//!
//! The cdylib is installed into the personal plugin folder of a private HOME. Wireshark
//! ignores personal plugins when run as root, so as root tshark runs as uid/gid 65534
//! (nobody) through `setpriv`, and the capture files it reads are copied where that user can
//! read them. As a normal user tshark runs directly.

#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const NOBODY: u32 = 65534;

/// The repository's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the repository (the shared specs and captures), if it is there: an
/// extra corpus the tests run too (CI has it). A clone alone has only its own captures.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = repo().join("../shared");
    (dir.join("captures").is_dir() && dir.join("spec").is_dir()).then_some(dir)
}

/// [`shared_dir`] for a test (named `test`) or the part of one that is about the shared set;
/// when it is absent, says in one line that this is skipped.
pub fn shared_for(test: &str) -> Option<PathBuf> {
    let dir = shared_dir();
    if dir.is_none() {
        eprintln!("{test}: skipped the shared captures: ../shared/captures is absent");
    }
    dir
}

/// `../shared`, which the caller knows is there ([`shared_for`]).
pub fn shared() -> PathBuf {
    shared_dir().expect("../shared beside the repository (check with shared_for first)")
}

/// A capture of the repository's own, `tests/captures/<name>`.
pub fn own_capture(name: &str) -> PathBuf {
    let path = repo().join("tests/captures").join(name);
    assert!(
        path.is_file(),
        "{} is missing (tests/captures/gen_*.sh/py make it)",
        path.display()
    );
    path
}

/// Every capture of `tests/captures/`, sorted.
pub fn own_captures() -> Vec<PathBuf> {
    let dir = repo().join("tests/captures");
    let mut all: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "pcap"))
        .collect();
    all.sort();
    assert!(
        all.len() >= 40,
        "expected the repository's captures in {}, found {} files",
        dir.display(),
        all.len()
    );
    all
}

/// Every capture the tests run on: the repository's, then `../shared/captures`' when present
/// (the test named `test` says in one line when it is not).
pub fn all_captures(test: &str) -> Vec<PathBuf> {
    let mut all = own_captures();
    if shared_for(test).is_some() {
        all.extend(shared_captures());
    }
    all
}

/// Every capture of `../shared/captures/{kernel,crafted,public}`, sorted; the caller knows
/// it is there ([`shared_for`]).
pub fn shared_captures() -> Vec<PathBuf> {
    let mut all = Vec::new();
    for sub in ["kernel", "crafted", "public"] {
        let dir = shared().join("captures").join(sub);
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.extension().is_some_and(|e| e == "pcap") {
                all.push(path);
            }
        }
    }
    all.sort();
    assert!(
        all.len() >= 30,
        "expected the shared capture set, found {} files",
        all.len()
    );
    all
}

fn is_root() -> bool {
    // SAFETY: getuid has no preconditions.
    unsafe { libc_getuid() == 0 }
}

extern "C" {
    #[link_name = "getuid"]
    fn libc_getuid() -> u32;
    #[link_name = "chown"]
    fn libc_chown(path: *const std::ffi::c_char, uid: u32, gid: u32) -> i32;
}

fn chown_nobody(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("path without NUL");
    // SAFETY: a valid NUL-terminated path.
    let rc = unsafe { libc_chown(c.as_ptr(), NOBODY, NOBODY) };
    assert_eq!(rc, 0, "chown {}", path.display());
}

fn chown_tree(path: &Path) {
    // A link is left alone: chown would change what it points to.
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return;
    }
    chown_nobody(path);
    if path.is_dir() {
        for entry in fs::read_dir(path).expect("read_dir") {
            chown_tree(&entry.expect("entry").path());
        }
    }
}

/// The cdylib cargo built with this test binary: `target/<profile>/deps/libmptcpx.so` (cargo
/// builds the library with all its crate types for the tests), else `target/<profile>/`.
pub fn plugin_library() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let deps = exe.parent().expect("target/<profile>/deps");
    let candidates = [
        deps.join("libmptcpx.so"),
        deps.parent()
            .expect("target/<profile>")
            .join("libmptcpx.so"),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "libmptcpx.so not found in {} or its parent: build the plugin with cargo first",
                deps.display()
            )
        })
}

/// A private HOME with the plugin installed, shared by every test of one test binary.
pub struct Env {
    pub home: PathBuf,
    pub captures: PathBuf,
    /// Wireshark's own plugins without an installed copy of this one (`WIRESHARK_PLUGIN_DIR`).
    global_plugins: PathBuf,
    as_nobody: bool,
}

/// Wireshark's global plugin folder, as tshark gives it (`.../plugins/4.0`).
fn global_plugin_dir() -> Option<PathBuf> {
    let out = Command::new("tshark")
        .args(["-G", "folders"])
        .env_remove("WIRESHARK_PLUGIN_DIR")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix("Global Plugins:"))
        .map(|dir| PathBuf::from(dir.trim()))
}

/// Links to every file of Wireshark's global plugin folder but an installed `mptcpx.so`, under
/// `root/<version>/`: with `WIRESHARK_PLUGIN_DIR=root`, tshark loads Wireshark's own plugins
/// and the one under test, not a copy installed for every user (`install.sh --system`).
fn mirror_global_plugins(root: &Path) {
    let Some(global) = global_plugin_dir() else {
        return;
    };
    let Some(version) = global.file_name() else {
        return;
    };
    let Ok(kinds) = fs::read_dir(&global) else {
        return;
    };
    for kind in kinds.flatten().filter(|k| k.path().is_dir()) {
        let dir = root.join(version).join(kind.file_name());
        fs::create_dir_all(&dir).expect("create plugin mirror");
        for plugin in fs::read_dir(kind.path()).into_iter().flatten().flatten() {
            if plugin.file_name() != "mptcpx.so" {
                std::os::unix::fs::symlink(plugin.path(), dir.join(plugin.file_name()))
                    .expect("link a plugin");
            }
        }
    }
}

static ENV: OnceLock<Env> = OnceLock::new();

/// The environment of the plugin cargo built with this test binary.
pub fn env() -> &'static Env {
    ENV.get_or_init(|| Env::install(None, &plugin_library()))
}

/// Removes the private HOMEs of earlier test runs whose process is gone
/// (`mptcpx-tests-PID` and `mptcpx-tests-PID.LABEL`).
fn remove_stale_homes() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix("mptcpx-tests-")) else {
            continue;
        };
        let pid = rest.split_once('.').map_or(rest, |(pid, _)| pid);
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

impl Env {
    /// A private HOME with `library` installed as the plugin. `label` names environments
    /// other than the default one of [`env()`], so that several can live in one process.
    pub fn install(label: Option<&str>, library: &Path) -> Env {
        remove_stale_homes();
        let name = match label {
            None => format!("mptcpx-tests-{}", std::process::id()),
            Some(label) => format!("mptcpx-tests-{}.{label}", std::process::id()),
        };
        let root = std::env::temp_dir().join(name);
        let _ = fs::remove_dir_all(&root);
        let version = format!("{}.{}", mptcpx::WS_VERSION_MAJOR, mptcpx::WS_VERSION_MINOR);
        let plugin_dir = root
            .join("home/.local/lib/wireshark/plugins")
            .join(version)
            .join("epan");
        fs::create_dir_all(&plugin_dir).expect("create plugin folder");
        fs::copy(library, plugin_dir.join("mptcpx.so"))
            .unwrap_or_else(|e| panic!("install plugin {}: {e}", library.display()));
        let captures = root.join("captures");
        fs::create_dir_all(&captures).expect("create captures folder");
        let global_plugins = root.join("global-plugins");
        fs::create_dir_all(&global_plugins).expect("create plugin mirror");
        mirror_global_plugins(&global_plugins);
        let as_nobody = is_root();
        fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).expect("chmod");
        if as_nobody {
            chown_tree(&root);
        }
        Env {
            home: root.join("home"),
            captures,
            global_plugins,
            as_nobody,
        }
    }

    /// A copy of `capture` that tshark can read (as nobody when run as root).
    pub fn readable(&self, capture: &Path) -> PathBuf {
        let name = capture.file_name().expect("file name");
        let copy = self.captures.join(name);
        if !copy.exists() {
            fs::copy(capture, &copy).unwrap_or_else(|e| panic!("copy {}: {e}", capture.display()));
            fs::set_permissions(&copy, fs::Permissions::from_mode(0o644)).expect("chmod");
            if self.as_nobody {
                chown_nobody(&copy);
            }
        }
        copy
    }

    /// A scratch directory tshark's user can read, for generated captures.
    pub fn scratch(&self, name: &str) -> PathBuf {
        let dir = self.captures.join(name);
        fs::create_dir_all(&dir).expect("scratch dir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        dir
    }

    /// Makes a file created by the tests readable by tshark's user.
    pub fn share(&self, path: &Path) {
        fs::set_permissions(path, fs::Permissions::from_mode(0o644)).expect("chmod");
        if self.as_nobody {
            chown_nobody(path);
        }
    }

    /// Runs tshark with `args`.
    pub fn tshark(&self, args: &[&str]) -> Tshark {
        self.tshark_with_env(args, &[])
    }

    /// Runs tshark with `args` and the environment variables `vars` added.
    pub fn tshark_with_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Tshark {
        let mut cmd = if self.as_nobody {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "tshark"]);
            c
        } else {
            Command::new("tshark")
        };
        cmd.args(args)
            .env("HOME", &self.home)
            .env("WIRESHARK_PLUGIN_DIR", &self.global_plugins)
            .env_remove("MPTCPX_INJECT_PANIC")
            .env("LC_ALL", "C.UTF-8")
            .envs(vars.iter().copied());
        let output = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run tshark ({e}): is it installed?"));
        Tshark {
            args: args.iter().map(|s| s.to_string()).collect(),
            output,
        }
    }
}

/// One tshark run.
pub struct Tshark {
    pub args: Vec<String>,
    pub output: Output,
}

impl Tshark {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Asserts exit status 0 and returns stdout.
    pub fn ok(&self) -> String {
        assert!(
            self.output.status.success(),
            "tshark {:?} failed ({}):\n{}",
            self.args,
            self.output.status,
            self.stderr()
        );
        self.stdout()
    }
}

/// Runs `tshark -r capture -T fields -e f1 -e f2 ...` and returns one row per frame, each a
/// list of per-field value lists (tshark's "," aggregation split).
pub fn fields(capture: &Path, extra: &[&str], fields: &[&str]) -> Vec<Vec<Vec<String>>> {
    let env = env();
    let file = env.readable(capture);
    let mut args: Vec<&str> = vec!["-r", file.to_str().expect("utf-8 path"), "-T", "fields"];
    args.extend_from_slice(extra);
    for f in fields {
        args.push("-e");
        args.push(f);
    }
    args.extend_from_slice(&[
        "-E",
        "separator=;",
        "-E",
        "aggregator=,",
        "-E",
        "occurrence=a",
    ]);
    let out = env.tshark(&args).ok();
    out.lines()
        .map(|line| {
            line.split(';')
                .map(|cell| {
                    if cell.is_empty() {
                        Vec::new()
                    } else {
                        cell.split(',').map(str::to_string).collect()
                    }
                })
                .collect()
        })
        .collect()
}

/// Frames of the capture at `path` (one tshark can read: [`Env::readable`]) matching `filter`,
/// in one pass or two, with `extra` tshark arguments.
pub fn frames_in(path: &Path, two_pass: bool, filter: &str, extra: &[&str]) -> Vec<u32> {
    let mut args = frame_query(path, two_pass, filter);
    args.extend_from_slice(extra);
    let out = env().tshark(&args).ok();
    frame_numbers(path.display(), &out)
}

/// The tshark arguments that print the number of every frame of `path` matching `filter`, one
/// a line, in one pass or two.
pub fn frame_query<'a>(path: &'a Path, two_pass: bool, filter: &'a str) -> Vec<&'a str> {
    let mut args = vec![
        "-r",
        path.to_str().expect("utf-8 path"),
        "-Y",
        filter,
        "-T",
        "fields",
        "-e",
        "frame.number",
    ];
    if two_pass {
        args.push("-2");
    }
    args
}

/// The frame numbers tshark printed, one a line, for the capture `name`.
pub fn frame_numbers(name: impl std::fmt::Display, out: &str) -> Vec<u32> {
    out.lines()
        .map(|l| {
            l.trim()
                .parse()
                .unwrap_or_else(|_| panic!("{name}: frame number {l:?}"))
        })
        .collect()
}

/// The value of `attr="..."` in a PDML line.
pub fn pdml_attr<'a>(line: &'a str, attr: &str) -> Option<&'a str> {
    let key = format!(" {attr}=\"");
    let start = line.find(&key)? + key.len();
    let len = line[start..].find('"')?;
    Some(&line[start..start + len])
}
