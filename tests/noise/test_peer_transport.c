/*
 * test_peer_transport.c - the transport phase of noise/peer, against a
 * counterpart made by hand: the handshake from noise/handshake.c (which
 * the public vectors check), then every transport message encrypted and
 * decrypted here with cry_aead_* under a nonce this file builds from the
 * specification's words, not with noise/cipher.c:
 *
 *   12.3 ChaChaPoly: "The 96-bit nonce is formed by encoding 32 bits of
 *        zeros followed by little-endian encoding of n."
 *   12.4 AESGCM: "... 32 bits of zeros followed by big-endian encoding of n."
 *   5.1  EncryptWithAd / DecryptWithAd use n++: message k of a direction
 *        goes under n = k - 1.
 *
 * So a peer whose nonce is not incremented, or is encoded in the wrong
 * byte order, fails here. Also: T_k = T || k (2 bytes big-endian) for
 * N > 1 and T for N = 1; one message at a time; SUCCESS after N; a
 * counterpart that does not increment its nonce or swaps its byte order
 * is refused at the message where it shows, and nothing is queued after;
 * continue_on_decrypt_failure discards a message whose tag fails, keeps
 * the nonce (section 5.1: "If an authentication failure occurs in
 * DECRYPT() then n is not incremented"), and takes the valid message at
 * that nonce, while a message at the next nonce is refused too; handshake
 * messages are never retried; echoes a byte short or a byte long are
 * mismatches; the 65535-byte boundary (section 3) passes and one byte
 * more is refused before anything is queued.
 */
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

static const uint8_t T[] = "a transport plaintext";
static const uint8_t PROLOGUE[] = "peershake transport test";
static const char CHACHA[] = "Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s";
static const char AESGCM[] = "Noise_NNpsk2_25519_AESGCM_SHA256";

/* The counterpart: a HandshakeState, then two keys and the nonces it
 * keeps itself. */
struct hand {
	struct noise_protocol proto;
	struct noise_hs hs;
	uint8_t psk[1][32];
	uint8_t k_send[32], k_recv[32];
	uint64_t n_send, n_recv;
	bool aesgcm;
	uint64_t seed;
};

/* The nonce as the specification words it (12.3, 12.4), byte by byte. */
static void spec_nonce(uint8_t nonce[12], bool aesgcm, uint64_t n)
{
	memset(nonce, 0, 4);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = aesgcm ? (uint8_t)(n >> (8 * (7 - i))) : (uint8_t)(n >> (8 * i));
}

static enum cry_aead_id aead_of(const struct hand *h)
{
	return h->aesgcm ? CRY_AEAD_AESGCM : CRY_AEAD_CHACHAPOLY;
}

/* T_k as peer.h defines it, built here. */
static size_t t_k(uint8_t *out, const uint8_t *t, size_t tlen, uint32_t n_messages, uint32_t k)
{
	memcpy(out, t, tlen);
	if (n_messages <= 1)
		return tlen;
	out[tlen] = (uint8_t)(k >> 8);
	out[tlen + 1] = (uint8_t)k;
	return tlen + 2;
}

static void config(struct noise_peer_config *c, const char *protocol, uint32_t n, uint64_t *seed)
{
	memset(c, 0, sizeof(*c));
	c->protocol = protocol;
	memset(c->psk, 0x42, sizeof(c->psk));
	c->prologue = PROLOGUE;
	c->prologue_len = sizeof(PROLOGUE);
	c->transport = T;
	c->transport_len = sizeof(T);
	c->messages = n;
	c->timeout_ns = 5000000000u;
	c->rng = tu_rng;
	c->rng_ctx = seed;
	c->mem = tu_mem_default();
}

static void hand_init(struct hand *h, const char *protocol, bool initiator)
{
	struct noise_hs_config hc = { 0 };

	memset(h, 0, sizeof(*h));
	h->seed = 77;
	h->aesgcm = strstr(protocol, "AESGCM") != NULL;
	memset(h->psk, 0x42, sizeof(h->psk));
	assert_int_equal(noise_protocol_parse(&h->proto, protocol, strlen(protocol)), PS_OK);
	hc.protocol = &h->proto;
	hc.initiator = initiator;
	hc.prologue = PROLOGUE;
	hc.prologue_len = sizeof(PROLOGUE);
	hc.psks = (const uint8_t(*)[32])h->psk;
	hc.n_psks = 1;
	hc.rng = tu_rng;
	hc.rng_ctx = &h->seed;
	assert_int_equal(noise_hs_init(&h->hs, &hc), PS_OK);
}

