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

@test "every switch a case uses is one peershake knows" {
	run "$PEERSHAKE" --list-bugs
	assert_success
	[ "${#lines[@]}" -ge 30 ]
	known=$(printf '%s\n' "${lines[@]}" | awk '{print $1}' | sed 's/=.*//')
	for b in $(grep -oE -- '--bug [a-z0-9=@-]+' "$ROOT/conformance/cases.txt" | awk '{print $2}' | sed 's/=.*//' | sort -u); do
		grep -qx "$b" <<<"$known" || { echo "unknown switch $b"; false; }
	done
}

@test "quick gate: every target, no Fail" {
	cat "$BATS_FILE_TMPDIR/run.log"
	[ -f "$OUT/index.json" ]
	run jq -r '.results[] | select(.outcome=="Fail") | "\(.target) \(.case): \(.note)\n  Expected: \(.expectation)\n  Actual: \(.actual)"' "$OUT/index.json"
	assert_output ""
	# every target with a status, every case of its protocol with a result
	run jq -e '[.targets[].name] | length >= 7' "$OUT/index.json"
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
