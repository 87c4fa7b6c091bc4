/*
 * test_dns.c - ref/net/dns: c-ares inside the poll loop.
 *
 * Numeric names resolve without any server. Everything else is asked of a
 * tiny DNS responder written here: a UDP socket on 127.0.0.1 (or ::1)
 * watched by the same net_loop, answering from a table with hand-made wire
 * format (RFC 1035 4.1): A records, AAAA records, an empty NOERROR, NXDOMAIN,
 * SERVFAIL, or nothing at all (to leave a query pending). Nothing leaves
 * loopback; every run is bounded by a guard timer, and the tests that prove
 * the loop empties by its returning run under alarm().
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/dns.h"
#include "net/loop.h"
#include "loopback.h"
#include "net/sock.h"
#include "testutil.h"

#define SEC	 TU_SEC
#define GUARD_NS TU_GUARD_NS
#define MAXADDR	 8

/* ---- the responder ---- */

enum rcode { NOERROR = 0, SERVFAIL = 2, NXDOMAIN = 3 };

struct zone_entry {
	const char *name;
	const char *a[4];    /* dotted quads, NULL-terminated */
	const char *aaaa[4]; /* IPv6 text */
	enum rcode rcode;
	bool drop;	 /* never answer */
	bool drop_first; /* leave the first query of each type unanswered */
};

static const struct zone_entry zone[] = {
	/* one A record, no AAAA: the AAAA query gets an empty NOERROR */
	{ "a.peershake.test", { "127.0.0.2" }, { NULL }, NOERROR, false, false },
	/* one AAAA record, no A */
	{ "aaaa.peershake.test", { NULL }, { "2001:db8::7" }, NOERROR, false, false },
	/* both, and a duplicate A record that must come out once */
	{ "both.peershake.test",
	  { "127.0.0.3", "127.0.0.4", "127.0.0.3" },
	  { "::1" },
	  NOERROR,
	  false,
	  false },
	/* the name exists, no address */
	{ "empty.peershake.test", { NULL }, { NULL }, NOERROR, false, false },
	{ "servfail.peershake.test", { NULL }, { NULL }, SERVFAIL, false, false },
	{ "drop.peershake.test", { NULL }, { NULL }, NOERROR, true, false },
	/* answered from the second try of each query on */
	{ "dropone.peershake.test", { "127.0.0.5" }, { NULL }, NOERROR, false, true },
	/* anything else: NXDOMAIN */
};

/* Every NAME.pace.test: one A record. */
static const struct zone_entry pace_entry = { "*.pace.test", { "127.0.0.9" }, { NULL },
					      NOERROR,	     false,	      false };
#define PACE_SUFFIX ".pace.test"

/* Queries a held responder keeps before it answers them. */
#define HOLD_MAX 4096

