/*
 * test_wire.c - ref/btc/wire: the Bitcoin P2P v1 message codec.
 *
 * Known-good bytes that do not come from our encoder:
 *  - the version message of the Bitcoin wiki "Protocol documentation"
 *    (Satoshi 0.7.2, protocol 60002, mainnet), decoded field by field;
 *  - messages written by python-bitcoinlib 0.12 (Debian python3-bitcoinlib),
 *    each with the call that produced it, decoded and compared with what our
 *    encoder writes for the same fields.
 *
 * Every truncation of every valid message is tried: PS_ERR_NEED_MORE from the
 * stream decoders (header, CompactSize, var_str, netaddr, whole message),
 * PS_ERR_MALFORMED from the payload decoder (a payload is complete by
 * definition), except where a shorter version or a ping without nonce is
 * itself valid. A failed decode must consume nothing and write nothing: the
 * outputs are filled with 0xAA first and compared after.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btc/params.h"
#include "btc/v1.h"
#include "btc/wire.h"
#include "crypto/crypto.h"
#include "testutil.h"

static const uint8_t MAINNET[4] = { 0xf9, 0xbe, 0xb4, 0xd9 };
static const uint8_t REGTEST[4] = { 0xfa, 0xbf, 0xb5, 0xda };

/* Bitcoin wiki, "Protocol documentation", version message example: a
 * Satoshi 0.7.2 node (protocol 60002) on mainnet; 100-byte payload without
 * the relay byte. */
static const char WIKI_VERSION[] =
	"f9beb4d976657273696f6e0000000000640000003b648d5a"
	"62ea0000010000000000000011b2d05000000000010000000000000000000000000000000000ffff"
	"000000000000010000000000000000000000000000000000ffff0000000000003b2eb35d8ce61765"
	"0f2f5361746f7368693a302e372e322fc03e0300";

/* python-bitcoinlib, after bitcoin.SelectParams('regtest'):
 *   v = msg_version(70016); v.nServices = 0x409; v.nTime = 1700000000
 *   v.addrTo.nServices = 0; v.addrTo.ip = "127.0.0.1"; v.addrTo.port = 18444
 *   v.addrFrom.nServices = 0x409; v.addrFrom.ip = "::"; v.addrFrom.port = 0
 *   v.nNonce = 0x0123456789abcdef; v.strSubVer = b'/peershake-test:0.1/'
 *   v.nStartingHeight = 101; v.fRelay = True; v.to_bytes().hex() */
static const char PY_VERSION[] =
	"fabfb5da76657273696f6e00000000006a000000802da501"
	"80110100090400000000000000f1536500000000000000000000000000000000000000000000ffff"
	"7f000001480c0904000000000000000000000000000000000000000000000000efcdab8967452301"
	"142f706565727368616b652d746573743a302e312f6500000001";
/* regtest: msg_verack().to_bytes().hex() */
static const char PY_VERACK[] = "fabfb5da76657261636b000000000000000000005df6e0e2";
/* mainnet: msg_verack().to_bytes().hex() */
static const char PY_VERACK_MAIN[] = "f9beb4d976657261636b000000000000000000005df6e0e2";
/* regtest: msg_ping(nonce=0x1122334455667788).to_bytes().hex() */
static const char PY_PING[] = "fabfb5da70696e670000000000000000080000008d9a66f28877665544332211";
/* regtest: msg_pong(nonce=0x1122334455667788).to_bytes().hex() */
static const char PY_PONG[] = "fabfb5da706f6e670000000000000000080000008d9a66f28877665544332211";
/* regtest: msg_getaddr().to_bytes().hex() */
static const char PY_GETADDR[] = "fabfb5da676574616464720000000000000000005df6e0e2";
/* regtest: r = bitcoin.messages.msg_reject(); r.message = b'version';
 * r.ccode = b'\x11'; r.reason = b'Duplicate version message';
 * r.to_bytes().hex() */
static const char PY_REJECT[] =
	"fabfb5da72656a65637400000000000023000000a09f7725"
	"0776657273696f6e11194475706c69636174652076657273696f6e206d657373616765";

/* ---- helpers ---------------------------------------------------------------- */

struct blob {
	uint8_t *p;
	size_t len;
};

static struct blob unhex(const char *hex)
{
	struct blob b;
	b.p = tu_unhex(hex, &b.len);
	return b;
}

/* A raw message built by hand (not by btc_msg_encode): cmd is 12 raw bytes. */
static size_t raw_msg(uint8_t *out, size_t cap, const uint8_t magic[4], const char cmd[12],
		      const uint8_t *payload, size_t plen)
{
	assert_true(cap >= BTC_HEADER_LEN + plen);
	memcpy(out, magic, 4);
	memcpy(out + 4, cmd, 12);
	ps_store_u32le(out + 16, (uint32_t)plen);
	btc_checksum(out + 20, payload, plen);
	if (plen)
		memcpy(out + BTC_HEADER_LEN, payload, plen);
	return BTC_HEADER_LEN + plen;
}

static void cmd12(uint8_t out[12], const char *name)
{
	assert_int_equal(btc_command_set(out, name), PS_OK);
}

static bool is_pattern(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0xAA)
			return false;
	return true;
}

/* ---- header ----------------------------------------------------------------- */

static void test_header_decode_every_truncation(void **state)
{
	struct blob m = unhex(WIKI_VERSION);
	struct btc_header h;

	(void)state;
	for (size_t n = 0; n < BTC_HEADER_LEN; n++) {
		memset(&h, 0xAA, sizeof(h));
		assert_int_equal(btc_header_decode(&h, m.p, n), PS_ERR_NEED_MORE);
		assert_true(is_pattern(&h, sizeof(h)));
	}
	assert_int_equal(btc_header_decode(&h, m.p, BTC_HEADER_LEN), PS_OK);
	assert_memory_equal(h.magic, MAINNET, 4);
	assert_memory_equal(h.command, "version\0\0\0\0\0", 12);
	assert_int_equal(h.length, 100);
	assert_memory_equal(h.checksum, "\x3b\x64\x8d\x5a", 4);
	assert_int_equal(btc_header_check(&h, MAINNET), PS_OK);
	assert_int_equal(btc_header_check(&h, REGTEST), PS_ERR_BAD_MAGIC);

	/* encode writes the same 24 bytes back; one byte short is NOBUF */
	uint8_t out[BTC_HEADER_LEN + 1];
	for (size_t cap = 0; cap < BTC_HEADER_LEN; cap++) {
		struct ps_wcur w = ps_wcur_make(out, cap);
		memset(out, 0xAA, sizeof(out));
		assert_int_equal(btc_header_encode(&w, &h), PS_ERR_NOBUF);
		assert_ptr_equal(w.p, out);
		assert_true(is_pattern(out, sizeof(out)));
	}
	struct ps_wcur w = ps_wcur_make(out, sizeof(out));
	assert_int_equal(btc_header_encode(&w, &h), PS_OK);
	assert_ptr_equal(w.p, out + BTC_HEADER_LEN);
	assert_memory_equal(out, m.p, BTC_HEADER_LEN);
	free(m.p);
}

static struct btc_header header_of(const uint8_t magic[4], const char *cmd, uint32_t len)
{
	struct btc_header h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, magic, 4);
	memcpy(h.command, cmd, 12);
	h.length = len;
	return h;
}

/* Core's order (net.cpp V1Transport::readHeader): magic, then size, both
 * disconnect; the command is looked at only once the payload is in. */
static void test_header_check_order(void **state)
{
	const char good[12] = "verack";
	const char bad[12] = "ver\x01"
			     "ack";
	struct btc_header h;

	(void)state;
	h = header_of(MAINNET, good, 0);
	assert_int_equal(btc_header_check(&h, MAINNET), PS_OK);
	h = header_of(REGTEST, bad, 4000001);
	assert_int_equal(btc_header_check(&h, MAINNET), PS_ERR_BAD_MAGIC);
	h = header_of(REGTEST, good, 0);
	assert_int_equal(btc_header_check(&h, MAINNET), PS_ERR_BAD_MAGIC);
	h = header_of(MAINNET, bad, 4000001);
	assert_int_equal(btc_header_check(&h, MAINNET), PS_ERR_TOO_LARGE);
	h = header_of(MAINNET, bad, 4000000);
	assert_int_equal(btc_header_check(&h, MAINNET), PS_ERR_BAD_COMMAND);
	h = header_of(MAINNET, good, 4000000);
	assert_int_equal(btc_header_check(&h, MAINNET), PS_OK);
	h = header_of(MAINNET, good, 4000001);
	assert_int_equal(btc_header_check(&h, MAINNET), PS_ERR_TOO_LARGE);
	h = header_of(MAINNET, good, UINT32_MAX);
	assert_int_equal(btc_header_check(&h, MAINNET), PS_ERR_TOO_LARGE);
	h = header_of(MAINNET, good, BTC_MAX_COMPACTSIZE + 1);
	assert_int_equal(btc_header_check(&h, MAINNET), PS_ERR_TOO_LARGE);

	/* one byte off in each magic position */
	for (size_t i = 0; i < 4; i++) {
		uint8_t m[4];
		memcpy(m, MAINNET, 4);
		m[i] ^= 0x01;
		h = header_of(m, good, 0);
		assert_int_equal(btc_header_check(&h, MAINNET), PS_ERR_BAD_MAGIC);
	}
}

