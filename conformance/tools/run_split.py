#!/usr/bin/python3
"""conformance/tools/run_split.py: run.py with the tester and the target
on two different peershake binaries.

usage: run_split.py --tester BIN --target BIN --out DIR --targets NAME[,NAME]
                    [--cases REGEX] [--jobs N]

run.py's --peershake is both sides at once: the tester (psconf.runner.Runner's
`peershake`) and the peershake targets (PeershakeBtc / PeershakeNoise start
`Context.peershake`). The runner keeps the two apart already, in two
objects; this gives them two binaries, so that ci/mutation can run a mutant
as the implementation under test against an honest tester. It is an
interim: once run.py takes `--target-peershake BIN`, ci/mutation uses that
and this file goes. Writes OUT/index.json as run.py does; exit status as
run.py's (0 no Fail, 1 some Fail, 2 a bad catalogue or target name).
"""
import argparse
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from psconf import catalogue, runner, targets  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(prog="run_split.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--tester", required=True, help="the peershake that tests (honest)")
    ap.add_argument("--target", required=True, help="the peershake under test")
    ap.add_argument("--out", required=True)
    ap.add_argument("--targets", required=True, help="comma-separated peershake target names")
    ap.add_argument("--cases", default="", help="regex on case IDs (default: all)")
    ap.add_argument("--jobs", type=int, default=8)
    args = ap.parse_args(argv)
    try:
        cases = runner.select(catalogue.load_cases(), args.cases)
    except (OSError, catalogue.CatalogueError) as e:
        print(f"run_split.py: {e}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    shutil.rmtree(os.path.join(args.out, "logs"), ignore_errors=True)
    r = runner.Runner(args.tester, args.out, args.jobs)
    r.ctx = targets.Context(os.path.abspath(args.target), r.work)
    names = set(filter(None, args.targets.split(",")))
    try:
        ts = targets.load_targets(names, r.ctx)
    except ValueError as e:
        print(f"run_split.py: {e}", file=sys.stderr)
        return 2
    if {t.name for t in ts} != names:
        print(f"run_split.py: no such target: {sorted(names - {t.name for t in ts})}", file=sys.stderr)
        return 2
    index = r.run(cases, ts)
    return 1 if any(x["outcome"] == "Fail" for x in index["results"]) else 0


if __name__ == "__main__":
    sys.exit(main())
