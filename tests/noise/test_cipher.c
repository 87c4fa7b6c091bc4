/*
 * test_cipher.c - the CipherState: nonce formats, empty key, tamper and
 * truncation (a failed decrypt changes nothing), nonce exhaustion at 2^64-1,
 * Rekey, size limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "crypto/crypto.h"
#include "noise/cipher.h"
#include "testutil.h"

static const uint8_t key[32] = { 1,  2,	 3,  4,	 5,  6,	 7,  8,	 9,  10, 11, 12, 13, 14, 15, 16,
				 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const uint8_t ad[5] = "hdata";
static const uint8_t msg[21] = "a transport payload!";

static void keyed(struct noise_cs *cs, enum noise_cipher c)
{
	noise_cs_init(cs, c);
	noise_cs_initialize_key(cs, key);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* ENCRYPT(k, n, ad, pt) through the CipherState equals the AEAD with the
 * nonce the spec describes: 32 zero bits, then n (LE for ChaChaPoly, BE for
 * AESGCM). */
static void check_nonce_format(enum noise_cipher c)
{
	static const uint64_t ns[] = { 0, 1, 0x0102030405060708u, UINT64_MAX - 1 };
	uint8_t got[64], want[64], nonce[12];
	size_t len;
	struct noise_cs cs;

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		keyed(&cs, c);
		noise_cs_set_nonce(&cs, ns[i]);
		assert_int_equal(noise_cs_encrypt_with_ad(&cs, got, sizeof(got), &len, ad,
							  sizeof(ad), msg, sizeof(msg)),
				 PS_OK);
		assert_int_equal(len, sizeof(msg) + 16);
		assert_true(cs.n == ns[i] + 1);
		memset(nonce, 0, sizeof(nonce));
		for (int b = 0; b < 8; b++) {
			uint8_t byte = (uint8_t)(ns[i] >> (8 * b));
			if (c == NOISE_CIPHER_AESGCM)
				nonce[11 - b] = byte;
			else
				nonce[4 + b] = byte;
		}
		assert_int_equal(cry_aead_encrypt(noise_cs_aead(c), want, key, nonce, ad,
						  sizeof(ad), msg, sizeof(msg)),
				 PS_OK);
		assert_memory_equal(got, want, len);
	}
}

static void test_nonce_chachapoly(void **state)
{
	(void)state;
	check_nonce_format(NOISE_CIPHER_CHACHAPOLY);
}

static void test_nonce_aesgcm(void **state)
{
	(void)state;
	if (!cry_aead_available(CRY_AEAD_AESGCM)) {
		printf("skipped: AESGCM not available on this CPU\n");
		skip();
	}
	check_nonce_format(NOISE_CIPHER_AESGCM);
}

/* "If k is empty ... returns plaintext": no tag, no nonce use. */
static void test_empty_key(void **state)
{
	struct noise_cs cs;
	uint8_t out[64];
	size_t len;
	(void)state;

	noise_cs_init(&cs, NOISE_CIPHER_CHACHAPOLY);
	assert_false(noise_cs_has_key(&cs));
	assert_int_equal(noise_cs_encrypt_with_ad(&cs, out, sizeof(out), &len, ad, sizeof(ad), msg,
						  sizeof(msg)),
			 PS_OK);
	assert_int_equal(len, sizeof(msg));
	assert_memory_equal(out, msg, len);
	assert_true(cs.n == 0);
	assert_int_equal(noise_cs_decrypt_with_ad(&cs, out, sizeof(out), &len, ad, sizeof(ad), msg,
						  sizeof(msg)),
			 PS_OK);
	assert_memory_equal(out, msg, len);
	assert_true(cs.n == 0);
	assert_int_equal(noise_cs_rekey(&cs), PS_ERR_INVALID_STATE);
}

