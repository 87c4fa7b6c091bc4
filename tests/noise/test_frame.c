/*
 * test_frame.c - the 2-byte big-endian length framing: every truncation of
 * a frame is NEED_MORE and writes nothing; complete frames decode with the
 * bytes after them left alone; 0 and 65535 are the limits; encoding refuses
 * more than 65535 and short buffers without writing. The streaming reader:
 * a stream cut at every point gives the same frames; a frame under the
 * smallest acceptable length is refused at its header with no body byte
 * buffered, and stays refused; the largest frame fits. Frames over the
 * reader's small buffer go to a lent block taken when their bytes pass it
 * (never on the announced length alone) and given back after use; a
 * lender that refuses fails the read with its error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "noise/frame.h"
#include "testutil.h"

static void test_decode(void **state)
{
	static const uint8_t frame[] = { 0x00, 0x05, 'h', 'e', 'l', 'l', 'o', 0x00, 0x01 };
	const uint8_t *msg = (const uint8_t *)"sentinel";
	size_t len = 777, used = 888;
	(void)state;

	/* every truncation: need more, nothing written */
	for (size_t n = 0; n < 7; n++) {
		assert_int_equal(noise_frame_decode(&msg, &len, &used, frame, n), PS_ERR_NEED_MORE);
		assert_memory_equal(msg, "sentinel", 8);
		assert_int_equal(len, 777);
		assert_int_equal(used, 888);
	}
	/* complete, with bytes of the next frame after it */
	for (size_t n = 7; n <= sizeof(frame); n++) {
		assert_int_equal(noise_frame_decode(&msg, &len, &used, frame, n), PS_OK);
		assert_ptr_equal(msg, frame + 2);
		assert_int_equal(len, 5);
		assert_int_equal(used, 7);
	}
	/* the next one: a 1-byte message of which nothing is there yet */
	assert_int_equal(noise_frame_decode(&msg, &len, &used, frame + 7, 2), PS_ERR_NEED_MORE);
	assert_int_equal(noise_frame_declared_len(frame + 7), 1);
}

static void test_limits(void **state)
{
	uint8_t *buf = calloc(1, NOISE_FRAME_MAX + 1);
	const uint8_t *msg;
	size_t len, used;
	(void)state;

	assert_non_null(buf);
	/* empty message */
	assert_int_equal(noise_frame_decode(&msg, &len, &used, buf, 2), PS_OK);
	assert_int_equal(len, 0);
	assert_int_equal(used, 2);
	/* 65535, the most two bytes can declare */
	buf[0] = buf[1] = 0xff;
	assert_int_equal(noise_frame_decode(&msg, &len, &used, buf, NOISE_FRAME_MAX - 1),
			 PS_ERR_NEED_MORE);
	assert_int_equal(noise_frame_decode(&msg, &len, &used, buf, NOISE_FRAME_MAX + 1), PS_OK);
	assert_int_equal(len, 65535);
	assert_int_equal(used, NOISE_FRAME_MAX);
	free(buf);
}

static void test_encode(void **state)
{
	uint8_t *big = calloc(1, NOISE_FRAME_MAX + 8), out[16], hdr[2] = { 0xaa, 0xbb };
	size_t len = 999;
	(void)state;

	assert_non_null(big);
	assert_int_equal(noise_frame_encode(out, sizeof(out), &len, (const uint8_t *)"abc", 3),
			 PS_OK);
	assert_int_equal(len, 5);
	assert_memory_equal(out,
			    "\x00\x03"
			    "abc",
			    5);

	/* too large: refused, nothing written */
	len = 999;
	assert_int_equal(
		noise_frame_encode(big, NOISE_FRAME_MAX + 8, &len, big + 4, NOISE_MAX_MSG + 1),
		PS_ERR_TOO_LARGE);
	assert_int_equal(len, 999);
	assert_int_equal(noise_frame_put_header(hdr, NOISE_MAX_MSG + 1), PS_ERR_TOO_LARGE);
	assert_int_equal(hdr[0], 0xaa);
	assert_int_equal(noise_frame_put_header(hdr, 0x1234), PS_OK);
	assert_int_equal(hdr[0], 0x12);
	assert_int_equal(hdr[1], 0x34);

	/* short buffer: refused, nothing written */
	memset(out, 0x5a, sizeof(out));
	assert_int_equal(noise_frame_encode(out, 4, &len, (const uint8_t *)"abc", 3), PS_ERR_NOBUF);
	assert_int_equal(noise_frame_encode(out, 1, &len, (const uint8_t *)"", 0), PS_ERR_NOBUF);
	assert_int_equal(out[0], 0x5a);

	/* in place: the message already at out + 2; the largest fits exactly */
	memset(big + 2, 0x77, NOISE_MAX_MSG);
	assert_int_equal(noise_frame_encode(big, NOISE_FRAME_MAX, &len, big + 2, NOISE_MAX_MSG),
			 PS_OK);
	assert_int_equal(len, NOISE_FRAME_MAX);
	assert_int_equal(big[0], 0xff);
	assert_int_equal(big[1], 0xff);
	assert_int_equal(big[2], 0x77);
	assert_int_equal(big[NOISE_FRAME_MAX - 1], 0x77);
	free(big);
}

