#!/usr/bin/env python3
"""Adversarial MPTCP captures for scale tests: floods of what makes an analyser keep state.

Usage (standard library only, no privileges):
    tests/perf/gen_adversarial.py KIND PACKETS OUT.pcap [--seed N] [--check]

KIND is one of:
    bogus_connections  distinct bogus MPTCP connections, each on a new 4-tuple (4 from an
                       address of 10.64.0.0/10, to 16 servers): MP_CAPABLE v1 SYN, SYN/ACK,
                       ACK with random keys, about half with a first data segment (DSS
                       mapping, or MP_CAPABLE with data), never closed; 7% of the SYNs are
                       never answered (some retransmitted), 5% stop after the SYN/ACK. About
                       3.3 packets a connection: ~300k connections per 1e6.
    join_flood         3 real connections (handshake, data both ways), then MP_JOIN SYNs
                       from distinct source ports (one new subflow each): 6% join a real
                       connection (correct token and HMACs, then data), 30% carry a random
                       token and get a RST (some with MP_TCPRST), the rest a random token
                       and no answer (some retransmitted); 10% of the units are data on the
                       real connections.
    fastclose_flood    connections (20% with a second subflow by MP_JOIN) each ending in
                       MP_FASTCLOSE: option A retransmitted 0-3 times then answered by a RST,
                       never answered, or ended by the initiator's RST + MP_FASTCLOSE; option
                       R (RST + MP_FASTCLOSE, sometimes repeated); forged keys; and 20% of
                       the units an MP_FASTCLOSE on an unknown 4-tuple (sometimes answered).
                       8 connections an address of 10.160.0.0/11 (unknown 4-tuples:
                       10.192.0.0/11).
    add_addr_storm     4 real connections whose hosts send bursts of ADD_ADDR with ever-new
                       address IDs (wrapping at 256) and addresses (IPv4, 20% IPv6), 40% with
                       a port, 80% with a correct HMAC; 70% echoed by the peer; REMOVE_ADDR of
                       1-8 recent IDs; 10% of the units are data on the connections.
    mixed              all of the above interleaved (bogus 35%, join attempts 25%, fastclose
                       connections 20%, ADD_ADDR bursts 15%, data 5%).

Ethernet link type, IPv4 subflows with correct IP and TCP checksums and lengths, TCP
timestamps as Linux sends them, frames 10 us apart from 2023-11-14. Up to 32 (mixed: 64)
units (a connection, a join attempt, a burst) are in progress at once, their packets
interleaved at random. The output is a function of KIND, PACKETS and --seed (default 1).
--check builds every packet a second time with pktlib.py and compares (slow).

The packets are built by a fast path of this file (header templates, checksums by big-integer
folding: the sum of 16-bit words is the integer mod 0xFFFF); pktlib.py provides the MPTCP
options, the crypto (tokens, IDSNs, join HMACs) and the pcap file header. 1e6 packets take
about 15-25 s (on a shared 2 vCPU VM).
"""

import hashlib
import hmac
import ipaddress
import os
import random
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside pktlib.py
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "captures"))

import pktlib as P  # noqa: E402

SYN, ACK, RST, PSH, FIN = P.SYN, P.ACK, P.RST, P.PSH, P.FIN
V1 = 1
CAP_FLAGS = 0x01  # H: HMAC-SHA256, no checksum (what Linux sends)

T0_US = 1700000000 * 1000000
STEP_US = 10

_TCP = struct.Struct("!HHIIBBHHH")
_IP = struct.Struct("!BBHHHBBH4s4s")
_REC = struct.Struct("<IIII")
_MAC = [bytes.fromhex("020000000001"), bytes.fromhex("020000000002")]
# Ethernet headers by sending end: end 0 (the SYN's sender) to end 1, and back.
_ETH = [_MAC[1] + _MAC[0] + b"\x08\x00", _MAC[0] + _MAC[1] + b"\x08\x00"]
_SYN_OPTS_HEAD = P.opt_mss(1460) + P.opt_sack_perm()  # then timestamps, NOP, window scale
# Payload: printable filler (random bytes would wake Wireshark's heuristic dissectors).
_FILL = bytes(0x41 + i % 26 for i in range(1600))
# Announced addresses: 100.64.0.0/10 and 2001:db8::/32, counting up.
_V4_BASE = int(ipaddress.IPv4Address("100.64.0.0"))
_V6_BASE = int(ipaddress.IPv6Address("2001:db8::"))


