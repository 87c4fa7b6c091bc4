#!/usr/bin/env bats
# peershake crawl --proxy (issue 14): a loopback network of `btc listen`
# responders crawled through SOCKS5, as bats/proxy.bats starts the proxies:
# microsocks, dante-server (danted) and the fake proxy in relay mode
# (bats/socks5_fake.py: takes any username and password, records every
# CONNECT as it arrived). Each proxy connects out from an address of its own
# (127.0.0.2, .3, .4), so a responder's `started` line shows the connection
# came through it. The seed's book names the next peers, a dead address
# inside the allow list, a listener outside it (127.1.0.1), a Tor v3 and two
# I2P names (one at port 0, as Core gossips I2P) and a CJDNS address. Every
# crawl runs with --allow inside loopback; every process is stopped by its
# PID.

load helpers

N=6
ONION=pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion
I2P=ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p
I2P0=ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkda.b32.i2p
CJDNS=fc00:1:2:3:4:5:6:7
ALLOW=(--allow 127.0.0.0/16 --allow ::1/128)
FAKE=$PS_ROOT/bats/socks5_fake.py

# peer I's address (I 0..N-1): 127.0.0.(70+I)
peer() { echo "127.0.0.$((70 + $1)):$PORT"; }
DEAD() { echo "127.0.3.1:$PORT"; }

setup_file() {
	command -v microsocks >/dev/null || skip "microsocks not installed (ci/deps test)"
	command -v danted >/dev/null || skip "danted not installed (ci/deps test)"
}

