/*
 * test_secp.c - ref/crypto/secp.[ch] and ellswift.c (secp256k1 keys,
 * x-only ECDH, ElligatorSwift) and the BIP324 additions to crypto.h
 * (ChaCha20 with a block counter, HKDF-SHA256).
 *
 * Public vectors, read in place from the shared folder (tu_vectors_dir):
 *   bip324/ellswift_decode_test_vectors.csv   every row: XSwiftEC(u, t) = x
 *   bip324/xswiftec_inv_test_vectors.csv      every row, cases 0..7: the t
 *                                             or "no result"
 * Each file prints "FILE: N passed, M failed"; a mutated copy of a row (one
 * flipped bit) must make the same comparator fail. Published values: RFC
 * 5869 A.1-A.3 (HKDF-SHA-256), RFC 8439 2.4.2 (ChaCha20 from block 1), the
 * generator and 2G of secp256k1 (SEC 2).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/hex.h"
#include "crypto/crypto.h"
#include "crypto/secp.h"
#include "csvvec.h"
#include "testutil.h"

static const char *g_vectors;

/* hex of exactly n bytes into out; false on bad hex or another length */
static bool unhex_n(uint8_t *out, size_t n, const char *hex)
{
	size_t got;

	return strlen(hex) == 2 * n && ps_hex_decode(out, n, &got, hex, 2 * n) == PS_OK && got == n;
}

static void flip_hex_bit(char *hex, size_t bit)
{
	static const char digits[] = "0123456789abcdef";
	size_t i = bit / 4;
	int v = hex[i] <= '9' ? hex[i] - '0' : (hex[i] | 0x20) - 'a' + 10;

	hex[i] = digits[v ^ (1 << (bit % 4))];
}

/* ---- published values ------------------------------------------------------ */

