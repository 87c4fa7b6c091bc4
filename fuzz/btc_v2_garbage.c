/*
 * btc_v2_garbage - the garbage-terminator scan of the v2 transport
 * (ref/btc/v2.c, Core's ProcessReceivedGarbageBytes), against a reference
 * written here, and the garbage it found authenticated as the first
 * packet's aad.
 *
 * Our transport (either role) and a peer key from the input's seed
 * exchange keys; then, instead of the peer's garbage, our side receives a
 * stream the input builds from raw bytes and copies of the terminator our
 * side expects (whole or with a bit flipped: the "assist"), in pieces the
 * input chooses. The reference: the first p >= 16 with bytes [p-16, p) the
 * terminator ends the garbage, p - 16 bytes of it, if p <= 4095 + 16;
 * otherwise byte 4111 fails (PS_ERR_PROTOCOL, "missing garbage
 * terminator"); a shorter stream without it waits, every byte pending.
 * Once found, the peer's first packet, encrypted with the garbage the
 * reference found as its aad, must be accepted; with one garbage byte
 * changed in that aad it must fail to decrypt (with real crypto: the
 * _realcrypto twin; the fuzz build's null AEAD ignores the aad).
 *
 * Input: seed (8) | role (1) | chunk sizes (4) | parts: kind (1) then
 *   kind % 4 == 0: the terminator; 1: the terminator with a bit flipped
 *   (1 byte: which); 2, 3: raw bytes (view)
 */
#include "fuzz.h"

#include "btc/params.h"
#include "btc/transport.h"
#include "crypto/secp.h"

