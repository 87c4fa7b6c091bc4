#!/usr/bin/python3
"""gen_btc.py: Bitcoin P2P v1 message vectors (Wycheproof-style JSON).

    /usr/bin/python3 vectors/gen_btc.py [OUT]     (default vectors/btc_messages.json)

Oracle: python-bitcoinlib 0.11.2 (Debian python3-bitcoinlib). Its classes
serialize version, verack, getaddr, ping, pong and reject, frame them
(magic, command, length, checksum) and deserialize them back; every valid
vector built from those classes is decoded again by python-bitcoinlib and its
fields compared with the values the generator chose.

Where python-bitcoinlib falls short, the bytes are built here and
cross-checked against it:
  - wtxidrelay, sendaddrv2, sendtxrcncl, sendcmpct, feefilter, sendheaders
    and unknown commands have no class: the payload is packed with struct and
    framed by hand; the frame is compared with python-bitcoinlib's own
    framing (MsgSerializable.to_bytes) of the same command and payload, and
    the checksum with bitcoin.core.serialize.Hash.
  - version messages that stop before the relay byte (or earlier) although
    their version is 70001 or more, which Core reads field by field while
    bytes remain: the payload is a prefix of python-bitcoinlib's
    serialization of the full message.
  - testnet4 is newer than python-bitcoinlib: its magic 1c163f28 is Core's
    (kernel/chainparams.cpp), set on a copy of python-bitcoinlib's params.
  - every invalid vector is a valid one changed at the byte level (magic,
    checksum, length, command bytes, CompactSize encodings, cut payloads).

Expected error classes are the names of ps_errname() (ref/core/err.c); Core's
reaction per class is in the notes (Bitcoin Core master of mid-2025:
net.cpp V1Transport::readHeader / GetReceivedMessage, net_processing.cpp
ProcessMessage, serialize.h ReadCompactSize / LIMITED_STRING).

Deterministic: a fixed seed, no clock. The output never depends on peershake.
"""

import copy
import hashlib
import io
import json
import os
import random
import struct
import sys

import bitcoin
import bitcoin.core.serialize as ser
from bitcoin.messages import (MsgSerializable, msg_getaddr, msg_ping, msg_pong, msg_reject,
                              msg_verack, msg_version)
from bitcoin.net import CAddress

SEED = 0x5EED_B7C0
MAX_PAYLOAD = 4_000_000  # MAX_PROTOCOL_MESSAGE_LENGTH
MAX_SIZE = 0x02000000  # serialize.h MAX_SIZE
MAX_SUBVERSION = 256  # MAX_SUBVERSION_LENGTH


# ---- networks ------------------------------------------------------------------


class Testnet4Params(bitcoin.TestNetParams):
    MESSAGE_START = b"\x1c\x16\x3f\x28"  # Core kernel/chainparams.cpp, CTestNet4Params
    DEFAULT_PORT = 48333


# name, python-bitcoinlib params, Core's magic: pchMessageStart in Bitcoin Core
# v31.1 src/kernel/chainparams.cpp (CMainParams, CTestNetParams, CTestNet4Params,
# SigNetParams for the default challenge, CRegTestParams)
NETWORKS = [
    ("mainnet", bitcoin.MainParams(), "f9beb4d9"),
    ("testnet3", bitcoin.TestNetParams(), "0b110907"),
    ("testnet4", Testnet4Params(), "1c163f28"),
    ("signet", bitcoin.SigNetParams(), "0a03cf40"),
    ("regtest", bitcoin.RegTestParams(), "fabfb5da"),
]
PARAMS = {name: p for name, p, _ in NETWORKS}
for _name, _p, _magic in NETWORKS:
    assert _p.MESSAGE_START.hex() == _magic, _name


def use_network(name):
    """python-bitcoinlib frames with the global bitcoin.params."""
    bitcoin.params = PARAMS[name]


# ---- byte-level helpers, each checked against python-bitcoinlib ----------------------


def compactsize(n):
    f = io.BytesIO()
    ser.VarIntSerializer.stream_serialize(n, f)
    return f.getvalue()


def varstr(b):
    f = io.BytesIO()
    ser.BytesSerializer.stream_serialize(b, f)
    return f.getvalue()


def checksum(payload):
    mine = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    assert mine == ser.Hash(payload)[:4]
    return mine


def command_bytes(name):
    b = name.encode() if isinstance(name, str) else name
    assert len(b) <= 12
    return b + b"\x00" * (12 - len(b))


class RawMsg(MsgSerializable):
    """A message python-bitcoinlib has no class for: its framing, our payload."""

    def __init__(self, command, payload):
        super().__init__()
        self.command = command
        self.payload = payload

    def msg_ser(self, f):
        f.write(self.payload)


def frame(network, command, payload, *, cmd12=None, length=None, csum=None, magic=None):
    """Header + payload, built by hand. With no overrides the result must equal
    python-bitcoinlib's framing of the same command and payload."""
    m = PARAMS[network].MESSAGE_START if magic is None else magic
    c = command_bytes(command) if cmd12 is None else cmd12
    n = len(payload) if length is None else length
    s = checksum(payload) if csum is None else csum
    out = m + c + struct.pack("<I", n) + s + payload
    if cmd12 is None and length is None and csum is None and magic is None:
        use_network(network)
        assert RawMsg(command_bytes(command).rstrip(b"\x00"), payload).to_bytes() == out
    return out


def bl_frame(network, msg):
    """python-bitcoinlib's framing of msg; checked against frame()."""
    use_network(network)
    out = msg.to_bytes()
    body = io.BytesIO()
    msg.msg_ser(body)
    assert out == frame(network, msg.command.decode(), body.getvalue())
    return out


def bl_decode(network, data):
    use_network(network)
    return MsgSerializable.from_bytes(data)


# ---- version ----------------------------------------------------------------------

IPV4_PREFIX = b"\x00" * 10 + b"\xff\xff"


def addr_obj(services, ip16, port):
    a = CAddress()
    a.nServices = services
    a.port = port
    if ip16[:12] == IPV4_PREFIX:
        a.ip = "%d.%d.%d.%d" % tuple(ip16[12:])
    else:
        import socket

        a.ip = socket.inet_ntop(socket.AF_INET6, ip16)
    return a


