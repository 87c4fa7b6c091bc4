/*
 * test_peer.c - the sans-I/O NNpsk2 peer: two peers wired together in
 * memory, the bytes passed in random chunk sizes, agree on the handshake
 * hash, the payloads and the echo; every failure ends as FAILED with its
 * reason (wrong PSK, wrong prologue, a byte changed anywhere, a short frame,
 * a wrong echo, timeout, close); init refuses what it cannot run. In every
 * state of both roles, what the exchange waits for and, after a failure,
 * the message it is about (noise_peer_waiting_for, noise_peer_note); input
 * after the end is ignored.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "crypto/crypto.h"
#include "noise/frame.h"
#include "noise/handshake.h"
#include "noise/peer.h"
#include "testutil.h"

#define NOW 1000000000u

static const uint8_t P1[] = "initiator says hello";
static const uint8_t P2[] = "responder says hi";
static const uint8_t T[] = "transport: echo me back";
static const uint8_t PROLOGUE[] = "peershake/noise/1";

struct side {
	struct noise_peer peer;
	const uint8_t *payload1; /* what it was given to send in msg1 */
	size_t payload1_len;
	uint64_t seed;
	struct noise_peer_event ev[16];
	size_t n_ev;
};

static void config(struct noise_peer_config *c, const char *protocol, uint8_t psk_byte,
		   uint64_t *seed)
{
	memset(c, 0, sizeof(*c));
	c->protocol = protocol;
	memset(c->psk, psk_byte, sizeof(c->psk));
	c->prologue = PROLOGUE;
	c->prologue_len = sizeof(PROLOGUE);
	c->payload1 = P1;
	c->payload1_len = sizeof(P1);
	c->payload2 = P2;
	c->payload2_len = sizeof(P2);
	c->transport = T;
	c->transport_len = sizeof(T);
	c->timeout_ns = 5000000000u;
	c->rng = tu_rng;
	c->rng_ctx = seed;
	c->mem = tu_mem_default();
}

static void start(struct side *s, enum noise_peer_role role, const struct noise_peer_config *c)
{
	s->n_ev = 0;
	s->payload1 = c->payload1;
	s->payload1_len = c->payload1_len;
	assert_int_equal(noise_peer_init(&s->peer, role, c, NOW), PS_OK);
}

static void drain_events(struct side *s)
{
	struct noise_peer_event ev;

	while (noise_peer_next_event(&s->peer, &ev)) {
		assert_true(s->n_ev < sizeof(s->ev) / sizeof(s->ev[0]));
		s->ev[s->n_ev++] = ev;
	}
}

/* Move what `from` has to send into `to`, in chunks of 1..max bytes drawn
 * from *rng. Returns the bytes moved. */
static size_t move(struct side *from, struct side *to, uint64_t *rng, size_t max)
{
	size_t moved = 0;

	for (;;) {
		const uint8_t *data;
		size_t n = noise_peer_output(&from->peer, &data), chunk;
		uint8_t r[2];

		if (!n)
			break;
		tu_rng(rng, r, sizeof(r));
		chunk = 1 + ((size_t)r[0] | (size_t)r[1] << 8) % max;
		if (chunk > n)
			chunk = n;
		/* a failure shows in the receiver's outcome and events */
		if (noise_peer_input(&to->peer, NOW + 1, data, chunk) != PS_OK)
			assert_int_equal(noise_peer_outcome(&to->peer), PS_FAILED);
		noise_peer_consume(&from->peer, chunk);
		moved += chunk;
	}
	return moved;
}

static void run(struct side *i, struct side *r, uint64_t chunk_seed, size_t max)
{
	uint64_t rng = chunk_seed;

	while (move(i, r, &rng, max) + move(r, i, &rng, max))
		;
	drain_events(i);
	drain_events(r);
}

static void assert_event(const struct noise_peer_event *ev, enum noise_peer_ev_type type,
			 enum noise_peer_msg msg, size_t length)
{
	assert_int_equal(ev->type, type);
	assert_int_equal(ev->msg, msg);
	if (length)
		assert_int_equal(ev->length, length);
}