static void roundtrip(enum noise_cipher c)
{
	struct noise_cs a, b;
	uint8_t ct[64], pt[64];
	size_t ctlen, ptlen;

	keyed(&a, c);
	keyed(&b, c);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(noise_cs_encrypt_with_ad(&a, ct, sizeof(ct), &ctlen, ad,
							  sizeof(ad), msg, sizeof(msg)),
				 PS_OK);
		assert_int_equal(noise_cs_decrypt_with_ad(&b, pt, sizeof(pt), &ptlen, ad,
							  sizeof(ad), ct, ctlen),
				 PS_OK);
		assert_int_equal(ptlen, sizeof(msg));
		assert_memory_equal(pt, msg, ptlen);
	}
	assert_true(a.n == 3 && b.n == 3);
}

static void test_roundtrip(void **state)
{
	(void)state;
	roundtrip(NOISE_CIPHER_CHACHAPOLY);
	if (cry_aead_available(CRY_AEAD_AESGCM))
		roundtrip(NOISE_CIPHER_AESGCM);
}

/* In place: out == in on both sides. */
static void test_in_place(void **state)
{
	struct noise_cs a, b;
	uint8_t buf[64];
	size_t len;
	(void)state;

	keyed(&a, NOISE_CIPHER_CHACHAPOLY);
	keyed(&b, NOISE_CIPHER_CHACHAPOLY);
	memcpy(buf, msg, sizeof(msg));
	assert_int_equal(
		noise_cs_encrypt_with_ad(&a, buf, sizeof(buf), &len, NULL, 0, buf, sizeof(msg)),
		PS_OK);
	assert_int_equal(noise_cs_decrypt_with_ad(&b, buf, sizeof(buf), &len, NULL, 0, buf, len),
			 PS_OK);
	assert_int_equal(len, sizeof(msg));
	assert_memory_equal(buf, msg, len);
}

/* Monocypher style: every byte of the ciphertext (and of the ad) changed in
 * turn must fail, leave n where it was and release no plaintext; the
 * untouched message then still decrypts. */
static void test_tamper_every_byte(void **state)
{
	struct noise_cs a, b, before;
	uint8_t ct[64], pt[64], ad2[sizeof(ad)];
	size_t ctlen, ptlen;
	(void)state;

	keyed(&a, NOISE_CIPHER_CHACHAPOLY);
	keyed(&b, NOISE_CIPHER_CHACHAPOLY);
	noise_cs_set_nonce(&a, 7);
	noise_cs_set_nonce(&b, 7);
	assert_int_equal(noise_cs_encrypt_with_ad(&a, ct, sizeof(ct), &ctlen, ad, sizeof(ad), msg,
						  sizeof(msg)),
			 PS_OK);
	before = b;
	for (size_t i = 0; i < ctlen; i++) {
		ct[i]++;
		memset(pt, 0xa5, sizeof(pt));
		assert_int_equal(noise_cs_decrypt_with_ad(&b, pt, sizeof(pt), &ptlen, ad,
							  sizeof(ad), ct, ctlen),
				 PS_ERR_DECRYPT);
		assert_true(all_zero(pt, ctlen - 16));
		assert_memory_equal(&b, &before, sizeof(b));
		ct[i]--;
	}
	memcpy(ad2, ad, sizeof(ad));
	for (size_t i = 0; i < sizeof(ad2); i++) {
		ad2[i]++;
		assert_int_equal(noise_cs_decrypt_with_ad(&b, pt, sizeof(pt), &ptlen, ad2,
							  sizeof(ad2), ct, ctlen),
				 PS_ERR_DECRYPT);
		ad2[i]--;
	}
	/* a wrong nonce fails too */
	noise_cs_set_nonce(&b, 8);
	assert_int_equal(
		noise_cs_decrypt_with_ad(&b, pt, sizeof(pt), &ptlen, ad, sizeof(ad), ct, ctlen),
		PS_ERR_DECRYPT);
	noise_cs_set_nonce(&b, 7);
	assert_int_equal(
		noise_cs_decrypt_with_ad(&b, pt, sizeof(pt), &ptlen, ad, sizeof(ad), ct, ctlen),
		PS_OK);
	assert_memory_equal(pt, msg, sizeof(msg));
	assert_true(b.n == 8);
}

