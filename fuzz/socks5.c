/*
 * socks5 - the SOCKS5 client (core/socks5.h): its reply decoders and the
 * state machine, driven by a proxy the input plays.
 *
 * Checked: the reply decoder against a reference (size from ATYP and the
 * name's length byte; VER 5, RSV 0, ATYP 1/3/4), writing nothing on
 * error; the state machine, fed the input's bytes in pieces the input
 * chooses, with partial sends and closes: never takes more than offered
 * nor past the CONNECT reply (want bounds it), takes nothing after the
 * end; outcome fixed once ended; SUCCESS only after a reply whose REP is
 * 0 (checked against the reference decode of the bytes it took), with BND
 * kept; every failure a PS_ERR_PROXY_*; SUCCESS or FAILED once and last;
 * events bounded; output bounded and only whole messages in order
 * (greeting, auth only with credentials after method 2, connect).
 *
 * Input: flags (1: credentials, 2: IPv6 destination, 4: name) | then ops:
 * op byte (low 2 bits: 0 feed n, 1 send n, 2 close, 3 feed the rest; the
 * upper 6 bits are n).
 */
#include "fuzz.h"

#include "core/socks5.h"

/* The reference: the size of the reply at the start of b, 0 when it is
 * malformed, SIZE_MAX when more bytes are needed. */
static size_t reply_size_ref(const uint8_t *b, size_t n)
{
	size_t alen;

	if (n < 4)
		return SIZE_MAX;
	if (b[0] != 5 || b[2] != 0)
		return 0;
	if (b[3] == 1)
		alen = 4;
	else if (b[3] == 4)
		alen = 16;
	else if (b[3] == 3) {
		if (n < 5)
			return SIZE_MAX;
		alen = 1 + (size_t)b[4];
	} else
		return 0;
	return 4 + alen + 2 <= n ? 4 + alen + 2 : SIZE_MAX;
}

static void check_decoder(const uint8_t *b, size_t n)
{
	uint8_t rep = 0xa5;
	struct socks5_addr a, before;
	size_t used = 777, need = 0, want = reply_size_ref(b, n);
	int r;

	memset(&a, 0x5c, sizeof(a));
	before = a;
	r = socks5_reply_decode(&rep, &a, &used, &need, b, n);
	if (want == 0 || want == SIZE_MAX) {
		FUZZ_ASSERT(r == (want ? PS_ERR_NEED_MORE : PS_ERR_MALFORMED));
		FUZZ_ASSERT(rep == 0xa5 && used == 777);
		FUZZ_ASSERT(memcmp(&a, &before, sizeof(a)) == 0);
		if (r == PS_ERR_NEED_MORE)
			FUZZ_ASSERT(need > n && need <= SOCKS5_REPLY_MAX);
		return;
	}
	FUZZ_ASSERT(r == PS_OK && used == want && rep == b[1]);
	FUZZ_ASSERT(a.atyp == b[3] && a.len == (b[3] == 3 ? b[4] : b[3] == 1 ? 4u : 16u));
	FUZZ_ASSERT(a.port == (b[used - 2] << 8 | b[used - 1]));
	FUZZ_ASSERT(memcmp(a.addr, b + (b[3] == 3 ? 5 : 4), a.len) == 0);
}

/* What has been sent so far must be whole messages in order. */
struct sent {
	uint8_t buf[2 * SOCKS5_OUTBUF];
	size_t len;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct socks5 s;
	static struct sent out;
	static uint8_t taken[4096];
	struct fdp f = fdp_make(data, size);
	uint8_t flags = fdp_u8(&f);
	struct socks5_config cfg;
	struct socks5_event ev;
	size_t ntaken = 0, nev = 0, ends = 0;
	bool creds = flags & 1;
	enum ps_outcome last = PS_PENDING;

	check_decoder(f.p, f.n);

	memset(&cfg, 0, sizeof(cfg));
	if (flags & 4) {
		cfg.dest.atyp = SOCKS5_ATYP_DOMAIN;
		cfg.dest.len = 1 + (size_t)(flags >> 3);
		memset(cfg.dest.addr, 'n', cfg.dest.len);
	} else if (flags & 2) {
		cfg.dest.atyp = SOCKS5_ATYP_IPV6;
		cfg.dest.len = 16;
	} else {
		cfg.dest.atyp = SOCKS5_ATYP_IPV4;
		cfg.dest.len = 4;
	}
	cfg.dest.port = 8333;
	if (creds) {
		cfg.user = (const uint8_t *)"user";
		cfg.user_len = 4;
		cfg.pass = (const uint8_t *)"password";
		cfg.pass_len = 8;
	}
	FUZZ_ASSERT(socks5_init(&s, &cfg) == PS_OK);
	out.len = 0;

