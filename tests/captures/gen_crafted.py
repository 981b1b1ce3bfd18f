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
    fastclose_option_a_Aside, fastclose_option_a_Bside
                          RFC 8684 option A: ACK + MP_FASTCLOSE on one subflow, RST +
                          MP_TCPRST on the other; the peer's RSTs are lost, so the ACK +
                          MP_FASTCLOSE is retransmitted 4 times (+0.2, +0.6, +1.4, +3.0 s), then
                          a final RST + MP_FASTCLOSE. Aside: the initiator's view; Bside: the
                          peer's, with its RSTs (the first with MP_TCPRST, later ones plain)
    fault_announce        FAULT_ANNOUNCE (length 6, subtype 9) with causes 0x0A-0x0E naming the
                          second subflow, one from each end, then its RST with MP_TCPRST reason 5

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


# ---------------------------------------------------------------- fastclose_option_a

def option_a_connection(cap, sport):
    """An RFC 8684 (v1) connection of two subflows with data both ways: frames 1-15.
    Returns (s1, s2, key_a, key_b, dsn_a, dsn_b)."""
    v = 1
    key_a, key_b = 0x5A5A0123456789A1, 0xA5A5FEDCBA987654
    idsn_a, idsn_b = P.idsn(v, key_a), P.idsn(v, key_b)
    flags = 0x01  # H: HMAC-SHA256, no checksum
    rtt = 0.0002
    s1 = Subflow(cap, "10.0.1.1", sport, "10.0.2.1", 5000, 0x0A0B0000, 0x0C0D0000, 3000000, 4000000)
    s1.send(0, P.SYN, P.mp_capable(v, flags))
    cap.at(rtt / 2)
    s1.send(1, P.SYN | P.ACK, P.mp_capable(v, flags, key_b))
    s1.send(0, P.ACK, P.mp_capable(v, flags, key_a, key_b))
    cap.at(0.010)
    data = payload(500, "hello option A")
    s1.send(0, P.ACK | P.PSH, P.mp_capable(v, flags, key_a, key_b, data_len=len(data)), data)
    dsn_a, dsn_b = idsn_a + 1 + len(data), idsn_b + 1
    s1.send(1, P.ACK, P.dss(data_ack=dsn_a, ack64=True))
    # Second subflow from 10.0.4.1 (address ID 2).
    cap.at(0.001)
    r_a, r_b = 0x1B2B3B4B, 0x5C6C7C8C
    hmac_b = P.join_hmac(v, key_b, key_a, r_b, r_a)
    hmac_a = P.join_hmac(v, key_a, key_b, r_a, r_b)
    s2 = Subflow(cap, "10.0.4.1", sport + 1, "10.0.2.1", 5000, 0x0E0F0000, 0x01020000, 3500000, 4500000)
    s2.send(0, P.SYN, P.mp_join_syn(2, P.token(v, key_b), r_a))
    cap.at(rtt / 2)
    s2.send(1, P.SYN | P.ACK, P.mp_join_syn_ack(0, int.from_bytes(hmac_b[:8], "big"), r_b))
    s2.send(0, P.ACK, P.mp_join_ack(hmac_a[:20]))
    s2.send(1, P.ACK, P.dss(data_ack=dsn_a, ack64=True))
    return s1, s2, key_a, key_b, dsn_a, dsn_b


def mapping(dsn, ssn, data, data_ack):
    return P.dss(data_ack=data_ack, ack64=True, dsn=dsn, dsn64=True, ssn=ssn, data_len=len(data))


