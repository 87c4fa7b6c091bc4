#include "btc/addr.h"

#include <arpa/inet.h>
#include <string.h>

#include "btc/wire.h"
#include "crypto/sha3.h"

/* ---- networks ---- */

size_t btc_net_addr_len(uint8_t net)
{
	switch (net) {
	case BTC_NET_IPV4:
		return 4;
	case BTC_NET_IPV6:
	case BTC_NET_CJDNS:
		return 16;
	case BTC_NET_TORV3:
	case BTC_NET_I2P:
		return 32;
	default:
		return 0;
	}
}

const char *btc_net_name(uint8_t net)
{
	static const char *const names[] = { "unknown", "ipv4", "ipv6", "torv2",
					     "torv3",	"i2p",	"cjdns" };

	return net < sizeof(names) / sizeof(names[0]) ? names[net] : "unknown";
}

static const uint8_t ipv4_in_ipv6[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
static const uint8_t torv2_in_ipv6[6] = { 0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x43 };
static const uint8_t internal_in_ipv6[6] = { 0xfd, 0x6b, 0x88, 0xc0, 0x87, 0x24 };

bool btc_addr_valid(const struct btc_addr *a)
{
	static const uint8_t none6[16];

	if (a->len != btc_net_addr_len(a->net))
		return false;
	switch (a->net) {
	case BTC_NET_IPV4: {
		/* "if (addr == INADDR_ANY || addr == INADDR_NONE) return false" */
		uint32_t v = (uint32_t)a->bytes[0] << 24 | (uint32_t)a->bytes[1] << 16 |
			     (uint32_t)a->bytes[2] << 8 | a->bytes[3];
		return v != 0 && v != 0xffffffffu;
	}
	case BTC_NET_IPV6:
		/* "unspecified IPv6 address (::/128)"; "documentation IPv6
		 * address" (IsRFC3849: 2001:0DB8::/32); IsInternal; and what
		 * UnserializeV2Stream reads as !IsValid(): "IPv4 and TORv2 are
		 * not supposed to be embedded in IPv6" */
		if (memcmp(a->bytes, none6, 16) == 0)
			return false;
		if (a->bytes[0] == 0x20 && a->bytes[1] == 0x01 && a->bytes[2] == 0x0d &&
		    a->bytes[3] == 0xb8)
			return false;
		return memcmp(a->bytes, ipv4_in_ipv6, sizeof(ipv4_in_ipv6)) != 0 &&
		       memcmp(a->bytes, torv2_in_ipv6, sizeof(torv2_in_ipv6)) != 0 &&
		       memcmp(a->bytes, internal_in_ipv6, sizeof(internal_in_ipv6)) != 0;
	case BTC_NET_CJDNS:
		/* "if (IsCJDNS() && !HasCJDNSPrefix()) return false" */
		return a->bytes[0] == 0xfc;
	case BTC_NET_TORV3:
	case BTC_NET_I2P:
		return true;
	default:
		return false;
	}
}

bool btc_addr_v1_compatible(const struct btc_addr *a)
{
	return a->net == BTC_NET_IPV4 || a->net == BTC_NET_IPV6;
}

/* ---- decoding ---- */

/* A CompactSize without Core's MAX_SIZE range check (addrv2's services:
 * "CompactSizeFormatter<false>"), still canonical ("non-canonical
 * ReadCompactSize()" is thrown whatever the range check). */
static int compactsize_unranged(uint64_t *out, struct ps_rcur *c)
{
	struct ps_rcur t = *c;
	uint8_t tag;
	uint16_t v16;
	uint32_t v32;
	uint64_t v;

	if (ps_get_u8(&t, &tag) != PS_OK)
		return PS_ERR_MALFORMED;
	if (tag < 0xfd) {
		v = tag;
	} else if (tag == 0xfd) {
		if (ps_get_u16le(&t, &v16) != PS_OK)
			return PS_ERR_MALFORMED;
		if (v16 < 0xfd)
			return PS_ERR_MALFORMED;
		v = v16;
	} else if (tag == 0xfe) {
		if (ps_get_u32le(&t, &v32) != PS_OK)
			return PS_ERR_MALFORMED;
		if (v32 < 0x10000u)
			return PS_ERR_MALFORMED;
		v = v32;
	} else {
		if (ps_get_u64le(&t, &v) != PS_OK)
			return PS_ERR_MALFORMED;
		if (v < 0x100000000u)
			return PS_ERR_MALFORMED;
	}
	*out = v;
	*c = t;
	return PS_OK;
}

static int get_u16be(struct ps_rcur *c, uint16_t *out)
{
	if (ps_rcur_left(c) < 2)
		return PS_ERR_MALFORMED;
	*out = ps_load_u16be(c->p);
	c->p += 2;
	return PS_OK;
}

/* One addr entry: Core's SetLegacyIPv6 maps "IPv4-in-IPv6" to IPv4. */
static int entry_v1(struct btc_addr *a, struct ps_rcur *c)
{
	const uint8_t *ip;

	if (ps_get_u32le(c, &a->time) != PS_OK || ps_get_u64le(c, &a->services) != PS_OK ||
	    ps_get_view(c, &ip, 16) != PS_OK || get_u16be(c, &a->port) != PS_OK)
		return PS_ERR_MALFORMED;
	if (memcmp(ip, ipv4_in_ipv6, sizeof(ipv4_in_ipv6)) == 0) {
		a->net = BTC_NET_IPV4;
		a->len = 4;
		memcpy(a->bytes, ip + 12, 4);
	} else {
		a->net = BTC_NET_IPV6;
		a->len = 16;
		memcpy(a->bytes, ip, 16);
	}
	return PS_OK;
}

/* One addrv2 entry, in the order Core's UnserializeV2Stream reads it.
 * *keep: a network we keep (else the entry is read and skipped). */
static int entry_v2(struct btc_addr *a, bool *keep, struct ps_rcur *c)
{
	const uint8_t *bytes;
	uint64_t alen;
	size_t want;
	int r;

	if (ps_get_u32le(c, &a->time) != PS_OK)
		return PS_ERR_MALFORMED;
	if ((r = compactsize_unranged(&a->services, c)) != PS_OK)
		return r;
	if (ps_get_u8(c, &a->net) != PS_OK)
		return PS_ERR_MALFORMED;
	/* "s >> COMPACTSIZE(address_size)": range-checked, then "if
	 * (address_size > MAX_ADDRV2_SIZE) throw ... Address too long" */
	if (btc_compactsize_decode(&alen, c) != PS_OK || alen > BTC_MAX_ADDRV2_SIZE)
		return PS_ERR_MALFORMED;
	/* SetNetFromBIP155Network: a known id of another length throws
	 * ("BIP155 IPv4 address with length %u (should be %u)"); TORV2 and
	 * unknown ids return false and are skipped ("s.ignore(address_size)") */
	want = btc_net_addr_len(a->net);
	*keep = want != 0;
	if (*keep && alen != want)
		return PS_ERR_MALFORMED;
	if (ps_get_view(c, &bytes, (size_t)alen) != PS_OK || get_u16be(c, &a->port) != PS_OK)
		return PS_ERR_MALFORMED;
	a->len = (uint8_t)want;
	memset(a->bytes, 0, sizeof(a->bytes));
	if (*keep)
		memcpy(a->bytes, bytes, want);
	return PS_OK;
}

/* One pass over the payload; fn (may be NULL) gets every kept entry. */
static int walk(struct btc_addr_info *info, enum btc_addr_fmt fmt, const uint8_t *payload,
		size_t len, void (*fn)(void *ctx, const struct btc_addr *a), void *ctx)
{
	struct ps_rcur c = ps_rcur_make(payload, len);
	size_t min = fmt == BTC_ADDR_FMT_V1 ? BTC_ADDR_V1_ENTRY_LEN : BTC_ADDRV2_ENTRY_MIN;
	uint64_t count;
	int r;

	memset(info, 0, sizeof(*info));
	/* the vector's size: "ReadCompactSize(is)" with the range check */
	if (btc_compactsize_decode(&count, &c) != PS_OK)
		return PS_ERR_MALFORMED;
	/* no entry is read for a count the payload cannot hold: Core would
	 * throw at the end of the data ("end of data"), as here, sooner */
	if (count > ps_rcur_left(&c) / min)
		return PS_ERR_MALFORMED;
	for (uint64_t i = 0; i < count; i++) {
		struct btc_addr a;
		bool keep = true;

		memset(&a, 0, sizeof(a));
		r = fmt == BTC_ADDR_FMT_V1 ? entry_v1(&a, &c) : entry_v2(&a, &keep, &c);
		if (r != PS_OK)
			return r;
		if (!keep)
			info->skipped++;
		else if (fn)
			fn(ctx, &a);
	}
	info->count = count;
	info->trailing = ps_rcur_left(&c);
	/* Core net_processing.cpp, after "vRecv >> ser_params(vAddr)":
	 * "if (vAddr.size() > MAX_ADDR_TO_SEND) { Misbehaving(peer,
	 * strprintf("%s message size = %u", msg_type, vAddr.size()));" */
	if (count > BTC_MAX_ADDR_TO_SEND)
		return PS_ERR_TOO_LARGE;
	return PS_OK;
}

int btc_addr_each(struct btc_addr_info *info, enum btc_addr_fmt fmt, const uint8_t *payload,
		  size_t len, void (*fn)(void *ctx, const struct btc_addr *a), void *ctx)
{
	struct btc_addr_info got;
	int r;

	if (fmt != BTC_ADDR_FMT_V1 && fmt != BTC_ADDR_FMT_V2)
		return PS_ERR_INVALID_ARG;
	/* validate first: the whole payload, handing out nothing */
	if ((r = walk(&got, fmt, payload, len, NULL, NULL)) != PS_OK)
		return r;
	if (fn && (r = walk(&got, fmt, payload, len, fn, ctx)) != PS_OK)
		return r; /* not reached: the same bytes passed above */
	if (info)
		*info = got;
	return PS_OK;
}

struct into_array {
	struct btc_addr *out;
	size_t n;
};

static void count_one(void *ctx, const struct btc_addr *a)
{
	(void)a;
	((struct into_array *)ctx)->n++;
}

static void store_one(void *ctx, const struct btc_addr *a)
{
	struct into_array *t = ctx;

	t->out[t->n++] = *a;
}

int btc_addr_decode(struct btc_addr *out, size_t cap, size_t *n, struct btc_addr_info *info,
		    enum btc_addr_fmt fmt, const uint8_t *payload, size_t len)
{
	struct into_array t = { out, 0 };
	struct btc_addr_info got;
	int r;

	if ((r = btc_addr_each(&got, fmt, payload, len, count_one, &t)) != PS_OK)
		return r;
	if (t.n > cap)
		return PS_ERR_NOBUF;
	t.n = 0;
	if ((r = btc_addr_each(&got, fmt, payload, len, store_one, &t)) != PS_OK)
		return r;
	*n = t.n;
	if (info)
		*info = got;
	return PS_OK;
}

/* ---- encoding ---- */

static int put_u16be(struct ps_wcur *w, uint16_t v)
{
	if (ps_wcur_left(w) < 2)
		return PS_ERR_NOBUF;
	ps_store_u16be(w->p, v);
	w->p += 2;
	return PS_OK;
}

int btc_addr_entry_encode(struct ps_wcur *w, enum btc_addr_fmt fmt, const struct btc_addr *a)
{
	struct ps_wcur t = *w;
	size_t want = btc_net_addr_len(a->net);
	int r;

	if (want == 0 || a->len != want)
		return PS_ERR_INVALID_ARG;
	if (fmt == BTC_ADDR_FMT_V1) {
		uint8_t ip[16];

		/* Core's SerializeV1Array: IPv4 as IPv4-in-IPv6; "all other
		 * networks (Tor, I2P, CJDNS) are serialized as ::" but they
		 * are never sent in addr (IsAddrCompatible): refused here */
		if (!btc_addr_v1_compatible(a))
			return PS_ERR_INVALID_ARG;
		if (a->net == BTC_NET_IPV4) {
			memcpy(ip, ipv4_in_ipv6, 12);
			memcpy(ip + 12, a->bytes, 4);
		} else {
			memcpy(ip, a->bytes, 16);
		}
		if ((r = ps_put_u32le(&t, a->time)) != PS_OK ||
		    (r = ps_put_u64le(&t, a->services)) != PS_OK ||
		    (r = ps_put_bytes(&t, ip, 16)) != PS_OK ||
		    (r = put_u16be(&t, a->port)) != PS_OK)
			return r;
	} else if (fmt == BTC_ADDR_FMT_V2) {
		if ((r = ps_put_u32le(&t, a->time)) != PS_OK ||
		    (r = btc_compactsize_encode(&t, a->services)) != PS_OK ||
		    (r = ps_put_u8(&t, a->net)) != PS_OK ||
		    (r = btc_varstr_encode(&t, a->bytes, want)) != PS_OK ||
		    (r = put_u16be(&t, a->port)) != PS_OK)
			return r;
	} else {
		return PS_ERR_INVALID_ARG;
	}
	*w = t;
	return PS_OK;
}

int btc_addr_encode(struct ps_wcur *w, enum btc_addr_fmt fmt, const struct btc_addr *a, size_t n)
{
	struct ps_wcur t = *w;
	int r;

	if ((r = btc_compactsize_encode(&t, n)) != PS_OK)
		return r;
	for (size_t i = 0; i < n; i++)
		if ((r = btc_addr_entry_encode(&t, fmt, &a[i])) != PS_OK)
			return r;
	*w = t;
	return PS_OK;
}

/* ---- text ---- */

static const char b32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

/* RFC 4648 base32, lower case, no padding: ceil(8n / 5) characters. */
static void base32_encode(char *out, const uint8_t *in, size_t n)
{
	unsigned acc = 0, bits = 0;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8 | in[i]) & 0xfffu;
		bits += 8;
		while (bits >= 5) {
			out[k++] = b32_alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits)
		out[k++] = b32_alphabet[(acc << (5 - bits)) & 31];
	out[k] = 0;
}

