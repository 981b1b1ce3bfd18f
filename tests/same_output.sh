#!/usr/bin/env bash
# The safety net of a refactor: what the plugin shows on every capture, saved before a change
# and compared after it.
#
#   tests/same_output.sh save DIR    writes the plugin's output for every capture into DIR
#   tests/same_output.sh check DIR   writes it again and compares with DIR: exit 1 on a change
#
# For each capture of tests/captures/ and of ../shared/captures/ (when present):
#   NAME.items    the plugin's items in two passes (tshark -2 -T pdml: every field named
#                 mptcpx..., with its text, offset and value, under its frame number)
#   NAME.fields1  every mptcpx field of `tshark -G fields`, one line a frame, in one pass
#   NAME.fields2  the same in two passes
# The plugin is the one cargo builds from this tree (target/release/libmptcpx.so), loaded from
# a private HOME, beside Wireshark's own plugins but not beside an installed copy of it. As
# root, tshark runs as nobody (Wireshark ignores personal plugins for root).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
[ $# -eq 2 ] || usage
mode=$1 dir=$2
case $mode in save | check) ;; *) usage ;; esac

cargo build --release -p mptcp-dissector >&2
work=$(mktemp -d "${TMPDIR:-/tmp}/same-output.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

# The plugin in a private HOME, and Wireshark's own plugins without an installed mptcpx.so.
version=$(tshark --version 2>/dev/null | sed -n '1s/.* \([0-9]*\.[0-9]*\)\.[0-9]*.*/\1/p')
mkdir -p "$work/home/.local/lib/wireshark/plugins/$version/epan" "$work/global" "$work/captures"
cp target/release/libmptcpx.so "$work/home/.local/lib/wireshark/plugins/$version/epan/mptcpx.so"
global=$(tshark -G folders 2>/dev/null | sed -n 's/^Global Plugins:[[:space:]]*//p')
for kind in "$global"/*/; do
    [ -d "$kind" ] || continue
    mkdir -p "$work/global/$version/$(basename "$kind")"
    for so in "$kind"*; do
        [ "$(basename "$so")" = mptcpx.so ] || ln -s "$so" "$work/global/$version/$(basename "$kind")/"
    done
done
as_user=()
if [ "$(id -u)" -eq 0 ]; then
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    chown -R 65534:65534 "$work/home"
fi
ts() { HOME="$work/home" WIRESHARK_PLUGIN_DIR="$work/global" LC_ALL=C.UTF-8 "${as_user[@]}" tshark "$@"; }
ts -G plugins | grep -q '^mptcpx\.so' || { echo "same_output.sh: tshark does not load the plugin" >&2; exit 1; }

captures=(tests/captures/*.pcap)
if [ -d ../shared/captures ]; then
    while IFS= read -r f; do captures+=("$f"); done < <(find ../shared/captures -name '*.pcap*' | sort)
else
    echo "../shared/captures is absent: only the repository's captures (tests/captures)" >&2
fi
fields=()
while IFS= read -r f; do fields+=(-e "$f"); done < <(ts -G fields | awk -F'\t' '$1 == "F" && $3 ~ /^mptcpx\./ {print $3}')

out=$work/out
mkdir -p "$out"
for capture in "${captures[@]}"; do
    name=$(echo "${capture#../shared/captures/}" | tr / _)
    name=${name#tests_captures_}
    copy=$work/captures/$(basename "$capture")
    cp "$capture" "$copy" && chmod 644 "$copy"
    ts -r "$copy" -2 -T pdml | grep -E '<field name="(num|mptcpx[.a-z0-9_]*)"' > "$out/$name.items" || true
    ts -r "$copy" -T fields -e frame.number "${fields[@]}" -E occurrence=a -E aggregator=, > "$out/$name.fields1"
    ts -r "$copy" -2 -T fields -e frame.number "${fields[@]}" -E occurrence=a -E aggregator=, > "$out/$name.fields2"
done
count=${#captures[@]}

if [ "$mode" = save ]; then
    rm -rf "$dir" && mkdir -p "$dir" && cp "$out"/* "$dir"/
    echo "saved the plugin's output on $count captures in $dir"
elif diff -r "$dir" "$out" > "$work/diff"; then
    echo "same output on $count captures as in $dir"
else
    head -n 60 "$work/diff"
    echo "same_output.sh: the output differs from $dir ($(grep -c '^[<>]' "$work/diff") lines)" >&2
    exit 1
fi
