# ci/load-attack.py: the attacker of ci/load (and bats/load.bats), run by
# /usr/bin/python3 (the standard library; hashlib's BLAKE2s and
# python3-cryptography for Noise msg1).
#
#   load-attack.py PROTO SCENARIO PORT N SRC READY [INTERVAL_MS]
#
# N connections from SRC to 127.0.0.1:PORT, opened without blocking; each
# sends the scenario's bytes, then stalls (reading and discarding whatever
# the listener says). Every connection the listener closes is reopened at
# once, except in "idle". READY gets "opened N failed F" once every one of
# the first N connects has finished (or 30 s passed). On SIGTERM it prints
# "connects C closed_by_listener X connect_failed F" and exits.
#
# Scenarios (PROTO btc or noise):
#   idle       nothing sent, never reopened
#   reopen     nothing sent, reopened when closed
#   slowloris  our first valid message but its last byte, one byte every
#              INTERVAL_MS (300): never a whole message
#   oversize   btc: a version header announcing 4,000,001 bytes (Core's
#              MAX_PROTOCOL_MESSAGE_LENGTH is 4,000,000); noise: `ff ff`
#              (a 65535-byte frame announced) and nothing more
#   oversize4g btc: a version header announcing 0xffffffff bytes
#   stalled    noise: `ff ff` + 200 bytes of that frame, then stall
#   junk       64 random bytes
#   msg1       btc: a valid version message (regtest magic, checksum),
#              then stall; noise: a valid NNpsk2 msg1 (-> e, empty
#              payload), then stall
import errno, hashlib, os, selectors, signal, socket, struct, sys, time

REGTEST_MAGIC = bytes.fromhex("fabfb5da")


def btc_msg(cmd, payload, length=None):
    if length is None:
        length = len(payload)
    ck = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    return REGTEST_MAGIC + cmd.ljust(12, b"\0") + struct.pack("<I", length) + ck + payload


def btc_version():
    def addr():  # services, IPv4-mapped ::ffff:127.0.0.1, port (big-endian)
        return struct.pack("<Q", 0) + bytes(10) + b"\xff\xff" + bytes([127, 0, 0, 1]) + struct.pack(">H", 18444)

    ua = b"/ci-load:0.1/"
    p = struct.pack("<iQq", 70016, 9, int(time.time())) + addr() + addr()
    p += os.urandom(8) + bytes([len(ua)]) + ua + struct.pack("<i", 0) + b"\x01"
    return btc_msg(b"version", p)


def noise_msg1():
    # Noise section 5 for Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s, msg1 = "e"
    # with an empty payload and an empty prologue: in a PSK handshake the
    # "e" token also calls MixKey(e.pub), so the payload is encrypted (a
    # 16-byte tag) although the PSK comes only in message 2.
    import hmac
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives import serialization

    H = lambda d: hashlib.blake2s(d).digest()
    mac = lambda k, d: hmac.new(k, d, hashlib.blake2s).digest()

    def hkdf2(ck, ikm):
        t = mac(ck, ikm)
        o1 = mac(t, b"\x01")
        return o1, mac(t, o1 + b"\x02")

    name = b"Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s"
    h = H(name) if len(name) > 32 else name.ljust(32, b"\0")
    ck = h
    h = H(h + b"")  # MixHash(prologue)
    e = X25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    h = H(h + e)  # MixHash(e.pub)
    ck, k = hkdf2(ck, e)  # MixKey(e.pub): PSK mode
    c = ChaCha20Poly1305(k).encrypt(bytes(4) + struct.pack("<Q", 0), b"", h)
    msg = e + c
    return struct.pack(">H", len(msg)) + msg


def scenario_bytes(proto, scen):
    """(sent at connect, dripped one byte a tick, reopen when closed)"""
    if scen == "idle":
        return b"", b"", False
    if scen == "reopen":
        return b"", b"", True
    if scen == "junk":
        return None, b"", True  # fresh random bytes per connection
    first = btc_version() if proto == "btc" else noise_msg1()
    if scen == "slowloris":
        return b"", first[:-1], True
    if scen == "msg1":
        return first, b"", True
    if proto == "btc" and scen == "oversize":
        return btc_msg(b"version", b"", 4000001)[:24], b"", True
    if proto == "btc" and scen == "oversize4g":
        return btc_msg(b"version", b"", 0xFFFFFFFF)[:24], b"", True
    if proto == "noise" and scen == "oversize":
        return b"\xff\xff", b"", True
    if proto == "noise" and scen == "stalled":
        return b"\xff\xff" + bytes(200), b"", True
    sys.exit("load-attack.py: no scenario %s for %s" % (scen, proto))


def main():
    proto, scen, port, n, src, ready = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
    interval = (int(sys.argv[7]) if len(sys.argv) > 7 else 300) / 1000.0
    first, drip, reopen = scenario_bytes(proto, scen)
    sel = selectors.DefaultSelector()
    st = {"connects": 0, "closed": 0, "failed": 0, "done": 0}
    conns = {}  # socket -> [connected, bytes left to drip]

    def stop(*_):
        print("connects %d closed_by_listener %d connect_failed %d" % (st["connects"], st["closed"], st["failed"]), flush=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)

    def dial():
        s = socket.socket()
        s.setblocking(False)
        s.bind((src, 0))
        r = s.connect_ex(("127.0.0.1", port))
        if r not in (0, errno.EINPROGRESS):
            s.close()
            st["failed"] += 1
            st["done"] += 1
            return
        st["connects"] += 1
        conns[s] = [False, drip]
        sel.register(s, selectors.EVENT_WRITE)

    def drop(s, by_listener):
        sel.unregister(s)
        del conns[s]
        s.close()
        if by_listener:
            st["closed"] += 1
        if reopen:
            dial()

    for _ in range(n):
        dial()
    ready_written = False
    start = time.monotonic()
    next_tick = start + interval
    while True:
        if not ready_written and (st["done"] >= n or time.monotonic() - start > 30):
            with open(ready + ".tmp", "w") as f:
                f.write("opened %d failed %d\n" % (st["connects"], st["failed"]))
            os.rename(ready + ".tmp", ready)
            ready_written = True
        timeout = max(0.0, next_tick - time.monotonic()) if drip else 0.5
        for key, ev in sel.select(timeout):
            s = key.fileobj
            c = conns.get(s)
            if c is None:
                continue
            if not c[0]:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if st["done"] < n:
                    st["done"] += 1
                if err:
                    st["failed"] += 1
                    drop(s, False)
                    continue
                c[0] = True
                sel.modify(s, selectors.EVENT_READ)
                data = os.urandom(64) if first is None else first
                try:
                    if data:
                        s.send(data)
                except OSError:
                    drop(s, True)
                continue
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                drop(s, True)
        if drip and time.monotonic() >= next_tick:
            next_tick = time.monotonic() + interval
            for s, c in list(conns.items()):
                if c[0] and c[1]:
                    try:
                        s.send(c[1][:1])
                        c[1] = c[1][1:]
                    except BlockingIOError:
                        pass
                    except OSError:
                        drop(s, True)


main()
