/*
 * noise_transport - the transport decryptor: noise_cs_decrypt_with_ad (the
 * CipherState under a key, any cipher, nonces up to the reserved 2^64-1),
 * noise_ss_decrypt_and_hash (the handshake's form, hashing the ciphertext),
 * and the 2^64-1 / rekey edges.
 *
 * The ciphertext is raw input (with a tag assist: the last 16 bytes zeroed,
 * what the fuzz-only null AEAD accepts) or an honest encryption under the
 * same key and nonce, then flipped, cut or extended. Checked: the nonce
 * advances exactly on success; a failure releases no plaintext and changes
 * nothing (n, and h for the SymmetricState); sizes and caps as documented;
 * an unchanged honest ciphertext always decrypts to its plaintext.
 *
 * Built twice: null AEAD and real crypto (noise_transport_realcrypto).
 *
 * Input: key (32) | sel (1) | nonce (8) | ad | mode (1) | ciphertext or
 * plaintext and mutations...
 */
#include "nsetup.h"

#include "noise/symmetric.h"

static uint8_t ct[NOISE_MAX_MSG + 128], out[NOISE_MAX_MSG + 128];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdp f = fdp_make(data, size);
	struct noise_cs enc, dec, before;
	uint8_t key[NOISE_KEYLEN], sel, mode;
	enum noise_cipher cipher;
	const uint8_t *ad, *pt = NULL;
	size_t adlen, len, ptlen = 0, got = 77777, cap = sizeof(out);
	uint64_t nonce;
	bool must = false;
	int r;

	fuzz_crypto_init();
	fdp_bytes(&f, key, sizeof(key));
	sel = fdp_u8(&f);
	cipher = (sel & 1) && cry_aead_available(CRY_AEAD_AESGCM) ? NOISE_CIPHER_AESGCM
								  : NOISE_CIPHER_CHACHAPOLY;
	nonce = fdp_u64(&f);
	if (sel & 2) /* near the end of the nonce space */
		nonce = UINT64_MAX - (nonce & 3);
	ad = fdp_view(&f, 128, &adlen);
	mode = fdp_u8(&f);

	noise_cs_init(&dec, cipher);
	if (!(sel & 4))
		noise_cs_initialize_key(&dec, key);
	noise_cs_set_nonce(&dec, nonce);
	enc = dec;

	if (mode & 1) {
		const uint8_t *raw = fdp_view(&f, NOISE_MAX_MSG + 64, &len);
		memcpy(ct, raw, len);
		if ((mode & 2) && len >= NOISE_TAGLEN)
			memset(ct + len - NOISE_TAGLEN, 0, NOISE_TAGLEN);
	} else {
		pt = fdp_view(&f, 4000, &ptlen);
		r = noise_cs_encrypt_with_ad(&enc, ct, sizeof(ct), &len, ad, adlen, pt, ptlen);
		if (r != PS_OK) {
			FUZZ_ASSERT(r == PS_ERR_NONCE_EXHAUSTED && nonce == NOISE_NONCE_MAX &&
				    noise_cs_has_key(&enc));
			FUZZ_ASSERT(enc.n == nonce);
			return 0;
		}
		FUZZ_ASSERT(len == ptlen + (noise_cs_has_key(&enc) ? NOISE_TAGLEN : 0));
		FUZZ_ASSERT(enc.n == nonce + noise_cs_has_key(&enc));
		must = !fuzz_noise_mutate(&f, ct, &len, sizeof(ct));
	}
	if (fdp_u8(&f) == 0xff)
		cap = fdp_below(&f, len + 1);

	/* the CipherState */
	memcpy(&before, &dec, sizeof(before));
	memset(out, 0xaa, sizeof(out));
	r = noise_cs_decrypt_with_ad(&dec, out, cap, &got, ad, adlen, ct, len);
	if (!noise_cs_has_key(&before)) {
		/* no key: a copy, n unchanged */
		if (len > NOISE_MAX_MSG) {
			FUZZ_ASSERT(r == PS_ERR_TOO_LARGE);
		} else if (cap < len) {
			FUZZ_ASSERT(r == PS_ERR_NOBUF);
		} else {
			FUZZ_ASSERT(r == PS_OK && got == len &&
				    (len == 0 || !memcmp(out, ct, len)));
		}
		FUZZ_ASSERT(dec.n == before.n);
	} else if (r != PS_OK) {
		FUZZ_ASSERT(memcmp(&dec, &before, sizeof(dec)) == 0);
		FUZZ_ASSERT(got == 77777);
		for (size_t i = 0; i < len && i < sizeof(out); i++)
			FUZZ_ASSERT(out[i] == 0xaa || out[i] == 0);
		if (len > NOISE_MAX_MSG)
			FUZZ_ASSERT(r == PS_ERR_TOO_LARGE);
		else if (len < NOISE_TAGLEN)
			FUZZ_ASSERT(r == PS_ERR_BAD_SIZE);
		else if (cap < len - NOISE_TAGLEN)
			FUZZ_ASSERT(r == PS_ERR_NOBUF);
		else if (nonce == NOISE_NONCE_MAX)
			FUZZ_ASSERT(r == PS_ERR_NONCE_EXHAUSTED);
		else
			FUZZ_ASSERT(r == PS_ERR_DECRYPT && !must);
	} else {
		FUZZ_ASSERT(nonce != NOISE_NONCE_MAX && len >= NOISE_TAGLEN &&
			    len <= NOISE_MAX_MSG);
		FUZZ_ASSERT(got == len - NOISE_TAGLEN && dec.n == nonce + 1);
		if (must)
			FUZZ_ASSERT(got == ptlen && (got == 0 || memcmp(out, pt, got) == 0));
		if (cry_fuzzing_build()) /* the null AEAD: a copy */
			FUZZ_ASSERT(got == 0 || memcmp(out, ct, got) == 0);
	}

	/* the SymmetricState form: h mixes the ciphertext only on success */
	if (len <= NOISE_MAX_MSG) {
		struct noise_ss ss, ss0;
		noise_ss_init(&ss, CRY_HASH_BLAKE2S, cipher, (const uint8_t *)"fuzz", 4);
		ss.cs = before;
		memcpy(&ss0, &ss, sizeof(ss0));
		r = noise_ss_decrypt_and_hash(&ss, out, sizeof(out), &got, ct, len);
		if (r != PS_OK)
			FUZZ_ASSERT(memcmp(&ss, &ss0, sizeof(ss)) == 0);
		else
			FUZZ_ASSERT(memcmp(ss.h, ss0.h, 32) != 0);
		noise_ss_wipe(&ss);
	}

	/* encryption's refusals: too large, too small a buffer; nothing moves */
	{
		struct noise_cs e2;
		size_t k = 4242, need = noise_cs_has_key(&before) ? NOISE_TAGLEN : 0;
		memcpy(&e2, &before, sizeof(e2));
		FUZZ_ASSERT(noise_cs_encrypt_with_ad(&e2, out, sizeof(out), &k, ad, adlen, ct,
						     NOISE_MAX_MSG - need + 1) == PS_ERR_TOO_LARGE);
		if (len + need > 0 && len <= NOISE_MAX_MSG - need)
			FUZZ_ASSERT(noise_cs_encrypt_with_ad(&e2, out, len + need - 1, &k, ad,
							     adlen, ct, len) == PS_ERR_NOBUF);
		FUZZ_ASSERT(k == 4242 && memcmp(&e2, &before, sizeof(e2)) == 0);
	}

	/* rekey keeps n and the two sides in step */
	if (noise_cs_has_key(&before) && (mode & 4)) {
		struct noise_cs a = before, b = before;
		size_t k1, k2;
		FUZZ_ASSERT(noise_cs_rekey(&a) == PS_OK && noise_cs_rekey(&b) == PS_OK);
		FUZZ_ASSERT(a.n == before.n && memcmp(a.k, b.k, NOISE_KEYLEN) == 0);
		if (before.n != NOISE_NONCE_MAX && len <= 1024) {
			FUZZ_ASSERT(noise_cs_encrypt_with_ad(&a, ct, sizeof(ct), &k1, ad, adlen,
							     out, len) == PS_OK);
			FUZZ_ASSERT(noise_cs_decrypt_with_ad(&b, out, sizeof(out), &k2, ad, adlen,
							     ct, k1) == PS_OK);
			FUZZ_ASSERT(k2 == len);
		}
	} else if (!noise_cs_has_key(&before)) {
		struct noise_cs a = before;
		FUZZ_ASSERT(noise_cs_rekey(&a) == PS_ERR_INVALID_STATE);
	}
	noise_cs_wipe(&dec);
	noise_cs_wipe(&enc);
	return 0;
}
