/*
 * endpoint.h - parse "host", "host:port", "[v6]:port", "[v6]" and bare IPv6.
 *
 * Sans-I/O: no resolution, only syntax. As in Bitcoin Core's SplitHostPort,
 * the last colon separates a port only after "]" or when it is the only
 * colon; a bare address with more than one colon is an IPv6 literal without
 * a port ("::1"). Stricter than Core: a host holding a colon, bracketed or
 * bare, must be an IPv6 literal (no zone index), since no DNS name has one:
 * "::1:18444" and "127.0.0.1:1:2" are malformed, never looked up.
 */
#ifndef PS_CORE_ENDPOINT_H
#define PS_CORE_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PS_HOST_MAX 253 /* longest DNS name */

struct ps_endpoint {
	char host[PS_HOST_MAX + 1]; /* without brackets, NUL-terminated */
	uint16_t port;		    /* 0 when absent */
	bool has_port;
	bool bracketed; /* written as [v6] */
};

/* Parse s (NUL-terminated). PS_ERR_MALFORMED: empty host, unbalanced
 * brackets, junk after ']', a port that is not 1..65535 in decimal, a host
 * with spaces or control bytes, a host with a colon that is not an IPv6
 * literal. PS_ERR_TOO_LARGE: host over 253 bytes. On error *out is
 * unchanged. */
PS_MUST_CHECK int ps_endpoint_parse(struct ps_endpoint *out, const char *s);

/* Parse a decimal port 1..65535 (no sign, no spaces). PS_ERR_MALFORMED. */
PS_MUST_CHECK int ps_port_parse(uint16_t *out, const char *s, size_t len);

#endif
