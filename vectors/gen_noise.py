#!/usr/bin/python3
"""gen_noise.py: Noise_NNpsk2_25519_ChaChaPoly_{BLAKE2s,BLAKE2b,SHA256,SHA512} vectors
in cacophony's JSON format.

    /usr/bin/python3 vectors/gen_noise.py [OUTDIR]     (default: vectors/)

writes noise_nnpsk2_<hash>.json, one file per hash, the same scenarios in each.

Oracles (Debian packages):
  - dissononce 0.34.3 (python3-dissononce) runs every handshake and transport
    message: NNpsk2 is PSKPatternModifier(2).modify(NNHandshakePattern()) with
    psks=(psk,); the ephemeral keys are fixed by a DH whose generate_keypair
    returns the vector's key (dissononce asserts e is empty at the e token, so
    it cannot be passed to initialize()).
  - python3-cryptography (38.0.4): a second, separate implementation of the
    protocol written here from the specification (revision 34: HKDF, MixKey,
    MixHash, MixKeyAndHash, EncryptAndHash, Split) straight on cryptography's
    X25519, ChaCha20Poly1305, HMAC and hashes. Every message, payload and
    handshake hash of every vector must be identical in both, and every
    "fail" case must fail in both.

Messages over 65535 bytes: the specification (section 3: "All Noise messages
are less than or equal to 65535 bytes in length") forbids them, dissononce
does not check. The oversize cases are messages dissononce produced without the check
(well formed but for their size; the generator verifies that they decrypt);
the expected behaviour (refuse to write, refuse to read) is the
specification's.

Fail cases ("fail": true) carry extra keys the runner reads (vectors/README.md):
fail_index, fail_kind, fail_side, fail_error, and in the failing message
genuine_ciphertext when the bytes were altered in transit.

Deterministic: one fixed seed per hash, no clock, no OS randomness.
"""

import json
import os
import random
import struct
import sys

from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from dissononce.cipher.chachapoly import ChaChaPolyCipher
from dissononce.dh.x25519.private import PrivateKey
from dissononce.dh.x25519.x25519 import X25519DH
from dissononce.exceptions.decrypt import DecryptFailedException
from dissononce.hash.blake2b import Blake2bHash
from dissononce.hash.blake2s import Blake2sHash
from dissononce.hash.sha256 import SHA256Hash
from dissononce.hash.sha512 import SHA512Hash
from dissononce.processing.handshakepatterns.interactive.NN import NNHandshakePattern
from dissononce.processing.impl.cipherstate import CipherState
from dissononce.processing.impl.handshakestate import HandshakeState
from dissononce.processing.impl.symmetricstate import SymmetricState
from dissononce.processing.modifiers.psk import PSKPatternModifier

MAX_MSG = 65535
DHLEN, TAGLEN = 32, 16
HS_FIXED = DHLEN + TAGLEN  # e + the tag of the (possibly empty) payload, both messages
HS_MAX_PAYLOAD = MAX_MSG - HS_FIXED  # 65487
T_MAX_PAYLOAD = MAX_MSG - TAGLEN  # 65519

HASHES = {  # name: (dissononce class, cryptography algorithm factory, HASHLEN, seed)
    "BLAKE2s": (Blake2sHash, lambda: hashes.BLAKE2s(32), 32, 0x0B2500),
    "BLAKE2b": (Blake2bHash, lambda: hashes.BLAKE2b(64), 64, 0x0B2B00),
    "SHA256": (SHA256Hash, hashes.SHA256, 32, 0x052560),
    "SHA512": (SHA512Hash, hashes.SHA512, 64, 0x055120),
}


def protocol_name(h):
    return "Noise_NNpsk2_25519_ChaChaPoly_" + h


class OracleFailure(Exception):
    """A step failed in an oracle; kind is 'decrypt', 'dh' or 'other'."""

    def __init__(self, kind, detail):
        super().__init__("%s: %s" % (kind, detail))
        self.kind = kind


# ---- oracle 1: dissononce -------------------------------------------------------------


class FixedDH(X25519DH):
    """X25519 whose generated keypair is the vector's ephemeral key."""

    def __init__(self, priv):
        super().__init__()
        self._priv = priv

    def generate_keypair(self, privatekey=None):
        return super().generate_keypair(PrivateKey(self._priv) if privatekey is None else privatekey)


