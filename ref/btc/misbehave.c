#include "btc/misbehave.h"

#include <string.h>

/* drop-class rewrites: a spoiled version goes out first, then a correct one
 * (with bad-alone: the spoiled one is our only version) */
#define SPOIL                                                                                      \
	(BTC_BUG_BAD_CHECKSUM | BTC_BUG_CHECKSUM_LAST | BTC_BUG_CMD_NOT_PADDED |                   \
	 BTC_BUG_CMD_NONPRINTABLE | BTC_BUG_UA_NONCANONICAL)
/* framing rewrites of our one version */
#define FRAME                                                                                      \
	(BTC_BUG_VERSION_TRAILING | BTC_BUG_LENGTH_LARGER | BTC_BUG_LENGTH_SMALLER |               \
	 BTC_BUG_OVERSIZE | BTC_BUG_MAX_SIZE | BTC_BUG_GARBAGE_AFTER)
/* switches after which our verack is not sent after their version */
#define NO_LATE_VERACK (BTC_BUG_NO_VERACK | BTC_BUG_EARLY_VERACK | BTC_BUG_VERACK_FIRST)

/* the v2 switches that set our garbage's length */
#define V2_GARBAGE_LEN (BTC_V2_BUG_GARBAGE_4096 | BTC_V2_BUG_NO_TERMINATOR)

static bool silent(const struct btc_hs_config *c)
{
	return (c->bugs & BTC_BUG_SILENT) != 0;
}

bool btc_mis_silent(const struct btc_hs_config *c)
{
	return silent(c);
}

uint64_t btc_mis_v1_frame_bugs(const struct btc_hs_config *c)
{
	return c->bugs & (SPOIL | FRAME | BTC_BUG_WRONG_MAGIC);
}

/* bad-alone: the spoilt version of the SPOIL switches and user-agent-257
 * is our version itself, and no correct one follows. A target that drops
 * it, as Core does, then has no version to answer: it stays silent and
 * keeps the connection; one that took it answers. */
static bool alone(const struct btc_hs_config *c)
{
	return (c->bugs & BTC_BUG_BAD_ALONE) != 0;
}

bool btc_mis_our_version(const struct btc_hs_config *c, struct btc_mis_send *ours)
{
	memset(ours, 0, sizeof(*ours));
	ours->kind = BTC_MIS_VERSION;
	ours->rewrite = c->bugs & FRAME;
	ours->ua_len = (c->bugs & BTC_BUG_UA_256) ? BTC_MAX_SUBVERSION : 0;
	if (alone(c)) {
		ours->rewrite |= c->bugs & SPOIL;
		if (c->bugs & BTC_BUG_UA_257)
			ours->ua_len = BTC_MAX_SUBVERSION + 1;
	}
	ours->v2_length_only = (c->v2_bugs & BTC_V2_BUG_OVERSIZE) != 0;
	return !silent(c);
}

static void add(struct btc_mis_send *out, size_t *n, enum btc_mis_kind kind, uint64_t rewrite,
		size_t ua_len, const struct btc_inject *in)
{
	memset(&out[*n], 0, sizeof(out[*n]));
	out[*n].kind = kind;
	out[*n].rewrite = rewrite;
	out[*n].ua_len = ua_len;
	out[*n].inject = in;
	(*n)++;
}

/* A random length 0..max from c->rng. */
static size_t rng_len(const struct btc_hs_config *c, size_t max)
{
	uint8_t b;

	c->rng(c->rng_ctx, &b, 1);
	return (size_t)b % (max + 1);
}

/* BIP324: "Either peer may send such decoy packets at any point from here
 * on": the ignore bit, 0..7 random bytes of contents. */
