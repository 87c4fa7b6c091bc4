"""Baselines for the gate (psconf/baseline.py, run.py --baseline and
--write-baseline) and the selection options (--role, --list-cases,
--targets-dir, --targets checked): written and read back, an index.json
read as a baseline, the comparison (the same, an outcome changed, a result
missing, an extra result, what is not selected), the table printed, and
run.py's main() end to end on a target that starts nothing (bitcoind
without a binary: Missing). No node is started."""

import contextlib
import io
import json
import os
import shutil
import subprocess
import unittest

import canned  # noqa: F401  (puts conformance/ on sys.path)
from psconf import baseline, catalogue, runner, targets
from test_runner import Scratch  # one scratch-directory base for the runner's tests


def res(target, cid, outcome, observed="handshake", rules=(), detail="d"):
    """One index.json result, as runner.result() writes it."""
    return {"target": target, "case": cid, "outcome": outcome, "expected": "handshake", "observed": observed,
            "duration_ms": 12, "log": "", "note": "", "expectation": "", "actual": "",
            "violations": [{"rule": r, "detail": detail} for r in rules]}


INDEX = {
    "format": 1,
    "run": {"started": "2026-12-01T10:00:00Z", "finished": "2026-12-01T10:01:00Z", "duration_s": 60.0,
            "peershake": "0.1.0", "host": "h"},
    "targets": [], "cases": [],
    "results": [
        res("pyv1peer", "CF-V1-004", "Non-strict", "handshake", ["recv", "recv"]),
        res("bcoin", "RS-V1-009", "Non-strict", "handshake", ["early:reject"]),
        res("bcoin", "CF-V1-001", "Pass"),
        res("pyv1peer", "CF-V1-001", "Pass"),
        res("flynn", "CF-NN-001", "Pass", "ok"),
        res("bitcoind", "CF-V1-001", "Missing", ""),
    ],
}


class WriteRead(Scratch):
    def test_round_trip(self):
        p = self.path("b.json")
        self.assertEqual(baseline.write(p, INDEX), 6)
        with open(p, encoding="utf-8") as f:
            text = f.read()
        data = json.loads(text)
        self.assertEqual((data["baseline"], data["peershake"], data["date"], data["compares"]),
                         (1, "0.1.0", "2026-12-01T10:00:00Z", ["outcome"]))
        # sorted by (target, case), one a line, the keys sorted; rules once each
        lines = text.splitlines()
        self.assertEqual(lines[0], '{"baseline": 1, "compares": ["outcome"], "date": "2026-12-01T10:00:00Z", '
                                   '"peershake": "0.1.0",')
        self.assertEqual(lines[1], ' "results": [')
        self.assertEqual(lines[2], '  {"case": "CF-V1-001", "observed": "handshake", "outcome": "Pass", '
                                   '"rules": [], "target": "bcoin"},')
        self.assertEqual(lines[7], '  {"case": "CF-V1-004", "observed": "handshake", "outcome": "Non-strict", '
                                   '"rules": ["recv"], "target": "pyv1peer"}')
        self.assertEqual(lines[-1], " ]}")
        self.assertEqual([(e["target"], e["case"]) for e in data["results"]],
                         [("bcoin", "CF-V1-001"), ("bcoin", "RS-V1-009"), ("bitcoind", "CF-V1-001"),
                          ("flynn", "CF-NN-001"), ("pyv1peer", "CF-V1-001"), ("pyv1peer", "CF-V1-004")])
        b = baseline.load(p)
        self.assertEqual((b.path, b.peershake, b.date, b.compares), (p, "0.1.0", "2026-12-01T10:00:00Z",
                                                                       ("outcome",)))
        self.assertEqual(b.entries[("bitcoind", "CF-V1-001")],
                         {"target": "bitcoind", "case": "CF-V1-001", "outcome": "Missing", "observed": "",
                          "rules": []})
        self.assertEqual(b.entries[("pyv1peer", "CF-V1-004")]["rules"], ["recv"])
        # written twice from the same run: the same bytes
        p2 = self.path("b2.json")
        baseline.write(p2, dict(INDEX, results=list(reversed(INDEX["results"]))))
        with open(p2, encoding="utf-8") as f:
            self.assertEqual(f.read(), text)

    def test_index_json_is_a_baseline(self):
        p = self.path("index.json", json.dumps(INDEX, indent=1))
        w = self.path("b.json")
        baseline.write(w, INDEX)
        a, b = baseline.load(p), baseline.load(w)
        self.assertEqual(a.entries, b.entries)
        self.assertEqual((a.peershake, a.date, a.compares), ("0.1.0", "2026-12-01T10:00:00Z", ("outcome",)))

    def test_strict_opt_in_and_bad_files(self):
        strict = baseline.from_index(INDEX, ("outcome", "observed", "rules"))
        p = self.path("s.json", baseline.dumps(strict))
        self.assertEqual(baseline.load(p).compares, ("outcome", "observed", "rules"))
        bad = {
            "nojson": "{",
            "list": "[]",
            "other": '{"format": 2, "results": []}',
            "nooutcome": '{"baseline": 1, "results": [{"target": "t", "case": "c"}]}',
            "twice": '{"baseline": 1, "results": [{"target": "t", "case": "c", "outcome": "Pass"},'
                     ' {"target": "t", "case": "c", "outcome": "Fail"}]}',
            "compares": '{"baseline": 1, "compares": ["rules"], "results": []}',
            "compares2": '{"baseline": 1, "compares": ["outcome", "note"], "results": []}',
        }
        for name, text in bad.items():
            with self.subTest(name):
                with self.assertRaises(baseline.BaselineError) as e:
                    baseline.load(self.path(name, text))
                self.assertIn(name, str(e.exception))
        with self.assertRaises(baseline.BaselineError) as e:
            baseline.load(self.path("absent-file"))
        self.assertIn("absent-file", str(e.exception))