def _checksum(data):
    """Internet checksum of an even-length `data`: the sum of its 16-bit words is congruent to
    the big-endian integer modulo 0xFFFF (2^16 = 1), so the complement is -n mod 0xFFFF (never
    0xFFFF: a non-zero sum folds to 1..0xFFFF, as in pktlib.csum)."""
    return (-int.from_bytes(data, "big")) % 0xFFFF


def _a4(n):
    return n.to_bytes(4, "big")


def add_addr(address_id, addr, port=None, truncated_hmac=None, echo=False):
    """ADD_ADDR v1: address ID, address (4 or 16 bytes), [port], [truncated HMAC iff not echo]."""
    body = bytes([address_id]) + addr
    if port is not None:
        body += struct.pack("!H", port)
    if not echo:
        body += struct.pack("!Q", truncated_hmac)
    return P.mptcp_option(3, 1 if echo else 0, body)


def add_addr_hmac(sender_key, receiver_key, address_id, addr, port):
    """Rightmost 64 bits of HMAC-SHA256(sender key || receiver key, ID || address || port)."""
    msg = bytes([address_id]) + addr + struct.pack("!H", port or 0)
    digest = hmac.new(struct.pack("!QQ", sender_key, receiver_key), msg, hashlib.sha256).digest()
    return int.from_bytes(digest[24:], "big")


def remove_addr(ids):
    return P.mptcp_option(4, 0, bytes(ids))


# ---------------------------------------------------------------- writer and subflows

class Writer:
    """Frames to a pcap file (pktlib.Pcap writes the header), 10 us apart, buffered."""

    def __init__(self, path, limit, check=False):
        self.pcap = P.Pcap(path)
        self.limit = limit
        self.count = 0
        self.now = T0_US
        self.buf = []
        self.check = check

    def emit(self, frame):
        self.now += STEP_US
        self.count += 1
        sec, usec = divmod(self.now, 1000000)
        self.buf.append(_REC.pack(sec, usec, len(frame), len(frame)))
        self.buf.append(frame)
        if len(self.buf) >= 20000:
            self.flush()

    def flush(self):
        self.pcap.f.write(b"".join(self.buf))
        self.buf.clear()

    def close(self):
        self.flush()
        self.pcap.close()


