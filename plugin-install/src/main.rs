//! Builds the MPTCPX Wireshark plugin and installs it for the installed Wireshark.
//!
//! ```text
//! cargo run --release -p plugin-install [-- OPTIONS]
//! ```
//! Checks for tshark and Wireshark's development files (installing them with apt-get when run
//! as root), builds the plugin in release mode, installs it in the personal plugin folder
//! `~/.local/lib/wireshark/plugins/X.Y/epan/` (or the global one with `--system`), and proves
//! that Wireshark loads it by running `tshark -G plugins` as the user who will use it.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{exit, Command, Stdio};

const PACKAGES: &[&str] = &[
    "gcc",
    "libc6-dev",
    "pkg-config",
    "libclang-dev",
    "tshark",
    "libwireshark-dev",
    "wireshark-dev",
];
const PLUGIN_FILE: &str = "mptcpx.so";

const USAGE: &str = "\
plugin-install: build the MPTCPX Wireshark plugin and install it

usage: cargo run --release -p plugin-install [-- OPTIONS]

options:
  --system        install in Wireshark's global plugin folder (needs root);
                  the default is the personal folder ~/.local/lib/wireshark/plugins/X.Y/epan
  --user NAME     install in NAME's personal folder (as root; under sudo the default is
                  the user who ran sudo)
  --uninstall     remove the plugin (personal folder, or the global one with --system)
  --no-build      install the plugin already built in target/release
  -h, --help      this help

Wireshark ignores personal plugin folders when it runs as root: install for the user who
runs Wireshark, or use --system.";

#[derive(Default)]
struct Options {
    system: bool,
    user: Option<String>,
    uninstall: bool,
    no_build: bool,
}

/// Who the plugin is installed for.
struct Account {
    name: String,
    uid: u32,
    gid: u32,
    home: PathBuf,
}

type Result<T> = std::result::Result<T, String>;

fn main() {
    let opts = match parse_args(env::args_os().skip(1).collect()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("plugin-install: {e}\n\n{USAGE}");
            exit(2);
        }
    };
    if let Err(e) = run(&opts) {
        eprintln!("\nplugin-install: error: {e}");
        exit(1);
    }
}

