#!/usr/bin/python3
"""fuzz/tools/bip324_seeds.py - write the seed corpora of the BIP324 harnesses.

fuzz/corpus/btc_ellswift/: from BIP324's official vectors, read in place:
the 64-byte ellswift of every row of ellswift_decode_test_vectors.csv, both
encodings of every row of packet_encoding_test_vectors.csv, and u || t of
every t in xswiftec_inv_test_vectors.csv.
fuzz/corpus/btc_v2cipher/: a few op sequences in the layout of
fuzz/btc_v2cipher.c (pair packets of several sizes, one past a rekeying;
raw lengths and packets with a zero tag, exact and off by one).
One file per distinct input, named by its SHA-1 as libFuzzer names its
own. Idempotent.

Usage: fuzz/tools/bip324_seeds.py [VECTORS_DIR (../shared/vectors beside the checkout)]
"""
import csv
import hashlib
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
VEC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "vectors")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def rows(name):
    with open(os.path.join(VEC, "bip324", name), newline="") as f:
        return list(csv.DictReader(f))


seeds = set()
for r in rows("ellswift_decode_test_vectors.csv"):
    seeds.add(bytes.fromhex(r["ellswift"]))
for r in rows("packet_encoding_test_vectors.csv"):
    seeds.add(bytes.fromhex(r["in_ellswift_ours"]))
    seeds.add(bytes.fromhex(r["in_ellswift_theirs"]))
for r in rows("xswiftec_inv_test_vectors.csv"):
    for c in range(8):
        if r["case%d_t" % c]:
            seeds.add(bytes.fromhex(r["u"] + r["case%d_t" % c]))


def write(harness, inputs):
    out = os.path.join(CORPUS, harness)
    os.makedirs(out, exist_ok=True)
    for s in sorted(inputs):
        with open(os.path.join(out, hashlib.sha1(s).hexdigest()), "wb") as f:
            f.write(s)
    print("%s: %d seeds" % (harness, len(inputs)))


assert all(len(s) == 64 for s in seeds)
write("btc_ellswift", seeds)


def pair(from_b, length, ignore, aad=b""):
    contents = bytes((i * 7) & 0xff for i in range(length))
    return (bytes([0, from_b, length & 0xff, length >> 8, ignore, len(aad)]) + aad + contents)


def raw(length, body, delta=0):
    """a length (null length cipher: plain) and a packet, with a zero tag"""
    return (bytes([1]) + length.to_bytes(3, "little") + bytes([2, delta]) + body +
            b"\0" * 16)


SEED = bytes(range(1, 9))
v2 = {
    SEED + pair(0, 1, 0, b"garbage") + pair(1, 0, 1) + pair(0, 200, 0),
    SEED + b"".join(pair(i % 2, i % 5, i % 3 == 0) for i in range(460)),
    SEED + raw(3, b"\x00abc") + raw(0, b"\x80") + raw(5, b"\x00hello", 1),
    SEED + raw(2, b"\x00xy", 2) + pair(0, 3, 0),
    SEED + raw(0x0fffff, b""),
}
write("btc_v2cipher", v2)
