/*
 * peer.c - the NNpsk2 exchange over framed TCP, as a state machine:
 *
 *   initiator:  init: -> e + P1 ............. EXPECT_MSG2
 *               <- e, ee, psk + P2; Split; -> c1(T) ... EXPECT_ECHO
 *               <- c2(echo) == T ............. DONE
 *   responder:  ........................... EXPECT_MSG1
 *               -> e + P1; <- e, ee, psk + P2; Split ... EXPECT_TRANSPORT
 *               -> c1(T); <- c2(T) ........... DONE
 */
#include "noise/peer.h"

#include <stdlib.h>
#include <string.h>

#include "noise/frame.h"

static const char nnpsk2[] = "NNpsk2";

static bool pending(const struct noise_peer *p)
{
	return p->state != NOISE_PEER_DONE && p->state != NOISE_PEER_CLOSED;
}

static void push_event(struct noise_peer *p, enum noise_peer_ev_type type, enum noise_peer_msg msg,
		       size_t length, int err)
{
	struct noise_peer_event *e;

	/* An honest exchange makes at most six events; the ring holds eight.
	 * A misbehaving one (--bug replay-msg1, a held no-echo responder) may
	 * make more: the last slot is kept for the one SUCCESS or FAILED. */
	bool final = type == NOISE_PEER_EV_SUCCESS || type == NOISE_PEER_EV_FAILED;
	if (p->ev_count >= NOISE_PEER_EVENTS - (final ? 0 : 1))
		return;
	e = &p->ev[(p->ev_head + p->ev_count++) % NOISE_PEER_EVENTS];
	e->type = type;
	e->msg = msg;
	e->length = length;
	e->err = err;
}

static void release(uint8_t **buf, size_t len)
{
	if (*buf) {
		cry_memzero(*buf, len);
		free(*buf);
	}
	*buf = NULL;
}

static void wipe_keys(struct noise_peer *p)
{
	noise_hs_wipe(&p->hs);
	noise_cs_wipe(&p->send);
	noise_cs_wipe(&p->recv);
}

static int fail(struct noise_peer *p, int err)
{
	if (!pending(p))
		return err;
	p->state = NOISE_PEER_CLOSED;
	p->outcome = NOISE_PEER_FAILED;
	p->err = err;
	wipe_keys(p);
	release(&p->body, p->body_need);
	p->body_need = p->body_len = p->hdr_len = 0;
	release(&p->out, p->out_len);
	p->out_len = p->out_off = 0;
	push_event(p, NOISE_PEER_EV_FAILED, NOISE_PEER_MSG_NONE, 0, err);
	return err;
}

static void succeed(struct noise_peer *p)
{
	p->state = NOISE_PEER_DONE;
	p->outcome = NOISE_PEER_SUCCESS;
	wipe_keys(p);
	push_event(p, NOISE_PEER_EV_SUCCESS, NOISE_PEER_MSG_NONE, 0, PS_OK);
}

/* Append a frame for a msg_len-byte message to the output; *msg is where its
 * body goes. undo_frame takes it back if the body cannot be made. */
PS_MUST_CHECK static int reserve_frame(struct noise_peer *p, size_t msg_len, uint8_t **msg)
{
	size_t queued = p->out_len - p->out_off;
	uint8_t hdr[NOISE_FRAME_HDR], *buf;
	int r;

	if ((r = noise_frame_put_header(hdr, msg_len)) != PS_OK)
		return r;
	buf = malloc(queued + NOISE_FRAME_HDR + msg_len);
	if (!buf)
		return PS_ERR_NOMEM;
	if (queued)
		memcpy(buf, p->out + p->out_off, queued);
	free(p->out);
	memcpy(buf + queued, hdr, NOISE_FRAME_HDR);
	p->out = buf;
	p->out_off = 0;
	p->out_len = queued + NOISE_FRAME_HDR + msg_len;
	*msg = buf + queued + NOISE_FRAME_HDR;
	return PS_OK;
}

