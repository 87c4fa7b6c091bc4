#!/usr/bin/env bats
# --bug send=CMD@after-verack+MS on loopback: a ping MS milliseconds after
# the handshake, past the handshake deadline, while --linger keeps the
# connection; the ping's and pong's nonces in the --json log of both sides
# (and in the text log). Against peershake's own listener, and against
# pyv1peer (python-bitcoinlib), which reads the nonce off the wire itself:
# the log's nonce must be the one that went out.

load helpers

V1PEER=$PS_ROOT/conformance/lib/pyv1peer.py

setup() {
	[ -x "$PEERSHAKE" ] || skip "peershake is not built ($PEERSHAKE): cmake --preset debug && cmake --build --preset debug"
}

teardown() {
	ps_stop l1
	ps_stop py
}

# q JQ FILE-OR-STRING: jq -r over a log given as text
q() {
	jq -r "$1" <<<"$2"
}

@test "send=ping@after-verack+1500 with a 1 s deadline: the ping 1.5 s after the handshake, the pong with its nonce, the connection kept" {
	# the listener lingers longer than we do, so that our close (at the end
	# of our 3 s) reaches it before its own linger runs out: with equal
	# lingers the two ends race, and on a busy machine the listener closed first
	ps_listen l1 127.0.0.1:0 -n regtest --json --count 1 --linger 6000
	run --separate-stderr "$PEERSHAKE" -n regtest --json -t 1000 --linger 3000 \
		--bug send=ping@after-verack+1500 btc connect "127.0.0.1:$LISTEN_PORT"
	assert_success
	[ -z "$stderr" ]
	local log=$output
	# the handshake succeeded and nothing ended the connection afterwards:
	# no disconnect, no drop; we closed it, at the end of our linger
	[ "$(q 'select(.event=="result") | .result' "$log")" = SUCCESS ]
	[ "$(q 'select(.event=="disconnect" or .event=="dropped") | .event' "$log")" = "" ]
	[ "$(q 'select(.event=="closed") | .by' "$log")" = us ]
	[ "$(q 'select(.event=="closed") | .after_result_ms' "$log")" -ge 2900 ]
	# one ping, sent 1.5 s after the handshake (not before 1.4 s, within the linger)
	[ "$(q 'select(.event=="sent" and .command=="ping") | .t_ms' "$log" | wc -l)" -eq 1 ]
	local t_result t_ping t_pong nonce
	t_result=$(q 'select(.event=="result") | .t_ms' "$log")
	t_ping=$(q 'select(.event=="sent" and .command=="ping") | .t_ms' "$log")
	t_pong=$(q 'select(.event=="recv" and .command=="pong") | .t_ms' "$log")
	echo "result at $t_result ms, ping at $t_ping ms, pong at $t_pong ms"
	[ $((t_ping - t_result)) -ge 1400 ]
	[ $((t_ping - t_result)) -lt 2900 ]
	[ "$t_pong" -ge "$t_ping" ]
	# the ping's nonce, 0x and 16 hex digits, came back on the pong
	nonce=$(q 'select(.event=="sent" and .command=="ping") | .nonce' "$log")
	[[ $nonce =~ ^0x[0-9a-f]{16}$ ]]
	[ "$(q 'select(.event=="sent" and .command=="ping") | .length' "$log")" -eq 8 ]
	[ "$(q 'select(.event=="recv" and .command=="pong") | .nonce' "$log")" = "$nonce" ]
	# no other event carries a nonce field (the version's and result's are their own)
	[ "$(q 'select((.event=="sent" or .event=="recv") and .command!="ping" and .command!="pong" and has("nonce")) | .command' "$log")" = "" ]
	# the listener took the same ping, answered with the same nonce, and
	# saw no disconnect either
	ps_wait_exit l1 10
	[ "$(cat "$BATS_TEST_TMPDIR/l1.status")" -eq 0 ]
	local llog
	llog=$(cat "$BATS_TEST_TMPDIR/l1.out")
	[ "$(q 'select(.event=="result") | .result' "$llog")" = SUCCESS ]
	[ "$(q 'select(.event=="recv" and .command=="ping") | .nonce' "$llog")" = "$nonce" ]
	[ "$(q 'select(.event=="sent" and .command=="pong") | .nonce' "$llog")" = "$nonce" ]
	[ "$(q 'select(.event=="disconnect") | .event' "$llog")" = "" ]
	[ "$(q 'select(.event=="closed") | .by' "$llog")" = peer ]
}

