//! Build script of the Wireshark plugin.
//!
//! Everything that depends on the installed Wireshark is derived here, never hard-coded in
//! the Rust sources:
//! - the Wireshark version, from `pkg-config --modversion wireshark`, becomes the constants
//!   `WS_VERSION_MAJOR`/`WS_VERSION_MINOR` (written to `$OUT_DIR/ws_version.rs`; the plugin
//!   must announce exactly the version it was built against) and the cfg flags `ws_ge_4_2`,
//!   `ws_ge_4_4`, `ws_ge_4_6` for API differences;
//! - Rust bindings to the installed headers are generated with bindgen (struct layouts, such
//!   as `header_field_info` in `hf_register_info`, differ between releases);
//! - `dissector/shim.c` is compiled with the `cc` crate: Wireshark's TRY/CATCH (setjmp and
//!   longjmp) and its macros must stay in C, so that no Rust frame is ever crossed by a
//!   longjmp;
//! - the cdylib is linked against libwireshark, libwsutil and GLib.

use std::env;
use std::fs;
use std::path::PathBuf;
use std::process::exit;

const APT_HINT: &str =
    "apt-get install tshark libwireshark-dev wireshark-dev libclang-dev pkg-config";

/// Wireshark releases whose API differences the sources know about.
const KNOWN_CFGS: &[(u32, u32)] = &[(4, 2), (4, 4), (4, 6)];

fn fail(msg: &str) -> ! {
    eprintln!();
    eprintln!("error: {msg}");
    eprintln!();
    eprintln!("On Debian or Ubuntu, install what the plugin is built against with:");
    eprintln!("    sudo {APT_HINT}");
    eprintln!();
    exit(1);
}

