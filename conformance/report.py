#!/usr/bin/python3
"""conformance/report.py: the reports of one conformance run.

Usage: report.py OUTDIR

Reads OUTDIR/index.json (format 1, written by conformance/run.py) and writes
into OUTDIR:

  matrix.md                 Markdown: header (run, peershake and every
                            target's exact version), one matrix per protocol
                            (cases as rows, targets as columns, the outcome
                            word per cell, "-" where a target has no result),
                            the notes, and a summary per target
  junit.xml                 JUnit XML: one <testsuite> per target, one
                            <testcase> per result
  results.tap               TAP version 13, one test line per result
  html/index.html           the matrix as a self-contained page (inline CSS,
                            no script, no external resource), each cell
                            coloured by outcome and linked to
  html/TARGET/ID.html       one page per result: the case, what was
                            expected and what was received ("Expected:",
                            "Actual:", the message rules broken), outcome,
                            duration, note and the log (OUTDIR/<log>)

matrix.md ends with every result's Expected / Actual and its duration
(index.json's duration_ms); every HTML cell shows the duration under the
outcome; JUnit and TAP carry them for the results that are not a plain Pass
(JUnit's time= is the duration).

When the run was compared with a baseline (run.py --baseline: index.json's
"baseline", each result's "baseline" and "changed"), the results that
differ are marked: "(changed)" after the word in matrix.md, a framed cell
with "was OUTCOME" in the HTML (a "-" the baseline had a result for too),
and both list them under "Changes from the baseline" (case, target, before,
after).

The summary table is printed to stdout too. Outcome words are Autobahn's:
Pass, Non-strict, Fail, Info, Unimplemented, Missing. Exit status: 0 when the
reports were written (whatever the outcomes), 2 on a usage or input error.

Standard library only.
"""

import html
import json
import os
import re
import sys
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from psconf.judging import OUTCOMES  # noqa: E402  (the one definition, shared with run.py)
from psconf.baseline import describe, entry  # noqa: E402  (a result as the baseline sees it, in words)
SKIPPED = ("Unimplemented", "Missing")
# Cell colours (background, text). Pass and Fail are exact colours that
# bats/report.bats looks for in a screenshot: keep them in step.
COLOURS = {
    "Pass": ("#2e7d32", "#ffffff"),
    "Non-strict": ("#f9d71c", "#000000"),
    "Fail": ("#c62828", "#ffffff"),
    "Info": ("#1565c0", "#ffffff"),
    "Unimplemented": ("#8a8a8a", "#ffffff"),
    "Missing": ("#dcdcdc", "#333333"),
}
LOG_LIMIT = 2 * 1024 * 1024  # bytes of a log shown in a page


class InputError(Exception):
    pass


# ---------------------------------------------------------------- the model


def css_class(outcome):
    return "o-" + re.sub(r"[^a-z0-9]+", "-", outcome.lower()).strip("-")


def safe_name(s):
    """A file name for a target or case ID: [A-Za-z0-9._-] only."""
    n = re.sub(r"[^A-Za-z0-9._-]", "_", str(s)) or "_"
    return "_" + n if n.startswith(".") else n


def one_line(s):
    return " ".join(str(s if s is not None else "").split())


def expectation(r):
    """h2spec's "Expected:" of a result (index.json before the message
    expectations had only the ending)."""
    return one_line(r.get("expectation") or r.get("expected", ""))


def actual(r):
    return one_line(r.get("actual") or r.get("observed", "")) or "-"


def violations(r):
    """"rule: detail; ..." of the message rules a result broke."""
    return "; ".join(f"{v.get('rule', '')}: {v.get('detail', '')}" for v in r.get("violations") or [])