def dissononce_call(fn, *args):
    try:
        return fn(*args)
    except DecryptFailedException as exc:
        raise OracleFailure("decrypt", "dissononce: %s" % exc)
    except ValueError as exc:  # cryptography: all-zero X25519 output or a short public key
        raise OracleFailure("dh", "dissononce: %s" % exc)
    except Exception as exc:  # noqa: BLE001 (dissononce uses asserts for the rest)
        raise OracleFailure("other", "dissononce: %s: %s" % (type(exc).__name__, exc))


class DissononceSession:
    """Both sides of one NNpsk2 session in dissononce, message by message.
    Message i (0-based) goes initiator -> responder when i is even (cacophony's
    convention, also after the handshake)."""

    def __init__(self, h, sc):
        hash_class = HASHES[h][0]
        self.sides = []
        for initiator in (True, False):
            pre = "init" if initiator else "resp"
            hs = HandshakeState(SymmetricState(CipherState(ChaChaPolyCipher()), hash_class()),
                                FixedDH(sc[pre + "_ephemeral"]))
            hs.initialize(PSKPatternModifier(2).modify(NNHandshakePattern()), initiator,
                          sc[pre + "_prologue"], psks=(sc[pre + "_psk"],))
            assert hs.protocol_name == protocol_name(h)
            self.sides.append({"hs": hs, "send": None, "recv": None})

    def write(self, i, payload):
        s = self.sides[i % 2]
        if i < 2:
            buf = bytearray()
            split = s["hs"].write_message(payload, buf)
            if split is not None:  # responder after message 2: c1 is its receive key
                s["recv"], s["send"] = split
            return bytes(buf)
        return s["send"].encrypt_with_ad(b"", payload)

    def read(self, i, msg):
        s = self.sides[(i + 1) % 2]
        if i < 2:
            buf = bytearray()
            split = dissononce_call(s["hs"].read_message, msg, buf)
            if split is not None:  # initiator after message 2: c1 sends, c2 receives
                s["send"], s["recv"] = split
            return bytes(buf)
        return dissononce_call(s["recv"].decrypt_with_ad, b"", msg)

    def handshake_hash(self):
        hi = self.sides[0]["hs"].symmetricstate.get_handshake_hash()
        hr = self.sides[1]["hs"].symmetricstate.get_handshake_hash()
        assert hi == hr
        return hi


# ---- oracle 2: the specification on python3-cryptography ------------------------------


