#!/usr/bin/python3
"""tshark_check.py: tshark's Bitcoin dissector as a second oracle on peershake's
own traffic (used by bats/tshark.bats).

  tshark_check.py proxy --upstream HOST:PORT --port-file F --out DIR [--timeout S]
      Listen on 127.0.0.1 (a free port, written to F), accept one connection,
      connect to the upstream and relay both ways until both sides have closed.
      Record every chunk as it passed and write DIR/capture.pcap: the two
      streams wrapped in fake Ethernet/IPv4/TCP headers (a three-way handshake,
      one segment per chunk, FINs), addressed client -> upstream port, so no
      capture privilege is needed. The bytes are exactly what peershake sent.

  tshark_check.py compare --out DIR --port P --magic HEX --connect-json A --listen-json B
      Decode DIR/capture.pcap with `tshark -d tcp.port==P,bitcoin -T json`,
      decode the same bytes with python-bitcoinlib, and check for every
      message that tshark's magic (the network's), command, length and
      checksum match the frames and peershake's "sent"/"recv" events; for each
      version message that tshark's fields equal python-bitcoinlib's and what
      peershake reported in the receiver's "version" event (version, services,
      user agent, start height, relay, nonce); the timestamp (not reported by
      peershake) equal to python-bitcoinlib's and within 5 minutes of the
      capture; addr_recv and addr_from equal to python-bitcoinlib's.
      Prints one line per field compared; exit 1 on any difference.
"""

import argparse
import datetime
import hashlib
import json
import os
import selectors
import socket
import struct
import subprocess
import sys
import time

# ---- proxy + pcap -----------------------------------------------------------------


def relay(args):
    host, port = args.upstream.rsplit(":", 1)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(tmp, args.port_file)
    deadline = time.monotonic() + args.timeout
    ls.settimeout(args.timeout)
    client, caddr = ls.accept()
    ls.close()
    t_open = time.time()
    server = socket.create_connection((host, int(port)), timeout=args.timeout)
    chunks = []  # (time, from_client, bytes)
    open_ = {client: True, server: True}
    peer = {client: server, server: client}
    sel = selectors.DefaultSelector()
    sel.register(client, selectors.EVENT_READ)
    sel.register(server, selectors.EVENT_READ)
    while any(open_.values()):
        left = deadline - time.monotonic()
        if left <= 0:
            sys.stderr.write("proxy: timeout with connections open\n")
            break
        for key, _ in sel.select(left):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                data = b""
            if data:
                chunks.append((time.time(), s is client, data))
                peer[s].sendall(data)
            else:
                sel.unregister(s)
                open_[s] = False
                try:
                    peer[s].shutdown(socket.SHUT_WR)
                except OSError:
                    pass
    client.close()
    server.close()
    write_pcap(os.path.join(args.out, "capture.pcap"), chunks, t_open,
               ("127.0.0.1", caddr[1]), (host, int(port)))
    with open(os.path.join(args.out, "streams.json"), "w") as f:
        json.dump({"client_to_server": b"".join(c[2] for c in chunks if c[1]).hex(),
                   "server_to_client": b"".join(c[2] for c in chunks if not c[1]).hex(),
                   "t_open": t_open, "t_close": time.time()}, f)
    return 0


def csum16(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def segment(src, dst, seq, ack, flags, payload):
    sip, sport = socket.inet_aton(src[0]), src[1]
    dip, dport = socket.inet_aton(dst[0]), dst[1]
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                      flags, 65535, 0, 0)
    pseudo = sip + dip + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    tcp = tcp[:16] + struct.pack("!H", csum16(pseudo + tcp + payload)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6, 0,
                     sip, dip)
    ip = ip[:10] + struct.pack("!H", csum16(ip)) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ip + tcp + payload


def write_pcap(path, chunks, t0, cli, srv):
    SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
    pkts = []
    cseq, sseq = 1000, 5000
    pkts.append((t0, segment(cli, srv, cseq, 0, SYN, b"")))
    pkts.append((t0, segment(srv, cli, sseq, cseq + 1, SYN | ACK, b"")))
    cseq, sseq = cseq + 1, sseq + 1
    pkts.append((t0, segment(cli, srv, cseq, sseq, ACK, b"")))
    for t, from_client, data in chunks:
        for off in range(0, len(data), 60000):
            part = data[off:off + 60000]
            if from_client:
                pkts.append((t, segment(cli, srv, cseq, sseq, PSH | ACK, part)))
                cseq += len(part)
            else:
                pkts.append((t, segment(srv, cli, sseq, cseq, PSH | ACK, part)))
                sseq += len(part)
    t_end = chunks[-1][0] if chunks else t0
    pkts.append((t_end, segment(cli, srv, cseq, sseq, FIN | ACK, b"")))
    pkts.append((t_end, segment(srv, cli, sseq, cseq + 1, FIN | ACK, b"")))
    pkts.append((t_end, segment(cli, srv, cseq + 1, sseq + 1, ACK, b"")))
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for t, p in pkts:
            sec = int(t)
            f.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(p), len(p)))
            f.write(p)