setup() {
	export PORT=$((20000 + RANDOM % 20000))
	local d=$BATS_TEST_TMPDIR i
	for ((i = 0; i < N; i++)); do
		{
			peer $(((i + 1) % N))
			peer $(((i + 2) % N))
			if ((i == 0)); then
				DEAD
				echo "127.1.0.1:$PORT"
				echo "$ONION:8333"
				echo "$I2P:8333"
				echo "$I2P0:0"
				echo "[$CJDNS]:8333"
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

teardown() {
	local f
	for f in "$BATS_TEST_TMPDIR"/*.pid; do
		[ -e "$f" ] && ps_stop_pid "$f" 10 || true
	done
}

microsocks_start() {
	MS_PORT=$(ps_free_port)
	microsocks -i 127.0.0.1 -p "$MS_PORT" -b 127.0.0.2 >"$BATS_TEST_TMPDIR/ms.log" 2>&1 &
	echo $! >"$BATS_TEST_TMPDIR/ms.pid"
	ps_wait_listen 127.0.0.1 "$MS_PORT" 10
}

# danted as bats/proxy.bats starts it, connecting out from 127.0.0.3 and
# logging every connect and error
danted_start() {
	local dir=$BATS_TEST_TMPDIR
	D_PORT=$(ps_free_port)
	cat >"$dir/danted.conf" <<EOF
logoutput: $dir/danted.log
internal: 127.0.0.1 port = $D_PORT
external: 127.0.0.3
clientmethod: none
socksmethod: none
client pass {
	from: 127.0.0.0/8 to: 127.0.0.0/8
	log: connect disconnect error
}
socks pass {
	from: 127.0.0.0/8 to: 127.0.0.0/8
	log: connect disconnect error
}
EOF
	danted -f "$dir/danted.conf" >"$dir/danted.out" 2>&1 &
	echo $! >"$dir/danted.pid"
	ps_wait_listen 127.0.0.1 "$D_PORT" 10 || {
		cat "$dir/danted.out" "$dir/danted.log" >&2
		return 1
	}
}

# fake_start ARGS...: the fake proxy relaying from 127.0.0.4; F_PORT, fake.rec
fake_start() {
	local dir=$BATS_TEST_TMPDIR
	: >"$dir/fake.rec"
	"$PS_PYTHON" "$FAKE" --mode relay --bind 127.0.0.4 --log "$dir/fake.rec" "$@" \
		>"$dir/fake.out" 2>"$dir/fake.err" &
	echo $! >"$dir/fake.pid"
	ps_wait_log "$dir/fake.out" '^port=' 10
	F_PORT=$(sed -n 's/^port=//p' "$dir/fake.out")
}

# crawl_via PORT ARGS...: the crawl through the proxy at 127.0.0.1:PORT,
# JSON Lines in c.out
crawl_via() {
	local port=$1
	shift
	run -0 "$PEERSHAKE" crawl "${ALLOW[@]}" --getaddr-wait 300 -t 3000 --concurrency 8 \
		--proxy "socks5://127.0.0.1:$port" "$@" "$(peer 0)"
	echo "$output" >"$BATS_TEST_TMPDIR/c.out"
}

jqc() { jq -r "$1" "$BATS_TEST_TMPDIR/c.out"; }

# check_crawl VIA: what every crawl through a proxy that connects out from
# VIA shows: each responder found once, each dialled through the proxy
# (its inbound connection came from VIA, one each), the dead peer and the
# two names dialled and failed with the proxy's reason, the rest recorded
# with why, nothing for the listener outside the allow list.
check_crawl() {
	local via=$1 i
	run jqc 'select(.event=="crawl_peer" and .outcome=="SUCCESS") | .peer'
	[ "$(sort <<<"$output")" = "$(for ((i = 0; i < N; i++)); do peer "$i"; done | sort)" ] ||
		fail "succeeded: $output"
	for ((i = 0; i < N; i++)); do
		run jq -r 'select(.event=="started") | .peer' "$BATS_TEST_TMPDIR/l$i.out"
		[ "${#lines[@]}" -eq 1 ] || fail "peer $i saw ${#lines[@]} connections: $output"
		[[ ${lines[0]} == "$via":* ]] || fail "peer $i saw ${lines[0]}, not the proxy's $via"
	done
	# dialled through the proxy and failed there: the proxy's reason, never
	# one of the peer's
	run jqc 'select(.event=="crawl_peer" and .outcome!="SUCCESS") | "\(.peer) \(.outcome) \(.reason)"'
	[ "${#lines[@]}" -eq 3 ] || fail "failed: $output"
	local l
	for l in "${lines[@]}"; do
		[[ $l =~ ^[^\ ]+\ FAILED\ proxy-[a-z-]+$ ]] || fail "not a proxy reason: $l"
	done
	[ "$(cut -d' ' -f1 <<<"$output" | sort)" = "$(printf '%s\n' "$(DEAD)" "$ONION:8333" "$I2P:8333" | sort)" ]
	# recorded, not dialled: CJDNS still, the I2P name at port 0, the
	# address outside the allow list (behind the proxy as without one)
	run bash -c "jq -r 'select(.event==\"crawl_addr\") | \"\\(.network) \\(.address) \\(.port) \\(.reason) \\(.dialled)\"' '$BATS_TEST_TMPDIR/c.out' | sort"
	assert_output "cjdns $CJDNS 8333 unreachable-network false
i2p $I2P0 0 port-0 false
ipv4 127.1.0.1 $PORT not-allowed false"
	run jqc 'select(.event=="crawl_summary") | "\(.peers) \(.dialled) \(.succeeded) \(.recorded) \(.network.ipv4) \(.network.torv3) \(.network.i2p) \(.network.cjdns)"'
	assert_output "$((N + 3)) $((N + 3)) $N 3 $((N + 2)) 1 2 1"
	run grep -c '"event":"started"' "$BATS_TEST_TMPDIR/outside.out"
	assert_output 0
}

@test "without --proxy: the names are recorded (no-proxy), never dialled" {
	run -0 "$PEERSHAKE" crawl "${ALLOW[@]}" --getaddr-wait 300 -t 3000 "$(peer 0)"
	echo "$output" >"$BATS_TEST_TMPDIR/c.out"
	run bash -c "jq -r 'select(.event==\"crawl_addr\") | \"\\(.network) \\(.address) \\(.reason)\"' '$BATS_TEST_TMPDIR/c.out' | sort"
	assert_output "cjdns $CJDNS unreachable-network
i2p $I2P0 no-proxy
i2p $I2P no-proxy
ipv4 127.1.0.1 not-allowed
torv3 $ONION no-proxy"
	run jqc 'select(.event=="crawl_peer" and .outcome=="SUCCESS") | .peer'
	[ "${#lines[@]}" -eq $N ]
}

@test "through microsocks: every peer found, every connection through it, the allow list holds behind it, the names dialled through it" {
	microsocks_start
	crawl_via "$MS_PORT"
	check_crawl 127.0.0.2
	# its log: one connect to each responder, never the address outside
	# the allow list (microsocks logs a connect once it is made: the dead
	# peer and the names, which it cannot resolve, leave no line)
	run sed -nE 's/^client\[[0-9]+\] 127\.0\.0\.1: connected to (.*)$/\1/p' "$BATS_TEST_TMPDIR/ms.log"
	[ "$(sort <<<"$output")" = "$(for ((i = 0; i < N; i++)); do peer "$i"; done | sort)" ] ||
		fail "microsocks connected to: $output"
	run grep -c '127\.1\.' "$BATS_TEST_TMPDIR/ms.log"
	assert_output 0
	# microsocks answers a name it cannot resolve with REP 1
	run jqc "select(.event==\"crawl_peer\" and (.peer==\"$ONION:8333\" or .peer==\"$I2P:8333\")) | .reason"
	assert_output "proxy-general-failure
proxy-general-failure"
}

@test "through danted: every peer found through it; the .onion and .b32.i2p names reach it unresolved" {
	danted_start
	crawl_via "$D_PORT"
	check_crawl 127.0.0.3
	local i
	for ((i = 0; i < N; i++)); do
		# "tcp/connect [: CLIENT PROXY -> 127.0.0.3.PORT PEER.PORT"
		run grep -cE "pass\\(1\\): tcp/connect \\[: .* -> 127\\.0\\.0\\.3\\.[0-9]+ 127\\.0\\.0\\.$((70 + i))\\.$PORT\$" \
			"$BATS_TEST_TMPDIR/danted.log"
		assert_output 1
	done
	# the names arrived as names: danted tried to resolve them itself
	run grep -cF "could not resolve hostname \"$ONION\"" "$BATS_TEST_TMPDIR/danted.log"
	[ "$output" -ge 1 ]
	run grep -cF "could not resolve hostname \"$I2P\"" "$BATS_TEST_TMPDIR/danted.log"
	[ "$output" -ge 1 ]
	run grep -c '127\.1\.\|fc00\|'"$I2P0" "$BATS_TEST_TMPDIR/danted.log"
	assert_output 0
}

@test "through a relaying proxy: each CONNECT as it arrived, IPs as ATYP 1, the names as ATYP 3, no credentials" {
	fake_start --rep 0xf0
	crawl_via "$F_PORT"
	check_crawl 127.0.0.4
	local want i
	want=$({
		for ((i = 0; i < N; i++)); do echo "cmd=1 atyp=1 host=127.0.0.$((70 + i)) port=$PORT user=- pass=-"; done
		echo "cmd=1 atyp=1 host=127.0.3.1 port=$PORT user=- pass=-"
		echo "cmd=1 atyp=3 host=$ONION port=8333 user=- pass=-"
		echo "cmd=1 atyp=3 host=$I2P port=8333 user=- pass=-"
	} | sort)
	run sort "$BATS_TEST_TMPDIR/fake.rec"
	assert_output "$want"
	# the fake's REP for a name: Tor's 0xF0, the proxy's reason; and the
	# dead peer refused the proxy (REP 5)
	run jqc "select(.event==\"crawl_peer\" and .outcome==\"FAILED\") | \"\\(.peer) \\(.reason)\""
	assert_line "$ONION:8333 proxy-onion-descriptor-not-found"
	assert_line "$I2P:8333 proxy-onion-descriptor-not-found"
	assert_line "$(DEAD) proxy-connection-refused"
}

@test "--proxy-isolate: every connection of the crawl its own random username and password" {
	fake_start --rep 4
	crawl_via "$F_PORT" --proxy-isolate
	check_crawl 127.0.0.4
	run sed -nE 's/^cmd=1 atyp=[13] host=([^ ]+) port=[0-9]+ user=([0-9a-f]{32}) pass=([0-9a-f]{32})$/\1 \2 \3/p' \
		"$BATS_TEST_TMPDIR/fake.rec"
	# every CONNECT had them: the responders, the dead peer, the two names
	[ "${#lines[@]}" -eq $((N + 3)) ] || fail "$output"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/fake.rec")" -eq $((N + 3)) ]
	local l
	for l in "${lines[@]}"; do
		read -r _ u p <<<"$l"
		[ "$u" = "$p" ] || fail "name and password differ: $l"
	done
	[ "$(cut -d' ' -f2 <<<"$output" | sort -u | wc -l)" -eq $((N + 3)) ]
}

@test "a proxy outside the allow list is refused: every connection would go to it" {
	fake_start
	# the responders (127.0.0.70..75) are inside 127.0.0.64/28, the proxy
	# (127.0.0.1) is not
	run -2 "$PEERSHAKE" crawl --allow 127.0.0.64/28 --getaddr-wait 300 -t 3000 \
		--proxy "socks5://127.0.0.1:$F_PORT" "$(peer 0)"
	[ "${#lines[@]}" -eq 1 ]
	assert_output "peershake: the --proxy address 127.0.0.1 is outside --allow/--deny: every connection of the crawl goes to it"
	[ ! -s "$BATS_TEST_TMPDIR/fake.rec" ]
	run grep -c '"event":"started"' "$BATS_TEST_TMPDIR/l0.out"
	assert_output 0
}
