#!/usr/bin/python3
"""conformance/tools/mutation.py: the catalogue's mutation score (ci/mutation).

usage: mutation.py [--list] [--only REGEX] [--jobs N] [--tester honest|mutant]
                   [--out DIR] [--runner-jobs N] [--keep]

Every mutant of mutants.py (a fixed list: file, exact pattern, replacement)
is applied to a copy of the sources (CMakeLists.txt, ref/, bench/ as they
are in this working tree, never the tree itself), built as a release
peershake (RelWithDebInfo, PS_TESTS=OFF, the `peershake` target only), and
the catalogue runs against it through the peershake targets: B-* mutants
against peershake-btc and peershake-btc-v2 (the v1 listener, and the one
that serves v1 and BIP324 v2 as Core does by default), N-* against
peershake-noise.

The verdict of a mutant, against the unmutated baseline:
  KILLED     some case is judged otherwise than in the baseline: its outcome
             or the message rules it breaks (a crash or a hang shows so, or
             the run exceeds its time: "KILLED (hang)"). An ending the case
             allows either way ("disconnect/kept") or does not judge (Info)
             is not a verdict: a change there alone kills nothing. A difference
             counts only when a second run of those cases shows it again,
             and never on a case the two baseline runs disagree on (flaky).
  SURVIVED   every case as in the baseline.
  NO-BUILD   the mutant does not compile (not in the score).
  SAME-CODE  the compiler made the same .text/.rodata/.data of it as of the
             baseline: equivalent by construction (not in the score).

The tester (the side of peershake that tests): --tester honest (the
default) keeps the tester the unmutated peershake and makes the mutant the
target only (run.py --peershake BASELINE --target-peershake MUTANT).
--tester mutant runs the mutant on both sides (a mutant tester perturbs
the results, and a Noise mutant on both sides agrees with itself): not the
figure.

Prints one line per mutant (ID, file:line, operator, verdict), the kill
rates, and every survivor with its unified diff; writes the same to
OUT/report.txt and the details to OUT/results.json (default out/mutation).
Exit status 0 when it ran (whatever the score), 2 when a mutant's pattern
does not match its file exactly once or the baseline cannot be built or run.
"""

import argparse
import concurrent.futures
import datetime
import difflib
import hashlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CONFORMANCE = os.path.dirname(HERE)
ROOT = os.path.dirname(CONFORMANCE)
PY = "/usr/bin/python3"
RUN_PY = os.path.join(CONFORMANCE, "run.py")
COPY = ("CMakeLists.txt", "ref", "bench")
# The targets a mutant is run as: the v1 listener and the v1-and-v2 one
# (BIP324 detection and v2 are reached only there), the Noise peer.
TARGETS = {"btc": ("peershake-btc", "peershake-btc-v2"), "noise": ("peershake-noise",)}
PROTO_NAME = {"btc": "Bitcoin", "noise": "Noise"}

sys.path.insert(0, HERE)
from mutants import MUTANTS  # noqa: E402


class PatternError(Exception):
    pass


class Mutant:
    def __init__(self, mid, path, op, pattern, repl, what):
        self.id, self.path, self.op, self.pattern, self.repl, self.what = mid, path, op, pattern, repl, what
        self.proto = "btc" if mid.startswith("B-") else "noise"
        self.line = 0
        self.source = None

    def bind(self, root):
        """Find the pattern in root's copy of the file: exactly once."""
        with open(os.path.join(root, self.path), encoding="utf-8") as f:
            text = f.read()
        n = text.count(self.pattern)
        if n != 1:
            raise PatternError(f"{self.id}: pattern found {n} times in {self.path} (want exactly 1):\n"
                               + "".join("    | " + ln + "\n" for ln in self.pattern.splitlines()))
        if self.pattern == self.repl:
            raise PatternError(f"{self.id}: replacement equals the pattern")
        self.source = text
        self.line = text[:text.index(self.pattern)].count("\n") + 1

    def mutated(self):
        return self.source.replace(self.pattern, self.repl, 1)

    def diff(self):
        return "".join(difflib.unified_diff(
            self.source.splitlines(True), self.mutated().splitlines(True),
            fromfile="a/" + self.path, tofile="b/" + self.path, n=2))

    def where(self):
        return f"{self.path}:{self.line}"


