#!/usr/bin/python3
"""silent_server.py: accept TCP connections and never send a byte.

usage: silent_server.py --listen HOST:PORT [--listen HOST:PORT]...
                        [--ready-file F] [--pid-file F] [--log F]

Listens on every HOST:PORT given (loopback addresses such as 127.0.0.5:PORT,
or [::1]:PORT; PORT 0 picks a free one), accepts every connection, reads and
discards whatever arrives and keeps each socket open until the client
closes it. One selectors loop, no threads.

The ready file gets one bound HOST:PORT a line, in the order given, written
only once every socket listens, so callers wait on that file. Runs until
SIGTERM or SIGINT. --log gets one line per event ("accept 127.0.0.5:PORT
from 127.0.0.1:PORT", "close ... after N bytes").
"""

import argparse
import os
import selectors
import signal
import socket
import sys


def parse_hostport(text):
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
    else:
        host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError("bad address %r (want HOST:PORT or [V6]:PORT)" % text)
    return host, int(port)


def fmt(host, port):
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


def write_atomic(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description="Accept TCP connections, never send a byte.")
    ap.add_argument("--listen", type=parse_hostport, action="append", required=True,
                    metavar="HOST:PORT")
    ap.add_argument("--ready-file", metavar="F")
    ap.add_argument("--pid-file", metavar="F")
    ap.add_argument("--log", metavar="F")
    args = ap.parse_args()

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.pid_file:
        write_atomic(args.pid_file, "%d\n" % os.getpid())
    log = open(args.log, "a", buffering=1) if args.log else None

    def note(line):
        if log:
            log.write(line + "\n")

    sel = selectors.DefaultSelector()
    bound = []
    for host, port in args.listen:
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            sys.exit("silent_server: bind %s: %s" % (fmt(host, port), e.strerror))
        s.listen(128)
        s.setblocking(False)
        name = fmt(host, s.getsockname()[1])
        bound.append(name)
        sel.register(s, selectors.EVENT_READ, ("listen", name))
    if args.ready_file:
        write_atomic(args.ready_file, "".join(b + "\n" for b in bound))

    received = {}
    while True:
        for key, _ in sel.select():
            kind, name = key.data
            sock = key.fileobj
            if kind == "listen":
                while True:
                    try:
                        conn, peer = sock.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:
                        break  # e.g. EMFILE: leave it pending, try on the next event
                    conn.setblocking(False)
                    who = fmt(peer[0], peer[1])
                    sel.register(conn, selectors.EVENT_READ, ("conn", "%s from %s" % (name, who)))
                    received[conn] = 0
                    note("accept %s from %s" % (name, who))
            else:
                try:
                    data = sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if data:
                    received[sock] += len(data)
                    continue
                note("close %s after %d bytes" % (name, received.pop(sock, 0)))
                sel.unregister(sock)
                sock.close()


if __name__ == "__main__":
    main()
