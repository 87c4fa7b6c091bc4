/*
 * test_peer_bugs.c - the misbehaviour switches of noise/peer (NOISE_BUG_*):
 * each spoils what one side sends, and the other side must refuse it with
 * the right error. Also the paths the noise_peer fuzz harness found: a
 * no-echo responder held open and fed more transport messages must neither
 * leak nor lose its final event.
 */
#include <string.h>

#include "noise/frame.h"
#include "noise/peer.h"
#include "testutil.h"

#define T0 1000u

struct side {
	struct noise_peer p;
	uint64_t seed;
	int finals; /* SUCCESS and FAILED events seen */
	int err;
};

static void drain(struct side *s)
{
	struct noise_peer_event ev;

	while (noise_peer_next_event(&s->p, &ev)) {
		if (ev.type == NOISE_PEER_EV_SUCCESS || ev.type == NOISE_PEER_EV_FAILED) {
			s->finals++;
			s->err = ev.err;
		}
	}
}

/* Move whatever from has queued to to; returns the bytes moved. */
static size_t pump(struct side *from, struct side *to)
{
	const uint8_t *out;
	size_t n = noise_peer_output(&from->p, &out);

	if (n) {
		int r = noise_peer_input(&to->p, T0, out, n);
		/* an error is the one the peer ended with */
		assert_true(r == PS_OK || r == noise_peer_error(&to->p));
		noise_peer_consume(&from->p, n);
	}
	drain(from);
	drain(to);
	return n;
}

static void start(struct side *i, struct side *r, uint64_t ibugs, uint64_t rbugs)
{
	static const uint8_t psk[32] = { 1, 2, 3 };
	static const uint8_t t[] = "transport";
	struct noise_peer_config c;

	memset(i, 0, sizeof(*i));
	memset(r, 0, sizeof(*r));
	i->seed = 1;
	r->seed = 2;
	memset(&c, 0, sizeof(c));
	memcpy(c.psk, psk, sizeof(psk));
	c.transport = t;
	c.transport_len = sizeof(t) - 1;
	c.timeout_ns = 1000000000u;
	c.rng = tu_rng;
	c.rng_ctx = &i->seed;
	c.bugs = ibugs;
	assert_int_equal(noise_peer_init(&i->p, NOISE_PEER_INITIATOR, &c, T0), PS_OK);
	c.rng_ctx = &r->seed;
	c.bugs = rbugs;
	assert_int_equal(noise_peer_init(&r->p, NOISE_PEER_RESPONDER, &c, T0), PS_OK);
}

static void run(struct side *i, struct side *r)
{
	for (int k = 0; k < 8; k++)
		if (!pump(i, r) && !pump(r, i))
			break;
}

static void finish(struct side *i, struct side *r)
{
	noise_peer_close(&i->p, PS_ERR_CLOSED);
	noise_peer_close(&r->p, PS_ERR_CLOSED);
	drain(i);
	drain(r);
	/* exactly one final event per side, whatever happened */
	assert_int_equal(i->finals, 1);
	assert_int_equal(r->finals, 1);
	noise_peer_free(&i->p);
	noise_peer_free(&r->p);
}

static void expect(uint64_t ibugs, uint64_t rbugs, int ierr, int rerr)
{
	struct side i, r;

	start(&i, &r, ibugs, rbugs);
	run(&i, &r);
	finish(&i, &r);
	assert_int_equal(i.err, ierr);
	assert_int_equal(r.err, rerr);
}

static void test_honest(void **state)
{
	(void)state;
	expect(0, 0, PS_OK, PS_OK);
}

static void test_initiator_spoils(void **state)
{
	(void)state;
	/* the responder refuses msg1; the initiator then only sees the close */
	expect(NOISE_BUG_FLIP_MSG1, 0, PS_ERR_CLOSED, PS_ERR_DECRYPT);
	expect(NOISE_BUG_FLIP_MSG1_E, 0, PS_ERR_CLOSED, PS_ERR_DECRYPT);
	expect(NOISE_BUG_TRUNCATE_MSG1, 0, PS_ERR_CLOSED, PS_ERR_BAD_SIZE);
	expect(NOISE_BUG_ZERO_FRAME, 0, PS_ERR_CLOSED, PS_ERR_BAD_SIZE);
	/* an honest msg1 carrying the zero point: refused at the responder's DH */
	expect(NOISE_BUG_LOW_ORDER_E, 0, PS_ERR_CLOSED, PS_ERR_DH);
	/* msg1 again where the transport message belongs */
	expect(NOISE_BUG_REPLAY_MSG1, 0, PS_ERR_CLOSED, PS_ERR_DECRYPT);
	expect(NOISE_BUG_FLIP_TRANSPORT, 0, PS_ERR_CLOSED, PS_ERR_DECRYPT);
}

static void test_responder_spoils(void **state)
{
	(void)state;
	expect(0, NOISE_BUG_FLIP_MSG2, PS_ERR_DECRYPT, PS_ERR_CLOSED);
	expect(0, NOISE_BUG_FLIP_MSG2_E, PS_ERR_DECRYPT, PS_ERR_CLOSED);
	expect(0, NOISE_BUG_TRUNCATE_MSG2, PS_ERR_BAD_SIZE, PS_ERR_CLOSED);
	expect(0, NOISE_BUG_LOW_ORDER_E, PS_ERR_DH, PS_ERR_CLOSED);
	expect(0, NOISE_BUG_FLIP_TRANSPORT, PS_ERR_DECRYPT, PS_OK);
	expect(0, NOISE_BUG_ALTER_ECHO, PS_ERR_ECHO_MISMATCH, PS_OK);
}

/* The fuzz findings (fuzz/regressions/noise_peer/no-echo-*): a no-echo
 * responder holds the connection open, so the initiator may send it more
 * transport messages. Each one decrypts (the initiator's send CipherState
 * makes them, nonces 1, 2, ...); the responder must release the plaintext
 * it held (ASan's leak check fails this test otherwise), and with its event
 * ring full of MSG_RECV it must still report its one FAILED on close. */
static void test_no_echo_held(void **state)
{
	static const uint8_t pt[] = "more";
	struct side i, r;
	uint8_t frame[2 + 64];
	size_t len;

	(void)state;
	start(&i, &r, 0, NOISE_BUG_NO_ECHO);
	(void)pump(&i, &r); /* msg1 */
	(void)pump(&r, &i); /* msg2 */
	(void)pump(&i, &r); /* the transport message, held */
	assert_int_equal(noise_peer_outcome(&r.p), PS_PENDING);
	assert_int_equal(r.finals, 0);
	for (int k = 0; k < 2 * NOISE_PEER_EVENTS; k++) {
		assert_int_equal(noise_cs_encrypt_with_ad(&i.p.send, frame + 2, sizeof(frame) - 2,
							  &len, NULL, 0, pt, sizeof(pt) - 1),
				 PS_OK);
		assert_int_equal(noise_frame_put_header(frame, len), PS_OK);
		assert_int_equal(noise_peer_input(&r.p, T0, frame, 2 + len), PS_OK);
		assert_int_equal(noise_peer_outcome(&r.p), PS_PENDING);
	}
	/* closed with the ring full (never drained since), then drained */
	noise_peer_close(&r.p, PS_ERR_CLOSED);
	drain(&r);
	assert_int_equal(r.finals, 1);
	assert_int_equal(r.err, PS_ERR_CLOSED);
	finish(&i, &r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_honest),
		cmocka_unit_test(test_initiator_spoils),
		cmocka_unit_test(test_responder_spoils),
		cmocka_unit_test(test_no_echo_held),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
