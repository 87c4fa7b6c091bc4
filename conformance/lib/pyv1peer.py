#!/usr/bin/python3
"""pyv1peer: a minimal Bitcoin P2P v1 handshake peer built on python-bitcoinlib.

An independent peer for the conformance suite: python-bitcoinlib (Debian
python3-bitcoinlib) serialises and parses the messages; this file only adds
the framing, the socket and the handshake rule.

  pyv1peer.py --connect HOST:PORT [options]   initiator: sends version first
  pyv1peer.py --listen HOST:PORT  [options]   responder: one inbound peer,
                                               answers like Bitcoin Core
                                               (their version, then ours, verack)

Output on stdout, one JSON object a line:
  {"event":"listening","host":..,"port":..}       (--listen, once bound)
  {"event":"connected","peer":"HOST:PORT","local":"HOST:PORT"}
  {"event":"sent","command":"version",...}
  {"event":"recv","command":"version","length":N,"version":{...}}
  {"event":"recv","command":"sendcmpct","length":9,"payload":"hex"}
  {"event":"success"}     we have their version and verack, and sent ours
  {"event":"failure","reason":"..."}

The handshake is a success when we have received both `version` and
`verack` and have sent both. Exit 0 on success, 1 on failure or timeout
(the reason is printed as a failure event and on stderr), 2 on bad usage.
With --linger-ms the peer stays connected that long after success and keeps
printing what it receives (answering `ping` with `pong`), so the messages a
node sends after `verack` can be recorded.
"""

import argparse
import hashlib
import io
import json
import os
import random
import socket
import struct
import sys
import time

import bitcoin
import bitcoin.messages as bm
from bitcoin.core.serialize import SerializationError, SerializationTruncationError

NETWORKS = ("mainnet", "testnet", "regtest", "signet")
HEADER_LEN = 24
MAX_PAYLOAD = 4_000_000  # Bitcoin Core's MAX_PROTOCOL_MESSAGE_LENGTH
HEX_LIMIT = 512          # payload bytes shown in full; longer ones are cut


class PeerError(Exception):
    """A failure with a short reason token."""


def emit(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=False) + "\n")
    sys.stdout.flush()


def parse_hostport(text):
    """HOST:PORT, [V6]:PORT or V6-with-colons:PORT -> (host, port)."""
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
        if not sep:
            raise argparse.ArgumentTypeError("bad address %r (want [V6]:PORT)" % text)
    else:
        host, sep, port = text.rpartition(":")
        if not sep or not host:
            raise argparse.ArgumentTypeError("bad address %r (want HOST:PORT)" % text)
    try:
        p = int(port, 10)
    except ValueError:
        raise argparse.ArgumentTypeError("bad port in %r" % text) from None
    if not 0 <= p <= 65535:
        raise argparse.ArgumentTypeError("port out of range in %r" % text)
    return host, p


def sha256d(data):
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def frame(magic, command, payload):
    cmd = command.encode("ascii")
    return (magic + cmd + b"\x00" * (12 - len(cmd)) + struct.pack("<I", len(payload))
            + sha256d(payload)[:4] + payload)


def serialize(msg):
    buf = io.BytesIO()
    msg.msg_ser(buf)
    return buf.getvalue()


def addr_json(addr):
    if addr is None:
        return None
    return {"services": addr.nServices, "ip": addr.ip, "port": addr.port}


def version_json(v, relay_present=True):
    ua = v.strSubVer
    return {
        "version": v.nVersion,
        "services": v.nServices,
        "timestamp": v.nTime,
        "addr_recv": addr_json(v.addrTo),
        "addr_from": addr_json(v.addrFrom),
        "nonce": v.nNonce,
        "user_agent": ua.decode("utf-8", "backslashreplace") if ua is not None else None,
        "start_height": v.nStartingHeight,
        "relay": (bool(v.fRelay) if relay_present else None),
    }


def parse_version(payload):
    """Parse with python-bitcoinlib; tolerate a missing trailing relay byte."""
    try:
        return bm.msg_version.msg_deser(io.BytesIO(payload)), True
    except SerializationTruncationError:
        # python-bitcoinlib always reads the relay byte for 70001+;
        # Bitcoin Core tolerates its absence, so do we (relay: null).
        v = bm.msg_version.msg_deser(io.BytesIO(payload + b"\x01"))
        return v, False


