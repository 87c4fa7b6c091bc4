/*
 * crypto.c - thin wrappers over libsodium and libb2.
 *
 * FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION: the AEAD becomes a copy with an
 * all-zero tag (and a tag check that accepts only zeros), the raw ChaCha20
 * stream a copy, and the streaming Poly1305's tag all zeros (so that an AEAD
 * built from the last two, btc/v2cipher.c's streamed decryption, is the same
 * null AEAD). Nowhere else in the tree may test that macro.
 */
#include "crypto/crypto.h"
#include "crypto/secp.h"
#include "crypto/x25519_base.h"

#include <blake2.h>
#include <sodium.h>
#include <string.h>

_Static_assert(sizeof(crypto_hash_sha256_state) <= 384, "sha256 state fits");
_Static_assert(sizeof(crypto_hash_sha512_state) <= 384, "sha512 state fits");
_Static_assert(sizeof(crypto_generichash_blake2b_state) <= 384, "blake2b state fits");
_Static_assert(sizeof(blake2s_state) <= 384, "blake2s state fits");

int cry_init(void)
{
	if (sodium_init() < 0)
		return PS_ERR_CRYPTO;
	/* libsecp256k1's context, so that a failure shows here and not as
	 * the first key generation's */
	return cry_secp_init();
}

bool cry_fuzzing_build(void)
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	return true;
#else
	return false;
#endif
}

/* ---- hashes ---- */

size_t cry_hash_len(enum cry_hash_id id)
{
	return (id == CRY_HASH_SHA512 || id == CRY_HASH_BLAKE2B) ? 64 : 32;
}

size_t cry_hash_blocklen(enum cry_hash_id id)
{
	return (id == CRY_HASH_SHA512 || id == CRY_HASH_BLAKE2B) ? 128 : 64;
}

void cry_hash_init(struct cry_hash_ctx *ctx, enum cry_hash_id id)
{
	ctx->id = id;
	switch (id) {
	case CRY_HASH_SHA256:
		crypto_hash_sha256_init((crypto_hash_sha256_state *)(void *)ctx->state);
		break;
	case CRY_HASH_SHA512:
		crypto_hash_sha512_init((crypto_hash_sha512_state *)(void *)ctx->state);
		break;
	case CRY_HASH_BLAKE2S:
		blake2s_init((blake2s_state *)(void *)ctx->state, BLAKE2S_OUTBYTES);
		break;
	case CRY_HASH_BLAKE2B:
	default:
		crypto_generichash_blake2b_init(
			(crypto_generichash_blake2b_state *)(void *)ctx->state, NULL, 0, 64);
		break;
	}
}

void cry_hash_update(struct cry_hash_ctx *ctx, const uint8_t *in, size_t len)
{
	switch (ctx->id) {
	case CRY_HASH_SHA256:
		crypto_hash_sha256_update((crypto_hash_sha256_state *)(void *)ctx->state, in, len);
		break;
	case CRY_HASH_SHA512:
		crypto_hash_sha512_update((crypto_hash_sha512_state *)(void *)ctx->state, in, len);
		break;
	case CRY_HASH_BLAKE2S:
		blake2s_update((blake2s_state *)(void *)ctx->state, in, len);
		break;
	case CRY_HASH_BLAKE2B:
	default:
		crypto_generichash_blake2b_update(
			(crypto_generichash_blake2b_state *)(void *)ctx->state, in, len);
		break;
	}
}

void cry_hash_final(struct cry_hash_ctx *ctx, uint8_t *out)
{
	switch (ctx->id) {
	case CRY_HASH_SHA256:
		crypto_hash_sha256_final((crypto_hash_sha256_state *)(void *)ctx->state, out);
		break;
	case CRY_HASH_SHA512:
		crypto_hash_sha512_final((crypto_hash_sha512_state *)(void *)ctx->state, out);
		break;
	case CRY_HASH_BLAKE2S:
		blake2s_final((blake2s_state *)(void *)ctx->state, out, BLAKE2S_OUTBYTES);
		break;
	case CRY_HASH_BLAKE2B:
	default:
		crypto_generichash_blake2b_final(
			(crypto_generichash_blake2b_state *)(void *)ctx->state, out, 64);
		break;
	}
	sodium_memzero(ctx->state, sizeof(ctx->state));
}

