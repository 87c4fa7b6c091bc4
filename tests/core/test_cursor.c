/*
 * test_cursor.c - ref/core/cursor.h: bounded read and write cursors.
 *
 * Every get is tried on every truncation of its input: PS_ERR_NEED_MORE,
 * the cursor where it was and the output untouched (0xAA pattern). Every put
 * is tried on every too-small buffer: PS_ERR_NOBUF, cursor and buffer
 * untouched. Byte order is checked against hand-written bytes.
 */
#include <string.h>

#include "core/cursor.h"
#include "testutil.h"

static const uint8_t seq[16] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
				 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10 };

static void test_make_and_left(void **state)
{
	uint8_t buf[8];
	struct ps_rcur r = ps_rcur_make(seq, sizeof(seq));
	struct ps_wcur w = ps_wcur_make(buf, sizeof(buf));
	struct ps_rcur r0 = ps_rcur_make(seq, 0);

	(void)state;
	assert_int_equal(ps_rcur_left(&r), 16);
	assert_int_equal(ps_wcur_left(&w), 8);
	assert_int_equal(ps_rcur_left(&r0), 0);
	assert_ptr_equal(r.p, seq);
	assert_ptr_equal(r.end, seq + 16);
}

static void test_load_store_byte_order(void **state)
{
	uint8_t b[8];

	(void)state;
	assert_int_equal(ps_load_u16le(seq), 0x0201);
	assert_int_equal(ps_load_u16be(seq), 0x0102);
	assert_int_equal(ps_load_u32le(seq), 0x04030201u);
	assert_true(ps_load_u64le(seq) == UINT64_C(0x0807060504030201));

	/* high bits survive (no sign extension through int promotion) */
	const uint8_t ff[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	assert_int_equal(ps_load_u16le(ff), 0xffff);
	assert_int_equal(ps_load_u16be(ff), 0xffff);
	assert_int_equal(ps_load_u32le(ff), 0xffffffffu);
	assert_true(ps_load_u64le(ff) == UINT64_MAX);

	ps_store_u16le(b, 0x1234);
	assert_int_equal(b[0], 0x34);
	assert_int_equal(b[1], 0x12);
	ps_store_u16be(b, 0x1234);
	assert_int_equal(b[0], 0x12);
	assert_int_equal(b[1], 0x34);
	ps_store_u32le(b, 0xdeadbeefu);
	assert_memory_equal(b, "\xef\xbe\xad\xde", 4);
	ps_store_u64le(b, UINT64_C(0x0102030405060708));
	assert_memory_equal(b, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
}

/* One get of each width, applied to every prefix of seq. */
enum getter { G_U8, G_U16LE, G_U32LE, G_U64LE, G_VIEW3, G_COUNT };

static size_t getter_width(enum getter g)
{
	static const size_t w[G_COUNT] = { 1, 2, 4, 8, 3 };
	return w[g];
}

static int do_get(enum getter g, struct ps_rcur *c, uint8_t out[16])
{
	switch (g) {
	case G_U8:
		return ps_get_u8(c, out);
	case G_U16LE: {
		uint16_t v;
		memcpy(&v, out, 2);
		int r = ps_get_u16le(c, &v);
		memcpy(out, &v, 2);
		return r;
	}
	case G_U32LE: {
		uint32_t v;
		memcpy(&v, out, 4);
		int r = ps_get_u32le(c, &v);
		memcpy(out, &v, 4);
		return r;
	}
	case G_U64LE: {
		uint64_t v;
		memcpy(&v, out, 8);
		int r = ps_get_u64le(c, &v);
		memcpy(out, &v, 8);
		return r;
	}
	case G_VIEW3: {
		const uint8_t *v;
		memcpy(&v, out, sizeof(v));
		int r = ps_get_view(c, &v, 3);
		memcpy(out, &v, sizeof(v));
		return r;
	}
	case G_COUNT:
	default:
		fail();
	}
	return 0;
}

static void test_get_every_truncation(void **state)
{
	(void)state;
	for (int g = 0; g < G_COUNT; g++) {
		size_t w = getter_width((enum getter)g);
		for (size_t n = 0; n <= w + 1; n++) {
			struct ps_rcur c = ps_rcur_make(seq, n);
			struct ps_rcur before = c;
			uint8_t out[16], pattern[16];

			memset(out, 0xAA, sizeof(out));
			memset(pattern, 0xAA, sizeof(pattern));
			int r = do_get((enum getter)g, &c, out);
			if (n < w) {
				assert_int_equal(r, PS_ERR_NEED_MORE);
				assert_ptr_equal(c.p, before.p);
				assert_ptr_equal(c.end, before.end);
				assert_memory_equal(out, pattern, sizeof(out));
			} else {
				assert_int_equal(r, PS_OK);
				assert_ptr_equal(c.p, seq + w);
				assert_ptr_equal(c.end, before.end);
			}
		}
	}
}

static void test_get_values(void **state)
{
	struct ps_rcur c = ps_rcur_make(seq, sizeof(seq));
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	const uint8_t *view;

	(void)state;
	assert_int_equal(ps_get_u8(&c, &u8), PS_OK);
	assert_int_equal(u8, 0x01);
	assert_int_equal(ps_get_u16le(&c, &u16), PS_OK);
	assert_int_equal(u16, 0x0302);
	assert_int_equal(ps_get_u32le(&c, &u32), PS_OK);
	assert_int_equal(u32, 0x07060504u);
	assert_int_equal(ps_rcur_left(&c), 9);
	assert_int_equal(ps_get_view(&c, &view, 9), PS_OK);
	assert_ptr_equal(view, seq + 7); /* a view into the input, not a copy */
	assert_int_equal(ps_rcur_left(&c), 0);
	assert_int_equal(ps_get_u64le(&c, &u64), PS_ERR_NEED_MORE);

	/* zero-length gets succeed anywhere, even at the end */
	assert_int_equal(ps_get_view(&c, &view, 0), PS_OK);
	assert_ptr_equal(view, seq + 16);
	assert_int_equal(ps_rcur_left(&c), 0);

	c = ps_rcur_make(seq + 8, 8);
	assert_int_equal(ps_get_u64le(&c, &u64), PS_OK);
	assert_true(u64 == UINT64_C(0x100f0e0d0c0b0a09));
}

/* A huge n must not wrap the check (end - p < n, never p + n > end). */
static void test_get_huge_length(void **state)
{
	struct ps_rcur c = ps_rcur_make(seq, sizeof(seq));
	const uint8_t *view = NULL;

	(void)state;
	assert_int_equal(ps_get_view(&c, &view, SIZE_MAX), PS_ERR_NEED_MORE);
	assert_null(view);
	assert_int_equal(ps_get_view(&c, &view, SIZE_MAX - 8), PS_ERR_NEED_MORE);
	assert_ptr_equal(c.p, seq);
}

enum putter { P_U8, P_U32LE, P_U64LE, P_BYTES5, P_COUNT };

static const size_t put_width[P_COUNT] = { 1, 4, 8, 5 };
static const char *const put_bytes[P_COUNT] = { "\xa1", "\x78\x56\x34\x12",
						"\xf0\xde\xbc\x9a\x78\x56\x34\x12", "hello" };

static int do_put(enum putter p, struct ps_wcur *w)
{
	switch (p) {
	case P_U8:
		return ps_put_u8(w, 0xa1);
	case P_U32LE:
		return ps_put_u32le(w, 0x12345678u);
	case P_U64LE:
		return ps_put_u64le(w, UINT64_C(0x123456789abcdef0));
	case P_BYTES5:
		return ps_put_bytes(w, (const uint8_t *)"hello", 5);
	case P_COUNT:
	default:
		fail();
	}
	return 0;
}

static void test_put_every_short_buffer(void **state)
{
	(void)state;
	for (int p = 0; p < P_COUNT; p++) {
		size_t w = put_width[p];
		for (size_t cap = 0; cap <= w + 1; cap++) {
			uint8_t buf[16], pattern[16];
			struct ps_wcur c = ps_wcur_make(buf, cap);

			memset(buf, 0xAA, sizeof(buf));
			memset(pattern, 0xAA, sizeof(pattern));
			int r = do_put((enum putter)p, &c);
			if (cap < w) {
				assert_int_equal(r, PS_ERR_NOBUF);
				assert_ptr_equal(c.p, buf);
				assert_memory_equal(buf, pattern, sizeof(buf));
			} else {
				assert_int_equal(r, PS_OK);
				assert_ptr_equal(c.p, buf + w);
				assert_memory_equal(buf, put_bytes[p], w);
				/* nothing written past the item */
				assert_memory_equal(buf + w, pattern, sizeof(buf) - w);
			}
		}
	}
}

/* Written with the puts, read back with the gets. */
static void test_put_get_round_trip(void **state)
{
	uint8_t buf[64];
	struct ps_wcur w = ps_wcur_make(buf, sizeof(buf));
	uint8_t u8;
	const uint8_t *b;
	uint32_t u32;
	uint64_t u64;

	(void)state;
	assert_int_equal(ps_put_u8(&w, 0xfe), PS_OK);
	assert_int_equal(ps_put_u32le(&w, 0xfabfb5dau), PS_OK);
	assert_int_equal(ps_put_u64le(&w, UINT64_MAX - 1), PS_OK);
	assert_int_equal(ps_put_bytes(&w, (const uint8_t *)"abcd", 4), PS_OK);
	assert_int_equal(ps_put_bytes(&w, NULL, 0), PS_OK);
	size_t used = (size_t)(w.p - buf);
	assert_int_equal(used, 1 + 4 + 8 + 4);
	assert_int_equal(ps_wcur_left(&w), sizeof(buf) - used);

	struct ps_rcur r = ps_rcur_make(buf, used);
	assert_int_equal(ps_get_u8(&r, &u8), PS_OK);
	assert_int_equal(ps_get_u32le(&r, &u32), PS_OK);
	assert_int_equal(ps_get_u64le(&r, &u64), PS_OK);
	assert_int_equal(ps_get_view(&r, &b, 4), PS_OK);
	assert_int_equal(ps_rcur_left(&r), 0);
	assert_int_equal(u8, 0xfe);
	assert_int_equal(u32, 0xfabfb5dau);
	assert_true(u64 == UINT64_MAX - 1);
	assert_memory_equal(b, "abcd", 4);
}

static void test_put_huge_length(void **state)
{
	uint8_t buf[4] = { 0xAA, 0xAA, 0xAA, 0xAA };
	struct ps_wcur w = ps_wcur_make(buf, sizeof(buf));

	(void)state;
	assert_int_equal(ps_put_bytes(&w, buf, SIZE_MAX - 2), PS_ERR_NOBUF);
	assert_ptr_equal(w.p, buf);
	assert_memory_equal(buf, "\xAA\xAA\xAA\xAA", 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_make_and_left),
		cmocka_unit_test(test_load_store_byte_order),
		cmocka_unit_test(test_get_every_truncation),
		cmocka_unit_test(test_get_values),
		cmocka_unit_test(test_get_huge_length),
		cmocka_unit_test(test_put_every_short_buffer),
		cmocka_unit_test(test_put_get_round_trip),
		cmocka_unit_test(test_put_huge_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
