/*
 * btc_v2_detect - the responder's v1/v2 detection (ref/btc/v2.c, kind
 * BTC_TRANSPORT_DETECT): Core's 16-byte V1_PREFIX_LEN rule against a
 * reference written here, fed one byte at a time and in pieces the input
 * chooses, which must agree.
 *
 * The stream: the first k bytes of the network's v1 prefix (magic +
 * "version\0\0\0\0\0", k from the input, the magic/command "assist"), then
 * raw bytes. The reference: the first byte that differs from the prefix
 * decides v2 (and the responder's key and garbage, 64 + g bytes, are
 * queued on that very byte); 16 that match decide v1 (the ops become
 * btc_v1_ops and the 16 bytes go to the v1 framer); undecided before.
 * After v2, a key whose bytes 4..16 are the version command fails with
 * PS_ERR_BAD_MAGIC on byte 16 ("V1 peer with wrong MessageStart").
 * Bytewise and chunked: the same transport, error, bytes taken, pending
 * bytes and output.
 *
 * Input: seed (8) | network (1) | k (1) | garbage length (1) | chunk sizes
 * (4) | raw stream
 */
#include "fuzz.h"

#include "btc/params.h"
#include "btc/transport.h"

#define MAXSTREAM 300

struct run {
	struct fuzz_rng rng; /* lives as long as the transport: a detecting
			      * responder draws its key once it sees v2 */
	struct btc_transport t;
	uint8_t out[BTC_V2_HANDSHAKE_MAX + 256];
	struct ps_wcur w;
	int err;
	size_t taken, decided_at, out_at_decision;
	const char *name;
};

static void open_one(struct run *x, const uint8_t magic[4], uint64_t seed, size_t glen)
{
	struct btc_v2_config cfg;

	memset(x, 0, sizeof(*x));
	memset(&cfg, 0, sizeof(cfg));
	x->rng.s = seed;
	cfg.rng = fuzz_rng_fill;
	cfg.rng_ctx = &x->rng;
	cfg.garbage_len = glen;
	x->w = ps_wcur_make(x->out, sizeof(x->out));
	FUZZ_ASSERT(btc_transport_open(&x->t, BTC_TRANSPORT_DETECT, magic, BTC_RESPONDER, &cfg,
				       &x->w) == PS_OK);
	/* the responder waits for the first byte */
	FUZZ_ASSERT(x->w.p == x->out && x->t.ops->name == NULL && !x->t.ops->ready(&x->t));
}

/* Feed (in, n) in pieces of the given sizes (NULL: one byte at a time). */
static void feed(struct run *x, const uint8_t *in, size_t n, const uint8_t *sizes, size_t nsizes)
{
	size_t off = 0, i = 0;

	while (off < n && x->err == PS_OK) {
		size_t k = sizes ? 1 + sizes[i++ % nsizes] : 1, used = 0;
		struct btc_rx_msg m;
		bool got = false;

		if (k > n - off)
			k = n - off;
		x->err = x->t.ops->read(&x->t, &m, &got, &used, &x->w, in + off, k);
		FUZZ_ASSERT(used <= k);
		if (x->err == PS_OK)
			FUZZ_ASSERT(used == k || got);
		off += used;
		if (!x->decided_at && x->t.ops->name) {
			x->decided_at = off;
			x->out_at_decision = (size_t)(x->w.p - x->out);
		}
	}
	x->taken = off;
	x->name = x->t.ops->name;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_crypto_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run a, b;
	static const uint8_t version_cmd[12] = { 'v', 'e', 'r', 's', 'i', 'o', 'n', 0, 0, 0, 0, 0 };
	struct fdp f = fdp_make(data, size);
	uint64_t seed = fdp_u64(&f);
	const uint8_t *magic = btc_networks[fdp_u8(&f) % btc_network_count].magic;
	size_t k = fdp_u8(&f) % 17, glen = fdp_u8(&f), raw, n, mismatch = SIZE_MAX;
	uint8_t sizes[4], prefix[16], stream[MAXSTREAM];
	const uint8_t *rest;

	fdp_bytes(&f, sizes, sizeof(sizes));
	memcpy(prefix, magic, 4);
	memcpy(prefix + 4, version_cmd, 12);
	memcpy(stream, prefix, k);
	rest = fdp_rest(&f, &raw);
	n = k + (raw < MAXSTREAM - k ? raw : MAXSTREAM - k);
	if (n > k)
		memcpy(stream + k, rest, n - k);

	/* the reference */
	for (size_t i = 0; i < n && i < 16; i++)
		if (stream[i] != prefix[i]) {
			mismatch = i;
			break;
		}

	open_one(&a, magic, seed, glen);
	open_one(&b, magic, seed, glen);
	feed(&a, stream, n, NULL, 0);
	feed(&b, stream, n, sizes, sizeof(sizes));

	if (mismatch != SIZE_MAX) {
		/* v2 from the byte that differs, the key going out on it */
		FUZZ_ASSERT(a.decided_at == mismatch + 1);
		FUZZ_ASSERT(a.out_at_decision == BTC_V2_ELLSWIFT_LEN + glen);
		FUZZ_ASSERT(a.name && !strcmp(a.name, "v2"));
		if (n >= 16 && !memcmp(stream + 4, version_cmd, 12)) {
			FUZZ_ASSERT(a.err == PS_ERR_BAD_MAGIC && a.taken == 16);
		} else {
			FUZZ_ASSERT(a.err != PS_ERR_BAD_MAGIC);
			/* a key of any 64 bytes decodes: the exchange goes on */
			if (n >= 64)
				FUZZ_ASSERT(a.err != PS_OK || a.t.ops->ready(&a.t));
		}
	} else if (n >= 16) {
		FUZZ_ASSERT(a.decided_at == 16 && a.out_at_decision == 0);
		FUZZ_ASSERT(a.name && !strcmp(a.name, "v1"));
		FUZZ_ASSERT(a.t.ops == &btc_v1_ops);
		/* nothing of v2 ever went out */
		FUZZ_ASSERT(a.w.p == a.out);
	} else {
		FUZZ_ASSERT(a.decided_at == 0 && a.name == NULL && a.err == PS_OK);
		FUZZ_ASSERT(a.t.ops->rx_pending(&a.t) == n && a.w.p == a.out);
	}
	/* however the bytes came */
	FUZZ_ASSERT(a.err == b.err && a.taken == b.taken && a.name == b.name);
	if (a.err == PS_ERR_BAD_MAGIC && mismatch != SIZE_MAX && b.w.p == b.out) {
		/* another network's v1 version whose byte that differs and
		 * 16th byte came in one read: refused in the read that would
		 * queue the key, so it never leaves (as Core's close in the
		 * same ReceiveMsgBytes); byte by byte (a) it went out first */
		FUZZ_ASSERT(a.w.p - a.out == BTC_V2_ELLSWIFT_LEN + (ptrdiff_t)glen);
	} else {
		FUZZ_ASSERT(a.w.p - a.out == b.w.p - b.out &&
			    !memcmp(a.out, b.out, (size_t)(a.w.p - a.out)));
	}
	if (a.err == PS_OK)
		FUZZ_ASSERT(a.taken == n && a.t.ops->rx_pending(&a.t) == b.t.ops->rx_pending(&b.t));
	a.t.ops->end(&a.t);
	b.t.ops->end(&b.t);
	return 0;
}