static void add_decoy(const struct btc_hs_config *c, struct btc_mis_send *out, size_t *n)
{
	struct btc_mis_send *s = &out[*n];

	add(out, n, BTC_MIS_V2_PACKET, 0, 0, NULL);
	s->header = BTC_V2_IGNORE_BIT;
	s->len = rng_len(c, BTC_MIS_DECOY_MAX);
	if (s->len)
		c->rng(c->rng_ctx, s->contents, s->len);
	s->note = "v2 decoy";
}

/* A message whose short id no table assigns (BIP324 "≥29 (undefined)"; Core
 * v31 knows 1..32), with 4 bytes of payload. */
static void add_unknown_id(struct btc_mis_send *out, size_t *n)
{
	static const uint8_t contents[] = { 0xff, 1, 2, 3, 4 };
	struct btc_mis_send *s = &out[*n];

	add(out, n, BTC_MIS_V2_PACKET, 0, 0, NULL);
	memcpy(s->contents, contents, sizeof(contents));
	s->len = sizeof(contents);
	s->note = "v2 message with short id 255";
}

/* One injection as it goes out: an injected version is a plain one of ours. */
static void add_injection(struct btc_mis_send *out, size_t *n, const struct btc_inject *in)
{
	if (in->cmd == BTC_CMD_VERSION)
		add(out, n, BTC_MIS_VERSION, 0, 0, NULL);
	else
		add(out, n, BTC_MIS_INJECT, 0, 0, in);
}

/* A decoy whose contents, were the ignore bit not looked at, would be a
 * ping: its short id (BIP324 table: 18) and an 8-byte nonce. Core:
 * "Decoy packets are to be ignored by the receiver apart from verifying
 * they decrypt correctly"; a receiver that reads it as a message answers
 * a ping nobody sent. */
static void add_decoy_ping(const struct btc_hs_config *c, struct btc_mis_send *out, size_t *n)
{
	struct btc_mis_send *s = &out[*n];
	uint8_t cmd[BTC_COMMAND_LEN];

	add(out, n, BTC_MIS_V2_PACKET, 0, 0, NULL);
	s->header = BTC_V2_IGNORE_BIT;
	if (btc_command_set(cmd, "ping") == PS_OK)
		s->contents[0] = btc_v2_short_id(cmd);
	c->rng(c->rng_ctx, s->contents + 1, 8);
	s->len = 9;
	s->note = "v2 decoy (a ping inside)";
}

static void add_injections(const struct btc_hs_config *c, enum btc_when when,
			   struct btc_mis_send *out, size_t *n)
{
	for (size_t i = 0; i < c->ninject && i < BTC_MAX_INJECT; i++) {
		const struct btc_inject *in = &c->inject[i];
		/* the delayed ones go from btc_mis_delayed */
		if (in->when != when || in->delay_ms)
			continue;
		add_injection(out, n, in);
	}
}

size_t btc_mis_extra(const struct btc_hs_config *c, enum btc_mis_point at,
		     struct btc_mis_send out[BTC_MIS_MAX])
{
	uint64_t bugs = c->bugs;
	size_t n = 0;

