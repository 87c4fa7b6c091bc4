/*
 * test_session.c - ref/net/session: one TCP connection driving a sans-I/O
 * core, over real loopback sockets, with the fake core of
 * tests/support/fakecore.h.
 *
 * The fake core speaks a line protocol: the initiator sends "ping\n" and
 * succeeds on "pong\n", the responder answers each "ping\n" with "pong\n"
 * and succeeds on the first. Variants fail on any input, never say a word,
 * expire, or refuse to start. Both ends run in one net_loop
 * (tests/support/loopback.h): a listening socket whose watcher hands the
 * accepted fd to net_session_accept, and net_session_connect on the other
 * side.
 *
 * Besides the life of a session (start, result, release, done, in that
 * order, once each) it checks the session's side of the core contract:
 * every event the core kept is handed to on_event exactly once and in
 * order, the SUCCESS or FAILED one before on_result, none after on_done;
 * s->note is the core's note (the FAILED event's) at on_result; s->waiting
 * is what the core last waited for while pending, and is not updated once
 * the exchange ended; events the core lost are the core's to report.
 *
 * Every session is malloc'd and freed in its on_done, and the fake core
 * lives in the same block, so ASan reports any touch of either after
 * on_done. Only 127.0.0.1; no sleeps: time passes in poll().
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fakecore.h"
#include "loopback.h"
#include "net/loop.h"
#include "net/session.h"
#include "net/sock.h"
#include "testutil.h"

/* What one side saw; outlives the session. */
struct rec {
	/* the core's record; its trace has c connected, s start, e events
	 * (runs collapsed), k close, r result, x release, d done */
	struct tu_fake_log log;
	int connected, results, dones;
	size_t events;				     /* on_event calls */
	struct net_event handed[TU_FAKE_LOG_EVENTS]; /* what on_event got, in order */
	size_t finals;				     /* SUCCESS and FAILED events handed on */
	struct net_event final;			     /* the last of them */
	size_t finals_at_result;		     /* ... handed on before on_result */
	enum ps_outcome outcome;
	int err;
	const char *note, *waiting;	      /* s->note, s->waiting at on_result */
	const char *note_done, *waiting_done; /* the same at on_done */
	uint64_t lost;			      /* the core's events_lost at on_result */
	uint64_t log_lost;		      /* what the log counted lost by then */
	bool outbound, started, reported_flag, proxied;
	enum net_session_state state_at_result;
	uint64_t start_ns, connected_ns, end_ns, done_ns;
	char name[NET_PEERSTRLEN], local[NET_PEERSTRLEN];
	void *user;
	/* at on_done */
	bool peer_closed;
	uint64_t closed_ns, bytes_sent;
};

struct world {
	struct tu_world tw;
	struct rec rec[2];				     /* [0] outbound, [1] inbound */
	struct tu_fake_cfg cfg[2];			     /* the cores */
	uint64_t timeout_ns[2];				     /* session timeouts */
	struct net_shape shape[2];			     /* how each side writes */
	const struct sockaddr_storage *source;		     /* outbound: bind first */
	uint64_t linger_ns[2];				     /* session lingers */
	bool no_on_connected;				     /* session ops without on_connected */
	const struct net_session_ops *ops[2];		     /* a test's own, or NULL */
	int results;					     /* on_result calls, both sides */
	void (*after_results)(struct world *w, int results); /* hook */
	int timer; /* a test's one-shot timer, -1 when none */
	void (*on_timer)(struct world *w);
	int abort_reason;
};

struct conn {
	struct tu_conn tc; /* first: the block on_done frees */
	struct tu_fake core;
	struct world *w;
	struct rec *rec;
};

/* ---- the trace ---- */

static void mark(struct rec *r, char c)
{
	tu_fake_mark(&r->log, c);
}

static long pos(const struct rec *r, char c)
{
	return tu_fake_pos(&r->log, c);
}

static uint64_t sent_bytes(const struct rec *r)
{
	uint64_t n = 0;

	for (size_t i = 0; i < r->events; i++)
		if (r->handed[i].kind == NET_EV_SENT)
			n += r->handed[i].bytes;
	return n;
}

static size_t handed_kind(const struct rec *r, enum net_ev_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < r->events; i++)
		n += r->handed[i].kind == k;
	return n;
}

/* The invariants of every session's life, whatever happened. */
static void check_life(const struct rec *r)
{
	assert_int_equal(r->results, 1);
	assert_int_equal(r->dones, 1);
	assert_int_equal(tu_fake_count(&r->log, 'r'), 1);
	assert_int_equal(tu_fake_count(&r->log, 'd'), 1);
	/* on_done is the very last thing */
	assert_int_equal(r->log.seq[r->log.n - 1], 'd');
	/* start at most once; release exactly when start succeeded, once,
	 * after on_result and before on_done */
	assert_true(r->log.starts <= 1);
	assert_int_equal(r->log.releases, r->started ? 1 : 0);
	if (r->started) {
		assert_true(pos(r, 'x') > pos(r, 'r'));
		assert_true(pos(r, 'x') < pos(r, 'd'));
	}
	/* the core is started only once connected, after on_connected */
	if (r->log.starts) {
		assert_int_equal(r->connected <= 1, 1);
		if (r->connected)
			assert_true(pos(r, 'c') < pos(r, 's'));
	}
	/* events only from a started core */
	if (r->events)
		assert_true(r->log.starts == 1 && pos(r, 's') < pos(r, 'e'));
	/* every event the core kept was handed on exactly once, in order,
	 * and nothing else was */
	assert_int_equal(r->events, r->log.nkept);
	for (size_t i = 0; i < r->events; i++)
		if (!tu_event_equal(&r->handed[i], &r->log.kept[i]))
			fail_msg("event %zu handed on as kind %d '%s', the core's was kind %d '%s'",
				 i, r->handed[i].kind, r->handed[i].msg, r->log.kept[i].kind,
				 r->log.kept[i].msg);
	assert_true(r->reported_flag);
	assert_int_not_equal(r->outcome, PS_PENDING);
	if (r->outcome == PS_SUCCESS)
		assert_int_equal(r->err, PS_OK);
	else
		assert_int_not_equal(r->err, PS_OK);
	if (r->started) {
		/* a started core's one SUCCESS or FAILED came before the result,
		 * and says what the result says */
		assert_int_equal(r->finals, 1);
		assert_int_equal(r->finals_at_result, 1);
		assert_int_equal(r->final.kind,
				 r->outcome == PS_SUCCESS ? NET_EV_SUCCESS : NET_EV_FAILED);
		/* the note at the result is the core's: the FAILED event's,
		 * none after a success */
		if (r->outcome == PS_SUCCESS) {
			assert_null(r->note);
		} else {
			assert_non_null(r->final.note);
			assert_string_equal(r->note, r->final.note);
			assert_int_equal(r->final.err, r->err);
		}
		/* what the core lost is the core's count, the session lost
		 * nothing more; with nothing lost, no byte went out that no
		 * SENT event announced */
		assert_int_equal(r->lost, r->log_lost);
		if (!r->log.lost)
			assert_true(r->bytes_sent <= sent_bytes(r));
	} else {
		/* never started: no core to ask (through a proxy, the SOCKS
		 * client's words and what it waited for) */
		assert_int_equal(r->events, 0);
		if (!r->proxied) {
			assert_null(r->note);
			assert_null(r->waiting);
		}
	}
	/* the note and what it waited for are set by the end: on_done sees
	 * what on_result saw */
	assert_ptr_equal(r->note_done, r->note);
	assert_ptr_equal(r->waiting_done, r->waiting);
	assert_true(r->end_ns >= r->start_ns);
	assert_true(r->done_ns >= r->end_ns);
	/* the connection ended once the result was known, before on_done */
	assert_true(r->closed_ns >= r->end_ns);
	assert_true(r->closed_ns <= r->done_ns);
	if (!r->started)
		assert_int_equal(r->bytes_sent, 0);
}

