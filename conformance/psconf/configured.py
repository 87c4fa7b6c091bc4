"""Targets as config files: a Bitcoin target whose config has a "run"
block is reached by ConfiguredBtc, with no Python of its own. The block
says how to start the node, how to know it is ready, how to make it
connect to us, how to ask its version and its session ids, and how to stop
it. conformance/README.md ("Adding a target") documents every key; bcoin,
pyv1peer, pyv2peer and bitcoind are written this way
(conformance/targets/*.json).

    "run": {
      "requires":  [{"exe": "bitcoind", "env": "BITCOIND", "missing": "why"},
                    {"cmd": [ARGV], "missing": "why"}],
      "setup":     [[ARGV], ...],
      "version":   {"cmd": [ARGV], "format": "name ({out})"},
      "vars":      {"NAME": "text" | ["arg", ...]},
      "node":      NODE,
      "responder": "node" | {"node": NODE-OVERRIDE},
      "initiator": {"CONN-TYPE": {"call": [ARGV]} | {"node": NODE-OVERRIDE}, ...},
      "self":      "initiator" | {"reason": "why it cannot dial itself"},
      "session_id": {"log_event": "EVENT", "field": "FIELD"} |
                    {"call": [ARGV], "find": {"KEY": "VALUE"}, "field": "FIELD"}
    }

A NODE is one instance of the implementation, in a directory of its own
({dir}, with two free loopback ports {port} and {rpcport}):

    {"cmd":   [ARGV]          a process that runs until it is stopped
                              (SIGTERM by its PID, then SIGKILL), or
     "start": [ARGV],         a command that returns once the node runs,
     "stop":  [ARGV],         and the command that stops it;
     "args":  [ARGV],         the {args} of this use (an override sets it);
     "port":  "{port}" | {"file": PATH, "regex": RE} | {"output": RE},
                              where it listens: a fixed value, group 1 of
                              RE in a file or in its output;
     "ready": {"accept": true} | {"line": RE[, "file": PATH]},
                              ready once that port accepts a TCP connection,
                              or once a line matching RE appears in its
                              output or the file (default: once the port
                              is known);
     "log":   PATH,           its own log, copied into a self case's log;
     "start_timeout_s": 30, "stop_timeout_s": 5}

"responder": "node" is one node started at setup for every inbound case;
{"node": ...} starts a fresh one per case. An "initiator" entry per
connection type the node can open (catalogue.CONN_TYPES) makes it dial
our listener: a "call" runs a command against the shared node (an RPC),
a "node" starts a fresh node that dials. "self": "initiator" dials the
runner's relay the same way; the relay's upstream is the port of the node
that dialled.

Placeholders, {NAME} in any string ({NAME} alone as a list item whose
value is a list splices that list in; an unknown NAME is refused when the
config loads; regular expressions are not expanded): root, conformance, python, timeout_ms, network; dir, port,
rpcport, args (the node's); peer, peer_host, peer_port (where to dial),
dial (v1|v2|auto), v2 (true|false), conn, case, listen_transport (v1 for
a case that wants a v1-only responder, else auto), connections (the
connections a responder case opens: 1, one more per expected retry);
tester (our address as the node sees it, for session_id); every "exe" of
"requires" and every key of "vars". A "version" "format" has {out}, the
first line the command printed.
"""

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess

from . import catalogue
from .procs import first, free_port, read_jsonl, read_text, started, stop, wait_for
from .targets import HERE, PY, ROOT, BtcTarget, InitiatorHandle, NoHandle

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
RUN_KEYS = {"requires", "setup", "version", "vars", "node", "responder", "initiator", "self", "session_id"}
NODE_KEYS = {"cmd", "start", "stop", "args", "port", "ready", "log", "start_timeout_s", "stop_timeout_s"}
# What every config may use; a node, a case and a session add theirs.
FIXED_NAMES = {"root", "conformance", "python", "timeout_ms", "network"}
NODE_NAMES = {"dir", "port", "rpcport", "args"}
CASE_NAMES = {"peer", "peer_host", "peer_port", "dial", "v2", "conn", "case", "listen_transport", "connections"}
SESSION_NAMES = {"tester"}
STDERR_TAIL = 400
MAX_DEPTH = 8
CALL_TIMEOUT_S = 30