/* Every truncation fails (BAD_SIZE below the tag, DECRYPT above) and
 * changes nothing. */
static void test_truncations(void **state)
{
	struct noise_cs a, b, before;
	uint8_t ct[64], pt[64];
	size_t ctlen, ptlen;
	(void)state;

	keyed(&a, NOISE_CIPHER_CHACHAPOLY);
	keyed(&b, NOISE_CIPHER_CHACHAPOLY);
	assert_int_equal(
		noise_cs_encrypt_with_ad(&a, ct, sizeof(ct), &ctlen, NULL, 0, msg, sizeof(msg)),
		PS_OK);
	before = b;
	for (size_t n = 0; n < ctlen; n++) {
		int r = noise_cs_decrypt_with_ad(&b, pt, sizeof(pt), &ptlen, NULL, 0, ct, n);
		assert_int_equal(r, n < 16 ? PS_ERR_BAD_SIZE : PS_ERR_DECRYPT);
		assert_memory_equal(&b, &before, sizeof(b));
	}
}

/* "The maximum n value (2^64-1) is reserved": refused on both sides;
 * 2^64-2 is the last usable nonce. */
static void test_nonce_exhaustion(void **state)
{
	struct noise_cs a, b;
	uint8_t ct[64], pt[64];
	size_t ctlen, ptlen;
	(void)state;

	keyed(&a, NOISE_CIPHER_CHACHAPOLY);
	keyed(&b, NOISE_CIPHER_CHACHAPOLY);
	noise_cs_set_nonce(&a, UINT64_MAX - 1);
	noise_cs_set_nonce(&b, UINT64_MAX - 1);
	assert_int_equal(
		noise_cs_encrypt_with_ad(&a, ct, sizeof(ct), &ctlen, NULL, 0, msg, sizeof(msg)),
		PS_OK);
	assert_int_equal(noise_cs_decrypt_with_ad(&b, pt, sizeof(pt), &ptlen, NULL, 0, ct, ctlen),
			 PS_OK);
	assert_true(a.n == UINT64_MAX && b.n == UINT64_MAX);
	memset(ct, 0x5a, sizeof(ct));
	assert_int_equal(
		noise_cs_encrypt_with_ad(&a, ct, sizeof(ct), &ctlen, NULL, 0, msg, sizeof(msg)),
		PS_ERR_NONCE_EXHAUSTED);
	assert_int_equal(ct[0], 0x5a); /* nothing written */
	assert_int_equal(noise_cs_decrypt_with_ad(&b, pt, sizeof(pt), &ptlen, NULL, 0, ct, ctlen),
			 PS_ERR_NONCE_EXHAUSTED);
	assert_true(a.n == UINT64_MAX && b.n == UINT64_MAX);
	/* Rekey does not reset n (section 11.3) */
	assert_int_equal(noise_cs_rekey(&a), PS_OK);
	assert_true(a.n == UINT64_MAX);
	assert_int_equal(
		noise_cs_encrypt_with_ad(&a, ct, sizeof(ct), &ctlen, NULL, 0, msg, sizeof(msg)),
		PS_ERR_NONCE_EXHAUSTED);
}

/* REKEY(k) = first 32 bytes of ENCRYPT(k, 2^64-1, zerolen, zeros); after it
 * both sides talk again, the old key no longer decrypts, n is kept. */
