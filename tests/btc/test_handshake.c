/*
 * test_handshake.c - ref/btc/handshake: the v1 version handshake, both roles.
 *
 * Two btc_hs instances talk in memory (initiator <-> responder); bytes move
 * in random chunk sizes from a seeded RNG, one byte at a time included. Each
 * side's event log depends only on its input stream, so the exact sequence
 * of SENT/RECV/VERSION/SUCCESS events is asserted for every chunking.
 * Hostile input (bad magic, oversize, bad checksum, obsolete version, self
 * connection, missing services, features after verack) is hand-built and
 * fed to one side, checking what Bitcoin Core does (src/net.cpp V1Transport,
 * src/net_processing.cpp ProcessMessage; the quotes are above the checks in
 * ref/btc).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btc/handshake.h"
#include "btc/v1.h"
#include "hs_config.h"
#include "testutil.h"

static const uint8_t REGTEST[4] = { 0xfa, 0xbf, 0xb5, 0xda };
static const uint8_t MAINNET[4] = { 0xf9, 0xbe, 0xb4, 0xd9 };

/* Success and input still taken (what the handshake calls DONE). */
static bool done(const struct btc_hs *hs)
{
	return btc_hs_outcome(hs) == PS_SUCCESS && !btc_hs_ended(hs);
}

/* Their version as accepted; fails the test when there is none. */
static const struct btc_peer_info *peer_of(const struct btc_hs *hs)
{
	const struct btc_peer_info *p = btc_hs_peer(hs);

	assert_non_null(p);
	return p;
}

#define SEC	UINT64_C(1000000000)
#define T0	(UINT64_C(1000) * SEC) /* an arbitrary monotonic start */
#define LOG_MAX 512

struct peer {
	struct btc_hs hs;
	struct btc_hs_config cfg;
	uint64_t seed;
	struct btc_event log[LOG_MAX];
	size_t nlog;
	uint64_t last_expiry;
	bool was_done; /* drain saw it done */
};

/* Take every event; check the queue and output bounds and that the expiry
 * never moves backwards. The ring only fills between drains, so the count
 * one drain takes is the most it ever held. */
static void drain(struct peer *p)
{
	struct btc_event ev;
	const uint8_t *out;
	unsigned held = 0;

	while (btc_hs_next_event(&p->hs, &ev)) {
		assert_true(p->nlog < LOG_MAX);
		p->log[p->nlog++] = ev;
		held++;
	}
	assert_true(held <= BTC_HS_EVENTS);
	assert_true(btc_hs_output(&p->hs, &out) <= BTC_HS_OUTBUF);
	uint64_t e = btc_hs_expiry(&p->hs);
	/* two phases, each monotone: the deadline while pending, then (done)
	 * the due times of the delayed injections, which may come earlier */
	if (done(&p->hs) && !p->was_done) {
		p->was_done = true;
		p->last_expiry = 0;
	}
	assert_true(e >= p->last_expiry);
	p->last_expiry = e;
}

static void config(struct peer *p, uint64_t seed, const char *ua)
{
	memset(p, 0, sizeof(*p));
	p->seed = seed;
	hs_test_config(&p->cfg, &p->seed, ua);
}

static void start(struct peer *p, enum btc_role role, uint64_t now)
{
	assert_int_equal(btc_hs_init(&p->hs, role, &p->cfg, now), PS_OK);
	assert_int_equal(btc_hs_outcome(&p->hs), PS_PENDING);
	drain(p);
}

/* Two fresh peers: an initiator (seed 1) and a responder (seed 2). */
static void pair(struct peer *i, struct peer *r)
{
	config(i, 1, "/init:1.0/");
	config(r, 2, "/resp:2.0/");
	i->cfg.start_height = 11;
	r->cfg.start_height = 22;
	r->cfg.relay = false;
	r->cfg.services |= BTC_NODE_NETWORK_LIMITED;
}

static int feed(struct peer *p, uint64_t now, const uint8_t *b, size_t n)
{
	int r = btc_hs_input(&p->hs, now, b, n);
	drain(p);
	return r;
}

/* Take all of p's output into buf; returns its length. */
static size_t take(struct peer *p, uint8_t *buf)
{
	const uint8_t *o;
	size_t n = btc_hs_output(&p->hs, &o);

	assert_true(n <= BTC_HS_OUTBUF);
	if (n)
		memcpy(buf, o, n);
	btc_hs_consume(&p->hs, n);
	assert_int_equal(btc_hs_output(&p->hs, &o), 0);
	return n;
}

static size_t chunk_size(uint64_t *seed, size_t max)
{
	uint8_t b[2];
	tu_rng(seed, b, 2);
	return 1 + ((size_t)b[0] | (size_t)b[1] << 8) % max;
}

/* Move from's output to to's input in random chunks of 1..max. */
static size_t transfer(struct peer *from, struct peer *to, uint64_t now, uint64_t *cs, size_t max)
{
	uint8_t buf[BTC_HS_OUTBUF];
	size_t n = take(from, buf);

	for (size_t off = 0; off < n;) {
		size_t k = chunk_size(cs, max);
		if (k > n - off)
			k = n - off;
		(void)feed(to, now, buf + off, k);
		off += k;
	}
	return n;
}

static void run(struct peer *i, struct peer *r, uint64_t now, uint64_t chunk_seed, size_t max)
{
	for (int turn = 0; turn < 20; turn++) {
		size_t moved = transfer(i, r, now, &chunk_seed, max);
		moved += transfer(r, i, now, &chunk_seed, max);
		if (moved == 0)
			return;
	}
	fail_msg("the peers never went quiet");
}

/* The commands in a byte stream of whole messages. */
static size_t stream_cmds(const uint8_t *b, size_t n, const uint8_t magic[4], enum btc_cmd *cmds,
			  size_t max, struct btc_msg *last)
{
	size_t count = 0;
	while (n) {
		struct btc_msg m;
		size_t used;
		assert_int_equal(btc_msg_decode(&m, &used, magic, b, n), PS_OK);
		assert_true(count < max);
		cmds[count++] = m.cmd;
		if (last)
			*last = m;
		b += used;
		n -= used;
	}
	return count;
}

static size_t enc(uint8_t *buf, size_t cap, const uint8_t magic[4], const struct btc_msg *m)
{
	struct ps_wcur w = ps_wcur_make(buf, cap);
	assert_int_equal(btc_msg_encode(&w, magic, m), PS_OK);
	return (size_t)(w.p - buf);
}

static size_t enc_empty(uint8_t *buf, enum btc_cmd cmd)
{
	struct btc_msg m;
	memset(&m, 0, sizeof(m));
	m.cmd = cmd;
	return enc(buf, 64, REGTEST, &m);
}

static size_t enc_version(uint8_t *buf, size_t cap, int32_t version, uint64_t services,
			  uint64_t nonce, const char *ua)
{
	struct btc_msg m;
	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_VERSION;
	m.u.version.version = version;
	m.u.version.services = services;
	m.u.version.timestamp = 1700000000;
	m.u.version.nonce = nonce;
	m.u.version.user_agent = (const uint8_t *)ua;
	m.u.version.user_agent_len = strlen(ua);
	m.u.version.start_height = 5;
	m.u.version.relay = 1;
	m.u.version.present = BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT |
			      BTC_VERSION_HAS_HEIGHT | BTC_VERSION_HAS_RELAY;
	return enc(buf, cap, REGTEST, &m);
}

static size_t enc_raw(uint8_t *buf, const uint8_t magic[4], const char cmd[12],
		      const uint8_t *payload, size_t plen)
{
	memcpy(buf, magic, 4);
	memcpy(buf + 4, cmd, 12);
	ps_store_u32le(buf + 16, (uint32_t)plen);
	btc_checksum(buf + 20, payload, plen);
	if (plen)
		memmove(buf + 24, payload, plen);
	return 24 + plen;
}

static void m_ping_into(uint8_t *buf, size_t *n)
{
	struct btc_msg m;
	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_PING;
	m.u.ping.has_nonce = true;
	m.u.ping.nonce = 7;
	*n = enc(buf, 64, REGTEST, &m);
}

/* ---- expected event sequences ------------------------------------------------ */

struct want_ev {
	enum btc_ev_type type;
	enum btc_cmd cmd;
	const char *note; /* NULL: must be NULL; "*": any */
};

static void expect_log(const struct peer *p, size_t from, const struct want_ev *w, size_t n)
{
	static const char *const tn[] = { "SENT",    "RECV",   "DROPPED",   "VERSION",
					  "SUCCESS", "FAILED", "DISCONNECT" };
	if (p->nlog - from != n) {
		for (size_t k = from; k < p->nlog; k++)
			printf("  got %s %s %s\n", tn[p->log[k].type], p->log[k].command,
			       p->log[k].note ? p->log[k].note : "");
		fail_msg("%zu events, want %zu", p->nlog - from, n);
	}
	for (size_t k = 0; k < n; k++) {
		const struct btc_event *e = &p->log[from + k];
		if (e->type != w[k].type)
			fail_msg("event %zu: %s, want %s", k, tn[e->type], tn[w[k].type]);
		if (e->type == BTC_EV_SENT || e->type == BTC_EV_RECV) {
			assert_int_equal(e->cmd, w[k].cmd);
			assert_string_equal(e->command, btc_cmd_name(w[k].cmd));
		}
		if (!w[k].note)
			assert_null(e->note);
		else if (strcmp(w[k].note, "*") != 0)
			assert_string_equal(e->note, w[k].note);
	}
}

static const struct want_ev initiator_log[] = {
	{ BTC_EV_SENT, BTC_CMD_VERSION, NULL },
	{ BTC_EV_RECV, BTC_CMD_VERSION, NULL },
	{ BTC_EV_VERSION, BTC_CMD_VERSION, NULL },
	{ BTC_EV_SENT, BTC_CMD_WTXIDRELAY, NULL },
	{ BTC_EV_SENT, BTC_CMD_SENDADDRV2, NULL },
	{ BTC_EV_SENT, BTC_CMD_VERACK, NULL },
	{ BTC_EV_RECV, BTC_CMD_WTXIDRELAY, "feature negotiation" },
	{ BTC_EV_RECV, BTC_CMD_SENDADDRV2, "feature negotiation" },
	{ BTC_EV_RECV, BTC_CMD_VERACK, NULL },
	{ BTC_EV_SUCCESS, BTC_CMD_VERACK, NULL },
};

/* Core's order as an inbound peer: nothing until their version, then
 * version, wtxidrelay, sendaddrv2, verack. */
