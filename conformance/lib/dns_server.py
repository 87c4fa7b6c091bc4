#!/usr/bin/python3
"""dns_server.py: a tiny authoritative DNS server for tests (python3-dnslib).

usage: dns_server.py [--host 127.0.0.1] [--port 0] [--ready-file F] [--pid-file F]
                     [--zone NAME=ADDR[,ADDR...]]... [--zone-file F]...
                     [--ttl 60] [--udp-max 512] [--log F]
                     [--drop-first NAME]... [--drop-first-file F] [--rcvbuf BYTES]

Serves UDP and TCP (2-byte length prefix) on the same HOST:PORT from one
selectors loop. Port 0 picks a free port (the same number for UDP and TCP).

Zones:
  --zone seed.test=127.0.0.2,127.0.0.3,::1   A and AAAA records
  --zone empty.test=                         known name, no address:
                                             NOERROR with an empty answer
  --zone-file F   one "NAME ADDR" a line (a NAME alone declares it with
                  no address); blank lines and "#" comments are skipped
Names are case-insensitive, with or without the trailing dot. A query for
a known name gets its A (IPv4) or AAAA (IPv6) records (ANY: both; other
types: NOERROR, empty). Unknown names get NXDOMAIN. Answers are
authoritative (AA).

A UDP answer longer than --udp-max bytes (512, the classic limit; EDNS is
not honoured on purpose) is sent as a header plus the question with TC set
and no records, so resolvers (c-ares) retry over TCP, where the full answer
is given.

Lost answers, on purpose:
  --drop-first NAME   the first UDP query of each type (A, AAAA, ...) for
                      NAME gets no answer; the next one is answered, so a
                      resolver must retry to learn the name
  --drop-first-file F one such NAME a line ("#" comments, blank lines)
The UDP socket's receive buffer is --rcvbuf bytes (default 1 MiB, capped
by net.core.rmem_max) so a burst of queries is not lost by the server.

The real port is written to --ready-file only once both sockets serve, so
callers wait on that file. Runs until SIGTERM or SIGINT. One line per query
goes to --log (default: stderr), e.g. "udp A seed.test. NOERROR an=2 tc=0";
a dropped one reads "udp A seed.test. DROPPED an=0 tc=0".
"""

import argparse
import ipaddress
import os
import selectors
import signal
import socket
import struct
import sys

from dnslib import AAAA, QTYPE, RCODE, RR, A, DNSRecord
from dnslib.dns import DNSError


def norm(name):
    name = name.strip().lower()
    return name if name.endswith(".") else name + "."


def parse_addr(text, where):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        raise SystemExit("dns_server: bad address %r in %s" % (text, where))


def load_zones(args):
    zones = {}
    for spec in args.zone:
        name, sep, addrs = spec.partition("=")
        if not sep or not name.strip():
            raise SystemExit("dns_server: bad --zone %r (want NAME=ADDR[,ADDR...])" % spec)
        entry = zones.setdefault(norm(name), [])
        for a in addrs.split(","):
            if a.strip():
                entry.append(parse_addr(a, "--zone " + spec))
    for path in args.zone_file:
        with open(path) as f:
            for lineno, line in enumerate(f, 1):
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                parts = line.split()
                if len(parts) > 2:
                    raise SystemExit("dns_server: %s:%d: want NAME [ADDR]" % (path, lineno))
                entry = zones.setdefault(norm(parts[0]), [])
                if len(parts) == 2:
                    entry.append(parse_addr(parts[1], "%s:%d" % (path, lineno)))
    return zones


def load_drops(args):
    drops = set(norm(n) for n in args.drop_first)
    for path in args.drop_first_file:
        with open(path) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    drops.add(norm(line))
    return drops


