"""The targets: one config in conformance/targets/NAME.json each, and the
adapter that reaches it.

Bitcoin targets give `responder(case)`, a context manager yielding the
address to connect to (starting a one-shot responder when the target needs
one per connection), and `initiator(port, case)`, which makes the target
connect to our listener and returns a handle with `.stop()` (also a context
manager). For the self cases `self_initiator(relay, case)` makes the target
dial the runner's relay (psconf/selfrelay.py) as `initiator` makes it dial
our listener, and gives the relay the target's own listening address;
`self_dial_reason()` says why an adapter cannot (the case is then Missing). Noise targets follow the shim contract of conformance/noise/README.md
(`NoiseShim`) or are peershake itself (`PeershakeNoise`): `launch()` starts
one side, `responder_port()` waits for its port, `verdict()` reads its own
result as a judging.TargetVerdict (`ok` with its handshake hash, count and
last plaintext, or its error token and the message it failed on).
"""

import contextlib
import glob
import json
import os
import re
import shutil
import subprocess
import threading

from . import catalogue
from .judging import TargetVerdict
from .procs import first, read_jsonl, read_text, started, wait_for

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
    for the case (idempotent); `with` stops it on the way out. `log`: the
    target's own output for the case, when it has one of its own."""

    log = None

    def stop(self):
        pass

    def alive(self):
        """False once what was started for the case has ended by itself."""
        return True

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
        self.log = out

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self._cm is not None:
            cm, self._cm = self._cm, None
            cm.__exit__(None, None, None)


class CaseMissing(Exception):
    """Raised by an adapter's responder(), initiator() or self_initiator()
    when what the case needs is not there (the user's --initiator-cmd
    failed): the result is Missing with this reason, not a Fail."""


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

    @property
    def slug(self):
        """The target's name as a file name (an address target's name has
        ':', '=' and '/' in it): its log and work directories."""
        n = re.sub(r"[^A-Za-z0-9._-]", "_", self.name) or "_"
        return "_" + n if n.startswith(".") else n

    def case_missing(self, case):
        """None, or why the case is Missing here before anything runs."""
        return None

    def observe(self, case, obs):
        """Called with each case's observation once it has run."""

    def missing(self, reason):
        self.status, self.reason = "missing", reason

    def workdir(self):
        d = os.path.join(self.ctx.work, self.slug)
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
    """A Bitcoin target in one configuration. Its config's "transport" says
    what that configuration speaks: "v1" (v1 only: bcoin, pyv1peer, bitcoind
    with -v2transport=0) or "v2" (v1 and BIP324 v2, told apart by the first
    16 bytes, as Core's defaults). A v1 configuration runs a v2 case only
    when the case wants a v1-only target (target:v1); "not_run" in the config
    names whole case families it does not run, each with its reason."""

    # The network the tester speaks with the target (its -n and --magic)
    # and the host our listeners and the self relay listen on: regtest on
    # loopback for every target the runner starts; an address target
    # (psconf/address.py) has the user's.
    network = "regtest"
    magic = None
    listen_host = "127.0.0.1"

    def __init__(self, cfg, ctx):
        super().__init__(cfg, ctx)
        self.transport = cfg.get("transport", "v1")
        self._outputs = {}   # case ID -> the target's own output for it (session ids)
        self._version_lock = threading.Lock()

    def observe(self, case, obs):
        """A target that has no version of its own to report (an address
        target, a config without "version") is named by the user agent and
        protocol version of the first `version` it sends us."""
        v = getattr(obs, "version", None)
        if not v or v.get("user_agent") is None:
            return
        with self._version_lock:
            if not self.version:
                self.version = f"{v['user_agent']} (protocol {v.get('version')})"

    def network_args(self):
        """The tester's network options (-n first: it resets the magic)."""
        return ["-n", self.network] + (["--magic", self.magic] if self.magic else [])

    def wire_magic(self):
        """The 4 bytes that start every v1 message on the target's network."""
        return bytes.fromhex(self.magic or NETWORK_MAGIC[self.network])

    @contextlib.contextmanager
    def responder(self, case):
        raise NotImplementedError
        yield

    def initiator(self, port, case):
        raise NotImplementedError

    def self_dial_reason(self):
        """Role self: None when `self_initiator` can make this target dial
        itself, else why not (the self cases are Missing with it)."""
        return f"the {self.name} adapter has no way to make it dial itself"

    def self_initiator(self, relay, case):
        """Role self: make the target dial relay.address as `initiator`
        makes it dial our listener, and relay.set_upstream() its own
        listening address (the relay holds the connection until then);
        a handle as `initiator`'s."""
        raise NotImplementedError

    def timeout_ms(self):
        return str(self.cfg.get("handshake_timeout_ms", 3000))

    def dial(self, case):
        """How the target dials as initiator: "v1", "v2" or "auto" (v2, then
        one v1 retry when the peer closes before a v2 byte)."""
        if case.dial:
            return case.dial
        return "v2" if case.family == "V2" and self.transport == "v2" else "v1"

    def wants_v1_listener(self, case):
        return case.role == "responder" and case.dial == "v1"

    # The connection types (catalogue.CONN_TYPES) this adapter can make the
    # target open as initiator; the others' cases are Unimplemented.
    CONN_TYPES = (catalogue.DEFAULT_CONN,)

    def conn_types(self):
        return tuple(self.cfg.get("conn_types", self.CONN_TYPES))

    def supports(self, case):
        """None, or why this configuration cannot run the case (Unimplemented)."""
        if case.conn and case.conn not in self.conn_types():
            return (f"{self.name} opens {' and '.join(self.conn_types())} connections only: "
                    f"not a {case.conn} one")
        if case.family == "V2" and self.transport == "v1" and case.dial != "v1":
            return self.cfg.get("v2_reason", f"{self.name} speaks v1 only")
        if self.transport == "v2" and self.wants_v1_listener(case):
            return self.v1_listener_reason()
        return None

    def v1_listener_reason(self):
        """Why a v2 configuration cannot be a v1-only responder (None: it
        can, "v1_listener": true in its config: it is told per case,
        {listen_transport} in a "run" block)."""
        if self.cfg.get("v1_listener"):
            return None
        return self.cfg.get("v1_reason", f"{self.name} cannot be a v1-only responder")

    def session_id(self, case, where):
        """The BIP324 session id the target reports for the case's connection,
        asked while it is open (after the tester's result): a hex string, ""
        when it reports none for it, None when it has no way to say. where:
        {"role", "local" (the tester's address, as the target sees it),
        "port" (the tester's listening port)}."""
        return None


