/*
 * test_session.c - ref/net/session: one TCP connection driving a sans-I/O
 * core, over real loopback sockets, with a fake core.
 *
 * The fake core speaks a line protocol: the initiator sends "ping\n" and
 * succeeds on "pong\n", the responder answers each "ping\n" with "pong\n"
 * and succeeds on the first. Variants fail on any input, never say a word,
 * expire, or refuse to start. Both ends run in one net_loop: a listening
 * socket whose watcher hands the accepted fd to net_session_accept, and
 * net_session_connect on the other side.
 *
 * Every session is malloc'd and freed in its on_done, and the fake core
 * lives in the same block, so ASan reports any touch of either after
 * on_done. The loop must end by itself once the last session is done (a
 * session that left a watcher behind keeps it running: alarm() turns that
 * into a failure); a guard timer aborts everything after GUARD_NS.
 * Only 127.0.0.1; no sleeps: time passes in poll().
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/loop.h"
#include "net/session.h"
#include "net/sock.h"
#include "testutil.h"

#define MS	 UINT64_C(1000000)
#define SEC	 UINT64_C(1000000000)
#define GUARD_NS (10 * SEC)

enum fake_mode {
	F_PINGER,     /* sends "ping\n", succeeds on "pong\n" */
	F_PONGER,     /* answers "ping\n" with "pong\n", succeeds on the first */
	F_FAIL_INPUT, /* any input fails it (PS_ERR_PROTOCOL) */
	F_SILENT,     /* sends nothing, takes anything, never decides */
	F_START_FAIL, /* start returns PS_ERR_INVALID_ARG */
};

struct fake_cfg {
	enum fake_mode mode;
	uint64_t expiry_in;	  /* > 0: expire this long after start */
	bool expiry_from_timeout; /* expire when the session's time is up */
	bool extra_ping;	  /* pinger: after success, ping once more */
	bool junk_after_success;  /* pinger: after success, send a bad line */
};

/* What one side saw; outlives the session. */
struct rec {
	char seq[128]; /* c connected, s start, e events (runs collapsed), k close,
			  r result, x release, d done */
	size_t n;
	int connected, events, results, dones;
	int starts, releases, closes, close_reason, inputs;
	int pings, pongs;
	enum net_outcome outcome;
	int err;
	bool outbound, started, reported_flag;
	enum net_session_state state_at_result;
	uint64_t start_ns, connected_ns, end_ns, done_ns;
	uint64_t core_now_ns, core_timeout_ns;
	char name[NET_ADDRSTRLEN], local[NET_ADDRSTRLEN];
	void *user;
	/* at on_done */
	bool peer_closed;
	uint64_t closed_ns, bytes_sent;
	char got[64]; /* every byte the core was given */
	size_t got_len;
};

struct fake {
	struct fake_cfg cfg;
	struct rec *rec;
	enum net_outcome outcome;
	int err;
	bool closed;
	uint64_t expiry;
	char in[64];
	size_t in_len;
	uint8_t out[64];
	size_t out_len;
};

struct world;

