#!/usr/bin/env bats
# The --json event log against the wire. For every --bug switch that
# `peershake --list-bugs` lists, in each protocol and role it names, a
# misbehaving peershake talks to an honest one on loopback through a
# recording proxy (bats/wire_events.py). On both sides, each `sent` event
# must start where the last one ended in the bytes that side sent, with the
# command (Bitcoin) and the announced length found there, and the events'
# `bytes` must add up to what was recorded; each `recv`/`dropped` event must
# be the frame found at its place in what that side received. The last
# tests feed the checker logs that are wrong by one byte: it must say FAIL.

load helpers

DRIVER=$PS_ROOT/bats/wire_events.py

setup() {
	[ -x "$PS_PYTHON" ] || skip "$PS_PYTHON is not installed"
}

# wire PROTO ROLE: every switch of PROTO given to the ROLE side. The driver
# starts and stops its peershake processes itself (by their PIDs) and bounds
# every wait; timeout is the backstop (on SIGTERM the driver kills what it
# started). The cases' logs and recordings stay in $BATS_TEST_TMPDIR/cases.
wire() {
	[ -x "$PEERSHAKE" ] || skip "peershake is not built ($PEERSHAKE): cmake --preset debug && cmake --build --preset debug"
	run timeout -k 10 240 "$PS_PYTHON" "$DRIVER" run --peershake "$PEERSHAKE" \
		--proto "$1" --role "$2" --keep "$BATS_TEST_TMPDIR/cases"
	assert_success
	assert_output --regexp 'summary: [1-9][0-9]* case\(s\), [0-9]+ PASS, 0 FAIL'
	refute_line --regexp "^FAIL "
}

@test "btc, the switch on the initiator: every sent/recv/dropped event is what went on the wire" {
	wire btc initiator
}

@test "btc, the switch on the responder: every sent/recv/dropped event is what went on the wire" {
	wire btc responder
}

@test "noise, the switch on the initiator: every sent/recv event is what went on the wire" {
	wire noise initiator
}

@test "noise, the switch on the responder: every sent/recv event is what went on the wire" {
	wire noise responder
}

# check ARGS...: the checker on canned files in $BATS_TEST_TMPDIR
check() {
	run "$PS_PYTHON" "$DRIVER" check "$@"
}

# Two Bitcoin messages, made by hand: a verack (regtest magic, no payload;
# the checksum of the empty payload, 5df6e0e2) and a ping with an 8-byte
# payload (its checksum is not what is checked).
btc_wire() {
	{
		printf '\xfa\xbf\xb5\xda' && printf 'verack\0\0\0\0\0\0' && printf '\0\0\0\0' && printf '\x5d\xf6\xe0\xe2'
		printf '\xfa\xbf\xb5\xda' && printf 'ping\0\0\0\0\0\0\0\0' && printf '\x08\0\0\0' && printf '\0\0\0\0'
		printf '\x01\x02\x03\x04\x05\x06\x07\x08'
	} >"$BATS_TEST_TMPDIR/btc.bin"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/btc.bin")" -eq 56 ]
}

# btc_log TYPE PING_LENGTH PING_BYTES: the log of those two messages
btc_log() {
	cat >"$BATS_TEST_TMPDIR/btc.json" <<EOF
{"event":"connected","proto":"btc","peer":"127.0.0.1:1"}
{"event":"$1","proto":"btc","peer":"127.0.0.1:1","command":"verack","length":0,"bytes":24}
{"event":"$1","proto":"btc","peer":"127.0.0.1:1","command":"ping","length":$2,"bytes":$3}
{"event":"closed","proto":"btc","peer":"127.0.0.1:1","by":"us"}
EOF
}