# ref/btc/params.c: each network's message start, as peershake's -n sets it.
NETWORK_MAGIC = {"mainnet": "f9beb4d9", "testnet3": "0b110907", "testnet4": "1c163f28",
                 "signet": "0a03cf40", "regtest": "fabfb5da"}


def v2_flag(dial):
    return {"v1": "0", "v2": "1", "auto": "auto"}[dial]


def jsonl_result(path, peer=None, wait=2.0):
    """The first `result` event of a peershake log (for `peer`, if given),
    waited for up to `wait` seconds."""
    def find():
        for e in read_jsonl(path):
            if e.get("event") == "result" and (peer is None or e.get("peer") == peer):
                return e
        return None
    return wait_for(find, wait)


class PeershakeBtc(BtcTarget):
    """peershake itself: one listener for every inbound case (--v2transport 0
    in a v1 configuration, v1 and v2 in a v2 one), one `btc connect` per
    outbound case (requiring NETWORK|WITNESS, as Core's outbound connections
    do; --v2transport as the case dials)."""

    def setup(self):
        p = self.ctx.peershake
        self.version = peershake_version(p)
        self.log = os.path.join(self.workdir(), "responder.jsonl")
        v2 = [] if self.transport == "v2" else ["--v2transport", "0"]
        proc = self._stack.enter_context(started(
            [p, "btc", "listen", "-n", "regtest", "--json", "--no-progress", "-t", self.timeout_ms(),
             "--linger", "600000"] + v2 + ["127.0.0.1:0"], self.log))
        ev = wait_for(lambda: first(read_jsonl(self.log), "listening") or proc.poll() is not None, 10)
        if not isinstance(ev, dict):
            raise RuntimeError("peershake responder did not start: " + read_text(self.log)[-300:])
        self.port = ev["port"]

    def v1_listener_reason(self):
        return self.cfg.get("v1_reason", "the v1-only peershake is the peershake-btc target")

    @contextlib.contextmanager
    def responder(self, case):
        yield ("127.0.0.1", self.port)

    # outbound-full-relay: Core's services check (--require-services 0x9,
    # NETWORK and WITNESS); manual: none (Core's ExpectServicesFromConn is
    # false for manual connections)
    CONN_TYPES = ("outbound-full-relay", "manual")

    def initiator(self, port, case):
        log = os.path.join(self.workdir(), f"{case.id}-initiator.jsonl")
        self._outputs[case.id] = log
        services = [] if case.conn == "manual" else ["--require-services", "0x9"]
        return ProcessHandle(
            [self.ctx.peershake, "btc", "connect", "-n", "regtest", "--json", "--no-progress",
             "-t", self.timeout_ms(), "--linger", "600000"] + services +
            ["--v2transport", v2_flag(self.dial(case)), f"127.0.0.1:{port}"], log)

    def self_dial_reason(self):
        return None

    def self_initiator(self, relay, case):
        """A listener of its own for the case that also connects out
        (`btc listen --connect`): the one process whose inbound handshake
        checks the nonces of its outbound ones (cmd_btc.c is_local_nonce,
        Core's CheckIncomingNonce); the long-running responder cannot be
        told to dial. Its --connect peer is v1 (as an initiator case's)."""
        log = os.path.join(self.workdir(), f"{case.id}-self.jsonl")
        self._outputs[case.id] = log
        v2 = [] if self.transport == "v2" else ["--v2transport", "0"]
        h = ProcessHandle(
            [self.ctx.peershake, "btc", "listen", "-n", "regtest", "--json", "--no-progress",
             "-t", self.timeout_ms(), "--linger", "600000"] + v2 +
            ["--connect", f"{relay.address[0]}:{relay.address[1]}", "127.0.0.1:0"], log)
        ev = wait_for(lambda: first(read_jsonl(log), "listening") or not h.alive(), 10)
        if not isinstance(ev, dict):
            h.stop()
            raise RuntimeError("peershake btc listen --connect did not start: " + read_text(log)[-300:])
        relay.set_upstream(("127.0.0.1", ev["port"]))
        return h

    def session_id(self, case, where):
        if where["role"] == "responder":
            res = jsonl_result(self.log, peer=where.get("local"))
        else:
            res = jsonl_result(self._outputs.get(case.id, ""))
        return (res or {}).get("session_id", "")


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

