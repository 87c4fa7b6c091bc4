/*
 * noise_pair - an initiator and a responder that must always agree.
 *
 * Mode 0, noise_peer (the NNpsk2 exchange peershake runs, any cipher and
 * hash): both peers configured from the input (PSK, prologue, payloads,
 * transport plaintext, ephemerals from seeded RNGs), their output carried
 * to the other in chunks the input chooses. Both must SUCCEED, with the same
 * handshake hash, each holding what the other sent.
 * Mode 1, noise_hs (any pattern of the tables, with psk modifiers, static
 * and pre-message keys): every message written by one side must be read by
 * the other with the same payload; both must reach Split with the same
 * handshake hash and transport keys that work in both directions; learned
 * remote static keys must be the real ones.
 *
 * Built twice: with the fuzz-only null AEAD and with real crypto
 * (noise_pair_realcrypto).
 *
 * Input: mode (1) | set-up | payloads and chunk sizes...
 */
#include "nsetup.h"

#include "noise/peer.h"

/* noise_hs_init refuses a configuration that does not fit the pattern,
 * and leaves the state wiped. */
static void init_misused(struct noise_hs *hs, const struct noise_hs_config *good, unsigned how)
{
	static const uint8_t key[NOISE_DHLEN] = { 9 };
	struct noise_hs_config c = *good;
	int r;

	switch (how % 7) {
	case 0: /* one PSK too many */
		c.n_psks++;
		break;
	case 1: /* no static key where one is needed, or one where none is */
		c.s = c.s ? NULL : key;
		if (c.s)
			return; /* an unused static key is allowed */
		break;
	case 2: /* rs where no pre-message lists it, or none where one does */
		c.rs = c.rs ? NULL : key;
		break;
	case 3:
		c.re = c.re ? NULL : key;
		break;
	case 4: /* no way to make an ephemeral */
		c.rng = NULL;
		c.e = NULL;
		break;
	case 5: /* a prologue length without a prologue */
		c.prologue = NULL;
		c.prologue_len = 1;
		break;
	default:
		c.protocol = NULL;
		break;
	}
	r = noise_hs_init(hs, &c);
	if (how % 7 == 1 && c.s == NULL && r == PS_OK) {
		/* the pattern does not use our static key after all */
		noise_hs_wipe(hs);
		return;
	}
	FUZZ_ASSERT(r == PS_ERR_INVALID_ARG);
}

