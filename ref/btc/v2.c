/*
 * v2.c - the BIP324 v2 transport (v2.h), after Bitcoin Core's V2Transport
 * (src/net.cpp, v31.1): its receive states, limits and error points are
 * Core's, quoted above the checks.
 */
#include "btc/v2.h"

#include <string.h>

#include "btc/params.h"
#include "btc/transport.h"

/* What the receiver expects next: Core's RecvState, less APP_READY (a
 * message is handed up at once) and V1 (the ops switch instead). */
enum v2_recv {
	V2_MAYBE_V1, /* KEY_MAYBE_V1 */
	V2_KEY,	     /* KEY */
	V2_GARBAGE,  /* GARB_GARBTERM */
	V2_VERSION,  /* VERSION: packets up to the version packet */
	V2_APP,	     /* APP */
	V2_ENDED     /* failed, or ended by the layer above */
};

/* BIP324's message type IDs 1..28 ("The following table lists currently
 * defined message type IDs"); Core's V2_MESSAGE_IDS in the same order. */
static const char *const short_ids[] = {
	NULL,		"addr",	       "block",	       "blocktxn",  "cmpctblock",  "feefilter",
	"filteradd",	"filterclear", "filterload",   "getblocks", "getblocktxn", "getdata",
	"getheaders",	"headers",     "inv",	       "mempool",   "merkleblock", "notfound",
	"ping",		"pong",	       "sendcmpct",    "tx",	    "getcfilters", "cfilter",
	"getcfheaders", "cfheaders",   "getcfcheckpt", "cfcheckpt", "addrv2",
};
#define N_SHORT_IDS (sizeof(short_ids) / sizeof(short_ids[0]))

static const uint8_t version_cmd[BTC_COMMAND_LEN] = { 'v', 'e', 'r', 's', 'i', 'o',
						      'n', 0,	0,   0,	  0,   0 };

const char *btc_v2_short_name(uint8_t id)
{
	return id > 0 && id < N_SHORT_IDS ? short_ids[id] : NULL;
}

uint8_t btc_v2_short_id(const uint8_t command[BTC_COMMAND_LEN])
{
	uint8_t want[BTC_COMMAND_LEN];

	for (size_t i = 1; i < N_SHORT_IDS; i++)
		if (btc_command_set(want, short_ids[i]) == PS_OK &&
		    memcmp(want, command, BTC_COMMAND_LEN) == 0)
			return (uint8_t)i;
	return 0;
}

/* ---- sending ---- */

/* Our garbage, n bytes into out: the fixed bytes, or the ChaCha20
 * keystream of the seed (nonce 0), so it can be made again for the aad. */
static int garbage_make(const struct btc_v2 *v, uint8_t *out, size_t n)
{
	static const uint8_t nonce[CRY_CHACHA20_NONCELEN];

	if (v->garbage_fixed) {
		if (n)
			memcpy(out, v->garbage_fixed, n);
		return PS_OK;
	}
	memset(out, 0, n);
	return cry_chacha20_xor_ic(out, out, n, v->garbage_seed, nonce, 0);
}

/* A piece queued of our own, for btc_v2_take_sent. The log holds the
 * most one call can queue (key, garbage, terminator, every packet before
 * the version packet, the version packet); were it full, the last piece
 * would take the bytes, so that they still add up. */
static void tx_log(struct btc_v2 *v, enum btc_v2_piece piece, size_t length, size_t bytes)
{
	if (v->ntx == BTC_V2_TX_MAX) {
		v->tx[BTC_V2_TX_MAX - 1].bytes += (uint32_t)bytes;
		return;
	}
	v->tx[v->ntx].piece = piece;
	v->tx[v->ntx].length = (uint32_t)length;
	v->tx[v->ntx].bytes = (uint32_t)bytes;
	v->ntx++;
}

/* Core's StartSendingHandshake: "Initialize the send buffer with ellswift
 * pubkey + provided garbage." */
