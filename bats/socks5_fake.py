#!/usr/bin/python3
"""A fake SOCKS5 proxy for bats/proxy.bats and bats/crawlproxy.bats, on
loopback only.

It connects nowhere but in --mode relay, and then only to loopback: it plays the proxy's side of RFC 1928 (and
RFC 1929 when the client offers username/password) and then misbehaves as
--mode says:

  record       answer the CONNECT with REP --rep (default 4, host
               unreachable) and append what arrived to --log, one line a
               connection: atyp=N host=NAME-or-IP port=N user=U pass=P
  close-mid    send the first 3 bytes of a CONNECT reply, then close
  silent       accept and never answer (the client's deadline runs out)
  relay        record as above, then for a loopback IP (ATYP 1 or 4)
               connect to it, answer REP 0 with BND the address it
               connects from, and carry bytes both ways until either end
               closes; REP 5 when the target refuses, REP 2 for an IP off
               loopback (never dialled), REP --rep for a name (never looked
               up): a proxy that takes any username and password, which
               microsocks and danted do not (--proxy-isolate); --bind
               ADDR: connect from ADDR (so the target sees the proxy)

Prints "port=N" once listening. Every connection is served in a thread.
"""
import argparse
import ipaddress
import socket
import sys
import threading


def recv_exact(c, n):
    buf = b""
    while len(buf) < n:
        chunk = c.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def pipe(src, dst):
    try:
        while True:
            chunk = src.recv(65536)
            if not chunk:
                break
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def relay(c, atyp, host, port, rep, bind):
    if atyp not in (1, 4):
        c.sendall(bytes([5, rep, 0, 1, 0, 0, 0, 0, 0, 0]))
        return
    if not ipaddress.ip_address(host).is_loopback:
        c.sendall(bytes([5, 2, 0, 1, 0, 0, 0, 0, 0, 0]))
        return
    fam = socket.AF_INET if atyp == 1 else socket.AF_INET6
    up = socket.socket(fam)
    try:
        if bind and fam == socket.AF_INET:
            up.bind((bind, 0))
        up.settimeout(5)
        up.connect((host, port))
        up.settimeout(None)
    except OSError:
        up.close()
        c.sendall(bytes([5, 5, 0, 1, 0, 0, 0, 0, 0, 0]))
        return
    bnd = up.getsockname()
    c.sendall(bytes([5, 0, 0, atyp]) + ipaddress.ip_address(bnd[0]).packed + bnd[1].to_bytes(2, "big"))
    t = threading.Thread(target=pipe, args=(up, c), daemon=True)
    t.start()
    pipe(c, up)
    t.join()
    up.close()


def serve(c, args, lock):
    try:
        if args.mode == "silent":
            c.recv(1024)
            threading.Event().wait(60)
            return
        ver, nmethods = recv_exact(c, 2)
        methods = recv_exact(c, nmethods)
        user = password = "-"
        if ver != 5:
            return
        if 2 in methods:
            c.sendall(b"\x05\x02")
            recv_exact(c, 1)  # RFC 1929 VER 1
            user = recv_exact(c, recv_exact(c, 1)[0]).decode("latin-1")
            password = recv_exact(c, recv_exact(c, 1)[0]).decode("latin-1")
            c.sendall(b"\x01\x00")
        else:
            c.sendall(b"\x05\x00")
        _, cmd, _, atyp = recv_exact(c, 4)
        if atyp == 1:
            host = str(ipaddress.IPv4Address(recv_exact(c, 4)))
        elif atyp == 4:
            host = str(ipaddress.IPv6Address(recv_exact(c, 16)))
        else:
            host = recv_exact(c, recv_exact(c, 1)[0]).decode("latin-1")
        port = int.from_bytes(recv_exact(c, 2), "big")
        if args.mode == "close-mid":
            c.sendall(b"\x05\x00\x00")
            return
        with lock, open(args.log, "a") as f:
            f.write(f"cmd={cmd} atyp={atyp} host={host} port={port} user={user} pass={password}\n")
        if args.mode == "relay":
            relay(c, atyp, host, port, args.rep, args.bind)
            return
        c.sendall(bytes([5, args.rep, 0, 1, 0, 0, 0, 0, 0, 0]))
    except (EOFError, OSError):
        pass
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["record", "close-mid", "silent", "relay"], default="record")
    ap.add_argument("--rep", type=lambda s: int(s, 0), default=4)
    ap.add_argument("--log", default="/dev/null")
    ap.add_argument("--bind", default=None)
    args = ap.parse_args()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    print(f"port={s.getsockname()[1]}", flush=True)
    lock = threading.Lock()
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, args, lock), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
