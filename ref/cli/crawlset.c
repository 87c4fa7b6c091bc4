/*
 * crawlset.c - the crawler's --allow/--deny filter and its set of known
 * addresses.
 */
#include "cli/crawlset.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

int crawl_cidr_parse(struct crawl_cidr *c, const char *s, bool deny)
{
	char host[64];
	const char *slash = strchr(s, '/');
	struct crawl_cidr t;
	size_t hlen, bytes;
	unsigned long bits;
	char *end;

	if (!slash || slash == s)
		return PS_ERR_MALFORMED;
	hlen = (size_t)(slash - s);
	if (hlen >= sizeof(host))
		return PS_ERR_MALFORMED;
	memcpy(host, s, hlen);
	host[hlen] = 0;
	memset(&t, 0, sizeof(t));
	t.deny = deny;
	if (inet_pton(AF_INET, host, t.addr) == 1) {
		t.net = BTC_NET_IPV4;
		bytes = 4;
	} else if (inet_pton(AF_INET6, host, t.addr) == 1) {
		t.net = BTC_NET_IPV6;
		bytes = 16;
	} else {
		return PS_ERR_MALFORMED;
	}
	/* decimal digits only: no sign, no space, no hex */
	if (slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3)
		return PS_ERR_MALFORMED;
	errno = 0;
	bits = strtoul(slash + 1, &end, 10);
	if (errno || *end || bits > bytes * 8)
		return PS_ERR_MALFORMED;
	t.bits = (uint8_t)bits;
	/* host bits set: "127.0.0.1/16" is a typo for /32 or a prefix
	 * written wrong; either way not what the user meant to allow */
	for (size_t i = 0; i < bytes; i++) {
		size_t lo = i * 8;
		uint8_t mask = bits >= lo + 8 ? 0xff
			       : bits <= lo   ? 0
					      : (uint8_t)(0xff00 >> (bits - lo));
		if (t.addr[i] & (uint8_t)~mask)
			return PS_ERR_MALFORMED;
	}
	*c = t;
	return PS_OK;
}

int crawl_addr_parse_ip(struct btc_addr *a, const char *s)
{
	struct btc_addr t;

	memset(&t, 0, sizeof(t));
	if (inet_pton(AF_INET, s, t.bytes) == 1) {
		t.net = BTC_NET_IPV4;
		t.len = 4;
	} else if (inet_pton(AF_INET6, s, t.bytes) == 1) {
		t.net = BTC_NET_IPV6;
		t.len = 16;
	} else {
		return PS_ERR_MALFORMED;
	}
	*a = t;
	return PS_OK;
}

bool crawl_cidr_match(const struct crawl_cidr *c, const struct btc_addr *a)
{
	size_t full = c->bits / 8, rest = c->bits % 8;

	if (a->net != c->net || a->len != (c->net == BTC_NET_IPV4 ? 4 : 16))
		return false;
	if (memcmp(a->bytes, c->addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a->bytes[full] ^ c->addr[full]) & (uint8_t)(0xff00 >> rest)) == 0;
}

bool crawl_filter_allows(const struct crawl_cidr *list, size_t n, const struct btc_addr *a)
{
	bool any_allow = false, in_allow = false;

	if (a->net != BTC_NET_IPV4 && a->net != BTC_NET_IPV6)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (list[i].deny) {
			if (crawl_cidr_match(&list[i], a))
				return false;
			continue;
		}
		any_allow = true;
		if (!in_allow && crawl_cidr_match(&list[i], a))
			in_allow = true;
	}
	return !any_allow || in_allow;
}

/* ---- the set ---- */

int crawl_set_init(struct crawl_set *s, size_t max, const uint8_t key[16])
{
	memset(s, 0, sizeof(*s));
	if (max == 0)
		return PS_ERR_INVALID_ARG;
	s->max = max;
	memcpy(s->key, key, 16);
	return PS_OK;
}

static void key_of(struct crawl_key *k, const struct btc_addr *a)
{
	memset(k, 0, sizeof(*k));
	k->net = a->net;
	k->len = a->len;
	k->port = a->port;
	memcpy(k->bytes, a->bytes, a->len);
}

static size_t hash(const struct crawl_set *s, const struct crawl_key *k)
{
	uint8_t h[8];
	uint64_t v = 0;

	/* BLAKE2s keyed with the run's random key: the slot of an address
	 * is unpredictable to the peers that send it, so they cannot fill
	 * one probe chain (a keyed hash as Core's addrman buckets by
	 * SipHash with nKey) */
	if (cry_blake2s(h, sizeof(h), s->key, sizeof(s->key), (const uint8_t *)k, sizeof(*k)) !=
	    PS_OK)
		memcpy(h, k->bytes, sizeof(h)); /* cannot fail with these sizes */
	for (size_t i = 0; i < sizeof(h); i++)
		v = v << 8 | h[i];
	return (size_t)v;
}

/* The slot holding k, or the empty slot where it would go. cap > n. */
static struct crawl_key *find(const struct crawl_set *s, const struct crawl_key *k)
{
	size_t i = hash(s, k) & (s->cap - 1);

	for (;;) {
		struct crawl_key *e = &s->slot[i];
		if (e->net == 0 || memcmp(e, k, sizeof(*k)) == 0)
			return e;
		i = (i + 1) & (s->cap - 1);
	}
}

static int grow(struct crawl_set *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64;
	struct crawl_key *old = s->slot;
	size_t oldcap = s->cap;

	s->slot = calloc(cap, sizeof(*s->slot));
	if (!s->slot) {
		s->slot = old;
		return PS_ERR_NOMEM;
	}
	s->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].net)
			*find(s, &old[i]) = old[i];
	free(old);
	return PS_OK;
}

int crawl_set_add(struct crawl_set *s, const struct btc_addr *a)
{
	struct crawl_key k, *e;

	if (btc_net_addr_len(a->net) == 0 || a->len != btc_net_addr_len(a->net))
		return PS_ERR_INVALID_ARG;
	key_of(&k, a);
	if (s->cap) {
		e = find(s, &k);
		if (e->net)
			return 0;
	}
	if (s->n >= s->max)
		return PS_ERR_NOBUF;
	/* at most half full: probe chains stay short */
	if (2 * (s->n + 1) > s->cap) {
		int r = grow(s);
		if (r != PS_OK)
			return r;
	}
	e = find(s, &k);
	*e = k;
	s->n++;
	return 1;
}

bool crawl_set_has(const struct crawl_set *s, const struct btc_addr *a)
{
	struct crawl_key k;

	if (!s->cap || btc_net_addr_len(a->net) == 0 || a->len != btc_net_addr_len(a->net))
		return false;
	key_of(&k, a);
	return find(s, &k)->net != 0;
}

void crawl_set_free(struct crawl_set *s)
{
	free(s->slot);
	memset(s, 0, sizeof(*s));
}
