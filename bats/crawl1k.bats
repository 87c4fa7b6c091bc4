#!/usr/bin/env bats
# peershake crawl at scale (issue 14): the loopback network of ci/crawlnet,
# 1,001 peershake responders (one `btc listen` on 1,001 addresses, each with
# its own book), 51 dead addresses, 20 silent peers, a listener outside the
# allow list, TorV3/I2P/CJDNS names, and a bcoin regtest node whose answer
# to getaddr is the only way to 20 of the responders. What a crawl must find
# is walked here, breadth first over the books on disk (expect.py below),
# never taken from peershake's output. Every crawl runs with --allow inside
# loopback; everything is stopped by its PID (ci/crawlnet stop).

load helpers

ALLOW=(--allow 127.0.0.0/16 --allow ::1/128)
# the crawls' settings: a silent peer costs -t, a responder --getaddr-wait
CRAWL=(-n regtest "${ALLOW[@]}" --getaddr-wait 600 -t 2000 --concurrency 128)

setup_file() {
	"$PS_ROOT/conformance/bcoin/install" >&2
	NET=$BATS_FILE_TMPDIR/net
	"$PS_ROOT/ci/crawlnet" start "$NET" --peershake "$PEERSHAKE" >&2 3>&-
	# shellcheck disable=SC1091
	. "$NET/net.env"
	expect "$NET" "" >"$NET/expect.json"
	# the whole network, once: the first tests read this crawl
	"$PEERSHAKE" crawl "${CRAWL[@]}" --max-peers 100000 "$CRAWLNET_SEED" \
		>"$NET/full.out" 2>"$NET/full.err" 3>&-
}

teardown_file() {
	"$PS_ROOT/ci/crawlnet" stop "$BATS_FILE_TMPDIR/net" >&2 || true
}

# expect DIR MAX_DEPTH: what a crawl from the seed should find, from
# nodes.tsv and the books alone, as JSON: "dial" (address -> [kind, BFS
# distance]), "record" (["network address port reason"...]), "unreached"
# (peershake responders no walk reaches), "via_bcoin" (what only bcoin's
# answer reaches), "book" (address -> the addresses it answers with).
# MAX_DEPTH empty: no bound.
expect() {
	"$PS_PYTHON" - "$@" <<'EOF'
import ipaddress, json, os, sys
d, maxd = sys.argv[1], sys.argv[2]
maxd = int(maxd) if maxd else None
kind, book = {}, {}
for line in open(os.path.join(d, "nodes.tsv")):
    addr, k, b = line.rstrip("\n").split("\t")
    kind[addr] = k
    if b != "-":
        book[addr] = [l.split("#")[0].split()[0] for l in open(os.path.join(d, b))
                      if l.split("#")[0].strip()]
seed = open(os.path.join(d, "net.env")).read().split("CRAWLNET_SEED=")[1].split()[0]
allow = [ipaddress.ip_network("127.0.0.0/16"), ipaddress.ip_network("::1/128")]

def split(a):
    host, port = a.rsplit(":", 1)
    return host.strip("[]"), int(port)

def classify(a):
    """(network, address, port, None if dialled else why not)"""
    host, port = split(a)
    if host.endswith(".onion"):
        return "torv3", host, port, "no-proxy"
    if host.endswith(".b32.i2p"):
        return "i2p", host, port, "no-proxy"
    ip = ipaddress.ip_address(host)
    if ip.version == 6 and ip in ipaddress.ip_network("fc00::/8"):
        return "cjdns", str(ip), port, "unreachable-network"
    net = "ipv4" if ip.version == 4 else "ipv6"
    return net, str(ip), port, None if any(ip in n for n in allow) else "not-allowed"

def walk(skip):
    dist, record, frontier = {seed: 0}, set(), [seed]
    while frontier:
        nxt = []
        for a in frontier:
            if a == skip:
                continue
            for e in book.get(a, []):
                net, host, port, why = classify(e)
                if e in dist or any(r[1:3] == (host, port) for r in record):
                    continue
                if why is None and maxd is not None and dist[a] + 1 > maxd:
                    why = "max-depth"
                if why:
                    record.add((net, host, port, why))
                else:
                    dist[e] = dist[a] + 1
                    nxt.append(e)
        frontier = nxt
    return dist, record

dist, record = walk(None)
bcoin = [a for a, k in kind.items() if k == "bcoin"]
without = walk(bcoin[0])[0] if bcoin else dist
json.dump({
    "dial": {a: [kind.get(a, "?"), n] for a, n in dist.items()},
    "record": sorted("%s %s %d %s" % r for r in record),
    "unreached": sorted(a for a, k in kind.items() if k == "peer" and a not in dist),
    "via_bcoin": sorted(a for a in dist if a not in without and kind.get(a) == "peer"),
    "book": book,
}, sys.stdout)
EOF
}