class ConfigError(ValueError):
    """A "run" block the runner cannot use (run.py names the file)."""


def expand(argv, names, depth=0):
    """argv with every {NAME} replaced from `names`: a list value as a whole
    item splices in (its own items expanded in turn: a var may hold
    {rpcport}), a list inside a longer string is refused."""
    if depth > MAX_DEPTH:
        raise ConfigError(f"{argv}: placeholders nested more than {MAX_DEPTH} deep (a var that names itself?)")
    out = []
    for item in argv:
        m = PLACEHOLDER.fullmatch(item)
        if m and isinstance(names.get(m.group(1)), list):
            out += expand([str(x) for x in names[m.group(1)]], names, depth + 1)
            continue
        out.append(expand_text(item, names, depth))
    return out


def expand_text(text, names, depth=0):
    if depth > MAX_DEPTH:
        raise ConfigError(f"'{text}': placeholders nested more than {MAX_DEPTH} deep (a var that names itself?)")

    def one(m):
        v = names.get(m.group(1))
        if v is None:
            raise ConfigError(f"'{text}': no value for {{{m.group(1)}}} here")
        if isinstance(v, list):
            raise ConfigError(f"'{text}': {{{m.group(1)}}} is a list: only a whole item can splice it")
        return expand_text(str(v), names, depth + 1)
    return PLACEHOLDER.sub(one, text)


def merge(base, over):
    """`over` on top of `base`: objects merged key by key, anything else
    replaced (a config's "extends")."""
    if not isinstance(base, dict) or not isinstance(over, dict):
        return over
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(base.get(k), v)
    return out


# Keys whose values are regular expressions, or hold a name of their own
# ({out}), not placeholders.
NOT_EXPANDED = ("regex", "output", "line", "format")


def strings(value):
    """Every string inside a JSON value that is expanded (not NOT_EXPANDED)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in NOT_EXPANDED:
                yield from strings(v)


def tail(text):
    return " ".join(text.split())[-STDERR_TAIL:]


def check_run(run):
    """The "run" block's shape and placeholders, or ConfigError."""
    if not isinstance(run, dict):
        raise ConfigError('"run" is not an object')
    unknown = set(run) - RUN_KEYS
    if unknown:
        raise ConfigError(f'"run": unknown key {", ".join(sorted(unknown))}')
    if not isinstance(run.get("node"), dict):
        raise ConfigError('"run": no "node" (how to start one instance)')
    nodes = [run["node"]]
    resp = run.get("responder", "node")
    if resp != "node":
        if not isinstance(resp, dict) or not isinstance(resp.get("node"), dict):
            raise ConfigError('"run.responder": "node" or {"node": {...}}')
        nodes.append(resp["node"])
    init = run.get("initiator", {})
    if not isinstance(init, dict):
        raise ConfigError('"run.initiator": an object of connection types')
    for conn, entry in init.items():
        if conn not in catalogue.CONN_TYPES:
            raise ConfigError(f'"run.initiator": unknown connection type {conn} '
                              f'({", ".join(catalogue.CONN_TYPES)})')
        if not isinstance(entry, dict) or len(entry) != 1 or not ("call" in entry or "node" in entry):
            raise ConfigError(f'"run.initiator.{conn}": {{"call": [ARGV]}} or {{"node": {{...}}}}')
        if "node" in entry:
            nodes.append(entry["node"])
    for n in nodes:
        bad = set(n) - NODE_KEYS
        if bad:
            raise ConfigError(f'a node: unknown key {", ".join(sorted(bad))}')
    node = run["node"]
    if ("cmd" in node) == ("start" in node):
        raise ConfigError('"run.node": one of "cmd" (a process) or "start" (a command that returns)')
    if "start" in node and "stop" not in node:
        raise ConfigError('"run.node": a "start" command needs its "stop"')
    shared = resp == "node" or any("call" in e for e in init.values())
    if not all("port" in n for n in ([node] if shared else []) + [dict(node, **o) for o in nodes[1:]]):
        raise ConfigError('"run.node": no "port" (where it listens)')
    sess = run.get("session_id")
    if sess is not None and not (isinstance(sess, dict) and "field" in sess and
                                 (("log_event" in sess) != ("call" in sess))):
        raise ConfigError('"run.session_id": {"log_event", "field"} or {"call", "field"[, "find"]}')
    slf = run.get("self")
    if slf is not None and slf != "initiator" and not (isinstance(slf, dict) and "reason" in slf):
        raise ConfigError('"run.self": "initiator" or {"reason": "..."}')
    if slf == "initiator" and catalogue.DEFAULT_CONN not in init:
        raise ConfigError(f'"run.self": "initiator" needs an initiator entry for {catalogue.DEFAULT_CONN}')
    known = FIXED_NAMES | NODE_NAMES | CASE_NAMES | SESSION_NAMES | set(run.get("vars", {})) | \
        {r.get("as", "exe") for r in run.get("requires", []) if "exe" in r}
    for s in strings({k: v for k, v in run.items() if k not in ("requires",)}):
        for name in PLACEHOLDER.findall(s):
            if name not in known:
                raise ConfigError(f"'{s}': unknown placeholder {{{name}}}")


