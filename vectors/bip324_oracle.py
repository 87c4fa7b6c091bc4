#!/usr/bin/python3
"""bip324_oracle.py: BIP324 (version 2 P2P encrypted transport) written straight
from the specification, the independent oracle for vectors/bip324_v2.json and
the transport under conformance/lib/pyv2peer.py.

    /usr/bin/python3 vectors/bip324_oracle.py --self-check

Sources: ../shared/specs/bip-0324.mediawiki (version 1.0.2; its pseudo-code is
followed function by function, names kept) and, for what the BIP leaves to the
implementation (the largest packet, the exact byte at which a missing garbage
terminator is detected, what a bad message type does), Bitcoin Core's
V2Transport (src/net.cpp), cited where it is used.

Primitives, all from Debian packages: python3-cryptography 38 (OpenSSL) for
secp256k1 (ec.SECP256K1, ec.ECDH: the x coordinate of the shared point),
ChaCha20Poly1305 (RFC 8439 AEAD), the raw ChaCha20 stream cipher (for the
RFC 8439 block function) and HMAC-SHA256 (HKDF, RFC 5869); hashlib for the
tagged hash; Python integers for the field arithmetic of ElligatorSwift.

Before anything uses it, self_check() must reproduce every row and column of
the three official files in ../shared/vectors/bip324/ (PS_SHARED_VECTORS
overrides the folder): packet_encoding_test_vectors.csv (every mid_* and out_*
column), ellswift_decode_test_vectors.csv and xswiftec_inv_test_vectors.csv.
It raises SelfCheckError when the folder is absent or a value differs.

Nothing here is constant time or wipes secrets: it is a test oracle.
"""

import csv
import hashlib
import hmac as _hmac
import os
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher as _Cipher
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

# ---- constants -----------------------------------------------------------------------

P = 2**256 - 2**32 - 977  # the secp256k1 field
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141  # group order
# BIP324: "c = 0xa2d2ba93507f1df233770c2a797962cc61f6d15da14ecd47d8d27ae1cd5f852", sqrt(-3)
C_SQRT_M3 = 0xa2d2ba93507f1df233770c2a797962cc61f6d15da14ecd47d8d27ae1cd5f852

NETWORK_MAGIC = {  # protocol-notes.md (Core's chainparams)
    "mainnet": bytes.fromhex("f9beb4d9"),
    "testnet3": bytes.fromhex("0b110907"),
    "testnet4": bytes.fromhex("1c163f28"),
    "signet": bytes.fromhex("0a03cf40"),
    "regtest": bytes.fromhex("fabfb5da"),
}
V1_VERSION_COMMAND = b"version\x00\x00\x00\x00\x00"
V1_PREFIX_LEN = 16           # magic + "version\0\0\0\0\0"
V1_HEADER_LEN = 24           # Core reconnects with v1 only after sending this much
ELLSWIFT_LEN = 64
MAX_GARBAGE_LEN = 4095       # "May send up to 4095 bytes of arbitrary data"
GARBAGE_TERMINATOR_LEN = 16
REKEY_INTERVAL = 224
LENGTH_FIELD_LEN = 3
HEADER_LEN = 1
IGNORE_BIT_POS = 7
IGNORE_BIT = 1 << IGNORE_BIT_POS
CHACHA20POLY1305_EXPANSION = 16
EXPANSION = LENGTH_FIELD_LEN + HEADER_LEN + CHACHA20POLY1305_EXPANSION  # 20
TRANSPORT_VERSION = b""
MAX_PROTOCOL_MESSAGE_LENGTH = 4_000_000
# Core, V2Transport::ProcessReceivedPacketBytes: "The maximum permitted contents length for a
# packet, consisting of: 0x00 byte [...], 12 bytes of message type, payload":
# 1 + COMMAND_SIZE + min(MAX_SIZE, MAX_PROTOCOL_MESSAGE_LENGTH). Checked on the decrypted
# length of every packet (decoys and the version packet too), before its ciphertext is read.
MAX_CONTENTS_LEN = 1 + 12 + MAX_PROTOCOL_MESSAGE_LENGTH  # 4,000,013
NODE_P2P_V2 = 1 << 11