static void assert_success(struct side *i, struct side *r, size_t hashlen)
{
	const uint8_t *hi, *hr, *p;
	size_t hil, hrl, n;

	assert_int_equal(noise_peer_outcome(&i->peer), PS_SUCCESS);
	assert_int_equal(noise_peer_outcome(&r->peer), PS_SUCCESS);
	hi = noise_peer_handshake_hash(&i->peer, &hil);
	hr = noise_peer_handshake_hash(&r->peer, &hrl);
	assert_int_equal(hil, hashlen);
	assert_int_equal(hrl, hashlen);
	assert_memory_equal(hi, hr, hashlen);
	p = noise_peer_payload(&i->peer, &n);
	assert_int_equal(n, r->peer.cfg.payload2_len);
	if (n)
		assert_memory_equal(p, r->peer.cfg.payload2, n);
	p = noise_peer_payload(&r->peer, &n);
	assert_int_equal(n, i->payload1_len);
	if (n)
		assert_memory_equal(p, i->payload1, n);
	p = noise_peer_transport(&r->peer, &n);
	assert_int_equal(n, i->peer.cfg.transport_len);
	if (n)
		assert_memory_equal(p, i->peer.cfg.transport, n);
	p = noise_peer_transport(&i->peer, &n);
	assert_int_equal(n, i->peer.cfg.transport_len);
	if (n)
		assert_memory_equal(p, i->peer.cfg.transport, n);
	assert_int_equal(noise_peer_expiry(&i->peer), UINT64_MAX);
	assert_int_equal(noise_peer_expiry(&r->peer), UINT64_MAX);
}

static void pair(struct side *i, struct side *r, const char *protocol, uint8_t psk_i, uint8_t psk_r)
{
	struct noise_peer_config ci, cr;

	i->seed = 11;
	r->seed = 22;
	config(&ci, protocol, psk_i, &i->seed);
	config(&cr, protocol, psk_r, &r->seed);
	start(i, NOISE_PEER_INITIATOR, &ci);
	start(r, NOISE_PEER_RESPONDER, &cr);
}

static void finish(struct side *i, struct side *r)
{
	noise_peer_free(&i->peer);
	noise_peer_free(&r->peer);
}

/* The exchange in random chunk sizes, many times; events in order. */
static void test_wired(void **state)
{
	static struct side i, r;
	(void)state;

	for (uint64_t seed = 1; seed <= 60; seed++) {
		pair(&i, &r, NULL, 7, 7);
		assert_int_equal(noise_peer_expiry(&i.peer), NOW + 5000000000u);
		run(&i, &r, seed, seed % 3 == 0 ? 1 : 1 + seed * 3);
		assert_success(&i, &r, 32);

		assert_int_equal(i.n_ev, 6);
		assert_event(&i.ev[0], NOISE_PEER_EV_MSG_SENT, NOISE_PEER_MSG1, 48 + sizeof(P1));
		assert_event(&i.ev[1], NOISE_PEER_EV_MSG_RECV, NOISE_PEER_MSG2, 48 + sizeof(P2));
		assert_event(&i.ev[2], NOISE_PEER_EV_HANDSHAKE_DONE, NOISE_PEER_MSG_NONE, 0);
		assert_event(&i.ev[3], NOISE_PEER_EV_MSG_SENT, NOISE_PEER_TRANSPORT,
			     16 + sizeof(T));
		assert_event(&i.ev[4], NOISE_PEER_EV_MSG_RECV, NOISE_PEER_ECHO, 16 + sizeof(T));
		assert_event(&i.ev[5], NOISE_PEER_EV_SUCCESS, NOISE_PEER_MSG_NONE, 0);

		assert_int_equal(r.n_ev, 6);
		assert_event(&r.ev[0], NOISE_PEER_EV_MSG_RECV, NOISE_PEER_MSG1, 48 + sizeof(P1));
		assert_event(&r.ev[1], NOISE_PEER_EV_MSG_SENT, NOISE_PEER_MSG2, 48 + sizeof(P2));
		assert_event(&r.ev[2], NOISE_PEER_EV_HANDSHAKE_DONE, NOISE_PEER_MSG_NONE, 0);
		assert_event(&r.ev[3], NOISE_PEER_EV_MSG_RECV, NOISE_PEER_TRANSPORT,
			     16 + sizeof(T));
		assert_event(&r.ev[4], NOISE_PEER_EV_MSG_SENT, NOISE_PEER_ECHO, 16 + sizeof(T));
		assert_event(&r.ev[5], NOISE_PEER_EV_SUCCESS, NOISE_PEER_MSG_NONE, 0);
		finish(&i, &r);
	}
}

