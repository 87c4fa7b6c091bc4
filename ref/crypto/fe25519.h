/*
 * fe25519.h - arithmetic in GF(p), p = 2^255 - 19, for the fixed-base
 * X25519 key generation (crypto/x25519_base.h).
 *
 * An element is five unsigned 51-bit limbs, value = sum v[i] * 2^(51 i)
 * (curve25519-donna-c64's radix 2^51; products in unsigned __int128). The
 * limbs may run past 51 bits between reductions, and an element need not be
 * below p; only cry_fe_tobytes produces the canonical value. The functions
 * are inline: a fixed-base multiplication makes some 750 products, and a
 * call each would cost a tenth of them again.
 *
 * Bounds (the contract every caller keeps; x25519_base.c's formulas are
 * checked against it):
 *   - cry_fe_mul and cry_fe_sq take limbs < 2^54 and return limbs
 *     < 2^51 + 2^13;
 *   - cry_fe_add returns the limb sums (no carry): the caller keeps them
 *     < 2^54;
 *   - cry_fe_sub and cry_fe_neg take g (the subtrahend) with limbs
 *     < 2^52 - 38 (a product, a square, a reduced value: a sum goes through
 *     cry_fe_carry first) and f with limbs < 2^63, and return limbs
 *     < f[i] + 2^52;
 *   - cry_fe_carry takes limbs < 2^54 and returns limbs < 2^51 + 2^8;
 *   - cry_fe_frombytes returns limbs < 2^51, cry_fe_invert as cry_fe_mul;
 *   - cry_fe_tobytes takes any limbs.
 *
 * Everything here runs in time independent of the values (no branch and no
 * memory index depends on them): the inputs are secret in a key generation.
 */
#ifndef PS_CRYPTO_FE25519_H
#define PS_CRYPTO_FE25519_H

#include <stdint.h>

#if !defined(__SIZEOF_INT128__)
#error "crypto/fe25519.h needs unsigned __int128 (a 64-bit gcc or clang)"
#endif

typedef struct {
	uint64_t v[5];
} cry_fe;

/* h = the 255-bit little-endian integer in s, bit 255 ignored (RFC 7748
 * section 5 masks it); values from p to 2^255 - 1 are accepted unreduced. */
static inline void cry_fe_frombytes(cry_fe *h, const uint8_t s[32]);

/* s = f mod p, the canonical 32-byte little-endian encoding (bit 255 clear). */
static inline void cry_fe_tobytes(uint8_t s[32], const cry_fe *f);

/* h = n, for n < 2^51. */
static inline void cry_fe_set_small(cry_fe *h, uint64_t n);

/* h = f + g, h = f - g, h = -f, h = f * g, h = f^2 (mod p). h may be f or g. */
static inline void cry_fe_add(cry_fe *h, const cry_fe *f, const cry_fe *g);
static inline void cry_fe_sub(cry_fe *h, const cry_fe *f, const cry_fe *g);
static inline void cry_fe_neg(cry_fe *h, const cry_fe *f);
static inline void cry_fe_mul(cry_fe *h, const cry_fe *f, const cry_fe *g);
static inline void cry_fe_sq(cry_fe *h, const cry_fe *f);

/* h = f^(2^n), n >= 1. h may be f. */
static inline void cry_fe_sqn(cry_fe *h, const cry_fe *f, unsigned n);

/* h = h with one carry pass: the same value mod p, smaller limbs. */
static inline void cry_fe_carry(cry_fe *h);

/* h = z^(p-2) = 1/z (Fermat), and 0 for z = 0 (X25519's convention for the
 * point at infinity, RFC 7748 section 5: "x_2 * (z_2^(p - 2))"). h may be z. */
static inline void cry_fe_invert(cry_fe *h, const cry_fe *z);

/* ---- implementation ---------------------------------------------------------- */

#define CRY_FE_MASK51	     ((UINT64_C(1) << 51) - 1)
#define CRY_FE_ALWAYS_INLINE __attribute__((always_inline)) static inline