# The BIP's table of 1-byte message type IDs (1..28); 0 means "12 bytes follow".
SHORT_IDS = {
    1: "addr", 2: "block", 3: "blocktxn", 4: "cmpctblock", 5: "feefilter", 6: "filteradd",
    7: "filterclear", 8: "filterload", 9: "getblocks", 10: "getblocktxn", 11: "getdata",
    12: "getheaders", 13: "headers", 14: "inv", 15: "mempool", 16: "merkleblock",
    17: "notfound", 18: "ping", 19: "pong", 20: "sendcmpct", 21: "tx", 22: "getcfilters",
    23: "cfilter", 24: "getcfheaders", 25: "cfheaders", 26: "getcfcheckpt", 27: "cfcheckpt",
    28: "addrv2",
}
SHORT_ID_OF = {name: i for i, name in SHORT_IDS.items()}


class SelfCheckError(Exception):
    """The oracle could not be checked against the official vectors, or disagreed."""


# ---- field arithmetic and ElligatorSwift (BIP324 "ElligatorSwift encoding") ------------


def fe_inv(a):
    """a^-1 mod p as a^(p-2); 0 maps to 0 (never reached by XSwiftEC after its remapping)."""
    return pow(a % P, P - 2, P)


def fe_sqrt(a):
    """'the' square root of a mod p (BIP324: a^((p+1)/4), itself a square), or None."""
    a %= P
    r = pow(a, (P + 1) // 4, P)
    return r if r * r % P == a else None


def lift_x_ok(x):
    """lift_x(x) succeeds: x < p and x^3 + 7 is a square mod p (BIP340)."""
    return x < P and fe_sqrt(x * x * x + 7) is not None


def xswiftec(u, t):
    """XSwiftEC(u, t): the X coordinate on secp256k1 for the pair (u, t)."""
    u %= P
    t %= P
    if u == 0:
        u = 1
    if t == 0:
        t = 1
    if (u * u * u + t * t + 7) % P == 0:
        t = 2 * t % P
    X = (u * u * u + 7 - t * t) * fe_inv(2 * t) % P
    Y = (X + t) * fe_inv(C_SQRT_M3 * u) % P
    for x in ((u + 4 * Y * Y) % P,
              (-X * fe_inv(Y) - u) * fe_inv(2) % P,
              (X * fe_inv(Y) - u) * fe_inv(2) % P):
        if lift_x_ok(x):
            return x
    raise AssertionError("XSwiftEC found no valid x (impossible per BIP324)")


def xswiftec_inv(x, u, case):
    """XSwiftECInv(x, u, case): t with XSwiftEC(u, t) = x, or None."""
    x %= P
    u %= P
    if case & 2 == 0:
        if lift_x_ok((-x - u) % P):
            return None
        v = x
        s = -(u * u * u + 7) * fe_inv(u * u + u * v + v * v) % P
    else:
        s = (x - u) % P
        if s == 0:
            return None
        r = fe_sqrt(-s * (4 * (u * u * u + 7) + 3 * u * u * s))
        if r is None:
            return None
        if case & 1 == 1 and r == 0:
            return None
        v = (r * fe_inv(s) - u) * fe_inv(2) % P
    w = fe_sqrt(s)
    if w is None:
        return None
    sel = case & 5
    if sel == 0:
        return -w * (u * (1 - C_SQRT_M3) * fe_inv(2) + v) % P
    if sel == 1:
        return w * (u * (1 + C_SQRT_M3) * fe_inv(2) + v) % P
    if sel == 4:
        return w * (u * (1 - C_SQRT_M3) * fe_inv(2) + v) % P
    return -w * (u * (1 + C_SQRT_M3) * fe_inv(2) + v) % P


def ellswift_decode(ellswift):
    """The X coordinate a 64-byte encoding maps to (u and t are taken mod p)."""
    if len(ellswift) != ELLSWIFT_LEN:
        raise ValueError("an ElligatorSwift encoding is 64 bytes")
    return xswiftec(int.from_bytes(ellswift[:32], "big"), int.from_bytes(ellswift[32:], "big"))


def ellswift_encode(x, u, case):
    """bytes(u) || bytes(XSwiftECInv(x, u, case)), or None when that t does not exist.
    XElligatorSwift is this in a loop over random (u, case); a caller that wants fixed
    encodings (the generator) chooses u and case itself."""
    if not 1 <= u < P:
        raise ValueError("u must be in 1..p-1")
    t = xswiftec_inv(x, u, case)
    if t is None:
        return None
    enc = u.to_bytes(32, "big") + t.to_bytes(32, "big")
    assert ellswift_decode(enc) == x % P
    return enc


def ellswift_create(privkey, rng):
    """(privkey, 64-byte encoding of privkey*G) with u and case drawn from rng
    (random.Random or SystemRandom: getrandbits). Returns (encoding, u, case)."""
    x = pubkey_x(privkey)
    while True:
        u = rng.getrandbits(256) % P
        case = rng.getrandbits(3)
        if u == 0:
            continue
        enc = ellswift_encode(x, u, case)
        if enc is not None:
            return enc, u, case


# ---- secp256k1 through python3-cryptography -------------------------------------------


def _private_key(privkey):
    d = int.from_bytes(privkey, "big")
    if not 1 <= d < N:
        raise ValueError("private key out of range 1..n-1")
    return ec.derive_private_key(d, ec.SECP256K1())


def pubkey_x(privkey):
    """x(privkey*G) as an integer."""
    return _private_key(privkey).public_key().public_numbers().x


def ecdh_xonly(privkey, x):
    """bytes(x(privkey * lift_x(x))): OpenSSL's ECDH yields the x coordinate of the product;
    either lift of x gives the same x (BIP324 footnote lift_x_choice)."""
    pub = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256K1(), b"\x02" + x.to_bytes(32, "big"))
    return _private_key(privkey).exchange(ec.ECDH(), pub)


