/*
 * ellswift.c - ElligatorSwift for secp256k1 (BIP324): XSwiftEC, XSwiftECInv
 * and XElligatorSwift, on GMP's integers mod p.
 *
 * Not constant time, on purpose and safely: every value here is public. The
 * decoder reads the 64 bytes a peer sent in the clear; the encoder maps our
 * public key's X coordinate with a random u that is sent in the clear as
 * the first half of the encoding. The private key never comes here (secp.c
 * keeps it inside libsecp256k1), and the BIP says of XSwiftEC: "the
 * specification here does not attempt to be constant time, as it does not
 * operate on secret data."
 *
 * Why GMP and not hand-written field code: a modular inverse, a Legendre
 * symbol and a modular power are each one call (mpz_invert, mpz_legendre,
 * mpz_powm), so the functions below read line for line like the BIP's
 * formulas. Why GMP and not OpenSSL's BN: the project does not link OpenSSL
 * (libsodium is its symmetric library); BN would add a BN_CTX and an error
 * return on every arithmetic call for nothing here; and mpz_legendre has no
 * direct BN twin (BN_kronecker is close). GMP allocates its integers on the
 * heap and aborts if that fails; the few temporaries are made and freed
 * per call.
 */
#include "crypto/secp.h"

#include <gmp.h>
#include <pthread.h>
#include <string.h>

/* The field prime, the BIP's c = sqrt(-3) (the square root that is itself a
 * square), and constants derived from them. Made once, then read only. */
static struct {
	mpz_t p;
	mpz_t c;
	mpz_t sqrt_exp; /* (p + 1) / 4 */
	mpz_t half;	/* 1/2 = (p + 1) / 2 */
	mpz_t c1;	/* (1 - c) / 2 */
	mpz_t c2;	/* (1 + c) / 2 */
} K;
static pthread_once_t k_once = PTHREAD_ONCE_INIT;

static void k_init(void)
{
	mpz_inits(K.p, K.c, K.sqrt_exp, K.half, K.c1, K.c2, NULL);
	/* p = 2^256 - 2^32 - 977 */
	mpz_set_str(K.p, "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f", 16);
	/* BIP324: "Let c = 0xa2d2ba93507f1df233770c2a797962cc61f6d15da14ecd47d8d27ae1cd5f852." */
	mpz_set_str(K.c, "a2d2ba93507f1df233770c2a797962cc61f6d15da14ecd47d8d27ae1cd5f852", 16);
	mpz_add_ui(K.sqrt_exp, K.p, 1);
	mpz_fdiv_q_2exp(K.half, K.sqrt_exp, 1);
	mpz_fdiv_q_2exp(K.sqrt_exp, K.sqrt_exp, 2);
	mpz_ui_sub(K.c1, 1, K.c);
	mpz_mul(K.c1, K.c1, K.half);
	mpz_mod(K.c1, K.c1, K.p);
	mpz_add_ui(K.c2, K.c, 1);
	mpz_mul(K.c2, K.c2, K.half);
	mpz_mod(K.c2, K.c2, K.p);
}

static void k_get(void)
{
	pthread_once(&k_once, k_init);
}

/* r = the 32 big-endian bytes b, as an integer (not reduced). */
static void load(mpz_t r, const uint8_t b[32])
{
	mpz_import(r, 32, 1, 1, 1, 0, b);
}

/* b = a (0..p-1) as 32 big-endian bytes. */
static void store(uint8_t b[32], const mpz_t a)
{
	size_t n = (mpz_sizeinbase(a, 2) + 7) / 8;

	memset(b, 0, 32);
	if (mpz_sgn(a))
		mpz_export(b + 32 - n, NULL, 1, 1, 1, 0, a);
}

/* r = a / b mod p; b is nonzero mod p wherever this is called (the BIP's
 * remapping of u, t guarantees it, see the callers). */
static void fdiv(mpz_t r, const mpz_t a, const mpz_t b, mpz_t tmp)
{
	if (!mpz_invert(tmp, b, K.p))
		mpz_set_ui(tmp, 0);
	mpz_mul(r, a, tmp);
	mpz_mod(r, r, K.p);
}

/* BIP340 lift_x succeeds: x^3 + 7 is a square mod p (x reduced). It is never
 * zero: secp256k1 has prime order, so no point has y = 0. */
static bool valid_x(const mpz_t x, mpz_t tmp)
{
	mpz_powm_ui(tmp, x, 3, K.p);
	mpz_add_ui(tmp, tmp, 7);
	mpz_mod(tmp, tmp, K.p);
	return mpz_legendre(tmp, K.p) == 1;
}

/* "the" square root of the BIP (footnote modsqrt): r = a^((p+1)/4), a root
 * only when r^2 = a. a reduced. */
static bool fsqrt(mpz_t r, const mpz_t a, mpz_t tmp)
{
	mpz_powm(r, a, K.sqrt_exp, K.p);
	mpz_mul(tmp, r, r);
	mpz_mod(tmp, tmp, K.p);
	return mpz_cmp(tmp, a) == 0;
}