def addr_json(services, ip16, port):
    return {"services": str(services), "ip": ip16.hex(), "port": port}


def addr_from_bl(a):
    f = io.BytesIO()
    a.stream_serialize(f, without_time=True)
    b = f.getvalue()
    return {"services": str(struct.unpack("<Q", b[:8])[0]), "ip": b[8:24].hex(),
            "port": struct.unpack(">H", b[24:26])[0]}


class Version:
    """The fields of a version message, as the generator chooses them."""

    def __init__(self, **kw):
        self.version = kw.get("version", 70016)
        self.services = kw.get("services", 0x409)
        self.timestamp = kw.get("timestamp", 1_700_000_000)
        self.recv = kw.get("recv", (0, IPV4_PREFIX + bytes(4), 0))
        self.frm = kw.get("frm", (0x409, IPV4_PREFIX + bytes([127, 0, 0, 1]), 8333))
        self.nonce = kw.get("nonce", 0x1122334455667788)
        self.ua = kw.get("ua", b"/Satoshi:27.0.0/")
        self.height = kw.get("height", 840000)
        self.relay = kw.get("relay", 1)

    def bl(self):
        m = msg_version()
        m.nVersion = self.version
        m.nServices = self.services
        m.nTime = self.timestamp
        m.addrTo = addr_obj(*self.recv)
        m.addrFrom = addr_obj(*self.frm)
        m.nNonce = self.nonce
        m.strSubVer = self.ua
        m.nStartingHeight = self.height
        m.fRelay = self.relay
        return m

    def payload(self):
        """python-bitcoinlib's serialization of every field, relay included."""
        f = io.BytesIO()
        self.bl().msg_ser(f)
        return f.getvalue()

    # the offsets where Core may find the payload ended ("if (!vRecv.empty())")
    def cut(self, upto):
        p = self.payload()
        ua_end = 80 + len(varstr(self.ua))
        ends = {"addr_recv": 46, "nonce": 80, "user_agent": ua_end, "start_height": ua_end + 4,
                "relay": ua_end + 5}
        assert ends["relay"] == len(p)
        return p[:ends[upto]]

    def fields(self, upto="relay", trailing=0):
        order = ["addr_recv", "nonce", "user_agent", "start_height", "relay"]
        present = order[1:order.index(upto) + 1]
        f = {"version": self.version, "services": str(self.services),
             "timestamp": str(self.timestamp), "addr_recv": addr_json(*self.recv)}
        names = {"nonce": "from_nonce", "user_agent": "user_agent", "start_height": "height",
                 "relay": "relay"}
        f["present"] = [names[p] for p in present]
        if "nonce" in present:
            f["addr_from"] = addr_json(*self.frm)
            f["nonce"] = str(self.nonce)
        if "user_agent" in present:
            f["user_agent"] = self.ua.hex()
        if "start_height" in present:
            f["start_height"] = self.height
        if "relay" in present:
            f["relay"] = self.relay
        f["trailing"] = trailing
        return f

    def check_bl_decode(self, network, data, upto):
        """Decode with python-bitcoinlib where its version rules read exactly the
        fields present (>= 70001 reads relay; 209..70000 stop after the height).
        Returns True when it could check."""
        if upto == "relay" and self.version >= 70001:
            pass
        elif upto == "start_height" and 209 <= self.version < 70001:
            pass
        else:
            return False
        m = bl_decode(network, data)
        assert isinstance(m, msg_version)
        assert m.nVersion == self.version and m.nServices == self.services
        assert m.nTime == self.timestamp and m.nNonce == self.nonce
        assert m.strSubVer == self.ua and m.nStartingHeight == self.height
        assert addr_from_bl(m.addrTo) == addr_json(*self.recv)
        assert addr_from_bl(m.addrFrom) == addr_json(*self.frm)
        if upto == "relay":
            assert m.fRelay == self.relay
        return True


# ---- the file --------------------------------------------------------------------

