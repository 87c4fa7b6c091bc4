#!/usr/bin/python3
"""pyv2peer: a Bitcoin P2P peer with the BIP324 v2 transport, for the conformance suite.

An independent peer: the v2 transport is vectors/bip324_oracle.py (BIP324 from the
specification on python3-cryptography, checked against the official vectors by its
--self-check and by vectors/gen_bip324.py); the version/verack handshake, the v1
framing and the message serialisation are pyv1peer.py's (python-bitcoinlib), reused
as they are.

  pyv2peer.py --connect HOST:PORT [--v2transport v2|auto|v1] [options]
      initiator. v2 (default): a v2 handshake, then version/verack over it. auto: v2,
      and if the peer closes before sending any v2 byte (after we sent at least the 24
      bytes of a v1 header, as Core's ShouldReconnectV1), one reconnect with v1. v1:
      plain v1, as pyv1peer.
  pyv2peer.py --listen HOST:PORT [--v2transport auto|v2|v1] [--count N] [options]
      responder. auto (default): like Bitcoin Core, the first 16 bytes decide: magic +
      "version\\0\\0\\0\\0\\0" is v1 (served by pyv1peer's logic), the first byte that
      differs makes it v2. v2: a v1 prefix is refused. v1: v1 only. --count N serves N
      connections one after the other (exit status: the last one's).

v2 options: --garbage-len N (0..4095, default random as Core), --decoys L,L,... (decoy
packets of these contents lengths before the version packet), --decoys-after L,...
(right after the version packet), --decoy-each L (a decoy before every message we
send), --version-contents HEX (the version packet's contents, default empty).
The rest as pyv1peer: --network, --magic, --timeout-ms, --accept-timeout-ms,
--protocol-version, --services (default 0x809: NETWORK|WITNESS|NODE_P2P_V2),
--user-agent, --start-height, --relay, --linger-ms, --ready-file, --pid-file.

Output on stdout, one JSON object a line: pyv1peer's events (listening, connected,
sent, recv, success, failure, linger_end) and
  {"event":"transport","transport":"v2"|"v1","how":"configured"|"detected"|"fallback"}
  {"event":"v2_sent","garbage_len":N,"decoys":[...],"decoys_after":[...]}  key + garbage out
  {"event":"v2_handshake","session_id":HEX,"garbage_received":N,"decoys_received":N,
   "version_contents":HEX}              the peer's version packet verified
  {"event":"v2_decoy","length":N}       a decoy received after the handshake
  {"event":"v2_dropped","reason":R,"length":N}   contents with no valid message type
  {"event":"fallback","reason":"..."}   auto: reconnecting with v1
  {"event":"success","transport":"v2","session_id":HEX}   (v1: "transport":"v1")
  {"event":"failure","reason":"...","transport":"v2"}
Exit 0 on success, 1 on failure or timeout, 2 on bad usage.
"""

import argparse
import errno
import os
import random
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # nothing written into vectors/ or here
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "vectors"))

import bitcoin  # noqa: E402

import bip324_oracle as v2  # noqa: E402
import pyv1peer as v1  # noqa: E402
from pyv1peer import PeerError, emit  # noqa: E402

RNG = random.SystemRandom()


class PeerClosed(PeerError):
    """The peer closed (FIN or RST)."""