/* ---- the session callbacks ---- */

static void cb_connected(void *ctx, struct net_session *s)
{
	struct conn *c = ctx;

	assert_ptr_equal(&c->tc.s, s);
	c->rec->connected++;
	mark(c->rec, 'c');
	assert_int_equal(s->state, NET_SESS_OPEN);
	assert_true(s->connected_ns >= s->start_ns);
	snprintf(c->rec->local, sizeof(c->rec->local), "%s", net_session_local(s));
	c->rec->connected_ns = s->connected_ns;
}

static void cb_event(void *ctx, struct net_session *s, const struct net_event *ev)
{
	struct conn *c = ctx;
	struct rec *r = c->rec;

	assert_ptr_equal(&c->tc.s, s);
	/* from a started core, before on_done (after it c is freed: ASan) */
	assert_true(s->started);
	assert_int_equal(r->dones, 0);
	assert_int_not_equal(s->state, NET_SESS_DONE);
	assert_true(r->events < TU_FAKE_LOG_EVENTS);
	r->handed[r->events++] = *ev;
	mark(r, 'e');
	if (ev->kind == NET_EV_SUCCESS || ev->kind == NET_EV_FAILED) {
		/* the result follows through on_result, never precedes */
		assert_int_equal(r->results, 0);
		r->finals++;
		r->final = *ev;
	}
}

static void cb_result(void *ctx, struct net_session *s)
{
	struct conn *c = ctx;
	struct world *w = c->w;
	struct rec *r = c->rec;

	assert_ptr_equal(&c->tc.s, s);
	r->results++;
	mark(r, 'r');
	r->outcome = s->outcome;
	r->err = s->err;
	r->note = s->note;
	r->waiting = s->waiting;
	r->finals_at_result = r->finals;
	if (s->started)
		r->lost = s->core_ops->events_lost(s->core);
	r->log_lost = r->log.lost;
	r->reported_flag = s->reported;
	r->started = s->started;
	r->outbound = s->outbound;
	r->proxied = s->proxy != NULL;
	r->state_at_result = s->state;
	r->start_ns = s->start_ns;
	r->end_ns = s->end_ns;
	r->user = s->user;
	snprintf(r->name, sizeof(r->name), "%s", net_session_name(s));
	w->results++;
	if (w->after_results)
		w->after_results(w, w->results);
}

static void cb_done(void *ctx, struct net_session *s)
{
	struct conn *c = ctx;
	struct rec *r = c->rec;

	assert_ptr_equal(&c->tc.s, s);
	r->dones++;
	mark(r, 'd');
	r->done_ns = net_now_ns();
	r->peer_closed = s->peer_closed;
	r->closed_ns = s->closed_ns;
	r->bytes_sent = s->bytes_sent;
	r->note_done = s->note;
	r->waiting_done = s->waiting;
	assert_int_equal(s->state, NET_SESS_DONE);
	assert_int_equal(s->fd, -1);
	assert_int_equal(s->watch_id, -1);
	tu_world_done(&c->tc, sizeof(*c));
}

static const struct net_session_ops session_ops = {
	.on_connected = cb_connected,
	.on_event = cb_event,
	.on_result = cb_result,
	.on_done = cb_done,
};

static const struct net_session_ops session_ops_no_connected = {
	.on_connected = NULL,
	.on_event = cb_event,
	.on_result = cb_result,
	.on_done = cb_done,
};

static struct conn *conn_new(struct world *w, int side)
{
	struct conn *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->w = w;
	c->rec = &w->rec[side];
	tu_fake_init(&c->core, &w->cfg[side], &c->rec->log);
	c->tc.s.user = (void *)(uintptr_t)(0x1000 + side); /* kept across setup */
	return c;
}

static struct net_session_params params(struct world *w, struct conn *c, int side)
{
	struct net_session_params p = {
		.core_ops = &tu_fake_ops,
		.core = &c->core,
		.timeout_ns = w->timeout_ns[side],
		.linger_ns = w->linger_ns[side],
		.ops = w->ops[side]	    ? w->ops[side]
		       : w->no_on_connected ? &session_ops_no_connected
					    : &session_ops,
		.ctx = c,
		.shape = &w->shape[side],
		.source = side == 0 ? w->source : NULL,
	};
	return p;
}

/* ---- the world: tests/support/loopback.h, two cores, a timer ---- */

static void on_accept(struct tu_world *tw, int fd, const struct sockaddr_storage *from)
{
	struct world *w = tw->user;
	struct conn *c = conn_new(w, 1);
	struct net_session_params p = params(w, c, 1);

	tu_world_accept(tw, &c->tc, fd, from, &p);
}

static void cancel_timer(struct tu_world *tw)
{
	struct world *w = tw->user;

	if (w->timer >= 0)
		net_watch_del(tw->loop, w->timer);
	w->timer = -1;
}

static void describe(const struct tu_world *tw, char *buf, size_t cap)
{
	const struct world *w = tw->user;

	snprintf(buf, cap, "(outbound '%s', inbound '%s')", w->rec[0].log.seq, w->rec[1].log.seq);
}

static void on_world_timer(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct world *w = ctx;

	(void)loop, (void)revents, (void)now_ns;
	net_watch_del(w->tw.loop, w->timer);
	w->timer = -1;
	w->on_timer(w);
}

/* Run the test's timer hook from the loop at once (not from inside a
 * session callback). */
static void world_timer_soon(struct world *w, void (*fn)(struct world *w))
{
	assert_int_equal(w->timer, -1);
	w->on_timer = fn;
	w->timer = net_watch_add(w->tw.loop, -1, 0, 0, on_world_timer, w);
	assert_true(w->timer >= 0);
}

static void world_init(struct world *w, bool listen)
{
	memset(w, 0, sizeof(*w));
	tu_world_init(&w->tw, listen, on_accept);
	w->tw.user = w;
	w->tw.on_guard = cancel_timer;
	w->tw.describe = describe;
	w->timer = -1;
	w->cfg[0].mode = TU_FAKE_PINGER;
	w->cfg[1].mode = TU_FAKE_PONGER;
	w->timeout_ns[0] = w->timeout_ns[1] = 5 * TU_SEC;
}

static void world_connect(struct world *w, const struct sockaddr_storage *to)
{
	struct conn *c = conn_new(w, 0);
	struct net_session_params p = params(w, c, 0);

	/* on an immediate failure c is already freed when this returns */
	tu_world_connect(&w->tw, &c->tc, to, &p);
}

/* Run until the loop ends by itself: every session done, nothing left. */
static void world_run(struct world *w)
{
	tu_world_run(&w->tw);
	assert_int_equal(w->timer, -1);
}

static void world_free(struct world *w)
{
	tu_world_free(&w->tw);
}

static void pair(struct world *w)
{
	world_connect(w, &w->tw.laddr);
	world_run(w);
	check_life(&w->rec[0]);
	check_life(&w->rec[1]);
}

/* ---- the tests ---- */

static void test_outcome_names(void **state)
{
	(void)state;
	assert_string_equal(ps_outcome_name(PS_SUCCESS), "SUCCESS");
	assert_string_equal(ps_outcome_name(PS_PARTIAL), "PARTIAL");
	assert_string_equal(ps_outcome_name(PS_FAILED), "FAILED");
	assert_string_equal(ps_outcome_name(PS_PENDING), "PENDING");
	assert_string_equal(ps_outcome_name((enum ps_outcome)99), "PENDING");
}

