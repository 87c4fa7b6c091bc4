/*
 * test_admit.c - ref/net/admit: the inbound admission choice over tables of
 * connection states, no sockets.
 *
 * Each table is written out by hand with the answer the policy in
 * net/admit.h gives for it: accept under both limits; when full, the
 * longest-idle connection that has not completed its handshake goes (a
 * closing one first), a completed handshake never does, and with nothing
 * to evict the new one is refused; an address at its own limit loses its
 * own idlest, or the new one is refused. Then two floods run against the
 * policy as a listener would apply it, checking that one address cannot
 * push out a good client. The memory budget's choice: nothing under it,
 * the largest charge then the earliest accepted over it, the asker's
 * charge with its request, as few as needed; a stalled flood stays under.
 */
#include <string.h>

#include "net/admit.h"
#include "testutil.h"

/* 127.0.0.X as ::ffff:127.0.0.X, net_addr_ip16's form */
static void ip_of(uint8_t ip[16], unsigned x)
{
	memset(ip, 0, 16);
	ip[10] = ip[11] = 0xff;
	ip[12] = 127;
	ip[15] = (uint8_t)x;
}

static struct net_admit_conn conn(unsigned x, enum net_admit_state st, uint64_t accepted,
				  uint64_t active)
{
	struct net_admit_conn c;

	memset(&c, 0, sizeof(c));
	ip_of(c.ip, x);
	c.state = st;
	c.accepted_ns = accepted;
	c.last_active_ns = active;
	return c;
}

static struct net_admit_decision decide(size_t max_inbound, size_t max_per_ip,
					const struct net_admit_conn *tab, size_t n, unsigned x)
{
	struct net_admit_limits lim = { .max_inbound = max_inbound, .max_per_ip = max_per_ip };
	struct net_admit_decision d;
	uint8_t ip[16];

	ip_of(ip, x);
	memset(&d, 0xa5, sizeof(d)); /* every field must be written */
	net_admit_decide(&d, &lim, tab, n, ip);
	return d;
}

#define P NET_ADMIT_PENDING
#define O NET_ADMIT_OVER
#define H NET_ADMIT_HANDSHAKEN

static void test_accept_under_the_limits(void **state)
{
	struct net_admit_conn tab[] = {
		conn(2, P, 100, 0),
		conn(2, P, 200, 0),
		conn(3, H, 300, 350),
	};
	struct net_admit_decision d;

	(void)state;
	d = decide(4, 3, NULL, 0, 2); /* an empty listener */
	assert_int_equal(d.verdict, NET_ADMIT_ACCEPT);
	assert_int_equal(d.reason, NET_ADMIT_NONE);
	assert_int_equal(d.victim, 0);
	d = decide(4, 3, tab, 3, 2); /* 3 of 4, and 127.0.0.2 has 2 of 3 */
	assert_int_equal(d.verdict, NET_ADMIT_ACCEPT);
	assert_int_equal(d.reason, NET_ADMIT_NONE);
	d = decide(4, 1, tab, 3, 4); /* a new address, per-ip 1 */
	assert_int_equal(d.verdict, NET_ADMIT_ACCEPT);
}

/* Full: idle since the last byte, or since accepted when none came. Entry 0
 * was accepted first but spoke at 900; entry 1 never spoke (idle since
 * 200); entry 2 spoke at 400. The idlest is entry 1. */
static void test_full_evicts_the_longest_idle(void **state)
{
	struct net_admit_conn tab[] = {
		conn(2, P, 100, 900),
		conn(3, P, 200, 0),
		conn(4, P, 300, 400),
	};
	struct net_admit_decision d;

	(void)state;
	d = decide(3, 10, tab, 3, 5);
	assert_int_equal(d.verdict, NET_ADMIT_EVICT);
	assert_int_equal(d.reason, NET_ADMIT_FULL);
	assert_int_equal(d.victim, 1);
	/* once entry 1 speaks after 400, entry 2 is the idlest */
	tab[1].last_active_ns = 950;
	d = decide(3, 10, tab, 3, 5);
	assert_int_equal(d.victim, 2);
	/* over the limit (a lowered limit): still one eviction per arrival */
	d = decide(2, 10, tab, 3, 5);
	assert_int_equal(d.verdict, NET_ADMIT_EVICT);
	assert_int_equal(d.victim, 2);
}