/* encode then decode gives the message back, for many sizes */
static void test_roundtrip(void **state)
{
	uint8_t msg[600], frame[602];
	const uint8_t *got;
	size_t len, glen, used;
	(void)state;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 13);
	for (size_t n = 0; n <= sizeof(msg); n += 7) {
		assert_int_equal(noise_frame_encode(frame, sizeof(frame), &len, msg, n), PS_OK);
		assert_int_equal(noise_frame_decode(&got, &glen, &used, frame, len), PS_OK);
		assert_int_equal(glen, n);
		assert_int_equal(used, len);
		assert_memory_equal(got, msg, n);
	}
}

/* Three frames (5 bytes, empty, 3 bytes) in one stream. */
static const uint8_t stream[] = { 0x00, 0x05, 'h',  'e',  'l', 'l', 'o',
				  0x00, 0x00, 0x00, 0x03, 'a', 'b', 'c' };
static const struct {
	const char *msg;
	size_t len, end; /* the frame's message, and where it ends in the stream */
} frames[] = { { "hello", 5, 7 }, { "", 0, 9 }, { "abc", 3, 14 } };

/* Feed (data, len) to r, checking each frame against frames[*k]. */
static void feed(struct noise_frame_reader *r, size_t *k, size_t *pos, const uint8_t *data,
		 size_t len)
{
	size_t off = 0;

	while (off < len) {
		uint8_t *msg = NULL;
		size_t mlen = 777, used = 888;
		int rc = noise_frame_read(r, &msg, &mlen, &used, data + off, len - off, 0);

		assert_true(used <= len - off);
		off += used;
		*pos += used;
		if (rc == PS_ERR_NEED_MORE) {
			assert_int_equal(off, len); /* everything taken */
			assert_null(msg);	    /* nothing written */
			assert_int_equal(mlen, 777);
			continue;
		}
		assert_int_equal(rc, PS_OK);
		assert_true(*k < sizeof(frames) / sizeof(frames[0]));
		assert_int_equal(mlen, frames[*k].len);
		assert_memory_equal(msg, frames[*k].msg, mlen);
		assert_int_equal(*pos, frames[*k].end); /* stopped at the frame's end */
		(*k)++;
	}
}

/* The stream in two pieces cut at every point, then one byte at a time. */
static void test_reader_cuts(void **state)
{
	static struct noise_frame_reader r;
	(void)state;

	for (size_t cut = 0; cut <= sizeof(stream); cut++) {
		size_t k = 0, pos = 0;
		noise_frame_reader_init(&r, NULL);
		feed(&r, &k, &pos, stream, cut);
		feed(&r, &k, &pos, stream + cut, sizeof(stream) - cut);
		assert_int_equal(k, 3);
	}
	{
		size_t k = 0, pos = 0;
		noise_frame_reader_init(&r, NULL);
		for (size_t i = 0; i < sizeof(stream); i++)
			feed(&r, &k, &pos, stream + i, 1);
		assert_int_equal(k, 3);
	}
}

/* A frame declaring less than min_len: refused when the header's second
 * byte arrives, the body not buffered; refused again until init. One
 * declaring exactly min_len is taken. */
