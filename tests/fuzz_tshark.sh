#!/usr/bin/env bash
# Fuzzes the plugin inside the real tshark, the way Wireshark fuzzes its own dissectors
# (tools/fuzz-test.sh): every capture is corrupted with `editcap -E` and dissected in one and
# in two passes, with the plugin installed; a crash, a hang, an unexpected exit status, a
# "Dissector bug" or an internal error of the plugin is a failure.
#
# Usage: tests/fuzz_tshark.sh [SECONDS]          (default 120)
#
# Rounds go on until SECONDS have passed (a round already started stops at the deadline).
# One round corrupts every capture of tests/captures, and of ../shared/captures/{kernel,
# crafted,public} when it is beside the repository (said in one line when not), at each probability of PROBS (editcap -E: each byte of a packet is changed
# with that probability), each with a fresh seed, and runs
#     tshark -nr F -V -o mptcpx.verify_crypto:TRUE
#     tshark -nr F -2 -V -o mptcpx.verify_crypto:TRUE
# Only exit status 0 is normal: editcap keeps every record header, so tshark can read the
# whole file. Wireshark's own "Malformed Packet" (an exception in a dissector) is expected.
#
# A failure is run again without the plugin: if it happens the same way without it, it is
# Wireshark's own and is kept under failures/wireshark-only/ (reported; it fails the run only
# with STRICT=1). Every other failure is the plugin's: the corrupted input is kept under
# target/fuzz-tshark/failures/<run>_<capture>_p<prob>_s<seed>_<pass>/ with the editcap and
# tshark commands (command.txt), the reason and the matching output (report.txt), and for a
# crash a gdb backtrace (backtrace.txt). Exit status 1 when the plugin failed.
#
# Environment:
#   JOBS=N       tshark runs in parallel (default: number of CPUs)
#   PROBS="..."  editcap -E probabilities (default "0.02 0.05 0.1 0.2")
#   TIMEOUT=S    a tshark run taking longer is a hang (default 120)
#   VALGRIND=1   afterwards, run a sample (VALGRIND_FILES, default 4 captures, corrupted at
#                0.05, one and two passes) under valgrind memcheck; errors with a stack frame
#                in the plugin are failures, Wireshark's own errors are counted apart
#   STRICT=1     failures that happen without the plugin too fail the run as well
#
# As root, tshark runs as uid/gid 65534 (Wireshark ignores personal plugins for root) with a
# private HOME holding the plugin, as the integration tests do (tests/common/mod.rs).
set -euo pipefail

# ---- One corrupted file (run by xargs, in parallel) -------------------------------------

# run_tshark HOME STDOUT STDERR ARGS...: tshark as the fuzzing user; returns its status.
run_tshark() {
    local home=$1 out=$2 err=$3
    shift 3
    local cmd=(env -u WIRESHARK_PLUGIN_DIR -u MPTCPX_INJECT_PANIC HOME="$home" LC_ALL=C.UTF-8
        MALLOC_CHECK_=3 MALLOC_PERTURB_="$FZ_PERTURB" RUST_BACKTRACE=1 tshark "$@")
    if [ "$FZ_AS_NOBODY" = 1 ]; then
        cmd=(setpriv --reuid=65534 --regid=65534 --clear-groups "${cmd[@]}")
    fi
    local status=0
    timeout -k 10 "$FZ_TIMEOUT" nice -n 10 "${cmd[@]}" >"$out" 2>"$err" || status=$?
    return "$status"
}