/* Other hashes (and AESGCM where available); the "Noise_" prefix optional. */
static void test_other_protocols(void **state)
{
	static const struct {
		const char *name;
		size_t hashlen;
	} protos[] = {
		{ "NNpsk2_25519_ChaChaPoly_BLAKE2s", 32 },
		{ "Noise_NNpsk2_25519_ChaChaPoly_BLAKE2b", 64 },
		{ "Noise_NNpsk2_25519_ChaChaPoly_SHA256", 32 },
		{ "NNpsk2_25519_ChaChaPoly_SHA512", 64 },
		{ "Noise_NNpsk2_25519_AESGCM_SHA256", 32 },
	};
	static struct side i, r;
	(void)state;

	for (size_t k = 0; k < sizeof(protos) / sizeof(protos[0]); k++) {
		if (strstr(protos[k].name, "AESGCM") && !cry_aead_available(CRY_AEAD_AESGCM)) {
			printf("%s skipped: AESGCM not available on this CPU\n", protos[k].name);
			continue;
		}
		pair(&i, &r, protos[k].name, 1, 1);
		run(&i, &r, k + 100, 17);
		assert_success(&i, &r, protos[k].hashlen);
		finish(&i, &r);
	}
}

/* Empty payloads and an empty transport message; then the largest ones. */
static void test_sizes(void **state)
{
	static struct side i, r;
	struct noise_peer_config ci, cr;
	uint8_t *big = calloc(1, NOISE_MAX_MSG);
	(void)state;

	assert_non_null(big);
	config(&ci, NULL, 3, &i.seed);
	config(&cr, NULL, 3, &r.seed);
	ci.payload1_len = cr.payload2_len = ci.transport_len = 0;
	start(&i, NOISE_PEER_INITIATOR, &ci);
	start(&r, NOISE_PEER_RESPONDER, &cr);
	run(&i, &r, 5, 9);
	assert_success(&i, &r, 32);
	finish(&i, &r);

	config(&ci, NULL, 3, &i.seed);
	config(&cr, NULL, 3, &r.seed);
	ci.payload1 = cr.payload2 = ci.transport = big;
	ci.payload1_len = cr.payload2_len = NOISE_MAX_MSG - 48;
	ci.transport_len = NOISE_MAX_MSG - 16;
	start(&i, NOISE_PEER_INITIATOR, &ci);
	start(&r, NOISE_PEER_RESPONDER, &cr);
	run(&i, &r, 6, 4000);
	assert_success(&i, &r, 32);
	assert_int_equal(i.ev[0].length, NOISE_MAX_MSG);
	finish(&i, &r);

	/* one byte more does not start */
	config(&ci, NULL, 3, &i.seed);
	ci.payload1 = big;
	ci.payload1_len = NOISE_MAX_MSG - 48 + 1;
	assert_int_equal(noise_peer_init(&i.peer, NOISE_PEER_INITIATOR, &ci, NOW),
			 PS_ERR_TOO_LARGE);
	ci.payload1_len = 0;
	ci.transport = big;
	ci.transport_len = NOISE_MAX_MSG - 16 + 1;
	assert_int_equal(noise_peer_init(&i.peer, NOISE_PEER_INITIATOR, &ci, NOW),
			 PS_ERR_TOO_LARGE);
	noise_peer_free(&i.peer); /* a no-op after a failed init */
	free(big);
}

static void assert_failed(struct side *s, int err)
{
	drain_events(s);
	assert_int_equal(noise_peer_outcome(&s->peer), PS_FAILED);
	assert_int_equal(noise_peer_error(&s->peer), err);
	assert_true(s->n_ev >= 1);
	assert_int_equal(s->ev[s->n_ev - 1].type, NOISE_PEER_EV_FAILED);
	assert_int_equal(s->ev[s->n_ev - 1].err, err);
	assert_int_equal(noise_peer_expiry(&s->peer), UINT64_MAX);
}

static void assert_note(const struct side *s, const char *words)
{
	assert_true(noise_peer_ended(&s->peer));
	assert_null(noise_peer_waiting_for(&s->peer));
	assert_non_null(noise_peer_note(&s->peer));
	assert_string_equal(noise_peer_note(&s->peer), words);
}

/* psk2 is mixed into msg2: the initiator finds out; the responder then
 * sees the connection close. */
static void test_wrong_psk(void **state)
{
	static struct side i, r;
	(void)state;

	pair(&i, &r, NULL, 1, 2);
	run(&i, &r, 3, 50);
	assert_failed(&i, PS_ERR_DECRYPT);
	assert_note(&i, "message 2");
	assert_int_equal(noise_peer_outcome(&r.peer), PS_PENDING);
	noise_peer_close(&r.peer, PS_ERR_CLOSED);
	assert_failed(&r, PS_ERR_CLOSED);
	assert_note(&r, "the transport message");
	finish(&i, &r);
}