static const struct want_ev responder_log[] = {
	{ BTC_EV_RECV, BTC_CMD_VERSION, NULL },
	{ BTC_EV_VERSION, BTC_CMD_VERSION, NULL },
	{ BTC_EV_SENT, BTC_CMD_VERSION, NULL },
	{ BTC_EV_SENT, BTC_CMD_WTXIDRELAY, NULL },
	{ BTC_EV_SENT, BTC_CMD_SENDADDRV2, NULL },
	{ BTC_EV_SENT, BTC_CMD_VERACK, NULL },
	{ BTC_EV_RECV, BTC_CMD_WTXIDRELAY, "feature negotiation" },
	{ BTC_EV_RECV, BTC_CMD_SENDADDRV2, "feature negotiation" },
	{ BTC_EV_RECV, BTC_CMD_VERACK, NULL },
	{ BTC_EV_SUCCESS, BTC_CMD_VERACK, NULL },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void check_peer_info(const struct btc_peer_info *got, const struct peer *them)
{
	assert_int_equal(got->version, them->cfg.version);
	assert_true(got->services == them->cfg.services);
	assert_true(got->timestamp == them->cfg.unix_time);
	assert_true(got->nonce == btc_hs_nonce(&them->hs));
	assert_int_equal(got->start_height, them->cfg.start_height);
	assert_int_equal(got->relay, them->cfg.relay);
	assert_int_equal(got->present, BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT |
					       BTC_VERSION_HAS_HEIGHT | BTC_VERSION_HAS_RELAY);
	assert_string_equal(got->user_agent, them->cfg.user_agent);
	assert_int_equal(got->user_agent_len, strlen(them->cfg.user_agent));
}

/* ---- the handshake itself ---------------------------------------------------- */

static void test_success_every_chunking(void **state)
{
	(void)state;
	for (uint64_t seed = 0; seed < 300; seed++) {
		struct peer *i = malloc(sizeof(*i)), *r = malloc(sizeof(*r));
		size_t max = seed == 0 ? 1 : seed < 100 ? 1 + (size_t)seed % 7 : 1 + (size_t)seed;
		assert_non_null(i);
		assert_non_null(r);
		pair(i, r);
		start(i, BTC_INITIATOR, T0);
		start(r, BTC_RESPONDER, T0);
		assert_true(btc_hs_expiry(&i->hs) == T0 + 60 * SEC);
		run(i, r, T0 + seed, seed * 7919, max);

		assert_int_equal(btc_hs_outcome(&i->hs), PS_SUCCESS);
		assert_int_equal(btc_hs_outcome(&r->hs), PS_SUCCESS);
		assert_true(btc_hs_expiry(&i->hs) == UINT64_MAX);
		assert_true(btc_hs_expiry(&r->hs) == UINT64_MAX);
		assert_true(done(&i->hs));
		expect_log(i, 0, initiator_log, N(initiator_log));
		expect_log(r, 0, responder_log, N(responder_log));
		check_peer_info(peer_of(&i->hs), r);
		check_peer_info(peer_of(&r->hs), i);
		assert_true(btc_hs_nonce(&i->hs) != btc_hs_nonce(&r->hs));
		/* event lengths are the payload lengths */
		assert_int_equal(i->log[0].length, 86 + strlen("/init:1.0/"));
		assert_int_equal(r->log[0].length, 86 + strlen("/init:1.0/"));
		assert_int_equal(r->log[2].length, 86 + strlen("/resp:2.0/"));
		assert_int_equal(i->log[5].length, 0);
		assert_int_equal(btc_hs_bytes_out(&i->hs), btc_hs_bytes_in(&r->hs));
		assert_int_equal(btc_hs_bytes_out(&r->hs), btc_hs_bytes_in(&i->hs));
		free(i);
		free(r);
	}
}

static void test_responder_waits_for_version(void **state)
{
	struct peer i, r;
	uint8_t buf[BTC_HS_OUTBUF], out[BTC_HS_OUTBUF];
	enum btc_cmd cmds[8];
	struct btc_msg last;

	(void)state;
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	assert_int_equal(r.nlog, 0);
	assert_int_equal(take(&r, out), 0);

	/* the initiator queued exactly its version */
	size_t n = take(&i, buf);
	assert_int_equal(stream_cmds(buf, n, REGTEST, cmds, 8, &last), 1);
	assert_int_equal(cmds[0], BTC_CMD_VERSION);
	assert_true(last.u.version.nonce == btc_hs_nonce(&i.hs));
	assert_int_equal(last.u.version.version, 70016);
	assert_memory_equal(&last.u.version.addr_recv, &i.cfg.peer, sizeof(i.cfg.peer));
	/* addr_from: our services and an all-zero address, as Core sends */
	assert_true(last.u.version.addr_from.services == i.cfg.services);
	assert_memory_equal(last.u.version.addr_from.ip, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);

	/* all but the last byte: the responder stays silent */
	assert_int_equal(feed(&r, T0, buf, n - 1), PS_OK);
	assert_int_equal(take(&r, out), 0);
	assert_int_equal(r.nlog, 0);
	assert_int_equal(feed(&r, T0, buf + n - 1, 1), PS_OK);
	size_t m = take(&r, out);
	assert_int_equal(stream_cmds(out, m, REGTEST, cmds, 8, NULL), 4);
	assert_int_equal(cmds[0], BTC_CMD_VERSION);
	assert_int_equal(cmds[1], BTC_CMD_WTXIDRELAY);
	assert_int_equal(cmds[2], BTC_CMD_SENDADDRV2);
	assert_int_equal(cmds[3], BTC_CMD_VERACK);
	assert_string_equal(btc_hs_waiting_for(&r.hs), "verack");
	assert_int_equal(btc_hs_outcome(&r.hs), PS_PENDING);
}

/* wtxidrelay and sendaddrv2 only when both versions are >= 70016. */
static void test_70015_peer(void **state)
{
	(void)state;
	for (int side = 0; side < 2; side++) {
		struct peer i, r;
		pair(&i, &r);
		if (side == 0)
			i.cfg.version = 70015;
		else
			r.cfg.version = 70015;
		start(&i, BTC_INITIATOR, T0);
		start(&r, BTC_RESPONDER, T0);
		run(&i, &r, T0, 99, 13);
		assert_int_equal(btc_hs_outcome(&i.hs), PS_SUCCESS);
		assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);
		const struct want_ev wi[] = {
			{ BTC_EV_SENT, BTC_CMD_VERSION, NULL },
			{ BTC_EV_RECV, BTC_CMD_VERSION, NULL },
			{ BTC_EV_VERSION, BTC_CMD_VERSION, NULL },
			{ BTC_EV_SENT, BTC_CMD_VERACK, NULL },
			{ BTC_EV_RECV, BTC_CMD_VERACK, NULL },
			{ BTC_EV_SUCCESS, BTC_CMD_VERACK, NULL },
		};
		const struct want_ev wr[] = {
			{ BTC_EV_RECV, BTC_CMD_VERSION, NULL },
			{ BTC_EV_VERSION, BTC_CMD_VERSION, NULL },
			{ BTC_EV_SENT, BTC_CMD_VERSION, NULL },
			{ BTC_EV_SENT, BTC_CMD_VERACK, NULL },
			{ BTC_EV_RECV, BTC_CMD_VERACK, NULL },
			{ BTC_EV_SUCCESS, BTC_CMD_VERACK, NULL },
		};
		expect_log(&i, 0, wi, N(wi));
		expect_log(&r, 0, wr, N(wr));
	}

	/* 31800, the minimum: accepted, no features */
	struct peer i, r;
	pair(&i, &r);
	i.cfg.version = BTC_MIN_PEER_VERSION;
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	run(&i, &r, T0, 5, 3);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);
	assert_int_equal(peer_of(&r.hs)->version, 31800);
	assert_int_equal(r.nlog, 6);
}

/* Core: "non-version message before version handshake" is ignored. */
static void test_verack_before_version(void **state)
{
	struct peer i, r;
	uint8_t buf[BTC_HS_OUTBUF], out[BTC_HS_OUTBUF];

	(void)state;
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	size_t n = enc_empty(buf, BTC_CMD_VERACK);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	const struct want_ev w[] = { { BTC_EV_RECV, BTC_CMD_VERACK, "ignored: before version" } };
	expect_log(&r, 0, w, 1);
	assert_string_equal(btc_hs_waiting_for(&r.hs), "version");
	assert_int_not_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);
	assert_int_equal(take(&r, out), 0);

	/* their version now: the early verack does not count */
	n = take(&i, buf);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_string_equal(btc_hs_waiting_for(&r.hs), "verack");
	assert_int_equal(btc_hs_outcome(&r.hs), PS_PENDING);
	run(&i, &r, T0, 3, 5);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);
	expect_log(&r, 1, responder_log, N(responder_log));

	/* same for the initiator: a verack ahead of the responder's version */
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	n = enc_empty(buf, BTC_CMD_VERACK);
	assert_int_equal(feed(&i, T0, buf, n), PS_OK);
	assert_string_equal(btc_hs_waiting_for(&i.hs), "version");
	assert_string_equal(i.log[1].note, "ignored: before version");
	start(&r, BTC_RESPONDER, T0);
	run(&i, &r, T0, 4, 9);
	assert_int_equal(btc_hs_outcome(&i.hs), PS_SUCCESS);
}

/* Core: "redundant version message" is ignored. */
static void test_duplicate_version(void **state)
{
	struct peer i, r;
	uint8_t buf[BTC_HS_OUTBUF], out[BTC_HS_OUTBUF];
	enum btc_cmd cmds[8];

	(void)state;
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	size_t n = take(&i, buf);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	size_t m = take(&r, out);
	assert_int_equal(stream_cmds(out, m, REGTEST, cmds, 8, NULL), 4);

	/* a second, different version */
	size_t k = enc_version(buf, sizeof(buf), 70001, 0, 999, "/other/");
	size_t before = r.nlog;
	assert_int_equal(feed(&r, T0, buf, k), PS_OK);
	const struct want_ev w[] = { { BTC_EV_RECV, BTC_CMD_VERSION,
				       "ignored: redundant version" } };
	expect_log(&r, before, w, 1);
	assert_int_equal(take(&r, out), 0); /* no second version, no second verack */
	assert_int_equal(peer_of(&r.hs)->version, 70016);
	assert_true(peer_of(&r.hs)->nonce == btc_hs_nonce(&i.hs));
	assert_string_equal(peer_of(&r.hs)->user_agent, "/init:1.0/");

	/* the responder's messages reach the initiator; the handshake completes */
	assert_int_equal(feed(&i, T0, out, m), PS_OK);
	run(&i, &r, T0, 8, 8);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);
	assert_int_equal(btc_hs_outcome(&i.hs), PS_SUCCESS);
	expect_log(&i, 0, initiator_log, N(initiator_log));

	/* after success, a version is still ignored */
	before = r.nlog;
	assert_int_equal(feed(&r, T0, buf, k), PS_OK);
	expect_log(&r, before, w, 1);
	assert_int_equal(take(&r, out), 0);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);
	assert_true(done(&r.hs));
	assert_string_equal(peer_of(&r.hs)->user_agent, "/init:1.0/");
}

static void test_unknown_command(void **state)
{
	struct peer i, r;
	uint8_t buf[BTC_HS_OUTBUF], out[BTC_HS_OUTBUF];
	const uint8_t payload[3] = { 1, 2, 3 };

	(void)state;
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);

	size_t n = enc_raw(buf, REGTEST, "foo\0\0\0\0\0\0\0\0\0", payload, 3);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_int_equal(r.log[0].type, BTC_EV_RECV);
	assert_int_equal(r.log[0].cmd, BTC_CMD_UNKNOWN);
	assert_string_equal(r.log[0].command, "foo");
	assert_int_equal(r.log[0].length, 3);
	assert_string_equal(r.log[0].note, "ignored: before version");
	/* twelve NULs: a valid (empty) message type for Core, ignored alike */
	n = enc_raw(buf, REGTEST, "\0\0\0\0\0\0\0\0\0\0\0\0", payload, 0);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_int_equal(r.log[1].type, BTC_EV_RECV);
	assert_string_equal(r.log[1].command, "");
	assert_string_equal(btc_hs_waiting_for(&r.hs), "version");

	n = take(&i, buf);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_string_equal(btc_hs_waiting_for(&r.hs), "verack");
	/* Core: "Unsupported message prior to verack" */
	n = enc_raw(buf, REGTEST, "sendcmpct\0\0\0", (const uint8_t *)"\0\2\0\0\0\0\0\0\0", 9);
	size_t before = r.nlog;
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_int_equal(r.log[before].cmd, BTC_CMD_SENDCMPCT);
	assert_string_equal(r.log[before].note, "ignored: before verack");
	n = enc_raw(buf, REGTEST, "foo\0\0\0\0\0\0\0\0\0", payload, 3);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_string_equal(r.log[before + 1].note, "ignored: before verack");
	assert_string_equal(btc_hs_waiting_for(&r.hs), "verack");
	(void)take(&r, out);

	/* the initiator completes; after success unknown messages pass quietly */
	n = enc_empty(buf, BTC_CMD_VERACK);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);
	n = enc_raw(buf, REGTEST, "foo\0\0\0\0\0\0\0\0\0", payload, 3);
	before = r.nlog;
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_int_equal(r.nlog, before + 1);
	assert_int_equal(r.log[before].type, BTC_EV_RECV);
	assert_null(r.log[before].note);
	assert_int_equal(take(&r, out), 0);
	assert_true(done(&r.hs));
}

/* Core drops a message with a bad checksum or an invalid command and keeps
 * the connection. */
