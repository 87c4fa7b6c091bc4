/*
 * test_socks5.c - ref/core/socks5: the SOCKS5 client (RFC 1928) with
 * username/password authentication (RFC 1929). The byte strings are built
 * by hand from the RFCs' message layouts (cited at each), not taken from
 * the implementation: the greeting (RFC 1928 section 3), the request
 * (section 4), the reply (section 6) and RFC 1929 section 2's
 * subnegotiation. Every REP code, every truncation, replies with bytes
 * after them, bad versions, bad RSV and ATYP.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/socks5.h"
#include "testutil.h"

/* 127.0.0.1:8333 as a destination */
static struct socks5_config cfg_ipv4(void)
{
	struct socks5_config c;

	memset(&c, 0, sizeof(c));
	c.dest.atyp = SOCKS5_ATYP_IPV4;
	c.dest.len = 4;
	memcpy(c.dest.addr, "\x7f\x00\x00\x01", 4);
	c.dest.port = 8333;
	return c;
}

static struct socks5_config cfg_name(const char *name)
{
	struct socks5_config c;

	memset(&c, 0, sizeof(c));
	c.dest.atyp = SOCKS5_ATYP_DOMAIN;
	c.dest.len = strlen(name);
	memcpy(c.dest.addr, name, c.dest.len);
	c.dest.port = 8333;
	return c;
}

/* The output queue equals want (n bytes); then it is consumed. */
static void expect_out(struct socks5 *s, const void *want, size_t n)
{
	const uint8_t *p;
	size_t len = socks5_output(s, &p);

	assert_int_equal(len, n);
	assert_memory_equal(p, want, n);
	socks5_consume(s, len);
	assert_int_equal(socks5_output(s, &p), 0);
}

/* Feed n bytes; all must be taken and the result be r. */
static void feed(struct socks5 *s, const void *data, size_t n, int r)
{
	size_t used = 12345;

	assert_int_equal(socks5_input(s, data, n, &used), r);
	assert_int_equal(used, n);
}

/* The next event is of type t and message m. */
static struct socks5_event expect_ev(struct socks5 *s, enum socks5_ev_type t, enum socks5_msg m)
{
	struct socks5_event ev;

	assert_true(socks5_next_event(s, &ev));
	assert_int_equal(ev.type, t);
	if (t == SOCKS5_EV_SENT || t == SOCKS5_EV_RECV)
		assert_int_equal(ev.msg, m);
	return ev;
}

static void drain_events(struct socks5 *s)
{
	struct socks5_event ev;

	while (socks5_next_event(s, &ev))
		;
}

/* A session up to the CONNECT request: greeting sent, method 0 in, the
 * request for 127.0.0.1:8333 out. */
static void up_to_reply(struct socks5 *s)
{
	struct socks5_config c = cfg_ipv4();

	assert_int_equal(socks5_init(s, &c), PS_OK);
	expect_out(s, "\x05\x01\x00", 3);
	feed(s, "\x05\x00", 2, PS_OK);
	/* RFC 1928 section 4: 05 | CMD 01 CONNECT | RSV 00 | ATYP 01 |
	 * 127.0.0.1 | port 8333 = 0x208d, network order */
	expect_out(s, "\x05\x01\x00\x01\x7f\x00\x00\x01\x20\x8d", 10);
	drain_events(s);
}

/* RFC 1928 section 3: without credentials only X'00' NO AUTHENTICATION
 * REQUIRED is offered: 05 01 00. */
static void test_greeting_no_auth(void **state)
{
	struct socks5 s;
	struct socks5_config c = cfg_ipv4();
	struct socks5_event ev;

	(void)state;
	assert_int_equal(socks5_init(&s, &c), PS_OK);
	ev = expect_ev(&s, SOCKS5_EV_SENT, SOCKS5_MSG_GREETING);
	assert_int_equal(ev.bytes, 3);
	assert_int_equal(ev.code, 1);
	expect_out(&s, "\x05\x01\x00", 3);
	assert_int_equal(socks5_outcome(&s), PS_PENDING);
	assert_string_equal(socks5_waiting_for(&s), "method selection");
	assert_int_equal(socks5_want(&s), 2);
}