typedef unsigned __int128 cry_u128;

static inline uint64_t cry_fe_load64_le(const uint8_t *p)
{
	uint64_t r = 0;

	for (int i = 7; i >= 0; i--)
		r = (r << 8) | p[i];
	return r;
}

static inline void cry_fe_frombytes(cry_fe *h, const uint8_t s[32])
{
	uint64_t w0 = cry_fe_load64_le(s), w1 = cry_fe_load64_le(s + 8);
	uint64_t w2 = cry_fe_load64_le(s + 16), w3 = cry_fe_load64_le(s + 24);

	h->v[0] = w0 & CRY_FE_MASK51;
	h->v[1] = ((w0 >> 51) | (w1 << 13)) & CRY_FE_MASK51;
	h->v[2] = ((w1 >> 38) | (w2 << 26)) & CRY_FE_MASK51;
	h->v[3] = ((w2 >> 25) | (w3 << 39)) & CRY_FE_MASK51;
	h->v[4] = (w3 >> 12) & CRY_FE_MASK51;
}

/* One carry pass: every limb but t[0] below 2^51, the carry out of t[4]
 * folded into t[0] times 19 (2^255 = 19 mod p). */
static inline void cry_fe_carry_limbs(uint64_t t[5])
{
	t[1] += t[0] >> 51;
	t[0] &= CRY_FE_MASK51;
	t[2] += t[1] >> 51;
	t[1] &= CRY_FE_MASK51;
	t[3] += t[2] >> 51;
	t[2] &= CRY_FE_MASK51;
	t[4] += t[3] >> 51;
	t[3] &= CRY_FE_MASK51;
	t[0] += 19 * (t[4] >> 51);
	t[4] &= CRY_FE_MASK51;
}

static inline void cry_fe_carry(cry_fe *h)
{
	cry_fe_carry_limbs(h->v);
}

static inline void cry_fe_tobytes(uint8_t s[32], const cry_fe *f)
{
	uint64_t t[5] = { f->v[0], f->v[1], f->v[2], f->v[3], f->v[4] }, q;

	/* Two passes leave t[1..4] < 2^51 and t[0] < 2^51 + 19: a value
	 * below 2^255 + 19 < 2p. */
	cry_fe_carry_limbs(t);
	cry_fe_carry_limbs(t);
	/* q = 1 exactly when t >= p, i.e. when t + 19 reaches 2^255 */
	q = (t[0] + 19) >> 51;
	q = (t[1] + q) >> 51;
	q = (t[2] + q) >> 51;
	q = (t[3] + q) >> 51;
	q = (t[4] + q) >> 51;
	/* t - q p = t + 19 q - q 2^255: add 19 q, carry, drop bit 255 */
	t[0] += 19 * q;
	t[1] += t[0] >> 51;
	t[0] &= CRY_FE_MASK51;
	t[2] += t[1] >> 51;
	t[1] &= CRY_FE_MASK51;
	t[3] += t[2] >> 51;
	t[2] &= CRY_FE_MASK51;
	t[4] += t[3] >> 51;
	t[3] &= CRY_FE_MASK51;
	t[4] &= CRY_FE_MASK51;

	uint64_t w[4] = {
		t[0] | (t[1] << 51),
		(t[1] >> 13) | (t[2] << 38),
		(t[2] >> 26) | (t[3] << 25),
		(t[3] >> 39) | (t[4] << 12),
	};
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 8; j++)
			s[8 * i + j] = (uint8_t)(w[i] >> (8 * j));
}

static inline void cry_fe_set_small(cry_fe *h, uint64_t n)
{
	h->v[0] = n;
	h->v[1] = h->v[2] = h->v[3] = h->v[4] = 0;
}

CRY_FE_ALWAYS_INLINE void cry_fe_add(cry_fe *h, const cry_fe *f, const cry_fe *g)
{
	for (int i = 0; i < 5; i++)
		h->v[i] = f->v[i] + g->v[i];
}

