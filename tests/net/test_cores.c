/*
 * test_cores.c - ref/net/cores: the Bitcoin v1 and Noise NNpsk2 adapters,
 * end to end over loopback: two net_sessions in one loop, the outbound one
 * the initiator, the accepted one the responder.
 *
 * Each connection (session and core) is one malloc'd block freed in
 * on_done, so ASan sees any touch after it and any leak of the Noise peer's
 * buffers. What a test checks is copied out in on_result, before the core
 * is released. The loop must end by itself when both sessions are done;
 * alarm() makes a hang a failure, a guard timer aborts what is left.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "btc/params.h"
#include "crypto/crypto.h"
#include "net/cores.h"
#include "net/loop.h"
#include "net/session.h"
#include "net/sock.h"
#include "noise/peer.h"
#include "testutil.h"

#define MS	 UINT64_C(1000000)
#define SEC	 UINT64_C(1000000000)
#define GUARD_NS (10 * SEC)

enum proto { P_BTC, P_NOISE };

/* What one side saw, copied out before the core is released. */
struct rec {
	bool present; /* a session existed on this side */
	int results, dones, events_calls;
	enum net_outcome outcome;
	int err;
	bool started, outbound;
	/* btc */
	bool got_version, got_verack;
	struct btc_peer_info peer;
	struct btc_netaddr addr_recv; /* the cfg.peer the adapter set at start */
	uint64_t core_timeout_ns;
	int64_t unix_time;
	unsigned btc_ev[8]; /* counts by enum btc_ev_type */
	/* noise */
	uint8_t hash[64];
	size_t hash_len;
	uint8_t payload[64], transport[64];
	size_t payload_len, transport_len;
	unsigned noise_ev[8]; /* counts by enum noise_peer_ev_type */
	int noise_fail_err;
};

struct side_cfg {
	enum proto proto;
	struct btc_hs_config btc;
	struct noise_peer_config noise;
	uint64_t timeout_ns, linger_ns;
};

struct world;

struct conn {
	struct net_session s; /* first */
	union {
		struct net_btc_core btc;
		struct net_noise_core noise;
	} core;
	enum proto proto;
	uint64_t seed; /* the RNG's state */
	struct world *w;
	struct rec *rec;
	struct conn *next;
};

struct world {
	struct net_loop *loop;
	int lfd, lwatch;
	struct sockaddr_storage laddr;
	struct conn *live;
	int guard;
	bool guard_fired;
	struct side_cfg cfg[2]; /* [0] outbound/initiator, [1] inbound/responder */
	struct rec rec[2];
};

static const uint8_t P1[] = "hello from the initiator";
static const uint8_t P2[] = "hello from the responder";
static const uint8_t T[] = "echo this";
static const uint8_t PROLOGUE[] = "peershake test";

/* ---- config ---- */

static void btc_cfg(struct btc_hs_config *c, const char *ua, int32_t height)
{
	const struct btc_network *net = btc_network_find("regtest");

	assert_non_null(net);
	memset(c, 0, sizeof(*c));
	memcpy(c->magic, net->magic, 4);
	c->version = BTC_PROTOCOL_VERSION;
	c->services = BTC_NODE_NETWORK | BTC_NODE_WITNESS;
	c->user_agent = ua;
	c->start_height = height;
	c->relay = true;
	c->rng = tu_rng;
	/* rng_ctx is the connection's seed, set per connection */
}

static void noise_cfg(struct noise_peer_config *c, uint8_t psk_byte)
{
	memset(c, 0, sizeof(*c));
	memset(c->psk, psk_byte, sizeof(c->psk));
	c->prologue = PROLOGUE;
	c->prologue_len = sizeof(PROLOGUE) - 1;
	c->payload1 = P1;
	c->payload1_len = sizeof(P1) - 1;
	c->payload2 = P2;
	c->payload2_len = sizeof(P2) - 1;
	c->transport = T;
	c->transport_len = sizeof(T) - 1;
	c->rng = tu_rng;
}

