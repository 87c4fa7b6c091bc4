#!/usr/bin/env bats
# --proxy: every outbound connection through a SOCKS5 proxy (RFC 1928,
# RFC 1929), against two real servers from Debian on loopback, microsocks
# (no auth, and -u/-P username/password) and dante-server (danted, no auth:
# its username method checks system users, which a test should not make),
# and a fake proxy (bats/socks5_fake.py) for what real ones do not do on
# demand: closing mid-reply, staying silent, recording the name it got.
# Every server binds to 127.0.0.1; nothing leaves the machine.

load helpers

FAKE=$PS_ROOT/bats/socks5_fake.py

setup_file() {
	command -v microsocks >/dev/null || skip "microsocks not installed (ci/deps test)"
	command -v danted >/dev/null || skip "danted not installed (ci/deps test)"
}

teardown() {
	for p in "$BATS_TEST_TMPDIR"/*.pid; do
		[ -e "$p" ] && ps_stop_pid "$p" 5 || true
	done
}

# microsocks NAME ARGS...: start microsocks on a free loopback port, set
# MS_PORT.
microsocks_start() {
	local name=$1
	shift
	MS_PORT=$(ps_free_port)
	microsocks -i 127.0.0.1 -p "$MS_PORT" "$@" >"$BATS_TEST_TMPDIR/$name.log" 2>&1 &
	echo $! >"$BATS_TEST_TMPDIR/$name.pid"
	ps_wait_listen 127.0.0.1 "$MS_PORT" 10
}

# danted_start: danted unprivileged-style in the foreground with a config
# this test writes (no auth, loopback only), stopped by its PID; set D_PORT.
danted_start() {
	local dir=$BATS_TEST_TMPDIR
	D_PORT=$(ps_free_port)
	cat >"$dir/danted.conf" <<EOF
logoutput: $dir/danted.log
internal: 127.0.0.1 port = $D_PORT
external: 127.0.0.1
clientmethod: none
socksmethod: none
client pass {
	from: 127.0.0.0/8 to: 127.0.0.0/8
}
socks pass {
	from: 127.0.0.0/8 to: 127.0.0.0/8
}
EOF
	danted -f "$dir/danted.conf" >"$dir/danted.out" 2>&1 &
	echo $! >"$dir/danted.pid"
	ps_wait_listen 127.0.0.1 "$D_PORT" 10 || {
		cat "$dir/danted.out" "$dir/danted.log" >&2
		return 1
	}
}

# fake_start ARGS...: the fake proxy; set F_PORT. Its log is fake.rec.
fake_start() {
	local dir=$BATS_TEST_TMPDIR
	: >"$dir/fake.rec"
	"$PS_PYTHON" "$FAKE" --log "$dir/fake.rec" "$@" >"$dir/fake.out" 2>"$dir/fake.err" &
	echo $! >"$dir/fake.pid"
	ps_wait_log "$dir/fake.out" '^port=' 10
	F_PORT=$(sed -n 's/^port=//p' "$dir/fake.out")
}

# connect ARGS...: peershake ARGS... --json, output in conn.out, status in CSTATUS
pconnect() {
	CSTATUS=0
	"$PEERSHAKE" --json "$@" >"$BATS_TEST_TMPDIR/conn.out" 2>"$BATS_TEST_TMPDIR/conn.err" ||
		CSTATUS=$?
}

result() {
	jq -r "select(.event==\"result\") | .$1 // \"\"" "$BATS_TEST_TMPDIR/conn.out"
}

@test "microsocks, no auth: btc connect to a peershake listener succeeds, the SOCKS5 steps logged" {
	microsocks_start ms
	ps_listen lst 127.0.0.1:0 -n regtest --json --count 1
	pconnect btc connect -n regtest --proxy "socks5://127.0.0.1:$MS_PORT" "127.0.0.1:$LISTEN_PORT"
	cat "$BATS_TEST_TMPDIR/conn.err" >&2
	[ "$CSTATUS" -eq 0 ]
	[ "$(result result)" = SUCCESS ]
	[ "$(result proxy)" = "127.0.0.1:$MS_PORT" ]
	# what went on the wire to the proxy, in order
	run jq -c 'select(.event|startswith("proxy_")) | [.event, .message // "", .bytes // 0]' \
		"$BATS_TEST_TMPDIR/conn.out"
	assert_output - <<'EOF'
["proxy_connected","",0]
["proxy_sent","greeting",3]
["proxy_recv","method",2]
["proxy_sent","connect",10]
["proxy_recv","reply",10]
EOF
	run jq -c 'select(.event=="proxy_sent" and .message=="connect") | [.atyp, .address]' \
		"$BATS_TEST_TMPDIR/conn.out"
	assert_output "[\"ipv4\",\"127.0.0.1:$LISTEN_PORT\"]"
	run jq -r 'select(.event=="proxy_recv" and .message=="reply") | .rep' "$BATS_TEST_TMPDIR/conn.out"
	assert_output 0
	# the proxy phase comes before the handshake: connected, then version
	run jq -r 'select(.event=="connected" or .event=="sent") | .event + ":" + (.command // "")' \
		"$BATS_TEST_TMPDIR/conn.out"
	assert_line --index 0 "connected:"
	assert_line --index 1 "sent:version"
	ps_wait_exit lst 10
	[ "$(jq -r 'select(.event=="result") | .result' "$BATS_TEST_TMPDIR/lst.out")" = SUCCESS ]
}

@test "IPv6: a proxy at [::1] and a target at [::1] (ATYP 4)" {
	local port
	port=$(ps_free_port ::1)
	microsocks -i ::1 -p "$port" >"$BATS_TEST_TMPDIR/ms6.log" 2>&1 &
	echo $! >"$BATS_TEST_TMPDIR/ms6.pid"
	ps_wait_port ::1 "$port" 10
	ps_listen lst '[::1]:0' -n regtest --count 1
	pconnect btc connect -n regtest --proxy "socks5://[::1]:$port" "[::1]:$LISTEN_PORT"
	[ "$CSTATUS" -eq 0 ]
	[ "$(result result)" = SUCCESS ]
	run jq -r 'select(.event=="proxy_sent" and .message=="connect") | .atyp + " " + .address + " " + (.bytes|tostring)' \
		"$BATS_TEST_TMPDIR/conn.out"
	assert_output "ipv6 [::1]:$LISTEN_PORT 22"
}

@test "microsocks -u -P: username/password accepted, a wrong password and no credentials refused" {
	microsocks_start ms -u alice -P s3cret
	ps_listen lst 127.0.0.1:0 -n regtest --count 1
	pconnect btc connect -n regtest --proxy "socks5://alice:s3cret@127.0.0.1:$MS_PORT" \
		"127.0.0.1:$LISTEN_PORT"
	[ "$CSTATUS" -eq 0 ]
	[ "$(result result)" = SUCCESS ]
	run jq -c 'select(.event=="proxy_sent" or .event=="proxy_recv") | [.message, .method // .status // .rep // ""]' \
		"$BATS_TEST_TMPDIR/conn.out"
	assert_output - <<'EOF'
["greeting",""]
["method",2]
["auth",""]
["auth-status",0]
["connect",""]
["reply",0]
EOF
	run jq -c 'select(.event=="proxy_sent" and .message=="greeting") | .methods' "$BATS_TEST_TMPDIR/conn.out"
	assert_output "[0,2]"
	# the password is in no line
	run grep -c s3cret "$BATS_TEST_TMPDIR/conn.out"
	assert_output 0

	pconnect btc connect -n regtest -t 2000 --proxy "socks5://alice:wrong@127.0.0.1:$MS_PORT" \
		"127.0.0.1:$LISTEN_PORT"
	[ "$CSTATUS" -eq 1 ]
	[ "$(result reason)" = proxy-auth-failed ]
	[ "$(result detail)" = "proxy: auth failed" ]

	pconnect btc connect -n regtest -t 2000 --proxy "socks5://127.0.0.1:$MS_PORT" \
		"127.0.0.1:$LISTEN_PORT"
	[ "$CSTATUS" -eq 1 ]
	[ "$(result reason)" = proxy-no-acceptable-method ]
	[ "$(result detail)" = "proxy: no acceptable authentication method" ]
}

@test "danted, no auth: btc connect succeeds, and 'local' is the proxy's end the listener saw (BND)" {
	danted_start
	ps_listen lst 127.0.0.1:0 -n regtest --json --count 1
	pconnect btc connect -n regtest --proxy "socks5://127.0.0.1:$D_PORT" "127.0.0.1:$LISTEN_PORT"
	[ "$CSTATUS" -eq 0 ]
	[ "$(result result)" = SUCCESS ]
	ps_wait_exit lst 10
	local ours theirs
	ours=$(jq -r 'select(.event=="connected") | .local' "$BATS_TEST_TMPDIR/conn.out")
	theirs=$(jq -r 'select(.event=="started") | .peer' "$BATS_TEST_TMPDIR/lst.out")
	[ -n "$ours" ] && [ "$ours" = "$theirs" ]
	# and not our own end of the connection to the proxy
	[ "$ours" != "$(jq -r 'select(.event=="proxy_connected") | .local' "$BATS_TEST_TMPDIR/conn.out")" ]
}

@test "a target that is down behind the proxy: REP 5 is the proxy's 'connection refused', not the peer's" {
	danted_start
	microsocks_start ms
	local down
	down=$(ps_free_port)
	for port in "$D_PORT" "$MS_PORT"; do
		pconnect btc connect -n regtest -t 3000 --proxy "socks5://127.0.0.1:$port" "127.0.0.1:$down"
		[ "$CSTATUS" -eq 1 ]
		[ "$(result reason)" = proxy-connection-refused ]
		[ "$(result detail)" = "proxy: connection refused" ]
		[ "$(jq -r 'select(.event=="proxy_recv" and .message=="reply") | .rep' "$BATS_TEST_TMPDIR/conn.out")" = 5 ]
		# the peer never came into it
		[ "$(jq -c 'select(.event=="connected")' "$BATS_TEST_TMPDIR/conn.out")" = "" ]
	done
}

@test "a proxy that is down, one that closes mid-reply, one that never answers: each the proxy's failure" {
	local down
	down=$(ps_free_port)
	pconnect btc connect -n regtest -t 3000 --proxy "socks5://127.0.0.1:$down" 127.0.0.1:18444
	[ "$CSTATUS" -eq 1 ]
	[ "$(result reason)" = proxy-unavailable ]
	[[ "$(result detail)" == "proxy: cannot connect to the proxy 127.0.0.1:$down (connection refused)" ]]

	fake_start --mode close-mid
	pconnect btc connect -n regtest -t 3000 --proxy "socks5://127.0.0.1:$F_PORT" 127.0.0.1:18444
	[ "$CSTATUS" -eq 1 ]
	[ "$(result reason)" = proxy-closed ]
	[ "$(result detail)" = "proxy: closed before the connect reply" ]
	ps_stop fake

	# the deadline covers the proxy phase too
	fake_start --mode silent
	local t0 t1
	t0=$(date +%s%N)
	pconnect btc connect -n regtest -t 700 --proxy "socks5://127.0.0.1:$F_PORT" 127.0.0.1:18444
	t1=$(date +%s%N)
	[ "$CSTATUS" -eq 1 ]
	[ "$(result reason)" = proxy-timeout ]
	[ "$(result detail)" = "proxy: timed out waiting for the method selection" ]
	(((t1 - t0) / 1000000 < 3000))
}

@test "a .onion name goes to the proxy unresolved (ATYP 3), and Tor's onion REP codes are reasons" {
	local onion=pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion
	fake_start --mode record --rep 0xf0
	pconnect btc connect -t 3000 --proxy "socks5://127.0.0.1:$F_PORT" "$onion:8333" nxdomain.invalid
	[ "$CSTATUS" -eq 1 ]
	run cat "$BATS_TEST_TMPDIR/fake.rec"
	assert_line "cmd=1 atyp=3 host=$onion port=8333 user=- pass=-"
	# not even a name that does not resolve is looked up: it goes too
	assert_line "cmd=1 atyp=3 host=nxdomain.invalid port=8333 user=- pass=-"
	run jq -r 'select(.event=="result") | .peer + " " + .reason + " " + .detail' "$BATS_TEST_TMPDIR/conn.out"
	assert_line "$onion:8333 proxy-onion-descriptor-not-found proxy: onion service descriptor can not be found"
	run jq -r 'select(.event=="proxy_sent" and .message=="connect") | .atyp + " " + .address' \
		"$BATS_TEST_TMPDIR/conn.out"
	assert_line "domain $onion:8333"
	[ "$(jq -c 'select(.event=="resolved" or .event=="dns_error")' "$BATS_TEST_TMPDIR/conn.out")" = "" ]
}

@test "every REP code is its own reason, end to end (RFC 1928 section 6, Tor's 0xF0..0xF7)" {
	while IFS='|' read -r rep reason detail; do
		ps_stop fake
		fake_start --mode record --rep "$rep"
		pconnect btc connect -t 3000 --proxy "socks5://127.0.0.1:$F_PORT" 192.0.2.1:8333
		[ "$CSTATUS" -eq 1 ]
		[ "$(result reason)" = "$reason" ] || { echo "REP $rep: $(result reason)"; false; }
		[ "$(result detail)" = "$detail" ] || { echo "REP $rep: $(result detail)"; false; }
	done <<'CASES'
1|proxy-general-failure|proxy: general SOCKS server failure
2|proxy-not-allowed|proxy: connection not allowed by ruleset
3|proxy-network-unreachable|proxy: network unreachable
4|proxy-host-unreachable|proxy: host unreachable
5|proxy-connection-refused|proxy: connection refused
6|proxy-ttl-expired|proxy: TTL expired
7|proxy-command-not-supported|proxy: command not supported
8|proxy-address-type-not-supported|proxy: address type not supported
0x09|proxy-unassigned-reply|proxy: unassigned reply code 0x09
0x2a|proxy-unassigned-reply|proxy: unassigned reply code 0x2a
0xf0|proxy-onion-descriptor-not-found|proxy: onion service descriptor can not be found
0xf1|proxy-onion-descriptor-invalid|proxy: onion service descriptor is invalid
0xf2|proxy-onion-intro-failed|proxy: onion service introduction failed
0xf3|proxy-onion-rendezvous-failed|proxy: onion service rendezvous failed
0xf4|proxy-onion-auth-missing|proxy: onion service missing client authorization
0xf5|proxy-onion-auth-wrong|proxy: onion service wrong client authorization
0xf6|proxy-onion-bad-address|proxy: onion service invalid address
0xf7|proxy-onion-intro-timeout|proxy: onion service introduction timed out
0xff|proxy-unassigned-reply|proxy: unassigned reply code 0xff
CASES
}

@test "the sweep through a proxy: the seed's name goes to the proxy, as Core's AddAddrFetch" {
	fake_start --mode record --rep 4
	pconnect --proxy "socks5://127.0.0.1:$F_PORT" seed.example.invalid 18333 2000
	[ "$CSTATUS" -eq 1 ]
	run cat "$BATS_TEST_TMPDIR/fake.rec"
	assert_output "cmd=1 atyp=3 host=seed.example.invalid port=18333 user=- pass=-"
	[ "$(result reason)" = proxy-host-unreachable ]
	[ "$(result detail)" = "proxy: host unreachable" ]
}

@test "--proxy-isolate: each connection its own random username and password" {
	fake_start --mode record --rep 3
	pconnect btc connect -t 3000 --proxy-isolate --proxy "socks5://127.0.0.1:$F_PORT" \
		a.onion:8333 b.onion:8333 c.onion:8333
	[ "$CSTATUS" -eq 1 ]
	[ "$(result reason | sort -u)" = proxy-network-unreachable ]
	run sed -nE 's/.* user=([0-9a-f]{32}) pass=([0-9a-f]{32})$/\1 \2/p' "$BATS_TEST_TMPDIR/fake.rec"
	[ "${#lines[@]}" -eq 3 ]
	# as Core's -proxyrandomize: name and password the same, one pair a connection
	for l in "${lines[@]}"; do
		[ "${l% *}" = "${l#* }" ]
	done
	[ "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" -eq 3 ]
}

@test "many connections through one proxy at once: 24 handshakes through danted in one loop" {
	danted_start
	ps_listen lst 127.0.0.1:0 -n regtest --count 24
	local targets=()
	for _ in $(seq 24); do targets+=("127.0.0.1:$LISTEN_PORT"); done
	pconnect btc connect -n regtest -t 5000 --proxy "socks5://127.0.0.1:$D_PORT" "${targets[@]}"
	[ "$CSTATUS" -eq 0 ]
	[ "$(jq -r 'select(.event=="summary") | .success' "$BATS_TEST_TMPDIR/conn.out")" = 24 ]
	# all 24 were negotiating with the proxy before the first handshake ended
	run jq -r 'select(.event=="proxy_connected" or .event=="result") | .event' "$BATS_TEST_TMPDIR/conn.out"
	[ "$(printf '%s\n' "${lines[@]:0:24}" | sort -u)" = proxy_connected ]
	ps_wait_exit lst 10
}

@test "--v2transport auto through a proxy: the v1 retry dials the same name through it again" {
	microsocks_start ms
	ps_listen lst 127.0.0.1:0 -n regtest --v2transport 0 --count 1
	pconnect btc connect -n regtest -t 5000 --v2transport auto \
		--proxy "socks5://127.0.0.1:$MS_PORT" "localhost:$LISTEN_PORT"
	[ "$CSTATUS" -eq 0 ]
	run jq -r 'select(.event=="started" or .event=="retry" or .event=="result") | .event + " " + .peer + " " + (.result // "-")' \
		"$BATS_TEST_TMPDIR/conn.out"
	assert_output - <<EOF
started localhost:$LISTEN_PORT -
retry localhost:$LISTEN_PORT -
started localhost:$LISTEN_PORT -
result localhost:$LISTEN_PORT SUCCESS
EOF
	# both attempts asked the proxy for the name, unresolved
	run jq -r 'select(.event=="proxy_sent" and .message=="connect") | .atyp + " " + .address' \
		"$BATS_TEST_TMPDIR/conn.out"
	assert_output - <<EOF
domain localhost:$LISTEN_PORT
domain localhost:$LISTEN_PORT
EOF
	[ "$(result transport)" = v1 ]
}

@test "text output: the proxy's reason on the FAILED line, the steps with -v" {
	danted_start
	local down
	down=$(ps_free_port)
	run "$PEERSHAKE" btc connect -n regtest -v -t 3000 --proxy "socks5://127.0.0.1:$D_PORT" "127.0.0.1:$down"
	[ "$status" -eq 1 ]
	assert_line --regexp "^FAILED +127\\.0\\.0\\.1:$down +proxy: connection refused \\([0-9]+ ms\\)$"
	assert_line "  127.0.0.1:$down proxy -> greeting (3 bytes) methods=0"
	assert_line "  127.0.0.1:$down proxy <- method (2 bytes) method=0"
	assert_line "  127.0.0.1:$down proxy -> connect (10 bytes) ipv4 127.0.0.1:$down"
	assert_line --regexp "^  127\\.0\\.0\\.1:$down proxy <- reply \\(10 bytes\\) rep=5 bound=127\\.0\\.0\\.1:[0-9]+$"
}

@test "noise connect through microsocks to a peershake noise listener" {
	export PEERSHAKE_PSK=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
	microsocks_start ms -u bob -P pw
	"$PEERSHAKE" noise listen --json --count 1 127.0.0.1:0 >"$BATS_TEST_TMPDIR/nl.out" 2>&1 &
	echo $! >"$BATS_TEST_TMPDIR/nl.pid"
	ps_wait_log "$BATS_TEST_TMPDIR/nl.out" '"event":"listening"' 10
	local port
	port=$(jq -r 'select(.event=="listening") | .port' "$BATS_TEST_TMPDIR/nl.out")
	pconnect noise connect --proxy "socks5://bob:pw@127.0.0.1:$MS_PORT" "127.0.0.1:$port"
	[ "$CSTATUS" -eq 0 ]
	[ "$(result result)" = SUCCESS ]
	[ "$(result proxy)" = "127.0.0.1:$MS_PORT" ]
	ps_wait_exit nl 10
	local a b
	a=$(result handshake_hash)
	b=$(jq -r 'select(.event=="result") | .handshake_hash' "$BATS_TEST_TMPDIR/nl.out")
	[ -n "$a" ] && [ "$a" = "$b" ]
}

@test "bad --proxy input: one line on stderr, exit 2, never the password" {
	while IFS='|' read -r want args; do
		# shellcheck disable=SC2086
		run $PEERSHAKE $args
		[ "$status" -eq 2 ] || { echo "args '$args': status $status"; false; }
		[ "${#lines[@]}" -eq 1 ] || { echo "args '$args': ${#lines[@]} lines: $output"; false; }
		[[ $output == *"$want"* ]] || { echo "args '$args': want '$want' in '$output'"; false; }
		[[ $output != *hunter2* ]] || { echo "args '$args': the password in '$output'"; false; }
	done <<'CASES'
unknown --proxy scheme 'http'|--proxy http://127.0.0.1:1080 btc connect 127.0.0.1
unknown --proxy scheme 'socks4'|--proxy socks4://127.0.0.1:1080 btc connect 127.0.0.1
bad --proxy: want socks5://|--proxy 127.0.0.1:1080 btc connect 127.0.0.1
give the port|--proxy socks5://127.0.0.1 btc connect 127.0.0.1
bad --proxy port '99999'|--proxy socks5://127.0.0.1:99999 btc connect 127.0.0.1
bad --proxy port '0'|--proxy socks5://u:hunter2@127.0.0.1:0 btc connect 127.0.0.1
bad --proxy port 'x'|--proxy socks5://[::1]:x btc connect 127.0.0.1
want a numeric IP address|--proxy socks5://proxy.example:1080 btc connect 127.0.0.1
bad --proxy credentials|--proxy socks5://:hunter2@127.0.0.1:1080 btc connect 127.0.0.1
bad --proxy credentials|--proxy socks5://alice@127.0.0.1:1080 btc connect 127.0.0.1
bad --proxy credentials|--proxy socks5://alice:@127.0.0.1:1080 btc connect 127.0.0.1
option '--proxy' needs a value|btc connect 127.0.0.1 --proxy
listen takes no proxy|--proxy socks5://127.0.0.1:1080 btc listen 127.0.0.1:0
listen takes no proxy|--proxy socks5://127.0.0.1:1080 noise listen 127.0.0.1:0
listen takes no proxy|--proxy socks5://127.0.0.1:1080 --connect 127.0.0.1:1 btc listen 127.0.0.1:0
--proxy-isolate does nothing without --proxy|--proxy-isolate btc connect 127.0.0.1
makes its own credentials|--proxy-isolate --proxy socks5://u:hunter2@127.0.0.1:1080 btc connect 127.0.0.1
--dns-server does nothing with --proxy|--dns-server 127.0.0.1:53 --proxy socks5://127.0.0.1:1080 btc connect a.example
CASES
}
