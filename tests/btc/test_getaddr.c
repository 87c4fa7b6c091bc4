/*
 * test_getaddr.c - ref/btc/handshake's addresses: sendaddrv2 recorded, the
 * responder's answer to getaddr (Core v31.1 net_processing.cpp "getaddr",
 * addrman.cpp GetAddr_, PushAddress), the initiator's getaddr and what it
 * keeps, and Core's limit of 1,000 entries per addr message.
 *
 * What the responder sends is read back with btc_addr_decode and compared
 * with the book it was given, field by field; the hand-built addr messages
 * fed to a peer come from test_addr.c's layout (BIP 155 / Core's V1
 * format), written out byte by byte here.
 */
#include <stdlib.h>
#include <string.h>

#include "btc/addr.h"
#include "btc/handshake.h"
#include "btc/v1.h"
#include "hs_config.h"
#include "testutil.h"

static const uint8_t REGTEST[4] = { 0xfa, 0xbf, 0xb5, 0xda };

#define SEC	UINT64_C(1000000000)
#define T0	(UINT64_C(1000) * SEC)
#define NOW	INT64_C(1800000000) /* the unix time of the handshake */
#define LOG_MAX 256

struct peer {
	struct btc_hs hs;
	struct btc_hs_config cfg;
	uint64_t seed;
	struct btc_event log[LOG_MAX];
	size_t nlog;
	uint8_t wire[2 * BTC_HS_OUT_ADDR]; /* everything it sent */
	size_t nwire;
	uint8_t out[BTC_HS_OUT_ADDR], rx[BTC_HS_RX_ADDR]; /* cfg.out_buf, cfg.rx_keep */
};

static struct peer I, R;
static struct btc_addr store[64];

static void drain(struct peer *p)
{
	struct btc_event ev;

	while (btc_hs_next_event(&p->hs, &ev)) {
		assert_true(p->nlog < LOG_MAX);
		p->log[p->nlog++] = ev;
	}
}

static void config(struct peer *p, uint64_t seed)
{
	memset(p, 0, sizeof(*p));
	p->seed = seed;
	hs_test_config(&p->cfg, &p->seed, "/t/");
	p->cfg.unix_time = NOW;
	p->cfg.out_buf = p->out;
	p->cfg.out_buf_len = sizeof(p->out);
	p->cfg.rx_keep = p->rx;
	p->cfg.rx_keep_len = sizeof(p->rx);
}

/* Move a's output to b; returns the bytes moved. */
static size_t transfer(struct peer *a, struct peer *b, uint64_t now)
{
	const uint8_t *o;
	size_t n = btc_hs_output(&a->hs, &o);

	if (n == 0)
		return 0;
	assert_true(a->nwire + n <= sizeof(a->wire));
	memcpy(a->wire + a->nwire, o, n);
	a->nwire += n;
	assert_int_equal(btc_hs_input(&b->hs, now, a->wire + a->nwire - n, n), PS_OK);
	btc_hs_consume(&a->hs, n);
	drain(a);
	drain(b);
	return n;
}

static void run(uint64_t now)
{
	for (int k = 0; k < 20; k++)
		if (transfer(&I, &R, now) + transfer(&R, &I, now) == 0)
			return;
	fail_msg("never quiet");
}

static void start(void)
{
	assert_int_equal(btc_hs_init(&I.hs, BTC_INITIATOR, &I.cfg, T0), PS_OK);
	assert_int_equal(btc_hs_init(&R.hs, BTC_RESPONDER, &R.cfg, T0), PS_OK);
	drain(&I);
	drain(&R);
	run(T0);
	assert_int_equal(btc_hs_outcome(&I.hs), PS_SUCCESS);
	assert_int_equal(btc_hs_outcome(&R.hs), PS_SUCCESS);
}

/* The book: loopback IPv4 and IPv6, Core's TORv3, I2P and CJDNS vectors. */
static struct btc_addr book[5];

static void make_book(void)
{
	static const char *const text[5] = {
		"127.0.0.1",
		"::1",
		"pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
		"ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p",
		"fc00:1:2:3:4:5:6:7",
	};
	for (size_t i = 0; i < 5; i++) {
		memset(&book[i], 0, sizeof(book[i]));
		assert_int_equal(btc_addr_parse(&book[i], text[i], strlen(text[i])), PS_OK);
		book[i].port = (uint16_t)(8333 + i);
		book[i].services = 0x409 + i;
		book[i].time = (uint32_t)NOW - (uint32_t)i;
	}
}

/* What find() returns when there is no such event: never NULL, so that
 * gcc -O2's -Wnull-dereference sees no path to a NULL (cmocka's asserts
 * are not noreturn to it). */