/* Decode exactly n bytes from the nchars characters at s (case-insensitive);
 * the bits left over after n bytes must be zero. False on any other
 * character. */
static bool base32_decode(uint8_t *out, size_t n, const char *s, size_t nchars)
{
	unsigned acc = 0, bits = 0;
	size_t k = 0;

	for (size_t i = 0; i < nchars; i++) {
		char ch = s[i];
		unsigned v;

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch >= 'a' && ch <= 'z')
			v = (unsigned)(ch - 'a');
		else if (ch >= '2' && ch <= '7')
			v = (unsigned)(ch - '2') + 26;
		else
			return false;
		acc = (acc << 5 | v) & 0xfffu;
		bits += 5;
		if (bits >= 8) {
			if (k == n)
				return false;
			out[k++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return k == n && (acc & ((1u << bits) - 1)) == 0;
}

/* Tor rend-spec-v3: "CHECKSUM = H(".onion checksum" | PUBKEY | VERSION)[:2]"
 * with H SHA3-256 and VERSION 3. */
static void onion_checksum(uint8_t out[2], const uint8_t pubkey[32])
{
	static const char prefix[] = ".onion checksum";
	uint8_t buf[sizeof(prefix) - 1 + 32 + 1], h[32];

	memcpy(buf, prefix, sizeof(prefix) - 1);
	memcpy(buf + sizeof(prefix) - 1, pubkey, 32);
	buf[sizeof(buf) - 1] = 3;
	cry_sha3_256(h, buf, sizeof(buf));
	memcpy(out, h, 2);
}

#define ONION_CHARS 56 /* base32 of pubkey (32) | checksum (2) | version (1) */
#define I2P_CHARS   52 /* base32 of the 32-byte hash, padding dropped */

void btc_addr_format(char out[BTC_ADDR_STRLEN], const struct btc_addr *a)
{
	uint8_t onion[35];

	out[0] = 0;
	if (a->len != btc_net_addr_len(a->net)) {
		memcpy(out, "?", 2);
		return;
	}
	switch (a->net) {
	case BTC_NET_IPV4:
		if (!inet_ntop(AF_INET, a->bytes, out, BTC_ADDR_STRLEN))
			memcpy(out, "?", 2);
		return;
	case BTC_NET_IPV6:
	case BTC_NET_CJDNS:
		if (!inet_ntop(AF_INET6, a->bytes, out, BTC_ADDR_STRLEN))
			memcpy(out, "?", 2);
		return;
	case BTC_NET_TORV3:
		memcpy(onion, a->bytes, 32);
		onion_checksum(onion + 32, a->bytes);
		onion[34] = 3;
		base32_encode(out, onion, sizeof(onion));
		memcpy(out + ONION_CHARS, ".onion", 7);
		return;
	case BTC_NET_I2P:
		base32_encode(out, a->bytes, 32);
		memcpy(out + I2P_CHARS, ".b32.i2p", 9);
		return;
	default:
		memcpy(out, "?", 2);
		return;
	}
}

static bool ends_with(const char *s, size_t len, const char *suffix, size_t *stem)
{
	size_t n = strlen(suffix);

	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[len - n + i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch != suffix[i])
			return false;
	}
	*stem = len - n;
	return true;
}

int btc_addr_parse(struct btc_addr *a, const char *s, size_t len)
{
	char buf[BTC_ADDR_STRLEN];
	uint8_t b[35], ck[2];
	size_t stem;

	if (len == 0 || len >= sizeof(buf) || memchr(s, 0, len))
		return PS_ERR_MALFORMED;
	if (ends_with(s, len, ".onion", &stem)) {
		/* Core's SetTor: "if (input->size() == torv3::TOTAL_LEN)", the
		 * version "if (!std::ranges::equal(input_version,
		 * torv3::VERSION)) return false", then the checksum; a v2 onion
		 * (16 characters) is refused ("TORv2, no longer supported") */
		if (stem != ONION_CHARS || !base32_decode(b, sizeof(b), s, stem) || b[34] != 3)
			return PS_ERR_MALFORMED;
		onion_checksum(ck, b);
		if (ck[0] != b[32] || ck[1] != b[33])
			return PS_ERR_MALFORMED;
		a->net = BTC_NET_TORV3;
		a->len = 32;
		memcpy(a->bytes, b, 32);
		return PS_OK;
	}
	if (ends_with(s, len, ".b32.i2p", &stem)) {
		/* Core's SetI2P: "I2P addresses that we support consist of 52
		 * base32 characters + ".b32.i2p"" */
		if (stem != I2P_CHARS || !base32_decode(b, 32, s, stem))
			return PS_ERR_MALFORMED;
		a->net = BTC_NET_I2P;
		a->len = 32;
		memcpy(a->bytes, b, 32);
		return PS_OK;
	}
	memcpy(buf, s, len);
	buf[len] = 0;
	if (inet_pton(AF_INET, buf, b) == 1) {
		a->net = BTC_NET_IPV4;
		a->len = 4;
		memset(a->bytes, 0, sizeof(a->bytes));
		memcpy(a->bytes, b, 4);
		return PS_OK;
	}
	if (inet_pton(AF_INET6, buf, b) != 1)
		return PS_ERR_MALFORMED;
	memset(a->bytes, 0, sizeof(a->bytes));
	if (memcmp(b, ipv4_in_ipv6, sizeof(ipv4_in_ipv6)) == 0) {
		/* LookupHost of ::ffff:a.b.c.d is the IPv4 address */
		a->net = BTC_NET_IPV4;
		a->len = 4;
		memcpy(a->bytes, b + 12, 4);
		return PS_OK;
	}
	/* Core netbase.cpp MaybeFlipIPv6toCJDNS: "if (ret.IsIPv6() &&
	 * ret.HasCJDNSPrefix() && g_reachable_nets.Contains(NET_CJDNS))
	 * ret.m_net = NET_CJDNS": taken as CJDNS reachable */
	a->net = b[0] == 0xfc ? BTC_NET_CJDNS : BTC_NET_IPV6;
	a->len = 16;
	memcpy(a->bytes, b, 16);
	return PS_OK;
}
