/*
 * test_misbehave.c - the --bug rewrites of noise/misbehave.c, on a known
 * frame: each switch does what its line in peer.h says (flip the tag's last
 * byte or e's first, one byte short and framed so, a 65535 prefix, an empty
 * frame before, a copy after with an honest prefix, nothing at all), only
 * for the message and role it names; the frames reported are the ones in
 * the queue; frames queued before are not touched; a queue without room
 * refuses and is left as it was. The corrupted twin of the first transport
 * message or echo (corrupt-then-valid): first, its tag spoilt, then the
 * frame as made. The echo (another, a byte short, a byte long, none), the
 * skipped nonce and the e switches too.
 */
#include <string.h>

#include "noise/frame.h"
#include "noise/misbehave.h"
#include "testutil.h"

#define BODY 48

static struct noise_peer_queue q;
/* the queue on a block of the most it can hold (set up in main) */
#define QBUF (q.buf.p)
#define QCAP NOISE_PEER_OUT_MAX

/* One honest frame at offset start: prefix 00 30, body 01 02 .. 30. */
static void put_frame(size_t start)
{
	q.len = start;
	QBUF[q.len++] = 0x00;
	QBUF[q.len++] = BODY;
	for (size_t i = 0; i < BODY; i++)
		QBUF[q.len++] = (uint8_t)(i + 1);
}

static void body(uint8_t out[BODY])
{
	for (size_t i = 0; i < BODY; i++)
		out[i] = (uint8_t)(i + 1);
}

/* Rewrite the frame at start for bugs, which (the index-th of its kind)
 * and role. */
static size_t rewrite_at(struct noise_misbehave_out *f, size_t start, uint64_t bugs,
			 enum noise_peer_role role, enum noise_peer_msg which, uint32_t index)
{
	size_t n = 99;

	put_frame(start);
	assert_int_equal(noise_misbehave_frame(f, &n, &q, start, bugs, role, which, index), PS_OK);
	return n;
}

/* The same, for the first of its kind (handshake messages: index 0). */
static size_t rewrite(struct noise_misbehave_out *f, size_t start, uint64_t bugs,
		      enum noise_peer_role role, enum noise_peer_msg which)
{
	bool transport = which == NOISE_PEER_TRANSPORT || which == NOISE_PEER_ECHO;

	return rewrite_at(f, start, bugs, role, which, transport ? 1 : 0);
}

static void assert_frame(const struct noise_misbehave_out *f, enum noise_peer_msg msg, size_t off,
			 size_t bytes)
{
	assert_int_equal(f->msg, msg);
	assert_int_equal(f->off, off);
	assert_int_equal(f->bytes, bytes);
}

