#!/usr/bin/env bats
# DNS at any scale (net/dns.h): names are asked from the loop, at most
# NET_DNS_MAX_IN_FLIGHT (256) at a time, answers read as they come, a lost
# answer retried after 1 s (then 2 s, 4 s). Against the local DNS server
# (conformance/lib/dns_server.py, python3-dnslib, loopback): 2,000 names
# that resolve (to 127.0.0.2-251; 100 of them have their first answer of
# each type dropped), 100 that are NXDOMAIN; nothing listens on the port,
# so every address is FAILED refused. Then SIGTERM in the middle of
# 100,000 names and of 100,000 numeric targets.

load helpers

setup_file() {
	local dir=$BATS_FILE_TMPDIR
	ps_free_port >"$dir/port"
	# r1..r2000.dns.test resolve; r1..r100 lose their first answers;
	# nx1..nx100.dns.test are not in the zone; n1..n100000.t resolve too
	awk 'BEGIN { for (i = 1; i <= 2000; i++) printf "r%d.dns.test 127.0.0.%d\n", i, i % 250 + 2 }' >"$dir/zone"
	awk 'BEGIN { for (i = 1; i <= 100000; i++) printf "n%d.t 127.0.%d.%d\n", i, int(i / 250) % 250, i % 250 + 2 }' >>"$dir/zone"
	awk 'BEGIN { for (i = 1; i <= 100; i++) printf "r%d.dns.test\n", i }' >"$dir/drops"
	"$PS_PYTHON" "$PS_ROOT/conformance/lib/dns_server.py" --port 0 --zone-file "$dir/zone" \
		--drop-first-file "$dir/drops" --log "$dir/dns.log" \
		--ready-file "$dir/dns.port" --pid-file "$dir/dns.pid" 3>&- &
	ps_wait_file "$dir/dns.port" 30
}

teardown_file() {
	ps_stop_pid "$BATS_FILE_TMPDIR/dns.pid" 5 || true
}

# kill_after NAME DELAY_S: SIGTERM the background peershake NAME after
# DELAY_S; wait for it to exit (10 s at most) and leave the milliseconds
# from the signal to the exit in NAME.ms, its status in NAME.status.
kill_after() {
	local pid t0 t1 st=0
	pid=$(cat "$BATS_TEST_TMPDIR/$1.pid")
	sleep "$2"
	ps_pid_alive "$pid" || {
		echo "kill_after: $1 ended before the signal" >&2
		return 1
	}
	t0=$(date +%s%N)
	kill -TERM "$pid"
	while ps_pid_alive "$pid"; do
		if (($(date +%s%N) - t0 > 10000000000)); then
			echo "kill_after: $1 (pid $pid) still running 10 s after SIGTERM" >&2
			kill -KILL "$pid"
			return 1
		fi
		sleep 0.01
	done
	t1=$(date +%s%N)
	wait "$pid" 2>/dev/null || st=$?
	echo "$(((t1 - t0) / 1000000))" >"$BATS_TEST_TMPDIR/$1.ms"
	echo "$st" >"$BATS_TEST_TMPDIR/$1.status"
}

@test "2,000 names: every one resolves, NXDOMAIN says so, a lost answer is retried" {
	local dir=$BATS_FILE_TMPDIR port dns names=()
	port=$(cat "$dir/port")
	dns=127.0.0.1:$(cat "$dir/dns.port")
	for i in $(seq 1 2000); do names+=("r$i.dns.test"); done
	for i in $(seq 1 100); do names+=("nx$i.dns.test"); done
	run --separate-stderr "$PEERSHAKE" --json --no-progress --dns-server "$dns" -t 2000 \
		btc connect -p "$port" "${names[@]}"
	echo "$stderr" | head -20
	# a name that does not resolve is a usage failure: exit 2
	assert_failure 2
	echo "$output" >"$BATS_TEST_TMPDIR/out.json"

	# every name of the zone resolved, once, to its own address
	jq -r 'select(.event=="resolved") | "\(.name) \(.addresses | join(","))"' \
		"$BATS_TEST_TMPDIR/out.json" | sort >"$BATS_TEST_TMPDIR/got"
	awk -v p="$port" '/\.dns\.test / { print $1 " " $2 ":" p }' "$dir/zone" | sort >"$BATS_TEST_TMPDIR/want"
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	# no false failure: the only dns errors are the 100 NXDOMAIN names
	run jq -r 'select(.event=="dns_error") | "\(.name) \(.error) \(.detail)"' "$BATS_TEST_TMPDIR/out.json"
	assert_equal "$(wc -l <<<"$output")" 100
	for i in $(seq 1 100); do assert_line "nx$i.dns.test dns-error Domain name not found"; done
	assert_equal "$(grep -c ': does not resolve (Domain name not found)$' <<<"$stderr")" 100
	! grep -q 'Timeout' <<<"$stderr"
	# the dropped-once names lost their first A and AAAA answers and still
	# resolved (above): the retry asked again
	assert_equal "$(grep -c ' DROPPED ' "$dir/dns.log")" 200
	for i in 1 50 100; do
		assert_equal "$(grep -c "^udp A r$i\.dns\.test\. " "$dir/dns.log")" 2
		grep -q "^udp A r$i\.dns\.test\. NOERROR an=1 " "$dir/dns.log"
	done
	# when: a dropped-once name waited for its retry, 1 s after its first
	# try (the first 256 names go at once); every name is in within 4.5 s
	# (c-ares' own 5 s first timeout would be past that, and the answers
	# of 4,200 queries sent at once overflowing the receive buffer took
	# 35 s here)
	run jq -s -c '(map(select(.event=="resolved" and (.name | test("^r([1-9][0-9]?|100)[.]")))) | map(.t_ms)) as $d |
	              (map(select(.event=="resolved")) | map(.t_ms)) as $all |
	              [($d | length), ($d | min) >= 900, ($all | max) < 4500]' "$BATS_TEST_TMPDIR/out.json"
	assert_output '[100,true,true]'
	# and every address was dialled: nothing listens there
	run jq -s -c '[(map(select(.event=="result" and .reason=="refused")) | length),
	               (map(select(.event=="summary"))[0] | [.peers, .failed])]' "$BATS_TEST_TMPDIR/out.json"
	assert_output '[2000,[2000,2000]]'
}

