/*
 * btc_hs_responder - the Bitcoin v1 handshake state machine as the responder,
 * driven by a sequence the input chooses: well-formed messages (any
 * command, structured versions with every optional group, pings, rejects)
 * in one to three pieces, raw bytes, time jumps, partial sends of the
 * output, event drains, closes. After every step (common/drive.c):
 * never SUCCESS without their version and verack and ours sent; PARTIAL
 * only with their version; the outcome never changes once known; the
 * output queue bounded; events bounded, SUCCESS/FAILED/VERSION/DISCONNECT
 * each at most once; expiry monotone and never in the past after a timed
 * call; every byte we send decodes (version first, verack after theirs).
 *
 * Input: rng seed (8) | config (1) [...] | operations...
 */
#include "drive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_crypto_init();
	fuzz_btc_hs_run(BTC_RESPONDER, data, size);
	return 0;
}