fn parse_args(args: Vec<OsString>) -> Result<Options> {
    let mut opts = Options::default();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        match arg.to_str() {
            Some("--system") => opts.system = true,
            Some("--uninstall") => opts.uninstall = true,
            Some("--no-build") => opts.no_build = true,
            Some("--user") => {
                let name = it.next().ok_or("--user needs a user name")?;
                opts.user = Some(name.into_string().map_err(|_| "user name is not UTF-8")?);
            }
            Some("-h" | "--help") => {
                println!("{USAGE}");
                exit(0);
            }
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    if opts.system && opts.user.is_some() {
        return Err("--system and --user exclude each other".into());
    }
    Ok(opts)
}

fn run(opts: &Options) -> Result<()> {
    let root = is_root();
    ensure_packages(root)?;
    let version = wireshark_version()?;
    println!("Wireshark {version} (pkg-config) is installed.");

    let account = if opts.system {
        None
    } else {
        Some(target_account(opts, root)?)
    };
    let dest_dir = match &account {
        None => PathBuf::from(pkg_config(&["--variable=plugindir", "wireshark"])?).join("epan"),
        Some(a) => a
            .home
            .join(".local/lib/wireshark/plugins")
            .join(&version)
            .join("epan"),
    };
    let dest = dest_dir.join(PLUGIN_FILE);
    if opts.system && !root {
        return Err(format!(
            "the global plugin folder {} needs root: run `sudo -E env PATH=$PATH sh plugin-install/install.sh --system`, \
             or install for yourself without --system",
            dest_dir.display()
        ));
    }
    if let Some(a) = &account {
        if a.uid == 0 {
            return Err(format!(
                "this would install into root's personal folder ({}), but Wireshark ignores personal plugins \
                 when it runs as root.\nInstall for the user who runs Wireshark, or system-wide:\n    \
                 sh plugin-install/install.sh --user NAME\n    sh plugin-install/install.sh --system",
                dest_dir.display()
            ));
        }
    }

    if opts.uninstall {
        return uninstall(&dest, account.as_ref());
    }

    let built = if opts.no_build {
        built_library()?
    } else {
        build()?
    };
    install(&built, &dest_dir, &dest, account.as_ref())?;
    verify(&dest, account.as_ref())?;
    demo(account.as_ref())?;
    usage_example(account.as_ref());
    Ok(())
}

// ---- Prerequisites ---------------------------------------------------------------------

fn have(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn ensure_packages(root: bool) -> Result<()> {
    let tshark = have("tshark", &["--version"]);
    let dev = have("pkg-config", &["--exists", "wireshark"]);
    let clang = libclang_present();
    if tshark && dev && clang {
        return Ok(());
    }
    let install = format!("apt-get install -y {}", PACKAGES.join(" "));
    let mut missing = Vec::new();
    if !tshark {
        missing.push("tshark");
    }
    if !dev {
        missing.push("Wireshark's development files (pkg-config wireshark)");
    }
    if !clang {
        missing.push("libclang");
    }
    // As root, apt-get itself; otherwise through sudo (which asks for a password) when there is one.
    let sudo = !root && have("sudo", &["--version"]);
    if !root && !sudo {
        return Err(format!(
            "missing: {}. Install them as root with:\n    {install}",
            missing.join(", ")
        ));
    }
    let how = if sudo { "sudo apt-get" } else { "apt-get" };
    println!("Missing: {}. Installing with {how}...", missing.join(", "));
    let apt = |args: &[&str]| {
        let mut c = if sudo {
            Command::new("sudo")
        } else {
            Command::new("apt-get")
        };
        if sudo {
            c.args(["DEBIAN_FRONTEND=noninteractive", "apt-get"]);
        }
        c.args(args)
            .args(if args[0] == "install" { PACKAGES } else { &[] });
        c.env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map_err(|e| e.to_string())
    };
    if !apt(&["update", "-q"])?.success() {
        return Err(format!("{how} update failed"));
    }
    if !apt(&["install", "-y", "-q"])?.success() {
        return Err(format!(
            "`{how} install` failed; run `sudo {install}` yourself"
        ));
    }
    if !have("tshark", &["--version"]) || !have("pkg-config", &["--exists", "wireshark"]) {
        return Err("tshark or libwireshark-dev still missing after apt-get".into());
    }
    Ok(())
}

/// bindgen needs libclang: LIBCLANG_PATH, or a libclang*.so* where Debian puts it.
fn libclang_present() -> bool {
    let has_lib = |dir: &Path| {
        fs::read_dir(dir).is_ok_and(|entries| {
            entries.flatten().any(|e| {
                let n = e.file_name();
                let n = n.to_string_lossy();
                n.starts_with("libclang") && n.contains(".so")
            })
        })
    };
    if env::var_os("LIBCLANG_PATH").is_some_and(|p| has_lib(Path::new(&p))) {
        return true;
    }
    let mut dirs = vec![
        PathBuf::from("/usr/lib/x86_64-linux-gnu"),
        PathBuf::from("/usr/lib64"),
        PathBuf::from("/usr/lib"),
    ];
    if let Ok(entries) = fs::read_dir("/usr/lib") {
        dirs.extend(
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("llvm-"))
                .map(|e| e.path().join("lib")),
        );
    }
    dirs.iter().any(|d| has_lib(d))
}

fn pkg_config(args: &[&str]) -> Result<String> {
    let out = Command::new("pkg-config")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run pkg-config: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "pkg-config {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// "X.Y" of the Wireshark the plugin is built against; warns when tshark is another release.
fn wireshark_version() -> Result<String> {
    let full = pkg_config(&["--modversion", "wireshark"])?;
    let mut parts = full.split('.');
    let (Some(major), Some(minor)) = (parts.next(), parts.next()) else {
        return Err(format!(
            "cannot read the Wireshark version from pkg-config ({full:?})"
        ));
    };
    let version = format!("{major}.{minor}");
    if let Ok(out) = Command::new("tshark").arg("--version").output() {
        let text = String::from_utf8_lossy(&out.stdout);
        let first = text.lines().next().unwrap_or_default();
        if !first.contains(&format!(" {version}.")) {
            eprintln!(
                "warning: tshark reports \"{first}\" but the development files are for {full}; \
                 Wireshark loads a plugin only when its major.minor version matches"
            );
        }
    }
    Ok(version)
}

// ---- Who, where ------------------------------------------------------------------------

fn is_root() -> bool {
    // /proc/self/status: "Uid:\treal\teffective\t..."
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

fn current_uid() -> Option<u32> {
    let s = fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("Uid:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn lookup_user(pred: impl Fn(&str, u32) -> bool) -> Option<Account> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 7 {
            return None;
        }
        let uid: u32 = f[2].parse().ok()?;
        pred(f[0], uid).then(|| Account {
            name: f[0].to_string(),
            uid,
            gid: f[3].parse().unwrap_or(uid),
            home: PathBuf::from(f[5]),
        })
    })
}

fn target_account(opts: &Options, root: bool) -> Result<Account> {
    let wanted = opts.user.clone().or_else(|| {
        if root {
            env::var("SUDO_USER").ok().filter(|u| u != "root")
        } else {
            None
        }
    });
    match wanted {
        Some(name) => {
            if !root && Some(&name) != env::var("USER").ok().as_ref() {
                return Err(format!("installing for another user ({name}) needs root"));
            }
            lookup_user(|n, _| n == name)
                .ok_or_else(|| format!("no user named {name:?} in /etc/passwd"))
        }
        None => {
            let uid = current_uid().ok_or("cannot tell the current user id")?;
            let mut account = lookup_user(|_, u| u == uid).unwrap_or(Account {
                name: env::var("USER").unwrap_or_else(|_| uid.to_string()),
                uid,
                gid: uid,
                home: PathBuf::new(),
            });
            // Honour $HOME for the invoking user, as Wireshark does.
            if let Some(home) = env::var_os("HOME").filter(|h| !h.is_empty()) {
                account.home = PathBuf::from(home);
            }
            if account.home.as_os_str().is_empty() {
                return Err("cannot tell your home directory (HOME is not set)".into());
            }
            Ok(account)
        }
    }
}

// ---- Build, install, verify -------------------------------------------------------------

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn target_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

fn built_library() -> Result<PathBuf> {
    let lib = target_dir().join("release/libmptcpx.so");
    if lib.is_file() {
        Ok(lib)
    } else {
        Err(format!(
            "{} does not exist; build it with `cargo build --release -p mptcp-dissector`",
            lib.display()
        ))
    }
}

fn build() -> Result<PathBuf> {
    println!("Building the plugin: cargo build --release -p mptcp-dissector");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "mptcp-dissector"])
        .current_dir(workspace_root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("the plugin did not build (see cargo's messages above)".into());
    }
    built_library()
}

