#!/usr/bin/env bats
# getaddr and the addr/addrv2 answer (issue 14): `btc listen --addr-file`
# answers an inbound peer's first getaddr from a file as Core does (addrv2
# to a peer that sent sendaddrv2, else addr with the IPv4/IPv6 entries only;
# at most 23% of the file unless --addr-pct says otherwise; once per
# connection), and `btc connect --getaddr` logs what comes back. Loopback
# only; every process is stopped by its PID.

load helpers

ONION=pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion
I2P=ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p

setup() {
	cat >"$BATS_TEST_TMPDIR/addrs" <<BOOK
# loopback IPv4 and IPv6, Core's test vectors for Tor v3, I2P and CJDNS
127.0.0.1:8333 services=0x409
[::1]:18444
$ONION:8333 services=9   # a comment after the fields
$I2P
[fc00:1:2:3:4:5:6:7]:8333 time=$(date +%s)
BOOK
}

teardown() {
	ps_stop lst
}

# listen_book ARGS...: a listener answering from the file, lingering so the
# answer goes out, stopping after one successful handshake
listen_book() {
	ps_listen lst 127.0.0.1:0 -j --count 1 --linger 1500 --addr-file "$BATS_TEST_TMPDIR/addrs" "$@"
}

# jqf FILTER FILE: jq -r over a JSON Lines file
jqf() {
	jq -r "$1" "$2"
}

@test "a peer that sent sendaddrv2 gets every address as addrv2, each logged" {
	listen_book --addr-pct 100
	run -0 "$PEERSHAKE" -j btc connect --getaddr --getaddr-wait 400 "127.0.0.1:$LISTEN_PORT"
	echo "$output" >"$BATS_TEST_TMPDIR/c.out"
	run jqf 'select(.event=="recv" and .command=="addrv2") | .count' "$BATS_TEST_TMPDIR/c.out"
	assert_output 5
	run jqf 'select(.event=="addr") | "\(.network) \(.address) \(.port) \(.services)"' "$BATS_TEST_TMPDIR/c.out"
	assert_output "ipv4 127.0.0.1 8333 0x0000000000000409
ipv6 ::1 18444 0x0000000000000009
torv3 $ONION 8333 0x0000000000000009
i2p $I2P 0 0x0000000000000009
cjdns fc00:1:2:3:4:5:6:7 8333 0x0000000000000009"
	run jqf 'select(.event=="result") | "\(.result) \(.sendaddrv2) \(.addr_messages) \(.addr_received) \(.addr_kept)"' "$BATS_TEST_TMPDIR/c.out"
	assert_output "SUCCESS true 1 5 5"
	ps_wait_exit lst 10
	run jqf 'select(.event=="sent" and (.command=="addrv2" or .command=="addr")) | "\(.command) \(.count)"' "$BATS_TEST_TMPDIR/lst.out"
	assert_output "addrv2 5"
	run jqf 'select(.event=="result") | "\(.sendaddrv2) \(.addr_sent)"' "$BATS_TEST_TMPDIR/lst.out"
	assert_output "true 5"
}

@test "a peer that did not send sendaddrv2 gets addr with the IPv4 and IPv6 entries only" {
	listen_book --addr-pct 100
	# below 70016 peershake sends no sendaddrv2 (Core: only "if
	# (greatest_common_version >= 70016)")
	run -0 "$PEERSHAKE" -j btc connect --protocol-version 70015 --getaddr --getaddr-wait 400 \
		"127.0.0.1:$LISTEN_PORT"
	echo "$output" >"$BATS_TEST_TMPDIR/c.out"
	run jqf 'select(.event=="sent" and .command=="sendaddrv2") | .command' "$BATS_TEST_TMPDIR/c.out"
	assert_output ""
	run jqf 'select(.event=="recv" and (.command=="addr" or .command=="addrv2")) | "\(.command) \(.count) \(.length)"' "$BATS_TEST_TMPDIR/c.out"
	assert_output "addr 2 61"
	run jqf 'select(.event=="addr") | "\(.network) \(.address) \(.port)"' "$BATS_TEST_TMPDIR/c.out"
	assert_output "ipv4 127.0.0.1 8333
ipv6 ::1 18444"
	ps_wait_exit lst 10
	run jqf 'select(.event=="sent" and (.command=="addrv2" or .command=="addr")) | "\(.command) \(.count)"' "$BATS_TEST_TMPDIR/lst.out"
	assert_output "addr 2"
	run jqf 'select(.event=="result") | .sendaddrv2' "$BATS_TEST_TMPDIR/lst.out"
	assert_output false
}

