#!/usr/bin/env python3
"""Seed the fuzz corpora from the shared captures and the repository's.

Reads every capture under ../../../shared/captures/{kernel,crafted,public} when it is there
(a line says so when not) and ../../tests/captures (or the directories given on the command
line), finds the TCP segments (pcap and pcapng; link types
1 Ethernet, 113 Linux SLL, 276 Linux SLL2, 101/12/14/228/229 raw IP, 0 BSD loopback) and
writes, one file per distinct input, named by the SHA-1 of the content:

  corpus/options_area/      context byte + the TCP options area      (see fuzz_targets/common.rs)
  corpus/option_roundtrip/  each MPTCP option, from its kind byte to its length (or the area's end)
  corpus/tcp_segment/       each TCP segment, payload cut to 64 bytes
  corpus/crypto/            keys from MP_CAPABLE, DSS mappings with checksum and their payload
  corpus/engine/            packet records (fuzz_targets/engine_input.rs): hand-made scenarios, and
                            runs of each capture's segments

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
REPO_CAPTURES = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "captures"))
PAYLOAD_KEEP = 64
CRYPTO_PAYLOAD_MAX = 1500


def read_pcap(data):
    """Yields (linktype, frame bytes, time in ns) of a classic pcap file."""
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError("not a pcap file")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    nanos = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    at = 24
    while at + 16 <= len(data):
        sec, frac, caplen, _origlen = struct.unpack(endian + "IIII", data[at : at + 16])
        at += 16
        yield linktype, data[at : at + caplen], sec * 1_000_000_000 + (frac if nanos else frac * 1000)
        at += caplen


def read_pcapng(data):
    """Yields (linktype, frame bytes, time in ns) of a pcapng file (EPB and SPB blocks)."""
    at = 0
    endian = "<"
    linktypes = []
    resolutions = []  # units per second of each interface's timestamps
    while at + 12 <= len(data):
        btype = struct.unpack(endian + "I", data[at : at + 4])[0]
        if btype == 0x0A0D0D0A:
            endian = "<" if data[at + 8 : at + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            linktypes = []
            resolutions = []
        blen = struct.unpack(endian + "I", data[at + 4 : at + 8])[0]
        if blen < 12:
            break
        body = data[at + 8 : at + blen - 4]
        if btype == 1:  # interface description
            linktypes.append(struct.unpack(endian + "H", body[0:2])[0])
            resolution = 1_000_000
            o = 8
            while o + 4 <= len(body):
                code, olen = struct.unpack(endian + "HH", body[o : o + 4])
                if code == 0:
                    break
                if code == 9 and olen >= 1:  # if_tsresol
                    r = body[o + 4]
                    resolution = 2 ** (r & 0x7F) if r & 0x80 else 10 ** r
                o += 4 + (olen + 3) // 4 * 4
            resolutions.append(resolution)
        elif btype == 6:  # enhanced packet
            if_id, th, tl, caplen, _olen = struct.unpack(endian + "IIIII", body[:20])
            lt = linktypes[if_id] if if_id < len(linktypes) else 1
            resolution = resolutions[if_id] if if_id < len(resolutions) else 1_000_000
            yield lt, body[20 : 20 + caplen], ((th << 32) | tl) * 1_000_000_000 // resolution
        elif btype == 3:  # simple packet
            lt = linktypes[0] if linktypes else 1
            yield lt, body[4:], 0
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


def read_capture(path):
    with open(path, "rb") as f:
        data = f.read()
    return read_pcapng(data) if data[:4] == b"\x0a\x0d\x0d\x0a" else read_pcap(data)


def ip_addresses(ip):
    """(source, destination) address bytes of an IPv4 or IPv6 packet."""
    if ip[0] >> 4 == 4:
        return ip[12:16], ip[16:20]
    return ip[8:24], ip[24:40]


def tcp_segments(path):
    for linktype, frame, _time in read_capture(path):
        ip = link_to_ip(linktype, frame)
        tcp = ip_to_tcp(ip) if ip is not None else None
        if tcp is not None and len(tcp) >= 20:
            yield tcp


def tcp_packets(path):
    """(frame number, time in ns, source address, destination address, TCP segment) of each
    TCP segment of a capture; frame numbers count every frame, from 1."""
    for number, (linktype, frame, time) in enumerate(read_capture(path), 1):
        ip = link_to_ip(linktype, frame)
        tcp = ip_to_tcp(ip) if ip is not None else None
        if tcp is not None and len(tcp) >= 20:
            src, dst = ip_addresses(ip)
            yield number, time, src, dst, tcp


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


def crypto_input(version_v1, key_a, key_b, nonce_a, nonce_b, addr_id, addr, port, dsn, ssn, data_len, splits, claimed, payload,
                 relative_to=0):
    """Layout read by fuzz_targets/crypto.rs. `relative_to` (0-3): what the claimed HMAC is XORed with."""
    ctl = (1 if version_v1 else 0) | (2 if port is not None else 0) | (4 if len(addr) == 16 else 0) | relative_to << 3
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


# ---------------------------------------------------------------------------------------------
# The engine target: packet records (layout in fuzz_targets/engine_input.rs).

ENGINE_PAYLOAD_LENGTHS = [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 32, 63, 64, 100,
                          127, 128, 255, 256, 512, 536, 1000, 1400]
ENGINE_MAX_LEN = 4096  # run.sh's -max_len for engine
ENGINE_MAX_PACKETS = 128
ENGINE_CHUNKS_PER_CAPTURE = 40
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def engine_config(verify=True, differential=False, fault_code=1, stream_mode=1):
    """Config byte: verify_crypto, differential run, FAULT_ANNOUNCE subtype code (0 off, n: 8 + n),
    stream mode (0 none, 1 per 4-tuple, 2 per record, 3 per 4-tuple for ever)."""
    return bytes([int(verify) | int(differential) << 1 | fault_code << 2 | stream_mode << 5])


def engine_payload(payload=None, length=0, seed=0):
    """The payload byte(s): raw bytes when `payload` is given, else `length` filler bytes."""
    n = len(payload) if payload is not None else length
    raw = 0x20 if payload is not None else 0
    if n in ENGINE_PAYLOAD_LENGTHS:
        out = bytes([ENGINE_PAYLOAD_LENGTHS.index(n) | raw | seed << 6])
    else:
        out = bytes([31 | raw | seed << 6]) + struct.pack(">H", n)
    return out + (payload or b"")


def engine_record(flags, options=(), payload=b"", length=None, to_client=False, v6=False, caddr=0, saddr=0,
                  cport=0, sport=0, seq=None, delta=None, again=False, step=2, step_ms=None, abs_secs=None,
                  gap=False, stream=None, byte12=None):
    """One packet record. `step`: time code 0-5 (0, 1 us, 1 ms, 20 ms, 300 ms, 3 s); `step_ms`
    or `abs_secs` instead for codes 6 and 7. `seq`: an absolute sequence number, `delta`: next +
    delta, `again`: the previous segment's; else the next one in this direction."""
    b0 = int(v6) | caddr << 1 | saddr << 2 | cport << 3 | sport << 5 | int(to_client) << 7
    if seq is not None:
        mode, extra = 2, struct.pack(">I", seq & 0xFFFFFFFF)
    elif delta is not None:
        mode, extra = 1, struct.pack(">b", delta)
    elif again:
        mode, extra = 3, b""
    else:
        mode, extra = 0, b""
    if step_ms is not None:
        step, extra = 6, extra + struct.pack(">H", min(step_ms, 0xFFFF))
    elif abs_secs is not None:
        step, extra = 7, extra + struct.pack(">I", abs_secs & 0xFFFFFFFF)
    b2 = mode | step << 2 | int(gap) << 5
    if stream is not None:
        b2 |= 0x40
        extra += bytes([stream])
    if byte12 is not None:
        b2 |= 0x80
        extra += bytes([byte12])
    opts = b"".join(options)
    body = engine_payload(length=length) if length is not None else engine_payload(payload if payload else None)
    return bytes([b0, flags, b2, len(options)]) + extra + opts + body


