"""report.py on a small index: every result shows what was expected and
what was received (matrix.md, the HTML pages, JUnit, TAP), and the outcome
words are judging's."""

import contextlib
import io
import json
import os
import tempfile
import unittest
import xml.etree.ElementTree as ET

import canned  # noqa: F401  (puts conformance/ on sys.path)
import report
from psconf import judging

CASES = [
    {"id": "CF-V1-030", "protocol": "btc", "kind": "conformance", "role": "responder",
     "arrow": "-> ping before version", "switches": "--bug send=ping@before-version",
     "reference": "ignored", "source": "Core", "expect": "handshake",
     "msgs": "recv=version,features,verack"},
    {"id": "CF-NN-001", "protocol": "noise", "kind": "conformance", "role": "responder",
     "arrow": "-> e; <- e, ee, psk", "switches": "", "reference": "ok", "source": "Noise",
     "expect": "ok", "msgs": "recv=msg2,echo tester=SUCCESS"},
]
FAIL = {"target": "t1", "case": "CF-V1-030", "outcome": "Fail", "expected": "handshake",
        "observed": "handshake", "duration_ms": 5, "log": "logs/t1/CF-V1-030.log",
        "note": "unrecorded: pong:early: pong before the handshake completed",
        "expectation": "ending handshake; recv version, wtxidrelay, sendaddrv2, verack (common version 70016)",
        "actual": "ending handshake; recv version(102) pong(8) wtxidrelay sendaddrv2 verack [our verack]",
        "violations": [{"rule": "pong:early", "detail": "pong before the handshake completed"}]}
PASS = {"target": "t2", "case": "CF-NN-001", "outcome": "Pass", "expected": "ok", "observed": "ok",
        "duration_ms": 7, "log": "", "note": "", "expectation": "ending ok; recv msg2, echo; tester SUCCESS",
        "actual": "ending ok; recv msg2(50) echo(20); tester SUCCESS; target ok", "violations": []}
OLD = {"target": "t1", "case": "CF-NN-001", "outcome": "Non-strict", "expected": "ok",
       "observed": "closed", "duration_ms": 1, "log": "", "note": "an old index"}


class Report(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self._tmp.cleanup)
        self.d = self._tmp.name
        index = {"format": 1, "run": {"started": "2026-01-01T00:00:00Z", "peershake": "0.1.0"},
                 "targets": [{"name": "t1", "protocol": "btc", "version": "1", "roles": ["responder"],
                              "status": "ok", "reason": ""},
                             {"name": "t2", "protocol": "noise", "version": "2", "roles": ["responder"],
                              "status": "ok", "reason": ""}],
                 "cases": CASES, "results": [FAIL, PASS, OLD]}
        with open(os.path.join(self.d, "index.json"), "w") as f:
            json.dump(index, f)
        os.makedirs(os.path.join(self.d, "logs", "t1"))
        with open(os.path.join(self.d, FAIL["log"]), "w") as f:
            f.write('{"event":"recv","command":"pong","length":8}\n')
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertEqual(report.main(["report.py", self.d]), 0)

    def read(self, name):
        with open(os.path.join(self.d, name), encoding="utf-8") as f:
            return f.read()

    def test_outcomes_are_judgings(self):
        self.assertIs(report.OUTCOMES, judging.OUTCOMES)

    def test_matrix_has_expected_and_actual_for_every_result(self):
        md = self.read("matrix.md")
        section = md[md.index("## Expected and actual"):]
        for r in (FAIL, PASS):
            self.assertIn(f"| {r['target']} | {r['case']} | {r['outcome']} | {report.md(r['expectation'])} "
                          f"| {report.md(r['actual'])} |", section)
        self.assertIn("| t1 | CF-NN-001 | Non-strict | ok | closed | - |", section)  # an old index
        self.assertIn("Violations: pong:early: pong before the handshake completed", md)

    def test_case_page(self):
        page = self.read("html/t1/CF-V1-030.html")
        self.assertIn("<th>Expected</th><td>" + report.h(FAIL["expectation"]) + "</td>", page)
        self.assertIn("<th>Actual</th><td>" + report.h(FAIL["actual"]) + "</td>", page)
        self.assertIn("<code>pong:early</code>", page)
        self.assertIn("recv=version,features,verack", page)
        self.assertIn("none", self.read("html/t2/CF-NN-001.html"))

    def test_index_tooltip(self):
        self.assertIn("Expected: " + report.h(FAIL["expectation"]), self.read("html/index.html"))

    def test_junit_and_tap(self):
        root = ET.parse(os.path.join(self.d, "junit.xml")).getroot()
        f = root.find(".//testcase/failure")
        self.assertEqual(f.get("message"), "expected handshake observed handshake")
        self.assertIn("Expected: " + FAIL["expectation"], f.text)
        self.assertIn("Actual: " + FAIL["actual"], f.text)
        tap = self.read("results.tap")
        self.assertIn('  expectation: ' + json.dumps(FAIL["expectation"]), tap)
        self.assertIn('  violations: "pong:early: pong before the handshake completed"', tap)

    def test_durations(self):
        """index.json's duration_ms in matrix.md's last column and under
        each cell's outcome; none for what did not run."""
        md = self.read("matrix.md")
        self.assertIn("| Target | Case | Outcome | Expected | Actual | Violations | Duration |", md)
        self.assertIn("| t1 | CF-NN-001 | Non-strict | ok | closed | - | 1 ms |", md)
        self.assertRegex(md, r"\| t1 \| CF-V1-030 \| Fail \|.*\| 5 ms \|")
        page = self.read("html/index.html")
        self.assertIn('<span class="ms">5 ms</span>', page)
        self.assertIn('<span class="ms">7 ms</span>', page)
        self.assertEqual(report.ms({"outcome": "Missing", "duration_ms": 0}), "-")
        self.assertEqual(report.ms({"outcome": "Pass"}), "-")

    def test_no_baseline_no_marks(self):
        md, page = self.read("matrix.md"), self.read("html/index.html")
        for text in (md, page):
            self.assertNotIn("Changes from the baseline", text)
            self.assertNotIn("was ", text)
        self.assertNotIn("(changed)", md)
        self.assertNotIn("Baseline", md)
        self.assertNotIn(" changed\"", page)
        self.assertNotIn("data-baseline", page)
        self.assertNotIn("<th>Baseline</th>", page)


