#include "btc/wire.h"

#include <string.h>

#include "btc/params.h"
#include "crypto/crypto.h"

/* ---- header ---- */

int btc_header_decode(struct btc_header *out, const uint8_t *in, size_t len)
{
	if (len < BTC_HEADER_LEN)
		return PS_ERR_NEED_MORE;
	memcpy(out->magic, in, 4);
	memcpy(out->command, in + 4, BTC_COMMAND_LEN);
	out->length = ps_load_u32le(in + 16);
	memcpy(out->checksum, in + 20, 4);
	return PS_OK;
}

int btc_header_encode(struct ps_wcur *w, const struct btc_header *h)
{
	if (ps_wcur_left(w) < BTC_HEADER_LEN)
		return PS_ERR_NOBUF;
	memcpy(w->p, h->magic, 4);
	memcpy(w->p + 4, h->command, BTC_COMMAND_LEN);
	ps_store_u32le(w->p + 16, h->length);
	memcpy(w->p + 20, h->checksum, 4);
	w->p += BTC_HEADER_LEN;
	return PS_OK;
}

bool btc_command_valid(const uint8_t cmd[BTC_COMMAND_LEN])
{
	size_t i = 0;

	/* Core (protocol.cpp IsMessageTypeValid): "Check the message type
	 * string for errors": printable until the first NUL, then "Must be all
	 * zeros after the first zero". Twelve NULs pass that loop: Core takes
	 * an empty message type as valid (and unknown), so we do too. */
	for (; i < BTC_COMMAND_LEN && cmd[i] != 0; i++)
		if (cmd[i] < 0x20 || cmd[i] > 0x7e)
			return false;
	for (; i < BTC_COMMAND_LEN; i++)
		if (cmd[i] != 0)
			return false;
	return true;
}

int btc_command_set(uint8_t cmd[BTC_COMMAND_LEN], const char *name)
{
	size_t n = strlen(name);

	if (n > BTC_COMMAND_LEN)
		return PS_ERR_INVALID_ARG;
	memset(cmd, 0, BTC_COMMAND_LEN);
	memcpy(cmd, name, n);
	return PS_OK;
}

void btc_checksum(uint8_t out[4], const uint8_t *payload, size_t len)
{
	uint8_t h[32];

	cry_sha256d(h, payload, len);
	memcpy(out, h, 4);
}

/* ---- CompactSize and strings ---- */

int btc_compactsize_decode(uint64_t *out, struct ps_rcur *c)
{
	struct ps_rcur t = *c;
	uint8_t tag;
	uint16_t v16;
	uint32_t v32;
	uint64_t v;
	int r;

	if ((r = ps_get_u8(&t, &tag)) != PS_OK)
		return r;
	if (tag < 0xfd) {
		v = tag;
	} else if (tag == 0xfd) {
		if ((r = ps_get_u16le(&t, &v16)) != PS_OK)
			return r;
		if (v16 < 0xfd)
			return PS_ERR_NONCANONICAL;
		v = v16;
	} else if (tag == 0xfe) {
		if ((r = ps_get_u32le(&t, &v32)) != PS_OK)
			return r;
		if (v32 < 0x10000u)
			return PS_ERR_NONCANONICAL;
		v = v32;
	} else {
		if ((r = ps_get_u64le(&t, &v)) != PS_OK)
			return r;
		if (v < 0x100000000u)
			return PS_ERR_NONCANONICAL;
	}
	/* serialize.h: "if (range_check && nSizeRet > MAX_SIZE) throw
	 * std::ios_base::failure("ReadCompactSize(): size too large")". */
	if (v > BTC_MAX_COMPACTSIZE)
		return PS_ERR_TOO_LARGE;
	*out = v;
	*c = t;
	return PS_OK;
}

