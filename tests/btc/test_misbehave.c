/*
 * test_misbehave.c - ref/btc/misbehave: the switches of peershake --bug, and
 * the SENT events they leave.
 *
 * For every BTC_BUG_* bit and every send=CMD@WHEN injection, in both roles,
 * a misbehaving core runs a handshake in memory against an honest one. The
 * events must describe the bytes that actually went out: (a) the SENT
 * events' bytes add up to everything drained from btc_hs_output, and (b)
 * walking the drained stream frame by frame (by each event's bytes), each
 * SENT event's length and command are the header fields found at that
 * offset, after the switch rewrote them.
 *
 * The same for the v2 switches (BTC_V2_BUG_*) over a v2 connection: (a)
 * holds, and every event is a piece of the stream; their packets are
 * encrypted, so test_v2_misbehave.c decrypts the stream to do (b). And a
 * responder that tells v1 from v2 (DETECT, as peershake listen) applies
 * the v1 frame rewrites to a v1 peer, (a) and (b) as for v1.
 */
#include <stdio.h>
#include <string.h>

#include "btc/handshake.h"
#include "btc/misbehave.h"
#include "crypto/crypto.h"
#include "hs_config.h"
#include "testutil.h"

#define T0	UINT64_C(1000000000000)
#define MAX_OUT 8192
#define MAX_EV	64
#define NBUGS	26 /* BTC_BUG_BAD_CHECKSUM (1 << 0) .. BTC_BUG_VERSION_TRAILING (1 << 25) */
_Static_assert(BTC_BUG_VERSION_TRAILING == 1 << (NBUGS - 1), "a BTC_BUG_* bit this test misses");

/* bit 1 << k as a configuration btc_hs_init takes: bad-alone needs a
 * spoilt version to send alone (btc_mis_check) */
static uint64_t bug_bit(int k)
{
	uint64_t b = UINT64_C(1) << k;

	return b == BTC_BUG_BAD_ALONE ? b | BTC_BUG_BAD_CHECKSUM : b;
}

struct side {
	struct btc_hs hs;
	struct btc_hs_config cfg;
	uint64_t seed;
	uint8_t stream[MAX_OUT]; /* everything drained from btc_hs_output */
	size_t slen;
	struct btc_event sent[MAX_EV];
	size_t nsent;
};

static void side_config(struct side *s, uint64_t seed, const char *ua)
{
	memset(s, 0, sizeof(*s));
	s->seed = seed;
	hs_test_config(&s->cfg, &s->seed, ua);
}

static void collect(struct side *s)
{
	struct btc_event ev;

	while (btc_hs_next_event(&s->hs, &ev)) {
		if (ev.type != BTC_EV_SENT)
			continue;
		assert_true(s->nsent < MAX_EV);
		s->sent[s->nsent++] = ev;
	}
	assert_int_equal(btc_hs_events_lost(&s->hs), 0);
}

/* from's output, all of it, into to; returns how much moved. */
static size_t pump(struct side *from, struct side *to)
{
	const uint8_t *p;
	size_t n = btc_hs_output(&from->hs, &p);

	assert_true(n <= MAX_OUT - from->slen);
	memcpy(from->stream + from->slen, p, n);
	from->slen += n;
	if (btc_hs_input(&to->hs, T0, p, n) != PS_OK) {
		/* the honest side may fail: its events say how */
	}
	btc_hs_consume(&from->hs, n);
	collect(from);
	collect(to);
	return n;
}

static void printable(char out[BTC_COMMAND_LEN + 1], const uint8_t *cmd)
{
	size_t i;

	for (i = 0; i < BTC_COMMAND_LEN && cmd[i] != 0; i++)
		out[i] = (cmd[i] >= 0x20 && cmd[i] <= 0x7e) ? (char)cmd[i] : '?';
	out[i] = 0;
}