static void test_reader_min_len(void **state)
{
	static struct noise_frame_reader r;
	static const uint8_t short_frame[] = { 0x00, 0x2f, 0xaa, 0xbb }; /* 47 */
	static const uint8_t ok_frame[] = { 0x00, 0x02, 0xaa, 0xbb };
	uint8_t *msg = NULL;
	size_t mlen = 777, used = 888;
	(void)state;

	noise_frame_reader_init(&r, NULL);
	assert_int_equal(noise_frame_read(&r, &msg, &mlen, &used, short_frame, 1, 48),
			 PS_ERR_NEED_MORE);
	assert_int_equal(used, 1);
	assert_int_equal(noise_frame_read(&r, &msg, &mlen, &used, short_frame + 1, 3, 48),
			 PS_ERR_BAD_SIZE);
	assert_int_equal(used, 1); /* the header's second byte, no body byte */
	assert_int_equal(r.have, 0);
	assert_null(msg);
	assert_int_equal(mlen, 777);
	assert_int_equal(noise_frame_read(&r, &msg, &mlen, &used, short_frame + 2, 2, 48),
			 PS_ERR_BAD_SIZE);
	assert_int_equal(used, 0);

	/* in one piece: the header only is taken */
	noise_frame_reader_init(&r, NULL);
	assert_int_equal(noise_frame_read(&r, &msg, &mlen, &used, short_frame, 4, 48),
			 PS_ERR_BAD_SIZE);
	assert_int_equal(used, 2);

	noise_frame_reader_init(&r, NULL);
	assert_int_equal(noise_frame_read(&r, &msg, &mlen, &used, ok_frame, 4, 2), PS_OK);
	assert_int_equal(used, 4);
	assert_int_equal(mlen, 2);
	assert_memory_equal(msg, ok_frame + 2, 2);
	/* an empty frame where any length is fine; refused where one is not */
	assert_int_equal(noise_frame_read(&r, &msg, &mlen, &used, (const uint8_t *)"\0\0", 2, 0),
			 PS_OK);
	assert_int_equal(mlen, 0);
	assert_int_equal(noise_frame_read(&r, &msg, &mlen, &used, (const uint8_t *)"\0\0", 2, 1),
			 PS_ERR_BAD_SIZE);
}

/* 65535 bytes, the most a header declares, fit the reader on a lent block;
 * wipe empties it and gives the block back. */
static void test_reader_largest(void **state)
{
	static struct noise_frame_reader r;
	uint8_t *big = malloc(NOISE_FRAME_MAX + 1), *msg;
	size_t mlen, used;
	struct tu_mem m;
	(void)state;

	assert_non_null(big);
	tu_mem_init(&m);
	memset(big, 0x3c, NOISE_FRAME_MAX + 1);
	big[0] = big[1] = 0xff;
	noise_frame_reader_init(&r, &m.mem);
	assert_int_equal(noise_frame_read(&r, &msg, &mlen, &used, big, 1000, 0), PS_ERR_NEED_MORE);
	assert_int_equal(
		noise_frame_read(&r, &msg, &mlen, &used, big + 1000, NOISE_FRAME_MAX + 1 - 1000, 0),
		PS_OK);
	assert_int_equal(used, NOISE_FRAME_MAX - 1000); /* the byte after it is left */
	assert_int_equal(mlen, NOISE_MAX_MSG);
	assert_int_equal(msg[0], 0x3c);
	assert_int_equal(msg[NOISE_MAX_MSG - 1], 0x3c);
	assert_int_equal(m.gets, 1);
	assert_int_equal(m.largest, NOISE_MAX_MSG);

	/* half a frame, wiped: the next bytes start a new frame */
	assert_int_equal(noise_frame_read(&r, &msg, &mlen, &used, big, 100, 0), PS_ERR_NEED_MORE);
	assert_int_equal(m.out, 0); /* the last frame's block went back with this call */
	noise_frame_reader_wipe(&r);
	assert_int_equal(r.small[50], 0);
	assert_int_equal(noise_frame_read(&r, &msg, &mlen, &used, stream, sizeof(stream), 0),
			 PS_OK);
	assert_int_equal(mlen, 5);
	noise_frame_reader_wipe(&r);
	assert_int_equal(m.out, 0);
	assert_int_equal(m.gets, m.puts);
	free(big);
}