class Run:
    def __init__(self, outdir, index):
        if not isinstance(index, dict) or index.get("format") != 1:
            raise InputError("index.json: expected \"format\": 1")
        self.outdir = outdir
        self.run = index.get("run") or {}
        self.targets = list(index.get("targets") or [])
        self.cases = list(index.get("cases") or [])
        self.results = list(index.get("results") or [])
        for r in self.results:
            for k in ("target", "case", "outcome"):
                if k not in r:
                    raise InputError(f"index.json: a result without \"{k}\": {r!r}")
            if r["outcome"] not in OUTCOMES:
                print(f"report: unknown outcome {r['outcome']!r} "
                      f"({r['target']} {r['case']})", file=sys.stderr)
        self.case_by_id = {c["id"]: c for c in self.cases}
        names = {t["name"] for t in self.targets}
        # results naming a target or case the index does not list still show
        for r in self.results:
            if r["target"] not in names:
                names.add(r["target"])
                self.targets.append({"name": r["target"], "protocol": "",
                                     "version": "", "roles": [],
                                     "status": "unlisted", "reason": ""})
            if r["case"] not in self.case_by_id:
                c = {"id": r["case"], "protocol": self.target(r["target"]).get("protocol", ""),
                     "kind": "", "role": "", "arrow": "", "reference": "",
                     "source": "", "expect": r.get("expected", "")}
                self.cases.append(c)
                self.case_by_id[c["id"]] = c
        self.result = {(r["target"], r["case"]): r for r in self.results}
        # a run with --baseline: index.json's "baseline" and each result's
        # "baseline"/"changed" (psconf/baseline.py annotate)
        self.baseline = index.get("baseline") if isinstance(index.get("baseline"), dict) else None
        self.absent = {(e["target"], e["case"]): e for e in (self.baseline or {}).get("absent") or []
                       if isinstance(e, dict) and "target" in e and "case" in e}

    def target(self, name):
        for t in self.targets:
            if t["name"] == name:
                return t
        return {}

    def protocols(self):
        """[(protocol, cases, targets)], in catalogue order. A target is a
        column of a protocol's matrix when it is of that protocol or has a
        result for one of its cases."""
        out = []
        for p in dict.fromkeys(c.get("protocol", "") for c in self.cases):
            cases = [c for c in self.cases if c.get("protocol", "") == p]
            ids = {c["id"] for c in cases}
            targets = [t for t in self.targets
                       if t.get("protocol") == p
                       or any(r["target"] == t["name"] and r["case"] in ids
                              for r in self.results)]
            out.append((p, cases, targets))
        return out

    def target_results(self, name):
        return [r for r in self.results if r["target"] == name]

    def counts(self, name):
        n = {o: 0 for o in OUTCOMES}
        for r in self.target_results(name):
            if r["outcome"] in n:
                n[r["outcome"]] += 1
        return n

    def page(self, r):
        """The per-result page, relative to OUTDIR/html."""
        return f"{safe_name(r['target'])}/{safe_name(r['case'])}.html"

    def skip_reason(self, r):
        if r["outcome"] == "Missing":
            t = self.target(r["target"])
            return one_line(r.get("note") or t.get("reason") or "target missing")
        return one_line(r.get("note") or "unimplemented by the target")

    def changes(self):
        """[(case, target, before, after)] in words: the results that differ
        from the baseline, and those the baseline has and this run has not."""
        out = [(r["case"], r["target"], describe(r.get("baseline")), describe(entry(r)))
               for r in self.results if r.get("changed")]
        out += [(e["case"], e["target"], describe(e), describe(None)) for e in self.absent.values()]
        return sorted(out, key=lambda x: (x[1], x[0]))

    def baseline_line(self):
        """The baseline a run was compared with, in one line; "" without one."""
        b = self.baseline
        if not b:
            return ""
        return (f"{b.get('file', '')} (peershake {b.get('peershake') or '?'}, {utc(b.get('date')) or 'no date'}): "
                f"compares {', '.join(b.get('compares') or ['outcome'])}; {b.get('compared', 0)} results compared, "
                f"{b.get('differences', 0)} differ, {b.get('drift', 0)} drift (same outcome, another ending "
                f"or other rules), {b.get('not_compared', 0)} not compared (not selected in this run)")

    def run_date(self):
        return utc(self.run.get("started", ""))

    def run_span(self):
        """"START to FINISH (N s)", as much of it as the index has."""
        r = self.run
        s = self.run_date()
        if r.get("finished"):
            s += f" to {utc(r['finished'])}"
        if r.get("duration_s") is not None:
            s += f" ({r['duration_s']} s)"
        return s