def ellswift_ecdh_xonly(ellswift_theirs, privkey):
    return ecdh_xonly(privkey, ellswift_decode(ellswift_theirs))


def sha256_tagged(tag, data):
    th = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(th + th + data).digest()


def v2_ecdh(privkey, ellswift_theirs, ellswift_ours, initiating):
    ecdh_point_x32 = ellswift_ecdh_xonly(ellswift_theirs, privkey)
    if initiating:
        return sha256_tagged("bip324_ellswift_xonly_ecdh",
                             ellswift_ours + ellswift_theirs + ecdh_point_x32)
    return sha256_tagged("bip324_ellswift_xonly_ecdh",
                         ellswift_theirs + ellswift_ours + ecdh_point_x32)


# ---- HKDF-SHA256 (RFC 5869) -----------------------------------------------------------


def hkdf_extract(salt, ikm):
    return _hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand(prk, info, length=32):
    return HKDFExpand(algorithm=hashes.SHA256(), length=length, info=info).derive(prk)


def derive_keys(ecdh_secret, magic):
    """initialize_v2_transport's HKDF outputs, by name."""
    prk = hkdf_extract(b"bitcoin_v2_shared_secret" + magic, ecdh_secret)
    out = {name: hkdf_expand(prk, name.encode())
           for name in ("session_id", "initiator_L", "initiator_P", "responder_L",
                        "responder_P", "garbage_terminators")}
    out["initiator_garbage_terminator"] = out["garbage_terminators"][:16]
    out["responder_garbage_terminator"] = out["garbage_terminators"][16:]
    return out


# ---- FSChaCha20 and FSChaCha20Poly1305 ------------------------------------------------


def chacha20_block(key, nonce, count):
    """RFC 8439 section 2.3: 64 bytes of keystream for (key, 96-bit nonce, 32-bit counter).
    cryptography's ChaCha20 takes OpenSSL's 16-byte IV: the counter (LE) then the nonce."""
    enc = _Cipher(algorithms.ChaCha20(key, count.to_bytes(4, "little") + nonce),
                  mode=None).encryptor()
    return enc.update(b"\x00" * 64)


def aead_encrypt(key, nonce, aad, plaintext):
    return ChaCha20Poly1305(key).encrypt(nonce, plaintext, aad)


def aead_decrypt(key, nonce, aad, ciphertext):
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        return None


