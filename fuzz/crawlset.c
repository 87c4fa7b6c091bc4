/*
 * crawlset - the crawler's address bookkeeping (cli/crawlset.h): the set of
 * known addresses and the --allow/--deny prefixes, driven by an operation
 * stream and checked against a reference model kept here: a plain array
 * searched linearly, and prefixes compared bit by bit.
 *
 * Checked: crawl_set_add returns 1 exactly when the address is new and the
 * set holds fewer than max, 0 when it is there already (whatever its time
 * and services), PS_ERR_NOBUF when new and the set is full (not added),
 * PS_ERR_INVALID_ARG for a network crawlset does not keep or a length not
 * its network's (PS_ERR_NOMEM allowed, then nothing added); crawl_set_has
 * agrees with the model; n equals the model's count and never exceeds
 * max; the table is a power of two at most half full whose occupied slots
 * are exactly the model's entries; crawl_set_init refuses max 0; free and
 * init again start empty. crawl_cidr_parse of a prefix printed from its
 * bits succeeds exactly when the length is in range and no host bit is
 * set, of any text exactly when a reference of its grammar says so, and
 * writes nothing when it fails; what it parses prints and parses back the
 * same. crawl_addr_parse_ip agrees with inet_pton. crawl_cidr_match and
 * crawl_filter_allows agree with a bitwise prefix compare of the
 * reference, for IPv4, IPv6, every other network and wrong lengths.
 *
 * Not here: crawl.c's queue, depth and --max-peers bounds and its tallies
 * are static functions over struct crawl and the run (run.c's queue, the
 * report): no pure interface to drive.
 *
 * Input: max - 1 (1 byte), the hash key (16 bytes), then operations, each
 * an op byte (low 3 bits: 0 add, 1 has, 2 add again an entry of the model,
 * 3 add a near neighbour of one, 4 a prefix from its bits, 5 a prefix and an
 * address as text, 6 a filter query, 7 clear the prefixes or, with bit 3,
 * free and init the set again with a new max) and its arguments.
 */
#include "fuzz.h"

#include <arpa/inet.h>

#include "cli/crawlset.h"

#define MODEL_MAX 256
#define LIST_MAX  8

static struct {
	struct btc_addr a[MODEL_MAX];
	size_t n, max;
} model;

static struct crawl_cidr list[LIST_MAX];
static size_t nlist;

/* The reference: whether a is a key the set keeps, and key equality
 * (network, length, the address's bytes, port). */
static bool ref_keeps(const struct btc_addr *a)
{
	size_t want = a->net == BTC_NET_IPV4				  ? 4
		      : a->net == BTC_NET_IPV6 || a->net == BTC_NET_CJDNS ? 16
		      : a->net == BTC_NET_TORV3 || a->net == BTC_NET_I2P  ? 32
									  : 0;
	return want && a->len == want;
}

static bool ref_same(const struct btc_addr *x, const struct btc_addr *y)
{
	return x->net == y->net && x->len == y->len && x->port == y->port &&
	       memcmp(x->bytes, y->bytes, x->len) == 0;
}

static bool ref_has(const struct btc_addr *a)
{
	if (!ref_keeps(a))
		return false;
	for (size_t i = 0; i < model.n; i++)
		if (ref_same(&model.a[i], a))
			return true;
	return false;
}

static bool bit(const uint8_t *b, size_t i)
{
	return (b[i / 8] >> (7 - i % 8)) & 1;
}

static bool ref_match(const struct crawl_cidr *c, const struct btc_addr *a)
{
	if (a->net != c->net || a->len != (c->net == BTC_NET_IPV4 ? 4 : 16))
		return false;
	for (size_t i = 0; i < c->bits; i++)
		if (bit(a->bytes, i) != bit(c->addr, i))
			return false;
	return true;
}

static bool ref_allows(const struct btc_addr *a)
{
	bool any_allow = false, in_allow = false;

	if (a->net != BTC_NET_IPV4 && a->net != BTC_NET_IPV6)
		return false;
	for (size_t i = 0; i < nlist; i++) {
		if (list[i].deny && ref_match(&list[i], a))
			return false;
		if (!list[i].deny) {
			any_allow = true;
			in_allow = in_allow || ref_match(&list[i], a);
		}
	}
	return !any_allow || in_allow;
}

/* An address from the input: mostly the kept networks at their length,
 * sometimes any id or a wrong length; few distinct bytes and ports, so
 * the same address comes again. */
