"""Judging: what the target did (an Observation made from the tester's JSON
Lines), the message-expectation checks, and the outcome.

The outcome words are Autobahn's, defined here once (report.py imports them):

  Pass           as the reference: the ending and every message rule hold
  Non-strict     a divergence recorded in the target's config, with its reason
  Fail           an unrecorded divergence (the gate fails)
  Info           recorded, not judged (the case's expect is "info")
  Unimplemented  the target has no such role, disables the case, or exits 89
  Missing        the target is not available

The tester is peershake, the reference peer: its JSON Lines say, in order,
what it sent (`sent`), what it received and parsed (`recv`), what it
received and threw away (`dropped`), the target's `version` fields, and its
own verdict (`result`, `disconnect`). The checks below read nothing else.

Over BIP324 v2 the Bitcoin messages are the same; the transport's own items
(the keys, garbage and terminators, version packets, decoys) are logged as
`sent`/`recv` events with an empty command and a note ("v2 key", "v2 garbage
and terminator", "v2 version packet", "v2 decoy"): the observation keeps
them apart (`Observation.v2`), the message rules never see them, and the
case's `v2=` names the target's. A listener may see a target reconnect, a
v2 connector (`--v2transport auto`) retries once over v1: the observation
is of one connection (`observe_btc(events, judged)`), the others counted.

What the log cannot show: the payload of a message. `recv` carries the
command, the announced length and the bytes on the wire, so a `pong` is
checked for its 8-byte nonce field (BIP 31) but not for the nonce's value:
that the pong echoes our ping's nonce is not checkable from the log today.
"""

import dataclasses

from .catalogue import BTC_FEATURES, BTC_HANDSHAKE

OUTCOMES = ("Pass", "Non-strict", "Fail", "Info", "Unimplemented", "Missing")

# --------------------------------------------------------------- the rules

# Every message rule, by its ID (a violation's rule is one of these, or
# "ID:COMMAND" for the ones marked with a command). A divergence in a
# target's config names the rules it breaks by ID or by ID:COMMAND.
BTC_RULES = {
    "recv": "the target's handshake messages (version, verack) are not the case's recv=",
    "features:missing": "common version >= 70016 but wtxidrelay/sendaddrv2 missing before the target's verack "
                        "(Core sends both: net_processing.cpp ProcessMessage(\"version\"))",
    "features:low-version": "wtxidrelay/sendaddrv2/sendtxrcncl to a peer below 70016 "
                            "(Core: only if greatest_common_version >= WTXID_RELAY_VERSION)",
    "order": "ID:COMMAND: a feature message outside the target's version..verack",
    "once": "ID:COMMAND: a handshake message sent twice (nothing answers a redundant version or verack)",
    "first-version": "something before the target's version (Core sends nothing before it)",
    "early": "ID:COMMAND: a message before the handshake completed (before our verack or the target's), "
             "other than getaddr or the final alert after the target's verack",
    "unexpected": "ID:COMMAND: after the handshake, a message neither in the standing extras nor in the case's may=",
    "pong:early": "a pong that answers no ping sent after our verack (Core ignores a ping before the handshake)",
    "pong:nonce": "a pong whose nonce is not that of the ping it answers (Core: \"PONG, nonce\", the ping's "
                  "nonce echoed; BIP 31)",
    "pong:bip31": "a pong at a common version of 60000 or below (Core: \"if (pfrom.GetCommonVersion() > "
                  "BIP0031_VERSION)\" reads the nonce and answers; below, a ping gets nothing)",
    "post": "ID:COMMAND: a message the case's post= requires did not come after our verack",
    "length": "ID:COMMAND: a message whose payload length is not its fixed size",
    "framing": "ID:COMMAND: the bytes on the wire are not the 24-byte header plus the announced length "
               "(v2: the 20 bytes of a packet plus 1 or 13 of message type)",
    "dropped": "ID:COMMAND: the tester threw away a malformed message from the target",
    "field": "ID:FIELD: a field of the target's version fails a check (standing or the case's fields=)",
    "announced": "the target's version announces another protocol version than its config's protocol_version "
                 "(what that implementation sends: Core v31.1 PROTOCOL_VERSION 70016, whatever the peer's)",
    "tester": "ID:ERROR: the tester ended the connection because the target broke a rule",
    "log": "ID:events-lost: the tester's event log overflowed; the messages cannot be judged",
    "v2:items": "the target's BIP324 transport items (key, garbage and terminator, version packet) are not the "
                "case's v2= (Core: net.cpp V2Transport, BIP 324 \"Handshake\")",
    "v2:transport": "the tester's judged connection is not over the case's transport=",
    "v2:retry": "the connections before the judged one are not the case's retry= (Core: V2Transport::"
                "ShouldReconnectV1, \"retrying with v1 transport protocol\")",
    "v2:session-id": "the session id the target reports differs from the tester's (BIP 324: both sides derive "
                     "the same session id; Core: getpeerinfo session_id)",
    "v2:key-length": "the target's key is not 64 bytes (BIP 324: a 64-byte ElligatorSwift encoding)",
    "v2:garbage-len": "the target's garbage is over 4095 bytes (BIP 324: \"May send up to 4095 bytes\"; "
                      "Core MAX_GARBAGE_LEN)",
    "self:out": "role self: what the target's outbound side sent to itself is not the case's out= (Core: "
                "SendMessages sends an outbound peer our version first, then nothing before the handshake)",
    "self:before-version": "role self: the target's inbound side ended the connection before its outbound "
                           "side's version had reached it: that end cannot be the nonce check (Core: "
                           "CheckIncomingNonce runs on the inbound side's received version)",
    "self:bytes": "role self: the target's inbound side sent bytes that are no whole v1 message (Core sends "
                  "nothing at all on a connection to itself: \"connected to self\", fDisconnect, before "
                  "PushNodeVersion)",
}
NOISE_RULES = {
    "recv": "the messages the target sent (and the tester accepted) are not the case's recv=",
    "length": "ID:MESSAGE: a message of the wrong size (32 + payload + 16 for msg1/msg2, T_k + 16 after)",
    "framing": "ID:MESSAGE: the bytes on the wire are not the 2-byte prefix plus the announced length",
    "tester": "ID:VERDICT: the tester's own verdict is not the case's tester=",
    "field": "ID:NAME: a payload the tester received is not what the target was given to send, or a count "
             "or plaintext a side reports (messages, target.messages, target.transport) is not the exchange's",
    "at": "the message the target says it failed on is not the case's at=",
    "after-failure": "ID:MESSAGE: the target sent MESSAGE after the message it failed on (a failed side "
                     "sends nothing more: Noise rev 34 section 5, the CipherState deleted, the session ended)",
    "tester-after-end": "ID:MESSAGE: the tester queued MESSAGE after its own result, or put more bytes on "
                        "the wire than it had queued before it (MESSAGE \"bytes\")",
    "log": "ID:events-lost: the tester's event log overflowed",
}

