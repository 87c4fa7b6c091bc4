/*
 * x25519_base.c - X25519(k, 9) as the Montgomery u of k * B on edwards25519.
 *
 * Points are in extended twisted Edwards coordinates (X : Y : Z : T), x =
 * X/Z, y = Y/Z, x y = T/Z, on -x^2 + y^2 = 1 + d x^2 y^2 (RFC 8032 section
 * 5.1). The table holds, for i = 0..31 and j = 0..7, (j + 1) * 256^i * B in
 * affine "niels" form (y + x, y - x, 2 d x y), the form a mixed addition
 * takes. The scalar is recoded into 64 signed radix-16 digits in [-8, 8]
 * (ref10's ge_scalarmult_base), so that
 *
 *   s B = 16 * sum_{i odd} e_i 16^(i-1) B + sum_{i even} e_i 16^i B
 *
 * and each term is one table entry, selected in constant time (every entry
 * of the row read, the wanted one kept by a mask) and negated by a mask
 * when the digit is negative. 64 mixed additions and 4 doublings in all;
 * then u = (1 + y) / (1 - y) (RFC 7748 section 4.1) with one inversion.
 *
 * The addition and doubling formulas are RFC 8032 section 5.1.4's, which
 * it calls complete: they hold for any two points, the identity and equal
 * points included, so no input needs a branch.
 *
 * Limb bounds (crypto/fe25519.h: mul and sq take limbs < 2^54 and return
 * limbs < 2^51 + 2^13; sub takes a subtrahend below 2^52 - 38, which every
 * product is, and returns < f + 2^52): noted at each formula. Every
 * subtrahend below is a product or a square, but one sum, carried first.
 */
#include "crypto/x25519_base.h"

#include <stdatomic.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/fe25519.h"

struct ge_p3 {
	cry_fe X, Y, Z, T;
};

/* Affine (y + x, y - x, 2 d x y). */
struct ge_niels {
	cry_fe ypx, ymx, xy2d;
};

/* The four values every RFC 8032 formula ends with: X3 = E F, Y3 = G H,
 * T3 = E H, Z3 = F G. */
struct ge_efgh {
	cry_fe E, F, G, H;
};

/* RFC 8032 section 5.1: B = (X(P), 4/5), X(P) the even root,
 * 15112221349535400772501151409588531511454012693041857206046113283949847762202
 * little-endian. */
static const uint8_t BASE_X[32] = {
	0x1a, 0xd5, 0x25, 0x8f, 0x60, 0x2d, 0x56, 0xc9, 0xb2, 0xa7, 0x25,
	0x95, 0x60, 0xc7, 0x2c, 0x69, 0x5c, 0xdc, 0xd6, 0xfd, 0x31, 0xe2,
	0xa4, 0xc0, 0xfe, 0x53, 0x6e, 0xcd, 0xd3, 0x36, 0x69, 0x21,
};

/* Two limbs side by side (a GCC and clang vector extension; without SIMD
 * the compiler lowers it to pairs of words). */
typedef uint64_t cry_v2 __attribute__((vector_size(16)));

/* TABLE[i][j] = (j + 1) * 256^i * B in niels form: its 15 limbs in a row
 * (y + x, y - x, 2 d x y) and a zero, as 8 pairs, the way select_niels
 * scans them */
static cry_v2 TABLE[32][8][8];
static cry_fe D2; /* 2 d */
/* 0: not built, 1: a thread is building it, 2: ready */
static atomic_int table_state;

/* f reduced to limbs < 2^51 (through the canonical bytes): for constants. */
static void fe_normalize(cry_fe *f)
{
	uint8_t b[32];

	cry_fe_tobytes(b, f);
	cry_fe_frombytes(f, b);
}

static void ge_from_efgh(struct ge_p3 *r, const struct ge_efgh *a)
{
	cry_fe_mul(&r->X, &a->E, &a->F);
	cry_fe_mul(&r->Y, &a->G, &a->H);
	cry_fe_mul(&r->T, &a->E, &a->H);
	cry_fe_mul(&r->Z, &a->F, &a->G);
}