CRY_FE_ALWAYS_INLINE void cry_fe_sub(cry_fe *h, const cry_fe *f, const cry_fe *g)
{
	/* h = f + 2p - g: with g's limbs below 2p's (2^52 - 38, then
	 * 2^52 - 2), no limb goes negative */
	h->v[0] = (f->v[0] + UINT64_C(0xfffffffffffda)) - g->v[0];
	h->v[1] = (f->v[1] + UINT64_C(0xffffffffffffe)) - g->v[1];
	h->v[2] = (f->v[2] + UINT64_C(0xffffffffffffe)) - g->v[2];
	h->v[3] = (f->v[3] + UINT64_C(0xffffffffffffe)) - g->v[3];
	h->v[4] = (f->v[4] + UINT64_C(0xffffffffffffe)) - g->v[4];
}

CRY_FE_ALWAYS_INLINE void cry_fe_neg(cry_fe *h, const cry_fe *f)
{
	cry_fe zero = { { 0, 0, 0, 0, 0 } };

	cry_fe_sub(h, &zero, f);
}

/* The five 128-bit column sums of a product, reduced to limbs < 2^51 + 2^13. */
CRY_FE_ALWAYS_INLINE void cry_fe_reduce128(cry_fe *h, cry_u128 t0, cry_u128 t1, cry_u128 t2,
					   cry_u128 t3, cry_u128 t4)
{
	uint64_t r0, r1, r2, r3, r4;

	r0 = (uint64_t)t0 & CRY_FE_MASK51;
	t1 += (uint64_t)(t0 >> 51);
	r1 = (uint64_t)t1 & CRY_FE_MASK51;
	t2 += (uint64_t)(t1 >> 51);
	r2 = (uint64_t)t2 & CRY_FE_MASK51;
	t3 += (uint64_t)(t2 >> 51);
	r3 = (uint64_t)t3 & CRY_FE_MASK51;
	t4 += (uint64_t)(t3 >> 51);
	r4 = (uint64_t)t4 & CRY_FE_MASK51;
	/* with inputs < 2^54, t4 < 5 * 2^108 + 2^64: its carry is below
	 * 2^59.4, 19 times it below 2^63.7, and r0 stays below 2^64 */
	r0 += 19 * (uint64_t)(t4 >> 51);
	r1 += r0 >> 51;
	r0 &= CRY_FE_MASK51;
	h->v[0] = r0;
	h->v[1] = r1;
	h->v[2] = r2;
	h->v[3] = r3;
	h->v[4] = r4;
}

CRY_FE_ALWAYS_INLINE void cry_fe_mul(cry_fe *h, const cry_fe *f, const cry_fe *g)
{
	uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
	uint64_t g0 = g->v[0], g1 = g->v[1], g2 = g->v[2], g3 = g->v[3], g4 = g->v[4];
	/* 2^255 = 19: the columns past 4 fold back times 19 */
	uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
	cry_u128 t0, t1, t2, t3, t4;

	t0 = (cry_u128)f0 * g0 + (cry_u128)f1 * g4_19 + (cry_u128)f2 * g3_19 +
	     (cry_u128)f3 * g2_19 + (cry_u128)f4 * g1_19;
	t1 = (cry_u128)f0 * g1 + (cry_u128)f1 * g0 + (cry_u128)f2 * g4_19 + (cry_u128)f3 * g3_19 +
	     (cry_u128)f4 * g2_19;
	t2 = (cry_u128)f0 * g2 + (cry_u128)f1 * g1 + (cry_u128)f2 * g0 + (cry_u128)f3 * g4_19 +
	     (cry_u128)f4 * g3_19;
	t3 = (cry_u128)f0 * g3 + (cry_u128)f1 * g2 + (cry_u128)f2 * g1 + (cry_u128)f3 * g0 +
	     (cry_u128)f4 * g4_19;
	t4 = (cry_u128)f0 * g4 + (cry_u128)f1 * g3 + (cry_u128)f2 * g2 + (cry_u128)f3 * g1 +
	     (cry_u128)f4 * g0;
	cry_fe_reduce128(h, t0, t1, t2, t3, t4);
}