static int send_key(struct btc_v2 *v, struct ps_wcur *out)
{
	size_t n = BTC_V2_ELLSWIFT_LEN + v->garbage_len;
	int r;

	if (ps_wcur_left(out) < n)
		return PS_ERR_NOBUF;
	memcpy(out->p, v->ours, BTC_V2_ELLSWIFT_LEN);
	if ((r = garbage_make(v, out->p + BTC_V2_ELLSWIFT_LEN, v->garbage_len)) != PS_OK)
		return r;
	out->p += n;
	v->sent_key = true;
	tx_log(v, BTC_V2_TX_KEY, BTC_V2_ELLSWIFT_LEN, BTC_V2_ELLSWIFT_LEN);
	if (v->garbage_len)
		tx_log(v, BTC_V2_TX_GARBAGE, v->garbage_len, v->garbage_len);
	return PS_OK;
}

static int put_packet(struct btc_v2 *v, struct ps_wcur *out, uint8_t header,
		      const uint8_t *contents, size_t len, const uint8_t *aad, size_t aadlen)
{
	size_t n;
	int r;

	if (v->send_cut)
		return PS_ERR_INVALID_STATE;
	r = btc_v2c_encrypt_header(&v->c, out->p, ps_wcur_left(out), &n, contents, len, aad, aadlen,
				   header);
	if (r == PS_OK)
		out->p += n;
	return r;
}

/* Core, once the peer's key is in: "Append the garbage terminator to the
 * send buffer", then "Construct version packet in the send buffer, with
 * the sent garbage data as AAD" (BIP324: "optionally followed by an
 * arbitrary number of decoy packets ... the first encrypted packet ...
 * will make use of the associated authenticated data (AAD) feature of the
 * AEAD to authenticate the garbage that has been sent"). */
static int send_terminator_and_version(struct btc_v2 *v, struct ps_wcur *out)
{
	static const struct btc_v2_packet empty = { 0, NULL, 0 };
	const struct btc_v2_fixed *f = v->fixed;
	const struct btc_v2_packet *ver = f && f->version ? f->version : &empty;
	uint8_t garbage[BTC_V2_MIS_MAX_GARBAGE];
	struct ps_wcur w = *out;
	size_t aadlen = v->garbage_len;
	uint8_t ntx = v->ntx;
	uint8_t *at;
	int r;

	if ((r = garbage_make(v, garbage, v->garbage_len)) != PS_OK)
		return r;
	if ((r = ps_put_bytes(&w, btc_v2c_send_garbage_terminator(&v->c),
			      BTC_V2_GARBAGE_TERM_LEN)) != PS_OK)
		return r;
	tx_log(v, BTC_V2_TX_TERMINATOR, BTC_V2_GARBAGE_TERM_LEN, BTC_V2_GARBAGE_TERM_LEN);
	for (size_t i = 0; f && i < f->n_pre_version; i++) {
		const struct btc_v2_packet *p = &f->pre_version[i];

		at = w.p;
		r = put_packet(v, &w, p->header | BTC_V2_IGNORE_BIT, p->contents, p->len, garbage,
			       aadlen);
		if (r != PS_OK)
			goto fail;
		tx_log(v, BTC_V2_TX_DECOY, p->len, (size_t)(w.p - at));
		aadlen = 0; /* "aad = b''" after the first */
	}
	at = w.p;
	r = put_packet(v, &w, (uint8_t)(ver->header & ~BTC_V2_IGNORE_BIT), ver->contents, ver->len,
		       garbage, aadlen);
	if (r != PS_OK)
		goto fail;
	tx_log(v, BTC_V2_TX_VERSION, ver->len, (size_t)(w.p - at));
	*out = w;
	v->ready = true;
	return PS_OK;
fail:
	v->ntx = ntx; /* nothing of it was queued */
	return r;
}

/* ---- set up and tear down ---- */

static int key_make(struct btc_v2 *v, const struct btc_v2_config *cfg)
{
	const struct btc_v2_fixed *f = cfg->fixed;
	uint8_t x[CRY_SECP_XLEN], dec[CRY_SECP_XLEN];
	int r;

	if (!f || !f->privkey)
		/* BIP324 "ellswift_create()": a key and a random encoding of it */
		return cry_ellswift_create(v->priv, v->ours, cfg->rng, cfg->rng_ctx);
	if (!cry_secp_priv_valid(f->privkey))
		return PS_ERR_INVALID_ARG;
	memcpy(v->priv, f->privkey, sizeof(v->priv));
	if ((r = cry_secp_pubkey_x(x, v->priv)) != PS_OK)
		return r;
	if (!f->ellswift)
		return cry_ellswift_encode(v->ours, x, cfg->rng, cfg->rng_ctx);
	/* a fixed encoding must be one of this key */
	cry_ellswift_decode(dec, f->ellswift);
	if (!cry_memeq(dec, x, sizeof(x)))
		return PS_ERR_INVALID_ARG;
	memcpy(v->ours, f->ellswift, sizeof(v->ours));
	return PS_OK;
}

