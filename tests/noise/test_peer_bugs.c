/*
 * test_peer_bugs.c - the misbehaviour switches of noise/peer (NOISE_BUG_*):
 * each spoils what one side sends, and the other side must refuse it with
 * the right error; each changes the wire in the roles peer.h names and in
 * no other; whatever they do, the MSG_SENT events describe exactly the
 * bytes handed out (every frame its event, each event's length the prefix
 * found on the wire, the bytes adding up), with one transport message and
 * with three. The transport switches (transport-nonce-skip, echo-prefix,
 * echo-extended, corrupt-then-valid) against receivers that continue after
 * a decryption failure and receivers that do not. Also the paths the noise_peer
 * fuzz harness found: a no-echo responder held open and fed more transport
 * messages must neither leak nor lose its final event; the events it
 * cannot keep are counted; what it waits for and what its failure is about
 * are said right.
 */
#include <string.h>

#include "core/cursor.h"
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

static void start_n(struct side *i, struct side *r, uint64_t ibugs, uint64_t rbugs, uint32_t n,
		    bool cont)
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
	c.messages = n;
	c.continue_on_decrypt_failure = cont;
	c.mem = tu_mem_default();
	assert_int_equal(noise_peer_init(&i->p, NOISE_PEER_INITIATOR, &c, T0), PS_OK);
	c.rng_ctx = &r->seed;
	c.bugs = rbugs;
	assert_int_equal(noise_peer_init(&r->p, NOISE_PEER_RESPONDER, &c, T0), PS_OK);
}

static void start(struct side *i, struct side *r, uint64_t ibugs, uint64_t rbugs)
{
	start_n(i, r, ibugs, rbugs, 1, false);
}

