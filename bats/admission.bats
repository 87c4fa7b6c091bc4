#!/usr/bin/env bats
# Inbound admission (issue 15): a listener whose descriptors are few
# (`ulimit -n 256`, hard and soft, so raising the soft limit gains nothing)
# takes 300 idle connections from one loopback address, 127.0.0.2, more
# than fit; a good client from 127.0.0.3 still completes its handshake, and
# the listener's events say what it evicted or refused, and why. Then an
# explicit --max-inbound past the descriptors: accept runs out, refuses
# with the reserve descriptor, and says so on stderr once, not ten times a
# second. Loopback only; every process is stopped by its PID.

load helpers

FLOOD=300

setup_file() {
	head -c 32 /dev/urandom >"$BATS_FILE_TMPDIR/psk"
	# flood.py PORT N SRC READY: N idle connections from SRC, held until
	# killed; READY gets "opened K" once they are all up
	cat >"$BATS_FILE_TMPDIR/flood.py" <<'EOF'
import socket, sys, time
port, n, src, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
socks = []
for _ in range(n):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    socks.append(s)
with open(ready + ".tmp", "w") as f:
    f.write("opened %d\n" % len(socks))
import os
os.rename(ready + ".tmp", ready)
time.sleep(60)
EOF
}

teardown() {
	for p in "$BATS_TEST_TMPDIR"/*.pid; do
		[ -e "$p" ] && ps_stop_pid "$p" 5 || true
	done
}

# limited NAME PROTO ARGS...: `peershake PROTO listen ARGS... 127.0.0.1:0`
# with 256 descriptors, hard and soft; output in NAME.out/.err, pid in
# NAME.pid; sets PORT.
limited() {
	local name=$1 proto=$2 dir=$BATS_TEST_TMPDIR
	shift 2
	(
		ulimit -n 256
		exec "$PEERSHAKE" "$proto" listen "$@" 127.0.0.1:0
	) >"$dir/$name.out" 2>"$dir/$name.err" 3>&- &
	echo $! >"$dir/$name.pid"
	ps_wait_log "$dir/$name.out" '^LISTENING |"event":"listening"' 10
	PORT=$(sed -nE 's/^LISTENING .*:([0-9]+)$/\1/p; s/.*"port":([0-9]+).*/\1/p' "$dir/$name.out" | head -n1)
	[ -n "$PORT" ]
}

# flood: $FLOOD idle connections from 127.0.0.2 to PORT, held open
flood() {
	local dir=$BATS_TEST_TMPDIR
	"$PS_PYTHON" "$BATS_FILE_TMPDIR/flood.py" "$PORT" "$FLOOD" 127.0.0.2 "$dir/flood.ready" \
		2>"$dir/flood.err" 3>&- &
	echo $! >"$dir/flood.pid"
	ps_wait_file "$dir/flood.ready" 10
	[ "$(cat "$dir/flood.ready")" = "opened $FLOOD" ]
}

# stop NAME: SIGTERM by pid (the listener then writes its summary)
stop() {
	ps_stop_pid "$BATS_TEST_TMPDIR/$1.pid" 10
}

@test "one address's idle flood: its own oldest go (per-ip), a good btc client succeeds" {
	local dir=$BATS_TEST_TMPDIR
	limited l btc -n regtest -t 20000
	flood
	run "$PEERSHAKE" btc connect -n regtest -t 3000 --source 127.0.0.3 "127.0.0.1:$PORT"
	assert_success
	assert_line --regexp '^SUCCESS  127\.0\.0\.1:'
	stop l
	# 300 from one address, 32 (the default --max-per-ip) kept: 268 evicted,
	# each one of 127.0.0.2's own; nothing refused, nothing else evicted
	[ "$(grep -cE '^EVICTED  127\.0\.0\.2:[0-9]+ per-ip \(idle [0-9]+ ms\)$' "$dir/l.out")" -eq $((FLOOD - 32)) ]
	[ "$(grep -c '^EVICTED ' "$dir/l.out")" -eq $((FLOOD - 32)) ]
	! grep -q '^REFUSED ' "$dir/l.out"
	grep -qE '^SUCCESS  127\.0\.0\.3:' "$dir/l.out"
	grep -qE "^Summary: $((FLOOD + 1)) peers: Success 1, .*; refused 0, evicted $((FLOOD - 32)) \(per-ip $((FLOOD - 32))\) \(" "$dir/l.out"
	[ ! -s "$dir/l.err" ]
}