/* Our key, its encoding and our garbage, from the configuration. */
static int prepare(struct btc_v2 *v)
{
	const struct btc_v2_config *cfg = &v->cfg;
	uint8_t two[2];
	int r;

	if ((r = key_make(v, cfg)) != PS_OK)
		return r;
	if (cfg->garbage_random) {
		/* Core's GenerateRandomGarbage: "rng.randrange(V2Transport::MAX_GARBAGE_LEN
		 * + 1)"; 4096 divides 65536, so two bytes give it uniformly */
		cfg->rng(cfg->rng_ctx, two, sizeof(two));
		v->garbage_len = (uint16_t)(((unsigned)two[0] | (unsigned)two[1] << 8) %
					    (BTC_V2_MAX_GARBAGE + 1));
	} else {
		v->garbage_len = (uint16_t)cfg->garbage_len;
	}
	if (cfg->fixed && cfg->fixed->garbage)
		v->garbage_fixed = cfg->fixed->garbage;
	else
		cfg->rng(cfg->rng_ctx, v->garbage_seed, sizeof(v->garbage_seed));
	return PS_OK;
}

int btc_v2_init(struct btc_v2 *v, const uint8_t magic[4], bool initiating, bool detect,
		const struct btc_v2_config *cfg, struct ps_wcur *out)
{
	int r;

	memset(v, 0, sizeof(*v));
	if (!cfg->rng ||
	    (!cfg->garbage_random && cfg->garbage_len > (cfg->garbage_over ? BTC_V2_MIS_MAX_GARBAGE
									   : BTC_V2_MAX_GARBAGE)) ||
	    (cfg->fixed && cfg->fixed->garbage && cfg->garbage_random) ||
	    (cfg->fixed && cfg->fixed->n_pre_version > BTC_V2_MAX_PRE_VERSION))
		return PS_ERR_INVALID_ARG;
	memcpy(v->magic, magic, 4);
	v->initiating = initiating;
	v->long_types = cfg->long_types;
	/* Core: "if (!m_initiating && m_recv_buffer.size() >= OFFSET +
	 * MATCH.size())": every responder checks for a v1 version header */
	v->check_v1 = !initiating;
	/* Core: "m_recv_state{initiating ? RecvState::KEY : RecvState::KEY_MAYBE_V1}" */
	v->recv = detect ? V2_MAYBE_V1 : V2_KEY;
	v->fixed = cfg->fixed;
	v->cfg = *cfg;
	/* A detecting responder makes its key only once the peer turns out to
	 * speak v2: a v1 peer costs no key generation and encoding (about
	 * 0.8 M instructions). Core makes it in V2Transport's constructor;
	 * nothing on the wire tells the two apart. */
	if (!detect && (r = prepare(v)) != PS_OK)
		goto fail;
	/* Core: "Start sending immediately if we're the initiator of the
	 * connection." */
	if (initiating && (r = send_key(v, out)) != PS_OK)
		goto fail;
	return PS_OK;
fail:
	cry_memzero(v, sizeof(*v));
	v->recv = V2_ENDED;
	return r;
}

/* Every secret goes: keys, the private key, plaintext kept. */
static void wipe(struct btc_v2 *v)
{
	btc_v2c_wipe(&v->c);
	cry_memzero(v->priv, sizeof(v->priv));
	cry_memzero(v->keep, sizeof(v->keep));
	if (v->big)
		cry_memzero(v->big, v->big_len);
	cry_memzero(v->garbage_seed, sizeof(v->garbage_seed));
	v->ready = false;
	v->recv = V2_ENDED;
}

static void v2_end(struct btc_transport *t)
{
	wipe(&t->u.v2);
}

/* A fatal error: the item that ended it in msg, the secrets wiped. */
static int fatal(struct btc_v2 *v, struct btc_rx_msg *msg, int err, const char *note)
{
	msg->bytes = v->got;
	msg->length = v->pkt_len;
	msg->note = note;
	wipe(v);
	return err;
}

