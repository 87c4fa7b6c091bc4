#include "btc/handshake.h"

#include <string.h>

#include "btc/misbehave.h"

#define CLOSED_AFTER_KEY "we closed after our v2 key (v2-close-after-key)"

/* The output queue: the caller's (cfg.out_buf) or the struct's. */
static uint8_t *out_of(struct btc_hs *hs)
{
	return hs->cfg.out_buf ? hs->cfg.out_buf : hs->out;
}

static size_t out_cap(const struct btc_hs *hs)
{
	return hs->cfg.out_buf ? hs->cfg.out_buf_len : sizeof(hs->out);
}

/* Events that must never be lost (VERSION, then SUCCESS or FAILED, then at
 * most one DISCONNECT) have slots kept free for them. */
#define EV_RESERVED 3

/* ---- events ---- */

static void ev_push(struct btc_hs *hs, const struct btc_event *ev, bool must)
{
	unsigned limit = must ? BTC_HS_EVENTS : BTC_HS_EVENTS - EV_RESERVED;

	if (hs->ev_count >= limit) {
		hs->ev_lost++;
		return;
	}
	hs->ev[(hs->ev_head + hs->ev_count) % BTC_HS_EVENTS] = *ev;
	hs->ev_count++;
}

static void ev_init(struct btc_event *ev, enum btc_ev_type type,
		    const uint8_t command[BTC_COMMAND_LEN])
{
	size_t i;

	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	if (!command)
		return;
	for (i = 0; i < BTC_COMMAND_LEN && command[i] != 0; i++)
		ev->command[i] =
			(command[i] >= 0x20 && command[i] <= 0x7e) ? (char)command[i] : '?';
	ev->command[i] = 0;
}

/* An event about rx (the message that caused it; NULL for none), counting
 * bytes of the input. */
static void ev_about(struct btc_hs *hs, enum btc_ev_type type, const struct btc_rx_msg *rx,
		     uint64_t bytes, int err, const char *note, bool must)
{
	struct btc_event ev;

	ev_init(&ev, type, rx ? rx->command : NULL);
	if (rx) {
		ev.cmd = rx->cmd;
		ev.length = rx->length;
	}
	ev.bytes = bytes;
	ev.err = err;
	ev.note = note;
	ev_push(hs, &ev, must);
}

/* A ping's or pong's nonce: its payload when that is exactly 8 bytes. */
static void ev_nonce(struct btc_event *ev, const uint8_t *payload, size_t len)
{
	if ((ev->cmd != BTC_CMD_PING && ev->cmd != BTC_CMD_PONG) || len != sizeof(uint64_t))
		return;
	ev->has_nonce = true;
	ev->nonce = ps_load_u64le(payload);
}

static bool is_addr_cmd(enum btc_cmd cmd)
{
	return cmd == BTC_CMD_ADDR || cmd == BTC_CMD_ADDRV2;
}

static enum btc_addr_fmt addr_fmt(enum btc_cmd cmd)
{
	return cmd == BTC_CMD_ADDR ? BTC_ADDR_FMT_V1 : BTC_ADDR_FMT_V2;
}

/* An addr's or addrv2's entry count: the CompactSize its payload starts
 * with (the events say what the bytes say). */
static void ev_count(struct btc_event *ev, const uint8_t *payload, size_t len)
{
	struct ps_rcur c;
	uint64_t n;

	if (!is_addr_cmd(ev->cmd) || !payload)
		return;
	c = ps_rcur_make(payload, len);
	if (btc_compactsize_decode(&n, &c) != PS_OK)
		return;
	ev->has_count = true;
	ev->count = (uint32_t)n; /* CompactSize: at most MAX_SIZE */
}

/* A RECV; an addr's or addrv2's with its count when it parsed (parsed),
 * and its kept entries store[first .. first + n). */
static void ev_recv_addr(struct btc_hs *hs, const struct btc_rx_msg *rx, const char *note,
			 bool parsed, size_t first, size_t n)
{
	struct btc_event ev;

	ev_init(&ev, BTC_EV_RECV, rx->command);
	ev.cmd = rx->cmd;
	ev.length = rx->length;
	ev.bytes = rx->bytes;
	ev.note = note;
	if (rx->kind == BTC_RX_MESSAGE && rx->kept == rx->length) {
		ev_nonce(&ev, rx->payload, rx->length);
		if (parsed)
			ev_count(&ev, rx->payload, rx->kept);
	}
	ev.store_first = (uint32_t)first;
	ev.store_n = (uint32_t)n;
	ev_push(hs, &ev, false);
}

static void ev_recv(struct btc_hs *hs, const struct btc_rx_msg *rx, const char *note)
{
	ev_recv_addr(hs, rx, note, true, 0, 0);
}

/* The frame at [frame, frame + n) just went into the output queue through
 * tr, carrying payload: log it as it is there, after any rewrite. */
static void ev_sent(struct btc_hs *hs, const struct btc_transport *tr, const uint8_t *frame,
		    size_t n, const uint8_t *payload, size_t plen)
{
	uint8_t command[BTC_COMMAND_LEN];
	struct btc_event ev;
	uint32_t length;

	if (tr->ops->describe(tr, command, &length, frame, n) == PS_OK) {
		ev_init(&ev, BTC_EV_SENT, command);
		ev.cmd = btc_cmd_from_bytes(command);
		ev.length = length;
		ev_nonce(&ev, payload, plen);
		ev_count(&ev, payload, plen);
	} else {
		ev_init(&ev, BTC_EV_SENT, NULL);
	}
	ev.bytes = n;
	ev_push(hs, &ev, false);
}

/* A SENT event of no message: the v2 transport's own pieces, raw packets. */
static void ev_sent_raw(struct btc_hs *hs, uint32_t length, size_t n, const char *note)
{
	struct btc_event ev;

	ev_init(&ev, BTC_EV_SENT, NULL);
	ev.length = length;
	ev.bytes = n;
	ev.note = note;
	ev_push(hs, &ev, false);
}