struct conn {
	struct net_session s; /* first: the block on_done frees */
	struct fake core;
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
	struct rec rec[2];				     /* [0] outbound, [1] inbound */
	struct fake_cfg cfg[2];				     /* the cores */
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

/* ---- the trace ---- */

static void mark(struct rec *r, char c)
{
	if (c == 'e' && r->n && r->seq[r->n - 1] == 'e')
		return;
	assert_true(r->n + 1 < sizeof(r->seq));
	r->seq[r->n++] = c;
	r->seq[r->n] = 0;
}

static size_t count(const struct rec *r, char c)
{
	size_t k = 0;

	for (size_t i = 0; i < r->n; i++)
		k += r->seq[i] == c;
	return k;
}

static long pos(const struct rec *r, char c)
{
	const char *p = strchr(r->seq, c);

	return p ? p - r->seq : -1;
}

/* The invariants of every session's life, whatever happened. */
static void check_life(const struct rec *r)
{
	assert_int_equal(r->results, 1);
	assert_int_equal(r->dones, 1);
	assert_int_equal(count(r, 'r'), 1);
	assert_int_equal(count(r, 'd'), 1);
	/* on_done is the very last thing */
	assert_int_equal(r->seq[r->n - 1], 'd');
	/* start at most once; release exactly when start succeeded, once,
	 * after on_result and before on_done */
	assert_true(r->starts <= 1);
	assert_int_equal(r->releases, r->started ? 1 : 0);
	if (r->started) {
		assert_true(pos(r, 'x') > pos(r, 'r'));
		assert_true(pos(r, 'x') < pos(r, 'd'));
	}
	/* the core is started only once connected, after on_connected */
	if (r->starts) {
		assert_int_equal(r->connected <= 1, 1);
		if (r->connected)
			assert_true(pos(r, 'c') < pos(r, 's'));
	}
	/* events only from a started core */
	if (r->events)
		assert_true(r->starts == 1 && pos(r, 's') < pos(r, 'e'));
	assert_true(r->reported_flag);
	assert_int_not_equal(r->outcome, NET_PENDING);
	if (r->outcome == NET_SUCCESS)
		assert_int_equal(r->err, PS_OK);
	else
		assert_int_not_equal(r->err, PS_OK);
	assert_true(r->end_ns >= r->start_ns);
	assert_true(r->done_ns >= r->end_ns);
	/* the connection ended once the result was known, before on_done */
	assert_true(r->closed_ns >= r->end_ns);
	assert_true(r->closed_ns <= r->done_ns);
	if (!r->started)
		assert_int_equal(r->bytes_sent, 0);
}

/* ---- the fake core ---- */

static void fake_queue(struct fake *f, const char *line)
{
	size_t n = strlen(line);

	assert_true(f->out_len + n <= sizeof(f->out));
	memcpy(f->out + f->out_len, line, n);
	f->out_len += n;
}

static void fake_end(struct fake *f, enum net_outcome o, int err)
{
	if (f->outcome != NET_PENDING)
		return;
	f->outcome = o;
	f->err = err;
}

static int fake_start(void *core, const struct net_session *s, uint64_t now_ns, uint64_t timeout_ns)
{
	struct fake *f = core;

	f->rec->starts++;
	mark(f->rec, 's');
	f->rec->core_now_ns = now_ns;
	f->rec->core_timeout_ns = timeout_ns;
	assert_int_equal(s->state, NET_SESS_OPEN);
	assert_true(s->fd >= 0);
	if (f->cfg.mode == F_START_FAIL)
		return PS_ERR_INVALID_ARG;
	f->outcome = NET_PENDING;
	f->expiry = UINT64_MAX;
	if (f->cfg.expiry_in)
		f->expiry = now_ns + f->cfg.expiry_in;
	if (f->cfg.expiry_from_timeout)
		f->expiry = now_ns + timeout_ns;
	if (f->cfg.mode == F_PINGER)
		fake_queue(f, "ping\n");
	return PS_OK;
}

static void fake_line(struct fake *f, const char *line)
{
	if (f->cfg.mode == F_PINGER && strcmp(line, "pong") == 0) {
		f->rec->pongs++;
		fake_end(f, NET_SUCCESS, PS_OK);
		if (f->cfg.extra_ping && f->rec->pongs == 1)
			fake_queue(f, "ping\n");
		if (f->cfg.junk_after_success && f->rec->pongs == 1)
			fake_queue(f, "junk\n");
		return;
	}
	if (f->cfg.mode == F_PONGER && strcmp(line, "ping") == 0) {
		f->rec->pings++;
		fake_queue(f, "pong\n");
		fake_end(f, NET_SUCCESS, PS_OK);
		return;
	}
	fake_end(f, NET_FAILED, PS_ERR_PROTOCOL);
	f->closed = true;
}

static int fake_input(void *core, uint64_t now_ns, const uint8_t *data, size_t len)
{
	struct fake *f = core;

	(void)now_ns;
	f->rec->inputs++;
	assert_true(len > 0);
	for (size_t i = 0; i < len && f->rec->got_len + 1 < sizeof(f->rec->got); i++)
		f->rec->got[f->rec->got_len++] = (char)data[i];
	/* the session stops reading once the core says it has ended */
	assert_false(f->closed);
	if (f->cfg.mode == F_SILENT)
		return PS_OK;
	if (f->cfg.mode == F_FAIL_INPUT) {
		fake_end(f, NET_FAILED, PS_ERR_PROTOCOL);
		f->closed = true;
		return PS_ERR_PROTOCOL;
	}
	for (size_t i = 0; i < len && !f->closed; i++) {
		if (data[i] != '\n') {
			if (f->in_len + 1 >= sizeof(f->in)) {
				fake_end(f, NET_FAILED, PS_ERR_TOO_LARGE);
				f->closed = true;
				break;
			}
			f->in[f->in_len++] = (char)data[i];
			continue;
		}
		f->in[f->in_len] = 0;
		f->in_len = 0;
		fake_line(f, f->in);
	}
	return f->outcome == NET_FAILED ? f->err : PS_OK;
}

static size_t fake_output(void *core, const uint8_t **p)
{
	struct fake *f = core;

	*p = f->out;
	return f->out_len;
}

static void fake_consume(void *core, size_t n)
{
	struct fake *f = core;

	assert_true(n <= f->out_len);
	memmove(f->out, f->out + n, f->out_len - n);
	f->out_len -= n;
}

static uint64_t fake_expiry(void *core)
{
	struct fake *f = core;

	return f->outcome == NET_PENDING ? f->expiry : UINT64_MAX;
}

static void fake_handle_expiry(void *core, uint64_t now_ns)
{
	struct fake *f = core;

	if (f->outcome == NET_PENDING && now_ns >= f->expiry) {
		fake_end(f, NET_FAILED, PS_ERR_TIMEOUT);
		f->closed = true;
	}
}

static void fake_close(void *core, int reason)
{
	struct fake *f = core;

	f->rec->closes++;
	f->rec->close_reason = reason;
	mark(f->rec, 'k');
	fake_end(f, NET_FAILED, reason);
	f->closed = true;
	f->out_len = 0;
}

static enum net_outcome fake_outcome(void *core, int *err)
{
	struct fake *f = core;

