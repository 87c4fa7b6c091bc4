/*
 * test_v2_misbehave.c - the BIP324 v2 switches of peershake --bug
 * (cfg->v2_bugs, btc/misbehave.c) against an honest core.
 *
 * For every switch, in both roles, a misbehaving core runs a v2 exchange in
 * memory against an honest one (a DETECT responder, as Core with v2 on, or
 * a V2 initiator), and the test checks two things:
 *
 *  - the honest side's outcome, error and where it stopped are what BIP324
 *    and Core v31.1 (src/net.cpp, V2Transport) prescribe; the rule is
 *    quoted above each check;
 *  - the misbehaving side's SENT events are the bytes it queued. The test
 *    takes the stream apart itself, without the transport: the key must
 *    be the 64-byte ElligatorSwift encoding of the side's fixed private
 *    key; the shared secret and keys come from cry_bip324_ecdh and
 *    btc_v2c_derive_keys over the two keys on the wire (both checked
 *    against BIP324's vectors in test_v2cipher.c); the terminator must be
 *    the derived one; every packet event is decrypted with the receiving
 *    side's cipher (btc_v2c_init_keys with the other role), its length,
 *    ignore bit, message type and payload length compared with the event.
 *    A switch's rewrite must be found exactly where the switch says (a bit
 *    of the terminator, the length, the tag, the garbage), and undoing it
 *    must give a packet that verifies: nothing else changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btc/handshake.h"
#include "btc/v2.h"
#include "btc/v2cipher.h"
#include "crypto/secp.h"
#include "hs_config.h"
#include "testutil.h"

#define SEC	UINT64_C(1000000000)
#define T0	(UINT64_C(1000) * SEC)
#define LOG_MAX 512
#define STREAM	(32 * 1024)

struct side {
	struct btc_hs hs;
	struct btc_hs_config cfg;
	struct btc_v2_fixed fixed;
	uint8_t priv[32];
	uint64_t seed;
	bool initiator;
	struct btc_event log[LOG_MAX];
	size_t nlog;
	uint8_t sent[STREAM]; /* everything drained from btc_hs_output */
	size_t nsent;
};

static struct side mis, hon;

static void drain(struct side *s)
{
	struct btc_event ev;

	while (btc_hs_next_event(&s->hs, &ev)) {
		assert_true(s->nlog < LOG_MAX);
		s->log[s->nlog++] = ev;
	}
	assert_int_equal(btc_hs_events_lost(&s->hs), 0);
}

static void side_config(struct side *s, uint64_t seed, const char *ua, enum btc_transport_kind kind)
{
	memset(s, 0, sizeof(*s));
	s->seed = seed;
	hs_test_config(&s->cfg, &s->seed, ua);
	s->cfg.transport = kind;
	s->cfg.v2_garbage_len = 10;
	do
		tu_rng(&s->seed, s->priv, sizeof(s->priv));
	while (!cry_secp_priv_valid(s->priv));
	s->fixed.privkey = s->priv;
	s->cfg.v2_fixed = &s->fixed;
}

/* from's output into to, in pieces of at most max bytes. */
static size_t pump(struct side *from, struct side *to, size_t max)
{
	const uint8_t *p;
	size_t n = btc_hs_output(&from->hs, &p);

	assert_true(n <= sizeof(from->sent) - from->nsent);
	memcpy(from->sent + from->nsent, p, n);
	from->nsent += n;
	for (size_t off = 0, k; off < n; off += k) {
		k = n - off < max ? n - off : max;
		if (btc_hs_input(&to->hs, T0, p + off, k) != PS_OK) {
			/* a failure: the events say which */
		}
	}
	btc_hs_consume(&from->hs, n);
	drain(from);
	drain(to);
	return n;
}

/* A v2 exchange: mis (v2_bugs, in role) against an honest core, until
 * both are quiet; each side's output in pieces of at most max bytes. */
static void exchange_chunked(enum btc_role role, uint32_t bugs, unsigned decoys, size_t glen,
			     uint64_t seed, size_t max)
{
	bool mis_init = role == BTC_INITIATOR;

	side_config(&mis, seed, "/mis:1/", mis_init ? BTC_TRANSPORT_V2 : BTC_TRANSPORT_DETECT);
	side_config(&hon, seed + 1000, "/hon:2/",
		    mis_init ? BTC_TRANSPORT_DETECT : BTC_TRANSPORT_V2);
	mis.cfg.v2_bugs = bugs;
	mis.cfg.v2_decoys = decoys;
	mis.cfg.v2_garbage_len = glen;
	mis.initiator = mis_init;
	hon.initiator = !mis_init;
	assert_int_equal(btc_hs_init(&mis.hs, role, &mis.cfg, T0), PS_OK);
	assert_int_equal(
		btc_hs_init(&hon.hs, mis_init ? BTC_RESPONDER : BTC_INITIATOR, &hon.cfg, T0),
		PS_OK);
	drain(&mis);
	drain(&hon);
	for (int turn = 0; turn < 40; turn++) {
		size_t moved = mis_init ? pump(&mis, &hon, max) + pump(&hon, &mis, max)
					: pump(&hon, &mis, max) + pump(&mis, &hon, max);
		if (moved == 0)
			return;
	}
	fail_msg("the sides never went quiet");
}