/* End the handshake. A timeout or close after their version is PARTIAL;
 * anything else that ends a pending handshake is FAILED; after success it
 * is a DISCONNECT. bytes: input of rx that no RECV or DROPPED counted. */
static int hs_fail(struct btc_hs *hs, int err, const char *note, const struct btc_rx_msg *rx,
		   uint64_t bytes)
{
	enum btc_ev_type type = BTC_EV_FAILED;

	if (hs->state == BTC_HS_CLOSED)
		return err;
	if (hs->state == BTC_HS_DONE)
		type = BTC_EV_DISCONNECT;
	else if (hs->got_version &&
		 (err == PS_ERR_TIMEOUT || err == PS_ERR_CLOSED || err == PS_ERR_STOPPED))
		hs->outcome = PS_PARTIAL;
	else
		hs->outcome = PS_FAILED;
	hs->state = BTC_HS_CLOSED;
	hs->err = err;
	hs->note = note;
	ev_about(hs, type, rx, bytes, err, note, true);
	/* the connection is over: the transport's keys die here */
	hs->tr.ops->end(&hs->tr);
	return err;
}

static const char *piece_note(enum btc_v2_piece piece)
{
	switch (piece) {
	case BTC_V2_TX_KEY:
		return "v2 key";
	case BTC_V2_TX_GARBAGE:
		return "v2 garbage";
	case BTC_V2_TX_TERMINATOR:
		return "v2 garbage terminator";
	case BTC_V2_TX_DECOY:
		return "v2 decoy";
	case BTC_V2_TX_VERSION:
	default:
		return "v2 version packet";
	}
}

/* What the transport queued of its own since the queue held `before` bytes
 * (a v2 key and garbage, terminator, decoys, version packet): each piece
 * as the switches leave it, logged as a SENT event; taken back when
 * nothing (more) may go out. Returns PS_ERR_CLOSED when a switch closes
 * the connection after a piece (the caller ends the handshake), else
 * PS_OK. */
static int transport_sent(struct btc_hs *hs, size_t before)
{
	struct btc_v2_tx tx[BTC_V2_TX_MAX];
	size_t n = btc_v2_take_sent(&hs->tr, tx, BTC_V2_TX_MAX), off = before;

	if (btc_mis_silent(&hs->cfg) || hs->out_state != BTC_HS_OUT_OPEN) {
		hs->out_len = before;
		return PS_OK;
	}
	for (size_t i = 0; i < n && off < hs->out_len; i++) {
		size_t len = hs->out_len - off < tx[i].bytes ? hs->out_len - off : tx[i].bytes;
		const char *note = piece_note(tx[i].piece);
		enum btc_mis_v2_next next =
			btc_mis_v2_piece(&hs->cfg, &tx[i], out_of(hs) + off, len, &note);

		if (next == BTC_MIS_V2_V1_VERSION) {
			hs->out_len = off;
			hs->out_state = BTC_HS_OUT_V1_VERSION;
			return PS_OK;
		}
		ev_sent_raw(hs, tx[i].length, len, note);
		off += len;
		if (next == BTC_MIS_V2_MUTE || next == BTC_MIS_V2_CLOSE) {
			hs->out_len = off;
			hs->out_state = BTC_HS_OUT_MUTED;
			return next == BTC_MIS_V2_CLOSE ? PS_ERR_CLOSED : PS_OK;
		}
	}
	/* bytes no piece describes (none, by btc_v2_take_sent's contract):
	 * still logged, so that the events add up */
	if (off < hs->out_len)
		ev_sent_raw(hs, 0, hs->out_len - off, "v2 transport");
	return PS_OK;
}

/* ---- sending ---- */

/* Frame m through the transport into the output queue, let the switches
 * rewrite the frame (how: what they do to it; NULL honestly), log it as
 * queued. Nothing goes out once they stopped our output; while they wait
 * for our version as a v1 frame, only that. */
static int queue_msg(struct btc_hs *hs, const struct btc_msg *m, const struct btc_mis_send *how)
{
	uint8_t payload[BTC_HS_OUTBUF], command[BTC_COMMAND_LEN];
	uint8_t *frame = out_of(hs) + hs->out_len;
	size_t room = out_cap(hs) - hs->out_len, n;
	struct ps_wcur w = ps_wcur_make(payload, sizeof(payload));
	struct btc_transport *tr = &hs->tr, v1;
	const uint8_t *p = m->payload;
	size_t plen = m->payload_len;
	int r;

	if (hs->out_state == BTC_HS_OUT_MUTED ||
	    (hs->out_state == BTC_HS_OUT_V1_VERSION && m->cmd != BTC_CMD_VERSION))
		return PS_OK;
	if (hs->out_state == BTC_HS_OUT_OPEN && !hs->tr.ops->ready(&hs->tr))
		return PS_ERR_INVALID_STATE;
	if (m->cmd == BTC_CMD_UNKNOWN) {
		memcpy(command, m->command, BTC_COMMAND_LEN);
	} else {
		if ((r = btc_payload_encode(&w, m)) != PS_OK ||
		    (r = btc_command_set(command, btc_cmd_name(m->cmd))) != PS_OK)
			return r;
		p = payload;
		plen = (size_t)(w.p - payload);
	}
	w = ps_wcur_make(frame, room);
	if (how && how->v2_length_only && hs->tr.ops == &btc_v2_ops &&
	    hs->out_state == BTC_HS_OUT_OPEN) {
		/* Core's limit is MAX_CONTENTS_LEN: one more, a long type's 13
		 * bytes and 4,000,001 of payload that never come */
		if ((r = btc_v2_write_length(&hs->tr, &w, BTC_V2_MAX_MSG_CONTENTS + 1)) != PS_OK)
			return r;
		n = (size_t)(w.p - frame);
		hs->out_len += n;
		{
			struct btc_event ev;

			ev_init(&ev, BTC_EV_SENT, command);
			ev.cmd = btc_cmd_from_bytes(command);
			ev.length = BTC_V2_MAX_MSG_CONTENTS + 1 - (1 + BTC_COMMAND_LEN);
			ev.bytes = n;
			ev.note = "v2 packet length alone, over the limit";
			ev_push(hs, &ev, false);
		}
		hs->out_state = BTC_HS_OUT_MUTED;
		return PS_OK;
	}
	if (hs->out_state == BTC_HS_OUT_V1_VERSION) {
		/* our version as a v1 peer would send it, where the peer
		 * expects the encrypted version packet */
		v1.ops = &btc_v1_ops;
		btc_v1_init(&v1.u.v1, hs->cfg.magic);
		tr = &v1;
	}
	if ((r = tr->ops->write(tr, &w, command, p, plen)) != PS_OK)
		return r;
	n = (size_t)(w.p - frame);
	/* the rewrites work on v1 frames (btc_hs_init refuses them for v2) */
	if (hs->tr.ops == &btc_v1_ops &&
	    (r = btc_mis_rewrite(&hs->cfg, how ? how->rewrite : 0, frame, &n, room)) != PS_OK)
		return r;
	hs->out_len += n;
	ev_sent(hs, tr, frame, n, p, plen);
	if (hs->out_state == BTC_HS_OUT_V1_VERSION)
		hs->out_state = BTC_HS_OUT_MUTED;
	return PS_OK;
}

