/*
 * run.c - targets, the queue, listen, results and the summary, for every
 * protocol. Every address is handshaken with at once (up to the descriptor
 * limit; beyond it addresses wait their turn, each with its full timeout),
 * so a sweep takes about one timeout. Connections start START_BATCH per
 * loop turn and names resolve NET_DNS_MAX_IN_FLIGHT at a time (net/dns.h),
 * so no turn is long and a signal stops any run at once.
 */
#include "cli/run.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "cli/events.h"
#include "core/endpoint.h"
#include "core/hex.h"
#include "crypto/crypto.h"

/* ---- session callbacks ---- */

static void on_connected(void *ctx, struct net_session *s)
{
	events_connected(ctx, s->user);
}

static void on_event(void *ctx, struct net_session *s, const struct net_event *ev)
{
	events_peer(ctx, s->user, ev);
}

static void start_queued(struct run *run);

/* Close every listening socket. */
static void stop_listening(struct run *run)
{
	for (size_t i = 0; i < run->nlisteners; i++) {
		struct run_listener *l = &run->listeners[i];

		if (l->watch >= 0)
			net_watch_del(run->loop, l->watch);
		l->watch = -1;
		if (l->fd >= 0)
			close(l->fd);
		l->fd = -1;
	}
}

/* --count reached: accept and start nothing more, end the handshakes still
 * running, and let the connections that have their result send what they
 * queued (and linger) before the loop runs out of watchers. Stopping the
 * loop at once would drop output the events already reported as sent. */
static void wind_down(struct run *run, struct run_conn *current)
{
	struct run_conn *c, *next;

	run->stopping = true;
	run->qhead = run->qlen;
	stop_listening(run);
	for (c = run->conns; c; c = next) {
		next = c->next;
		if (c != current && !c->s.reported)
			net_session_abort(&c->s, PS_ERR_STOPPED);
	}
}

static int enqueue(struct run *run, const struct run_target *t);

static void on_result(void *ctx, struct net_session *s)
{
	struct run *run = ctx;
	struct run_conn *c = s->user;
	bool listen = run->o->mode == MODE_BTC_LISTEN || run->o->mode == MODE_NOISE_LISTEN;
	const char *why;

	if (s->outbound && !run->stopping && run->proto->retry &&
	    (why = run->proto->retry(run, c)) != NULL) {
		/* one more attempt, reported as such; this one has no result */
		struct run_target t = *run_conn_target(c);

		events_retry(run, c, why);
		t.attempt = c->attempt + 1;
		if (enqueue(run, &t) != PS_OK)
			run->runtime_failure = true;
		return;
	}
	events_result(run, c);
	if (s->outbound && run->proto->harvest)
		run->proto->harvest(run, c);
	if (listen && run->o->count && run->rep.success >= run->o->count && !run->stopping)
		wind_down(run, s->user);
}

/* Connections are small heap chunks: freed, they stay the process's (the
 * allocator keeps them for reuse, and a heap trims only from its top).
 * Once the connections open have fallen to half of the most since the
 * last time, hand the free pages back (glibc's malloc_trim drops every
 * whole free page, not only the top), so that a flood's memory goes back
 * after it. Amortized: each trim follows at least as many closes as
 * connections are left. */
static void give_back(struct run *run)
{
	if (run->active > run->active_peak)
		run->active_peak = run->active;
	if (run->active_peak < 256 || run->active > run->active_peak / 2)
		return;
#ifdef __GLIBC__
	(void)malloc_trim(0);
#endif
	run->active_peak = run->active;
}

static void on_done(void *ctx, struct net_session *s)
{
	struct run *run = ctx;
	struct run_conn *c = s->user;

	events_closed(run, c);

	if (c->prev)
		c->prev->next = c->next;
	else
		run->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	run->active--;
	if (s->outbound)
		run->outbound--;
	free(c);
	give_back(run);
	start_queued(run);
}

static void on_proxy_connected(void *ctx, struct net_session *s)
{
	events_proxy_connected(ctx, s->user);
}

