/*
 * hex - ps_hex_decode / ps_hex_encode (the CLI's --prologue, --payload1,
 * --payload2, --transport and PSK text): decode agrees with a reference,
 * writes nothing on error, and what decodes re-encodes to the same digits
 * in lower case. ps_key_parse (the PSK file and variable: n raw bytes, or
 * 2n hex digits and any CR/LF after them) against a reference, on the same
 * text, with n from the selector.
 *
 * Input: cap selector (1) | text.
 */
#include "fuzz.h"

#include "core/hex.h"

static int nibble(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (uint8_t)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* ps_key_parse against a reference */
static void check_key(size_t n, const uint8_t *buf, size_t len)
{
	uint8_t key[64 + 1];
	size_t t = len;
	bool ok = len == n;

	if (!ok) {
		while (t > 0 && (buf[t - 1] == '\n' || buf[t - 1] == '\r'))
			t--;
		ok = t == 2 * n;
		for (size_t i = 0; ok && i < t; i++)
			ok = nibble(buf[i]) >= 0;
	}
	memset(key, 0xcc, sizeof(key));
	FUZZ_ASSERT(ps_key_parse(key, n, buf, len) == (ok ? PS_OK : PS_ERR_MALFORMED));
	for (size_t i = 0; i < n; i++) {
		if (!ok)
			FUZZ_ASSERT(key[i] == 0xcc);
		else if (len == n)
			FUZZ_ASSERT(key[i] == buf[i]);
		else
			FUZZ_ASSERT(key[i] == (nibble(buf[2 * i]) << 4 | nibble(buf[2 * i + 1])));
	}
	FUZZ_ASSERT(key[n] == 0xcc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[4096 + 8];
	static char text[2 * sizeof(out) + 1];
	struct fdp f = fdp_make(data, size);
	uint8_t sel = fdp_u8(&f);
	size_t len, n = 12345, cap;
	const char *s = (const char *)fdp_rest(&f, &len);
	bool ok = len % 2 == 0;
	int r;

	if (len > 2 * 4096)
		len = 2 * 4096;
	for (size_t i = 0; ok && i < len; i++)
		ok = nibble((uint8_t)s[i]) >= 0;
	cap = (sel & 0x80) ? (size_t)(sel & 0x7f) : sizeof(out) - 8;
	memset(out, 0xcc, sizeof(out));
	r = ps_hex_decode(out, cap, &n, s, len);
	if (len % 2 || !ok) {
		FUZZ_ASSERT(r == PS_ERR_MALFORMED ||
			    (len % 2 == 0 && cap < len / 2 && r == PS_ERR_NOBUF));
	} else if (cap < len / 2) {
		FUZZ_ASSERT(r == PS_ERR_NOBUF);
	} else {
		FUZZ_ASSERT(r == PS_OK && n == len / 2);
		for (size_t i = 0; i < n; i++)
			FUZZ_ASSERT(out[i] == (nibble((uint8_t)s[2 * i]) << 4 |
					       nibble((uint8_t)s[2 * i + 1])));
		ps_hex_encode(text, out, n);
		FUZZ_ASSERT(strlen(text) == len);
		for (size_t i = 0; i < len; i++) {
			char c = s[i];
			if (c >= 'A' && c <= 'F')
				c = (char)(c + 32);
			FUZZ_ASSERT(text[i] == c);
		}
	}
	if (r != PS_OK) {
		FUZZ_ASSERT(n == 12345);
		for (size_t i = 0; i < sizeof(out); i++)
			FUZZ_ASSERT(out[i] == 0xcc);
	}
	check_key((sel & 0x3f) ? (size_t)(sel & 0x3f) : 32, (const uint8_t *)s, len);
	return 0;
}
