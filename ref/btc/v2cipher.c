/*
 * v2cipher.c - the BIP324 cipher suite (v2cipher.h), on cry_* only.
 *
 * The BIP's pseudo-code, quoted above the lines that follow it:
 *   FSChaCha20            btc_v2c_fsc20_*
 *   FSChaCha20Poly1305    btc_v2c_fsaead_*
 *   initialize_v2_transport  btc_v2c_derive_keys + btc_v2c_init_keys
 *   v2_enc_packet         btc_v2c_encrypt
 *   v2_receive_packet     btc_v2c_decrypt_length + btc_v2c_decrypt
 */
#include "btc/v2cipher.h"

#include <string.h>

#include "core/cursor.h"
#include "crypto/crypto.h"
#include "crypto/secp.h"

_Static_assert(BTC_V2_TAG_LEN == CRY_AEAD_TAGLEN, "the AEAD's tag");
_Static_assert(BTC_V2_ELLSWIFT_LEN == CRY_ELLSWIFT_LEN, "an ellswift encoding");

/* ---- FSChaCha20 ---- */

void btc_v2c_fsc20_init(struct btc_v2c_fsc20 *c, const uint8_t key[32])
{
	memset(c, 0, sizeof(*c));
	memcpy(c->key, key, BTC_V2_KEY_LEN);
	c->ks_used = sizeof(c->ks);
}

/* The next keystream block: "nonce = ((0).to_bytes(4, 'little') +
 * (self.chunk_counter // REKEY_INTERVAL).to_bytes(8, 'little'))
 * self.keystream += chacha20_block(self.key, nonce, self.block_counter)
 * self.block_counter += 1" */
static int fsc20_block(struct btc_v2c_fsc20 *c)
{
	uint8_t nonce[CRY_CHACHA20_NONCELEN];
	int r;

	memset(nonce, 0, 4);
	ps_store_u64le(nonce + 4, c->chunk_counter / BTC_V2_REKEY_INTERVAL);
	memset(c->ks, 0, sizeof(c->ks));
	r = cry_chacha20_xor_ic(c->ks, c->ks, sizeof(c->ks), c->key, nonce, c->block_counter);
	if (r != PS_OK)
		return r;
	c->block_counter++;
	c->ks_used = 0;
	return PS_OK;
}

/* out = in XOR the next n keystream bytes (in NULL: the keystream itself). */
static int fsc20_xor(struct btc_v2c_fsc20 *c, uint8_t *out, const uint8_t *in, size_t n)
{
	int r;

	for (size_t i = 0; i < n; i++) {
		if (c->ks_used == sizeof(c->ks) && (r = fsc20_block(c)) != PS_OK)
			return r;
		out[i] = (uint8_t)((in ? in[i] : 0) ^ c->ks[c->ks_used++]);
	}
	return PS_OK;
}

int btc_v2c_fsc20_crypt(struct btc_v2c_fsc20 *c, uint8_t *out, const uint8_t *in, size_t len)
{
	bool rekey = (c->chunk_counter + 1) % BTC_V2_REKEY_INTERVAL == 0;
	uint64_t need = (uint64_t)len + (rekey ? BTC_V2_KEY_LEN : 0);
	uint64_t have = sizeof(c->ks) - c->ks_used;
	uint64_t blocks = need > have ? (need - have + 63) / 64 : 0;
	int r;

	/* Validate first: the 32-bit block counter of one epoch must not
	 * wrap (only chunks of about 2^38 bytes could make it). */
	if (blocks > ((uint64_t)1 << 32) - c->block_counter)
		return PS_ERR_NONCE_EXHAUSTED;
	/* "ks = self.get_keystream_bytes(len(chunk))
	 *  ret = bytes([ks[i] ^ chunk[i] for i in range(len(chunk))])" */
	if ((r = fsc20_xor(c, out, in, len)) != PS_OK)
		return r;
	/* "if ((self.chunk_counter + 1) % REKEY_INTERVAL) == 0:
	 *      self.key = self.get_keystream_bytes(32)
	 *      self.block_counter = 0" */
	if (rekey) {
		uint8_t key[BTC_V2_KEY_LEN];

		r = fsc20_xor(c, key, NULL, sizeof(key));
		if (r == PS_OK)
			memcpy(c->key, key, sizeof(key));
		cry_memzero(key, sizeof(key));
		if (r != PS_OK)
			return r;
		c->block_counter = 0;
		/* The keystream left of the old key is dropped, as Bitcoin
		 * Core's ChaCha20::SetKey drops it. With 3-byte chunks none
		 * is left: 224 * 3 + 32 = 704 = 11 blocks exactly. */
		cry_memzero(c->ks, sizeof(c->ks));
		c->ks_used = sizeof(c->ks);
	}
	/* "self.chunk_counter += 1" */
	c->chunk_counter++;
	return PS_OK;
}

