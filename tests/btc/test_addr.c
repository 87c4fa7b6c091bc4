/*
 * test_addr.c - ref/btc/addr: the addr and addrv2 codecs and the text forms.
 *
 * Known-good bytes that do not come from our encoder:
 *  - Bitcoin Core v31.1 src/test/netbase_tests.cpp, stream_addrv1_hex and
 *    stream_addrv2_hex: three CAddress records (::1 ports 0, 0xf1, 0xf1f2)
 *    serialized as a vector in the V1 and V2 network formats;
 *  - Core v31.1 src/test/net_tests.cpp, cnetaddr_unserialize_v2: one
 *    CNetAddr of each BIP 155 network and each failure, in V2 format, each
 *    wrapped here by hand into a one-entry addrv2 (count 01, time
 *    00000000, services 00, the vector, port 208d);
 *  - Core net_tests.cpp's address strings (TORv3 "pg6mm...onion" for
 *    79bcc625..., "kpgvm...onion" for 53cd5648..., I2P "ukeu3...b32.i2p"
 *    for a2894dab..., CJDNS "fc00:1:2:3:4:5:6:7");
 *  - FIPS 202's SHA3-256 of the empty string.
 * Every truncation of a valid message fails with PS_ERR_MALFORMED and writes
 * nothing (outputs filled with 0xAA first and compared after).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btc/addr.h"
#include "btc/wire.h"
#include "crypto/sha3.h"
#include "testutil.h"

/* netbase_tests.cpp stream_addrv1_hex */
static const char CORE_ADDRV1[] = "03"
				  "61bc6649"
				  "0000000000000000"
				  "00000000000000000000000000000001"
				  "0000"
				  "79627683"
				  "0100000000000000"
				  "00000000000000000000000000000001"
				  "00f1"
				  "ffffffff"
				  "4804000000000000"
				  "00000000000000000000000000000001"
				  "f1f2";

/* netbase_tests.cpp stream_addrv2_hex */
static const char CORE_ADDRV2[] = "03"
				  "61bc6649"
				  "00"
				  "02"
				  "10"
				  "00000000000000000000000000000001"
				  "0000"
				  "79627683"
				  "01"
				  "02"
				  "10"
				  "00000000000000000000000000000001"
				  "00f1"
				  "ffffffff"
				  "fd4804"
				  "02"
				  "10"
				  "00000000000000000000000000000001"
				  "f1f2";

