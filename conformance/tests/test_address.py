"""The targets the user names (psconf/address.py): --target btc=HOST:PORT
and noise=SHIM, --initiator-cmd, --network/--magic; their errors (run.py
exits 2), the responder handle, the command's placeholders and its
failure (Missing), the version recorded; bcoin_connect.py against a fake
HTTP API. No node is started: loopback sockets and shell commands only."""

import base64
import contextlib
import io
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from canned import CORE_RESPONDER, CORE_VERSION, STD, JsonRpcServer, case, events
from psconf import address, catalogue, judging, runner, selfrelay, targets
from psconf.address import SpecError
from psconf.procs import Sources
from test_runner import FakeRelay, Scratch

CONFORMANCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BCOIN_JSON = os.path.join(CONFORMANCE, "targets", "bcoin.json")


def ctx(work="/tmp"):
    return targets.Context("/nonexistent/peershake", work)


@contextlib.contextmanager
def accepting():
    """A loopback port something listens on (nothing is read or answered)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    try:
        yield s.getsockname()[1]
    finally:
        s.close()


def closed_port():
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def btc_target(cmd=None, network="regtest", magic=None, timeout=5.0, host="127.0.0.1", port=18444, cfg=None):
    c = {"name": f"btc={address.hostport(host, port)}", "protocol": "btc", "roles": ["responder", "initiator"],
         "version": "", "divergences": {}}
    c.update(cfg or {})
    return address.AddressBtc(c, ctx(), host, port, cmd, network, magic, timeout)


class Specs(unittest.TestCase):
    def test_btc_spec(self):
        self.assertEqual(address.parse_spec("btc=127.0.0.1:18444"), ("btc", "127.0.0.1:18444", {},
                                                                     "btc=127.0.0.1:18444"))
        # the name is what the user gave, without the keys
        self.assertEqual(address.parse_spec("btc=[::1]:8333,config=a.json,transport=v2"),
                         ("btc", "[::1]:8333", {"config": "a.json", "transport": "v2"}, "btc=[::1]:8333"))
        self.assertEqual(address.parse_spec("noise=/x/shim,config=c.json")[2:],
                         ({"config": "c.json"}, "noise=/x/shim"))

    def test_bad_specs(self):
        for spec, msg in (("127.0.0.1:18444", "want PROTOCOL=WHERE"), ("bcoin=127.0.0.1:1", "unknown protocol"),
                          ("btc=", "nothing after"), ("btc=127.0.0.1:1,foo=1", "bad key 'foo=1'"),
                          ("btc=127.0.0.1:1,config=", "bad key"), ("btc=127.0.0.1:1,config", "bad key"),
                          ("btc=127.0.0.1:1,config=a,config=b", "given twice"),
                          ("btc=127.0.0.1:1,transport=v3", "v1 or v2"), ("noise=/x,transport=v2", "btc only")):
            with self.subTest(spec=spec):
                with self.assertRaises(SpecError) as e:
                    address.parse_spec(spec)
                self.assertIn(msg, str(e.exception))

    def test_hostport(self):
        self.assertEqual(address.parse_hostport("127.0.0.1:18444"), ("127.0.0.1", 18444))
        self.assertEqual(address.parse_hostport("10.1.2.3:1"), ("10.1.2.3", 1))
        self.assertEqual(address.parse_hostport("[::1]:65535"), ("::1", 65535))
        self.assertEqual(address.hostport("::1", 5), "[::1]:5")
        self.assertEqual(address.hostport("127.0.0.1", 5), "127.0.0.1:5")
        for bad, msg in (("127.0.0.1", "want HOST:PORT"), ("127.0.0.1:", "1..65535"), ("127.0.0.1:0", "1..65535"),
                         ("127.0.0.1:65536", "1..65535"), ("127.0.0.1:x", "1..65535"), ("::1:5", "want HOST:PORT"),
                         ("[::1]5", "want HOST:PORT"), ("[127.0.0.1]:5", "written [IPV6]"),
                         ("localhost:18444", "IPv4 or [IPv6] address"), ("300.1.1.1:5", "IPv4 or [IPv6]")):
            with self.subTest(addr=bad):
                with self.assertRaises(SpecError) as e:
                    address.parse_hostport(bad)
                self.assertIn(msg, str(e.exception))

    def test_network_and_magic(self):
        self.assertEqual(address.parse_network("regtest", None), ("regtest", None))
        self.assertEqual(address.parse_network("main", None), ("mainnet", None))
        self.assertEqual(address.parse_network("testnet", "0A0B0C0D"), ("testnet3", "0a0b0c0d"))
        for net, magic in (("bitcoin", None), ("regtest", "fabfb5"), ("regtest", "fabfb5dz"), ("regtest", "")):
            with self.subTest(network=net, magic=magic):
                with self.assertRaises(SpecError):
                    address.parse_network(net, magic)


class CommandLine(Scratch):
    def run_main(self, *argv):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = runner.main(["--out", self.dir, "--peershake", "/bin/true"] + list(argv))
        return rc, err.getvalue()

    def test_options(self):
        a = runner.parse_args(["--target", "btc=127.0.0.1:1", "--target", "noise=/x", "--initiator-cmd",
                               "addnode {host}:{port}", "--network", "signet", "--magic", "01020304"])
        self.assertEqual((a.target, a.initiator_cmd, a.network, a.magic),
                         (["btc=127.0.0.1:1", "noise=/x"], "addnode {host}:{port}", "signet", "01020304"))
        a = runner.parse_args([])
        self.assertEqual((a.target, a.initiator_cmd, a.network, a.magic), ([], None, "regtest", None))

    def test_bad_values_exit_2(self):
        shim = self.path("shim", "#!/bin/sh\n")  # not executable
        for argv, msg in ((["--target", "btc"], "want PROTOCOL=WHERE"),
                          (["--target", "tcp=127.0.0.1:1"], "unknown protocol 'tcp'"),
                          (["--target", "btc=127.0.0.1:99999"], "PORT must be 1..65535"),
                          (["--target", "btc=node:18444"], "IPv4 or [IPv6]"),
                          (["--target", f"noise={shim}"], "is not an executable file"),
                          (["--target", f"noise={self.dir}"], "is not an executable file"),
                          (["--target", "btc=127.0.0.1:1,config=/nonexistent.json"], "config /nonexistent.json"),
                          (["--target", f"btc=127.0.0.1:{closed_port()}"], "nothing accepts a TCP connection"),
                          (["--target", "btc=127.0.0.1:1", "--network", "nope"], "--network 'nope'"),
                          (["--target", "btc=127.0.0.1:1", "--magic", "xyz"], "--magic 'xyz'"),
                          (["--initiator-cmd", "true"], "are for --target btc=HOST:PORT"),
                          (["--magic", "01020304"], "are for --target btc=HOST:PORT"),
                          (["--target", "noise=/bin/true", "--initiator-cmd", "true"],
                           "are for --target btc=HOST:PORT")):
            with self.subTest(argv=argv):
                rc, err = self.run_main(*argv)
                self.assertEqual(rc, 2)
                self.assertIn(msg, err)

    def test_given_twice(self):
        with accepting() as port:
            rc, err = self.run_main("--target", f"btc=127.0.0.1:{port}", "--target", f"btc=127.0.0.1:{port},"
                                    "transport=v2")
        self.assertEqual(rc, 2)
        self.assertIn("given twice", err)

    def test_combined_with_targets(self):
        """--target alone runs only the given targets; with --targets, the
        named managed ones too."""
        with accepting() as port:
            spec = f"btc=127.0.0.1:{port}"
            got = runner.select_targets(runner.parse_args(["--target", spec]), ctx())
            self.assertEqual([t.name for t in got], [spec])
            got = runner.select_targets(runner.parse_args(["--target", spec, "--targets", "bcoin,flynn"]), ctx())
            self.assertEqual([t.name for t in got], ["bcoin", "flynn", spec])
        got = runner.select_targets(runner.parse_args([]), ctx())
        self.assertIn("bcoin", [t.name for t in got])


class BtcAddressTarget(Scratch):
    def test_config_keys(self):
        """config=: the judging keys of a target config, not its name or version."""
        with accepting() as port:
            t = address.make_address_target(f"btc=127.0.0.1:{port},config={BCOIN_JSON}", ctx())
            t2 = address.make_address_target(f"btc=127.0.0.1:{port},config={BCOIN_JSON},transport=v2", ctx())
        with open(BCOIN_JSON, encoding="utf-8") as f:
            bcoin = json.load(f)
        self.assertEqual(t.name, f"btc=127.0.0.1:{port}")
        self.assertEqual(t.version, "")
        self.assertEqual(t.cfg["divergences"], bcoin["divergences"])
        self.assertEqual(t.cfg["divergent_rules"], bcoin["divergent_rules"])
        self.assertEqual(t.cfg["protocol_version"], bcoin["protocol_version"])
        self.assertEqual((t.transport, t.cfg["not_run"]), ("v1", bcoin["not_run"]))
        self.assertNotIn("start", t.cfg)
        self.assertEqual(t2.transport, "v2")
        # without a config, the v2 cases that want a v2 node say how to run them
        t3 = address.make_address_target(f"btc=127.0.0.1:{port}", ctx())
        v2 = case(STD, cid="CF-V2-900", switches="--v2transport 1")
        self.assertIn(",transport=v2 runs the v2 cases", t3.supports(v2))
        self.assertIsNone(t3.supports(case(STD)))
        bad = self.path("bad.json", "[1, 2]")
        with self.assertRaises(SpecError):
            address.make_address_target(f"btc=127.0.0.1:1,config={bad}", ctx())

    def test_responder_handle(self):
        """The responder is the user's address itself, for every case; nothing
        is started or stopped."""
        t = btc_target(port=18555)
        t.setup()
        with t.responder(case(STD)) as addr:
            self.assertEqual(addr, ("127.0.0.1", 18555))
        t.teardown()
        self.assertEqual(t.roles, ["responder", "initiator"])
        self.assertIsNone(t.case_missing(case(STD)))

    def test_tester_options(self):
        t = btc_target(network="testnet4", magic="0a0b0c0d")
        self.assertEqual(runner.btc_base(t)[:4], ["-n", "testnet4", "--magic", "0a0b0c0d"])
        self.assertEqual(runner.btc_base(t)[4:], runner.BTC_BASE)
        self.assertEqual(t.wire_magic(), bytes.fromhex("0a0b0c0d"))
        t = btc_target(network="signet")
        self.assertEqual((t.network_args(), t.wire_magic()), (["-n", "signet"], bytes.fromhex("0a03cf40")))
        managed = targets.load_targets({"pyv1peer"}, ctx())[0]
        self.assertEqual(runner.btc_base(managed)[:2], ["-n", "regtest"])
        self.assertEqual(managed.wire_magic(), bytes.fromhex("fabfb5da"))

    def test_loopback_only_gets_a_source(self):
        s = Sources()
        self.assertEqual(runner.source_args(s, "127.0.0.1")[0], "--source")
        self.assertEqual(runner.source_args(s, "10.0.0.5"), [])
        self.assertEqual(runner.source_args(s, "::1"), [])

    def test_listen_host(self):
        self.assertEqual(btc_target().listen_host, "127.0.0.1")
        self.assertEqual(btc_target(host="::1").listen_host, "::1")
        self.assertEqual(address.local_host_towards("127.0.0.2"), "127.0.0.1")

    def test_self_relay_on_ipv6(self):
        """A node on [::1]: the self case's relay listens there too."""
        t = btc_target(host="::1")
        relay = selfrelay.Relay(magic=t.wire_magic(), host=t.listen_host).start()
        try:
            self.assertEqual(relay.address[0], "::1")
            socket.create_connection(relay.address, 2).close()
        finally:
            relay.stop()

    def test_as_json(self):
        t = btc_target("secret-cli --api-key=K addnode {host}:{port}", port=18555)
        d = t.as_json()
        self.assertEqual((d["name"], d["address"], d["network"], d["magic"], d["initiator"]),
                         ("btc=127.0.0.1:18555", "127.0.0.1:18555", "regtest", "fabfb5da", "--initiator-cmd"))
        self.assertNotIn("api-key", json.dumps(d))
        self.assertEqual(btc_target().as_json()["initiator"], "none")

    def test_slug(self):
        self.assertEqual(btc_target(port=18555).slug, "btc_127.0.0.1_18555")
        t = targets.NoiseShim({"name": "noise=/a/b shim", "protocol": "noise", "shim": ["/a/b"]}, None)
        self.assertEqual(t.slug, "noise__a_b_shim")
        self.assertEqual(targets.NoiseShim({"name": "flynn", "protocol": "noise", "shim": ["x"]}, None).slug,
                         "flynn")