	while (fdp_left(&f)) {
		uint8_t op = fdp_u8(&f);
		size_t n = op >> 2, used = 999;
		const uint8_t *p;
		bool was_ended = socks5_ended(&s);
		enum ps_outcome before = socks5_outcome(&s);
		size_t want = socks5_want(&s);
		int r;

		FUZZ_ASSERT(was_ended ? want == 0 : want >= 1 && want <= SOCKS5_REPLY_MAX);
		switch (op & 3) {
		case 0:
		case 3:
			if ((op & 3) == 3)
				n = fdp_left(&f);
			if (n > fdp_left(&f))
				n = fdp_left(&f);
			p = f.p;
			r = socks5_input(&s, p, n, &used);
			f.p += n;
			f.n -= n;
			FUZZ_ASSERT(used <= n);
			if (was_ended)
				FUZZ_ASSERT(r == PS_OK && used == 0);
			/* nothing is taken past the reply: what is left over
			 * only after the end */
			if (used < n)
				FUZZ_ASSERT(socks5_ended(&s));
			if (r != PS_OK)
				FUZZ_ASSERT(socks5_outcome(&s) == PS_FAILED &&
					    r == socks5_error(&s));
			if (ntaken + used <= sizeof(taken))
				memcpy(taken + ntaken, p, used);
			ntaken += used;
			break;
		case 1: {
			size_t q = socks5_output(&s, &p);
			FUZZ_ASSERT(q <= SOCKS5_OUTBUF);
			if (n > q)
				n = q;
			if (out.len + n <= sizeof(out.buf)) {
				memcpy(out.buf + out.len, p, n);
				out.len += n;
			}
			socks5_consume(&s, n);
			break;
		}
		case 2:
		default:
			socks5_close(&s, n & 1 ? PS_ERR_TIMEOUT : PS_ERR_CLOSED);
			FUZZ_ASSERT(socks5_ended(&s));
			break;
		}
		if (before != PS_PENDING)
			FUZZ_ASSERT(socks5_outcome(&s) == before);
		while (socks5_next_event(&s, &ev)) {
			FUZZ_ASSERT(ends == 0); /* SUCCESS or FAILED is the last */
			nev++;
			if (ev.type == SOCKS5_EV_SUCCESS || ev.type == SOCKS5_EV_FAILED)
				ends++;
			if (ev.type == SOCKS5_EV_FAILED)
				FUZZ_ASSERT(ev.err <= PS_ERR_PROXY_GENERAL &&
					    ev.err >= PS_ERR_PROXY_UNAVAILABLE);
		}
		FUZZ_ASSERT(nev <= 7);
		last = socks5_outcome(&s);
	}
	FUZZ_ASSERT(socks5_bytes_in(&s) == ntaken);
	FUZZ_ASSERT(ends == (socks5_ended(&s) ? 1u : 0u));
	if (last == PS_FAILED)
		FUZZ_ASSERT(socks5_error(&s) <= PS_ERR_PROXY_GENERAL &&
			    socks5_error(&s) >= PS_ERR_PROXY_UNAVAILABLE);
	if (last == PS_SUCCESS && ntaken <= sizeof(taken)) {
		/* the bytes it took: the method reply, the status with
		 * credentials when method 2 was chosen, then a reply of REP 0
		 * that ends exactly where the taking stopped */
		size_t at = 2;
		FUZZ_ASSERT(ntaken >= 2 && taken[0] == 5);
		FUZZ_ASSERT(taken[1] == 0 || (creds && taken[1] == 2));
		if (taken[1] == 2) {
			FUZZ_ASSERT(taken[2] == 1 && taken[3] == 0);
			at = 4;
		}
		FUZZ_ASSERT(reply_size_ref(taken + at, ntaken - at) == ntaken - at);
		FUZZ_ASSERT(taken[at + 1] == 0);
		FUZZ_ASSERT(socks5_bound(&s) && socks5_bound(&s)->atyp == taken[at + 3]);
	}
	/* what went out: the greeting first */
	if (out.len >= 2)
		FUZZ_ASSERT(out.buf[0] == 5 && out.buf[1] == (creds ? 2 : 1));
	if (out.len >= 2 + (size_t)out.buf[1] + 1) {
		size_t at = 2 + (size_t)out.buf[1];
		/* then auth (VER 1) only with credentials, or connect (VER 5) */
		FUZZ_ASSERT(out.buf[at] == (creds && out.buf[at] == 1 ? 1 : 5));
	}
	socks5_wipe(&s);
	return 0;
}