/* A connection whose exchange failed and is closing goes before any that
 * is still trying, however idle. */
static void test_full_evicts_a_closing_one_first(void **state)
{
	struct net_admit_conn tab[] = {
		conn(2, P, 100, 0),
		conn(3, O, 500, 600),
		conn(4, P, 200, 0),
		conn(5, O, 400, 700),
	};
	struct net_admit_decision d;

	(void)state;
	d = decide(4, 10, tab, 4, 6);
	assert_int_equal(d.verdict, NET_ADMIT_EVICT);
	assert_int_equal(d.reason, NET_ADMIT_FULL);
	assert_int_equal(d.victim, 1); /* the idler of the two closing ones */
}

/* A completed handshake is never evicted, however idle; with only those,
 * the new connection is refused. */
static void test_full_never_evicts_a_handshake(void **state)
{
	struct net_admit_conn tab[] = {
		conn(2, H, 100, 0),
		conn(3, H, 150, 160),
		conn(4, P, 900, 950),
	};
	struct net_admit_decision d;

	(void)state;
	d = decide(3, 10, tab, 3, 5);
	assert_int_equal(d.verdict, NET_ADMIT_EVICT);
	assert_int_equal(d.victim, 2);
	tab[2].state = H;
	d = decide(3, 10, tab, 3, 5);
	assert_int_equal(d.verdict, NET_ADMIT_REFUSE);
	assert_int_equal(d.reason, NET_ADMIT_FULL);
	assert_int_equal(d.victim, 0);
}

/* An address at its limit loses its own idlest, even when another
 * address's connection is idler and the listener has room. */
static void test_per_ip_evicts_its_own(void **state)
{
	struct net_admit_conn tab[] = {
		conn(3, P, 50, 0), /* the idlest of all, another address */
		conn(2, P, 300, 0),
		conn(2, H, 100, 0), /* 127.0.0.2's idlest, but handshaken */
		conn(2, P, 200, 250),
	};
	struct net_admit_decision d;

	(void)state;
	d = decide(100, 3, tab, 4, 2);
	assert_int_equal(d.verdict, NET_ADMIT_EVICT);
	assert_int_equal(d.reason, NET_ADMIT_PER_IP);
	assert_int_equal(d.victim, 3); /* idle since 250, before entry 1's 300 */
	/* per-ip is decided first: also when the listener is full */
	d = decide(4, 3, tab, 4, 2);
	assert_int_equal(d.reason, NET_ADMIT_PER_IP);
	assert_int_equal(d.victim, 3);
	/* another address is not held to 127.0.0.2's count */
	d = decide(100, 3, tab, 4, 3);
	assert_int_equal(d.verdict, NET_ADMIT_ACCEPT);
}

static void test_per_ip_refuses_when_all_its_own_are_handshaken(void **state)
{
	struct net_admit_conn tab[] = {
		conn(2, H, 100, 0),
		conn(3, P, 50, 0),
		conn(2, H, 200, 0),
	};
	struct net_admit_decision d;

	(void)state;
	d = decide(100, 2, tab, 3, 2);
	assert_int_equal(d.verdict, NET_ADMIT_REFUSE);
	assert_int_equal(d.reason, NET_ADMIT_PER_IP);
	assert_int_equal(d.victim, 0);
}

/* --max-per-ip 1: each new connection from an address replaces its last
 * unfinished one. */
static void test_per_ip_one(void **state)
{
	struct net_admit_conn tab[] = { conn(2, P, 100, 0) };
	struct net_admit_decision d;

	(void)state;
	d = decide(10, 1, tab, 1, 2);
	assert_int_equal(d.verdict, NET_ADMIT_EVICT);
	assert_int_equal(d.reason, NET_ADMIT_PER_IP);
	assert_int_equal(d.victim, 0);
}