class Version(unittest.TestCase):
    def obs(self, version):
        evs = events(CORE_RESPONDER, version=version)
        return judging.observe_btc(evs)

    def test_first_version_is_recorded(self):
        t = btc_target()
        t.observe(case(STD), judging.Observation("btc", "disconnect"))   # no version in it
        self.assertEqual(t.version, "")
        t.observe(case(STD), self.obs(CORE_VERSION))
        self.assertEqual(t.version, "/Satoshi:31.1.0/ (protocol 70016)")
        t.observe(case(STD), self.obs(dict(CORE_VERSION, user_agent="/other:1/", version=70015)))
        self.assertEqual(t.version, "/Satoshi:31.1.0/ (protocol 70016)")
        self.assertEqual(t.as_json()["version"], "/Satoshi:31.1.0/ (protocol 70016)")

    def test_run_one_records_it(self):
        """The runner hands each observation to the target."""
        r = runner.Runner("/bin/false", "/tmp")
        self.addCleanup(lambda: shutil.rmtree(r.work, ignore_errors=True))
        out = r.out = tempfile.mkdtemp()
        self.addCleanup(lambda: shutil.rmtree(out, ignore_errors=True))
        t = btc_target()
        r.btc_case = lambda target, c, log: self.obs(CORE_VERSION)
        res = r.run_one(t, case(STD))
        self.assertEqual(t.version, "/Satoshi:31.1.0/ (protocol 70016)")
        self.assertNotEqual(res["outcome"], "Missing")


