#!/usr/bin/env python3
"""Writes a capture of malformed and odd MPTCP options, one per frame, for the plugin tests.

Usage: gen_malformed.py OUT.pcap

Next to OUT.pcap it writes OUT.tsv, one line per frame:
    frame  subtype  expert  field  description
`expert` is the MPTCPX expert item the option must raise ("-": none), `field` a text the
expert message must contain (the field the parser names; "-": nothing to check).
Standard library only; the packets are IPv4/TCP in a LINKTYPE_RAW capture.
"""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside pktlib.py
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "captures"))

import pktlib as P  # noqa: E402
from pktlib import ACK, RST, SYN  # noqa: E402

opt = P.mptcp_option
SRC, DST = "10.1.0.1", "10.2.0.1"


def packet(options, flags, seq, payload=b""):
    """IPv4 + TCP 10.1.0.1:40000 -> 10.2.0.1:5000 carrying `options` (padded with EOL)."""
    options = bytes(options)
    options += b"\0" * (-len(options) % 4)
    seg = P.tcp_segment(SRC, DST, 40000, 5000, seq, 1, flags, options, payload, window=64000)
    return P.ipv4(SRC, DST, seg, ident=1)


KEY_A = bytes.fromhex("0102030405060708")
KEY_B = bytes.fromhex("1112131415161718")

# (option, tcp flags, snap: bytes of the option captured (None: all), subtype, expert,
#  field, description)
CASES = [
    # Malformed, or cut by the snapshot length (not captured, a note): each names the field the
    # parser stopped at.
    (opt(0, 1, [0x01] + list(KEY_A) + [0]), SYN | ACK, None, 0, "mptcpx.malformed", "length",
     "MP_CAPABLE v1 with length 13"),
    (opt(1, 0, [1] + list(b"\xaa\xbb\xcc\xdd") + list(b"\x01\x02\x03\x04")), SYN, 7, 1,
     "mptcpx.not_captured", "receiver token", "MP_JOIN SYN cut by the snapshot length"),
    (opt(2, 0, [0x04, 0, 0, 0, 1]), ACK, None, 2, "mptcpx.malformed", "length",
     "DSS with flag M and length 8"),
    (opt(2, 0, [], length=3), ACK, None, 2, "mptcpx.malformed", "length",
     "DSS with length 3: no flags byte"),
    (opt(2, 0, [0x01, 0, 0, 0, 1]), ACK, 5, 2, "mptcpx.not_captured", "Data ACK",
     "DSS with a Data ACK cut by the snapshot length"),
    (opt(3, 0, [1, 10, 0, 0, 9, 0]), ACK, None, 3, "mptcpx.malformed", "length",
     "ADD_ADDR with length 9"),
    (opt(4, 0, []), ACK, None, 4, "mptcpx.malformed", "length",
     "REMOVE_ADDR without any address ID"),
    (opt(5, 1, [1, 2]), ACK, None, 5, "mptcpx.malformed", "length", "MP_PRIO with length 5"),
    (opt(6, 0, [0] + [0] * 4), ACK, None, 6, "mptcpx.malformed", "length",
     "MP_FAIL with length 8"),
    (opt(7, 0, [0] + list(KEY_B) + [0, 0, 0, 0]), ACK, None, 7, "mptcpx.malformed", "length",
     "MP_FASTCLOSE with length 16"),
    (opt(8, 0, [1, 0]), RST | ACK, None, 8, "mptcpx.malformed", "length",
     "MP_TCPRST with length 5"),
    (opt(9, 0x4, [0x0A, 1, 0]), ACK, None, 9, "mptcpx.malformed", "flags",
     "FAULT_ANNOUNCE with V set without A"),
    (opt(9, 0x8, [0x0B, 1, 0]), ACK, None, 9, "mptcpx.malformed", "length",
     "FAULT_ANNOUNCE with A set but no address (length 6)"),
    # Odd but decodable: warnings.
    (opt(8, 0x8, [2]), RST | ACK, None, 8, "mptcpx.reserved_set", "MP_TCPRST",
     "MP_TCPRST with the reserved U bit set"),
    (opt(2, 0, [0xE1, 0, 0, 0, 7]), ACK, None, 2, "mptcpx.reserved_set", "DSS",
     "DSS with the three reserved flag bits set"),
    (opt(0, 2, [0x01] + list(KEY_A)), SYN, None, 0, "mptcpx.capable.unknown_version", "version 2",
     "MP_CAPABLE version 2"),
    (opt(8, 0, [0x20]), RST | ACK, None, 8, "mptcpx.rst.unassigned_reason", "0x20",
     "MP_TCPRST with unassigned reason 0x20"),
    (opt(8, 0, [3]), ACK, None, 8, "mptcpx.rst.without_rst_flag", "without RST",
     "MP_TCPRST on a segment without RST"),
    (opt(9, 0, [0x0C, 1, 0, 0x55, 0]), ACK, None, 9, "mptcpx.fault.padding_nonzero", "padding",
     "FAULT_ANNOUNCE with non-zero padding"),
    # Valid, unusual.
    (opt(15, 0x3, [0xDE, 0xAD]), ACK, None, 15, "-", "-", "MP_EXPERIMENTAL with a 2-byte body"),
    (opt(12, 0, [0x0A, 2, 1]), ACK, None, 12, "-", "-",
     "FAULT_ANNOUNCE at subtype 12 (decoded only when configured there)"),
    (opt(9, 0x8 | 0x2, [0x0D, 1, 0, 192, 0, 2, 7]), ACK, None, 9, "-", "-",
     "FAULT_ANNOUNCE, transient, IPv4 middlebox 192.0.2.7"),
    (opt(9, 0x8 | 0x4, [0x0E, 0, 1] + list(bytes.fromhex("20010db8000000000000000000000001")) + [0, 0]),
     ACK, None, 9, "-", "-", "FAULT_ANNOUNCE, IPv6 middlebox 2001:db8::1, padded to 24"),
]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    base = out[:-5] if out.endswith(".pcap") else out
    manifest = []
    seq = 1000
    pcap = P.Pcap(out, linktype=101)  # LINKTYPE_RAW
    for n, (option, flags, snap, subtype, expert, field, desc) in enumerate(CASES, start=1):
        pkt = packet(option, flags, seq)
        # IP (20) + TCP (20) + the first `snap` bytes of the option.
        pcap.write(1700000000 + n, pkt, None if snap is None else 40 + snap)
        manifest.append("\t".join([str(n), str(subtype), expert, field, desc]))
        seq += 1000
    pcap.close()
    with open(base + ".tsv", "w") as f:
        f.write("\n".join(manifest) + "\n")

if __name__ == "__main__":
    main()
