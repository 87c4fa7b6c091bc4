#include "core/socks5.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/cursor.h"

/* ---- events ---- */

static void push_event(struct socks5 *s, const struct socks5_event *ev)
{
	/* at most 6 messages and one end: the ring never fills */
	if (s->ev_len == SOCKS5_EVENTS)
		return;
	s->ev[(s->ev_head + s->ev_len) % SOCKS5_EVENTS] = *ev;
	s->ev_len++;
}

static void event_msg(struct socks5 *s, enum socks5_ev_type type, enum socks5_msg msg, size_t bytes,
		      uint8_t code, const struct socks5_addr *addr, int err)
{
	struct socks5_event ev = {
		.type = type, .msg = msg, .bytes = bytes, .code = code, .addr = addr, .err = err
	};
	push_event(s, &ev);
}

static int fail(struct socks5 *s, int err, const char *note)
{
	struct socks5_event ev = { .type = SOCKS5_EV_FAILED, .err = err, .note = note };

	s->state = SOCKS5_FAILED;
	s->err = err;
	s->note = note;
	push_event(s, &ev);
	return err;
}

/* ---- building ---- */

/* Append a whole message to the output queue: it always fits (one of each
 * at most, SOCKS5_OUTBUF is their sum). */
static void queue(struct socks5 *s, const uint8_t *msg, size_t n, enum socks5_msg m, uint8_t code,
		  const struct socks5_addr *addr)
{
	memcpy(s->out + s->out_len, msg, n);
	s->out_len += n;
	s->bytes_out += n;
	event_msg(s, SOCKS5_EV_SENT, m, n, code, addr, PS_OK);
}

static void queue_greeting(struct socks5 *s)
{
	/* RFC 1928 section 3: "The client connects to the server, and sends
	 * a version identifier/method selection message". Core offers "no
	 * authentication" and, with credentials, "username/password" after
	 * it (netbase.cpp Socks5: vSocks5Init = {0x05, 0x02, 0x00, 0x02}). */
	uint8_t msg[4] = { SOCKS5_VERSION, 1, SOCKS5_METHOD_NONE, SOCKS5_METHOD_USERPASS };

	if (s->offer_userpass)
		msg[1] = 2;
	queue(s, msg, (size_t)2 + msg[1], SOCKS5_MSG_GREETING, msg[1], NULL);
}

static void queue_auth(struct socks5 *s)
{
	/* RFC 1929 section 2: VER 1 | ULEN | UNAME | PLEN | PASSWD */
	uint8_t msg[3 + 2 * SOCKS5_CRED_MAX];
	size_t n = 0;

	msg[n++] = SOCKS5_AUTH_VERSION;
	msg[n++] = (uint8_t)s->user_len;
	memcpy(msg + n, s->user, s->user_len);
	n += s->user_len;
	msg[n++] = (uint8_t)s->pass_len;
	memcpy(msg + n, s->pass, s->pass_len);
	n += s->pass_len;
	queue(s, msg, n, SOCKS5_MSG_AUTH, (uint8_t)s->user_len, NULL);
	memset(msg, 0, sizeof(msg));
	/* a compiler may drop the memset of a dying local: read it back */
	__asm__ __volatile__("" : : "r"(msg) : "memory");
}

static void queue_connect(struct socks5 *s)
{
	/* RFC 1928 section 4: VER | CMD | RSV | ATYP | DST.ADDR | DST.PORT;
	 * a name "the first octet of the address field contains the number
	 * of octets of name that follow, there is no terminating NUL octet" */
	uint8_t msg[SOCKS5_REPLY_MAX];
	size_t n = 0;

	msg[n++] = SOCKS5_VERSION;
	msg[n++] = SOCKS5_CMD_CONNECT;
	msg[n++] = 0;
	msg[n++] = s->dest.atyp;
	if (s->dest.atyp == SOCKS5_ATYP_DOMAIN)
		msg[n++] = (uint8_t)s->dest.len;
	memcpy(msg + n, s->dest.addr, s->dest.len);
	n += s->dest.len;
	ps_store_u16be(msg + n, s->dest.port);
	n += 2;
	queue(s, msg, n, SOCKS5_MSG_CONNECT, SOCKS5_CMD_CONNECT, &s->dest);
}