def ms(r):
    """A result's duration, "12 ms"; "-" when the index has none or nothing
    ran (Unimplemented, Missing)."""
    d = r.get("duration_ms")
    if r.get("outcome") in SKIPPED or not isinstance(d, (int, float)) or isinstance(d, bool):
        return "-"
    return f"{d} ms"


def utc(s):
    """2026-11-22T04:10:00Z -> 2026-11-22 04:10:00 UTC; other text unchanged."""
    s = str(s if s is not None else "")
    m = re.match(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(?:Z|\+00:00)$", s)
    return f"{m.group(1)} {m.group(2)} UTC" if m else s


# ----------------------------------------------------------------- Markdown


def md(s):
    """A table-cell-safe Markdown text."""
    s = one_line(s).replace("\\", "\\\\").replace("|", "\\|")
    # only what would start an HTML tag or an entity: arrows stay readable
    s = re.sub(r"&(?=#?\w+;)", "&amp;", s)
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", s)


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def summary_rows(run):
    rows = []
    for t in run.targets:
        n = run.counts(t["name"])
        total = len(run.target_results(t["name"]))
        rows.append([md(t["name"])] + [str(n[o]) for o in OUTCOMES] + [str(total)])
    return rows


def summary_md(run):
    return md_table(["Target", *OUTCOMES, "Total"], summary_rows(run))


def md_cell(run, res, key):
    """A matrix cell: the outcome word, "(changed)" after it when it differs
    from the baseline; "-" for no result ("- (was OUTCOME)" when the
    baseline had one)."""
    if res is None:
        return f"- (was {md(run.absent[key]['outcome'])})" if key in run.absent else "-"
    return md(res["outcome"]) + (" (changed)" if res.get("changed") else "")


def write_markdown(run, path):
    r = run.run
    out = ["# peershake conformance report", ""]
    out.append(f"- Run: {md(run.run_span())}")
    out.append(f"- peershake: {md(r.get('peershake', ''))}")
    if r.get("host"):
        out.append(f"- Host: {md(r['host'])}")
    if run.baseline:
        out.append(f"- Baseline: {md(run.baseline_line())}")
    out += ["", "## Targets", ""]
    out += md_table(["Target", "Protocol", "Version", "Roles", "Status", "Reason"],
                    [[md(t["name"]), md(t.get("protocol", "")),
                      md(t.get("version", "")) or "-",
                      md(", ".join(t.get("roles") or [])),
                      md(t.get("status", "")), md(t.get("reason", ""))]
                     for t in run.targets])
    out += ["", "Outcomes: " + ", ".join(OUTCOMES) + ". \"-\": no result."
            + (" \"(changed)\": differs from the baseline (below)." if run.baseline else ""), ""]
    for proto, cases, targets in run.protocols():
        out += [f"## Matrix: {md(proto) or 'cases'}", ""]
        rows = []
        for c in cases:
            role = c.get("role", "") + (f" ({c['conn']})" if c.get("conn") else "")
            row = [md(c["id"]), md(c.get("arrow", "")), md(role), md(c.get("reference", ""))]
            for t in targets:
                res = run.result.get((t["name"], c["id"]))
                row.append(md_cell(run, res, (t["name"], c["id"])))
            rows.append(row)
        out += md_table(["ID", "Arrow", "Role", "Reference"] + [md(t["name"]) for t in targets], rows)
        out.append("")
    notes = [x for x in run.results
             if x["outcome"] in ("Fail", "Non-strict", "Info", "Unimplemented") or x.get("note")]
    notes = [x for x in notes if x["outcome"] != "Missing"]
    if notes:
        out += ["## Notes", ""]
        for x in notes:
            line = (f"- {md(x['target'])} {md(x['case'])}: {md(x['outcome'])}; "
                    f"expected {md(x.get('expected', ''))}, observed {md(x.get('observed', '')) or '-'}")
            if x.get("note"):
                line += f". {md(x['note'])}"
            if violations(x):
                line += f". Violations: {md(violations(x))}"
            out.append(line)
        out.append("")
    if run.baseline:
        out += ["## Changes from the baseline", ""]
        ch = run.changes()
        out += md_table(["Case", "Target", "Before", "After"], [[md(v) for v in row] for row in ch]) \
            if ch else ["None: every compared result is the baseline's."]
        out.append("")
    out += ["## Summary", ""] + summary_md(run) + [""]
    out += ["## Expected and actual", ""]
    out += md_table(["Target", "Case", "Outcome", "Expected", "Actual", "Violations", "Duration"],
                    [[md(x["target"]), md(x["case"]), md(x["outcome"]), md(expectation(x)),
                      md(actual(x)), md(violations(x)) or "-", ms(x)] for x in ordered_results(run)])
    out.append("")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out))