/* After the last handshake message: c1 carries initiator -> responder. */
static void hand_split(struct hand *h, bool initiator)
{
	struct noise_cs c1, c2;

	assert_int_equal(noise_hs_split(&h->hs, &c1, &c2), PS_OK);
	memcpy(h->k_send, initiator ? c1.k : c2.k, 32);
	memcpy(h->k_recv, initiator ? c2.k : c1.k, 32);
	noise_cs_wipe(&c1);
	noise_cs_wipe(&c2);
	noise_hs_wipe(&h->hs);
}

/* The one frame the peer has queued: its message into msg (cap bytes). */
static size_t take_frame(struct noise_peer *p, uint8_t *msg, size_t cap)
{
	const uint8_t *out, *m;
	size_t n = noise_peer_output(p, &out), mlen, used;

	assert_int_equal(noise_frame_decode(&m, &mlen, &used, out, n), PS_OK);
	assert_int_equal(used, n); /* one message at a time */
	assert_true(mlen <= cap);
	memcpy(msg, m, mlen);
	noise_peer_consume(p, used);
	return mlen;
}

static void feed(struct noise_peer *p, const uint8_t *msg, size_t len, int want)
{
	uint8_t *frame = malloc(NOISE_FRAME_MAX);
	size_t n;

	assert_non_null(frame);
	assert_int_equal(noise_frame_encode(frame, NOISE_FRAME_MAX, &n, msg, len), PS_OK);
	assert_int_equal(noise_peer_input(p, NOW, frame, n), want);
	free(frame);
}

/* Encrypt pt under the counterpart's send key at nonce n: into ct. */
static size_t hand_seal(const struct hand *h, uint8_t *ct, uint64_t n, bool swap_order,
			const uint8_t *pt, size_t len)
{
	uint8_t nonce[12];

	spec_nonce(nonce, swap_order ? !h->aesgcm : h->aesgcm, n);
	assert_int_equal(cry_aead_encrypt(aead_of(h), ct, h->k_send, nonce, NULL, 0, pt, len),
			 PS_OK);
	return len + 16;
}

/* Decrypt ct under the counterpart's receive key at its next nonce. */
static size_t hand_open(struct hand *h, uint8_t *pt, const uint8_t *ct, size_t len)
{
	uint8_t nonce[12];

	assert_true(len >= 16);
	spec_nonce(nonce, h->aesgcm, h->n_recv++);
	assert_int_equal(cry_aead_decrypt(aead_of(h), pt, h->k_recv, nonce, NULL, 0, ct, len),
			 PS_OK);
	return len - 16;
}

/* The peer's events since the last call: the last one into *last, the
 * count returned. */
static size_t events(struct noise_peer *p, struct noise_peer_event *all, size_t cap)
{
	struct noise_peer_event ev;
	size_t n = 0;

	while (noise_peer_next_event(p, &ev)) {
		assert_true(n < cap);
		all[n++] = ev;
	}
	assert_int_equal(noise_peer_events_lost(p), 0);
	return n;
}

/* The handshake between a peer initiator and the hand responder. */
static void handshake_as_responder(struct noise_peer *p, struct hand *h)
{
	uint8_t msg[256], pl[64];
	size_t n, pn;
	struct noise_peer_event ev[8];

	n = take_frame(p, msg, sizeof(msg));
	assert_int_equal(noise_hs_read_message(&h->hs, pl, sizeof(pl), &pn, msg, n), PS_OK);
	assert_int_equal(noise_hs_write_message(&h->hs, msg, sizeof(msg), &n, NULL, 0), PS_OK);
	feed(p, msg, n, PS_OK);
	hand_split(h, false);
	(void)events(p, ev, 8);
}

/* The handshake between the hand initiator and a peer responder. */
static void handshake_as_initiator(struct noise_peer *p, struct hand *h)
{
	uint8_t msg[256], pl[64];
	size_t n, pn;
	struct noise_peer_event ev[8];

	assert_int_equal(noise_hs_write_message(&h->hs, msg, sizeof(msg), &n, NULL, 0), PS_OK);
	feed(p, msg, n, PS_OK);
	n = take_frame(p, msg, sizeof(msg));
	assert_int_equal(noise_hs_read_message(&h->hs, pl, sizeof(pl), &pn, msg, n), PS_OK);
	hand_split(h, true);
	(void)events(p, ev, 8);
}

