#!/usr/bin/env bats
# tshark's Bitcoin dissector (Debian tshark) as a second oracle on peershake's
# own traffic: `peershake btc connect` talks to `peershake btc listen` through
# a loopback proxy (tests/vectors/tshark_check.py) that records both byte
# streams and writes them as a pcap (fake IPv4/TCP headers, no capture
# privilege). tshark decodes it with -d tcp.port==PORT,bitcoin; every message's
# magic, command, length and checksum, and every field of both version
# messages (version, services, timestamp, addr_recv, addr_from, nonce, user
# agent, start height, relay), must equal what python-bitcoinlib reads from
# the same bytes and what peershake reported in its --json events.

load helpers

CHECK=$PS_ROOT/tests/vectors/tshark_check.py

setup() {
	command -v tshark >/dev/null 2>&1 || skip "tshark is not installed (ci/deps test)"
}

teardown() {
	for p in "$BATS_TEST_TMPDIR"/*.pid; do
		[ -e "$p" ] && ps_stop_pid "$p" 5 || true
	done
}

# handshake_through_proxy LISTEN_ARGS -- CONNECT_ARGS: one handshake, recorded.
handshake_through_proxy() {
	local dir=$BATS_TEST_TMPDIR largs=() cargs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		largs+=("$1")
		shift
	done
	shift
	cargs=("$@")
	ps_listen listener 127.0.0.1:0 --json --count 1 "${largs[@]}"
	"$PS_PYTHON" "$CHECK" proxy --upstream "127.0.0.1:$LISTEN_PORT" --port-file "$dir/proxy.port" \
		--out "$dir" --timeout 20 2>"$dir/proxy.err" &
	echo $! >"$dir/proxy.pid"
	ps_wait_file "$dir/proxy.port" 10
	"$PEERSHAKE" --json "${cargs[@]}" btc connect "127.0.0.1:$(cat "$dir/proxy.port")" \
		>"$dir/connect.json" 2>"$dir/connect.err"
	ps_wait_exit proxy 20
	ps_wait_exit listener 20
	[ "$(cat "$dir/proxy.status")" -eq 0 ] || {
		cat "$dir/proxy.err" >&2
		return 1
	}
	grep -q '"result":"SUCCESS"' "$dir/connect.json"
	grep -q '"result":"SUCCESS"' "$dir/listener.out"
}

# compare MAGIC: tshark against python-bitcoinlib and peershake's events
compare() {
	run "$PS_PYTHON" "$CHECK" compare --out "$BATS_TEST_TMPDIR" --port "$LISTEN_PORT" --magic "$1" \
		--connect-json "$BATS_TEST_TMPDIR/connect.json" --listen-json "$BATS_TEST_TMPDIR/listener.out"
	echo "$output"
	assert_success
	assert_output --partial "0 difference(s)"
	refute_output --partial "FAIL"
}

@test "tshark decodes a regtest handshake as peershake reported it (defaults)" {
	handshake_through_proxy -n regtest -- -n regtest
	compare fabfb5da
	# both version messages and the feature negotiation were seen
	assert_output --partial "connect -> listen #1 version user agent = peershake"
	assert_output --partial "listen -> connect #1 version nonce = peershake"
	assert_output --partial "#2 wtxidrelay command"
	assert_output --partial "#4 verack command"
}

@test "tshark agrees on extreme fields: testnet4, 256-byte user agent, height -1, relay 0, all service bits" {
	ua=$(printf 'u%.0s' $(seq 1 256))
	handshake_through_proxy -n testnet4 --user-agent "/listen:$(printf 'l%.0s' $(seq 1 40))/" \
		--start-height 2147483647 --services 0xffffffffffffffff -- \
		-n testnet4 --user-agent "$ua" --start-height -1 --relay 0 --services 0x0
	compare 1c163f28
	assert_output --partial "start height = peershake: tshark -1, expected -1"
	assert_output --partial "start height = peershake: tshark 2147483647, expected 2147483647"
	assert_output --partial "relay = peershake: tshark False, expected False"
	assert_output --partial "services = peershake: tshark 18446744073709551615"
}

@test "tshark agrees on a protocol 70015 handshake (no wtxidrelay, no sendaddrv2), mainnet magic" {
	handshake_through_proxy -n mainnet --protocol-version 70015 -- -n mainnet --protocol-version 70015
	compare f9beb4d9
	assert_output --partial "version = peershake: tshark 70015, expected 70015"
	refute_output --partial "wtxidrelay"
}
