#!/usr/bin/env bash
# Runs every test of the project: the parser's unit, vector, capture and property tests, and
# the plugin's integration tests through real tshark. Installs the Debian packages they need
# when run as root (otherwise says which to install).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(gcc libc6-dev pkg-config libclang-dev tshark libwireshark-dev wireshark-dev python3)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "Installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "Missing Debian packages: ${missing[*]}" >&2
        echo "Install them with: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

# The repository's own captures (tests/captures) cover what the tests assert; the shared set
# beside the repository, when present, is an extra corpus that runs too.
if [ ! -d ../shared/captures ]; then
    echo "../shared/captures is absent: only the repository's captures (tests/captures) run"
fi

cargo test --workspace --release --features mptcp-parse/analysis
# Benchmarks are built, never timed here (BENCHMARKS.md has the figures and the commands).
cargo build --workspace --release --features mptcp-parse/analysis --benches --examples
