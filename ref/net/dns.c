#include "net/dns.h"

#include <ares.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "core/endpoint.h"

#define DNS_MAX_SOCKS 16
#define MS_NS	      1000000u

/* c-ares' UDP receive buffer. NET_DNS_MAX_IN_FLIGHT names are up to two
 * answers each, about 1 KiB of kernel memory apiece on loopback: the
 * default 208 KiB (rmem_default) holds some 200. The kernel caps this at
 * net.core.rmem_max. */
#define DNS_RCVBUF (1 << 20)

struct net_dns;

/* One c-ares socket as a loop watcher; the slot is the watcher's context,
 * so slots never move. */
struct dns_sock {
	struct net_dns *dns;
	int fd; /* -1: slot free */
	int id;
};

/* A name asked for: waiting in the FIFO, then in flight in c-ares. */
struct query {
	struct net_dns *dns;
	struct query *next; /* the FIFO, while waiting */
	net_dns_fn cb;
	void *ctx;
	uint16_t port;
	char name[]; /* NUL-terminated */
};

struct net_dns {
	struct net_loop *loop;
	ares_channel channel;
	struct dns_sock socks[DNS_MAX_SOCKS];
	/* The one timer: due now while names wait and there is room, else
	 * at or before c-ares' earliest timeout (see dns_arm). -1 while no
	 * name is pending. */
	int timer_id;
	uint64_t timer_ns;
	struct query *wait_head, **wait_tail;
	size_t waiting, in_flight;
	bool destroying; /* ares_destroy is ending every query: no callbacks */
};

/* Set the timer after an event. before_ns: taken before this event's
 * first c-ares call. Names waiting with room for them: due now. Else at
 * or before c-ares' earliest timeout, kept there in O(1): a query sent
 * since before_ns times out no earlier than before_ns +
 * NET_DNS_TRY_TIMEOUT_MS (c-ares only ever doubles the timeout), and the
 * deadline was already at or before every older query's; an answer only
 * removes a timeout. exact asks c-ares instead: ares_timeout() walks
 * every query in flight (at most 2 x NET_DNS_MAX_IN_FLIGHT plus the
 * retries), so it is done only when the timer fires, and the timer fires
 * early (a query answered before its deadline) at most once per
 * NET_DNS_TRY_TIMEOUT_MS. */
static void dns_arm(struct net_dns *dns, uint64_t before_ns, bool exact)
{
	uint64_t at;

	if (dns->timer_id < 0)
		return;
	if (dns->waiting + dns->in_flight == 0) {
		net_watch_del(dns->loop, dns->timer_id);
		dns->timer_id = -1;
		return;
	}
	if (dns->waiting && dns->in_flight < NET_DNS_MAX_IN_FLIGHT) {
		at = 0;
	} else if (exact) {
		struct timeval tv, *t = ares_timeout(dns->channel, NULL, &tv);
		/* + 1 ms: c-ares rounds the time left down to the millisecond,
		 * and a timer a little early would spin until it is due */
		at = t ? net_now_ns() + (uint64_t)t->tv_sec * 1000000000u +
				     (uint64_t)t->tv_usec * 1000u + MS_NS
		       : UINT64_MAX;
	} else {
		at = before_ns + (uint64_t)NET_DNS_TRY_TIMEOUT_MS * MS_NS;
		if (dns->timer_ns < at)
			at = dns->timer_ns;
	}
	dns->timer_ns = at;
	net_watch_set_deadline(dns->loop, dns->timer_id, at);
}

static void on_result(void *arg, int status, int timeouts, struct ares_addrinfo *res);

/* Hand waiting names to c-ares while there is room. A name c-ares knows
 * at once (numeric, /etc/hosts) is answered inside ares_getaddrinfo, and
 * its room goes to the next. */
static void dns_pump(struct net_dns *dns)
{
	struct ares_addrinfo_hints hints;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	while (dns->wait_head && dns->in_flight < NET_DNS_MAX_IN_FLIGHT) {
		struct query *q = dns->wait_head;

		if (!(dns->wait_head = q->next))
			dns->wait_tail = &dns->wait_head;
		dns->waiting--;
		dns->in_flight++;
		ares_getaddrinfo(dns->channel, q->name, NULL, &hints, on_result, q);
	}
}