static const struct btc_event NONE;

/* The last event of p of type and command, or &NONE. */
static const struct btc_event *find(const struct peer *p, enum btc_ev_type type, const char *cmd)
{
	for (size_t k = p->nlog; k-- > 0;)
		if (p->log[k].type == type && strcmp(p->log[k].command, cmd) == 0)
			return &p->log[k];
	return &NONE;
}

static size_t count_of(const struct peer *p, enum btc_ev_type type, const char *cmd)
{
	size_t n = 0;

	for (size_t k = 0; k < p->nlog; k++)
		n += p->log[k].type == type && strcmp(p->log[k].command, cmd) == 0;
	return n;
}

/* The payload of the one message `cmd` in p's wire. */
static const uint8_t *sent_payload(const struct peer *p, const char *cmd, size_t *len)
{
	size_t off = 0;

	while (off < p->nwire) {
		struct btc_header h;
		assert_int_equal(btc_header_decode(&h, p->wire + off, p->nwire - off), PS_OK);
		if (strncmp((const char *)h.command, cmd, BTC_COMMAND_LEN) == 0) {
			*len = h.length;
			return p->wire + off + BTC_HEADER_LEN;
		}
		off += BTC_HEADER_LEN + h.length;
	}
	fail_msg("no %s sent", cmd);
	*len = 0;
	return p->wire; /* not reached: fail_msg ends the test */
}

static void setup_pair(unsigned pct)
{
	config(&I, 1);
	config(&R, 2);
	make_book();
	R.cfg.addrbook = book;
	R.cfg.naddrbook = 5;
	R.cfg.addr_pct = pct;
	I.cfg.getaddr = true;
	I.cfg.getaddr_wait_ns = 2 * SEC;
	I.cfg.addr_store = store;
	I.cfg.addr_store_cap = sizeof(store) / sizeof(store[0]);
}

/* A peer at 70016 sent sendaddrv2: all five in one addrv2, as given. */
static void test_addrv2_answer(void **state)
{
	const struct btc_event *ev;
	struct btc_addr got[8];
	const uint8_t *p;
	size_t len, n;

	(void)state;
	setup_pair(0);
	start();
	assert_true(btc_hs_peer_sendaddrv2(&R.hs));
	assert_true(btc_hs_peer_sendaddrv2(&I.hs));
	/* the initiator's getaddr went out right after its verack */
	assert_true(find(&I, BTC_EV_SENT, "getaddr") != &NONE);
	ev = find(&R, BTC_EV_SENT, "addrv2");
	assert_true(ev != &NONE);
	assert_true(ev->has_count);
	assert_int_equal(ev->count, 5);
	assert_true(find(&R, BTC_EV_SENT, "addr") == &NONE);

	p = sent_payload(&R, "addrv2", &len);
	assert_int_equal(btc_addr_decode(got, 8, &n, NULL, BTC_ADDR_FMT_V2, p, len), PS_OK);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_memory_equal(&got[i], &book[i], sizeof(book[i]));

	/* the initiator kept them, and said so in its RECV */
	ev = find(&I, BTC_EV_RECV, "addrv2");
	assert_true(ev != &NONE);
	assert_int_equal(ev->count, 5);
	assert_int_equal(ev->store_first, 0);
	assert_int_equal(ev->store_n, 5);
	{
		size_t kept;
		const struct btc_addr *a = btc_hs_addrs(&I.hs, &kept);
		assert_int_equal(kept, 5);
		for (size_t i = 0; i < 5; i++)
			assert_memory_equal(&a[i], &book[i], sizeof(book[i]));
	}
	assert_int_equal(btc_hs_addr_tally(&I.hs)->msgs_in, 1);
	assert_int_equal(btc_hs_addr_tally(&I.hs)->entries_in, 5);
	assert_int_equal(btc_hs_addr_tally(&R.hs)->entries_out, 5);

	/* the wait: until 2 s after done, then over */
	assert_true(btc_hs_getaddr_waiting(&I.hs));
	assert_true(btc_hs_expiry(&I.hs) == T0 + 2 * SEC);
	btc_hs_handle_expiry(&I.hs, T0 + 2 * SEC - 1);
	assert_true(btc_hs_getaddr_waiting(&I.hs));
	btc_hs_handle_expiry(&I.hs, T0 + 2 * SEC);
	assert_false(btc_hs_getaddr_waiting(&I.hs));
	assert_false(btc_hs_getaddr_waiting(&R.hs));
}

/* Core: "Only send one GetAddr response per connection"; and a getaddr to
 * the initiator (outbound for it) is ignored. */
