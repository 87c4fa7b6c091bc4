#define _GNU_SOURCE /* ppoll */
#include "net/loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/loop_impl.h"

static volatile sig_atomic_t caught_signal;

static void on_signal(int sig)
{
	caught_signal = sig;
}

uint64_t net_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int net_loop_backend_parse(enum net_loop_backend *out, const char *name)
{
	if (!name || !*name) {
		*out = NET_LOOP_DEFAULT;
		return PS_OK;
	}
	if (strcmp(name, "poll") == 0) {
		*out = NET_LOOP_POLL;
		return PS_OK;
	}
	if (strcmp(name, "epoll") == 0) {
#ifdef __linux__
		*out = NET_LOOP_EPOLL;
		return PS_OK;
#else
		return PS_ERR_UNSUPPORTED;
#endif
	}
	return PS_ERR_INVALID_ARG;
}

void net_signals_catch(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* a read of the command line's files before the loop is not cut
	 * short; ppoll and epoll_pwait return EINTR whatever this says */
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

struct net_loop *net_loop_create(bool handle_signals)
{
	enum net_loop_backend b;

	if (net_loop_backend_parse(&b, getenv("PS_LOOP")) != PS_OK) {
		errno = EINVAL;
		return NULL;
	}
	return net_loop_create_backend(handle_signals, b);
}

struct net_loop *net_loop_create_backend(bool handle_signals, enum net_loop_backend backend)
{
	struct net_loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = -1;
	loop->ops = &net_loop_poll_ops;
#ifdef __linux__
	if (backend != NET_LOOP_POLL)
		loop->ops = &net_loop_epoll_ops;
#else
	(void)backend;
#endif
	if (loop->ops->init(loop) != PS_OK) {
		int e = errno;
		free(loop);
		errno = e;
		return NULL;
	}
	loop->handle_signals = handle_signals;
	sigprocmask(SIG_SETMASK, NULL, &loop->run_mask);
	loop->saved_mask = loop->run_mask;
	if (handle_signals) {
		sigset_t block;

		net_signals_catch();
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		loop->stop_set = block;
		sigprocmask(SIG_BLOCK, &block, NULL);
		sigdelset(&loop->run_mask, SIGINT);
		sigdelset(&loop->run_mask, SIGTERM);
	}
	return loop;
}

const char *net_loop_backend_name(const struct net_loop *loop)
{
	return loop->ops->name;
}

void net_loop_destroy(struct net_loop *loop)
{
	if (!loop)
		return;
	if (loop->handle_signals)
		sigprocmask(SIG_SETMASK, &loop->saved_mask, NULL);
	loop->ops->fini(loop);
	free(loop->w);
	free(loop->free_ids);
	free(loop->heap);
	free(loop->due);
	free(loop->ready);
	free(loop);
}

/* ---- the deadline heap: ids ordered by (deadline, id) ---- */

static bool earlier(const struct net_loop *loop, int a, int b)
{
	uint64_t da = loop->w[a].deadline_ns, db = loop->w[b].deadline_ns;

	return da != db ? da < db : a < b;
}

static void heap_place(struct net_loop *loop, size_t i, int id)
{
	loop->heap[i] = id;
	loop->w[id].heap_idx = i;
}

static void sift_up(struct net_loop *loop, size_t i)
{
	int id = loop->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!earlier(loop, id, loop->heap[parent]))
			break;
		heap_place(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_place(loop, i, id);
}

static void sift_down(struct net_loop *loop, size_t i)
{
	int id = loop->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= loop->nheap)
			break;
		if (c + 1 < loop->nheap && earlier(loop, loop->heap[c + 1], loop->heap[c]))
			c++;
		if (!earlier(loop, loop->heap[c], id))
			break;
		heap_place(loop, i, loop->heap[c]);
		i = c;
	}
	heap_place(loop, i, id);
}

static void heap_insert(struct net_loop *loop, int id)
{
	loop->heap[loop->nheap] = id;
	loop->w[id].heap_idx = loop->nheap++;
	sift_up(loop, loop->nheap - 1);
}

static void heap_remove(struct net_loop *loop, int id)
{
	size_t i = loop->w[id].heap_idx;
	int last = loop->heap[--loop->nheap];

	loop->w[id].heap_idx = NET_NO_SLOT;
	if (last == id)
		return;
	heap_place(loop, i, last);
	sift_up(loop, i);
	sift_down(loop, loop->w[last].heap_idx);
}