static void test_wrong_prologue(void **state)
{
	static struct side i, r;
	struct noise_peer_config ci, cr;
	static const uint8_t other[] = "peershake/noise/2";
	(void)state;

	config(&ci, NULL, 1, &i.seed);
	config(&cr, NULL, 1, &r.seed);
	cr.prologue = other;
	start(&i, NOISE_PEER_INITIATOR, &ci);
	start(&r, NOISE_PEER_RESPONDER, &cr);
	run(&i, &r, 3, 50);
	assert_failed(&r, PS_ERR_DECRYPT);
	assert_note(&r, "message 1");
	assert_int_equal(noise_peer_outcome(&i.peer), PS_PENDING);
	finish(&i, &r);
}

/* A frame declaring less than the message's fixed part is refused at its
 * header, before any body byte. */
static void test_short_frames(void **state)
{
	static struct side i, r;
	static const uint8_t short_msg1[] = { 0x00, 47 };
	(void)state;

	pair(&i, &r, NULL, 1, 1);
	assert_int_equal(noise_peer_input(&r.peer, NOW, short_msg1, 1), PS_OK);
	assert_int_equal(noise_peer_input(&r.peer, NOW, short_msg1 + 1, 1), PS_ERR_BAD_SIZE);
	assert_failed(&r, PS_ERR_BAD_SIZE);
	assert_note(&r, "message 1");
	/* after the end, input is ignored */
	assert_int_equal(noise_peer_input(&r.peer, NOW, short_msg1, 2), PS_OK);
	finish(&i, &r);

	/* an empty frame for msg2 */
	pair(&i, &r, NULL, 1, 1);
	assert_int_equal(noise_peer_input(&i.peer, NOW, (const uint8_t *)"\0\0", 2),
			 PS_ERR_BAD_SIZE);
	assert_failed(&i, PS_ERR_BAD_SIZE);
	assert_note(&i, "message 2");
	finish(&i, &r);
}

/* Flip each byte of each message body on the wire: the receiver fails
 * (decrypt-failed, or bad-dh when a changed e is of low order). Header bytes
 * are not flipped here: a changed length is a different frame (short: see
 * test_short_frames; long: the peer waits for bytes that never come, then
 * times out or sees the close). */
static void flip_and_check(unsigned which)
{
	static const char *const about[] = { "message 1", "message 2", "the transport message",
					     "the echo" };
	static struct side i, r;
	size_t len = 0;

	for (size_t pos = 2;; pos++) {
		struct side *from, *to;
		const uint8_t *data;
		uint8_t *copy;
		size_t n;
		uint64_t rng = 1;
		int err;

		pair(&i, &r, NULL, 9, 9);
		/* play the exchange up to the message `which` (0..3) */
		for (unsigned m = 0; m < which; m++)
			move(m % 2 ? &r : &i, m % 2 ? &i : &r, &rng, 1000);
		from = which % 2 ? &r : &i;
		to = which % 2 ? &i : &r;
		n = noise_peer_output(&from->peer, &data);
		if (pos == 2)
			len = n;
		assert_int_equal(n, len);
		if (pos >= len) {
			finish(&i, &r);
			break;
		}
		copy = malloc(n);
		assert_non_null(copy);
		memcpy(copy, data, n);
		copy[pos]++;
		err = noise_peer_input(&to->peer, NOW, copy, n);
		if (err != PS_ERR_DECRYPT && err != PS_ERR_DH)
			fail_msg("message %u byte %zu: %s", which, pos, ps_errname(err));
		assert_failed(to, err);
		assert_note(to, about[which]);
		free(copy);
		finish(&i, &r);
	}
}

static void test_byte_flips(void **state)
{
	(void)state;
	flip_and_check(0); /* msg1 */
	flip_and_check(1); /* msg2 */
	flip_and_check(2); /* transport */
	flip_and_check(3); /* echo */
}

/* A responder (built from the HandshakeState) that echoes something else:
 * the initiator authenticates it, then finds it differs. */