/* (a) and (b) of the file comment, for one side. */
static void check_sent(const struct side *s, const char *what)
{
	uint64_t sum = 0;
	size_t off = 0;

	for (size_t k = 0; k < s->nsent; k++)
		sum += s->sent[k].bytes;
	if (sum != s->slen)
		fail_msg("%s: SENT events add up to %llu bytes, %zu were queued", what,
			 (unsigned long long)sum, s->slen);
	for (size_t k = 0; k < s->nsent; k++) {
		const struct btc_event *ev = &s->sent[k];
		char cmd[BTC_COMMAND_LEN + 1];

		assert_true(ev->bytes >= BTC_HEADER_LEN);
		assert_true(s->slen - off >= ev->bytes);
		if (ps_load_u32le(s->stream + off + 16) != ev->length)
			fail_msg("%s: SENT #%zu %s says length %u, its header %u", what, k,
				 ev->command, ev->length, ps_load_u32le(s->stream + off + 16));
		printable(cmd, s->stream + off + 4);
		assert_string_equal(ev->command, cmd);
		assert_int_equal(ev->cmd, btc_cmd_from_bytes(s->stream + off + 4));
		off += (size_t)ev->bytes;
	}
	assert_int_equal(off, s->slen);
}

/* (a) for a v2 side: the SENT events add up to what was queued, each of at
 * least one byte; the transport's pieces (cmd UNKNOWN, a "v2 " note) come
 * first and the key is the first 64 bytes. */
static void check_sent_v2(const struct side *s, const char *what)
{
	uint64_t sum = 0;

	for (size_t k = 0; k < s->nsent; k++) {
		assert_true(s->sent[k].bytes >= 1);
		sum += s->sent[k].bytes;
	}
	if (sum != s->slen)
		fail_msg("%s: SENT events add up to %llu bytes, %zu were queued", what,
			 (unsigned long long)sum, s->slen);
	if (s->nsent) {
		assert_string_equal(s->sent[0].note, "v2 key");
		assert_int_equal(s->sent[0].bytes, 64);
	}
}

/* A handshake of a core with cfg.bugs = bugs (and one injection) in role
 * against an honest one, until both are quiet; checks both sides' SENT
 * events. mis and hon are left for the caller to look at. */
static void run_over(struct side *mis, struct side *hon, enum btc_role role, uint64_t bugs,
		     uint32_t v2_bugs, const struct btc_inject *inject, enum btc_transport_kind mk,
		     enum btc_transport_kind hk)
{
	char what[96];

	side_config(mis, 11, "/mis:1/");
	side_config(hon, 22, "/hon:2/");
	mis->cfg.transport = mk;
	hon->cfg.transport = hk;
	mis->cfg.v2_bugs = v2_bugs;
	mis->cfg.v2_decoys = 3;
	mis->cfg.v2_garbage_len = hon->cfg.v2_garbage_len = 7;
	mis->cfg.bugs = bugs;
	if (inject) {
		mis->cfg.inject[0] = *inject;
		mis->cfg.ninject = 1;
	}
	assert_int_equal(btc_hs_init(&mis->hs, role, &mis->cfg, T0), PS_OK);
	assert_int_equal(btc_hs_init(&hon->hs,
				     role == BTC_INITIATOR ? BTC_RESPONDER : BTC_INITIATOR,
				     &hon->cfg, T0),
			 PS_OK);
	collect(mis);
	collect(hon);
	for (int turn = 0; turn < 20; turn++) {
		size_t moved = role == BTC_INITIATOR ? pump(mis, hon) + pump(hon, mis)
						     : pump(hon, mis) + pump(mis, hon);
		if (moved == 0)
			break;
	}
	snprintf(what, sizeof(what), "role %d bugs %#llx v2 %#x inject %d@%d%s", (int)role,
		 (unsigned long long)bugs, (unsigned)v2_bugs, inject ? (int)inject->cmd : -1,
		 inject ? (int)inject->when : -1, inject && inject->empty_command ? " empty" : "");
	if (mk == BTC_TRANSPORT_V1 || strcmp(btc_hs_transport(&mis->hs), "v1") == 0) {
		check_sent(mis, what);
		check_sent(hon, what);
	} else {
		check_sent_v2(mis, what);
		check_sent_v2(hon, what);
	}
}

