#include "crypto/sha3.h"

#include <string.h>

#define SHA3_256_RATE 136 /* (1600 - 2 * 256) / 8 */

static const uint64_t round_constants[24] = {
	0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
	0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
	0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
	0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
	0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
	0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* rho offsets and the pi lane order, walked as in the reference "readable
 * and compact" Keccak (keccak.team) */
static const unsigned rho[24] = { 1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
				  27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44 };
static const unsigned pi[24] = { 10, 7,	 11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
				 15, 23, 19, 13, 12, 2, 20, 14, 22, 9,	6,  1 };

static uint64_t rotl(uint64_t x, unsigned n)
{
	return (x << n) | (x >> (64 - n));
}

static void keccak_f1600(uint64_t s[25])
{
	for (int round = 0; round < 24; round++) {
		uint64_t c[5], t;

		/* theta */
		for (int x = 0; x < 5; x++)
			c[x] = s[x] ^ s[x + 5] ^ s[x + 10] ^ s[x + 15] ^ s[x + 20];
		for (int x = 0; x < 5; x++) {
			t = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
			for (int y = 0; y < 25; y += 5)
				s[y + x] ^= t;
		}
		/* rho and pi */
		t = s[1];
		for (int i = 0; i < 24; i++) {
			uint64_t u = s[pi[i]];
			s[pi[i]] = rotl(t, rho[i]);
			t = u;
		}
		/* chi */
		for (int y = 0; y < 25; y += 5) {
			for (int x = 0; x < 5; x++)
				c[x] = s[y + x];
			for (int x = 0; x < 5; x++)
				s[y + x] = c[x] ^ (~c[(x + 1) % 5] & c[(x + 2) % 5]);
		}
		/* iota */
		s[0] ^= round_constants[round];
	}
}

static void absorb_block(uint64_t s[25], const uint8_t *p)
{
	for (int i = 0; i < SHA3_256_RATE / 8; i++) {
		uint64_t lane = 0;
		for (int b = 7; b >= 0; b--)
			lane = (lane << 8) | p[8 * i + b];
		s[i] ^= lane;
	}
	keccak_f1600(s);
}

void cry_sha3_256(uint8_t out[32], const uint8_t *in, size_t len)
{
	uint64_t s[25];
	uint8_t last[SHA3_256_RATE];

	memset(s, 0, sizeof(s));
	for (; len >= SHA3_256_RATE; in += SHA3_256_RATE, len -= SHA3_256_RATE)
		absorb_block(s, in);
	/* FIPS 202: SHA3 appends the domain bits 01, then pad10*1 */
	memset(last, 0, sizeof(last));
	if (len)
		memcpy(last, in, len);
	last[len] ^= 0x06;
	last[SHA3_256_RATE - 1] ^= 0x80;
	absorb_block(s, last);
	for (int i = 0; i < 32; i++)
		out[i] = (uint8_t)(s[i / 8] >> (8 * (i % 8)));
}