/* ---- session callbacks ---- */

static void on_alarm(int sig)
{
	static const char msg[] = "test_cores: the loop did not end: a session left a "
				  "watcher behind or never finished\n";
	(void)sig;
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

static void world_maybe_over(struct world *w)
{
	if (!w->live && w->lfd < 0 && w->guard >= 0) {
		net_watch_del(w->loop, w->guard);
		w->guard = -1;
	}
}

static void cb_events(void *ctx, struct net_session *s)
{
	struct conn *c = ctx;

	(void)s;
	c->rec->events_calls++;
	if (c->proto == P_BTC) {
		struct btc_event ev;
		while (btc_hs_next_event(&c->core.btc.hs, &ev))
			if ((unsigned)ev.type < 8)
				c->rec->btc_ev[ev.type]++;
	} else {
		struct noise_peer_event ev;
		while (noise_peer_next_event(&c->core.noise.peer, &ev)) {
			if ((unsigned)ev.type < 8)
				c->rec->noise_ev[ev.type]++;
			if (ev.type == NOISE_PEER_EV_FAILED)
				c->rec->noise_fail_err = ev.err;
		}
	}
}

static void cb_result(void *ctx, struct net_session *s)
{
	struct conn *c = ctx;
	struct rec *r = c->rec;

	r->results++;
	r->outcome = s->outcome;
	r->err = s->err;
	r->started = s->started;
	r->outbound = s->outbound;
	if (!s->started)
		return;
	if (c->proto == P_BTC) {
		const struct net_btc_core *b = &c->core.btc;
		r->got_version = btc_hs_peer(&b->hs) != NULL;
		r->got_verack = btc_hs_outcome(&b->hs) == PS_SUCCESS;
		if (btc_hs_peer(&b->hs))
			r->peer = *btc_hs_peer(&b->hs);
		r->addr_recv = b->cfg.peer;
		r->core_timeout_ns = b->cfg.timeout_ns;
		r->unix_time = b->cfg.unix_time;
	} else {
		const struct noise_peer *p = &c->core.noise.peer;
		const uint8_t *h;
		size_t n;
		r->core_timeout_ns = c->core.noise.cfg.timeout_ns;
		if ((h = noise_peer_handshake_hash(p, &n)) != NULL) {
			assert_true(n <= sizeof(r->hash));
			memcpy(r->hash, h, n);
			r->hash_len = n;
		}
		if ((h = noise_peer_payload(p, &n)) != NULL) {
			assert_true(n <= sizeof(r->payload));
			memcpy(r->payload, h, n);
			r->payload_len = n;
		}
		if ((h = noise_peer_transport(p, &n)) != NULL) {
			assert_true(n <= sizeof(r->transport));
			memcpy(r->transport, h, n);
			r->transport_len = n;
		}
	}
}

static void cb_done(void *ctx, struct net_session *s)
{
	struct conn *c = ctx;
	struct world *w = c->w;

	assert_ptr_equal(&c->s, s);
	c->rec->dones++;
	assert_int_equal(c->rec->results, 1);
	for (struct conn **p = &w->live; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	memset(c, 0xa5, sizeof(*c));
	free(c);
	world_maybe_over(w);
}

static const struct net_session_ops session_ops = {
	.on_connected = NULL,
	.on_events = cb_events,
	.on_result = cb_result,
	.on_done = cb_done,
};

static struct conn *conn_new(struct world *w, int side, struct net_session_params *p)
{
	struct conn *c = calloc(1, sizeof(*c));
	const struct side_cfg *sc = &w->cfg[side];

	assert_non_null(c);
	c->w = w;
	c->rec = &w->rec[side];
	c->rec->present = true;
	c->proto = sc->proto;
	c->seed = 1000 + (uint64_t)side;
	memset(p, 0, sizeof(*p));
	if (sc->proto == P_BTC) {
		c->core.btc.cfg = sc->btc;
		c->core.btc.cfg.rng_ctx = &c->seed;
		p->core_ops = &net_btc_core_ops;
		p->core = &c->core.btc;
	} else {
		c->core.noise.cfg = sc->noise;
		c->core.noise.cfg.rng_ctx = &c->seed;
		p->core_ops = &net_noise_core_ops;
		p->core = &c->core.noise;
	}
	p->timeout_ns = sc->timeout_ns;
	p->linger_ns = sc->linger_ns;
	p->ops = &session_ops;
	p->ctx = c;
	c->next = w->live;
	w->live = c;
	return c;
}

/* ---- the world ---- */

static void close_listener(struct world *w)
{
	if (w->lwatch >= 0)
		net_watch_del(w->loop, w->lwatch);
	w->lwatch = -1;
	if (w->lfd >= 0)
		close(w->lfd);
	w->lfd = -1;
}

static void on_listen(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct world *w = ctx;
	struct sockaddr_storage ss;
	struct net_session_params p;
	struct conn *c;
	int fd, r;

	(void)loop, (void)revents, (void)now_ns;
	r = net_sock_accept(&fd, &ss, w->lfd);
	if (r == PS_ERR_NEED_MORE)
		return;
	assert_int_equal(r, PS_OK);
	close_listener(w);
	c = conn_new(w, 1, &p);
	assert_int_equal(net_session_accept(&c->s, w->loop, fd, &ss, &p), PS_OK);
	world_maybe_over(w);
}

static void on_guard(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct world *w = ctx;

	(void)loop, (void)revents, (void)now_ns;
	w->guard_fired = true;
	net_watch_del(w->loop, w->guard);
	w->guard = -1;
	close_listener(w);
	while (w->live)
		net_session_abort(&w->live->s, PS_ERR_TIMEOUT);
}

static void world_init(struct world *w, enum proto pi, enum proto pr)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(w->laddr);

	memset(w, 0, sizeof(*w));
	w->lfd = w->lwatch = -1;
	w->cfg[0].proto = pi;
	w->cfg[1].proto = pr;
	btc_cfg(&w->cfg[0].btc, "/peershake-test:initiator/", 111);
	btc_cfg(&w->cfg[1].btc, "/peershake-test:responder/", 222);
	noise_cfg(&w->cfg[0].noise, 0x42);
	noise_cfg(&w->cfg[1].noise, 0x42);
	w->cfg[0].timeout_ns = w->cfg[1].timeout_ns = 5 * SEC;
	w->loop = net_loop_create(false);
	assert_non_null(w->loop);
	w->guard = net_watch_add(w->loop, -1, 0, net_now_ns() + GUARD_NS, on_guard, w);
	assert_true(w->guard >= 0);
	assert_true(net_addr_numeric(&ss, "127.0.0.1", 0));
	assert_int_equal(net_sock_listen(&w->lfd, &ss, 16), PS_OK);
	assert_int_equal(getsockname(w->lfd, (struct sockaddr *)&w->laddr, &len), 0);
	w->lwatch = net_watch_add(w->loop, w->lfd, POLLIN, UINT64_MAX, on_listen, w);
	assert_true(w->lwatch >= 0);
}

static void world_run(struct world *w)
{
	signal(SIGALRM, on_alarm);
	alarm(GUARD_NS / SEC + 20);
	assert_int_equal(net_loop_run(w->loop), PS_OK);
	alarm(0);
	if (w->guard_fired)
		fail_msg("the sessions did not end within %u s", (unsigned)(GUARD_NS / SEC));
	assert_null(w->live);
}

/* Both sides as sessions. */
static void pair(struct world *w)
{
	struct net_session_params p;
	struct conn *c = conn_new(w, 0, &p);

	assert_int_equal(net_session_connect(&c->s, w->loop, &w->laddr, &p), PS_OK);
	world_run(w);
	for (int side = 0; side < 2; side++) {
		assert_true(w->rec[side].present);
		assert_int_equal(w->rec[side].results, 1);
		assert_int_equal(w->rec[side].dones, 1);
	}
	assert_true(w->rec[0].outbound);
	assert_false(w->rec[1].outbound);
}

/* Only the responder is a session; the client is a raw socket that
 * connects and says nothing (or sends junk) and is closed afterwards. */
static void responder_alone(struct world *w, const void *junk, size_t len)
{
	int fd = -1;
	struct pollfd pf;

	assert_int_equal(net_sock_connect(&fd, &w->laddr, NULL), PS_OK);
	pf = (struct pollfd){ fd, POLLOUT, 0 };
	assert_int_equal(poll(&pf, 1, 5000), 1);
	if (len)
		assert_int_equal(send(fd, junk, len, MSG_NOSIGNAL), (ssize_t)len);
	world_run(w);
	close(fd);
	assert_int_equal(w->rec[1].results, 1);
	assert_int_equal(w->rec[1].dones, 1);
}

static void world_free(struct world *w)
{
	close_listener(w);
	net_loop_destroy(w->loop);
}

/* ---- Bitcoin ---- */

static void test_btc_success(void **state)
{
	struct world w;
	uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1 };

	(void)state;
	world_init(&w, P_BTC, P_BTC);
	pair(&w);
	for (int side = 0; side < 2; side++) {
		struct rec *r = &w.rec[side];
		assert_int_equal(r->outcome, NET_SUCCESS);
		assert_int_equal(r->err, PS_OK);
		assert_true(r->started);
		assert_true(r->got_version);
		assert_true(r->got_verack);
		assert_int_equal(r->btc_ev[BTC_EV_VERSION], 1);
		assert_int_equal(r->btc_ev[BTC_EV_SUCCESS], 1);
		assert_int_equal(r->btc_ev[BTC_EV_FAILED], 0);
		assert_int_equal(r->peer.version, BTC_PROTOCOL_VERSION);
		assert_int_equal(r->peer.services, BTC_NODE_NETWORK | BTC_NODE_WITNESS);
		assert_true(r->peer.relay);
		/* the adapter set the deadline, the clock and addr_recv */
		assert_true(r->core_timeout_ns > 0 && r->core_timeout_ns <= 5 * SEC);
		assert_true(r->unix_time > 1500000000);
		assert_memory_equal(r->addr_recv.ip, mapped, 16);
		assert_int_equal(r->addr_recv.services, 0);
	}
	/* each saw the other's user agent and height */
	assert_string_equal(w.rec[0].peer.user_agent, "/peershake-test:responder/");
	assert_int_equal(w.rec[0].peer.start_height, 222);
	assert_string_equal(w.rec[1].peer.user_agent, "/peershake-test:initiator/");
	assert_int_equal(w.rec[1].peer.start_height, 111);
	/* addr_recv is where each one's peer is: the listener for the
	 * initiator */
	assert_int_equal(w.rec[0].addr_recv.port, net_addr_port(&w.laddr));
	assert_int_not_equal(w.rec[1].addr_recv.port, net_addr_port(&w.laddr));
	world_free(&w);
}

