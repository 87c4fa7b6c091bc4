/*
 * btc_ellswift - ElligatorSwift decoding (cry_ellswift_decode, BIP324's
 * XSwiftEC) of any 64 bytes, and its inverse (cry_xswiftec_inv) on what
 * it decoded. The decoder is the parser of the first 64 bytes a v2 peer
 * sends; it is real in fuzz builds.
 *
 * Invariants:
 *   - every input decodes, to an X coordinate that libsecp256k1 (an
 *     independent implementation of lift_x) accepts, the same twice;
 *   - with u = the input's first half (when not 0 mod p), every case 0..7
 *     of XSwiftECInv that finds a t gives one that decodes back to x with
 *     u, and at least one case finds one (the input's own t, or 2t where
 *     the BIP remaps t, is such a preimage);
 *   - an ECDH with a fixed key over the input never fails.
 *
 * Input: 64 bytes u || t (zeros past the end of a shorter input).
 */
#include "fuzz.h"

#include "crypto/secp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_crypto_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t priv[32] = { [31] = 0x2a }, zero[32];
	static const uint8_t P[32] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xfc, 0x2f };
	struct fdp f = fdp_make(data, size);
	uint8_t ell[64], x[32], x2[32], enc[64], back[32], t[32], shared[32];
	unsigned preimages = 0;
	bool found;
	int r;

	fdp_bytes(&f, ell, sizeof(ell));
	cry_ellswift_decode(x, ell);
	FUZZ_ASSERT(cry_secp_x_valid(x));
	cry_ellswift_decode(x2, ell);
	FUZZ_ASSERT(memcmp(x, x2, 32) == 0);

	for (unsigned c = 0; c < 8; c++) {
		r = cry_xswiftec_inv(t, &found, x, ell, c);
		if (r == PS_ERR_INVALID_ARG) {
			/* x is valid and c < 8: only u = 0 mod p is refused,
			 * and u < 2^256 < 2p is 0 mod p when it is 0 or p */
			FUZZ_ASSERT(memcmp(ell, zero, 32) == 0 || memcmp(ell, P, 32) == 0);
			preimages = 1;
			break;
		}
		FUZZ_ASSERT(r == PS_OK);
		if (!found)
			continue;
		preimages++;
		memcpy(enc, ell, 32);
		memcpy(enc + 32, t, 32);
		cry_ellswift_decode(back, enc);
		FUZZ_ASSERT(memcmp(back, x, 32) == 0);
	}
	FUZZ_ASSERT(preimages > 0);

	FUZZ_ASSERT(cry_ellswift_ecdh_xonly(shared, ell, priv) == PS_OK);
	return 0;
}