# After the handshake, what Bitcoin Core v31.1 may send unasked (its
# SendMessages and the verack handler), each with the common versions it
# is sent at; getaddr is bcoin's too (to every peer; Core only to its
# outbound ones). getaddr and the final alert may come as soon as the
# target's verack is out: Core pushes them in the version handler.
POST_EXTRAS = {
    "sendcmpct": lambda v: v >= 70014,   # SHORT_IDS_BLOCKS_VERSION
    "ping": lambda v: True,
    "getheaders": lambda v: True,
    "feefilter": lambda v: v >= 70013,   # FEEFILTER_VERSION
    "getaddr": lambda v: True,
    "alert": lambda v: v <= 70012,       # "If the peer is old enough to have the old alert system"
}
AFTER_TARGET_VERACK = ("getaddr", "alert")
WTXID_RELAY_VERSION = 70016
BIP0031_VERSION = 60000
MIN_PEER_PROTO_VERSION = 31800
MAX_SUBVERSION_LENGTH = 256
BTC_HEADER = 24
# BIP324: a packet is 3 (length) + 1 (header) + contents + 16 (tag); the
# contents are a 1-byte short message type ID or 0x00 + 12 bytes, then the
# payload. The short IDs of BIP 324's table (Core's V2_MESSAGE_IDS).
V2_EXPANSION = 20
V2_SHORT_IDS = ("addr", "block", "blocktxn", "cmpctblock", "feefilter", "filteradd", "filterclear",
                "filterload", "getblocks", "getblocktxn", "getdata", "getheaders", "headers", "inv",
                "mempool", "merkleblock", "notfound", "ping", "pong", "sendcmpct", "tx", "getcfilters",
                "cfilter", "getcfheaders", "cfheaders", "getcfcheckpt", "cfcheckpt", "addrv2")
V2_KEY_LEN = 64
V2_MAX_GARBAGE = 4095
# The notes of the transport items in the tester's log (an empty command),
# and what a v2= clause calls the target's: "v2 key", "v2 garbage and
# terminator" (the terminator found), "v2 version packet", "v2 decoy". Our
# own are logged piece by piece ("v2 garbage", "v2 garbage terminator", ...,
# with what a switch did after a comma: "v2 version packet, a bit of its tag
# flipped") or at once ("v2 handshake"); a v2= clause never names them.
V2_NOTES = {"v2 key": "key", "v2 garbage and terminator": "garbage", "v2 version packet": "version",
            "v2 decoy": "decoy", "v2 handshake": "handshake", "v2 garbage": "garbage",
            "v2 garbage terminator": "terminator", "v2 transport": "transport"}


def v2_kind(note):
    """The transport item a note names ("" when it is not one)."""
    if not note.startswith("v2 "):
        return ""
    base = note.split(",", 1)[0].strip()
    return V2_NOTES.get(base, base[3:].replace(" ", "-"))


def v2_wire_sizes(command, length):
    """The bytes a v2 packet carrying `command` with `length` bytes of payload
    takes on the wire: the long encoding always, the short one if the type has an ID."""
    sizes = {length + V2_EXPANSION + 13}
    if command in V2_SHORT_IDS:
        sizes.add(length + V2_EXPANSION + 1)
    return sizes


def fixed_length(command, common):
    """The payload length a message always has, or None."""
    if command == "ping":
        return 8 if common > BIP0031_VERSION else 0
    return {"verack": 0, "wtxidrelay": 0, "sendaddrv2": 0, "getaddr": 0, "sendheaders": 0,
            "sendcmpct": 9, "feefilter": 8, "pong": 8, "sendtxrcncl": 12}.get(command)


# What the runner gives a Noise target to send, and so what its messages
# must carry (conformance/noise/README.md, "The protocol on the wire"),
# unless the case's switches say otherwise: target:payload1-len=BYTES,
# target:payload2-len=BYTES and target:transport-len=BYTES replace a payload
# or T with that many bytes of filler(); --messages N makes N transport
# messages each way (T_k = T || k as 2 bytes big-endian for N > 1).
NOISE_PAYLOADS = {"payload1": "a1a1", "payload2": "b0b0", "transport": "74657374"}
NOISE_PREFIX = 2
NOISE_DH, NOISE_TAG = 32, 16


def filler(n):
    """n bytes, the same every run, as hex."""
    return bytes((i * 7 + 1) & 0xFF for i in range(n)).hex()


@dataclasses.dataclass(frozen=True)
class NoiseExchange:
    """What both sides of a Noise case are given."""
    payload1: str
    payload2: str
    transport: str       # T, hex
    messages: int = 1    # N
    cont: bool = False   # the target continues after a decryption failure

    def t_k(self, k):
        """T_k, hex."""
        return self.transport if self.messages <= 1 else self.transport + f"{k:04x}"

    def last(self):
        return self.t_k(self.messages)

    def length(self, message):
        """The length of a message the target sends in this exchange."""
        if message == "msg1":
            return NOISE_DH + len(self.payload1) // 2 + NOISE_TAG
        if message == "msg2":
            return NOISE_DH + len(self.payload2) // 2 + NOISE_TAG
        return len(self.t_k(1)) // 2 + NOISE_TAG


def noise_exchange(case=None):
    """The exchange of a Noise case (the runner's payloads by default)."""
    if case is None:
        return NoiseExchange(**NOISE_PAYLOADS)
    d = dict(NOISE_PAYLOADS)
    for k in ("payload1", "payload2", "transport"):
        n = case.target_option(k + "-len")
        if n is not None:
            d[k] = filler(int(n))
    return NoiseExchange(messages=case.messages, cont=bool(case.target_option("continue", False)), **d)


def noise_length(message, case=None):
    return noise_exchange(case).length(message)


@dataclasses.dataclass
class TargetVerdict:
    """What a Noise target says of its own run: `ok` or its error token,
    and what it reports with it (None where it says nothing)."""
    token: str
    hash: str = None          # ok: the handshake hash
    at: str = None            # failure: the message it failed on (msg1, transport:2, ...)
    messages: int = None      # ok: transport messages done each way
    transport: str = None     # ok: the last transport plaintext, hex
    discarded: int = None     # messages it discarded (continue mode)


# ---------------------------------------------------------- observation

@dataclasses.dataclass
class Msg:
    dir: str            # "sent" (by the tester), "recv", "dropped" (from the target)
    command: str
    length: int = 0
    bytes: int = 0
    error: str = ""
    note: str = ""
    nonce: str = None   # btc: a ping's or pong's 8-byte nonce as logged ("0x..."), else None

    @property
    def v2_item(self):
        """key, garbage, version, decoy, handshake (ours); "" for a message."""
        return v2_kind(self.note) if not self.command else ""

    def show(self):
        if self.v2_item:
            return f"{self.v2_item}({self.length})" if self.length else self.v2_item
        s = self.command or "''"
        if self.dir == "dropped":
            return f"!{s}({self.error or 'dropped'})"
        return f"{s}({self.length})" if self.length else s


