#!/usr/bin/env bash
# A large capture of real Linux MPTCP traffic, for measuring the plugin's speed.
#
# Usage (as root, on a Linux kernel with MPTCP; needs ip, tc, tcpdump, capinfos, tshark, python3):
#     tests/perf/gen_bulk.sh [PACKETS] [OUT]
# PACKETS: the capture holds at least this many packets (default 600000); OUT: the pcap file
# (default target/perf/bulk.pcap in the repository). Environment: MTU (default 1000) of every
# link, WORKERS (default 6) connections at a time, SEED (default 1) of the session mix, PLAIN=1
# for the same sessions over plain TCP (what the plugin costs on a capture without MPTCP).
#
# NETNS (default mpbk) names the namespaces.
#
# Topology, three namespaces (NETNS-cli, NETNS-rtr, NETNS-srv; deleted on exit, also on error
# or Ctrl-C; set up by tests/captures/netns.sh):
#     mpbk-cli  c0 10.0.1.1/24  ---  r0 10.0.1.254  mpbk-rtr  r1 10.0.2.254  ---  s0 10.0.2.1/24  mpbk-srv
#               c1 10.0.4.1/24  ---  r3 10.0.4.254            r2 10.0.3.254  ---  s1 10.0.3.1/24
#               c2 10.0.5.1/24  ---  r4 10.0.5.254
# The router forwards; token bucket filters on its interfaces make each path a bottleneck of its
# own (toward the server 100 and 60 Mbit/s, toward the client 100, 60, 40 Mbit/s). The client
# has subflow endpoints 10.0.4.1 and 10.0.5.1, the server announces 10.0.3.1 (signal): each
# connection has 4 subflows (c0-s0, c1-s0, c2-s0, c0-s1). No offloads (TSO, GSO, GRO, checksum):
# wire-sized segments with real checksums.
#
# Traffic: bulkapp.py, WORKERS connections at a time, each an upload or a download of 0.5-4 MB
# or 100-400 request/response rounds, every one closed cleanly (DATA_FIN, FIN). Two phases: the
# first half of the packets without DSS checksums, the second half with them
# (net.mptcp.checksum_enabled=1 on both hosts). Captured by tcpdump on `any` in the server's
# namespace, where each packet is seen once. Once the packet count is reached, no connection is
# opened any more and those under way finish, so the capture holds a little more than PACKETS
# and no connection is cut.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PACKETS=${1:-600000}
OUT=${2:-$REPO/target/perf/bulk.pcap}
MTU=${MTU:-1000}
WORKERS=${WORKERS:-6}
SEED=${SEED:-1}
APP="python3 $HERE/bulkapp.py"
TCP_ONLY=()
[ "${PLAIN:-0}" = 0 ] || TCP_ONLY=(--tcp)
NETNS=${NETNS:-mpbk}
# shellcheck source=../captures/netns.sh
. "$REPO/tests/captures/netns.sh"
C=$NETNS-cli
R=$NETNS-rtr
S=$NETNS-srv
NAMESPACES=("$C" "$R" "$S")
PORT=5300
TMP=

case $PACKETS in
'' | *[!0-9]*) echo "PACKETS must be a number: $PACKETS" >&2; exit 2 ;;
esac
[ "$PACKETS" -ge 1000 ] || { echo "PACKETS must be at least 1000" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "gen_bulk.sh must run as root (network namespaces, tcpdump)" >&2; exit 1; }
for tool in ip tc tcpdump capinfos tshark python3; do
    command -v $tool >/dev/null || { echo "gen_bulk.sh needs $tool" >&2; exit 1; }
