/*
 * crypto.h - the only door to the crypto libraries (libsodium, libb2).
 *
 * Nothing else in peershake includes <sodium.h> or <blake2.h>. The fuzz-only
 * switch FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION lives in crypto.c and
 * nowhere else: under it the AEAD is a plain copy with an all-zero tag, the
 * raw ChaCha20 stream a plain copy (an all-zero keystream) and the streaming
 * Poly1305 tag all zeros, so mutated ciphertexts and encrypted lengths reach
 * the parsers behind them.
 *
 * secp256k1 and ElligatorSwift (libsecp256k1, GMP) have their own header,
 * crypto/secp.h, in the same layer.
 */
#ifndef PS_CRYPTO_CRYPTO_H
#define PS_CRYPTO_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define CRY_X25519_LEN	32
#define CRY_AEAD_KEYLEN 32
#define CRY_AEAD_TAGLEN 16
#define CRY_MAXHASHLEN	64
#define CRY_MAXBLOCKLEN 128

/* Initialise the libraries (libsodium, and libsecp256k1's context:
 * cry_secp_init). Returns PS_OK or PS_ERR_CRYPTO. Idempotent. */
PS_MUST_CHECK int cry_init(void);

/* True when the build is the fuzz-only one with a null AEAD. */
bool cry_fuzzing_build(void);

/* ---- hashes ---------------------------------------------------------------- */

enum cry_hash_id { CRY_HASH_SHA256, CRY_HASH_SHA512, CRY_HASH_BLAKE2S, CRY_HASH_BLAKE2B };

/* The library's state for any of the four hashes. */
struct cry_hash_ctx {
	enum cry_hash_id id;
	_Alignas(64) uint8_t state[384];
};

/* HASHLEN (32 or 64) and BLOCKLEN (64 or 128) as the Noise spec names them. */
size_t cry_hash_len(enum cry_hash_id id);
size_t cry_hash_blocklen(enum cry_hash_id id);

/* Streaming hash. final writes cry_hash_len(id) bytes to out and wipes ctx. */
void cry_hash_init(struct cry_hash_ctx *ctx, enum cry_hash_id id);
void cry_hash_update(struct cry_hash_ctx *ctx, const uint8_t *in, size_t len);
void cry_hash_final(struct cry_hash_ctx *ctx, uint8_t *out);

/* One-shot hash of (in, len). */
void cry_hash(enum cry_hash_id id, uint8_t *out, const uint8_t *in, size_t len);

/* HMAC-HASH(key, data1 || data2), RFC 2104 over the chosen hash; out gets
 * cry_hash_len(id) bytes. keylen at most cry_hash_blocklen(id) bytes is not
 * required: longer keys are hashed first as HMAC specifies. */
void cry_hmac(enum cry_hash_id id, uint8_t *out, const uint8_t *key, size_t keylen,
	      const uint8_t *data1, size_t len1, const uint8_t *data2, size_t len2);

/* An HMAC key with the hash states after the inner (key ^ ipad) and outer
 * (key ^ opad) blocks precomputed, for several HMACs under one key (Noise's
 * HKDF computes two or three under temp_key): each then costs the data and
 * two final blocks instead of also hashing both pad blocks again. */
struct cry_hmac_key {
	struct cry_hash_ctx inner;
	struct cry_hash_ctx outer;
};

/* Prepare hk for HMAC-HASH(key, .) (keys longer than the block are hashed
 * first, as in cry_hmac). Wipe it with cry_hmac_key_wipe. */
void cry_hmac_key_init(struct cry_hmac_key *hk, enum cry_hash_id id, const uint8_t *key,
		       size_t keylen);

/* HMAC-HASH(key, data1 || data2) under a prepared key; out gets
 * cry_hash_len(id) bytes. hk is not changed. */
void cry_hmac_with_key(const struct cry_hmac_key *hk, uint8_t *out, const uint8_t *data1,
		       size_t len1, const uint8_t *data2, size_t len2);

void cry_hmac_key_wipe(struct cry_hmac_key *hk);

/* SHA-256(in) and SHA-256(SHA-256(in)), the Bitcoin checksum's base. */
void cry_sha256(uint8_t out[32], const uint8_t *in, size_t len);
void cry_sha256d(uint8_t out[32], const uint8_t *in, size_t len);

/* Keyed or unkeyed BLAKE2s (outlen 1..32, keylen 0..32) and BLAKE2b
 * (outlen 1..64, keylen 0..64). Returns PS_OK or PS_ERR_INVALID_ARG. */
PS_MUST_CHECK int cry_blake2s(uint8_t *out, size_t outlen, const uint8_t *key, size_t keylen,
			      const uint8_t *in, size_t len);
PS_MUST_CHECK int cry_blake2b(uint8_t *out, size_t outlen, const uint8_t *key, size_t keylen,
			      const uint8_t *in, size_t len);

/* ---- X25519 ------------------------------------------------------------------ */

/* pub = X25519(priv, 9), RFC 7748 section 6.1's key generation (priv
 * clamped as section 5 says), by a fixed-base method: a table of multiples
 * of the Ed25519 base point, whose Montgomery image is u = 9 (a quarter of
 * the ladder's cost; crypto/x25519_base.h). Constant time in priv. Returns
 * PS_OK (it cannot fail; the int keeps the contract of a key generation). */
PS_MUST_CHECK int cry_x25519_base(uint8_t pub[32], const uint8_t priv[32]);

/* The same value by libsodium's Montgomery ladder
 * (crypto_scalarmult_curve25519_base): the independent implementation that
 * the tests and bench_noise compare cry_x25519_base against. Returns PS_OK
 * or PS_ERR_CRYPTO. */