/* With credentials X'00' and X'02' USERNAME/PASSWORD, as Core: 05 02 00 02;
 * then RFC 1929 section 2: 01 | ULEN | UNAME | PLEN | PASSWD, and a
 * STATUS of 00 leads to the request. */
static void test_userpass_success(void **state)
{
	struct socks5 s;
	struct socks5_config c = cfg_ipv4();
	struct socks5_event ev;

	(void)state;
	c.user = (const uint8_t *)"alice";
	c.user_len = 5;
	c.pass = (const uint8_t *)"secret";
	c.pass_len = 6;
	assert_int_equal(socks5_init(&s, &c), PS_OK);
	expect_out(&s, "\x05\x02\x00\x02", 4);
	feed(&s, "\x05\x02", 2, PS_OK);
	expect_out(&s,
		   "\x01\x05"
		   "alice"
		   "\x06"
		   "secret",
		   14);
	assert_string_equal(socks5_waiting_for(&s), "auth status");
	feed(&s, "\x01\x00", 2, PS_OK);
	expect_out(&s, "\x05\x01\x00\x01\x7f\x00\x00\x01\x20\x8d", 10);
	feed(&s, "\x05\x00\x00\x01\x0a\x00\x00\x02\xc3\x50", 10, PS_OK);
	assert_int_equal(socks5_outcome(&s), PS_SUCCESS);

	expect_ev(&s, SOCKS5_EV_SENT, SOCKS5_MSG_GREETING);
	ev = expect_ev(&s, SOCKS5_EV_RECV, SOCKS5_MSG_METHOD);
	assert_int_equal(ev.code, 2);
	ev = expect_ev(&s, SOCKS5_EV_SENT, SOCKS5_MSG_AUTH);
	assert_int_equal(ev.bytes, 14);
	ev = expect_ev(&s, SOCKS5_EV_RECV, SOCKS5_MSG_AUTH_STATUS);
	assert_int_equal(ev.code, 0);
	ev = expect_ev(&s, SOCKS5_EV_SENT, SOCKS5_MSG_CONNECT);
	assert_non_null(ev.addr);
	ev = expect_ev(&s, SOCKS5_EV_RECV, SOCKS5_MSG_REPLY);
	assert_int_equal(ev.bytes, 10);
	assert_int_equal(ev.code, 0);
	expect_ev(&s, SOCKS5_EV_SUCCESS, 0);
	assert_false(socks5_next_event(&s, &ev));
	/* 4 + 14 + 10 out, 2 + 2 + 10 in */
	assert_int_equal(socks5_bytes_out(&s), 28);
	assert_int_equal(socks5_bytes_in(&s), 14);

	/* the credentials are gone after the wipe */
	socks5_wipe(&s);
	for (size_t i = 0; i < sizeof(s.user); i++)
		assert_int_equal(s.user[i] | s.pass[i], 0);
}

/* A proxy that takes no-authentication although we offered both: no
 * subnegotiation, straight to the request. */
static void test_userpass_offered_none_chosen(void **state)
{
	struct socks5 s;
	struct socks5_config c = cfg_ipv4();

	(void)state;
	c.user = c.pass = (const uint8_t *)"x";
	c.user_len = c.pass_len = 1;
	assert_int_equal(socks5_init(&s, &c), PS_OK);
	expect_out(&s, "\x05\x02\x00\x02", 4);
	feed(&s, "\x05\x00", 2, PS_OK);
	expect_out(&s, "\x05\x01\x00\x01\x7f\x00\x00\x01\x20\x8d", 10);
}

/* RFC 1929 section 2: "If the server returns a `failure' (STATUS value
 * other than X'00') status, it MUST close the connection." */
static void test_auth_failed(void **state)
{
	struct socks5 s;
	struct socks5_config c = cfg_ipv4();
	const uint8_t *p;
	size_t used;

	(void)state;
	c.user = (const uint8_t *)"alice";
	c.user_len = 5;
	c.pass = (const uint8_t *)"wrong";
	c.pass_len = 5;
	assert_int_equal(socks5_init(&s, &c), PS_OK);
	expect_out(&s, "\x05\x02\x00\x02", 4);
	feed(&s, "\x05\x02", 2, PS_OK);
	expect_out(&s,
		   "\x01\x05"
		   "alice"
		   "\x05"
		   "wrong",
		   13);
	feed(&s, "\x01\x01", 2, PS_ERR_PROXY_AUTH);
	assert_int_equal(socks5_outcome(&s), PS_FAILED);
	assert_int_equal(socks5_error(&s), PS_ERR_PROXY_AUTH);
	assert_string_equal(ps_strerror(PS_ERR_PROXY_AUTH), "proxy: auth failed");
	assert_int_equal(socks5_output(&s, &p), 0); /* no request after a failure */
	/* input after the end: PS_OK, nothing taken */
	assert_int_equal(socks5_input(&s, (const uint8_t *)"\x05\x00", 2, &used), PS_OK);
	assert_int_equal(used, 0);
	assert_int_equal(socks5_error(&s), PS_ERR_PROXY_AUTH);
}

