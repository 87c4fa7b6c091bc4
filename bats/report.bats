#!/usr/bin/env bats
# The conformance report generator (conformance/report.py) on a synthetic run
# (conformance/sample_index.py): matrix.md, junit.xml, results.tap, the HTML
# pages and their links, then html/index.html in headless Chromium: a
# screenshot with the outcome colours in it, and the DOM with one cell per
# target x case. Every expectation is computed from the sample's index.json.
# Chromium reads file:// only, with networking features off, under timeout.

load helpers

REPORT=$PS_ROOT/conformance/report.py
SAMPLE=$PS_ROOT/conformance/sample_index.py

setup() {
	OUT=$BATS_TEST_TMPDIR/run
	"$PS_PYTHON" "$SAMPLE" "$OUT"
	"$PS_PYTHON" "$REPORT" "$OUT" >"$BATS_TEST_TMPDIR/report.out"
}

# check PYTHON_SOURCE: run a Python check with OUT as argv[1]; it prints what
# is wrong and exits non-zero.
check() {
	run "$PS_PYTHON" - "$OUT" <<<"$1"
	assert_success
}

# chromium ARGS...: headless Chromium, bounded, no network, a fresh profile.
# fd 3 (Bats' own) is closed so a stray helper process cannot hold the test.
chromium_run() {
	local profile
	profile=$(mktemp -d "$BATS_TEST_TMPDIR/profile.XXXXXX")
	timeout 60 chromium --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update \
		--disable-sync --no-first-run --disable-quic \
		--user-data-dir="$profile" "$@" 3>&- 2>>"$BATS_TEST_TMPDIR/chromium.err"
}

@test "report: writes every output and prints the summary per target" {
	for f in matrix.md junit.xml results.tap html/index.html; do
		[ -s "$OUT/$f" ] || fail "missing $f"
	done
	run cat "$BATS_TEST_TMPDIR/report.out"
	assert_line '| Target | Pass | Non-strict | Fail | Info | Unimplemented | Missing | Total |'
	assert_line '| bcoin | 1 | 1 | 1 | 1 | 0 | 0 | 4 |'
	assert_line '| bitcoind | 0 | 0 | 0 | 0 | 0 | 4 | 4 |'
	assert_line '| flynn | 2 | 0 | 0 | 0 | 1 | 0 | 3 |'
	assert_line '| dissononce | 3 | 0 | 1 | 0 | 0 | 0 | 4 |'
}

@test "report: the sample covers every outcome, two protocols, a missing target and a gap" {
	check '
import json, sys
ix = json.load(open(sys.argv[1] + "/index.json"))
outs = {r["outcome"] for r in ix["results"]}
want = {"Pass", "Non-strict", "Fail", "Info", "Unimplemented", "Missing"}
assert outs == want, outs
assert {t["protocol"] for t in ix["targets"]} == {"btc", "noise"}
assert len(ix["targets"]) == 4
assert [t["name"] for t in ix["targets"] if t["status"] == "missing"] == ["bitcoind"]
have = {(r["target"], r["case"]) for r in ix["results"]}
gaps = [(t["name"], c["id"]) for t in ix["targets"] for c in ix["cases"]
        if t["protocol"] == c["protocol"] and (t["name"], c["id"]) not in have]
assert gaps == [("flynn", "CF-NN-004")], gaps
'
}

@test "report: bad input exits 2 with a message" {
	run "$PS_PYTHON" "$REPORT" "$BATS_TEST_TMPDIR/nowhere"
	assert_failure 2
	assert_output --partial "index.json"
	echo '{"format": 2}' >"$BATS_TEST_TMPDIR/index.json"
	run "$PS_PYTHON" "$REPORT" "$BATS_TEST_TMPDIR"
	assert_failure 2
	assert_output --partial 'format'
	run "$PS_PYTHON" "$REPORT"
	assert_failure 2
	assert_output --partial usage
}

