#!/usr/bin/python3
"""fuzz/tools/ellswift_seeds.py - write the seed corpus fuzz/corpus/btc_ellswift/
from BIP324's official vectors, read in place: the 64-byte ellswift of every
row of ellswift_decode_test_vectors.csv, both encodings of every row of
packet_encoding_test_vectors.csv, and u || t of every t in
xswiftec_inv_test_vectors.csv. One file per distinct input, named by its
SHA-1 as libFuzzer names its own. Idempotent.

Usage: fuzz/tools/ellswift_seeds.py [VECTORS_DIR (../shared/vectors beside the checkout)]
"""
import csv
import hashlib
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
VEC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "vectors")
OUT = os.path.join(ROOT, "fuzz", "corpus", "btc_ellswift")


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
os.makedirs(OUT, exist_ok=True)
for s in sorted(seeds):
    assert len(s) == 64
    with open(os.path.join(OUT, hashlib.sha1(s).hexdigest()), "wb") as f:
        f.write(s)
print("btc_ellswift: %d seeds in %s" % (len(seeds), OUT))