CRY_FE_ALWAYS_INLINE void cry_fe_sq(cry_fe *h, const cry_fe *f)
{
	uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
	uint64_t f0_2 = 2 * f0, f1_2 = 2 * f1, f2_2 = 2 * f2, f3_2 = 2 * f3;
	uint64_t f3_19 = 19 * f3, f4_19 = 19 * f4;
	cry_u128 t0, t1, t2, t3, t4;

	t0 = (cry_u128)f0 * f0 + (cry_u128)f1_2 * f4_19 + (cry_u128)f2_2 * f3_19;
	t1 = (cry_u128)f0_2 * f1 + (cry_u128)f2_2 * f4_19 + (cry_u128)f3 * f3_19;
	t2 = (cry_u128)f0_2 * f2 + (cry_u128)f1 * f1 + (cry_u128)f3_2 * f4_19;
	t3 = (cry_u128)f0_2 * f3 + (cry_u128)f1_2 * f2 + (cry_u128)f4 * f4_19;
	t4 = (cry_u128)f0_2 * f4 + (cry_u128)f1_2 * f3 + (cry_u128)f2 * f2;
	cry_fe_reduce128(h, t0, t1, t2, t3, t4);
}

static inline void cry_fe_sqn(cry_fe *h, const cry_fe *f, unsigned n)
{
	cry_fe_sq(h, f);
	while (--n)
		cry_fe_sq(h, h);
}

static inline void cry_fe_invert(cry_fe *h, const cry_fe *z)
{
	cry_fe z2, z9, z11, z5_0, z10_0, z20_0, z50_0, z100_0, t;

	/* p - 2 = 2^255 - 21, by the addition chain of curve25519-donna and
	 * ref10: 254 squarings, 11 multiplications */
	cry_fe_sq(&z2, z);		 /* 2 */
	cry_fe_sqn(&t, &z2, 2);		 /* 8 */
	cry_fe_mul(&z9, &t, z);		 /* 9 */
	cry_fe_mul(&z11, &z9, &z2);	 /* 11 */
	cry_fe_sq(&t, &z11);		 /* 22 */
	cry_fe_mul(&z5_0, &t, &z9);	 /* 2^5 - 1 */
	cry_fe_sqn(&t, &z5_0, 5);	 /* 2^10 - 2^5 */
	cry_fe_mul(&z10_0, &t, &z5_0);	 /* 2^10 - 1 */
	cry_fe_sqn(&t, &z10_0, 10);	 /* 2^20 - 2^10 */
	cry_fe_mul(&z20_0, &t, &z10_0);	 /* 2^20 - 1 */
	cry_fe_sqn(&t, &z20_0, 20);	 /* 2^40 - 2^20 */
	cry_fe_mul(&t, &t, &z20_0);	 /* 2^40 - 1 */
	cry_fe_sqn(&t, &t, 10);		 /* 2^50 - 2^10 */
	cry_fe_mul(&z50_0, &t, &z10_0);	 /* 2^50 - 1 */
	cry_fe_sqn(&t, &z50_0, 50);	 /* 2^100 - 2^50 */
	cry_fe_mul(&z100_0, &t, &z50_0); /* 2^100 - 1 */
	cry_fe_sqn(&t, &z100_0, 100);	 /* 2^200 - 2^100 */
	cry_fe_mul(&t, &t, &z100_0);	 /* 2^200 - 1 */
	cry_fe_sqn(&t, &t, 50);		 /* 2^250 - 2^50 */
	cry_fe_mul(&t, &t, &z50_0);	 /* 2^250 - 1 */
	cry_fe_sqn(&t, &t, 5);		 /* 2^255 - 2^5 */
	cry_fe_mul(h, &t, &z11);	 /* 2^255 - 21 */
}

#endif
