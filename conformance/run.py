#!/usr/bin/python3
"""conformance/run.py: run the case catalogue against the targets.

usage: run.py [--out DIR] [--targets a,b,...] [--cases REGEX] [--quick]
              [--jobs N] [--peershake PATH]

Reads conformance/cases.txt (the catalogue) and conformance/targets/*.json
(one config per target: how it is started, its exact version, its expected
divergences from the reference). For every target and every case of the
target's protocol and roles, drives peershake (the reference peer, with the
case's --bug switches) against the target on loopback, observes what the
target did, compares it with the reference behaviour and records an
Autobahn-style outcome: Pass, Non-strict, Fail, Info, Unimplemented, Missing.

Writes OUT/index.json and one log per result under OUT/logs/TARGET/; the
reports (Markdown, JUnit, TAP, HTML) are made from index.json by report.py.
Exit status 0 when no result is Fail.

Nothing waits on a fixed sleep: every wait is for an event (a line in a log,
a process exit, a ready file) with a bounded deadline.
"""
import argparse
import concurrent.futures
import datetime
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3"

OUTCOMES = ("Pass", "Non-strict", "Fail", "Info", "Unimplemented", "Missing")


# ---------------------------------------------------------------- catalogue

class Case:
    """One line of cases.txt:
    ID | protocol | role | arrow | switches | expect | reference | source

    role: the role of the implementation under test (responder, initiator).
    switches: peershake arguments (mostly --bug NAME); words "target:X"
      configure the target instead (target:empty-psk).
    expect: the reference behaviour as the runner observes it; "a/b" means
      either; "info" records what happens without judging it.
    """

    def __init__(self, fields):
        (self.id, self.protocol, self.role, self.arrow, switches, self.expect,
         self.reference, self.source) = fields
        words = switches.split()
        self.args = [w for w in words if not w.startswith("target:")]
        self.target_opts = [w[len("target:"):] for w in words if w.startswith("target:")]
        self.kind = {"CF": "conformance", "RS": "resistance"}.get(self.id[:2], "conformance")

    def as_json(self):
        return {"id": self.id, "protocol": self.protocol, "kind": self.kind, "role": self.role,
                "arrow": self.arrow, "switches": " ".join(self.args + ["target:" + t for t in self.target_opts]),
                "reference": self.reference, "source": self.source, "expect": self.expect}


def load_cases(path):
    cases = []
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("|")]
        if len(fields) != 8:
            sys.exit(f"{path}:{n}: want 8 fields separated by '|', got {len(fields)}")
        c = Case(fields)
        if c.protocol not in ("btc", "noise") or c.role not in ("responder", "initiator"):
            sys.exit(f"{path}:{n}: bad protocol or role")
        cases.append(c)
    ids = [c.id for c in cases]
    if len(ids) != len(set(ids)):
        sys.exit(f"{path}: duplicate case IDs")
    return cases


# ---------------------------------------------------------------- helpers

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, timeout, step=0.02):
    """Poll pred() until true or timeout seconds pass; return its last value."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


def read_jsonl(path):
    out = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass
    except FileNotFoundError:
        pass
    return out


def first(events, name):
    for e in events:
        if e.get("event") == name:
            return e
    return None


def stop(proc, timeout=5):
    """Stop a process we started, by its PID (never by name)."""
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Sources:
    """A distinct loopback source address per case: a target that bans a
    misbehaving peer by IP (bcoin) bans only that case's address."""

    def __init__(self):
        self.n = 0
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            self.n += 1
            k = self.n
        return f"127.{10 + k // 250}.{k % 250 + 1}.{(k * 7) % 250 + 1}"


# ---------------------------------------------------------------- observation

def observe_btc(events, role):
    """What the target did, as seen in peershake's JSON events:
    handshake             the handshake completed and the connection was kept
    handshake+disconnect  completed, then the target ended the connection
    disconnect            the target ended the connection before the
                          handshake completed (whether or not it had sent
                          its version: bcoin sends it first, Core after ours)
    kept                  no handshake by our deadline, the connection kept
    Anything else is the reason peershake reported (e.g. refused)."""
    res = first(events, "result")
    if res is None:
        return "no-result"
    closed = first(events, "closed")
    by_peer = closed is not None and closed.get("by") == "peer"
    if res["result"] == "SUCCESS":
        return "handshake+disconnect" if by_peer else "handshake"
    reason = res.get("reason", "")
    if reason == "closed":
        return "disconnect"
    if reason == "timeout":
        return "kept"
    return reason