/* A raw v2 packet of the switches (a decoy, a message with an unknown
 * short id). */
static int queue_packet(struct btc_hs *hs, const struct btc_mis_send *s)
{
	struct ps_wcur w = ps_wcur_make(out_of(hs) + hs->out_len, out_cap(hs) - hs->out_len);
	int r;

	if (hs->out_state != BTC_HS_OUT_OPEN)
		return PS_OK;
	if ((r = btc_v2_write_packet(&hs->tr, &w, s->header, s->contents, s->len)) != PS_OK)
		return r;
	ev_sent_raw(hs, (uint32_t)s->len, (size_t)(w.p - (out_of(hs) + hs->out_len)), s->note);
	hs->out_len = (size_t)(w.p - out_of(hs));
	return PS_OK;
}

int btc_hs_send(struct btc_hs *hs, const struct btc_msg *m)
{
	return queue_msg(hs, m, NULL);
}

static int send_empty(struct btc_hs *hs, enum btc_cmd cmd)
{
	struct btc_msg m;

	memset(&m, 0, sizeof(m));
	m.cmd = cmd;
	return queue_msg(hs, &m, NULL);
}

/* A version of ours: the honest fields, then what the switches change. */
static int send_version_msg(struct btc_hs *hs, const struct btc_mis_send *how)
{
	const struct btc_hs_config *c = &hs->cfg;
	struct btc_msg m;
	struct btc_version *v = &m.u.version;

	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_VERSION;
	v->version = c->version;
	v->services = c->services;
	v->timestamp = c->unix_time;
	/* Core: addr_you with its services, then addr_me as services plus an
	 * all-zero address ("CNetAddr::V1(CService{})"). */
	v->addr_recv = c->peer;
	v->addr_from.services = c->services;
	v->nonce = hs->nonce;
	v->user_agent = (const uint8_t *)c->user_agent;
	v->user_agent_len = strlen(c->user_agent);
	v->start_height = c->start_height;
	v->relay = c->relay ? 1 : 0;
	v->present = BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT |
		     BTC_VERSION_HAS_HEIGHT | BTC_VERSION_HAS_RELAY;
	btc_mis_version_fields(c, btc_hs_peer(hs), how->ua_len, v);
	return queue_msg(hs, &m, how);
}

static int send_one(struct btc_hs *hs, const struct btc_mis_send *s)
{
	struct btc_msg m;

	switch (s->kind) {
	case BTC_MIS_VERSION:
		return send_version_msg(hs, s);
	case BTC_MIS_VERACK:
		return send_empty(hs, BTC_CMD_VERACK);
	case BTC_MIS_V2_PACKET:
		return queue_packet(hs, s);
	case BTC_MIS_INJECT:
	default:
		btc_mis_inject_msg(&hs->cfg, s->inject, &m);
		return queue_msg(hs, &m, s);
	}
}

/* What the switches send at point (nothing, honestly). */
static int send_extra(struct btc_hs *hs, enum btc_mis_point at)
{
	struct btc_mis_send s[BTC_MIS_MAX];
	size_t n = btc_mis_extra(&hs->cfg, at, s);
	int r;

	for (size_t i = 0; i < n; i++)
		if ((r = send_one(hs, &s[i])) != PS_OK)
			return r;
	return PS_OK;
}

/* What we send first: our version. */
static int send_version(struct btc_hs *hs)
{
	struct btc_mis_send ours;
	int r;

	hs->sent_version = true;
	if (!btc_mis_our_version(&hs->cfg, &ours))
		return PS_OK;
	if ((r = send_extra(hs, BTC_MIS_BEFORE_VERSION)) != PS_OK ||
	    (r = send_one(hs, &ours)) != PS_OK)
		return r;
	return send_extra(hs, BTC_MIS_AFTER_VERSION);
}

/* After their version: feature negotiation and our verack. */
static int send_verack(struct btc_hs *hs, int32_t common)
{
	int r;

	/* Core: "if (greatest_common_version >= WTXID_RELAY_VERSION) push
	 * WTXIDRELAY"; "if (greatest_common_version >= 70016) push SENDADDRV2". */
	if (common >= BTC_WTXID_RELAY_VERSION && btc_mis_features(&hs->cfg)) {
		if ((r = send_empty(hs, BTC_CMD_WTXIDRELAY)) != PS_OK ||
		    (r = send_empty(hs, BTC_CMD_SENDADDRV2)) != PS_OK)
			return r;
	}
	if ((r = send_extra(hs, BTC_MIS_BEFORE_VERACK)) != PS_OK)
		return r;
	for (unsigned k = btc_mis_veracks(&hs->cfg); k > 0; k--)
		if ((r = send_empty(hs, BTC_CMD_VERACK)) != PS_OK)
			return r;
	/* Core, in its version handler, right after its verack, to an
	 * outbound peer: "Do a one-time address fetch to help populate/update
	 * our addrman ... MakeAndPushMessage(pfrom, NetMsgType::GETADDR)" */
	if (hs->role == BTC_INITIATOR && hs->cfg.getaddr &&
	    (r = send_empty(hs, BTC_CMD_GETADDR)) != PS_OK)
		return r;
	return send_extra(hs, BTC_MIS_AFTER_VERACK);
}