/* XSwiftEC(u, t), u and t reduced mod p. */
static void xswiftec(mpz_t x, mpz_t u, mpz_t t)
{
	mpz_t g, t2, X, Y, d, tmp;

	mpz_inits(g, t2, X, Y, d, tmp, NULL);
	/* "If u mod p = 0, let u = 1 instead. If t mod p = 0, let t = 1 instead." */
	if (!mpz_sgn(u))
		mpz_set_ui(u, 1);
	if (!mpz_sgn(t))
		mpz_set_ui(t, 1);
	mpz_powm_ui(g, u, 3, K.p);
	mpz_add_ui(g, g, 7); /* u^3 + 7 */
	mpz_mul(t2, t, t);
	/* "If (u^3 + t^2 + 7) mod p = 0, let t = 2t (mod p) instead." */
	mpz_add(tmp, g, t2);
	mpz_mod(tmp, tmp, K.p);
	if (!mpz_sgn(tmp)) {
		mpz_mul_2exp(t, t, 1);
		mpz_mod(t, t, K.p);
		mpz_mul(t2, t, t);
	}
	/* "Let X = (u^3 + 7 - t^2)/(2t) (mod p)." t is nonzero. */
	mpz_sub(X, g, t2);
	mpz_mul_2exp(d, t, 1);
	fdiv(X, X, d, tmp);
	/* "Let Y = (X + t)/(cu) (mod p)." u is nonzero. Y is nonzero too:
	 * X + t = 0 would mean u^3 + t^2 + 7 = 0, remapped above. */
	mpz_add(Y, X, t);
	mpz_mul(d, K.c, u);
	fdiv(Y, Y, d, tmp);
	/* "For every x in {u + 4Y^2, (-X/Y - u)/2, (X/Y - u)/2} (all mod p;
	 * the order matters): If lift_x(x) succeeds, return x. There is at
	 * least one such x." */
	mpz_mul(x, Y, Y);
	mpz_mul_2exp(x, x, 2);
	mpz_add(x, x, u);
	mpz_mod(x, x, K.p);
	if (valid_x(x, tmp))
		goto out;
	fdiv(d, X, Y, tmp); /* d = X/Y */
	mpz_neg(x, d);
	mpz_sub(x, x, u);
	mpz_mul(x, x, K.half);
	mpz_mod(x, x, K.p);
	if (valid_x(x, tmp))
		goto out;
	mpz_sub(x, d, u);
	mpz_mul(x, x, K.half);
	mpz_mod(x, x, K.p);
out:
	mpz_clears(g, t2, X, Y, d, tmp, NULL);
}

void cry_ellswift_decode(uint8_t xb[32], const uint8_t ell[64])
{
	mpz_t u, t, x;

	k_get();
	mpz_inits(u, t, x, NULL);
	/* BIP324 ellswift_ecdh_xonly: "Let u = int(ellswift_theirs[:32]) mod p.
	 * Let t = int(ellswift_theirs[32:]) mod p." */
	load(u, ell);
	mpz_mod(u, u, K.p);
	load(t, ell + 32);
	mpz_mod(t, t, K.p);
	xswiftec(x, u, t);
	store(xb, x);
	mpz_clears(u, t, x, NULL);
}

/* XSwiftECInv(x, u, which): true and t set when a t exists. x valid, u
 * nonzero, both reduced. */
static bool xswiftec_inv(mpz_t t, const mpz_t x, const mpz_t u, unsigned which)
{
	mpz_t g, s, v, w, q, tmp;
	bool found = false;

	mpz_inits(g, s, v, w, q, tmp, NULL);
	mpz_powm_ui(g, u, 3, K.p);
	mpz_add_ui(g, g, 7);
	mpz_mod(g, g, K.p); /* u^3 + 7, never zero (no point has y = 0) */
	if (!(which & 2)) {
		/* "If lift_x(-x - u) succeeds, return None." */
		mpz_add(q, x, u);
		mpz_neg(q, q);
		mpz_mod(q, q, K.p);
		if (valid_x(q, tmp))
			goto out;
		/* "Let v = x." */
		mpz_set(v, x);
		/* "Let s = -(u^3 + 7)/(u^2 + uv + v^2) (mod p)." The divisor is
		 * nonzero: u^2 + ux + x^2 = 0 makes -x - u = x*w^2 for a cube
		 * root of unity w, so lift_x(-x - u) succeeded above. */
		mpz_mul(q, u, u);
		mpz_addmul(q, u, v);
		mpz_addmul(q, v, v);
		mpz_mod(q, q, K.p);
		if (!mpz_sgn(q))
			goto out;
		mpz_neg(s, g);
		fdiv(s, s, q, tmp);
	} else {
		/* "Let s = x - u (mod p). If s = 0, return None." */
		mpz_sub(s, x, u);
		mpz_mod(s, s, K.p);
		if (!mpz_sgn(s))
			goto out;
		/* "Let r be the square root of -s(4(u^3 + 7) + 3u^2s) (mod p.)
		 * Return None if it does not exist." (r kept in w) */
		mpz_mul(q, u, u);
		mpz_mul_ui(q, q, 3);
		mpz_mul(q, q, s);
		mpz_addmul_ui(q, g, 4);
		mpz_mul(q, q, s);
		mpz_neg(q, q);
		mpz_mod(q, q, K.p);
		if (!fsqrt(w, q, tmp))
			goto out;
		/* "If case & 1 = 1 and r = 0, return None." */
		if ((which & 1) && !mpz_sgn(w))
			goto out;
		/* "Let v = (r/s - u)/2." */
		fdiv(v, w, s, tmp);
		mpz_sub(v, v, u);
		mpz_mul(v, v, K.half);
		mpz_mod(v, v, K.p);
	}
	/* "Let w be the square root of s (mod p). Return None if it does not
	 * exist." */
	if (!fsqrt(w, s, tmp))
		goto out;
	/* "If case & 5 = 0, return -w(u(1 - c)/2 + v).
	 *  If case & 5 = 1, return w(u(1 + c)/2 + v).
	 *  If case & 5 = 4, return w(u(1 - c)/2 + v).
	 *  If case & 5 = 5, return -w(u(1 + c)/2 + v)." */
	mpz_mul(t, u, (which & 1) ? K.c2 : K.c1);
	mpz_add(t, t, v);
	mpz_mul(t, t, w);
	if ((which & 5) == 0 || (which & 5) == 5)
		mpz_neg(t, t);
	mpz_mod(t, t, K.p);
	found = true;
out:
	mpz_clears(g, s, v, w, q, tmp, NULL);
	return found;
}

