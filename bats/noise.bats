#!/usr/bin/env bats
# Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s interop on loopback: peershake,
# flynn/noise 1.0.0 (Go, Debian) and dissononce 0.34.3 (Python, Debian),
# every initiator with every responder, then the failure paths with peershake
# on the receiving side of bytes made by an independent implementation; the
# transport phase (N messages, nonces, continuing after a failed tag) and
# the 65535-byte boundary with both.

load helpers

FLYNN=${FLYNN_SHIM:-$PS_ROOT/build/conformance/flynn-shim}
IMPLS=(peershake flynn dissononce)

setup_file() {
	if [ ! -x "$FLYNN" ]; then
		PS_BUILD_DIR="$PS_ROOT/build" "$PS_ROOT/conformance/noise/build" >&2
	fi
	head -c 32 /dev/urandom >"$BATS_FILE_TMPDIR/psk"
	head -c 32 /dev/urandom >"$BATS_FILE_TMPDIR/psk.other"
}

teardown() {
	for p in "$BATS_TEST_TMPDIR"/*.pid; do
		[ -e "$p" ] && ps_stop_pid "$p" 5 || true
	done
}

# shim IMPL: the command line of a shim
shim() {
	case $1 in
	flynn) echo "$FLYNN" ;;
	dissononce) echo "$PS_PYTHON $PS_ROOT/conformance/noise/dissononce/shim.py" ;;
	esac
}

# responder IMPL ARGS...: start a responder, set RPORT. Output in resp.out/resp.err.
responder() {
	local impl=$1 dir=$BATS_TEST_TMPDIR
	shift
	if [ "$impl" = peershake ]; then
		"$PEERSHAKE" noise listen --json --count 1 "$@" 127.0.0.1:0 >"$dir/resp.out" 2>"$dir/resp.err" 3>&- &
		echo $! >"$dir/resp.pid"
		ps_wait_log "$dir/resp.out" '"event":"listening"' 10
		RPORT=$(jq -r 'select(.event=="listening") | .port' "$dir/resp.out")
	else
		# shellcheck disable=SC2046
		$(shim "$impl") --role responder --port 0 "$@" >"$dir/resp.out" 2>"$dir/resp.err" 3>&- &
		echo $! >"$dir/resp.pid"
		ps_wait_log "$dir/resp.out" '^port=' 10
		RPORT=$(sed -n 's/^port=//p' "$dir/resp.out")
	fi
}

# initiator IMPL ARGS...: run an initiator against RPORT; output in init.out/init.err, status in ISTATUS.
initiator() {
	local impl=$1 dir=$BATS_TEST_TMPDIR
	shift
	ISTATUS=0
	if [ "$impl" = peershake ]; then
		"$PEERSHAKE" noise connect --json "$@" "127.0.0.1:$RPORT" >"$dir/init.out" 2>"$dir/init.err" || ISTATUS=$?
	else
		# shellcheck disable=SC2046
		$(shim "$impl") --role initiator --port "$RPORT" "$@" >"$dir/init.out" 2>"$dir/init.err" || ISTATUS=$?
	fi
}

# field IMPL FILE KEY: a field of a result (peershake JSON, shim key=value)
field() {
	if [ "$1" = peershake ]; then
		jq -r "select(.event==\"result\") | .$3 // \"\"" "$2"
	else
		sed -n "s/^$3=//p" "$2"
	fi
}

# error IMPL PREFIX: the failure token (peershake: the result's reason; shims: error: TOKEN)
error_of() {
	local dir=$BATS_TEST_TMPDIR
	if [ "$1" = peershake ]; then
		jq -r 'select(.event=="result") | .reason // ""' "$dir/$2.out"
	else
		sed -nE 's/^error: ([a-z-]+).*/\1/p' "$dir/$2.err"
	fi
}

# wait for the responder to finish (shims exit; peershake prints a result)
responder_done() {
	local dir=$BATS_TEST_TMPDIR
	if grep -q '"event":"listening"' "$dir/resp.out" 2>/dev/null; then
		ps_wait_log "$dir/resp.out" '"event":"result"' 15
	else
		ps_wait_exit resp 15
	fi
}

