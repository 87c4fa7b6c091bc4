/*
 * symmetric.h - the Noise SymmetricState (specification revision 34,
 * section 5.2): a CipherState plus the chaining key ck and the hash h.
 *
 * HASH is one of SHA256, SHA512, BLAKE2s, BLAKE2b (HASHLEN 32 or 64);
 * HMAC-HASH and HKDF are those of section 4.3, over cry_hmac. Where HASHLEN
 * is 64, cipher keys taken from HKDF outputs are truncated to 32 bytes.
 */
#ifndef PS_NOISE_SYMMETRIC_H
#define PS_NOISE_SYMMETRIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "crypto/crypto.h"
#include "noise/cipher.h"

#define NOISE_MAXHASHLEN CRY_MAXHASHLEN

struct noise_ss {
	struct noise_cs cs;
	enum cry_hash_id hash;
	size_t hashlen;
	uint8_t ck[NOISE_MAXHASHLEN];
	uint8_t h[NOISE_MAXHASHLEN];
};

/* The h that InitializeSymmetric(protocol_name) starts from: the name padded
 * with zeros to HASHLEN when it fits, else HASH(name). h0 gets HASHLEN bytes.
 * Callers that start many handshakes compute it once (noise_protocol does). */
void noise_ss_initial_hash(uint8_t h0[NOISE_MAXHASHLEN], enum cry_hash_id hash, const uint8_t *name,
			   size_t len);

/* InitializeSymmetric(protocol_name): h = noise_ss_initial_hash(name), ck = h,
 * InitializeKey(empty). */
void noise_ss_init(struct noise_ss *ss, enum cry_hash_id hash, enum noise_cipher cipher,
		   const uint8_t *name, size_t len);

/* The same from a precomputed h0 (HASHLEN bytes). */
void noise_ss_init_from_hash(struct noise_ss *ss, enum cry_hash_id hash, enum noise_cipher cipher,
			     const uint8_t *h0);

/* MixKey(ikm): ck, temp_k = HKDF(ck, ikm, 2); InitializeKey(temp_k[0..32]). */
void noise_ss_mix_key(struct noise_ss *ss, const uint8_t *ikm, size_t len);

/* MixHash(data): h = HASH(h || data). */
void noise_ss_mix_hash(struct noise_ss *ss, const uint8_t *data, size_t len);

/* MixKeyAndHash(ikm): ck, temp_h, temp_k = HKDF(ck, ikm, 3); MixHash(temp_h);
 * InitializeKey(temp_k[0..32]). */
void noise_ss_mix_key_and_hash(struct noise_ss *ss, const uint8_t *ikm, size_t len);

/* GetHandshakeHash(): h, *len = HASHLEN. Points into ss. */
const uint8_t *noise_ss_handshake_hash(const struct noise_ss *ss, size_t *len);

/* EncryptAndHash(plaintext): out = EncryptWithAd(h, pt); MixHash(out).
 * Errors as noise_cs_encrypt_with_ad; on error ss is unchanged. */
PS_MUST_CHECK int noise_ss_encrypt_and_hash(struct noise_ss *ss, uint8_t *out, size_t cap,
					    size_t *outlen, const uint8_t *pt, size_t ptlen);

/* DecryptAndHash(ciphertext): out = DecryptWithAd(h, ct); MixHash(ct).
 * Errors as noise_cs_decrypt_with_ad; on error ss is unchanged and no
 * plaintext is released. ct and out may not overlap (h mixes ct after). */
PS_MUST_CHECK int noise_ss_decrypt_and_hash(struct noise_ss *ss, uint8_t *out, size_t cap,
					    size_t *outlen, const uint8_t *ct, size_t ctlen);

/* Split(): temp_k1, temp_k2 = HKDF(ck, zerolen, 2); c1 and c2 keyed with
 * their first 32 bytes. c1 encrypts initiator -> responder. ck is wiped. */
void noise_ss_split(struct noise_ss *ss, struct noise_cs *c1, struct noise_cs *c2);

/* Wipe ck, h and the key. */
void noise_ss_wipe(struct noise_ss *ss);

#endif