	if (silent(c))
		return 0;
	switch (at) {
	case BTC_MIS_BEFORE_VERSION:
		add_injections(c, BTC_BEFORE_VERSION, out, &n);
		if (c->v2_bugs & BTC_V2_BUG_DECOY_BEFORE_VERSION)
			add_decoy(c, out, &n);
		if (bugs & BTC_BUG_VERACK_FIRST)
			add(out, &n, BTC_MIS_VERACK, 0, 0, NULL);
		if ((bugs & SPOIL) && !alone(c))
			add(out, &n, BTC_MIS_VERSION, bugs & SPOIL, 0, NULL);
		if ((bugs & BTC_BUG_UA_257) && !alone(c))
			add(out, &n, BTC_MIS_VERSION, 0, BTC_MAX_SUBVERSION + 1, NULL);
		break;
	case BTC_MIS_AFTER_VERSION:
		if (c->v2_bugs & BTC_V2_BUG_UNKNOWN_SHORT_ID)
			add_unknown_id(out, &n);
		if (c->v2_bugs & BTC_V2_BUG_DECOY_AFTER_VERSION)
			add_decoy(c, out, &n);
		if (bugs & BTC_BUG_DUPLICATE_VERSION)
			add(out, &n, BTC_MIS_VERSION, 0, 0, NULL);
		if (bugs & BTC_BUG_EARLY_VERACK)
			add(out, &n, BTC_MIS_VERACK, 0, 0, NULL);
		break;
	case BTC_MIS_BEFORE_VERACK:
		add_injections(c, BTC_BEFORE_VERACK, out, &n);
		break;
	case BTC_MIS_AFTER_VERACK:
		if (btc_mis_veracks(c) > 0)
			add_injections(c, BTC_AFTER_VERACK, out, &n);
		if (btc_mis_veracks(c) > 0 && (c->v2_bugs & BTC_V2_BUG_DECOY_PING))
			add_decoy_ping(c, out, &n);
		break;
	default:
		break;
	}
	return n;
}

uint32_t btc_mis_delayed_start(const struct btc_hs_config *c)
{
	uint32_t bits = 0;

	if (btc_mis_veracks(c) == 0)
		return 0; /* as btc_mis_extra at BTC_MIS_AFTER_VERACK */
	for (size_t i = 0; i < c->ninject && i < BTC_MAX_INJECT; i++)
		if (c->inject[i].when == BTC_AFTER_VERACK && c->inject[i].delay_ms)
			bits |= UINT32_C(1) << i;
	return bits;
}

/* done_ns plus inject[i]'s delay, saturating below UINT64_MAX ("none"). */
static uint64_t due_at(const struct btc_hs_config *c, uint64_t done_ns, size_t i)
{
	uint64_t d = (uint64_t)c->inject[i].delay_ms * 1000000u;

	return done_ns < UINT64_MAX - 1 - d ? done_ns + d : UINT64_MAX - 1;
}

uint64_t btc_mis_delayed_due(const struct btc_hs_config *c, uint64_t done_ns, uint32_t pending)
{
	uint64_t first = UINT64_MAX;

	for (size_t i = 0; i < BTC_MAX_INJECT; i++)
		if ((pending & (UINT32_C(1) << i)) && due_at(c, done_ns, i) < first)
			first = due_at(c, done_ns, i);
	return first;
}

size_t btc_mis_delayed(const struct btc_hs_config *c, uint64_t done_ns, uint64_t now_ns,
		       uint32_t *pending, struct btc_mis_send out[BTC_MIS_MAX])
{
	size_t n = 0;

	/* the earliest due one each time round: at most BTC_MAX_INJECT rounds,
	 * and the first index among equal due times */
	for (;;) {
		uint64_t first = btc_mis_delayed_due(c, done_ns, *pending);
		size_t i;

		if (first == UINT64_MAX || first > now_ns)
			return n;
		for (i = 0; i < BTC_MAX_INJECT; i++)
			if ((*pending & (UINT32_C(1) << i)) && due_at(c, done_ns, i) == first)
				break;
		*pending &= ~(UINT32_C(1) << i);
		add_injection(out, &n, &c->inject[i]);
	}
}

bool btc_mis_features(const struct btc_hs_config *c)
{
	/* After an early verack they would come after verack: that is the
	 * other switch (wtxidrelay-after-verack), so none are sent. */
	return !silent(c) &&
	       !(c->bugs & (BTC_BUG_NO_FEATURES | BTC_BUG_EARLY_VERACK | BTC_BUG_VERACK_FIRST));
}

unsigned btc_mis_veracks(const struct btc_hs_config *c)
{
	if (silent(c) || (c->bugs & NO_LATE_VERACK))
		return 0; /* none, or sent already */
	return (c->bugs & BTC_BUG_VERACK_TWICE) ? 2 : 1;
}