/* ---- decoders ---- */

int socks5_method_decode(uint8_t *method, const uint8_t *buf, size_t len)
{
	if (len < 2)
		return PS_ERR_NEED_MORE;
	/* RFC 1928 section 3: "The server selects from one of the methods
	 * given in METHODS, and sends a METHOD selection message": VER | METHOD */
	if (buf[0] != SOCKS5_VERSION)
		return PS_ERR_MALFORMED;
	*method = buf[1];
	return PS_OK;
}

int socks5_status_decode(uint8_t *status, const uint8_t *buf, size_t len)
{
	if (len < 2)
		return PS_ERR_NEED_MORE;
	/* RFC 1929 section 2: "The VER field contains the current version of
	 * the subnegotiation, which is X'01'" (Core refuses any other) */
	if (buf[0] != SOCKS5_AUTH_VERSION)
		return PS_ERR_MALFORMED;
	*status = buf[1];
	return PS_OK;
}

int socks5_reply_decode(uint8_t *rep, struct socks5_addr *bound, size_t *used, size_t *need,
			const uint8_t *buf, size_t len)
{
	struct ps_rcur c = ps_rcur_make(buf, len);
	struct socks5_addr a;
	const uint8_t *hdr, *v;
	uint8_t nlen = 0;
	size_t alen;

	memset(&a, 0, sizeof(a));
	if (need)
		*need = 5; /* the header and a name's length byte tell the size */
	if (ps_get_view(&c, &hdr, 4) != PS_OK)
		return PS_ERR_NEED_MORE;
	/* RFC 1928 section 6: VER | REP | RSV | ATYP | BND.ADDR | BND.PORT;
	 * section 4: "Fields marked RESERVED (RSV) must be set to X'00'." */
	if (hdr[0] != SOCKS5_VERSION || hdr[2] != 0)
		return PS_ERR_MALFORMED;
	switch (hdr[3]) {
	case SOCKS5_ATYP_IPV4:
		alen = 4;
		break;
	case SOCKS5_ATYP_IPV6:
		alen = 16;
		break;
	case SOCKS5_ATYP_DOMAIN:
		if (ps_get_u8(&c, &nlen) != PS_OK)
			return PS_ERR_NEED_MORE;
		alen = nlen;
		break;
	default:
		return PS_ERR_MALFORMED;
	}
	if (need)
		*need = (size_t)(c.p - buf) + alen + 2;
	if (ps_rcur_left(&c) < alen + 2)
		return PS_ERR_NEED_MORE;
	if (ps_get_view(&c, &v, alen) != PS_OK)
		return PS_ERR_NEED_MORE;
	a.atyp = hdr[3];
	a.len = alen;
	memcpy(a.addr, v, alen);
	a.port = ps_load_u16be(c.p);
	c.p += 2;
	*rep = hdr[1];
	*bound = a;
	*used = (size_t)(c.p - buf);
	return PS_OK;
}

int socks5_rep_error(uint8_t rep)
{
	/* RFC 1928 section 6, "REP Reply field" */
	switch (rep) {
	case 0x00:
		return PS_OK; /* succeeded */
	case 0x01:
		return PS_ERR_PROXY_GENERAL;
	case 0x02:
		return PS_ERR_PROXY_NOT_ALLOWED;
	case 0x03:
		return PS_ERR_PROXY_NET_UNREACH;
	case 0x04:
		return PS_ERR_PROXY_HOST_UNREACH;
	case 0x05:
		return PS_ERR_PROXY_REFUSED;
	case 0x06:
		return PS_ERR_PROXY_TTL_EXPIRED;
	case 0x07:
		return PS_ERR_PROXY_CMD_UNSUPPORTED;
	case 0x08:
		return PS_ERR_PROXY_ATYP_UNSUPPORTED;
	/* Tor's extended errors for onion services (socks-extensions.txt,
	 * "SOCKS5 extended error codes"; Core's TOR_HS_* replies) */
	case 0xf0:
		return PS_ERR_PROXY_ONION_NOT_FOUND;
	case 0xf1:
		return PS_ERR_PROXY_ONION_INVALID;
	case 0xf2:
		return PS_ERR_PROXY_ONION_INTRO_FAILED;
	case 0xf3:
		return PS_ERR_PROXY_ONION_REND_FAILED;
	case 0xf4:
		return PS_ERR_PROXY_ONION_AUTH_MISSING;
	case 0xf5:
		return PS_ERR_PROXY_ONION_AUTH_WRONG;
	case 0xf6:
		return PS_ERR_PROXY_ONION_BAD_ADDRESS;
	case 0xf7:
		return PS_ERR_PROXY_ONION_INTRO_TIMEOUT;
	default:
		return PS_ERR_PROXY_UNASSIGNED; /* "X'09' to X'FF' unassigned" */
	}
}

