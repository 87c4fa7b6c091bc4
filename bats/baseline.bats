#!/usr/bin/env bats
# The baseline gate for real (conformance/README.md, "Baselines"): a clean
# run of a small selection (peershake-btc and pyv1peer, CF-V1-001..005, both
# started by run.py on loopback) writes a baseline; the same run against it
# passes; a target whose behaviour is altered (pyv1peer's config in a copy of
# conformance/targets, passed with --targets-dir) fails the gate with exit 1
# and the changed case in the table. Each run takes about a second.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

setup_file() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	export ROOT
	# the release build, as conformance/gate.bats and run.py's default
	PEERSHAKE=${PEERSHAKE:-$ROOT/build/release/peershake}
	export PEERSHAKE
	BASE=$BATS_FILE_TMPDIR/baseline.json
	FIRST=$BATS_FILE_TMPDIR/first
	export BASE FIRST
	/usr/bin/python3 "$ROOT/conformance/run.py" --targets peershake-btc,pyv1peer --cases 'CF-V1-00[1-5]' \
		--peershake "$PEERSHAKE" --out "$FIRST" --write-baseline "$BASE" \
		>"$BATS_FILE_TMPDIR/first.out" 2>"$BATS_FILE_TMPDIR/first.err" 3>&- ||
		echo $? >"$BATS_FILE_TMPDIR/first.rc"
}

# gate ARGS...: the selection, against the baseline, with ARGS; stdout and
# stderr apart (run --separate-stderr), fd 3 closed for the targets.
gate() {
	run --separate-stderr /usr/bin/python3 "$ROOT/conformance/run.py" \
		--targets peershake-btc,pyv1peer --cases 'CF-V1-00[1-5]' --peershake "$PEERSHAKE" "$@" 3>&-
}