/* ---- receiving ---- */

/* The peer's key is in: Core's "Initialize the ciphers", then the
 * terminator and the version packet go out. */
static int on_key(struct btc_v2 *v, struct btc_rx_msg *msg, struct ps_wcur *out)
{
	int r;

	/* BIP324: "ecdh_secret = v2_ecdh(peer.privkey_ours, ellswift_theirs,
	 * peer.ellswift_ours, initiating=initiating)"; v2cipher wipes the
	 * secret and the keys it derives them from, and the private key dies
	 * here: "To achieve forward secrecy we must wipe the key material" */
	r = btc_v2c_init(&v->c, v->priv, v->ours, v->theirs, v->initiating, v->magic);
	cry_memzero(v->priv, sizeof(v->priv));
	if (r != PS_OK)
		return fatal(v, msg, r, "key exchange failed");
	if (!v->sent_key && (r = send_key(v, out)) != PS_OK)
		return fatal(v, msg, r, "output queue full");
	if ((r = send_terminator_and_version(v, out)) != PS_OK)
		return fatal(v, msg, r, "output queue full");
	v->recv = V2_GARBAGE;
	msg->kind = BTC_RX_V2_KEY;
	msg->length = BTC_V2_ELLSWIFT_LEN;
	msg->bytes = v->got;
	msg->note = "v2 key";
	v->got = 0;
	return PS_OK;
}

/* The responder saw all 16 bytes of the v1 prefix: Core "fall[s] back to
 * v1 behavior" and feeds "already received bytes to v1 transport". The
 * union's v2 state (its private key among it) is wiped and becomes a v1
 * one; the rest of the input goes on to it. */
static int switch_to_v1(struct btc_transport *t, struct btc_rx_msg *msg, bool *got, size_t *used,
			struct ps_wcur *out, const uint8_t *rest, size_t restlen)
{
	uint8_t prefix[BTC_V2_V1_PREFIX], magic[4];
	size_t n = 0, taken = *used;
	int r;

	memcpy(prefix, t->u.v2.theirs, sizeof(prefix));
	memcpy(magic, t->u.v2.magic, sizeof(magic));
	/* no key was made (see prepare) */
	memset(&t->u.v2, 0, sizeof(t->u.v2));
	t->ops = &btc_v1_ops;
	btc_v1_init(&t->u.v1, magic);
	/* "It should always accept these, because it's less than the size of
	 * a v1 header" */
	if ((r = t->ops->read(t, msg, got, &n, out, prefix, sizeof(prefix))) != PS_OK)
		return r;
	n = 0;
	r = restlen ? t->ops->read(t, msg, got, &n, out, rest, restlen) : PS_OK;
	*used = taken + n;
	return r;
}

/* Core's GetMessageType, on contents = keep[1 ..] of which kept are here
 * (clen in all): the type, and where the payload starts; or the note of a
 * drop. */
static const char *message_type(const uint8_t *contents, size_t clen, uint8_t command[12],
				size_t *type_len)
{
	size_t n = 0;

	memset(command, 0, BTC_COMMAND_LEN);
	/* "if (contents.size() == 0) return std::nullopt; // Empty contents" */
	if (clen == 0)
		return "empty contents";
	if (contents[0] != 0) {
		/* "Short (1 byte) encoding": "Valid short message id", else
		 * "Unknown short message id". The BIP's table ends at 28 ("≥29
		 * (undefined)"); Core v31 lists 29..32 as assigned and hands them
		 * on as an empty type it then ignores: to the peer the same. */
		const char *name = btc_v2_short_name(contents[0]);

		*type_len = 1;
		if (!name || btc_command_set(command, name) != PS_OK)
			return "unknown short message id";
		return NULL;
	}
	/* "Long encoding needs 12 message type bytes." */
	if (clen < 1 + BTC_COMMAND_LEN) {
		memcpy(command, contents + 1, clen - 1);
		return "long message type cut short";
	}
	memcpy(command, contents + 1, BTC_COMMAND_LEN);
	*type_len = 1 + BTC_COMMAND_LEN;
	/* "Verify that message type bytes before the first 0x00 are in range." */
	for (; n < BTC_COMMAND_LEN && command[n] != 0; n++)
		if (command[n] < ' ' || command[n] > 0x7f)
			return "message type byte outside 0x20..0x7f";
	/* "Verify that message type bytes after the first 0x00 are also 0x00." */
	for (; n < BTC_COMMAND_LEN; n++)
		if (command[n] != 0)
			return "message type not NUL-padded";
	return NULL;
}