/* A user agent of n 'x's for the UA switches (n <= 257). */
static const char long_ua[] =
	"/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/";

void btc_mis_version_fields(const struct btc_hs_config *c, const struct btc_peer_info *peer,
			    size_t ua_len, struct btc_version *v)
{
	uint64_t bugs = c->bugs;

	if ((bugs & BTC_BUG_REUSE_NONCE) && peer)
		v->nonce = peer->nonce;
	if (ua_len && ua_len < sizeof(long_ua)) {
		v->user_agent = (const uint8_t *)long_ua;
		v->user_agent_len = ua_len;
	}
	if (bugs & BTC_BUG_NO_RELAY)
		v->present &= ~(unsigned)BTC_VERSION_HAS_RELAY;
	if (bugs & BTC_BUG_VERSION_NO_HEIGHT)
		v->present = BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT;
	if (bugs & BTC_BUG_VERSION_SHORT)
		v->present = 0;
}

void btc_mis_inject_msg(const struct btc_hs_config *c, const struct btc_inject *in,
			struct btc_msg *m)
{
	static const uint8_t four[4] = { 1, 2, 3, 4 };

	memset(m, 0, sizeof(*m));
	m->cmd = in->cmd;
	switch (in->cmd) {
	case BTC_CMD_PING:
	case BTC_CMD_PONG:
		c->rng(c->rng_ctx, (uint8_t *)&m->u.ping.nonce, sizeof(m->u.ping.nonce));
		m->u.ping.has_nonce = true;
		break;
	case BTC_CMD_SENDTXRCNCL:
		m->u.sendtxrcncl.version = 1; /* BIP 330 */
		c->rng(c->rng_ctx, (uint8_t *)&m->u.sendtxrcncl.salt,
		       sizeof(m->u.sendtxrcncl.salt));
		break;
	case BTC_CMD_SENDCMPCT:
		m->u.sendcmpct.version = 2; /* BIP 152, as Core sends it */
		break;
	case BTC_CMD_FEEFILTER:
		m->u.feerate = 1000;
		break;
	case BTC_CMD_REJECT:
		m->u.reject.message = (const uint8_t *)"version";
		m->u.reject.message_len = 7;
		m->u.reject.code = 0x11; /* REJECT_OBSOLETE */
		m->u.reject.reason = (const uint8_t *)"peershake";
		m->u.reject.reason_len = 9;
		break;
	case BTC_CMD_UNKNOWN:
		/* "unknowncmd" with 4 bytes, or an all-NUL command (valid for
		 * Core: an unknown message) */
		if (!in->empty_command) {
			memcpy(m->command, "unknowncmd", 10);
			m->payload = four;
			m->payload_len = sizeof(four);
		}
		break;
	case BTC_CMD_VERSION: /* btc_mis_extra sends ours instead */
	case BTC_CMD_VERACK:
	case BTC_CMD_WTXIDRELAY:
	case BTC_CMD_SENDADDRV2:
	case BTC_CMD_SENDHEADERS:
	case BTC_CMD_GETADDR:
	case BTC_CMD_COUNT_:
	default:
		break;
	}
}

int btc_mis_check(const struct btc_hs_config *c)
{
	if (c->transport == BTC_TRANSPORT_V2 && btc_mis_v1_frame_bugs(c))
		return PS_ERR_UNSUPPORTED;
	if (c->transport == BTC_TRANSPORT_V1 && c->v2_bugs)
		return PS_ERR_UNSUPPORTED;
	if ((c->v2_bugs & BTC_V2_BUG_DECOYS) &&
	    (c->v2_decoys < 1 || c->v2_decoys > BTC_V2_MAX_DECOYS))
		return PS_ERR_INVALID_ARG;
	if (alone(c) && !btc_mis_alone_applies(c->bugs))
		return PS_ERR_INVALID_ARG;
	/* a version of four fields has no user agent to encode otherwise */
	if ((c->bugs & BTC_BUG_UA_NONCANONICAL) && (c->bugs & BTC_BUG_VERSION_SHORT))
		return PS_ERR_INVALID_ARG;
	for (size_t i = 0; i < c->ninject && i < BTC_MAX_INJECT; i++) {
		const struct btc_inject *in = &c->inject[i];

		/* a delay counts from the end of the handshake: only after verack */
		if (in->delay_ms > BTC_INJECT_MAX_DELAY_MS ||
		    (in->delay_ms && in->when != BTC_AFTER_VERACK))
			return PS_ERR_INVALID_ARG;
	}
	return PS_OK;
}

