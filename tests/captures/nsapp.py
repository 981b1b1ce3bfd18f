#!/usr/bin/env python3
"""The programs gen_kernel.sh runs inside its network namespaces (standard library only), and
what they share with ../perf/bulkapp.py (the MPTCP listener, the offload switches).

    nsapp.py server ADDR PORT [--conns N] [--tfo]
        MPTCP listener on ADDR:PORT (IPv6 if ADDR has a colon); echoes what each connection
        sends, N connections, then exits. --tfo: accepts TCP Fast Open (TCP_FASTOPEN).
    nsapp.py client ADDR PORT [--count N] [--interval S] [--linger S] [--mptcp 0|1] [--size B]
                    [--abort] [--tfo]
        Connects (MPTCP unless --mptcp 0), sends N short lines S seconds apart (or, with --size,
        N messages of B bytes, each in one write), reads the echoes, waits LINGER seconds, then
        closes cleanly (DATA_FIN / FIN); with --abort it closes at once with SO_LINGER 0 (a
        reset: Linux sends RST + MP_FASTCLOSE on every subflow). --tfo: connects by sendto with
        MSG_FASTOPEN, the first message in the SYN when a cookie is cached.
    nsapp.py join-syn SRC SPORT DST DPORT TOKEN
        Sends one MP_JOIN SYN (token TOKEN, hex) from SRC:SPORT by a raw socket.
    nsapp.py no-offload [--segmentation] IFACE...
        Turns transmit checksum offload off on each IFACE (what `ethtool -K IFACE tx off` does),
        so that captures taken at the sender show the checksums the wire carries; with
        --segmentation also TSO, GSO and GRO (`tso off gso off gro off`), so that they show
        wire-sized segments. Checks that each is off.
    nsapp.py forge-fastclose IFACE SERVER PORT KEY --after N
        Watches IFACE; once the client has sent N data segments to SERVER:PORT and the line is
        quiet, injects from the client's address an ACK carrying MP_FASTCLOSE with key KEY (hex),
        in sequence (next client sequence number, last acknowledgement and window, fresh
        timestamps), as an on-path attacker who sees the subflow would.
"""

import argparse
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ beside the captures

import pktlib as P

IPPROTO_MPTCP = getattr(socket, "IPPROTO_MPTCP", 262)


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def listen(addr, port, proto=IPPROTO_MPTCP, backlog=8, tfo=False):
    """A listening socket on addr:port (IPv6 if addr has a colon), once it listens "listening"
    printed (what the scripts wait for)."""
    ls = socket.socket(family(addr), socket.SOCK_STREAM, proto)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if tfo:
        ls.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
    ls.bind((addr, port))
    ls.listen(backlog)
    print("listening", flush=True)
    return ls


def server(args):
    ls = listen(args.addr, args.port, tfo=args.tfo)
    for _ in range(args.conns):
        c, _ = ls.accept()
        while True:
            try:
                data = c.recv(4096)
            except ConnectionResetError:
                break
            if not data:
                break
            c.sendall(data)
        c.close()
    ls.close()


