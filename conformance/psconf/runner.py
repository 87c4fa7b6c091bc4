"""The runner: every case against every target, one result each, written
to OUT/index.json (format 1) with one log per result under OUT/logs/.

For a Bitcoin case peershake (the tester) connects to the target with the
case's switches, or listens with them while the target connects out; the
tester's JSON Lines are the result's log and what the judge reads. A self
case (the target dials itself) has no tester: the relay of selfrelay.py
stands where our listener would, and its events are the log. For a
Noise case both sides print a verdict; the log holds the target's output
and the tester's JSON Lines.
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from . import address, baseline, catalogue, selfrelay
from .judging import (Observation, Verdict, judge, noise_exchange, observe_btc, observe_noise, observe_self,
                      self_settled, skipped, split_connections, NOISE_PAYLOADS, SELF_CLOSE_MS)
from .procs import Sources, first, read_jsonl, read_text, run_logged, started, stop, wait_for
from .targets import TARGETS_DIR, CaseMissing, Context, load_configs, load_targets, peershake_version

HERE = catalogue.HERE
ROOT = os.path.dirname(HERE)
PROLOGUE = "7065657273686b"
# The tester's deadlines: a Bitcoin case 2 s per handshake, then 400 ms
# kept open so a disconnect after the handshake shows (the network comes
# from the target: btc_base); Noise 2.5 s for us, 2 s for the target (it
# gives up first and says why).
BTC_BASE = ["--json", "--no-progress", "-t", "2000", "--linger", "400"]
NOISE_TESTER_MS = "2500"
NOISE_TARGET_MS = "2000"
# After the judged connection of a case that counts connections (retry=),
# how long a listener waits for one more: Core reconnects over v1 about
# 0.6 s after a v2 attempt closed (protocol-notes.md).
RETRY_GRACE_S = 2.0
# A self case: past the deadline (judging.SELF_CLOSE_MS), how long the
# relay is kept so that an end right at it is recorded (and judged late).
SELF_MARGIN_S = 0.3


def bug_names(args):
    """The --bug switches of a case, without their =VALUE."""
    return [args[i + 1].split("=", 1)[0] for i, a in enumerate(args[:-1]) if a == "--bug"]


def known_bugs(peershake):
    """The switch names `peershake --list-bugs` lists; None if it cannot say."""
    try:
        out = subprocess.run([peershake, "--list-bugs"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    names = {line.split()[0].split("=", 1)[0] for line in out.stdout.splitlines()[1:] if line.strip()}
    return names or None


def tester_missing(case, known):
    """Why the tester cannot run the case (a --bug it does not know), or None."""
    if known is None:
        return None
    missing = [b for b in bug_names(list(case.args)) if b not in known]
    if not missing:
        return None
    return (f"the tester has no --bug {', '.join(missing)} yet (peershake --list-bugs): "
            "the case waits for the switch")


def btc_base(target):
    """The tester's common options against a Bitcoin target: its network
    (regtest, or an address target's --network/--magic) and BTC_BASE."""
    return target.network_args() + BTC_BASE


def source_args(sources, host):
    """--source, a loopback address of the case's own (procs.Sources), when
    the target is on 127.0.0.0/8; none for another address, which the
    tester could not reach from 127.x."""
    return ["--source", sources.next()] if host.startswith("127.") else []


def tester_args(case, listen):
    """The tester's arguments for a case: its switches, and for the v1
    catalogue a v1-only listener (--v2transport 0: the v1 semantics of the
    V1 cases; a v1 frame rewrite is refused by a listener that serves v2 too)."""
    args = list(case.args)
    if listen and "--v2transport" not in args:
        args = ["--v2transport", "0"] + args
    return args


class Runner:
    """peershake is the tester (the side that tests); target_peershake the
    binary the peershake targets start (default: the same one). Two binaries
    let a build under test (ci/mutation's mutants) face an honest tester."""

    def __init__(self, peershake, out, jobs=8, initiator_wait=20.0, target_peershake=None):
        self.out = os.path.abspath(out)
        self.peershake = os.path.abspath(peershake)
        self.jobs = jobs
        self.initiator_wait = float(initiator_wait)
        self.work = tempfile.mkdtemp(prefix="peershake-conformance-")
        self.ctx = Context(os.path.abspath(target_peershake or peershake), self.work)
        self.sources = Sources()
        self.psk = os.path.join(self.work, "psk")
        with open(self.psk, "wb") as f:
            f.write(bytes(range(1, 33)))
        self.empty_psk = os.path.join(self.work, "psk.empty")
        with open(self.empty_psk, "wb"):
            pass
        self.known_bugs = known_bugs(self.peershake)

    def log_path(self, target, case):
        rel = os.path.join("logs", target.slug, f"{case.id}.log")
        os.makedirs(os.path.join(self.out, os.path.dirname(rel)), exist_ok=True)
        return rel

    @staticmethod
    def _header(log, cmd):
        with open(log, "w", encoding="utf-8") as f:
            f.write("$ " + " ".join(cmd) + "\n")

    # --- Bitcoin

    def btc_case(self, target, case, log):
        if case.role == "responder":
            with target.responder(case) as (host, port):
                cmd = [self.peershake, "btc", "connect"] + btc_base(target) + source_args(self.sources, host) + \
                      tester_args(case, False) + [address.hostport(host, port)]
                self._header(log, cmd)
                with started(cmd, log, append=True) as p:
                    wait_for(lambda: first(read_jsonl(log), "result") or p.poll() is not None, 120)
                    sid = self._session(target, case, log, {"role": "responder"})
                    wait_for(lambda: p.poll() is not None, 120)
            obs = observe_btc(read_jsonl(log))
            obs.target_session = sid
            return obs
        # the target initiates: we listen with the case's switches
        judged = case.msgs.retry or 0
        cmd = [self.peershake, "btc", "listen"] + btc_base(target) + tester_args(case, True) + \
            [address.hostport(target.listen_host, 0)]
        self._header(log, cmd)

        def conn(k, event):
            c = split_connections(read_jsonl(log))
            return len(c) > k and first(c[k], event) is not None
        sid = None
        with started(cmd, log, append=True) as lp:
            ev = wait_for(lambda: first(read_jsonl(log), "listening") or lp.poll() is not None, 10)
            if not isinstance(ev, dict):
                return Observation("btc", "no-listener", tester="none")
            with target.initiator(ev["port"], case):
                wait_for(lambda: conn(judged, "result") or lp.poll() is not None, self.initiator_wait)
                if conn(judged, "result"):
                    sid = self._session(target, case, log, {"role": "initiator", "port": ev["port"]}, judged)
                wait_for(lambda: conn(judged, "closed") or lp.poll() is not None, self.initiator_wait)
                if case.msgs.retry is not None:  # one more connection would count
                    wait_for(lambda: len(split_connections(read_jsonl(log))) > judged + 1 or
                             lp.poll() is not None, RETRY_GRACE_S)
                stop(lp)  # ours first: the target's end must not be what we observe
        obs = observe_btc(read_jsonl(log), judged)
        obs.target_session = sid
        return obs

    def self_case(self, target, case, log):
        """Role self: the relay listens, the target is made to dial it as it
        dials our listener in an initiator case, and the relay forwards the
        connection to the target's own listener. We wait for the target's
        outbound version to be passed on, then for the connection to end or
        the deadline to pass; the relay is stopped first (its own end is
        recorded as the relay's), then what the target started."""
        relay = selfrelay.Relay(magic=target.wire_magic(), host=target.listen_host).start()
        handle = None
        try:
            with open(log, "w", encoding="utf-8") as f:
                f.write(f"$ selfrelay {relay.address[0]}:{relay.address[1]} -> {target.name}'s own listener\n")
            handle = target.self_initiator(relay, case)
            wait_for(lambda: self_settled(relay.events(), relay.now_ms())[0] or not handle.alive(),
                     self.initiator_wait)
            wait_for(lambda: self_settled(relay.events(), relay.now_ms())[1] or not handle.alive(),
                     SELF_CLOSE_MS / 1000 + SELF_MARGIN_S)
        finally:
            relay.stop()
            events = relay.events()
            with open(log, "a", encoding="utf-8") as f:
                for e in events:
                    f.write(json.dumps(e, separators=(",", ":")) + "\n")
            if handle is not None:
                handle.stop()
                if handle.log:
                    with open(log, "a", encoding="utf-8") as f:
                        f.write(f"==== {target.name}'s own log ({handle.log})\n{read_text(handle.log)}")
        return observe_self(events)

    @staticmethod
    def _session(target, case, log, where, judged=0):
        """The target's session id for the judged connection, while it is open;
        None unless the tester's result has one (a v2 handshake)."""
        obs = observe_btc(read_jsonl(log), judged)
        if not obs.session_id:
            return None
        where["local"] = obs.local
        try:
            return target.session_id(case, where)
        except Exception as e:  # the comparison fails, naming why
            return f"(not read: {e})"

    # --- Noise

    def noise_case(self, target, case, log):
        d = tempfile.mkdtemp(dir=self.work)
        t_out, t_err = os.path.join(d, "target.out"), os.path.join(d, "target.err")
        p_out = os.path.join(d, "peershake.out")
        psk = self.empty_psk if "empty-psk" in case.target_opts else self.psk
        proto = [o.split("=", 1)[1] for o in case.target_opts if o.startswith("protocol=")]
        ex = noise_exchange(case)
        theirs = ["--psk-file", psk, "--prologue", PROLOGUE, "--timeout-ms", NOISE_TARGET_MS]
        ours = ["--psk-file", self.psk, "--prologue", PROLOGUE, "-t", NOISE_TESTER_MS]
        if proto:
            theirs += ["--protocol", proto[0]]
            ours += ["--protocol", proto[0]]
        # the exchange both sides agree on: our --messages (in the case's
        # switches) goes to the target too
        if ex.messages > 1:
            theirs += ["--messages", str(ex.messages)]
        if ex.cont:
            theirs += ["--continue-on-decrypt-failure"]
        p1 = ["--payload1", ex.payload1, "--transport", ex.transport]
        p2 = ["--payload2", ex.payload2]
        returncode = None
        try:
            if case.role == "responder":
                with target.launch("responder", 0, theirs + p2, t_out, t_err) as tp:
                    port = target.responder_port(t_out, tp)
                    if port:
                        cmd = [self.peershake, "noise", "connect", "--json", "--no-progress"] + ours + p1 + \
                              list(case.args) + [f"127.0.0.1:{port}"]
                        run_logged(cmd, p_out, timeout=60, append=False)
                    wait_for(lambda: target.finished(t_out, tp), 10)
                returncode = tp.returncode
            else:
                cmd = [self.peershake, "noise", "listen", "--json", "--no-progress", "--count", "1"] + \
                      ours + p2 + list(case.args) + ["127.0.0.1:0"]
                with started(cmd, p_out) as lp:
                    ev = wait_for(lambda: first(read_jsonl(p_out), "listening") or lp.poll() is not None, 10)
                    if not isinstance(ev, dict):
                        return Observation("noise", "no-listener", tester="none")
                    with target.launch("initiator", ev["port"], theirs + p1, t_out, t_err) as tp:
                        wait_for(lambda: tp.poll() is not None, 15)
                    returncode = tp.returncode
                    wait_for(lambda: first(read_jsonl(p_out), "result") or lp.poll() is not None, 3)
        finally:
            with open(log, "w", encoding="utf-8") as f:
                for name, path in (("target stdout", t_out), ("target stderr", t_err),
                                   ("peershake", p_out)):
                    f.write(f"==== {name}\n{read_text(path)}")
        tv = target.verdict(t_out, t_err, returncode)
        return observe_noise(tv.token, tv.hash, read_jsonl(p_out), target=tv)

    # --- one result

    def run_one(self, target, case):
        t0 = time.monotonic()
        supports = getattr(target, "supports", None)
        self_reason = getattr(target, "self_dial_reason", None)
        pre = skipped(case, target.status, target.reason, target.roles,
                      target.cfg.get("disabled", {}), target.name,
                      not_run=target.cfg.get("not_run", {}),
                      unsupported=supports(case) if supports else None,
                      tester_missing=tester_missing(case, self.known_bugs),
                      no_self_dial=(self_reason() if self_reason else
                                    f"{target.name} has no way to dial itself") if case.role == "self" else None)
        why = target.case_missing(case) if pre is None else None
        if why:
            pre = Verdict("Missing", why)
        if pre is not None:
            return result(target, case, pre, Observation(case.protocol, ""), 0, "")
        rel = self.log_path(target, case)
        log = os.path.join(self.out, rel)
        try:
            run = self.noise_case if case.protocol != "btc" else \
                self.self_case if case.role == "self" else self.btc_case
            obs = run(target, case, log)
        except CaseMissing as e:  # what the case needs is not there (the user's --initiator-cmd failed)
            return result(target, case, Verdict("Missing", str(e)), Observation(case.protocol, ""),
                          int((time.monotonic() - t0) * 1000), rel)
        except Exception as e:  # a broken case is a Fail with its reason, never a hang
            obs = Observation(case.protocol, f"runner-error: {e}", tester="none")
        target.observe(case, obs)
        v = judge(case, obs, target.cfg)
        return result(target, case, v, obs, int((time.monotonic() - t0) * 1000), rel)

    def run(self, cases, targets):
        started_at = datetime.datetime.now(datetime.timezone.utc)
        t0 = time.monotonic()
        for t in targets:
            try:
                t.setup()
            except Exception as e:
                t.missing(f"could not start: {e}")
        results = {}
        try:
            with concurrent.futures.ThreadPoolExecutor(max_workers=self.jobs) as pool:
                jobs = [((t.name, c.id), pool.submit(self.run_one, t, c))
                        for t in targets for c in cases if c.protocol == t.protocol]
                for key, fut in jobs:
                    results[key] = fut.result()
        finally:
            for t in targets:
                try:
                    t.teardown()
                except Exception as e:
                    print(f"run.py: {t.name}: teardown: {e}", file=sys.stderr)
        index = {
            "format": 1,
            "run": {"started": stamp(started_at),
                    "finished": stamp(datetime.datetime.now(datetime.timezone.utc)),
                    "duration_s": round(time.monotonic() - t0, 1),
                    "peershake": (peershake_version(self.peershake).split() or ["?"])[-1],
                    "host": os.uname().nodename},
            "targets": [t.as_json() for t in targets],
            "cases": [c.as_json() for c in cases],
            "results": [results[(t.name, c.id)] for t in targets for c in cases
                        if (t.name, c.id) in results],
        }
        write_index(self.out, index)
        shutil.rmtree(self.work, ignore_errors=True)
        return index


def write_index(out, index):
    with open(os.path.join(out, "index.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=1)


def stamp(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def result(target, case, verdict: Verdict, obs: Observation, ms, rel):
    """One entry of index.json's results. `expected`/`observed` are the
    endings (as before); `expectation`/`actual` say it all in words (h2spec's
    "Expected:"/"Actual:"); `violations` are the message rules broken."""
    r = {"target": target.name, "case": case.id, "outcome": verdict.outcome,
         "expected": case.expect, "observed": obs.ending, "duration_ms": ms, "log": rel,
         "note": verdict.note, "expectation": verdict.expected or "", "actual": verdict.actual or "",
         "violations": [v.as_json() for v in verdict.violations]}
    if case.conn:
        r["conn"] = case.conn   # the connection type the target opened (Core's ConnectionType)
    if verdict.outcome in ("Missing", "Unimplemented"):
        from .judging import expected_text
        r["expectation"] = expected_text(case)
        r["actual"] = "not run"
    if case.protocol == "noise" and obs.ending:
        r["target_verdict"] = obs.target_verdict
        r["tester_verdict"] = obs.tester
        if obs.target is not None and obs.target.at:
            r["target_at"] = obs.target.at
    return r


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="run.py", description="Run the conformance catalogue against the targets.")
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "conformance"))
    ap.add_argument("--targets", default="", help="comma-separated target names (default: all)")
    ap.add_argument("--targets-dir", default=TARGETS_DIR, metavar="DIR",
                    help="the directory of target configs, NAME.json each (default: conformance/targets)")
    ap.add_argument("--cases", default="", help="regex on case IDs (default: all)")
    ap.add_argument("--role", default="", choices=catalogue.ROLES,
                    help="only the cases of this role (the role of the target under test)")
    ap.add_argument("--quick", action="store_true", help="only the case IDs listed in quick.txt")
    ap.add_argument("--list-cases", action="store_true",
                    help="print the selected cases (ID, protocol, role, arrow: reference) and exit; runs nothing")
    ap.add_argument("--baseline", default=None, metavar="FILE",
                    help="fail (exit 1) when a selected result differs from FILE (a --write-baseline file "
                         "or an earlier index.json) in outcome, ending or broken rules; print the differences")
    ap.add_argument("--write-baseline", default=None, metavar="FILE",
                    help="write this run's results to FILE as a baseline")
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--initiator-wait", default="20", help="seconds to wait for an initiator target")
    ap.add_argument("--peershake", default=os.path.join(ROOT, "build", "release", "peershake"),
                    help="the peershake that tests (and, without --target-peershake, the peershake targets)")
    ap.add_argument("--target-peershake", default=None, metavar="PATH",
                    help="the peershake the peershake-* targets run (default: --peershake)")
    add_address_options(ap)
    return ap.parse_args(argv)


def add_address_options(ap):
    """The options of the targets the user names (psconf/address.py)."""
    ap.add_argument("--target", action="append", default=[], metavar="SPEC",
                    help="a target you run: btc=HOST:PORT (a node at that address, nothing started) or "
                         "noise=SHIM (a program following conformance/noise/README.md's shim contract); "
                         "optional ,config=PATH (a targets/*.json with its divergences) and, btc, "
                         ",transport=v1|v2 (default v1); repeatable; with --target the managed targets run only if "
                         "--targets names them")
    ap.add_argument("--initiator-cmd", default=None, metavar="CMD",
                    help="btc= targets: a shell command that makes the node connect to {host}:{port} "
                         "(our listener), e.g. 'bitcoin-cli -regtest addnode {host}:{port} onetry'; must "
                         "exit 0 within --initiator-wait s (else the case is Missing); without it the "
                         "initiator and self cases are Missing")
    ap.add_argument("--network", default="regtest", metavar="NAME",
                    help="btc= targets: the network the tester speaks (peershake -n: mainnet testnet3 "
                         "testnet4 signet regtest; default regtest)")
    ap.add_argument("--magic", default=None, metavar="HEX",
                    help="btc= targets: another network magic, 8 hex digits (peershake --magic)")


def select(cases, regex="", quick=False, quick_path=catalogue.QUICK_TXT, role=""):
    """The cases the options select: all of them combine (a case must pass each)."""
    if regex:
        cases = [c for c in cases if re.search(regex, c.id)]
    if quick:
        ids = set(catalogue.load_quick(quick_path, cases=None))
        cases = [c for c in cases if c.id in ids]
    if role:
        cases = [c for c in cases if c.role == role]
    return cases


def target_names(text):
    """--targets a,b -> {"a", "b"}; empty: every target."""
    return set(filter(None, text.split(",")))


def unknown_targets(names, directory=TARGETS_DIR):
    """The names no config in `directory` has, sorted, and the names it has."""
    have = sorted(cfg["name"] for _, cfg in load_configs(directory))
    return sorted(set(names) - set(have)), have


def for_protocols(cases, names, directory=TARGETS_DIR):
    """The cases a selected target would run: with --targets, only those of
    the protocols the named targets speak."""
    if not names:
        return cases
    protocols = {cfg.get("protocol") for _, cfg in load_configs(directory) if cfg["name"] in names}
    return [c for c in cases if c.protocol in protocols]


def list_cases(cases, out=sys.stdout):
    """--list-cases: one line a case, ID, protocol, role, arrow: reference."""
    if not cases:
        return
    w = max(len(c.id) for c in cases)
    for c in cases:
        print(f"{c.id:<{w}}  {c.protocol:<5}  {c.role:<9}  {c.arrow}: {c.reference}", file=out)


def selection(args, all_cases, targets=None):
    """What this run selected, for the baseline comparison: with --target
    the targets that ran (the given ones and those --targets names), else
    the --targets names (none: every managed target)."""
    names = target_names(args.targets)
    if args.target and targets is not None:
        names = {t.name for t in targets}
    quick = frozenset(catalogue.load_quick(cases=None)) if args.quick else None
    return baseline.Selection(targets=frozenset(names) if names else None, regex=args.cases, quick=quick,
                              role=args.role, roles={c.id: c.role for c in all_cases})


def check_baseline(index, base, sel):
    """Compare the run with the baseline, record it in the index, print the
    outcome; True when every compared result is the same."""
    cmp = baseline.compare(base, index["results"], sel)
    baseline.annotate(index, base, cmp)
    where = (f"{base.path} (peershake {base.peershake or '?'}, {base.date or 'no date'}; "
             f"compares {', '.join(base.compares)})")
    skipped = (f"; {cmp.not_compared} baseline results not compared: their target or case is not "
               "selected in this run" if cmp.not_compared else "")
    if cmp.drift:
        print(f"run.py: baseline: {len(cmp.drift)} results kept their outcome with another ending or other "
              "broken rules (drift: not a difference, the judge accepts both):")
        print("\n".join(baseline.table(cmp.drift)))
    if cmp.ok:
        print(f"run.py: baseline {where}: {cmp.compared} results compared, none differs{skipped}")
        return True
    print(f"run.py: BASELINE MISMATCH: {len(cmp.differences)} of {cmp.compared} compared results differ "
          f"from the baseline {where}{skipped}", file=sys.stderr)
    print("\n".join(baseline.table(cmp.differences)), file=sys.stderr)
    return False


def select_targets(args, ctx):
    """The targets of the run: the managed ones --targets names (all of
    them without --targets or --target), then every --target, checked (a
    bad one: ValueError)."""
    given = address.address_targets(args.target, ctx, args.initiator_cmd, args.network, args.magic,
                                    float(args.initiator_wait))
    names = set(filter(None, args.targets.split(",")))
    managed = load_targets(names, ctx, args.targets_dir) if names or not given else []
    return managed + given


def main(argv=None):
    args = parse_args(argv)
    try:
        all_cases = catalogue.load_cases()
        catalogue.load_quick(cases=all_cases)
    except (OSError, catalogue.CatalogueError) as e:
        print(f"run.py: {e}", file=sys.stderr)
        return 2
    names = target_names(args.targets)
    try:
        unknown, have = unknown_targets(names, args.targets_dir)
    except (OSError, ValueError, KeyError) as e:
        print(f"run.py: {args.targets_dir}: {e}", file=sys.stderr)
        return 2
    if not have:
        print(f"run.py: {args.targets_dir}: no target configs (NAME.json) there", file=sys.stderr)
        return 2
    if unknown:
        print(f"run.py: no target named {', '.join(unknown)} in {args.targets_dir} "
              f"(there: {', '.join(have) or 'none'})", file=sys.stderr)
        return 2
    try:
        re.compile(args.cases)
    except re.error as e:
        print(f"run.py: --cases {args.cases!r}: {e}", file=sys.stderr)
        return 2
    cases = select(all_cases, args.cases, args.quick, role=args.role)
    if args.list_cases:
        list_cases(for_protocols(cases, names, args.targets_dir))
        return 0
    base = None
    if args.baseline:  # read first: it may be the index.json this run overwrites
        try:
            base = baseline.load(args.baseline)
        except baseline.BaselineError as e:
            print(f"run.py: --baseline {e}", file=sys.stderr)
            return 2
    os.makedirs(args.out, exist_ok=True)
    shutil.rmtree(os.path.join(args.out, "logs"), ignore_errors=True)
    for p in filter(None, (args.peershake, args.target_peershake)):
        if not os.access(p, os.X_OK):
            print(f"run.py: {p}: not an executable peershake", file=sys.stderr)
            return 2
    runner = Runner(args.peershake, args.out, args.jobs, args.initiator_wait, args.target_peershake)
    try:
        targets = select_targets(args, runner.ctx)
    except ValueError as e:
        print(f"run.py: {e}", file=sys.stderr)
        shutil.rmtree(runner.work, ignore_errors=True)
        return 2
    index = runner.run(cases, targets)
    fails = [r for r in index["results"] if r["outcome"] == "Fail"]
    for r in fails:
        print(f"FAIL {r['target']} {r['case']}: {r['note']}\n  Expected: {r['expectation']}\n"
              f"  Actual:   {r['actual']}", file=sys.stderr)
    same = True
    if base is not None:
        same = check_baseline(index, base, selection(args, all_cases, targets))
        write_index(args.out, index)
    if args.write_baseline:
        try:
            n = baseline.write(args.write_baseline, index, base.compares if base else baseline.COMPARED)
        except OSError as e:
            print(f"run.py: --write-baseline {args.write_baseline}: {e.strerror or e}", file=sys.stderr)
            return 2
        print(f"run.py: wrote the baseline {args.write_baseline} ({n} results)")
    return 1 if fails or not same else 0
