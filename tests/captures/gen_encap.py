#!/usr/bin/env python3
"""One MPTCP connection carried in different ways: how the analysis finds its TCP segments.

Usage (no privileges needed; standard library only):
    tests/captures/gen_encap.py NAME...     # or: all
NAME is one of:
    encap_plain        the reference: an RFC 8684 (v1) connection with DSS checksums over
                       Ethernet and IPv4, 12 frames; no TCP timestamps, so that several frames
                       are under Ethernet's 60-byte minimum (SYN, pure ACKs, a 2-byte segment,
                       the RST)
    encap_padded       the same frames, those under 60 bytes padded to 60 with nonzero bytes
                       (an Ethernet trailer that is not part of the IP packet)
    encap_ipip         the same IPv4 packets inside IPv4 (protocol 4, 192.0.2.1 -> 192.0.2.2)
    icmp_quoted        encap_plain with 5 ICMP errors interleaved whose payload quotes a TCP
                       segment: an MP_CAPABLE SYN and an MP_JOIN SYN of connections that do not
                       exist, the real connection's ACK + MP_FASTCLOSE, the first 8 bytes of a
                       SYN, and the real connection's RST
    icmp_quoted_echo   icmp_quoted with each ICMP error replaced by an echo request of the same
                       size, addresses and payload: the same frame numbers without the quotes
    icmp6_quoted       the same connection over IPv6 with 3 ICMPv6 errors interleaved
                       (packet too big quoting an MP_CAPABLE SYN of another connection,
                       address unreachable quoting the ACK + MP_FASTCLOSE, port unreachable
                       quoting the RST)
    icmp6_quoted_echo  icmp6_quoted with echo requests in place of the errors
    port_reuse         one address and port pair used three times: a plain TCP connection
                       (9 frames), encap_plain's MPTCP connection (12), another plain TCP
                       connection (9), each starting with a SYN of a new sequence number, so
                       that TCP gives each a stream of its own
    plain_then_dss     a connection whose handshake carries no MPTCP option (stripped), then
                       pure ACKs without options, data with a DSS mapping, and data past the
                       mapping without one (6 frames)

Every field is fixed, so the output is the same at each run. The files go beside this script
(OUT=dir to write elsewhere).
"""

import ipaddress
import os
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the captures

import pktlib as P

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("OUT", HERE)

T0 = 1700100000.0
MAC = [bytes.fromhex("020000000011"), bytes.fromhex("020000000012")]
PAD = bytes.fromhex("deadbeefa5c3")  # nonzero trailer bytes, cut to length

V4 = {"a": "10.0.1.1", "b": "10.0.2.1", "ra": "10.0.1.254", "rb": "10.0.2.254"}
V6 = {"a": "fd00:1::1", "b": "fd00:2::1", "ra": "fd00:1::fe", "rb": "fd00:2::fe"}


# ---------------------------------------------------------------- IPv6, ICMP, Ethernet

def _a(addr):
    return ipaddress.ip_address(addr).packed


def is_v6(addr):
    return ":" in addr


