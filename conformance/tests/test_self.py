"""Role self (the target dials itself through the runner's relay): the
relay's v1 parsing and recording (psconf/selfrelay.py, on loopback
sockets of this process), the judging of the relay's events (canned), who
runs the case, and the runner's self_case against an in-process fake
target. No node is started.

The messages are built here from the protocol's definition (a 24-byte
header: magic, 12-byte command, payload length, the first 4 bytes of the
payload's double SHA-256; a version payload as Core's ProcessMessage
reads it), never taken from peershake's output."""

import hashlib
import os
import shutil
import socket
import struct
import tempfile
import threading
import time
import unittest

from canned import CORE_SELF, NO_CHECK_SELF, SELF_CASE, SELF_IN_VERSION, SELF_OUT_VERSION, case, self_events
from psconf import catalogue, judging, runner, targets
from psconf.catalogue import CatalogueError, parse_line
from psconf.judging import SELF_CLOSE_MS, judge, observe_self, self_settled, skipped
from psconf.selfrelay import REGTEST_MAGIC, Relay, V1Stream, parse_version

SELF = case(SELF_CASE, expect="disconnect", role="self")


def addr26():
    """A version's network address: services, IPv6-mapped 127.0.0.1, port (big-endian)."""
    return struct.pack("<Q", 0) + bytes(10) + b"\xff\xff" + bytes([127, 0, 0, 1]) + struct.pack(">H", 18444)


def version_payload(nonce, ua=b"/Satoshi:31.1.0/", height=0, relay=1, version=70016, services=0x409):
    return (struct.pack("<iQq", version, services, 1700000000) + addr26() + addr26() + struct.pack("<Q", nonce)
            + bytes([len(ua)]) + ua + struct.pack("<i", height) + bytes([relay]))


def msg(command, payload=b"", magic=REGTEST_MAGIC, checksum=None):
    cs = checksum if checksum is not None else hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    return magic + command.ljust(12, b"\0") + struct.pack("<I", len(payload)) + cs + payload


NONCE = 0x1F2E3D4C5B6A7988
VERSION = msg(b"version", version_payload(NONCE))
VERACK = msg(b"verack")


def wait(pred, timeout=5.0):
    end = time.monotonic() + timeout
    while not pred() and time.monotonic() < end:
        time.sleep(0.01)
    return pred()


# ------------------------------------------------------------ parsing

