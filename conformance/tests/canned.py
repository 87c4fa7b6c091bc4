"""Canned JSON Lines for the unit tests: peershake's event log (README.md,
"JSON Lines") written from a one-line transcript, so that every test says
exactly what the target sent.

Transcript tokens, in log order (the tester's point of view):

  >CMD[:LEN]          the tester sent CMD (LEN bytes of payload, default 0)
  <CMD[:LEN[:BYTES]]  the tester received CMD from the target (BYTES on the
                      wire, default 24 + LEN; Noise: 2 + LEN)
  !CMD:ERROR          the tester dropped a malformed CMD from the target
  V                   the target's version fields (a `version` event)
  =SUCCESS  =FAILED/REASON  =PARTIAL/REASON   the tester's result
  #us  #peer          the connection closed, by us / by the target
  D:ERROR             the tester disconnected after the handshake (the
                      target broke a rule)
  >@ITEM[:LEN[:BYTES]] <@ITEM[:LEN[:BYTES]]
                      a BIP324 transport item (an empty command and a note):
                      key ("v2 key", 64 bytes), garbage ("v2 garbage and
                      terminator", BYTES default LEN + 16), version ("v2
                      version packet", BYTES default LEN + 20), decoy ("v2
                      decoy"), handshake (ours: "v2 handshake")
  R                   the tester's v1 retry (--v2transport auto): the retry
                      line, the close by the peer, a new attempt (v1)
  +PEER               a new inbound connection from PEER (a listener's log)

The reference transcripts are Bitcoin Core v31.1's behaviour as observed in
regtest (/work/shared/protocol-notes.md, "Observed on Bitcoin Core v31.1")
and as its net_processing.cpp sends: never peershake's own output.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from psconf import catalogue  # noqa: E402

PEER = "127.0.0.1:18444"

# Core v31.1 with -v2transport=0: NETWORK|WITNESS|NETWORK_LIMITED; its
# version payload is 102 bytes with a 16-byte user agent.
CORE_VERSION = {"version": 70016, "services": "0x0000000000000409", "user_agent": "/Satoshi:31.1.0/",
                "start_height": 0, "relay": True, "nonce": "0x1f2e3d4c5b6a7988"}

# Core as responder to a 70016 peer: version, wtxidrelay, sendaddrv2,
# verack on our version; sendcmpct, ping, getheaders, feefilter once our
# verack is in (a getheaders with one locator hash: 4 + 1 + 32 + 32 bytes).
CORE_HANDSHAKE = "<version:102 V <wtxidrelay <sendaddrv2 <verack"
CORE_POST = "<sendcmpct:9 <ping:8 <getheaders:69 <feefilter:8"
CORE_RESPONDER = f">version:103 {CORE_HANDSHAKE} >wtxidrelay >sendaddrv2 >verack =SUCCESS {CORE_POST} #us"

# Core v31.1 with its defaults (v2 on) as a BIP324 responder (net.cpp
# V2Transport): on our key its key, 0..4095 bytes of garbage, terminator and
# an empty version packet; then the same messages as v1, each a packet of
# 20 bytes + 13 (long: version, verack, wtxidrelay, sendaddrv2) or + 1
# (a short ID: sendcmpct, ping, getheaders, feefilter) + its payload.
# Services 0xc09: NODE_P2P_V2 with -v2transport=1 (init.cpp).
CORE_V2_VERSION = dict(CORE_VERSION, services="0x0000000000000c09")
SESSION = "5e" * 32
CORE_V2_ITEMS = "<@key:64 <@garbage:1500 <@version:0"
CORE_V2_HANDSHAKE = "<version:102:135 V <wtxidrelay:0:33 <sendaddrv2:0:33 <verack:0:33"
CORE_V2_POST = "<sendcmpct:9:30 <ping:8:29 <getheaders:69:90 <feefilter:8:29"
CORE_V2_RESPONDER = (f">@handshake:0:1064 {CORE_V2_ITEMS} >@handshake:0:36 >version:103:136 {CORE_V2_HANDSHAKE} "
                     f">wtxidrelay:0:33 >sendaddrv2:0:33 >verack:0:33 =SUCCESS {CORE_V2_POST} #us")
V2_NOTES = {"key": "v2 key", "garbage": "v2 garbage and terminator", "version": "v2 version packet",
            "decoy": "v2 decoy", "handshake": "v2 handshake", "terminator": "v2 garbage terminator",
            "ourgarbage": "ourgarbage", "ourversion": "ourversion"}


def events(transcript, version=None, proto="btc", peer=PEER, result_extra=None, direction="outbound",
           transport=None):
    """A transcript -> the list of event objects peershake would log.
    transport: the connection's ("v1", "v2"), on `connected` and `result`."""
    conn = {"event": "connected", "t_ms": 0, "proto": proto, "peer": peer, "local": "127.0.0.1:40000"}
    if transport:
        conn["transport"] = transport
    out = [{"event": "started", "t_ms": 0, "proto": proto, "peer": peer, "direction": direction}, conn]
    t = 0
    key = "command" if proto == "btc" else "message"
    hdr = 24 if proto == "btc" else 2
    for tok in transcript.split():
        t += 1
        base = {"t_ms": t, "proto": proto, "peer": peer}
        if tok[0] in "><" and tok[1:2] == "@":
            parts = tok[2:].split(":")
            n = int(parts[1]) if len(parts) > 1 else (64 if parts[0] == "key" else 0)
            extra = {"garbage": 16, "version": 20, "decoy": 20}.get(parts[0], 0)
            b = int(parts[2]) if len(parts) > 2 else n + extra
            out.append({"event": "sent" if tok[0] == ">" else "recv", **base, "command": "", "length": n,
                        "bytes": b, "note": V2_NOTES[parts[0]]})
        elif tok == "R":
            out.append({"event": "retry", **base, "reason": "the peer closed before sending a v2 byte"})
            out.append({"event": "closed", **base, "by": "peer", "after_result_ms": 0, "bytes_sent": 64})
            out.append({"event": "started", **base, "direction": direction, "attempt": 1})
            out.append({"event": "connected", **base, "local": "127.0.0.1:40001", "transport": "v1"})
            transport = "v1"
        elif tok[0] == "+":
            peer = tok[1:]
            base["peer"] = peer
            out.append({"event": "started", **base, "direction": direction})
            out.append({"event": "connected", **base, "local": "127.0.0.1:18444"})
        elif tok[0] in "><":
            # ">ping:8~0x2a": a ping or pong with its nonce as the log has it
            tok, _, nonce = tok.partition("~")
            parts = tok[1:].split(":")
            n = int(parts[1]) if len(parts) > 1 else 0
            b = int(parts[2]) if len(parts) > 2 else n + hdr
            out.append({"event": "sent" if tok[0] == ">" else "recv", **base, key: parts[0],
                        "length": n, "bytes": b, **({"nonce": nonce} if nonce else {})})
        elif tok[0] == "!":
            cmd, _, err = tok[1:].partition(":")
            out.append({"event": "dropped", **base, "command": cmd, "length": 0, "bytes": 24, "error": err})
        elif tok == "V":
            out.append({"event": "version", **base, **(version or CORE_VERSION)})
        elif tok[0] == "=":
            res, _, reason = tok[1:].partition("/")
            r = {"event": "result", **base, "direction": direction, "result": res, "duration_ms": t}
            if reason:
                r.update(reason=reason, detail=reason)
            if transport:
                r["transport"] = transport
            r.update(result_extra or {})
            out.append(r)
        elif tok[0] == "#":
            out.append({"event": "closed", **base, "by": tok[1:], "after_result_ms": 0, "bytes_sent": 0})
        elif tok.startswith("D:"):
            out.append({"event": "disconnect", **base, "error": tok[2:], "note": "the peer broke a rule"})
        else:
            raise ValueError(f"bad transcript token {tok!r}")
    out.append({"event": "summary", "t_ms": t + 1, "proto": proto, "peers": 1})
    return out