	*err = f->err;
	return f->outcome;
}

static bool fake_ended(void *core)
{
	struct fake *f = core;

	return f->closed || f->outcome == NET_FAILED;
}

static void fake_release(void *core)
{
	struct fake *f = core;

	f->rec->releases++;
	mark(f->rec, 'x');
}

static const struct net_core_ops fake_ops = {
	.start = fake_start,
	.input = fake_input,
	.output = fake_output,
	.consume = fake_consume,
	.expiry = fake_expiry,
	.handle_expiry = fake_handle_expiry,
	.close = fake_close,
	.outcome = fake_outcome,
	.ended = fake_ended,
	.release = fake_release,
};

/* ---- the session callbacks ---- */

static void on_alarm(int sig)
{
	static const char msg[] = "test_session: the loop did not end: a session left a "
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

static void cb_connected(void *ctx, struct net_session *s)
{
	struct conn *c = ctx;

	assert_ptr_equal(&c->s, s);
	c->rec->connected++;
	mark(c->rec, 'c');
	assert_int_equal(s->state, NET_SESS_OPEN);
	assert_true(s->connected_ns >= s->start_ns);
	snprintf(c->rec->local, sizeof(c->rec->local), "%s", s->local);
	c->rec->connected_ns = s->connected_ns;
}

static void cb_events(void *ctx, struct net_session *s)
{
	struct conn *c = ctx;

	assert_ptr_equal(&c->s, s);
	c->rec->events++;
	mark(c->rec, 'e');
}

static void cb_result(void *ctx, struct net_session *s)
{
	struct conn *c = ctx;
	struct world *w = c->w;

	assert_ptr_equal(&c->s, s);
	c->rec->results++;
	mark(c->rec, 'r');
	c->rec->outcome = s->outcome;
	c->rec->err = s->err;
	c->rec->reported_flag = s->reported;
	c->rec->started = s->started;
	c->rec->outbound = s->outbound;
	c->rec->state_at_result = s->state;
	c->rec->start_ns = s->start_ns;
	c->rec->end_ns = s->end_ns;
	c->rec->user = s->user;
	snprintf(c->rec->name, sizeof(c->rec->name), "%s", s->name);
	w->results++;
	if (w->after_results)
		w->after_results(w, w->results);
}

static void cb_done(void *ctx, struct net_session *s)
{
	struct conn *c = ctx;
	struct world *w = c->w;

	assert_ptr_equal(&c->s, s);
	c->rec->dones++;
	mark(c->rec, 'd');
	c->rec->done_ns = net_now_ns();
	c->rec->peer_closed = s->peer_closed;
	c->rec->closed_ns = s->closed_ns;
	c->rec->bytes_sent = s->bytes_sent;
	assert_int_equal(s->state, NET_SESS_DONE);
	assert_int_equal(s->fd, -1);
	assert_int_equal(s->watch_id, -1);
	for (struct conn **p = &w->live; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	/* scribble, then free: any later touch is ASan's to report */
	memset(c, 0xa5, sizeof(*c));
	free(c);
	world_maybe_over(w);
}

static const struct net_session_ops session_ops = {
	.on_connected = cb_connected,
	.on_events = cb_events,
	.on_result = cb_result,
	.on_done = cb_done,
};

static const struct net_session_ops session_ops_no_connected = {
	.on_connected = NULL,
	.on_events = cb_events,
	.on_result = cb_result,
	.on_done = cb_done,
};

static struct conn *conn_new(struct world *w, int side)
{
	struct conn *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->w = w;
	c->rec = &w->rec[side];
	c->core.cfg = w->cfg[side];
	c->core.rec = c->rec;
	c->core.outcome = NET_PENDING;
	c->core.expiry = UINT64_MAX;
	c->s.user = (void *)(uintptr_t)(0x1000 + side); /* kept across setup */
	c->next = w->live;
	w->live = c;
	return c;
}

static struct net_session_params params(struct world *w, struct conn *c, int side)
{
	struct net_session_params p = {
		.core_ops = &fake_ops,
		.core = &c->core,
		.timeout_ns = w->timeout_ns[side],
		.linger_ns = w->linger_ns[side],
		.ops = w->ops[side]	    ? w->ops[side]
		       : w->no_on_connected ? &session_ops_no_connected
					    : &session_ops,
		.ctx = c,
		.shape = w->shape[side],
		.source = side == 0 ? w->source : NULL,
	};
	return p;
}

/* ---- the world: a loop, a listener, the guard ---- */

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

	(void)loop, (void)now_ns, (void)revents;
	r = net_sock_accept(&fd, &ss, w->lfd);
	if (r == PS_ERR_NEED_MORE)
		return;
	assert_int_equal(r, PS_OK);
	/* one connection per test: stop listening first, so the loop can end
	 * as soon as the sessions are done */
	close_listener(w);
	c = conn_new(w, 1);
	p = params(w, c, 1);
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
	if (w->timer >= 0)
		net_watch_del(w->loop, w->timer);
	w->timer = -1;
	while (w->live)
		net_session_abort(&w->live->s, PS_ERR_TIMEOUT);
}

static void on_world_timer(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct world *w = ctx;

	(void)loop, (void)revents, (void)now_ns;
	net_watch_del(w->loop, w->timer);
	w->timer = -1;
	w->on_timer(w);
}

/* Run the test's timer hook from the loop at once (not from inside a
 * session callback). */
static void world_timer_soon(struct world *w, void (*fn)(struct world *w))
{
	assert_int_equal(w->timer, -1);
	w->on_timer = fn;
	w->timer = net_watch_add(w->loop, -1, 0, 0, on_world_timer, w);
	assert_true(w->timer >= 0);
}

static void world_init(struct world *w, bool listen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(w->laddr);

	memset(w, 0, sizeof(*w));
	w->lfd = w->lwatch = w->timer = -1;
	w->cfg[0].mode = F_PINGER;
	w->cfg[1].mode = F_PONGER;
	w->timeout_ns[0] = w->timeout_ns[1] = 5 * SEC;
	w->loop = net_loop_create(false);
	assert_non_null(w->loop);
	w->guard = net_watch_add(w->loop, -1, 0, net_now_ns() + GUARD_NS, on_guard, w);
	assert_true(w->guard >= 0);
	if (!listen)
		return;
	assert_true(net_addr_numeric(&ss, "127.0.0.1", 0));
	assert_int_equal(net_sock_listen(&w->lfd, &ss, 16), PS_OK);
	assert_int_equal(getsockname(w->lfd, (struct sockaddr *)&w->laddr, &len), 0);
	w->lwatch = net_watch_add(w->loop, w->lfd, POLLIN, UINT64_MAX, on_listen, w);
	assert_true(w->lwatch >= 0);
}

static void world_connect(struct world *w, const struct sockaddr_storage *to)
{
	struct conn *c = conn_new(w, 0);
	struct net_session_params p = params(w, c, 0);

	/* on an immediate failure c is already freed when this returns */
	assert_int_equal(net_session_connect(&c->s, w->loop, to, &p), PS_OK);
}

/* Run until the loop ends by itself: every session done, nothing left. */
static void world_run(struct world *w)
{
	signal(SIGALRM, on_alarm);
	alarm(GUARD_NS / SEC + 20);
	assert_int_equal(net_loop_run(w->loop), PS_OK);
	alarm(0);
	if (w->guard_fired)
		fail_msg("the sessions did not end within %u s (outbound '%s', inbound '%s')",
			 (unsigned)(GUARD_NS / SEC), w->rec[0].seq, w->rec[1].seq);
	assert_null(w->live);
	assert_int_equal(w->lfd, -1);
}

static void world_free(struct world *w)
{
	close_listener(w);
	net_loop_destroy(w->loop);
}

static void pair(struct world *w)
{
	world_connect(w, &w->laddr);
	world_run(w);
	check_life(&w->rec[0]);
	check_life(&w->rec[1]);
}

/* ---- the tests ---- */

static void test_outcome_names(void **state)
{
	(void)state;
	assert_string_equal(net_outcome_name(NET_SUCCESS), "SUCCESS");
	assert_string_equal(net_outcome_name(NET_PARTIAL), "PARTIAL");
	assert_string_equal(net_outcome_name(NET_FAILED), "FAILED");
	assert_string_equal(net_outcome_name(NET_PENDING), "PENDING");
	assert_string_equal(net_outcome_name((enum net_outcome)99), "PENDING");
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
		assert_int_equal(r->outcome, NET_SUCCESS);
		assert_int_equal(r->err, PS_OK);
		assert_int_equal(r->connected, 1);
		assert_int_equal(r->starts, 1);
		assert_true(r->started);
		assert_true(r->events >= 1);
		assert_int_equal(r->outbound, side == 0);
		assert_ptr_equal(r->user, (void *)(uintptr_t)(0x1000 + side));
		/* no linger: over once the result is known and the output sent */
		assert_int_equal(r->state_at_result, NET_SESS_OPEN);
		/* c s ... r x d, with events in between */
		assert_int_equal(r->seq[0], 'c');
		assert_int_equal(r->seq[1], 's');
		assert_true(r->connected_ns >= r->start_ns);
		assert_true(r->end_ns >= r->connected_ns);
		/* the core was started with what is left of 5 s */
		assert_true(r->core_timeout_ns > 0 && r->core_timeout_ns <= 5 * SEC);
		assert_int_equal(strncmp(r->local, "127.0.0.1:", 10), 0);
	}
	assert_int_equal(w.rec[0].pongs, 1);
	assert_int_equal(w.rec[1].pings, 1);
	assert_int_equal(w.rec[0].bytes_sent, 5);
	assert_int_equal(w.rec[1].bytes_sent, 5);
	assert_string_equal(w.rec[0].got, "pong\n");
	assert_string_equal(w.rec[1].got, "ping\n");
	/* the outbound session is named for where it went; the inbound for
	 * where it came from, which is the outbound's local end */
	net_addr_format(want, &w.laddr);
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
	assert_int_equal(w.rec[0].outcome, NET_SUCCESS);
	assert_int_equal(w.rec[1].outcome, NET_SUCCESS);
	assert_int_equal(w.rec[0].connected, 0);
	assert_int_equal(w.rec[0].seq[0], 's');
	world_free(&w);
}

/* The responder fails on the first input: it ends FAILED protocol and
 * closes; the initiator then sees the close. */
static void test_fail_on_input(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.cfg[1].mode = F_FAIL_INPUT;
	pair(&w);
	assert_int_equal(w.rec[1].outcome, NET_FAILED);
	assert_int_equal(w.rec[1].err, PS_ERR_PROTOCOL);
	assert_int_equal(w.rec[1].inputs, 1);
	assert_int_equal(w.rec[1].closes, 0);
	assert_int_equal(w.rec[0].outcome, NET_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_CLOSED);
	assert_int_equal(w.rec[0].closes, 1);
	assert_int_equal(w.rec[0].close_reason, PS_ERR_CLOSED);
	/* the close reached the core before the result was known */
	assert_true(pos(&w.rec[0], 'k') < pos(&w.rec[0], 'r'));
	/* who hung up */
	assert_true(w.rec[0].peer_closed);
	assert_false(w.rec[1].peer_closed);
	assert_int_equal(w.rec[0].bytes_sent, 5);
	assert_int_equal(w.rec[1].bytes_sent, 0);
	world_free(&w);
}

/* The core's expiry becomes the watcher's deadline: handle_expiry ends it. */
static void test_core_expiry(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.cfg[0].mode = F_SILENT;
	w.cfg[0].expiry_in = 30 * MS;
	w.cfg[1].mode = F_SILENT;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, NET_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_TIMEOUT);
	assert_true(w.rec[0].end_ns >= w.rec[0].core_now_ns + 30 * MS);
	assert_int_equal(w.rec[0].closes, 0);
	/* the silent responder learns of it by the close */
	assert_int_equal(w.rec[1].outcome, NET_FAILED);
	assert_int_equal(w.rec[1].err, PS_ERR_CLOSED);
	world_free(&w);
}

