/*
 * test_frame.c - the 2-byte big-endian length framing: every truncation of
 * a frame is NEED_MORE and writes nothing; complete frames decode with the
 * bytes after them left alone; 0 and 65535 are the limits; encoding refuses
 * more than 65535 and short buffers without writing.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_roundtrip),
	};
	return cmocka_run_group_tests_name("noise frame", tests, NULL, NULL);
}