# ---- compare -----------------------------------------------------------------------

failures = 0


def check(what, got, want):
    global failures
    ok = got == want
    print("%s %s: tshark %r, expected %r" % ("ok  " if ok else "FAIL", what, got, want))
    if not ok:
        failures += 1


def frames(stream):
    """Split a byte stream into (header fields, payload) by the 24-byte header."""
    out, off = [], 0
    while off + 24 <= len(stream):
        magic, cmd, length, csum = struct.unpack("<4s12sI4s", stream[off:off + 24])
        payload = stream[off + 24:off + 24 + length]
        assert len(payload) == length, "a truncated message in the capture"
        assert hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] == csum
        out.append({"magic": magic, "command": cmd.rstrip(b"\x00").decode(), "length": length,
                    "raw": stream[off:off + 24 + length]})
        off += 24 + length
    assert off == len(stream), "bytes after the last whole message"
    return out


def tshark_messages(pcap, port):
    """Every Bitcoin message tshark dissects, in order, per direction."""
    # several messages in one segment give several "bitcoin" keys in one object:
    # --no-duplicate-keys makes them one array
    cmd = ["tshark", "-r", pcap, "-d", "tcp.port==%d,bitcoin" % port, "-T", "json",
           "--no-duplicate-keys", "-o", "tcp.desegment_tcp_streams:TRUE"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    msgs = {True: [], False: []}
    for pkt in json.loads(out):
        layers = pkt["_source"]["layers"]
        if "bitcoin" not in layers:
            continue
        from_client = int(layers["tcp"]["tcp.dstport"]) == port
        b = layers["bitcoin"]
        msgs[from_client].extend(b if isinstance(b, list) else [b])
    return msgs


def find(tree, key):
    """The first value of key anywhere in a tshark JSON tree."""
    if isinstance(tree, dict):
        if key in tree:
            return tree[key]
        for v in tree.values():
            r = find(v, key)
            if r is not None:
                return r
    elif isinstance(tree, list):
        for v in tree:
            r = find(v, key)
            if r is not None:
                return r
    return None


def tshark_addr(tree):
    ip = find(tree, "bitcoin.address.address")
    return {"services": int(find(tree, "bitcoin.address.services"), 0),
            "ip": socket.inet_pton(socket.AF_INET6, ip).hex(),
            "port": int(find(tree, "bitcoin.address.port"))}


def bl_addr(a):
    import io
    f = io.BytesIO()
    a.stream_serialize(f, without_time=True)
    b = f.getvalue()
    return {"services": struct.unpack("<Q", b[:8])[0], "ip": b[8:24].hex(),
            "port": struct.unpack(">H", b[24:26])[0]}


def events(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def compare(args):
    import bitcoin
    from bitcoin.messages import MsgSerializable

    with open(os.path.join(args.out, "streams.json")) as f:
        st = json.load(f)
    streams = {True: bytes.fromhex(st["client_to_server"]),
               False: bytes.fromhex(st["server_to_client"])}
    ts = tshark_messages(os.path.join(args.out, "capture.pcap"), args.port)
    ev = {True: events(args.connect_json), False: events(args.listen_json)}
    side = {True: "connect", False: "listen"}

    for from_client in (True, False):
        who = "%s -> %s" % (side[from_client], side[not from_client])
        fr = frames(streams[from_client])
        tm = ts[from_client]
        check("%s: messages dissected" % who, len(tm), len(fr))
        sent = [e for e in ev[from_client] if e.get("event") == "sent"]
        recv = [e for e in ev[not from_client] if e.get("event") == "recv"]
        check("%s: peershake 'sent' events" % who, len(sent), len(fr))
        check("%s: peershake 'recv' events" % who, len(recv), len(fr))
        for i, (f, t) in enumerate(zip(fr, tm)):
            tag = "%s #%d %s" % (who, i + 1, f["command"])
            check(tag + " magic", int(t["bitcoin.magic"], 16), struct.unpack(">I", f["magic"])[0])
            check(tag + " magic = the network's", "%08x" % int(t["bitcoin.magic"], 16), args.magic)
            check(tag + " command", t["bitcoin.command"], f["command"])
            check(tag + " length", int(t["bitcoin.length"]), f["length"])
            check(tag + " checksum", int(t["bitcoin.checksum"], 16),
                  struct.unpack(">I", f["raw"][20:24])[0])
            if i < len(sent):
                check(tag + " = peershake sent command", t["bitcoin.command"], sent[i]["command"])
                check(tag + " = peershake sent length", int(t["bitcoin.length"]), sent[i]["length"])
            if i < len(recv):
                check(tag + " = peershake recv command", t["bitcoin.command"], recv[i]["command"])
                check(tag + " = peershake recv length", int(t["bitcoin.length"]), recv[i]["length"])
            if f["command"] != "version":
                continue
            # python-bitcoinlib reads the same bytes; it frames with the global
            # params' magic (testnet4 is newer than it: a subclass carries it)
            class Params(bitcoin.MainParams):
                MESSAGE_START = bytes.fromhex(args.magic)

            bitcoin.params = Params()
            bl = MsgSerializable.from_bytes(f["raw"])
            v = t["bitcoin.version"]
            rep = [e for e in ev[not from_client] if e.get("event") == "version"]
            check(tag + " peershake reported one version", len(rep), 1)
            rep = rep[0] if rep else {}
            tv = int(v["bitcoin.version.version"])
            check(tag + " version = python-bitcoinlib", tv, bl.nVersion)
            check(tag + " version = peershake", tv, rep.get("version"))
            svc = int(v["bitcoin.version.services"], 0)
            check(tag + " services = python-bitcoinlib", svc, bl.nServices)
            check(tag + " services = peershake", svc, int(rep.get("services", "-1"), 16))
            nonce = int(v["bitcoin.version.nonce"], 0)
            check(tag + " nonce = python-bitcoinlib", nonce, bl.nNonce)
            check(tag + " nonce = peershake", nonce, int(rep.get("nonce", "-1"), 16))
            ua = find(v["bitcoin.version.user_agent"], "bitcoin.string.value")
            check(tag + " user agent = python-bitcoinlib", ua, bl.strSubVer.decode())
            check(tag + " user agent = peershake", ua, rep.get("user_agent"))
            h = int(v["bitcoin.version.start_height"])
            h = h - (1 << 32) if h >= 1 << 31 else h  # tshark shows it as uint32
            check(tag + " start height = python-bitcoinlib", h, bl.nStartingHeight)
            check(tag + " start height = peershake", h, rep.get("start_height"))
            relay = int(v["bitcoin.version.relay"])
            check(tag + " relay = python-bitcoinlib", relay, int(bl.fRelay))
            check(tag + " relay = peershake", bool(relay), rep.get("relay"))
            ts_epoch = struct.unpack("<q", f["raw"][24 + 12:24 + 20])[0]
            tstr = v["bitcoin.version.timestamp"]
            check(tag + " timestamp = python-bitcoinlib", ts_epoch, bl.nTime)
            check(tag + " timestamp year (tshark's text)", str(datetime.datetime.fromtimestamp(
                ts_epoch, datetime.timezone.utc).year) in tstr, True)
            check(tag + " timestamp within 300 s of the capture",
                  abs(ts_epoch - st["t_open"]) <= 300, True)
            check(tag + " addr_recv = python-bitcoinlib",
                  tshark_addr(v["bitcoin.version.addr_you"]), bl_addr(bl.addrTo))
            check(tag + " addr_from = python-bitcoinlib",
                  tshark_addr(v["bitcoin.version.addr_me"]), bl_addr(bl.addrFrom))
    print("%d difference(s)" % failures)
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("proxy")
    p.add_argument("--upstream", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--timeout", type=float, default=20)
    c = sub.add_parser("compare")
    c.add_argument("--out", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--magic", required=True, help="the network's magic, 8 hex digits")
    c.add_argument("--connect-json", required=True)
    c.add_argument("--listen-json", required=True)
    args = ap.parse_args()
    return relay(args) if args.cmd == "proxy" else compare(args)


if __name__ == "__main__":
    sys.exit(main())
