#!/usr/bin/env python3
"""Writes a capture of malformed and odd MPTCP options, one per frame, for the plugin tests.

Usage: gen_malformed.py OUT.pcap

Next to OUT.pcap it writes OUT.tsv, one line per frame:
    frame  subtype  expert  field  description
`expert` is the MPTCPX expert item the option must raise ("-": none), `field` a text the
expert message must contain (the field the parser names; "-": nothing to check).
Standard library only; the packets are IPv4/TCP in a LINKTYPE_RAW capture.
"""

import struct
import sys

MPTCP = 30


def opt(subtype, nibble, body, length=None):
    """An MPTCP option; `length` overrides the length byte."""
    data = bytes([subtype << 4 | nibble]) + bytes(body)
    return bytes([MPTCP, length if length is not None else 2 + len(data)]) + data


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def packet(options, flags, seq, payload=b""):
    """IPv4 + TCP 10.1.0.1:40000 -> 10.2.0.1:5000 carrying `options` (padded with EOL)."""
    options = bytes(options)
    options += b"\0" * (-len(options) % 4)
    hlen = 20 + len(options)
    tcp = struct.pack("!HHIIBBHHH", 40000, 5000, seq, 1, (hlen // 4) << 4, flags, 64000, 0, 0)
    tcp += options + payload
    src, dst = bytes([10, 1, 0, 1]), bytes([10, 2, 0, 1])
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + tcp


ACK, RST, SYN, PSH = 0x10, 0x04, 0x02, 0x08
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
    records, manifest = [], []
    seq = 1000
    for n, (option, flags, snap, subtype, expert, field, desc) in enumerate(CASES, start=1):
        pkt = packet(option, flags, seq)
        caplen = len(pkt)
        if snap is not None:
            # IP (20) + TCP (20) + the first `snap` bytes of the option.
            caplen = 40 + snap
        records.append(struct.pack("<IIII", 1700000000 + n, 0, caplen, len(pkt)) + pkt[:caplen])
        manifest.append("\t".join([str(n), str(subtype), expert, field, desc]))
        seq += 1000
    with open(out, "wb") as f:
        # pcap header: magic, v2.4, tz 0, sigfigs 0, snaplen 65535, LINKTYPE_RAW (101)
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        f.write(b"".join(records))
    with open(base + ".tsv", "w") as f:
        f.write("\n".join(manifest) + "\n")


if __name__ == "__main__":
    main()