class InitiatorCommand(Scratch):
    def test_substitute(self):
        self.assertEqual(address.substitute("cli addnode {host}:{port} onetry", "127.0.0.1", 4000),
                         "cli addnode 127.0.0.1:4000 onetry")
        # other braces stay (a JSON body), every placeholder is replaced
        self.assertEqual(address.substitute("curl -d '{\"params\":[\"{host}:{port}\"]}' {port}", "::1", 9),
                         "curl -d '{\"params\":[\"::1:9\"]}' 9")

    def test_initiator_runs_the_command(self):
        f = self.path("called")
        t = btc_target(f"echo {{host}} {{port}} >> {f}")
        c = case(STD, role="initiator")
        h = t.initiator(40123, c)
        self.assertIsInstance(h, targets.NoHandle)
        with open(f, encoding="utf-8") as fh:
            self.assertEqual(fh.read(), "127.0.0.1 40123\n")

    def test_failure_is_missing_with_stderr(self):
        t = btc_target("echo out; echo 'error: couldn'\"'\"'t connect' >&2; exit 4")
        with self.assertRaises(targets.CaseMissing) as e:
            t.initiator(40123, case(STD, role="initiator"))
        self.assertEqual(str(e.exception), "--initiator-cmd for 127.0.0.1:40123 exited 4: error: couldn't connect")
        with self.assertRaises(targets.CaseMissing) as e:
            btc_target("exit 1").initiator(5, case(STD, role="initiator"))
        self.assertIn("exited 1 (nothing on stderr)", str(e.exception))

    def test_time_limit(self):
        """A command past its time limit is killed with its children (one
        holding the pipes would keep the runner waiting)."""
        t = btc_target("sleep 30 & sleep 30", timeout=0.3)
        t0 = time.monotonic()
        with self.assertRaises(targets.CaseMissing) as e:
            t.initiator(5, case(STD, role="initiator"))
        self.assertLess(time.monotonic() - t0, 5)
        self.assertIn("did not finish within 0.3 s", str(e.exception))

    def test_without_a_command(self):
        t = btc_target()
        self.assertIn("no --initiator-cmd", t.case_missing(case(STD, role="initiator")))
        self.assertIsNone(t.case_missing(case(STD)))
        self.assertIn("no --initiator-cmd", t.self_dial_reason())
        self.assertIsNone(btc_target("true").self_dial_reason())

    def test_self_initiator(self):
        """The self case: the relay's upstream is the node's address, the
        command dials the relay."""
        f = self.path("called")
        t = btc_target(f"echo {{host}}:{{port}} > {f}", port=18555)
        relay = FakeRelay()
        c = {c.id: c for c in catalogue.load_cases()}["CF-V1-068"]
        with t.self_initiator(relay, c):
            pass
        self.assertEqual(relay.upstream, ("127.0.0.1", 18555))
        with open(f, encoding="utf-8") as fh:
            self.assertEqual(fh.read(), "127.0.0.1:41234\n")