/* Switches that do not name this message or role leave it alone. */
static void test_untouched(void **state)
{
	static const struct {
		uint64_t bugs;
		enum noise_peer_role role;
		enum noise_peer_msg which;
	} cases[] = {
		{ 0, NOISE_PEER_INITIATOR, NOISE_PEER_MSG1 },
		{ NOISE_BUG_FLIP_MSG2 | NOISE_BUG_FLIP_MSG2_E | NOISE_BUG_TRUNCATE_MSG2,
		  NOISE_PEER_INITIATOR, NOISE_PEER_MSG1 },
		{ NOISE_BUG_FLIP_MSG1 | NOISE_BUG_FLIP_MSG1_E | NOISE_BUG_TRUNCATE_MSG1 |
			  NOISE_BUG_REPLAY_MSG1,
		  NOISE_PEER_RESPONDER, NOISE_PEER_MSG2 },
		/* only our first message gets the prefix and the empty frame */
		{ NOISE_BUG_OVERSIZE_PREFIX | NOISE_BUG_ZERO_FRAME, NOISE_PEER_INITIATOR,
		  NOISE_PEER_TRANSPORT },
		{ NOISE_BUG_OVERSIZE_PREFIX | NOISE_BUG_ZERO_FRAME, NOISE_PEER_RESPONDER,
		  NOISE_PEER_ECHO },
		/* the echo and e switches act elsewhere */
		{ NOISE_BUG_ALTER_ECHO | NOISE_BUG_NO_ECHO | NOISE_BUG_LOW_ORDER_E,
		  NOISE_PEER_RESPONDER, NOISE_PEER_ECHO },
		{ NOISE_BUG_FLIP_TRANSPORT, NOISE_PEER_INITIATOR, NOISE_PEER_MSG1 },
		/* the twin is for transport messages and echoes only */
		{ NOISE_BUG_CORRUPT_THEN_VALID, NOISE_PEER_INITIATOR, NOISE_PEER_MSG1 },
		{ NOISE_BUG_CORRUPT_THEN_VALID, NOISE_PEER_RESPONDER, NOISE_PEER_MSG2 },
		/* echo-prefix, echo-extended, the nonce: not in the frame */
		{ NOISE_BUG_ECHO_PREFIX | NOISE_BUG_ECHO_EXTENDED | NOISE_BUG_NONCE_SKIP,
		  NOISE_PEER_RESPONDER, NOISE_PEER_ECHO },
		{ NOISE_BUG_NONCE_SKIP, NOISE_PEER_INITIATOR, NOISE_PEER_TRANSPORT },
	};
	struct noise_misbehave_out f[NOISE_MISBEHAVE_MAX_FRAMES];
	uint8_t want[2 + BODY];
	(void)state;

	want[0] = 0;
	want[1] = BODY;
	body(want + 2);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		assert_int_equal(rewrite(f, 0, cases[k].bugs, cases[k].role, cases[k].which), 1);
		assert_frame(&f[0], cases[k].which, 0, 2 + BODY);
		assert_int_equal(q.len, 2 + BODY);
		assert_memory_equal(QBUF, want, sizeof(want));
	}
	/* the twin goes with the first transport message or echo only */
	for (uint32_t k = 2; k < 5; k++) {
		assert_int_equal(rewrite_at(f, 0, NOISE_BUG_CORRUPT_THEN_VALID,
					    NOISE_PEER_INITIATOR, NOISE_PEER_TRANSPORT, k),
				 1);
		assert_int_equal(q.len, 2 + BODY);
		assert_memory_equal(QBUF, want, sizeof(want));
	}
}

/* corrupt-then-valid: the first transport message (initiator) or echo
 * (responder) twice, under the same nonce: first with bit 7 of its last
 * byte flipped, then as made. The twin is a copy of the frame as made,
 * before the other switches: with flip-transport too, the twin has only
 * its own flip and the message after it has flip-transport's. */
static void test_corrupt_then_valid(void **state)
{
	struct noise_misbehave_out f[NOISE_MISBEHAVE_MAX_FRAMES];
	uint8_t frame[2 + BODY], bad[2 + BODY];
	const size_t s = 6;
	(void)state;

	frame[0] = bad[0] = 0;
	frame[1] = bad[1] = BODY;
	body(frame + 2);
	body(bad + 2);
	bad[2 + BODY - 1] ^= 0x80;
	for (int role = 0; role < 2; role++) {
		enum noise_peer_msg m = role ? NOISE_PEER_ECHO : NOISE_PEER_TRANSPORT;

		memset(QBUF, 0xee, s);
		assert_int_equal(
			rewrite(f, s, NOISE_BUG_CORRUPT_THEN_VALID, (enum noise_peer_role)role, m),
			2);
		assert_frame(&f[0], m, s, 2 + BODY);
		assert_frame(&f[1], m, s + 2 + BODY, 2 + BODY);
		assert_int_equal(q.len, s + 2 * (2 + BODY));
		assert_int_equal(QBUF[s - 1], 0xee);
		assert_memory_equal(QBUF + s, bad, sizeof(bad));
		assert_memory_equal(QBUF + s + 2 + BODY, frame, sizeof(frame));
	}
	frame[2 + BODY - 1] ^= 0x01;
	assert_int_equal(rewrite(f, 0, NOISE_BUG_CORRUPT_THEN_VALID | NOISE_BUG_FLIP_TRANSPORT,
				 NOISE_PEER_INITIATOR, NOISE_PEER_TRANSPORT),
			 2);
	assert_memory_equal(QBUF, bad, sizeof(bad));
	assert_memory_equal(QBUF + 2 + BODY, frame, sizeof(frame));
}