/* A stream of frames small and large, [5][200][0][128][129][3000]: cut in
 * two at every point, then one byte at a time, it gives the same frames;
 * a block is lent only to the frames over NOISE_FRAME_SMALL, only once
 * their 129th byte is in, of the frame's length, and it is back once the
 * frame has been released. */
static const size_t big_lens[] = { 5, 200, 0, NOISE_FRAME_SMALL, NOISE_FRAME_SMALL + 1, 3000 };
#define NBIG (sizeof(big_lens) / sizeof(big_lens[0]))

static size_t big_stream(uint8_t *out, size_t *ends)
{
	size_t n = 0;

	for (size_t f = 0; f < NBIG; f++) {
		out[n++] = (uint8_t)(big_lens[f] >> 8);
		out[n++] = (uint8_t)big_lens[f];
		for (size_t i = 0; i < big_lens[f]; i++)
			out[n++] = (uint8_t)(f * 31 + i * 7 + 1);
		ends[f] = n;
	}
	return n;
}

/* Feed (data, len) to r, checking each frame against big_lens[*k] and the
 * lender against what it may have lent so far (*pos: stream bytes in). */
static void big_feed(struct noise_frame_reader *r, struct tu_mem *m, size_t *k, size_t *pos,
		     const size_t *ends, const uint8_t *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		uint8_t *msg = NULL;
		size_t mlen = 777, used = 888, start = *k ? ends[*k - 1] : 0;
		int rc = noise_frame_read(r, &msg, &mlen, &used, data + off, len - off, 0);

		off += used;
		*pos += used;
		/* a block only for a frame over the small buffer whose
		 * 129th body byte is in */
		if (*k < NBIG && big_lens[*k] > NOISE_FRAME_SMALL &&
		    *pos - start > 2 + NOISE_FRAME_SMALL) {
			assert_int_equal(m->out, 1);
			assert_int_equal(r->buf.lent, big_lens[*k]);
		} else {
			assert_int_equal(m->out, 0);
		}
		if (rc == PS_ERR_NEED_MORE) {
			assert_int_equal(off, len);
			assert_null(msg);
			continue;
		}
		assert_int_equal(rc, PS_OK);
		assert_true(*k < NBIG);
		assert_int_equal(mlen, big_lens[*k]);
		assert_int_equal(*pos, ends[*k]);
		for (size_t i = 0; i < mlen; i++)
			assert_int_equal(msg[i], (uint8_t)(*k * 31 + i * 7 + 1));
		noise_frame_reader_release(r);
		assert_int_equal(m->out, 0);
		(*k)++;
	}
}

static void test_reader_lent_cuts(void **state)
{
	static struct noise_frame_reader r;
	static uint8_t s[4096];
	size_t ends[NBIG], len = big_stream(s, ends);
	struct tu_mem m;
	(void)state;

	assert_true(len <= sizeof(s));
	tu_mem_init(&m);
	for (size_t cut = 0; cut <= len; cut++) {
		size_t k = 0, pos = 0;
		noise_frame_reader_init(&r, &m.mem);
		big_feed(&r, &m, &k, &pos, ends, s, cut);
		big_feed(&r, &m, &k, &pos, ends, s + cut, len - cut);
		assert_int_equal(k, NBIG);
		noise_frame_reader_wipe(&r);
	}
	{
		size_t k = 0, pos = 0;
		noise_frame_reader_init(&r, &m.mem);
		for (size_t i = 0; i < len; i++)
			big_feed(&r, &m, &k, &pos, ends, s + i, 1);
		assert_int_equal(k, NBIG);
	}
	/* three lent frames (200, 129 and 3000 bytes) per pass */
	assert_int_equal(m.gets, 3 * (len + 2));
	assert_int_equal(m.puts, m.gets);
	assert_int_equal(m.out, 0);
}

/* A header announcing 65535 bytes takes nothing: not with the header, nor
 * with the first 128 body bytes; the 129th takes one block, and wiping
 * gives it back. */