done
case $OUT in /*) ;; *) OUT=$PWD/$OUT ;; esac

cleanup() {
    ns_cleanup
    [ -z "$TMP" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "gen_bulk.sh: $*" >&2; exit 1; }

setup() {
    ns_add
    local ns
    for ns in "${NAMESPACES[@]}"; do
        # No IPv6 (router solicitations, neighbour discovery): only the test traffic.
        in_ns $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    done
    veth $C c0 $R r0
    veth $C c1 $R r3
    veth $C c2 $R r4
    veth $S s0 $R r1
    veth $S s1 $R r2
    in_ns $C ip addr add 10.0.1.1/24 dev c0
    in_ns $C ip addr add 10.0.4.1/24 dev c1
    in_ns $C ip addr add 10.0.5.1/24 dev c2
    in_ns $R ip addr add 10.0.1.254/24 dev r0
    in_ns $R ip addr add 10.0.2.254/24 dev r1
    in_ns $R ip addr add 10.0.3.254/24 dev r2
    in_ns $R ip addr add 10.0.4.254/24 dev r3
    in_ns $R ip addr add 10.0.5.254/24 dev r4
    in_ns $S ip addr add 10.0.2.1/24 dev s0
    in_ns $S ip addr add 10.0.3.1/24 dev s1
    links_up --mtu "$MTU" --segmentation "$C c0" "$C c1" "$C c2" "$R r0" "$R r1" "$R r2" "$R r3" \
        "$R r4" "$S s0" "$S s1"
    in_ns $R sysctl -qw net.ipv4.ip_forward=1
    # One bottleneck per path (token bucket filter on the router's way out).
    in_ns $R tc qdisc add dev r1 root tbf rate 100mbit burst 32kb latency 20ms
    in_ns $R tc qdisc add dev r2 root tbf rate 60mbit burst 32kb latency 20ms
    in_ns $R tc qdisc add dev r0 root tbf rate 100mbit burst 32kb latency 20ms
    in_ns $R tc qdisc add dev r3 root tbf rate 60mbit burst 32kb latency 20ms
    in_ns $R tc qdisc add dev r4 root tbf rate 40mbit burst 32kb latency 20ms
    # Each address answers by its own link.
    in_ns $C ip route add default via 10.0.1.254
    in_ns $C ip rule add from 10.0.4.1 table 101
    in_ns $C ip route add default via 10.0.4.254 dev c1 table 101
    in_ns $C ip rule add from 10.0.5.1 table 102
    in_ns $C ip route add default via 10.0.5.254 dev c2 table 102
    in_ns $S ip route add default via 10.0.2.254 dev s0
    in_ns $S ip rule add from 10.0.3.1 table 100
    in_ns $S ip route add default via 10.0.3.254 dev s1 table 100
    # Path manager: 3 subflows beyond the first on each connection.
    in_ns $C ip mptcp limits set subflows 3 add_addr_accepted 1
    in_ns $S ip mptcp limits set subflows 3 add_addr_accepted 0
    in_ns $C ip mptcp endpoint add 10.0.4.1 dev c1 subflow
    in_ns $C ip mptcp endpoint add 10.0.5.1 dev c2 subflow
    in_ns $S ip mptcp endpoint add 10.0.3.1 dev s1 signal
}

# Packets through the server's links (what the capture sees), from the kernel's counters.
link_packets() {
    in_ns $S awk '{ sub(/:/, " ") } $1 ~ /^s[0-9]$/ { n += $3 + $11 } END { print n + 0 }' /proc/net/dev
}

# run_phase N CHECKSUM UNTIL: connections with net.mptcp.checksum_enabled=CHECKSUM until the
# server's links have carried UNTIL packets; the connections under way then finish.
run_phase() {
    local n=$1 csum=$2 until=$3 client count last=0 stalled=0 label=off
    [ "$csum" = 0 ] || label=on
    [ ${#TCP_ONLY[@]} = 0 ] || label="off: plain TCP"
    in_ns $C sysctl -qw net.mptcp.checksum_enabled="$csum"
    in_ns $S sysctl -qw net.mptcp.checksum_enabled="$csum"
    rm -f "$TMP/stop"
    ip netns exec $C $APP client 10.0.2.1 $PORT --workers "$WORKERS" --stop-file "$TMP/stop" \
        --seed $((SEED * 10 + n)) "${TCP_ONLY[@]}" >"$TMP/client$n.log" 2>&1 &
    client=$!
    PIDS+=($client)
    while :; do
        sleep 0.2
        count=$(link_packets)
        [ "$count" -lt "$until" ] || break
        kill -0 $client 2>/dev/null || { cat "$TMP/client$n.log" >&2; fail "phase $n: the client stopped"; }
        if [ "$count" = "$last" ]; then
            stalled=$((stalled + 1))
            [ $stalled -lt 150 ] || fail "phase $n: no traffic for 30 s"
        else
            stalled=0
        fi
        last=$count
        [ ! -t 1 ] || printf '\r\033[K  phase %d (checksums %s): %d packets in all' "$n" "$label" $((count - BASE))
    done
    touch "$TMP/stop"
    wait $client || { cat "$TMP/client$n.log" >&2; fail "phase $n: client failed"; }
    [ ! -t 1 ] || printf '\r\033[K'
    echo "  phase $n (checksums $label): $(cat "$TMP/client$n.log"); $(($(link_packets) - BASE)) packets in all"
}

START=$(date +%s)
cleanup  # namespaces left by a killed run
TMP=$(mktemp -d)
mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
setup
ip netns exec $S $APP server 0.0.0.0 $PORT "${TCP_ONLY[@]}" >"$TMP/server.log" 2>&1 &
PIDS+=($!)
wait_listening $S $PORT || fail "the server did not start"

# Not through in_ns: $! must be tcpdump itself (ip netns exec execs it). 64 MB of ring buffer.
ip netns exec $S tcpdump -i any -B 65536 -Z root -w "$OUT" "tcp port $PORT" 2>"$TMP/tcpdump.log" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
for _ in $(seq 50); do
    grep -qs listening "$TMP/tcpdump.log" && break
    sleep 0.1
done
grep -qs listening "$TMP/tcpdump.log" || fail "tcpdump did not start: $(cat "$TMP/tcpdump.log")"

echo "gen_bulk.sh: $PACKETS packets to $OUT (MTU $MTU, $WORKERS connections at a time)"
BASE=$(link_packets)
run_phase 1 0 $((BASE + PACKETS / 2))
run_phase 2 1 $((BASE + PACKETS))
sleep 1
kill -INT $TCPDUMP
wait $TCPDUMP || true
dropped=$(awk '/dropped by kernel/ { print $1 }' "$TMP/tcpdump.log")
[ "${dropped:-x}" = 0 ] || fail "tcpdump lost packets: $(cat "$TMP/tcpdump.log")"
! grep -qv listening "$TMP/server.log" || fail "server errors: $(cat "$TMP/server.log")"
cleanup
TRAFFIC_END=$(date +%s)
captured=$(capinfos -c -M "$OUT" | awk '/Number of packets/ { print $NF }')
[ "$captured" -ge "$PACKETS" ] || fail "only $captured packets captured"

# Summary, from one pass of tshark over the capture. DSS checksums are found in the raw options:
# tshark 4.0 leaves the checksum of a DSS option out of its tree.
echo "Summary of $OUT ($((TRAFFIC_END - START)) s to generate):"
nice tshark -r "$OUT" -n -T fields -E separator=/t -e frame.len -e tcp.stream -e mptcp.stream \
    -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.reset -e tcp.options.mptcp.subtype \
    -e tcp.options.mptcp.checksumreq.flags -e tcp.options 2>/dev/null |
    awk -F'\t' -v size="$(stat -c %s "$OUT")" '
    function byte(pos) { return (index(HEX, substr($9, pos, 1)) - 1) * 16 + index(HEX, substr($9, pos + 1, 1)) - 1 }
    # DSS options in the options area (hex in $9): counts those with a mapping, and those with a
    # checksum (2 bytes more than the flags call for); returns the latter.
    function dss(   i, n, kind, len, flags, want, found) {
        found = 0
        n = length($9)
        for (i = 1; i < n; i += 2 * len) {
            kind = byte(i)
            if (kind == 0) break
            if (kind == 1) { len = 1; continue }
            len = byte(i + 2)
            if (len < 2) break
            if (kind != 30 || int(byte(i + 4) / 16) != 2) continue
            flags = byte(i + 6)
            if (int(flags / 4) % 2 == 0) continue  # no mapping (M)
            mappings++
            want = 4 + (flags % 2 ? (int(flags / 2) % 2 ? 8 : 4) : 0) + (int(flags / 8) % 2 ? 8 : 4) + 6
            if (len == want + 2) found++
        }
        return found
    }
    BEGIN { HEX = "0123456789abcdef" }
    {
        packets++
        if ($1 > maxlen) maxlen = $1
        streams[$2] = 1
        if ($3 != "" && !($2 in conn)) conn[$2] = $3
        if ($6 == 1) resets++
        split($7, sub_, ",")
        capable = join = 0
        for (i in sub_) { if (sub_[i] == "0") capable = 1; if (sub_[i] == "1") join = 1; if (sub_[i] == "3") addaddr++ }
        if ($4 == 1 && $5 == 0 && capable) { syns++; if ($8 == 1) csumsyns++ }
        if ($4 == 1 && $5 == 0 && join) joins++
        if ($4 == 1 && $5 == 1) established[$2] = 1
        c = dss()
        if (c) { dsscsum += c; if ($3 != "") csumconn[$3] = 1 }
    }
    END {
        for (s in streams) nstreams++
        for (s in established) if (s in conn) subflows[conn[s]]++
        for (m in subflows) { nconn++; total += subflows[m]; hist[subflows[m]]++ }
        for (m in csumconn) ncsum++
        printf "  packets           %d (largest frame %d bytes)\n", packets, maxlen
        printf "  file size         %d bytes (%.0f MB)\n", size, size / 1e6
        printf "  TCP streams       %d\n", nstreams
        printf "  MPTCP connections %d (MP_CAPABLE SYNs %d, MP_JOIN SYNs %d, ADD_ADDR %d, RSTs %d)\n", nconn, syns, joins, addaddr, resets
        printf "  subflows          %.2f per connection (", nconn ? total / nconn : 0
        sep = ""
        for (k = 1; k <= 8; k++) if (k in hist) { printf "%s%d connections with %d", sep, hist[k], k; sep = ", " }
        printf ")\n"
        printf "  DSS checksums     in %d connections of %d (%d asked for them in their SYN); %d of %d DSS mappings\n", ncsum, nconn, csumsyns, dsscsum, mappings
    }'
