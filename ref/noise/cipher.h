/*
 * cipher.h - the Noise CipherState (specification revision 34, section 5.1).
 *
 * A key k (32 bytes, or empty) and a 64-bit nonce n. ChaChaPoly forms its
 * 96-bit nonce as 32 zero bits + n little-endian, AESGCM as 32 zero bits +
 * n big-endian (section 12.3, 12.4); both go through cry_aead_*.
 *
 * Every ciphertext is a Noise message or part of one, so it is at most
 * NOISE_MAX_MSG (65535) bytes: a plaintext over NOISE_MAX_MSG - 16 bytes and
 * a ciphertext over NOISE_MAX_MSG bytes are refused (PS_ERR_TOO_LARGE).
 *
 * Buffers: out and in may be the same pointer (in-place); they may not
 * overlap otherwise.
 */
#ifndef PS_NOISE_CIPHER_H
#define PS_NOISE_CIPHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "crypto/crypto.h"

#define NOISE_KEYLEN  32
#define NOISE_TAGLEN  16
#define NOISE_MAX_MSG 65535
/* "The maximum n value (2^64-1) is reserved for other use." */
#define NOISE_NONCE_MAX UINT64_MAX

enum noise_cipher { NOISE_CIPHER_CHACHAPOLY, NOISE_CIPHER_AESGCM };

struct noise_cs {
	uint8_t k[NOISE_KEYLEN];
	uint64_t n;
	bool has_key;
	enum noise_cipher cipher;
};

/* A CipherState for cipher with an empty key (InitializeKey(empty)). */
void noise_cs_init(struct noise_cs *cs, enum noise_cipher cipher);

/* InitializeKey(key): k = key, n = 0. */
void noise_cs_initialize_key(struct noise_cs *cs, const uint8_t key[NOISE_KEYLEN]);

/* HasKey(). */
bool noise_cs_has_key(const struct noise_cs *cs);

/* SetNonce(nonce). */
void noise_cs_set_nonce(struct noise_cs *cs, uint64_t nonce);

/* EncryptWithAd(ad, plaintext) into out (capacity cap), *outlen = ptlen + 16
 * with a key, ptlen without (then out is a copy of pt and n is unchanged).
 * On any error nothing is written and n is unchanged.
 * Returns PS_OK, PS_ERR_NONCE_EXHAUSTED (n is 2^64-1), PS_ERR_TOO_LARGE
 * (output over 65535 bytes), PS_ERR_NOBUF (cap too small),
 * PS_ERR_UNSUPPORTED (cipher not available here), PS_ERR_CRYPTO. */
PS_MUST_CHECK int noise_cs_encrypt_with_ad(struct noise_cs *cs, uint8_t *out, size_t cap,
					   size_t *outlen, const uint8_t *ad, size_t adlen,
					   const uint8_t *pt, size_t ptlen);

/* DecryptWithAd(ad, ciphertext) into out (capacity cap), *outlen = ctlen - 16
 * with a key, ctlen without. The tag is verified before any plaintext is
 * released; on failure n is not incremented (section 5.1) and out holds no
 * plaintext (zeros where the AEAD ran).
 * Returns PS_OK, PS_ERR_DECRYPT (tag did not verify), PS_ERR_BAD_SIZE
 * (ctlen < 16 with a key), PS_ERR_NONCE_EXHAUSTED, PS_ERR_TOO_LARGE
 * (ctlen > 65535), PS_ERR_NOBUF, PS_ERR_UNSUPPORTED. */
PS_MUST_CHECK int noise_cs_decrypt_with_ad(struct noise_cs *cs, uint8_t *out, size_t cap,
					   size_t *outlen, const uint8_t *ad, size_t adlen,
					   const uint8_t *ct, size_t ctlen);

/* Rekey(): k = REKEY(k), the first 32 bytes of ENCRYPT(k, 2^64-1, zerolen,
 * zeros) (section 4.2); n is unchanged (section 11.3).
 * Returns PS_OK, PS_ERR_INVALID_STATE (no key), PS_ERR_UNSUPPORTED,
 * PS_ERR_CRYPTO. */
PS_MUST_CHECK int noise_cs_rekey(struct noise_cs *cs);

/* Wipe the key; the state is empty afterwards. */
void noise_cs_wipe(struct noise_cs *cs);

/* The AEAD of cipher, for callers that check availability. */
enum cry_aead_id noise_cs_aead(enum noise_cipher cipher);

#endif