def judge(case, observed, target):
    """Outcome of one result: the reference, then the target's recorded
    divergences (like BoGo's ErrorMap / DisabledTests)."""
    div = target.cfg.get("divergences", {}).get(case.id)
    if case.expect == "info":
        return "Info", ""
    if observed in case.expect.split("/"):
        return "Pass", ""
    if div and observed in div.get("observed", "").split("/"):
        return div.get("outcome", "Non-strict"), div.get("reason", "")
    return "Fail", (div or {}).get("reason", "")


# ---------------------------------------------------------------- targets

class Target:
    """A target: its config and how to reach it in each role."""

    def __init__(self, cfg, runner):
        self.cfg = cfg
        self.name = cfg["name"]
        self.protocol = cfg["protocol"]
        self.roles = cfg.get("roles", [])
        self.runner = runner
        self.status = "ok"
        self.reason = ""
        self.version = cfg.get("version", "")

    def setup(self):
        pass

    def teardown(self):
        pass

    def workdir(self):
        d = os.path.join(self.runner.work, self.name)
        os.makedirs(d, exist_ok=True)
        return d


class BtcTarget(Target):
    """Bitcoin targets. responder_addr() gives an address to connect to
    (starting a one-shot responder when the target needs one per
    connection); start_initiator(port) makes the target connect to us."""

    def responder_addr(self, case):
        raise NotImplementedError

    def release_responder(self, handle):
        pass

    def start_initiator(self, port, case):
        raise NotImplementedError