struct responder {
	struct net_loop *loop;
	int fd, id;
	struct sockaddr_storage addr; /* where it listens */
	char server[NET_ADDRSTRLEN];  /* "127.0.0.1:PORT" for net_dns_create */
	unsigned queries, dropped;
	bool stop_on_drop;
	unsigned drop_first_seen[2]; /* dropone's A, AAAA queries so far */
	/* hold: keep every query, answer them all 100 ms after the first of
	 * a batch; the largest batch tells how many were in flight at once */
	bool hold;
	int hold_id; /* the batch timer, -1 when none */
	size_t nheld, max_batch, batches;
	struct held {
		uint8_t q[512];
		size_t len;
		struct sockaddr_storage from;
		socklen_t flen;
	} * held;
	/* called when a query to a dropped name arrives (or NULL) */
	void (*on_drop)(struct responder *r);
	void *user;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The question's name, lower-cased and dotted; *end gets the offset after
 * QTYPE and QCLASS. False if the query does not parse. */
static bool parse_question(const uint8_t *q, size_t len, char name[256], size_t *end)
{
	size_t off = 12, n = 0;

	if (len < 12 || get16(q + 4) != 1)
		return false;
	for (;;) {
		if (off >= len)
			return false;
		uint8_t l = q[off++];
		if (l == 0)
			break;
		if (l > 63 || len - off < l || n + l + 1 >= 256)
			return false;
		if (n)
			name[n++] = '.';
		for (uint8_t i = 0; i < l; i++)
			name[n++] = (char)tolower(q[off + i]);
		off += l;
	}
	name[n] = 0;
	if (len - off < 4)
		return false;
	*end = off + 4;
	return true;
}

static size_t put_answer(uint8_t *p, uint16_t type, const void *rdata, uint16_t rdlen)
{
	put16(p, 0xc00c); /* the name: a pointer to the question's */
	put16(p + 2, type);
	put16(p + 4, 1); /* IN */
	p[6] = 0, p[7] = 0, p[8] = 0, p[9] = 60;
	put16(p + 10, rdlen);
	memcpy(p + 12, rdata, rdlen);
	return 12u + rdlen;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

/* Answer one query of n bytes (or drop it, as its zone entry says). */
static void answer(struct responder *r, const uint8_t *q, size_t n,
		   const struct sockaddr_storage *from, socklen_t flen)
{
	uint8_t a[1024];
	char name[256];
	size_t qend, off;
	const struct zone_entry *e = NULL;
	uint16_t qtype, ancount = 0;

	if (!parse_question(q, n, name, &qend))
		return;
	qtype = get16(q + qend - 4);
	for (size_t i = 0; i < sizeof(zone) / sizeof(zone[0]); i++)
		if (strcmp(zone[i].name, name) == 0)
			e = &zone[i];
	if (!e && ends_with(name, PACE_SUFFIX))
		e = &pace_entry;
	if (e && e->drop) {
		r->dropped++;
		if (r->on_drop)
			r->on_drop(r);
		return;
	}
	if (e && e->drop_first && (qtype == 1 || qtype == 28) &&
	    r->drop_first_seen[qtype == 28]++ == 0) {
		r->dropped++;
		return;
	}

	/* header: the query's id, QR, its opcode and RD, RA, the rcode */
	memcpy(a, q, 2);
	a[2] = (uint8_t)(0x80 | (q[2] & 0x79));
	a[3] = (uint8_t)(0x80 | (e ? e->rcode : NXDOMAIN));
	put16(a + 4, 1);
	put16(a + 8, 0);
	put16(a + 10, 0);
	memcpy(a + 12, q + 12, qend - 12);
	off = qend;
	if (e && e->rcode == NOERROR) {
		for (int i = 0; qtype == 1 && i < 4 && e->a[i]; i++) {
			uint8_t ip[4];
			assert_int_equal(inet_pton(AF_INET, e->a[i], ip), 1);
			off += put_answer(a + off, 1, ip, 4);
			ancount++;
		}
		for (int i = 0; qtype == 28 && i < 4 && e->aaaa[i]; i++) {
			uint8_t ip[16];
			assert_int_equal(inet_pton(AF_INET6, e->aaaa[i], ip), 1);
			off += put_answer(a + off, 28, ip, 16);
			ancount++;
		}
	}
	put16(a + 6, ancount);
	(void)sendto(r->fd, a, off, 0, (const struct sockaddr *)from, flen);
}

static void on_hold_over(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct responder *r = ctx;

	(void)revents, (void)now_ns;
	net_watch_del(loop, r->hold_id);
	r->hold_id = -1;
	if (r->nheld > r->max_batch)
		r->max_batch = r->nheld;
	r->batches++;
	for (size_t i = 0; i < r->nheld; i++)
		answer(r, r->held[i].q, r->held[i].len, &r->held[i].from, r->held[i].flen);
	r->nheld = 0;
}

static void on_query(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct responder *r = ctx;
	uint8_t q[512];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	ssize_t n;

	if (!(revents & POLLIN))
		return;
	/* every datagram waiting: a held batch must see them all */
	while ((n = recvfrom(r->fd, q, sizeof(q), MSG_DONTWAIT, (struct sockaddr *)&from, &flen)) >
	       0) {
		r->queries++;
		if (!r->hold) {
			answer(r, q, (size_t)n, &from, flen);
		} else {
			assert_true(r->nheld < HOLD_MAX);
			memcpy(r->held[r->nheld].q, q, (size_t)n);
			r->held[r->nheld].len = (size_t)n;
			r->held[r->nheld].from = from;
			r->held[r->nheld].flen = flen;
			r->nheld++;
			if (r->hold_id < 0) {
				r->hold_id = net_watch_add(loop, -1, 0, now_ns + 100 * TU_MS,
							   on_hold_over, r);
				assert_true(r->hold_id >= 0);
			}
		}
		flen = sizeof(from);
	}
}

/* A responder on ip, port chosen by the kernel. False if ip cannot be
 * bound (no IPv6 here). */
static bool responder_start(struct responder *r, struct net_loop *loop, const char *ip)
{
	socklen_t len = sizeof(r->addr);

	memset(r, 0, sizeof(*r));
	r->loop = loop;
	r->hold_id = -1;
	assert_true(net_addr_numeric(&r->addr, ip, 0));
	r->fd = socket(r->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0)
		return false;
	if (bind(r->fd, (struct sockaddr *)&r->addr,
		 r->addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					       : sizeof(struct sockaddr_in)) != 0) {
		close(r->fd);
		return false;
	}
	assert_int_equal(getsockname(r->fd, (struct sockaddr *)&r->addr, &len), 0);
	net_addr_format(r->server, &r->addr);
	r->id = net_watch_add(loop, r->fd, POLLIN, UINT64_MAX, on_query, r);
	assert_true(r->id >= 0);
	return true;
}

static void responder_stop(struct responder *r)
{
	tu_unwatch_close(r->loop, &r->id, &r->fd);
	if (r->hold_id >= 0)
		net_watch_del(r->loop, r->hold_id);
	r->hold_id = -1;
	free(r->held);
	r->held = NULL;
}

/* ---- the queries ---- */

/* One loop, maybe a responder, one resolver. When the last expected answer
 * is in, a timer due at once tears everything down from the loop (not from
 * inside c-ares): the resolver, the responder, the guard. net_loop_run then
 * returns by itself only if the resolver left no watcher behind; alarm()
 * bounds that, the guard bounds the rest. */
struct fixture {
	struct net_loop *loop;
	struct responder resp;
	struct net_dns *dns;
	struct net_dns *extra; /* a second resolver, or NULL */
	int guard_id;
	bool guard_fired;
	unsigned outstanding; /* answers still expected */
	int teardown_id;      /* -1 until scheduled */
	bool torn_down;
	size_t pending_at_teardown; /* net_dns_pending just before destroy */
};

struct result {
	struct fixture *f;
	bool *in_resolve; /* set while net_dns_resolve runs */
	int calls;
	bool sync;		    /* called from inside net_dns_resolve */
	char asked[256], name[256]; /* the name asked, the name called back with */
	int err;
	const char *detail;
	struct sockaddr_storage addrs[MAXADDR];
	size_t n;
};

#define LEFT_BEHIND                                                                                \
	"test_dns: net_loop_run did not return after the resolver was destroyed: a watcher "       \
	"was left behind"

static void on_guard(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct fixture *f = ctx;

	(void)revents, (void)now_ns;
	f->guard_fired = true;
	net_loop_stop(loop);
}

static void on_teardown(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct fixture *f = ctx;

	(void)revents, (void)now_ns;
	net_watch_del(loop, f->teardown_id);
	f->pending_at_teardown = f->dns ? net_dns_pending(f->dns) : 0;
	net_dns_destroy(f->dns);
	f->dns = NULL;
	net_dns_destroy(f->extra);
	f->extra = NULL;
	responder_stop(&f->resp);
	net_watch_del(loop, f->guard_id);
	f->torn_down = true;
}

static void teardown_soon(struct fixture *f)
{
	if (f->torn_down || f->teardown_id >= 0)
		return;
	f->teardown_id = net_watch_add(f->loop, -1, 0, 0, on_teardown, f);
	assert_true(f->teardown_id >= 0);
}

static void on_resolved(void *ctx, const char *name, int err, const char *detail,
			const struct sockaddr_storage *addrs, size_t n)
{
	struct result *res = ctx;
	struct fixture *f = res->f;

	res->calls++;
	assert_non_null(name);
	assert_true(strlen(name) < sizeof(res->name));
	strcpy(res->name, name);
	res->sync = res->in_resolve && *res->in_resolve;
	res->err = err;
	res->detail = detail;
	res->n = n;
	if (err == PS_OK) {
		assert_non_null(addrs);
		assert_true(n >= 1);
	}
	for (size_t i = 0; i < n && i < MAXADDR; i++)
		res->addrs[i] = addrs[i];
	if (f && f->outstanding > 0 && --f->outstanding == 0)
		teardown_soon(f);
}

/* Does res hold this address (text "ip:port" as net_addr_format writes)? */
static bool has_addr(const struct result *res, const char *want)
{
	char a[NET_ADDRSTRLEN];

	for (size_t i = 0; i < res->n && i < MAXADDR; i++) {
		net_addr_format(a, &res->addrs[i]);
		if (strcmp(a, want) == 0)
			return true;
	}
	return false;
}

/* server: "resp" to ask our responder on ip; else passed as is. False if
 * the responder cannot bind ip. */
static bool fixture_up(struct fixture *f, const char *ip, const char *server)
{
	int err = 1;

	memset(f, 0, sizeof(*f));
	f->teardown_id = -1;
	f->resp.fd = -1;
	f->resp.id = -1;
	f->resp.hold_id = -1;
	f->loop = net_loop_create(false);
	assert_non_null(f->loop);
	if (ip) {
		if (!responder_start(&f->resp, f->loop, ip)) {
			net_loop_destroy(f->loop);
			return false;
		}
		server = f->resp.server;
	}
	f->dns = net_dns_create(f->loop, server, &err);
	assert_non_null(f->dns);
	assert_int_equal(err, PS_OK);
	f->guard_id = net_watch_add(f->loop, -1, 0, net_now_ns() + GUARD_NS, on_guard, f);
	assert_true(f->guard_id >= 0);
	return true;
}

static void resolve(struct fixture *f, struct result *res, const char *name, uint16_t port)
{
	bool in = true;

	memset(res, 0, sizeof(*res));
	res->f = f;
	assert_true(strlen(name) < sizeof(res->asked));
	strcpy(res->asked, name);
	res->in_resolve = &in;
	f->outstanding++;
	assert_int_equal(net_dns_resolve(f->dns, name, port, on_resolved, res), PS_OK);
	in = false;
	res->in_resolve = NULL;
}

/* Run until torn down (or the guard fires: a failure). */
static void fixture_run(struct fixture *f)
{
	tu_run_bounded(f->loop, GUARD_NS / SEC + 20, LEFT_BEHIND);
	if (f->guard_fired)
		fail_msg("resolution did not end within %u s (%u queries seen)",
			 (unsigned)(GUARD_NS / SEC), f->resp.queries);
	assert_true(f->torn_down);
	assert_null(f->dns);
	assert_null(f->extra);
}

static void fixture_free(struct fixture *f)
{
	net_dns_destroy(f->dns);
	net_dns_destroy(f->extra);
	responder_stop(&f->resp);
	net_loop_destroy(f->loop);
}

/* ---- numeric names: no server at all ---- */

static void numeric(const char *server)
{
	struct fixture f;
	struct result r4, r6;

	assert_true(fixture_up(&f, NULL, server));
	resolve(&f, &r4, "127.0.0.1", 8333);
	resolve(&f, &r6, "::1", 18444);
	fixture_run(&f);
	assert_int_equal(r4.calls, 1);
	assert_int_equal(r4.err, PS_OK);
	assert_null(r4.detail);
	assert_int_equal(r4.n, 1);
	assert_int_equal(r4.addrs[0].ss_family, AF_INET);
	assert_true(has_addr(&r4, "127.0.0.1:8333"));
	assert_int_equal(r6.calls, 1);
	assert_int_equal(r6.err, PS_OK);
	assert_null(r6.detail);
	assert_int_equal(r6.n, 1);
	assert_int_equal(r6.addrs[0].ss_family, AF_INET6);
	assert_true(has_addr(&r6, "[::1]:18444"));
	fixture_free(&f);
}

static void test_numeric_system_resolver(void **state)
{
	(void)state;
	numeric(NULL);
}

static void test_numeric_with_server(void **state)
{
	(void)state;
	/* a server nobody listens on: numeric names never ask it */
	numeric("127.0.0.1:9");
}

/* "cb is called once, from the loop" (dns.h): a numeric name too (c-ares
 * could answer it at once). */
static void test_numeric_callback_from_loop(void **state)
{
	struct fixture f;
	struct result r;

	(void)state;
	assert_true(fixture_up(&f, NULL, NULL));
	resolve(&f, &r, "127.0.0.1", 1);
	assert_int_equal(r.calls, 0);
	fixture_run(&f);
	assert_int_equal(r.calls, 1);
	assert_false(r.sync);
	assert_int_equal(r.err, PS_OK);
	assert_string_equal(r.name, "127.0.0.1");
	fixture_free(&f);
}

/* ---- the responder ---- */

static void check_answers(const char *ip)
{
	struct fixture f;
	struct result a, aaaa, both, empty, nx, sf, a2, empty2;
	struct result *all[] = { &a, &aaaa, &both, &empty, &nx, &sf, &a2, &empty2 };
	const size_t nall = sizeof(all) / sizeof(all[0]);

	if (!fixture_up(&f, ip, NULL)) {
		printf("SKIP: %s cannot be bound here\n", ip);
		skip();
	}
	/* all at once on one channel, two names twice */
	resolve(&f, &a, "a.peershake.test", 8333);
	resolve(&f, &aaaa, "aaaa.peershake.test", 18333);
	resolve(&f, &both, "both.peershake.test", 1);
	resolve(&f, &empty, "empty.peershake.test", 8333);
	resolve(&f, &nx, "nx.peershake.test", 8333);
	resolve(&f, &sf, "servfail.peershake.test", 8333);
	resolve(&f, &a2, "A.PeerShake.Test", 2);
	resolve(&f, &empty2, "empty.peershake.test", 8333);
	for (size_t i = 0; i < nall; i++)
		assert_int_equal(all[i]->calls, 0);
	fixture_run(&f);

	for (size_t i = 0; i < nall; i++) {
		assert_int_equal(all[i]->calls, 1);
		assert_false(all[i]->sync);
		/* called back with the name as asked, not as answered */
		assert_string_equal(all[i]->name, all[i]->asked);
	}

	assert_int_equal(a.err, PS_OK);
	assert_null(a.detail);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.addrs[0].ss_family, AF_INET);
	assert_true(has_addr(&a, "127.0.0.2:8333"));
	assert_int_equal(a2.err, PS_OK);
	assert_int_equal(a2.n, 1);
	assert_true(has_addr(&a2, "127.0.0.2:2"));

	assert_int_equal(aaaa.err, PS_OK);
	assert_int_equal(aaaa.n, 1);
	assert_int_equal(aaaa.addrs[0].ss_family, AF_INET6);
	assert_true(has_addr(&aaaa, "[2001:db8::7]:18333"));

	/* every record of both families, the duplicate once, port 1 on each */
	assert_int_equal(both.err, PS_OK);
	assert_int_equal(both.n, 3);
	assert_true(has_addr(&both, "127.0.0.3:1"));
	assert_true(has_addr(&both, "127.0.0.4:1"));
	assert_true(has_addr(&both, "[::1]:1"));

	assert_int_equal(empty.err, PS_ERR_DNS_EMPTY);
	assert_int_equal(empty.n, 0);
	assert_int_equal(empty2.err, PS_ERR_DNS_EMPTY);

	assert_int_equal(nx.err, PS_ERR_DNS);
	assert_int_equal(nx.n, 0);
	assert_non_null(nx.detail);

	assert_int_equal(sf.err, PS_ERR_DNS);
	assert_int_equal(sf.n, 0);
	assert_non_null(sf.detail);

	/* A and AAAA for each name, at least */
	assert_true(f.resp.queries >= 2 * nall);
	fixture_free(&f);
}

static void test_responder_v4(void **state)
{
	(void)state;
	check_answers("127.0.0.1");
}

static void test_responder_v6(void **state)
{
	(void)state;
	check_answers("::1");
}

/* Two resolvers on one loop, both asking (ares_library_init/cleanup are
 * counted). */
static void test_two_resolvers(void **state)
{
	struct fixture f;
	struct net_dns *first;
	struct result r1, r2;
	int err;

	(void)state;
	assert_true(fixture_up(&f, "127.0.0.1", NULL));
	f.extra = net_dns_create(f.loop, f.resp.server, &err);
	assert_non_null(f.extra);
	assert_int_equal(err, PS_OK);
	resolve(&f, &r1, "a.peershake.test", 1);
	first = f.dns;
	f.dns = f.extra;
	resolve(&f, &r2, "aaaa.peershake.test", 2);
	f.dns = first;
	fixture_run(&f);
	assert_int_equal(r1.calls, 1);
	assert_int_equal(r1.err, PS_OK);
	assert_true(has_addr(&r1, "127.0.0.2:1"));
	assert_int_equal(r2.calls, 1);
	assert_int_equal(r2.err, PS_OK);
	assert_true(has_addr(&r2, "[2001:db8::7]:2"));
	fixture_free(&f);
}

static void test_bad_server(void **state)
{
	static const char *bad[] = {
		"",
		"127.0.0.1",	   /* no port */
		"::1",		   /* bare IPv6: no port */
		"[::1]",	   /* bracketed, no port */
		"127.0.0.1:0",	   /* port 0 */
		"127.0.0.1:65536", /* port too large */
		"127.0.0.1:x",	   /* not a port */
		"[::1:53",	   /* unbalanced */
		"dns.example.com:53" /* c-ares wants an address */,
		"127.0.0.1:53 junk",
	};
	static const char *good[] = { "127.0.0.1:53", "[::1]:5353", "10.0.0.1:1" };
	struct net_loop *loop = net_loop_create(false);

	(void)state;
	assert_non_null(loop);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = 12345;
		struct net_dns *dns = net_dns_create(loop, bad[i], &err);
		if (dns) {
			net_dns_destroy(dns);
			fail_msg("server '%s' was accepted", bad[i]);
		}
		if (err != PS_ERR_INVALID_ARG)
			fail_msg("server '%s': %s, want invalid-arg", bad[i], ps_errname(err));
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int err = 12345;
		struct net_dns *dns = net_dns_create(loop, good[i], &err);
		if (!dns)
			fail_msg("server '%s' refused: %s", good[i], ps_errname(err));
		assert_int_equal(err, PS_OK);
		net_dns_destroy(dns);
	}
	net_dns_destroy(NULL);
	/* creating and destroying left nothing in the loop: it returns at once */
	tu_run_bounded(loop, 20, LEFT_BEHIND);
	net_loop_destroy(loop);
}

