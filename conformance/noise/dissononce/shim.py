#!/usr/bin/python3
"""dissononce-shim: a Noise_NNpsk2 conformance shim around dissononce.

    -> e            (psk mode: e is also MixKey'd, so payload1 is encrypted)
    <- e, ee, psk

Wire: every Noise message is framed with a 2-byte big-endian length.
After Split the initiator sends --messages N transport messages with c1, one
at a time, T_k = T (N = 1) or T || k as 2 bytes big-endian (N > 1); the
responder echoes each plaintext with c2; then both close.

Run with Debian's /usr/bin/python3 (dissononce and cryptography come from
python3-dissononce / python3-cryptography). The contract (flags, output
lines, error tokens, exit codes, bugs) is in ../README.md; the flynn shim
implements the same contract.
"""

import argparse
import binascii
import errno
import os
import socket
import struct
import sys
import time

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_UNIMPLEMENTED = 0, 1, 2, 89
MAX_MSG_LEN = 65535
DH_LEN = 32
TAG_LEN = 16
MIN_HS_MSG_LEN = DH_LEN + TAG_LEN  # msg1 and msg2: e + encrypted (possibly empty) payload

# bug -> roles that send the message the bug corrupts
BUGS = {
    "flip-msg1": ("initiator",),
    "flip-msg1-e": ("initiator",),
    "truncate-msg1": ("initiator",),
    "flip-msg2": ("responder",),
    "flip-msg2-e": ("responder",),
    "truncate-msg2": ("responder",),
    "flip-transport": ("initiator", "responder"),
    "oversize-prefix": ("initiator", "responder"),
    "low-order-e": ("initiator", "responder"),
    "alter-echo": ("responder",),
    # the transport phase
    "echo-prefix": ("responder",),
    "echo-extended": ("responder",),
    "transport-nonce-skip": ("initiator", "responder"),
    "corrupt-then-valid": ("initiator", "responder"),
}
MAX_MESSAGES = 65535  # T_k carries k in 2 bytes


class Failure(Exception):
    """Leaves the shim as one stderr line 'error: <token>[ at=<msg>][ : <detail>]'."""

    def __init__(self, token, detail="", code=EXIT_FAIL, at=""):
        super().__init__(token)
        self.token, self.detail, self.code, self.at = token, detail, code, at

    def line(self):
        return ("error: %s" % self.token + (" at=%s" % self.at if self.at else "")
                + (" : %s" % self.detail if self.detail else ""))


class At:
    """with At("msg2"): a Failure inside names the message it happened on
    (the innermost name wins)."""

    def __init__(self, msg):
        self.msg = msg

    def __enter__(self):
        return self

    def __exit__(self, typ, exc, tb):
        if isinstance(exc, Failure) and exc.code == EXIT_FAIL and not exc.at:
            exc.at = self.msg
        return False


def t_k(t, n, k):
    """T_k: T itself when N = 1, else T || k (2 bytes, big-endian)."""
    return t if n <= 1 else t + struct.pack(">H", k)


def usage(detail):
    return Failure("usage", detail, EXIT_USAGE)


def unimplemented(detail):
    return Failure("unimplemented", detail, EXIT_UNIMPLEMENTED)


try:
    from dissononce.cipher.aesgcm import AESGCMCipher
    from dissononce.cipher.chachapoly import ChaChaPolyCipher
    from dissononce.dh.x25519.x25519 import X25519DH
    from dissononce.dh.keypair import KeyPair
    from dissononce.dh.x25519.public import PublicKey as X25519PublicKey
    from dissononce.exceptions.decrypt import DecryptFailedException
    from dissononce.hash.blake2b import Blake2bHash
    from dissononce.hash.blake2s import Blake2sHash
    from dissononce.hash.sha256 import SHA256Hash
    from dissononce.hash.sha512 import SHA512Hash
    from dissononce.processing.handshakepatterns.interactive.NN import NNHandshakePattern
    from dissononce.processing.impl.cipherstate import CipherState
    from dissononce.processing.impl.handshakestate import HandshakeState
    from dissononce.processing.impl.symmetricstate import SymmetricState
    from dissononce.processing.modifiers.psk import PSKPatternModifier
