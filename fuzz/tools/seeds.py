#!/usr/bin/python3
"""fuzz/tools/seeds.py - write the seed corpora fuzz/corpus/<harness>/seed-*
from the project's vectors (vectors/btc_messages.json, vectors/noise_*.json)
and the recorded transcripts (fuzz/transcripts/*.json, made by record.py),
each in the input layout its harness reads (see the comment at the top of
each fuzz/<harness>.c). Idempotent: the same files every run.

Usage: fuzz/tools/seeds.py [ROOT]
"""
import glob
import hashlib
import json
import os
import struct
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
NETS = ["mainnet", "testnet3", "testnet4", "signet", "regtest"]
MAGIC = {"mainnet": "f9beb4d9", "testnet3": "0b110907", "testnet4": "1c163f28",
         "signet": "0a03cf40", "regtest": "fabfb5da"}
CMDS = ["", "version", "verack", "wtxidrelay", "sendaddrv2", "sendtxrcncl", "sendcmpct",
        "ping", "pong", "feefilter", "sendheaders", "getaddr", "reject"]


def put(harness, data, tag=""):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    name = "seed-" + (tag + "-" if tag else "") + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def btc_messages():
    """(network, bytes) of every vector input that has a whole header."""
    out = []
    path = os.path.join(ROOT, "vectors", "btc_messages.json")
    if not os.path.exists(path):
        return out
    for g in json.load(open(path))["testGroups"]:
        net = g.get("network", "mainnet")
        for t in g["tests"]:
            raw = bytes.fromhex(t.get("input", ""))
            if len(raw) >= 24:
                out.append((net if net in NETS else "mainnet", raw, t.get("result") == "valid"))
    return out


def transcripts():
    """Recorded TCP streams: list of dicts {kind, peer, role, c2s, s2c} (hex)."""
    out = []
    for p in sorted(glob.glob(os.path.join(ROOT, "fuzz", "transcripts", "*.json"))):
        t = json.load(open(p))
        t["c2s"] = bytes.fromhex(t["c2s"])
        t["s2c"] = bytes.fromhex(t["s2c"])
        t["name"] = os.path.basename(p)[:-5]
        out.append(t)
    return out


def split_btc(stream):
    msgs, i = [], 0
    while len(stream) - i >= 24:
        n = struct.unpack_from("<I", stream, i + 16)[0]
        if len(stream) - i - 24 < n:
            break
        msgs.append(stream[i:i + 24 + n])
        i += 24 + n
    return msgs


def hs_ops(net, msgs):
    """btc_hs_* input: seed (8) | conf | (op 3: raw, u16 length) per message,
    then op 5 (consume all) and op 7 (drain)."""
    b = struct.pack("<Q", 1) + bytes([NETS.index(net)])
    for m in msgs:
        b += bytes([3]) + struct.pack("<H", len(m)) + m + bytes([5, 0xff, 7])
    return b