static void test_flips(void **state)
{
	struct noise_misbehave_out f[NOISE_MISBEHAVE_MAX_FRAMES];
	uint8_t want[2 + BODY];
	(void)state;

	want[0] = 0;
	want[1] = BODY;
	/* the tag: the last byte */
	body(want + 2);
	want[2 + BODY - 1] ^= 0x01;
	assert_int_equal(rewrite(f, 0, NOISE_BUG_FLIP_MSG1, NOISE_PEER_INITIATOR, NOISE_PEER_MSG1),
			 1);
	assert_memory_equal(QBUF, want, sizeof(want));
	assert_int_equal(rewrite(f, 0, NOISE_BUG_FLIP_MSG2, NOISE_PEER_RESPONDER, NOISE_PEER_MSG2),
			 1);
	assert_memory_equal(QBUF, want, sizeof(want));
	assert_int_equal(
		rewrite(f, 0, NOISE_BUG_FLIP_TRANSPORT, NOISE_PEER_INITIATOR, NOISE_PEER_TRANSPORT),
		1);
	assert_memory_equal(QBUF, want, sizeof(want));
	assert_int_equal(
		rewrite(f, 0, NOISE_BUG_FLIP_TRANSPORT, NOISE_PEER_RESPONDER, NOISE_PEER_ECHO), 1);
	assert_memory_equal(QBUF, want, sizeof(want));
	assert_frame(&f[0], NOISE_PEER_ECHO, 0, 2 + BODY);

	/* e: the first byte of the message */
	body(want + 2);
	want[2] ^= 0x01;
	assert_int_equal(
		rewrite(f, 0, NOISE_BUG_FLIP_MSG1_E, NOISE_PEER_INITIATOR, NOISE_PEER_MSG1), 1);
	assert_memory_equal(QBUF, want, sizeof(want));
	assert_int_equal(
		rewrite(f, 0, NOISE_BUG_FLIP_MSG2_E, NOISE_PEER_RESPONDER, NOISE_PEER_MSG2), 1);
	assert_memory_equal(QBUF, want, sizeof(want));
}

static void test_truncate_and_prefix(void **state)
{
	struct noise_misbehave_out f[NOISE_MISBEHAVE_MAX_FRAMES];
	uint8_t want[2 + BODY];
	(void)state;

	/* one byte short, and framed as such */
	want[0] = 0;
	want[1] = BODY - 1;
	body(want + 2);
	assert_int_equal(
		rewrite(f, 0, NOISE_BUG_TRUNCATE_MSG1, NOISE_PEER_INITIATOR, NOISE_PEER_MSG1), 1);
	assert_int_equal(q.len, 2 + BODY - 1);
	assert_memory_equal(QBUF, want, 2 + BODY - 1);
	assert_frame(&f[0], NOISE_PEER_MSG1, 0, 2 + BODY - 1);
	assert_int_equal(
		rewrite(f, 0, NOISE_BUG_TRUNCATE_MSG2, NOISE_PEER_RESPONDER, NOISE_PEER_MSG2), 1);
	assert_memory_equal(QBUF, want, 2 + BODY - 1);

	/* 65535 declared, the body as it was */
	want[0] = want[1] = 0xff;
	for (int role = 0; role < 2; role++) {
		enum noise_peer_msg m = role ? NOISE_PEER_MSG2 : NOISE_PEER_MSG1;
		assert_int_equal(
			rewrite(f, 0, NOISE_BUG_OVERSIZE_PREFIX, (enum noise_peer_role)role, m), 1);
		assert_int_equal(q.len, 2 + BODY);
		assert_memory_equal(QBUF, want, sizeof(want));
		assert_frame(&f[0], m, 0, 2 + BODY);
	}
}

/* The empty frame goes before, the copy after (with an honest prefix); a
 * frame queued before them is not touched. */
