/*
 * noise_msg1 - the Noise handshake reader for message 1, as the responder
 * (noise_hs_read_message; "-> e" + P1 for NNpsk2, the first message of any
 * pattern of the tables otherwise).
 *
 * The message is either raw input (with a tag assist: the last 16 bytes
 * zeroed, which is the tag the fuzz-only null AEAD accepts, so mutated
 * ciphertexts reach the payload) or an honest initiator's message 1, with
 * fuzzed keys, PSK, prologue and payload, then flipped, cut or extended as
 * the input says. The contract (fuzz_noise_read): size checks before any
 * crypto, all-or-nothing (a failed read leaves the HandshakeState exactly as
 * it was), no plaintext released on failure, an unchanged honest message
 * always reads with its payload. After a good read the responder answers.
 *
 * Built twice: null AEAD and real crypto (noise_msg1_realcrypto).
 *
 * Input: set-up | mode (1) | message or payload and mutations...
 */
#include "nsetup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_noise_pair pair;
	static struct noise_hs init, resp;
	static uint8_t msg[NOISE_MAX_MSG + 64], reply[NOISE_MAX_MSG];
	struct fdp f = fdp_make(data, size);
	struct noise_hs_config c;
	const uint8_t *payload = NULL;
	size_t len, plen = 0, n;
	bool must = false;
	uint8_t mode;
	int r;

	fuzz_crypto_init();
	fuzz_noise_pair_make(&f, &pair, true);
	fuzz_noise_hs_config(&c, &pair, false);
	FUZZ_ASSERT(noise_hs_init(&resp, &c) == PS_OK);
	mode = fdp_u8(&f);

	if (mode & 1) {
		const uint8_t *raw = fdp_view(&f, sizeof(msg) - 64, &len);
		memcpy(msg, raw, len);
		if ((mode & 2) && len >= NOISE_TAGLEN)
			memset(msg + len - NOISE_TAGLEN, 0, NOISE_TAGLEN);
	} else {
		fuzz_noise_hs_config(&c, &pair, true);
		FUZZ_ASSERT(noise_hs_init(&init, &c) == PS_OK);
		payload = fdp_view(&f, 2000, &plen);
		FUZZ_ASSERT(noise_hs_write_message(&init, msg, sizeof(msg), &len, payload, plen) ==
			    PS_OK);
		must = !fuzz_noise_mutate(&f, msg, &len, sizeof(msg));
		noise_hs_wipe(&init);
	}

	r = fuzz_noise_read(&f, &resp, msg, len, must ? payload : NULL, plen, must);
	if (r == PS_OK && noise_hs_action(&resp) == NOISE_HS_WRITE_MESSAGE) {
		const uint8_t *p2 = fdp_view(&f, 300, &plen);
		FUZZ_ASSERT(noise_hs_write_message(&resp, reply, sizeof(reply), &n, p2, plen) ==
				    PS_OK ||
			    !must);
	}
	noise_hs_wipe(&resp);
	return 0;
}