class V2Conn:
    """pyv1peer.Conn's interface (send, recv, deadline) over a BIP324 v2 transport."""

    def __init__(self, sock, deadline, transport, args):
        self.sock = sock
        self.deadline = deadline
        self.t = transport
        self.args = args
        self.events = []
        self.decoys_received = 0
        self.received_any = False
        self.sent_bytes = 0

    def _remaining(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise PeerError("timeout")
        return left

    def flush(self):
        out = self.t.take_output()
        if not out:
            return
        self.sock.settimeout(self._remaining())
        try:
            self.sock.sendall(out)
        except socket.timeout:
            raise PeerError("timeout while sending") from None
        except OSError as e:
            if e.errno in (errno.EPIPE, errno.ECONNRESET):
                raise PeerClosed("peer closed the connection (%s)" % (e.strerror or e)) from None
            raise PeerError("send: %s" % (e.strerror or e)) from None
        self.sent_bytes += len(out)

    def read_some(self):
        self.sock.settimeout(self._remaining())
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise PeerError("timeout") from None
        except OSError as e:
            if e.errno == errno.ECONNRESET:
                raise PeerClosed("peer reset the connection") from None
            raise PeerError("recv: %s" % (e.strerror or e)) from None
        if not chunk:
            raise PeerClosed("peer closed the connection")
        self.received_any = True
        try:
            self.events += self.t.feed(chunk)
        except v2.V2Error as e:
            raise PeerError("v2: %s" % e) from None
        self.flush()

    def start(self):
        """Send key + garbage (initiator; the responder's go out when feed() detects v2)."""
        self.flush()

    def v2_handshake(self):
        """Until the peer's version packet has verified."""
        garbage = None
        while True:
            while self.events:
                ev = self.events.pop(0)
                if ev["event"] == "terminator":
                    garbage = ev["garbage_len"]
                elif ev["event"] == "decoy":
                    self.decoys_received += 1
                elif ev["event"] == "version":
                    emit({"event": "v2_handshake", "session_id": self.t.session_id.hex(),
                          "garbage_received": garbage, "decoys_received": self.decoys_received,
                          "version_contents": ev["contents"].hex()})
                    return
            if self.t.state == "v1":
                return
            self.read_some()

    def send(self, command, payload, extra=None):
        if self.args.decoy_each is not None:
            self.t.send_decoy(b"\x00" * self.args.decoy_each)
        self.t.send_message(command, payload)
        self.flush()
        ev = {"event": "sent", "command": command, "length": len(payload), "transport": "v2",
              "encoding": "short" if command in v2.SHORT_ID_OF else "long"}
        if extra:
            ev.update(extra)
        emit(ev)

    def recv(self):
        while True:
            while self.events:
                ev = self.events.pop(0)
                if ev["event"] == "message":
                    if len(ev["payload"]) > v1.MAX_PAYLOAD:
                        raise PeerError("oversize message %s: %d bytes"
                                        % (ev["type"], len(ev["payload"])))
                    return ev["type"], ev["payload"]
                if ev["event"] == "decoy":
                    emit({"event": "v2_decoy", "length": len(ev["contents"])})
                elif ev["event"] == "dropped":
                    emit({"event": "v2_dropped", "reason": ev["reason"],
                          "length": len(ev["contents"])})
            self.read_some()


def parse_lengths(text):
    if text is None or text == "":
        return []
    try:
        out = [int(x, 10) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError("want lengths like 0,10,300") from None
    if any(n < 0 or n > 2**24 - 1 for n in out):
        raise argparse.ArgumentTypeError("a decoy holds 0..16777215 bytes")
    return out


def new_transport(args, initiating, magic):
    privkey = (RNG.getrandbits(256) % (v2.N - 1) + 1).to_bytes(32, "big")
    ellswift, _, _ = v2.ellswift_create(privkey, RNG)
    glen = args.garbage_len if args.garbage_len is not None else RNG.randrange(v2.MAX_GARBAGE_LEN + 1)
    garbage = bytes(RNG.getrandbits(8) for _ in range(glen))
    t = v2.V2Transport(initiating, privkey, ellswift, garbage, magic,
                       decoys=[b"\x00" * n for n in args.decoys],
                       version_contents=args.version_contents)
    for n in args.decoys_after:
        t.send_decoy(b"\x00" * n)   # queued: they follow the version packet
    return t


def v2_sent_event(args, t):
    emit({"event": "v2_sent", "garbage_len": len(t.garbage), "decoys": args.decoys,
          "decoys_after": args.decoys_after})


def connected_event(sock):
    peer = sock.getpeername()
    local = sock.getsockname()
    emit({"event": "connected", "peer": "%s:%d" % (peer[0], peer[1]),
          "local": "%s:%d" % (local[0], local[1])})
    return peer, local


def run_v1(sock, args, magic, deadline, initiator, peer, local, prefix=b""):
    conn = v1.Conn(sock, magic, deadline)
    conn.buf = prefix
    v1.handshake(conn, args, initiator, peer, local, {"transport": "v1"})
    if args.linger_ms > 0:
        v1.linger(conn, args.linger_ms)


def run_v2(conn, args, initiator, peer, local):
    conn.v2_handshake()
    v1.handshake(conn, args, initiator, peer, local,
                 {"transport": "v2", "session_id": conn.t.session_id.hex()})
    if args.linger_ms > 0:
        v1.linger(conn, args.linger_ms)


def connect(host, port, timeout_s):
    try:
        return socket.create_connection((host, port), timeout=timeout_s)
    except socket.timeout:
        raise PeerError("timeout connecting to %s:%d" % (host, port)) from None
    except OSError as e:
        raise PeerError("connect %s:%d: %s" % (host, port, e.strerror or e)) from None


def initiate(args, magic, state):
    host, port = args.connect
    deadline = time.monotonic() + args.timeout_ms / 1000.0
    sock = connect(host, port, args.timeout_ms / 1000.0)
    state["sock"] = sock
    peer, local = connected_event(sock)
    if args.v2transport == "v1":
        state["transport"] = "v1"
        emit({"event": "transport", "transport": "v1", "how": "configured"})
        return run_v1(sock, args, magic, deadline, True, peer, local)
    state["transport"] = "v2"
    emit({"event": "transport", "transport": "v2", "how": "configured"})
    conn = V2Conn(sock, deadline, new_transport(args, True, magic), args)
    conn.start()
    v2_sent_event(args, conn.t)
    try:
        return run_v2(conn, args, True, peer, local)
    except PeerClosed as e:
        # Core, V2Transport::ShouldReconnectV1: an outbound connection, nothing received,
        # and at least a v1 header's worth (24 bytes) sent.
        if not (args.v2transport == "auto" and not conn.received_any
                and conn.sent_bytes >= v2.V1_HEADER_LEN):
            raise
        emit({"event": "fallback", "reason": "%s before sending any v2 byte" % e,
              "transport": "v1"})
    sock.close()
    state["sock"] = None
    state["transport"] = "v1"
    deadline = time.monotonic() + args.timeout_ms / 1000.0
    sock = connect(host, port, args.timeout_ms / 1000.0)
    state["sock"] = sock
    peer, local = connected_event(sock)
    emit({"event": "transport", "transport": "v1", "how": "fallback"})
    return run_v1(sock, args, magic, deadline, True, peer, local)


def respond(sock, args, magic, state):
    deadline = time.monotonic() + args.timeout_ms / 1000.0
    peer, local = connected_event(sock)
    if args.v2transport == "v1":
        state["transport"] = "v1"
        emit({"event": "transport", "transport": "v1", "how": "configured"})
        return run_v1(sock, args, magic, deadline, False, peer, local)
    conn = V2Conn(sock, deadline, new_transport(args, False, magic), args)
    # Core's KEY_MAYBE_V1: read until the 16-byte v1 prefix is matched or a byte differs
    while conn.t.state == "maybe_v1":
        conn.read_some()
    if conn.t.state == "v1":
        if args.v2transport == "v2":
            state["transport"] = "v1"
            raise PeerError("v1 peer refused (--v2transport v2)")
        state["transport"] = "v1"
        emit({"event": "transport", "transport": "v1", "how": "detected"})
        return run_v1(sock, args, magic, deadline, False, peer, local, conn.t.v1_bytes)
    state["transport"] = "v2"
    emit({"event": "transport", "transport": "v2", "how": "detected"})
    v2_sent_event(args, conn.t)
    return run_v2(conn, args, False, peer, local)


def main():
    ap = argparse.ArgumentParser(
        description="Bitcoin P2P peer with the BIP324 v2 transport (bip324_oracle + pyv1peer).",
        usage="%(prog)s (--connect HOST:PORT | --listen HOST:PORT) [--v2transport MODE] "
              "[--garbage-len N] [--decoys L,..] [options]")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--connect", type=v1.parse_hostport, metavar="HOST:PORT")
    mode.add_argument("--listen", type=v1.parse_hostport, metavar="HOST:PORT",
                      help="accept connections (port 0: pick a free one)")
    ap.add_argument("--v2transport", choices=("v2", "auto", "v1"), default=None,
                    help="connect: v2 (default), auto (v2, then one v1 retry), v1; "
                         "listen: auto (default: detect), v2 (refuse v1), v1")
    ap.add_argument("--count", type=int, default=1,
                    help="--listen: serve this many connections, one after the other")
    ap.add_argument("--garbage-len", type=int, default=None,
                    help="0..4095 bytes of garbage after our key (default: random, as Core)")
    ap.add_argument("--decoys", type=parse_lengths, default=[], metavar="L,L,...",
                    help="decoy packets (contents lengths) before our version packet")
    ap.add_argument("--decoys-after", type=parse_lengths, default=[], metavar="L,L,...",
                    help="decoy packets right after our version packet")
    ap.add_argument("--decoy-each", type=int, default=None, metavar="L",
                    help="a decoy of L bytes before every message we send")
    ap.add_argument("--version-contents", default="", metavar="HEX",
                    help="contents of our version packet (default empty; peers ignore them)")
    ap.add_argument("--network", choices=v1.NETWORKS, default="regtest")
    ap.add_argument("--magic", metavar="HEX", help="override the network magic (4 bytes hex)")
    ap.add_argument("--timeout-ms", type=int, default=10000,
                    help="deadline for the whole handshake, from start (listen: from accept)")
    ap.add_argument("--accept-timeout-ms", type=int, default=None,
                    help="--listen: how long to wait for each connection (default: --timeout-ms)")
    ap.add_argument("--protocol-version", type=int, default=70016)
    ap.add_argument("--services", type=lambda s: int(s, 0), default=0x9 | v2.NODE_P2P_V2,
                    help="default 0x809 (NETWORK|WITNESS|P2P_V2)")
    ap.add_argument("--user-agent", default="/pyv2peer:%s/" % bitcoin.__version__)
    ap.add_argument("--start-height", type=int, default=0)
    ap.add_argument("--relay", type=int, choices=(0, 1), default=1)
    ap.add_argument("--linger-ms", type=int, default=0,
                    help="after success stay connected this long and print what arrives")
    ap.add_argument("--ready-file", help="--listen: write the bound port here once listening")
    ap.add_argument("--pid-file")
    args = ap.parse_args()

    if args.v2transport is None:
        args.v2transport = "v2" if args.connect else "auto"
    if args.connect and args.count != 1:
        ap.error("--count is for --listen")
    if args.count < 1:
        ap.error("--count wants 1 or more")
    if args.garbage_len is not None and not 0 <= args.garbage_len <= v2.MAX_GARBAGE_LEN:
        ap.error("--garbage-len wants 0..4095")
    if args.decoy_each is not None and not 0 <= args.decoy_each <= 2**24 - 1:
        ap.error("--decoy-each wants 0..16777215")
    try:
        args.version_contents = bytes.fromhex(args.version_contents)
    except ValueError:
        ap.error("--version-contents wants hex")
    magic = v1.network_magic(ap, args)
    if args.pid_file:
        v1.write_file_atomic(args.pid_file, "%d\n" % os.getpid())

    def fail(e, state):
        ev = {"event": "failure", "reason": str(e)}
        if state.get("transport"):
            ev["transport"] = state["transport"]
        emit(ev)
        print("pyv2peer: failure: %s" % e, file=sys.stderr)
        return 1

    if args.connect:
        state = {}
        try:
            initiate(args, magic, state)
            return 0
        except PeerError as e:
            return fail(e, state)
        finally:
            if state.get("sock") is not None:
                state["sock"].close()

    host, port = args.listen
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    lsock = socket.socket(family, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        lsock.bind((host, port))
    except OSError as e:
        return fail(PeerError("bind %s:%d: %s" % (host, port, e.strerror or e)), {})
    lsock.listen(4)
    bound = lsock.getsockname()[1]
    emit({"event": "listening", "host": host, "port": bound})
    if args.ready_file:
        v1.write_file_atomic(args.ready_file, "%d\n" % bound)
    wait = args.accept_timeout_ms if args.accept_timeout_ms is not None else args.timeout_ms
    status = 1
    try:
        for _ in range(args.count):
            state = {}
            lsock.settimeout(wait / 1000.0)
            try:
                sock, _ = lsock.accept()
            except socket.timeout:
                status = fail(PeerError("timeout waiting for a connection"), state)
                break
            try:
                respond(sock, args, magic, state)
                status = 0
            except PeerError as e:
                status = fail(e, state)
            finally:
                sock.close()
    finally:
        lsock.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