void cry_hash(enum cry_hash_id id, uint8_t *out, const uint8_t *in, size_t len)
{
	struct cry_hash_ctx ctx;

	cry_hash_init(&ctx, id);
	cry_hash_update(&ctx, in, len);
	cry_hash_final(&ctx, out);
}

void cry_hmac_key_init(struct cry_hmac_key *hk, enum cry_hash_id id, const uint8_t *key,
		       size_t keylen)
{
	size_t blen = cry_hash_blocklen(id);
	uint8_t k[CRY_MAXBLOCKLEN], pad[CRY_MAXBLOCKLEN];

	memset(k, 0, sizeof(k));
	if (keylen > blen)
		cry_hash(id, k, key, keylen);
	else if (keylen)
		memcpy(k, key, keylen);

	for (size_t i = 0; i < blen; i++)
		pad[i] = k[i] ^ 0x36;
	cry_hash_init(&hk->inner, id);
	cry_hash_update(&hk->inner, pad, blen);

	for (size_t i = 0; i < blen; i++)
		pad[i] = k[i] ^ 0x5c;
	cry_hash_init(&hk->outer, id);
	cry_hash_update(&hk->outer, pad, blen);

	sodium_memzero(k, sizeof(k));
	sodium_memzero(pad, sizeof(pad));
}

void cry_hmac_with_key(const struct cry_hmac_key *hk, uint8_t *out, const uint8_t *data1,
		       size_t len1, const uint8_t *data2, size_t len2)
{
	struct cry_hash_ctx ctx;
	uint8_t inner[CRY_MAXHASHLEN];

	/* The library states are plain structs holding no pointers, so a
	 * copy of a state resumes the hash from where it was. */
	ctx = hk->inner;
	if (len1)
		cry_hash_update(&ctx, data1, len1);
	if (len2)
		cry_hash_update(&ctx, data2, len2);
	cry_hash_final(&ctx, inner);

	ctx = hk->outer;
	cry_hash_update(&ctx, inner, cry_hash_len(hk->outer.id));
	cry_hash_final(&ctx, out);

	sodium_memzero(inner, sizeof(inner));
}

void cry_hmac_key_wipe(struct cry_hmac_key *hk)
{
	sodium_memzero(hk, sizeof(*hk));
}

void cry_hmac(enum cry_hash_id id, uint8_t *out, const uint8_t *key, size_t keylen,
	      const uint8_t *data1, size_t len1, const uint8_t *data2, size_t len2)
{
	struct cry_hmac_key hk;

	cry_hmac_key_init(&hk, id, key, keylen);
	cry_hmac_with_key(&hk, out, data1, len1, data2, len2);
	cry_hmac_key_wipe(&hk);
}

void cry_sha256(uint8_t out[32], const uint8_t *in, size_t len)
{
	crypto_hash_sha256(out, in, len);
}

void cry_sha256d(uint8_t out[32], const uint8_t *in, size_t len)
{
	uint8_t once[32];

	crypto_hash_sha256(once, in, len);
	crypto_hash_sha256(out, once, sizeof(once));
}

int cry_blake2s(uint8_t *out, size_t outlen, const uint8_t *key, size_t keylen, const uint8_t *in,
		size_t len)
{
	if (outlen < 1 || outlen > BLAKE2S_OUTBYTES || keylen > BLAKE2S_KEYBYTES)
		return PS_ERR_INVALID_ARG;
	return blake2s(out, in, key, outlen, len, keylen) == 0 ? PS_OK : PS_ERR_CRYPTO;
}

int cry_blake2b(uint8_t *out, size_t outlen, const uint8_t *key, size_t keylen, const uint8_t *in,
		size_t len)
{
	if (outlen < crypto_generichash_blake2b_BYTES_MIN ||
	    outlen > crypto_generichash_blake2b_BYTES_MAX ||
	    keylen > crypto_generichash_blake2b_KEYBYTES_MAX)
		return PS_ERR_INVALID_ARG;
	return crypto_generichash_blake2b(out, outlen, in, len, key, keylen) == 0 ? PS_OK
										  : PS_ERR_CRYPTO;
}

/* ---- X25519 ---- */

