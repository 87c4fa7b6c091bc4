/*
 * test_pattern.c - pattern tables and protocol names: every base pattern
 * loads, psk modifiers land where section 9.4 puts them, names that are not
 * names are MALFORMED, names of things not built here are UNSUPPORTED, and a
 * failed parse writes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "crypto/crypto.h"
#include "noise/pattern.h"
#include "testutil.h"

static int parse(struct noise_protocol *p, const char *name)
{
	return noise_protocol_parse(p, name, strlen(name));
}

static void assert_msg(const struct noise_message_pattern *m, const uint8_t *want, size_t n)
{
	assert_int_equal(m->n, n);
	assert_memory_equal(m->tok, want, n);
}

enum {
	E = NOISE_TOK_E,
	S = NOISE_TOK_S,
	EE = NOISE_TOK_EE,
	ES = NOISE_TOK_ES,
	SE = NOISE_TOK_SE,
	SS = NOISE_TOK_SS,
	PSK = NOISE_TOK_PSK
};

static void test_every_base_pattern(void **state)
{
	(void)state;
	assert_int_equal(noise_pattern_count(), 3 + 12 + 23);
	for (size_t i = 0; i < noise_pattern_count(); i++) {
		struct noise_pattern p;
		const char *name = noise_pattern_name(i);

		assert_int_equal(noise_pattern_parse(&p, name, strlen(name)), PS_OK);
		assert_true(p.n_msgs >= 1 && p.n_msgs <= NOISE_MAX_MESSAGES);
		assert_int_equal(p.n_psks, 0);
		assert_int_equal(p.one_way, strlen(name) == 1);
		/* every message pattern starts from the table: no empty ones */
		for (size_t m = 0; m < p.n_msgs; m++)
			assert_true(p.msg[m].n >= 1);
		/* with psk0 and the last pskN both added, nothing overflows */
		{
			char mod[32];
			snprintf(mod, sizeof(mod), "%spsk0+psk%u", name, (unsigned)p.n_msgs);
			assert_int_equal(noise_pattern_parse(&p, mod, strlen(mod)), PS_OK);
		}
	}
	assert_null(noise_pattern_name(noise_pattern_count()));
}

static void test_nnpsk2(void **state)
{
	static const uint8_t m1[] = { E }, m2[] = { E, EE, PSK };
	struct noise_protocol p;
	(void)state;

	assert_int_equal(parse(&p, "Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s"), PS_OK);
	assert_int_equal(p.pattern.n_msgs, 2);
	assert_msg(&p.pattern.msg[0], m1, sizeof(m1));
	assert_msg(&p.pattern.msg[1], m2, sizeof(m2));
	assert_int_equal(p.pattern.n_psks, 1);
	assert_int_equal(p.pattern.n_pre_i + p.pattern.n_pre_r, 0);
	assert_int_equal(p.dh, NOISE_DH_25519);
	assert_int_equal(p.cipher, NOISE_CIPHER_CHACHAPOLY);
	assert_int_equal(p.hash, CRY_HASH_BLAKE2S);
	assert_string_equal(p.name, "Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s");
	/* 37 bytes > HASHLEN 32: h0 = BLAKE2s(name) */
	{
		uint8_t h[32];
		cry_hash(CRY_HASH_BLAKE2S, h, (const uint8_t *)p.name, p.name_len);
		assert_memory_equal(p.h0, h, 32);
	}
}