@test "at 70016 with no-features (no sendaddrv2) the answer is addr too" {
	listen_book --addr-pct 100
	run -0 "$PEERSHAKE" -j --bug no-features btc connect --getaddr --getaddr-wait 400 \
		"127.0.0.1:$LISTEN_PORT"
	echo "$output" >"$BATS_TEST_TMPDIR/c.out"
	run jqf 'select(.event=="recv" and (.command=="addr" or .command=="addrv2")) | "\(.command) \(.count)"' "$BATS_TEST_TMPDIR/c.out"
	assert_output "addr 2"
}

@test "Core's 23%: of five addresses one goes out; a second getaddr is ignored" {
	listen_book
	run -0 "$PEERSHAKE" -j --bug send=getaddr@after-verack btc connect --getaddr \
		--getaddr-wait 400 "127.0.0.1:$LISTEN_PORT"
	echo "$output" >"$BATS_TEST_TMPDIR/c.out"
	run jqf 'select(.event=="sent" and .command=="getaddr") | .command' "$BATS_TEST_TMPDIR/c.out"
	assert_output "getaddr
getaddr"
	run jqf 'select(.event=="recv" and .command=="addrv2") | .count' "$BATS_TEST_TMPDIR/c.out"
	assert_output 1
	ps_wait_exit lst 10
	run jqf 'select(.event=="recv" and .command=="getaddr") | .note // "answered"' "$BATS_TEST_TMPDIR/lst.out"
	assert_output "answered
ignored: repeated getaddr"
	run jqf 'select(.event=="sent" and .command=="addrv2") | .count' "$BATS_TEST_TMPDIR/lst.out"
	assert_output 1
}

@test "--addr-file: a bad line is a usage error naming the file and line" {
	printf '127.0.0.1:8333\n\n# fine so far\n[::1]:8333 colour=blue\n' >"$BATS_TEST_TMPDIR/bad"
	run -2 "$PEERSHAKE" btc listen --addr-file "$BATS_TEST_TMPDIR/bad" 127.0.0.1:0
	assert_output --partial "$BATS_TEST_TMPDIR/bad:4: unknown field"
	printf 'abcdefghijklmnop.onion\n' >"$BATS_TEST_TMPDIR/bad"
	run -2 "$PEERSHAKE" btc listen --addr-file "$BATS_TEST_TMPDIR/bad" 127.0.0.1:0
	assert_output --partial "bad:1: not an IPv4, IPv6, .onion"
	printf '1.2.3.4:70000\n' >"$BATS_TEST_TMPDIR/bad"
	run -2 "$PEERSHAKE" btc listen --addr-file "$BATS_TEST_TMPDIR/bad" 127.0.0.1:0
	assert_output --partial "bad:1: bad port"
	run -2 "$PEERSHAKE" btc listen --addr-file "$BATS_TEST_TMPDIR/none" 127.0.0.1:0
	assert_output --partial "none: No such file"
}

@test "--addr-file is for listen, --getaddr for connect" {
	run -2 "$PEERSHAKE" btc connect --addr-file "$BATS_TEST_TMPDIR/addrs" 127.0.0.1:1
	assert_output --partial "--addr-file is for btc listen"
	run -2 "$PEERSHAKE" btc listen --getaddr 127.0.0.1:0
	assert_output --partial "--getaddr is for btc connect"
	run -2 "$PEERSHAKE" btc connect --getaddr-wait 10 127.0.0.1:1
	assert_output --partial "--getaddr-wait needs --getaddr"
	run -2 "$PEERSHAKE" btc listen --addr-pct 50 127.0.0.1:0
	assert_output --partial "--addr-pct needs --addr-file"
	run -2 "$PEERSHAKE" btc listen --addr-file "$BATS_TEST_TMPDIR/addrs" --addr-pct 101 127.0.0.1:0
	assert_output --partial "bad --addr-pct"
}

@test "over BIP324 v2 the answer is the same addrv2" {
	listen_book --addr-pct 100
	run -0 "$PEERSHAKE" -j --v2transport 1 btc connect --getaddr --getaddr-wait 400 \
		"127.0.0.1:$LISTEN_PORT"
	echo "$output" >"$BATS_TEST_TMPDIR/c.out"
	run jqf 'select(.event=="result") | "\(.transport) \(.addr_received)"' "$BATS_TEST_TMPDIR/c.out"
	assert_output "v2 5"
	ps_wait_exit lst 10
	run jqf 'select(.event=="sent" and .command=="addrv2") | .count' "$BATS_TEST_TMPDIR/lst.out"
	assert_output 5
}

