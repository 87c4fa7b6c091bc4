/*
 * test_addrfile.c - ref/cli/addrfile: btc listen --addr-file's lines.
 *
 * Each accepted line is checked field by field against what the README
 * says it means (the bytes of the Tor v3, I2P and CJDNS addresses are Core
 * v31.1 net_tests.cpp's for those strings); each refused line names why,
 * and addrfile_read names the file and the line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btc/params.h"
#include "cli/addrfile.h"
#include "cli/opts.h"
#include "testutil.h"

#define NOW 1800000000u

static void test_lines(void **state)
{
	static const struct {
		const char *line;
		uint8_t net;
		const char *hex;
		uint16_t port;
		uint64_t services;
		uint32_t time;
	} ok[] = {
		{ "1.2.3.4:8333", BTC_NET_IPV4, "01020304", 8333, 9, NOW },
		{ "1.2.3.4", BTC_NET_IPV4, "01020304", 18444, 9, NOW },
		{ "  1.2.3.4:0\tservices=0x409 time=1", BTC_NET_IPV4, "01020304", 0, 0x409, 1 },
		{ "[::1]:18444", BTC_NET_IPV6, "00000000000000000000000000000001", 18444, 9, NOW },
		{ "[::1]", BTC_NET_IPV6, "00000000000000000000000000000001", 18444, 9, NOW },
		{ "2001:db8::1", BTC_NET_IPV6, "20010db8000000000000000000000001", 18444, 9, NOW },
		{ "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion:9050 services=1",
		  BTC_NET_TORV3, "79bcc625184b05194975c28b66b66b0469f7f6556fb1ac3189a79b40dda32f1f",
		  9050, 1, NOW },
		{ "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p", BTC_NET_I2P,
		  "a2894dabaec08c0051a481a6dac88b64f98232ae42d4b6fd2fa81952dfe36a87", 0, 9, NOW },
		{ "[fc00:1:2:3:4:5:6:7]:8333 time=4294967295 # cjdns", BTC_NET_CJDNS,
		  "fc000001000200030004000500060007", 8333, 9, 4294967295u },
		{ "1.2.3.4 services=18446744073709551615", BTC_NET_IPV4, "01020304", 18444,
		  UINT64_MAX, NOW },
	};
	static const struct {
		const char *line;
		const char *why;
	} bad[] = {
		{ "1.2.3.4:65536", "bad port" },
		{ "1.2.3.4:08333", "bad port" },
		{ "1.2.3.4:", "bad port" },
		{ "[::1]x", "after ']'" },
		{ "[::1", "without ']'" },
		{ "[1.2.3.4]:1", "brackets are for IPv6" },
		{ "example.com:8333", "not an IPv4" },
		{ "6hzph5hv6337r6p2.onion:8333", "not an IPv4" },
		{ "1.2.3.4 services=0x", "bad services" },
		{ "1.2.3.4 services=18446744073709551616", "bad services" },
		{ "1.2.3.4 time=4294967296", "bad time" },
		{ "1.2.3.4 time=01", "bad time" },
		{ "1.2.3.4 time=1 time=2", "time= twice" },
		{ "1.2.3.4 services=1 services=2", "services= twice" },
		{ "1.2.3.4 port=1", "unknown field" },
	};
	struct btc_addr a;
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		size_t n;
		uint8_t *b = tu_unhex(ok[i].hex, &n);
		why = NULL;
		if (addrfile_parse_line(&a, &why, ok[i].line, 18444, NOW) != 1)
			fail_msg("%s: %s", ok[i].line, why ? why : "?");
		assert_int_equal(a.net, ok[i].net);
		assert_int_equal(a.len, n);
		assert_memory_equal(a.bytes, b, n);
		assert_int_equal(a.port, ok[i].port);
		assert_true(a.services == ok[i].services);
		assert_int_equal(a.time, ok[i].time);
		free(b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(addrfile_parse_line(&a, &why, bad[i].line, 18444, NOW), -1);
		assert_non_null(why);
		if (!strstr(why, bad[i].why))
			fail_msg("%s: %s, want %s", bad[i].line, why, bad[i].why);
	}
	assert_int_equal(addrfile_parse_line(&a, &why, "", 1, NOW), 0);
	assert_int_equal(addrfile_parse_line(&a, &why, "   # only a comment", 1, NOW), 0);
}

static int read_text(struct btc_addr **v, size_t *n, const char *text, char *err, size_t cap)
{
	FILE *f = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	FILE *e = fmemopen(err, cap, "w");
	int r;

	assert_non_null(f);
	assert_non_null(e);
	r = addrfile_read(v, n, f, "book", 8333, NOW, e);
	fclose(f);
	fclose(e);
	return r;
}

static void test_read(void **state)
{
	struct btc_addr *v = NULL;
	size_t n = 0;
	char err[256];

	(void)state;
	memset(err, 0, sizeof(err));
	assert_int_equal(read_text(&v, &n, "# book\n1.2.3.4\n\n[::1]:1\r\n", err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].port, 8333);
	assert_int_equal(v[1].port, 1);
	free(v);

	memset(err, 0, sizeof(err));
	assert_int_equal(read_text(&v, &n, "1.2.3.4\n\n# x\n1.2.3.4 x=1\n", err, sizeof(err)),
			 EXIT_USAGE);
	assert_non_null(strstr(err, "peershake: book:4: unknown field"));

	{
		/* a line over ADDRFILE_MAX_LINE bytes */
		char *big = malloc(ADDRFILE_MAX_LINE + 64);
		assert_non_null(big);
		memset(big, ' ', ADDRFILE_MAX_LINE + 10);
		memcpy(big, "1.2.3.4", 7);
		strcpy(big + ADDRFILE_MAX_LINE + 10, "\n");
		memset(err, 0, sizeof(err));
		assert_int_equal(read_text(&v, &n, big, err, sizeof(err)), EXIT_USAGE);
		assert_non_null(strstr(err, "book:1: line over 1024 bytes"));
		free(big);
	}
	{
		/* ADDRFILE_MAX_ENTRIES addresses are taken, one more is not */
		size_t len = (ADDRFILE_MAX_ENTRIES + 1) * 8;
		char *many = malloc(len + 1);
		assert_non_null(many);
		for (size_t i = 0; i <= ADDRFILE_MAX_ENTRIES; i++)
			memcpy(many + 8 * i, "1.2.3.4\n", 8);
		many[len - 8] = 0;
		assert_int_equal(read_text(&v, &n, many, err, sizeof(err)), 0);
		assert_int_equal(n, ADDRFILE_MAX_ENTRIES);
		free(v);
		many[len - 8] = '1';
		many[len] = 0;
		memset(err, 0, sizeof(err));
		assert_int_equal(read_text(&v, &n, many, err, sizeof(err)), EXIT_USAGE);
		assert_non_null(strstr(err, "book:100001: more than 100000 addresses"));
		free(many);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
