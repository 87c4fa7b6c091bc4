"""Targets, handles, processes and the runner's paths that need no node:
the target configs, the Noise verdicts, initiator handles, the listener
that does not start, Missing/Unimplemented results, the command line."""

import json
import os
import signal
import subprocess
import tempfile
import unittest

from canned import STD, case
from psconf import catalogue, judging, runner, targets
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
        self.assertEqual(got, {"bcoin": "Bcoin", "bitcoind": "Bitcoind", "dissononce": "NoiseShim",
                               "flynn": "NoiseShim", "peershake-btc": "PeershakeBtc",
                               "peershake-noise": "PeershakeNoise", "pyv1peer": "PyV1Peer"})
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
