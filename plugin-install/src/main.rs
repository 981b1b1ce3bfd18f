//! Builds the MPTCPX Wireshark plugin and installs it (work in progress).

fn main() {
    eprintln!("plugin-install: not implemented yet; build with `cargo build --release -p mptcp-dissector`");
    std::process::exit(2);
}