static void exchange(enum btc_role role, uint32_t bugs, unsigned decoys, size_t glen)
{
	exchange_chunked(role, bugs, decoys, glen, 11, 100000);
}

/* ---- the stream taken apart ------------------------------------------------------------- */

/* What a switch did to the stream, where the walk must find it. */
enum {
	W_TERM_FLIPPED = 1 << 0,   /* the terminator's first bit */
	W_TERM_INVERTED = 1 << 1,  /* 16 bytes, each the terminator's inverted; nothing after */
	W_LEN_FLIPPED = 1 << 2,	   /* bit 0 of the version packet's first length byte */
	W_TAG_FLIPPED = 1 << 3,	   /* bit 0 of the version packet's last tag byte */
	W_GARBAGE_FLIPPED = 1 << 4 /* bit 0 of the first garbage byte */
};

/* What the walk saw. */
struct walk {
	size_t garbage;	     /* garbage bytes */
	size_t decoys_pre;   /* decoys between terminator and version packet */
	size_t version_len;  /* the version packet's contents */
	bool version_packet; /* one verified */
	bool v1_version;     /* a v1 version frame where the version packet goes */
	bool long_ping;	     /* a ping with the 12-byte type */
	uint32_t oversize;   /* a bare length's announced contents (0: none) */
	size_t messages, decoys_after, unknown_ids;
};

static bool note_is(const struct btc_event *ev, const char *note)
{
	return ev->note && strncmp(ev->note, note, strlen(note)) == 0;
}

/* Walk s's SENT events over the bytes it sent (other: the peer, whose key
 * is the first 64 bytes it sent), expecting the rewrites in flags. */
static void walk_sent(const struct side *s, const struct side *other, unsigned flags,
		      struct walk *out)
{
	static uint8_t buf[STREAM];
	uint8_t x[32], dec[32], secret[32], plain[STREAM];
	struct btc_v2c_keys k;
	struct btc_v2c rx;
	const uint8_t *aad = NULL, *term;
	size_t aadlen = 0, off = 0;
	uint64_t sum = 0;
	bool keys = false, first_packet = true, ended = false;

