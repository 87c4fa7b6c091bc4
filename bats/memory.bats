#!/usr/bin/env bats
# Memory before authentication (issue 15, item 2): a `noise listen` peer
# that announces a 64 KiB frame (`ff ff`) and stalls costs the listener a
# small fixed buffer, not the frame; what the connections not yet
# authenticated borrow for larger frames is capped by --max-unauth-mem, the
# largest (then oldest) evicted past it; the memory goes back once they
# close. RSS is read from /proc/PID/status of the release build (ASan's
# shadow and quarantine would measure the sanitizer, not the listener).
# The bounds are generous: 2,000 stalled peers cost about 6 MiB. Loopback
# only; every process is stopped by its PID.

load helpers

RELEASE=${PEERSHAKE_RELEASE:-$PS_ROOT/build/release/peershake}

setup_file() {
	head -c 32 /dev/urandom >"$BATS_FILE_TMPDIR/psk"
	# stall.py PORT N SRC HEX READY: N connections from SRC, each sends
	# HEX and stalls; READY gets "opened N"; once READY.go exists, all
	# close and READY.closed appears
	cat >"$BATS_FILE_TMPDIR/stall.py" <<'PY'
import os, socket, sys, time
port, n, src, data, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], bytes.fromhex(sys.argv[4]), sys.argv[5]
socks = []
for _ in range(n):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(data)
    socks.append(s)
with open(ready + ".tmp", "w") as f:
    f.write("opened %d\n" % len(socks))
os.rename(ready + ".tmp", ready)
while not os.path.exists(ready + ".go"):
    time.sleep(0.05)
for s in socks:
    s.close()
open(ready + ".closed", "w").write("closed\n")
time.sleep(60)
PY
}

teardown() {
	for p in "$BATS_TEST_TMPDIR"/*.pid; do
		[ -e "$p" ] && ps_stop_pid "$p" 5 || true
	done
}

# rss_kb PID: VmRSS in kB
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# listener ARGS...: `noise listen ARGS... 127.0.0.1:0` (release build);
# sets PORT and LPID
listener() {
	local dir=$BATS_TEST_TMPDIR
	[ -x "$RELEASE" ] || {
		echo "no release build at $RELEASE (cmake --preset release && cmake --build --preset release)"
		false
	}
	"$RELEASE" noise listen --psk-file "$BATS_FILE_TMPDIR/psk" "$@" 127.0.0.1:0 \
		>"$dir/l.out" 2>"$dir/l.err" 3>&- &
	echo $! >"$dir/l.pid"
	LPID=$!
	ps_wait_log "$dir/l.out" '^LISTENING ' 10
	PORT=$(sed -nE 's/^LISTENING .*:([0-9]+)$/\1/p' "$dir/l.out")
	[ -n "$PORT" ]
}

# stall N HEX: N connections from 127.0.0.2 that send HEX and stall
stall() {
	local dir=$BATS_TEST_TMPDIR
	"$PS_PYTHON" "$BATS_FILE_TMPDIR/stall.py" "$PORT" "$1" 127.0.0.2 "$2" "$dir/stall.ready" \
		2>"$dir/stall.err" 3>&- &
	echo $! >"$dir/stall.pid"
	ps_wait_file "$dir/stall.ready" 30
	[ "$(cat "$dir/stall.ready")" = "opened $1" ]
}

# wait_count REGEX N TIMEOUT_S: until N lines of l.out match
wait_count() {
	local end=$(($(date +%s) + $3))
	until [ "$(grep -cE -- "$1" "$BATS_TEST_TMPDIR/l.out")" -ge "$2" ]; do
		[ "$(date +%s)" -lt $end ] || {
			echo "$(grep -cE -- "$1" "$BATS_TEST_TMPDIR/l.out") lines match /$1/ after $3 s, want $2"
			false
		}
		sleep 0.1
	done
}

@test "2,000 peers announcing 64 KiB frames and stalling: under 16 MiB, and it goes back" {
	local dir=$BATS_TEST_TMPDIR n=2000 before during after
	listener -t 60000 --max-per-ip 100000
	before=$(rss_kb "$LPID")
	stall $n ffff
	wait_count '^STARTED ' $n 30
	sleep 0.5 # the last ones' two bytes read
	during=$(rss_kb "$LPID")
	echo "VmRSS before ${before} kB, with $n stalled ${during} kB" >&3
	[ $((during - before)) -lt $((16 * 1024)) ]
	: >"$dir/stall.ready.go"
	wait_count '^FAILED .* closed by peer before message 1' $n 30
	sleep 0.5
	after=$(rss_kb "$LPID")
	echo "VmRSS after they closed ${after} kB; $(grep VmHWM "/proc/$LPID/status")" >&3
	# back to within 4 MiB of the start (glibc keeps a little)
	[ $((after - before)) -lt $((4 * 1024)) ]
	# nothing was evicted: a stalled header borrows nothing
	! grep -q '^EVICTED ' "$dir/l.out"
	[ ! -s "$dir/l.err" ]
}

@test "--max-unauth-mem: past it the largest go (evicted memory), a good client still succeeds" {
	local dir=$BATS_TEST_TMPDIR n=300 body
	# 1 MiB holds 16 blocks of 65535 bytes: each of the 300 sends 200 bytes
	# of a 65535-byte frame, so each asks for one
	body=$(head -c 200 /dev/zero | xxd -p -c 400)
	listener -t 60000 --max-per-ip 100000 --max-unauth-mem 1M
	stall $n "ffff$body"
	wait_count '^EVICTED .* memory ' $((n - 16)) 30
	run "$RELEASE" noise connect --psk-file "$BATS_FILE_TMPDIR/psk" -t 5000 --source 127.0.0.3 \
		"127.0.0.1:$PORT"
	assert_success
	assert_line --regexp '^SUCCESS  127\.0\.0\.1:'
	ps_stop_pid "$dir/l.pid" 10
	[ "$(grep -cE '^EVICTED  127\.0\.0\.2:[0-9]+ memory \(idle [0-9]+ ms\)$' "$dir/l.out")" -eq $((n - 16)) ]
	[ "$(grep -cE '^FAILED   127\.0\.0\.2:[0-9]+  evicted while waiting for message 1' "$dir/l.out")" -eq $((n - 16)) ]
	grep -qE '^SUCCESS  127\.0\.0\.3:' "$dir/l.out"
	grep -qE "; refused 0, evicted $((n - 16)) \(memory $((n - 16))\) \(" "$dir/l.out"
	[ ! -s "$dir/l.err" ]
}

@test "--max-unauth-mem is for noise listen; a bad value is a usage error" {
	run -2 "$PEERSHAKE" noise connect --psk-file "$BATS_FILE_TMPDIR/psk" --max-unauth-mem 1M 127.0.0.1:1
	assert_output --partial 'peershake: --max-unauth-mem is for listen'
	run -2 "$PEERSHAKE" noise listen --psk-file "$BATS_FILE_TMPDIR/psk" --max-unauth-mem 12Q 127.0.0.1:0
	assert_output --partial "bad --max-unauth-mem '12Q'"
	run -2 "$PEERSHAKE" noise listen --psk-file "$BATS_FILE_TMPDIR/psk" --max-unauth-mem 2048G 127.0.0.1:0
	assert_output --partial "bad --max-unauth-mem '2048G'"
	run -2 "$PEERSHAKE" btc listen -n regtest --max-unauth-mem 1M 127.0.0.1:0
	assert_output --partial 'a Noise option was given to a Bitcoin mode'
}
