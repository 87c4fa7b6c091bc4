/*
 * pattern.h - Noise handshake patterns as data, and protocol names
 * (specification revision 34, sections 7, 8, 9 and 18.1).
 *
 * The tables hold every pattern of the specification as it is printed there:
 * the one-way patterns N, K, X (7.4), the twelve fundamental interactive
 * patterns (7.5) and the 23 deferred ones (18.1), each with its pre-messages.
 * The modifiers psk0..pskN are applied as section 9.4 says: psk0 puts a "psk"
 * token at the start of the first message, pskN at the end of message N;
 * several combine ("NNpsk0+psk2"), written in ascending order as section 8.1
 * requires of modifiers whose order does not matter.
 *
 * A protocol name is "Noise_" + pattern + "_" + DH + "_" + cipher + "_" + hash
 * (section 8), at most 255 bytes. Supported: DH 25519; ciphers ChaChaPoly and
 * AESGCM (where cry_aead_available says so); hashes SHA256, SHA512, BLAKE2s,
 * BLAKE2b. The fallback modifier, hybrid DH ("25519+448") and other
 * algorithms parse as syntax but resolve to PS_ERR_UNSUPPORTED.
 */
#ifndef PS_NOISE_PATTERN_H
#define PS_NOISE_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "crypto/crypto.h"
#include "noise/cipher.h"
#include "noise/symmetric.h"

#define NOISE_MAX_NAME	   255 /* "The resulting name must be 255 bytes or less." */
#define NOISE_MAX_MESSAGES 4   /* the longest patterns (X1K1, X1X, ...) have 4 */
#define NOISE_MAX_TOKENS   8   /* "e, es, s, ss" with psk0 and psk1 is 6 */
#define NOISE_MAX_PSKS	   (NOISE_MAX_MESSAGES + 1) /* psk0 .. psk4 */

enum noise_token {
	NOISE_TOK_E = 1,
	NOISE_TOK_S,
	NOISE_TOK_EE,
	NOISE_TOK_ES,
	NOISE_TOK_SE,
	NOISE_TOK_SS,
	NOISE_TOK_PSK,
};

/* One message pattern: n tokens. Message i (from 0) is sent by the
 * initiator when i is even, by the responder when i is odd. */
struct noise_message_pattern {
	uint8_t n;
	uint8_t tok[NOISE_MAX_TOKENS];
};

struct noise_pattern {
	uint8_t pre_i[2], n_pre_i; /* initiator's pre-message: e and/or s */
	uint8_t pre_r[2], n_pre_r; /* responder's pre-message */
	struct noise_message_pattern msg[NOISE_MAX_MESSAGES];
	uint8_t n_msgs;
	uint8_t n_psks; /* "psk" tokens; nonzero means PSK mode (section 9.2) */
	bool one_way;	/* N, K, X and their modified forms (section 7.4) */
};

enum noise_dh { NOISE_DH_25519 };

/* A parsed, resolved protocol name. h0 is the h (and ck) that
 * InitializeSymmetric(name) starts from, computed once here. */
struct noise_protocol {
	char name[NOISE_MAX_NAME + 1];
	size_t name_len;
	struct noise_pattern pattern;
	enum noise_dh dh;
	enum noise_cipher cipher;
	enum cry_hash_id hash;
	uint8_t h0[NOISE_MAXHASHLEN];
};

/* Resolve a pattern name section ("XX", "NNpsk2", "XXpsk0+psk3") into *p.
 * Returns PS_OK; PS_ERR_MALFORMED (not a pattern name section, psk modifiers
 * out of order, repeated, or past the last message); PS_ERR_UNSUPPORTED (an
 * unknown base pattern, or a modifier other than pskN, e.g. fallback).
 * On error *p is not written. */
PS_MUST_CHECK int noise_pattern_parse(struct noise_pattern *p, const char *section, size_t len);

/* Parse the full protocol name (name, len) into *proto.
 * Returns PS_OK; PS_ERR_TOO_LARGE (over 255 bytes); PS_ERR_MALFORMED (no
 * "Noise_" prefix, not four sections, a character outside [A-Za-z0-9+/], a
 * bad pattern section); PS_ERR_UNSUPPORTED (pattern or modifier unknown here,
 * DH other than 25519, cipher other than ChaChaPoly/AESGCM or AESGCM not
 * available on this CPU, hash other than the four). On error *proto is not
 * written. */
PS_MUST_CHECK int noise_protocol_parse(struct noise_protocol *proto, const char *name, size_t len);

/* The number of base patterns in the tables, and the name of the i-th
 * (for tests and --help). */
size_t noise_pattern_count(void);
const char *noise_pattern_name(size_t i);

/* True when message i of p is sent by the initiator. */
static inline bool noise_pattern_initiator_sends(size_t i)
{
	return i % 2 == 0;
}

#endif