/* Equal idleness: the earlier accepted goes; all equal: the lower index. */
static void test_ties(void **state)
{
	struct net_admit_conn tab[] = {
		conn(2, P, 300, 500),
		conn(3, P, 200, 500),
		conn(4, P, 400, 500),
	};
	struct net_admit_conn same[] = {
		conn(2, P, 100, 0),
		conn(3, P, 100, 0),
	};
	struct net_admit_decision d;

	(void)state;
	d = decide(3, 10, tab, 3, 5);
	assert_int_equal(d.victim, 1);
	d = decide(2, 10, same, 2, 5);
	assert_int_equal(d.victim, 0);
}

/* Addresses are compared in all 16 bytes: ::1 and ::ffff:127.0.0.1 and
 * 127.0.0.1's neighbours are different addresses. */
static void test_addresses_compared_whole(void **state)
{
	struct net_admit_conn tab[2];
	struct net_admit_limits lim = { .max_inbound = 10, .max_per_ip = 1 };
	struct net_admit_decision d;
	uint8_t v6_loopback[16] = { [15] = 1 }, ip[16];

	(void)state;
	tab[0] = conn(1, P, 100, 0); /* ::ffff:127.0.0.1 */
	tab[1] = conn(1, P, 100, 0);
	memcpy(tab[1].ip, v6_loopback, 16);
	ip_of(ip, 1);
	ip[0] = 0x20; /* one byte off at the other end */
	net_admit_decide(&d, &lim, tab, 2, ip);
	assert_int_equal(d.verdict, NET_ADMIT_ACCEPT);
	net_admit_decide(&d, &lim, tab, 2, v6_loopback);
	assert_int_equal(d.verdict, NET_ADMIT_EVICT);
	assert_int_equal(d.victim, 1);
}

static void test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(net_admit_reason_name(NET_ADMIT_FULL), "full");
	assert_string_equal(net_admit_reason_name(NET_ADMIT_PER_IP), "per-ip");
	assert_string_equal(net_admit_reason_name(NET_ADMIT_NO_FD), "no-descriptors");
	assert_string_equal(net_admit_reason_name(NET_ADMIT_MEMORY), "memory");
	assert_string_equal(net_admit_reason_name(NET_ADMIT_NONE), "none");
	assert_string_equal(net_admit_reason_name((enum net_admit_reason)99), "none");
}

/* ---- floods: the policy applied as a listener applies it ---- */

#define MAXT 64

struct listener {
	struct net_admit_conn tab[MAXT];
	int who[MAXT]; /* 0: the flood; else a good client's number */
	size_t n;
	struct net_admit_limits lim;
	size_t refused, evicted;
};

/* One arrival at time t from 127.0.0.X: apply the decision. Returns the
 * index it took, or -1 when refused. */
static int arrive(struct listener *l, unsigned x, int who, uint64_t t)
{
	struct net_admit_decision d;
	uint8_t ip[16];

	ip_of(ip, x);
	net_admit_decide(&d, &l->lim, l->tab, l->n, ip);
	if (d.verdict == NET_ADMIT_REFUSE) {
		l->refused++;
		return -1;
	}
	if (d.verdict == NET_ADMIT_EVICT) {
		assert_true(d.victim < l->n);
		assert_int_not_equal(l->tab[d.victim].state, NET_ADMIT_HANDSHAKEN);
		l->tab[d.victim] = l->tab[l->n - 1];
		l->who[d.victim] = l->who[l->n - 1];
		l->n--;
		l->evicted++;
	}
	assert_true(l->n < MAXT);
	l->tab[l->n] = conn(x, P, t, 0);
	l->who[l->n] = who;
	return (int)l->n++;
}

static int find(const struct listener *l, int who)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->who[i] == who)
			return (int)i;
	return -1;
}

/* One address opens 10,000 idle connections with a good client's
 * handshake under way the whole time (it has spoken, it has not finished):
 * with per-ip below max_inbound the flood only ever evicts itself, and the
 * good client keeps its slot however long its handshake takes. */
