/*
 * test_loop.c - ref/net/loop: the event loop, on each backend.
 *
 * Every test runs once per backend (poll, and epoll on Linux), each pass in
 * a child process of its own with PS_LOOP naming the backend, so that the
 * process-wide "signal caught" flag of one pass cannot reach the next.
 * No sleeps: deadlines a few milliseconds ahead are fine since the loop
 * waits on them, and deadlines in the past make several timers due in the
 * same turn, deterministically. fd readiness uses pipes. The signal test
 * runs last in each pass: the caught flag sticks.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/loop.h"
#include "testutil.h"

#define MS UINT64_C(1000000)

/* the backend of this pass: what PS_LOOP says in the child */
static const char *backend;

struct trace {
	int tag[512];
	uint64_t now[512];
	short revents[512];
	size_t n;
};

struct timer {
	struct trace *t;
	int tag;
	int id;
	uint64_t deadline;
	int calls;
	int rearm;     /* re-arm this many times, 1 ms apart */
	int *victim;   /* id to delete when called (or NULL) */
	int victim_fd; /* with victim: add a watcher on this fd, reusing the slot */
	int added_id;
	struct timer *added;
};

static void record(struct trace *t, int tag, short revents, uint64_t now)
{
	assert_true(t->n < 512);
	t->tag[t->n] = tag;
	t->now[t->n] = now;
	t->revents[t->n] = revents;
	t->n++;
}

/* A one-shot timer: records, checks it is not early, deletes itself. */
static void on_timer(struct net_loop *loop, void *ctx, short revents, uint64_t now)
{
	struct timer *tm = ctx;

	record(tm->t, tm->tag, revents, now);
	tm->calls++;
	assert_int_equal(revents, 0);
	assert_true(now >= tm->deadline);
	if (tm->rearm > 0) {
		tm->rearm--;
		tm->deadline = now + 1 * MS;
		net_watch_set_deadline(loop, tm->id, tm->deadline);
		return;
	}
	net_watch_del(loop, tm->id);
}

static void test_empty_loop_returns(void **state)
{
	struct net_loop *loop = net_loop_create(false);

	(void)state;
	assert_non_null(loop);
	assert_int_equal(net_loop_run(loop), PS_OK);
	assert_int_equal(net_loop_signalled(loop), 0);
	net_loop_destroy(loop);
	net_loop_destroy(NULL);
}

static void test_now_is_monotonic(void **state)
{
	(void)state;
	uint64_t a = net_now_ns();
	for (int i = 0; i < 1000; i++) {
		uint64_t b = net_now_ns();
		assert_true(b >= a);
		a = b;
	}
	assert_true(a > 0);
}

/* Deadlines a few ms ahead, added out of order: each fires once, never
 * early, and timers that fire in different turns do so in deadline order. */
static void test_timers_fire_in_deadline_order(void **state)
{
	static const unsigned offsets_ms[] = { 9, 3, 12, 6, 1 };
	struct net_loop *loop = net_loop_create(false);
	struct timer tm[5];
	struct trace t;

	(void)state;
	memset(&t, 0, sizeof(t));
	uint64_t now = net_now_ns();
	for (int k = 0; k < 5; k++) {
		memset(&tm[k], 0, sizeof(tm[k]));
		tm[k].t = &t;
		tm[k].tag = (int)offsets_ms[k];
		tm[k].deadline = now + offsets_ms[k] * MS;
		tm[k].id = net_watch_add(loop, -1, 0, tm[k].deadline, on_timer, &tm[k]);
		assert_true(tm[k].id >= 0);
	}
	assert_int_equal(net_loop_run(loop), PS_OK);
	assert_int_equal(t.n, 5);
	for (int k = 0; k < 5; k++)
		assert_int_equal(tm[k].calls, 1);
	for (size_t a = 0; a < t.n; a++)
		for (size_t b = a + 1; b < t.n; b++)
			if (t.now[a] != t.now[b] && t.tag[a] > t.tag[b])
				fail_msg("timer +%dms fired in an earlier turn than +%dms",
					 t.tag[a], t.tag[b]);
	net_loop_destroy(loop);
}

/* Deadlines all in the past: every timer is due in the first turn, so the
 * order within one turn decides. OpenSSH/redis style: earliest first.
 */
