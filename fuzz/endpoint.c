/*
 * endpoint - the endpoint parser (ps_endpoint_parse: "host", "host:port",
 * "[v6]:port", "[v6]", bare IPv6) and ps_port_parse.
 *
 * Checked: errors write nothing; a parsed host is NUL-terminated, at most
 * 253 bytes, free of spaces, controls, brackets and '/', and an IPv6
 * literal (inet_pton) when it holds a colon; ports are 1..65535
 * and agree with a reference; and the endpoint printed back in its own
 * syntax parses to the same endpoint.
 *
 * Input: the text (NUL-terminated here; bytes after a NUL are ignored).
 */
#include "fuzz.h"

#include <arpa/inet.h>

#include "core/endpoint.h"

static bool port_ref(const char *s, size_t len, uint16_t *out)
{
	uint32_t v = 0;

	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	*out = (uint16_t)v;
	return v >= 1 && v <= 65535;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char s[1024], back[600];
	struct ps_endpoint e, before, again;
	size_t len = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
	uint16_t port = 4242, want;
	int r;

	memcpy(s, data, len);
	s[len] = 0;

	/* the port parser on the whole text */
	r = ps_port_parse(&port, s, strlen(s));
	if (port_ref(s, strlen(s), &want))
		FUZZ_ASSERT(r == PS_OK && port == want);
	else
		FUZZ_ASSERT(r == PS_ERR_MALFORMED && port == 4242);

	memset(&e, 0x33, sizeof(e));
	memcpy(&before, &e, sizeof(e));
	r = ps_endpoint_parse(&e, s);
	if (r != PS_OK) {
		FUZZ_ASSERT(r == PS_ERR_MALFORMED || r == PS_ERR_TOO_LARGE);
		FUZZ_ASSERT(memcmp(&e, &before, sizeof(e)) == 0);
		return 0;
	}
	len = strnlen(e.host, sizeof(e.host));
	FUZZ_ASSERT(len >= 1 && len <= PS_HOST_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)e.host[i];
		FUZZ_ASSERT(c > 0x20 && c < 0x7f && c != '[' && c != ']' && c != '/');
	}
	FUZZ_ASSERT(e.has_port == (e.port != 0));
	FUZZ_ASSERT(!e.bracketed || strchr(e.host, ':'));
	FUZZ_ASSERT(e.bracketed || !strchr(e.host, ':') || strchr(strchr(e.host, ':') + 1, ':'));
	if (strchr(e.host, ':')) {
		struct in6_addr a6;
		FUZZ_ASSERT(inet_pton(AF_INET6, e.host, &a6) == 1);
	}

	/* print it back in its own syntax: the same endpoint */
	if (e.bracketed)
		snprintf(back, sizeof(back), e.has_port ? "[%s]:%u" : "[%s]", e.host,
			 (unsigned)e.port);
	else
		snprintf(back, sizeof(back), e.has_port ? "%s:%u" : "%s", e.host, (unsigned)e.port);
	FUZZ_ASSERT(ps_endpoint_parse(&again, back) == PS_OK);
	FUZZ_ASSERT(strcmp(again.host, e.host) == 0 && again.port == e.port);
	FUZZ_ASSERT(again.has_port == e.has_port && again.bracketed == e.bracketed);
	return 0;
}
