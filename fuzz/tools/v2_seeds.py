#!/usr/bin/python3
"""fuzz/tools/v2_seeds.py - write the seed corpora of the v2 transport harnesses.

Each seed is an op sequence in the layout its harness documents (the
harness makes the honest bytes itself: keys, terminators and packets come
from its scripted peer, so a seed only says what happens in which order):

fuzz/corpus/btc_v2_initiator/, fuzz/corpus/btc_v2_responder/
  (fuzz/common/v2drive.c): whole honest handshakes with garbage of 0, 1,
  100 and 4095 bytes each way (Core's random length too; v2-only and
  detecting responders; every network), the peer's stream delivered whole,
  in pieces and a byte at a time; decoys before and after the handshake,
  packets with odd headers and contents Core drops, a ping after success;
  a flipped bit, raw bytes, a close and a time jump at several points.
fuzz/corpus/btc_v2_detect/: the v1 prefix of every network (whole, cut,
  with each kind of mismatch), another network's version header, keys.
fuzz/corpus/btc_v2_garbage/: garbage of 0, 1, 10, 4095 and 4096 bytes
  before the terminator, a flipped terminator, the terminator twice.

One file per distinct input, named by its SHA-1 as libFuzzer names its
own. Deterministic and idempotent.

Usage: fuzz/tools/v2_seeds.py
"""
import hashlib
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")

# ops of v2drive.c (op % 12)
MSG, DECOY, PACKET, RAW, FLIP, DELIVER, TO_PEER, TIME, DRAIN, PING = 0, 3, 4, 5, 6, 7, 8, 9, 10, 11
# the close: an op % 12 == 11 with the top nibble 0xf (251 % 12 == 11)
CLOSE = 0xfb
# fuzz_btc_message's kind byte: the command is kind % 14 (BTC_CMD_COUNT_ + 1),
# bit 7 clear for a structured payload; for a ping bit 6 adds the nonce
CMD_VERSION, CMD_VERACK, CMD_PING_WITH_NONCE = 1, 2, 0x4d


def u16(v):
    return struct.pack("<H", v)


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


def version_msg(nonce=0x0102030405060708, ua=b"/seed:1/"):
    """fuzz_btc_message's layout for a structured version (drive.c)."""
    b = bytes([CMD_VERSION])
    b += bytes([0])                 # sel: every group present, a nonce of its own
    b += bytes([0])                 # versions[0] = 70016
    b += bytes([2])                 # services[2] = 9
    b += u64(1700000000)            # timestamp
    b += u64(0) + bytes(16) + u16(0)  # addr_recv
    b += u64(9) + bytes(16) + u16(0)  # addr_from
    b += u64(nonce)
    b += u16(len(ua)) + ua          # user agent view (max 256: a 2-byte length)
    b += u32(7)                     # start height
    b += bytes([1])                 # relay
    return b


def ping_msg(nonce=5):
    return bytes([CMD_PING_WITH_NONCE]) + u64(nonce)


def view(data, big=False):
    return (u16(len(data)) if big else bytes([len(data)])) + data


def hs_seed(seed, conf, our_glen, peer_glen, ops):
    return u64(seed) + bytes([conf]) + u16(our_glen) + u16(peer_glen) + b"".join(ops)


def honest_ops(deliver=bytes([DELIVER]), extra=()):
    """Enough rounds for either role: keys, terminators, version, verack."""
    d = deliver
    ops = [bytes([TO_PEER]), d, bytes([TO_PEER]), d, bytes([TO_PEER]),
           bytes([MSG]) + version_msg(), d, bytes([TO_PEER]), d,
           bytes([MSG, CMD_VERACK]), d, bytes([TO_PEER]), bytes([DRAIN])]
    return ops + list(extra)