static void undo_frame(struct noise_peer *p, size_t msg_len)
{
	p->out_len -= NOISE_FRAME_HDR + msg_len;
}

/* The --bug mutations of the frame just queued: msg_len bytes at the end of
 * the output, after their 2-byte header. Returns PS_OK or PS_ERR_NOMEM. */
PS_MUST_CHECK static int misbehave(struct noise_peer *p, enum noise_peer_msg which, size_t msg_len)
{
	uint64_t b = p->cfg.bugs;
	uint8_t *hdr = p->out + p->out_len - msg_len - NOISE_FRAME_HDR,
		*msg = hdr + NOISE_FRAME_HDR;
	bool first = which == (p->role == NOISE_PEER_INITIATOR ? NOISE_PEER_MSG1 : NOISE_PEER_MSG2);
	bool hs_msg = which == NOISE_PEER_MSG1 || which == NOISE_PEER_MSG2;

	if (msg_len == 0)
		return PS_OK;
	if ((which == NOISE_PEER_MSG1 && (b & NOISE_BUG_FLIP_MSG1)) ||
	    (which == NOISE_PEER_MSG2 && (b & NOISE_BUG_FLIP_MSG2)) ||
	    (!hs_msg && (b & NOISE_BUG_FLIP_TRANSPORT)))
		msg[msg_len - 1] ^= 0x01;
	if ((which == NOISE_PEER_MSG1 && (b & NOISE_BUG_FLIP_MSG1_E)) ||
	    (which == NOISE_PEER_MSG2 && (b & NOISE_BUG_FLIP_MSG2_E)))
		msg[0] ^= 0x01;
	if ((which == NOISE_PEER_MSG1 && (b & NOISE_BUG_TRUNCATE_MSG1)) ||
	    (which == NOISE_PEER_MSG2 && (b & NOISE_BUG_TRUNCATE_MSG2))) {
		msg_len--;
		p->out_len--;
		if (noise_frame_put_header(hdr, msg_len) != PS_OK)
			return PS_ERR_INVALID_STATE;
	}
	if (first && (b & NOISE_BUG_OVERSIZE_PREFIX) &&
	    noise_frame_put_header(hdr, NOISE_MAX_MSG) != PS_OK)
		return PS_ERR_INVALID_STATE;
	if (first && (b & NOISE_BUG_ZERO_FRAME)) {
		/* an empty frame goes before the message: make room for it */
		uint8_t *copy, *where;
		int r;
		if (!(copy = malloc(NOISE_FRAME_HDR + msg_len)))
			return PS_ERR_NOMEM;
		memcpy(copy, hdr, NOISE_FRAME_HDR + msg_len);
		p->out_len -= NOISE_FRAME_HDR + msg_len;
		if ((r = reserve_frame(p, 0, &where)) != PS_OK ||
		    (r = reserve_frame(p, msg_len, &where)) != PS_OK) {
			free(copy);
			return r;
		}
		memcpy(where - NOISE_FRAME_HDR, copy, NOISE_FRAME_HDR + msg_len);
		free(copy);
	}
	if (which == NOISE_PEER_MSG1 && (b & NOISE_BUG_REPLAY_MSG1)) {
		uint8_t *again, *copy;
		int r;
		if (!(copy = malloc(msg_len)))
			return PS_ERR_NOMEM;
		memcpy(copy, p->out + p->out_len - msg_len, msg_len);
		r = reserve_frame(p, msg_len, &again);
		if (r == PS_OK)
			memcpy(again, copy, msg_len);
		free(copy);
		return r;
	}
	return PS_OK;
}

