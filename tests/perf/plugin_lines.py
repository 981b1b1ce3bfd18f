#!/usr/bin/env python3
"""Per packet: the instructions of the plugin's own code and the first-level instruction-cache
lines they miss, by function, from a callgrind run with instruction-level data.

    HOME=<private home with the plugin> valgrind --tool=callgrind --cache-sim=yes \\
        --dump-instr=yes --callgrind-out-file=run.cg tshark -r slice.pcap -Y mptcp >/dev/null
    python3 tests/perf/plugin_lines.py run.cg target/release/libmptcpx.so 20000
    python3 tests/perf/plugin_lines.py run.cg target/release/libmptcpx.so 20000 --in process_with

PACKETS divides the counts (the slice's packet count; tshark's start-up is included, a few
lines in all). With --in FUNCTION (a part of a function's name), each 64-byte line of the
function's code that runs: its instructions and misses a packet, and the source lines (with the
inlined callers) they come from: where the code a packet runs through is, and what is wasted
between. For source lines the plugin needs debug information (CARGO_PROFILE_RELEASE_DEBUG=1
gives it without changing the code); for builds compared with each other, aligning every
function to a line (RUSTFLAGS="-C llvm-args=-align-all-functions=6") keeps a change in one
function from shifting the others' lines.
"""
import collections
import re
import subprocess
import sys


def read_costs(path, library):
    """(instructions, I1 misses, function) per instruction address of `library`."""
    names = {}
    ir, i1, function = collections.Counter(), collections.Counter(), {}
    ob = fn = None
    last = [0, 0]
    after_calls = False

    def name(kind, value):
        m = re.match(r"\((\d+)\)(?: (.*))?", value)
        if not m:
            return value
        if m.group(2) is not None:
            names[(kind, m.group(1))] = m.group(2)
        return names.get((kind, m.group(1)), "?")

    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            if line[0].isalpha():
                key, _, value = line.partition("=")
                if key in ("ob", "cob"):
                    value = name("ob", value)
                    if key == "ob":
                        ob = value
                elif key in ("fn", "cfn"):
                    value = name("fn", value)
                    if key == "fn":
                        fn = value
                elif key in ("fl", "fi", "fe", "cfi", "cfl"):
                    name("fl", value)
                elif key == "calls":
                    # The next line is the call's inclusive cost, not this function's own.
                    after_calls = True
                continue
            if line[0] not in "0123456789+-*":
                continue
            parts = line.split()
            position = []
            for i, p in enumerate(parts[:2]):
                if p == "*":
                    position.append(last[i])
                elif p[0] in "+-":
                    position.append(last[i] + int(p))
                else:
                    position.append(int(p, 16) if p.startswith("0x") else int(p))
            last = position
            if after_calls:
                after_calls = False
                continue
            if ob and library in ob:
                costs = [int(x) for x in parts[2:]] + [0] * 9
                # events: Ir Dr Dw I1mr ...
                ir[position[0]] += costs[0]
                i1[position[0]] += costs[3]
                function[position[0]] = fn
    return ir, i1, function


def sources(so, addresses):
    """address -> [(function, file:line), ...], innermost inlined frame first."""
    out = subprocess.run(["addr2line", "-a", "-f", "-C", "-i", "-e", so] + [hex(a) for a in addresses],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    frames, at, pending = {}, None, None
    for line in out:
        if line.startswith("0x"):
            at = int(line, 16)
            frames[at] = []
        elif at is not None and line:
            if pending is None:
                pending = line
            else:
                frames[at].append((pending.split("::")[-1], line.split("/")[-1].split(" ")[0]))
                pending = None
    return frames


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    path, so, packets = sys.argv[1], sys.argv[2], int(sys.argv[3])
    inside = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--in" else None
    # The plugin as installed: .../plugins/<version>/epan/mptcpx.so.
    ir, i1, function = read_costs(path, "mptcpx.so")
    if inside is None:
        by_function = collections.defaultdict(lambda: [0, 0, set()])
        for a in ir:
            row = by_function[function[a]]
            row[0] += ir[a]
            row[1] += i1[a]
            row[2].add(a >> 6)
        print(f"{'instructions':>12} {'lines':>7} {'touched':>7}  function (per packet)")
        total = [0, 0]
        for f, (r, m, lines) in sorted(by_function.items(), key=lambda x: -x[1][1]):
            total[0] += r
            total[1] += m
            if m / packets >= 0.05:
                print(f"{r / packets:12.1f} {m / packets:7.2f} {len(lines):7d}  {f}")
        print(f"{total[0] / packets:12.1f} {total[1] / packets:7.2f}          the plugin's own code")
        return
    addresses = sorted(a for a in ir if inside in (function[a] or "") and ir[a] > 0)
    frames = sources(so, addresses)
    by_line = collections.defaultdict(list)
    for a in addresses:
        by_line[a >> 6].append(a)
    for line in sorted(by_line):
        run = by_line[line]
        print(f"{line << 6:#x}  {sum(ir[a] for a in run) / packets:6.1f} instructions  "
              f"{sum(i1[a] for a in run) / packets:5.2f} misses")
        where = collections.OrderedDict()
        for a in run:
            chain = " < ".join(f"{f}@{at}" for f, at in frames.get(a, [])[:3])
            where[chain] = where.get(chain, 0) + ir[a] / packets
        for chain, count in where.items():
            print(f"      {count:6.2f}  {chain}")


if __name__ == "__main__":
    main()
