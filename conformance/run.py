#!/usr/bin/python3
"""conformance/run.py: run the case catalogue against the targets.

usage: run.py [--out DIR] [--targets a,b,...] [--targets-dir DIR] [--cases REGEX]
              [--role responder|initiator|self] [--quick] [--list-cases]
              [--baseline FILE] [--write-baseline FILE]
              [--jobs N] [--initiator-wait S] [--peershake PATH]
              [--target-peershake PATH]
              [--target btc=HOST:PORT[,config=F][,transport=v1|v2]]...
              [--target noise=SHIM[,config=F]]... [--initiator-cmd CMD]
              [--network NAME] [--magic HEX]

Reads conformance/cases.txt (the catalogue), conformance/quick.txt (the
case IDs of --quick) and conformance/targets/*.json (one config per target:
how it is started, its exact version, its expected divergences). For every
target and every case of the target's protocol and roles, drives peershake
(the reference peer, with the case's --bug switches) against the target on
loopback, judges the ending and every message the target sent against the
case's expectations, and records an Autobahn-style outcome: Pass,
Non-strict, Fail, Info, Unimplemented, Missing.

--targets, --cases, --role and --quick select together (a case must pass
each); --list-cases prints the selected cases and exits without running
anything. --baseline FILE (a --write-baseline file or an earlier
index.json) compares every selected result's outcome with FILE's and
prints the differences (case, target, before, after); --write-baseline FILE
writes this run's results as one (conformance/README.md, "Baselines").

--target names a target the user runs (psconf/address.py): a Bitcoin
node at HOST:PORT, nothing started there (--initiator-cmd makes it connect
to {host}:{port} for the initiator cases; --network/--magic its network),
or a Noise shim by path; see conformance/README.md, "Testing your own node".

Writes OUT/index.json and one log per result under OUT/logs/TARGET/; the
reports (Markdown, JUnit, TAP, HTML) are made from index.json by report.py.
Exit status 0 when no result is Fail and none differs from the baseline, 1
otherwise ("FAIL" lines, "BASELINE MISMATCH" and its table), 2 on a bad
catalogue, option, target name or baseline (a --target that cannot be
used, nothing listening at its address).

The work is done by the psconf package beside this file: catalogue.py (the
cases), judging.py (observations, message checks, outcomes), targets.py
(the adapters), runner.py (this command), baseline.py (the baselines).
Its unit tests: conformance/tests.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from psconf.runner import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
