/*
 * btc_stream - the Bitcoin stream framer (btc_hs_input's receive side:
 * header, Core's header checks, payload hashed as it streams by, checksum,
 * command, decode) fed the same byte stream two ways: in chunks whose sizes
 * the input chooses, and one whole message at a time. Both must end in the
 * same state with the same events and the same output, and both must agree
 * with a reference framer walking the stream with btc_header_decode.
 *
 * Assist bits as in Bitcoin Core's p2p_transport_serialization: the harness
 * can write the network magic, the true length and the real checksum into
 * each header, so the fuzzer gets past them to the payload decoders and the
 * handshake behind them.
 *
 * Input: flags (1) | k (1) | k chunk sizes | messages: header (24) + payload
 *   flags bit 0: responder (else initiator); bit 1: magic assist; bit 2:
 *   checksum assist; bit 3: length assist (the low length byte is the
 *   length); bits 4-6: network.
 */
#include "drive.h"

#include "btc/params.h"
#include "btc/v1.h"
#include "btc/wire.h"

#define MAX_STREAM 16384
#define MAX_EVENTS 512

struct run {
	struct btc_hs hs;
	struct btc_event ev[MAX_EVENTS];
	size_t n_ev;
	uint8_t out[MAX_STREAM];
	size_t out_len;
	bool lost;
};

static void collect(struct run *r)
{
	const uint8_t *p;
	size_t n = btc_hs_output(&r->hs, &p);

	if (n > sizeof(r->out) - r->out_len)
		n = sizeof(r->out) - r->out_len;
	memcpy(r->out + r->out_len, p, n);
	r->out_len += n;
	btc_hs_consume(&r->hs, n);
	while (btc_hs_next_event(&r->hs, &r->ev[r->n_ev])) {
		if (r->n_ev < MAX_EVENTS - 1)
			r->n_ev++;
		else
			r->lost = true;
	}
	r->lost = r->lost || btc_hs_events_lost(&r->hs) > 0;
}