static void run(struct side *i, struct side *r)
{
	for (int k = 0; k < 16; k++)
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

static void expect_n(uint64_t ibugs, uint64_t rbugs, uint32_t n, bool cont, int ierr, int rerr)
{
	struct side i, r;

	start_n(&i, &r, ibugs, rbugs, n, cont);
	run(&i, &r);
	finish(&i, &r);
	assert_int_equal(i.err, ierr);
	assert_int_equal(r.err, rerr);
}

static void expect(uint64_t ibugs, uint64_t rbugs, int ierr, int rerr)
{
	expect_n(ibugs, rbugs, 1, false, ierr, rerr);
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
	expect(0, NOISE_BUG_ECHO_PREFIX, PS_ERR_ECHO_MISMATCH, PS_OK);
	expect(0, NOISE_BUG_ECHO_EXTENDED, PS_ERR_ECHO_MISMATCH, PS_OK);
	/* the last echo under the wrong nonce; the responder succeeded */
	expect(0, NOISE_BUG_NONCE_SKIP, PS_ERR_DECRYPT, PS_OK);
	expect_n(0, NOISE_BUG_NONCE_SKIP, 3, false, PS_ERR_DECRYPT, PS_OK);
	expect(0, NOISE_BUG_CORRUPT_THEN_VALID, PS_ERR_DECRYPT, PS_OK);
}

/* The transport switches in an exchange of three messages, and what a
 * receiver that continues after a decryption failure makes of them. */
static void test_transport_switches(void **state)
{
	struct side i, r;
	uint32_t k;
	(void)state;

	/* the last transport message under the wrong nonce: refused, at 3 */
	start_n(&i, &r, NOISE_BUG_NONCE_SKIP, 0, 3, false);
	run(&i, &r);
	assert_int_equal(noise_peer_error(&r.p), PS_ERR_DECRYPT);
	assert_int_equal(noise_peer_failed_on(&r.p, &k), NOISE_PEER_TRANSPORT);
	assert_int_equal(k, 3);
	assert_int_equal(noise_peer_messages(&r.p), 2);
	finish(&i, &r);
	/* ... and by a continuing one too: no later nonce is taken */
	expect_n(NOISE_BUG_NONCE_SKIP, 0, 3, true, PS_ERR_CLOSED, PS_ERR_CLOSED);

	/* corrupt-then-valid: the first refused; with continue, the second
	 * taken at the same nonce and the exchange goes on */
	start_n(&i, &r, NOISE_BUG_CORRUPT_THEN_VALID, 0, 3, false);
	run(&i, &r);
	assert_int_equal(noise_peer_error(&r.p), PS_ERR_DECRYPT);
	assert_int_equal(noise_peer_failed_on(&r.p, &k), NOISE_PEER_TRANSPORT);
	assert_int_equal(k, 1);
	finish(&i, &r);
	for (int who = 0; who < 2; who++) {
		start_n(&i, &r, who ? 0 : NOISE_BUG_CORRUPT_THEN_VALID,
			who ? NOISE_BUG_CORRUPT_THEN_VALID : 0, 3, true);
		run(&i, &r);
		assert_int_equal(noise_peer_outcome(&i.p), PS_SUCCESS);
		assert_int_equal(noise_peer_outcome(&r.p), PS_SUCCESS);
		assert_int_equal(noise_peer_dropped(who ? &i.p : &r.p), 1);
		assert_int_equal(noise_peer_dropped(who ? &r.p : &i.p), 0);
		assert_int_equal(noise_peer_messages(&i.p), 3);
		assert_int_equal(noise_peer_messages(&r.p), 3);
		finish(&i, &r);
		assert_int_equal(i.err, PS_OK);
		assert_int_equal(r.err, PS_OK);
	}
	/* echo-prefix, echo-extended: refused at echo 1 */
	for (int b = 0; b < 2; b++) {
		start_n(&i, &r, 0, b ? NOISE_BUG_ECHO_EXTENDED : NOISE_BUG_ECHO_PREFIX, 3, true);
		run(&i, &r);
		assert_int_equal(noise_peer_error(&i.p), PS_ERR_ECHO_MISMATCH);
		assert_int_equal(noise_peer_failed_on(&i.p, &k), NOISE_PEER_ECHO);
		assert_int_equal(k, 1);
		finish(&i, &r);
	}
}

/* ---- the MSG_SENT events against the wire ---- */

struct wire_side {
	struct noise_peer p;
	uint64_t seed;
	uint8_t wire[1024]; /* everything noise_peer_output handed out */
	size_t wire_len;
	uint8_t flight[1024]; /* of that, what the other side has not had yet */
	size_t flight_off, flight_len;
	struct noise_peer_event sent[32]; /* the MSG_SENT events, in order */
	size_t n_sent;
};

/* The transport messages of the wire runs (the tests set it). */
static uint32_t wire_messages = 1;

static void wire_start(struct wire_side *s, enum noise_peer_role role, uint64_t bugs)
{
	static const uint8_t psk[32] = { 9, 8, 7 };
	static const uint8_t t[] = "the transport plaintext", p1[] = "P1", p2[] = "P2!";
	struct noise_peer_config c;

	memset(s, 0, sizeof(*s));
	s->seed = role == NOISE_PEER_INITIATOR ? 5 : 6;
	memset(&c, 0, sizeof(c));
	memcpy(c.psk, psk, sizeof(psk));
	c.payload1 = p1;
	c.payload1_len = sizeof(p1) - 1;
	c.payload2 = p2;
	c.payload2_len = sizeof(p2) - 1;
	c.transport = t;
	c.transport_len = sizeof(t) - 1;
	c.timeout_ns = 1000000000u;
	c.rng = tu_rng;
	c.rng_ctx = &s->seed;
	c.bugs = bugs;
	c.messages = wire_messages;
	c.mem = tu_mem_default();
	assert_int_equal(noise_peer_init(&s->p, role, &c, T0), PS_OK);
}

/* Take all s has to send (onto its wire log and in flight), and its events. */
static void wire_collect(struct wire_side *s)
{
	struct noise_peer_event ev;
	const uint8_t *out;
	size_t n = noise_peer_output(&s->p, &out);

	assert_true(n <= sizeof(s->wire) - s->wire_len);
	memcpy(s->wire + s->wire_len, out, n);
	memcpy(s->flight + s->flight_len, out, n);
	s->wire_len += n;
	s->flight_len += n;
	noise_peer_consume(&s->p, n);
	while (noise_peer_next_event(&s->p, &ev))
		if (ev.type == NOISE_PEER_EV_MSG_SENT) {
			assert_true(s->n_sent < sizeof(s->sent) / sizeof(s->sent[0]));
			s->sent[s->n_sent++] = ev;
		}
}

/* Run the exchange one byte at a time, everything sent collected after
 * each byte (so no output is ever left queued when a side fails), until
 * nothing moves; then both sides close. */
static void wire_run(struct wire_side *i, struct wire_side *r)
{
	for (;;) {
		struct wire_side *from;

		wire_collect(i);
		wire_collect(r);
		from = i->flight_off < i->flight_len ? i : r->flight_off < r->flight_len ? r : NULL;
		if (!from)
			break;
		{
			int rc = noise_peer_input(from == i ? &r->p : &i->p, T0 + 1,
						  from->flight + from->flight_off++, 1);
			assert_true(rc == PS_OK ||
				    rc == noise_peer_error(from == i ? &r->p : &i->p));
		}
	}
	noise_peer_close(&i->p, PS_ERR_CLOSED);
	noise_peer_close(&r->p, PS_ERR_CLOSED);
	wire_collect(i);
	wire_collect(r);
}

/* Every frame handed out had its MSG_SENT event, in order: each event's
 * length is the prefix at its offset on the wire, its bytes take us to the
 * next frame, and they add up to the whole wire. */
static void assert_events_match_wire(const struct wire_side *s, uint64_t ib, uint64_t rb)
{
	size_t off = 0;

	assert_int_equal(noise_peer_events_lost(&s->p), 0);
	for (size_t k = 0; k < s->n_sent; k++) {
		const struct noise_peer_event *ev = &s->sent[k];

		if (s->wire_len - off < 2 || ev->bytes > s->wire_len - off || ev->bytes < 2)
			fail_msg("bugs %llx/%llx: event %zu (%zu bytes) past the wire's %zu",
				 (unsigned long long)ib, (unsigned long long)rb, k, ev->bytes,
				 s->wire_len);
		if (ps_load_u16be(s->wire + off) != ev->length)
			fail_msg("bugs %llx/%llx: event %zu says length %zu, the prefix %u",
				 (unsigned long long)ib, (unsigned long long)rb, k, ev->length,
				 ps_load_u16be(s->wire + off));
		off += ev->bytes;
	}
	if (off != s->wire_len)
		fail_msg("bugs %llx/%llx: events sum to %zu bytes, the wire has %zu",
			 (unsigned long long)ib, (unsigned long long)rb, off, s->wire_len);
}

static struct wire_side wi, wr;

/* Every switch and every pair of them, on the initiator, the responder
 * and both; with one transport message each way and with three. */
static void test_sent_events_are_the_wire(void **state)
{
	(void)state;
	for (wire_messages = 1; wire_messages <= 3; wire_messages += 2)
		for (int a = -1; a < NOISE_BUG_COUNT; a++)
			for (int b = a; b < NOISE_BUG_COUNT; b++) {
				uint64_t bugs = (a < 0 ? 0 : UINT64_C(1) << a) |
						(b < 0 ? 0 : UINT64_C(1) << b);

				for (int who = 0; who < 3; who++) {
					uint64_t ib = who != 1 ? bugs : 0, rb = who != 0 ? bugs : 0;

					wire_start(&wi, NOISE_PEER_INITIATOR, ib);
					wire_start(&wr, NOISE_PEER_RESPONDER, rb);
					wire_run(&wi, &wr);
					assert_events_match_wire(&wi, ib, rb);
					assert_events_match_wire(&wr, ib, rb);
					noise_peer_free(&wi.p);
					noise_peer_free(&wr.p);
				}
			}
	wire_messages = 1;
}

/* --bug silent: nothing goes out, so no MSG_SENT event at all; zero-frame
 * and replay-msg1 each add a frame of their own. */
static void test_sent_events_per_frame(void **state)
{
	(void)state;
	wire_start(&wi, NOISE_PEER_INITIATOR, NOISE_BUG_SILENT);
	wire_start(&wr, NOISE_PEER_RESPONDER, NOISE_BUG_SILENT);
	wire_run(&wi, &wr);
	assert_int_equal(wi.wire_len + wr.wire_len, 0);
	assert_int_equal(wi.n_sent + wr.n_sent, 0);
	noise_peer_free(&wi.p);
	noise_peer_free(&wr.p);

	wire_start(&wi, NOISE_PEER_INITIATOR, NOISE_BUG_ZERO_FRAME | NOISE_BUG_REPLAY_MSG1);
	wire_collect(&wi);
	assert_int_equal(wi.n_sent, 3);
	assert_int_equal(wi.sent[0].msg, NOISE_PEER_EMPTY);
	assert_int_equal(wi.sent[0].length, 0);
	assert_int_equal(wi.sent[0].bytes, 2);
	assert_int_equal(wi.sent[1].msg, NOISE_PEER_MSG1);
	assert_int_equal(wi.sent[1].length, 48 + 2);
	assert_int_equal(wi.sent[1].bytes, 2 + 48 + 2);
	assert_int_equal(wi.sent[2].msg, NOISE_PEER_MSG1);
	assert_int_equal(wi.sent[2].bytes, 2 + 48 + 2);
	noise_peer_free(&wi.p);

	/* the prefix says 65535, the frame holds its real body */
	wire_start(&wr, NOISE_PEER_RESPONDER, NOISE_BUG_OVERSIZE_PREFIX | NOISE_BUG_TRUNCATE_MSG2);
	wire_start(&wi, NOISE_PEER_INITIATOR, 0);
	wire_run(&wi, &wr);
	assert_int_equal(wr.n_sent, 1);
	assert_int_equal(wr.sent[0].msg, NOISE_PEER_MSG2);
	assert_int_equal(wr.sent[0].length, NOISE_MAX_MSG);
	assert_int_equal(wr.sent[0].bytes, 2 + 48 + 3 - 1);
	noise_peer_free(&wi.p);
	noise_peer_free(&wr.p);
}

/* The roles in which each switch changes the wire, as peer.h says: there
 * the side's bytes differ from an honest run, elsewhere they are the same. */
static void test_switch_roles(void **state)
{
	static const struct {
		uint64_t bit;
		bool initiator, responder;
	} roles[] = {
		{ NOISE_BUG_FLIP_MSG1, true, false },
		{ NOISE_BUG_FLIP_MSG1_E, true, false },
		{ NOISE_BUG_FLIP_MSG2, false, true },
		{ NOISE_BUG_FLIP_MSG2_E, false, true },
		{ NOISE_BUG_FLIP_TRANSPORT, true, true },
		{ NOISE_BUG_TRUNCATE_MSG1, true, false },
		{ NOISE_BUG_TRUNCATE_MSG2, false, true },
		{ NOISE_BUG_OVERSIZE_PREFIX, true, true },
		{ NOISE_BUG_REPLAY_MSG1, true, false },
		{ NOISE_BUG_LOW_ORDER_E, true, true },
		{ NOISE_BUG_ALTER_ECHO, false, true },
		{ NOISE_BUG_NO_ECHO, false, true },
		{ NOISE_BUG_SILENT, true, true },
		{ NOISE_BUG_ZERO_FRAME, true, true },
		{ NOISE_BUG_ECHO_PREFIX, false, true },
		{ NOISE_BUG_ECHO_EXTENDED, false, true },
		{ NOISE_BUG_NONCE_SKIP, true, true },
		{ NOISE_BUG_CORRUPT_THEN_VALID, true, true },
	};
	static uint8_t honest[2][1024];
	size_t honest_len[2];
	(void)state;

	assert_int_equal(sizeof(roles) / sizeof(roles[0]), NOISE_BUG_COUNT); /* every one */
	wire_start(&wi, NOISE_PEER_INITIATOR, 0);
	wire_start(&wr, NOISE_PEER_RESPONDER, 0);
	wire_run(&wi, &wr);
	memcpy(honest[0], wi.wire, wi.wire_len);
	memcpy(honest[1], wr.wire, wr.wire_len);
	honest_len[0] = wi.wire_len;
	honest_len[1] = wr.wire_len;
	noise_peer_free(&wi.p);
	noise_peer_free(&wr.p);

	for (size_t k = 0; k < sizeof(roles) / sizeof(roles[0]); k++)
		for (int side = 0; side < 2; side++) {
			const struct wire_side *s = side ? &wr : &wi;
			bool applies = side ? roles[k].responder : roles[k].initiator;
			bool same;

			wire_start(&wi, NOISE_PEER_INITIATOR, side ? 0 : roles[k].bit);
			wire_start(&wr, NOISE_PEER_RESPONDER, side ? roles[k].bit : 0);
			wire_run(&wi, &wr);
			same = s->wire_len == honest_len[side] &&
			       memcmp(s->wire, honest[side], s->wire_len) == 0;
			if (same == applies)
				fail_msg("bug %llx as %s: the wire %s",
					 (unsigned long long)roles[k].bit,
					 side ? "responder" : "initiator",
					 same ? "is the honest one" : "changed");
			noise_peer_free(&wi.p);
			noise_peer_free(&wr.p);
		}
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
	/* it waits for nothing, has not ended, has no failure to speak of */
	assert_null(noise_peer_waiting_for(&r.p));
	assert_false(noise_peer_ended(&r.p));
	assert_null(noise_peer_note(&r.p));
	assert_string_equal(noise_peer_waiting_for(&i.p), "the echo");
	for (int k = 0; k < 2 * NOISE_PEER_EVENTS; k++) {
		assert_int_equal(noise_cs_encrypt_with_ad(&i.p.send, frame + 2, sizeof(frame) - 2,
							  &len, NULL, 0, pt, sizeof(pt) - 1),
				 PS_OK);
		assert_int_equal(noise_frame_put_header(frame, len), PS_OK);
		assert_int_equal(noise_peer_input(&r.p, T0, frame, 2 + len), PS_OK);
		assert_int_equal(noise_peer_outcome(&r.p), PS_PENDING);
	}
	/* 2 * NOISE_PEER_EVENTS MSG_RECV, never drained: the ring keeps
	 * NOISE_PEER_EVENTS - 1 of them (its last slot is the final event's),
	 * the others are counted */
	assert_int_equal(noise_peer_events_lost(&r.p),
			 2 * NOISE_PEER_EVENTS - (NOISE_PEER_EVENTS - 1));
	/* closed with the ring full (never drained since), then drained */
	noise_peer_close(&r.p, PS_ERR_CLOSED);
	drain(&r);
	assert_int_equal(r.finals, 1);
	assert_int_equal(r.err, PS_ERR_CLOSED);
	assert_int_equal(noise_peer_events_lost(&r.p),
			 2 * NOISE_PEER_EVENTS - (NOISE_PEER_EVENTS - 1));
	/* the transport message did arrive: the failure is after it */
	assert_string_equal(noise_peer_note(&r.p), "after the transport message, echo withheld");
	assert_null(noise_peer_waiting_for(&r.p));
	finish(&i, &r);
}

/* `noise listen --bug no-echo` against an honest initiator: whether the
 * initiator closes or the responder's deadline passes, the responder's
 * failure is after the transport message, not before it; a bad frame
 * while it holds is about a transport message; the initiator's is about
 * the echo it never got. */
static void test_no_echo_notes(void **state)
{
	static struct side i, r;
	(void)state;

	for (int how = 0; how < 3; how++) {
		start(&i, &r, 0, NOISE_BUG_NO_ECHO);
		run(&i, &r);
		assert_int_equal(noise_peer_outcome(&r.p), PS_PENDING);
		assert_null(noise_peer_waiting_for(&r.p));
		if (how == 0) {
			noise_peer_close(&r.p, PS_ERR_CLOSED);
			assert_string_equal(noise_peer_note(&r.p),
					    "after the transport message, echo withheld");
		} else if (how == 1) {
			noise_peer_handle_expiry(&r.p, T0 + 1000000000u);
			assert_int_equal(noise_peer_error(&r.p), PS_ERR_TIMEOUT);
			assert_string_equal(noise_peer_note(&r.p),
					    "after the transport message, echo withheld");
		} else {
			/* a frame that does not decrypt */
			static const uint8_t junk[2 + 16] = { 0, 16 };
			assert_int_equal(noise_peer_input(&r.p, T0, junk, sizeof(junk)),
					 PS_ERR_DECRYPT);
			assert_string_equal(noise_peer_note(&r.p), "the transport message");
		}
		/* the transport plaintext it held is still there */
		{
			size_t n;
			assert_non_null(noise_peer_transport(&r.p, &n));
			assert_int_equal(n, sizeof("transport") - 1);
		}
		noise_peer_handle_expiry(&i.p, T0 + 1000000000u);
		assert_string_equal(noise_peer_note(&i.p), "the echo");
		finish(&i, &r);
		assert_int_equal(i.err, PS_ERR_TIMEOUT);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_honest),
		cmocka_unit_test(test_initiator_spoils),
		cmocka_unit_test(test_responder_spoils),
		cmocka_unit_test(test_transport_switches),
		cmocka_unit_test(test_no_echo_held),
		cmocka_unit_test(test_no_echo_notes),
		cmocka_unit_test(test_sent_events_are_the_wire),
		cmocka_unit_test(test_sent_events_per_frame),
		cmocka_unit_test(test_switch_roles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