# What is wrong with a run (empty: nothing): STATUS STDOUT STDERR.
judge() {
    local status=$1 out=$2 err=$3 why=""
    case $status in
        0) ;;
        124 | 137) why="hang: no exit within ${FZ_TIMEOUT} s" ;;
        *) if [ "$status" -gt 128 ]; then
               why="killed by signal $((status - 128)) ($(kill -l $((status - 128)) 2>/dev/null || echo '?'))"
           else
               why="exit status $status"
           fi ;;
    esac
    if grep -aqE 'Dissector bug|MPTCPX( analysis)? internal error|mptcpx\.plugin_error|Malformed Packet: MPTCPX' "$out" "$err"; then
        why="${why:+$why; }$(grep -ahoE 'Dissector bug[^]]*|MPTCPX( analysis)? internal error[^]]*|mptcpx\.plugin_error|Malformed Packet: MPTCPX' "$out" "$err" | sort | uniq -c | sort -rn | head -3 | sed 's/^ *//' | paste -sd '|')"
    fi
    if grep -aqiE 'mptcpx|panicked at' "$err"; then
        why="${why:+$why; }stderr: $(grep -aiE 'mptcpx|panicked at' "$err" | head -2 | paste -sd '|')"
    fi
    printf '%s' "$why"
}

# The part of a failure that must recur without the plugin for it to be Wireshark's own.
signature() {
    local status=$1 out=$2 err=$3
    echo "status=$status"
    grep -ahoE 'Dissector bug[^]]*' "$out" "$err" | sort -u || true
}

# task ROUND CAPTURE PROB SEED
task() {
    local round=$1 capture=$2 prob=$3 seed=$4
    [ "$(date +%s)" -lt "$FZ_DEADLINE" ] || return 0
    local name
    name=$(basename "$capture" .pcap)
    local id="${name}_p${prob}_s${seed}"
    local input="$FZ_ROOT/work/$id.pcap"
    if ! editcap -F pcap -E "$prob" --seed "$seed" "$capture" "$input" >/dev/null 2>"$input.editcap"; then
        echo "editcap failed on $capture: $(cat "$input.editcap")" >&2
        rm -f "$input" "$input.editcap"
        return 0
    fi
    rm -f "$input.editcap"
    chmod 644 "$input"
    local altered=-1
    if [ -n "$FZ_PYTHON" ]; then
        altered=$("$FZ_PYTHON" "$FZ_ROOT/altered.py" "$capture" "$input" 2>/dev/null || echo -1)
    fi
    local frames=0 verdicts=""
    local pass
    for pass in 1 2; do
        local args=(-nr "$input" -V -o mptcpx.verify_crypto:TRUE)
        [ "$pass" = 2 ] && args=(-nr "$input" -2 -V -o mptcpx.verify_crypto:TRUE)
        local out="$input.$pass.out" err="$input.$pass.err" status=0
        run_tshark "$FZ_HOME" "$out" "$err" "${args[@]}" || status=$?
        local n
        n=$(grep -acE '^Frame [0-9]+: ' "$out" || true)
        frames=$((frames + n))
        local why
        why=$(judge "$status" "$out" "$err")
        if [ -z "$why" ]; then
            verdicts+=" ok"
        else
            # Again without the plugin: Wireshark's own failure, or the plugin's?
            # (without the plugin its preference does not exist: no -o mptcpx.*)
            local whose=plugin bare_status=0
            run_tshark "$FZ_BARE_HOME" "$out.bare" "$err.bare" "${args[@]:0:${#args[@]}-2}" || bare_status=$?
            if ! grep -aqiE 'MPTCPX|panicked at' <<<"$why" &&
                [ "$(signature "$status" "$out" "$err")" = "$(signature "$bare_status" "$out.bare" "$err.bare")" ]; then
                whose=wireshark
            fi
            save_failure "$whose" "$id" "$pass" "$capture" "$prob" "$seed" "$input" "$status" "$why" "$out" "$err" "$bare_status" "${args[@]}"
            verdicts+=" $whose"
            rm -f "$out.bare" "$err.bare"
        fi
        rm -f "$out" "$err"
    done
    rm -f "$input"
    # One line per corrupted file; short enough for an atomic append.
    printf '%s %s %s %s %s %s%s\n' "$round" "$name" "$prob" "$seed" "$frames" "$altered" "$verdicts" >>"$FZ_RESULTS"
}