class LazyPort:
    """A free loopback port for {port} or {rpcport}, taken the first time
    the placeholder is expanded (str()), so that a node whose spec names
    neither binds nothing for them; copies of a node's names share it."""

    def __init__(self, take=free_port):
        self._take = take
        self._port = None

    def __str__(self):
        if self._port is None:
            self._port = self._take()
        return str(self._port)

    @property
    def taken(self):
        return self._port is not None


class Node:
    """One running instance: started by `start()`, stopped by `stop()`
    (idempotent), its output in `out`."""

    def __init__(self, spec, names, directory):
        self.spec = spec
        os.makedirs(directory, exist_ok=True)
        self.names = dict(names, dir=directory, port=LazyPort(), rpcport=LazyPort(),
                          args=spec.get("args", []))
        self.names["args"] = expand(self.names["args"], self.names)
        self.out = os.path.join(directory, "node.out")
        self.proc = None
        self._cm = None
        self._stopped = False
        self.port = None
        self.log = expand_text(spec["log"], self.names) if "log" in spec else self.out

    def start(self, what):
        timeout = float(self.spec.get("start_timeout_s", 30))
        if "cmd" in self.spec:
            self._cm = started(expand(self.spec["cmd"], self.names), self.out)
            self.proc = self._cm.__enter__()
        else:
            r = subprocess.run(expand(self.spec["start"], self.names), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=timeout + 30)
            with open(self.out, "w", encoding="utf-8") as f:
                f.write(r.stdout)
            if r.returncode != 0:
                self.stop()
                raise RuntimeError(f"{what} did not start (exit {r.returncode}): {tail(r.stdout)}")
        try:
            self._wait_ready(what, timeout)
        except Exception:
            self.stop()
            raise
        return self

    def _exited(self):
        return self.proc is not None and self.proc.poll() is not None

    def _wait_ready(self, what, timeout):
        spec = self.spec.get("port")
        if isinstance(spec, dict):
            path = expand_text(spec["file"], self.names) if "file" in spec else self.out
            rx = re.compile(spec.get("regex") or spec.get("output"), re.M)

            def port():
                m = rx.search(read_text(path))
                return int(m.group(1)) if m else (self._exited() and -1)
            p = wait_for(port, timeout)
            if not p or p < 0:
                raise RuntimeError(f"{what}: no port in {path} within {timeout:g} s: {tail(read_text(self.out))}")
            self.port = p
        else:
            self.port = int(expand_text(str(spec), self.names))
        ready = self.spec.get("ready", {})
        if ready.get("accept"):
            def up():
                if self._exited():
                    return "exited"
                try:
                    socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                    return True
                except OSError:
                    return False
            if wait_for(up, timeout, step=0.1) is not True:
                raise RuntimeError(f"{what}: nothing accepts on port {self.port} within {timeout:g} s: "
                                   f"{tail(read_text(self.out))}")
        if "line" in ready:
            path = expand_text(ready["file"], self.names) if "file" in ready else self.out
            rx = re.compile(ready["line"], re.M)
            wait_for(lambda: rx.search(read_text(path)) or self._exited(), timeout)
            if not rx.search(read_text(path)):
                raise RuntimeError(f"{what}: no line matching {ready['line']!r} in {path} within "
                                   f"{timeout:g} s: {tail(read_text(self.out))}")

    def alive(self):
        return not self._stopped and not self._exited()

    def stop(self):
        if self._stopped:
            return
        self._stopped = True
        if "stop" in self.spec:
            subprocess.run(expand(self.spec["stop"], self.names), capture_output=True, timeout=60)
        if self._cm is not None:
            cm, self._cm = self._cm, None
            stop(self.proc, float(self.spec.get("stop_timeout_s", 5)))
            cm.__exit__(None, None, None)