/* RFC 1929: "the current version of the subnegotiation, which is X'01'" */
static void test_auth_status_bad_version(void **state)
{
	struct socks5 s;
	struct socks5_config c = cfg_ipv4();
	uint8_t st = 0x77;

	(void)state;
	c.user = c.pass = (const uint8_t *)"u";
	c.user_len = c.pass_len = 1;
	assert_int_equal(socks5_init(&s, &c), PS_OK);
	feed(&s, "\x05\x02", 2, PS_OK);
	feed(&s, "\x05\x00", 2, PS_ERR_PROXY_BAD_REPLY); /* 05: a common server bug */
	assert_int_equal(socks5_status_decode(&st, (const uint8_t *)"\x05\x00", 2),
			 PS_ERR_MALFORMED);
	assert_int_equal(st, 0x77);
	assert_int_equal(socks5_status_decode(&st, (const uint8_t *)"\x01", 1), PS_ERR_NEED_MORE);
	assert_int_equal(socks5_status_decode(&st, (const uint8_t *)"\x01\x03", 2), PS_OK);
	assert_int_equal(st, 3);
}

/* RFC 1928 section 3: X'FF' NO ACCEPTABLE METHODS; a method we did not
 * offer (X'01' GSSAPI, or X'02' without credentials) and a version other
 * than 5 are bad replies. */
static void test_method_replies(void **state)
{
	static const struct {
		const char *reply;
		int err;
	} cases[] = {
		{ "\x05\xff", PS_ERR_PROXY_NO_METHOD }, { "\x05\x01", PS_ERR_PROXY_BAD_REPLY },
		{ "\x05\x02", PS_ERR_PROXY_BAD_REPLY }, { "\x05\x80", PS_ERR_PROXY_BAD_REPLY },
		{ "\x04\x00", PS_ERR_PROXY_BAD_REPLY }, { "\x00\x00", PS_ERR_PROXY_BAD_REPLY },
	};
	uint8_t m = 0x77;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct socks5 s;
		struct socks5_config c = cfg_ipv4();
		const uint8_t *p;

		assert_int_equal(socks5_init(&s, &c), PS_OK);
		expect_out(&s, "\x05\x01\x00", 3);
		feed(&s, cases[i].reply, 2, cases[i].err);
		assert_int_equal(socks5_error(&s), cases[i].err);
		assert_int_equal(socks5_outcome(&s), PS_FAILED);
		assert_true(socks5_ended(&s));
		assert_null(socks5_waiting_for(&s));
		assert_int_equal(socks5_want(&s), 0);
		assert_int_equal(socks5_output(&s, &p), 0);
	}
	assert_int_equal(socks5_method_decode(&m, (const uint8_t *)"\x04\x00", 2),
			 PS_ERR_MALFORMED);
	assert_int_equal(m, 0x77);
	assert_int_equal(socks5_method_decode(&m, (const uint8_t *)"\x05", 1), PS_ERR_NEED_MORE);
	assert_int_equal(m, 0x77);
}

/* RFC 1928 section 4: a name goes as ATYP X'03', its length first and no
 * NUL; it is never resolved (the test has no resolver to call). */
static void test_connect_domain(void **state)
{
	static const char onion[] =
		"pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";
	struct socks5 s;
	struct socks5_config c = cfg_name(onion);
	uint8_t want[4 + 1 + sizeof(onion) - 1 + 2];
	size_t n = 0;

	(void)state;
	want[n++] = 5;
	want[n++] = 1;
	want[n++] = 0;
	want[n++] = 3;
	want[n++] = (uint8_t)(sizeof(onion) - 1);
	memcpy(want + n, onion, sizeof(onion) - 1);
	n += sizeof(onion) - 1;
	want[n++] = 0x20;
	want[n++] = 0x8d;
	assert_int_equal(socks5_init(&s, &c), PS_OK);
	expect_out(&s, "\x05\x01\x00", 3);
	feed(&s, "\x05\x00", 2, PS_OK);
	expect_out(&s, want, n);
}

