# bats/helpers.bash: loaded by every CLI test file.
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

PS_ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
# The binary under test: the sanitizer build by default, so every CLI test
# also runs under ASan+UBSan.
PEERSHAKE=${PEERSHAKE:-$PS_ROOT/build/debug/peershake}
# shellcheck source=conformance/lib/common.sh
. "$PS_ROOT/conformance/lib/common.sh"

# ps_listen NAME ADDR ARGS...: start `peershake btc listen ARGS... ADDR` in the
# background, output in $BATS_TEST_TMPDIR/NAME.out, pid in NAME.pid; wait
# (bounded) for its LISTENING line and set LISTEN_PORT.
ps_listen() {
	local name=$1 addr=$2
	shift 2
	local out=$BATS_TEST_TMPDIR/$name.out
	"$PEERSHAKE" btc listen "$@" "$addr" >"$out" 2>"$BATS_TEST_TMPDIR/$name.err" &
	echo $! >"$BATS_TEST_TMPDIR/$name.pid"
	ps_wait_log "$out" '^LISTENING |"event":"listening"' 10 || {
		cat "$BATS_TEST_TMPDIR/$name.err" >&2
		return 1
	}
	LISTEN_PORT=$(sed -nE 's/^LISTENING .*:([0-9]+)$/\1/p; s/.*"port":([0-9]+).*/\1/p' "$out" | head -n1)
	[ -n "$LISTEN_PORT" ]
}

# ps_stop NAME: stop a background process started by this file, by its pid.
ps_stop() {
	local pidfile=$BATS_TEST_TMPDIR/$1.pid
	[ -f "$pidfile" ] && ps_stop_pid "$pidfile" 10 || true
}

# ps_wait_exit NAME TIMEOUT_S: wait for a background process to exit on its
# own; its status goes to NAME.status.
ps_wait_exit() {
	local pid end
	pid=$(cat "$BATS_TEST_TMPDIR/$1.pid")
	end=$(($(date +%s) + $2))
	while ps_pid_alive "$pid"; do
		if (($(date +%s) >= end)); then
			echo "ps_wait_exit: $1 (pid $pid) still running after $2 s" >&2
			return 1
		fi
		sleep 0.05
	done
	local st=0
	wait "$pid" 2>/dev/null || st=$?
	echo "$st" >"$BATS_TEST_TMPDIR/$1.status"
}