def fastclose_option_a(side):
    """A closes by option A (RFC 8684 3.5): ACK + MP_FASTCLOSE on subflow 1, RST + MP_TCPRST on
    subflow 2; B's RSTs are lost behind a firewall: A retransmits its MP_FASTCLOSE 4 times, then
    sends RST + MP_FASTCLOSE + MP_TCPRST. `side` "A": captured at A (no RST of B's arrives);
    "B": captured at B (B answers the first with RST + MP_TCPRST, the others with plain RSTs)."""
    cap = Capture("fastclose_option_a_%sside" % side)
    s1, s2, key_a, key_b, dsn_a, dsn_b = option_a_connection(cap, 40501)
    ssn = [[1 + 500, 1], [1, 1]]  # next relative SSN of [subflow][end]
    cap.at(0.010)
    for sf, i, end, n, tag in ((s1, 0, 1, 700, "reply"), (s2, 1, 0, 400, "more"), (s1, 0, 0, 300, "last")):
        data = payload(n, tag)
        if end == 0:
            sf.send(0, P.ACK | P.PSH, mapping(dsn_a, ssn[i][0], data, dsn_b), data)
            dsn_a += n
            ssn[i][0] += n
            sf.send(1, P.ACK, P.dss(data_ack=dsn_a, ack64=True))
        else:
            sf.send(1, P.ACK | P.PSH, mapping(dsn_b, ssn[i][1], data, dsn_a), data)
            dsn_b += n
            ssn[i][1] += n
            sf.send(0, P.ACK, P.dss(data_ack=dsn_b, ack64=True))
        cap.at(0.010)
    cap.at(0.040)
    first = cap.now
    close = P.dss(data_ack=dsn_b, ack64=True) + P.mp_fastclose(key_b)
    s1.send(0, P.ACK, close)
    s2.send(0, P.RST | P.ACK, P.mp_tcprst(0))
    if side == "B":
        cap.now = first + 0.000150
        s1.send(1, P.RST | P.ACK, P.mp_tcprst(0))
    # RTO 200 ms, doubled each time.
    for delay in (0.2, 0.6, 1.4, 3.0):
        cap.now = first + delay
        s1.send(0, P.ACK, close)
        if side == "B":
            cap.now = first + delay + 0.000100
            s1.send(1, P.RST, ts=False, ack=0)
    cap.now = first + 4.6
    s1.send(0, P.RST | P.ACK, P.mp_fastclose(key_b) + P.mp_tcprst(0))
    cap.close()


# ---------------------------------------------------------------- fault_announce

def fault_announce():
    """FAULT_ANNOUNCE (kind 30, length 6, subtype 9: cause, destination and source address IDs)
    naming subflow 2 (A's address ID 2 to B's ID 0; each end names the other's ID as the
    destination): causes 0x0A-0x0E from A on DSS ACKs of subflow 1, one alone (0x0B) from B; then A resets subflow 2 with MP_TCPRST reason 5
    (unacceptable performance) and the connection closes with DATA_FIN and FINs."""
    cap = Capture("fault_announce")
    s1, s2, key_a, key_b, dsn_a, dsn_b = option_a_connection(cap, 40521)
    cap.at(0.010)
    data = payload(500, "on subflow 2")
    s2.send(0, P.ACK | P.PSH, mapping(dsn_a, 1, data, dsn_b), data)
    dsn_a += len(data)
    s2.send(1, P.ACK, P.dss(data_ack=dsn_a, ack64=True))
    for cause in (0x0A, 0x0B, 0x0C, 0x0D, 0x0E):
        cap.at(0.050)
        s1.send(0, P.ACK, P.dss(data_ack=dsn_b, ack64=True) + P.fault_announce(cause, 0, 2))
    cap.at(0.050)
    s1.send(1, P.ACK, P.fault_announce(0x0B, 2, 0))
    cap.at(0.010)
    data = payload(300, "on subflow 1")
    s1.send(0, P.ACK | P.PSH, mapping(dsn_a, 501, data, dsn_b), data)
    dsn_a += len(data)
    s1.send(1, P.ACK, P.dss(data_ack=dsn_a, ack64=True))
    cap.at(0.010)
    s2.send(0, P.RST | P.ACK, P.mp_tcprst(5))
    cap.at(0.010)
    # DATA_FIN both ways (a mapping of length 1 without data), then FINs.
    s1.send(0, P.ACK, P.dss(data_ack=dsn_b, ack64=True, dsn=dsn_a, dsn64=True, ssn=0, data_len=1, data_fin=True))
    s1.send(1, P.ACK, P.dss(data_ack=dsn_a + 1, ack64=True, dsn=dsn_b, dsn64=True, ssn=0, data_len=1, data_fin=True))
    s1.send(0, P.ACK, P.dss(data_ack=dsn_b + 1, ack64=True))
    s1.send(0, P.ACK | P.FIN, P.dss(data_ack=dsn_b + 1, ack64=True))
    s1.send(1, P.ACK | P.FIN, P.dss(data_ack=dsn_a + 1, ack64=True))
    s1.send(0, P.ACK, P.dss(data_ack=dsn_b + 1, ack64=True))
    cap.close()


CAPTURES = {"v0_connection": v0_connection, "fastclose_unanswered": fastclose_unanswered,
            "fastclose_option_a_Aside": lambda: fastclose_option_a("A"),
            "fastclose_option_a_Bside": lambda: fastclose_option_a("B"),
            "fault_announce": fault_announce}


if __name__ == "__main__":
    P.generate(CAPTURES, sys.argv[1:], __doc__)