static void test_timers_due_together_fire_in_deadline_order(void **state)
{
	static const unsigned ago_us[] = { 100, 500, 300, 400, 200 };
	struct net_loop *loop = net_loop_create(false);
	struct timer tm[5];
	struct trace t;

	(void)state;
	memset(&t, 0, sizeof(t));
	uint64_t now = net_now_ns();
	for (int k = 0; k < 5; k++) {
		memset(&tm[k], 0, sizeof(tm[k]));
		tm[k].t = &t;
		tm[k].tag = -(int)ago_us[k];
		tm[k].deadline = now - ago_us[k] * 1000u;
		tm[k].id = net_watch_add(loop, -1, 0, tm[k].deadline, on_timer, &tm[k]);
		assert_true(tm[k].id >= 0);
	}
	assert_int_equal(net_loop_run(loop), PS_OK);
	net_loop_destroy(loop);
	assert_int_equal(t.n, 5);
	for (size_t a = 1; a < t.n; a++)
		assert_true(t.now[a] == t.now[0]); /* one turn */
	for (size_t a = 1; a < t.n; a++)
		if (t.tag[a - 1] >= t.tag[a])
			fail_msg("timers due in one turn out of deadline order "
				 "(got -%dus -%dus -%dus -%dus -%dus, want -500 -400 -300 -200 "
				 "-100)",
				 -t.tag[0], -t.tag[1], -t.tag[2], -t.tag[3], -t.tag[4]);
}

/* A timer re-armed from its callback fires again, never early. */
static void test_rearm_deadline(void **state)
{
	struct net_loop *loop = net_loop_create(false);
	struct timer tm;
	struct trace t;

	(void)state;
	memset(&t, 0, sizeof(t));
	memset(&tm, 0, sizeof(tm));
	tm.t = &t;
	tm.rearm = 3;
	tm.deadline = net_now_ns() + 1 * MS;
	tm.id = net_watch_add(loop, -1, 0, tm.deadline, on_timer, &tm);
	assert_int_equal(net_loop_run(loop), PS_OK);
	assert_int_equal(tm.calls, 4);
	for (size_t k = 1; k < t.n; k++)
		assert_true(t.now[k] >= t.now[k - 1] + 1 * MS);
	net_loop_destroy(loop);
}

/* Each callback deletes the other timer, then itself; both are due in the
 * same turn, so whichever runs first, the other must not run. */
static void on_delete_other(struct net_loop *loop, void *ctx, short revents, uint64_t now)
{
	struct timer *tm = ctx;

	record(tm->t, tm->tag, revents, now);
	tm->calls++;
	net_watch_del(loop, *tm->victim);
	net_watch_del(loop, tm->id);
	net_watch_del(loop, tm->id); /* twice is harmless */
}

static void test_timer_deleted_inside_callback(void **state)
{
	struct net_loop *loop = net_loop_create(false);
	struct timer a, b, c;
	struct trace t;

	(void)state;
	memset(&t, 0, sizeof(t));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	uint64_t now = net_now_ns();
	a.t = b.t = c.t = &t;
	a.tag = 1;
	b.tag = 2;
	c.tag = 3;
	a.victim = &b.id;
	b.victim = &a.id;
	a.id = net_watch_add(loop, -1, 0, now - 2000, on_delete_other, &a);
	b.id = net_watch_add(loop, -1, 0, now - 1000, on_delete_other, &b);
	/* a third, later timer keeps the loop going one more turn */
	c.deadline = now + 2 * MS;
	c.id = net_watch_add(loop, -1, 0, c.deadline, on_timer, &c);
	assert_int_equal(net_loop_run(loop), PS_OK);
	assert_int_equal(a.calls + b.calls, 1);
	assert_int_equal(c.calls, 1);
	assert_int_equal(t.n, 2);
	net_loop_destroy(loop);
}

/* ---- fds ---------------------------------------------------------------------- */

struct fdw {
	struct trace *t;
	int tag;
	int id;
	int fd;
	int calls;
	short last;
	char got[16];
	size_t ngot;
	int *victim;
	int victim_fd; /* add a watcher on it after deleting the victim */
	struct fdw *added;
	uint64_t deadline;
};