/* ---- destroy with a query pending ---- */

/* The query reached the server, which will never answer; the teardown
 * timer destroys the resolver. The callback runs once as a failure or not
 * at all; ASan checks nothing leaks or is used after free, and the loop
 * returning proves no watcher was left. */
static void drop_then_teardown(struct responder *r)
{
	struct fixture *f = r->user;

	teardown_soon(f);
}

static void test_destroy_pending(void **state)
{
	struct fixture f;
	struct result r;

	(void)state;
	assert_true(fixture_up(&f, "127.0.0.1", NULL));
	f.resp.on_drop = drop_then_teardown;
	f.resp.user = &f;
	resolve(&f, &r, "drop.peershake.test", 8333);
	fixture_run(&f);
	assert_true(f.resp.dropped >= 1);
	assert_true(r.calls <= 1);
	if (r.calls)
		assert_int_equal(r.err, PS_ERR_DNS);
	fixture_free(&f);
}

/* The same straight from another watcher's callback (the responder's), with
 * several queries pending, the resolver's socket possibly ready in the same
 * turn. */
static void drop_then_destroy_now(struct responder *r)
{
	struct fixture *f = r->user;

	if (r->dropped < 6) /* A and AAAA of three names */
		return;
	net_dns_destroy(f->dns);
	f->dns = NULL;
	net_watch_del(f->loop, f->guard_id);
	f->torn_down = true;
	responder_stop(r);
}