# pair INIT RESP [PROTOCOL]: a full exchange must succeed with equal hashes and the echo
pair() {
	local i=$1 r=$2 proto=${3:-} dir=$BATS_TEST_TMPDIR extra=()
	[ -n "$proto" ] && extra=(--protocol "$proto")
	responder "$r" --psk-file "$BATS_FILE_TMPDIR/psk" --prologue 7065657273 --payload2 b0b0 "${extra[@]}"
	initiator "$i" --psk-file "$BATS_FILE_TMPDIR/psk" --prologue 7065657273 --payload1 a1a1a1 \
		--transport 68656c6c6f2c206e6f697365 "${extra[@]}"
	responder_done
	echo "# $i -> $r ${proto:-}: init status $ISTATUS"
	cat "$dir/init.out" "$dir/init.err" "$dir/resp.out" "$dir/resp.err"
	[ "$ISTATUS" -eq 0 ]
	local hi hr
	hi=$(field "$i" "$dir/init.out" handshake_hash)
	hr=$(field "$r" "$dir/resp.out" handshake_hash)
	[ -n "$hi" ] && [ "$hi" = "$hr" ]
	[ "$(field "$i" "$dir/init.out" transport)" = 68656c6c6f2c206e6f697365 ]
	[ "$(field "$i" "$dir/init.out" payload2)" = b0b0 ]
	[ "$(field "$r" "$dir/resp.out" payload1)" = a1a1a1 ]
	[ "$(field "$r" "$dir/resp.out" transport)" = 68656c6c6f2c206e6f697365 ]
	if [ "$r" = peershake ]; then
		[ "$(jq -r 'select(.event=="result") | .result' "$dir/resp.out")" = SUCCESS ]
	fi
}

@test "interop matrix: every initiator with every responder (NNpsk2, ChaChaPoly, BLAKE2s)" {
	for i in "${IMPLS[@]}"; do
		for r in "${IMPLS[@]}"; do
			pair "$i" "$r"
			ps_stop_pid "$BATS_TEST_TMPDIR/resp.pid" 5 || true
		done
	done
}

@test "interop with the other hashes: BLAKE2b, SHA256, SHA512, both directions with flynn and dissononce" {
	for h in BLAKE2b SHA256 SHA512; do
		for other in flynn dissononce; do
			pair peershake "$other" "Noise_NNpsk2_25519_ChaChaPoly_$h"
			ps_stop_pid "$BATS_TEST_TMPDIR/resp.pid" 5 || true
			pair "$other" peershake "Noise_NNpsk2_25519_ChaChaPoly_$h"
			ps_stop_pid "$BATS_TEST_TMPDIR/resp.pid" 5 || true
		done
	done
}

@test "wrong PSK: the initiator fails on message 2 (decrypt-failed), the responder sees the connection end" {
	for other in flynn dissononce; do
		# peershake initiator
		responder "$other" --psk-file "$BATS_FILE_TMPDIR/psk.other"
		initiator peershake --psk-file "$BATS_FILE_TMPDIR/psk"
		responder_done
		[ "$ISTATUS" -eq 1 ]
		jq -e -s '.[] | select(.event=="result") | .result=="FAILED" and .reason=="decrypt-failed" and (.detail|test("message 2"))' "$BATS_TEST_TMPDIR/init.out"
		[ "$(error_of "$other" resp)" = closed ]
		# peershake responder
		responder peershake --psk-file "$BATS_FILE_TMPDIR/psk"
		initiator "$other" --psk-file "$BATS_FILE_TMPDIR/psk.other"
		responder_done
		[ "$ISTATUS" -eq 1 ]
		[ "$(error_of "$other" init)" = decrypt-failed ]
		jq -e -s '.[] | select(.event=="result") | .result=="FAILED" and .reason=="closed"' "$BATS_TEST_TMPDIR/resp.out"
		ps_stop_pid "$BATS_TEST_TMPDIR/resp.pid" 5
	done
}

