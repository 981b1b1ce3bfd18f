#!/usr/bin/env python3
"""The programs gen_bulk.sh runs inside its network namespaces (standard library only).

    bulkapp.py server ADDR PORT [--tcp]
        MPTCP listener (plain TCP with --tcp) on ADDR:PORT, one thread per connection, until
        killed. Each connection starts with a 32-byte header naming its session:
            UP N          the client sends N bytes; the server answers "ok" once it has them all
            DOWN N        the server sends N bytes
            RR K Q R      K rounds: the client sends a Q-byte request, the server an R-byte reply
        then the client shuts its side down (DATA_FIN), the server reads to the end and closes
        its side: every connection ends with DATA_FINs and FINs both ways.
    bulkapp.py client ADDR PORT --workers W --stop-file F [--seed S] [--tcp]
        W workers, each opening MPTCP connections (plain TCP with --tcp) one after the other,
        each a session drawn at random (a third uploads, a third downloads of 0.5-4 MB, a third
        100-400 request/response rounds), until the file F exists; the sessions under way then
        finish cleanly. Prints the number of connections and bytes at the end.

The listener and the offload switches (`nsapp.py no-offload --segmentation`) are
../captures/nsapp.py's.
"""

import os
import random
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ beside nsapp.py
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "captures"))

from nsapp import IPPROTO_MPTCP, endpoint_command, listen, subcommands  # noqa: E402
HEADER = 32
TIMEOUT = 60
CHUNK = os.urandom(256 * 1024)


def recv_exact(s, n, buf):
    """Reads exactly n bytes (discarded) from s; False if the peer closed first."""
    view = memoryview(buf)
    while n:
        got = s.recv_into(view, min(n, len(buf)))
        if not got:
            return False
        n -= got
    return True


def recv_exact_into(s, out):
    """Fills out from s; False if the peer closed first."""
    view = memoryview(out)
    pos = 0
    while pos < len(out):
        got = s.recv_into(view[pos:])
        if not got:
            return False
        pos += got
    return True


def send_bytes(s, n):
    view = memoryview(CHUNK)
    while n:
        k = min(n, len(CHUNK))
        s.sendall(view[:k])
        n -= k


def drain(s, buf):
    while s.recv_into(buf):
        pass


def serve(c):
    buf = bytearray(256 * 1024)
    try:
        c.settimeout(TIMEOUT)
        head = bytearray(HEADER)
        if not recv_exact_into(c, head):
            return
        words = head.decode().split()
        kind, nums = words[0], [int(w) for w in words[1:]]
        if kind == "UP":
            if not recv_exact(c, nums[0], buf):
                return
            c.sendall(b"ok")
        elif kind == "DOWN":
            send_bytes(c, nums[0])
        elif kind == "RR":
            rounds, req, resp = nums
            for _ in range(rounds):
                if not recv_exact(c, req, buf):
                    return
                send_bytes(c, resp)
        drain(c, buf)
        c.shutdown(socket.SHUT_WR)
    except OSError as e:
        print("server: %s" % e, file=sys.stderr, flush=True)
    finally:
        c.close()


def protocol(args):
    return socket.IPPROTO_TCP if args.tcp else IPPROTO_MPTCP


def server(args):
    ls = listen(args.addr, args.port, protocol(args), backlog=128)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.conns = {"UP": 0, "DOWN": 0, "RR": 0}
        self.bytes = 0
        self.errors = 0

    def add(self, kind, n):
        with self.lock:
            self.conns[kind] += 1
            self.bytes += n


def session(args, rng, stats):
    buf = bytearray(256 * 1024)
    pick = rng.random()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, protocol(args))
    s.settimeout(TIMEOUT)
    try:
        s.connect((args.addr, args.port))
        if pick < 1 / 3:
            kind, n = "UP", rng.randint(500_000, 4_000_000)
            s.sendall(("UP %d" % n).ljust(HEADER).encode())
            send_bytes(s, n)
            if not recv_exact(s, 2, buf):
                raise OSError("closed before the upload was acknowledged")
        elif pick < 2 / 3:
            kind, n = "DOWN", rng.randint(500_000, 4_000_000)
            s.sendall(("DOWN %d" % n).ljust(HEADER).encode())
            if not recv_exact(s, n, buf):
                raise OSError("closed during the download")
        else:
            kind = "RR"
            rounds, req, resp = rng.randint(100, 400), rng.randint(64, 512), rng.randint(256, 16384)
            n = rounds * (req + resp)
            s.sendall(("RR %d %d %d" % (rounds, req, resp)).ljust(HEADER).encode())
            for _ in range(rounds):
                send_bytes(s, req)
                if not recv_exact(s, resp, buf):
                    raise OSError("closed during request/response")
        s.shutdown(socket.SHUT_WR)
        drain(s, buf)
        stats.add(kind, n)
    except OSError as e:
        with stats.lock:
            stats.errors += 1
        print("client: %s" % e, file=sys.stderr, flush=True)
    finally:
        s.close()


def client(args):
    stats = Stats()

    def worker(i):
        rng = random.Random(args.seed * 1000 + i)
        while not os.path.exists(args.stop_file):
            session(args, rng, stats)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.workers)]
    for i, t in enumerate(threads):
        t.start()
        time.sleep(0.05 * (i + 1))  # staggered starts
    for t in threads:
        t.join()
    c = stats.conns
    print("connections %d (upload %d, download %d, request/response %d), %d bytes of data, %d errors"
          % (sum(c.values()), c["UP"], c["DOWN"], c["RR"], stats.bytes, stats.errors), flush=True)
    if stats.errors:
        sys.exit(1)


def main():
    ap, sub = subcommands(__doc__)
    p = endpoint_command(sub, "server")
    p.add_argument("--tcp", action="store_true", help="plain TCP instead of MPTCP")
    p = endpoint_command(sub, "client")
    p.add_argument("--workers", type=int, default=6)
    p.add_argument("--stop-file", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--tcp", action="store_true", help="plain TCP instead of MPTCP")
    args = ap.parse_args()
    {"server": server, "client": client}[args.cmd](args)


if __name__ == "__main__":
    main()