def jsonl(evs):
    """Events -> JSON Lines text, as peershake writes them."""
    return "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in evs)


def v2_events(transcript, version=None, session=SESSION, **kw):
    """A transcript over v2: transport v2, the session id on a SUCCESS result."""
    extra = dict(kw.pop("result_extra", None) or {})
    if session and "=SUCCESS" in transcript:
        extra["session_id"] = session
    return events(transcript, version=version or CORE_V2_VERSION, transport="v2", result_extra=extra, **kw)


def case(msgs, expect="handshake", switches="", role="responder", proto="btc", cid="CF-V1-900"):
    """A catalogue line, parsed."""
    return catalogue.parse_line(
        f"{cid} | {proto} | {role} | (test) | {switches} | {expect} | {msgs} | (reference) | (source)")


STD = "recv=version,features,verack"


# --------------------------------------------------------------- role self
#
# The relay's events (psconf/selfrelay.py) for a target that dials itself,
# from a one-line transcript. Tokens, in order (each 1 ms after the last):
#
#   >CMD[:LEN]   the target's outbound side sent CMD (leg "out"); passed on
#                to its inbound side at once once the relay is connected
#                (U), else held until then
#   <CMD[:LEN]   its inbound side sent CMD (leg "in"), passed on
#   !CMD[:LEN]   its inbound side sent CMD with a bad checksum
#   <~N          its inbound side sent N bytes that are no whole message
#   U            the relay reached the target's own listener (upstream)
#   X            it could not (upstream-failed; the relay ends the connection)
#   +MS          MS milliseconds pass
#   #in #out #relay   the first end: by the inbound side, the outbound
#                side (eof), the relay (stopped)
#
# The version fields are SELF_OUT_VERSION (out) and SELF_IN_VERSION (in):
# Core v31.1's, with the nonces of two different handshakes.