PS_MUST_CHECK static int send_handshake(struct noise_peer *p, enum noise_peer_msg which,
					const uint8_t *payload, size_t payload_len)
{
	size_t len = noise_hs_message_len(&p->hs, payload_len), n;
	uint8_t *msg;
	int r;

	if ((r = reserve_frame(p, len, &msg)) != PS_OK)
		return r;
	if ((r = noise_hs_write_message(&p->hs, msg, len, &n, payload, payload_len)) != PS_OK) {
		undo_frame(p, len);
		return r;
	}
	push_event(p, NOISE_PEER_EV_MSG_SENT, which, n, PS_OK);
	return misbehave(p, which, n);
}

PS_MUST_CHECK static int send_transport(struct noise_peer *p, enum noise_peer_msg which,
					const uint8_t *pt, size_t pt_len)
{
	size_t len = pt_len + NOISE_TAGLEN, n;
	uint8_t *msg;
	int r;

	if ((r = reserve_frame(p, len, &msg)) != PS_OK)
		return r;
	if ((r = noise_cs_encrypt_with_ad(&p->send, msg, len, &n, NULL, 0, pt, pt_len)) != PS_OK) {
		undo_frame(p, len);
		return r;
	}
	push_event(p, NOISE_PEER_EV_MSG_SENT, which, n, PS_OK);
	return misbehave(p, which, n);
}

/* Split(): c1 carries initiator -> responder, c2 the other way. */
PS_MUST_CHECK static int split_now(struct noise_peer *p)
{
	struct noise_cs c1, c2;
	const uint8_t *h;
	int r;

	if ((r = noise_hs_split(&p->hs, &c1, &c2)) != PS_OK)
		return r;
	p->send = p->role == NOISE_PEER_INITIATOR ? c1 : c2;
	p->recv = p->role == NOISE_PEER_INITIATOR ? c2 : c1;
	cry_memzero(&c1, sizeof(c1));
	cry_memzero(&c2, sizeof(c2));
	h = noise_hs_handshake_hash(&p->hs, &p->hash_len);
	memcpy(p->hash, h, p->hash_len);
	push_event(p, NOISE_PEER_EV_HANDSHAKE_DONE, NOISE_PEER_MSG_NONE, 0, PS_OK);
	return PS_OK;
}

/* Read a handshake message; its payload is kept for noise_peer_payload. */
PS_MUST_CHECK static int read_handshake(struct noise_peer *p, enum noise_peer_msg which,
					const uint8_t *msg, size_t len)
{
	size_t cap = len - noise_hs_message_len(&p->hs, 0), got;
	uint8_t *payload = malloc(cap ? cap : 1);
	int r;

	if (!payload)
		return PS_ERR_NOMEM;
	if ((r = noise_hs_read_message(&p->hs, payload, cap, &got, msg, len)) != PS_OK) {
		free(payload);
		return r;
	}
	p->payload = payload;
	p->payload_len = got;
	push_event(p, NOISE_PEER_EV_MSG_RECV, which, len, PS_OK);
	return PS_OK;
}

/* Decrypt a transport message in place; the buffer is kept for
 * noise_peer_transport (*msg is taken). */
PS_MUST_CHECK static int read_transport(struct noise_peer *p, enum noise_peer_msg which,
					uint8_t **msg, size_t len)
{
	size_t got;
	int r;

	if ((r = noise_cs_decrypt_with_ad(&p->recv, *msg, len, &got, NULL, 0, *msg, len)) != PS_OK)
		return r;
	/* a peer held by --bug no-echo may take a second transport message */
	release(&p->got_transport, p->got_transport_len);
	p->got_transport = *msg;
	p->got_transport_len = got;
	*msg = NULL;
	push_event(p, NOISE_PEER_EV_MSG_RECV, which, len, PS_OK);
	return PS_OK;
}

