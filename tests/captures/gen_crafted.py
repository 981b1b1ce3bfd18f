#!/usr/bin/env python3
"""Crafted MPTCP captures: what Linux does not send, written packet by packet.

Usage (no privileges needed; standard library only):
    tests/captures/gen_crafted.py NAME...     # or: all
NAME is one of:
    v0_connection         RFC 6824 (v0) connection with DSS checksums: MP_CAPABLE v0 with keys
                          (SHA-1 tokens and IDSNs), an MP_JOIN with correct HMAC-SHA1s, DSS
                          with 32-bit and 64-bit DSNs (one mapping spanning two segments), then
                          an option-A MP_FASTCLOSE (RST on the other subflow) answered by a RST
    fastclose_unanswered  RFC 8684 (v1) connection closed by an option-A MP_FASTCLOSE that the
                          host retransmits 3 times (+0.2, +0.6, +1.4 s): no RST answers it and
                          the host never sends its final RST

Every field (keys, nonces, sequence numbers, times) is fixed, so the output is the same at each
run. The files go beside this script (OUT=dir to write elsewhere), Ethernet link type, IPv4
with correct IP and TCP checksums, TCP timestamps on every segment as Linux sends them.
"""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the captures

import pktlib as P

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("OUT", HERE)

T0 = 1700000000.0  # capture start (2023-11-14)
MAC = [bytes.fromhex("020000000001"), bytes.fromhex("020000000002")]


class Subflow:
    """One TCP connection between end 0 (sent the SYN) and end 1, written to `cap`."""

    def __init__(self, cap, a, aport, b, bport, isn_a, isn_b, ts_a, ts_b):
        self.cap = cap
        self.addr = [(a, aport), (b, bport)]
        self.nxt = [isn_a, isn_b]
        self.ts = [ts_a, ts_b]
        self.ident = [0x100, 0x200]
        self.tsval = [0, 0]

    def send(self, end, flags, options=b"", payload=b"", ts=True, ack=None):
        """A segment from `end`; its sequence number is that end's next, its ACK the other's."""
        (src, sport), (dst, dport) = self.addr[end], self.addr[1 - end]
        opts = b""
        if ts:
            # TCP timestamp clock: milliseconds since the capture start, from each end's origin.
            self.tsval[end] = self.ts[end] + int((self.cap.now - T0) * 1000)
            opts = P.opt_ts(self.tsval[end], self.tsval[1 - end] if flags & P.ACK else 0)
        if flags & P.SYN:
            # As Linux orders them: MSS, SACK permitted, timestamps, NOP, window scale.
            opts = P.opt_mss(1460) + P.opt_sack_perm() + opts[2:] + P.opt_wscale(7)
        opts += options
        if ack is None:
            ack = self.nxt[1 - end] if flags & P.ACK else 0
        seg = P.tcp_segment(src, dst, sport, dport, self.nxt[end], ack, flags, opts, payload,
                            window=64240 if flags & P.SYN else 502)
        self.ident[end] += 1
        frame = P.ether(MAC[end], MAC[1 - end], P.ipv4(src, dst, seg, ident=self.ident[end]))
        self.cap.write(frame)
        self.nxt[end] = (self.nxt[end] + len(payload) + (1 if flags & (P.SYN | P.FIN) else 0)) & 0xFFFFFFFF


class Capture:
    def __init__(self, name):
        self.path = os.path.join(OUT, name + ".pcap")
        self.pcap = P.Pcap(self.path)
        self.now = T0
        self.frames = 0

    def at(self, dt):
        """Advance the clock by `dt` seconds."""
        self.now += dt
        return self

    def write(self, frame):
        self.frames += 1
        self.pcap.write(self.now, frame)
        self.now += 0.000050  # 50 us between back-to-back frames

    def close(self):
        self.pcap.close()
        print("%s: %d frames, %d bytes" % (self.path, self.frames, os.path.getsize(self.path)))


def payload(n, tag):
    """`n` bytes of printable filler starting with `tag`."""
    text = (tag + " ").encode() + bytes(0x41 + i % 26 for i in range(n))
    return text[:n]


# ---------------------------------------------------------------- v0_connection