/* Core: "an inbound peer gets our version only after we receive theirs";
 * an initiator's goes out as soon as the transport can carry messages (v1:
 * at once). */
static int start_when_ready(struct btc_hs *hs)
{
	if (hs->role != BTC_INITIATOR || hs->sent_version || !hs->tr.ops->ready(&hs->tr))
		return PS_OK;
	return send_version(hs);
}

/* The caller's receive buffer, to the transport in use (again once a
 * detecting responder knows which). */
static void keep_buffer(struct btc_hs *hs)
{
	const struct btc_hs_config *c = &hs->cfg;

	if (c->rx_keep && c->rx_keep_len > BTC_V2_KEEP_OVERHEAD)
		btc_transport_set_keep(&hs->tr, c->rx_keep, c->rx_keep_len - BTC_V2_KEEP_OVERHEAD);
}

int btc_hs_init(struct btc_hs *hs, enum btc_role role, const struct btc_hs_config *cfg,
		uint64_t now_ns)
{
	struct btc_v2_config v2;
	struct ps_wcur w;
	int r;

	memset(hs, 0, sizeof(*hs));
	if (!cfg->rng || !cfg->user_agent || strlen(cfg->user_agent) > BTC_MAX_SUBVERSION)
		return PS_ERR_INVALID_ARG;
	if ((r = btc_mis_check(cfg)) != PS_OK)
		return r;
	hs->cfg = *cfg;
	hs->detected = cfg->transport != BTC_TRANSPORT_DETECT;
	hs->role = role;
	hs->state = BTC_HS_EXPECT_VERSION;
	hs->outcome = PS_PENDING;
	/* Saturating: now_ns + timeout_ns past 2^64 would wrap to a deadline
	 * already passed (found by fuzz/btc_hs_initiator; noise_peer saturates
	 * the same way). */
	hs->deadline_ns = UINT64_MAX;
	if (cfg->timeout_ns && now_ns < UINT64_MAX - cfg->timeout_ns)
		hs->deadline_ns = now_ns + cfg->timeout_ns;
	cfg->rng(cfg->rng_ctx, (uint8_t *)&hs->nonce, sizeof(hs->nonce));
	if ((r = btc_mis_v2_config(&hs->cfg, &hs->v2mis, &v2)) != PS_OK)
		return r;
	if (hs->cfg.out_buf && hs->cfg.out_buf_len < BTC_HS_OUTBUF)
		hs->cfg.out_buf = NULL;
	w = ps_wcur_make(out_of(hs), out_cap(hs));
	if ((r = btc_transport_open(&hs->tr, cfg->transport, cfg->magic, role, &v2, &w)) != PS_OK)
		return r;
	hs->out_len = (size_t)(w.p - out_of(hs));
	keep_buffer(hs);
	if (transport_sent(hs, 0) == PS_ERR_CLOSED) {
		/* the session sends what is queued (our key) and closes */
		(void)hs_fail(hs, PS_ERR_CLOSED, CLOSED_AFTER_KEY, NULL, 0);
		return PS_OK;
	}
	return start_when_ready(hs);
}

/* ---- receiving ---- */

static void peer_info_set(struct btc_peer_info *p, const struct btc_version *v)
{
	memset(p, 0, sizeof(*p));
	p->version = v->version;
	p->services = v->services;
	p->timestamp = v->timestamp;
	p->nonce = v->nonce;
	p->start_height = v->start_height;
	p->relay = (v->present & BTC_VERSION_HAS_RELAY) ? v->relay != 0 : true;
	p->present = v->present;
	p->user_agent_len = v->user_agent_len;
	if (v->user_agent_len)
		memcpy(p->user_agent, v->user_agent, v->user_agent_len);
	p->user_agent[v->user_agent_len] = 0;
}

/* The checks Core makes on the first four fields, before it reads on. */
static int version_refused(struct btc_hs *hs, const struct btc_version *v,
			   const struct btc_rx_msg *rx, uint64_t bytes)
{
	const struct btc_hs_config *c = &hs->cfg;

	/* Core: "peer=%d does not offer the expected services ... disconnecting" */
	if (hs->role == BTC_INITIATOR &&
	    (v->services & c->required_services) != c->required_services)
		return hs_fail(hs, PS_ERR_MISSING_SERVICES, "peer lacks required services", rx,
			       bytes);
	/* Core: "if (nVersion < MIN_PEER_PROTO_VERSION) ... using obsolete
	 * version %i; disconnecting" */
	if (v->version < BTC_MIN_PEER_VERSION)
		return hs_fail(hs, PS_ERR_OBSOLETE_VERSION, "version below 31800", rx, bytes);
	return PS_OK;
}

/* min(ours, theirs): Core's GetCommonVersion once their version is in. */
static int32_t common_version(const struct btc_hs *hs)
{
	return hs->peer.version < hs->cfg.version ? hs->peer.version : hs->cfg.version;
}

static int on_version(struct btc_hs *hs, const struct btc_version *v, const struct btc_rx_msg *rx)
{
	const struct btc_hs_config *c = &hs->cfg;
	int32_t common;
	int r;

	if ((r = version_refused(hs, v, rx, 0)) != PS_OK)
		return r;
	/* Core: "if (pfrom.IsInboundConn() && !m_connman.CheckIncomingNonce(nNonce))
	 * ... connected to self at %s, disconnecting" */
	if (hs->role == BTC_RESPONDER && (v->present & BTC_VERSION_HAS_FROM_NONCE) &&
	    c->is_local_nonce && c->is_local_nonce(c->nonce_ctx, v->nonce))
		return hs_fail(hs, PS_ERR_SELF_CONNECT, "connected to self", rx, 0);

	peer_info_set(&hs->peer, v);
	hs->got_version = true;
	hs->state = BTC_HS_EXPECT_VERACK;
	ev_about(hs, BTC_EV_VERSION, rx, 0, PS_OK, NULL, true);

	if (!hs->sent_version && (r = send_version(hs)) != PS_OK)
		return hs_fail(hs, r, "output queue full", rx, 0);
	common = common_version(hs);
	if ((r = send_verack(hs, common)) != PS_OK)
		return hs_fail(hs, r, "output queue full", rx, 0);
	return PS_OK;
}

