/*
 * test_v1.c - ref/btc/v1: the v1 transport on its own, through its ops.
 *
 * A stream of messages is read in every chunking (one byte at a time
 * included); each message comes out once, with the raw command, the
 * decoded cmd, the announced length, the first BTC_HS_KEEP payload bytes and
 * Core's verdict, and agrees with btc_msg_decode on the same bytes. Fatal
 * headers end the read before any payload byte; frames written come back
 * through describe() and the reader.
 */
#include <stdlib.h>
#include <string.h>

#include "btc/params.h"
#include "btc/transport.h"
#include "btc/v1.h"
#include "testutil.h"

static const uint8_t REGTEST[4] = { 0xfa, 0xbf, 0xb5, 0xda };
static const uint8_t MAINNET[4] = { 0xf9, 0xbe, 0xb4, 0xd9 };

static size_t frame(uint8_t *buf, const uint8_t magic[4], const char *cmd, const uint8_t *payload,
		    size_t plen)
{
	memcpy(buf, magic, 4);
	memset(buf + 4, 0, 12);
	memcpy(buf + 4, cmd, strlen(cmd) < 12 ? strlen(cmd) : 12);
	ps_store_u32le(buf + 16, (uint32_t)plen);
	btc_checksum(buf + 20, payload, plen);
	if (plen)
		memcpy(buf + 24, payload, plen);
	return 24 + plen;
}

struct got {
	struct btc_rx_msg m;
	uint8_t keep[BTC_HS_KEEP];
};

/* Read all of (in, len) in chunks of at most max; returns the messages. */
static size_t read_all(struct got *out, size_t cap, const uint8_t *in, size_t len, size_t max,
		       int *fatal)
{
	static struct btc_transport t;
	uint8_t obuf[16];
	size_t n = 0, off = 0;

	*fatal = PS_OK;
	assert_int_equal(btc_transport_open(&t, BTC_TRANSPORT_V1, REGTEST, BTC_RESPONDER, NULL,
					    &(struct ps_wcur){ obuf, obuf + sizeof(obuf) }),
			 PS_OK);
	assert_string_equal(t.ops->name, "v1");
	assert_true(t.ops->ready(&t));
	while (off < len) {
		size_t chunk = len - off < max ? len - off : max, used = 0;
		struct ps_wcur w = ps_wcur_make(obuf, sizeof(obuf));
		struct btc_rx_msg m;
		bool got = false;
		int r = t.ops->read(&t, &m, &got, &used, &w, in + off, chunk);

		assert_true(w.p == obuf); /* v1 sends nothing of its own */
		assert_true(used <= chunk);
		off += used;
		if (r != PS_OK) {
			*fatal = r;
			assert_non_null(m.note);
			assert_int_equal(m.bytes, BTC_HEADER_LEN);
			assert_int_equal(t.ops->rx_pending(&t), 0);
			return n;
		}
		if (!got) {
			assert_int_equal(used, chunk);
			continue;
		}
		assert_true(n < cap);
		out[n].m = m;
		memcpy(out[n].keep, m.payload, m.kept);
		n++;
	}
	return n;
}

static void test_stream_every_chunking(void **state)
{
	uint8_t *s = malloc(8192), big[1000];
	size_t len = 0, offs[8], nmsg = 0;
	struct got got[8];
	int fatal;

	(void)state;
	assert_non_null(s);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	offs[nmsg++] = len;
	len += frame(s + len, REGTEST, "verack", NULL, 0);
	offs[nmsg++] = len;
	len += frame(s + len, REGTEST, "ping", big, 8);
	offs[nmsg++] = len;
	len += frame(s + len, REGTEST, "block", big, sizeof(big)); /* over BTC_HS_KEEP */
	offs[nmsg++] = len;
	len += frame(s + len, REGTEST, "ping", big, 8);
	s[len - 1] ^= 1; /* checksum now wrong */
	offs[nmsg++] = len;
	len += frame(s + len, REGTEST, "ver\x01", NULL, 0); /* invalid command */
	offs[nmsg++] = len;
	len += frame(s + len, REGTEST, "pi", NULL, 0);
	s[offs[nmsg - 1] + 4 + 3] = 'g'; /* "pi\0g": invalid */
	s[len - 4] ^= 1;		 /* and a wrong checksum: the checksum */

	for (size_t max = 1; max <= len; max += (max < 40 ? 1 : 97)) {
		size_t n = read_all(got, 8, s, len, max, &fatal);
		assert_int_equal(fatal, PS_OK);
		assert_int_equal(n, nmsg);
		for (size_t k = 0; k < n; k++) {
			const struct btc_rx_msg *m = &got[k].m;
			size_t end = k + 1 < nmsg ? offs[k + 1] : len, used;
			struct btc_msg dm;
			int r = btc_msg_decode(&dm, &used, REGTEST, s + offs[k], end - offs[k]);

			assert_int_equal(m->bytes, end - offs[k]);
			assert_int_equal(m->length, end - offs[k] - BTC_HEADER_LEN);
			assert_memory_equal(m->command, s + offs[k] + 4, 12);
			assert_int_equal(m->cmd, btc_cmd_from_bytes(s + offs[k] + 4));
			assert_int_equal(m->kept,
					 m->length < BTC_HS_KEEP ? m->length : BTC_HS_KEEP);
			assert_memory_equal(got[k].keep, s + offs[k] + 24, m->kept);
			/* the same verdict as the whole-message decoder */
			if (r == PS_ERR_BAD_CHECKSUM || r == PS_ERR_BAD_COMMAND) {
				assert_int_equal(m->verdict, r);
				assert_non_null(m->note);
			} else {
				assert_int_equal(r, PS_OK);
				assert_int_equal(m->verdict, PS_OK);
				assert_null(m->note);
			}
		}
		assert_int_equal(got[3].m.verdict, PS_ERR_BAD_CHECKSUM);
		assert_int_equal(got[4].m.verdict, PS_ERR_BAD_COMMAND);
		assert_int_equal(got[5].m.verdict, PS_ERR_BAD_CHECKSUM);
	}
	free(s);
}

