"""The self-connection relay: a loopback TCP relay that stands where the
tester's listener stands in an initiator case, so that a target can be made
to dial itself and both sides of that connection are seen on the wire.

    target's outbound side --(leg "out")--> relay --> target's own listener
    target's outbound side <--(leg "in")--- relay <-- target's inbound side

The relay listens on 127.0.0.1:0. Every connection it accepts (from the
target's outbound side) it forwards to the upstream address, the target's
own listening address, which the adapter gives it with set_upstream() once
it knows it (a connection that comes first is held, its bytes kept, until
then). Both directions are recorded: every chunk with its time and its
bytes, what was forwarded when, who closed first, and the v1 messages each
leg carried (V1Stream: the 24-byte header's magic, command and length, the
checksum, and the fields of a version). The first end of either side ends
the relayed connection: what was received before it is passed on, then
both sockets are closed, so the other side sees its peer end.

The record is a list of events (dicts, JSON-serialisable, in time order),
each with "event", "t_ms" (milliseconds since the relay started) and, for
a connection's events, "conn" (0, 1, ... in accept order):

    listening  addr                      the relay's address
    upstream   addr                      set_upstream() was called
    accepted   conn peer                 the target's outbound side connected
    connected  conn upstream local       the relay reached the upstream
    upstream-failed conn error           it could not
    bytes      conn leg n hex            a chunk received on a leg ("out":
                                         from the outbound side, "in": from
                                         the inbound side); hex capped at
                                         HEX_CAP bytes (then "truncated")
    message    conn leg magic command length bytes end checksum [fields]
                                         a complete v1 message on that leg;
                                         end: its last byte's offset + 1 in
                                         the leg's stream; fields for version
    unparsed   conn leg offset reason    the leg is no v1 stream from offset
                                         on (a wrong magic, an oversize
                                         length): nothing after is named
    forwarded  conn leg total            bytes of the leg written on so far
    closed     conn by how               the first end: by "outbound" or
                                         "inbound" (the target's sides) or
                                         "relay" (stopped, upstream failed);
                                         how: eof, reset, stopped, no-upstream,
                                         upstream-failed

judging.observe_self reads these events (live, from Relay.events(), or
from the result's log, where the runner writes them as JSON Lines).

Standard library only; one thread runs the selector loop, set_upstream()
and stop() wake it through a socket pair.
"""

import hashlib
import selectors
import socket
import struct
import threading
import time

# Bitcoin's regtest network magic (Core kernel/chainparams.cpp CRegTestParams:
# pchMessageStart = {0xfa, 0xbf, 0xb5, 0xda}): every target runs regtest.
REGTEST_MAGIC = bytes.fromhex("fabfb5da")
HEADER_LEN = 24
# Core net.h MAX_PROTOCOL_MESSAGE_LENGTH: a header announcing more is not
# a message Core would frame ("Header error: Size too large").
MAX_PROTOCOL_MESSAGE_LENGTH = 4 * 1000 * 1000
# What a `bytes` event shows of a chunk, as hex.
HEX_CAP = 4096
# How long the relay waits for the upstream's connect, and gives a closing
# side to take what was received before the other side's end.
CONNECT_TIMEOUT_S = 2.0
FLUSH_TIMEOUT_S = 1.0
RECV_SIZE = 65536


# ------------------------------------------------------------- parsing

def parse_command(raw):
    """The 12-byte command field -> (name, valid). Valid as Core's
    CMessageHeader::IsMessageTypeValid: printable ASCII (0x20..0x7e), then
    only NUL padding. An invalid one is named by its hex."""
    name, _, pad = raw.partition(b"\0")
    valid = all(0x20 <= b <= 0x7E for b in name) and not pad.strip(b"\0")
    return (name.decode("ascii") if valid else raw.hex()), valid


def _compact_size(p, off):
    """(value, width) of the CompactSize at p[off:], or None if not whole."""
    if len(p) - off < 1:
        return None
    w = {0xFD: 3, 0xFE: 5, 0xFF: 9}.get(p[off], 1)
    if len(p) - off < w:
        return None
    return (p[off] if w == 1 else int.from_bytes(p[off + 1:off + w], "little")), w