class ParseV1(unittest.TestCase):
    def test_version_payload_is_core_size(self):
        # Core v31.1's own version payload: 102 bytes with a 16-byte user agent
        self.assertEqual(len(version_payload(NONCE)), 102)

    def test_split_across_chunks(self):
        s = V1Stream()
        self.assertEqual(s.feed(VERSION[:1]), [])
        self.assertEqual(s.feed(VERSION[1:30]), [])
        self.assertEqual(s.pending, 30)
        got = s.feed(VERSION[30:] + VERACK[:5])
        self.assertEqual([(m["command"], m["length"], m["bytes"], m["end"], m["checksum"]) for m in got],
                         [("version", 102, 126, 126, True)])
        f = got[0]["fields"]
        self.assertEqual((f["version"], f["services"], f["nonce"], f["user_agent"], f["start_height"], f["relay"]),
                         (70016, "0x0000000000000409", "0x1f2e3d4c5b6a7988", "/Satoshi:31.1.0/", 0, True))
        self.assertEqual([(m["command"], m["end"]) for m in s.feed(VERACK[5:])], [("verack", 150)])
        self.assertEqual(s.pending, 0)

    def test_bad_checksum_and_invalid_command(self):
        s = V1Stream()
        got = s.feed(msg(b"ping", b"\0" * 8, checksum=b"\0\0\0\0") + msg(b"ver\x01ion"))
        self.assertEqual([(m["command"], m["checksum"], m["valid_command"]) for m in got],
                         [("ping", False, True), (b"ver\x01ion".ljust(12, b"\0").hex(), True, False)])
        # printable, then NUL padding only: "version\0X" is not valid either
        self.assertFalse(s.feed(msg(b"version\0X"))[0]["valid_command"])

    def test_wrong_magic_ends_the_v1_stream(self):
        s = V1Stream()
        self.assertEqual(len(s.feed(VERACK)), 1)
        self.assertEqual(s.feed(msg(b"verack", magic=bytes.fromhex("f9beb4d9")) + VERACK), [])
        self.assertEqual((s.stopped_at, s.stopped), (24, "magic f9beb4d9, not fabfb5da"))
        self.assertEqual(s.feed(VERACK), [])   # nothing after is named

    def test_oversize_refused_before_its_payload(self):
        s = V1Stream()
        hdr = REGTEST_MAGIC + b"version".ljust(12, b"\0") + struct.pack("<I", 4_000_001) + bytes(4)
        self.assertEqual(s.feed(hdr), [])
        self.assertIn("4000001", s.stopped)
        # exactly MAX_PROTOCOL_MESSAGE_LENGTH is a length Core frames: it waits
        s = V1Stream()
        self.assertEqual(s.feed(hdr[:16] + struct.pack("<I", 4_000_000) + bytes(4)), [])
        self.assertIsNone(s.stopped)

    def test_version_fields_present_and_truncated(self):
        full = version_payload(NONCE, height=7, relay=0)
        self.assertEqual(parse_version(full)["start_height"], 7)
        self.assertIs(parse_version(full)["relay"], False)
        self.assertNotIn("relay", parse_version(full[:-1]))          # the relay byte is optional
        self.assertNotIn("truncated", parse_version(full[:-1]))
        self.assertEqual(set(parse_version(full[:46])), {"version", "services", "time"})
        self.assertEqual(parse_version(full[:50])["truncated"], "nonce")
        self.assertEqual(parse_version(full[:85])["truncated"], "user_agent")
        self.assertEqual(parse_version(full[:99])["truncated"], "start_height")
        self.assertEqual(parse_version(full[:10]), {"version": 70016, "truncated": "services"})
        self.assertEqual(parse_version(b"")["truncated"], "version")
        # a CompactSize 0xfd user agent length
        long_ua = version_payload(NONCE, ua=b"")[:80] + b"\xfd\x00\x01" + b"u" * 256 + bytes(5)
        self.assertEqual(len(parse_version(long_ua)["user_agent"]), 256)
        self.assertEqual(parse_version(long_ua[:200])["truncated"], "user_agent")


# ------------------------------------------------------------- relay

class Upstream:
    """A loopback listener standing for the target's own: accepts one
    connection, hands it to the test."""

    def __init__(self):
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(1)
        self.addr = self.srv.getsockname()

    def accept(self):
        self.srv.settimeout(5)
        s, _ = self.srv.accept()
        s.settimeout(5)
        return s

    def close(self):
        self.srv.close()


def recv_exactly(s, n):
    out = b""
    while len(out) < n:
        b = s.recv(n - len(out))
        if not b:
            break
        out += b
    return out