bool btc_mis_alone_applies(uint64_t bugs)
{
	return (bugs & (SPOIL | BTC_BUG_UA_257)) != 0;
}

void btc_mis_transport_known(struct btc_hs_config *c, bool v2)
{
	if (v2)
		c->bugs &= ~btc_mis_v1_frame_bugs(c);
	else
		c->v2_bugs = 0;
}

int btc_mis_v2_config(const struct btc_hs_config *c, struct btc_hs_v2mis *room,
		      struct btc_v2_config *v2)
{
	uint32_t bugs = c->v2_bugs;
	uint8_t *contents = room->contents;
	bool own = false;

	memset(room, 0, sizeof(*room));
	memset(v2, 0, sizeof(*v2));
	v2->rng = c->rng;
	v2->rng_ctx = c->rng_ctx;
	v2->garbage_len = c->v2_garbage_len;
	v2->garbage_random = c->v2_garbage_random;
	v2->fixed = c->v2_fixed;
	if (c->v2_fixed)
		room->fixed = *c->v2_fixed;
	if ((bugs & V2_GARBAGE_LEN) && c->v2_fixed && c->v2_fixed->garbage)
		return PS_ERR_INVALID_ARG; /* the caller's garbage has its own length */
	if (bugs & BTC_V2_BUG_NO_TERMINATOR) {
		/* the most a peer scans for the terminator: "Receive up to
		 * 4111 bytes, stopping when encountering the garbage terminator" */
		v2->garbage_len = BTC_V2_MAX_GARBAGE;
		v2->garbage_random = false;
	}
	if (bugs & BTC_V2_BUG_GARBAGE_4096) {
		/* BIP324: "garbage_len < 4096" - one more */
		v2->garbage_len = BTC_V2_MIS_MAX_GARBAGE;
		v2->garbage_random = false;
		v2->garbage_over = true;
	}
	if (bugs & BTC_V2_BUG_FLIP_GARBAGE) {
		if (v2->garbage_random) {
			/* 1..4095, uniformly: 12 random bits, 0 drawn again */
			uint8_t b[2];

			do {
				c->rng(c->rng_ctx, b, sizeof(b));
				v2->garbage_len = ((size_t)b[0] | (size_t)b[1] << 8) & 0xfff;
			} while (v2->garbage_len == 0);
			v2->garbage_random = false;
		} else if (v2->garbage_len == 0) {
			return PS_ERR_INVALID_ARG; /* no garbage byte to flip */
		}
	}
	v2->long_types = (bugs & BTC_V2_BUG_LONG_TYPES) != 0;
	if (bugs & BTC_V2_BUG_DECOYS) {
		size_t n = c->v2_decoys <= BTC_V2_MAX_DECOYS ? c->v2_decoys : BTC_V2_MAX_DECOYS;

		for (size_t i = 0; i < n; i++) {
			struct btc_v2_packet *p = &room->pre[i];

			p->header = BTC_V2_IGNORE_BIT;
			p->len = rng_len(c, BTC_MIS_DECOY_MAX);
			p->contents = contents;
			if (p->len)
				c->rng(c->rng_ctx, contents, p->len);
			contents += p->len;
		}
		room->fixed.pre_version = room->pre;
		room->fixed.n_pre_version = n;
		own = true;
	}
	if (bugs & BTC_V2_BUG_VERSION_CONTENTS) {
		/* BIP324: "Any other value for content is reserved for future
		 * versions"; the receiver "ignores its contents" */
		room->version.contents = contents;
		room->version.len = BTC_MIS_VERSION_CONTENTS;
		c->rng(c->rng_ctx, contents, BTC_MIS_VERSION_CONTENTS);
		room->fixed.version = &room->version;
		own = true;
	}
	if (own)
		v2->fixed = &room->fixed;
	return PS_OK;
}