class PeershakeBtc(BtcTarget):
    def setup(self):
        r = self.runner
        self.version = subprocess.run([r.peershake, "--version"], capture_output=True,
                                      text=True).stdout.strip()
        self.log = os.path.join(self.workdir(), "responder.jsonl")
        self.proc = subprocess.Popen(
            [r.peershake, "btc", "listen", "-n", "regtest", "--json", "--no-progress", "-t",
             str(self.cfg.get("handshake_timeout_ms", 3000)), "--linger", "600000",
             "127.0.0.1:0"],
            stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        ev = wait_for(lambda: first(read_jsonl(self.log), "listening"), 10)
        if not ev:
            raise RuntimeError("peershake responder did not start")
        self.port = ev["port"]

    def teardown(self):
        stop(self.proc)

    def responder_addr(self, case):
        return ("127.0.0.1", self.port), None

    def start_initiator(self, port, case):
        log = os.path.join(self.workdir(), f"{case.id}-initiator.jsonl")
        return subprocess.Popen(
            [self.runner.peershake, "btc", "connect", "-n", "regtest", "--json", "--no-progress",
             "-t", str(self.cfg.get("handshake_timeout_ms", 3000)), "--linger", "600000",
             "--require-services", "0x9", f"127.0.0.1:{port}"],
            stdout=open(log, "w"), stderr=subprocess.STDOUT)


class PyV1Peer(BtcTarget):
    """conformance/lib/pyv1peer.py on python-bitcoinlib: one connection per process."""

    def setup(self):
        out = subprocess.run([PY, "-c", "import bitcoin; print(bitcoin.__version__)"],
                             capture_output=True, text=True).stdout.strip()
        self.version = f"pyv1peer (python-bitcoinlib {out or '?'})"
        self.script = os.path.join(HERE, "lib", "pyv1peer.py")
        self.timeout = str(self.cfg.get("handshake_timeout_ms", 3000))

    def responder_addr(self, case):
        d = tempfile.mkdtemp(dir=self.workdir())
        ready = os.path.join(d, "port")
        proc = subprocess.Popen(
            [PY, self.script, "--listen", "127.0.0.1:0", "--network", "regtest", "--timeout-ms",
             self.timeout, "--linger-ms", "3000", "--ready-file", ready],
            stdout=open(os.path.join(d, "out.jsonl"), "w"), stderr=subprocess.STDOUT)
        if not wait_for(lambda: os.path.exists(ready) and open(ready).read().strip(), 10):
            stop(proc)
            raise RuntimeError("pyv1peer did not start")
        return ("127.0.0.1", int(open(ready).read().strip())), proc

    def release_responder(self, handle):
        stop(handle)

    def start_initiator(self, port, case):
        return subprocess.Popen(
            [PY, self.script, "--connect", f"127.0.0.1:{port}", "--network", "regtest",
             "--timeout-ms", "10000", "--linger-ms", "2000"],
            stdout=open(os.path.join(self.workdir(), f"{case.id}-initiator.jsonl"), "w"),
            stderr=subprocess.STDOUT)


class Bcoin(BtcTarget):
    """bcoin 1.0.2 (npm) in regtest: one node for inbound cases; a fresh node
    pinned with --only for each case where bcoin connects out."""

    def setup(self):
        subprocess.run([os.path.join(HERE, "bcoin", "install")], check=True,
                       stdout=subprocess.DEVNULL)
        self.node = os.path.join(self.workdir(), "node")
        self._start(self.node, [])
        self.port = self._ports(self.node)["BCOIN_PORT"]
        self.nodes = [self.node]
        self.lock = threading.Lock()

    def _start(self, d, extra):
        r = subprocess.run([os.path.join(HERE, "bcoin", "start"), d] + extra,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("bcoin did not start: " + r.stderr[-500:])

    def _ports(self, d):
        out = {}
        for line in open(os.path.join(d, "ports")):
            if "=" in line:
                k, v = line.strip().split("=", 1)
                out[k] = v.strip("'\"")
        return out

    def teardown(self):
        for d in self.nodes:
            subprocess.run([os.path.join(HERE, "bcoin", "stop"), d], capture_output=True)

    def responder_addr(self, case):
        return ("127.0.0.1", int(self.port)), None

    def start_initiator(self, port, case):
        d = os.path.join(self.workdir(), f"node-{case.id}")
        self._start(d, ["--only", f"127.0.0.1:{port}"])
        with self.lock:
            self.nodes.append(d)
        return d

    def stop_initiator(self, handle):
        subprocess.run([os.path.join(HERE, "bcoin", "stop"), handle], capture_output=True)


class Bitcoind(BtcTarget):
    """bitcoind in regtest, when BITCOIND names a binary or bitcoind is on PATH."""

    def setup(self):
        exe = os.environ.get("BITCOIND") or shutil.which("bitcoind")
        if not exe or not os.access(exe, os.X_OK):
            self.status = "missing"
            self.reason = "no bitcoind: set BITCOIND or put bitcoind on PATH (not in Debian's archive)"
            return
        self.exe = exe
        self.version = subprocess.run([exe, "--version"], capture_output=True,
                                      text=True).stdout.splitlines()[0]
        self.dir = os.path.join(self.workdir(), "data")
        os.makedirs(self.dir, exist_ok=True)
        self.port, self.rpcport = free_port(), free_port()
        # loopback only, no outbound, no port mapping: see DEVELOPERS notes;
        # v1 semantics for the catalogue (-v2transport=0), a short
        # handshake timeout (-peertimeout=3) for the timeout cases
        self.proc = subprocess.Popen(
            [exe, "-regtest", "-datadir=" + self.dir, "-listen=1", "-bind=127.0.0.1",
             f"-port={self.port}", "-rpcbind=127.0.0.1", "-rpcallowip=127.0.0.1",
             f"-rpcport={self.rpcport}", "-server=1", "-connect=0", "-dnsseed=0",
             "-fixedseeds=0", "-natpmp=0", "-listenonion=0", "-discover=0", "-v2transport=0",
             "-peertimeout=3", "-debug=net", "-printtoconsole=0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def up():
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return True
            except OSError:
                return False
        if not wait_for(up, 30):
            raise RuntimeError("bitcoind did not start")

    def teardown(self):
        if self.status == "ok":
            stop(self.proc, 15)

    def responder_addr(self, case):
        return ("127.0.0.1", self.port), None

    def start_initiator(self, port, case):
        # addnode onetry over JSON-RPC with the cookie
        import base64
        import urllib.request
        cookie = open(os.path.join(self.dir, "regtest", ".cookie")).read().strip()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.rpcport}/",
            data=json.dumps({"method": "addnode", "params": [f"127.0.0.1:{port}", "onetry"],
                             "id": 1}).encode(),
            headers={"Authorization": "Basic " + base64.b64encode(cookie.encode()).decode()})
        urllib.request.urlopen(req, timeout=10).read()
        return None


class NoiseTarget(Target):
    """Noise targets: the shim contract of conformance/noise/README.md (or
    peershake itself). run_responder/run_initiator return (proc, out, err)."""

    def setup(self):
        if self.name == "peershake-noise":
            self.version = subprocess.run([self.runner.peershake, "--version"],
                                          capture_output=True, text=True).stdout.strip()
            return
        self.cmd = [os.path.join(ROOT, c) if c.startswith("build/") or c.startswith("conformance/")
                    else c for c in self.cfg["shim"]]
        if not os.path.exists(self.cmd[-1]) and not shutil.which(self.cmd[0]):
            self.status = "missing"
            self.reason = f"shim not built: {self.cmd}"
            return
        v = subprocess.run(self.cmd + ["--version"], capture_output=True, text=True)
        self.version = (v.stdout.strip().splitlines() or ["?"])[0]

    def launch(self, role, port, args, out, err):
        if self.name == "peershake-noise":
            r = self.runner
            if role == "responder":
                cmd = [r.peershake, "noise", "listen", "--json", "--no-progress", "--count", "1"]
                cmd += self._peershake_args(args) + ["127.0.0.1:0"]
            else:
                cmd = [r.peershake, "noise", "connect", "--json", "--no-progress"]
                cmd += self._peershake_args(args) + [f"127.0.0.1:{port}"]
        else:
            cmd = self.cmd + ["--role", role, "--port", str(port)] + args
        return subprocess.Popen(cmd, stdout=open(out, "w"), stderr=open(err, "w"))

    @staticmethod
    def _peershake_args(args):
        # the shim flags map one to one, but for the timeout
        out, i = [], 0
        while i < len(args):
            if args[i] == "--timeout-ms":
                out += ["-t", args[i + 1]]
                i += 2
            else:
                out.append(args[i])
                i += 1
        return out

    def outcome(self, out, err, proc):
        """ok, or the error token the target reported."""
        if self.name == "peershake-noise":
            res = first(read_jsonl(out), "result")
            if res is None:
                txt = open(err).read()
                if proc.returncode == 2 and "PSK" in txt:
                    return "bad-psk", None
                return f"exit-{proc.returncode}", None
            if res["result"] == "SUCCESS":
                return "ok", res.get("handshake_hash")
            return res.get("reason", "failed"), None
        if proc.returncode == 0:
            h = None
            for line in open(out):
                if line.startswith("handshake_hash="):
                    h = line.strip().split("=", 1)[1]
            return "ok", h
        if proc.returncode == 89:
            return "unimplemented", None
        m = re.search(r"^error: ([a-z-]+)", open(err).read(), re.M)
        return (m.group(1) if m else f"exit-{proc.returncode}"), None


# ---------------------------------------------------------------- the runner

class Runner:
    def __init__(self, args):
        self.args = args
        self.out = os.path.abspath(args.out)
        self.peershake = os.path.abspath(args.peershake)
        self.work = tempfile.mkdtemp(prefix="peershake-conformance-")
        self.sources = Sources()
        self.psk = os.path.join(self.work, "psk")
        with open(self.psk, "wb") as f:
            f.write(bytes(range(1, 33)))
        self.empty_psk = os.path.join(self.work, "psk.empty")
        open(self.empty_psk, "wb").close()

    def log_path(self, target, case):
        rel = os.path.join("logs", target.name, f"{case.id}.log")
        os.makedirs(os.path.join(self.out, os.path.dirname(rel)), exist_ok=True)
        return rel

    # --- Bitcoin

    def btc_case(self, target, case):
        rel = self.log_path(target, case)
        log = os.path.join(self.out, rel)
        base = ["-n", "regtest", "--json", "--no-progress", "-t", "2000", "--linger", "400"]
        if case.role == "responder":
            addr, handle = target.responder_addr(case)
            try:
                cmd = [self.peershake, "btc", "connect"] + base + \
                      ["--source", self.sources.next()] + case.args + [f"{addr[0]}:{addr[1]}"]
                with open(log, "w") as f:
                    f.write("$ " + " ".join(cmd) + "\n")
                    f.flush()
                    subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=120)
            finally:
                target.release_responder(handle)
            return observe_btc(read_jsonl(log), case.role), rel
        # the target initiates: we listen with the case's switches
        cmd = [self.peershake, "btc", "listen"] + base + case.args + ["127.0.0.1:0"]
        with open(log, "w") as f:
            f.write("$ " + " ".join(cmd) + "\n")
        proc = subprocess.Popen(cmd, stdout=open(log, "a"), stderr=subprocess.STDOUT)
        handle = None
        try:
            ev = wait_for(lambda: first(read_jsonl(log), "listening"), 10)
            if not ev:
                return "no-listener", rel
            handle = target.start_initiator(ev["port"], case)
            wait_for(lambda: first(read_jsonl(log), "closed"), float(self.args.initiator_wait))
        finally:
            stop(proc)
            if isinstance(handle, subprocess.Popen):
                stop(handle)
            elif handle is not None and hasattr(target, "stop_initiator"):
                target.stop_initiator(handle)
        return observe_btc(read_jsonl(log), case.role), rel

    # --- Noise

    def noise_case(self, target, case):
        rel = self.log_path(target, case)
        log = os.path.join(self.out, rel)
        d = tempfile.mkdtemp(dir=self.work)
        t_out, t_err = os.path.join(d, "target.out"), os.path.join(d, "target.err")
        p_out = os.path.join(d, "peershake.out")
        psk = self.empty_psk if "empty-psk" in case.target_opts else self.psk
        proto = [o.split("=", 1)[1] for o in case.target_opts if o.startswith("protocol=")]
        common = ["--psk-file", psk, "--prologue", "7065657273686b", "--timeout-ms", "2000"]
        ours = ["--psk-file", self.psk, "--prologue", "7065657273686b", "-t", "2500"]
        if proto:
            common += ["--protocol", proto[0]]
            ours += ["--protocol", proto[0]]
        if case.role == "responder":
            tp = target.launch("responder", 0, common + ["--payload2", "b0b0"], t_out, t_err)
            if target.name == "peershake-noise":
                ev = wait_for(lambda: first(read_jsonl(t_out), "listening") or tp.poll() is not None, 10)
                port = ev["port"] if isinstance(ev, dict) else None
            else:
                def shim_port():
                    m = re.search(r"^port=(\d+)", open(t_out).read(), re.M)
                    return int(m.group(1)) if m else (tp.poll() is not None and -1)
                port = wait_for(shim_port, 10)
                port = port if port and port > 0 else None
            if port:
                cmd = [self.peershake, "noise", "connect", "--json", "--no-progress"] + ours + \
                      ["--payload1", "a1a1", "--transport", "74657374"] + case.args + \
                      [f"127.0.0.1:{port}"]
                subprocess.run(cmd, stdout=open(p_out, "w"), stderr=subprocess.STDOUT, timeout=60)
            if target.name == "peershake-noise":
                wait_for(lambda: first(read_jsonl(t_out), "result") or tp.poll() is not None, 5)
                stop(tp)
            else:
                try:
                    tp.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    stop(tp)
        else:
            cmd = [self.peershake, "noise", "listen", "--json", "--no-progress", "--count", "1"] + \
                  ours + ["--payload2", "b0b0"] + case.args + ["127.0.0.1:0"]
            lp = subprocess.Popen(cmd, stdout=open(p_out, "w"), stderr=subprocess.STDOUT)
            ev = wait_for(lambda: first(read_jsonl(p_out), "listening"), 10)
            tp = target.launch("initiator", ev["port"] if ev else 1,
                               common + ["--payload1", "a1a1", "--transport", "74657374"],
                               t_out, t_err)
            try:
                tp.wait(timeout=15)
            except subprocess.TimeoutExpired:
                stop(tp)
            wait_for(lambda: first(read_jsonl(p_out), "result"), 3)
            stop(lp)
        observed, thash = target.outcome(t_out, t_err, tp)
        if observed == "ok":
            res = first(read_jsonl(p_out), "result") or {}
            if res.get("handshake_hash") != thash:
                observed = "hash-mismatch"
        with open(log, "w") as f:
            for name, path in (("target stdout", t_out), ("target stderr", t_err),
                               ("peershake", p_out)):
                f.write(f"==== {name}\n")
                f.write(open(path, errors="replace").read() if os.path.exists(path) else "")
        return observed, rel

    # --- one result

    def run_one(self, target, case):
        t0 = time.monotonic()
        disabled = target.cfg.get("disabled", {})
        if target.status != "ok":
            return self.result(target, case, "Missing", "", target.reason, 0, "")
        if case.role not in target.roles or case.id in disabled:
            why = disabled.get(case.id, f"{target.name} has no {case.role} role")
            return self.result(target, case, "Unimplemented", "", why, 0, "")
        try:
            if case.protocol == "btc":
                observed, rel = self.btc_case(target, case)
            else:
                observed, rel = self.noise_case(target, case)
        except Exception as e:  # a broken case is a Fail with its reason, never a hang
            observed, rel = f"runner-error: {e}", ""
        if observed == "unimplemented":
            outcome, note = "Unimplemented", "the target exits 89 for this case"
        else:
            outcome, note = judge(case, observed, target)
        return self.result(target, case, outcome, observed, note,
                           int((time.monotonic() - t0) * 1000), rel)

    @staticmethod
    def result(target, case, outcome, observed, note, ms, rel):
        return {"target": target.name, "case": case.id, "outcome": outcome,
                "expected": case.expect, "observed": observed, "duration_ms": ms,
                "log": rel, "note": note}

    def run(self, cases, targets):
        started = datetime.datetime.now(datetime.timezone.utc)
        t0 = time.monotonic()
        for t in targets:
            try:
                t.setup()
            except Exception as e:
                t.status, t.reason = "missing", f"could not start: {e}"
        results = {}
        jobs = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=self.args.jobs) as pool:
            for t in targets:
                for c in cases:
                    if c.protocol != t.protocol:
                        continue
                    jobs.append(((t.name, c.id), pool.submit(self.run_one, t, c)))
            for key, fut in jobs:
                results[key] = fut.result()
        for t in targets:
            try:
                t.teardown()
            except Exception:
                pass
        ordered = [results[(t.name, c.id)] for t in targets for c in cases
                   if (t.name, c.id) in results]
        index = {
            "format": 1,
            "run": {"started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "finished": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "duration_s": round(time.monotonic() - t0, 1),
                    "peershake": subprocess.run([self.peershake, "--version"], capture_output=True,
                                                text=True).stdout.strip().split()[-1],
                    "host": os.uname().nodename},
            "targets": [{"name": t.name, "protocol": t.protocol, "version": t.version,
                         "roles": t.roles, "status": t.status, "reason": t.reason,
                         "divergences": t.cfg.get("divergences", {})} for t in targets],
            "cases": [c.as_json() for c in cases],
            "results": ordered,
        }
        with open(os.path.join(self.out, "index.json"), "w") as f:
            json.dump(index, f, indent=1)
        shutil.rmtree(self.work, ignore_errors=True)
        return index