/* ATYP X'04': 16 bytes of address */
static void test_connect_ipv6(void **state)
{
	struct socks5 s;
	struct socks5_config c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.dest.atyp = SOCKS5_ATYP_IPV6;
	c.dest.len = 16;
	c.dest.addr[15] = 1; /* ::1 */
	c.dest.port = 18444;
	assert_int_equal(socks5_init(&s, &c), PS_OK);
	expect_out(&s, "\x05\x01\x00", 3);
	feed(&s, "\x05\x00", 2, PS_OK);
	expect_out(&s,
		   "\x05\x01\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
		   "\x00\x01\x48\x0c",
		   22);
}

/* RFC 1928 section 6, every REP value: X'00' succeeded, X'01'..X'08' each
 * its own reason, X'09' to X'FF' unassigned, except Tor's extended codes
 * X'F0'..X'F7' (socks-extensions.txt). The table is written here from
 * the RFC, not from the implementation. */
static int rep_reason(unsigned rep)
{
	static const int rfc[] = {
		PS_OK,
		PS_ERR_PROXY_GENERAL,	       /* general SOCKS server failure */
		PS_ERR_PROXY_NOT_ALLOWED,      /* connection not allowed by ruleset */
		PS_ERR_PROXY_NET_UNREACH,      /* Network unreachable */
		PS_ERR_PROXY_HOST_UNREACH,     /* Host unreachable */
		PS_ERR_PROXY_REFUSED,	       /* Connection refused */
		PS_ERR_PROXY_TTL_EXPIRED,      /* TTL expired */
		PS_ERR_PROXY_CMD_UNSUPPORTED,  /* Command not supported */
		PS_ERR_PROXY_ATYP_UNSUPPORTED, /* Address type not supported */
	};
	static const int tor[] = {
		PS_ERR_PROXY_ONION_NOT_FOUND,	 PS_ERR_PROXY_ONION_INVALID,
		PS_ERR_PROXY_ONION_INTRO_FAILED, PS_ERR_PROXY_ONION_REND_FAILED,
		PS_ERR_PROXY_ONION_AUTH_MISSING, PS_ERR_PROXY_ONION_AUTH_WRONG,
		PS_ERR_PROXY_ONION_BAD_ADDRESS,	 PS_ERR_PROXY_ONION_INTRO_TIMEOUT,
	};

	if (rep <= 8)
		return rfc[rep];
	if (rep >= 0xf0 && rep <= 0xf7)
		return tor[rep - 0xf0];
	return PS_ERR_PROXY_UNASSIGNED;
}

static void test_every_rep_code(void **state)
{
	(void)state;
	for (unsigned rep = 0; rep <= 255; rep++) {
		struct socks5 s;
		uint8_t reply[10] = { 5, (uint8_t)rep, 0, 1, 10, 0, 0, 9, 0x01, 0xbb };
		struct socks5_event ev;
		int want = rep_reason(rep);

		up_to_reply(&s);
		feed(&s, reply, sizeof(reply), want);
		assert_int_equal(socks5_rep_error((uint8_t)rep), want);
		assert_int_equal(socks5_error(&s), want);
		assert_int_equal(socks5_outcome(&s), want == PS_OK ? PS_SUCCESS : PS_FAILED);
		assert_int_equal(socks5_reply_code(&s), (int)rep);
		/* BND is kept either way: 10.0.0.9:443 */
		assert_non_null(socks5_bound(&s));
		assert_int_equal(socks5_bound(&s)->port, 443);
		ev = expect_ev(&s, SOCKS5_EV_RECV, SOCKS5_MSG_REPLY);
		assert_int_equal(ev.code, rep);
		assert_int_equal(ev.err, want);
		ev = expect_ev(&s, want == PS_OK ? SOCKS5_EV_SUCCESS : SOCKS5_EV_FAILED, 0);
		assert_int_equal(ev.err, want);
		assert_false(socks5_next_event(&s, &ev));
	}
	/* the words the results carry */
	assert_string_equal(ps_strerror(PS_ERR_PROXY_REFUSED), "proxy: connection refused");
	assert_string_equal(ps_strerror(PS_ERR_PROXY_HOST_UNREACH), "proxy: host unreachable");
	assert_string_equal(ps_strerror(PS_ERR_PROXY_NET_UNREACH), "proxy: network unreachable");
}