static void run(struct side *mis, struct side *hon, enum btc_role role, uint64_t bugs,
		const struct btc_inject *inject)
{
	run_over(mis, hon, role, bugs, 0, inject, BTC_TRANSPORT_V1, BTC_TRANSPORT_V1);
}

static struct side mis, hon;

static void test_sent_matches_queue_every_switch(void **state)
{
	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		run(&mis, &hon, (enum btc_role)role, 0, NULL);
		assert_int_equal(btc_hs_outcome(&mis.hs), PS_SUCCESS);
		assert_int_equal(btc_hs_outcome(&hon.hs), PS_SUCCESS);
		for (int bit = 0; bit < NBUGS; bit++)
			run(&mis, &hon, (enum btc_role)role, bug_bit(bit), NULL);
		/* all of them at once */
		run(&mis, &hon, (enum btc_role)role,
		    ((UINT64_C(1) << NBUGS) - 1) & ~(uint64_t)BTC_BUG_UA_NONCANONICAL, NULL);
	}
}

/* Every v2 switch, alone, with every v1 switch that is not a frame rewrite,
 * and with the injections, in both roles over v2 (the misbehaving
 * responder a DETECT one, as peershake listen). */
static void test_sent_matches_queue_every_v2_switch(void **state)
{
	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		enum btc_transport_kind mk =
			role == BTC_INITIATOR ? BTC_TRANSPORT_V2 : BTC_TRANSPORT_DETECT;
		enum btc_transport_kind hk =
			role == BTC_INITIATOR ? BTC_TRANSPORT_DETECT : BTC_TRANSPORT_V2;

		for (int bit = 0; bit < 17; bit++) {
			run_over(&mis, &hon, (enum btc_role)role, 0, UINT32_C(1) << bit, NULL, mk,
				 hk);
			for (int b1 = 0; b1 < NBUGS; b1++) {
				uint64_t v1 = bug_bit(b1);
				struct btc_hs_config probe;

				memset(&probe, 0, sizeof(probe));
				probe.bugs = v1;
				if (btc_mis_v1_frame_bugs(&probe))
					continue;
				run_over(&mis, &hon, (enum btc_role)role, v1, UINT32_C(1) << bit,
					 NULL, mk, hk);
			}
			for (int cmd = 0; cmd < BTC_CMD_COUNT_; cmd++) {
				struct btc_inject in = { (enum btc_cmd)cmd,
							 (enum btc_when)(cmd % 3), false, 0 };
				run_over(&mis, &hon, (enum btc_role)role, 0, UINT32_C(1) << bit,
					 &in, mk, hk);
			}
		}
	}
}

/* peershake listen (DETECT) with a v1 frame rewrite meets a v1 peer: the
 * rewrite goes out, as over v1 (it used to refuse the config). */
static void test_detect_applies_v1_switches(void **state)
{
	(void)state;
	for (int bit = 0; bit < NBUGS; bit++) {
		run_over(&mis, &hon, BTC_RESPONDER, bug_bit(bit), 0, NULL, BTC_TRANSPORT_DETECT,
			 BTC_TRANSPORT_V1);
		assert_string_equal(btc_hs_transport(&mis.hs), "v1");
	}
	/* the checksum switch's spoiled version is there: two versions, the
	 * first one's checksum not SHA256d(payload)[0..4), the second's it */
	run_over(&mis, &hon, BTC_RESPONDER, BTC_BUG_BAD_CHECKSUM, 0, NULL, BTC_TRANSPORT_DETECT,
		 BTC_TRANSPORT_V1);
	{
		size_t off = 0, seen = 0;
		uint8_t h[32];

		for (size_t k = 0; k < mis.nsent; k++) {
			if (strcmp(mis.sent[k].command, "version") == 0) {
				cry_sha256d(h, mis.stream + off + BTC_HEADER_LEN,
					    mis.sent[k].length);
				assert_true((memcmp(mis.stream + off + 20, h, 4) == 0) ==
					    (seen == 1));
				seen++;
			}
			off += (size_t)mis.sent[k].bytes;
		}
		assert_int_equal(seen, 2);
	}
}

