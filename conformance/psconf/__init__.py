"""psconf: the peershake conformance runner as a package.

  catalogue  the Case dataclass, cases.txt and its message expectations, quick.txt
  judging    observations from the tester's JSON Lines, the message rules,
             the outcomes (OUTCOMES, which report.py imports)
  targets    one adapter per kind of target; initiator handles with .stop()
  procs      processes (started: stopped on the way out), files, waits
  runner     the run: every case against every target, index.json; the options
  baseline   baselines for a CI gate: written, read (or an index.json), compared

Standard library only; run with /usr/bin/python3.
"""
