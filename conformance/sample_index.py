#!/usr/bin/python3
"""conformance/sample_index.py: write a small synthetic conformance run.

Usage: sample_index.py OUTDIR

Writes OUTDIR/index.json (format 1, the schema conformance/run.py writes)
and the log files it names under OUTDIR/logs/, for the report generator's
tests (bats/report.bats). The sample is fixed (no clock, no randomness):

  - two protocols: btc (4 cases) and noise (4 cases);
  - four targets: bcoin and bitcoind (btc; bitcoind is "missing", so all its
    results are Missing), flynn and dissononce (noise);
  - every outcome word: Pass, Non-strict, Fail, Info, Unimplemented, Missing;
  - text that needs escaping in every output (< > & " ' | # and a newline)
    and a JSON Lines log with one line that is not JSON;
  - one result without a log file, and one cell without a result (flynn has
    none for CF-NN-004), which the matrices show as "-";
  - a log line with a <script> element, which no page may carry unescaped.

Standard library only.
"""

import json
import os
import sys

RUN = {
    "started": "2026-11-22T04:10:00Z",
    "finished": "2026-11-22T04:11:23Z",
    "duration_s": 83.2,
    "peershake": "0.1.0",
    "host": "sample-host (Debian 12, x86_64)",
}

TARGETS = [
    {"name": "bcoin", "protocol": "btc", "version": "bcoin 1.0.2 (npm)",
     "roles": ["responder", "initiator"], "status": "ok", "reason": ""},
    {"name": "bitcoind", "protocol": "btc", "version": "",
     "roles": ["responder", "initiator"], "status": "missing",
     "reason": "no bitcoind: set BITCOIND or put bitcoind on PATH"},
    {"name": "flynn", "protocol": "noise",
     "version": "flynn/noise 1.0.0 (golang-github-flynn-noise-dev 1.0.0-2)",
     "roles": ["responder", "initiator"], "status": "ok", "reason": ""},
    {"name": "dissononce", "protocol": "noise",
     "version": "dissononce 0.34.3 (python3-dissononce 0.34.3-3)",
     "roles": ["responder", "initiator"], "status": "ok", "reason": ""},
]

CASES = [
    {"id": "CF-V1-001", "protocol": "btc", "kind": "conformance", "role": "responder",
     "arrow": "-> version, <- version, <- verack, -> verack",
     "reference": "handshake completes, connection kept",
     "source": "Core net_processing.cpp: ProcessMessage(\"version\")",
     "expect": "handshake"},
    {"id": "CF-V1-002", "protocol": "btc", "kind": "conformance", "role": "initiator",
     "arrow": "<- version, -> version(31799), -> verack",
     "reference": "old version (< 31800) -> disconnect",
     "source": "Core net_processing.cpp: nVersion < MIN_PEER_PROTO_VERSION",
     "expect": "disconnect"},
    {"id": "RS-V1-001", "protocol": "btc", "kind": "resistance", "role": "responder",
     "arrow": "-> ping (before version)",
     "reference": "ignored | no reply & no ban; handshake still possible",
     "source": "Core net_processing.cpp: \"non-version message before version handshake\"",
     "expect": "ignored"},
    {"id": "RS-V1-002", "protocol": "btc", "kind": "resistance", "role": "responder",
     "arrow": "-> version, -> version # duplicate",
     "reference": "second version ignored, <- verack once",
     "source": "Core net_processing.cpp: \"redundant version message from peer\"",
     "expect": "ignored"},
    {"id": "CF-NN-001", "protocol": "noise", "kind": "conformance", "role": "responder",
     "arrow": "-> e, <- e, ee, s?, psk",
     "reference": "NNpsk2 completes; transport messages decrypt",
     "source": "Noise spec rev 34, section 9 (pre-shared symmetric keys)",
     "expect": "handshake"},
    {"id": "CF-NN-002", "protocol": "noise", "kind": "conformance", "role": "initiator",
     "arrow": "<- e, ee, psk (wrong PSK)",
     "reference": "decrypt fails -> abort",
     "source": "Noise spec rev 34, section 5.2 (DecryptAndHash)",
     "expect": "abort"},
    {"id": "CF-NN-003", "protocol": "noise", "kind": "conformance", "role": "responder",
     "arrow": "-> e (payload 65535 bytes)",
     "reference": "message > 65535 bytes rejected",
     "source": "Noise spec rev 34, section 3 (message format)",
     "expect": "abort"},
    {"id": "CF-NN-004", "protocol": "noise", "kind": "conformance", "role": "initiator",
     "arrow": "<- e, ee, psk, -> transport(nonce reused)",
     "reference": "replayed nonce -> decrypt fails, abort",
     "source": "Noise spec rev 34, section 5.1 (CipherState nonces)",
     "expect": "abort"},
]