	memset(out, 0, sizeof(*out));
	memcpy(buf, s->sent, s->nsent);
	for (size_t e = 0; e < s->nlog; e++)
		if (s->log[e].type == BTC_EV_SENT)
			sum += s->log[e].bytes;
	/* (a) the events account for every byte queued */
	assert_int_equal(sum, s->nsent);
	if (other->nsent >= 64) {
		assert_int_equal(
			cry_bip324_ecdh(secret, s->priv, other->sent, s->sent, s->initiator),
			PS_OK);
		assert_int_equal(btc_v2c_derive_keys(&k, secret, s->cfg.magic), PS_OK);
		/* the receiver's cipher: the same keys, the other role */
		btc_v2c_init_keys(&rx, &k, !s->initiator);
		keys = true;
	}
	term = s->initiator ? k.initiator_garbage_terminator : k.responder_garbage_terminator;
	for (size_t e = 0; e < s->nlog; e++) {
		const struct btc_event *ev = &s->log[e];
		uint8_t *b = buf + off;
		size_t n = (size_t)ev->bytes;

		if (ev->type != BTC_EV_SENT)
			continue;
		assert_false(ended); /* nothing after a piece that ends the stream */
		assert_true(n >= 1 && s->nsent - off >= n);
		if (off == 0) {
			/* the key: BIP324 "ellswift_create()", of our private key */
			assert_true(note_is(ev, "v2 key"));
			assert_int_equal(n, 64);
			cry_ellswift_decode(dec, b);
			assert_int_equal(cry_secp_pubkey_x(x, s->priv), PS_OK);
			assert_memory_equal(dec, x, 32);
		} else if (note_is(ev, "v2 garbage terminator") ||
			   note_is(ev, "v2 16 bytes that are not")) {
			assert_true(keys);
			assert_int_equal(n, 16);
			if (flags & W_TERM_INVERTED) {
				for (size_t i = 0; i < 16; i++)
					assert_int_equal(b[i], term[i] ^ 0xff);
				ended = true;
			} else {
				if (flags & W_TERM_FLIPPED)
					b[0] ^= 0x01;
				assert_memory_equal(b, term, 16);
			}
		} else if (note_is(ev, "v2 garbage")) {
			assert_int_equal(ev->length, n);
			out->garbage = n;
			/* the aad is the garbage as it was made */
			if (flags & W_GARBAGE_FLIPPED)
				b[0] ^= 0x01;
			aad = b;
			aadlen = n;
		} else if (ev->cmd == BTC_CMD_VERSION && n == BTC_HEADER_LEN + ev->length &&
			   memcmp(b, s->cfg.magic, 4) == 0) {
			/* a v1 frame: magic | "version\0..." | length | SHA256d[0..4) */
			uint8_t h[32];

			assert_memory_equal(b + 4, "version\0\0\0\0\0", 12);
			assert_int_equal(ps_load_u32le(b + 16), ev->length);
			cry_sha256d(h, b + BTC_HEADER_LEN, ev->length);
			assert_memory_equal(b + 20, h, 4);
			out->v1_version = true;
			ended = true;
		} else {
			/* a packet: length (3) | header + contents | tag (16) */
			bool is_version = note_is(ev, "v2 version packet"), ignore = false;
			const uint8_t *contents;
			uint32_t len;
			struct btc_v2c copy;

			assert_true(keys);
			if (n == BTC_V2_LENGTH_LEN) {
				/* a bare length (v2-oversize): what it announces */
				assert_int_equal(btc_v2c_decrypt_length(&rx, &len, b), PS_OK);
				out->oversize = len;
				assert_int_equal(ev->length, len - 13);
				ended = true;
				off += n;
				continue;
			}
			assert_true(n >= BTC_V2_EXPANSION);
			if (is_version && (flags & W_LEN_FLIPPED)) {
				/* as sent, the length is one more than the packet */
				copy = rx;
				assert_int_equal(btc_v2c_decrypt_length(&copy, &len, b), PS_OK);
				assert_int_equal(len, n - BTC_V2_EXPANSION + 1);
				b[0] ^= 0x01;
			}
			if (is_version && (flags & W_TAG_FLIPPED)) {
				/* as sent, it does not verify */
				copy = rx;
				assert_int_equal(btc_v2c_decrypt_length(&copy, &len, b), PS_OK);
				assert_int_equal(btc_v2c_decrypt(&copy, &ignore, &contents, plain,
								 sizeof(plain), b + 3, n - 3,
								 first_packet ? aad : NULL,
								 first_packet ? aadlen : 0),
						 PS_ERR_DECRYPT);
				b[n - 1] ^= 0x01;
			}
			if (first_packet && (flags & W_GARBAGE_FLIPPED)) {
				/* with the garbage as it went out, it does not verify */
				copy = rx;
				assert_int_equal(btc_v2c_decrypt_length(&copy, &len, b), PS_OK);
				assert_int_equal(btc_v2c_decrypt(&copy, &ignore, &contents, plain,
								 sizeof(plain), b + 3, n - 3,
								 s->sent + 64, aadlen),
						 PS_ERR_DECRYPT);
			}
			assert_int_equal(btc_v2c_decrypt_length(&rx, &len, b), PS_OK);
			assert_int_equal(len, n - BTC_V2_EXPANSION);
			/* BIP324: "the first encrypted packet ... will make use of
			 * the associated authenticated data (AAD) feature of the AEAD
			 * to authenticate the garbage" */
			assert_int_equal(btc_v2c_decrypt(&rx, &ignore, &contents, plain,
							 sizeof(plain), b + 3, n - 3,
							 first_packet ? aad : NULL,
							 first_packet ? aadlen : 0),
					 PS_OK);
			first_packet = false;
			if (note_is(ev, "v2 decoy")) {
				assert_true(ignore);
				assert_int_equal(ev->length, len);
				if (out->version_packet)
					out->decoys_after++;
				else
					out->decoys_pre++;
			} else if (is_version) {
				assert_false(ignore);
				assert_false(out->version_packet);
				assert_int_equal(ev->length, len);
				out->version_packet = true;
				out->version_len = len;
			} else if (note_is(ev, "v2 message with short id 255")) {
				assert_false(ignore);
				assert_true(len >= 1 && contents[0] == 0xff);
				assert_int_equal(ev->length, len);
				out->unknown_ids++;
			} else {
				/* a message: BIP324 "either a one byte ID in range
				 * 1..255 or b'\x00' followed by a 12-byte ASCII message
				 * type"; the event's command and payload length */
				char name[13] = { 0 };
				size_t tl;

				assert_false(ignore);
				assert_true(out->version_packet);
				assert_true(len >= 1);
				if (contents[0]) {
					assert_non_null(btc_v2_short_name(contents[0]));
					strcpy(name, btc_v2_short_name(contents[0]));
					tl = 1;
				} else {
					assert_true(len >= 13);
					memcpy(name, contents + 1, 12);
					tl = 13;
					if (strcmp(name, "ping") == 0)
						out->long_ping = true;
				}
				assert_string_equal(ev->command, name);
				assert_int_equal(ev->length, len - tl);
				out->messages++;
			}
		}
		off += n;
	}
	assert_int_equal(off, s->nsent);
	if (keys)
		btc_v2c_keys_wipe(&k);
	btc_v2c_wipe(&rx);
}

/* ---- what the honest side logged -------------------------------------------------------- */

/* The last event of type; fails the test when there is none (so the
 * callers never see NULL: gcc -Wnull-dereference follows abort()). */
static const struct btc_event *last_of(const struct side *s, enum btc_ev_type type)
{
	for (size_t e = s->nlog; e-- > 0;)
		if (s->log[e].type == type)
			return &s->log[e];
	fail_msg("no event of type %d", (int)type);
	abort();
}

static size_t count(const struct side *s, enum btc_ev_type type, const char *note)
{
	size_t n = 0;

	for (size_t e = 0; e < s->nlog; e++)
		if (s->log[e].type == type && (!note || note_is(&s->log[e], note)))
			n++;
	return n;
}