int cry_x25519_base(uint8_t pub[32], const uint8_t priv[32])
{
	uint8_t k[32];

	/* RFC 7748 section 5, decodeScalar25519: "k_list[0] &= 248;
	 * k_list[31] &= 127; k_list[31] |= 64". libsodium's ladder clamps the
	 * same way inside; the fixed-base method takes the scalar as it is. */
	memcpy(k, priv, sizeof(k));
	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;
	cry_x25519_base_noclamp(pub, k);
	sodium_memzero(k, sizeof(k));
	return PS_OK;
}

int cry_x25519_base_ladder(uint8_t pub[32], const uint8_t priv[32])
{
	return crypto_scalarmult_curve25519_base(pub, priv) == 0 ? PS_OK : PS_ERR_CRYPTO;
}

int cry_x25519(uint8_t out[32], const uint8_t priv[32], const uint8_t pub[32])
{
	/* libsodium returns -1 exactly when the shared secret is all zeros. */
	if (crypto_scalarmult_curve25519(out, priv, pub) != 0) {
		sodium_memzero(out, 32);
		return PS_ERR_DH;
	}
	return PS_OK;
}

/* ---- AEAD ---- */

bool cry_aead_available(enum cry_aead_id id)
{
	if (id == CRY_AEAD_CHACHAPOLY)
		return true;
	return crypto_aead_aes256gcm_is_available() == 1;
}

int cry_aead_encrypt(enum cry_aead_id id, uint8_t *out, const uint8_t key[32],
		     const uint8_t nonce[12], const uint8_t *ad, size_t adlen, const uint8_t *pt,
		     size_t ptlen)
{
	if (!cry_aead_available(id))
		return PS_ERR_UNSUPPORTED;
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	(void)key, (void)nonce, (void)ad, (void)adlen;
	/* pt may be NULL with ptlen 0 (an empty payload): memmove must not
	 * see it (found by fuzz/noise_msg2, UBSan nonnull-attribute). */
	if (ptlen)
		memmove(out, pt, ptlen);
	memset(out + ptlen, 0, CRY_AEAD_TAGLEN);
	return PS_OK;
#else
	int r;
	if (id == CRY_AEAD_CHACHAPOLY)
		r = crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, pt, ptlen, ad, adlen, NULL,
							      nonce, key);
	else
		r = crypto_aead_aes256gcm_encrypt(out, NULL, pt, ptlen, ad, adlen, NULL, nonce,
						  key);
	return r == 0 ? PS_OK : PS_ERR_CRYPTO;
#endif
}

int cry_aead_decrypt(enum cry_aead_id id, uint8_t *out, const uint8_t key[32],
		     const uint8_t nonce[12], const uint8_t *ad, size_t adlen, const uint8_t *ct,
		     size_t ctlen)
{
	if (!cry_aead_available(id))
		return PS_ERR_UNSUPPORTED;
	if (ctlen < CRY_AEAD_TAGLEN)
		return PS_ERR_BAD_SIZE;
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	(void)key, (void)nonce, (void)ad, (void)adlen;
	if (!sodium_is_zero(ct + ctlen - CRY_AEAD_TAGLEN, CRY_AEAD_TAGLEN))
		return PS_ERR_DECRYPT;
	memmove(out, ct, ctlen - CRY_AEAD_TAGLEN);
	return PS_OK;
#else
	int r;
	/* libsodium checks the tag before decrypting and zeroes out on failure,
	 * so no unauthenticated plaintext is ever released. */
	if (id == CRY_AEAD_CHACHAPOLY)
		r = crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, ct, ctlen, ad, adlen,
							      nonce, key);
	else
		r = crypto_aead_aes256gcm_decrypt(out, NULL, NULL, ct, ctlen, ad, adlen, nonce,
						  key);
	return r == 0 ? PS_OK : PS_ERR_DECRYPT;
#endif
}

/* ---- ChaCha20 and HKDF ---- */