def parse_version(payload):
    """The fields of a version payload that are present, named as
    peershake's `version` event names them. Core (net_processing.cpp
    ProcessMessage("version")) requires version, services, time and
    addr_recv (46 bytes) and reads each later field only "if
    (!vRecv.empty())": addr_from with the nonce (34), the user agent (a
    CompactSize length and its bytes), start_height (4), relay (1). A field
    that is not whole stops the walk: "truncated" names it. Never raises."""
    p, off, out = payload, 0, {}

    def short(n):
        return len(p) - off < n

    if short(46):
        out["truncated"] = "version" if short(4) else "services" if short(12) else \
            "time" if short(20) else "addr_recv"
        if not short(4):
            out["version"] = struct.unpack_from("<i", p, 0)[0]
        return out
    out["version"], services, out["time"] = struct.unpack_from("<iQq", p, 0)
    out["services"] = "0x%016x" % services
    off = 46
    if off == len(p):
        return out
    if short(34):
        out["truncated"] = "nonce"
        return out
    out["nonce"] = "0x%016x" % struct.unpack_from("<Q", p, off + 26)[0]
    off += 34
    if off == len(p):
        return out
    cs = _compact_size(p, off)
    if cs is None or len(p) - off - cs[1] < cs[0]:
        out["truncated"] = "user_agent"
        return out
    n, w = cs
    out["user_agent"] = p[off + w:off + w + n].decode("utf-8", "surrogateescape")
    off += w + n
    if off == len(p):
        return out
    if short(4):
        out["truncated"] = "start_height"
        return out
    out["start_height"] = struct.unpack_from("<i", p, off)[0]
    off += 4
    if off < len(p):
        out["relay"] = p[off] != 0
    return out


class V1Stream:
    """A v1 message stream, sans I/O: feed() the bytes of one direction as
    they come, take the complete messages it returns. Validate first: a
    header is taken only when all 24 bytes are there, a message only when
    its payload is; a header with another magic or announcing more than
    MAX_PROTOCOL_MESSAGE_LENGTH ends the stream as v1 (`stopped` says why,
    at `stopped_at`), and nothing after it is parsed."""

    def __init__(self, magic=REGTEST_MAGIC):
        self.magic = magic
        self.buf = bytearray()
        self.base = 0            # the stream offset of buf[0]
        self.stopped = None      # why the stream is no v1 from stopped_at on
        self.stopped_at = None

    @property
    def pending(self):
        """Bytes received that are not (yet) a whole message."""
        return len(self.buf)

    def feed(self, data):
        """-> [message dict]: magic (hex), command, valid_command, length,
        bytes, end (stream offset after it), checksum (True when it
        matches), and for a version its fields (parse_version)."""
        out = []
        if self.stopped is not None:
            return out
        self.buf += data
        while len(self.buf) >= HEADER_LEN:
            hdr = bytes(self.buf[:HEADER_LEN])
            magic, cmd, length, checksum = hdr[:4], hdr[4:16], struct.unpack("<I", hdr[16:20])[0], hdr[20:24]
            if magic != self.magic:
                self._stop(f"magic {magic.hex()}, not {self.magic.hex()}")
                break
            if length > MAX_PROTOCOL_MESSAGE_LENGTH:
                self._stop(f"a header announcing {length} bytes (> {MAX_PROTOCOL_MESSAGE_LENGTH})")
                break
            if len(self.buf) - HEADER_LEN < length:
                break
            payload = bytes(self.buf[HEADER_LEN:HEADER_LEN + length])
            name, valid = parse_command(cmd)
            m = {"magic": magic.hex(), "command": name, "valid_command": valid, "length": length,
                 "bytes": HEADER_LEN + length, "end": self.base + HEADER_LEN + length,
                 "checksum": hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] == checksum}
            if valid and name == "version":
                m["fields"] = parse_version(payload)
            out.append(m)
            del self.buf[:HEADER_LEN + length]
            self.base += HEADER_LEN + length
        return out

    def _stop(self, why):
        self.stopped, self.stopped_at = why, self.base