@dataclasses.dataclass
class Observation:
    protocol: str
    ending: str                       # btc: handshake, handshake+disconnect, disconnect, kept, ...
    timeline: list = dataclasses.field(default_factory=list)   # [Msg] in log order
    version: dict = None              # btc: the target's version fields
    tester: str = ""                  # the tester's verdict: SUCCESS, or its reason; "none"
    tester_detail: str = ""
    disconnects: list = dataclasses.field(default_factory=list)  # btc: the tester's disconnect events
    events_lost: int = 0
    result: dict = None               # the tester's result event
    target_verdict: str = ""          # noise: the target's own token
    target_hash: str = None
    # btc: BIP324 and the connections (observe_btc)
    v2: list = dataclasses.field(default_factory=list)   # [Msg] the transport items, both ways
    transport: str = None             # of the judged connection: "v1", "v2" (the tester's log)
    session_id: str = None            # the tester's, on a v2 result
    target_session: str = None        # what the target reports (runner: Target.session_id); None: nothing
    retries: int = 0                  # connections before the judged one
    connections: int = 0              # connections the tester logged
    local: str = None                 # the tester's address on the judged connection
    target: TargetVerdict = None      # noise: all the target said
    tester_after: list = dataclasses.field(default_factory=list)  # noise: [Msg] sent after its result
    tester_queued: int = 0            # noise: the bytes of the sent events before its result
    tester_wrote: int = None          # noise: its closed event's bytes_sent
    relay: dict = None                # role self: what the relay saw (observe_self)

    def received(self):
        return [m for m in self.timeline if m.dir in ("recv", "dropped")]


def _msg(e, direction):
    return Msg(direction, e.get("command", e.get("message", "")) or "", int(e.get("length") or 0),
               int(e.get("bytes") or 0), e.get("error", ""), e.get("note", "") or "", e.get("nonce"))


def split_connections(events):
    """The tester's events, one list per connection, in log order: a
    connection begins at its `started` event and its events carry its peer
    (a listener's connections interleave; a connector's v1 retry is a new
    `started` for the same peer). Events without a peer are left out."""
    conns, current = [], {}
    for e in events:
        peer = e.get("peer")
        if peer is None:
            continue
        if e.get("event") == "started" or peer not in current:
            current[peer] = []
            conns.append(current[peer])
        current[peer].append(e)
    return conns


def observe_btc(events, judged=0):
    """What the target did, as peershake's events show it, on one connection:
    as connector the last attempt to its first peer (after `retry` lines:
    --v2transport auto),
    as listener the `judged`-th connection the target opened (0: its first;
    the case's retry= when it is to reconnect), or its last if it opened
    fewer. The ending:
      handshake             completed, and the connection kept
      handshake+disconnect  completed, then the target ended the connection
      disconnect            the target ended it before the handshake completed
      kept                  no handshake by our deadline, the connection kept
      v2-handshake          our v1 side met a BIP324 key: the target speaks v2
      no-result             the tester wrote no result
      anything else         the reason peershake gave (refused, ...)"""
    obs = Observation("btc", "no-result")
    conns = split_connections(events)
    obs.connections = len(conns)
    if conns:
        outbound = conns[0][0].get("direction") == "outbound"
        if outbound:
            # the attempts to the first peer: the last one is judged
            first_peer = conns[0][0].get("peer")
            k = max(i for i, c in enumerate(conns) if c[0].get("peer") == first_peer)
            obs.retries = sum(1 for c in conns[:k + 1] for e in c if e.get("event") == "retry")
        else:
            k = min(judged, len(conns) - 1)
            obs.retries = len(conns) - 1
        events = conns[k]
    for e in events:
        ev = e.get("event")
        if ev in ("sent", "recv", "dropped") and "message" not in e:
            m = _msg(e, ev)
            (obs.v2 if m.v2_item else obs.timeline).append(m)
        elif ev == "version" and obs.version is None:
            obs.version = e
        elif ev == "disconnect":
            obs.disconnects.append(e)
        elif ev == "connected":
            obs.local = e.get("local")
            obs.transport = e.get("transport", obs.transport)
        elif ev == "result" and obs.result is None:
            obs.result = e
            obs.events_lost += int(e.get("events_lost") or 0)
    res = obs.result
    if res is None:
        obs.tester = "none"
        return obs
    obs.transport = res.get("transport", obs.transport)
    obs.session_id = res.get("session_id")
    closed = next((e for e in events if e.get("event") == "closed"), None)
    by_peer = closed is not None and closed.get("by") == "peer"
    obs.tester = res.get("result", "") if res.get("result") == "SUCCESS" else res.get("reason", "failed")
    obs.tester_detail = res.get("detail", "")
    if res.get("result") == "SUCCESS":
        obs.ending = "handshake+disconnect" if by_peer else "handshake"
    elif res.get("reason") == "closed":
        obs.ending = "disconnect"
    elif res.get("reason") == "timeout":
        obs.ending = "kept"
    else:
        obs.ending = res.get("reason", "") or "failed"
    return obs


# Role self (the target dials itself through the runner's relay,
# psconf/selfrelay.py): how soon after its outbound side's version has
# reached its inbound side that inbound side must end the connection. Core
# does it in the same ProcessMessage("version") ("connected to self at %s,
# disconnecting": fDisconnect, closed by the next DisconnectNodes), as
# peershake does (on_version -> PS_ERR_SELF_CONNECT); well inside every
# target's own handshake deadline (peershake -t 3000, Core -peertimeout=3,
# bcoin's 10 s version wait), so an end at the handshake timeout is not
# taken for the self check: it is `kept`.
SELF_CLOSE_MS = 1000


def _self_conn(events, k):
    """The relay's events of its k-th relayed connection, folded."""
    c = {"accepted": None, "connected": None, "failed": None, "closed": None, "unparsed": {},
         "messages": {"out": [], "in": []}, "bytes": {"out": 0, "in": 0}, "forwarded": {"out": [], "in": []}}
    for e in events:
        if e.get("conn") != k:
            continue
        ev, leg = e.get("event"), e.get("leg")
        if ev == "accepted":
            c["accepted"] = e
        elif ev == "connected":
            c["connected"] = e
        elif ev == "upstream-failed":
            c["failed"] = e
        elif ev == "closed" and c["closed"] is None:
            c["closed"] = e
        elif ev == "bytes" and leg in c["bytes"]:
            c["bytes"][leg] += int(e.get("n") or 0)
        elif ev == "message" and leg in c["messages"]:
            c["messages"][leg].append(e)
        elif ev == "forwarded" and leg in c["forwarded"]:
            c["forwarded"][leg].append((float(e["t_ms"]), int(e["total"])))
        elif ev == "unparsed" and leg in c["bytes"]:
            c["unparsed"][leg] = e
    return c