# (target, case, outcome, observed, duration_ms, note, log?)
RESULTS = [
    ("bcoin", "CF-V1-001", "Pass", "handshake", 41, "", True),
    ("bcoin", "CF-V1-002", "Fail", "handshake", 57,
     "bcoin accepts version 31799 <MIN_PEER_PROTO_VERSION> & keeps the \"peer\"", True),
    ("bcoin", "RS-V1-001", "Non-strict", "ignored, <- reject", 33,
     "sends reject(ping) | Core stays silent", True),
    ("bcoin", "RS-V1-002", "Info", "disconnect", 29,
     "bcoin disconnects on a duplicate version; Core ignores it.\nRecorded, not judged.", True),
    ("bitcoind", "CF-V1-001", "Missing", "", 0, "", False),
    ("bitcoind", "CF-V1-002", "Missing", "", 0, "", False),
    ("bitcoind", "RS-V1-001", "Missing", "", 0, "", False),
    ("bitcoind", "RS-V1-002", "Missing", "", 0, "", False),
    ("flynn", "CF-NN-001", "Pass", "handshake", 12, "", True),
    ("flynn", "CF-NN-002", "Pass", "abort", 9, "", True),
    ("flynn", "CF-NN-003", "Unimplemented", "", 3,
     "shim exited 89: oversized messages not supported", True),
    ("dissononce", "CF-NN-001", "Pass", "handshake", 88, "", True),
    ("dissononce", "CF-NN-002", "Fail", "handshake", 91,
     "expected divergence? no: PSK mismatch went unnoticed", True),
    ("dissononce", "CF-NN-003", "Pass", "abort", 20, "", False),
    # flynn has no result for CF-NN-004: a gap the report shows as "-"
    ("dissononce", "CF-NN-004", "Pass", "abort", 15, "", True),
]


def btc_log(target, case, outcome, observed):
    """A JSON Lines log as the runner writes it, plus one raw (non-JSON) line."""
    ev = [
        {"t_ms": 0, "event": "connect", "target": target, "case": case["id"],
         "addr": "127.0.0.1:18444"},
        {"t_ms": 3, "dir": "->", "cmd": "version", "len": 102,
         "fields": {"version": 70016, "services": 1, "user_agent": "/peershake:0.1.0/"}},
        {"t_ms": 9, "dir": "<-", "cmd": "version", "len": 108,
         "fields": {"version": 70016, "user_agent": "/bcoin:1.0.2/"}},
        {"t_ms": 10, "dir": "<-", "cmd": "verack", "len": 0},
    ]
    lines = [json.dumps(e, separators=(",", ":")) for e in ev]
    lines.append("stderr: <bcoin> peer 127.0.0.1 said \"hello\" & left")
    lines.append(json.dumps({"t_ms": 40, "event": "verdict", "outcome": outcome,
                             "observed": observed}, separators=(",", ":")))
    return "\n".join(lines) + "\n"


def noise_log(target, case, outcome, observed):
    return (
        f"shim: {target} --role {case['role']} --port 40123 --psk psk.bin "
        f"--prologue 'peershake' --payload '<hello & bye>'\n"
        f"exit: {'89' if outcome == 'Unimplemented' else '0'}\n"
        f"stderr: {'UNIMPLEMENTED' if outcome == 'Unimplemented' else ''}\n"
        f"stdout: <script>alert('not escaped')</script>\n"
        f"observed: {observed}\n"
    )


def main(argv):
    if len(argv) != 2:
        print("usage: sample_index.py OUTDIR", file=sys.stderr)
        return 2
    out = argv[1]
    cases = {c["id"]: c for c in CASES}
    results = []
    for target, cid, outcome, observed, ms, note, has_log in RESULTS:
        case = cases[cid]
        log = ""
        if has_log:
            ext = "jsonl" if case["protocol"] == "btc" else "log"
            log = f"logs/{target}/{cid}.{ext}"
            path = os.path.join(out, log)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            make = btc_log if case["protocol"] == "btc" else noise_log
            with open(path, "w", encoding="utf-8") as f:
                f.write(make(target, case, outcome, observed))
        results.append({
            "target": target, "case": cid, "outcome": outcome,
            "expected": case["expect"], "observed": observed,
            "duration_ms": ms, "log": log, "note": note,
        })
    index = {"format": 1, "run": RUN, "targets": TARGETS, "cases": CASES,
             "results": results}
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "index.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