static void assert_failed_on(struct noise_peer *p, int err, enum noise_peer_msg m, uint32_t k)
{
	uint32_t idx = 99;
	const uint8_t *out;

	assert_int_equal(noise_peer_outcome(p), PS_FAILED);
	assert_int_equal(noise_peer_error(p), err);
	assert_int_equal(noise_peer_failed_on(p, &idx), m);
	assert_int_equal(idx, k);
	/* nothing queued after the failure */
	assert_int_equal(noise_peer_output(p, &out), 0);
}

/* How the counterpart spoils its message `bad` (1 .. N): its nonce not
 * incremented (the one before again), or in the other byte order. */
enum spoil { SPOIL_NONE, SPOIL_REPEAT_NONCE, SPOIL_BYTE_ORDER };

/* A peer initiator sends T_1 .. T_N to the hand, which checks each under
 * the nonce of the spec and echoes it; `bad` is spoilt as said. */
static void initiator_run(const char *protocol, uint32_t n, enum spoil spoil, uint32_t bad)
{
	static struct noise_peer p;
	static struct hand h;
	static uint8_t ct[NOISE_MAX_MSG], pt[NOISE_MAX_MSG], want[NOISE_MAX_MSG];
	struct noise_peer_config c;
	struct noise_peer_event ev[8];
	uint64_t seed = 5;
	uint32_t N = n ? n : 1;

	config(&c, protocol, n, &seed);
	assert_int_equal(noise_peer_init(&p, NOISE_PEER_INITIATOR, &c, NOW), PS_OK);
	hand_init(&h, protocol, false);
	handshake_as_responder(&p, &h);
	for (uint32_t k = 1; k <= N; k++) {
		size_t len = take_frame(&p, ct, sizeof(ct)), pl, wl, el;
		uint64_t nonce;

		pl = hand_open(&h, pt, ct, len);
		wl = t_k(want, T, sizeof(T), N, k);
		assert_int_equal(pl, wl);
		assert_memory_equal(pt, want, wl);
		assert_int_equal(noise_peer_messages(&p), k - 1);
		nonce = h.n_send++;
		if (k == bad && spoil == SPOIL_REPEAT_NONCE)
			nonce = k >= 2 ? nonce - 1 : nonce + 1;
		el = hand_seal(&h, ct, nonce, k == bad && spoil == SPOIL_BYTE_ORDER, pt, pl);
		if (k == bad && spoil != SPOIL_NONE) {
			feed(&p, ct, el, PS_ERR_DECRYPT);
			assert_failed_on(&p, PS_ERR_DECRYPT, NOISE_PEER_ECHO, k);
			assert_int_equal(noise_peer_messages(&p), k - 1);
			noise_peer_free(&p);
			return;
		}
		feed(&p, ct, el, PS_OK);
		{
			size_t ne = events(&p, ev, 8);
			assert_true(ne >= 2);
			assert_int_equal(ev[0].type, NOISE_PEER_EV_MSG_RECV);
			assert_int_equal(ev[0].msg, NOISE_PEER_ECHO);
			assert_int_equal(ev[0].index, k);
			assert_int_equal(ev[1].type,
					 k == N ? NOISE_PEER_EV_SUCCESS : NOISE_PEER_EV_MSG_SENT);
			if (k < N) {
				assert_int_equal(ev[1].msg, NOISE_PEER_TRANSPORT);
				assert_int_equal(ev[1].index, k + 1);
				assert_int_equal(ev[1].length, wl + 16);
			}
		}
	}
	assert_int_equal(noise_peer_outcome(&p), PS_SUCCESS);
	assert_int_equal(noise_peer_messages(&p), N);
	noise_peer_free(&p);
}

/* The hand initiator sends T_1 .. T_N (the message `bad` spoilt) to a
 * peer responder, and checks each echo under the nonce of the spec. */
