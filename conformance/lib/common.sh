# shellcheck shell=bash
# conformance/lib/common.sh: helpers for the conformance scripts and Bats
# tests. Source it:  . "$(dirname "$0")/../lib/common.sh"
#
#   ps_free_port [HOST]                 print a free TCP port on HOST (127.0.0.1)
#   ps_wait_file FILE TIMEOUT_S         wait until FILE exists and is non-empty
#   ps_wait_port HOST PORT TIMEOUT_S    wait until HOST:PORT accepts a TCP connection
#   ps_wait_listen HOST PORT TIMEOUT_S  wait until a socket LISTENs on HOST:PORT
#                                       (IPv4, read from /proc, connects to nothing)
#   ps_wait_log FILE REGEX TIMEOUT_S    wait until a line of FILE matches REGEX (ERE)
#   ps_pid_alive PID                    true while PID runs (a zombie counts as gone)
#   ps_stop_pid PIDFILE [TIMEOUT_S]     SIGTERM the PID in PIDFILE, wait (default
#                                       10 s), then SIGKILL; removes PIDFILE
#
# Every wait is bounded: it returns 0 as soon as the event is seen, 1 with a
# message on stderr when TIMEOUT_S (may be fractional) runs out. The poll
# interval is PS_POLL_S (default 0.05 s); nothing sleeps longer than that.
# The helpers do not set shell options, so they can be sourced by scripts
# running under `set -euo pipefail` and by Bats alike.

PS_PYTHON=${PS_PYTHON:-/usr/bin/python3}
PS_POLL_S=${PS_POLL_S:-0.05}

# Time in ms (bash's SECONDS is too coarse); a deadline is now + TIMEOUT_S,
# where TIMEOUT_S may have a fractional part (no bc needed).
_ps_now_ms() { echo $(($(date +%s%N) / 1000000)); }
_ps_deadline_ms() {
	local t=$1
	# fractional seconds -> ms without bc
	local whole=${t%%.*} frac=0
	[[ $t == *.* ]] && frac=${t#*.}
	frac=${frac}000
	frac=${frac:0:3}
	echo $(($(_ps_now_ms) + ${whole:-0} * 1000 + 10#$frac))
}

ps_free_port() {
	local host=${1:-127.0.0.1}
	"$PS_PYTHON" - "$host" <<'EOF'
import socket, sys
host = sys.argv[1]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.bind((host, 0))
print(s.getsockname()[1])
s.close()
EOF
}

ps_wait_file() {
	local file=$1 timeout=$2 end
	end=$(_ps_deadline_ms "$timeout")
	while [[ ! -s $file ]]; do
		if (($(_ps_now_ms) >= end)); then
			echo "ps_wait_file: $file did not appear within ${timeout}s" >&2
			return 1
		fi
		sleep "$PS_POLL_S"
	done
}

ps_wait_port() {
	local host=$1 port=$2 timeout=$3 end
	end=$(_ps_deadline_ms "$timeout")
	while ! (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
		if (($(_ps_now_ms) >= end)); then
			echo "ps_wait_port: $host:$port not accepting within ${timeout}s" >&2
			return 1
		fi
		sleep "$PS_POLL_S"
	done
}

# _ps_listening HOST PORT: is there a LISTEN socket on HOST:PORT (or on the
# wildcard address)? IPv4 only; reads /proc/net/tcp.
_ps_listening() {
	local host=$1 port=$2 a b c d want any
	IFS=. read -r a b c d <<<"$host"
	want=$(printf '%02X%02X%02X%02X:%04X' "$d" "$c" "$b" "$a" "$port")
	any=$(printf '00000000:%04X' "$port")
	awk -v w="$want" -v z="$any" \
		'NR > 1 && $4 == "0A" && ($2 == w || $2 == z) { f = 1 } END { exit !f }' \
		/proc/net/tcp
}

ps_wait_listen() {
	local host=$1 port=$2 timeout=$3 end
	end=$(_ps_deadline_ms "$timeout")
	while ! _ps_listening "$host" "$port"; do
		if (($(_ps_now_ms) >= end)); then
			echo "ps_wait_listen: nothing listening on $host:$port within ${timeout}s" >&2
			return 1
		fi
		sleep "$PS_POLL_S"
	done
}

ps_wait_log() {
	local file=$1 regex=$2 timeout=$3 end
	end=$(_ps_deadline_ms "$timeout")
	while ! grep -Eq -- "$regex" "$file" 2>/dev/null; do
		if (($(_ps_now_ms) >= end)); then
			echo "ps_wait_log: no line matching /$regex/ in $file within ${timeout}s" >&2
			return 1
		fi
		sleep "$PS_POLL_S"
	done
}

ps_pid_alive() {
	local pid=$1 state
	kill -0 "$pid" 2>/dev/null || return 1
	# A zombie (exited, not yet reaped by its parent) is gone for our purposes.
	state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) || return 1
	[[ $state != Z ]]
}

ps_stop_pid() {
	local pidfile=$1 timeout=${2:-10} pid end
	[[ -s $pidfile ]] || return 0
	pid=$(<"$pidfile")
	pid=${pid//[!0-9]/}
	if [[ -z $pid ]]; then
		rm -f "$pidfile"
		return 0
	fi
	if ps_pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		end=$(_ps_deadline_ms "$timeout")
		while ps_pid_alive "$pid"; do
			if (($(_ps_now_ms) >= end)); then
				echo "ps_stop_pid: $pid still running after ${timeout}s, sending SIGKILL" >&2
				kill -KILL "$pid" 2>/dev/null || true
				end=$(_ps_deadline_ms 5)
				while ps_pid_alive "$pid"; do
					if (($(_ps_now_ms) >= end)); then
						echo "ps_stop_pid: $pid survived SIGKILL" >&2
						return 1
					fi
					sleep "$PS_POLL_S"
				done
				break
			fi
			sleep "$PS_POLL_S"
		done
	fi
	# Reap it if it is our own child (no-op otherwise).
	wait "$pid" 2>/dev/null || true
	rm -f "$pidfile"
}
