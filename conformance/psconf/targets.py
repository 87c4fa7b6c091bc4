"""The targets: one config in conformance/targets/NAME.json each, and the
adapter that reaches it.

Bitcoin targets give `responder(case)`, a context manager yielding the
address to connect to (starting a one-shot responder when the target needs
one per connection), and `initiator(port, case)`, which makes the target
connect to our listener and returns a handle with `.stop()` (also a context
manager). Noise targets follow the shim contract of conformance/noise/README.md
(`NoiseShim`) or are peershake itself (`PeershakeNoise`): `launch()` starts
one side, `responder_port()` waits for its port, `verdict()` reads its own
result as a judging.TargetVerdict (`ok` with its handshake hash, count and
last plaintext, or its error token and the message it failed on).
"""

import base64
import contextlib
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import urllib.request

from .judging import TargetVerdict
from .procs import first, free_port, read_jsonl, read_text, started, wait_for

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3"
TARGETS_DIR = os.path.join(HERE, "targets")


class Context:
    """What every target needs from the run: the peershake binary and a
    scratch directory."""

    def __init__(self, peershake, work):
        self.peershake = peershake
        self.work = work


# ------------------------------------------------------ initiator handles

class InitiatorHandle:
    """What `initiator()` returns: `.stop()` ends what the target started
    for the case (idempotent); `with` stops it on the way out."""

    def stop(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


class ProcessHandle(InitiatorHandle):
    """A process that connects out (peershake connect, pyv1peer --connect)."""

    def __init__(self, cmd, out):
        self._cm = started(cmd, out)
        self.proc = self._cm.__enter__()

    def stop(self):
        if self._cm is not None:
            cm, self._cm = self._cm, None
            cm.__exit__(None, None, None)


class NoHandle(InitiatorHandle):
    """Nothing of ours runs for the case: bitcoind opened the connection over
    RPC, and it ends when our listener closes it."""


class CommandHandle(InitiatorHandle):
    """Something started by a script, stopped by another (a bcoin node)."""

    def __init__(self, stop_cmd):
        self._stop_cmd = stop_cmd

    def stop(self):
        if self._stop_cmd is not None:
            cmd, self._stop_cmd = self._stop_cmd, None
            subprocess.run(cmd, capture_output=True)


# ----------------------------------------------------------------- base

class Target:
    def __init__(self, cfg, ctx):
        self.cfg = cfg
        self.name = cfg["name"]
        self.protocol = cfg["protocol"]
        self.roles = cfg.get("roles", [])
        self.ctx = ctx
        self.status = "ok"
        self.reason = ""
        self.version = cfg.get("version", "")
        self._stack = contextlib.ExitStack()

    def setup(self):
        pass

    def teardown(self):
        self._stack.close()

    def missing(self, reason):
        self.status, self.reason = "missing", reason

    def workdir(self):
        d = os.path.join(self.ctx.work, self.name)
        os.makedirs(d, exist_ok=True)
        return d

    def as_json(self):
        return {"name": self.name, "protocol": self.protocol, "version": self.version,
                "roles": self.roles, "status": self.status, "reason": self.reason,
                "divergences": self.cfg.get("divergences", {}),
                "divergent_rules": self.cfg.get("divergent_rules", {})}


def peershake_version(peershake):
    return subprocess.run([peershake, "--version"], capture_output=True, text=True).stdout.strip()


# -------------------------------------------------------------- Bitcoin

class BtcTarget(Target):
    @contextlib.contextmanager
    def responder(self, case):
        raise NotImplementedError
        yield

    def initiator(self, port, case):
        raise NotImplementedError

    def timeout_ms(self):
        return str(self.cfg.get("handshake_timeout_ms", 3000))


class PeershakeBtc(BtcTarget):
    """peershake itself: one listener for every inbound case, one `btc
    connect` per outbound case (requiring NETWORK|WITNESS, as Core's
    outbound connections do)."""

    def setup(self):
        p = self.ctx.peershake
        self.version = peershake_version(p)
        log = os.path.join(self.workdir(), "responder.jsonl")
        proc = self._stack.enter_context(started(
            [p, "btc", "listen", "-n", "regtest", "--json", "--no-progress", "-t", self.timeout_ms(),
             "--linger", "600000", "127.0.0.1:0"], log))
        ev = wait_for(lambda: first(read_jsonl(log), "listening") or proc.poll() is not None, 10)
        if not isinstance(ev, dict):
            raise RuntimeError("peershake responder did not start: " + read_text(log)[-300:])
        self.port = ev["port"]

    @contextlib.contextmanager
    def responder(self, case):
        yield ("127.0.0.1", self.port)

    def initiator(self, port, case):
        log = os.path.join(self.workdir(), f"{case.id}-initiator.jsonl")
        return ProcessHandle(
            [self.ctx.peershake, "btc", "connect", "-n", "regtest", "--json", "--no-progress",
             "-t", self.timeout_ms(), "--linger", "600000", "--require-services", "0x9",
             f"127.0.0.1:{port}"], log)


class PyV1Peer(BtcTarget):
    """conformance/lib/pyv1peer.py on python-bitcoinlib: one connection per process."""

    def setup(self):
        out = subprocess.run([PY, "-c", "import bitcoin; print(bitcoin.__version__)"],
                             capture_output=True, text=True).stdout.strip()
        self.version = f"pyv1peer (python-bitcoinlib {out or '?'})"
        self.script = os.path.join(HERE, "lib", "pyv1peer.py")

    @contextlib.contextmanager
    def responder(self, case):
        d = tempfile.mkdtemp(dir=self.workdir())
        ready = os.path.join(d, "port")
        with started([PY, self.script, "--listen", "127.0.0.1:0", "--network", "regtest",
                      "--timeout-ms", self.timeout_ms(), "--linger-ms", "3000", "--ready-file", ready],
                     os.path.join(d, "out.jsonl")) as proc:
            port = wait_for(lambda: read_text(ready).strip() or proc.poll() is not None, 10)
            if not isinstance(port, str):
                raise RuntimeError("pyv1peer did not start")
            yield ("127.0.0.1", int(port))

    def initiator(self, port, case):
        return ProcessHandle(
            [PY, self.script, "--connect", f"127.0.0.1:{port}", "--network", "regtest",
             "--timeout-ms", "10000", "--linger-ms", "2000"],
            os.path.join(self.workdir(), f"{case.id}-initiator.jsonl"))


class Bcoin(BtcTarget):
    """bcoin 1.0.2 (npm) in regtest: one node for inbound cases; a fresh node
    pinned with --only for each case where bcoin connects out."""

    def setup(self):
        subprocess.run([os.path.join(HERE, "bcoin", "install")], check=True, stdout=subprocess.DEVNULL)
        node = os.path.join(self.workdir(), "node")
        self._start(node, [])
        self._stack.callback(self._stop, node)
        self.port = int(self._ports(node)["BCOIN_PORT"])

    @staticmethod
    def _start(d, extra):
        r = subprocess.run([os.path.join(HERE, "bcoin", "start"), d] + extra, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("bcoin did not start: " + r.stderr[-500:])

    @staticmethod
    def _stop(d):
        subprocess.run([os.path.join(HERE, "bcoin", "stop"), d], capture_output=True)

    @staticmethod
    def _ports(d):
        out = {}
        with open(os.path.join(d, "ports"), encoding="utf-8") as f:
            for line in f:
                if "=" in line:
                    k, v = line.strip().split("=", 1)
                    out[k] = v.strip("'\"")
        return out

    @contextlib.contextmanager
    def responder(self, case):
        yield ("127.0.0.1", self.port)

    def initiator(self, port, case):
        d = os.path.join(self.workdir(), f"node-{case.id}")
        h = CommandHandle([os.path.join(HERE, "bcoin", "stop"), d])
        try:
            self._start(d, ["--only", f"127.0.0.1:{port}"])
        except Exception:
            h.stop()
            raise
        return h


class Bitcoind(BtcTarget):
    """bitcoind in regtest, when BITCOIND names a binary or bitcoind is on
    PATH. As initiator it is asked over RPC to open an outbound-full-relay
    connection (`addconnection ADDR outbound-full-relay false`, regtest
    only): the connection type the catalogue's outbound cases describe
    (services checked, getaddr sent) and v1 whatever -v2transport says.
    Config knobs: "outbound_rpc": "addnode" (a manual connection: no
    services check) and "v2transport": true (Core's default: BIP324 on)."""

    def setup(self):
        exe = os.environ.get("BITCOIND") or shutil.which("bitcoind")
        if not exe or not os.access(exe, os.X_OK):
            self.missing("no bitcoind: set BITCOIND or put bitcoind on PATH (not in Debian's archive)")
            return
        self.version = (subprocess.run([exe, "--version"], capture_output=True, text=True)
                        .stdout.splitlines() or ["?"])[0]
        self.dir = os.path.join(self.workdir(), "data")
        os.makedirs(self.dir, exist_ok=True)
        self.port, self.rpcport = free_port(), free_port()
        # loopback only, no outbound, no port mapping; a short handshake
        # timeout (-peertimeout=3) for the timeout cases
        cmd = [exe, "-regtest", "-datadir=" + self.dir, "-listen=1", "-bind=127.0.0.1",
               f"-port={self.port}", "-rpcbind=127.0.0.1", "-rpcallowip=127.0.0.1",
               f"-rpcport={self.rpcport}", "-server=1", "-connect=0", "-dnsseed=0",
               "-fixedseeds=0", "-natpmp=0", "-listenonion=0", "-discover=0",
               "-peertimeout=3", "-debug=net", "-printtoconsole=0"]
        if not self.cfg.get("v2transport", False):
            cmd.append("-v2transport=0")  # the catalogue's v1 semantics
        proc = self._stack.enter_context(started(cmd, os.devnull, stop_timeout=15))

        def up():
            if proc.poll() is not None:
                return "exited"
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return True
            except OSError:
                return False
        if wait_for(up, 30) is not True:
            raise RuntimeError("bitcoind did not start")

    def rpc(self, method, params):
        with open(os.path.join(self.dir, "regtest", ".cookie"), encoding="utf-8") as f:
            cookie = f.read().strip()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.rpcport}/",
            data=json.dumps({"method": method, "params": params, "id": 1}).encode(),
            headers={"Authorization": "Basic " + base64.b64encode(cookie.encode()).decode()})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    @contextlib.contextmanager
    def responder(self, case):
        yield ("127.0.0.1", self.port)

    def initiator(self, port, case):
        addr = f"127.0.0.1:{port}"
        if self.cfg.get("outbound_rpc", "addconnection") == "addnode":
            self.rpc("addnode", [addr, "onetry"])
        else:
            self.rpc("addconnection", [addr, "outbound-full-relay", False])
        return NoHandle()