class Compare(unittest.TestCase):
    def setUp(self):
        self.base = baseline.parse(json.loads(json.dumps(INDEX)), "b.json")
        self.all = baseline.Selection()

    def results(self, **changes):
        """INDEX's results, (target, case) -> a replacement result or None (dropped)."""
        out = []
        for r in INDEX["results"]:
            key = f"{r['target']}/{r['case']}"
            if key in changes:
                if changes[key] is not None:
                    out.append(changes[key])
            else:
                out.append(dict(r))
        return out

    def test_same(self):
        c = baseline.compare(self.base, self.results(), self.all)
        self.assertTrue(c.ok)
        self.assertEqual((c.compared, c.not_compared, c.drift), (6, 0, []))
        # the details and the notes are never compared
        r = res("pyv1peer", "CF-V1-004", "Non-strict", "handshake", ["recv"], detail="other bytes")
        r["note"], r["duration_ms"] = "another note", 999
        self.assertTrue(baseline.compare(self.base, self.results(**{"pyv1peer/CF-V1-004": r}), self.all).ok)

    def test_outcome_changed(self):
        now = res("pyv1peer", "CF-V1-004", "Fail", "handshake", ["recv"])
        c = baseline.compare(self.base, self.results(**{"pyv1peer/CF-V1-004": now}), self.all)
        self.assertFalse(c.ok)
        [d] = c.differences
        self.assertEqual((d.case, d.target, d.before["outcome"], d.after["outcome"]),
                         ("CF-V1-004", "pyv1peer", "Non-strict", "Fail"))

    def test_drift_is_not_a_difference_unless_the_baseline_asks(self):
        """The same outcome with another ending or other rules (bcoin's
        reject after the handshake, not before): drift by default; a
        difference when the baseline compares them."""
        now = {"bcoin/RS-V1-009": res("bcoin", "RS-V1-009", "Non-strict", "handshake", ["unexpected:reject"]),
               "flynn/CF-NN-001": res("flynn", "CF-NN-001", "Pass", "closed")}
        c = baseline.compare(self.base, self.results(**now), self.all)
        self.assertTrue(c.ok)
        self.assertEqual([(d.target, d.case) for d in c.drift], [("bcoin", "RS-V1-009"), ("flynn", "CF-NN-001")])
        strict = baseline.parse(baseline.from_index(INDEX, ("outcome", "rules")), "s.json")
        c = baseline.compare(strict, self.results(**now), self.all)
        self.assertEqual([(d.target, d.case) for d in c.differences], [("bcoin", "RS-V1-009")])
        self.assertEqual([(d.target, d.case) for d in c.drift], [("flynn", "CF-NN-001")])

    def test_result_missing(self):
        c = baseline.compare(self.base, self.results(**{"bcoin/CF-V1-001": None}), self.all)
        [d] = c.differences
        self.assertEqual((d.case, d.target, d.before["outcome"], d.after), ("CF-V1-001", "bcoin", "Pass", None))

    def test_extra_result(self):
        extra = res("bcoin", "CF-V1-002", "Pass")
        c = baseline.compare(self.base, self.results() + [extra], self.all)
        [d] = c.differences
        self.assertEqual((d.case, d.target, d.before, d.after["outcome"]), ("CF-V1-002", "bcoin", None, "Pass"))
        self.assertEqual(c.compared, 7)

    def test_not_selected_is_not_compared(self):
        """A run of pyv1peer alone, of the responder cases, of CF-V1 only or
        of quick.txt: the baseline's other results are counted, never a
        difference."""
        only = [r for r in self.results() if r["target"] == "pyv1peer"]
        c = baseline.compare(self.base, only, baseline.Selection(targets=frozenset({"pyv1peer"})))
        self.assertEqual((c.ok, c.compared, c.not_compared), (True, 2, 4))
        c = baseline.compare(self.base, [r for r in self.results() if r["case"].startswith("CF-V1")],
                             baseline.Selection(regex="^CF-V1"))
        self.assertEqual((c.ok, c.compared, c.not_compared), (True, 4, 2))
        roles = {"CF-V1-001": "responder", "CF-V1-004": "responder", "RS-V1-009": "responder",
                 "CF-NN-001": "initiator"}
        c = baseline.compare(self.base, [r for r in self.results() if r["case"] != "CF-NN-001"],
                             baseline.Selection(role="responder", roles=roles))
        self.assertEqual((c.ok, c.compared, c.not_compared), (True, 5, 1))
        c = baseline.compare(self.base, [r for r in self.results() if r["case"] == "CF-V1-001"],
                             baseline.Selection(quick=frozenset({"CF-V1-001"})))
        self.assertEqual((c.ok, c.compared, c.not_compared), (True, 3, 3))
        # selected but absent from the run: a difference, not a skip
        c = baseline.compare(self.base, [r for r in only if r["case"] != "CF-V1-004"],
                             baseline.Selection(targets=frozenset({"pyv1peer"})))
        self.assertEqual(([(d.target, d.case, d.after) for d in c.differences], c.not_compared),
                         ([("pyv1peer", "CF-V1-004", None)], 4))
        # a case the catalogue no longer has passes a role filter: its absence shows
        c = baseline.compare(self.base, [], baseline.Selection(targets=frozenset({"flynn"}), role="responder",
                                                               roles={}))
        self.assertEqual([(d.target, d.case) for d in c.differences], [("flynn", "CF-NN-001")])

    def test_table(self):
        now = self.results(**{"pyv1peer/CF-V1-004": res("pyv1peer", "CF-V1-004", "Fail", "disconnect",
                                                        ["recv", "pong:early"]),
                              "bcoin/CF-V1-001": None})
        c = baseline.compare(self.base, now + [res("bcoin", "CF-V1-002", "Pass")], self.all)
        # widths by hand: case 9, target 8, before 27 ("Non-strict handshake [recv]"),
        # after 34 ("Fail disconnect [pong:early, recv]"), one space each side
        self.assertEqual(baseline.table(c.differences), [
            "| case      | target   | before" + " " * 21 + " | after" + " " * 29 + " |",
            "|" + "-" * 11 + "|" + "-" * 10 + "|" + "-" * 29 + "|" + "-" * 36 + "|",
            "| CF-V1-001 | bcoin    | Pass handshake" + " " * 13 + " | (no result)" + " " * 23 + " |",
            "| CF-V1-002 | bcoin    | (no result)" + " " * 16 + " | Pass handshake" + " " * 20 + " |",
            "| CF-V1-004 | pyv1peer | Non-strict handshake [recv] | Fail disconnect [pong:early, recv] |",
        ])

    def test_annotate(self):
        now = self.results(**{"pyv1peer/CF-V1-004": res("pyv1peer", "CF-V1-004", "Fail"),
                              "bcoin/CF-V1-001": None})
        index = dict(INDEX, results=now + [res("bcoin", "CF-V1-002", "Pass")])
        c = baseline.compare(self.base, index["results"], self.all)
        baseline.annotate(index, self.base, c)
        by = {(r["target"], r["case"]): r for r in index["results"]}
        self.assertEqual((by[("pyv1peer", "CF-V1-004")]["changed"], by[("pyv1peer", "CF-V1-004")]["baseline"]),
                         (True, {"outcome": "Non-strict", "observed": "handshake", "rules": ["recv"]}))
        self.assertEqual((by[("bcoin", "CF-V1-002")]["changed"], by[("bcoin", "CF-V1-002")]["baseline"]),
                         (True, None))
        self.assertEqual(by[("pyv1peer", "CF-V1-001")]["changed"], False)
        b = index["baseline"]
        self.assertEqual((b["file"], b["peershake"], b["compared"], b["not_compared"], b["differences"], b["drift"]),
                         ("b.json", "0.1.0", 7, 0, 3, 0))
        self.assertEqual([(e["target"], e["case"], e["outcome"]) for e in b["absent"]],
                         [("bcoin", "CF-V1-001", "Pass")])
        json.dumps(index)