/* With linger on both sides the success stands and both end when the
 * shorter linger closes the connection. */
static void test_btc_success_lingering(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, P_BTC, P_BTC);
	w.cfg[0].linger_ns = 30 * MS;
	w.cfg[1].linger_ns = 60 * SEC;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, NET_SUCCESS);
	assert_int_equal(w.rec[1].outcome, NET_SUCCESS);
	world_free(&w);
}

/* Different networks: the responder fails on the magic, the initiator sees
 * the close before any version: FAILED, closed. */
static void test_btc_wrong_magic(void **state)
{
	struct world w;
	const struct btc_network *main_net = btc_network_find("mainnet");

	(void)state;
	world_init(&w, P_BTC, P_BTC);
	memcpy(w.cfg[1].btc.magic, main_net->magic, 4);
	pair(&w);
	assert_int_equal(w.rec[1].outcome, NET_FAILED);
	assert_int_equal(w.rec[1].err, PS_ERR_BAD_MAGIC);
	assert_int_equal(w.rec[0].outcome, NET_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_CLOSED);
	assert_false(w.rec[0].got_version);
	world_free(&w);
}

/* The initiator requires a service the responder lacks: it fails
 * missing-services; the responder, which had their version but not their
 * verack, ends PARTIAL (closed). */
static void test_btc_missing_services_partial(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, P_BTC, P_BTC);
	w.cfg[0].btc.required_services = BTC_NODE_NETWORK_LIMITED;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, NET_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_MISSING_SERVICES);
	assert_int_equal(w.rec[1].outcome, NET_PARTIAL);
	assert_int_equal(w.rec[1].err, PS_ERR_CLOSED);
	assert_true(w.rec[1].got_version);
	assert_false(w.rec[1].got_verack);
	world_free(&w);
}