class RelayRecords(unittest.TestCase):
    def setUp(self):
        self.relay = Relay().start()
        self.addCleanup(self.relay.stop)
        self.up = Upstream()
        self.addCleanup(self.up.close)

    def kinds(self):
        return [e["event"] for e in self.relay.events()]

    def test_held_then_forwarded_inbound_ends_first(self):
        c = socket.create_connection(self.relay.address, 5)
        self.addCleanup(c.close)
        c.sendall(VERSION)
        self.assertTrue(wait(lambda: "message" in self.kinds()))
        self.relay.set_upstream(self.up.addr)
        s = self.up.accept()
        self.assertEqual(recv_exactly(s, len(VERSION)), VERSION)   # byte for byte
        s.close()                                                   # the target's inbound side ends it
        c.settimeout(5)
        self.assertEqual(c.recv(10), b"")                           # the outbound side sees the end
        self.assertTrue(wait(lambda: "closed" in self.kinds()))
        evs = self.relay.events()
        self.assertEqual([e["event"] for e in evs],
                         ["listening", "accepted", "bytes", "message", "upstream", "connected", "forwarded", "closed"])
        m = next(e for e in evs if e["event"] == "message")
        self.assertEqual((m["leg"], m["command"], m["bytes"], m["end"], m["fields"]["nonce"]),
                         ("out", "version", 126, 126, "0x1f2e3d4c5b6a7988"))
        fwd = next(e for e in evs if e["event"] == "forwarded")
        self.assertEqual((fwd["leg"], fwd["total"]), ("out", 126))
        closed = evs[-1]
        self.assertEqual((closed["by"], closed["how"]), ("inbound", "eof"))
        b = next(e for e in evs if e["event"] == "bytes")
        self.assertEqual(bytes.fromhex(b["hex"]), VERSION)
        self.assertTrue(all(x["t_ms"] <= y["t_ms"] for x, y in zip(evs, evs[1:])))
        # the judge reads it as the self check
        obs = observe_self(evs)
        self.assertEqual(obs.ending, "disconnect")
        self.assertEqual(judge(SELF, obs, {}).outcome, "Pass")

    def test_both_legs_and_outbound_ends_first(self):
        self.relay.set_upstream(self.up.addr)
        c = socket.create_connection(self.relay.address, 5)
        self.addCleanup(c.close)
        s = self.up.accept()
        self.addCleanup(s.close)
        c.sendall(VERSION)
        self.assertEqual(recv_exactly(s, len(VERSION)), VERSION)
        answer = msg(b"version", version_payload(NONCE + 1)) + VERACK
        s.sendall(answer)
        c.settimeout(5)
        self.assertEqual(recv_exactly(c, len(answer)), answer)
        c.sendall(VERACK)
        self.assertEqual(recv_exactly(s, len(VERACK)), VERACK)
        c.close()
        s.settimeout(5)
        self.assertEqual(s.recv(10), b"")
        self.assertTrue(wait(lambda: "closed" in self.kinds()))
        evs = self.relay.events()
        ms = [(e["leg"], e["command"]) for e in evs if e["event"] == "message"]
        self.assertEqual(ms, [("out", "version"), ("in", "version"), ("in", "verack"), ("out", "verack")])
        self.assertEqual(next(e for e in evs if e["event"] == "closed")["by"], "outbound")
        totals = {(e["leg"], e["total"]) for e in evs if e["event"] == "forwarded"}
        self.assertIn(("out", 150), totals)
        self.assertIn(("in", 150), totals)
        obs = observe_self(evs)
        self.assertEqual(obs.ending, "handshake+disconnect")
        self.assertEqual(obs.version["nonce"], "0x1f2e3d4c5b6a7989")
        v = judge(SELF, obs, {})
        self.assertEqual(v.outcome, "Fail")
        self.assertEqual(sorted(x.rule for x in v.violations), ["recv", "self:out"])

    def test_stop_ends_what_is_open(self):
        c = socket.create_connection(self.relay.address, 5)
        self.addCleanup(c.close)
        c.sendall(VERSION[:10])
        self.assertTrue(wait(lambda: "bytes" in self.kinds()))
        self.relay.stop()
        c.settimeout(5)
        self.assertEqual(c.recv(10), b"")
        closed = [e for e in self.relay.events() if e["event"] == "closed"]
        self.assertEqual([(e["by"], e["how"]) for e in closed], [("relay", "no-upstream")])
        self.relay.stop()   # idempotent

    def test_upstream_refused(self):
        port = self.up.addr[1]
        self.up.close()
        self.relay.set_upstream(("127.0.0.1", port))
        c = socket.create_connection(self.relay.address, 5)
        self.addCleanup(c.close)
        c.settimeout(5)
        self.assertEqual(c.recv(10), b"")
        evs = self.relay.events()
        self.assertIn("upstream-failed", [e["event"] for e in evs])
        self.assertEqual(observe_self(evs).ending, "upstream-failed")

    def test_not_v1(self):
        self.relay.set_upstream(self.up.addr)
        c = socket.create_connection(self.relay.address, 5)
        self.addCleanup(c.close)
        s = self.up.accept()
        self.addCleanup(s.close)
        key = bytes(range(64))     # say, a BIP324 key: not a v1 header
        c.sendall(key)
        self.assertEqual(recv_exactly(s, 64), key)   # passed on all the same
        self.assertTrue(wait(lambda: "unparsed" in self.kinds()))
        u = next(e for e in self.relay.events() if e["event"] == "unparsed")
        self.assertEqual((u["leg"], u["offset"]), ("out", 0))
        self.assertNotIn("message", self.kinds())


