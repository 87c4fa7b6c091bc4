#include "btc/handshake.h"

#include <string.h>

/* Events that must never be lost (VERSION, then SUCCESS or FAILED, then at
 * most one DISCONNECT) have slots kept free for them. */
#define EV_RESERVED 3

/* version, services, timestamp, addr_recv: what Core reads before its checks */
#define VERSION_HEAD_LEN (4 + 8 + 8 + 26)

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

static void ev_fill_command(struct btc_event *ev, const uint8_t cmd[BTC_COMMAND_LEN])
{
	size_t i;

	for (i = 0; i < BTC_COMMAND_LEN && cmd[i] != 0; i++)
		ev->command[i] = (cmd[i] >= 0x20 && cmd[i] <= 0x7e) ? (char)cmd[i] : '?';
	ev->command[i] = 0;
}

static void ev_simple(struct btc_hs *hs, enum btc_ev_type type, int err, const char *note,
		      bool must)
{
	struct btc_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.err = err;
	ev.note = note;
	ev_fill_command(&ev, hs->cur.command);
	ev.cmd = btc_cmd_from_bytes(hs->cur.command);
	ev.length = hs->cur.length;
	ev_push(hs, &ev, must);
}

/* End the handshake. A timeout or close after their version is PARTIAL;
 * anything else that ends a pending handshake is FAILED. */
static int hs_fail(struct btc_hs *hs, int err, const char *note)
{
	if (hs->state == BTC_HS_CLOSED)
		return err;
	if (hs->state == BTC_HS_DONE) {
		hs->state = BTC_HS_CLOSED;
		hs->err = err;
		ev_simple(hs, BTC_EV_DISCONNECT, err, note, true);
		return err;
	}
	hs->state = BTC_HS_CLOSED;
	hs->err = err;
	if (hs->got_version && (err == PS_ERR_TIMEOUT || err == PS_ERR_CLOSED))
		hs->outcome = BTC_PARTIAL;
	else
		hs->outcome = BTC_FAILED;
	ev_simple(hs, BTC_EV_FAILED, err, note, true);
	return err;
}

int btc_hs_send(struct btc_hs *hs, const struct btc_msg *m)
{
	struct ps_wcur w = ps_wcur_make(hs->out + hs->out_len, sizeof(hs->out) - hs->out_len);
	struct btc_event ev;
	uint8_t *start = w.p;
	uint8_t magic[4];
	int r;

	memcpy(magic, hs->cfg.magic, 4);
	if (hs->cfg.bugs & BTC_BUG_WRONG_MAGIC)
		magic[0] ^= 0xff;
	if ((r = btc_msg_encode(&w, magic, m)) != PS_OK)
		return r;
	hs->out_len += (size_t)(w.p - start);

	memset(&ev, 0, sizeof(ev));
	ev.type = BTC_EV_SENT;
	ev.cmd = m->cmd;
	ev_fill_command(&ev, start + 4);
	ev.length = ps_load_u32le(start + 16);
	ev_push(hs, &ev, false);
	return PS_OK;
}

static int send_empty(struct btc_hs *hs, enum btc_cmd cmd)
{
	struct btc_msg m;

	memset(&m, 0, sizeof(m));
	m.cmd = cmd;
	return btc_hs_send(hs, &m);
}

/* A user agent of n 'x's for the UA bugs (n <= 257). */
static const char long_ua[] =
	"/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/";

static void version_fill(struct btc_hs *hs, struct btc_msg *m, size_t ua_len)
{
	const struct btc_hs_config *c = &hs->cfg;
	struct btc_version *v = &m->u.version;

	memset(m, 0, sizeof(*m));
	m->cmd = BTC_CMD_VERSION;
	v->version = c->version;
	v->services = c->services;
	v->timestamp = c->unix_time;
	/* Core: addr_you with its services, then addr_me as services plus an
	 * all-zero address ("CNetAddr::V1(CService{})"). */
	v->addr_recv = c->peer;
	v->addr_from.services = c->services;
	v->nonce = hs->nonce;
	if ((c->bugs & BTC_BUG_REUSE_NONCE) && hs->got_version)
		v->nonce = hs->peer.nonce;
	v->user_agent = (const uint8_t *)c->user_agent;
	v->user_agent_len = strlen(c->user_agent);
	if (ua_len) {
		v->user_agent = (const uint8_t *)long_ua;
		v->user_agent_len = ua_len;
	}
	v->start_height = c->start_height;
	v->relay = c->relay ? 1 : 0;
	v->present = BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT |
		     BTC_VERSION_HAS_HEIGHT | BTC_VERSION_HAS_RELAY;
	if (c->bugs & BTC_BUG_NO_RELAY)
		v->present &= ~(unsigned)BTC_VERSION_HAS_RELAY;
	if (c->bugs & BTC_BUG_VERSION_NO_HEIGHT)
		v->present = BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT;
	if (c->bugs & BTC_BUG_VERSION_SHORT)
		v->present = 0;
}

