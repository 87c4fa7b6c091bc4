/*
 * handshake.h - the Noise HandshakeState (specification revision 34,
 * section 5.3), driven by the pattern tables of pattern.h. Sans-I/O: bytes
 * in, bytes out; the ephemeral key comes from the RNG callback (or is fixed,
 * for test vectors).
 *
 * peershake's protocol, Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s, runs as:
 *
 *   -> e                  initiator: e = GENERATE_KEYPAIR(); MixHash(e.pub);
 *                         MixKey(e.pub) (PSK mode); EncryptAndHash(payload)
 *   <- e, ee, psk         responder: e; MixKey(DH(e, re)); MixKeyAndHash(psk);
 *                         EncryptAndHash(payload)
 *   then Split(): c1 initiator -> responder, c2 responder -> initiator.
 *
 * Sizes (DHLEN 32, tag 16): message 1 = 32 + payload + 16 (the PSK-mode
 * MixKey(e) gives message 1 a key), message 2 = 32 + payload + 16.
 *
 * Guarantees:
 * - A message's size is checked against the pattern before any crypto: a
 *   message shorter than its fixed part (keys and tags) is PS_ERR_BAD_SIZE,
 *   one over 65535 bytes is PS_ERR_TOO_LARGE.
 * - Read and write are all-or-nothing: on any error the HandshakeState is
 *   exactly as before the call (so a forged or truncated message changes
 *   nothing) and no plaintext is released. The specification then deletes
 *   the HandshakeState: callers that follow it (noise_peer does) call
 *   noise_hs_wipe.
 * - An all-zero X25519 result (a low-order public key) is PS_ERR_DH.
 * - Every secret (keys, ck, DH outputs, PSKs) is wiped with cry_memzero.
 */
#ifndef PS_NOISE_HANDSHAKE_H
#define PS_NOISE_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "crypto/crypto.h"
#include "noise/cipher.h"
#include "noise/pattern.h"
#include "noise/symmetric.h"

#define NOISE_DHLEN  32
#define NOISE_PSKLEN 32

/* What the HandshakeState expects next. */
enum noise_hs_action {
	NOISE_HS_WRITE_MESSAGE, /* call noise_hs_write_message */
	NOISE_HS_READ_MESSAGE,	/* call noise_hs_read_message */
	NOISE_HS_SPLIT,		/* all messages done: call noise_hs_split */
	NOISE_HS_DONE		/* split; only the handshake hash is left */
};

struct noise_keypair {
	uint8_t priv[NOISE_DHLEN];
	uint8_t pub[NOISE_DHLEN];
	bool set;
};

struct noise_hs_config {
	/* the parsed name: its pattern is copied and its h0, hash and cipher
	 * start the SymmetricState, so it need not outlive noise_hs_init */
	const struct noise_protocol *protocol;
	bool initiator;
	const uint8_t *prologue; /* may be NULL when prologue_len is 0 */
	size_t prologue_len;
	/* One PSK per "psk" token of the pattern, in token order. */
	const uint8_t (*psks)[NOISE_PSKLEN];
	size_t n_psks;
	const uint8_t *s; /* our static private key (32 bytes), or NULL */
	const uint8_t *e; /* a fixed ephemeral private key (test vectors), or NULL */
	/* Test and misbehaviour seam, NULL in every honest use: with e, our
	 * ephemeral public key is taken to be these 32 bytes instead of the one
	 * e derives. The e token then sends and hashes them (the message still
	 * authenticates), while every DH uses e's private key: the peer meets
	 * this key in its own DH. peershake --bug low-order-e passes the
	 * all-zero point. */
	const uint8_t *e_pub;
	const uint8_t *rs; /* their static public key, only if a pre-message lists it */
	const uint8_t *re; /* their ephemeral public key, only if a pre-message lists it */
	ps_rng_fn rng;	   /* for the ephemeral key when e is NULL */
	void *rng_ctx;
};

struct noise_hs {
	struct noise_pattern pattern; /* the protocol's (its hash and cipher are in ss) */
	struct noise_ss ss;
	bool initiator;
	struct noise_keypair s, e;
	uint8_t rs[NOISE_DHLEN], re[NOISE_DHLEN];
	bool has_rs, has_re;
	uint8_t psk[NOISE_MAX_PSKS][NOISE_PSKLEN];
	uint8_t n_psks, next_psk;
	uint8_t next_msg; /* index of the next message pattern */
	enum noise_hs_action action;
	ps_rng_fn rng;
	void *rng_ctx;
};

