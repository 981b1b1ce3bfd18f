#!/usr/bin/env bash
# Real Linux MPTCP traffic for the analysis tests, captured in private network namespaces.
#
# Usage (as root, on a Linux kernel with MPTCP; needs ip, nft, tcpdump, python3):
#     tests/captures/gen_kernel.sh NAME...     # or: all
# NAME is one of:
#     syn_drop_fallback    the router drops SYNs carrying MP_CAPABLE: the client retries, then
#                          falls back to a plain SYN (net.mptcp.syn_retrans_before_tcp_fallback)
#     add_addr_echo_lost   the server announces 10.0.3.1; the router drops the client's ADD_ADDR
#                          echo, so the server retransmits the announcement (add_addr_timeout 1 s).
#                          Two views: the server's (echo never seen) and the client's (echo sent)
#     join_unknown_token   during a real connection, an MP_JOIN SYN with a token of no connection,
#                          sent by a raw socket to the MPTCP listener, and the listener's RST
#     join_closed_port     the server announces 10.0.3.1 but listens on 10.0.2.1 only: the
#                          client's join to the announced address is answered by a plain RST
#     forged_fastclose_key an ACK carrying MP_FASTCLOSE with a wrong key, injected by a raw
#                          socket into a live connection; the server ignores it and the
#                          connection goes on to a clean close
#
# Topology, three namespaces (deleted on exit, also on error or Ctrl-C):
#     mpcg-cli  c0 10.0.1.1/24  ---  r0 10.0.1.254  mpcg-rtr  r1 10.0.2.254  ---  s0 10.0.2.1/24  mpcg-srv
#                                                              r2 10.0.3.254  ---  s1 10.0.3.1/24
# The router namespace forwards and holds the nftables rules (the middlebox). Each capture is
# written beside this script (OUT=dir to write elsewhere) and holds only the test connection's
# packets. Keys, ports, sequence numbers and times differ at each run: regenerating a capture
# means updating the frame numbers its test asserts.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE}
APP="python3 $HERE/nsapp.py"
C=mpcg-cli
R=mpcg-rtr
S=mpcg-srv
PORT=5000
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for ns in $C $R $S; do
        ip netns del $ns 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

setup() {
    cleanup
    PIDS=()
    for ns in $C $R $S; do
        ip netns add $ns
        in_ns $ns ip link set lo up
        in_ns $ns sysctl -qw net.mptcp.enabled=1
    done
    ip link add c0 netns $C type veth peer name r0 netns $R
    ip link add s0 netns $S type veth peer name r1 netns $R
    ip link add s1 netns $S type veth peer name r2 netns $R
    in_ns $C ip addr add 10.0.1.1/24 dev c0
    in_ns $R ip addr add 10.0.1.254/24 dev r0
    in_ns $R ip addr add 10.0.2.254/24 dev r1
    in_ns $R ip addr add 10.0.3.254/24 dev r2
    in_ns $S ip addr add 10.0.2.1/24 dev s0
    in_ns $S ip addr add 10.0.3.1/24 dev s1
    for pair in "$C c0" "$R r0" "$R r1" "$R r2" "$S s0" "$S s1"; do
        set -- $pair
        in_ns "$1" ip link set "$2" up
        # Checksums computed by the stack, not left to the (virtual) NIC: captures taken at the
        # sender show what the wire carries.
        in_ns "$1" $APP no-offload "$2"
    done
    in_ns $R sysctl -qw net.ipv4.ip_forward=1
    in_ns $C ip route add default via 10.0.1.254
    in_ns $S ip route add default via 10.0.2.254 dev s0
    # Replies from 10.0.3.1 leave by s1 (the address's own link).
    in_ns $S ip rule add from 10.0.3.1 table 100
    in_ns $S ip route add default via 10.0.3.254 dev s1 table 100
    in_ns $C ip mptcp limits set subflows 0 add_addr_accepted 0
    in_ns $S ip mptcp limits set subflows 0 add_addr_accepted 0
}

# start_capture NS IFACE FILE: tcpdump of the test port, in the background.
start_capture() {
    local ns=$1 iface=$2 file=$3
    rm -f "$file"
    # Not through in_ns: $! must be tcpdump itself (ip netns exec execs it).
    ip netns exec "$ns" tcpdump -i "$iface" -s 0 -U --immediate-mode -Z root -w "$file" "tcp port $PORT" 2>/dev/null &
    PIDS+=($!)
    sleep 1
}

stop_captures() {
    sleep 1
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}