/* ---- command strings ---------------------------------------------------------- */

struct cmd_case {
	const char bytes[12];
	bool valid;
};

/* CMessageHeader::IsMessageTypeValid (protocol.cpp): every byte before the
 * first NUL in 0x20..0x7e, every byte after it NUL. */
static const struct cmd_case cmd_cases[] = {
	{ "version", true },
	{ "verack", true },
	{ "abcdefghijkl", true }, /* all twelve bytes used, no NUL at all */
	{ " ", true },		  /* 0x20 is printable */
	{ "~", true },		  /* 0x7e too */
	{ "a b", true },
	{ "VERSION", true },
	/* Core's loop accepts twelve NULs: the first byte is NUL and every
	 * byte after it is NUL. An empty message type is merely unknown. */
	{ "", true },
	{ "ver\0sion", false }, /* a non-NUL after the NUL padding */
	{ "verack\x01", false },
	{ "verack\0\0\0\0\0\x01", false },
	{ "\0a", false },
	{ "\x1f", false },
	{ "\x7f", false },
	{ "ver\x80", false },
	{ "\xff", false },
	{ "\t", false },
	{ "ab\ncd", false },
};

static void test_command_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cmd_cases) / sizeof(cmd_cases[0]); i++) {
		const uint8_t *b = (const uint8_t *)cmd_cases[i].bytes;
		if (btc_command_valid(b) != cmd_cases[i].valid)
			fail_msg("case %zu: expected %s", i,
				 cmd_cases[i].valid ? "valid" : "invalid");
		struct btc_header h = header_of(MAINNET, cmd_cases[i].bytes, 0);
		assert_int_equal(btc_header_check(&h, MAINNET),
				 cmd_cases[i].valid ? PS_OK : PS_ERR_BAD_COMMAND);
	}
	/* every single byte value in the first position, NUL padded */
	for (int c = 1; c < 256; c++) {
		uint8_t b[12] = { 0 };
		b[0] = (uint8_t)c;
		assert_int_equal(btc_command_valid(b), c >= 0x20 && c <= 0x7e);
	}
}

static void test_command_set_and_names(void **state)
{
	uint8_t c[12];

	(void)state;
	memset(c, 0xAA, sizeof(c));
	assert_int_equal(btc_command_set(c, "ping"), PS_OK);
	assert_memory_equal(c, "ping\0\0\0\0\0\0\0\0", 12);
	assert_int_equal(btc_command_set(c, "abcdefghijkl"), PS_OK);
	assert_memory_equal(c, "abcdefghijkl", 12);
	assert_int_equal(btc_command_set(c, ""), PS_OK);
	assert_memory_equal(c, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
	memset(c, 0xAA, sizeof(c));
	assert_int_equal(btc_command_set(c, "abcdefghijklm"), PS_ERR_INVALID_ARG);
	assert_true(is_pattern(c, sizeof(c)));

	static const char *const names[BTC_CMD_COUNT_] = {
		"",	     "version", "verack", "wtxidrelay", "sendaddrv2",  "sendtxrcncl",
		"sendcmpct", "ping",	"pong",	  "feefilter",	"sendheaders", "getaddr",
		"reject",    "addr",	"addrv2"
	};
	for (int i = 0; i < BTC_CMD_COUNT_; i++) {
		assert_string_equal(btc_cmd_name((enum btc_cmd)i), names[i]);
		if (i == BTC_CMD_UNKNOWN)
			continue;
		cmd12(c, names[i]);
		assert_int_equal(btc_cmd_from_bytes(c), i);
	}
	assert_string_equal(btc_cmd_name(BTC_CMD_COUNT_), "");

	/* exact, NUL-padded matches only */
	assert_int_equal(btc_cmd_from_bytes((const uint8_t *)"Version\0\0\0\0\0"), BTC_CMD_UNKNOWN);
	assert_int_equal(btc_cmd_from_bytes((const uint8_t *)"version\0\0\0\0x"), BTC_CMD_UNKNOWN);
	assert_int_equal(btc_cmd_from_bytes((const uint8_t *)"versio\0\0\0\0\0\0"),
			 BTC_CMD_UNKNOWN);
	assert_int_equal(btc_cmd_from_bytes((const uint8_t *)"version \0\0\0\0"), BTC_CMD_UNKNOWN);
	assert_int_equal(btc_cmd_from_bytes((const uint8_t *)"\0\0\0\0\0\0\0\0\0\0\0\0"),
			 BTC_CMD_UNKNOWN);
	assert_int_equal(btc_cmd_from_bytes((const uint8_t *)"inv\0\0\0\0\0\0\0\0\0"),
			 BTC_CMD_UNKNOWN);
}

/* SHA256d("")[0..4) = 5df6e0e2, the checksum of every empty message. */
static void test_checksum(void **state)
{
	uint8_t sum[4];
	struct blob m = unhex(WIKI_VERSION);

	(void)state;
	btc_checksum(sum, NULL, 0);
	assert_memory_equal(sum, "\x5d\xf6\xe0\xe2", 4);
	btc_checksum(sum, m.p + BTC_HEADER_LEN, m.len - BTC_HEADER_LEN);
	assert_memory_equal(sum, m.p + 20, 4);
	free(m.p);
}

/* ---- CompactSize -------------------------------------------------------------- */

struct cs_case {
	const char *hex;
	int err;
	uint64_t value;
};

static const struct cs_case cs_cases[] = {
	{ "00", PS_OK, 0 },
	{ "01", PS_OK, 1 },
	{ "fc", PS_OK, 0xfc },
	{ "fdfd00", PS_OK, 0xfd },
	{ "fdff00", PS_OK, 0xff },
	{ "fd0001", PS_OK, 0x100 },
	{ "fdffff", PS_OK, 0xffff },
	{ "fe00000100", PS_OK, 0x10000 },
	{ "fe00000002", PS_OK, 0x02000000 }, /* MAX_SIZE itself */
	/* serialize.h: "non-canonical ReadCompactSize()" */
	{ "fd0000", PS_ERR_NONCANONICAL, 0 },
	{ "fdfc00", PS_ERR_NONCANONICAL, 0 }, /* 0xfd00fc.. as bytes fd fc 00 */
	{ "fe00000000", PS_ERR_NONCANONICAL, 0 },
	{ "fefc000000", PS_ERR_NONCANONICAL, 0 },
	{ "feffff0000", PS_ERR_NONCANONICAL, 0 }, /* 0xffff: 0xfe with < 0x10000 */
	{ "ff0000000000000000", PS_ERR_NONCANONICAL, 0 },
	{ "ffffffff0000000000", PS_ERR_NONCANONICAL, 0 }, /* 0xffff: 0xff with < 2^32 */
	{ "ffffffffff00000000", PS_ERR_NONCANONICAL, 0 }, /* 2^32-1 */
	/* serialize.h: "ReadCompactSize(): size too large" above MAX_SIZE */
	{ "fe01000002", PS_ERR_TOO_LARGE, 0 },
	{ "feffffffff", PS_ERR_TOO_LARGE, 0 },
	{ "ff0000000001000000", PS_ERR_TOO_LARGE, 0 }, /* 2^32, canonical */
	{ "ffffffffffffffffff", PS_ERR_TOO_LARGE, 0 },
};

static void test_compactsize_decode(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cs_cases) / sizeof(cs_cases[0]); i++) {
		struct blob b = unhex(cs_cases[i].hex);
		/* with and without a byte after it */
		uint8_t buf[16];
		memcpy(buf, b.p, b.len);
		buf[b.len] = 0x77;
		for (size_t extra = 0; extra <= 1; extra++) {
			struct ps_rcur c = ps_rcur_make(buf, b.len + extra), before = c;
			uint64_t v;
			memset(&v, 0xAA, sizeof(v));
			int r = btc_compactsize_decode(&v, &c);
			if (r != cs_cases[i].err)
				fail_msg("%s: got %s, want %s", cs_cases[i].hex, ps_errname(r),
					 ps_errname(cs_cases[i].err));
			if (r == PS_OK) {
				assert_true(v == cs_cases[i].value);
				assert_ptr_equal(c.p, buf + b.len);
			} else {
				assert_true(is_pattern(&v, sizeof(v)));
				assert_ptr_equal(c.p, before.p);
			}
			assert_ptr_equal(c.end, before.end);
		}
		/* every truncation: need more, nothing consumed, nothing written */
		for (size_t n = 0; n < b.len; n++) {
			struct ps_rcur c = ps_rcur_make(buf, n);
			uint64_t v;
			memset(&v, 0xAA, sizeof(v));
			assert_int_equal(btc_compactsize_decode(&v, &c), PS_ERR_NEED_MORE);
			assert_ptr_equal(c.p, buf);
			assert_true(is_pattern(&v, sizeof(v)));
		}
		free(b.p);
	}
}