static void test_bad_checksum_dropped(void **state)
{
	struct peer i, r;
	uint8_t buf[BTC_HS_OUTBUF], out[BTC_HS_OUTBUF];

	(void)state;
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);

	/* a version with one payload byte flipped: dropped, still waiting */
	size_t n = take(&i, buf);
	buf[30] ^= 0x40;
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_int_equal(r.log[0].type, BTC_EV_DROPPED);
	assert_int_equal(r.log[0].err, PS_ERR_BAD_CHECKSUM);
	assert_string_equal(btc_hs_waiting_for(&r.hs), "version");
	assert_int_equal(take(&r, out), 0);
	buf[30] ^= 0x40;
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_string_equal(btc_hs_waiting_for(&r.hs), "verack");
	transfer(&r, &i, T0, &i.seed, 50);
	(void)take(&i, buf); /* wtxidrelay, sendaddrv2, verack: held back */

	/* a verack with a wrong checksum: dropped */
	n = enc_empty(buf, BTC_CMD_VERACK);
	buf[23] ^= 1;
	size_t before = r.nlog;
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_int_equal(r.log[before].type, BTC_EV_DROPPED);
	assert_int_equal(r.log[before].err, PS_ERR_BAD_CHECKSUM);
	assert_string_equal(r.log[before].command, "verack");
	assert_string_equal(btc_hs_waiting_for(&r.hs), "verack");
	/* invalid commands: dropped too */
	n = enc_raw(buf, REGTEST, "ver\0ack\0\0\0\0\0", buf, 0);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_int_equal(r.log[before + 1].type, BTC_EV_DROPPED);
	assert_int_equal(r.log[before + 1].err, PS_ERR_BAD_COMMAND);
	n = enc_raw(buf, REGTEST, "verack\x01\0\0\0\0\0", buf, 0);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_int_equal(r.log[before + 2].err, PS_ERR_BAD_COMMAND);
	assert_string_equal(r.log[before + 2].command, "verack?");
	/* both wrong: the checksum is what Core reports */
	buf[20] ^= 1;
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_int_equal(r.log[before + 3].err, PS_ERR_BAD_CHECKSUM);
	/* a payload that does not parse (a ping of 3 bytes: Core's read of
	 * the nonce throws): dropped, kept */
	n = enc_raw(buf, REGTEST, "ping\0\0\0\0\0\0\0\0", (const uint8_t *)"xyz", 3);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_int_equal(r.log[before + 4].type, BTC_EV_DROPPED);
	assert_int_equal(r.log[before + 4].err, PS_ERR_MALFORMED);
	assert_string_equal(btc_hs_waiting_for(&r.hs), "verack");
	assert_int_equal(take(&r, out), 0);

	/* the real verack completes the handshake */
	n = enc_empty(buf, BTC_CMD_VERACK);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);
}

/* Core: "Header error: Wrong MessageStart", disconnect, as soon as the 24
 * header bytes are in. */
static void test_bad_magic(void **state)
{
	struct peer i, r;
	uint8_t buf[BTC_HS_OUTBUF], out[BTC_HS_OUTBUF];

	(void)state;
	pair(&i, &r);
	memcpy(i.cfg.magic, MAINNET, 4);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	size_t n = take(&i, buf);
	for (size_t k = 0; k < BTC_HEADER_LEN - 1; k++) {
		assert_int_equal(feed(&r, T0, buf + k, 1), PS_OK);
		assert_int_equal(btc_hs_outcome(&r.hs), PS_PENDING);
	}
	assert_int_equal(r.nlog, 0);
	assert_int_equal(feed(&r, T0, buf + BTC_HEADER_LEN - 1, 1), PS_ERR_BAD_MAGIC);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_FAILED);
	assert_int_equal(btc_hs_error(&r.hs), PS_ERR_BAD_MAGIC);
	assert_int_equal(r.nlog, 1);
	assert_int_equal(r.log[0].type, BTC_EV_FAILED);
	assert_int_equal(r.log[0].err, PS_ERR_BAD_MAGIC);
	assert_true(btc_hs_expiry(&r.hs) == UINT64_MAX);
	/* the rest is ignored: no events, nothing sent */
	(void)feed(&r, T0, buf + BTC_HEADER_LEN, n - BTC_HEADER_LEN);
	assert_int_equal(r.nlog, 1);
	assert_int_equal(take(&r, out), 0);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_FAILED);

	/* also after the version: a message with another magic ends it */
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	transfer(&i, &r, T0, &i.seed, 100);
	n = enc_raw(buf, MAINNET, "verack\0\0\0\0\0\0", buf, 0);
	assert_int_equal(feed(&r, T0, buf, n), PS_ERR_BAD_MAGIC);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_FAILED);
}

/* Core: "Header error: Size too large", disconnect before any payload byte;
 * exactly MAX_PROTOCOL_MESSAGE_LENGTH is accepted and waited for. */
static void test_announced_length(void **state)
{
	struct peer *r = malloc(sizeof(*r)), *i = malloc(sizeof(*i));
	uint8_t hdr[BTC_HEADER_LEN];

	(void)state;
	assert_non_null(r);
	assert_non_null(i);
	config(r, 2, "/r/");
	start(r, BTC_RESPONDER, T0);
	memcpy(hdr, REGTEST, 4);
	memcpy(hdr + 4, "block\0\0\0\0\0\0\0", 12);
	ps_store_u32le(hdr + 16, BTC_MAX_PAYLOAD + 1);
	memset(hdr + 20, 0, 4);
	for (size_t k = 0; k < BTC_HEADER_LEN - 1; k++)
		assert_int_equal(feed(r, T0, hdr + k, 1), PS_OK);
	assert_int_equal(feed(r, T0, hdr + BTC_HEADER_LEN - 1, 1), PS_ERR_TOO_LARGE);
	assert_int_equal(btc_hs_outcome(&r->hs), PS_FAILED);
	assert_int_equal(btc_hs_error(&r->hs), PS_ERR_TOO_LARGE);
	assert_int_equal(r->log[0].type, BTC_EV_FAILED);
	assert_int_equal(r->log[0].err, PS_ERR_TOO_LARGE);

	/* exactly 4,000,000: keeps waiting while the payload streams in; the
	 * struct has no heap, so memory is what sizeof says */
	size_t max = BTC_MAX_PAYLOAD;
	uint8_t *msg = malloc(BTC_HEADER_LEN + max);
	assert_non_null(msg);
	memset(msg + BTC_HEADER_LEN, 0x33, max);
	memcpy(msg, hdr, BTC_HEADER_LEN);
	ps_store_u32le(msg + 16, (uint32_t)max);
	btc_checksum(msg + 20, msg + BTC_HEADER_LEN, max);

	config(r, 2, "/r/");
	start(r, BTC_RESPONDER, T0);
	assert_int_equal(feed(r, T0, msg, BTC_HEADER_LEN), PS_OK);
	assert_int_equal(btc_hs_outcome(&r->hs), PS_PENDING);
	assert_int_equal(feed(r, T0, msg + BTC_HEADER_LEN, 5), PS_OK);
	assert_int_equal(btc_hs_rx_pending(&r->hs), BTC_HEADER_LEN + 5);
	assert_int_equal(btc_hs_outcome(&r->hs), PS_PENDING);
	assert_int_equal(r->nlog, 0);
	uint64_t cs = 77;
	size_t off = BTC_HEADER_LEN + 5;
	while (off < BTC_HEADER_LEN + max) {
		size_t k = chunk_size(&cs, 65536);
		if (k > BTC_HEADER_LEN + max - off)
			k = BTC_HEADER_LEN + max - off;
		assert_int_equal(feed(r, T0, msg + off, k), PS_OK);
		off += k;
		if (off < BTC_HEADER_LEN + max)
			assert_int_equal(r->nlog, 0);
	}
	/* the whole message in: a valid, unknown-to-the-handshake "block"
	 * before version, ignored as Core does */
	assert_int_equal(r->nlog, 1);
	assert_int_equal(r->log[0].type, BTC_EV_RECV);
	assert_int_equal(r->log[0].length, max);
	assert_string_equal(r->log[0].note, "ignored: before version");
	assert_int_equal(btc_hs_outcome(&r->hs), PS_PENDING);

	/* and a handshake still completes after it */
	config(i, 1, "/i/");
	start(i, BTC_INITIATOR, T0);
	run(i, r, T0, 1, 40);
	assert_int_equal(btc_hs_outcome(&r->hs), PS_SUCCESS);
	assert_int_equal(btc_hs_outcome(&i->hs), PS_SUCCESS);
	free(msg);
	free(r);
	free(i);
}

/* Core: "using obsolete version %i; disconnecting"; nothing is sent. */
static void test_obsolete_version(void **state)
{
	struct peer i, r;
	uint8_t out[BTC_HS_OUTBUF];

	(void)state;
	pair(&i, &r);
	i.cfg.version = 31799;
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	transfer(&i, &r, T0, &i.seed, 1);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_FAILED);
	assert_int_equal(btc_hs_error(&r.hs), PS_ERR_OBSOLETE_VERSION);
	assert_int_equal(r.log[r.nlog - 1].type, BTC_EV_FAILED);
	assert_int_equal(r.log[r.nlog - 1].err, PS_ERR_OBSOLETE_VERSION);
	assert_int_equal(take(&r, out), 0);
	assert_null(btc_hs_peer(&r.hs));

	/* the initiator refuses an obsolete responder too, without verack */
	pair(&i, &r);
	r.cfg.version = 209;
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	transfer(&i, &r, T0, &i.seed, 7);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_PENDING);
	transfer(&r, &i, T0, &i.seed, 7);
	assert_int_equal(btc_hs_outcome(&i.hs), PS_FAILED);
	assert_int_equal(btc_hs_error(&i.hs), PS_ERR_OBSOLETE_VERSION);
	assert_int_equal(take(&i, out), 0);

	/* Core checks services and version right after addr_recv, before it
	 * reads on: a tail that does not parse (a 257-byte user agent, a cut
	 * nonce) does not save an obsolete peer or one lacking services */
	char ua[258];
	uint8_t buf[BTC_HS_OUTBUF], payload[BTC_HS_OUTBUF];
	memset(ua, 'u', 257);
	ua[257] = 0;
	config(&r, 2, "/r/");
	start(&r, BTC_RESPONDER, T0);
	size_t n = enc_version(buf, sizeof(buf), 31799, 1, 5, ua);
	assert_int_equal(feed(&r, T0, buf, n), PS_ERR_OBSOLETE_VERSION);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_FAILED);
	assert_int_equal(r.log[r.nlog - 1].type, BTC_EV_FAILED);
	assert_int_equal(take(&r, out), 0);

	config(&r, 2, "/r/");
	start(&r, BTC_RESPONDER, T0);
	n = enc_version(buf, sizeof(buf), 31799, 1, 5, "/x/");
	memcpy(payload, buf + 24, n - 24);
	n = enc_raw(buf, REGTEST, "version\0\0\0\0\0", payload, 50); /* cut in addr_from */
	assert_int_equal(feed(&r, T0, buf, n), PS_ERR_OBSOLETE_VERSION);

	config(&i, 1, "/i/");
	i.cfg.required_services = BTC_NODE_WITNESS;
	start(&i, BTC_INITIATOR, T0);
	(void)take(&i, out);
	n = enc_version(buf, sizeof(buf), 70016, BTC_NODE_NETWORK, 5, ua);
	assert_int_equal(feed(&i, T0, buf, n), PS_ERR_MISSING_SERVICES);
	assert_int_equal(take(&i, out), 0);

	/* shorter than the four first fields: nothing to judge, dropped */
	config(&r, 2, "/r/");
	start(&r, BTC_RESPONDER, T0);
	n = enc_raw(buf, REGTEST, "version\0\0\0\0\0", payload, 45);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_int_equal(r.log[0].type, BTC_EV_DROPPED);
	assert_int_equal(r.log[0].err, PS_ERR_MALFORMED);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_PENDING);

	/* a current peer with a bad tail: dropped, not failed */
	n = enc_version(buf, sizeof(buf), 70016, 1, 5, ua);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_int_equal(r.log[1].type, BTC_EV_DROPPED);
	assert_int_equal(r.log[1].err, PS_ERR_TOO_LARGE);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_PENDING);
	assert_string_equal(btc_hs_waiting_for(&r.hs), "version");
}

struct nonce_set {
	uint64_t nonce;
	unsigned calls;
};

static bool is_local(void *ctx, uint64_t nonce)
{
	struct nonce_set *s = ctx;
	s->calls++;
	return nonce == s->nonce;
}

