#!/usr/bin/env bats
# BIP324 v2 on the command line, on loopback: btc connect --v2transport 1 and
# btc listen against the independent Python v2 peer (conformance/lib/pyv2peer.py,
# on vectors/bip324_oracle.py) both ways and against peershake itself, the same
# session id on both sides; garbage 0 and 4095; a listener serving a v1 and a v2
# peer at once; --v2transport auto against a v1-only listener (one retry, then
# v1); a v1 first message other than version meeting a v2 listener; the usage
# errors. Every process is stopped by its PID, every wait is bounded.

load helpers

PY=/usr/bin/python3
V2PEER=$PS_ROOT/conformance/lib/pyv2peer.py
HEX64='^[0-9a-f]{64}$'

teardown() {
	for p in "$BATS_TEST_TMPDIR"/*.pid; do
		[ -e "$p" ] && ps_stop_pid "$p" 5 || true
	done
}

# pyv2_listen ARGS...: pyv2peer --listen 127.0.0.1:0 in the background (output in
# py.out, pid in py.pid); sets PY_PORT once it listens. It lingers 300 ms after
# its handshake: a peershake whose peer closes in the same turn as the peer's
# verack reports no session id (its transport has ended before the result).
pyv2_listen() {
	local dir=$BATS_TEST_TMPDIR
	rm -f "$dir/py.port"
	"$PY" "$V2PEER" --listen 127.0.0.1:0 --ready-file "$dir/py.port" --timeout-ms 10000 --linger-ms 300 "$@" \
		>"$dir/py.out" 2>"$dir/py.err" 3>&- &
	echo $! >"$dir/py.pid"
	ps_wait_file "$dir/py.port" 10
	PY_PORT=$(cat "$dir/py.port")
}

# q FILE JQ: the jq expression over the JSON lines of FILE (in the test's directory)
q() {
	jq -rc "$2" "$BATS_TEST_TMPDIR/$1"
}

# connect NAME ARGS...: peershake btc connect --json ARGS..., output in NAME.out,
# status in NAME.status (foreground, bounded by its own -t)
connect() {
	local name=$1 st=0
	shift
	"$PEERSHAKE" -n regtest --json --no-progress -t 5000 btc connect "$@" \
		>"$BATS_TEST_TMPDIR/$name.out" 2>"$BATS_TEST_TMPDIR/$name.err" || st=$?
	echo "$st" >"$BATS_TEST_TMPDIR/$name.status"
}

show() {
	for f in "$BATS_TEST_TMPDIR"/*.out "$BATS_TEST_TMPDIR"/*.err; do
		[ -e "$f" ] && { echo "--- ${f##*/}"; cat "$f"; }
	done
}

# the result line of a peershake log: "RESULT TRANSPORT SESSION_ID"
result_of() {
	q "$1" 'select(.event=="result") | "\(.result) \(.transport) \(.session_id)"'
}

@test "btc connect --v2transport 1 -> pyv2peer: v2, its key, garbage, version packet logged, the same session id both sides" {
	pyv2_listen --garbage-len 100
	connect c "127.0.0.1:$PY_PORT" --v2transport 1
	ps_wait_exit py 15
	[ "$(cat "$BATS_TEST_TMPDIR/c.status")" -eq 0 ] && [ "$(cat "$BATS_TEST_TMPDIR/py.status")" -eq 0 ] || { show; false; }
	read -r res transport sid <<<"$(result_of c.out)"
	[ "$res $transport" = "SUCCESS v2" ] || { show; false; }
	[[ $sid =~ $HEX64 ]]
	[ "$(q py.out 'select(.event=="success") | "\(.transport) \(.session_id)"')" = "v2 $sid" ]
	[ "$(q py.out 'select(.event=="v2_handshake") | .session_id')" = "$sid" ]
	# the peer's transport items, as peershake logs them: empty command, a note
	[ "$(q c.out 'select(.event=="recv" and .command=="") | "\(.note)/\(.length)"' | tr '\n' ' ')" = \
		"v2 key/64 v2 garbage and terminator/100 v2 version packet/0 " ]
	[ "$(q c.out 'select(.event=="connected") | .transport')" = v2 ]
	# NODE_P2P_V2 (1 << 11) announced with NETWORK|WITNESS, and counted
	[ "$(q py.out 'select(.event=="recv" and .command=="version") | .version.services')" = 2057 ]
	[ "$(q c.out 'select(.event=="summary") | "\(.transport_v2) \(.transport_v1) \(.advertise_p2p_v2)"')" = "1 0 1" ]
}