/* The messages Core takes only between version and verack. sendtxrcncl is
 * not among them for us: Core checks "if (!m_txreconciliation) ... ignored,
 * as our node does not have txreconciliation enabled" before its after-verack
 * check, and reconciliation is off by default; so is it here. */
static bool is_pre_verack_feature(enum btc_cmd cmd)
{
	return cmd == BTC_CMD_WTXIDRELAY || cmd == BTC_CMD_SENDADDRV2;
}

static void answer_ping(struct btc_hs *hs, const struct btc_msg *m)
{
	struct btc_msg pong;

	memset(&pong, 0, sizeof(pong));
	pong.cmd = BTC_CMD_PONG;
	pong.u.ping.nonce = m->u.ping.nonce;
	/* A peer that pings faster than it reads loses pongs, never our
	 * memory: a full queue drops this one. */
	if (queue_msg(hs, &pong, NULL) != PS_OK)
		hs->ev_lost++;
}

/* A uniform value below n (n > 0) from the RNG; the modulo bias of 64
 * bits over at most a few hundred thousand entries is below 2^-40. */
static uint64_t rand_below(struct btc_hs *hs, uint64_t n)
{
	uint8_t b[8];

	hs->cfg.rng(hs->cfg.rng_ctx, b, sizeof(b));
	return ps_load_u64le(b) % n;
}

/* Core's AddrInfo::IsTerrible, the parts a file's entry has: "if (nTime >
 * now + 10min) return true" and "if (now - nTime > ADDRMAN_HORIZON)" (30
 * days). Never tried, so not "tried in the last minute"; no failures. */
static bool addr_terrible(const struct btc_addr *a, int64_t now)
{
	return (int64_t)a->time > now + 600 || now - (int64_t)a->time > 30 * 86400;
}

/* Core's answer to getaddr (net_processing.cpp "getaddr", GetAddr_ in
 * addrman.cpp, PushAddress), from cfg.addrbook. */
static void answer_getaddr(struct btc_hs *hs)
{
	const struct btc_hs_config *c = &hs->cfg;
	uint8_t payload[BTC_ADDR_PAYLOAD_MAX], command[BTC_COMMAND_LEN];
	uint32_t pick[BTC_MAX_ADDR_TO_SEND];
	bool v2 = hs->peer_addrv2;
	uint64_t want = c->naddrbook, eligible = 0, left;
	size_t npick = 0, count = 0;
	struct ps_wcur w;
	struct btc_msg m;

	if (!c->addrbook)
		return;
	/* GetAddr_: "nNodes = max_pct * nNodes / 100"; "nNodes =
	 * std::min(nNodes, max_addresses)" with max_addresses MAX_ADDR_TO_SEND */
	if (c->addr_pct)
		want = (c->addr_pct > 100 ? 100 : c->addr_pct) * want / 100;
	if (want > BTC_MAX_ADDR_TO_SEND)
		want = BTC_MAX_ADDR_TO_SEND;
	/* "gather a list of random nodes, skipping those of low quality":
	 * want of the entries that are not terrible, each subset alike
	 * (selection sampling, Knuth's Algorithm S; Core walks a shuffled
	 * vRandom, so its order is random too, ours the book's) */
	for (size_t i = 0; i < c->naddrbook; i++)
		if (!addr_terrible(&c->addrbook[i], c->unix_time))
			eligible++;
	if (want > eligible)
		want = eligible;
	left = eligible;
	for (size_t i = 0; i < c->naddrbook && npick < want; i++) {
		if (addr_terrible(&c->addrbook[i], c->unix_time))
			continue;
		if (rand_below(hs, left) < want - npick)
			pick[npick++] = (uint32_t)i;
		left--;
	}
	/* PushAddress: "if (addr.IsValid() && ... && IsAddrCompatible(peer,
	 * addr))", IsAddrCompatible being "peer.m_wants_addrv2 ||
	 * addr.IsAddrV1Compatible()" */
	for (size_t k = 0; k < npick; k++) {
		const struct btc_addr *a = &c->addrbook[pick[k]];
		if (btc_addr_valid(a) && (v2 || btc_addr_v1_compatible(a)))
			pick[count++] = pick[k];
	}
	/* "No addr messages to send": "if (peer.m_addrs_to_send.empty()) return" */
	if (count == 0)
		return;
	w = ps_wcur_make(payload, sizeof(payload));
	if (btc_compactsize_encode(&w, count) != PS_OK)
		return;
	for (size_t k = 0; k < count; k++)
		if (btc_addr_entry_encode(&w, v2 ? BTC_ADDR_FMT_V2 : BTC_ADDR_FMT_V1,
					  &c->addrbook[pick[k]]) != PS_OK)
			return; /* not reached: valid entries of at most 49 bytes */
	/* "if (peer.m_wants_addrv2) MakeAndPushMessage(node,
	 * NetMsgType::ADDRV2, ...) else MakeAndPushMessage(node,
	 * NetMsgType::ADDR, ...)" */
	if (btc_command_set(command, v2 ? "addrv2" : "addr") != PS_OK)
		return;
	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_UNKNOWN; /* the payload as built, under its command */
	memcpy(m.command, command, BTC_COMMAND_LEN);
	m.payload = payload;
	m.payload_len = (size_t)(w.p - payload);
	/* a peer that does not read loses the answer, never our memory */
	if (queue_msg(hs, &m, NULL) != PS_OK) {
		hs->ev_lost++;
		return;
	}
	hs->addr.msgs_out++;
	hs->addr.entries_out += count;
}

