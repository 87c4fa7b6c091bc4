#include "noise/symmetric.h"

#include <string.h>

/* HKDF(chaining_key, input_key_material, num_outputs), section 4.3:
 *   temp_key = HMAC-HASH(chaining_key, input_key_material)
 *   output1  = HMAC-HASH(temp_key, byte(0x01))
 *   output2  = HMAC-HASH(temp_key, output1 || byte(0x02))
 *   output3  = HMAC-HASH(temp_key, output2 || byte(0x03))   (out3 != NULL)
 * ck may alias out1: it is read before out1 is written. */
static void hkdf(enum cry_hash_id id, uint8_t *out1, uint8_t *out2, uint8_t *out3,
		 const uint8_t *ck, const uint8_t *ikm, size_t ikmlen)
{
	static const uint8_t one = 0x01, two = 0x02, three = 0x03;
	size_t hlen = cry_hash_len(id);
	uint8_t temp[NOISE_MAXHASHLEN];
	struct cry_hmac_key temp_key;

	cry_hmac(id, temp, ck, hlen, ikm, ikmlen, NULL, 0);
	cry_hmac_key_init(&temp_key, id, temp, hlen);
	cry_hmac_with_key(&temp_key, out1, &one, 1, NULL, 0);
	cry_hmac_with_key(&temp_key, out2, out1, hlen, &two, 1);
	if (out3)
		cry_hmac_with_key(&temp_key, out3, out2, hlen, &three, 1);
	cry_hmac_key_wipe(&temp_key);
	cry_memzero(temp, sizeof(temp));
}

void noise_ss_initial_hash(uint8_t h0[NOISE_MAXHASHLEN], enum cry_hash_id hash, const uint8_t *name,
			   size_t len)
{
	size_t hlen = cry_hash_len(hash);

	memset(h0, 0, NOISE_MAXHASHLEN);
	if (len <= hlen)
		memcpy(h0, name, len);
	else
		cry_hash(hash, h0, name, len);
}

void noise_ss_init_from_hash(struct noise_ss *ss, enum cry_hash_id hash, enum noise_cipher cipher,
			     const uint8_t *h0)
{
	ss->hash = hash;
	ss->hashlen = cry_hash_len(hash);
	memset(ss->h, 0, sizeof(ss->h));
	memcpy(ss->h, h0, ss->hashlen);
	memcpy(ss->ck, ss->h, sizeof(ss->ck));
	noise_cs_init(&ss->cs, cipher);
}

void noise_ss_init(struct noise_ss *ss, enum cry_hash_id hash, enum noise_cipher cipher,
		   const uint8_t *name, size_t len)
{
	uint8_t h0[NOISE_MAXHASHLEN];

	noise_ss_initial_hash(h0, hash, name, len);
	noise_ss_init_from_hash(ss, hash, cipher, h0);
}

void noise_ss_mix_key(struct noise_ss *ss, const uint8_t *ikm, size_t len)
{
	uint8_t temp_k[NOISE_MAXHASHLEN];

	hkdf(ss->hash, ss->ck, temp_k, NULL, ss->ck, ikm, len);
	noise_cs_initialize_key(&ss->cs, temp_k);
	cry_memzero(temp_k, sizeof(temp_k));
}

void noise_ss_mix_hash(struct noise_ss *ss, const uint8_t *data, size_t len)
{
	struct cry_hash_ctx ctx;

	cry_hash_init(&ctx, ss->hash);
	cry_hash_update(&ctx, ss->h, ss->hashlen);
	cry_hash_update(&ctx, data, len);
	cry_hash_final(&ctx, ss->h);
}

void noise_ss_mix_key_and_hash(struct noise_ss *ss, const uint8_t *ikm, size_t len)
{
	uint8_t temp_h[NOISE_MAXHASHLEN], temp_k[NOISE_MAXHASHLEN];

	hkdf(ss->hash, ss->ck, temp_h, temp_k, ss->ck, ikm, len);
	noise_ss_mix_hash(ss, temp_h, ss->hashlen);
	noise_cs_initialize_key(&ss->cs, temp_k);
	cry_memzero(temp_h, sizeof(temp_h));
	cry_memzero(temp_k, sizeof(temp_k));
}

const uint8_t *noise_ss_handshake_hash(const struct noise_ss *ss, size_t *len)
{
	*len = ss->hashlen;
	return ss->h;
}

int noise_ss_encrypt_and_hash(struct noise_ss *ss, uint8_t *out, size_t cap, size_t *outlen,
			      const uint8_t *pt, size_t ptlen)
{
	int r = noise_cs_encrypt_with_ad(&ss->cs, out, cap, outlen, ss->h, ss->hashlen, pt, ptlen);
	if (r == PS_OK)
		noise_ss_mix_hash(ss, out, *outlen);
	return r;
}

int noise_ss_decrypt_and_hash(struct noise_ss *ss, uint8_t *out, size_t cap, size_t *outlen,
			      const uint8_t *ct, size_t ctlen)
{
	int r = noise_cs_decrypt_with_ad(&ss->cs, out, cap, outlen, ss->h, ss->hashlen, ct, ctlen);
	if (r == PS_OK)
		noise_ss_mix_hash(ss, ct, ctlen);
	return r;
}

void noise_ss_split(struct noise_ss *ss, struct noise_cs *c1, struct noise_cs *c2)
{
	uint8_t k1[NOISE_MAXHASHLEN], k2[NOISE_MAXHASHLEN];

	hkdf(ss->hash, k1, k2, NULL, ss->ck, NULL, 0);
	noise_cs_init(c1, ss->cs.cipher);
	noise_cs_init(c2, ss->cs.cipher);
	noise_cs_initialize_key(c1, k1);
	noise_cs_initialize_key(c2, k2);
	cry_memzero(k1, sizeof(k1));
	cry_memzero(k2, sizeof(k2));
	cry_memzero(ss->ck, sizeof(ss->ck));
	noise_cs_wipe(&ss->cs);
}

void noise_ss_wipe(struct noise_ss *ss)
{
	cry_memzero(ss->ck, sizeof(ss->ck));
	cry_memzero(ss->h, sizeof(ss->h));
	noise_cs_wipe(&ss->cs);
}