NOTES = {
    "Normal": {"bugType": "BASIC", "coreReaction": "process",
               "description": "A well-formed message as a current peer sends it."},
    "AllNetworks": {"bugType": "BASIC", "coreReaction": "process",
                    "description": "The same message kind for every network (mainnet, testnet3, "
                                   "testnet4, signet, regtest); the decoder uses the group's magic."},
    "ExtremeValues": {"bugType": "EDGE_CASE", "coreReaction": "process",
                      "description": "Integer fields at their limits (0, -1, INT32_MIN/MAX, "
                                     "INT64_MIN/MAX, 2^64-1, port 0/65535). The codec reports "
                                     "them raw; Core clamps a negative timestamp to 0 after "
                                     "parsing."},
    "RandomValues": {"bugType": "BASIC", "coreReaction": "process",
                     "description": "Fields drawn from a seeded RNG."},
    "OldVersionNoRelay": {"bugType": "LEGACY", "coreReaction": "process",
                          "description": "A version message without the relay byte, as peers "
                                         "before 70001 (BIP 37) send it; python-bitcoinlib "
                                         "decodes it by the same rule."},
    "VersionPrefix": {"bugType": "LEGACY", "coreReaction": "process",
                      "description": "A version message that ends after addr_recv, the nonce, the "
                                     "user agent or the start height. Core reads each later group "
                                     "only 'if (!vRecv.empty())', so all are valid; the payload "
                                     "is a prefix of python-bitcoinlib's serialization."},
    "ObsoleteVersion": {"bugType": "LEGACY", "coreReaction": "disconnect",
                        "description": "Protocol version below MIN_PEER_PROTO_VERSION (31800). "
                                       "The message decodes; Core's handshake then disconnects "
                                       "('peer using obsolete version')."},
    "UserAgentEmpty": {"bugType": "EDGE_CASE", "coreReaction": "process",
                       "description": "User agent of 0 bytes."},
    "UserAgentMax": {"bugType": "EDGE_CASE", "coreReaction": "process",
                     "description": "User agent of 256 bytes, MAX_SUBVERSION_LENGTH (or 252/253, "
                                    "the CompactSize boundary)."},
    "IPv4Mapped": {"bugType": "BASIC", "coreReaction": "process",
                   "description": "Addresses as IPv4-mapped IPv6 (::ffff:a.b.c.d)."},
    "IPv6": {"bugType": "BASIC", "coreReaction": "process",
             "description": "Addresses as native IPv6."},
    "RelayNonBoolean": {"bugType": "EDGE_CASE", "coreReaction": "process",
                        "description": "Relay byte other than 0 or 1; Core reads a bool from any "
                                       "byte (non-zero is true). The codec reports the raw byte."},
    "HandshakeMessage": {"bugType": "BASIC", "coreReaction": "process",
                         "description": "verack, wtxidrelay, sendaddrv2, sendtxrcncl, sendcmpct, "
                                        "ping, pong, feefilter, sendheaders, getaddr, reject."},
    "HandBuilt": {"bugType": "BASIC", "coreReaction": "process",
                  "description": "Bytes built by the generator where python-bitcoinlib has no "
                                 "class or would not produce them; the frame is compared with "
                                 "python-bitcoinlib's MsgSerializable.to_bytes of the same "
                                 "command and payload and the checksum with "
                                 "bitcoin.core.serialize.Hash; version prefixes are cut from "
                                 "python-bitcoinlib's serialization."},
    "PingNoNonce": {"bugType": "LEGACY", "coreReaction": "process",
                    "description": "BIP 31: a ping from a peer at or below 60000 has no nonce. "
                                   "Core reads a nonce only from peers above 60000 (from those an "
                                   "empty ping fails to deserialize and is dropped)."},
    "RejectMessage": {"bugType": "LEGACY", "coreReaction": "process",
                      "description": "BIP 61 reject. Core no longer processes reject (removed in "
                                     "0.20) and ignores it as an unknown message; bcoin still "
                                     "sends it, so the codec decodes it."},
    "UnknownCommand": {"bugType": "BASIC", "coreReaction": "process",
                       "description": "A valid command string Core does not know: Core ignores "
                                      "the message, the codec returns it as UNKNOWN with its "
                                      "payload."},
    "EmptyCommand": {"bugType": "EDGE_CASE", "coreReaction": "process",
                     "description": "Twelve NUL bytes: CMessageHeader::IsMessageTypeValid accepts "
                                    "it (the NUL-padding loop passes), so it is an unknown, valid "
                                    "command."},
    "FullWidthCommand": {"bugType": "EDGE_CASE", "coreReaction": "process",
                         "description": "Twelve printable bytes and no NUL: valid for "
                                        "IsMessageTypeValid."},
    "VersionTrailingBytes": {"bugType": "EDGE_CASE", "coreReaction": "process",
                             "description": "Bytes after the relay byte of a version message. "
                                            "Core never reads them (no check that vRecv is "
                                            "empty); the codec accepts and counts them in "
                                            "'trailing'. Acceptable."},
    "TrailingBytes": {"bugType": "EDGE_CASE", "coreReaction": "process",
                      "description": "Bytes after the fields of a fixed-layout payload (verack with "
                                     "a payload, a 9-byte ping, ...). Core reads the fields it "
                                     "needs and ignores the rest, so the message is processed; a "
                                     "strict decoder may reject it with 'trailing-bytes'. "
                                     "Acceptable: either outcome, but no other error."},
    "WrongMagic": {"bugType": "MODIFIED_INPUT", "coreReaction": "disconnect",
                   "description": "Message start is not the network's: Core 'Header error: Wrong "
                                  "MessageStart', disconnect."},
    "BadChecksum": {"bugType": "MODIFIED_INPUT", "coreReaction": "drop",
                    "description": "Checksum does not match SHA256d(payload): Core 'Header error: "
                                   "Wrong checksum', drops the message and keeps the connection. "
                                   "Checked before the command."},
    "TooLarge": {"bugType": "MODIFIED_INPUT", "coreReaction": "disconnect",
                 "description": "Declared length over MAX_PROTOCOL_MESSAGE_LENGTH (4,000,000) or "
                                "MAX_SIZE: Core disconnects on the header, before any payload "
                                "byte."},
    "MaxLength": {"bugType": "EDGE_CASE", "coreReaction": "wait",
                  "description": "Declared length exactly 4,000,000: accepted, the payload is "
                                 "awaited (the input holds only the header)."},
    "Truncated": {"bugType": "TRUNCATED", "coreReaction": "wait",
                  "description": "A valid message cut at every length: the decoder needs more "
                                 "bytes ('need-more'); Core keeps reading."},
    "NonCanonicalCompactSize": {"bugType": "MALFORMED", "coreReaction": "drop",
                                "description": "A CompactSize not in its shortest form: Core "
                                               "ReadCompactSize throws 'non-canonical', the "
                                               "message fails to deserialize and is dropped."},
    "CompactSizeTooLarge": {"bugType": "MALFORMED", "coreReaction": "drop",
                            "description": "A CompactSize above MAX_SIZE (0x02000000): Core "
                                           "'ReadCompactSize(): size too large', dropped."},
    "CommandNotPadded": {"bugType": "MODIFIED_INPUT", "coreReaction": "drop",
                         "description": "A non-NUL byte after the first NUL of the command: Core "
                                        "'Header error: Invalid message type', dropped."},
    "CommandNonPrintable": {"bugType": "MODIFIED_INPUT", "coreReaction": "drop",
                            "description": "A command byte outside 0x20..0x7e before the first "
                                           "NUL: invalid message type, dropped."},
    "UserAgentTooLong": {"bugType": "MALFORMED", "coreReaction": "drop",
                         "description": "User agent over 256 bytes: Core LIMITED_STRING throws "
                                        "'String length limit exceeded', dropped."},
    "ShortPayload": {"bugType": "MALFORMED", "coreReaction": "drop",
                     "description": "A payload (with a correct length and checksum) that ends "
                                    "inside a field: Core's deserialization throws, the message "
                                    "is dropped."},
    "GarbageAfterMessage": {"bugType": "MODIFIED_INPUT", "coreReaction": "disconnect",
                            "description": "Bytes after a complete message that are not a "
                                           "message: they are read as the next header, whose "
                                           "magic is wrong, so Core disconnects after processing "
                                           "the first message."},
    "LengthTooShort": {"bugType": "MODIFIED_INPUT", "coreReaction": "drop",
                       "description": "Declared length shorter than the payload sent: the "
                                      "checksum covers the whole payload, so the shortened "
                                      "message fails its checksum and is dropped; the rest is "
                                      "read as the next header."},
    "DropThenContinue": {"bugType": "MODIFIED_INPUT", "coreReaction": "drop",
                         "description": "A dropped message (bad checksum or command) between "
                                        "valid ones: the stream continues with the next "
                                        "message."},
}

