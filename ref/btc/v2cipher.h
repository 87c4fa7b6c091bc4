/*
 * v2cipher.h - the BIP324 cipher suite: FSChaCha20 (lengths),
 * FSChaCha20Poly1305 (contents), the key schedule and the packet cipher of
 * one v2 connection (bip-0324.mediawiki, "Keys and session ID derivation",
 * "Rekeying wrappers", "Overall packet encryption and decryption pseudocode").
 *
 * Sans-I/O and allocation-free: the caller owns every buffer and every
 * state struct (plain structs, which may be copied). This is not the v2
 * transport: no framing, no garbage scanning, no v1 detection; that layer
 * calls this one.
 *
 * A packet on the wire:
 *   length (3, FSChaCha20) || AEAD(header (1) || contents) || tag (16)
 * so BTC_V2_EXPANSION = 20 bytes more than its contents.
 */
#ifndef PS_BTC_V2CIPHER_H
#define PS_BTC_V2CIPHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "crypto/crypto.h"

#define BTC_V2_ELLSWIFT_LEN	64
#define BTC_V2_LENGTH_LEN	3  /* LENGTH_FIELD_LEN */
#define BTC_V2_HEADER_LEN	1  /* HEADER_LEN */
#define BTC_V2_TAG_LEN		16 /* CHACHA20POLY1305_EXPANSION */
#define BTC_V2_EXPANSION	(BTC_V2_LENGTH_LEN + BTC_V2_HEADER_LEN + BTC_V2_TAG_LEN)
#define BTC_V2_IGNORE_BIT	0x80	  /* 1 << IGNORE_BIT_POS: a decoy packet */
#define BTC_V2_MAX_CONTENTS	0xffffffu /* 2^24 - 1, what 3 length bytes hold */
#define BTC_V2_REKEY_INTERVAL	224
#define BTC_V2_GARBAGE_TERM_LEN 16
#define BTC_V2_SESSION_ID_LEN	32
#define BTC_V2_KEY_LEN		32

/* ---- FSChaCha20: the length cipher ------------------------------------------------
 *
 * One ChaCha20 stream per epoch of 224 chunks (a chunk is one crypt call),
 * nonce = 4 zero bytes || epoch (8 bytes LE), block counter from 0; the
 * keystream runs on across the chunks of an epoch. After the 224th chunk the
 * next 32 keystream bytes become the key. */
struct btc_v2c_fsc20 {
	uint8_t key[BTC_V2_KEY_LEN];
	uint8_t ks[64];		/* the current keystream block */
	uint32_t ks_used;	/* bytes of ks already used (64: none left) */
	uint32_t block_counter; /* the next block to draw in this epoch */
	uint64_t chunk_counter; /* chunks so far, all epochs */
};

void btc_v2c_fsc20_init(struct btc_v2c_fsc20 *c, const uint8_t key[32]);

/* out = in XOR the next len keystream bytes: one chunk (encrypting and
 * decrypting are the same). out may equal in. Returns PS_OK, or
 * PS_ERR_NONCE_EXHAUSTED when one epoch would need more than 2^32 blocks
 * (nothing changed). */
PS_MUST_CHECK int btc_v2c_fsc20_crypt(struct btc_v2c_fsc20 *c, uint8_t *out, const uint8_t *in,
				      size_t len);

void btc_v2c_fsc20_wipe(struct btc_v2c_fsc20 *c);

/* ---- FSChaCha20Poly1305: the contents AEAD -------------------------------------------
 *
 * ChaCha20-Poly1305 (RFC 8439) with nonce = packet number within the epoch
 * (4 bytes LE) || epoch (8 bytes LE). After the 224th packet of an epoch
 * the key becomes the first 32 bytes of the encryption of 32 zero bytes
 * under nonce ff ff ff ff || epoch. One instance only encrypts or only
 * decrypts. */
struct btc_v2c_fsaead {
	uint8_t key[BTC_V2_KEY_LEN];
	uint32_t packet_counter; /* packets in this epoch, 0..223 */
	uint64_t rekey_counter;	 /* epochs completed */
};

void btc_v2c_fsaead_init(struct btc_v2c_fsaead *a, const uint8_t key[32]);

