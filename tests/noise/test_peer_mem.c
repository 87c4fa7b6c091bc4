/*
 * test_peer_mem.c - what a Noise peer borrows (noise/mem.h): a peer that
 * announces a 64 KiB frame and stalls costs nothing beyond the struct; a
 * frame over the small buffer is lent one block, once its bytes pass it,
 * given back as soon as the frame has been handled; a lender that refuses
 * ends the exchange with its error, on the message being read; an
 * ordinary exchange (short payloads) needs no lender at all, a large one
 * borrows and gives everything back by free; noise_peer_authenticated
 * turns true for the initiator at msg2 and for the responder at the first
 * transport message, not at msg1.
 */
#include <string.h>

#include "core/err.h"
#include "noise/peer.h"
#include "testutil.h"

#define NOW 1000000000u

static uint64_t seed_i = 1, seed_r = 2;

static void config(struct noise_peer_config *c, const struct noise_mem *mem, uint64_t *seed)
{
	memset(c, 0, sizeof(*c));
	memset(c->psk, 0x24, sizeof(c->psk));
	c->rng = tu_rng;
	c->rng_ctx = seed;
	c->timeout_ns = 5000000000u;
	c->mem = mem;
}

/* Everything from has queued into to, in one piece; the bytes moved. */
static size_t move(struct noise_peer *from, struct noise_peer *to)
{
	const uint8_t *data;
	size_t n = noise_peer_output(from, &data);

	if (n) {
		/* a failure shows in the receiver's outcome */
		if (noise_peer_input(to, NOW + 1, data, n) != PS_OK)
			assert_int_equal(noise_peer_outcome(to), PS_FAILED);
		noise_peer_consume(from, n);
	}
	return n;
}

static void drain(struct noise_peer *p)
{
	struct noise_peer_event ev;

	while (noise_peer_next_event(p, &ev))
		;
}

/* The struct is what a stalled connection costs: it stays small. */
static void test_struct_small(void **state)
{
	(void)state;
	assert_true(sizeof(struct noise_peer) < 3000);
}

/* ff ff, then 128 bytes of the announced 65535: nothing lent; the 129th:
 * one block; the close gives it back. */
static void test_announced_frame_costs_nothing(void **state)
{
	static struct noise_peer r;
	static const uint8_t hdr[] = { 0xff, 0xff };
	static uint8_t body[NOISE_FRAME_SMALL + 1];
	struct noise_peer_config c;
	struct tu_mem m;
	(void)state;

	tu_mem_init(&m);
	config(&c, &m.mem, &seed_r);
	assert_int_equal(noise_peer_init(&r, NOISE_PEER_RESPONDER, &c, NOW), PS_OK);
	assert_int_equal(noise_peer_input(&r, NOW, hdr, sizeof(hdr)), PS_OK);
	assert_int_equal(noise_peer_input(&r, NOW, body, NOISE_FRAME_SMALL), PS_OK);
	assert_int_equal(m.gets, 0);
	assert_int_equal(noise_peer_outcome(&r), PS_PENDING);
	assert_false(noise_peer_authenticated(&r));
	assert_int_equal(noise_peer_input(&r, NOW, body + NOISE_FRAME_SMALL, 1), PS_OK);
	assert_int_equal(m.gets, 1);
	assert_int_equal(m.largest, NOISE_MAX_MSG);
	noise_peer_close(&r, PS_ERR_CLOSED);
	assert_int_equal(m.out, 0); /* the failure wiped the reader */
	noise_peer_free(&r);
	assert_int_equal(m.out, 0);
}

/* A 300-byte msg1 of junk: one block of 300 for it, back once it has been
 * read (it fails to decrypt) and before noise_peer_input returns. */
static void test_block_back_after_frame(void **state)
{
	static struct noise_peer r;
	static uint8_t f[2 + 300];
	struct noise_peer_config c;
	struct tu_mem m;
	(void)state;

	tu_mem_init(&m);
	config(&c, &m.mem, &seed_r);
	memset(f, 0x42, sizeof(f));
	f[0] = 0x01;
	f[1] = 0x2c;
	assert_int_equal(noise_peer_init(&r, NOISE_PEER_RESPONDER, &c, NOW), PS_OK);
	assert_int_equal(noise_peer_input(&r, NOW, f, sizeof(f)), PS_ERR_DECRYPT);
	assert_int_equal(m.gets, 2); /* the frame, and its 252-byte payload's room */
	assert_int_equal(m.largest, 300);
	assert_int_equal(m.out, 0);
	noise_peer_free(&r);
	assert_int_equal(m.out, 0);
}

/* The lender says no (a budget): FAILED with its error, on message 1. */
static void test_lender_refuses(void **state)
{
	static struct noise_peer r;
	static uint8_t f[2 + 200];
	struct noise_peer_config c;
	struct noise_peer_event ev;
	struct tu_mem m;
	bool failed = false;
	(void)state;

	tu_mem_init(&m);
	m.refuse_at = 1;
	m.refuse_err = PS_ERR_EVICTED;
	config(&c, &m.mem, &seed_r);
	memset(f, 0, sizeof(f));
	f[0] = 0xff;
	f[1] = 0xff;
	assert_int_equal(noise_peer_init(&r, NOISE_PEER_RESPONDER, &c, NOW), PS_OK);
	assert_int_equal(noise_peer_input(&r, NOW, f, sizeof(f)), PS_ERR_EVICTED);
	assert_int_equal(noise_peer_outcome(&r), PS_FAILED);
	assert_int_equal(noise_peer_error(&r), PS_ERR_EVICTED);
	assert_string_equal(noise_peer_note(&r), "message 1");
	while (noise_peer_next_event(&r, &ev))
		if (ev.type == NOISE_PEER_EV_FAILED) {
			assert_int_equal(ev.err, PS_ERR_EVICTED);
			failed = true;
		}
	assert_true(failed);
	assert_int_equal(m.out, 0);
	noise_peer_free(&r);
}