/* A packet verified: a decoy, the version packet, or a message. */
static void on_packet(struct btc_v2 *v, struct btc_rx_msg *msg, bool ignore)
{
	uint8_t *keep = v->big ? v->big : v->keep;
	size_t klen = v->big ? v->big_len : sizeof(v->keep);
	size_t cap = klen - BTC_V2_KEEP_OVERHEAD; /* payload bytes kept */
	size_t kept = v->pkt_len < klen - 1 ? v->pkt_len : klen - 1;
	const uint8_t *contents = keep + BTC_V2_HEADER_LEN;
	size_t type_len = 0;
	const char *drop;

	msg->header = keep[0];
	msg->bytes = v->got;
	v->got = 0;
	v->in_packet = false;
	if (ignore || v->recv == V2_VERSION) {
		/* BIP324: "Decoy packets are to be ignored by the receiver apart
		 * from verifying they decrypt correctly"; the version packet:
		 * "Receives a packet, ignores its contents" (Core: "The
		 * contents is ignored, but can be used for future extensions") */
		msg->kind = ignore ? BTC_RX_V2_DECOY : BTC_RX_V2_VERSION;
		msg->note = ignore ? "v2 decoy" : "v2 version packet";
		msg->length = v->pkt_len;
		msg->payload = contents;
		msg->kept = kept < cap ? kept : cap;
		if (!ignore) {
			v->recv = V2_APP;
			v->version_in = true;
			/* public (getpeerinfo shows it): kept after the keys are
			 * wiped, for the result */
			memcpy(v->session_id, btc_v2c_session_id(&v->c), sizeof(v->session_id));
		}
		return;
	}
	msg->kind = BTC_RX_MESSAGE;
	drop = message_type(contents, v->pkt_len, msg->command, &type_len);
	if (drop) {
		/* Core: "V2 transport error: invalid message type", reject_message:
		 * the message is dropped, the connection kept */
		msg->verdict = PS_ERR_BAD_COMMAND;
		msg->note = drop;
		msg->length = v->pkt_len;
		msg->payload = contents;
		msg->kept = kept < cap ? kept : cap;
	} else {
		msg->length = v->pkt_len - (uint32_t)type_len;
		msg->payload = contents + type_len;
		msg->kept = msg->length < cap ? msg->length : cap;
	}
	msg->cmd = btc_cmd_from_bytes(msg->command);
}

/* Copy into dst[*got..want) what (in, len) has from *pos on, as far as it
 * goes; *got and *pos advance by what was taken. */
static void take(uint8_t *dst, uint32_t *got, size_t want, const uint8_t *in, size_t len,
		 size_t *pos)
{
	size_t n = want - *got;

	if (n > len - *pos)
		n = len - *pos;
	memcpy(dst + *got, in + *pos, n);
	*got += (uint32_t)n;
	*pos += n;
}

static int v2_read(struct btc_transport *t, struct btc_rx_msg *msg, bool *got, size_t *used,
		   struct ps_wcur *out, const uint8_t *in, size_t len)
{
	struct btc_v2 *v = &t->u.v2;
	size_t pos = 0, n;
	/* where this call began to queue: a key queued by it has not left */
	uint8_t *const out_start = out->p;
	const uint8_t ntx_start = v->ntx;
	const bool key_before = v->sent_key;
	int r;