/* out (ptlen + 16 bytes) = ciphertext || tag of (pt, ptlen) with aad. out
 * may equal pt. The counter advances. Returns PS_OK or PS_ERR_CRYPTO. */
PS_MUST_CHECK int btc_v2c_fsaead_encrypt(struct btc_v2c_fsaead *a, uint8_t *out, const uint8_t *aad,
					 size_t aadlen, const uint8_t *pt, size_t ptlen);

/* out (ctlen - 16 bytes) = the plaintext of (ct, ctlen) with aad, written
 * only when the tag verifies (else zeros). out may equal ct. The counter
 * advances either way, as the BIP's FSChaCha20Poly1305.crypt does. Returns
 * PS_OK, PS_ERR_DECRYPT (tag), PS_ERR_BAD_SIZE (ctlen < 16, nothing changed)
 * or PS_ERR_CRYPTO. */
PS_MUST_CHECK int btc_v2c_fsaead_decrypt(struct btc_v2c_fsaead *a, uint8_t *out, const uint8_t *aad,
					 size_t aadlen, const uint8_t *ct, size_t ctlen);

void btc_v2c_fsaead_wipe(struct btc_v2c_fsaead *a);

/* ---- the key schedule ------------------------------------------------------------ */

/* What initialize_v2_transport derives from the shared secret, by role. */
struct btc_v2c_keys {
	uint8_t initiator_l[BTC_V2_KEY_LEN];
	uint8_t initiator_p[BTC_V2_KEY_LEN];
	uint8_t responder_l[BTC_V2_KEY_LEN];
	uint8_t responder_p[BTC_V2_KEY_LEN];
	uint8_t initiator_garbage_terminator[BTC_V2_GARBAGE_TERM_LEN];
	uint8_t responder_garbage_terminator[BTC_V2_GARBAGE_TERM_LEN];
	uint8_t session_id[BTC_V2_SESSION_ID_LEN];
};

/* HKDF-SHA256 with salt "bitcoin_v2_shared_secret" || magic over the shared
 * secret (cry_bip324_ecdh), expanded with the BIP's labels. Wipe k with
 * btc_v2c_keys_wipe. Returns PS_OK or PS_ERR_CRYPTO (k zeroed). */
PS_MUST_CHECK int btc_v2c_derive_keys(struct btc_v2c_keys *k, const uint8_t shared_secret[32],
				      const uint8_t magic[4]);

void btc_v2c_keys_wipe(struct btc_v2c_keys *k);

/* ---- the packet cipher of one connection ---------------------------------------------- */

/* A packet being decrypted in pieces (btc_v2c_decrypt_aad and
 * btc_v2c_decrypt_stream): the Poly1305 of RFC 8439's AEAD, streamed. */
struct btc_v2c_rx {
	struct cry_poly1305 mac; /* keyed with the packet's one-time key once started */
	bool started;		 /* the MAC is keyed (an aad or a body byte came) */
	bool in_body;		 /* a body byte came: no more aad */
	uint64_t aad_len;
	uint32_t seen; /* bytes of header + contents + tag taken */
	uint8_t tag[BTC_V2_TAG_LEN];
	uint8_t ks[64];	   /* the contents keystream block ks_block (0: none) */
	uint32_t ks_block; /* ChaCha20 block number: the contents start at block 1 */
	uint8_t header;
};

/* What the receive side expects next. */
enum btc_v2c_state {
	BTC_V2C_UNSET = 0,     /* not initialised, or wiped */
	BTC_V2C_EXPECT_LENGTH, /* the 3 encrypted length bytes of a packet */
	BTC_V2C_EXPECT_PACKET, /* header + contents + tag of the announced length */
	BTC_V2C_FAILED,	       /* a packet failed to authenticate: disconnect */
};

struct btc_v2c {
	enum btc_v2c_state state;
	uint32_t recv_len; /* contents length announced (EXPECT_PACKET) */
	struct btc_v2c_fsc20 send_l, recv_l;
	struct btc_v2c_fsaead send_p, recv_p;
	uint8_t send_garbage_terminator[BTC_V2_GARBAGE_TERM_LEN];
	uint8_t recv_garbage_terminator[BTC_V2_GARBAGE_TERM_LEN];
	uint8_t session_id[BTC_V2_SESSION_ID_LEN];
	struct btc_v2c_rx rx; /* a packet streamed in: btc_v2c_decrypt_stream */
};