# -------------------------------------------------------------- JUnit, TAP

_XML_BAD = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def x(s):
    """Text XML 1.0 can carry (ElementTree escapes, but keeps control chars)."""
    return _XML_BAD.sub("\ufffd", str(s if s is not None else ""))


def secs(r):
    try:
        return f"{float(r.get('duration_ms') or 0) / 1000:.3f}"
    except (TypeError, ValueError):
        return "0.000"


def write_junit(run, path):
    root = ET.Element("testsuites", name="peershake conformance")
    totals = {"tests": 0, "failures": 0, "skipped": 0, "time": 0.0}
    for t in run.targets:
        rs = run.target_results(t["name"])
        n = run.counts(t["name"])
        time = sum(float(secs(r)) for r in rs)
        suite = ET.SubElement(root, "testsuite", {
            "name": x(t["name"]), "tests": str(len(rs)), "failures": str(n["Fail"]),
            "errors": "0", "skipped": str(n["Unimplemented"] + n["Missing"]),
            "time": f"{time:.3f}", "timestamp": x(run.run.get("started", "")).rstrip("Z"),
            "hostname": x(run.run.get("host", "")) or "localhost"})
        props = ET.SubElement(suite, "properties")
        for k, v in (("protocol", t.get("protocol", "")), ("version", t.get("version", "")),
                     ("status", t.get("status", "")), ("reason", t.get("reason", "")),
                     ("peershake", run.run.get("peershake", ""))):
            ET.SubElement(props, "property", name=k, value=x(one_line(v)))
        for r in rs:
            c = run.case_by_id[r["case"]]
            tc = ET.SubElement(suite, "testcase", {
                "classname": x(t["name"]),
                "name": x(one_line(f"{r['case']} {c.get('arrow', '')}")),
                "time": secs(r)})
            o = r["outcome"]
            if o == "Fail":
                f = ET.SubElement(tc, "failure", {
                    "message": x(one_line(f"expected {r.get('expected', '')} "
                                          f"observed {r.get('observed', '')}")),
                    "type": "Fail"})
                f.text = x(f"Expected: {expectation(r)}\nActual: {actual(r)}\n"
                           f"violations: {violations(r) or '-'}\n"
                           f"reference: {c.get('reference', '')}\n"
                           f"source: {c.get('source', '')}\n"
                           f"note: {r.get('note', '')}\nlog: {r.get('log', '')}")
            elif o in SKIPPED:
                ET.SubElement(tc, "skipped", message=x(f"{o}: {run.skip_reason(r)}"))
            elif o != "Pass":
                so = ET.SubElement(tc, "system-out")
                so.text = x(f"{o}: expected {r.get('expected', '')}, observed "
                            f"{r.get('observed', '')}"
                            + f"\nExpected: {expectation(r)}\nActual: {actual(r)}"
                            + (f"\nviolations: {violations(r)}" if violations(r) else "")
                            + (f"\nnote: {r['note']}" if r.get("note") else "")
                            + (f"\nlog: {r['log']}" if r.get("log") else ""))
        totals["tests"] += len(rs)
        totals["failures"] += n["Fail"]
        totals["skipped"] += n["Unimplemented"] + n["Missing"]
        totals["time"] += time
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failures"]))
    root.set("errors", "0")
    root.set("skipped", str(totals["skipped"]))
    root.set("time", f"{totals['time']:.3f}")
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write("\n")