# Option templates: a selector byte (template | variant << 4) and the template's bytes.
def o_capable(form, v1=True, csum=False, sender=0, receiver=1, h=False, data_csum=False, wrong=False, plus1=False):
    forms = {"bare": 0, "key": 1, "keys": 2, "data": 3}
    variant = forms[form] | int(v1) << 2 | int(csum) << 3
    p = sender | receiver << 2 | int(h) << 4 | int(data_csum) << 5 | int(wrong) << 6 | int(plus1) << 7
    return bytes([0 | variant << 4, p])


def o_join_syn(key=1, v1=True, bogus=False, nonce=0, addr_id=1, backup=False):
    return bytes([1 | (key | int(v1) << 2 | int(bogus) << 3) << 4, nonce | addr_id << 2 | int(backup) << 4])


def o_join_synack(listener=1, joiner=0, v1=True, wrong=False, r_b=1, r_a=0, addr_id=0):
    return bytes([2 | (listener | joiner << 2) << 4, int(v1) | int(wrong) << 1 | r_b << 2 | r_a << 4 | addr_id << 6])


def o_join_ack(joiner=0, listener=1, v1=True, wrong=False, r_b=1, r_a=0):
    return bytes([3 | (joiner | listener << 2) << 4, int(v1) | int(wrong) << 1 | r_b << 2 | r_a << 4])