/* ping/pong both ways: both succeed, everything in order. */
static void test_success(void **state)
{
	struct world w;
	char want[NET_ADDRSTRLEN];

	(void)state;
	world_init(&w, true);
	pair(&w);
	for (int side = 0; side < 2; side++) {
		struct rec *r = &w.rec[side];
		assert_int_equal(r->outcome, PS_SUCCESS);
		assert_int_equal(r->err, PS_OK);
		assert_int_equal(r->connected, 1);
		assert_int_equal(r->log.starts, 1);
		assert_true(r->started);
		assert_true(r->events >= 1);
		assert_int_equal(r->outbound, side == 0);
		assert_ptr_equal(r->user, (void *)(uintptr_t)(0x1000 + side));
		/* no linger: over once the result is known and the output sent */
		assert_int_equal(r->state_at_result, NET_SESS_OPEN);
		/* c s ... r x d, with events in between */
		assert_int_equal(r->log.seq[0], 'c');
		assert_int_equal(r->log.seq[1], 's');
		assert_true(r->connected_ns >= r->start_ns);
		assert_true(r->end_ns >= r->connected_ns);
		/* the core was started with what is left of 5 s */
		assert_true(r->log.timeout_ns > 0 && r->log.timeout_ns <= 5 * TU_SEC);
		assert_int_equal(strncmp(r->local, "127.0.0.1:", 10), 0);
	}
	assert_int_equal(w.rec[0].log.pongs, 1);
	assert_int_equal(w.rec[1].log.pings, 1);
	assert_int_equal(w.rec[0].bytes_sent, 5);
	assert_int_equal(w.rec[1].bytes_sent, 5);
	assert_string_equal(w.rec[0].log.got, "pong\n");
	assert_string_equal(w.rec[1].log.got, "ping\n");
	/* the events, in the order the cores made them: a SENT per line
	 * queued, a RECV per line read, SUCCESS; each once */
	assert_int_equal(w.rec[0].events, 3);
	assert_int_equal(w.rec[0].handed[0].kind, NET_EV_SENT);
	assert_string_equal(w.rec[0].handed[0].msg, "ping");
	assert_int_equal(w.rec[0].handed[0].bytes, 5);
	assert_int_equal(w.rec[0].handed[1].kind, NET_EV_RECV);
	assert_string_equal(w.rec[0].handed[1].msg, "pong");
	assert_int_equal(w.rec[0].handed[2].kind, NET_EV_SUCCESS);
	assert_int_equal(w.rec[1].events, 3);
	assert_int_equal(w.rec[1].handed[0].kind, NET_EV_RECV);
	assert_string_equal(w.rec[1].handed[0].msg, "ping");
	assert_int_equal(w.rec[1].handed[1].kind, NET_EV_SENT);
	assert_string_equal(w.rec[1].handed[1].msg, "pong");
	assert_int_equal(w.rec[1].handed[2].kind, NET_EV_SUCCESS);
	/* the SENT events account for every byte written */
	assert_int_equal(sent_bytes(&w.rec[0]), w.rec[0].bytes_sent);
	assert_int_equal(sent_bytes(&w.rec[1]), w.rec[1].bytes_sent);
	/* what each waited for while pending, kept after the success
	 * although the cores now wait for nothing; no note after a success */
	assert_string_equal(w.rec[0].waiting, TU_FAKE_WAIT_PONG);
	assert_string_equal(w.rec[1].waiting, TU_FAKE_WAIT_PING);
	assert_null(w.rec[0].note);
	assert_null(w.rec[1].note);
	assert_int_equal(w.rec[0].lost + w.rec[1].lost, 0);
	/* the outbound session is named for where it went; the inbound for
	 * where it came from, which is the outbound's local end */
	net_addr_format(want, &w.tw.laddr);
	assert_string_equal(w.rec[0].name, want);
	assert_string_equal(w.rec[1].name, w.rec[0].local);
	assert_string_equal(w.rec[1].local, want);
	world_free(&w);
}

/* Without on_connected (it is optional). */
static void test_success_without_on_connected(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.no_on_connected = true;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, PS_SUCCESS);
	assert_int_equal(w.rec[1].outcome, PS_SUCCESS);
	assert_int_equal(w.rec[0].connected, 0);
	assert_int_equal(w.rec[0].log.seq[0], 's');
	world_free(&w);
}

/* The responder fails on the first input: it ends FAILED protocol and
 * closes; the initiator then sees the close. */
static void test_fail_on_input(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.cfg[1].mode = TU_FAKE_FAIL_INPUT;
	pair(&w);
	assert_int_equal(w.rec[1].outcome, PS_FAILED);
	assert_int_equal(w.rec[1].err, PS_ERR_PROTOCOL);
	assert_int_equal(w.rec[1].log.inputs, 1);
	assert_int_equal(w.rec[1].log.closes, 0);
	assert_int_equal(w.rec[0].outcome, PS_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_CLOSED);
	assert_int_equal(w.rec[0].log.closes, 1);
	assert_int_equal(w.rec[0].log.close_reason, PS_ERR_CLOSED);
	/* the close reached the core before the result was known */
	assert_true(pos(&w.rec[0], 'k') < pos(&w.rec[0], 'r'));
	/* who hung up */
	assert_true(w.rec[0].peer_closed);
	assert_false(w.rec[1].peer_closed);
	assert_int_equal(w.rec[0].bytes_sent, 5);
	assert_int_equal(w.rec[1].bytes_sent, 0);
	/* each FAILED event's note reached s->note; the initiator was waiting
	 * for its pong when the close came, the responder for a ping */
	assert_string_equal(w.rec[1].note, TU_FAKE_NOTE_REFUSED);
	assert_int_equal(w.rec[1].final.err, PS_ERR_PROTOCOL);
	assert_string_equal(w.rec[1].waiting, TU_FAKE_WAIT_PING);
	assert_string_equal(w.rec[0].note, TU_FAKE_NOTE_CLOSED);
	assert_int_equal(w.rec[0].final.err, PS_ERR_CLOSED);
	assert_string_equal(w.rec[0].waiting, TU_FAKE_WAIT_PONG);
	/* the close came after the SENT, and the FAILED event before the result */
	assert_int_equal(w.rec[0].events, 2);
	assert_int_equal(w.rec[0].handed[0].kind, NET_EV_SENT);
	assert_int_equal(w.rec[0].handed[1].kind, NET_EV_FAILED);
	world_free(&w);
}

/* A line neither side expects (both ping): each drops the other's ping
 * (a DROPPED event with the error and the note), then fails; the note of
 * the FAILED event is the session's note. */
static void test_unexpected_line(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.cfg[1].mode = TU_FAKE_PINGER;
	pair(&w);
	for (int side = 0; side < 2; side++) {
		const struct rec *r = &w.rec[side];
		assert_int_equal(r->outcome, PS_FAILED);
		assert_int_equal(r->err, PS_ERR_PROTOCOL);
		assert_int_equal(r->events, 3);
		assert_int_equal(r->handed[0].kind, NET_EV_SENT);
		assert_int_equal(r->handed[1].kind, NET_EV_DROPPED);
		assert_string_equal(r->handed[1].msg, "ping");
		assert_int_equal(r->handed[1].length, 4);
		assert_int_equal(r->handed[1].bytes, 5);
		assert_int_equal(r->handed[1].err, PS_ERR_PROTOCOL);
		assert_string_equal(r->handed[1].note, TU_FAKE_NOTE_UNEXPECTED);
		assert_int_equal(r->handed[2].kind, NET_EV_FAILED);
		assert_string_equal(r->note, TU_FAKE_NOTE_UNEXPECTED);
		assert_string_equal(r->waiting, TU_FAKE_WAIT_PONG);
	}
	world_free(&w);
}

/* A pinger whose peer never answers times out: s->waiting is what it was
 * waiting for ("pong"), the note the FAILED event's. The silent peer waits
 * for nothing: its s->waiting stays NULL when the close ends it. */