# ------------------------------------------------------------ judging

class JudgeSelf(unittest.TestCase):
    def test_core_passes(self):
        obs = observe_self(self_events(CORE_SELF))
        self.assertEqual(obs.ending, "disconnect")
        self.assertEqual([(m.dir, m.command) for m in obs.timeline], [("sent", "version")])
        self.assertIsNone(obs.version)
        v = judge(SELF, obs, {})
        self.assertEqual((v.outcome, v.violations), ("Pass", []))
        self.assertIn("within 1000 ms", v.expected)
        self.assertIn("inbound side sends nothing (no bytes at all)", v.expected)
        self.assertIn("ended first by the inbound side (eof)", v.actual)
        self.assertIn("outbound version 70016", v.actual)

    def test_answering_its_own_version_fails(self):
        obs = observe_self(self_events(NO_CHECK_SELF))
        self.assertEqual(obs.ending, "handshake")
        self.assertEqual(obs.version["nonce"], "0x0123456789abcdef")
        v = judge(SELF, obs, {})
        self.assertEqual(v.outcome, "Fail")
        self.assertEqual(sorted(x.rule for x in v.violations), ["recv", "self:out"])
        self.assertIn("ending handshake, expected disconnect", v.note)
        self.assertIn("in:version(102)", v.actual)
        self.assertIn("inbound version 70016 services 0x0000000000000409 nonce 0x0123456789abcdef", v.actual)
        # the version alone, then its end, is still an answer: Fail
        v = judge(SELF, observe_self(self_events(">version:102 U <version:102 #in")), {})
        self.assertEqual(v.outcome, "Fail")
        self.assertEqual([x.rule for x in v.violations], ["recv"])

    def test_late_end_is_kept(self):
        obs = observe_self(self_events(f">version:102 U +{SELF_CLOSE_MS + 1} #in"))
        self.assertEqual(obs.ending, "kept")
        self.assertEqual(judge(SELF, obs, {}).outcome, "Fail")
        # at the deadline it is still in time (+MS, then 1 ms for the end)
        obs = observe_self(self_events(f">version:102 U +{SELF_CLOSE_MS - 1} #in"))
        self.assertEqual(obs.ending, "disconnect")
        self.assertEqual(obs.relay["close_after_ms"], SELF_CLOSE_MS)

    def test_other_endings(self):
        for t, want in ((">version:102 U +5 #out", "outbound-disconnect"),
                        (">version:102 U +1500 #relay", "kept"),
                        (">version:102 X", "upstream-failed")):
            with self.subTest(t):
                obs = observe_self(self_events(t))
                self.assertEqual(obs.ending, want)
                self.assertEqual(judge(SELF, obs, {}).outcome, "Fail")
        obs = observe_self([{"event": "listening", "t_ms": 0, "addr": "127.0.0.1:1"}])
        self.assertEqual(obs.ending, "no-result")
        v = judge(SELF, obs, {})
        self.assertEqual(v.outcome, "Fail")
        self.assertIn("never dialed the relay", v.actual)

    def test_bad_checksum_from_the_inbound_side(self):
        v = judge(SELF, observe_self(self_events(">version:102 U !verack #in")), {})
        self.assertEqual([x.rule for x in v.violations], ["first-version", "dropped:verack"])

    def test_only_the_first_connection_is_judged(self):
        evs = self_events(CORE_SELF) + [{"event": "accepted", "t_ms": 9, "conn": 1, "peer": "127.0.0.1:40201"},
                                        {"event": "closed", "t_ms": 10, "conn": 1, "by": "relay", "how": "stopped"}]
        obs = observe_self(evs)
        self.assertEqual((obs.ending, obs.connections), ("disconnect", 2))
        self.assertIn("2 connections", judging.actual_text(obs))

    def test_settled(self):
        held = self_events(">version:102")
        self.assertEqual(self_settled(held, 50), (False, False))      # not passed on yet
        up = self_events(">version:102 U")
        t = up[-1]["t_ms"]
        self.assertEqual(self_settled(up, t + 10), (True, False))
        self.assertEqual(self_settled(up, t + SELF_CLOSE_MS + 1), (True, True))
        self.assertEqual(self_settled(self_events(CORE_SELF), 0), (True, True))
        self.assertEqual(self_settled([], 10), (False, False))

    def test_bcoin_recorded(self):
        cfg = next(c for _, c in targets.load_configs() if c["name"] == "bcoin")
        # bcoin 1.0.2 in regtest, as the relay saw it (70015: no features)
        bcoin = {"version": 70015, "services": 9, "user_agent": "/bcoin:v1.0.2/", "start_height": 0, "relay": True}
        obs = observe_self(self_events("U >version:100 <version:100 <verack >verack >sendcmpct:9 >getaddr "
                                       ">getblocks:69 <sendcmpct:9 <getaddr <addr:61 >addr:61 +1000 #relay",
                                       out_version=dict(SELF_OUT_VERSION, **bcoin),
                                       in_version=dict(SELF_IN_VERSION, **bcoin)))
        the_case = {c.id: c for c in catalogue.load_cases()}["CF-V1-068"]
        v = judge(the_case, obs, cfg)
        self.assertEqual(v.outcome, "Non-strict", v.note)
        self.assertIn("selfConnect", v.note)