class SpecSide:
    """One side of NNpsk2, from the Noise specification (rev 34), sections 4 and 5."""

    def __init__(self, h, initiator, prologue, psk, e_priv):
        self.algo, self.hashlen = HASHES[h][1], HASHES[h][2]
        self.initiator, self.psk = initiator, psk
        self.e = x25519.X25519PrivateKey.from_private_bytes(e_priv)
        self.e_pub = self.e.public_key().public_bytes(serialization.Encoding.Raw,
                                                      serialization.PublicFormat.Raw)
        name = protocol_name(h).encode()
        # InitializeSymmetric: "If protocol_name is less than or equal to HASHLEN bytes in
        # length, sets h equal to protocol_name with zero bytes appended ... Otherwise sets
        # h = HASH(protocol_name)."
        self.h = name.ljust(self.hashlen, b"\x00") if len(name) <= self.hashlen else self.hash(name)
        self.ck, self.k, self.n = self.h, None, 0
        self.mix_hash(prologue)
        self.re = None
        self.send = self.recv = None

    def hash(self, data):
        d = hashes.Hash(self.algo())
        d.update(data)
        return d.finalize()

    def hmac(self, key, data):
        m = hmac.HMAC(key, self.algo())
        m.update(data)
        return m.finalize()

    def hkdf(self, ck, ikm, n):
        temp = self.hmac(ck, ikm)
        out, prev = [], b""
        for i in range(1, n + 1):
            prev = self.hmac(temp, prev + bytes([i]))
            out.append(prev)
        return out

    def mix_hash(self, data):
        self.h = self.hash(self.h + data)

    def mix_key(self, ikm):
        self.ck, tk = self.hkdf(self.ck, ikm, 2)
        self.k, self.n = tk[:32], 0

    def mix_key_and_hash(self, ikm):
        self.ck, th, tk = self.hkdf(self.ck, ikm, 3)
        self.mix_hash(th)
        self.k, self.n = tk[:32], 0

    @staticmethod
    def nonce(n):
        return b"\x00" * 4 + struct.pack("<Q", n)

    def encrypt_and_hash(self, pt):
        ct = ChaCha20Poly1305(self.k).encrypt(self.nonce(self.n), pt, self.h)
        self.n += 1
        self.mix_hash(ct)
        return ct

    def decrypt_and_hash(self, ct):
        try:
            pt = ChaCha20Poly1305(self.k).decrypt(self.nonce(self.n), ct, self.h)
        except Exception as exc:  # noqa: BLE001 (InvalidTag, or a ciphertext under 16 bytes)
            raise OracleFailure("decrypt", "cryptography: %s" % type(exc).__name__)
        self.n += 1
        self.mix_hash(ct)
        return pt

    def dh(self, pub):
        try:
            return self.e.exchange(x25519.X25519PublicKey.from_public_bytes(pub))
        except ValueError as exc:
            raise OracleFailure("dh", "cryptography: %s" % exc)

    def split(self):
        t1, t2 = self.hkdf(self.ck, b"", 2)
        c1, c2 = [t1[:32], 0], [t2[:32], 0]
        self.send, self.recv = (c1, c2) if self.initiator else (c2, c1)

    def write(self, i, payload):
        if i >= 2:
            k = self.send
            ct = ChaCha20Poly1305(k[0]).encrypt(self.nonce(k[1]), payload, b"")
            k[1] += 1
            return ct
        # -> e  /  <- e, ee, psk ; the psk modifier makes "e" also MixKey(e.public_key)
        self.mix_hash(self.e_pub)
        self.mix_key(self.e_pub)
        if i == 1:
            self.mix_key(self.dh(self.re))  # ee
            self.mix_key_and_hash(self.psk)  # psk
        msg = self.e_pub + self.encrypt_and_hash(payload)
        if i == 1:
            self.split()
        return msg

    def read(self, i, msg):
        if i >= 2:
            k = self.recv
            try:
                pt = ChaCha20Poly1305(k[0]).decrypt(self.nonce(k[1]), msg, b"")
            except Exception as exc:  # noqa: BLE001
                raise OracleFailure("decrypt", "cryptography: %s" % type(exc).__name__)
            k[1] += 1
            return pt
        if len(msg) < DHLEN:
            raise OracleFailure("other", "cryptography: message shorter than DHLEN")
        self.re = msg[:DHLEN]
        self.mix_hash(self.re)
        self.mix_key(self.re)
        if i == 1:
            self.mix_key(self.dh(self.re))
            self.mix_key_and_hash(self.psk)
        pt = self.decrypt_and_hash(msg[DHLEN:])
        if i == 1:
            self.split()
        return pt


class SpecSession:
    def __init__(self, h, sc):
        self.sides = [SpecSide(h, True, sc["init_prologue"], sc["init_psk"], sc["init_ephemeral"]),
                      SpecSide(h, False, sc["resp_prologue"], sc["resp_psk"], sc["resp_ephemeral"])]

    def write(self, i, payload):
        return self.sides[i % 2].write(i, payload)

    def read(self, i, msg):
        return self.sides[(i + 1) % 2].read(i, msg)

    def handshake_hash(self):
        assert self.sides[0].h == self.sides[1].h
        return self.sides[0].h


# ---- both oracles in step --------------------------------------------------------------


class Both:
    """dissononce and the cryptography implementation, in lock step: every output
    must agree, and a failure must be a failure in both."""

    def __init__(self, h, sc):
        self.a, self.b = DissononceSession(h, sc), SpecSession(h, sc)

    def write(self, i, payload):
        ma, mb = self.a.write(i, payload), self.b.write(i, payload)
        assert ma == mb, "oracles disagree on message %d" % i
        return ma

    def read(self, i, msg):
        ra = rb = None
        try:
            ra = ("ok", self.a.read(i, msg))
        except OracleFailure as f:
            ra = ("fail", f.kind)
        try:
            rb = ("ok", self.b.read(i, msg))
        except OracleFailure as f:
            rb = ("fail", f.kind)
        assert ra[0] == rb[0], "oracles disagree reading message %d: %s / %s" % (i, ra, rb)
        if ra[0] == "ok":
            assert ra[1] == rb[1]
            return ra[1]
        raise OracleFailure(ra[1] if ra[1] == rb[1] else "decrypt", "both oracles failed")

    def handshake_hash(self):
        ha, hb = self.a.handshake_hash(), self.b.handshake_hash()
        assert ha == hb
        return ha