static void on_proxy_event(void *ctx, struct net_session *s, const struct socks5_event *ev)
{
	events_proxy(ctx, s->user, ev);
}

static const struct net_session_ops session_ops = {
	.on_connected = on_connected,
	.on_proxy_connected = on_proxy_connected,
	.on_proxy_event = on_proxy_event,
	.on_event = on_event,
	.on_result = on_result,
	.on_done = on_done,
};

/* A connection: outbound (listener NULL), or accepted on listener. */
static struct run_conn *conn_new(struct run *run, unsigned attempt,
				 const struct run_listener *listener)
{
	struct run_conn *c = calloc(1, run->proto->conn_size);

	if (!c)
		return NULL;
	c->run = run;
	c->s.user = c;
	c->attempt = attempt;
	c->listener = listener;
	run->proto->conn_init(run, c);
	c->next = run->conns;
	if (run->conns)
		run->conns->prev = c;
	run->conns = c;
	run->active++;
	if (run->active > run->active_peak)
		run->active_peak = run->active;
	return c;
}

static struct net_session_params session_params(struct run *run, struct run_conn *c)
{
	struct net_session_params p = {
		.core_ops = run->proto->core_ops,
		.core = c->core,
		.timeout_ns = run->o->timeout_ms * 1000000u,
		.linger_ns = run->o->linger_ms * 1000000u,
		.ops = &session_ops,
		.ctx = run,
		.shape = &run->o->bugs.shape,
		.source = run->has_source ? &run->source : NULL,
	};
	return p;
}

/* The SOCKS5 destination of t: a name as ATYP 3, unresolved; an address
 * as ATYP 1 or 4 (Core sends every destination as a name, its address
 * printed; the address types are what RFC 1928 has them for). */
static void socks_dest(struct socks5_addr *d, const struct run_target *t)
{
	memset(d, 0, sizeof(*d));
	if (t->host[0]) {
		d->atyp = SOCKS5_ATYP_DOMAIN;
		d->len = strlen(t->host);
		memcpy(d->addr, t->host, d->len);
		d->port = t->port;
		return;
	}
	if (t->addr.ss_family == AF_INET6) {
		d->atyp = SOCKS5_ATYP_IPV6;
		d->len = 16;
		memcpy(d->addr, &((const struct sockaddr_in6 *)&t->addr)->sin6_addr, 16);
	} else {
		d->atyp = SOCKS5_ATYP_IPV4;
		d->len = 4;
		memcpy(d->addr, &((const struct sockaddr_in *)&t->addr)->sin_addr, 4);
	}
	d->port = net_addr_port(&t->addr);
}

/* Through the proxy: the destination, and the credentials: --proxy's, or
 * with --proxy-isolate fresh random ones for this connection only. Core's
 * -proxyrandomize gives each connection its own ("random_auth.username =
 * random_auth.password = strprintf("%i", counter++)"), so Tor puts each on
 * a circuit of its own (IsolateSOCKSAuth); a random name and password,
 * not a counter, keep two runs apart too. */
static int connect_proxied(struct run *run, struct run_conn *c, const struct run_target *t,
			   const struct net_session_params *p)
{
	struct socks5_config cfg;
	uint8_t rnd[16];
	char cred[2 * sizeof(rnd) + 1];
	int r;

	memset(&cfg, 0, sizeof(cfg));
	socks_dest(&cfg.dest, t);
	if (run->o->proxy_isolate) {
		cry_rng(NULL, rnd, sizeof(rnd));
		ps_hex_encode(cred, rnd, sizeof(rnd));
		cfg.user = cfg.pass = (const uint8_t *)cred;
		cfg.user_len = cfg.pass_len = strlen(cred);
	} else if (run->o->proxy_user) {
		cfg.user = (const uint8_t *)run->o->proxy_user;
		cfg.user_len = run->o->proxy_user_len;
		cfg.pass = (const uint8_t *)run->o->proxy_pass;
		cfg.pass_len = run->o->proxy_pass_len;
	}
	r = net_session_connect_proxy(&c->s, run->loop, &run->proxy, &cfg, p);
	cry_memzero(rnd, sizeof(rnd));
	cry_memzero(cred, sizeof(cred));
	return r;
}