static void test_sent_matches_queue_every_injection(void **state)
{
	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++)
		for (int cmd = 0; cmd < BTC_CMD_COUNT_; cmd++)
			for (int when = BTC_BEFORE_VERSION; when <= BTC_AFTER_VERACK; when++)
				for (int empty = 0; empty < 2; empty++) {
					struct btc_inject in = { (enum btc_cmd)cmd,
								 (enum btc_when)when, empty != 0,
								 0 };
					run(&mis, &hon, (enum btc_role)role, 0, &in);
				}
}

/* The SENT event of our version under each framing switch, from what the
 * switch promises (handshake.h), in both roles. */
static const struct btc_event *our_version(const struct side *s, size_t nth)
{
	for (size_t k = 0; k < s->nsent; k++)
		if (strcmp(s->sent[k].command, "version") == 0 && nth-- == 0)
			return &s->sent[k];
	fail_msg("no version #%zu among %zu SENT events", nth, s->nsent);
	return NULL;
}

static void test_framing_switches_logged_as_sent(void **state)
{
	/* "/mis:1/": a version payload of 86 + 7 bytes */
	const uint32_t plen = 86 + 7;

	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		const struct btc_event *v;

		/* "version header announces 4,000,001; no payload" */
		run(&mis, &hon, (enum btc_role)role, BTC_BUG_OVERSIZE, NULL);
		v = our_version(&mis, 0);
		assert_int_equal(v->length, BTC_MAX_PAYLOAD + 1);
		assert_int_equal(v->bytes, BTC_HEADER_LEN);
		/* "version header announces 4,000,000; no payload" */
		run(&mis, &hon, (enum btc_role)role, BTC_BUG_MAX_SIZE, NULL);
		v = our_version(&mis, 0);
		assert_int_equal(v->length, BTC_MAX_PAYLOAD);
		assert_int_equal(v->bytes, BTC_HEADER_LEN);
		/* "version header announces one byte more" / "less" */
		run(&mis, &hon, (enum btc_role)role, BTC_BUG_LENGTH_LARGER, NULL);
		v = our_version(&mis, 0);
		assert_int_equal(v->length, plen + 1);
		assert_int_equal(v->bytes, BTC_HEADER_LEN + plen);
		run(&mis, &hon, (enum btc_role)role, BTC_BUG_LENGTH_SMALLER, NULL);
		v = our_version(&mis, 0);
		assert_int_equal(v->length, plen - 1);
		assert_int_equal(v->bytes, BTC_HEADER_LEN + plen);
		/* "8 bytes of garbage after the version payload" */
		run(&mis, &hon, (enum btc_role)role, BTC_BUG_GARBAGE_AFTER, NULL);
		v = our_version(&mis, 0);
		assert_int_equal(v->length, plen);
		assert_int_equal(v->bytes, BTC_HEADER_LEN + plen + 8);
		/* "a user agent of exactly 256 bytes": 80 + 3 + 256 + 4 + 1 */
		run(&mis, &hon, (enum btc_role)role, BTC_BUG_UA_256, NULL);
		v = our_version(&mis, 0);
		assert_int_equal(v->length, 86 + 2 + 256);
		/* "version with the four required fields only" */
		run(&mis, &hon, (enum btc_role)role, BTC_BUG_VERSION_SHORT, NULL);
		assert_int_equal(our_version(&mis, 0)->length, BTC_VERSION_REQUIRED_LEN);
	}
}

