"""The case catalogue: conformance/cases.txt and conformance/quick.txt.

One case per line, nine fields separated by "|":

    ID | protocol | role | arrow | switches | expect | msgs | reference | source

The arrow is the human-readable exchange; `msgs` is the same exchange in the
one machine-checkable form the judge reads (conformance/README.md,
"Message expectations"):

    recv=SEQ[/SEQ..]   what the target sends, exactly, in order; "-" nothing.
                       btc: its handshake messages (version, verack,
                       wtxidrelay, sendaddrv2, sendtxrcncl), "features"
                       standing for wtxidrelay + sendaddrv2 when the common
                       version min(ours, the target's) is >= 70016 and for
                       nothing below; noise: msg1, msg2, transport, echo.
    post=CMD[,CMD..]   btc: what must come after our verack, in this order.
    may=CMD[,CMD..]    btc: what may also come after our verack, beyond the
                       standing extras (judging.POST_EXTRAS).
    fields=CHK[,CHK..] btc: checks on the target's version message,
                       FIELD OP VALUE with OP one of = != >= <= > < and &
                       (all these bits set); FIELD one of judging's
                       VERSION_FIELDS.
    tester=TOK[/TOK..] noise: what our side must conclude: SUCCESS or its
                       failure reason; "none" when it never got a connection.
    v2=SEQ[/SEQ..]     btc: the target's BIP324 transport items, in order, as
                       the tester logged them: key (its 64-byte ElligatorSwift
                       key), garbage (its garbage, the terminator found),
                       version (its version packet, authenticated); "-" none
                       (the default: a v1 connection logs none). Decoys are
                       allowed anywhere after the garbage and not listed.
    transport=v1|v2    btc: the transport of the tester's judged connection.
    retry=N            btc: connections before the judged one: the tester's
                       own v1 retries (--v2transport auto) as responder; the
                       target's reconnections as initiator.
    at=MSG[/MSG..]     noise: the message the target says it failed on
                       (msg1, msg2, transport:K, echo:K), "none" for a
                       failure before any message (a PSK refused, a payload
                       too large).
    out=SEQ[/SEQ..]    btc, role self only (and required there): what the
                       target's outbound side sends through the relay,
                       exactly, in order (version, verack, wtxidrelay,
                       sendaddrv2, sendtxrcncl); recv= is then what its
                       inbound side sends back.

Role self: the target dials itself. The runner's relay (psconf/selfrelay.py)
stands where our listener stands in an initiator case and forwards the
connection to the target's own listener; no tester runs, so a self case has
no switches. It is a V1 case (the relay names v1 messages only).

In recv=, ITEM*N stands for N ITEMs in a row (echo*100).

Everything not named by a case is decided by the standing rules of
judging.py (nothing before the target's version, no pong before the
handshake, no feature messages below 70016, ...).
"""

import dataclasses
import os
import re

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES_TXT = os.path.join(HERE, "cases.txt")
QUICK_TXT = os.path.join(HERE, "quick.txt")

PROTOCOLS = ("btc", "noise")
# self: the target dials itself through the runner's relay (no tester).
ROLES = ("responder", "initiator", "self")
FIELDS = ("id", "protocol", "role", "arrow", "switches", "expect", "msgs", "reference", "source")

# What a recv= item may name, per protocol.
BTC_HANDSHAKE = ("version", "verack", "wtxidrelay", "sendaddrv2", "sendtxrcncl")
BTC_FEATURES = ("wtxidrelay", "sendaddrv2")
NOISE_MESSAGES = ("msg1", "msg2", "transport", "echo")
NOISE_TESTER = ("SUCCESS", "none", "closed", "timeout", "decrypt-failed", "bad-size", "bad-dh",
                "echo-mismatch", "bad-psk")
# What an at= item may name: a handshake message, or a transport message or
# echo with its place K (1 .. 65535) in the transport phase.
NOISE_AT_RE = re.compile(r"^(none|msg1|msg2|(transport|echo):([1-9][0-9]{0,4}))$")
# The words of the switches column that set the exchange the runner gives
# both sides (conformance/README.md): target:transport-len=N and so on.
NOISE_LENGTH_OPTS = ("payload1-len", "payload2-len", "transport-len")
# The version fields a fields= check can name, and how they are compared.
VERSION_FIELDS = ("version", "services", "start_height", "relay", "user_agent_len")
FIELD_OPS = ("!=", ">=", "<=", "=", ">", "<", "&")
CLAUSES = {"btc": ("recv", "post", "may", "fields", "v2", "transport", "retry", "out"),
           "noise": ("recv", "tester", "at")}
