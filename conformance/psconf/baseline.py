"""Baselines: what a later run must match, for a CI gate (BoGo's and
rustls's pinned results, h2spec's exit status).

A baseline records, per (target, case):

  outcome    the Autobahn word (Pass, Non-strict, Fail, Info, ...)
  observed   the ending the runner observed ("" when nothing ran)
  rules      the message rules the result broke (its violations' `rule`),
             sorted, each once

The gate compares the outcome: that is what "an outcome differs" means.
The ending and the rules are recorded and shown with every difference, and
a result that kept its outcome with another ending or other rules is
reported as drift, which does not fail the run. The reason is measured:
two full runs of the same tree differ in 2 of 1325 results there, each
within what the judge already accepts (RS-V2-011, whose case allows
disconnect/kept, against peershake-btc-v2; bcoin's reject in RS-V1-009
before or after the handshake, both in its divergent_rules). A Pass is
by definition an allowed ending with no broken rule, and a Non-strict one
within its recorded divergence: the outcome already says which set the
behaviour is in; which member it was on a run is a race. A baseline file
may opt into the strict comparison: "compares": ["outcome", "observed",
"rules"] (any of RECORDED, with outcome) makes those differences too. The
violations' details (byte counts, times) and the notes are never compared.

Two files are baselines: one written by `run.py --write-baseline FILE`
(format below), and any earlier run's index.json (format 1), read the same
way. The baseline file:

  {"baseline": 1, "compares": ["outcome"], "date": "2026-12-01T10:00:00Z", "peershake": "0.1.0",
   "results": [
    {"case": "CF-V1-001", "observed": "handshake", "outcome": "Pass", "rules": [], "target": "bcoin"},
    ...]}

results sorted by (target, case), one a line, keys sorted; "peershake" and
"date" say where it came from and are never compared.

Comparing: a result is compared when its target and its case are selected
in this run (Selection). A selected (target, case) the baseline has and the
run has not, or the run has and the baseline has not, is a difference like
a changed one; a baseline result for a target or case this run did not
select is not compared (counted, not a difference).
"""

import dataclasses
import json
import re

FORMAT = 1
RECORDED = ("outcome", "observed", "rules")
COMPARED = ("outcome",)     # the default: what fails the gate
ABSENT = "(no result)"


class BaselineError(ValueError):
    """A baseline that cannot be read; the message names the file."""


# ------------------------------------------------------------ one result

def entry(result):
    """What a baseline keeps of one index.json result."""
    rules = sorted({v.get("rule", "") for v in result.get("violations") or [] if isinstance(v, dict)})
    return {"target": result["target"], "case": result["case"], "outcome": result["outcome"],
            "observed": result.get("observed") or "", "rules": rules}


def same(before, after, fields=COMPARED):
    """Whether two entries agree on `fields`."""
    return all(before.get(k) == after.get(k) for k in fields)


def describe(e):
    """One entry in a few words: "Non-strict handshake [recv, pong:early]";
    ABSENT for None."""
    if e is None:
        return ABSENT
    words = [e["outcome"]]
    if e.get("observed"):
        words.append(e["observed"])
    if e.get("rules"):
        words.append("[" + ", ".join(e["rules"]) + "]")
    return " ".join(words)


# ------------------------------------------------------- files and index

def from_index(index, compares=COMPARED):
    """A baseline (the dict written to a file) from a run's index.json."""
    run = index.get("run") or {}
    results = sorted((entry(r) for r in index.get("results") or []), key=lambda e: (e["target"], e["case"]))
    return {"baseline": FORMAT, "peershake": run.get("peershake", ""), "date": run.get("started", ""),
            "compares": list(compares), "results": results}


def dumps(baseline):
    """The file's text: stable (keys sorted, one result a line) so that
    two baselines diff line by line."""
    head = {k: v for k, v in baseline.items() if k != "results"}
    lines = ["{" + ", ".join(f"{json.dumps(k)}: {json.dumps(head[k])}" for k in sorted(head)) + ","]
    rows = [json.dumps(e, sort_keys=True) for e in baseline["results"]]
    lines.append(' "results": [')
    lines += ["  " + r + ("," if i < len(rows) - 1 else "") for i, r in enumerate(rows)]
    lines.append(" ]}")
    return "\n".join(lines) + "\n"


def write(path, index, compares=COMPARED):
    """Write the baseline of `index` to path; the number of results."""
    b = from_index(index, compares)
    with open(path, "w", encoding="utf-8") as f:
        f.write(dumps(b))
    return len(b["results"])


@dataclasses.dataclass
class Baseline:
    path: str
    peershake: str
    date: str
    entries: dict        # (target, case) -> entry
    compares: tuple = COMPARED