static void hs_pair(struct fdp *f)
{
	static struct fuzz_noise_pair pair;
	static struct noise_hs hs[2];
	static uint8_t msg[NOISE_MAX_MSG], got[NOISE_MAX_MSG];
	struct noise_hs_config c;
	struct noise_cs cs[2][2];
	const uint8_t *h0, *h1;
	size_t l0, l1;
	uint8_t misuse;

	fuzz_noise_pair_make(f, &pair, true);
	misuse = fdp_u8(f);
	for (int side = 0; side < 2; side++) {
		fuzz_noise_hs_config(&c, &pair, side == 0);
		if (misuse & 1)
			init_misused(&hs[side], &c, misuse >> 1);
		FUZZ_ASSERT(noise_hs_init(&hs[side], &c) == PS_OK);
	}
	for (size_t i = 0; i < pair.proto.pattern.n_msgs; i++) {
		int w = noise_pattern_initiator_sends(i) ? 0 : 1;
		size_t plen, n, glen;
		const uint8_t *payload = fdp_view(f, 300, &plen);

		if (misuse & 0x10) {
			/* out of turn, too small a buffer, split too early: refused,
			 * nothing changes */
			static struct noise_hs snap[2];
			size_t fixed = noise_hs_message_len(&hs[w], 0);
			memcpy(snap, hs, sizeof(snap));
			FUZZ_ASSERT(noise_hs_read_message(&hs[w], got, sizeof(got), &glen, msg,
							  100) == PS_ERR_INVALID_STATE);
			FUZZ_ASSERT(noise_hs_write_message(&hs[!w], msg, sizeof(msg), &n, NULL,
							   0) == PS_ERR_INVALID_STATE);
			if (fixed + plen > 0)
				FUZZ_ASSERT(noise_hs_write_message(&hs[w], msg, fixed + plen - 1,
								   &n, payload,
								   plen) == PS_ERR_NOBUF);
			FUZZ_ASSERT(noise_hs_write_message(&hs[w], msg, sizeof(msg), &n, payload,
							   NOISE_MAX_MSG - fixed + 1) ==
				    PS_ERR_TOO_LARGE);
			FUZZ_ASSERT(noise_hs_split(&hs[w], &cs[0][0], &cs[0][1]) ==
				    PS_ERR_INVALID_STATE);
			FUZZ_ASSERT(memcmp(snap, hs, sizeof(snap)) == 0);
		}

		FUZZ_ASSERT(noise_hs_action(&hs[w]) == NOISE_HS_WRITE_MESSAGE);
		FUZZ_ASSERT(noise_hs_action(&hs[!w]) == NOISE_HS_READ_MESSAGE);
		FUZZ_ASSERT(noise_hs_message_len(&hs[w], plen) ==
			    noise_hs_message_len(&hs[!w], plen));
		FUZZ_ASSERT(noise_hs_write_message(&hs[w], msg, sizeof(msg), &n, payload, plen) ==
			    PS_OK);
		FUZZ_ASSERT(n == noise_hs_message_len(&hs[!w], plen));
		FUZZ_ASSERT(noise_hs_read_message(&hs[!w], got, sizeof(got), &glen, msg, n) ==
			    PS_OK);
		FUZZ_ASSERT(glen == plen && (plen == 0 || memcmp(got, payload, plen) == 0));
	}
	/* remote statics learned are the real ones */
	if (pair.statics) {
		const uint8_t *rs0 = noise_hs_remote_static(&hs[0]);
		const uint8_t *rs1 = noise_hs_remote_static(&hs[1]);
		FUZZ_ASSERT(!rs0 || memcmp(rs0, hs[1].s.pub, NOISE_DHLEN) == 0);
		FUZZ_ASSERT(!rs1 || memcmp(rs1, hs[0].s.pub, NOISE_DHLEN) == 0);
	}
	for (int side = 0; side < 2; side++) {
		FUZZ_ASSERT(noise_hs_action(&hs[side]) == NOISE_HS_SPLIT);
		FUZZ_ASSERT(noise_hs_split(&hs[side], &cs[side][0], &cs[side][1]) == PS_OK);
		FUZZ_ASSERT(noise_hs_action(&hs[side]) == NOISE_HS_DONE);
	}
	FUZZ_ASSERT(noise_hs_message_len(&hs[0], 5) == 0);
	h0 = noise_hs_handshake_hash(&hs[0], &l0);
	h1 = noise_hs_handshake_hash(&hs[1], &l1);
	FUZZ_ASSERT(l0 == l1 && memcmp(h0, h1, l0) == 0);

	/* c1 carries initiator -> responder, c2 the other way */
	for (int dir = 0; dir < (pair.proto.pattern.one_way ? 1 : 2); dir++) {
		int from = dir, to = !dir;
		size_t plen, n, glen;
		const uint8_t *pt = fdp_view(f, 300, &plen);

		FUZZ_ASSERT(noise_cs_encrypt_with_ad(&cs[from][dir], msg, sizeof(msg), &n, NULL, 0,
						     pt, plen) == PS_OK);
		FUZZ_ASSERT(noise_cs_decrypt_with_ad(&cs[to][dir], got, sizeof(got), &glen, NULL, 0,
						     msg, n) == PS_OK);
		FUZZ_ASSERT(glen == plen && (plen == 0 || memcmp(got, pt, plen) == 0));
	}
	for (int side = 0; side < 2; side++) {
		noise_cs_wipe(&cs[side][0]);
		noise_cs_wipe(&cs[side][1]);
		noise_hs_wipe(&hs[side]);
	}
}

static void drain(struct noise_peer *p, unsigned *success, unsigned *failed)
{
	struct noise_peer_event ev;

	while (noise_peer_next_event(p, &ev)) {
		*success += ev.type == NOISE_PEER_EV_SUCCESS;
		*failed += ev.type == NOISE_PEER_EV_FAILED;
	}
}

