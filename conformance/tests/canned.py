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


def events(transcript, version=None, proto="btc", peer=PEER, result_extra=None):
    """A transcript -> the list of event objects peershake would log."""
    out = [{"event": "started", "t_ms": 0, "proto": proto, "peer": peer, "direction": "outbound"},
           {"event": "connected", "t_ms": 0, "proto": proto, "peer": peer, "local": "127.0.0.1:40000"}]
    t = 0
    key = "command" if proto == "btc" else "message"
    hdr = 24 if proto == "btc" else 2
    for tok in transcript.split():
        t += 1
        base = {"t_ms": t, "proto": proto, "peer": peer}
        if tok[0] in "><":
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
            r = {"event": "result", **base, "direction": "outbound", "result": res, "duration_ms": t}
            if reason:
                r.update(reason=reason, detail=reason)
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


def case(msgs, expect="handshake", switches="", role="responder", proto="btc", cid="CF-V1-900"):
    """A catalogue line, parsed."""
    return catalogue.parse_line(
        f"{cid} | {proto} | {role} | (test) | {switches} | {expect} | {msgs} | (reference) | (source)")


STD = "recv=version,features,verack"