fn install(built: &Path, dir: &Path, dest: &Path, account: Option<&Account>) -> Result<()> {
    let created = create_dirs(dir)?;
    let tmp = dir.join(format!(".{PLUGIN_FILE}.{}", std::process::id()));
    fs::copy(built, &tmp)
        .map_err(|e| format!("cannot copy the plugin to {}: {e}", dir.display()))?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644)).map_err(|e| e.to_string())?;
    fs::rename(&tmp, dest).map_err(|e| format!("cannot install {}: {e}", dest.display()))?;
    // Installing as root for another user: what we created belongs to that user.
    if let Some(a) = account {
        if is_root() && a.uid != 0 {
            for path in created.iter().map(PathBuf::as_path).chain([dest]) {
                std::os::unix::fs::chown(path, Some(a.uid), Some(a.gid))
                    .map_err(|e| format!("cannot give {} to {}: {e}", path.display(), a.name))?;
            }
        }
    }
    println!("Installed {}", dest.display());
    Ok(())
}

/// Creates `dir` and its missing parents; returns those it created, outermost first.
fn create_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut d = Some(dir);
    while let Some(p) = d {
        if p.exists() {
            break;
        }
        missing.push(p.to_path_buf());
        d = p.parent();
    }
    missing.reverse();
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(missing)
}

/// `tshark -G plugins` as the user who will use the plugin.
fn tshark_plugins(account: Option<&Account>) -> Result<String> {
    tshark_as(account, &["-G", "plugins"])
}