@test "wrong prologue: the responder fails on message 1" {
	for other in flynn dissononce; do
		responder peershake --psk-file "$BATS_FILE_TMPDIR/psk" --prologue 01
		initiator "$other" --psk-file "$BATS_FILE_TMPDIR/psk" --prologue 02
		responder_done
		jq -e -s '.[] | select(.event=="result") | .reason=="decrypt-failed" and (.detail|test("message 1"))' "$BATS_TEST_TMPDIR/resp.out"
		[ "$ISTATUS" -eq 1 ]
		ps_stop_pid "$BATS_TEST_TMPDIR/resp.pid" 5

		responder "$other" --psk-file "$BATS_FILE_TMPDIR/psk" --prologue 02
		initiator peershake --psk-file "$BATS_FILE_TMPDIR/psk" --prologue 01
		responder_done
		[ "$(error_of "$other" resp)" = decrypt-failed ]
		[ "$ISTATUS" -eq 1 ]
		jq -e -s '.[] | select(.event=="result") | .reason=="closed" and (.detail|test("message 2"))' "$BATS_TEST_TMPDIR/init.out"
	done
}

# tamper SHIM-ROLE BUG PEERSHAKE-REASON DETAIL-REGEX [TIMEOUT-MS]: a shim misbehaves, peershake must
# fail with the reason (and at the message) given, never hang
tamper() {
	local other=$1 role=$2 bug=$3 reason=$4 where=$5 t=${6:-5000} out
	if [ "$role" = initiator ]; then
		responder peershake --psk-file "$BATS_FILE_TMPDIR/psk" --timeout "$t"
		initiator "$other" --psk-file "$BATS_FILE_TMPDIR/psk" --bug "$bug" --timeout-ms 10000
		responder_done
		out=$BATS_TEST_TMPDIR/resp.out
		ps_stop_pid "$BATS_TEST_TMPDIR/resp.pid" 5
	else
		responder "$other" --psk-file "$BATS_FILE_TMPDIR/psk" --bug "$bug" --timeout-ms 10000
		initiator peershake --psk-file "$BATS_FILE_TMPDIR/psk" --timeout "$t"
		[ "$ISTATUS" -eq 1 ]
		out=$BATS_TEST_TMPDIR/init.out
		ps_stop_pid "$BATS_TEST_TMPDIR/resp.pid" 5
	fi
	echo "# $other $role --bug $bug: $(jq -c 'select(.event=="result") | [.result, .reason, .detail]' "$out")"
	jq -e -s --arg r "$reason" --arg w "$where" \
		'.[] | select(.event=="result") | .result=="FAILED" and .reason==$r and (.detail|test($w))' "$out"
}

@test "tampering by flynn/noise and dissononce: peershake refuses each corrupted message" {
	for other in flynn dissononce; do
		tamper "$other" initiator flip-msg1 decrypt-failed "message 1"
		tamper "$other" initiator flip-msg1-e decrypt-failed "message 1"
		tamper "$other" responder flip-msg2 decrypt-failed "message 2"
		tamper "$other" responder flip-msg2-e decrypt-failed "message 2"
		tamper "$other" initiator flip-transport decrypt-failed "transport"
		tamper "$other" responder flip-transport decrypt-failed "echo"
		tamper "$other" responder alter-echo echo-mismatch "echo"
		tamper "$other" initiator low-order-e bad-dh "message 1"
		tamper "$other" responder low-order-e bad-dh "message 2"
	done
}

@test "truncated messages: bad-size or decrypt-failed, at once" {
	for other in flynn dissononce; do
		tamper "$other" initiator truncate-msg1 bad-size "message 1"
		tamper "$other" responder truncate-msg2 bad-size "message 2"
	done
}

@test "an oversize length prefix (65535, the bytes never come) ends by the timeout, not a hang" {
	for other in flynn dissononce; do
		tamper "$other" initiator oversize-prefix timeout "message 1" 1000
		tamper "$other" responder oversize-prefix timeout "message 2" 1000
	done
}

