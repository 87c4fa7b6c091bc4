/*
 * handshake.c - the HandshakeState, token by token (sections 5.3 and 9.2).
 *
 *   Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s:
 *     -> e
 *     <- e, ee, psk
 *
 * WriteMessage and ReadMessage walk the message pattern; each token is one
 * labelled step (e, s, ee, es, se, ss, psk) using the helpers the
 * specification names. They work on a copy of the state, committed only when
 * the whole message succeeded; the copy and the DH output are wiped at the
 * one exit label.
 */
#include "noise/handshake.h"

#include <string.h>

static void mix_hash(struct noise_ss *ss, const uint8_t *data, size_t len)
{
	noise_ss_mix_hash(ss, data, len);
}

static void mix_key(struct noise_ss *ss, const uint8_t *ikm, size_t len)
{
	noise_ss_mix_key(ss, ikm, len);
}

static void mix_key_and_hash(struct noise_ss *ss, const uint8_t *ikm, size_t len)
{
	noise_ss_mix_key_and_hash(ss, ikm, len);
}

PS_MUST_CHECK static int encrypt_and_hash(struct noise_ss *ss, uint8_t *out, size_t cap,
					  size_t *outlen, const uint8_t *pt, size_t ptlen)
{
	return noise_ss_encrypt_and_hash(ss, out, cap, outlen, pt, ptlen);
}

PS_MUST_CHECK static int decrypt_and_hash(struct noise_ss *ss, uint8_t *out, size_t cap,
					  size_t *outlen, const uint8_t *ct, size_t ctlen)
{
	return noise_ss_decrypt_and_hash(ss, out, cap, outlen, ct, ctlen);
}

static void split(struct noise_ss *ss, struct noise_cs *c1, struct noise_cs *c2)
{
	noise_ss_split(ss, c1, c2);
}

static bool has_token(const uint8_t *tok, size_t n, uint8_t t)
{
	for (size_t i = 0; i < n; i++)
		if (tok[i] == t)
			return true;
	return false;
}

/* Does the pattern need our static key: our pre-message lists it, a message
 * of ours sends it, or a DH of either direction uses it. */
static bool uses_local_static(const struct noise_pattern *p, bool initiator)
{
	if (has_token(initiator ? p->pre_i : p->pre_r, initiator ? p->n_pre_i : p->n_pre_r,
		      NOISE_TOK_S))
		return true;
	for (size_t i = 0; i < p->n_msgs; i++) {
		const struct noise_message_pattern *m = &p->msg[i];
		bool ours = noise_pattern_initiator_sends(i) == initiator;

		if ((ours && has_token(m->tok, m->n, NOISE_TOK_S)) ||
		    has_token(m->tok, m->n, NOISE_TOK_SS) ||
		    has_token(m->tok, m->n, initiator ? NOISE_TOK_SE : NOISE_TOK_ES))
			return true;
	}
	return false;
}

/* The fixed part of a message: what its tokens add besides the payload.
 * Whether a key exists at each point is fixed by the pattern: once any
 * MixKey ran (a DH, a psk, or an e in PSK mode) it stays. */
static size_t message_fixed_len(const struct noise_hs *hs, const struct noise_message_pattern *m)
{
	bool key = noise_cs_has_key(&hs->ss.cs);
	size_t len = 0;

	for (size_t i = 0; i < m->n; i++) {
		switch (m->tok[i]) {
		case NOISE_TOK_E:
			len += NOISE_DHLEN;
			key = key || hs->n_psks > 0;
			break;
		case NOISE_TOK_S:
			len += NOISE_DHLEN + (key ? (size_t)NOISE_TAGLEN : 0);
			break;
		default:
			key = true;
			break;
		}
	}
	return len + (key ? (size_t)NOISE_TAGLEN : 0);
}

PS_MUST_CHECK static int keypair_from_private(struct noise_keypair *kp, const uint8_t *priv)
{
	memcpy(kp->priv, priv, NOISE_DHLEN);
	kp->set = cry_x25519_base(kp->pub, kp->priv) == PS_OK;
	return kp->set ? PS_OK : PS_ERR_CRYPTO;
}

/* GENERATE_KEYPAIR(), unless a fixed ephemeral was given at Initialize. */
PS_MUST_CHECK static int generate_ephemeral(struct noise_hs *w)
{
	uint8_t priv[NOISE_DHLEN];
	int r;

	if (w->e.set)
		return PS_OK;
	w->rng(w->rng_ctx, priv, sizeof(priv));
	r = keypair_from_private(&w->e, priv);
	cry_memzero(priv, sizeof(priv));
	return r;
}