# A Bitcoin config with a "run" block is a ConfiguredBtc (psconf/configured.py:
# bcoin, pyv1peer, pyv2peer, bitcoind), a Noise one with a "shim" a NoiseShim
# (flynn, dissononce). Python adapters remain for what a config cannot say:
# peershake itself, the tester's own binary (--target-peershake), whose
# responder log is read per peer; a config names its adapter with "adapter",
# else by its name.
ADAPTERS = {"peershake-btc": PeershakeBtc, "peershake-noise": PeershakeNoise}


def read_target_config(path, depth=0):
    """One config file. "extends": "OTHER.json" (next to it) takes OTHER's
    "run" block with this one's "run" merged on top (configured.merge);
    nothing else is inherited: divergences, transport and the rest are the
    configuration's own."""
    with open(path, encoding="utf-8") as f:
        cfg = json.load(f)
    base = cfg.get("extends")
    if base is not None:
        from .configured import merge
        if depth >= 4 or not isinstance(base, str):
            raise ValueError(f"{path}: \"extends\" is a file name, at most 4 deep")
        parent = read_target_config(os.path.join(os.path.dirname(path), base), depth + 1)
        cfg["run"] = merge(parent.get("run", {}), cfg.get("run", {}))
    return cfg


def load_configs(directory=TARGETS_DIR):
    return [(path, read_target_config(path)) for path in sorted(glob.glob(os.path.join(directory, "*.json")))]


def make_target(cfg, ctx):
    if "run" in cfg and cfg.get("protocol") == "btc":
        from .configured import ConfiguredBtc
        return ConfiguredBtc(cfg, ctx)
    cls = ADAPTERS.get(cfg.get("adapter", cfg["name"]))
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