static void test_waiting_at_timeout(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.cfg[0].expiry_in = 30 * TU_MS;
	w.cfg[1].mode = TU_FAKE_SILENT;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, PS_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_TIMEOUT);
	assert_string_equal(w.rec[0].waiting, TU_FAKE_WAIT_PONG);
	assert_string_equal(w.rec[0].note, TU_FAKE_NOTE_DEADLINE);
	assert_string_equal(w.rec[1].log.got, "ping\n");
	assert_int_equal(w.rec[1].outcome, PS_FAILED);
	assert_int_equal(w.rec[1].err, PS_ERR_CLOSED);
	assert_null(w.rec[1].waiting);
	assert_string_equal(w.rec[1].note, TU_FAKE_NOTE_CLOSED);
	world_free(&w);
}

/* s->waiting follows the core while it is pending: a pinger that wants
 * two pongs, at a ponger that answers only one, times out waiting for the
 * second. The ponger succeeded on the first ping; lingering, it takes the
 * second ping unanswered, then the close: its s->waiting stays what it
 * waited for before its success (its core now waits for nothing). */
static void test_waiting_follows_core(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.cfg[0].rounds = 2;
	w.cfg[0].expiry_in = 100 * TU_MS;
	w.cfg[1].answers = 1;
	w.linger_ns[1] = 60 * TU_SEC;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, PS_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_TIMEOUT);
	assert_int_equal(w.rec[0].log.pongs, 1);
	assert_string_equal(w.rec[0].waiting, TU_FAKE_WAIT_PONG_SECOND);
	assert_int_equal(w.rec[1].outcome, PS_SUCCESS);
	assert_int_equal(w.rec[1].log.pings, 2);
	assert_string_equal(w.rec[1].waiting, TU_FAKE_WAIT_PING);
	assert_int_equal(w.rec[1].log.closes, 1);
	assert_true(pos(&w.rec[1], 'k') > pos(&w.rec[1], 'r'));
	world_free(&w);
}

/* More events at once than the core's ring holds: ten pings queued at
 * start make ten SENT events, of which the ring keeps seven (its last slot
 * is the SUCCESS's or FAILED's) and loses three. The session hands on the
 * seven and the SUCCESS, and every byte still goes out. (The ponger
 * answers one ping, so that no burst of pongs loses more.) */
static void test_events_lost(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.cfg[0].burst = 10;
	w.cfg[1].answers = 1;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, PS_SUCCESS);
	assert_int_equal(w.rec[1].outcome, PS_SUCCESS);
	assert_int_equal(w.rec[0].lost, 10 - (TU_FAKE_EVENTS - 1));
	assert_int_equal(handed_kind(&w.rec[0], NET_EV_SENT), TU_FAKE_EVENTS - 1);
	assert_int_equal(handed_kind(&w.rec[0], NET_EV_SUCCESS), 1);
	assert_int_equal(w.rec[0].bytes_sent, 50);
	assert_int_equal(sent_bytes(&w.rec[0]), 5 * (TU_FAKE_EVENTS - 1));
	world_free(&w);
}

/* The core's expiry becomes the watcher's deadline: handle_expiry ends it. */
static void test_core_expiry(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.cfg[0].mode = TU_FAKE_SILENT;
	w.cfg[0].expiry_in = 30 * TU_MS;
	w.cfg[1].mode = TU_FAKE_SILENT;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, PS_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_TIMEOUT);
	assert_true(w.rec[0].end_ns >= w.rec[0].log.now_ns + 30 * TU_MS);
	assert_int_equal(w.rec[0].log.closes, 0);
	/* the silent responder learns of it by the close */
	assert_int_equal(w.rec[1].outcome, PS_FAILED);
	assert_int_equal(w.rec[1].err, PS_ERR_CLOSED);
	world_free(&w);
}

/* The session's timeout is handed to the core as what is left of it. */
static void test_session_timeout_reaches_core(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.cfg[0].mode = TU_FAKE_SILENT;
	w.cfg[0].expiry_from_timeout = true;
	w.timeout_ns[0] = 40 * TU_MS;
	w.cfg[1].mode = TU_FAKE_SILENT;
	pair(&w);
	assert_true(w.rec[0].log.timeout_ns <= 40 * TU_MS);
	assert_true(w.rec[0].log.timeout_ns > 0);
	/* start + timeout is the deadline, whenever the connect completed */
	assert_true(w.rec[0].log.now_ns + w.rec[0].log.timeout_ns >=
		    w.rec[0].start_ns + 40 * TU_MS);
	assert_int_equal(w.rec[0].outcome, PS_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_TIMEOUT);
	assert_true(w.rec[0].end_ns >= w.rec[0].start_ns + 40 * TU_MS);
	world_free(&w);
}

/* A deadline of 1 ns: over before anything can happen, as a timeout,
 * whether the connect had completed or not. */
static void test_deadline_1ns(void **state)
{
	struct world w;
	struct sockaddr_storage to;
	int lfd = tu_listen_loopback(&to, 16);

	(void)state;
	world_init(&w, false);
	w.cfg[0].mode = TU_FAKE_SILENT;
	w.cfg[0].expiry_from_timeout = true;
	w.timeout_ns[0] = 1;
	world_connect(&w, &to);
	world_run(&w);
	check_life(&w.rec[0]);
	assert_int_equal(w.rec[0].outcome, PS_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_TIMEOUT);
	/* started only if the connect won the race, with the minimum left */
	if (w.rec[0].started)
		assert_int_equal(w.rec[0].log.timeout_ns, 1);
	else
		assert_string_equal(w.rec[0].log.seq, "rd");
	world_free(&w);
	close(lfd);
}

/* A listener whose backlog is full leaves the connect in progress (SYNs
 * dropped): the session times out connecting, the core never starts. */
static void test_connect_timeout(void **state)
{
	struct world w;
	struct sockaddr_storage full;
	int lfd = tu_listen_loopback(&full, 0), fillers[64], nfill = 0;
	bool hung = false;

	(void)state;
	/* fill the queue: connect until one does not complete in 200 ms */
	while (!hung && nfill < 64) {
		struct pollfd p;
		int fd;
		assert_int_equal(net_sock_connect(&fd, &full, NULL), PS_OK);
		fillers[nfill++] = fd;
		p = (struct pollfd){ fd, POLLOUT, 0 };
		hung = poll(&p, 1, 200) == 0;
	}
	if (!hung) {
		for (int i = 0; i < nfill; i++)
			close(fillers[i]);
		close(lfd);
		printf("SKIP: this kernel completes every connect to a full backlog\n");
		skip();
	}
	world_init(&w, false);
	w.cfg[0].mode = TU_FAKE_SILENT;
	w.timeout_ns[0] = 50 * TU_MS;
	world_connect(&w, &full);
	world_run(&w);
	check_life(&w.rec[0]);
	assert_int_equal(w.rec[0].outcome, PS_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_TIMEOUT);
	assert_false(w.rec[0].started);
	assert_int_equal(w.rec[0].log.starts, 0);
	assert_int_equal(w.rec[0].connected, 0);
	assert_int_equal(w.rec[0].log.releases, 0);
	assert_string_equal(w.rec[0].log.seq, "rd");
	assert_true(w.rec[0].end_ns >= w.rec[0].start_ns + 50 * TU_MS);
	world_free(&w);
	for (int i = 0; i < nfill; i++)
		close(fillers[i]);
	close(lfd);
}

/* Nothing listens (the port is bound, so no one else can take it): FAILED
 * refused, the core never started, on_connected never called. */
static void test_connect_refused(void **state)
{
	struct world w;
	struct sockaddr_storage to;
	int holder = tu_hold_port(&to, false);

	(void)state;

	world_init(&w, false);
	world_connect(&w, &to);
	world_run(&w);
	check_life(&w.rec[0]);
	assert_int_equal(w.rec[0].outcome, PS_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_REFUSED);
	assert_false(w.rec[0].started);
	assert_int_equal(w.rec[0].log.starts, 0);
	assert_int_equal(w.rec[0].log.releases, 0);
	assert_int_equal(w.rec[0].connected, 0);
	assert_int_equal(w.rec[0].events, 0);
	assert_string_equal(w.rec[0].log.seq, "rd");
	assert_true(w.rec[0].outbound);
	world_free(&w);
	close(holder);
}