static void take_addr(struct fdp *f, struct btc_addr *a)
{
	static const uint8_t nets[8] = { BTC_NET_IPV4,	BTC_NET_IPV6, BTC_NET_TORV3, BTC_NET_I2P,
					 BTC_NET_CJDNS, BTC_NET_IPV4, BTC_NET_IPV6,  0 };
	uint8_t sel = fdp_u8(f), flags = fdp_u8(f);
	uint8_t fill = (flags & 6) == 0	  ? 0
		       : (flags & 6) == 2 ? 0xff
		       : (flags & 6) == 4 ? 127
					  : 0x5a;

	memset(a, 0, sizeof(*a));
	a->net = nets[sel & 7] ? nets[sel & 7] : fdp_u8(f);
	a->len = (uint8_t)btc_net_addr_len(a->net);
	if (flags & 1)
		a->len = fdp_u8(f) % 34; /* 33: past bytes[32], refused first */
	memset(a->bytes, fill, sizeof(a->bytes));
	a->bytes[0] = fdp_u8(f);
	if (a->len > 1)
		a->bytes[a->len > 32 ? 31 : a->len - 1] = fdp_u8(f);
	a->port = (flags & 8) ? fdp_u16(f) : (uint16_t)(sel >> 3 & 3);
	a->time = fdp_u32(f);
	a->services = fdp_u8(f);
}

static void check_add(struct crawl_set *s, const struct btc_addr *a)
{
	bool keeps = ref_keeps(a), had = ref_has(a);
	int r = crawl_set_add(s, a);

	if (!keeps) {
		FUZZ_ASSERT(r == PS_ERR_INVALID_ARG);
	} else if (had) {
		FUZZ_ASSERT(r == 0);
	} else if (model.n >= model.max) {
		FUZZ_ASSERT(r == PS_ERR_NOBUF);
	} else {
		FUZZ_ASSERT(r == 1 || r == PS_ERR_NOMEM);
		if (r == 1) {
			FUZZ_ASSERT(model.n < MODEL_MAX);
			model.a[model.n++] = *a;
		}
	}
	FUZZ_ASSERT(s->n == model.n && s->n <= s->max && s->max == model.max);
	FUZZ_ASSERT(crawl_set_has(s, a) == ref_has(a));
}

/* The whole table against the model. */
static void check_set(const struct crawl_set *s)
{
	size_t used = 0;

	FUZZ_ASSERT(s->n == model.n && s->n <= s->max);
	FUZZ_ASSERT((s->cap & (s->cap - 1)) == 0);
	FUZZ_ASSERT(s->cap == 0 ? s->n == 0 && !s->slot : 2 * s->n <= s->cap && s->slot);
	for (size_t i = 0; i < s->cap; i++) {
		const struct crawl_key *k = &s->slot[i];
		bool found = false;
		if (k->net == 0)
			continue;
		used++;
		for (size_t j = 0; j < model.n && !found; j++) {
			const struct btc_addr *a = &model.a[j];
			found = k->net == a->net && k->len == a->len && k->port == a->port &&
				memcmp(k->bytes, a->bytes, a->len) == 0;
		}
		FUZZ_ASSERT(found);
	}
	FUZZ_ASSERT(used == s->n);
	for (size_t j = 0; j < model.n; j++)
		FUZZ_ASSERT(crawl_set_has(s, &model.a[j]));
}

/* The reference of crawl_cidr_parse's grammar: HOST/LEN, HOST an IPv4 or
 * IPv6 address of under 64 characters, LEN 1 to 3 decimal digits at most
 * the address's bits, no host bit set past LEN. */
static bool ref_cidr_parse(struct crawl_cidr *c, const char *s, bool deny)
{
	const char *slash = strchr(s, '/');
	char host[64];
	size_t hlen, dig, bytes;
	unsigned bits = 0;

	if (!slash || slash == s || (hlen = (size_t)(slash - s)) >= sizeof(host))
		return false;
	memcpy(host, s, hlen);
	host[hlen] = 0;
	memset(c, 0, sizeof(*c));
	c->deny = deny;
	if (inet_pton(AF_INET, host, c->addr) == 1) {
		c->net = BTC_NET_IPV4;
		bytes = 4;
	} else if (inet_pton(AF_INET6, host, c->addr) == 1) {
		c->net = BTC_NET_IPV6;
		bytes = 16;
	} else {
		return false;
	}
	dig = strlen(slash + 1);
	if (dig < 1 || dig > 3)
		return false;
	for (size_t i = 0; i < dig; i++) {
		if (slash[1 + i] < '0' || slash[1 + i] > '9')
			return false;
		bits = bits * 10 + (unsigned)(slash[1 + i] - '0');
	}
	if (bits > bytes * 8)
		return false;
	for (size_t i = bits; i < bytes * 8; i++)
		if (bit(c->addr, i))
			return false;
	c->bits = (uint8_t)bits;
	return true;
}

