/*
 * test_params.c - ref/btc/params: networks and Bitcoin Core's constants.
 *
 * Values from Bitcoin Core v31.1 (src/kernel/chainparams.cpp pchMessageStart
 * and nDefaultPort, src/node/protocol_version.h, src/net.h, src/protocol.h).
 */
#include <string.h>

#include "btc/params.h"
#include "testutil.h"

struct want {
	const char *name;
	const char *magic;
	uint16_t port;
};

static const struct want wants[] = {
	{ "mainnet", "\xf9\xbe\xb4\xd9", 8333 },   { "testnet3", "\x0b\x11\x09\x07", 18333 },
	{ "testnet4", "\x1c\x16\x3f\x28", 48333 }, { "signet", "\x0a\x03\xcf\x40", 38333 },
	{ "regtest", "\xfa\xbf\xb5\xda", 18444 },
};

static void test_networks(void **state)
{
	(void)state;
	assert_int_equal(btc_network_count, sizeof(wants) / sizeof(wants[0]));
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		const struct btc_network *n = btc_network_find(wants[i].name);
		assert_non_null(n);
		assert_string_equal(n->name, wants[i].name);
		assert_memory_equal(n->magic, wants[i].magic, 4);
		assert_int_equal(n->port, wants[i].port);
		/* find returns the table's own entry */
		assert_true(n >= btc_networks && n < btc_networks + btc_network_count);
	}
}

static void test_networks_distinct(void **state)
{
	(void)state;
	for (size_t i = 0; i < btc_network_count; i++)
		for (size_t j = i + 1; j < btc_network_count; j++) {
			assert_string_not_equal(btc_networks[i].name, btc_networks[j].name);
			assert_memory_not_equal(btc_networks[i].magic, btc_networks[j].magic, 4);
			assert_int_not_equal(btc_networks[i].port, btc_networks[j].port);
		}
}

static void test_aliases_and_unknown(void **state)
{
	(void)state;
	assert_ptr_equal(btc_network_find("main"), btc_network_find("mainnet"));
	assert_ptr_equal(btc_network_find("test"), btc_network_find("testnet3"));
	assert_ptr_equal(btc_network_find("testnet"), btc_network_find("testnet3"));
	assert_null(btc_network_find(""));
	assert_null(btc_network_find("Mainnet"));
	assert_null(btc_network_find("mainnet "));
	assert_null(btc_network_find("bitcoin"));
	assert_null(btc_network_find("testnet5"));
	assert_null(btc_network_find("reg"));
}

static void test_constants(void **state)
{
	(void)state;
	assert_int_equal(BTC_PROTOCOL_VERSION, 70016);
	assert_int_equal(BTC_MIN_PEER_VERSION, 31800);
	assert_int_equal(BTC_WTXID_RELAY_VERSION, 70016);
	assert_int_equal(BTC_MAX_PAYLOAD, 4000000u);
	assert_int_equal(BTC_MAX_SUBVERSION, 256u);
	assert_true(BTC_NODE_NETWORK == 1);
	assert_true(BTC_NODE_BLOOM == 4);
	assert_true(BTC_NODE_WITNESS == 8);
	assert_true(BTC_NODE_COMPACT_FILTERS == 64);
	assert_true(BTC_NODE_NETWORK_LIMITED == 1024);
	assert_true(BTC_NODE_P2P_V2 == 2048);
	/* Core v31.1 announces 0xc09 on regtest: NETWORK | WITNESS |
	 * NETWORK_LIMITED | P2P_V2 (src/protocol.h ServiceFlags) */
	assert_true((BTC_NODE_NETWORK | BTC_NODE_WITNESS | BTC_NODE_NETWORK_LIMITED |
		     BTC_NODE_P2P_V2) == 0xc09);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_networks),
		cmocka_unit_test(test_networks_distinct),
		cmocka_unit_test(test_aliases_and_unknown),
		cmocka_unit_test(test_constants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