void btc_v2c_fsc20_wipe(struct btc_v2c_fsc20 *c)
{
	cry_memzero(c, sizeof(*c));
}

/* ---- FSChaCha20Poly1305 ---- */

void btc_v2c_fsaead_init(struct btc_v2c_fsaead *a, const uint8_t key[32])
{
	memset(a, 0, sizeof(*a));
	memcpy(a->key, key, BTC_V2_KEY_LEN);
}

/* "nonce = ((self.packet_counter % REKEY_INTERVAL).to_bytes(4, 'little') +
 *          (self.packet_counter // REKEY_INTERVAL).to_bytes(8, 'little'))" */
static void fsaead_nonce(const struct btc_v2c_fsaead *a, uint8_t nonce[12])
{
	ps_store_u32le(nonce, a->packet_counter);
	ps_store_u64le(nonce + 4, a->rekey_counter);
}

/* "if (self.packet_counter + 1) % REKEY_INTERVAL == 0:
 *      rekey_nonce = b"\xFF\xFF\xFF\xFF" + nonce[4:]
 *      self.key = aead_chacha20_poly1305_encrypt(self.key, rekey_nonce, b"", b"\x00" * 32)[:32]
 *  self.packet_counter += 1" */
static int fsaead_advance(struct btc_v2c_fsaead *a)
{
	uint8_t nonce[CRY_CHACHA20_NONCELEN], buf[BTC_V2_KEY_LEN + CRY_AEAD_TAGLEN];
	int r = PS_OK;

	if (a->packet_counter + 1 < BTC_V2_REKEY_INTERVAL) {
		a->packet_counter++;
		return PS_OK;
	}
	memset(nonce, 0xff, 4);
	ps_store_u64le(nonce + 4, a->rekey_counter);
	memset(buf, 0, BTC_V2_KEY_LEN);
	r = cry_aead_encrypt(CRY_AEAD_CHACHAPOLY, buf, a->key, nonce, NULL, 0, buf, BTC_V2_KEY_LEN);
	if (r == PS_OK)
		memcpy(a->key, buf, BTC_V2_KEY_LEN);
	cry_memzero(buf, sizeof(buf));
	/* The epoch is 8 bytes: it cannot wrap in 2^64 * 224 packets. */
	a->packet_counter = 0;
	a->rekey_counter++;
	return r;
}

int btc_v2c_fsaead_encrypt(struct btc_v2c_fsaead *a, uint8_t *out, const uint8_t *aad,
			   size_t aadlen, const uint8_t *pt, size_t ptlen)
{
	uint8_t nonce[CRY_CHACHA20_NONCELEN];
	int r, r2;

	fsaead_nonce(a, nonce);
	r = cry_aead_encrypt(CRY_AEAD_CHACHAPOLY, out, a->key, nonce, aad, aadlen, pt, ptlen);
	r2 = fsaead_advance(a);
	return r != PS_OK ? r : r2;
}

int btc_v2c_fsaead_decrypt(struct btc_v2c_fsaead *a, uint8_t *out, const uint8_t *aad,
			   size_t aadlen, const uint8_t *ct, size_t ctlen)
{
	uint8_t nonce[CRY_CHACHA20_NONCELEN];
	int r, r2;

	if (ctlen < BTC_V2_TAG_LEN)
		return PS_ERR_BAD_SIZE;
	fsaead_nonce(a, nonce);
	r = cry_aead_decrypt(CRY_AEAD_CHACHAPOLY, out, a->key, nonce, aad, aadlen, ct, ctlen);
	r2 = fsaead_advance(a);
	return r != PS_OK ? r : r2;
}

void btc_v2c_fsaead_wipe(struct btc_v2c_fsaead *a)
{
	cry_memzero(a, sizeof(*a));
}

/* ---- the key schedule ---- */

