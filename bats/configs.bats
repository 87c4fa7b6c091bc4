#!/usr/bin/env bats
# A target of one's own as one config file (conformance/README.md, "Adding
# a target"): a directory given with --targets-dir, a config whose "run"
# block starts conformance/lib/pyv1peer.py (written here, not copied from
# targets/pyv1peer.json), run by run.py with no Python of its own; its
# outcomes are the managed pyv1peer target's, case by case. A config with
# an unknown placeholder is refused before anything runs, naming the file;
# one whose node cannot start is Missing with why. Loopback only.

load helpers

RUN=$PS_ROOT/conformance/run.py

setup() {
	[ -x "$PS_PYTHON" ] || skip "$PS_PYTHON is not installed"
	"$PS_PYTHON" -c 'import bitcoin' 2>/dev/null || skip "python3-bitcoinlib is not installed"
	RELEASE=$PS_ROOT/build/release/peershake
	[ -x "$RELEASE" ] || RELEASE=$PEERSHAKE
	[ -x "$RELEASE" ] || skip "peershake is not built"
	DIR=$BATS_TEST_TMPDIR/targets
	mkdir -p "$DIR"
}

# mypeer.json: pyv1peer, said by its run block alone, with pyv1peer's
# recorded divergences (the same implementation's); $1: the script the
# node's cmd runs
write_config() {
	cat >"$DIR/mypeer.json" <<JSON
{
  "name": "mypeer", "protocol": "btc", "roles": ["responder", "initiator"], "transport": "v1",
  "not_run": {"V2": "v1 only"}, "version": "", "protocol_version": 70016, "handshake_timeout_ms": 3000,
  "divergences": $(jq .divergences "$PS_ROOT/conformance/targets/pyv1peer.json"),
  "divergent_rules": $(jq .divergent_rules "$PS_ROOT/conformance/targets/pyv1peer.json"),
  "run": {
    "version": {"cmd": ["{python}", "-c", "import bitcoin; print(bitcoin.__version__)"], "format": "mine ({out})"},
    "node": {"cmd": ["{python}", "$1", "--network", "{network}", "{args}"],
             "port": {"file": "{dir}/port", "regex": "^(\\\\d+)"}, "start_timeout_s": 10},
    "responder": {"node": {"args": ["--listen", "127.0.0.1:0", "--timeout-ms", "{timeout_ms}",
                                    "--linger-ms", "10000", "--ready-file", "{dir}/port"]}},
    "initiator": {"outbound-full-relay": {"node": {"args": ["--connect", "{peer}", "--timeout-ms", "10000",
                                                            "--linger-ms", "10000"], "port": "0"}}}
  }
}
JSON
}

# outcomes OUT TARGET: "case outcome" lines of index.json for TARGET
outcomes() {
	jq -r --arg t "$2" '.results[] | select(.target == $t) | "\(.case) \(.outcome)"' "$1/index.json" | sort
}

@test "a config of one's own in --targets-dir: started from its run block, the managed pyv1peer's outcomes" {
	write_config "$PS_ROOT/conformance/lib/pyv1peer.py"
	# 50-odd V1 cases: the responder ones from 001, the initiator ones 060-069
	local cases='^CF-V1-0([0-3][0-9]|6[0-9])$'
	run "$PS_PYTHON" "$RUN" --out "$BATS_TEST_TMPDIR/mine" --peershake "$RELEASE" --targets-dir "$DIR" \
		--targets mypeer --cases "$cases"
	echo "$output" | tail -5
	run "$PS_PYTHON" "$RUN" --out "$BATS_TEST_TMPDIR/theirs" --peershake "$RELEASE" --targets pyv1peer \
		--cases "$cases"
	local mine theirs
	mine=$(outcomes "$BATS_TEST_TMPDIR/mine" mypeer)
	theirs=$(outcomes "$BATS_TEST_TMPDIR/theirs" pyv1peer)
	echo "mine:"; echo "$mine"; echo "theirs:"; echo "$theirs"
	[ "$(wc -l <<<"$mine")" -ge 45 ]
	[ "$mine" = "$theirs" ]
	# the initiator cases ran: a fresh node dialled our listener
	grep -q '^CF-V1-063 Non-strict$' <<<"$mine"
	# its version is what its run block said, and nothing it started is left
	[[ $(jq -r '.targets[0].version' "$BATS_TEST_TMPDIR/mine/index.json") == "mine ("* ]]
	# Missing: only the self case (no "self" in its run block), with the reason
	[ "$(jq -r '.results[] | select(.outcome == "Missing") | "\(.case): \(.note)"' "$BATS_TEST_TMPDIR/mine/index.json")" = \
		"CF-V1-068: mypeer's config says nothing of dialling itself (no \"self\" in its \"run\" block)" ]
}

@test "a config with an unknown placeholder is refused before anything runs; a case whose node cannot start fails with why" {
	write_config "$PS_ROOT/conformance/lib/pyv1peer.py"
	sed -i 's/{timeout_ms}/{timeout}/' "$DIR/mypeer.json"
	run --separate-stderr "$PS_PYTHON" "$RUN" --out "$BATS_TEST_TMPDIR/bad" --peershake "$RELEASE" \
		--targets-dir "$DIR" --targets mypeer --cases '^CF-V1-001$'
	[ "$status" -eq 2 ]
	[[ $stderr == *"mypeer.json"*"unknown placeholder {timeout}"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/bad/index.json" ]
	# a script that is not there: the case's node exits before it has a
	# port, and the case fails saying so, with the node's output
	write_config "$BATS_TEST_TMPDIR/no-such-script.py"
	run "$PS_PYTHON" "$RUN" --out "$BATS_TEST_TMPDIR/gone" --peershake "$RELEASE" --targets-dir "$DIR" \
		--targets mypeer --cases '^CF-V1-001$'
	local out
	out=$(jq -r '.results[] | "\(.outcome): \(.actual)"' "$BATS_TEST_TMPDIR/gone/index.json")
	echo "$out"
	[[ $out == "Fail: "*"runner-error: mypeer responder: no port in"*"no-such-script.py"* ]]
}