/* Core disconnects on a wrong magic or a length over 4,000,000 as soon as
 * the header is in: nothing after it is taken. */
static void test_fatal_headers(void **state)
{
	uint8_t s[256];
	struct got got[4];
	size_t len = 0;
	int fatal;

	(void)state;
	len = frame(s, REGTEST, "verack", NULL, 0);
	len += frame(s + len, MAINNET, "verack", NULL, 0);
	len += frame(s + len, REGTEST, "verack", NULL, 0);
	for (size_t max = 1; max <= len; max++) {
		assert_int_equal(read_all(got, 4, s, len, max, &fatal), 1);
		assert_int_equal(fatal, PS_ERR_BAD_MAGIC);
	}
	len = frame(s, REGTEST, "block", NULL, 0);
	ps_store_u32le(s + 16, BTC_MAX_PAYLOAD + 1);
	memset(s + 24, 0x11, 100);
	for (size_t max = 1; max <= 124; max++) {
		assert_int_equal(read_all(got, 4, s, 124, max, &fatal), 0);
		assert_int_equal(fatal, PS_ERR_TOO_LARGE);
	}
}

/* rx_pending: the header bytes so far, then header and payload so far. */
static void test_rx_pending(void **state)
{
	static struct btc_transport t;
	uint8_t s[64], o[1];
	struct ps_wcur w = ps_wcur_make(o, sizeof(o));
	struct btc_rx_msg m;
	size_t len = frame(s, REGTEST, "ping", (const uint8_t *)"12345678", 8), used;
	bool got;

	(void)state;
	assert_int_equal(btc_transport_open(&t, BTC_TRANSPORT_V1, REGTEST, BTC_INITIATOR, NULL, &w),
			 PS_OK);
	for (size_t k = 0; k < len; k++) {
		assert_int_equal(t.ops->rx_pending(&t), k);
		assert_int_equal(t.ops->read(&t, &m, &got, &used, &w, s + k, 1), PS_OK);
		assert_int_equal(used, 1);
		assert_int_equal(got, k == len - 1);
	}
	assert_int_equal(t.ops->rx_pending(&t), 0);
	/* an unknown kind is refused */
	assert_int_equal(btc_transport_open(&t, (enum btc_transport_kind)7, REGTEST, BTC_INITIATOR,
					    NULL, &w),
			 PS_ERR_INVALID_ARG);
}

/* write() frames what btc_msg_encode would; describe() reads it back. */
static void test_write_describe(void **state)
{
	static struct btc_transport t;
	uint8_t a[64], b[64], cmd[12], o[1];
	struct ps_wcur w = ps_wcur_make(o, sizeof(o));
	struct btc_msg m;
	uint32_t length;

	(void)state;
	assert_int_equal(btc_transport_open(&t, BTC_TRANSPORT_V1, MAINNET, BTC_INITIATOR, NULL, &w),
			 PS_OK);
	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_PING;
	m.u.ping.has_nonce = true;
	m.u.ping.nonce = 42;
	w = ps_wcur_make(a, sizeof(a));
	assert_int_equal(btc_msg_encode(&w, MAINNET, &m), PS_OK);
	assert_int_equal(btc_command_set(cmd, "ping"), PS_OK);
	w = ps_wcur_make(b, sizeof(b));
	assert_int_equal(t.ops->write(&t, &w, cmd, a + 24, 8), PS_OK);
	assert_int_equal(w.p - b, 32);
	assert_memory_equal(a, b, 32);
	/* one byte short: refused, the cursor where it was */
	w = ps_wcur_make(b, 31);
	assert_int_equal(t.ops->write(&t, &w, cmd, a + 24, 8), PS_ERR_NOBUF);
	assert_true(w.p == b);
	memset(cmd, 0, sizeof(cmd));
	assert_int_equal(t.ops->describe(&t, cmd, &length, a, 32), PS_OK);
	assert_memory_equal(cmd, "ping\0\0\0\0\0\0\0\0", 12);
	assert_int_equal(length, 8);
	assert_int_equal(t.ops->describe(&t, cmd, &length, a, 23), PS_ERR_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_every_chunking),
		cmocka_unit_test(test_fatal_headers),
		cmocka_unit_test(test_rx_pending),
		cmocka_unit_test(test_write_describe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