struct cs_enc {
	uint64_t value;
	const char *hex;
};

static const struct cs_enc cs_encs[] = {
	{ 0, "00" },
	{ 0xfc, "fc" },
	{ 0xfd, "fdfd00" },
	{ 0xffff, "fdffff" },
	{ 0x10000, "fe00000100" },
	{ 0x02000000, "fe00000002" },
	{ 0xffffffffu, "feffffffff" },
	{ UINT64_C(0x100000000), "ff0000000001000000" },
	{ UINT64_MAX, "ffffffffffffffffff" },
};

static void test_compactsize_encode(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cs_encs) / sizeof(cs_encs[0]); i++) {
		struct blob want = unhex(cs_encs[i].hex);
		uint8_t buf[16];
		for (size_t cap = 0; cap < want.len; cap++) {
			struct ps_wcur w = ps_wcur_make(buf, cap);
			memset(buf, 0xAA, sizeof(buf));
			assert_int_equal(btc_compactsize_encode(&w, cs_encs[i].value),
					 PS_ERR_NOBUF);
			assert_ptr_equal(w.p, buf);
			assert_true(is_pattern(buf, sizeof(buf)));
		}
		struct ps_wcur w = ps_wcur_make(buf, sizeof(buf));
		assert_int_equal(btc_compactsize_encode(&w, cs_encs[i].value), PS_OK);
		assert_int_equal((size_t)(w.p - buf), want.len);
		assert_memory_equal(buf, want.p, want.len);
		/* what we write, we read back (up to MAX_SIZE) */
		struct ps_rcur c = ps_rcur_make(buf, want.len);
		uint64_t v = 0;
		int r = btc_compactsize_decode(&v, &c);
		if (cs_encs[i].value <= BTC_MAX_COMPACTSIZE) {
			assert_int_equal(r, PS_OK);
			assert_true(v == cs_encs[i].value);
		} else {
			assert_int_equal(r, PS_ERR_TOO_LARGE);
		}
		free(want.p);
	}
	/* every value around each boundary round-trips in its shortest form */
	static const uint64_t edges[] = { 0xfc, 0xfd, 0xffff, 0x10000, 0x02000000 };
	for (size_t e = 0; e < sizeof(edges) / sizeof(edges[0]); e++)
		for (uint64_t v = edges[e] - 3; v <= edges[e] + 3 && v <= BTC_MAX_COMPACTSIZE;
		     v++) {
			uint8_t buf[9];
			struct ps_wcur w = ps_wcur_make(buf, sizeof(buf));
			assert_int_equal(btc_compactsize_encode(&w, v), PS_OK);
			size_t n = (size_t)(w.p - buf);
			assert_int_equal(n, v < 0xfd ? 1 : v <= 0xffff ? 3 : 5);
			struct ps_rcur c = ps_rcur_make(buf, n);
			uint64_t back;
			assert_int_equal(btc_compactsize_decode(&back, &c), PS_OK);
			assert_true(back == v);
			assert_int_equal(ps_rcur_left(&c), 0);
		}
}

/* ---- var_str ------------------------------------------------------------------ */

static void test_varstr(void **state)
{
	uint8_t buf[400];
	const uint8_t *s;
	size_t len;

	(void)state;
	/* "abc" then a byte that is not part of it */
	memcpy(buf,
	       "\x03"
	       "abcX",
	       5);
	struct ps_rcur c = ps_rcur_make(buf, 5);
	assert_int_equal(btc_varstr_decode(&s, &len, &c, 3), PS_OK);
	assert_int_equal(len, 3);
	assert_ptr_equal(s, buf + 1); /* a view into the input */
	assert_int_equal(ps_rcur_left(&c), 1);

	/* every truncation: need more, nothing consumed or written */
	for (size_t n = 0; n < 4; n++) {
		c = ps_rcur_make(buf, n);
		memset(&s, 0xAA, sizeof(s));
		memset(&len, 0xAA, sizeof(len));
		assert_int_equal(btc_varstr_decode(&s, &len, &c, 256), PS_ERR_NEED_MORE);
		assert_ptr_equal(c.p, buf);
		assert_true(is_pattern(&s, sizeof(s)));
		assert_true(is_pattern(&len, sizeof(len)));
	}

	/* over max: too large, decided from the length alone (LIMITED_STRING
	 * throws before reading the bytes) */
	c = ps_rcur_make(buf, 4);
	memset(&len, 0xAA, sizeof(len));
	assert_int_equal(btc_varstr_decode(&s, &len, &c, 2), PS_ERR_TOO_LARGE);
	assert_ptr_equal(c.p, buf);
	assert_true(is_pattern(&len, sizeof(len)));
	memcpy(buf, "\xfd\x01\x01", 3); /* 257, no bytes follow */
	c = ps_rcur_make(buf, 3);
	assert_int_equal(btc_varstr_decode(&s, &len, &c, 256), PS_ERR_TOO_LARGE);
	assert_ptr_equal(c.p, buf);

	/* non-canonical length */
	memcpy(buf,
	       "\xfd\x03\x00"
	       "abc",
	       6);
	c = ps_rcur_make(buf, 6);
	assert_int_equal(btc_varstr_decode(&s, &len, &c, 256), PS_ERR_NONCANONICAL);
	assert_ptr_equal(c.p, buf);

	/* empty string */
	buf[0] = 0;
	c = ps_rcur_make(buf, 1);
	assert_int_equal(btc_varstr_decode(&s, &len, &c, 0), PS_OK);
	assert_int_equal(len, 0);
	assert_int_equal(ps_rcur_left(&c), 0);

	/* encode: 300 bytes take a 3-byte length; every short buffer fails
	 * and leaves the cursor */
	uint8_t str[300];
	memset(str, 'u', sizeof(str));
	for (size_t cap = 0; cap < 303; cap += (cap < 5 ? 1 : 50)) {
		struct ps_wcur w = ps_wcur_make(buf, cap);
		assert_int_equal(btc_varstr_encode(&w, str, sizeof(str)), PS_ERR_NOBUF);
		assert_ptr_equal(w.p, buf);
	}
	struct ps_wcur w = ps_wcur_make(buf, 303);
	assert_int_equal(btc_varstr_encode(&w, str, sizeof(str)), PS_OK);
	assert_ptr_equal(w.p, buf + 303);
	assert_memory_equal(buf, "\xfd\x2c\x01", 3);
	c = ps_rcur_make(buf, 303);
	assert_int_equal(btc_varstr_decode(&s, &len, &c, 300), PS_OK);
	assert_int_equal(len, 300);
	assert_memory_equal(s, str, 300);
}

/* ---- network address ------------------------------------------------------------ */

static void test_netaddr(void **state)
{
	/* services 0x409, ::ffff:127.0.0.1, port 18444 (0x480c, big-endian) */
	static const uint8_t wire[26] = {
		0x09, 0x04, 0, 0, 0, 0,	   0,	 0,   0, 0, 0, 0,    0,
		0,    0,    0, 0, 0, 0xff, 0xff, 127, 0, 0, 1, 0x48, 0x0c
	};
	struct btc_netaddr a;

	(void)state;
	for (size_t n = 0; n < sizeof(wire); n++) {
		struct ps_rcur c = ps_rcur_make(wire, n);
		memset(&a, 0xAA, sizeof(a));
		assert_int_equal(btc_netaddr_decode(&a, &c), PS_ERR_NEED_MORE);
		assert_ptr_equal(c.p, wire);
		assert_true(is_pattern(&a, sizeof(a)));
	}
	struct ps_rcur c = ps_rcur_make(wire, sizeof(wire));
	assert_int_equal(btc_netaddr_decode(&a, &c), PS_OK);
	assert_int_equal(ps_rcur_left(&c), 0);
	assert_true(a.services == 0x409);
	assert_memory_equal(a.ip, wire + 8, 16);
	assert_int_equal(a.port, 18444);

	uint8_t out[27];
	for (size_t cap = 0; cap < sizeof(wire); cap++) {
		struct ps_wcur w = ps_wcur_make(out, cap);
		memset(out, 0xAA, sizeof(out));
		assert_int_equal(btc_netaddr_encode(&w, &a), PS_ERR_NOBUF);
		assert_ptr_equal(w.p, out);
		assert_true(is_pattern(out, sizeof(out)));
	}
	struct ps_wcur w = ps_wcur_make(out, sizeof(out));
	assert_int_equal(btc_netaddr_encode(&w, &a), PS_OK);
	assert_ptr_equal(w.p, out + 26);
	assert_memory_equal(out, wire, 26);
}

/* ---- version: the independent vectors ---------------------------------------------- */

