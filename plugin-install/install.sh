#!/bin/sh
# Installs the MPTCP analysis plugin on Debian in one command: the system packages it needs
# (a C compiler and linker, libclang for the bindings, Wireshark's development files, tshark,
# and Debian's Rust when there is no cargo and Debian's is new enough), then
# `cargo run --release -p plugin-install` with the arguments given (--system, --user NAME,
# --uninstall; see --help).
set -e
cd "$(dirname "$0")/.."

# The oldest Rust that builds the workspace: Cargo.toml's rust-version.
min_rust=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        sh -c "$1"
    elif command -v sudo >/dev/null 2>&1; then
        sudo sh -c "$1"
    else
        echo "install.sh: run as root: $1" >&2
        exit 1
    fi
}

# Where a toolchain of at least $min_rust comes from on this machine, as the command to run.
toolchain_command() {
    web=$(apt-cache policy cargo-web 2>/dev/null | sed -n 's/^ *Candidate: *//p')
    if [ -n "$web" ] && [ "$web" != "(none)" ] && dpkg --compare-versions "$web" ge "$min_rust"; then
        echo "sudo apt-get install cargo-web    # Debian's Rust $web"
    else
        echo "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh    # rustup"
    fi
}

too_old() {
    echo "install.sh: the plugin needs Rust $min_rust or newer; $1." >&2
    echo "Get a newer toolchain, then run this again:" >&2
    echo "    $(toolchain_command)" >&2
    exit 1
}

packages="gcc libc6-dev pkg-config libclang-dev tshark libwireshark-dev wireshark-dev"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done

if command -v cargo >/dev/null 2>&1; then
    have=$(rustc --version 2>/dev/null | cut -d' ' -f2)
    if [ -z "$have" ] || ! dpkg --compare-versions "$have" ge "$min_rust"; then
        too_old "the rustc found is ${have:-missing} ($(command -v cargo))"
    fi
else
    # No cargo: Debian's, when it is new enough (Debian 13 and later). The package lists
    # first, so that apt-cache knows the release's own version.
    as_root "apt-get update -qq"
    lists_updated=1
    debian=$(apt-cache policy rustc 2>/dev/null | sed -n 's/^ *Candidate: *//p')
    if [ -n "$debian" ] && [ "$debian" != "(none)" ] && dpkg --compare-versions "$debian" ge "$min_rust"; then
        missing="$missing cargo"
    else
        too_old "cargo is not installed and this system's own is Rust ${debian:-unknown}"
    fi
fi

if [ -n "$missing" ]; then
    # apt's and dpkg's progress go to a log, shown if the install fails.
    log=$(mktemp "${TMPDIR:-/tmp}/mptcpx-apt.XXXXXX")
    echo "Installing:$missing (apt-get; a few minutes)"
    install="DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$missing"
    [ -n "${lists_updated:-}" ] || install="apt-get update -qq && $install"
    if ! as_root "$install" >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        echo "install.sh: apt-get failed (the whole log: $log)" >&2
        exit 1
    fi
    rm -f "$log"
fi
exec cargo run --release -p plugin-install -- "$@"