def client(args):
    proto = IPPROTO_MPTCP if args.mptcp else socket.IPPROTO_TCP
    s = socket.socket(family(args.addr), socket.SOCK_STREAM, proto)
    s.settimeout(60)
    if not args.tfo:
        s.connect((args.addr, args.port))
    for i in range(args.count):
        line = b"line %d\n" % i
        if args.size:
            line = (line * (args.size // len(line) + 1))[:args.size]
        if args.tfo and i == 0:
            # Blocking (a timeout makes the socket non-blocking: EINPROGRESS).
            s.settimeout(None)
            sent = s.sendto(line, socket.MSG_FASTOPEN, (args.addr, args.port))
            s.settimeout(60)
            s.sendall(line[sent:])
        else:
            s.sendall(line)
        got = b""
        while len(got) < len(line):
            chunk = s.recv(4096)
            if not chunk:
                sys.exit("connection closed early")
            got += chunk
        if i + 1 < args.count:
            time.sleep(args.interval)
    time.sleep(args.linger)
    if args.abort:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        print("client reset", flush=True)
        return
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
    s.close()
    print("client done", flush=True)


def raw_send(dst, packet):
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    r.sendto(packet, (dst, 0))
    r.close()


def join_syn(args):
    tok = int(args.token, 16)
    opts = P.opt_mss(1460) + P.opt_sack_perm() + P.opt_ts(1000, 0) + P.opt_wscale(7) + P.mp_join_syn(1, tok, 0x5EED1234)
    seg = P.tcp_segment(args.src, args.dst, args.sport, args.dport, 0x10203040, 0, P.SYN, opts, window=64240)
    raw_send(args.dst, P.ipv4(args.src, args.dst, seg, ident=1))


def parse_tcp(frame):
    """(src, dst, sport, dport, seq, ack, flags, window, payload_len, tsval, tsecr) of an
    Ethernet/IPv4/TCP frame."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return None
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    tcp = ip[ihl:total]
    sport, dport, seq, ack, off, flags, window = struct.unpack("!HHIIBBH", tcp[:16])
    doff = (off >> 4) * 4
    ts = (None, None)
    i = 20
    while i < doff:
        kind = tcp[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        ln = tcp[i + 1]
        if kind == 8 and ln == 10:
            ts = struct.unpack("!II", tcp[i + 2:i + 10])
        i += max(ln, 2)
    return (socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20]), sport, dport, seq, ack, flags, window,
            len(tcp) - doff, ts[0], ts[1])


def forge_fastclose(args):
    key = int(args.key, 16)
    sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    sniff.bind((args.iface, 0))
    sniff.settimeout(0.3)
    state = {}  # client's next seq, its last ack, last timestamps from each side
    data_segments = 0
    last_packet = time.monotonic()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            frame = sniff.recv(65535)
        except socket.timeout:
            frame = None
        now = time.monotonic()
        if frame is not None:
            t = parse_tcp(frame)
            if t is None:
                continue
            src, dst, sport, dport, seq, ack, flags, window, plen, tsval, tsecr = t
            if dst == args.server and dport == args.port:
                # A segment of the client's (the first subflow found; later ones are ignored).
                if state.get("tuple", (src, sport)) != (src, sport):
                    continue
                state["tuple"] = (src, sport)
                nxt = seq + plen + (1 if flags & (P.SYN | P.FIN) else 0)
                state["seq"] = nxt
                state["ack"] = ack
                state["window"] = window
                if tsval is not None:
                    state["tsval"] = tsval
                if plen:
                    data_segments += 1
                last_packet = now
            elif src == args.server and sport == args.port and state.get("tuple") == (dst, dport):
                if tsval is not None:
                    state["peer_tsval"] = tsval
                last_packet = now
            continue
        if data_segments >= args.after and now - last_packet > 0.5 and "ack" in state:
            src, sport = state["tuple"]
            opts = b""
            if "tsval" in state:
                elapsed_ms = int((now - last_packet) * 1000)
                opts += P.opt_ts(state["tsval"] + elapsed_ms, state.get("peer_tsval", 0))
            opts += P.mp_fastclose(key)
            seg = P.tcp_segment(src, args.server, sport, args.port, state["seq"], state["ack"], P.ACK, opts, window=state["window"])
            raw_send(args.server, P.ipv4(src, args.server, seg, ident=0x4242))
            print("forged MP_FASTCLOSE injected", flush=True)
            return
    sys.exit("forge-fastclose: connection not seen in time")


# ethtool ioctl commands (linux/ethtool.h): get and set of one feature each.
TX_CHECKSUM = {"tx-checksumming": (0x16, 0x17)}
SEGMENTATION = {"tcp-segmentation-offload": (0x1E, 0x1F), "generic-segmentation-offload": (0x23, 0x24),
                "generic-receive-offload": (0x2B, 0x2C)}


def ethtool_value(iface, cmd, data=0):
    """The value of the ethtool command `cmd` on `iface` (after setting it to `data`, for a
    set command)."""
    import ctypes
    import fcntl
    SIOCETHTOOL = 0x8946
    value = ctypes.create_string_buffer(struct.pack("II", cmd, data))
    ifreq = struct.pack("16sP", iface.encode(), ctypes.addressof(value)) + b"\0" * 16
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifreq)
    finally:
        s.close()
    return struct.unpack("II", value.raw[:8])[1]


def no_offload(args):
    features = dict(TX_CHECKSUM, **(SEGMENTATION if args.segmentation else {}))
    for iface in args.ifaces:
        for name, (get, set_) in features.items():
            ethtool_value(iface, set_, 0)
            if ethtool_value(iface, get):
                sys.exit("%s: %s still on" % (iface, name))


def subcommands(doc):
    """An argument parser whose help is `doc`, and the object its subcommands are added to."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    return ap, ap.add_subparsers(dest="cmd", required=True)


def endpoint_command(sub, name):
    """Subcommand `name`, whose first arguments are ADDR PORT."""
    p = sub.add_parser(name)
    p.add_argument("addr")
    p.add_argument("port", type=int)
    return p


def main():
    ap, sub = subcommands(__doc__)
    p = endpoint_command(sub, "server")
    p.add_argument("--conns", type=int, default=1)
    p.add_argument("--tfo", action="store_true")
    p = endpoint_command(sub, "client")
    p.add_argument("--count", type=int, default=2)
    p.add_argument("--interval", type=float, default=0.2)
    p.add_argument("--linger", type=float, default=0.2)
    p.add_argument("--mptcp", type=int, default=1)
    p.add_argument("--size", type=int, default=0)
    p.add_argument("--abort", action="store_true")
    p.add_argument("--tfo", action="store_true")
    p = sub.add_parser("join-syn")
    p.add_argument("src")
    p.add_argument("sport", type=int)
    p.add_argument("dst")
    p.add_argument("dport", type=int)
    p.add_argument("token")
    p = sub.add_parser("forge-fastclose")
    p.add_argument("iface")
    p.add_argument("server")
    p.add_argument("port", type=int)
    p.add_argument("key")
    p.add_argument("--after", type=int, default=2)
    p = sub.add_parser("no-offload")
    p.add_argument("--segmentation", action="store_true")
    p.add_argument("ifaces", nargs="+")
    args = ap.parse_args()
    {"server": server, "client": client, "join-syn": join_syn, "forge-fastclose": forge_fastclose,
     "no-offload": no_offload}[args.cmd](args)


if __name__ == "__main__":
    main()