/* Core: "connected to self at %s, disconnecting", inbound only. */
static void test_self_connect(void **state)
{
	struct peer i, r;
	uint8_t out[BTC_HS_OUTBUF];
	struct nonce_set s;

	(void)state;
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	s.nonce = btc_hs_nonce(&i.hs); /* our own outbound handshake's nonce */
	s.calls = 0;
	r.cfg.is_local_nonce = is_local;
	r.cfg.nonce_ctx = &s;
	start(&r, BTC_RESPONDER, T0);
	transfer(&i, &r, T0, &i.seed, 16);
	assert_int_equal(s.calls, 1);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_FAILED);
	assert_int_equal(btc_hs_error(&r.hs), PS_ERR_SELF_CONNECT);
	assert_int_equal(r.log[r.nlog - 1].err, PS_ERR_SELF_CONNECT);
	assert_int_equal(take(&r, out), 0);

	/* another nonce: fine */
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	s.nonce = btc_hs_nonce(&i.hs) + 1;
	s.calls = 0;
	r.cfg.is_local_nonce = is_local;
	r.cfg.nonce_ctx = &s;
	start(&r, BTC_RESPONDER, T0);
	run(&i, &r, T0, 2, 16);
	assert_int_equal(s.calls, 1);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);

	/* the initiator does not check (Core: IsInboundConn() only) */
	pair(&i, &r);
	s.calls = 0;
	start(&r, BTC_RESPONDER, T0);
	s.nonce = btc_hs_nonce(&r.hs);
	i.cfg.is_local_nonce = is_local;
	i.cfg.nonce_ctx = &s;
	start(&i, BTC_INITIATOR, T0);
	run(&i, &r, T0, 3, 16);
	assert_int_equal(s.calls, 0);
	assert_int_equal(btc_hs_outcome(&i.hs), PS_SUCCESS);
}

/* Core: "peer=%d does not offer the expected services", outbound only. */
static void test_required_services(void **state)
{
	struct peer i, r;
	uint8_t out[BTC_HS_OUTBUF];

	(void)state;
	pair(&i, &r);
	i.cfg.required_services = BTC_NODE_NETWORK | BTC_NODE_WITNESS;
	r.cfg.services = BTC_NODE_NETWORK;
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	transfer(&i, &r, T0, &i.seed, 16);
	transfer(&r, &i, T0, &i.seed, 16);
	assert_int_equal(btc_hs_outcome(&i.hs), PS_FAILED);
	assert_int_equal(btc_hs_error(&i.hs), PS_ERR_MISSING_SERVICES);
	assert_int_equal(i.log[i.nlog - 1].type, BTC_EV_FAILED);
	assert_int_equal(i.log[i.nlog - 1].err, PS_ERR_MISSING_SERVICES);
	assert_int_equal(take(&i, out), 0); /* no verack */

	/* with the services: success */
	pair(&i, &r);
	i.cfg.required_services = BTC_NODE_NETWORK | BTC_NODE_WITNESS;
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	run(&i, &r, T0, 4, 4);
	assert_int_equal(btc_hs_outcome(&i.hs), PS_SUCCESS);

	/* the responder does not check them */
	pair(&i, &r);
	r.cfg.required_services = BTC_NODE_COMPACT_FILTERS;
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	run(&i, &r, T0, 5, 4);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);
}

static void test_timeouts(void **state)
{
	struct peer i, r;
	uint8_t buf[BTC_HS_OUTBUF];

	(void)state;
	/* before version: FAILED timeout, exactly at the deadline */
	pair(&i, &r);
	i.cfg.timeout_ns = 5 * SEC;
	start(&i, BTC_INITIATOR, T0);
	assert_true(btc_hs_expiry(&i.hs) == T0 + 5 * SEC);
	btc_hs_handle_expiry(&i.hs, T0 + 5 * SEC - 1);
	drain(&i);
	assert_int_equal(btc_hs_outcome(&i.hs), PS_PENDING);
	btc_hs_handle_expiry(&i.hs, T0 + 5 * SEC);
	drain(&i);
	assert_int_equal(btc_hs_outcome(&i.hs), PS_FAILED);
	assert_int_equal(btc_hs_error(&i.hs), PS_ERR_TIMEOUT);
	assert_int_equal(i.log[i.nlog - 1].type, BTC_EV_FAILED);
	assert_int_equal(i.log[i.nlog - 1].err, PS_ERR_TIMEOUT);
	assert_true(btc_hs_expiry(&i.hs) == UINT64_MAX);
	size_t nlog = i.nlog;
	btc_hs_handle_expiry(&i.hs, T0 + 50 * SEC); /* once is enough */
	drain(&i);
	assert_int_equal(i.nlog, nlog);

	/* input that arrives after the deadline is not processed */
	pair(&i, &r);
	r.cfg.timeout_ns = 5 * SEC;
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	size_t n = take(&i, buf);
	assert_int_equal(feed(&r, T0 + 5 * SEC, buf, n), PS_ERR_TIMEOUT);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_FAILED);
	assert_null(btc_hs_peer(&r.hs));
	assert_int_equal(r.nlog, 1);

	/* after version, before verack: PARTIAL */
	pair(&i, &r);
	r.cfg.timeout_ns = 5 * SEC;
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	transfer(&i, &r, T0 + SEC, &i.seed, 9);
	assert_true(btc_hs_expiry(&r.hs) == T0 + 5 * SEC);
	btc_hs_handle_expiry(&r.hs, T0 + 6 * SEC);
	drain(&r);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_PARTIAL);
	assert_int_equal(btc_hs_error(&r.hs), PS_ERR_TIMEOUT);
	assert_string_equal(peer_of(&r.hs)->user_agent, "/init:1.0/");
	assert_int_equal(r.log[r.nlog - 1].type, BTC_EV_FAILED);

	/* no timeout configured: never expires */
	pair(&i, &r);
	i.cfg.timeout_ns = 0;
	start(&i, BTC_INITIATOR, T0);
	assert_true(btc_hs_expiry(&i.hs) == UINT64_MAX);
	btc_hs_handle_expiry(&i.hs, UINT64_MAX - 1);
	assert_int_equal(btc_hs_outcome(&i.hs), PS_PENDING);

	/* after success the deadline is gone */
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	run(&i, &r, T0, 6, 6);
	btc_hs_handle_expiry(&i.hs, T0 + 3600 * SEC);
	assert_int_equal(btc_hs_outcome(&i.hs), PS_SUCCESS);
	assert_true(done(&i.hs));
}

/* ---- the deadline (fuzz/regressions/btc_hs_{initiator,responder}/deadline-wrap)
 * btc_hs_init computed now_ns + timeout_ns without checking for overflow, so
 * a timeout near 2^64 wrapped to a deadline already in the past and the
 * first input timed the handshake out. The deadline now saturates at
 * UINT64_MAX (none), as noise_peer_init's does. */

static void deadline_config(struct btc_hs_config *c, uint64_t *seed, uint64_t timeout_ns)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->magic, REGTEST, 4);
	c->version = BTC_PROTOCOL_VERSION;
	c->user_agent = "/test/";
	c->timeout_ns = timeout_ns;
	c->rng = tu_rng;
	c->rng_ctx = seed;
}

/* The fuzzer's input: start at 1 s, timeout 0xffffffffffffff00 ns. */
static void test_deadline_huge_timeout_no_wrap(void **state)
{
	static struct btc_hs hs;
	struct btc_hs_config c;
	uint64_t seed = 1, now = UINT64_C(1000000000);

	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		deadline_config(&c, &seed, UINT64_C(0xffffffffffffff00));
		assert_int_equal(btc_hs_init(&hs, (enum btc_role)role, &c, now), PS_OK);
		assert_true(btc_hs_expiry(&hs) > now);
		/* time has not passed: nothing times out */
		assert_int_equal(btc_hs_input(&hs, now, NULL, 0), PS_OK);
		btc_hs_handle_expiry(&hs, now + 1);
		assert_int_equal(btc_hs_outcome(&hs), PS_PENDING);
	}
}

/* Every start time and every timeout: the deadline is never before now. */
static void test_deadline_never_behind(void **state)
{
	static const uint64_t nows[] = { 0, 1, UINT64_C(1) << 63, UINT64_MAX - 1, UINT64_MAX };
	static const uint64_t timeouts[] = { 1, UINT64_C(5000000000), UINT64_C(1) << 63,
					     UINT64_MAX - 1, UINT64_MAX };
	static struct btc_hs hs;
	struct btc_hs_config c;
	uint64_t seed = 2;

	(void)state;
	for (size_t i = 0; i < sizeof(nows) / sizeof(nows[0]); i++) {
		for (size_t j = 0; j < sizeof(timeouts) / sizeof(timeouts[0]); j++) {
			deadline_config(&c, &seed, timeouts[j]);
			assert_int_equal(btc_hs_init(&hs, BTC_RESPONDER, &c, nows[i]), PS_OK);
			assert_true(btc_hs_expiry(&hs) > nows[i] ||
				    btc_hs_expiry(&hs) == UINT64_MAX);
			if (nows[i] < UINT64_MAX - timeouts[j])
				assert_int_equal(btc_hs_expiry(&hs), nows[i] + timeouts[j]);
		}
	}
}

/* An ordinary timeout still fires. */
static void test_deadline_normal_timeout_fires(void **state)
{
	static struct btc_hs hs;
	struct btc_hs_config c;
	uint64_t seed = 3, now = UINT64_C(1000000000);

	(void)state;
	deadline_config(&c, &seed, UINT64_C(5000000000));
	assert_int_equal(btc_hs_init(&hs, BTC_RESPONDER, &c, now), PS_OK);
	assert_int_equal(btc_hs_expiry(&hs), now + UINT64_C(5000000000));
	btc_hs_handle_expiry(&hs, now + UINT64_C(5000000000));
	assert_int_equal(btc_hs_outcome(&hs), PS_FAILED);
}

/* core/contract.h: "Input after the end is ignored and returns PS_OK"; the
 * PS_ERR_* comes only from the call during which the handshake ended. */
static void expect_ignored(struct peer *p, const uint8_t *b, size_t n, int err)
{
	size_t nlog = p->nlog;
	uint64_t in = btc_hs_bytes_in(&p->hs), msgs = btc_hs_msgs_in(&p->hs);
	uint8_t out[BTC_HS_OUTBUF];

	(void)take(p, out);
	assert_true(btc_hs_ended(&p->hs));
	assert_int_equal(feed(p, T0, b, n), PS_OK);
	assert_int_equal(feed(p, T0 + 3600 * SEC, b, n), PS_OK);
	assert_int_equal(p->nlog, nlog);
	assert_int_equal(take(p, out), 0);
	assert_true(btc_hs_bytes_in(&p->hs) == in && btc_hs_msgs_in(&p->hs) == msgs);
	assert_int_equal(btc_hs_error(&p->hs), err);
	assert_null(btc_hs_waiting_for(&p->hs));
}

static void test_input_after_end(void **state)
{
	struct peer i, r;
	uint8_t buf[BTC_HS_OUTBUF];

	(void)state;
	/* after a FAILED (a verack with mainnet's magic on regtest) */
	pair(&i, &r);
	start(&r, BTC_RESPONDER, T0);
	size_t n = enc_raw(buf, MAINNET, "verack\0\0\0\0\0\0", buf, 0);
	assert_int_equal(feed(&r, T0, buf, n), PS_ERR_BAD_MAGIC);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_FAILED);
	expect_ignored(&r, buf, n, PS_ERR_BAD_MAGIC);
	memcpy(buf, REGTEST, 4); /* now with the right magic: still ignored */
	expect_ignored(&r, buf, n, PS_ERR_BAD_MAGIC);

	/* after a timeout */
	pair(&i, &r);
	r.cfg.timeout_ns = SEC;
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	n = take(&i, buf);
	assert_int_equal(feed(&r, T0 + SEC, buf, n), PS_ERR_TIMEOUT);
	expect_ignored(&r, buf, n, PS_ERR_TIMEOUT);

	/* after a DISCONNECT that followed success */
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	run(&i, &r, T0, 1, 50);
	n = enc_empty(buf, BTC_CMD_WTXIDRELAY);
	assert_int_equal(feed(&r, T0, buf, n), PS_ERR_PROTOCOL);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);
	expect_ignored(&r, buf, n, PS_ERR_PROTOCOL);
	n = enc_empty(buf, BTC_CMD_VERACK);
	expect_ignored(&r, buf, n, PS_ERR_PROTOCOL);

	/* after a close that followed success: no error at all */
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	run(&i, &r, T0, 2, 50);
	btc_hs_close(&i.hs, PS_ERR_CLOSED);
	drain(&i);
	m_ping_into(buf, &n);
	expect_ignored(&i, buf, n, PS_OK);
	assert_int_equal(btc_hs_outcome(&i.hs), PS_SUCCESS);
	assert_null(btc_hs_note(&i.hs));
}