@test "PSK handling: never from argv; empty, short, long, non-hex and missing PSKs are refused" {
	local d=$BATS_TEST_TMPDIR
	: >"$d/empty"
	head -c 31 /dev/urandom >"$d/short"
	head -c 33 /dev/urandom >"$d/long"
	printf 'zz%.0s' $(seq 32) >"$d/nonhex"
	for f in empty short long nonhex; do
		run "$PEERSHAKE" noise connect --psk-file "$d/$f" 127.0.0.1:1
		assert_failure 2
		assert_output --partial "PSK file"
	done
	run "$PEERSHAKE" noise connect --psk-file "$d/nothere" 127.0.0.1:1
	assert_failure 2
	run env -u PEERSHAKE_PSK "$PEERSHAKE" noise connect 127.0.0.1:1
	assert_failure 2
	assert_output --partial "no PSK"
	run env PEERSHAKE_PSK=abcd "$PEERSHAKE" noise connect 127.0.0.1:1
	assert_failure 2
	run "$PEERSHAKE" noise connect --psk 00 127.0.0.1:1
	assert_failure 2
	assert_output --partial "unknown option '--psk'"
	# hex in a file, and from the environment, both work
	xxd -p -c 64 "$BATS_FILE_TMPDIR/psk" >"$d/psk.hex"
	responder peershake --psk-file "$d/psk.hex"
	PEERSHAKE_PSK=$(cat "$d/psk.hex") initiator peershake
	[ "$ISTATUS" -eq 0 ]
}

@test "bad Noise arguments: unknown protocol, oversize payload, Bitcoin options" {
	run "$PEERSHAKE" noise connect --psk-file "$BATS_FILE_TMPDIR/psk" --protocol Noise_XX_25519_ChaChaPoly_BLAKE2s 127.0.0.1:1
	assert_failure 2
	assert_output --partial "cannot run that Noise protocol"
	run "$PEERSHAKE" noise connect --psk-file "$BATS_FILE_TMPDIR/psk" --payload1 "$(head -c 65500 /dev/zero | xxd -p | tr -d '\n')" 127.0.0.1:1
	assert_failure 2
	assert_output --partial "exceed 65535"
	run "$PEERSHAKE" noise connect --network regtest --psk-file "$BATS_FILE_TMPDIR/psk" 127.0.0.1:1
	assert_failure 2
	run "$PEERSHAKE" noise connect --psk-file "$BATS_FILE_TMPDIR/psk" 127.0.0.1
	assert_failure 2
	assert_output --partial "want HOST:PORT"
}

@test "noise listen serves concurrent handshakes in one loop" {
	responder peershake --psk-file "$BATS_FILE_TMPDIR/psk" --count 20
	local pids=()
	for k in $(seq 20); do
		"$PEERSHAKE" noise connect --psk-file "$BATS_FILE_TMPDIR/psk" --transport "$(printf '%02x' "$k")" \
			"127.0.0.1:$RPORT" >"$BATS_TEST_TMPDIR/c$k.out" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	ps_wait_exit resp 15
	[ "$(cat "$BATS_TEST_TMPDIR/resp.status")" -eq 0 ]
	[ "$(jq -s 'map(select(.event=="result" and .result=="SUCCESS")) | length' "$BATS_TEST_TMPDIR/resp.out")" -eq 20 ]
}

# The result says where the exchange stood: a no-echo responder received
# the transport message and withheld its echo, so its failure is not
# "before the transport message" (the text it printed before issue 10).
@test "a no-echo responder's failure says the transport message came and the echo was withheld" {
	responder peershake --psk-file "$BATS_FILE_TMPDIR/psk" --bug no-echo -t 3000
	initiator peershake --psk-file "$BATS_FILE_TMPDIR/psk" --transport 74657374 -t 500
	[ "$ISTATUS" -eq 1 ]
	run jq -r 'select(.event=="result") | .detail' "$BATS_TEST_TMPDIR/init.out"
	assert_output "timed out waiting for the echo"
	ps_wait_log "$BATS_TEST_TMPDIR/resp.out" '"event":"result"' 10
	run jq -r 'select(.event=="result") | "\(.result) \(.transport) \(.detail)"' "$BATS_TEST_TMPDIR/resp.out"
	assert_output "FAILED 74657374 closed by peer, after the transport message, echo withheld"
	refute_output --partial "before the transport message"
}

