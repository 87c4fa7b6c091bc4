/*
 * btc_v2cipher - the BIP324 packet cipher (ref/btc/v2cipher.h): an honest
 * pair must always agree, and a receiver fed raw bytes must never crash,
 * release unauthenticated contents, or move on a refused call.
 *
 * Three ciphers from keys the input seeds: a (initiator) and b (responder),
 * a pair, and v, a responder that receives whatever the input says. In the
 * fuzz build the AEAD is a copy with an all-zero tag and the length cipher
 * a copy, so raw packets with a zero tag get through to the checks behind.
 *
 * Invariants:
 *   - a packet a or b encrypts (any contents, aad, ignore bit, across
 *     rekeyings) decrypts on the other to the same contents and ignore bit;
 *   - v: decrypt_length only when a length is expected; a size other than
 *     the announced one is PS_ERR_BAD_SIZE with v byte-identical; a packet
 *     that fails to authenticate leaves v FAILED and every later call
 *     PS_ERR_INVALID_STATE; what decrypts in the fuzz build is the bytes
 *     sent (null AEAD) and the ignore bit is the header's top bit.
 *
 * Input: seed (8) | ops: op (1) then its fields
 *   op % 3 == 0: pair packet: from_b (1), len (2, mod 1024), ignore (1),
 *                aad view (1 + n), contents (len)
 *   op % 3 == 1: raw length to v: 3 bytes
 *   op % 3 == 2: raw packet to v: size delta (1: 0 exact, else -1/+1),
 *                then bytes (zeros past the end of the input)
 */
#include "fuzz.h"

#include "btc/v2cipher.h"

#define MAXLEN 1024

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_crypto_init();
	return 0;
}

static void pair_packet(struct fdp *f, struct btc_v2c *a, struct btc_v2c *b)
{
	static uint8_t contents[MAXLEN], pkt[MAXLEN + BTC_V2_EXPANSION], plain[MAXLEN + 1];
	bool from_b = fdp_bool(f), ignore = fdp_bool(f), got_ignore;
	size_t len = fdp_u16(f) % MAXLEN, aadlen, n;
	const uint8_t *aad = fdp_view(f, 255, &aadlen), *dec;
	struct btc_v2c *s = from_b ? b : a, *d = from_b ? a : b;
	uint32_t got;

	fdp_bytes(f, contents, len);
	FUZZ_ASSERT(btc_v2c_encrypt(s, pkt, sizeof(pkt), &n, contents, len, aad, aadlen, ignore) ==
		    PS_OK);
	FUZZ_ASSERT(n == len + BTC_V2_EXPANSION);
	FUZZ_ASSERT(btc_v2c_decrypt_length(d, &got, pkt) == PS_OK && got == len);
	FUZZ_ASSERT(btc_v2c_decrypt(d, &got_ignore, &dec, plain, sizeof(plain), pkt + 3, n - 3, aad,
				    aadlen) == PS_OK);
	FUZZ_ASSERT(got_ignore == ignore);
	FUZZ_ASSERT(len == 0 || memcmp(dec, contents, len) == 0);
}

static void raw_length(struct fdp *f, struct btc_v2c *v, uint32_t *pending)
{
	uint8_t in[3];
	enum btc_v2c_state was = btc_v2c_get_state(v);
	uint32_t len = 0;
	int r;

	fdp_bytes(f, in, sizeof(in));
	r = btc_v2c_decrypt_length(v, &len, in);
	if (was != BTC_V2C_EXPECT_LENGTH) {
		FUZZ_ASSERT(r == PS_ERR_INVALID_STATE);
		return;
	}
	FUZZ_ASSERT(r == PS_OK && len <= BTC_V2_MAX_CONTENTS);
	FUZZ_ASSERT(btc_v2c_get_state(v) == BTC_V2C_EXPECT_PACKET);
	*pending = len;
	/* the null length cipher hands the bytes through */
	if (cry_fuzzing_build())
		FUZZ_ASSERT(len ==
			    ((uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16));
}

static void raw_packet(struct fdp *f, struct btc_v2c *v, uint32_t pending)
{
	static uint8_t in[MAXLEN + 32], out[MAXLEN + 32];
	uint8_t delta = fdp_u8(f) % 3;
	struct btc_v2c before = *v;
	const uint8_t *dec = NULL;
	bool ignore = false;
	size_t want, inlen;
	int r;

	if (btc_v2c_get_state(v) != BTC_V2C_EXPECT_PACKET) {
		FUZZ_ASSERT(btc_v2c_decrypt(v, &ignore, &dec, out, sizeof(out), in, 17, NULL, 0) ==
			    PS_ERR_INVALID_STATE);
		return;
	}
	want = BTC_V2_HEADER_LEN + (size_t)pending + BTC_V2_TAG_LEN;
	if (want > MAXLEN) {
		/* too long to buffer here: refuse it as a caller over its limit would */
		btc_v2c_wipe(v);
		return;
	}
	inlen = delta == 0 ? want : delta == 1 ? want - 1 : want + 1;
	fdp_bytes(f, in, inlen);
	r = btc_v2c_decrypt(v, &ignore, &dec, out, sizeof(out), in, inlen, NULL, 0);
	if (inlen != want) {
		FUZZ_ASSERT(r == PS_ERR_BAD_SIZE);
		FUZZ_ASSERT(memcmp(&before, v, sizeof(before)) == 0);
		return;
	}
	if (r == PS_OK) {
		FUZZ_ASSERT(btc_v2c_get_state(v) == BTC_V2C_EXPECT_LENGTH);
		FUZZ_ASSERT(dec == out + 1 && ignore == ((in[0] & BTC_V2_IGNORE_BIT) != 0));
		/* null AEAD: the contents are the bytes sent */
		if (cry_fuzzing_build())
			FUZZ_ASSERT(memcmp(out, in, inlen - BTC_V2_TAG_LEN) == 0);
		return;
	}
	FUZZ_ASSERT(r == PS_ERR_DECRYPT);
	FUZZ_ASSERT(btc_v2c_get_state(v) == BTC_V2C_FAILED);
	FUZZ_ASSERT(btc_v2c_decrypt_length(v, &(uint32_t){ 0 }, in) == PS_ERR_INVALID_STATE);
	FUZZ_ASSERT(btc_v2c_encrypt(v, out, sizeof(out), &(size_t){ 0 }, NULL, 0, NULL, 0, false) ==
		    PS_ERR_INVALID_STATE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdp f = fdp_make(data, size);
	struct fuzz_rng rng = { fdp_u64(&f) };
	struct btc_v2c_keys k;
	struct btc_v2c a, b, v;
	uint32_t pending = 0;

	fuzz_rng_fill(&rng, (uint8_t *)&k, sizeof(k));
	btc_v2c_init_keys(&a, &k, true);
	btc_v2c_init_keys(&b, &k, false);
	btc_v2c_init_keys(&v, &k, false);
	btc_v2c_keys_wipe(&k);
	/* at most 2000 operations: enough to cross several rekeyings */
	for (int i = 0; i < 2000 && fdp_left(&f); i++) {
		switch (fdp_u8(&f) % 3) {
		case 0:
			pair_packet(&f, &a, &b);
			break;
		case 1:
			raw_length(&f, &v, &pending);
			break;
		default:
			raw_packet(&f, &v, pending);
			break;
		}
	}
	btc_v2c_wipe(&a);
	btc_v2c_wipe(&b);
	btc_v2c_wipe(&v);
	return 0;
}
