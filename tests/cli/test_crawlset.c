/*
 * test_crawlset.c - ref/cli/crawlset: crawl's --allow/--deny prefixes and
 * its set of known addresses.
 *
 * Prefix membership is checked against addresses worked out by hand from
 * the prefix bits (127.0.0.0/16 holds 127.0.255.255, not 127.1.0.0); the
 * set is checked against a plain list of what was added.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/crawlset.h"
#include "crypto/crypto.h"
#include "testutil.h"

static struct btc_addr ip(const char *s, uint16_t port)
{
	struct btc_addr a;

	memset(&a, 0, sizeof(a));
	assert_int_equal(crawl_addr_parse_ip(&a, s), PS_OK);
	a.port = port;
	return a;
}

static void test_cidr_parse(void **state)
{
	static const char *const bad[] = {
		"127.0.0.0", /* no length */
		"127.0.0.0/",	"127.0.0.0/33",	  "::/129",	  "127.0.0.0/-1", "127.0.0.0/+8",
		"127.0.0.0/ 8", "127.0.0.0/0x8",  "127.0.0.0/8a", "/8",		  "localhost/8",
		"127.0.0.1/16", /* host bits set */
		"::1/64",	"127.0.0.0/0008", "[::1]/128",	  "1.2.3/8",	  "",
	};
	struct crawl_cidr c, keep;

	(void)state;
	assert_int_equal(crawl_cidr_parse(&c, "127.0.0.0/16", false), PS_OK);
	assert_int_equal(c.net, BTC_NET_IPV4);
	assert_int_equal(c.bits, 16);
	assert_false(c.deny);
	assert_int_equal(c.addr[0], 127);
	assert_int_equal(crawl_cidr_parse(&c, "::1/128", true), PS_OK);
	assert_int_equal(c.net, BTC_NET_IPV6);
	assert_int_equal(c.bits, 128);
	assert_true(c.deny);
	assert_int_equal(c.addr[15], 1);
	assert_int_equal(crawl_cidr_parse(&c, "0.0.0.0/0", false), PS_OK);
	assert_int_equal(c.bits, 0);
	assert_int_equal(crawl_cidr_parse(&c, "127.0.128.0/17", false), PS_OK);
	/* a refused prefix writes nothing */
	keep = c;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(crawl_cidr_parse(&c, bad[i], false), PS_ERR_MALFORMED);
		assert_memory_equal(&c, &keep, sizeof(c));
	}
}

static void test_cidr_match(void **state)
{
	struct crawl_cidr lo16, v6, half, all;
	struct btc_addr a;

	(void)state;
	assert_int_equal(crawl_cidr_parse(&lo16, "127.0.0.0/16", false), PS_OK);
	assert_int_equal(crawl_cidr_parse(&v6, "::1/128", false), PS_OK);
	assert_int_equal(crawl_cidr_parse(&half, "127.0.128.0/17", false), PS_OK);
	assert_int_equal(crawl_cidr_parse(&all, "0.0.0.0/0", false), PS_OK);
	a = ip("127.0.0.1", 0);
	assert_true(crawl_cidr_match(&lo16, &a));
	a = ip("127.0.255.255", 0);
	assert_true(crawl_cidr_match(&lo16, &a));
	assert_true(crawl_cidr_match(&half, &a));
	a = ip("127.0.127.255", 0);
	assert_false(crawl_cidr_match(&half, &a));
	a = ip("127.1.0.0", 0);
	assert_false(crawl_cidr_match(&lo16, &a));
	a = ip("126.255.255.255", 0);
	assert_false(crawl_cidr_match(&lo16, &a));
	assert_true(crawl_cidr_match(&all, &a));
	/* families never mix: ::1 is not in an IPv4 prefix, nor 127.0.0.1
	 * (as its IPv4-mapped form or otherwise) in an IPv6 one */
	a = ip("::1", 0);
	assert_true(crawl_cidr_match(&v6, &a));
	assert_false(crawl_cidr_match(&lo16, &a));
	assert_false(crawl_cidr_match(&all, &a));
	a = ip("::2", 0);
	assert_false(crawl_cidr_match(&v6, &a));
	a = ip("::ffff:127.0.0.1", 0);
	assert_false(crawl_cidr_match(&v6, &a));
}