/* The session's timeout is handed to the core as what is left of it. */
static void test_session_timeout_reaches_core(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.cfg[0].mode = F_SILENT;
	w.cfg[0].expiry_from_timeout = true;
	w.timeout_ns[0] = 40 * MS;
	w.cfg[1].mode = F_SILENT;
	pair(&w);
	assert_true(w.rec[0].core_timeout_ns <= 40 * MS);
	assert_true(w.rec[0].core_timeout_ns > 0);
	/* start + timeout is the deadline, whenever the connect completed */
	assert_true(w.rec[0].core_now_ns + w.rec[0].core_timeout_ns >= w.rec[0].start_ns + 40 * MS);
	assert_int_equal(w.rec[0].outcome, NET_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_TIMEOUT);
	assert_true(w.rec[0].end_ns >= w.rec[0].start_ns + 40 * MS);
	world_free(&w);
}

/* A listener nobody serves (outside the loop): connects complete into its
 * backlog, and no inbound session exists. */
static int idle_listener(struct sockaddr_storage *addr)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(*addr);
	int lfd = -1;

	assert_true(net_addr_numeric(&ss, "127.0.0.1", 0));
	assert_int_equal(net_sock_listen(&lfd, &ss, 16), PS_OK);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)addr, &len), 0);
	return lfd;
}