/* start fails: FAILED with its error, no release, on_done. */
static void test_start_fails(void **state)
{
	for (int side = 0; side < 2; side++) {
		struct world w;

		(void)state;
		world_init(&w, true);
		w.cfg[side].mode = TU_FAKE_START_FAIL;
		w.cfg[1 - side].mode = TU_FAKE_SILENT;
		pair(&w);
		assert_int_equal(w.rec[side].outcome, PS_FAILED);
		assert_int_equal(w.rec[side].err, PS_ERR_INVALID_ARG);
		assert_false(w.rec[side].started);
		assert_int_equal(w.rec[side].log.starts, 1);
		assert_int_equal(w.rec[side].log.releases, 0);
		assert_int_equal(w.rec[side].events, 0);
		assert_string_equal(w.rec[side].log.seq, "csrd");
		/* the other end sees the connection close */
		assert_int_equal(w.rec[1 - side].outcome, PS_FAILED);
		assert_int_equal(w.rec[1 - side].err, PS_ERR_CLOSED);
		world_free(&w);
	}
}

/* Linger: the initiator keeps a successful connection open linger_ns,
 * still reading and writing (a second ping is answered); then it closes,
 * and the responder, lingering far longer, ends at once on the close. */
static void test_linger(void **state)
{
	struct world w;
	const uint64_t linger = 60 * TU_MS;

	(void)state;
	world_init(&w, true);
	w.cfg[0].extra_ping = true;
	w.linger_ns[0] = linger;
	w.linger_ns[1] = 60 * TU_SEC;
	pair(&w);
	for (int side = 0; side < 2; side++) {
		assert_int_equal(w.rec[side].outcome, PS_SUCCESS);
		assert_int_equal(w.rec[side].err, PS_OK);
	}
	/* lingering went on reading and writing */
	assert_int_equal(w.rec[0].log.pongs, 2);
	assert_int_equal(w.rec[1].log.pings, 2);
	/* the initiator stayed linger_ns after its result */
	assert_true(w.rec[0].done_ns >= w.rec[0].end_ns + linger);
	assert_int_equal(w.rec[0].log.closes, 0);
	/* the responder ended on the close, well before its own linger, and
	 * the close came after its (successful) result */
	assert_true(w.rec[1].done_ns < w.rec[1].end_ns + 30 * TU_SEC);
	assert_true(w.rec[1].done_ns >= w.rec[0].end_ns + linger);
	assert_int_equal(w.rec[1].log.closes, 1);
	assert_int_equal(w.rec[1].log.close_reason, PS_ERR_CLOSED);
	assert_true(pos(&w.rec[1], 'k') > pos(&w.rec[1], 'r'));
	world_free(&w);
}

/* While lingering the core's expiry still counts: a core that sends late
 * (the pinger, one more ping 100 ms after its success) is woken for it,
 * what it queues is written in that turn (the responder answers it), and
 * the linger lasts as long as it would have. */
static void test_linger_core_expiry(void **state)
{
	struct world w;
	const uint64_t linger = 400 * TU_MS, late = 100 * TU_MS;

	(void)state;
	world_init(&w, true);
	w.cfg[0].late_ping_in = late;
	w.linger_ns[0] = linger;
	w.linger_ns[1] = 60 * TU_SEC;
	pair(&w);
	for (int side = 0; side < 2; side++)
		assert_int_equal(w.rec[side].outcome, PS_SUCCESS);
	assert_true(w.rec[0].log.late_ns >= w.rec[0].end_ns + late);
	assert_true(w.rec[0].log.late_ns < w.rec[0].end_ns + linger);
	assert_int_equal(w.rec[1].log.pings, 2);
	assert_int_equal(w.rec[0].log.pongs, 2);
	assert_true(w.rec[0].done_ns >= w.rec[0].end_ns + linger);
	assert_int_equal(handed_kind(&w.rec[0], NET_EV_SENT), 2);
	assert_int_equal(handed_kind(&w.rec[0], NET_EV_DISCONNECT), 0);
	assert_int_equal(sent_bytes(&w.rec[0]), w.rec[0].bytes_sent);
	world_free(&w);
}

/* ... but only while it lingers: due after the linger's end, never. */
static void test_linger_ends_before_core_expiry(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.cfg[0].late_ping_in = 300 * TU_MS;
	w.linger_ns[0] = 50 * TU_MS;
	w.linger_ns[1] = 60 * TU_SEC;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, PS_SUCCESS);
	assert_true(w.rec[0].log.late_ns == 0);
	assert_int_equal(w.rec[1].log.pings, 1);
	assert_true(w.rec[0].done_ns >= w.rec[0].end_ns + 50 * TU_MS);
	assert_true(w.rec[0].done_ns < w.rec[0].end_ns + 300 * TU_MS);
	world_free(&w);
}

/* The peer closing during linger ends it: the initiator does not linger,
 * the responder would for a minute. */
static void test_peer_closes_during_linger(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.linger_ns[1] = 60 * TU_SEC;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, PS_SUCCESS);
	assert_int_equal(w.rec[1].outcome, PS_SUCCESS);
	assert_int_equal(w.rec[1].err, PS_OK);
	assert_int_equal(w.rec[1].log.closes, 1);
	assert_int_equal(w.rec[1].log.close_reason, PS_ERR_CLOSED);
	assert_true(w.rec[1].done_ns < w.rec[1].end_ns + 30 * TU_SEC);
	/* the result was reported before lingering and not again */
	assert_true(pos(&w.rec[1], 'r') < pos(&w.rec[1], 'k'));
	world_free(&w);
}

/* A core that ends after success while lingering (the peer broke a
 * post-handshake rule) ends the linger: the initiator sends a bad line
 * after its success; the responder's core ends; it stops lingering on its
 * own, and the initiator then sees the close. */
static void test_linger_ended_by_core(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.linger_ns[0] = 60 * TU_SEC;
	w.linger_ns[1] = 60 * TU_SEC;
	w.cfg[0].junk_after_success = true;
	pair(&w);
	/* the success stands on both sides */
	assert_int_equal(w.rec[0].outcome, PS_SUCCESS);
	assert_int_equal(w.rec[1].outcome, PS_SUCCESS);
	assert_int_equal(w.rec[1].err, PS_OK);
	/* the responder ended by itself, not by a close */
	assert_int_equal(w.rec[1].log.closes, 0);
	assert_true(w.rec[1].done_ns < w.rec[1].end_ns + 30 * TU_SEC);
	/* the initiator by the responder's close */
	assert_int_equal(w.rec[0].log.closes, 1);
	assert_int_equal(w.rec[0].log.close_reason, PS_ERR_CLOSED);
	assert_true(w.rec[0].done_ns < w.rec[0].end_ns + 30 * TU_SEC);
	/* the responder's core said why: a DISCONNECT, handed on after the
	 * result; the result's note (none, a success) is not rewritten */
	assert_int_equal(handed_kind(&w.rec[1], NET_EV_DISCONNECT), 1);
	assert_int_equal(w.rec[1].handed[w.rec[1].events - 1].kind, NET_EV_DISCONNECT);
	assert_int_equal(w.rec[1].handed[w.rec[1].events - 1].err, PS_ERR_PROTOCOL);
	assert_string_equal(w.rec[1].handed[w.rec[1].events - 1].note, TU_FAKE_NOTE_UNEXPECTED);
	assert_true(pos(&w.rec[1], 'r') < (long)w.rec[1].log.n - 1);
	assert_null(w.rec[1].note);
	world_free(&w);
}

/* ---- shaped writes (peershake --bug transport shaping) ---- */

