#!/usr/bin/python3
"""gen_bip324.py: BIP324 v2 transport vectors, Wycheproof layout.

    /usr/bin/python3 vectors/gen_bip324.py [OUTDIR]     (default: vectors/)

writes bip324_v2.json: whole v2 exchanges with fixed keys, ElligatorSwift
encodings, garbage and packets (both directions, each side's bytes and what
each side must make of the other's), the responder's v1/v2 detection, and the
two rekeying ciphers on their own. The schema is in vectors/README.md.

The oracle is vectors/bip324_oracle.py, written from the BIP's text and
pseudo-code on python3-cryptography. Before anything is written it must
reproduce every row of the three official files in ../shared/vectors/bip324/
(PS_SHARED_VECTORS overrides the folder); when they are absent or differ,
nothing is written and the generator exits 1: vectors from an unchecked oracle
are not vectors.

Every stream is built twice, by a packet-by-packet builder (which can also
misbehave: garbage over 4095 bytes, a wrong terminator, misplaced AAD) and,
for the sides that behave, by the oracle's sans-I/O V2Transport; the two must
agree. What a receiver makes of a stream (events, session id, where it fails)
is the oracle's receiver fed that stream.

Deterministic: every key, ElligatorSwift u and case, garbage byte and payload
comes from a random.Random seeded with the test's name; no clock, no OS
randomness.
"""

import hashlib
import io
import json
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bip324_oracle as o  # noqa: E402

OUT_NAME = "bip324_v2.json"
HEX_STREAM_MAX = 262144     # streams longer than this carry length + sha256 + tail, no hex
HEX_BYTES_MAX = 4096        # byte strings longer than this are written in the repeat form
TAIL_LEN = 32

NOTES = {
    # valid
    "Handshake": ("BASIC", "A complete exchange: keys, garbage, terminators, version packets and application messages both ways."),
    "Garbage0": ("EDGE_CASE", "A side sends no garbage: its terminator follows its key directly, its first packet's AAD is empty."),
    "Garbage1": ("EDGE_CASE", "A side sends 1 byte of garbage."),
    "GarbageMax": ("EDGE_CASE", "A side sends 4095 bytes of garbage, the most the BIP allows: the terminator ends exactly 4111 bytes after the key."),
    "Networks": ("BASIC", "The network magic enters the HKDF salt (b'bitcoin_v2_shared_secret' + magic) and the v1 prefix."),
    "CoreLike": ("BASIC", "What Bitcoin Core sends: random garbage, no decoys, the version packet, then version/wtxidrelay/sendaddrv2/verack (long types) and sendcmpct/ping/getheaders/feefilter (short IDs)."),
    "DecoyBeforeVersion": ("FUNCTIONALITY", "Decoy packets (ignore bit set) between the terminator and the version packet; the first of them carries the garbage as AAD."),
    "DecoyAfterVersion": ("FUNCTIONALITY", "Decoy packets among the application messages: decrypted and verified, then ignored."),
    "VersionContents": ("FUNCTIONALITY", "A version packet with non-empty contents: the receiver ignores them (BIP: 'Receives a packet, ignores its contents')."),
    "HeaderBits": ("FUNCTIONALITY", "Header bytes with bits other than the ignore bit (bit 7) set: the BIP defines only the ignore bit and the receiver ignores the rest."),
    "Rekey": ("FUNCTIONALITY", "At least 450 packets one way: FSChaCha20 (lengths) and FSChaCha20Poly1305 (contents) rekey after packets 223 and 447 (0-based; the version packet and decoys count)."),
    "ShortIds": ("FUNCTIONALITY", "Every 1-byte message type ID of the BIP's table (1..28)."),
    "LongTypes": ("FUNCTIONALITY", "Message types as 0x00 + 12 ASCII bytes (NUL padded), including types that also have a short ID (same meaning, BIP 1.0.1) and 12-byte types without padding."),
    "ContentsSize": ("EDGE_CASE", "Packets of 0, 1, 65536, 1,000,000 bytes of contents, and the largest Core accepts: 4,000,013 (0x00, 12 type bytes, a 4,000,000-byte payload)."),
    "LargeStream": ("EDGE_CASE", "A stream too long for hex in the file: its length, sha256 and last bytes are given; the runner builds it with its own sender and checks it against those."),
    "DroppedTypes": ("FUNCTIONALITY", "Contents that are no valid message type (empty, an unknown ID, a short or badly padded long type): Core drops the message and keeps the connection; the stream goes on."),
    "UnknownLongType": ("FUNCTIONALITY", "A well-formed long type no one defines: the transport hands it on; the application ignores it."),
    "CutAtBoundary": ("EDGE_CASE", "The stream ends between packets after the version packet: nothing is wrong, the receiver is idle."),
    # invalid
    "Truncated": ("MALFORMED", "The stream ends inside the key, the garbage, the terminator, a length, a header, contents or a tag: the receiver must wait (need-more), deliver nothing of the unfinished item and not fail."),
    "MissingTerminator": ("MALFORMED", "No terminator within 4095 + 16 bytes after the key: Core disconnects on the 4111th byte ('missing garbage terminator')."),
    "WrongTerminator": ("MALFORMED", "A terminator with a flipped bit, the other direction's terminator, or none: the receiver keeps scanning and fails once 4111 bytes hold no terminator (need-more when the stream ends first)."),
    "GarbageTooLong": ("MALFORMED", "4096 bytes of garbage then the right terminator: it would end on byte 4112 after the key, one too many."),
    "GarbageHasTerminator": ("MALFORMED", "The sender's garbage contains its own terminator: the receiver stops at the first occurrence and reads the rest as packets, which do not verify."),
    "BitFlipKey": ("MALFORMED", "A flipped bit in the ElligatorSwift key: the receiver derives other keys and never finds the terminator."),
    "BitFlipGarbage": ("MALFORMED", "A flipped bit in the garbage: the first packet's AAD no longer matches, its tag fails."),
    "BitFlipLength": ("MALFORMED", "A flipped bit in an encrypted length: the top bit makes it over 4,000,013 (too-large at the length); a low bit makes the receiver read a packet of the wrong size (decrypt-failed when that many bytes are in)."),
    "BitFlipHeader": ("MALFORMED", "A flipped bit in the encrypted header byte: the tag fails."),
    "BitFlipContents": ("MALFORMED", "A flipped bit in encrypted contents: the tag fails."),
    "BitFlipTag": ("MALFORMED", "A flipped bit in a Poly1305 tag: the tag fails."),
    "BitFlipVersion": ("MALFORMED", "A flipped bit in the version packet: it does not verify, the handshake fails."),
    "MisplacedAad": ("MALFORMED", "The garbage authenticated in the wrong packet, with the terminator, or not at all: the first packet's tag fails."),
    "WrongNetwork": ("MALFORMED", "The two sides use different network magics: different keys and terminators, each fails to find the other's terminator."),
    "Replayed": ("MALFORMED", "A packet sent twice: the second copy's length and tag are decrypted with the next keys."),
    "Reordered": ("MALFORMED", "Two packets swapped: each is decrypted with the other's keystream."),
    "TooLarge": ("MALFORMED", "A decrypted length over MAX_CONTENTS_LEN (4,000,013 = 1 + 12 + MAX_PROTOCOL_MESSAGE_LENGTH): Core disconnects on the length's third byte, before any contents ('packet too large'); also for decoys and the version packet."),
    # detection
    "V1Prefix": ("FUNCTIONALITY", "The responder tells v1 from v2 by the first 16 bytes: magic + 'version\\0\\0\\0\\0\\0' is v1, the first byte that differs makes it v2."),
    "V1WrongNetwork": ("MALFORMED", "Bytes 4..16 are 'version\\0\\0\\0\\0\\0' but the magic is another network's: Core's responder disconnects on the 16th byte ('V1 peer with wrong MessageStart')."),
    # ciphers
    "CipherRekey": ("FUNCTIONALITY", "FSChaCha20 or FSChaCha20Poly1305 on its own across two rekeyings."),
}