static void peer_pair(struct fdp *f)
{
	static const char *const protocols[] = {
		"Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s", "NNpsk2_25519_ChaChaPoly_SHA256",
		"Noise_NNpsk2_25519_ChaChaPoly_BLAKE2b", "Noise_NNpsk2_25519_ChaChaPoly_SHA512",
		"Noise_NNpsk2_25519_AESGCM_BLAKE2s",
	};
	static struct noise_peer peer[2];
	struct noise_peer_config c;
	struct fuzz_rng rng[2] = { { fdp_u64(f) }, { fdp_u64(f) } };
	unsigned success[2] = { 0, 0 }, failed[2] = { 0, 0 };
	uint8_t prologue[64], sel = fdp_u8(f);
	const uint8_t *p1, *p2, *t, *hh[2];
	size_t l1, l2, lt, hl[2], n;

	memset(&c, 0, sizeof(c));
	c.mem = &fuzz_mem;
	c.protocol = protocols[sel % 5];
	fdp_bytes(f, c.psk, sizeof(c.psk));
	c.prologue_len = fdp_below(f, sizeof(prologue) + 1);
	fdp_bytes(f, prologue, c.prologue_len);
	c.prologue = prologue;
	p1 = fdp_view(f, 1000, &l1);
	p2 = fdp_view(f, 1000, &l2);
	t = fdp_view(f, 1000, &lt);
	c.payload1 = p1, c.payload1_len = l1;
	c.payload2 = p2, c.payload2_len = l2;
	c.transport = t, c.transport_len = lt;
	c.timeout_ns = (sel & 0x80) ? UINT64_C(5000000000) : 0;

	for (int i = 0; i < 2; i++) {
		c.rng = fuzz_rng_fill;
		c.rng_ctx = &rng[i];
		if (noise_peer_init(&peer[i], i == 0 ? NOISE_PEER_INITIATOR : NOISE_PEER_RESPONDER,
				    &c, 1) != PS_OK) {
			/* only AES-GCM on a CPU without it may refuse */
			FUZZ_ASSERT(!cry_aead_available(CRY_AEAD_AESGCM));
			noise_peer_free(&peer[0]);
			return;
		}
	}
	/* carry bytes both ways, in chunks the input chooses, until quiet */
	for (int rounds = 0; rounds < 100000; rounds++) {
		bool moved = false;

		for (int i = 0; i < 2; i++) {
			const uint8_t *out;
			size_t avail = noise_peer_output(&peer[i], &out);

			if (!avail)
				continue;
			n = fdp_left(f) ? 1 + fdp_below(f, avail) : avail;
			FUZZ_ASSERT(noise_peer_input(&peer[!i], 2, out, n) == PS_OK);
			noise_peer_consume(&peer[i], n);
			moved = true;
		}
		drain(&peer[0], &success[0], &failed[0]);
		drain(&peer[1], &success[1], &failed[1]);
		if (!moved)
			break;
	}
	for (int i = 0; i < 2; i++) {
		FUZZ_ASSERT(noise_peer_outcome(&peer[i]) == PS_SUCCESS);
		FUZZ_ASSERT(success[i] == 1 && failed[i] == 0);
		hh[i] = noise_peer_handshake_hash(&peer[i], &hl[i]);
		FUZZ_ASSERT(hh[i] != NULL);
	}
	FUZZ_ASSERT(hl[0] == hl[1] && memcmp(hh[0], hh[1], hl[0]) == 0);
	/* each holds what the other sent */
	{
		size_t n1, n2, nt0, nt1;
		const uint8_t *g2 = noise_peer_payload(&peer[0], &n2);
		const uint8_t *g1 = noise_peer_payload(&peer[1], &n1);
		const uint8_t *echo = noise_peer_transport(&peer[0], &nt0);
		const uint8_t *tr = noise_peer_transport(&peer[1], &nt1);

		FUZZ_ASSERT(n1 == l1 && (l1 == 0 || memcmp(g1, p1, l1) == 0));
		FUZZ_ASSERT(n2 == l2 && (l2 == 0 || memcmp(g2, p2, l2) == 0));
		FUZZ_ASSERT(nt1 == lt && (lt == 0 || memcmp(tr, t, lt) == 0));
		FUZZ_ASSERT(nt0 == lt && (lt == 0 || memcmp(echo, t, lt) == 0));
	}
	noise_peer_free(&peer[0]);
	noise_peer_free(&peer[1]);
	FUZZ_ASSERT(fuzz_mem_out() == 0); /* every block back */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdp f = fdp_make(data, size);

	fuzz_crypto_init();
	if (fdp_u8(&f) & 1)
		hs_pair(&f);
	else
		peer_pair(&f);
	return 0;
}