/* RFC 8032 section 5.1.4, addition: A = (Y1-X1)*(Y2-X2), B =
 * (Y1+X1)*(Y2+X2), C = T1*2*d*T2, D = Z1*2*Z2, E = B-A, F = D-C, G = D+C,
 * H = B+A. Inputs from ge_from_efgh (limbs < 2^52); the sums and
 * differences stay below 2^53.1. Only the table is built with it. */
static void ge_add(struct ge_p3 *r, const struct ge_p3 *p, const struct ge_p3 *q)
{
	struct ge_efgh o;
	cry_fe a, b, c, d, t;

	cry_fe_sub(&a, &p->Y, &p->X);
	cry_fe_sub(&t, &q->Y, &q->X);
	cry_fe_mul(&a, &a, &t);
	cry_fe_add(&b, &p->Y, &p->X);
	cry_fe_add(&t, &q->Y, &q->X);
	cry_fe_mul(&b, &b, &t);
	cry_fe_mul(&c, &p->T, &D2);
	cry_fe_mul(&c, &c, &q->T);
	cry_fe_mul(&d, &p->Z, &q->Z);
	cry_fe_add(&d, &d, &d);
	cry_fe_sub(&o.E, &b, &a);
	cry_fe_sub(&o.F, &d, &c);
	cry_fe_add(&o.G, &d, &c);
	cry_fe_add(&o.H, &b, &a);
	ge_from_efgh(r, &o);
}

/* RFC 8032 section 5.1.4, doubling: A = X1^2, B = Y1^2, C = 2*Z1^2, H =
 * A+B, E = H-(X1+Y1)^2, G = A-B, F = C+G. F, the largest, stays below
 * 2^53.4. */
static void ge_dbl(struct ge_p3 *r, const struct ge_p3 *p)
{
	struct ge_efgh o;
	cry_fe a, b, c, t;

	cry_fe_sq(&a, &p->X);
	cry_fe_sq(&b, &p->Y);
	cry_fe_sq(&c, &p->Z);
	cry_fe_add(&c, &c, &c);
	cry_fe_add(&o.H, &a, &b);
	cry_fe_add(&t, &p->X, &p->Y);
	cry_fe_sq(&t, &t);
	cry_fe_sub(&o.E, &o.H, &t);
	cry_fe_sub(&o.G, &a, &b);
	cry_fe_add(&o.F, &c, &o.G);
	ge_from_efgh(r, &o);
}

/* The addition with Z2 = 1 and the second point in niels form (y2 + x2,
 * y2 - x2, 2 d x2 y2): A = (Y1-X1)*(y2-x2), B = (Y1+X1)*(y2+x2), C =
 * T1*(2 d x2 y2), D = 2*Z1; E, F, G, H as above. q's limbs are below 2^52
 * (a table entry, or its negation). */
static void ge_madd_efgh(struct ge_efgh *o, const struct ge_p3 *p, const struct ge_niels *q)
{
	cry_fe a, b, c, d;

	cry_fe_sub(&a, &p->Y, &p->X);
	cry_fe_mul(&a, &a, &q->ymx);
	cry_fe_add(&b, &p->Y, &p->X);
	cry_fe_mul(&b, &b, &q->ypx);
	cry_fe_mul(&c, &p->T, &q->xy2d);
	cry_fe_add(&d, &p->Z, &p->Z);
	cry_fe_sub(&o->E, &b, &a);
	cry_fe_sub(&o->F, &d, &c);
	cry_fe_add(&o->G, &d, &c);
	cry_fe_add(&o->H, &b, &a);
}

/* TABLE and D2, once. Public values only, so plain code: per row, the
 * eight multiples in extended coordinates, then one inversion for their
 * eight Z (Montgomery's trick) to make them affine. */