	memset(msg, 0, sizeof(*msg));
	*got = false;
	*used = 0;
	if (v->recv == V2_ENDED)
		return PS_ERR_INVALID_STATE;
	while (pos < len) {
		switch (v->recv) {
		case V2_MAYBE_V1: {
			/* Core: "The bytes being received could be the beginning of
			 * either a v1 packet (network magic + "version\x00\x00\x00\x00\x00"),
			 * or of a v2 public key"; a byte at a time, so that it is
			 * decided on the first one that differs */
			uint8_t want = v->got < 4 ? v->magic[v->got] : version_cmd[v->got - 4];

			v->theirs[v->got++] = in[pos++];
			*used = pos;
			if (in[pos - 1] != want) {
				/* "Mismatch with v1 prefix, so we can assume a v2
				 * connection ... start sending" */
				t->ops = &btc_v2_ops;
				v->recv = V2_KEY;
				if ((r = prepare(v)) != PS_OK)
					return fatal(v, msg, r, "key generation failed");
				if ((r = send_key(v, out)) != PS_OK)
					return fatal(v, msg, r, "output queue full");
				break;
			}
			if (v->got == BTC_V2_V1_PREFIX)
				return switch_to_v1(t, msg, got, used, out, in + pos, len - pos);
			continue;
		}
		case V2_KEY:
			/* A responder answers the first byte (detected or not). */
			if (!v->sent_key && (r = send_key(v, out)) != PS_OK)
				return fatal(v, msg, r, "output queue full");
			take(v->theirs, &v->got,
			     v->check_v1 && v->got < BTC_V2_V1_PREFIX ? BTC_V2_V1_PREFIX
								      : BTC_V2_ELLSWIFT_LEN,
			     in, len, &pos);
			*used = pos;
			/* Core: "if bytes 4-16 of the key on a responder connection
			 * match the corresponding bytes of a V1 version message, but
			 * bytes 0-4 don't match the network magic ... assume this is a
			 * peer from another network, and disconnect them" */
			if (v->check_v1 && v->got == BTC_V2_V1_PREFIX &&
			    memcmp(v->theirs + 4, version_cmd, sizeof(version_cmd)) == 0) {
				if (memcmp(v->theirs, v->magic, 4) == 0)
					/* ours: a v1 peer, where v1 is off (kind V2) */
					return fatal(v, msg, PS_ERR_PROTOCOL,
						     "v1 peer (v1 is off here)");
				/* Core decides in the same ReceiveMsgBytes that
				 * queued its key ("receiving message bytes failed":
				 * CloseSocketDisconnect at once), so the key never
				 * leaves when the 16 bytes came in one read; nor
				 * does ours then. One queued by an earlier read
				 * (the bytes came apart) is on its way, as Core's. */
				if (!key_before) {
					out->p = out_start;
					v->ntx = ntx_start;
					v->sent_key = false;
				}
				return fatal(v, msg, PS_ERR_BAD_MAGIC,
					     "v1 peer with wrong network magic");
			}
			if (v->got < BTC_V2_ELLSWIFT_LEN)
				continue;
			if ((r = on_key(v, msg, out)) != PS_OK)
				return r;
			*got = true;
			return PS_OK;
		case V2_GARBAGE: {
			/* Core: "Process garbage bytes one by one (because terminator
			 * may appear anywhere)". A byte that leaves the 16-byte
			 * window is garbage for sure: authenticated as the first
			 * packet's aad at once ("Store garbage to authenticate it as
			 * AAD later") instead of stored. */
			uint8_t b = in[pos++];

			*used = pos;
			if (v->got >= BTC_V2_GARBAGE_TERM_LEN) {
				if ((r = btc_v2c_decrypt_aad(&v->c, v->window, 1)) != PS_OK) {
					v->got++;
					return fatal(v, msg, r, "key exchange failed");
				}
				memmove(v->window, v->window + 1, BTC_V2_GARBAGE_TERM_LEN - 1);
				v->window[BTC_V2_GARBAGE_TERM_LEN - 1] = b;
			} else {
				v->window[v->got] = b;
			}
			v->got++;
			if (v->got < BTC_V2_GARBAGE_TERM_LEN)
				continue;
			/* "Garbage terminator received." */
			if (cry_memeq(v->window, btc_v2c_recv_garbage_terminator(&v->c),
				      BTC_V2_GARBAGE_TERM_LEN)) {
				msg->kind = BTC_RX_V2_GARBAGE;
				msg->length = v->got - BTC_V2_GARBAGE_TERM_LEN;
				msg->bytes = v->got;
				msg->note = "v2 garbage and terminator";
				v->got = 0;
				v->recv = V2_VERSION;
				*got = true;
				return PS_OK;
			}
			/* "We've reached the maximum length for garbage + garbage
			 * terminator, and the terminator still does not match. Abort." */
			if (v->got == BTC_V2_MAX_GARBAGE + BTC_V2_GARBAGE_TERM_LEN)
				return fatal(v, msg, PS_ERR_PROTOCOL, "missing garbage terminator");
			continue;
		}
		case V2_VERSION:
		case V2_APP:
			if (!v->in_packet) {
				/* "Process the length descriptor first, so that we know
				 * where the current packet ends" */
				take(v->lenbuf, &v->got, BTC_V2_LENGTH_LEN, in, len, &pos);
				*used = pos;
				if (v->got < BTC_V2_LENGTH_LEN)
					continue;
				if ((r = btc_v2c_decrypt_length(&v->c, &v->pkt_len, v->lenbuf)) !=
				    PS_OK)
					return fatal(v, msg, r, "packet length failed");
				/* Core: "if (m_recv_len > MAX_CONTENTS_LEN) ... packet too
				 * large": before a byte of the contents is taken */
				if (v->pkt_len > BTC_V2_MAX_MSG_CONTENTS)
					return fatal(v, msg, PS_ERR_TOO_LARGE, "packet too large");
				v->in_packet = true;
				continue;
			}
			{
				bool done = false, ignore = false;

				r = btc_v2c_decrypt_stream(
					&v->c, &done, &ignore, &n, v->big ? v->big : v->keep,
					v->big ? v->big_len : sizeof(v->keep), in + pos, len - pos);
				v->got += (uint32_t)n;
				pos += n;
				*used = pos;
				/* Core: "V2 transport error: packet decryption failure" */
				if (r != PS_OK)
					return fatal(v, msg, r, "packet decryption failure");
				if (!done)
					continue;
				on_packet(v, msg, ignore);
				*got = true;
				return PS_OK;
			}
		case V2_ENDED:
		default:
			return PS_ERR_INVALID_STATE;
		}
	}
	return PS_OK;
}

