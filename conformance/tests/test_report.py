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


if __name__ == "__main__":
    unittest.main()