def _delivered(c, leg, end):
    """When the relay had written a leg's bytes up to `end` on (t_ms), or None."""
    return next((t for t, total in c["forwarded"][leg] if total >= end), None)


def observe_self(events, deadline_ms=SELF_CLOSE_MS):
    """Role self: what the target did when it dialed itself, from the relay's
    events (selfrelay.Relay) on its first relayed connection. The timeline
    is the inbound side's view, so that the standing message rules judge
    it: what the outbound side sent is `sent`, what the inbound side sent
    back is `recv` (a bad checksum or an invalid command: `dropped`);
    `version` is the inbound side's version, if it sent one. The ending:
      handshake             each side sent version and verack (no self check)
      handshake+disconnect  the same, then one of its sides ended it
      disconnect            its inbound side ended the connection, within
                            deadline_ms of the outbound side's version
                            reaching it (or before: self:before-version)
      outbound-disconnect   its outbound side ended it first
      kept                  neither side ended it by the deadline (an end
                            by the inbound side later is a timeout, not the
                            self check)
      upstream-failed       the relay could not reach the target's listener
      no-result             the target never dialed the relay
    `relay` holds the rest for the report (times in ms of the relay's clock)."""
    obs = Observation("btc", "no-result", tester="none", transport="v1")
    ks = sorted({e["conn"] for e in events if e.get("event") == "accepted"})
    obs.connections = len(ks)
    info = obs.relay = {"connections": len(ks), "deadline_ms": deadline_ms}
    if not ks:
        return obs
    c = _self_conn(events, ks[0])
    order = sorted(c["messages"]["out"] + c["messages"]["in"], key=lambda e: float(e["t_ms"]))
    for m in order:
        mine = m["leg"] == "out"
        bad = "" if m.get("checksum", True) else "bad-checksum"
        bad = bad or ("" if m.get("valid_command", True) else "invalid-command")
        obs.timeline.append(Msg("sent" if mine else ("dropped" if bad else "recv"), m["command"],
                                int(m["length"]), int(m["bytes"]), bad))
        if not mine and not bad and m["command"] == "version" and obs.version is None:
            obs.version = m.get("fields") or {}
    outs, ins = c["messages"]["out"], c["messages"]["in"]
    out_version = next((m for m in outs if m["command"] == "version"), None)
    info["out_sent"] = [m["command"] for m in outs]
    info["out_version"] = (out_version or {}).get("fields")
    delivered = _delivered(c, "out", out_version["end"]) if out_version else None
    info["delivered_ms"] = delivered
    info["out_bytes"], info["in_bytes"] = c["bytes"]["out"], c["bytes"]["in"]
    # the inbound side's bytes that are no whole message: after the last one,
    # or from where its stream stopped being v1
    whole = max([int(m["end"]) for m in ins], default=0)
    info["in_unparsed"] = c["bytes"]["in"] - whole
    if "in" in c["unparsed"]:
        info["in_unparsed_reason"] = c["unparsed"]["in"].get("reason", "")
    closed = c["closed"]
    if closed is not None:
        info.update(closed_by=closed.get("by"), closed_how=closed.get("how"), closed_ms=float(closed["t_ms"]))
        if delivered is not None:
            info["close_after_ms"] = round(float(closed["t_ms"]) - delivered, 1)
    if c["failed"] is not None:
        info["upstream_error"] = c["failed"].get("error", "")
        obs.ending = "upstream-failed"
        return obs
    cmds = {leg: {m["command"] for m in c["messages"][leg]} for leg in ("out", "in")}
    by = (closed or {}).get("by")
    if all({"version", "verack"} <= cmds[leg] for leg in ("out", "in")):
        obs.ending = "handshake+disconnect" if by in ("inbound", "outbound") else "handshake"
    elif by == "inbound" and (delivered is None or info["close_after_ms"] <= deadline_ms):
        obs.ending = "disconnect"
    elif by == "outbound":
        obs.ending = "outbound-disconnect"
    else:
        obs.ending = "kept"
    return obs


def self_settled(events, now_ms, deadline_ms=SELF_CLOSE_MS):
    """The runner's question while a self case runs: (begun, settled).
    begun: the target's first connection reached the relay and its
    outbound side's version was passed on (or the connection ended);
    settled: that connection ended, or deadline_ms passed since."""
    obs = observe_self(events, deadline_ms)
    r = obs.relay
    if not r["connections"]:
        return False, False
    if "closed_by" in r:
        return True, True
    if r.get("delivered_ms") is None:
        return False, False
    return True, now_ms - r["delivered_ms"] > deadline_ms


def observe_noise(target_verdict, target_hash, tester_events, target=None):
    """The Noise ending: the target's own verdict (`ok` or its error token),
    `ok` only when the tester succeeded too with the same handshake hash:
    a target that says ok while the tester failed ends "tester-REASON".
    `target` is the whole TargetVerdict, when the runner has one."""
    obs = Observation("noise", target_verdict, target_verdict=target_verdict, target_hash=target_hash,
                      target=target or TargetVerdict(target_verdict, target_hash))
    for e in tester_events:
        ev = e.get("event")
        if ev in ("sent", "recv", "dropped") and "message" in e:
            m = _msg(e, ev)
            if obs.result is None:
                obs.timeline.append(m)
                if ev == "sent":
                    obs.tester_queued += m.bytes
            elif ev == "sent":
                obs.tester_after.append(m)
            else:
                obs.timeline.append(m)
        elif ev == "result" and obs.result is None:
            obs.result = e
            obs.events_lost += int(e.get("events_lost") or 0)
        elif ev == "closed" and obs.tester_wrote is None and "bytes_sent" in e:
            obs.tester_wrote = int(e["bytes_sent"])
    res = obs.result
    if res is None:
        obs.tester = "none"
    else:
        obs.tester = "SUCCESS" if res.get("result") == "SUCCESS" else res.get("reason", "failed")
        obs.tester_detail = res.get("detail", "")
    if target_verdict == "ok":
        if obs.tester != "SUCCESS":
            obs.ending = "tester-" + obs.tester
        elif (res or {}).get("handshake_hash") != target_hash:
            obs.ending = "hash-mismatch"
    return obs


# ------------------------------------------------------------ the checks

@dataclasses.dataclass(frozen=True)
class Violation:
    rule: str       # "pong:early", "early:reject", "field:version", ...
    detail: str

    def as_json(self):
        return {"rule": self.rule, "detail": self.detail}


def common_version(case, obs):
    theirs = (obs.version or {}).get("version")
    return min(case.our_version, int(theirs)) if theirs is not None else case.our_version


def _index(timeline, pred, start=0):
    for i in range(start, len(timeline)):
        if pred(timeline[i]):
            return i
    return None


