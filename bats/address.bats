#!/usr/bin/env bats
# The conformance suite against what the user runs (issue 13, "Done when"):
# a bcoin this file starts by hand, tested as `run.py --target
# btc=127.0.0.1:PORT --initiator-cmd ...`, gives case by case the outcomes
# of the managed bcoin target over the same cases; a Noise shim passed by
# path (`--target noise=build/conformance/flynn-shim`) those of the managed
# flynn target over every Noise case. The node is started exactly as the
# bcoin config's shared node starts (targets/bcoin.json "run": bcoin/start
# DIR -- --max-inbound=64: regtest, --memory=true, loopback, --only
# 127.0.0.1:1, room for the runner's cases at once);
# the address target is given bcoin.json's divergences (config=), as it
# has no config of its own. Loopback only.

load helpers

# Responder cases with and without bcoin's recorded divergences, every V1
# initiator case and the self case (CF-V1-068), two V2 cases (bcoin's
# not_run: Unimplemented).
CASES='^(CF-V1-0(0[1-9]|1[0-3]|2[7-9]|5[56]|6[0-9]|7[0-2])|RS-V1-0(0[1-9]|1[49]|2[0-4]|6[0-8])|CF-V2-001|RS-V2-001)$'

# Bats 1.8 cannot skip from setup_file: it says why in SKIP_WHY (no tester:
# every test skips, in setup) and BCOIN_WHY (no bcoin: the bcoin tests skip).
setup_file() {
	TESTER=$PS_ROOT/build/release/peershake
	local cache=${PS_CACHE:-$HOME/.cache/peershake}/bcoin
	SKIP_WHY="" BCOIN_WHY=""
	[ -x "$TESTER" ] || SKIP_WHY="no $TESTER (cmake --preset release && cmake --build --preset release)"
	if ! [ -f "$cache/.peershake-installed" ] || ! [ -d "$cache/node_modules/bcoin" ] ||
		! command -v node >/dev/null; then
		BCOIN_WHY="bcoin is not installed: conformance/bcoin/install (ci/test runs it)"
	fi
	export TESTER SKIP_WHY BCOIN_WHY
	[ -z "$SKIP_WHY" ] || return 0
	[ -x "$PS_ROOT/build/conformance/flynn-shim" ] ||
		PS_BUILD_DIR="$PS_ROOT/build" "$PS_ROOT/conformance/noise/build" >&2

	local t0=$SECONDS
	run_py shim --target "noise=build/conformance/flynn-shim" --cases '^CF-NN-'
	run_py flynn --targets flynn --cases '^CF-NN-'
	[ -z "$BCOIN_WHY" ] || return 0

	NODE=$BATS_FILE_TMPDIR/node
	export NODE
	"$PS_ROOT/conformance/bcoin/start" "$NODE" -- --max-inbound=64 >&2 3>&-
	# shellcheck disable=SC1091
	. "$NODE/ports"
	export BCOIN_PORT BCOIN_PID
	SPEC=btc=127.0.0.1:$BCOIN_PORT
	export SPEC
	CONNECT="/usr/bin/python3 $PS_ROOT/conformance/lib/bcoin_connect.py --dir $NODE {host}:{port}"
	export CONNECT

	run_py address --target "$SPEC,config=$PS_ROOT/conformance/targets/bcoin.json" \
		--initiator-cmd "$CONNECT" --cases "$CASES"
	run_py managed --targets bcoin --cases "$CASES"
	echo "# address.bats: the four runs took $((SECONDS - t0)) s" >&3
}

setup() {
	[ -z "$SKIP_WHY" ] || skip "$SKIP_WHY"
}

need_bcoin() {
	[ -z "$BCOIN_WHY" ] || skip "$BCOIN_WHY"
}

teardown_file() {
	[ -n "${NODE:-}" ] && [ -e "$NODE/bcoin.pid" ] && "$PS_ROOT/conformance/bcoin/stop" "$NODE" >&2 || true
}

# run_py NAME ARGS...: conformance/run.py ARGS into $BATS_FILE_TMPDIR/NAME,
# from the repository (the shim's relative path), its exit status in NAME.rc.
run_py() {
	local name=$1 rc=0
	shift
	(cd "$PS_ROOT" && /usr/bin/python3 conformance/run.py --peershake "$TESTER" --out "$BATS_FILE_TMPDIR/$name" "$@") \
		>"$BATS_FILE_TMPDIR/$name.log" 2>&1 3>&- || rc=$?
	echo "$rc" >"$BATS_FILE_TMPDIR/$name.rc"
}

# outcomes NAME: "CASE OUTCOME" per result, in case order.
outcomes() {
	jq -r '.results[] | "\(.case) \(.outcome)"' "$BATS_FILE_TMPDIR/$1/index.json"
}