# jqs FILTER FILE: jq -r over the JSON Lines in FILE, sorted
jqs() { jq -r "$1" "$2" | sort; }

@test "the network: 1,001 responders, 20 silent, 51 dead, bcoin; the walk reaches most, not all" {
	local net=$BATS_FILE_TMPDIR/net
	# shellcheck disable=SC1091
	. "$net/net.env"
	[ "$CRAWLNET_PEERS" -eq 1001 ]
	run jq -r '[.dial[] | .[0]] | group_by(.) | map("\(.[0]) \(length)") | .[]' "$net/expect.json"
	assert_output "bcoin 1
dead 51
peer 991
silent 20"
	# the ten orphans are named by nobody; twenty peers only through bcoin
	run jq -r '"\(.unreached | length) \(.via_bcoin | length)"' "$net/expect.json"
	assert_output "10 20"
	# one process serves every responder address
	[ "$(grep -c '"event":"listening"' "$net/peers.out")" -eq 1001 ]
}

@test "every reachable peer is dialled exactly once, and nothing else" {
	local net=$BATS_FILE_TMPDIR/net
	run jqs 'select(.event=="crawl_peer") | .peer' "$net/full.out"
	local got=$output
	[ "$(echo "$got" | wc -l)" -eq 1063 ]
	[ "$(echo "$got" | uniq -d)" = "" ]
	run jqs '.dial | keys[]' "$net/expect.json"
	[ "$got" = "$output" ]
	# none of the unreached responders was dialled
	run jqs '.unreached[]' "$net/expect.json"
	[ "${#lines[@]}" -eq 10 ]
	[ "$(comm -12 <(echo "$got") <(echo "$output"))" = "" ]
	run cat "$net/full.err"
	assert_output ""
}

@test "outcomes: responders and bcoin SUCCESS, dead ones refused, silent ones timed out" {
	local net=$BATS_FILE_TMPDIR/net
	run jqs 'select(.event=="crawl_peer") | "\(.peer) \(.outcome) \(.reason // "-")"' "$net/full.out"
	local got=$output
	run jqs '.dial | to_entries[] | "\(.key) " + ({peer: "SUCCESS -", bcoin: "SUCCESS -",
		dead: "FAILED refused", silent: "FAILED timeout"}[.value[0]])' "$net/expect.json"
	[ "$got" = "$output" ]
	# a silent peer held its slot for the whole -t (2000 ms), no longer
	run jq -r 'select(.event=="crawl_peer" and .reason=="timeout") | .duration_ms' "$net/full.out"
	[ "${#lines[@]}" -eq 20 ]
	for ms in "${lines[@]}"; do
		((ms >= 1990 && ms < 3000))
	done
}

@test "TorV3, I2P, CJDNS and the outside address: recorded once each, never dialled; the outside listener saw nothing" {
	local net=$BATS_FILE_TMPDIR/net
	run jqs 'select(.event=="crawl_addr") | "\(.network) \(.address) \(.port) \(.reason)"' "$net/full.out"
	local got=$output
	run jq -r '.record[]' "$net/expect.json"
	[ "$got" = "$(sort <<<"$output")" ]
	# every kind is there: 25 TorV3 (one named by three peers), 24 I2P, 24 CJDNS, 1 outside
	run bash -c "cut -d' ' -f1,4 <<<'$got' | sort | uniq -c | awk '{print \$2, \$3, \$1}'"
	assert_output "cjdns unreachable-network 24
i2p no-proxy 24
ipv4 not-allowed 1
torv3 no-proxy 25"
	run jq -c 'select(.event=="crawl_addr" and .dialled != false)' "$net/full.out"
	assert_output ""
	[ "$(grep -c '"event":"listening"' "$net/outside.out")" -eq 1 ]
	run grep -c '"event":"connected"' "$net/outside.out"
	assert_output 0
}