def o_dss(ack=True, mapping=True, wide=False, csum=False, fin=False, wrong=False, infinite=False, key=0, v1=True,
          extent=0):
    variant = int(ack) | int(mapping) << 1 | int(wide) << 2 | int(csum) << 3
    p = int(fin) | int(wrong) << 1 | int(infinite) << 2 | key << 3 | int(v1) << 5 | extent << 6
    return bytes([4 | variant << 4, p])


def o_add_addr(addr=3, port=False, addr_id=1, echo=False, v0=False, sender=1, receiver=0, wrong=False, legacy=False,
               port_index=3):
    variant = addr | int(port) << 3
    p = addr_id | int(echo) << 2 | int(v0) << 3 | sender << 4 | int(wrong) << 6 | int(legacy) << 7
    return bytes([5 | variant << 4, p, receiver | port_index << 2])


def o_remove_addr(*ids):
    p = 0
    for i, a in enumerate(ids[:4]):
        p |= a << (2 * i)
    return bytes([6 | (len(ids) - 1) << 4, p])


def o_fastclose(key=1, wrong=False):
    return bytes([7 | (key | int(wrong) << 2) << 4])


def o_fail(offset=0, dsn=None):
    if dsn is not None:
        return bytes([8 | 1 << 4]) + struct.pack(">Q", dsn)
    return bytes([8 | (offset << 1) << 4])


def o_tcprst(reason=1, transient=False):
    return bytes([9 | int(transient) << 4, reason])


def o_fault(src_id=0, dst_id=0, cause=0x0b, transient=False, middlebox=0):
    return bytes([10 | (int(transient) | middlebox << 1) << 4, src_id | dst_id << 2 | (cause - 0x0A) << 4])


def o_prio(backup=True, addr_id=None):
    variant = int(backup) | (2 | addr_id << 2 if addr_id is not None else 0)
    return bytes([11 | variant << 4])


def o_raw(data):
    return bytes([12, len(data)]) + data


def o_tcp(kind=0):
    return bytes([13 | kind << 4])