static void cidr_format(char *out, size_t cap, const struct crawl_cidr *c)
{
	char host[INET6_ADDRSTRLEN];

	FUZZ_ASSERT(inet_ntop(c->net == BTC_NET_IPV4 ? AF_INET : AF_INET6, c->addr, host,
			      sizeof(host)) != NULL);
	snprintf(out, cap, "%s/%u", host, c->bits);
}

/* Parse s both ways; they must agree, and a failure writes nothing. */
static int check_cidr_text(struct crawl_cidr *out, const char *s, bool deny)
{
	struct crawl_cidr c, ref, again;
	int r;
	char text[INET6_ADDRSTRLEN + 8];

	memset(&c, 0x5c, sizeof(c));
	r = crawl_cidr_parse(&c, s, deny);
	if (!ref_cidr_parse(&ref, s, deny)) {
		uint8_t junk[sizeof(c)];
		memset(junk, 0x5c, sizeof(junk));
		FUZZ_ASSERT(r == PS_ERR_MALFORMED);
		FUZZ_ASSERT(memcmp(&c, junk, sizeof(c)) == 0);
		return r;
	}
	FUZZ_ASSERT(r == PS_OK);
	FUZZ_ASSERT(c.net == ref.net && c.bits == ref.bits && c.deny == deny &&
		    memcmp(c.addr, ref.addr, sizeof(c.addr)) == 0);
	/* printed and parsed back: the same prefix */
	cidr_format(text, sizeof(text), &c);
	FUZZ_ASSERT(crawl_cidr_parse(&again, text, deny) == PS_OK);
	FUZZ_ASSERT(again.net == c.net && again.bits == c.bits && again.deny == c.deny &&
		    memcmp(again.addr, c.addr, sizeof(c.addr)) == 0);
	*out = c;
	return r;
}

/* A prefix from its bits: the length sometimes past the address's, the
 * host bits masked unless the input says keep them. */
