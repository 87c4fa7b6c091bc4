#include "btc/misbehave.h"

#include <string.h>

/* drop-class rewrites: a spoiled version goes out first, then a correct one */
#define SPOIL (BTC_BUG_BAD_CHECKSUM | BTC_BUG_CMD_NOT_PADDED | BTC_BUG_CMD_NONPRINTABLE)
/* framing rewrites of our one version */
#define FRAME                                                                                      \
	(BTC_BUG_LENGTH_LARGER | BTC_BUG_LENGTH_SMALLER | BTC_BUG_OVERSIZE | BTC_BUG_MAX_SIZE |    \
	 BTC_BUG_GARBAGE_AFTER)
/* switches after which our verack is not sent after their version */
#define NO_LATE_VERACK (BTC_BUG_NO_VERACK | BTC_BUG_EARLY_VERACK | BTC_BUG_VERACK_FIRST)

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

bool btc_mis_our_version(const struct btc_hs_config *c, struct btc_mis_send *ours)
{
	memset(ours, 0, sizeof(*ours));
	ours->kind = BTC_MIS_VERSION;
	ours->rewrite = c->bugs & FRAME;
	ours->ua_len = (c->bugs & BTC_BUG_UA_256) ? BTC_MAX_SUBVERSION : 0;
	return !silent(c);
}

static void add(struct btc_mis_send *out, size_t *n, enum btc_mis_kind kind, uint64_t rewrite,
		size_t ua_len, const struct btc_inject *in)
{
	out[*n].kind = kind;
	out[*n].rewrite = rewrite;
	out[*n].ua_len = ua_len;
	out[*n].inject = in;
	(*n)++;
}

static void add_injections(const struct btc_hs_config *c, enum btc_when when,
			   struct btc_mis_send *out, size_t *n)
{
	for (size_t i = 0; i < c->ninject && i < BTC_MAX_INJECT; i++) {
		const struct btc_inject *in = &c->inject[i];
		if (in->when != when)
			continue;
		/* an injected version is a plain one of ours */
		if (in->cmd == BTC_CMD_VERSION)
			add(out, n, BTC_MIS_VERSION, 0, 0, NULL);
		else
			add(out, n, BTC_MIS_INJECT, 0, 0, in);
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
		if (bugs & BTC_BUG_VERACK_FIRST)
			add(out, &n, BTC_MIS_VERACK, 0, 0, NULL);
		if (bugs & SPOIL)
			add(out, &n, BTC_MIS_VERSION, bugs & SPOIL, 0, NULL);
		if (bugs & BTC_BUG_UA_257)
			add(out, &n, BTC_MIS_VERSION, 0, BTC_MAX_SUBVERSION + 1, NULL);
		break;
	case BTC_MIS_AFTER_VERSION:
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
		break;
	default:
		break;
	}
	return n;
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

/* v1 header offsets: magic 0, command 4, length 16, checksum 20 */
int btc_mis_rewrite(const struct btc_hs_config *c, uint64_t rewrite, uint8_t *frame, size_t *n,
		    size_t cap)
{
	static const uint8_t junk[8] = { 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef };
	size_t len = *n;

	if (len < BTC_HEADER_LEN || cap < len)
		return PS_ERR_INVALID_ARG;
	if (rewrite & (BTC_BUG_OVERSIZE | BTC_BUG_MAX_SIZE))
		len = BTC_HEADER_LEN; /* the header alone: its payload never comes */
	if ((rewrite & BTC_BUG_GARBAGE_AFTER) && cap - len < sizeof(junk))
		return PS_ERR_NOBUF;
	if (c->bugs & BTC_BUG_WRONG_MAGIC)
		frame[0] ^= 0xff;
	if (rewrite & BTC_BUG_BAD_CHECKSUM)
		frame[20] ^= 0x01;
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