# The transport phase: N messages each way, one at a time, T_k = T || k.
# Every nonce of both directions is used, so a peer that does not increment
# its nonce, or encodes it in the wrong byte order, fails at message 2.
@test "transport phase: 3 messages each way, every initiator with every responder; 100 with peershake" {
	local dir=$BATS_TEST_TMPDIR i r n
	for i in "${IMPLS[@]}"; do
		for r in "${IMPLS[@]}"; do
			for n in 3 100; do
				[ "$n" = 100 ] && [ "$i" != peershake ] && [ "$r" != peershake ] && continue
				responder "$r" --psk-file "$BATS_FILE_TMPDIR/psk" --messages "$n"
				initiator "$i" --psk-file "$BATS_FILE_TMPDIR/psk" --messages "$n" --transport 74657374
				responder_done
				echo "# $i -> $r, $n messages: init status $ISTATUS"
				[ "$ISTATUS" -eq 0 ] || { cat "$dir/init.err" "$dir/resp.err"; false; }
				# the last plaintext, T_N = T || N, on both sides
				[ "$(field "$i" "$dir/init.out" transport)" = "74657374$(printf '%04x' "$n")" ]
				[ "$(field "$r" "$dir/resp.out" transport)" = "74657374$(printf '%04x' "$n")" ]
				[ "$(field "$i" "$dir/init.out" messages)" = "$n" ]
				[ "$(field "$r" "$dir/resp.out" messages)" = "$n" ]
				ps_stop_pid "$dir/resp.pid" 5 || true
			done
		done
	done
	# peershake's own wire: N transport and N echo events, T_k + 16 bytes each
	responder peershake --psk-file "$BATS_FILE_TMPDIR/psk" --messages 5
	initiator peershake --psk-file "$BATS_FILE_TMPDIR/psk" --messages 5 --transport 74657374
	responder_done
	[ "$(jq -s '[.[] | select(.event=="sent" and .message=="transport" and .length==22)] | length' "$dir/init.out")" -eq 5 ]
	[ "$(jq -s '[.[] | select(.event=="recv" and .message=="echo" and .length==22)] | length' "$dir/init.out")" -eq 5 ]
}

# peershake-noise RESULT FIELD: a field of peershake's result
result_of() {
	jq -r "select(.event==\"result\") | .$2 // \"\"" "$BATS_TEST_TMPDIR/$1.out"
}

@test "transport switches of flynn/noise and dissononce: peershake refuses each at the message where it shows" {
	local other
	for other in flynn dissononce; do
		# a skipped nonce at message 3 (after 1 and 2 passed)
		responder peershake --psk-file "$BATS_FILE_TMPDIR/psk" --messages 3
		initiator "$other" --psk-file "$BATS_FILE_TMPDIR/psk" --messages 3 --transport 74657374 \
			--bug transport-nonce-skip
		responder_done
		[ "$(result_of resp reason)" = decrypt-failed ]
		[ "$(result_of resp failed_on)" = transport:3 ]
		[ "$(result_of resp messages)" = 2 ]
		ps_stop_pid "$BATS_TEST_TMPDIR/resp.pid" 5
		responder "$other" --psk-file "$BATS_FILE_TMPDIR/psk" --messages 3 --bug transport-nonce-skip
		initiator peershake --psk-file "$BATS_FILE_TMPDIR/psk" --messages 3 --transport 74657374
		[ "$ISTATUS" -eq 1 ]
		[ "$(result_of init reason)" = decrypt-failed ]
		[ "$(result_of init failed_on)" = echo:3 ]
		ps_stop_pid "$BATS_TEST_TMPDIR/resp.pid" 5
		# an echo a byte short, a byte long
		for bug in echo-prefix echo-extended; do
			responder "$other" --psk-file "$BATS_FILE_TMPDIR/psk" --bug "$bug"
			initiator peershake --psk-file "$BATS_FILE_TMPDIR/psk" --transport 74657374
			[ "$ISTATUS" -eq 1 ]
			[ "$(result_of init reason)" = echo-mismatch ]
			[ "$(result_of init failed_on)" = echo:1 ]
			ps_stop_pid "$BATS_TEST_TMPDIR/resp.pid" 5
		done
	done
}