static void on_readable(struct net_loop *loop, void *ctx, short revents, uint64_t now)
{
	struct fdw *w = ctx;

	record(w->t, w->tag, revents, now);
	w->calls++;
	w->last = revents;
	if (revents & POLLIN) {
		ssize_t r = read(w->fd, w->got + w->ngot, sizeof(w->got) - w->ngot);
		assert_true(r >= 0);
		w->ngot += (size_t)r;
	}
	net_watch_del(loop, w->id);
}

static void test_fd_readiness_with_a_pipe(void **state)
{
	struct net_loop *loop = net_loop_create(false);
	int p[2];
	struct fdw w;
	struct trace t;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(pipe(p), 0);
	memset(&w, 0, sizeof(w));
	w.t = &t;
	w.fd = p[0];
	w.id = net_watch_add(loop, p[0], POLLIN, UINT64_MAX, on_readable, &w);
	assert_true(w.id >= 0);
	assert_int_equal(write(p[1], "hi", 2), 2);
	assert_int_equal(net_loop_run(loop), PS_OK);
	assert_int_equal(w.calls, 1);
	assert_true(w.last & POLLIN);
	assert_int_equal(w.ngot, 2);
	assert_memory_equal(w.got, "hi", 2);

	/* nothing to read: the deadline calls back with revents 0 */
	memset(&w, 0, sizeof(w));
	w.t = &t;
	w.fd = p[0];
	uint64_t start = net_now_ns();
	w.id = net_watch_add(loop, p[0], POLLIN, start + 3 * MS, on_readable, &w);
	assert_int_equal(net_loop_run(loop), PS_OK);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.last, 0);
	assert_true(t.now[t.n - 1] >= start + 3 * MS);

	/* the writer closes: the reader sees hang-up */
	memset(&w, 0, sizeof(w));
	w.t = &t;
	w.fd = p[0];
	w.id = net_watch_add(loop, p[0], POLLIN, UINT64_MAX, on_readable, &w);
	close(p[1]);
	assert_int_equal(net_loop_run(loop), PS_OK);
	assert_int_equal(w.calls, 1);
	assert_true(w.last & POLLHUP);
	assert_int_equal(w.ngot, 0);
	close(p[0]);
	net_loop_destroy(loop);
}

/* Events can change: a watcher on a pipe's write end with no events sleeps
 * until a timer asks for POLLOUT. */
struct switcher {
	int fd_id;
	int id;
};

static void on_switch(struct net_loop *loop, void *ctx, short revents, uint64_t now)
{
	struct switcher *s = ctx;
	(void)revents;
	(void)now;
	net_watch_set_events(loop, s->fd_id, POLLOUT);
	net_watch_del(loop, s->id);
}

static void test_set_events(void **state)
{
	struct net_loop *loop = net_loop_create(false);
	int p[2];
	struct fdw w;
	struct switcher s;
	struct trace t;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(pipe(p), 0);
	memset(&w, 0, sizeof(w));
	w.t = &t;
	w.fd = p[1];
	w.tag = 7;
	w.id = net_watch_add(loop, p[1], 0, UINT64_MAX, on_readable, &w);
	uint64_t start = net_now_ns();
	s.fd_id = w.id;
	s.id = net_watch_add(loop, -1, 0, start + 2 * MS, on_switch, &s);
	assert_int_equal(net_loop_run(loop), PS_OK);
	assert_int_equal(w.calls, 1);
	assert_true(w.last & POLLOUT);
	assert_true(t.now[0] >= start + 2 * MS);
	close(p[0]);
	close(p[1]);
	net_loop_destroy(loop);
}

/* Two readable pipes; each callback deletes the other watcher and puts a
 * new watcher (on an idle pipe) into the freed slot. Whichever runs first,
 * the other must not run, and the newcomer must not inherit its revents. */
static void on_readable_replace(struct net_loop *loop, void *ctx, short revents, uint64_t now)
{
	struct fdw *w = ctx;

	record(w->t, w->tag, revents, now);
	w->calls++;
	net_watch_del(loop, *w->victim);
	w->added->id = net_watch_add(loop, w->victim_fd, POLLIN, w->added->deadline, on_readable,
				     w->added);
	assert_true(w->added->id >= 0);
	net_watch_del(loop, w->id);
}