def tap_text(s):
    # '#' starts a TAP directive: escape it in descriptions and reasons
    return one_line(s).replace("\\", "\\\\").replace("#", "\\#")


def yaml_block(fields):
    out = ["  ---"]
    for k, v in fields:
        out.append(f"  {k}: {json.dumps(str(v))}")
    out.append("  ...")
    return out


def ordered_results(run):
    """Per target (in target order), each in the index's (catalogue) order."""
    return [r for t in run.targets for r in run.target_results(t["name"])]


def write_tap(run, path):
    rs = ordered_results(run)
    out = ["TAP version 13", f"1..{len(rs)}"]
    for i, r in enumerate(rs, 1):
        c = run.case_by_id[r["case"]]
        desc = tap_text(f"{r['target']} {r['case']} {c.get('arrow', '')}")
        o = r["outcome"]
        if o == "Fail":
            out.append(f"not ok {i} - {desc}")
        elif o in SKIPPED:
            out.append(f"ok {i} - {desc} # SKIP {tap_text(o + ': ' + run.skip_reason(r))}")
        else:
            out.append(f"ok {i} - {desc}")
        if o in ("Fail", "Non-strict", "Info"):
            out += yaml_block([("outcome", o), ("expected", r.get("expected", "")),
                               ("observed", r.get("observed", "")),
                               ("expectation", expectation(r)), ("actual", actual(r)),
                               ("violations", violations(r)),
                               ("note", r.get("note", "")), ("log", r.get("log", ""))])
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


# --------------------------------------------------------------------- HTML


def h(s):
    return html.escape(str(s if s is not None else ""), quote=True)


def style():
    rules = [
        "body{font:14px/1.4 system-ui,-apple-system,'DejaVu Sans',sans-serif;margin:16px;color:#111;background:#fff}",
        "h1{font-size:20px;margin:0 0 8px}h2{font-size:16px;margin:20px 0 6px}",
        "table{border-collapse:collapse;margin:4px 0}",
        "th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}",
        "th{background:#f0f0f0}",
        "td.cell{text-align:center;white-space:nowrap;min-width:90px;padding:0}",
        "td.cell a{display:block;padding:3px 6px;color:inherit;text-decoration:none}",
        "td.cell a:hover{text-decoration:underline}",
        "td.none{color:#999;text-align:center}",
        "td.id{white-space:nowrap;font-family:monospace}",
        "td.arrow{font-family:monospace}",
        ".meta td,.meta th{border:none;padding:1px 8px 1px 0}",
        "pre{background:#f7f7f7;border:1px solid #ddd;padding:6px;overflow-x:auto;white-space:pre-wrap;word-break:break-all}",
        "ol.log{font:12px/1.35 monospace;background:#f7f7f7;border:1px solid #ddd;padding:6px 6px 6px 48px}",
        "ol.log li{white-space:pre-wrap;word-break:break-all}",
        "ol.log .k{color:#6a1b9a}ol.log .raw{color:#555;font-style:italic}",
        "span.badge{display:inline-block;padding:1px 8px;border-radius:3px}",
        ".status-missing{color:#8a1c1c}",
        "td.note{white-space:pre-wrap}",
        "td.cell .ms,td.cell .was{display:block;font-size:11px;opacity:.85}",
        # a result that differs from the baseline: a thick inset frame in a
        # colour no outcome has, and "was OUTCOME" under the word
        "td.cell.changed{outline:4px solid #d500f9;outline-offset:-4px}",
        "td.cell.changed .was{font-weight:bold}",
        "span.badge.changed{outline:3px solid #d500f9;outline-offset:-3px}",
    ]
    for o, (bg, fg) in COLOURS.items():
        rules.append(f".{css_class(o)}{{background:{bg};color:{fg}}}")
    return "\n".join(rules)