def main():
    vec = btc_messages()
    for i, (net, raw, valid) in enumerate(vec):
        n = NETS.index(net)
        put("btc_header", raw[:24] + bytes.fromhex(MAGIC[net]) + net.encode(), "vec")
        put("btc_msg", bytes([n << 1]) + raw, "vec")
        cmd = raw[4:16].rstrip(b"\0").decode("latin1")
        if valid and cmd in CMDS:
            put("btc_payload", bytes([CMDS.index(cmd)]) + raw[24:], "vec")
        elif valid:
            put("btc_payload", bytes([0]) + raw[4:16] + raw[24:], "vec")
        if i % 8 == 0:
            put("btc_stream", bytes([1 | n << 4, 0]) + raw, "vec")
    # the handshake: each valid version vector, then a verack, fed to both roles
    veracks = {net: raw for net, raw, ok in vec if ok and raw[4:16].rstrip(b"\0") == b"verack"}
    for i, (net, raw, valid) in enumerate(vec):
        if valid and raw[4:16].rstrip(b"\0") == b"version" and net in veracks and i % 4 == 0:
            for role in ("initiator", "responder"):
                put("btc_hs_" + role, hs_ops(net, [raw, veracks[net]]), "vec")
    # the misbehaviour switches: RNG seed 0xbb.., one switch per seed
    ver = [(net, raw) for net, raw, ok in vec if ok and raw[4:16].rstrip(b"\0") == b"version"
           and net in veracks][:1]
    for bit in range(22):
        for net, raw in ver:
            for role in ("initiator", "responder"):
                b = hs_ops(net, [raw, veracks[net]])
                put("btc_hs_" + role, struct.pack("<Q", 0xbb << 56 | 1 << bit) + b[8:], "bug%d" % bit)
    for bit in range(14):
        for role in (0, 1):
            put("noise_peer", struct.pack("<Q", 0xbb << 56 | 1 << bit) + bytes([role]) + bytes(32) +
                b"\x02ab\x02cd\x02ef" + bytes([0x88, 0x30]) + bytes(48) + bytes([5, 0xff, 6]),
                "bug%d" % bit)
    for v in (0, 1, 0xfc, 0xfd, 0xffff, 0x10000, 0x2000000, 0x2000001, 2**32, 2**64 - 1):
        if v < 0xfd:
            cs = bytes([v])
        elif v <= 0xffff:
            cs = b"\xfd" + struct.pack("<H", v)
        elif v <= 0xffffffff:
            cs = b"\xfe" + struct.pack("<I", v)
        else:
            cs = b"\xff" + struct.pack("<Q", v)
        put("btc_compactsize", b"\0" + cs + b"\x01" + cs + b"abc" + b"\x03" + struct.pack("<Q", v), "v")
    put("btc_compactsize", b"\x02" + bytes(26) + b"\x06" + b"\x05hello", "addr")

    for t in transcripts():
        if t["kind"] == "btc":
            net = t.get("network", "regtest")
            n = NETS.index(net)
            # we were t["role"]; the peer's bytes are what our state machine reads
            theirs = t["s2c"] if t["role"] == "initiator" else t["c2s"]
            ours = t["c2s"] if t["role"] == "initiator" else t["s2c"]
            for role, stream in (("initiator", theirs), ("responder", ours)):
                msgs = split_btc(stream)
                put("btc_hs_" + role, hs_ops(net, msgs), t["name"])
                put("btc_stream", bytes([(role == "responder") | n << 4, 0]) + stream, t["name"])
                put("btc_stream", bytes([(role == "responder") | n << 4, 3, 0, 23, 99]) + stream,
                    t["name"] + "-cut")
                put("btc_msg", bytes([n << 1]) + stream, t["name"])
                for m in msgs:
                    cmd = m[4:16].rstrip(b"\0").decode("latin1")
                    if cmd in CMDS:
                        put("btc_payload", bytes([CMDS.index(cmd)]) + m[24:], t["name"])
                    put("btc_header", m[:24] + bytes.fromhex(MAGIC[net]) + net.encode(), t["name"])
        else:
            for stream in (t["c2s"], t["s2c"]):
                put("noise_frame", struct.pack("<H", 0) + stream, t["name"])
                put("noise_frame", struct.pack("<H", 1) + stream, t["name"] + "-cut")

    # Noise: the vectors' messages as frames, as transport ciphertexts
    for p in sorted(glob.glob(os.path.join(ROOT, "vectors", "noise_*.json"))):
        for k, v in enumerate(json.load(open(p))["vectors"][:6]):
            msgs = [bytes.fromhex(m["ciphertext"]) for m in v["messages"]]
            frames = b"".join(struct.pack(">H", len(m)) + m for m in msgs)
            put("noise_frame", struct.pack("<H", 3) + frames, "vec")
            put("noise_protocol", v["protocol_name"].encode(), "vec")
            for m in msgs[2:3]:
                put("noise_transport", bytes(32) + b"\0" + bytes(8) + b"\0" + b"\x01" +
                    struct.pack("<H", len(m)) + m, "vec")
    # the vectors' message 1 as the responder harness reads it: NNpsk2 with
    # the vector's hash, PSK and prologue, raw mode. Real crypto reads it too.
    hashes = ["BLAKE2s", "SHA256", "BLAKE2b", "SHA512"]
    for p in sorted(glob.glob(os.path.join(ROOT, "vectors", "noise_*.json"))):
        for v in json.load(open(p))["vectors"][:4]:
            h = v["protocol_name"].rsplit("_", 1)[1]
            pro = bytes.fromhex(v["resp_prologue"])
            psks = v.get("resp_psks", [])
            if h not in hashes or len(pro) > 64 or len(psks) != 1 or "NNpsk2" not in v["protocol_name"]:
                continue
            m1 = bytes.fromhex(v["messages"][0]["ciphertext"])
            put("noise_msg1", bytes([hashes.index(h)]) + bytes(16) + bytes.fromhex(psks[0]) +
                bytes([len(pro)]) + pro + b"\x01" + struct.pack("<H", len(m1)) + m1 + b"\0", "vec")
    for name in ("Noise_XX_25519_ChaChaPoly_SHA256", "Noise_IKpsk2_25519_AESGCM_BLAKE2b",
                 "Noise_NNpsk0+psk2_25519_ChaChaPoly_BLAKE2s", "Noise_XXfallback_25519_AESGCM_SHA512",
                 "Noise_KK1_25519_ChaChaPoly_SHA512", "Noise_Npsk0_25519_ChaChaPoly_BLAKE2s"):
        put("noise_protocol", name.encode(), "name")
    # handshakes: mode and selector bytes, then a little of everything
    for sel in range(8):
        put("noise_pair", bytes([sel & 1, sel * 37 & 0xff]) + bytes(range(64)), "s%d" % sel)
        put("noise_msg1", bytes([sel * 0x21 & 0xff]) + bytes(range(7, 120)), "s%d" % sel)
        put("noise_msg2", bytes([sel * 0x21 & 0xff]) + bytes(range(7, 120)), "s%d" % sel)
        put("noise_peer", bytes(8) + bytes([sel]) + bytes(32) + b"\x02ab\x02cd\x02ef" +
            bytes([0x88, 0x32]) + bytes(50) + bytes([5, 0x80, 6]), "s%d" % sel)
        put("noise_transport", bytes(range(32)) + bytes([sel]) + bytes(8) + b"\x04abcd\x00\x05hello", "s%d" % sel)

    # text parsers
    for s in ("127.0.0.1", "127.0.0.1:8333", "[::1]:18444", "::1", "[fe80::1%eth0]:1",
              "seed.bitcoin.sipa.be", "localhost:65535", "h:0", "[::1]x", "a" * 254):
        put("endpoint", s.encode(), "txt")
    for s in ("", "00", "deadBEEF", "0g", "abc", "ff" * 32):
        put("hex", b"\0" + s.encode(), "txt")
    for argv in (["btc", "connect", "-n", "regtest", "127.0.0.1:18444"],
                 ["btc", "listen", "--count", "1", "127.0.0.1:0"],
                 ["-j", "-t", "3000", "seed.bitcoin.sipa.be", "8333", "5000"],
                 ["noise", "connect", "--psk-file", "k", "--prologue", "00ff", "[::1]:9"],
                 ["noise", "listen", "--protocol", "NNpsk2_25519_ChaChaPoly_SHA256", "0.0.0.0:1"],
                 ["btc", "connect", "--bug", "bad-checksum", "--bug", "send=ping@before-verack", "h"],
                 ["--magic", "fabfb5da", "--services", "0x409", "--relay", "0", "btc", "connect", "h:1"],
                 ["--help"], ["--version"], ["btc"], ["-x"]):
        put("cli_opts", b"\0".join(a.encode() for a in argv), "argv")


if __name__ == "__main__":
    main()