static void test_fd_watcher_deleted_inside_callback(void **state)
{
	struct net_loop *loop = net_loop_create(false);
	int p1[2], p2[2], idle[2];
	struct fdw a, b, c;
	struct trace t;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(pipe(p1), 0);
	assert_int_equal(pipe(p2), 0);
	assert_int_equal(pipe(idle), 0);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	a.t = b.t = c.t = &t;
	a.tag = 1;
	b.tag = 2;
	c.tag = 3;
	a.fd = p1[0];
	b.fd = p2[0];
	c.fd = idle[0];
	a.victim = &b.id;
	b.victim = &a.id;
	a.victim_fd = b.victim_fd = idle[0];
	a.added = b.added = &c;
	c.deadline = net_now_ns() + 3 * MS;
	a.id = net_watch_add(loop, p1[0], POLLIN, UINT64_MAX, on_readable_replace, &a);
	b.id = net_watch_add(loop, p2[0], POLLIN, UINT64_MAX, on_readable_replace, &b);
	assert_int_equal(write(p1[1], "a", 1), 1);
	assert_int_equal(write(p2[1], "b", 1), 1);
	assert_int_equal(net_loop_run(loop), PS_OK);
	assert_int_equal(a.calls + b.calls, 1);
	/* the newcomer ran once, at its deadline, with nothing to read */
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.last, 0);
	assert_int_equal(t.n, 2);
	for (int k = 0; k < 2; k++) {
		close(p1[k]);
		close(p2[k]);
		close(idle[k]);
	}
	net_loop_destroy(loop);
}

/* ---- stop, many watchers, bad ids ------------------------------------------------ */

static void on_stop(struct net_loop *loop, void *ctx, short revents, uint64_t now)
{
	int *calls = ctx;
	(void)revents;
	(void)now;
	(*calls)++;
	net_loop_stop(loop);
}

static void on_never(struct net_loop *loop, void *ctx, short revents, uint64_t now)
{
	(void)loop;
	(void)ctx;
	(void)revents;
	(void)now;
	fail_msg("this watcher must not be called");
}

static void test_stop(void **state)
{
	struct net_loop *loop = net_loop_create(false);
	int calls = 0;

	(void)state;
	int id = net_watch_add(loop, -1, 0, net_now_ns() + 1 * MS, on_stop, &calls);
	int never = net_watch_add(loop, -1, 0, UINT64_MAX, on_never, NULL);
	assert_true(id >= 0 && never >= 0 && id != never);
	assert_int_equal(net_loop_run(loop), PS_OK);
	assert_int_equal(calls, 1);
	net_loop_destroy(loop);
}

static void test_many_watchers(void **state)
{
	enum { COUNT = 300 };
	struct net_loop *loop = net_loop_create(false);
	static struct timer tm[COUNT];
	static struct trace t;

	(void)state;
	memset(&t, 0, sizeof(t));
	uint64_t now = net_now_ns();
	for (int k = 0; k < COUNT; k++) {
		memset(&tm[k], 0, sizeof(tm[k]));
		tm[k].t = &t;
		tm[k].tag = k;
		tm[k].deadline = now - 1;
		tm[k].id = net_watch_add(loop, -1, 0, tm[k].deadline, on_timer, &tm[k]);
		assert_true(tm[k].id >= 0);
		for (int j = 0; j < k; j++)
			assert_int_not_equal(tm[j].id, tm[k].id);
	}
	/* deleting ids that are not live is harmless */
	net_watch_del(loop, -1);
	net_watch_del(loop, 1 << 20);
	int extra = net_watch_add(loop, -1, 0, UINT64_MAX, on_never, NULL);
	net_watch_del(loop, extra);
	net_watch_del(loop, extra);
	t.n = 0;
	/* trace holds 512: fine for COUNT */
	assert_int_equal(net_loop_run(loop), PS_OK);
	for (int k = 0; k < COUNT; k++)
		assert_int_equal(tm[k].calls, 1);
	net_loop_destroy(loop);
}

/* ---- the backend, and what only many watchers show -------------------------------- */