def page(title, body):
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{h(title)}</title>\n<style>\n{style()}\n</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")


def html_header(run):
    r = run.run
    rows = [("Run", run.run_span()), ("peershake", r.get("peershake", ""))]
    if r.get("host"):
        rows.append(("Host", r["host"]))
    if run.baseline:
        rows.append(("Baseline", run.baseline_line()))
    out = ["<table class=\"meta\">"]
    out += [f"<tr><th>{h(k)}</th><td>{h(v)}</td></tr>" for k, v in rows]
    out.append("</table>")
    return out


def html_targets(run):
    out = ["<h2>Targets</h2>", "<table class=\"targets\">",
           "<tr><th>Target</th><th>Protocol</th><th>Version</th><th>Roles</th>"
           "<th>Status</th><th>Reason</th></tr>"]
    for t in run.targets:
        st = t.get("status", "")
        out.append(f"<tr><td>{h(t['name'])}</td><td>{h(t.get('protocol', ''))}</td>"
                   f"<td class=\"version\">{h(t.get('version', '')) or '-'}</td>"
                   f"<td>{h(', '.join(t.get('roles') or []))}</td>"
                   f"<td class=\"status-{h(safe_name(st))}\">{h(st)}</td>"
                   f"<td>{h(t.get('reason', ''))}</td></tr>")
    out.append("</table>")
    return out


def html_cell(run, target, cid):
    """One matrix cell: the outcome, linked to the result's page, and its
    duration; with a baseline, a cell that differs is framed (class
    "changed", data-baseline the baseline's outcome, "was OUTCOME" when the
    outcome itself changed), as is a "-" the baseline has a result for."""
    r = run.result.get((target, cid))
    attrs = f"data-target=\"{h(target)}\" data-case=\"{h(cid)}\""
    if r is None:
        b = run.absent.get((target, cid))
        if b is None:
            return f"<td class=\"cell none\" {attrs}>-</td>"
        tip = f"{target} {cid}: no result; baseline: {describe(b)}"
        return (f"<td class=\"cell none changed\" {attrs} data-baseline=\"{h(b['outcome'])}\" "
                f"title=\"{h(tip)}\">-<span class=\"was\">was {h(b['outcome'])}</span></td>")
    o = r["outcome"]
    tip = one_line(f"{target} {cid}: {o}; Expected: {expectation(r)}. "
                   f"Actual: {actual(r)}"
                   + (f"; {r['note']}" if r.get("note") else "")
                   + f"; {ms(r)}")
    cls, extra, was = f"cell {css_class(o)}", "", ""
    dur = f"<span class=\"ms\">{h(ms(r))}</span>" if ms(r) != "-" else ""
    if r.get("changed"):
        b = r.get("baseline")
        cls += " changed"
        tip += f"; baseline: {describe(b)}, now: {describe(entry(r))}"
        extra = f" data-baseline=\"{h(b['outcome'] if b else '')}\""
        word = f"was {b['outcome']}" if b and b["outcome"] != o else ("new" if not b else "changed")
        was = f"<span class=\"was\">{h(word)}</span>"
    href = urllib.parse.quote(run.page(r))
    return (f"<td class=\"{cls}\" {attrs} data-outcome=\"{h(o)}\"{extra}>"
            f"<a href=\"{h(href)}\" title=\"{h(tip)}\">{h(o)}{dur}{was}</a></td>")


def html_changes(run):
    """The table of the results that changed from the baseline."""
    ch = run.changes()
    out = ["<h2>Changes from the baseline</h2>"]
    if not ch:
        return out + ["<p>None: every compared result is the baseline's.</p>"]
    out.append("<table class=\"changes\"><tr><th>Case</th><th>Target</th><th>Before</th><th>After</th></tr>")
    out += [f"<tr><td class=\"id\">{h(c)}</td><td>{h(t)}</td><td>{h(b)}</td><td>{h(a)}</td></tr>"
            for c, t, b, a in ch]
    out.append("</table>")
    return out