static void test_destroy_pending_inside_loop(void **state)
{
	struct fixture f;
	struct result r[3];

	(void)state;
	assert_true(fixture_up(&f, "127.0.0.1", NULL));
	f.resp.on_drop = drop_then_destroy_now;
	f.resp.user = &f;
	for (int i = 0; i < 3; i++)
		resolve(&f, &r[i], "drop.peershake.test", (uint16_t)(1 + i));
	fixture_run(&f);
	for (int i = 0; i < 3; i++) {
		assert_true(r[i].calls <= 1);
		if (r[i].calls)
			assert_int_equal(r[i].err, PS_ERR_DNS);
	}
	fixture_free(&f);
}

/* Outside the loop: stopped while the query is pending, destroyed after. */
static void drop_then_stop(struct responder *r)
{
	net_loop_stop(r->loop);
}

static void test_destroy_pending_after_stop(void **state)
{
	struct fixture f;
	struct result r;

	(void)state;
	assert_true(fixture_up(&f, "127.0.0.1", NULL));
	f.resp.on_drop = drop_then_stop;
	resolve(&f, &r, "drop.peershake.test", 8333);
	assert_int_equal(net_loop_run(f.loop), PS_OK);
	assert_false(f.guard_fired);
	assert_true(f.resp.dropped >= 1);
	assert_int_equal(r.calls, 0);
	net_dns_destroy(f.dns);
	f.dns = NULL;
	assert_true(r.calls <= 1);
	if (r.calls)
		assert_int_equal(r.err, PS_ERR_DNS);
	net_watch_del(f.loop, f.guard_id);
	fixture_free(&f);
}