@test "the responders' side: each address reached saw one connection, the unreached none" {
	local net=$BATS_FILE_TMPDIR/net
	# every connection a responder or a silent peer accepted, by the
	# address it came in on (nothing else connects to them: bcoin dials only
	# its --only peer, where nothing listens)
	run bash -c "jq -r 'select(.event==\"connected\") | .local' '$net/peers.out' '$net/silent.out' | sort"
	local got=$output
	[ "$(uniq -d <<<"$got")" = "" ]
	run bash -c "jq -r '.dial | to_entries[] | select(.value[0]==\"peer\" or .value[0]==\"silent\") | .key' '$net/expect.json' | sort"
	[ "$got" = "$output" ]
	[ "${#lines[@]}" -eq 1011 ]
}

@test "bcoin: found once, with its user agent; its answer is the only way to the island" {
	local net=$BATS_FILE_TMPDIR/net
	# shellcheck disable=SC1091
	. "$net/net.env"
	run jq -r --arg b "$CRAWLNET_BCOIN" 'select(.event=="crawl_peer" and .peer==$b) |
		"\(.outcome) \(.version) \(.user_agent) \(.addr_received) \(.addr_new)"' "$net/full.out"
	# bcoin.book: three island peers and bcoin's --only peer, all new
	assert_output "SUCCESS 70015 /bcoin:v1.0.2/ 4 4"
	run jq -r 'select(.event=="crawl_summary") | .user_agent["/bcoin:v1.0.2/"]' "$net/full.out"
	assert_output 1
	# the twenty island peers, which only bcoin names, were all reached
	run jq -r '.via_bcoin[]' "$net/expect.json"
	[ "${#lines[@]}" -eq 20 ]
	local island=$output
	run jqs 'select(.event=="crawl_peer" and .outcome=="SUCCESS") | .peer' "$net/full.out"
	[ "$(comm -23 <(sort <<<"$island") <(echo "$output"))" = "" ]
	# bcoin logged the crawler's handshake
	grep -q "Version handshake complete (127.0.0.1:" "$net/bcoin/debug.log"
}

@test "depths: the seed at 0; every other peer one hop from a peer it was learned from" {
	local net=$BATS_FILE_TMPDIR/net
	"$PS_PYTHON" - "$net/expect.json" "$net/full.out" <<'EOF'
import json, sys
exp = json.load(open(sys.argv[1]))
peers = [json.loads(l) for l in open(sys.argv[2])]
depth = {p["peer"]: p["depth"] for p in peers if p["event"] == "crawl_peer"}
seed = [a for a, (k, n) in exp["dial"].items() if n == 0]
assert [a for a, d in depth.items() if d == 0] == seed, "the seed alone at depth 0"
for a, d in depth.items():
    # never before the walk can reach it; and named by a peer one hop up
    assert d >= exp["dial"][a][1], (a, d)
    if d:
        assert any(a in exp["book"].get(q, []) for q, dq in depth.items() if dq == d - 1), (a, d)
EOF
}