def write_index_html(run, path):
    body = ["<h1>peershake conformance report</h1>"] + html_header(run) + html_targets(run)
    body.append("<p>" + " ".join(f"<span class=\"badge {css_class(o)}\">{h(o)}</span>"
                                 for o in OUTCOMES) + " &nbsp;-: no result; under the outcome: its duration"
                + (" &nbsp;<span class=\"badge changed\">framed</span>: differs from the baseline (below)"
                   if run.baseline else "") + "</p>")
    for proto, cases, targets in run.protocols():
        body.append(f"<h2>Matrix: {h(proto) or 'cases'}</h2>")
        body.append(f"<table class=\"matrix\" data-protocol=\"{h(proto)}\">")
        body.append("<tr><th>ID</th><th>Arrow</th><th>Role</th><th>Reference</th>"
                    + "".join(f"<th class=\"target\">{h(t['name'])}</th>" for t in targets)
                    + "</tr>")
        for c in cases:
            row = (f"<tr><td class=\"id\">{h(c['id'])}</td>"
                   f"<td class=\"arrow\">{h(c.get('arrow', ''))}</td>"
                   f"<td>{h(c.get('role', ''))}</td><td>{h(c.get('reference', ''))}</td>")
            for t in targets:
                row += html_cell(run, t["name"], c["id"])
            body.append(row + "</tr>")
        body.append("</table>")
    if run.baseline:
        body += html_changes(run)
    body.append("<h2>Summary</h2>")
    body.append("<table class=\"summary\"><tr><th>Target</th>"
                + "".join(f"<th class=\"{css_class(o)}\">{h(o)}</th>" for o in OUTCOMES)
                + "<th>Total</th></tr>")
    for t in run.targets:
        n = run.counts(t["name"])
        body.append(f"<tr><td>{h(t['name'])}</td>"
                    + "".join(f"<td>{n[o]}</td>" for o in OUTCOMES)
                    + f"<td>{len(run.target_results(t['name']))}</td></tr>")
    body.append("</table>")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page(f"peershake conformance {run.run_date()}", "\n".join(body)))


def render_log(run, r):
    """The log of a result as HTML: JSON Lines as a numbered list with the
    keys marked, anything else as escaped text."""
    rel = r.get("log") or ""
    if not rel:
        return "<p>No log for this result.</p>"
    path = os.path.join(run.outdir, rel)
    try:
        with open(path, "rb") as f:
            data = f.read(LOG_LIMIT + 1)
    except OSError as e:
        return f"<p>Log {h(rel)} could not be read: {h(e.strerror or e)}.</p>"
    cut = len(data) > LOG_LIMIT
    text = data[:LOG_LIMIT].decode("utf-8", errors="replace")
    href = urllib.parse.quote(os.path.relpath(path, os.path.join(run.outdir, "html", "x")))
    out = [f"<p>File: <a href=\"{h(href)}\">{h(rel)}</a> ({len(data) if not cut else '&gt; ' + str(LOG_LIMIT)} bytes"
           + (", shown in part" if cut else "") + ")</p>"]
    lines = text.splitlines()
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            parsed.append(None)
    is_jsonl = rel.endswith((".jsonl", ".ndjson")) or (
        lines and sum(isinstance(p, dict) for p in parsed) * 2 > len(lines))
    if not is_jsonl:
        out.append(f"<pre class=\"log\">{h(text)}</pre>")
        return "\n".join(out)
    out.append("<ol class=\"log\">")
    for line, obj in zip(lines, parsed):
        if isinstance(obj, dict):
            items = ", ".join(f"<span class=\"k\">{h(k)}</span>: "
                              f"{h(json.dumps(v, ensure_ascii=False))}" for k, v in obj.items())
            out.append(f"<li>{items}</li>")
        elif obj is not None:
            out.append(f"<li>{h(json.dumps(obj, ensure_ascii=False))}</li>")
        else:
            out.append(f"<li><span class=\"raw\">{h(line)}</span></li>")
    out.append("</ol>")
    return "\n".join(out)


