/*
 * nsetup.h - Noise set-ups the harnesses share: a protocol chosen by the
 * input (NNpsk2 most of the time, any pattern of the tables otherwise, with
 * psk modifiers, both ciphers, all four hashes), and matching
 * HandshakeState configurations for the two sides (static keys, pre-message
 * keys, PSKs, prologue, ephemerals from a seeded RNG).
 */
#ifndef PS_FUZZ_NSETUP_H
#define PS_FUZZ_NSETUP_H

#include "fuzz.h"

#include "noise/cipher.h"
#include "noise/handshake.h"
#include "noise/pattern.h"

#define NNPSK2 "Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s"

/* Choose and parse a protocol from the input. any_pattern: other patterns
 * than NNpsk2 may be chosen. Always succeeds (falls back to NNpsk2). */
void fuzz_noise_protocol(struct fdp *f, struct noise_protocol *proto, bool any_pattern);

/* Everything both sides of one handshake need. */
struct fuzz_noise_pair {
	struct noise_protocol proto;
	bool statics;				    /* the pattern uses static keys (s_* set) */
	uint8_t s_i[NOISE_DHLEN], s_r[NOISE_DHLEN]; /* static private keys */
	uint8_t s_i_pub[NOISE_DHLEN], s_r_pub[NOISE_DHLEN]; /* set only where a */
	/* pre-message lists the key; otherwise read them from noise_hs.s.pub */
	uint8_t e_i[NOISE_DHLEN], e_r[NOISE_DHLEN]; /* for pre-message ephemerals */
	uint8_t e_i_pub[NOISE_DHLEN], e_r_pub[NOISE_DHLEN];
	uint8_t psks[NOISE_MAX_PSKS][NOISE_PSKLEN];
	uint8_t prologue[64];
	size_t prologue_len;
	struct fuzz_rng rng_i, rng_r;
};

/* Fill pair from the input (keys, PSKs, prologue, RNG seeds). */
void fuzz_noise_pair_make(struct fdp *f, struct fuzz_noise_pair *pair, bool any_pattern);

/* The HandshakeState configuration of one side of pair. */
void fuzz_noise_hs_config(struct noise_hs_config *c, struct fuzz_noise_pair *pair, bool initiator);

/* Apply what the input says to an honest message (msg, *len) of capacity
 * cap: up to three byte flips, a truncation or an extension, or none.
 * Returns true if the message changed. */
bool fuzz_noise_mutate(struct fdp *f, uint8_t *msg, size_t *len, size_t cap);

/* Have reader read (msg, len) and check the contract: on failure the
 * HandshakeState is exactly as before and no payload is claimed; on success
 * the payload is the message minus its fixed part, and equals want when
 * want is not NULL. must: an honest, unchanged message, which has to read. */
int fuzz_noise_read(struct fdp *f, struct noise_hs *reader, const uint8_t *msg, size_t len,
		    const uint8_t *want, size_t want_len, bool must);

#endif