int btc_compactsize_encode(struct ps_wcur *w, uint64_t v)
{
	uint8_t buf[9];
	size_t n;

	if (v < 0xfd) {
		buf[0] = (uint8_t)v;
		n = 1;
	} else if (v <= 0xffff) {
		buf[0] = 0xfd;
		ps_store_u16le(buf + 1, (uint16_t)v);
		n = 3;
	} else if (v <= 0xffffffffu) {
		buf[0] = 0xfe;
		ps_store_u32le(buf + 1, (uint32_t)v);
		n = 5;
	} else {
		buf[0] = 0xff;
		ps_store_u64le(buf + 1, v);
		n = 9;
	}
	return ps_put_bytes(w, buf, n);
}

int btc_varstr_decode(const uint8_t **str, size_t *len, struct ps_rcur *c, size_t max)
{
	struct ps_rcur t = *c;
	uint64_t n;
	int r;

	if ((r = btc_compactsize_decode(&n, &t)) != PS_OK)
		return r;
	/* LIMITED_STRING: "String length limit exceeded" before reading. */
	if (n > max)
		return PS_ERR_TOO_LARGE;
	if ((r = ps_get_view(&t, str, (size_t)n)) != PS_OK)
		return r;
	*len = (size_t)n;
	*c = t;
	return PS_OK;
}

int btc_varstr_encode(struct ps_wcur *w, const uint8_t *str, size_t len)
{
	struct ps_wcur t = *w;
	int r;

	if ((r = btc_compactsize_encode(&t, len)) != PS_OK)
		return r;
	if ((r = ps_put_bytes(&t, str, len)) != PS_OK)
		return r;
	*w = t;
	return PS_OK;
}

/* ---- network address ---- */

int btc_netaddr_decode(struct btc_netaddr *out, struct ps_rcur *c)
{
	if (ps_rcur_left(c) < BTC_NETADDR_LEN)
		return PS_ERR_NEED_MORE;
	out->services = ps_load_u64le(c->p);
	memcpy(out->ip, c->p + 8, 16);
	out->port = ps_load_u16be(c->p + 24);
	c->p += BTC_NETADDR_LEN;
	return PS_OK;
}

int btc_netaddr_encode(struct ps_wcur *w, const struct btc_netaddr *a)
{
	if (ps_wcur_left(w) < BTC_NETADDR_LEN)
		return PS_ERR_NOBUF;
	ps_store_u64le(w->p, a->services);
	memcpy(w->p + 8, a->ip, 16);
	ps_store_u16be(w->p + 24, a->port);
	w->p += BTC_NETADDR_LEN;
	return PS_OK;
}

/* ---- messages ---- */

static const char *const cmd_names[BTC_CMD_COUNT_] = {
	[BTC_CMD_UNKNOWN] = "",
	[BTC_CMD_VERSION] = "version",
	[BTC_CMD_VERACK] = "verack",
	[BTC_CMD_WTXIDRELAY] = "wtxidrelay",
	[BTC_CMD_SENDADDRV2] = "sendaddrv2",
	[BTC_CMD_SENDTXRCNCL] = "sendtxrcncl",
	[BTC_CMD_SENDCMPCT] = "sendcmpct",
	[BTC_CMD_PING] = "ping",
	[BTC_CMD_PONG] = "pong",
	[BTC_CMD_FEEFILTER] = "feefilter",
	[BTC_CMD_SENDHEADERS] = "sendheaders",
	[BTC_CMD_GETADDR] = "getaddr",
	[BTC_CMD_REJECT] = "reject",
	[BTC_CMD_ADDR] = "addr",
	[BTC_CMD_ADDRV2] = "addrv2",
};

const char *btc_cmd_name(enum btc_cmd cmd)
{
	return (cmd >= 0 && cmd < BTC_CMD_COUNT_) ? cmd_names[cmd] : "";
}

enum btc_cmd btc_cmd_from_bytes(const uint8_t cmd[BTC_COMMAND_LEN])
{
	uint8_t want[BTC_COMMAND_LEN];

	for (int i = 1; i < BTC_CMD_COUNT_; i++) {
		if (btc_command_set(want, cmd_names[i]) != PS_OK)
			continue;
		if (memcmp(want, cmd, BTC_COMMAND_LEN) == 0)
			return (enum btc_cmd)i;
	}
	return BTC_CMD_UNKNOWN;
}

