/*
 * peer.c - the NNpsk2 exchange over framed TCP, as a state machine:
 *
 *   initiator:  init: -> e + P1 ............. EXPECT_MSG2
 *               <- e, ee, psk + P2; Split; -> c1(T_1) ... EXPECT_ECHO
 *               <- c2(echo k) == T_k; -> c1(T_k+1) ....... EXPECT_ECHO
 *               <- c2(echo N) == T_N ......... DONE
 *   responder:  ........................... EXPECT_MSG1
 *               -> e + P1; <- e, ee, psk + P2; Split ... EXPECT_TRANSPORT
 *               -> c1(T_k); <- c2(T_k) ....... EXPECT_TRANSPORT (k < N)
 *               -> c1(T_N); <- c2(T_N) ....... DONE
 *                         (--bug no-echo: HOLD, until close or deadline)
 *   In EXPECT_TRANSPORT, EXPECT_ECHO and HOLD, a message whose tag does not
 *   verify is discarded under continue_on_decrypt_failure; the state stays.
 *
 * Framing is noise/frame.c's reader; what a --bug changes in what we send
 * is noise/misbehave.c's. This file builds what an honest peer sends.
 */
#include "noise/peer.h"

#include <string.h>

#include "core/cursor.h"
#include "noise/frame.h"
#include "noise/misbehave.h"

/* every request to the lender stays within what noise/mem.h promises it */
_Static_assert(NOISE_PEER_OUT_MAX <= NOISE_MEM_MAX, "the queue's block is the largest request");
_Static_assert(NOISE_MAX_MSG <= NOISE_MEM_BLOCK, "a frame fits one block");

static const char nnpsk2[] = "NNpsk2";
static const char held_note[] = "after the transport message, echo withheld";

static bool pending(const struct noise_peer *p)
{
	return p->state != NOISE_PEER_DONE && p->state != NOISE_PEER_CLOSED;
}

static void push_event(struct noise_peer *p, enum noise_peer_ev_type type, enum noise_peer_msg msg,
		       uint32_t index, size_t length, size_t bytes, int err)
{
	struct noise_peer_event *e;

	/* One input makes at most three events in an honest exchange (a
	 * message taken, the answer queued, the end; the handshake four); the
	 * ring holds eight, and the caller drains it after each input. A
	 * misbehaving exchange (--bug replay-msg1, a held no-echo responder,
	 * a peer sending many messages at once) may make more: the last slot
	 * is kept for the one SUCCESS or FAILED. */
	bool final = type == NOISE_PEER_EV_SUCCESS || type == NOISE_PEER_EV_FAILED;
	if (p->ev_count >= NOISE_PEER_EVENTS - (final ? 0 : 1)) {
		p->ev_lost++;
		return;
	}
	e = &p->ev[(p->ev_head + p->ev_count++) % NOISE_PEER_EVENTS];
	e->type = type;
	e->msg = msg;
	e->index = index;
	e->length = length;
	e->bytes = bytes;
	e->err = err;
}

/* The message the state reads next (HOLD: more transport messages). */
static enum noise_peer_msg expected(const struct noise_peer *p)
{
	switch (p->state) {
	case NOISE_PEER_EXPECT_MSG1:
		return NOISE_PEER_MSG1;
	case NOISE_PEER_EXPECT_MSG2:
		return NOISE_PEER_MSG2;
	case NOISE_PEER_EXPECT_TRANSPORT:
	case NOISE_PEER_HOLD:
		return NOISE_PEER_TRANSPORT;
	case NOISE_PEER_EXPECT_ECHO:
		return NOISE_PEER_ECHO;
	default:
		return NOISE_PEER_MSG_NONE;
	}
}

static const char *msg_words(enum noise_peer_msg m)
{
	switch (m) {
	case NOISE_PEER_MSG1:
		return "message 1";
	case NOISE_PEER_MSG2:
		return "message 2";
	case NOISE_PEER_TRANSPORT:
		return "the transport message";
	case NOISE_PEER_ECHO:
		return "the echo";
	default:
		return NULL;
	}
}

/* The place of the message the state reads next (0: a handshake message). */
static uint32_t expected_index(const struct noise_peer *p)
{
	switch (p->state) {
	case NOISE_PEER_EXPECT_TRANSPORT:
	case NOISE_PEER_HOLD:
	case NOISE_PEER_EXPECT_ECHO:
		return p->n_recv + 1;
	default:
		return 0;
	}
}