PS_MUST_CHECK static int on_message(struct noise_peer *p, uint8_t **msg, size_t len)
{
	const struct noise_peer_config *c = &p->cfg;
	int r;

	switch (p->state) {
	case NOISE_PEER_EXPECT_MSG1:
		/* -> e + P1 */
		if ((r = read_handshake(p, NOISE_PEER_MSG1, *msg, len)) != PS_OK)
			return r;
		/* <- e, ee, psk + P2 */
		if ((r = send_handshake(p, NOISE_PEER_MSG2, c->payload2, c->payload2_len)) != PS_OK)
			return r;
		if ((r = split_now(p)) != PS_OK)
			return r;
		p->state = NOISE_PEER_EXPECT_TRANSPORT;
		return PS_OK;
	case NOISE_PEER_EXPECT_MSG2:
		/* <- e, ee, psk + P2 */
		if ((r = read_handshake(p, NOISE_PEER_MSG2, *msg, len)) != PS_OK)
			return r;
		if ((r = split_now(p)) != PS_OK)
			return r;
		/* -> c1(T) */
		if ((r = send_transport(p, NOISE_PEER_TRANSPORT, c->transport, c->transport_len)) !=
		    PS_OK)
			return r;
		p->state = NOISE_PEER_EXPECT_ECHO;
		return PS_OK;
	case NOISE_PEER_EXPECT_TRANSPORT:
		/* -> c1(T), then <- c2(T) */
		if ((r = read_transport(p, NOISE_PEER_TRANSPORT, msg, len)) != PS_OK)
			return r;
		if (c->bugs & NOISE_BUG_NO_ECHO)
			return PS_OK; /* hold the connection, say nothing: our deadline ends it */
		if (c->bugs & NOISE_BUG_ALTER_ECHO) {
			/* a valid transport message, but not the plaintext received */
			static const uint8_t other[] = "not what you sent";
			r = send_transport(p, NOISE_PEER_ECHO, other, sizeof(other) - 1);
		} else {
			r = send_transport(p, NOISE_PEER_ECHO, p->got_transport,
					   p->got_transport_len);
		}
		if (r != PS_OK)
			return r;
		succeed(p);
		return PS_OK;
	case NOISE_PEER_EXPECT_ECHO:
		/* <- c2(T): authenticated first, then compared */
		if ((r = read_transport(p, NOISE_PEER_ECHO, msg, len)) != PS_OK)
			return r;
		if (p->got_transport_len != c->transport_len ||
		    !cry_memeq(p->got_transport, c->transport, c->transport_len))
			return PS_ERR_ECHO_MISMATCH;
		succeed(p);
		return PS_OK;
	default:
		return PS_ERR_INVALID_STATE;
	}
}

/* The smallest message the state can accept: its fixed part. */
static size_t min_message_len(const struct noise_peer *p)
{
	switch (p->state) {
	case NOISE_PEER_EXPECT_MSG1:
	case NOISE_PEER_EXPECT_MSG2:
		return noise_hs_message_len(&p->hs, 0);
	case NOISE_PEER_EXPECT_TRANSPORT:
	case NOISE_PEER_EXPECT_ECHO:
		return NOISE_TAGLEN;
	default:
		return 0;
	}
}

/* The 2-byte header is in: check the declared length, make room for it. */
PS_MUST_CHECK static int start_body(struct noise_peer *p)
{
	size_t n = noise_frame_declared_len(p->hdr);

	/* A message shorter than its fixed part (keys and tags) can never
	 * verify: refused before a byte of it is buffered. */
	if (n < min_message_len(p))
		return PS_ERR_BAD_SIZE;
	p->body = malloc(n ? n : 1);
	if (!p->body)
		return PS_ERR_NOMEM;
	p->body_need = n;
	p->body_len = 0;
	return PS_OK;
}

/* The body is complete: hand it to the state, then forget it. */
PS_MUST_CHECK static int end_body(struct noise_peer *p)
{
	uint8_t *msg = p->body;
	size_t len = p->body_need;
	int r;

	p->body = NULL;
	p->body_need = p->body_len = p->hdr_len = 0;
	r = on_message(p, &msg, len);
	release(&msg, len);
	return r;
}