class BtcPhases:
    """Where the handshake stands in the timeline: the target's version and
    verack, and our effective verack (the first we sent after our first
    version: a verack before our version is ignored by Core)."""

    def __init__(self, tl):
        self.their_version = _index(tl, lambda m: m.dir == "recv" and m.command == "version")
        self.their_verack = _index(tl, lambda m: m.dir == "recv" and m.command == "verack")
        ours = _index(tl, lambda m: m.dir == "sent" and m.command == "version")
        self.our_verack = None if ours is None else \
            _index(tl, lambda m: m.dir == "sent" and m.command == "verack", ours + 1)

    def after_our_verack(self, i):
        return self.our_verack is not None and i > self.our_verack

    def after_their_verack(self, i):
        return self.their_verack is not None and i > self.their_verack


def expand_recv(alt, common):
    """A recv= alternative -> (the version/verack skeleton, the features)."""
    skeleton, feats = [], set()
    for it in alt:
        if it == "features":
            if common >= WTXID_RELAY_VERSION:
                feats.update(BTC_FEATURES)
        elif it in BTC_FEATURES or it == "sendtxrcncl":
            feats.add(it)
        else:
            skeleton.append(it)
    return tuple(skeleton), feats


def show_alt(alt, common):
    """A recv= alternative in words, "features" expanded at `common`."""
    names = []
    for it in alt:
        if it == "features":
            names += list(BTC_FEATURES) if common >= WTXID_RELAY_VERSION else []
        else:
            names.append(it)
    return ", ".join(names) or "nothing"


def check_btc(case, obs):
    tl = obs.timeline
    out = []
    v = common_version(case, obs)
    ph = BtcPhases(tl)
    got = [(i, m) for i, m in enumerate(tl) if m.dir in ("recv", "dropped")]

    if obs.events_lost:
        out.append(Violation("log:events-lost", f"{obs.events_lost} events lost: the log is incomplete"))

    # first-version: nothing before the target's version
    if got and not (got[0][1].dir == "recv" and got[0][1].command == "version"):
        out.append(Violation("first-version", f"the target's first message was {got[0][1].show()}, not version"))

    # the handshake messages: once each, then against recv=
    hs = [(i, m.command) for i, m in got if m.dir == "recv" and m.command in BTC_HANDSHAKE]
    seen, firsts = {}, []
    for i, c in hs:
        seen[c] = seen.get(c, 0) + 1
        if seen[c] == 1:
            firsts.append((i, c))
        elif seen[c] == 2:
            out.append(Violation(f"once:{c}", f"{c} received {sum(1 for _, x in hs if x == c)} times"))
    act_skeleton = tuple(c for _, c in firsts if c in ("version", "verack"))
    act_feats = {c for _, c in firsts if c not in ("version", "verack")}
    alts = [expand_recv(a, v) for a in case.msgs.recv]

    def feats_ok(want, have):
        # sendtxrcncl is optional wherever the features are sent (Core: with -txreconciliation)
        return want == have - ({"sendtxrcncl"} if want >= set(BTC_FEATURES) else set())

    if not any(s == act_skeleton and feats_ok(f, act_feats) for s, f in alts):
        same = [f for s, f in alts if s == act_skeleton]
        shown = ", ".join(c for _, c in firsts) or "nothing"
        if same:
            want = same[0]
            missing = sorted(want - act_feats)
            extra = sorted(act_feats - want - ({"sendtxrcncl"} if want >= set(BTC_FEATURES) else set()))
            if missing:
                out.append(Violation("features:missing",
                                     f"common version {v}: {', '.join(missing)} missing (got {shown})"))
            if extra:
                rule = "features:low-version" if v < WTXID_RELAY_VERSION else "recv"
                out.append(Violation(rule, f"common version {v}: {', '.join(extra)} sent (got {shown})"))
        else:
            want = " or ".join(show_alt(a, v) for a in case.msgs.recv)
            out.append(Violation("recv", f"expected {want}; got {shown}"))

    # feature messages only between the target's version and its verack
    for i, c in firsts:
        if c in ("version", "verack"):
            continue
        if ph.their_version is None or i < ph.their_version or \
                (ph.their_verack is not None and i > ph.their_verack):
            out.append(Violation(f"order:{c}", f"{c} outside the target's version..verack"))

    # everything else: before the handshake completed, or after it
    pings = [i for i, m in enumerate(tl) if m.dir == "sent" and m.command == "ping" and ph.after_our_verack(i)]
    pongs = 0
    for i, m in got:
        if m.dir == "dropped":
            out.append(Violation(f"dropped:{m.command}", f"the tester dropped {m.show()}"))
            continue
        c = m.command
        if c in BTC_HANDSHAKE:
            continue
        if c == "pong":
            if v <= BIP0031_VERSION:
                out.append(Violation("pong:bip31", f"pong at common version {v} (<= {BIP0031_VERSION})"))
            elif pongs < len(pings) and i > pings[pongs] and m.nonce is not None and \
                    tl[pings[pongs]].nonce is not None and int(m.nonce, 16) != int(tl[pings[pongs]].nonce, 16):
                out.append(Violation("pong:nonce", f"pong with nonce {m.nonce} answers our ping "
                                                   f"{tl[pings[pongs]].nonce}"))
            elif pongs >= len(pings) or i < pings[pongs]:
                when = "before the handshake completed" if not ph.after_our_verack(i) else \
                    "answering no ping sent after our verack"
                out.append(Violation("pong:early", f"pong {when}"))
            pongs += 1
            continue
        if c in AFTER_TARGET_VERACK and POST_EXTRAS[c](v) and ph.after_their_verack(i):
            continue
        if not (ph.after_our_verack(i) and ph.after_their_verack(i)):
            out.append(Violation(f"early:{c}", f"{m.show()} before the handshake completed"))
            continue
        if c in case.msgs.may or c in case.msgs.post or (c in POST_EXTRAS and POST_EXTRAS[c](v)):
            continue
        out.append(Violation(f"unexpected:{c}", f"{m.show()} after the handshake (common version {v})"))

    # post=: in order after our verack
    start = (ph.our_verack + 1) if ph.our_verack is not None else len(tl)
    for c in case.msgs.post:
        j = _index(tl, lambda m: m.dir == "recv" and m.command == c, start)
        if j is None:
            out.append(Violation(f"post:{c}", f"no {c} after our verack"))
        else:
            start = j + 1

    # sizes
    for i, m in got:
        if m.dir != "recv":
            continue
        want = fixed_length(m.command, v)
        if want is not None and m.length != want:
            out.append(Violation(f"length:{m.command}", f"{m.command} with {m.length} bytes of payload, want {want}"))
        want_bytes = v2_wire_sizes(m.command, m.length) if obs.transport == "v2" else {m.length + BTC_HEADER}
        if m.bytes and m.bytes not in want_bytes:
            out.append(Violation(f"framing:{m.command}",
                                 f"{m.command}: {m.bytes} bytes on the wire for a {m.length}-byte payload"
                                 f" (want {' or '.join(str(b) for b in sorted(want_bytes))}"
                                 f"{' over v2' if obs.transport == 'v2' else ''})"))

    # the target's version: the standing checks, then the case's
    if obs.version is not None:
        fv = version_fields(obs.version)
        if fv["version"] is not None and fv["version"] < MIN_PEER_PROTO_VERSION:
            out.append(Violation("field:version", f"version {fv['version']} < MIN_PEER_PROTO_VERSION {MIN_PEER_PROTO_VERSION}"))
        if fv["user_agent_len"] is not None and fv["user_agent_len"] > MAX_SUBVERSION_LENGTH:
            out.append(Violation("field:user_agent_len",
                                 f"user agent of {fv['user_agent_len']} bytes > MAX_SUBVERSION_LENGTH {MAX_SUBVERSION_LENGTH}"))
        for chk in case.msgs.fields:
            # a field the version did not carry (the relay byte, optional:
            # peershake logs "relay":null) satisfies no check: relay=1 wants
            # the byte, which Core always sends
            got = fv.get(chk.field)
            if not chk.holds(got):
                shown = "absent (not in the version)" if got is None else got
                out.append(Violation(f"field:{chk.field}", f"{chk.field} is {shown}, want {chk}"))
    elif case.msgs.fields:
        out.append(Violation("field:version", "no version from the target: " +
                             ", ".join(str(c) for c in case.msgs.fields) + " not checkable"))

    for d in obs.disconnects:
        out.append(Violation(f"tester:{d.get('error', 'disconnect')}",
                             f"the tester disconnected: {d.get('note') or d.get('error', '')}"))
    return out + check_v2(case, obs)