static void op_cidr(struct fdp *f)
{
	struct crawl_cidr c, got;
	uint8_t flags = fdp_u8(f);
	size_t bytes = flags & 1 ? 16 : 4;
	char text[INET6_ADDRSTRLEN + 8];
	bool host_set = false;
	int r;

	memset(&c, 0, sizeof(c));
	c.net = flags & 1 ? BTC_NET_IPV6 : BTC_NET_IPV4;
	c.deny = flags & 2;
	c.bits = (uint8_t)(fdp_u8(f) % (bytes * 8 + 3));
	fdp_bytes(f, c.addr, flags & 8 ? bytes : 2);
	for (size_t i = c.bits; i < bytes * 8; i++) {
		if (!(flags & 4))
			c.addr[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
		host_set = host_set || bit(c.addr, i);
	}
	cidr_format(text, sizeof(text), &c);
	r = check_cidr_text(&got, text, c.deny);
	/* in range and no host bit: the prefix itself; else refused */
	FUZZ_ASSERT((r == PS_OK) == (c.bits <= bytes * 8 && !host_set));
	if (r != PS_OK)
		return;
	FUZZ_ASSERT(got.net == c.net && got.bits == c.bits && got.deny == c.deny &&
		    memcmp(got.addr, c.addr, sizeof(c.addr)) == 0);
	if (nlist < LIST_MAX)
		list[nlist++] = got;
}

/* Text: a prefix, then an address for crawl_addr_parse_ip. */
static void op_text(struct fdp *f)
{
	char s[80];
	size_t len;
	const uint8_t *p = fdp_view(f, sizeof(s) - 1, &len);
	struct crawl_cidr c;
	struct btc_addr a, keep;
	uint8_t b4[4], b16[16];
	bool deny = fdp_bool(f);

	memcpy(s, p, len);
	s[len] = 0;
	if (check_cidr_text(&c, s, deny) == PS_OK && nlist < LIST_MAX)
		list[nlist++] = c;

	p = fdp_view(f, sizeof(s) - 1, &len);
	memcpy(s, p, len);
	s[len] = 0;
	memset(&a, 0x77, sizeof(a));
	keep = a;
	if (inet_pton(AF_INET, s, b4) == 1) {
		FUZZ_ASSERT(crawl_addr_parse_ip(&a, s) == PS_OK);
		FUZZ_ASSERT(a.net == BTC_NET_IPV4 && a.len == 4 && a.port == 0 &&
			    memcmp(a.bytes, b4, 4) == 0);
	} else if (inet_pton(AF_INET6, s, b16) == 1) {
		FUZZ_ASSERT(crawl_addr_parse_ip(&a, s) == PS_OK);
		FUZZ_ASSERT(a.net == BTC_NET_IPV6 && a.len == 16 && a.port == 0 &&
			    memcmp(a.bytes, b16, 16) == 0);
	} else {
		FUZZ_ASSERT(crawl_addr_parse_ip(&a, s) == PS_ERR_MALFORMED);
		FUZZ_ASSERT(memcmp(&a, &keep, sizeof(a)) == 0);
	}
}

/* A filter query: an address near a listed prefix (its bits with one
 * flipped), or one from the input. */
static void op_filter(struct fdp *f)
{
	struct btc_addr a;
	uint8_t how = fdp_u8(f);

	if (nlist && (how & 1)) {
		const struct crawl_cidr *c = &list[(how >> 1) % nlist];
		uint8_t at = fdp_u8(f);
		memset(&a, 0, sizeof(a));
		a.net = c->net;
		a.len = c->net == BTC_NET_IPV4 ? 4 : 16;
		memcpy(a.bytes, c->addr, a.len);
		a.bytes[a.len - 1] ^= fdp_u8(f); /* host bits */
		if (at & 0x80)
			a.bytes[(at & 0x7f) / 8 % a.len] ^= (uint8_t)(0x80 >> (at % 8));
		if (how & 0x40)
			a.net = a.net == BTC_NET_IPV4 ? BTC_NET_IPV6 : BTC_NET_IPV4;
	} else {
		take_addr(f, &a);
	}
	for (size_t i = 0; i < nlist; i++)
		FUZZ_ASSERT(crawl_cidr_match(&list[i], &a) == ref_match(&list[i], &a));
	FUZZ_ASSERT(crawl_filter_allows(list, nlist, &a) == ref_allows(&a));
}

static void set_init(struct crawl_set *s, struct fdp *f)
{
	uint8_t key[16];

	model.max = (size_t)fdp_u8(f) + 1;
	model.n = 0;
	fdp_bytes(f, key, sizeof(key));
	FUZZ_ASSERT(crawl_set_init(s, model.max, key) == PS_OK);
	FUZZ_ASSERT(s->n == 0 && s->max == model.max && s->cap == 0 && !s->slot);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdp f = fdp_make(data, size);
	struct crawl_set s, zero;
	uint8_t key[16] = { 0 };

	fuzz_crypto_init();
	FUZZ_ASSERT(crawl_set_init(&zero, 0, key) == PS_ERR_INVALID_ARG);
	nlist = 0;
	set_init(&s, &f);
	while (fdp_left(&f)) {
		uint8_t op = fdp_u8(&f);
		struct btc_addr a;

		switch (op & 7) {
		case 0:
			take_addr(&f, &a);
			check_add(&s, &a);
			break;
		case 1:
			take_addr(&f, &a);
			FUZZ_ASSERT(crawl_set_has(&s, &a) == ref_has(&a));
			break;
		case 2:
			/* again, with another time and services: still there */
			if (!model.n)
				break;
			a = model.a[fdp_u8(&f) % model.n];
			a.time = fdp_u32(&f);
			a.services = fdp_u64(&f);
			FUZZ_ASSERT(crawl_set_add(&s, &a) == 0 && crawl_set_has(&s, &a));
			break;
		case 3:
			/* one field off an entry: port, one bit, the network */
			if (!model.n)
				break;
			a = model.a[fdp_u8(&f) % model.n];
			switch (op >> 3 & 3) {
			case 0:
				a.port = (uint16_t)(a.port + 1 + fdp_u8(&f));
				break;
			case 1: {
				uint8_t at = fdp_u8(&f);
				a.bytes[at % a.len] ^= (uint8_t)(1u << (at >> 5 & 7));
				break;
			}
			case 2:
				/* CJDNS and IPv6 share a length; TorV3 and I2P too */
				a.net = a.net == BTC_NET_IPV6	 ? BTC_NET_CJDNS
					: a.net == BTC_NET_CJDNS ? BTC_NET_IPV6
					: a.net == BTC_NET_TORV3 ? BTC_NET_I2P
					: a.net == BTC_NET_I2P	 ? BTC_NET_TORV3
								 : BTC_NET_TORV2;
				break;
			default:
				/* a byte past the length must not count */
				if (a.len < 32)
					a.bytes[a.len] ^= 0xff;
				break;
			}
			check_add(&s, &a);
			break;
		case 4:
			op_cidr(&f);
			break;
		case 5:
			op_text(&f);
			break;
		case 6:
			op_filter(&f);
			break;
		default:
			if (op & 8) {
				check_set(&s);
				crawl_set_free(&s);
				FUZZ_ASSERT(s.n == 0 && s.cap == 0 && !s.slot);
				set_init(&s, &f);
			} else {
				nlist = 0;
			}
			break;
		}
	}
	check_set(&s);
	crawl_set_free(&s);
	return 0;
}
