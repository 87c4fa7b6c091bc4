#!/usr/bin/env bats
# peershake crawl --html (issue 14): the summary page of a crawl of a small
# loopback network, rendered in headless Chromium as bats/report.bats
# renders the conformance report. Eight `btc listen` responders with user
# agents, versions, service bits and transports set per peer (one user agent
# hostile: `<script>` and `&`), three dead addresses and four recorded ones.
# What the summary must count is computed here from that table; the page
# Chromium builds must show the same counts as the summary line, as text,
# with no script and no console message; the screenshot must have one bar
# per non-zero count, each as long as its count says. Every crawl runs with
# --allow inside loopback; every process is stopped by its PID.

load helpers

ONION=pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion
I2P=ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p
EVIL='/evil:<script>alert(1)</script>&x=1&amp;y/'
# peer I: user agent | protocol version | services | --v2transport
PEERS=(
	"/peershake:0.1.0/|70016|0x809|1"
	"/Satoshi:27.0.0/|70016|0xc09|1"
	"/Satoshi:27.0.0/|70016|0x409|0"
	"/Satoshi:27.0.0/|70015|0x409|0"
	"/btcd:0.24.2/|70016|0x9|0"
	"/btcd:0.24.2/|70015|0x9|0"
	"$EVIL|70016|0x809|1"
	"/peershake:0.1.0/|70016|0x809|1"
)
N=${#PEERS[@]}
DEAD=3

peer() { echo "127.0.0.$((90 + $1)):$PORT"; }

setup_file() {
	command -v chromium >/dev/null || skip "chromium is not installed: ci/deps test"
	export PORT=$((20000 + RANDOM % 20000))
	local d=$BATS_FILE_TMPDIR i ua ver svc v2
	for ((i = 0; i < N; i++)); do
		IFS='|' read -r ua ver svc v2 <<<"${PEERS[$i]}"
		{
			peer $(((i + 1) % N))
			peer $(((i + 2) % N))
			if ((i == 0)); then
				for ((k = 1; k <= DEAD; k++)); do echo "127.0.2.$k:$PORT"; done
				echo "$ONION:8333"
				echo "$I2P:8333"
				echo "[fc00:1:2:3:4:5:6:7]:8333"
				echo "127.1.0.1:$PORT"
			fi
		} >"$d/book$i"
		"$PEERSHAKE" btc listen -j --linger 3000 --addr-pct 100 --addr-file "$d/book$i" \
			--user-agent "$ua" --protocol-version "$ver" --services "$svc" --v2transport "$v2" \
			"$(peer "$i")" >"$d/l$i.out" 2>"$d/l$i.err" &
		echo $! >"$d/l$i.pid"
	done
	for ((i = 0; i < N; i++)); do
		ps_wait_log "$d/l$i.out" '"event":"listening"' 10
	done
	"$PEERSHAKE" crawl --allow 127.0.0.0/16 --allow ::1/128 --getaddr-wait 300 -t 3000 \
		--v2transport auto --html "$d/c.html" --csv "$d/c.csv" "$(peer 0)" >"$d/c.out" 2>"$d/c.err"
	for ((i = 0; i < N; i++)); do
		ps_stop_pid "$d/l$i.pid" 10
	done
}

teardown_file() {
	local f
	for f in "$BATS_FILE_TMPDIR"/*.pid; do
		[ -e "$f" ] && ps_stop_pid "$f" 10 || true
	done
}

# chromium ARGS...: headless Chromium as bats/report.bats runs it (bounded,
# no network, a fresh profile, fd 3 closed), with the page's console
# messages logged to chromium.err (--enable-logging=stderr: ":CONSOLE:"
# lines).
chromium_run() {
	local profile
	profile=$(mktemp -d "$BATS_TEST_TMPDIR/profile.XXXXXX")
	timeout 60 chromium --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update \
		--disable-sync --no-first-run --disable-quic \
		--enable-logging=stderr --v=0 \
		--user-data-dir="$profile" "$@" 3>&- 2>>"$BATS_TEST_TMPDIR/chromium.err"
}

# py SOURCE ARGS...: a Python check; it prints what is wrong and exits non-zero
py() {
	local src=$1
	shift
	run "$PS_PYTHON" - "$@" <<<"$src"
	assert_success
}

@test "the summary counts what the network is" {
	run jq -r 'select(.event=="crawl_peer") | .peer' "$BATS_FILE_TMPDIR/c.out"
	[ "${#lines[@]}" -eq $((N + DEAD)) ] || fail "$output"
	jq -c 'select(.event=="crawl_summary")' "$BATS_FILE_TMPDIR/c.out" >"$BATS_TEST_TMPDIR/summary.json"
	py '
import collections, json, sys
s = json.load(open(sys.argv[1]))
peers = [l.split("|") for l in sys.argv[4:]]
n, dead = len(peers), int(sys.argv[2])
def hexsvc(v): return "0x%016x" % int(v, 16)
want = {
    "peers": n + dead, "dialled": n + dead, "succeeded": n, "recorded": 4,
    "outcome": {"SUCCESS": n, "PARTIAL": 0, "FAILED": dead},
    "transport": {"v1": sum(p[3] == "0" for p in peers), "v2": sum(p[3] == "1" for p in peers), "none": dead},
    "network": {"ipv4": n + dead + 1, "ipv6": 0, "torv3": 1, "i2p": 1, "cjdns": 1},
    "user_agent": dict(collections.Counter(p[0] for p in peers)),
    "version": dict(collections.Counter(p[1] for p in peers)),
    "services": dict(collections.Counter(hexsvc(p[2]) for p in peers)),
}
for k, v in want.items():
    assert s[k] == v, (k, s[k], v)
assert s["known"] == n + dead + 4, s["known"]
assert s["user_agent"][sys.argv[3]] == 1
print("summary ok")
' "$BATS_TEST_TMPDIR/summary.json" "$DEAD" "$EVIL" "${PEERS[@]}"
	# the CSV has the hostile user agent as it came, in one quoted field
	py '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == int(sys.argv[3]), len(rows)
assert sum(r["user_agent"] == sys.argv[2] for r in rows) == 1, [r["user_agent"] for r in rows]
' "$BATS_FILE_TMPDIR/c.csv" "$EVIL" $((N + DEAD))
}

@test "the page is static and escaped: no script, nothing loaded, the hostile user agent as text" {
	local html=$BATS_FILE_TMPDIR/c.html
	run grep -ci '<script' "$html"
	assert_output 0
	run grep -ciE '(src|href)=' "$html"
	assert_output 0
	grep -qF "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">" "$html"
	# the key cell and the data-key attribute, each escaped
	run grep -oF '&lt;script&gt;alert(1)&lt;/script&gt;&amp;x=1&amp;amp;y/' "$html"
	[ "${#lines[@]}" -eq 2 ]
}

@test "in headless Chromium: every chart has the summary's counts, largest first, the bars to scale; no script, no console message" {
	jq -c 'select(.event=="crawl_summary")' "$BATS_FILE_TMPDIR/c.out" >"$BATS_TEST_TMPDIR/summary.json"
	: >"$BATS_TEST_TMPDIR/chromium.err"
	chromium_run --dump-dom "file://$BATS_FILE_TMPDIR/c.html" >"$BATS_TEST_TMPDIR/dom.html" ||
		{ cat "$BATS_TEST_TMPDIR/chromium.err" >&2; fail "chromium failed"; }
	py '
import json, sys
from html.parser import HTMLParser
s = json.load(open(sys.argv[1]))
evil = sys.argv[3]
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.charts = {}; self.totals = {}; self.cur = None; self.row = None
        self.cell = None; self.scripts = 0; self.intotals = False; self.text = ""
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "table" and a.get("id") == "totals":
            self.intotals = True
        if tag == "table" and "data-chart" in a:
            self.cur = self.charts.setdefault(a["data-chart"], [])
        if tag == "tr" and "data-key" in a:
            self.row = {"key": a["data-key"], "count": a.get("data-count"), "cells": {}}
            (self.cur if self.cur is not None else []).append(self.row)
            if self.intotals:
                self.totals[a["data-key"]] = self.row
        if tag == "td" and self.row is not None:
            self.cell = a.get("class", "v"); self.text = ""
        if tag == "div" and a.get("class") == "bar" and self.row is not None:
            self.row["bar"] = a.get("style", "")
    def handle_data(self, d):
        if self.cell is not None:
            self.text += d
    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.row["cells"][self.cell] = self.text; self.cell = None
        if tag == "tr":
            self.row = None
        if tag == "table":
            self.cur = None; self.intotals = False
p = P()
p.feed(open(sys.argv[2], encoding="utf-8").read())
assert p.scripts == 0, "a script element"
for k in ("peers", "succeeded", "known", "duplicates", "recorded", "known_full"):
    assert p.totals[k]["cells"]["v"] == str(s[k]), (k, p.totals[k], s[k])
fixed = {"outcome": ["SUCCESS", "PARTIAL", "FAILED"], "transport": ["v1", "v2", "none"],
         "network": ["ipv4", "ipv6", "torv3", "i2p", "cjdns"]}
assert sorted(p.charts) == sorted(list(fixed) + ["user_agent", "version", "services"]), list(p.charts)
for name, rows in p.charts.items():
    want = s[name]
    got = {r["key"]: int(r["count"]) for r in rows}
    assert got == want and len(rows) == len(want), (name, got, want)
    if name in fixed:
        assert [r["key"] for r in rows] == fixed[name], (name, rows)
    else:
        counts = [int(r["count"]) for r in rows]
        assert counts == sorted(counts, reverse=True), (name, counts)
    top, total = max(want.values()), sum(want.values())
    for r in rows:
        n = int(r["count"])
        # what is shown is what the attributes say: the key, the count,
        # the share of the chart, the bar scaled to the largest
        assert r["cells"]["k"] == r["key"], r
        assert r["cells"]["n"] == str(n), r
        assert r["cells"]["p"] == "%d%%" % ((n * 100 + total // 2) // total), r
        assert r["bar"] == "width:%d%%" % (-(-n * 100 // top)), r
assert p.charts["user_agent"] and any(r["key"] == evil for r in p.charts["user_agent"])
print(len(p.charts), "charts", sum(len(r) for r in p.charts.values()), "rows")
' "$BATS_TEST_TMPDIR/summary.json" "$BATS_TEST_TMPDIR/dom.html" "$EVIL"
	# 3 outcomes, 3 transports, 5 networks; of PEERS 4 user agents, 2
	# versions, 4 service sets
	assert_output "6 charts 21 rows"
	# the page logged nothing to the console (a script error, a blocked
	# script or load would)
	run grep -c ':CONSOLE' "$BATS_TEST_TMPDIR/chromium.err"
	assert_output 0

	# the same check sees a script error when there is one
	printf '<!DOCTYPE html><p>x</p><script>no_such_function();</script>\n' >"$BATS_TEST_TMPDIR/bad.html"
	: >"$BATS_TEST_TMPDIR/chromium.err"
	chromium_run --dump-dom "file://$BATS_TEST_TMPDIR/bad.html" >/dev/null
	grep ':CONSOLE' "$BATS_TEST_TMPDIR/chromium.err" | grep -q 'Uncaught ReferenceError: no_such_function'
}

@test "the screenshot: one bar per non-zero count, each as long as its count says" {
	local png=$BATS_TEST_TMPDIR/crawl.png
	jq -c 'select(.event=="crawl_summary")' "$BATS_FILE_TMPDIR/c.out" >"$BATS_TEST_TMPDIR/summary.json"
	chromium_run --screenshot="$png" --window-size=1100,1700 "file://$BATS_FILE_TMPDIR/c.html" ||
		{ cat "$BATS_TEST_TMPDIR/chromium.err" >&2; fail "chromium failed"; }
	[ -s "$png" ] || fail "no screenshot"
	cp "$png" "$BATS_FILE_TMPDIR/crawl.png"
	# decode the PNG (zlib and the PNG filters, standard library only), find
	# the horizontal bands of the bar colour (#3b7dd8, tolerance 8 a
	# channel) and their widths, top to bottom
	py '
import json, struct, sys, zlib
s = json.load(open(sys.argv[2]))
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, ihdr = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        ihdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    elif kind == b"IEND":
        break
    pos += 12 + n
w, h, depth, ctype, _, _, interlace = ihdr
assert depth == 8 and ctype in (2, 6) and interlace == 0, ihdr
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
i = 0
bar = (0x3b, 0x7d, 0xd8)
widths = []
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    if f == 2:  # Up, the common one: no dependency along the row
        line = bytearray((u + v) & 255 for u, v in zip(line, prev))
    elif f in (1, 3, 4):
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
            else:
                c = prev[x - bpp] if x >= bpp else 0
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    else:
        assert f == 0, "bad filter %d" % f
    prev = line
    widths.append(sum(1 for x in range(0, stride, bpp)
                      if all(abs(line[x + j] - bar[j]) <= 8 for j in range(3))))
bands, cur = [], None
for y, n in enumerate(widths):
    if n and cur is None:
        cur = [y, 0]
    if n:
        cur[1] = max(cur[1], n)
    if not n and cur is not None:
        bands.append((cur[0], y - cur[0], cur[1])); cur = None
assert cur is None, "a bar runs off the bottom: a taller window"
# the bars the summary says, in page order (fixed orders, tallies largest
# first), each as a share of its chart largest
order = [("outcome", ["SUCCESS", "PARTIAL", "FAILED"]), ("transport", ["v1", "v2", "none"]),
         ("network", ["ipv4", "ipv6", "torv3", "i2p", "cjdns"])]
want = []
for name, keys in order:
    top = max(s[name].values())
    want += [-(-s[name][k] * 100 // top) for k in keys if s[name][k]]
for name in ("user_agent", "version", "services"):
    top = max(s[name].values())
    want += [-(-v * 100 // top) for v in sorted(s[name].values(), reverse=True)]
print("bands", len(bands), "want", len(want))
assert len(bands) == len(want), (bands, want)
full = max(b[2] for b in bands)
assert full >= 300, full
for (y, hgt, wpx), pct in zip(bands, want):
    assert 14 <= hgt <= 18, (y, hgt)
    assert abs(wpx - full * pct / 100) <= 2, (y, wpx, pct, full)
' "$png" "$BATS_TEST_TMPDIR/summary.json"
	echo "$output"
	[[ ${lines[-1]} =~ ^bands\ ([0-9]+)\ want\ ([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" -ge 15 ]
}