/* ---- the state machine ---- */

int socks5_init(struct socks5 *s, const struct socks5_config *cfg)
{
	const struct socks5_addr *d = &cfg->dest;
	bool creds = cfg->user || cfg->pass;

	switch (d->atyp) {
	case SOCKS5_ATYP_IPV4:
		if (d->len != 4)
			return PS_ERR_INVALID_ARG;
		break;
	case SOCKS5_ATYP_IPV6:
		if (d->len != 16)
			return PS_ERR_INVALID_ARG;
		break;
	case SOCKS5_ATYP_DOMAIN:
		if (d->len < 1 || d->len > SOCKS5_NAME_MAX)
			return PS_ERR_INVALID_ARG;
		break;
	default:
		return PS_ERR_INVALID_ARG;
	}
	if (d->port == 0)
		return PS_ERR_INVALID_ARG;
	/* RFC 1929: ULEN and PLEN are one byte; an empty name or password
	 * is no credential */
	if (creds &&
	    (!cfg->user || !cfg->pass || cfg->user_len < 1 || cfg->user_len > SOCKS5_CRED_MAX ||
	     cfg->pass_len < 1 || cfg->pass_len > SOCKS5_CRED_MAX))
		return PS_ERR_INVALID_ARG;
	memset(s, 0, sizeof(*s));
	s->dest = *d;
	if (creds) {
		s->offer_userpass = true;
		memcpy(s->user, cfg->user, cfg->user_len);
		memcpy(s->pass, cfg->pass, cfg->pass_len);
		s->user_len = cfg->user_len;
		s->pass_len = cfg->pass_len;
	}
	s->state = SOCKS5_EXPECT_METHOD;
	queue_greeting(s);
	return PS_OK;
}

size_t socks5_want(const struct socks5 *s)
{
	size_t need = 0, used;
	uint8_t rep;
	struct socks5_addr a;

	switch (s->state) {
	case SOCKS5_EXPECT_METHOD:
	case SOCKS5_EXPECT_AUTH_STATUS:
		return 2 - s->in_len;
	case SOCKS5_EXPECT_REPLY:
		/* a malformed header is judged by input once it is in, so
		 * ask for no more than the header then */
		if (socks5_reply_decode(&rep, &a, &used, &need, s->in, s->in_len) ==
		    PS_ERR_MALFORMED)
			return 1;
		return need > s->in_len ? need - s->in_len : 1;
	case SOCKS5_TUNNEL:
	case SOCKS5_FAILED:
	default:
		return 0;
	}
}

/* A whole method reply is in s->in. */
static int on_method(struct socks5 *s)
{
	uint8_t method = 0;

	if (socks5_method_decode(&method, s->in, s->in_len) != PS_OK)
		return fail(s, PS_ERR_PROXY_BAD_REPLY, "method reply version is not 5");
	event_msg(s, SOCKS5_EV_RECV, SOCKS5_MSG_METHOD, 2, method, NULL, PS_OK);
	/* RFC 1928 section 3: "If the selected METHOD is X'FF', none of the
	 * methods listed by the client are acceptable, and the client MUST
	 * close the connection." */
	if (method == SOCKS5_METHOD_UNACCEPTED)
		return fail(s, PS_ERR_PROXY_NO_METHOD, NULL);
	/* "The server selects from one of the methods given in METHODS" */
	if (method == SOCKS5_METHOD_USERPASS && s->offer_userpass) {
		s->state = SOCKS5_EXPECT_AUTH_STATUS;
		queue_auth(s);
		return PS_OK;
	}
	if (method != SOCKS5_METHOD_NONE)
		return fail(s, PS_ERR_PROXY_BAD_REPLY, "method not one we offered");
	s->state = SOCKS5_EXPECT_REPLY;
	queue_connect(s);
	return PS_OK;
}