/* The accessors through a handshake's life. */
static void test_accessors(void **state)
{
	struct peer i, r;
	uint8_t buf[BTC_HS_OUTBUF];

	(void)state;
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	for (int k = 0; k < 2; k++) {
		const struct btc_hs *hs = k ? &r.hs : &i.hs;
		assert_int_equal(btc_hs_outcome(hs), PS_PENDING);
		assert_int_equal(btc_hs_error(hs), PS_OK);
		assert_false(btc_hs_ended(hs));
		assert_null(btc_hs_note(hs));
		assert_string_equal(btc_hs_waiting_for(hs), "version");
		assert_null(btc_hs_peer(hs));
		assert_int_equal(btc_hs_events_lost(hs), 0);
		assert_true(btc_hs_bytes_in(hs) == 0 && btc_hs_bytes_out(hs) == 0);
		assert_true(btc_hs_msgs_in(hs) == 0 && btc_hs_rx_pending(hs) == 0);
	}
	/* the responder has the initiator's version, not yet its verack */
	size_t n = take(&i, buf);
	assert_int_equal(feed(&r, T0, buf, n - 1), PS_OK);
	assert_int_equal(btc_hs_rx_pending(&r.hs), n - 1);
	assert_int_equal(feed(&r, T0, buf + n - 1, 1), PS_OK);
	assert_int_equal(btc_hs_rx_pending(&r.hs), 0);
	assert_true(btc_hs_msgs_in(&r.hs) == 1 && btc_hs_bytes_in(&r.hs) == n);
	assert_string_equal(btc_hs_waiting_for(&r.hs), "verack");
	assert_true(peer_of(&r.hs)->nonce == btc_hs_nonce(&i.hs));
	assert_true(btc_hs_nonce(&i.hs) != btc_hs_nonce(&r.hs));
	run(&i, &r, T0, 3, 20);
	for (int k = 0; k < 2; k++) {
		const struct btc_hs *hs = k ? &r.hs : &i.hs;
		assert_int_equal(btc_hs_outcome(hs), PS_SUCCESS);
		assert_int_equal(btc_hs_error(hs), PS_OK);
		assert_false(btc_hs_ended(hs));
		assert_null(btc_hs_waiting_for(hs));
		assert_null(btc_hs_note(hs));
	}
	assert_true(btc_hs_bytes_out(&i.hs) == btc_hs_bytes_in(&r.hs));

	/* a FAILED: its error and its note */
	pair(&i, &r);
	i.cfg.version = 31799;
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	n = take(&i, buf);
	assert_int_equal(feed(&r, T0, buf, n), PS_ERR_OBSOLETE_VERSION);
	assert_true(btc_hs_ended(&r.hs));
	assert_int_equal(btc_hs_error(&r.hs), PS_ERR_OBSOLETE_VERSION);
	assert_string_equal(btc_hs_note(&r.hs), "version below 31800");
	assert_string_equal(r.log[r.nlog - 1].note, btc_hs_note(&r.hs));
	assert_null(btc_hs_waiting_for(&r.hs));
	assert_null(btc_hs_peer(&r.hs));

	/* the header that ends it: its note, its 24 bytes */
	pair(&i, &r);
	start(&r, BTC_RESPONDER, T0);
	n = enc_raw(buf, MAINNET, "version\0\0\0\0\0", buf, 0);
	assert_int_equal(feed(&r, T0, buf, n), PS_ERR_BAD_MAGIC);
	assert_string_equal(btc_hs_note(&r.hs), "wrong network magic");
	assert_int_equal(r.log[0].type, BTC_EV_FAILED);
	assert_int_equal(r.log[0].bytes, BTC_HEADER_LEN);
	assert_string_equal(r.log[0].command, "version");
}

static void test_close(void **state)
{
	struct peer i, r;

	(void)state;
	/* before their version: FAILED closed */
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	btc_hs_close(&i.hs, PS_ERR_CLOSED);
	drain(&i);
	assert_int_equal(btc_hs_outcome(&i.hs), PS_FAILED);
	assert_int_equal(btc_hs_error(&i.hs), PS_ERR_CLOSED);
	assert_int_equal(i.log[i.nlog - 1].type, BTC_EV_FAILED);
	assert_int_equal(i.log[i.nlog - 1].err, PS_ERR_CLOSED);
	assert_true(btc_hs_expiry(&i.hs) == UINT64_MAX);

	/* after their version: PARTIAL */
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	transfer(&i, &r, T0, &i.seed, 30);
	btc_hs_close(&r.hs, PS_ERR_CLOSED);
	drain(&r);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_PARTIAL);
	assert_int_equal(btc_hs_error(&r.hs), PS_ERR_CLOSED);
	{
		/* stopped by us (a signal, --count) after their version:
		 * PARTIAL too, and the reason says it was us */
		struct peer i2, r2;
		pair(&i2, &r2);
		start(&i2, BTC_INITIATOR, T0);
		start(&r2, BTC_RESPONDER, T0);
		transfer(&i2, &r2, T0, &i2.seed, 30);
		btc_hs_close(&r2.hs, PS_ERR_STOPPED);
		drain(&r2);
		assert_int_equal(btc_hs_outcome(&r2.hs), PS_PARTIAL);
		assert_int_equal(btc_hs_error(&r2.hs), PS_ERR_STOPPED);
	}
	/* a second close changes nothing */
	size_t nlog = r.nlog;
	btc_hs_close(&r.hs, PS_ERR_SYSTEM);
	drain(&r);
	assert_int_equal(r.nlog, nlog);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_PARTIAL);

	/* a transport failure after their version is not a clean close */
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	transfer(&i, &r, T0, &i.seed, 30);
	btc_hs_close(&r.hs, PS_ERR_SYSTEM);
	drain(&r);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_FAILED);
	assert_int_equal(btc_hs_error(&r.hs), PS_ERR_SYSTEM);

	/* after success: stays SUCCESS, no FAILED event */
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	run(&i, &r, T0, 7, 7);
	nlog = i.nlog;
	btc_hs_close(&i.hs, PS_ERR_CLOSED);
	drain(&i);
	assert_int_equal(btc_hs_outcome(&i.hs), PS_SUCCESS);
	assert_int_equal(i.nlog, nlog);
}

/* Core: "wtxidrelay received after verack from peer=%d; disconnecting" (and
 * sendaddrv2); before verack they are feature negotiation. sendtxrcncl is
 * tested below: with reconciliation off, Core ignores it everywhere. */
static void test_feature_after_verack(void **state)
{
	static const enum btc_cmd features[] = { BTC_CMD_WTXIDRELAY, BTC_CMD_SENDADDRV2 };

	(void)state;
	for (size_t f = 0; f < N(features); f++) {
		struct peer i, r;
		uint8_t buf[BTC_HS_OUTBUF];
		struct btc_msg m;
		memset(&m, 0, sizeof(m));
		m.cmd = features[f];
		m.u.sendtxrcncl.version = 1;
		size_t n = enc(buf, sizeof(buf), REGTEST, &m);

		pair(&i, &r);
		start(&i, BTC_INITIATOR, T0);
		start(&r, BTC_RESPONDER, T0);
		transfer(&i, &r, T0, &i.seed, 30);
		/* between version and verack: accepted */
		assert_int_equal(feed(&r, T0, buf, n), PS_OK);
		assert_string_equal(r.log[r.nlog - 1].note, "feature negotiation");
		assert_string_equal(btc_hs_waiting_for(&r.hs), "verack");
		run(&i, &r, T0, 1, 30);
		assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);

		/* after verack: disconnect */
		size_t before = r.nlog;
		assert_int_equal(feed(&r, T0, buf, n), PS_ERR_PROTOCOL);
		assert_int_equal(r.nlog, before + 2);
		assert_int_equal(r.log[before].type, BTC_EV_RECV);
		assert_int_equal(r.log[before].cmd, features[f]);
		assert_int_equal(r.log[before + 1].type, BTC_EV_DISCONNECT);
		assert_int_equal(r.log[before + 1].err, PS_ERR_PROTOCOL);
		/* the handshake itself had succeeded */
		assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);
		assert_true(btc_hs_ended(&r.hs));
		/* later input is ignored */
		n = enc_empty(buf, BTC_CMD_VERACK);
		(void)feed(&r, T0, buf, n);
		assert_int_equal(r.nlog, before + 2);
	}
}

/* Core: "if (!m_txreconciliation) { ... sendtxrcncl from peer=%d ignored, as
 * our node does not have txreconciliation enabled" comes before its
 * after-verack disconnect, and reconciliation is off by default. */
static void test_sendtxrcncl_ignored(void **state)
{
	struct peer i, r;
	uint8_t buf[BTC_HS_OUTBUF];
	struct btc_msg m;
	size_t n, before;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_SENDTXRCNCL;
	m.u.sendtxrcncl.version = 1;
	n = enc(buf, sizeof(buf), REGTEST, &m);
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	transfer(&i, &r, T0, &i.seed, 30);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_string_equal(r.log[r.nlog - 1].note, "ignored: txreconciliation off");
	run(&i, &r, T0, 1, 30);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);
	before = r.nlog;
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_int_equal(r.nlog, before + 1);
	assert_int_equal(r.log[before].type, BTC_EV_RECV);
	assert_true(done(&r.hs));
}

/* Core processes a fixed-layout message with extra payload bytes: its
 * handlers read what they need (here: a verack carrying one byte). */
static void test_verack_with_trailing_byte(void **state)
{
	struct peer i, r;
	uint8_t buf[64];
	struct btc_header h;
	struct ps_wcur w = ps_wcur_make(buf, sizeof(buf));
	static const uint8_t extra[1] = { 0xee };

	(void)state;
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	transfer(&i, &r, T0, &i.seed, 30);
	memcpy(h.magic, REGTEST, 4);
	assert_int_equal(btc_command_set(h.command, "verack"), PS_OK);
	h.length = 1;
	btc_checksum(h.checksum, extra, 1);
	assert_int_equal(btc_header_encode(&w, &h), PS_OK);
	assert_int_equal(ps_put_bytes(&w, extra, 1), PS_OK);
	assert_int_equal(feed(&r, T0, buf, (size_t)(w.p - buf)), PS_OK);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);
}

static void test_ping_pong(void **state)
{
	struct peer i, r;
	uint8_t buf[BTC_HS_OUTBUF], out[BTC_HS_OUTBUF];
	enum btc_cmd cmds[4];
	struct btc_msg m, last;

	(void)state;
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	transfer(&i, &r, T0, &i.seed, 30);
	(void)take(&r, out);

	/* before success: ignored, no pong */
	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_PING;
	m.u.ping.has_nonce = true;
	m.u.ping.nonce = UINT64_C(0xfeedfacecafebeef);
	size_t n = enc(buf, sizeof(buf), REGTEST, &m);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_string_equal(r.log[r.nlog - 1].note, "ignored: before verack");
	/* a ping taken and ignored is still a ping received: its nonce */
	assert_true(r.log[r.nlog - 1].has_nonce);
	assert_true(r.log[r.nlog - 1].nonce == UINT64_C(0xfeedfacecafebeef));
	assert_int_equal(take(&r, out), 0);

	size_t k = enc_empty(buf, BTC_CMD_VERACK);
	assert_int_equal(feed(&r, T0, buf, k), PS_OK);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);

	/* after success: a pong with the same nonce */
	n = enc(buf, sizeof(buf), REGTEST, &m);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	size_t o = take(&r, out);
	assert_int_equal(stream_cmds(out, o, REGTEST, cmds, 4, &last), 1);
	assert_int_equal(cmds[0], BTC_CMD_PONG);
	assert_true(last.u.ping.nonce == UINT64_C(0xfeedfacecafebeef));
	assert_int_equal(r.log[r.nlog - 1].type, BTC_EV_SENT);
	assert_int_equal(r.log[r.nlog - 1].cmd, BTC_CMD_PONG);
	assert_int_equal(r.log[r.nlog - 2].type, BTC_EV_RECV);
	assert_int_equal(r.log[r.nlog - 2].cmd, BTC_CMD_PING);
	/* both events carry the nonce: the one we sent, the one on our pong */
	assert_true(r.log[r.nlog - 2].has_nonce);
	assert_true(r.log[r.nlog - 2].nonce == UINT64_C(0xfeedfacecafebeef));
	assert_true(r.log[r.nlog - 1].has_nonce);
	assert_true(r.log[r.nlog - 1].nonce == UINT64_C(0xfeedfacecafebeef));
	/* the other events carry none */
	for (size_t e = 0; e < r.nlog - 2; e++)
		if (r.log[e].cmd != BTC_CMD_PING || r.log[e].type != BTC_EV_RECV)
			assert_false(r.log[e].has_nonce);

	/* a 9-byte ping: Core reads the nonce and ignores the byte after it,
	 * so it is answered; its event has no nonce (8 bytes only), the pong's has */
	{
		uint8_t nine[9] = { 0xef, 0xbe, 0xad, 0xde, 0x01, 0x02, 0x03, 0x04, 0x99 };
		n = enc_raw(buf, REGTEST, "ping\0\0\0\0\0\0\0\0", nine, sizeof(nine));
		assert_int_equal(feed(&r, T0, buf, n), PS_OK);
		assert_int_equal(r.log[r.nlog - 2].type, BTC_EV_RECV);
		assert_int_equal(r.log[r.nlog - 2].length, 9);
		assert_false(r.log[r.nlog - 2].has_nonce);
		assert_true(r.log[r.nlog - 2].nonce == 0);
		assert_int_equal(r.log[r.nlog - 1].cmd, BTC_CMD_PONG);
		assert_true(r.log[r.nlog - 1].has_nonce);
		assert_true(r.log[r.nlog - 1].nonce == UINT64_C(0x04030201deadbeef));
		assert_int_equal(take(&r, out), BTC_HEADER_LEN + 8);
	}

	/* BIP 31: a ping without nonce gets no pong */
	m.u.ping.has_nonce = false;
	n = enc(buf, sizeof(buf), REGTEST, &m);
	assert_int_equal(n, BTC_HEADER_LEN);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_int_equal(r.log[r.nlog - 1].type, BTC_EV_RECV);
	assert_false(r.log[r.nlog - 1].has_nonce);
	assert_int_equal(take(&r, out), 0);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);
	assert_true(done(&r.hs));
}