@test "pyv2peer -> btc listen: the listener tells v2 by the first bytes, the same session id both sides" {
	ps_listen l1 127.0.0.1:0 -n regtest --json --no-progress --count 1 -t 5000
	run "$PY" "$V2PEER" --connect "127.0.0.1:$LISTEN_PORT" --timeout-ms 10000 --garbage-len 7 --linger-ms 300
	assert_success
	echo "$output" >"$BATS_TEST_TMPDIR/pyc.out"
	ps_wait_exit l1 10
	[ "$(cat "$BATS_TEST_TMPDIR/l1.status")" -eq 0 ] || { show; false; }
	read -r res transport sid <<<"$(result_of l1.out)"
	[ "$res $transport" = "SUCCESS v2" ] || { show; false; }
	[[ $sid =~ $HEX64 ]]
	[ "$(q pyc.out 'select(.event=="success") | "\(.transport) \(.session_id)"')" = "v2 $sid" ]
	[ "$(q l1.out 'select(.event=="recv" and .note=="v2 garbage and terminator") | .length')" = 7 ]
}

@test "peershake -> peershake over v2, garbage 0 one way and 4095 the other, then reversed: the same session id" {
	for g in "0 4095" "4095 0"; do
		read -r gc gl <<<"$g"
		ps_listen l1 127.0.0.1:0 -n regtest --json --no-progress --count 1 -t 5000 --v2-garbage "$gl"
		# the connector lingers: a listener whose peer closes in the same turn as
		# its verack reports no session id (the transport has ended first)
		connect c "127.0.0.1:$LISTEN_PORT" --v2transport 1 --v2-garbage "$gc" --linger 300
		ps_wait_exit l1 10
		[ "$(cat "$BATS_TEST_TMPDIR/c.status")" -eq 0 ] && [ "$(cat "$BATS_TEST_TMPDIR/l1.status")" -eq 0 ] ||
			{ show; false; }
		read -r res transport sid <<<"$(result_of c.out)"
		[ "$res $transport" = "SUCCESS v2" ] || { show; false; }
		[[ $sid =~ $HEX64 ]]
		[ "$(result_of l1.out)" = "SUCCESS v2 $sid" ] || { show; false; }
		# each side found the other's garbage, of the length given
		[ "$(q c.out 'select(.event=="recv" and .note=="v2 garbage and terminator") | .length')" = "$gl" ]
		[ "$(q l1.out 'select(.event=="recv" and .note=="v2 garbage and terminator") | .length')" = "$gc" ]
		# our own transport bytes: key (64), garbage, terminator (16), an empty version packet (20)
		[ "$(q c.out 'select(.event=="sent" and .command=="") | .bytes' | awk '{s += $1} END {print s}')" -eq $((64 + gc + 36)) ]
		rm -f "$BATS_TEST_TMPDIR/l1.pid"
	done
}

@test "garbage 0 and 4095 as pyv2peer receives them, both roles" {
	for g in 0 4095; do
		pyv2_listen
		connect c "127.0.0.1:$PY_PORT" --v2transport 1 --v2-garbage "$g"
		ps_wait_exit py 15
		[ "$(q py.out 'select(.event=="v2_handshake") | .garbage_received')" = "$g" ] || { show; false; }
		[ "$(q py.out 'select(.event=="v2_handshake") | .session_id')" = "$(q c.out 'select(.event=="result") | .session_id')" ]
		ps_listen l1 127.0.0.1:0 -n regtest --json --no-progress --count 1 -t 5000 --v2-garbage "$g"
		run "$PY" "$V2PEER" --connect "127.0.0.1:$LISTEN_PORT" --timeout-ms 10000 --linger-ms 300
		assert_success
		echo "$output" >"$BATS_TEST_TMPDIR/pyc.out"
		ps_wait_exit l1 10
		[ "$(q pyc.out 'select(.event=="v2_handshake") | .garbage_received')" = "$g" ] || { show; false; }
		[ "$(q pyc.out 'select(.event=="v2_handshake") | .session_id')" = "$(q l1.out 'select(.event=="result") | .session_id')" ]
		rm -f "$BATS_TEST_TMPDIR/l1.pid" "$BATS_TEST_TMPDIR/py.pid"
	done
}