SELF_OUT_VERSION = {"version": 70016, "services": "0x0000000000000409", "time": 1700000000,
                    "nonce": "0x1f2e3d4c5b6a7988", "user_agent": "/Satoshi:31.1.0/", "start_height": 0,
                    "relay": True}
SELF_IN_VERSION = dict(SELF_OUT_VERSION, nonce="0x0123456789abcdef")
# Core v31.1 dialing itself (addconnection, -v2transport=0): its outbound
# side's version (102 bytes of payload), then its inbound side's end
# (net_processing.cpp: "connected to self", fDisconnect before PushNodeVersion).
CORE_SELF = ">version:102 U #in"
# A target without the self check: its inbound side answers, both sides
# complete the handshake with each other, nothing ends it.
NO_CHECK_SELF = ("U >version:102 <version:102 <wtxidrelay <sendaddrv2 <verack >wtxidrelay >sendaddrv2 >verack "
                 "+1000 #relay")
SELF_CASE = "recv=- out=version"


def self_events(transcript, out_version=None, in_version=None):
    """A role-self transcript -> the relay's events."""
    t = 0.0
    evs = [{"event": "listening", "t_ms": t, "addr": "127.0.0.1:40100"},
           {"event": "accepted", "t_ms": t, "conn": 0, "peer": "127.0.0.1:40200"}]
    total = {"out": 0, "in": 0}
    fwd = {"out": 0, "in": 0}
    up = False

    def forward(leg):
        if (leg == "in" or up) and fwd[leg] < total[leg]:
            fwd[leg] = total[leg]
            evs.append({"event": "forwarded", "t_ms": t, "conn": 0, "leg": leg, "total": total[leg]})

    for tok in transcript.split():
        t += 1
        if tok[0] == "+":
            t += float(tok[1:]) - 1
        elif tok == "U":
            up = True
            evs.append({"event": "upstream", "t_ms": t, "addr": "127.0.0.1:40300"})
            evs.append({"event": "connected", "t_ms": t, "conn": 0, "upstream": "127.0.0.1:40300",
                        "local": "127.0.0.1:40400"})
            forward("out")
        elif tok == "X":
            evs.append({"event": "upstream-failed", "t_ms": t, "conn": 0, "error": "[Errno 111] Connection refused"})
            evs.append({"event": "closed", "t_ms": t, "conn": 0, "by": "relay", "how": "upstream-failed"})
        elif tok[0] == "#":
            by = {"in": "inbound", "out": "outbound", "relay": "relay"}[tok[1:]]
            evs.append({"event": "closed", "t_ms": t, "conn": 0, "by": by,
                        "how": "stopped" if by == "relay" else "eof"})
        elif tok.startswith("<~"):
            n = int(tok[2:])
            total["in"] += n
            evs.append({"event": "bytes", "t_ms": t, "conn": 0, "leg": "in", "n": n, "hex": "00" * n})
            forward("in")
        elif tok[0] in "<>!":
            leg = "out" if tok[0] == ">" else "in"
            name, _, n = tok[1:].partition(":")
            n = int(n or 0)
            total[leg] += 24 + n
            evs.append({"event": "bytes", "t_ms": t, "conn": 0, "leg": leg, "n": 24 + n, "hex": ""})
            m = {"event": "message", "t_ms": t, "conn": 0, "leg": leg, "magic": "fabfb5da", "command": name,
                 "valid_command": True, "length": n, "bytes": 24 + n, "end": total[leg],
                 "checksum": tok[0] != "!"}
            if name == "version":
                m["fields"] = dict((out_version or SELF_OUT_VERSION) if leg == "out" else
                                   (in_version or SELF_IN_VERSION))
            evs.append(m)
            forward(leg)
        else:
            raise ValueError(f"bad self transcript token {tok!r}")
    return evs


class JsonRpcServer:
    """A loopback HTTP server answering JSON-RPC as a node's API does, for
    the tests of the scripts and configs that call one: `answers[method]`
    is (HTTP code, body) (bitcoind answers an RPC error with HTTP 500 and
    the error in the body; bcoin's bweb with 200), the default a null
    result; `auth`, when set, is the one Authorization header accepted
    (any other: 401 and no body, as bweb's basicAuth and bitcoind do);
    `requests` holds (Authorization header, request) in order. Stopped by
    close() (tests: addCleanup(srv.close))."""

    def __init__(self, auth=None):
        import http.server
        import threading
        self.answers, self.requests, self.auth = {}, [], auth
        srv = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                srv.requests.append((self.headers.get("Authorization"), req))
                code, body = srv.answers.get(req.get("method"), (200, {"result": None, "error": None, "id": 1}))
                if srv.auth is not None and self.headers.get("Authorization") != srv.auth:
                    code, body = 401, None
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(code)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass
        self._srv = http.server.HTTPServer(("127.0.0.1", 0), H)
        self.port = self._srv.server_address[1]
        threading.Thread(target=self._srv.serve_forever, daemon=True).start()

    def close(self):
        self._srv.shutdown()
        self._srv.server_close()