/* Where the first event of type whose note (or command) is what comes
 * among the RECV and DROPPED events: the order the peer took things in. */
static size_t index_of(const struct side *s, enum btc_ev_type type, const char *what)
{
	size_t k = 0;

	for (size_t e = 0; e < s->nlog; e++) {
		const struct btc_event *ev = &s->log[e];

		if (ev->type != BTC_EV_RECV && ev->type != BTC_EV_DROPPED)
			continue;
		if (ev->type == type && (note_is(ev, what) || strcmp(ev->command, what) == 0))
			return k;
		k++;
	}
	fail_msg("no event %d %s", (int)type, what);
	return 0;
}

/* The RECV or DROPPED event at index k of index_of's order. */
static const struct btc_event *taken(const struct side *s, size_t k)
{
	for (size_t e = 0; e < s->nlog; e++)
		if ((s->log[e].type == BTC_EV_RECV || s->log[e].type == BTC_EV_DROPPED) && k-- == 0)
			return &s->log[e];
	fail_msg("no event #%zu", k);
	abort();
}

static void assert_failed(const struct side *s, int err, const char *note)
{
	const struct btc_event *f = last_of(s, BTC_EV_FAILED);

	assert_int_equal(btc_hs_outcome(&s->hs), PS_FAILED);
	assert_int_equal(btc_hs_error(&s->hs), err);
	assert_non_null(f);
	assert_int_equal(f->err, err);
	if (note)
		assert_string_equal(btc_hs_note(&s->hs), note);
}

static void assert_both_succeed(void)
{
	assert_int_equal(btc_hs_outcome(&mis.hs), PS_SUCCESS);
	assert_int_equal(btc_hs_outcome(&hon.hs), PS_SUCCESS);
}

/* The honest side gives up at its deadline (Core: InactivityCheck after
 * -peertimeout, "V2 handshake timeout" while the transport is still
 * DETECTING - GetInfo reports v2 only once the version packet verified). */
static void expect_timeout(struct side *s)
{
	assert_false(btc_hs_ended(&s->hs));
	btc_hs_handle_expiry(&s->hs, T0 + 61 * SEC);
	drain(s);
	assert_failed(s, PS_ERR_TIMEOUT, NULL);
}

/* ---- the switches ------------------------------------------------------------------------- */

static void test_honest_baseline(void **state)
{
	struct walk w;

	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		exchange((enum btc_role)role, 0, 0, 10);
		assert_both_succeed();
		walk_sent(&mis, &hon, 0, &w);
		assert_true(w.version_packet && w.version_len == 0 && w.garbage == 10);
		assert_int_equal(w.messages, 4); /* version, wtxidrelay, sendaddrv2, verack */
		walk_sent(&hon, &mis, 0, &w);
	}
}

static void test_garbage_4096(void **state)
{
	struct walk w;

	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		exchange((enum btc_role)role, BTC_V2_BUG_GARBAGE_4096, 0, 10);
		walk_sent(&mis, &hon, 0, &w);
		/* 4096 bytes, and the version packet authenticates all of them:
		 * only the limit can make a peer refuse it */
		assert_int_equal(w.garbage, 4096);
		assert_true(w.version_packet);
		/* BIP324 "Receive up to 4111 bytes, stopping when encountering
		 * the garbage terminator"; Core: "We've reached the maximum length
		 * for garbage + garbage terminator, and the terminator still does
		 * not match. Abort." */
		assert_failed(&hon, PS_ERR_PROTOCOL, "missing garbage terminator");
		assert_int_equal(last_of(&hon, BTC_EV_FAILED)->bytes, 4095 + 16);
		walk_sent(&hon, &mis, 0, &w);
	}
}

static void test_no_terminator(void **state)
{
	struct walk w;

	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		exchange((enum btc_role)role, BTC_V2_BUG_NO_TERMINATOR, 0, 10);
		walk_sent(&mis, &hon, W_TERM_INVERTED, &w);
		/* key, 4095 of garbage, 16 bytes not the terminator, nothing more */
		assert_int_equal(w.garbage, 4095);
		assert_int_equal(mis.nsent, 64 + 4095 + 16);
		/* the peer gives up on the last of those 4095 + 16 bytes */
		assert_failed(&hon, PS_ERR_PROTOCOL, "missing garbage terminator");
		assert_int_equal(last_of(&hon, BTC_EV_FAILED)->bytes, 4095 + 16);
		assert_int_equal(btc_hs_bytes_in(&hon.hs), 64 + 4095 + 16);
	}
}

static void test_wrong_terminator(void **state)
{
	struct walk w;

	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		/* a short garbage: the peer keeps scanning what follows as
		 * garbage; ours is far from 4111 bytes, so it waits (Core: until
		 * -peertimeout, "V2 handshake timeout") */
		exchange((enum btc_role)role, BTC_V2_BUG_WRONG_TERMINATOR, 0, 10);
		walk_sent(&mis, &hon, W_TERM_FLIPPED, &w);
		assert_true(w.version_packet);
		assert_int_equal(count(&hon, BTC_EV_RECV, "v2 garbage and terminator"), 0);
		expect_timeout(&hon);
		/* a garbage of 4095: the wrong terminator's last byte is byte
		 * 4111, where BIP324 and Core give up */
		exchange((enum btc_role)role, BTC_V2_BUG_WRONG_TERMINATOR, 0, 4095);
		walk_sent(&mis, &hon, W_TERM_FLIPPED, &w);
		assert_failed(&hon, PS_ERR_PROTOCOL, "missing garbage terminator");
		assert_int_equal(last_of(&hon, BTC_EV_FAILED)->bytes, 4095 + 16);
	}
}