/* Core's version parsing (net_processing.cpp ProcessMessage "version"): the
 * first four fields are required; "if (!vRecv.empty())" guards each later
 * group, so a message may end after addr_recv, the nonce, the user agent or
 * the start height. A group cut in the middle is malformed. */
static int version_decode(struct btc_version *v, struct ps_rcur *c)
{
	uint32_t u32;
	uint64_t u64;

	memset(v, 0, sizeof(*v));
	if (ps_get_u32le(c, &u32) != PS_OK)
		return PS_ERR_MALFORMED;
	v->version = (int32_t)u32;
	if (ps_get_u64le(c, &v->services) != PS_OK || ps_get_u64le(c, &u64) != PS_OK ||
	    btc_netaddr_decode(&v->addr_recv, c) != PS_OK)
		return PS_ERR_MALFORMED;
	v->timestamp = (int64_t)u64;

	if (ps_rcur_left(c) == 0)
		return PS_OK;
	if (btc_netaddr_decode(&v->addr_from, c) != PS_OK || ps_get_u64le(c, &v->nonce) != PS_OK)
		return PS_ERR_MALFORMED;
	v->present |= BTC_VERSION_HAS_FROM_NONCE;

	if (ps_rcur_left(c) == 0)
		return PS_OK;
	{
		int r = btc_varstr_decode(&v->user_agent, &v->user_agent_len, c,
					  BTC_MAX_SUBVERSION);
		if (r == PS_ERR_NEED_MORE)
			return PS_ERR_MALFORMED;
		if (r != PS_OK)
			return r;
	}
	v->present |= BTC_VERSION_HAS_USER_AGENT;

	if (ps_rcur_left(c) == 0)
		return PS_OK;
	if (ps_get_u32le(c, &u32) != PS_OK)
		return PS_ERR_MALFORMED;
	v->start_height = (int32_t)u32;
	v->present |= BTC_VERSION_HAS_HEIGHT;

	if (ps_rcur_left(c) == 0)
		return PS_OK;
	if (ps_get_u8(c, &v->relay) != PS_OK)
		return PS_ERR_MALFORMED;
	v->present |= BTC_VERSION_HAS_RELAY;

	v->trailing = ps_rcur_left(c);
	c->p = c->end;
	return PS_OK;
}

static int reject_decode(struct btc_reject *rj, struct ps_rcur *c)
{
	int r;

	memset(rj, 0, sizeof(*rj));
	/* BIP 61: message (var_str, at most 12), ccode, reason (var_str,
	 * Core's MAX_REJECT_MESSAGE_LENGTH 111), optional data. */
	if ((r = btc_varstr_decode(&rj->message, &rj->message_len, c, BTC_COMMAND_LEN)) != PS_OK)
		return r == PS_ERR_NEED_MORE ? PS_ERR_MALFORMED : r;
	if (ps_get_u8(c, &rj->code) != PS_OK)
		return PS_ERR_MALFORMED;
	if ((r = btc_varstr_decode(&rj->reason, &rj->reason_len, c, 111)) != PS_OK)
		return r == PS_ERR_NEED_MORE ? PS_ERR_MALFORMED : r;
	if (ps_rcur_left(c) == 32) {
		rj->data = c->p;
		rj->data_len = 32;
		c->p += 32;
	}
	return PS_OK;
}