/* ---- pacing, retries, the schedule ---- */

#define PACE_NAMES 1000

/* 1,000 names queued at once reach the server NET_DNS_MAX_IN_FLIGHT at a
 * time: the responder holds every query 100 ms and then answers its whole
 * batch, so a batch is what was in flight at once. Every name resolves. */
static void test_pacing(void **state)
{
	struct fixture f;
	struct result *r = calloc(PACE_NAMES, sizeof(*r));
	char name[64], want[64];
	int big = 1 << 20;

	(void)state;
	assert_non_null(r);
	assert_true(fixture_up(&f, "127.0.0.1", NULL));
	f.resp.hold = true;
	f.resp.held = calloc(HOLD_MAX, sizeof(*f.resp.held));
	assert_non_null(f.resp.held);
	/* the burst of 2 x NET_DNS_MAX_IN_FLIGHT queries must not overflow
	 * the responder's own socket */
	assert_int_equal(setsockopt(f.resp.fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)), 0);
	for (int i = 0; i < PACE_NAMES; i++) {
		snprintf(name, sizeof(name), "p%d%s", i, PACE_SUFFIX);
		resolve(&f, &r[i], name, (uint16_t)(1 + i));
	}
	fixture_run(&f);
	for (int i = 0; i < PACE_NAMES; i++) {
		assert_int_equal(r[i].calls, 1);
		assert_int_equal(r[i].err, PS_OK);
		assert_string_equal(r[i].name, r[i].asked);
		snprintf(want, sizeof(want), "127.0.0.9:%d", 1 + i);
		assert_true(has_addr(&r[i], want));
	}
	/* an A and an AAAA query per name; never more names than the limit */
	printf("pacing: %zu batches, the largest %zu queries\n", f.resp.batches, f.resp.max_batch);
	assert_true(f.resp.max_batch <= 2 * NET_DNS_MAX_IN_FLIGHT);
	assert_true(f.resp.max_batch > NET_DNS_MAX_IN_FLIGHT);
	assert_true(f.resp.batches >=
		    (PACE_NAMES + NET_DNS_MAX_IN_FLIGHT - 1) / NET_DNS_MAX_IN_FLIGHT);
	assert_int_equal(f.resp.queries, 2 * PACE_NAMES);
	fixture_free(&f);
	free(r);
}

