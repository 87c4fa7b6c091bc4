"""Targets as config files (psconf/configured.py): the "run" block's
checks, placeholders and "extends", and the node life cycle against small
fake nodes on loopback: a process that prints its port, a start script
that returns with a ports file and a stop script, a fresh node per case,
one that dials, the self case's upstream, Missing when a requirement is
not there."""

import base64
import json
import os
import socket
import subprocess
import sys
import textwrap
import unittest

from canned import STD, JsonRpcServer, case
from psconf import catalogue, configured, targets
from psconf.configured import ConfigError, check_run, expand
from test_runner import FakeRelay, Scratch

# A fake node: listens on 127.0.0.1 (a free port, or the one given), says
# so on stdout ("listening on N"), writes its port to --ready-file when
# given, records its argv, and with --dial HOST:PORT opens one connection
# there; runs until it is stopped.
FAKE_NODE = textwrap.dedent("""\
    import socket, sys, time
    args = sys.argv[1:]
    def opt(name, default=None):
        return args[args.index(name) + 1] if name in args else default
    with open(opt("--argv-file"), "a") as f:
        f.write(" ".join(args) + "\\n")
    s = socket.socket()
    s.bind(("127.0.0.1", int(opt("--port", "0"))))
    s.listen(8)
    port = s.getsockname()[1]
    if opt("--dial"):
        h, p = opt("--dial").rsplit(":", 1)
        socket.create_connection((h, int(p))).close()
    if opt("--ready-file"):
        with open(opt("--ready-file"), "w") as f:
            f.write(f"{port}\\n")
    print(f"listening on {port}", flush=True)
    if "--exit" in args:
        sys.exit(3)
    time.sleep(60)
""")


def node_cfg(run, **top):
    cfg = {"name": "fake", "protocol": "btc", "roles": ["responder", "initiator"], "transport": "v1",
           "version": "", "divergences": {}, "run": run}
    cfg.update(top)
    return cfg


class Checks(unittest.TestCase):
    """What check_run refuses, each with a line that names it."""

    NODE = {"cmd": ["x"], "port": "{port}"}

    def refused(self, run, words):
        with self.assertRaises(ConfigError) as e:
            check_run(run)
        self.assertIn(words, str(e.exception))

    def test_refused(self):
        self.refused({"node": self.NODE, "colour": 1}, "unknown key colour")
        self.refused({}, 'no "node"')
        self.refused({"node": {"port": "1"}}, 'one of "cmd"')
        self.refused({"node": {"cmd": ["x"], "start": ["y"], "port": "1"}}, 'one of "cmd"')
        self.refused({"node": {"start": ["x"], "port": "1"}}, 'needs its "stop"')
        self.refused({"node": {"cmd": ["x"]}}, 'no "port"')
        self.refused({"node": dict(self.NODE, colour=1)}, "a node: unknown key colour")
        self.refused({"node": self.NODE, "initiator": {"sideways": {"call": ["x"]}}},
                     "unknown connection type sideways")
        self.refused({"node": self.NODE, "initiator": {"manual": {"call": ["x"], "node": {}}}},
                     '"run.initiator.manual"')
        self.refused({"node": {"cmd": ["{python}", "-port={prot}"], "port": "{port}"}}, "unknown placeholder {prot}")
        self.refused({"node": {"cmd": ["{exe}"], "port": "1"}}, "unknown placeholder {exe}")  # no "requires" names it
        self.refused({"node": self.NODE, "self": "initiator", "initiator": {"manual": {"call": ["x"]}}},
                     "needs an initiator entry for outbound-full-relay")
        self.refused({"node": self.NODE, "self": "yes"}, '"run.self"')
        self.refused({"node": self.NODE, "session_id": {"field": "x"}}, '"run.session_id"')
        self.refused({"node": self.NODE, "responder": "fresh"}, '"run.responder"')

    def test_accepted(self):
        # regular expressions and a version's format are not placeholders
        check_run({"node": {"cmd": ["{python}", "{args}", "{my}"], "port": {"output": r"on (\d{2,5})"},
                            "ready": {"line": r"^up\{x\}"}},
                   "vars": {"my": "v"}, "version": {"cmd": ["{exe}"], "format": "x {out}"},
                   "requires": [{"exe": "x"}]})

    def test_every_config_in_the_tree_loads(self):
        ctx = targets.Context("/nonexistent/peershake", "/tmp")
        for t in targets.load_targets(set(), ctx):
            if isinstance(t, configured.ConfiguredBtc):
                check_run(t.run)