/* A client that connects and says nothing: the responder times out. */
static void test_btc_responder_timeout(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, P_BTC, P_BTC);
	w.cfg[1].timeout_ns = 50 * MS;
	responder_alone(&w, NULL, 0);
	assert_int_equal(w.rec[1].outcome, NET_FAILED);
	assert_int_equal(w.rec[1].err, PS_ERR_TIMEOUT);
	assert_true(w.rec[1].core_timeout_ns <= 50 * MS);
	world_free(&w);
}

/* A user agent over 256 bytes: start fails, nothing to release. */
static void test_btc_start_fails(void **state)
{
	static char long_ua[300];
	struct world w;

	(void)state;
	memset(long_ua, 'u', sizeof(long_ua) - 1);
	world_init(&w, P_BTC, P_BTC);
	w.cfg[0].btc.user_agent = long_ua;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, NET_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_INVALID_ARG);
	assert_false(w.rec[0].started);
	assert_int_equal(w.rec[1].outcome, NET_FAILED);
	assert_int_equal(w.rec[1].err, PS_ERR_CLOSED);
	world_free(&w);
}

/* ---- Noise ---- */

static void test_noise_success(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, P_NOISE, P_NOISE);
	pair(&w);
	for (int side = 0; side < 2; side++) {
		struct rec *r = &w.rec[side];
		assert_int_equal(r->outcome, NET_SUCCESS);
		assert_int_equal(r->err, PS_OK);
		assert_true(r->started);
		assert_int_equal(r->hash_len, 32); /* BLAKE2s */
		assert_int_equal(r->noise_ev[NOISE_PEER_EV_HANDSHAKE_DONE], 1);
		assert_int_equal(r->noise_ev[NOISE_PEER_EV_SUCCESS], 1);
		assert_int_equal(r->noise_ev[NOISE_PEER_EV_FAILED], 0);
		assert_true(r->core_timeout_ns > 0 && r->core_timeout_ns <= 5 * SEC);
	}
	/* one handshake: one hash */
	assert_memory_equal(w.rec[0].hash, w.rec[1].hash, 32);
	/* the payloads crossed, the transport message was echoed */
	assert_int_equal(w.rec[1].payload_len, sizeof(P1) - 1);
	assert_memory_equal(w.rec[1].payload, P1, sizeof(P1) - 1);
	assert_int_equal(w.rec[0].payload_len, sizeof(P2) - 1);
	assert_memory_equal(w.rec[0].payload, P2, sizeof(P2) - 1);
	assert_int_equal(w.rec[1].transport_len, sizeof(T) - 1);
	assert_memory_equal(w.rec[1].transport, T, sizeof(T) - 1);
	assert_int_equal(w.rec[0].transport_len, sizeof(T) - 1);
	assert_memory_equal(w.rec[0].transport, T, sizeof(T) - 1);
	world_free(&w);
}