/* BIP 31 by the common version, as Core: "if (pfrom.GetCommonVersion() >
 * BIP0031_VERSION)" a ping's nonce is read and echoed; at 60000 or below
 * the ping is taken and nothing answers it, nonce or not. */
static void test_ping_pong_bip31_version(void **state)
{
	static const int32_t theirs[] = { 60000, 60001, 31800 };
	uint8_t buf[BTC_HS_OUTBUF], out[BTC_HS_OUTBUF];

	(void)state;
	for (size_t t = 0; t < sizeof(theirs) / sizeof(theirs[0]); t++) {
		struct peer i, r;
		struct btc_msg m, last;
		enum btc_cmd cmds[4];

		pair(&i, &r);
		i.cfg.version = theirs[t];
		start(&i, BTC_INITIATOR, T0);
		start(&r, BTC_RESPONDER, T0);
		run(&i, &r, T0, 5, 30);
		assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);
		memset(&m, 0, sizeof(m));
		m.cmd = BTC_CMD_PING;
		m.u.ping.has_nonce = true;
		m.u.ping.nonce = 77;
		size_t n = enc(buf, sizeof(buf), REGTEST, &m);
		assert_int_equal(feed(&r, T0, buf, n), PS_OK);
		size_t o = take(&r, out);
		if (theirs[t] > 60000) {
			assert_int_equal(stream_cmds(out, o, REGTEST, cmds, 4, &last), 1);
			assert_int_equal(cmds[0], BTC_CMD_PONG);
			assert_true(last.u.ping.nonce == 77);
		} else {
			assert_int_equal(o, 0);
			assert_int_equal(r.log[r.nlog - 1].type, BTC_EV_RECV);
			assert_int_equal(r.log[r.nlog - 1].cmd, BTC_CMD_PING);
		}
		assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);
	}
}

/* ---- delayed injections (send=CMD@after-verack+MS) ------------------------------ */

#define MSEC UINT64_C(1000000)

static void add_inject(struct peer *p, enum btc_cmd cmd, enum btc_when when, uint32_t ms)
{
	struct btc_inject *in;

	assert_true(p->cfg.ninject < BTC_MAX_INJECT);
	in = &p->cfg.inject[p->cfg.ninject++];
	memset(in, 0, sizeof(*in));
	in->cmd = cmd;
	in->when = when;
	in->delay_ms = ms;
}

/* The commands of p's output, taken; *last the last message. */
static size_t take_cmds(struct peer *p, enum btc_cmd *cmds, size_t max, struct btc_msg *last)
{
	static uint8_t out[BTC_HS_OUTBUF];
	size_t n = take(p, out);

	return stream_cmds(out, n, REGTEST, cmds, max, last);
}

/* The use case: a 1 s handshake deadline, a ping 1.5 s after the
 * handshake. Done is when the initiator takes the responder's verack; the
 * expiry says when the ping is due, nothing goes before, it goes at the
 * time, past the deadline without failing, with its nonce in its event,
 * and the pong that answers it carries the same. */
static void test_delayed_send(void **state)
{
	const uint64_t t_done = T0 + 300 * MSEC, due = t_done + 1500 * MSEC;
	struct peer i, r;
	enum btc_cmd cmds[8];
	struct btc_msg last;
	uint64_t cs = 99;

	(void)state;
	pair(&i, &r);
	i.cfg.timeout_ns = SEC;
	add_inject(&i, BTC_CMD_PING, BTC_AFTER_VERACK, 1500);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	/* pending: the deadline */
	assert_true(btc_hs_expiry(&i.hs) == T0 + SEC);
	transfer(&i, &r, T0 + 100 * MSEC, &cs, 7);
	assert_true(btc_hs_expiry(&i.hs) == T0 + SEC);
	transfer(&r, &i, t_done, &cs, 7);
	assert_true(done(&i.hs));
	/* done: the deadline gone, the ping due 1500 ms after */
	assert_true(btc_hs_expiry(&i.hs) == due);
	/* nothing after our verack yet; the responder gets it and is done */
	uint8_t wire[BTC_HS_OUTBUF];
	size_t n = take(&i, wire);
	assert_int_equal(stream_cmds(wire, n, REGTEST, cmds, 8, NULL), 3);
	assert_int_equal(cmds[2], BTC_CMD_VERACK);
	assert_int_equal(feed(&r, t_done, wire, n), PS_OK);
	assert_true(done(&r.hs));
	size_t nlog = i.nlog;

	/* nothing before: not 1 ns early, though the deadline passed long ago */
	btc_hs_handle_expiry(&i.hs, T0 + SEC);
	btc_hs_handle_expiry(&i.hs, due - 1);
	drain(&i);
	assert_int_equal(i.nlog, nlog);
	assert_int_equal(take_cmds(&i, cmds, 8, NULL), 0);
	assert_true(done(&i.hs));
	assert_true(btc_hs_expiry(&i.hs) == due);

	/* at the due time: the ping, one SENT event, no failure */
	btc_hs_handle_expiry(&i.hs, due);
	drain(&i);
	assert_int_equal(i.nlog, nlog + 1);
	assert_int_equal(i.log[nlog].type, BTC_EV_SENT);
	assert_int_equal(i.log[nlog].cmd, BTC_CMD_PING);
	assert_int_equal(i.log[nlog].length, 8);
	assert_int_equal(i.log[nlog].bytes, BTC_HEADER_LEN + 8);
	assert_true(i.log[nlog].has_nonce);
	assert_true(done(&i.hs));
	assert_int_equal(btc_hs_outcome(&i.hs), PS_SUCCESS);
	assert_int_equal(btc_hs_error(&i.hs), PS_OK);
	assert_null(btc_hs_note(&i.hs));
	assert_true(btc_hs_expiry(&i.hs) == UINT64_MAX);
	for (size_t k = 0; k < i.nlog; k++)
		assert_true(i.log[k].type != BTC_EV_FAILED && i.log[k].type != BTC_EV_DISCONNECT);

	/* the event's nonce is the one on the wire */
	n = take(&i, wire);
	assert_int_equal(stream_cmds(wire, n, REGTEST, cmds, 8, &last), 1);
	assert_int_equal(cmds[0], BTC_CMD_PING);
	assert_true(last.u.ping.has_nonce);
	assert_true(last.u.ping.nonce == i.log[nlog].nonce);
	/* once is enough */
	btc_hs_handle_expiry(&i.hs, due + 3600 * SEC);
	drain(&i);
	assert_int_equal(i.nlog, nlog + 1);

	/* the responder answers it; both see the same nonce */
	size_t rlog = r.nlog;
	for (size_t off = 0; off < n; off++)
		assert_int_equal(feed(&r, due, wire + off, 1), PS_OK);
	assert_int_equal(r.nlog, rlog + 2);
	assert_int_equal(r.log[rlog].type, BTC_EV_RECV);
	assert_int_equal(r.log[rlog].cmd, BTC_CMD_PING);
	assert_true(r.log[rlog].has_nonce && r.log[rlog].nonce == last.u.ping.nonce);
	assert_int_equal(r.log[rlog + 1].type, BTC_EV_SENT);
	assert_int_equal(r.log[rlog + 1].cmd, BTC_CMD_PONG);
	assert_true(r.log[rlog + 1].has_nonce && r.log[rlog + 1].nonce == last.u.ping.nonce);
	transfer(&r, &i, due + MSEC, &cs, 5);
	assert_int_equal(i.log[i.nlog - 1].type, BTC_EV_RECV);
	assert_int_equal(i.log[i.nlog - 1].cmd, BTC_CMD_PONG);
	assert_true(i.log[i.nlog - 1].has_nonce && i.log[i.nlog - 1].nonce == last.u.ping.nonce);
	assert_true(done(&i.hs));
}

/* Input past the due time: the delayed send goes out first, then the
 * input is taken (the log is in the order things happened). */
static void test_delayed_send_before_late_input(void **state)
{
	struct peer i, r;
	uint8_t buf[64];
	enum btc_cmd cmds[4];

	(void)state;
	pair(&i, &r);
	add_inject(&r, BTC_CMD_SENDHEADERS, BTC_AFTER_VERACK, 20);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	run(&i, &r, T0, 5, 11);
	assert_true(done(&r.hs));
	assert_true(btc_hs_expiry(&r.hs) == T0 + 20 * MSEC);
	size_t nlog = r.nlog, k = enc_empty(buf, BTC_CMD_VERACK);
	assert_int_equal(feed(&r, T0 + 25 * MSEC, buf, k), PS_OK);
	assert_int_equal(r.nlog, nlog + 2);
	assert_int_equal(r.log[nlog].type, BTC_EV_SENT);
	assert_int_equal(r.log[nlog].cmd, BTC_CMD_SENDHEADERS);
	assert_false(r.log[nlog].has_nonce);
	assert_int_equal(r.log[nlog + 1].type, BTC_EV_RECV);
	assert_string_equal(r.log[nlog + 1].note, "ignored: redundant verack");
	assert_int_equal(take_cmds(&r, cmds, 4, NULL), 1);
	assert_int_equal(cmds[0], BTC_CMD_SENDHEADERS);
	assert_true(btc_hs_expiry(&r.hs) == UINT64_MAX);
}

/* Several delayed sends: by due time, equal ones in the order given; an
 * undelayed after-verack one still goes with our verack. */