/* The hooks' plan: what goes out around the honest messages. */
static void test_hooks(void **state)
{
	struct btc_hs_config c;
	struct btc_mis_send s[BTC_MIS_MAX], ours;

	(void)state;
	memset(&c, 0, sizeof(c));
	/* honest: our version as built, features, one verack, nothing else */
	assert_true(btc_mis_our_version(&c, &ours));
	assert_int_equal(ours.kind, BTC_MIS_VERSION);
	assert_true(ours.rewrite == 0 && ours.ua_len == 0);
	for (int at = BTC_MIS_BEFORE_VERSION; at <= BTC_MIS_AFTER_VERACK; at++)
		assert_int_equal(btc_mis_extra(&c, (enum btc_mis_point)at, s), 0);
	assert_true(btc_mis_features(&c));
	assert_int_equal(btc_mis_veracks(&c), 1);

	/* silent: nothing at all */
	c.bugs = BTC_BUG_SILENT | BTC_BUG_VERACK_TWICE | BTC_BUG_DUPLICATE_VERSION;
	c.inject[0].cmd = BTC_CMD_PING;
	c.inject[0].when = BTC_BEFORE_VERSION;
	c.ninject = 1;
	assert_false(btc_mis_our_version(&c, &ours));
	for (int at = BTC_MIS_BEFORE_VERSION; at <= BTC_MIS_AFTER_VERACK; at++)
		assert_int_equal(btc_mis_extra(&c, (enum btc_mis_point)at, s), 0);
	assert_false(btc_mis_features(&c));
	assert_int_equal(btc_mis_veracks(&c), 0);

	/* "verack before our version": no verack later, no features, and the
	 * after-verack injections go with the verack they follow */
	c.bugs = BTC_BUG_VERACK_FIRST;
	c.inject[0].when = BTC_AFTER_VERACK;
	assert_int_equal(btc_mis_extra(&c, BTC_MIS_BEFORE_VERSION, s), 1);
	assert_int_equal(s[0].kind, BTC_MIS_VERACK);
	assert_int_equal(btc_mis_veracks(&c), 0);
	assert_false(btc_mis_features(&c));
	assert_int_equal(btc_mis_extra(&c, BTC_MIS_AFTER_VERACK, s), 0);
	c.bugs = BTC_BUG_VERACK_TWICE;
	assert_int_equal(btc_mis_veracks(&c), 2);
	assert_int_equal(btc_mis_extra(&c, BTC_MIS_AFTER_VERACK, s), 1);
	assert_int_equal(s[0].kind, BTC_MIS_INJECT);
	assert_ptr_equal(s[0].inject, &c.inject[0]);

	/* an injected version is one of ours, unrewritten */
	c.bugs = BTC_BUG_LENGTH_LARGER;
	c.inject[0].cmd = BTC_CMD_VERSION;
	c.inject[0].when = BTC_BEFORE_VERACK;
	assert_int_equal(btc_mis_extra(&c, BTC_MIS_BEFORE_VERACK, s), 1);
	assert_int_equal(s[0].kind, BTC_MIS_VERSION);
	assert_true(s[0].rewrite == 0);
	assert_true(btc_mis_our_version(&c, &ours));
	assert_true(ours.rewrite == BTC_BUG_LENGTH_LARGER);
}

/* The stream offset of SENT event k. */
static size_t sent_offset(const struct side *s, size_t k)
{
	size_t off = 0;

	for (size_t i = 0; i < k; i++)
		off += (size_t)s->sent[i].bytes;
	return off;
}

/* bad-alone: the spoilt version is the only one. Against an honest core,
 * which drops it as Core does, nothing follows: as responder the honest
 * initiator has sent its version and waits, with no verack sent; as
 * initiator the honest responder never answers. Neither side has ended. */