static void test_echo_mismatch(void **state)
{
	static struct side i;
	struct noise_peer_config ci;
	struct noise_protocol proto;
	struct noise_hs hs;
	struct noise_hs_config hc = { 0 };
	struct noise_cs c1, c2;
	uint8_t psk[1][32], buf[256], pt[256];
	const uint8_t *out, *msg;
	size_t n, mlen, used, pl, blen;
	uint64_t seed = 5;
	(void)state;

	i.seed = 11;
	config(&ci, NULL, 4, &i.seed);
	start(&i, NOISE_PEER_INITIATOR, &ci);
	memset(psk, 4, sizeof(psk));
	assert_int_equal(noise_protocol_parse(&proto, NOISE_PEER_DEFAULT_PROTOCOL,
					      strlen(NOISE_PEER_DEFAULT_PROTOCOL)),
			 PS_OK);
	hc.protocol = &proto;
	hc.prologue = PROLOGUE;
	hc.prologue_len = sizeof(PROLOGUE);
	hc.psks = (const uint8_t(*)[32])psk;
	hc.n_psks = 1;
	hc.rng = tu_rng;
	hc.rng_ctx = &seed;
	assert_int_equal(noise_hs_init(&hs, &hc), PS_OK);

	n = noise_peer_output(&i.peer, &out);
	assert_int_equal(noise_frame_decode(&msg, &mlen, &used, out, n), PS_OK);
	assert_int_equal(noise_hs_read_message(&hs, pt, sizeof(pt), &pl, msg, mlen), PS_OK);
	noise_peer_consume(&i.peer, used);
	assert_int_equal(noise_hs_write_message(&hs, buf + 2, sizeof(buf) - 2, &blen, NULL, 0),
			 PS_OK);
	assert_int_equal(noise_frame_encode(buf, sizeof(buf), &blen, buf + 2, blen), PS_OK);
	assert_int_equal(noise_peer_input(&i.peer, NOW, buf, blen), PS_OK);
	assert_int_equal(noise_hs_split(&hs, &c1, &c2), PS_OK);

	n = noise_peer_output(&i.peer, &out);
	assert_int_equal(noise_frame_decode(&msg, &mlen, &used, out, n), PS_OK);
	assert_int_equal(noise_cs_decrypt_with_ad(&c1, pt, sizeof(pt), &pl, NULL, 0, msg, mlen),
			 PS_OK);
	assert_memory_equal(pt, T, sizeof(T));
	pt[0] ^= 1; /* a different echo, correctly encrypted */
	assert_int_equal(
		noise_cs_encrypt_with_ad(&c2, buf + 2, sizeof(buf) - 2, &blen, NULL, 0, pt, pl),
		PS_OK);
	assert_int_equal(noise_frame_encode(buf, sizeof(buf), &blen, buf + 2, blen), PS_OK);
	assert_int_equal(noise_peer_input(&i.peer, NOW, buf, blen), PS_ERR_ECHO_MISMATCH);
	assert_failed(&i, PS_ERR_ECHO_MISMATCH);
	assert_note(&i, "the echo"); /* it authenticated, then differed */
	assert_string_equal(ps_errname(PS_ERR_ECHO_MISMATCH), "echo-mismatch");
	noise_hs_wipe(&hs);
	noise_peer_free(&i.peer);
}

/* An initiator whose e is of low order (msg1 built with the SymmetricState,
 * so its tag verifies): the responder's ee gives zero, FAILED bad-dh, and
 * nothing is sent back. */
static void test_low_order_ephemeral(void **state)
{
	static struct side r;
	struct noise_peer_config cr;
	struct noise_protocol proto;
	struct noise_ss ss;
	uint8_t frame[128], e[32] = { 1 }; /* u = 1, of order 4 */
	const uint8_t *out;
	size_t n;
	(void)state;

	r.seed = 3;
	config(&cr, NULL, 1, &r.seed);
	start(&r, NOISE_PEER_RESPONDER, &cr);
	assert_int_equal(noise_protocol_parse(&proto, NOISE_PEER_DEFAULT_PROTOCOL,
					      strlen(NOISE_PEER_DEFAULT_PROTOCOL)),
			 PS_OK);
	noise_ss_init_from_hash(&ss, proto.hash, proto.cipher, proto.h0);
	noise_ss_mix_hash(&ss, PROLOGUE, sizeof(PROLOGUE));
	noise_ss_mix_hash(&ss, e, sizeof(e));
	noise_ss_mix_key(&ss, e, sizeof(e));
	memcpy(frame + 2, e, sizeof(e));
	assert_int_equal(
		noise_ss_encrypt_and_hash(&ss, frame + 34, sizeof(frame) - 34, &n, NULL, 0), PS_OK);
	assert_int_equal(noise_frame_put_header(frame, 32 + n), PS_OK);
	assert_int_equal(noise_peer_input(&r.peer, NOW, frame, 2 + 32 + n), PS_ERR_DH);
	assert_failed(&r, PS_ERR_DH);
	assert_note(&r, "message 1"); /* it authenticated; the DH after it failed */
	assert_string_equal(ps_errname(PS_ERR_DH), "bad-dh");
	assert_int_equal(noise_peer_output(&r.peer, &out), 0);
	noise_peer_free(&r.peer);
}

