#include "core/endpoint.h"

#include <arpa/inet.h>
#include <string.h>

int ps_port_parse(uint16_t *out, const char *s, size_t len)
{
	uint32_t v = 0;

	if (len == 0 || len > 5)
		return PS_ERR_MALFORMED;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return PS_ERR_MALFORMED;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return PS_ERR_MALFORMED;
	*out = (uint16_t)v;
	return PS_OK;
}

static bool host_chars_ok(const char *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];
		if (c <= 0x20 || c >= 0x7f || c == '[' || c == ']' || c == '/')
			return false;
	}
	return true;
}

/* A DNS name never holds a colon, so a host that does must be an IPv6
 * literal; anything else ("::1:18444", "127.0.0.1:1:2") is a typo, never a
 * name to look up. inet_pton is a pure parse (no resolution); it has no
 * zone index ("fe80::1%eth0"), which the connect path could not use. */
static bool ipv6_literal_ok(const char *h, size_t n)
{
	char tmp[PS_HOST_MAX + 1];
	struct in6_addr a;

	if (n > PS_HOST_MAX)
		return false;
	memcpy(tmp, h, n);
	tmp[n] = 0;
	return inet_pton(AF_INET6, tmp, &a) == 1;
}

int ps_endpoint_parse(struct ps_endpoint *out, const char *s)
{
	struct ps_endpoint e;
	const char *host, *port = NULL, *colon;
	size_t hlen, plen = 0;

	memset(&e, 0, sizeof(e));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close)
			return PS_ERR_MALFORMED;
		host = s + 1;
		hlen = (size_t)(close - host);
		e.bracketed = true;
		if (close[1] == ':') {
			port = close + 2;
			plen = strlen(port);
		} else if (close[1] != 0) {
			return PS_ERR_MALFORMED;
		}
		/* Only an IPv6 literal belongs in brackets (checked below). */
		if (!memchr(host, ':', hlen))
			return PS_ERR_MALFORMED;
	} else {
		host = s;
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':')) {
			/* two or more colons: a bare IPv6 literal, no port, as
			 * Core's SplitHostPort takes it ("::1"); a port needs
			 * brackets ("[::1]:18444") */
			hlen = strlen(s);
		} else if (colon) {
			hlen = (size_t)(colon - s);
			port = colon + 1;
			plen = strlen(port);
		} else {
			hlen = strlen(s);
		}
	}
	if (hlen == 0 || !host_chars_ok(host, hlen))
		return PS_ERR_MALFORMED;
	if (hlen > PS_HOST_MAX)
		return PS_ERR_TOO_LARGE;
	if (memchr(host, ':', hlen) && !ipv6_literal_ok(host, hlen))
		return PS_ERR_MALFORMED;
	if (port) {
		if (ps_port_parse(&e.port, port, plen) != PS_OK)
			return PS_ERR_MALFORMED;
		e.has_port = true;
	}
	memcpy(e.host, host, hlen);
	e.host[hlen] = 0;
	*out = e;
	return PS_OK;
}