HEADER = [
    "Bitcoin P2P v1 message vectors for peershake, Wycheproof layout.",
    "Generated by vectors/gen_btc.py (seed fixed) with python-bitcoinlib 0.11.2 as the oracle;",
    "see vectors/README.md for the schema and how the runner reads it.",
]


class Writer:
    def __init__(self):
        self.groups = []
        self.tc = 0
        self.used_flags = set()

    def group(self, gtype, network, source, description):
        g = {"type": gtype, "network": network, "magic": PARAMS[network].MESSAGE_START.hex(),
             "source": source, "description": description, "tests": []}
        self.groups.append(g)
        return g

    def add(self, g, comment, flags, data, result, *, message=None, error=None, core=None,
            extra=None):
        assert result in ("valid", "invalid", "acceptable")
        for f in flags:
            assert f in NOTES, f
            self.used_flags.add(f)
        if core is None:
            cores = {NOTES[f]["coreReaction"] for f in flags} - {"process"}
            assert len(cores) <= 1, (comment, cores)
            core = cores.pop() if cores else "process"
        self.tc += 1
        t = {"tcId": self.tc, "comment": comment, "flags": flags, "input": data.hex(),
             "result": result, "coreReaction": core}
        if len(data) >= 24:
            t["messageSize"] = 24 + struct.unpack("<I", data[16:20])[0]
        if message is not None:
            t["message"] = message
        if error is not None:
            t["error"] = error
        if extra:
            t.update(extra)
        if g["type"] == "StreamDecode":
            assert extra and "events" in extra and message is None
            assert (result == "valid") == (error is None)
        elif result == "valid":
            assert message is not None and error is None
        elif result == "invalid":
            assert error is not None and message is None
        else:
            assert message is not None or error is not None
        g["tests"].append(t)
        return t

    def dump(self, path):
        notes = {k: v for k, v in NOTES.items() if k in self.used_flags}
        doc = {
            "algorithm": "BitcoinP2Pv1Message",
            "generatorVersion": "1",
            "numberOfTests": self.tc,
            "header": HEADER,
            "notes": notes,
            "schema": "vectors/README.md#btc_messagesjson",
            "testGroups": self.groups,
        }
        text = json.dumps(doc, indent=1, ensure_ascii=True) + "\n"
        with open(path, "w") as f:
            f.write(text)


def msg_json(command, fields=None, payload=b"", cmd12=None):
    m = {"command": command, "commandBytes": (cmd12 or command_bytes(command)).hex(),
         "payload": payload.hex()}
    if fields is not None:
        m["fields"] = fields
    return m


def version_msg(v, payload, upto="relay", trailing=0):
    return msg_json("version", v.fields(upto, trailing), payload)


# ---- the groups ------------------------------------------------------------------------


def rand_ip(rng, v4):
    if v4:
        return IPV4_PREFIX + bytes(rng.randrange(256) for _ in range(4))
    while True:
        ip = bytes(rng.randrange(256) for _ in range(16))
        if ip[:12] != IPV4_PREFIX:
            return ip


def rand_version(rng, v4=True):
    return Version(
        version=rng.choice([70016, 70015, 70002, 70001, 70016 + rng.randrange(1, 1000)]),
        services=rng.getrandbits(64) if rng.random() < 0.3 else rng.choice([1, 9, 0x409, 0xc09, 0x40d]),
        timestamp=rng.randrange(0, 2 ** 33),
        recv=(rng.choice([0, 1, 9]), rand_ip(rng, v4), rng.randrange(65536)),
        frm=(rng.getrandbits(64), rand_ip(rng, v4), rng.randrange(65536)),
        nonce=rng.getrandbits(64),
        ua=("/Satoshi:%d.%d.%d/" % (rng.randrange(30), rng.randrange(30), rng.randrange(10))).encode(),
        height=rng.randrange(0, 2 ** 31),
        relay=rng.randrange(2),
    )