@test "btc listen serves a v1 and a v2 peer at once" {
	ps_listen l1 127.0.0.1:0 -n regtest --json --no-progress --count 2 -t 5000 --linger 1000
	connect c1 "127.0.0.1:$LISTEN_PORT" --v2transport 0 --linger 1000 &
	local j1=$!
	connect c2 "127.0.0.1:$LISTEN_PORT" --v2transport 1 --linger 1000 &
	local j2=$!
	wait "$j1" "$j2"
	ps_wait_exit l1 15
	[ "$(cat "$BATS_TEST_TMPDIR/c1.status") $(cat "$BATS_TEST_TMPDIR/c2.status") $(cat "$BATS_TEST_TMPDIR/l1.status")" = "0 0 0" ] ||
		{ show; false; }
	[ "$(result_of c1.out)" = "SUCCESS v1 null" ]
	read -r res transport sid <<<"$(result_of c2.out)"
	[ "$res $transport" = "SUCCESS v2" ] && [[ $sid =~ $HEX64 ]]
	# the listener: one result each, by the connector's port, both open at once
	p1=$(q c1.out 'select(.event=="connected") | .local')
	p2=$(q c2.out 'select(.event=="connected") | .local')
	[ "$(q l1.out "select(.event==\"result\" and .peer==\"$p1\") | \"\(.result) \(.transport)\"")" = "SUCCESS v1" ]
	[ "$(q l1.out "select(.event==\"result\" and .peer==\"$p2\") | \"\(.result) \(.transport) \(.session_id)\"")" = "SUCCESS v2 $sid" ]
	[ "$(q l1.out 'select(.event=="summary") | "\(.transport_v1) \(.transport_v2)"')" = "1 1" ]
	# the v2 peer's connection was accepted before the v1 peer's closed (the linger)
	t_close1=$(q l1.out "select(.event==\"closed\" and .peer==\"$p1\") | .t_ms")
	t_start2=$(q l1.out "select(.event==\"started\" and .peer==\"$p2\") | .t_ms")
	t_close2=$(q l1.out "select(.event==\"closed\" and .peer==\"$p2\") | .t_ms")
	t_start1=$(q l1.out "select(.event==\"started\" and .peer==\"$p1\") | .t_ms")
	[ "$t_start2" -lt "$t_close1" ] && [ "$t_start1" -lt "$t_close2" ] || { show; false; }
}

@test "--v2transport auto against a v1-only listener: one retry line, then SUCCESS over v1; the listener says v2-handshake first" {
	ps_listen l1 127.0.0.1:0 -n regtest --json --no-progress --count 1 -t 5000 --v2transport 0
	connect c "127.0.0.1:$LISTEN_PORT" --v2transport auto
	ps_wait_exit l1 10
	[ "$(cat "$BATS_TEST_TMPDIR/c.status")" -eq 0 ] || { show; false; }
	[ "$(q c.out 'select(.event=="retry")' | wc -l)" -eq 1 ]
	q c.out 'select(.event=="retry") | .reason' | grep -q 'closed before sending a v2 byte'
	[ "$(q c.out 'select(.event=="connected") | .transport' | tr '\n' ' ')" = "v2 v1 " ]
	[ "$(q c.out 'select(.event=="started") | .attempt // 0' | tr '\n' ' ')" = "0 1 " ]
	[ "$(q c.out 'select(.event=="result") | "\(.result) \(.transport)"')" = "SUCCESS v1" ]
	# the listener: the key refused, then the v1 handshake
	[ "$(q l1.out 'select(.event=="result") | "\(.result) \(.reason // "-")"' | tr '\n' ' ')" = "FAILED v2-handshake SUCCESS - " ]
	q l1.out 'select(.event=="result" and .result=="FAILED") | .detail' |
		grep -q 'v2-handshake: peer opened with a BIP324 key (v1 only here)'
	# a v1-only run announces no NODE_P2P_V2; the auto connector does
	[ "$(q c.out 'select(.event=="version") | .services')" = 0x0000000000000009 ]
	[ "$(q l1.out 'select(.event=="version") | .services')" = 0x0000000000000809 ]
}

@test "--v2transport auto against a v2 listener: v2 at once, no retry; --v2transport 1 against v1 only: no retry, FAILED" {
	ps_listen l1 127.0.0.1:0 -n regtest --json --no-progress --count 1 -t 5000
	connect c "127.0.0.1:$LISTEN_PORT" --v2transport auto
	ps_wait_exit l1 10
	[ "$(q c.out 'select(.event=="retry")' | wc -l)" -eq 0 ]
	[ "$(q c.out 'select(.event=="result") | "\(.result) \(.transport)"')" = "SUCCESS v2" ] || { show; false; }
	rm -f "$BATS_TEST_TMPDIR/l1.pid"
	ps_listen l2 127.0.0.1:0 -n regtest --json --no-progress -t 5000 --v2transport 0
	connect c2 "127.0.0.1:$LISTEN_PORT" --v2transport 1
	[ "$(cat "$BATS_TEST_TMPDIR/c2.status")" -eq 1 ] || { show; false; }
	[ "$(q c2.out 'select(.event=="retry")' | wc -l)" -eq 0 ]
	[ "$(q c2.out 'select(.event=="result") | "\(.result) \(.transport)"')" = "FAILED v2" ]
	ps_stop l2
}

@test "a v1 first message other than version meets a v2 listener: the key comes back, v2-handshake" {
	ps_listen l1 127.0.0.1:0 -n regtest --json --no-progress -t 5000
	connect c "127.0.0.1:$LISTEN_PORT" --bug verack-before-version
	[ "$(cat "$BATS_TEST_TMPDIR/c.status")" -eq 1 ] || { show; false; }
	[ "$(q c.out 'select(.event=="result") | "\(.result) \(.reason) \(.transport)"')" = "FAILED v2-handshake v1" ]
	q c.out 'select(.event=="result") | .detail' | grep -q 'peer answered with a BIP324 key'
	# the same v1 connector with version first is served over v1
	connect c2 "127.0.0.1:$LISTEN_PORT"
	[ "$(q c2.out 'select(.event=="result") | "\(.result) \(.transport)"')" = "SUCCESS v1" ] || { show; false; }
	ps_stop l1
}

@test "v2 usage errors: one line naming what was wrong, exit 2" {
	while IFS='|' read -r want args; do
		# shellcheck disable=SC2086
		run $PEERSHAKE $args
		[ "$status" -eq 2 ] || { echo "args '$args': status $status"; false; }
		[ "${#lines[@]}" -eq 1 ] || { echo "args '$args': ${#lines[@]} lines: $output"; false; }
		[[ $output == *"$want"* ]] || { echo "args '$args': want '$want' in '$output'"; false; }
	done <<'CASES'
--v2transport auto is for connecting: listen takes 0 (v1 only) or 1 (v1 and v2)|btc listen --v2transport auto 127.0.0.1:0
--v2-garbage does nothing with --v2transport 0|btc connect --v2transport 0 --v2-garbage 5 127.0.0.1
--v2-garbage does nothing with --v2transport 0|btc connect --v2-garbage 5 127.0.0.1
--v2-garbage does nothing with --v2transport 0|btc listen --v2transport 0 --v2-garbage 0 127.0.0.1:0
bad --v2transport '2': want 0, 1 or auto|btc connect --v2transport 2 127.0.0.1
bad --v2transport 'v2': want 0, 1 or auto|btc connect --v2transport v2 127.0.0.1
bad --v2-garbage '4096': want 0..4095 bytes|btc connect --v2transport 1 --v2-garbage 4096 127.0.0.1
bad --v2-garbage '-1': want 0..4095 bytes|btc connect --v2transport 1 --v2-garbage -1 127.0.0.1
bad --v2-garbage 'x': want 0..4095 bytes|btc connect --v2transport 1 --v2-garbage x 127.0.0.1
a Bitcoin option was given to a noise subcommand|noise connect --v2transport 1 127.0.0.1:1
CASES
}