static void test_bad_alone(void **state)
{
	static const uint64_t spoil[] = { BTC_BUG_BAD_CHECKSUM,	   BTC_BUG_CHECKSUM_LAST,
					  BTC_BUG_CMD_NOT_PADDED,  BTC_BUG_CMD_NONPRINTABLE,
					  BTC_BUG_UA_NONCANONICAL, BTC_BUG_UA_257 };

	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++)
		for (size_t i = 0; i < sizeof(spoil) / sizeof(spoil[0]); i++) {
			size_t versions = 0, veracks = 0;

			run(&mis, &hon, (enum btc_role)role, spoil[i] | BTC_BUG_BAD_ALONE, NULL);
			for (size_t k = 0; k < mis.nsent; k++)
				versions += mis.sent[k].cmd == BTC_CMD_VERSION ||
					    strncmp(mis.sent[k].command, "versio", 6) == 0;
			assert_int_equal(versions, 1);
			for (size_t k = 0; k < hon.nsent; k++) {
				veracks += hon.sent[k].cmd == BTC_CMD_VERACK;
				/* the honest responder has no version to answer */
				if (role == BTC_INITIATOR)
					fail_msg("bugs %#llx: the honest responder sent %s",
						 (unsigned long long)spoil[i], hon.sent[k].command);
			}
			assert_int_equal(veracks, 0);
			assert_false(btc_hs_ended(&hon.hs));
			assert_false(btc_hs_ended(&mis.hs));
		}
	/* both spoils in one version: a 257-byte user agent (3-byte length
	 * fd 01 01) non-canonically as fe 01 01 00 00 */
	run(&mis, &hon, BTC_INITIATOR, BTC_BUG_UA_257 | BTC_BUG_UA_NONCANONICAL | BTC_BUG_BAD_ALONE,
	    NULL);
	{
		const struct btc_event *v = our_version(&mis, 0);
		const uint8_t *f = mis.stream + sent_offset(&mis, (size_t)(v - mis.sent));
		static const uint8_t want[5] = { 0xfe, 0x01, 0x01, 0, 0 };

		assert_int_equal(mis.nsent, 1);
		assert_memory_equal(f + BTC_HEADER_LEN + 80, want, sizeof(want));
		assert_int_equal(hon.nsent, 0);
		assert_false(btc_hs_ended(&hon.hs));
	}
	/* without a spoilt version bad-alone would change nothing: refused */
	{
		struct btc_hs_config c;
		uint64_t seed = 1;

		hs_test_config(&c, &seed, "/x:1/");
		c.bugs = BTC_BUG_BAD_ALONE | BTC_BUG_NO_RELAY;
		assert_false(btc_mis_alone_applies(c.bugs));
		assert_int_equal(btc_hs_init(&mis.hs, BTC_INITIATOR, &c, T0), PS_ERR_INVALID_ARG);
	}
}

/* bad-checksum-last: bytes 20..22 of the header are SHA256d's, byte 23 is
 * not; user-agent-noncanonical: the user agent's length as fd LL 00 after
 * the 80 fixed bytes, the header's length and checksum those of the
 * rewritten payload (only the CompactSize is wrong). The correct version
 * follows each. */