/* Our version, then the header mutations the bugs ask for, made on the
 * queued bytes. Returns PS_OK or PS_ERR_NOBUF. */
static int send_version_bytes(struct btc_hs *hs, uint64_t mutate, size_t ua_len)
{
	struct btc_msg m;
	size_t at = hs->out_len;
	uint8_t *h;
	int r;

	version_fill(hs, &m, ua_len);
	if ((r = btc_hs_send(hs, &m)) != PS_OK)
		return r;
	h = hs->out + at;
	if (mutate & BTC_BUG_BAD_CHECKSUM)
		h[20] ^= 0x01;
	if (mutate & BTC_BUG_CMD_NOT_PADDED)
		h[4 + 8] = 'X'; /* "version\0X\0\0\0" */
	if (mutate & BTC_BUG_CMD_NONPRINTABLE)
		h[4 + 6] = 0x01; /* "versio\x01" */
	if (mutate & BTC_BUG_LENGTH_LARGER)
		ps_store_u32le(h + 16, ps_load_u32le(h + 16) + 1);
	if (mutate & BTC_BUG_LENGTH_SMALLER)
		ps_store_u32le(h + 16, ps_load_u32le(h + 16) - 1);
	if (mutate & (BTC_BUG_OVERSIZE | BTC_BUG_MAX_SIZE)) {
		/* the header alone: the payload it announces never comes */
		ps_store_u32le(h + 16,
			       (mutate & BTC_BUG_OVERSIZE) ? BTC_MAX_PAYLOAD + 1 : BTC_MAX_PAYLOAD);
		hs->out_len = at + BTC_HEADER_LEN;
	}
	if (mutate & BTC_BUG_GARBAGE_AFTER) {
		static const uint8_t junk[8] = { 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef };
		if (sizeof(hs->out) - hs->out_len < sizeof(junk))
			return PS_ERR_NOBUF;
		memcpy(hs->out + hs->out_len, junk, sizeof(junk));
		hs->out_len += sizeof(junk);
	}
	return PS_OK;
}

/* One message of the --bug send=CMD@WHEN kind. */
static int send_injected(struct btc_hs *hs, const struct btc_inject *in)
{
	struct btc_msg m;
	static const uint8_t four[4] = { 1, 2, 3, 4 };

	memset(&m, 0, sizeof(m));
	m.cmd = in->cmd;
	switch (in->cmd) {
	case BTC_CMD_VERSION:
		return send_version_bytes(hs, 0, 0);
	case BTC_CMD_PING:
	case BTC_CMD_PONG:
		hs->cfg.rng(hs->cfg.rng_ctx, (uint8_t *)&m.u.ping.nonce, sizeof(m.u.ping.nonce));
		m.u.ping.has_nonce = true;
		break;
	case BTC_CMD_SENDTXRCNCL:
		m.u.sendtxrcncl.version = 1; /* BIP 330 */
		hs->cfg.rng(hs->cfg.rng_ctx, (uint8_t *)&m.u.sendtxrcncl.salt,
			    sizeof(m.u.sendtxrcncl.salt));
		break;
	case BTC_CMD_SENDCMPCT:
		m.u.sendcmpct.version = 2; /* BIP 152, as Core sends it */
		break;
	case BTC_CMD_FEEFILTER:
		m.u.feerate = 1000;
		break;
	case BTC_CMD_REJECT:
		m.u.reject.message = (const uint8_t *)"version";
		m.u.reject.message_len = 7;
		m.u.reject.code = 0x11; /* REJECT_OBSOLETE */
		m.u.reject.reason = (const uint8_t *)"peershake";
		m.u.reject.reason_len = 9;
		break;
	case BTC_CMD_UNKNOWN:
		memset(m.command, 0, sizeof(m.command));
		if (!in->empty_command) {
			memcpy(m.command, "unknowncmd", 10);
			m.payload = four;
			m.payload_len = sizeof(four);
		}
		break;
	case BTC_CMD_VERACK:
	case BTC_CMD_WTXIDRELAY:
	case BTC_CMD_SENDADDRV2:
	case BTC_CMD_SENDHEADERS:
	case BTC_CMD_GETADDR:
	case BTC_CMD_COUNT_:
	default:
		break;
	}
	return btc_hs_send(hs, &m);
}