int btc_payload_decode(struct btc_msg *out, enum btc_cmd cmd,
		       const uint8_t command[BTC_COMMAND_LEN], const uint8_t *payload, size_t len)
{
	struct ps_rcur c = ps_rcur_make(payload, len);
	struct btc_msg m;
	int r = PS_OK;

	memset(&m, 0, sizeof(m));
	m.cmd = cmd;
	memcpy(m.command, command, BTC_COMMAND_LEN);
	m.payload = payload;
	m.payload_len = len;

	switch (cmd) {
	case BTC_CMD_VERSION:
		r = version_decode(&m.u.version, &c);
		break;
	case BTC_CMD_VERACK:
	case BTC_CMD_WTXIDRELAY:
	case BTC_CMD_SENDADDRV2:
	case BTC_CMD_SENDHEADERS:
	case BTC_CMD_GETADDR:
		break;
	case BTC_CMD_SENDTXRCNCL:
		if (ps_get_u32le(&c, &m.u.sendtxrcncl.version) != PS_OK ||
		    ps_get_u64le(&c, &m.u.sendtxrcncl.salt) != PS_OK)
			r = PS_ERR_MALFORMED;
		break;
	case BTC_CMD_SENDCMPCT:
		if (ps_get_u8(&c, &m.u.sendcmpct.announce) != PS_OK ||
		    ps_get_u64le(&c, &m.u.sendcmpct.version) != PS_OK)
			r = PS_ERR_MALFORMED;
		break;
	case BTC_CMD_PING:
	case BTC_CMD_PONG:
		/* BIP 31: a ping without a nonce is valid from old peers. */
		if (len == 0 && cmd == BTC_CMD_PING)
			break;
		if (ps_get_u64le(&c, &m.u.ping.nonce) != PS_OK) {
			r = PS_ERR_MALFORMED;
			break;
		}
		m.u.ping.has_nonce = true;
		break;
	case BTC_CMD_FEEFILTER: {
		uint64_t fee;
		/* validate first, write second: fee is unset after a failed read */
		if (ps_get_u64le(&c, &fee) != PS_OK) {
			r = PS_ERR_MALFORMED;
			break;
		}
		m.u.feerate = (int64_t)fee;
		break;
	}
	case BTC_CMD_REJECT:
		r = reject_decode(&m.u.reject, &c);
		break;
	case BTC_CMD_ADDR:
	case BTC_CMD_ADDRV2:
		/* checked whole here; trailing bytes are Core's to ignore */
		r = btc_addr_each(&m.u.addr.info,
				  cmd == BTC_CMD_ADDR ? BTC_ADDR_FMT_V1 : BTC_ADDR_FMT_V2, payload,
				  len, NULL, NULL);
		c.p = c.end;
		break;
	case BTC_CMD_UNKNOWN:
	default:
		c.p = c.end;
		break;
	}
	if (r != PS_OK)
		return r;
	if (ps_rcur_left(&c) != 0)
		return PS_ERR_TRAILING;
	*out = m;
	return PS_OK;
}

int btc_payload_fixed_len(enum btc_cmd cmd)
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
		return 1 + 8;
	case BTC_CMD_SENDTXRCNCL:
		return 4 + 8;
	case BTC_CMD_UNKNOWN:
	case BTC_CMD_VERSION:
	case BTC_CMD_REJECT:
	case BTC_CMD_ADDR:
	case BTC_CMD_ADDRV2:
	case BTC_CMD_COUNT_:
	default:
		return -1;
	}
}

static int version_encode(struct ps_wcur *w, const struct btc_version *v)
{
	int r;

	if ((r = ps_put_u32le(w, (uint32_t)v->version)) != PS_OK ||
	    (r = ps_put_u64le(w, v->services)) != PS_OK ||
	    (r = ps_put_u64le(w, (uint64_t)v->timestamp)) != PS_OK ||
	    (r = btc_netaddr_encode(w, &v->addr_recv)) != PS_OK)
		return r;
	if (!(v->present & BTC_VERSION_HAS_FROM_NONCE))
		return PS_OK;
	if ((r = btc_netaddr_encode(w, &v->addr_from)) != PS_OK ||
	    (r = ps_put_u64le(w, v->nonce)) != PS_OK)
		return r;
	if (!(v->present & BTC_VERSION_HAS_USER_AGENT))
		return PS_OK;
	if ((r = btc_varstr_encode(w, v->user_agent, v->user_agent_len)) != PS_OK)
		return r;
	if (!(v->present & BTC_VERSION_HAS_HEIGHT))
		return PS_OK;
	if ((r = ps_put_u32le(w, (uint32_t)v->start_height)) != PS_OK)
		return r;
	if (!(v->present & BTC_VERSION_HAS_RELAY))
		return PS_OK;
	return ps_put_u8(w, v->relay);
}

