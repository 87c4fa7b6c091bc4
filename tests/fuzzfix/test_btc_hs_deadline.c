/*
 * test_btc_hs_deadline.c - fuzz/regressions/btc_hs_{initiator,responder}/
 * deadline-wrap: btc_hs_init computed now_ns + timeout_ns without checking
 * for overflow, so a timeout near 2^64 wrapped to a deadline already in the
 * past and the first input timed the handshake out. The deadline now
 * saturates at UINT64_MAX (none), as noise_peer_init's does.
 */
#include <string.h>

#include "btc/handshake.h"
#include "testutil.h"

static const uint8_t REGTEST[4] = { 0xfa, 0xbf, 0xb5, 0xda };

static void config(struct btc_hs_config *c, uint64_t *seed, uint64_t timeout_ns)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->magic, REGTEST, 4);
	c->version = BTC_PROTOCOL_VERSION;
	c->user_agent = "/test/";
	c->timeout_ns = timeout_ns;
	c->rng = tu_rng;
	c->rng_ctx = seed;
}

/* The fuzzer's input: start at 1 s, timeout 0xffffffffffffff00 ns. */
static void test_huge_timeout_no_wrap(void **state)
{
	static struct btc_hs hs;
	struct btc_hs_config c;
	uint64_t seed = 1, now = UINT64_C(1000000000);

	(void)state;
	for (int role = BTC_INITIATOR; role <= BTC_RESPONDER; role++) {
		config(&c, &seed, UINT64_C(0xffffffffffffff00));
		assert_int_equal(btc_hs_init(&hs, (enum btc_role)role, &c, now), PS_OK);
		assert_true(btc_hs_expiry(&hs) > now);
		/* time has not passed: nothing times out */
		assert_int_equal(btc_hs_input(&hs, now, NULL, 0), PS_OK);
		btc_hs_handle_expiry(&hs, now + 1);
		assert_int_equal(btc_hs_outcome(&hs), BTC_PENDING);
	}
}

/* Every start time and every timeout: the deadline is never before now. */
static void test_deadline_never_behind(void **state)
{
	static const uint64_t nows[] = { 0, 1, UINT64_C(1) << 63, UINT64_MAX - 1, UINT64_MAX };
	static const uint64_t timeouts[] = { 1, UINT64_C(5000000000), UINT64_C(1) << 63,
					     UINT64_MAX - 1, UINT64_MAX };
	static struct btc_hs hs;
	struct btc_hs_config c;
	uint64_t seed = 2;

	(void)state;
	for (size_t i = 0; i < sizeof(nows) / sizeof(nows[0]); i++) {
		for (size_t j = 0; j < sizeof(timeouts) / sizeof(timeouts[0]); j++) {
			config(&c, &seed, timeouts[j]);
			assert_int_equal(btc_hs_init(&hs, BTC_RESPONDER, &c, nows[i]), PS_OK);
			assert_true(btc_hs_expiry(&hs) > nows[i] ||
				    btc_hs_expiry(&hs) == UINT64_MAX);
			if (nows[i] < UINT64_MAX - timeouts[j])
				assert_int_equal(btc_hs_expiry(&hs), nows[i] + timeouts[j]);
		}
	}
}

/* An ordinary timeout still fires. */
static void test_normal_timeout_fires(void **state)
{
	static struct btc_hs hs;
	struct btc_hs_config c;
	uint64_t seed = 3, now = UINT64_C(1000000000);

	(void)state;
	config(&c, &seed, UINT64_C(5000000000));
	assert_int_equal(btc_hs_init(&hs, BTC_RESPONDER, &c, now), PS_OK);
	assert_int_equal(btc_hs_expiry(&hs), now + UINT64_C(5000000000));
	btc_hs_handle_expiry(&hs, now + UINT64_C(5000000000));
	assert_int_equal(btc_hs_outcome(&hs), BTC_FAILED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_huge_timeout_no_wrap),
		cmocka_unit_test(test_deadline_never_behind),
		cmocka_unit_test(test_normal_timeout_fires),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