static void keep_addr(void *ctx, const struct btc_addr *a)
{
	struct btc_hs *hs = ctx;

	if (!hs->cfg.addr_store)
		return; /* counted only */
	if (hs->addr_kept < hs->cfg.addr_store_cap)
		hs->cfg.addr_store[hs->addr_kept++] = *a;
	else
		hs->addr.over_cap++;
}

/* An addr or addrv2 after verack whose payload passed: count it, keep its
 * entries. Core stores them in addrman (rate-limited, filtered); we keep
 * what came, for the caller to log. */
static void on_addr(struct btc_hs *hs, const struct btc_msg *m, const struct btc_rx_msg *rx)
{
	size_t first = hs->addr_kept;

	hs->addr.msgs_in++;
	hs->addr.entries_in += m->u.addr.info.count;
	hs->addr.skipped += m->u.addr.info.skipped;
	if (btc_addr_each(NULL, addr_fmt(m->cmd), rx->payload, rx->kept, keep_addr, hs) != PS_OK)
		hs->ev_lost++; /* not reached: btc_payload_decode passed the same bytes */
	ev_recv_addr(hs, rx, NULL, true, first, hs->addr_kept - first);
}

static int dispatch(struct btc_hs *hs, uint64_t now_ns, const struct btc_msg *m,
		    const struct btc_rx_msg *rx)
{
	switch (hs->state) {
	case BTC_HS_EXPECT_VERSION:
		if (m->cmd == BTC_CMD_VERSION) {
			ev_recv(hs, rx, NULL);
			return on_version(hs, &m->u.version, rx);
		}
		/* Core: "non-version message before version handshake" */
		ev_recv(hs, rx, "ignored: before version");
		return PS_OK;
	case BTC_HS_EXPECT_VERACK:
		if (m->cmd == BTC_CMD_VERACK) {
			ev_recv(hs, rx, NULL);
			hs->state = BTC_HS_DONE;
			hs->outcome = PS_SUCCESS;
			/* the delayed injections count from here (handshake.h) */
			hs->done_ns = now_ns;
			hs->delayed = btc_mis_delayed_start(&hs->cfg);
			/* saturating, as the handshake deadline; no wait at all
			 * is over at once */
			hs->getaddr_until = now_ns < UINT64_MAX - hs->cfg.getaddr_wait_ns
						    ? now_ns + hs->cfg.getaddr_wait_ns
						    : UINT64_MAX;
			hs->getaddr_over = hs->cfg.getaddr_wait_ns == 0;
			ev_about(hs, BTC_EV_SUCCESS, rx, 0, PS_OK, NULL, true);
			return PS_OK;
		}
		if (m->cmd == BTC_CMD_VERSION)
			ev_recv(hs, rx, "ignored: redundant version");
		else if (is_pre_verack_feature(m->cmd)) {
			/* Core: "if (msg_type == NetMsgType::SENDADDRV2) { ...
			 * peer.m_wants_addrv2 = true;" */
			if (m->cmd == BTC_CMD_SENDADDRV2)
				hs->peer_addrv2 = true;
			ev_recv(hs, rx, "feature negotiation");
		} else if (m->cmd == BTC_CMD_SENDTXRCNCL)
			ev_recv(hs, rx, "ignored: txreconciliation off");
		else
			/* Core: "Unsupported message prior to verack" */
			ev_recv(hs, rx, "ignored: before verack");
		return PS_OK;
	case BTC_HS_DONE:
		if (is_pre_verack_feature(m->cmd)) {
			/* Core: "%s received after verack from peer=%d; disconnecting" */
			ev_recv(hs, rx, NULL);
			return hs_fail(hs, PS_ERR_PROTOCOL, "feature negotiation after verack", rx,
				       0);
		}
		if (is_addr_cmd(m->cmd)) {
			on_addr(hs, m, rx);
			return PS_OK;
		}
		if (m->cmd == BTC_CMD_GETADDR) {
			/* Core: "if (!pfrom.IsInboundConn()) { ... Ignoring
			 * \"getaddr\" from %s connection"; "Only send one
			 * GetAddr response per connection": "if
			 * (peer.m_getaddr_recvd) { ... Ignoring repeated
			 * \"getaddr\"" */
			if (hs->role != BTC_RESPONDER) {
				ev_recv(hs, rx, "ignored: getaddr on an outbound connection");
			} else if (hs->getaddr_recvd) {
				ev_recv(hs, rx, "ignored: repeated getaddr");
			} else {
				hs->getaddr_recvd = true;
				ev_recv(hs, rx, NULL);
				answer_getaddr(hs);
			}
			return PS_OK;
		}
		if (m->cmd == BTC_CMD_VERSION)
			ev_recv(hs, rx, "ignored: redundant version");
		else if (m->cmd == BTC_CMD_VERACK)
			ev_recv(hs, rx, "ignored: redundant verack");
		else
			ev_recv(hs, rx, NULL);
		/* Core: "if (pfrom.GetCommonVersion() > BIP0031_VERSION) { ...
		 * vRecv >> nonce; ... PushMessage(PONG, nonce)": no pong at
		 * 60000 or below, and none to a ping without its nonce (the
		 * read throws). */
		if (m->cmd == BTC_CMD_PING && m->u.ping.has_nonce &&
		    common_version(hs) > BTC_BIP0031_VERSION)
			answer_ping(hs, m);
		return PS_OK;
	case BTC_HS_CLOSED:
	default:
		return PS_OK;
	}
}

/* A whole message from the transport: decode it as Core's handlers read
 * it, then act on it. */