static void responder_run(const char *protocol, uint32_t n, enum spoil spoil, uint32_t bad)
{
	static struct noise_peer p;
	static struct hand h;
	static uint8_t ct[NOISE_MAX_MSG], pt[NOISE_MAX_MSG], want[NOISE_MAX_MSG];
	struct noise_peer_config c;
	uint64_t seed = 6;
	uint32_t N = n ? n : 1;

	config(&c, protocol, n, &seed);
	c.transport = NULL; /* the responder's own T plays no part */
	c.transport_len = 0;
	assert_int_equal(noise_peer_init(&p, NOISE_PEER_RESPONDER, &c, NOW), PS_OK);
	hand_init(&h, protocol, true);
	handshake_as_initiator(&p, &h);
	for (uint32_t k = 1; k <= N; k++) {
		size_t wl = t_k(want, T, sizeof(T), N, k), len, pl;
		uint64_t nonce = h.n_send++;

		assert_string_equal(noise_peer_waiting_for(&p), "the transport message");
		if (k == bad && spoil == SPOIL_REPEAT_NONCE)
			nonce = k >= 2 ? nonce - 1 : nonce + 1;
		len = hand_seal(&h, ct, nonce, k == bad && spoil == SPOIL_BYTE_ORDER, want, wl);
		if (k == bad && spoil != SPOIL_NONE) {
			feed(&p, ct, len, PS_ERR_DECRYPT);
			assert_failed_on(&p, PS_ERR_DECRYPT, NOISE_PEER_TRANSPORT, k);
			assert_int_equal(noise_peer_messages(&p), k - 1);
			noise_peer_free(&p);
			return;
		}
		feed(&p, ct, len, PS_OK);
		len = take_frame(&p, ct, sizeof(ct));
		pl = hand_open(&h, pt, ct, len);
		assert_int_equal(pl, wl);
		assert_memory_equal(pt, want, wl);
		assert_int_equal(noise_peer_messages(&p), k);
		assert_int_equal(noise_peer_outcome(&p), k == N ? PS_SUCCESS : PS_PENDING);
		{
			struct noise_peer_event ev[8];
			size_t ne = events(&p, ev, 8);
			assert_true(ne >= 2);
			assert_int_equal(ev[0].type, NOISE_PEER_EV_MSG_RECV);
			assert_int_equal(ev[0].index, k);
			assert_int_equal(ev[1].type, NOISE_PEER_EV_MSG_SENT);
			assert_int_equal(ev[1].msg, NOISE_PEER_ECHO);
			assert_int_equal(ev[1].index, k);
		}
	}
	{
		const uint8_t *got;
		size_t gl;
		got = noise_peer_transport(&p, &gl);
		assert_int_equal(gl, t_k(want, T, sizeof(T), N, N));
		assert_memory_equal(got, want, gl);
	}
	noise_peer_free(&p);
}

static void test_many_messages(void **state)
{
	static const uint32_t counts[] = { 0, 1, 2, 3, 100 };
	(void)state;

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		initiator_run(CHACHA, counts[i], SPOIL_NONE, 0);
		responder_run(CHACHA, counts[i], SPOIL_NONE, 0);
		if (cry_aead_available(CRY_AEAD_AESGCM)) {
			initiator_run(AESGCM, counts[i], SPOIL_NONE, 0);
			responder_run(AESGCM, counts[i], SPOIL_NONE, 0);
		}
	}
}

/* The counterpart repeats a nonce or swaps its byte order at message 2 or
 * 3 (message 1 is under n = 0, the same in both orders): refused there. */
static void test_counterpart_nonces(void **state)
{
	(void)state;
	for (uint32_t bad = 2; bad <= 3; bad++)
		for (int s = SPOIL_REPEAT_NONCE; s <= SPOIL_BYTE_ORDER; s++) {
			initiator_run(CHACHA, 3, (enum spoil)s, bad);
			responder_run(CHACHA, 3, (enum spoil)s, bad);
			if (cry_aead_available(CRY_AEAD_AESGCM)) {
				initiator_run(AESGCM, 3, (enum spoil)s, bad);
				responder_run(AESGCM, 3, (enum spoil)s, bad);
			}
		}
	/* a first message under n = 1 */
	responder_run(CHACHA, 1, SPOIL_REPEAT_NONCE, 1);
	initiator_run(CHACHA, 1, SPOIL_REPEAT_NONCE, 1);
}

/* Continue after a decryption failure: a peer responder with the switch
 * gets T_1 with its tag spoilt (discarded), T_1 sealed under n = 1 (what a
 * peer that moved its nonce on the failure would take: discarded too),
 * then T_1 under n = 0: taken, echoed under n = 0; then T_2, T_3. Without
 * the switch the first spoilt one ends it, and the valid one after it is
 * not answered. */