static void test_one_address_cannot_evict_a_pending_client(void **state)
{
	struct listener l = { .lim = { .max_inbound = 48, .max_per_ip = 32 } };
	uint64_t t = 1;
	int g;

	(void)state;
	for (int i = 0; i < 40; i++)
		assert_true(arrive(&l, 2, 0, t++) >= 0);
	g = arrive(&l, 3, 1, t++);
	assert_true(g >= 0);
	l.tab[g].last_active_ns = t++; /* its version */
	for (int i = 0; i < 10000; i++) {
		assert_true(arrive(&l, 2, 0, t++) >= 0);
		assert_true(l.n <= l.lim.max_inbound);
		assert_true(find(&l, 1) >= 0);
	}
	assert_int_equal(l.n, 33); /* the flood's 32 and the client */
	assert_int_equal(l.refused, 0);
	assert_int_equal(l.evicted, 40 - 32 + 10000);
}

/* Many flood addresses fill the listener: a good client that arrives then
 * evicts the idlest flood connection, completes, and is never evicted
 * after; once every slot is a completed handshake, arrivals are refused. */
static void test_full_listener_admits_and_keeps_a_good_client(void **state)
{
	struct listener l = { .lim = { .max_inbound = 16, .max_per_ip = 16 } };
	uint64_t t = 1;
	int g;

	(void)state;
	for (unsigned i = 0; i < 16; i++)
		assert_true(arrive(&l, 10 + i, 0, t++) >= 0);
	assert_int_equal(l.n, 16);
	g = arrive(&l, 3, 1, t++);
	assert_true(g >= 0);
	assert_int_equal(l.evicted, 1);
	l.tab[g].last_active_ns = t++;
	l.tab[g].state = NET_ADMIT_HANDSHAKEN;
	for (int i = 0; i < 1000; i++) {
		assert_true(arrive(&l, 10 + (unsigned)(i % 20), 0, t++) >= 0);
		assert_true(find(&l, 1) >= 0);
		assert_true(l.n <= 16);
	}
	/* every slot handshaken: the next arrival is refused as full */
	for (size_t i = 0; i < l.n; i++)
		l.tab[i].state = NET_ADMIT_HANDSHAKEN;
	assert_int_equal(arrive(&l, 99, 0, t++), -1);
	assert_int_equal(l.refused, 1);
	assert_true(find(&l, 1) >= 0);
}

/* ---- the memory budget of unauthenticated connections ---- */

/* Under the budget, or exactly at it: nobody goes. */
static void test_mem_fits(void **state)
{
	const struct net_admit_mem t[] = { { 100, 1 }, { 200, 2 }, { 0, 3 } };
	size_t v[3] = { 9, 9, 9 };
	(void)state;

	assert_int_equal(net_admit_memory_victims(v, t, 3, 2, 700, 300, 1000), 0);
	assert_int_equal(net_admit_memory_victims(v, t, 3, 2, 700, 300, 1001), 0);
	assert_int_equal(v[0], 9); /* nothing written */
}

/* Over it: the largest goes first, and no more than needed. The asker's
 * charge counts with what it asks for. */
static void test_mem_largest_first(void **state)
{
	/* 65535-byte blocks, one of 3000, the asker (index 3) holding none */
	const struct net_admit_mem t[] = { { 3000, 1 }, { 65535, 5 }, { 65535, 2 }, { 0, 9 } };
	size_t v[4];
	(void)state;

	/* holding 134070, asking 65535 more, budget 140000: one big one goes,
	 * the earlier accepted of the two (index 2, accepted at 2) */
	assert_int_equal(net_admit_memory_victims(v, t, 4, 3, 65535, 134070, 140000), 1);
	assert_int_equal(v[0], 2);
	/* budget 70000: both of the others' big ones (the asker, 65535 with
	 * its request, ties with them and was accepted last) */
	assert_int_equal(net_admit_memory_victims(v, t, 4, 3, 65535, 134070, 70000), 2);
	assert_int_equal(v[0], 2);
	assert_int_equal(v[1], 1);
	/* budget 60000: 68535 is still over it, so the asker goes too
	 * (the last of the three equal ones accepted), not the small one */
	assert_int_equal(net_admit_memory_victims(v, t, 4, 3, 65535, 134070, 60000), 3);
	assert_int_equal(v[2], 3);
}