static void test_timeout(void **state)
{
	static struct side i, r;
	(void)state;

	pair(&i, &r, NULL, 1, 1);
	assert_int_equal(noise_peer_expiry(&r.peer), NOW + 5000000000u);
	noise_peer_handle_expiry(&r.peer, NOW + 4999999999u);
	assert_int_equal(noise_peer_outcome(&r.peer), PS_PENDING);
	noise_peer_handle_expiry(&r.peer, NOW + 5000000000u);
	assert_failed(&r, PS_ERR_TIMEOUT);
	/* input past the deadline: timeout too */
	assert_int_equal(noise_peer_input(&i.peer, NOW + 6000000000u, (const uint8_t *)"x", 1),
			 PS_ERR_TIMEOUT);
	assert_failed(&i, PS_ERR_TIMEOUT);
	finish(&i, &r);

	/* no timeout: no expiry */
	{
		struct noise_peer_config c;
		config(&c, NULL, 1, &i.seed);
		c.timeout_ns = 0;
		start(&i, NOISE_PEER_RESPONDER, &c);
		assert_int_equal(noise_peer_expiry(&i.peer), UINT64_MAX);
		noise_peer_handle_expiry(&i.peer, UINT64_MAX - 1);
		assert_int_equal(noise_peer_outcome(&i.peer), PS_PENDING);
		noise_peer_free(&i.peer);
	}
}

/* Half a message, then the close: FAILED closed. After SUCCESS, close and
 * input change nothing. */
static void test_close(void **state)
{
	static struct side i, r;
	const uint8_t *data;
	size_t n;
	(void)state;

	pair(&i, &r, NULL, 1, 1);
	n = noise_peer_output(&i.peer, &data);
	assert_int_equal(noise_peer_input(&r.peer, NOW, data, n / 2), PS_OK);
	noise_peer_close(&r.peer, PS_ERR_CLOSED);
	assert_failed(&r, PS_ERR_CLOSED);
	finish(&i, &r);

	pair(&i, &r, NULL, 1, 1);
	run(&i, &r, 1, 100);
	assert_success(&i, &r, 32);
	noise_peer_close(&i.peer, PS_ERR_CLOSED);
	assert_int_equal(noise_peer_input(&i.peer, NOW, (const uint8_t *)"\0\0garbage", 9), PS_OK);
	assert_success(&i, &r, 32);
	finish(&i, &r);
}

/* The initiator's msg1 not yet consumed when msg2 arrives: the transport
 * message queues behind it, and both come out in order. */
static void test_output_backlog(void **state)
{
	static struct side i, r;
	const uint8_t *data;
	size_t n1, n;
	(void)state;

	pair(&i, &r, NULL, 1, 1);
	n1 = noise_peer_output(&i.peer, &data);
	assert_int_equal(noise_peer_input(&r.peer, NOW, data, n1), PS_OK);
	n = noise_peer_output(&r.peer, &data);
	assert_int_equal(noise_peer_input(&i.peer, NOW, data, n), PS_OK);
	noise_peer_consume(&r.peer, n);
	n = noise_peer_output(&i.peer, &data);
	assert_int_equal(n, n1 + 2 + 16 + sizeof(T));
	noise_peer_consume(&i.peer, n1); /* the old msg1 is dropped on the floor */
	run(&i, &r, 2, 7);
	assert_success(&i, &r, 32);
	finish(&i, &r);
}

static void assert_waiting(const struct side *s, const char *words)
{
	assert_false(noise_peer_ended(&s->peer));
	assert_int_equal(noise_peer_outcome(&s->peer), PS_PENDING);
	assert_null(noise_peer_note(&s->peer));
	assert_string_equal(noise_peer_waiting_for(&s->peer), words);
}

static void assert_ended_well(const struct side *s)
{
	assert_true(noise_peer_ended(&s->peer));
	assert_int_equal(noise_peer_outcome(&s->peer), PS_SUCCESS);
	assert_null(noise_peer_waiting_for(&s->peer));
	assert_null(noise_peer_note(&s->peer));
}

/* What each side waits for in each state of an honest exchange; at the end
 * nothing, no note, and input is ignored: PS_OK, no event, no output. */