/* Another hash: a 64-byte handshake hash, still equal on both sides. */
static void test_noise_success_blake2b(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, P_NOISE, P_NOISE);
	w.cfg[0].noise.protocol = "Noise_NNpsk2_25519_ChaChaPoly_BLAKE2b";
	w.cfg[1].noise.protocol = "Noise_NNpsk2_25519_ChaChaPoly_BLAKE2b";
	pair(&w);
	assert_int_equal(w.rec[0].outcome, NET_SUCCESS);
	assert_int_equal(w.rec[1].outcome, NET_SUCCESS);
	assert_int_equal(w.rec[0].hash_len, 64);
	assert_int_equal(w.rec[1].hash_len, 64);
	assert_memory_equal(w.rec[0].hash, w.rec[1].hash, 64);
	world_free(&w);
}

/* The RNG is the test's: the same configuration twice gives the same
 * handshake hash; another prologue (on both sides) another one. */
static void test_noise_hash_deterministic(void **state)
{
	struct world w;
	uint8_t first[32];

	(void)state;
	world_init(&w, P_NOISE, P_NOISE);
	pair(&w);
	assert_int_equal(w.rec[0].outcome, NET_SUCCESS);
	memcpy(first, w.rec[0].hash, 32);
	world_free(&w);

	world_init(&w, P_NOISE, P_NOISE);
	pair(&w);
	assert_int_equal(w.rec[0].outcome, NET_SUCCESS);
	assert_memory_equal(w.rec[0].hash, first, 32);
	world_free(&w);

	world_init(&w, P_NOISE, P_NOISE);
	w.cfg[0].noise.prologue_len--;
	w.cfg[1].noise.prologue_len--;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, NET_SUCCESS);
	assert_memory_equal(w.rec[0].hash, w.rec[1].hash, 32);
	assert_memory_not_equal(w.rec[0].hash, first, 32);
	world_free(&w);
}