# The target's BIP324 transport items a v2= clause names (the tester's log
# notes "v2 key", "v2 garbage and terminator", "v2 version packet").
V2_ITEMS = ("key", "garbage", "version")
TRANSPORTS = ("v1", "v2")
# The Bitcoin endings: the tester's events say which (judging.observe_btc).
# v2-handshake: our v1 side met a BIP324 key (the target speaks v2).
BTC_ENDINGS = ("handshake", "handshake+disconnect", "disconnect", "kept", "v2-handshake", "info")
# How a case configures the target (the "target:" words of a btc case): how
# it dials as initiator (v2, auto: v2 then one v1 retry, v1), or, as
# responder, v1: a v1-only target.
BTC_TARGET_OPTS = ("v1", "v2", "auto")
# The connection a Bitcoin initiator (or self) case makes the target open
# (target:conn=TYPE): Core's connection types (net.h ConnectionType), as
# its RPCs open them: addnode ADDR onetry (manual), addconnection ADDR TYPE
# (the others; regtest only). The default is outbound-full-relay, the
# connection Core's automatic outbound peers are.
CONN_TYPES = ("outbound-full-relay", "manual", "block-relay-only", "feeler", "addr-fetch")
DEFAULT_CONN = "outbound-full-relay"
# Core's PROTOCOL_VERSION: what peershake announces unless a switch says otherwise.
DEFAULT_VERSION = 70016
CMD_RE = re.compile(r"^[a-z0-9]{1,12}$")


class CatalogueError(ValueError):
    """A line of the catalogue that does not parse; the message names it."""


@dataclasses.dataclass(frozen=True)
class FieldCheck:
    field: str
    op: str
    value: int

    def holds(self, actual):
        if actual is None:
            return False
        a, v = int(actual), self.value
        return {"=": a == v, "!=": a != v, ">=": a >= v, "<=": a <= v, ">": a > v, "<": a < v,
                "&": a & v == v}[self.op]

    def __str__(self):
        v = hex(self.value) if self.op == "&" else str(self.value)
        return f"{self.field}{self.op}{v}"


@dataclasses.dataclass(frozen=True)
class Expectation:
    """The parsed msgs field."""
    recv: tuple          # alternatives, each a tuple of items; () is "nothing"
    post: tuple = ()
    may: frozenset = frozenset()
    fields: tuple = ()
    tester: tuple = ()
    v2: tuple = ((),)    # alternatives of transport items; ((),) is "none"
    transport: str = None
    retry: int = None
    at: tuple = ()        # noise: the messages the target may say it failed on
    out: tuple = ()       # role self: alternatives of what its outbound side sends; () not stated
    text: str = ""

    def describe(self):
        return self.text


@dataclasses.dataclass(frozen=True)
class Case:
    """One line of cases.txt."""
    id: str
    protocol: str
    role: str
    arrow: str
    args: tuple          # peershake arguments
    target_opts: tuple   # the "target:X" words, without the prefix
    expect: str          # the ending(s), "a/b" either; "info" not judged
    msgs: Expectation
    reference: str
    source: str

    @property
    def kind(self):
        return {"CF": "conformance", "RS": "resistance"}.get(self.id[:2], "conformance")

    @property
    def family(self):
        """The middle of the ID: V1 (Bitcoin v1), V2 (BIP324), NN (Noise)."""
        parts = self.id.split("-")
        return parts[1] if len(parts) > 2 else ""

    @property
    def dial(self):
        """btc: how the target dials as initiator (v1, v2, auto), or, as
        responder, "v1" for a v1-only target; None when the case does not say."""
        return next((t for t in self.target_opts if t in BTC_TARGET_OPTS), None)

    @property
    def conn(self):
        """btc initiator and self cases: the connection type the target
        opens (target:conn=TYPE, else outbound-full-relay); None otherwise."""
        if self.protocol != "btc" or self.role == "responder":
            return None
        return self.target_option("conn", DEFAULT_CONN)

    @property
    def endings(self):
        return tuple(self.expect.split("/"))

    @property
    def switches(self):
        return " ".join(self.args + tuple("target:" + t for t in self.target_opts))

    def target_option(self, name, default=None):
        """The value of a "target:NAME=VALUE" word, True for a bare
        "target:NAME", else default."""
        for t in self.target_opts:
            k, eq, v = t.partition("=")
            if k == name:
                return v if eq else True
        return default

    @property
    def messages(self):
        """noise: N, the transport messages each way (--messages, 1)."""
        args = list(self.args)
        for i, a in enumerate(args):
            if a == "--messages" and i + 1 < len(args):
                return int(args[i + 1])
        return 1

    @property
    def our_version(self):
        """The protocol version peershake announces in this case (btc)."""
        args = list(self.args)
        v = DEFAULT_VERSION
        for i, a in enumerate(args):
            if a == "--protocol-version" and i + 1 < len(args):
                v = int(args[i + 1], 0)
            if a == "--bug" and i + 1 < len(args) and args[i + 1] == "obsolete-version":
                v = 31799
        return v

    def as_json(self):
        return {"id": self.id, "protocol": self.protocol, "kind": self.kind, "family": self.family,
                "role": self.role,
                "arrow": self.arrow, "switches": self.switches, "reference": self.reference,
                "source": self.source, "expect": self.expect, "msgs": self.msgs.text,
                **({"conn": self.conn} if self.conn else {})}


