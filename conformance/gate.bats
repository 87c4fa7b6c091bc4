#!/usr/bin/env bats
# The conformance gate, quick subset (conformance/quick.txt): every target,
# both roles, through conformance/run.py; no result may be Fail, and every
# report format must be written. ci/conformance runs the whole catalogue.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

setup_file() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	export ROOT
	PEERSHAKE=${PEERSHAKE:-$ROOT/build/release/peershake}
	export PEERSHAKE
	OUT=$BATS_FILE_TMPDIR/gate
	export OUT
	[ -x "$ROOT/build/conformance/flynn-shim" ] ||
		PS_BUILD_DIR="$ROOT/build" "$ROOT/conformance/noise/build" >&2
	/usr/bin/python3 "$ROOT/conformance/run.py" --quick --out "$OUT" --peershake "$PEERSHAKE" \
		>"$BATS_FILE_TMPDIR/run.log" 2>&1 3>&- || true
	/usr/bin/python3 "$ROOT/conformance/report.py" "$OUT" >"$BATS_FILE_TMPDIR/report.log" 2>&1 || true
	# the cases whose switches peershake does not list yet (the v2 switches
	# conformance/README.md announces): run them, they must all come back
	# Unimplemented
	known=$("$PEERSHAKE" --list-bugs | awk 'NR > 1 {print $1}' | sed 's/=.*//')
	PENDING_IDS=""
	while IFS= read -r line; do
		for b in $(grep -oE -- '--bug [a-z0-9=@-]+' <<<"$line" | awk '{print $2}' | sed 's/=.*//'); do
			grep -qx -- "$b" <<<"$known" || { PENDING_IDS="$PENDING_IDS ${line%% *}"; break; }
		done
	done < <(grep -E '^(CF|RS)-' "$ROOT/conformance/cases.txt")
	export PENDING_IDS
	if [ -n "$PENDING_IDS" ]; then
		re="^($(tr ' ' '\n' <<<"$PENDING_IDS" | sed '/^$/d' | paste -sd'|'))$"
		/usr/bin/python3 "$ROOT/conformance/run.py" --cases "$re" --targets pyv2peer,peershake-btc-v2 \
			--out "$BATS_FILE_TMPDIR/pending" --peershake "$PEERSHAKE" >"$BATS_FILE_TMPDIR/pending.log" 2>&1 3>&- || true
	fi
}

@test "the catalogue parses: at least 60 Bitcoin and 25 Noise cases, unique IDs, every field, every case's messages" {
	run /usr/bin/python3 - "$ROOT/conformance" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from psconf import catalogue
cases = catalogue.load_cases()
catalogue.load_quick(cases=cases)
btc = [c for c in cases if c.protocol == "btc"]
noise = [c for c in cases if c.protocol == "noise"]
assert len(btc) >= 60 and len(noise) >= 25, (len(btc), len(noise))
for c in cases:
    assert c.id[:3] in ("CF-", "RS-") and c.arrow and c.expect and c.reference and c.source, c.id
    assert c.msgs.recv and (c.protocol == "btc" or c.msgs.tester), c.id
print(len(btc), len(noise))
PY
	assert_success
}

@test "every switch a case uses is one peershake knows, or a v2 switch conformance/README.md announces" {
	run "$PEERSHAKE" --list-bugs
	assert_success
	[ "${#lines[@]}" -ge 30 ]
	known=$(printf '%s\n' "${lines[@]}" | awk '{print $1}' | sed 's/=.*//')
	announced=$(sed -n '/^<!-- v2-switches -->/,/^<!-- \/v2-switches -->/p' "$ROOT/conformance/README.md" |
		grep -oE '^\| `[a-z0-9-]+' | sed 's/^| `//')
	[ -n "$announced" ]
	for b in $(grep -oE -- '--bug [a-z0-9=@-]+' "$ROOT/conformance/cases.txt" | awk '{print $2}' | sed 's/=.*//' | sort -u); do
		grep -qx -- "$b" <<<"$known" && continue
		grep -qx -- "$b" <<<"$announced" || { echo "unknown switch $b (neither peershake --list-bugs nor README.md)"; false; }
	done
}

@test "a case whose switch peershake lacks is Unimplemented with the reason, never run, never a Pass" {
	[ -n "$PENDING_IDS" ] || skip "peershake knows every switch the cases use"
	cat "$BATS_FILE_TMPDIR/pending.log"
	n=$(wc -w <<<"$PENDING_IDS")
	# each such case, against every target asked, is Unimplemented; against a
	# target that would run it the note names the switch, and nothing ran
	run jq -r --argjson n "$n" '[.results[] | select(.outcome != "Unimplemented")] | length' \
		"$BATS_FILE_TMPDIR/pending/index.json"
	assert_output 0
	run jq -r '.results[] | select(.target == "pyv2peer" or .target == "peershake-btc-v2") |
		select((.note | test("^the tester has no --bug ")) | not) | select(.note | test("v1-only|v1 only|serves v1 and v2") | not) |
		"\(.target) \(.case): \(.note)"' "$BATS_FILE_TMPDIR/pending/index.json"
	assert_output ""
	run jq -r '[.results[] | select(.target == "pyv2peer") | .case] | length' "$BATS_FILE_TMPDIR/pending/index.json"
	assert_output "$n"
	run jq -e 'all(.results[]; .log == "" and .actual == "not run")' "$BATS_FILE_TMPDIR/pending/index.json"
	assert_success
}

@test "quick gate: every target, no Fail" {
	cat "$BATS_FILE_TMPDIR/run.log"
	[ -f "$OUT/index.json" ]
	run jq -r '.results[] | select(.outcome=="Fail") | "\(.target) \(.case): \(.note)\n  Expected: \(.expectation)\n  Actual: \(.actual)"' "$OUT/index.json"
	assert_output ""
	# every target with a status, every case of its protocol with a result
	run jq -e '[.targets[].name] | length >= 10' "$OUT/index.json"
	assert_success
	run jq -e '(.results | length) > 0 and all(.results[]; .outcome as $o | ["Pass","Non-strict","Info","Unimplemented","Missing"] | index($o))' "$OUT/index.json"
	assert_success
	# every result says what was expected and what was received
	run jq -e 'all(.results[]; (.expectation | length) > 0 and (.actual | length) > 0 and (.violations | type) == "array")' "$OUT/index.json"
	assert_success
}

@test "the reports: Markdown matrix, index.json, JUnit XML, TAP, HTML with a page per result" {
	for f in matrix.md index.json junit.xml results.tap html/index.html; do
		[ -s "$OUT/$f" ] || { echo "missing $f"; false; }
	done
	n=$(jq '[.results[] | select(.log != "")] | length' "$OUT/index.json")
	pages=$(find "$OUT/html" -mindepth 2 -name '*.html' | wc -l)
	[ "$pages" -ge "$n" ]
	/usr/bin/python3 -c "import xml.etree.ElementTree as E, sys; E.parse(sys.argv[1])" "$OUT/junit.xml"
	head -n1 "$OUT/results.tap" | grep -q '^TAP version 13'
}
