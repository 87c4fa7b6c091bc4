/*
 * hs_config.h - the handshake configuration tests/btc start from: regtest,
 * our version 70016, NETWORK|WITNESS, relay, a fixed clock, the peer at
 * 127.0.0.1:18444, a 60 s deadline, nonces from tu_rng(seed).
 */
#ifndef PS_TESTS_BTC_HS_CONFIG_H
#define PS_TESTS_BTC_HS_CONFIG_H

#include <string.h>

#include "btc/handshake.h"
#include "testutil.h"

static inline void hs_test_config(struct btc_hs_config *c, uint64_t *seed, const char *ua)
{
	static const uint8_t regtest[4] = { 0xfa, 0xbf, 0xb5, 0xda };

	memset(c, 0, sizeof(*c));
	memcpy(c->magic, regtest, 4);
	c->version = BTC_PROTOCOL_VERSION;
	c->services = BTC_NODE_NETWORK | BTC_NODE_WITNESS;
	c->user_agent = ua;
	c->relay = true;
	c->unix_time = 1700000000;
	c->peer.ip[10] = 0xff;
	c->peer.ip[11] = 0xff;
	c->peer.ip[12] = 127;
	c->peer.ip[15] = 1;
	c->peer.port = 18444;
	c->timeout_ns = UINT64_C(60000000000);
	c->rng = tu_rng;
	c->rng_ctx = seed;
}

#endif