/* Different PSKs: the initiator cannot decrypt message 2 and fails
 * decrypt; the responder, waiting for the transport message, sees the
 * close. */
static void test_noise_wrong_psk(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, P_NOISE, P_NOISE);
	w.cfg[1].noise.psk[31] ^= 1;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, NET_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_DECRYPT);
	assert_int_equal(w.rec[0].noise_fail_err, PS_ERR_DECRYPT);
	assert_int_equal(w.rec[0].hash_len, 0);
	assert_int_equal(w.rec[1].outcome, NET_FAILED);
	assert_int_equal(w.rec[1].err, PS_ERR_CLOSED);
	world_free(&w);
}

/* A different prologue: the handshake hash differs from the start, and
 * message 1's payload is already encrypted under it (in a PSK handshake
 * "e" also mixes the key), so the responder fails decrypt on message 1 and
 * the initiator sees the close. */
static void test_noise_wrong_prologue(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, P_NOISE, P_NOISE);
	w.cfg[1].noise.prologue_len--;
	pair(&w);
	assert_int_equal(w.rec[1].outcome, NET_FAILED);
	assert_int_equal(w.rec[1].err, PS_ERR_DECRYPT);
	assert_int_equal(w.rec[1].noise_fail_err, PS_ERR_DECRYPT);
	assert_int_equal(w.rec[0].outcome, NET_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_CLOSED);
	world_free(&w);
}

/* A silent client: the Noise responder times out. */
static void test_noise_responder_timeout(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, P_NOISE, P_NOISE);
	w.cfg[1].timeout_ns = 50 * MS;
	responder_alone(&w, NULL, 0);
	assert_int_equal(w.rec[1].outcome, NET_FAILED);
	assert_int_equal(w.rec[1].err, PS_ERR_TIMEOUT);
	world_free(&w);
}

