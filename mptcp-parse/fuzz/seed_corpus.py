#!/usr/bin/env python3
"""Seed the fuzz corpora from the shared captures.

Reads every capture under ../../../shared/captures/{kernel,crafted,public} (or the
directories given on the command line), finds the TCP segments (pcap and pcapng; link types
1 Ethernet, 113 Linux SLL, 276 Linux SLL2, 101/12/14/228/229 raw IP, 0 BSD loopback) and
writes, one file per distinct input, named by the SHA-1 of the content:

  corpus/options_area/      context byte + the TCP options area      (see fuzz_targets/common.rs)
  corpus/option_roundtrip/  each MPTCP option, from its kind byte to its length (or the area's end)
  corpus/tcp_segment/       each TCP segment, payload cut to 64 bytes
  corpus/crypto/            keys from MP_CAPABLE, DSS mappings with checksum and their payload

Standard library only. Usage: python3 seed_corpus.py [capture_dir ...]
"""

import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIRS = [
    os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "captures", sub))
    for sub in ("kernel", "crafted", "public")
]
PAYLOAD_KEEP = 64
CRYPTO_PAYLOAD_MAX = 1500


def read_pcap(data):
    """Yields (linktype, frame bytes) of a classic pcap file."""
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError("not a pcap file")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    at = 24
    while at + 16 <= len(data):
        _sec, _frac, caplen, _origlen = struct.unpack(endian + "IIII", data[at : at + 16])
        at += 16
        yield linktype, data[at : at + caplen]
        at += caplen


