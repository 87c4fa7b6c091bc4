/*
 * crawlset.h - what `peershake crawl` decides per address, as pure
 * functions: the --allow/--deny filter (CIDR prefixes, IPv4 and IPv6) and
 * the set of addresses already known (a hash table, O(1) per address,
 * bounded). No I/O; the hash key is passed in.
 */
#ifndef PS_CLI_CRAWLSET_H
#define PS_CLI_CRAWLSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btc/addr.h"
#include "core/err.h"

/* One --allow or --deny prefix. */
struct crawl_cidr {
	uint8_t net;	  /* BTC_NET_IPV4 or BTC_NET_IPV6 */
	uint8_t bits;	  /* prefix length: 0..32 (IPv4), 0..128 (IPv6) */
	bool deny;	  /* --deny, else --allow */
	uint8_t addr[16]; /* the prefix, bits past it zero */
};

/* Parse "A.B.C.D/N" (N 0..32) or "IPV6/N" (N 0..128), the prefix length
 * required. Host bits past the prefix must be zero ("127.0.0.1/16" is
 * refused: it reads as a mistake for /32). PS_OK or PS_ERR_MALFORMED
 * (nothing written). */
PS_MUST_CHECK int crawl_cidr_parse(struct crawl_cidr *c, const char *s, bool deny);

/* A numeric IPv4 or IPv6 address (no port) as a btc_addr (port 0).
 * PS_OK or PS_ERR_MALFORMED (nothing written). */
PS_MUST_CHECK int crawl_addr_parse_ip(struct btc_addr *a, const char *s);

/* Whether address a (IPv4 or IPv6; anything else: false) lies in c. */
bool crawl_cidr_match(const struct crawl_cidr *c, const struct btc_addr *a);

/* The filter of a whole list: with any allow prefix, a is allowed only
 * inside one allow and outside every deny; without one, outside every deny.
 * Only IPv4 and IPv6 addresses are ever allowed here (the others are not
 * IP addresses: they are dialled through a proxy, by name, and a list of
 * IP prefixes says nothing about them: crawl_filter_allows returns false
 * for them and the caller decides). */
bool crawl_filter_allows(const struct crawl_cidr *list, size_t n, const struct btc_addr *a);

/* The set of known addresses: network, address bytes and port. */
struct crawl_key {
	uint8_t net, len;
	uint16_t port;
	uint8_t bytes[32];
};

struct crawl_set {
	struct crawl_key *slot; /* cap slots, net 0 = empty */
	size_t cap, n, max;
	uint8_t key[16]; /* the hash key: random per run, so a peer cannot aim
			    collisions at us */
};

/* An empty set holding at most max addresses (max >= 1), hashed with key.
 * PS_OK, PS_ERR_NOMEM, PS_ERR_INVALID_ARG (max 0). */
PS_MUST_CHECK int crawl_set_init(struct crawl_set *s, size_t max, const uint8_t key[16]);

/* Add a: 1 when it was new (now in the set), 0 when already there,
 * PS_ERR_NOBUF when new but the set holds max already (not added),
 * PS_ERR_NOMEM when the table could not grow (not added), PS_ERR_INVALID_ARG
 * for a network we do not keep. */
PS_MUST_CHECK int crawl_set_add(struct crawl_set *s, const struct btc_addr *a);

/* Whether a is in the set. */
bool crawl_set_has(const struct crawl_set *s, const struct btc_addr *a);

void crawl_set_free(struct crawl_set *s);

#endif