static void test_modifiers(void **state)
{
	static const uint8_t nn0_1[] = { PSK, E }, nn0_2[] = { E, EE };
	static const uint8_t x1[] = { E, ES, S, SS, PSK };
	static const uint8_t xx_1[] = { PSK, E }, xx_3[] = { S, SE, PSK };
	struct noise_protocol p;
	(void)state;

	assert_int_equal(parse(&p, "Noise_NNpsk0_25519_ChaChaPoly_SHA256"), PS_OK);
	assert_msg(&p.pattern.msg[0], nn0_1, sizeof(nn0_1));
	assert_msg(&p.pattern.msg[1], nn0_2, sizeof(nn0_2));

	assert_int_equal(parse(&p, "Noise_Xpsk1_25519_ChaChaPoly_SHA512"), PS_OK);
	assert_msg(&p.pattern.msg[0], x1, sizeof(x1));
	assert_true(p.pattern.one_way);
	assert_int_equal(p.hash, CRY_HASH_SHA512);

	assert_int_equal(parse(&p, "Noise_XXpsk0+psk3_25519_ChaChaPoly_BLAKE2b"), PS_OK);
	assert_msg(&p.pattern.msg[0], xx_1, sizeof(xx_1));
	assert_msg(&p.pattern.msg[2], xx_3, sizeof(xx_3));
	assert_int_equal(p.pattern.n_psks, 2);

	assert_int_equal(parse(&p, "Noise_XXpsk0+psk1+psk2+psk3_25519_ChaChaPoly_BLAKE2b"), PS_OK);
	assert_int_equal(p.pattern.n_psks, 4);

	assert_int_equal(parse(&p, "Noise_KK_25519_ChaChaPoly_BLAKE2s"), PS_OK);
	assert_int_equal(p.pattern.n_pre_i, 1);
	assert_int_equal(p.pattern.pre_i[0], S);
	assert_int_equal(p.pattern.pre_r[0], S);
	assert_int_equal(p.pattern.n_pre_r, 1);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"Noise_",
		"noise_NN_25519_ChaChaPoly_BLAKE2s",
		"Noise_NN_25519_ChaChaPoly",
		"Noise_NN_25519_ChaChaPoly_BLAKE2s_extra",
		"Noise__25519_ChaChaPoly_BLAKE2s",
		"Noise_NN__ChaChaPoly_BLAKE2s",
		"Noise_nn_25519_ChaChaPoly_BLAKE2s",
		"Noise_1N_25519_ChaChaPoly_BLAKE2s",
		"Noise_NN+psk0_25519_ChaChaPoly_BLAKE2s",
		"Noise_NNpsk2+psk0_25519_ChaChaPoly_BLAKE2s", /* not sorted */
		"Noise_NNpsk0+psk0_25519_ChaChaPoly_BLAKE2s", /* repeated */
		"Noise_NNpsk3_25519_ChaChaPoly_BLAKE2s",      /* NN has 2 messages */
		"Noise_NNpsk01_25519_ChaChaPoly_BLAKE2s",
		"Noise_NNpsk0+_25519_ChaChaPoly_BLAKE2s",
		"Noise_NNpsk0+Psk2_25519_ChaChaPoly_BLAKE2s",
		"Noise_NN_25519_Cha-ChaPoly_BLAKE2s",
		"Noise_NN_25519_ChaChaPoly_BLAKE 2s",
	};
	struct noise_protocol p;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&p, 0x5a, sizeof(p));
		if (parse(&p, bad[i]) != PS_ERR_MALFORMED)
			fail_msg("'%s' is not MALFORMED", bad[i]);
		assert_int_equal(((uint8_t *)&p)[0], 0x5a); /* nothing written */
	}
}

static void test_unsupported(void **state)
{
	static const char *const unsupported[] = {
		"Noise_NN_448_ChaChaPoly_BLAKE2s",
		"Noise_NN_P256_ChaChaPoly_BLAKE2s",
		"Noise_NNhfs_25519+448_ChaChaPoly_BLAKE2s",
		"Noise_NN_25519+448_ChaChaPoly_BLAKE2s",
		"Noise_XXfallback_25519_ChaChaPoly_BLAKE2s",
		"Noise_XXfallback+psk0_25519_ChaChaPoly_BLAKE2s",
		"Noise_ZZ_25519_ChaChaPoly_BLAKE2s",
		"Noise_NNpskx_25519_ChaChaPoly_BLAKE2s",
		"Noise_NN_25519_XChaChaPoly_BLAKE2s",
		"Noise_NN_25519_ChaChaPoly_SHA3/256",
		"Noise_NN_25519_ChaChaPoly_blake2s",
	};
	struct noise_protocol p;
	(void)state;

	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (parse(&p, unsupported[i]) != PS_ERR_UNSUPPORTED)
			fail_msg("'%s' is not UNSUPPORTED", unsupported[i]);
	assert_int_equal(parse(&p, "Noise_NN_25519_AESGCM_SHA256"),
			 cry_aead_available(CRY_AEAD_AESGCM) ? PS_OK : PS_ERR_UNSUPPORTED);
}

/* Section 8: at most 255 bytes. */
static void test_name_length(void **state)
{
	char name[300];
	struct noise_protocol p;
	(void)state;

	memset(name, 0, sizeof(name));
	strcpy(name, "Noise_NN_25519_ChaChaPoly_BLAKE2s");
	assert_int_equal(parse(&p, name), PS_OK);
	memset(name + strlen(name), 'x', 256 - strlen(name));
	assert_int_equal(strlen(name), 256);
	assert_int_equal(parse(&p, name), PS_ERR_TOO_LARGE);
	/* a 255-byte name is allowed by length (and hashed for h0) */
	name[255] = 0;
	assert_int_equal(parse(&p, name), PS_ERR_UNSUPPORTED); /* hash "BLAKE2sxxx..." */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_base_pattern), cmocka_unit_test(test_nnpsk2),
		cmocka_unit_test(test_modifiers),	   cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_unsupported),	   cmocka_unit_test(test_name_length),
	};

	if (cry_init() != PS_OK)
		return 1;
	return cmocka_run_group_tests_name("noise pattern", tests, NULL, NULL);
}