static void test_checksum_last_and_noncanonical(void **state)
{
	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		const struct btc_event *v;
		uint8_t h[32];
		const uint8_t *f;

		run(&mis, &hon, (enum btc_role)role, BTC_BUG_CHECKSUM_LAST, NULL);
		v = our_version(&mis, 0);
		f = mis.stream + sent_offset(&mis, (size_t)(v - mis.sent));
		cry_sha256d(h, f + BTC_HEADER_LEN, v->length);
		assert_memory_equal(f + 20, h, 3);
		assert_int_equal(f[23], h[3] ^ 0x01);
		assert_int_equal(btc_hs_outcome(&hon.hs), PS_SUCCESS); /* the next one taken */

		run(&mis, &hon, (enum btc_role)role, BTC_BUG_UA_NONCANONICAL, NULL);
		v = our_version(&mis, 0);
		f = mis.stream + sent_offset(&mis, (size_t)(v - mis.sent));
		/* "/mis:1/": 7 bytes, then height and relay */
		assert_int_equal(v->length, 86 + 7 + 2);
		assert_int_equal(ps_load_u32le(f + 16), v->length);
		assert_int_equal(f[BTC_HEADER_LEN + 80], 0xfd);
		assert_int_equal(f[BTC_HEADER_LEN + 81], 7);
		assert_int_equal(f[BTC_HEADER_LEN + 82], 0);
		assert_memory_equal(f + BTC_HEADER_LEN + 83, "/mis:1/", 7);
		cry_sha256d(h, f + BTC_HEADER_LEN, v->length);
		assert_memory_equal(f + 20, h, 4);
		assert_int_equal(btc_hs_outcome(&hon.hs), PS_SUCCESS);
		assert_string_equal(btc_hs_peer(&hon.hs)->user_agent, "/mis:1/");

		/* version-trailing-bytes: 4 more bytes inside the payload,
		 * covered by length and checksum; the honest core reads the
		 * fields before them and takes the version */
		run(&mis, &hon, (enum btc_role)role, BTC_BUG_VERSION_TRAILING, NULL);
		v = our_version(&mis, 0);
		f = mis.stream + sent_offset(&mis, (size_t)(v - mis.sent));
		assert_int_equal(v->length, 86 + 7 + 4);
		assert_memory_equal(f + BTC_HEADER_LEN + 86 + 7, "\x01\x02\x03\x04", 4);
		cry_sha256d(h, f + BTC_HEADER_LEN, v->length);
		assert_memory_equal(f + 20, h, 4);
		assert_int_equal(btc_hs_outcome(&hon.hs), PS_SUCCESS);
		assert_true(btc_hs_peer(&hon.hs)->relay);
	}
}

/* The delayed injections: never among btc_mis_extra's; pending from done
 * where an after-verack one would go; due by time, equal ones as given. */
static void test_delayed_hooks(void **state)
{
	static const uint64_t MS = 1000000u, T = UINT64_C(5000000000);
	struct btc_hs_config c;
	struct btc_mis_send s[BTC_MIS_MAX];
	uint32_t pending;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.inject[0] = (struct btc_inject){ BTC_CMD_PING, BTC_AFTER_VERACK, false, 50 };
	c.inject[1] = (struct btc_inject){ BTC_CMD_GETADDR, BTC_AFTER_VERACK, false, 0 };
	c.inject[2] = (struct btc_inject){ BTC_CMD_VERSION, BTC_AFTER_VERACK, false, 20 };
	c.inject[3] = (struct btc_inject){ BTC_CMD_UNKNOWN, BTC_AFTER_VERACK, true, 50 };
	c.ninject = 4;
	assert_int_equal(btc_mis_check(&c), PS_OK);
	/* with our verack: the undelayed one only */
	assert_int_equal(btc_mis_extra(&c, BTC_MIS_AFTER_VERACK, s), 1);
	assert_ptr_equal(s[0].inject, &c.inject[1]);
	pending = btc_mis_delayed_start(&c);
	assert_int_equal(pending, 0x1 | 0x4 | 0x8);
	assert_true(btc_mis_delayed_due(&c, T, pending) == T + 20 * MS);
	assert_true(btc_mis_delayed_due(&c, T, 0) == UINT64_MAX);
	/* before the first: nothing, nothing cleared */
	assert_int_equal(btc_mis_delayed(&c, T, T + 20 * MS - 1, &pending, s), 0);
	assert_int_equal(pending, 0xd);
	/* the injected version is one of ours */
	assert_int_equal(btc_mis_delayed(&c, T, T + 49 * MS, &pending, s), 1);
	assert_int_equal(s[0].kind, BTC_MIS_VERSION);
	assert_int_equal(pending, 0x9);
	assert_true(btc_mis_delayed_due(&c, T, pending) == T + 50 * MS);
	assert_int_equal(btc_mis_delayed(&c, T, T + 50 * MS, &pending, s), 2);
	assert_ptr_equal(s[0].inject, &c.inject[0]);
	assert_ptr_equal(s[1].inject, &c.inject[3]);
	assert_int_equal(pending, 0);
	assert_int_equal(btc_mis_delayed(&c, T, UINT64_MAX, &pending, s), 0);

	/* no verack after theirs, or nothing at all: none pending */
	c.bugs = BTC_BUG_NO_VERACK;
	assert_int_equal(btc_mis_delayed_start(&c), 0);
	c.bugs = BTC_BUG_SILENT;
	assert_int_equal(btc_mis_delayed_start(&c), 0);
	c.bugs = BTC_BUG_VERACK_TWICE;
	assert_int_equal(btc_mis_delayed_start(&c), 0xd);

	/* a delay only after verack, at most BTC_INJECT_MAX_DELAY_MS */
	c.inject[0].delay_ms = BTC_INJECT_MAX_DELAY_MS;
	assert_int_equal(btc_mis_check(&c), PS_OK);
	c.inject[0].delay_ms = BTC_INJECT_MAX_DELAY_MS + 1;
	assert_int_equal(btc_mis_check(&c), PS_ERR_INVALID_ARG);
	c.inject[0].delay_ms = 1;
	c.inject[0].when = BTC_BEFORE_VERACK;
	assert_int_equal(btc_mis_check(&c), PS_ERR_INVALID_ARG);
	c.inject[0].when = BTC_BEFORE_VERSION;
	assert_int_equal(btc_mis_check(&c), PS_ERR_INVALID_ARG);
}