static void test_states_in_words(void **state)
{
	static struct side i, r;
	struct noise_peer_event ev;
	const uint8_t *data;
	uint64_t rng = 1;
	(void)state;

	pair(&i, &r, NULL, 1, 1);
	assert_waiting(&i, "message 2");
	assert_waiting(&r, "message 1");
	move(&i, &r, &rng, 1000); /* msg1 */
	assert_waiting(&i, "message 2");
	assert_waiting(&r, "the transport message");
	move(&r, &i, &rng, 1000); /* msg2 */
	assert_waiting(&i, "the echo");
	move(&i, &r, &rng, 1000); /* the transport message; the echo is queued */
	assert_ended_well(&r);
	move(&r, &i, &rng, 1000); /* the echo */
	assert_ended_well(&i);

	drain_events(&i);
	drain_events(&r);
	for (int k = 0; k < 2; k++) {
		struct side *s = k ? &r : &i;
		assert_int_equal(noise_peer_input(&s->peer, NOW, (const uint8_t *)"\0\0\0\x10x", 5),
				 PS_OK);
		assert_false(noise_peer_next_event(&s->peer, &ev));
		assert_int_equal(noise_peer_output(&s->peer, &data), 0);
		noise_peer_close(&s->peer, PS_ERR_CLOSED); /* no effect after SUCCESS */
		assert_ended_well(s);
		assert_int_equal(noise_peer_error(&s->peer), PS_OK);
		assert_int_equal(noise_peer_events_lost(&s->peer), 0);
	}
	finish(&i, &r);
}

/* The connection closes, or the deadline passes, in each state: the
 * failure is about what the side waited for. */
static void test_notes_on_close_and_timeout(void **state)
{
	static const char *const waits[4][2] = {
		/* initiator, responder, after `step` messages went across */
		{ "message 2", "message 1" },
		{ "message 2", "the transport message" },
		{ "the echo", "the transport message" },
		{ "the echo", NULL }, /* the responder succeeded */
	};
	static struct side i, r;
	(void)state;

	for (unsigned step = 0; step < 4; step++)
		for (int timeout = 0; timeout < 2; timeout++) {
			uint64_t rng = 1;

			pair(&i, &r, NULL, 1, 1);
			for (unsigned m = 0; m < step; m++)
				move(m % 2 ? &r : &i, m % 2 ? &i : &r, &rng, 1000);
			for (int k = 0; k < 2; k++) {
				struct side *s = k ? &r : &i;
				if (!waits[step][k]) {
					assert_ended_well(s);
					continue;
				}
				assert_waiting(s, waits[step][k]);
				if (timeout)
					noise_peer_handle_expiry(&s->peer, NOW + 5000000000u);
				else
					noise_peer_close(&s->peer, PS_ERR_CLOSED);
				assert_failed(s, timeout ? PS_ERR_TIMEOUT : PS_ERR_CLOSED);
				assert_note(s, waits[step][k]);
				/* input after the end: ignored */
				assert_int_equal(
					noise_peer_input(&s->peer, NOW, (const uint8_t *)"\0", 1),
					PS_OK);
				assert_note(s, waits[step][k]);
			}
			finish(&i, &r);
		}
}

/* A responder sending the all-zero e (--bug low-order-e): msg2 reaches
 * the initiator, whose DH fails on it. */
static void test_low_order_responder(void **state)
{
	static struct side i, r;
	struct noise_peer_config ci, cr;
	uint64_t rng = 1;
	(void)state;

	config(&ci, NULL, 1, &i.seed);
	config(&cr, NULL, 1, &r.seed);
	cr.bugs = NOISE_BUG_LOW_ORDER_E;
	start(&i, NOISE_PEER_INITIATOR, &ci);
	start(&r, NOISE_PEER_RESPONDER, &cr);
	move(&i, &r, &rng, 1000);
	move(&r, &i, &rng, 1000);
	assert_failed(&i, PS_ERR_DH);
	assert_note(&i, "message 2");
	assert_waiting(&r, "the transport message");
	finish(&i, &r);
}

static void test_msg_names(void **state)
{
	(void)state;
	assert_string_equal(noise_peer_msg_name(NOISE_PEER_MSG1), "msg1");
	assert_string_equal(noise_peer_msg_name(NOISE_PEER_MSG2), "msg2");
	assert_string_equal(noise_peer_msg_name(NOISE_PEER_TRANSPORT), "transport");
	assert_string_equal(noise_peer_msg_name(NOISE_PEER_ECHO), "echo");
	assert_string_equal(noise_peer_msg_name(NOISE_PEER_EMPTY), "empty");
	assert_string_equal(noise_peer_msg_name(NOISE_PEER_MSG_NONE), "none");
	assert_string_equal(noise_peer_msg_name((enum noise_peer_msg)99), "none");
}