/* Core's SetMessageToSend: "Construct contents (encoding message type +
 * payload)": the short id where the table has one, else 0x00 and the
 * 12-byte type. */
static int v2_write(struct btc_transport *t, struct ps_wcur *out,
		    const uint8_t command[BTC_COMMAND_LEN], const uint8_t *payload, size_t len)
{
	struct btc_v2 *v = &t->u.v2;
	/* BIP324: "peers that support receiving that message type should
	 * accept messages using either encoding": long_types uses the other */
	uint8_t id = v->long_types ? 0 : btc_v2_short_id(command);
	size_t type_len = id ? 1 : 1 + BTC_COMMAND_LEN, n;
	uint8_t *p = out->p, *contents;
	int r;

	if (t->ops != &btc_v2_ops || !v->ready || v->send_cut || v->recv == V2_ENDED)
		return PS_ERR_INVALID_STATE;
	if (len > BTC_MAX_PAYLOAD)
		return PS_ERR_INVALID_ARG;
	if (ps_wcur_left(out) < BTC_V2_EXPANSION + type_len ||
	    ps_wcur_left(out) - BTC_V2_EXPANSION - type_len < len)
		return PS_ERR_NOBUF;
	/* the contents where the packet will hold them: encrypted in place */
	contents = p + BTC_V2_LENGTH_LEN + BTC_V2_HEADER_LEN;
	contents[0] = id;
	if (!id)
		memcpy(contents + 1, command, BTC_COMMAND_LEN);
	if (len)
		memmove(contents + type_len, payload, len);
	r = btc_v2c_encrypt(&v->c, p, ps_wcur_left(out), &n, contents, type_len + len, NULL, 0,
			    false);
	if (r != PS_OK)
		return r;
	out->p += n;
	memcpy(v->last_command, command, BTC_COMMAND_LEN);
	v->last_length = (uint32_t)len;
	v->last_size = n;
	return PS_OK;
}

int btc_v2_write_packet(struct btc_transport *t, struct ps_wcur *out, uint8_t header,
			const uint8_t *contents, size_t len)
{
	struct btc_v2 *v = &t->u.v2;
	int r;

	if (t->ops != &btc_v2_ops || !v->ready || v->recv == V2_ENDED)
		return PS_ERR_INVALID_STATE;
	if ((r = put_packet(v, out, header, contents, len, NULL, 0)) != PS_OK)
		return r;
	v->last_size = 0; /* describe() says nothing of it */
	return PS_OK;
}