/* Byte at a time with a gap: five writes, the last at least four gaps
 * after the first; the responder reads more than once and still succeeds. */
static void test_shape_byte_at_a_time(void **state)
{
	struct world w;
	const uint64_t gap = 5 * TU_MS;

	(void)state;
	world_init(&w, true);
	w.shape[0].chunk = 1;
	w.shape[0].gap_ns = gap;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, PS_SUCCESS);
	assert_int_equal(w.rec[1].outcome, PS_SUCCESS);
	assert_int_equal(w.rec[0].bytes_sent, 5);
	assert_string_equal(w.rec[1].log.got, "ping\n");
	assert_true(w.rec[1].log.inputs >= 2);
	assert_true(w.rec[1].end_ns >= w.rec[0].connected_ns + 4 * gap);
	world_free(&w);
}

/* Byte at a time without a gap: every byte its own send, as fast as the
 * socket takes them. */
static void test_shape_chunk_no_gap(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.shape[1].chunk = 2;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, PS_SUCCESS);
	assert_int_equal(w.rec[1].outcome, PS_SUCCESS);
	assert_int_equal(w.rec[1].bytes_sent, 5);
	assert_string_equal(w.rec[0].log.got, "pong\n");
	world_free(&w);
}

/* The first write stops at split_at; the rest follows after the gap. */
static void test_shape_split(void **state)
{
	struct world w;
	const uint64_t gap = 30 * TU_MS;

	(void)state;
	world_init(&w, true);
	w.shape[0].split_at = 2;
	w.shape[0].gap_ns = gap;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, PS_SUCCESS);
	assert_int_equal(w.rec[1].outcome, PS_SUCCESS);
	assert_string_equal(w.rec[1].log.got, "ping\n");
	assert_true(w.rec[1].log.inputs >= 2);
	assert_true(w.rec[1].end_ns >= w.rec[0].connected_ns + gap);
	world_free(&w);
}

/* Nothing is sent for stall_ns after the connection is up. */
static void test_shape_stall(void **state)
{
	struct world w;
	const uint64_t stall = 40 * TU_MS;

	(void)state;
	world_init(&w, true);
	w.shape[0].stall_ns = stall;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, PS_SUCCESS);
	assert_int_equal(w.rec[1].outcome, PS_SUCCESS);
	assert_true(w.rec[1].end_ns >= w.rec[0].connected_ns + stall);
	world_free(&w);
}

/* A stall longer than the core's deadline: the core's expiry still wins. */
static void test_shape_stall_past_expiry(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.shape[0].stall_ns = 60 * TU_SEC;
	w.cfg[0].expiry_in = 30 * TU_MS;
	w.cfg[1].mode = TU_FAKE_SILENT;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, PS_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_TIMEOUT);
	assert_int_equal(w.rec[0].bytes_sent, 0);
	assert_int_equal(w.rec[1].log.got_len, 0);
	world_free(&w);
}

/* Output unsent at the session's deadline (a stall past it): the socket is
 * closed in the turn that reports the failure, not held for the 1 s drain,
 * since no byte may go out past the deadline. Before, the close came a
 * second after the result. */
static void test_drain_ends_at_deadline(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.shape[0].stall_ns = 60 * TU_SEC;
	w.timeout_ns[0] = 40 * TU_MS;
	w.cfg[0].expiry_from_timeout = true;
	w.cfg[1].mode = TU_FAKE_SILENT;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, PS_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_TIMEOUT);
	assert_int_equal(w.rec[0].bytes_sent, 0);
	assert_int_equal(w.rec[0].closed_ns, w.rec[0].end_ns);
	world_free(&w);
}

/* A failure with time left and output unsent: held to flush it, but only
 * until the deadline (here 200 ms after the start), not for the full 1 s. */
static void test_drain_bounded_by_deadline(void **state)
{
	struct world w;
	const uint64_t timeout = 200 * TU_MS;

	(void)state;
	world_init(&w, true);
	w.shape[0].stall_ns = 60 * TU_SEC;
	w.timeout_ns[0] = timeout;
	w.cfg[0].expiry_in = 30 * TU_MS; /* fails at 30 ms, ping still queued */
	w.cfg[1].mode = TU_FAKE_SILENT;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, PS_FAILED);
	assert_int_equal(w.rec[0].bytes_sent, 0);
	assert_true(w.rec[0].end_ns < w.rec[0].start_ns + timeout);
	assert_true(w.rec[0].closed_ns >= w.rec[0].start_ns + timeout);
	assert_true(w.rec[0].closed_ns < w.rec[0].end_ns + 900 * TU_MS);
	world_free(&w);
}

/* Half of the first message, then we hang up: our core is closed (closed,
 * not by the peer), the peer gets the half and the close. The fake
 * responder decides SUCCESS on the ping, before it writes: that stands. */
static void test_shape_close_mid(void **state)
{
	for (int side = 0; side < 2; side++) {
		struct world w;

		(void)state;
		world_init(&w, true);
		w.shape[side].close_mid = true;
		pair(&w);
		assert_int_equal(w.rec[1 - side].outcome, PS_FAILED);
		assert_int_equal(w.rec[1 - side].err, PS_ERR_CLOSED);
		if (side == 0) {
			assert_int_equal(w.rec[0].outcome, PS_FAILED);
			assert_int_equal(w.rec[0].err, PS_ERR_CLOSED);
		} else {
			assert_int_equal(w.rec[1].outcome, PS_SUCCESS);
		}
		assert_false(w.rec[side].peer_closed);
		assert_true(w.rec[1 - side].peer_closed);
		assert_int_equal(w.rec[side].log.closes, 1);
		assert_int_equal(w.rec[side].log.close_reason, PS_ERR_CLOSED);
		/* "ping\n" or "pong\n": two bytes of five reached the peer */
		assert_int_equal(w.rec[1 - side].log.got_len, 2);
		assert_memory_equal(w.rec[1 - side].log.got, side == 0 ? "pi" : "po", 2);
		world_free(&w);
	}
}

/* ---- the source address ---- */

static void test_source(void **state)
{
	struct world w;
	struct sockaddr_storage src;
	int probe;
	bool have_127_0_0_2;

	(void)state;
	/* 127.0.0.2 is loopback too, where the kernel has all of 127/8 */
	assert_true(net_addr_numeric(&src, "127.0.0.2", 0));
	probe = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(probe >= 0);
	have_127_0_0_2 = bind(probe, (struct sockaddr *)&src, sizeof(struct sockaddr_in)) == 0;
	close(probe);
	if (!have_127_0_0_2)
		assert_true(net_addr_numeric(&src, "127.0.0.1", 0));

	world_init(&w, true);
	w.source = &src;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, PS_SUCCESS);
	assert_int_equal(w.rec[1].outcome, PS_SUCCESS);
	if (have_127_0_0_2) {
		assert_int_equal(strncmp(w.rec[0].local, "127.0.0.2:", 10), 0);
		assert_int_equal(strncmp(w.rec[1].name, "127.0.0.2:", 10), 0);
	} else {
		printf("note: 127.0.0.2 cannot be bound here; source 127.0.0.1 only\n");
	}
	world_free(&w);
}

/* A source we cannot use (not ours: a system error; the other family: its
 * own reason, with no socket made): FAILED before any connect, the core
 * never started. */
static void test_source_unbindable(void **state)
{
	static const struct {
		const char *addr;
		int err;
	} bad[] = { { "192.0.2.1", PS_ERR_SYSTEM }, { "::1", PS_ERR_FAMILY } };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct world w;
		struct sockaddr_storage src, to;
		int lfd = tu_listen_loopback(&to, 16);

		assert_true(net_addr_numeric(&src, bad[i].addr, 0));
		world_init(&w, false);
		w.source = &src;
		world_connect(&w, &to);
		world_run(&w);
		check_life(&w.rec[0]);
		assert_int_equal(w.rec[0].outcome, PS_FAILED);
		assert_int_equal(w.rec[0].err, bad[i].err);
		assert_string_equal(w.rec[0].log.seq, "rd");
		world_free(&w);
		close(lfd);
	}
}