/* The three reply shapes of section 6: BND as IPv4 (10 bytes), IPv6 (22)
 * and a name (7 + its length, up to 255). */
struct shaped {
	uint8_t buf[SOCKS5_REPLY_MAX + 16];
	size_t len;
	uint8_t atyp;
	size_t alen;
};

static struct shaped reply_v4(void)
{
	struct shaped r = {
		.buf = { 5, 0, 0, 1, 192, 0, 2, 7, 0x1f, 0x90 }, .len = 10, .atyp = 1, .alen = 4
	};
	return r;
}

static struct shaped reply_v6(void)
{
	struct shaped r = { .buf = { 5, 0, 0, 4, 0x20, 0x01, 0x0d, 0xb8 }, .atyp = 4, .alen = 16 };

	r.buf[19] = 1; /* 2001:db8::1 */
	r.buf[20] = 0x1f;
	r.buf[21] = 0x90;
	r.len = 22;
	return r;
}

static struct shaped reply_name(size_t n)
{
	struct shaped r = { .buf = { 5, 0, 0, 3, (uint8_t)n }, .atyp = 3, .alen = n };

	memset(r.buf + 5, 'a', n);
	r.buf[5 + n] = 0x1f;
	r.buf[6 + n] = 0x90;
	r.len = 7 + n;
	return r;
}

static void check_decode(const struct shaped *r)
{
	uint8_t rep = 0x77;
	struct socks5_addr a, before;
	size_t used = 999, need = 0;

	memset(&a, 0xaa, sizeof(a));
	before = a;
	/* whole: its size and fields */
	assert_int_equal(socks5_reply_decode(&rep, &a, &used, &need, r->buf, r->len), PS_OK);
	assert_int_equal(used, r->len);
	assert_int_equal(rep, 0);
	assert_int_equal(a.atyp, r->atyp);
	assert_int_equal(a.len, r->alen);
	assert_int_equal(a.port, 8080);
	/* every truncation: need more, nothing written; once the header is
	 * in, need says the whole size */
	for (size_t k = 0; k < r->len; k++) {
		uint8_t rep2 = 0x77;
		size_t used2 = 999;
		struct socks5_addr b = before;

		assert_int_equal(socks5_reply_decode(&rep2, &b, &used2, &need, r->buf, k),
				 PS_ERR_NEED_MORE);
		assert_int_equal(rep2, 0x77);
		assert_int_equal(used2, 999);
		assert_memory_equal(&b, &before, sizeof(b));
		if (k >= (r->atyp == 3 ? 5u : 4u))
			assert_int_equal(need, r->len);
		else
			assert_true(need > k && need <= r->len);
	}
	/* bytes after it are not looked at */
	assert_int_equal(socks5_reply_decode(&rep, &a, &used, NULL, r->buf, sizeof(r->buf)), PS_OK);
	assert_int_equal(used, r->len);
}

static void test_reply_decode_shapes(void **state)
{
	struct shaped r;
	char text[SOCKS5_ADDRSTRLEN];
	uint8_t rep;
	struct socks5_addr a;
	size_t used;

	(void)state;
	r = reply_v4();
	check_decode(&r);
	assert_int_equal(socks5_reply_decode(&rep, &a, &used, NULL, r.buf, r.len), PS_OK);
	socks5_addr_format(text, &a);
	assert_string_equal(text, "192.0.2.7:8080");
	r = reply_v6();
	check_decode(&r);
	assert_int_equal(socks5_reply_decode(&rep, &a, &used, NULL, r.buf, r.len), PS_OK);
	socks5_addr_format(text, &a);
	assert_string_equal(text, "[2001:db8::1]:8080");
	for (size_t n = 0; n <= 255; n += (n < 3 ? 1 : 63))
		r = reply_name(n), check_decode(&r);
	r = reply_name(255);
	check_decode(&r);
	assert_int_equal(r.len, SOCKS5_REPLY_MAX);
}

