#!/usr/bin/python3
"""Seeds of fuzz/crawlset (the crawler's address set and prefix filter), in
the harness's input format (fuzz/crawlset.c): max - 1, a 16-byte hash key,
then operations. Writes fuzz/corpus/crawlset/<name>.

    fuzz/tools/crawlset_seeds.py [OUTDIR]
"""
import os
import struct
import sys

KEY = bytes(range(16))
# take_addr's network selector (sel & 7): 0 IPv4, 1 IPv6, 2 TorV3, 3 I2P,
# 4 CJDNS, 7 any id (the next byte)
SEL = {"ipv4": 0, "ipv6": 1, "torv3": 2, "i2p": 3, "cjdns": 4}
LEN = {"ipv4": 4, "ipv6": 16, "torv3": 32, "i2p": 32, "cjdns": 16}


def addr(net, b0, blast=0, port=None, fill=0, raw_net=None, bad_len=None):
    """take_addr's bytes: sel, flags, [id], [len], first byte, [last byte],
    [port], time, services. fill: 0 zeros, 1 0xff, 2 127, 3 0x5a."""
    sel = SEL.get(net, 7)
    small = 0 if port is None else port & 3
    flags = fill << 1
    if port is not None and port > 3:
        flags |= 8
    if bad_len is not None:
        flags |= 1
    out = bytes([sel | small << 3, flags])
    if sel == 7:
        out += bytes([raw_net])
    n = LEN.get(net, 0) if bad_len is None else bad_len
    if bad_len is not None:
        out += bytes([bad_len])
    out += bytes([b0])
    if n > 1:
        out += bytes([blast])
    if flags & 8:
        out += struct.pack("<H", port)
    return out + struct.pack("<I", 1700000000) + b"\x09"


def add(*a, **k):
    return b"\x00" + addr(*a, **k)


def has(*a, **k):
    return b"\x01" + addr(*a, **k)


def again(i):
    return b"\x02" + bytes([i]) + struct.pack("<I", 7) + struct.pack("<Q", 0x409)


def near(i, how, arg=0):
    return bytes([3 | how << 3, i]) + (bytes([arg]) if how in (0, 1) else b"")


def cidr(v6, bits, addr_bytes, deny=False, keep_host=False):
    flags = (1 if v6 else 0) | (2 if deny else 0) | (4 if keep_host else 0) | 8
    n = 16 if v6 else 4
    return b"\x04" + bytes([flags, bits]) + bytes(addr_bytes).ljust(n, b"\0")[:n]


def text(prefix, ip, deny=False):
    p, i = prefix.encode(), ip.encode()
    return b"\x05" + bytes([len(p)]) + p + bytes([1 if deny else 0, len(i)]) + i


def query_near(idx, host_xor=0, flip_at=None, other_net=False):
    how = 1 | (idx << 1) | (0x40 if other_net else 0)
    at = 0 if flip_at is None else 0x80 | flip_at
    return b"\x06" + bytes([how, at, host_xor])


def query(*a, **k):
    return b"\x06\x00" + addr(*a, **k)


def seeds():
    s = {}
    # a set of 4 filled by 6 addresses: 1, 1, 1, 1, then NOBUF; present
    # ones still 0 when full
    # (asked before anything was added: an empty table)
    ops = has("ipv4", 127, 1, port=3)
    ops += b"".join(add("ipv4", 127, i, port=3) for i in range(1, 7))
    ops += again(0) + again(3) + has("ipv4", 127, 9, port=3) + has("ipv4", 127, 2, port=3)
    s["full-at-max"] = bytes([3]) + KEY + ops
    # every network at its length, the same bytes under each id, a wrong
    # length, TORv2 and unknown ids, neighbours one field off
    ops = b"".join(add(n, 0xfc, 1, port=8333) for n in ("ipv4", "ipv6", "torv3", "i2p", "cjdns"))
    ops += add("ipv6", 0xfc, 1, port=8333)  # again: 0
    ops += add("ipv4", 10, 1, bad_len=16) + add("ipv6", 10, 1, bad_len=4) + add("ipv4", 1, 1, bad_len=33)
    ops += add(None, 1, 1, raw_net=3) + add(None, 1, 1, raw_net=7) + add(None, 1, 1, raw_net=0)
    ops += near(1, 0, 0) + near(1, 1, 0x25) + near(1, 2) + near(3, 2) + near(0, 3) + near(2, 3)
    s["every-network"] = bytes([63]) + KEY + ops
    # more than one table's worth: grows 64 -> 128 -> 256, then free and
    # init again with max 1
    ops = b"".join(add("ipv6", i, 255 - i, port=1000 + i, fill=3) for i in range(120))
    ops += b"\x0f" + bytes([0]) + KEY[::-1] + add("ipv4", 1, 1) + add("ipv4", 1, 2) + add("ipv4", 1, 1)
    s["grow-and-reinit"] = bytes([199]) + KEY + ops
    # prefixes from their bits: in range, one past, host bits kept
    ops = cidr(False, 16, [127, 0]) + cidr(False, 33, [127]) + cidr(False, 8, [127, 0, 0, 1], keep_host=True)
    ops += cidr(True, 128, [0] * 15 + [1]) + cidr(True, 129, []) + cidr(False, 0, [], deny=True)
    ops += cidr(False, 17, [127, 0, 128], deny=True)
    ops += query_near(0) + query_near(0, flip_at=15) + query_near(0, flip_at=16) + query_near(1, 1)
    ops += query_near(1, other_net=True) + query("ipv4", 127, 1) + query("ipv6", 0, 1) + query("torv3", 1, 1)
    s["cidr-bits"] = bytes([15]) + KEY + ops
    # prefixes and addresses as text, good and bad
    ops = text("127.0.0.0/16", "127.0.0.1") + text("127.0.0.1/16", "::ffff:1.2.3.4")
    ops += text("::1/128", "1.2.3") + text("127.0.0.0/0008", "[::1]") + text("[::1]/128", "::")
    ops += text("10.0.0.0/8", "255.255.255.255", deny=True) + text("::/0", "fe80::1%lo")
    ops += text("/8", "") + text("127.0.0.0/+8", "1.2.3.4 ") + text("fc00::/7", "fc00:1:2:3:4:5:6:7")
    ops += query("ipv6", 0xfc, 7) + query("ipv4", 10, 1) + query("ipv4", 11, 1)
    s["cidr-text"] = bytes([15]) + KEY + ops
    # allow inside loopback, deny a /24 in it, the prefixes cleared
    ops = cidr(False, 16, [127, 0]) + cidr(False, 24, [127, 0, 5], deny=True) + cidr(True, 128, [0] * 15 + [1])
    ops += query_near(0, 0x01) + query_near(1, 0x02) + query_near(0, flip_at=9) + query_near(2)
    ops += b"\x07" + query("ipv4", 127, 1) + query("ipv6", 0, 1)
    s["allow-deny-clear"] = bytes([0]) + KEY + ops
    return s


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "corpus", "crawlset")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(len(seeds()), "seeds in", out)


if __name__ == "__main__":
    main()