def handshake_seeds():
    out = set()
    n = 0
    for our, peer in ((0, 0), (1, 1), (100, 100), (4095, 4095), (0, 4095), (4095, 1)):
        for conf in (0x00, 0x01, 0x02, 0x03, 0x04, 0x08, 0x0c, 0x10):
            n += 1
            out.add(hs_seed(0x1000 + n, conf, our, peer, honest_ops()))
    # delivery in pieces: op 0x17 (7 | 0x10) takes a size below what is pending
    piece = bytes([DELIVER | 0x10, 0x05])
    out.add(hs_seed(7, 0, 10, 10, honest_ops(piece * 3 + bytes([DELIVER]))))
    out.add(hs_seed(8, 2, 3, 3, honest_ops(bytes([DELIVER | 0x10, 0x01]) * 40 +
                                           bytes([DELIVER]))))
    # after success: decoys, odd packets, a ping, their ping
    # (the packet ops' contents are views of up to 700 bytes: a 2-byte length)
    extra = [bytes([DECOY, 0x00]) + view(b"x" * 40, True), bytes([DELIVER]),
             bytes([PACKET, 0x00]) + view(b"", True), bytes([DELIVER]),        # empty contents
             bytes([PACKET, 0x00]) + view(b"\x1d" + b"abc", True), bytes([DELIVER]),  # unknown id
             bytes([PACKET, 0x00]) + view(b"\x00ping", True), bytes([DELIVER]),  # cut short
             bytes([PACKET, 0x7f]) + view(b"\x12" + u64(1), True), bytes([DELIVER]),  # header
             bytes([PING]) + u64(99), bytes([TO_PEER]),
             bytes([MSG]) + ping_msg(), bytes([DELIVER]), bytes([TO_PEER]), bytes([DRAIN])]
    out.add(hs_seed(9, 0, 5, 5, honest_ops(extra=extra)))
    out.add(hs_seed(10, 3, 5, 5, honest_ops(extra=extra)))
    # decoys before the handshake's messages, and between them
    ops = honest_ops()
    ops.insert(4, bytes([DECOY, 0x01]) + view(b"d" * 200, True))
    out.add(hs_seed(11, 0, 2, 2, ops))
    # trouble: a flipped bit, raw bytes, a close, time
    for k, bad in enumerate((bytes([FLIP, 0x00, 0x03]), bytes([RAW]) + view(bytes(30), True),
                             bytes([CLOSE]), bytes([TIME, 0xff, 0xff, 0xff, 0xff, 0x10]),
                             bytes([TIME | 0x10, 0x00, 0x00, 0x00, 0x10, 0x1f]))):
        for at in (1, 3, 6, 9):
            ops = honest_ops()
            ops.insert(at, bad)
            out.add(hs_seed(0x2000 + 16 * k + at, 0, 1, 1, ops))
    return out


def detect_seeds():
    nets = [bytes.fromhex(m) for m in ("f9beb4d9", "0b110907", "1c163f28", "0a03cf40", "fabfb5da")]
    out = set()
    version = b"version\0\0\0\0\0"
    for ni, magic in enumerate(nets):
        header = magic + version + u32(102) + bytes(4)
        for k in (0, 1, 4, 8, 15, 16):
            for rest in (b"", header[k:], header[k:] + bytes(102), b"\xee" * 64):
                out.add(u64(ni) + bytes([ni, k, 10]) + bytes([0, 3, 7, 255]) + rest)
        # another network's version header: v2 on byte 1, failure on byte 16
        other = nets[(ni + 1) % len(nets)]
        out.add(u64(ni) + bytes([ni, 0, 0]) + bytes([15, 0, 1, 2]) + other + version + u32(102))
        # a mismatch in the command, and a key-like stream
        out.add(u64(ni) + bytes([ni, 8, 0]) + bytes([1, 1, 1, 1]) + b"ack\0" + bytes(60))
        out.add(u64(ni) + bytes([ni, 0, 0]) + bytes([63, 0, 0, 0]) +
                hashlib.sha256(magic).digest() * 3)
    return out


def garbage_seeds():
    out = set()

    def g(seed, role, parts, sizes=(0, 15, 63, 255)):
        b = u64(seed) + bytes([role]) + bytes(sizes)
        for p in parts:
            b += p
        return b

    def raw(n, fill=0x5a):
        parts = []
        while n:
            k = min(n, 1024)
            parts.append(bytes([2]) + u16(k) + bytes([fill]) * k)
            n -= k
        return parts

    term = bytes([0])
    for role in (0, 1):
        for n in (0, 1, 10, 1000, 4095):
            out.add(g(3 + n, role, raw(n) + [term]))
        out.add(g(5, role, raw(4096) + [term]))             # too long: fails on 4111
        out.add(g(6, role, raw(10) + [bytes([1, 0x07]), term]))  # a flipped one first
        out.add(g(7, role, [term, term]))                   # the terminator twice
        out.add(g(8, role, raw(4200)))                      # never a terminator
        out.add(g(9, role, raw(20), sizes=(0, 0, 0, 0)))    # a byte at a time, waiting
    return out


def write(harness, inputs):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    for s in sorted(inputs):
        with open(os.path.join(d, hashlib.sha1(s).hexdigest()), "wb") as f:
            f.write(s)
    print("%s: %d seeds" % (harness, len(inputs)))


hs = handshake_seeds()
write("btc_v2_initiator", hs)
write("btc_v2_responder", hs)
write("btc_v2_detect", detect_seeds())
write("btc_v2_garbage", garbage_seeds())