except ImportError as exc:  # e.g. run by a python3 that does not see Debian's packages
    sys.stderr.write("error: unimplemented : cannot import dissononce (%s); run with /usr/bin/python3\n" % exc)
    sys.exit(EXIT_UNIMPLEMENTED)

CIPHERS = {"ChaChaPoly": ChaChaPolyCipher, "AESGCM": AESGCMCipher}
HASHES = {"BLAKE2s": Blake2sHash, "BLAKE2b": Blake2bHash, "SHA256": SHA256Hash, "SHA512": SHA512Hash}


class BadDH(Exception):
    pass


class CheckedX25519DH(X25519DH):
    """X25519 whose failure is a distinct exception.

    dissononce calls cryptography's X25519 exchange, which (through OpenSSL)
    raises ValueError when the shared secret is all zero, i.e. the peer sent
    a low-order point. Turn that into BadDH so it is not confused with other
    ValueErrors (such as a wrong key length).
    """

    def dh(self, keypair, publickey):
        try:
            return super().dh(keypair, publickey)
        except ValueError as exc:
            raise BadDH(str(exc).split("[")[0].strip(" ,('\"")) from None


class LowOrderX25519DH(CheckedX25519DH):
    """For the low-order-e bug: publish an all-zero ephemeral (u = 0)."""

    def generate_keypair(self, privatekey=None):
        kp = super().generate_keypair(privatekey)
        return KeyPair(X25519PublicKey(bytes(DH_LEN)), kp.private)


def parse_protocol(name):
    """Noise_NNpsk2_25519_{ChaChaPoly,AESGCM}_{BLAKE2s,BLAKE2b,SHA256,SHA512}."""
    parts = name.split("_")
    if len(parts) != 5 or parts[0] != "Noise":
        raise unimplemented("protocol %s" % name)
    if parts[1] != "NNpsk2" or parts[2] != "25519":
        raise unimplemented("protocol %s (only NNpsk2 over 25519)" % name)
    if parts[3] not in CIPHERS:
        raise unimplemented("cipher %s" % parts[3])
    if parts[4] not in HASHES:
        raise unimplemented("hash %s" % parts[4])
    return name, CIPHERS[parts[3]], HASHES[parts[4]]