def show_v2(alt):
    return ", ".join(alt) or "none"


def check_v2(case, obs):
    """BIP324: the target's transport items against v2=, the transport,
    the retries and the session id both sides report."""
    out = []
    theirs = [m for m in obs.v2 if m.dir == "recv"]
    items = tuple(m.v2_item for m in theirs if m.v2_item in ("key", "garbage", "version"))
    if items not in case.msgs.v2:
        want = " or ".join(show_v2(a) for a in case.msgs.v2)
        out.append(Violation("v2:items", f"expected the target's transport items {want}; got {show_v2(items)}"))
    for m in theirs:
        if m.v2_item == "key" and m.length != V2_KEY_LEN:
            out.append(Violation("v2:key-length", f"a key of {m.length} bytes, want {V2_KEY_LEN}"))
        if m.v2_item == "garbage" and m.length > V2_MAX_GARBAGE:
            out.append(Violation("v2:garbage-len", f"{m.length} bytes of garbage, at most {V2_MAX_GARBAGE}"))
    if case.msgs.transport is not None and obs.transport != case.msgs.transport:
        out.append(Violation("v2:transport", f"the judged connection is over {obs.transport or 'nothing'}, "
                                             f"want {case.msgs.transport}"))
    if case.msgs.retry is not None and obs.retries != case.msgs.retry:
        out.append(Violation("v2:retry", f"{obs.retries} connection(s) before the judged one, want {case.msgs.retry}"))
    # Each side knows the session id once the other's version packet has
    # verified: after a failed exchange the tester may know it while the
    # target (which never verified ours) rightly reports none. A target that
    # reports one must agree; one that completed the handshake must report it.
    if obs.session_id and obs.target_session is not None and obs.target_session != obs.session_id and \
            (obs.target_session or obs.ending.startswith("handshake")):
        out.append(Violation("v2:session-id", f"the target reports session id {obs.target_session or 'none'}, "
                                              f"the tester {obs.session_id}"))
    return out


def version_fields(ev):
    """The fields= checks' values of a version event; None where the field
    is absent or null (a version without the relay byte: "relay":null)."""
    def num(x):
        if x is None or isinstance(x, bool):
            return None if x is None else int(x)
        return int(x, 0) if isinstance(x, str) else int(x)
    ua = ev.get("user_agent")
    return {"version": num(ev.get("version")), "services": num(ev.get("services")),
            "start_height": num(ev.get("start_height")), "relay": num(ev.get("relay")),
            "user_agent_len": None if ua is None else len(ua.encode("utf-8", "surrogateescape"))}


def _at(text):
    """"transport:2" -> ("transport", 2); "msg1" -> ("msg1", 0); None stays."""
    if not text or text == "none":
        return None
    name, _, k = text.partition(":")
    return name, int(k) if k.isdigit() else 0


def sent_before(role, at):
    """How many messages a target in `role` (of the case) has sent by the
    time it reads (or writes) the message `at`, in the exchange's order."""
    name, k = at
    if role == "responder":   # it sends msg2, then echo j after transport j
        return {"msg1": 0, "msg2": 1, "transport": k, "echo": 1 + k}.get(name, 0)
    return {"msg1": 1, "msg2": 1, "transport": 1 + k, "echo": 1 + k}.get(name, 0)


def check_noise(case, obs):
    out = []
    ex = noise_exchange(case)
    tv = obs.target or TargetVerdict(obs.target_verdict, obs.target_hash)
    if obs.events_lost:
        out.append(Violation("log:events-lost", f"{obs.events_lost} events lost: the log is incomplete"))
    got = [m for m in obs.timeline if m.dir == "recv"]
    names = tuple(m.command for m in got)
    if names not in case.msgs.recv:
        want = " or ".join(_show_seq(a) for a in case.msgs.recv)
        out.append(Violation("recv", f"expected {want}; got {_show_seq(names)}"))
    for m in got:
        if m.command in ("msg1", "msg2", "transport", "echo") and m.length != ex.length(m.command):
            out.append(Violation(f"length:{m.command}",
                                 f"{m.command} of {m.length} bytes, want {ex.length(m.command)}"))
        if m.bytes and m.bytes != m.length + NOISE_PREFIX:
            out.append(Violation(f"framing:{m.command}",
                                 f"{m.command}: {m.bytes} bytes on the wire for a {m.length}-byte message"))
    if obs.tester not in case.msgs.tester:
        out.append(Violation(f"tester:{obs.tester}",
                             f"the tester concluded {obs.tester}"
                             + (f" ({obs.tester_detail})" if obs.tester_detail else "")
                             + f", want {' or '.join(case.msgs.tester)}"))
    res = obs.result or {}
    for k in ("payload1", "payload2"):
        if k in res and res[k] != getattr(ex, k):
            out.append(Violation(f"field:{k}", f"{k} {_short(res[k])}, want {_short(getattr(ex, k))}"))
    if "transport" in res:
        # the last plaintext the tester took: T_j, j the messages it did
        # (a held no-echo responder did none but took T_1)
        j = max(1, min(int(res.get("messages") or 0), ex.messages))
        want = ex.t_k(j)
        if res["transport"] != want:
            out.append(Violation("field:transport", f"transport {_short(res['transport'])}, want {_short(want)}"))
    if res.get("result") == "SUCCESS" and "messages" in res and int(res["messages"]) != ex.messages:
        out.append(Violation("field:messages", f"the tester did {res['messages']} messages, want {ex.messages}"))
    if tv.token == "ok":
        if tv.messages is not None and tv.messages != ex.messages:
            out.append(Violation("field:target.messages",
                                 f"the target says it did {tv.messages} messages, want {ex.messages}"))
        if tv.transport is not None and tv.transport != ex.last():
            out.append(Violation("field:target.transport",
                                 f"the target's last plaintext {_short(tv.transport)}, want {_short(ex.last())}"))
    elif case.msgs.at:
        said = tv.at or "none"
        if said not in case.msgs.at:
            out.append(Violation("at", f"the target failed on {said}, want {' or '.join(case.msgs.at)}"))
    # nothing from the target after the message it failed on
    at = _at(tv.at) if tv.token != "ok" else None
    if at is not None:
        allowed = sent_before(case.role, at)
        if len(got) > allowed:
            extra = got[allowed]
            out.append(Violation(f"after-failure:{extra.command}",
                                 f"the target failed on {tv.at}, then sent {extra.show()}"
                                 + (f" and {len(got) - allowed - 1} more" if len(got) - allowed > 1 else "")))
    # nothing from the tester after its own result
    for m in obs.tester_after:
        out.append(Violation(f"tester-after-end:{m.command}", f"the tester queued {m.show()} after its result"))
    if obs.tester_wrote is not None and obs.tester_wrote > obs.tester_queued:
        out.append(Violation("tester-after-end:bytes",
                             f"the tester wrote {obs.tester_wrote} bytes, queued {obs.tester_queued} before its result"))
    return out