static void test_wiki_version(void **state)
{
	struct blob m = unhex(WIKI_VERSION);
	struct btc_msg msg;
	size_t used = 99;

	(void)state;
	assert_int_equal(m.len, 124);
	assert_int_equal(btc_msg_decode(&msg, &used, MAINNET, m.p, m.len), PS_OK);
	assert_int_equal(used, 124);
	assert_int_equal(msg.cmd, BTC_CMD_VERSION);
	assert_memory_equal(msg.command, "version\0\0\0\0\0", 12);
	assert_ptr_equal(msg.payload, m.p + 24);
	assert_int_equal(msg.payload_len, 100);

	const struct btc_version *v = &msg.u.version;
	assert_int_equal(v->version, 60002);
	assert_true(v->services == BTC_NODE_NETWORK);
	assert_true(v->timestamp == 1355854353); /* 2012-12-18 18:12:33 UTC */
	static const uint8_t v4_zero[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0 };
	assert_true(v->addr_recv.services == 1);
	assert_memory_equal(v->addr_recv.ip, v4_zero, 16);
	assert_int_equal(v->addr_recv.port, 0);
	assert_true(v->addr_from.services == 1);
	assert_memory_equal(v->addr_from.ip, v4_zero, 16);
	assert_int_equal(v->addr_from.port, 0);
	assert_true(v->nonce == UINT64_C(0x6517e68c5db32e3b));
	assert_int_equal(v->user_agent_len, 15);
	assert_memory_equal(v->user_agent, "/Satoshi:0.7.2/", 15);
	assert_ptr_equal(v->user_agent, m.p + 24 + 81); /* a view into the input */
	assert_int_equal(v->start_height, 212672);
	/* no relay byte: a 60002 peer predates BIP 37 */
	assert_int_equal(v->present, BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT |
					     BTC_VERSION_HAS_HEIGHT);
	assert_int_equal(v->relay, 0);
	assert_int_equal(v->trailing, 0);

	/* on regtest the same bytes have the wrong magic */
	assert_int_equal(btc_msg_decode(&msg, &used, REGTEST, m.p, m.len), PS_ERR_BAD_MAGIC);
	assert_int_equal(used, 0);

	/* our encoder writes the same bytes for the same fields */
	struct btc_msg again = msg;
	uint8_t out[200];
	struct ps_wcur w = ps_wcur_make(out, sizeof(out));
	assert_int_equal(btc_msg_encode(&w, MAINNET, &again), PS_OK);
	assert_int_equal((size_t)(w.p - out), m.len);
	assert_memory_equal(out, m.p, m.len);
	free(m.p);
}