static void test_backend_is_the_one_asked_for(void **state)
{
	enum net_loop_backend b = NET_LOOP_POLL;
	struct net_loop *loop = net_loop_create(false);

	(void)state;
	assert_non_null(loop);
	assert_string_equal(net_loop_backend_name(loop), backend);
	net_loop_destroy(loop);

	assert_int_equal(net_loop_backend_parse(&b, NULL), PS_OK);
	assert_int_equal(b, NET_LOOP_DEFAULT);
	assert_int_equal(net_loop_backend_parse(&b, ""), PS_OK);
	assert_int_equal(b, NET_LOOP_DEFAULT);
	assert_int_equal(net_loop_backend_parse(&b, "poll"), PS_OK);
	assert_int_equal(b, NET_LOOP_POLL);
	b = NET_LOOP_DEFAULT;
	assert_int_equal(net_loop_backend_parse(&b, "select"), PS_ERR_INVALID_ARG);
	assert_int_equal(net_loop_backend_parse(&b, "Poll"), PS_ERR_INVALID_ARG);
	assert_int_equal(net_loop_backend_parse(&b, "epoll "), PS_ERR_INVALID_ARG);
	assert_int_equal(b, NET_LOOP_DEFAULT); /* untouched on error */
#ifdef __linux__
	assert_int_equal(net_loop_backend_parse(&b, "epoll"), PS_OK);
	assert_int_equal(b, NET_LOOP_EPOLL);
#endif
	/* a name that is no backend: no loop, errno says so */
	assert_int_equal(setenv("PS_LOOP", "kqueue", 1), 0);
	errno = 0;
	assert_null(net_loop_create(false));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(setenv("PS_LOOP", backend, 1), 0);
	/* the explicit choice wins over the environment */
	loop = net_loop_create_backend(false, NET_LOOP_POLL);
	assert_non_null(loop);
	assert_string_equal(net_loop_backend_name(loop), "poll");
	net_loop_destroy(loop);
}

/* A tiny LCG: the deadlines below are scrambled, not chosen. */
static uint32_t lcg(uint32_t *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 8;
}

struct ordered {
	uint64_t deadline; /* what the test set last, UINT64_MAX for none */
	int id;
	int calls;
	int *order;
	size_t *norder;
	int tag;
};

static void on_ordered(struct net_loop *loop, void *ctx, short revents, uint64_t now)
{
	struct ordered *o = ctx;

	assert_int_equal(revents, 0);
	assert_true(now >= o->deadline);
	o->calls++;
	o->order[(*o->norder)++] = o->tag;
	net_watch_del(loop, o->id);
}

/* Many timers due in the same turn, their deadlines scrambled, then moved
 * later, earlier, to none, and some deleted before the run: each one that
 * is left fires once, in (deadline, added first) order; the others never.
 * The expected order is the test's own sort of what it set. */