# save_failure WHOSE ID PASS CAPTURE PROB SEED INPUT STATUS WHY OUT ERR BARE_STATUS ARGS...
save_failure() {
    local whose=$1 id=$2 pass=$3 capture=$4 prob=$5 seed=$6 input=$7 status=$8 why=$9 out=${10} err=${11} bare_status=${12}
    shift 12
    local dir="$FZ_OUT/failures/${FZ_STAMP}_${id}_pass${pass}"
    [ "$whose" = wireshark ] && dir="$FZ_OUT/failures/wireshark-only/${FZ_STAMP}_${id}_pass${pass}"
    mkdir -p "$dir"
    cp "$input" "$dir/input.pcap"
    local original="${capture##*/}"
    original="${FZ_ORIGINS[$original]:-$capture}"
    {
        echo "# The corrupted input, from the original capture:"
        echo "editcap -F pcap -E $prob --seed $seed $original input.pcap"
        echo "# The tshark run that failed (plugin target/release/libmptcpx.so in HOME's personal plugin folder;"
        echo "# as root run it as uid 65534: setpriv --reuid=65534 --regid=65534 --clear-groups ...):"
        echo "HOME=<private home> MALLOC_CHECK_=3 MALLOC_PERTURB_=$FZ_PERTURB tshark ${*//$input/input.pcap}"
    } >"$dir/command.txt"
    {
        echo "plugin: $FZ_LIB ($(sha256sum "$FZ_LIB" | cut -c1-16))"
        echo "tshark: $(tshark --version 2>/dev/null | head -1)"
        echo "verdict: $whose"
        echo "reason: $why"
        echo "exit status: $status (without the plugin: $bare_status)"
        echo
        echo "== matching lines (with the frame each is in) =="
        awk '/^Frame [0-9]+: /{f=$1" "$2} /Dissector bug|MPTCPX( analysis)? internal error|Malformed Packet: MPTCPX/{print f" "$0}' "$out" | head -40
        echo
        echo "== stderr (last 60 lines) =="
        tail -n 60 "$err"
        echo
        echo "== stdout (last 30 lines) =="
        tail -n 30 "$out"
    } >"$dir/report.txt"
    if [ "$whose" = plugin ] && [ "$status" -gt 128 ] && [ "$status" != 137 ] && command -v gdb >/dev/null; then
        local gdb=(env HOME="$FZ_HOME" LC_ALL=C.UTF-8 MALLOC_CHECK_=3 MALLOC_PERTURB_="$FZ_PERTURB"
            gdb -nx -q -batch -ex "run $* >/dev/null 2>&1" -ex 'bt 60' -ex 'info sharedlibrary' "$(command -v tshark)")
        [ "$FZ_AS_NOBODY" = 1 ] && gdb=(setpriv --reuid=65534 --regid=65534 --clear-groups "${gdb[@]}")
        timeout -k 10 600 "${gdb[@]}" >"$dir/backtrace.txt" 2>&1 || true
    fi
}

if [ "${1:-}" = "--task" ]; then
    shift
    # A task handles its own errors: one failing helper must not lose the file's result.
    set +e +o pipefail
    declare -A FZ_ORIGINS=()
    while IFS='=' read -r k v; do FZ_ORIGINS[$k]=$v; done <"$FZ_ROOT/origins"
    task "$@"
    exit 0
fi

# ---- Setup --------------------------------------------------------------------------------

