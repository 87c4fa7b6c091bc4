#include "noise/cipher.h"

#include <string.h>

#include "core/cursor.h"

enum cry_aead_id noise_cs_aead(enum noise_cipher cipher)
{
	return cipher == NOISE_CIPHER_AESGCM ? CRY_AEAD_AESGCM : CRY_AEAD_CHACHAPOLY;
}

/* 32 zero bits, then n: little-endian for ChaChaPoly, big-endian for AESGCM. */
static void format_nonce(uint8_t nonce[12], enum noise_cipher cipher, uint64_t n)
{
	memset(nonce, 0, 4);
	if (cipher == NOISE_CIPHER_AESGCM) {
		for (int i = 0; i < 8; i++)
			nonce[4 + i] = (uint8_t)(n >> (56 - 8 * i));
	} else {
		ps_store_u64le(nonce + 4, n);
	}
}

void noise_cs_init(struct noise_cs *cs, enum noise_cipher cipher)
{
	cry_memzero(cs->k, sizeof(cs->k));
	cs->n = 0;
	cs->has_key = false;
	cs->cipher = cipher;
}

void noise_cs_initialize_key(struct noise_cs *cs, const uint8_t key[NOISE_KEYLEN])
{
	if (cs->k != key)
		memcpy(cs->k, key, NOISE_KEYLEN);
	cs->n = 0;
	cs->has_key = true;
}

bool noise_cs_has_key(const struct noise_cs *cs)
{
	return cs->has_key;
}

void noise_cs_set_nonce(struct noise_cs *cs, uint64_t nonce)
{
	cs->n = nonce;
}

int noise_cs_encrypt_with_ad(struct noise_cs *cs, uint8_t *out, size_t cap, size_t *outlen,
			     const uint8_t *ad, size_t adlen, const uint8_t *pt, size_t ptlen)
{
	uint8_t nonce[12];
	int r;

	if (!cs->has_key) {
		if (ptlen > NOISE_MAX_MSG)
			return PS_ERR_TOO_LARGE;
		if (cap < ptlen)
			return PS_ERR_NOBUF;
		if (ptlen && out != pt)
			memmove(out, pt, ptlen);
		*outlen = ptlen;
		return PS_OK;
	}
	if (ptlen > NOISE_MAX_MSG - NOISE_TAGLEN)
		return PS_ERR_TOO_LARGE;
	if (cap < ptlen + NOISE_TAGLEN)
		return PS_ERR_NOBUF;
	if (cs->n == NOISE_NONCE_MAX)
		return PS_ERR_NONCE_EXHAUSTED;
	format_nonce(nonce, cs->cipher, cs->n);
	r = cry_aead_encrypt(noise_cs_aead(cs->cipher), out, cs->k, nonce, ad, adlen, pt, ptlen);
	if (r != PS_OK)
		return r;
	cs->n++;
	*outlen = ptlen + NOISE_TAGLEN;
	return PS_OK;
}

int noise_cs_decrypt_with_ad(struct noise_cs *cs, uint8_t *out, size_t cap, size_t *outlen,
			     const uint8_t *ad, size_t adlen, const uint8_t *ct, size_t ctlen)
{
	uint8_t nonce[12];
	int r;

	if (ctlen > NOISE_MAX_MSG)
		return PS_ERR_TOO_LARGE;
	if (!cs->has_key) {
		if (cap < ctlen)
			return PS_ERR_NOBUF;
		if (ctlen && out != ct)
			memmove(out, ct, ctlen);
		*outlen = ctlen;
		return PS_OK;
	}
	if (ctlen < NOISE_TAGLEN)
		return PS_ERR_BAD_SIZE;
	if (cap < ctlen - NOISE_TAGLEN)
		return PS_ERR_NOBUF;
	if (cs->n == NOISE_NONCE_MAX)
		return PS_ERR_NONCE_EXHAUSTED;
	format_nonce(nonce, cs->cipher, cs->n);
	/* cry_aead_decrypt verifies the tag before it writes any plaintext. */
	r = cry_aead_decrypt(noise_cs_aead(cs->cipher), out, cs->k, nonce, ad, adlen, ct, ctlen);
	if (r != PS_OK)
		return r;
	/* "If an authentication failure occurs in DECRYPT() then n is not
	 * incremented": only a verified message moves the nonce. */
	cs->n++;
	*outlen = ctlen - NOISE_TAGLEN;
	return PS_OK;
}

int noise_cs_rekey(struct noise_cs *cs)
{
	uint8_t nonce[12], zeros[NOISE_KEYLEN] = { 0 }, out[NOISE_KEYLEN + NOISE_TAGLEN];
	int r;

	if (!cs->has_key)
		return PS_ERR_INVALID_STATE;
	format_nonce(nonce, cs->cipher, NOISE_NONCE_MAX);
	r = cry_aead_encrypt(noise_cs_aead(cs->cipher), out, cs->k, nonce, NULL, 0, zeros,
			     sizeof(zeros));
	if (r == PS_OK)
		memcpy(cs->k, out, NOISE_KEYLEN);
	cry_memzero(out, sizeof(out));
	return r;
}

void noise_cs_wipe(struct noise_cs *cs)
{
	cry_memzero(cs->k, sizeof(cs->k));
	cs->n = 0;
	cs->has_key = false;
}