/* A deadline of 1 ns: over before anything can happen, as a timeout,
 * whether the connect had completed or not. */
static void test_deadline_1ns(void **state)
{
	struct world w;
	struct sockaddr_storage to;
	int lfd = idle_listener(&to);

	(void)state;
	world_init(&w, false);
	w.cfg[0].mode = F_SILENT;
	w.cfg[0].expiry_from_timeout = true;
	w.timeout_ns[0] = 1;
	world_connect(&w, &to);
	world_run(&w);
	check_life(&w.rec[0]);
	assert_int_equal(w.rec[0].outcome, NET_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_TIMEOUT);
	/* started only if the connect won the race, with the minimum left */
	if (w.rec[0].started)
		assert_int_equal(w.rec[0].core_timeout_ns, 1);
	else
		assert_string_equal(w.rec[0].seq, "rd");
	world_free(&w);
	close(lfd);
}

/* A listener whose backlog is full leaves the connect in progress (SYNs
 * dropped): the session times out connecting, the core never starts. */
static void test_connect_timeout(void **state)
{
	struct world w;
	struct sockaddr_storage ss, full;
	socklen_t len = sizeof(full);
	int lfd = -1, fillers[64], nfill = 0;
	bool hung = false;

	(void)state;
	assert_true(net_addr_numeric(&ss, "127.0.0.1", 0));
	assert_int_equal(net_sock_listen(&lfd, &ss, 0), PS_OK);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&full, &len), 0);
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
	w.cfg[0].mode = F_SILENT;
	w.timeout_ns[0] = 50 * MS;
	world_connect(&w, &full);
	world_run(&w);
	check_life(&w.rec[0]);
	assert_int_equal(w.rec[0].outcome, NET_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_TIMEOUT);
	assert_false(w.rec[0].started);
	assert_int_equal(w.rec[0].starts, 0);
	assert_int_equal(w.rec[0].connected, 0);
	assert_int_equal(w.rec[0].releases, 0);
	assert_string_equal(w.rec[0].seq, "rd");
	assert_true(w.rec[0].end_ns >= w.rec[0].start_ns + 50 * MS);
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
	struct sockaddr_storage ss, to;
	socklen_t len = sizeof(to);
	int holder;

	(void)state;
	holder = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(holder >= 0);
	assert_true(net_addr_numeric(&ss, "127.0.0.1", 0));
	assert_int_equal(bind(holder, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), 0);
	assert_int_equal(getsockname(holder, (struct sockaddr *)&to, &len), 0);

	world_init(&w, false);
	world_connect(&w, &to);
	world_run(&w);
	check_life(&w.rec[0]);
	assert_int_equal(w.rec[0].outcome, NET_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_REFUSED);
	assert_false(w.rec[0].started);
	assert_int_equal(w.rec[0].starts, 0);
	assert_int_equal(w.rec[0].releases, 0);
	assert_int_equal(w.rec[0].connected, 0);
	assert_int_equal(w.rec[0].events, 0);
	assert_string_equal(w.rec[0].seq, "rd");
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
		w.cfg[side].mode = F_START_FAIL;
		w.cfg[1 - side].mode = F_SILENT;
		pair(&w);
		assert_int_equal(w.rec[side].outcome, NET_FAILED);
		assert_int_equal(w.rec[side].err, PS_ERR_INVALID_ARG);
		assert_false(w.rec[side].started);
		assert_int_equal(w.rec[side].starts, 1);
		assert_int_equal(w.rec[side].releases, 0);
		assert_int_equal(w.rec[side].events, 0);
		assert_string_equal(w.rec[side].seq, "csrd");
		/* the other end sees the connection close */
		assert_int_equal(w.rec[1 - side].outcome, NET_FAILED);
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
	const uint64_t linger = 60 * MS;

	(void)state;
	world_init(&w, true);
	w.cfg[0].extra_ping = true;
	w.linger_ns[0] = linger;
	w.linger_ns[1] = 60 * SEC;
	pair(&w);
	for (int side = 0; side < 2; side++) {
		assert_int_equal(w.rec[side].outcome, NET_SUCCESS);
		assert_int_equal(w.rec[side].err, PS_OK);
	}
	/* lingering went on reading and writing */
	assert_int_equal(w.rec[0].pongs, 2);
	assert_int_equal(w.rec[1].pings, 2);
	/* the initiator stayed linger_ns after its result */
	assert_true(w.rec[0].done_ns >= w.rec[0].end_ns + linger);
	assert_int_equal(w.rec[0].closes, 0);
	/* the responder ended on the close, well before its own linger, and
	 * the close came after its (successful) result */
	assert_true(w.rec[1].done_ns < w.rec[1].end_ns + 30 * SEC);
	assert_true(w.rec[1].done_ns >= w.rec[0].end_ns + linger);
	assert_int_equal(w.rec[1].closes, 1);
	assert_int_equal(w.rec[1].close_reason, PS_ERR_CLOSED);
	assert_true(pos(&w.rec[1], 'k') > pos(&w.rec[1], 'r'));
	world_free(&w);
}