class CheckBaseline(unittest.TestCase):
    """runner.check_baseline: the message and the table, on stderr when it fails."""

    def run_check(self, results):
        base = baseline.parse(json.loads(json.dumps(INDEX)), "b.json")
        index = dict(INDEX, results=results)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            ok = runner.check_baseline(index, base, baseline.Selection(targets=frozenset({"pyv1peer", "bcoin"})))
        return ok, out.getvalue(), err.getvalue(), index

    def test_mismatch_prints_the_table(self):
        rs = [r for r in INDEX["results"] if r["target"] in ("pyv1peer", "bcoin")]
        rs = [res("pyv1peer", "CF-V1-004", "Fail", "handshake", ["recv"]) if r["case"] == "CF-V1-004" else r
              for r in rs]
        ok, out, err, index = self.run_check(rs)
        self.assertFalse(ok)
        self.assertEqual(out, "")
        lines = err.splitlines()
        self.assertTrue(lines[0].startswith("run.py: BASELINE MISMATCH: 1 of 4 compared results differ from the "
                                            "baseline b.json (peershake 0.1.0, 2026-12-01T10:00:00Z; compares "
                                            "outcome); 2 baseline results not compared: their target or case is "
                                            "not selected in this run"), lines[0])
        self.assertEqual(lines[1].split(), ["|", "case", "|", "target", "|", "before", "|", "after", "|"])
        self.assertEqual(lines[3].split("|")[1:5], [" CF-V1-004 ", " pyv1peer ", " Non-strict handshake [recv] ",
                                                    " Fail handshake [recv] "])
        self.assertEqual(index["baseline"]["differences"], 1)

    def test_same_says_so(self):
        rs = [r for r in INDEX["results"] if r["target"] in ("pyv1peer", "bcoin")]
        ok, out, err, _ = self.run_check(rs)
        self.assertTrue(ok)
        self.assertEqual(err, "")
        self.assertIn("run.py: baseline b.json", out)
        self.assertIn("4 results compared, none differs; 2 baseline results not compared", out)