static void rekey(enum noise_cipher c)
{
	struct noise_cs a, b, old;
	uint8_t nonce[12], zeros[32] = { 0 }, want[48], ct[64], pt[64];
	size_t ctlen, ptlen;

	keyed(&a, c);
	keyed(&b, c);
	noise_cs_set_nonce(&a, 5);
	noise_cs_set_nonce(&b, 5);
	memset(nonce, 0xff, sizeof(nonce));
	memset(nonce, 0, 4);
	assert_int_equal(cry_aead_encrypt(noise_cs_aead(c), want, key, nonce, NULL, 0, zeros, 32),
			 PS_OK);
	old = a;
	assert_int_equal(noise_cs_rekey(&a), PS_OK);
	assert_int_equal(noise_cs_rekey(&b), PS_OK);
	assert_memory_equal(a.k, want, 32);
	assert_true(a.n == 5);
	assert_int_equal(
		noise_cs_encrypt_with_ad(&a, ct, sizeof(ct), &ctlen, NULL, 0, msg, sizeof(msg)),
		PS_OK);
	assert_int_equal(noise_cs_decrypt_with_ad(&old, pt, sizeof(pt), &ptlen, NULL, 0, ct, ctlen),
			 PS_ERR_DECRYPT);
	assert_int_equal(noise_cs_decrypt_with_ad(&b, pt, sizeof(pt), &ptlen, NULL, 0, ct, ctlen),
			 PS_OK);
	assert_memory_equal(pt, msg, sizeof(msg));
}

static void test_rekey(void **state)
{
	(void)state;
	rekey(NOISE_CIPHER_CHACHAPOLY);
	if (cry_aead_available(CRY_AEAD_AESGCM))
		rekey(NOISE_CIPHER_AESGCM);
}

/* 65535 is the largest message: a plaintext of 65519 bytes fits, 65520
 * does not; a ciphertext over 65535 is refused; a short buffer is NOBUF and
 * writes nothing. */
static void test_sizes(void **state)
{
	struct noise_cs a, b;
	uint8_t *big = calloc(1, NOISE_MAX_MSG + 2), *out = malloc(NOISE_MAX_MSG + 32);
	size_t len;
	(void)state;

	assert_non_null(big);
	assert_non_null(out);
	keyed(&a, NOISE_CIPHER_CHACHAPOLY);
	keyed(&b, NOISE_CIPHER_CHACHAPOLY);
	assert_int_equal(noise_cs_encrypt_with_ad(&a, out, NOISE_MAX_MSG + 32, &len, NULL, 0, big,
						  NOISE_MAX_MSG - 16 + 1),
			 PS_ERR_TOO_LARGE);
	assert_int_equal(noise_cs_encrypt_with_ad(&a, out, NOISE_MAX_MSG + 32, &len, NULL, 0, big,
						  NOISE_MAX_MSG - 16),
			 PS_OK);
	assert_int_equal(len, NOISE_MAX_MSG);
	assert_int_equal(noise_cs_decrypt_with_ad(&b, big, NOISE_MAX_MSG, &len, NULL, 0, out,
						  NOISE_MAX_MSG + 1),
			 PS_ERR_TOO_LARGE);
	assert_int_equal(
		noise_cs_decrypt_with_ad(&b, big, NOISE_MAX_MSG, &len, NULL, 0, out, NOISE_MAX_MSG),
		PS_OK);
	assert_int_equal(len, NOISE_MAX_MSG - 16);
	memset(out, 0x5a, 64);
	assert_int_equal(noise_cs_encrypt_with_ad(&a, out, sizeof(msg) + 15, &len, NULL, 0, msg,
						  sizeof(msg)),
			 PS_ERR_NOBUF);
	assert_int_equal(out[0], 0x5a);
	assert_true(a.n == 1);
	free(big);
	free(out);
}

static void test_wipe(void **state)
{
	struct noise_cs a;
	(void)state;

	keyed(&a, NOISE_CIPHER_CHACHAPOLY);
	noise_cs_wipe(&a);
	assert_false(noise_cs_has_key(&a));
	assert_true(all_zero(a.k, sizeof(a.k)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nonce_chachapoly),
		cmocka_unit_test(test_nonce_aesgcm),
		cmocka_unit_test(test_empty_key),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_in_place),
		cmocka_unit_test(test_tamper_every_byte),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_nonce_exhaustion),
		cmocka_unit_test(test_rekey),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_wipe),
	};

	if (cry_init() != PS_OK)
		return 1;
	if (cry_fuzzing_build()) {
		printf("skipped: fuzzing build has a null AEAD\n");
		return TU_SKIP;
	}
	return cmocka_run_group_tests_name("noise cipher", tests, NULL, NULL);
}