static int send_injected_at(struct btc_hs *hs, enum btc_when when)
{
	int r;

	for (size_t i = 0; i < hs->cfg.ninject; i++)
		if (hs->cfg.inject[i].when == when &&
		    (r = send_injected(hs, &hs->cfg.inject[i])) != PS_OK)
			return r;
	return PS_OK;
}

/* What we send first: ours is the version (with whatever the bugs do to
 * it and around it). */
static int send_version(struct btc_hs *hs)
{
	uint64_t bugs = hs->cfg.bugs;
	/* drop-class mutations: a spoiled version, then a correct one */
	const uint64_t spoil =
		BTC_BUG_BAD_CHECKSUM | BTC_BUG_CMD_NOT_PADDED | BTC_BUG_CMD_NONPRINTABLE;
	const uint64_t frame = BTC_BUG_LENGTH_LARGER | BTC_BUG_LENGTH_SMALLER | BTC_BUG_OVERSIZE |
			       BTC_BUG_MAX_SIZE | BTC_BUG_GARBAGE_AFTER;
	int r;

	hs->sent_version = true;
	if (bugs & BTC_BUG_SILENT)
		return PS_OK;
	if ((r = send_injected_at(hs, BTC_BEFORE_VERSION)) != PS_OK)
		return r;
	if ((bugs & BTC_BUG_VERACK_FIRST) && (r = send_empty(hs, BTC_CMD_VERACK)) != PS_OK)
		return r;
	if (bugs & spoil) {
		if ((r = send_version_bytes(hs, bugs & spoil, 0)) != PS_OK)
			return r;
	}
	if (bugs & BTC_BUG_UA_257) {
		if ((r = send_version_bytes(hs, 0, BTC_MAX_SUBVERSION + 1)) != PS_OK)
			return r;
	}
	if ((r = send_version_bytes(hs, bugs & frame,
				    (bugs & BTC_BUG_UA_256) ? BTC_MAX_SUBVERSION : 0)) != PS_OK)
		return r;
	if ((bugs & BTC_BUG_DUPLICATE_VERSION) && (r = send_version_bytes(hs, 0, 0)) != PS_OK)
		return r;
	if ((bugs & BTC_BUG_EARLY_VERACK) && (r = send_empty(hs, BTC_CMD_VERACK)) != PS_OK)
		return r;
	return PS_OK;
}

/* After their version: feature negotiation and our verack. */
static int send_verack(struct btc_hs *hs, int32_t common)
{
	uint64_t bugs = hs->cfg.bugs;
	int r;

	if (bugs & BTC_BUG_SILENT)
		return PS_OK;
	/* Core: "if (greatest_common_version >= WTXID_RELAY_VERSION) push
	 * WTXIDRELAY"; "if (greatest_common_version >= 70016) push SENDADDRV2".
	 * After an early verack they would come after verack: that is the
	 * other bug (wtxidrelay-after-verack), so none are sent. */
	if (common >= BTC_WTXID_RELAY_VERSION &&
	    !(bugs & (BTC_BUG_NO_FEATURES | BTC_BUG_EARLY_VERACK | BTC_BUG_VERACK_FIRST))) {
		if ((r = send_empty(hs, BTC_CMD_WTXIDRELAY)) != PS_OK ||
		    (r = send_empty(hs, BTC_CMD_SENDADDRV2)) != PS_OK)
			return r;
	}
	if ((r = send_injected_at(hs, BTC_BEFORE_VERACK)) != PS_OK)
		return r;
	if (bugs & (BTC_BUG_NO_VERACK | BTC_BUG_EARLY_VERACK | BTC_BUG_VERACK_FIRST))
		return PS_OK; /* none, or sent already */
	if ((r = send_empty(hs, BTC_CMD_VERACK)) != PS_OK)
		return r;
	if ((bugs & BTC_BUG_VERACK_TWICE) && (r = send_empty(hs, BTC_CMD_VERACK)) != PS_OK)
		return r;
	return send_injected_at(hs, BTC_AFTER_VERACK);
}