int cry_chacha20_xor_ic(uint8_t *out, const uint8_t *in, size_t len, const uint8_t key[32],
			const uint8_t nonce[12], uint32_t counter)
{
	uint64_t blocks = ((uint64_t)len + CRY_CHACHA20_BLOCKLEN - 1) / CRY_CHACHA20_BLOCKLEN;

	/* libsodium aborts (sodium_misuse) when the 32-bit block counter would
	 * wrap; refuse first, as an error the caller can handle. */
	if (blocks > ((uint64_t)1 << 32) - counter)
		return PS_ERR_INVALID_ARG;
	if (!len)
		return PS_OK;
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	/* The BIP324 length cipher: an all-zero keystream lets a fuzzer write
	 * the lengths it wants. Its rekeying draws zeros too, consistently. */
	(void)key, (void)nonce;
	memmove(out, in, len);
	return PS_OK;
#else
	return crypto_stream_chacha20_ietf_xor_ic(out, in, len, nonce, counter, key) == 0
		       ? PS_OK
		       : PS_ERR_CRYPTO;
#endif
}

/* ---- Poly1305 ---- */

_Static_assert(sizeof(crypto_onetimeauth_poly1305_state) <= sizeof(struct cry_poly1305),
	       "poly1305 state fits");
_Static_assert(_Alignof(crypto_onetimeauth_poly1305_state) <= 16, "poly1305 state alignment");

void cry_poly1305_init(struct cry_poly1305 *st, const uint8_t key[32])
{
	crypto_onetimeauth_poly1305_init((crypto_onetimeauth_poly1305_state *)(void *)st->state,
					 key);
}

void cry_poly1305_update(struct cry_poly1305 *st, const uint8_t *in, size_t len)
{
	if (len)
		crypto_onetimeauth_poly1305_update(
			(crypto_onetimeauth_poly1305_state *)(void *)st->state, in, len);
}

void cry_poly1305_final(struct cry_poly1305 *st, uint8_t tag[16])
{
	crypto_onetimeauth_poly1305_final((crypto_onetimeauth_poly1305_state *)(void *)st->state,
					  tag);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	/* the null AEAD's all-zero tag (cry_aead_encrypt above) */
	memset(tag, 0, CRY_POLY1305_TAGLEN);
#endif
	sodium_memzero(st, sizeof(*st));
}

void cry_hkdf_sha256_extract(uint8_t prk[32], const uint8_t *salt, size_t saltlen,
			     const uint8_t *ikm, size_t ikmlen)
{
	static const uint8_t none[1];
	crypto_auth_hmacsha256_state st;

	/* crypto_auth_hmacsha256_init takes a key of any length (hashed first
	 * when longer than a block, zero-padded otherwise), as HMAC specifies;
	 * its pointers are declared nonnull even for length 0. */
	crypto_auth_hmacsha256_init(&st, saltlen ? salt : none, saltlen);
	if (ikmlen)
		crypto_auth_hmacsha256_update(&st, ikm, ikmlen);
	crypto_auth_hmacsha256_final(&st, prk);
	sodium_memzero(&st, sizeof(st));
}

int cry_hkdf_sha256_expand(uint8_t *out, size_t outlen, const uint8_t prk[32], const uint8_t *info,
			   size_t infolen)
{
	crypto_auth_hmacsha256_state st;
	uint8_t t[CRY_SHA256_LEN] = { 0 };
	size_t done = 0, tlen = 0;
	uint8_t i = 0;

	/* RFC 5869 section 2.3: "L  length of output keying material in
	 * octets (<= 255*HashLen)" */
	if (outlen > 255 * CRY_SHA256_LEN)
		return PS_ERR_INVALID_ARG;
	while (done < outlen) {
		size_t n = outlen - done < CRY_SHA256_LEN ? outlen - done : CRY_SHA256_LEN;

		i++;
		crypto_auth_hmacsha256_init(&st, prk, CRY_SHA256_LEN);
		crypto_auth_hmacsha256_update(&st, t, tlen);
		if (infolen)
			crypto_auth_hmacsha256_update(&st, info, infolen);
		crypto_auth_hmacsha256_update(&st, &i, 1);
		crypto_auth_hmacsha256_final(&st, t);
		tlen = CRY_SHA256_LEN;
		memcpy(out + done, t, n);
		done += n;
	}
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(t, sizeof(t));
	return PS_OK;
}

/* ---- randomness and secrets ---- */

void cry_random(uint8_t *out, size_t n)
{
	randombytes_buf(out, n);
}

void cry_rng(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	randombytes_buf(out, n);
}

void cry_memzero(void *p, size_t n)
{
	sodium_memzero(p, n);
}

bool cry_memeq(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}