static void test_extra_frames(void **state)
{
	struct noise_misbehave_out f[NOISE_MISBEHAVE_MAX_FRAMES];
	uint8_t frame[2 + BODY], cut[2 + BODY]; /* cut: the first 2 + BODY - 1 */
	const size_t s = 10;
	(void)state;

	frame[0] = 0;
	frame[1] = BODY;
	body(frame + 2);
	cut[0] = 0;
	cut[1] = BODY - 1;
	body(cut + 2);

	memset(QBUF, 0xee, s);
	assert_int_equal(rewrite(f, s, NOISE_BUG_ZERO_FRAME, NOISE_PEER_RESPONDER, NOISE_PEER_MSG2),
			 2);
	assert_frame(&f[0], NOISE_PEER_EMPTY, s, 2);
	assert_frame(&f[1], NOISE_PEER_MSG2, s + 2, 2 + BODY);
	assert_int_equal(q.len, s + 2 + 2 + BODY);
	assert_int_equal(QBUF[s - 1], 0xee);
	assert_int_equal(QBUF[s], 0);
	assert_int_equal(QBUF[s + 1], 0);
	assert_memory_equal(QBUF + s + 2, frame, sizeof(frame));

	assert_int_equal(
		rewrite(f, s, NOISE_BUG_REPLAY_MSG1, NOISE_PEER_INITIATOR, NOISE_PEER_MSG1), 2);
	assert_frame(&f[0], NOISE_PEER_MSG1, s, 2 + BODY);
	assert_frame(&f[1], NOISE_PEER_MSG1, s + 2 + BODY, 2 + BODY);
	assert_int_equal(q.len, s + 2 * (2 + BODY));
	assert_memory_equal(QBUF + s, frame, sizeof(frame));
	assert_memory_equal(QBUF + s + 2 + BODY, frame, sizeof(frame));

	/* all three, on a truncated message under an oversize prefix: the
	 * copy's prefix tells its true length */
	assert_int_equal(rewrite(f, s,
				 NOISE_BUG_ZERO_FRAME | NOISE_BUG_REPLAY_MSG1 |
					 NOISE_BUG_TRUNCATE_MSG1 | NOISE_BUG_OVERSIZE_PREFIX,
				 NOISE_PEER_INITIATOR, NOISE_PEER_MSG1),
			 3);
	assert_frame(&f[0], NOISE_PEER_EMPTY, s, 2);
	assert_frame(&f[1], NOISE_PEER_MSG1, s + 2, 2 + BODY - 1);
	assert_frame(&f[2], NOISE_PEER_MSG1, s + 2 + 2 + BODY - 1, 2 + BODY - 1);
	assert_int_equal(q.len, s + 2 + 2 * (2 + BODY - 1));
	assert_int_equal(QBUF[s + 2], 0xff);
	assert_int_equal(QBUF[s + 3], 0xff);
	assert_memory_equal(QBUF + s + 4, cut + 2, BODY - 1);
	assert_memory_equal(QBUF + s + 2 + 2 + BODY - 1, cut, 2 + BODY - 1);
}

/* --bug silent: made, never queued; whatever else is set. */
static void test_silent(void **state)
{
	struct noise_misbehave_out f[NOISE_MISBEHAVE_MAX_FRAMES];
	(void)state;

	assert_int_equal(rewrite(f, 7,
				 NOISE_BUG_SILENT | NOISE_BUG_ZERO_FRAME | NOISE_BUG_REPLAY_MSG1,
				 NOISE_PEER_INITIATOR, NOISE_PEER_MSG1),
			 0);
	assert_int_equal(q.len, 7);
	assert_int_equal(rewrite(f, 0, NOISE_BUG_SILENT, NOISE_PEER_RESPONDER, NOISE_PEER_ECHO), 0);
	assert_int_equal(q.len, 0);
}