static void wipe_keys(struct noise_peer *p)
{
	noise_hs_wipe(&p->hs);
	noise_cs_wipe(&p->send);
	noise_cs_wipe(&p->recv);
}

/* End the exchange with err. on_frame: a frame being read failed (its size,
 * its tag, a check after it), so the failure is about the message the
 * state reads; else the deadline or the close came while it waited. The
 * state does not move until a message is fully handled, so it still names
 * the message a failure is about. */
static int fail(struct noise_peer *p, int err, bool on_frame)
{
	if (!pending(p))
		return err;
	if (p->state == NOISE_PEER_HOLD && !on_frame) {
		p->note = held_note;
		p->failed_msg = NOISE_PEER_MSG_NONE;
		p->failed_index = 0;
	} else {
		p->note = msg_words(expected(p));
		p->failed_msg = expected(p);
		p->failed_index = expected_index(p);
	}
	p->state = NOISE_PEER_CLOSED;
	p->outcome = PS_FAILED;
	p->err = err;
	wipe_keys(p);
	noise_frame_reader_wipe(&p->rx);
	/* What is queued was reported sent (MSG_SENT) and holds no secret:
	 * it still goes out, as it would have had the caller written it
	 * before this input came; nothing more is queued. */
	push_event(p, NOISE_PEER_EV_FAILED, NOISE_PEER_MSG_NONE, 0, 0, 0, err);
	return err;
}

static void succeed(struct noise_peer *p)
{
	p->state = NOISE_PEER_DONE;
	p->outcome = PS_SUCCESS;
	wipe_keys(p);
	push_event(p, NOISE_PEER_EV_SUCCESS, NOISE_PEER_MSG_NONE, 0, 0, 0, PS_OK);
}

int noise_peer_queue_reserve(struct noise_peer_queue *q, size_t need)
{
	if (need > NOISE_PEER_OUT_MAX)
		return PS_ERR_NOBUF;
	/* exactly what is asked for: the lender's budget counts it */
	return noise_buf_reserve(&q->buf, need, need, q->len);
}

/* Where the body of a msg_len-byte message goes: after a 2-byte prefix at
 * the end of the queue. Nothing is queued until send_frame. */
PS_MUST_CHECK static int frame_room(struct noise_peer *p, size_t msg_len, uint8_t **msg)
{
	struct noise_peer_queue *q = &p->out;
	int r;

	if (NOISE_PEER_OUT_MAX - q->len < NOISE_FRAME_HDR ||
	    NOISE_PEER_OUT_MAX - q->len - NOISE_FRAME_HDR < msg_len)
		return PS_ERR_NOBUF;
	if ((r = noise_peer_queue_reserve(q, q->len + NOISE_FRAME_HDR + msg_len)) != PS_OK)
		return r;
	*msg = q->buf.p + q->len + NOISE_FRAME_HDR;
	return PS_OK;
}

/* Queue the msg_len-byte message `which` (the index-th of its kind, 0 for
 * a handshake message) that frame_room placed, let the --bug switches
 * rewrite it, and report every frame now queued in its place as it is
 * there. */
PS_MUST_CHECK static int send_frame(struct noise_peer *p, enum noise_peer_msg which, uint32_t index,
				    size_t msg_len)
{
	struct noise_peer_queue *q = &p->out;
	struct noise_misbehave_out frames[NOISE_MISBEHAVE_MAX_FRAMES];
	size_t start = q->len, n = 1;
	int r;

	if ((r = noise_frame_put_header(q->buf.p + start, msg_len)) != PS_OK)
		return r;
	q->len += NOISE_FRAME_HDR + msg_len;
	noise_buf_wrote(&q->buf, q->len);
	frames[0] = (struct noise_misbehave_out){ which, start, NOISE_FRAME_HDR + msg_len };
	if (p->cfg.bugs && (r = noise_misbehave_frame(frames, &n, q, start, p->cfg.bugs, p->role,
						      which, index)) != PS_OK)
		return r;
	noise_buf_wrote(&q->buf, q->len);
	for (size_t i = 0; i < n; i++)
		push_event(p, NOISE_PEER_EV_MSG_SENT, frames[i].msg, index,
			   noise_frame_declared_len(q->buf.p + frames[i].off), frames[i].bytes,
			   PS_OK);
	return PS_OK;
}

