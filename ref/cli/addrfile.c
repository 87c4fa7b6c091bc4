#include "cli/addrfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "btc/params.h"
#include "cli/opts.h"

/* Decimal or 0x hex, the whole of (s, n), <= max. */
static bool number(uint64_t *out, const char *s, size_t n, uint64_t max)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		n -= 2;
	}
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d;
		char ch = s[i];

		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a') + 10;
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = (unsigned)(ch - 'A') + 10;
		else
			return false;
		if (v > (max - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

/* ADDRESS[:PORT] at (s, n) into a's net, bytes and port. */
static const char *host_port(struct btc_addr *a, const char *s, size_t n, uint16_t default_port)
{
	const char *host = s, *port = NULL;
	size_t hlen = n, plen = 0, colons = 0;

	for (size_t i = 0; i < n; i++)
		colons += s[i] == ':';
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close)
			return "'[' without ']'";
		host = s + 1;
		hlen = (size_t)(close - host);
		if (close + 1 < s + n) {
			if (close[1] != ':')
				return "want ':PORT' after ']'";
			port = close + 2;
			plen = (size_t)(s + n - port);
		}
	} else if (colons == 1) {
		const char *colon = memchr(s, ':', n);
		hlen = (size_t)(colon - s);
		port = colon + 1;
		plen = (size_t)(s + n - port);
	}
	if (btc_addr_parse(a, host, hlen) != PS_OK)
		return "not an IPv4, IPv6, .onion (Tor v3), .b32.i2p or CJDNS address";
	if (s[0] == '[' &&
	    (a->net == BTC_NET_IPV4 || a->net == BTC_NET_TORV3 || a->net == BTC_NET_I2P))
		return "brackets are for IPv6 and CJDNS addresses";
	if (port) {
		uint64_t v;
		if (!number(&v, port, plen, 65535) || (plen > 1 && port[0] == '0'))
			return "bad port: want 0..65535";
		a->port = (uint16_t)v;
	} else {
		/* Core: "I2P addresses ... port 0 (I2P_SAM31_PORT)" */
		a->port = a->net == BTC_NET_I2P ? 0 : default_port;
	}
	return NULL;
}

int addrfile_parse_line(struct btc_addr *a, const char **why, const char *line,
			uint16_t default_port, uint32_t now)
{
	const char *p = line, *hash = strchr(line, '#');
	const char *end = hash ? hash : line + strlen(line);
	bool have_addr = false, have_services = false, have_time = false;

	memset(a, 0, sizeof(*a));
	a->services = BTC_NODE_NETWORK | BTC_NODE_WITNESS;
	a->time = now;
	for (;;) {
		const char *w;
		size_t n;
		uint64_t v;

		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p == end)
			break;
		w = p;
		while (p < end && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		n = (size_t)(p - w);
		if (!have_addr) {
			if ((*why = host_port(a, w, n, default_port)) != NULL)
				return -1;
			have_addr = true;
		} else if (n > 9 && memcmp(w, "services=", 9) == 0) {
			if (have_services) {
				*why = "services= twice";
				return -1;
			}
			if (!number(&v, w + 9, n - 9, UINT64_MAX)) {
				*why = "bad services=: want decimal or 0x hex";
				return -1;
			}
			a->services = v;
			have_services = true;
		} else if (n > 5 && memcmp(w, "time=", 5) == 0) {
			if (have_time) {
				*why = "time= twice";
				return -1;
			}
			if (!number(&v, w + 5, n - 5, UINT32_MAX) || (w[5] == '0' && n > 6)) {
				*why = "bad time=: want unix seconds, 0..4294967295";
				return -1;
			}
			a->time = (uint32_t)v;
			have_time = true;
		} else {
			*why = "unknown field: want services=N or time=UNIX after the address";
			return -1;
		}
	}
	return have_addr ? 1 : 0;
}

int addrfile_read(struct btc_addr **out, size_t *n, FILE *f, const char *path,
		  uint16_t default_port, uint32_t now, FILE *err)
{
	char line[ADDRFILE_MAX_LINE + 2];
	struct btc_addr *v = NULL, a;
	size_t len = 0, cap = 0;
	unsigned long lineno = 0;

	while (fgets(line, sizeof(line), f)) {
		size_t k = strlen(line);
		const char *why = NULL;
		int r;

		lineno++;
		if (k > 0 && line[k - 1] == '\n')
			line[--k] = 0;
		else if (!feof(f)) {
			fprintf(err, "peershake: %s:%lu: line over %d bytes\n", path, lineno,
				ADDRFILE_MAX_LINE);
			free(v);
			return EXIT_USAGE;
		}
		r = addrfile_parse_line(&a, &why, line, default_port, now);
		if (r < 0) {
			fprintf(err, "peershake: %s:%lu: %s\n", path, lineno, why);
			free(v);
			return EXIT_USAGE;
		}
		if (r == 0)
			continue;
		if (len == ADDRFILE_MAX_ENTRIES) {
			fprintf(err, "peershake: %s:%lu: more than %d addresses\n", path, lineno,
				ADDRFILE_MAX_ENTRIES);
			free(v);
			return EXIT_USAGE;
		}
		if (len == cap) {
			size_t c2 = cap ? cap * 2 : 64;
			struct btc_addr *t = realloc(v, c2 * sizeof(*t));
			if (!t) {
				free(v);
				return EXIT_RUNTIME;
			}
			v = t;
			cap = c2;
		}
		v[len++] = a;
	}
	if (ferror(f)) {
		fprintf(err, "peershake: %s: %s\n", path, strerror(errno));
		free(v);
		return EXIT_USAGE;
	}
	*out = v;
	*n = len;
	return 0;
}

int addrfile_load(struct btc_addr **out, size_t *n, const char *path, uint16_t default_port,
		  uint32_t now, FILE *err)
{
	FILE *f = fopen(path, "r");
	int r;

	if (!f) {
		fprintf(err, "peershake: --addr-file %s: %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	r = addrfile_read(out, n, f, path, default_port, now, err);
	fclose(f);
	return r;
}