static void test_flip_length(void **state)
{
	struct walk w;

	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		exchange((enum btc_role)role, BTC_V2_BUG_FLIP_LENGTH, 0, 10);
		walk_sent(&mis, &hon, W_LEN_FLIPPED, &w);
		/* the length says 1: the peer takes 1 + 1 + 16 bytes after it,
		 * one of the next packet, and the tag fails (BIP324: "the plaintext
		 * length is still implicitly authenticated by the encryption of
		 * the plaintext"; Core: "V2 transport error: packet decryption
		 * failure") */
		assert_failed(&hon, PS_ERR_DECRYPT, "packet decryption failure");
		assert_int_equal(last_of(&hon, BTC_EV_FAILED)->length, 1);
		assert_int_equal(last_of(&hon, BTC_EV_FAILED)->bytes, 3 + 1 + 1 + 16);
		assert_int_equal(count(&hon, BTC_EV_RECV, "v2 garbage and terminator"), 1);
	}
}

static void test_flip_tag(void **state)
{
	struct walk w;

	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		exchange((enum btc_role)role, BTC_V2_BUG_FLIP_TAG, 0, 10);
		walk_sent(&mis, &hon, W_TAG_FLIPPED, &w);
		/* BIP324 v2_receive_packet: "if plaintext is None:
		 * disconnect(peer)"; on the packet's last byte */
		assert_failed(&hon, PS_ERR_DECRYPT, "packet decryption failure");
		assert_int_equal(last_of(&hon, BTC_EV_FAILED)->bytes, 20);
		assert_int_equal(count(&hon, BTC_EV_RECV, "v2 version packet"), 0);
	}
}

static void test_flip_garbage(void **state)
{
	struct walk w;

	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		exchange((enum btc_role)role, BTC_V2_BUG_FLIP_GARBAGE, 0, 10);
		walk_sent(&mis, &hon, W_GARBAGE_FLIPPED, &w);
		assert_int_equal(w.garbage, 10);
		/* the peer authenticates the garbage it received as the first
		 * packet's aad ("Store garbage to authenticate it as AAD later"):
		 * the version packet fails */
		assert_failed(&hon, PS_ERR_DECRYPT, "packet decryption failure");
		assert_int_equal(last_of(&hon, BTC_EV_FAILED)->bytes, 20);
	}
	/* a random garbage length is drawn from 1..4095, never 0 */
	for (uint64_t seed = 1; seed < 20; seed++) {
		side_config(&mis, seed, "/mis:1/", BTC_TRANSPORT_V2);
		mis.cfg.v2_garbage_random = true;
		mis.cfg.v2_bugs = BTC_V2_BUG_FLIP_GARBAGE;
		assert_int_equal(btc_hs_init(&mis.hs, BTC_INITIATOR, &mis.cfg, T0), PS_OK);
		assert_true(btc_hs_output(&mis.hs, &(const uint8_t *){ NULL }) > 64);
	}
	/* and a fixed length of 0 cannot be flipped */
	side_config(&mis, 1, "/mis:1/", BTC_TRANSPORT_V2);
	mis.cfg.v2_garbage_len = 0;
	mis.cfg.v2_bugs = BTC_V2_BUG_FLIP_GARBAGE;
	assert_int_equal(btc_hs_init(&mis.hs, BTC_INITIATOR, &mis.cfg, T0), PS_ERR_INVALID_ARG);
}

static void test_decoys(void **state)
{
	static const unsigned ns[] = { 1, 3, 64 };
	struct walk w;

	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
			/* pieces of 200 bytes: what one call takes stays within
			 * the event ring */
			exchange_chunked((enum btc_role)role, BTC_V2_BUG_DECOYS, ns[k], 10, 11,
					 200);
			walk_sent(&mis, &hon, 0, &w);
			assert_int_equal(w.decoys_pre, ns[k]);
			/* BIP324: "Decoy packets are to be ignored by the receiver
			 * apart from verifying they decrypt correctly" (the first
			 * of them carrying the garbage as aad); Core: "If it's not
			 * a decoy, which we simply ignore" */
			assert_both_succeed();
			assert_int_equal(count(&hon, BTC_EV_RECV, "v2 decoy"), ns[k]);
			assert_true(index_of(&hon, BTC_EV_RECV, "v2 decoy") <
				    index_of(&hon, BTC_EV_RECV, "v2 version packet"));
		}
	}
	side_config(&mis, 1, "/mis:1/", BTC_TRANSPORT_V2);
	mis.cfg.v2_bugs = BTC_V2_BUG_DECOYS;
	mis.cfg.v2_decoys = 65;
	assert_int_equal(btc_hs_init(&mis.hs, BTC_INITIATOR, &mis.cfg, T0), PS_ERR_INVALID_ARG);
	mis.cfg.v2_decoys = 0;
	assert_int_equal(btc_hs_init(&mis.hs, BTC_INITIATOR, &mis.cfg, T0), PS_ERR_INVALID_ARG);
}