/* ee, es, se, ss: MixKey(DH(ours, theirs)), the pair chosen by role. */
PS_MUST_CHECK static int mix_dh(struct noise_hs *w, uint8_t tok, uint8_t dh[NOISE_DHLEN])
{
	const struct noise_keypair *kp;
	const uint8_t *pub;
	bool have;
	int r;

	switch (tok) {
	case NOISE_TOK_EE: /* ee: DH(e, re) */
		kp = &w->e, pub = w->re, have = w->has_re;
		break;
	case NOISE_TOK_ES: /* es: DH(e, rs) if initiator, DH(s, re) if responder */
		kp = w->initiator ? &w->e : &w->s;
		pub = w->initiator ? w->rs : w->re;
		have = w->initiator ? w->has_rs : w->has_re;
		break;
	case NOISE_TOK_SE: /* se: DH(s, re) if initiator, DH(e, rs) if responder */
		kp = w->initiator ? &w->s : &w->e;
		pub = w->initiator ? w->re : w->rs;
		have = w->initiator ? w->has_re : w->has_rs;
		break;
	case NOISE_TOK_SS: /* ss: DH(s, rs) */
		kp = &w->s, pub = w->rs, have = w->has_rs;
		break;
	default:
		return PS_ERR_INVALID_STATE;
	}
	if (!kp->set || !have)
		return PS_ERR_INVALID_STATE;
	/* An all-zero result (their key is of low order) aborts the handshake. */
	if ((r = cry_x25519(dh, kp->priv, pub)) != PS_OK)
		return r;
	mix_key(&w->ss, dh, NOISE_DHLEN);
	return PS_OK;
}

static void advance(struct noise_hs *w)
{
	w->next_msg++;
	if (w->next_msg == w->pattern.n_msgs)
		w->action = NOISE_HS_SPLIT;
	else if (noise_pattern_initiator_sends(w->next_msg) == w->initiator)
		w->action = NOISE_HS_WRITE_MESSAGE;
	else
		w->action = NOISE_HS_READ_MESSAGE;
}

/* A pre-message key: the initiator's or the responder's e or s, as seen by
 * this side. NULL when this side lacks it. */
static const uint8_t *pre_message_key(const struct noise_hs *hs, bool of_initiator, uint8_t tok)
{
	bool ours = of_initiator == hs->initiator;

	if (tok == NOISE_TOK_E)
		return ours ? (hs->e.set ? hs->e.pub : NULL) : (hs->has_re ? hs->re : NULL);
	return ours ? (hs->s.set ? hs->s.pub : NULL) : (hs->has_rs ? hs->rs : NULL);
}