def load_mutants(root, only=""):
    ms = [Mutant(*t) for t in MUTANTS]
    ids = [m.id for m in ms]
    dups = {i for i in ids if ids.count(i) > 1}
    if dups:
        raise PatternError(f"duplicate mutant IDs: {sorted(dups)}")
    if only:
        ms = [m for m in ms if re.search(only, m.id) or re.search(only, m.path)]
    errors = []
    for m in ms:
        try:
            m.bind(root)
        except (PatternError, OSError) as e:
            errors.append(str(e))
    if errors:
        raise PatternError("\n".join(errors))
    return ms


# ------------------------------------------------------------ the trees

def tracked(root):
    """The files to copy: tracked under COPY (as they are on disk now)."""
    r = subprocess.run(["git", "-C", root, "ls-files", "-z", "--"] + list(COPY),
                       capture_output=True, text=True)
    if r.returncode == 0 and r.stdout:
        return [p for p in r.stdout.split("\0") if p]
    out = []
    for top in COPY:
        p = os.path.join(root, top)
        if os.path.isfile(p):
            out.append(top)
        for d, _, files in os.walk(p):
            out += [os.path.relpath(os.path.join(d, f), root) for f in files]
    return out


def copy_tree(dst):
    for rel in tracked(ROOT):
        src = os.path.join(ROOT, rel)
        if not os.path.isfile(src):
            continue  # deleted in the working tree
        os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dst, rel))