# start_server [ADDR]: the echo server, in the background, once it listens.
start_server() {
    local addr=${1:-0.0.0.0}
    ip netns exec $S $APP server "$addr" $PORT &
    PIDS+=($!)
    for _ in $(seq 50); do
        in_ns $S ss -Hltn "sport = :$PORT" | grep -q . && return 0
        sleep 0.1
    done
    echo "server did not start" >&2
    return 1
}

nft_router() { in_ns $R nft -f -; }

gen_syn_drop_fallback() {
    setup
    in_ns $C sysctl -qw net.mptcp.syn_retrans_before_tcp_fallback=2
    nft_router <<'EOF'
table inet middlebox {
    chain forward {
        type filter hook forward priority filter; policy accept;
        tcp flags & (syn | ack) == syn tcp option mptcp exists counter drop
    }
}
EOF
    start_server
    start_capture $C c0 "$OUT/syn_drop_fallback.pcap"
    in_ns $C $APP client 10.0.2.1 $PORT --count 2
    stop_captures
    in_ns $R nft list ruleset | grep -q 'counter packets [1-9]' || { echo "no SYN dropped" >&2; return 1; }
}

# The client's ADD_ADDR echo for 10.0.3.1 (kind 30, length 8, subtype 3 with the E flag:
# 1e 08 31, then the address ID and 0a 00 03 01), wherever it sits in the options area.
echo_drop_rules() {
    local off
    for off in $(seq 20 2 52); do
        echo "ip saddr 10.0.1.1 tcp dport $PORT @th,$((off * 8)),24 0x1e0831 counter drop"
        echo "ip saddr 10.0.1.1 tcp dport $PORT @th,$(((off + 1) * 8)),24 0x1e0831 counter drop"
    done
}

gen_add_addr_echo_lost() {
    setup
    in_ns $S sysctl -qw net.mptcp.add_addr_timeout=1
    # The client accepts no announced address: it echoes, and does not join.
    in_ns $S ip mptcp endpoint add 10.0.3.1 dev s1 signal
    {
        echo 'table inet middlebox {'
        echo 'chain forward {'
        echo 'type filter hook forward priority filter; policy accept;'
        echo_drop_rules
        echo '}'
        echo '}'
    } | nft_router
    start_server
    start_capture $S s0 "$OUT/add_addr_echo_lost.pcap"
    start_capture $C c0 "$OUT/add_addr_echo_lost_cliside.pcap"
    in_ns $C $APP client 10.0.2.1 $PORT --count 2 --linger 5
    stop_captures
    in_ns $R nft list ruleset | grep -q 'counter packets [1-9]' || { echo "no echo dropped" >&2; return 1; }
}

gen_join_unknown_token() {
    setup
    start_server 10.0.2.1
    start_capture $S s0 "$OUT/join_unknown_token.pcap"
    # A real connection is open (its tokens are known) when the stray join arrives.
    ip netns exec $C $APP client 10.0.2.1 $PORT --count 2 --linger 1 &
    local client=$!
    sleep 0.6
    in_ns $C $APP join-syn 10.0.1.1 40000 10.0.2.1 $PORT 0badc0de
    wait $client
    stop_captures
}

gen_join_closed_port() {
    setup
    in_ns $C ip mptcp limits set subflows 1 add_addr_accepted 1
    in_ns $S ip mptcp limits set subflows 1 add_addr_accepted 0
    in_ns $S ip mptcp endpoint add 10.0.3.1 dev s1 signal
    # Listens on 10.0.2.1 only: nothing listens on the announced 10.0.3.1.
    start_server 10.0.2.1
    start_capture $C c0 "$OUT/join_closed_port.pcap"
    in_ns $C $APP client 10.0.2.1 $PORT --count 2 --interval 0.5 --linger 1
    stop_captures
}

gen_forged_fastclose_key() {
    setup
    start_server
    start_capture $C c0 "$OUT/forged_fastclose_key.pcap"
    ip netns exec $C $APP forge-fastclose c0 10.0.2.1 $PORT 0123456789abcdef --after 2 &
    local forger=$!
    sleep 0.5
    in_ns $C $APP client 10.0.2.1 $PORT --count 4 --interval 1.5
    wait $forger
    stop_captures
}

ALL=(syn_drop_fallback add_addr_echo_lost join_unknown_token join_closed_port forged_fastclose_key)
[ $# -gt 0 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
[ "$1" = all ] && set -- "${ALL[@]}"
for name in "$@"; do
    case " ${ALL[*]} " in
    *" $name "*) ;;
    *) echo "unknown capture: $name" >&2; exit 2 ;;
    esac
    echo "== $name"
    "gen_$name"
    cleanup
done