def engine_scenarios():
    """Hand-made inputs: (name, bytes)."""
    out = []
    hs = [  # v1 handshake between client 0 and server 0, keys 0 (client) and 1 (server)
        engine_record(SYN, [o_tcp(0), o_capable("bare")]),
        engine_record(SYN | ACK, [o_capable("key", sender=1)], to_client=True),
        engine_record(ACK, [o_capable("keys", sender=0, receiver=1)]),
    ]
    hs_csum = [
        engine_record(SYN, [o_capable("bare", csum=True)]),
        engine_record(SYN | ACK, [o_capable("key", sender=1, csum=True)], to_client=True),
        engine_record(ACK, [o_capable("keys", sender=0, receiver=1, csum=True)]),
    ]
    data_c = engine_record(ACK | PSH, [o_dss(key=0)], length=100)
    data_s = engine_record(ACK | PSH, [o_dss(key=1)], length=64, to_client=True)
    join = [  # client address 1, port 1 joins server address 0
        engine_record(SYN, [o_join_syn(key=1, nonce=0, addr_id=1)], caddr=1, cport=1),
        engine_record(SYN | ACK, [o_join_synack(listener=1, joiner=0, r_b=1, r_a=0)], caddr=1, cport=1,
                      to_client=True),
        engine_record(ACK, [o_join_ack(joiner=0, listener=1, r_b=1, r_a=0)], caddr=1, cport=1),
        engine_record(ACK | PSH, [o_dss(key=0)], caddr=1, cport=1, length=200),
    ]
    cfg = engine_config(verify=True, differential=True)
    # 1. Handshake, data, join, addresses, fastclose answered by RST.
    out.append(("full", cfg + b"".join(hs + [data_c, data_s] + join + [
        engine_record(ACK, [o_add_addr(addr=3, addr_id=1, sender=1, receiver=0)], to_client=True),
        engine_record(ACK, [o_add_addr(addr=3, addr_id=1, echo=True)]),
        engine_record(ACK, [o_prio(True, 1)], caddr=1, cport=1),
        engine_record(ACK, [o_remove_addr(1)]),
        engine_record(ACK, [o_fastclose(key=1)], step=3),
        engine_record(RST | ACK, [], to_client=True, step=3),
        engine_record(RST, [o_fastclose(key=1)]),
    ])))
    # 2. Checksums: right, wrong, MP_FAIL, infinite mapping.
    out.append(("checksums", cfg + b"".join(hs_csum + [
        engine_record(ACK | PSH, [o_dss(key=0, csum=True)], length=100),
        engine_record(ACK | PSH, [o_dss(key=1, csum=True, wrong=True)], length=64, to_client=True),
        engine_record(ACK | PSH, [o_dss(key=0, csum=True, extent=1)], length=100),
        engine_record(ACK, [o_fail(offset=0)]),
        engine_record(ACK | PSH, [o_dss(key=1, csum=True, infinite=True)], length=64, to_client=True),
        engine_record(ACK | PSH, [o_dss(key=0, csum=True, fin=True)], length=7),
        engine_record(ACK | PSH, [o_dss(key=0, csum=False, wide=True)], length=9),
        engine_record(ACK | FIN, [o_dss(key=0, csum=True, fin=True, wide=True)], length=0),
    ])))
    # 3. v0 with checksums and a join.
    out.append(("v0", engine_config(verify=True, differential=True, stream_mode=0) + b"".join([
        engine_record(SYN, [o_capable("key", v1=False, csum=True, sender=2)]),
        engine_record(SYN | ACK, [o_capable("key", v1=False, csum=True, sender=3)], to_client=True),
        engine_record(ACK, [o_capable("keys", v1=False, csum=True, sender=2, receiver=3)]),
        engine_record(ACK | PSH, [o_dss(key=2, v1=False, csum=True)], length=31),
        engine_record(ACK | PSH, [o_dss(key=3, v1=False, csum=True, wide=True)], length=17, to_client=True),
        engine_record(SYN, [o_join_syn(key=3, v1=False, nonce=2, addr_id=2)], caddr=1, cport=2),
        engine_record(SYN | ACK, [o_join_synack(listener=3, joiner=2, v1=False, r_b=3, r_a=2)], caddr=1, cport=2,
                      to_client=True),
        engine_record(ACK, [o_join_ack(joiner=2, listener=3, v1=False, r_b=3, r_a=2)], caddr=1, cport=2),
    ])))
    # 4. Fastclose retransmitted, never answered; then forged.
    out.append(("fastclose_unanswered", cfg + b"".join(hs + [
        engine_record(ACK, [o_fastclose(key=1)]),
        engine_record(ACK, [o_fastclose(key=1)], again=True, step=4),
        engine_record(ACK, [o_fastclose(key=1)], again=True, step=4),
        engine_record(ACK, [o_fastclose(key=0, wrong=True)], to_client=True),
    ])))
    # 5. Fastclose after the peer's RST was lost; final RST with fastclose.
    out.append(("fastclose_rst_lost", cfg + b"".join(hs + join + [
        engine_record(ACK, [o_fastclose(key=1)]),
        engine_record(RST | ACK, [], to_client=True),
        engine_record(ACK, [o_fastclose(key=1)], again=True, step=4),
        engine_record(RST | ACK, [o_fastclose(key=1)], step=4),
        engine_record(RST | ACK, [], caddr=1, cport=1),
    ])))
    # 6. Option R: RST + MP_FASTCLOSE on one subflow, the other left.
    out.append(("fastclose_option_r", cfg + b"".join(hs + join + [
        engine_record(RST | ACK, [o_fastclose(key=0)], to_client=True),
    ])))
    # 7. SYN drop, then a plain SYN; capable stripped on the SYN/ACK; and on the third ACK.
    out.append(("stripping", engine_config(stream_mode=1) + b"".join([
        engine_record(SYN, [o_capable("bare")]),
        engine_record(SYN, [o_capable("bare")], again=True, step=5),
        engine_record(SYN, [], delta=100, step=5),
        engine_record(SYN | ACK, [], to_client=True),
        engine_record(SYN, [o_capable("bare")], cport=1),
        engine_record(SYN | ACK, [o_tcp(0)], cport=1, to_client=True),
        engine_record(SYN, [o_capable("bare")], cport=2),
        engine_record(SYN | ACK, [o_capable("key", sender=1)], cport=2, to_client=True),
        engine_record(ACK, [], cport=2),
        engine_record(ACK | PSH, [], cport=2, length=100),
    ])))
    # 8. Joins refused, unknown token, wrong HMACs.
    out.append(("joins", cfg + b"".join(hs + [
        engine_record(SYN, [o_join_syn(key=1, nonce=0, addr_id=1)], caddr=1, cport=1),
        engine_record(RST | ACK, [], caddr=1, cport=1, to_client=True),
        engine_record(SYN, [o_join_syn(key=1, nonce=1, addr_id=2)], caddr=1, cport=2),
        engine_record(SYN | ACK, [], caddr=1, cport=2, to_client=True),
        engine_record(SYN, [o_join_syn(key=1, bogus=True)], cport=3),
        engine_record(RST | ACK, [o_tcprst(1)], cport=3, to_client=True),
        engine_record(SYN, [o_join_syn(key=1, nonce=2, addr_id=3)], caddr=1, cport=3, sport=1),
        engine_record(SYN | ACK, [o_join_synack(wrong=True, r_b=3, r_a=2)], caddr=1, cport=3, sport=1,
                      to_client=True),
        engine_record(ACK, [o_join_ack(wrong=True, r_b=3, r_a=2)], caddr=1, cport=3, sport=1),
    ])))
    # 9. FAULT_ANNOUNCE naming the joined subflow (IDs 1 and 0), its RST with MP_TCPRST.
    out.append(("fault", engine_config(verify=True, fault_code=1, stream_mode=1) + b"".join(hs + join + [
        engine_record(ACK, [o_fault(src_id=0, dst_id=1, cause=0x0b)], to_client=True),
        engine_record(RST | ACK, [o_tcprst(reason=3, transient=True)], caddr=1, cport=1, to_client=True),
        engine_record(ACK, [o_fault(src_id=1, dst_id=0, cause=0x0c, middlebox=1)]),
        engine_record(ACK, [o_fault(src_id=2, dst_id=3, cause=0x19, middlebox=2)]),
    ])))
    # 10. Options missing mid-stream; ADD_ADDR repeated, with HMAC right, wrong, legacy.
    out.append(("addresses", cfg + b"".join(hs + [
        data_c,
        engine_record(ACK | PSH, [], length=100),
        engine_record(ACK, [o_add_addr(addr=3, port=True, addr_id=2, sender=1, receiver=0)], to_client=True),
        engine_record(ACK, [o_add_addr(addr=3, port=True, addr_id=2, sender=1, receiver=0)], to_client=True, step=4),
        engine_record(ACK, [o_add_addr(addr=3, port=True, addr_id=2, echo=True)]),
        engine_record(ACK, [o_add_addr(addr=3, port=True, addr_id=2, sender=1, receiver=0, legacy=True)],
                      to_client=True, step=4),
        engine_record(ACK, [o_add_addr(addr=1, addr_id=3, sender=0, receiver=1, wrong=True)]),
        engine_record(ACK, [o_add_addr(addr=5, addr_id=1, v0=True)]),
        engine_record(ACK, [o_remove_addr(2, 3, 0)], to_client=True),
    ])))
    # 11. MP_CAPABLE with data and checksum (v1), TFO-like SYN data, IPv6.
    out.append(("capable_data_v6", cfg + b"".join([
        engine_record(SYN, [o_capable("bare", csum=True)], v6=True, length=5),
        engine_record(SYN | ACK, [o_capable("key", sender=1, csum=True)], v6=True, to_client=True),
        engine_record(ACK | PSH, [o_capable("data", sender=0, receiver=1, csum=True, data_csum=True)], v6=True,
                      length=100),
        engine_record(ACK | PSH, [o_capable("data", sender=0, receiver=1, csum=True, data_csum=True, wrong=True)],
                      v6=True, length=16),
    ])))
    # 12. Mid-connection: DSS only, stream numbers per record, a corrupt header, frame gaps.
    out.append(("midstream", engine_config(verify=False, stream_mode=2) + b"".join([
        engine_record(ACK | PSH, [o_dss(key=2)], length=100, stream=7, gap=True),
        engine_record(ACK | PSH, [o_dss(key=3)], length=64, to_client=True, stream=7),
        engine_record(ACK, [o_dss(mapping=False)], stream=0xFF, gap=True),
        engine_record(ACK, [o_dss()], byte12=0x40, stream=7),
        engine_record(ACK | PSH, [o_raw(bytes([30, 4, 0x80, 1]))], length=3, stream=9, abs_secs=1_000_000),
        engine_record(ACK, [o_fastclose(key=0)], stream=9),
    ])))
    return out


