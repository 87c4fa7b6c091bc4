/*
 * x25519_base.h - X25519 with the fixed base point u = 9 by a table of
 * multiples of the Ed25519 base point, mapped to Montgomery u.
 *
 * Curve25519 in Montgomery form and edwards25519 are birationally
 * equivalent (RFC 7748 section 4.1): (u, v) = ((1 + y) / (1 - y), ...), and
 * the Ed25519 base point B (RFC 8032 section 5.1, y = 4/5) is the image of
 * X25519's u = 9. So X25519(k, 9) is the u of k * B on edwards25519, which
 * a fixed-base method computes from 256 precomputed multiples of B (ref10's
 * radix-16 comb: 64 mixed additions and 4 doublings) at a fraction of the
 * cost of a 255-step ladder. cry_x25519_base (crypto/crypto.h) is the
 * public entry: it clamps the scalar (RFC 7748 section 5) and calls this.
 */
#ifndef PS_CRYPTO_X25519_BASE_H
#define PS_CRYPTO_X25519_BASE_H

#include <stdint.h>

/* u = the Montgomery u-coordinate (canonical, 32 bytes little-endian) of
 * s * B, for s the 256-bit little-endian integer in s with bit 255 ignored,
 * NOT clamped. For a clamped s this is X25519(s, 9). The identity (s = 0,
 * or a multiple of the group order L) gives u = 0, the value X25519's
 * ladder gives the point at infinity; no clamped scalar is a multiple of L.
 *
 * Runs in time independent of s. The first call (any thread) builds the
 * table (32 KiB, about 2.6 M instructions) once. Cannot fail. */
void cry_x25519_base_noclamp(uint8_t u[32], const uint8_t s[32]);

#endif