class Server:
    def __init__(self, args, zones, drops=frozenset()):
        self.args = args
        self.zones = zones
        self.drops = drops
        self.dropped = set()  # (name, qtype) whose first UDP query was dropped
        self.cache = {}  # (proto, query from byte 2) -> (reply from byte 2, log line)
        self.last_name = self.last_line = None
        self.sel = selectors.DefaultSelector()
        self.log = open(args.log, "a", buffering=1) if args.log else sys.stderr
        self.udp, self.tcp = self.bind(args.host, args.port)
        self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.rcvbuf)
        self.port = self.udp.getsockname()[1]
        self.sel.register(self.udp, selectors.EVENT_READ, ("udp", None))
        self.sel.register(self.tcp, selectors.EVENT_READ, ("accept", None))
        self.clients = {}  # socket -> [inbuf, outbuf]

    @staticmethod
    def bind(host, port):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        tries = 1 if port else 20
        for _ in range(tries):
            udp = socket.socket(fam, socket.SOCK_DGRAM)
            udp.bind((host, port))
            real = udp.getsockname()[1]
            tcp = socket.socket(fam, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind((host, real))
            except OSError:
                # Free over UDP, taken over TCP: pick another one.
                udp.close()
                tcp.close()
                if port:
                    raise
                continue
            tcp.listen(64)
            udp.setblocking(False)
            tcp.setblocking(False)
            return udp, tcp
        raise SystemExit("dns_server: no port free for both UDP and TCP")

    def answer(self, data, proto):
        """Return the reply bytes for one query, or None to drop it.

        A reply depends on everything but the query's id (bytes 0-1), so
        the rest is kept per (proto, query without its id) and the id put
        back in front: tests ask tens of thousands of names, and dnslib's
        parse and pack are most of the time this server takes. Names in
        --drop-first are never kept (their first query is dropped)."""
        key = (proto, data[2:])
        hit = self.cache.get(key)
        if hit is not None:
            self.log.write(hit[1])
            return data[:2] + hit[0]
        out = self.answer_uncached(data, proto)
        if out is not None and len(data) >= 12 and self.last_name not in self.drops:
            self.cache[key] = (out[2:], self.last_line)
        return out

    def answer_uncached(self, data, proto):
        self.last_name = None
        try:
            req = DNSRecord.parse(data)
        except (DNSError, struct.error, IndexError, ValueError):
            if len(data) >= 12:
                # Echo the id with FORMERR.
                hdr = bytearray(data[:12])
                hdr[2] = 0x80 | (hdr[2] & 0x79)  # QR, keep opcode and RD
                hdr[3] = RCODE.FORMERR
                hdr[4:12] = bytes(8)
                self.note(proto, "?", "?", "FORMERR", 0, 0)
                return bytes(hdr)
            return None
        reply = self.skeleton(req)
        if not req.questions:
            reply.header.rcode = RCODE.FORMERR
            self.note(proto, "?", "?", "FORMERR", 0, 0)
            return reply.pack()
        q = req.questions[0]
        qname = norm(str(q.qname))
        self.last_name = qname
        qtype = QTYPE.get(q.qtype, str(q.qtype))
        if proto == "udp" and qname in self.drops and (qname, q.qtype) not in self.dropped:
            self.dropped.add((qname, q.qtype))
            self.note(proto, qtype, qname, "DROPPED", 0, 0)
            return None
        addrs = self.zones.get(qname)
        if addrs is None:
            reply.header.rcode = RCODE.NXDOMAIN
        else:
            for a in addrs:
                if a.version == 4 and q.qtype in (QTYPE.A, QTYPE.ANY):
                    reply.add_answer(RR(q.qname, QTYPE.A, rdata=A(str(a)), ttl=self.args.ttl))
                elif a.version == 6 and q.qtype in (QTYPE.AAAA, QTYPE.ANY):
                    reply.add_answer(RR(q.qname, QTYPE.AAAA, rdata=AAAA(str(a)),
                                        ttl=self.args.ttl))
        packed = reply.pack()
        tc = 0
        if proto == "udp" and len(packed) > self.args.udp_max:
            short = self.skeleton(req)
            short.header.tc = 1
            packed = short.pack()
            tc = 1
        self.note(proto, qtype, qname, RCODE.get(reply.header.rcode), len(reply.rr), tc)
        return packed

    @staticmethod
    def skeleton(req):
        # Authoritative, not recursive, no AD (dnslib copies the query's flags).
        reply = req.reply(ra=0, aa=1)
        reply.header.ad = 0
        reply.header.cd = 0
        return reply

    def note(self, proto, qtype, qname, rcode, an, tc):
        self.last_line = "%s %s %s %s an=%d tc=%d\n" % (proto, qtype, qname, rcode, an, tc)
        self.log.write(self.last_line)

    def on_udp(self):
        while True:
            try:
                data, peer = self.udp.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            out = self.answer(data, "udp")
            if out is not None:
                try:
                    self.udp.sendto(out, peer)
                except OSError:
                    pass

    def on_accept(self):
        while True:
            try:
                conn, _ = self.tcp.accept()
            except (BlockingIOError, InterruptedError):
                return
            conn.setblocking(False)
            self.clients[conn] = [b"", b""]
            self.sel.register(conn, selectors.EVENT_READ, ("client", None))

    def close_client(self, conn):
        self.sel.unregister(conn)
        self.clients.pop(conn, None)
        conn.close()

    def on_client(self, conn, mask):
        state = self.clients[conn]
        if mask & selectors.EVENT_READ:
            try:
                chunk = conn.recv(65536)
            except (BlockingIOError, InterruptedError):
                chunk = None
            except OSError:
                self.close_client(conn)
                return
            if chunk == b"":
                self.close_client(conn)
                return
            if chunk:
                state[0] += chunk
                while len(state[0]) >= 2:
                    (n,) = struct.unpack("!H", state[0][:2])
                    if len(state[0]) < 2 + n:
                        break
                    msg, state[0] = state[0][2:2 + n], state[0][2 + n:]
                    out = self.answer(msg, "tcp")
                    if out is not None:
                        state[1] += struct.pack("!H", len(out)) + out
        if state[1]:
            try:
                sent = conn.send(state[1])
                state[1] = state[1][sent:]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                self.close_client(conn)
                return
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if state[1] else 0)
        self.sel.modify(conn, events, ("client", None))

    def run(self):
        while True:
            for key, mask in self.sel.select():
                kind = key.data[0]
                if kind == "udp":
                    self.on_udp()
                elif kind == "accept":
                    self.on_accept()
                else:
                    self.on_client(key.fileobj, mask)