static const uint8_t LOOPBACK6[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

static void expect_core_fixture(const struct btc_addr *a, size_t n)
{
	static const uint32_t times[3] = { 0x4966bc61u, 0x83766279u, 0xffffffffu };
	/* NODE_NONE, NODE_NETWORK, NODE_WITNESS | NODE_COMPACT_FILTERS |
	 * NODE_NETWORK_LIMITED */
	static const uint64_t services[3] = { 0, 1, 0x0448 };
	static const uint16_t ports[3] = { 0, 0x00f1, 0xf1f2 };

	assert_int_equal(n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(a[i].net, BTC_NET_IPV6);
		assert_int_equal(a[i].len, 16);
		assert_memory_equal(a[i].bytes, LOOPBACK6, 16);
		assert_int_equal(a[i].time, times[i]);
		assert_true(a[i].services == services[i]);
		assert_int_equal(a[i].port, ports[i]);
	}
}

static void test_core_caddress_vectors(void **state)
{
	struct btc_addr a[4];
	struct btc_addr_info info;
	uint8_t out[256];
	struct ps_wcur w;
	size_t n1, n2, n;
	uint8_t *v1 = tu_unhex(CORE_ADDRV1, &n1), *v2 = tu_unhex(CORE_ADDRV2, &n2);

	(void)state;
	assert_int_equal(btc_addr_decode(a, 4, &n, &info, BTC_ADDR_FMT_V1, v1, n1), PS_OK);
	expect_core_fixture(a, n);
	assert_int_equal(info.count, 3);
	assert_int_equal(info.skipped, 0);
	assert_int_equal(info.trailing, 0);
	/* caddress_serialize_v1: the same records encode to Core's bytes */
	w = ps_wcur_make(out, sizeof(out));
	assert_int_equal(btc_addr_encode(&w, BTC_ADDR_FMT_V1, a, n), PS_OK);
	assert_int_equal((size_t)(w.p - out), n1);
	assert_memory_equal(out, v1, n1);

	memset(a, 0, sizeof(a));
	assert_int_equal(btc_addr_decode(a, 4, &n, &info, BTC_ADDR_FMT_V2, v2, n2), PS_OK);
	expect_core_fixture(a, n);
	w = ps_wcur_make(out, sizeof(out));
	assert_int_equal(btc_addr_encode(&w, BTC_ADDR_FMT_V2, a, n), PS_OK);
	assert_int_equal((size_t)(w.p - out), n2);
	assert_memory_equal(out, v2, n2);

	/* the message decoder takes them too, as a view */
	{
		struct btc_msg m;
		uint8_t cmd[BTC_COMMAND_LEN];
		assert_int_equal(btc_command_set(cmd, "addrv2"), PS_OK);
		assert_int_equal(btc_payload_decode(&m, BTC_CMD_ADDRV2, cmd, v2, n2), PS_OK);
		assert_int_equal(m.u.addr.info.count, 3);
		assert_null(m.u.addr.entries);
		assert_int_equal(btc_cmd_from_bytes(cmd), BTC_CMD_ADDRV2);
	}
	free(v1);
	free(v2);
}

/* Every truncation of a valid message: MALFORMED, nothing written, fn never
 * called. */
static int calls;
static void count_call(void *ctx, const struct btc_addr *a)
{
	(void)ctx;
	(void)a;
	calls++;
}

static void expect_truncations(enum btc_addr_fmt fmt, const uint8_t *p, size_t n)
{
	struct btc_addr a[4], before[4];
	struct btc_addr_info info, ibefore;
	size_t got = 12345;

	for (size_t k = 0; k < n; k++) {
		memset(a, 0xAA, sizeof(a));
		memcpy(before, a, sizeof(a));
		memset(&info, 0xAA, sizeof(info));
		memcpy(&ibefore, &info, sizeof(info));
		assert_int_equal(btc_addr_decode(a, 4, &got, &info, fmt, p, k), PS_ERR_MALFORMED);
		assert_memory_equal(a, before, sizeof(a));
		assert_memory_equal(&info, &ibefore, sizeof(info));
		assert_int_equal(got, 12345);
		calls = 0;
		assert_int_equal(btc_addr_each(NULL, fmt, p, k, count_call, NULL),
				 PS_ERR_MALFORMED);
		assert_int_equal(calls, 0);
	}
}

static void test_truncations(void **state)
{
	size_t n1, n2;
	uint8_t *v1 = tu_unhex(CORE_ADDRV1, &n1), *v2 = tu_unhex(CORE_ADDRV2, &n2);

	(void)state;
	expect_truncations(BTC_ADDR_FMT_V1, v1, n1);
	expect_truncations(BTC_ADDR_FMT_V2, v2, n2);
	free(v1);
	free(v2);
}

/* One addrv2 entry around a CNetAddr of cnetaddr_unserialize_v2 (network id,
 * length, address), time 0, services 0, port 8333; decoded into *a. */
static int one_v2(struct btc_addr *a, size_t *n, struct btc_addr_info *info, const char *netaddr)
{
	char hex[2200];
	uint8_t *p;
	size_t len;
	int r;

	snprintf(hex, sizeof(hex),
		 "01"
		 "00000000"
		 "00"
		 "%s"
		 "208d",
		 netaddr);
	p = tu_unhex(hex, &len);
	r = btc_addr_decode(a, 1, n, info, BTC_ADDR_FMT_V2, p, len);
	free(p);
	return r;
}

static void test_core_cnetaddr_v2_vectors(void **state)
{
	static const struct {
		const char *hex;
		int result;
		int kept; /* entries handed out: 1, or 0 for a skipped id */
		uint8_t net;
		int valid;
		const char *text;
	} v[] = {
		/* "Valid IPv4." */
		{ "010401020304", PS_OK, 1, BTC_NET_IPV4, 1, "1.2.3.4" },
		/* "Invalid IPv4, valid length but address itself is shorter." */
		{ "01040102", PS_ERR_MALFORMED, 0, 0, 0, NULL },
		/* "Invalid IPv4, with bogus length." */
		{ "010501020304", PS_ERR_MALFORMED, 0, 0, 0, NULL },
		/* "Invalid IPv4, with extreme length." (513) */
		{ "01fd010201020304", PS_ERR_MALFORMED, 0, 0, 0, NULL },
		/* "Valid IPv6." */
		{ "02100102030405060708090a0b0c0d0e0f10", PS_OK, 1, BTC_NET_IPV6, 1,
		  "102:304:506:708:90a:b0c:d0e:f10" },
		/* "Valid IPv6, contains embedded "internal"." (IsInternal: not
		 * valid, never gossiped) */
		{ "0210fd6b88c08724ca978112ca1bbdcafac2", PS_OK, 1, BTC_NET_IPV6, 0, NULL },
		/* "Invalid IPv6, with bogus length." */
		{ "020400", PS_ERR_MALFORMED, 0, 0, 0, NULL },
		/* "Invalid IPv6, contains embedded IPv4." */
		{ "021000000000000000000000ffff01020304", PS_OK, 1, BTC_NET_IPV6, 0, NULL },
		/* "Invalid IPv6, contains embedded TORv2." */
		{ "0210fd87d87eeb430102030405060708090a", PS_OK, 1, BTC_NET_IPV6, 0, NULL },
		/* "TORv2, no longer supported." */
		{ "030af1f2f3f4f5f6f7f8f9fa", PS_OK, 0, 0, 0, NULL },
		/* "Valid TORv3." */
		{ "042079bcc625184b05194975c28b66b66b0469f7f6556fb1ac3189a79b40dda32f1f", PS_OK, 1,
		  BTC_NET_TORV3, 1,
		  "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion" },
		/* "Invalid TORv3, with bogus length." */
		{ "040000", PS_ERR_MALFORMED, 0, 0, 0, NULL },
		/* "Valid I2P." */
		{ "0520a2894dabaec08c0051a481a6dac88b64f98232ae42d4b6fd2fa81952dfe36a87", PS_OK, 1,
		  BTC_NET_I2P, 1, "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p" },
		/* "Invalid I2P, with bogus length." */
		{ "050300", PS_ERR_MALFORMED, 0, 0, 0, NULL },
		/* "Valid CJDNS." */
		{ "0610fc000001000200030004000500060007", PS_OK, 1, BTC_NET_CJDNS, 1,
		  "fc00:1:2:3:4:5:6:7" },
		/* "Invalid CJDNS, wrong prefix." */
		{ "0610aa000001000200030004000500060007", PS_OK, 1, BTC_NET_CJDNS, 0, NULL },
		/* "Invalid CJDNS, with bogus length." */
		{ "060100", PS_ERR_MALFORMED, 0, 0, 0, NULL },
		/* "Unknown, with extreme length." (MAX_SIZE: "Address too long:
		 * 33554432 > 512") */
		{ "aafe0000000201020304050607", PS_ERR_MALFORMED, 0, 0, 0, NULL },
		/* "Unknown, with reasonable length." */
		{ "aa0401020304", PS_OK, 0, 0, 0, NULL },
		/* "Unknown, with zero length." */
		{ "aa00", PS_OK, 0, 0, 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct btc_addr a;
		struct btc_addr_info info;
		size_t n = 99;
		char text[BTC_ADDR_STRLEN];
		int r = one_v2(&a, &n, &info, v[i].hex);

		if (r != v[i].result)
			fail_msg("vector %zu (%s): %d, want %d", i, v[i].hex, r, v[i].result);
		if (r != PS_OK)
			continue;
		assert_int_equal(n, (size_t)v[i].kept);
		assert_int_equal(info.count, 1);
		assert_int_equal(info.skipped, 1 - v[i].kept);
		if (!v[i].kept)
			continue;
		assert_int_equal(a.net, v[i].net);
		assert_int_equal(a.port, 8333);
		assert_int_equal(btc_addr_valid(&a), v[i].valid);
		if (v[i].text) {
			btc_addr_format(text, &a);
			assert_string_equal(text, v[i].text);
		}
	}
}

/* Every BIP 155 network length refused when off by one, and an address of
 * exactly 512 bytes of an unknown id taken (and skipped). */
static void test_lengths(void **state)
{
	static const uint8_t nets[] = { 1, 2, 4, 5, 6 };
	static const size_t lens[] = { 4, 16, 32, 32, 16 };
	char hex[2200];
	struct btc_addr a;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(nets); i++) {
		for (int d = -1; d <= 1; d += 2) {
			size_t len = lens[i] + (size_t)d, k;
			k = (size_t)snprintf(hex, sizeof(hex), "%02x%02zx", nets[i], len);
			for (size_t j = 0; j < len; j++)
				k += (size_t)snprintf(hex + k, sizeof(hex) - k, "fc");
			assert_int_equal(one_v2(&a, &n, NULL, hex), PS_ERR_MALFORMED);
		}
	}
	/* 512 bytes (fd0002) of id 0x07: read and skipped; 513 fails */
	{
		size_t k = (size_t)snprintf(hex, sizeof(hex), "07fd0002");
		for (size_t j = 0; j < 512; j++)
			k += (size_t)snprintf(hex + k, sizeof(hex) - k, "ab");
		assert_int_equal(one_v2(&a, &n, NULL, hex), PS_OK);
		assert_int_equal(n, 0);
		k = (size_t)snprintf(hex, sizeof(hex), "07fd0102");
		for (size_t j = 0; j < 513; j++)
			k += (size_t)snprintf(hex + k, sizeof(hex) - k, "ab");
		assert_int_equal(one_v2(&a, &n, NULL, hex), PS_ERR_MALFORMED);
	}
	/* the address length's CompactSize must be canonical: fd0400 */
	assert_int_equal(one_v2(&a, &n, NULL, "01fd040001020304"), PS_ERR_MALFORMED);
}

/* services: CompactSize without the MAX_SIZE range check, canonical only. */
static void test_services_compactsize(void **state)
{
	uint8_t *p;
	size_t len, n;
	struct btc_addr a;

	(void)state;
	/* ff ffffffffffffffff: all 64 bits */
	p = tu_unhex("01"
		     "00000000"
		     "ffffffffffffffffff"
		     "010401020304"
		     "208d",
		     &len);
	assert_int_equal(btc_addr_decode(&a, 1, &n, NULL, BTC_ADDR_FMT_V2, p, len), PS_OK);
	assert_true(a.services == UINT64_MAX);
	free(p);
	/* fd0100: 1 in three bytes, non-canonical */
	p = tu_unhex("01"
		     "00000000"
		     "fd0100"
		     "010401020304"
		     "208d",
		     &len);
	assert_int_equal(btc_addr_decode(&a, 1, &n, NULL, BTC_ADDR_FMT_V2, p, len),
			 PS_ERR_MALFORMED);
	free(p);
}

/* An addr entry of IPv4-in-IPv6 is IPv4 (SetLegacyIPv6). */
static void test_v1_mapped(void **state)
{
	uint8_t *p;
	size_t len, n;
	struct btc_addr a;
	char text[BTC_ADDR_STRLEN];

	(void)state;
	p = tu_unhex("01"
		     "00000000"
		     "0900000000000000"
		     "00000000000000000000ffff7f000001"
		     "208d",
		     &len);
	assert_int_equal(btc_addr_decode(&a, 1, &n, NULL, BTC_ADDR_FMT_V1, p, len), PS_OK);
	assert_int_equal(a.net, BTC_NET_IPV4);
	assert_int_equal(a.len, 4);
	btc_addr_format(text, &a);
	assert_string_equal(text, "127.0.0.1");
	assert_true(a.services == 9);
	free(p);
}

/* count x entry bytes, built by hand: 1,000 entries pass, 1,001 are Core's
 * Misbehaving (TOO_LARGE), unless one is broken (MALFORMED first, as
 * Core's deserializer throws before the size check). */
static uint8_t *many(size_t count, size_t present, enum btc_addr_fmt fmt, size_t *len)
{
	/* v1: time 0, services 1, ::ffff:10.0.0.1, port 8333; v2: the same as
	 * IPv4 */
	static const char e1[] = "00000000"
				 "0100000000000000"
				 "00000000000000000000ffff0a000001"
				 "208d";
	static const char e2[] = "00000000"
				 "01"
				 "01"
				 "04"
				 "0a000001"
				 "208d";
	const char *e = fmt == BTC_ADDR_FMT_V1 ? e1 : e2;
	size_t elen = strlen(e), k = 0;
	char *hex = malloc(8 + present * elen + 1);
	uint8_t *p;

	assert_non_null(hex);
	if (count < 0xfd)
		k += (size_t)sprintf(hex, "%02zx", count);
	else
		k += (size_t)sprintf(hex, "fd%02zx%02zx", count & 0xff, count >> 8);
	for (size_t i = 0; i < present; i++) {
		memcpy(hex + k, e, elen);
		k += elen;
	}
	hex[k] = 0;
	p = tu_unhex(hex, len);
	free(hex);
	return p;
}

static void test_count_limits(void **state)
{
	static struct btc_addr a[BTC_MAX_ADDR_TO_SEND + 1];
	struct btc_addr_info info;
	size_t len, n;
	uint8_t *p;

	(void)state;
	for (int f = 0; f < 2; f++) {
		enum btc_addr_fmt fmt = f ? BTC_ADDR_FMT_V2 : BTC_ADDR_FMT_V1;

		p = many(1000, 1000, fmt, &len);
		assert_int_equal(btc_addr_decode(a, 1000, &n, &info, fmt, p, len), PS_OK);
		assert_int_equal(n, 1000);
		/* one slot short: NOBUF, nothing written */
		memset(a, 0xAA, sizeof(a));
		assert_int_equal(btc_addr_decode(a, 999, &n, &info, fmt, p, len), PS_ERR_NOBUF);
		assert_int_equal(a[0].net, 0xAA);
		free(p);

		p = many(1001, 1001, fmt, &len);
		assert_int_equal(btc_addr_each(NULL, fmt, p, len, NULL, NULL), PS_ERR_TOO_LARGE);
		assert_int_equal(btc_addr_decode(a, 1001, &n, &info, fmt, p, len),
				 PS_ERR_TOO_LARGE);
		free(p);

		/* 1,001 announced, 1,000 present: the data ends first */
		p = many(1001, 1000, fmt, &len);
		assert_int_equal(btc_addr_each(NULL, fmt, p, len, NULL, NULL), PS_ERR_MALFORMED);
		free(p);

		/* 3 announced, 4 present: the fourth is trailing, ignored */
		p = many(3, 4, fmt, &len);
		assert_int_equal(btc_addr_decode(a, 4, &n, &info, fmt, p, len), PS_OK);
		assert_int_equal(n, 3);
		assert_int_equal(info.trailing,
				 fmt == BTC_ADDR_FMT_V1 ? 30 : 4 + 1 + 1 + 1 + 4 + 2);
		free(p);
	}
	/* a count over MAX_SIZE (fe01000002 = 0x02000001) and one the payload
	 * cannot hold fail before any entry is read */
	p = tu_unhex("fe01000002", &len);
	assert_int_equal(btc_addr_each(NULL, BTC_ADDR_FMT_V2, p, len, NULL, NULL),
			 PS_ERR_MALFORMED);
	free(p);
	p = tu_unhex("fde803"
		     "00000000"
		     "00"
		     "aa00"
		     "0000",
		     &len);
	assert_int_equal(btc_addr_each(NULL, BTC_ADDR_FMT_V2, p, len, NULL, NULL),
			 PS_ERR_MALFORMED);
	free(p);
	/* an empty message: zero entries */
	p = tu_unhex("00", &len);
	assert_int_equal(btc_addr_decode(a, 0, &n, &info, BTC_ADDR_FMT_V1, p, len), PS_OK);
	assert_int_equal(n, 0);
	assert_int_equal(btc_addr_each(NULL, BTC_ADDR_FMT_V1, p, 0, NULL, NULL), PS_ERR_MALFORMED);
	free(p);
}

/* The encoders: V1 refuses what does not fit, every short buffer is NOBUF
 * with the cursor unchanged. */
static void test_encode(void **state)
{
	struct btc_addr a[2];
	uint8_t out[128];
	struct ps_wcur w;
	size_t full;
	uint8_t *want;
	size_t wlen;

	(void)state;
	memset(a, 0, sizeof(a));
	assert_int_equal(btc_addr_parse(&a[0], "1.2.3.4", 7), PS_OK);
	a[0].port = 8333;
	a[0].services = 0x409;
	a[0].time = 0x01020304;
	assert_int_equal(
		btc_addr_parse(&a[1],
			       "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
			       62),
		PS_OK);
	a[1].port = 9050;
	w = ps_wcur_make(out, sizeof(out));
	assert_int_equal(btc_addr_encode(&w, BTC_ADDR_FMT_V1, a, 2), PS_ERR_INVALID_ARG);
	assert_ptr_equal(w.p, out);
	assert_int_equal(btc_addr_encode(&w, BTC_ADDR_FMT_V2, a, 2), PS_OK);
	full = (size_t)(w.p - out);
	/* by hand from BIP 155: count 2; time 04030201, services fd0904,
	 * net 01, len 04, 01020304, port 208d; time 0, services 00, net 04,
	 * len 20, the key, port 235a */
	want = tu_unhex("02"
			"04030201"
			"fd0904"
			"01"
			"04"
			"01020304"
			"208d"
			"00000000"
			"00"
			"04"
			"20"
			"79bcc625184b05194975c28b66b66b0469f7f6556fb1ac3189a79b40dda32f1f"
			"235a",
			&wlen);
	assert_int_equal(full, wlen);
	assert_memory_equal(out, want, wlen);
	free(want);
	for (size_t cap = 0; cap < full; cap++) {
		w = ps_wcur_make(out, cap);
		assert_int_equal(btc_addr_encode(&w, BTC_ADDR_FMT_V2, a, 2), PS_ERR_NOBUF);
		assert_ptr_equal(w.p, out);
	}
	/* a length that does not match the network */
	a[0].len = 5;
	w = ps_wcur_make(out, sizeof(out));
	assert_int_equal(btc_addr_entry_encode(&w, BTC_ADDR_FMT_V2, &a[0]), PS_ERR_INVALID_ARG);
}

static void test_text(void **state)
{
	static const struct {
		const char *text;
		uint8_t net;
		const char *hex;
	} ok[] = {
		{ "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion", BTC_NET_TORV3,
		  "79bcc625184b05194975c28b66b66b0469f7f6556fb1ac3189a79b40dda32f1f" },
		{ "kpgvmscirrdqpekbqjsvw5teanhatztpp2gl6eee4zkowvwfxwenqaid.onion", BTC_NET_TORV3,
		  "53cd5648488c4707914182655b7664034e09e66f7e8cbf1084e654eb56c5bd88" },
		{ "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p", BTC_NET_I2P,
		  "a2894dabaec08c0051a481a6dac88b64f98232ae42d4b6fd2fa81952dfe36a87" },
		{ "fc00:1:2:3:4:5:6:7", BTC_NET_CJDNS, "fc000001000200030004000500060007" },
		{ "1.2.3.4", BTC_NET_IPV4, "01020304" },
		{ "::1", BTC_NET_IPV6, "00000000000000000000000000000001" },
	};
	static const char *const bad[] = {
		/* a flipped character: the checksum fails */
		"pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscrye.onion",
		/* TORv2 ("no longer supported") */
		"6hzph5hv6337r6p2.onion",
		/* 51 characters */
		"ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkd.b32.i2p",
		"1.2.3",
		"1.2.3.4.5",
		"example.com",
		"",
	};
	char text[BTC_ADDR_STRLEN];
	uint8_t *b;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct btc_addr a;
		memset(&a, 0, sizeof(a));
		assert_int_equal(btc_addr_parse(&a, ok[i].text, strlen(ok[i].text)), PS_OK);
		assert_int_equal(a.net, ok[i].net);
		b = tu_unhex(ok[i].hex, &n);
		assert_int_equal(a.len, n);
		assert_memory_equal(a.bytes, b, n);
		free(b);
		btc_addr_format(text, &a);
		assert_string_equal(text, ok[i].text);
	}
	/* upper case names are the same names */
	{
		struct btc_addr a;
		assert_int_equal(
			btc_addr_parse(
				&a, "UKEU3K5OYCGAAUNEQGTNVSELMT4YEMVOILKLN7JPVAMVFX7DNKDQ.B32.I2P",
				60),
			PS_OK);
		assert_int_equal(a.net, BTC_NET_I2P);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct btc_addr a, before;
		memset(&a, 0xAA, sizeof(a));
		before = a;
		assert_int_equal(btc_addr_parse(&a, bad[i], strlen(bad[i])), PS_ERR_MALFORMED);
		assert_memory_equal(&a, &before, sizeof(a));
	}
	assert_string_equal(btc_net_name(BTC_NET_TORV2), "torv2");
	assert_string_equal(btc_net_name(0xaa), "unknown");
}

static void test_sha3_fips202(void **state)
{
	uint8_t h[32], *want;
	size_t n;

	(void)state;
	cry_sha3_256(h, (const uint8_t *)"", 0);
	want = tu_unhex("a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a", &n);
	assert_memory_equal(h, want, 32);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_caddress_vectors),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_core_cnetaddr_v2_vectors),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_services_compactsize),
		cmocka_unit_test(test_v1_mapped),
		cmocka_unit_test(test_count_limits),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_sha3_fips202),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
