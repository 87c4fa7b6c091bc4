/*
 * nsetup.c - see nsetup.h.
 */
#include "nsetup.h"

static const char *const ciphers[] = { "ChaChaPoly", "AESGCM" };
static const char *const hashes[] = { "BLAKE2s", "SHA256", "BLAKE2b", "SHA512" };

void fuzz_noise_protocol(struct fdp *f, struct noise_protocol *proto, bool any_pattern)
{
	uint8_t sel = fdp_u8(f);
	char name[NOISE_MAX_NAME + 1];
	const char *pattern = "NNpsk2";
	char pat[64];
	int n;

	if (any_pattern && (sel & 0x80)) {
		/* a base pattern and up to three pskN modifiers */
		size_t i = fdp_below(f, noise_pattern_count());
		uint8_t mods = fdp_u8(f);
		size_t off;

		off = (size_t)snprintf(pat, sizeof(pat), "%s", noise_pattern_name(i));
		for (unsigned k = 0, first = 1; k < 5 && off < sizeof(pat) - 8; k++) {
			if (!(mods >> k & 1))
				continue;
			off += (size_t)snprintf(pat + off, sizeof(pat) - off, "%spsk%u",
						first ? "" : "+", k);
			first = 0;
		}
		pattern = pat;
	}
	n = snprintf(name, sizeof(name), "Noise_%s_25519_%s_%s", pattern, ciphers[(sel >> 2) & 1],
		     hashes[sel & 3]);
	if (n > 0 && noise_protocol_parse(proto, name, (size_t)n) == PS_OK)
		return;
	/* AESGCM unavailable here, or modifiers past the last message */
	n = snprintf(name, sizeof(name), "Noise_%s_25519_ChaChaPoly_%s", pattern, hashes[sel & 3]);
	if (n > 0 && noise_protocol_parse(proto, name, (size_t)n) == PS_OK)
		return;
	if (noise_protocol_parse(proto, NNPSK2, sizeof(NNPSK2) - 1) != PS_OK)
		abort();
}

static bool lists(const uint8_t *tok, size_t n, uint8_t t)
{
	for (size_t i = 0; i < n; i++)
		if (tok[i] == t)
			return true;
	return false;
}

/* A private key from the input; its public key only when a pre-message
 * needs it (noise_hs_init derives our own again: each X25519 costs as much
 * as the rest of a handshake message). */
static void keypair(struct fdp *f, uint8_t priv[NOISE_DHLEN], uint8_t pub[NOISE_DHLEN], bool need)
{
	fdp_bytes(f, priv, NOISE_DHLEN);
	if (need && cry_x25519_base(pub, priv) != PS_OK)
		abort();
}

void fuzz_noise_pair_make(struct fdp *f, struct fuzz_noise_pair *pair, bool any_pattern)
{
	const struct noise_pattern *p;

	memset(pair, 0, sizeof(*pair));
	fuzz_noise_protocol(f, &pair->proto, any_pattern);
	p = &pair->proto.pattern;
	pair->rng_i.s = fdp_u64(f);
	pair->rng_r.s = fdp_u64(f);
	/* static and pre-message keys only where the pattern has them: each
	 * X25519 base multiplication costs as much as a handshake message */
	pair->statics = p->n_pre_i || p->n_pre_r;
	for (size_t i = 0; i < p->n_msgs; i++)
		for (size_t t = 0; t < p->msg[i].n; t++)
			if (p->msg[i].tok[t] == NOISE_TOK_S || p->msg[i].tok[t] == NOISE_TOK_ES ||
			    p->msg[i].tok[t] == NOISE_TOK_SE || p->msg[i].tok[t] == NOISE_TOK_SS)
				pair->statics = true;
	if (pair->statics) {
		keypair(f, pair->s_i, pair->s_i_pub, lists(p->pre_i, p->n_pre_i, NOISE_TOK_S));
		keypair(f, pair->s_r, pair->s_r_pub, lists(p->pre_r, p->n_pre_r, NOISE_TOK_S));
	}
	if (pair->proto.pattern.n_pre_i || pair->proto.pattern.n_pre_r) {
		keypair(f, pair->e_i, pair->e_i_pub, lists(p->pre_i, p->n_pre_i, NOISE_TOK_E));
		keypair(f, pair->e_r, pair->e_r_pub, lists(p->pre_r, p->n_pre_r, NOISE_TOK_E));
	}
	for (size_t i = 0; i < pair->proto.pattern.n_psks; i++)
		fdp_bytes(f, pair->psks[i], NOISE_PSKLEN);
	pair->prologue_len = fdp_below(f, sizeof(pair->prologue) + 1);
	fdp_bytes(f, pair->prologue, pair->prologue_len);
}