class EngineCapture:
    """Turns a capture's TCP segments into engine records: its two busiest client and server
    addresses of each family, four client ports and four server ports, by order of appearance;
    real sequence numbers, times and options (as raw bytes); payloads cut to `keep` bytes."""

    def __init__(self, keep):
        self.keep = keep
        self.roles = {}  # unordered 4-tuple -> client endpoint
        self.addrs = ({}, {})  # client, server address -> slot
        self.ports = ({}, {})
        self.last_time = None
        self.last_frame = 0

    @staticmethod
    def slot(table, key, size):
        if key not in table:
            table[key] = len(table) % size
        return table[key]

    def record(self, number, time, src, dst, tcp):
        if len(src) != len(dst):
            return None
        hlen = (tcp[12] >> 4) * 4
        if hlen < 20 or len(tcp) < hlen:
            return None
        sport, dport = struct.unpack(">HH", tcp[:4])
        a, b = (src, sport), (dst, dport)
        key = (min(a, b), max(a, b))
        flags = tcp[13]
        if key not in self.roles or (flags & (SYN | ACK) == SYN and self.roles[key] != a):
            self.roles[key] = b if flags & (SYN | ACK) == (SYN | ACK) else a
        client = self.roles[key]
        server = b if client == a else a
        v6 = len(src) == 16
        caddr = self.slot(self.addrs[0], client[0], 2)
        saddr = self.slot(self.addrs[1], server[0], 2)
        cport = self.slot(self.ports[0], client[1], 4)
        sport_slot = self.slot(self.ports[1], server[1], 4)
        seq = struct.unpack(">I", tcp[4:8])[0]
        step_ms = 0 if self.last_time is None else max(0, (time - self.last_time) // 1_000_000)
        self.last_time = time
        gap = number > self.last_frame + 1
        self.last_frame = number
        area = tcp[20:hlen]
        options = [o_raw(area)] if area else []
        payload = tcp[hlen:][: self.keep]
        return engine_record(flags, options, payload, to_client=client != a, v6=v6, caddr=caddr, saddr=saddr,
                             cport=cport, sport=sport_slot, seq=seq, step_ms=step_ms, gap=gap)


def engine_capture_inputs(path, config):
    """Inputs from one capture: consecutive runs of its segments, each as long as fits."""
    for keep, chunks in ((64, ENGINE_CHUNKS_PER_CAPTURE), (1400, 2)):
        conv = EngineCapture(keep)
        records = [r for r in (conv.record(*p) for p in tcp_packets(path)) if r is not None]
        current, made = [], 0
        for r in records:
            if current and (sum(map(len, current)) + len(r) + 1 > ENGINE_MAX_LEN or len(current) >= ENGINE_MAX_PACKETS):
                yield config + b"".join(current)
                made += 1
                if made >= chunks:
                    break
                current = []
            current.append(r)
        else:
            if current:
                yield config + b"".join(current)


def default_dirs():
    """The shared captures that are there, then the repository's."""
    shared = [d for d in DEFAULT_DIRS if os.path.isdir(d)]
    if not shared:
        print("../shared/captures is absent: seeding from the repository's captures (tests/captures) only")
    return shared + [REPO_CAPTURES]


def main():
    dirs = sys.argv[1:] or default_dirs()
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
    # engine: hand-made scenarios, then each capture (the repository's own ones too) as records,
    # verifying with and without a differential run, FAULT_ANNOUNCE subtype 9, Wireshark-like streams.
    # crypto: the verified vectors (mptcp-v0.pcap's join, mptcp-aa-v1.pcap's ADD_ADDR), the
    # claimed value exactly each form the target knows (claimed 0, relative to it).
    for relative_to in range(4):
        out.put("crypto", crypto_input(False, 0x9C9EABD1E46A33B2, 0x967D2770B6960552, 0x1B665A18, 0x33ABE9D5, 1,
                                       bytes([192, 168, 136, 225]), None, 0, 0, 0, (0, 0), 0, b"", relative_to))
        out.put("crypto", crypto_input(True, 0x73BB150358A0AECB, 0x8F0C7C64A6A32AC1, 0, 0, 1,
                                       bytes([192, 168, 136, 225]), None, 0, 0, 0, (0, 0), 0, b"", relative_to))
    for _name, content in engine_scenarios():
        out.put("engine", content)
    for n, d in enumerate(dirs):
        for name in sorted(os.listdir(d)):
            if name.endswith((".pcap", ".pcapng")):
                config = engine_config(verify=True, differential=n % 2 == 0, fault_code=1, stream_mode=1 + n % 2 * 2)
                for content in engine_capture_inputs(os.path.join(d, name), config):
                    out.put("engine", content)
    for target in ("options_area", "option_roundtrip", "tcp_segment", "crypto", "engine"):
        print(f"{target}: {out.counts.get(target, 0)} new file(s) in corpus/{target}")


if __name__ == "__main__":
    main()
