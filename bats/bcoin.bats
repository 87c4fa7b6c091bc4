#!/usr/bin/env bats
# peershake against a real peer: bcoin 1.0.2 (npm) in regtest on loopback,
# installed and started by conformance/bcoin/. Both directions; each
# handshake is checked from both sides: peershake's events and bcoin's own
# log line "Version handshake complete (HOST:PORT)".

load helpers

setup_file() {
	"$PS_ROOT/conformance/bcoin/install" >&2
	"$PS_ROOT/conformance/bcoin/start" "$BATS_FILE_TMPDIR/node1" >&2 3>&-
}

teardown_file() {
	for d in "$BATS_FILE_TMPDIR"/node*; do
		[ -e "$d/bcoin.pid" ] && "$PS_ROOT/conformance/bcoin/stop" "$d" >&2 || true
	done
}

@test "peershake btc connect -> bcoin regtest: SUCCESS, and bcoin logs the handshake complete" {
	# shellcheck disable=SC1091
	. "$BATS_FILE_TMPDIR/node1/ports"
	run --separate-stderr "$PEERSHAKE" -n regtest --json btc connect "127.0.0.1:$BCOIN_PORT"
	echo "$output"
	assert_success
	local events=$output local_addr
	run jq -r 'select(.event=="result") | "\(.result) \(.version) \(.services) \(.user_agent)"' <<<"$events"
	assert_output "SUCCESS 70015 0x0000000000000009 /bcoin:v1.0.2/"
	# bcoin speaks 70015: no wtxidrelay/sendaddrv2 from either side
	local_addr=$(jq -r 'select(.event=="connected") | .local' <<<"$events")
	run jq -r 'select(.event=="sent") | .command' <<<"$events"
	assert_output "version
verack"
	# bcoin's view: the handshake with our local address concluded
	ps_wait_log "$BCOIN_LOG" "Version handshake complete \\(${local_addr//./\\.}\\)" 15
}

@test "bcoin regtest -> peershake btc listen: SUCCESS, and bcoin logs the handshake complete" {
	local port
	port=$(ps_free_port)
	ps_listen l1 "127.0.0.1:$port" -n regtest --json --count 1
	"$PS_ROOT/conformance/bcoin/start" "$BATS_FILE_TMPDIR/node2" --only "127.0.0.1:$port" >&2 3>&-
	ps_wait_exit l1 60
	run cat "$BATS_TEST_TMPDIR/l1.out"
	echo "$output"
	[ "$(cat "$BATS_TEST_TMPDIR/l1.status")" -eq 0 ]
	run jq -r 'select(.event=="result") | "\(.direction) \(.result) \(.version) \(.user_agent)"' "$BATS_TEST_TMPDIR/l1.out"
	assert_line "inbound SUCCESS 70015 /bcoin:v1.0.2/"
	# Core's responder order: our version only after theirs, then verack (70015: no extras)
	run jq -r 'select(.event=="sent" or .event=="recv") | "\(.event) \(.command)"' "$BATS_TEST_TMPDIR/l1.out"
	assert_line --index 0 "recv version"
	assert_line --index 1 "sent version"
	assert_line --index 2 "sent verack"
	# shellcheck disable=SC1091
	. "$BATS_FILE_TMPDIR/node2/ports"
	ps_wait_log "$BCOIN_LOG" "Version handshake complete \\(127\\.0\\.0\\.1:$port\\)" 15
}

@test "the DNS-seed form against bcoin: a local seed name resolving to the node" {
	# shellcheck disable=SC1091
	. "$BATS_FILE_TMPDIR/node1/ports"
	local dir=$BATS_TEST_TMPDIR
	"$PS_PYTHON" "$PS_ROOT/conformance/lib/dns_server.py" --port 0 --zone bcoin.test=127.0.0.1 \
		--ready-file "$dir/dns.port" --pid-file "$dir/dns.pid" 3>&- &
	ps_wait_file "$dir/dns.port" 10
	run "$PEERSHAKE" --no-progress -n regtest --dns-server "127.0.0.1:$(cat "$dir/dns.port")" bcoin.test "$BCOIN_PORT" 5000
	ps_stop_pid "$dir/dns.pid" 5
	assert_success
	assert_line --regexp "^SUCCESS +127\.0\.0\.1:$BCOIN_PORT +version=70015 services=0x0000000000000009 \(NETWORK\|WITNESS\) user_agent=\"/bcoin:v1\.0\.2/\""
}