@test "a full noise listener evicts the idlest pre-handshake connections (full), a good noise client succeeds" {
	local dir=$BATS_TEST_TMPDIR
	export PEERSHAKE_PSK
	PEERSHAKE_PSK=$(xxd -p -c 64 "$BATS_FILE_TMPDIR/psk")
	# per-ip out of the way: the table itself fills (256 - 64 = 192 slots)
	limited l noise --json -t 20000 --max-per-ip 1000
	flood
	run "$PEERSHAKE" noise connect --json -t 3000 --source 127.0.0.3 "127.0.0.1:$PORT"
	assert_success
	[ "$(jq -r 'select(.event=="result") | .result' <<<"$output")" = SUCCESS ]
	stop l
	# 300 arrivals, 192 slots: 108 evicted by the flood's own arrivals, one
	# more for the good client; every one of them the flood's and pending
	run jq -s -c '[(map(select(.event=="evicted")) | length),
	               (map(select(.event=="evicted")) | all(.reason=="full" and .state=="pending"
	                  and (.peer | startswith("127.0.0.2:")) and (.idle_ms | type=="number"))),
	               (map(select(.event=="result" and .reason=="evicted")) | length),
	               (map(select(.event=="result" and .result=="SUCCESS")) | map(.peer | startswith("127.0.0.3:"))),
	               (map(select(.event=="summary"))[0] | [.evicted, .evicted_full, .evicted_per_ip, .refused])]' "$dir/l.out"
	assert_output "[$((FLOOD - 192 + 1)),true,$((FLOOD - 192 + 1)),[true],[$((FLOOD - 192 + 1)),$((FLOOD - 192 + 1)),0,0]]"
	[ ! -s "$dir/l.err" ]
}

@test "out of descriptors: accept refuses with the reserve and says so once; the listener recovers" {
	local dir=$BATS_TEST_TMPDIR
	limited l btc -n regtest --json -t 20000 --max-inbound 1000 --max-per-ip 1000
	flood
	# every pending connection is taken and closed (refused no-descriptors)
	# rather than left to make the socket readable forever
	ps_wait_log "$dir/l.out" '"event":"refused"' 10
	sleep 0.5 # half a second of a full listener: no stream of errors
	[ "$(grep -c 'Too many open files' "$dir/l.err")" -eq 1 ]
	[ "$(grep -c 'is over the 192 the descriptor limit (256) leaves' "$dir/l.err")" -eq 1 ]
	[ "$(wc -l <"$dir/l.err")" -eq 2 ]
	# the flood goes: once the listener has closed what it held, a good
	# client gets in
	ps_stop_pid "$dir/flood.pid" 5
	local end=$(($(date +%s) + 10))
	until [ "$(grep -c '"event":"closed"' "$dir/l.out")" -eq "$(grep -c '"event":"started"' "$dir/l.out")" ]; do
		[ "$(date +%s)" -lt $end ] || { echo "the listener did not close the flood's connections"; false; }
		sleep 0.05
	done
	run "$PEERSHAKE" btc connect -n regtest -t 3000 --source 127.0.0.3 "127.0.0.1:$PORT"
	assert_success
	stop l
	run jq -s -c '(map(select(.event=="refused")) | [length > 0, all(.reason=="no-descriptors")]),
	              (map(select(.event=="evicted")) | length),
	              (map(select(.event=="summary"))[0] | [.refused == .refused_no_descriptors, .evicted, .success])' "$dir/l.out"
	assert_output $'[true,true]\n0\n[true,0,1]'
	# accepted + refused: every one of the flood's connections is accounted for
	[ $(($(jq -s 'map(select(.event=="started" and (.peer|startswith("127.0.0.2:")))) | length' "$dir/l.out") +
		$(jq -s 'map(select(.event=="refused")) | length' "$dir/l.out"))) -eq $FLOOD ]
	[ "$(grep -c 'Too many open files' "$dir/l.err")" -eq 1 ]
}
