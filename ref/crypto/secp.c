/*
 * secp.c - secp256k1 keys and x-only ECDH on libsecp256k1, and the BIP324
 * shared secret.
 *
 * Every operation on a private key (validity, priv*G, ECDH) is
 * libsecp256k1's, which runs in constant time and blinds its generator
 * multiplication with a context randomised once from the OS CSPRNG. The
 * context is created once (pthread_once) and only read afterwards, which
 * libsecp256k1 allows from several threads.
 *
 * Debian bookworm's 0.2.0 has no ellswift module: secp256k1_ecdh with a
 * hash function that returns the X coordinate unhashed gives x-only ECDH,
 * and the point comes from lift_x of the decoded X (ellswift.c).
 */
#include "crypto/secp.h"

#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <string.h>

static secp256k1_context *g_ctx;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void ctx_create(void)
{
	uint8_t seed[32];

	g_ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	if (!g_ctx)
		return;
	/* Blinding only: the results do not depend on the seed. */
	cry_random(seed, sizeof(seed));
	if (!secp256k1_context_randomize(g_ctx, seed)) {
		secp256k1_context_destroy(g_ctx);
		g_ctx = NULL;
	}
	cry_memzero(seed, sizeof(seed));
}

/* The shared context, or NULL when libsecp256k1 could not make one. */
static const secp256k1_context *ctx(void)
{
	pthread_once(&g_once, ctx_create);
	return g_ctx;
}

int cry_secp_init(void)
{
	return ctx() ? PS_OK : PS_ERR_CRYPTO;
}

bool cry_secp_priv_valid(const uint8_t priv[32])
{
	const secp256k1_context *c = ctx();

	return c && secp256k1_ec_seckey_verify(c, priv) == 1;
}

int cry_secp_keygen(uint8_t priv[32], ps_rng_fn rng, void *rng_ctx)
{
	/* BIP324 ellswift_create: "Generate a random private key priv". A
	 * draw of 32 bytes is out of range with probability about 2^-128;
	 * 64 bad draws in a row means the RNG is broken. */
	for (int i = 0; i < 64; i++) {
		rng(rng_ctx, priv, CRY_SECP_PRIVLEN);
		if (cry_secp_priv_valid(priv))
			return PS_OK;
	}
	cry_memzero(priv, CRY_SECP_PRIVLEN);
	return PS_ERR_CRYPTO;
}

int cry_secp_pubkey_x(uint8_t x[32], const uint8_t priv[32])
{
	const secp256k1_context *c = ctx();
	secp256k1_pubkey pk;
	uint8_t ser[33];
	size_t serlen = sizeof(ser);

	if (!c)
		return PS_ERR_CRYPTO;
	if (!secp256k1_ec_pubkey_create(c, &pk, priv))
		return PS_ERR_INVALID_ARG;
	if (!secp256k1_ec_pubkey_serialize(c, ser, &serlen, &pk, SECP256K1_EC_COMPRESSED))
		return PS_ERR_CRYPTO;
	memcpy(x, ser + 1, CRY_SECP_XLEN);
	return PS_OK;
}

/* lift_x(x) as a libsecp256k1 point: the compressed encoding 02 || x, which
 * the library parses only when x < p and x^3 + 7 is a square. */
static bool lift_x(secp256k1_pubkey *pk, const uint8_t x[32])
{
	const secp256k1_context *c = ctx();
	uint8_t ser[33];

	ser[0] = 0x02;
	memcpy(ser + 1, x, CRY_SECP_XLEN);
	return c && secp256k1_ec_pubkey_parse(c, pk, ser, sizeof(ser)) == 1;
}

bool cry_secp_x_valid(const uint8_t x[32])
{
	secp256k1_pubkey pk;

	return lift_x(&pk, x);
}

/* secp256k1_ecdh's hash step, replaced by a copy of X: x-only ECDH. */
static int ecdh_copy_x(unsigned char *output, const unsigned char *x32, const unsigned char *y32,
		       void *data)
{
	(void)y32, (void)data;
	memcpy(output, x32, CRY_SECP_XLEN);
	return 1;
}

int cry_secp_ecdh_x(uint8_t out[32], const uint8_t priv[32], const uint8_t x[32])
{
	const secp256k1_context *c = ctx();
	secp256k1_pubkey pk;

	if (!c) {
		cry_memzero(out, CRY_SECP_XLEN);
		return PS_ERR_CRYPTO;
	}
	if (!lift_x(&pk, x)) {
		cry_memzero(out, CRY_SECP_XLEN);
		return PS_ERR_MALFORMED;
	}
	/* 0 only for an invalid scalar: the group has prime order, so
	 * priv * P is never the point at infinity for a valid priv. */
	if (!secp256k1_ecdh(c, out, &pk, priv, ecdh_copy_x, NULL)) {
		cry_memzero(out, CRY_SECP_XLEN);
		return PS_ERR_INVALID_ARG;
	}
	return PS_OK;
}

int cry_ellswift_ecdh_xonly(uint8_t out[32], const uint8_t ell_theirs[64], const uint8_t priv[32])
{
	uint8_t x[CRY_SECP_XLEN];
	int r;

	/* BIP324: "Return bytes(x(priv⋅lift_x(XSwiftEC(u, t))))". */
	cry_ellswift_decode(x, ell_theirs);
	r = cry_secp_ecdh_x(out, priv, x);
	/* XSwiftEC always gives a valid X coordinate. */
	if (r == PS_ERR_MALFORMED)
		r = PS_ERR_CRYPTO;
	return r;
}

int cry_bip324_ecdh(uint8_t secret[32], const uint8_t priv[32], const uint8_t ell_theirs[64],
		    const uint8_t ell_ours[64], bool initiating)
{
	static const char tag[] = CRY_BIP324_ECDH_TAG;
	struct cry_hash_ctx h;
	uint8_t x[CRY_SECP_XLEN], taghash[CRY_SHA256_LEN];
	int r;

	if ((r = cry_ellswift_ecdh_xonly(x, ell_theirs, priv)) != PS_OK) {
		cry_memzero(secret, CRY_SHA256_LEN);
		goto out;
	}
	/* BIP340 tagged hash: SHA256(SHA256(tag) || SHA256(tag) || x). */
	cry_sha256(taghash, (const uint8_t *)tag, sizeof(tag) - 1);
	cry_hash_init(&h, CRY_HASH_SHA256);
	cry_hash_update(&h, taghash, sizeof(taghash));
	cry_hash_update(&h, taghash, sizeof(taghash));
	/* BIP324 v2_ecdh: "if initiating: # Initiating, place our public key
	 * encoding first." */
	cry_hash_update(&h, initiating ? ell_ours : ell_theirs, CRY_ELLSWIFT_LEN);
	cry_hash_update(&h, initiating ? ell_theirs : ell_ours, CRY_ELLSWIFT_LEN);
	cry_hash_update(&h, x, sizeof(x));
	cry_hash_final(&h, secret);
out:
	cry_memzero(x, sizeof(x));
	return r;
}