def write_atomic(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description="Tiny authoritative DNS server for tests.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--zone", action="append", default=[], metavar="NAME=ADDR[,ADDR...]")
    ap.add_argument("--zone-file", action="append", default=[], metavar="F")
    ap.add_argument("--ttl", type=int, default=60)
    ap.add_argument("--udp-max", type=int, default=512,
                    help="longest UDP answer; longer ones are sent truncated (TC)")
    ap.add_argument("--drop-first", action="append", default=[], metavar="NAME",
                    help="leave the first UDP query of each type for NAME unanswered")
    ap.add_argument("--drop-first-file", action="append", default=[], metavar="F")
    ap.add_argument("--rcvbuf", type=int, default=1 << 20,
                    help="the UDP socket's receive buffer (bytes)")
    ap.add_argument("--ready-file", metavar="F", help="the port is written here once serving")
    ap.add_argument("--pid-file", metavar="F")
    ap.add_argument("--log", metavar="F", help="query log (default stderr)")
    args = ap.parse_args()
    if not 0 <= args.port <= 65535:
        ap.error("--port out of range")
    zones = load_zones(args)
    drops = load_drops(args)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.pid_file:
        write_atomic(args.pid_file, "%d\n" % os.getpid())
    server = Server(args, zones, drops)
    if args.ready_file:
        write_atomic(args.ready_file, "%d\n" % server.port)
    server.run()


if __name__ == "__main__":
    main()