static void test_continue_responder(void **state)
{
	static struct noise_peer p;
	static struct hand h;
	uint8_t ct[128], pt[128], want[64];
	struct noise_peer_config c;
	struct noise_peer_event ev[8];
	uint64_t seed = 9;
	size_t wl, len, ne;
	(void)state;

	for (int cont = 0; cont < 2; cont++) {
		config(&c, CHACHA, 3, &seed);
		c.continue_on_decrypt_failure = cont;
		assert_int_equal(noise_peer_init(&p, NOISE_PEER_RESPONDER, &c, NOW), PS_OK);
		hand_init(&h, CHACHA, true);
		handshake_as_initiator(&p, &h);

		wl = t_k(want, T, sizeof(T), 3, 1);
		len = hand_seal(&h, ct, 0, false, want, wl);
		ct[len - 1] ^= 0x80;
		feed(&p, ct, len, cont ? PS_OK : PS_ERR_DECRYPT);
		if (!cont) {
			assert_failed_on(&p, PS_ERR_DECRYPT, NOISE_PEER_TRANSPORT, 1);
			ct[len - 1] ^= 0x80; /* the valid one: input after the end */
			feed(&p, ct, len, PS_OK);
			assert_failed_on(&p, PS_ERR_DECRYPT, NOISE_PEER_TRANSPORT, 1);
			assert_int_equal(noise_peer_dropped(&p), 0);
			noise_peer_free(&p);
			continue;
		}
		ne = events(&p, ev, 8);
		assert_int_equal(ne, 1);
		assert_int_equal(ev[0].type, NOISE_PEER_EV_MSG_DROPPED);
		assert_int_equal(ev[0].msg, NOISE_PEER_TRANSPORT);
		assert_int_equal(ev[0].index, 1);
		assert_int_equal(ev[0].err, PS_ERR_DECRYPT);
		assert_int_equal(ev[0].length, len);
		assert_int_equal(ev[0].bytes, 2 + len);
		{
			const uint8_t *out;
			assert_int_equal(noise_peer_output(&p, &out), 0);
		}
		assert_int_equal(noise_peer_outcome(&p), PS_PENDING);
		/* under n = 1: the peer's nonce did not move, so this fails too */
		len = hand_seal(&h, ct, 1, false, want, wl);
		feed(&p, ct, len, PS_OK);
		ne = events(&p, ev, 8);
		assert_int_equal(ne, 1);
		assert_int_equal(ev[0].type, NOISE_PEER_EV_MSG_DROPPED);
		/* under n = 0: taken */
		len = hand_seal(&h, ct, 0, false, want, wl);
		h.n_send = 1;
		feed(&p, ct, len, PS_OK);
		len = take_frame(&p, ct, sizeof(ct));
		assert_int_equal(hand_open(&h, pt, ct, len), wl);
		assert_memory_equal(pt, want, wl);
		for (uint32_t k = 2; k <= 3; k++) {
			wl = t_k(want, T, sizeof(T), 3, k);
			len = hand_seal(&h, ct, h.n_send++, false, want, wl);
			feed(&p, ct, len, PS_OK);
			len = take_frame(&p, ct, sizeof(ct));
			assert_int_equal(hand_open(&h, pt, ct, len), wl);
			assert_memory_equal(pt, want, wl);
		}
		assert_int_equal(noise_peer_outcome(&p), PS_SUCCESS);
		assert_int_equal(noise_peer_dropped(&p), 2);
		assert_int_equal(noise_peer_messages(&p), 3);
		noise_peer_free(&p);
	}
}

