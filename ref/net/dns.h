/*
 * dns.h - asynchronous name resolution with c-ares, inside the poll loop.
 *
 * Every A and AAAA record of a name, as socket addresses with the port
 * given. c-ares' sockets and its timeout become loop watchers; nothing
 * blocks.
 */
#ifndef PS_NET_DNS_H
#define PS_NET_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/err.h"
#include "net/loop.h"

struct net_dns;

/* err: PS_OK with n >= 1 addresses, PS_ERR_DNS_EMPTY (the name exists but
 * has no A/AAAA record), PS_ERR_DNS (NXDOMAIN, server failure, timeout);
 * detail: c-ares' description of the failure (static), or NULL. */
typedef void (*net_dns_fn)(void *ctx, int err, const char *detail,
			   const struct sockaddr_storage *addrs, size_t n);

/* server: "HOST:PORT" or "[v6]:PORT" of the DNS server to ask instead of
 * /etc/resolv.conf's, or NULL. NULL on failure with *err set
 * (PS_ERR_INVALID_ARG for a bad server string, PS_ERR_DNS otherwise). */
struct net_dns *net_dns_create(struct net_loop *loop, const char *server, int *err);
void net_dns_destroy(struct net_dns *dns);

/* Resolve name; cb is called once, from the loop. PS_OK or PS_ERR_NOMEM. */
PS_MUST_CHECK int net_dns_resolve(struct net_dns *dns, const char *name, uint16_t port,
				  net_dns_fn cb, void *ctx);

#endif
