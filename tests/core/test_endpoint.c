/*
 * test_endpoint.c - ref/core/endpoint: "host", "host:port", "[v6]:port",
 * "[v6]", bare IPv6. On error the output struct keeps its 0xAA pattern.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/endpoint.h"
#include "testutil.h"

struct good {
	const char *in;
	const char *host;
	uint16_t port;
	bool has_port, bracketed;
};

static const struct good goods[] = {
	{ "example.com", "example.com", 0, false, false },
	{ "example.com:8333", "example.com", 8333, true, false },
	{ "127.0.0.1:18444", "127.0.0.1", 18444, true, false },
	{ "127.0.0.1", "127.0.0.1", 0, false, false },
	{ "localhost:1", "localhost", 1, true, false },
	{ "h:65535", "h", 65535, true, false },
	{ "h:00080", "h", 80, true, false },
	{ "[::1]:8333", "::1", 8333, true, true },
	{ "[::1]", "::1", 0, false, true },
	{ "[2001:db8::1]:18333", "2001:db8::1", 18333, true, true },
	{ "[::ffff:1.2.3.4]:1", "::ffff:1.2.3.4", 1, true, true },
	{ "[1:2:3:4:5:6:7:8]:8333", "1:2:3:4:5:6:7:8", 8333, true, true },
	/* two or more colons without brackets: an IPv6 literal, no port (as
	 * Core's SplitHostPort: the last colon is a port separator only after
	 * ']' or when it is the only one) */
	{ "::1", "::1", 0, false, false },
	{ "::1:1844", "::1:1844", 0, false, false }, /* ::0.1.24.68 in hex: no port */
	{ "::ffff:127.0.0.1", "::ffff:127.0.0.1", 0, false, false },
	{ "2001:db8::8333", "2001:db8::8333", 0, false, false },
	{ "::", "::", 0, false, false },
	{ "a_b-c.example", "a_b-c.example", 0, false, false },
};

static void test_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		struct ps_endpoint e;
		memset(&e, 0xAA, sizeof(e));
		int r = ps_endpoint_parse(&e, goods[i].in);
		if (r != PS_OK)
			fail_msg("\"%s\": %s", goods[i].in, ps_errname(r));
		assert_string_equal(e.host, goods[i].host);
		assert_int_equal(e.port, goods[i].port);
		assert_int_equal(e.has_port, goods[i].has_port);
		assert_int_equal(e.bracketed, goods[i].bracketed);
	}
}

struct bad {
	const char *in;
	int err;
};

static const struct bad bads[] = {
	{ "", PS_ERR_MALFORMED },
	{ ":8333", PS_ERR_MALFORMED },	 /* empty host */
	{ "[]:8333", PS_ERR_MALFORMED }, /* empty host in brackets */
	{ "[]", PS_ERR_MALFORMED },
	{ "[::1", PS_ERR_MALFORMED }, /* unbalanced */
	{ "::1]", PS_ERR_MALFORMED },
	{ "[::1]]", PS_ERR_MALFORMED },
	{ "host]:1", PS_ERR_MALFORMED },
	{ "ho[st", PS_ERR_MALFORMED },
	{ "[::1]x", PS_ERR_MALFORMED }, /* junk after ']' */
	{ "[::1] :1", PS_ERR_MALFORMED },
	{ "[::1]8333", PS_ERR_MALFORMED },
	{ "[1.2.3.4]:8333", PS_ERR_MALFORMED }, /* only IPv6 goes in brackets */
	{ "[host]", PS_ERR_MALFORMED },
	{ "host:", PS_ERR_MALFORMED }, /* empty port */
	{ "[::1]:", PS_ERR_MALFORMED },
	{ "host:0", PS_ERR_MALFORMED }, /* port 1..65535 */
	{ "host:65536", PS_ERR_MALFORMED },
	{ "host:99999", PS_ERR_MALFORMED },
	{ "host:100000", PS_ERR_MALFORMED },
	{ "host:4294967297", PS_ERR_MALFORMED }, /* would wrap a 32-bit parse to 1 */
	{ "host:-1", PS_ERR_MALFORMED },
	{ "host:+1", PS_ERR_MALFORMED },
	{ "host: 1", PS_ERR_MALFORMED },
	{ "host:1 ", PS_ERR_MALFORMED },
	{ "host:0x1", PS_ERR_MALFORMED },
	{ "host:8333a", PS_ERR_MALFORMED },
	{ "[::1]:0", PS_ERR_MALFORMED },
	{ "[::1]:8333:1", PS_ERR_MALFORMED },
	{ "ho st", PS_ERR_MALFORMED }, /* spaces and control bytes */
	{ " host", PS_ERR_MALFORMED },
	{ "host\t", PS_ERR_MALFORMED },
	{ "ho\nst:1", PS_ERR_MALFORMED },
	{ "ho\x7fst", PS_ERR_MALFORMED },
	{ "h\xc3\xa9t", PS_ERR_MALFORMED },
	{ "a/b", PS_ERR_MALFORMED },
	{ "[:: 1]:1", PS_ERR_MALFORMED },
	/* a host with a colon is an IPv6 literal or nothing: no DNS name has
	 * one, so these are typos, never names to look up */
	{ "::1:18444", PS_ERR_MALFORMED },     /* a port without brackets: 18444 is no group */
	{ "127.0.0.1:1:2", PS_ERR_MALFORMED }, /* two ports */
	{ "host:1:2", PS_ERR_MALFORMED },
	{ "1:2:3", PS_ERR_MALFORMED },
	{ ":::", PS_ERR_MALFORMED },
	{ "1:2:3:4:5:6:7:8:9", PS_ERR_MALFORMED },
	{ "[a:b]:1", PS_ERR_MALFORMED },
	{ "[127.0.0.1:1]:2", PS_ERR_MALFORMED },
	{ "[host:1]", PS_ERR_MALFORMED },
	/* no zone index: the connect path has no use for one */
	{ "[fe80::1%eth0]:8333", PS_ERR_MALFORMED },
	{ "fe80::1%eth0", PS_ERR_MALFORMED },
};

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct ps_endpoint e, pattern;
		memset(&e, 0xAA, sizeof(e));
		memset(&pattern, 0xAA, sizeof(pattern));
		int r = ps_endpoint_parse(&e, bads[i].in);
		if (r != bads[i].err)
			fail_msg("\"%s\": got %s, want %s", bads[i].in, ps_errname(r),
				 ps_errname(bads[i].err));
		assert_memory_equal(&e, &pattern, sizeof(e));
	}
}