/* No room for the extra frame: refused, the queue as it was. */
static void test_no_room(void **state)
{
	static uint8_t before[QCAP];
	struct noise_misbehave_out f[NOISE_MISBEHAVE_MAX_FRAMES];
	size_t n = 99;
	(void)state;

	for (int k = 0; k < 2; k++) {
		uint64_t bugs = k ? NOISE_BUG_ZERO_FRAME | NOISE_BUG_FLIP_MSG1
				  : NOISE_BUG_REPLAY_MSG1 | NOISE_BUG_FLIP_MSG1;
		size_t start = QCAP - (2 + BODY) - (k ? 1 : 2 + BODY - 1);

		put_frame(start);
		memcpy(before, QBUF, QCAP);
		assert_int_equal(noise_misbehave_frame(f, &n, &q, start, bugs, NOISE_PEER_INITIATOR,
						       NOISE_PEER_MSG1, 0),
				 PS_ERR_NOBUF);
		assert_int_equal(n, 99);
		assert_int_equal(q.len, start + 2 + BODY);
		assert_memory_equal(QBUF, before, QCAP);
	}
	/* the twin needs a whole frame more */
	{
		size_t start = QCAP - (2 + BODY) - (2 + BODY - 1);

		put_frame(start);
		memcpy(before, QBUF, QCAP);
		assert_int_equal(
			noise_misbehave_frame(f, &n, &q, start, NOISE_BUG_CORRUPT_THEN_VALID,
					      NOISE_PEER_INITIATOR, NOISE_PEER_TRANSPORT, 1),
			PS_ERR_NOBUF);
		assert_int_equal(n, 99);
		assert_int_equal(q.len, start + 2 + BODY);
		assert_memory_equal(QBUF, before, QCAP);
	}
	/* exactly enough room */
	put_frame(QCAP - 2 * (2 + BODY));
	assert_int_equal(noise_misbehave_frame(f, &n, &q, QCAP - 2 * (2 + BODY),
					       NOISE_BUG_REPLAY_MSG1, NOISE_PEER_INITIATOR,
					       NOISE_PEER_MSG1, 0),
			 PS_OK);
	assert_int_equal(q.len, QCAP);
}

/* echo(buf, cap, len, bugs) with "what came" in a buffer of cap bytes:
 * returns the code, the echo in out (*out_len). */
static int echo_of(const char *got, size_t cap, uint64_t bugs, uint8_t *out, size_t *out_len)
{
	memset(out, 0xcc, 64);
	memcpy(out, got, strlen(got));
	*out_len = strlen(got);
	return noise_misbehave_echo(out, cap, out_len, bugs);
}

static void test_echo_and_e(void **state)
{
	static const uint8_t zero[32] = { 0 };
	uint8_t buf[64];
	size_t len;
	(void)state;

	/* the honest echo, whatever switch acts elsewhere */
	assert_int_equal(
		echo_of("what came", 9, NOISE_BUG_FLIP_TRANSPORT | NOISE_BUG_NONCE_SKIP, buf, &len),
		PS_OK);
	assert_int_equal(len, 9);
	assert_memory_equal(buf, "what came", 9);
	assert_true(noise_misbehave_echoes(0));
	assert_true(noise_misbehave_echoes(NOISE_BUG_ALTER_ECHO | NOISE_BUG_ECHO_PREFIX));
	assert_false(noise_misbehave_echoes(NOISE_BUG_NO_ECHO));
	assert_false(noise_misbehave_echoes(NOISE_BUG_NO_ECHO | NOISE_BUG_ALTER_ECHO));

	/* alter-echo: another plaintext, whatever came (also nothing) */
	assert_int_equal(echo_of("what came", 64, NOISE_BUG_ALTER_ECHO, buf, &len), PS_OK);
	assert_int_equal(len, strlen("not what you sent"));
	assert_memory_equal(buf, "not what you sent", len);
	assert_int_equal(echo_of("", 64, NOISE_BUG_ALTER_ECHO, buf, &len), PS_OK);
	assert_int_equal(len, strlen("not what you sent"));

	/* echo-prefix: all but the last byte; nothing to cut of nothing */
	assert_int_equal(echo_of("what came", 9, NOISE_BUG_ECHO_PREFIX, buf, &len), PS_OK);
	assert_int_equal(len, 8);
	assert_memory_equal(buf, "what cam", 8);
	assert_int_equal(echo_of("", 0, NOISE_BUG_ECHO_PREFIX, buf, &len), PS_OK);
	assert_int_equal(len, 0);

	/* echo-extended: the plaintext and a zero byte */
	assert_int_equal(echo_of("what came", 10, NOISE_BUG_ECHO_EXTENDED, buf, &len), PS_OK);
	assert_int_equal(len, 10);
	assert_memory_equal(buf, "what came\0", 10);
	assert_int_equal(echo_of("", 1, NOISE_BUG_ECHO_EXTENDED, buf, &len), PS_OK);
	assert_int_equal(len, 1);
	assert_int_equal(buf[0], 0);
	/* no room for the byte: refused, nothing written */
	assert_int_equal(echo_of("what came", 9, NOISE_BUG_ECHO_EXTENDED, buf, &len),
			 PS_ERR_TOO_LARGE);
	assert_int_equal(len, 9);
	assert_int_equal(buf[9], 0xcc);
	/* alter-echo with no room for its text: refused, nothing written */
	assert_int_equal(echo_of("ab", 5, NOISE_BUG_ALTER_ECHO, buf, &len), PS_ERR_TOO_LARGE);
	assert_int_equal(len, 2);
	assert_memory_equal(buf, "ab", 2);
	assert_int_equal(buf[2], 0xcc);

	/* transport-nonce-skip: on the last message only */
	assert_true(noise_misbehave_skips_nonce(NOISE_BUG_NONCE_SKIP, true));
	assert_false(noise_misbehave_skips_nonce(NOISE_BUG_NONCE_SKIP, false));
	assert_false(noise_misbehave_skips_nonce(~(uint64_t)NOISE_BUG_NONCE_SKIP, true));

	assert_null(noise_misbehave_e_pub(0));
	assert_null(noise_misbehave_e_pub(~(uint64_t)NOISE_BUG_LOW_ORDER_E));
	assert_non_null(noise_misbehave_e_pub(NOISE_BUG_LOW_ORDER_E));
	assert_memory_equal(noise_misbehave_e_pub(NOISE_BUG_LOW_ORDER_E), zero, 32);
}