static void test_init_errors(void **state)
{
	static struct noise_peer p;
	struct noise_peer_config c;
	struct noise_protocol proto;
	uint64_t seed = 1;
	(void)state;

	config(&c, "Noise_XX_25519_ChaChaPoly_BLAKE2s", 1, &seed);
	for (size_t k = 0; k < sizeof(c.psk); k++)
		c.psk[k] = (uint8_t)(0xa0 + k); /* a key no other field looks like */
	assert_int_equal(noise_peer_init(&p, NOISE_PEER_INITIATOR, &c, NOW), PS_ERR_UNSUPPORTED);
	c.protocol = "Noise_NNpsk0_25519_ChaChaPoly_BLAKE2s";
	assert_int_equal(noise_peer_init(&p, NOISE_PEER_INITIATOR, &c, NOW), PS_ERR_UNSUPPORTED);
	c.protocol = "NNpsk2_448_ChaChaPoly_BLAKE2s";
	assert_int_equal(noise_peer_init(&p, NOISE_PEER_INITIATOR, &c, NOW), PS_ERR_UNSUPPORTED);
	c.protocol = "NNpsk2_25519_ChaChaPoly";
	assert_int_equal(noise_peer_init(&p, NOISE_PEER_INITIATOR, &c, NOW), PS_ERR_MALFORMED);
	c.protocol = NULL;
	c.rng = NULL;
	assert_int_equal(noise_peer_init(&p, NOISE_PEER_INITIATOR, &c, NOW), PS_ERR_INVALID_ARG);
	c.rng = tu_rng;
	c.payload1 = NULL;
	assert_int_equal(noise_peer_init(&p, NOISE_PEER_INITIATOR, &c, NOW), PS_ERR_INVALID_ARG);
	c.payload1 = P1;
	assert_int_equal(noise_peer_init(&p, (enum noise_peer_role)7, &c, NOW), PS_ERR_INVALID_ARG);
	assert_int_equal(noise_peer_init(&p, NOISE_PEER_RESPONDER, &c, NOW), PS_OK);
	/* NULL is the default protocol: the chaining key starts as that
	 * name's h0 (InitializeSymmetric; the prologue mixes into h only),
	 * with its hash, cipher and pattern */
	assert_int_equal(noise_protocol_parse(&proto, NOISE_PEER_DEFAULT_PROTOCOL,
					      strlen(NOISE_PEER_DEFAULT_PROTOCOL)),
			 PS_OK);
	assert_int_equal(p.hs.ss.hash, proto.hash);
	assert_int_equal(p.hs.ss.cs.cipher, proto.cipher);
	assert_memory_equal(p.hs.ss.ck, proto.h0, p.hs.ss.hashlen);
	assert_memory_equal(&p.hs.pattern, &proto.pattern, sizeof(proto.pattern));
	assert_string_equal(ps_outcome_name(noise_peer_outcome(&p)), "PENDING");
	/* the PSK lives in the handshake state and nowhere else in the peer */
	assert_memory_equal(p.hs.psk[0], c.psk, sizeof(c.psk));
	for (size_t k = 0; k + sizeof(c.psk) <= sizeof(p); k++)
		if (k + sizeof(c.psk) <= offsetof(struct noise_peer, hs) ||
		    k >= offsetof(struct noise_peer, hs) + sizeof(p.hs))
			assert_false(memcmp((const uint8_t *)&p + k, c.psk, sizeof(c.psk)) == 0);
	noise_peer_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wired),
		cmocka_unit_test(test_other_protocols),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_wrong_psk),
		cmocka_unit_test(test_wrong_prologue),
		cmocka_unit_test(test_short_frames),
		cmocka_unit_test(test_byte_flips),
		cmocka_unit_test(test_echo_mismatch),
		cmocka_unit_test(test_low_order_ephemeral),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_output_backlog),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_states_in_words),
		cmocka_unit_test(test_notes_on_close_and_timeout),
		cmocka_unit_test(test_low_order_responder),
		cmocka_unit_test(test_msg_names),
	};

	if (cry_init() != PS_OK)
		return 1;
	if (cry_fuzzing_build()) {
		printf("skipped: fuzzing build has a null AEAD\n");
		return TU_SKIP;
	}
	return cmocka_run_group_tests_name("noise peer", tests, NULL, NULL);
}
