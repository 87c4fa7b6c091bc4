#!/usr/bin/env bats
# The original exercise: `peershake DNS_SEED [PORT] [TIMEOUT_MS]` against a
# local DNS server (python3-dnslib, loopback) answering one seed name with 61
# addresses: 20 peershake responders + [::1], 20 where nothing listens, 20
# that accept and never speak. Every address must be reported correctly and
# the sweep must take about one timeout, not one per address.

load helpers

SWEEP_TIMEOUT_MS=3000

setup_file() {
	local dir=$BATS_FILE_TMPDIR port
	port=$(ps_free_port)
	echo "$port" >"$dir/port"
	: >"$dir/zone"
	for i in $(seq 10 29); do echo "seed.test 127.0.0.$i" >>"$dir/zone"; done
	for i in $(seq 30 49); do echo "seed.test 127.0.0.$i" >>"$dir/zone"; done
	for i in $(seq 50 69); do echo "seed.test 127.0.0.$i" >>"$dir/zone"; done
	if ip -6 addr show lo 2>/dev/null | grep -q '::1'; then
		echo "seed.test ::1" >>"$dir/zone"
		echo 1 >"$dir/have_v6"
	fi

	"$PS_PYTHON" "$PS_ROOT/conformance/lib/dns_server.py" --port 0 --zone-file "$dir/zone" \
		--ready-file "$dir/dns.port" --pid-file "$dir/dns.pid" 3>&- &
	# the responders: one peershake per address, mainnet magic (the sweep's default)
	for i in $(seq 10 29); do
		"$PEERSHAKE" btc listen "127.0.0.$i:$port" >"$dir/resp$i.out" 2>&1 3>&- &
		echo $! >"$dir/resp$i.pid"
	done
	if [ -e "$dir/have_v6" ]; then
		"$PEERSHAKE" btc listen "[::1]:$port" >"$dir/resp6.out" 2>&1 3>&- &
		echo $! >"$dir/resp6.pid"
	fi
	local silent=()
	for i in $(seq 50 69); do silent+=(--listen "127.0.0.$i:$port"); done
	"$PS_PYTHON" "$PS_ROOT/conformance/lib/silent_server.py" "${silent[@]}" \
		--ready-file "$dir/silent.addr" --pid-file "$dir/silent.pid" 3>&- &

	ps_wait_file "$dir/dns.port" 10
	ps_wait_file "$dir/silent.addr" 10
	for f in "$dir"/resp*.out; do ps_wait_log "$f" '^LISTENING ' 10; done
}

teardown_file() {
	for p in "$BATS_FILE_TMPDIR"/*.pid; do
		[ -e "$p" ] && ps_stop_pid "$p" 5 || true
	done
}

@test "the sweep reports every address correctly within 1.2 x the timeout" {
	local dir=$BATS_FILE_TMPDIR port dns start end elapsed
	port=$(cat "$dir/port")
	dns=127.0.0.1:$(cat "$dir/dns.port")
	start=$(date +%s%N)
	run "$PEERSHAKE" --no-progress --dns-server "$dns" seed.test "$port" "$SWEEP_TIMEOUT_MS"
	end=$(date +%s%N)
	elapsed=$(((end - start) / 1000000))
	echo "$output"
	echo "wall time: $elapsed ms for a timeout of $SWEEP_TIMEOUT_MS ms"
	assert_success
	# the responders are `peershake btc listen`, which serves v1 and v2 and
	# so announces NODE_P2P_V2; the sweep (v1 by default) counts them
	for i in $(seq 10 29); do
		assert_line --regexp "^SUCCESS +127\.0\.0\.$i:$port +version=70016 services=0x0000000000000809 .*user_agent=\"/peershake:[0-9.]+/\""
	done
	for i in $(seq 30 49); do
		assert_line --regexp "^FAILED +127\.0\.0\.$i:$port +refused"
	done
	for i in $(seq 50 69); do
		assert_line --regexp "^FAILED +127\.0\.0\.$i:$port +timed out waiting for version"
	done
	local n=60 ok=20
	if [ -e "$dir/have_v6" ]; then
		assert_line --regexp "^SUCCESS +\[::1\]:$port "
		n=61 ok=21
	fi
	assert_equal "$(grep -c '^STARTED ' <<<"$output")" "$n"
	assert_line --regexp "^Summary: $n peers: Success $ok, Partial 0, Failed 40; P2P_V2 advertised by $ok "
	# about one timeout: the silent peers end at the deadline, all at once
	[ "$elapsed" -lt $((SWEEP_TIMEOUT_MS * 12 / 10)) ]
}

@test "the same sweep as JSON Lines: one result per address, counts agree" {
	local dir=$BATS_FILE_TMPDIR port dns
	port=$(cat "$dir/port")
	dns=127.0.0.1:$(cat "$dir/dns.port")
	run --separate-stderr "$PEERSHAKE" --json --dns-server "$dns" seed.test "$port" 1000
	assert_success
	local n=60 ok=20
	[ -e "$dir/have_v6" ] && n=61 ok=21
	run jq -s -c '[ (map(select(.event=="resolved"))[0].count),
	                (map(select(.event=="result")) | length),
	                (map(select(.event=="result" and .result=="SUCCESS")) | length),
	                (map(select(.event=="result" and .reason=="refused")) | length),
	                (map(select(.event=="result" and .reason=="timeout")) | length),
	                (map(select(.event=="summary"))[0] | [.peers, .success, .partial, .failed]) ]' <<<"$output"
	assert_output "[$n,$n,$ok,20,20,[$n,$ok,0,40]]"
}

@test "the sweep's responders saw the handshakes as inbound SUCCESS" {
	local dir=$BATS_FILE_TMPDIR
	for i in $(seq 10 29); do
		grep -qE '^SUCCESS +127\.0\.0\.1:[0-9]+ ' "$dir/resp$i.out"
	done
}

# The same sweep's loop on each backend (ref/net/loop: PS_LOOP=poll is the
# reference, epoll the Linux default): 500 targets at once against a local
# listener running the same backend, every one a SUCCESS on both sides.
many_at_once() {
	local be=$1 n=500 targets=() i
	PS_LOOP=$be ps_listen "l_$be" 127.0.0.1:0 -n regtest --max-per-ip 1000000
	for ((i = 0; i < n; i++)); do targets+=("127.0.0.1:$LISTEN_PORT"); done
	PS_LOOP=$be run --separate-stderr "$PEERSHAKE" btc connect -n regtest --no-progress "${targets[@]}"
	ps_stop "l_$be"
	echo "$stderr" >&2
	assert_success
	assert_equal "$(grep -cE '^SUCCESS +127\.0\.0\.1:' <<<"$output")" "$n"
	assert_line --regexp "^Summary: $n peers: Success $n, Partial 0, Failed 0;"
	assert_equal "$(grep -c '^SUCCESS ' "$BATS_TEST_TMPDIR/l_$be.out")" "$n"
}

@test "500 targets at once, all SUCCESS, with PS_LOOP=poll" {
	many_at_once poll
}

@test "500 targets at once, all SUCCESS, with PS_LOOP=epoll" {
	many_at_once epoll
}

@test "PS_LOOP naming no backend is a usage error that says what it wants" {
	PS_LOOP=select run --separate-stderr "$PEERSHAKE" btc connect -n regtest 127.0.0.1:1
	assert_equal "$status" 2
	assert_equal "$stderr" "peershake: PS_LOOP=select: want poll or epoll"
	assert_output ""
}