/* The first query of each type for dropone.peershake.test gets no answer:
 * the name resolves after one retry, NET_DNS_TRY_TIMEOUT_MS later. */
static void test_lost_answer_retried(void **state)
{
	struct fixture f;
	struct result r;
	uint64_t t0, ms;

	(void)state;
	assert_true(fixture_up(&f, "127.0.0.1", NULL));
	t0 = net_now_ns();
	resolve(&f, &r, "dropone.peershake.test", 8333);
	fixture_run(&f);
	ms = (net_now_ns() - t0) / TU_MS;
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.err, PS_OK);
	assert_true(has_addr(&r, "127.0.0.5:8333"));
	assert_int_equal(f.resp.dropped, 2);
	assert_int_equal(f.resp.drop_first_seen[0], 2); /* A: lost, then answered */
	assert_int_equal(f.resp.drop_first_seen[1], 2); /* AAAA */
	printf("resolved after one retry in %llu ms\n", (unsigned long long)ms);
	assert_true(ms >= NET_DNS_TRY_TIMEOUT_MS - 5);
	assert_true(ms < 3 * NET_DNS_TRY_TIMEOUT_MS);
	fixture_free(&f);
}

/* A server that never answers: NET_DNS_TRIES tries of each query, 1 s,
 * 2 s and 4 s apart (dns.h), then the name fails as a timeout. */