/* RFC 1928 section 6: VER X'05'; section 4: "Fields marked RESERVED (RSV)
 * must be set to X'00'"; ATYP only 1, 3, 4. Each is a bad reply, and the
 * decoder writes nothing. */
static void test_reply_malformed(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		const char *note;
	} bad[] = {
		{ "\x04\x00\x00\x01\x7f\x00\x00\x01\x00\x50", 10,
		  "reply version is not 5" }, /* SOCKS4's version */
		{ "\x00\x5a\x00\x01\x7f\x00\x00\x01\x00\x50", 10,
		  "reply version is not 5" }, /* a SOCKS4 reply */
		{ "\x06\x00\x00\x01\x7f\x00\x00\x01\x00\x50", 10, "reply version is not 5" },
		{ "\x05\x00\x01\x01\x7f\x00\x00\x01\x00\x50", 10,
		  "reply RSV is not 0" }, /* RSV 1 */
		{ "\x05\x00\xff\x01\x7f\x00\x00\x01\x00\x50", 10,
		  "reply RSV is not 0" }, /* RSV ff */
		{ "\x05\x00\x00\x00\x7f\x00\x00\x01\x00\x50", 10,
		  "reply ATYP is not 1, 3 or 4" }, /* ATYP 0 */
		{ "\x05\x00\x00\x02\x7f\x00\x00\x01\x00\x50", 10,
		  "reply ATYP is not 1, 3 or 4" }, /* ATYP 2 */
		{ "\x05\x00\x00\x05\x7f\x00\x00\x01\x00\x50", 10,
		  "reply ATYP is not 1, 3 or 4" }, /* ATYP 5 */
		{ "\x05\x00\x00\xff\x7f\x00\x00\x01\x00\x50", 10,
		  "reply ATYP is not 1, 3 or 4" }, /* ATYP ff */
		{ "\x05\x05\x00\x07\x7f\x00\x00\x01\x00\x50", 10,
		  "reply ATYP is not 1, 3 or 4" }, /* bad ATYP beats REP */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct socks5 s;
		uint8_t rep = 0x77;
		struct socks5_addr a, before;
		size_t used = 999, taken = 0;

		memset(&a, 0xaa, sizeof(a));
		before = a;
		assert_int_equal(socks5_reply_decode(&rep, &a, &used, NULL,
						     (const uint8_t *)bad[i].bytes, bad[i].len),
				 PS_ERR_MALFORMED);
		assert_int_equal(rep, 0x77);
		assert_int_equal(used, 999);
		assert_memory_equal(&a, &before, sizeof(a));

		up_to_reply(&s);
		assert_int_equal(
			socks5_input(&s, (const uint8_t *)bad[i].bytes, bad[i].len, &taken),
			PS_ERR_PROXY_BAD_REPLY);
		assert_true(taken <= 5); /* judged on the header */
		assert_int_equal(socks5_outcome(&s), PS_FAILED);
		assert_string_equal(socks5_note(&s), bad[i].note);
		assert_null(socks5_bound(&s));
		assert_int_equal(socks5_reply_code(&s), -1);
	}
}

/* Every truncation of each reply shape through the state machine: still
 * pending, want exactly what is missing (so a caller reading that much
 * never reads the peer's bytes), then the rest succeeds. Also a byte at a
 * time. */
static void test_reply_truncated_and_resumed(void **state)
{
	struct shaped shapes[4];

	(void)state;
	shapes[0] = reply_v4();
	shapes[1] = reply_v6();
	shapes[2] = reply_name(0);
	shapes[3] = reply_name(255);
	for (size_t i = 0; i < 4; i++) {
		const struct shaped *r = &shapes[i];

		for (size_t k = 0; k < r->len; k++) {
			struct socks5 s;

			up_to_reply(&s);
			feed(&s, r->buf, k, PS_OK);
			assert_int_equal(socks5_outcome(&s), PS_PENDING);
			assert_string_equal(socks5_waiting_for(&s), "connect reply");
			assert_true(socks5_want(&s) >= 1);
			assert_true(socks5_want(&s) <= r->len - k);
			if (k >= (r->atyp == 3 ? 5u : 4u))
				assert_int_equal(socks5_want(&s), r->len - k);
			/* the peer closes here: the proxy's failure */
			socks5_close(&s, PS_ERR_CLOSED);
			assert_int_equal(socks5_error(&s), PS_ERR_PROXY_CLOSED);
		}
		{
			struct socks5 s;

			up_to_reply(&s);
			for (size_t k = 0; k < r->len; k++) {
				assert_int_equal(socks5_outcome(&s), PS_PENDING);
				feed(&s, r->buf + k, 1, PS_OK);
			}
			assert_int_equal(socks5_outcome(&s), PS_SUCCESS);
			assert_int_equal(socks5_bound(&s)->atyp, r->atyp);
			assert_int_equal(socks5_bound(&s)->len, r->alen);
			assert_int_equal(socks5_bound(&s)->port, 8080);
			assert_int_equal(socks5_want(&s), 0);
		}
	}
}

