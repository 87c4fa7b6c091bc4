"""Targets, handles, processes and the runner's paths that need no node:
the target configs, the Noise verdicts, initiator handles, the listener
that does not start, Missing/Unimplemented results, the command line."""

import json
import os
import signal
import subprocess
import tempfile
import unittest

import base64
import sys

from canned import STD, JsonRpcServer, case
from psconf import catalogue, configured, judging, runner, targets

sys.path.insert(0, os.path.join(targets.HERE, "lib"))
import jsonrpc  # noqa: E402  (conformance/lib/jsonrpc.py)
from psconf.judging import TargetVerdict
from psconf.procs import started


class Scratch(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name
        self.addCleanup(self._tmp.cleanup)

    def path(self, name, text=None):
        p = os.path.join(self.dir, name)
        if text is not None:
            with open(p, "w", encoding="utf-8") as f:
                f.write(text)
        return p


class Configs(unittest.TestCase):
    """conformance/targets/*.json: each loads into its adapter, and every
    recorded divergence names a case of its protocol, known rules and a reason."""

    @classmethod
    def setUpClass(cls):
        cls.cases = {c.id: c for c in catalogue.load_cases()}
        cls.cfgs = targets.load_configs()

    def test_adapters(self):
        ctx = targets.Context("/nonexistent/peershake", "/tmp")
        got = {t.name: type(t).__name__ for t in targets.load_targets(set(), ctx)}
        # bcoin, pyv1peer, pyv2peer and bitcoind are config files (psconf/configured.py)
        self.assertEqual(got, {"bcoin": "ConfiguredBtc", "bitcoind": "ConfiguredBtc", "bitcoind-v2": "ConfiguredBtc",
                               "dissononce": "NoiseShim", "flynn": "NoiseShim", "peershake-btc": "PeershakeBtc",
                               "peershake-btc-v2": "PeershakeBtc", "peershake-noise": "PeershakeNoise",
                               "pyv1peer": "ConfiguredBtc", "pyv2peer": "ConfiguredBtc"})
        with self.assertRaises(ValueError):
            targets.make_target({"name": "x", "protocol": "btc"}, ctx)

    def test_divergences_are_well_formed(self):
        for path, cfg in self.cfgs:
            rules = judging.BTC_RULES if cfg["protocol"] == "btc" else judging.NOISE_RULES

            def known(pattern):
                return any(pattern == r or pattern.startswith(r + ":") or r.startswith(pattern + ":")
                           for r in rules)
            for cid, d in cfg.get("divergences", {}).items():
                with self.subTest(target=cfg["name"], case=cid):
                    self.assertIn(cid, self.cases)
                    self.assertEqual(self.cases[cid].protocol, cfg["protocol"])
                    self.assertTrue(d.get("reason"))
                    self.assertTrue(d.get("observed") or d.get("rules"), "records nothing")
                    self.assertIn(d.get("outcome", "Non-strict"), judging.OUTCOMES)
                    for r in d.get("rules", []):
                        self.assertTrue(known(r), r)
            for r, reason in cfg.get("divergent_rules", {}).items():
                with self.subTest(target=cfg["name"], rule=r):
                    self.assertTrue(known(r), r)
                    self.assertTrue(reason)


    def test_transports_and_families(self):
        """Each Bitcoin config says what it speaks; a family it does not run
        has a reason; a v1 configuration either skips the v2 cases or says
        where they run."""
        btc = {cfg["name"]: cfg for _, cfg in self.cfgs if cfg["protocol"] == "btc"}
        for name, cfg in btc.items():
            with self.subTest(target=name):
                self.assertIn(cfg.get("transport"), ("v1", "v2"))
                for fam, reason in cfg.get("not_run", {}).items():
                    self.assertIn(fam, ("V1", "V2"))
                    self.assertTrue(reason)
                if cfg["transport"] == "v1":
                    self.assertTrue("V2" in cfg.get("not_run", {}) or cfg.get("v2_reason"))
                else:
                    self.assertIn("V1", cfg.get("not_run", {}))
        self.assertIn("predates BIP324", btc["bcoin"]["not_run"]["V2"])
        self.assertIn("python-bitcoinlib has no v2", btc["pyv1peer"]["not_run"]["V2"])
        # two configurations of Core and of peershake
        self.assertEqual((btc["bitcoind"]["transport"], btc["bitcoind-v2"]["transport"]), ("v1", "v2"))
        self.assertEqual((btc["peershake-btc"]["transport"], btc["peershake-btc-v2"]["transport"]), ("v1", "v2"))

    def test_who_runs_the_v2_cases(self):
        """Which configuration runs which v2 case, as skipped() decides
        before anything is started."""
        ctx = targets.Context("/nonexistent/peershake", "/tmp")
        ts = {t.name: t for t in targets.load_targets(set(), ctx) if t.protocol == "btc"}
        by_id = self.cases

        def outcome(name, cid):
            t, c = ts[name], by_id[cid]
            v = judging.skipped(c, "ok", "", t.roles, t.cfg.get("disabled", {}), t.name,
                                not_run=t.cfg.get("not_run", {}), unsupported=t.supports(c))
            return v.outcome if v else "run"
        v2 = [c.id for c in by_id.values() if c.family == "V2"]
        for cid in v2:
            c = by_id[cid]
            with self.subTest(case=cid):
                for name in ("bcoin", "pyv1peer"):
                    self.assertEqual(outcome(name, cid), "Unimplemented")
                self.assertEqual(outcome("pyv2peer", cid), "run")
                v1_target = c.dial == "v1"
                for name in ("bitcoind", "peershake-btc"):
                    self.assertEqual(outcome(name, cid), "run" if v1_target else "Unimplemented")
                for name in ("bitcoind-v2", "peershake-btc-v2"):
                    want = "Unimplemented" if v1_target and c.role == "responder" else "run"
                    self.assertEqual(outcome(name, cid), want)
        for cid in [c.id for c in by_id.values() if c.family == "V1"]:
            for name in ("pyv2peer", "bitcoind-v2", "peershake-btc-v2"):
                self.assertEqual(outcome(name, cid), "Unimplemented")
            for name in ("bcoin", "pyv1peer", "bitcoind", "peershake-btc"):
                # a connection type the adapter cannot open: not run
                want = "run" if not by_id[cid].conn or by_id[cid].conn in ts[name].conn_types() else "Unimplemented"
                self.assertEqual(outcome(name, cid), want, (name, cid))
        v = judging.skipped(by_id["CF-V2-001"], "ok", "", ["responder"], {}, "bcoin",
                            not_run=ts["bcoin"].cfg["not_run"])
        self.assertEqual((v.outcome, v.note), ("Unimplemented", ts["bcoin"].cfg["not_run"]["V2"]))


class BitcoindConfigs(unittest.TestCase):
    """The two bitcoind configurations (targets/bitcoind.json, and
    bitcoind-v2.json, which extends it): their command lines, the RPC that
    makes them connect out, Missing without a bitcoind."""

    REQUIRED = ["-regtest", "-bind=127.0.0.1", "-rpcbind=127.0.0.1", "-rpcallowip=127.0.0.1", "-connect=0",
                "-dnsseed=0", "-fixedseeds=0", "-natpmp=0", "-listenonion=0", "-discover=0"]
    NODE = {"exe": "/x/bitcoind", "dir": "/d", "port": 1, "rpcport": 2}

    @classmethod
    def setUpClass(cls):
        ctx = targets.Context("/nonexistent/peershake", "/tmp")
        cls.ts = {t.name: t for t in targets.load_targets({"bitcoind", "bitcoind-v2"}, ctx)}

    def names(self, t, **more):
        return dict(t._fixed_names(), **t.run.get("vars", {}), **self.NODE, **more)

    def test_command_lines(self):
        v1, v2 = (configured.expand(self.ts[n].run["node"]["cmd"], self.names(self.ts[n]))
                  for n in ("bitcoind", "bitcoind-v2"))
        for cmd in (v1, v2):
            self.assertEqual(cmd[0], "/x/bitcoind")
            for a in self.REQUIRED + ["-datadir=/d", "-port=1", "-rpcport=2", "-peertimeout=3"]:
                self.assertIn(a, cmd)
        self.assertIn("-v2transport=0", v1)
        self.assertFalse([a for a in v2 if a.startswith("-v2transport")])  # Core's default: on
        self.assertEqual(self.ts["bitcoind-v2"].transport, "v2")

    def test_outbound_rpc(self):
        # v31.1 rpc/net.cpp: addconnection(address, connection_type, v2transport); addnode(node, command,
        # v2transport); a v2 attempt closed before a v2 byte is retried over v1 (net.cpp ShouldReconnectV1),
        # so "v2" and "auto" are both true
        t = self.ts["bitcoind"]
        self.assertEqual(t.conn_types(), catalogue.CONN_TYPES)
        rpc = [targets.PY, os.path.join(targets.HERE, "lib", "jsonrpc.py"), "--url", "http://127.0.0.1:2/",
               "--cookie", "/d/regtest/.cookie"]

        def call(conn, dial):
            return configured.expand(t.run["initiator"][conn]["call"],
                                     self.names(t, peer="127.0.0.1:9", v2="false" if dial == "v1" else "true"))
        self.assertEqual(call("outbound-full-relay", "v1"), rpc + ["addconnection", "127.0.0.1:9",
                                                                    "outbound-full-relay", "false"])
        self.assertEqual(call("outbound-full-relay", "v2")[-1], "true")
        self.assertEqual(call("manual", "v2"), rpc + ["addnode", "127.0.0.1:9", "onetry", "true"])
        for conn in ("block-relay-only", "feeler", "addr-fetch"):
            self.assertEqual(call(conn, "v1")[-4:], ["addconnection", "127.0.0.1:9", conn, "false"])
        # jsonrpc.py sends true/false as JSON booleans, the address as a string
        self.assertEqual([jsonrpc.param(p) for p in ("127.0.0.1:9", "onetry", "true", "false", "3", '"3"')],
                         ["127.0.0.1:9", "onetry", True, False, 3, "3"])

    def test_connection_types(self):
        ctx = targets.Context("/nonexistent/peershake", "/tmp")
        ts = {t.name: t for t in targets.load_targets({"bitcoind", "peershake-btc", "pyv1peer"}, ctx)}
        full = case(STD, role="initiator", cid="CF-V1-900")
        manual = case(STD, role="initiator", cid="CF-V1-901", switches="target:conn=manual")
        feeler = case(STD, role="initiator", cid="CF-V1-902", switches="target:conn=feeler")
        self.assertEqual((full.conn, manual.conn, feeler.conn), ("outbound-full-relay", "manual", "feeler"))
        self.assertIsNone(case(STD).conn)  # a responder case opens nothing
        self.assertIsNone(ts["bitcoind"].supports(feeler))
        self.assertIsNone(ts["peershake-btc"].supports(manual))
        self.assertIn("not a feeler one", ts["peershake-btc"].supports(feeler))
        self.assertIn("outbound-full-relay connections only: not a manual one", ts["pyv1peer"].supports(manual))
        self.assertIsNone(ts["pyv1peer"].supports(full))

    def test_dial(self):
        ctx = targets.Context("/nonexistent/peershake", "/tmp")
        ts = {t.name: t for t in targets.load_targets({"bitcoind", "bitcoind-v2"}, ctx)}
        c = case(STD, role="initiator", cid="CF-V1-900")
        self.assertEqual((ts["bitcoind"].dial(c), ts["bitcoind-v2"].dial(c)), ("v1", "v1"))
        c2 = case(STD, role="initiator", switches="--v2transport 1 target:v2", cid="CF-V2-900")
        self.assertEqual(ts["bitcoind-v2"].dial(c2), "v2")

    def test_missing_without_bitcoind(self):
        env = dict(os.environ)
        os.environ["BITCOIND"] = ""
        os.environ["PATH"] = "/nonexistent"
        try:
            ctx = targets.Context("/nonexistent/peershake", tempfile.mkdtemp())
            for t in targets.load_targets({"bitcoind", "bitcoind-v2"}, ctx):
                t.setup()
                self.assertEqual(t.status, "missing", t.name)
                self.assertIn("no bitcoind: set BITCOIND or put bitcoind on PATH", t.reason)
        finally:
            os.environ.clear()
            os.environ.update(env)


class FakeRpc(Scratch):
    """The bitcoind config's calls, through lib/jsonrpc.py, against a
    loopback HTTP server answering as bitcoind does (cookie auth; an RPC
    error is HTTP 500 with the error in the body)."""

    def setUp(self):
        super().setUp()
        self.srv = JsonRpcServer(auth="Basic " + base64.b64encode(b"__cookie__:x").decode())
        self.addCleanup(self.srv.close)
        self.answers = self.srv.answers
        os.makedirs(os.path.join(self.dir, "regtest"))
        self.path("regtest/.cookie", "__cookie__:x\n")
        ctx = targets.Context("/nonexistent/peershake", self.dir)
        self.t = targets.load_targets({"bitcoind-v2"}, ctx)[0]
        self.t.names = dict(self.t._fixed_names(), **self.t.run["vars"], exe="/x/bitcoind")
        # the shared node, not started: its directory and RPC port are the fake's
        self.t.shared = configured.Node(self.t.run["node"], self.t.names, self.dir)
        self.t.shared.names["rpcport"] = self.srv.port
        self.t.shared.port = 18555

    def calls(self):
        return [(r["method"], r["params"]) for _, r in self.srv.requests]

    def test_session_id_from_getpeerinfo(self):
        self.answers["getpeerinfo"] = (200, {"result": [
            {"addr": "127.10.1.2:5000", "transport_protocol_type": "v2", "session_id": "ab" * 32},
            {"addr": "127.0.0.1:6000", "transport_protocol_type": "v1", "session_id": ""}], "error": None})
        c = case(STD, cid="CF-V2-900", switches="--v2transport 1")
        self.assertEqual(self.t.session_id(c, {"role": "responder", "local": "127.10.1.2:5000"}), "ab" * 32)
        self.assertEqual(self.t.session_id(c, {"role": "initiator", "port": 6000}), "")
        self.assertEqual(self.t.session_id(c, {"role": "initiator", "port": 7000}), "")

    def test_initiator_and_rpc_error(self):
        c = case(STD, role="initiator", cid="CF-V2-900", switches="--v2transport 1 target:v2")
        with self.t.initiator(9, c) as h:
            self.assertTrue(h.alive())
        self.assertEqual(self.calls(), [("addconnection", ["127.0.0.1:9", "outbound-full-relay", True])])
        self.answers["addconnection"] = (500, {"result": None, "error": {
            "code": -34, "message": "Error: Already at capacity for specified connection type."}})
        with self.assertRaises(RuntimeError) as e:
            self.t.initiator(9, c)
        self.assertIn("Already at capacity", str(e.exception))
        m = case(STD, role="initiator", cid="CF-V1-901", switches="target:conn=manual")
        self.answers.pop("addconnection")
        self.t.initiator(10, m).stop()
        self.assertEqual(self.calls()[-1], ("addnode", ["127.0.0.1:10", "onetry", False]))

    def test_self_initiator(self):
        """The self case: the node's own P2P port is the relay's upstream,
        then the initiator cases' RPC to the relay's address, v1."""
        self.answers["addconnection"] = (200, {"result": {"address": "127.0.0.1:41234",
                                                          "connection_type": "outbound-full-relay"}, "error": None})
        self.t.cfg["transport"] = self.t.transport = "v1"
        relay = FakeRelay()
        c = {c.id: c for c in catalogue.load_cases()}["CF-V1-068"]
        with self.t.self_initiator(relay, c):
            pass
        self.assertEqual(relay.upstream, ("127.0.0.1", 18555))
        self.assertEqual(self.calls(), [("addconnection", ["127.0.0.1:41234", "outbound-full-relay", False])])
        self.assertIsNone(self.t.self_dial_reason())


class FakeRelay:
    """The self relay as an adapter sees it: where it listens, and the
    upstream the adapter gives it."""
    address = ("127.0.0.1", 41234)
    upstream = None

    def set_upstream(self, addr):
        self.upstream = addr


class PeershakeSelf(Scratch):
    def test_listen_connect(self):
        """peershake-btc dials itself as `btc listen --connect RELAY` (one
        process: its inbound handshakes check its outbound nonces); the
        port of its `listening` line is the relay's upstream."""
        argv = self.path("argv")
        fake = self.path("peershake", "#!/bin/sh\n"
                                      f"printf '%s\\n' \"$@\" > {argv}\n"
                                      "echo '{\"event\":\"listening\",\"port\":41999}'\n"
                                      "exec sleep 30\n")
        os.chmod(fake, 0o755)

        t = targets.PeershakeBtc({"name": "peershake-btc", "protocol": "btc", "transport": "v1",
                                  "handshake_timeout_ms": 3000}, targets.Context(fake, self.dir))
        relay = FakeRelay()
        c = {c.id: c for c in catalogue.load_cases()}["CF-V1-068"]
        h = t.self_initiator(relay, c)
        try:
            self.assertTrue(h.alive())
            self.assertEqual(relay.upstream, ("127.0.0.1", 41999))
            with open(argv, encoding="utf-8") as f:
                args = f.read().split()
        finally:
            h.stop()
        self.assertFalse(h.alive())
        self.assertEqual(args[:2], ["btc", "listen"])
        self.assertEqual(args[-3:], ["--connect", "127.0.0.1:41234", "127.0.0.1:0"])
        i = args.index("--v2transport")
        self.assertEqual(args[i + 1], "0")
        self.assertEqual(args[args.index("-t") + 1], "3000")
        self.assertTrue(h.log.endswith("CF-V1-068-self.jsonl"))


class SessionIds(Scratch):
    """What a target reports for the case's connection."""

    def test_pyv2peer(self):
        t = targets.load_targets({"pyv2peer"}, targets.Context("/nonexistent/peershake", self.dir))[0]
        t.names = t._fixed_names()
        c = case(STD, cid="CF-V2-900", switches="--v2transport 1")
        t._outputs[c.id] = self.path("out", '{"event": "transport", "transport": "v2"}\n'
                                            '{"event": "v2_handshake", "session_id": "ab12"}\n')
        self.assertEqual(t.session_id(c, {"role": "responder", "local": "x"}), "ab12")

        def args(entry, c):
            return configured.expand(entry["node"]["args"], dict(t._case_names(c), dir="/d"))
        listen = t.run["responder"]
        self.assertEqual(args(listen, c)[-4:], ["--v2transport", "auto", "--count", "1"])
        c1 = case(STD + " retry=1", cid="CF-V2-901", switches="--v2transport auto target:v1")
        self.assertEqual(args(listen, c1)[-4:], ["--v2transport", "v1", "--count", "2"])
        c2 = case(STD, role="initiator", cid="CF-V2-902", switches="--v2transport 0 target:auto")
        self.assertEqual(args(t.run["initiator"]["outbound-full-relay"], c2)[-2:], ["--v2transport", "auto"])

    def test_peershake(self):
        t = targets.PeershakeBtc({"name": "peershake-btc-v2", "protocol": "btc", "transport": "v2"}, None)
        t.log = self.path("resp", '{"event":"result","peer":"127.0.0.5:1","session_id":"aa"}\n'
                                  '{"event":"result","peer":"127.0.0.6:2","session_id":"bb"}\n')
        c = case(STD, cid="CF-V2-900", switches="--v2transport 1")
        self.assertEqual(t.session_id(c, {"role": "responder", "local": "127.0.0.6:2"}), "bb")
        t._outputs[c.id] = self.path("init", '{"event":"result","peer":"127.0.0.1:3","session_id":"cc"}\n')
        self.assertEqual(t.session_id(c, {"role": "initiator", "port": 3}), "cc")

    def test_base_reports_nothing(self):
        t = targets.load_targets({"bcoin"}, targets.Context("/nonexistent/peershake", self.dir))[0]
        self.assertIsNone(t.session_id(case(STD), {"role": "responder"}))


class TesterSwitches(Scratch):
    """A case whose switch the tester does not know is Unimplemented, with
    the switch named: never run, never a Pass."""

    def fake_peershake(self, names):
        body = "SWITCH PROTO ROLE WHAT\n" + "".join(f"{n} btc both x\n" for n in names)
        p = self.path("peershake", "#!/bin/sh\ncat <<'EOF'\n" + body + "EOF\n")
        os.chmod(p, 0o755)
        return p

    def test_known_bugs(self):
        p = self.fake_peershake(["wrong-magic", "send=CMD@WHEN", "stall=MS"])
        self.assertEqual(runner.known_bugs(p), {"wrong-magic", "send", "stall"})
        self.assertIsNone(runner.known_bugs("/nonexistent/peershake"))

    def test_missing_switch(self):
        known = {"wrong-magic", "v2-decoys"}
        c = case(STD, cid="CF-V2-900", switches="--v2transport 1 --bug v2-decoys=3 --bug v2-flip-tag")
        self.assertEqual(runner.bug_names(list(c.args)), ["v2-decoys", "v2-flip-tag"])
        why = runner.tester_missing(c, known)
        self.assertIn("--bug v2-flip-tag", why)
        self.assertNotIn("v2-decoys", why)
        self.assertIsNone(runner.tester_missing(case(STD, switches="--bug wrong-magic"), known))
        self.assertIsNone(runner.tester_missing(c, None))  # the tester could not say

    def test_run_one_never_runs_it(self):
        r = runner.Runner(self.fake_peershake(["wrong-magic"]), self.dir)
        self.addCleanup(lambda: __import__("shutil").rmtree(r.work, ignore_errors=True))
        t = NeverCalled()
        res = r.run_one(t, case(STD, cid="RS-V2-900", switches="--v2transport 1 --bug v2-flip-tag"))
        self.assertEqual((res["outcome"], res["actual"]), ("Unimplemented", "not run"))
        self.assertIn("the tester has no --bug v2-flip-tag yet", res["note"])

    def test_tester_args(self):
        v1 = case(STD, switches="--bug wrong-magic")
        self.assertEqual(runner.tester_args(v1, True), ["--v2transport", "0", "--bug", "wrong-magic"])
        self.assertEqual(runner.tester_args(v1, False), ["--bug", "wrong-magic"])
        v2 = case(STD, cid="CF-V2-900", role="initiator", switches="--v2transport 1 --v2-garbage 0 target:v2")
        self.assertEqual(runner.tester_args(v2, True), ["--v2transport", "1", "--v2-garbage", "0"])


class NoiseVerdicts(Scratch):
    def test_shim(self):
        t = targets.NoiseShim({"name": "s", "protocol": "noise", "shim": ["x"]}, None)
        out = self.path("out", "port=1\nhandshake_hash=aa\ntransport=74657374\nmessages=3\n"
                               "discarded=1\nresult=ok\n")
        err = self.path("err", "error: decrypt-failed : on message 1\n")
        self.assertEqual(t.verdict(out, err, 0),
                         TargetVerdict("ok", "aa", messages=3, transport="74657374", discarded=1))
        self.assertEqual(t.verdict(self.path("old", "handshake_hash=aa\nresult=ok\n"), err, 0),
                         TargetVerdict("ok", "aa"))
        self.assertEqual(t.verdict(out, err, 89), TargetVerdict("unimplemented"))
        self.assertEqual(t.verdict(out, err, 1), TargetVerdict("decrypt-failed"))
        at = self.path("at", "error: decrypt-failed at=transport:3 : transport\n")
        self.assertEqual(t.verdict(out, at, 1), TargetVerdict("decrypt-failed", at="transport:3"))
        self.assertEqual(t.verdict(out, self.path("big", "error: too-large : --transport\n"), 2),
                         TargetVerdict("too-large"))
        self.assertEqual(t.verdict(out, self.path("err2", "panic\n"), 3), TargetVerdict("exit-3"))
        self.assertEqual(t.command("responder", 0, ["--psk-file", "p"]),
                         ["x", "--role", "responder", "--port", "0", "--psk-file", "p"])

    def test_peershake(self):
        ctx = targets.Context("/bin/peershake", "/tmp")
        t = targets.PeershakeNoise({"name": "peershake-noise", "protocol": "noise"}, ctx)
        ok = self.path("ok", '{"event":"result","result":"SUCCESS","handshake_hash":"bb",'
                             '"transport":"74657374","messages":1}\n')
        bad = self.path("bad", '{"event":"result","result":"FAILED","reason":"bad-dh","failed_on":"msg2"}\n')
        none = self.path("none", "")
        psk = self.path("psk", "peershake: PSK file 'x' is empty\n")
        big = self.path("big", "peershake: a payload makes its message exceed 65535 bytes: ...\n")
        self.assertEqual(t.verdict(ok, none, 0), TargetVerdict("ok", "bb", messages=1, transport="74657374"))
        self.assertEqual(t.verdict(bad, none, 1), TargetVerdict("bad-dh", at="msg2"))
        self.assertEqual(t.verdict(none, psk, 2), TargetVerdict("bad-psk"))
        self.assertEqual(t.verdict(none, big, 2), TargetVerdict("too-large"))
        self.assertEqual(t.verdict(none, none, -15), TargetVerdict("exit--15"))
        self.assertEqual(t.command("initiator", 9, ["--timeout-ms", "2000", "--payload1", "a1"]),
                         ["/bin/peershake", "noise", "connect", "--json", "--no-progress", "-t", "2000",
                          "--payload1", "a1", "127.0.0.1:9"])
        self.assertEqual(t.command("responder", 0, [])[:7],
                         ["/bin/peershake", "noise", "listen", "--json", "--no-progress", "--count", "1"])
        # the exchange flags map one to one
        self.assertEqual(t.command("initiator", 9, ["--messages", "3", "--continue-on-decrypt-failure"])[5:8],
                         ["--messages", "3", "--continue-on-decrypt-failure"])


class Handles(Scratch):
    def test_started_stops_on_the_way_out(self):
        with self.assertRaises(RuntimeError):
            with started(["sleep", "30"], self.path("o")) as p:
                raise RuntimeError("the case broke")
        self.assertEqual(p.returncode, -signal.SIGTERM)

    def test_process_handle(self):
        with targets.ProcessHandle(["sleep", "30"], self.path("o")) as h:
            self.assertIsNone(h.proc.poll())
        self.assertEqual(h.proc.returncode, -signal.SIGTERM)
        h.stop()  # idempotent

    def test_command_handle_once(self):
        f = self.path("stops")
        h = targets.CommandHandle(["/bin/sh", "-c", f"echo stopped >> {f}"])
        with h:
            pass
        h.stop()
        with open(f) as fh:
            self.assertEqual(fh.read(), "stopped\n")

    def test_no_handle(self):
        with targets.NoHandle() as h:
            h.stop()


class NeverCalled:
    """A target whose every entry point is an error: for the paths that
    must not reach it."""
    name, protocol, roles, status, reason, cfg = "never", "btc", ["responder", "initiator"], "ok", "", {}
    network, magic, listen_host = "regtest", None, "127.0.0.1"
    network_args = targets.BtcTarget.network_args

    def initiator(self, port, case):
        raise AssertionError("the target was asked to connect")

    def launch(self, *a):
        raise AssertionError("the target was launched")

    def verdict(self, out, err, rc):
        raise AssertionError("no verdict to read")


class NoListener(Scratch):
    """When our listener does not start, the target is not started at all
    (the Noise side once launched it at port 1 and judged what came back)."""

    def setUp(self):
        super().setUp()
        self.r = runner.Runner("/bin/false", self.dir)
        self.addCleanup(lambda: __import__("shutil").rmtree(self.r.work, ignore_errors=True))

    def test_btc(self):
        c = case(STD, role="initiator")
        obs = self.r.btc_case(NeverCalled(), c, self.path("btc.log"))
        self.assertEqual(obs.ending, "no-listener")

    def test_noise(self):
        c = case("recv=msg1,transport tester=SUCCESS", expect="ok", role="initiator", proto="noise", cid="CF-NN-9")
        t = NeverCalled()
        t.protocol = "noise"
        obs = self.r.noise_case(t, c, self.path("noise.log"))
        self.assertEqual(obs.ending, "no-listener")
        v = judging.judge(c, obs, {})
        self.assertEqual(v.outcome, "Fail")


class Skipped(Scratch):
    def test_missing_and_unimplemented_run_nothing(self):
        r = runner.Runner("/bin/false", self.dir)
        self.addCleanup(lambda: __import__("shutil").rmtree(r.work, ignore_errors=True))
        t = NeverCalled()
        t.status, t.reason = "missing", "no bitcoind"
        res = r.run_one(t, case(STD, role="initiator"))
        self.assertEqual((res["outcome"], res["note"], res["log"], res["actual"]),
                         ("Missing", "no bitcoind", "", "not run"))
        self.assertIn("recv version, wtxidrelay, sendaddrv2, verack", res["expectation"])
        t.status, t.roles = "ok", ["responder"]
        res = r.run_one(t, case(STD, role="initiator"))
        self.assertEqual(res["outcome"], "Unimplemented")
        t.roles, t.cfg = ["initiator"], {"disabled": {"CF-V1-900": "needs a wallet"}}
        res = r.run_one(t, case(STD, role="initiator"))
        self.assertEqual((res["outcome"], res["note"]), ("Unimplemented", "needs a wallet"))


class CommandLine(unittest.TestCase):
    def test_quick_help_names_quick_txt(self):
        out = subprocess.run(["/usr/bin/python3", os.path.join(runner.HERE, "run.py"), "--help"],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0)
        self.assertIn("quick.txt", " ".join(out.stdout.split()))
        self.assertNotIn("marked quick in cases.txt", out.stdout)

    def test_options(self):
        a = runner.parse_args(["--quick", "--cases", "CF-V1", "--targets", "bcoin", "--jobs", "2"])
        self.assertEqual((a.quick, a.cases, a.targets, a.jobs), (True, "CF-V1", "bcoin", 2))

    def test_select(self):
        cases = catalogue.load_cases()
        quick = catalogue.load_quick()
        self.assertEqual([c.id for c in runner.select(cases, quick=True)], [i for i in
                         [c.id for c in cases] if i in quick])
        self.assertTrue(all(c.id.startswith("RS-V1") for c in runner.select(cases, "^RS-V1")))
        self.assertEqual(runner.select(cases, "^CF-NN-001$", quick=True)[0].id, "CF-NN-001")


class Result(unittest.TestCase):
    def test_fields(self):
        c = case("recv=msg2,echo tester=SUCCESS", expect="ok", proto="noise", cid="CF-NN-900")
        obs = judging.observe_noise("decrypt-failed", None, [])
        v = judging.judge(c, obs, {})
        t = targets.NoiseShim({"name": "flynn", "protocol": "noise", "shim": ["x"]}, None)
        r = runner.result(t, c, v, obs, 12, "logs/flynn/CF-NN-900.log")
        self.assertEqual((r["expected"], r["observed"], r["outcome"]), ("ok", "decrypt-failed", "Fail"))
        self.assertEqual((r["target_verdict"], r["tester_verdict"]), ("decrypt-failed", "none"))
        self.assertEqual(sorted(x["rule"] for x in r["violations"]), ["recv", "tester:none"])
        self.assertTrue(r["expectation"].startswith("ending ok; recv msg2, echo; tester SUCCESS"))
        json.dumps(r)


if __name__ == "__main__":
    unittest.main()