/* ---- watchers ---- */

static int grow(struct net_loop *loop)
{
	size_t cap = loop->cap ? loop->cap * 2 : 64;
	struct net_watcher *w = realloc(loop->w, cap * sizeof(*w));
	int *free_ids, *heap;
	struct net_due *due;
	struct net_ready *ready;

	if (!w)
		return PS_ERR_NOMEM;
	loop->w = w;
	if (!(free_ids = realloc(loop->free_ids, cap * sizeof(*free_ids))))
		return PS_ERR_NOMEM;
	loop->free_ids = free_ids;
	if (!(heap = realloc(loop->heap, cap * sizeof(*heap))))
		return PS_ERR_NOMEM;
	loop->heap = heap;
	if (!(due = realloc(loop->due, cap * sizeof(*due))))
		return PS_ERR_NOMEM;
	loop->due = due;
	if (!(ready = realloc(loop->ready, cap * sizeof(*ready))))
		return PS_ERR_NOMEM;
	loop->ready = ready;
	if (loop->ops->grow(loop, cap) != PS_OK)
		return PS_ERR_NOMEM;
	/* new slots are dead and go on the free stack, lowest id on top */
	for (size_t i = cap; i > loop->cap; i--) {
		loop->w[i - 1].live = false;
		loop->w[i - 1].gen = 0;
		loop->free_ids[loop->nfree++] = (int)(i - 1);
	}
	loop->cap = cap;
	return PS_OK;
}

int net_watch_add(struct net_loop *loop, int fd, short events, uint64_t deadline_ns,
		  net_watch_fn cb, void *ctx)
{
	struct net_watcher *w;
	int id;

	if (loop->nfree == 0 && grow(loop) != PS_OK)
		return PS_ERR_NOMEM;
	id = loop->free_ids[loop->nfree - 1];
	w = &loop->w[id];
	w->fd = fd;
	w->events = events;
	w->deadline_ns = deadline_ns;
	w->heap_idx = NET_NO_SLOT;
	w->bslot = NET_NO_SLOT;
	w->cb = cb;
	w->ctx = ctx;
	w->gen++; /* before add: epoll keeps it beside the id */
	if (fd >= 0 && loop->ops->add(loop, id) != PS_OK)
		return PS_ERR_SYSTEM; /* the slot stays free */
	loop->nfree--;
	w->live = true;
	if (deadline_ns != UINT64_MAX)
		heap_insert(loop, id);
	loop->count++;
	return id;
}

static struct net_watcher *live(struct net_loop *loop, int id)
{
	if (id < 0 || (size_t)id >= loop->cap || !loop->w[id].live)
		return NULL;
	return &loop->w[id];
}

void net_watch_set_events(struct net_loop *loop, int id, short events)
{
	struct net_watcher *w = live(loop, id);

	if (!w || w->events == events)
		return;
	w->events = events;
	/* a failure here is reported by net_loop_run: this call has no
	 * result, and the watcher would otherwise wait for the wrong thing */
	if (w->fd >= 0 && loop->ops->mod(loop, id) != PS_OK && !loop->sys_err)
		loop->sys_err = errno ? errno : EIO;
}

void net_watch_set_deadline(struct net_loop *loop, int id, uint64_t deadline_ns)
{
	struct net_watcher *w = live(loop, id);
	uint64_t old;

	if (!w || (old = w->deadline_ns) == deadline_ns)
		return;
	w->deadline_ns = deadline_ns;
	if (old == UINT64_MAX) {
		heap_insert(loop, id);
	} else if (deadline_ns == UINT64_MAX) {
		heap_remove(loop, id);
	} else if (deadline_ns < old) {
		sift_up(loop, w->heap_idx);
	} else {
		sift_down(loop, w->heap_idx);
	}
}

void net_watch_del(struct net_loop *loop, int id)
{
	struct net_watcher *w = live(loop, id);

	if (!w)
		return;
	if (w->fd >= 0)
		loop->ops->del(loop, id);
	if (w->heap_idx != NET_NO_SLOT)
		heap_remove(loop, id);
	w->live = false;
	loop->free_ids[loop->nfree++] = id;
	loop->count--;
}

void net_loop_stop(struct net_loop *loop)
{
	loop->stop = true;
}

int net_loop_signalled(const struct net_loop *loop)
{
	(void)loop;
	return caught_signal;
}

/* ---- the turn ---- */