static int on_message(struct btc_hs *hs, uint64_t now_ns, const struct btc_rx_msg *rx)
{
	int fixed = btc_payload_fixed_len(rx->cmd), r;
	struct btc_msg m;

	if (rx->verdict != PS_OK) {
		ev_about(hs, BTC_EV_DROPPED, rx, rx->bytes, rx->verdict, rx->note, false);
		return PS_OK;
	}
	if (is_addr_cmd(rx->cmd) && rx->kept < rx->length) {
		/* longer than we keep (BTC_HS_KEEP, or cfg.rx_keep's, which
		 * holds 1,000 entries of the networks we keep): Core would read
		 * it, and skip entries of unknown networks up to 512 bytes
		 * each; we cannot, unbuffered. Dropped, the connection kept. */
		ev_about(hs, BTC_EV_DROPPED, rx, rx->bytes, PS_ERR_UNSUPPORTED,
			 "addr payload longer than we keep", false);
		return PS_OK;
	}
	r = btc_payload_decode(&m, rx->cmd, rx->command, rx->payload, rx->kept);
	if (r == PS_ERR_TOO_LARGE && is_addr_cmd(rx->cmd)) {
		/* Core: after "vRecv >> ser_params(vAddr)", "if (vAddr.size() >
		 * MAX_ADDR_TO_SEND) { Misbehaving(peer, strprintf("%s message
		 * size = %u", ...)": a disconnect. Before verack Core never
		 * reads it ("Unsupported message prior to verack"). */
		if (hs->state != BTC_HS_DONE) {
			memset(&m, 0, sizeof(m));
			m.cmd = rx->cmd;
			return dispatch(hs, now_ns, &m, rx);
		}
		ev_recv_addr(hs, rx, NULL, false, 0, 0);
		return hs_fail(hs, PS_ERR_TOO_LARGE, "addr message of more than 1000 entries", rx,
			       0);
	}
	/* Core's handlers read the fields they need and never check that the
	 * payload is used up: a verack with a stray byte is still a verack. */
	if (r == PS_ERR_TRAILING && fixed >= 0)
		r = btc_payload_decode(&m, rx->cmd, rx->command, rx->payload, (size_t)fixed);
	if (r != PS_OK && rx->cmd == BTC_CMD_VERSION && hs->state == BTC_HS_EXPECT_VERSION &&
	    rx->kept >= BTC_VERSION_REQUIRED_LEN &&
	    btc_payload_decode(&m, rx->cmd, rx->command, rx->payload, BTC_VERSION_REQUIRED_LEN) ==
		    PS_OK) {
		/* Core reads version, services, time and addr_recv, disconnects
		 * on missing services or an obsolete version, and only then
		 * reads the rest ("if (!vRecv.empty())"): a tail that does not
		 * parse does not save an obsolete peer. */
		int refused;
		if ((refused = version_refused(hs, &m.u.version, rx, rx->bytes)) != PS_OK)
			return refused;
	}
	if (r != PS_OK) {
		/* Core: an exception while processing is logged and the
		 * message is ignored. */
		ev_about(hs, BTC_EV_DROPPED, rx, rx->bytes, r, "payload does not parse", false);
		return PS_OK;
	}
	if (rx->cmd == BTC_CMD_VERSION)
		m.u.version.trailing += rx->length - rx->kept;
	return dispatch(hs, now_ns, &m, rx);
}

/* A v1 transport whose very first header has another magic and a command
 * that is no v1 command: the peer sent a BIP324 key (64 random bytes), not
 * a v1 message. A responder with v2 off meets Core's initiator so (Core
 * opens v2 whatever the peer advertises); an initiator meets Core's
 * responder so after a first message other than version (Core: "v2
 * clients implementing this proposal will interpret any message other than
 * VERSION received as the first message to be the initiation of a v2
 * connection"). Not a wrong network: *err becomes PS_ERR_V2_HANDSHAKE. */
static bool v2_spoken(const struct btc_hs *hs, const struct btc_rx_msg *rx, int *err)
{
	if (*err != PS_ERR_BAD_MAGIC || hs->tr.ops != &btc_v1_ops || hs->msgs_in != 0 ||
	    btc_command_valid(rx->command))
		return false;
	*err = PS_ERR_V2_HANDSHAKE;
	return true;
}

static const char *v2_note(const struct btc_hs *hs)
{
	return hs->role == BTC_RESPONDER ? "peer opened with a BIP324 key (v1 only here)"
					 : "peer answered with a BIP324 key";
}

int btc_hs_input(struct btc_hs *hs, uint64_t now_ns, const uint8_t *data, size_t len)
{
	int r;

	/* core/contract.h: "Input after the end is ignored and returns PS_OK" */
	if (hs->state == BTC_HS_CLOSED)
		return PS_OK;
	btc_hs_handle_expiry(hs, now_ns);
	if (hs->state == BTC_HS_CLOSED)
		return hs->err;
	hs->bytes_in += len;
	while (len > 0) {
		struct ps_wcur w =
			ps_wcur_make(out_of(hs) + hs->out_len, out_cap(hs) - hs->out_len);
		struct btc_rx_msg rx;
		size_t used = 0, before = hs->out_len;
		bool got = false;

		int closed;

		r = hs->tr.ops->read(&hs->tr, &rx, &got, &used, &w, data, len);
		hs->out_len = (size_t)(w.p - out_of(hs));
		data += used;
		len -= used;
		if (!hs->detected && hs->tr.ops->name) {
			/* a DETECT responder knows now: the other's switches go */
			hs->detected = true;
			btc_mis_transport_known(&hs->cfg, hs->tr.ops == &btc_v2_ops);
			keep_buffer(hs);
		}
		closed = transport_sent(hs, before);
		if (r != PS_OK) {
			const char *note = v2_spoken(hs, &rx, &r) ? v2_note(hs) : rx.note;

			return hs_fail(hs, r, note, &rx, rx.bytes);
		}
		if (closed != PS_OK)
			return hs_fail(hs, closed, CLOSED_AFTER_KEY, NULL, 0);
		if ((r = start_when_ready(hs)) != PS_OK)
			return hs_fail(hs, r, "output queue full", NULL, 0);
		if (!got)
			break;
		if (rx.kind != BTC_RX_MESSAGE) {
			/* the transport's own (a v2 key, garbage, decoy): logged only */
			ev_recv(hs, &rx, rx.note);
			continue;
		}
		hs->msgs_in++;
		if ((r = on_message(hs, now_ns, &rx)) != PS_OK)
			return r;
	}
	return PS_OK;
}

void btc_hs_close(struct btc_hs *hs, int reason)
{
	if (hs->state == BTC_HS_DONE) {
		hs->state = BTC_HS_CLOSED; /* the success stands */
		hs->tr.ops->end(&hs->tr);
		return;
	}
	(void)hs_fail(hs, reason, reason == PS_ERR_CLOSED ? "connection closed" : NULL, NULL, 0);
}