int noise_peer_input(struct noise_peer *p, uint64_t now_ns, const uint8_t *data, size_t len)
{
	size_t off = 0;
	int r;

	if (!pending(p))
		return PS_OK;
	if (now_ns >= p->deadline_ns)
		return fail(p, PS_ERR_TIMEOUT);
	while (off < len && pending(p)) {
		if (p->hdr_len < NOISE_FRAME_HDR) {
			p->hdr[p->hdr_len++] = data[off++];
			if (p->hdr_len < NOISE_FRAME_HDR)
				continue;
			if ((r = start_body(p)) != PS_OK)
				return fail(p, r);
		} else {
			size_t take = p->body_need - p->body_len;

			if (take > len - off)
				take = len - off;
			memcpy(p->body + p->body_len, data + off, take);
			p->body_len += take;
			off += take;
		}
		if (p->body_len == p->body_need && (r = end_body(p)) != PS_OK)
			return fail(p, r);
	}
	return PS_OK;
}

/* Section 8: the name as given, "Noise_" added when it was left off. */
PS_MUST_CHECK static int protocol_of(struct noise_protocol *proto, const char *given)
{
	char name[NOISE_MAX_NAME + 1];
	const char *section;
	size_t len;
	int r;

	if (!given)
		given = NOISE_PEER_DEFAULT_PROTOCOL;
	len = strlen(given);
	if (strncmp(given, "Noise_", 6) == 0) {
		if (len > NOISE_MAX_NAME)
			return PS_ERR_TOO_LARGE;
		memcpy(name, given, len + 1);
	} else {
		if (len > NOISE_MAX_NAME - 6)
			return PS_ERR_TOO_LARGE;
		memcpy(name, "Noise_", 6);
		memcpy(name + 6, given, len + 1);
		len += 6;
	}
	if ((r = noise_protocol_parse(proto, name, len)) != PS_OK)
		return r;
	section = name + 6;
	if (strncmp(section, nnpsk2, sizeof(nnpsk2) - 1) != 0 || section[sizeof(nnpsk2) - 1] != '_')
		return PS_ERR_UNSUPPORTED;
	return PS_OK;
}

int noise_peer_init(struct noise_peer *p, enum noise_peer_role role,
		    const struct noise_peer_config *cfg, uint64_t now_ns)
{
	struct noise_hs_config hc = { 0 };
	int r = PS_ERR_INVALID_ARG;

	memset(p, 0, sizeof(*p));
	if ((role != NOISE_PEER_INITIATOR && role != NOISE_PEER_RESPONDER) || !cfg->rng ||
	    (cfg->prologue_len && !cfg->prologue) || (cfg->payload1_len && !cfg->payload1) ||
	    (cfg->payload2_len && !cfg->payload2) || (cfg->transport_len && !cfg->transport))
		goto fail;
	if ((r = protocol_of(&p->proto, cfg->protocol)) != PS_OK)
		goto fail;

	p->role = role;
	p->cfg = *cfg;
	cry_memzero(p->cfg.psk, sizeof(p->cfg.psk));
	p->cfg.protocol = p->proto.name;
	p->deadline_ns = UINT64_MAX;
	if (cfg->timeout_ns && now_ns < UINT64_MAX - cfg->timeout_ns)
		p->deadline_ns = now_ns + cfg->timeout_ns;

	hc.protocol = &p->proto;
	hc.initiator = role == NOISE_PEER_INITIATOR;
	hc.prologue = cfg->prologue;
	hc.prologue_len = cfg->prologue_len;
	hc.psks = &cfg->psk;
	hc.n_psks = 1;
	hc.rng = cfg->rng;
	hc.rng_ctx = cfg->rng_ctx;
	if ((r = noise_hs_init(&p->hs, &hc)) != PS_OK)
		goto fail;
	p->hs.zero_e = (cfg->bugs & NOISE_BUG_LOW_ORDER_E) != 0;

	/* Every message within 65535 bytes, checked before anything is sent. */
	r = PS_ERR_TOO_LARGE;
	if (role == NOISE_PEER_INITIATOR &&
	    (cfg->payload1_len > NOISE_MAX_MSG - noise_hs_message_len(&p->hs, 0) ||
	     cfg->transport_len > NOISE_MAX_MSG - NOISE_TAGLEN))
		goto fail;
	/* msg2 has the same fixed part as msg1: e and a tag. */
	if (role == NOISE_PEER_RESPONDER &&
	    cfg->payload2_len > NOISE_MAX_MSG - noise_hs_message_len(&p->hs, 0))
		goto fail;

	if (role == NOISE_PEER_RESPONDER) {
		p->state = NOISE_PEER_EXPECT_MSG1;
		return PS_OK;
	}
	/* -> e + P1 */
	if ((r = send_handshake(p, NOISE_PEER_MSG1, cfg->payload1, cfg->payload1_len)) != PS_OK)
		goto fail;
	p->state = NOISE_PEER_EXPECT_MSG2;
	return PS_OK;
fail:
	noise_peer_free(p);
	return r;
}