class Selection(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cases = catalogue.load_cases()

    def test_role(self):
        for role in catalogue.ROLES:
            with self.subTest(role=role):
                got = runner.select(self.cases, role=role)
                self.assertEqual([c.id for c in got], [c.id for c in self.cases if c.role == role])
                self.assertTrue(got)
        self.assertEqual(runner.parse_args(["--role", "initiator"]).role, "initiator")
        with contextlib.redirect_stderr(io.StringIO()), self.assertRaises(SystemExit) as e:
            runner.parse_args(["--role", "listener"])
        self.assertEqual(e.exception.code, 2)

    def test_options_combine(self):
        quick = set(catalogue.load_quick())
        got = runner.select(self.cases, "^CF-V1", quick=True, role="initiator")
        want = [c.id for c in self.cases if c.id.startswith("CF-V1") and c.id in quick and c.role == "initiator"]
        self.assertEqual([c.id for c in got], want)
        self.assertTrue(want)
        # --targets: the protocols the named targets speak
        noise = runner.for_protocols(self.cases, {"flynn"})
        self.assertEqual({c.protocol for c in noise}, {"noise"})
        both = runner.for_protocols(self.cases, {"flynn", "bcoin"})
        self.assertEqual(len(both), len(self.cases))
        self.assertEqual(runner.for_protocols(self.cases, set()), self.cases)

    def test_selection_for_the_comparison(self):
        a = runner.parse_args(["--targets", "bcoin,pyv1peer", "--cases", "V1-00", "--role", "responder", "--quick"])
        s = runner.selection(a, self.cases)
        self.assertEqual(s.targets, frozenset({"bcoin", "pyv1peer"}))
        self.assertEqual((s.regex, s.role), ("V1-00", "responder"))
        self.assertEqual(s.quick, frozenset(catalogue.load_quick()))
        self.assertEqual(s.roles["CF-V1-060"], "initiator")
        self.assertIsNone(runner.selection(runner.parse_args([]), self.cases).targets)


class CommandLine(Scratch):
    RUN = os.path.join(runner.HERE, "run.py")

    def run_py(self, *args, env=None):
        return subprocess.run(["/usr/bin/python3", self.RUN] + list(args), capture_output=True, text=True,
                              env=env, timeout=60)

    def test_list_cases(self):
        out = os.path.join(self.dir, "never")
        p = self.run_py("--list-cases", "--targets", "pyv1peer", "--role", "initiator", "--cases", "^CF-V1-06",
                        "--out", out, "--peershake", "/nonexistent/peershake")
        self.assertEqual(p.returncode, 0, p.stderr)
        by = {c.id: c for c in catalogue.load_cases()}
        want = [c.id for c in by.values() if c.id.startswith("CF-V1-06") and c.role == "initiator"]
        lines = p.stdout.splitlines()
        self.assertEqual([line.split()[0] for line in lines], want)
        for line in lines:
            cid, proto, role = line.split()[:3]
            c = by[cid]
            self.assertEqual((proto, role), (c.protocol, c.role))
            self.assertTrue(line.endswith(f"{c.arrow}: {c.reference}"), line)
        self.assertFalse(os.path.exists(out))  # nothing ran, nothing written
        p = self.run_py("--list-cases", "--targets", "flynn", "--quick")
        quick = catalogue.load_quick()
        self.assertEqual([line.split()[0] for line in p.stdout.splitlines()],
                         [c.id for c in by.values() if c.id in quick and c.protocol == "noise"])

    def test_unknown_target_and_bad_regex(self):
        p = self.run_py("--list-cases", "--targets", "bcoin,nosuch")
        self.assertEqual(p.returncode, 2)
        self.assertIn("no target named nosuch in", p.stderr)
        self.assertIn("bcoin, bitcoind", p.stderr)
        p = self.run_py("--list-cases", "--cases", "CF-(")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--cases 'CF-('", p.stderr)

    def test_targets_dir(self):
        d = os.path.join(self.dir, "targets")
        os.makedirs(d)
        shutil.copy(os.path.join(targets.TARGETS_DIR, "pyv1peer.json"), d)
        self.assertEqual(runner.unknown_targets({"pyv1peer", "bcoin"}, d), (["bcoin"], ["pyv1peer"]))
        ts = targets.load_targets(set(), targets.Context("/nonexistent/peershake", self.dir), d)
        self.assertEqual([t.name for t in ts], ["pyv1peer"])
        p = self.run_py("--list-cases", "--targets-dir", d, "--targets", "bcoin")
        self.assertEqual(p.returncode, 2)
        self.assertIn(f"no target named bcoin in {d} (there: pyv1peer)", p.stderr)
        p = self.run_py("--list-cases", "--targets-dir", os.path.join(self.dir, "empty"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("empty: no target configs (NAME.json) there", p.stderr)

    def test_bad_baseline_stops_before_anything_runs(self):
        out = os.path.join(self.dir, "out")
        p = self.run_py("--baseline", self.path("bad.json", "[]"), "--out", out,
                        "--peershake", "/nonexistent/peershake")
        self.assertEqual(p.returncode, 2)
        self.assertIn("run.py: --baseline ", p.stderr)
        self.assertIn("bad.json: not a baseline", p.stderr)
        self.assertFalse(os.path.exists(out))

    def test_help_names_the_options(self):
        p = self.run_py("--help")
        for opt in ("--baseline", "--write-baseline", "--role", "--list-cases", "--targets-dir"):
            self.assertIn(opt, p.stdout)


class EndToEnd(Scratch):
    """main() on a target that starts nothing: bitcoind without a binary
    gives Missing results. A baseline written, the same run against it
    (exit 0), then the baseline edited (exit 1, the table), then an index
    as the baseline, and a run that selects less than the baseline has."""

    def setUp(self):
        super().setUp()
        self.peershake = self.path("peershake", "#!/bin/sh\n"
                                                'case "$1" in --version) echo "peershake 9.9.9" ;;\n'
                                                '--list-bugs) echo "SWITCH PROTO ROLE WHAT" ;; esac\n')
        os.chmod(self.peershake, 0o755)
        env = dict(os.environ)
        self.addCleanup(lambda: (os.environ.clear(), os.environ.update(env)))
        os.environ["BITCOIND"] = ""
        os.environ["PATH"] = "/nonexistent"

    def main(self, *args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = runner.main(["--targets", "bitcoind", "--peershake", self.peershake, "--jobs", "2"] + list(args))
        return rc, out.getvalue(), err.getvalue()

    def test_gate(self):
        b, out1 = self.path("base.json"), os.path.join(self.dir, "o1")
        rc, out, err = self.main("--cases", "^CF-V1-00[12]$", "--out", out1, "--write-baseline", b)
        self.assertEqual(rc, 0, err)
        self.assertIn(f"run.py: wrote the baseline {b} (2 results)", out)
        with open(b, encoding="utf-8") as f:
            data = json.load(f)
        self.assertEqual([(e["target"], e["case"], e["outcome"]) for e in data["results"]],
                         [("bitcoind", "CF-V1-001", "Missing"), ("bitcoind", "CF-V1-002", "Missing")])
        self.assertEqual(data["peershake"], "9.9.9")

        rc, out, err = self.main("--cases", "^CF-V1-00[12]$", "--out", os.path.join(self.dir, "o2"), "--baseline", b)
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("2 results compared, none differs", out)
        with open(os.path.join(self.dir, "o2", "index.json"), encoding="utf-8") as f:
            ix = json.load(f)
        self.assertEqual([r["changed"] for r in ix["results"]], [False, False])
        self.assertEqual(ix["baseline"]["differences"], 0)

        # the baseline said Pass for one: the gate fails and says where
        data["results"][1]["outcome"] = "Pass"
        with open(b, "w", encoding="utf-8") as f:
            f.write(baseline.dumps(data))
        o3 = os.path.join(self.dir, "o3")
        rc, out, err = self.main("--cases", "^CF-V1-00[12]$", "--out", o3, "--baseline", b)
        self.assertEqual(rc, 1)
        self.assertIn("BASELINE MISMATCH: 1 of 2 compared results differ", err)
        self.assertIn("| CF-V1-002 | bitcoind | Pass   | Missing |", err)
        with open(os.path.join(o3, "index.json"), encoding="utf-8") as f:
            ix = json.load(f)
        self.assertEqual([(r["case"], r["changed"], (r["baseline"] or {}).get("outcome")) for r in ix["results"]],
                         [("CF-V1-001", False, "Missing"), ("CF-V1-002", True, "Pass")])

        # an earlier index.json as the baseline, this run's own --out: read first
        rc, out, err = self.main("--cases", "^CF-V1-00[12]$", "--out", out1,
                                 "--baseline", os.path.join(out1, "index.json"))
        self.assertEqual((rc, err), (0, ""))

        # fewer cases than the baseline has: the rest is not compared
        rc, out, err = self.main("--cases", "^CF-V1-001$", "--out", os.path.join(self.dir, "o4"), "--baseline", b)
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("1 results compared, none differs; 1 baseline results not compared", out)
        # one case more than it has: a difference
        rc, out, err = self.main("--cases", "^CF-V1-00[123]$", "--out", os.path.join(self.dir, "o5"), "--baseline", b)
        self.assertEqual(rc, 1)
        self.assertIn("| CF-V1-003 | bitcoind | (no result) | Missing |", err)


if __name__ == "__main__":
    unittest.main()