def read_psk(path):
    """Exactly 32 raw bytes, or 64 hex characters with an optional trailing newline.

    dissononce itself never checks the PSK length (any bytes go into
    MixKeyAndHash), so the check lives here.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise Failure("bad-psk", str(exc), EXIT_USAGE)
    if len(data) == 32:
        return data
    if len(data) == 64 or (len(data) == 65 and data[64:] == b"\n"):
        try:
            return binascii.unhexlify(data[:64])
        except (binascii.Error, ValueError):
            raise Failure("bad-psk", "64 characters but not hex", EXIT_USAGE)
    raise Failure("bad-psk", "%d bytes; want 32 raw bytes or 64 hex characters" % len(data), EXIT_USAGE)


def new_handshake(protocol, initiator, prologue, psk, dh_class=CheckedX25519DH):
    name, cipher_class, hash_class = protocol
    if len(psk) != 32:
        raise Failure("bad-psk", "psk must be 32 bytes", EXIT_USAGE)
    # NN + psk2 modifier -> ('e',), ('e', 'ee', 'psk'); the pattern name
    # becomes "NNpsk2", which is also what switches on MixKey(e).
    pattern = PSKPatternModifier(2).modify(NNHandshakePattern())
    hs = HandshakeState(SymmetricState(CipherState(cipher_class()), hash_class()), dh_class())
    hs.initialize(pattern, initiator, prologue, psks=(psk,))
    if hs.protocol_name != name:
        raise Failure("protocol-error", "dissononce derived %s, wanted %s" % (hs.protocol_name, name))
    return hs


# ---- framing and deadlines --------------------------------------------------


class Conn:
    """A socket whose every operation is bounded by one absolute deadline."""

    def __init__(self, sock, deadline):
        self.sock, self.deadline = sock, deadline

    def _arm(self, what):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Failure("timeout", what)
        self.sock.settimeout(left)

    def recv_exact(self, n, what):
        buf = bytearray()
        while len(buf) < n:
            self._arm(what)
            try:
                chunk = self.sock.recv(n - len(buf))
            except socket.timeout:
                raise Failure("timeout", what)
            except (ConnectionResetError, BrokenPipeError):
                raise Failure("closed", what)
            except OSError as exc:
                raise Failure("protocol-error", "%s: %s" % (what, exc))
            if not chunk:
                raise Failure("closed", what)
            buf += chunk
        return bytes(buf)

    def send(self, data, what):
        self._arm("writing " + what)
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise Failure("timeout", "writing " + what)
        except (ConnectionResetError, BrokenPipeError):
            raise Failure("closed", "writing " + what)
        except OSError as exc:
            raise Failure("protocol-error", "writing %s: %s" % (what, exc))

    def read_frame(self, what):
        (n,) = struct.unpack(">H", self.recv_exact(2, "reading %s length" % what))
        return self.recv_exact(n, "reading %s body (%d bytes announced)" % (what, n))

    def close(self):
        self.sock.close()


def frame(msg):
    return struct.pack(">H", len(msg)) + msg


def check_size(msg, minimum, what):
    if len(msg) < minimum:
        raise Failure("bad-size", "%s is %d bytes, at least %d needed" % (what, len(msg), minimum))


def noise_call(what, fn, *args):
    """Run a dissononce step on received data, mapping its errors to tokens."""
    try:
        return fn(*args)
    except DecryptFailedException:
        raise Failure("decrypt-failed", what)
    except BadDH as exc:
        raise Failure("bad-dh", "%s: %s" % (what, exc))
    except Failure:
        raise
    except Exception as exc:  # dissononce uses asserts/ValueError for the rest
        raise Failure("protocol-error", "%s: %s: %s" % (what, type(exc).__name__, exc))


# ---- bugs ------------------------------------------------------------------


def send_handshake(conn, msg, which, bug):
    """Frame and send msg1/msg2, applying the bug if it targets it. True if corrupted."""
    msg = bytearray(msg)
    corrupted = True
    if bug == "flip-" + which:
        msg[-1] ^= 0x01  # in the tag
    elif bug == "flip-%s-e" % which:
        msg[0] ^= 0x01  # in the ephemeral public key
    elif bug == "truncate-" + which:
        del msg[-1]
    elif bug == "oversize-prefix":
        conn.send(b"\xff\xff" + bytes(msg), which)
        return True
    elif bug == "low-order-e":
        pass  # the e in msg is already all-zero
    else:
        corrupted = False
    conn.send(frame(bytes(msg)), which)
    return corrupted


def await_reaction(conn, what):
    """After this shim destroyed one of its own messages: send nothing, wait for the peer."""
    try:
        conn.recv_exact(1, "peer did not react to corrupted %s" % what)
    except Failure as f:
        if f.token == "closed":
            raise Failure("peer-rejected", "peer closed after corrupted %s" % what)
        raise
    raise Failure("peer-accepted", "peer sent data after corrupted %s" % what)


# ---- roles -----------------------------------------------------------------


def print_result(hh, p1, p2, t, messages, discarded):
    sys.stdout.write("handshake_hash=%s\npayload1=%s\npayload2=%s\ntransport=%s\nmessages=%d\n"
                     "discarded=%d\nresult=ok\n"
                     % (hh.hex(), p1.hex(), p2.hex(), t.hex(), messages, discarded))
    sys.stdout.flush()


class Discards:
    n = 0


def read_transport(conn, cs, args, what, k, discards):
    """Read message k (what: "transport" or "echo") and decrypt it with cs.
    Under --continue-on-decrypt-failure a message whose tag fails is
    discarded and the next one read: dissononce's decrypt_with_ad moves its
    nonce only after DECRYPT() returned (processing/impl/cipherstate.py),
    as Noise section 5.1 asks."""
    with At("%s:%d" % (what, k)):
        while True:
            msg = conn.read_frame(what)
            check_size(msg, TAG_LEN, what)
            try:
                return noise_call(what, cs.decrypt_with_ad, b"", msg)
            except Failure as f:
                if f.token == "decrypt-failed" and args.continue_on_decrypt_failure:
                    discards.n += 1
                    continue
                raise


def burn_nonce(cs):
    """The next encryption under the nonce after its own: --bug
    transport-nonce-skip (an encryption thrown away, as the flynn shim does)."""
    cs.encrypt_with_ad(b"", b"")


def twin(msg):
    """The frame of msg with bit 7 of its last byte (in the tag) flipped,
    then the frame of msg itself: --bug corrupt-then-valid."""
    bad = bytearray(msg)
    bad[-1] ^= 0x80
    return frame(bytes(bad)) + frame(msg)


def dh_class_for(args):
    return LowOrderX25519DH if args.bug == "low-order-e" else CheckedX25519DH


def run_initiator(args, protocol, deadline):
    hs = new_handshake(protocol, True, args.prologue, args.psk, dh_class_for(args))
    left = deadline - time.monotonic()
    try:
        sock = socket.create_connection((args.host, args.port), timeout=max(left, 0.001))
    except ConnectionRefusedError:
        raise Failure("refused", "%s:%d" % (args.host, args.port))
    except socket.timeout:
        raise Failure("timeout", "connecting to %s:%d" % (args.host, args.port))
    except OSError as exc:
        if exc.errno == errno.ECONNREFUSED:
            raise Failure("refused", "%s:%d" % (args.host, args.port))
        raise Failure("protocol-error", "connect: %s" % exc)
    conn = Conn(sock, deadline)
    try:
        # -> e (+ encrypted payload1)
        msg1 = bytearray()
        hs.write_message(args.payload1, msg1)
        with At("msg1"):
            bad = send_handshake(conn, bytes(msg1), "msg1", args.bug)
        if bad:
            await_reaction(conn, "msg1")

        # <- e, ee, psk (+ encrypted payload2), then Split
        with At("msg2"):
            msg2 = conn.read_frame("msg2")
            check_size(msg2, MIN_HS_MSG_LEN, "msg2")
            p2 = bytearray()
            split = noise_call("msg2", hs.read_message, msg2, p2)
        if split is None:
            raise Failure("protocol-error", "handshake did not complete after msg2")
        c1, c2 = split

        # transport: T_1 .. T_N with c1, one at a time, each echo under c2
        n, discards, plain = args.messages, Discards(), b""
        for k in range(1, n + 1):
            want = t_k(args.transport, n, k)
            skip = args.bug == "transport-nonce-skip" and k == n
            if skip:
                burn_nonce(c1)
            t = bytearray(c1.encrypt_with_ad(b"", want))
            flip = args.bug == "flip-transport" and k == 1
            if flip:
                t[-1] ^= 0x01
            out = twin(bytes(t)) if args.bug == "corrupt-then-valid" and k == 1 else frame(bytes(t))
            with At("transport:%d" % k):
                conn.send(out, "transport")
            if flip or skip:
                await_reaction(conn, "transport" + (" (nonce skipped)" if skip else ""))
            plain = read_transport(conn, c2, args, "echo", k, discards)
            if plain != want:
                raise Failure("echo-mismatch", "sent %s, got %s" % (want.hex(), plain.hex()),
                              at="echo:%d" % k)
    finally:
        conn.close()
    print_result(hs.symmetricstate.get_handshake_hash(), args.payload1, bytes(p2), plain,
                 args.messages, discards.n)


def run_responder(args, protocol, deadline):
    hs = new_handshake(protocol, False, args.prologue, args.psk, dh_class_for(args))
    ln = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        ln.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ln.bind((args.host, args.port))
        ln.listen(1)
    except OSError as exc:
        ln.close()
        raise Failure("protocol-error", "listen: %s" % exc)
    sys.stdout.write("port=%d\n" % ln.getsockname()[1])
    sys.stdout.flush()
    try:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure("timeout", "waiting for a connection")
        ln.settimeout(left)
        sock, _ = ln.accept()
    except socket.timeout:
        raise Failure("timeout", "waiting for a connection")
    finally:
        ln.close()
    conn = Conn(sock, deadline)
    try:
        # -> e (+ encrypted payload1)
        with At("msg1"):
            msg1 = conn.read_frame("msg1")
            check_size(msg1, MIN_HS_MSG_LEN, "msg1")
            p1 = bytearray()
            noise_call("msg1", hs.read_message, msg1, p1)

            # <- e, ee, psk (+ encrypted payload2), then Split: the ee with
            # the initiator's e fails here for a low-order e in msg1
            msg2 = bytearray()
            split = noise_call("msg2 (ee with the initiator's e)", hs.write_message, args.payload2, msg2)
        if split is None:
            raise Failure("protocol-error", "handshake did not complete after msg2")
        c1, c2 = split
        with At("msg2"):
            bad = send_handshake(conn, bytes(msg2), "msg2", args.bug)
        if bad:
            await_reaction(conn, "msg2")

        # transport: T_k with c1, echoed with c2, N times
        n, discards, plain = args.messages, Discards(), b""
        for k in range(1, n + 1):
            plain = read_transport(conn, c1, args, "transport", k, discards)
            echoed, spoilt = plain, k == 1  # the echo switches spoil the first echo, then wait
            if args.bug == "alter-echo" and k == 1:  # a well-formed echo of the wrong plaintext
                echoed = bytes([plain[0] ^ 0x01]) + plain[1:] if plain else b"\x00"
            elif args.bug == "echo-prefix" and k == 1:  # all but the last byte
                echoed = plain[:-1]
            elif args.bug == "echo-extended" and k == 1:  # and a zero byte more
                echoed = plain + b"\x00"
            elif args.bug == "flip-transport" and k == 1:
                pass
            elif args.bug == "transport-nonce-skip" and k == n:
                spoilt = True
                burn_nonce(c2)
            else:
                spoilt = False
            echo = bytearray(c2.encrypt_with_ad(b"", echoed))
            if args.bug == "flip-transport" and spoilt:
                echo[-1] ^= 0x01
            out = twin(bytes(echo)) if args.bug == "corrupt-then-valid" and k == 1 else frame(bytes(echo))
            with At("echo:%d" % k):
                conn.send(out, "echo")
            if spoilt:
                await_reaction(conn, "echo")
    finally:
        conn.close()
    print_result(hs.symmetricstate.get_handshake_hash(), bytes(p1), args.payload2, plain,
                 args.messages, discards.n)


# ---- benchmark -------------------------------------------------------------


def bench_handshakes(protocol, seconds):
    """Complete in-process NNpsk2 handshakes: fresh random ephemerals, fixed
    PSK, empty payloads, Split included."""
    psk = b"\x42" * 32
    n = 0
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        i = new_handshake(protocol, True, b"", psk)
        r = new_handshake(protocol, False, b"", psk)
        m1 = bytearray()
        i.write_message(b"", m1)
        r.read_message(bytes(m1), bytearray())
        m2 = bytearray()
        rs = r.write_message(b"", m2)
        is_ = i.read_message(bytes(m2), bytearray())
        if rs is None or is_ is None or \
                i.symmetricstate.get_handshake_hash() != r.symmetricstate.get_handshake_hash():
            raise Failure("protocol-error", "benchmark handshake did not agree")
        n += 1
    elapsed = time.monotonic() - start
    sys.stdout.write("handshakes_per_sec=%.1f\nhandshakes=%d\n" % (n / elapsed, n))


# ---- command line ----------------------------------------------------------


def print_version():
    import dissononce
    import cryptography
    import subprocess
    deb = ""
    try:
        deb = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "python3-dissononce"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    sys.stdout.write("dissononce %s (Debian python3-dissononce %s), cryptography %s, Python %s\n"
                     % (dissononce.__version__, deb or "?", cryptography.__version__,
                        sys.version.split()[0]))


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise usage(message)


def hex_arg(name):
    def parse(s):
        try:
            return binascii.unhexlify(s)
        except (binascii.Error, ValueError):
            raise argparse.ArgumentTypeError("--%s is not hex" % name)
    return parse


def main(argv):
    p = Parser(prog="dissononce-shim", allow_abbrev=False, add_help=False)
    p.add_argument("--role", choices=("initiator", "responder"))
    p.add_argument("--port", type=int)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--psk-file")
    p.add_argument("--prologue", type=hex_arg("prologue"), default=b"")
    p.add_argument("--payload1", type=hex_arg("payload1"), default=b"")
    p.add_argument("--payload2", type=hex_arg("payload2"), default=b"")
    p.add_argument("--transport", type=hex_arg("transport"), default=b"")
    p.add_argument("--messages", type=int, default=1)
    p.add_argument("--continue-on-decrypt-failure", action="store_true")
    p.add_argument("--timeout-ms", type=int, default=5000)
    p.add_argument("--protocol", default="Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s")
    p.add_argument("--bug", default="")
    p.add_argument("--bench-handshakes", type=float)
    p.add_argument("--version", action="store_true")
    args = p.parse_args(argv)
    if args.version:
        print_version()
        return

    protocol = parse_protocol(args.protocol)

    if args.bench_handshakes is not None:
        given = [a for a in argv if a.startswith("--")]
        others = [a for a in given if a.split("=")[0] not in ("--bench-handshakes", "--protocol")]
        if others:
            raise usage("--bench-handshakes takes only --protocol, not %s" % others[0])
        if not 0 < args.bench_handshakes <= 3600:
            raise usage("--bench-handshakes wants seconds in (0, 3600]")
        bench_handshakes(protocol, args.bench_handshakes)
        return

    if args.role is None:
        raise usage("--role must be initiator or responder")
    if args.port is None:
        raise usage("--port is required")
    if not 0 <= args.port <= 65535 or (args.role == "initiator" and args.port == 0):
        raise usage("bad --port %d" % args.port)
    if args.timeout_ms <= 0:
        raise usage("bad --timeout-ms %d" % args.timeout_ms)
    if not 1 <= args.messages <= MAX_MESSAGES:
        raise usage("bad --messages %d: want 1..%d" % (args.messages, MAX_MESSAGES))
    if len(args.prologue) > 1 << 20:
        raise usage("--prologue: bad length")
    # a message over 65535 bytes is refused before any network activity
    counter = 2 if args.messages > 1 else 0
    for name, value, most in (("payload1", args.payload1, MAX_MSG_LEN - MIN_HS_MSG_LEN),
                              ("payload2", args.payload2, MAX_MSG_LEN - MIN_HS_MSG_LEN),
                              ("transport", args.transport, MAX_MSG_LEN - TAG_LEN - counter)):
        if len(value) > most:
            raise Failure("too-large", "--%s of %d bytes: at most %d" % (name, len(value), most), EXIT_USAGE)
    if args.bug:
        if args.bug not in BUGS:
            raise unimplemented("bug %s" % args.bug)
        if args.role not in BUGS[args.bug]:
            raise usage("bug %s applies to role %s" % (args.bug, "/".join(BUGS[args.bug])))
    if args.psk_file is None:
        raise usage("--psk-file is required")
    args.psk = read_psk(args.psk_file)

    deadline = time.monotonic() + args.timeout_ms / 1000.0
    if args.role == "initiator":
        run_initiator(args, protocol, deadline)
    else:
        run_responder(args, protocol, deadline)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
        code = EXIT_OK
    except Failure as f:
        sys.stderr.write(f.line() + "\n")
        code = f.code
    except Exception as exc:
        sys.stderr.write("error: protocol-error : %s: %s\n" % (type(exc).__name__, exc))
        code = EXIT_FAIL
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