static void test_many_deadlines_moved_fire_in_order(void **state)
{
	enum { COUNT = 2000 };
	static struct ordered o[COUNT];
	static int order[COUNT], want[COUNT];
	struct net_loop *loop = net_loop_create(false);
	uint64_t base = net_now_ns() - 1000 * MS;
	uint32_t x = 7;
	size_t norder = 0, nwant = 0;

	(void)state;
	for (int k = 0; k < COUNT; k++) {
		o[k] = (struct ordered){ .tag = k, .order = order, .norder = &norder };
		/* few distinct values: ties are the common case */
		o[k].deadline = base + (lcg(&x) % 97) * 1000u;
		o[k].id = net_watch_add(loop, -1, 0, o[k].deadline, on_ordered, &o[k]);
		assert_true(o[k].id >= 0);
	}
	for (int k = 0; k < COUNT; k++) {
		switch (lcg(&x) % 6) {
		case 0: /* later, still in the past */
			o[k].deadline += (lcg(&x) % 50) * 1000u;
			break;
		case 1: /* earlier */
			o[k].deadline -= (lcg(&x) % 50) * 1000u;
			break;
		case 2: /* none: it must never fire */
			o[k].deadline = UINT64_MAX;
			break;
		case 3: /* gone */
			net_watch_del(loop, o[k].id);
			o[k].deadline = 0;
			o[k].id = -1;
			continue;
		default: /* the same deadline again: nothing moves */
			break;
		}
		net_watch_set_deadline(loop, o[k].id, o[k].deadline);
	}
	/* the ones without a deadline would keep the loop running: a timer
	 * well after the rest stops it */
	struct ordered stopper = { .deadline = net_now_ns() + 2 * MS };
	int calls = 0;
	stopper.id = net_watch_add(loop, -1, 0, stopper.deadline, on_stop, &calls);
	assert_true(stopper.id >= 0);
	/* what must fire: ids are slots, and slots were taken in order k, so
	 * "added first" is k; sort by (deadline, k) */
	for (int k = 0; k < COUNT; k++)
		if (o[k].id >= 0 && o[k].deadline != UINT64_MAX)
			want[nwant++] = k;
	for (size_t a = 1; a < nwant; a++)
		for (size_t b = a; b > 0; b--) {
			struct ordered *p = &o[want[b - 1]], *q = &o[want[b]];
			if (p->deadline < q->deadline ||
			    (p->deadline == q->deadline && want[b - 1] < want[b]))
				break;
			int t = want[b];
			want[b] = want[b - 1];
			want[b - 1] = t;
		}
	assert_int_equal(net_loop_run(loop), PS_OK);
	assert_int_equal(calls, 1);
	assert_int_equal(norder, nwant);
	for (size_t k = 0; k < nwant; k++)
		if (order[k] != want[k])
			fail_msg("timer %zu of the turn is #%d (deadline %llu), want #%d (%llu)", k,
				 order[k], (unsigned long long)o[order[k]].deadline, want[k],
				 (unsigned long long)o[want[k]].deadline);
	for (int k = 0; k < COUNT; k++)
		assert_int_equal(o[k].calls, (o[k].id >= 0 && o[k].deadline != UINT64_MAX) ? 1 : 0);
	net_loop_destroy(loop);
}

/* Two readable pipes; whichever callback runs first removes itself, then
 * the other (still due in this turn's list), and puts a newcomer on the
 * other's fd, which takes the other's slot. The newcomer must not get the
 * other's revents in this turn (same fd, same slot: only the slot's
 * generation tells them apart), but sees the fd, still unread, in a later
 * turn, once. */
struct same_fd {
	int fd[2];
	int id[2];
	int calls[2];
	int newcomer;
	int n_calls;
	uint64_t turn_first, turn_n;
};

static void on_newcomer(struct net_loop *loop, void *ctx, short revents, uint64_t now)
{
	struct same_fd *f = ctx;

	f->n_calls++;
	f->turn_n = now;
	assert_true(revents & POLLIN);
	net_watch_del(loop, f->newcomer);
}

static void on_same_fd(struct net_loop *loop, struct same_fd *f, int self, uint64_t now)
{
	int other = 1 - self;

	f->calls[self]++;
	f->turn_first = now;
	net_watch_del(loop, f->id[self]);
	net_watch_del(loop, f->id[other]);
	f->newcomer = net_watch_add(loop, f->fd[other], POLLIN, UINT64_MAX, on_newcomer, f);
	assert_int_equal(f->newcomer, f->id[other]);
}

static void on_same_fd_0(struct net_loop *loop, void *ctx, short revents, uint64_t now)
{
	assert_true(revents & POLLIN);
	on_same_fd(loop, ctx, 0, now);
}

static void on_same_fd_1(struct net_loop *loop, void *ctx, short revents, uint64_t now)
{
	assert_true(revents & POLLIN);
	on_same_fd(loop, ctx, 1, now);
}

static void test_reused_slot_on_the_same_fd(void **state)
{
	struct net_loop *loop = net_loop_create(false);
	int p1[2], p2[2];
	struct same_fd f;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(pipe(p1), 0);
	assert_int_equal(pipe(p2), 0);
	f.fd[0] = p1[0];
	f.fd[1] = p2[0];
	f.id[0] = net_watch_add(loop, p1[0], POLLIN, UINT64_MAX, on_same_fd_0, &f);
	f.id[1] = net_watch_add(loop, p2[0], POLLIN, UINT64_MAX, on_same_fd_1, &f);
	assert_true(f.id[0] >= 0 && f.id[1] >= 0);
	assert_int_equal(write(p1[1], "x", 1), 1);
	assert_int_equal(write(p2[1], "y", 1), 1);
	assert_int_equal(net_loop_run(loop), PS_OK);
	assert_int_equal(f.calls[0] + f.calls[1], 1);
	assert_int_equal(f.n_calls, 1);
	assert_true(f.turn_n > f.turn_first); /* a later turn */
	for (int k = 0; k < 2; k++) {
		close(p1[k]);
		close(p2[k]);
	}
	net_loop_destroy(loop);
}

