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
            parts = tok[1:].split(":")
            n = int(parts[1]) if len(parts) > 1 else 0
            b = int(parts[2]) if len(parts) > 2 else n + hdr
            out.append({"event": "sent" if tok[0] == ">" else "recv", **base, key: parts[0],
                        "length": n, "bytes": b})
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