class MissingResults(Scratch):
    """run_one: no command, or a failing one, is Missing with the reason, not a Fail."""

    def setUp(self):
        super().setUp()
        self.r = runner.Runner("/bin/false", self.dir)
        self.addCleanup(lambda: shutil.rmtree(self.r.work, ignore_errors=True))

    def test_no_command_runs_nothing(self):
        t = btc_target()
        t.initiator = None   # must not be reached
        res = self.r.run_one(t, case(STD, role="initiator"))
        self.assertEqual((res["outcome"], res["log"], res["actual"]), ("Missing", "", "not run"))
        self.assertIn("no --initiator-cmd", res["note"])
        c = {c.id: c for c in catalogue.load_cases()}["CF-V1-068"]
        res = self.r.run_one(t, c)
        self.assertEqual(res["outcome"], "Missing")
        self.assertIn("no --initiator-cmd", res["note"])

    def test_case_missing_raised_in_a_case(self):
        def raises(target, c, log):
            raise targets.CaseMissing("--initiator-cmd for 127.0.0.1:5 exited 3: nope")
        self.r.btc_case = raises
        res = self.r.run_one(btc_target("exit 3"), case(STD, role="initiator"))
        self.assertEqual((res["outcome"], res["note"]), ("Missing", "--initiator-cmd for 127.0.0.1:5 exited 3: nope"))

    @unittest.skipUnless(os.access(os.path.join(runner.ROOT, "build", "release", "peershake"), os.X_OK),
                         "no build/release/peershake")
    def test_failing_command_through_btc_case(self):
        """The real path: our listener starts, the command fails, the case is
        Missing with its stderr and our listener is stopped."""
        r = runner.Runner(os.path.join(runner.ROOT, "build", "release", "peershake"), self.dir)
        self.addCleanup(lambda: shutil.rmtree(r.work, ignore_errors=True))
        res = r.run_one(btc_target("echo 'no such node' >&2; exit 7"), case(STD, role="initiator"))
        self.assertEqual(res["outcome"], "Missing")
        self.assertRegex(res["note"], r"^--initiator-cmd for 127\.0\.0\.1:\d+ exited 7: no such node$")
        with open(os.path.join(self.dir, res["log"]), encoding="utf-8") as f:
            self.assertIn("btc listen", f.readline())


