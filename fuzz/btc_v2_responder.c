/*
 * btc_v2_responder - the Bitcoin handshake over the BIP324 v2 transport as the
 * responder (v2 only, or detecting v1 and v2 as Core does), against a scripted v2 peer
 * whose key exchange is honest (common/v2drive.c): the input has the peer
 * send messages, decoys and packets of any header and contents, puts raw
 * bytes and flipped bits into its stream and cuts it into pieces, moves our
 * output to the peer in pieces, lets time pass, closes. Invariants after
 * every step (v2drive.h): the handshake's outcome rules, output bounded,
 * events once each and adding up to the bytes in and out, the session id
 * only over v2, always once successful, the same as the peer's, and none
 * of the keys left in struct btc_hs after the end.
 *
 * Input: seed (8) | conf (1) | our garbage length (2) | the peer's (2) | ops
 */
#include "v2drive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_crypto_init();
	fuzz_btc_v2_run(BTC_RESPONDER, data, size);
	return 0;
}