@test "SIGTERM 1 s into 100,000 names: exits within 1 s with its summary" {
	local dir=$BATS_FILE_TMPDIR port dns
	port=$(cat "$dir/port")
	dns=127.0.0.1:$(cat "$dir/dns.port")
	mapfile -t names < <(seq -f 'n%g.t' 1 100000)
	"$PEERSHAKE" --no-progress --dns-server "$dns" -t 2000 btc connect -p "$port" "${names[@]}" \
		>"$BATS_TEST_TMPDIR/p.out" 2>"$BATS_TEST_TMPDIR/p.err" 3>&- &
	echo $! >"$BATS_TEST_TMPDIR/p.pid"
	kill_after p 1
	echo "exit $(cat "$BATS_TEST_TMPDIR/p.ms") ms after SIGTERM"
	tail -n 3 "$BATS_TEST_TMPDIR/p.err"
	[ "$(cat "$BATS_TEST_TMPDIR/p.ms")" -lt 1000 ]
	# stopped while resolving: some names done, many not
	run grep -E '^peershake: stopped by SIGTERM: [0-9]+ running ended, [0-9]+ addresses not started, [0-9]+ names not resolved$' "$BATS_TEST_TMPDIR/p.err"
	assert_success
	local left
	left=$(sed -nE 's/.*, ([0-9]+) names not resolved$/\1/p' "$BATS_TEST_TMPDIR/p.err")
	[ "$left" -gt 0 ] && [ "$left" -lt 100000 ]
	# the summary counts what finished: one result line per peer
	run grep -cE '^FAILED ' "$BATS_TEST_TMPDIR/p.out"
	local n=$output
	run grep -E '^Summary: ' "$BATS_TEST_TMPDIR/p.out"
	assert_output --regexp "^Summary: $n peers: Success 0, Partial 0, Failed $n"
	# no name was reported as failing: the stop is not a DNS error
	! grep -q 'does not resolve' "$BATS_TEST_TMPDIR/p.err"
}

@test "SIGTERM 1 s into 100,000 numeric targets: exits within 1 s with its summary" {
	local dir=$BATS_FILE_TMPDIR port
	port=$(cat "$dir/port")
	mapfile -t targets < <(yes 127.0.0.1 | head -n 100000)
	"$PEERSHAKE" --no-progress -t 2000 btc connect -p "$port" "${targets[@]}" \
		>"$BATS_TEST_TMPDIR/q.out" 2>"$BATS_TEST_TMPDIR/q.err" 3>&- &
	echo $! >"$BATS_TEST_TMPDIR/q.pid"
	kill_after q 1
	echo "exit $(cat "$BATS_TEST_TMPDIR/q.ms") ms after SIGTERM"
	tail -n 3 "$BATS_TEST_TMPDIR/q.err"
	[ "$(cat "$BATS_TEST_TMPDIR/q.ms")" -lt 1000 ]
	local left
	left=$(sed -nE 's/.*ended, ([0-9]+) addresses not started.*/\1/p' "$BATS_TEST_TMPDIR/q.err")
	[ "$left" -gt 0 ] && [ "$left" -lt 100000 ]
	run grep -cE '^FAILED ' "$BATS_TEST_TMPDIR/q.out"
	local n=$output
	run grep -E '^Summary: ' "$BATS_TEST_TMPDIR/q.out"
	assert_output --regexp "^Summary: $n peers: Success 0, Partial 0, Failed $n"
}