enum btc_mis_v2_next btc_mis_v2_piece(const struct btc_hs_config *c, const struct btc_v2_tx *tx,
				      uint8_t *bytes, size_t n, const char **note)
{
	uint32_t bugs = c->v2_bugs;

	if (n == 0)
		return BTC_MIS_V2_GO_ON;
	switch (tx->piece) {
	case BTC_V2_TX_KEY:
		if (bugs & BTC_V2_BUG_CLOSE_AFTER_KEY)
			return BTC_MIS_V2_CLOSE;
		if (bugs & BTC_V2_BUG_KEY_ONLY)
			return BTC_MIS_V2_MUTE;
		return BTC_MIS_V2_GO_ON;
	case BTC_V2_TX_GARBAGE:
		/* the first packet's aad is made from the garbage as it was
		 * (v2.c makes it again), so only the copy on the wire differs */
		if (bugs & BTC_V2_BUG_FLIP_GARBAGE) {
			bytes[0] ^= 0x01;
			*note = "v2 garbage, a bit flipped after its use as aad";
		}
		return BTC_MIS_V2_GO_ON;
	case BTC_V2_TX_TERMINATOR:
		if (bugs & BTC_V2_BUG_NO_TERMINATOR) {
			for (size_t i = 0; i < n; i++)
				bytes[i] ^= 0xff;
			*note = "v2 16 bytes that are not the terminator";
			return BTC_MIS_V2_MUTE;
		}
		if (bugs & BTC_V2_BUG_WRONG_TERMINATOR) {
			bytes[0] ^= 0x01;
			*note = "v2 garbage terminator, a bit flipped";
		}
		return BTC_MIS_V2_GO_ON;
	case BTC_V2_TX_VERSION:
		if (bugs & BTC_V2_BUG_V1_VERSION)
			return BTC_MIS_V2_V1_VERSION;
		/* the length's first byte is its least significant: 0 becomes 1 */
		if (bugs & BTC_V2_BUG_FLIP_LENGTH) {
			bytes[0] ^= 0x01;
			*note = "v2 version packet, a bit of its length flipped";
		}
		if (bugs & BTC_V2_BUG_FLIP_TAG) {
			bytes[n - 1] ^= 0x01;
			*note = (bugs & BTC_V2_BUG_FLIP_LENGTH)
					? "v2 version packet, a bit of its length and tag flipped"
					: "v2 version packet, a bit of its tag flipped";
		}
		return BTC_MIS_V2_GO_ON;
	case BTC_V2_TX_DECOY:
	default:
		return BTC_MIS_V2_GO_ON;
	}
}