# ---------------------------------------------------------------- Noise

class NoiseTarget(Target):
    """One Noise implementation. `launch()` returns a context manager
    yielding the process (stopped on the way out)."""

    def command(self, role, port, opts):
        raise NotImplementedError

    def launch(self, role, port, opts, out, err):
        return started(self.command(role, port, opts), out, err)

    def responder_port(self, out, proc):
        raise NotImplementedError

    def finished(self, out, proc):
        """The responder is done with its one connection."""
        return proc.poll() is not None

    def verdict(self, out, err, returncode):
        raise NotImplementedError


class NoiseShim(NoiseTarget):
    """The shim contract: flags in, `port=N` and `handshake_hash=H` on
    stdout, exit 0 on success, non-zero with `error: TOKEN` on stderr, 89
    for unimplemented."""

    def __init__(self, cfg, ctx):
        super().__init__(cfg, ctx)
        self.cmd = [os.path.join(ROOT, c) if c.startswith(("build/", "conformance/")) else c
                    for c in cfg["shim"]]

    def setup(self):
        if not os.path.exists(self.cmd[-1]) and not shutil.which(self.cmd[0]):
            self.missing(f"shim not built: {self.cmd}")
            return
        v = subprocess.run(self.cmd + ["--version"], capture_output=True, text=True)
        self.version = (v.stdout.strip().splitlines() or ["?"])[0]

    def command(self, role, port, opts):
        return self.cmd + ["--role", role, "--port", str(port)] + list(opts)

    def responder_port(self, out, proc):
        def port():
            m = re.search(r"^port=(\d+)", read_text(out), re.M)
            return int(m.group(1)) if m else (proc.poll() is not None and -1)
        p = wait_for(port, 10)
        return p if p and p > 0 else None

    def verdict(self, out, err, returncode):
        if returncode == 0:
            text = read_text(out)

            def last(key):
                m = re.findall(rf"^{key}=(\S*)$", text, re.M)
                return m[-1] if m else None
            n, d = last("messages"), last("discarded")
            return TargetVerdict("ok", last("handshake_hash"), messages=int(n) if n else None,
                                 transport=last("transport"), discarded=int(d) if d else None)
        if returncode == 89:
            return TargetVerdict("unimplemented")
        # "error: TOKEN[ at=MESSAGE][ : detail]"
        m = re.search(r"^error: ([a-z-]+)(?: at=(\S+))?", read_text(err), re.M)
        if not m:
            return TargetVerdict(f"exit-{returncode}")
        return TargetVerdict(m.group(1), at=m.group(2))


