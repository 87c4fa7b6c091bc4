#!/usr/bin/python3
"""fuzz/tools/addr_seeds.py - write the seed corpus fuzz/corpus/btc_addr/ in
the harness's layout (fuzz/btc_addr.c: selector | payload; selector bit 0
set for addrv2, the rest a cap of 8 per step), built from BIP 155 and
Core v31.1's test vectors (netbase_tests.cpp stream_addrv1_hex and
stream_addrv2_hex; net_tests.cpp cnetaddr_unserialize_v2): every network
id, every length limit, unknown ids, 1,000 and 1,001 entries, truncations.
Idempotent: the same files every run.

Usage: fuzz/tools/addr_seeds.py [ROOT]
"""
import hashlib
import os
import struct
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "fuzz", "corpus", "btc_addr")
CAP = 0xfe  # selector without bit 0: a cap of 127 * 8


def put(data, tag):
    os.makedirs(OUT, exist_ok=True)
    name = "seed-" + tag + "-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def cs(n):
    if n < 0xfd:
        return bytes([n])
    if n <= 0xffff:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xffffffff:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


CORE_V1 = bytes.fromhex(
    "03" "61bc6649" "0000000000000000" "00000000000000000000000000000001" "0000"
    "79627683" "0100000000000000" "00000000000000000000000000000001" "00f1"
    "ffffffff" "4804000000000000" "00000000000000000000000000000001" "f1f2")
CORE_V2 = bytes.fromhex(
    "03" "61bc6649" "00" "02" "10" "00000000000000000000000000000001" "0000"
    "79627683" "01" "02" "10" "00000000000000000000000000000001" "00f1"
    "ffffffff" "fd4804" "02" "10" "00000000000000000000000000000001" "f1f2")
# cnetaddr_unserialize_v2, network id | length | address
CNETADDR = [
    "010401020304", "01040102", "010501020304", "01fd010201020304",
    "02100102030405060708090a0b0c0d0e0f10", "0210fd6b88c08724ca978112ca1bbdcafac2", "020400",
    "021000000000000000000000ffff01020304", "0210fd87d87eeb430102030405060708090a",
    "030af1f2f3f4f5f6f7f8f9fa",
    "042079bcc625184b05194975c28b66b66b0469f7f6556fb1ac3189a79b40dda32f1f", "040000",
    "0520a2894dabaec08c0051a481a6dac88b64f98232ae42d4b6fd2fa81952dfe36a87", "050300",
    "0610fc000001000200030004000500060007", "0610aa000001000200030004000500060007", "060100",
    "aafe0000000201020304050607", "aa0401020304", "aa00",
]


def v2_entry(netaddr, services=b"\x00", port=8333):
    return b"\x00\x00\x00\x00" + services + netaddr + struct.pack(">H", port)


def v1_entry(ip16, services=1, port=8333):
    return b"\x00\x00\x00\x00" + struct.pack("<Q", services) + ip16 + struct.pack(">H", port)


def main():
    put(bytes([CAP]) + CORE_V1, "core-v1")
    put(bytes([CAP | 1]) + CORE_V2, "core-v2")
    for k in (1, 20, len(CORE_V2) - 1):
        put(bytes([CAP | 1]) + CORE_V2[:k], "core-v2-cut")
        put(bytes([CAP]) + CORE_V1[:k], "core-v1-cut")
    for i, h in enumerate(CNETADDR):
        put(bytes([CAP | 1]) + b"\x01" + v2_entry(bytes.fromhex(h)), "cnetaddr%02d" % i)
    # every id with each length around its own, and unknown ids
    for net, ln in ((1, 4), (2, 16), (3, 10), (4, 32), (5, 32), (6, 16), (7, 0), (0xff, 512)):
        for d in (-1, 0, 1):
            n = ln + d
            if n < 0:
                continue
            body = bytes([net]) + cs(n) + bytes([0xfc]) * n
            put(bytes([CAP | 1]) + b"\x01" + v2_entry(body), "net%d-len%d" % (net, n))
    # all five kept networks in one message, services of each CompactSize width
    mix = [bytes.fromhex(CNETADDR[0]), bytes.fromhex(CNETADDR[4]), bytes.fromhex(CNETADDR[10]),
           bytes.fromhex(CNETADDR[12]), bytes.fromhex(CNETADDR[14])]
    sv = [b"\x09", b"\xfd\x09\x04", b"\xfe\x00\x00\x01\x00", b"\xff" + b"\xff" * 8, b"\x00"]
    put(bytes([CAP | 1]) + b"\x05" + b"".join(v2_entry(m, s) for m, s in zip(mix, sv)), "mix")
    put(bytes([0x01]) + b"\x05" + b"".join(v2_entry(m, s) for m, s in zip(mix, sv)), "mix-cap0")
    # 1,000 and 1,001 entries, both formats; a count the payload cannot hold
    e1 = v1_entry(bytes(10) + b"\xff\xff" + bytes([10, 0, 0, 1]))
    e2 = v2_entry(bytes.fromhex("01040a000001"), b"\x01")
    for n in (1000, 1001):
        put(bytes([CAP]) + cs(n) + e1 * n, "v1-%d" % n)
        put(bytes([CAP | 1]) + cs(n) + e2 * n, "v2-%d" % n)
    put(bytes([CAP | 1]) + cs(1000) + e2 * 3, "v2-short")
    put(bytes([CAP | 1]) + b"\xfe\x01\x00\x00\x02", "count-over-max-size")
    put(bytes([CAP]) + b"\x02" + e1 * 2 + b"trailing", "v1-trailing")
    put(bytes([CAP]) + b"\x00", "empty")


if __name__ == "__main__":
    main()
