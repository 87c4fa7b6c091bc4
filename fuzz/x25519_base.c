/*
 * x25519_base - the fixed-base X25519 key generation (cry_x25519_base,
 * crypto/x25519_base.h: a table of multiples of the Ed25519 base point,
 * mapped to Montgomery u) against libsodium's ladders, on any scalar.
 *
 * Invariants:
 *   - cry_x25519_base(k) equals libsodium's base-point ladder
 *     (cry_x25519_base_ladder) and its variable-base ladder on u = 9
 *     (cry_x25519), byte for byte;
 *   - not clamped: cry_x25519_base_noclamp(s) equals it for s + L (L the
 *     group order, RFC 8032 section 5.1) whenever s + L < 2^255, and bit
 *     255 of s changes nothing.
 *
 * Input: 32 bytes, the scalar (zeros past the end of a shorter input).
 */
#include "fuzz.h"

#include "crypto/x25519_base.h"

/* L = 2^252 + 27742317777372353535851937790883648493, little-endian */
static const uint8_t L[32] = { 0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
			       0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
			       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_crypto_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t nine[32] = { 9 };
	uint8_t k[32] = { 0 }, fixed[32], ladder[32], dh[32], s[32], sl[32], u1[32], u2[32];
	unsigned carry = 0;

	memcpy(k, data, size < 32 ? size : 32);

	FUZZ_ASSERT(cry_x25519_base(fixed, k) == PS_OK);
	FUZZ_ASSERT(cry_x25519_base_ladder(ladder, k) == PS_OK);
	FUZZ_ASSERT(cry_x25519(dh, k, nine) == PS_OK);
	FUZZ_ASSERT(memcmp(fixed, ladder, 32) == 0);
	FUZZ_ASSERT(memcmp(fixed, dh, 32) == 0);

	/* s = k without bit 255; sl = s + L */
	memcpy(s, k, 32);
	s[31] &= 0x7f;
	for (int i = 0; i < 32; i++) {
		carry += (unsigned)s[i] + L[i];
		sl[i] = (uint8_t)carry;
		carry >>= 8;
	}
	cry_x25519_base_noclamp(u1, s);
	cry_x25519_base_noclamp(u2, k);
	FUZZ_ASSERT(memcmp(u1, u2, 32) == 0);
	if (sl[31] < 0x80) {
		cry_x25519_base_noclamp(u2, sl);
		FUZZ_ASSERT(memcmp(u1, u2, 32) == 0);
	}
	return 0;
}