class ReadmeExample(unittest.TestCase):
    def test_btcd_example_loads(self):
        """conformance/README.md's btcd example (untested against a btcd:
        none runs here) is a config that loads: its run block passes the
        checks, its connection types and its requirement are what it says."""
        with open(os.path.join(targets.HERE, "README.md"), encoding="utf-8") as f:
            text = f.read()
        start = text.index("**Example: btcd, as one file")
        block = text[text.index("```json\n", start) + 8:text.index("```\n", text.index("```json\n", start) + 8)]
        cfg = json.loads(block)
        t = configured.ConfiguredBtc(cfg, targets.Context("/nonexistent/peershake", "/tmp"))
        self.assertEqual(t.conn_types(), ("outbound-full-relay",))
        self.assertIsNone(t.self_dial_reason())
        self.assertEqual(t.run["requires"][0]["env"], "BTCD")


class JsonRpcScript(Scratch):
    """lib/jsonrpc.py, the client the configs call, as a command."""

    SCRIPT = os.path.join(targets.HERE, "lib", "jsonrpc.py")

    def setUp(self):
        super().setUp()
        self.srv = JsonRpcServer(auth="Basic " + base64.b64encode(b"u:p").decode())
        self.addCleanup(self.srv.close)

    def call(self, *args, env=None):
        return subprocess.run([targets.PY, self.SCRIPT, "--url", f"http://127.0.0.1:{self.srv.port}/"] + list(args),
                              capture_output=True, text=True, timeout=30, env=env)

    def test_calls(self):
        self.srv.answers["getpeerinfo"] = (200, {"result": [{"addr": "x"}], "error": None})
        cookie = self.path("cookie", "u:p\n")
        p = self.call("--cookie", cookie, "getpeerinfo")
        self.assertEqual((p.returncode, json.loads(p.stdout)), (0, [{"addr": "x"}]))
        p = self.call("--auth-env", "RPC_AUTH", "addnode", "127.0.0.1:9", "onetry", "true",
                      env=dict(os.environ, RPC_AUTH="u:p"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.srv.requests[-1][1]["params"], ["127.0.0.1:9", "onetry", True])

    def test_failures(self):
        self.srv.answers["addconnection"] = (500, {"result": None, "error": {"code": -34, "message": "at capacity"}})
        p = self.call("--auth", "u:p", "addconnection", "127.0.0.1:9", "feeler", "false")
        self.assertEqual(p.returncode, 1)
        self.assertIn("at capacity", p.stderr)
        p = self.call("--auth", "u:wrong", "getpeerinfo")
        self.assertEqual(p.returncode, 1)
        self.assertIn("HTTP 401", p.stderr)
        env = dict(os.environ)
        env.pop("NO_SUCH_VAR", None)
        self.assertEqual(self.call("--auth-env", "NO_SUCH_VAR", "getpeerinfo", env=env).returncode, 2)
        self.assertEqual(self.call("--cookie", self.path("none"), "getpeerinfo").returncode, 1)


class Placeholders(unittest.TestCase):
    def test_expand(self):
        names = {"a": "1", "l": ["-x", "{a}"], "e": [], "rpc": ["cli", "--port={p}"], "p": 7}
        self.assertEqual(expand(["{a}", "k={a}{a}", "{l}", "{e}", "z"], names), ["1", "k=11", "-x", "1", "z"])
        self.assertEqual(expand(["{rpc}", "go"], names), ["cli", "--port=7", "go"])
        self.assertEqual(expand(['{"json": 1}'], names), ['{"json": 1}'])  # not a placeholder
        with self.assertRaises(ConfigError):
            expand(["x{l}"], names)             # a list inside a longer string
        with self.assertRaises(ConfigError):
            expand(["{nothing}"], names)        # no value here
        with self.assertRaises(ConfigError):
            expand(["{loop}"], {"loop": ["{loop}"]})

    def test_ports_taken_only_when_named(self):
        """{port} and {rpcport} bind a free port the first time they are
        expanded, once: a node whose spec names neither takes none."""
        taken = []

        def take():
            taken.append(40000 + len(taken))
            return taken[-1]
        port, rpc = configured.LazyPort(take), configured.LazyPort(take)
        names = {"port": port, "rpcport": rpc, "a": "x"}
        self.assertEqual(expand(["{a}"], names), ["x"])
        self.assertEqual(taken, [])
        self.assertEqual(expand(["-port={port}", "{port}"], dict(names)), ["-port=40000", "40000"])
        self.assertEqual(expand(["{port}"], names), ["40000"])  # a copy of the names shares it
        self.assertEqual((taken, port.taken, rpc.taken), ([40000], True, False))
        # the real one: a free loopback port, bindable
        real = configured.LazyPort()
        with socket.socket() as s:
            s.bind(("127.0.0.1", int(str(real))))
        self.assertEqual(str(real), str(real))

    def test_merge(self):
        self.assertEqual(configured.merge({"a": {"b": 1, "c": [1]}, "d": 2}, {"a": {"c": [2]}, "e": 3}),
                         {"a": {"b": 1, "c": [2]}, "d": 2, "e": 3})


class Extends(Scratch):
    def test_run_is_inherited_nothing_else(self):
        base = node_cfg({"node": {"cmd": ["x", "{extra}"], "port": "{port}"}, "vars": {"extra": ["-a"]}},
                        divergences={"CF-V1-001": {"outcome": "Non-strict", "reason": "r"}})
        child = {"name": "fake2", "protocol": "btc", "transport": "v2", "extends": "fake.json",
                 "run": {"vars": {"extra": []}}}
        self.path("fake.json", json.dumps(base))
        self.path("fake2.json", json.dumps(child))
        cfgs = dict((c["name"], c) for _, c in targets.load_configs(self.dir))
        self.assertEqual(cfgs["fake2"]["run"], {"node": {"cmd": ["x", "{extra}"], "port": "{port}"},
                                                 "vars": {"extra": []}})
        self.assertNotIn("divergences", cfgs["fake2"])
        self.path("loop.json", json.dumps({"name": "l", "protocol": "btc", "extends": "loop.json"}))
        with self.assertRaises(ValueError):
            targets.load_configs(self.dir)


class Lifecycle(Scratch):
    """Nodes started and stopped as the config says."""

    def setUp(self):
        super().setUp()
        self.script = self.path("fake_node.py", FAKE_NODE)
        self.argv = self.path("argv", "")
        self.ctx = targets.Context("/nonexistent/peershake", os.path.join(self.dir, "work"))

    def target(self, run, **top):
        t = configured.ConfiguredBtc(node_cfg(run, **top), self.ctx)
        self.addCleanup(t.teardown)
        return t

    def base_node(self, **more):
        node = {"cmd": ["{python}", self.script, "--argv-file", self.argv, "{args}"],
                "port": {"output": r"^listening on (\d+)"}, "start_timeout_s": 10}
        node.update(more)
        return node

    def argvs(self):
        with open(self.argv, encoding="utf-8") as f:
            return [line.split() for line in f]

    @staticmethod
    def accepts(port):
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True
        except OSError:
            return False

    def test_shared_node_from_its_output(self):
        t = self.target({"node": self.base_node(args=["--net", "{network}"], ready={"accept": True}),
                         "version": {"cmd": ["{python}", "-c", "print('fake 1.2')"], "format": "Fake ({out})"},
                         "initiator": {}})
        t.setup()
        self.assertEqual((t.status, t.version), ("ok", "Fake (fake 1.2)"))
        with t.responder(case(STD)) as (host, port):
            self.assertEqual(host, "127.0.0.1")
            self.assertTrue(self.accepts(port))
        self.assertEqual(self.argvs()[0][-2:], ["--net", "regtest"])
        proc = t.shared.proc
        t.teardown()
        self.assertIsNotNone(proc.poll())   # stopped by its PID
        self.assertEqual(t.conn_types(), ())
        self.assertIn("opens  connections only", t.supports(case(STD, role="initiator", cid="CF-V1-900")))

    def test_fresh_node_per_case_and_a_dialling_node(self):
        run = {"node": self.base_node(),
               "responder": {"node": {"args": ["--ready-file", "{dir}/port", "--case", "{case}"],
                                      "port": {"file": "{dir}/port", "regex": r"^(\d+)"}}},
               "initiator": {"outbound-full-relay": {"node": {"args": ["--dial", "{peer}", "--v2", "{v2}"]}}},
               "self": "initiator"}
        t = self.target(run)
        t.setup()
        self.assertIsNone(t.shared)   # nothing needs one
        c = case(STD, cid="CF-V1-901")
        with t.responder(c) as (_, port):
            self.assertTrue(self.accepts(port))
            node_out = t._outputs[c.id]
        self.assertFalse(self.accepts(port))   # the case's node is gone
        self.assertIn("--case CF-V1-901", " ".join(self.argvs()[0]))
        self.assertTrue(os.path.exists(node_out))
        # as initiator: a fresh node dials our listener
        lst = socket.socket()
        lst.bind(("127.0.0.1", 0))
        lst.listen(1)
        self.addCleanup(lst.close)
        ic = case(STD, role="initiator", cid="CF-V1-902")
        with t.initiator(lst.getsockname()[1], ic) as h:
            lst.settimeout(10)
            lst.accept()[0].close()
            self.assertTrue(h.alive())
        self.assertFalse(h.alive())
        self.assertEqual(self.argvs()[1][-4:], ["--dial", f"127.0.0.1:{lst.getsockname()[1]}", "--v2", "false"])
        # the self case: the fresh node's own port is the relay's upstream
        relay = FakeRelay()
        relay.address = lst.getsockname()
        sc = {c.id: c for c in catalogue.load_cases()}["CF-V1-068"]
        self.assertIsNone(t.self_dial_reason())
        h = t.self_initiator(relay, sc)
        try:
            lst.accept()[0].close()
            self.assertTrue(self.accepts(relay.upstream[1]))
        finally:
            h.stop()

    def test_start_and_stop_scripts(self):
        """A node whose start command returns once it runs (bcoin/start),
        its port in a file, stopped by its stop command."""
        start = self.path("start", textwrap.dedent(f"""\
            #!/bin/sh
            mkdir -p "$1"
            {sys.executable} {self.script} --argv-file {self.argv} --ready-file "$1/port.tmp" \\
                >"$1/log" 2>&1 </dev/null &
            echo $! >"$1/pid"
            while [ ! -s "$1/port.tmp" ]; do sleep 0.05; done
            echo "PORT='$(cat "$1/port.tmp")'" >"$1/ports"
            """))
        stop = self.path("stop", '#!/bin/sh\nkill "$(cat "$1/pid")"\necho stopped >"$1/stopped"\n')
        os.chmod(start, 0o755)
        os.chmod(stop, 0o755)
        t = self.target({"node": {"start": [start, "{dir}"], "stop": [stop, "{dir}"],
                                  "port": {"file": "{dir}/ports", "regex": r"^PORT='(\d+)'"},
                                  "log": "{dir}/log"}})
        t.setup()
        d = t.shared.names["dir"]
        self.assertTrue(self.accepts(t.shared.port))
        self.assertEqual(t.shared.log, os.path.join(d, "log"))
        t.teardown()
        self.assertTrue(os.path.exists(os.path.join(d, "stopped")))

    def test_a_node_that_exits_does_not_start(self):
        t = self.target({"node": self.base_node(args=["--exit"], port={"output": r"^never (\d+)"})})
        with self.assertRaises(RuntimeError) as e:
            t.setup()
        self.assertIn("no port in", str(e.exception))
        self.assertIn("listening on", str(e.exception))   # its output's tail
        t2 = self.target({"node": self.base_node(ready={"line": "^ready$"}, start_timeout_s=1)})
        with self.assertRaises(RuntimeError) as e:
            t2.setup()
        self.assertIn("no line matching '^ready$'", str(e.exception))

    def test_missing_requirements(self):
        env = dict(os.environ)
        try:
            os.environ["FAKE_NODE_BIN"] = ""
            os.environ["PATH"] = "/nonexistent"
            t = self.target({"node": self.base_node(),
                             "requires": [{"exe": "fake-node", "env": "FAKE_NODE_BIN", "missing": "no fake node"}]})
            t.setup()
            self.assertEqual((t.status, t.reason), ("missing", "no fake node"))
            os.environ["FAKE_NODE_BIN"] = sys.executable
            t = self.target({"node": dict(self.base_node(), cmd=["{exe}", self.script, "--argv-file", self.argv]),
                             "requires": [{"exe": "fake-node", "env": "FAKE_NODE_BIN"}]})
            t.setup()
            self.assertEqual(t.status, "ok")
            self.assertEqual(t.names["exe"], sys.executable)
        finally:
            os.environ.clear()
            os.environ.update(env)
        t = self.target({"node": self.base_node(),
                         "requires": [{"cmd": ["{python}", "-c", "import no_such_module"], "missing": "no module"}]})
        t.setup()
        self.assertEqual((t.status, t.reason), ("missing", "no module"))

    def test_self_reason(self):
        t = self.target({"node": self.base_node(), "self": {"reason": "one connection a process"}})
        self.assertEqual(t.self_dial_reason(), "one connection a process")
        t = self.target({"node": self.base_node()})
        self.assertEqual(t.self_dial_reason(), 'fake\'s config says nothing of dialling itself (no "self" in its "run" block)')


if __name__ == "__main__":
    unittest.main()