static void test_second_getaddr_ignored(void **state)
{
	struct btc_msg m;
	const struct btc_event *ev;

	(void)state;
	setup_pair(0);
	start();
	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_GETADDR;
	assert_int_equal(btc_hs_send(&I.hs, &m), PS_OK);
	run(T0);
	assert_int_equal(count_of(&R, BTC_EV_RECV, "getaddr"), 2);
	ev = find(&R, BTC_EV_RECV, "getaddr");
	assert_string_equal(ev->note, "ignored: repeated getaddr");
	assert_int_equal(count_of(&R, BTC_EV_SENT, "addrv2"), 1);

	assert_int_equal(btc_hs_send(&R.hs, &m), PS_OK);
	run(T0);
	ev = find(&I, BTC_EV_RECV, "getaddr");
	assert_true(ev != &NONE);
	assert_string_equal(ev->note, "ignored: getaddr on an outbound connection");
	assert_true(find(&I, BTC_EV_SENT, "addrv2") == &NONE);
	assert_true(find(&I, BTC_EV_SENT, "addr") == &NONE);
}

/* A peer below 70016 sends no sendaddrv2: an addr with IPv4 and IPv6 only. */
static void test_addr_answer_v1_only(void **state)
{
	struct btc_addr got[8];
	const struct btc_event *ev;
	const uint8_t *p;
	size_t len, n;

	(void)state;
	setup_pair(0);
	I.cfg.version = 70015;
	start();
	assert_false(btc_hs_peer_sendaddrv2(&R.hs));
	ev = find(&R, BTC_EV_SENT, "addr");
	assert_true(ev != &NONE);
	assert_int_equal(ev->count, 2);
	assert_true(find(&R, BTC_EV_SENT, "addrv2") == &NONE);
	p = sent_payload(&R, "addr", &len);
	assert_int_equal(len, 1 + 2 * BTC_ADDR_V1_ENTRY_LEN);
	assert_int_equal(btc_addr_decode(got, 8, &n, NULL, BTC_ADDR_FMT_V1, p, len), PS_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(&got[0], &book[0], sizeof(book[0]));
	assert_memory_equal(&got[1], &book[1], sizeof(book[1]));
	assert_int_equal(btc_hs_addrs(&I.hs, &n)[1].net, BTC_NET_IPV6);
	assert_int_equal(n, 2);
}

/* Core's 23%: "nNodes = max_pct * nNodes / 100": one of five; of a hundred,
 * 23, each a book entry, no two alike. */
static void test_pct(void **state)
{
	static struct btc_addr big[100];
	struct btc_addr got[BTC_MAX_ADDR_TO_SEND];
	const uint8_t *p;
	size_t len, n;

	(void)state;
	setup_pair(BTC_MAX_PCT_ADDR_TO_SEND);
	start();
	assert_int_equal(find(&R, BTC_EV_SENT, "addrv2")->count, 1);

	setup_pair(BTC_MAX_PCT_ADDR_TO_SEND);
	for (size_t i = 0; i < 100; i++) {
		memset(&big[i], 0, sizeof(big[i]));
		big[i].net = BTC_NET_IPV4;
		big[i].len = 4;
		big[i].bytes[0] = 10;
		big[i].bytes[3] = (uint8_t)(i + 1);
		big[i].port = 8333;
		big[i].time = (uint32_t)NOW;
	}
	R.cfg.addrbook = big;
	R.cfg.naddrbook = 100;
	start();
	p = sent_payload(&R, "addrv2", &len);
	assert_int_equal(
		btc_addr_decode(got, BTC_MAX_ADDR_TO_SEND, &n, NULL, BTC_ADDR_FMT_V2, p, len),
		PS_OK);
	assert_int_equal(n, 23);
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(got[k].bytes[0], 10);
		assert_true(got[k].bytes[3] >= 1 && got[k].bytes[3] <= 100);
		if (k)
			assert_true(got[k].bytes[3] > got[k - 1].bytes[3]); /* the book's order */
	}
}

/* IsTerrible (a time over 10 minutes ahead, or over 30 days old) and
 * invalid addresses (0.0.0.0, a CJDNS without 0xfc) never go out; a book
 * of only those sends nothing ("No addr messages to send"). */