@test "the summary agrees with the per-peer records and the walk" {
	local net=$BATS_FILE_TMPDIR/net
	"$PS_PYTHON" - "$net/expect.json" "$net/full.out" <<'EOF'
import collections, json, sys
exp = json.load(open(sys.argv[1]))
ev = [json.loads(l) for l in open(sys.argv[2])]
peers = [e for e in ev if e["event"] == "crawl_peer"]
addrs = [e for e in ev if e["event"] == "crawl_addr"]
(s,) = [e for e in ev if e["event"] == "crawl_summary"]
out = collections.Counter(p["outcome"] for p in peers)
assert s["peers"] == s["dialled"] == len(peers) == len(exp["dial"]), s
assert s["succeeded"] == out["SUCCESS"] == 992, (s, out)
assert s["outcome"] == {"SUCCESS": out["SUCCESS"], "PARTIAL": out["PARTIAL"], "FAILED": out["FAILED"]}
assert s["recorded"] == len(addrs) == len(exp["record"])
assert s["known"] == len(peers) + len(addrs) and s["known_full"] == 0
# every address kept that was not new is a duplicate
assert s["duplicates"] == sum(p["addr_kept"] - p["addr_new"] for p in peers)
assert sum(p["addr_new"] for p in peers) == s["known"] - 1  # all but the seed
# by network: what was dialled and what was recorded
net = collections.Counter("ipv6" if p["peer"].startswith("[") else "ipv4" for p in peers)
net.update(a["network"] for a in addrs)
assert s["network"] == {k: net[k] for k in ("ipv4", "ipv6", "torv3", "i2p", "cjdns")}, s["network"]
for key, field in (("user_agent", "user_agent"), ("version", "version"), ("services", "services")):
    c = collections.Counter(str(p[field]) for p in peers if field in p)
    assert s[key] == dict(c), (key, s[key], c)
assert s["user_agent"] == {"/peershake:0.1.0/": 991, "/bcoin:v1.0.2/": 1}
tr = collections.Counter(p.get("transport", "none") for p in peers)
assert s["transport"] == {"v1": tr["v1"], "v2": tr["v2"], "none": tr["none"]}
assert tr["none"] == 51  # the dead: no connection
EOF
}

@test "--max-peers 500 at this size: 500 distinct reachable peers, the rest recorded" {
	local net=$BATS_FILE_TMPDIR/net out=$BATS_TEST_TMPDIR/c.out
	# shellcheck disable=SC1091
	. "$net/net.env"
	run -0 "$PEERSHAKE" crawl "${CRAWL[@]}" --max-peers 500 "$CRAWLNET_SEED"
	echo "$output" >"$out"
	run jqs 'select(.event=="crawl_peer") | .peer' "$out"
	[ "${#lines[@]}" -eq 500 ]
	local got=$output
	[ "$(uniq -d <<<"$got")" = "" ]
	# every one of them reachable
	run jqs '.dial | keys[]' "$net/expect.json"
	[ "$(comm -23 <(echo "$got") <(echo "$output"))" = "" ]
	run jq -r 'select(.event=="crawl_summary") | "\(.peers) \(.dialled) \(.known_max)"' "$out"
	assert_output "500 500 500000"
	# what was over the bound was recorded, never dialled
	run jqs 'select(.event=="crawl_addr" and .reason=="max-peers") |
		if (.address | contains(":")) then "[\(.address)]:\(.port)" else "\(.address):\(.port)" end' "$out"
	[ "${#lines[@]}" -gt 0 ]
	[ "$(comm -12 <(echo "$got") <(echo "$output"))" = "" ]
}

@test "--max-depth 2 at this size: no peer deeper, the first hop whole, the rest recorded at depth 3" {
	local net=$BATS_FILE_TMPDIR/net out=$BATS_TEST_TMPDIR/c.out
	# shellcheck disable=SC1091
	. "$net/net.env"
	expect "$net" 2 >"$BATS_TEST_TMPDIR/expect2.json"
	run -0 "$PEERSHAKE" crawl "${CRAWL[@]}" --max-peers 100000 --max-depth 2 "$CRAWLNET_SEED"
	echo "$output" >"$out"
	"$PS_PYTHON" - "$BATS_TEST_TMPDIR/expect2.json" "$out" <<'EOF'
import json, sys
exp = json.load(open(sys.argv[1]))
ev = [json.loads(l) for l in open(sys.argv[2])]
depth = {e["peer"]: e["depth"] for e in ev if e["event"] == "crawl_peer"}
assert len(depth) == len([e for e in ev if e["event"] == "crawl_peer"]), "a peer twice"
assert max(depth.values()) == 2
# a peer's depth is never below its distance: nothing past the walk's two hops
assert set(depth) <= set(exp["dial"]), set(depth) - set(exp["dial"])
# the seed and every address in its book: there is no other way to hop 1
hop1 = {a for a, (k, n) in exp["dial"].items() if n <= 1}
assert hop1 <= set(depth), hop1 - set(depth)
deep = [e for e in ev if e["event"] == "crawl_addr" and e["reason"] == "max-depth"]
assert deep and all(e["depth"] == 3 for e in deep)
fmt = lambda e: ("[%s]:%d" if ":" in e["address"] else "%s:%d") % (e["address"], e["port"])
assert not {fmt(e) for e in deep} & set(depth)
EOF
}