/* More fds ready at once than one epoll wait takes (1,024): every one is
 * still called, once; and idle fds beside them are never called. */
struct many_fd {
	int fd;
	int id;
	int calls;
	bool idle;
};

static void on_many_fd(struct net_loop *loop, void *ctx, short revents, uint64_t now)
{
	struct many_fd *m = ctx;
	char c;
	(void)now;

	if (m->idle)
		fail_msg("an idle pipe was called (revents %#x)", (unsigned)revents);
	assert_true(revents & POLLIN);
	assert_int_equal(read(m->fd, &c, 1), 1);
	m->calls++;
	net_watch_del(loop, m->id);
}

static void test_more_ready_than_one_wait_takes(void **state)
{
	enum { WANT = 1500 };
	static struct many_fd m[WANT];
	static int wr[WANT];
	struct rlimit rl;
	struct net_loop *loop = net_loop_create(false);
	size_t n = WANT;

	(void)state;
	/* two fds a pipe, plus what the runner holds */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 2 * WANT + 64 && rl.rlim_max >= 2 * WANT + 64) {
		rl.rlim_cur = 2 * WANT + 64;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	if (rl.rlim_cur < 2 * WANT + 64)
		n = (size_t)(rl.rlim_cur - 64) / 2;
	assert_true(n >= 64);
	for (size_t k = 0; k < n; k++) {
		int p[2];
		assert_int_equal(pipe(p), 0);
		m[k] = (struct many_fd){ .fd = p[0], .idle = k % 3 == 2 };
		wr[k] = p[1];
		m[k].id = net_watch_add(loop, p[0], POLLIN, UINT64_MAX, on_many_fd, &m[k]);
		assert_true(m[k].id >= 0);
		if (!m[k].idle)
			assert_int_equal(write(p[1], "z", 1), 1);
	}
	/* the idle ones would keep the loop running: a stop after the rest */
	int calls = 0;
	int stopper = net_watch_add(loop, -1, 0, net_now_ns() + 20 * MS, on_stop, &calls);
	assert_true(stopper >= 0);
	assert_int_equal(net_loop_run(loop), PS_OK);
	assert_int_equal(calls, 1);
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(m[k].calls, m[k].idle ? 0 : 1);
		net_watch_del(loop, m[k].id);
		close(m[k].fd);
		close(wr[k]);
	}
	net_loop_destroy(loop);
}

/* epoll keys its interest list on the fd: a second watcher on one is
 * refused (PS_ERR_SYSTEM, EEXIST) and costs nothing; poll takes it. */
static void test_second_watcher_on_one_fd(void **state)
{
	struct net_loop *loop = net_loop_create(false);
	int p[2], calls = 0;

	(void)state;
	assert_int_equal(pipe(p), 0);
	int a = net_watch_add(loop, p[0], POLLIN, UINT64_MAX, on_never, NULL);
	assert_true(a >= 0);
	errno = 0;
	int b = net_watch_add(loop, p[0], POLLIN, UINT64_MAX, on_never, NULL);
	if (strcmp(backend, "epoll") == 0) {
		assert_int_equal(b, PS_ERR_SYSTEM);
		assert_int_equal(errno, EEXIST);
	} else {
		assert_true(b >= 0 && b != a);
		net_watch_del(loop, b);
	}
	net_watch_del(loop, a);
	/* the loop is as before: one timer, and it returns when that is gone */
	int t = net_watch_add(loop, -1, 0, net_now_ns(), on_stop, &calls);
	assert_true(t >= 0);
	assert_int_equal(net_loop_run(loop), PS_OK);
	assert_int_equal(calls, 1);
	net_watch_del(loop, t);
	assert_int_equal(net_loop_run(loop), PS_OK); /* no watchers: returns */
	close(p[0]);
	close(p[1]);
	net_loop_destroy(loop);
}

