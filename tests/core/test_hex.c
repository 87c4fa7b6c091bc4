/*
 * test_hex.c - ref/core/hex: hexadecimal text <-> bytes.
 *
 * A failed decode writes neither the output buffer nor *outlen (both filled
 * with 0xAA first and compared after).
 */
#include <stdbool.h>
#include <string.h>

#include "core/hex.h"
#include "testutil.h"

static void test_decode_basic(void **state)
{
	uint8_t out[8];
	size_t len = 99;

	(void)state;
	assert_int_equal(ps_hex_decode(out, sizeof(out), &len, "00ff10Ab", 8), PS_OK);
	assert_int_equal(len, 4);
	assert_memory_equal(out, "\x00\xff\x10\xab", 4);

	/* upper and lower case digits both work, all sixteen of them */
	assert_int_equal(ps_hex_decode(out, sizeof(out), &len, "0123456789abcdef", 16), PS_OK);
	assert_int_equal(len, 8);
	assert_memory_equal(out, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
	assert_int_equal(ps_hex_decode(out, sizeof(out), &len, "0123456789ABCDEF", 16), PS_OK);
	assert_memory_equal(out, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);

	/* empty string: zero bytes, and fine with a zero-size buffer */
	len = 99;
	assert_int_equal(ps_hex_decode(out, 0, &len, "", 0), PS_OK);
	assert_int_equal(len, 0);

	/* slen, not the NUL, ends the input */
	assert_int_equal(ps_hex_decode(out, sizeof(out), &len, "abcdzz", 4), PS_OK);
	assert_int_equal(len, 2);
	assert_memory_equal(out, "\xab\xcd", 2);

	/* the exact capacity is enough */
	assert_int_equal(ps_hex_decode(out, 2, &len, "beef", 4), PS_OK);
	assert_int_equal(len, 2);
}

static void check_decode_fails(const char *s, size_t cap, int want)
{
	uint8_t out[16], pattern[16];
	size_t len;

	memset(out, 0xAA, sizeof(out));
	memset(pattern, 0xAA, sizeof(pattern));
	memset(&len, 0xAA, sizeof(len));
	size_t len_before = len;
	int r = ps_hex_decode(out, cap, &len, s, strlen(s));
	if (r != want)
		fail_msg("\"%s\" cap %zu: got %s, want %s", s, cap, ps_errname(r),
			 ps_errname(want));
	assert_memory_equal(out, pattern, sizeof(out));
	assert_true(len == len_before);
}

static void test_decode_errors(void **state)
{
	(void)state;
	/* odd length */
	check_decode_fails("0", 16, PS_ERR_MALFORMED);
	check_decode_fails("abc", 16, PS_ERR_MALFORMED);
	/* non-hex digits anywhere, including the last one: a failed decode
	 * must not leave the valid first bytes written */
	check_decode_fails("0g", 16, PS_ERR_MALFORMED);
	check_decode_fails("g0", 16, PS_ERR_MALFORMED);
	check_decode_fails("0011223x", 16, PS_ERR_MALFORMED);
	check_decode_fails("00 1", 16, PS_ERR_MALFORMED);
	check_decode_fails("0x00", 16, PS_ERR_MALFORMED);
	check_decode_fails("+1", 16, PS_ERR_MALFORMED);
	check_decode_fails("-1", 16, PS_ERR_MALFORMED);
	check_decode_fails("\xc3\xa9", 16, PS_ERR_MALFORMED);
	check_decode_fails(":0", 16, PS_ERR_MALFORMED); /* ':' follows '9' */
	check_decode_fails("@0", 16, PS_ERR_MALFORMED); /* '@' precedes 'A' */
	check_decode_fails("G0", 16, PS_ERR_MALFORMED);
	check_decode_fails("`0", 16, PS_ERR_MALFORMED); /* '`' precedes 'a' */
	/* capacity one short */
	check_decode_fails("001122", 2, PS_ERR_NOBUF);
	check_decode_fails("00", 0, PS_ERR_NOBUF);
}

/* Every non-hex byte value is refused. */
static void test_decode_every_byte_value(void **state)
{
	(void)state;
	for (int c = 1; c < 256; c++) {
		char s[3] = { '0', (char)c, 0 };
		uint8_t out[1];
		size_t len;
		bool hex =
			(c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		int r = ps_hex_decode(out, 1, &len, s, 2);
		assert_int_equal(r, hex ? PS_OK : PS_ERR_MALFORMED);
	}
}

static void test_encode(void **state)
{
	char out[64];
	uint8_t all[256];

	(void)state;
	memset(out, 'x', sizeof(out));
	ps_hex_encode(out, (const uint8_t *)"\x00\x01\xab\xff", 4);
	assert_string_equal(out, "0001abff");

	memset(out, 'x', sizeof(out));
	ps_hex_encode(out, NULL, 0);
	assert_string_equal(out, "");

	/* every byte value round-trips */
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	char text[513];
	uint8_t back[256];
	size_t len;
	ps_hex_encode(text, all, sizeof(all));
	assert_int_equal(strlen(text), 512);
	for (size_t i = 0; i < 512; i++)
		assert_true((text[i] >= '0' && text[i] <= '9') ||
			    (text[i] >= 'a' && text[i] <= 'f'));
	assert_int_equal(ps_hex_decode(back, sizeof(back), &len, text, 512), PS_OK);
	assert_int_equal(len, 256);
	assert_memory_equal(back, all, 256);
}

/* ps_key_parse: n raw bytes, or 2n hex digits and any CR/LF after them */
static void test_key_parse(void **state)
{
	uint8_t key[4], raw[4] = { '\n', 'a', 0, 0xff };
	const uint8_t *hexkey = (const uint8_t *)"00ff10Ab";

	(void)state;
	/* exactly n bytes are the key, whatever they are */
	assert_int_equal(ps_key_parse(key, 4, raw, 4), PS_OK);
	assert_memory_equal(key, raw, 4);

	/* 2n hex digits, bare or with a line end of any kind */
	static const char *const ok[] = { "00ff10Ab", "00ff10Ab\n", "00ff10Ab\r\n",
					  "00ff10Ab\n\n\r" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		memset(key, 0, sizeof(key));
		assert_int_equal(ps_key_parse(key, 4, (const uint8_t *)ok[i], strlen(ok[i])),
				 PS_OK);
		assert_memory_equal(key, "\x00\xff\x10\xab", 4);
	}

	/* wrong lengths, non-hex digits, other white space: refused, key untouched */
	static const char *const bad[] = { "",		 "00ff10A",    "00ff10Ab0", "00ff10Ab0\n",
					   " 00ff10Ab",	 "00ff10Ab ",  "00ff10Ag",  "\n00ff10Ab",
					   "00ff\n10Ab", "00ff10Ab\t", "0xff10Ab" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(key, 0xaa, sizeof(key));
		assert_int_equal(ps_key_parse(key, 4, (const uint8_t *)bad[i], strlen(bad[i])),
				 PS_ERR_MALFORMED);
		assert_memory_equal(key, "\xaa\xaa\xaa\xaa", 4);
	}
	/* a 4-byte text is taken raw even when it looks like hex */
	assert_int_equal(ps_key_parse(key, 4, hexkey, 4), PS_OK);
	assert_memory_equal(key, "00ff", 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_basic),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_decode_every_byte_value),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_key_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
