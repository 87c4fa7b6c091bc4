/*
 * secp.h - secp256k1 keys, x-only ECDH and ElligatorSwift, as BIP324 uses
 * them (bip-0324.mediawiki, "Shared secret computation" and "ElligatorSwift
 * encoding of curve X coordinates").
 *
 * Two libraries sit behind this header, in this layer only:
 *   secp.c      libsecp256k1 (Debian's 0.2.0, which has no ellswift module):
 *               private keys, public keys, ECDH. Everything that touches a
 *               private key or a shared point runs there, in constant time.
 *   ellswift.c  GMP: the field arithmetic mod p of XSwiftEC and XSwiftECInv.
 *               It sees public values only (64-byte encodings on the wire,
 *               public X coordinates, the random u of an encoding) and is
 *               not constant time; the BIP says of XSwiftEC: "the
 *               specification here does not attempt to be constant time, as
 *               it does not operate on secret data."
 *
 * Field elements and scalars are 32 bytes, big-endian, as in BIP340.
 * Decoding is real in fuzz builds too: it is a parser of any 64 bytes.
 */
#ifndef PS_CRYPTO_SECP_H
#define PS_CRYPTO_SECP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "crypto/crypto.h"

#define CRY_SECP_PRIVLEN    32 /* a private key: a scalar in 1..n-1 */
#define CRY_SECP_XLEN	    32 /* an X coordinate: a field element in 0..p-1 */
#define CRY_ELLSWIFT_LEN    64 /* an ElligatorSwift encoding: bytes(u) || bytes(t) */
#define CRY_BIP324_ECDH_TAG "bip324_ellswift_xonly_ecdh"

/* ---- secp256k1 keys (secp.c) ------------------------------------------------- */

/* Make the shared libsecp256k1 context (once; cry_init calls this, and
 * every function below makes it on first use otherwise). Returns PS_OK, or
 * PS_ERR_CRYPTO when libsecp256k1 could not make or randomise it; every
 * function below then returns PS_ERR_CRYPTO (or false). */
PS_MUST_CHECK int cry_secp_init(void);

/* A private key from rng: 32 bytes drawn and redrawn until they are a valid
 * scalar (1..n-1; a redraw happens with probability about 2^-128). Returns
 * PS_OK, or PS_ERR_CRYPTO when 64 draws in a row were invalid (an RNG that
 * is broken, e.g. constant), priv zeroed. */
PS_MUST_CHECK int cry_secp_keygen(uint8_t priv[32], ps_rng_fn rng, void *rng_ctx);

/* True when priv is a valid private key (1..n-1). */
bool cry_secp_priv_valid(const uint8_t priv[32]);

/* x = the X coordinate of priv*G. Returns PS_OK, PS_ERR_INVALID_ARG when
 * priv is not a valid private key, or PS_ERR_CRYPTO (no context). */
PS_MUST_CHECK int cry_secp_pubkey_x(uint8_t x[32], const uint8_t priv[32]);

/* True when x (0..p-1) is the X coordinate of a point: BIP340's lift_x
 * succeeds. */
bool cry_secp_x_valid(const uint8_t x[32]);

/* X-only ECDH: out = x(priv * lift_x(x)) (either lift gives the same X).
 * Returns PS_OK; PS_ERR_INVALID_ARG when priv is not a valid private key;
 * PS_ERR_MALFORMED when x is not a valid X coordinate; PS_ERR_CRYPTO (no
 * context). out is zeroed on every error. */
PS_MUST_CHECK int cry_secp_ecdh_x(uint8_t out[32], const uint8_t priv[32], const uint8_t x[32]);

/* ---- ElligatorSwift (ellswift.c) ---------------------------------------------- */

/* XSwiftEC(u, t) of the BIP: the X coordinate that the 64 bytes
 * ell = u || t encode, u and t read mod p. Every 64-byte string decodes. */
void cry_ellswift_decode(uint8_t x[32], const uint8_t ell[64]);

/* XSwiftECInv(x, u, which) of the BIP: *found is set when the case which
 * (0..7) has a t with XSwiftEC(u, t) = x, and t is then written (0..p-1);
 * else t is untouched. u is read mod p, as the decoder reads it. Returns
 * PS_OK; PS_ERR_INVALID_ARG when which > 7, when x is not below p and a
 * valid X coordinate, or when u = 0 mod p (the decoder maps u = 0 to 1, so
 * no t could decode to x with it). */
PS_MUST_CHECK int cry_xswiftec_inv(uint8_t t[32], bool *found, const uint8_t x[32],
				   const uint8_t u[32], unsigned which);

/* XElligatorSwift(x) of the BIP: a uniformly random encoding of x. Each try
 * draws 32 bytes of u (redrawn unless 1..p-1) and one byte whose low 3 bits
 * are the case from rng, until XSwiftECInv finds a t. Returns PS_OK;
 * PS_ERR_INVALID_ARG when x is not a valid X coordinate below p;
 * PS_ERR_CRYPTO after 1024 tries without a t (about 2^-400 for a real RNG:
 * a broken one). ell is written only on PS_OK. */
PS_MUST_CHECK int cry_ellswift_encode(uint8_t ell[64], const uint8_t x[32], ps_rng_fn rng,
				      void *rng_ctx);

/* ellswift_create() of the BIP: a private key from rng (cry_secp_keygen)
 * and an ElligatorSwift encoding of its public key's X coordinate from rng.
 * Returns PS_OK or PS_ERR_CRYPTO (as above; priv zeroed, ell untouched). */
PS_MUST_CHECK int cry_ellswift_create(uint8_t priv[32], uint8_t ell[64], ps_rng_fn rng,
				      void *rng_ctx);

/* ellswift_ecdh_xonly(ell_theirs, priv) of the BIP:
 * out = x(priv * lift_x(XSwiftEC(u, t))). Returns PS_OK, PS_ERR_INVALID_ARG
 * when priv is not a valid private key, or PS_ERR_CRYPTO; out zeroed on
 * error. */
PS_MUST_CHECK int cry_ellswift_ecdh_xonly(uint8_t out[32], const uint8_t ell_theirs[64],
					  const uint8_t priv[32]);

/* v2_ecdh(priv, ellswift_theirs, ellswift_ours, initiating) of the BIP: the
 * shared secret
 *   sha256_tagged("bip324_ellswift_xonly_ecdh",
 *                 ellswift_initiator || ellswift_responder || x)
 * with x = cry_ellswift_ecdh_xonly(ell_theirs, priv) and the initiator's
 * encoding first (ours when initiating). The X coordinate is wiped. Returns
 * PS_OK, PS_ERR_INVALID_ARG when priv is not a valid private key, or
 * PS_ERR_CRYPTO; secret zeroed on error. */
PS_MUST_CHECK int cry_bip324_ecdh(uint8_t secret[32], const uint8_t priv[32],
				  const uint8_t ell_theirs[64], const uint8_t ell_ours[64],
				  bool initiating);

#endif