/* Initialise c for one side of a connection from derived keys: initiating
 * sends with the initiator's keys and terminator and receives with the
 * responder's, and the other way round. (Initialising from the same keys
 * with the other role gives the peer's cipher, which is how a test
 * decrypts what a cipher encrypted.) */
void btc_v2c_init_keys(struct btc_v2c *c, const struct btc_v2c_keys *k, bool initiating);

/* The whole initialize_v2_transport of the BIP: the shared secret
 * cry_bip324_ecdh(priv, ellswift_theirs, ellswift_ours, initiating), the
 * keys of btc_v2c_derive_keys with the network's 4 magic bytes, then
 * btc_v2c_init_keys; the secret, the PRK and the keys are wiped. Returns
 * PS_OK, PS_ERR_INVALID_ARG (priv is not a valid private key), or
 * PS_ERR_CRYPTO; on error c is wiped (BTC_V2C_UNSET). */
PS_MUST_CHECK int btc_v2c_init(struct btc_v2c *c, const uint8_t priv[32],
			       const uint8_t ellswift_ours[64], const uint8_t ellswift_theirs[64],
			       bool initiating, const uint8_t magic[4]);

/* The 32-byte session id, and the 16-byte garbage terminators we send and
 * expect. Valid after an init, until btc_v2c_wipe. */
const uint8_t *btc_v2c_session_id(const struct btc_v2c *c);
const uint8_t *btc_v2c_send_garbage_terminator(const struct btc_v2c *c);
const uint8_t *btc_v2c_recv_garbage_terminator(const struct btc_v2c *c);

enum btc_v2c_state btc_v2c_get_state(const struct btc_v2c *c);

/* v2_enc_packet: out gets the len + BTC_V2_EXPANSION bytes of one packet
 * carrying contents (len bytes; NULL allowed when len is 0), with aad
 * authenticated (the garbage we sent, on the first packet; else empty) and
 * the ignore bit set when ignore (a decoy). contents may overlap out (it is
 * moved into place first). *outlen gets the packet's size. Returns PS_OK;
 * PS_ERR_TOO_LARGE (len > BTC_V2_MAX_CONTENTS); PS_ERR_NOBUF (outcap too
 * small); PS_ERR_INVALID_STATE (not initialised, or failed); PS_ERR_CRYPTO
 * or PS_ERR_NONCE_EXHAUSTED (the cipher is then failed). Nothing is written
 * and no counter moves on the first three. */
PS_MUST_CHECK int btc_v2c_encrypt(struct btc_v2c *c, uint8_t *out, size_t outcap, size_t *outlen,
				  const uint8_t *contents, size_t len, const uint8_t *aad,
				  size_t aadlen, bool ignore);

/* btc_v2c_encrypt with the whole header byte given: header instead of the
 * ignore bit alone (the BIP: "The other bits are ignored, but this may
 * change in future versions"; tests and vectors send them). Same returns. */
PS_MUST_CHECK int btc_v2c_encrypt_header(struct btc_v2c *c, uint8_t *out, size_t outcap,
					 size_t *outlen, const uint8_t *contents, size_t len,
					 const uint8_t *aad, size_t aadlen, uint8_t header);

/* The first step of receiving a packet: *len = the contents length the 3
 * encrypted bytes in announce (0..BTC_V2_MAX_CONTENTS). Nothing is
 * authenticated yet: the caller checks its own limit (Bitcoin Core:
 * MAX_PROTOCOL_MESSAGE_LENGTH, 4,000,000 bytes) before buffering the
 * BTC_V2_HEADER_LEN + *len + BTC_V2_TAG_LEN bytes that btc_v2c_decrypt
 * takes next. Returns PS_OK, or PS_ERR_INVALID_STATE when c does not
 * expect a length (not initialised, failed, or a length already read) or
 * PS_ERR_NONCE_EXHAUSTED (c failed). */
