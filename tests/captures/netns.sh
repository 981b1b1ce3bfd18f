# Network namespaces for the capture generators: sourced by tests/captures/gen_kernel.sh and
# tests/perf/gen_bulk.sh (bash, as root).
#
# The caller names the namespaces it owns in NAMESPACES (an array) and keeps the PIDs of its
# background processes in PIDS; ns_cleanup stops those and deletes those namespaces, and no
# other namespace is ever touched. NSAPP runs nsapp.py, the programs run inside them.

NSAPP="python3 $(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/nsapp.py"
NAMESPACES=()
PIDS=()

# in_ns NS COMMAND...: COMMAND in namespace NS.
in_ns() {
    local ns=$1
    shift
    ip netns exec "$ns" "$@"
}

# ns_cleanup: stops the processes of PIDS, then deletes the namespaces of NAMESPACES.
ns_cleanup() {
    local pid ns
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
    for ns in "${NAMESPACES[@]}"; do
        ip netns del "$ns" 2>/dev/null || true
    done
}

# ns_add: creates the namespaces of NAMESPACES, each with its loopback up and MPTCP enabled.
ns_add() {
    local ns
    for ns in "${NAMESPACES[@]}"; do
        ip netns add "$ns"
        in_ns "$ns" ip link set lo up
        in_ns "$ns" sysctl -qw net.mptcp.enabled=1
    done
}

# veth NS1 IF1 NS2 IF2: a veth pair, IF1 in NS1 and IF2 in NS2.
veth() {
    ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
}

# links_up [--mtu N] [--segmentation] "NS IF"...: each link up (with MTU N), its transmit
# checksums computed by the stack rather than left to the (virtual) NIC, so that captures
# taken at the sender show what the wire carries; --segmentation also turns TSO, GSO and GRO
# off, so that every segment captured is wire-sized.
links_up() {
    local mtu=() offload=() pair
    while [ $# -gt 0 ]; do
        case $1 in
        --mtu) mtu=(mtu "$2"); shift 2 ;;
        --segmentation) offload=(--segmentation); shift ;;
        *) break ;;
        esac
    done
    for pair in "$@"; do
        set -- $pair
        in_ns "$1" ip link set "$2" "${mtu[@]}" up
        in_ns "$1" $NSAPP no-offload "${offload[@]}" "$2"
    done
}

# wait_listening NS PORT: succeeds once a TCP socket listens on PORT in NS (5 s at most).
wait_listening() {
    local _
    for _ in $(seq 50); do
        in_ns "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
        sleep 0.1
    done
    return 1
}