static void test_reader_announced_only(void **state)
{
	static struct noise_frame_reader r;
	static uint8_t body[NOISE_FRAME_SMALL + 1];
	static const uint8_t hdr[] = { 0xff, 0xff };
	uint8_t *msg;
	size_t mlen, used;
	struct tu_mem m;
	(void)state;

	tu_mem_init(&m);
	memset(body, 0x77, sizeof(body));
	noise_frame_reader_init(&r, &m.mem);
	assert_int_equal(noise_frame_read(&r, &msg, &mlen, &used, hdr, 2, 0), PS_ERR_NEED_MORE);
	assert_int_equal(m.gets, 0);
	assert_int_equal(noise_frame_buffered(&r), 2);
	assert_int_equal(noise_frame_read(&r, &msg, &mlen, &used, body, NOISE_FRAME_SMALL, 0),
			 PS_ERR_NEED_MORE);
	assert_int_equal(m.gets, 0);
	assert_ptr_equal(r.buf.p, r.small);
	assert_int_equal(noise_frame_read(&r, &msg, &mlen, &used, body + NOISE_FRAME_SMALL, 1, 0),
			 PS_ERR_NEED_MORE);
	assert_int_equal(m.gets, 1);
	assert_int_equal(m.largest, NOISE_MAX_MSG);
	assert_int_equal(noise_frame_buffered(&r), 2 + NOISE_FRAME_SMALL + 1);
	/* the bytes of the small buffer moved into the block */
	for (size_t i = 0; i <= NOISE_FRAME_SMALL; i++)
		assert_int_equal(r.buf.p[i], 0x77);
	noise_frame_reader_wipe(&r);
	assert_int_equal(m.out, 0);
	assert_int_equal(noise_frame_buffered(&r), 0);
	assert_ptr_equal(r.buf.p, r.small);
}

/* The lender refuses: the read fails with its error when bytes that do not
 * fit the small buffer come, having taken none of them (the header, and
 * the body bytes of earlier calls, stay taken); no lender at all is
 * PS_ERR_NOMEM there. A frame that fits the small buffer needs no lender. */
static void test_reader_lender_refuses(void **state)
{
	static struct noise_frame_reader r;
	static uint8_t s[2 + 300];
	uint8_t *msg = NULL;
	size_t mlen = 777, used;
	struct tu_mem m;
	(void)state;

	tu_mem_init(&m);
	m.refuse_at = 1;
	m.refuse_err = PS_ERR_EVICTED;
	memset(s, 0x11, sizeof(s));
	s[0] = 0x01;
	s[1] = 0x2c; /* 300 */
	noise_frame_reader_init(&r, &m.mem);
	assert_int_equal(noise_frame_read(&r, &msg, &mlen, &used, s, sizeof(s), 0), PS_ERR_EVICTED);
	assert_int_equal(used, 2);
	assert_null(msg);
	assert_int_equal(mlen, 777);
	assert_int_equal(m.out, 0);
	noise_frame_reader_wipe(&r);

	noise_frame_reader_init(&r, NULL);
	assert_int_equal(noise_frame_read(&r, &msg, &mlen, &used, s, 100, 0), PS_ERR_NEED_MORE);
	assert_int_equal(noise_frame_read(&r, &msg, &mlen, &used, s + 100, sizeof(s) - 100, 0),
			 PS_ERR_NOMEM);
	assert_int_equal(used, 0);
	noise_frame_reader_wipe(&r);

	/* 128 bytes: no lender needed */
	s[0] = 0x00;
	s[1] = NOISE_FRAME_SMALL;
	noise_frame_reader_init(&r, NULL);
	assert_int_equal(noise_frame_read(&r, &msg, &mlen, &used, s, 2 + NOISE_FRAME_SMALL, 0),
			 PS_OK);
	assert_int_equal(mlen, NOISE_FRAME_SMALL);
	noise_frame_reader_wipe(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_reader_cuts),
		cmocka_unit_test(test_reader_min_len),
		cmocka_unit_test(test_reader_largest),
		cmocka_unit_test(test_reader_lent_cuts),
		cmocka_unit_test(test_reader_announced_only),
		cmocka_unit_test(test_reader_lender_refuses),
	};
	return cmocka_run_group_tests_name("noise frame", tests, NULL, NULL);
}