/* The peer closing during linger ends it: the initiator does not linger,
 * the responder would for a minute. */
static void test_peer_closes_during_linger(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.linger_ns[1] = 60 * SEC;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, NET_SUCCESS);
	assert_int_equal(w.rec[1].outcome, NET_SUCCESS);
	assert_int_equal(w.rec[1].err, PS_OK);
	assert_int_equal(w.rec[1].closes, 1);
	assert_int_equal(w.rec[1].close_reason, PS_ERR_CLOSED);
	assert_true(w.rec[1].done_ns < w.rec[1].end_ns + 30 * SEC);
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
	w.linger_ns[0] = 60 * SEC;
	w.linger_ns[1] = 60 * SEC;
	w.cfg[0].junk_after_success = true;
	pair(&w);
	/* the success stands on both sides */
	assert_int_equal(w.rec[0].outcome, NET_SUCCESS);
	assert_int_equal(w.rec[1].outcome, NET_SUCCESS);
	assert_int_equal(w.rec[1].err, PS_OK);
	/* the responder ended by itself, not by a close */
	assert_int_equal(w.rec[1].closes, 0);
	assert_true(w.rec[1].done_ns < w.rec[1].end_ns + 30 * SEC);
	/* the initiator by the responder's close */
	assert_int_equal(w.rec[0].closes, 1);
	assert_int_equal(w.rec[0].close_reason, PS_ERR_CLOSED);
	assert_true(w.rec[0].done_ns < w.rec[0].end_ns + 30 * SEC);
	world_free(&w);
}