/* A frame too short for message 1 (declared length 1): the responder fails
 * at once on the size. */
static void test_noise_responder_short_frame(void **state)
{
	static const uint8_t frame[] = { 0x00, 0x01, 0xaa };
	struct world w;

	(void)state;
	world_init(&w, P_NOISE, P_NOISE);
	responder_alone(&w, frame, sizeof(frame));
	assert_int_equal(w.rec[1].outcome, NET_FAILED);
	assert_int_equal(w.rec[1].err, PS_ERR_BAD_SIZE);
	world_free(&w);
}

/* A protocol name that is not NNpsk2: start fails, nothing to free (ASan
 * would see a leak). */
static void test_noise_start_fails(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, P_NOISE, P_NOISE);
	w.cfg[1].noise.protocol = "Noise_XX_25519_ChaChaPoly_BLAKE2s";
	pair(&w);
	assert_int_equal(w.rec[1].outcome, NET_FAILED);
	assert_false(w.rec[1].started);
	assert_true(w.rec[1].err == PS_ERR_UNSUPPORTED || w.rec[1].err == PS_ERR_MALFORMED);
	assert_int_equal(w.rec[0].outcome, NET_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_CLOSED);
	world_free(&w);
}

/* No session timeout (0): the adapters hand the cores what is left of "no
 * deadline" and the cores saturate it; both handshakes still complete. */
static void test_no_timeout(void **state)
{
	for (int proto = P_BTC; proto <= P_NOISE; proto++) {
		struct world w;

		(void)state;
		world_init(&w, (enum proto)proto, (enum proto)proto);
		w.cfg[0].timeout_ns = 0;
		w.cfg[1].timeout_ns = 0;
		pair(&w);
		assert_int_equal(w.rec[0].outcome, NET_SUCCESS);
		assert_int_equal(w.rec[1].outcome, NET_SUCCESS);
		/* far in the future, not a short deadline */
		assert_true(w.rec[0].core_timeout_ns > UINT64_MAX / 2);
		world_free(&w);
	}
}

/* ---- across protocols ---- */

/* A Bitcoin initiator at a Noise responder: neither succeeds, both end
 * within their deadlines, nothing leaks. */
static void test_btc_to_noise(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, P_BTC, P_NOISE);
	w.cfg[0].timeout_ns = 200 * MS;
	w.cfg[1].timeout_ns = 200 * MS;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, NET_FAILED);
	assert_int_equal(w.rec[1].outcome, NET_FAILED);
	world_free(&w);
}

/* A Noise initiator at a Bitcoin responder: the same. */
static void test_noise_to_btc(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, P_NOISE, P_BTC);
	w.cfg[0].timeout_ns = 200 * MS;
	w.cfg[1].timeout_ns = 200 * MS;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, NET_FAILED);
	assert_int_equal(w.rec[1].outcome, NET_FAILED);
	world_free(&w);
}

static int setup(void **state)
{
	(void)state;
	return cry_init() == PS_OK ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_btc_success),
		cmocka_unit_test(test_btc_success_lingering),
		cmocka_unit_test(test_btc_wrong_magic),
		cmocka_unit_test(test_btc_missing_services_partial),
		cmocka_unit_test(test_btc_responder_timeout),
		cmocka_unit_test(test_btc_start_fails),
		cmocka_unit_test(test_noise_success),
		cmocka_unit_test(test_noise_success_blake2b),
		cmocka_unit_test(test_noise_hash_deterministic),
		cmocka_unit_test(test_noise_wrong_psk),
		cmocka_unit_test(test_noise_wrong_prologue),
		cmocka_unit_test(test_noise_responder_timeout),
		cmocka_unit_test(test_noise_responder_short_frame),
		cmocka_unit_test(test_noise_start_fails),
		cmocka_unit_test(test_no_timeout),
		cmocka_unit_test(test_btc_to_noise),
		cmocka_unit_test(test_noise_to_btc),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