/* Initialize(handshake_pattern, initiator, prologue, s, e, rs, re) with the
 * PSKs: InitializeSymmetric(name), MixHash(prologue), the pre-message keys
 * (initiator's first; in PSK mode an "e" also does MixKey).
 * Returns PS_OK; PS_ERR_INVALID_ARG (n_psks is not the pattern's count of psk
 * tokens; s missing where the pattern uses ours; rs or re missing where a
 * pre-message lists them, or given where none does; neither e nor rng;
 * e_pub without e);
 * PS_ERR_CRYPTO. On error hs is wiped. */
PS_MUST_CHECK int noise_hs_init(struct noise_hs *hs, const struct noise_hs_config *cfg);

/* What to call next. */
enum noise_hs_action noise_hs_action(const struct noise_hs *hs);

/* The exact size of the next message for a payload of payload_len bytes:
 * its fixed part (public keys, encrypted static keys, tags) plus payload_len.
 * Meaningful while the action is WRITE or READ. */
size_t noise_hs_message_len(const struct noise_hs *hs, size_t payload_len);

/* WriteMessage(payload, message_buffer): the next message, which we send,
 * into out (capacity cap); *outlen its size. payload may not overlap out.
 * Returns PS_OK; PS_ERR_INVALID_STATE (not our turn to write);
 * PS_ERR_TOO_LARGE (the message would exceed 65535 bytes); PS_ERR_NOBUF (cap
 * too small); PS_ERR_DH (a DH gave all zeros: their key is of low order);
 * PS_ERR_UNSUPPORTED; PS_ERR_CRYPTO. On error nothing changes in hs. */
PS_MUST_CHECK int noise_hs_write_message(struct noise_hs *hs, uint8_t *out, size_t cap,
					 size_t *outlen, const uint8_t *payload,
					 size_t payload_len);

/* ReadMessage(message, payload_buffer): the next message, which they sent,
 * (msg, len); its payload into payload (capacity cap), *payload_len its size.
 * payload may not overlap msg. The payload is released only after its tag
 * (and every earlier tag of the message) verified.
 * Returns PS_OK; PS_ERR_INVALID_STATE (not our turn to read);
 * PS_ERR_TOO_LARGE (len over 65535); PS_ERR_BAD_SIZE (shorter than the fixed
 * part of the message); PS_ERR_NOBUF (cap below len minus the fixed part);
 * PS_ERR_DECRYPT (a tag did not verify: wrong PSK, wrong prologue, tampering);
 * PS_ERR_DH (their key is of low order); PS_ERR_UNSUPPORTED; PS_ERR_CRYPTO.
 * On error nothing changes in hs. */
PS_MUST_CHECK int noise_hs_read_message(struct noise_hs *hs, uint8_t *payload, size_t cap,
					size_t *payload_len, const uint8_t *msg, size_t len);

/* Split(): after the last message, the two transport CipherStates: c1
 * encrypts initiator -> responder, c2 responder -> initiator (a one-way
 * pattern's sender uses c1 only). Wipes every secret of hs; the handshake
 * hash stays. Returns PS_OK or PS_ERR_INVALID_STATE (messages left). */
PS_MUST_CHECK int noise_hs_split(struct noise_hs *hs, struct noise_cs *c1, struct noise_cs *c2);

/* GetHandshakeHash(): h, *len = HASHLEN (32 or 64); points into hs.
 * Channel binding wants it after the split. */
const uint8_t *noise_hs_handshake_hash(const struct noise_hs *hs, size_t *len);

/* Our ephemeral public key (NULL before it exists). */
const uint8_t *noise_hs_local_ephemeral(const struct noise_hs *hs);

/* Their static public key (NULL before it is known). */
const uint8_t *noise_hs_remote_static(const struct noise_hs *hs);

/* Wipe every secret and the hash; the hs is unusable afterwards. */
void noise_hs_wipe(struct noise_hs *hs);

#endif