/* v1 header offsets: magic 0, command 4, length 16, checksum 20 */
int btc_mis_rewrite(const struct btc_hs_config *c, uint64_t rewrite, uint8_t *frame, size_t *n,
		    size_t cap)
{
	static const uint8_t junk[8] = { 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef };
	size_t len = *n;

	if (len < BTC_HEADER_LEN || cap < len)
		return PS_ERR_INVALID_ARG;
	if (rewrite & (BTC_BUG_OVERSIZE | BTC_BUG_MAX_SIZE)) {
		len = BTC_HEADER_LEN; /* the header alone: its payload never comes, */
		/* nor do the rewrites of that payload */
		rewrite &= ~(uint64_t)(BTC_BUG_VERSION_TRAILING | BTC_BUG_UA_NONCANONICAL);
	}
	if ((rewrite & BTC_BUG_GARBAGE_AFTER) && cap - len < sizeof(junk))
		return PS_ERR_NOBUF;
	if (c->bugs & BTC_BUG_WRONG_MAGIC)
		frame[0] ^= 0xff;
	if (rewrite & BTC_BUG_VERSION_TRAILING) {
		/* 4 bytes after the relay byte, inside the payload (length and
		 * checksum cover them). Core reads nothing after fRelay: "if
		 * (!vRecv.empty()) vRecv >> fRelay" is the last read, the rest
		 * of the payload is left unread (room for later fields). */
		static const uint8_t more[4] = { 0x01, 0x02, 0x03, 0x04 };
		if (cap - len < sizeof(more))
			return PS_ERR_NOBUF;
		memcpy(frame + len, more, sizeof(more));
		len += sizeof(more);
		ps_store_u32le(frame + 16, (uint32_t)(len - BTC_HEADER_LEN));
		btc_checksum(frame + 20, frame + BTC_HEADER_LEN, len - BTC_HEADER_LEN);
	}
	if (rewrite & BTC_BUG_UA_NONCANONICAL) {
		/* the user agent's CompactSize after the 80 fixed bytes
		 * (version, services, time, addr_recv, addr_from, nonce) in two
		 * more bytes than it needs: a 1-byte length as fd LL 00, a
		 * 3-byte one (a user agent of 253 bytes or more) as fe LL LL 00
		 * 00. Core's ReadCompactSize: "non-canonical ReadCompactSize()"
		 * throws. */
		size_t at = BTC_HEADER_LEN + 80, was = 1;
		if (len <= at || frame[at] > 0xfd || cap - len < 2 ||
		    (frame[at] == 0xfd && len - at < 3))
			return PS_ERR_INVALID_ARG;
		if (frame[at] == 0xfd)
			was = 3;
		memmove(frame + at + was + 2, frame + at + was, len - at - was);
		if (was == 1) {
			frame[at + 1] = frame[at];
			frame[at + 2] = 0;
			frame[at] = 0xfd;
		} else {
			frame[at + 3] = 0;
			frame[at + 4] = 0;
			frame[at] = 0xfe;
		}
		len += 2;
		ps_store_u32le(frame + 16, (uint32_t)(len - BTC_HEADER_LEN));
		btc_checksum(frame + 20, frame + BTC_HEADER_LEN, len - BTC_HEADER_LEN);
	}
	if (rewrite & BTC_BUG_BAD_CHECKSUM)
		frame[20] ^= 0x01;
	if (rewrite & BTC_BUG_CHECKSUM_LAST)
		frame[23] ^= 0x01;
	if (rewrite & BTC_BUG_CMD_NOT_PADDED)
		frame[4 + 8] = 'X'; /* "version\0X\0\0\0" */
	if (rewrite & BTC_BUG_CMD_NONPRINTABLE)
		frame[4 + 6] = 0x01; /* "versio\x01" */
	if (rewrite & BTC_BUG_LENGTH_LARGER)
		ps_store_u32le(frame + 16, ps_load_u32le(frame + 16) + 1);
	if (rewrite & BTC_BUG_LENGTH_SMALLER)
		ps_store_u32le(frame + 16, ps_load_u32le(frame + 16) - 1);
	if (rewrite & (BTC_BUG_OVERSIZE | BTC_BUG_MAX_SIZE))
		ps_store_u32le(frame + 16, (rewrite & BTC_BUG_OVERSIZE) ? BTC_MAX_PAYLOAD + 1
									: BTC_MAX_PAYLOAD);
	if (rewrite & BTC_BUG_GARBAGE_AFTER) {
		memcpy(frame + len, junk, sizeof(junk));
		len += sizeof(junk);
	}
	*n = len;
	return PS_OK;
}