static int payload_encode(struct ps_wcur *w, const struct btc_msg *m)
{
	int r;

	switch (m->cmd) {
	case BTC_CMD_VERSION:
		return version_encode(w, &m->u.version);
	case BTC_CMD_VERACK:
	case BTC_CMD_WTXIDRELAY:
	case BTC_CMD_SENDADDRV2:
	case BTC_CMD_SENDHEADERS:
	case BTC_CMD_GETADDR:
		return PS_OK;
	case BTC_CMD_SENDTXRCNCL:
		if ((r = ps_put_u32le(w, m->u.sendtxrcncl.version)) != PS_OK)
			return r;
		return ps_put_u64le(w, m->u.sendtxrcncl.salt);
	case BTC_CMD_SENDCMPCT:
		if ((r = ps_put_u8(w, m->u.sendcmpct.announce)) != PS_OK)
			return r;
		return ps_put_u64le(w, m->u.sendcmpct.version);
	case BTC_CMD_PING:
		if (!m->u.ping.has_nonce)
			return PS_OK;
		return ps_put_u64le(w, m->u.ping.nonce);
	case BTC_CMD_PONG:
		return ps_put_u64le(w, m->u.ping.nonce);
	case BTC_CMD_FEEFILTER:
		return ps_put_u64le(w, (uint64_t)m->u.feerate);
	case BTC_CMD_REJECT:
		if ((r = btc_varstr_encode(w, m->u.reject.message, m->u.reject.message_len)) !=
			    PS_OK ||
		    (r = ps_put_u8(w, m->u.reject.code)) != PS_OK ||
		    (r = btc_varstr_encode(w, m->u.reject.reason, m->u.reject.reason_len)) != PS_OK)
			return r;
		return ps_put_bytes(w, m->u.reject.data, m->u.reject.data_len);
	case BTC_CMD_ADDR:
	case BTC_CMD_ADDRV2:
		return btc_addr_encode(w,
				       m->cmd == BTC_CMD_ADDR ? BTC_ADDR_FMT_V1 : BTC_ADDR_FMT_V2,
				       m->u.addr.entries, m->u.addr.n);
	case BTC_CMD_UNKNOWN:
	default:
		return PS_ERR_INVALID_ARG;
	}
}

int btc_payload_encode(struct ps_wcur *w, const struct btc_msg *m)
{
	struct ps_wcur t = *w;
	int r;

	if ((r = payload_encode(&t, m)) != PS_OK)
		return r;
	*w = t;
	return PS_OK;
}

int btc_msg_encode(struct ps_wcur *w, const uint8_t magic[4], const struct btc_msg *m)
{
	struct ps_wcur t = *w;
	struct btc_header h;
	uint8_t *payload;
	size_t plen;
	int r;

	if (ps_wcur_left(&t) < BTC_HEADER_LEN)
		return PS_ERR_NOBUF;
	payload = t.p + BTC_HEADER_LEN;
	t.p = payload;
	if (m->cmd == BTC_CMD_UNKNOWN) {
		if ((r = ps_put_bytes(&t, m->payload, m->payload_len)) != PS_OK)
			return r;
		memcpy(h.command, m->command, BTC_COMMAND_LEN);
	} else {
		if ((r = payload_encode(&t, m)) != PS_OK)
			return r;
		if ((r = btc_command_set(h.command, btc_cmd_name(m->cmd))) != PS_OK)
			return r;
	}
	plen = (size_t)(t.p - payload);
	memcpy(h.magic, magic, 4);
	h.length = (uint32_t)plen;
	btc_checksum(h.checksum, payload, plen);

	t.p = w->p;
	if ((r = btc_header_encode(&t, &h)) != PS_OK)
		return r;
	w->p = payload + plen;
	return PS_OK;
}