int btc_v2c_derive_keys(struct btc_v2c_keys *k, const uint8_t shared_secret[32],
			const uint8_t magic[4])
{
	/* "prk = HKDF_Extract(Hash=sha256, salt=b'bitcoin_v2_shared_secret' +
	 *  NETWORK_MAGIC, ikm=ecdh_secret)" */
	static const char salt_text[] = "bitcoin_v2_shared_secret";
	static const struct {
		const char *info;
		size_t off, len;
	} labels[] = {
		{ "session_id", offsetof(struct btc_v2c_keys, session_id), 32 },
		{ "initiator_L", offsetof(struct btc_v2c_keys, initiator_l), 32 },
		{ "initiator_P", offsetof(struct btc_v2c_keys, initiator_p), 32 },
		{ "responder_L", offsetof(struct btc_v2c_keys, responder_l), 32 },
		{ "responder_P", offsetof(struct btc_v2c_keys, responder_p), 32 },
		/* "garbage_terminators = HKDF_Expand(..., info=b'garbage_terminators', L=32)
		 *  initiator_garbage_terminator = garbage_terminators[:16]
		 *  responder_garbage_terminator = garbage_terminators[16:]" */
		{ "garbage_terminators",
		  offsetof(struct btc_v2c_keys, initiator_garbage_terminator), 32 },
	};
	_Static_assert(offsetof(struct btc_v2c_keys, responder_garbage_terminator) ==
			       offsetof(struct btc_v2c_keys, initiator_garbage_terminator) + 16,
		       "the two terminators are one 32-byte expansion");
	uint8_t salt[sizeof(salt_text) - 1 + 4], prk[CRY_SHA256_LEN];
	int r = PS_OK;

	memcpy(salt, salt_text, sizeof(salt_text) - 1);
	memcpy(salt + sizeof(salt_text) - 1, magic, 4);
	cry_hkdf_sha256_extract(prk, salt, sizeof(salt), shared_secret, 32);
	for (size_t i = 0; r == PS_OK && i < sizeof(labels) / sizeof(labels[0]); i++)
		r = cry_hkdf_sha256_expand((uint8_t *)k + labels[i].off, labels[i].len, prk,
					   (const uint8_t *)labels[i].info, strlen(labels[i].info));
	cry_memzero(prk, sizeof(prk));
	if (r != PS_OK) {
		btc_v2c_keys_wipe(k);
		return PS_ERR_CRYPTO;
	}
	return PS_OK;
}

void btc_v2c_keys_wipe(struct btc_v2c_keys *k)
{
	cry_memzero(k, sizeof(*k));
}

/* ---- the packet cipher ---- */

void btc_v2c_init_keys(struct btc_v2c *c, const struct btc_v2c_keys *k, bool initiating)
{
	memset(c, 0, sizeof(*c));
	/* "if initiating: peer.send_L = FSChaCha20(initiator_L) ... else:
	 *  peer.send_L = FSChaCha20(responder_L) ..." */
	btc_v2c_fsc20_init(&c->send_l, initiating ? k->initiator_l : k->responder_l);
	btc_v2c_fsaead_init(&c->send_p, initiating ? k->initiator_p : k->responder_p);
	btc_v2c_fsc20_init(&c->recv_l, initiating ? k->responder_l : k->initiator_l);
	btc_v2c_fsaead_init(&c->recv_p, initiating ? k->responder_p : k->initiator_p);
	memcpy(c->send_garbage_terminator,
	       initiating ? k->initiator_garbage_terminator : k->responder_garbage_terminator,
	       BTC_V2_GARBAGE_TERM_LEN);
	memcpy(c->recv_garbage_terminator,
	       initiating ? k->responder_garbage_terminator : k->initiator_garbage_terminator,
	       BTC_V2_GARBAGE_TERM_LEN);
	memcpy(c->session_id, k->session_id, BTC_V2_SESSION_ID_LEN);
	c->state = BTC_V2C_EXPECT_LENGTH;
}

int btc_v2c_init(struct btc_v2c *c, const uint8_t priv[32], const uint8_t ellswift_ours[64],
		 const uint8_t ellswift_theirs[64], bool initiating, const uint8_t magic[4])
{
	uint8_t secret[CRY_SHA256_LEN];
	struct btc_v2c_keys k;
	int r;

	memset(c, 0, sizeof(*c));
	/* "ecdh_secret = v2_ecdh(peer.privkey_ours, ellswift_theirs,
	 *  peer.ellswift_ours, initiating=initiating)" */
	if ((r = cry_bip324_ecdh(secret, priv, ellswift_theirs, ellswift_ours, initiating)) !=
	    PS_OK)
		goto out;
	if ((r = btc_v2c_derive_keys(&k, secret, magic)) != PS_OK)
		goto out;
	btc_v2c_init_keys(c, &k, initiating);
out:
	/* "To achieve forward secrecy we must wipe the key material used to
	 *  initialize the ciphers: memory_cleanse(ecdh_secret, prk, ...)" */
	cry_memzero(secret, sizeof(secret));
	btc_v2c_keys_wipe(&k);
	if (r != PS_OK)
		btc_v2c_wipe(c);
	return r;
}