/* ---- abort ---- */

static void abort_all(struct world *w)
{
	tu_world_abort_all(&w->tw, w->abort_reason);
}

/* While connecting: FAILED with the reason, the core never started. */
static void test_abort_connecting(void **state)
{
	struct world w;
	struct sockaddr_storage to;
	int lfd = tu_listen_loopback(&to, 16);

	(void)state;
	world_init(&w, false);
	world_connect(&w, &to);
	assert_non_null(w.tw.live);
	assert_int_equal(w.tw.live->s.state, NET_SESS_CONNECTING);
	net_session_abort(&w.tw.live->s, PS_ERR_CLOSED);
	/* on_done ran inside the abort */
	assert_null(w.tw.live);
	assert_int_equal(w.rec[0].dones, 1);
	world_run(&w);
	check_life(&w.rec[0]);
	assert_int_equal(w.rec[0].outcome, PS_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_CLOSED);
	assert_int_equal(w.rec[0].log.starts, 0);
	assert_int_equal(w.rec[0].log.releases, 0);
	assert_string_equal(w.rec[0].log.seq, "rd");
	world_free(&w);
	close(lfd);
}

static void abort_outbound(struct world *w)
{
	for (struct tu_conn *c = w->tw.live; c; c = c->next)
		if (c->s.outbound) {
			net_session_abort(&c->s, w->abort_reason);
			return;
		}
	fail_msg("no outbound session to abort");
}

/* Inbound on_connected: both ends are up (the outbound connected first);
 * abort the outbound one from the loop. */
static void cb_connected_then_abort(void *ctx, struct net_session *s)
{
	struct conn *c = ctx;

	cb_connected(ctx, s);
	world_timer_soon(c->w, abort_outbound);
}

/* While open: the pending handshake ends FAILED with the reason, the core
 * is closed and released; the other end sees the close. */
static void test_abort_open(void **state)
{
	static const struct net_session_ops ops = {
		.on_connected = cb_connected_then_abort,
		.on_event = cb_event,
		.on_result = cb_result,
		.on_done = cb_done,
	};
	struct world w;

	(void)state;
	world_init(&w, true);
	w.cfg[0].mode = TU_FAKE_SILENT;
	w.cfg[1].mode = TU_FAKE_SILENT;
	w.ops[1] = &ops;
	w.abort_reason = PS_ERR_TIMEOUT;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, PS_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_TIMEOUT);
	assert_int_equal(w.rec[0].log.closes, 1);
	assert_int_equal(w.rec[0].log.close_reason, PS_ERR_TIMEOUT);
	assert_true(w.rec[0].started);
	assert_int_equal(w.rec[0].log.releases, 1);
	/* closed, then reported, released, done */
	assert_true(pos(&w.rec[0], 'k') < pos(&w.rec[0], 'r'));
	assert_int_equal(w.rec[1].outcome, PS_FAILED);
	assert_int_equal(w.rec[1].err, PS_ERR_CLOSED);
	world_free(&w);
}

static void after_two_results_abort(struct world *w, int results)
{
	if (results == 2)
		world_timer_soon(w, abort_all);
}

/* While lingering: the success stands; the core is closed and released. */
static void test_abort_lingering(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.linger_ns[0] = 60 * TU_SEC;
	w.linger_ns[1] = 60 * TU_SEC;
	w.abort_reason = PS_ERR_CLOSED;
	w.after_results = after_two_results_abort;
	pair(&w);
	for (int side = 0; side < 2; side++) {
		assert_int_equal(w.rec[side].outcome, PS_SUCCESS);
		assert_int_equal(w.rec[side].err, PS_OK);
		assert_int_equal(w.rec[side].log.releases, 1);
		assert_true(w.rec[side].done_ns < w.rec[side].end_ns + 30 * TU_SEC);
	}
	world_free(&w);
}

/* ---- through a SOCKS5 proxy ---- */

/* A proxy played by the test in the same loop: it checks the greeting
 * (RFC 1928 section 3, 05 01 00) and the request for 127.0.0.1:8333 (section
 * 4), answers each, and then either hands the socket to a PONGER session
 * (the tunnel: the peer is behind it), or closes it. */
struct fproxy {
	struct world *w;
	int fd, watch, step;
	uint8_t in[64];
	size_t len;
	const uint8_t *reply; /* what answers the request (reply and more) */
	size_t reply_len;
	bool handoff, silent;
	struct sockaddr_storage from;
};

static struct fproxy fp;

static void fp_end(struct fproxy *f)
{
	net_watch_del(f->w->tw.loop, f->watch);
	f->watch = -1;
}

static void fp_io(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct fproxy *f = ctx;
	ssize_t n;

	(void)loop, (void)revents, (void)now_ns;
	n = recv(f->fd, f->in + f->len, f->step == 0 ? 3 - f->len : 10 - f->len, 0);
	if (n <= 0) {
		fp_end(f);
		close(f->fd);
		return;
	}
	f->len += (size_t)n;
	if (f->silent)
		f->len = 0;
	else if (f->step == 0 && f->len == 3) {
		assert_memory_equal(f->in, "\x05\x01\x00", 3);
		assert_int_equal(send(f->fd, "\x05\x00", 2, 0), 2);
		f->len = 0;
		f->step = 1;
	} else if (f->step == 1 && f->len == 10) {
		assert_memory_equal(f->in, "\x05\x01\x00\x01\x7f\x00\x00\x01\x20\x8d", 10);
		assert_int_equal(send(f->fd, f->reply, f->reply_len, 0), (ssize_t)f->reply_len);
		fp_end(f);
		if (f->handoff) {
			struct conn *c = conn_new(f->w, 1);
			struct net_session_params p = params(f->w, c, 1);
			tu_world_accept(&f->w->tw, &c->tc, f->fd, &f->from, &p);
		} else {
			close(f->fd);
		}
	}
}

static void fp_accept(struct tu_world *tw, int fd, const struct sockaddr_storage *from)
{
	fp.w = tw->user;
	fp.fd = fd;
	fp.from = *from;
	fp.watch = net_watch_add(tw->loop, fd, POLLIN, UINT64_MAX, fp_io, &fp);
	assert_true(fp.watch >= 0);
}

/* What the outbound side saw of the proxy phase. */
static struct {
	int connected;
	size_t n;
	struct socks5_event ev[8];
	char local[NET_ADDRSTRLEN];
	int cause;
	char name[NET_PEERSTRLEN], bound[NET_PEERSTRLEN];
	bool proxy_connected_before_connected;
} px;

static void cb_proxy_connected(void *ctx, struct net_session *s)
{
	struct conn *c = ctx;

	assert_ptr_equal(&c->tc.s, s);
	assert_int_equal(s->state, NET_SESS_PROXY);
	assert_false(s->started);
	px.connected++;
	assert_non_null(s->proxy);
	snprintf(px.local, sizeof(px.local), "%s", s->proxy->local);
	snprintf(px.name, sizeof(px.name), "%s", net_session_name(s));
}

static void cb_proxy_event(void *ctx, struct net_session *s, const struct socks5_event *ev)
{
	(void)ctx;
	assert_false(s->started); /* all before the core */
	assert_true(px.n < 8);
	px.ev[px.n++] = *ev;
}

static void cb_connected_proxied(void *ctx, struct net_session *s)
{
	px.proxy_connected_before_connected = px.connected == 1;
	snprintf(px.bound, sizeof(px.bound), "%s", net_session_local(s));
	cb_connected(ctx, s);
}

static void cb_result_proxied(void *ctx, struct net_session *s)
{
	assert_non_null(s->proxy);
	px.cause = s->proxy->cause;
	cb_result(ctx, s);
}