static int on_status(struct socks5 *s)
{
	uint8_t status = 0;

	if (socks5_status_decode(&status, s->in, s->in_len) != PS_OK)
		return fail(s, PS_ERR_PROXY_BAD_REPLY, "auth status version is not 1");
	event_msg(s, SOCKS5_EV_RECV, SOCKS5_MSG_AUTH_STATUS, 2, status, NULL, PS_OK);
	/* RFC 1929 section 2: "A STATUS field of X'00' indicates success. If
	 * the server returns a `failure' (STATUS value other than X'00')
	 * status, it MUST close the connection." */
	if (status != 0)
		return fail(s, PS_ERR_PROXY_AUTH, NULL);
	s->state = SOCKS5_EXPECT_REPLY;
	queue_connect(s);
	return PS_OK;
}

static int on_reply(struct socks5 *s, size_t used)
{
	int err = socks5_rep_error(s->rep);
	struct socks5_event ev = { .type = SOCKS5_EV_RECV,
				   .msg = SOCKS5_MSG_REPLY,
				   .bytes = used,
				   .code = s->rep,
				   .addr = &s->bound,
				   .err = err };

	push_event(s, &ev);
	/* RFC 1928 section 6: "When a reply (REP value other than X'00')
	 * indicates a failure, the SOCKS server MUST terminate the TCP
	 * connection shortly after sending the reply." */
	if (err != PS_OK)
		return fail(s, err, NULL);
	s->state = SOCKS5_TUNNEL;
	ev = (struct socks5_event){ .type = SOCKS5_EV_SUCCESS };
	push_event(s, &ev);
	return PS_OK;
}

/* Which rule a malformed reply header broke (socks5_reply_decode said
 * PS_ERR_MALFORMED, so its 4 bytes are in). */
static const char *reply_fault(const uint8_t hdr[4])
{
	if (hdr[0] != SOCKS5_VERSION)
		return "reply version is not 5";
	if (hdr[2] != 0)
		return "reply RSV is not 0";
	return "reply ATYP is not 1, 3 or 4";
}

int socks5_input(struct socks5 *s, const uint8_t *data, size_t len, size_t *used)
{
	size_t taken = 0;
	int r = PS_OK;

	*used = 0;
	while (taken < len && r == PS_OK &&
	       (s->state == SOCKS5_EXPECT_METHOD || s->state == SOCKS5_EXPECT_AUTH_STATUS ||
		s->state == SOCKS5_EXPECT_REPLY)) {
		size_t want = socks5_want(s), n = len - taken, rused = 0;

		if (n > want)
			n = want;
		memcpy(s->in + s->in_len, data + taken, n);
		s->in_len += n;
		taken += n;
		s->bytes_in += n;
		if (s->state == SOCKS5_EXPECT_REPLY) {
			r = socks5_reply_decode(&s->rep, &s->bound, &rused, NULL, s->in, s->in_len);
			if (r == PS_ERR_NEED_MORE) {
				r = PS_OK;
				continue;
			}
			if (r != PS_OK) {
				r = fail(s, PS_ERR_PROXY_BAD_REPLY, reply_fault(s->in));
				break;
			}
			r = on_reply(s, rused);
		} else if (s->in_len == 2) {
			r = s->state == SOCKS5_EXPECT_METHOD ? on_method(s) : on_status(s);
			s->in_len = 0;
		}
	}
	*used = taken;
	return r;
}

bool socks5_next_event(struct socks5 *s, struct socks5_event *ev)
{
	if (!s->ev_len)
		return false;
	*ev = s->ev[s->ev_head];
	s->ev_head = (s->ev_head + 1) % SOCKS5_EVENTS;
	s->ev_len--;
	return true;
}

