/*
 * test_symmetric.c - the SymmetricState against the formulas of sections
 * 4.3 and 5.2, computed here from cry_hash / cry_hmac step by step, for the
 * four hashes; HKDF against RFC 5869 test case 3 (published values); a failed
 * DecryptAndHash changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "crypto/crypto.h"
#include "noise/symmetric.h"
#include "testutil.h"

static const enum cry_hash_id hashes[] = { CRY_HASH_BLAKE2S, CRY_HASH_BLAKE2B, CRY_HASH_SHA256,
					   CRY_HASH_SHA512 };
#define N_HASHES (sizeof(hashes) / sizeof(hashes[0]))

/* HKDF of section 4.3, written out with HMAC-HASH. */
static void ref_hkdf(enum cry_hash_id id, uint8_t *o1, uint8_t *o2, uint8_t *o3, const uint8_t *ck,
		     const uint8_t *ikm, size_t ikmlen)
{
	size_t h = cry_hash_len(id);
	uint8_t temp[64], in[65];

	cry_hmac(id, temp, ck, h, ikm, ikmlen, NULL, 0);
	in[0] = 1;
	cry_hmac(id, o1, temp, h, in, 1, NULL, 0);
	memcpy(in, o1, h);
	in[h] = 2;
	cry_hmac(id, o2, temp, h, in, h + 1, NULL, 0);
	memcpy(in, o2, h);
	in[h] = 3;
	cry_hmac(id, o3, temp, h, in, h + 1, NULL, 0);
}

static void ref_mix_hash(enum cry_hash_id id, uint8_t *h, const uint8_t *data, size_t len)
{
	uint8_t buf[256];
	size_t hl = cry_hash_len(id);

	memcpy(buf, h, hl);
	memcpy(buf + hl, data, len);
	cry_hash(id, h, buf, hl + len);
}

/* The cipher key inside ss encrypts like a CipherState keyed with want. */
static void assert_key(const struct noise_ss *ss, const uint8_t *want)
{
	assert_true(noise_cs_has_key(&ss->cs));
	assert_memory_equal(ss->cs.k, want, 32);
	assert_true(ss->cs.n == 0);
}

/* InitializeSymmetric: a name up to HASHLEN is zero-padded, a longer one
 * hashed; ck = h; no key. */
static void test_initialize(void **state)
{
	static const char short_name[] = "Noise_NN_25519_AESGCM_SHA256"; /* 28 bytes */
	static const char long_name[] = "Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s";
	(void)state;

	for (size_t i = 0; i < N_HASHES; i++) {
		struct noise_ss ss;
		uint8_t want[64] = { 0 };
		size_t hl = cry_hash_len(hashes[i]), len;

		noise_ss_init(&ss, hashes[i], NOISE_CIPHER_CHACHAPOLY, (const uint8_t *)short_name,
			      strlen(short_name));
		memcpy(want, short_name, strlen(short_name));
		assert_memory_equal(noise_ss_handshake_hash(&ss, &len), want, hl);
		assert_int_equal(len, hl);
		assert_memory_equal(ss.ck, want, hl);
		assert_false(noise_cs_has_key(&ss.cs));

		noise_ss_init(&ss, hashes[i], NOISE_CIPHER_CHACHAPOLY, (const uint8_t *)long_name,
			      strlen(long_name));
		if (strlen(long_name) > hl)
			cry_hash(hashes[i], want, (const uint8_t *)long_name, strlen(long_name));
		else {
			memset(want, 0, sizeof(want));
			memcpy(want, long_name, strlen(long_name));
		}
		assert_memory_equal(ss.h, want, hl);
		assert_memory_equal(ss.ck, want, hl);
	}
}

/* MixHash, MixKey, MixKeyAndHash, EncryptAndHash, Split, step by step. */
static void test_operations(void **state)
{
	(void)state;

	for (size_t i = 0; i < N_HASHES; i++) {
		enum cry_hash_id id = hashes[i];
		size_t hl = cry_hash_len(id), len;
		struct noise_ss ss;
		struct noise_cs c1, c2;
		uint8_t h[64], ck[64], o1[64], o2[64], o3[64], ikm[32], ct[64], pt[16] = "payload";

		for (size_t j = 0; j < sizeof(ikm); j++)
			ikm[j] = (uint8_t)(j * 3 + 1);
		noise_ss_init(&ss, id, NOISE_CIPHER_CHACHAPOLY, (const uint8_t *)"Noise_test", 10);
		memcpy(h, ss.h, hl);
		memcpy(ck, ss.ck, hl);

		noise_ss_mix_hash(&ss, (const uint8_t *)"prologue", 8);
		ref_mix_hash(id, h, (const uint8_t *)"prologue", 8);
		assert_memory_equal(ss.h, h, hl);

		/* ck, temp_k = HKDF(ck, ikm, 2); k = temp_k[0..32] */
		noise_ss_mix_key(&ss, ikm, sizeof(ikm));
		ref_hkdf(id, o1, o2, o3, ck, ikm, sizeof(ikm));
		memcpy(ck, o1, hl);
		assert_memory_equal(ss.ck, ck, hl);
		assert_key(&ss, o2);
		assert_memory_equal(ss.h, h, hl); /* h untouched */

		/* EncryptAndHash: ct = ENCRYPT(k, 0, h, pt); h = HASH(h || ct) */
		assert_int_equal(
			noise_ss_encrypt_and_hash(&ss, ct, sizeof(ct), &len, pt, sizeof(pt)),
			PS_OK);
		assert_int_equal(len, sizeof(pt) + 16);
		{
			uint8_t nonce[12] = { 0 }, want[64];
			assert_int_equal(cry_aead_encrypt(CRY_AEAD_CHACHAPOLY, want, o2, nonce, h,
							  hl, pt, sizeof(pt)),
					 PS_OK);
			assert_memory_equal(ct, want, len);
		}
		ref_mix_hash(id, h, ct, len);
		assert_memory_equal(ss.h, h, hl);

		/* ck, temp_h, temp_k = HKDF(ck, psk, 3); MixHash(temp_h); k = temp_k */
		noise_ss_mix_key_and_hash(&ss, ikm, sizeof(ikm));
		ref_hkdf(id, o1, o2, o3, ck, ikm, sizeof(ikm));
		memcpy(ck, o1, hl);
		ref_mix_hash(id, h, o2, hl);
		assert_memory_equal(ss.ck, ck, hl);
		assert_memory_equal(ss.h, h, hl);
		assert_key(&ss, o3);

		/* Split: k1, k2 = HKDF(ck, zerolen, 2), truncated to 32 */
		noise_ss_split(&ss, &c1, &c2);
		ref_hkdf(id, o1, o2, o3, ck, NULL, 0);
		assert_memory_equal(c1.k, o1, 32);
		assert_memory_equal(c2.k, o2, 32);
		assert_true(c1.has_key && c2.has_key && c1.n == 0 && c2.n == 0);
		assert_memory_equal(ss.h, h, hl); /* the handshake hash stays */
	}
}