def _items(text, allowed, what):
    if text == "-":
        return ()
    out = []
    for it in text.split(","):
        name, star, count = it.partition("*")
        if name not in allowed:
            raise CatalogueError(f"{what}: unknown item {name!r} (want one of {', '.join(allowed)})")
        n = 1
        if star:
            if not count.isdigit() or not 1 <= int(count) <= 65535:
                raise CatalogueError(f"{what}: {it!r}: want ITEM*N, N in 1..65535")
            n = int(count)
        out += [name] * n
    return tuple(out)


def _cmds(text, what):
    out = []
    for c in text.split(","):
        if not CMD_RE.match(c):
            raise CatalogueError(f"{what}: {c!r} is not a message command")
        out.append(c)
    return tuple(out)


def _field(text):
    for op in FIELD_OPS:  # two-character operators first
        if op in text:
            name, _, value = text.partition(op)
            break
    else:
        raise CatalogueError(f"fields: {text!r} has no operator ({' '.join(FIELD_OPS)})")
    if name not in VERSION_FIELDS:
        raise CatalogueError(f"fields: unknown field {name!r} (want one of {', '.join(VERSION_FIELDS)})")
    try:
        v = int(value, 0)
    except ValueError:
        raise CatalogueError(f"fields: {text!r}: the value is not a number") from None
    return FieldCheck(name, op, v)


def parse_msgs(text, protocol):
    """The msgs field of one case -> Expectation; CatalogueError if bad."""
    allowed = CLAUSES[protocol]
    seen = {}
    for clause in text.split():
        name, eq, value = clause.partition("=")
        if not eq or not value:
            raise CatalogueError(f"msgs: {clause!r} is not NAME=VALUE")
        if name not in allowed:
            raise CatalogueError(f"msgs: {name}= is not a {protocol} clause (want {', '.join(allowed)})")
        if name in seen:
            raise CatalogueError(f"msgs: {name}= given twice")
        seen[name] = value
    if "recv" not in seen:
        raise CatalogueError("msgs: recv= is required")
    if protocol == "noise" and "tester" not in seen:
        raise CatalogueError("msgs: tester= is required for a noise case")
    names = BTC_HANDSHAKE + ("features",) if protocol == "btc" else NOISE_MESSAGES
    recv = tuple(_items(alt, names, "recv") for alt in seen["recv"].split("/"))
    post = _cmds(seen["post"], "post") if "post" in seen else ()
    may = frozenset(_cmds(seen["may"], "may")) if "may" in seen else frozenset()
    fields = tuple(_field(f) for f in seen["fields"].split(",")) if "fields" in seen else ()
    v2 = ((),)
    if "v2" in seen:
        v2 = tuple(_items(alt, V2_ITEMS, "v2") for alt in seen["v2"].split("/"))
    transport = seen.get("transport")
    if transport is not None and transport not in TRANSPORTS:
        raise CatalogueError(f"transport: {transport!r} (want {' or '.join(TRANSPORTS)})")
    retry = None
    if "retry" in seen:
        if not seen["retry"].isdigit():
            raise CatalogueError(f"retry: {seen['retry']!r} is not a count")
        retry = int(seen["retry"])
    tester = ()
    if "tester" in seen:
        tester = tuple(seen["tester"].split("/"))
        for t in tester:
            if t not in NOISE_TESTER:
                raise CatalogueError(f"tester: unknown verdict {t!r} (want one of {', '.join(NOISE_TESTER)})")
    at = ()
    if "at" in seen:
        at = tuple(seen["at"].split("/"))
        for a in at:
            if not NOISE_AT_RE.match(a):
                raise CatalogueError(f"at: {a!r} is not a message (want none, msg1, msg2, transport:K, echo:K)")
    out = ()
    if "out" in seen:
        out = tuple(_items(alt, BTC_HANDSHAKE, "out") for alt in seen["out"].split("/"))
    return Expectation(recv=recv, post=post, may=may, fields=fields, tester=tester, v2=v2,
                       transport=transport, retry=retry, at=at, out=out, text=" ".join(text.split()))


