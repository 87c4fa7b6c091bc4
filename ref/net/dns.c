#include "net/dns.h"

#include <ares.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "core/endpoint.h"

#define DNS_MAX_SOCKS 16

struct net_dns;

/* One c-ares socket as a loop watcher; the slot is the watcher's context,
 * so slots never move. */
struct dns_sock {
	struct net_dns *dns;
	int fd; /* -1: slot free */
	int id;
};

struct net_dns {
	struct net_loop *loop;
	ares_channel channel;
	struct dns_sock socks[DNS_MAX_SOCKS];
	int timer_id; /* -1 when no query is pending */
	size_t pending;
};

struct query {
	struct net_dns *dns;
	net_dns_fn cb;
	void *ctx;
	uint16_t port;
};

static void dns_update_timer(struct net_dns *dns)
{
	struct timeval tv, *t;

	if (dns->timer_id < 0)
		return;
	if (dns->pending == 0) {
		net_watch_del(dns->loop, dns->timer_id);
		dns->timer_id = -1;
		return;
	}
	t = ares_timeout(dns->channel, NULL, &tv);
	net_watch_set_deadline(dns->loop, dns->timer_id,
			       t ? net_now_ns() + (uint64_t)t->tv_sec * 1000000000u +
					       (uint64_t)t->tv_usec * 1000u
				 : UINT64_MAX);
}

static void on_sock_ready(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct dns_sock *ds = ctx;
	struct net_dns *dns = ds->dns;
	ares_socket_t fd = ds->fd;

	(void)loop, (void)now_ns;
	ares_process_fd(dns->channel,
			(revents & (POLLIN | POLLERR | POLLHUP)) ? fd : ARES_SOCKET_BAD,
			(revents & POLLOUT) ? fd : ARES_SOCKET_BAD);
	dns_update_timer(dns);
}

static void on_timer(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct net_dns *dns = ctx;

	(void)loop, (void)revents, (void)now_ns;
	ares_process_fd(dns->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_update_timer(dns);
}

/* c-ares tells which of its sockets to watch and for what; both flags
 * clear means the socket is closing. */
static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct net_dns *dns = data;
	short events = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
	struct dns_sock *free_slot = NULL;

	for (size_t i = 0; i < DNS_MAX_SOCKS; i++) {
		struct dns_sock *ds = &dns->socks[i];
		if (ds->fd == fd) {
			if (events) {
				net_watch_set_events(dns->loop, ds->id, events);
			} else {
				net_watch_del(dns->loop, ds->id);
				ds->fd = -1;
			}
			return;
		}
		if (ds->fd < 0 && !free_slot)
			free_slot = ds;
	}
	if (!events || !free_slot)
		return; /* over DNS_MAX_SOCKS: c-ares' own timeout ends that query */
	free_slot->id = net_watch_add(dns->loop, fd, events, UINT64_MAX, on_sock_ready, free_slot);
	if (free_slot->id >= 0)
		free_slot->fd = fd;
}

struct net_dns *net_dns_create(struct net_loop *loop, const char *server, int *err)
{
	struct ares_options opts;
	struct net_dns *dns;
	int r;

	r = ares_library_init(ARES_LIB_INIT_ALL);
	if (r != ARES_SUCCESS) {
		*err = PS_ERR_DNS;
		return NULL;
	}
	dns = calloc(1, sizeof(*dns));
	if (!dns) {
		*err = PS_ERR_NOMEM;
		return NULL;
	}
	dns->loop = loop;
	dns->timer_id = -1;
	for (size_t i = 0; i < DNS_MAX_SOCKS; i++) {
		dns->socks[i].dns = dns;
		dns->socks[i].fd = -1;
	}
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = on_sock_state;
	opts.sock_state_cb_data = dns;
	if (ares_init_options(&dns->channel, &opts, ARES_OPT_SOCK_STATE_CB) != ARES_SUCCESS) {
		free(dns);
		*err = PS_ERR_DNS;
		return NULL;
	}
	if (server) {
		struct ps_endpoint ep;
		if (ps_endpoint_parse(&ep, server) != PS_OK || !ep.has_port ||
		    ares_set_servers_ports_csv(dns->channel, server) != ARES_SUCCESS) {
			ares_destroy(dns->channel);
			free(dns);
			*err = PS_ERR_INVALID_ARG;
			return NULL;
		}
	}
	*err = PS_OK;
	return dns;
}

void net_dns_destroy(struct net_dns *dns)
{
	if (!dns)
		return;
	ares_destroy(dns->channel);
	if (dns->timer_id >= 0)
		net_watch_del(dns->loop, dns->timer_id);
	for (size_t i = 0; i < DNS_MAX_SOCKS; i++)
		if (dns->socks[i].fd >= 0)
			net_watch_del(dns->loop, dns->socks[i].id);
	free(dns);
	ares_library_cleanup();
}

static void on_result(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct query *q = arg;
	struct net_dns *dns = q->dns;
	struct sockaddr_storage *addrs = NULL;
	size_t n = 0, cap = 0;
	int err = PS_OK;
	const char *detail = NULL;

	(void)timeouts;
	dns->pending--;
	if (status == ARES_SUCCESS && res) {
		for (struct ares_addrinfo_node *ai = res->nodes; ai; ai = ai->ai_next)
			cap++;
		addrs = cap ? calloc(cap, sizeof(*addrs)) : NULL;
		for (struct ares_addrinfo_node *ai = res->nodes; ai && addrs; ai = ai->ai_next) {
			bool dup = false;
			if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
				continue;
			if ((size_t)ai->ai_addrlen > sizeof(addrs[0]))
				continue;
			struct sockaddr_storage ss;
			memset(&ss, 0, sizeof(ss));
			memcpy(&ss, ai->ai_addr, (size_t)ai->ai_addrlen);
			if (ss.ss_family == AF_INET)
				((struct sockaddr_in *)&ss)->sin_port = htons(q->port);
			else
				((struct sockaddr_in6 *)&ss)->sin6_port = htons(q->port);
			for (size_t k = 0; k < n && !dup; k++)
				dup = memcmp(&addrs[k], &ss, sizeof(ss)) == 0;
			if (!dup)
				addrs[n++] = ss;
		}
		if (n == 0)
			err = PS_ERR_DNS_EMPTY;
	} else if (status == ARES_ENODATA) {
		err = PS_ERR_DNS_EMPTY;
		detail = ares_strerror(status);
	} else {
		err = PS_ERR_DNS;
		detail = ares_strerror(status);
	}
	if (res)
		ares_freeaddrinfo(res);
	q->cb(q->ctx, err, detail, addrs, n);
	free(addrs);
	free(q);
}

int net_dns_resolve(struct net_dns *dns, const char *name, uint16_t port, net_dns_fn cb, void *ctx)
{
	struct ares_addrinfo_hints hints;
	struct query *q = calloc(1, sizeof(*q));

	if (!q)
		return PS_ERR_NOMEM;
	q->dns = dns;
	q->cb = cb;
	q->ctx = ctx;
	q->port = port;
	if (dns->timer_id < 0) {
		int id = net_watch_add(dns->loop, -1, 0, UINT64_MAX, on_timer, dns);
		if (id < 0) {
			free(q);
			return PS_ERR_NOMEM;
		}
		dns->timer_id = id;
	}
	dns->pending++;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* may call on_result at once (numeric names, /etc/hosts) */
	ares_getaddrinfo(dns->channel, name, NULL, &hints, on_result, q);
	dns_update_timer(dns);
	return PS_OK;
}
