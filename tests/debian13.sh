#!/usr/bin/env bash
# Builds the plugin and runs every test with Debian 13's own Rust (its packaged cargo and
# rustc) and Wireshark 4.4, in a trixie chroot that does not see the host's toolchain: a change
# that needs a newer Rust than the workspace's rust-version fails here, not on a user's
# machine. The plugin's build must be free of warnings. Run as root, with ../shared/tools
# beside the repository (chroot.sh; set CHROOT_SH to use another copy).
set -euo pipefail
cd "$(dirname "$0")/.."

chroot_sh=${CHROOT_SH:-../shared/tools/chroot.sh}
if [ ! -r "$chroot_sh" ]; then
    echo "debian13.sh: $chroot_sh is missing: the chroot tool comes with ../shared/tools" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
# What a Debian 13 user installs: the packages of install.sh and tests/run.sh, and cargo.
export CHROOT_PKGS="tshark libwireshark-dev wireshark-dev libclang-dev pkg-config gcc libc6-dev ca-certificates python3 cargo"
bash "$chroot_sh" make trixie

# The host's toolchain is mounted in the chroot but left off PATH: /usr/bin/cargo is Debian's.
# shellcheck disable=SC2016  # expanded inside the chroot
bash "$chroot_sh" run trixie -e PATH=/usr/sbin:/usr/bin:/sbin:/bin -e CARGO_HOME=/root/.cargo-debian -- sh -ec '
    echo "== Debian $(cat /etc/debian_version): $(cargo --version), $(rustc --version), tshark $(dpkg-query -W -f="\${Version}" tshark)"
    case $(command -v cargo) in /usr/bin/cargo) ;; *) echo "not Debian'"'"'s cargo: $(command -v cargo)" >&2; exit 1 ;; esac
    status=0
    cargo build --release -p mptcp-dissector >/tmp/plugin-build.log 2>&1 || status=$?
    cat /tmp/plugin-build.log
    [ "$status" -eq 0 ]
    if grep -q "^warning" /tmp/plugin-build.log; then
        echo "debian13.sh: the plugin builds with warnings on Debian 13" >&2
        exit 1
    fi
    bash tests/run.sh'