@test "report: matrix.md pins the versions and has the outcome of every target x case" {
	check '
import json, re, sys
d = sys.argv[1]
ix = json.load(open(d + "/index.json"))
md = open(d + "/matrix.md").read()
lines = md.splitlines()
head = "\n".join(lines[:8])
assert "2026-11-22 04:10:00 UTC" in head, head
assert "peershake: " + ix["run"]["peershake"] in head, head
for t in ix["targets"]:
    row = [l for l in lines if l.startswith("| " + t["name"] + " | " + t["protocol"] + " |")]
    assert len(row) == 1, (t["name"], row)
    assert (t["version"] or "-") in row[0], row[0]
    assert t["status"] in row[0] and t["reason"] in row[0], row[0]
def cells(line):
    return [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
# every matrix: header "| ID | Arrow | Role | Reference | T1 | T2 |"
res = {(r["target"], r["case"]): r["outcome"] for r in ix["results"]}
seen = set()
i = 0
while i < len(lines):
    if lines[i].startswith("| ID | Arrow | Role | Reference |"):
        targets = cells(lines[i])[4:]
        i += 2
        while i < len(lines) and lines[i].startswith("| "):
            c = cells(lines[i])
            case = next(x for x in ix["cases"] if x["id"] == c[0])
            assert c[1] == case["arrow"], (c[1], case["arrow"])
            assert c[2] == case["role"]
            for t, word in zip(targets, c[4:]):
                assert word == res.get((t, c[0]), "-"), (t, c[0], word)
                seen.add((t, c[0]))
            i += 1
    i += 1
assert set(res) <= seen, set(res) - seen
assert ("flynn", "CF-NN-004") in seen
# a "|" in a cell is escaped, the arrows are left readable
assert "ignored \\| no reply" in md
assert "-> version, <- version, <- verack, -> verack" in md
assert "## Summary" in md and "| bitcoind | 0 | 0 | 0 | 0 | 0 | 4 | 4 |" in md
'
}

@test "report: junit.xml parses, one testsuite per target, one testcase per result" {
	check '
import json, sys
import xml.etree.ElementTree as ET
d = sys.argv[1]
ix = json.load(open(d + "/index.json"))
root = ET.parse(d + "/junit.xml").getroot()
assert root.tag == "testsuites"
suites = root.findall("testsuite")
assert [s.get("name") for s in suites] == [t["name"] for t in ix["targets"]]
cases = {c["id"]: c for c in ix["cases"]}
n = {"tests": 0, "failures": 0, "skipped": 0}
for s in suites:
    rs = [r for r in ix["results"] if r["target"] == s.get("name")]
    tcs = s.findall("testcase")
    assert len(tcs) == len(rs) == int(s.get("tests")), s.get("name")
    props = {p.get("name"): p.get("value") for p in s.iter("property")}
    t = next(t for t in ix["targets"] if t["name"] == s.get("name"))
    assert props["version"] == t["version"] and props["status"] == t["status"]
    for tc, r in zip(tcs, rs):
        assert tc.get("classname") == r["target"]
        assert tc.get("name") == r["case"] + " " + cases[r["case"]]["arrow"], tc.get("name")
        f, sk, so = tc.find("failure"), tc.find("skipped"), tc.find("system-out")
        o = r["outcome"]
        if o == "Fail":
            assert f is not None and sk is None
            assert f.get("message") == "expected %s observed %s" % (r["expected"], r["observed"])
        elif o in ("Unimplemented", "Missing"):
            assert sk is not None and f is None and sk.get("message"), r
        elif o in ("Info", "Non-strict"):
            assert f is None and sk is None and so is not None and so.text.startswith(o + ":")
            if r["note"]:
                assert r["note"] in so.text
        else:
            assert f is None and sk is None and so is None
    fails = sum(r["outcome"] == "Fail" for r in rs)
    skips = sum(r["outcome"] in ("Unimplemented", "Missing") for r in rs)
    assert int(s.get("failures")) == fails and int(s.get("skipped")) == skips
    n["tests"] += len(rs); n["failures"] += fails; n["skipped"] += skips
for k, v in n.items():
    assert int(root.get(k)) == v, (k, root.get(k), v)
missing = [tc.find("skipped").get("message") for tc in root.iter("testcase")
           if tc.get("classname") == "bitcoind"]
assert all("set BITCOIND" in m for m in missing), missing
'
}

@test "report: results.tap is TAP 13 with ok / not ok / SKIP per result" {
	local n fails skips
	n=$(jq '.results | length' "$OUT/index.json")
	fails=$(jq '[.results[] | select(.outcome == "Fail")] | length' "$OUT/index.json")
	skips=$(jq '[.results[] | select(.outcome == "Unimplemented" or .outcome == "Missing")] | length' "$OUT/index.json")
	run sed -n 1,2p "$OUT/results.tap"
	assert_output "TAP version 13"$'\n'"1..$n"
	[ "$(grep -cE '^(ok|not ok) [0-9]+ - ' "$OUT/results.tap")" -eq "$n" ]
	[ "$(grep -cE '^not ok [0-9]+ - ' "$OUT/results.tap")" -eq "$fails" ]
	[ "$(grep -cE '^ok [0-9]+ - .* # SKIP ' "$OUT/results.tap")" -eq "$skips" ]
	run grep -c '# TODO' "$OUT/results.tap"
	assert_output 0
	# numbered 1..N in order; a "#" in a description is escaped
	[ "$(grep -oE '^(ok|not ok) [0-9]+' "$OUT/results.tap" | awk '{print $NF}' | paste -sd' ')" = "$(seq -s' ' 1 "$n")" ]
	assert_equal "$(grep -c '^not ok [0-9]* - bcoin CF-V1-002 <- version, -> version(31799), -> verack$' "$OUT/results.tap")" 1
	assert_equal "$(grep -c '^ok [0-9]* - bcoin RS-V1-002 -> version, -> version \\# duplicate$' "$OUT/results.tap")" 1
	assert_equal "$(grep -c '^ok [0-9]* - flynn CF-NN-003 .* # SKIP Unimplemented: shim exited 89' "$OUT/results.tap")" 1
}

@test "report: HTML pages exist, are self-contained, escaped, and every cell links to its case page" {
	check '
import json, os, re, sys, urllib.parse
from html.parser import HTMLParser
d = sys.argv[1]
ix = json.load(open(d + "/index.json"))
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.tags = []; self.text = []
    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
    def handle_data(self, data):
        self.text.append(data)
def parse(path):
    p = P(); p.feed(open(path, encoding="utf-8").read()); return p
pages = [os.path.join(dp, f) for dp, _, fs in os.walk(d + "/html") for f in fs]
assert len(pages) == 1 + len(ix["results"]), len(pages)
for path in pages:
    p = parse(path)
    for tag, a in p.tags:
        assert tag not in ("script", "link", "img", "iframe", "object"), (path, tag)
        for k in ("src", "href"):
            assert not re.match(r"^[a-z]+:", a.get(k) or ""), (path, a)
        if tag == "a":
            target = os.path.normpath(os.path.join(os.path.dirname(path),
                                                   urllib.parse.unquote(a["href"])))
            assert os.path.isfile(target), (path, a["href"])
index = parse(d + "/html/index.html")
text = "".join(index.text)
assert "2026-11-22 04:10:00 UTC" in text and ix["run"]["peershake"] in text
for t in ix["targets"]:
    assert t["name"] in text and t["version"] in text and t["status"] in text
links = {}
for tag, a in index.tags:
    if tag == "td" and "data-outcome" in a:
        links[(a["data-target"], a["data-case"])] = a["data-outcome"]
hrefs = [a["href"] for tag, a in index.tags if tag == "a"]
cases = {c["id"]: c for c in ix["cases"]}
for r in ix["results"]:
    assert links[(r["target"], r["case"])] == r["outcome"], r
    href = "%s/%s.html" % (r["target"], r["case"])
    assert href in hrefs, href
    page = parse(d + "/html/" + href)
    body = "".join(page.text)
    c = cases[r["case"]]
    for want in (c["id"], c["arrow"], c["role"], c["reference"], c["source"],
                 r["expected"], r["outcome"], "%s ms" % r["duration_ms"], r["note"]):
        assert want in body, (href, want)
    assert "../index.html" in [a.get("href") for tag, a in page.tags if tag == "a"]
    if r["log"]:
        log = open(d + "/" + r["log"], encoding="utf-8").read()
        for line in log.splitlines():
            if line and not line.startswith("{"):
                assert line in body, (href, line)
    else:
        assert "No log" in body, href
assert len(links) == len(ix["results"])
'
	# the log line with a <script> element is shown as text
	run grep -c '&lt;script&gt;alert' "$OUT/html/flynn/CF-NN-001.html"
	assert_output 1
	run grep -rl '<script' "$OUT/html"
	assert_failure 1
}

@test "report: html/index.html in headless Chromium shows the coloured matrix" {
	command -v chromium >/dev/null || fail "chromium is not installed: ci/deps test"
	local png=$BATS_TEST_TMPDIR/index.png
	chromium_run --screenshot="$png" --window-size=1280,900 "file://$OUT/html/index.html" ||
		{ cat "$BATS_TEST_TMPDIR/chromium.err" >&2; fail "chromium failed"; }
	[ -s "$png" ] || fail "no screenshot"
	# decode the PNG (zlib + PNG filters, standard library only) and count
	# pixels of each outcome colour (report.py's COLOURS), tolerance 6 per channel
	run "$PS_PYTHON" - "$png" <<'EOF'
import collections, struct, sys, zlib
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
print("size %dx%d" % (w, h))
assert depth == 8 and ctype in (2, 6) and interlace == 0, ihdr
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
rows = []
i = 0
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
    rows.append(bytes(line)); prev = line
colours = {"Pass": "2e7d32", "Non-strict": "f9d71c", "Fail": "c62828",
           "Info": "1565c0", "Unimplemented": "8a8a8a", "Missing": "dcdcdc"}
want = {k: bytes.fromhex(v) for k, v in colours.items()}
pixels = collections.Counter()
for row in rows:
    pixels.update(row[x:x + 3] for x in range(0, stride, bpp))
for k, rgb in want.items():
    n = sum(c for px, c in pixels.items()
            if all(abs(px[j] - rgb[j]) <= 6 for j in range(3)))
    print("%s %d" % (k, n))
print("distinct %d" % len(pixels))
EOF
	assert_success
	echo "$output" >"$BATS_TEST_TMPDIR/pixels"
	assert_line "size 1280x900"
	local o n
	for o in Pass Non-strict Fail Info Unimplemented Missing; do
		n=$(sed -n "s/^$o //p" <<<"$output")
		# a cell is about 90x26 px; the legend and summary headers add more
		[ "$n" -ge 1000 ] || fail "$o colour: $n pixels"
	done
	n=$(sed -n 's/^distinct //p' <<<"$output")
	[ "$n" -ge 50 ] || fail "only $n distinct colours: blank page?"
}

@test "report: the DOM Chromium builds has one cell per target x case" {
	command -v chromium >/dev/null || fail "chromium is not installed: ci/deps test"
	chromium_run --dump-dom "file://$OUT/html/index.html" >"$BATS_TEST_TMPDIR/dom.html" ||
		{ cat "$BATS_TEST_TMPDIR/chromium.err" >&2; fail "chromium failed"; }
	check '
import json, sys
from html.parser import HTMLParser
d = sys.argv[1]
ix = json.load(open(d + "/index.json"))
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.cells = []; self.tables = 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "data-protocol" in a:
            self.tables += 1
        if tag == "td" and "cell" in (a.get("class") or "").split():
            self.cells.append((a["data-target"], a["data-case"], a.get("data-outcome")))
p = P()
p.feed(open(d + "/../dom.html", encoding="utf-8").read())
# every target x every case of its protocol, each once
want = {(t["name"], c["id"]) for t in ix["targets"] for c in ix["cases"]
        if t["protocol"] == c["protocol"]}
got = [(t, c) for t, c, _ in p.cells]
assert len(got) == len(set(got)) == len(want), (len(got), len(want))
assert set(got) == want
res = {(r["target"], r["case"]): r["outcome"] for r in ix["results"]}
for t, c, o in p.cells:
    assert o == res.get((t, c)), (t, c, o)
assert p.tables == len({c["protocol"] for c in ix["cases"]})
print(len(got), "cells")
'
	assert_output "16 cells"
}