class PeershakeNoise(NoiseTarget):
    """peershake itself: `noise listen --count 1` / `noise connect`, its
    JSON result as its verdict."""

    def setup(self):
        self.version = peershake_version(self.ctx.peershake)

    def command(self, role, port, opts):
        args, i, opts = [], 0, list(opts)
        while i < len(opts):  # the shim flags map one to one, but for the timeout
            if opts[i] == "--timeout-ms":
                args += ["-t", opts[i + 1]]
                i += 2
            else:
                args.append(opts[i])
                i += 1
        p = self.ctx.peershake
        if role == "responder":
            return [p, "noise", "listen", "--json", "--no-progress", "--count", "1"] + args + ["127.0.0.1:0"]
        return [p, "noise", "connect", "--json", "--no-progress"] + args + [f"127.0.0.1:{port}"]

    def responder_port(self, out, proc):
        ev = wait_for(lambda: first(read_jsonl(out), "listening") or proc.poll() is not None, 10)
        return ev["port"] if isinstance(ev, dict) else None

    def finished(self, out, proc):
        # --count counts successful handshakes: after a failed one the
        # listener stays up, and its result event is the end
        return proc.poll() is not None or first(read_jsonl(out), "result") is not None

    def verdict(self, out, err, returncode):
        res = first(read_jsonl(out), "result")
        if res is None:
            if returncode == 2 and "PSK" in read_text(err):
                return TargetVerdict("bad-psk")
            if returncode == 2 and "exceed 65535" in read_text(err):
                return TargetVerdict("too-large")
            return TargetVerdict(f"exit-{returncode}")
        if res["result"] == "SUCCESS":
            return TargetVerdict("ok", res.get("handshake_hash"), messages=res.get("messages"),
                                 transport=res.get("transport"), discarded=res.get("discarded"))
        return TargetVerdict(res.get("reason", "failed"), at=res.get("failed_on"),
                             discarded=res.get("discarded"))


# ------------------------------------------------------------- loading

ADAPTERS = {"peershake-btc": PeershakeBtc, "pyv1peer": PyV1Peer, "bcoin": Bcoin,
            "bitcoind": Bitcoind, "peershake-noise": PeershakeNoise}


def load_configs(directory=TARGETS_DIR):
    cfgs = []
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        with open(path, encoding="utf-8") as f:
            cfgs.append((path, json.load(f)))
    return cfgs


def make_target(cfg, ctx):
    cls = ADAPTERS.get(cfg["name"])
    if cls is None and cfg.get("protocol") == "noise" and "shim" in cfg:
        cls = NoiseShim
    if cls is None:
        raise ValueError(f"no adapter for target {cfg['name']}")
    return cls(cfg, ctx)


def load_targets(names, ctx, directory=TARGETS_DIR):
    out = []
    for path, cfg in load_configs(directory):
        if names and cfg["name"] not in names:
            continue
        try:
            out.append(make_target(cfg, ctx))
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None
    return out