@test "a large file: at most 1000 go out (MAX_ADDR_TO_SEND), 23% of it by default" {
	/usr/bin/python3 -c '
for i in range(1500):
    print("10.%d.%d.1:8333" % (i // 256, i % 256))' >"$BATS_TEST_TMPDIR/addrs"
	listen_book --addr-pct 100
	run -0 "$PEERSHAKE" -j --v2transport 1 btc connect --getaddr --getaddr-wait 400 \
		"127.0.0.1:$LISTEN_PORT"
	echo "$output" >"$BATS_TEST_TMPDIR/c.out"
	run jqf 'select(.event=="recv" and .command=="addrv2") | "\(.count) \(.length)"' "$BATS_TEST_TMPDIR/c.out"
	assert_output "1000 13003"
	run jqf 'select(.event=="addr") | .address' "$BATS_TEST_TMPDIR/c.out"
	[ "$(echo "$output" | sort -u | wc -l)" -eq 1000 ]
	ps_wait_exit lst 10

	listen_book
	run -0 "$PEERSHAKE" -j btc connect --getaddr --getaddr-wait 400 "127.0.0.1:$LISTEN_PORT"
	echo "$output" >"$BATS_TEST_TMPDIR/c.out"
	run jqf 'select(.event=="result") | .addr_received' "$BATS_TEST_TMPDIR/c.out"
	assert_output 345
}

@test "one listener on several addresses: each answers from its own --addr-file, or all from one" {
	local d=$BATS_TEST_TMPDIR port i
	port=$(ps_free_port)
	for i in 1 2 3; do
		echo "127.0.9.$i:8333" >"$d/book$i"
	done
	# (ps_listen puts its address last)
	ps_listen lst "[::1]:$port" -j --linger 1500 --count 3 --addr-pct 100 \
		--addr-file "$d/book1" --addr-file "$d/book2" --addr-file "$d/book3" \
		"127.0.0.21:$port" "127.0.0.22:$port"
	run jqf 'select(.event=="listening") | .addr' "$d/lst.out"
	assert_output "127.0.0.21:$port
127.0.0.22:$port
[::1]:$port"
	run -0 "$PEERSHAKE" -j btc connect --getaddr --getaddr-wait 400 \
		"127.0.0.21:$port" "127.0.0.22:$port" "[::1]:$port"
	echo "$output" >"$d/c.out"
	# (in the order the answers came)
	run bash -c "jq -r 'select(.event==\"addr\") | \"\\(.peer) \\(.address)\"' '$d/c.out' | sort"
	assert_output "127.0.0.21:$port 127.0.9.1
127.0.0.22:$port 127.0.9.2
[::1]:$port 127.0.9.3"
	ps_wait_exit lst 10
	# the listener's side: one connection at each address, each sent one
	run bash -c "jq -r 'select(.event==\"connected\") | .local' '$d/lst.out' | sort"
	assert_output "127.0.0.21:$port
127.0.0.22:$port
[::1]:$port"
	run jqf 'select(.event=="result") | "\(.result) \(.addr_sent)"' "$d/lst.out"
	assert_output "SUCCESS 1
SUCCESS 1
SUCCESS 1"

	# one file: every address answers from it
	ps_listen lst "127.0.0.21:$port" -j --linger 1500 --count 2 --addr-pct 100 \
		--addr-file "$d/book3" "127.0.0.22:$port"
	run -0 "$PEERSHAKE" -j btc connect --getaddr --getaddr-wait 400 \
		"127.0.0.21:$port" "127.0.0.22:$port"
	echo "$output" >"$d/c.out"
	run bash -c "jq -r 'select(.event==\"addr\") | \"\\(.peer) \\(.address)\"' '$d/c.out' | sort"
	assert_output "127.0.0.21:$port 127.0.9.3
127.0.0.22:$port 127.0.9.3"
	ps_wait_exit lst 10
}

@test "several listen addresses: a bad k-th file or address is named; the file count must match" {
	local d=$BATS_TEST_TMPDIR
	echo "127.0.9.1:8333" >"$d/good"
	printf '127.0.9.1:8333\nnot-an-address\n' >"$d/bad"
	run -2 "$PEERSHAKE" btc listen --addr-file "$d/good" --addr-file "$d/bad" \
		127.0.0.21:0 127.0.0.22:0
	assert_output "peershake: $d/bad:2: not an IPv4, IPv6, .onion (Tor v3), .b32.i2p or CJDNS address"
	run -2 "$PEERSHAKE" btc listen --addr-file "$d/good" --addr-file "$d/good" \
		127.0.0.21:0 127.0.0.22:0 127.0.0.23:0
	assert_output --partial "peershake: --addr-file given 2 times for 3 listen addresses: give it once (every address answers from it) or once per address, in order"
	run -2 "$PEERSHAKE" btc listen 127.0.0.21:0 nowhere:0
	assert_output --partial "bad listen address 'nowhere:0'"
	# the same address twice: the second cannot be bound, nothing listens, exit 3
	local port
	port=$(ps_free_port)
	run -3 "$PEERSHAKE" btc listen "127.0.0.21:$port" "127.0.0.21:$port"
	assert_output --partial "cannot listen on 127.0.0.21:$port"
}