def _short(h):
    return repr(h) if len(h) <= 40 else repr(h[:16] + f"...({len(h) // 2} bytes)")


def _show_seq(names):
    """A message sequence in words, runs folded: msg2, echo*3."""
    if not names:
        return "nothing"
    out, i = [], 0
    while i < len(names):
        j = i
        while j < len(names) and names[j] == names[i]:
            j += 1
        out.append(names[i] if j - i == 1 else f"{names[i]}*{j - i}")
        i = j
    return ", ".join(out)


def check_self(case, obs):
    """Role self: the outbound side against out=, and the inbound side's end
    and bytes (its messages are check_btc's, as recv)."""
    out = []
    r = obs.relay or {}
    if not r.get("connections"):
        return out
    sent = tuple(r.get("out_sent", ()))
    if sent not in case.msgs.out:
        want = " or ".join(", ".join(a) or "nothing" for a in case.msgs.out)
        out.append(Violation("self:out", f"expected the outbound side to send {want}; "
                                         f"got {', '.join(sent) or 'nothing'}"))
    if r.get("closed_by") == "inbound" and r.get("delivered_ms") is None and \
            not obs.ending.startswith("handshake"):
        out.append(Violation("self:before-version", "the inbound side ended the connection before the outbound "
                                                    "side's version had reached it"))
    if r.get("in_unparsed"):
        why = r.get("in_unparsed_reason") or "not a whole message when the connection ended"
        out.append(Violation("self:bytes", f"the inbound side sent {r['in_unparsed']} bytes that are no whole v1 "
                                           f"message ({why})"))
    return out


def check(case, obs):
    """Every message rule for one result -> [Violation] (empty: all hold)."""
    if case.protocol != "btc":
        return check_noise(case, obs)
    return check_btc(case, obs) + (check_self(case, obs) if case.role == "self" else [])


# ----------------------------------------------------- expected / actual

def expected_text(case, obs=None):
    """h2spec's "Expected:": the ending and the messages, in words."""
    parts = [f"ending {case.expect}"]
    if case.role == "self":
        return expected_self(case)
    if case.protocol == "btc":
        v = common_version(case, obs) if obs is not None else case.our_version
        alts = [show_alt(a, v) for a in case.msgs.recv]
        parts.append("recv " + " or ".join(alts) + (f" (common version {v})" if any("features" in a for a in case.msgs.recv) else ""))
        if case.msgs.post:
            parts.append("after our verack " + ", ".join(case.msgs.post))
        extras = [c for c, ok in POST_EXTRAS.items() if ok(v)] + sorted(case.msgs.may)
        parts.append("may " + ", ".join(extras))
        if case.msgs.fields:
            parts.append("version " + ", ".join(str(f) for f in case.msgs.fields))
        if case.msgs.v2 != ((),):
            parts.append("v2 " + " or ".join(show_v2(a) for a in case.msgs.v2))
        if case.msgs.transport:
            parts.append("transport " + case.msgs.transport)
        if case.msgs.retry is not None:
            parts.append(f"retry {case.msgs.retry}")
    else:
        parts.append("recv " + " or ".join(_show_seq(a) for a in case.msgs.recv))
        parts.append("tester " + " or ".join(case.msgs.tester))
        if case.msgs.at:
            parts.append("target failed on " + " or ".join(case.msgs.at))
        if case.messages > 1:
            parts.append(f"{case.messages} transport messages each way")
    return "; ".join(parts)


def expected_self(case, deadline_ms=SELF_CLOSE_MS):
    """ "Expected:" of a self case: its outbound side's messages, its inbound side's, the end."""
    end = f"ending {case.expect}"
    if "disconnect" in case.endings:
        end += (f" (its inbound side ends the connection within {deadline_ms} ms of its outbound side's "
                "version reaching it)")
    recv = " or ".join(show_alt(a, case.our_version) for a in case.msgs.recv)
    return "; ".join([end, "outbound side sends " + " or ".join(", ".join(a) or "nothing" for a in case.msgs.out),
                      "inbound side sends " + recv + (" (no bytes at all)" if () in case.msgs.recv else "")])


def _fields(f):
    if not f:
        return "?"
    return (f"{f.get('version')} services {f.get('services')} nonce {f.get('nonce')} "
            f"ua {f.get('user_agent')!r}")


def actual_self(obs):
    """ "Actual:" of a self case, from what the relay saw."""
    r = obs.relay or {}
    parts = [f"ending {obs.ending}"]
    if not r.get("connections"):
        return "; ".join(parts + ["the target never dialed the relay"])
    seq = [("out:" if m.dir == "sent" else "in:") + m.show() for m in obs.timeline]
    parts.append("wire " + (" ".join(seq) or "nothing"))
    if r.get("out_version"):
        parts.append("outbound version " + _fields(r["out_version"]))
    if obs.version is not None:
        parts.append("inbound version " + _fields(obs.version))
    if r.get("delivered_ms") is not None:
        parts.append(f"outbound version passed on at {r['delivered_ms']} ms")
    if r.get("upstream_error"):
        parts.append(f"the relay could not reach the target's listener: {r['upstream_error']}")
    if "closed_by" in r:
        after = f", {r['close_after_ms']} ms after the version" if "close_after_ms" in r else ""
        who = "the relay" if r["closed_by"] == "relay" else f"the {r['closed_by']} side"
        parts.append(f"ended first by {who} ({r['closed_how']}) at {r['closed_ms']} ms{after}")
    parts.append(f"bytes out {r.get('out_bytes', 0)}, in {r.get('in_bytes', 0)}")
    if r.get("in_unparsed"):
        parts.append(f"{r['in_unparsed']} inbound bytes no whole message")
    if r["connections"] > 1:
        parts.append(f"{r['connections']} connections (the first judged)")
    return "; ".join(parts)


