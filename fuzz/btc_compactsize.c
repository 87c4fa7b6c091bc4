/*
 * btc_compactsize - CompactSize integers, var_str strings and the 26-byte
 * network address, read from a cursor until it fails. Every success must
 * re-encode to exactly the bytes read (the encodings are canonical: Core
 * refuses the non-shortest forms, and so must we); every failure must
 * leave the cursor where it was and agree with a reference decoder.
 *
 * Input: selector (1: which item next, the var_str limit) repeated with the
 * items, then whatever is left.
 */
#include "fuzz.h"

#include "btc/params.h"
#include "btc/wire.h"

/* A reference CompactSize decoder written from Core's serialize.h. */
static int compactsize_ref(const uint8_t *p, size_t n, uint64_t *v, size_t *used)
{
	size_t w;

	if (n < 1)
		return PS_ERR_NEED_MORE;
	w = p[0] < 0xfd ? 1 : p[0] == 0xfd ? 3 : p[0] == 0xfe ? 5 : 9;
	if (n < w)
		return PS_ERR_NEED_MORE;
	*v = 0;
	if (w == 1)
		*v = p[0];
	for (size_t i = 1; i < w; i++)
		*v |= (uint64_t)p[i] << (8 * (i - 1));
	*used = w;
	if ((w == 3 && *v < 0xfd) || (w == 5 && *v <= 0xffff) || (w == 9 && *v <= 0xffffffffu))
		return PS_ERR_NONCANONICAL;
	if (*v > BTC_MAX_COMPACTSIZE)
		return PS_ERR_TOO_LARGE;
	return PS_OK;
}

static const size_t limits[] = { 0, 1, 12, 111, 256, 4096, BTC_MAX_COMPACTSIZE, SIZE_MAX };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_rcur c = ps_rcur_make(data, size);
	uint8_t buf[16];

	/* at most eight items: short inputs keep this harness fast */
	for (int items = 0; items < 8 && ps_rcur_left(&c) > 0; items++) {
		uint8_t sel = *c.p++;
		struct ps_rcur before = c;
		struct ps_wcur w = ps_wcur_make(buf, sizeof(buf));
		uint64_t v = 0, rv = 0;
		size_t used = 0;
		int r, want;

		switch (sel & 3) {
		case 0: /* CompactSize */
			want = compactsize_ref(c.p, ps_rcur_left(&c), &rv, &used);
			r = btc_compactsize_decode(&v, &c);
			FUZZ_ASSERT(r == want);
			if (r != PS_OK) {
				FUZZ_ASSERT(c.p == before.p);
				return 0;
			}
			FUZZ_ASSERT(v == rv && (size_t)(c.p - before.p) == used);
			FUZZ_ASSERT(btc_compactsize_encode(&w, v) == PS_OK);
			FUZZ_ASSERT((size_t)(w.p - buf) == used &&
				    memcmp(buf, before.p, used) == 0);
			/* too small a buffer: refused, nothing written */
			w = ps_wcur_make(buf, used - 1);
			FUZZ_ASSERT(btc_compactsize_encode(&w, v) == PS_ERR_NOBUF && w.p == buf);
			break;
		case 1: { /* var_str with a limit */
			size_t max = limits[(sel >> 2) % (sizeof(limits) / sizeof(limits[0]))];
			const uint8_t *s = NULL;
			size_t len = 0;
			uint8_t out[BTC_MAX_SUBVERSION + 16];

			want = compactsize_ref(c.p, ps_rcur_left(&c), &rv, &used);
			if (want == PS_OK && rv > max)
				want = PS_ERR_TOO_LARGE;
			else if (want == PS_OK && ps_rcur_left(&c) - used < rv)
				want = PS_ERR_NEED_MORE;
			r = btc_varstr_decode(&s, &len, &c, max);
			FUZZ_ASSERT(r == want);
			if (r != PS_OK) {
				FUZZ_ASSERT(c.p == before.p);
				return 0;
			}
			FUZZ_ASSERT(len == rv && s == before.p + used && c.p == s + len);
			if (len <= BTC_MAX_SUBVERSION) {
				w = ps_wcur_make(out, sizeof(out));
				FUZZ_ASSERT(btc_varstr_encode(&w, s, len) == PS_OK);
				FUZZ_ASSERT((size_t)(w.p - out) == used + len);
				FUZZ_ASSERT(memcmp(out, before.p, used + len) == 0);
				w = ps_wcur_make(out, used + len - 1);
				FUZZ_ASSERT(btc_varstr_encode(&w, s, len) == PS_ERR_NOBUF &&
					    w.p == out);
			}
			break;
		}
		case 2: { /* network address */
			struct btc_netaddr a;
			uint8_t out[26];

			r = btc_netaddr_decode(&a, &c);
			if (size - (size_t)(before.p - data) < 26) {
				FUZZ_ASSERT(r == PS_ERR_NEED_MORE && c.p == before.p);
				return 0;
			}
			FUZZ_ASSERT(r == PS_OK && c.p == before.p + 26);
			w = ps_wcur_make(out, sizeof(out));
			FUZZ_ASSERT(btc_netaddr_encode(&w, &a) == PS_OK);
			FUZZ_ASSERT(memcmp(out, before.p, 26) == 0);
			break;
		}
		default: { /* encode any 64-bit value, decode it back */
			uint64_t x;
			struct ps_rcur rc;

			if (ps_get_u64le(&c, &x) != PS_OK)
				return 0;
			FUZZ_ASSERT(btc_compactsize_encode(&w, x) == PS_OK);
			rc = ps_rcur_make(buf, (size_t)(w.p - buf));
			r = btc_compactsize_decode(&v, &rc);
			if (x > BTC_MAX_COMPACTSIZE) {
				FUZZ_ASSERT(r == PS_ERR_TOO_LARGE && rc.p == buf);
			} else {
				FUZZ_ASSERT(r == PS_OK && v == x && rc.p == w.p);
			}
			break;
		}
		}
	}
	return 0;
}