bool noise_peer_next_event(struct noise_peer *p, struct noise_peer_event *ev)
{
	if (!p->ev_count)
		return false;
	*ev = p->ev[p->ev_head];
	p->ev_head = (p->ev_head + 1) % NOISE_PEER_EVENTS;
	p->ev_count--;
	return true;
}

size_t noise_peer_output(const struct noise_peer *p, const uint8_t **data)
{
	*data = p->out ? p->out + p->out_off : NULL;
	if (p->cfg.bugs & NOISE_BUG_SILENT)
		return 0; /* --bug silent: made, never sent */
	return p->out_len - p->out_off;
}

void noise_peer_consume(struct noise_peer *p, size_t n)
{
	if (n > p->out_len - p->out_off)
		n = p->out_len - p->out_off;
	p->out_off += n;
	if (p->out_off == p->out_len) {
		free(p->out);
		p->out = NULL;
		p->out_off = p->out_len = 0;
	}
}

uint64_t noise_peer_expiry(const struct noise_peer *p)
{
	return pending(p) ? p->deadline_ns : UINT64_MAX;
}

void noise_peer_handle_expiry(struct noise_peer *p, uint64_t now_ns)
{
	if (pending(p) && now_ns >= p->deadline_ns)
		(void)fail(p, PS_ERR_TIMEOUT);
}

void noise_peer_close(struct noise_peer *p, int reason)
{
	(void)fail(p, reason);
}

enum noise_peer_outcome noise_peer_outcome(const struct noise_peer *p)
{
	return p->outcome;
}

int noise_peer_error(const struct noise_peer *p)
{
	return p->err;
}

const char *noise_peer_outcome_name(enum noise_peer_outcome o)
{
	switch (o) {
	case NOISE_PEER_SUCCESS:
		return "SUCCESS";
	case NOISE_PEER_FAILED:
		return "FAILED";
	case NOISE_PEER_PENDING:
	default:
		return "PENDING";
	}
}

const uint8_t *noise_peer_handshake_hash(const struct noise_peer *p, size_t *len)
{
	*len = p->hash_len;
	return p->hash_len ? p->hash : NULL;
}

const uint8_t *noise_peer_payload(const struct noise_peer *p, size_t *len)
{
	*len = p->payload_len;
	return p->payload;
}

const uint8_t *noise_peer_transport(const struct noise_peer *p, size_t *len)
{
	*len = p->got_transport_len;
	return p->got_transport;
}

void noise_peer_free(struct noise_peer *p)
{
	wipe_keys(p);
	release(&p->body, p->body_need);
	release(&p->payload, p->payload_len);
	release(&p->got_transport, p->got_transport_len);
	release(&p->out, p->out_len);
	cry_memzero(p, sizeof(*p));
}