/* The frame rewrite on its own: bounds and NOBUF leave the frame as it was. */
static void test_rewrite_bounds(void **state)
{
	struct btc_hs_config c;
	uint8_t frame[BTC_HEADER_LEN + 8 + 8], copy[sizeof(frame)];
	size_t n = BTC_HEADER_LEN + 4;

	(void)state;
	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	ps_store_u32le(frame + 16, 4);
	memcpy(copy, frame, sizeof(frame));
	c.bugs = BTC_BUG_WRONG_MAGIC;
	/* no room for the 8 bytes of garbage: refused, untouched */
	assert_int_equal(btc_mis_rewrite(&c, BTC_BUG_GARBAGE_AFTER, frame, &n, n + 7),
			 PS_ERR_NOBUF);
	assert_int_equal(n, BTC_HEADER_LEN + 4);
	assert_memory_equal(frame, copy, sizeof(frame));
	/* shorter than a header: not a frame */
	n = BTC_HEADER_LEN - 1;
	assert_int_equal(btc_mis_rewrite(&c, 0, frame, &n, sizeof(frame)), PS_ERR_INVALID_ARG);
	assert_memory_equal(frame, copy, sizeof(frame));
	/* room: appended, magic flipped, length field kept */
	n = BTC_HEADER_LEN + 4;
	assert_int_equal(btc_mis_rewrite(&c, BTC_BUG_GARBAGE_AFTER, frame, &n, n + 8), PS_OK);
	assert_int_equal(n, BTC_HEADER_LEN + 4 + 8);
	assert_int_equal(frame[0], copy[0] ^ 0xff);
	assert_int_equal(ps_load_u32le(frame + 16), 4);
	/* oversize cuts to the header, then garbage fits where the payload was */
	memcpy(frame, copy, sizeof(frame));
	n = BTC_HEADER_LEN + 4;
	assert_int_equal(btc_mis_rewrite(&c, BTC_BUG_OVERSIZE | BTC_BUG_GARBAGE_AFTER, frame, &n,
					 BTC_HEADER_LEN + 8),
			 PS_OK);
	assert_int_equal(n, BTC_HEADER_LEN + 8);
	assert_int_equal(ps_load_u32le(frame + 16), BTC_MAX_PAYLOAD + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sent_matches_queue_every_switch),
		cmocka_unit_test(test_sent_matches_queue_every_injection),
		cmocka_unit_test(test_sent_matches_queue_every_v2_switch),
		cmocka_unit_test(test_detect_applies_v1_switches),
		cmocka_unit_test(test_framing_switches_logged_as_sent),
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_delayed_hooks),
		cmocka_unit_test(test_rewrite_bounds),
		cmocka_unit_test(test_bad_alone),
		cmocka_unit_test(test_checksum_last_and_noncanonical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
