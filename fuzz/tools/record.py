#!/usr/bin/python3
"""fuzz/tools/record.py - a loopback TCP proxy that records one connection.

Listens on 127.0.0.1:PORT (0: a free port, printed as "listening PORT" on
stdout once bound), accepts ONE connection, connects it to TARGET, relays
both directions until both sides have closed (or --timeout passes), and
writes the two byte streams to OUT as JSON:

  {"kind": "btc"|"noise", "peer": NAME, "role": "initiator"|"responder",
   "network": "regtest", "c2s": HEX, "s2c": HEX}

role is peershake's role in the recorded exchange; c2s is what the
connecting side sent. fuzz/tools/seeds.py turns these transcripts into
seeds for the stream, message, header, handshake and frame harnesses.
Loopback only.

Usage: record.py --target HOST:PORT --out FILE --kind btc|noise --peer NAME
                 --role initiator|responder [--port PORT] [--network NET]
                 [--timeout SECONDS]
"""
import argparse
import json
import select
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--kind", choices=("btc", "noise"), required=True)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--role", choices=("initiator", "responder"), required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--network", default="regtest")
    ap.add_argument("--timeout", type=float, default=20.0)
    a = ap.parse_args()
    host, port = a.target.rsplit(":", 1)
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("record.py: loopback targets only")

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.port))
    ls.listen(1)
    print("listening", ls.getsockname()[1], flush=True)
    ls.settimeout(a.timeout)
    c, _ = ls.accept()
    ls.close()
    s = socket.create_connection((host, int(port)), timeout=a.timeout)
    streams = {c: bytearray(), s: bytearray()}
    peer_of = {c: s, s: c}
    open_ = {c: True, s: True}
    deadline = time.monotonic() + a.timeout
    while any(open_.values()) and time.monotonic() < deadline:
        r, _, _ = select.select([x for x in open_ if open_[x]], [], [], 0.2)
        for x in r:
            try:
                data = x.recv(65536)
            except OSError:
                data = b""
            if not data:
                open_[x] = False
                try:
                    peer_of[x].shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                continue
            streams[x] += data
            try:
                peer_of[x].sendall(data)
            except OSError:
                open_[x] = False
    c.close()
    s.close()
    rec = {"kind": a.kind, "peer": a.peer, "role": a.role, "network": a.network,
           "c2s": streams[c].hex(), "s2c": streams[s].hex()}
    with open(a.out, "w") as f:
        json.dump(rec, f, indent=1)
        f.write("\n")
    print("recorded %d + %d bytes" % (len(streams[c]), len(streams[s])), flush=True)


if __name__ == "__main__":
    main()