def hexb(b):
    return bytes(b).hex()


def jbytes(b):
    """A byte string as the file writes it: hex, or for a long regular one
    {"hex": prefix, "repeat": unit, "times": n} = prefix + unit * n."""
    b = bytes(b)
    if len(b) <= HEX_BYTES_MAX:
        return b.hex()
    for plen in range(0, 33):
        rest = b[plen:]
        for ulen in range(1, 17):
            if len(rest) % ulen or rest[:64] != (rest[:ulen] * 64)[:64]:
                continue
            if rest == rest[:ulen] * (len(rest) // ulen):
                return {"hex": b[:plen].hex(), "repeat": rest[:ulen].hex(),
                        "times": len(rest) // ulen}
    raise ValueError("a %d-byte string with no repeat form: make it shorter or regular" % len(b))


def unjbytes(v):
    if isinstance(v, str):
        return bytes.fromhex(v)
    return bytes.fromhex(v["hex"]) + bytes.fromhex(v["repeat"]) * v["times"]


def jstream(b):
    b = bytes(b)
    s = {"length": len(b), "sha256": hashlib.sha256(b).hexdigest()}
    if len(b) <= HEX_STREAM_MAX:
        s["hex"] = b.hex()
    else:
        s["tail"] = b[-TAIL_LEN:].hex()
    return s


# ---- packets ----------------------------------------------------------------------------


def decoy(contents=b"", header=o.IGNORE_BIT, aad=None):
    assert header & o.IGNORE_BIT
    return {"kind": "decoy", "header": header, "contents": bytes(contents), "aad": aad}


def version(contents=b"", header=0, aad=None):
    assert not header & o.IGNORE_BIT
    return {"kind": "version", "header": header, "contents": bytes(contents), "aad": aad}


def msg(msgtype, payload=b"", encoding=None, header=0):
    assert not header & o.IGNORE_BIT
    if encoding is None:
        encoding = "short" if msgtype in o.SHORT_ID_OF else "long"
    return {"kind": "message", "header": header, "type": msgtype, "encoding": encoding,
            "payload": bytes(payload),
            "contents": o.encode_contents(msgtype, bytes(payload), encoding), "aad": None}


def raw(contents, header=0):
    """A non-decoy packet after the version packet whose contents are not a valid type."""
    return {"kind": "message", "header": header, "contents": bytes(contents), "aad": None}


def packet_json(p):
    j = {"kind": p["kind"], "header": p["header"]}
    if "type" in p:
        j["type"] = p["type"]
        j["encoding"] = p["encoding"]
        j["payload"] = jbytes(p["payload"])
    j["contents"] = jbytes(p["contents"])
    if p["aad"] is not None:
        j["aad"] = hexb(p["aad"])
    return j


# ---- sides and streams ------------------------------------------------------------------


class Side:
    def __init__(self, rng, initiating, magic, garbage_len=0, packets=(), garbage=None):
        self.initiating = initiating
        self.privkey = (rng.getrandbits(256) % (o.N - 1) + 1).to_bytes(32, "big")
        self.ellswift, self.u, self.case = o.ellswift_create(self.privkey, rng)
        self.magic = magic
        self.garbage = bytes(rng.getrandbits(8) for _ in range(garbage_len)) \
            if garbage is None else bytes(garbage)
        self.packets = list(packets)
        self.terminator = None      # None: the right one; bytes: what is sent instead
        self.conforming = True      # a correct implementation given these inputs sends this
        self.role = "initiator" if initiating else "responder"

    def cipher(self, peer):
        return o.Cipher(self.privkey, self.ellswift, peer.ellswift, self.initiating, self.magic)

    def build(self, peer):
        """The bytes this side sends, packet by packet (may misbehave)."""
        c = self.cipher(peer)
        out = bytearray(self.ellswift + self.garbage)
        out += c.send_garbage_terminator if self.terminator is None else self.terminator
        first = True
        for p in self.packets:
            aad = p["aad"] if p["aad"] is not None else (self.garbage if first else b"")
            first = False
            out += c.encrypt(p["contents"], aad=aad, header=p["header"])
        return bytes(out)

    def transport_sends(self, peer):
        """The same through the oracle's V2Transport (only for conforming sides)."""
        before = []
        i = 0
        while i < len(self.packets) and self.packets[i]["kind"] == "decoy":
            before.append(self.packets[i])
            i += 1
        assert i < len(self.packets) and self.packets[i]["kind"] == "version"
        v = self.packets[i]
        assert all(p["aad"] is None for p in before) and v["aad"] is None
        t = o.V2Transport(self.initiating, self.privkey, self.ellswift, self.garbage,
                          self.magic, decoys=[(p["contents"], p["header"]) for p in before],
                          version_contents=v["contents"], version_header=v["header"])
        for p in self.packets[i + 1:]:
            assert p["aad"] is None and p["kind"] != "version"
            t.send_packet(p["contents"], header=p["header"])
        assert not t.feed(peer.ellswift)
        return t.take_output()

    def receiver(self):
        return o.V2Transport(self.initiating, self.privkey, self.ellswift, self.garbage,
                             self.magic)


def event_json(e):
    k = e["event"]
    if k == "terminator":
        return {"event": k, "garbageLength": e["garbage_len"], "end": e["end"]}
    j = {"event": k, "header": e["header"]}
    if k == "message":
        j["type"] = e["type"]
        j["payload"] = jbytes(e["payload"])
    elif k == "dropped":
        j["reason"] = e["reason"]
        j["contents"] = jbytes(e["contents"])
    else:
        j["contents"] = jbytes(e["contents"])
    j["end"] = e["end"]
    return j


def receive(side, stream):
    """What side makes of stream: the oracle's receiver."""
    t = side.receiver()
    events, failure = [], None
    try:
        events = t.feed(stream)
    except o.V2Error as err:
        failure = {"error": err.error, "reason": err.reason, "offset": err.offset}
        events = []
        # the events before the failure: feed again up to the byte before it
        t2 = side.receiver()
        events = t2.feed(stream[:err.offset - 1])
        t = None
    exp = {"events": [event_json(e) for e in events]}
    if any(e["event"] == "version" for e in events):
        exp["sessionId"] = hexb(side_session(side, stream))
    if failure is None:
        w = t.waiting_for()
        if w != "idle":
            failure = {"error": "need-more", "reason": "incomplete-" + w, "offset": len(stream)}
        exp["waitingFor"] = w
    if failure is not None:
        exp["failure"] = failure
    return exp, events


def side_session(side, stream):
    return o.Cipher(side.privkey, side.ellswift, stream[:64], side.initiating,
                    side.magic).session_id


# ---- tests ------------------------------------------------------------------------------


class Gen:
    def __init__(self):
        self.groups = {}
        self.order = []
        self.next_id = 1
        self.counts = {}

    def group(self, gtype, network=None, description=""):
        key = (gtype, network)
        if key not in self.groups:
            g = {"type": gtype}
            if network:
                g["network"] = network
                g["magic"] = o.NETWORK_MAGIC[network].hex()
            g["source"] = "vectors/bip324_oracle.py (BIP324 1.0.2 pseudo-code on python3-cryptography 38; Core v31 V2Transport where the BIP leaves a choice)"
            g["description"] = description
            g["tests"] = []
            self.groups[key] = g
            self.order.append(key)
        return self.groups[key]

    def add(self, gtype, network, test, kind):
        for f in test["flags"]:
            assert f in NOTES, f
        test = dict([("tcId", self.next_id)] + list(test.items()))
        self.next_id += 1
        self.group(gtype, network)["tests"].append(test)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return test


GROUP_DESC = {
    "V2Exchange": "One connection: both sides' keys, garbage and packets, the bytes each sends, and what each must make of what it receives (events with the received byte count that completes them, the session id, or the failure and the byte it happens on).",
    "V1Prefix": "The responder's first bytes: v1 (magic + 'version\\0\\0\\0\\0\\0'), v2, or a v1 peer of another network.",
    "FSChaCha20": "The length cipher alone: 3-byte chunks, rekeyed every 224 chunks from its own keystream.",
    "FSChaCha20Poly1305": "The packet AEAD alone: a nonce per message, rekeyed every 224 messages.",
}


def seeded(name):
    return random.Random(int.from_bytes(hashlib.sha256(b"gen_bip324:" + name.encode()).digest(), "big"))


def exchange(gen, name, comment, flags, network="regtest", ig=0, rg=0, ipk=None, rpk=None,
             mutate=None, result=None, kind=None, imagic=None, rmagic=None, setup=None,
             seed=None):
    """One V2Exchange test. ipk/rpk: packet lists (callables taking rng allowed).
    mutate(init_stream, resp_stream, I, R) -> (responder_receives, initiator_receives)
    (None: unchanged). setup(I, R, rng) may alter the sides before the streams are built.
    seed: the name the keys and garbage are drawn from (default: name), so that the altered
    copies of an exchange have the same keys as the exchange."""
    rng = seeded(seed or name)
    magic = o.NETWORK_MAGIC[network]
    I = Side(rng, True, imagic or magic, ig)
    R = Side(rng, False, rmagic or magic, rg)
    I.packets = ipk(rng) if callable(ipk) else list(ipk or [version()])
    R.packets = rpk(rng) if callable(rpk) else list(rpk or [version()])
    if setup:
        setup(I, R, rng)
    i_sends = I.build(R)
    r_sends = R.build(I)
    for s, peer, built in ((I, R, i_sends), (R, I, r_sends)):
        if s.conforming:
            assert s.transport_sends(peer) == built, (name, s.role)
        assert built[:64] == s.ellswift
    r_recv, i_recv = (None, None) if mutate is None else mutate(i_sends, r_sends, I, R)
    r_in = i_sends if r_recv is None else r_recv
    i_in = r_sends if i_recv is None else i_recv
    r_exp, _ = receive(R, r_in)
    i_exp, _ = receive(I, i_in)

    def side_json(s, sends, recv_alt, exp):
        j = {"privkey": hexb(s.privkey), "ellswift": hexb(s.ellswift), "ellswiftCase": s.case}
        if s.magic != magic:
            j["magic"] = s.magic.hex()
        j["garbage"] = hexb(s.garbage)
        if s.terminator is not None:
            j["terminator"] = hexb(s.terminator)
        j["packets"] = [packet_json(p) for p in s.packets]
        if s.conforming:
            j["sends"] = jstream(sends)
        if recv_alt is not None or not (I if s is R else R).conforming:
            j["receives"] = jstream(recv_alt if recv_alt is not None else
                                    (i_sends if s is R else r_sends))
        j["expect"] = exp
        return j

    ci = I.cipher(R)
    k = ci.keys
    derived = {"ecdhSecret": hexb(ci.shared_secret), "sessionId": hexb(ci.session_id),
               "initiatorL": hexb(k["initiator_L"]), "initiatorP": hexb(k["initiator_P"]),
               "responderL": hexb(k["responder_L"]), "responderP": hexb(k["responder_P"]),
               "initiatorGarbageTerminator": hexb(k["initiator_garbage_terminator"]),
               "responderGarbageTerminator": hexb(k["responder_garbage_terminator"])}
    if I.magic != R.magic:
        derived = {"ecdhSecret": hexb(ci.shared_secret),
                   "note": "the sides use different magics: each derives its own keys"}
    failed = "failure" in r_exp or "failure" in i_exp
    if result is None:
        result = "invalid" if failed else "valid"
    assert (result == "invalid") == failed, (name, r_exp.get("failure"), i_exp.get("failure"))
    if isinstance(flags, dict):
        flags = flags[result]
    outcome = []
    for role, exp in (("responder", r_exp), ("initiator", i_exp)):
        f = exp.get("failure")
        if f and f["error"] == "need-more":
            outcome.append("the %s waits for more after all %d bytes (need-more, %s)"
                           % (role, f["offset"], f["reason"]))
        elif f:
            outcome.append("the %s fails on received byte %d (%s, %s)"
                           % (role, f["offset"], f["error"], f["reason"]))
    if outcome:
        comment = comment + " => " + "; ".join(outcome)
    test = {"comment": comment, "flags": flags, "result": result,
            "initiator": side_json(I, i_sends, i_recv, i_exp),
            "responder": side_json(R, r_sends, r_recv, r_exp),
            "derived": derived}
    return gen.add("V2Exchange", network, test, kind or result), I, R, i_sends, r_sends


def flip(b, pos, bit=0):
    b = bytearray(b)
    b[pos] ^= 1 << bit
    return bytes(b)


# Offsets of the parts of a stream a side sends, from its packet list.
def layout(side):
    off = 64 + len(side.garbage)
    parts = {"key": (0, 64), "garbage": (64, off)}
    tl = o.GARBAGE_TERMINATOR_LEN if side.terminator is None else len(side.terminator)
    parts["terminator"] = (off, off + tl)
    off += tl
    pk = []
    for p in side.packets:
        n = len(p["contents"])
        pk.append({"start": off, "length": (off, off + 3), "header": (off + 3, off + 4),
                   "contents": (off + 4, off + 4 + n), "tag": (off + 4 + n, off + 20 + n),
                   "end": off + 20 + n})
        off += 20 + n
    parts["packets"] = pk
    return parts


# ---- realistic payloads -----------------------------------------------------------------


def version_payload(rng, services):
    import bitcoin.messages as bm
    v = bm.msg_version()
    v.nVersion = 70016
    v.nServices = services
    v.nTime = 1700000000 + rng.randrange(10**7)
    v.addrTo.ip, v.addrTo.port, v.addrTo.nServices = "127.0.0.1", 18444, 0
    v.addrFrom.ip, v.addrFrom.port, v.addrFrom.nServices = "0.0.0.0", 0, services
    v.nNonce = rng.getrandbits(64)
    v.strSubVer = b"/bip324-oracle:1/"
    v.nStartingHeight = 0
    v.fRelay = 1
    b = io.BytesIO()
    v.msg_ser(b)
    return b.getvalue()


def core_like(rng):
    ping = struct.pack("<Q", rng.getrandbits(64))
    getheaders = struct.pack("<i", 70016) + b"\x01" + bytes(rng.getrandbits(8) for _ in range(32)) + b"\x00" * 32
    return [version(),
            msg("version", version_payload(rng, 0x409 | o.NODE_P2P_V2)),
            msg("wtxidrelay"), msg("sendaddrv2"), msg("verack"),
            msg("sendcmpct", b"\x00" + struct.pack("<Q", 2)),
            msg("ping", ping), msg("getheaders", getheaders),
            msg("feefilter", struct.pack("<q", 1000))]


def simple(rng, n=2):
    return [version()] + [msg("ping", struct.pack("<Q", rng.getrandbits(64))) for _ in range(n)]


# ---- the V2Exchange tests ---------------------------------------------------------------


def valid_exchanges(gen):
    for ig, rg in ((0, 0), (1, 1), (4095, 4095), (0, 4095), (4095, 0), (1, 4095)):
        flags = ["Handshake"]
        for g in sorted({ig, rg}):
            flags.append({0: "Garbage0", 1: "Garbage1", 4095: "GarbageMax"}[g])
        exchange(gen, "garbage-%d-%d" % (ig, rg),
                 "initiator garbage %d bytes, responder %d; version packets, then two pings each way"
                 % (ig, rg), flags, ig=ig, rg=rg, ipk=simple, rpk=simple)
    for net in ("mainnet", "testnet3", "testnet4", "signet", "regtest"):
        r = seeded("corelike-" + net)
        ig, rg = r.randrange(4096), r.randrange(4096)
        exchange(gen, "corelike-" + net,
                 "%s: Core-like traffic both ways, garbage %d and %d bytes" % (net, ig, rg),
                 ["Handshake", "Networks", "CoreLike"], network=net, ig=ig, rg=rg,
                 ipk=core_like, rpk=core_like)
    exchange(gen, "decoys-before-version",
             "decoys of 0, 1 and 100 bytes before the version packet both ways: the first decoy "
             "carries the garbage as AAD",
             ["Handshake", "DecoyBeforeVersion"], ig=20, rg=33,
             ipk=lambda r: [decoy(), decoy(b"\x01"), decoy(bytes(range(100))), version(),
                            msg("ping", b"\x00" * 8)],
             rpk=lambda r: [decoy(b"\xff" * 7), version(), msg("pong", b"\x00" * 8)])
    exchange(gen, "decoys-before-version-garbage0",
             "no garbage and a decoy first: the decoy's AAD is empty",
             ["Handshake", "DecoyBeforeVersion", "Garbage0"], ig=0, rg=0,
             ipk=lambda r: [decoy(b"abc"), version(), msg("verack")],
             rpk=lambda r: [decoy(), decoy(), version(), msg("verack")])
    exchange(gen, "decoys-after-version",
             "decoys between, before and after application messages, including one of 5000 bytes",
             ["Handshake", "DecoyAfterVersion"], ig=5, rg=6,
             ipk=lambda r: [version(), decoy(), msg("verack"), decoy(b"\x00" * 5000),
                            msg("ping", b"\x11" * 8), decoy(b"\x22")],
             rpk=lambda r: [version(), msg("verack"), decoy(b"\x33" * 3), decoy(),
                            msg("pong", b"\x11" * 8)])
    exchange(gen, "decoys-everywhere",
             "decoys before and after the version packet, both ways",
             ["Handshake", "DecoyBeforeVersion", "DecoyAfterVersion"], ig=100, rg=1,
             ipk=lambda r: [decoy(b"\x00" * 300), version(), decoy(), msg("sendcmpct", b"\x00" + b"\x02" + b"\x00" * 7), decoy(b"\x01" * 2)],
             rpk=lambda r: [decoy(), version(), decoy(b"\x05"), msg("feefilter", struct.pack("<q", 1000))])
    exchange(gen, "version-contents",
             "version packets with 5 and 1000 bytes of contents: ignored",
             ["Handshake", "VersionContents"], ig=3, rg=4,
             ipk=lambda r: [version(b"\x01\x02\x03\x04\x05"), msg("verack")],
             rpk=lambda r: [version(bytes(i & 0xff for i in range(1000))), msg("verack")])
    exchange(gen, "header-bits",
             "header bytes 0x01 (version packet), 0x7f (a message), 0xff and 0x81 (decoys): only "
             "bit 7 counts",
             ["Handshake", "HeaderBits"], ig=2, rg=2,
             ipk=lambda r: [decoy(b"\x00", header=0xff), version(header=0x01),
                            msg("ping", b"\x01" * 8, header=0x7f), decoy(header=0x81)],
             rpk=lambda r: [version(header=0x40), msg("pong", b"\x01" * 8, header=0x02)])

    def rekey_pk(n, salt):
        def mk(r):
            pk = [version()]
            for i in range(1, n):
                if i % 37 == 5:
                    pk.append(decoy(bytes([i & 0xff]) * (i % 11)))
                else:
                    pk.append(msg("ping", struct.pack("<Q", i * 1000003 + salt)))
            return pk
        return mk
    exchange(gen, "rekey-450",
             "450 packets each way (the version packet is packet 0, decoys among pings count "
             "too): both ciphers rekey after packets 223 and 447",
             ["Handshake", "Rekey", "DecoyAfterVersion"], ig=7, rg=9,
             ipk=rekey_pk(450, 1), rpk=rekey_pk(450, 2))

    def rekey_sizes(r):
        pk = [decoy(b"\x00" * 10), version()]
        for i in range(2, 452):
            if i in (223, 224, 225, 447, 448, 449):
                pk.append(msg("tx", bytes([i & 0xff]) * (1000 + i)))
            else:
                pk.append(msg("inv", bytes([i & 0xff]) * (i % 50)))
        return pk
    exchange(gen, "rekey-sizes",
             "452 packets from the initiator, a decoy first; packets 223-225 and 447-449 are "
             "over 1000 bytes: the length cipher's keystream per packet is 3 bytes whatever the size",
             ["Handshake", "Rekey", "DecoyBeforeVersion"], ig=0, rg=4095,
             ipk=rekey_sizes, rpk=lambda r: [version(), msg("verack")])

    def all_short(r, long_=False):
        pk = [version()]
        for i in range(1, 29):
            pk.append(msg(o.SHORT_IDS[i], bytes([i]) * (i % 9), "long" if long_ else "short"))
        return pk
    exchange(gen, "short-ids",
             "every short ID 1..28 from the initiator; the same 28 types in the long encoding "
             "from the responder: each pair means the same message",
             ["Handshake", "ShortIds", "LongTypes"], ig=11, rg=12,
             ipk=all_short, rpk=lambda r: all_short(r, True))
    exchange(gen, "long-types",
             "long types: version, verack, wtxidrelay, sendaddrv2, sendtxrcncl, sendheaders, "
             "getaddr, the 12-byte getcfcheckpt and getcfheaders (no NUL), an unknown 12-byte "
             "type and twelve NULs (the empty type)",
             ["Handshake", "LongTypes", "UnknownLongType"], ig=1, rg=0,
             ipk=lambda r: [version()] + [msg(t, bytes([len(t)]) * 3, "long") for t in (
                 "version", "verack", "wtxidrelay", "sendaddrv2", "sendtxrcncl", "sendheaders",
                 "getaddr", "getcfcheckpt", "getcfheaders", "zzzzzzzzzzzz", "")],
             rpk=lambda r: [version(), msg("verack")])
    exchange(gen, "dropped-types",
             "contents that are no message type between pings: empty, IDs 29, 32, 33, 127 and "
             "255, 0x00 and fewer than 12 type bytes, a control byte or 0x80 in the type, a "
             "non-NUL after the padding; each is dropped and the stream goes on",
             ["Handshake", "DroppedTypes"], ig=3, rg=3,
             ipk=lambda r: [version(), msg("ping", b"\x01" * 8), raw(b""),
                            raw(b"\x1d"), raw(b"\x20abc"), raw(b"\x21"), raw(b"\x7f\x00"),
                            raw(b"\xff" + b"\x00" * 8), raw(b"\x00"), raw(b"\x00ping\x00\x00"),
                            raw(b"\x00" + b"pi\x19g" + b"\x00" * 8),
                            raw(b"\x00" + b"ping\x80" + b"\x00" * 7),
                            raw(b"\x00" + b"ping\x00\x00x" + b"\x00" * 5 + b"\x01" * 8),
                            msg("pong", b"\x01" * 8)],
             rpk=lambda r: [version(), msg("verack")])

    # contents sizes
    exchange(gen, "contents-0-1",
             "contents of 0 bytes (a decoy, the version packet) and 1 byte (filterclear, "
             "mempool, sendheaders... as short IDs with empty payloads)",
             ["Handshake", "ContentsSize"], ig=0, rg=1,
             ipk=lambda r: [decoy(), version(), msg("filterclear"), msg("mempool"),
                            msg("getaddr", encoding="long")],
             rpk=lambda r: [version(), msg("filterclear")])
    exchange(gen, "contents-65536",
             "a tx of 65535 payload bytes (contents 65536) each way",
             ["Handshake", "ContentsSize"], ig=8, rg=8,
             ipk=lambda r: [version(), msg("tx", b"\xa5" * 65535)],
             rpk=lambda r: [version(), msg("tx", b"\x5a" * 65535), msg("ping", b"\x00" * 8)])
    exchange(gen, "contents-1000000",
             "a block of 999,999 payload bytes (contents 1,000,000) from the initiator",
             ["Handshake", "ContentsSize", "LargeStream"], ig=16, rg=16,
             ipk=lambda r: [version(), msg("block", b"\x01\x02\x03" * 333333),
                            msg("ping", b"\x02" * 8)],
             rpk=lambda r: [version(), msg("verack")])
    exchange(gen, "contents-4000001",
             "a block with a 4,000,000-byte payload as short ID 2 (contents 4,000,001)",
             ["Handshake", "ContentsSize", "LargeStream"], ig=0, rg=0,
             ipk=lambda r: [version(), msg("block", b"\xee" * 4000000)],
             rpk=lambda r: [version()])
    exchange(gen, "contents-4000013",
             "the largest packet Core accepts: 0x00 'block' + 4,000,000 payload bytes (contents "
             "4,000,013), from the responder",
             ["Handshake", "ContentsSize", "LargeStream", "LongTypes"], ig=0, rg=0,
             ipk=lambda r: [version()],
             rpk=lambda r: [version(), msg("block", b"\x77" * 4000000, "long")])


def base_packets_i(r):
    return [decoy(b"\x01\x02\x03"), version(), msg("ping", struct.pack("<Q", 0x0102030405060708)),
            msg("verack", encoding="long")]


def base_packets_r(r):
    return [version(), msg("pong", struct.pack("<Q", 0x0102030405060708))]


def truncations(gen):
    """Cut the initiator's stream (the responder's view) and the responder's stream (the
    initiator's view) at every boundary and inside every part."""
    for who in ("responder", "initiator"):
        name0 = "trunc-base-" + who
        _, I, R, i_s, r_s = exchange(
            gen, name0, "the uncut exchange the truncations below cut (%s's view)" % who,
            ["Handshake", "DecoyBeforeVersion", "CutAtBoundary"], ig=5, rg=6,
            ipk=base_packets_i, rpk=base_packets_r)
        sender = I if who == "responder" else R
        lay = layout(sender)
        cuts = []
        cuts += [(1, "1 byte of the key"), (15, "15 bytes of the key"), (16, "16 bytes of the key"),
                 (17, "17 bytes of the key"), (63, "63 bytes of the key"), (64, "the key, no garbage")]
        g0, g1 = lay["garbage"]
        cuts += [(g0 + 1, "inside the garbage"), (g1, "the garbage, no terminator")]
        t0, t1 = lay["terminator"]
        cuts += [(t0 + 1, "1 byte of the terminator"), (t1 - 1, "15 bytes of the terminator"),
                 (t1, "the terminator, no packet")]
        for i, p in enumerate(lay["packets"]):
            kind = sender.packets[i]["kind"]
            what = "packet %d (%s)" % (i, kind)
            l0, l1 = p["length"]
            cuts += [(l0 + 1, "1 byte of the length of " + what),
                     (l0 + 2, "2 bytes of the length of " + what),
                     (l1, "the length of %s, no header" % what)]
            c0, c1 = p["contents"]
            if c1 > c0:
                cuts.append((c0, "the header of %s, no contents" % what))
                if c1 - c0 > 1:
                    cuts.append((c0 + 1, "inside the contents of " + what))
                cuts.append((c1, "the contents of %s, no tag" % what))
            else:
                cuts.append((c0, "the header of %s (no contents), no tag" % what))
            a0, a1 = p["tag"]
            cuts += [(a0 + 1, "1 byte of the tag of " + what), (a1 - 1, "15 bytes of the tag of " + what)]
            if i + 1 < len(lay["packets"]):
                cuts.append((p["end"], "after %s" % what))
        for n, what in cuts:
            def mut(i_s, r_s, I_, R_, n=n):
                return (i_s[:n], None) if who == "responder" else (None, r_s[:n])
            exchange(gen, "trunc-%s-%d" % (who, n),
                     "the %s receives the first %d bytes of the %s's stream: %s" % (
                         who, n, sender.role, what),
                     {"invalid": ["Truncated"], "valid": ["CutAtBoundary"]}, ig=5, rg=6,
                     ipk=base_packets_i, rpk=base_packets_r, mutate=mut, seed=name0)


def flips(gen):
    """Bit flips in each part, both directions."""
    for who in ("responder", "initiator"):
        # the base, also for its layout
        name0 = "flip-base-" + who
        _, I, R, _, _ = exchange(gen, name0,
                                 "the unaltered exchange the flips below alter (%s's view)" % who,
                                 ["Handshake", "DecoyBeforeVersion"], ig=5, rg=6,
                                 ipk=base_packets_i, rpk=base_packets_r)
        sender = I if who == "responder" else R
        lay = layout(sender)
        pk = lay["packets"]
        # the version packet is packet 1 for the initiator (decoy first), 0 for the responder
        vi = [p["kind"] for p in sender.packets].index("version")
        first = pk[0]
        msgp = pk[vi + 1]
        cases = [
            ("key", 40, 3, ["BitFlipKey"], "bit 3 of byte 40 of the key"),
            ("garbage", lay["garbage"][0] + 2, 0, ["BitFlipGarbage"], "bit 0 of garbage byte 2"),
            ("term", lay["terminator"][0] + 7, 5, ["WrongTerminator"], "bit 5 of terminator byte 7"),
            ("len-top", first["length"][0] + 2, 7, ["BitFlipLength", "TooLarge"],
             "the top bit of the first packet's length (length + 2^23)"),
            ("len-low", msgp["length"][0], 0, ["BitFlipLength"],
             "bit 0 of a message packet's length (one byte more or less)"),
            ("header", msgp["header"][0], 7, ["BitFlipHeader"],
             "bit 7 (the ignore bit) of a message packet's encrypted header"),
            ("contents", msgp["contents"][0] + 1, 2, ["BitFlipContents"],
             "bit 2 of a message packet's contents"),
            ("tag", msgp["tag"][1] - 1, 7, ["BitFlipTag"], "bit 7 of a message packet's last tag byte"),
            ("version-tag", pk[vi]["tag"][0], 0, ["BitFlipVersion", "BitFlipTag"],
             "bit 0 of the version packet's first tag byte"),
            ("version-len", pk[vi]["length"][0] + 1, 1, ["BitFlipVersion", "BitFlipLength"],
             "bit 1 of the version packet's second length byte"),
        ]
        if who == "responder":
            cases.append(("first-tag", first["tag"][0] + 4, 4, ["BitFlipTag"],
                          "bit 4 of the first packet's (a decoy's) tag"))
        for label, pos, bit, flags, what in cases:
            def mut(i_s, r_s, I_, R_, pos=pos, bit=bit):
                if who == "responder":
                    return flip(i_s, pos, bit), None
                return None, flip(r_s, pos, bit)
            exchange(gen, "flip-%s-%s" % (who, label),
                     "the %s's stream with %s (byte %d)" % (sender.role, what, pos),
                     flags, ig=5, rg=6, ipk=base_packets_i, rpk=base_packets_r, mutate=mut,
                     seed=name0)
    # a flipped key or terminator decides at 4111 bytes when enough follows
    def long_traffic(r):
        return [version()] + [msg("ping", struct.pack("<Q", i)) for i in range(200)]
    for label, flags, what in (("key", ["BitFlipKey"], "bit 0 of key byte 63"),
                               ("term", ["WrongTerminator"], "bit 0 of the terminator's last byte")):
        def mut(i_s, r_s, I_, R_, label=label):
            pos = 63 if label == "key" else 64 + len(I_.garbage) + 15
            return flip(i_s, pos), None
        exchange(gen, "flip-long-%s" % label,
                 "%s, then 200 pings (over 4111 bytes in all): the responder fails on byte "
                 "64 + 4111" % what, flags + ["MissingTerminator"], ig=10, rg=0,
                 ipk=long_traffic, mutate=mut)


def terminators(gen):
    def long_traffic(r):
        return [version()] + [msg("ping", struct.pack("<Q", i)) for i in range(200)]

    def no_term(I, R, rng):
        I.terminator = b""
        I.conforming = False

    exchange(gen, "no-terminator-long",
             "the initiator sends no terminator, then 200 pings: the responder fails on byte "
             "64 + 4111", ["MissingTerminator"], ig=10, ipk=long_traffic, setup=no_term)
    exchange(gen, "no-terminator-short",
             "the initiator sends no terminator and only the version packet: the responder "
             "waits", ["MissingTerminator", "Truncated"], ig=10, setup=no_term)

    def other_term(I, R, rng):
        I.terminator = I.cipher(R).recv_garbage_terminator
        I.conforming = False
    exchange(gen, "other-direction-terminator",
             "the initiator sends the responder's terminator (the other half of "
             "garbage_terminators), 4095 bytes of garbage before it",
             ["WrongTerminator", "MissingTerminator"], ig=4095, setup=other_term)

    def flip_term(I, R, rng):
        I.terminator = flip(I.cipher(R).send_garbage_terminator, 0, 0)
        I.conforming = False
    exchange(gen, "flipped-terminator-4095",
             "4095 bytes of garbage and a terminator with bit 0 of its first byte flipped: the "
             "4111th byte after the key is the terminator's last, and no terminator matched",
             ["WrongTerminator", "MissingTerminator", "GarbageMax"], ig=4095, setup=flip_term)

    def flip_term_r(I, R, rng):
        R.terminator = flip(R.cipher(I).send_garbage_terminator, 15, 7)
        R.conforming = False
    exchange(gen, "flipped-terminator-4095-responder",
             "the responder's terminator with bit 7 of its last byte flipped after 4095 bytes of "
             "garbage: the initiator fails",
             ["WrongTerminator", "MissingTerminator", "GarbageMax"], rg=4095, setup=flip_term_r)

    def long_garbage(I, R, rng):
        I.garbage = I.garbage + b"\x42"
        I.conforming = False
    exchange(gen, "garbage-4096",
             "4096 bytes of garbage then the right terminator: the terminator would end on byte "
             "4112 after the key; the responder fails on byte 4111",
             ["GarbageTooLong", "MissingTerminator"], ig=4095, setup=long_garbage)

    def long_garbage_r(I, R, rng):
        R.garbage = R.garbage + b"\x42"
        R.conforming = False
    exchange(gen, "garbage-4096-responder",
             "the responder sends 4096 bytes of garbage then its terminator: the initiator fails",
             ["GarbageTooLong", "MissingTerminator"], rg=4095, setup=long_garbage_r)

    def garbage_has_term(I, R, rng):
        t = I.cipher(R).send_garbage_terminator
        I.garbage = b"\x00" * 10 + t + bytes(range(40))
    exchange(gen, "garbage-contains-terminator",
             "the initiator's garbage contains its terminator after 10 bytes: the responder "
             "stops there, authenticates 10 bytes of garbage and reads the rest as a packet",
             ["GarbageHasTerminator"], ig=0, ipk=lambda r: [version(), msg("verack")],
             setup=garbage_has_term)
    exchange(gen, "garbage-max-terminator-last",
             "4095 bytes of garbage, the terminator ends on byte 4111 after the key (valid; the "
             "last position Core accepts)", ["GarbageMax", "Handshake"], ig=4095, rg=4095,
             ipk=lambda r: [version(), msg("verack")], rpk=lambda r: [version(), msg("verack")])


def aads(gen):
    def misplace(I, R, rng):
        I.packets[0]["aad"] = b""
        I.packets[1]["aad"] = I.garbage
        I.conforming = False
    exchange(gen, "aad-on-second-packet",
             "the initiator authenticates its garbage in the version packet, after a decoy with "
             "empty AAD: the decoy fails", ["MisplacedAad", "DecoyBeforeVersion"], ig=9,
             ipk=lambda r: [decoy(b"\x01"), version(), msg("verack")], setup=misplace)

    def none_(I, R, rng):
        I.packets[0]["aad"] = b""
        I.conforming = False
    exchange(gen, "aad-missing",
             "12 bytes of garbage and a version packet with empty AAD", ["MisplacedAad"], ig=12,
             ipk=lambda r: [version(), msg("verack")], setup=none_)

    def with_term(I, R, rng):
        I.packets[0]["aad"] = I.garbage + I.cipher(R).send_garbage_terminator
        I.conforming = False
    exchange(gen, "aad-with-terminator",
             "the version packet's AAD is the garbage and the terminator", ["MisplacedAad"], ig=12,
             ipk=lambda r: [version(), msg("verack")], setup=with_term)

    def r_none(I, R, rng):
        R.packets[0]["aad"] = b""
        R.conforming = False
    exchange(gen, "aad-missing-responder",
             "the responder's version packet without its 4095 bytes of garbage as AAD: the "
             "initiator fails", ["MisplacedAad", "GarbageMax"], rg=4095, setup=r_none)

    def aad_on_empty(I, R, rng):
        I.packets[0]["aad"] = b"\x00"
        I.conforming = False
    exchange(gen, "aad-without-garbage",
             "no garbage, but the version packet authenticates one zero byte", ["MisplacedAad",
                                                                                "Garbage0"],
             ig=0, ipk=lambda r: [version(), msg("verack")], setup=aad_on_empty)


def networks(gen):
    exchange(gen, "wrong-network",
             "initiator on mainnet, responder on regtest, 4095 bytes of garbage each: both fail "
             "on byte 64 + 4111", ["WrongNetwork", "MissingTerminator"], network="regtest",
             ig=4095, rg=4095, imagic=o.NETWORK_MAGIC["mainnet"])
    exchange(gen, "wrong-network-short",
             "initiator on testnet4, responder on regtest, little garbage: neither finds a "
             "terminator, both wait", ["WrongNetwork", "Truncated"], network="regtest",
             ig=3, rg=3, imagic=o.NETWORK_MAGIC["testnet4"])


def replays(gen):
    def pk(r):
        return [version()] + [msg("ping", struct.pack("<Q", i)) for i in range(1, 6)]

    def replay(i_s, r_s, I, R):
        lay = layout(I)["packets"]
        p = lay[2]
        return i_s[:lay[3]["start"]] + i_s[p["start"]:p["end"]] + i_s[lay[3]["start"]:], None
    exchange(gen, "replayed-packet", "the initiator's packet 2 (a ping) arrives twice",
             ["Replayed"], ig=4, ipk=pk, mutate=replay)

    def replay_version(i_s, r_s, I, R):
        lay = layout(I)["packets"]
        p = lay[0]
        return i_s[:p["end"]] + i_s[p["start"]:p["end"]] + i_s[p["end"]:], None
    exchange(gen, "replayed-version", "the version packet arrives twice",
             ["Replayed", "BitFlipVersion"], ig=4, ipk=pk, mutate=replay_version)

    def swap(i_s, r_s, I, R):
        lay = layout(I)["packets"]
        a, b = lay[2], lay[3]
        return (i_s[:a["start"]] + i_s[b["start"]:b["end"]] + i_s[a["start"]:a["end"]]
                + i_s[b["end"]:]), None
    exchange(gen, "reordered-packets", "the initiator's packets 2 and 3 swapped",
             ["Reordered"], ig=4, ipk=pk, mutate=swap)

    def swap_r(i_s, r_s, I, R):
        lay = layout(R)["packets"]
        a, b = lay[1], lay[2]
        return None, (r_s[:a["start"]] + r_s[b["start"]:b["end"]] + r_s[a["start"]:a["end"]]
                      + r_s[b["end"]:])
    exchange(gen, "reordered-packets-responder",
             "the responder's packets 1 and 2 swapped: the initiator fails", ["Reordered"],
             rg=4, rpk=pk, mutate=swap_r)


def too_large(gen):
    def cut_after_length(which, idx):
        def mut(i_s, r_s, I, R):
            side, s = (I, i_s) if which == "I" else (R, r_s)
            lay = layout(side)["packets"][idx]
            cut = s[:lay["length"][1]] + s[lay["length"][1]:lay["length"][1] + 10]
            return (cut, None) if which == "I" else (None, cut)
        return mut
    for n, label in ((4000014, "4,000,014 (one over MAX_CONTENTS_LEN)"),
                     (2**24 - 1, "2^24-1, the largest the 3 bytes hold")):
        exchange(gen, "too-large-%d" % n,
                 "a block whose contents are %s bytes; the responder receives the stream up to "
                 "10 bytes past that length field and fails on the length's third byte" % label,
                 ["TooLarge", "ContentsSize"], ig=2,
                 ipk=lambda r, n=n: [version(), msg("ping", b"\x00" * 8),
                                     raw(b"\x02" + b"\x00" * (n - 1))],
                 mutate=cut_after_length("I", 2))
    exchange(gen, "too-large-decoy",
             "a decoy of 4,000,014 bytes before the version packet: the limit applies to decoys",
             ["TooLarge", "DecoyBeforeVersion"], ig=2,
             ipk=lambda r: [decoy(b"\x00" * 4000014), version()],
             mutate=cut_after_length("I", 0))
    exchange(gen, "too-large-version",
             "a version packet of 4,000,014 bytes from the responder: the initiator fails on its "
             "length", ["TooLarge", "VersionContents"], rg=2,
             rpk=lambda r: [version(b"\x00" * 4000014)], mutate=cut_after_length("R", 0))


def build_exchanges(gen):
    valid_exchanges(gen)
    truncations(gen)
    flips(gen)
    terminators(gen)
    aads(gen)
    networks(gen)
    replays(gen)
    too_large(gen)


# ---- V1Prefix ---------------------------------------------------------------------------


def v1_prefix_tests(gen):
    for net in ("regtest", "mainnet"):
        magic = o.NETWORK_MAGIC[net]
        rng = seeded("v1prefix-" + net)
        priv = (rng.getrandbits(256) % (o.N - 1) + 1).to_bytes(32, "big")
        ell, _, case = o.ellswift_create(priv, rng)
        other = o.NETWORK_MAGIC["testnet3" if net == "regtest" else "signet"]
        hdr = magic + o.V1_VERSION_COMMAND + struct.pack("<I", 102) + b"\x01\x02\x03\x04"
        cases = [
            (hdr, "a v1 version header: v1 on byte 16", ["V1Prefix"]),
            (magic + o.V1_VERSION_COMMAND, "exactly the 16-byte prefix: v1", ["V1Prefix"]),
            (magic + b"verack\x00\x00\x00\x00\x00\x00" + struct.pack("<I", 0) + b"\x5d\xf6\xe0\xe2",
             "a v1 verack header first: 'a' differs from 's' on byte 8, v2 (Core answers with "
             "its key)", ["V1Prefix"]),
            (magic + b"version\x00\x00\x00\x00\x01", "the prefix but its last byte 0x01: v2 on "
             "byte 16", ["V1Prefix"]),
            (magic[:3] + bytes([magic[3] ^ 1]) + o.V1_VERSION_COMMAND[:3],
             "the magic's last byte differs: v2 on byte 4", ["V1Prefix"]),
            (ell, "an ElligatorSwift key: v2 on its first byte", ["V1Prefix"]),
            (magic[:2] + ell[2:], "a key that starts with the magic's first 2 bytes: v2 on byte "
             "3", ["V1Prefix"]),
            (other + o.V1_VERSION_COMMAND + struct.pack("<I", 102),
             "another network's v1 version header: v2 on byte 1, then 'V1 peer with wrong "
             "MessageStart' on byte 16", ["V1WrongNetwork"]),
            (bytes([magic[0]]) + b"\x00\x00\x00" + o.V1_VERSION_COMMAND,
             "the magic's first byte then zeros, then the version command: v2 on byte 2, fails "
             "on byte 16", ["V1WrongNetwork"]),
        ]
        for data, comment, flags in cases:
            t = o.V2Transport(False, priv, ell, b"", magic)
            decided, transport, failure = None, None, None
            for i in range(len(data)):
                before = t.state
                try:
                    evs = t.feed(data[i:i + 1])
                except o.V2Error as e:
                    failure = {"error": e.error, "reason": e.reason, "offset": e.offset}
                    break
                if before == "maybe_v1" and t.state != "maybe_v1":
                    decided = i + 1
                    transport = "v1" if t.state == "v1" else "v2"
                    if transport == "v1":
                        assert evs and evs[0]["event"] == "v1"
                if t.state == "v1":
                    break
            exp = {"transport": transport, "decidedAt": decided}
            if failure:
                exp["failure"] = failure
            test = {"comment": comment, "flags": flags,
                    "result": "invalid" if failure else "valid",
                    "privkey": hexb(priv), "ellswift": hexb(ell), "ellswiftCase": case,
                    "input": hexb(data), "expect": exp}
            gen.add("V1Prefix", net, test, "invalid" if failure else "valid")


# ---- the ciphers alone ------------------------------------------------------------------


def cipher_tests(gen):
    for name in ("a", "b"):
        rng = seeded("fschacha20-" + name)
        key = bytes(rng.getrandbits(8) for _ in range(32))
        c = o.FSChaCha20(key)
        n = 450
        pt = bytes(3 * n) if name == "a" else bytes(rng.getrandbits(8) for _ in range(3 * n))
        ct = b"".join(c.crypt(pt[3 * i:3 * i + 3]) for i in range(n))
        keys = []
        c2 = o.FSChaCha20(key)
        for i in range(n):
            c2.crypt(b"\x00\x00\x00")
            if (i + 1) % o.REKEY_INTERVAL == 0:
                keys.append(hexb(c2.key))
        gen.add("FSChaCha20", None, {
            "comment": "450 chunks of 3 bytes (%s plaintext): rekeyed after chunks 223 and 447"
                       % ("zero" if name == "a" else "random"),
            "flags": ["CipherRekey"], "result": "valid", "key": hexb(key), "chunkLength": 3,
            "plaintext": hexb(pt), "ciphertext": hexb(ct), "keysAfterRekey": keys}, "valid")
    rng = seeded("fschacha20poly1305")
    key = bytes(rng.getrandbits(8) for _ in range(32))
    c = o.FSChaCha20Poly1305(key)
    msgs, keys = [], []
    for i in range(450):
        aad = bytes(rng.getrandbits(8) for _ in range(10)) if i in (0, 224, 448) else b""
        pt = bytes(rng.getrandbits(8) for _ in range(i % 7))
        ct = c.encrypt(aad, pt)
        msgs.append({"aad": hexb(aad), "plaintext": hexb(pt), "ciphertext": hexb(ct)})
        if (i + 1) % o.REKEY_INTERVAL == 0:
            keys.append(hexb(c.key))
    d = o.FSChaCha20Poly1305(key)
    for m in msgs:
        assert d.decrypt(bytes.fromhex(m["aad"]), bytes.fromhex(m["ciphertext"])) == \
            bytes.fromhex(m["plaintext"])
    gen.add("FSChaCha20Poly1305", None, {
        "comment": "450 messages of 0..6 bytes, AAD on messages 0, 224 and 448: nonce = "
                   "LE32(i mod 224) || LE64(i div 224), rekeyed after messages 223 and 447",
        "flags": ["CipherRekey"], "result": "valid", "key": hexb(key), "messages": msgs,
        "keysAfterRekey": keys}, "valid")
    # a failing one: a flipped tag on message 300; the state still advances (the BIP's crypt
    # rekeys and counts whether or not the tag verifies)
    bad = [dict(m) for m in msgs[:302]]
    ctb = bytearray(bytes.fromhex(bad[300]["ciphertext"]))
    ctb[-1] ^= 1
    bad[300]["ciphertext"] = hexb(ctb)
    bad[300]["fails"] = True
    d = o.FSChaCha20Poly1305(key)
    for m in bad:
        r = d.decrypt(bytes.fromhex(m["aad"]), bytes.fromhex(m["ciphertext"]))
        assert (r is None) == bool(m.get("fails"))
    gen.add("FSChaCha20Poly1305", None, {
        "comment": "the first 302 of the same messages, message 300's tag flipped: that "
                   "decryption fails and message 301 still decrypts (the BIP's crypt() counts "
                   "and rekeys whether or not the tag verifies)",
        "flags": ["CipherRekey", "BitFlipTag"], "result": "invalid", "key": hexb(key),
        "messages": bad}, "invalid")


# ---- replay: read the file back as a runner would ----------------------------------------


def stream_bytes(js, built=None):
    """The bytes of a stream object; for one without hex, the bytes the replaying sender
    built, checked against its length and sha256 (what the C runner does)."""
    if "hex" in js:
        b = bytes.fromhex(js["hex"])
    else:
        assert built is not None, "a stream without hex needs the sender's bytes"
        b = built
        assert b[-TAIL_LEN:].hex() == js["tail"]
    assert len(b) == js["length"] and hashlib.sha256(b).hexdigest() == js["sha256"]
    return b


def replay_side_sends(g, side, peer):
    """Build a conforming side's bytes from the file's fields through V2Transport."""
    magic = bytes.fromhex(side.get("magic", g["magic"]))
    pk = side["packets"]
    i = 0
    while pk[i]["kind"] == "decoy":
        i += 1
    t = o.V2Transport(side["_initiating"], bytes.fromhex(side["privkey"]),
                      bytes.fromhex(side["ellswift"]), bytes.fromhex(side["garbage"]), magic,
                      decoys=[(unjbytes(p["contents"]), p["header"]) for p in pk[:i]],
                      version_contents=unjbytes(pk[i]["contents"]), version_header=pk[i]["header"])
    for p in pk[i + 1:]:
        if p.get("type") is not None:
            contents = o.encode_contents(p["type"], unjbytes(p["payload"]), p["encoding"])
            assert contents == unjbytes(p["contents"])
        t.send_packet(unjbytes(p["contents"]), header=p["header"])
    t.feed(bytes.fromhex(peer["ellswift"]))
    return t.take_output()


def replay_receive(g, side, stream, bytewise):
    magic = bytes.fromhex(side.get("magic", g["magic"]))
    t = o.V2Transport(side["_initiating"], bytes.fromhex(side["privkey"]),
                      bytes.fromhex(side["ellswift"]), bytes.fromhex(side["garbage"]), magic)
    exp = side["expect"]
    want = list(exp["events"])
    fail = exp.get("failure")
    got = []
    err = None
    if bytewise:
        for n in range(1, len(stream) + 1):
            try:
                evs = t.feed(stream[n - 1:n])
            except o.V2Error as e:
                err = e
                assert e.offset == n
                break
            for ev in evs:
                assert ev["end"] == n
            got += evs
    else:
        try:
            got = t.feed(stream)
        except o.V2Error as e:
            err = e
            got = [x for x in want]   # events before a failure: checked bytewise only
    if err is None:
        got = [event_json(e) for e in got]
        assert got == want, (got[:3], want[:3])
        w = t.waiting_for()
        assert w == exp["waitingFor"]
        if fail is not None:
            assert fail["error"] == "need-more" and fail["offset"] == len(stream) and w != "idle"
        else:
            assert w == "idle"
    else:
        assert fail is not None and (err.error, err.reason, err.offset) == \
            (fail["error"], fail["reason"], fail["offset"])
        if bytewise:
            assert [event_json(e) for e in got] == want
    if any(e["event"] == "version" for e in want):
        assert t.session_id is not None or err is not None
        if t.session_id is not None:
            assert t.session_id.hex() == exp["sessionId"]


def replay(doc):
    """Every test again from the file's fields alone: conforming senders rebuilt through
    V2Transport and compared with sends (hex, or length + sha256 + tail), every receiver fed
    its stream (one byte at a time when it is under 20,000 bytes, so every event's end and
    every failure offset is the byte it happens on). Returns the number of sides replayed."""
    n = 0
    for g in doc["testGroups"]:
        if g["type"] != "V2Exchange":
            continue
        for t in g["tests"]:
            I, R = t["initiator"], t["responder"]
            I["_initiating"], R["_initiating"] = True, False
            built = {}
            for s, peer in ((I, R), (R, I)):
                if "sends" in s:
                    b = replay_side_sends(g, s, peer)
                    built[id(s)] = stream_bytes(s["sends"], b)
            for s, peer in ((I, R), (R, I)):
                if "receives" in s:
                    stream = stream_bytes(s["receives"])
                else:
                    stream = built[id(peer)]
                replay_receive(g, s, stream, bytewise=len(stream) < 20000)
                n += 1
            del I["_initiating"], R["_initiating"]
    return n


# ---- main ---------------------------------------------------------------------------------


def build():
    gen = Gen()
    build_exchanges(gen)
    v1_prefix_tests(gen)
    cipher_tests(gen)
    groups = []
    tc = 1
    for key in gen.order:
        g = gen.groups[key]
        g["description"] = GROUP_DESC[g["type"]]
        for t in g["tests"]:   # tcIds in file order
            t["tcId"] = tc
            tc += 1
        groups.append(g)
    n = sum(len(g["tests"]) for g in groups)
    doc = {
        "algorithm": "BIP324V2Transport",
        "generatorVersion": "1",
        "numberOfTests": n,
        "header": [
            "BIP324 v2 transport vectors for peershake, Wycheproof layout.",
            "Generated by vectors/gen_bip324.py with vectors/bip324_oracle.py as the oracle, which",
            "first reproduces every row of the official BIP324 CSV files (packet encoding,",
            "ElligatorSwift decoding, XSwiftECInv); see vectors/README.md for the schema.",
        ],
        "notes": {f: {"bugType": b, "description": d} for f, (b, d) in NOTES.items()},
        "testGroups": groups,
    }
    return doc, gen


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else HERE
    try:
        counts = o.self_check()
    except o.SelfCheckError as e:
        print("gen_bip324: %s" % e, file=sys.stderr)
        print("gen_bip324: refusing to write %s: vectors from an oracle that has not reproduced "
              "the official BIP324 vectors are not vectors" % OUT_NAME, file=sys.stderr)
        return 1
    del counts
    doc, gen = build()
    path = os.path.join(outdir, OUT_NAME)
    text = json.dumps(doc, indent=1, ensure_ascii=True) + "\n"
    replayed = replay(json.loads(text))
    print("replay: %d receiving sides of %d exchanges replayed from the file's fields" % (
        replayed, sum(len(g["tests"]) for g in doc["testGroups"] if g["type"] == "V2Exchange")))
    with open(path, "w") as f:
        f.write(text)
    by_type = {}
    for g in doc["testGroups"]:
        for t in g["tests"]:
            k = (g["type"], t["result"])
            by_type[k] = by_type.get(k, 0) + 1
    print("%s: %d tests (%s), %d bytes" % (
        os.path.relpath(path), doc["numberOfTests"],
        ", ".join("%s %s %d" % (k[0], k[1], v) for k, v in sorted(by_type.items())), len(text)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