class Conn:
    def __init__(self, sock, magic, deadline):
        self.sock = sock
        self.magic = magic
        self.deadline = deadline
        self.buf = b""

    def _remaining(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise PeerError("timeout")
        return left

    def send(self, command, payload, extra=None):
        self.sock.settimeout(self._remaining())
        try:
            self.sock.sendall(frame(self.magic, command, payload))
        except socket.timeout:
            raise PeerError("timeout while sending %s" % command) from None
        except OSError as e:
            raise PeerError("send %s: %s" % (command, e.strerror or e)) from None
        ev = {"event": "sent", "command": command, "length": len(payload)}
        if extra:
            ev.update(extra)
        emit(ev)

    def _fill(self, n):
        while len(self.buf) < n:
            self.sock.settimeout(self._remaining())
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise PeerError("timeout") from None
            except OSError as e:
                raise PeerError("recv: %s" % (e.strerror or e)) from None
            if not chunk:
                raise PeerError("peer closed the connection")
            self.buf += chunk

    def recv(self):
        """Return (command, payload) of the next framed message."""
        self._fill(HEADER_LEN)
        hdr = self.buf[:HEADER_LEN]
        if hdr[:4] != self.magic:
            raise PeerError("bad magic %s (want %s)" % (hdr[:4].hex(), self.magic.hex()))
        raw_cmd = hdr[4:16]
        command = raw_cmd.split(b"\x00", 1)[0].decode("ascii", "backslashreplace")
        (length,) = struct.unpack("<I", hdr[16:20])
        if length > MAX_PAYLOAD:
            raise PeerError("oversize message %s: %d bytes" % (command, length))
        self._fill(HEADER_LEN + length)
        payload = self.buf[HEADER_LEN:HEADER_LEN + length]
        self.buf = self.buf[HEADER_LEN + length:]
        if sha256d(payload)[:4] != hdr[20:24]:
            raise PeerError("bad checksum on %s" % command)
        return command, payload


def describe(command, payload):
    ev = {"event": "recv", "command": command, "length": len(payload)}
    if command == "version":
        v, relay_present = parse_version(payload)
        ev["version"] = version_json(v, relay_present)
        return ev, v
    if command in ("ping", "pong") and len(payload) == 8:
        (ev["nonce"],) = struct.unpack("<Q", payload)
    elif command == "reject":
        try:
            r = bm.msg_reject.msg_deser(io.BytesIO(payload))
            ev["reject"] = {"message": r.message.decode("ascii", "backslashreplace"),
                            # python-bitcoinlib gives the code as one byte of bytes
                            "code": r.ccode[0] if isinstance(r.ccode, bytes) else r.ccode,
                            "reason": r.reason.decode("ascii", "backslashreplace")}
        except SerializationError:
            pass
    ev["payload"] = payload[:HEX_LIMIT].hex()
    if len(payload) > HEX_LIMIT:
        ev["payload_truncated"] = True
    return ev, None


def make_version(args, peer_addr, local_addr):
    v = bm.msg_version()
    v.nVersion = args.protocol_version
    v.nServices = args.services
    v.nTime = int(time.time())
    v.addrTo.ip, v.addrTo.port = peer_addr[0], peer_addr[1]
    v.addrTo.nServices = 0
    v.addrFrom.ip, v.addrFrom.port = local_addr[0], local_addr[1]
    v.addrFrom.nServices = args.services
    v.nNonce = random.SystemRandom().getrandbits(64)
    v.strSubVer = args.user_agent.encode("utf-8")
    v.nStartingHeight = args.start_height
    v.fRelay = args.relay
    return v


def handshake(conn, args, initiator, peer_addr, local_addr, success_extra=None):
    """The version/verack exchange over conn (this file's Conn, or pyv2peer's V2Conn: any
    object with send(command, payload, extra) and recv() -> (command, payload)).
    success_extra: fields added to the success event (pyv2peer: transport, session_id)."""
    ours = make_version(args, peer_addr, local_addr)
    sent_version = sent_verack = False
    got_version = got_verack = False

    def send_version():
        conn.send("version", serialize(ours),
                  {"version": ours.nVersion, "services": ours.nServices,
                   "user_agent": args.user_agent, "nonce": ours.nNonce})

    if initiator:
        send_version()
        sent_version = True

    while not (sent_version and sent_verack and got_version and got_verack):
        command, payload = conn.recv()
        try:
            ev, theirs = describe(command, payload)
        except SerializationError as e:
            raise PeerError("cannot parse %s: %s" % (command, e)) from None
        emit(ev)
        if command == "version":
            if got_version:
                raise PeerError("duplicate version")
            got_version = True
            if theirs.nNonce == ours.nNonce:
                raise PeerError("connected to self")
            if not sent_version:
                send_version()
                sent_version = True
            conn.send("verack", b"")
            sent_verack = True
        elif command == "verack":
            if not got_version:
                raise PeerError("verack before version")
            got_verack = True
        elif command == "ping" and len(payload) == 8 and got_version:
            conn.send("pong", payload)
    ev = {"event": "success"}
    ev.update(success_extra or {})
    emit(ev)


def linger(conn, ms):
    """Keep reading for ms milliseconds after success; answer pings."""
    conn.deadline = time.monotonic() + ms / 1000.0
    while True:
        try:
            command, payload = conn.recv()
        except PeerError as e:
            emit({"event": "linger_end", "reason": str(e)})
            return
        ev, _ = describe(command, payload)
        emit(ev)
        if command == "ping" and len(payload) == 8:
            try:
                conn.send("pong", payload)
            except PeerError:
                return


def write_file_atomic(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def network_magic(ap, args):
    """Select --network's parameters and return its 4-byte magic, or
    --magic's (refused through ap unless 4 bytes of hex)."""
    bitcoin.SelectParams(args.network)
    if not args.magic:
        return bitcoin.params.MESSAGE_START
    try:
        magic = bytes.fromhex(args.magic)
    except ValueError:
        magic = b""
    if len(magic) != 4:
        ap.error("--magic wants 4 bytes of hex")
    return magic


def main():
    ap = argparse.ArgumentParser(
        description="Minimal Bitcoin P2P v1 handshake peer (python-bitcoinlib).",
        usage="%(prog)s (--connect HOST:PORT | --listen HOST:PORT) [--network NET] "
              "[--timeout-ms MS] [options]")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--connect", type=parse_hostport, metavar="HOST:PORT")
    mode.add_argument("--listen", type=parse_hostport, metavar="HOST:PORT",
                      help="accept one connection (port 0: pick a free one)")
    ap.add_argument("--network", choices=NETWORKS, default="regtest")
    ap.add_argument("--magic", metavar="HEX", help="override the network magic (4 bytes hex)")
    ap.add_argument("--timeout-ms", type=int, default=10000,
                    help="deadline for the whole handshake, from start (listen: from accept)")
    ap.add_argument("--accept-timeout-ms", type=int, default=None,
                    help="--listen: how long to wait for the connection (default: --timeout-ms)")
    ap.add_argument("--protocol-version", type=int, default=70016)
    ap.add_argument("--services", type=lambda s: int(s, 0), default=0x9,
                    help="default 0x9 (NETWORK|WITNESS)")
    ap.add_argument("--user-agent", default="/pyv1peer:%s/" % bitcoin.__version__)
    ap.add_argument("--start-height", type=int, default=0)
    ap.add_argument("--relay", type=int, choices=(0, 1), default=1)
    ap.add_argument("--linger-ms", type=int, default=0,
                    help="after success stay connected this long and print what arrives")
    ap.add_argument("--ready-file", help="--listen: write the bound port here once listening")
    ap.add_argument("--pid-file")
    args = ap.parse_args()

    magic = network_magic(ap, args)
    if args.pid_file:
        write_file_atomic(args.pid_file, "%d\n" % os.getpid())

    sock = None
    try:
        if args.connect:
            host, port = args.connect
            deadline = time.monotonic() + args.timeout_ms / 1000.0
            try:
                sock = socket.create_connection((host, port), timeout=args.timeout_ms / 1000.0)
            except socket.timeout:
                raise PeerError("timeout connecting to %s:%d" % (host, port)) from None
            except OSError as e:
                raise PeerError("connect %s:%d: %s" % (host, port, e.strerror or e)) from None
            initiator = True
        else:
            host, port = args.listen
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            lsock = socket.socket(family, socket.SOCK_STREAM)
            lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                lsock.bind((host, port))
            except OSError as e:
                raise PeerError("bind %s:%d: %s" % (host, port, e.strerror or e)) from None
            lsock.listen(1)
            bound = lsock.getsockname()[1]
            emit({"event": "listening", "host": host, "port": bound})
            if args.ready_file:
                write_file_atomic(args.ready_file, "%d\n" % bound)
            wait = args.accept_timeout_ms if args.accept_timeout_ms is not None else args.timeout_ms
            lsock.settimeout(wait / 1000.0)
            try:
                sock, _ = lsock.accept()
            except socket.timeout:
                raise PeerError("timeout waiting for a connection") from None
            finally:
                lsock.close()
            deadline = time.monotonic() + args.timeout_ms / 1000.0
            initiator = False
        peer = sock.getpeername()
        local = sock.getsockname()
        emit({"event": "connected", "peer": "%s:%d" % (peer[0], peer[1]),
              "local": "%s:%d" % (local[0], local[1])})
        conn = Conn(sock, magic, deadline)
        handshake(conn, args, initiator, peer, local)
        if args.linger_ms > 0:
            linger(conn, args.linger_ms)
        return 0
    except PeerError as e:
        emit({"event": "failure", "reason": str(e)})
        print("pyv1peer: failure: %s" % e, file=sys.stderr)
        return 1
    finally:
        if sock is not None:
            sock.close()


if __name__ == "__main__":
    sys.exit(main())