/* Short payloads and plaintext: the whole exchange with no lender. */
static void test_ordinary_exchange_needs_no_lender(void **state)
{
	static struct noise_peer i, r;
	static const uint8_t p1[] = "hi", p2[] = "yo", t[] = "twenty bytes of text";
	struct noise_peer_config ci, cr;
	(void)state;

	config(&ci, NULL, &seed_i);
	config(&cr, NULL, &seed_r);
	ci.payload1 = p1;
	ci.payload1_len = sizeof(p1) - 1;
	ci.transport = t;
	ci.transport_len = sizeof(t) - 1;
	cr.payload2 = p2;
	cr.payload2_len = sizeof(p2) - 1;
	assert_int_equal(noise_peer_init(&i, NOISE_PEER_INITIATOR, &ci, NOW), PS_OK);
	assert_int_equal(noise_peer_init(&r, NOISE_PEER_RESPONDER, &cr, NOW), PS_OK);
	while (move(&i, &r) + move(&r, &i))
		;
	assert_int_equal(noise_peer_outcome(&i), PS_SUCCESS);
	assert_int_equal(noise_peer_outcome(&r), PS_SUCCESS);
	noise_peer_free(&i);
	noise_peer_free(&r);
}

/* Large payloads and plaintext over a counting lender: each message at a
 * time, who is authenticated; success; nothing lent after free, and no
 * request past one frame's block. */
static void test_large_exchange_and_authenticated(void **state)
{
	static struct noise_peer i, r;
	static uint8_t p1[1000], p2[2000], t[3000];
	struct noise_peer_config ci, cr;
	struct tu_mem mi, mr;
	const uint8_t *got;
	size_t n;
	(void)state;

	memset(p1, 1, sizeof(p1));
	memset(p2, 2, sizeof(p2));
	memset(t, 3, sizeof(t));
	tu_mem_init(&mi);
	tu_mem_init(&mr);
	config(&ci, &mi.mem, &seed_i);
	config(&cr, &mr.mem, &seed_r);
	ci.payload1 = p1;
	ci.payload1_len = sizeof(p1);
	ci.transport = t;
	ci.transport_len = sizeof(t);
	cr.payload2 = p2;
	cr.payload2_len = sizeof(p2);
	assert_int_equal(noise_peer_init(&i, NOISE_PEER_INITIATOR, &ci, NOW), PS_OK);
	assert_int_equal(noise_peer_init(&r, NOISE_PEER_RESPONDER, &cr, NOW), PS_OK);
	assert_false(noise_peer_authenticated(&i));
	assert_false(noise_peer_authenticated(&r));
	assert_int_equal(move(&i, &r), 2 + 48 + sizeof(p1)); /* msg1 */
	assert_int_equal(mi.out, 0);		    /* its queue drained: the block went back */
	assert_false(noise_peer_authenticated(&r)); /* anyone can make msg1 */
	assert_int_equal(move(&r, &i), 2 + 48 + sizeof(p2)); /* msg2 */
	assert_true(noise_peer_authenticated(&i));
	assert_false(noise_peer_authenticated(&r));
	assert_int_equal(move(&i, &r), 2 + 16 + sizeof(t)); /* transport */
	assert_true(noise_peer_authenticated(&r));
	assert_int_equal(move(&r, &i), 2 + 16 + sizeof(t)); /* echo */
	drain(&i);
	drain(&r);
	assert_int_equal(noise_peer_outcome(&i), PS_SUCCESS);
	assert_int_equal(noise_peer_outcome(&r), PS_SUCCESS);
	got = noise_peer_payload(&r, &n);
	assert_int_equal(n, sizeof(p1));
	assert_memory_equal(got, p1, n);
	got = noise_peer_transport(&i, &n);
	assert_int_equal(n, sizeof(t));
	assert_memory_equal(got, t, n);
	/* kept for the accessors: the payload and the plaintext */
	assert_int_equal(mr.out, 2);
	assert_int_equal(mi.out, 2);
	assert_true(mi.largest <= NOISE_MEM_BLOCK && mr.largest <= NOISE_MEM_BLOCK);
	noise_peer_free(&i);
	noise_peer_free(&r);
	assert_int_equal(mi.out, 0);
	assert_int_equal(mr.out, 0);
	assert_int_equal(mi.gets, mi.puts);
	assert_int_equal(mr.gets, mr.puts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_struct_small),
		cmocka_unit_test(test_announced_frame_costs_nothing),
		cmocka_unit_test(test_block_back_after_frame),
		cmocka_unit_test(test_lender_refuses),
		cmocka_unit_test(test_ordinary_exchange_needs_no_lender),
		cmocka_unit_test(test_large_exchange_and_authenticated),
	};
	return cmocka_run_group_tests_name("noise peer memory", tests, NULL, NULL);
}