def tcp_segment(src, dst, sport, dport, seq, ack, flags, options=b"", payload=b""):
    """pktlib's TCP segment, its checksum over the IPv6 pseudo-header when addresses are IPv6."""
    if not is_v6(src):
        return P.tcp_segment(src, dst, sport, dport, seq, ack, flags, options, payload, window=502)
    seg = P.tcp_segment("0.0.0.0", "0.0.0.0", sport, dport, seq, ack, flags, options, payload, window=502)
    seg = seg[:16] + b"\0\0" + seg[18:]
    c = P.csum(_a(src) + _a(dst) + struct.pack("!IxxxB", len(seg), 6) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def ipv6(src, dst, l4, nh, hlim=64):
    return struct.pack("!IHBB", 0x60000000, len(l4), nh, hlim) + _a(src) + _a(dst) + l4


def ip(src, dst, l4, proto, ident=0):
    if is_v6(src):
        return ipv6(src, dst, l4, 58 if proto == 1 else proto)
    return P.ipv4(src, dst, l4, ident=ident, proto=proto)


def icmp(src, dst, typ, code, rest, body, ident=0):
    """An ICMP (IPv4) or ICMPv6 message: type, code, checksum, 4 bytes `rest`, `body`."""
    msg = struct.pack("!BBH", typ, code, 0) + rest + body
    if is_v6(src):
        c = P.csum(_a(src) + _a(dst) + struct.pack("!IxxxB", len(msg), 58) + msg)
    else:
        c = P.csum(msg)
    msg = msg[:2] + struct.pack("!H", c) + msg[4:]
    return ip(src, dst, msg, 1, ident)


def ether(src_mac, dst_mac, packet):
    etype = 0x86DD if packet[0] >> 4 == 6 else 0x0800
    return bytes(dst_mac) + bytes(src_mac) + struct.pack("!H", etype) + packet


# ---------------------------------------------------------------- the connection

class Subflow:
    """One TCP connection between end 0 (sent the SYN) and end 1: IP packets, no timestamps."""

    def __init__(self, a, aport, b, bport, isn_a, isn_b):
        self.addr = [(a, aport), (b, bport)]
        self.nxt = [isn_a, isn_b]
        self.ident = [0x300, 0x400]

    def packet(self, end, flags, options=b"", payload=b"", ack=None, advance=True):
        (src, sport), (dst, dport) = self.addr[end], self.addr[1 - end]
        if ack is None:
            ack = self.nxt[1 - end] if flags & P.ACK else 0
        seg = tcp_segment(src, dst, sport, dport, self.nxt[end], ack, flags, options, payload)
        self.ident[end] += 1
        if advance:
            self.nxt[end] = (self.nxt[end] + len(payload) + (1 if flags & (P.SYN | P.FIN) else 0)) & 0xFFFFFFFF
        return ip(src, dst, seg, 6, self.ident[end])


def payload(n, tag):
    text = (tag + " ").encode() + bytes(0x61 + i % 26 for i in range(n))
    return text[:n]


def connection(addrs, quotes):
    """The reference connection as a list of (time, end, IP packet); `quotes(point, subflow)`
    returns the extra packets (ICMP) to put at each named point, as (end, packet) pairs."""
    v = 1
    key_a, key_b = 0x5A5A0102030405A5, 0xC3C30807060504C3
    idsn_a, idsn_b = P.idsn(v, key_a), P.idsn(v, key_b)
    flags = 0x81  # A: checksum required; H: HMAC-SHA256
    out = []
    t = [T0]

    def put(end, pkt, dt=0.000050):
        out.append((t[0], end, pkt))
        t[0] += dt

    def extra(point, s):
        for end, pkt in quotes(point, s):
            put(end, pkt)

    s = Subflow(addrs["a"], 40400, addrs["b"], 5000, 0x77770000, 0x88880000)
    # SYN with MP_CAPABLE only (58 bytes over Ethernet and IPv4).
    put(0, s.packet(0, P.SYN, P.mp_capable(v, flags)), 0.005)
    put(1, s.packet(1, P.SYN | P.ACK, P.mp_capable(v, flags, key_b)), 0.005)
    put(0, s.packet(0, P.ACK, P.mp_capable(v, flags, key_a, key_b)))
    extra("established", s)
    # A's first data: MP_CAPABLE with both keys, data-level length and checksum.
    data = payload(100, "hello encap")
    csum = P.dss_checksum(idsn_a + 1, 1, len(data), data)
    put(0, s.packet(0, P.ACK | P.PSH, P.mp_capable(v, flags, key_a, key_b, data_len=len(data), checksum=csum), data), 0.005)
    dsn_a, dsn_b = idsn_a + 1 + len(data), idsn_b + 1
    extra("after_first_data", s)
    # B: a pure ACK without options (54 bytes), then one mapping of 1502 bytes over three
    # segments, the DSS on the first only: 1000 bytes, 2 bytes (56 bytes), 500 bytes.
    put(1, s.packet(1, P.ACK))
    data = payload(1502, "reply encap")
    csum = P.dss_checksum(dsn_b, 1, len(data), data)
    put(1, s.packet(1, P.ACK, P.dss(data_ack=dsn_a, dsn=dsn_b, dsn64=True, ssn=1, data_len=len(data), checksum=csum),
                    data[:1000]))
    put(1, s.packet(1, P.ACK, b"", data[1000:1002]))
    put(1, s.packet(1, P.ACK | P.PSH, b"", data[1002:]), 0.005)
    dsn_b += len(data)
    extra("after_mapping", s)
    # A: a pure ACK without options (54 bytes), then the Data ACK.
    put(0, s.packet(0, P.ACK))
    put(0, s.packet(0, P.ACK, P.dss(data_ack=dsn_b)), 0.050)
    # A closes: ACK + MP_FASTCLOSE; B answers with a RST without options (54 bytes).
    put(0, s.packet(0, P.ACK, P.mp_fastclose(key_b)), 0.005)
    extra("after_fastclose", s)
    put(1, s.packet(1, P.RST, ack=0))
    return out


def plain_connection(addrs, isn_a, isn_b, t0):
    """A plain TCP connection on encap_plain's address and port pair: handshake, 200 bytes
    each way, FINs; 9 (time, end, IP packet)."""
    s = Subflow(addrs["a"], 40400, addrs["b"], 5000, isn_a, isn_b)
    steps = [(0, P.SYN, b""), (1, P.SYN | P.ACK, b""), (0, P.ACK, b""),
             (0, P.ACK | P.PSH, payload(200, "plain ask")), (1, P.ACK | P.PSH, payload(200, "plain answer")),
             (0, P.ACK, b""), (0, P.FIN | P.ACK, b""), (1, P.FIN | P.ACK, b""), (0, P.ACK, b"")]
    return [(t0 + 0.001 * i, end, s.packet(end, flags, b"", data)) for i, (end, flags, data) in enumerate(steps)]


def port_reuse():
    return (plain_connection(V4, 0x11110000, 0x22220000, T0 - 1.0) + connection(V4, no_quotes)
            + plain_connection(V4, 0x33330000, 0x44440000, T0 + 1.0))


def plain_then_dss():
    """Plain TCP as far as the handshake shows, then a DSS mapping of 100 bytes (5) and 100
    bytes that no mapping covers (6)."""
    s = Subflow(V4["a"], 40500, V4["b"], 5000, 0x55550000, 0x66660000)
    data = payload(200, "after the handshake")
    steps = [(P.SYN, b"", b""), (P.SYN | P.ACK, b"", b""), (P.ACK, b"", b""), (P.ACK, b"", b""),
             (P.ACK | P.PSH, P.dss(data_ack=1, dsn=0x1000, ssn=1, data_len=100), data[:100]),
             (P.ACK | P.PSH, b"", data[100:])]
    out = []
    for i, (flags, options, body) in enumerate(steps):
        end = 1 if flags == P.SYN | P.ACK else 0  # B only answers the SYN
        out.append((T0 + 0.001 * i, end, s.packet(end, flags, options, body)))
    return out


def no_quotes(point, s):
    return []


def v4_quotes(echo):
    """ICMP errors quoting segments, or (`echo`) echo requests with the same bytes."""
    def make(src, dst, typ, code, rest, quoted, n):
        if echo:
            return icmp(src, dst, 8, 0, struct.pack("!HH", 0x4D50, n), quoted, ident=0x500 + n)
        return icmp(src, dst, typ, code, rest, quoted, ident=0x500 + n)

    def quotes(point, s):
        a, b = V4["a"], V4["b"]
        if point == "established":
            # Fragmentation needed (MTU 1400), quoting an MP_CAPABLE SYN of another connection.
            other = Subflow(a, 40999, b, 5000, 0x12340000, 0)
            syn = other.packet(0, P.SYN, P.opt_mss(1460) + P.mp_capable(1, 0x81))
            return [(1, make(V4["ra"], a, 3, 4, struct.pack("!HH", 0, 1400), syn, 1))]
        if point == "after_first_data":
            # Host unreachable, quoting an MP_JOIN SYN with a token nobody has.
            other = Subflow(a, 41000, b, 5000, 0x23450000, 0)
            syn = other.packet(0, P.SYN, P.mp_join_syn(2, 0x0BADC0DE, 0x01020304))
            return [(1, make(V4["ra"], a, 3, 1, b"\0\0\0\0", syn, 2))]
        if point == "after_mapping":
            # Host unreachable, quoting the real subflow's ACK + MP_FASTCLOSE (B's key); then
            # the first 8 bytes of a SYN only (ports and sequence number, as RFC 792 allows).
            fc = s.packet(0, P.ACK, P.mp_fastclose(0xC3C30807060504C3), advance=False)
            other = Subflow(a, 41001, b, 5000, 0x34560000, 0)
            syn = other.packet(0, P.SYN, P.mp_capable(1, 0x81))
            return [(1, make(V4["ra"], a, 3, 1, b"\0\0\0\0", fc, 3)),
                    (1, make(V4["ra"], a, 3, 1, b"\0\0\0\0", syn[:28], 4))]
        if point == "after_fastclose":
            # Port unreachable from A, quoting B's RST on the real subflow.
            rst = s.packet(1, P.RST, ack=0, advance=False)
            return [(0, make(a, b, 3, 3, b"\0\0\0\0", rst, 5))]
        return []
    return quotes


def v6_quotes(echo):
    def make(src, dst, typ, code, rest, quoted, n):
        if echo:
            return icmp(src, dst, 128, 0, struct.pack("!HH", 0x4D50, n), quoted)
        return icmp(src, dst, typ, code, rest, quoted)

    def quotes(point, s):
        a, b = V6["a"], V6["b"]
        if point == "established":
            # Packet too big (MTU 1280), quoting an MP_CAPABLE SYN of another connection.
            other = Subflow(a, 40999, b, 5000, 0x12340000, 0)
            syn = other.packet(0, P.SYN, P.opt_mss(1440) + P.mp_capable(1, 0x81))
            return [(1, make(V6["ra"], a, 2, 0, struct.pack("!I", 1280), syn, 1))]
        if point == "after_mapping":
            # Address unreachable, quoting the real subflow's ACK + MP_FASTCLOSE.
            fc = s.packet(0, P.ACK, P.mp_fastclose(0xC3C30807060504C3), advance=False)
            return [(1, make(V6["ra"], a, 1, 3, b"\0\0\0\0", fc, 2))]
        if point == "after_fastclose":
            # Port unreachable from A, quoting B's RST.
            rst = s.packet(1, P.RST, ack=0, advance=False)
            return [(0, make(a, b, 1, 4, b"\0\0\0\0", rst, 3))]
        return []
    return quotes


# ---------------------------------------------------------------- link layer, files

def write(name, packets, frame):
    path = os.path.join(OUT, name + ".pcap")
    pcap = P.Pcap(path)
    for t, end, pkt in packets:
        pcap.write(t, frame(end, pkt))
    pcap.close()
    print("%s: %d frames, %d bytes" % (path, len(packets), os.path.getsize(path)))


def plain(end, pkt):
    return ether(MAC[end], MAC[1 - end], pkt)


def padded(end, pkt):
    f = plain(end, pkt)
    return f + PAD[:max(0, 60 - len(f))]


def ipip(end, pkt):
    outer = ("192.0.2.1", "192.0.2.2")
    src, dst = outer if end == 0 else outer[::-1]
    return plain(end, P.ipv4(src, dst, pkt, ident=struct.unpack("!H", pkt[4:6])[0], proto=4))


CAPTURES = {
    "encap_plain": lambda: write("encap_plain", connection(V4, no_quotes), plain),
    "encap_padded": lambda: write("encap_padded", connection(V4, no_quotes), padded),
    "encap_ipip": lambda: write("encap_ipip", connection(V4, no_quotes), ipip),
    "icmp_quoted": lambda: write("icmp_quoted", connection(V4, v4_quotes(False)), plain),
    "icmp_quoted_echo": lambda: write("icmp_quoted_echo", connection(V4, v4_quotes(True)), plain),
    "icmp6_quoted": lambda: write("icmp6_quoted", connection(V6, v6_quotes(False)), plain),
    "icmp6_quoted_echo": lambda: write("icmp6_quoted_echo", connection(V6, v6_quotes(True)), plain),
    "port_reuse": lambda: write("port_reuse", port_reuse(), plain),
    "plain_then_dss": lambda: write("plain_then_dss", plain_then_dss(), plain),
}


if __name__ == "__main__":
    P.generate(CAPTURES, sys.argv[1:], __doc__)