int btc_v2_write_length(struct btc_transport *t, struct ps_wcur *out, uint32_t len)
{
	struct btc_v2 *v = &t->u.v2;
	uint8_t le[BTC_V2_LENGTH_LEN];
	int r;

	if (t->ops != &btc_v2_ops || !v->ready || v->send_cut || v->recv == V2_ENDED)
		return PS_ERR_INVALID_STATE;
	if (len > BTC_V2_MAX_CONTENTS)
		return PS_ERR_TOO_LARGE;
	if (ps_wcur_left(out) < BTC_V2_LENGTH_LEN)
		return PS_ERR_NOBUF;
	/* BIP324 v2_enc_packet: "enc_contents_len = peer.send_L.encrypt(
	 * len(contents).to_bytes(LENGTH_FIELD_LEN, 'little'))", and no more */
	le[0] = (uint8_t)len;
	le[1] = (uint8_t)(len >> 8);
	le[2] = (uint8_t)(len >> 16);
	if ((r = btc_v2c_fsc20_crypt(&v->c.send_l, out->p, le, sizeof(le))) != PS_OK)
		return r;
	out->p += BTC_V2_LENGTH_LEN;
	v->send_cut = true;
	v->last_size = 0;
	return PS_OK;
}

size_t btc_v2_take_sent(struct btc_transport *t, struct btc_v2_tx *tx, size_t max)
{
	struct btc_v2 *v = &t->u.v2;
	size_t n;

	if (t->ops != &btc_v2_ops && t->ops != &btc_v2_detect_ops)
		return 0;
	n = v->ntx < max ? v->ntx : max;
	if (n)
		memcpy(tx, v->tx, n * sizeof(*tx));
	/* what did not fit stays for the next call */
	memmove(v->tx, v->tx + n, (v->ntx - n) * sizeof(*tx));
	v->ntx = (uint8_t)(v->ntx - n);
	return n;
}

static int v2_describe(const struct btc_transport *t, uint8_t command[BTC_COMMAND_LEN],
		       uint32_t *length, const uint8_t *frame, size_t n)
{
	const struct btc_v2 *v = &t->u.v2;

	(void)frame; /* ciphertext: only what write() remembers can say */
	if (t->ops != &btc_v2_ops || n == 0 || n != v->last_size)
		return PS_ERR_MALFORMED;
	memcpy(command, v->last_command, BTC_COMMAND_LEN);
	*length = v->last_length;
	return PS_OK;
}

/* Core's SendState READY: "Switch sender state to READY" once the key is
 * in and the terminator and version packet are queued. */
static bool v2_ready(const struct btc_transport *t)
{
	const struct btc_v2 *v = &t->u.v2;

	return t->ops == &btc_v2_ops && v->ready && !v->send_cut && v->recv != V2_ENDED;
}

static size_t v2_rx_pending(const struct btc_transport *t)
{
	return t->u.v2.got;
}

const struct btc_transport_ops btc_v2_ops = {
	.name = "v2",
	.read = v2_read,
	.write = v2_write,
	.describe = v2_describe,
	.ready = v2_ready,
	.rx_pending = v2_rx_pending,
	.end = v2_end,
};

const struct btc_transport_ops btc_v2_detect_ops = {
	.name = NULL,
	.read = v2_read,
	.write = v2_write,
	.describe = v2_describe,
	.ready = v2_ready,
	.rx_pending = v2_rx_pending,
	.end = v2_end,
};

/* ---- accessors ---- */

const uint8_t *btc_v2_session_id(const struct btc_transport *t)
{
	const struct btc_v2 *v = &t->u.v2;

	if (t->ops != &btc_v2_ops || !v->version_in)
		return NULL;
	return v->session_id;
}

const char *btc_v2_waiting_for(const struct btc_transport *t)
{
	const struct btc_v2 *v = &t->u.v2;

	if (t->ops != &btc_v2_ops && t->ops != &btc_v2_detect_ops)
		return NULL;
	switch (v->recv) {
	case V2_MAYBE_V1:
		return "maybe_v1";
	case V2_KEY:
		return "key";
	case V2_GARBAGE:
		return "garbage";
	case V2_VERSION:
		return v->in_packet ? "packet" : "length";
	case V2_APP:
		return v->in_packet ? "packet" : v->got ? "length" : "idle";
	case V2_ENDED:
	default:
		return NULL;
	}
}