/* The name of t as its lines show it. */
static void target_name(char name[NET_PEERSTRLEN], const struct run_target *t)
{
	if (t->host[0])
		snprintf(name, NET_PEERSTRLEN, "%s:%u", t->host, t->port);
	else
		net_addr_format(name, &t->addr);
}

/* Connections started between two firings of the start timer at most
 * (about one loop turn); the rest wait for it. 20,000 connects (a
 * descriptor limit's worth) take a second or more of system time, and
 * between two turns the loop takes signals. */
#define START_BATCH 256

static void on_start_more(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct run *run = ctx;

	(void)revents, (void)now_ns;
	net_watch_del(loop, run->start_watch);
	run->start_watch = -1;
	run->start_budget = START_BATCH;
	start_queued(run);
}

/* Start queued addresses while descriptors and the budget allow; when the
 * budget is spent, a timer due now refills it from the loop. */
static void start_queued(struct run *run)
{
	while (!run->stopping && run->qhead < run->qlen && run->active < run->max_active) {
		if (run->start_budget == 0) {
			if (run->start_watch < 0)
				run->start_watch =
					net_watch_add(run->loop, -1, 0, 0, on_start_more, run);
			if (run->start_watch >= 0)
				return;
			run->runtime_failure = true; /* no memory: start them now */
			run->start_budget = START_BATCH;
		}
		run->start_budget--;
		size_t ti = run->qhead++;
		const struct run_target *t = &run->queue[ti];
		struct run_conn *c = conn_new(run, t->attempt, NULL);
		struct net_session_params p;
		char name[NET_PEERSTRLEN];
		int r;

		if (!c) {
			run->runtime_failure = true;
			return;
		}
		c->target = ti;
		target_name(name, t);
		events_started(run, name, true, t->attempt);
		run->outbound++;
		p = session_params(run, c);
		if (run->o->has_proxy)
			r = connect_proxied(run, c, t, &p);
		else
			r = net_session_connect(&c->s, run->loop, &t->addr, &p);
		if (r != PS_OK)
			run->runtime_failure = true;
	}
}

static int enqueue_addr(struct run *run, const struct sockaddr_storage *ss)
{
	struct run_target t;

	memset(&t, 0, sizeof(t));
	t.addr = *ss;
	if (run->proto->filter && !run->proto->filter(run, &t))
		return PS_OK;
	return enqueue(run, &t);
}

int run_enqueue(struct run *run, const struct run_target *t)
{
	return enqueue(run, t);
}

/* The queue keeps every target it was given (qhead only moves on), so an
 * index stays good for the run. */
const struct run_target *run_conn_target(const struct run_conn *c)
{
	return &c->run->queue[c->target];
}

static int enqueue(struct run *run, const struct run_target *t)
{
	if (run->qlen == run->qcap) {
		size_t cap = run->qcap ? run->qcap * 2 : 64;
		struct run_target *q = realloc(run->queue, cap * sizeof(*q));
		if (!q)
			return PS_ERR_NOMEM;
		run->queue = q;
		run->qcap = cap;
	}
	run->queue[run->qlen++] = *t;
	return PS_OK;
}

/* ---- DNS ---- */