/* The asker that wants the most goes first: a request over the whole
 * budget is refused, and evicts nobody else. */
static void test_mem_asker_largest(void **state)
{
	const struct net_admit_mem t[] = { { 500, 1 }, { 129, 2 }, { 700, 3 } };
	size_t v[3];
	(void)state;

	assert_int_equal(net_admit_memory_victims(v, t, 3, 1, 65535, 1329, 4096), 1);
	assert_int_equal(v[0], 1);
	/* budget 0: everything, the asker first */
	assert_int_equal(net_admit_memory_victims(v, t, 3, 1, 65535, 1329, 0), 3);
	assert_int_equal(v[0], 1);
	assert_int_equal(v[1], 2);
	assert_int_equal(v[2], 0);
}

/* Equal charges: the earliest accepted, then the lower index. */
static void test_mem_ties(void **state)
{
	const struct net_admit_mem t[] = { { 1000, 7 }, { 1000, 3 }, { 1000, 3 }, { 10, 0 } };
	size_t v[4];
	(void)state;

	assert_int_equal(net_admit_memory_victims(v, t, 4, 3, 0, 3010, 10), 3);
	assert_int_equal(v[0], 1);
	assert_int_equal(v[1], 2);
	assert_int_equal(v[2], 0);
}

/* A stalled flood against the budget as the listener applies it: each
 * connection asks for one 65535-byte block; what stays never passes the
 * budget, and the ones that stay are the newest. */
static void test_mem_flood_stays_under(void **state)
{
	enum { N = 300, BUDGET = 16 * 65536 };
	static struct net_admit_mem t[N];
	static size_t idx[N], v[N];
	size_t n = 0, total = 0;
	(void)state;

	for (size_t c = 0; c < N; c++) {
		size_t k, keep = 0;
		t[n] = (struct net_admit_mem){ 0, c + 1 };
		idx[n++] = c;
		k = net_admit_memory_victims(v, t, n, n - 1, 65535, total, BUDGET);
		bool self = false;
		for (size_t i = 0; i < k; i++) {
			total -= t[v[i]].charge;
			t[v[i]].charge = SIZE_MAX; /* marked */
			self |= v[i] == n - 1;
		}
		assert_false(self); /* a fresh asker with an equal block is the newest */
		t[n - 1].charge = 65535;
		total += 65535;
		for (size_t i = 0; i < n; i++)
			if (t[i].charge != SIZE_MAX) {
				t[keep] = t[i];
				idx[keep++] = idx[i];
			}
		n = keep;
		assert_true(total <= BUDGET);
	}
	assert_int_equal(n, BUDGET / 65536);
	for (size_t i = 0; i < n; i++)
		assert_true(idx[i] >= N - n); /* the newest stayed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_under_the_limits),
		cmocka_unit_test(test_full_evicts_the_longest_idle),
		cmocka_unit_test(test_full_evicts_a_closing_one_first),
		cmocka_unit_test(test_full_never_evicts_a_handshake),
		cmocka_unit_test(test_per_ip_evicts_its_own),
		cmocka_unit_test(test_per_ip_refuses_when_all_its_own_are_handshaken),
		cmocka_unit_test(test_per_ip_one),
		cmocka_unit_test(test_ties),
		cmocka_unit_test(test_addresses_compared_whole),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_one_address_cannot_evict_a_pending_client),
		cmocka_unit_test(test_full_listener_admits_and_keeps_a_good_client),
		cmocka_unit_test(test_mem_fits),
		cmocka_unit_test(test_mem_largest_first),
		cmocka_unit_test(test_mem_asker_largest),
		cmocka_unit_test(test_mem_ties),
		cmocka_unit_test(test_mem_flood_stays_under),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