PS_MUST_CHECK int btc_v2c_decrypt_length(struct btc_v2c *c, uint32_t *len, const uint8_t in[3]);

/* The second step: in is the packet after its length, exactly
 * BTC_V2_HEADER_LEN + len + BTC_V2_TAG_LEN bytes for the len that
 * btc_v2c_decrypt_length gave, authenticated with aad (the garbage the peer
 * sent, on its first packet; else empty). out (at least
 * BTC_V2_HEADER_LEN + len bytes; it may equal in) gets the decrypted header
 * and contents, written only after the tag verifies. On PS_OK, *ignore is
 * the header's ignore bit (a decoy: the caller skips it), and *contents
 * points at the len contents bytes, at out + BTC_V2_HEADER_LEN; the other
 * header bits are ignored, as the BIP says. Returns PS_OK;
 * PS_ERR_INVALID_STATE (no length read first, or failed); PS_ERR_BAD_SIZE
 * (inlen is not what the length announced) or PS_ERR_NOBUF (outcap too
 * small), both with nothing changed; PS_ERR_DECRYPT (the tag did not
 * verify: BIP324 "if plaintext is None: disconnect(peer)" - c is then
 * failed and its keys wiped, every later call returns
 * PS_ERR_INVALID_STATE). */
PS_MUST_CHECK int btc_v2c_decrypt(struct btc_v2c *c, bool *ignore, const uint8_t **contents,
				  uint8_t *out, size_t outcap, const uint8_t *in, size_t inlen,
				  const uint8_t *aad, size_t aadlen);

/* ---- streamed decryption ---------------------------------------------------------
 *
 * The second step again, for a receiver that does not hold the packet: its
 * bytes after the length go in as they arrive, in pieces of any size, and
 * only the first outcap plaintext bytes are produced (the rest is
 * authenticated, never decrypted). It gives what btc_v2c_decrypt gives for
 * the same packet, byte for byte and error for error:
 *   btc_v2c_decrypt_aad     any number of times before the packet's first
 *                           byte after its length: the aad in pieces (the
 *                           first packet's is the peer's garbage, which a
 *                           terminator scan releases a byte at a time);
 *   btc_v2c_decrypt_length  as above;
 *   btc_v2c_decrypt_stream  the BTC_V2_HEADER_LEN + len + BTC_V2_TAG_LEN
 *                           bytes after the length, until *done.
 * A packet is decrypted either whole (btc_v2c_decrypt) or streamed: once
 * an aad or a streamed byte came, btc_v2c_decrypt returns
 * PS_ERR_INVALID_STATE for that packet. */

/* Authenticate (aad, len) as more of the next packet's aad. Returns PS_OK;
 * PS_ERR_INVALID_STATE when c is failed or unset, or a byte of the packet
 * after its length came already; PS_ERR_CRYPTO (c failed). */
PS_MUST_CHECK int btc_v2c_decrypt_aad(struct btc_v2c *c, const uint8_t *aad, size_t len);

/* Take bytes of the packet after its length from (in, len): *used gets how
 * many (at most what the packet has left). out[i] gets plaintext byte i of
 * header || contents for every i < outcap that came, unauthenticated until
 * *done: pass the same out on every call of one packet. *done is true when
 * the packet's last tag byte came and the tag verified: *ignore is then the
 * header's ignore bit, as btc_v2c_decrypt says, and c expects a length.
 * Returns PS_OK; PS_ERR_INVALID_STATE (no length read, or failed);
 * PS_ERR_DECRYPT (the tag did not verify: c is failed and its keys wiped,
 * and out[0..min(outcap, 1 + len)) zeroed, so nothing unauthenticated
 * stays); PS_ERR_CRYPTO or PS_ERR_NONCE_EXHAUSTED (c failed). */
PS_MUST_CHECK int btc_v2c_decrypt_stream(struct btc_v2c *c, bool *done, bool *ignore, size_t *used,
					 uint8_t *out, size_t outcap, const uint8_t *in,
					 size_t len);

/* Wipe every key and counter of c (BTC_V2C_UNSET). */
void btc_v2c_wipe(struct btc_v2c *c);

#endif