static void test_delayed_sends_in_order(void **state)
{
	(void)state;
	for (int jump = 0; jump < 2; jump++) {
		struct peer i, r;
		enum btc_cmd cmds[8];

		pair(&i, &r);
		add_inject(&i, BTC_CMD_SENDHEADERS, BTC_AFTER_VERACK, 300);
		add_inject(&i, BTC_CMD_GETADDR, BTC_AFTER_VERACK, 100);
		add_inject(&i, BTC_CMD_FEEFILTER, BTC_AFTER_VERACK, 0);
		add_inject(&i, BTC_CMD_PING, BTC_AFTER_VERACK, 100);
		start(&i, BTC_INITIATOR, T0);
		start(&r, BTC_RESPONDER, T0);
		transfer(&i, &r, T0, &i.seed, 50);
		transfer(&r, &i, T0, &i.seed, 50);
		assert_true(done(&i.hs));
		/* at once: wtxidrelay, sendaddrv2, verack, feefilter */
		assert_int_equal(take_cmds(&i, cmds, 8, NULL), 4);
		assert_int_equal(cmds[2], BTC_CMD_VERACK);
		assert_int_equal(cmds[3], BTC_CMD_FEEFILTER);
		assert_true(btc_hs_expiry(&i.hs) == T0 + 100 * MSEC);
		if (jump) {
			/* all three due at once: still by due time */
			btc_hs_handle_expiry(&i.hs, T0 + 10 * SEC);
			drain(&i);
			assert_int_equal(take_cmds(&i, cmds, 8, NULL), 3);
			assert_int_equal(cmds[0], BTC_CMD_GETADDR);
			assert_int_equal(cmds[1], BTC_CMD_PING);
			assert_int_equal(cmds[2], BTC_CMD_SENDHEADERS);
		} else {
			btc_hs_handle_expiry(&i.hs, T0 + 100 * MSEC);
			drain(&i);
			assert_int_equal(take_cmds(&i, cmds, 8, NULL), 2);
			assert_int_equal(cmds[0], BTC_CMD_GETADDR);
			assert_int_equal(cmds[1], BTC_CMD_PING);
			assert_true(btc_hs_expiry(&i.hs) == T0 + 300 * MSEC);
			btc_hs_handle_expiry(&i.hs, T0 + 300 * MSEC - 1);
			drain(&i);
			assert_int_equal(take_cmds(&i, cmds, 8, NULL), 0);
			btc_hs_handle_expiry(&i.hs, T0 + 300 * MSEC);
			drain(&i);
			assert_int_equal(take_cmds(&i, cmds, 8, NULL), 1);
			assert_int_equal(cmds[0], BTC_CMD_SENDHEADERS);
		}
		/* the SENT events in the same order, the ping's with its nonce */
		assert_int_equal(i.log[i.nlog - 3].cmd, BTC_CMD_GETADDR);
		assert_int_equal(i.log[i.nlog - 2].cmd, BTC_CMD_PING);
		assert_true(i.log[i.nlog - 2].has_nonce);
		assert_int_equal(i.log[i.nlog - 1].cmd, BTC_CMD_SENDHEADERS);
		assert_true(btc_hs_expiry(&i.hs) == UINT64_MAX);
		assert_true(done(&i.hs));
	}
}

/* A delayed send goes where an undelayed after-verack one would: not when
 * we sent no verack after their version (no-verack, early-verack), not
 * once the connection ended (closed, a disconnect). */
static void test_delayed_send_not_always(void **state)
{
	static const uint64_t no_verack[] = { BTC_BUG_NO_VERACK, BTC_BUG_EARLY_VERACK };
	struct peer i, r;
	uint8_t buf[64];

	(void)state;
	for (size_t b = 0; b < N(no_verack); b++) {
		pair(&i, &r);
		i.cfg.bugs = no_verack[b];
		add_inject(&i, BTC_CMD_PING, BTC_AFTER_VERACK, 10);
		start(&i, BTC_INITIATOR, T0);
		start(&r, BTC_RESPONDER, T0);
		run(&i, &r, T0, 3, 40);
		assert_true(done(&i.hs));
		assert_true(btc_hs_expiry(&i.hs) == UINT64_MAX);
		size_t nlog = i.nlog;
		btc_hs_handle_expiry(&i.hs, T0 + SEC);
		drain(&i);
		assert_int_equal(i.nlog, nlog);
		assert_int_equal(take(&i, buf), 0);
	}

	/* closed after success: nothing, ever */
	pair(&i, &r);
	add_inject(&i, BTC_CMD_PING, BTC_AFTER_VERACK, 10);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	run(&i, &r, T0, 3, 40);
	assert_true(btc_hs_expiry(&i.hs) == T0 + 10 * MSEC);
	btc_hs_close(&i.hs, PS_ERR_CLOSED);
	assert_true(btc_hs_expiry(&i.hs) == UINT64_MAX);
	btc_hs_handle_expiry(&i.hs, T0 + SEC);
	drain(&i);
	assert_int_equal(take(&i, buf), 0);
	assert_int_equal(btc_hs_outcome(&i.hs), PS_SUCCESS);

	/* the peer broke a rule after success: the disconnect ends it too */
	pair(&i, &r);
	add_inject(&i, BTC_CMD_PING, BTC_AFTER_VERACK, 10);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	run(&i, &r, T0, 3, 40);
	size_t k = enc_empty(buf, BTC_CMD_WTXIDRELAY);
	assert_int_equal(feed(&i, T0 + MSEC, buf, k), PS_ERR_PROTOCOL);
	assert_true(btc_hs_expiry(&i.hs) == UINT64_MAX);
	size_t nlog = i.nlog;
	btc_hs_handle_expiry(&i.hs, T0 + SEC);
	drain(&i);
	assert_int_equal(i.nlog, nlog);
	assert_int_equal(take(&i, buf), 0);
}

/* Only after verack, at most 600000 ms; the due time saturates short of
 * UINT64_MAX (which would say "none"). */
static void test_delayed_send_bounds(void **state)
{
	static const struct {
		enum btc_when when;
		uint32_t ms;
		int want;
	} cases[] = {
		{ BTC_BEFORE_VERSION, 1, PS_ERR_INVALID_ARG },
		{ BTC_BEFORE_VERACK, 1, PS_ERR_INVALID_ARG },
		{ BTC_AFTER_VERACK, BTC_INJECT_MAX_DELAY_MS + 1, PS_ERR_INVALID_ARG },
		{ BTC_AFTER_VERACK, UINT32_MAX, PS_ERR_INVALID_ARG },
		{ BTC_AFTER_VERACK, BTC_INJECT_MAX_DELAY_MS, PS_OK },
		{ BTC_AFTER_VERACK, 1, PS_OK },
		{ BTC_BEFORE_VERSION, 0, PS_OK },
	};
	struct peer i, r;
	enum btc_cmd cmds[4];

	(void)state;
	for (size_t c = 0; c < N(cases); c++) {
		config(&i, 1, "/x/");
		add_inject(&i, BTC_CMD_PING, cases[c].when, cases[c].ms);
		assert_int_equal(btc_hs_init(&i.hs, BTC_INITIATOR, &i.cfg, T0), cases[c].want);
	}

	/* done 10 s before the clock runs out, 600 s of delay */
	const uint64_t t = UINT64_MAX - 10 * SEC;
	pair(&i, &r);
	i.cfg.timeout_ns = r.cfg.timeout_ns = 0;
	add_inject(&i, BTC_CMD_PING, BTC_AFTER_VERACK, BTC_INJECT_MAX_DELAY_MS);
	start(&i, BTC_INITIATOR, t);
	start(&r, BTC_RESPONDER, t);
	run(&i, &r, t, 4, 40);
	assert_true(done(&i.hs));
	assert_true(btc_hs_expiry(&i.hs) == UINT64_MAX - 1);
	btc_hs_handle_expiry(&i.hs, UINT64_MAX - 2);
	drain(&i);
	assert_int_equal(take_cmds(&i, cmds, 4, NULL), 0);
	btc_hs_handle_expiry(&i.hs, UINT64_MAX - 1);
	drain(&i);
	assert_int_equal(take_cmds(&i, cmds, 4, NULL), 1);
	assert_int_equal(cmds[0], BTC_CMD_PING);
	assert_true(btc_hs_expiry(&i.hs) == UINT64_MAX);
}

/* A delayed send that does not fit the output queue (the peer does not
 * read) ends the connection: a DISCONNECT, the success standing. */
static void test_delayed_send_queue_full(void **state)
{
	struct peer i, r;
	struct btc_msg m;
	const uint8_t *o;
	int rc;

	(void)state;
	pair(&i, &r);
	add_inject(&i, BTC_CMD_PING, BTC_AFTER_VERACK, 5);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	run(&i, &r, T0, 8, 40);
	assert_true(done(&i.hs));
	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_SENDHEADERS;
	while ((rc = btc_hs_send(&i.hs, &m)) == PS_OK)
		assert_true(btc_hs_output(&i.hs, &o) <= BTC_HS_OUTBUF);
	assert_int_equal(rc, PS_ERR_NOBUF);
	size_t queued = btc_hs_output(&i.hs, &o);
	assert_true(BTC_HS_OUTBUF - queued < BTC_HEADER_LEN + 8);
	btc_hs_handle_expiry(&i.hs, T0 + 5 * MSEC);
	drain(&i);
	assert_int_equal(i.log[i.nlog - 1].type, BTC_EV_DISCONNECT);
	assert_int_equal(i.log[i.nlog - 1].err, PS_ERR_NOBUF);
	assert_string_equal(i.log[i.nlog - 1].note, "output queue full");
	assert_int_equal(btc_hs_outcome(&i.hs), PS_SUCCESS);
	assert_int_equal(btc_hs_error(&i.hs), PS_ERR_NOBUF);
	assert_true(btc_hs_ended(&i.hs));
	assert_true(btc_hs_expiry(&i.hs) == UINT64_MAX);
	/* what was queued stays queued (the caller may still flush it) */
	assert_int_equal(btc_hs_output(&i.hs, &o), queued);
}

/* A peer that pings faster than we drain output loses pongs, never memory:
 * the output stays within BTC_HS_OUTBUF and the event queue within its size. */
static void test_output_bounded(void **state)
{
	struct peer i, r;
	uint8_t buf[64];
	struct btc_msg m;
	const uint8_t *o;

	(void)state;
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	run(&i, &r, T0, 9, 9);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);
	assert_int_equal(btc_hs_output(&r.hs, &o), 0);

	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_PING;
	m.u.ping.has_nonce = true;
	size_t pongs = 0;
	for (unsigned k = 0; k < 300; k++) {
		m.u.ping.nonce = k;
		size_t n = enc(buf, sizeof(buf), REGTEST, &m);
		size_t before = btc_hs_output(&r.hs, &o);
		assert_int_equal(btc_hs_input(&r.hs, T0, buf, n), PS_OK);
		size_t after = btc_hs_output(&r.hs, &o);
		assert_true(after <= BTC_HS_OUTBUF);
		if (after > before) {
			assert_int_equal(after - before, BTC_HEADER_LEN + 8);
			pongs++;
		}
	}
	assert_int_equal(pongs, BTC_HS_OUTBUF / (BTC_HEADER_LEN + 8));
	assert_true(btc_hs_events_lost(&r.hs) > 0);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);

	/* the queued pongs answer the first pings, in order */
	uint8_t all[BTC_HS_OUTBUF];
	size_t n = take(&r, all);
	for (size_t k = 0; k < pongs; k++) {
		struct btc_msg p;
		size_t used;
		assert_int_equal(btc_msg_decode(&p, &used, REGTEST, all + k * 32, n - k * 32),
				 PS_OK);
		assert_int_equal(p.cmd, BTC_CMD_PONG);
		assert_true(p.u.ping.nonce == k);
	}
	/* once drained, pongs flow again */
	drain(&r);
	m.u.ping.nonce = 4242;
	n = enc(buf, sizeof(buf), REGTEST, &m);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_int_equal(btc_hs_output(&r.hs, &o), 32);
}

/* Events that matter (VERSION, SUCCESS, FAILED) are never lost, even when
 * the caller lets informational ones pile up. */
static void test_events_never_lose_outcome(void **state)
{
	struct peer i, r;
	uint8_t buf[BTC_HS_OUTBUF];
	struct btc_event ev;

	(void)state;
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	for (int k = 0; k < BTC_HS_EVENTS + 8; k++) { /* more than the ring holds */
		size_t n = enc_raw(buf, REGTEST, "foo\0\0\0\0\0\0\0\0\0", buf, 0);
		assert_int_equal(btc_hs_input(&r.hs, T0, buf, n), PS_OK);
	}
	const uint8_t *o;
	size_t n = btc_hs_output(&i.hs, &o);
	assert_int_equal(btc_hs_input(&r.hs, T0, o, n), PS_OK);
	btc_hs_consume(&i.hs, n);
	n = enc_empty(buf, BTC_CMD_VERACK);
	assert_int_equal(btc_hs_input(&r.hs, T0, buf, n), PS_OK);
	assert_int_equal(btc_hs_outcome(&r.hs), PS_SUCCESS);
	bool saw_version = false, saw_success = false;
	unsigned held = 0;
	while (btc_hs_next_event(&r.hs, &ev)) {
		saw_version |= ev.type == BTC_EV_VERSION;
		saw_success |= ev.type == BTC_EV_SUCCESS;
		held++;
	}
	assert_true(held <= BTC_HS_EVENTS);
	assert_true(saw_version);
	assert_true(saw_success);
	assert_true(btc_hs_events_lost(&r.hs) > 0);
	assert_false(btc_hs_next_event(&r.hs, &ev));
}

