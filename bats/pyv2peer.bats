#!/usr/bin/env bats
# conformance/lib/pyv2peer.py against itself and pyv1peer on loopback: BIP324 v2
# both ways (garbage 0..4095, decoys before and after the version packet, version
# contents), the same session id on both sides, the responder's v1 detection by the
# first 16 bytes, --v2transport auto falling back to v1 exactly once, and the
# refusals. No peershake binary needed.

load helpers

PY=/usr/bin/python3
V2PEER=$PS_ROOT/conformance/lib/pyv2peer.py
V1PEER=$PS_ROOT/conformance/lib/pyv1peer.py

teardown() {
	for p in "$BATS_TEST_TMPDIR"/*.pid; do
		[ -e "$p" ] && ps_stop_pid "$p" 5 || true
	done
}

# responder PROG ARGS...: start a listener on 127.0.0.1:0; its output in resp.out,
# its pid in resp.pid; sets RPORT once it listens.
responder() {
	local prog=$1 dir=$BATS_TEST_TMPDIR
	shift
	rm -f "$dir/resp.port"
	"$PY" "$prog" --listen 127.0.0.1:0 --ready-file "$dir/resp.port" --timeout-ms 10000 "$@" \
		>"$dir/resp.out" 2>"$dir/resp.err" 3>&- &
	echo $! >"$dir/resp.pid"
	ps_wait_file "$dir/resp.port" 10
	RPORT=$(cat "$dir/resp.port")
}

# initiator PROG ARGS...: connect to RPORT; output in init.out, status in ISTATUS.
initiator() {
	local prog=$1 dir=$BATS_TEST_TMPDIR
	shift
	ISTATUS=0
	"$PY" "$prog" --connect "127.0.0.1:$RPORT" --timeout-ms 10000 "$@" \
		>"$dir/init.out" 2>"$dir/init.err" || ISTATUS=$?
}

# the responder's exit status, in RSTATUS
responder_done() {
	ps_wait_exit resp 15
	RSTATUS=$(cat "$BATS_TEST_TMPDIR/resp.status")
}

# field FILE JQ: the jq expression over the events of FILE, one result a line
field() {
	jq -rc "$2" "$BATS_TEST_TMPDIR/$1"
}

show() {
	echo "--- responder (status ${RSTATUS:-?})"
	cat "$BATS_TEST_TMPDIR/resp.out" "$BATS_TEST_TMPDIR/resp.err"
	echo "--- initiator (status ${ISTATUS:-?})"
	cat "$BATS_TEST_TMPDIR/init.out" "$BATS_TEST_TMPDIR/init.err"
}

# both_v2_success: both exited 0 with transport v2 and the same 64-hex session id,
# also the one each printed when the peer's version packet verified
both_v2_success() {
	[ "$ISTATUS" -eq 0 ] && [ "$RSTATUS" -eq 0 ] || { show; return 1; }
	local si sr
	si=$(field init.out 'select(.event=="success") | "\(.transport) \(.session_id)"')
	sr=$(field resp.out 'select(.event=="success") | "\(.transport) \(.session_id)"')
	[[ $si =~ ^v2\ [0-9a-f]{64}$ ]] || { show; return 1; }
	[ "$si" = "$sr" ] || { show; return 1; }
	[ "$(field init.out 'select(.event=="v2_handshake") | .session_id')" = "${si#v2 }" ]
	[ "$(field resp.out 'select(.event=="v2_handshake") | .session_id')" = "${si#v2 }" ]
}

@test "the oracle reproduces the official BIP324 vectors (bip324_oracle.py --self-check)" {
	[ -d "${PS_SHARED_VECTORS:-$PS_ROOT/../shared/vectors}/bip324" ] ||
		skip "no ../shared/vectors/bip324 (PS_SHARED_VECTORS)"
	run "$PY" "$PS_ROOT/vectors/bip324_oracle.py" --self-check
	assert_success
	assert_output --regexp '7/7 rows .* 76/76 rows, .* 32/32 rows \(256 '
}

@test "v2: no garbage, no decoys; same session id both sides, services with NODE_P2P_V2" {
	responder "$V2PEER" --garbage-len 0
	initiator "$V2PEER" --garbage-len 0
	responder_done
	both_v2_success
	[ "$(field resp.out 'select(.event=="transport") | .how')" = detected ]
	[ "$(field init.out 'select(.event=="v2_handshake") | .garbage_received')" = 0 ]
	[ "$(field resp.out 'select(.event=="v2_handshake") | .garbage_received')" = 0 ]
	# each side's version message advertises NODE_P2P_V2 (1 << 11) with NETWORK|WITNESS
	[ "$(field resp.out 'select(.event=="recv" and .command=="version") | .version.services')" = 2057 ]
	[ "$(field init.out 'select(.event=="recv" and .command=="version") | .version.services')" = 2057 ]
	# messages travel as v2 packets: version and verack in the long encoding
	[ "$(field init.out 'select(.event=="sent") | "\(.command)/\(.transport)/\(.encoding)"' | tr '\n' ' ')" = "version/v2/long verack/v2/long " ]
}

@test "v2: 4095 bytes of garbage each way, decoys before and after the version packet, version contents" {
	responder "$V2PEER" --garbage-len 4095 --decoys 0,5,1000 --version-contents 0102 --decoy-each 7
	initiator "$V2PEER" --garbage-len 4095 --decoys 3 --decoys-after 0,64 --version-contents ff
	responder_done
	both_v2_success
	[ "$(field init.out 'select(.event=="v2_handshake") | "\(.garbage_received) \(.decoys_received) \(.version_contents)"')" = "4095 3 0102" ]
	[ "$(field resp.out 'select(.event=="v2_handshake") | "\(.garbage_received) \(.decoys_received) \(.version_contents)"')" = "4095 1 ff" ]
	# the initiator's decoys after its version packet, the responder's before each message
	[ "$(field resp.out 'select(.event=="v2_decoy") | .length' | tr '\n' ' ')" = "0 64 " ]
	[ "$(field init.out 'select(.event=="v2_decoy") | .length' | sort -u)" = 7 ]
}

@test "v2: random garbage (Core's default), then --linger-ms: both stay connected, then end" {
	responder "$V2PEER" --linger-ms 300
	initiator "$V2PEER" --linger-ms 300
	responder_done
	both_v2_success
	g=$(field init.out 'select(.event=="v2_sent") | .garbage_len')
	[ "$g" -ge 0 ] && [ "$g" -le 4095 ]
	[ "$(field resp.out 'select(.event=="v2_handshake") | .garbage_received')" = "$g" ]
	[ "$(field init.out 'select(.event=="linger_end")' | wc -l)" -eq 1 ]
}

@test "the responder detects v1 by the first 16 bytes: pyv1peer -> pyv2peer" {
	responder "$V2PEER"
	initiator "$V1PEER"
	responder_done
	[ "$ISTATUS" -eq 0 ] && [ "$RSTATUS" -eq 0 ] || { show; false; }
	[ "$(field resp.out 'select(.event=="transport") | "\(.transport) \(.how)"')" = "v1 detected" ]
	[ "$(field resp.out 'select(.event=="success") | .transport')" = v1 ]
	[ "$(field resp.out 'select(.event=="v2_sent")' | wc -l)" -eq 0 ]
}

@test "--v2transport v1 initiator -> auto responder: v1 both sides" {
	responder "$V2PEER"
	initiator "$V2PEER" --v2transport v1
	responder_done
	[ "$ISTATUS" -eq 0 ] && [ "$RSTATUS" -eq 0 ] || { show; false; }
	[ "$(field init.out 'select(.event=="success") | .transport')" = v1 ]
	[ "$(field resp.out 'select(.event=="success") | .transport')" = v1 ]
}

@test "--v2transport auto against a v1-only responder: v2 refused, one v1 reconnect succeeds" {
	responder "$V2PEER" --v2transport v1 --count 2
	initiator "$V2PEER" --v2transport auto
	responder_done
	[ "$ISTATUS" -eq 0 ] && [ "$RSTATUS" -eq 0 ] || { show; false; }
	[ "$(field init.out 'select(.event=="connected")' | wc -l)" -eq 2 ]
	[ "$(field init.out 'select(.event=="fallback") | .transport')" = v1 ]
	[ "$(field init.out 'select(.event=="transport") | "\(.transport)/\(.how)"' | tr '\n' ' ')" = "v2/configured v1/fallback " ]
	[ "$(field init.out 'select(.event=="success") | .transport')" = v1 ]
	# the v1 responder saw the v2 key as a header with a wrong magic, then a v1 version
	field resp.out 'select(.event=="failure") | .reason' | grep -q '^bad magic'
	[ "$(field resp.out 'select(.event=="success") | .transport')" = v1 ]
}

@test "--v2transport auto does not fall back once the peer has sent v2 bytes" {
	responder "$V2PEER" --magic 0a0b0c0d --garbage-len 100
	initiator "$V2PEER" --v2transport auto --timeout-ms 2500 --garbage-len 100
	responder_done
	# different magics: the responder speaks v2 (its key and garbage went out), but with
	# other keys neither finds the other's terminator: the initiator times out, no fallback
	[ "$ISTATUS" -eq 1 ] || { show; false; }
	[ "$(field resp.out 'select(.event=="transport") | "\(.transport) \(.how)"')" = "v2 detected" ]
	[ "$(field resp.out 'select(.event=="v2_sent") | .garbage_len')" = 100 ]
	[ "$(field init.out 'select(.event=="failure") | .reason')" = timeout ]
	[ "$(field init.out 'select(.event=="fallback")' | wc -l)" -eq 0 ]
	[ "$(field init.out 'select(.event=="connected")' | wc -l)" -eq 1 ]
}

@test "--v2transport v2 initiator against a v1-only responder: no fallback, failure" {
	responder "$V2PEER" --v2transport v1
	initiator "$V2PEER"
	responder_done
	[ "$ISTATUS" -eq 1 ] && [ "$RSTATUS" -eq 1 ] || { show; false; }
	[ "$(field init.out 'select(.event=="fallback")' | wc -l)" -eq 0 ]
	[ "$(field init.out 'select(.event=="failure") | .transport')" = v2 ]
}

@test "--v2transport v2 responder refuses a v1 peer" {
	responder "$V2PEER" --v2transport v2
	initiator "$V1PEER"
	responder_done
	[ "$ISTATUS" -eq 1 ] && [ "$RSTATUS" -eq 1 ] || { show; false; }
	[ "$(field resp.out 'select(.event=="failure") | .reason')" = "v1 peer refused (--v2transport v2)" ]
}

@test "bad usage exits 2" {
	run "$PY" "$V2PEER" --connect 127.0.0.1:1 --garbage-len 4096
	[ "$status" -eq 2 ]
	run "$PY" "$V2PEER" --connect 127.0.0.1:1 --count 2
	[ "$status" -eq 2 ]
	run "$PY" "$V2PEER" --listen 127.0.0.1:0 --decoys x
	[ "$status" -eq 2 ]
}
