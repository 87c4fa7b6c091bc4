#!/usr/bin/env bats
# peershake crawl (issue 14): a loopback network of `btc listen` responders
# on 127.0.0.x, each answering getaddr from a file that names a few others
# (some dead, some already seen, a Tor v3 and a CJDNS entry, and 127.1.0.1
# outside the allow list). Every crawl runs with --allow inside loopback;
# every process is stopped by its PID.

load helpers

N=50
ONION=pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion
ALLOW=(--allow 127.0.0.0/16 --allow ::1/128)

# peer I's address (I 0..N-1): 127.0.0.(10+I)
peer() { echo "127.0.0.$((10 + $1)):$PORT"; }

setup_file() {
	export PORT=$((20000 + RANDOM % 20000))
	local d=$BATS_FILE_TMPDIR i
	for ((i = 0; i < N; i++)); do
		{
			# a ring: the next two; every fifth also a dead address
			# (nothing listens on 127.0.1.x) and peer 0 again (seen)
			peer $(((i + 1) % N))
			peer $(((i + 2) % N))
			if ((i % 5 == 0)); then
				echo "127.0.1.$i:$PORT"
				peer 0
			fi
			if ((i == 7)); then
				echo "$ONION:8333"
				echo "[fc00:1:2:3:4:5:6:7]:8333"
				echo "127.1.0.1:$PORT"
			fi
		} >"$d/book$i"
		"$PEERSHAKE" btc listen -j --linger 3000 --addr-pct 100 --addr-file "$d/book$i" \
			"$(peer "$i")" >"$d/l$i.out" 2>"$d/l$i.err" &
		echo $! >"$d/l$i.pid"
	done
	# outside the allow list: it must never see a connection
	"$PEERSHAKE" btc listen -j "127.1.0.1:$PORT" >"$d/outside.out" 2>"$d/outside.err" &
	echo $! >"$d/outside.pid"
	for ((i = 0; i < N; i++)); do
		ps_wait_log "$d/l$i.out" '"event":"listening"' 10
	done
	ps_wait_log "$d/outside.out" '"event":"listening"' 10
}

teardown_file() {
	local f
	for f in "$BATS_FILE_TMPDIR"/*.pid; do
		ps_stop_pid "$f" 10 || true
	done
}

crawl() {
	"$PEERSHAKE" crawl "${ALLOW[@]}" --getaddr-wait 300 -t 3000 --concurrency 16 "$@" "$(peer 0)"
}

jqf() { jq -r "$1" "$2"; }

@test "every reachable peer is found once; dead ones fail; the rest recorded, not dialled" {
	local out=$BATS_TEST_TMPDIR/c.out
	run -0 crawl --csv "$BATS_TEST_TMPDIR/c.csv" --html "$BATS_TEST_TMPDIR/c.html"
	echo "$output" >"$out"
	# all N responders succeeded, each exactly once
	run jqf 'select(.event=="crawl_peer" and .outcome=="SUCCESS") | .peer' "$out"
	[ "$(echo "$output" | wc -l)" -eq $N ]
	[ "$(echo "$output" | sort -u | wc -l)" -eq $N ]
	for ((i = 0; i < N; i++)); do
		echo "$output" | grep -qx "$(peer "$i")"
	done
	# every dialled peer once, the 10 dead ones (127.0.1.0, .5, ... .45) failed
	run jqf 'select(.event=="crawl_peer") | .peer' "$out"
	[ "$(echo "$output" | wc -l)" -eq $((N + 10)) ]
	[ "$(echo "$output" | sort -u | wc -l)" -eq $((N + 10)) ]
	run jqf 'select(.event=="crawl_peer" and .outcome=="FAILED") | .peer' "$out"
	[ "$(echo "$output" | wc -l)" -eq 10 ]
	! echo "$output" | grep -qv '^127\.0\.1\.'
	# recorded without dialling, each once, with why
	# (a responder answers in its own order: sorted here)
	run bash -c "jq -r 'select(.event==\"crawl_addr\") | \"\\(.network) \\(.address) \\(.reason)\"' '$out' | sort"
	assert_output "cjdns fc00:1:2:3:4:5:6:7 unreachable-network
ipv4 127.1.0.1 not-allowed
torv3 $ONION no-proxy"
	run jqf 'select(.event=="crawl_summary") | "\(.peers) \(.succeeded) \(.outcome.FAILED) \(.network.torv3) \(.network.cjdns) \(.user_agent["/peershake:0.1.0/"])"' "$out"
	assert_output "$((N + 10)) $N 10 1 1 $N"
	# the listener outside the allow list never saw a connection
	run grep -c '"event":"started"' "$BATS_FILE_TMPDIR/outside.out"
	assert_output 0
	# one CSV row per dialled peer, under the header
	[ "$(wc -l <"$BATS_TEST_TMPDIR/c.csv")" -eq $((N + 11)) ]
	head -n1 "$BATS_TEST_TMPDIR/c.csv" | grep -q '^peer,depth,outcome,'
	grep -q '<div class="bar"' "$BATS_TEST_TMPDIR/c.html"
	! grep -qiE '(src|href)=' "$BATS_TEST_TMPDIR/c.html"
}

@test "--max-peers bounds the peers dialled" {
	run -0 crawl --max-peers 5
	echo "$output" >"$BATS_TEST_TMPDIR/c.out"
	run jqf 'select(.event=="crawl_peer") | .peer' "$BATS_TEST_TMPDIR/c.out"
	[ "$(echo "$output" | wc -l)" -eq 5 ]
	run jqf 'select(.event=="crawl_addr" and .reason=="max-peers") | .address' "$BATS_TEST_TMPDIR/c.out"
	[ -n "$output" ]
}

@test "--max-depth bounds the hops from the seed" {
	run -0 crawl --max-depth 1
	echo "$output" >"$BATS_TEST_TMPDIR/c.out"
	# the seed (depth 0) and what it named: peers 1, 2, dead 127.0.1.0
	run jqf 'select(.event=="crawl_peer") | "\(.depth) \(.peer)"' "$BATS_TEST_TMPDIR/c.out"
	[ "$(echo "$output" | sort)" = "$(printf '0 %s\n1 %s\n1 %s\n1 %s' "$(peer 0)" "127.0.1.0:$PORT" "$(peer 1)" "$(peer 2)" | sort)" ]
	run jqf 'select(.event=="crawl_addr" and .reason=="max-depth") | .depth' "$BATS_TEST_TMPDIR/c.out"
	[ -n "$output" ]
	! echo "$output" | grep -qv '^2$'
}

@test "bad input: one line, exit 2" {
	local a
	for a in "--allow 127.0.0.1/16" "--deny 10.0.0.0/33" "--allow nonsense" "--max-peers 0" "--no-such-option"; do
		# shellcheck disable=SC2086
		run -2 "$PEERSHAKE" crawl "${ALLOW[@]}" $a "127.0.0.1:$PORT"
		[ "${#lines[@]}" -eq 1 ]
	done
	run -2 "$PEERSHAKE" btc connect --max-peers 3 "127.0.0.1:$PORT"
	[ "${#lines[@]}" -eq 1 ]
}