#define MAXSTREAM (BTC_V2_MAX_GARBAGE + BTC_V2_GARBAGE_TERM_LEN + 200)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_crypto_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct btc_transport t;
	static uint8_t out[BTC_V2_HANDSHAKE_MAX + 64], stream[MAXSTREAM], pkt[64];
	struct fdp f = fdp_make(data, size);
	struct fuzz_rng rng = { fdp_u64(&f) }, prng;
	bool initiating = fdp_bool(&f);
	uint8_t sizes[4], peer_priv[32], peer_ell[64], term[16];
	struct btc_v2_config cfg;
	struct btc_v2c peer;
	struct ps_wcur w = ps_wcur_make(out, sizeof(out));
	struct btc_rx_msg m;
	size_t n = 0, used, p_found = 0, off, i;
	bool got;
	int r = PS_OK;

	fdp_bytes(&f, sizes, sizeof(sizes));
	memset(&cfg, 0, sizeof(cfg));
	cfg.rng = fuzz_rng_fill;
	cfg.rng_ctx = &rng;
	cfg.garbage_len = rng.s % 8;
	FUZZ_ASSERT(btc_transport_open(&t, BTC_TRANSPORT_V2, btc_networks[0].magic,
				       initiating ? BTC_INITIATOR : BTC_RESPONDER, &cfg,
				       &w) == PS_OK);
	/* the peer's key, its cipher from our key (our output's first 64 bytes,
	 * queued at open by an initiator, on the first byte by a responder) */
	prng.s = rng.s ^ UINT64_C(0x9e3779b97f4a7c15);
	FUZZ_ASSERT(cry_ellswift_create(peer_priv, peer_ell, fuzz_rng_fill, &prng) == PS_OK);
	r = t.ops->read(&t, &m, &got, &used, &w, peer_ell, sizeof(peer_ell));
	FUZZ_ASSERT(r == PS_OK && got && used == 64 && m.kind == BTC_RX_V2_KEY);
	FUZZ_ASSERT(w.p - out >= 64 && t.ops->ready(&t));
	FUZZ_ASSERT(btc_v2c_init(&peer, peer_priv, peer_ell, out, !initiating,
				 btc_networks[0].magic) == PS_OK);
	cry_memzero(peer_priv, sizeof(peer_priv));
	memcpy(term, btc_v2c_send_garbage_terminator(&peer), sizeof(term));

	/* the stream */
	while (fdp_left(&f) && n < MAXSTREAM) {
		uint8_t kind = fdp_u8(&f);
		size_t len;
		const uint8_t *raw;

		if (kind % 4 < 2) {
			len = sizeof(term) < MAXSTREAM - n ? sizeof(term) : MAXSTREAM - n;
			memcpy(stream + n, term, len);
			if (kind % 4 == 1 && len) {
				uint8_t which = fdp_u8(&f);
				stream[n + (which >> 3) % len] ^= (uint8_t)(1u << (which & 7));
			}
		} else {
			raw = fdp_view(&f, 1024, &len);
			if (len > MAXSTREAM - n)
				len = MAXSTREAM - n;
			if (len)
				memcpy(stream + n, raw, len);
		}
		n += len;
	}
	/* the reference: Core takes one byte at a time, tests the last 16,
	 * gives up at 4095 + 16 */
	for (i = BTC_V2_GARBAGE_TERM_LEN; i <= n && i <= BTC_V2_MAX_GARBAGE + 16; i++)
		if (!memcmp(stream + i - 16, term, 16)) {
			p_found = i;
			break;
		}

	/* ours, in pieces */
	memset(&m, 0, sizeof(m));
	got = false;
	for (off = 0, i = 0; off < n;) {
		size_t k = 1 + sizes[i++ % sizeof(sizes)];

		if (k > n - off)
			k = n - off;
		r = t.ops->read(&t, &m, &got, &used, &w, stream + off, k);
		off += used;
		if (r != PS_OK || got)
			break;
		FUZZ_ASSERT(used == k);
	}
	if (p_found) {
		FUZZ_ASSERT(r == PS_OK && got && m.kind == BTC_RX_V2_GARBAGE);
		FUZZ_ASSERT(off == p_found && m.bytes == p_found && m.length == p_found - 16);
	} else if (n >= BTC_V2_MAX_GARBAGE + 16) {
		FUZZ_ASSERT(r == PS_ERR_PROTOCOL && off == BTC_V2_MAX_GARBAGE + 16);
		FUZZ_ASSERT(m.bytes == BTC_V2_MAX_GARBAGE + 16);
		FUZZ_ASSERT(!t.ops->ready(&t));
		goto out;
	} else {
		FUZZ_ASSERT(r == PS_OK && !got && off == n && t.ops->rx_pending(&t) == n);
		goto out;
	}

	/* the first packet authenticates the garbage the reference found */
	{
		struct btc_v2c bad = peer;
		size_t glen = p_found - 16, plen;
		static const uint8_t contents[3] = { 1, 2, 3 };
		struct btc_transport copy = t;
		uint8_t *aad = stream;

		FUZZ_ASSERT(btc_v2c_encrypt(&peer, pkt, sizeof(pkt), &plen, contents,
					    sizeof(contents), aad, glen, false) == PS_OK);
		r = t.ops->read(&t, &m, &got, &used, &w, pkt, plen);
		FUZZ_ASSERT(r == PS_OK && got && used == plen && m.kind == BTC_RX_V2_VERSION);
		FUZZ_ASSERT(m.length == 3 && m.kept == 3 && !memcmp(m.payload, contents, 3));
		if (glen) {
			/* one byte of it changed */
			aad[glen / 2] ^= 0x01;
			FUZZ_ASSERT(btc_v2c_encrypt(&bad, pkt, sizeof(pkt), &plen, contents,
						    sizeof(contents), aad, glen, false) == PS_OK);
			r = copy.ops->read(&copy, &m, &got, &used, &w, pkt, plen);
			if (cry_fuzzing_build())
				FUZZ_ASSERT(r == PS_OK);
			else
				FUZZ_ASSERT(r == PS_ERR_DECRYPT && used == plen);
			copy.ops->end(&copy);
		}
		btc_v2c_wipe(&bad);
	}
out:
	btc_v2c_wipe(&peer);
	t.ops->end(&t);
	return 0;
}