PS_MUST_CHECK static int send_handshake(struct noise_peer *p, enum noise_peer_msg which,
					const uint8_t *payload, size_t payload_len)
{
	size_t len = noise_hs_message_len(&p->hs, payload_len), n;
	uint8_t *msg;
	int r;

	if ((r = frame_room(p, len, &msg)) != PS_OK)
		return r;
	if ((r = noise_hs_write_message(&p->hs, msg, len, &n, payload, payload_len)) != PS_OK)
		return r;
	return send_frame(p, which, 0, n);
}

/* T_k (k = 1 .. N) into out: T, then for N > 1 k as 2 bytes big-endian.
 * Returns its length. */
static size_t transport_plaintext(const struct noise_peer *p, uint32_t k, uint8_t *out)
{
	size_t n = p->cfg.transport_len;

	if (n)
		memcpy(out, p->cfg.transport, n);
	if (p->n_messages > 1) {
		ps_store_u16be(out + n, (uint16_t)k);
		n += 2;
	}
	return n;
}

static size_t transport_plaintext_len(const struct noise_peer *p)
{
	return p->cfg.transport_len + (p->n_messages > 1 ? 2 : 0);
}

/* Queue the next transport message (initiator: T_k) or echo (responder:
 * the plaintext just taken), k = n_sent + 1. The plaintext is built where
 * its ciphertext goes, in the queue, and encrypted in place. */
PS_MUST_CHECK static int send_transport(struct noise_peer *p, enum noise_peer_msg which)
{
	uint32_t k = p->n_sent + 1;
	size_t pt_len, cap, n;
	uint8_t *msg;
	int r;

	pt_len = which == NOISE_PEER_TRANSPORT ? transport_plaintext_len(p) : p->transport_len;
	cap = pt_len;
	if (which == NOISE_PEER_ECHO && p->cfg.bugs) /* room for what a switch makes of it */
		cap = NOISE_PEER_MAX_TRANSPORT - pt_len < NOISE_MISBEHAVE_ECHO_EXTRA
			      ? NOISE_PEER_MAX_TRANSPORT
			      : pt_len + NOISE_MISBEHAVE_ECHO_EXTRA;
	if ((r = frame_room(p, cap + NOISE_TAGLEN, &msg)) != PS_OK)
		return r;
	if (which == NOISE_PEER_TRANSPORT)
		(void)transport_plaintext(p, k, msg);
	else if (pt_len)
		memcpy(msg, p->transport.p, pt_len);
	if (which == NOISE_PEER_ECHO && p->cfg.bugs &&
	    (r = noise_misbehave_echo(msg, cap, &pt_len, p->cfg.bugs)) != PS_OK)
		return r;
	/* --bug transport-nonce-skip: this one under the nonce after its own */
	if (p->cfg.bugs && noise_misbehave_skips_nonce(p->cfg.bugs, k == p->n_messages))
		noise_cs_set_nonce(&p->send, p->send.n + 1);
	if ((r = noise_cs_encrypt_with_ad(&p->send, msg, pt_len + NOISE_TAGLEN, &n, NULL, 0, msg,
					  pt_len)) != PS_OK)
		return r;
	p->n_sent = k;
	return send_frame(p, which, k, n);
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
	push_event(p, NOISE_PEER_EV_HANDSHAKE_DONE, NOISE_PEER_MSG_NONE, 0, 0, 0, PS_OK);
	return PS_OK;
}

/* Read a handshake message; its payload is kept for noise_peer_payload. */
PS_MUST_CHECK static int read_handshake(struct noise_peer *p, enum noise_peer_msg which,
					const uint8_t *msg, size_t len)
{
	size_t got, fixed = noise_hs_message_len(&p->hs, 0);
	int r;

	/* the reader refused anything shorter than the fixed part */
	if (len > fixed &&
	    (r = noise_buf_reserve(&p->payload, len - fixed, len - fixed, 0)) != PS_OK)
		return r;
	if ((r = noise_hs_read_message(&p->hs, p->payload.p, p->payload.cap, &got, msg, len)) !=
	    PS_OK) {
		/* nothing kept: whatever was written is wiped, the room goes back */
		noise_buf_wrote(&p->payload, p->payload.cap);
		noise_buf_release(&p->payload);
		return r;
	}
	noise_buf_wrote(&p->payload, got);
	p->has_payload = true;
	p->payload_len = got;
	push_event(p, NOISE_PEER_EV_MSG_RECV, which, 0, len, NOISE_FRAME_HDR + len, PS_OK);
	return PS_OK;
}