/* Host length: 253 fits, 254 is PS_ERR_TOO_LARGE, with and without port and
 * in brackets. */
static void test_host_length(void **state)
{
	char s[600];
	struct ps_endpoint e, pattern;

	(void)state;
	memset(s, 'a', PS_HOST_MAX);
	s[PS_HOST_MAX] = 0;
	assert_int_equal(ps_endpoint_parse(&e, s), PS_OK);
	assert_int_equal(strlen(e.host), PS_HOST_MAX);
	assert_false(e.has_port);

	strcpy(s + PS_HOST_MAX, ":8333");
	assert_int_equal(ps_endpoint_parse(&e, s), PS_OK);
	assert_int_equal(strlen(e.host), PS_HOST_MAX);
	assert_int_equal(e.port, 8333);

	memset(&pattern, 0xAA, sizeof(pattern));
	memset(s, 'a', PS_HOST_MAX + 1);
	s[PS_HOST_MAX + 1] = 0;
	memset(&e, 0xAA, sizeof(e));
	assert_int_equal(ps_endpoint_parse(&e, s), PS_ERR_TOO_LARGE);
	assert_memory_equal(&e, &pattern, sizeof(e));

	strcpy(s + PS_HOST_MAX + 1, ":8333");
	assert_int_equal(ps_endpoint_parse(&e, s), PS_ERR_TOO_LARGE);
	assert_memory_equal(&e, &pattern, sizeof(e));

	/* bracketed: "[" + 254 bytes with colons + "]:1" */
	s[0] = '[';
	for (size_t i = 1; i <= PS_HOST_MAX + 1; i++)
		s[i] = (i % 5 == 0) ? ':' : 'f';
	strcpy(s + PS_HOST_MAX + 2, "]:1");
	assert_int_equal(ps_endpoint_parse(&e, s), PS_ERR_TOO_LARGE);
	assert_memory_equal(&e, &pattern, sizeof(e));
	/* one byte shorter is within the length, but no IPv6 literal is
	 * that long: malformed, not too large */
	s[0] = '[';
	strcpy(s + PS_HOST_MAX + 1, "]:1");
	memset(&e, 0xAA, sizeof(e));
	assert_int_equal(ps_endpoint_parse(&e, s), PS_ERR_MALFORMED);
	assert_memory_equal(&e, &pattern, sizeof(e));
	/* the longest IPv6 text (45 bytes) fits */
	assert_int_equal(ps_endpoint_parse(&e, "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:1"),
			 PS_OK);
	assert_int_equal(strlen(e.host), 45);
	assert_true(e.bracketed);

	/* a very long string does not overflow anything */
	memset(s, 'b', sizeof(s) - 1);
	s[sizeof(s) - 1] = 0;
	assert_int_equal(ps_endpoint_parse(&e, s), PS_ERR_TOO_LARGE);
}

static void test_port_parse(void **state)
{
	uint16_t p;

	(void)state;
	assert_int_equal(ps_port_parse(&p, "1", 1), PS_OK);
	assert_int_equal(p, 1);
	assert_int_equal(ps_port_parse(&p, "65535", 5), PS_OK);
	assert_int_equal(p, 65535);
	assert_int_equal(ps_port_parse(&p, "8333", 4), PS_OK);
	assert_int_equal(p, 8333);
	/* len, not the NUL, bounds the digits */
	assert_int_equal(ps_port_parse(&p, "18444xyz", 5), PS_OK);
	assert_int_equal(p, 18444);
	assert_int_equal(ps_port_parse(&p, "183", 2), PS_OK);
	assert_int_equal(p, 18);

	static const char *const bad[] = { "",	 "0",  "00000", "65536", "99999", "123456", "-1",
					   "+1", " 1", "1 ",	"1a",	 "a",	  "0x10" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = 0xAAAA;
		if (ps_port_parse(&p, bad[i], strlen(bad[i])) != PS_ERR_MALFORMED)
			fail_msg("port \"%s\" accepted", bad[i]);
		assert_int_equal(p, 0xAAAA);
	}
	/* every value 1..65535 round-trips through its decimal form */
	for (unsigned v = 1; v <= 65535; v++) {
		char s[8];
		int n = snprintf(s, sizeof(s), "%u", v);
		assert_int_equal(ps_port_parse(&p, s, (size_t)n), PS_OK);
		assert_int_equal(p, v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_host_length),
		cmocka_unit_test(test_port_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