static void test_decoy_around_version(void **state)
{
	struct walk w;
	size_t dec, ver;

	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		/* BIP324: "Either peer may send such decoy packets at any point
		 * from here on" */
		exchange((enum btc_role)role, BTC_V2_BUG_DECOY_BEFORE_VERSION, 0, 10);
		walk_sent(&mis, &hon, 0, &w);
		assert_int_equal(w.decoys_pre, 0);
		assert_int_equal(w.decoys_after, 1);
		assert_both_succeed();
		dec = index_of(&hon, BTC_EV_RECV, "v2 decoy");
		ver = index_of(&hon, BTC_EV_RECV, "version");
		assert_true(index_of(&hon, BTC_EV_RECV, "v2 version packet") < dec && dec < ver);

		exchange((enum btc_role)role, BTC_V2_BUG_DECOY_AFTER_VERSION, 0, 10);
		walk_sent(&mis, &hon, 0, &w);
		assert_int_equal(w.decoys_after, 1);
		assert_both_succeed();
		dec = index_of(&hon, BTC_EV_RECV, "v2 decoy");
		ver = index_of(&hon, BTC_EV_RECV, "version");
		assert_int_equal(dec, ver + 1);
	}
}

/* A decoy after our verack whose contents are a ping: the honest side
 * verifies it, ignores it ("Decoy packets are to be ignored"), sends no
 * pong. */
static void test_decoy_ping(void **state)
{
	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		size_t d;

		exchange((enum btc_role)role, BTC_V2_BUG_DECOY_PING, 0, 10);
		assert_both_succeed();
		d = index_of(&hon, BTC_EV_RECV, "v2 decoy");
		assert_true(d > index_of(&hon, BTC_EV_RECV, "verack"));
		assert_int_equal(taken(&hon, d)->length, 9);
		for (size_t e = 0; e < hon.nlog; e++)
			assert_false(hon.log[e].type == BTC_EV_SENT &&
				     hon.log[e].cmd == BTC_CMD_PONG);
		assert_int_equal(count(&mis, BTC_EV_SENT, "v2 decoy (a ping inside)"), 1);
	}
}

static void test_version_contents(void **state)
{
	struct walk w;

	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		exchange((enum btc_role)role, BTC_V2_BUG_VERSION_CONTENTS, 0, 10);
		walk_sent(&mis, &hon, 0, &w);
		assert_int_equal(w.version_len, 8);
		/* BIP324: "Receives a packet, ignores its contents"; Core: "The
		 * contents is ignored, but can be used for future extensions" */
		assert_both_succeed();
		assert_int_equal(
			taken(&hon, index_of(&hon, BTC_EV_RECV, "v2 version packet"))->length, 8);
	}
}

static void test_unknown_short_id(void **state)
{
	struct walk w;
	size_t d;

	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		exchange((enum btc_role)role, BTC_V2_BUG_UNKNOWN_SHORT_ID, 0, 10);
		walk_sent(&mis, &hon, 0, &w);
		assert_int_equal(w.unknown_ids, 1);
		/* Core GetMessageType: "Unknown short message id" -> nullopt;
		 * ReceiveMsgBytes: "Drop the message but don't disconnect the
		 * peer" */
		assert_both_succeed();
		d = index_of(&hon, BTC_EV_DROPPED, "unknown short message id");
		assert_int_equal(taken(&hon, d)->err, PS_ERR_BAD_COMMAND);
		assert_int_equal(taken(&hon, d)->length, 5);
		assert_int_equal(d, index_of(&hon, BTC_EV_RECV, "version") + 1);
	}
}

static void test_oversize(void **state)
{
	struct walk w;

	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		exchange((enum btc_role)role, BTC_V2_BUG_OVERSIZE, 0, 10);
		walk_sent(&mis, &hon, 0, &w);
		/* Core's MAX_CONTENTS_LEN is 1 + 12 + 4,000,000: one more */
		assert_int_equal(w.oversize, 4000014);
		assert_int_equal(w.messages, 0);
		/* Core: "if (m_recv_len > MAX_CONTENTS_LEN) ... packet too large",
		 * on the length's third byte, before any contents */
		assert_failed(&hon, PS_ERR_TOO_LARGE, "packet too large");
		assert_int_equal(last_of(&hon, BTC_EV_FAILED)->length, 4000014);
		assert_int_equal(last_of(&hon, BTC_EV_FAILED)->bytes, 3);
	}
}