static void build_table(void)
{
	struct ge_p3 p, row[8];
	cry_fe d, t, acc[8], inv, zinv, x, y;

	/* d = -121665/121666 (RFC 8032 section 5.1) */
	cry_fe_set_small(&t, 121666);
	cry_fe_invert(&t, &t);
	cry_fe_set_small(&d, 121665);
	cry_fe_mul(&d, &d, &t);
	cry_fe_neg(&d, &d);
	cry_fe_add(&D2, &d, &d);
	fe_normalize(&D2);

	/* B = (X(P), 4/5) */
	cry_fe_frombytes(&p.X, BASE_X);
	cry_fe_set_small(&t, 5);
	cry_fe_invert(&t, &t);
	cry_fe_set_small(&y, 4);
	cry_fe_mul(&p.Y, &y, &t);
	cry_fe_set_small(&p.Z, 1);
	cry_fe_mul(&p.T, &p.X, &p.Y);

	for (int i = 0; i < 32; i++) {
		row[0] = p;
		for (int j = 1; j < 8; j++)
			ge_add(&row[j], &row[j - 1], &p);
		acc[0] = row[0].Z;
		for (int j = 1; j < 8; j++)
			cry_fe_mul(&acc[j], &acc[j - 1], &row[j].Z);
		cry_fe_invert(&inv, &acc[7]);
		for (int j = 7; j >= 0; j--) {
			struct ge_niels n;

			if (j > 0) {
				cry_fe_mul(&zinv, &inv, &acc[j - 1]);
				cry_fe_mul(&inv, &inv, &row[j].Z);
			} else {
				zinv = inv;
			}
			cry_fe_mul(&x, &row[j].X, &zinv);
			cry_fe_mul(&y, &row[j].Y, &zinv);
			cry_fe_add(&n.ypx, &y, &x);
			cry_fe_sub(&n.ymx, &y, &x);
			cry_fe_mul(&t, &x, &y);
			cry_fe_mul(&n.xy2d, &t, &D2);
			fe_normalize(&n.ypx);
			fe_normalize(&n.ymx);
			fe_normalize(&n.xy2d);
			for (int k = 0; k < 8; k++) {
				uint64_t w[2];

				for (int l = 0; l < 2; l++) {
					int at = 2 * k + l;

					w[l] = at < 5	 ? n.ypx.v[at]
					       : at < 10 ? n.ymx.v[at - 5]
					       : at < 15 ? n.xy2d.v[at - 10]
							 : 0;
				}
				TABLE[i][j][k] = (cry_v2){ w[0], w[1] };
			}
		}
		/* p = 256 p */
		for (int k = 0; k < 8; k++)
			ge_dbl(&p, &p);
	}
}

/* t = b * TABLE[pos][0] (b in [-8, 8], 0 the identity (1, 1, 0)), reading
 * every entry of the row whatever b is: each entry ANDed with a mask that
 * is all ones for the wanted one, and the results ORed together. -P =
 * (-x, y): y + x and y - x swap, 2 d x y changes sign. Nothing of it stays
 * in memory but t (the caller wipes t). */
static void select_niels(struct ge_niels *t, unsigned pos, int8_t b)
{
	uint8_t ub = (uint8_t)b, neg = (uint8_t)(ub >> 7);
	uint8_t babs = (uint8_t)((ub ^ (uint8_t)(0 - neg)) + neg);
	uint64_t mask;
	cry_v2 a0, a1, a2, a3, a4, a5, a6, a7, m;

	_Static_assert(sizeof(*t) == 15 * sizeof(uint64_t), "a niels point is 15 limbs in a row");
	/* the identity (1, 1, 0) when babs == 0 */
	mask = 0 - (((uint64_t)babs - 1) >> 63);
	a0 = (cry_v2){ mask & 1, 0 };
	a1 = (cry_v2){ 0, 0 };
	a2 = (cry_v2){ 0, mask & 1 };
	a3 = a4 = a5 = a6 = a7 = a1;
	for (unsigned j = 0; j < 8; j++) {
		const cry_v2 *src = TABLE[pos][j];

		/* all ones when babs == j + 1: (0 - 1) >> 63 is 1, (1..15 - 1) >> 63 is 0 */
		mask = 0 - (((uint64_t)(babs ^ (j + 1)) - 1) >> 63);
		/* keep the compiler from turning the mask back into a branch */
		__asm__("" : "+r"(mask));
		m = (cry_v2){ mask, mask };
		a0 |= src[0] & m;
		a1 |= src[1] & m;
		a2 |= src[2] & m;
		a3 |= src[3] & m;
		a4 |= src[4] & m;
		a5 |= src[5] & m;
		a6 |= src[6] & m;
		a7 |= src[7] & m;
	}
	/* the 15 limbs in order (the 16th, zero, dropped) */
	memcpy(t, (const cry_v2[8]){ a0, a1, a2, a3, a4, a5, a6, a7 }, sizeof(*t));

	/* negative b: swap y + x and y - x, and 2 d x y becomes 2p - 2 d x y
	 * (cry_fe_neg's form: a table entry's limbs are below 2^51) */
	mask = 0 - (uint64_t)neg;
	__asm__("" : "+r"(mask));
	for (unsigned k = 0; k < 5; k++) {
		uint64_t d = mask & (t->ypx.v[k] ^ t->ymx.v[k]);
		uint64_t x = t->xy2d.v[k];
		uint64_t minus =
			(k == 0 ? UINT64_C(0xfffffffffffda) : UINT64_C(0xffffffffffffe)) - x;

		t->ypx.v[k] ^= d;
		t->ymx.v[k] ^= d;
		t->xy2d.v[k] = x ^ (mask & (x ^ minus));
	}
}