# ---------------------------------------------------------------- relay

def _addr(a):
    return f"{a[0]}:{a[1]}"


class _Side:
    """One socket of a relayed connection: which of the target's sides it
    reaches, the leg it receives, and what waits to be written to it (the
    other leg's bytes)."""

    def __init__(self, name, leg, magic):
        self.sock = None         # None until connected (the upstream side)
        self.name = name         # "outbound" / "inbound"
        self.leg = leg           # "out" / "in": what this side sends
        self.stream = V1Stream(magic)
        self.queue = bytearray()  # for this side, not yet written
        self.written = 0


class _Conn:
    """One relayed connection: the accepted socket (the target's outbound
    side) and the upstream one (its inbound side)."""

    def __init__(self, k, sock, magic):
        self.k = k
        self.outbound = _Side("outbound", "out", magic)
        self.outbound.sock = sock
        self.inbound = _Side("inbound", "in", magic)
        self.closed = False

    def other(self, side):
        return self.inbound if side is self.outbound else self.outbound


class Relay:
    """See the module docstring. start() binds and runs the loop; `address`
    is (host, port); set_upstream(addr) names the target's own listener;
    events() is a copy of the record so far; stop() ends every relayed
    connection still open (closed by "relay", how "stopped", or
    "no-upstream" for one still held) and the thread. A context manager."""

    def __init__(self, magic=REGTEST_MAGIC, host="127.0.0.1"):
        self.magic = magic
        self.host = host
        self.address = None
        self._lock = threading.Lock()
        self._events = []
        self._t0 = time.monotonic()
        self._upstream = None
        self._conns = []
        self._thread = None
        self._stopping = False

    # --- the record

    def now_ms(self):
        """The relay's clock, as its events' t_ms."""
        return round((time.monotonic() - self._t0) * 1000, 1)

    def _ev(self, event, **kw):
        e = {"event": event, "t_ms": self.now_ms(), **kw}
        with self._lock:
            self._events.append(e)

    def events(self):
        with self._lock:
            return [dict(e) for e in self._events]

    # --- control (any thread)

    def start(self):
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET   # a node on IPv6: ::1 or ours
        self._lsock = socket.socket(family, socket.SOCK_STREAM)
        self._lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._lsock.bind((self.host, 0))
        self._lsock.listen(8)
        self._lsock.setblocking(False)
        self.address = self._lsock.getsockname()[:2]
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._sel = selectors.DefaultSelector()
        self._sel.register(self._lsock, selectors.EVENT_READ, None)
        self._sel.register(self._wake_r, selectors.EVENT_READ, None)
        self._ev("listening", addr=_addr(self.address))
        self._thread = threading.Thread(target=self._loop, name="selfrelay", daemon=True)
        self._thread.start()
        return self

    def set_upstream(self, addr):
        """The target's own listening address, (host, port): connections
        held until now are forwarded to it, later ones at once."""
        up = (addr[0], int(addr[1]))
        with self._lock:
            self._upstream = up
        self._ev("upstream", addr=_addr(up))
        self._wake()

    def stop(self):
        """End every relayed connection still open, and the thread (idempotent)."""
        if self._thread is None:
            return
        self._stopping = True
        self._wake()
        self._thread.join(10)
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def _wake(self):
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    # --- the loop (the relay's thread only)

    def _loop(self):
        try:
            while not self._stopping:
                for key, mask in self._sel.select(0.5):
                    if key.fileobj is self._lsock:
                        self._accept()
                    elif key.fileobj is self._wake_r:
                        self._drain_wake()
                    else:
                        conn, side = key.data
                        if conn.closed:      # ended earlier in this round
                            continue
                        if mask & selectors.EVENT_READ:
                            self._readable(conn, side)
                        if not conn.closed and mask & selectors.EVENT_WRITE:
                            self._flush(conn, side)
                self._connect_held()
        finally:
            for c in self._conns:
                self._close(c, "relay", "stopped" if c.inbound.sock else "no-upstream")
            for s in (self._lsock, self._wake_r, self._wake_w):
                try:
                    self._sel.unregister(s)
                except (KeyError, ValueError):
                    pass
                s.close()
            self._sel.close()

    def _drain_wake(self):
        try:
            self._wake_r.recv(4096)
        except BlockingIOError:
            pass

    def _accept(self):
        try:
            sock, peer = self._lsock.accept()
        except BlockingIOError:
            return
        sock.setblocking(False)
        c = _Conn(len(self._conns), sock, self.magic)
        self._conns.append(c)
        self._ev("accepted", conn=c.k, peer=_addr(peer))
        self._sel.register(sock, selectors.EVENT_READ, (c, c.outbound))

    def _connect_held(self):
        with self._lock:
            up = self._upstream
        if up is None:
            return
        for c in self._conns:
            if c.inbound.sock is None and not c.closed:
                self._connect(c, up)

    def _connect(self, c, up):
        try:
            s = socket.create_connection(up, CONNECT_TIMEOUT_S)
        except OSError as e:
            self._ev("upstream-failed", conn=c.k, error=str(e))
            self._close(c, "relay", "upstream-failed")
            return
        s.setblocking(False)
        c.inbound.sock = s
        self._ev("connected", conn=c.k, upstream=_addr(up), local=_addr(s.getsockname()))
        self._sel.register(s, selectors.EVENT_READ, (c, c.inbound))
        self._flush(c, c.inbound)   # what the outbound side sent while held

    def _readable(self, c, side):
        try:
            data, how = side.sock.recv(RECV_SIZE), "eof"
        except BlockingIOError:
            return
        except OSError:
            data, how = b"", "reset"
        if not data:
            self._close(c, side.name, how)
            return
        ev = {"conn": c.k, "leg": side.leg, "n": len(data), "hex": data[:HEX_CAP].hex()}
        if len(data) > HEX_CAP:
            ev["truncated"] = True
        self._ev("bytes", **ev)
        was = side.stream.stopped
        for m in side.stream.feed(data):
            self._ev("message", conn=c.k, leg=side.leg, **m)
        if was is None and side.stream.stopped is not None:
            self._ev("unparsed", conn=c.k, leg=side.leg, offset=side.stream.stopped_at,
                     reason=side.stream.stopped)
        dest = c.other(side)
        dest.queue += data
        if dest.sock is not None:
            self._flush(c, dest)

    def _wrote(self, c, side, n):
        side.written += n
        self._ev("forwarded", conn=c.k, leg=c.other(side).leg, total=side.written)

    def _flush(self, c, side):
        """Write what is queued for `side`; ask for EVENT_WRITE while some is left."""
        if side.queue:
            try:
                n = side.sock.send(side.queue)
            except BlockingIOError:
                n = 0
            except OSError:
                self._close(c, side.name, "reset")
                return
            if n:
                del side.queue[:n]
                self._wrote(c, side, n)
        mask = selectors.EVENT_READ | (selectors.EVENT_WRITE if side.queue else 0)
        key = self._sel.get_key(side.sock)
        if key.events != mask:
            self._sel.modify(side.sock, mask, key.data)

    def _close(self, c, by, how):
        """The first end of a relayed connection: pass on what the side
        that did not end has queued, then close both sockets."""
        if c.closed:
            return
        c.closed = True
        self._ev("closed", conn=c.k, by=by, how=how)
        for side in (c.outbound, c.inbound):
            if side.sock is None:
                continue
            if side.queue and side.name != by:
                try:
                    side.sock.setblocking(True)
                    side.sock.settimeout(FLUSH_TIMEOUT_S)
                    side.sock.sendall(side.queue)
                    self._wrote(c, side, len(side.queue))
                    side.queue.clear()
                except OSError:
                    pass
            try:
                self._sel.unregister(side.sock)
            except (KeyError, ValueError):
                pass
            side.sock.close()