/* The same on the initiator's side: a spoilt echo 1, then the real one. */
static void test_continue_initiator(void **state)
{
	static struct noise_peer p;
	static struct hand h;
	uint8_t ct[128], pt[128];
	struct noise_peer_config c;
	struct noise_peer_event ev[8];
	uint64_t seed = 10;
	size_t len, pl, el;
	(void)state;

	config(&c, CHACHA, 1, &seed);
	c.continue_on_decrypt_failure = true;
	assert_int_equal(noise_peer_init(&p, NOISE_PEER_INITIATOR, &c, NOW), PS_OK);
	hand_init(&h, CHACHA, false);
	handshake_as_responder(&p, &h);
	len = take_frame(&p, ct, sizeof(ct));
	pl = hand_open(&h, pt, ct, len);
	el = hand_seal(&h, ct, 0, false, pt, pl);
	ct[0] ^= 0x01; /* the ciphertext, not the tag, this time */
	feed(&p, ct, el, PS_OK);
	assert_int_equal(events(&p, ev, 8), 1);
	assert_int_equal(ev[0].type, NOISE_PEER_EV_MSG_DROPPED);
	assert_int_equal(ev[0].msg, NOISE_PEER_ECHO);
	assert_int_equal(ev[0].index, 1);
	assert_string_equal(noise_peer_waiting_for(&p), "the echo");
	ct[0] ^= 0x01;
	feed(&p, ct, el, PS_OK);
	assert_int_equal(noise_peer_outcome(&p), PS_SUCCESS);
	assert_int_equal(noise_peer_dropped(&p), 1);
	noise_peer_free(&p);
}

/* Section 5: "If any error is signaled by the DECRYPT() or DH() functions
 * then the handshake has failed": no second chance for msg1 or msg2, nor
 * for a transport message of a bad size. */
static void test_continue_not_in_handshake(void **state)
{
	static struct noise_peer p, q;
	static struct hand h;
	uint8_t msg[256], pl[64];
	const uint8_t *out;
	size_t n, pn;
	struct noise_peer_config c;
	uint64_t seed = 11, seed2 = 12;
	uint32_t idx;
	(void)state;

	/* msg1 spoilt, to a continuing responder */
	config(&c, CHACHA, 1, &seed);
	c.continue_on_decrypt_failure = true;
	assert_int_equal(noise_peer_init(&p, NOISE_PEER_RESPONDER, &c, NOW), PS_OK);
	config(&c, CHACHA, 1, &seed2);
	assert_int_equal(noise_peer_init(&q, NOISE_PEER_INITIATOR, &c, NOW), PS_OK);
	n = noise_peer_output(&q, &out);
	memcpy(msg, out, n);
	msg[n - 1] ^= 0x01;
	assert_int_equal(noise_peer_input(&p, NOW, msg, n), PS_ERR_DECRYPT);
	assert_int_equal(noise_peer_failed_on(&p, &idx), NOISE_PEER_MSG1);
	assert_int_equal(idx, 0);
	noise_peer_free(&p);
	noise_peer_free(&q);

	/* msg2 spoilt, to a continuing initiator */
	config(&c, CHACHA, 1, &seed);
	c.continue_on_decrypt_failure = true;
	assert_int_equal(noise_peer_init(&p, NOISE_PEER_INITIATOR, &c, NOW), PS_OK);
	hand_init(&h, CHACHA, false);
	n = take_frame(&p, msg, sizeof(msg));
	assert_int_equal(noise_hs_read_message(&h.hs, pl, sizeof(pl), &pn, msg, n), PS_OK);
	assert_int_equal(noise_hs_write_message(&h.hs, msg, sizeof(msg), &n, NULL, 0), PS_OK);
	msg[n - 1] ^= 0x01;
	feed(&p, msg, n, PS_ERR_DECRYPT);
	assert_failed_on(&p, PS_ERR_DECRYPT, NOISE_PEER_MSG2, 0);
	noise_hs_wipe(&h.hs);
	noise_peer_free(&p);

	/* a 15-byte transport message, to a continuing responder */
	config(&c, CHACHA, 1, &seed);
	c.continue_on_decrypt_failure = true;
	assert_int_equal(noise_peer_init(&p, NOISE_PEER_RESPONDER, &c, NOW), PS_OK);
	hand_init(&h, CHACHA, true);
	handshake_as_initiator(&p, &h);
	memset(msg, 0, 15);
	feed(&p, msg, 15, PS_ERR_BAD_SIZE);
	assert_failed_on(&p, PS_ERR_BAD_SIZE, NOISE_PEER_TRANSPORT, 1);
	noise_peer_free(&p);
}

/* Echoes that authenticate but are not T_k: a byte short (a prefix of
 * T_k), a byte long (T_k and a zero byte), T_k of another k. Refused at
 * that echo, nothing queued after. */
