/*
 * noise_msg2 - the Noise handshake reader for message 2, as the initiator
 * (noise_hs_read_message after writing message 1; "<- e, ee, psk" + P2 for
 * NNpsk2, the second message of any interactive pattern of the tables
 * otherwise).
 *
 * The message is either raw input (with a tag assist: the last 16 bytes
 * zeroed, the tag the fuzz-only null AEAD accepts) or an honest responder's
 * message 2, made after it read the initiator's message 1, then flipped,
 * cut or extended as the input says. Checked as in noise_msg1: sizes before
 * crypto, all-or-nothing, no plaintext on failure, honest messages read;
 * after a good read, Split (NNpsk2) or the next message.
 *
 * Built twice: null AEAD and real crypto (noise_msg2_realcrypto).
 *
 * Input: set-up | P1 | mode (1) | message or payload and mutations...
 */
#include "nsetup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_noise_pair pair;
	static struct noise_hs init, resp;
	static uint8_t m1[NOISE_MAX_MSG], msg[NOISE_MAX_MSG + 64], tmp[NOISE_MAX_MSG];
	struct fdp f = fdp_make(data, size);
	struct noise_hs_config c;
	const uint8_t *p1, *payload = NULL;
	size_t l1, len1, len, plen = 0, n;
	bool must = false;
	uint8_t mode;
	int r;

	fuzz_crypto_init();
	fuzz_noise_pair_make(&f, &pair, true);
	if (pair.proto.pattern.n_msgs < 2) /* one-way: there is no message 2 */
		return 0;
	fuzz_noise_hs_config(&c, &pair, true);
	FUZZ_ASSERT(noise_hs_init(&init, &c) == PS_OK);
	p1 = fdp_view(&f, 300, &l1);
	FUZZ_ASSERT(noise_hs_write_message(&init, m1, sizeof(m1), &len1, p1, l1) == PS_OK);
	mode = fdp_u8(&f);

	if (mode & 1) {
		const uint8_t *raw = fdp_view(&f, sizeof(msg) - 64, &len);
		memcpy(msg, raw, len);
		if ((mode & 2) && len >= NOISE_TAGLEN)
			memset(msg + len - NOISE_TAGLEN, 0, NOISE_TAGLEN);
	} else {
		fuzz_noise_hs_config(&c, &pair, false);
		FUZZ_ASSERT(noise_hs_init(&resp, &c) == PS_OK);
		FUZZ_ASSERT(noise_hs_read_message(&resp, tmp, sizeof(tmp), &n, m1, len1) == PS_OK);
		payload = fdp_view(&f, 2000, &plen);
		FUZZ_ASSERT(noise_hs_write_message(&resp, msg, sizeof(msg), &len, payload, plen) ==
			    PS_OK);
		must = !fuzz_noise_mutate(&f, msg, &len, sizeof(msg));
		noise_hs_wipe(&resp);
	}

	r = fuzz_noise_read(&f, &init, msg, len, must ? payload : NULL, plen, must);
	if (r == PS_OK) {
		struct noise_cs c1, c2;
		if (noise_hs_action(&init) == NOISE_HS_SPLIT) {
			FUZZ_ASSERT(noise_hs_split(&init, &c1, &c2) == PS_OK);
			noise_cs_wipe(&c1);
			noise_cs_wipe(&c2);
		} else {
			FUZZ_ASSERT(noise_hs_action(&init) == NOISE_HS_WRITE_MESSAGE);
			r = noise_hs_write_message(&init, tmp, sizeof(tmp), &n, NULL, 0);
			FUZZ_ASSERT(r == PS_OK || (!must && r == PS_ERR_DH));
		}
	}
	noise_hs_wipe(&init);
	return 0;
}
