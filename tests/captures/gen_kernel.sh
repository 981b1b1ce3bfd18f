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
#     join_addaddr_datafin the server announces 10.0.3.1 (ADD_ADDR with HMAC, echoed); the client
#                          joins it and from its second address 10.0.1.2; DATA_FIN and FINs
#     addaddr_port         the server announces 10.0.3.1 port 10100; the client joins that port
#     remove_addr          as join_addaddr_datafin, then the server deletes its announced
#                          endpoint and the client its subflow endpoint: a REMOVE_ADDR each way
#     mp_prio_backup       the client's endpoint 10.0.1.2 turned backup and back: MP_PRIO B=1, B=0
#     fastclose_linger0    three subflows; the client closes with SO_LINGER 0: RST + MP_FASTCLOSE +
#                          MP_TCPRST on every subflow (RFC 8684 "option R")
#     fastclose_statefulfw two subflows reset the same way through a stateful firewall in the
#                          router (conntrack drops what it takes for invalid); two views
#     join_rejected_limits the server accepts no extra subflow (limits 0): it resets the client's
#                          join after the handshake with MP_TCPRST reason 3
#     dss_checksum         net.mptcp.checksum_enabled on both ends, one join; 1500-byte writes, so
#                          that a mapping spans two segments (1420 + 80 bytes) each with its DSS
#     mp_fail              checksums on, one subflow; the router changes one byte of one client
#                          data segment (TCP checksum fixed): the server's DSS checksum fails,
#                          MP_FAIL both ways, fallback. Two views
#     fallback_syn_stripped    the router removes MP_CAPABLE from the SYN; two views
#     fallback_synack_stripped the router removes MP_CAPABLE from the SYN/ACK; two views
#     capable_data_stripped    the router removes MP_CAPABLE from the client's first data; two views
#     midstream_dss_stripped   the router removes the DSS from one later client data segment;
#                              two views
#     server_initiated_join    the client announces 10.0.1.1 port 6000; the server joins to it
#     tfo_mp_capable       TCP Fast Open with MPTCP: a cookie request, then a SYN with data
#     v6_endpoint_del      IPv6 (fd00:1::1 -> fd00:2::1); the server announces fd00:3::1, the
#                          client joins it; mid-transfer the server deletes that endpoint
#
# Topology, three namespaces (NETNS-cli, NETNS-rtr, NETNS-srv, NETNS=mpcg by default; deleted
# on exit, also on error or Ctrl-C; set up by netns.sh):
#     mpcg-cli  c0 10.0.1.1/24  ---  r0 10.0.1.254  mpcg-rtr  r1 10.0.2.254  ---  s0 10.0.2.1/24  mpcg-srv
#                                                              r2 10.0.3.254  ---  s1 10.0.3.1/24
# (10.0.1.2 also on c0 where a capture needs a second client address; fd00:N::1, fd00:N::fe
# beside 10.0.N.x for v6_endpoint_del.)
# The router namespace forwards and holds the nftables rules (the middlebox). Each capture is
# written beside this script (OUT=dir to write elsewhere) and holds only the test connection's
# packets. Keys, ports, sequence numbers and times differ at each run: regenerating a capture
# means updating the frame numbers its test asserts.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE}
NETNS=${NETNS:-mpcg}
# shellcheck source=netns.sh
. "$HERE/netns.sh"
APP=$NSAPP
C=$NETNS-cli
R=$NETNS-rtr
S=$NETNS-srv
NAMESPACES=("$C" "$R" "$S")
PORT=5000

cleanup() { ns_cleanup; }
trap cleanup EXIT
trap 'exit 130' INT TERM