/* A reply with more behind it (the peer's first bytes in the same
 * segment): only the reply is taken, the rest is left for the core. */
static void test_reply_oversized(void **state)
{
	struct shaped shapes[3];

	(void)state;
	shapes[0] = reply_v4();
	shapes[1] = reply_v6();
	shapes[2] = reply_name(17);
	for (size_t i = 0; i < 3; i++) {
		struct shaped *r = &shapes[i];
		struct socks5 s;
		size_t used = 0;

		memcpy(r->buf + r->len, "\xf9\xbe\xb4\xd9version", 11);
		up_to_reply(&s);
		assert_int_equal(socks5_input(&s, r->buf, r->len + 11, &used), PS_OK);
		assert_int_equal(used, r->len);
		assert_int_equal(socks5_outcome(&s), PS_SUCCESS);
		assert_int_equal(socks5_bytes_in(&s), 2 + r->len);
		/* after the end nothing more is taken */
		assert_int_equal(socks5_input(&s, r->buf + r->len, 11, &used), PS_OK);
		assert_int_equal(used, 0);
	}
	/* method reply and the next bytes at once: the second is not lost */
	{
		struct socks5 s;
		struct socks5_config c = cfg_ipv4();
		uint8_t both[] = { 5, 0, 5, 0, 0, 1, 1, 2, 3, 4, 0, 80 };
		size_t used = 0;

		assert_int_equal(socks5_init(&s, &c), PS_OK);
		assert_int_equal(socks5_input(&s, both, sizeof(both), &used), PS_OK);
		assert_int_equal(used, sizeof(both));
		assert_int_equal(socks5_outcome(&s), PS_SUCCESS);
	}
}

static void test_close_and_timeout(void **state)
{
	struct socks5 s;
	struct socks5_config c = cfg_ipv4();

	(void)state;
	assert_int_equal(socks5_init(&s, &c), PS_OK);
	socks5_close(&s, PS_ERR_TIMEOUT);
	assert_int_equal(socks5_error(&s), PS_ERR_PROXY_TIMEOUT);
	expect_ev(&s, SOCKS5_EV_SENT, SOCKS5_MSG_GREETING);
	expect_ev(&s, SOCKS5_EV_FAILED, 0);

	assert_int_equal(socks5_init(&s, &c), PS_OK);
	socks5_close(&s, PS_ERR_SYSTEM); /* a socket error: the link to the proxy */
	assert_int_equal(socks5_error(&s), PS_ERR_PROXY_CLOSED);
	assert_string_equal(ps_strerror(PS_ERR_PROXY_CLOSED), "proxy: closed");

	/* after success a close changes nothing: the peer's from then on */
	up_to_reply(&s);
	feed(&s, "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00", 10, PS_OK);
	socks5_close(&s, PS_ERR_CLOSED);
	assert_int_equal(socks5_outcome(&s), PS_SUCCESS);
	assert_int_equal(socks5_error(&s), PS_OK);
}

