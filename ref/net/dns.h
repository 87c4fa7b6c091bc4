/*
 * dns.h - asynchronous name resolution with c-ares, inside the poll loop.
 *
 * Every A and AAAA record of a name, as socket addresses with the port
 * given. c-ares' sockets and one timer become loop watchers; nothing
 * blocks.
 *
 * Pacing: names wait in a FIFO and are handed to c-ares from the loop, at
 * most NET_DNS_MAX_IN_FLIGHT at a time; each answer (or failure) lets the
 * next waiting name go. Asking for a name costs O(1), whatever the number
 * already asked, and no answer can pile up unread: c-ares' sockets are
 * watched from the first query on.
 *
 * Retries: each query (A, AAAA) is sent up to NET_DNS_TRIES times per
 * server; a try that gets no answer is given up after
 * NET_DNS_TRY_TIMEOUT_MS << round (c-ares doubles the timeout each round
 * over the servers). With one server: 1 s, 2 s, 4 s, so a name whose
 * server never answers is reported after 7 s, and one whose first answer
 * was lost resolves about 1 s late.
 */
#ifndef PS_NET_DNS_H
#define PS_NET_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/err.h"
#include "net/loop.h"

/* Names handed to c-ares at once (each is an A and an AAAA query). */
#define NET_DNS_MAX_IN_FLIGHT 256
/* The first try's timeout; each later round over the servers doubles it. */
#define NET_DNS_TRY_TIMEOUT_MS 1000
/* Tries per query per server before the name is reported as failing. */
#define NET_DNS_TRIES 3

struct net_dns;

/* name: as given to net_dns_resolve (the resolver's copy, valid during
 * the call). err: PS_OK with n >= 1 addresses, PS_ERR_DNS_EMPTY (the name
 * exists but has no A/AAAA record), PS_ERR_DNS (NXDOMAIN, server failure,
 * timeout after every try); detail: c-ares' description of the failure
 * (static), or NULL. The callback must not destroy the resolver. */
typedef void (*net_dns_fn)(void *ctx, const char *name, int err, const char *detail,
			   const struct sockaddr_storage *addrs, size_t n);

/* server: "HOST:PORT" or "[v6]:PORT" of the DNS server to ask instead of
 * /etc/resolv.conf's, or NULL. NULL on failure with *err set
 * (PS_ERR_INVALID_ARG for a bad server string, PS_ERR_DNS otherwise). */
struct net_dns *net_dns_create(struct net_loop *loop, const char *server, int *err);
/* Every name not answered yet is dropped without its callback (so ctx
 * should not be memory that only the callback frees). */
void net_dns_destroy(struct net_dns *dns);

/* Queue name; cb is called once, from the loop, never from inside this
 * call (numeric names too). O(1). PS_OK or PS_ERR_NOMEM. */
PS_MUST_CHECK int net_dns_resolve(struct net_dns *dns, const char *name, uint16_t port,
				  net_dns_fn cb, void *ctx);

/* Names queued and not answered yet (waiting or in flight). */
size_t net_dns_pending(const struct net_dns *dns);

#endif