class NoiseByPath(Scratch):
    def test_shim_by_path(self):
        shim = self.path("my shim", "#!/bin/sh\n[ \"$1\" = --version ] && echo 'mynoise 0.1 (test)'\n")
        os.chmod(shim, 0o755)
        t = address.make_address_target(f"noise={shim}", ctx(self.dir))
        self.assertIsInstance(t, targets.NoiseShim)
        self.assertEqual((t.name, t.protocol, t.cmd, t.roles), (f"noise={shim}", "noise", [shim],
                                                                ["responder", "initiator"]))
        t.setup()
        self.assertEqual((t.status, t.version), ("ok", "mynoise 0.1 (test)"))
        self.assertEqual(t.command("responder", 0, ["--messages", "2"]),
                         [shim, "--role", "responder", "--port", "0", "--messages", "2"])

    def test_relative_path_is_made_absolute(self):
        shim = self.path("s", "#!/bin/sh\n")
        os.chmod(shim, 0o755)
        old = os.getcwd()
        os.chdir(self.dir)
        try:
            t = address.make_address_target("noise=s", ctx())
        finally:
            os.chdir(old)
        self.assertEqual((t.name, t.cmd), ("noise=s", [shim]))


class BcoinConnect(Scratch):
    """conformance/lib/bcoin_connect.py against a loopback HTTP server
    answering as bcoin 1.0.2's API does (basic auth, password = API key;
    an RPC error in the body of an HTTP 200: bweb lib/middleware/jsonrpc.js)."""

    SCRIPT = os.path.join(CONFORMANCE, "lib", "bcoin_connect.py")

    def setUp(self):
        super().setUp()
        self.srv = JsonRpcServer(auth="Basic " + base64.b64encode(b"x:k3y").decode())
        self.addCleanup(self.srv.close)
        self.http_port = self.srv.port

    def run_script(self, *args, key=None):
        env = dict(os.environ)
        env.pop("BCOIN_API_KEY", None)
        if key is not None:
            env["BCOIN_API_KEY"] = key
        return subprocess.run(["/usr/bin/python3", self.SCRIPT] + list(args), capture_output=True, text=True,
                              env=env, timeout=30)

    def test_dir(self):
        self.path("ports", f"BCOIN_PORT=1\nBCOIN_HTTP_PORT={self.http_port}\nBCOIN_API_KEY=k3y\n"
                           "BCOIN_LOG=/x/debug.log\n")
        p = self.run_script("--dir", self.dir, "127.0.0.1:40000")
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertEqual(self.srv.requests[0][1]["method"], "addnode")
        self.assertEqual(self.srv.requests[0][1]["params"], ["127.0.0.1:40000", "onetry"])

    def test_http_and_key_from_env(self):
        p = self.run_script("--http", f"127.0.0.1:{self.http_port}", "127.0.0.1:5", key="k3y")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.run_script("--http", f"127.0.0.1:{self.http_port}", "127.0.0.1:5", key="wrong")
        self.assertEqual(p.returncode, 1)
        self.assertIn("HTTP 401", p.stderr)

    def test_rpc_error_exits_1(self):
        self.srv.answers["addnode"] = (200, {"result": None, "error": {"message": "Invalid parameter.", "code": -8}})
        p = self.run_script("--http", f"127.0.0.1:{self.http_port}", "nonsense", key="k3y")
        self.assertEqual(p.returncode, 1)
        self.assertIn("Invalid parameter.", p.stderr)

    def test_no_api_exits_1(self):
        p = self.run_script("--http", f"127.0.0.1:{closed_port()}", "127.0.0.1:5", key="k3y")
        self.assertEqual(p.returncode, 1)
        self.assertIn("refused", p.stderr.lower())
        p = self.run_script("--dir", os.path.join(self.dir, "none"), "127.0.0.1:5")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(self.run_script("127.0.0.1:5").returncode, 2)


if __name__ == "__main__":
    unittest.main()