def v0_connection():
    cap = Capture("v0_connection")
    v = 0
    key_a, key_b = 0x1A2B3C4D5E6F7081, 0x8899AABBCCDDEEFF
    idsn_a, idsn_b = P.idsn(v, key_a), P.idsn(v, key_b)
    tok_b = P.token(v, key_b)
    flags = 0x81  # A: checksum required; H: HMAC-SHA1
    rtt = 0.010

    # Initial subflow, 10.0.1.1 -> 10.0.2.1:5000: MP_CAPABLE v0 handshake, keys in all three.
    s1 = Subflow(cap, "10.0.1.1", 40100, "10.0.2.1", 5000, 0x11110000, 0x22220000, 5000000, 9000000)
    s1.send(0, P.SYN, P.mp_capable(v, flags, key_a))
    cap.at(rtt / 2)
    s1.send(1, P.SYN | P.ACK, P.mp_capable(v, flags, key_b))
    cap.at(rtt / 2)
    s1.send(0, P.ACK, P.mp_capable(v, flags, key_a, key_b))

    # A -> B: 32-bit DSN and Data ACK, with checksum.
    dsn_a, dsn_b = idsn_a + 1, idsn_b + 1
    data = payload(120, "GET /v0")
    s1.send(0, P.ACK | P.PSH,
            P.dss(data_ack=dsn_b, dsn=dsn_a, ssn=1, data_len=len(data),
                  checksum=P.dss_checksum(dsn_a, 1, len(data), data)), data)
    dsn_a += len(data)
    cap.at(rtt / 2)
    # B -> A: 64-bit DSN and Data ACK, with checksum.
    data = payload(300, "200 OK v0")
    s1.send(1, P.ACK | P.PSH,
            P.dss(data_ack=dsn_a, ack64=True, dsn=dsn_b, dsn64=True, ssn=1, data_len=len(data),
                  checksum=P.dss_checksum(dsn_b, 1, len(data), data)), data)
    ssn_b1 = 1 + len(data)
    dsn_b += len(data)
    cap.at(rtt / 2)
    s1.send(0, P.ACK, P.dss(data_ack=dsn_b))

    # Second subflow, 10.0.4.1 -> 10.0.2.1:5000: MP_JOIN with HMAC-SHA1 (key = own key || peer
    # key, message = own random || peer random).
    cap.at(0.100)
    r_a, r_b = 0x0A0B0C0D, 0x71727374
    hmac_b = P.join_hmac(v, key_b, key_a, r_b, r_a)
    hmac_a = P.join_hmac(v, key_a, key_b, r_a, r_b)
    s2 = Subflow(cap, "10.0.4.1", 40200, "10.0.2.1", 5000, 0x33330000, 0x44440000, 6000000, 9500000)
    s2.send(0, P.SYN, P.mp_join_syn(1, tok_b, r_a))
    cap.at(rtt / 2)
    s2.send(1, P.SYN | P.ACK, P.mp_join_syn_ack(0, int.from_bytes(hmac_b[:8], "big"), r_b))
    cap.at(rtt / 2)
    s2.send(0, P.ACK, P.mp_join_ack(hmac_a[:20]))
    cap.at(rtt / 2)
    s2.send(1, P.ACK, P.dss(data_ack=dsn_a))

    # A -> B on the second subflow: 64-bit DSN, 32-bit Data ACK.
    cap.at(0.005)
    data = payload(200, "POST /v0")
    s2.send(0, P.ACK | P.PSH,
            P.dss(data_ack=dsn_b, dsn=dsn_a, dsn64=True, ssn=1, data_len=len(data),
                  checksum=P.dss_checksum(dsn_a, 1, len(data), data)), data)
    dsn_a += len(data)
    cap.at(rtt / 2)
    s2.send(1, P.ACK, P.dss(data_ack=dsn_a))

    # B -> A on the first subflow: one 32-bit mapping of 2000 bytes over two segments, the DSS
    # on the first only.
    cap.at(0.005)
    data = payload(2000, "big v0")
    csum = P.dss_checksum(dsn_b, ssn_b1, len(data), data)
    s1.send(1, P.ACK, P.dss(data_ack=dsn_a, dsn=dsn_b, ssn=ssn_b1, data_len=len(data), checksum=csum), data[:1000])
    s1.send(1, P.ACK | P.PSH, b"", data[1000:])
    dsn_b += len(data)
    cap.at(rtt / 2)
    s1.send(0, P.ACK, P.dss(data_ack=dsn_b))

    # A closes the connection (RFC 6824 3.5): ACK + MP_FASTCLOSE (B's key) on the first
    # subflow, RST on the other; B answers with a RST on the first.
    cap.at(0.050)
    s1.send(0, P.ACK, P.mp_fastclose(key_b))
    s2.send(0, P.RST | P.ACK, ts=False)
    cap.at(rtt / 2)
    s1.send(1, P.RST, ts=False, ack=0)
    cap.close()


# ---------------------------------------------------------------- fastclose_unanswered

def fastclose_unanswered():
    cap = Capture("fastclose_unanswered")
    v = 1
    key_a, key_b = 0x0123456789ABCDEF, 0xFEDCBA9876543210
    idsn_a, idsn_b = P.idsn(v, key_a), P.idsn(v, key_b)
    flags = 0x01  # H: HMAC-SHA256, no checksum
    rtt = 0.010

    s = Subflow(cap, "10.0.1.1", 40300, "10.0.2.1", 5000, 0x55550000, 0x66660000, 7000000, 8000000)
    s.send(0, P.SYN, P.mp_capable(v, flags))
    cap.at(rtt / 2)
    s.send(1, P.SYN | P.ACK, P.mp_capable(v, flags, key_b))
    cap.at(rtt / 2)
    s.send(0, P.ACK, P.mp_capable(v, flags, key_a, key_b))
    # First data: MP_CAPABLE with both keys and the data-level length (RFC 8684 3.1).
    data = payload(100, "hello v1")
    s.send(0, P.ACK | P.PSH, P.mp_capable(v, flags, key_a, key_b, data_len=len(data)), data)
    dsn_a, dsn_b = idsn_a + 1 + len(data), idsn_b + 1
    cap.at(rtt / 2)
    data = payload(400, "reply v1")
    s.send(1, P.ACK | P.PSH, P.dss(data_ack=dsn_a, ack64=True, dsn=dsn_b, dsn64=True, ssn=1, data_len=len(data)), data)
    dsn_b += len(data)
    cap.at(rtt / 2)
    s.send(0, P.ACK, P.dss(data_ack=dsn_b, ack64=True))

    # A closes with option A; B's RST never comes back: A retransmits three times after
    # exponential backoff from a 200 ms RTO, then gives up without a final RST.
    cap.at(0.500)
    first = cap.now
    for delay in (0.0, 0.2, 0.6, 1.4):
        cap.now = first + delay
        s.send(0, P.ACK, P.dss(data_ack=dsn_b, ack64=True) + P.mp_fastclose(key_b))
    cap.close()


CAPTURES = {"v0_connection": v0_connection, "fastclose_unanswered": fastclose_unanswered}


if __name__ == "__main__":
    P.generate(CAPTURES, sys.argv[1:], __doc__)
