/*
 * test_noise_null_payload.c - fuzz/regressions/noise_msg2/null-payload-encrypt:
 * an empty payload given as (NULL, 0) reached the fuzz-only null AEAD of
 * crypto.c, which passed the NULL to memmove (undefined even for 0 bytes;
 * UBSan's nonnull-attribute check aborted noise_msg2). The null AEAD now
 * copies only a non-empty plaintext.
 *
 * The null AEAD exists only in the fuzz build, so the exact crash replays
 * there (ci/fuzz-smoke runs fuzz/regressions/); this test pins the contract
 * the fix relies on in every build: (NULL, 0) is a valid empty payload for
 * cry_aead_encrypt, noise_cs_encrypt_with_ad and noise_hs_write_message, in
 * each message of a three-message pattern (the regression's shape: the
 * initiator writes its third message with no payload).
 */
#include <string.h>

#include "crypto/crypto.h"
#include "noise/handshake.h"
#include "noise/pattern.h"
#include "testutil.h"

static void test_aead_null_empty(void **state)
{
	uint8_t key[32] = { 1 }, nonce[12] = { 0 }, out[16], back[1];

	(void)state;
	assert_int_equal(cry_init(), PS_OK);
	memset(out, 0x55, sizeof(out));
	assert_int_equal(cry_aead_encrypt(CRY_AEAD_CHACHAPOLY, out, key, nonce, NULL, 0, NULL, 0),
			 PS_OK);
	assert_int_equal(cry_aead_decrypt(CRY_AEAD_CHACHAPOLY, back, key, nonce, NULL, 0, out, 16),
			 PS_OK);
}

static void run_pattern(const char *name)
{
	static const uint8_t psk[1][32] = { { 7 } };
	struct noise_protocol proto;
	struct noise_hs hs[2];
	struct noise_hs_config c;
	uint8_t s[2][32] = { { 1 }, { 2 } }, msg[256], got[256];
	uint64_t seed[2] = { 11, 12 };
	size_t n, g;

	assert_int_equal(noise_protocol_parse(&proto, name, strlen(name)), PS_OK);
	for (int i = 0; i < 2; i++) {
		memset(&c, 0, sizeof(c));
		c.protocol = &proto;
		c.initiator = i == 0;
		c.psks = psk;
		c.n_psks = proto.pattern.n_psks;
		c.s = strstr(name, "_XX") ? s[i] : NULL;
		c.rng = tu_rng;
		c.rng_ctx = &seed[i];
		assert_int_equal(noise_hs_init(&hs[i], &c), PS_OK);
	}
	for (size_t m = 0; m < proto.pattern.n_msgs; m++) {
		int w = noise_pattern_initiator_sends(m) ? 0 : 1;
		assert_int_equal(noise_hs_write_message(&hs[w], msg, sizeof(msg), &n, NULL, 0),
				 PS_OK);
		assert_int_equal(noise_hs_read_message(&hs[!w], got, sizeof(got), &g, msg, n),
				 PS_OK);
		assert_int_equal(g, 0);
	}
	noise_hs_wipe(&hs[0]);
	noise_hs_wipe(&hs[1]);
}

static void test_handshake_null_payloads(void **state)
{
	(void)state;
	assert_int_equal(cry_init(), PS_OK);
	run_pattern("Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s");
	run_pattern("Noise_XX_25519_ChaChaPoly_BLAKE2s");
	run_pattern("Noise_XXpsk3_25519_ChaChaPoly_SHA256");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aead_null_empty),
		cmocka_unit_test(test_handshake_null_payloads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