void fuzz_noise_hs_config(struct noise_hs_config *c, struct fuzz_noise_pair *pair, bool initiator)
{
	const struct noise_pattern *p = &pair->proto.pattern;
	const uint8_t *ours = initiator ? p->pre_i : p->pre_r;
	const uint8_t *theirs = initiator ? p->pre_r : p->pre_i;
	size_t n_ours = initiator ? p->n_pre_i : p->n_pre_r;
	size_t n_theirs = initiator ? p->n_pre_r : p->n_pre_i;

	memset(c, 0, sizeof(*c));
	c->protocol = &pair->proto;
	c->initiator = initiator;
	c->prologue = pair->prologue;
	c->prologue_len = pair->prologue_len;
	c->psks = pair->psks;
	c->n_psks = p->n_psks;
	if (pair->statics)
		c->s = initiator ? pair->s_i : pair->s_r;
	if (lists(ours, n_ours, NOISE_TOK_E))
		c->e = initiator ? pair->e_i : pair->e_r;
	if (lists(theirs, n_theirs, NOISE_TOK_S))
		c->rs = initiator ? pair->s_r_pub : pair->s_i_pub;
	if (lists(theirs, n_theirs, NOISE_TOK_E))
		c->re = initiator ? pair->e_r_pub : pair->e_i_pub;
	c->rng = fuzz_rng_fill;
	c->rng_ctx = initiator ? &pair->rng_i : &pair->rng_r;
}

bool fuzz_noise_mutate(struct fdp *f, uint8_t *msg, size_t *len, size_t cap)
{
	uint8_t how = fdp_u8(f);
	bool changed = false;

	for (unsigned k = 0; k < (how & 3u) && *len > 0; k++) {
		size_t pos = fdp_below(f, *len);
		uint8_t x = fdp_u8(f);
		msg[pos] ^= x;
		changed = changed || x != 0;
	}
	if ((how & 0x0c) == 0x04) { /* truncate */
		size_t n = fdp_below(f, *len + 1);
		changed = changed || n != *len;
		*len = n;
	} else if ((how & 0x0c) == 0x08 && *len < cap) { /* extend */
		size_t n = 1 + fdp_below(f, cap - *len < 64 ? cap - *len : 64);
		fdp_bytes(f, msg + *len, n);
		*len += n;
		changed = true;
	}
	return changed;
}

int fuzz_noise_read(struct fdp *f, struct noise_hs *reader, const uint8_t *msg, size_t len,
		    const uint8_t *want, size_t want_len, bool must)
{
	static struct noise_hs snap;
	static uint8_t out[NOISE_MAX_MSG + 64];
	size_t fixed = noise_hs_message_len(reader, 0), cap = sizeof(out), got = 99999;
	int r;

	if (fdp_u8(f) == 0xff) /* sometimes too small a buffer */
		cap = fdp_below(f, len + 1);
	memset(out, 0xaa, sizeof(out));
	memcpy(&snap, reader, sizeof(snap));
	r = noise_hs_read_message(reader, out, cap, &got, msg, len);
	if (r != PS_OK) {
		FUZZ_ASSERT(memcmp(&snap, reader, sizeof(snap)) == 0);
		FUZZ_ASSERT(got == 99999);
		FUZZ_ASSERT(!must || (len >= fixed && cap < len - fixed));
		if (len > NOISE_MAX_MSG)
			FUZZ_ASSERT(r == PS_ERR_TOO_LARGE);
		else if (len < fixed)
			FUZZ_ASSERT(r == PS_ERR_BAD_SIZE);
		else if (cap < len - fixed)
			FUZZ_ASSERT(r == PS_ERR_NOBUF);
		else
			FUZZ_ASSERT(r == PS_ERR_DECRYPT || r == PS_ERR_DH);
		/* no plaintext released, nothing written past cap */
		for (size_t i = 0; i < cap && i < len; i++)
			FUZZ_ASSERT(out[i] == 0xaa || out[i] == 0);
		for (size_t i = cap; i < sizeof(out) && i < cap + 64; i++)
			FUZZ_ASSERT(out[i] == 0xaa);
		return r;
	}
	FUZZ_ASSERT(len >= fixed && got == len - fixed && got <= cap);
	FUZZ_ASSERT(noise_hs_action(reader) != NOISE_HS_READ_MESSAGE ||
		    snap.pattern.n_msgs > snap.next_msg + 1u);
	if (want)
		FUZZ_ASSERT(got == want_len && (got == 0 || memcmp(out, want, got) == 0));
	return r;
}