int noise_hs_init(struct noise_hs *hs, const struct noise_hs_config *cfg)
{
	const struct noise_pattern *p;
	const uint8_t *their_pre;
	size_t n_their_pre;
	int r = PS_ERR_INVALID_ARG;

	memset(hs, 0, sizeof(*hs));
	if (!cfg->protocol)
		goto fail;
	hs->pattern = cfg->protocol->pattern;
	p = &hs->pattern;
	hs->initiator = cfg->initiator;
	hs->rng = cfg->rng;
	hs->rng_ctx = cfg->rng_ctx;
	their_pre = cfg->initiator ? p->pre_r : p->pre_i;
	n_their_pre = cfg->initiator ? p->n_pre_r : p->n_pre_i;

	if (cfg->n_psks != p->n_psks || (cfg->n_psks && !cfg->psks))
		goto fail;
	if (!cfg->s && uses_local_static(p, cfg->initiator))
		goto fail;
	/* rs and re come in only through pre-messages (section 5.3); an rs
	 * given for a pattern that transmits it would never be checked. */
	if (!cfg->rs != !has_token(their_pre, n_their_pre, NOISE_TOK_S) ||
	    !cfg->re != !has_token(their_pre, n_their_pre, NOISE_TOK_E))
		goto fail;
	if (!cfg->e && (!cfg->rng || cfg->e_pub))
		goto fail;
	if (cfg->prologue_len && !cfg->prologue)
		goto fail;

	if (cfg->s && (r = keypair_from_private(&hs->s, cfg->s)) != PS_OK)
		goto fail;
	if (cfg->e && (r = keypair_from_private(&hs->e, cfg->e)) != PS_OK)
		goto fail;
	if (cfg->e_pub) /* the test seam: a public key that is not e's */
		memcpy(hs->e.pub, cfg->e_pub, NOISE_DHLEN);
	if (cfg->rs) {
		memcpy(hs->rs, cfg->rs, NOISE_DHLEN);
		hs->has_rs = true;
	}
	if (cfg->re) {
		memcpy(hs->re, cfg->re, NOISE_DHLEN);
		hs->has_re = true;
	}
	for (size_t i = 0; i < cfg->n_psks; i++)
		memcpy(hs->psk[i], cfg->psks[i], NOISE_PSKLEN);
	hs->n_psks = (uint8_t)cfg->n_psks;

	noise_ss_init_from_hash(&hs->ss, cfg->protocol->hash, cfg->protocol->cipher,
				cfg->protocol->h0);
	mix_hash(&hs->ss, cfg->prologue, cfg->prologue_len);

	/* "If both initiator and responder have pre-messages, the initiator's
	 * public keys are hashed first." */
	for (int side = 1; side >= 0; side--) {
		const uint8_t *tok = side ? p->pre_i : p->pre_r;
		size_t n = side ? p->n_pre_i : p->n_pre_r;

		for (size_t i = 0; i < n; i++) {
			const uint8_t *key = pre_message_key(hs, side == 1, tok[i]);

			r = PS_ERR_INVALID_ARG;
			if (!key)
				goto fail;
			mix_hash(&hs->ss, key, NOISE_DHLEN);
			if (tok[i] == NOISE_TOK_E && hs->n_psks)
				mix_key(&hs->ss, key, NOISE_DHLEN);
		}
	}

	hs->next_msg = 0;
	hs->action = cfg->initiator ? NOISE_HS_WRITE_MESSAGE : NOISE_HS_READ_MESSAGE;
	return PS_OK;
fail:
	noise_hs_wipe(hs);
	return r;
}

enum noise_hs_action noise_hs_action(const struct noise_hs *hs)
{
	return hs->action;
}

size_t noise_hs_message_len(const struct noise_hs *hs, size_t payload_len)
{
	if (hs->next_msg >= hs->pattern.n_msgs)
		return 0;
	return message_fixed_len(hs, &hs->pattern.msg[hs->next_msg]) + payload_len;
}

int noise_hs_write_message(struct noise_hs *hs, uint8_t *out, size_t cap, size_t *outlen,
			   const uint8_t *payload, size_t payload_len)
{
	const struct noise_message_pattern *m;
	struct noise_hs w;
	uint8_t dh[NOISE_DHLEN];
	size_t fixed, off = 0, n;
	int r = PS_OK;

	if (hs->action != NOISE_HS_WRITE_MESSAGE)
		return PS_ERR_INVALID_STATE;
	m = &hs->pattern.msg[hs->next_msg];
	fixed = message_fixed_len(hs, m);
	/* "All Noise messages are less than or equal to 65535 bytes." */
	if (payload_len > NOISE_MAX_MSG - fixed)
		return PS_ERR_TOO_LARGE;
	if (cap < fixed + payload_len)
		return PS_ERR_NOBUF;

	w = *hs;
	for (size_t i = 0; i < m->n && r == PS_OK; i++) {
		switch (m->tok[i]) {
		case NOISE_TOK_E: /* e */
			if ((r = generate_ephemeral(&w)) != PS_OK)
				break;
			memcpy(out + off, w.e.pub, NOISE_DHLEN);
			off += NOISE_DHLEN;
			mix_hash(&w.ss, w.e.pub, NOISE_DHLEN);
			/* "In a PSK handshake, all of these calls are followed by
			 * MixKey(e.public_key)." */
			if (w.n_psks)
				mix_key(&w.ss, w.e.pub, NOISE_DHLEN);
			break;
		case NOISE_TOK_S: /* s */
			r = encrypt_and_hash(&w.ss, out + off, cap - off, &n, w.s.pub, NOISE_DHLEN);
			off += r == PS_OK ? n : 0;
			break;
		case NOISE_TOK_PSK: /* psk */
			mix_key_and_hash(&w.ss, w.psk[w.next_psk++], NOISE_PSKLEN);
			break;
		default: /* ee, es, se, ss */
			r = mix_dh(&w, m->tok[i], dh);
			break;
		}
	}
	if (r != PS_OK)
		goto out;
	/* payload */
	if ((r = encrypt_and_hash(&w.ss, out + off, cap - off, &n, payload, payload_len)) != PS_OK)
		goto out;
	off += n;
	advance(&w);
	*hs = w;
	*outlen = off;
out:
	cry_memzero(&w, sizeof(w));
	cry_memzero(dh, sizeof(dh));
	return r;
}