static void on_resolved(void *ctx, const char *name, int err, const char *detail,
			const struct sockaddr_storage *addrs, size_t n)
{
	struct run *run = ctx;

	if (err != PS_OK) {
		run->usage_failure = true;
		fprintf(stderr, "peershake: %s: %s%s%s%s\n", name,
			err == PS_ERR_DNS_EMPTY ? "resolves to no address" : "does not resolve",
			detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
		events_dns_error(run, name, err, detail);
		return;
	}
	events_resolved(run, name, addrs, n);
	for (size_t i = 0; i < n; i++)
		if (enqueue_addr(run, &addrs[i]) != PS_OK)
			run->runtime_failure = true;
	net_raise_nofile(run->qlen - run->qhead + run->active + 64);
	start_queued(run);
}

static int add_target(struct run *run, const char *target, uint16_t default_port)
{
	struct ps_endpoint ep;
	struct sockaddr_storage ss;
	uint16_t port = default_port;

	if (ps_endpoint_parse(&ep, target) != PS_OK)
		return PS_ERR_INVALID_ARG; /* cli_parse checked already */
	if (ep.has_port)
		port = ep.port;
	if (port == 0)
		return PS_ERR_INVALID_ARG;
	if (net_addr_numeric(&ss, ep.host, port))
		return enqueue_addr(run, &ss);
	if (ep.bracketed)
		return PS_ERR_INVALID_ARG;
	if (run->o->has_proxy) {
		/* through a proxy a name is not looked up here at all: it goes
		 * to the proxy as it is (RFC 1928 ATYP 3), which is how .onion
		 * and .i2p names travel. A DNS seed too: Core with a name proxy
		 * does not resolve its seeds either ("if (HaveNameProxy()) {
		 * AddAddrFetch(seed); }"), it connects to the seed's name. */
		struct run_target t;

		memset(&t, 0, sizeof(t));
		snprintf(t.host, sizeof(t.host), "%s", ep.host);
		t.port = port;
		if (run->proto->filter && !run->proto->filter(run, &t))
			return PS_OK;
		return enqueue(run, &t);
	}
	if (!run->dns) {
		int err;
		run->dns = net_dns_create(run->loop, run->o->dns_server, &err);
		if (!run->dns)
			return err;
	}
	/* queued: asked from the loop, a bounded number at a time (dns.h) */
	return net_dns_resolve(run->dns, ep.host, port, on_resolved, run);
}

/* ---- listen ---- */

/* Where an inbound connection stands, for admission: a success is kept
 * (while it lingers, and while it drains its last output) unless the peer
 * then broke a rule; anything else with a result is closing already. */
static enum net_admit_state admit_state(const struct run_conn *c)
{
	const struct net_session *s = &c->s;

	if (!s->reported)
		return NET_ADMIT_PENDING;
	if (s->outcome == PS_SUCCESS && !(s->started && s->core_ops->ended(s->core)))
		return NET_ADMIT_HANDSHAKEN;
	return NET_ADMIT_OVER;
}

/* The inbound connections as admission's table, in *n. PS_OK or
 * PS_ERR_NOMEM. */
static int admit_table(struct run *run, size_t *n)
{
	size_t k = 0;

	for (struct run_conn *c = run->conns; c; c = c->next) {
		if (c->s.outbound)
			continue; /* --connect's: not an inbound slot */
		if (k == run->admit_cap) {
			size_t cap = run->admit_cap ? run->admit_cap * 2 : 64;
			struct net_admit_conn *t = realloc(run->admit_tab, cap * sizeof(*t));
			struct run_conn **cs;
			if (!t)
				return PS_ERR_NOMEM;
			run->admit_tab = t;
			if (!(cs = realloc(run->admit_conns, cap * sizeof(*cs))))
				return PS_ERR_NOMEM;
			run->admit_conns = cs;
			run->admit_cap = cap;
		}
		net_addr_ip16(run->admit_tab[k].ip, &c->s.addr);
		run->admit_tab[k].state = admit_state(c);
		run->admit_tab[k].accepted_ns = c->s.start_ns;
		run->admit_tab[k].last_active_ns = c->s.last_recv_ns;
		run->admit_conns[k] = c;
		k++;
	}
	*n = k;
	return PS_OK;
}

/* A connection was accepted on fd from ss, by listener l: refuse it, or
 * make room and start its session. The limits are the process's, over
 * every listen address. */
static void admit(struct run *run, const struct run_listener *l, int fd,
		  const struct sockaddr_storage *ss, uint64_t now_ns)
{
	struct net_admit_decision d;
	struct net_session_params p;
	struct run_conn *c;
	char name[NET_ADDRSTRLEN];
	uint8_t ip[16];
	size_t n;

	net_addr_format(name, ss);
	net_addr_ip16(ip, ss);
	n = run->active - run->outbound; /* the inbound: what admit_table lists */
	if (n < run->admit.max_inbound && n < run->admit.max_per_ip) {
		/* neither limit can be reached (no address holds more than all
		 * of them): net_admit_decide would accept, and the table is
		 * not built, which costs O(connections) an accept */
		d = (struct net_admit_decision){ .verdict = NET_ADMIT_ACCEPT,
						 .reason = NET_ADMIT_NONE };
	} else if (admit_table(run, &n) != PS_OK) {
		close(fd);
		run->runtime_failure = true;
		return;
	} else {
		net_admit_decide(&d, &run->admit, run->admit_tab, n, ip);
	}
	if (d.verdict == NET_ADMIT_REFUSE) {
		close(fd);
		run->refused[d.reason]++;
		events_refused(run, name, d.reason);
		return;
	}
	if (d.verdict == NET_ADMIT_EVICT) {
		struct run_conn *v = run->admit_conns[d.victim];
		run->evicted[d.reason]++;
		events_evicted(run, v, d.reason, now_ns);
		/* its result (FAILED evicted) and closed lines follow */
		net_session_abort(&v->s, PS_ERR_EVICTED);
	}
	if (!(c = conn_new(run, 0, l))) {
		close(fd);
		return;
	}
	events_started(run, name, false, 0);
	p = session_params(run, c);
	if (net_session_accept(&c->s, run->loop, fd, ss, &p) != PS_OK)
		run->runtime_failure = true;
}

/* Say once, until accept works again, that it does not. */
static void accept_trouble(struct run *run, int err, const char *what)
{
	if (run->accept_trouble)
		return;
	run->accept_trouble = true;
	fprintf(stderr, "peershake: accept: %s: %s (said once until accept works again)\n",
		strerror(err), what);
}

/* Stop watching the listening socket for 100 ms: it stays readable, and
 * accept would fail again at once. */
static void accept_pause(struct run_listener *l, uint64_t now_ns)
{
	net_watch_set_events(l->run->loop, l->watch, 0);
	net_watch_set_deadline(l->run->loop, l->watch, now_ns + 100000000u);
}

/* Out of descriptors with a connection pending: give up the reserve
 * descriptor, accept the connection with it and close it at once (a
 * refused line says whose), take the reserve back. True when one was
 * taken this way and the caller may accept again; false when it paused
 * instead. */
static bool accept_with_reserve(struct run_listener *l, uint64_t now_ns)
{
	struct run *run = l->run;
	struct sockaddr_storage ss;
	char name[NET_ADDRSTRLEN];
	int fd, r;

	if (run->reserve_fd < 0) {
		accept_pause(l, now_ns);
		return false;
	}
	close(run->reserve_fd);
	run->reserve_fd = -1;
	r = net_sock_accept(&fd, &ss, l->fd);
	if (r == PS_OK) {
		close(fd);
		net_addr_format(name, &ss);
		run->refused[NET_ADMIT_NO_FD]++;
		events_refused(run, name, NET_ADMIT_NO_FD);
	}
	run->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (r == PS_OK && run->reserve_fd >= 0)
		return true;
	if (r != PS_ERR_NEED_MORE)
		accept_pause(l, now_ns);
	return false;
}

/* connections accepted a wake-up at most (on_accept) */
#define RUN_ACCEPT_BATCH 64u

static void on_accept(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct run_listener *l = ctx;
	struct run *run = l->run;

	(void)loop;
	if (revents == 0) {
		/* the back-off below is over: accept again */
		net_watch_set_events(run->loop, l->watch, POLLIN);
		net_watch_set_deadline(run->loop, l->watch, UINT64_MAX);
		return;
	}
	/* At most RUN_ACCEPT_BATCH a wake-up (nginx's and HAProxy's maxaccept):
	 * a flood that reopens every connection the listener closes keeps the
	 * queue full, and draining it to EAGAIN never returned to the loop,
	 * so the connections already accepted were not read for seconds (ci/load,
	 * noise reopen). The loop is level-triggered: the rest wait a turn. */
	for (unsigned batch = 0; batch < RUN_ACCEPT_BATCH; batch++) {
		struct sockaddr_storage ss;
		int fd, r = net_sock_accept(&fd, &ss, l->fd);
		int err = errno;

		if (r == PS_ERR_NEED_MORE)
			return;
		if (r != PS_OK) {
			switch (err) {
			case ECONNABORTED:
			case EPROTO:
				/* that connection is gone already: the next one */
				continue;
			case EMFILE:
			case ENFILE:
				/* never spin on a readable socket we cannot
				 * accept from: take the pending connection with
				 * the reserve descriptor and refuse it */
				accept_trouble(
					run, err,
					"refusing connections (no-descriptors) until one frees");
				if (accept_with_reserve(l, now_ns))
					continue;
				return;
			default:
				accept_trouble(run, err, "pausing accept for 100 ms at a time");
				accept_pause(l, now_ns);
				return;
			}
		}
		run->accept_trouble = false;
		admit(run, l, fd, &ss, now_ns);
		if (run->stopping)
			return; /* that one reached --count: the listener is gone */
	}
}

/* "ADDR:PORT", "[V6]:PORT"; port 0 picks a free one. */
static bool listen_addr(struct sockaddr_storage *ss, const char *s)
{
	char host[PS_HOST_MAX + 1];
	const char *colon = strrchr(s, ':');
	size_t hlen;
	uint16_t port = 0;

	if (!colon || colon == s)
		return false;
	hlen = (size_t)(colon - s);
	if (s[0] == '[') {
		if (hlen < 3 || s[hlen - 1] != ']')
			return false;
		s++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return false;
	memcpy(host, s, hlen);
	host[hlen] = 0;
	if (strcmp(colon + 1, "0") != 0 &&
	    ps_port_parse(&port, colon + 1, strlen(colon + 1)) != PS_OK)
		return false;
	return net_addr_numeric(ss, host, port);
}

/* Listen on l's address; say so (a "listening" line). 0, EXIT_USAGE or
 * EXIT_RUNTIME, said why. */
static int start_listener(struct run_listener *l)
{
	struct run *run = l->run;
	const char *addr = run->o->listen[l->index];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char name[NET_ADDRSTRLEN];

	if (!listen_addr(&ss, addr)) {
		fprintf(stderr, "peershake: bad listen address '%s': want IP:PORT or [IPV6]:PORT\n",
			addr);
		return EXIT_USAGE;
	}
	if (net_sock_listen(&l->fd, &ss, 1024) != PS_OK) {
		fprintf(stderr, "peershake: cannot listen on %s: %s\n", addr, strerror(errno));
		return EXIT_RUNTIME;
	}
	if (getsockname(l->fd, (struct sockaddr *)&ss, &len) != 0) {
		fprintf(stderr, "peershake: getsockname: %s\n", strerror(errno));
		return EXIT_RUNTIME;
	}
	l->watch = net_watch_add(run->loop, l->fd, POLLIN, UINT64_MAX, on_accept, l);
	if (l->watch < 0)
		return EXIT_RUNTIME;
	net_addr_format(name, &ss);
	events_listening(run, name, net_addr_port(&ss));
	return 0;
}

/* A socket for every listen address, in order; the first that fails ends
 * the run before any connection (what is open is closed at the end). */
static int start_listen(struct run *run)
{
	size_t n = run->o->nlisten;
	int r;

	if (!(run->listeners = calloc(n, sizeof(*run->listeners)))) {
		fprintf(stderr, "peershake: listen: %s\n", strerror(ENOMEM));
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; i < n; i++)
		run->listeners[i] =
			(struct run_listener){ .run = run, .index = i, .fd = -1, .watch = -1 };
	run->nlisteners = n;
	for (size_t i = 0; i < n; i++)
		if ((r = start_listener(&run->listeners[i])) != 0)
			return r;
	return 0;
}

/* ---- the run ---- */

/* Descriptors a listener keeps for itself: stdio, the listening socket,
 * the reserve, c-ares, the connection accepted before one is evicted (and
 * one more for each listening socket past the first). Core
 * keeps MIN_CORE_FDS (init.cpp) the same way: "nMaxConnections =
 * std::min(available_fds - min_required_fds, user_max_connection)". */
#define LISTEN_HEADROOM 64

static void admission_limits(struct run *run, size_t limit)
{
	const struct cli_opts *o = run->o;
	/* --connect's need one each, and so do the other listening sockets */
	size_t keep = LISTEN_HEADROOM + o->nconnect + (o->nlisten ? o->nlisten - 1 : 0);
	size_t fit = limit > keep ? limit - keep : 1;

	run->admit.max_inbound = o->max_inbound ? o->max_inbound : fit;
	run->admit.max_per_ip = o->max_per_ip ? o->max_per_ip : CLI_DEFAULT_MAX_PER_IP;
	/* Core lowers -maxconnections to what the descriptors allow, with
	 * a warning; a value given here is kept (it is how the no-descriptors
	 * path is exercised) and the warning says what happens past it */
	if (o->max_inbound > fit)
		fprintf(stderr,
			"peershake: --max-inbound %zu is over the %zu the descriptor limit (%zu) "
			"leaves: past it, connections are refused (no-descriptors)\n",
			o->max_inbound, fit, limit);
}

int run_exec(struct run *run, struct cli_opts *o, const struct run_proto *proto, void *proto_ctx)
{
	bool listen = o->mode == MODE_BTC_LISTEN || o->mode == MODE_NOISE_LISTEN;
	uint16_t default_port = o->port;
	int status = 0;

	memset(run, 0, sizeof(*run));
	run->o = o;
	run->proto = proto;
	run->proto_ctx = proto_ctx;
	run->start_watch = -1;
	run->start_budget = START_BATCH;
	run->reserve_fd = -1;
	report_init(&run->rep, o->json, o->verbose, o->progress);
	if (proto->quiet) {
		/* the protocol prints its own lines (crawl) */
		run->rep.out = fopen("/dev/null", "w");
		run->rep.progress = false;
		if (!run->rep.out) {
			fprintf(stderr, "peershake: /dev/null: %s\n", strerror(errno));
			return EXIT_RUNTIME;
		}
	}
	{
		enum net_loop_backend b;
		const char *name = getenv("PS_LOOP");
		int r = net_loop_backend_parse(&b, name);
		if (r != PS_OK) {
			fprintf(stderr, "peershake: PS_LOOP=%s: %s\n", name,
				r == PS_ERR_UNSUPPORTED ? "not on this system (want poll)"
							: "want poll or epoll");
			return EXIT_USAGE;
		}
		if (!(run->loop = net_loop_create_backend(true, b))) {
			fprintf(stderr, "peershake: event loop: %s\n", strerror(errno));
			return EXIT_RUNTIME;
		}
	}
	{
		/* a listener raises its soft limit as far as the hard one
		 * goes, as Core's RaiseFileDescriptorLimit; the inbound slots
		 * are what that leaves */
		size_t limit =
			net_raise_nofile(listen ? SIZE_MAX : o->ntargets + o->nconnect + 1024);
		run->max_active = limit > 96 ? limit - 64 : 32;
		if (o->max_concurrent && o->max_concurrent < run->max_active)
			run->max_active = o->max_concurrent;
		if (listen)
			admission_limits(run, limit);
	}
	if (o->source) {
		if (!net_addr_numeric(&run->source, o->source, 0)) {
			fprintf(stderr, "peershake: bad --source '%s': want a numeric IP address\n",
				o->source);
			status = EXIT_USAGE;
			goto out;
		}
		/* a source we cannot bind would fail every target alike: say so
		 * once, before any connection */
		if (net_sock_check_source(&run->source) != PS_OK) {
			fprintf(stderr,
				"peershake: --source '%s' cannot be bound: %s (want an "
				"address of this host)\n",
				o->source, strerror(errno));
			status = EXIT_USAGE;
			goto out;
		}
		run->has_source = true;
	}
	if (o->has_proxy && !net_addr_numeric(&run->proxy, o->proxy_host, o->proxy_port)) {
		/* cli_parse checked it */
		fprintf(stderr, "peershake: bad --proxy host '%s'\n", o->proxy_host);
		status = EXIT_USAGE;
		goto out;
	}
	if (listen && (run->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "peershake: /dev/null: %s\n", strerror(errno));
		status = EXIT_RUNTIME;
		goto out;
	}
	if (listen && (status = start_listen(run)) != 0)
		goto out;
	for (size_t i = 0; i < o->ntargets + o->nconnect; i++) {
		const char *t = i < o->ntargets ? o->targets[i] : o->connect[i - o->ntargets];
		int r;

		/* 100,000 targets take a while: a stop request ends the run
		 * here too (the loop then returns at once, the summary says
		 * what finished: nothing yet) */
		if (i % 1024 == 1023 && net_loop_take_signal(run->loop))
			break;
		r = add_target(run, t, default_port);
		if (r != PS_OK) {
			fprintf(stderr, "peershake: %s: %s\n", t,
				r == PS_ERR_INVALID_ARG ? "want HOST:PORT" : ps_strerror(r));
			status = r == PS_ERR_INVALID_ARG ? EXIT_USAGE : EXIT_RUNTIME;
			goto out;
		}
	}
	if (!net_loop_signalled(run->loop))
		start_queued(run);

	if (net_loop_run(run->loop) != PS_OK) {
		fprintf(stderr, "peershake: %s: %s\n", net_loop_backend_name(run->loop),
			strerror(errno));
		run->runtime_failure = true;
	}
	/* stopped early (signal, --count): start nothing more, end what is
	 * still running (each ended session would start a queued one) */
	run->stopping = true;
	{
		/* cut short of its targets: say what was left (a listener
		 * stopped by a signal is just done) */
		int sig = net_loop_signalled(run->loop);
		size_t unstarted = run->qlen - run->qhead;
		size_t unresolved = run->dns ? net_dns_pending(run->dns) : 0;
		if (sig && (unstarted || unresolved))
			fprintf(stderr,
				"peershake: stopped by %s: %zu running ended, %zu addresses not "
				"started, %zu names not resolved\n",
				sig == SIGINT	 ? "SIGINT"
				: sig == SIGTERM ? "SIGTERM"
						 : "a signal",
				run->active, unstarted, unresolved);
	}
	run->qhead = run->qlen;
	while (run->conns)
		net_session_abort(&run->conns->s, PS_ERR_STOPPED);
	events_summary(run);

	if (run->usage_failure)
		status = EXIT_USAGE;
	else if (run->runtime_failure)
		status = EXIT_RUNTIME;
	else
		status = run->rep.success > 0 ? EXIT_HANDSHAKE_OK : EXIT_NO_HANDSHAKE;
out:
	while (run->conns) /* only on the early exits above */
		net_session_abort(&run->conns->s, PS_ERR_STOPPED);
	stop_listening(run);
	free(run->listeners);
	if (run->reserve_fd >= 0)
		close(run->reserve_fd);
	free(run->admit_tab);
	free(run->admit_conns);
	net_dns_destroy(run->dns);
	net_loop_destroy(run->loop);
	free(run->queue);
	if (proto->quiet)
		fclose(run->rep.out);
	return status;
}