# ---- scenarios ----------------------------------------------------------------------


def rbytes(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def scenario(rng, payload_lens, prologue_len=None, **over):
    sc = {
        "init_ephemeral": rbytes(rng, 32),
        "resp_ephemeral": rbytes(rng, 32),
        "init_psk": rbytes(rng, 32),
    }
    sc["resp_psk"] = sc["init_psk"]
    plen = rng.randrange(0, 33) if prologue_len is None else prologue_len
    sc["init_prologue"] = sc["resp_prologue"] = rbytes(rng, plen)
    sc["payloads"] = [rbytes(rng, n) for n in payload_lens]
    sc.update(over)
    return sc


def vector_head(h, sc):
    return {
        "protocol_name": protocol_name(h),
        "init_prologue": sc["init_prologue"].hex(),
        "init_psks": [sc["init_psk"].hex()],
        "init_ephemeral": sc["init_ephemeral"].hex(),
        "resp_prologue": sc["resp_prologue"].hex(),
        "resp_psks": [sc["resp_psk"].hex()],
        "resp_ephemeral": sc["resp_ephemeral"].hex(),
    }


def check_size(i, msg):
    """The specification's limit, which dissononce does not enforce."""
    assert len(msg) <= MAX_MSG, "message %d is %d bytes" % (i, len(msg))


def valid_vector(h, sc, comment):
    s = Both(h, sc)
    msgs = []
    for i, p in enumerate(sc["payloads"]):
        ct = s.write(i, p)
        check_size(i, ct)
        assert s.read(i, ct) == p
        msgs.append({"payload": p.hex(), "ciphertext": ct.hex()})
    v = vector_head(h, sc)
    v["comment"] = comment
    v["handshake_hash"] = s.handshake_hash().hex()
    v["messages"] = msgs
    return v


def classify(i, msg, oracle_kind):
    """The error class (ps_errname) a receiver must report for a message both
    oracles refused: its size first (checked before any crypto), then the
    oracles' reason."""
    fixed = HS_FIXED if i < 2 else TAGLEN
    if len(msg) > MAX_MSG:
        return "too-large"
    if len(msg) < fixed:
        return "bad-size"
    return {"decrypt": "decrypt-failed", "dh": "bad-dh"}.get(oracle_kind, "decrypt-failed")


def fail_vector(h, sc, comment, index, kind, alter=None):
    """Run sc's messages up to index normally, then deliver message index
    altered by alter(genuine, session_outputs, session) (None: unaltered, the
    failure comes from the scenario's keys or prologues). Both oracles must fail
    reading it."""
    s = Both(h, sc)
    msgs, sent = [], []
    for i, p in enumerate(sc["payloads"][:index]):
        ct = s.write(i, p)
        check_size(i, ct)
        assert s.read(i, ct) == p
        msgs.append({"payload": p.hex(), "ciphertext": ct.hex()})
        sent.append(ct)
    p = sc["payloads"][index]
    genuine = s.write(index, p)
    check_size(index, genuine)
    m = {"payload": p.hex()}
    if alter is None:
        arrived = genuine
    else:
        arrived = alter(genuine, sent, s, index)
        assert arrived != genuine
        m["genuine_ciphertext"] = genuine.hex()
    m["ciphertext"] = arrived.hex()
    try:
        s.read(index, arrived)
    except OracleFailure as f:
        error = classify(index, arrived, f.kind)
    else:
        raise AssertionError("%s: the oracles accepted message %d" % (comment, index))
    msgs.append(m)
    v = vector_head(h, sc)
    v.update({"comment": comment, "fail": True, "fail_index": index, "fail_kind": kind,
              "fail_side": "read", "fail_error": error, "messages": msgs})
    return v


def oversize_vector(h, sc, comment, index):
    """Message index carries a payload that makes it 65536 bytes. The oracles
    write it anyway (no size check); it must decrypt there, so its size is its
    only fault. Sender and receiver must both refuse it."""
    s = Both(h, sc)
    msgs = []
    for i, p in enumerate(sc["payloads"][:index]):
        ct = s.write(i, p)
        assert s.read(i, ct) == p
        msgs.append({"payload": p.hex(), "ciphertext": ct.hex()})
    p = sc["payloads"][index]
    ct = s.write(index, p)
    assert len(ct) == MAX_MSG + 1
    assert s.read(index, ct) == p  # well formed but for its size
    msgs.append({"payload": p.hex(), "ciphertext": ct.hex()})
    v = vector_head(h, sc)
    v.update({"comment": comment, "fail": True, "fail_index": index, "fail_kind": "oversize",
              "fail_side": "write", "fail_error": "too-large", "messages": msgs})
    return v


def flip(byte_index, bit):
    def f(genuine, sent, s, i):
        b = bytearray(genuine)
        b[byte_index % len(b)] ^= 1 << bit
        return bytes(b)
    return f


def cut(n):
    def f(genuine, sent, s, i):
        return genuine[:n] if n >= 0 else genuine[:len(genuine) + n]
    return f


def append(extra):
    def f(genuine, sent, s, i):
        return genuine + extra
    return f


def later(genuine, sent, s, i):
    """The sender's next message in the same direction (one nonce ahead)
    arrives first. Written on a copy-free path: the session is not used again
    after the failure, so writing ahead is harmless."""
    return s.write(i, b"later message, nonce + 1")


def replay(genuine, sent, s, i):
    """The previous message in the same direction arrives again."""
    return sent[i - 2]


def reflect(genuine, sent, s, i):
    """The peer's own last message comes back to it."""
    return sent[i - 1]


# ---- one file ----------------------------------------------------------------------------


def build(h):
    rng = random.Random(HASHES[h][3])
    vs = []
    # Messages of 64 KiB take 262 KB of hex each (payload and ciphertext): to keep the
    # files at a few MB, BLAKE2s has every size case (messages 1 and 2 and a transport
    # message at 65535 bytes, an oversize message 1); every hash has a 65535-byte
    # message (message 2 elsewhere: the hash runs over all of it) and an oversize
    # transport message.
    big = h == "BLAKE2s"

    # random sessions
    for n in range(48):
        n_transport = rng.randrange(0, 7)
        lens = [rng.choice([0, 1, rng.randrange(2, 65)]) for _ in range(2 + n_transport)]
        vs.append(valid_vector(h, scenario(rng, lens),
                               "random keys, PSK, prologue and payloads; %d transport messages"
                               % n_transport))
    # payload edges: empty and 1-byte payloads everywhere
    for l1 in (0, 1):
        for l2 in (0, 1):
            for lt in (0, 1):
                vs.append(valid_vector(h, scenario(rng, [l1, l2, lt, lt, lt, lt]),
                                       "payload lengths %d, %d, then four transport messages of %d"
                                       % (l1, l2, lt)))
    # prologues
    for plen, what in ((0, "empty"), (0, "empty"), (1, "1-byte"), (255, "255-byte"),
                       (1024, "long (1024-byte)"), (4096, "long (4096-byte)")):
        vs.append(valid_vector(h, scenario(rng, [8, 8, 8, 8], plen), "%s prologue" % what))
    # many transport messages each way
    for nt in (8, 16, 30):
        lens = [rng.randrange(0, 33) for _ in range(2 + nt)]
        vs.append(valid_vector(h, scenario(rng, lens),
                               "%d transport messages, %d each way" % (nt, nt // 2)))
    # edge keys
    vs.append(valid_vector(h, scenario(rng, [4, 4, 4, 4], init_psk=bytes(32), resp_psk=bytes(32)),
                           "all-zero PSK"))
    vs.append(valid_vector(h, scenario(rng, [4, 4, 4, 4], init_psk=b"\xff" * 32,
                                       resp_psk=b"\xff" * 32), "all-0xff PSK"))
    vs.append(valid_vector(h, scenario(rng, [4, 4, 4, 4], init_ephemeral=bytes(32),
                                       resp_ephemeral=b"\xff" * 32),
                           "ephemeral private keys all-zero and all-0xff (X25519 clamps them)"))
    vs.append(valid_vector(h, scenario(rng, [16, 16], 0),
                           "handshake only, no transport message, empty prologue"))
    # maximum sizes: messages of exactly 65535 bytes
    if big:
        vs.append(valid_vector(h, scenario(rng, [HS_MAX_PAYLOAD, HS_MAX_PAYLOAD]),
                               "message 1 and message 2 of 65535 bytes (payloads of 65487)"))
        vs.append(valid_vector(h, scenario(rng, [0, 0, T_MAX_PAYLOAD, 1]),
                               "a transport message of 65535 bytes (payload of 65519)"))
    else:
        vs.append(valid_vector(h, scenario(rng, [0, HS_MAX_PAYLOAD]),
                               "message 2 of 65535 bytes (payload of 65487)"))
    n_valid = len(vs)

    # ---- fail: true ----
    base = lambda lens=(5, 7, 9, 11, 13, 15), plen=None: scenario(rng, list(lens), plen)  # noqa: E731
    # wrong PSK: message 1 carries no PSK, so it reads; message 2 fails at the initiator
    for what, mk in (("random other PSK", lambda p: rbytes(rng, 32)),
                     ("PSK differing in its first bit", lambda p: bytes([p[0] ^ 1]) + p[1:]),
                     ("PSK differing in its last bit", lambda p: p[:31] + bytes([p[31] ^ 0x80])),
                     ("all-zero PSK against a random one", lambda p: bytes(32))):
        sc = base()
        sc["resp_psk"] = mk(sc["init_psk"])
        vs.append(fail_vector(h, sc, "wrong PSK (%s): message 2 fails at the initiator" % what, 1,
                              "wrong-psk"))
    sc = base((0, 0))
    sc["resp_psk"] = rbytes(rng, 32)
    vs.append(fail_vector(h, sc, "wrong PSK with empty payloads", 1, "wrong-psk"))
    # wrong prologue: message 1's payload is encrypted with h, which covers the prologue
    for what, ip, rp in (("empty against 1 byte", b"", b"\x00"),
                         ("random against random", rbytes(rng, 16), rbytes(rng, 16)),
                         ("long, last byte differs", b"p" * 1023 + b"a", b"p" * 1023 + b"b"),
                         ("same bytes, one longer", b"prologue", b"prologue\x00")):
        sc = base()
        sc["init_prologue"], sc["resp_prologue"] = ip, rp
        vs.append(fail_vector(h, sc, "wrong prologue (%s): message 1 fails at the responder" % what,
                              0, "wrong-prologue"))
    sc = base((0, 0), 4)
    sc["resp_prologue"] = rbytes(rng, 4)
    vs.append(fail_vector(h, sc, "wrong prologue with an empty payload (the tag alone fails)", 0,
                          "wrong-prologue"))
    # a flipped bit in each message
    for i in range(6):
        for where, byte_index, bit in (("first bit", 0, 0), ("last bit (in the tag)", -1, 7)):
            vs.append(fail_vector(h, base(), "bit flip in message %d, %s" % (i + 1, where), i,
                                  "bit-flip", flip(byte_index, bit)))
    for i in range(2):
        vs.append(fail_vector(h, base(), "message %d: top bit of e flipped (X25519 ignores it, "
                              "the transcript hash does not)" % (i + 1), i, "bit-flip", flip(31, 7)))
        vs.append(fail_vector(h, base(), "message %d: first byte after e flipped" % (i + 1), i,
                              "bit-flip", flip(32, 3)))
        vs.append(fail_vector(h, base((0, 0, 0, 0)), "message %d with an empty payload: "
                              "tag bit flipped" % (i + 1), i, "bit-flip", flip(-16, 0)))
    for i in range(2, 6):
        b = rng.randrange(0, 8)
        vs.append(fail_vector(h, base(), "transport message %d: random bit flipped" % (i + 1), i,
                              "bit-flip", flip(rng.randrange(0, 11 + 2 * i), b)))
    # truncation and extension
    for i in range(2):
        for n, what in ((0, "0 bytes"), (31, "31 bytes (inside e)"), (32, "32 bytes (e only)"),
                        (47, "47 bytes (one short of e + tag)"), (-1, "one byte short")):
            vs.append(fail_vector(h, base(), "message %d truncated to %s" % (i + 1, what), i,
                                  "truncated", cut(n)))
        vs.append(fail_vector(h, base((0, 0)), "message %d with an empty payload, one byte short "
                              "(47 bytes)" % (i + 1), i, "truncated", cut(-1)))
        vs.append(fail_vector(h, base(), "message %d with one byte appended" % (i + 1), i,
                              "extended", append(b"\x00")))
    for i in (2, 3):
        for n, what in ((0, "0 bytes"), (15, "15 bytes (under a tag)"), (-1, "one byte short")):
            vs.append(fail_vector(h, base(), "transport message %d truncated to %s" % (i + 1, what),
                                  i, "truncated", cut(n)))
        vs.append(fail_vector(h, base(), "transport message %d with one byte appended" % (i + 1),
                              i, "extended", append(b"\x01")))
    # out of order, replayed, reflected
    for i in (2, 3, 4, 5):
        vs.append(fail_vector(h, base(), "transport message %d: the sender's next message "
                              "(nonce + 1) arrives first" % (i + 1), i, "reordered", later))
    for i in (4, 5):
        vs.append(fail_vector(h, base(), "transport message %d: the previous message in the same "
                              "direction arrives again" % (i + 1), i, "replayed", replay))
    vs.append(fail_vector(h, base(), "transport message 4: the initiator gets back its own "
                          "message 3 (a c1 ciphertext read with c2)", 3, "reflected", reflect))
    # oversize: a message of 65536 bytes
    if big:
        vs.append(oversize_vector(h, scenario(rng, [HS_MAX_PAYLOAD + 1]),
                                  "message 1 of 65536 bytes: refused by sender and receiver", 0))
    vs.append(oversize_vector(h, scenario(rng, [0, 0, T_MAX_PAYLOAD + 1]),
                              "transport message of 65536 bytes: refused by sender and receiver", 2))
    return vs, n_valid


def self_check():
    """Both oracles must reproduce cacophony's own NNpsk2 vectors (all four hashes)
    when the public vector folder is there (PS_SHARED_VECTORS, else
    ../shared/vectors beside the checkout). Reads only; the output never depends
    on it."""
    here = os.path.dirname(os.path.abspath(__file__))
    folder = os.environ.get("PS_SHARED_VECTORS") or os.path.join(here, "..", "..", "shared",
                                                                  "vectors")
    path = os.path.join(folder, "noise", "cacophony.txt")
    if not os.path.exists(path):
        print("self-check: %s absent, skipped" % path)
        return
    with open(path) as f:
        doc = json.load(f)
    n = 0
    for v in doc["vectors"]:
        name = v.get("protocol_name", "")
        h = name.rsplit("_", 1)[-1]
        if not name.startswith("Noise_NNpsk2_25519_ChaChaPoly_") or h not in HASHES:
            continue
        sc = {"init_prologue": bytes.fromhex(v["init_prologue"]),
              "resp_prologue": bytes.fromhex(v["resp_prologue"]),
              "init_psk": bytes.fromhex(v["init_psks"][0]),
              "resp_psk": bytes.fromhex(v["resp_psks"][0]),
              "init_ephemeral": bytes.fromhex(v["init_ephemeral"]),
              "resp_ephemeral": bytes.fromhex(v["resp_ephemeral"]),
              "payloads": [bytes.fromhex(m["payload"]) for m in v["messages"]]}
        mine = valid_vector(h, sc, "")
        assert [m["ciphertext"] for m in mine["messages"]] == \
            [m["ciphertext"] for m in v["messages"]], name
        assert mine["handshake_hash"] == v["handshake_hash"], name
        n += 1
    assert n == len(HASHES), "expected one cacophony NNpsk2 vector per hash, found %d" % n
    print("self-check: both oracles reproduce cacophony's %d NNpsk2 vectors" % n)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    self_check()
    for h in HASHES:
        vs, n_valid = build(h)
        path = os.path.join(outdir, "noise_nnpsk2_%s.json" % h.lower())
        doc = {
            "comment": "Generated by vectors/gen_noise.py from dissononce 0.34.3 and an "
                       "independent implementation on python3-cryptography (they agree on every "
                       "byte). Cacophony format; fail vectors carry fail_index, fail_kind, "
                       "fail_side, fail_error and genuine_ciphertext (vectors/README.md).",
            "vectors": vs,
        }
        with open(path, "w") as f:
            f.write(json.dumps(doc, indent=1) + "\n")
        kinds = {}
        for v in vs:
            if v.get("fail"):
                kinds[v["fail_kind"]] = kinds.get(v["fail_kind"], 0) + 1
        print("%s: %d vectors (valid %d, fail %d: %s)" % (
            os.path.relpath(path), len(vs), n_valid, len(vs) - n_valid,
            ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))


if __name__ == "__main__":
    main()