static void test_init_refusals(void **state)
{
	struct socks5 s;
	struct socks5_config c;
	uint8_t big[256];
	const uint8_t *p;

	(void)state;
	memset(big, 'x', sizeof(big));
	memset(&s, 0x5a, sizeof(s));
	c = cfg_ipv4(), c.dest.atyp = 2;
	assert_int_equal(socks5_init(&s, &c), PS_ERR_INVALID_ARG);
	c = cfg_ipv4(), c.dest.len = 16;
	assert_int_equal(socks5_init(&s, &c), PS_ERR_INVALID_ARG);
	c = cfg_ipv4(), c.dest.atyp = SOCKS5_ATYP_IPV6;
	assert_int_equal(socks5_init(&s, &c), PS_ERR_INVALID_ARG);
	c = cfg_ipv4(), c.dest.port = 0;
	assert_int_equal(socks5_init(&s, &c), PS_ERR_INVALID_ARG);
	c = cfg_name("a"), c.dest.len = 0;
	assert_int_equal(socks5_init(&s, &c), PS_ERR_INVALID_ARG);
	c = cfg_name("a"), c.dest.len = 256;
	assert_int_equal(socks5_init(&s, &c), PS_ERR_INVALID_ARG);
	c = cfg_ipv4(), c.user = big, c.user_len = 1; /* no password */
	assert_int_equal(socks5_init(&s, &c), PS_ERR_INVALID_ARG);
	c = cfg_ipv4(), c.user = c.pass = big, c.user_len = 256, c.pass_len = 1;
	assert_int_equal(socks5_init(&s, &c), PS_ERR_INVALID_ARG);
	c = cfg_ipv4(), c.user = c.pass = big, c.user_len = 1, c.pass_len = 0;
	assert_int_equal(socks5_init(&s, &c), PS_ERR_INVALID_ARG);
	/* a refusal leaves the struct as it was */
	for (size_t i = 0; i < sizeof(s); i++)
		assert_int_equal(((const uint8_t *)&s)[i], 0x5a);
	/* the limits themselves are fine: 255-byte name, name and password */
	c = cfg_name("a"), c.dest.len = 255;
	memset(c.dest.addr, 'b', 255);
	c.user = c.pass = big;
	c.user_len = c.pass_len = 255;
	assert_int_equal(socks5_init(&s, &c), PS_OK);
	expect_out(&s, "\x05\x02\x00\x02", 4);
	feed(&s, "\x05\x02", 2, PS_OK);
	assert_int_equal(socks5_output(&s, &p), 3 + 255 + 255);
	assert_int_equal(p[1], 255);
	assert_int_equal(p[2 + 255], 255);
	socks5_consume(&s, 3 + 255 + 255);
	feed(&s, "\x01\x00", 2, PS_OK);
	assert_int_equal(socks5_output(&s, &p), 4 + 1 + 255 + 2);
}

/* A partly sent message stays queued in order; consume past the end is
 * clamped. */
static void test_partial_consume(void **state)
{
	struct socks5 s;
	struct socks5_config c = cfg_ipv4();
	const uint8_t *p;

	(void)state;
	assert_int_equal(socks5_init(&s, &c), PS_OK);
	socks5_consume(&s, 1);
	assert_int_equal(socks5_output(&s, &p), 2);
	assert_memory_equal(p, "\x01\x00", 2);
	socks5_consume(&s, 99);
	assert_int_equal(socks5_output(&s, &p), 0);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(socks5_msg_name(SOCKS5_MSG_GREETING), "greeting");
	assert_string_equal(socks5_msg_name(SOCKS5_MSG_METHOD), "method");
	assert_string_equal(socks5_msg_name(SOCKS5_MSG_AUTH), "auth");
	assert_string_equal(socks5_msg_name(SOCKS5_MSG_AUTH_STATUS), "auth-status");
	assert_string_equal(socks5_msg_name(SOCKS5_MSG_CONNECT), "connect");
	assert_string_equal(socks5_msg_name(SOCKS5_MSG_REPLY), "reply");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting_no_auth),
		cmocka_unit_test(test_userpass_success),
		cmocka_unit_test(test_userpass_offered_none_chosen),
		cmocka_unit_test(test_auth_failed),
		cmocka_unit_test(test_auth_status_bad_version),
		cmocka_unit_test(test_method_replies),
		cmocka_unit_test(test_connect_domain),
		cmocka_unit_test(test_connect_ipv6),
		cmocka_unit_test(test_every_rep_code),
		cmocka_unit_test(test_reply_decode_shapes),
		cmocka_unit_test(test_reply_malformed),
		cmocka_unit_test(test_reply_truncated_and_resumed),
		cmocka_unit_test(test_reply_oversized),
		cmocka_unit_test(test_close_and_timeout),
		cmocka_unit_test(test_init_refusals),
		cmocka_unit_test(test_partial_consume),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