int cry_xswiftec_inv(uint8_t tb[32], bool *found, const uint8_t xb[32], const uint8_t ub[32],
		     unsigned which)
{
	mpz_t x, u, t, tmp;
	int r = PS_ERR_INVALID_ARG;

	if (which > 7)
		return PS_ERR_INVALID_ARG;
	k_get();
	mpz_inits(x, u, t, tmp, NULL);
	load(x, xb);
	load(u, ub);
	mpz_mod(u, u, K.p);
	if (mpz_cmp(x, K.p) >= 0 || !valid_x(x, tmp) || !mpz_sgn(u))
		goto out;
	*found = xswiftec_inv(t, x, u, which);
	if (*found)
		store(tb, t);
	r = PS_OK;
out:
	mpz_clears(x, u, t, tmp, NULL);
	return r;
}

int cry_ellswift_encode(uint8_t ell[64], const uint8_t xb[32], ps_rng_fn rng, void *rng_ctx)
{
	mpz_t x, u, t, tmp;
	uint8_t ub[32], sel, back[32], enc[CRY_ELLSWIFT_LEN];
	int r = PS_ERR_INVALID_ARG;

	k_get();
	mpz_inits(x, u, t, tmp, NULL);
	load(x, xb);
	if (mpz_cmp(x, K.p) >= 0 || !valid_x(x, tmp))
		goto out;
	r = PS_ERR_CRYPTO;
	/* BIP324 XElligatorSwift(x): "Loop: Let u be a random non-zero integer
	 * in range 1..p-1 inclusive. Let case be a random integer in range
	 * 0..7 inclusive. Compute t = XSwiftECInv(x, u, case). If t is not
	 * None, return (u, t). Otherwise, restart loop." About one try in
	 * four finds a t. */
	for (int i = 0; i < 1024; i++) {
		rng(rng_ctx, ub, sizeof(ub));
		rng(rng_ctx, &sel, 1);
		load(u, ub);
		/* rejection sampling keeps u uniform over 1..p-1 */
		if (!mpz_sgn(u) || mpz_cmp(u, K.p) >= 0)
			continue;
		if (!xswiftec_inv(t, x, u, sel & 7u))
			continue;
		memcpy(enc, ub, 32);
		store(enc + 32, t);
		/* Belt and braces, for a few microseconds: the encoding we
		 * send must decode to our key; were it ever not to, try the
		 * next u instead of sending a key the peer reads otherwise. */
		cry_ellswift_decode(back, enc);
		if (cry_memeq(back, xb, sizeof(back))) {
			memcpy(ell, enc, sizeof(enc));
			r = PS_OK;
			break;
		}
	}
out:
	mpz_clears(x, u, t, tmp, NULL);
	return r;
}

int cry_ellswift_create(uint8_t priv[32], uint8_t ell[64], ps_rng_fn rng, void *rng_ctx)
{
	uint8_t x[CRY_SECP_XLEN];
	int r;

	/* BIP324 ellswift_create: "Generate a random private key priv ...
	 * Let P = priv⋅G ... Let (u, t) = XElligatorSwift(x(P))". */
	if ((r = cry_secp_keygen(priv, rng, rng_ctx)) != PS_OK)
		return r;
	if ((r = cry_secp_pubkey_x(x, priv)) != PS_OK ||
	    (r = cry_ellswift_encode(ell, x, rng, rng_ctx)) != PS_OK) {
		cry_memzero(priv, CRY_SECP_PRIVLEN);
		return r == PS_ERR_INVALID_ARG ? PS_ERR_CRYPTO : r;
	}
	return PS_OK;
}