def valid_versions(w, rng):
    for net, _, _ in NETWORKS:
        g = w.group("MessageDecode", net, "python-bitcoinlib msg_version",
                    "Valid version messages on %s: random and extreme values, IPv4-mapped and "
                    "IPv6 addresses, user agents of 0 and 256 bytes." % net)
        cases = []
        for i in range(4):
            cases.append(("random fields, IPv4-mapped addresses", ["RandomValues", "AllNetworks",
                                                                   "IPv4Mapped"],
                          rand_version(rng, v4=True)))
        for i in range(2):
            cases.append(("random fields, IPv6 addresses", ["RandomValues", "AllNetworks", "IPv6"],
                          rand_version(rng, v4=False)))
        cases.append(("Core v27-like version (70016, NETWORK|WITNESS|NETWORK_LIMITED)",
                      ["Normal", "AllNetworks", "IPv4Mapped"], Version()))
        cases.append(("maximum values: version INT32_MAX, services 2^64-1, timestamp INT64_MAX, "
                      "nonce 2^64-1, height INT32_MAX, ports 65535",
                      ["ExtremeValues", "IPv6"],
                      Version(version=2 ** 31 - 1, services=2 ** 64 - 1, timestamp=2 ** 63 - 1,
                              recv=(2 ** 64 - 1, b"\xff" * 16, 65535),
                              frm=(2 ** 64 - 1, b"\xff" * 16, 65535), nonce=2 ** 64 - 1,
                              height=2 ** 31 - 1, relay=1)))
        cases.append(("zero values: services 0, timestamp 0, nonce 0, height 0, addresses ::, "
                      "ports 0, relay 0",
                      ["ExtremeValues", "IPv6"],
                      Version(version=70016, services=0, timestamp=0, recv=(0, bytes(16), 0),
                              frm=(0, bytes(16), 0), nonce=0, height=0, relay=0)))
        cases.append(("negative values: timestamp INT64_MIN, height -1 (python-bitcoinlib's default)",
                      ["ExtremeValues"],
                      Version(timestamp=-2 ** 63, height=-1)))
        cases.append(("height INT32_MIN, timestamp -1",
                      ["ExtremeValues"], Version(timestamp=-1, height=-2 ** 31)))
        cases.append(("user agent of 0 bytes", ["UserAgentEmpty"], Version(ua=b"")))
        cases.append(("user agent of 256 bytes (MAX_SUBVERSION_LENGTH), CompactSize fd0001",
                      ["UserAgentMax"], Version(ua=bytes(rng.randrange(0x20, 0x7f)
                                                         for _ in range(256)))))
        for note, flags, v in cases:
            data = bl_frame(net, v.bl())
            assert v.check_bl_decode(net, data, "relay")
            w.add(g, note, flags, data, "valid", message=version_msg(v, v.payload()))

    g = w.group("MessageDecode", "mainnet", "python-bitcoinlib msg_version",
                "Valid version messages: boundaries of the user agent's CompactSize, raw relay "
                "bytes, IPv4-mapped edge addresses.")
    more = [
        ("user agent of 252 bytes: the longest one-byte CompactSize", ["UserAgentMax"],
         Version(ua=b"a" * 252)),
        ("user agent of 253 bytes: CompactSize fdfd00, the shortest three-byte form",
         ["UserAgentMax"], Version(ua=b"b" * 253)),
        ("user agent with bytes outside ASCII (Core sanitizes it after parsing)", ["Normal"],
         Version(ua=bytes(range(0x00, 0x100, 7)))),
        ("relay byte 2 (Core reads any non-zero byte as true)", ["RelayNonBoolean"],
         Version(relay=2)),
        ("relay byte 255", ["RelayNonBoolean"], Version(relay=255)),
        ("IPv4-mapped 255.255.255.255 and 0.0.0.0", ["IPv4Mapped", "ExtremeValues"],
         Version(recv=(1, IPV4_PREFIX + b"\xff" * 4, 1), frm=(1, IPV4_PREFIX + bytes(4), 65535))),
        ("IPv6 ::1 and 2001:db8::1", ["IPv6"],
         Version(recv=(9, bytes(15) + b"\x01", 8333),
                 frm=(9, bytes.fromhex("20010db8000000000000000000000001"), 18333))),
        ("version 70002 (python-bitcoinlib reads relay from 70001 on)", ["Normal"],
         Version(version=70002)),
        ("version 70001, the first with the relay byte (BIP 37)", ["Normal"],
         Version(version=70001, relay=0)),
    ]
    for note, flags, v in more:
        data = bl_frame("mainnet", v.bl())
        assert v.check_bl_decode("mainnet", data, "relay")
        w.add(g, note, flags, data, "valid", message=version_msg(v, v.payload()))


