"""Hand-built IPv4/TCP packets with MPTCP options, MPTCP crypto, and a pcap writer.

Standard library only. Used by gen_crafted.py and gen_encap.py (captures written from
scratch), ../gen_malformed.py (one malformed option a frame), ../perf/gen_adversarial.py
(floods) and nsapp.py (segments injected into live kernel connections inside network
namespaces).
Keys are 64-bit integers, used big-endian; v0 hashes with SHA-1, v1 with SHA-256.
"""

import hashlib
import hmac as _hmac
import ipaddress
import struct
import sys

MPTCP = 30

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


# ---------------------------------------------------------------- checksums, headers

def csum(data):
    """The Internet checksum (RFC 1071) of `data`."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _a4(addr):
    return ipaddress.IPv4Address(addr).packed


def tcp_segment(src, dst, sport, dport, seq, ack, flags, options=b"", payload=b"", window=64240):
    """A TCP header (options padded with trailing NOPs to 32 bits) and payload, checksummed."""
    options = bytes(options)
    if len(options) % 4:
        options += b"\x01" * (4 - len(options) % 4)
    assert len(options) <= 40, "TCP options too long: %d" % len(options)
    doff = (20 + len(options)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      doff << 4, flags, window, 0, 0) + options
    seg = hdr + bytes(payload)
    pseudo = _a4(src) + _a4(dst) + struct.pack("!BBH", 0, 6, len(seg))
    c = csum(pseudo + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def ipv4(src, dst, l4, ident=0, ttl=64, proto=6):
    """An IPv4 header (DF set, no options) in front of `l4`, checksummed."""
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident & 0xFFFF, 0x4000, ttl, proto, 0,
                      _a4(src), _a4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + l4


def ether(src_mac, dst_mac, ip_packet):
    return bytes(dst_mac) + bytes(src_mac) + b"\x08\x00" + ip_packet


# ---------------------------------------------------------------- TCP options

def opt_mss(mss=1460):
    return struct.pack("!BBH", 2, 4, mss)


def opt_sack_perm():
    return b"\x04\x02"


def opt_wscale(shift=7):
    return b"\x01\x03\x03" + bytes([shift])  # NOP + window scale


def opt_ts(tsval, tsecr):
    return b"\x01\x01" + struct.pack("!BBII", 8, 10, tsval & 0xFFFFFFFF, tsecr & 0xFFFFFFFF)


def mptcp_option(subtype, nibble, body, length=None):
    """An MPTCP option: kind 30, length, subtype and the low nibble, then `body`; `length`
    overrides the length byte (for malformed options)."""
    data = bytes([subtype << 4 | (nibble & 0x0F)]) + bytes(body)
    return bytes([MPTCP, 2 + len(data) if length is None else length]) + data


def mp_capable(version, flags, sender_key=None, receiver_key=None, data_len=None, checksum=None):
    """MP_CAPABLE: SYN (v0: with the sender's key; v1: no key), SYN/ACK (sender's key),
    third ACK (both keys), v1 ACK with data (both keys, data-level length, checksum)."""
    body = bytes([flags])
    if sender_key is not None:
        body += struct.pack("!Q", sender_key)
    if receiver_key is not None:
        body += struct.pack("!Q", receiver_key)
    if data_len is not None:
        body += struct.pack("!H", data_len)
    if checksum is not None:
        body += struct.pack("!H", checksum)
    return mptcp_option(0, version, body)


def mp_join_syn(address_id, token, nonce, backup=False):
    return mptcp_option(1, int(backup), struct.pack("!BII", address_id, token, nonce))


def mp_join_syn_ack(address_id, truncated_hmac, nonce, backup=False):
    return mptcp_option(1, int(backup), struct.pack("!BQI", address_id, truncated_hmac, nonce))


def mp_join_ack(hmac20):
    assert len(hmac20) == 20
    return mptcp_option(1, 0, b"\0" + hmac20)


def dss(data_ack=None, ack64=False, dsn=None, dsn64=False, ssn=0, data_len=0, checksum=None, data_fin=False):
    """DSS with an optional Data ACK and an optional mapping (with an optional checksum)."""
    flags = 0
    body = b""
    if data_ack is not None:
        flags |= 0x01
        if ack64:
            flags |= 0x02
            body += struct.pack("!Q", data_ack)
        else:
            body += struct.pack("!I", data_ack & 0xFFFFFFFF)
    if dsn is not None:
        flags |= 0x04
        if dsn64:
            flags |= 0x08
            body += struct.pack("!Q", dsn)
        else:
            body += struct.pack("!I", dsn & 0xFFFFFFFF)
        body += struct.pack("!IH", ssn, data_len)
        if checksum is not None:
            body += struct.pack("!H", checksum)
    if data_fin:
        flags |= 0x10
    return mptcp_option(2, 0, bytes([flags]) + body)


def mp_fastclose(receiver_key):
    return mptcp_option(7, 0, b"\0" + struct.pack("!Q", receiver_key))


def mp_tcprst(reason, transient=False):
    return mptcp_option(8, int(transient), bytes([reason]))


def fault_announce(cause, dst_addr_id, src_addr_id, flags=0):
    """FAULT_ANNOUNCE as this project decodes it (subtype 9, length 6 without an address)."""
    return mptcp_option(9, flags, bytes([cause, dst_addr_id, src_addr_id]))


# ---------------------------------------------------------------- crypto

def _hash(version, data):
    return (hashlib.sha1 if version == 0 else hashlib.sha256)(data).digest()


def token(version, key):
    """The most significant 32 bits of the key's hash."""
    return struct.unpack("!I", _hash(version, struct.pack("!Q", key))[:4])[0]