@test "the checker is not vacuous: a Bitcoin length off by one, a short bytes sum, a prefix, a wrong command" {
	local d=$BATS_TEST_TMPDIR
	btc_wire
	# the right log passes, as sent and as received
	btc_log sent 8 32
	check --proto btc --events "$d/btc.json" --sent "$d/btc.bin"
	assert_success
	assert_output "PASS check"
	btc_log recv 8 32
	check --proto btc --events "$d/btc.json" --recv "$d/btc.bin"
	assert_success
	# the ping's length off by one
	btc_log sent 9 33
	check --proto btc --events "$d/btc.json" --sent "$d/btc.bin"
	assert_failure
	assert_output --partial 'FAIL check: sent #2 "ping" at offset 24: length 9 in the event, 8 on the wire'
	btc_log recv 7 31
	check --proto btc --events "$d/btc.json" --recv "$d/btc.bin"
	assert_failure
	assert_output --partial 'recv #2 "ping" at offset 24: length 7 in the event, 8 on the wire'
	# the bytes add up to one short of the recording
	btc_log sent 8 31
	check --proto btc --events "$d/btc.json" --sent "$d/btc.bin"
	assert_failure
	assert_output --partial "FAIL check: 1 byte(s) on the wire after the 2 sent event(s), at offset 55: 08"
	# ... and a received frame whose bytes are not its header plus length
	btc_log recv 8 31
	check --proto btc --events "$d/btc.json" --recv "$d/btc.bin"
	assert_failure
	assert_output --partial "'bytes' 31 in the event, the frame there is 24 + 8"
	# a log without the bytes field fails
	btc_log sent 8 32
	sed -i 's/,"bytes":[0-9]*//' "$d/btc.json"
	check --proto btc --events "$d/btc.json" --sent "$d/btc.bin"
	assert_failure
	assert_output --partial "no 'bytes' field in the event"
	# one more byte announced than recorded: a prefix only when the other side closed first
	btc_log sent 8 33
	check --proto btc --events "$d/btc.json" --sent "$d/btc.bin"
	assert_failure
	assert_output --partial "'bytes' 33 in the event, 32 byte(s) on the wire from there"
	check --proto btc --events "$d/btc.json" --sent "$d/btc.bin" --prefix-ok
	assert_success
	# a prefix may not hold bytes beyond the events
	btc_log sent 8 32
	printf 'x' >>"$d/btc.bin"
	check --proto btc --events "$d/btc.json" --sent "$d/btc.bin" --prefix-ok
	assert_failure
	assert_output --partial "1 byte(s) on the wire after the 2 sent event(s), at offset 56: 78"
	# a received frame cut short
	btc_wire
	head -c 50 "$d/btc.bin" >"$d/btc.cut"
	btc_log recv 8 32
	check --proto btc --events "$d/btc.json" --recv "$d/btc.cut"
	assert_failure
	assert_output --partial "a 32-byte frame, only 26 byte(s) received from there"
	# the command: "versio\x01" is logged as "versio?", never as "version"
	{
		printf '\xfa\xbf\xb5\xda' && printf 'versio\x01\0\0\0\0\0' && printf '\0\0\0\0\0\0\0\0'
	} >"$d/cmd.bin"
	echo '{"event":"sent","command":"versio?","length":0,"bytes":24}' >"$d/cmd.json"
	check --proto btc --events "$d/cmd.json" --sent "$d/cmd.bin"
	assert_success
	echo '{"event":"sent","command":"version","length":0,"bytes":24}' >"$d/cmd.json"
	check --proto btc --events "$d/cmd.json" --sent "$d/cmd.bin"
	assert_failure
	assert_output --partial 'command "version" in the event, "versio\x01\x00\x00\x00\x00\x00" on the wire'
}

@test "the checker is not vacuous: a Noise prefix off by one, a short bytes sum, a frame not in the log" {
	local d=$BATS_TEST_TMPDIR
	# a 48-byte msg1 and a 16-byte transport message, each behind its 2-byte big-endian length
	{
		printf '\x00\x30' && head -c 48 /dev/zero | tr '\0' 'a'
		printf '\x00\x10' && head -c 16 /dev/zero | tr '\0' 'b'
	} >"$d/noise.bin"
	[ "$(stat -c %s "$d/noise.bin")" -eq 68 ]
	noise_log() { # MSG1_LENGTH MSG1_BYTES
		printf '{"event":"sent","message":"msg1","length":%s,"bytes":%s}\n' "$1" "$2" >"$d/noise.json"
		printf '{"event":"sent","message":"transport","length":16,"bytes":18}\n' >>"$d/noise.json"
	}
	noise_log 48 50
	check --proto noise --events "$d/noise.json" --sent "$d/noise.bin"
	assert_success
	assert_output "PASS check"
	sed 's/"sent"/"recv"/' "$d/noise.json" >"$d/noise.recv.json"
	check --proto noise --events "$d/noise.recv.json" --recv "$d/noise.bin"
	assert_success
	# msg1's length off by one (as a truncate-msg1 log that kept the old length would be)
	noise_log 49 51
	check --proto noise --events "$d/noise.json" --sent "$d/noise.bin"
	assert_failure
	assert_output --partial 'FAIL check: sent #1 "msg1" at offset 0: length 49 in the event, 48 on the wire'
	# the bytes one short: the next event is looked for one byte early
	noise_log 48 49
	check --proto noise --events "$d/noise.json" --sent "$d/noise.bin"
	assert_failure
	assert_output --partial 'sent #2 "transport" at offset 49: length 16 in the event, 24832 on the wire'
	# a frame on the wire with no event (as a replay-msg1 log with one msg1 would be)
	noise_log 48 50
	sed -i '2d' "$d/noise.json"
	check --proto noise --events "$d/noise.json" --sent "$d/noise.bin"
	assert_failure
	assert_output --partial "18 byte(s) on the wire after the 1 sent event(s), at offset 50: 0010"
}

@test "the checker is not vacuous: a message queued long before the peer closed must be on the wire" {
	local d=$BATS_TEST_TMPDIR
	btc_wire
	head -c 50 "$d/btc.bin" >"$d/btc.cut" # the ping cut after 26 of its 32 bytes
	log() {                               # PING_T_MS: the ping queued then, the peer closed at 1500
		cat >"$d/t.json" <<-EOF
			{"event":"sent","t_ms":0,"command":"verack","length":0,"bytes":24}
			{"event":"sent","t_ms":$1,"command":"ping","length":8,"bytes":32}
			{"event":"closed","t_ms":1500,"by":"peer"}
		EOF
	}
	log 1400
	check --proto btc --events "$d/t.json" --sent "$d/btc.cut" --prefix-ok
	assert_success
	log 900
	check --proto btc --events "$d/t.json" --sent "$d/btc.cut" --prefix-ok
	assert_failure
	assert_output --partial "'bytes' 32 in the event, 26 byte(s) on the wire from there (queued 600 ms before the peer closed)"
	# without the other side closing first, never
	log 1400
	check --proto btc --events "$d/t.json" --sent "$d/btc.cut"
	assert_failure
}