def actual_text(obs):
    """h2spec's "Actual:": the ending and what the target sent."""
    parts = [f"ending {obs.ending}"]
    if obs.relay is not None:
        return actual_self(obs)
    if obs.protocol == "btc":
        ph = BtcPhases(obs.timeline)
        seq = []
        for i, m in enumerate(obs.timeline):
            if i == ph.our_verack:
                seq.append("[our verack]")
            if m.dir in ("recv", "dropped"):
                seq.append(m.show())
        parts.append("recv " + (" ".join(seq) if any(x != "[our verack]" for x in seq) else "nothing"))
        if obs.version is not None:
            f = obs.version
            parts.append(f"version {f.get('version')} services {f.get('services')} "
                         f"ua {f.get('user_agent')!r} height {f.get('start_height')} relay {f.get('relay')}")
        if obs.v2:
            parts.append("v2 " + " ".join(("<" if m.dir == "recv" else ">") + m.show() for m in obs.v2))
        if obs.transport:
            parts.append(f"transport {obs.transport}")
        if obs.retries:
            parts.append(f"retry {obs.retries}")
        if obs.session_id or obs.target_session:
            parts.append(f"session {obs.session_id or 'none'} (target: "
                         f"{'not reported' if obs.target_session is None else obs.target_session or 'none'})")
        parts.append(f"tester {obs.tester}")
    else:
        got = [m.show() for m in obs.timeline if m.dir == "recv"]
        parts.append("recv " + (" ".join(got) if len(got) <= 12 else
                                " ".join(got[:6]) + f" ... ({len(got) - 12} more) " + " ".join(got[-6:]))
                     if got else "recv nothing")
        parts.append(f"tester {obs.tester}" + (f" ({obs.tester_detail})" if obs.tester_detail else ""))
        tv = obs.target
        parts.append(f"target {obs.target_verdict}" + (f" at {tv.at}" if tv and tv.at else "")
                     + (f", {tv.messages} messages" if tv and tv.messages is not None and tv.token == "ok" else "")
                     + (f", {tv.discarded} discarded" if tv and tv.discarded else ""))
    return "; ".join(parts)


# ---------------------------------------------------------- the outcome

@dataclasses.dataclass
class Verdict:
    outcome: str
    note: str = ""
    violations: list = dataclasses.field(default_factory=list)
    expected: str = ""
    actual: str = ""


def rule_matches(pattern, rule):
    return rule == pattern or rule.startswith(pattern + ":")


def skipped(case, target_status, target_reason, roles, disabled, name="", not_run=None, unsupported=None,
            tester_missing=None, no_self_dial=None):
    """Missing or Unimplemented before anything runs, else None.
    not_run: the target's case families it does not run ({"V2": reason});
    unsupported: the adapter's reason it cannot run this case (or None);
    tester_missing: the reason the tester cannot (a switch it lacks);
    no_self_dial: role self, why the adapter cannot make the target dial
    itself (Missing, as a target that cannot dial out at all)."""
    if target_status != "ok":
        return Verdict("Missing", target_reason)
    if case.role == "self" and "initiator" not in roles:
        return Verdict("Missing", f"{name or 'the target'} cannot dial out (no initiator role): the "
                                  "self-connection case needs a target that dials")
    if (case.role != "self" and case.role not in roles) or case.id in disabled:
        return Verdict("Unimplemented", disabled.get(case.id, f"{name or 'the target'} has no {case.role} role"))
    if not_run and case.family in not_run:
        return Verdict("Unimplemented", not_run[case.family])
    if unsupported:
        return Verdict("Unimplemented", unsupported)
    if case.role == "self" and no_self_dial:
        return Verdict("Missing", no_self_dial)
    if tester_missing:
        return Verdict("Unimplemented", tester_missing)
    return None


def check_announced(obs, cfg):
    """The target's version against what its config says it announces
    ("protocol_version"): an implementation sends its own version whatever
    the peer's (Core: PushNodeVersion, PROTOCOL_VERSION)."""
    want = cfg.get("protocol_version")
    if want is None or obs.protocol != "btc" or obs.version is None:
        return []
    got = version_fields(obs.version)["version"]
    if got == want:
        return []
    return [Violation("announced", f"the target announces {got}; its config says {want}")]


def judge(case, obs, cfg):
    """The outcome of one result. `cfg` is the target's config: its
    "divergences" (per case: the ending "observed", the message "rules" it
    breaks, the "outcome" and the "reason") and "divergent_rules" (rule ->
    reason: what the implementation does in every case)."""
    violations = check(case, obs) + check_announced(obs, cfg)
    v = Verdict("Fail", violations=violations, expected=expected_text(case, obs), actual=actual_text(obs))
    if obs.ending == "unimplemented":
        v.outcome, v.note = "Unimplemented", "the target exits 89 for this case"
        return v
    if case.expect == "info":
        v.outcome = "Info"
        v.note = "; ".join(f"{x.rule}: {x.detail}" for x in violations)
        return v
    ending_ok = obs.ending in case.endings
    if ending_ok and not violations:
        v.outcome = "Pass"
        return v
    wide = cfg.get("divergent_rules", {})
    div = cfg.get("divergences", {}).get(case.id)
    div_rules = (div or {}).get("rules", [])
    div_end = (div or {}).get("observed")

    def by_wide(x):
        return next((p for p in wide if rule_matches(p, x.rule)), None)

    def by_div(x):
        return div is not None and any(rule_matches(p, x.rule) for p in div_rules)

    unexplained = [x for x in violations if not by_wide(x) and not by_div(x)]
    end_recorded = bool(div_end) and obs.ending in div_end.split("/")
    if (ending_ok or end_recorded) and not unexplained:
        wide_notes = [f"{p}: {wide[p]}" for p in dict.fromkeys(by_wide(x) for x in violations) if p]
        if not ending_ok or any(not by_wide(x) for x in violations):
            v.outcome = div.get("outcome", "Non-strict")
            v.note = "; ".join([div.get("reason", "")] + wide_notes)
        else:
            v.outcome, v.note = "Non-strict", "; ".join(wide_notes)
        return v
    why = [] if ending_ok or end_recorded else [f"ending {obs.ending}, expected {case.expect}"]
    why += [f"{x.rule}: {x.detail}" for x in unexplained]
    v.note = "unrecorded: " + "; ".join(why) + (f" (recorded: {div.get('reason', '')})" if div else "")
    return v