def idsn(version, key):
    """The least significant 64 bits of the key's hash."""
    return struct.unpack("!Q", _hash(version, struct.pack("!Q", key))[-8:])[0]


def join_hmac(version, own_key, peer_key, own_nonce, peer_nonce):
    """HMAC (key = own key || peer key, message = own random || peer random)."""
    digest = hashlib.sha1 if version == 0 else hashlib.sha256
    return _hmac.new(struct.pack("!QQ", own_key, peer_key), struct.pack("!II", own_nonce, peer_nonce), digest).digest()


def dss_checksum(dsn64, ssn, data_len, payload):
    """DSS checksum: pseudo-header (64-bit DSN, relative SSN, data-level length, zero) + payload."""
    pseudo = struct.pack("!QIHH", dsn64 & 0xFFFFFFFFFFFFFFFF, ssn, data_len, 0)
    return csum(pseudo + bytes(payload))


# ---------------------------------------------------------------- pcap

class Pcap:
    """A classic pcap file (microsecond timestamps), Ethernet link type."""

    def __init__(self, path, linktype=1):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))

    def write(self, t, frame, caplen=None):
        """A record at time `t` (seconds); `caplen` keeps only the first bytes of `frame`, as
        a capture cut by its snapshot length (the record's original length stays the frame's)."""
        sec = int(t)
        usec = int(round((t - sec) * 1e6))
        if usec >= 1000000:
            sec, usec = sec + 1, usec - 1000000
        caplen = len(frame) if caplen is None else caplen
        self.f.write(struct.pack("<IIII", sec, usec, caplen, len(frame)) + frame[:caplen])

    def close(self):
        self.f.close()


def generate(captures, argv, usage):
    """Command line of the generator scripts: writes the captures named in `argv` (a dict of
    name -> function in `captures`), or all of them for "all"; `usage` when none is named."""
    if not argv:
        sys.exit(usage)
    names = list(captures) if argv == ["all"] else argv
    for name in names:
        if name not in captures:
            sys.exit("unknown capture: %s" % name)
        captures[name]()