/* Noise's HKDF is RFC 5869's with salt = ck and empty info. RFC 5869 test
 * case 3 (SHA-256, salt empty = HASHLEN zero bytes, info empty,
 * IKM = 22 x 0x0b): OKM = output1 || output2[0..10]. */
static void test_hkdf_rfc5869(void **state)
{
	static const char okm_hex[] =
		"8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
		"9d201395faa4b61a96c8";
	struct noise_ss ss;
	uint8_t ikm[22];
	size_t okmlen;
	uint8_t *okm = tu_unhex(okm_hex, &okmlen);
	(void)state;

	memset(ikm, 0x0b, sizeof(ikm));
	noise_ss_init(&ss, CRY_HASH_SHA256, NOISE_CIPHER_CHACHAPOLY, (const uint8_t *)"x", 1);
	memset(ss.ck, 0, sizeof(ss.ck));
	noise_ss_mix_key(&ss, ikm, sizeof(ikm));
	assert_memory_equal(ss.ck, okm, 32);
	assert_memory_equal(ss.cs.k, okm + 32, 10);
	free(okm);
}

/* DecryptAndHash of a tampered or truncated ciphertext fails and leaves the
 * SymmetricState as it was; the good one then decrypts. */
static void test_decrypt_and_hash_failure(void **state)
{
	struct noise_ss a, b, before;
	uint8_t ct[64], pt[64], key_material[32] = { 9 };
	size_t ctlen, ptlen;
	(void)state;

	noise_ss_init(&a, CRY_HASH_BLAKE2S, NOISE_CIPHER_CHACHAPOLY, (const uint8_t *)"n", 1);
	noise_ss_mix_key(&a, key_material, sizeof(key_material));
	b = a;
	assert_int_equal(
		noise_ss_encrypt_and_hash(&a, ct, sizeof(ct), &ctlen, (const uint8_t *)"hello", 5),
		PS_OK);
	before = b;
	for (size_t i = 0; i < ctlen; i++) {
		ct[i] ^= 0x40;
		assert_int_equal(noise_ss_decrypt_and_hash(&b, pt, sizeof(pt), &ptlen, ct, ctlen),
				 PS_ERR_DECRYPT);
		assert_memory_equal(&b, &before, sizeof(b));
		ct[i] ^= 0x40;
	}
	for (size_t n = 0; n < ctlen; n++) {
		assert_int_not_equal(noise_ss_decrypt_and_hash(&b, pt, sizeof(pt), &ptlen, ct, n),
				     PS_OK);
		assert_memory_equal(&b, &before, sizeof(b));
	}
	assert_int_equal(noise_ss_decrypt_and_hash(&b, pt, sizeof(pt), &ptlen, ct, ctlen), PS_OK);
	assert_int_equal(ptlen, 5);
	assert_memory_equal(pt, "hello", 5);
	assert_memory_equal(a.h, b.h, 32);
}

/* Without a key, EncryptAndHash copies and still hashes. */
static void test_no_key(void **state)
{
	struct noise_ss ss;
	uint8_t h[32], out[8];
	size_t len;
	(void)state;

	noise_ss_init(&ss, CRY_HASH_SHA256, NOISE_CIPHER_CHACHAPOLY, (const uint8_t *)"n", 1);
	memcpy(h, ss.h, 32);
	assert_int_equal(
		noise_ss_encrypt_and_hash(&ss, out, sizeof(out), &len, (const uint8_t *)"abc", 3),
		PS_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(out, "abc", 3);
	ref_mix_hash(CRY_HASH_SHA256, h, (const uint8_t *)"abc", 3);
	assert_memory_equal(ss.h, h, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initialize),
		cmocka_unit_test(test_operations),
		cmocka_unit_test(test_hkdf_rfc5869),
		cmocka_unit_test(test_decrypt_and_hash_failure),
		cmocka_unit_test(test_no_key),
	};

	if (cry_init() != PS_OK)
		return 1;
	if (cry_fuzzing_build()) {
		printf("skipped: fuzzing build has a null AEAD\n");
		return TU_SKIP;
	}
	return cmocka_run_group_tests_name("noise symmetric", tests, NULL, NULL);
}