static void test_python_version(void **state)
{
	struct blob m = unhex(PY_VERSION);
	struct btc_msg msg;
	size_t used;

	(void)state;
	assert_int_equal(btc_msg_decode(&msg, &used, REGTEST, m.p, m.len), PS_OK);
	assert_int_equal(used, m.len);
	assert_int_equal(msg.payload_len, 106);
	const struct btc_version *v = &msg.u.version;
	assert_int_equal(v->version, 70016);
	assert_true(v->services == 0x409);
	assert_true(v->timestamp == 1700000000);
	assert_true(v->addr_recv.services == 0);
	assert_memory_equal(v->addr_recv.ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x7f\0\0\x01", 16);
	assert_int_equal(v->addr_recv.port, 18444);
	assert_true(v->addr_from.services == 0x409);
	assert_memory_equal(v->addr_from.ip, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	assert_int_equal(v->addr_from.port, 0);
	assert_true(v->nonce == UINT64_C(0x0123456789abcdef));
	assert_int_equal(v->user_agent_len, 20);
	assert_memory_equal(v->user_agent, "/peershake-test:0.1/", 20);
	assert_int_equal(v->start_height, 101);
	assert_int_equal(v->relay, 1);
	assert_int_equal(v->present, BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT |
					     BTC_VERSION_HAS_HEIGHT | BTC_VERSION_HAS_RELAY);
	assert_int_equal(v->trailing, 0);

	/* built from scratch, our encoder matches python-bitcoinlib byte for byte */
	struct btc_msg mine;
	memset(&mine, 0, sizeof(mine));
	mine.cmd = BTC_CMD_VERSION;
	mine.u.version.version = 70016;
	mine.u.version.services = 0x409;
	mine.u.version.timestamp = 1700000000;
	memcpy(mine.u.version.addr_recv.ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x7f\0\0\x01", 16);
	mine.u.version.addr_recv.port = 18444;
	mine.u.version.addr_from.services = 0x409;
	mine.u.version.nonce = UINT64_C(0x0123456789abcdef);
	mine.u.version.user_agent = (const uint8_t *)"/peershake-test:0.1/";
	mine.u.version.user_agent_len = 20;
	mine.u.version.start_height = 101;
	mine.u.version.relay = 1;
	mine.u.version.present = BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT |
				 BTC_VERSION_HAS_HEIGHT | BTC_VERSION_HAS_RELAY;
	uint8_t out[256];
	struct ps_wcur w = ps_wcur_make(out, sizeof(out));
	assert_int_equal(btc_msg_encode(&w, REGTEST, &mine), PS_OK);
	assert_int_equal((size_t)(w.p - out), m.len);
	assert_memory_equal(out, m.p, m.len);
	free(m.p);
}

static void test_python_small_messages(void **state)
{
	struct {
		const char *hex;
		const uint8_t *magic;
		enum btc_cmd cmd;
	} cases[] = {
		{ PY_VERACK, REGTEST, BTC_CMD_VERACK },
		{ PY_VERACK_MAIN, MAINNET, BTC_CMD_VERACK },
		{ PY_PING, REGTEST, BTC_CMD_PING },
		{ PY_PONG, REGTEST, BTC_CMD_PONG },
		{ PY_GETADDR, REGTEST, BTC_CMD_GETADDR },
		{ PY_REJECT, REGTEST, BTC_CMD_REJECT },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct blob m = unhex(cases[i].hex);
		struct btc_msg msg;
		size_t used;
		assert_int_equal(btc_msg_decode(&msg, &used, cases[i].magic, m.p, m.len), PS_OK);
		assert_int_equal(used, m.len);
		assert_int_equal(msg.cmd, cases[i].cmd);
		switch (cases[i].cmd) {
		case BTC_CMD_PING:
		case BTC_CMD_PONG:
			assert_true(msg.u.ping.has_nonce);
			assert_true(msg.u.ping.nonce == UINT64_C(0x1122334455667788));
			break;
		case BTC_CMD_REJECT:
			assert_int_equal(msg.u.reject.message_len, 7);
			assert_memory_equal(msg.u.reject.message, "version", 7);
			assert_int_equal(msg.u.reject.code, 0x11); /* REJECT_DUPLICATE */
			assert_int_equal(msg.u.reject.reason_len, 25);
			assert_memory_equal(msg.u.reject.reason, "Duplicate version message", 25);
			assert_null(msg.u.reject.data);
			break;
		default:
			assert_int_equal(msg.payload_len, 0);
			break;
		}
		/* re-encoded from the decoded struct: the same bytes */
		uint8_t out[128];
		struct ps_wcur w = ps_wcur_make(out, sizeof(out));
		assert_int_equal(btc_msg_encode(&w, cases[i].magic, &msg), PS_OK);
		assert_int_equal((size_t)(w.p - out), m.len);
		assert_memory_equal(out, m.p, m.len);
		free(m.p);
	}
}

/* ---- payloads: valid examples, truncations, trailing bytes ---------------------------- */

/* A full version payload with a user agent of ua_len bytes 'u'. Returns its
 * length; the group boundaries are 46, 80, 80 + cs + ua_len, + 4, + 1. */
static size_t version_payload(uint8_t *out, size_t cap, size_t ua_len, bool relay)
{
	struct btc_msg m;
	static uint8_t ua[300];
	memset(ua, 'u', sizeof(ua));
	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_VERSION;
	m.u.version.version = 70016;
	m.u.version.services = 0x409;
	m.u.version.timestamp = 1700000000;
	m.u.version.addr_recv.port = 8333;
	m.u.version.nonce = 42;
	m.u.version.user_agent = ua;
	m.u.version.user_agent_len = ua_len;
	m.u.version.start_height = 7;
	m.u.version.relay = 1;
	m.u.version.present = BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT |
			      BTC_VERSION_HAS_HEIGHT | (relay ? BTC_VERSION_HAS_RELAY : 0);
	struct ps_wcur w = ps_wcur_make(out, cap);
	assert_int_equal(btc_payload_encode(&w, &m), PS_OK);
	return (size_t)(w.p - out);
}

static int payload_decode(struct btc_msg *out, enum btc_cmd cmd, const char *name, const uint8_t *p,
			  size_t len)
{
	uint8_t c[12];
	cmd12(c, name);
	return btc_payload_decode(out, cmd, c, p, len);
}

/* Decode p[0..n) and check: want_err, and on error out untouched. */
static void expect_payload(enum btc_cmd cmd, const uint8_t *p, size_t n, int want_err,
			   struct btc_msg *out)
{
	uint8_t c[12];
	cmd12(c, btc_cmd_name(cmd));
	memset(out, 0xAA, sizeof(*out));
	int r = btc_payload_decode(out, cmd, c, p, n);
	if (r != want_err)
		fail_msg("%s, %zu bytes: got %s, want %s", btc_cmd_name(cmd), n, ps_errname(r),
			 ps_errname(want_err));
	if (r != PS_OK)
		assert_true(is_pattern(out, sizeof(*out)));
}

/* Core reads the fields after addr_recv only while bytes remain
 * (net_processing.cpp: "if (!vRecv.empty())"); a group cut in the middle is
 * malformed, as Core's stream read throws. */
static void test_version_every_truncation(void **state)
{
	uint8_t p[400];
	struct btc_msg m;

	(void)state;
	for (size_t ua = 0; ua <= 256; ua += (ua < 3 ? 1 : ua == 3 ? 249 : 1)) {
		size_t full = version_payload(p, sizeof(p), ua, true);
		size_t cs = ua < 0xfd ? 1 : 3;
		size_t b_addr = 46, b_nonce = 80, b_ua = 80 + cs + ua, b_height = b_ua + 4;
		assert_int_equal(full, b_height + 1);
		for (size_t n = 0; n <= full; n++) {
			unsigned present;
			if (n == b_addr)
				present = 0;
			else if (n == b_nonce)
				present = BTC_VERSION_HAS_FROM_NONCE;
			else if (n == b_ua)
				present = BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT;
			else if (n == b_height)
				present = BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT |
					  BTC_VERSION_HAS_HEIGHT;
			else if (n == full)
				present = BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT |
					  BTC_VERSION_HAS_HEIGHT | BTC_VERSION_HAS_RELAY;
			else {
				expect_payload(BTC_CMD_VERSION, p, n, PS_ERR_MALFORMED, &m);
				continue;
			}
			expect_payload(BTC_CMD_VERSION, p, n, PS_OK, &m);
			const struct btc_version *v = &m.u.version;
			assert_int_equal(v->present, present);
			assert_int_equal(v->version, 70016);
			assert_true(v->services == 0x409);
			assert_int_equal(v->addr_recv.port, 8333);
			assert_true(v->nonce == ((present & BTC_VERSION_HAS_FROM_NONCE) ? 42 : 0));
			assert_int_equal(v->user_agent_len,
					 (present & BTC_VERSION_HAS_USER_AGENT) ? ua : 0);
			assert_int_equal(v->start_height,
					 (present & BTC_VERSION_HAS_HEIGHT) ? 7 : 0);
			assert_int_equal(v->relay, (present & BTC_VERSION_HAS_RELAY) ? 1 : 0);
			assert_int_equal(v->trailing, 0);
			assert_int_equal(m.payload_len, n);
		}
	}
}

static void test_version_user_agent_limit(void **state)
{
	uint8_t p[400];
	struct btc_msg m;

	(void)state;
	/* MAX_SUBVERSION_LENGTH: 256 fits */
	size_t n = version_payload(p, sizeof(p), 256, true);
	expect_payload(BTC_CMD_VERSION, p, n, PS_OK, &m);
	assert_int_equal(m.u.version.user_agent_len, 256);
	assert_memory_equal(p + 80, "\xfd\x00\x01", 3);

	/* 257: too large, whether or not the bytes are there */
	n = version_payload(p, sizeof(p), 257, true);
	assert_memory_equal(p + 80, "\xfd\x01\x01", 3);
	expect_payload(BTC_CMD_VERSION, p, n, PS_ERR_TOO_LARGE, &m);
	expect_payload(BTC_CMD_VERSION, p, 83, PS_ERR_TOO_LARGE, &m);
	expect_payload(BTC_CMD_VERSION, p, 83 + 100, PS_ERR_TOO_LARGE, &m);

	/* a length prefix cut short is a cut group: malformed */
	expect_payload(BTC_CMD_VERSION, p, 81, PS_ERR_MALFORMED, &m);
	expect_payload(BTC_CMD_VERSION, p, 82, PS_ERR_MALFORMED, &m);

	/* a non-canonical length: Core's ReadCompactSize throws */
	n = version_payload(p, sizeof(p), 5, true);
	uint8_t q[400];
	memcpy(q, p, 80);
	memcpy(q + 80, "\xfd\x05\x00", 3);
	memcpy(q + 83, p + 81, n - 81);
	expect_payload(BTC_CMD_VERSION, q, n + 2, PS_ERR_NONCANONICAL, &m);
	/* an absurd length: too large */
	memcpy(q + 80, "\xff\xff\xff\xff\xff\xff\xff\xff\xff", 9);
	expect_payload(BTC_CMD_VERSION, q, 89, PS_ERR_TOO_LARGE, &m);
}

/* Core ignores what follows the relay byte; we report how much. */
static void test_version_trailing(void **state)
{
	uint8_t p[400];
	struct btc_msg m;

	(void)state;
	size_t n = version_payload(p, sizeof(p), 10, true);
	memset(p + n, 0xee, 50);
	for (size_t extra = 0; extra <= 50; extra++) {
		expect_payload(BTC_CMD_VERSION, p, n + extra, PS_OK, &m);
		assert_int_equal(m.u.version.trailing, extra);
		assert_int_equal(m.u.version.relay, 1);
		assert_int_equal(m.payload_len, n + extra);
	}
	/* without relay, the next byte is the relay byte, taken raw */
	n = version_payload(p, sizeof(p), 10, false);
	p[n] = 0x02;
	expect_payload(BTC_CMD_VERSION, p, n + 1, PS_OK, &m);
	assert_int_equal(m.u.version.relay, 2);
	assert_true(m.u.version.present & BTC_VERSION_HAS_RELAY);
	assert_int_equal(m.u.version.trailing, 0);
}

struct fixed_case {
	enum btc_cmd cmd;
	const char *hex; /* a valid payload */
};

static const struct fixed_case fixed_cases[] = {
	{ BTC_CMD_VERACK, "" },
	{ BTC_CMD_WTXIDRELAY, "" },
	{ BTC_CMD_SENDADDRV2, "" },
	{ BTC_CMD_SENDHEADERS, "" },
	{ BTC_CMD_GETADDR, "" },
	{ BTC_CMD_SENDTXRCNCL, "01000000"
			       "8877665544332211" },
	{ BTC_CMD_SENDCMPCT, "00"
			     "0200000000000000" },
	{ BTC_CMD_PING, "8877665544332211" },
	{ BTC_CMD_PONG, "8877665544332211" },
	{ BTC_CMD_FEEFILTER, "e803000000000000" },
};

static void test_fixed_every_truncation_and_trailing(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fixed_cases) / sizeof(fixed_cases[0]); i++) {
		enum btc_cmd cmd = fixed_cases[i].cmd;
		uint8_t p[32];
		size_t len = strlen(fixed_cases[i].hex) / 2;
		struct btc_msg m;
		if (len) {
			struct blob b = unhex(fixed_cases[i].hex);
			memcpy(p, b.p, len);
			free(b.p);
		}
		/* the size wire.c owns is the layout's (BIP 31/130/152/330/339) */
		assert_int_equal(btc_payload_fixed_len(cmd), (int)len);
		expect_payload(cmd, p, len, PS_OK, &m);
		assert_int_equal(m.cmd, cmd);
		assert_int_equal(m.payload_len, len);
		for (size_t n = 0; n < len; n++) {
			/* BIP 31: "ping" without a nonce is valid (peers before 60001) */
			int want = (cmd == BTC_CMD_PING && n == 0) ? PS_OK : PS_ERR_MALFORMED;
			expect_payload(cmd, p, n, want, &m);
			if (want == PS_OK)
				assert_false(m.u.ping.has_nonce);
		}
		/* one and several bytes too many */
		memset(p + len, 0, 8);
		expect_payload(cmd, p, len + 1, PS_ERR_TRAILING, &m);
		expect_payload(cmd, p, len + 8, PS_ERR_TRAILING, &m);
	}
}

/* Every command is fixed-layout or not, and the fixed cases above are all
 * the fixed ones. */
static void test_payload_fixed_len(void **state)
{
	size_t nfixed = 0;

	(void)state;
	for (int c = 0; c < BTC_CMD_COUNT_; c++)
		if (btc_payload_fixed_len((enum btc_cmd)c) >= 0)
			nfixed++;
	assert_int_equal(nfixed, sizeof(fixed_cases) / sizeof(fixed_cases[0]));
	assert_int_equal(btc_payload_fixed_len(BTC_CMD_VERSION), -1);
	assert_int_equal(btc_payload_fixed_len(BTC_CMD_REJECT), -1);
	assert_int_equal(btc_payload_fixed_len(BTC_CMD_UNKNOWN), -1);
	assert_int_equal(btc_payload_fixed_len(BTC_CMD_COUNT_), -1);
}

/* Validate first, write second: a feefilter or ping cut short writes
 * nothing, whatever was in the output before. */
static void test_failed_fixed_decode_writes_nothing(void **state)
{
	static const enum btc_cmd cmds[] = { BTC_CMD_FEEFILTER, BTC_CMD_PING, BTC_CMD_PONG };
	const uint8_t p[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	(void)state;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		for (size_t n = (cmds[i] == BTC_CMD_PING); n < 8; n++) {
			struct btc_msg m;
			memset(&m, 0x5c, sizeof(m));
			assert_int_equal(payload_decode(&m, cmds[i], btc_cmd_name(cmds[i]), p, n),
					 PS_ERR_MALFORMED);
			for (size_t k = 0; k < sizeof(m); k++)
				assert_int_equal(((const uint8_t *)&m)[k], 0x5c);
		}
	}
}

static void test_fixed_values(void **state)
{
	struct btc_msg m;
	const uint8_t empty[1] = { 0 };

	(void)state;
	assert_int_equal(
		payload_decode(&m, BTC_CMD_SENDTXRCNCL, "sendtxrcncl",
			       (const uint8_t *)"\x01\0\0\0\x88\x77\x66\x55\x44\x33\x22\x11", 12),
		PS_OK);
	assert_int_equal(m.u.sendtxrcncl.version, 1);
	assert_true(m.u.sendtxrcncl.salt == UINT64_C(0x1122334455667788));
	assert_int_equal(payload_decode(&m, BTC_CMD_SENDCMPCT, "sendcmpct",
					(const uint8_t *)"\x01\x02\0\0\0\0\0\0\0", 9),
			 PS_OK);
	assert_int_equal(m.u.sendcmpct.announce, 1);
	assert_true(m.u.sendcmpct.version == 2);
	assert_int_equal(payload_decode(&m, BTC_CMD_FEEFILTER, "feefilter",
					(const uint8_t *)"\xe8\x03\0\0\0\0\0\0", 8),
			 PS_OK);
	assert_true(m.u.feerate == 1000);
	assert_int_equal(payload_decode(&m, BTC_CMD_FEEFILTER, "feefilter",
					(const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff", 8),
			 PS_OK);
	assert_true(m.u.feerate == -1);
	/* BIP 31: ping with and without nonce */
	assert_int_equal(payload_decode(&m, BTC_CMD_PING, "ping", empty, 0), PS_OK);
	assert_false(m.u.ping.has_nonce);
	assert_int_equal(
		payload_decode(&m, BTC_CMD_PING, "ping", (const uint8_t *)"\x01\0\0\0\0\0\0\0", 8),
		PS_OK);
	assert_true(m.u.ping.has_nonce);
	assert_true(m.u.ping.nonce == 1);
	/* pong always carries its nonce */
	memset(&m, 0xAA, sizeof(m));
	assert_int_equal(payload_decode(&m, BTC_CMD_PONG, "pong", empty, 0), PS_ERR_MALFORMED);
	assert_true(is_pattern(&m, sizeof(m)));
}

static void test_unknown_payload(void **state)
{
	struct btc_msg m;
	const uint8_t p[5] = { 1, 2, 3, 4, 5 };

	(void)state;
	assert_int_equal(payload_decode(&m, BTC_CMD_UNKNOWN, "inv", p, sizeof(p)), PS_OK);
	assert_int_equal(m.cmd, BTC_CMD_UNKNOWN);
	assert_memory_equal(m.command, "inv\0\0\0\0\0\0\0\0\0", 12);
	assert_ptr_equal(m.payload, p);
	assert_int_equal(m.payload_len, 5);
	assert_int_equal(payload_decode(&m, BTC_CMD_UNKNOWN, "x", p, 0), PS_OK);
	assert_int_equal(m.payload_len, 0);
}

/* BIP 61: message (var_str <= 12), ccode, reason (var_str <= 111), then an
 * optional 32-byte hash. */
static void test_reject(void **state)
{
	uint8_t p[300];
	struct btc_msg m;
	size_t n = 0;

	(void)state;
	memcpy(p,
	       "\x02"
	       "tx"
	       "\x10"
	       "\x05"
	       "nonce",
	       10);
	n = 10;
	for (size_t k = 0; k < 32; k++)
		p[n + k] = (uint8_t)k;

	expect_payload(BTC_CMD_REJECT, p, n, PS_OK, &m);
	assert_null(m.u.reject.data);
	assert_int_equal(m.u.reject.data_len, 0);
	expect_payload(BTC_CMD_REJECT, p, n + 32, PS_OK, &m);
	assert_ptr_equal(m.u.reject.data, p + n);
	assert_int_equal(m.u.reject.data_len, 32);
	assert_memory_equal(m.u.reject.message, "tx", 2);
	assert_int_equal(m.u.reject.code, 0x10);
	assert_memory_equal(m.u.reject.reason, "nonce", 5);

	/* every truncation of the fixed part is malformed */
	for (size_t k = 0; k < n; k++)
		expect_payload(BTC_CMD_REJECT, p, k, PS_ERR_MALFORMED, &m);
	/* a hash that is not 32 bytes is neither absent nor present */
	for (size_t k = 1; k < 32; k++)
		expect_payload(BTC_CMD_REJECT, p, n + k, PS_ERR_TRAILING, &m);
	expect_payload(BTC_CMD_REJECT, p, n + 33, PS_ERR_TRAILING, &m);

	/* message over 12 bytes, reason over 111 */
	memcpy(p,
	       "\x0d"
	       "abcdefghijklm"
	       "\x01"
	       "\x00",
	       16);
	expect_payload(BTC_CMD_REJECT, p, 16, PS_ERR_TOO_LARGE, &m);
	memcpy(p,
	       "\x02"
	       "tx"
	       "\x10"
	       "\x70",
	       5);
	memset(p + 5, 'r', 112);
	expect_payload(BTC_CMD_REJECT, p, 5 + 112, PS_ERR_TOO_LARGE, &m);
	p[4] = 0x6f;
	expect_payload(BTC_CMD_REJECT, p, 5 + 111, PS_OK, &m);
	assert_int_equal(m.u.reject.reason_len, 111);
}

/* ---- whole messages ------------------------------------------------------------ */

/* Every message type, filled with distinct values. */
static size_t sample_msgs(struct btc_msg *out, size_t cap)
{
	static const uint8_t unknown_payload[] = { 0xde, 0xad, 0xbe, 0xef };
	static const uint8_t hash[32] = { 1, 2, 3 };
	size_t n = 0;
	struct btc_msg m;

#define ADD()                                                                                      \
	do {                                                                                       \
		assert_true(n < cap);                                                              \
		out[n++] = m;                                                                      \
		memset(&m, 0, sizeof(m));                                                          \
	} while (0)

	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_VERSION;
	m.u.version.version = 70016;
	m.u.version.services = 0xc09;
	m.u.version.timestamp = -5;
	m.u.version.addr_recv.services = 1;
	m.u.version.addr_recv.ip[15] = 1;
	m.u.version.addr_recv.port = 65535;
	m.u.version.addr_from.services = 0xc09;
	m.u.version.addr_from.port = 1;
	m.u.version.nonce = UINT64_MAX;
	m.u.version.user_agent = (const uint8_t *)"/Satoshi:31.1.0/";
	m.u.version.user_agent_len = 16;
	m.u.version.start_height = -1;
	m.u.version.relay = 1;
	m.u.version.present = BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT |
			      BTC_VERSION_HAS_HEIGHT | BTC_VERSION_HAS_RELAY;
	ADD();
	m.cmd = BTC_CMD_VERSION; /* an old peer's: no user agent onwards */
	m.u.version.version = 31800;
	m.u.version.nonce = 7;
	m.u.version.present = BTC_VERSION_HAS_FROM_NONCE;
	ADD();
	m.cmd = BTC_CMD_VERACK;
	ADD();
	m.cmd = BTC_CMD_WTXIDRELAY;
	ADD();
	m.cmd = BTC_CMD_SENDADDRV2;
	ADD();
	m.cmd = BTC_CMD_SENDTXRCNCL;
	m.u.sendtxrcncl.version = 1;
	m.u.sendtxrcncl.salt = UINT64_C(0xfedcba9876543210);
	ADD();
	m.cmd = BTC_CMD_SENDCMPCT;
	m.u.sendcmpct.announce = 1;
	m.u.sendcmpct.version = 2;
	ADD();
	m.cmd = BTC_CMD_PING;
	m.u.ping.nonce = 0x0102030405060708;
	m.u.ping.has_nonce = true;
	ADD();
	m.cmd = BTC_CMD_PING; /* BIP 31: without nonce */
	ADD();
	m.cmd = BTC_CMD_PONG;
	m.u.ping.nonce = 0x0807060504030201;
	m.u.ping.has_nonce = true;
	ADD();
	m.cmd = BTC_CMD_FEEFILTER;
	m.u.feerate = 1000;
	ADD();
	m.cmd = BTC_CMD_SENDHEADERS;
	ADD();
	m.cmd = BTC_CMD_GETADDR;
	ADD();
	m.cmd = BTC_CMD_REJECT;
	m.u.reject.message = (const uint8_t *)"block";
	m.u.reject.message_len = 5;
	m.u.reject.code = 0x10;
	m.u.reject.reason = (const uint8_t *)"bad-txns";
	m.u.reject.reason_len = 8;
	m.u.reject.data = hash;
	m.u.reject.data_len = 32;
	ADD();
	m.cmd = BTC_CMD_REJECT;
	m.u.reject.message = (const uint8_t *)"tx";
	m.u.reject.message_len = 2;
	m.u.reject.code = 0x01;
	m.u.reject.reason = (const uint8_t *)"";
	ADD();
	m.cmd = BTC_CMD_UNKNOWN;
	cmd12(m.command, "getheaders");
	m.payload = unknown_payload;
	m.payload_len = sizeof(unknown_payload);
	ADD();
#undef ADD
	return n;
}

static void assert_same_msg(const struct btc_msg *a, const struct btc_msg *b)
{
	assert_int_equal(a->cmd, b->cmd);
	switch (a->cmd) {
	case BTC_CMD_VERSION: {
		const struct btc_version *x = &a->u.version, *y = &b->u.version;
		assert_int_equal(x->version, y->version);
		assert_true(x->services == y->services);
		assert_true(x->timestamp == y->timestamp);
		assert_memory_equal(&x->addr_recv, &y->addr_recv, sizeof(x->addr_recv));
		assert_int_equal(x->present, y->present);
		if (x->present & BTC_VERSION_HAS_FROM_NONCE) {
			assert_true(x->addr_from.services == y->addr_from.services);
			assert_memory_equal(x->addr_from.ip, y->addr_from.ip, 16);
			assert_int_equal(x->addr_from.port, y->addr_from.port);
			assert_true(x->nonce == y->nonce);
		}
		if (x->present & BTC_VERSION_HAS_USER_AGENT) {
			assert_int_equal(x->user_agent_len, y->user_agent_len);
			assert_memory_equal(x->user_agent, y->user_agent, x->user_agent_len);
		}
		if (x->present & BTC_VERSION_HAS_HEIGHT)
			assert_int_equal(x->start_height, y->start_height);
		if (x->present & BTC_VERSION_HAS_RELAY)
			assert_int_equal(x->relay, y->relay);
		break;
	}
	case BTC_CMD_SENDTXRCNCL:
		assert_int_equal(a->u.sendtxrcncl.version, b->u.sendtxrcncl.version);
		assert_true(a->u.sendtxrcncl.salt == b->u.sendtxrcncl.salt);
		break;
	case BTC_CMD_SENDCMPCT:
		assert_int_equal(a->u.sendcmpct.announce, b->u.sendcmpct.announce);
		assert_true(a->u.sendcmpct.version == b->u.sendcmpct.version);
		break;
	case BTC_CMD_PING:
	case BTC_CMD_PONG:
		assert_int_equal(a->u.ping.has_nonce, b->u.ping.has_nonce);
		if (a->u.ping.has_nonce)
			assert_true(a->u.ping.nonce == b->u.ping.nonce);
		break;
	case BTC_CMD_FEEFILTER:
		assert_true(a->u.feerate == b->u.feerate);
		break;
	case BTC_CMD_REJECT:
		assert_int_equal(a->u.reject.message_len, b->u.reject.message_len);
		assert_memory_equal(a->u.reject.message, b->u.reject.message,
				    a->u.reject.message_len);
		assert_int_equal(a->u.reject.code, b->u.reject.code);
		assert_int_equal(a->u.reject.reason_len, b->u.reject.reason_len);
		if (a->u.reject.reason_len)
			assert_memory_equal(a->u.reject.reason, b->u.reject.reason,
					    a->u.reject.reason_len);
		assert_int_equal(a->u.reject.data_len, b->u.reject.data_len);
		if (a->u.reject.data_len)
			assert_memory_equal(a->u.reject.data, b->u.reject.data, 32);
		break;
	case BTC_CMD_UNKNOWN:
		assert_memory_equal(a->command, b->command, 12);
		assert_int_equal(a->payload_len, b->payload_len);
		assert_memory_equal(a->payload, b->payload, a->payload_len);
		break;
	default:
		break;
	}
}

static void test_round_trip_every_message(void **state)
{
	struct btc_msg msgs[32];
	size_t count = sample_msgs(msgs, 32);

	(void)state;
	for (size_t i = 0; i < count; i++) {
		uint8_t buf[512];
		struct ps_wcur w = ps_wcur_make(buf, sizeof(buf));
		struct btc_msg back;
		size_t used;

		assert_int_equal(btc_msg_encode(&w, REGTEST, &msgs[i]), PS_OK);
		size_t len = (size_t)(w.p - buf);
		/* the header is right: magic, command, length, checksum */
		assert_memory_equal(buf, REGTEST, 4);
		if (msgs[i].cmd == BTC_CMD_UNKNOWN)
			assert_memory_equal(buf + 4, msgs[i].command, 12);
		else
			assert_string_equal((const char *)buf + 4, btc_cmd_name(msgs[i].cmd));
		assert_int_equal(ps_load_u32le(buf + 16), len - BTC_HEADER_LEN);
		uint8_t sum[32];
		cry_sha256d(sum, buf + BTC_HEADER_LEN, len - BTC_HEADER_LEN);
		assert_memory_equal(buf + 20, sum, 4);

		assert_int_equal(btc_msg_decode(&back, &used, REGTEST, buf, len), PS_OK);
		assert_int_equal(used, len);
		assert_same_msg(&msgs[i], &back);
		assert_int_equal(back.payload_len, len - BTC_HEADER_LEN);

		/* payload encode alone writes the bytes after the header */
		if (msgs[i].cmd != BTC_CMD_UNKNOWN) {
			uint8_t pl[512];
			struct ps_wcur pw = ps_wcur_make(pl, sizeof(pl));
			assert_int_equal(btc_payload_encode(&pw, &msgs[i]), PS_OK);
			assert_int_equal((size_t)(pw.p - pl), len - BTC_HEADER_LEN);
			assert_memory_equal(pl, buf + BTC_HEADER_LEN, len - BTC_HEADER_LEN);
		}

		/* a second message right behind: used stops at the first */
		memcpy(buf + len, buf, len);
		assert_int_equal(btc_msg_decode(&back, &used, REGTEST, buf, 2 * len), PS_OK);
		assert_int_equal(used, len);
	}
}

/* Every truncation of every whole message: need more, nothing written, used 0. */
static void test_msg_decode_every_truncation(void **state)
{
	struct btc_msg msgs[32];
	size_t count = sample_msgs(msgs, 32);

	(void)state;
	for (size_t i = 0; i < count; i++) {
		uint8_t buf[512];
		struct ps_wcur w = ps_wcur_make(buf, sizeof(buf));
		assert_int_equal(btc_msg_encode(&w, MAINNET, &msgs[i]), PS_OK);
		size_t len = (size_t)(w.p - buf);
		for (size_t n = 0; n < len; n++) {
			struct btc_msg out;
			size_t used = 12345;
			memset(&out, 0xAA, sizeof(out));
			int r = btc_msg_decode(&out, &used, MAINNET, buf, n);
			if (r != PS_ERR_NEED_MORE)
				fail_msg("message %zu cut to %zu of %zu: %s", i, n, len,
					 ps_errname(r));
			assert_int_equal(used, 0);
			assert_true(is_pattern(&out, sizeof(out)));
		}
	}
}

/* Every short output buffer: NOBUF and the cursor where it was. */
static void test_msg_encode_every_short_buffer(void **state)
{
	struct btc_msg msgs[32];
	size_t count = sample_msgs(msgs, 32);

	(void)state;
	for (size_t i = 0; i < count; i++) {
		uint8_t buf[512];
		struct ps_wcur w = ps_wcur_make(buf, sizeof(buf));
		assert_int_equal(btc_msg_encode(&w, MAINNET, &msgs[i]), PS_OK);
		size_t len = (size_t)(w.p - buf);
		for (size_t cap = 0; cap < len; cap++) {
			uint8_t small[512];
			struct ps_wcur s = ps_wcur_make(small, cap);
			assert_int_equal(btc_msg_encode(&s, MAINNET, &msgs[i]), PS_ERR_NOBUF);
			assert_ptr_equal(s.p, small);
			/* the payload alone, one byte short and less */
			if (msgs[i].cmd != BTC_CMD_UNKNOWN && cap < len - BTC_HEADER_LEN) {
				s = ps_wcur_make(small, cap);
				assert_int_equal(btc_payload_encode(&s, &msgs[i]), PS_ERR_NOBUF);
				assert_ptr_equal(s.p, small);
			}
		}
		struct ps_wcur exact = ps_wcur_make(buf, len);
		assert_int_equal(btc_msg_encode(&exact, MAINNET, &msgs[i]), PS_OK);
		assert_int_equal(ps_wcur_left(&exact), 0);
	}
}

static void test_encode_invalid(void **state)
{
	struct btc_msg m;
	uint8_t buf[128];
	struct ps_wcur w = ps_wcur_make(buf, sizeof(buf));

	(void)state;
	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_UNKNOWN;
	assert_int_equal(btc_payload_encode(&w, &m), PS_ERR_INVALID_ARG);
	assert_ptr_equal(w.p, buf);
	m.cmd = BTC_CMD_COUNT_;
	assert_int_equal(btc_payload_encode(&w, &m), PS_ERR_INVALID_ARG);
	assert_int_equal(btc_msg_encode(&w, MAINNET, &m), PS_ERR_INVALID_ARG);
	assert_ptr_equal(w.p, buf);

	/* version: the fields stop at the first absent group */
	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_VERSION;
	m.u.version.user_agent = (const uint8_t *)"x";
	m.u.version.user_agent_len = 1;
	static const struct {
		unsigned present;
		size_t len;
	} groups[] = {
		{ 0, 46 },
		{ BTC_VERSION_HAS_HEIGHT | BTC_VERSION_HAS_RELAY, 46 },
		{ BTC_VERSION_HAS_FROM_NONCE, 80 },
		{ BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_HEIGHT, 80 },
		{ BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT, 82 },
		{ BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT | BTC_VERSION_HAS_RELAY,
		  82 },
		{ BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT | BTC_VERSION_HAS_HEIGHT,
		  86 },
		{ BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT | BTC_VERSION_HAS_HEIGHT |
			  BTC_VERSION_HAS_RELAY,
		  87 },
	};
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		m.u.version.present = groups[i].present;
		w = ps_wcur_make(buf, sizeof(buf));
		assert_int_equal(btc_payload_encode(&w, &m), PS_OK);
		assert_int_equal((size_t)(w.p - buf), groups[i].len);
	}
}

/* An announced length over MAX_PROTOCOL_MESSAGE_LENGTH is refused from the 24
 * header bytes alone; exactly the maximum waits for the payload, and decodes
 * once it is all there. */
static void test_msg_decode_size_limit(void **state)
{
	const size_t max = BTC_MAX_PAYLOAD;
	uint8_t *buf = calloc(1, BTC_HEADER_LEN + max + 1);
	struct btc_msg out;
	size_t used;

	(void)state;
	assert_non_null(buf);
	memset(buf + BTC_HEADER_LEN, 0x5a, max);
	memcpy(buf, MAINNET, 4);
	memcpy(buf + 4, "blocktxn\0\0\0\0", 12);
	ps_store_u32le(buf + 16, (uint32_t)max);
	btc_checksum(buf + 20, buf + BTC_HEADER_LEN, max);

	assert_int_equal(btc_msg_decode(&out, &used, MAINNET, buf, BTC_HEADER_LEN),
			 PS_ERR_NEED_MORE);
	assert_int_equal(btc_msg_decode(&out, &used, MAINNET, buf, BTC_HEADER_LEN + max - 1),
			 PS_ERR_NEED_MORE);
	assert_int_equal(used, 0);
	assert_int_equal(btc_msg_decode(&out, &used, MAINNET, buf, BTC_HEADER_LEN + max), PS_OK);
	assert_int_equal(used, BTC_HEADER_LEN + max);
	assert_int_equal(out.cmd, BTC_CMD_UNKNOWN);
	assert_int_equal(out.payload_len, max);

	/* 4,000,001: too large with the header only, and with everything */
	ps_store_u32le(buf + 16, (uint32_t)max + 1);
	memset(&out, 0xAA, sizeof(out));
	assert_int_equal(btc_msg_decode(&out, &used, MAINNET, buf, BTC_HEADER_LEN),
			 PS_ERR_TOO_LARGE);
	assert_int_equal(used, 0);
	assert_true(is_pattern(&out, sizeof(out)));
	assert_int_equal(btc_msg_decode(&out, &used, MAINNET, buf, BTC_HEADER_LEN + max + 1),
			 PS_ERR_TOO_LARGE);
	ps_store_u32le(buf + 16, UINT32_MAX);
	assert_int_equal(btc_msg_decode(&out, &used, MAINNET, buf, BTC_HEADER_LEN),
			 PS_ERR_TOO_LARGE);

	/* bad magic wins over too large */
	buf[0] ^= 1;
	assert_int_equal(btc_msg_decode(&out, &used, MAINNET, buf, BTC_HEADER_LEN),
			 PS_ERR_BAD_MAGIC);
	assert_true(is_pattern(&out, sizeof(out)));
	free(buf);
}

/* Byte-flip tamper: any changed payload or checksum byte is a checksum
 * mismatch, reported with the length to skip (Core drops the message). */
static void test_msg_decode_checksum_tamper(void **state)
{
	struct blob m = unhex(PY_VERSION);

	(void)state;
	for (size_t i = 20; i < m.len; i++) {
		struct btc_msg out;
		size_t used = 0;
		m.p[i] ^= 0x01;
		memset(&out, 0xAA, sizeof(out));
		assert_int_equal(btc_msg_decode(&out, &used, REGTEST, m.p, m.len),
				 PS_ERR_BAD_CHECKSUM);
		assert_int_equal(used, m.len);
		assert_true(is_pattern(&out, sizeof(out)));
		m.p[i] ^= 0x01;
	}
	free(m.p);
}

static void test_msg_decode_header_errors(void **state)
{
	uint8_t buf[128];
	struct btc_msg out;
	size_t used, n;

	(void)state;
	/* invalid command: dropped with the length to skip */
	n = raw_msg(buf, sizeof(buf), MAINNET, "ver\0sion\0\0\0\0", (const uint8_t *)"abc", 3);
	memset(&out, 0xAA, sizeof(out));
	assert_int_equal(btc_msg_decode(&out, &used, MAINNET, buf, n), PS_ERR_BAD_COMMAND);
	assert_int_equal(used, n);
	assert_true(is_pattern(&out, sizeof(out)));
	/* but only once the payload is all in */
	assert_int_equal(btc_msg_decode(&out, &used, MAINNET, buf, n - 1), PS_ERR_NEED_MORE);
	assert_int_equal(used, 0);

	/* invalid command and wrong checksum: Core checks the checksum first
	 * (net.cpp GetReceivedMessage: "Header error: Wrong checksum" before
	 * "Header error: Invalid message type") */
	buf[20] ^= 0xff;
	assert_int_equal(btc_msg_decode(&out, &used, MAINNET, buf, n), PS_ERR_BAD_CHECKSUM);
	assert_int_equal(used, n);

	n = raw_msg(buf, sizeof(buf), MAINNET, "verack\x01\0\0\0\0\0", buf + 100, 0);
	assert_int_equal(btc_msg_decode(&out, &used, MAINNET, buf, n), PS_ERR_BAD_COMMAND);
	assert_int_equal(used, BTC_HEADER_LEN);

	/* twelve NULs: valid as in Core, an unknown (empty) message type */
	n = raw_msg(buf, sizeof(buf), MAINNET, "\0\0\0\0\0\0\0\0\0\0\0\0", (const uint8_t *)"z", 1);
	assert_int_equal(btc_msg_decode(&out, &used, MAINNET, buf, n), PS_OK);
	assert_int_equal(out.cmd, BTC_CMD_UNKNOWN);
	assert_int_equal(used, n);

	/* a payload that does not parse: its error, used 0, nothing written */
	n = raw_msg(buf, sizeof(buf), MAINNET, "verack\0\0\0\0\0\0", (const uint8_t *)"z", 1);
	memset(&out, 0xAA, sizeof(out));
	assert_int_equal(btc_msg_decode(&out, &used, MAINNET, buf, n), PS_ERR_TRAILING);
	assert_int_equal(used, 0);
	assert_true(is_pattern(&out, sizeof(out)));
	n = raw_msg(buf, sizeof(buf), MAINNET, "pong\0\0\0\0\0\0\0\0", (const uint8_t *)"1234", 4);
	assert_int_equal(btc_msg_decode(&out, &used, MAINNET, buf, n), PS_ERR_MALFORMED);
	assert_int_equal(used, 0);
	assert_true(is_pattern(&out, sizeof(out)));
	n = raw_msg(buf, sizeof(buf), MAINNET, "version\0\0\0\0\0", (const uint8_t *)"1234", 4);
	assert_int_equal(btc_msg_decode(&out, &used, MAINNET, buf, n), PS_ERR_MALFORMED);
	assert_int_equal(used, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_decode_every_truncation),
		cmocka_unit_test(test_header_check_order),
		cmocka_unit_test(test_command_valid),
		cmocka_unit_test(test_command_set_and_names),
		cmocka_unit_test(test_checksum),
		cmocka_unit_test(test_compactsize_decode),
		cmocka_unit_test(test_compactsize_encode),
		cmocka_unit_test(test_varstr),
		cmocka_unit_test(test_netaddr),
		cmocka_unit_test(test_wiki_version),
		cmocka_unit_test(test_python_version),
		cmocka_unit_test(test_python_small_messages),
		cmocka_unit_test(test_version_every_truncation),
		cmocka_unit_test(test_version_user_agent_limit),
		cmocka_unit_test(test_version_trailing),
		cmocka_unit_test(test_fixed_every_truncation_and_trailing),
		cmocka_unit_test(test_payload_fixed_len),
		cmocka_unit_test(test_failed_fixed_decode_writes_nothing),
		cmocka_unit_test(test_fixed_values),
		cmocka_unit_test(test_unknown_payload),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_round_trip_every_message),
		cmocka_unit_test(test_msg_decode_every_truncation),
		cmocka_unit_test(test_msg_encode_every_short_buffer),
		cmocka_unit_test(test_encode_invalid),
		cmocka_unit_test(test_msg_decode_size_limit),
		cmocka_unit_test(test_msg_decode_checksum_tamper),
		cmocka_unit_test(test_msg_decode_header_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