PS_MUST_CHECK int cry_x25519_base_ladder(uint8_t pub[32], const uint8_t priv[32]);

/* out = X25519(priv, pub). Returns PS_OK, or PS_ERR_DH when the result is
 * all zeros (pub of low order), in which case out is zeroed. */
PS_MUST_CHECK int cry_x25519(uint8_t out[32], const uint8_t priv[32], const uint8_t pub[32]);

/* ---- AEAD -------------------------------------------------------------------- */

enum cry_aead_id { CRY_AEAD_CHACHAPOLY, CRY_AEAD_AESGCM };

/* True when the AEAD can run here (AES-GCM needs AES-NI and PCLMUL in libsodium). */
bool cry_aead_available(enum cry_aead_id id);

/* Encrypt (pt, ptlen) into out (ptlen + 16 bytes: ciphertext || tag) with a
 * 12-byte nonce. out may equal pt. Returns PS_OK, PS_ERR_UNSUPPORTED. */
PS_MUST_CHECK int cry_aead_encrypt(enum cry_aead_id id, uint8_t *out, const uint8_t key[32],
				   const uint8_t nonce[12], const uint8_t *ad, size_t adlen,
				   const uint8_t *pt, size_t ptlen);

/* Decrypt (ct, ctlen) (ctlen >= 16) into out (ctlen - 16 bytes); out may
 * equal ct. The tag is
 * checked before any plaintext is produced; on failure out holds zeros. Returns PS_OK,
 * PS_ERR_DECRYPT, PS_ERR_BAD_SIZE (ctlen < 16), PS_ERR_UNSUPPORTED. */
PS_MUST_CHECK int cry_aead_decrypt(enum cry_aead_id id, uint8_t *out, const uint8_t key[32],
				   const uint8_t nonce[12], const uint8_t *ad, size_t adlen,
				   const uint8_t *ct, size_t ctlen);

/* ---- ChaCha20 and HKDF (BIP324) ------------------------------------------------ */

#define CRY_CHACHA20_KEYLEN   32
#define CRY_CHACHA20_NONCELEN 12
#define CRY_CHACHA20_BLOCKLEN 64

/* out = in XOR the RFC 8439 ChaCha20 keystream for (key, 96-bit nonce),
 * starting at 64-byte block number counter (RFC 8439 section 2.4). out may
 * equal in; in may be NULL only with len 0. Fuzz builds: a plain copy (the
 * keystream is all zeros). Returns PS_OK, or PS_ERR_INVALID_ARG when the
 * 32-bit block counter would wrap inside (len bytes from counter). */
PS_MUST_CHECK int cry_chacha20_xor_ic(uint8_t *out, const uint8_t *in, size_t len,
				      const uint8_t key[32], const uint8_t nonce[12],
				      uint32_t counter);

/* ---- Poly1305, streaming (RFC 8439 section 2.5) ---------------------------------
 *
 * For an AEAD that must authenticate a ciphertext too long to hold (BIP324
 * packets of up to 4,000,013 bytes, btc/v2cipher.h): the one-time key, then
 * the message in pieces of any size, then the tag. Fuzz builds: final
 * writes an all-zero tag whatever the key and message, as the null AEAD
 * above does, so a streamed decryption agrees with cry_aead_decrypt there. */
#define CRY_POLY1305_KEYLEN 32
#define CRY_POLY1305_TAGLEN 16

struct cry_poly1305 {
	_Alignas(16) uint8_t state[256];
};

/* Start a MAC under the 32-byte one-time key. Wipe with final (or
 * cry_memzero). */
void cry_poly1305_init(struct cry_poly1305 *st, const uint8_t key[32]);

/* Add (in, len) to the message; in may be NULL only with len 0. */
void cry_poly1305_update(struct cry_poly1305 *st, const uint8_t *in, size_t len);

/* tag = Poly1305 of everything added; st is wiped. */
void cry_poly1305_final(struct cry_poly1305 *st, uint8_t tag[16]);

#define CRY_SHA256_LEN 32

/* HKDF-Extract (RFC 5869 section 2.2) with HMAC-SHA-256:
 * prk = HMAC-SHA-256(salt, ikm). salt may be NULL with saltlen 0 (RFC 5869:
 * then a string of HashLen zeros, which HMAC pads to the same key). */
void cry_hkdf_sha256_extract(uint8_t prk[32], const uint8_t *salt, size_t saltlen,
			     const uint8_t *ikm, size_t ikmlen);

/* HKDF-Expand (RFC 5869 section 2.3) with HMAC-SHA-256: outlen bytes of
 * T(1) || T(2) || ... with T(i) = HMAC(prk, T(i-1) || info || i). Returns
 * PS_OK, or PS_ERR_INVALID_ARG when outlen > 255 * 32 (RFC 5869: "L <= 255*HashLen"),
 * out untouched. */
PS_MUST_CHECK int cry_hkdf_sha256_expand(uint8_t *out, size_t outlen, const uint8_t prk[32],
					 const uint8_t *info, size_t infolen);

/* ---- randomness and secrets ---------------------------------------------------- */

/* Fill out with n bytes from the OS CSPRNG. Only the program shell calls this;
 * protocol code gets randomness through its RNG callback. */
void cry_random(uint8_t *out, size_t n);

/* The RNG callback type that sans-I/O code receives. */
typedef void (*ps_rng_fn)(void *ctx, uint8_t *out, size_t n);

/* A ps_rng_fn over cry_random (ctx unused). */
void cry_rng(void *ctx, uint8_t *out, size_t n);

/* Wipe n bytes so the compiler cannot elide it. */
void cry_memzero(void *p, size_t n);

/* Constant-time equality of two n-byte buffers. */
bool cry_memeq(const void *a, const void *b, size_t n);

#endif