/* Decrypt a transport message or echo in place (it is in the reader's
 * buffer), then keep its plaintext for noise_peer_transport; *taken says
 * so; the caller counts it (n_recv) once it is done with it, so that a
 * failure on it is about it. A failed one leaves what was kept before (a
 * held responder may read several). Under continue_on_decrypt_failure a tag that does not verify
 * is not the end: the message is discarded, *taken false, PS_OK. */
PS_MUST_CHECK static int read_transport(struct noise_peer *p, enum noise_peer_msg which,
					uint8_t *msg, size_t len, bool *taken)
{
	uint32_t k = p->n_recv + 1;
	size_t got;
	int r;

	*taken = false;
	r = noise_cs_decrypt_with_ad(&p->recv, msg, len, &got, NULL, 0, msg, len);
	/* Section 5: "If DecryptWithAd() signals an error due to DECRYPT()
	 * failure, then the input message is discarded. The application may
	 * choose to delete the CipherState and terminate the session on such
	 * an error, or may continue to attempt communications." Section 5.1:
	 * "If an authentication failure occurs in DECRYPT() then n is not
	 * incremented": the next message is tried under the same nonce. */
	if (r == PS_ERR_DECRYPT && p->cfg.continue_on_decrypt_failure) {
		p->n_dropped++;
		push_event(p, NOISE_PEER_EV_MSG_DROPPED, which, k, len, NOISE_FRAME_HDR + len, r);
		return PS_OK;
	}
	if (r != PS_OK)
		return r;
	/* a plaintext that verified: the peer holds the PSK (see
	 * noise_peer_authenticated) */
	p->authenticated = true;
	if ((r = noise_buf_reserve(&p->transport, got, got, 0)) != PS_OK)
		return r;
	if (got)
		memcpy(p->transport.p, msg, got);
	noise_buf_wrote(&p->transport, got);
	p->has_transport = true;
	p->transport_len = got;
	*taken = true;
	push_event(p, NOISE_PEER_EV_MSG_RECV, which, k, len, NOISE_FRAME_HDR + len, PS_OK);
	return PS_OK;
}

/* The echo just taken is T_k: length and bytes. */
static bool echo_is_expected(const struct noise_peer *p, uint32_t k)
{
	size_t tl = p->cfg.transport_len;
	uint8_t ctr[2];

	if (p->transport_len != transport_plaintext_len(p))
		return false;
	if (tl && !cry_memeq(p->transport.p, p->cfg.transport, tl))
		return false;
	if (p->n_messages == 1)
		return true;
	ps_store_u16be(ctr, (uint16_t)k);
	return cry_memeq(p->transport.p + tl, ctr, sizeof(ctr));
}

PS_MUST_CHECK static int on_message(struct noise_peer *p, uint8_t *msg, size_t len)
{
	const struct noise_peer_kept *c = &p->cfg;
	bool taken;
	int r;

	switch (p->state) {
	case NOISE_PEER_EXPECT_MSG1:
		/* -> e + P1 */
		if ((r = read_handshake(p, NOISE_PEER_MSG1, msg, len)) != PS_OK)
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
		if ((r = read_handshake(p, NOISE_PEER_MSG2, msg, len)) != PS_OK)
			return r;
		/* psk2: msg2 verified under the PSK */
		p->authenticated = true;
		if ((r = split_now(p)) != PS_OK)
			return r;
		/* -> c1(T_1) */
		if ((r = send_transport(p, NOISE_PEER_TRANSPORT)) != PS_OK)
			return r;
		p->state = NOISE_PEER_EXPECT_ECHO;
		return PS_OK;
	case NOISE_PEER_EXPECT_TRANSPORT:
		/* -> c1(T_k), then <- c2(T_k) */
		if ((r = read_transport(p, NOISE_PEER_TRANSPORT, msg, len, &taken)) != PS_OK ||
		    !taken)
			return r;
		if (c->bugs && !noise_misbehave_echoes(c->bugs)) {
			p->n_recv++;
			p->state = NOISE_PEER_HOLD;
			return PS_OK;
		}
		if ((r = send_transport(p, NOISE_PEER_ECHO)) != PS_OK)
			return r;
		if (++p->n_recv == p->n_messages)
			succeed(p);
		return PS_OK;
	case NOISE_PEER_HOLD:
		/* more of c1: read, answered by nothing */
		if ((r = read_transport(p, NOISE_PEER_TRANSPORT, msg, len, &taken)) == PS_OK &&
		    taken)
			p->n_recv++;
		return r;
	case NOISE_PEER_EXPECT_ECHO:
		/* <- c2(T_k): authenticated first, then compared */
		if ((r = read_transport(p, NOISE_PEER_ECHO, msg, len, &taken)) != PS_OK || !taken)
			return r;
		if (!echo_is_expected(p, p->n_recv + 1))
			return PS_ERR_ECHO_MISMATCH;
		if (++p->n_recv == p->n_messages) {
			succeed(p);
			return PS_OK;
		}
		/* -> c1(T_k+1) */
		return send_transport(p, NOISE_PEER_TRANSPORT);
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
	case NOISE_PEER_HOLD:
	case NOISE_PEER_EXPECT_ECHO:
		return NOISE_TAGLEN;
	default:
		return 0;
	}
}

