#include "core/hex.h"

#include <string.h>

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ps_hex_decode(uint8_t *out, size_t cap, size_t *outlen, const char *s, size_t slen)
{
	if (slen % 2 != 0)
		return PS_ERR_MALFORMED;
	if (cap < slen / 2)
		return PS_ERR_NOBUF;
	for (size_t i = 0; i < slen; i++)
		if (hex_digit(s[i]) < 0)
			return PS_ERR_MALFORMED;
	for (size_t i = 0; i < slen / 2; i++)
		out[i] = (uint8_t)(hex_digit(s[2 * i]) << 4 | hex_digit(s[2 * i + 1]));
	*outlen = slen / 2;
	return PS_OK;
}

int ps_key_parse(uint8_t *out, size_t n, const uint8_t *buf, size_t len)
{
	size_t got;

	if (len == n) {
		memcpy(out, buf, n);
		return PS_OK;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len != 2 * n || ps_hex_decode(out, n, &got, (const char *)buf, len) != PS_OK)
		return PS_ERR_MALFORMED;
	return PS_OK;
}

void ps_hex_encode(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = 0;
}
