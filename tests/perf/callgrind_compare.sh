#!/usr/bin/env bash
# Instructions (valgrind's callgrind) that tshark executes per packet with the plugin and
# without it: stable where wall times are not (a shared or virtual machine).
#
#   bash tests/perf/callgrind_compare.sh [CAPTURE [FIRST LAST]]
#
# Default: packets 400,001 to 450,000 of target/perf/bulk.pcap (its DSS-checksum half). The
# runs, each on that slice and on its first packet alone (tshark's start-up, subtracted):
#   tree   tshark -r F -Y mptcp
#   2pass  tshark -r F -2 -Y mptcpx   (without the plugin -Y mptcp)
# with the plugin, without it, and with the plugin and -o mptcpx.analyze:FALSE. MODES selects
# (default "tree 2pass"); CACHE=1 also simulates the caches and branch predictor and adds
# first-level instruction-cache misses per packet and estimated cycles (slower): callgrind's
# usual estimate, instructions + 10 x (first-level misses + mispredicted branches) + 100 x
# last-level misses, a figure that counts the misses a plugin causes and does not move with the
# machine's load (it tells the direction of a change; its costs a miss are not this processor's).
#
# Personal plugin folders as in tshark_compare.sh: two private HOMEs, tshark as uid 65534 when
# run as root. Every run has the same seeds for Wireshark's hash maps (fixed_seed.c, preloaded):
# unpinned, they make identical runs differ by up to 0.8 % of the instructions.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
capture=${1:-$ROOT/target/perf/bulk.pcap}
first=${2:-400001}
last=${3:-450000}
MODES=${MODES:-tree 2pass}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
[ -r "$capture" ] || { echo "no capture $capture (make one with tests/perf/gen_bulk.sh)" >&2; exit 1; }

(cd "$ROOT" && cargo build --release -q -p mptcp-dissector)
version=$(pkg-config --modversion wireshark | cut -d. -f1,2)
work=$(mktemp -d /tmp/mptcpx-callgrind.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/with/.local/lib/wireshark/plugins/$version/epan" "$work/without" "$work/out"
cp "${CARGO_TARGET_DIR:-$ROOT/target}/release/libmptcpx.so" "$work/with/.local/lib/wireshark/plugins/$version/epan/mptcpx.so"
editcap -r "$capture" "$work/slice.pcap" "$first-$last"
editcap -r "$capture" "$work/one.pcap" "$first"
packets=$((last - first + 1))
as_user=()
if [ "$(id -u)" -eq 0 ]; then
    chown -R 65534:65534 "$work"
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
cc -O2 -shared -fPIC -o "$work/fixed_seed.so" "$ROOT/tests/perf/fixed_seed.c"
chmod -R a+rX "$work"
HOME=$work/with "${as_user[@]}" tshark -G plugins 2>/dev/null | grep -q mptcpx.so || { echo "the plugin did not load" >&2; exit 1; }

sim=()
[ "${CACHE:-0}" = 1 ] && sim=(--cache-sim=yes --branch-sim=yes)

# Prints "instructions I1-misses estimated-cycles" of one run (the last two 0 without CACHE=1).
count() { # HOME FILE -- tshark args...
    local home=$1 file=$2 out
    shift 2
    out=$work/out/$RANDOM.$RANDOM
    LD_PRELOAD=$work/fixed_seed.so HOME=$home "${as_user[@]}" valgrind --tool=callgrind "${sim[@]}" --callgrind-out-file=/dev/null \
        tshark -r "$file" "$@" >/dev/null 2>"$out"
    # Collected: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim (from $4)
    awk '/Collected :/ {
        if ($7 == "") { print $4, 0, 0; next }
        print $4, $7, $4 + 10 * ($7 + $8 + $9 + $14 + $16) + 100 * ($10 + $11 + $12)
    }' "$out"
}

# Per packet over the slice, start-up subtracted.
per_packet() { # HOME -- tshark args...
    local home=$1 whole one
    shift
    whole=$(count "$home" "$work/slice.pcap" "$@")
    one=$(count "$home" "$work/one.pcap" "$@")
    echo "$whole $one" | awk -v n="$packets" '{ printf "%.0f %.1f %.0f\n", ($1 - $4) / (n - 1), ($2 - $5) / (n - 1), ($3 - $6) / (n - 1) }'
}

echo "tshark $(tshark --version | head -1 | awk '{print $3}'), plugin $(cd "$ROOT" && git describe --always --dirty), $(basename "$capture") packets $first-$last"
echo
if [ "${CACHE:-0}" = 1 ]; then
    echo '| mode | without: instructions a packet | with | overhead | analysis off | overhead | without: estimated cycles a packet | with | overhead | analysis off | overhead |'
    echo '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
else
    echo '| mode | without: instructions a packet | with | overhead | analysis off | overhead |'
    echo '|---|---:|---:|---:|---:|---:|'
fi
for mode in $MODES; do
    case $mode in
        tree) with_args=(-Y mptcp); without_args=(-Y mptcp) ;;
        2pass) with_args=(-2 -Y mptcpx); without_args=(-2 -Y mptcp) ;;
        *) echo "unknown mode $mode" >&2; exit 1 ;;
    esac
    read -r i0 m0 c0 < <(per_packet "$work/without" "${without_args[@]}")
    read -r i1 m1 c1 < <(per_packet "$work/with" "${with_args[@]}")
    read -r i2 m2 c2 < <(per_packet "$work/with" "${with_args[@]}" -o mptcpx.analyze:FALSE)
    pct() { echo "$1 $2" | awk '{ printf "%+.1f %%", ($2 - $1) / $1 * 100 }'; }
    if [ "${CACHE:-0}" = 1 ]; then
        printf '| %s | %s (%s I1 misses) | %s (%s) | %s | %s (%s) | %s | %s | %s | %s | %s | %s |\n' "$mode" "$i0" "$m0" "$i1" "$m1" "$(pct "$i0" "$i1")" "$i2" "$m2" "$(pct "$i0" "$i2")" \
            "$c0" "$c1" "$(pct "$c0" "$c1")" "$c2" "$(pct "$c0" "$c2")"
    else
        printf '| %s | %s | %s | %s | %s | %s |\n' "$mode" "$i0" "$i1" "$(pct "$i0" "$i1")" "$i2" "$(pct "$i0" "$i2")"
    fi
done