int noise_peer_input(struct noise_peer *p, uint64_t now_ns, const uint8_t *data, size_t len)
{
	size_t off = 0;
	int r;

	if (!pending(p))
		return PS_OK;
	if (now_ns >= p->deadline_ns)
		return fail(p, PS_ERR_TIMEOUT, false);
	while (off < len && pending(p)) {
		uint8_t *msg;
		size_t msg_len, used;

		/* A message shorter than its fixed part (keys and tags) can never
		 * verify: the reader refuses it before a byte of it is buffered. */
		r = noise_frame_read(&p->rx, &msg, &msg_len, &used, data + off, len - off,
				     min_message_len(p));
		off += used;
		if (r == PS_ERR_NEED_MORE)
			break;
		if (r == PS_OK) {
			r = on_message(p, msg, msg_len);
			/* done with it: its block goes back now, not with the
			 * next byte, which may never come */
			noise_frame_reader_release(&p->rx);
		}
		if (r != PS_OK)
			return fail(p, r, true);
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
	struct noise_protocol proto; /* read by noise_hs_init only */
	uint8_t e[NOISE_DHLEN];
	int r = PS_ERR_INVALID_ARG;

	memset(p, 0, sizeof(*p));
	noise_frame_reader_init(&p->rx, cfg->mem);
	noise_buf_init(&p->out.buf, p->out.small, sizeof(p->out.small), cfg->mem);
	noise_buf_init(&p->payload, p->payload_small, sizeof(p->payload_small), cfg->mem);
	noise_buf_init(&p->transport, p->transport_small, sizeof(p->transport_small), cfg->mem);
	if ((role != NOISE_PEER_INITIATOR && role != NOISE_PEER_RESPONDER) || !cfg->rng ||
	    cfg->messages > NOISE_PEER_MAX_MESSAGES || (cfg->prologue_len && !cfg->prologue) ||
	    (cfg->payload1_len && !cfg->payload1) || (cfg->payload2_len && !cfg->payload2) ||
	    (cfg->transport_len && !cfg->transport))
		goto fail;
	if ((r = protocol_of(&proto, cfg->protocol)) != PS_OK)
		goto fail;

	p->role = role;
	p->cfg.payload2 = cfg->payload2;
	p->cfg.payload2_len = cfg->payload2_len;
	p->cfg.transport = cfg->transport;
	p->cfg.transport_len = cfg->transport_len;
	p->cfg.bugs = cfg->bugs;
	p->cfg.continue_on_decrypt_failure = cfg->continue_on_decrypt_failure;
	p->n_messages = cfg->messages ? cfg->messages : 1;
	p->deadline_ns = UINT64_MAX;
	if (cfg->timeout_ns && now_ns < UINT64_MAX - cfg->timeout_ns)
		p->deadline_ns = now_ns + cfg->timeout_ns;

	hc.protocol = &proto;
	hc.initiator = role == NOISE_PEER_INITIATOR;
	hc.prologue = cfg->prologue;
	hc.prologue_len = cfg->prologue_len;
	hc.psks = &cfg->psk;
	hc.n_psks = 1;
	hc.rng = cfg->rng;
	hc.rng_ctx = cfg->rng_ctx;
	/* --bug low-order-e: the HandshakeState's test seam, a public key that
	 * is not our e's. It wants the private key given, so it is drawn here
	 * (the only draw of the exchange: the same bytes as in e's token). */
	if ((hc.e_pub = noise_misbehave_e_pub(cfg->bugs)) != NULL) {
		cfg->rng(cfg->rng_ctx, e, sizeof(e));
		hc.e = e;
	}
	r = noise_hs_init(&p->hs, &hc);
	cry_memzero(e, sizeof(e));
	if (r != PS_OK)
		goto fail;

	/* Section 3: "All Noise messages are less than or equal to 65535 bytes
	 * in length": every message we make is checked before anything is
	 * sent. A transport message is T_k and its 16-byte tag (section 4.2:
	 * "the same size as the plaintext plus 16 bytes"), T_k being T and,
	 * for N > 1, its 2-byte counter. */
	r = PS_ERR_TOO_LARGE;
	if (role == NOISE_PEER_INITIATOR &&
	    (cfg->payload1_len > NOISE_MAX_MSG - noise_hs_message_len(&p->hs, 0) ||
	     cfg->transport_len > NOISE_PEER_MAX_TRANSPORT - (p->n_messages > 1 ? 2 : 0)))
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
	/* a peer never set up (or freed) has nothing, and no buffer */
	*data = p->out.buf.p ? p->out.buf.p + p->out.off : p->out.small;
	return p->out.len - p->out.off;
}

void noise_peer_consume(struct noise_peer *p, size_t n)
{
	struct noise_peer_queue *q = &p->out;

	if (n > q->len - q->off)
		n = q->len - q->off;
	q->off += n;
	if (q->off == q->len) {
		/* drained: the next frame starts at the front, and a block
		 * goes back to its lender */
		q->off = q->len = 0;
		noise_buf_release(&q->buf);
	}
}

uint64_t noise_peer_expiry(const struct noise_peer *p)
{
	return pending(p) ? p->deadline_ns : UINT64_MAX;
}

void noise_peer_handle_expiry(struct noise_peer *p, uint64_t now_ns)
{
	if (pending(p) && now_ns >= p->deadline_ns)
		(void)fail(p, PS_ERR_TIMEOUT, false);
}

void noise_peer_close(struct noise_peer *p, int reason)
{
	(void)fail(p, reason, false);
}

enum ps_outcome noise_peer_outcome(const struct noise_peer *p)
{
	return p->outcome;
}

int noise_peer_error(const struct noise_peer *p)
{
	return p->err;
}

bool noise_peer_ended(const struct noise_peer *p)
{
	return !pending(p);
}

const char *noise_peer_note(const struct noise_peer *p)
{
	return p->outcome == PS_FAILED ? p->note : NULL;
}

enum noise_peer_msg noise_peer_failed_on(const struct noise_peer *p, uint32_t *index)
{
	bool failed = p->outcome == PS_FAILED;

	*index = failed ? p->failed_index : 0;
	return failed ? p->failed_msg : NOISE_PEER_MSG_NONE;
}

bool noise_peer_authenticated(const struct noise_peer *p)
{
	return p->authenticated;
}

uint32_t noise_peer_messages(const struct noise_peer *p)
{
	return p->role == NOISE_PEER_INITIATOR ? p->n_recv : p->n_sent;
}

uint64_t noise_peer_dropped(const struct noise_peer *p)
{
	return p->n_dropped;
}

const char *noise_peer_waiting_for(const struct noise_peer *p)
{
	if (!pending(p) || p->state == NOISE_PEER_HOLD)
		return NULL;
	return msg_words(expected(p));
}

uint64_t noise_peer_events_lost(const struct noise_peer *p)
{
	return p->ev_lost;
}

const char *noise_peer_msg_name(enum noise_peer_msg m)
{
	switch (m) {
	case NOISE_PEER_MSG1:
		return "msg1";
	case NOISE_PEER_MSG2:
		return "msg2";
	case NOISE_PEER_TRANSPORT:
		return "transport";
	case NOISE_PEER_ECHO:
		return "echo";
	case NOISE_PEER_EMPTY:
		return "empty";
	case NOISE_PEER_MSG_NONE:
	default:
		return "none";
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
	return p->has_payload ? p->payload.p : NULL;
}

const uint8_t *noise_peer_transport(const struct noise_peer *p, size_t *len)
{
	*len = p->transport_len;
	return p->has_transport ? p->transport.p : NULL;
}

void noise_peer_free(struct noise_peer *p)
{
	wipe_keys(p);
	/* every lent block back, wiped */
	noise_frame_reader_wipe(&p->rx);
	noise_buf_release(&p->out.buf);
	noise_buf_release(&p->payload);
	noise_buf_release(&p->transport);
	cry_memzero(p, sizeof(*p));
}