setup() {
    cleanup
    ns_add
    veth $C c0 $R r0
    veth $S s0 $R r1
    veth $S s1 $R r2
    in_ns $C ip addr add 10.0.1.1/24 dev c0
    in_ns $R ip addr add 10.0.1.254/24 dev r0
    in_ns $R ip addr add 10.0.2.254/24 dev r1
    in_ns $R ip addr add 10.0.3.254/24 dev r2
    in_ns $S ip addr add 10.0.2.1/24 dev s0
    in_ns $S ip addr add 10.0.3.1/24 dev s1
    links_up "$C c0" "$R r0" "$R r1" "$R r2" "$S s0" "$S s1"
    in_ns $R sysctl -qw net.ipv4.ip_forward=1
    in_ns $C ip route add default via 10.0.1.254
    in_ns $S ip route add default via 10.0.2.254 dev s0
    # Replies from 10.0.3.1 leave by s1 (the address's own link).
    in_ns $S ip rule add from 10.0.3.1 table 100
    in_ns $S ip route add default via 10.0.3.254 dev s1 table 100
    in_ns $C ip mptcp limits set subflows 0 add_addr_accepted 0
    in_ns $S ip mptcp limits set subflows 0 add_addr_accepted 0
}

# start_capture NS IFACE FILE: tcpdump of the test port (and of $EXTRA_PORT if set), in the
# background.
start_capture() {
    local ns=$1 iface=$2 file=$3 filter="tcp port $PORT"
    [ -z "${EXTRA_PORT:-}" ] || filter="$filter or tcp port $EXTRA_PORT"
    rm -f "$file"
    # Not through in_ns: $! must be tcpdump itself (ip netns exec execs it).
    ip netns exec "$ns" tcpdump -i "$iface" -s 0 -U --immediate-mode -Z root -w "$file" "$filter" 2>/dev/null &
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
    shift || true
    ip netns exec $S $APP server "$addr" $PORT "$@" &
    PIDS+=($!)
    wait_listening $S $PORT || { echo "server did not start" >&2; return 1; }
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

# A second client address, 10.0.1.2, as a subflow endpoint (joins from it).
client_second_address() {
    in_ns $C ip addr add 10.0.1.2/24 dev c0
    in_ns $C ip mptcp endpoint add 10.0.1.2 dev c0 id 2 subflow
}

# Three subflows: the initial one, a join to the announced 10.0.3.1, a join from 10.0.1.2.
three_subflows() {
    client_second_address
    in_ns $C ip mptcp limits set subflows 2 add_addr_accepted 1
    in_ns $S ip mptcp limits set subflows 2 add_addr_accepted 0
    in_ns $S ip mptcp endpoint add 10.0.3.1 dev s1 id 1 signal
}

# Two subflows: the initial one and a join from 10.0.1.2; no address announced.
two_subflows() {
    client_second_address
    in_ns $C ip mptcp limits set subflows 1 add_addr_accepted 0
    in_ns $S ip mptcp limits set subflows 1 add_addr_accepted 0
}

gen_join_addaddr_datafin() {
    setup
    three_subflows
    start_server
    start_capture $C c0 "$OUT/join_addaddr_datafin.pcap"
    in_ns $C $APP client 10.0.2.1 $PORT --count 30 --interval 0.05 --linger 0.5
    stop_captures
}

gen_addaddr_port() {
    setup
    in_ns $C ip mptcp limits set subflows 1 add_addr_accepted 1
    in_ns $S ip mptcp limits set subflows 1 add_addr_accepted 0
    in_ns $S ip mptcp endpoint add 10.0.3.1 dev s1 id 1 signal port 10100
    start_server
    EXTRA_PORT=10100 start_capture $C c0 "$OUT/addaddr_port.pcap"
    in_ns $C $APP client 10.0.2.1 $PORT --count 8 --interval 0.1 --linger 0.5
    stop_captures
}

gen_remove_addr() {
    setup
    three_subflows
    start_server
    start_capture $C c0 "$OUT/remove_addr.pcap"
    ip netns exec $C $APP client 10.0.2.1 $PORT --count 30 --interval 0.1 --linger 0.5 &
    local client=$!
    sleep 1.2
    in_ns $S ip mptcp endpoint del id 1
    sleep 1
    in_ns $C ip mptcp endpoint del id 2
    wait $client
    stop_captures
}

gen_mp_prio_backup() {
    setup
    two_subflows
    start_server
    start_capture $C c0 "$OUT/mp_prio_backup.pcap"
    ip netns exec $C $APP client 10.0.2.1 $PORT --count 24 --interval 0.1 --linger 0.3 &
    local client=$!
    sleep 1
    in_ns $C ip mptcp endpoint change id 2 backup
    sleep 0.8
    in_ns $C ip mptcp endpoint change id 2 nobackup
    wait $client
    stop_captures
}

gen_fastclose_linger0() {
    setup
    three_subflows
    start_server
    start_capture $C c0 "$OUT/fastclose_linger0.pcap"
    in_ns $C $APP client 10.0.2.1 $PORT --count 6 --interval 0.1 --linger 0.5 --abort
    stop_captures
}

gen_fastclose_statefulfw() {
    setup
    two_subflows
    # A stateful firewall: what conntrack takes for invalid is dropped, and every RST the
    # server sends is counted (Linux's option R fastclose asks for none).
    nft_router <<'EOF'
table inet middlebox {
    chain forward {
        type filter hook forward priority filter; policy accept;
        ct state invalid counter drop
        ip saddr 10.0.2.1 tcp flags rst counter
    }
}
EOF
    start_server
    start_capture $C c0 "$OUT/fastclose_statefulfw.pcap"
    start_capture $S s0 "$OUT/fastclose_statefulfw_srvside.pcap"
    in_ns $C $APP client 10.0.2.1 $PORT --count 4 --interval 0.1 --linger 0.5 --abort
    stop_captures
}

gen_join_rejected_limits() {
    setup
    client_second_address
    in_ns $C ip mptcp limits set subflows 1 add_addr_accepted 0
    # The server takes no subflow beyond the first.
    in_ns $S ip mptcp limits set subflows 0 add_addr_accepted 0
    start_server
    start_capture $C c0 "$OUT/join_rejected_limits.pcap"
    in_ns $C $APP client 10.0.2.1 $PORT --count 4 --interval 0.1 --linger 0.3
    stop_captures
}

gen_dss_checksum() {
    setup
    in_ns $C sysctl -qw net.mptcp.checksum_enabled=1
    in_ns $S sysctl -qw net.mptcp.checksum_enabled=1
    two_subflows
    start_server
    start_capture $C c0 "$OUT/dss_checksum.pcap"
    in_ns $C $APP client 10.0.2.1 $PORT --count 8 --size 1500 --interval 0.1 --linger 0.3
    stop_captures
}

gen_mp_fail() {
    setup
    in_ns $C sysctl -qw net.mptcp.checksum_enabled=1
    in_ns $S sysctl -qw net.mptcp.checksum_enabled=1
    # One client data segment, the one whose payload starts "line 3" (6c 69 6e 65 20 33), gets
    # its first byte changed to "L" once; nft fixes the TCP checksum, not the DSS checksum.
    nft_router <<'EOF'
table inet middlebox {
    chain forward {
        type filter hook forward priority filter; policy accept;
        ip saddr 10.0.1.1 tcp dport 5000 @ih,0,48 0x6c696e652033 limit rate 1/hour burst 1 packets counter @ih,0,8 set 0x4c
    }
}
EOF
    start_server
    start_capture $C c0 "$OUT/mp_fail.pcap"
    start_capture $S s0 "$OUT/mp_fail_srvside.pcap"
    in_ns $C $APP client 10.0.2.1 $PORT --count 7 --interval 0.1 --linger 0.3
    stop_captures
    in_ns $R nft list ruleset | grep -q 'counter packets 1 ' || { echo "no segment altered" >&2; return 1; }
}

# strip_rule MATCH: the router removes the MPTCP option from the packets MATCH selects.
strip_rule() {
    nft_router <<EOF
table inet middlebox {
    chain forward {
        type filter hook forward priority filter; policy accept;
        $1 tcp option mptcp exists counter reset tcp option mptcp
    }
}
EOF
}

# two_views NAME: client and server views of one connection through the stripping router.
two_views() {
    start_server
    start_capture $C c0 "$OUT/$1.pcap"
    start_capture $S s0 "$OUT/$1_srvside.pcap"
    in_ns $C $APP client 10.0.2.1 $PORT --count 6 --interval 0.1 --linger 0.3
    stop_captures
    in_ns $R nft list ruleset | grep -q 'counter packets [1-9]' || { echo "no option stripped" >&2; return 1; }
}

gen_fallback_syn_stripped() {
    setup
    strip_rule 'tcp flags & (syn | ack) == syn'
    two_views fallback_syn_stripped
}

gen_fallback_synack_stripped() {
    setup
    strip_rule 'tcp flags & (syn | ack) == syn | ack'
    two_views fallback_synack_stripped
}

gen_capable_data_stripped() {
    setup
    # The client's first data ("line 0"), which carries MP_CAPABLE with the data-level length.
    strip_rule 'ip saddr 10.0.1.1 @ih,0,48 0x6c696e652030 limit rate 1/hour burst 1 packets'
    two_views capable_data_stripped
}

gen_midstream_dss_stripped() {
    setup
    # A later client data segment ("line 3"), which carries a DSS.
    strip_rule 'ip saddr 10.0.1.1 @ih,0,48 0x6c696e652033 limit rate 1/hour burst 1 packets'
    two_views midstream_dss_stripped
}

gen_server_initiated_join() {
    setup
    # The client announces its own address with port 6000 (the kernel listens there); the
    # server, which accepts announcements, joins to it.
    in_ns $C ip mptcp limits set subflows 1 add_addr_accepted 0
    in_ns $C ip mptcp endpoint add 10.0.1.1 dev c0 id 1 signal port 6000
    in_ns $S ip mptcp limits set subflows 1 add_addr_accepted 1
    start_server
    EXTRA_PORT=6000 start_capture $C c0 "$OUT/server_initiated_join.pcap"
    in_ns $C $APP client 10.0.2.1 $PORT --count 10 --interval 0.1 --linger 0.5
    stop_captures
}

gen_tfo_mp_capable() {
    setup
    in_ns $C sysctl -qw net.ipv4.tcp_fastopen=1
    in_ns $S sysctl -qw net.ipv4.tcp_fastopen=2
    start_server 0.0.0.0 --conns 2 --tfo
    start_capture $C c0 "$OUT/tfo_mp_capable.pcap"
    # The first connection asks for a cookie; the second sends its first line in the SYN.
    in_ns $C $APP client 10.0.2.1 $PORT --count 2 --tfo
    in_ns $C $APP client 10.0.2.1 $PORT --count 2 --tfo
    stop_captures
}

gen_v6_endpoint_del() {
    setup
    in_ns $C ip -6 addr add fd00:1::1/64 dev c0 nodad
    in_ns $R ip -6 addr add fd00:1::fe/64 dev r0 nodad
    in_ns $R ip -6 addr add fd00:2::fe/64 dev r1 nodad
    in_ns $R ip -6 addr add fd00:3::fe/64 dev r2 nodad
    in_ns $S ip -6 addr add fd00:2::1/64 dev s0 nodad
    in_ns $S ip -6 addr add fd00:3::1/64 dev s1 nodad
    in_ns $R sysctl -qw net.ipv6.conf.all.forwarding=1
    in_ns $C ip -6 route add default via fd00:1::fe
    in_ns $S ip -6 route add default via fd00:2::fe dev s0
    in_ns $S ip -6 rule add from fd00:3::1 table 100
    in_ns $S ip -6 route add default via fd00:3::fe dev s1 table 100
    in_ns $C ip mptcp limits set subflows 1 add_addr_accepted 1
    in_ns $S ip mptcp limits set subflows 1 add_addr_accepted 0
    in_ns $S ip mptcp endpoint add fd00:3::1 dev s1 id 1 signal
    start_server ::
    start_capture $C c0 "$OUT/v6_endpoint_del.pcap"
    ip netns exec $C $APP client fd00:2::1 $PORT --count 24 --interval 0.1 --linger 0.5 &
    local client=$!
    sleep 1.2
    in_ns $S ip mptcp endpoint del id 1
    wait $client
    stop_captures
}

ALL=(syn_drop_fallback add_addr_echo_lost join_unknown_token join_closed_port forged_fastclose_key
    join_addaddr_datafin addaddr_port remove_addr mp_prio_backup fastclose_linger0 fastclose_statefulfw
    join_rejected_limits dss_checksum mp_fail fallback_syn_stripped fallback_synack_stripped
    capable_data_stripped midstream_dss_stripped server_initiated_join tfo_mp_capable v6_endpoint_del)
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