static void test_filter(void **state)
{
	struct crawl_cidr l[3];
	struct btc_addr a, onion;

	(void)state;
	assert_int_equal(crawl_cidr_parse(&l[0], "127.0.0.0/16", false), PS_OK);
	assert_int_equal(crawl_cidr_parse(&l[1], "::1/128", false), PS_OK);
	assert_int_equal(crawl_cidr_parse(&l[2], "127.0.9.0/24", true), PS_OK);
	a = ip("127.0.0.5", 8333);
	assert_true(crawl_filter_allows(l, 3, &a));
	a = ip("::1", 8333);
	assert_true(crawl_filter_allows(l, 3, &a));
	/* outside every allow */
	a = ip("127.1.0.1", 8333);
	assert_false(crawl_filter_allows(l, 3, &a));
	/* inside an allow and a deny: the deny wins */
	a = ip("127.0.9.7", 8333);
	assert_false(crawl_filter_allows(l, 3, &a));
	/* only a deny: everything else passes */
	a = ip("127.1.0.1", 8333);
	assert_true(crawl_filter_allows(&l[2], 1, &a));
	a = ip("127.0.9.1", 8333);
	assert_false(crawl_filter_allows(&l[2], 1, &a));
	/* a list that says nothing passes IP addresses; never a non-IP one */
	assert_true(crawl_filter_allows(NULL, 0, &a));
	memset(&onion, 0, sizeof(onion));
	onion.net = BTC_NET_TORV3;
	onion.len = 32;
	assert_false(crawl_filter_allows(NULL, 0, &onion));
	assert_false(crawl_filter_allows(l, 3, &onion));
}

static void test_set(void **state)
{
	uint8_t key[16] = { 1, 2, 3 };
	struct crawl_set s;
	struct btc_addr a, b, t;
	char text[64];

	(void)state;
	assert_int_equal(crawl_set_init(&s, 0, key), PS_ERR_INVALID_ARG);
	assert_int_equal(crawl_set_init(&s, 5000, key), PS_OK);
	a = ip("127.0.0.1", 8333);
	assert_false(crawl_set_has(&s, &a));
	assert_int_equal(crawl_set_add(&s, &a), 1);
	assert_int_equal(crawl_set_add(&s, &a), 0);
	assert_true(crawl_set_has(&s, &a));
	/* the port is part of the address; so is the network */
	b = a;
	b.port = 8334;
	assert_false(crawl_set_has(&s, &b));
	assert_int_equal(crawl_set_add(&s, &b), 1);
	/* time and services are not */
	b.time = 12345;
	b.services = 9;
	assert_int_equal(crawl_set_add(&s, &b), 0);
	memset(&t, 0, sizeof(t));
	t.net = BTC_NET_TORV3;
	t.len = 32;
	memset(t.bytes, 0x7f, 4); /* 127.127.127.127 as the first bytes */
	t.port = 8333;
	assert_int_equal(crawl_set_add(&s, &t), 1);
	t.net = BTC_NET_I2P;
	assert_int_equal(crawl_set_add(&s, &t), 1);
	t.net = BTC_NET_TORV2;
	assert_int_equal(crawl_set_add(&s, &t), PS_ERR_INVALID_ARG);
	assert_int_equal(s.n, 4);
	/* 4000 distinct addresses through many growths: each added once,
	 * each found after, none twice */
	for (unsigned i = 0; i < 4000; i++) {
		snprintf(text, sizeof(text), "127.0.%u.%u", i / 250, i % 250 + 2);
		a = ip(text, 18444);
		assert_int_equal(crawl_set_add(&s, &a), 1);
	}
	for (unsigned i = 0; i < 4000; i++) {
		snprintf(text, sizeof(text), "127.0.%u.%u", i / 250, i % 250 + 2);
		a = ip(text, 18444);
		assert_true(crawl_set_has(&s, &a));
		assert_int_equal(crawl_set_add(&s, &a), 0);
		a.port = 18445;
		assert_false(crawl_set_has(&s, &a));
	}
	assert_int_equal(s.n, 4004);
	assert_true(2 * s.n <= s.cap);
	crawl_set_free(&s);
}

static void test_set_bound(void **state)
{
	uint8_t key[16] = { 0 };
	struct crawl_set s;
	struct btc_addr a;
	char text[64];

	(void)state;
	assert_int_equal(crawl_set_init(&s, 10, key), PS_OK);
	for (unsigned i = 0; i < 10; i++) {
		snprintf(text, sizeof(text), "::%u", i + 1);
		a = ip(text, 1);
		assert_int_equal(crawl_set_add(&s, &a), 1);
	}
	/* full: a new one is refused and not kept; a known one is still
	 * known */
	a = ip("::99", 1);
	assert_int_equal(crawl_set_add(&s, &a), PS_ERR_NOBUF);
	assert_false(crawl_set_has(&s, &a));
	a = ip("::3", 1);
	assert_int_equal(crawl_set_add(&s, &a), 0);
	assert_int_equal(s.n, 10);
	crawl_set_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_parse), cmocka_unit_test(test_cidr_match),
		cmocka_unit_test(test_filter),	   cmocka_unit_test(test_set),
		cmocka_unit_test(test_set_bound),
	};
	if (cry_init() != PS_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