static void test_hkdf_rfc5869(void **state)
{
	/* RFC 5869 appendix A, test cases 1, 2 and 3 (SHA-256) */
	static const struct {
		const char *ikm, *salt, *info, *prk, *okm;
	} tc[] = {
		{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c",
		  "f0f1f2f3f4f5f6f7f8f9",
		  "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
		  "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b8"
		  "87185865" },
		{ "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627"
		  "28292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4"
		  "f",
		  "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f8081828384858687"
		  "88898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaea"
		  "f",
		  "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7"
		  "d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfef"
		  "f",
		  "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
		  "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac78272"
		  "71cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f"
		  "1d87" },
		{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
		  "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
		  "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b6"
		  "1a96c8" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		size_t ikml, saltl, infol, prkl, okml;
		uint8_t *ikm = tu_unhex(tc[i].ikm, &ikml), *salt = tu_unhex(tc[i].salt, &saltl);
		uint8_t *info = tu_unhex(tc[i].info, &infol), *prk = tu_unhex(tc[i].prk, &prkl);
		uint8_t *okm = tu_unhex(tc[i].okm, &okml);
		uint8_t got_prk[32], got[128];

		cry_hkdf_sha256_extract(got_prk, saltl ? salt : NULL, saltl, ikm, ikml);
		assert_memory_equal(got_prk, prk, 32);
		memset(got, 0xcc, sizeof(got));
		assert_int_equal(cry_hkdf_sha256_expand(got, okml, got_prk, info, infol), PS_OK);
		assert_memory_equal(got, okm, okml);
		assert_int_equal(got[okml], 0xcc); /* nothing past L */
		free(ikm), free(salt), free(info), free(prk), free(okm);
	}
}

static void test_hkdf_expand_limit(void **state)
{
	uint8_t prk[32] = { 1 }, out[8] = { 0x5a };
	(void)state;

	/* RFC 5869: L <= 255*HashLen */
	assert_int_equal(cry_hkdf_sha256_expand(out, 255 * 32 + 1, prk, NULL, 0),
			 PS_ERR_INVALID_ARG);
	assert_int_equal(out[0], 0x5a);
	assert_int_equal(cry_hkdf_sha256_expand(out, 0, prk, NULL, 0), PS_OK);
}

static void test_chacha20_rfc8439(void **state)
{
	/* RFC 8439 section 2.4.2: key 00..1f, nonce 00 00 00 00 00 00 00 4a
	 * 00 00 00 00, initial block counter 1 */
	static const char pt[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
				 "only one tip for the future, sunscreen would be it.";
	static const char ct_hex[] =
		"6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab"
		"8f593dabcd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e"
		"52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d";
	uint8_t key[32], nonce[12] = { 0 }, buf[sizeof(pt) - 1], *ct;
	size_t ctlen;
	(void)state;

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	nonce[7] = 0x4a;
	ct = tu_unhex(ct_hex, &ctlen);
	assert_int_equal(ctlen, sizeof(buf));
	memcpy(buf, pt, sizeof(buf));
	assert_int_equal(cry_chacha20_xor_ic(buf, buf, sizeof(buf), key, nonce, 1), PS_OK);
	assert_memory_equal(buf, ct, ctlen);
	/* decrypting is the same operation */
	assert_int_equal(cry_chacha20_xor_ic(buf, buf, sizeof(buf), key, nonce, 1), PS_OK);
	assert_memory_equal(buf, pt, sizeof(buf));
	/* the 32-bit block counter may not wrap: 1 block at 2^32-1 is fine, 2 are not */
	assert_int_equal(cry_chacha20_xor_ic(buf, buf, 64, key, nonce, UINT32_MAX), PS_OK);
	assert_int_equal(cry_chacha20_xor_ic(buf, buf, 65, key, nonce, UINT32_MAX),
			 PS_ERR_INVALID_ARG);
	free(ct);
}

/* SEC 2: G's X coordinate and that of 2G */
static const char GX[] = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
static const char G2X[] = "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5";
/* the group order n */
static const char N[] = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
static const char P[] = "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f";

static void test_pubkey_and_ecdh_known(void **state)
{
	uint8_t one[32] = { 0 }, two[32] = { 0 }, gx[32], g2x[32], n[32], x[32], out[32];
	uint8_t zero[32] = { 0 }, bad_x[32] = { 0 }, p[32];
	(void)state;

	one[31] = 1;
	two[31] = 2;
	assert_true(unhex_n(gx, 32, GX) && unhex_n(g2x, 32, G2X) && unhex_n(n, 32, N) &&
		    unhex_n(p, 32, P));
	assert_int_equal(cry_secp_pubkey_x(x, one), PS_OK);
	assert_memory_equal(x, gx, 32);
	assert_int_equal(cry_secp_pubkey_x(x, two), PS_OK);
	assert_memory_equal(x, g2x, 32);
	assert_int_equal(cry_secp_ecdh_x(out, two, gx), PS_OK);
	assert_memory_equal(out, g2x, 32);
	/* invalid scalars: 0 and n */
	assert_false(cry_secp_priv_valid(zero));
	assert_false(cry_secp_priv_valid(n));
	assert_true(cry_secp_priv_valid(one));
	assert_int_equal(cry_secp_pubkey_x(x, zero), PS_ERR_INVALID_ARG);
	assert_int_equal(cry_secp_pubkey_x(x, n), PS_ERR_INVALID_ARG);
	assert_int_equal(cry_secp_ecdh_x(out, n, gx), PS_ERR_INVALID_ARG);
	assert_memory_equal(out, zero, 32);
	/* x = 5: 5^3 + 7 = 132 is not a square mod p; x = p is not a field element */
	bad_x[31] = 5;
	assert_false(cry_secp_x_valid(bad_x));
	assert_false(cry_secp_x_valid(p));
	assert_true(cry_secp_x_valid(gx));
	memset(out, 0x77, sizeof(out));
	assert_int_equal(cry_secp_ecdh_x(out, two, bad_x), PS_ERR_MALFORMED);
	assert_memory_equal(out, zero, 32);
	assert_int_equal(cry_secp_ecdh_x(out, two, p), PS_ERR_MALFORMED);
}

/* An RNG that gives the scripted 32-byte blocks in turn, then its last one. */
struct script {
	const uint8_t (*blocks)[32];
	size_t n, next;
};

static void script_rng(void *ctx, uint8_t *out, size_t len)
{
	struct script *s = ctx;
	size_t i = s->next < s->n ? s->next++ : s->n - 1;

	assert_true(len <= 32);
	memcpy(out, s->blocks[i], len);
}

static void test_keygen_retries(void **state)
{
	uint8_t blocks[3][32], priv[32], zero[32] = { 0 };
	struct script s = { (const uint8_t(*)[32])blocks, 3, 0 };
	struct script zeros = { (const uint8_t(*)[32])blocks, 1, 0 };
	(void)state;

	memset(blocks[0], 0, 32);		     /* 0: invalid */
	assert_true(unhex_n(blocks[1], 32, N));	     /* n: invalid */
	memset(blocks[2], 0, 32), blocks[2][31] = 7; /* 7: valid */
	assert_int_equal(cry_secp_keygen(priv, script_rng, &s), PS_OK);
	assert_int_equal(s.next, 3);
	assert_memory_equal(priv, blocks[2], 32);
	/* an RNG stuck on zeros: refused after its 64 draws, priv zeroed */
	memset(priv, 0x55, sizeof(priv));
	assert_int_equal(cry_secp_keygen(priv, script_rng, &zeros), PS_ERR_CRYPTO);
	assert_memory_equal(priv, zero, 32);
}

static void test_ellswift_roundtrip(void **state)
{
	uint64_t seed = 324;
	(void)state;

	/* ellswift_create's encoding decodes to priv*G's X (a property of the
	 * pair, not a value taken from the code under test), and both sides
	 * of an ECDH over the encodings agree. */
	for (int i = 0; i < 64; i++) {
		uint8_t a[32], b[32], ea[64], eb[64], xa[32], dec[32], sa[32], sb[32];

		assert_int_equal(cry_ellswift_create(a, ea, tu_rng, &seed), PS_OK);
		assert_int_equal(cry_ellswift_create(b, eb, tu_rng, &seed), PS_OK);
		assert_int_equal(cry_secp_pubkey_x(xa, a), PS_OK);
		cry_ellswift_decode(dec, ea);
		assert_memory_equal(dec, xa, 32);
		assert_int_equal(cry_ellswift_ecdh_xonly(sa, eb, a), PS_OK);
		assert_int_equal(cry_ellswift_ecdh_xonly(sb, ea, b), PS_OK);
		assert_memory_equal(sa, sb, 32);
		assert_int_equal(cry_bip324_ecdh(sa, a, eb, ea, true), PS_OK);
		assert_int_equal(cry_bip324_ecdh(sb, b, ea, eb, false), PS_OK);
		assert_memory_equal(sa, sb, 32);
		/* the roles matter: the initiator's encoding is hashed first */
		assert_int_equal(cry_bip324_ecdh(sb, b, ea, eb, true), PS_OK);
		assert_memory_not_equal(sa, sb, 32);
	}
}

static void ff_rng(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	memset(out, 0xff, n);
}

static void test_ellswift_bad_args(void **state)
{
	uint8_t gx[32], bad_x[32] = { 0 }, u[32] = { 0 }, p[32], t[32], ell[64], zero[32] = { 0 };
	uint8_t priv[32] = { 0 };
	bool found = true;
	(void)state;

	assert_true(unhex_n(gx, 32, GX) && unhex_n(p, 32, P));
	bad_x[31] = 5;
	u[31] = 1;
	assert_int_equal(cry_xswiftec_inv(t, &found, gx, u, 8), PS_ERR_INVALID_ARG);
	assert_int_equal(cry_xswiftec_inv(t, &found, bad_x, u, 0), PS_ERR_INVALID_ARG);
	assert_int_equal(cry_xswiftec_inv(t, &found, p, u, 0), PS_ERR_INVALID_ARG);
	assert_int_equal(cry_xswiftec_inv(t, &found, gx, zero, 0), PS_ERR_INVALID_ARG);
	assert_int_equal(cry_xswiftec_inv(t, &found, gx, p, 0), PS_ERR_INVALID_ARG); /* p = 0 */
	assert_int_equal(cry_ellswift_encode(ell, bad_x, tu_rng, &(uint64_t){ 1 }),
			 PS_ERR_INVALID_ARG);
	/* an RNG that only gives u >= p never finds an encoding: refused */
	memset(ell, 0x33, sizeof(ell));
	assert_int_equal(cry_ellswift_encode(ell, gx, ff_rng, NULL), PS_ERR_CRYPTO);
	for (size_t i = 0; i < sizeof(ell); i++)
		assert_int_equal(ell[i], 0x33);
	assert_int_equal(cry_ellswift_create(priv, ell, ff_rng, NULL), PS_ERR_CRYPTO);
	assert_memory_equal(priv, zero, 32);
	/* an invalid private key: no ECDH */
	assert_int_equal(cry_bip324_ecdh(t, zero, ell, ell, true), PS_ERR_INVALID_ARG);
	assert_memory_equal(t, zero, 32);
}

/* ---- ellswift_decode_test_vectors.csv ----------------------------------------- */

/* The comparator: the row's ellswift decodes to its x. */
static bool decode_row_ok(const char *ell_hex, const char *x_hex)
{
	uint8_t ell[64], want[32], got[32];

	if (!unhex_n(ell, 64, ell_hex) || !unhex_n(want, 32, x_hex))
		return false;
	cry_ellswift_decode(got, ell);
	/* XSwiftEC's output is always a valid X coordinate (libsecp256k1 agrees) */
	return cry_memeq(got, want, 32) && cry_secp_x_valid(got);
}

static void test_vectors_ellswift_decode(void **state)
{
	struct tu_csv csv;
	unsigned passed = 0, failed = 0;
	(void)state;

	tu_csv_load(&csv, g_vectors, "bip324/ellswift_decode_test_vectors.csv");
	assert_true(csv.nrows > 0);
	for (size_t r = 0; r < csv.nrows; r++) {
		const char *ell = tu_csv_get(&csv, r, "ellswift"), *x = tu_csv_get(&csv, r, "x");
		char mut[160];

		if (decode_row_ok(ell, x)) {
			passed++;
		} else {
			failed++;
			printf("  row %zu (%s): decodes otherwise\n", r + 1,
			       tu_csv_get(&csv, r, "comment"));
		}
		/* a flipped bit in the expected x, or in u, must fail the row */
		snprintf(mut, sizeof(mut), "%s", x);
		flip_hex_bit(mut, (r * 7) % 256);
		assert_false(decode_row_ok(ell, mut));
		snprintf(mut, sizeof(mut), "%s", ell);
		flip_hex_bit(mut, 8 + (r * 5) % 200);
		assert_false(decode_row_ok(mut, x));
	}
	printf("ellswift_decode_test_vectors.csv: %u passed, %u failed\n", passed, failed);
	tu_csv_free(&csv);
	assert_int_equal(failed, 0);
}

/* ---- xswiftec_inv_test_vectors.csv ------------------------------------------------ */

/* The comparator for one case: no t when the cell is empty, else that t
 * (which must decode back to x with u). */
static bool inv_case_ok(const char *u_hex, const char *x_hex, unsigned which, const char *t_hex)
{
	uint8_t u[32], x[32], want[32], got[32], ell[64], back[32];
	bool found = false;

	if (!unhex_n(u, 32, u_hex) || !unhex_n(x, 32, x_hex))
		return false;
	if (cry_xswiftec_inv(got, &found, x, u, which) != PS_OK)
		return false;
	if (!*t_hex)
		return !found;
	if (!found || !unhex_n(want, 32, t_hex) || !cry_memeq(got, want, 32))
		return false;
	memcpy(ell, u, 32);
	memcpy(ell + 32, got, 32);
	cry_ellswift_decode(back, ell);
	return cry_memeq(back, x, 32);
}

static void test_vectors_xswiftec_inv(void **state)
{
	struct tu_csv csv;
	unsigned passed = 0, failed = 0, with_t = 0;
	(void)state;

	tu_csv_load(&csv, g_vectors, "bip324/xswiftec_inv_test_vectors.csv");
	assert_true(csv.nrows > 0);
	for (size_t r = 0; r < csv.nrows; r++) {
		const char *u = tu_csv_get(&csv, r, "u"), *x = tu_csv_get(&csv, r, "x");

		for (unsigned c = 0; c < 8; c++) {
			char col[16], mut[80];
			const char *t;

			snprintf(col, sizeof(col), "case%u_t", c);
			t = tu_csv_get(&csv, r, col);
			if (inv_case_ok(u, x, c, t)) {
				passed++;
			} else {
				failed++;
				printf("  row %zu case %u: differs (%s)\n", r + 1, c,
				       tu_csv_get(&csv, r, "comment"));
			}
			/* mutations: a flipped bit of an expected t; an expected t
			 * dropped ("no result"); a t where none is expected */
			if (*t) {
				with_t++;
				snprintf(mut, sizeof(mut), "%s", t);
				flip_hex_bit(mut, (r * 11 + c) % 256);
				assert_false(inv_case_ok(u, x, c, mut));
				assert_false(inv_case_ok(u, x, c, ""));
			} else {
				assert_false(inv_case_ok(u, x, c, x));
			}
		}
	}
	printf("xswiftec_inv_test_vectors.csv: %u passed, %u failed (%zu rows x 8 cases, %u "
	       "with a t)\n",
	       passed, failed, csv.nrows, with_t);
	tu_csv_free(&csv);
	assert_int_equal(failed, 0);
	assert_true(with_t > 0);
}

int main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_hkdf_rfc5869),
		cmocka_unit_test(test_hkdf_expand_limit),
		cmocka_unit_test(test_chacha20_rfc8439),
		cmocka_unit_test(test_pubkey_and_ecdh_known),
		cmocka_unit_test(test_keygen_retries),
		cmocka_unit_test(test_ellswift_roundtrip),
		cmocka_unit_test(test_ellswift_bad_args),
	};
	const struct CMUnitTest vectors[] = {
		cmocka_unit_test(test_vectors_ellswift_decode),
		cmocka_unit_test(test_vectors_xswiftec_inv),
	};
	int r;

	if (cry_init() != PS_OK)
		return 1;
	r = cmocka_run_group_tests_name("secp256k1, ellswift, hkdf, chacha20", unit, NULL, NULL);
	if (r)
		return r;
	if (!(g_vectors = tu_vectors_dir("crypto/test_secp")))
		return TU_SKIP;
	return cmocka_run_group_tests_name("bip324 crypto vectors", vectors, NULL, NULL);
}