def parse(data, path="baseline"):
    """A Baseline from a parsed baseline file or index.json; BaselineError
    naming `path` when it is neither or a result lacks a field."""
    if not isinstance(data, dict):
        raise BaselineError(f"{path}: not a baseline (a JSON object with \"baseline\": {FORMAT}) "
                            "or an index.json (\"format\": 1)")
    compares = COMPARED
    if data.get("baseline") == FORMAT:
        rows, peershake, date = data.get("results"), data.get("peershake", ""), data.get("date", "")
        compares = data.get("compares", list(COMPARED))
        if not isinstance(compares, list) or "outcome" not in compares or \
                not set(compares) <= set(RECORDED):
            raise BaselineError(f"{path}: \"compares\" {compares!r}: want \"outcome\" and any of "
                                f"{', '.join(RECORDED[1:])}")
        compares = tuple(k for k in RECORDED if k in compares)
    elif data.get("format") == 1 and "results" in data:
        rows = [entry(r) if isinstance(r, dict) and {"target", "case", "outcome"} <= set(r) else r
                for r in data.get("results") or []]
        run = data.get("run") or {}
        peershake, date = run.get("peershake", ""), run.get("started", "")
    else:
        raise BaselineError(f"{path}: not a baseline (\"baseline\": {FORMAT}) or an index.json (\"format\": 1)")
    if not isinstance(rows, list):
        raise BaselineError(f"{path}: \"results\" is not a list")
    entries = {}
    for n, e in enumerate(rows):
        if not isinstance(e, dict) or not all(isinstance(e.get(k), str) for k in ("target", "case", "outcome")):
            raise BaselineError(f"{path}: result {n + 1} lacks target, case or outcome: {e!r}")
        key = (e["target"], e["case"])
        if key in entries:
            raise BaselineError(f"{path}: {e['target']} {e['case']} is there twice")
        entries[key] = {"target": e["target"], "case": e["case"], "outcome": e["outcome"],
                        "observed": e.get("observed") or "", "rules": sorted(set(e.get("rules") or []))}
    return Baseline(path, str(peershake), str(date), entries, compares)


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise BaselineError(f"{path}: {e.strerror or e}") from None
    except ValueError as e:
        raise BaselineError(f"{path}: not JSON: {e}") from None
    return parse(data, path)


# ------------------------------------------------------------- comparing

@dataclasses.dataclass(frozen=True)
class Selection:
    """What this run selected. targets: the names given (None: every
    target); the case filters as run.py's options: the --cases regex, the
    --quick IDs (None: no --quick), the --role. roles: case ID -> role, from
    the catalogue (a case the catalogue no longer has passes the role
    filter: its absence is then a difference)."""
    targets: frozenset = None
    regex: str = ""
    quick: frozenset = None
    role: str = ""
    roles: dict = dataclasses.field(default_factory=dict)

    def has_target(self, name):
        return self.targets is None or name in self.targets

    def has_case(self, cid):
        if self.regex and not re.search(self.regex, cid):
            return False
        if self.quick is not None and cid not in self.quick:
            return False
        return not self.role or self.roles.get(cid, self.role) == self.role

    def has(self, target, cid):
        return self.has_target(target) and self.has_case(cid)


@dataclasses.dataclass(frozen=True)
class Difference:
    case: str
    target: str
    before: dict    # the baseline's entry, None when it has none
    after: dict     # this run's, None when it has none


@dataclasses.dataclass
class Comparison:
    differences: list    # what fails the gate
    compared: int        # (target, case) pairs compared
    not_compared: int    # baseline results outside this run's selection
    drift: list = dataclasses.field(default_factory=list)  # the same where compared, not elsewhere

    @property
    def ok(self):
        return not self.differences


def compare(baseline, results, selection):
    """This run's results (index.json's) against the baseline, within the
    selection; differences in (target, case) order."""
    now = {(r["target"], r["case"]): entry(r) for r in results}
    keys, skipped = set(now), 0
    for key in baseline.entries:
        if selection.has(*key):
            keys.add(key)
        elif key not in now:
            skipped += 1
    diffs, drift = [], []
    for t, c in sorted(keys):
        before, after = baseline.entries.get((t, c)), now.get((t, c))
        if before is None or after is None or not same(before, after, baseline.compares):
            diffs.append(Difference(c, t, before, after))
        elif not same(before, after, RECORDED):
            drift.append(Difference(c, t, before, after))
    return Comparison(diffs, len(keys), skipped, drift)


def table(diffs):
    """The differences as an aligned text table: case, target, before,
    after (h2spec's and BoGo's shape), Markdown-compatible."""
    head = ("case", "target", "before", "after")
    rows = [(d.case, d.target, describe(d.before), describe(d.after)) for d in diffs]
    w = [max(len(r[i]) for r in [head] + rows) for i in range(4)]

    def line(cells):
        return "| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(cells)) + " |"
    return [line(head), "|" + "|".join("-" * (x + 2) for x in w) + "|"] + [line(r) for r in rows]


def annotate(index, baseline, comparison):
    """Record the comparison in index.json: every result gets "baseline"
    (the baseline's entry for it, or None) and "changed" (a difference:
    it fails the gate); the index gets "baseline": the file, where it came
    from, what it compares, the counts (drift included), and the results
    the baseline has that this run has not ("absent", for the report's
    "-" cells)."""
    changed = {(d.target, d.case) for d in comparison.differences}
    for r in index.get("results") or []:
        key = (r["target"], r["case"])
        b = baseline.entries.get(key)
        r["baseline"] = {k: b[k] for k in RECORDED} if b else None
        r["changed"] = key in changed
    index["baseline"] = {
        "file": baseline.path, "peershake": baseline.peershake, "date": baseline.date,
        "compares": list(baseline.compares), "compared": comparison.compared,
        "not_compared": comparison.not_compared, "differences": len(comparison.differences),
        "drift": len(comparison.drift),
        "absent": [d.before for d in comparison.differences if d.after is None]}
    return index