static void test_filtered(void **state)
{
	(void)state;
	setup_pair(0);
	book[0].time = (uint32_t)NOW + 601;
	book[1].time = (uint32_t)(NOW - 30 * 86400 - 1);
	book[2].time = (uint32_t)(NOW - 30 * 86400); /* exactly 30 days: kept */
	memset(book[3].bytes, 0, 32);
	book[3].net = BTC_NET_IPV4;
	book[3].len = 4; /* 0.0.0.0 */
	book[4].bytes[0] = 0xfd;
	start();
	assert_int_equal(find(&R, BTC_EV_SENT, "addrv2")->count, 1);

	setup_pair(0);
	book[0].time = (uint32_t)NOW + 601;
	R.cfg.naddrbook = 1;
	start();
	assert_true(find(&R, BTC_EV_SENT, "addrv2") == &NONE);
	assert_int_equal(count_of(&R, BTC_EV_RECV, "getaddr"), 1);
}

/* A hand-built addr message framed for REGTEST: count then entries of
 * 10.0.0.1:8333 (time 0, services 1), as in Core's V1 format. */
static size_t addr_frame(uint8_t *out, size_t cap, size_t count)
{
	static uint8_t payload[3 + 1001 * BTC_ADDR_V1_ENTRY_LEN];
	static const uint8_t entry[BTC_ADDR_V1_ENTRY_LEN] = {
		0, 0, 0, 0, 1, 0, 0, 0,	   0,	 0,  0, 0, 0, 0,    0,
		0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1, 0x20, 0x8d,
	};
	struct btc_msg m;
	struct ps_wcur w;
	size_t k = 0;

	assert_true(count <= 1001);
	if (count < 0xfd) {
		payload[k++] = (uint8_t)count;
	} else {
		payload[k++] = 0xfd;
		payload[k++] = (uint8_t)count;
		payload[k++] = (uint8_t)(count >> 8);
	}
	for (size_t i = 0; i < count; i++, k += sizeof(entry))
		memcpy(payload + k, entry, sizeof(entry));
	memset(&m, 0, sizeof(m));
	assert_int_equal(btc_command_set(m.command, "addr"), PS_OK);
	m.payload = payload;
	m.payload_len = k;
	w = ps_wcur_make(out, cap);
	assert_int_equal(btc_msg_encode(&w, REGTEST, &m), PS_OK);
	return (size_t)(w.p - out);
}

/* Core: "if (vAddr.size() > MAX_ADDR_TO_SEND) Misbehaving(...)": 1,000
 * entries are taken, 1,001 disconnect. */
static void test_1001_disconnects(void **state)
{
	static uint8_t frame[BTC_HEADER_LEN + 3 + 1001 * BTC_ADDR_V1_ENTRY_LEN];
	const struct btc_event *ev;
	size_t n;

	(void)state;
	setup_pair(0);
	R.cfg.addrbook = NULL;
	start();
	n = addr_frame(frame, sizeof(frame), 1000);
	assert_int_equal(btc_hs_input(&I.hs, T0, frame, n), PS_OK);
	drain(&I);
	ev = find(&I, BTC_EV_RECV, "addr");
	assert_true(ev != &NONE);
	assert_int_equal(ev->count, 1000);
	/* the store holds 64: the rest are counted */
	assert_int_equal(ev->store_n, 64);
	assert_int_equal(btc_hs_addr_tally(&I.hs)->over_cap, 1000 - 64);
	assert_false(btc_hs_ended(&I.hs));

	n = addr_frame(frame, sizeof(frame), 1001);
	assert_int_equal(btc_hs_input(&I.hs, T0, frame, n), PS_ERR_TOO_LARGE);
	drain(&I);
	assert_true(btc_hs_ended(&I.hs));
	assert_int_equal(btc_hs_outcome(&I.hs), PS_SUCCESS); /* a DISCONNECT after it */
	assert_int_equal(btc_hs_error(&I.hs), PS_ERR_TOO_LARGE);
	assert_true(find(&I, BTC_EV_DISCONNECT, "addr") != &NONE);
}

/* Before verack, Core never reads an addr ("Unsupported message prior to
 * verack"), 1,001 entries or not; nor answers getaddr. */