static void test_key_only(void **state)
{
	struct walk w;

	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		exchange((enum btc_role)role, BTC_V2_BUG_KEY_ONLY, 0, 10);
		walk_sent(&mis, &hon, 0, &w);
		assert_int_equal(mis.nsent, 64);
		assert_int_equal(count(&mis, BTC_EV_SENT, NULL), 1);
		/* the peer has our key and waits for our terminator: no rule ends
		 * it but the deadline (Core: "V2 handshake timeout") */
		assert_int_equal(count(&hon, BTC_EV_RECV, "v2 key"), 1);
		expect_timeout(&hon);
		/* the peer's messages (a responder has the initiator's version)
		 * do not make us send again */
		btc_hs_handle_expiry(&mis.hs, T0 + 61 * SEC);
		drain(&mis);
		assert_int_equal(btc_hs_error(&mis.hs), PS_ERR_TIMEOUT);
		assert_int_equal(btc_hs_output(&mis.hs, &(const uint8_t *){ NULL }), 0);
		assert_int_equal(count(&mis, BTC_EV_SENT, NULL), 1);
	}
}

static void test_byte_at_a_time(void **state)
{
	struct walk w;

	(void)state;
	/* v2-byte-at-a-time is the session's write shaping (cli/bugs.c,
	 * net/session.h struct net_shape: chunk 1, 1 ms apart); what the peer's
	 * core sees of it is our stream a byte per read: key, garbage and
	 * terminator scanned byte by byte (Core: "Process garbage bytes one
	 * by one") */
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		exchange_chunked((enum btc_role)role, 0, 0, 10, 11, 1);
		assert_both_succeed();
		walk_sent(&mis, &hon, 0, &w);
		exchange_chunked((enum btc_role)role, 0, 0, 4095, 12, 1);
		assert_both_succeed();
	}
}

static void test_v1_version(void **state)
{
	struct walk w;
	int seen_large = 0, seen_other = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 60; seed++) {
		for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
			struct btc_v2c_keys k;
			struct btc_v2c rx;
			uint8_t secret[32];
			uint32_t len;
			size_t after, at;

			exchange_chunked((enum btc_role)role, BTC_V2_BUG_V1_VERSION, 0, 10, seed,
					 100000);
			walk_sent(&mis, &hon, 0, &w);
			assert_true(w.v1_version && !w.version_packet);
			/* what the peer makes of the v1 magic as a packet length */
			assert_int_equal(cry_bip324_ecdh(secret, mis.priv, hon.sent, mis.sent,
							 mis.initiator),
					 PS_OK);
			assert_int_equal(btc_v2c_derive_keys(&k, secret, mis.cfg.magic), PS_OK);
			btc_v2c_init_keys(&rx, &k, !mis.initiator);
			at = 64 + 10 + 16;
			assert_int_equal(btc_v2c_decrypt_length(&rx, &len, mis.sent + at), PS_OK);
			after = mis.nsent - at;
			btc_v2c_wipe(&rx);
			btc_v2c_keys_wipe(&k);
			if (len > BTC_V2_MAX_MSG_CONTENTS) {
				/* Core: "packet too large" */
				assert_failed(&hon, PS_ERR_TOO_LARGE, "packet too large");
				seen_large++;
			} else if (3 + 1 + (size_t)len + 16 <= after) {
				/* the packet is all there: its tag fails */
				assert_failed(&hon, PS_ERR_DECRYPT, "packet decryption failure");
				seen_other++;
			} else {
				/* the rest never comes */
				expect_timeout(&hon);
				seen_other++;
			}
		}
	}
	/* both branches of the rule were met */
	assert_true(seen_large > 0 && seen_other > 0);
}

static void test_close_after_key(void **state)
{
	struct walk w;

	(void)state;
	/* an initiator is over at init, its key queued */
	side_config(&mis, 1, "/mis:1/", BTC_TRANSPORT_V2);
	mis.cfg.v2_bugs = BTC_V2_BUG_CLOSE_AFTER_KEY;
	assert_int_equal(btc_hs_init(&mis.hs, BTC_INITIATOR, &mis.cfg, T0), PS_OK);
	assert_true(btc_hs_ended(&mis.hs));
	assert_int_equal(btc_hs_output(&mis.hs, &(const uint8_t *){ NULL }), 64);
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		exchange((enum btc_role)role, BTC_V2_BUG_CLOSE_AFTER_KEY, 0, 10);
		walk_sent(&mis, &hon, 0, &w);
		assert_int_equal(mis.nsent, 64);
		assert_failed(&mis, PS_ERR_CLOSED, NULL);
		/* the close reaches the peer: it had our key, nothing else */
		btc_hs_close(&hon.hs, PS_ERR_CLOSED);
		drain(&hon);
		assert_failed(&hon, PS_ERR_CLOSED, "connection closed");
		/* an initiator that received a byte does not retry with v1 (Core
		 * ShouldReconnectV1: "We only reconnect in the very first state
		 * and when the receive buffer is empty") */
		assert_false(btc_hs_v2_peer_silent(&hon.hs));
	}
}

static void test_long_types(void **state)
{
	struct btc_msg ping;
	struct walk w;

	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		exchange((enum btc_role)role, BTC_V2_BUG_LONG_TYPES, 0, 10);
		assert_both_succeed();
		memset(&ping, 0, sizeof(ping));
		ping.cmd = BTC_CMD_PING;
		ping.u.ping.has_nonce = true;
		ping.u.ping.nonce = 7;
		assert_int_equal(btc_hs_send(&mis.hs, &ping), PS_OK);
		drain(&mis);
		(void)pump(&mis, &hon, 100000);
		(void)pump(&hon, &mis, 100000);
		walk_sent(&mis, &hon, 0, &w);
		/* "ping" has short id 18; ours went with its 12-byte type, which
		 * BIP324 says a peer "should accept": the peer answers it */
		assert_true(w.long_ping);
		assert_int_equal(last_of(&hon, BTC_EV_SENT)->cmd, BTC_CMD_PONG);
		assert_int_equal(last_of(&mis, BTC_EV_RECV)->cmd, BTC_CMD_PONG);
	}
}