const uint8_t *btc_v2c_session_id(const struct btc_v2c *c)
{
	return c->session_id;
}

const uint8_t *btc_v2c_send_garbage_terminator(const struct btc_v2c *c)
{
	return c->send_garbage_terminator;
}

const uint8_t *btc_v2c_recv_garbage_terminator(const struct btc_v2c *c)
{
	return c->recv_garbage_terminator;
}

enum btc_v2c_state btc_v2c_get_state(const struct btc_v2c *c)
{
	return c->state;
}

/* The connection is over: keep the state for the answer, wipe the keys. */
static int fail(struct btc_v2c *c, int r)
{
	btc_v2c_fsc20_wipe(&c->send_l);
	btc_v2c_fsc20_wipe(&c->recv_l);
	btc_v2c_fsaead_wipe(&c->send_p);
	btc_v2c_fsaead_wipe(&c->recv_p);
	cry_memzero(&c->rx, sizeof(c->rx));
	c->recv_len = 0;
	c->state = BTC_V2C_FAILED;
	return r;
}

static bool usable(const struct btc_v2c *c)
{
	return c->state == BTC_V2C_EXPECT_LENGTH || c->state == BTC_V2C_EXPECT_PACKET;
}

int btc_v2c_encrypt(struct btc_v2c *c, uint8_t *out, size_t outcap, size_t *outlen,
		    const uint8_t *contents, size_t len, const uint8_t *aad, size_t aadlen,
		    bool ignore)
{
	return btc_v2c_encrypt_header(c, out, outcap, outlen, contents, len, aad, aadlen,
				      ignore ? BTC_V2_IGNORE_BIT : 0);
}

int btc_v2c_encrypt_header(struct btc_v2c *c, uint8_t *out, size_t outcap, size_t *outlen,
			   const uint8_t *contents, size_t len, const uint8_t *aad, size_t aadlen,
			   uint8_t header)
{
	uint8_t lenbytes[BTC_V2_LENGTH_LEN];
	int r;

	if (!usable(c))
		return PS_ERR_INVALID_STATE;
	/* "assert len(contents) <= 2**24 - 1" */
	if (len > BTC_V2_MAX_CONTENTS)
		return PS_ERR_TOO_LARGE;
	if (outcap < BTC_V2_EXPANSION || outcap - BTC_V2_EXPANSION < len)
		return PS_ERR_NOBUF;
	/* "header = (ignore << IGNORE_BIT_POS).to_bytes(HEADER_LEN, 'little')
	 *  plaintext = header + contents
	 *  aead_ciphertext = peer.send_P.encrypt(aad, plaintext)" */
	if (len)
		memmove(out + BTC_V2_LENGTH_LEN + BTC_V2_HEADER_LEN, contents, len);
	out[BTC_V2_LENGTH_LEN] = header;
	r = btc_v2c_fsaead_encrypt(&c->send_p, out + BTC_V2_LENGTH_LEN, aad, aadlen,
				   out + BTC_V2_LENGTH_LEN, BTC_V2_HEADER_LEN + len);
	if (r != PS_OK)
		return fail(c, r);
	/* "enc_contents_len = peer.send_L.encrypt(len(contents).to_bytes(LENGTH_FIELD_LEN,
	 * 'little')) return enc_contents_len + aead_ciphertext" */
	lenbytes[0] = (uint8_t)len;
	lenbytes[1] = (uint8_t)(len >> 8);
	lenbytes[2] = (uint8_t)(len >> 16);
	if ((r = btc_v2c_fsc20_crypt(&c->send_l, out, lenbytes, sizeof(lenbytes))) != PS_OK)
		return fail(c, r);
	*outlen = len + BTC_V2_EXPANSION;
	return PS_OK;
}