class FSChaCha20Poly1305:
    """Rekeying wrapper AEAD around ChaCha20Poly1305 (the BIP's class, unchanged)."""

    def __init__(self, initial_key):
        self.key = initial_key
        self.packet_counter = 0

    def crypt(self, aad, text, is_decrypt):
        nonce = ((self.packet_counter % REKEY_INTERVAL).to_bytes(4, "little") +
                 (self.packet_counter // REKEY_INTERVAL).to_bytes(8, "little"))
        if is_decrypt:
            ret = aead_decrypt(self.key, nonce, aad, text)
        else:
            ret = aead_encrypt(self.key, nonce, aad, text)
        if (self.packet_counter + 1) % REKEY_INTERVAL == 0:
            rekey_nonce = b"\xFF\xFF\xFF\xFF" + nonce[4:]
            self.key = aead_encrypt(self.key, rekey_nonce, b"", b"\x00" * 32)[:32]
        self.packet_counter += 1
        return ret

    def decrypt(self, aad, ciphertext):
        return self.crypt(aad, ciphertext, True)

    def encrypt(self, aad, plaintext):
        return self.crypt(aad, plaintext, False)


class FSChaCha20:
    """Rekeying wrapper stream cipher around ChaCha20 (the BIP's class, unchanged)."""

    def __init__(self, initial_key):
        self.key = initial_key
        self.block_counter = 0
        self.chunk_counter = 0
        self.keystream = b""

    def get_keystream_bytes(self, nbytes):
        while len(self.keystream) < nbytes:
            nonce = ((0).to_bytes(4, "little") +
                     (self.chunk_counter // REKEY_INTERVAL).to_bytes(8, "little"))
            self.keystream += chacha20_block(self.key, nonce, self.block_counter)
            self.block_counter += 1
        ret = self.keystream[:nbytes]
        self.keystream = self.keystream[nbytes:]
        return ret

    def crypt(self, chunk):
        ks = self.get_keystream_bytes(len(chunk))
        ret = bytes([ks[i] ^ chunk[i] for i in range(len(chunk))])
        if ((self.chunk_counter + 1) % REKEY_INTERVAL) == 0:
            self.key = self.get_keystream_bytes(32)
            self.block_counter = 0
        self.chunk_counter += 1
        return ret


# ---- one side's ciphers (initialize_v2_transport, v2_enc_packet, v2_receive_packet) ----


class Cipher:
    """The keys and the four ciphers of one side of a connection."""

    def __init__(self, privkey, ellswift_ours, ellswift_theirs, initiating, magic):
        self.initiating = initiating
        self.x_ours = pubkey_x(privkey)
        self.x_theirs = ellswift_decode(ellswift_theirs)
        self.x_shared = ecdh_xonly(privkey, self.x_theirs)
        self.shared_secret = v2_ecdh(privkey, ellswift_theirs, ellswift_ours, initiating)
        k = derive_keys(self.shared_secret, magic)
        self.keys = k
        self.session_id = k["session_id"]
        if initiating:
            send, recv = "initiator", "responder"
        else:
            send, recv = "responder", "initiator"
        self.send_L = FSChaCha20(k[send + "_L"])
        self.send_P = FSChaCha20Poly1305(k[send + "_P"])
        self.send_garbage_terminator = k[send + "_garbage_terminator"]
        self.recv_L = FSChaCha20(k[recv + "_L"])
        self.recv_P = FSChaCha20Poly1305(k[recv + "_P"])
        self.recv_garbage_terminator = k[recv + "_garbage_terminator"]

    def encrypt(self, contents, aad=b"", ignore=False, header=None):
        """v2_enc_packet; header (0..255) replaces the header byte the ignore flag makes
        (the BIP defines only the ignore bit; receivers ignore the others)."""
        if len(contents) > 2**24 - 1:
            raise ValueError("contents over 2^24-1 bytes")
        if header is None:
            header = IGNORE_BIT if ignore else 0
        plaintext = bytes([header]) + contents
        aead_ciphertext = self.send_P.encrypt(aad, plaintext)
        enc_contents_len = self.send_L.crypt(len(contents).to_bytes(LENGTH_FIELD_LEN, "little"))
        return enc_contents_len + aead_ciphertext

    def encrypt_length_only(self, length):
        """The 3 length bytes of a packet of `length` contents bytes, advancing only the
        length cipher: for streams that end (or fail) at a length field."""
        return self.send_L.crypt(length.to_bytes(LENGTH_FIELD_LEN, "little"))

    def decrypt_length(self, enc):
        return int.from_bytes(self.recv_L.crypt(enc), "little")

    def decrypt(self, aead_ciphertext, aad=b""):
        """(header byte, contents) or None when the tag does not verify."""
        plaintext = self.recv_P.decrypt(aad, aead_ciphertext)
        if plaintext is None:
            return None
        return plaintext[0], plaintext[HEADER_LEN:]


# ---- the application layer: message types ---------------------------------------------


def encode_contents(msgtype, payload, encoding=None):
    """message_type + payload. encoding: None (short when the BIP's table has the type,
    as Core sends), "short" or "long"."""
    if encoding is None:
        encoding = "short" if msgtype in SHORT_ID_OF else "long"
    if encoding == "short":
        return bytes([SHORT_ID_OF[msgtype]]) + payload
    raw = msgtype.encode("ascii")
    if len(raw) > 12:
        raise ValueError("message type over 12 bytes")
    return b"\x00" + raw + b"\x00" * (12 - len(raw)) + payload


def decode_contents(contents):
    """(type, payload, None) or (None, None, reason). The BIP: a first byte 1..255 is a
    message type ID, 0 is followed by a 12-byte ASCII type, NUL padded. Where the BIP is
    silent, Core's V2Transport::GetMessageType: empty contents, an ID outside the table,
    fewer than 12 type bytes, a byte outside 0x20..0x7f before the first NUL, or a non-NUL
    after it make the message invalid: Core drops it (reject_message) and keeps the
    connection. (Core v31 lists IDs 29..32 as assigned by the BIP's auxiliary table and
    unimplemented, and hands them on as an empty type, which is then ignored; to the peer
    both are the same: the message is not processed, the connection stays.)"""
    if not contents:
        return None, None, "empty-contents"
    first = contents[0]
    if first != 0:
        if first in SHORT_IDS:
            return SHORT_IDS[first], contents[1:], None
        return None, None, "unknown-short-id"
    if len(contents) < 13:
        return None, None, "long-type-truncated"
    raw = contents[1:13]
    n = 0
    while n < 12 and raw[n] != 0:
        if raw[n] < 0x20 or raw[n] > 0x7f:
            return None, None, "long-type-bad-char"
        n += 1
    if any(raw[n:]):
        return None, None, "long-type-bad-padding"
    return raw[:n].decode("ascii"), contents[13:], None


# ---- a sans-I/O transport: both directions of one side ---------------------------------


class V2Error(Exception):
    """The received bytes are not a valid v2 stream. error: the project's class
    (ps_errname: need-more is never raised, decrypt-failed, too-large, protocol-error,
    bad-magic); reason: a precise token; offset: the received byte (1-based count) on
    which the receiver fails when fed one byte at a time."""

    def __init__(self, error, reason, offset, detail=""):
        super().__init__("%s (%s) at received byte %d%s" % (
            error, reason, offset, (": " + detail) if detail else ""))
        self.error = error
        self.reason = reason
        self.offset = offset


class V2Transport:
    """One side of a v2 connection as the BIP's pseudo-code runs it, sans I/O: feed() the
    bytes received, take_output() what to send. The receive states follow the BIP's
    phases (and Core's names): maybe_v1 (responder: is it magic + "version\\0\\0\\0\\0\\0"?),
    key, garbage (scan for the terminator), version (skip decoys up to the version packet),
    app; v1 when the responder saw the whole v1 prefix (the caller takes over with
    v1_bytes), failed after a V2Error.

    Sending: ellswift + garbage at once (the responder: on the first byte that differs
    from the v1 prefix); terminator, decoys (the first packet carries the garbage as
    AAD), the version packet when the peer's 64-byte key is complete; then
    send_message/send_decoy, queued until then. decoys: contents, or (contents, header)
    for a header byte other than 0x80 (the ignore bit is always set). Events returned by feed(), one dict each
    with "end" (the received byte count at which it completed):
      terminator (garbage_len), decoy (header, contents), version (header, contents),
      message (header, type, payload, contents), dropped (header, reason, contents),
      v1 (the responder saw the v1 prefix)."""

    def __init__(self, initiating, privkey, ellswift, garbage=b"", magic=NETWORK_MAGIC["mainnet"],
                 decoys=(), version_contents=TRANSPORT_VERSION, check_v1=None, version_header=0):
        if len(ellswift) != ELLSWIFT_LEN:
            raise ValueError("ellswift must be 64 bytes")
        self.initiating = initiating
        self.privkey = privkey
        self.ellswift = ellswift
        self.garbage = bytes(garbage)
        self.magic = magic
        self.decoys = list(decoys)
        self.version_contents = version_contents
        self.version_header = version_header
        self.check_v1 = (not initiating) if check_v1 is None else check_v1
        self.cipher = None
        self.state = "key" if initiating or not self.check_v1 else "maybe_v1"
        self.buf = b""
        self.received = 0          # bytes consumed so far
        self.recv_aad = None
        self.recv_garbage = None
        self.recv_len = None
        self.out = bytearray()
        self.sent_key = False
        self.ready = False         # our terminator and version packet are out
        self.queue = []
        self.version_received = False
        self.v1_bytes = b""
        if initiating or not self.check_v1:
            self._start_sending()

    # sending
    def _start_sending(self):
        self.out += self.ellswift + self.garbage
        self.sent_key = True

    def _on_key(self, ellswift_theirs):
        self.cipher = Cipher(self.privkey, self.ellswift, ellswift_theirs, self.initiating,
                             self.magic)
        self.out += self.cipher.send_garbage_terminator
        aad = self.garbage
        for d in self.decoys:
            contents, header = (d, IGNORE_BIT) if isinstance(d, (bytes, bytearray)) else d
            self.out += self.cipher.encrypt(contents, aad=aad, header=header | IGNORE_BIT)
            aad = b""
        self.out += self.cipher.encrypt(self.version_contents, aad=aad,
                                        header=self.version_header & ~IGNORE_BIT)
        self.ready = True
        for item in self.queue:
            self.out += self.cipher.encrypt(*item)
        self.queue = []

    def send_packet(self, contents, ignore=False, header=None):
        item = (contents, b"", ignore, header)
        if self.ready:
            self.out += self.cipher.encrypt(*item)
        else:
            self.queue.append(item)

    def send_message(self, msgtype, payload, encoding=None):
        self.send_packet(encode_contents(msgtype, payload, encoding))

    def send_decoy(self, contents):
        self.send_packet(contents, ignore=True)

    def take_output(self):
        out = bytes(self.out)
        self.out = bytearray()
        return out

    @property
    def session_id(self):
        """Known once the peer's version packet has verified (as Core reports it)."""
        return self.cipher.session_id if self.version_received else None

    # receiving
    def feed(self, data):
        events = []
        data = bytes(data)
        pos = 0
        while pos < len(data):
            if self.state == "failed":
                raise ValueError("feed after failure")
            if self.state == "v1":
                self.v1_bytes += data[pos:]
                return events
            if self.state in ("maybe_v1", "key", "garbage"):
                self.buf += data[pos:pos + 1]
                pos += 1
                self.received += 1
                self._byte(events)
            else:
                if self.recv_len is None:
                    need = LENGTH_FIELD_LEN - len(self.buf)
                else:
                    need = LENGTH_FIELD_LEN + HEADER_LEN + self.recv_len + \
                        CHACHA20POLY1305_EXPANSION - len(self.buf)
                take = data[pos:pos + need]
                pos += len(take)
                self.received += len(take)
                self.buf += take
                if len(take) == need:
                    self._packet_bytes(events)
        return events

    def _fail(self, error, reason, detail=""):
        self.state = "failed"
        raise V2Error(error, reason, self.received, detail)

    def _byte(self, events):
        if self.state == "maybe_v1":
            prefix = self.magic + V1_VERSION_COMMAND
            n = len(self.buf)
            if self.buf[-1] != prefix[n - 1]:
                # BIP: "Waits until one byte is received which does not match the 16 bytes"
                self.state = "key"
                self._start_sending()
            elif n == V1_PREFIX_LEN:
                self.state = "v1"
                self.v1_bytes = self.buf
                self.buf = b""
                events.append({"event": "v1", "end": self.received})
                return
            else:
                return
        if self.state == "key":
            # BIP: "If the first 4 received bytes do not match the network magic, but the 12
            # bytes after that do match the version message encoding above, implementations
            # may interpret this as a v1 peer of a different network, and disconnect them."
            # (Core does, on a responder connection, as soon as 16 bytes are in.)
            if (self.check_v1 and len(self.buf) >= V1_PREFIX_LEN
                    and self.buf[4:16] == V1_VERSION_COMMAND):
                self._fail("bad-magic", "v1-wrong-network", self.buf[:4].hex())
            if len(self.buf) == ELLSWIFT_LEN:
                theirs = self.buf
                self.buf = b""
                self.state = "garbage"
                if not self.sent_key:
                    self._start_sending()
                self._on_key(theirs)
            return
        # garbage: "Receive up to 4111 bytes, stopping when encountering the garbage terminator"
        if len(self.buf) >= GARBAGE_TERMINATOR_LEN and \
                self.buf[-GARBAGE_TERMINATOR_LEN:] == self.cipher.recv_garbage_terminator:
            self.recv_garbage = self.buf[:-GARBAGE_TERMINATOR_LEN]
            self.recv_aad = self.recv_garbage
            self.buf = b""
            self.state = "version"
            events.append({"event": "terminator", "garbage_len": len(self.recv_garbage),
                           "end": self.received})
        elif len(self.buf) == MAX_GARBAGE_LEN + GARBAGE_TERMINATOR_LEN:
            # Core: "missing garbage terminator" once 4095 + 16 bytes hold no terminator
            # (the BIP's loop would read one byte more before disconnecting).
            self._fail("protocol-error", "missing-garbage-terminator")

    def _packet_bytes(self, events):
        if self.recv_len is None:
            self.recv_len = self.cipher.decrypt_length(self.buf)
            if self.recv_len > MAX_CONTENTS_LEN:
                self._fail("too-large", "packet-too-large", "%d bytes" % self.recv_len)
            return
        res = self.cipher.decrypt(self.buf[LENGTH_FIELD_LEN:], aad=self.recv_aad)
        if res is None:
            self._fail("decrypt-failed", "decryption-failure", "%d bytes" % self.recv_len)
        # "Only the first packet is expected to have non-empty AAD."
        self.recv_aad = b""
        self.buf = b""
        self.recv_len = None
        header, contents = res
        ev = {"header": header, "end": self.received}
        if header & IGNORE_BIT:
            ev.update(event="decoy", contents=contents)
        elif self.state == "version":
            # "Receives a packet, ignores its contents."
            self.state = "app"
            self.version_received = True
            ev.update(event="version", contents=contents)
        else:
            msgtype, payload, reason = decode_contents(contents)
            if reason is None:
                ev.update(event="message", type=msgtype, payload=payload, contents=contents)
            else:
                ev.update(event="dropped", reason=reason, contents=contents)
        events.append(ev)

    def waiting_for(self):
        """What the receiver waits for: maybe_v1, key, garbage (terminator), length,
        packet (header, contents or tag), or idle (between packets after the version
        packet), v1, failed."""
        if self.state in ("version", "app"):
            if self.recv_len is not None:
                return "packet"
            if self.buf:
                return "length"
            return "length" if self.state == "version" else "idle"
        return self.state


# ---- the self-check against the official files -----------------------------------------


def shared_vectors_dir():
    """PS_SHARED_VECTORS, else ../shared/vectors beside the checkout (as ci/lib.sh)."""
    env = os.environ.get("PS_SHARED_VECTORS")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "shared", "vectors"))


def _rows(folder, name):
    path = os.path.join(folder, "bip324", name)
    if not os.path.isfile(path):
        raise SelfCheckError("%s is absent: the oracle cannot be checked against the official "
                             "BIP324 vectors (set PS_SHARED_VECTORS to the folder holding "
                             "bip324/)" % path)
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _check(cond, what):
    if not cond:
        raise SelfCheckError("official vector not reproduced: " + what)


def check_packet_encoding(rows):
    cols = 0
    for r in rows:
        tag = "packet_encoding row in_idx=%s" % r["in_idx"]
        priv = bytes.fromhex(r["in_priv_ours"])
        ours = bytes.fromhex(r["in_ellswift_ours"])
        theirs = bytes.fromhex(r["in_ellswift_theirs"])
        initiating = r["in_initiating"] == "1"
        c = Cipher(priv, ours, theirs, initiating, NETWORK_MAGIC["mainnet"])
        _check(ellswift_decode(ours) == c.x_ours, tag + ": in_ellswift_ours encodes x(priv*G)")
        got = {
            "mid_x_ours": c.x_ours.to_bytes(32, "big"),
            "mid_x_theirs": c.x_theirs.to_bytes(32, "big"),
            "mid_x_shared": c.x_shared,
            "mid_shared_secret": c.shared_secret,
            "mid_initiator_l": c.keys["initiator_L"],
            "mid_initiator_p": c.keys["initiator_P"],
            "mid_responder_l": c.keys["responder_L"],
            "mid_responder_p": c.keys["responder_P"],
            "mid_send_garbage_terminator": c.send_garbage_terminator,
            "mid_recv_garbage_terminator": c.recv_garbage_terminator,
            "out_session_id": c.session_id,
        }
        for col, val in got.items():
            _check(val.hex() == r[col], "%s: %s" % (tag, col))
            cols += 1
        for _ in range(int(r["in_idx"])):
            c.encrypt(b"")
        contents = bytes.fromhex(r["in_contents"]) * int(r["in_multiply"])
        ct = c.encrypt(contents, aad=bytes.fromhex(r["in_aad"]), ignore=r["in_ignore"] == "1")
        if r["out_ciphertext"]:
            _check(ct.hex() == r["out_ciphertext"], tag + ": out_ciphertext")
            cols += 1
        if r["out_ciphertext_endswith"]:
            _check(ct.hex().endswith(r["out_ciphertext_endswith"]),
                   tag + ": out_ciphertext_endswith")
            cols += 1
        # and back: a receiver holding the sender's keys (what the peer's recv_L/recv_P
        # start from) decrypts the dummies and the packet, and sees the ignore bit
        side = "initiator" if initiating else "responder"
        tx = Cipher.__new__(Cipher)
        tx.send_L = FSChaCha20(c.keys[side + "_L"])
        tx.send_P = FSChaCha20Poly1305(c.keys[side + "_P"])
        rx = Cipher.__new__(Cipher)
        rx.recv_L = FSChaCha20(c.keys[side + "_L"])
        rx.recv_P = FSChaCha20Poly1305(c.keys[side + "_P"])
        for _ in range(int(r["in_idx"])):
            d = tx.encrypt(b"")
            _check(rx.decrypt_length(d[:3]) == 0 and rx.decrypt(d[3:]) == (0, b""),
                   tag + ": a dummy packet decrypts")
        _check(rx.decrypt_length(ct[:3]) == len(contents), tag + ": the length decrypts")
        got_back = rx.decrypt(ct[3:], aad=bytes.fromhex(r["in_aad"]))
        _check(got_back == (IGNORE_BIT if r["in_ignore"] == "1" else 0, contents),
               tag + ": the packet decrypts to its header and contents")
    return len(rows), cols


def check_ellswift_decode(rows):
    for r in rows:
        _check(ellswift_decode(bytes.fromhex(r["ellswift"])).to_bytes(32, "big").hex() == r["x"],
               "ellswift_decode %s (%s)" % (r["ellswift"][:16], r["comment"]))
    return len(rows)


def check_xswiftec_inv(rows):
    n = 0
    for r in rows:
        u = int(r["u"], 16)
        x = int(r["x"], 16)
        for case in range(8):
            t = xswiftec_inv(x, u, case)
            want = r["case%d_t" % case]
            got = "" if t is None else t.to_bytes(32, "big").hex()
            _check(got == want, "xswiftec_inv u=%s case %d (%s)" % (r["u"][:16], case,
                                                                     r["comment"]))
            if t is not None:
                _check(xswiftec(u, t) == x, "xswiftec(u, xswiftec_inv(x, u, %d)) = x" % case)
            n += 1
    return len(rows), n


def self_check(folder=None, verbose=True):
    """Reproduce the three official files; returns their counts. Raises SelfCheckError."""
    folder = folder or shared_vectors_dir()
    pe = _rows(folder, "packet_encoding_test_vectors.csv")
    ed = _rows(folder, "ellswift_decode_test_vectors.csv")
    xi = _rows(folder, "xswiftec_inv_test_vectors.csv")
    n_pe, n_cols = check_packet_encoding(pe)
    n_ed = check_ellswift_decode(ed)
    n_xi, n_cases = check_xswiftec_inv(xi)
    counts = {"packet_encoding_rows": n_pe, "packet_encoding_values": n_cols,
              "ellswift_decode_rows": n_ed, "xswiftec_inv_rows": n_xi,
              "xswiftec_inv_cases": n_cases}
    if verbose:
        print("self-check: %s/bip324: packet_encoding_test_vectors.csv %d/%d rows (%d mid_*/out_* "
              "values), ellswift_decode_test_vectors.csv %d/%d rows, "
              "xswiftec_inv_test_vectors.csv %d/%d rows (%d (u, x, case) results) reproduced"
              % (folder, n_pe, len(pe), n_cols, n_ed, len(ed), n_xi, len(xi), n_cases))
    return counts


def main(argv):
    if argv[1:] != ["--self-check"]:
        print("usage: bip324_oracle.py --self-check", file=sys.stderr)
        return 2
    try:
        self_check()
    except SelfCheckError as e:
        print("self-check: FAILED: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