size_t socks5_output(const struct socks5 *s, const uint8_t **p)
{
	*p = s->out;
	return s->out_len;
}

void socks5_consume(struct socks5 *s, size_t n)
{
	if (n > s->out_len)
		n = s->out_len;
	memmove(s->out, s->out + n, s->out_len - n);
	s->out_len -= n;
	/* what moved down left its old copy (the password too) behind */
	memset(s->out + s->out_len, 0, n);
}

void socks5_close(struct socks5 *s, int reason)
{
	if (socks5_ended(s))
		return;
	(void)fail(s, reason == PS_ERR_TIMEOUT ? PS_ERR_PROXY_TIMEOUT : PS_ERR_PROXY_CLOSED, NULL);
}

enum ps_outcome socks5_outcome(const struct socks5 *s)
{
	return s->state == SOCKS5_TUNNEL   ? PS_SUCCESS
	       : s->state == SOCKS5_FAILED ? PS_FAILED
					   : PS_PENDING;
}

int socks5_error(const struct socks5 *s)
{
	return s->err;
}

bool socks5_ended(const struct socks5 *s)
{
	return s->state == SOCKS5_TUNNEL || s->state == SOCKS5_FAILED;
}

const char *socks5_note(const struct socks5 *s)
{
	return s->note;
}

const char *socks5_waiting_for(const struct socks5 *s)
{
	switch (s->state) {
	case SOCKS5_EXPECT_METHOD:
		return "method selection";
	case SOCKS5_EXPECT_AUTH_STATUS:
		return "auth status";
	case SOCKS5_EXPECT_REPLY:
		return "connect reply";
	case SOCKS5_TUNNEL:
	case SOCKS5_FAILED:
	default:
		return NULL;
	}
}

const struct socks5_addr *socks5_bound(const struct socks5 *s)
{
	return s->bound.atyp ? &s->bound : NULL;
}

int socks5_reply_code(const struct socks5 *s)
{
	return s->bound.atyp ? s->rep : -1;
}

uint64_t socks5_bytes_in(const struct socks5 *s)
{
	return s->bytes_in;
}

uint64_t socks5_bytes_out(const struct socks5 *s)
{
	return s->bytes_out;
}

void socks5_wipe(struct socks5 *s)
{
	memset(s->user, 0, sizeof(s->user));
	memset(s->pass, 0, sizeof(s->pass));
	memset(s->out, 0, sizeof(s->out));
	s->user_len = s->pass_len = s->out_len = 0;
	__asm__ __volatile__("" : : "r"(s) : "memory");
}

const char *socks5_msg_name(enum socks5_msg m)
{
	switch (m) {
	case SOCKS5_MSG_GREETING:
		return "greeting";
	case SOCKS5_MSG_METHOD:
		return "method";
	case SOCKS5_MSG_AUTH:
		return "auth";
	case SOCKS5_MSG_AUTH_STATUS:
		return "auth-status";
	case SOCKS5_MSG_CONNECT:
		return "connect";
	case SOCKS5_MSG_REPLY:
		return "reply";
	default:
		return "?";
	}
}

void socks5_addr_format(char *out, const struct socks5_addr *a)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	char name[SOCKS5_NAME_MAX + 1];

	switch (a->atyp) {
	case SOCKS5_ATYP_IPV4:
		inet_ntop(AF_INET, a->addr, ip, sizeof(ip));
		snprintf(out, SOCKS5_ADDRSTRLEN, "%s:%u", ip, a->port);
		break;
	case SOCKS5_ATYP_IPV6:
		inet_ntop(AF_INET6, a->addr, ip, sizeof(ip));
		snprintf(out, SOCKS5_ADDRSTRLEN, "[%s]:%u", ip, a->port);
		break;
	case SOCKS5_ATYP_DOMAIN:
		for (size_t i = 0; i < a->len; i++)
			name[i] = a->addr[i] > 0x20 && a->addr[i] < 0x7f ? (char)a->addr[i] : '?';
		name[a->len] = 0;
		snprintf(out, SOCKS5_ADDRSTRLEN, "%s:%u", name, a->port);
		break;
	default:
		snprintf(out, SOCKS5_ADDRSTRLEN, "?");
		break;
	}
}