/* ---- signals (last: the caught flag is process-wide) ----------------------------- */

static void on_raise(struct net_loop *loop, void *ctx, short revents, uint64_t now)
{
	int *id = ctx;
	(void)revents;
	(void)now;
	net_watch_del(loop, *id);
	/* blocked outside ppoll: pending until the loop sleeps, never lost */
	assert_int_equal(raise(SIGTERM), 0);
}

/* A loop that never has to sleep: a pipe always readable. */
static void on_busy(struct net_loop *loop, void *ctx, short revents, uint64_t now)
{
	unsigned *calls = ctx;
	(void)loop, (void)revents, (void)now;
	if (++*calls == 3)
		assert_int_equal(raise(SIGTERM), 0);
	if (*calls > 100000)
		_exit(2); /* the signal was never taken */
}

/* The wait (ppoll, epoll_pwait) lets a blocked signal in only when it
 * sleeps; with a descriptor always ready it never does, and the loop must
 * still stop on the next turn. In a child process: the caught flag is
 * process-wide. */
static void test_signal_reaches_a_busy_loop(void **state)
{
	int st = 0;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct net_loop *loop = net_loop_create(true);
		unsigned calls = 0;
		int p[2];

		alarm(20);
		if (!loop || pipe(p) != 0 || write(p[1], "x", 1) != 1)
			_exit(3);
		if (net_watch_add(loop, p[0], POLLIN, UINT64_MAX, on_busy, &calls) < 0)
			_exit(3);
		if (net_loop_run(loop) != PS_OK)
			_exit(4);
		/* raised in the third call: no fourth turn's callback */
		_exit(net_loop_signalled(loop) == SIGTERM && calls == 3 ? 0 : 5);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_signal_stops_the_loop(void **state)
{
	struct net_loop *loop = net_loop_create(true);
	int id;

	(void)state;
	assert_non_null(loop);
	id = net_watch_add(loop, -1, 0, net_now_ns(), on_raise, &id);
	/* were the signal lost, this one would fire after 10 s and fail */
	int guard = net_watch_add(loop, -1, 0, net_now_ns() + 10000 * MS, on_never, NULL);
	assert_true(guard >= 0);
	assert_int_equal(net_loop_run(loop), PS_OK);
	assert_int_equal(net_loop_signalled(loop), SIGTERM);
	net_loop_destroy(loop);
}

static int run_pass(const char *name)
{
	char group[32];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_loop_returns),
		cmocka_unit_test(test_now_is_monotonic),
		cmocka_unit_test(test_timers_fire_in_deadline_order),
		cmocka_unit_test(test_timers_due_together_fire_in_deadline_order),
		cmocka_unit_test(test_rearm_deadline),
		cmocka_unit_test(test_timer_deleted_inside_callback),
		cmocka_unit_test(test_fd_readiness_with_a_pipe),
		cmocka_unit_test(test_set_events),
		cmocka_unit_test(test_fd_watcher_deleted_inside_callback),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_many_watchers),
		cmocka_unit_test(test_backend_is_the_one_asked_for),
		cmocka_unit_test(test_many_deadlines_moved_fire_in_order),
		cmocka_unit_test(test_reused_slot_on_the_same_fd),
		cmocka_unit_test(test_more_ready_than_one_wait_takes),
		cmocka_unit_test(test_second_watcher_on_one_fd),
		cmocka_unit_test(test_signal_reaches_a_busy_loop),
		cmocka_unit_test(test_signal_stops_the_loop),
	};

	backend = name;
	if (setenv("PS_LOOP", name, 1) != 0)
		return 1;
	snprintf(group, sizeof(group), "loop/%s", name);
	return _cmocka_run_group_tests(group, tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}

/* Each backend in a child of its own; fails if any pass fails. */
int main(void)
{
	static const char *const backends[] = {
		"poll",
#ifdef __linux__
		"epoll",
#endif
	};
	int failed = 0;

	for (size_t k = 0; k < sizeof(backends) / sizeof(backends[0]); k++) {
		int status;
		pid_t pid;

		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			_exit(run_pass(backends[k]) ? 1 : 0);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "test_loop: the %s pass failed\n", backends[k]);
			failed = 1;
		}
	}
	return failed;
}