ADAPTERS = {"peershake-btc": PeershakeBtc, "pyv1peer": PyV1Peer, "bcoin": Bcoin,
            "bitcoind": Bitcoind}


def load_targets(names, runner):
    targets = []
    for path in sorted(glob.glob(os.path.join(HERE, "targets", "*.json"))):
        cfg = json.load(open(path))
        if names and cfg["name"] not in names:
            continue
        cls = ADAPTERS.get(cfg["name"], NoiseTarget if cfg["protocol"] == "noise" else None)
        if cls is None:
            sys.exit(f"{path}: no adapter for target {cfg['name']}")
        targets.append(cls(cfg, runner))
    return targets


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "conformance"))
    ap.add_argument("--targets", default="", help="comma-separated target names (default: all)")
    ap.add_argument("--cases", default="", help="regex on case IDs (default: all)")
    ap.add_argument("--quick", action="store_true", help="the cases marked quick in cases.txt")
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--initiator-wait", default="20", help="seconds to wait for an initiator target")
    ap.add_argument("--peershake", default=os.path.join(ROOT, "build", "release", "peershake"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    shutil.rmtree(os.path.join(args.out, "logs"), ignore_errors=True)
    cases = load_cases(os.path.join(HERE, "cases.txt"))
    if args.cases:
        cases = [c for c in cases if re.search(args.cases, c.id)]
    if args.quick:
        quick = set(open(os.path.join(HERE, "quick.txt")).read().split())
        cases = [c for c in cases if c.id in quick]
    runner = Runner(args)
    names = set(filter(None, args.targets.split(",")))
    index = runner.run(cases, load_targets(names, runner))
    fails = [r for r in index["results"] if r["outcome"] == "Fail"]
    for r in fails:
        print(f"FAIL {r['target']} {r['case']}: expected {r['expected']}, observed {r['observed']}",
              file=sys.stderr)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