def configure(tree):
    r = subprocess.run(["cmake", "-S", tree, "-B", os.path.join(tree, "build"), "-G", "Ninja",
                        "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DPS_TESTS=OFF"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"cmake failed in {tree}:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")


def build(tree):
    r = subprocess.run(["ninja", "-C", os.path.join(tree, "build"), "peershake"],
                       capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def fingerprint(binary):
    """What the binary does, without its debug info: the hash of its code and data."""
    h = hashlib.sha256()
    with tempfile.TemporaryDirectory() as d:
        for sec in (".text", ".rodata", ".data"):
            out = os.path.join(d, sec.strip("."))
            r = subprocess.run(["objcopy", "-O", "binary", "-j", sec, binary, out], capture_output=True)
            if r.returncode != 0 or not os.path.exists(out):
                return None
            with open(out, "rb") as f:
                h.update(sec.encode() + b"\0" + f.read())
    return h.hexdigest()


# ---------------------------------------------------------- the catalogue

class Catalogue:
    """How a binary meets the catalogue: the command, the run, its signature."""

    def __init__(self, tester_mode, baseline_bin, runner_jobs):
        self.baseline_bin = baseline_bin
        self.runner_jobs = runner_jobs
        self.mode = tester_mode
        if tester_mode == "mutant":
            self.how = "run.py --peershake MUTANT: the mutant is the target AND the tester"
        else:
            self.how = "run.py --peershake BASELINE --target-peershake MUTANT: an honest tester"

    def command(self, binary, proto, out, cases=""):
        t = ",".join(TARGETS[proto])
        cmd = [PY, RUN_PY, "--out", out, "--targets", t]
        if self.mode == "mutant":
            cmd += ["--peershake", binary]
        else:
            cmd += ["--peershake", self.baseline_bin, "--target-peershake", binary]
        if cases:
            cmd += ["--cases", cases]
        if self.runner_jobs:
            cmd += ["--jobs", str(self.runner_jobs)]
        return cmd

    def run(self, binary, proto, out, timeout, cases=""):
        """(signature, seconds) of one run; signature None when it hung."""
        os.makedirs(out, exist_ok=True)
        index = os.path.join(out, "index.json")
        if os.path.exists(index):
            os.unlink(index)
        t0 = time.monotonic()
        with open(os.path.join(out, "run.log"), "w") as log:
            p = subprocess.Popen(self.command(binary, proto, out, cases), stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                stop_group(p)
                return None, time.monotonic() - t0
        secs = time.monotonic() - t0
        if p.returncode not in (0, 1) or not os.path.exists(index):
            with open(os.path.join(out, "run.log"), encoding="utf-8", errors="replace") as f:
                tail = f.read()[-1500:]
            raise RuntimeError(f"the runner failed (exit {p.returncode}) in {out}:\n{tail}")
        with open(index, encoding="utf-8") as f:
            return signature(json.load(f), TARGETS[proto]), secs


def stop_group(p):
    """Stop the runner we started and everything it started (its own
    session, by its PID)."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            return
        try:
            p.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def signature(index, targets):
    """target/case -> (outcome, ending, the rules broken): what the catalogue says of it."""
    return {f'{r["target"]}/{r["case"]}': (r["outcome"], r["observed"],
                                         tuple(sorted({v["rule"] for v in r["violations"]})))
            for r in index["results"] if r["target"] in targets}


def differs(a, b):
    """Do two signatures give different verdicts (outcome, rules)? The
    ending is shown, not compared: where it matters the outcome says so."""
    if a is None or b is None:
        return a != b
    return (a[0], a[2]) != (b[0], b[2])


def show(sig):
    if sig is None:
        return "not run"
    outcome, ending, rules = sig
    return f"{outcome}, ending {ending or '-'}" + (f", rules {','.join(rules)}" if rules else "")


# ------------------------------------------------------------ the session

class Session:
    def __init__(self, args):
        self.args = args
        self.ws = tempfile.mkdtemp(prefix="peershake-mutation-")
        self.out = os.path.abspath(args.out)
        self.lock = threading.Lock()
        self.results = {}
        self.base = {}
        self.flaky = {}
        self.base_secs = {}

    def say(self, line):
        with self.lock:
            print(line, flush=True)

    # --- the baseline

    def prepare(self, mutants):
        base = os.path.join(self.ws, "base")
        copy_tree(base)
        configure(base)
        rc, log = build(base)
        if rc != 0:
            raise RuntimeError("the unmutated tree does not build:\n" + log[-3000:])
        os.makedirs(os.path.join(self.ws, "bin"))
        self.baseline_bin = os.path.join(self.ws, "bin", "baseline")
        shutil.copy2(os.path.join(base, "build", "peershake"), self.baseline_bin)
        self.baseline_fp = fingerprint(self.baseline_bin)
        self.cat = Catalogue(self.args.tester, self.baseline_bin, self.args.runner_jobs)
        self.say(f"tester: {self.cat.how}")
        for proto in sorted({m.proto for m in mutants}):
            runs = []
            for k in (1, 2):
                sig, secs = self.cat.run(self.baseline_bin, proto, os.path.join(self.ws, f"baseline-{proto}-{k}"),
                                         timeout=1800)
                if sig is None:
                    raise RuntimeError(f"the baseline {proto} run did not finish in 30 minutes")
                runs.append((sig, secs))
            self.base[proto] = runs[0][0]
            self.base_secs[proto] = max(s for _, s in runs)
            self.flaky[proto] = sorted(c for c in runs[0][0] if differs(runs[0][0][c], runs[1][0].get(c)))
            counts = {}
            for o, _, _ in runs[0][0].values():
                counts[o] = counts.get(o, 0) + 1
            self.say(f"baseline {'+'.join(TARGETS[proto])}: {len(runs[0][0])} cases "
                     f"({', '.join(f'{n} {o}' for o, n in sorted(counts.items()))}), "
                     f"{self.base_secs[proto]:.0f} s a run; flaky (ignored): {', '.join(self.flaky[proto]) or 'none'}")
        # one tree per worker, configured and built once: a mutant then
        # recompiles one file and relinks
        self.trees = queue.Queue()
        for k in range(self.args.jobs):
            t = os.path.join(self.ws, f"w{k}")
            copy_tree(t)
            configure(t)
            rc, log = build(t)
            if rc != 0:
                raise RuntimeError(f"worker tree {t} does not build:\n{log[-3000:]}")
            self.trees.put(t)

    # --- one mutant

    def timeout(self, proto):
        return max(600.0, 10 * self.base_secs[proto])

    def one(self, m):
        tree = self.trees.get()
        try:
            return self._one(m, tree)
        finally:
            self.trees.put(tree)

    def _one(self, m, tree):
        t0 = time.monotonic()
        res = {"id": m.id, "file": m.path, "line": m.line, "op": m.op, "what": m.what, "proto": m.proto,
               "diff": m.diff()}
        path = os.path.join(tree, m.path)
        binary = os.path.join(self.ws, "bin", m.id)
        with open(path, "w", encoding="utf-8") as f:
            f.write(m.mutated())
        try:
            rc, log = build(tree)
            if rc == 0:
                shutil.copy2(os.path.join(tree, "build", "peershake"), binary)
        finally:
            with open(path, "w", encoding="utf-8") as f:
                f.write(m.source)  # a newer mtime: the next build recompiles it
        if rc != 0:
            res.update(status="NO-BUILD", detail=log[-1500:])
            return self._done(res, t0)
        if self.baseline_fp and fingerprint(binary) == self.baseline_fp:
            res.update(status="SAME-CODE", detail="identical .text/.rodata/.data")
            os.unlink(binary)
            return self._done(res, t0)
        base, flaky = self.base[m.proto], set(self.flaky[m.proto])
        run_dir = os.path.join(self.ws, "runs", m.id)
        sig, _ = self.cat.run(binary, m.proto, run_dir, self.timeout(m.proto))
        if sig is None:
            res.update(status="KILLED", killers=[], detail="hang: the run exceeded "
                       f"{self.timeout(m.proto):.0f} s")
            return self._done(res, t0, binary)
        diffs = [c for c in base if c not in flaky and differs(sig.get(c), base[c])]
        if not diffs:
            res.update(status="SURVIVED")
            return self._done(res, t0, binary)
        # a difference counts when it shows again
        again, _ = self.cat.run(binary, m.proto, run_dir + "-confirm", self.timeout(m.proto),
                                cases="^(" + "|".join(sorted({re.escape(c.split("/", 1)[1]) for c in diffs})) + ")$")
        if again is None:
            res.update(status="KILLED", killers=diffs, detail="hang on the confirming run")
            return self._done(res, t0, binary)
        killers = [c for c in diffs if differs(again.get(c), base[c])]
        changes = {c: {"baseline": show(base[c]), "mutant": show(sig.get(c)),
                       "again": show(again.get(c))} for c in diffs}
        if killers:
            res.update(status="KILLED", killers=killers, changes=changes)
        else:
            res.update(status="SURVIVED", changes=changes,
                       detail="differences that did not show again: " + ", ".join(diffs))
        return self._done(res, t0, binary)

    def _done(self, res, t0, binary=None):
        res["seconds"] = round(time.monotonic() - t0, 1)
        if binary and not self.args.keep and os.path.exists(binary):
            os.unlink(binary)
        with self.lock:
            self.results[res["id"]] = res
        self.say(line_of(res))
        return res


def line_of(r):
    if r["status"] == "KILLED":
        if r.get("killers"):
            more = len(r["killers"]) - 1
            v = f"KILLED by {r['killers'][0]}" + (f" (+{more})" if more else "")
        else:
            v = "KILLED (hang)"
        if "hang" in r.get("detail", "") and r.get("killers"):
            v += " (hang)"
    else:
        v = r["status"]
    return f"{r['id']:5} {r['file'] + ':' + str(r['line']):26} {r['op']:9} {v:28} {r['what']}"


def rates(results):
    out = {}
    for proto in ("btc", "noise"):
        rs = [r for r in results if r["proto"] == proto]
        if not rs:
            continue
        k = sum(r["status"] == "KILLED" for r in rs)
        s = sum(r["status"] == "SURVIVED" for r in rs)
        out[proto] = {"mutants": len(rs), "killed": k, "survived": s,
                      "no_build": sum(r["status"] == "NO-BUILD" for r in rs),
                      "same_code": sum(r["status"] == "SAME-CODE" for r in rs),
                      "rate": round(100.0 * k / (k + s), 1) if k + s else None}
    return out


def report(sess, mutants, started, secs):
    results = [sess.results[m.id] for m in mutants if m.id in sess.results]
    lines = [f"ci/mutation, {started:%Y-%m-%d %H:%M} UTC, {secs / 60:.1f} min, tester: {sess.cat.how}", ""]
    lines += [line_of(r) for r in results]
    lines.append("")
    rt = rates(results)
    for proto, x in rt.items():
        extra = []
        if x["no_build"]:
            extra.append(f"{x['no_build']} NO-BUILD")
        if x["same_code"]:
            extra.append(f"{x['same_code']} SAME-CODE")
        rate = f"{x['rate']:.1f}%" if x["rate"] is not None else "-"
        lines.append(f"{PROTO_NAME[proto]:8} {x['killed']}/{x['killed'] + x['survived']} killed = {rate}"
                     f" ({x['mutants']} mutants{', ' + ', '.join(extra) if extra else ''};"
                     f" target {'+'.join(TARGETS[proto])})")
    survivors = [r for r in results if r["status"] == "SURVIVED"]
    if survivors:
        lines += ["", f"Survivors ({len(survivors)}):"]
        for r in survivors:
            lines += ["", f"{r['id']} {r['file']}:{r['line']} {r['op']}: {r['what']}"]
            if r.get("detail"):
                lines.append("  (" + r["detail"] + ")")
            lines.append(r["diff"].rstrip("\n"))
    text = "\n".join(lines) + "\n"
    os.makedirs(sess.out, exist_ok=True)
    with open(os.path.join(sess.out, "report.txt"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(sess.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"started": f"{started:%Y-%m-%dT%H:%M:%SZ}", "seconds": round(secs, 1),
                   "tester": sess.cat.mode, "how": sess.cat.how,
                   "baseline": {p: {"cases": len(s), "seconds": round(sess.base_secs[p], 1),
                                    "flaky": sess.flaky[p],
                                    "not_pass": {c: show(v) for c, v in sorted(s.items()) if v[0] != "Pass"}}
                                for p, s in sess.base.items()},
                   "rates": rt, "mutants": results}, f, indent=1)
    return text


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="ci/mutation", description="The catalogue's mutation score.")
    ap.add_argument("--list", action="store_true", help="list the mutants (patterns checked) and exit")
    ap.add_argument("--only", default="", help="regex on mutant IDs or files (B-1, N-, frame.c)")
    ap.add_argument("--jobs", type=int, default=1, help="mutants at a time (default 1)")
    ap.add_argument("--tester", choices=("honest", "mutant"), default="honest",
                    help="the tester side: the unmutated peershake (default), or the mutant too")
    ap.add_argument("--runner-jobs", type=int, default=0, help="run.py's --jobs (default: its own)")
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "mutation"))
    ap.add_argument("--keep", action="store_true", help="keep the work directory and mutant binaries")
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error("--jobs wants a positive number")
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        mutants = load_mutants(ROOT, args.only)
    except PatternError as e:
        print(f"ci/mutation: the mutant list does not fit the sources:\n{e}", file=sys.stderr)
        return 2
    if args.list:
        for m in mutants:
            print(f"{m.id:5} {m.where():26} {m.op:9} {m.what}")
        n = {p: sum(m.proto == p for m in mutants) for p in ("btc", "noise")}
        print(f"\n{n['btc']} Bitcoin mutants, {n['noise']} Noise mutants")
        return 0
    if not mutants:
        print("ci/mutation: --only matches no mutant", file=sys.stderr)
        return 2
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.monotonic()
    sess = Session(args)
    try:
        sess.prepare(mutants)
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for fut in [pool.submit(sess.one, m) for m in mutants]:
                fut.result()
    except RuntimeError as e:
        print(f"ci/mutation: {e}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"ci/mutation: work directory kept: {sess.ws}", file=sys.stderr)
        else:
            shutil.rmtree(sess.ws, ignore_errors=True)
    text = report(sess, mutants, started, time.monotonic() - t0)
    print("\n" + text.split("\n", 1)[1].split("\n\n", 1)[1], end="")
    print(f"\nreport: {os.path.join(sess.out, 'report.txt')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