def write_case_page(run, r, path):
    c = run.case_by_id[r["case"]]
    t = run.target(r["target"])
    o = r["outcome"]
    rows = [("Case", c["id"]), ("Protocol", c.get("protocol", "")),
            ("Kind", c.get("kind", "")), ("Arrow", c.get("arrow", "")),
            ("Role (of the target)", c.get("role", "")),
            ("Connection type", r.get("conn") or c.get("conn") or "-"),
            ("Reference", c.get("reference", "")), ("Source", c.get("source", "")),
            ("Target", r["target"]), ("Target version", t.get("version", "") or "-"),
            ("Target status", t.get("status", "")
             + (f": {t['reason']}" if t.get("reason") else "")),
            ("Expected ending", r.get("expected", "")),
            ("Observed ending", r.get("observed", "") or "-"),
            ("Expected", expectation(r)), ("Actual", actual(r)),
            ("Message expectations", c.get("msgs", "") or "-")]
    body = [f"<p><a href=\"../index.html\">&larr; matrix</a></p>",
            f"<h1>{h(r['target'])} {h(c['id'])} "
            f"<span class=\"badge {css_class(o)}\">{h(o)}</span></h1>",
            "<table class=\"case\">"]
    body += [f"<tr><th>{h(k)}</th><td>{h(v)}</td></tr>" for k, v in rows]
    body.append(f"<tr><th>Outcome</th><td class=\"{css_class(o)}\">{h(o)}</td></tr>")
    body.append(f"<tr><th>Duration</th><td>{h(r.get('duration_ms', ''))} ms</td></tr>")
    if run.baseline:
        b = r.get("baseline")
        body.append(f"<tr><th>Baseline</th><td class=\"baseline\">{h(describe(b))}"
                    + (" (changed)" if r.get("changed") else " (the same)") + "</td></tr>")
    if o in SKIPPED:
        body.append(f"<tr><th>Skipped</th><td>{h(run.skip_reason(r))}</td></tr>")
    if r.get("note"):
        body.append(f"<tr><th>Note</th><td class=\"note\">{h(r['note'])}</td></tr>")
    vs = r.get("violations") or []
    body.append("<tr><th>Violations</th><td class=\"violations\">"
                + ("<ul>" + "".join(f"<li><code>{h(v.get('rule', ''))}</code> {h(v.get('detail', ''))}</li>"
                                    for v in vs) + "</ul>" if vs else "none")
                + "</td></tr>")
    body.append("</table>")
    body.append("<h2>Log</h2>")
    body.append(render_log(run, r))
    body.append(f"<p class=\"run\">Run {h(run.run_date())}, peershake "
                f"{h(run.run.get('peershake', ''))}</p>")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page(f"{r['target']} {c['id']}: {o}", "\n".join(body)))


def write_html(run, htmldir):
    os.makedirs(htmldir, exist_ok=True)
    write_index_html(run, os.path.join(htmldir, "index.html"))
    for r in run.results:
        p = os.path.join(htmldir, run.page(r))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        write_case_page(run, r, p)


# --------------------------------------------------------------------- main


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print("usage: report.py OUTDIR   (reads OUTDIR/index.json)", file=sys.stderr)
        return 2
    outdir = argv[1]
    try:
        with open(os.path.join(outdir, "index.json"), encoding="utf-8") as f:
            index = json.load(f)
        run = Run(outdir, index)
    except (OSError, ValueError, InputError, KeyError, TypeError) as e:
        print(f"report: {outdir}/index.json: {e}", file=sys.stderr)
        return 2
    write_markdown(run, os.path.join(outdir, "matrix.md"))
    write_junit(run, os.path.join(outdir, "junit.xml"))
    write_tap(run, os.path.join(outdir, "results.tap"))
    write_html(run, os.path.join(outdir, "html"))
    print("\n".join(summary_md(run)))
    print(f"report: {outdir}: matrix.md junit.xml results.tap html/index.html "
          f"({len(run.results)} results, {len(run.targets)} targets)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
