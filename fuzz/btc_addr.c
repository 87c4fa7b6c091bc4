/*
 * btc_addr - the addr and addrv2 decoders (btc/addr.h: btc_addr_each,
 * btc_addr_decode) against a reference written here from BIP 155 and Core's
 * CAddress / CNetAddr deserializers, and the encoders and text forms behind
 * them.
 *
 * Checked: the result (OK, MALFORMED, TOO_LARGE) and the entries (kept,
 * skipped, trailing) agree with the reference; a failure calls nothing and
 * writes nothing; a cap below the kept entries is NOBUF with nothing
 * written; every kept entry is of a kept network with its length; an addr
 * re-encodes to its own bytes (its format is canonical), an addrv2 with
 * nothing skipped too; a valid TORv3, I2P, IPv4, IPv6 or CJDNS address
 * prints and parses back to itself.
 *
 * Input: selector (1: bit 0 the format, addr or addrv2; the rest the cap) |
 * payload.
 */
#include "fuzz.h"

#include "btc/addr.h"
#include "btc/wire.h"

/* ---- the reference ---- */

struct ref {
	int result;
	uint64_t count, kept, skipped;
	size_t trailing;
};

/* Core's ReadCompactSize: canonical, range-checked against MAX_SIZE when
 * ranged. -1 when it fails. */
static int ref_cs(const uint8_t *p, size_t len, size_t *off, uint64_t *v, int ranged)
{
	uint8_t t;
	size_t w;

	if (*off >= len)
		return -1;
	t = p[(*off)++];
	w = t < 0xfd ? 0 : t == 0xfd ? 2 : t == 0xfe ? 4 : 8;
	if (len - *off < w)
		return -1;
	*v = w ? 0 : t;
	for (size_t i = 0; i < w; i++)
		*v |= (uint64_t)p[*off + i] << (8 * i);
	*off += w;
	if ((w == 2 && *v < 0xfd) || (w == 4 && *v < 0x10000) || (w == 8 && *v < 0x100000000ull))
		return -1;
	if (ranged && *v > 0x02000000u)
		return -1;
	return 0;
}

static void ref_decode(struct ref *r, int v2, const uint8_t *p, size_t len)
{
	size_t off = 0;
	uint64_t n, x;

	memset(r, 0, sizeof(*r));
	r->result = PS_ERR_MALFORMED;
	if (ref_cs(p, len, &off, &n, 1) != 0)
		return;
	for (uint64_t i = 0; i < n; i++) {
		if (!v2) {
			if (len - off < 30)
				return;
			off += 30;
			r->kept++;
			continue;
		}
		uint8_t net;
		uint64_t alen;
		size_t want;

		if (len - off < 4)
			return;
		off += 4;
		if (ref_cs(p, len, &off, &x, 0) != 0 || off >= len)
			return;
		net = p[off++];
		if (ref_cs(p, len, &off, &alen, 1) != 0 || alen > 512)
			return;
		want = net == 1 ? 4 : net == 2 || net == 6 ? 16 : net == 4 || net == 5 ? 32 : 0;
		if (want && alen != want)
			return;
		if (len - off < alen || len - off - alen < 2)
			return;
		off += (size_t)alen + 2;
		if (want)
			r->kept++;
		else
			r->skipped++;
	}
	r->count = n;
	r->trailing = len - off;
	r->result = n > 1000 ? PS_ERR_TOO_LARGE : PS_OK;
}

/* ---- the harness ---- */

static struct btc_addr out[BTC_MAX_ADDR_TO_SEND + 1], before[BTC_MAX_ADDR_TO_SEND + 1];
static size_t calls;

static void on_entry(void *ctx, const struct btc_addr *a)
{
	(void)ctx;
	FUZZ_ASSERT(btc_net_addr_len(a->net) != 0 && a->len == btc_net_addr_len(a->net));
	calls++;
}

/* A valid address that prints and parses back to itself. */
static void text_round_trip(const struct btc_addr *a)
{
	char text[BTC_ADDR_STRLEN];
	struct btc_addr b;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	btc_addr_format(text, a);
	FUZZ_ASSERT(memchr(text, 0, BTC_ADDR_STRLEN) != NULL);
	/* IPv6 text of fc00::/8 parses as CJDNS, and IPv4-mapped as IPv4:
	 * those are not round trips by design */
	if (a->net == BTC_NET_IPV6 && (a->bytes[0] == 0xfc || memcmp(a->bytes, mapped, 12) == 0))
		return;
	if (a->net == BTC_NET_CJDNS && a->bytes[0] != 0xfc)
		return;
	memset(&b, 0, sizeof(b));
	FUZZ_ASSERT(btc_addr_parse(&b, text, strlen(text)) == PS_OK);
	FUZZ_ASSERT(b.net == a->net && b.len == a->len && memcmp(b.bytes, a->bytes, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdp f = fdp_make(data, size);
	uint8_t sel = fdp_u8(&f);
	enum btc_addr_fmt fmt = (sel & 1) ? BTC_ADDR_FMT_V2 : BTC_ADDR_FMT_V1;
	size_t cap = (size_t)(sel >> 1) * 8, len, n = 0;
	const uint8_t *payload = fdp_rest(&f, &len);
	struct btc_addr_info info, ibefore;
	static uint8_t enc[BTC_ADDR_PAYLOAD_MAX + 64];
	struct ref ref;
	int r;

	if (cap > BTC_MAX_ADDR_TO_SEND + 1)
		cap = BTC_MAX_ADDR_TO_SEND + 1;
	ref_decode(&ref, fmt == BTC_ADDR_FMT_V2, payload, len);
	calls = 0;
	memset(&info, 0x5a, sizeof(info));
	ibefore = info;
	r = btc_addr_each(&info, fmt, payload, len, on_entry, NULL);
	FUZZ_ASSERT(r == ref.result);
	if (r != PS_OK) {
		FUZZ_ASSERT(calls == 0);
		FUZZ_ASSERT(memcmp(&info, &ibefore, sizeof(info)) == 0);
		return 0;
	}
	FUZZ_ASSERT(calls == ref.kept && info.count == ref.count && info.skipped == ref.skipped &&
		    info.trailing == ref.trailing);

	/* into a bounded array: all or nothing */
	memset(out, 0xa5, sizeof(out));
	memcpy(before, out, sizeof(out));
	r = btc_addr_decode(out, cap, &n, &info, fmt, payload, len);
	if (ref.kept > cap) {
		FUZZ_ASSERT(r == PS_ERR_NOBUF && memcmp(out, before, sizeof(out)) == 0);
		r = btc_addr_decode(out, BTC_MAX_ADDR_TO_SEND, &n, &info, fmt, payload, len);
	}
	FUZZ_ASSERT(r == PS_OK && n == ref.kept);

	for (size_t i = 0; i < n; i++)
		if (btc_addr_valid(&out[i]))
			text_round_trip(&out[i]);

	/* canonical: what was read writes back to the same bytes */
	if (ref.skipped == 0) {
		struct ps_wcur w = ps_wcur_make(enc, sizeof(enc));
		size_t body = len - ref.trailing;
		FUZZ_ASSERT(btc_addr_encode(&w, fmt, out, n) == PS_OK);
		FUZZ_ASSERT((size_t)(w.p - enc) == body && memcmp(enc, payload, body) == 0);
	}
	return 0;
}