int btc_hs_init(struct btc_hs *hs, enum btc_role role, const struct btc_hs_config *cfg,
		uint64_t now_ns)
{
	memset(hs, 0, sizeof(*hs));
	if (!cfg->rng || !cfg->user_agent || strlen(cfg->user_agent) > BTC_MAX_SUBVERSION)
		return PS_ERR_INVALID_ARG;
	hs->cfg = *cfg;
	hs->role = role;
	hs->state = BTC_HS_EXPECT_VERSION;
	hs->outcome = BTC_PENDING;
	/* Saturating: now_ns + timeout_ns past 2^64 would wrap to a deadline
	 * already passed (found by fuzz/btc_hs_initiator; noise_peer saturates
	 * the same way). */
	hs->deadline_ns = UINT64_MAX;
	if (cfg->timeout_ns && now_ns < UINT64_MAX - cfg->timeout_ns)
		hs->deadline_ns = now_ns + cfg->timeout_ns;
	cfg->rng(cfg->rng_ctx, (uint8_t *)&hs->nonce, sizeof(hs->nonce));
	/* Core: "an inbound peer gets our version only after we receive theirs". */
	if (role == BTC_INITIATOR)
		return send_version(hs);
	return PS_OK;
}

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
static int version_refused(struct btc_hs *hs, const struct btc_version *v)
{
	const struct btc_hs_config *c = &hs->cfg;

	/* Core: "peer=%d does not offer the expected services ... disconnecting" */
	if (hs->role == BTC_INITIATOR &&
	    (v->services & c->required_services) != c->required_services)
		return hs_fail(hs, PS_ERR_MISSING_SERVICES, "peer lacks required services");
	/* Core: "if (nVersion < MIN_PEER_PROTO_VERSION) ... using obsolete
	 * version %i; disconnecting" */
	if (v->version < BTC_MIN_PEER_VERSION)
		return hs_fail(hs, PS_ERR_OBSOLETE_VERSION, "version below 31800");
	return PS_OK;
}