fn parse_version(v: &str) -> Option<(u32, u32, u32)> {
    let mut it = v.trim().split('.').map(|p| {
        let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<u32>().ok()
    });
    let major = it.next()??;
    let minor = it.next()??;
    let micro = it.next().flatten().unwrap_or(0);
    Some((major, minor, micro))
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=dissector/shim.c");
    println!("cargo:rerun-if-changed=dissector/shim.h");
    println!("cargo:rerun-if-changed=dissector/bindings.h");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-env-changed=LIBCLANG_PATH");
    for (maj, min) in KNOWN_CFGS {
        println!("cargo:rustc-check-cfg=cfg(ws_ge_{maj}_{min})");
    }

    // 1. Find Wireshark.
    let ws = match pkg_config::Config::new()
        .cargo_metadata(false)
        .print_system_libs(false)
        .probe("wireshark")
    {
        Ok(lib) => lib,
        Err(e) => fail(&format!(
            "Wireshark's development files were not found by pkg-config (package `wireshark`).\n\
             The plugin is compiled against the headers and libraries of the installed Wireshark.\n\
             pkg-config said: {e}"
        )),
    };
    let (major, minor, micro) = parse_version(&ws.version).unwrap_or_else(|| {
        fail(&format!(
            "cannot parse the Wireshark version `{}` reported by pkg-config",
            ws.version
        ))
    });
    if (major, minor) < (4, 0) {
        fail(&format!(
            "Wireshark {major}.{minor} is too old: the plugin needs Wireshark 4.0 or newer"
        ));
    }
    for (maj, min) in KNOWN_CFGS {
        if (major, minor) >= (*maj, *min) {
            println!("cargo:rustc-cfg=ws_ge_{maj}_{min}");
        }
    }
    println!("cargo:rustc-env=MPTCPX_WIRESHARK_VERSION={major}.{minor}.{micro}");

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(
        out.join("ws_version.rs"),
        format!(
            "/// Major version of the Wireshark the plugin is built against.\n\
             pub const WS_VERSION_MAJOR: i32 = {major};\n\
             /// Minor version of the Wireshark the plugin is built against.\n\
             pub const WS_VERSION_MINOR: i32 = {minor};\n\
             /// Micro version of the Wireshark the plugin is built against.\n\
             pub const WS_VERSION_MICRO: i32 = {micro};\n"
        ),
    )
    .expect("write ws_version.rs");

    // 2. Bindings to the installed headers.
    let clang_args: Vec<String> = ws
        .include_paths
        .iter()
        .map(|p| format!("-I{}", p.display()))
        .chain(["-Idissector".to_string()])
        .collect();
    let builder = bindgen::Builder::default()
        .header("dissector/bindings.h")
        .clang_args(&clang_args)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .layout_tests(false)
        .derive_default(true)
        .generate_comments(false)
        .prepend_enum_name(false)
        // Version macros.
        .allowlist_var("WIRESHARK_VERSION_(MAJOR|MINOR|MICRO)")
        .allowlist_item("WS_PLUGIN_DESC_.*")
        .allowlist_var("MPTCPX_.*")
        // Types the plugin reads or builds.
        .allowlist_type("hf_register_info")
        .allowlist_type("ei_register_info")
        .allowlist_type("expert_field")
        .allowlist_type("value_string")
        .allowlist_type("true_false_string")
        .allowlist_type("proto_plugin")
        .allowlist_type("ftenum")
        .allowlist_type("field_display_e")
        .allowlist_type("ft_framenum_type")
        .allowlist_var("(FT|BASE|ENC|PI|SEP|ABSOLUTE_TIME)_.*")
        .allowlist_var("COL_INFO")
        // A segment's addresses and port type, read where the shim hands them over.
        .allowlist_type("address|address_type|port_type")
        // Registration functions (they never throw).
        .allowlist_function("proto_register_plugin")
        .allowlist_function("proto_register_protocol")
        .allowlist_function("proto_register_field_array")
        .allowlist_function("proto_register_subtree_array")
        .allowlist_function("expert_register_protocol")
        .allowlist_function("expert_register_field_array")
        // Everything per packet goes through the shim (TRY/CATCH, macros).
        .allowlist_function("mptcpx_shim_.*")
        .allowlist_type("mptcpx_.*")
        .blocklist_type("tvbuff_t|tvbuff")
        .blocklist_type("_packet_info|packet_info")
        .blocklist_type("_proto_node|proto_node|proto_tree|proto_item")
        .raw_line("pub type tvbuff_t = tvbuff;")
        .raw_line("/// Opaque Wireshark buffer.")
        .raw_line("#[repr(C)] pub struct tvbuff { _opaque: [u8; 0] }")
        .raw_line("/// Opaque Wireshark packet information.")
        .raw_line("#[repr(C)] pub struct _packet_info { _opaque: [u8; 0] }")
        .raw_line("pub type packet_info = _packet_info;")
        .raw_line("/// Opaque Wireshark protocol tree node.")
        .raw_line("#[repr(C)] pub struct _proto_node { _opaque: [u8; 0] }")
        .raw_line("pub type proto_node = _proto_node;")
        .raw_line("pub type proto_tree = proto_node;")
        .raw_line("pub type proto_item = proto_node;");

    // libclang is loaded by bindgen at run time; without it bindgen panics. Turn that into
    // a message that says what to install.
    let prev_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let generated =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || builder.generate()));
    std::panic::set_hook(prev_hook);
    let bindings = match generated {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => fail(&format!(
            "bindgen could not process Wireshark's headers ({e}).\n\
             Are libwireshark-dev and wireshark-dev installed for Wireshark {major}.{minor}?"
        )),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            fail(&format!(
                "bindgen could not run: libclang is missing or unusable (package libclang-dev; \
                 set LIBCLANG_PATH to its directory if it is installed elsewhere).\n{msg}"
            ))
        }
    };
    bindings
        .write_to_file(out.join("bindings.rs"))
        .expect("write bindings.rs");

    // 3. The C shim.
    let mut cc = cc::Build::new();
    cc.file("dissector/shim.c")
        .include("dissector")
        .warnings(true)
        .flag_if_supported("-Wno-unused-parameter")
        .define("WS_LOG_DOMAIN", "\"mptcpx\"");
    for p in &ws.include_paths {
        cc.include(p);
    }
    cc.compile("mptcpx_shim");

    // 4. Link against libwireshark and what it needs.
    for p in &ws.link_paths {
        println!("cargo:rustc-link-search=native={}", p.display());
    }
    for lib in &ws.libs {
        println!("cargo:rustc-link-lib=dylib={lib}");
    }
}