# altered JQ: a copy of conformance/targets with pyv1peer.json run through jq
# JQ; prints the directory.
altered() {
	local d
	d=$(mktemp -d "$BATS_TEST_TMPDIR/targets.XXXXXX")
	cp "$ROOT"/conformance/targets/*.json "$d/"
	jq "$1" "$ROOT/conformance/targets/pyv1peer.json" >"$d/pyv1peer.json"
	echo "$d"
}

@test "a clean run writes the baseline: every result of its index.json, sorted, one a line" {
	cat "$BATS_FILE_TMPDIR/first.err"
	[ ! -f "$BATS_FILE_TMPDIR/first.rc" ] || fail "the clean run failed: exit $(cat "$BATS_FILE_TMPDIR/first.rc")"
	run grep -c '^run.py: wrote the baseline .* (10 results)$' "$BATS_FILE_TMPDIR/first.out"
	assert_output 1
	run jq -r '[.baseline, .peershake, .compares[0], (.results | length)] | join(" ")' "$BASE"
	assert_output "1 $("$PEERSHAKE" --version | awk '{print $NF}') outcome 10"
	# the same (target, case, outcome) as the run's index.json, sorted
	diff <(jq -r '.results[] | "\(.target) \(.case) \(.outcome) \(.observed)"' "$BASE") \
		<(jq -r '.results[] | "\(.target) \(.case) \(.outcome) \(.observed)"' "$FIRST/index.json" | sort)
	# the divergence the tests below alter: recorded, so Non-strict
	run jq -r '.results[] | select(.target == "pyv1peer" and .case == "CF-V1-004") | .outcome' "$BASE"
	assert_output Non-strict
	[ "$(grep -c '^  {"case": ' "$BASE")" -eq 10 ]
}

@test "the same run against its baseline passes, and against its index.json" {
	gate --out "$BATS_TEST_TMPDIR/o" --baseline "$BASE"
	assert_success
	assert_output --partial "10 results compared, none differs"
	[ -z "$stderr" ] || fail "stderr: $stderr"
	run jq -e '.baseline.differences == 0 and all(.results[]; .changed == false and .baseline != null)' \
		"$BATS_TEST_TMPDIR/o/index.json"
	assert_success
	gate --out "$BATS_TEST_TMPDIR/o2" --baseline "$FIRST/index.json"
	assert_success
	assert_output --partial "10 results compared, none differs"
}

@test "a divergence removed from pyv1peer's config fails the gate, exit 1, and the table names the case" {
	dir=$(altered 'del(.divergences["CF-V1-004"])')
	gate --out "$BATS_TEST_TMPDIR/o" --targets-dir "$dir" --baseline "$BASE"
	assert_failure 1
	echo "$stderr"
	grep -q '^run.py: BASELINE MISMATCH: 1 of 10 compared results differ from the baseline' <<<"$stderr"
	grep -qE '^\| case +\| target +\| before +\| after +\|$' <<<"$stderr"
	grep -qE '^\| CF-V1-004 \| pyv1peer \| Non-strict handshake \[recv\] \| Fail handshake \[recv\] +\|$' <<<"$stderr"
	[ "$(grep -c '^| CF-' <<<"$stderr")" -eq 1 ]
	# index.json records it; the reports mark that cell and no other
	run jq -r '.results[] | select(.changed) | "\(.target) \(.case) \(.baseline.outcome) \(.outcome)"' \
		"$BATS_TEST_TMPDIR/o/index.json"
	assert_output "pyv1peer CF-V1-004 Non-strict Fail"
	/usr/bin/python3 "$ROOT/conformance/report.py" "$BATS_TEST_TMPDIR/o" >/dev/null
	[ "$(grep -o ' (changed) |' "$BATS_TEST_TMPDIR/o/matrix.md" | wc -l)" -eq 1 ]
	grep -qE '^\| CF-V1-004 \|.*\| Fail \(changed\) \|$' "$BATS_TEST_TMPDIR/o/matrix.md"
	grep -q '^| CF-V1-004 | pyv1peer | Non-strict handshake \[recv\] | Fail handshake \[recv\] |$' \
		"$BATS_TEST_TMPDIR/o/matrix.md"
	run grep -o 'class="cell [a-z-]* changed" data-target="[^"]*" data-case="[^"]*"' \
		"$BATS_TEST_TMPDIR/o/html/index.html"
	assert_output 'class="cell o-fail changed" data-target="pyv1peer" data-case="CF-V1-004"'
}

@test "a divergence's outcome changed (Non-strict to Info: no Fail) is caught by the baseline alone" {
	dir=$(altered '.divergences["CF-V1-004"].outcome = "Info"')
	gate --out "$BATS_TEST_TMPDIR/o" --targets-dir "$dir"
	assert_success # without a baseline nothing fails: no result is a Fail
	gate --out "$BATS_TEST_TMPDIR/o2" --targets-dir "$dir" --baseline "$BASE"
	assert_failure 1
	echo "$stderr"
	run grep -c '^FAIL ' <<<"$stderr"
	assert_output 0
	grep -qE '^\| CF-V1-004 \| pyv1peer \| Non-strict handshake \[recv\] \| Info handshake \[recv\] +\|$' <<<"$stderr"
}

@test "a run of one target against the two-target baseline: the other's results are not compared" {
	run --separate-stderr /usr/bin/python3 "$ROOT/conformance/run.py" --targets peershake-btc --cases 'CF-V1-00[1-5]' \
		--role responder --peershake "$PEERSHAKE" --out "$BATS_TEST_TMPDIR/o" --baseline "$BASE" 3>&-
	assert_success
	assert_output --partial "5 results compared, none differs; 5 baseline results not compared: their target or case is not selected in this run"
	# a case the baseline does not have is a difference (an extra result)
	gate --out "$BATS_TEST_TMPDIR/o2" --cases 'CF-V1-00[1-6]' --baseline "$BASE"
	assert_failure 1
	grep -qE '^\| CF-V1-006 \| peershake-btc \| \(no result\) +\| Pass ' <<<"$stderr"
}

@test "ci/conformance passes the selection through: --list-cases as run.py's, nothing built or run" {
	run "$ROOT/ci/conformance" --list-cases --targets pyv1peer --role initiator --cases '^CF-V1-06'
	assert_success
	want=$(/usr/bin/python3 "$ROOT/conformance/run.py" --list-cases --targets pyv1peer --role initiator --cases '^CF-V1-06')
	assert_output "$want"
	[ "${#lines[@]}" -ge 5 ]
	run "$ROOT/ci/conformance" --help
	assert_success
	for opt in --baseline --write-baseline --role --list-cases; do
		assert_output --partial -- "$opt"
	done
}