static int due_cmp(const void *a, const void *b)
{
	const struct net_due *x = a, *y = b;

	if (x->deadline_ns != y->deadline_ns)
		return x->deadline_ns < y->deadline_ns ? -1 : 1;
	return x->id - y->id;
}

/* The watchers due at now, earliest first, into loop->due; how many. Those
 * are the heap's nodes with deadline <= now, a subtree at its root (a
 * child is never earlier than its parent): O(k log k) for k due, however
 * many wait. */
static size_t collect_due(struct net_loop *loop, uint64_t now)
{
	size_t n = 0;

	if (loop->nheap == 0 || loop->w[loop->heap[0]].deadline_ns > now)
		return 0;
	loop->due[n++].heap_idx = 0;
	for (size_t k = 0; k < n; k++) {
		size_t i = loop->due[k].heap_idx;
		struct net_watcher *w = &loop->w[loop->heap[i]];

		loop->due[k].id = loop->heap[i];
		loop->due[k].gen = w->gen;
		loop->due[k].deadline_ns = w->deadline_ns;
		for (size_t c = 2 * i + 1; c <= 2 * i + 2 && c < loop->nheap; c++)
			if (loop->w[loop->heap[c]].deadline_ns <= now)
				loop->due[n++].heap_idx = c;
	}
	qsort(loop->due, n, sizeof(loop->due[0]), due_cmp);
	return n;
}

/* Callbacks between two looks for a stop request inside one turn: a turn
 * over 20,000 ready connections takes a second or more. */
#define SIGNAL_EVERY 256

/* The wait (ppoll, epoll_pwait) lets a pending signal in only when it has
 * to sleep: with a descriptor ready or a deadline due it returns at once
 * and blocks the signal again on the way out, so a busy loop (100,000
 * targets: something is always ready) would never see it. Take it here
 * instead: true when SIGINT or SIGTERM was pending (caught_signal says
 * which). */
static bool take_signal(struct net_loop *loop)
{
	static const struct timespec zero = { 0, 0 };
	int sig;

	if (!loop->handle_signals)
		return false;
	if (caught_signal)
		return true;
	sig = sigtimedwait(&loop->stop_set, NULL, &zero);
	if (sig <= 0)
		return false;
	caught_signal = sig;
	return true;
}

bool net_loop_take_signal(struct net_loop *loop)
{
	return take_signal(loop);
}

int net_loop_run(struct net_loop *loop)
{
	loop->stop = false; /* a stop ends one run, not the loop (redis aeMain) */
	while (!loop->stop && loop->count > 0 && !caught_signal) {
		uint64_t now = net_now_ns();
		struct timespec ts, *tsp = NULL;
		size_t n;
		int r;

		if (loop->sys_err) {
			errno = loop->sys_err;
			loop->sys_err = 0;
			return PS_ERR_SYSTEM;
		}
		if (loop->nheap > 0) {
			uint64_t first = loop->w[loop->heap[0]].deadline_ns;
			uint64_t wait = first > now ? first - now : 0;
			ts.tv_sec = (time_t)(wait / 1000000000u);
			ts.tv_nsec = (long)(wait % 1000000000u);
			tsp = &ts;
		}
		r = loop->ops->wait(loop, tsp);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return PS_ERR_SYSTEM;
		}
		if (take_signal(loop))
			break;
		now = net_now_ns();
		for (size_t k = 0, calls = 0; k < (size_t)r; k++) {
			struct net_ready *rd = &loop->ready[k];
			struct net_watcher *w = &loop->w[rd->id];
			/* the watcher may have been removed (or its slot reused)
			 * by an earlier callback of this turn */
			if (!w->live || w->gen != rd->gen)
				continue;
			w->cb(loop, w->ctx, rd->revents, now);
			if (++calls % SIGNAL_EVERY == 0 && take_signal(loop))
				return PS_OK;
		}
		/* deadlines: earliest first, each still due when its turn comes
		 * (an earlier callback may have moved or removed it) */
		n = collect_due(loop, now);
		for (size_t k = 0; k < n; k++) {
			struct net_watcher *w = &loop->w[loop->due[k].id];
			if (w->live && w->gen == loop->due[k].gen && w->deadline_ns <= now)
				w->cb(loop, w->ctx, 0, now);
			if ((k + 1) % SIGNAL_EVERY == 0 && take_signal(loop))
				return PS_OK;
		}
	}
	return PS_OK;
}