cd "$(dirname "$0")/.."
repo=$(pwd)
duration=${1:-120}
case $duration in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
jobs=${JOBS:-$(nproc)}
read -r -a probs <<<"${PROBS:-0.02 0.05 0.1 0.2}"
target_dir=${CARGO_TARGET_DIR:-target}
case $target_dir in /*) ;; *) target_dir="$repo/$target_dir" ;; esac
out_dir="$target_dir/fuzz-tshark"

for tool in tshark editcap setpriv timeout; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (Debian: apt-get install tshark)" >&2; exit 2; }
done
if [ ! -d ../shared/captures ]; then
    echo "../shared/captures is absent: fuzzing the repository's captures (tests/captures) only"
fi

echo "== Building the plugin"
cargo build --release -p mptcp-dissector
lib="$target_dir/release/libmptcpx.so"
[ -f "$lib" ] || { echo "$lib not built" >&2; exit 2; }

ws_version=$(tshark --version 2>/dev/null | head -1 | grep -oE '[0-9]+\.[0-9]+' | head -1)
root=$(mktemp -d "${TMPDIR:-/tmp}/mptcpx-fuzz.XXXXXX")
cleanup() { rm -rf "$root"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
for home in home bare-home; do
    mkdir -p "$root/$home/.local/lib/wireshark/plugins/$ws_version/epan"
done
cp "$lib" "$root/home/.local/lib/wireshark/plugins/$ws_version/epan/mptcpx.so"
mkdir -p "$root/captures" "$root/work" "$root/valgrind"
: >"$root/origins"
captures=()
for f in ../shared/captures/kernel/*.pcap ../shared/captures/crafted/*.pcap ../shared/captures/public/*.pcap tests/captures/*.pcap; do
    [ -f "$f" ] || continue
    sub=$(basename "$(dirname "$f")")
    copy="$root/captures/${sub}__$(basename "$f")"
    cp "$f" "$copy"
    echo "$(basename "$copy")=$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" >>"$root/origins"
    captures+=("$copy")
done
[ ${#captures[@]} -gt 0 ] || { echo "no capture found" >&2; exit 2; }

# Frames whose bytes differ between the original and the corrupted file (editcap -E keeps
# every record header, so the records line up).
cat >"$root/altered.py" <<'EOF'
import struct, sys
def records(path):
    data = open(path, "rb").read()
    magic = data[:4]
    end = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    at, out = 24, []
    while at + 16 <= len(data):
        incl = struct.unpack(end + "I", data[at + 8:at + 12])[0]
        out.append(data[at + 16:at + 16 + incl])
        at += 16 + incl
    return out
a, b = records(sys.argv[1]), records(sys.argv[2])
print(sum(1 for x, y in zip(a, b) if x != y) + abs(len(a) - len(b)))
EOF

as_nobody=0
if [ "$(id -u)" -eq 0 ]; then
    as_nobody=1
    chmod -R a+rX "$root"
    chown -R 65534:65534 "$root/home" "$root/bare-home" "$root/valgrind"
fi
chmod 755 "$root"
ulimit -c 0

stamp=$(date -u +%Y%m%dT%H%M%SZ)
export FZ_ROOT=$root FZ_HOME=$root/home FZ_BARE_HOME=$root/bare-home FZ_OUT=$out_dir
export FZ_RESULTS=$root/results FZ_AS_NOBODY=$as_nobody FZ_TIMEOUT=${TIMEOUT:-120}
export FZ_STAMP=$stamp FZ_LIB=$lib FZ_PERTURB=$(((RANDOM % 255) + 1))
FZ_PYTHON=$(command -v python3 || true)
export FZ_PYTHON
: >"$FZ_RESULTS"

# The plugin must be loaded and active, or nothing is being fuzzed.
if ! run_tshark "$FZ_HOME" "$root/check.out" "$root/check.err" -G plugins || ! grep -q '^mptcpx\.so' "$root/check.out"; then
    echo "tshark does not load the plugin:" >&2
    cat "$root/check.out" "$root/check.err" >&2
    exit 1
fi
probe=$root/captures/crafted__c01_fastclose_ack_rst_lost_Bside.pcap
[ -f "$probe" ] || probe=${captures[0]}
run_tshark "$FZ_HOME" "$root/check.out" "$root/check.err" -nr "$probe" -Y mptcpx -T fields -e frame.number || true
if [ ! -s "$root/check.out" ]; then
    echo "the plugin dissects nothing in $probe" >&2
    exit 1
fi

# ---- Fuzzing ------------------------------------------------------------------------------

echo "== Fuzzing for $duration s: ${#captures[@]} captures, editcap -E ${probs[*]}, $jobs parallel runs, tshark $ws_version as $([ $as_nobody = 1 ] && echo 'uid 65534' || id -un)"
start=$(date +%s)
export FZ_DEADLINE=$((start + duration))
round=0
while [ "$(date +%s)" -lt "$FZ_DEADLINE" ]; do
    round=$((round + 1))
    base=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
    base=$((base % 2000000000))
    i=0
    # Every capture at one probability, then at the next: a short run still sees them all.
    for prob in "${probs[@]}"; do
        for capture in "${captures[@]}"; do
            i=$((i + 1))
            echo "$round $capture $prob $((base + i))"
        done
    done | xargs -P "$jobs" -L 1 bash "$repo/tests/fuzz_tshark.sh" --task || true
    done_now=$(awk -v r="$round" '$1 == r' "$FZ_RESULTS" | wc -l)
    fails_now=$(awk -v r="$round" '$1 == r && / plugin/' "$FZ_RESULTS" | wc -l)
    echo "round $round: $done_now corrupted files (base seed $base), $fails_now failing, $(($(date +%s) - start)) s"
done
elapsed=$(($(date +%s) - start))

# ---- Valgrind sample ----------------------------------------------------------------------

vg_summary="not run (VALGRIND=1 runs it)"
vg_ours=0
if [ "${VALGRIND:-0}" = 1 ]; then
    command -v valgrind >/dev/null || { echo "valgrind is missing (apt-get install valgrind)" >&2; exit 2; }
    read -r -a vg_names <<<"${VALGRIND_FILES:-crafted__c01_fastclose_ack_rst_lost_Bside crafted__c03_fault_announce_subtype9 kernel__09_v4_dss_checksum public__mptcp-v0}"
    echo "== valgrind memcheck on ${#vg_names[@]} corrupted captures, one and two passes"
    vg_runs=0 vg_all=0 vg_leaks=0 vg_suppressed=0
    vg_dir="$out_dir/valgrind/$stamp"
    mkdir -p "$vg_dir"
    # The field, subtree and expert arrays the plugin registers are leaked on purpose:
    # Wireshark keeps pointers into them for the life of the process (C dissectors use
    # static arrays), and frees its own tables at exit, so memcheck calls them definitely lost.
    cat >"$root/valgrind/mptcpx.supp" <<'SUPP'
{
   mptcpx-registration-arrays
   Memcheck:Leak
   match-leak-kinds: definite
   fun:malloc
   ...
   fun:*register_protoinfo*
}
SUPP
    for name in "${vg_names[@]}"; do
        capture="$root/captures/$name.pcap"
        [ -f "$capture" ] || { echo "no capture $name" >&2; continue; }
        seed=$(($(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % 2000000000))
        input="$root/work/vg_${name}_s$seed.pcap"
        editcap -F pcap -E 0.05 --seed "$seed" "$capture" "$input" >/dev/null
        chmod 644 "$input"
        for pass in 1 2; do
            args=(-nr "$input" -V -o mptcpx.verify_crypto:TRUE)
            [ "$pass" = 2 ] && args=(-nr "$input" -2 -V -o mptcpx.verify_crypto:TRUE)
            log="$root/valgrind/${name}_s${seed}_pass$pass.log"
            cmd=(env -u WIRESHARK_PLUGIN_DIR HOME="$FZ_HOME" LC_ALL=C.UTF-8 G_SLICE=always-malloc
                WIRESHARK_DEBUG_WMEM_OVERRIDE=simple
                valgrind --tool=memcheck --error-exitcode=97 --num-callers=40 --leak-check=full
                --show-leak-kinds=definite --errors-for-leak-kinds=definite --log-file="$log"
                --suppressions="$root/valgrind/mptcpx.supp"
                tshark "${args[@]}")
            [ "$as_nobody" = 1 ] && cmd=(setpriv --reuid=65534 --regid=65534 --clear-groups "${cmd[@]}")
            status=0
            timeout -k 10 1800 "${cmd[@]}" >/dev/null 2>&1 || status=$?
            vg_runs=$((vg_runs + 1))
            total=$(grep -oE 'ERROR SUMMARY: [0-9]+ errors' "$log" | grep -oE '[0-9]+' | head -1 || true)
            suppressed=$(grep -oE 'suppressed: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
            # Error blocks (and definite leaks) with a frame in the plugin.
            ours=$(awk -v report="$vg_dir/${name}_s${seed}_pass$pass.ours.txt" '
                function flush() {
                    if (block ~ /mptcpx\.so|mptcpx::|mptcp_parse::|mptcpx_shim/ &&
                        block !~ /^(HEAP|LEAK|ERROR) SUMMARY|^Memcheck|^Command:/) {
                        n++; if (block ~ /definitely lost/) leaks++
                        print block > report
                    }
                    block = ""
                }
                /^==[0-9]+== *$/ { flush(); next }
                { sub(/^==[0-9]+== /, ""); block = block $0 "\n" }
                END { flush(); print n + 0, leaks + 0 }' "$log")
            read -r ours_n ours_leaks <<<"$ours"
            vg_all=$((vg_all + ${total:-0}))
            vg_suppressed=$((vg_suppressed + ${suppressed:-0}))
            vg_ours=$((vg_ours + ours_n))
            vg_leaks=$((vg_leaks + ours_leaks))
            cp "$log" "$vg_dir/"
            echo "  $name seed $seed pass $pass: exit $status, ${total:-?} error(s) in all, $ours_n with a frame in the plugin (of them $ours_leaks definite leaks), ${suppressed:-0} suppressed"
            if [ "$status" -ne 0 ] && [ "$status" -ne 97 ]; then
                echo "  tshark under valgrind exited $status: see $vg_dir" >&2
                vg_ours=$((vg_ours + 1))
            fi
        done
        rm -f "$input"
    done
    vg_summary="$vg_runs runs, $vg_all error(s) in all (Wireshark's own leaks included), $vg_ours with a frame in the plugin (of them $vg_leaks definite leaks), $vg_suppressed suppressed (registration arrays); logs in $vg_dir"
fi

# ---- Summary ------------------------------------------------------------------------------

read -r files frames altered fails ws_fails <<<"$(awk '
    { files++; frames += $5; if ($6 >= 0) altered += $6; else unknown = 1
      for (i = 7; i <= NF; i++) { if ($i == "plugin") fails++; if ($i == "wireshark") ws++ } }
    END { printf "%d %d %s %d %d\n", files, frames, unknown ? "?" : altered + 0, fails, ws }' "$FZ_RESULTS")"
complete=$(awk -v n=$((${#captures[@]} * ${#probs[@]})) '{ c[$1]++ } END { k = 0; for (r in c) if (c[r] == n) k++; print k }' "$FZ_RESULTS")
summary="$out_dir/summary-$stamp.txt"
mkdir -p "$out_dir"
{
    echo "tests/fuzz_tshark.sh $duration (JOBS=$jobs PROBS=\"${probs[*]}\"), $stamp"
    echo "plugin:               $lib"
    echo "tshark:               $(tshark --version 2>/dev/null | head -1)"
    echo "duration:             $elapsed s of fuzzing (asked: $duration s)"
    echo "rounds:               $round started, $complete complete (${#captures[@]} captures x ${#probs[@]} probabilities each)"
    echo "corrupted files:      $files"
    echo "tshark runs:          $((files * 2)) (one pass -V and two passes -2 -V)"
    echo "frames dissected:     $frames (both runs)"
    echo "  altered by editcap: $altered frames, each dissected by both runs"
    echo "failures (plugin):    $fails"
    echo "failures (Wireshark's own, also without the plugin): $ws_fails"
    echo "valgrind:             $vg_summary"
    if [ "$fails" -gt 0 ] || [ "$ws_fails" -gt 0 ]; then
        echo "failing inputs:       $out_dir/failures/${stamp}_* and $out_dir/failures/wireshark-only/${stamp}_*"
    fi
} | tee "$summary"

status=0
[ "$fails" -eq 0 ] || status=1
[ "$vg_ours" -eq 0 ] || status=1
[ "${STRICT:-0}" != 1 ] || [ "$ws_fails" -eq 0 ] || status=1
exit "$status"