static const struct net_session_ops session_ops_proxy = {
	.on_connected = cb_connected_proxied,
	.on_proxy_connected = cb_proxy_connected,
	.on_proxy_event = cb_proxy_event,
	.on_event = cb_event,
	.on_result = cb_result_proxied,
	.on_done = cb_done,
};

static void proxy_world(struct world *w, const void *reply, size_t reply_len, bool handoff)
{
	memset(&fp, 0, sizeof(fp));
	memset(&px, 0, sizeof(px));
	world_init(w, true);
	w->tw.accept = fp_accept;
	w->ops[0] = &session_ops_proxy;
	fp.reply = reply;
	fp.reply_len = reply_len;
	fp.handoff = handoff;
	fp.watch = -1;
}

static void proxy_connect(struct world *w, const struct sockaddr_storage *proxy)
{
	struct conn *c = conn_new(w, 0);
	struct net_session_params p = params(w, c, 0);
	struct socks5_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.dest.atyp = SOCKS5_ATYP_IPV4;
	cfg.dest.len = 4;
	memcpy(cfg.dest.addr, "\x7f\x00\x00\x01", 4);
	cfg.dest.port = 8333;
	tu_world_connect_proxy(&w->tw, &c->tc, proxy, &cfg, &p);
}

/* The tunnel up, the core starts on the same socket: the handshake with
 * the peer behind the proxy succeeds; the proxy's steps came first, and
 * 'local' is the reply's BND. */
static void test_proxy_tunnel(void **state)
{
	static const uint8_t reply[] = { 5, 0, 0, 1, 10, 0, 0, 9, 0x01, 0xbb };
	static const enum socks5_msg order[] = { SOCKS5_MSG_GREETING, SOCKS5_MSG_METHOD,
						 SOCKS5_MSG_CONNECT, SOCKS5_MSG_REPLY };
	struct world w;

	(void)state;
	proxy_world(&w, reply, sizeof(reply), true);
	proxy_connect(&w, &w.tw.laddr);
	world_run(&w);
	check_life(&w.rec[0]);
	check_life(&w.rec[1]);
	assert_int_equal(w.rec[0].outcome, PS_SUCCESS);
	assert_int_equal(w.rec[1].outcome, PS_SUCCESS);
	assert_int_equal(px.connected, 1);
	assert_true(px.proxy_connected_before_connected);
	assert_string_equal(px.name, "127.0.0.1:8333");
	assert_string_equal(w.rec[0].name, "127.0.0.1:8333");
	assert_string_equal(px.bound, "10.0.0.9:443");
	assert_int_equal(strncmp(px.local, "127.0.0.1:", 10), 0);
	assert_int_equal(px.n, 5);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(px.ev[i].msg, order[i]);
	assert_int_equal(px.ev[4].type, SOCKS5_EV_SUCCESS);
	world_free(&w);
}

/* The peer's first bytes in the same segment as the CONNECT reply: they
 * reach the core, not the SOCKS client (the pinger succeeds on them). */
static void test_proxy_reply_and_peer_bytes_together(void **state)
{
	static const uint8_t reply[] = { 5, 0, 0, 1, 0, 0, 0, 0, 0, 0, 'p', 'o', 'n', 'g', '\n' };
	struct world w;

	(void)state;
	proxy_world(&w, reply, sizeof(reply), false);
	proxy_connect(&w, &w.tw.laddr);
	world_run(&w);
	check_life(&w.rec[0]);
	assert_int_equal(w.rec[0].outcome, PS_SUCCESS);
	assert_true(w.rec[0].started);
	world_free(&w);
}

/* REP 5: the proxy's "connection refused"; the core never starts. */
static void test_proxy_rep_refused(void **state)
{
	static const uint8_t reply[] = { 5, 5, 0, 1, 0, 0, 0, 0, 0, 0 };
	struct world w;

	(void)state;
	proxy_world(&w, reply, sizeof(reply), false);
	proxy_connect(&w, &w.tw.laddr);
	world_run(&w);
	check_life(&w.rec[0]);
	assert_int_equal(w.rec[0].outcome, PS_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_PROXY_REFUSED);
	assert_false(w.rec[0].started);
	assert_int_equal(w.rec[0].log.starts, 0);
	assert_int_equal(w.rec[0].connected, 0);
	assert_int_equal(px.ev[px.n - 1].type, SOCKS5_EV_FAILED);
	world_free(&w);
}

/* A proxy that says nothing: the session's one deadline ends the proxy
 * phase, as the proxy's timeout, waiting for the method selection. */
static void test_proxy_timeout(void **state)
{
	struct world w;

	(void)state;
	proxy_world(&w, NULL, 0, false);
	fp.silent = true;
	w.timeout_ns[0] = 200 * TU_MS;
	proxy_connect(&w, &w.tw.laddr);
	world_run(&w);
	check_life(&w.rec[0]);
	assert_int_equal(w.rec[0].err, PS_ERR_PROXY_TIMEOUT);
	assert_string_equal(w.rec[0].waiting, "method selection");
	assert_true(w.rec[0].end_ns - w.rec[0].start_ns >= 200 * TU_MS);
	world_free(&w);
}

/* Nothing listens where the proxy should be: the proxy is unavailable
 * (why: refused), never the peer's refusal. */
static void test_proxy_unavailable(void **state)
{
	struct world w;
	struct sockaddr_storage to;
	int holder = tu_hold_port(&to, false);

	(void)state;
	memset(&px, 0, sizeof(px));
	world_init(&w, false);
	w.ops[0] = &session_ops_proxy;
	proxy_connect(&w, &to);
	world_run(&w);
	check_life(&w.rec[0]);
	assert_int_equal(w.rec[0].err, PS_ERR_PROXY_UNAVAILABLE);
	assert_int_equal(px.cause, PS_ERR_REFUSED);
	assert_int_equal(px.connected, 0);
	world_free(&w);
	close(holder);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcome_names),
		cmocka_unit_test(test_success),
		cmocka_unit_test(test_success_without_on_connected),
		cmocka_unit_test(test_fail_on_input),
		cmocka_unit_test(test_unexpected_line),
		cmocka_unit_test(test_waiting_at_timeout),
		cmocka_unit_test(test_waiting_follows_core),
		cmocka_unit_test(test_events_lost),
		cmocka_unit_test(test_core_expiry),
		cmocka_unit_test(test_session_timeout_reaches_core),
		cmocka_unit_test(test_deadline_1ns),
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_start_fails),
		cmocka_unit_test(test_linger),
		cmocka_unit_test(test_linger_core_expiry),
		cmocka_unit_test(test_linger_ends_before_core_expiry),
		cmocka_unit_test(test_peer_closes_during_linger),
		cmocka_unit_test(test_linger_ended_by_core),
		cmocka_unit_test(test_shape_byte_at_a_time),
		cmocka_unit_test(test_shape_chunk_no_gap),
		cmocka_unit_test(test_shape_split),
		cmocka_unit_test(test_shape_stall),
		cmocka_unit_test(test_shape_stall_past_expiry),
		cmocka_unit_test(test_drain_ends_at_deadline),
		cmocka_unit_test(test_drain_bounded_by_deadline),
		cmocka_unit_test(test_shape_close_mid),
		cmocka_unit_test(test_source),
		cmocka_unit_test(test_source_unbindable),
		cmocka_unit_test(test_abort_connecting),
		cmocka_unit_test(test_abort_open),
		cmocka_unit_test(test_abort_lingering),
		cmocka_unit_test(test_proxy_tunnel),
		cmocka_unit_test(test_proxy_reply_and_peer_bytes_together),
		cmocka_unit_test(test_proxy_rep_refused),
		cmocka_unit_test(test_proxy_timeout),
		cmocka_unit_test(test_proxy_unavailable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