# Noise rev 34 section 5.1: "If an authentication failure occurs in
# DECRYPT() then n is not incremented". The corrupted message and the valid
# one come from an independent implementation, under the same nonce.
@test "corrupt-then-valid from flynn/noise and dissononce: peershake continues at the same nonce, or ends there" {
	local other
	for other in flynn dissononce; do
		# as responder: transport 1 twice
		responder peershake --psk-file "$BATS_FILE_TMPDIR/psk" --messages 3 --continue-on-decrypt-failure
		initiator "$other" --psk-file "$BATS_FILE_TMPDIR/psk" --messages 3 --transport 74657374 \
			--bug corrupt-then-valid
		responder_done
		[ "$ISTATUS" -eq 0 ]
		[ "$(result_of resp result)" = SUCCESS ]
		[ "$(result_of resp discarded)" = 1 ]
		[ "$(jq -s '[.[] | select(.event=="dropped" and .message=="transport" and .error=="decrypt-failed")] | length' "$BATS_TEST_TMPDIR/resp.out")" -eq 1 ]
		ps_stop_pid "$BATS_TEST_TMPDIR/resp.pid" 5
		responder peershake --psk-file "$BATS_FILE_TMPDIR/psk" --messages 3
		initiator "$other" --psk-file "$BATS_FILE_TMPDIR/psk" --messages 3 --transport 74657374 \
			--bug corrupt-then-valid
		responder_done
		[ "$ISTATUS" -eq 1 ]
		[ "$(result_of resp reason)" = decrypt-failed ]
		[ "$(result_of resp failed_on)" = transport:1 ]
		# nothing sent after the failure: msg2 only
		[ "$(jq -s '[.[] | select(.event=="sent")] | map(.message) | join(",")' -r "$BATS_TEST_TMPDIR/resp.out")" = msg2 ]
		ps_stop_pid "$BATS_TEST_TMPDIR/resp.pid" 5
		# as initiator: echo 1 twice
		responder "$other" --psk-file "$BATS_FILE_TMPDIR/psk" --messages 3 --bug corrupt-then-valid
		initiator peershake --psk-file "$BATS_FILE_TMPDIR/psk" --messages 3 --transport 74657374 \
			--continue-on-decrypt-failure
		responder_done
		[ "$ISTATUS" -eq 0 ]
		[ "$(result_of init discarded)" = 1 ]
		ps_stop_pid "$BATS_TEST_TMPDIR/resp.pid" 5 || true
	done
}

# Noise rev 34 section 3: "All Noise messages are less than or equal to
# 65535 bytes".
@test "size boundary: 65535-byte transport messages pass both ways; one byte more is refused before connecting" {
	local t other n
	t=$(head -c 65519 /dev/zero | tr '\0' '\132' | xxd -p | tr -d '\n')
	for other in flynn dissononce; do
		responder "$other" --psk-file "$BATS_FILE_TMPDIR/psk"
		initiator peershake --psk-file "$BATS_FILE_TMPDIR/psk" --transport "$t"
		responder_done
		[ "$ISTATUS" -eq 0 ]
		jq -e -s '[.[] | select(.event=="recv" and .message=="echo")][0].length == 65535' "$BATS_TEST_TMPDIR/init.out"
		ps_stop_pid "$BATS_TEST_TMPDIR/resp.pid" 5 || true
		responder peershake --psk-file "$BATS_FILE_TMPDIR/psk"
		initiator "$other" --psk-file "$BATS_FILE_TMPDIR/psk" --transport "$t"
		responder_done
		[ "$ISTATUS" -eq 0 ]
		jq -e -s '[.[] | select(.event=="recv" and .message=="transport")][0].length == 65535' "$BATS_TEST_TMPDIR/resp.out"
		ps_stop_pid "$BATS_TEST_TMPDIR/resp.pid" 5
	done
	# 65520 bytes of T, or 65518 with the 2-byte counter: exit 2, no connection
	# attempted (port 1 would be refused)
	for n in 1 2; do
		run "$PEERSHAKE" noise connect --psk-file "$BATS_FILE_TMPDIR/psk" --messages "$n" \
			--transport "$(head -c $((65520 - 2 * (n - 1))) /dev/zero | xxd -p | tr -d '\n')" 127.0.0.1:1
		assert_failure 2
		assert_output --partial "exceed 65535"
		refute_output --partial refused
	done
	run "$PEERSHAKE" noise connect --psk-file "$BATS_FILE_TMPDIR/psk" --messages 65536 127.0.0.1:1
	assert_failure 2
	assert_output --partial "bad --messages"
}