def read_pcapng(data):
    """Yields (linktype, frame bytes) of a pcapng file (EPB and SPB blocks)."""
    at = 0
    endian = "<"
    linktypes = []
    while at + 12 <= len(data):
        btype = struct.unpack(endian + "I", data[at : at + 4])[0]
        if btype == 0x0A0D0D0A:
            endian = "<" if data[at + 8 : at + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            linktypes = []
        blen = struct.unpack(endian + "I", data[at + 4 : at + 8])[0]
        if blen < 12:
            break
        body = data[at + 8 : at + blen - 4]
        if btype == 1:  # interface description
            linktypes.append(struct.unpack(endian + "H", body[0:2])[0])
        elif btype == 6:  # enhanced packet
            if_id, _th, _tl, caplen, _olen = struct.unpack(endian + "IIIII", body[:20])
            lt = linktypes[if_id] if if_id < len(linktypes) else 1
            yield lt, body[20 : 20 + caplen]
        elif btype == 3:  # simple packet
            lt = linktypes[0] if linktypes else 1
            yield lt, body[4:]
        at += blen


def link_to_ip(linktype, frame):
    if linktype == 1:  # Ethernet, with VLAN tags
        if len(frame) < 14:
            return None
        ethertype = struct.unpack(">H", frame[12:14])[0]
        at = 14
        while ethertype in (0x8100, 0x88A8) and len(frame) >= at + 4:
            ethertype = struct.unpack(">H", frame[at + 2 : at + 4])[0]
            at += 4
        return frame[at:]
    if linktype == 113:  # Linux cooked v1
        return frame[16:]
    if linktype == 276:  # Linux cooked v2
        return frame[20:]
    if linktype in (101, 12, 14, 228, 229):  # raw IP
        return frame
    if linktype == 0:  # BSD loopback
        return frame[4:]
    return None


def ip_to_tcp(ip):
    if not ip:
        return None
    version = ip[0] >> 4
    if version == 4:
        if len(ip) < 20 or ip[9] != 6:
            return None
        ihl = (ip[0] & 0x0F) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        return ip[ihl : min(total, len(ip))]
    if version == 6:
        if len(ip) < 40 or ip[6] != 6:
            return None
        plen = struct.unpack(">H", ip[4:6])[0]
        return ip[40 : min(40 + plen, len(ip))]
    return None


def tcp_segments(path):
    with open(path, "rb") as f:
        data = f.read()
    frames = read_pcapng(data) if data[:4] == b"\x0a\x0d\x0d\x0a" else read_pcap(data)
    for linktype, frame in frames:
        ip = link_to_ip(linktype, frame)
        tcp = ip_to_tcp(ip) if ip is not None else None
        if tcp is not None and len(tcp) >= 20:
            yield tcp


def raw_options(area):
    """(kind, option bytes) like mptcp_parse::raw_options; stops at EOL or a bad length."""
    at = 0
    while at < len(area):
        kind = area[at]
        if kind == 0:
            yield kind, area[at : at + 1]
            return
        if kind == 1:
            yield kind, area[at : at + 1]
            at += 1
            continue
        if at + 1 >= len(area):
            return
        length = area[at + 1]
        if length < 2 or at + length > len(area):
            if kind == 30 and length >= 3:
                yield kind, area[at:]
            return
        yield kind, area[at : at + length]
        at += length


def context_byte(flags, payload_len, fault_subtype_code=1):
    """The options_area target's first byte: SYN ACK RST payload bits, 'segment known',
    FAULT_ANNOUNCE subtype code (1 = 9, the default)."""
    b = 0x10  # segment known
    if flags & 0x02:
        b |= 0x01
    if flags & 0x10:
        b |= 0x02
    if flags & 0x04:
        b |= 0x04
    if payload_len:
        b |= 0x08
    return b | (fault_subtype_code << 5)


class Writer:
    def __init__(self, root):
        self.root = root
        self.counts = {}

    def put(self, target, content):
        d = os.path.join(self.root, target)
        os.makedirs(d, exist_ok=True)
        name = hashlib.sha1(content).hexdigest()
        p = os.path.join(d, name)
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.write(content)
            self.counts[target] = self.counts.get(target, 0) + 1


def crypto_input(version_v1, key_a, key_b, nonce_a, nonce_b, addr_id, addr, port, dsn, ssn, data_len, splits, claimed, payload):
    """Layout read by fuzz_targets/crypto.rs."""
    ctl = (1 if version_v1 else 0) | (2 if port is not None else 0) | (4 if len(addr) == 16 else 0)
    addr16 = (addr + bytes(16))[:16]
    return (
        bytes([ctl])
        + struct.pack(">QQIIB", key_a, key_b, nonce_a, nonce_b, addr_id)
        + addr16
        + struct.pack(">H", port or 0)
        + struct.pack(">QIH", dsn, ssn, data_len)
        + struct.pack("<HH", *splits)
        + struct.pack(">Q", claimed)
        + payload
    )


def main():
    dirs = sys.argv[1:] or DEFAULT_DIRS
    out = Writer(os.path.join(HERE, "corpus"))
    for d in dirs:
        for name in sorted(os.listdir(d)):
            if not name.endswith((".pcap", ".pcapng")):
                continue
            keys = None  # (sender, receiver, version) of the last MP_CAPABLE with both keys
            for tcp in tcp_segments(os.path.join(d, name)):
                hlen = (tcp[12] >> 4) * 4
                if hlen < 20 or len(tcp) < hlen:
                    out.put("tcp_segment", tcp[:PAYLOAD_KEEP])
                    continue
                area, payload = tcp[20:hlen], tcp[hlen:]
                out.put("tcp_segment", tcp[: hlen + PAYLOAD_KEEP])
                if not area:
                    continue
                out.put("options_area", bytes([context_byte(tcp[13], len(payload))]) + area)
                for kind, opt in raw_options(area):
                    if kind != 30:
                        continue
                    out.put("option_roundtrip", opt)
                    if len(opt) < 4:
                        continue
                    subtype, nibble = opt[2] >> 4, opt[2] & 0x0F
                    if subtype == 0 and opt[1] >= 20 and len(opt) >= 20 and nibble in (0, 1):
                        sk, rk = struct.unpack(">QQ", opt[4:20])
                        keys = (sk, rk, nibble)
                        out.put("crypto", crypto_input(nibble == 1, sk, rk, 0, 0, 0, bytes(4), None, 0, 0, 0, (0, 0), 0, b""))
                    if subtype == 2 and keys is not None:
                        f = opt[3]
                        at = 4
                        if f & 0x01:
                            at += 8 if f & 0x02 else 4
                        if not f & 0x04:
                            continue
                        dlen = 8 if f & 0x08 else 4
                        body = opt[at : at + dlen + 6]
                        if len(body) < dlen + 6:
                            continue
                        dsn = int.from_bytes(body[:dlen], "big")
                        ssn, data_len = struct.unpack(">IH", body[dlen:])
                        with_csum = opt[1] == at + dlen + 8
                        if not with_csum and not payload:
                            continue
                        csum = struct.unpack(">H", opt[at + dlen + 6 : at + dlen + 8])[0] if with_csum else 0
                        pl = payload[:CRYPTO_PAYLOAD_MAX]
                        splits = (len(pl) // 3, 2 * len(pl) // 3 + 1)
                        out.put(
                            "crypto",
                            crypto_input(keys[2] == 1, keys[0], keys[1], ssn, data_len, 1, bytes([10, 0, 0, 2]), 8080,
                                         dsn, ssn, data_len, splits, csum, pl),
                        )
    for target in ("options_area", "option_roundtrip", "tcp_segment", "crypto"):
        print(f"{target}: {out.counts.get(target, 0)} new file(s) in corpus/{target}")


if __name__ == "__main__":
    main()