class Changed(unittest.TestCase):
    """A run compared with a baseline (run.py --baseline): the results that
    differ are marked in matrix.md and html/index.html, listed with before
    and after, and a "-" the baseline had a result for is marked too."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self._tmp.cleanup)
        self.d = self._tmp.name
        fail = dict(FAIL, changed=True, baseline={"outcome": "Pass", "observed": "handshake", "rules": []})
        same = dict(PASS, changed=False, baseline={"outcome": "Pass", "observed": "ok", "rules": []})
        index = {"format": 1, "run": {"started": "2026-01-01T00:00:00Z", "peershake": "0.1.0"},
                 "targets": [{"name": "t1", "protocol": "btc", "version": "1", "roles": ["responder"],
                              "status": "ok", "reason": ""},
                             {"name": "t2", "protocol": "noise", "version": "2", "roles": ["responder"],
                              "status": "ok", "reason": ""}],
                 "cases": CASES + [dict(CASES[1], id="CF-NN-002")], "results": [fail, same],
                 "baseline": {"file": "base.json", "peershake": "0.0.9", "date": "2025-12-31T00:00:00Z",
                              "compares": ["outcome"], "compared": 3, "not_compared": 4, "differences": 2,
                              "drift": 0,
                              "absent": [{"target": "t2", "case": "CF-NN-002", "outcome": "Pass",
                                          "observed": "ok", "rules": []}]}}
        with open(os.path.join(self.d, "index.json"), "w") as f:
            json.dump(index, f)
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertEqual(report.main(["report.py", self.d]), 0)

    def read(self, name):
        with open(os.path.join(self.d, name), encoding="utf-8") as f:
            return f.read()

    def test_markdown(self):
        md = self.read("matrix.md")
        self.assertIn("- Baseline: base.json (peershake 0.0.9, 2025-12-31 00:00:00 UTC): compares outcome; "
                      "3 results compared, 2 differ, 0 drift", md)
        row = next(line for line in md.splitlines() if line.startswith("| CF-V1-030 |"))
        self.assertTrue(row.endswith("| Fail (changed) |"), row)
        row = next(line for line in md.splitlines() if line.startswith("| CF-NN-002 |"))
        self.assertTrue(row.endswith("| - (was Pass) |"), row)
        row = next(line for line in md.splitlines() if line.startswith("| CF-NN-001 |"))
        self.assertTrue(row.endswith("| Pass |"), row)
        changes = md[md.index("## Changes from the baseline"):md.index("## Summary")]
        self.assertIn("| Case | Target | Before | After |", changes)
        self.assertIn("| CF-V1-030 | t1 | Pass handshake | Fail handshake [pong:early] |", changes)
        self.assertIn("| CF-NN-002 | t2 | Pass ok | (no result) |", changes)
        self.assertNotIn("CF-NN-001", changes)

    def test_html(self):
        from html.parser import HTMLParser

        class P(HTMLParser):
            def __init__(self):
                super().__init__()
                self.cells = {}

            def handle_starttag(self, tag, attrs):
                a = dict(attrs)
                if tag == "td" and "cell" in (a.get("class") or "").split():
                    self.cells[(a["data-target"], a["data-case"])] = a
        page = self.read("html/index.html")
        p = P()
        p.feed(page)
        c = p.cells[("t1", "CF-V1-030")]
        self.assertIn("changed", c["class"].split())
        self.assertEqual(c["data-baseline"], "Pass")
        self.assertNotIn("changed", p.cells[("t2", "CF-NN-001")]["class"].split())
        self.assertNotIn("data-baseline", p.cells[("t2", "CF-NN-001")])
        gone = p.cells[("t2", "CF-NN-002")]
        self.assertEqual((gone["class"].split(), gone["data-baseline"]), (["cell", "none", "changed"], "Pass"))
        self.assertIn('<span class="was">was Pass</span>', page)
        self.assertIn("<h2>Changes from the baseline</h2>", page)
        self.assertIn("<td>Pass handshake</td><td>Fail handshake [pong:early]</td>", page)
        self.assertIn("td.cell.changed{outline:", page)
        self.assertIn("Pass handshake (changed)", self.read("html/t1/CF-V1-030.html"))
        self.assertIn("Pass ok (the same)", self.read("html/t2/CF-NN-001.html"))


if __name__ == "__main__":
    unittest.main()