/* A queue on its small buffer whose lender refuses: a switch that needs a
 * frame more (replay-msg1's copy) fails with the lender's error, and the
 * queue is as it was. */
static void test_lender_refuses(void **state)
{
	static struct noise_peer_queue sq;
	struct noise_misbehave_out f[NOISE_MISBEHAVE_MAX_FRAMES];
	struct tu_mem m;
	uint8_t before[NOISE_PEER_OUT_SMALL];
	size_t n = 99;
	(void)state;

	tu_mem_init(&m);
	m.refuse_at = 1;
	m.refuse_err = PS_ERR_EVICTED;
	noise_buf_init(&sq.buf, sq.small, sizeof(sq.small), &m.mem);
	/* 40 bytes queued before it: the copy does not fit the 128 */
	memset(sq.small, 0xee, 40);
	sq.len = 40 + 2 + BODY;
	sq.buf.p[40] = 0x00;
	sq.buf.p[41] = BODY;
	for (size_t i = 0; i < BODY; i++)
		sq.buf.p[42 + i] = (uint8_t)(i + 1);
	noise_buf_wrote(&sq.buf, sq.len);
	memcpy(before, sq.small, sizeof(before));
	assert_int_equal(noise_misbehave_frame(f, &n, &sq, 40, NOISE_BUG_REPLAY_MSG1,
					       NOISE_PEER_INITIATOR, NOISE_PEER_MSG1, 0),
			 PS_ERR_EVICTED);
	assert_int_equal(n, 99);
	assert_int_equal(sq.len, 40 + 2 + BODY);
	assert_ptr_equal(sq.buf.p, sq.small);
	assert_memory_equal(sq.small, before, sizeof(before));
	/* with a block it goes through: msg1 and its copy */
	m.refuse_at = 0;
	assert_int_equal(noise_misbehave_frame(f, &n, &sq, 40, NOISE_BUG_REPLAY_MSG1,
					       NOISE_PEER_INITIATOR, NOISE_PEER_MSG1, 0),
			 PS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(sq.len, 40 + 2 * (2 + BODY));
	assert_int_equal(m.out, 1);
	assert_memory_equal(sq.buf.p, before, 40 + 2 + BODY); /* kept in the block */
	assert_memory_equal(sq.buf.p + 40 + 2 + BODY, before + 40, 2 + BODY);
	sq.buf.used = sq.len;
	noise_buf_release(&sq.buf);
	assert_int_equal(m.out, 0);
}

int main(void)
{
	noise_buf_init(&q.buf, q.small, sizeof(q.small), tu_mem_default());
	if (noise_buf_reserve(&q.buf, QCAP, QCAP, 0) != PS_OK)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_untouched),    cmocka_unit_test(test_lender_refuses),
		cmocka_unit_test(test_flips),	     cmocka_unit_test(test_truncate_and_prefix),
		cmocka_unit_test(test_extra_frames), cmocka_unit_test(test_corrupt_then_valid),
		cmocka_unit_test(test_silent),	     cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_echo_and_e),
	};
	return cmocka_run_group_tests_name("noise misbehave", tests, NULL, NULL);
}