static void on_sock_ready(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct dns_sock *ds = ctx;
	struct net_dns *dns = ds->dns;
	ares_socket_t fd = ds->fd;
	uint64_t before = net_now_ns();

	(void)loop, (void)now_ns;
	/* reads every datagram waiting (c-ares loops to EAGAIN) */
	ares_process_fd(dns->channel,
			(revents & (POLLIN | POLLERR | POLLHUP)) ? fd : ARES_SOCKET_BAD,
			(revents & POLLOUT) ? fd : ARES_SOCKET_BAD);
	dns_pump(dns);
	dns_arm(dns, before, false);
}

static void on_timer(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct net_dns *dns = ctx;

	(void)loop, (void)revents, (void)now_ns;
	/* queries past their timeout: the next try, or the end of the name */
	ares_process_fd(dns->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_pump(dns);
	dns_arm(dns, 0, true);
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
		ares_library_cleanup();
		*err = PS_ERR_NOMEM;
		return NULL;
	}
	dns->loop = loop;
	dns->timer_id = -1;
	dns->wait_tail = &dns->wait_head;
	for (size_t i = 0; i < DNS_MAX_SOCKS; i++) {
		dns->socks[i].dns = dns;
		dns->socks[i].fd = -1;
	}
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = on_sock_state;
	opts.sock_state_cb_data = dns;
	/* our schedule, not resolv.conf's "timeout:"/"attempts:" (dns.h) */
	opts.timeout = NET_DNS_TRY_TIMEOUT_MS;
	opts.tries = NET_DNS_TRIES;
	opts.socket_receive_buffer_size = DNS_RCVBUF;
	if (ares_init_options(&dns->channel, &opts,
			      ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
				      ARES_OPT_SOCK_RCVBUF) != ARES_SUCCESS) {
		free(dns);
		ares_library_cleanup();
		*err = PS_ERR_DNS;
		return NULL;
	}
	if (server) {
		struct ps_endpoint ep;
		if (ps_endpoint_parse(&ep, server) != PS_OK || !ep.has_port ||
		    ares_set_servers_ports_csv(dns->channel, server) != ARES_SUCCESS) {
			ares_destroy(dns->channel);
			free(dns);
			ares_library_cleanup();
			*err = PS_ERR_INVALID_ARG;
			return NULL;
		}
	}
	*err = PS_OK;
	return dns;
}

void net_dns_destroy(struct net_dns *dns)
{
	struct query *q, *next;

	if (!dns)
		return;
	/* ares_destroy ends every query in flight through on_result */
	dns->destroying = true;
	ares_destroy(dns->channel);
	for (q = dns->wait_head; q; q = next) {
		next = q->next;
		free(q);
	}
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
	dns->in_flight--;
	if (dns->destroying) {
		if (res)
			ares_freeaddrinfo(res);
		free(q);
		return;
	}
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
	q->cb(q->ctx, q->name, err, detail, addrs, n);
	free(addrs);
	free(q);
}

int net_dns_resolve(struct net_dns *dns, const char *name, uint16_t port, net_dns_fn cb, void *ctx)
{
	size_t len = strlen(name);
	struct query *q = calloc(1, sizeof(*q) + len + 1);

	if (!q)
		return PS_ERR_NOMEM;
	if (dns->timer_id < 0) {
		int id = net_watch_add(dns->loop, -1, 0, 0, on_timer, dns);
		if (id < 0) {
			free(q);
			return PS_ERR_NOMEM;
		}
		dns->timer_id = id;
		dns->timer_ns = 0;
	}
	q->dns = dns;
	q->cb = cb;
	q->ctx = ctx;
	q->port = port;
	memcpy(q->name, name, len + 1);
	*dns->wait_tail = q;
	dns->wait_tail = &q->next;
	dns->waiting++;
	/* room in flight: the timer starts it from the loop's next turn */
	if (dns->in_flight < NET_DNS_MAX_IN_FLIGHT && dns->timer_ns != 0) {
		dns->timer_ns = 0;
		net_watch_set_deadline(dns->loop, dns->timer_id, 0);
	}
	return PS_OK;
}

size_t net_dns_pending(const struct net_dns *dns)
{
	return dns->waiting + dns->in_flight;
}