@test "--target btc=127.0.0.1:PORT against a hand-started bcoin: the managed bcoin target's outcomes, case by case" {
	need_bcoin
	cat "$BATS_FILE_TMPDIR/address.log"
	[ "$(cat "$BATS_FILE_TMPDIR/address.rc")" -eq 0 ]
	[ "$(cat "$BATS_FILE_TMPDIR/managed.rc")" -eq 0 ]
	run jq -r '[.results[].target] | unique | join(" ")' "$BATS_FILE_TMPDIR/address/index.json"
	assert_output "$SPEC"
	run jq -r '[.results[].target] | unique | join(" ")' "$BATS_FILE_TMPDIR/managed/index.json"
	assert_output "bcoin"
	diff -u <(outcomes managed) <(outcomes address)
	# the selection: 58 cases (36 responder, 21 initiator, the self case),
	# every one run (no Missing)
	run outcomes address
	[ "${#lines[@]}" -eq 58 ]
	refute_output --partial Missing
	run jq -r '[.cases[].role] | unique | join(" ")' "$BATS_FILE_TMPDIR/address/index.json"
	assert_output "initiator responder self"
}

@test "the address target's record: its name as given, bcoin's user agent from its version, nothing started or stopped there" {
	need_bcoin
	run jq -r '.targets[] | "\(.name)|\(.address)|\(.version)|\(.status)|\(.initiator)"' \
		"$BATS_FILE_TMPDIR/address/index.json"
	assert_output "$SPEC|127.0.0.1:$BCOIN_PORT|/bcoin:v1.0.2/ (protocol 70015)|ok|--initiator-cmd"
	/usr/bin/python3 "$PS_ROOT/conformance/report.py" "$BATS_FILE_TMPDIR/address" >/dev/null
	run grep -F "| $SPEC | btc | /bcoin:v1.0.2/ (protocol 70015) |" "$BATS_FILE_TMPDIR/address/matrix.md"
	assert_success
	# the node this file started is still the one running: the run stopped nothing
	ps_pid_alive "$BCOIN_PID"
	[ "$(cat "$NODE/bcoin.pid")" = "$BCOIN_PID" ]
	# and it is what the initiator cases reached: it dialled our listeners
	run grep -cE 'Connecting to 127\.0\.0\.1:[0-9]{2,}\.' "$NODE/debug.log"
	[ "$output" -ge 22 ]
}

@test "--target noise=SHIM by path: the managed flynn target's outcomes over every Noise case" {
	[ "$(cat "$BATS_FILE_TMPDIR/shim.rc")" -eq 0 ]
	diff -u <(outcomes flynn) <(outcomes shim)
	run outcomes shim
	[ "${#lines[@]}" -eq "$(grep -c '^CF-NN-' "$PS_ROOT/conformance/cases.txt")" ]
	run jq -r '.targets[] | "\(.name)|\(.status)"' "$BATS_FILE_TMPDIR/shim/index.json"
	assert_output "noise=build/conformance/flynn-shim|ok"
	# its version is what the shim says of itself, as the managed target's
	[ "$(jq -r '.targets[0].version' "$BATS_FILE_TMPDIR/shim/index.json")" = \
		"$(jq -r '.targets[0].version' "$BATS_FILE_TMPDIR/flynn/index.json")" ]
}

@test "without --initiator-cmd the initiator cases are Missing with the reason; a failing command, with its stderr" {
	need_bcoin
	run_py nocmd --target "$SPEC" --cases '^CF-V1-00[12]$|^CF-V1-06[01]$'
	run jq -r '.results[] | "\(.case) \(.outcome) \(.note)"' "$BATS_FILE_TMPDIR/nocmd/index.json"
	assert_line --index 2 --regexp "^CF-V1-060 Missing no --initiator-cmd: nothing makes $SPEC connect to us"
	assert_line --index 3 --regexp "^CF-V1-061 Missing no --initiator-cmd"
	refute_line --index 0 --partial Missing
	run_py badcmd --target "$SPEC" --cases '^CF-V1-060$' --initiator-cmd 'echo "node says no" >&2; exit 5'
	[ "$(cat "$BATS_FILE_TMPDIR/badcmd.rc")" -eq 0 ]
	run jq -r '.results[] | "\(.outcome) \(.note)"' "$BATS_FILE_TMPDIR/badcmd/index.json"
	assert_output --regexp '^Missing --initiator-cmd for 127\.0\.0\.1:[0-9]+ exited 5: node says no$'
}

@test "a port nobody listens on, a bad address, a shim that is not executable: exit 2 and why" {
	local port
	port=$(ps_free_port)
	run_py dead --target "btc=127.0.0.1:$port"
	[ "$(cat "$BATS_FILE_TMPDIR/dead.rc")" -eq 2 ]
	run cat "$BATS_FILE_TMPDIR/dead.log"
	assert_output "run.py: --target 'btc=127.0.0.1:$port': nothing accepts a TCP connection at 127.0.0.1:$port (Connection refused)"
	run_py badaddr --target "btc=127.0.0.1"
	[ "$(cat "$BATS_FILE_TMPDIR/badaddr.rc")" -eq 2 ]
	run_py badshim --target "noise=conformance/README.md"
	[ "$(cat "$BATS_FILE_TMPDIR/badshim.rc")" -eq 2 ]
	run cat "$BATS_FILE_TMPDIR/badshim.log"
	assert_output --partial "is not an executable file"
}