class NodeHandle(InitiatorHandle):
    """A fresh node started for one case (it dials us, or the relay)."""

    def __init__(self, node):
        self.node = node
        self.log = node.log

    def alive(self):
        return self.node.alive()

    def stop(self):
        self.node.stop()


class ConfiguredBtc(BtcTarget):
    """A Bitcoin target driven by its config's "run" block (this module's
    docstring)."""

    def __init__(self, cfg, ctx):
        super().__init__(cfg, ctx)
        self.run = cfg["run"]
        check_run(self.run)
        self.shared = None
        self.names = {}
        self._count = 0

    def conn_types(self):
        return tuple(c for c in catalogue.CONN_TYPES if c in self.run.get("initiator", {}))

    def _names(self, **more):
        return dict(self.names, **more)

    def _dir(self, label):
        self._count += 1
        return os.path.join(self.workdir(), f"{label}-{self._count}")

    def _call(self, argv, names, what):
        """Run a command to completion; its stdout, or RuntimeError with its output."""
        cmd = expand(argv, names)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=CALL_TIMEOUT_S)
        if r.returncode != 0:
            raise RuntimeError(f"{what}: {' '.join(cmd[:4])}... exited {r.returncode}: {tail(r.stderr or r.stdout)}")
        return r.stdout

    def _fixed_names(self):
        """The placeholders every part of the config may use (FIXED_NAMES)."""
        return {"root": ROOT, "conformance": HERE, "python": PY, "timeout_ms": self.timeout_ms(),
                "network": self.network}

    def setup(self):
        self.names = self._fixed_names()
        for req in self.run.get("requires", []):
            if "exe" in req:
                exe = os.environ.get(req["env"], "") if "env" in req else ""
                exe = exe or shutil.which(req["exe"]) or ""
                if not exe or not os.access(exe, os.X_OK):
                    self.missing(req.get("missing", f"no {req['exe']}"))
                    return
                self.names[req.get("as", "exe")] = exe
            else:
                ok = subprocess.run(expand(req["cmd"], self.names), capture_output=True).returncode == 0
                if not ok:
                    self.missing(req.get("missing", f"{req['cmd'][0]} failed"))
                    return
        # expanded where they are used: a var may name a node's {dir} or {rpcport}
        self.names.update(self.run.get("vars", {}))
        for argv in self.run.get("setup", []):
            self._call(argv, self.names, f"{self.name} setup")
        v = self.run.get("version")
        if v:
            out = (self._call(v["cmd"], self.names, f"{self.name} version").strip().splitlines() or ["?"])[0]
            self.version = v.get("format", "{out}").replace("{out}", out)
        if self._needs_shared():
            self.shared = Node(self.run["node"], self.names, os.path.join(self.workdir(), "node"))
            self.shared.start(self.name)
            self._stack.callback(self.shared.stop)

    def _needs_shared(self):
        return self.run.get("responder", "node") == "node" or \
            any("call" in e for e in self.run.get("initiator", {}).values())

    def _fresh(self, override, names, label, what):
        spec = dict(self.run["node"], **override)
        return Node(spec, names, self._dir(label)).start(what)

    def _case_names(self, case, peer_host="127.0.0.1", peer_port=0):
        dial = self.dial(case)
        return self._names(peer=f"{peer_host}:{peer_port}", peer_host=peer_host, peer_port=peer_port, dial=dial,
                           v2="true" if dial != "v1" else "false", conn=case.conn or catalogue.DEFAULT_CONN,
                           case=case.id, listen_transport="v1" if self.wants_v1_listener(case) else "auto",
                           connections=(case.msgs.retry or 0) + 1)

    @contextlib.contextmanager
    def responder(self, case):
        resp = self.run.get("responder", "node")
        if resp == "node":
            yield ("127.0.0.1", self.shared.port)
            return
        node = self._fresh(resp["node"], self._case_names(case), f"{case.id}-responder",
                           f"{self.name} responder")
        self._outputs[case.id] = node.out
        try:
            yield ("127.0.0.1", node.port)
        finally:
            node.stop()

    def _dial(self, entry, case, host, port, label):
        """Make the node dial host:port as `entry` says: (handle, the port of
        the node that dialled)."""
        names = self._case_names(case, host, port)
        if "call" in entry:
            self._call(entry["call"], dict(names, **self.shared.names), f"{self.name} {case.conn or 'dial'}")
            return NoHandle(), self.shared.port
        node = self._fresh(entry["node"], names, f"{case.id}-{label}", f"{self.name} {label}")
        self._outputs[case.id] = node.out
        return NodeHandle(node), node.port

    def initiator(self, port, case):
        entry = self.run["initiator"][case.conn or catalogue.DEFAULT_CONN]
        return self._dial(entry, case, "127.0.0.1", port, "initiator")[0]

    def self_dial_reason(self):
        slf = self.run.get("self")
        if slf == "initiator":
            return None
        if isinstance(slf, dict):
            return slf["reason"]
        return f'{self.name}\'s config says nothing of dialling itself (no "self" in its "run" block)'

    def self_initiator(self, relay, case):
        """As an initiator case, to the relay; the relay's upstream is the
        listening port of the node that dialled (the shared node for a
        "call", the fresh one for a "node")."""
        entry = self.run["initiator"][case.conn or catalogue.DEFAULT_CONN]
        if "call" in entry:  # the relay holds the connection until it has an upstream
            relay.set_upstream(("127.0.0.1", self.shared.port))
        handle, own = self._dial(entry, case, relay.address[0], relay.address[1], "self")
        relay.set_upstream(("127.0.0.1", own))
        return handle

    def session_id(self, case, where):
        spec = self.run.get("session_id")
        if spec is None:
            return None
        if "log_event" in spec:
            out = self._outputs.get(case.id, "")
            ev = wait_for(lambda: first(read_jsonl(out), spec["log_event"]), 2.0)
            return (ev or {}).get(spec["field"], "")
        tester = where.get("local") if where["role"] == "responder" else f"127.0.0.1:{where.get('port')}"
        names = dict(self._names(tester=tester), **self.shared.names)
        found = json.loads(self._call(spec["call"], names, f"{self.name} session id") or "null")
        want = {k: expand_text(v, names) for k, v in spec.get("find", {}).items()}
        items = found if isinstance(found, list) else [found]
        hit = next((x for x in items if isinstance(x, dict) and all(x.get(k) == v for k, v in want.items())), {})
        return hit.get(spec["field"], "")