static void start(struct run *r, enum btc_role role, const struct btc_hs_config *cfg)
{
	memset(r, 0, sizeof(*r));
	FUZZ_ASSERT(btc_hs_init(&r->hs, role, cfg, 1) == PS_OK);
	collect(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run a, b;
	static uint8_t stream[MAX_STREAM];
	static size_t bounds[MAX_STREAM / BTC_HEADER_LEN + 2];
	struct fdp f = fdp_make(data, size);
	uint8_t flags = fdp_u8(&f), k = fdp_u8(&f) % 32, chunks[32];
	const uint8_t *magic = btc_networks[((flags >> 4) & 7) % btc_network_count].magic;
	enum btc_role role = (flags & 1) ? BTC_RESPONDER : BTC_INITIATOR;
	struct btc_hs_config cfg;
	struct fuzz_rng rng_a = { 7 }, rng_b = { 7 };
	size_t len = 0, nb = 0, complete = 0, pos, next_len = 0;
	bool bad_header = false;

	fuzz_crypto_init();
	fdp_bytes(&f, chunks, k);

	/* build the stream */
	while (fdp_left(&f) > 0 && MAX_STREAM - len >= BTC_HEADER_LEN) {
		uint8_t *h = stream + len;
		uint32_t plen;
		size_t take;

		fdp_bytes(&f, h, BTC_HEADER_LEN);
		if (flags & 2)
			memcpy(h, magic, 4);
		if (flags & 8)
			ps_store_u32le(h + 16, h[16]);
		plen = ps_load_u32le(h + 16);
		take = plen < fdp_left(&f) ? plen : fdp_left(&f);
		if (take > MAX_STREAM - len - BTC_HEADER_LEN)
			take = MAX_STREAM - len - BTC_HEADER_LEN;
		fdp_bytes(&f, h + BTC_HEADER_LEN, take);
		if ((flags & 4) && take == plen)
			btc_checksum(h + 20, h + BTC_HEADER_LEN, plen);
		len += BTC_HEADER_LEN + take;
	}

	/* the reference framer: message boundaries up to the first header the
	 * stream must end at (wrong magic, length over the limit) */
	for (pos = 0; len - pos >= BTC_HEADER_LEN;) {
		struct btc_header h;
		int r;

		FUZZ_ASSERT(btc_header_decode(&h, stream + pos, len - pos) == PS_OK);
		r = btc_header_check(&h, magic);
		if (r == PS_ERR_BAD_MAGIC || r == PS_ERR_TOO_LARGE) {
			bad_header = true;
			break;
		}
		if (len - pos - BTC_HEADER_LEN < h.length) {
			next_len = h.length;
			break;
		}
		pos += BTC_HEADER_LEN + h.length;
		bounds[nb++] = pos;
		complete++;
	}

	fuzz_btc_config(&cfg, magic, &rng_a);
	start(&a, role, &cfg);
	cfg.rng_ctx = &rng_b;
	start(&b, role, &cfg);

	/* a: chunks of the sizes the input chose (1..256 each, cycling) */
	for (size_t off = 0, i = 0, n; off < len; off += n, i++) {
		n = k ? (size_t)chunks[i % k] + 1 : len - off;
		if (n > len - off)
			n = len - off;
		(void)btc_hs_input(&a.hs, 1, stream + off, n);
		collect(&a);
	}
	/* b: one message at a time, then the rest */
	for (size_t i = 0, off = 0; i <= nb; i++) {
		size_t end = i < nb ? bounds[i] : len;
		(void)btc_hs_input(&b.hs, 1, stream + off, end - off);
		collect(&b);
		off = end;
	}

	/* the same end, however the bytes were cut */
	FUZZ_ASSERT(btc_hs_ended(&a.hs) == btc_hs_ended(&b.hs));
	FUZZ_ASSERT(btc_hs_outcome(&a.hs) == btc_hs_outcome(&b.hs));
	FUZZ_ASSERT(btc_hs_error(&a.hs) == btc_hs_error(&b.hs));
	FUZZ_ASSERT(btc_hs_note(&a.hs) == btc_hs_note(&b.hs));
	FUZZ_ASSERT(btc_hs_msgs_in(&a.hs) == btc_hs_msgs_in(&b.hs));
	FUZZ_ASSERT(btc_hs_waiting_for(&a.hs) == btc_hs_waiting_for(&b.hs));
	FUZZ_ASSERT((btc_hs_peer(&a.hs) == NULL) == (btc_hs_peer(&b.hs) == NULL));
	FUZZ_ASSERT(a.out_len == b.out_len && memcmp(a.out, b.out, a.out_len) == 0);
	if (!a.lost && !b.lost) {
		FUZZ_ASSERT(a.n_ev == b.n_ev);
		for (size_t i = 0; i < a.n_ev; i++)
			FUZZ_ASSERT(fuzz_btc_event_eq(&a.ev[i], &b.ev[i]));
	}
	/* and the framer's count agrees with the reference: whole messages,
	 * then what it holds of the next (a header, or less, or a header and
	 * part of its payload) */
	if (!btc_hs_ended(&a.hs)) {
		size_t whole = nb ? bounds[nb - 1] : 0;
		FUZZ_ASSERT(btc_hs_msgs_in(&a.hs) == complete && !bad_header);
		FUZZ_ASSERT(btc_hs_bytes_in(&a.hs) == len);
		FUZZ_ASSERT(btc_hs_rx_pending(&a.hs) == len - whole);
		FUZZ_ASSERT(len - whole < BTC_HEADER_LEN ||
			    len - whole < BTC_HEADER_LEN + next_len);
	} else if (btc_hs_error(&a.hs) == PS_ERR_BAD_MAGIC ||
		   btc_hs_error(&a.hs) == PS_ERR_TOO_LARGE ||
		   /* a first header of another magic and no v1 command: a v2 key */
		   btc_hs_error(&a.hs) == PS_ERR_V2_HANDSHAKE) {
		FUZZ_ASSERT(btc_hs_msgs_in(&a.hs) == complete && bad_header);
	} else {
		FUZZ_ASSERT(btc_hs_msgs_in(&a.hs) <= complete);
	}
	return 0;
}