@test "the nonce in the log is the one on the wire: pyv1peer reads our delayed ping and pongs it" {
	[ -x "$PS_PYTHON" ] || skip "$PS_PYTHON is not installed"
	"$PS_PYTHON" -c 'import bitcoin' 2>/dev/null || skip "python3-bitcoinlib is not installed"
	local dir=$BATS_TEST_TMPDIR
	"$PS_PYTHON" "$V1PEER" --listen 127.0.0.1:0 --network regtest --ready-file "$dir/py.port" \
		--pid-file "$dir/py.pid" --timeout-ms 10000 --linger-ms 2000 >"$dir/py.out" 2>"$dir/py.err" &
	ps_wait_file "$dir/py.port" 10
	run --separate-stderr "$PEERSHAKE" -n regtest --json -t 1000 --linger 1500 \
		--bug send=ping@after-verack+400 btc connect "127.0.0.1:$(cat "$dir/py.port")"
	assert_success
	local log=$output nonce
	nonce=$(q 'select(.event=="sent" and .command=="ping") | .nonce' "$log")
	[[ $nonce =~ ^0x[0-9a-f]{16}$ ]]
	# python-bitcoinlib's peer logs the nonce it read as a decimal integer
	# (read with Python: jq's numbers are doubles, a 64-bit nonce is not)
	ps_wait_exit py 10
	local theirs
	theirs=$("$PS_PYTHON" -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "recv" and e.get("command") == "ping":
        print("0x%016x" % e["nonce"])
' "$dir/py.out")
	[ -n "$theirs" ] || { cat "$dir/py.out" "$dir/py.err"; false; }
	[ "$theirs" = "$nonce" ]
	[ "$(q 'select(.event=="recv" and .command=="pong") | .nonce' "$log")" = "$nonce" ]
	[ $(($(q 'select(.event=="sent" and .command=="ping") | .t_ms' "$log") - $(q 'select(.event=="result") | .t_ms' "$log"))) -ge 350 ]
}

@test "text log: the nonce as nonce=0x..." {
	ps_listen l1 127.0.0.1:0 -n regtest --count 1 --linger 1000
	run --separate-stderr "$PEERSHAKE" -n regtest -v --linger 600 \
		--bug send=ping@after-verack+100 btc connect "127.0.0.1:$LISTEN_PORT"
	assert_success
	assert_line --regexp "^  127\.0\.0\.1:$LISTEN_PORT -> ping \(8 bytes\) nonce=0x[0-9a-f]{16}\$"
	assert_line --regexp "^  127\.0\.0\.1:$LISTEN_PORT <- pong \(8 bytes\) nonce=0x[0-9a-f]{16}\$"
	local a b
	a=$(sed -nE 's/.* -> ping \(8 bytes\) nonce=(0x[0-9a-f]+)$/\1/p' <<<"$output")
	b=$(sed -nE 's/.* <- pong \(8 bytes\) nonce=(0x[0-9a-f]+)$/\1/p' <<<"$output")
	[ "$a" = "$b" ]
	refute_line --regexp ' -> verack .*nonce='
}

@test "a delay due after the linger: never sent; bad delays are usage errors" {
	ps_listen l1 127.0.0.1:0 -n regtest --json --count 1 --linger 1000
	run --separate-stderr "$PEERSHAKE" -n regtest --json --linger 200 \
		--bug send=ping@after-verack+800 btc connect "127.0.0.1:$LISTEN_PORT"
	assert_success
	[ "$(q 'select(.event=="sent" and .command=="ping") | .command' "$output")" = "" ]
	[ "$(q 'select(.event=="closed") | .by' "$output")" = us ]
	local spec
	for spec in ping@after-verack+0 ping@after-verack+abc ping@after-verack+600001 \
		ping@before-version+5 ping@before-verack+5; do
		run --separate-stderr "$PEERSHAKE" -n regtest --bug "send=$spec" btc connect 127.0.0.1:1
		[ "$status" -eq 2 ]
		[ "$(wc -l <<<"$stderr")" -eq 1 ]
		[[ $stderr == "peershake: bad --bug send=$spec: "* ]]
	done
}