def check_self(d, words, msgs):
    """A self case (the target dials itself through the relay): btc, of the
    V1 family, no switches (no tester runs), out= stated; out= nowhere else."""
    if d["role"] != "self":
        if msgs.out:
            raise CatalogueError("out= is for role self (what the target's outbound side sends to itself)")
        return
    if d["protocol"] != "btc":
        raise CatalogueError("role self is a btc role")
    parts = d["id"].split("-")
    if len(parts) < 3 or parts[1] != "V1":
        raise CatalogueError("a self case is a V1 case: the relay names v1 messages only")
    if words:
        raise CatalogueError("a self case has no switches: no tester runs, the target meets itself")
    if not msgs.out:
        raise CatalogueError("a self case states out= (what the target's outbound side sends)")


def parse_line(line, where="cases.txt"):
    """One catalogue line -> Case; CatalogueError naming `where` if bad."""
    fields = [f.strip() for f in line.split("|")]
    if len(fields) != len(FIELDS):
        raise CatalogueError(f"{where}: want {len(FIELDS)} fields separated by '|', got {len(fields)}")
    d = dict(zip(FIELDS, fields))
    if d["protocol"] not in PROTOCOLS:
        raise CatalogueError(f"{where}: protocol {d['protocol']!r} (want {' or '.join(PROTOCOLS)})")
    if d["role"] not in ROLES:
        raise CatalogueError(f"{where}: role {d['role']!r} (want {' or '.join(ROLES)})")
    for k in ("id", "arrow", "expect", "msgs", "reference", "source"):
        if not d[k]:
            raise CatalogueError(f"{where}: the {k} field is empty")
    words = d["switches"].split()
    if d["protocol"] == "btc":
        for w in words:
            opt = w[len("target:"):]
            if w.startswith("target:conn="):
                if opt[len("conn="):] not in CONN_TYPES:
                    raise CatalogueError(f"{where}: {d['id']}: {w}: want target:conn={'|'.join(CONN_TYPES)}")
                if d["role"] == "responder":
                    raise CatalogueError(f"{where}: {d['id']}: {w}: a connection type is the initiator's")
            elif w.startswith("target:") and opt not in BTC_TARGET_OPTS:
                raise CatalogueError(f"{where}: {d['id']}: {w}: want target:{' target:'.join(BTC_TARGET_OPTS)}"
                                     f" or target:conn=TYPE")
    try:
        msgs = parse_msgs(d["msgs"], d["protocol"])
        check_self(d, words, msgs)
        for w in words:
            k, eq, v = w[len("target:"):].partition("=")
            if w.startswith("target:") and k in NOISE_LENGTH_OPTS and not (eq and v.isdigit()):
                raise CatalogueError(f"{w!r}: want target:{k}=BYTES")
        if "--messages" in words:
            i = words.index("--messages")
            if i + 1 >= len(words) or not words[i + 1].isdigit() or not 1 <= int(words[i + 1]) <= 65535:
                raise CatalogueError("--messages wants 1..65535")
    except CatalogueError as e:
        raise CatalogueError(f"{where}: {d['id']}: {e}") from None
    return Case(id=d["id"], protocol=d["protocol"], role=d["role"], arrow=d["arrow"],
                args=tuple(w for w in words if not w.startswith("target:")),
                target_opts=tuple(w[len("target:"):] for w in words if w.startswith("target:")),
                expect=d["expect"], msgs=msgs, reference=d["reference"], source=d["source"])


def parse_cases(lines, name="cases.txt"):
    """Lines of a catalogue -> [Case]; comments and blank lines skipped."""
    cases, ids = [], set()
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        c = parse_line(line, f"{name}:{n}")
        if c.id in ids:
            raise CatalogueError(f"{name}:{n}: duplicate case ID {c.id}")
        ids.add(c.id)
        cases.append(c)
    return cases


def load_cases(path=CASES_TXT):
    with open(path, encoding="utf-8") as f:
        return parse_cases(f, os.path.basename(path))


def load_quick(path=QUICK_TXT, cases=None):
    """The IDs of quick.txt, in order; with `cases`, each must be one of them."""
    with open(path, encoding="utf-8") as f:
        ids = [w for line in f for w in line.split("#", 1)[0].split()]
    if cases is not None:
        known = {c.id for c in cases}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise CatalogueError(f"{os.path.basename(path)}: unknown case IDs: {' '.join(unknown)}")
    return ids