int noise_hs_read_message(struct noise_hs *hs, uint8_t *payload, size_t cap, size_t *payload_len,
			  const uint8_t *msg, size_t len)
{
	const struct noise_message_pattern *m;
	struct noise_hs w;
	uint8_t dh[NOISE_DHLEN];
	size_t fixed, off = 0, n, got;
	int r = PS_OK;

	if (hs->action != NOISE_HS_READ_MESSAGE)
		return PS_ERR_INVALID_STATE;
	if (len > NOISE_MAX_MSG)
		return PS_ERR_TOO_LARGE;
	m = &hs->pattern.msg[hs->next_msg];
	fixed = message_fixed_len(hs, m);
	/* Exact sizes before any crypto: keys and tags must all be there. */
	if (len < fixed)
		return PS_ERR_BAD_SIZE;
	if (cap < len - fixed)
		return PS_ERR_NOBUF;

	w = *hs;
	for (size_t i = 0; i < m->n && r == PS_OK; i++) {
		switch (m->tok[i]) {
		case NOISE_TOK_E: /* e */
			if (w.has_re) {
				r = PS_ERR_INVALID_STATE;
				break;
			}
			memcpy(w.re, msg + off, NOISE_DHLEN);
			w.has_re = true;
			off += NOISE_DHLEN;
			mix_hash(&w.ss, w.re, NOISE_DHLEN);
			if (w.n_psks)
				mix_key(&w.ss, w.re, NOISE_DHLEN);
			break;
		case NOISE_TOK_S: /* s */
			if (w.has_rs) {
				r = PS_ERR_INVALID_STATE;
				break;
			}
			n = NOISE_DHLEN + (noise_cs_has_key(&w.ss.cs) ? (size_t)NOISE_TAGLEN : 0);
			r = decrypt_and_hash(&w.ss, w.rs, sizeof(w.rs), &got, msg + off, n);
			w.has_rs = r == PS_OK;
			off += n;
			break;
		case NOISE_TOK_PSK: /* psk */
			mix_key_and_hash(&w.ss, w.psk[w.next_psk++], NOISE_PSKLEN);
			break;
		default: /* ee, es, se, ss */
			r = mix_dh(&w, m->tok[i], dh);
			break;
		}
	}
	if (r != PS_OK)
		goto out;
	/* payload: released only once its tag verified */
	if ((r = decrypt_and_hash(&w.ss, payload, cap, &got, msg + off, len - off)) != PS_OK)
		goto out;
	advance(&w);
	*hs = w;
	*payload_len = got;
out:
	cry_memzero(&w, sizeof(w));
	cry_memzero(dh, sizeof(dh));
	return r;
}

int noise_hs_split(struct noise_hs *hs, struct noise_cs *c1, struct noise_cs *c2)
{
	uint8_t h[NOISE_MAXHASHLEN];

	if (hs->action != NOISE_HS_SPLIT)
		return PS_ERR_INVALID_STATE;
	split(&hs->ss, c1, c2);
	/* Only h outlives the handshake (channel binding, section 11.2). */
	memcpy(h, hs->ss.h, sizeof(h));
	cry_memzero(&hs->s, sizeof(hs->s));
	cry_memzero(&hs->e, sizeof(hs->e));
	cry_memzero(hs->psk, sizeof(hs->psk));
	noise_ss_wipe(&hs->ss);
	memcpy(hs->ss.h, h, sizeof(h));
	hs->action = NOISE_HS_DONE;
	return PS_OK;
}

const uint8_t *noise_hs_handshake_hash(const struct noise_hs *hs, size_t *len)
{
	return noise_ss_handshake_hash(&hs->ss, len);
}

const uint8_t *noise_hs_local_ephemeral(const struct noise_hs *hs)
{
	return hs->e.set ? hs->e.pub : NULL;
}

const uint8_t *noise_hs_remote_static(const struct noise_hs *hs)
{
	return hs->has_rs ? hs->rs : NULL;
}

void noise_hs_wipe(struct noise_hs *hs)
{
	struct noise_pattern pattern = hs->pattern; /* no secret: message_len stays meaningful */

	cry_memzero(hs, sizeof(*hs));
	hs->pattern = pattern;
	hs->action = NOISE_HS_DONE;
}