# ------------------------------------------------------- who runs it

class WhoDials(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.case = {c.id: c for c in catalogue.load_cases()}["CF-V1-068"]
        ctx = targets.Context("/nonexistent/peershake", "/tmp")
        cls.targets = {t.name: t for t in targets.load_targets(set(), ctx) if t.protocol == "btc"}

    def outcome(self, name):
        t = self.targets[name]
        v = skipped(self.case, "ok", "", t.roles, t.cfg.get("disabled", {}), t.name,
                    not_run=t.cfg.get("not_run", {}), unsupported=t.supports(self.case),
                    no_self_dial=t.self_dial_reason())
        return (v.outcome, v.note) if v else ("run", "")

    def test_the_row(self):
        c = self.case
        self.assertEqual((c.protocol, c.role, c.family, c.expect, c.args, c.target_opts),
                         ("btc", "self", "V1", "disconnect", (), ()))
        self.assertEqual((c.msgs.recv, c.msgs.out), (((),), (("version",),)))
        self.assertIn("CheckIncomingNonce", c.source)

    def test_v1_dialers_run_it(self):
        for name in ("peershake-btc", "bitcoind", "bcoin"):
            self.assertEqual(self.outcome(name), ("run", ""), name)

    def test_pyv1peer_cannot_dial_itself(self):
        o, note = self.outcome("pyv1peer")
        self.assertEqual(o, "Missing")
        self.assertIn("one connection per process", note)

    def test_v2_configurations_do_not_run_v1(self):
        for name in ("peershake-btc-v2", "bitcoind-v2", "pyv2peer"):
            o, note = self.outcome(name)
            self.assertEqual((o, note), ("Unimplemented", self.targets[name].cfg["not_run"]["V1"]), name)

    def test_no_initiator_role_is_missing(self):
        v = skipped(self.case, "ok", "", ["responder"], {}, "listener-only")
        self.assertEqual(v.outcome, "Missing")
        self.assertIn("cannot dial out", v.note)

    def test_run_one_never_runs_it(self):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d, True)
        r = runner.Runner("/bin/false", d)
        self.addCleanup(shutil.rmtree, r.work, True)
        res = r.run_one(self.targets["pyv1peer"], self.case)
        self.assertEqual((res["outcome"], res["log"], res["actual"]), ("Missing", "", "not run"))
        self.assertIn("outbound side sends version", res["expectation"])

        class NoSelf(targets.BtcTarget):
            pass
        t = NoSelf({"name": "plain", "protocol": "btc", "roles": ["initiator"]}, None)
        res = r.run_one(t, self.case)
        self.assertEqual(res["outcome"], "Missing")
        self.assertIn("no way to make it dial itself", res["note"])