/* Every switch and all of them at once: the accounting and the walk. */
static void test_every_switch_accounted(void **state)
{
	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		for (int bit = 0; bit < 17; bit++) {
			struct walk w;
			uint32_t b = UINT32_C(1) << bit;
			unsigned flags = b == BTC_V2_BUG_NO_TERMINATOR	    ? W_TERM_INVERTED
					 : b == BTC_V2_BUG_WRONG_TERMINATOR ? W_TERM_FLIPPED
					 : b == BTC_V2_BUG_FLIP_LENGTH	    ? W_LEN_FLIPPED
					 : b == BTC_V2_BUG_FLIP_TAG	    ? W_TAG_FLIPPED
					 : b == BTC_V2_BUG_FLIP_GARBAGE	    ? W_GARBAGE_FLIPPED
									    : 0;

			exchange((enum btc_role)role, b, 5, 10);
			walk_sent(&mis, &hon, flags, &w);
			walk_sent(&hon, &mis, 0, &w);
		}
	}
	/* v1 runs refuse them */
	side_config(&mis, 1, "/mis:1/", BTC_TRANSPORT_V1);
	mis.cfg.v2_bugs = BTC_V2_BUG_FLIP_TAG;
	assert_int_equal(btc_hs_init(&mis.hs, BTC_INITIATOR, &mis.cfg, T0), PS_ERR_UNSUPPORTED);
}

/* A DETECT responder meeting a v1 peer drops its v2 switches (and one
 * meeting a v2 peer its v1 frame rewrites): the connection is honest. */
static void test_detect_drops_other_transport(void **state)
{
	(void)state;
	side_config(&mis, 3, "/mis:1/", BTC_TRANSPORT_DETECT);
	side_config(&hon, 4, "/hon:2/", BTC_TRANSPORT_V1);
	mis.cfg.v2_bugs = BTC_V2_BUG_FLIP_TAG | BTC_V2_BUG_KEY_ONLY;
	assert_int_equal(btc_hs_init(&mis.hs, BTC_RESPONDER, &mis.cfg, T0), PS_OK);
	assert_int_equal(btc_hs_init(&hon.hs, BTC_INITIATOR, &hon.cfg, T0), PS_OK);
	for (int turn = 0; turn < 10; turn++)
		if (pump(&hon, &mis, 7) + pump(&mis, &hon, 7) == 0)
			break;
	assert_string_equal(btc_hs_transport(&mis.hs), "v1");
	assert_both_succeed();
	/* v2 peer, v1 frame rewrites: dropped, an honest v2 handshake */
	side_config(&mis, 3, "/mis:1/", BTC_TRANSPORT_DETECT);
	side_config(&hon, 4, "/hon:2/", BTC_TRANSPORT_V2);
	mis.cfg.bugs = BTC_BUG_BAD_CHECKSUM | BTC_BUG_WRONG_MAGIC;
	mis.initiator = false;
	hon.initiator = true;
	assert_int_equal(btc_hs_init(&mis.hs, BTC_RESPONDER, &mis.cfg, T0), PS_OK);
	assert_int_equal(btc_hs_init(&hon.hs, BTC_INITIATOR, &hon.cfg, T0), PS_OK);
	for (int turn = 0; turn < 10; turn++)
		if (pump(&hon, &mis, 100) + pump(&mis, &hon, 100) == 0)
			break;
	assert_string_equal(btc_hs_transport(&mis.hs), "v2");
	assert_both_succeed();
	assert_int_equal(count(&hon, BTC_EV_RECV, "ignored: redundant version"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_honest_baseline),
		cmocka_unit_test(test_garbage_4096),
		cmocka_unit_test(test_no_terminator),
		cmocka_unit_test(test_wrong_terminator),
		cmocka_unit_test(test_flip_length),
		cmocka_unit_test(test_flip_tag),
		cmocka_unit_test(test_flip_garbage),
		cmocka_unit_test(test_decoys),
		cmocka_unit_test(test_decoy_around_version),
		cmocka_unit_test(test_decoy_ping),
		cmocka_unit_test(test_version_contents),
		cmocka_unit_test(test_unknown_short_id),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_key_only),
		cmocka_unit_test(test_byte_at_a_time),
		cmocka_unit_test(test_v1_version),
		cmocka_unit_test(test_close_after_key),
		cmocka_unit_test(test_long_types),
		cmocka_unit_test(test_every_switch_accounted),
		cmocka_unit_test(test_detect_drops_other_transport),
	};

	if (cry_init() != PS_OK)
		return 1;
	return cmocka_run_group_tests_name("btc/v2_misbehave", tests, NULL, NULL);
}