/* build_table once, whichever thread comes first (C11 atomics rather than
 * pthread_once: no thread library to link). A thread that finds another
 * building waits for it: once per process, well under a millisecond. */
static void table_ready(void)
{
	int expected = 0;

	if (atomic_load_explicit(&table_state, memory_order_acquire) == 2)
		return;
	if (atomic_compare_exchange_strong(&table_state, &expected, 1)) {
		build_table();
		atomic_store_explicit(&table_state, 2, memory_order_release);
		return;
	}
	while (atomic_load_explicit(&table_state, memory_order_acquire) != 2)
		;
}

void cry_x25519_base_noclamp(uint8_t u[32], const uint8_t s[32])
{
	int8_t e[64], carry = 0;
	struct ge_p3 h;
	struct ge_niels t;
	struct ge_efgh o;
	cry_fe num, den;

	table_ready();

	/* 64 radix-16 digits, bit 255 dropped; then each moved into [-8, 7]
	 * by carrying 16 to the next (the last, at most 7 + 1, keeps it) */
	for (int i = 0; i < 32; i++) {
		e[2 * i] = (int8_t)(s[i] & 15);
		e[2 * i + 1] = (int8_t)((s[i] >> 4) & 15);
	}
	e[63] = (int8_t)(e[63] & 7);
	for (int i = 0; i < 63; i++) {
		e[i] = (int8_t)(e[i] + carry);
		carry = (int8_t)((e[i] + 8) >> 4);
		e[i] = (int8_t)(e[i] - carry * 16);
	}
	e[63] = (int8_t)(e[63] + carry);

	/* h = the identity (0 : 1 : 1 : 0) */
	cry_fe_set_small(&h.X, 0);
	cry_fe_set_small(&h.Y, 1);
	cry_fe_set_small(&h.Z, 1);
	cry_fe_set_small(&h.T, 0);
	for (unsigned i = 1; i < 64; i += 2) {
		select_niels(&t, i / 2, e[i]);
		ge_madd_efgh(&o, &h, &t);
		ge_from_efgh(&h, &o);
	}
	for (int k = 0; k < 4; k++)
		ge_dbl(&h, &h);
	for (unsigned i = 0; i < 64; i += 2) {
		select_niels(&t, i / 2, e[i]);
		ge_madd_efgh(&o, &h, &t);
		if (i < 62)
			ge_from_efgh(&h, &o);
	}

	/* The last addition only as far as u needs: y = Y3/Z3 = (G H)/(F G)
	 * = H/F, so u = (1 + y)/(1 - y) = (F + H)/(F - H). The identity has
	 * H = F: den = 0, whose inverse is 0, so u = 0. */
	cry_fe_add(&num, &o.F, &o.H);
	cry_fe_carry(&o.H); /* H = B + A, a sum: carried to be a subtrahend */
	cry_fe_sub(&den, &o.F, &o.H);
	cry_fe_invert(&den, &den);
	cry_fe_mul(&num, &num, &den);
	cry_fe_tobytes(u, &num);

	cry_memzero(e, sizeof(e));
	cry_memzero(&h, sizeof(h));
	cry_memzero(&t, sizeof(t));
	cry_memzero(&o, sizeof(o));
	cry_memzero(&num, sizeof(num));
	cry_memzero(&den, sizeof(den));
}
