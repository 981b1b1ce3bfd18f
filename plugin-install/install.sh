#!/bin/sh
# Installs the MPTCP analysis plugin on Debian in one command: the system packages it needs
# (a C compiler and linker, libclang for the bindings, Wireshark's development files, tshark),
# then `cargo run --release -p plugin-install` with the arguments given (--system, --user
# NAME, --uninstall; see --help).
set -e
cd "$(dirname "$0")/.."

packages="gcc libc6-dev pkg-config libclang-dev tshark libwireshark-dev wireshark-dev"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "Installing:$missing"
    install="apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$missing"
    if [ "$(id -u)" -eq 0 ]; then
        sh -c "$install"
    elif command -v sudo >/dev/null 2>&1; then
        sudo sh -c "$install"
    else
        echo "Run as root: apt-get install$missing" >&2
        exit 1
    fi
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo not found: install a Rust toolchain first (Debian: apt-get install cargo, or rustup)" >&2
    exit 1
fi
exec cargo run --release -p plugin-install -- "$@"