static void test_before_verack(void **state)
{
	static uint8_t frame[BTC_HEADER_LEN + 3 + 1001 * BTC_ADDR_V1_ENTRY_LEN];
	uint8_t buf[BTC_HS_OUTBUF];
	struct btc_msg m;
	struct ps_wcur w;
	size_t n;
	const uint8_t *o;

	(void)state;
	setup_pair(0);
	assert_int_equal(btc_hs_init(&R.hs, BTC_RESPONDER, &R.cfg, T0), PS_OK);
	/* a version, then getaddr and 1,001 addresses, no verack */
	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_VERSION;
	m.u.version.version = 70016;
	m.u.version.nonce = 7;
	m.u.version.user_agent = (const uint8_t *)"";
	m.u.version.present = BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT |
			      BTC_VERSION_HAS_HEIGHT | BTC_VERSION_HAS_RELAY;
	w = ps_wcur_make(buf, sizeof(buf));
	assert_int_equal(btc_msg_encode(&w, REGTEST, &m), PS_OK);
	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_GETADDR;
	assert_int_equal(btc_msg_encode(&w, REGTEST, &m), PS_OK);
	n = (size_t)(w.p - buf);
	assert_int_equal(btc_hs_input(&R.hs, T0, buf, n), PS_OK);
	n = addr_frame(frame, sizeof(frame), 1001);
	assert_int_equal(btc_hs_input(&R.hs, T0, frame, n), PS_OK);
	drain(&R);
	assert_false(btc_hs_ended(&R.hs));
	assert_string_equal(find(&R, BTC_EV_RECV, "getaddr")->note, "ignored: before verack");
	assert_string_equal(find(&R, BTC_EV_RECV, "addr")->note, "ignored: before verack");
	(void)btc_hs_output(&R.hs, &o);
	assert_true(find(&R, BTC_EV_SENT, "addrv2") == &NONE);
	assert_true(find(&R, BTC_EV_SENT, "addr") == &NONE);
}

/* Without the caller's buffers: a 1,000-entry answer does not fit the
 * struct's queue and is not sent (counted lost); a long addr is dropped
 * unread; a short one (Core relays up to 10) still fits BTC_HS_KEEP. */
static void test_without_buffers(void **state)
{
	static struct btc_addr big[1000];
	static uint8_t frame[BTC_HEADER_LEN + 3 + 1001 * BTC_ADDR_V1_ENTRY_LEN];
	const struct btc_event *ev;
	size_t n;

	(void)state;
	setup_pair(0);
	for (size_t i = 0; i < 1000; i++) {
		memset(&big[i], 0, sizeof(big[i]));
		big[i].net = BTC_NET_IPV4;
		big[i].len = 4;
		big[i].bytes[0] = 10;
		big[i].bytes[2] = (uint8_t)(i >> 8);
		big[i].bytes[3] = (uint8_t)(i + 1);
		big[i].port = 8333;
		big[i].time = (uint32_t)NOW;
	}
	R.cfg.addrbook = big;
	R.cfg.naddrbook = 1000;
	R.cfg.out_buf = NULL;
	I.cfg.rx_keep = NULL;
	start();
	assert_true(find(&R, BTC_EV_SENT, "addrv2") == &NONE);
	assert_true(btc_hs_events_lost(&R.hs) > 0);
	assert_int_equal(btc_hs_addr_tally(&R.hs)->msgs_out, 0);

	n = addr_frame(frame, sizeof(frame), 100);
	assert_int_equal(btc_hs_input(&I.hs, T0, frame, n), PS_OK);
	drain(&I);
	ev = find(&I, BTC_EV_DROPPED, "addr");
	assert_true(ev != &NONE);
	assert_int_equal(ev->err, PS_ERR_UNSUPPORTED);
	assert_string_equal(ev->note, "addr payload longer than we keep");
	n = addr_frame(frame, sizeof(frame), 10);
	assert_int_equal(btc_hs_input(&I.hs, T0, frame, n), PS_OK);
	drain(&I);
	assert_int_equal(find(&I, BTC_EV_RECV, "addr")->count, 10);
}

/* --getaddr-wait 0: no wait at all; the getaddr still goes out. */
static void test_no_wait(void **state)
{
	(void)state;
	setup_pair(0);
	I.cfg.getaddr_wait_ns = 0;
	assert_int_equal(btc_hs_init(&I.hs, BTC_INITIATOR, &I.cfg, T0), PS_OK);
	assert_int_equal(btc_hs_init(&R.hs, BTC_RESPONDER, &R.cfg, T0), PS_OK);
	run(T0);
	assert_int_equal(btc_hs_outcome(&I.hs), PS_SUCCESS);
	assert_false(btc_hs_getaddr_waiting(&I.hs));
	assert_true(find(&I, BTC_EV_SENT, "getaddr") != &NONE);
	/* a peer without the switch never waits */
	assert_false(btc_hs_getaddr_waiting(&R.hs));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addrv2_answer),
		cmocka_unit_test(test_second_getaddr_ignored),
		cmocka_unit_test(test_addr_answer_v1_only),
		cmocka_unit_test(test_pct),
		cmocka_unit_test(test_filtered),
		cmocka_unit_test(test_1001_disconnects),
		cmocka_unit_test(test_before_verack),
		cmocka_unit_test(test_without_buffers),
		cmocka_unit_test(test_no_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