/* Version payloads the handshake must drop (and survive), or accept. */
static void test_version_payloads(void **state)
{
	struct peer r;
	uint8_t buf[BTC_HS_OUTBUF], out[BTC_HS_OUTBUF];
	char ua[300];

	(void)state;
	/* cut in the middle of a group: malformed, dropped, still waiting */
	config(&r, 2, "/r/");
	start(&r, BTC_RESPONDER, T0);
	size_t n = enc_version(buf, sizeof(buf), 70016, 9, 1, "/ua/");
	uint8_t payload[BTC_HS_OUTBUF];
	memcpy(payload, buf + 24, n - 24);
	size_t k = enc_raw(buf, REGTEST, "version\0\0\0\0\0", payload, 60);
	assert_int_equal(feed(&r, T0, buf, k), PS_OK);
	assert_int_equal(r.log[0].type, BTC_EV_DROPPED);
	assert_int_equal(r.log[0].err, PS_ERR_MALFORMED);
	assert_string_equal(btc_hs_waiting_for(&r.hs), "version");
	assert_int_equal(take(&r, out), 0);

	/* an old peer's version ending after addr_recv: accepted (Core reads
	 * the later fields only while bytes remain); relay defaults to true */
	k = enc_raw(buf, REGTEST, "version\0\0\0\0\0", payload, 46);
	assert_int_equal(feed(&r, T0, buf, k), PS_OK);
	assert_string_equal(btc_hs_waiting_for(&r.hs), "verack");
	assert_int_equal(peer_of(&r.hs)->present, 0);
	assert_true(peer_of(&r.hs)->relay);
	assert_int_equal(peer_of(&r.hs)->user_agent_len, 0);
	assert_string_equal(peer_of(&r.hs)->user_agent, "");

	/* user agent 256: fine; 257: dropped as too large */
	memset(ua, 'a', sizeof(ua));
	ua[256] = 0;
	config(&r, 2, "/r/");
	start(&r, BTC_RESPONDER, T0);
	ua[257] = 0;
	ua[256] = 'a';
	n = enc_version(buf, sizeof(buf), 70016, 9, 1, ua);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_int_equal(r.log[0].type, BTC_EV_DROPPED);
	assert_int_equal(r.log[0].err, PS_ERR_TOO_LARGE);
	ua[256] = 0;
	n = enc_version(buf, sizeof(buf), 70016, 9, 1, ua);
	assert_int_equal(feed(&r, T0, buf, n), PS_OK);
	assert_string_equal(btc_hs_waiting_for(&r.hs), "verack");
	assert_int_equal(peer_of(&r.hs)->user_agent_len, 256);
	assert_int_equal(strlen(peer_of(&r.hs)->user_agent), 256);

	/* trailing bytes after relay, beyond what the handshake keeps: fine */
	config(&r, 2, "/r/");
	start(&r, BTC_RESPONDER, T0);
	n = enc_version(buf, sizeof(buf), 70016, 9, 1, "/t/");
	memcpy(payload, buf + 24, n - 24);
	memset(payload + n - 24, 0xee, 1000);
	k = enc_raw(buf, REGTEST, "version\0\0\0\0\0", payload, n - 24 + 1000);
	assert_int_equal(feed(&r, T0, buf, k), PS_OK);
	assert_string_equal(btc_hs_waiting_for(&r.hs), "verack");
	assert_string_equal(peer_of(&r.hs)->user_agent, "/t/");
}

static void test_init_errors(void **state)
{
	struct peer p;
	char ua[300];

	(void)state;
	config(&p, 1, "/x/");
	p.cfg.rng = NULL;
	assert_int_equal(btc_hs_init(&p.hs, BTC_INITIATOR, &p.cfg, T0), PS_ERR_INVALID_ARG);
	config(&p, 1, NULL);
	assert_int_equal(btc_hs_init(&p.hs, BTC_INITIATOR, &p.cfg, T0), PS_ERR_INVALID_ARG);
	memset(ua, 'b', sizeof(ua));
	ua[257] = 0;
	config(&p, 1, ua);
	assert_int_equal(btc_hs_init(&p.hs, BTC_INITIATOR, &p.cfg, T0), PS_ERR_INVALID_ARG);
	ua[256] = 0;
	config(&p, 1, ua);
	assert_int_equal(btc_hs_init(&p.hs, BTC_INITIATOR, &p.cfg, T0), PS_OK);
	const uint8_t *o;
	size_t n = btc_hs_output(&p.hs, &o);
	assert_int_equal(n, 24 + 86 + 2 + 256); /* 3-byte CompactSize */

	/* the nonce comes from the RNG: same seed, same nonce */
	struct peer q;
	config(&p, 55, "/x/");
	config(&q, 55, "/x/");
	start(&p, BTC_INITIATOR, T0);
	start(&q, BTC_RESPONDER, T0);
	assert_true(btc_hs_nonce(&p.hs) == btc_hs_nonce(&q.hs));
	/* the initiator queued its version, the responder waits */
	assert_true(btc_hs_output(&p.hs, &o) > 0);
	assert_int_equal(btc_hs_output(&q.hs, &o), 0);

	assert_string_equal(ps_outcome_name(PS_SUCCESS), "SUCCESS");
	assert_string_equal(ps_outcome_name(PS_PARTIAL), "PARTIAL");
	assert_string_equal(ps_outcome_name(PS_FAILED), "FAILED");
	assert_string_equal(ps_outcome_name(PS_PENDING), "PENDING");
}

/* Output consumed a little at a time keeps its order. */
static void test_partial_consume(void **state)
{
	struct peer i, r;
	uint8_t want[BTC_HS_OUTBUF], got[BTC_HS_OUTBUF];
	const uint8_t *o;

	(void)state;
	pair(&i, &r);
	start(&i, BTC_INITIATOR, T0);
	start(&r, BTC_RESPONDER, T0);
	transfer(&i, &r, T0, &i.seed, 5);
	size_t n = btc_hs_output(&r.hs, &o);
	memcpy(want, o, n);
	size_t off = 0;
	uint64_t cs = 3;
	while (off < n) {
		size_t k = chunk_size(&cs, 11);
		size_t left = btc_hs_output(&r.hs, &o);
		assert_int_equal(left, n - off);
		if (k > left)
			k = left;
		memcpy(got + off, o, k);
		btc_hs_consume(&r.hs, k);
		off += k;
	}
	assert_memory_equal(got, want, n);
	assert_int_equal(btc_hs_bytes_out(&r.hs), n);
	btc_hs_consume(&r.hs, 100); /* more than there is: clamps */
	assert_int_equal(btc_hs_output(&r.hs, &o), 0);
	assert_int_equal(btc_hs_bytes_out(&r.hs), n);
}

/* Streams of real messages with random byte flips, in random chunks, to
 * both roles: whatever happens, the invariants hold (ASan watches memory). */
static void check_invariants(const struct btc_hs *hs)
{
	const uint8_t *o;
	enum ps_outcome oc = btc_hs_outcome(hs);
	const char *w = btc_hs_waiting_for(hs);
	size_t queued = btc_hs_output(hs, &o);

	assert_true(queued <= BTC_HS_OUTBUF);
	if (btc_hs_ended(hs)) {
		/* failed, or disconnected after success (nothing here closes) */
		assert_null(w);
		assert_int_not_equal(oc, PS_PENDING);
		assert_int_not_equal(btc_hs_error(hs), PS_OK);
		assert_non_null(btc_hs_note(hs));
		if (oc == PS_PARTIAL || oc == PS_SUCCESS)
			assert_non_null(btc_hs_peer(hs));
	} else if (w) {
		assert_int_equal(oc, PS_PENDING);
		assert_int_equal(btc_hs_error(hs), PS_OK);
		assert_true(strcmp(w, "version") == 0 || strcmp(w, "verack") == 0);
		assert_int_equal(btc_hs_peer(hs) != NULL, strcmp(w, "verack") == 0);
	} else {
		/* done: their version and verack in, our version out */
		assert_int_equal(oc, PS_SUCCESS);
		assert_int_equal(btc_hs_error(hs), PS_OK);
		assert_non_null(btc_hs_peer(hs));
		assert_true(btc_hs_bytes_out(hs) + queued > 0);
	}
}

static void test_random_mutations(void **state)
{
	uint8_t msgs[10][400];
	size_t lens[10], count = 0;
	struct btc_msg m;

	(void)state;
	lens[count] = enc_version(msgs[count], 400, 70016, 9, 77, "/fuzz/");
	count++;
	lens[count] = enc_version(msgs[count], 400, 70015, 1, 78, "/old/");
	count++;
	lens[count] = enc_empty(msgs[count], BTC_CMD_VERACK);
	count++;
	lens[count] = enc_empty(msgs[count], BTC_CMD_WTXIDRELAY);
	count++;
	lens[count] = enc_empty(msgs[count], BTC_CMD_SENDADDRV2);
	count++;
	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_PING;
	m.u.ping.has_nonce = true;
	m.u.ping.nonce = 9;
	lens[count] = enc(msgs[count], 400, REGTEST, &m);
	count++;
	m.cmd = BTC_CMD_PONG;
	lens[count] = enc(msgs[count], 400, REGTEST, &m);
	count++;
	lens[count] = enc_raw(msgs[count], REGTEST, "foo\0\0\0\0\0\0\0\0\0", msgs[0], 40);
	count++;
	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_SENDCMPCT;
	m.u.sendcmpct.version = 2;
	lens[count] = enc(msgs[count], 400, REGTEST, &m);
	count++;
	lens[count] = enc_empty(msgs[count], BTC_CMD_SENDHEADERS);
	count++;

	for (uint64_t seed = 0; seed < 400; seed++) {
		struct peer *p = malloc(sizeof(*p));
		uint64_t rs = seed * 1000003u + 1;
		uint8_t stream[20 * 400], out[BTC_HS_OUTBUF];
		size_t slen = 0;

		assert_non_null(p);
		config(p, seed, "/p/");
		start(p, seed % 2 ? BTC_INITIATOR : BTC_RESPONDER, T0);
		for (int k = 0; k < 20; k++) {
			uint8_t pick[4];
			tu_rng(&rs, pick, sizeof(pick));
			size_t which = pick[0] % count;
			memcpy(stream + slen, msgs[which], lens[which]);
			if (pick[1] % 4 == 0) /* flip a byte somewhere in it */
				stream[slen +
				       ((size_t)pick[2] | (size_t)pick[3] << 8) % lens[which]] ^=
					(uint8_t)(1u << (pick[1] >> 5));
			slen += lens[which];
		}
		for (size_t off = 0; off < slen;) {
			size_t k = chunk_size(&rs, 64);
			if (k > slen - off)
				k = slen - off;
			(void)feed(p, T0 + off, stream + off, k);
			check_invariants(&p->hs);
			if (k % 3 == 0)
				(void)take(p, out);
			off += k;
		}
		btc_hs_handle_expiry(&p->hs, T0 + 61 * SEC);
		drain(p);
		check_invariants(&p->hs);
		assert_true(btc_hs_expiry(&p->hs) == UINT64_MAX);
		assert_int_not_equal(btc_hs_outcome(&p->hs), PS_PENDING);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success_every_chunking),
		cmocka_unit_test(test_responder_waits_for_version),
		cmocka_unit_test(test_70015_peer),
		cmocka_unit_test(test_verack_before_version),
		cmocka_unit_test(test_duplicate_version),
		cmocka_unit_test(test_unknown_command),
		cmocka_unit_test(test_bad_checksum_dropped),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_announced_length),
		cmocka_unit_test(test_obsolete_version),
		cmocka_unit_test(test_self_connect),
		cmocka_unit_test(test_required_services),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_deadline_huge_timeout_no_wrap),
		cmocka_unit_test(test_deadline_never_behind),
		cmocka_unit_test(test_deadline_normal_timeout_fires),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_input_after_end),
		cmocka_unit_test(test_accessors),
		cmocka_unit_test(test_feature_after_verack),
		cmocka_unit_test(test_sendtxrcncl_ignored),
		cmocka_unit_test(test_verack_with_trailing_byte),
		cmocka_unit_test(test_ping_pong),
		cmocka_unit_test(test_ping_pong_bip31_version),
		cmocka_unit_test(test_delayed_send),
		cmocka_unit_test(test_delayed_send_before_late_input),
		cmocka_unit_test(test_delayed_sends_in_order),
		cmocka_unit_test(test_delayed_send_not_always),
		cmocka_unit_test(test_delayed_send_bounds),
		cmocka_unit_test(test_delayed_send_queue_full),
		cmocka_unit_test(test_output_bounded),
		cmocka_unit_test(test_events_never_lose_outcome),
		cmocka_unit_test(test_version_payloads),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_partial_consume),
		cmocka_unit_test(test_random_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