/* ---- shaped writes (peershake --bug transport shaping) ---- */

/* Byte at a time with a gap: five writes, the last at least four gaps
 * after the first; the responder reads more than once and still succeeds. */
static void test_shape_byte_at_a_time(void **state)
{
	struct world w;
	const uint64_t gap = 5 * MS;

	(void)state;
	world_init(&w, true);
	w.shape[0].chunk = 1;
	w.shape[0].gap_ns = gap;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, NET_SUCCESS);
	assert_int_equal(w.rec[1].outcome, NET_SUCCESS);
	assert_int_equal(w.rec[0].bytes_sent, 5);
	assert_string_equal(w.rec[1].got, "ping\n");
	assert_true(w.rec[1].inputs >= 2);
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
	assert_int_equal(w.rec[0].outcome, NET_SUCCESS);
	assert_int_equal(w.rec[1].outcome, NET_SUCCESS);
	assert_int_equal(w.rec[1].bytes_sent, 5);
	assert_string_equal(w.rec[0].got, "pong\n");
	world_free(&w);
}

/* The first write stops at split_at; the rest follows after the gap. */
static void test_shape_split(void **state)
{
	struct world w;
	const uint64_t gap = 30 * MS;

	(void)state;
	world_init(&w, true);
	w.shape[0].split_at = 2;
	w.shape[0].gap_ns = gap;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, NET_SUCCESS);
	assert_int_equal(w.rec[1].outcome, NET_SUCCESS);
	assert_string_equal(w.rec[1].got, "ping\n");
	assert_true(w.rec[1].inputs >= 2);
	assert_true(w.rec[1].end_ns >= w.rec[0].connected_ns + gap);
	world_free(&w);
}

/* Nothing is sent for stall_ns after the connection is up. */
static void test_shape_stall(void **state)
{
	struct world w;
	const uint64_t stall = 40 * MS;

	(void)state;
	world_init(&w, true);
	w.shape[0].stall_ns = stall;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, NET_SUCCESS);
	assert_int_equal(w.rec[1].outcome, NET_SUCCESS);
	assert_true(w.rec[1].end_ns >= w.rec[0].connected_ns + stall);
	world_free(&w);
}

/* A stall longer than the core's deadline: the core's expiry still wins. */
static void test_shape_stall_past_expiry(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, true);
	w.shape[0].stall_ns = 60 * SEC;
	w.cfg[0].expiry_in = 30 * MS;
	w.cfg[1].mode = F_SILENT;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, NET_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_TIMEOUT);
	assert_int_equal(w.rec[0].bytes_sent, 0);
	assert_int_equal(w.rec[1].got_len, 0);
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
		assert_int_equal(w.rec[1 - side].outcome, NET_FAILED);
		assert_int_equal(w.rec[1 - side].err, PS_ERR_CLOSED);
		if (side == 0) {
			assert_int_equal(w.rec[0].outcome, NET_FAILED);
			assert_int_equal(w.rec[0].err, PS_ERR_CLOSED);
		} else {
			assert_int_equal(w.rec[1].outcome, NET_SUCCESS);
		}
		assert_false(w.rec[side].peer_closed);
		assert_true(w.rec[1 - side].peer_closed);
		assert_int_equal(w.rec[side].closes, 1);
		assert_int_equal(w.rec[side].close_reason, PS_ERR_CLOSED);
		/* "ping\n" or "pong\n": two bytes of five reached the peer */
		assert_int_equal(w.rec[1 - side].got_len, 2);
		assert_memory_equal(w.rec[1 - side].got, side == 0 ? "pi" : "po", 2);
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
	assert_int_equal(w.rec[0].outcome, NET_SUCCESS);
	assert_int_equal(w.rec[1].outcome, NET_SUCCESS);
	if (have_127_0_0_2) {
		assert_int_equal(strncmp(w.rec[0].local, "127.0.0.2:", 10), 0);
		assert_int_equal(strncmp(w.rec[1].name, "127.0.0.2:", 10), 0);
	} else {
		printf("note: 127.0.0.2 cannot be bound here; source 127.0.0.1 only\n");
	}
	world_free(&w);
}