class Flow:
    """One TCP connection: end 0 sent the SYN; sequence numbers, IP IDs and TCP timestamps."""

    __slots__ = ("w", "addr", "port", "isn", "nxt", "ident", "tsbase")

    def __init__(self, w, rng, a, aport, b, bport):
        self.w = w
        self.addr = (_a4(a), _a4(b))
        self.port = (aport, bport)
        self.isn = [rng.getrandbits(32), rng.getrandbits(32)]
        self.nxt = [self.isn[0], self.isn[1]]
        self.ident = [rng.getrandbits(16), rng.getrandbits(16)]
        self.tsbase = [rng.getrandbits(31), rng.getrandbits(31)]

    def send(self, end, flags, options=b"", payload=b"", ts=True, seq=None, ack=None):
        """A segment from `end`. Its sequence number is that end's next (or `seq`: a
        retransmission, nothing advances), its ACK the other end's next."""
        w = self.w
        opts = b""
        if ts:
            ms = (w.now - T0_US) // 1000
            opts = P.opt_ts(self.tsbase[end] + ms, self.tsbase[1 - end] + ms if flags & ACK else 0)
        if flags & SYN:
            opts = _SYN_OPTS_HEAD + opts[2:] + b"\x01\x03\x03\x07" if ts else _SYN_OPTS_HEAD + b"\x01\x03\x03\x07"
        opts += options
        if len(opts) % 4:
            opts += b"\x01" * (4 - len(opts) % 4)
        if len(opts) > 40:
            raise ValueError("TCP options too long: %d" % len(opts))
        if ack is None:
            ack = self.nxt[1 - end] if flags & ACK else 0
        advance = seq is None
        if advance:
            seq = self.nxt[end]
        window = 64240 if flags & SYN else 502
        src, dst = self.addr[end], self.addr[1 - end]
        sport, dport = self.port[end], self.port[1 - end]
        tcp = _TCP.pack(sport, dport, seq, ack, (5 + len(opts) // 4) << 4, flags, window, 0, 0) + opts + payload
        n = len(tcp)
        pseudo = src + dst + b"\x00\x06" + n.to_bytes(2, "big")
        c = _checksum(pseudo + tcp + b"\x00" if n & 1 else pseudo + tcp)
        self.ident[end] = ident = (self.ident[end] + 1) & 0xFFFF
        ip = _IP.pack(0x45, 0, 20 + n, ident, 0x4000, 64, 6, 0, src, dst)
        frame = b"".join((_ETH[end], ip[:10], _checksum(ip).to_bytes(2, "big"), ip[12:],
                          tcp[:16], c.to_bytes(2, "big"), tcp[18:]))
        if w.check:
            s, d = str(ipaddress.IPv4Address(src)), str(ipaddress.IPv4Address(dst))
            ref = P.ether(_MAC[end], _MAC[1 - end], P.ipv4(s, d, P.tcp_segment(
                s, d, sport, dport, seq, ack, flags, opts, payload, window), ident=ident))
            assert ref == frame, "fast path differs from pktlib:\n%s\n%s" % (ref.hex(), frame.hex())
        w.emit(frame)
        if advance:
            self.nxt[end] = (seq + len(payload) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF


class Tuples:
    """Distinct client (address, port) pairs from `base`: `per_address` ports an address
    (at most 64,000), then the next address."""

    def __init__(self, base, per_address=64000):
        self.base = int(ipaddress.IPv4Address(base))
        self.per_address = per_address
        self.i = 0

    def take(self):
        i = self.i
        self.i += 1
        # 40503 is prime to 64000: a permutation of the ports, not a counter.
        return self.base + i // self.per_address, 1024 + (i * 40503) % 64000


class Conn:
    """A real MPTCP connection: keys, data sequence numbers, its subflows."""

    def __init__(self, w, rng, flow, key_a, key_b):
        self.w, self.rng = w, rng
        self.flows = [flow]
        self.keys = [key_a, key_b]
        self.tokens = [P.token(V1, key_a), P.token(V1, key_b)]
        self.dsn = [P.idsn(V1, key_a) + 1, P.idsn(V1, key_b) + 1]
        self.ssn = {}  # (flow index, end) -> next relative subflow sequence number
        self.ids = [0, 0]  # next ADD_ADDR address ID of each host
        self.recent = [[], []]  # recently announced IDs, for REMOVE_ADDR
        self.next_addr = 0

    def data(self, fi, end, n):
        """`end` of subflow `fi` sends `n` bytes with a DSS mapping and Data ACK (64-bit)."""
        flow = self.flows[fi]
        host = end  # subflows are opened by the client host: end 0 is host 0
        ssn = self.ssn.get((fi, end), 1)
        payload = _FILL[:n]
        opt = P.dss(data_ack=self.dsn[1 - host] & 0xFFFFFFFFFFFFFFFF, ack64=True,
                    dsn=self.dsn[host] & 0xFFFFFFFFFFFFFFFF, dsn64=True, ssn=ssn, data_len=n)
        flow.send(end, ACK | PSH, opt, payload)
        self.dsn[host] += n
        self.ssn[(fi, end)] = ssn + n

    def data_ack(self, fi, end):
        self.flows[fi].send(end, ACK, P.dss(data_ack=self.dsn[1 - end] & 0xFFFFFFFFFFFFFFFF, ack64=True))


# ---------------------------------------------------------------- units: generators, one packet a step

class Gen:
    """Everything a KIND needs: the writer, the random source, address allocators, real
    connections; its methods are the units (generators that send one packet a step)."""

    SERVERS = [int(ipaddress.IPv4Address("192.0.2.1")) + i for i in range(16)]

    def __init__(self, w, rng):
        self.w, self.rng = w, rng
        # Floods from many addresses (spoofed sources: 4 or 8 connections an address), join
        # attempts from few (distinct source ports).
        self.bogus = Tuples("10.64.0.1", 4)
        self.attackers = Tuples("10.128.0.1")
        self.fc_clients = Tuples("10.160.0.1", 8)
        self.orphans = Tuples("10.192.0.1", 8)
        self.real_clients = Tuples("10.1.0.1")
        self.joiners = Tuples("10.2.0.1")
        self.real = []  # established real connections (join targets, ADD_ADDR storms)

    def flow(self, tuples, server=None, port=5000):
        a, aport = tuples.take()
        b = server if server is not None else self.rng.choice(self.SERVERS)
        return Flow(self.w, self.rng, a, aport, b, port)

    def key(self):
        return self.rng.getrandbits(64)

    # -- connection building blocks (generators: `yield` after each packet)

    def capable(self, flow, ka, kb, first_data=True):
        """MP_CAPABLE v1 handshake, then (optionally) the client's first data with MP_CAPABLE
        and the server's reply with DSS. Returns the Conn (via StopIteration.value)."""
        flow.send(0, SYN, P.mp_capable(V1, CAP_FLAGS))
        yield
        flow.send(1, SYN | ACK, P.mp_capable(V1, CAP_FLAGS, kb))
        yield
        flow.send(0, ACK, P.mp_capable(V1, CAP_FLAGS, ka, kb))
        yield
        conn = Conn(self.w, self.rng, flow, ka, kb)
        if first_data:
            n = self.rng.randint(20, 200)
            flow.send(0, ACK | PSH, P.mp_capable(V1, CAP_FLAGS, ka, kb, data_len=n), _FILL[:n])
            conn.dsn[0] += n
            conn.ssn[(0, 0)] = 1 + n
            yield
            conn.data(0, 1, self.rng.randint(20, 1200))
            yield
        return conn

    def join(self, conn, check_hmacs=True):
        """A second subflow of `conn` by MP_JOIN (correct token and HMACs), from a new address."""
        rng = self.rng
        a, aport = self.joiners.take()
        first = conn.flows[0]
        flow = Flow(self.w, rng, a, aport, int.from_bytes(first.addr[1], "big"), first.port[1])
        r_a, r_b = rng.getrandbits(32), rng.getrandbits(32)
        ka, kb = conn.keys
        flow.send(0, SYN, P.mp_join_syn(rng.randint(1, 8), conn.tokens[1], r_a, backup=rng.random() < 0.2))
        yield
        hb = P.join_hmac(V1, kb, ka, r_b, r_a) if check_hmacs else rng.randbytes(20)
        flow.send(1, SYN | ACK, P.mp_join_syn_ack(0, int.from_bytes(hb[:8], "big"), r_b))
        yield
        ha = P.join_hmac(V1, ka, kb, r_a, r_b) if check_hmacs else rng.randbytes(20)
        flow.send(0, ACK, P.mp_join_ack(ha[:20]))
        yield
        conn.flows.append(flow)
        conn.data_ack(len(conn.flows) - 1, 1)
        yield

    def establish_real(self, count):
        """`count` real connections, one after the other, before any flood."""
        for _ in range(count):
            flow = self.flow(self.real_clients, server=self.SERVERS[0])
            unit = self.capable(flow, self.key(), self.key())
            try:
                while True:
                    next(unit)
            except StopIteration as done:
                self.real.append(done.value)

    # -- units

    def u_bogus(self):
        rng = self.rng
        flow = self.flow(self.bogus)
        r = rng.random()
        flow.send(0, SYN, P.mp_capable(V1, CAP_FLAGS))
        yield
        if r < 0.07:  # never answered; the client retransmits 0-2 times
            for _ in range(rng.randint(0, 2)):
                flow.send(0, SYN, P.mp_capable(V1, CAP_FLAGS), seq=flow.isn[0])
                yield
            return
        ka, kb = self.key(), self.key()
        flow.send(1, SYN | ACK, P.mp_capable(V1, CAP_FLAGS, kb))
        yield
        if r < 0.12:  # the client never completes the handshake
            return
        flow.send(0, ACK, P.mp_capable(V1, CAP_FLAGS, ka, kb))
        yield
        if r < 0.35:  # first data with MP_CAPABLE (as Linux)
            n = rng.randint(1, 300)
            flow.send(0, ACK | PSH, P.mp_capable(V1, CAP_FLAGS, ka, kb, data_len=n), _FILL[:n])
            yield
        elif r < 0.55:  # first data with a DSS mapping, 32- or 64-bit
            n = rng.randint(1, 300)
            dsn64 = r < 0.45
            dsn = P.idsn(V1, ka) + 1
            opt = P.dss(data_ack=(P.idsn(V1, kb) + 1) & 0xFFFFFFFFFFFFFFFF, ack64=dsn64, dsn=dsn & 0xFFFFFFFFFFFFFFFF,
                        dsn64=dsn64, ssn=1, data_len=n)
            flow.send(0, ACK | PSH, opt, _FILL[:n])
            yield

    def u_join_attempt(self):
        rng = self.rng
        r = rng.random()
        if r < 0.06 and self.real:
            conn = rng.choice(self.real)
            yield from self.join(conn)
            fi = len(conn.flows) - 1
            conn.data(fi, 0, rng.randint(20, 1400))
            yield
            conn.data_ack(fi, 1)
            yield
            return
        server = self.SERVERS[0] if rng.random() < 0.8 else rng.choice(self.SERVERS)
        flow = self.flow(self.attackers, server=server)
        token, nonce = rng.getrandbits(32), rng.getrandbits(32)
        opt = P.mp_join_syn(rng.randint(0, 255), token, nonce, backup=rng.random() < 0.3)
        flow.send(0, SYN, opt)
        yield
        if r < 0.36:  # refused: RST (30% with MP_TCPRST "MPTCP-specific error")
            extra = P.mp_tcprst(1) if rng.random() < 0.3 else b""
            flow.send(1, RST | ACK, extra, ts=False)
            yield
        elif rng.random() < 0.15:  # unanswered, retransmitted once
            flow.send(0, SYN, opt, seq=flow.isn[0])
            yield

    def u_fastclose(self):
        rng = self.rng
        r = rng.random()
        if r < 0.2:  # MP_FASTCLOSE on a 4-tuple never seen: a random key
            flow = self.flow(self.orphans)
            key = self.key()
            for _ in range(rng.randint(1, 3)):
                flow.send(0, ACK, P.mp_fastclose(key), seq=flow.isn[0])
                yield
            if rng.random() < 0.5:
                flow.send(1, RST, ts=False, ack=0, seq=flow.isn[1])
                yield
            return
        flow = self.flow(self.fc_clients)
        ka, kb = self.key(), self.key()
        conn = yield from self.capable(flow, ka, kb, first_data=rng.random() < 0.5)
        if rng.random() < 0.2:
            yield from self.join(conn)
        host = rng.randint(0, 1)  # the host that fastcloses; subflows are opened by host 0
        peer_key = conn.keys[1 - host]
        way = rng.random()
        if way < 0.6:  # option A: ACK + MP_FASTCLOSE on subflow 0, RST on the others
            for other in conn.flows[1:]:
                other.send(host, RST | ACK, ts=False)
                yield
            f0 = conn.flows[0]
            seq = f0.nxt[host]
            retransmissions = rng.randint(0, 3)
            for _ in range(1 + retransmissions):
                f0.send(host, ACK, P.mp_fastclose(peer_key), seq=seq)
                yield
            answer = rng.random()
            if answer < 0.5:  # the peer's RST
                f0.send(1 - host, RST, P.mp_tcprst(0) if rng.random() < 0.3 else b"", ts=False, ack=0)
                yield
            elif answer < 0.75:  # the initiator gives up with RST + MP_FASTCLOSE
                f0.send(host, RST | ACK, P.mp_fastclose(peer_key), ts=False, seq=seq)
                yield
            # else: never answered, no final RST
        elif way < 0.9:  # option R on every subflow, sometimes repeated on the first
            for f in conn.flows:
                f.send(host, RST | ACK, P.mp_fastclose(peer_key), ts=False)
                yield
            if rng.random() < 0.3:
                f0 = conn.flows[0]
                f0.send(host, RST | ACK, P.mp_fastclose(peer_key), ts=False, seq=f0.nxt[host])
                yield
        else:  # forged: a key that is not the peer's, sometimes repeated
            f0 = conn.flows[0]
            forged = peer_key ^ (1 << rng.randrange(64))
            for _ in range(rng.randint(1, 2)):
                f0.send(host, ACK, P.mp_fastclose(forged), seq=f0.nxt[host])
                yield

    def u_add_addr_burst(self):
        rng = self.rng
        conn = rng.choice(self.real)
        host = rng.randint(0, 1)
        fi = rng.randrange(len(conn.flows))
        flow = conn.flows[fi]
        for _ in range(rng.randint(1, 16)):
            if conn.recent[host] and rng.random() < 0.1:
                k = rng.randint(1, min(8, len(conn.recent[host])))
                ids = conn.recent[host][-k:]
                del conn.recent[host][-k:]
                flow.send(host, ACK, remove_addr(ids))
                yield
                continue
            aid = conn.ids[host]
            conn.ids[host] = (aid + 1) & 0xFF
            conn.next_addr += 1
            if rng.random() < 0.2:
                addr = (_V6_BASE + conn.next_addr).to_bytes(16, "big")
            else:
                addr = (_V4_BASE + conn.next_addr).to_bytes(4, "big")
            port = rng.randint(1024, 65535) if rng.random() < 0.4 else None
            if rng.random() < 0.8:
                h = add_addr_hmac(conn.keys[host], conn.keys[1 - host], aid, addr, port)
            else:
                h = rng.getrandbits(64)
            opt = add_addr(aid, addr, port, h)
            flow.send(host, ACK, opt, ts=len(opt) <= 28)
            conn.recent[host].append(aid)
            del conn.recent[host][:-32]
            yield
            if rng.random() < 0.7:
                echo = add_addr(aid, addr, port, echo=True)
                flow.send(1 - host, ACK, echo)
                yield

    def u_data(self):
        """Data and its Data ACK on a real connection."""
        rng = self.rng
        conn = rng.choice(self.real)
        fi = rng.randrange(len(conn.flows))
        end = rng.randint(0, 1)
        conn.data(fi, end, rng.randint(20, 1400))
        yield
        conn.data_ack(fi, 1 - end)
        yield


def weighted(rng, table):
    """A unit factory choosing among (weight, factory) pairs."""
    total = sum(w for w, _ in table)

    def make():
        x = rng.random() * total
        for w, f in table:
            x -= w
            if x < 0:
                return f()
        return table[-1][1]()
    return make


def run(w, rng, make, width):
    """Interleaves up to `width` units at random until the writer has its packets."""
    pool = []
    while w.count < w.limit:
        while len(pool) < width:
            pool.append(make())
        i = rng.randrange(len(pool))
        try:
            next(pool[i])
        except StopIteration:
            pool[i] = pool[-1]
            pool.pop()


def generate(kind, packets, path, seed, check=False):
    rng = random.Random(seed)
    w = Writer(path, packets, check)
    g = Gen(w, rng)
    width = 32
    if kind == "bogus_connections":
        make = g.u_bogus
    elif kind == "join_flood":
        g.establish_real(3)
        make = weighted(rng, [(9, g.u_join_attempt), (1, g.u_data)])
    elif kind == "fastclose_flood":
        make = g.u_fastclose
    elif kind == "add_addr_storm":
        g.establish_real(4)
        make = weighted(rng, [(9, g.u_add_addr_burst), (1, g.u_data)])
    elif kind == "mixed":
        g.establish_real(4)
        width = 64
        make = weighted(rng, [(35, g.u_bogus), (25, g.u_join_attempt), (20, g.u_fastclose),
                              (15, g.u_add_addr_burst), (5, g.u_data)])
    else:
        sys.exit("unknown KIND %r (bogus_connections, join_flood, fastclose_flood, add_addr_storm, mixed)" % kind)
    run(w, rng, make, width)
    w.close()
    return w.count


def main(argv):
    args, seed, check = [], 1, False
    it = iter(argv)
    for a in it:
        if a == "--seed":
            seed = int(next(it, "1"))
        elif a.startswith("--seed="):
            seed = int(a.split("=", 1)[1])
        elif a == "--check":
            check = True
        elif a in ("-h", "--help"):
            print(__doc__)
            return
        else:
            args.append(a)
    if len(args) != 3:
        sys.exit(__doc__)
    kind, packets, out = args[0], int(float(args[1])), args[2]
    if os.path.dirname(out):
        os.makedirs(os.path.dirname(out), exist_ok=True)
    n = generate(kind, packets, out, seed, check)
    print("%s: %s, %d packets, %d bytes" % (out, kind, n, os.path.getsize(out)))


if __name__ == "__main__":
    main(sys.argv[1:])
