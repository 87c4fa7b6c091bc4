#!/usr/bin/python3
"""bats/wire_events.py: peershake's --json sent/recv/dropped events against
the bytes that went on the wire.

  wire_events.py run [--peershake BIN] [--proto btc|noise|all]
                     [--role initiator|responder|all] [--only SWITCH]...
                     [--jobs N] [--keep DIR] [--infer-bytes]
  wire_events.py check --proto btc|noise --events LOG
                     [--sent FILE] [--recv FILE] [--prefix-ok]
                     [--v2 [--peer-events LOG]]

run: for every switch `peershake --list-bugs` lists (stall=MS as stall=200;
send=CMD@WHEN once for every CMD of its summary, the WHENs taken in turn), in
each protocol and role it names, a misbehaving peershake talks to an honest
one on loopback through a recording proxy in this script. The switch goes to
the side its role names (initiator = connect, responder = listen). Then,
for both sides:

  (a) walking the bytes that side sent from offset 0, each `sent` event in
      order starts at the current offset: Bitcoin, the 24-byte header there
      carries the event's command and its length field (LE u32 at 16) is the
      event's `length`; Noise, the 2-byte big-endian prefix is `length`. The
      offset then advances by the event's `bytes`.
  (b) the `bytes` add up to the bytes recorded. When the other side closed
      first (its direction ended first at the proxy, and the side's own
      `closed` event says "by":"peer") the recording may be a prefix of
      what was queued: every event recorded in full must match, no byte
      may lie beyond the events, and the first event cut short must have
      been queued at most 500 ms (its t_ms) before that closed event.
  (c) walking the bytes that side received, each `recv`/`dropped` event in
      order has the header (Bitcoin: command and length) or prefix (Noise)
      found there, `bytes` is that frame (24 or 2 plus its length), and the
      frame was received in full. The walk ends with the events: a side
      stops framing at a message it cannot frame (wrong magic, oversize).

BIP324 v2 (the switches --list-bugs shows as PROTO btc/v2; connect then
gets --v2transport 1, listen speaks v2 by default, and the misbehaving side
--v2-garbage 32 unless its switch sets the garbage's length, so that
v2-byte-at-a-time writes it within the window below). An honest listener
facing a v1 switch gets --v2transport 0: a first message that is not a v1
version (wrong-magic, ping-before-version) would otherwise be taken, as Core
takes it, for a v2 key; a misbehaving listener tells v1 from v2 itself.
Past the 64-byte key
the stream is encrypted: its lengths and types cannot be read from outside
without the keys, so the checks for v2 are these instead of (a) and (c):

  (a') walking the bytes that side sent, each `sent` event in order starts
      where the last ended and has `bytes` >= 1; with (b) as above (the
      sum, the prefix rule), and the closed event's `bytes_sent` equal to
      the bytes recorded (checked for every case).
  (c') the `recv`/`dropped` events of one side against the `sent` events of
      the other, on the same recorded bytes: each received item starts and
      ends where a sent event starts and ends (the receiver's framing, done
      with the keys, agrees with the sender's), lies wholly in what was
      recorded, and, where it is one sent event, has its command and
      length; only "v2 garbage and terminator" may span two (the sender
      logs garbage and terminator apart), its length being its bytes less
      the 16 of the terminator.

One line per (protocol, switch, role): PASS, or FAIL with the first
difference; then a summary. Exit status 1 on any FAIL.

Commands are compared as the event log renders them: the field's bytes up
to its first NUL, a non-printable byte shown as '?'. So "version\\0X\\0\\0\\0"
(cmd-not-padded) is logged as "version" and "versio\\x01" as "versio?".

check: the same checks on a given event log (JSON Lines) and recordings:
--sent the bytes that side sent, --recv the bytes it received, --prefix-ok
when the other side closed first (the 500 ms window then ends at the log's
closed event, where it has one with a t_ms); --v2 the rules for v2, with
--peer-events the other side's log for (c'). Used by bats/wire.bats to show
that the checker fails on a wrong log.

--infer-bytes (diagnosis only, never in the tests): an event without a
`bytes` field is taken as its header plus `length`, to see which logs are
wrong beyond the missing field.

Every wait is bounded; processes are stopped by the PID this script started.
Standard library only; run with /usr/bin/python3.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HOST = "127.0.0.1"
BTC_HDR = 24
NOISE_HDR = 2
TIMEOUT_MS = 1500  # peershake -t: stalling switches end by this deadline
LINGER_MS = 200  # btc --linger: post-verack messages are still read
STALL = "stall=200"
# A message queued this long before the peer closed must be on the wire; the
# slowest switch (byte-at-a-time, 1 ms a byte) writes a version in ~200 ms.
WINDOW_MS = 500
PSK_VAR = "WIRE_EVENTS_PSK"
V2_GARBAGE = "32"  # the misbehaving side's v2 garbage, unless its switch sets it
V2_SETS_GARBAGE = ("v2-garbage-4096", "v2-no-terminator")
V2_DECOYS = "v2-decoys=3"
V2_TERMINATOR = 16

# bounds on every wait (seconds)
T_LISTENING = 10
T_ACCEPT = 15
T_CONNECT = 20
T_PROXY_AFTER = 5
T_LISTENER_CLOSED = 5
T_STOP = 5
T_PROXY_TOTAL = 40


# ---------------------------------------------------------------- checking


def hdr_len(proto):
    return BTC_HDR if proto == "btc" else NOISE_HDR


def show_command(field):
    """The 12-byte command field, printably."""
    out = []
    for b in field:
        out.append(chr(b) if 0x20 <= b <= 0x7E and b != 0x5C else "\\x%02x" % b)
    return '"' + "".join(out) + '"'


def command_matches(field, cmd):
    """Does the event's command render the 12-byte field? The log shows the
    bytes before the first NUL, each non-printable byte as '?'."""
    if not isinstance(cmd, str) or len(cmd) > 12:
        return False
    for k, ch in enumerate(cmd):
        b = field[k]
        if b == 0:
            return False
        if ch == "?":
            if not (b == 0x3F or b < 0x20 or b > 0x7E):
                return False
        elif b != ord(ch):
            return False
    return len(cmd) == 12 or field[len(cmd)] == 0


def frame_at(proto, wire, off):
    """(command field or None, announced length) of the frame at off."""
    if proto == "btc":
        return wire[off + 4 : off + 16], int.from_bytes(wire[off + 16 : off + 20], "little")
    return None, int.from_bytes(wire[off : off + 2], "big")


def name_of(proto, e):
    return e.get("command") if proto == "btc" else e.get("message")


def header_diff(proto, e, wire, off, where):
    """The first difference between event e and the header at off, or None."""
    field, length = frame_at(proto, wire, off)
    if proto == "btc" and not command_matches(field, e.get("command")):
        return "%s: command %s in the event, %s on the wire" % (
            where,
            json.dumps(e.get("command")),
            show_command(field),
        )
    if e.get("length") != length:
        return "%s: length %s in the event, %d on the wire" % (where, e.get("length"), length)
    return None


def event_bytes(proto, e, where, infer):
    """(bytes, None) or (None, difference)."""
    b = e.get("bytes")
    if b is None and infer and isinstance(e.get("length"), int):
        return hdr_len(proto) + e["length"], None
    if b is None:
        return None, "%s: no 'bytes' field in the event" % where
    if not isinstance(b, int) or isinstance(b, bool) or b < hdr_len(proto):
        return None, "%s: 'bytes' %s is not a frame size (>= %d)" % (where, json.dumps(b), hdr_len(proto))
    return b, None


def unwritten_diff(e, where, have, prefix_ok):
    """Event e is not all on the wire (have bytes from its offset). Excused
    only when the other side closed first (prefix_ok: True, or the t_ms of
    the side's own closed event) and, where times are known, the event was
    queued at most WINDOW_MS before that close; a message queued earlier
    had time to go out while the peer was there. None when excused."""
    if prefix_ok is True:
        return None
    if prefix_ok is not False and prefix_ok is not None:
        t = e.get("t_ms")
        if not isinstance(t, (int, float)):
            return None
        if prefix_ok - t <= WINDOW_MS:
            return None
        return "%s: %s (queued %d ms before the peer closed)" % (
            where,
            have,
            prefix_ok - t,
        )
    return "%s: %s" % (where, have)


def check_sent(proto, events, wire, prefix_ok, infer=False, side=""):
    """Rules (a) and (b). prefix_ok: False, True, or the t_ms of the side's
    closed event when the other side closed first. Returns the first
    difference or None."""
    hl = hdr_len(proto)
    off = 0
    sent = [e for e in events if e.get("event") == "sent"]
    for i, e in enumerate(sent):
        where = "%ssent #%d %s at offset %d" % (side, i + 1, json.dumps(name_of(proto, e)), off)
        if len(wire) - off < hl:
            # queued; not written, or cut when the other side closed
            return unwritten_diff(e, where, "only %d byte(s) on the wire from there" % (len(wire) - off), prefix_ok)
        d = header_diff(proto, e, wire, off, where)
        if d:
            return d
        n, d = event_bytes(proto, e, where, infer)
        if d:
            return d
        if len(wire) - off < n:
            return unwritten_diff(
                e,
                where,
                "'bytes' %d in the event, %d byte(s) on the wire from there" % (n, len(wire) - off),
                prefix_ok,
            )
        off += n
    if off < len(wire):
        return "%s%d byte(s) on the wire after the %d sent event(s), at offset %d: %s%s" % (
            side,
            len(wire) - off,
            len(sent),
            off,
            wire[off : off + 24].hex(),
            "..." if len(wire) - off > 24 else "",
        )
    return None


def check_recv(proto, events, wire, infer=False, side=""):
    """Rule (c). Returns the first difference or None."""
    hl = hdr_len(proto)
    off = 0
    got = [e for e in events if e.get("event") in ("recv", "dropped")]
    for i, e in enumerate(got):
        where = "%s%s #%d %s at offset %d" % (side, e["event"], i + 1, json.dumps(name_of(proto, e)), off)
        if len(wire) - off < hl:
            return "%s: only %d byte(s) were received from there" % (where, len(wire) - off)
        d = header_diff(proto, e, wire, off, where)
        if d:
            return d
        n, d = event_bytes(proto, e, where, infer)
        if d:
            return d
        _, length = frame_at(proto, wire, off)
        if n != hl + length:
            return "%s: 'bytes' %d in the event, the frame there is %d + %d" % (where, n, hl, length)
        if len(wire) - off < n:
            return "%s: a %d-byte frame, only %d byte(s) received from there" % (where, n, len(wire) - off)
        off += n
    return None


def v2_bytes(e, where):
    """(bytes, None) or (None, difference) for a v2 event: any size >= 1."""
    b = e.get("bytes")
    if b is None:
        return None, "%s: no 'bytes' field in the event" % where
    if not isinstance(b, int) or isinstance(b, bool) or b < 1:
        return None, "%s: 'bytes' %s is not a size (>= 1)" % (where, json.dumps(b))
    return b, None


def check_sent_v2(events, wire, prefix_ok, side=""):
    """Rules (a') and (b) for v2. Returns the first difference or None."""
    off = 0
    sent = [e for e in events if e.get("event") == "sent"]
    for i, e in enumerate(sent):
        where = "%ssent #%d %s at offset %d" % (side, i + 1, json.dumps(e.get("note") or e.get("command")), off)
        n, d = v2_bytes(e, where)
        if d:
            return d
        if len(wire) - off < n:
            return unwritten_diff(
                e,
                where,
                "'bytes' %d in the event, %d byte(s) on the wire from there" % (n, len(wire) - off),
                prefix_ok,
            )
        off += n
    if off < len(wire):
        return "%s%d byte(s) on the wire after the %d sent event(s), at offset %d: %s%s" % (
            side,
            len(wire) - off,
            len(sent),
            off,
            wire[off : off + 24].hex(),
            "..." if len(wire) - off > 24 else "",
        )
    return None


def check_recv_v2(events, peer_events, wire, side=""):
    """Rule (c'): events' recv/dropped against peer_events' sent, over the
    bytes wire (what the peer sent and this side received). Returns the
    first difference or None."""
    starts, ends, off = {}, set(), 0
    for e in peer_events:
        if e.get("event") != "sent":
            continue
        n, d = v2_bytes(e, "the peer's sent event at offset %d" % off)
        if d:
            return side + d
        starts[off] = e
        off += n
        ends.add(off)
    off = 0
    got = [e for e in events if e.get("event") in ("recv", "dropped")]
    for i, e in enumerate(got):
        what = e.get("note") if not e.get("command") else e.get("command")
        where = "%s%s #%d %s at offset %d" % (side, e["event"], i + 1, json.dumps(what), off)
        n, d = v2_bytes(e, where)
        if d:
            return d
        if off not in starts:
            return "%s: no sent event of the peer starts there" % where
        if off + n not in ends:
            return "%s: its %d byte(s) end inside a sent event of the peer" % (where, n)
        if len(wire) - off < n:
            return "%s: %d byte(s), only %d received from there" % (where, n, len(wire) - off)
        s = starts[off]
        if e.get("note") == "v2 garbage and terminator":
            if e.get("length") != n - V2_TERMINATOR:
                return "%s: length %s in the event, %d byte(s) of garbage before the terminator" % (
                    where,
                    e.get("length"),
                    n - V2_TERMINATOR,
                )
        elif s.get("bytes") != n:
            return "%s: %d byte(s) in the event, the peer's sent event there has %s" % (where, n, s.get("bytes"))
        elif (e.get("command") or "") != (s.get("command") or "") or e.get("length") != s.get("length"):
            return "%s: command %s length %s in the event, the peer sent command %s length %s" % (
                where,
                json.dumps(e.get("command")),
                e.get("length"),
                json.dumps(s.get("command")),
                s.get("length"),
            )
        off += n
    return None


def closed_by(events):
    """(by, t_ms) of the side's closed event: by is 'peer' or 'us'; (None,
    None) without one."""
    for e in events:
        if e.get("event") == "closed":
            return e.get("by"), e.get("t_ms")
    return None, None


def bytes_sent_of(events):
    """The bytes_sent of the side's closed event (what reached its socket),
    or None."""
    for e in events:
        if e.get("event") == "closed":
            return e.get("bytes_sent")
    return None


def prefix_allowed(other_ended_first, events):
    """The other side closed first: its direction ended first at the proxy
    and this side's closed event says "by":"peer". Then the t_ms of that
    event (True when it has none); else False."""
    by, t = closed_by(events)
    if not other_ended_first or by != "peer":
        return False
    return t if isinstance(t, (int, float)) else True


def read_events(path):
    """(events, None) or (None, difference). Every line must be JSON."""
    events = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError as e:
        return None, "cannot read %s: %s" % (path, e)
    for k, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
        except ValueError:
            return None, "%s line %d is not JSON: %.60s" % (os.path.basename(path), k, line)
        if isinstance(ev, dict):
            events.append(ev)
    return events, None


# ----------------------------------------------------------------- the proxy


class Proxy:
    """Accepts one connection on a free loopback port, connects it to the
    upstream port, relays both ways and records each direction. A side's
    EOF is passed on as a half-close; bytes from a side are recorded even
    after the other side stopped taking them. Ends when both sources ended
    or the deadline passed."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.bind((HOST, 0))
        self.lsock.listen(1)
        self.port = self.lsock.getsockname()[1]
        self.rec = {"c2l": bytearray(), "l2c": bytearray()}
        self.ended = {}  # direction -> order in which its source ended
        self.error = None
        self.timed_out = False
        self.lock = threading.Lock()
        self.deadline = time.monotonic() + T_PROXY_TOTAL
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _end(self, key):
        with self.lock:
            if key not in self.ended:
                self.ended[key] = len(self.ended)

    def _pump(self, src, dst, key):
        dst_ok = True
        while True:
            if time.monotonic() >= self.deadline:
                self.timed_out = True
                break
            try:
                data = src.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                data = b""
            if not data:
                break
            self.rec[key] += data
            if dst_ok:
                try:
                    dst.sendall(data)
                except OSError:
                    dst_ok = False  # the other side is gone: keep recording
        self._end(key)
        if dst_ok:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def _run(self):
        c = u = None
        try:
            self.lsock.settimeout(T_ACCEPT)
            try:
                c, _ = self.lsock.accept()
            except socket.timeout:
                self.error = "proxy: no connection within %d s" % T_ACCEPT
                return
            finally:
                self.lsock.close()
            try:
                u = socket.create_connection((HOST, self.upstream_port), timeout=5)
            except OSError as e:
                self.error = "proxy: cannot reach the listener: %s" % e
                return
            for s in (c, u):
                s.settimeout(0.2)
            t1 = threading.Thread(target=self._pump, args=(c, u, "c2l"), daemon=True)
            t2 = threading.Thread(target=self._pump, args=(u, c, "l2c"), daemon=True)
            t1.start()
            t2.start()
            t1.join(T_PROXY_TOTAL + 1)
            t2.join(T_PROXY_TOTAL + 1)
        finally:
            for s in (c, u):
                if s:
                    s.close()

    def join(self, timeout):
        self.thread.join(timeout)
        return not self.thread.is_alive()


# ------------------------------------------------------------------ the cases


def list_cases(peershake):
    """[(proto, switch, role)] from `peershake --list-bugs`."""
    out = subprocess.run([peershake, "--list-bugs"], capture_output=True, text=True, timeout=20, check=True).stdout
    lines = out.splitlines()
    cases = []
    for line in lines[1:]:  # the first line is the header
        parts = line.split(None, 3)
        if len(parts) < 3:
            continue
        name, protos, roles = parts[0], parts[1], parts[2]
        summary = parts[3] if len(parts) > 3 else ""
        if name.startswith("stall="):
            switches = [STALL]
        elif name.startswith("send="):
            m = re.search(r"\(([^)]*)\)", summary)
            cmds = m.group(1).split() if m else []
            whens = re.findall(r"\b(?:before|after)-[a-z]+", summary[m.end() :] if m else "")
            if not cmds or not whens:
                raise SystemExit("wire_events: cannot read the commands of %r" % line)
            switches = ["send=%s@%s" % (c, whens[k % len(whens)]) for k, c in enumerate(cmds)]
        elif name == "v2-decoys=N":
            switches = [V2_DECOYS]
        elif name == "bad-alone":
            switches = ["bad-alone+bad-checksum-last", "bad-alone+user-agent-noncanonical",
                        "bad-alone+user-agent-257"]
            protos = "btc/v1"  # two of the three are v1 frame rewrites
        elif "=" in name:
            raise SystemExit("wire_events: a parametrised switch this script does not know: %s" % name)
        else:
            switches = [name]
        # btc/v1: a v1 frame rewrite (over v1, as the plain btc ones);
        # btc/v2: a switch that needs a v2 connection
        transport = "v2" if protos == "btc/v2" else "v1"
        if protos in ("btc/v1", "btc/v2"):
            protos = "btc"
        for proto in ("btc", "noise"):
            if protos not in (proto, "both"):
                continue
            for role in ("initiator", "responder"):
                if roles not in (role, "both"):
                    continue
                for sw in switches:
                    cases.append((proto, sw, role, transport))
    return cases


def wait_for(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def file_has(path, needle):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return needle in f.read()
    except OSError:
        return False


STARTED = []  # every Popen this script made, for the SIGTERM handler
STARTED_LOCK = threading.Lock()


def start(argv, out, err, env):
    with STARTED_LOCK:
        p = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        STARTED.append(p)
    return p


def on_term(signum, frame):
    """Stopped from outside (bats' timeout): stop our own processes, by the
    PIDs we started, then leave."""
    with STARTED_LOCK:
        procs = list(STARTED)
    for p in procs:
        if p.poll() is None:
            p.kill()
    print("wire_events: stopped by signal %d" % signum, file=sys.stderr, flush=True)
    os._exit(3)


def stop(proc):
    """SIGTERM the process we started, bounded; then SIGKILL."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(T_STOP)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(T_STOP)


def run_case(peershake, case, workdir, infer):
    proto, sw, role, transport = case
    v2 = transport == "v2"
    d = os.path.join(workdir, "%s_%s_%s" % (proto, re.sub(r"[^A-Za-z0-9_.-]", "_", sw), role))
    os.makedirs(d, exist_ok=True)
    env = dict(os.environ)
    env[PSK_VAR] = os.urandom(32).hex()
    common = ["--json", "-t", str(TIMEOUT_MS)]
    if proto == "btc":
        common += ["-n", "regtest", "--linger", str(LINGER_MS)]
    else:
        common += ["--psk-env", PSK_VAR]
    # "a+b": switches given together (bad-alone acts on another's version)
    bug = [x for one in sw.split("+") for x in ("--bug", one)]
    if v2 and sw not in V2_SETS_GARBAGE:
        bug += ["--v2-garbage", V2_GARBAGE]
    lbug = bug if role == "responder" else []
    cbug = bug if role == "initiator" else []
    # connect speaks v1 unless told; listen tells v1 from v2 by itself, so
    # an honest listener facing a v1 switch is made v1 only: one whose
    # first 16 bytes are not a v1 version (wrong-magic, ping-before-version)
    # would, as Core's, take them for a v2 key and answer with its own
    cv2 = ["--v2transport", "1"] if v2 else []
    lv1 = ["--v2transport", "0"] if proto == "btc" and not v2 and role == "initiator" else []
    lout, cout = os.path.join(d, "listen.json"), os.path.join(d, "connect.json")
    largv = [peershake, proto, "listen", *common, *lv1, "--count", "1", *lbug, HOST + ":0"]
    with open(os.path.join(d, "argv"), "w") as f:
        f.write(" ".join(largv) + "\n")
    lproc = cproc = proxy = None
    try:
        with open(lout, "w") as o, open(os.path.join(d, "listen.err"), "w") as e:
            lproc = start(largv, o, e, env)
        if not wait_for(lambda: file_has(lout, '"event":"listening"') or lproc.poll() is not None, T_LISTENING):
            return "harness: the listener printed no listening event in %d s" % T_LISTENING
        m = re.search(r'"event":"listening".*?"port":(\d+)', open(lout).read())
        if not m:
            return "harness: the listener exited without listening (status %s)" % lproc.poll()
        proxy = Proxy(int(m.group(1)))
        cargv = [peershake, proto, "connect", *common, *cv2, *cbug, "%s:%d" % (HOST, proxy.port)]
        with open(os.path.join(d, "argv"), "a") as f:
            f.write(" ".join(cargv) + "\n")
        with open(cout, "w") as o, open(os.path.join(d, "connect.err"), "w") as e:
            cproc = start(cargv, o, e, env)
        try:
            cproc.wait(T_CONNECT)
        except subprocess.TimeoutExpired:
            stop(cproc)
            return "harness: peershake connect still running after %d s" % T_CONNECT
        proxy.join(T_PROXY_AFTER)
        # the listener: it exits by itself after one success (--count 1);
        # after a failure it goes on listening, so it is stopped once it has
        # reported the connection closed
        wait_for(lambda: lproc.poll() is not None or file_has(lout, '"event":"closed"'), T_LISTENER_CLOSED)
        stop(lproc)
        if not proxy.join(T_PROXY_AFTER):
            return "harness: the proxy did not end"
        if proxy.error:
            return "harness: " + proxy.error
        if proxy.timed_out:
            return "harness: the connection was still open after %d s" % T_PROXY_TOTAL
    finally:
        for p in (cproc, lproc):
            if p is not None:
                stop(p)
    for key in ("c2l", "l2c"):
        with open(os.path.join(d, key + ".bin"), "wb") as f:
            f.write(proxy.rec[key])

    cev, err = read_events(cout)
    if err:
        return "connect: " + err
    lev, err = read_events(lout)
    if err:
        return "listen: " + err
    c2l, l2c = bytes(proxy.rec["c2l"]), bytes(proxy.rec["l2c"])
    # A side's recording may be a prefix of what it queued only when the
    # other side closed first: at the proxy, the other direction's source
    # ended first, and the side itself reports the close as the peer's.
    l_first = prefix_allowed(proxy.ended.get("l2c", 99) < proxy.ended.get("c2l", 99), cev)
    c_first = prefix_allowed(proxy.ended.get("c2l", 99) < proxy.ended.get("l2c", 99), lev)
    mis = "connect" if role == "initiator" else "listen"
    tag = {"connect": "connect", "listen": "listen"}
    for t in tag:
        tag[t] = "%s (%s): " % (t, "misbehaving" if t == mis else "honest")
    # the misbehaving side first, then the honest one
    order = ["connect", "listen"] if mis == "connect" else ["listen", "connect"]
    for side in order:
        if side == "connect":
            ev, peer_ev, out, inp, other_first = cev, lev, c2l, l2c, l_first
        else:
            ev, peer_ev, out, inp, other_first = lev, cev, l2c, c2l, c_first
        # the closed event says how many bytes reached the socket: that
        # must be what the proxy saw; when we hung up ourselves mid-message
        # (close-mid-message), the log says so, and the recording may then
        # be the prefix it names
        sent_total = bytes_sent_of(ev)
        if sent_total is not None and sent_total != len(out):
            return "%sclosed says bytes_sent %d, %d byte(s) on the wire" % (tag[side], sent_total, len(out))
        if sent_total is not None and closed_by(ev)[0] == "us" and other_first is False:
            other_first = True
        if v2:
            diff = check_sent_v2(ev, out, other_first, tag[side])
            diff = diff or check_recv_v2(ev, peer_ev, inp, tag[side])
        else:
            diff = check_sent(proto, ev, out, other_first, infer, tag[side])
            diff = diff or check_recv(proto, ev, inp, infer, tag[side])
        if diff:
            return diff
    return None


def cmd_run(a):
    pk = a.peershake
    if not (os.path.isfile(pk) and os.access(pk, os.X_OK)):
        print("wire_events: no peershake at %s" % pk, file=sys.stderr)
        return 2
    cases = list_cases(pk)
    if a.proto != "all":
        cases = [c for c in cases if c[0] == a.proto]
    if a.role != "all":
        cases = [c for c in cases if c[2] == a.role]
    if a.only:
        cases = [c for c in cases if c[1] in a.only]
    if not cases:
        print("wire_events: no case to run", file=sys.stderr)
        return 2
    workdir = a.keep or tempfile.mkdtemp(prefix="wire_events.")
    os.makedirs(workdir, exist_ok=True)
    t0 = time.monotonic()
    results = {}
    lock = threading.Lock()

    def one(case):
        try:
            diff = run_case(pk, case, workdir, a.infer_bytes)
        except Exception as e:  # a harness fault is a FAIL, never a pass
            diff = "harness: %s: %s" % (type(e).__name__, e)
        with lock:
            results[case] = diff
            line = "%s %s %s %s" % ("FAIL" if diff else "PASS", case[0], case[1], case[2])
            print(line + (": " + diff if diff else ""), flush=True)

    with ThreadPoolExecutor(max_workers=a.jobs) as ex:
        list(ex.map(one, cases))
    nfail = sum(1 for c in cases if results.get(c))
    print(
        "summary: %d case(s), %d PASS, %d FAIL (%.1f s, %d at a time)"
        % (len(cases), len(cases) - nfail, nfail, time.monotonic() - t0, a.jobs),
        flush=True,
    )
    if not a.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if nfail else 0


def cmd_check(a):
    events, err = read_events(a.events)
    diff = err
    if not diff and a.sent is not None:
        with open(a.sent, "rb") as f:
            prefix = False
            if a.prefix_ok:
                # the other side closed first; the window runs to this
                # side's closed event where the log has one with a time
                t = closed_by(events)[1]
                prefix = t if isinstance(t, (int, float)) else True
            if a.v2:
                diff = check_sent_v2(events, f.read(), prefix)
            else:
                diff = check_sent(a.proto, events, f.read(), prefix, a.infer_bytes)
    if not diff and a.recv is not None:
        with open(a.recv, "rb") as f:
            if a.v2:
                if a.peer_events is None:
                    diff = "--v2 --recv needs --peer-events (the sender's log)"
                else:
                    peer, diff = read_events(a.peer_events)
                    diff = diff or check_recv_v2(events, peer, f.read())
            else:
                diff = check_recv(a.proto, events, f.read(), a.infer_bytes)
    print("FAIL check: " + diff if diff else "PASS check")
    return 1 if diff else 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_pk = os.environ.get("PEERSHAKE") or os.path.join(here, "..", "build", "debug", "peershake")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--peershake", default=default_pk)
    r.add_argument("--proto", choices=("btc", "noise", "all"), default="all")
    r.add_argument("--role", choices=("initiator", "responder", "all"), default="all")
    r.add_argument("--only", action="append", metavar="SWITCH")
    r.add_argument("--jobs", type=int, default=4)
    r.add_argument("--keep", metavar="DIR")
    r.add_argument("--infer-bytes", action="store_true")
    c = sub.add_parser("check")
    c.add_argument("--proto", choices=("btc", "noise"), required=True)
    c.add_argument("--events", required=True)
    c.add_argument("--sent")
    c.add_argument("--recv")
    c.add_argument("--prefix-ok", action="store_true")
    c.add_argument("--v2", action="store_true")
    c.add_argument("--peer-events")
    c.add_argument("--infer-bytes", action="store_true")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    if a.cmd == "run":
        if a.jobs < 1:
            ap.error("--jobs must be at least 1")
        return cmd_run(a)
    return cmd_check(a)


if __name__ == "__main__":
    sys.exit(main())