class Rows(unittest.TestCase):
    def line(self, role="self", switches="", msgs="recv=- out=version", cid="CF-V1-900", proto="btc"):
        return f"{cid} | {proto} | {role} | x | {switches} | disconnect | {msgs} | r | s"

    def test_parses(self):
        c = parse_line(self.line(msgs="recv=-/version out=version/version,verack"))
        self.assertEqual(c.msgs.out, (("version",), ("version", "verack")))

    def test_refused(self):
        for line, want in ((self.line(role="initiator"), "out= is for role self"),
                           (self.line(msgs="recv=-"), "states out="),
                           (self.line(switches="--bug silent"), "no switches"),
                           (self.line(switches="target:v1"), "no switches"),
                           (self.line(cid="CF-V2-900"), "V1 case"),
                           (self.line(msgs="recv=- out=ping"), "unknown item 'ping'")):
            with self.subTest(line), self.assertRaises(CatalogueError) as e:
                parse_line(line)
            self.assertIn(want, str(e.exception))


# ------------------------------------------------- the runner, in-process

class FakeNode:
    """An in-process stand-in for a target that dials itself: one listener
    of its own, one outbound connection sending a version with its nonce.
    Its inbound side ends the connection on a version carrying that nonce
    (check=True), or answers with a version of another nonce and a verack."""

    def __init__(self, check):
        self.check = check
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(1)
        self.srv.settimeout(5)
        self.socks = [self.srv]

    def start(self, relay_addr):
        threading.Thread(target=self._inbound, daemon=True).start()
        out = socket.create_connection(relay_addr, 5)
        self.socks.append(out)
        out.sendall(VERSION)

    def _inbound(self):
        try:
            s, _ = self.srv.accept()
        except OSError:
            return
        self.socks.append(s)
        s.settimeout(5)
        got = recv_exactly(s, len(VERSION))
        # the nonce: after the header, version, services, time and two addresses
        nonce = struct.unpack_from("<Q", got, 24 + 72)[0] if len(got) == len(VERSION) else None
        if self.check and nonce == NONCE:
            s.close()
            return
        s.sendall(msg(b"version", version_payload(NONCE ^ 0xFF)) + VERACK)

    def stop(self):
        for s in self.socks:
            s.close()


class FakeSelfTarget(targets.BtcTarget):
    def __init__(self, check):
        super().__init__({"name": "fake", "protocol": "btc", "roles": ["initiator"]}, None)
        self.check = check

    def self_dial_reason(self):
        return None

    def self_initiator(self, relay, case):
        node = FakeNode(self.check)
        relay.set_upstream(node.srv.getsockname())
        node.start(relay.address)
        h = targets.InitiatorHandle()
        h.stop = node.stop
        return h


class RunnerSelfCase(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.d, True)
        self.r = runner.Runner("/bin/false", self.d)
        self.addCleanup(shutil.rmtree, self.r.work, True)

    def test_pass(self):
        res = self.r.run_one(FakeSelfTarget(check=True), SELF)
        self.assertEqual((res["outcome"], res["observed"]), ("Pass", "disconnect"), res["note"])
        with open(os.path.join(self.d, res["log"]), encoding="utf-8") as f:
            text = f.read()
        self.assertTrue(text.startswith("$ selfrelay 127.0.0.1:"))
        self.assertIn('"by":"inbound"', text)
        self.assertLess(res["duration_ms"], 5000)

    def test_fail_when_it_answers_itself(self):
        t0 = time.monotonic()
        res = self.r.run_one(FakeSelfTarget(check=False), SELF)
        self.assertEqual(res["outcome"], "Fail")
        self.assertIn("recv", [v["rule"] for v in res["violations"]])
        self.assertIn("in:version(102)", res["actual"])
        # it waited the deadline for an end that did not come, not longer
        self.assertGreaterEqual(time.monotonic() - t0, SELF_CLOSE_MS / 1000)
        self.assertLess(time.monotonic() - t0, SELF_CLOSE_MS / 1000 + 3)

    def test_self_initiator_error_is_a_fail_with_its_reason(self):
        class Broken(FakeSelfTarget):
            def self_initiator(self, relay, case):
                raise RuntimeError("node did not start")
        res = self.r.run_one(Broken(check=True), SELF)
        self.assertEqual(res["outcome"], "Fail")
        self.assertIn("node did not start", res["observed"])


if __name__ == "__main__":
    unittest.main()