static void test_echo_not_t_k(void **state)
{
	static struct noise_peer p;
	static struct hand h;
	uint8_t ct[128], pt[128];
	struct noise_peer_config c;
	uint64_t seed = 13;
	(void)state;

	for (int how = 0; how < 4; how++) {
		size_t len, pl;

		config(&c, CHACHA, 3, &seed);
		assert_int_equal(noise_peer_init(&p, NOISE_PEER_INITIATOR, &c, NOW), PS_OK);
		hand_init(&h, CHACHA, false);
		handshake_as_responder(&p, &h);
		/* echo 1 honest */
		len = take_frame(&p, ct, sizeof(ct));
		pl = hand_open(&h, pt, ct, len);
		feed(&p, ct, hand_seal(&h, ct, h.n_send++, false, pt, pl), PS_OK);
		/* echo 2 spoilt */
		len = take_frame(&p, ct, sizeof(ct));
		pl = hand_open(&h, pt, ct, len);
		if (how == 0)
			pl--; /* a prefix */
		else if (how == 1)
			pt[pl++] = 0x00; /* extended */
		else if (how == 2)
			pt[pl - 1] = 1; /* T_1 where T_2 belongs */
		else
			pt[0] ^= 0x20; /* another first byte */
		feed(&p, ct, hand_seal(&h, ct, h.n_send++, false, pt, pl), PS_ERR_ECHO_MISMATCH);
		assert_failed_on(&p, PS_ERR_ECHO_MISMATCH, NOISE_PEER_ECHO, 2);
		assert_int_equal(noise_peer_messages(&p), 1);
		noise_peer_free(&p);
	}
}

/* Section 3: "All Noise messages are less than or equal to 65535 bytes".
 * T of 65519 bytes (N = 1) or 65517 (N > 1, with its counter) makes
 * 65535-byte transport messages and echoes, which pass; one byte more is
 * refused at init, before anything is queued. */
static void test_size_boundary(void **state)
{
	static struct noise_peer p;
	static struct hand h;
	static uint8_t big[NOISE_MAX_MSG], ct[NOISE_MAX_MSG], pt[NOISE_MAX_MSG];
	struct noise_peer_config c;
	uint64_t seed = 14;
	const uint8_t *out;
	(void)state;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	for (uint32_t n = 1; n <= 3; n += 2) {
		size_t tl = n == 1 ? 65519 : 65517, len, pl;

		config(&c, CHACHA, n, &seed);
		c.transport = big;
		c.transport_len = tl + 1;
		assert_int_equal(noise_peer_init(&p, NOISE_PEER_INITIATOR, &c, NOW),
				 PS_ERR_TOO_LARGE);
		assert_int_equal(noise_peer_output(&p, &out), 0);
		c.transport_len = tl;
		assert_int_equal(noise_peer_init(&p, NOISE_PEER_INITIATOR, &c, NOW), PS_OK);
		hand_init(&h, CHACHA, false);
		handshake_as_responder(&p, &h);
		for (uint32_t k = 1; k <= n; k++) {
			len = take_frame(&p, ct, sizeof(ct));
			assert_int_equal(len, 65535);
			pl = hand_open(&h, pt, ct, len);
			assert_int_equal(pl, 65519);
			feed(&p, ct, hand_seal(&h, ct, h.n_send++, false, pt, pl), PS_OK);
		}
		assert_int_equal(noise_peer_outcome(&p), PS_SUCCESS);
		noise_peer_free(&p);
	}
	/* the count: at most 65535 (k is 2 bytes) */
	config(&c, CHACHA, NOISE_PEER_MAX_MESSAGES + 1, &seed);
	assert_int_equal(noise_peer_init(&p, NOISE_PEER_INITIATOR, &c, NOW), PS_ERR_INVALID_ARG);
	config(&c, CHACHA, NOISE_PEER_MAX_MESSAGES, &seed);
	assert_int_equal(noise_peer_init(&p, NOISE_PEER_INITIATOR, &c, NOW), PS_OK);
	noise_peer_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_messages),
		cmocka_unit_test(test_counterpart_nonces),
		cmocka_unit_test(test_continue_responder),
		cmocka_unit_test(test_continue_initiator),
		cmocka_unit_test(test_continue_not_in_handshake),
		cmocka_unit_test(test_echo_not_t_k),
		cmocka_unit_test(test_size_boundary),
	};

	if (cry_init() != PS_OK)
		return 1;
	if (cry_fuzzing_build()) {
		printf("skipped: fuzzing build has a null AEAD\n");
		return TU_SKIP;
	}
	return cmocka_run_group_tests_name("noise peer transport", tests, NULL, NULL);
}