/* A source we cannot bind (not ours; or the other family): FAILED with a
 * system error, before any connect, the core never started. */
static void test_source_unbindable(void **state)
{
	static const char *bad[] = { "192.0.2.1", "::1" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct world w;
		struct sockaddr_storage src, to;
		int lfd = idle_listener(&to);

		assert_true(net_addr_numeric(&src, bad[i], 0));
		world_init(&w, false);
		w.source = &src;
		world_connect(&w, &to);
		world_run(&w);
		check_life(&w.rec[0]);
		assert_int_equal(w.rec[0].outcome, NET_FAILED);
		assert_int_equal(w.rec[0].err, PS_ERR_SYSTEM);
		assert_string_equal(w.rec[0].seq, "rd");
		world_free(&w);
		close(lfd);
	}
}

/* ---- abort ---- */

static void abort_all(struct world *w)
{
	while (w->live)
		net_session_abort(&w->live->s, w->abort_reason);
	close_listener(w);
	world_maybe_over(w);
}

/* While connecting: FAILED with the reason, the core never started. */
static void test_abort_connecting(void **state)
{
	struct world w;
	struct sockaddr_storage to;
	int lfd = idle_listener(&to);

	(void)state;
	world_init(&w, false);
	world_connect(&w, &to);
	assert_non_null(w.live);
	assert_int_equal(w.live->s.state, NET_SESS_CONNECTING);
	net_session_abort(&w.live->s, PS_ERR_CLOSED);
	/* on_done ran inside the abort */
	assert_null(w.live);
	assert_int_equal(w.rec[0].dones, 1);
	world_run(&w);
	check_life(&w.rec[0]);
	assert_int_equal(w.rec[0].outcome, NET_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_CLOSED);
	assert_int_equal(w.rec[0].starts, 0);
	assert_int_equal(w.rec[0].releases, 0);
	assert_string_equal(w.rec[0].seq, "rd");
	world_free(&w);
	close(lfd);
}

static void abort_outbound(struct world *w)
{
	for (struct conn *c = w->live; c; c = c->next)
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
		.on_events = cb_events,
		.on_result = cb_result,
		.on_done = cb_done,
	};
	struct world w;

	(void)state;
	world_init(&w, true);
	w.cfg[0].mode = F_SILENT;
	w.cfg[1].mode = F_SILENT;
	w.ops[1] = &ops;
	w.abort_reason = PS_ERR_TIMEOUT;
	pair(&w);
	assert_int_equal(w.rec[0].outcome, NET_FAILED);
	assert_int_equal(w.rec[0].err, PS_ERR_TIMEOUT);
	assert_int_equal(w.rec[0].closes, 1);
	assert_int_equal(w.rec[0].close_reason, PS_ERR_TIMEOUT);
	assert_true(w.rec[0].started);
	assert_int_equal(w.rec[0].releases, 1);
	/* closed, then reported, released, done */
	assert_true(pos(&w.rec[0], 'k') < pos(&w.rec[0], 'r'));
	assert_int_equal(w.rec[1].outcome, NET_FAILED);
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
	w.linger_ns[0] = 60 * SEC;
	w.linger_ns[1] = 60 * SEC;
	w.abort_reason = PS_ERR_CLOSED;
	w.after_results = after_two_results_abort;
	pair(&w);
	for (int side = 0; side < 2; side++) {
		assert_int_equal(w.rec[side].outcome, NET_SUCCESS);
		assert_int_equal(w.rec[side].err, PS_OK);
		assert_int_equal(w.rec[side].releases, 1);
		assert_true(w.rec[side].done_ns < w.rec[side].end_ns + 30 * SEC);
	}
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcome_names),
		cmocka_unit_test(test_success),
		cmocka_unit_test(test_success_without_on_connected),
		cmocka_unit_test(test_fail_on_input),
		cmocka_unit_test(test_core_expiry),
		cmocka_unit_test(test_session_timeout_reaches_core),
		cmocka_unit_test(test_deadline_1ns),
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_start_fails),
		cmocka_unit_test(test_linger),
		cmocka_unit_test(test_peer_closes_during_linger),
		cmocka_unit_test(test_linger_ended_by_core),
		cmocka_unit_test(test_shape_byte_at_a_time),
		cmocka_unit_test(test_shape_chunk_no_gap),
		cmocka_unit_test(test_shape_split),
		cmocka_unit_test(test_shape_stall),
		cmocka_unit_test(test_shape_stall_past_expiry),
		cmocka_unit_test(test_shape_close_mid),
		cmocka_unit_test(test_source),
		cmocka_unit_test(test_source_unbindable),
		cmocka_unit_test(test_abort_connecting),
		cmocka_unit_test(test_abort_open),
		cmocka_unit_test(test_abort_lingering),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