/// Runs tshark with `args` as the user who will use the plugin; returns its output.
fn tshark_as(account: Option<&Account>, args: &[&str]) -> Result<String> {
    let mut cmd = match account {
        Some(a) if current_uid() != Some(a.uid) => {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={}", a.uid))
                .arg(format!("--regid={}", a.gid))
                .arg("--init-groups")
                .arg("tshark");
            c.env("HOME", &a.home)
                .env("USER", &a.name)
                .env("LOGNAME", &a.name);
            c
        }
        Some(a) => {
            let mut c = Command::new("tshark");
            c.env("HOME", &a.home);
            c
        }
        None => Command::new("tshark"),
    };
    let out = cmd
        .args(args)
        .current_dir("/")
        .output()
        .map_err(|e| format!("cannot run tshark: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "tshark {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A small capture of the repository (an MP_FASTCLOSE that is never answered), to show the
/// plugin at work right after installing it.
const SAMPLE: &[u8] = include_bytes!("../../tests/captures/fastclose_unanswered.pcap");

/// Runs the installed plugin on the sample, as its user, and shows what it finds.
fn demo(account: Option<&Account>) -> Result<()> {
    let path = env::temp_dir().join(format!("mptcpx-sample-{}.pcap", std::process::id()));
    fs::write(&path, SAMPLE).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    // Readable by the user tshark runs as.
    let _ = fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let sample = path.to_string_lossy().into_owned();
    let args = [
        "-r",
        &sample,
        "-2",
        "-Y",
        "mptcpx.fastclose.retransmission",
        "-T",
        "fields",
        "-E",
        "header=y",
        "-e",
        "frame.number",
        "-e",
        "mptcpx.subtype",
        "-e",
        "mptcpx.fastclose.first",
        "-e",
        "mptcpx.fastclose.retransmission",
        "-e",
        "_ws.expert.message",
    ];
    let out = tshark_as(account, &args);
    let _ = fs::remove_file(&path);
    let out = out?;
    println!("\nOn a sample capture (an MP_FASTCLOSE retransmitted and never answered):\n    tshark -r sample.pcap -2 -Y mptcpx.fastclose.retransmission -T fields ...");
    for line in out.lines() {
        println!("    {}", line.replace('\t', "  "));
    }
    if !out.contains("MP_FASTCLOSE unanswered") {
        return Err("the plugin loaded but did not analyse the sample capture".into());
    }
    Ok(())
}

fn verify(dest: &Path, account: Option<&Account>) -> Result<()> {
    let who = account.map_or("root (global folder)".to_string(), |a| a.name.clone());
    let listing = tshark_plugins(account)?;
    let line = listing.lines().find(|l| l.starts_with(PLUGIN_FILE));
    match line {
        Some(l) if l.contains(&*dest.to_string_lossy()) => {
            println!("Loaded: `tshark -G plugins` run as {who} lists\n    {}", l.split_whitespace().collect::<Vec<_>>().join("  "));
            Ok(())
        }
        Some(l) => Err(format!("tshark loads another copy of the plugin first: {l}\nRemove it, or uninstall it with --uninstall (--system)")),
        None => Err(format!(
            "tshark run as {who} does not list the plugin. Does that user's Wireshark match the version \
             the plugin was built for? `tshark -G plugins` said:\n{listing}"
        )),
    }
}

fn uninstall(dest: &Path, account: Option<&Account>) -> Result<()> {
    match fs::remove_file(dest) {
        Ok(()) => println!("Removed {}", dest.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("Not installed: {} does not exist", dest.display())
        }
        Err(e) => return Err(format!("cannot remove {}: {e}", dest.display())),
    }
    if let Ok(listing) = tshark_plugins(account) {
        if let Some(l) = listing.lines().find(|l| l.starts_with(PLUGIN_FILE)) {
            println!("Note: tshark still loads a copy from elsewhere: {l}");
        }
    }
    Ok(())
}

fn usage_example(account: Option<&Account>) {
    let who = account.map_or("any user".to_string(), |a| a.name.clone());
    println!(
        "\nThe plugin is ready for {who}. Try:\n    \
         tshark -r capture.pcap -2 -q -z expert,note          # every finding\n    \
         tshark -r capture.pcap -Y mptcpx -O tcp,mptcpx         # every option, decoded\n    \
         tshark -r capture.pcap -2 -Y 'mptcpx.fallback.options_missing || mptcpx.dss.checksum_bad'\n    \
         tshark -r capture.pcap -Y mptcpx.fault.cause -T fields -e frame.number -e mptcpx.fault.cause -e mptcpx.fault.stream\n\
         In Wireshark: filter `mptcpx`, Analyze > Expert Information; preferences under Protocols > MPTCPX.\n\
         What each finding means: docs/findings.md."
    );
}
