#!/usr/bin/env bash
# Runs fuzz targets one after the other, SECONDS each, from their corpora, and prints
# libFuzzer's final statistics for each. Logs go to logs/<target>-<date>.log.
#
#   bash run.sh SECONDS [TARGET...]     (default: every target, in Cargo.toml order)
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:?usage: run.sh SECONDS [TARGET...]}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v mptcp-parse-fuzz)
fi

declare -A max_len=([options_area]=128 [option_roundtrip]=300 [tcp_segment]=128 [crypto]=1536 [engine]=4096)
mkdir -p logs
cargo +nightly fuzz build
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    log="logs/$target-$(date +%Y%m%d-%H%M%S).log"
    echo "== $target: $seconds s, log $log"
    start=$(date +%s)
    status=0
    cargo +nightly fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len="${max_len[$target]:-4096}" -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    echo "   exit $status after $(( $(date +%s) - start )) s"
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "$log" | sed 's/^/   /' || true
    grep -E '^#[0-9]+ +(DONE|pulse|REDUCE|NEW)' "$log" | tail -1 | sed 's/^/   last: /' || true
    grep -E 'deadly signal|panicked|ERROR: libFuzzer|SUMMARY' "$log" | head -5 | sed 's/^/   /' || true
    [ "$status" -eq 0 ] || echo "   FAILED: see $log and artifacts/$target/"
done