int btc_v2c_decrypt_length(struct btc_v2c *c, uint32_t *len, const uint8_t in[3])
{
	uint8_t plain[BTC_V2_LENGTH_LEN];
	int r;

	if (c->state != BTC_V2C_EXPECT_LENGTH)
		return PS_ERR_INVALID_STATE;
	/* "contents_len = int.from_bytes(peer.recv_L.crypt(enc_contents_len), 'little')" */
	if ((r = btc_v2c_fsc20_crypt(&c->recv_l, plain, in, sizeof(plain))) != PS_OK)
		return fail(c, r);
	c->recv_len = (uint32_t)plain[0] | (uint32_t)plain[1] << 8 | (uint32_t)plain[2] << 16;
	c->state = BTC_V2C_EXPECT_PACKET;
	*len = c->recv_len;
	return PS_OK;
}

int btc_v2c_decrypt(struct btc_v2c *c, bool *ignore, const uint8_t **contents, uint8_t *out,
		    size_t outcap, const uint8_t *in, size_t inlen, const uint8_t *aad,
		    size_t aadlen)
{
	int r;

	if (c->state != BTC_V2C_EXPECT_PACKET || c->rx.started)
		return PS_ERR_INVALID_STATE;
	/* "aead_ciphertext = receive(peer, HEADER_LEN + contents_len +
	 *  CHACHA20POLY1305_EXPANSION)": exactly that many, checked before
	 *  any crypto so that a wrong size changes nothing. */
	if (inlen < BTC_V2_HEADER_LEN + BTC_V2_TAG_LEN ||
	    inlen - BTC_V2_HEADER_LEN - BTC_V2_TAG_LEN != c->recv_len)
		return PS_ERR_BAD_SIZE;
	if (outcap < BTC_V2_HEADER_LEN + (size_t)c->recv_len)
		return PS_ERR_NOBUF;
	/* "plaintext = peer.recv_P.decrypt(aad, aead_ciphertext)
	 *  if plaintext is None: disconnect(peer)" */
	r = btc_v2c_fsaead_decrypt(&c->recv_p, out, aad, aadlen, in, inlen);
	if (r != PS_OK)
		return fail(c, r);
	/* "header = plaintext[:HEADER_LEN]
	 *  if not (header[0] & (1 << IGNORE_BIT_POS)): return plaintext[HEADER_LEN:]"
	 * "The other bits are ignored, but this may change in future versions" */
	*ignore = (out[0] & BTC_V2_IGNORE_BIT) != 0;
	*contents = out + BTC_V2_HEADER_LEN;
	c->recv_len = 0;
	c->state = BTC_V2C_EXPECT_LENGTH;
	return PS_OK;
}

/* ---- streamed decryption ----
 *
 * RFC 8439 section 2.8, the AEAD that FSChaCha20Poly1305 wraps, in pieces:
 * "the one-time Poly1305 key is generated" from ChaCha20 block 0 of (key,
 * nonce); the plaintext is XORed with the keystream from block 1; the tag
 * is Poly1305 over "AAD | padding1 | ciphertext | padding2 |
 * len(AAD) (8 bytes LE) | len(ciphertext) (8 bytes LE)". Key and nonce are
 * the receive AEAD's current ones (fsaead_nonce), and after the tag the
 * AEAD counts and rekeys as FSChaCha20Poly1305.crypt does, verified or
 * not. */

static const uint8_t zero64[64];

static int rx_start(struct btc_v2c *c)
{
	uint8_t nonce[CRY_CHACHA20_NONCELEN], otk[64];
	int r;

	fsaead_nonce(&c->recv_p, nonce);
	r = cry_chacha20_xor_ic(otk, zero64, sizeof(otk), c->recv_p.key, nonce, 0);
	if (r == PS_OK) {
		cry_poly1305_init(&c->rx.mac, otk);
		c->rx.started = true;
	}
	cry_memzero(otk, sizeof(otk));
	return r;
}

/* Plaintext byte i of header || contents from ciphertext byte ct. */
static int rx_decrypt(struct btc_v2c *c, uint8_t *pt, uint32_t i, uint8_t ct)
{
	uint32_t block = 1 + i / 64;
	int r;

	if (c->rx.ks_block != block) {
		uint8_t nonce[CRY_CHACHA20_NONCELEN];

		fsaead_nonce(&c->recv_p, nonce);
		r = cry_chacha20_xor_ic(c->rx.ks, zero64, sizeof(c->rx.ks), c->recv_p.key, nonce,
					block);
		if (r != PS_OK)
			return r;
		c->rx.ks_block = block;
	}
	*pt = ct ^ c->rx.ks[i % 64];
	return PS_OK;
}

