#!/usr/bin/env bash
# Whole tshark runs with the plugin and without it (Wireshark's built-in MPTCP dissector only),
# alternating, on the same capture; reports medians, the median ratio and peak memory.
#
#   bash tests/perf/tshark_compare.sh [CAPTURE...]     (default: target/perf/bulk.pcap)
#
# Settings (environment): RUNS rounds per mode (default 5); MODES, a space-separated subset of
#   tree   tshark -r F -Y mptcp                  (tree built for every frame, summaries printed)
#   quiet  tshark -r F -q                        (no output)
#   2pass  tshark -r F -2 -Y mptcpx              (two passes; without the plugin -Y mptcp,
#                                                 since mptcpx does not exist there)
# (default: all three). PLUGIN_OPTS: more tshark options for the runs with the plugin, e.g.
# "-o mptcpx.analyze:FALSE". OLD_PLUGIN: another build of the plugin (a libmptcpx.so built
# from an earlier commit, say) timed in the same rounds: each round then runs tshark without
# the plugin, with the old build and with this one, in rotating order, and the table adds the
# old build's time, its ratio, and the median of this build's time over the old one's in each
# round (on a noisy machine, the comparison that holds). Output of tshark goes to /dev/null;
# times are wall-clock (bash's EPOCHREALTIME, in microseconds), peak memory is the maximum
# resident set size (GNU time).
#
# TOGETHER=1: each round starts all its runs at once, on one CPU (CPU, default the first this
# script may use), and compares their CPU times (user and system, the kernel's account of each
# run) instead of wall times. A virtual CPU of a shared host slows down by up to half for a
# second or two at a time; runs that take turns on one CPU every few milliseconds go through
# the same slow and fast spells, so their ratio does not follow them. The runs share the
# CPU's caches, which a run alone does not: this measures the same work under other
# conditions, not a user's wall time.
#
# FIXED_SEED=1: every run gets the same seeds for Wireshark's hash maps (fixed_seed.c,
# preloaded), as callgrind_compare.sh does; otherwise each run draws its own, which moves
# tshark's instructions a packet by up to 0.8 %, with the plugin or without it.
#
# tshark reads personal plugins from $HOME/.local/lib/wireshark/plugins/<major.minor>/epan:
# both runs use a private HOME, one with the release build of the plugin there, one empty.
# As root, tshark runs as uid/gid 65534 (Wireshark ignores personal plugins for root).
set -euo pipefail
export LC_ALL=C # a decimal point in EPOCHREALTIME and awk
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${RUNS:-5}
TOGETHER=${TOGETHER:-0}
MODES=${MODES:-tree quiet 2pass}
read -r -a plugin_opts <<<"${PLUGIN_OPTS:-}"
captures=("$@")
[ ${#captures[@]} -gt 0 ] || captures=("$ROOT/target/perf/bulk.pcap")

for c in "${captures[@]}"; do
    [ -r "$c" ] || { echo "no capture $c (make one with tests/perf/gen_bulk.sh)" >&2; exit 1; }
done
command -v tshark >/dev/null || { echo "tshark is not installed" >&2; exit 1; }
if [ "$TOGETHER" = 1 ]; then
    command -v python3 >/dev/null || { echo "TOGETHER=1 needs python3 (CPU times of each run)" >&2; exit 1; }
    cpu=${CPU:-$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')}
else
    [ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time, package time) is not installed" >&2; exit 1; }
fi

(cd "$ROOT" && cargo build --release -q -p mptcp-dissector)
version=$(pkg-config --modversion wireshark | cut -d. -f1,2)
work=$(mktemp -d /tmp/mptcpx-compare.XXXXXX)
# (TOGETHER=1: runs still going when one failed are stopped.)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/with/.local/lib/wireshark/plugins/$version/epan" "$work/without"
cp "${CARGO_TARGET_DIR:-$ROOT/target}/release/libmptcpx.so" "$work/with/.local/lib/wireshark/plugins/$version/epan/mptcpx.so"
variants=(without with)
if [ -n "${OLD_PLUGIN:-}" ]; then
    [ -r "$OLD_PLUGIN" ] || { echo "no plugin build $OLD_PLUGIN" >&2; exit 1; }
    mkdir -p "$work/old/.local/lib/wireshark/plugins/$version/epan"
    cp "$OLD_PLUGIN" "$work/old/.local/lib/wireshark/plugins/$version/epan/mptcpx.so"
    variants=(without old with)
fi
as_user=()
if [ "$(id -u)" -eq 0 ]; then
    chown -R 65534:65534 "$work"
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
chmod 755 "$work"
preload=()
if [ "${FIXED_SEED:-0}" = 1 ]; then
    cc -O2 -shared -fPIC -o "$work/fixed_seed.so" "$ROOT/tests/perf/fixed_seed.c"
    chmod 755 "$work/fixed_seed.so"
    preload=(env "LD_PRELOAD=$work/fixed_seed.so")
fi

run_tshark() { # HOME_DIR OUT_TIME -- tshark args...
    local home=$1 out=$2 start end
    shift 2
    # Wall time from bash's microsecond clock: GNU time's %e has 10 ms steps, half a percent
    # of a two-second run. GNU time still gives the peak memory.
    start=$EPOCHREALTIME
    HOME=$home /usr/bin/time -o "$out.rss" -f "%M" "${as_user[@]}" "${preload[@]}" tshark "$@" >/dev/null 2>"$work/stderr" || {
        echo "tshark failed: $*" >&2
        cat "$work/stderr" >&2
        exit 1
    }
    end=$EPOCHREALTIME
    echo "$end $start $(cat "$out.rss")" | awk '{ printf "%.6f %s\n", $1 - $2, $3 }' >"$out"
}

# TOGETHER=1: the same, started in the background on CPU $cpu, timed by its CPU time (wait4's
# rusage, in microseconds) and its peak memory; wait_tshark collects it.
start_tshark() { # HOME_DIR OUT_TIME -- tshark args...
    local home=$1 out=$2
    shift 2
    echo "$*" >"$out.args"
    HOME=$home taskset -c "$cpu" python3 -c '
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write("%.6f %d\n" % (usage.ru_utime + usage.ru_stime, usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
' "$out" "${as_user[@]}" "${preload[@]}" tshark "$@" >/dev/null 2>"$out.stderr" &
    echo $! >"$out.pid"
}

wait_tshark() { # OUT_TIME
    wait "$(cat "$1.pid")" || {
        echo "tshark failed: $(cat "$1.args")" >&2
        cat "$1.stderr" >&2
        exit 1
    }
}

# Whether the plugin is loaded: it must be, in the "with" runs only.
for v in "${variants[@]}"; do
    [ "$v" = without ] && continue
    HOME=$work/$v "${as_user[@]}" tshark -G plugins 2>/dev/null | grep -q mptcpx.so || { echo "the plugin ($v) did not load" >&2; exit 1; }
done
! HOME=$work/without "${as_user[@]}" tshark -G plugins 2>/dev/null | grep -q mptcpx.so || { echo "a plugin is installed system-wide: the baseline would include it" >&2; exit 1; }

# The time of variant $1 over that of variant $2 in the round just run.
round_ratio() { paste "$work/t.$1" "$work/t.$2" | awk '{ print $1 / $3 }'; }

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# A 95 % interval of the median, free of any assumption on the distribution: the order
# statistics of ranks (n - 1.96 sqrt(n)) / 2 and 1 + (n + 1.96 sqrt(n)) / 2. With few rounds it
# is wide: that is what the rounds can tell.
median_interval() {
    sort -g | awk '{ v[NR] = $1 }
        END {
            h = 1.96 * sqrt(NR); lo = int((NR - h) / 2); hi = int(1 + (NR + h) / 2 + 0.999999)
            if (lo < 1) lo = 1; if (hi > NR) hi = NR
            printf "%.3f to %.3f\n", v[lo], v[hi]
        }'
}

echo "tshark $(tshark --version | head -1 | awk '{print $3}'), plugin $(cd "$ROOT" && git describe --always --dirty)${PLUGIN_OPTS:+ with $PLUGIN_OPTS}${OLD_PLUGIN:+, old build $OLD_PLUGIN}${preload:+, fixed seeds}, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $RUNS rounds per mode"
if [ "$TOGETHER" = 1 ]; then
    echo "times: CPU time (user and system) of the runs of a round, started together on CPU $cpu"
else
    echo "times: wall-clock, one run after the other"
fi
echo
if [ ${#variants[@]} -eq 3 ]; then
    printf '| capture | packets | mode | without (s) | with (s) | ratio of medians | median of pair ratios | its 95 %% interval | peak RSS without (MB) | peak RSS with (MB) | old (s) | old: median of pair ratios | with over old: median of round ratios | its 95 %% interval |\n'
    printf '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
else
    printf '| capture | packets | mode | without (s) | with (s) | ratio of medians | median of pair ratios | its 95 %% interval | peak RSS without (MB) | peak RSS with (MB) |\n'
    printf '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|\n'
fi
for capture in "${captures[@]}"; do
    file=$capture
    if ! "${as_user[@]}" test -r "$capture"; then
        file=$work/$(basename "$capture")
        cp "$capture" "$file"
        chmod 644 "$file"
    fi
    packets=$(capinfos -c -M "$file" | awk '/Number of packets/ { print $NF }')
    for mode in $MODES; do
        case $mode in
            tree) with_args=(-r "$file" -Y mptcp "${plugin_opts[@]}"); without_args=(-r "$file" -Y mptcp) ;;
            quiet) with_args=(-r "$file" -q "${plugin_opts[@]}"); without_args=(-r "$file" -q) ;;
            2pass) with_args=(-r "$file" -2 -Y mptcpx "${plugin_opts[@]}"); without_args=(-r "$file" -2 -Y mptcp) ;;
            *) echo "unknown mode $mode" >&2; exit 1 ;;
        esac
        for v in "${variants[@]}"; do : >"$work/$v.txt"; done
        : >"$work/ratios.txt"
        : >"$work/old_ratios.txt"
        : >"$work/over_old.txt"
        for i in $(seq "$RUNS"); do
            # Rotate which goes first, so that none always runs on a warmer cache.
            # (Together, the order they start in.)
            for k in $(seq 0 $((${#variants[@]} - 1))); do
                v=${variants[$(((i + k) % ${#variants[@]}))]}
                args=("${with_args[@]}")
                [ "$v" = without ] && args=("${without_args[@]}")
                if [ "$TOGETHER" = 1 ]; then
                    start_tshark "$work/$v" "$work/t.$v" "${args[@]}"
                else
                    run_tshark "$work/$v" "$work/t.$v" "${args[@]}"
                fi
            done
            if [ "$TOGETHER" = 1 ]; then
                for v in "${variants[@]}"; do wait_tshark "$work/t.$v"; done
            fi
            for v in "${variants[@]}"; do cat "$work/t.$v" >>"$work/$v.txt"; done
            round_ratio with without >>"$work/ratios.txt"
            if [ ${#variants[@]} -eq 3 ]; then
                round_ratio old without >>"$work/old_ratios.txt"
                round_ratio with old >>"$work/over_old.txt"
            fi
        done
        t0=$(cut -d' ' -f1 "$work/without.txt" | median)
        t1=$(cut -d' ' -f1 "$work/with.txt" | median)
        m0=$(cut -d' ' -f2 "$work/without.txt" | sort -n | tail -1)
        m1=$(cut -d' ' -f2 "$work/with.txt" | sort -n | tail -1)
        pr=$(median <"$work/ratios.txt")
        row=$(printf '| %s | %s | %s | %.2f | %.2f | %.3f | %.3f | %s | %.0f | %.0f |' \
            "$(basename "$capture")" "$packets" "$mode" "$t0" "$t1" "$(echo "$t1 $t0" | awk '{ print $1 / $2 }')" "$pr" \
            "$(median_interval <"$work/ratios.txt")" \
            "$(echo "$m0" | awk '{ print $1 / 1024 }')" "$(echo "$m1" | awk '{ print $1 / 1024 }')")
        if [ ${#variants[@]} -eq 3 ]; then
            row+=$(printf ' %.2f | %.3f | %.4f | %s |' "$(cut -d' ' -f1 "$work/old.txt" | median)" \
                "$(median <"$work/old_ratios.txt")" "$(median <"$work/over_old.txt")" \
                "$(median_interval <"$work/over_old.txt")")
        fi
        echo "$row"
    done
done