uint64_t btc_hs_expiry(const struct btc_hs *hs)
{
	switch (hs->state) {
	case BTC_HS_EXPECT_VERSION:
	case BTC_HS_EXPECT_VERACK:
		return hs->deadline_ns;
	case BTC_HS_DONE: {
		uint64_t e = btc_mis_delayed_due(&hs->cfg, hs->done_ns, hs->delayed);
		if (btc_hs_getaddr_waiting(hs) && hs->getaddr_until < e)
			e = hs->getaddr_until;
		return e;
	}
	case BTC_HS_CLOSED:
	default:
		return UINT64_MAX;
	}
}

/* Once done: the delayed injections due by now_ns go out. */
static void send_delayed(struct btc_hs *hs, uint64_t now_ns)
{
	struct btc_mis_send s[BTC_MIS_MAX];
	size_t n = btc_mis_delayed(&hs->cfg, hs->done_ns, now_ns, &hs->delayed, s);
	int r;

	for (size_t i = 0; i < n; i++)
		if ((r = send_one(hs, &s[i])) != PS_OK) {
			(void)hs_fail(hs, r, "output queue full", NULL, 0);
			return;
		}
}

void btc_hs_handle_expiry(struct btc_hs *hs, uint64_t now_ns)
{
	/* No deadline once done (Core's "version handshake timeout" ends with
	 * the handshake; after it only its 20-minute inactivity timeout, not
	 * ours to apply): the only timer left is the switches' late sends. */
	if (hs->state == BTC_HS_DONE) {
		if (btc_hs_getaddr_waiting(hs) && now_ns >= hs->getaddr_until)
			hs->getaddr_over = true;
		send_delayed(hs, now_ns);
		return;
	}
	if (now_ns >= btc_hs_expiry(hs))
		(void)hs_fail(hs, PS_ERR_TIMEOUT,
			      hs->got_version ? "no verack before the deadline"
					      : "no version before the deadline",
			      NULL, 0);
}

bool btc_hs_next_event(struct btc_hs *hs, struct btc_event *ev)
{
	if (hs->ev_count == 0)
		return false;
	*ev = hs->ev[hs->ev_head];
	hs->ev_head = (hs->ev_head + 1) % BTC_HS_EVENTS;
	hs->ev_count--;
	return true;
}

size_t btc_hs_output(const struct btc_hs *hs, const uint8_t **p)
{
	*p = hs->cfg.out_buf ? hs->cfg.out_buf : hs->out;
	return hs->out_len;
}

void btc_hs_consume(struct btc_hs *hs, size_t n)
{
	if (n > hs->out_len)
		n = hs->out_len;
	memmove(out_of(hs), out_of(hs) + n, hs->out_len - n);
	hs->out_len -= n;
	hs->bytes_out += n;
}

/* ---- accessors ---- */

enum ps_outcome btc_hs_outcome(const struct btc_hs *hs)
{
	return hs->outcome;
}

int btc_hs_error(const struct btc_hs *hs)
{
	return hs->err;
}

bool btc_hs_ended(const struct btc_hs *hs)
{
	return hs->state == BTC_HS_CLOSED;
}

const char *btc_hs_note(const struct btc_hs *hs)
{
	return hs->note;
}

const char *btc_hs_waiting_for(const struct btc_hs *hs)
{
	switch (hs->state) {
	case BTC_HS_EXPECT_VERSION:
		return "version";
	case BTC_HS_EXPECT_VERACK:
		return "verack";
	case BTC_HS_DONE:
	case BTC_HS_CLOSED:
	default:
		return NULL;
	}
}

uint64_t btc_hs_events_lost(const struct btc_hs *hs)
{
	return hs->ev_lost;
}

const struct btc_peer_info *btc_hs_peer(const struct btc_hs *hs)
{
	return hs->got_version ? &hs->peer : NULL;
}

uint64_t btc_hs_nonce(const struct btc_hs *hs)
{
	return hs->nonce;
}

uint64_t btc_hs_bytes_in(const struct btc_hs *hs)
{
	return hs->bytes_in;
}

uint64_t btc_hs_bytes_out(const struct btc_hs *hs)
{
	return hs->bytes_out;
}

uint64_t btc_hs_msgs_in(const struct btc_hs *hs)
{
	return hs->msgs_in;
}

size_t btc_hs_rx_pending(const struct btc_hs *hs)
{
	return hs->tr.ops->rx_pending(&hs->tr);
}

const char *btc_hs_transport(const struct btc_hs *hs)
{
	return hs->tr.ops->name;
}

const uint8_t *btc_hs_session_id(const struct btc_hs *hs)
{
	return btc_v2_session_id(&hs->tr);
}

bool btc_hs_v2_peer_silent(const struct btc_hs *hs)
{
	/* Core: "Only outgoing connections need reconnection"; "m_recv_state
	 * != RecvState::KEY ... !m_recv_buffer.empty()": nothing received;
	 * "m_sent_v1_header_worth": "m_send_pos >= CMessageHeader::HEADER_SIZE" */
	return hs->role == BTC_INITIATOR && hs->cfg.transport == BTC_TRANSPORT_V2 &&
	       hs->bytes_in == 0 && hs->bytes_out >= BTC_HEADER_LEN;
}

bool btc_hs_peer_sendaddrv2(const struct btc_hs *hs)
{
	return hs->peer_addrv2;
}

bool btc_hs_getaddr_waiting(const struct btc_hs *hs)
{
	return hs->role == BTC_INITIATOR && hs->cfg.getaddr && hs->state == BTC_HS_DONE &&
	       !hs->getaddr_over;
}

const struct btc_addr *btc_hs_addrs(const struct btc_hs *hs, size_t *n)
{
	*n = hs->addr_kept;
	return hs->cfg.addr_store;
}

const struct btc_addr_tally *btc_hs_addr_tally(const struct btc_hs *hs)
{
	return &hs->addr;
}