def old_versions(w, rng):
    g = w.group("MessageDecode", "mainnet", "python-bitcoinlib msg_version (prefixes)",
                "Version messages of old peers: no relay byte, or ending after an earlier group "
                "of fields.")
    # python-bitcoinlib's reader stops before relay below 70001: these it checks.
    for ver in (70000, 60002, 60001, 31800, 31402, 209):
        v = Version(version=ver, ua=b"/Satoshi:0.%d/" % (ver // 1000), height=rng.randrange(10 ** 6))
        payload = v.cut("start_height")
        data = frame("mainnet", "version", payload)
        assert v.check_bl_decode("mainnet", data, "start_height")
        flags = ["OldVersionNoRelay"] + (["ObsoleteVersion"] if ver < 31800 else [])
        w.add(g, "version %d without the relay byte" % ver, flags, data, "valid",
              message=version_msg(v, payload, "start_height"))
    # Newer versions without relay, and shorter prefixes: Core reads what is there.
    for ver, upto in ((70016, "start_height"), (70015, "start_height"), (70016, "user_agent"),
                      (70016, "nonce"), (70016, "addr_recv"), (60002, "user_agent"),
                      (106, "user_agent"), (31799, "addr_recv"), (105, "addr_recv")):
        v = Version(version=ver, height=rng.randrange(10 ** 6), nonce=rng.getrandbits(64))
        payload = v.cut(upto)
        data = frame("mainnet", "version", payload)
        flags = ["VersionPrefix", "HandBuilt"] + (["ObsoleteVersion"] if ver < 31800 else [])
        w.add(g, "version %d ending after %s" % (ver, upto), flags, data, "valid",
              message=version_msg(v, payload, upto))


def other_messages(w, rng):
    g = w.group("MessageDecode", "mainnet", "python-bitcoinlib classes and hand-built payloads",
                "The handshake's other messages.")
    data = bl_frame("mainnet", msg_verack())
    assert isinstance(bl_decode("mainnet", data), msg_verack)
    w.add(g, "verack", ["HandshakeMessage"], data, "valid", message=msg_json("verack", {}))
    data = bl_frame("mainnet", msg_getaddr())
    assert isinstance(bl_decode("mainnet", data), msg_getaddr)
    w.add(g, "getaddr", ["HandshakeMessage"], data, "valid", message=msg_json("getaddr", {}))
    for nonce in (0, 2 ** 64 - 1, rng.getrandbits(64)):
        for cls, name in ((msg_ping, "ping"), (msg_pong, "pong")):
            data = bl_frame("mainnet", cls(nonce=nonce))
            assert bl_decode("mainnet", data).nonce == nonce
            w.add(g, "%s with nonce %d" % (name, nonce), ["HandshakeMessage"], data, "valid",
                  message=msg_json(name, {"nonce": str(nonce), "has_nonce": True},
                                   struct.pack("<Q", nonce)))
    data = frame("mainnet", "ping", b"")
    w.add(g, "ping without a nonce (BIP 31, peers <= 60000)", ["PingNoNonce", "HandBuilt"], data,
          "valid", message=msg_json("ping", {"has_nonce": False}))
    for name in ("wtxidrelay", "sendaddrv2", "sendheaders"):
        data = frame("mainnet", name, b"")
        w.add(g, name + " (empty payload)", ["HandshakeMessage", "HandBuilt"], data, "valid",
              message=msg_json(name, {}))
    for ver, salt in ((1, rng.getrandbits(64)), (0, 0), (2 ** 32 - 1, 2 ** 64 - 1)):
        p = struct.pack("<IQ", ver, salt)
        w.add(g, "sendtxrcncl version %d (BIP 330)" % ver, ["HandshakeMessage", "HandBuilt"],
              frame("mainnet", "sendtxrcncl", p), "valid",
              message=msg_json("sendtxrcncl", {"version": ver, "salt": str(salt)}, p))
    for announce, ver in ((0, 2), (1, 2), (0, 1), (255, 2 ** 64 - 1)):
        p = struct.pack("<BQ", announce, ver)
        w.add(g, "sendcmpct announce %d version %d (BIP 152)" % (announce, ver),
              ["HandshakeMessage", "HandBuilt"], frame("mainnet", "sendcmpct", p), "valid",
              message=msg_json("sendcmpct", {"announce": announce, "version": str(ver)}, p))
    for fee in (1000, 0, -1, 2 ** 63 - 1, -2 ** 63):
        p = struct.pack("<q", fee)
        w.add(g, "feefilter %d sat/kvB (BIP 133)" % fee, ["HandshakeMessage", "HandBuilt"]
              + (["ExtremeValues"] if fee not in (1000,) else []),
              frame("mainnet", "feefilter", p), "valid",
              message=msg_json("feefilter", {"feerate": str(fee)}, p))
    # reject: python-bitcoinlib writes message, ccode, reason; the 32-byte data is ours.
    for message, code, reason, data32 in ((b"version", 0x11, b"obsolete", None),
                                          (b"tx", 0x10, b"bad-txns-inputs-missingorspent",
                                           bytes(rng.randrange(256) for _ in range(32))),
                                          (b"", 0x01, b"", None)):
        m = msg_reject()
        m.message, m.ccode, m.reason = message, bytes([code]), reason
        data = bl_frame("mainnet", m)
        d = bl_decode("mainnet", data)
        assert (d.message, d.ccode, d.reason) == (message, bytes([code]), reason)
        flags = ["RejectMessage"]
        if data32 is not None:
            body = data[24:] + data32
            data = frame("mainnet", "reject", body)
            flags.append("HandBuilt")
        fields = {"message": message.hex(), "code": code, "reason": reason.hex()}
        if data32 is not None:
            fields["data"] = data32.hex()
        w.add(g, "reject %r code 0x%02x%s" % (message.decode(), code,
                                                " with 32-byte data" if data32 else ""),
              flags, data, "valid", message=msg_json("reject", fields, data[24:]))
    # unknown and edge commands
    for cmd12, note, flags in (
            (command_bytes("sendcmpct2"), "unknown command 'sendcmpct2'", ["UnknownCommand"]),
            (command_bytes("VERSION"), "'VERSION' (commands are case-sensitive)", ["UnknownCommand"]),
            (b"\x00" * 12, "twelve NULs (an empty, valid command)", ["EmptyCommand"]),
            (b"abcdefghijkl", "twelve printable bytes, no NUL", ["FullWidthCommand"]),
            (b"version\x20\x00\x00\x00\x00", "'version ' with a space (printable, unknown)",
             ["UnknownCommand"]),
            (b"~" * 12, "twelve '~' (0x7e, the last printable byte)", ["FullWidthCommand"])):
        payload = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
        data = frame("mainnet", None, payload, cmd12=cmd12)
        use_network("mainnet")
        assert data == RawMsg(cmd12, payload).to_bytes()
        w.add(g, note, flags + ["HandBuilt"], data, "valid",
              message=msg_json("", {}, payload, cmd12=cmd12))


def trailing_bytes(w, rng):
    g = w.group("MessageDecode", "mainnet", "python-bitcoinlib serialization + appended bytes",
                "Bytes after the last field of a payload (inside the declared length).")
    v = Version()
    for extra in (b"\x00", b"\x01\x02\x03", bytes(64)):
        payload = v.payload() + extra
        w.add(g, "version with %d byte(s) after the relay byte" % len(extra),
              ["VersionTrailingBytes", "HandBuilt"], frame("mainnet", "version", payload),
              "acceptable", message=version_msg(v, payload, "relay", len(extra)))
    for name, fields, body in (("verack", {}, b""), ("wtxidrelay", {}, b""), ("sendaddrv2", {}, b""),
                               ("getaddr", {}, b""),
                               ("ping", {"nonce": "1", "has_nonce": True}, struct.pack("<Q", 1)),
                               ("pong", {"nonce": "2", "has_nonce": True}, struct.pack("<Q", 2)),
                               ("feefilter", {"feerate": "1000"}, struct.pack("<q", 1000)),
                               ("sendcmpct", {"announce": 0, "version": "2"}, struct.pack("<BQ", 0, 2)),
                               ("sendtxrcncl", {"version": 1, "salt": "7"}, struct.pack("<IQ", 1, 7))):
        payload = body + b"\xee"
        w.add(g, "%s with one byte after its fields (Core ignores it)" % name,
              ["TrailingBytes", "HandBuilt"], frame("mainnet", name, payload), "acceptable",
              message=msg_json(name, fields, payload), error="trailing-bytes")


def truncations(w):
    g = w.group("MessageDecode", "mainnet", "python-bitcoinlib msg_version, msg_verack, msg_ping",
                "Every proper prefix of valid messages: need more bytes.")
    for msg, name in ((Version(ua=b"/peershake:0.1.0/").bl(), "version"), (msg_verack(), "verack"),
                      (msg_ping(nonce=0x0102030405060708), "ping")):
        data = bl_frame("mainnet", msg)
        for n in range(len(data)):
            w.add(g, "%s (%d bytes) cut to %d bytes" % (name, len(data), n), ["Truncated"],
                  data[:n], "invalid", error="need-more")


def header_errors(w, rng):
    v = Version()
    good = bl_frame("mainnet", v.bl())
    payload = good[24:]

    g = w.group("MessageDecode", "mainnet", "python-bitcoinlib framing, header bytes changed",
                "Wrong magic, checksum, length and command bytes.")
    for net, params, magic in NETWORKS:
        if net == "mainnet":
            continue
        data = bl_frame(net, v.bl())
        w.add(g, "%s version given to a mainnet decoder" % net, ["WrongMagic"], data, "invalid",
              error="bad-magic")
    for magic in (b"\xf9\xbe\xb4\xd8", b"\x00\x00\x00\x00", b"\xd9\xb4\xbe\xf9"):
        data = frame("mainnet", "version", payload, magic=magic)
        w.add(g, "magic %s (one bit off / zero / byte-reversed)" % magic.hex(), ["WrongMagic"],
              data, "invalid", error="bad-magic")
    data = frame("mainnet", "version", payload, magic=b"\x00\x00\x00\x00", length=MAX_PAYLOAD + 1)
    w.add(g, "wrong magic and too large: the magic is checked first", ["WrongMagic"], data[:24],
          "invalid", error="bad-magic")
    data = frame("mainnet", None, payload, magic=b"\x01\x02\x03\x04", cmd12=b"\x01" * 12)
    w.add(g, "wrong magic and invalid command: the magic is checked first", ["WrongMagic"], data,
          "invalid", error="bad-magic")

    for i, flip in enumerate((0x01, 0x80)):
        c = bytearray(checksum(payload))
        c[i * 3] ^= flip
        w.add(g, "checksum byte %d flipped (0x%02x)" % (i * 3, flip), ["BadChecksum"],
              frame("mainnet", "version", payload, csum=bytes(c)), "invalid", error="bad-checksum")
    w.add(g, "checksum zero on an empty verack (SHA256d('') starts 5df6e0e2)", ["BadChecksum"],
          frame("mainnet", "verack", b"", csum=bytes(4)), "invalid", error="bad-checksum")
    body = bytearray(payload)
    body[30] ^= 0x10
    w.add(g, "payload byte changed after the checksum was computed", ["BadChecksum"],
          frame("mainnet", "version", bytes(body), csum=checksum(payload)), "invalid",
          error="bad-checksum")
    w.add(g, "bad checksum and invalid command: the checksum is checked first (Core's order)",
          ["BadChecksum"], frame("mainnet", None, payload, cmd12=b"vers\x01on\x00\x00\x00\x00\x00",
                                 csum=b"\x00\x00\x00\x00"), "invalid", error="bad-checksum")
    w.add(g, "bad checksum on an incomplete payload: more bytes are needed first",
          ["Truncated"], frame("mainnet", "version", payload, csum=bytes(4))[:60], "invalid",
          error="need-more")

    for n in (MAX_PAYLOAD + 1, MAX_SIZE + 1, 2 ** 32 - 1):
        hdr = frame("mainnet", "version", b"", length=n, csum=bytes(4))
        w.add(g, "declared length %d (over 4,000,000), header only" % n, ["TooLarge"], hdr,
              "invalid", error="too-large")
    hdr = frame("mainnet", None, b"", length=MAX_PAYLOAD + 1, csum=bytes(4),
                cmd12=b"\x00bad\x00\x00\x00\x00\x00\x00\x00\x00")
    w.add(g, "too large with an invalid command: the length is checked first", ["TooLarge"], hdr,
          "invalid", error="too-large")
    hdr = frame("mainnet", "block", b"", length=MAX_PAYLOAD, csum=bytes(4))
    w.add(g, "declared length exactly 4,000,000, header only: the payload is awaited",
          ["MaxLength"], hdr, "invalid", error="need-more")
    hdr = frame("mainnet", "version", payload, length=len(payload) + 1)
    w.add(g, "declared length one more than the payload sent", ["Truncated"], hdr, "invalid",
          error="need-more")

    for cmd12, note, flag in (
            (b"version\x00\x00\x00\x00x", "'version' then NULs then 'x'", "CommandNotPadded"),
            (b"verack\x00\x01\x00\x00\x00\x00", "'verack', NUL, 0x01", "CommandNotPadded"),
            (b"\x00version\x00\x00\x00\x00", "a NUL before 'version'", "CommandNotPadded"),
            (b"ver\x00ack\x00\x00\x00\x00\x00", "'ver' NUL 'ack'", "CommandNotPadded"),
            (b"vers\x01on\x00\x00\x00\x00\x00", "0x01 inside 'version'", "CommandNonPrintable"),
            (b"version\x7f\x00\x00\x00\x00", "0x7f (DEL) after 'version'", "CommandNonPrintable"),
            (b"version\x80\x00\x00\x00\x00", "0x80 after 'version'", "CommandNonPrintable"),
            (b"\x1f" + b"\x00" * 11, "0x1f alone", "CommandNonPrintable"),
            (b"verack\n\x00\x00\x00\x00\x00", "a newline after 'verack'", "CommandNonPrintable"),
            (b"\xff" * 12, "twelve 0xff bytes", "CommandNonPrintable")):
        data = frame("mainnet", None, payload, cmd12=cmd12)
        w.add(g, "command %s" % note, [flag], data, "invalid", error="bad-command")


def payload_errors(w, rng):
    g = w.group("MessageDecode", "mainnet", "python-bitcoinlib serialization, payload bytes changed",
                "Payloads with a correct length and checksum whose fields do not parse.")
    v = Version()
    full = v.payload()
    ua_at = 80  # the user agent's CompactSize starts after addr_recv, addr_from and nonce
    tail = full[ua_at + len(varstr(v.ua)):]  # start height + relay

    def vmsg(body):
        return frame("mainnet", "version", body)

    for prefix, n, note in ((b"\xfd", 16, "fd1000 for 16"), (b"\xfd", 0, "fd0000 for 0"),
                            (b"\xfd", 252, "fdfc00 for 252 (one byte would do)"),
                            (b"\xfe", 16, "fe10000000 for 16"),
                            (b"\xfe", 0xffff, "feffff0000 for 65535 (three bytes would do)"),
                            (b"\xff", 16, "ff1000000000000000 for 16")):
        width = {b"\xfd": "<H", b"\xfe": "<I", b"\xff": "<Q"}[prefix]
        ua = bytes(rng.randrange(0x20, 0x7f) for _ in range(min(n, 300)))
        body = full[:ua_at] + prefix + struct.pack(width, n) + ua + tail
        if n > 256:
            body = full[:ua_at] + prefix + struct.pack(width, n) + ua
        w.add(g, "user agent length as a non-canonical CompactSize: %s" % note,
              ["NonCanonicalCompactSize", "HandBuilt"], vmsg(body), "invalid", error="noncanonical")
    for n in (257, 300, 0xfffc):
        body = full[:ua_at] + compactsize(n) + b"u" * min(n, 400) + tail
        w.add(g, "user agent of %d bytes (over 256)" % n, ["UserAgentTooLong", "HandBuilt"],
              vmsg(body), "invalid", error="too-large")
    for cs, note in ((b"\xfe\x01\x00\x00\x02", "0x02000001"),
                     (b"\xff\x00\x00\x00\x00\x01\x00\x00\x00", "2^32"),
                     (b"\xff" * 9, "2^64-1")):
        body = full[:ua_at] + cs + b"x" * 8
        w.add(g, "user agent CompactSize %s (over MAX_SIZE)" % note,
              ["CompactSizeTooLarge", "HandBuilt"], vmsg(body), "invalid", error="too-large")
    body = full[:ua_at] + compactsize(20) + b"/Satoshi:2"
    w.add(g, "user agent declares 20 bytes, the payload ends after 10",
          ["ShortPayload", "HandBuilt"], vmsg(body), "invalid", error="malformed")
    body = full[:ua_at] + b"\xfd\x00"
    w.add(g, "user agent CompactSize fd cut after one of its two bytes",
          ["ShortPayload", "HandBuilt"], vmsg(body), "invalid", error="malformed")
    for n, note in ((0, "an empty version payload"), (3, "3 bytes (inside the version field)"),
                    (30, "30 bytes (inside addr_recv)"), (45, "45 bytes (addr_recv missing a byte)"),
                    (47, "47 bytes (one byte of addr_from)"), (79, "79 bytes (nonce missing a byte)"),
                    (len(full) - 3, "cut inside the start height")):
        w.add(g, "version payload of %s" % note, ["ShortPayload", "HandBuilt"], vmsg(full[:n]),
              "invalid", error="malformed")
    for name, body in (("ping", b"\x01\x02\x03\x04"), ("pong", b""), ("pong", b"\x01" * 7),
                       ("feefilter", b"\x00" * 7), ("sendcmpct", b"\x01"), ("sendcmpct", b"\x00" * 8),
                       ("sendtxrcncl", b"\x00" * 11), ("sendtxrcncl", b"\x01\x00\x00\x00")):
        w.add(g, "%s with a %d-byte payload" % (name, len(body)), ["ShortPayload", "HandBuilt"],
              frame("mainnet", name, body), "invalid", error="malformed")


def streams(w, rng):
    g = w.group("StreamDecode", "mainnet", "python-bitcoinlib framing, concatenated",
                "Several messages in one buffer: decode, skip a dropped message by its declared "
                "length, stop at a disconnect class.")
    ver = bl_frame("mainnet", Version().bl())
    verack = bl_frame("mainnet", msg_verack())
    ping = bl_frame("mainnet", msg_ping(nonce=42))

    def ev(kind, data, cls=None, command=None):
        e = {"event": kind, "size": len(data)}
        if cls:
            e["error"] = cls
        if command is not None:
            e["command"] = command
        return e

    # garbage after a message: read as the next header
    for garbage, note in ((bytes(rng.randrange(256) for _ in range(24)), "24 random bytes"),
                          (b"\x00" * 40, "40 NUL bytes"),
                          (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "an HTTP request")):
        data = verack + garbage
        w.add(g, "verack followed by %s" % note, ["GarbageAfterMessage"], data, "invalid",
              error="bad-magic",
              extra={"events": [ev("message", verack, command="verack")], "remaining": len(garbage)})
    data = ver + b"\xf9\xbe\xb4"
    w.add(g, "version followed by 3 bytes of a next header", ["Truncated"], data, "invalid",
          error="need-more", extra={"events": [ev("message", ver, command="version")], "remaining": 3})
    data = ver + verack + ping
    w.add(g, "version, verack, ping back to back", ["Normal"], data, "valid",
          extra={"events": [ev("message", ver, command="version"),
                            ev("message", verack, command="verack"),
                            ev("message", ping, command="ping")], "remaining": 0})
    bad = frame("mainnet", "ping", struct.pack("<Q", 7), csum=b"\xde\xad\xbe\xef")
    data = ver + bad + verack
    w.add(g, "a ping with a bad checksum between version and verack", ["DropThenContinue"], data,
          "valid",
          extra={"events": [ev("message", ver, command="version"), ev("dropped", bad, "bad-checksum"),
                            ev("message", verack, command="verack")], "remaining": 0})
    badcmd = frame("mainnet", None, b"", cmd12=b"ver\x00ack\x00\x00\x00\x00\x00")
    data = badcmd + verack
    w.add(g, "a message with an invalid command, then verack", ["DropThenContinue"], data, "valid",
          extra={"events": [ev("dropped", badcmd, "bad-command"),
                            ev("message", verack, command="verack")], "remaining": 0})
    body = struct.pack("<Q", 99)
    lie = frame("mainnet", "ping", body, length=4)  # checksum over 8 bytes, length says 4
    w.add(g, "ping whose declared length (4) is shorter than its payload (8)", ["LengthTooShort"],
          lie, "invalid", error="need-more",
          extra={"events": [ev("dropped", lie[:28], "bad-checksum")], "remaining": 4})
    data = lie + b"\x00" * 20
    w.add(g, "the same followed by 20 more bytes: the rest is a header with a wrong magic",
          ["LengthTooShort"], data, "invalid", error="bad-magic",
          extra={"events": [ev("dropped", lie[:28], "bad-checksum")], "remaining": 24},
          core="disconnect")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                              "btc_messages.json")
    rng = random.Random(SEED)
    w = Writer()
    valid_versions(w, rng)
    old_versions(w, rng)
    other_messages(w, rng)
    trailing_bytes(w, rng)
    header_errors(w, rng)
    payload_errors(w, rng)
    streams(w, rng)
    truncations(w)
    w.dump(out)
    counts = {}
    for g in w.groups:
        for t in g["tests"]:
            counts[t["result"]] = counts.get(t["result"], 0) + 1
    print("%s: %d tests (%s)" % (os.path.relpath(out), w.tc,
                                  ", ".join("%s %d" % kv for kv in sorted(counts.items()))))


if __name__ == "__main__":
    main()