int btc_v2c_decrypt_aad(struct btc_v2c *c, const uint8_t *aad, size_t len)
{
	int r;

	if (!usable(c) || c->rx.in_body)
		return PS_ERR_INVALID_STATE;
	if (!c->rx.started && (r = rx_start(c)) != PS_OK)
		return fail(c, r);
	cry_poly1305_update(&c->rx.mac, aad, len);
	c->rx.aad_len += len;
	return PS_OK;
}

/* The MAC's trailer and the tag check, once every byte is in. */
static bool rx_verify(struct btc_v2c *c)
{
	uint32_t ctlen = BTC_V2_HEADER_LEN + c->recv_len;
	uint8_t lens[16], tag[BTC_V2_TAG_LEN];
	bool ok;

	cry_poly1305_update(&c->rx.mac, zero64, (16 - ctlen % 16) % 16);
	ps_store_u64le(lens, c->rx.aad_len);
	ps_store_u64le(lens + 8, ctlen);
	cry_poly1305_update(&c->rx.mac, lens, sizeof(lens));
	cry_poly1305_final(&c->rx.mac, tag);
	ok = cry_memeq(tag, c->rx.tag, sizeof(tag));
	cry_memzero(tag, sizeof(tag));
	return ok;
}

int btc_v2c_decrypt_stream(struct btc_v2c *c, bool *done, bool *ignore, size_t *used, uint8_t *out,
			   size_t outcap, const uint8_t *in, size_t len)
{
	uint32_t ctlen = BTC_V2_HEADER_LEN + c->recv_len;
	uint64_t total = (uint64_t)ctlen + BTC_V2_TAG_LEN;
	size_t n, k, i;
	int r;

	*done = false;
	*used = 0;
	if (c->state != BTC_V2C_EXPECT_PACKET)
		return PS_ERR_INVALID_STATE;
	if (!c->rx.started && (r = rx_start(c)) != PS_OK)
		return fail(c, r);
	if (!c->rx.in_body) {
		/* "padding1 -- the padding is up to 15 zero bytes, and it brings
		 * the total length so far to an integral multiple of 16" */
		cry_poly1305_update(&c->rx.mac, zero64, (size_t)((16 - c->rx.aad_len % 16) % 16));
		c->rx.in_body = true;
	}
	n = total - c->rx.seen < len ? (size_t)(total - c->rx.seen) : len;
	/* the ciphertext: authenticated all, decrypted where out has room */
	k = c->rx.seen < ctlen ? ctlen - c->rx.seen : 0;
	if (k > n)
		k = n;
	cry_poly1305_update(&c->rx.mac, in, k);
	for (i = 0; i < k; i++) {
		uint32_t at = c->rx.seen + (uint32_t)i;
		uint8_t pt;

		if (at >= outcap && at > 0)
			break;
		if ((r = rx_decrypt(c, &pt, at, in[i])) != PS_OK)
			return fail(c, r);
		if (at == 0)
			c->rx.header = pt;
		if (at < outcap)
			out[at] = pt;
	}
	/* the tag */
	for (i = k; i < n; i++)
		c->rx.tag[c->rx.seen + i - ctlen] = in[i];
	c->rx.seen += (uint32_t)n;
	*used = n;
	if (c->rx.seen < total)
		return PS_OK;

	{
		bool ok = rx_verify(c);
		uint8_t header = c->rx.header;
		int r2;

		cry_memzero(&c->rx, sizeof(c->rx));
		/* "plaintext = peer.recv_P.decrypt(aad, aead_ciphertext)": the
		 * AEAD counts the packet whether or not it verifies */
		r2 = fsaead_advance(&c->recv_p);
		if (!ok) {
			/* "if plaintext is None: disconnect(peer)" */
			cry_memzero(out, outcap < ctlen ? outcap : ctlen);
			return fail(c, PS_ERR_DECRYPT);
		}
		if (r2 != PS_OK)
			return fail(c, r2);
		*ignore = (header & BTC_V2_IGNORE_BIT) != 0;
	}
	*done = true;
	c->recv_len = 0;
	c->state = BTC_V2C_EXPECT_LENGTH;
	return PS_OK;
}

void btc_v2c_wipe(struct btc_v2c *c)
{
	cry_memzero(c, sizeof(*c));
}