static void test_no_answer_schedule(void **state)
{
	struct fixture f;
	struct result r;
	uint64_t t0, ms, total = 0;

	(void)state;
	assert_true(fixture_up(&f, "127.0.0.1", NULL));
	for (unsigned k = 0; k < NET_DNS_TRIES; k++)
		total += (uint64_t)NET_DNS_TRY_TIMEOUT_MS << k;
	net_watch_set_deadline(f.loop, f.guard_id, net_now_ns() + (total + 8000) * TU_MS);
	t0 = net_now_ns();
	resolve(&f, &r, "drop.peershake.test", 8333);
	fixture_run(&f);
	ms = (net_now_ns() - t0) / TU_MS;
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.err, PS_ERR_DNS);
	assert_non_null(r.detail);
	assert_int_equal(f.resp.dropped, 2 * NET_DNS_TRIES);
	printf("gave up after %llu ms (schedule: %llu ms)\n", (unsigned long long)ms,
	       (unsigned long long)total);
	assert_true(ms >= total - 5);
	assert_true(ms < total + 2000);
	fixture_free(&f);
}

/* Destroyed with names waiting and in flight: none is called back after,
 * and every one is freed (ASan). */
static void test_destroy_with_names_waiting(void **state)
{
	struct fixture f;
	struct result *r = calloc(PACE_NAMES, sizeof(*r));
	char name[64];
	size_t calls = 0;

	(void)state;
	assert_non_null(r);
	assert_true(fixture_up(&f, "127.0.0.1", NULL));
	for (int i = 0; i < PACE_NAMES; i++) {
		snprintf(name, sizeof(name), "w%d%s", i, PACE_SUFFIX);
		resolve(&f, &r[i], name, 1);
	}
	assert_int_equal(net_dns_pending(f.dns), PACE_NAMES);
	f.outstanding = 1; /* the first answer tears down */
	fixture_run(&f);
	for (int i = 0; i < PACE_NAMES; i++) {
		assert_true(r[i].calls <= 1);
		calls += (size_t)r[i].calls;
	}
	assert_true(calls >= 1);
	assert_true(f.pending_at_teardown > 0);
	assert_int_equal(calls + f.pending_at_teardown, PACE_NAMES);
	fixture_free(&f);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numeric_system_resolver),
		cmocka_unit_test(test_numeric_with_server),
		cmocka_unit_test(test_numeric_callback_from_loop),
		cmocka_unit_test(test_responder_v4),
		cmocka_unit_test(test_responder_v6),
		cmocka_unit_test(test_two_resolvers),
		cmocka_unit_test(test_bad_server),
		cmocka_unit_test(test_destroy_pending),
		cmocka_unit_test(test_destroy_pending_inside_loop),
		cmocka_unit_test(test_destroy_pending_after_stop),
		cmocka_unit_test(test_pacing),
		cmocka_unit_test(test_lost_answer_retried),
		cmocka_unit_test(test_no_answer_schedule),
		cmocka_unit_test(test_destroy_with_names_waiting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