static int on_version(struct btc_hs *hs, const struct btc_version *v)
{
	const struct btc_hs_config *c = &hs->cfg;
	int32_t common;
	int r;

	if ((r = version_refused(hs, v)) != PS_OK)
		return r;
	/* Core: "if (pfrom.IsInboundConn() && !m_connman.CheckIncomingNonce(nNonce))
	 * ... connected to self at %s, disconnecting" */
	if (hs->role == BTC_RESPONDER && (v->present & BTC_VERSION_HAS_FROM_NONCE) &&
	    c->is_local_nonce && c->is_local_nonce(c->nonce_ctx, v->nonce))
		return hs_fail(hs, PS_ERR_SELF_CONNECT, "connected to self");

	peer_info_set(&hs->peer, v);
	hs->got_version = true;
	hs->state = BTC_HS_EXPECT_VERACK;
	ev_simple(hs, BTC_EV_VERSION, 0, NULL, true);

	if (!hs->sent_version && (r = send_version(hs)) != PS_OK)
		return hs_fail(hs, r, "output queue full");
	common = v->version < c->version ? v->version : c->version;
	if ((r = send_verack(hs, common)) != PS_OK)
		return hs_fail(hs, r, "output queue full");
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

static int dispatch(struct btc_hs *hs, const struct btc_msg *m)
{
	switch (hs->state) {
	case BTC_HS_EXPECT_VERSION:
		if (m->cmd == BTC_CMD_VERSION) {
			ev_simple(hs, BTC_EV_RECV, 0, NULL, false);
			return on_version(hs, &m->u.version);
		}
		/* Core: "non-version message before version handshake" */
		ev_simple(hs, BTC_EV_RECV, 0, "ignored: before version", false);
		return PS_OK;
	case BTC_HS_EXPECT_VERACK:
		if (m->cmd == BTC_CMD_VERACK) {
			ev_simple(hs, BTC_EV_RECV, 0, NULL, false);
			hs->got_verack = true;
			hs->state = BTC_HS_DONE;
			hs->outcome = BTC_SUCCESS;
			ev_simple(hs, BTC_EV_SUCCESS, 0, NULL, true);
			return PS_OK;
		}
		if (m->cmd == BTC_CMD_VERSION)
			ev_simple(hs, BTC_EV_RECV, 0, "ignored: redundant version", false);
		else if (is_pre_verack_feature(m->cmd))
			ev_simple(hs, BTC_EV_RECV, 0, "feature negotiation", false);
		else if (m->cmd == BTC_CMD_SENDTXRCNCL)
			ev_simple(hs, BTC_EV_RECV, 0, "ignored: txreconciliation off", false);
		else
			/* Core: "Unsupported message prior to verack" */
			ev_simple(hs, BTC_EV_RECV, 0, "ignored: before verack", false);
		return PS_OK;
	case BTC_HS_DONE:
		if (is_pre_verack_feature(m->cmd)) {
			/* Core: "%s received after verack from peer=%d; disconnecting" */
			ev_simple(hs, BTC_EV_RECV, 0, NULL, false);
			return hs_fail(hs, PS_ERR_PROTOCOL, "feature negotiation after verack");
		}
		if (m->cmd == BTC_CMD_VERSION)
			ev_simple(hs, BTC_EV_RECV, 0, "ignored: redundant version", false);
		else if (m->cmd == BTC_CMD_VERACK)
			ev_simple(hs, BTC_EV_RECV, 0, "ignored: redundant verack", false);
		else
			ev_simple(hs, BTC_EV_RECV, 0, NULL, false);
		if (m->cmd == BTC_CMD_PING && m->u.ping.has_nonce) {
			struct btc_msg pong;
			memset(&pong, 0, sizeof(pong));
			pong.cmd = BTC_CMD_PONG;
			pong.u.ping.nonce = m->u.ping.nonce;
			/* A peer that pings faster than it reads loses pongs,
			 * never our memory: a full queue drops this one. */
			if (btc_hs_send(hs, &pong) != PS_OK)
				hs->ev_lost++;
		}
		return PS_OK;
	case BTC_HS_CLOSED:
	default:
		return hs->err;
	}
}

/* The payload size of a fixed-layout message, -1 for the others. */
static int fixed_len(enum btc_cmd cmd)
{
	switch (cmd) {
	case BTC_CMD_VERACK:
	case BTC_CMD_WTXIDRELAY:
	case BTC_CMD_SENDADDRV2:
	case BTC_CMD_SENDHEADERS:
	case BTC_CMD_GETADDR:
		return 0;
	case BTC_CMD_PING:
	case BTC_CMD_PONG:
	case BTC_CMD_FEEFILTER:
		return 8;
	case BTC_CMD_SENDCMPCT:
		return 9;
	case BTC_CMD_SENDTXRCNCL:
		return 12;
	case BTC_CMD_UNKNOWN:
	case BTC_CMD_VERSION:
	case BTC_CMD_REJECT:
	case BTC_CMD_COUNT_:
	default:
		return -1;
	}
}

/* The whole message is in: check it as Core does, then act on it. */
static int finish_message(struct btc_hs *hs)
{
	uint8_t once[32], twice[32];
	size_t kept = hs->cur.length < BTC_HS_KEEP ? hs->cur.length : BTC_HS_KEEP;
	enum btc_cmd cmd;
	struct btc_msg m;
	int r;

	hs->msgs_in++;
	cry_hash_final(&hs->sum, once);
	cry_sha256(twice, once, sizeof(once));

	/* Core drops messages with a bad checksum or an invalid command and
	 * keeps the connection, checking in that order (net.cpp
	 * GetReceivedMessage: "Header error: Wrong checksum", else "Header
	 * error: Invalid message type"). */
	if (memcmp(twice, hs->cur.checksum, 4) != 0) {
		ev_simple(hs, BTC_EV_DROPPED, PS_ERR_BAD_CHECKSUM, "checksum mismatch", false);
		return PS_OK;
	}
	if (!btc_command_valid(hs->cur.command)) {
		ev_simple(hs, BTC_EV_DROPPED, PS_ERR_BAD_COMMAND, "invalid command", false);
		return PS_OK;
	}
	cmd = btc_cmd_from_bytes(hs->cur.command);
	r = btc_payload_decode(&m, cmd, hs->cur.command, hs->keep, kept);
	/* Core's handlers read the fields they need and never check that the
	 * payload is used up: a verack with a stray byte is still a verack. */
	if (r == PS_ERR_TRAILING && fixed_len(cmd) >= 0)
		r = btc_payload_decode(&m, cmd, hs->cur.command, hs->keep, (size_t)fixed_len(cmd));
	if (r != PS_OK && cmd == BTC_CMD_VERSION && hs->state == BTC_HS_EXPECT_VERSION &&
	    kept >= VERSION_HEAD_LEN &&
	    btc_payload_decode(&m, cmd, hs->cur.command, hs->keep, VERSION_HEAD_LEN) == PS_OK) {
		/* Core reads version, services, time and addr_recv, disconnects
		 * on missing services or an obsolete version, and only then
		 * reads the rest ("if (!vRecv.empty())"): a tail that does not
		 * parse does not save an obsolete peer. */
		int refused;
		if ((refused = version_refused(hs, &m.u.version)) != PS_OK)
			return refused;
	}
	if (r != PS_OK) {
		/* Core: an exception while processing is logged and the
		 * message is ignored. */
		ev_simple(hs, BTC_EV_DROPPED, r, "payload does not parse", false);
		return PS_OK;
	}
	if (cmd == BTC_CMD_VERSION)
		m.u.version.trailing += hs->cur.length - kept;
	return dispatch(hs, &m);
}

int btc_hs_input(struct btc_hs *hs, uint64_t now_ns, const uint8_t *data, size_t len)
{
	int r;

	btc_hs_handle_expiry(hs, now_ns);
	hs->bytes_in += len;
	while (len > 0 && hs->state != BTC_HS_CLOSED) {
		size_t n;

		if (!hs->in_payload) {
			n = BTC_HEADER_LEN - hs->hdr_len;
			if (n > len)
				n = len;
			memcpy(hs->hdr + hs->hdr_len, data, n);
			hs->hdr_len += n;
			data += n;
			len -= n;
			if (hs->hdr_len < BTC_HEADER_LEN)
				break;
			if ((r = btc_header_decode(&hs->cur, hs->hdr, BTC_HEADER_LEN)) != PS_OK)
				return hs_fail(hs, r, "header");
			r = btc_header_check(&hs->cur, hs->cfg.magic);
			/* Core disconnects on a wrong magic and on a length
			 * over MAX_PROTOCOL_MESSAGE_LENGTH, before any payload. */
			if (r == PS_ERR_BAD_MAGIC)
				return hs_fail(hs, r, "wrong network magic");
			if (r == PS_ERR_TOO_LARGE)
				return hs_fail(hs, r, "announced length over 4000000");
			hs->in_payload = true;
			hs->payload_seen = 0;
			cry_hash_init(&hs->sum, CRY_HASH_SHA256);
		}

		n = hs->cur.length - hs->payload_seen;
		if (n > len)
			n = len;
		if (hs->payload_seen < BTC_HS_KEEP) {
			size_t k = BTC_HS_KEEP - hs->payload_seen;
			memcpy(hs->keep + hs->payload_seen, data, k < n ? k : n);
		}
		cry_hash_update(&hs->sum, data, n);
		hs->payload_seen += (uint32_t)n;
		data += n;
		len -= n;
		if (hs->payload_seen < hs->cur.length)
			break;

		hs->in_payload = false;
		hs->hdr_len = 0;
		if ((r = finish_message(hs)) != PS_OK)
			return r;
	}
	return hs->state == BTC_HS_CLOSED ? hs->err : PS_OK;
}

void btc_hs_close(struct btc_hs *hs, int reason)
{
	if (hs->state == BTC_HS_DONE) {
		hs->state = BTC_HS_CLOSED;
		hs->err = reason;
		return;
	}
	(void)hs_fail(hs, reason, reason == PS_ERR_CLOSED ? "connection closed" : NULL);
}

uint64_t btc_hs_expiry(const struct btc_hs *hs)
{
	if (hs->state == BTC_HS_EXPECT_VERSION || hs->state == BTC_HS_EXPECT_VERACK)
		return hs->deadline_ns;
	return UINT64_MAX;
}

void btc_hs_handle_expiry(struct btc_hs *hs, uint64_t now_ns)
{
	if (now_ns >= btc_hs_expiry(hs))
		(void)hs_fail(hs, PS_ERR_TIMEOUT,
			      hs->got_version ? "no verack before the deadline"
					      : "no version before the deadline");
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
	*p = hs->out;
	return hs->out_len;
}

void btc_hs_consume(struct btc_hs *hs, size_t n)
{
	if (n > hs->out_len)
		n = hs->out_len;
	memmove(hs->out, hs->out + n, hs->out_len - n);
	hs->out_len -= n;
	hs->bytes_out += n;
}

enum btc_outcome btc_hs_outcome(const struct btc_hs *hs)
{
	return hs->outcome;
}

const char *btc_outcome_name(enum btc_outcome o)
{
	switch (o) {
	case BTC_SUCCESS:
		return "SUCCESS";
	case BTC_PARTIAL:
		return "PARTIAL";
	case BTC_FAILED:
		return "FAILED";
	case BTC_PENDING:
	default:
		return "PENDING";
	}
}
